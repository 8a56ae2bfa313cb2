"""`ionc export FILE --to nmodl -o DIR`: one NEURON .mod file per channel and pool.

Each file is written from the channel ionc derives (`DerivedChannel`: the
lowered parameters, the guarded rates, inf, tau, the kinetic scheme and the
current, the equations `ionc show` prints and `ionc run` simulates), never
from the model text; the model text appears only in comments, each equation
with its file:line. This module decides everything; the template
(`templates/mechanism.mod.j2`) only lays the blocks out.

What a .mod file holds:

* NEURON: SUFFIX (the channel's name), USEION per ion (READ e<ion>, <ion>i,
  <ion>o as the equations read them, WRITE i<ion>; a pool READs i<ion> and
  WRITEs <ion>i), NONSPECIFIC_CURRENT i for nonspecific channels, RANGE for
  the parameters and for what the file computes (g, i, inf, tau, rates).
* PARAMETER with units: ionc's internal units (mV, ms, mM, /ms, ...), except
  that NEURON wants conductance densities in S/cm2 (ionc's mS/cm2 / 1000) and
  current densities in mA/cm2 (ionc's uA/cm2 / 1000). Each parameter line
  cites the model line it comes from.
* BREAKPOINT: SOLVE states METHOD cnexp (gates, pools) or SOLVE scheme METHOD
  sparse (kinetic schemes), then i = g (v - e) (or the GHK flux) in mA/cm2.
* DERIVATIVE: x' = (xinf - x)/xtau per gate and pool (cnexp is then exactly
  ionc's update, x + (1 - exp(-dt/tau)) (inf - x) with v frozen); an equation
  written as x' = A x + B becomes inf = -B/A, tau = -1/A, as ionc derives it
  (nocmodl's cnexp cannot read every expression: `^` for one).
* KINETIC: one `~ A <-> B (phi*rate_A_B, phi*rate_B_A)` per reaction, and
  CONSERVE (the occupancies sum to 1).
* INITIAL: gates at their steady state at v; a scheme at its steady state
  (SOLVE scheme STEADYSTATE sparse, the null space of its rate matrix); a pool
  at the cell's inside concentration (what NEURON's finitialize gives the
  concentration, cai0_ca_ion unless set), as ionc starts a pool.
* PROCEDURE rates(): the rates, each removable singularity guarded as ionc
  guards it (within GUARD_WIDTH of the point, the exact limit plus the exact
  slope times the distance), the q10 factors from celsius.
* FUNCTION efun(x) = x/(1 - exp(-x)) for the GHK flux, its limit 1 at v = 0.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import sympy as sp

from ionc.diagnostics import Code, fail
from ionc.export.printer import NmodlName, NmodlPrinter, Statements, name, number
from ionc.ir import lowered as low
from ionc.ir import resolved as ir
from ionc.source import Span
from ionc.symbolic.derive import DerivedChannel, DerivedGate, GuardedRate
from ionc.symbolic.ghk import efun
from ionc.symbolic.singularities import GUARD_WIDTH

TEMPLATES = Path(__file__).parent / "templates"
ABSOLUTE_ZERO = sp.Rational("273.15")
KELVIN = name("(celsius + 273.15)")  # T, printed whole (not split by the common factors of a sum)
CURRENT_SCALE = sp.Integer(1000)  # ionc's uA/cm2 per NEURON's mA/cm2 (and mS/cm2 per S/cm2)

# ionc's internal unit -> (NEURON's unit, how many ionc units make one NEURON unit)
CONVERTED_UNITS = {"mS/cm2": ("S/cm2", CURRENT_SCALE), "uA/cm2": ("mA/cm2", CURRENT_SCALE)}

# Unit names a .mod file must define before using them (the others are nrnunits.lib's own).
UNIT_DEFINITIONS = {"mV": "millivolt", "mA": "milliamp", "S": "siemens", "mM": "milli/liter", "um": "micron",
                    "nA": "nanoamp", "uS": "microsiemens", "uF": "microfarad", "nF": "nanofarad"}

C_NAMES = frozenset({"y0", "y1", "j0", "j1"})  # C's Bessel functions: a STATE y would declare y0
NEURON_IONS = ("na", "k", "ca")  # the ions NEURON defines, with their valences

# NEURON's own mechanisms: a .mod file with one of these SUFFIXes would not load.
NEURON_MECHANISMS = frozenset({
    "hh", "pas", "fastpas", "extracellular", "capacitance", "morphology", "na_ion", "k_ion", "ca_ion",
    "cl_ion", "IClamp", "SEClamp", "VClamp", "OClamp", "APCount", "ExpSyn", "Exp2Syn", "AlphaSynapse",
    "NetStim", "IntFire1", "IntFire2", "IntFire4", "PatternStim", "PointProcessMark",
})

# Names a .mod file cannot give a variable: NMODL's keywords; what nocmodl refuses (the functions
# it knows, NEURON's own variables); the C++ keywords that break the code it writes (the others
# compile: tested with NEURON 9.0.2); and NEURON's globals, which a PARAMETER would shadow.
RESERVED = frozenset("""
TITLE COMMENT ENDCOMMENT VERBATIM ENDVERBATIM NEURON SUFFIX POINT_PROCESS ARTIFICIAL_CELL USEION READ WRITE
VALENCE REPRESENTS NONSPECIFIC_CURRENT ELECTRODE_CURRENT RANGE GLOBAL POINTER BBCOREPOINTER EXTERNAL
THREADSAFE UNITS PARAMETER ASSIGNED STATE CONSTANT INDEPENDENT DEPENDENT INITIAL BREAKPOINT DERIVATIVE
KINETIC LINEAR NONLINEAR PROCEDURE FUNCTION FUNCTION_TABLE NET_RECEIVE SOLVE METHOD STEADYSTATE CONSERVE
COMPARTMENT LONGITUDINAL_DIFFUSION LOCAL TABLE DEPEND FROM TO WITH BY IFERROR SWEEP FIRST LAST PLOT VS
UNITSON UNITSOFF CONSTRUCTOR DESTRUCTOR WATCH FOR_NETCONS MUTEXLOCK MUTEXUNLOCK BEFORE AFTER STEP SENS
MATCH MODEL_LEVEL PARTIAL REACT REACTION LAG PUTQ GETQ RESET TERMINAL SOLVEFOR PROTECT DISCRETE STEPPED
SECTION NRNPOINTER RANDOM
exp log log10 sqrt fabs pow sin cos tan asin acos atan atan2 sinh cosh tanh floor ceil fmod erf at_time
area diam t nrn_ghk if else while error printf
and auto bool char const double extern for int not nullptr or return static template void xor
v dt celsius secondorder PI
""".split())


# ---------------------------------------------------------------- the view the template lays out


@dataclass(frozen=True)
class Line:
    """One declaration: its text and a trailing comment."""

    text: str
    comment: str = ""


@dataclass
class Block:
    """A PROCEDURE, FUNCTION or statement block: its LOCALs and lines."""

    name: str
    locals: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    signature: str = ""  # 'rates()'


@dataclass
class Mechanism:
    """Everything a .mod file says, as text."""

    suffix: str
    title: str
    header: list[str]
    neuron: list[str]
    ranges: list[str]
    units: list[Line]
    parameters: list[Line]
    assigned: list[Line]
    states: list[Line]
    breakpoint: Block
    initial: Block
    derivative: Block | None
    kinetic: Block | None
    procedures: list[Block]
    functions: list[Block]
    parameter_names: dict[str, tuple[str, float]]  # ionc name -> (RANGE name, NEURON value per ionc value)
    state_names: dict[str, str]  # ionc state -> what NEURON records: 'tm_na.m', or 'cai' for a pool
    reads: tuple[str, ...]  # the ion variables the mechanism reads: 'ena', 'cai', 'ica'


@dataclass(frozen=True)
class Exported:
    """One written file: the mechanism's SUFFIX, its .mod text, and how its names map to ionc's."""

    suffix: str
    text: str
    parameters: dict[str, tuple[str, float]] = field(default_factory=dict)  # ionc name -> (RANGE name, factor)
    states: dict[str, str] = field(default_factory=dict)  # ionc state -> NEURON record ('tm_na.m', 'cai')
    reads: tuple[str, ...] = ()  # ion variables read ('ena', 'cai', 'ica')


# ---------------------------------------------------------------- names


class Namer:
    """The names of one .mod file: NEURON's, the model's (kept unless NMODL reserves them)
    and the ones the exporter makes up (made unique)."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.used: set[str] = set(taken)

    def model(self, text: str, state: bool = False) -> str:
        """A name from the model (a parameter, gate or state). nocmodl gives each STATE x a
        variable x0 (its initial value), which must be free too (and not C's y0 or j0)."""
        def free(candidate: str) -> bool:
            taken = candidate in RESERVED or candidate in self.used
            return not taken and not (state and (f"{candidate}0" in self.used or f"{candidate}0" in C_NAMES))

        new = text
        if not free(text):
            new, k = f"{text}_", 2
            while not free(new):
                new, k = f"{text}_{k}", k + 1
        self.used.add(new)
        if state:
            self.used.add(f"{new}0")
        return new

    def fresh(self, stem: str) -> str:
        candidate, k = stem, 2
        while candidate in RESERVED or candidate in self.used:
            candidate, k = f"{stem}{k}", k + 1
        self.used.add(candidate)
        return candidate


