"""From executed NMODL blocks to ionc channels: currents, gates, q10 factors.

Each current the mechanism writes (USEION ... WRITE ix, NONSPECIFIC_CURRENT)
becomes one channel. Its BREAKPOINT value must be ohmic, `G * (v - E)`
(checked with sympy: linear in v); G's factors that are STATEs are the gates
with their powers, the rest must be one PARAMETER (the conductance, ionc's
`gbar`). E is the ion's reversal potential (`ion X`) or the channel's `e`.

Each gate's equation `x' = f` must be linear in x, `f = A x + B`; it is
written as rates (`alpha = B`, `beta = -A - B`) when that is shorter than
`inf = -B/A`, `tau = -1/A` (NEURON's hh: `minf = a/(a+b)`,
`mtau = 1/(q10 (a+b))` are the rates `q10 a`, `q10 b`). A factor
`Q^((celsius - T)/10)` common to the rates (or dividing tau) becomes ionc's
`q10 = Q at T degC`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ionc.diagnostics import Code, fail
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_eval import Outcome
from ionc.importer.nmodl_units import parse_nmodl_unit, si_scale
from ionc.importer.nmodl_values import (
    Let,
    SympyBuilder,
    Value,
    from_sympy,
    is_opaque,
    lets_in,
    symbol,
)
from ionc.sema.units import LENGTH, TIME
from ionc.source import Span

CELSIUS = symbol("celsius")
FARADAY = 96485.33212  # C/mol, as ionc's F (CODATA 2018, NEURON 9's (faraday))
GAS_CONSTANT = 8.314462618  # J/mol/K, as ionc's R
V = symbol("v")


@dataclass(frozen=True, slots=True)
class Q10:
    factor: Fraction  # Q
    reference: Fraction  # T, degC
    source: Span | None  # where the .mod file computes it, if it names it


@dataclass(frozen=True, slots=True)
class Gate:
    state: str
    power: int
    form: str  # "rates" (alpha, beta) or "steady" (inf, tau)
    first: Value  # alpha or inf
    second: Value  # beta or tau
    q10: Q10 | None
    span: Span  # the x' = ... equation


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    current: str  # the NMODL current, ina
    current_span: Span
    assignment: Span  # where BREAKPOINT assigns it
    ion: str | None  # None: nonspecific
    conductance: ast.Declaration  # the PARAMETER that is ionc's gbar
    factor: Fraction  # the number multiplying it in the current ((1e-4) for pS/um2 -> S/cm2)
    conductance_q10: Q10 | None  # a temperature factor multiplying it (Mainen's tadj)
    reversal: Value | None  # None: the cell's reversal of the ion
    gates: tuple[Gate, ...]
    q10: Q10 | None  # the same factor in every gate, written once
    kinetic: Kinetic | None = None  # a Markov scheme in place of the gates
    permeability: bool = False  # the conductance parameter is a GHK permeability (ionc's pbar)


@dataclass(frozen=True, slots=True)
class Reaction:
    left: str
    right: str
    forward: Value
    backward: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Kinetic:
    """KINETIC with CONSERVE: ionc's `kinetic { A <-> B (kf, kb); open O }`."""

    reactions: tuple[Reaction, ...]
    open: tuple[str, ...]


def channel_names(suffix: str, currents: list[tuple[str | None, str]]) -> list[str]:
    """One channel per current: SUFFIX alone, or SUFFIX_ion / SUFFIX_<current without its i>."""
    if len(currents) <= 1:
        return [suffix] * len(currents)
    return [f"{suffix}_{ion}" if ion else f"{suffix}_{name.removeprefix('i') or name}" for ion, name in currents]


