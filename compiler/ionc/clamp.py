"""A voltage clamp of one channel, computed from the compiler's own derived equations.

`load_channel(FILE, NAME)` runs the front end and the derive stage (the same
functions `ionc check` and `ionc run` use) and returns the channel's
`DerivedChannel`: its gates' rates, steady states, time constants and its
current, as sympy expressions. `numeric_channel()` fixes the temperature, the
parameter values and the reversal potentials and turns those expressions into
numpy functions of v (`sympy.lambdify` on the derived expressions: nothing of
the model text is evaluated as Python). Each rate with a removable
singularity is guarded as the generated code guards it: within
`GUARD_WIDTH` of the point, the exact limit plus the exact slope times the
distance (`symbolic/singularities.py`).

`voltage_clamp()` holds the membrane at a holding potential and steps it to
each command, the way NEURON's fixed-step backward Euler with an ideal clamp
(and `cnexp` gates) computes it, sample by sample:

* sample k is at t = k dt; v[k] is the holding potential for k <= K1 =
  t_hold/dt, the command for K1 < k <= K2 = (t_hold + t_step)/dt, and the
  holding potential again after K2 (the tail, t_tail);
* the gates start at their steady state at the holding potential (NEURON's
  `finitialize`); step k moves every gate exactly with v frozen at the new
  v[k]: x[k] = inf(v[k]) + (x[k-1] - inf(v[k])) exp(-dt/tau(v[k]));
* a kinetic scheme starts at its steady state at the holding potential (the
  null space of its rate matrix A, with sum(x) = 1) and step k is backward
  Euler with v frozen at v[k], (I - dt A(v[k])) x[k] = x[k-1] (NEURON's
  `sparse`), by the functions the generated code calls;
* current[k] is the channel's current at v[k] with the states x[k], the
  alignment of `tests/channels/neuron_harness.py` (which shifts NEURON's
  one-sample-late currents back so that every trace describes the same
  instant).

Units are ionc's internal ones: mV, ms, and current densities in uA/cm2
(NEURON's mA/cm2 times 1000). Temperatures are given in degrees Celsius.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from ionc.diagnostics import Code, DiagnosticSink, fail
from ionc.runtime import standalone as runtime
from ionc.sema.ions import KNOWN_IONS, concentration_names

if TYPE_CHECKING:
    from ionc.symbolic.derive import DerivedChannel, DerivedGate, GuardedRate

Array = np.ndarray
Curve = Callable[[Array], Array]

DEFAULT_CELSIUS = 6.3  # the cell's default temperature (NEURON's celsius)
HOLDING_MV = -90.0  # the harness's default holding potential
COMMANDS_MV = tuple(float(c) for c in range(-100, 50, 10))  # -100, -90, ..., +40 mV
DT_MS = 0.025


# ---------------------------------------------------------------- loading


def channel_names(path: str | Path) -> tuple[str, ...]:
    """The channels a model file declares (its imports' included)."""
    from ionc.pipeline import front_end

    return tuple(c.name.text for c in front_end(Path(path)).channels)


def load_channel(path: str | Path, name: str) -> DerivedChannel:
    """Parse, resolve and check FILE (with its imports), then lower and derive channel NAME.

    Model errors raise `IoncError` with their file:line:col diagnostics; an unknown
    channel raises one (E200) that names the channels there are.
    """
    from ionc.pipeline import derive_channels, front_end

    model = front_end(Path(path))
    channel = model.channel(name)
    if channel is None:
        from ionc.sema.resolve import did_you_mean

        known = [c.name.text for c in model.channels]
        raise fail(Code.E200, f"no channel named '{name}' in {path}", None,
                   did_you_mean(name, known) or f"channels: {', '.join(known) or 'none'}")
    return derive_channels((channel,))[name]


# ---------------------------------------------------------------- numeric functions


@dataclass(frozen=True)
class NumericGate:
    """One gate at a fixed temperature and parameter values: inf(v) and tau(v) (ms)."""

    name: str
    power: int
    inf: Curve
    tau: Curve


@dataclass(frozen=True)
class NumericScheme:
    """A kinetic scheme at a fixed temperature and parameter values: its rates as functions of v."""

    states: tuple[str, ...]
    open: tuple[str, ...]
    phi: float  # the q10 factor, multiplying every rate
    entries: tuple[tuple[int, int, Curve], ...] = field(repr=False)  # (j, i, the rate i -> j before phi)

    def rates(self, v: Array) -> Array:
        """The rates at each v: shape v.shape + (n, n), [..., j, i] = rate i -> j (1/ms, before phi)."""
        v = np.asarray(v, dtype=float)
        n = len(self.states)
        rates = np.zeros(v.shape + (n, n))
        for j, i, rate in self.entries:
            rates[..., j, i] = rate(v)
        return rates

    def matrix(self, v: Array) -> Array:
        """A(v) of dx/dt = A x (1/ms, q10 included): columns sum to 0."""
        rates = self.phi * self.rates(v)
        diagonal = np.einsum("...ii->...i", rates)
        diagonal[...] = -rates.sum(axis=-2)
        return rates

    def steady_state(self, v: Array) -> dict[str, Array]:
        """Each state's occupancy at rest at v: A x = 0, sum(x) = 1 (NEURON's STEADYSTATE)."""
        x = runtime.kinetic_steady_state(self.rates(v))[..., 0]
        return {name: x[..., k] for k, name in enumerate(self.states)}


@dataclass(frozen=True)
class NumericChannel:
    """A derived channel with numbers for everything but v and its gate states (or occupancies)."""

    name: str
    celsius: float
    parameters: dict[str, float]  # internal units
    reversal: float  # mV
    gates: tuple[NumericGate, ...]
    current_function: Callable[..., Array] = field(repr=False)  # (v, *states) -> uA/cm2
    scheme: NumericScheme | None = None  # a kinetic scheme in place of gates

    @property
    def state_names(self) -> tuple[str, ...]:
        """The gates, or the states of the kinetic scheme: the current's arguments after v."""
        return tuple(g.name for g in self.gates) + (self.scheme.states if self.scheme is not None else ())

    def gate(self, name: str) -> NumericGate:
        for gate in self.gates:
            if gate.name == name:
                return gate
        raise KeyError(f"channel {self.name} has no gate {name!r}")

    def current(self, v: Array, states: Mapping[str, Array]) -> Array:
        """The current density (uA/cm2, outward positive) at v with the given gate states."""
        v = np.asarray(v, dtype=float)
        values = [np.asarray(states[name], dtype=float) for name in self.state_names]
        return np.broadcast_to(self.current_function(v, *values), np.broadcast(v, *values).shape).astype(float)

    def steady_state(self, v: Array) -> dict[str, Array]:
        """Every gate's inf at v (or the scheme's steady state): the state NEURON's finitialize sets."""
        found = {g.name: g.inf(np.asarray(v, dtype=float)) for g in self.gates}
        return found | (self.scheme.steady_state(v) if self.scheme is not None else {})


def numeric_channel(
    derived: DerivedChannel,
    *,
    celsius: float = DEFAULT_CELSIUS,
    parameters: Mapping[str, float] | None = None,
    reversals: Mapping[str, float] | None = None,
    concentrations: Mapping[str, float] | None = None,
) -> NumericChannel:
    """Fix temperature (degC), parameters (internal units, by name as written: 'gbar',
    'vt'), reversal potentials (mV, by ion: {'na': 50}) and concentrations (mM, by name:
    {'cai': 5e-5, 'cao': 2}; NEURON's defaults otherwise); the rest are functions of v.

    Unknown parameter names, a missing reversal potential or any other value the
    channel needs and was not given raise IoncError (E200, E204)."""
    from ionc.lower import T, V
    from ionc.symbolic.bridge import ABSOLUTE_ZERO_CELSIUS

    channel = derived.channel
    given = dict(parameters or {})
    known = {p.name: p for p in channel.parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise fail(Code.E200, f"channel {channel.name} has no parameter {', '.join(map(repr, unknown))}", None,
                   f"parameters: {', '.join(known) or 'none'}")
    values_by_name = {name: float(given.get(name, p.value)) for name, p in known.items()}
    temperature = sp.Rational(repr(float(celsius))) + ABSOLUTE_ZERO_CELSIUS
    values: dict[sp.Symbol, sp.Expr] = {known[n].symbol: sp.Float(x) for n, x in values_by_name.items()}
    values[T] = temperature
    values[derived.phi] = channel.q10.subs(T, temperature)
    for factor in (*(g.temperature_factor for g in channel.gates), channel.conductance_factor):
        if factor is not None:  # a gate's own q10, the conductance's
            values[factor[0]] = factor[1].subs(T, temperature)
    for name, (ion, side) in concentration_names().items():  # cai, cao, ...: fixed during a clamp
        default = getattr(KNOWN_IONS[ion], f"{side}_mM")
        values[sp.Symbol(name, real=True)] = sp.Float(float((concentrations or {}).get(name, default)))
    reversal = channel.reversal.subs(values) if channel.ghk is None else sp.nan  # a GHK flux has none
    for symbol in sorted(reversal.free_symbols, key=str):  # the cell's e_<ion> (several for `ion na 0.3, k 0.7`)
        ion = str(symbol).removeprefix("e_")
        if reversals is None or ion not in reversals:
            raise fail(Code.E204, f"channel {channel.name} needs the reversal potential of ion '{ion}'", None,
                       f"give it, e.g. reversals={{'{ion}': 50.0}} (mV)")
        values[symbol] = sp.Float(float(reversals[ion]))
    reversal = reversal.subs(values)

    states = [g.gate.state for g in derived.gates]
    states += list(derived.kinetic.states) if derived.kinetic is not None else []
    current = _numeric(derived.current.subs(values), [V, *states], channel.name, "its current")
    gates = tuple(_numeric_gate(g, values, channel.name) for g in derived.gates)
    scheme = _numeric_scheme(derived, values) if derived.kinetic is not None else None
    return NumericChannel(
        name=channel.name, celsius=float(celsius), parameters=values_by_name, reversal=float(reversal),
        gates=gates, current_function=current, scheme=scheme,
    )


def _numeric_scheme(derived: DerivedChannel, values: Mapping[sp.Symbol, sp.Expr]) -> NumericScheme:
    kinetic = derived.kinetic
    assert kinetic is not None
    names = kinetic.kinetic.names
    return NumericScheme(
        states=names, open=tuple(names[k] for k in kinetic.kinetic.open), phi=float(values[derived.phi]),
        entries=tuple((j, i, _guarded(rate, values, derived.channel.name)) for j, i, rate in kinetic.entries()),
    )


def _numeric(expr: sp.Expr, arguments: Sequence[sp.Symbol], channel: str, what: str) -> Callable[..., Array]:
    missing = sorted(expr.free_symbols - set(arguments), key=str)
    if missing:
        raise fail(Code.E204, f"channel {channel}: {what} needs values for {', '.join(map(str, missing))}, "
                   "which a voltage clamp of the channel alone does not set", None)
    # the GHK flux's efun and its slope: the runtime functions the generated code calls
    modules = [{"efun": runtime.efun, "efun_slope": runtime.efun_slope}, "numpy"]
    function: Callable[..., Array] = sp.lambdify(list(arguments), expr, modules=modules)
    return function


def _numeric_gate(gate: DerivedGate, values: Mapping[sp.Symbol, sp.Expr], channel: str) -> NumericGate:
    from ionc.lower import V

    rates = [r for r in gate.rates if r.rate.label != "ode"]
    symbols = [r.rate.symbol for r in rates]
    functions = [_guarded(r, values, channel) for r in rates]
    inf = _numeric(sp.sympify(gate.inf).subs(values), [V, *symbols], channel, f"gate {gate.gate.name}")
    tau = _numeric(sp.sympify(gate.tau).subs(values), [V, *symbols], channel, f"gate {gate.gate.name}")

    def curve(of: Callable[..., Array]) -> Curve:
        def evaluate(v: Array) -> Array:
            v = np.asarray(v, dtype=float)
            with np.errstate(all="ignore"):
                result = of(v, *(f(v) for f in functions))
            return np.broadcast_to(np.asarray(result, dtype=float), v.shape).copy()

        return evaluate

    return NumericGate(name=gate.gate.name, power=gate.gate.power, inf=curve(inf), tau=curve(tau))


def _guarded(rate: GuardedRate, values: Mapping[sp.Symbol, sp.Expr], channel: str) -> Curve:
    """One rate of v; within GUARD_WIDTH of a removable singularity, its limit + slope * distance."""
    from ionc.lower import V
    from ionc.symbolic.singularities import GUARD_WIDTH

    function = _numeric(rate.expr.subs(values), [V], channel, f"rate {rate.rate.symbol}")
    points = [(float(p.at.subs(values)), float(p.value.subs(values)), float(p.slope.subs(values)))
              for p in rate.singular]

    def evaluate(v: Array) -> Array:
        v = np.asarray(v, dtype=float)
        near = np.zeros(v.shape, dtype=bool)
        for at, _, _ in points:
            near |= np.abs(v - at) < GUARD_WIDTH
        safe = np.where(near, v + 10 * GUARD_WIDTH, v)  # never 0/0 where the limit is used
        with np.errstate(all="ignore"):
            result = np.broadcast_to(np.asarray(function(safe), dtype=float), v.shape).copy()
        for at, value, slope in points:
            d = v - at
            result = np.where(np.abs(d) < GUARD_WIDTH, value + slope * d, result)
        return result

    return evaluate


# ---------------------------------------------------------------- curves and the clamp


def gate_curves(channel: NumericChannel, v: Iterable[float]) -> dict[str, tuple[Array, Array]]:
    """Each gate's (inf, tau in ms) over v (mV), at the channel's temperature."""
    grid = np.asarray(list(v), dtype=float)
    return {g.name: (g.inf(grid), g.tau(grid)) for g in channel.gates}


@dataclass(frozen=True)
class ClampBattery:
    """Steps from `holding` to each command (rows), sampled at t = k dt (columns)."""

    channel: str
    commands: Array  # mV, one per row
    holding: float  # mV
    t_hold: float  # ms
    t_step: float  # ms
    t_tail: float  # ms
    dt: float  # ms
    t: Array  # ms, k dt
    v: Array  # mV, (commands, samples)
    current: Array  # uA/cm2, (commands, samples): the current of v[k] and the states at sample k
    states: dict[str, Array]  # each gate (or state of a kinetic scheme), (commands, samples)

    @property
    def step_samples(self) -> Array:
        """Mask of the samples at the command (k = K1 + 1 .. K2)."""
        k = np.arange(self.t.size)
        first = round(self.t_hold / self.dt)
        return (k > first) & (k <= first + round(self.t_step / self.dt))

    def peaks(self) -> Array:
        """Per command, the current of largest magnitude while at the command (signed, uA/cm2)."""
        during = self.current[:, self.step_samples]
        return during[np.arange(during.shape[0]), np.argmax(np.abs(during), axis=1)]

    def ends(self) -> Array:
        """Per command, the current at the last sample of the step (uA/cm2)."""
        last = round(self.t_hold / self.dt) + round(self.t_step / self.dt)
        return self.current[:, last]


def voltage_clamp(
    channel: NumericChannel,
    commands: Sequence[float] = COMMANDS_MV,
    *,
    holding: float = HOLDING_MV,
    t_hold: float = 2.0,
    t_step: float = 20.0,
    t_tail: float = 0.0,
    dt: float = DT_MS,
) -> ClampBattery:
    """An ideal voltage clamp of `channel` alone: see the module docstring for the sampling.

    Durations must be whole multiples of dt (as in the NEURON harness)."""
    k_hold = whole_steps(t_hold, dt, "t_hold")
    k_step = whole_steps(t_step, dt, "t_step")
    k_total = k_hold + k_step + whole_steps(t_tail, dt, "t_tail")
    command = np.asarray(commands, dtype=float)
    hold = np.full_like(command, float(holding))
    v = np.repeat(hold[:, None], k_total + 1, axis=1)
    v[:, k_hold + 1:k_hold + k_step + 1] = command[:, None]
    # Two voltages per trace: inf and the one-step decay at each, computed once.
    at: dict[str, dict[str, tuple[Array, Array]]] = {}
    for gate in channel.gates:
        at[gate.name] = {
            "hold": (gate.inf(hold), np.exp(-dt / gate.tau(hold))),
            "step": (gate.inf(command), np.exp(-dt / gate.tau(command))),
        }
    states = {g.name: np.empty_like(v) for g in channel.gates}
    for gate in channel.gates:
        trace = states[gate.name]
        x = at[gate.name]["hold"][0].copy()  # finitialize: steady state at the holding potential
        trace[:, 0] = x
        for k in range(1, k_total + 1):
            inf, decay = at[gate.name]["step" if k_hold < k <= k_hold + k_step else "hold"]
            x = inf + (x - inf) * decay
            trace[:, k] = x
    if channel.scheme is not None:
        states |= _clamp_scheme(channel.scheme, hold, command, k_hold, k_step, k_total, dt)
    current = channel.current(v, states)
    return ClampBattery(
        channel=channel.name, commands=command, holding=float(holding), t_hold=float(t_hold),
        t_step=float(t_step), t_tail=float(t_tail), dt=float(dt), t=np.arange(k_total + 1) * dt, v=v,
        current=current, states=states,
    )


def _clamp_scheme(scheme: NumericScheme, hold: Array, command: Array, k_hold: int, k_step: int, k_total: int,
                  dt: float) -> dict[str, Array]:
    """The occupancies of a kinetic scheme under the clamp, as the generated code steps them:
    the steady state at the holding potential, then backward Euler with v frozen at v[k]
    (NEURON's `sparse`), every command at once."""
    rates = {"hold": scheme.rates(hold), "step": scheme.rates(command)}  # (commands, n, n)
    x = runtime.kinetic_steady_state(rates["hold"])  # (commands, n, 1)
    matrix, column, total = np.empty_like(rates["hold"]), np.empty(x.shape[:-1]), np.empty(x.shape[:-2] + (1, 1))
    trace = np.empty((len(scheme.states), command.size, k_total + 1))
    trace[:, :, 0] = np.moveaxis(x[..., 0], -1, 0)
    for k in range(1, k_total + 1):
        runtime.kinetic_step(rates["step" if k_hold < k <= k_hold + k_step else "hold"], -scheme.phi * dt, matrix,
                             x, column, total)
        trace[:, :, k] = np.moveaxis(x[..., 0], -1, 0)
    return {name: trace[k] for k, name in enumerate(scheme.states)}


def whole_steps(duration: float, dt: float, what: str) -> int:
    """`duration` in steps of `dt`; a ValueError naming `what` unless it is a whole number of them."""
    count = round(duration / dt)
    if count < 0 or abs(count * dt - duration) > 1e-9 * max(1.0, abs(duration)):
        raise ValueError(f"{what} = {duration} ms is not a whole multiple of dt = {dt} ms")
    return count


# ---------------------------------------------------------------- values given on the command line


def parse_value(option: str, text: str, unit: str, start: int = 0) -> float:
    """'6.3degC' -> 279.45: the value in text[start:], with units checked against `unit`'s
    dimension, in the internal unit of that dimension. Errors are diagnostics that point
    into the option's text (`--> --temperature:1:1`)."""
    from ionc.lower import base_lowerer
    from ionc.sema import units as u
    from ionc.sema.dimensions import expect
    from ionc.source import SourceFile, Span
    from ionc.symbolic.bridge import finite_float
    from ionc.syntax.parse import parse_expression

    source = SourceFile(option, text)
    if not text[start:].strip():
        raise fail(Code.E500, f"{option} needs a value with its unit", Span(source, 0, len(text)))
    expr = parse_expression(source, start)
    wanted = u.DIMENSIONLESS if unit in ("1", "") else u.parse_unit(unit).dimension
    sink = DiagnosticSink()
    expect(expr, wanted, f"the value of {option}", {}, sink)
    sink.check()
    return finite_float(base_lowerer().to_internal(expr), expr.span)


def parse_assignment(option: str, text: str, unit: str | Mapping[str, str]) -> tuple[str, float]:
    """'na=50mV' -> ('na', 50.0). `unit` is the unit of every value, or one per name
    (an unknown name is E200)."""
    from ionc.source import SourceFile, Span

    source = SourceFile(option, text)
    name, equals, _ = text.partition("=")
    if not equals or not name.strip():
        raise fail(Code.E500, f"{option} expects NAME=VALUE", Span(source, 0, len(text)))
    key = name.strip()
    if not isinstance(unit, str):
        if key not in unit:
            from ionc.sema.resolve import did_you_mean

            raise fail(Code.E200, f"{option}: no parameter '{key}'", Span(source, 0, len(name)),
                       did_you_mean(key, unit) or f"parameters: {', '.join(unit) or 'none'}")
        unit = unit[key]
    return key, parse_value(option, text, unit, start=len(name) + 1)