# ---------------------------------------------------------------- one channel


@dataclass
class _Context:
    """What building one mechanism keeps: names, substitutions and what the blocks use."""

    derived: DerivedChannel
    root: Path  # the directory of the exported file: source citations are relative to it
    namer: Namer
    printer: NmodlPrinter = field(default_factory=NmodlPrinter)
    subs: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)  # ionc symbol -> NMODL expression
    factors: dict[NmodlName, sp.Expr] = field(default_factory=dict)  # q10 factors: name -> value in T
    inf: dict[sp.Symbol, str] = field(default_factory=dict)  # gate state -> its steady-state variable
    tau: dict[sp.Symbol, str] = field(default_factory=dict)  # gate state -> its time-constant variable
    reads: dict[str, list[str]] = field(default_factory=dict)  # ion -> variables read
    writes: dict[str, list[str]] = field(default_factory=dict)  # ion -> variables written
    ranges: list[str] = field(default_factory=list)
    assigned: list[Line] = field(default_factory=list)
    nonspecific: str | None = None  # the NONSPECIFIC_CURRENT
    uses_celsius: bool = False
    valences: dict[str, int] = field(default_factory=dict)  # ion -> valence, for ions NEURON does not define

    def nmodl(self, expr: sp.Expr) -> sp.Expr:
        """An ionc expression over the .mod file's names (parameters scaled to NEURON's units)."""
        result: sp.Expr = sp.sympify(expr).xreplace(self.subs)
        result = result.xreplace({name("celsius") + ABSOLUTE_ZERO: KELVIN})
        stray = [s for s in result.free_symbols if not isinstance(s, NmodlName)]
        if stray:
            raise ValueError(f"channel {self.derived.channel.name}: no NMODL name for {', '.join(map(str, stray))}")
        if result.free_symbols & {name("celsius"), KELVIN}:
            self.uses_celsius = True
        return result

    def text(self, expr: sp.Expr) -> str:
        return str(self.printer.doprint(expr))

    def statements(self) -> Statements:
        return Statements(self.printer, self.namer.fresh)

    def where(self, span: Span) -> str:
        return cite(span, self.root)

    def computed(self, text: str, unit: str, comment: str = "") -> None:
        """An ASSIGNED variable the file computes, RANGE so that each segment has its own."""
        self.assigned.append(Line(f"{text} ({unit})", comment))
        self.ranges.append(text)

    def use_ion(self, ion: str, read: Sequence[str] = (), write: Sequence[str] = ()) -> None:
        for variable in read:
            if variable not in self.reads.setdefault(ion, []):
                self.reads[ion].append(variable)
        for variable in write:
            if variable not in self.writes.setdefault(ion, []):
                self.writes[ion].append(variable)

    def block(self, block: Block, body: Statements, after: int = 0) -> Block:
        """The block with the body's lines, the q10 factors they use (LOCALs) computed after
        the first `after` lines (a BREAKPOINT's SOLVE statements)."""
        text = "\n".join(body.lines)
        prelude = []
        for local, value in self.factors.items():
            if re.search(rf"\b{re.escape(local.name)}\b", text):
                body.locals.insert(0, local.name)
                prelude.append(f"{local.name} = {self.text(self.nmodl(value))}")
        block.lines = body.lines[:after] + prelude + body.lines[after:]
        block.locals = body.locals
        return block