def analyse_current(name: str, channel_name: str, ion: str | None, module: ast.Module,
                    outcome: Outcome, span: Span) -> tuple[Channel, ...]:
    """The channel(s) of one current: one per term of a conductance that is a sum of gate products."""
    value = outcome.assigned.get(name)
    if value is None:
        raise fail(Code.E204, f"BREAKPOINT does not assign the current '{name}'", span)
    current = SympyBuilder().build(value)
    assignment = value.span if isinstance(value, Let) else span
    if V in sp.diff(current, V).free_symbols and ion is not None:
        return (_ghk_channel(current, channel_name, name, assignment, ion, module, outcome, span),)
    conductance, reversal = _ohmic(current, name, span)
    if outcome.reactions:
        return (_kinetic_channel(conductance, channel_name, name, assignment, ion, _reversal(reversal, ion),
                                 module, outcome, span),)
    terms = sp.Add.make_args(sp.expand(conductance, deep=False, power_base=False, power_exp=False,
                                       multinomial=False, log=False))
    names = [channel_name] if len(terms) == 1 else [f"{channel_name}_{k}" for k in range(1, len(terms) + 1)]
    return tuple(
        _channel(term, term_name, name, assignment, ion, _reversal(reversal, ion), module, outcome, span)
        for term, term_name in zip(terms, names, strict=True))


def _channel(conductance: sp.Expr, channel_name: str, name: str, assignment: Span, ion: str | None,
             reversal: Value | None, module: ast.Module, outcome: Outcome, span: Span) -> Channel:
    states = {d.name for d in module.declared("STATE")}
    powers, coefficient = _split_gates(conductance, states)
    constants = parameter_values(module)
    parameter, factor, conductance_q10 = _conductance(coefficient, module, constants, name, span)
    order = [d.name for d in module.declared("STATE")]
    gates = tuple(_gate(state, powers[state], module, outcome, span, constants)
                  for state in order if state in powers)
    shared = _shared_q10(gates)
    if shared is not None:
        gates = tuple(Gate(g.state, g.power, g.form, g.first, g.second, None, g.span) for g in gates)
    return Channel(channel_name, name, span, assignment, ion, parameter, factor, conductance_q10,
                   reversal, gates, shared)


def _ghk_channel(current: sp.Expr, channel_name: str, name: str, assignment: Span, ion: str, module: ast.Module,
                 outcome: Outcome, span: Span) -> Channel:
    """pbar * gates * the Goldman-Hodgkin-Katz flux of the ion: ionc's `pbar` channel."""
    states = {d.name for d in module.declared("STATE")}
    powers, rest = _split_gates(current, states)
    parameters = {d.name: d for d in module.declared("PARAMETER") if d.value is not None and d.unit}
    for factor in sp.Mul.make_args(rest):
        declaration = parameters.get(str(factor))
        if declaration is not None and declaration.unit is not None and _velocity(declaration.unit):
            if ghk_matches(rest / factor, ion, module):
                constants = parameter_values(module)
                order = [d.name for d in module.declared("STATE")]
                gates = tuple(_gate(state, powers[state], module, outcome, span, constants)
                              for state in order if state in powers)
                return Channel(channel_name, name, span, assignment, ion, declaration, Fraction(1), None, None,
                               gates, None, permeability=True)
    raise fail(Code.E205, f"'{name}' = {current} is neither ohmic (g * (v - e)) nor a permeability (cm/s) "
               f"times gates times the GHK flux of {ion}", span)


def _velocity(unit_text: str) -> bool:
    unit = parse_nmodl_unit(unit_text)
    if unit is None:
        return False
    _, dimension = si_scale(unit)
    return dimension == (LENGTH / TIME)


# the GHK flux per unit permeability in NEURON's units: mA/cm2 per cm/s, v in mV, concentrations in mM
GHK_PROBES = ((-70, 6.3), (-20, 36), (15, 22), (40, 6.3))
GHK_TOLERANCE = 1e-6  # relative: the .mod file's FARADAY and R may be older values than ionc's
_VALENCES = {"na": 1, "k": 1, "ca": 2, "cl": -1}
_CONCENTRATIONS = (5e-5, 2.0)


