"""Stage 5, derive: the equations that generated code evaluates, per channel.

From each gate's written rates to its ODE dx/dt = A x + B (q10 folded in),
the steady state inf = -B/A, the time constant tau = -1/A and the exact
update with v frozen over a step (exponential Euler, NEURON's cnexp):

    x(t + dt) = inf + (x - inf) * exp(A dt)

From the gates to the membrane current i(v) and its conductance dI/dv,
both symbolic. An ODE that is not linear in its state is an error.

A kinetic scheme becomes its rate matrix A(v) (dx/dt = A x, q10 folded in),
stepped by backward Euler and started at its null space (codegen, runtime).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from ionc.diagnostics import Code, DiagnosticSink
from ionc.ir import lowered as low
from ionc.lower import V
from ionc.symbolic.bridge import symbol
from ionc.symbolic.singularities import PoleError, SingularPoint, rewrite_expm1, singular_points

DT = symbol("dt")


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardedRate:
    rate: low.Rate
    expr: sp.Expr  # with expm1 rewrites
    singular: tuple[SingularPoint, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedGate:
    gate: low.Gate
    rates: tuple[GuardedRate, ...]
    slope: sp.Expr  # A in dx/dt = A x + B, in rate symbols
    inf: sp.Expr  # in rate symbols
    tau: sp.Expr
    update: sp.Expr  # the state after one step, v frozen


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedKinetic:
    """A kinetic scheme as the linear system dx/dt = A(v) x of its occupancies x.

    A[j, i] = phi * (rate i -> j) for i != j, A[i, i] = -phi * (every rate out of i): each
    column sums to 0, so sum(x) is conserved (= 1, the whole population of channels).
    """

    kinetic: low.Kinetic
    rates: tuple[GuardedRate, ...]  # each reaction's forward then backward rate
    matrix: sp.ImmutableMatrix  # A, in the rate symbols and phi

    @property
    def states(self) -> tuple[sp.Symbol, ...]:
        return self.kinetic.states

    def label(self, rate: GuardedRate) -> str:
        """'C1 -> C2': the transition a rate drives."""
        for j, i, found in self.entries():
            if found.rate.symbol == rate.rate.symbol:
                return f"{self.kinetic.names[i]} -> {self.kinetic.names[j]}"
        raise KeyError(rate.rate.symbol)

    def entries(self) -> list[tuple[int, int, GuardedRate]]:
        """(row j, column i, rate of i -> j): the off-diagonal entries of A / phi."""
        found = []
        for reaction, (forward, backward) in zip(self.kinetic.reactions, _pairs(self.rates), strict=True):
            found += [(reaction.right, reaction.left, forward), (reaction.left, reaction.right, backward)]
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedChannel:
    channel: low.Channel
    phi: sp.Symbol  # the q10 temperature factor, computed once per run
    gates: tuple[DerivedGate, ...]
    current: sp.Expr  # uA/cm2
    conductance: sp.Expr  # dI/dv, mS/cm2
    kinetic: DerivedKinetic | None = None  # a Markov scheme in place of gates


def derive_channel(channel: low.Channel, sink: DiagnosticSink) -> DerivedChannel:
    phi = symbol(f"{channel.name}_phi")
    gates = tuple(g for gate in channel.gates if (g := derive_gate(gate, phi, sink)) is not None)
    kinetic = derive_kinetic(channel.kinetic, phi, sink) if channel.kinetic is not None else None
    if channel.ghk is not None:  # a GHK flux: pbar times the flux, per open fraction
        current = _open_fraction(channel) * channel.ghk
    else:
        current = channel.conductance * _open_fraction(channel) * (V - channel.reversal)
    return DerivedChannel(
        channel=channel, phi=phi, gates=gates, current=current, conductance=sp.diff(current, V), kinetic=kinetic,
    )


def _open_fraction(channel: low.Channel) -> sp.Expr:
    """The product of the gates, or the sum of a scheme's open states."""
    gates = sp.Mul(*(gate.state**gate.power for gate in channel.gates))
    if channel.kinetic is None:
        return gates
    return gates * sp.Add(*(channel.kinetic.states[k] for k in channel.kinetic.open))


def derive_kinetic(kinetic: low.Kinetic, phi: sp.Expr, sink: DiagnosticSink) -> DerivedKinetic:
    """The rate matrix A of a scheme (q10 on every rate), its rates guarded like a gate's."""
    rates = tuple(_guard(rate, sink) for r in kinetic.reactions for rate in (r.forward, r.backward))
    n = len(kinetic.states)
    matrix = sp.zeros(n, n)
    for reaction, (forward, backward) in zip(kinetic.reactions, _pairs(rates), strict=True):
        for source, target, rate in ((reaction.left, reaction.right, forward), (reaction.right, reaction.left, backward)):
            matrix[target, source] += phi * rate.rate.symbol
            matrix[source, source] -= phi * rate.rate.symbol
    return DerivedKinetic(kinetic=kinetic, rates=rates, matrix=sp.ImmutableMatrix(matrix))


def _pairs(rates: tuple[GuardedRate, ...]) -> list[tuple[GuardedRate, GuardedRate]]:
    return list(zip(rates[::2], rates[1::2], strict=True))