def cite(span: Span, root: Path) -> str:
    """'traub_miles.ionc:24': the file (relative to the exported file's directory) and line."""
    shown = Path(os.path.relpath(Path(span.source.path).resolve(), root.resolve())).as_posix()
    return f"{shown}:{span.line}"


def equation_text(span: Span) -> str:
    """The model text of an equation on one line (whitespace collapsed, comments dropped)."""
    text = " ".join(re.sub(r"(#|//).*", "", line).strip() for line in span.text.splitlines())
    return re.sub(r"\s+", " ", text).strip()


def mechanism(derived: DerivedChannel, root: Path, valences: Mapping[str, int] | None = None) -> Mechanism:
    """The .mod file of one derived channel or pool, as a view for the template. `valences`
    gives the valence of ions NEURON does not define itself (from the model's cells)."""
    channel = derived.channel
    if channel.name in NEURON_MECHANISMS or channel.name in RESERVED:
        at = re.search(rf"\b{re.escape(channel.name)}\b", channel.span.text)
        span = channel.span.sub(at.start(), at.end()) if at else channel.span
        why = ("NEURON has a built-in mechanism" if channel.name in NEURON_MECHANISMS
               else "NMODL reserves the name")
        raise fail(Code.E206, f"{why} '{channel.name}': a .mod file with that SUFFIX would not load", span,
                   f"rename it, e.g. '{channel.name}_ionc'")
    ctx = _Context(derived=derived, root=root, namer=Namer({"v", "celsius"}), valences=dict(valences or {}))
    _names(ctx)
    uses_efun = channel.ghk is not None and channel.ghk.has(efun)
    if uses_efun:  # named before any block prints a call to it
        ctx.printer.functions["efun"] = ctx.namer.fresh("efun")
    parameters = [_parameter_line(ctx, p) for p in channel.parameters]
    states = _state_lines(ctx)
    rates = _rates_procedure(ctx)
    derivative = _derivative(ctx, rates)
    kinetic = _kinetic(ctx, rates)
    breakpoint = _breakpoint(ctx, derivative, kinetic)
    initial = _initial(ctx, rates, kinetic)
    functions = [_efun_function(ctx)] if uses_efun else []
    return Mechanism(
        suffix=channel.name,
        title=f"{channel.name}: exported by ionc from {ctx.where(channel.span).rsplit(':', 1)[0]}",
        header=_header(ctx),
        neuron=_neuron_block(ctx),
        ranges=[line.text.split(" ", 1)[0] for line in parameters] + ctx.ranges,
        units=_units(ctx, parameters, states),
        parameters=parameters,
        assigned=_assigned(ctx),
        states=states,
        breakpoint=breakpoint,
        initial=initial,
        derivative=derivative,
        kinetic=kinetic,
        procedures=[rates] if rates.lines else [],
        functions=functions,
        parameter_names={p.name: (line.text.split(" ", 1)[0], 1 / float(_unit_scale(p)))
                         for p, line in zip(channel.parameters, parameters, strict=True)},
        state_names=_state_records(ctx),
        reads=tuple(variable for ion in ctx.reads for variable in ctx.reads[ion]),
    )