def ghk_matches(flux: sp.Expr, ion: str, module: ast.Module) -> bool:
    """Whether `flux` is z^2 F^2 v/(R T) (ci - co exp(-z F v/(R T)))/(1 - exp(-z F v/(R T))), numerically."""
    valence = next((int(i.valence) for i in module.ions if i.ion == ion and i.valence is not None),
                   _VALENCES.get(ion))
    if valence is None:
        return False
    constants: dict[sp.Symbol, sp.Expr] = dict(parameter_values(module))
    for constant in module.constants:
        known = {"faraday": FARADAY, "k-mole": GAS_CONSTANT}.get(constant.quantity)
        if known is not None:
            constants[symbol(constant.name)] = sp.Float(known)
    inside, outside = _CONCENTRATIONS
    for voltage, celsius in GHK_PROBES:
        point = {**constants, V: voltage, CELSIUS: celsius, symbol(f"{ion}i"): inside, symbol(f"{ion}o"): outside}
        value = complex(sp.N(flux.subs(point)))
        x = valence * FARADAY * voltage * 1e-3 / (GAS_CONSTANT * (celsius + 273.15))
        expected = 1e-3 * valence * FARADAY * x * (inside - outside * math.exp(-x)) / (1 - math.exp(-x))
        if value.imag != 0 or abs(value.real - expected) > GHK_TOLERANCE * abs(expected):
            return False
    return True


def _kinetic_channel(conductance: sp.Expr, channel_name: str, name: str, assignment: Span, ion: str | None,
                     reversal: Value | None, module: ast.Module, outcome: Outcome, span: Span) -> Channel:
    """gbar * (O1 + O2 + ...) over the scheme's open states."""
    scheme = {state for reaction, _, _ in outcome.reactions for _, state in reaction.left + reaction.right}
    expanded = sp.expand(conductance, deep=False, power_base=False, power_exp=False, multinomial=False, log=False)
    coefficients, open_states = set(), []
    for term in sp.Add.make_args(expanded):
        powers, coefficient = _split_gates(term, scheme)
        if len(powers) != 1 or next(iter(powers.values())) != 1:
            raise fail(Code.E205, f"the conductance of '{name}' is not gbar times a sum of the KINETIC "
                       f"scheme's states ({term})", span)
        coefficients.add(coefficient)
        open_states.append(next(iter(powers)))
    if len(coefficients) != 1:
        raise fail(Code.E205, f"the open states of '{name}' have different conductances", span)
    constants = parameter_values(module)
    parameter, factor, conductance_q10 = _conductance(coefficients.pop(), module, constants, name, span)
    _check_conserve(outcome, scheme, span)
    order = [d.name for d in module.declared("STATE")]
    return Channel(channel_name, name, span, assignment, ion, parameter, factor, conductance_q10, reversal, (),
                   None, Kinetic(_reactions(outcome), tuple(s for s in order if s in open_states)))


def _reactions(outcome: Outcome) -> tuple[Reaction, ...]:
    found = []
    for reaction, forward, backward in outcome.reactions:
        if len(reaction.left) != 1 or len(reaction.right) != 1 or reaction.left[0][0] != 1 or reaction.right[0][0] != 1:
            raise fail(Code.E205, "ionc's kinetic schemes join one state to one state (no A + B, no 2A)",
                       reaction.span)
        found.append(Reaction(reaction.left[0][1], reaction.right[0][1], forward, backward, reaction.span))
    return tuple(found)


def _check_conserve(outcome: Outcome, scheme: set[str], span: Span) -> None:
    """ionc keeps the occupancies summing to 1: a CONSERVE must say the same, or be absent."""
    for conserve in outcome.conserves:
        states = {state for count, state in conserve.states if count == 1}
        total = conserve.total
        if states != scheme or len(conserve.states) != len(scheme) or not (
                isinstance(total, ast.Number) and total.value == 1):
            raise fail(Code.E205, "ionc conserves the sum of all the scheme's states, equal to 1: this CONSERVE "
                       "says something else", conserve.span)
    if outcome.derivatives.keys() & scheme:
        raise fail(Code.E205, "a state of the KINETIC scheme also has an x' = ... equation", span)


def _ohmic(current: sp.Expr, name: str, span: Span) -> tuple[sp.Expr, sp.Expr]:
    slope = sp.diff(current, V)
    if slope == 0 or V in slope.free_symbols:
        raise fail(Code.E205, f"'{name}' = {current} is not of the form g * (v - e)", span,
                   "ionc imports ohmic currents; GHK currents are not translated yet")
    reversal = sp.cancel(-current.subs(V, 0) / slope)
    if reversal.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or slope.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise fail(Code.E401, f"'{name}' is infinite or undefined (a division by zero)", span)
    return slope, reversal