def gate_rhs(gate: low.Gate, phi: sp.Expr) -> sp.Expr:
    """dx/dt in terms of the gate's rate symbols, with the temperature factor."""
    rates = {r.label: r.symbol for r in gate.rates}
    x = gate.state
    if gate.kind == "alpha_beta":
        return phi * (rates["alpha"] * (1 - x) - rates["beta"] * x)
    if gate.kind == "inf_tau":
        return phi * (rates["inf"] - x) / rates["tau"]
    return phi * rates["ode"]


def derive_gate(gate: low.Gate, phi: sp.Expr, sink: DiagnosticSink) -> DerivedGate | None:
    rates = tuple(_guard(rate, sink) for rate in gate.rates)
    rhs = gate_rhs(gate, phi)
    if gate.kind == "ode":
        rhs = rhs.subs({r.symbol: r.expr for r in gate.rates})
    linear = _linear_coefficients(rhs, gate.state)
    if linear is None:
        sink.error(
            Code.E400,
            f"the equation of gate '{gate.name}' is not linear in {gate.name}, so it cannot be "
            "integrated exactly",
            gate.span,
            f"write it as {gate.name}' = (inf - {gate.name}) / tau, or with alpha and beta",
        )
        return None
    slope, constant = linear
    if slope == 0 or _undefined(slope) or _undefined(constant):
        sink.error(Code.E401, f"gate '{gate.name}' has no finite time constant (tau = 0, or a division by zero?)",
                   gate.span)
        return None
    inf = sp.cancel(-constant / slope) if gate.kind != "alpha_beta" else -constant / slope
    return DerivedGate(
        gate=gate,
        rates=rates,
        slope=slope,
        inf=inf,
        tau=-1 / slope,
        update=inf + (gate.state - inf) * sp.exp(slope * DT),
    )


def _linear_coefficients(rhs: sp.Expr, state: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(A, B) with rhs == A*state + B, or None if rhs is not linear in state."""
    expanded = sp.expand(rhs)
    slope = sp.diff(expanded, state)
    if slope.has(state):
        return None
    constant = sp.expand(expanded - slope * state)
    if constant.has(state):
        return None
    return sp.factor_terms(slope), sp.factor_terms(constant)


def _undefined(expr: sp.Expr) -> bool:
    return bool(expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo))


def _guard(rate: low.Rate, sink: DiagnosticSink) -> GuardedRate:
    if rate.label == "tau" and rate.expr.is_zero:
        sink.error(Code.E401, "tau is zero: a gate needs a positive time constant", rate.span)
        return GuardedRate(rate=rate, expr=sp.Integer(1), singular=())
    if _undefined(rate.expr):
        sink.error(Code.E401, "this rate is infinite or undefined for every v (a division by zero?)", rate.span)
        return GuardedRate(rate=rate, expr=sp.Integer(0), singular=())
    try:
        points = singular_points(rate.expr, V)
    except PoleError as error:
        at = f"{float(error.at):g}" if error.at.is_number else str(error.at)
        sink.error(Code.E401, f"this rate is infinite at v = {at} mV", rate.span,
                   "check the signs in the denominator")
        points = ()
    except (TypeError, ValueError, NotImplementedError):
        # A shape sympy cannot analyse (a zero inside min, max or if): left unguarded.
        points = ()
    return GuardedRate(rate=rate, expr=rewrite_expm1(rate.expr), singular=points)


def free_names(derived: DerivedChannel) -> set[str]:
    """Every name the channel's step reads (rates, updates, current)."""
    exprs = [derived.current, derived.conductance]
    for gate in derived.gates:
        exprs += [gate.update, gate.inf, gate.slope, *(r.expr for r in gate.rates)]
    if derived.kinetic is not None:
        exprs += [r.expr for r in derived.kinetic.rates]
    return {str(s) for e in exprs for s in e.free_symbols}


def renamed(derived: DerivedChannel, mapping: dict[sp.Symbol, sp.Symbol]) -> DerivedChannel:
    """The same channel reading other names (cai -> cai_cad: its own gathered copy)."""
    if not mapping:
        return derived

    def sub(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(mapping)

    def point(p: SingularPoint) -> SingularPoint:  # a singular point may move with the renamed value
        return dataclasses.replace(p, at=sub(p.at), value=sub(p.value), slope=sub(p.slope))

    gates = tuple(
        dataclasses.replace(
            g, rates=tuple(dataclasses.replace(r, expr=sub(r.expr), singular=tuple(map(point, r.singular)))
                           for r in g.rates),
            slope=sub(g.slope), inf=sub(g.inf), tau=sub(g.tau), update=sub(g.update),
        )
        for g in derived.gates
    )
    kinetic = derived.kinetic
    if kinetic is not None:
        kinetic = dataclasses.replace(kinetic, rates=tuple(dataclasses.replace(r, expr=sub(r.expr))
                                                           for r in kinetic.rates))
    channel = dataclasses.replace(derived.channel, reversal=sub(derived.channel.reversal),
                                  conductance=sub(derived.channel.conductance))
    return dataclasses.replace(derived, channel=channel, gates=gates, current=sub(derived.current),
                               conductance=sub(derived.conductance), kinetic=kinetic)