def _unit_scale(parameter: low.Parameter) -> sp.Expr:
    return CONVERTED_UNITS.get(parameter.unit, (parameter.unit, sp.Integer(1)))[1]


def _state_records(ctx: _Context) -> dict[str, str]:
    """Each state by its ionc name, as NEURON records it."""
    derived, suffix = ctx.derived, ctx.derived.channel.name
    records = {}
    for gate in derived.gates:
        nmodl_name = ctx.text(ctx.subs[gate.gate.state])
        records[gate.gate.name] = nmodl_name if derived.channel.pool else f"{suffix}.{nmodl_name}"
    if derived.kinetic is not None:
        for state, text in zip(derived.kinetic.states, derived.kinetic.kinetic.names, strict=True):
            records[text] = f"{suffix}.{ctx.text(ctx.subs[state])}"
    return records


def _ions(channel: low.Channel) -> list[str]:
    """The ions whose concentrations a channel may read: ionc's, and the channel's own."""
    from ionc.sema.ions import KNOWN_IONS

    return list(KNOWN_IONS) + ([channel.ion] if channel.ion and channel.ion not in KNOWN_IONS else [])


def _names(ctx: _Context) -> None:
    """Every ionc symbol the channel's equations read, and what it is in the .mod file."""
    from ionc.lower import T, V
    from ionc.sema.ions import concentration_names
    from ionc.symbolic.bridge import symbol

    derived, namer, subs = ctx.derived, ctx.namer, ctx.subs
    channel = derived.channel
    subs[V] = name("v")
    subs[T] = name("celsius") + ABSOLUTE_ZERO
    for text in concentration_names(_ions(channel)):  # cai, cao, ...: read from the ion
        subs[symbol(text)] = name(text)
        namer.used.add(text)
    if channel.ion is not None:
        namer.used |= {f"e{channel.ion}", f"i{channel.ion}"}
        subs[symbol(f"e_{channel.ion}")] = name(f"e{channel.ion}")
        subs[symbol(f"i{channel.ion}")] = CURRENT_SCALE * name(f"i{channel.ion}")  # a pool reads i<ion> (mA/cm2)
    for parameter in channel.parameters:
        _, scale = CONVERTED_UNITS.get(parameter.unit, (parameter.unit, sp.Integer(1)))
        subs[parameter.symbol] = scale * name(namer.model(parameter.name))
    for gate in derived.gates:
        subs[gate.gate.state] = (name(f"{channel.ion}i") if channel.pool
                                 else name(namer.model(gate.gate.name, state=True)))
    if derived.kinetic is not None:
        for state, text in zip(derived.kinetic.states, derived.kinetic.kinetic.names, strict=True):
            subs[state] = name(namer.model(text, state=True))
    # the q10 factors, each computed from celsius where it is used
    factors: list[tuple[sp.Symbol, str, sp.Expr]] = [(derived.phi, "phi", channel.q10)]
    for gate in derived.gates:
        own = getattr(gate.gate, "temperature_factor", None)  # a gate's own q10
        if own is not None:
            factors.append((own[0], f"phi_{gate.gate.name}", own[1]))
    conductance = getattr(channel, "conductance_factor", None)  # `q10 gbar = ...`
    if conductance is not None:
        factors.append((conductance[0], f"phi_{_conductance_name(channel)}", conductance[1]))
    for symbol_, stem, value in factors:
        if sp.sympify(value) == 1:
            subs[symbol_] = sp.Integer(1)
        else:
            local = name(namer.fresh(stem))
            subs[symbol_] = local
            ctx.factors[local] = value


def _conductance_name(channel: low.Channel) -> str:
    return next((p.name for p in channel.parameters if p.symbol in channel.conductance.free_symbols), "g")


def _parameter_line(ctx: _Context, parameter: low.Parameter) -> Line:
    unit, scale = CONVERTED_UNITS.get(parameter.unit, (parameter.unit, sp.Integer(1)))
    shown = (ctx.subs[parameter.symbol] / scale).name
    value = parameter.value / float(scale)
    note = f"{equation_text(parameter.span)} ({ctx.where(parameter.span)})"
    if unit != parameter.unit:
        note += f": ionc's {parameter.unit} / {scale}"
    if shown != parameter.name:
        note += f"; renamed: NMODL cannot use '{parameter.name}'"
    return Line(f"{shown} = {number(value)} ({nmodl_unit(unit)})", note)


def nmodl_unit(unit: str) -> str:
    """ionc's unit text in NMODL's spelling: '/ms/mV' -> '/ms-mV', 'ohm*cm' -> 'ohm-cm'."""
    if unit in ("", "1") or "^" in unit:
        return "1"
    numerator, *denominators = unit.split("/")
    return numerator.replace("*", "-") + ("/" + "-".join(denominators) if denominators else "")