def _split_gates(conductance: sp.Expr, states: set[str]) -> tuple[dict[str, int], sp.Expr]:
    powers: dict[str, int] = {}
    rest = sp.Integer(1)
    for factor in sp.Mul.make_args(conductance):
        base, exponent = factor.as_base_exp()
        if isinstance(base, sp.Symbol) and base.name in states and exponent.is_Integer and exponent > 0:
            powers[base.name] = powers.get(base.name, 0) + int(exponent)
        else:
            rest = rest * factor
    return powers, rest


def parameter_values(module: ast.Module) -> dict[sp.Symbol, sp.Rational]:
    """Each PARAMETER or CONSTANT with a value, as an exact number."""
    return {symbol(d.name): sp.Rational(d.value.value.numerator, d.value.value.denominator)
            for d in module.declarations
            if d.block in ("PARAMETER", "CONSTANT") and d.value is not None and d.name not in ("v", "celsius")}


def _conductance(coefficient: sp.Expr, module: ast.Module, constants: dict[sp.Symbol, sp.Rational], name: str,
                 span: Span) -> tuple[ast.Declaration, Fraction, Q10 | None]:
    """One PARAMETER times a number and at most one Q^((celsius - T)/10)."""
    parameters = {d.name: d for d in module.declared("PARAMETER") if d.value is not None}
    found: list[ast.Declaration] = []
    factor, q10 = sp.Integer(1), None
    for part in sp.Mul.make_args(coefficient):
        if isinstance(part, sp.Symbol) and part.name in parameters and not found:
            found.append(parameters[part.name])
        elif part.is_Rational:
            factor = factor * part
        elif q10 is None and (q10 := _as_q10(part, {}, constants)) is not None:
            continue
        else:
            found.clear()
            break
    if len(found) != 1:
        raise fail(Code.E205, f"the conductance of '{name}' is {coefficient}, not one PARAMETER "
                   "(times a number and a q10 factor)", span,
                   "ionc's channels have one conductance parameter, gbar, times their gates")
    return found[0], Fraction(int(factor.p), int(factor.q)), q10


def _reversal(reversal: sp.Expr, ion: str | None) -> Value | None:
    if ion is not None and reversal == symbol(f"e{ion}"):
        return None
    return from_sympy(reversal, {})


def _gate(state: str, power: int, module: ast.Module, outcome: Outcome, span: Span,
          constants: dict[sp.Symbol, sp.Rational]) -> Gate:
    if state not in outcome.derivatives:
        raise fail(Code.E204, f"the current reads the STATE '{state}', but no {state}' = ... is solved", span)
    value, equation = outcome.derivatives[state]
    lets: dict[sp.Symbol, Let] = {}
    opaque = frozenset(let.ident for let in lets_in(value) if is_opaque(let))
    rate = SympyBuilder(opaque, lets).build(value)
    x = symbol(state)
    slope, offset = sp.diff(rate, x), rate.subs(x, 0)
    others = {s.name for s in (slope.free_symbols | offset.free_symbols)} & {d.name for d in module.declared("STATE")}
    if x in slope.free_symbols or others:
        raise fail(Code.E400, f"{state}' is not linear in {state} with rates of v alone, "
                   "so it is not an ionc gate", equation)
    return _best_form(state, power, slope, offset, lets, equation, constants)


def _best_form(state: str, power: int, slope: sp.Expr, offset: sp.Expr, lets: dict[sp.Symbol, Let],
               span: Span, constants: dict[sp.Symbol, sp.Rational]) -> Gate:
    alpha, beta = sp.cancel(offset), sp.cancel(-slope - offset)
    inf, tau = _simplest(-offset / slope), _simplest(-1 / slope)
    # rates only where shorter, and never with a branch inside: ionc guards a removable
    # singularity of a rate, not one hidden in a branch of inf / tau's if
    rates = (sp.count_ops(alpha) + sp.count_ops(beta) < sp.count_ops(inf) + sp.count_ops(tau)
             and not _branches(alpha, lets) and not _branches(beta, lets))
    if rates:
        q10 = _common_q10((alpha, beta), lets, 1, constants)
        if q10 is not None:
            alpha, beta = alpha / q10[1], beta / q10[1]
    else:
        q10 = _common_q10((tau,), lets, -1, constants)
        if q10 is not None:
            tau = tau / q10[1]  # the factor is phi^-1
    first, second = (alpha, beta) if rates else (inf, tau)
    for part in (first, second):
        _refuse_infinite(part, state, span)
    return Gate(state, power, "rates" if rates else "steady", from_sympy(first, lets), from_sympy(second, lets),
                None if q10 is None else q10[0], span)