def _state_lines(ctx: _Context) -> list[Line]:
    derived = ctx.derived
    lines = []
    for gate in derived.gates:
        state = ctx.text(ctx.subs[gate.gate.state])
        if derived.channel.pool:
            lines.append(Line(f"{state} (mM)", f"the pool's concentration ({ctx.where(gate.gate.span)})"))
        else:
            power = f", to the power {gate.gate.power}" if gate.gate.power != 1 else ""
            renamed = f"; renamed: NMODL cannot use '{gate.gate.name}'" if state != gate.gate.name else ""
            lines.append(Line(f"{state} (1)", f"gate {gate.gate.name}{power} ({ctx.where(gate.gate.span)}){renamed}"))
    if derived.kinetic is not None:
        scheme = derived.kinetic.kinetic
        for k, (state, written) in enumerate(zip(scheme.states, scheme.names, strict=True)):
            kind = "open state" if k in scheme.open else "occupancy"
            text = ctx.text(ctx.subs[state])
            renamed = f"; renamed: NMODL cannot use '{written}'" if text != written else ""
            lines.append(Line(f"{text} (1)", f"{kind} {written} ({ctx.where(scheme.span)}){renamed}"))
    return lines


# ---------------------------------------------------------------- rates


def _rates_procedure(ctx: _Context) -> Block:
    """PROCEDURE rates(): each gate's rates, inf and tau; each reaction's rates."""
    derived = ctx.derived
    body = ctx.statements()
    block = Block(name=ctx.namer.fresh("rates"))
    block.signature = f"{block.name}()"
    for gate in derived.gates:
        _gate_rates(ctx, gate, body)
    if derived.kinetic is not None:
        for rate in derived.kinetic.rates:
            label = derived.kinetic.label(rate)
            variable = ctx.namer.fresh(str(rate.rate.symbol).removeprefix(f"{derived.channel.name}_"))
            ctx.subs[rate.rate.symbol] = name(variable)
            ctx.computed(variable, "/ms", f"the rate {label}, before q10")
            body.blank()
            body.comment(f"{label}: {equation_text(rate.rate.span)} ({ctx.where(rate.rate.span)})")
            _guarded(ctx, body, variable, rate)
    return ctx.block(block, body)


def _gate_rates(ctx: _Context, gate: DerivedGate, body: Statements) -> None:
    """The written rates of one gate, then its inf and tau (from the derived equations)."""
    state = ctx.text(ctx.subs[gate.gate.state])
    joint = "_" if ctx.derived.channel.pool else ""  # cai_inf, not caiinf (next to a pool's cainf)
    inf_name, tau_name = ctx.namer.fresh(f"{state}{joint}inf"), ctx.namer.fresh(f"{state}{joint}tau")
    ctx.inf[gate.gate.state], ctx.tau[gate.gate.state] = inf_name, tau_name
    phi = {ctx.derived.phi: ctx.subs[ctx.derived.phi]}
    inf, tau = sp.sympify(gate.inf).xreplace(phi), sp.sympify(gate.tau).xreplace(phi)
    pool = ctx.derived.channel.pool
    body.blank()
    body.comment(f"{'the pool' if pool else 'gate ' + gate.gate.name} ({ctx.where(gate.gate.span)})")
    for rate in gate.rates:
        label = rate.rate.label
        if label == "ode":  # x' = A x + B, linear in x: inf = -B/A and tau = -1/A
            body.comment(f"{equation_text(rate.rate.span)} ({ctx.where(rate.rate.span)}), as x' = (inf - x)/tau")
            continue
        if rate.rate.symbol == inf:
            variable = inf_name  # the written inf is the steady state
        elif rate.rate.symbol == tau:
            variable = tau_name  # the written tau is the time constant (no q10)
        else:
            variable = ctx.namer.fresh(f"{label}_{state}")
            unit = {"alpha": "/ms", "beta": "/ms", "inf": "1", "tau": "ms"}[label]
            ctx.computed(variable, unit, f"{label} of {gate.gate.name}, as written")
        ctx.subs[rate.rate.symbol] = name(variable)
        body.comment(f"{equation_text(rate.rate.span)} ({ctx.where(rate.rate.span)})")
        _guarded(ctx, body, variable, rate)
    written = {r.rate.symbol for r in gate.rates}
    if inf not in written:
        body.assign(inf_name, ctx.nmodl(inf))
    if tau not in written:
        body.assign(tau_name, ctx.nmodl(tau))
    scaled = bool(ctx.nmodl(tau).free_symbols & set(ctx.factors))  # a q10 factor in tau
    ctx.computed(inf_name, "mM" if pool else "1", f"steady state of {gate.gate.name}")
    ctx.computed(tau_name, "ms", f"time constant of {gate.gate.name}" + (", q10 included" if scaled else ""))


def _guarded(ctx: _Context, body: Statements, variable: str, rate: GuardedRate) -> None:
    points = [(ctx.nmodl(p.at), ctx.nmodl(p.value), ctx.nmodl(p.slope)) for p in rate.singular]
    for at, value, _ in points:
        body.comment(f"0/0 at v = {body.text(at)} mV: within {number(GUARD_WIDTH)} mV of it, the limit "
                     f"{body.text(value)} plus the slope times the distance")
    body.guarded(variable, ctx.nmodl(rate.rate.expr), points, name("v"), GUARD_WIDTH)


# ---------------------------------------------------------------- blocks


def _derivative(ctx: _Context, rates: Block) -> Block | None:
    derived = ctx.derived
    if not derived.gates:
        return None
    body = ctx.statements()
    if rates.lines:
        body.lines.append(rates.signature)
    for gate in derived.gates:
        state = ctx.text(ctx.subs[gate.gate.state])
        body.lines.append(f"{state}' = ({ctx.inf[gate.gate.state]} - {state})/{ctx.tau[gate.gate.state]}")
    return ctx.block(Block(name=ctx.namer.fresh("states")), body)


def _kinetic(ctx: _Context, rates: Block) -> Block | None:
    scheme = ctx.derived.kinetic
    if scheme is None:
        return None
    body = ctx.statements()
    body.lines.append(rates.signature)
    phi = ctx.nmodl(ctx.derived.phi)
    body.comment("each rate times the q10 factor" if phi != 1 else "the rates (no q10 factor)")
    for reaction, forward, backward in zip(scheme.kinetic.reactions, scheme.rates[::2], scheme.rates[1::2],
                                           strict=True):
        left, right = (ctx.text(ctx.subs[scheme.states[k]]) for k in (reaction.left, reaction.right))
        kf, kb = (ctx.text(phi * ctx.subs[r.rate.symbol]) for r in (forward, backward))
        body.lines.append(f"~ {left} <-> {right} ({kf}, {kb})")
    total = " + ".join(ctx.text(ctx.subs[s]) for s in scheme.states)
    body.lines.append(f"CONSERVE {total} = 1")
    return ctx.block(Block(name=ctx.namer.fresh("scheme")), body)


def _open_fraction(derived: DerivedChannel) -> sp.Expr:
    fraction = sp.Mul(*(g.gate.state ** g.gate.power for g in derived.gates))
    if derived.kinetic is not None:
        fraction *= sp.Add(*(derived.kinetic.states[k] for k in derived.kinetic.kinetic.open))
    return fraction


def _breakpoint(ctx: _Context, derivative: Block | None, kinetic: Block | None) -> Block:
    from ionc.lower import V

    derived = ctx.derived
    channel = derived.channel
    body = ctx.statements()
    if derivative is not None:
        body.lines.append(f"SOLVE {derivative.name} METHOD cnexp")
    if kinetic is not None:
        body.lines.append(f"SOLVE {kinetic.name} METHOD sparse")
    for ion, variable in _concentrations_read(ctx):
        ctx.use_ion(ion, read=[variable])
    if channel.pool:
        ion = channel.ion or ""
        ctx.use_ion(ion, read=[f"i{ion}"], write=[f"{ion}i"])
        ctx.assigned.append(Line(f"i{ion} (mA/cm2)", f"the {ion} current density, summed over its channels"))
        return ctx.block(Block(name="BREAKPOINT"), body, after=len(body.lines))
    solves = len(body.lines)
    current = ctx.namer.fresh("i")
    written = (channel.ghk if channel.ghk is not None else channel.conductance * (V - channel.reversal))
    assert sp.expand(written * _open_fraction(derived) - derived.current) == 0, "the current is the derived one"
    if channel.ghk is not None:
        flux = channel.ghk / CURRENT_SCALE * _open_fraction(derived)
        arguments = {f.args[0] for f in sp.preorder_traversal(flux) if isinstance(f, efun)}
        if len(arguments) == 1:
            (argument,) = arguments
            xi = ctx.namer.fresh("xi")
            body.locals.append(xi)
            body.comment("the GHK flux, pbar z F efun(xi) (ci - co exp(-xi)) with xi = z F v/(R T), in mA/cm2")
            body.assign(xi, ctx.nmodl(argument))
            placeholder = sp.Dummy("xi")
            flux = flux.subs(argument, placeholder)
            ctx.subs[placeholder] = name(xi)
        body.assign(current, ctx.nmodl(flux))
        ctx.computed(current, "mA/cm2", "the channel's current density (GHK flux)")
    else:
        conductance = ctx.namer.fresh("g")
        body.comment("ionc's i = gbar (open fraction) (v - e) is in uA/cm2; here it is in mA/cm2 (S/cm2 times mV)")
        body.assign(conductance, ctx.nmodl(channel.conductance / CURRENT_SCALE * _open_fraction(derived)))
        driving = body.text(ctx.nmodl(V - channel.reversal))
        body.lines.append(f"{current} = {conductance}*({driving})")
        ctx.computed(conductance, "S/cm2", "the channel's conductance density")
        ctx.computed(current, "mA/cm2", "the channel's current density")
        if channel.ion is not None and f"e{channel.ion}" in re.findall(r"\w+", driving):
            ctx.use_ion(channel.ion, read=[f"e{channel.ion}"])
    if channel.ion is None:
        ctx.nonspecific = current
    else:
        ctx.use_ion(channel.ion, write=[f"i{channel.ion}"])
        body.lines.append(f"i{channel.ion} = {current}")
        ctx.assigned.append(Line(f"i{channel.ion} (mA/cm2)", f"this channel's part of the {channel.ion} current"))
    return ctx.block(Block(name="BREAKPOINT"), body, after=solves)