def _refuse_infinite(expr: sp.Expr, state: str, span: Span) -> None:
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise fail(Code.E401, f"the equation of {state} is infinite or undefined everywhere "
                   "(a division by zero, a log of 0)", span)


def _simplest(expr: sp.Expr) -> sp.Expr:
    cancelled = sp.cancel(expr)
    return cancelled if sp.count_ops(cancelled) < sp.count_ops(expr) else expr


def _branches(expr: sp.Expr, lets: dict[sp.Symbol, Let]) -> bool:
    """Whether an expression, its lets expanded, has an if (a Piecewise, min or max)."""
    full = expr.subs({symbol_: SympyBuilder().build(let) for symbol_, let in lets.items()})
    return bool(full.has(sp.Piecewise, sp.Min, sp.Max))


def _common_q10(rates: tuple[sp.Expr, ...], lets: dict[sp.Symbol, Let], sign: int,
                constants: dict[sp.Symbol, sp.Rational]) -> tuple[Q10, sp.Expr] | None:
    """A factor Q^((celsius - T)/10) (to the power `sign`) of every expression, and that factor."""
    for factor in sp.Mul.make_args(rates[0]):
        base, exponent = factor.as_base_exp()
        if exponent != sign:
            continue
        q10 = _as_q10(base, lets, constants)
        if q10 is not None and all(_has_factor(rate, factor) for rate in rates):
            return q10, factor
    return None


def _has_factor(expr: sp.Expr, factor: sp.Expr) -> bool:
    return factor in sp.Mul.make_args(expr)


def _as_q10(candidate: sp.Expr, lets: dict[sp.Symbol, Let], constants: dict[sp.Symbol, sp.Rational]) -> Q10 | None:
    """Q and T of Q^((celsius - T)/10), PARAMETERs taken at their values (q10 = 2.3, temp = 23)."""
    let = lets.get(candidate) if isinstance(candidate, sp.Symbol) else None
    expr = (SympyBuilder().build(let.value) if let is not None else candidate).subs(constants)
    if not isinstance(expr, sp.Pow) or not expr.base.is_Rational or expr.base <= 0:
        return None
    exponent = sp.expand(expr.exp)
    if sp.diff(exponent, CELSIUS) != sp.Rational(1, 10) or exponent.free_symbols != {CELSIUS}:
        return None
    reference = -exponent.subs(CELSIUS, 0) * 10
    return Q10(Fraction(int(expr.base.p), int(expr.base.q)), Fraction(int(reference.p), int(reference.q)),
               None if let is None else let.span)


def _shared_q10(gates: tuple[Gate, ...]) -> Q10 | None:
    factors = {(g.q10.factor, g.q10.reference) if g.q10 else None for g in gates}
    if len(factors) != 1 or None in factors:
        return None
    return gates[0].q10


@dataclass(frozen=True, slots=True)
class Pool:
    """A concentration the mechanism integrates itself (USEION ca ... WRITE cai, cai' = ...)."""

    name: str
    ion: str
    state: str  # cai
    equation: Value  # cai' = ...
    span: Span


def pools(module: ast.Module, outcome: Outcome, name: str) -> tuple[Pool, ...]:
    """The concentrations the mechanism writes and solves as STATEs: ionc pools."""
    found = []
    for ion in module.ions:
        for written in ion.writes:
            if written != f"{ion.ion}i":
                if written == f"{ion.ion}o":
                    raise fail(Code.E205, f"writes {written}: ionc pools integrate inside concentrations only",
                               ion.span)
                continue
            if written not in outcome.derivatives:
                raise fail(Code.E204, f"writes {written} but solves no {written}' = ...: ionc pools are "
                           "concentration equations", ion.span)
            equation, span = outcome.derivatives[written]
            found.append(Pool(name, ion.ion, written, equation, span))
    return tuple(found)