def _concentrations_read(ctx: _Context) -> list[tuple[str, str]]:
    """(ion, 'cai'): the concentrations the channel's equations read (a pool's own state aside)."""
    from ionc.sema.ions import concentration_names

    derived = ctx.derived
    exprs: list[sp.Expr] = [derived.current]
    for gate in derived.gates:
        exprs += [sp.sympify(gate.inf), sp.sympify(gate.tau), *(r.expr for r in gate.gate.rates)]
    if derived.kinetic is not None:
        exprs += [r.rate.expr for r in derived.kinetic.rates]
    found = {str(s) for expr in exprs for s in expr.free_symbols}
    own = f"{derived.channel.ion}i" if derived.channel.pool else None
    return [(ion, text) for text, (ion, _) in concentration_names(_ions(derived.channel)).items()
            if text in found and text != own]


def _initial(ctx: _Context, rates: Block, kinetic: Block | None) -> Block:
    derived = ctx.derived
    body = ctx.statements()
    if derived.channel.pool:
        state = ctx.text(ctx.subs[derived.gates[0].gate.state])
        body.comment(f"{state} starts at the cell's inside concentration, as a pool does in ionc (the value")
        body.comment(f"NEURON's finitialize gives it: {state}0_{derived.channel.ion}_ion unless the section sets "
                     f"{state}), not at the pool's resting level")
    elif derived.gates:
        body.comment("every gate at its steady state at v (ionc: inf(v_init))")
        if rates.lines:
            body.lines.append(rates.signature)
        for gate in derived.gates:
            state = ctx.text(ctx.subs[gate.gate.state])
            body.lines.append(f"{state} = {ctx.inf[gate.gate.state]}")
    if kinetic is not None:
        body.comment("the scheme at its steady state at v: A x = 0, the occupancies summing to 1")
        body.lines.append(f"SOLVE {kinetic.name} STEADYSTATE sparse")
    return ctx.block(Block(name="INITIAL"), body)


def _efun_function(ctx: _Context) -> Block:
    function = ctx.printer.functions["efun"]
    return Block(name=function, signature=f"{function}(x)", lines=[
        ": x/(1 - exp(-x)): the GHK flux's 0/0 at v = 0, where its limit is 1",
        ": (below |x| = 1e-4 its series, exact to rounding: the next term is x^4/720)",
        "if (fabs(x) < 1e-4) {",
        f"    {function} = 1 + x/2 + x*x/12",
        "} else {",
        f"    {function} = x/(1 - exp(-x))",
        "}",
    ])


# ---------------------------------------------------------------- the NEURON block, units, header


def _neuron_block(ctx: _Context) -> list[str]:
    own = ctx.derived.channel.ion or ""
    lines = [f"SUFFIX {ctx.derived.channel.name}"]
    for ion in sorted(set(ctx.reads) | set(ctx.writes), key=lambda i: (i != own, i)):
        reads, writes = _read_order(ion, ctx.reads.get(ion, [])), ctx.writes.get(ion, [])
        if not reads and not writes:
            continue
        text = f"USEION {ion}"
        text += f" READ {', '.join(reads)}" if reads else ""
        text += f" WRITE {', '.join(writes)}" if writes else ""
        if ion not in NEURON_IONS and ion in ctx.valences:
            text += f" VALENCE {ctx.valences[ion]}"
        lines.append(text)
    if ctx.nonspecific:
        lines.append(f"NONSPECIFIC_CURRENT {ctx.nonspecific}")
    return lines


def _read_order(ion: str, reads: Sequence[str]) -> list[str]:
    """e<ion> first, then i<ion>, then the concentrations: 'ena', 'ica', 'cai, cao'."""
    return sorted(reads, key=lambda v: (v != f"e{ion}", v != f"i{ion}", v))


def _assigned(ctx: _Context) -> list[Line]:
    lines = [Line("v (mV)")]
    if ctx.uses_celsius:
        lines.append(Line("celsius (degC)"))
    for ion in sorted(ctx.reads):
        for variable in ctx.reads[ion]:
            if variable == f"e{ion}":
                lines.append(Line(f"{variable} (mV)", "the cell's reversal potential"))
            elif variable != f"i{ion}":
                lines.append(Line(f"{variable} (mM)", "a concentration the equations read"))
    seen = {line.text.split(" ", 1)[0] for line in lines}
    for line in ctx.assigned:
        key = line.text.split(" ", 1)[0]
        if key not in seen:
            lines.append(line)
            seen.add(key)
    return lines


def _units(ctx: _Context, *groups: list[Line]) -> list[Line]:
    declared = [line.text for group in (*groups, ctx.assigned) for line in group] + ["(mV)"]
    used = set(re.findall(r"[A-Za-z]+", " ".join(re.findall(r"\(([^)]*)\)", " ".join(declared)))))
    return [Line(f"({unit}) = ({definition})") for unit, definition in UNIT_DEFINITIONS.items() if unit in used]


def _header(ctx: _Context) -> list[str]:
    derived = ctx.derived
    channel = derived.channel
    where = ctx.where(channel.span)
    kind = "pool" if channel.pool else "channel"
    lines = [
        f"Exported by `ionc export --to nmodl` from the {kind} {channel.name} of {where.rsplit(':', 1)[0]}",
        f"(line {channel.span.line}): written from the equations ionc derives for it (those `ionc show`",
        "prints and `ionc run` simulates), not from the model text; each equation below cites",
        "the model line it comes from.",
        "",
    ]
    source = _source_comment(channel.span)
    if source:
        lines += ["From the model file:", *(f"    {line}".rstrip() for line in source), ""]
    lines += [
        "Units: ionc computes in mV, ms, mM, /ms, mS/cm2 and uA/cm2. NEURON wants conductance",
        "densities in S/cm2 and current densities in mA/cm2: parameters in mS/cm2 are given here",
        "in S/cm2 (ionc's value / 1000), and the currents come out in mA/cm2 (S/cm2 times mV).",
    ]
    for local, value in ctx.factors.items():
        lines.append(f"Temperature: {local.name} = {ctx.text(ctx.nmodl(value))} (a q10 factor; celsius in degC).")
    if not ctx.factors and not channel.pool:
        lines.append("Temperature: no q10 factor.")
    unknown = [ion for ion in (set(ctx.reads) | set(ctx.writes)) - set(NEURON_IONS) - set(ctx.valences) if ion]
    if unknown:
        lines.append(f"Valence: the model gives none for ion {', '.join(sorted(unknown))}: add VALENCE to its USEION "
                     "line.")
    if channel.pool:
        lines += ["Update: cnexp, exact with the current frozen over the step (ionc's update); initial state:",
                  f"{channel.ion}i is the cell's inside concentration (as ionc starts a pool), not the pool's",
                  "resting level."]
    elif derived.kinetic is not None:
        lines += ["Update: backward Euler with v frozen over the step (METHOD sparse), as ionc steps a",
                  "scheme; initial state: its steady state at v (STEADYSTATE sparse)."]
    elif derived.gates:
        lines += ["Update: cnexp, the exact exponential step with v frozen (ionc's update); initial state:",
                  "every gate at its steady state at v."]
    rates = [r for g in derived.gates for r in g.rates] + list(derived.kinetic.rates if derived.kinetic else ())
    if any(r.singular for r in rates):
        lines += [f"Removable singularities (0/0) of the rates: within {number(GUARD_WIDTH)} mV of each, the "
                  "rate is its exact", "limit plus its exact slope times the distance, as ionc guards them (no vtrap)."]
    if channel.ghk is not None:
        lines.append("GHK flux: efun(x) = x/(1 - exp(-x)), with its limit 1 at v = 0.")
    # The file's name is in here: it must not end the COMMENT block for any NMODL reader.
    return [line.replace("ENDCOMMENT", "END COMMENT") for line in lines]


def _source_comment(span: Span) -> list[str]:
    """The comment lines right above the declaration in the model file, or else the file's header."""
    source = span.source
    found: list[str] = []
    k = span.line - 1
    while k >= 1 and source.line_text(k).lstrip().startswith(("#", "//")):
        found.insert(0, source.line_text(k))
        k -= 1
    if not found:
        k = 1
        while k <= len(source.line_starts) and source.line_text(k).lstrip().startswith(("#", "//")):
            found.append(source.line_text(k))
            k += 1
    cleaned = [re.sub(r"^\s*(#|//)\s?", "", text).rstrip() for text in found]
    return [text.replace("ENDCOMMENT", "END COMMENT") for text in cleaned]


# ---------------------------------------------------------------- rendering and files


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False,
    )
    return environment.get_template("mechanism.mod.j2")


def render(view: Mechanism) -> str:
    from ionc import __version__

    return _template().render(m=view, version=__version__)


def export_channel(derived: DerivedChannel, root: Path, valences: Mapping[str, int] | None = None) -> Exported:
    """The .mod text of one derived channel or pool; `root` is where source paths are cited from."""
    view = mechanism(derived, root, valences)
    return Exported(suffix=view.suffix, text=render(view), parameters=view.parameter_names, states=view.state_names,
                    reads=view.reads)


def export_file(path: Path, names: Sequence[str] | None = None) -> list[Exported]:
    """Every channel and pool of a model file (its imports included), or those named."""
    from ionc.export import chosen_channels
    from ionc.pipeline import derive_channels, front_end

    model = front_end(Path(path))
    channels = chosen_channels(model, path, names)
    if not channels:
        raise fail(Code.E204, f"{path} declares no channel or pool to export", None)
    derived = derive_channels(channels)
    root = Path(path).resolve().parent
    valences = _valences(model)
    return [export_channel(derived[c.name.text], root, valences) for c in channels]


def _valences(model: ir.Model) -> dict[str, int]:
    """Each ion's valence: ionc's own ions', and those the model's cells declare."""
    from ionc.lower import base_lowerer
    from ionc.sema.ions import KNOWN_IONS
    from ionc.symbolic.bridge import constant_value

    valences = {ion: defaults.valence for ion, defaults in KNOWN_IONS.items()}
    lowerer = base_lowerer()
    for cell in model.cells:
        for block in cell.ions:
            given = next((a.value for a in block.body if a.name.text == "valence"), None)
            if given is not None:
                valences[block.ion.text] = int(constant_value(given, lowerer))
    return valences


