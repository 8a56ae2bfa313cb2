"""The derive stage on models/channels/hh.ionc, checked with sympy and mpmath.

Runs the compiler's own stages (front_end -> lower_channel -> derive_channel)
and, for the guarded rates, the numpy lines that code generation emits
(`ionc.codegen.context.rate_lines`), executed on arrays of v.
"""

from __future__ import annotations

import random
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from ionc.codegen.context import Temporaries, inplace_rate_lines, rate_lines
from ionc.codegen.inplace import WorkPool
from ionc.diagnostics import Code, DiagnosticSink, IoncError
from ionc.lower import V, lower_channel
from ionc.pipeline import front_end
from ionc.symbolic.derive import DT, DerivedChannel, DerivedGate, GuardedRate, derive_channel

REPO = Path(__file__).resolve().parents[2]
HH = REPO / "models" / "channels" / "hh.ionc"

CONTINUITY_REL_TOL = 1e-9
CONDUCTANCE_REL_TOL = 1e-8


@pytest.fixture(scope="module")
def derived() -> dict[str, DerivedChannel]:
    model = front_end(HH)
    sink = DiagnosticSink()
    channels = {c.name.text: derive_channel(lower_channel(c), sink) for c in model.channels}
    sink.check()
    return channels


def _gates(derived: dict[str, DerivedChannel]) -> list[tuple[DerivedChannel, DerivedGate]]:
    return [(channel, gate) for channel in derived.values() for gate in channel.gates]


def _gate(derived: dict[str, DerivedChannel], channel: str, gate: str) -> tuple[DerivedChannel, DerivedGate]:
    owner = derived[channel]
    return owner, next(g for g in owner.gates if g.gate.name == gate)


def _rate(gate: DerivedGate, label: str) -> GuardedRate:
    return next(r for r in gate.rates if r.rate.label == label)


def _rate_expressions(gate: DerivedGate) -> dict[sp.Symbol, sp.Expr]:
    return {r.rate.symbol: r.rate.expr for r in gate.rates}


GATES = [("hh_na", "m"), ("hh_na", "h"), ("hh_k", "n")]


def test_hh_has_the_expected_gates(derived) -> None:
    found = sorted((c.channel.name, g.gate.name) for c, g in _gates(derived))
    assert found == sorted(GATES)
    assert all(g.gate.kind == "alpha_beta" for _, g in _gates(derived))
    assert derived["leak"].gates == ()


# ---------------------------------------------------------------- inf and tau


@pytest.mark.parametrize(("channel", "gate"), GATES)
def test_inf_is_alpha_over_alpha_plus_beta(derived, channel, gate) -> None:
    _, g = _gate(derived, channel, gate)
    alpha, beta = _rate(g, "alpha").rate, _rate(g, "beta").rate
    rates = _rate_expressions(g)
    expected = alpha.symbol / (alpha.symbol + beta.symbol)
    assert sp.simplify((g.inf - expected).subs(rates)) == 0
    assert sp.simplify(g.inf.subs(rates) - alpha.expr / (alpha.expr + beta.expr)) == 0


@pytest.mark.parametrize(("channel", "gate"), GATES)
def test_tau_is_one_over_phi_times_alpha_plus_beta(derived, channel, gate) -> None:
    owner, g = _gate(derived, channel, gate)
    alpha, beta = _rate(g, "alpha").rate, _rate(g, "beta").rate
    rates = _rate_expressions(g)
    expected = 1 / (owner.phi * (alpha.symbol + beta.symbol))
    assert sp.simplify((g.tau - expected).subs(rates)) == 0
    assert sp.simplify(g.tau.subs(rates) - 1 / (owner.phi * (alpha.expr + beta.expr))) == 0


# ---------------------------------------------------------------- the exact update


@pytest.mark.parametrize(("channel", "gate"), GATES)
def test_exact_update_solves_the_gate_ode(derived, channel, gate) -> None:
    owner, g = _gate(derived, channel, gate)
    alpha, beta = _rate(g, "alpha").rate.symbol, _rate(g, "beta").rate.symbol
    x0 = g.gate.state
    t = sp.Symbol("t", nonnegative=True)
    x_t = g.update.subs(DT, t)
    # The gate ODE as written: dx/dt = phi * (alpha (1 - x) - beta x) = A x + B.
    slope = -owner.phi * (alpha + beta)
    constant = owner.phi * alpha
    assert sp.simplify(g.slope - slope) == 0
    assert sp.simplify(sp.diff(x_t, t) - (slope * x_t + constant)) == 0
    # ... and with the rate symbols replaced by their expressions in v.
    rates = _rate_expressions(g)
    assert sp.simplify((sp.diff(x_t, t) - (slope * x_t + constant)).subs(rates)) == 0
    # The step of length 0 leaves the state alone.
    assert sp.simplify(g.update.subs(DT, 0) - x0) == 0
    # inf is the fixed point: the update leaves x0 = inf unchanged for every dt.
    assert sp.simplify(g.update.subs(x0, g.inf) - g.inf) == 0


# ---------------------------------------------------------------- guarded rates, as generated


def _generated_rate(rate: GuardedRate, v: np.ndarray, emitter: str = "expression") -> np.ndarray:
    """Evaluate the numpy lines code generation emits for `rate` at the array `v`: as
    expressions (initial state, tables) or in place into preallocated arrays (time loop)."""
    probe = sp.Symbol("v_probe", real=True)
    namespace: dict[str, object] = {"np": np, "v_probe": v}
    if emitter == "expression":
        lines = rate_lines(rate, probe, Temporaries())
    else:
        pool = WorkPool()
        block = inplace_rate_lines(rate, probe, Temporaries(), pool)
        lines = block.lines
        namespace |= {name: np.empty(v.shape) for name in (*pool.names(), *block.buffers)}
        namespace |= {name: np.empty(v.shape, dtype=dtype) for name, dtype in pool.roles.items()}
    exec(compile("\n".join(lines), f"<rate {rate.rate.symbol}>", "exec"), namespace)  # noqa: S102
    result = np.asarray(namespace[str(rate.rate.symbol)], dtype=float)
    return np.broadcast_to(result, v.shape)


def _exact(rate: GuardedRate, v: float, singular_at: float) -> mpmath.mpf:
    """The written expression at the float `v`, in 50-digit arithmetic (the limit at the point)."""
    with mpmath.workdps(50):
        if v == singular_at:
            limit = sp.limit(rate.rate.expr, V, sp.Integer(int(singular_at)))
            return mpmath.mpf(sp.Float(limit, 50))
        function = sp.lambdify(V, rate.rate.expr, "mpmath")
        return function(mpmath.mpf(v))


OFFSETS = np.concatenate([10.0 ** np.arange(-12.0, -2.99, 0.125), [1e-6 * (1 - 1e-9), 1e-6 * (1 + 1e-9)]])

GUARDED = [
    # channel, gate, singular point (mV), limit (1/ms)
    ("hh_na", "m", -40.0, 1.0),
    ("hh_k", "n", -55.0, 0.1),
]


@pytest.mark.parametrize(("channel", "gate", "at", "limit"), GUARDED)
def test_singularity_is_found(derived, channel, gate, at, limit) -> None:
    _, g = _gate(derived, channel, gate)
    points = _rate(g, "alpha").singular
    assert len(points) == 1
    assert points[0].at == sp.Integer(int(at))
    assert sp.nsimplify(points[0].value) == sp.nsimplify(limit)
    assert _rate(g, "beta").singular == ()


EMITTERS = ["expression", "in place"]


@pytest.mark.parametrize("emitter", EMITTERS)
@pytest.mark.parametrize(("channel", "gate", "at", "limit"), GUARDED)
def test_guarded_rate_is_exactly_the_limit_at_the_point(derived, channel, gate, at, limit, emitter) -> None:
    _, g = _gate(derived, channel, gate)
    values = _generated_rate(_rate(g, "alpha"), np.array([at - 1.0, at, at + 1.0]), emitter)
    assert np.all(np.isfinite(values))
    value = values[1]
    assert value == limit, f"{channel} alpha_{gate}({at} mV) = {value!r}, the limit is {limit!r}"


@pytest.mark.parametrize("emitter", EMITTERS)
@pytest.mark.parametrize(("channel", "gate", "at", "limit"), GUARDED)
def test_guarded_rate_is_continuous_through_the_point(derived, channel, gate, at, limit, emitter) -> None:
    _, g = _gate(derived, channel, gate)
    rate = _rate(g, "alpha")
    v = np.concatenate([[at], at + OFFSETS, at - OFFSETS])
    got = _generated_rate(rate, v, emitter)
    assert np.all(np.isfinite(got))
    worst = (0.0, at)
    for vi, gi in zip(v, got, strict=True):
        exact = _exact(rate, float(vi), at)
        relative = float(abs((mpmath.mpf(float(gi)) - exact) / exact))
        worst = max(worst, (relative, float(vi)))
    relative, where = worst
    assert relative <= CONTINUITY_REL_TOL, (
        f"{channel} alpha_{gate}: relative error {relative:.3e} at v = {at} + ({where - at:.3e}) mV"
    )


def test_unguarded_rates_have_no_singular_points(derived) -> None:
    for _, g in _gates(derived):
        for rate in g.rates:
            if rate.rate.label == "beta" or g.gate.name == "h":
                assert rate.singular == ()


# ---------------------------------------------------------------- dI/dv


@pytest.mark.parametrize("channel", ["hh_na", "hh_k", "leak"])
def test_conductance_is_the_derivative_of_the_current(derived, channel) -> None:
    owner = derived[channel]
    current, conductance = owner.current, owner.conductance
    symbols = sorted(current.free_symbols | conductance.free_symbols, key=str)
    assert V in symbols
    others = [s for s in symbols if s != V]
    i_of = sp.lambdify([V, *others], current, "mpmath")
    g_of = sp.lambdify([V, *others], conductance, "mpmath")
    generator = random.Random(20261127)
    step = mpmath.mpf("1e-6")
    with mpmath.workdps(40):
        for _ in range(25):
            v = mpmath.mpf(generator.uniform(-100.0, 60.0))
            values = []
            for s in others:
                name = str(s)
                if name.endswith(("gbar", "_g")):
                    values.append(mpmath.mpf(generator.uniform(1.0, 150.0)))
                elif name.startswith("e_") or name.endswith("_e"):
                    values.append(mpmath.mpf(generator.uniform(-90.0, 60.0)))
                else:  # a gate state
                    values.append(mpmath.mpf(generator.uniform(0.0, 1.0)))
            difference = (i_of(v + step, *values) - i_of(v - step, *values)) / (2 * step)
            analytic = g_of(v, *values)
            assert abs(difference - analytic) <= CONDUCTANCE_REL_TOL * abs(analytic), (
                f"{channel}: dI/dv {analytic} vs finite difference {difference}"
            )


@pytest.mark.parametrize("channel", ["hh_na", "hh_k", "leak"])
def test_conductance_is_symbolically_di_dv(derived, channel) -> None:
    owner = derived[channel]
    assert sp.simplify(owner.conductance - sp.diff(owner.current, V)) == 0
    assert sp.simplify(owner.current.subs(V, owner.channel.reversal)) == 0


# ---------------------------------------------------------------- a nonlinear gate


NONLINEAR = """\
# a gate whose equation is not linear in its state
channel bad {
    ion na
    gbar = 1 mS/cm2
    gate x {
        x' = x^2 / 1 ms
    }
}

cell c {
    reversal na = 50 mV
    morphology {
        soma { length = 10 um; diameter = 10 um }
    }
    insert bad on all
}

simulation s of c {
    dt = 0.025 ms
    duration = 1 ms
    record v at soma
}
"""
GATE_LINE = 5


def _assert_e400_at_gate(error: IoncError, path: Path) -> None:
    codes = [d.code for d in error.diagnostics]
    assert codes == [Code.E400], codes
    diagnostic = error.diagnostics[0]
    assert diagnostic.span is not None
    assert diagnostic.span.line == GATE_LINE
    assert diagnostic.span.text.startswith("gate x")
    assert Path(diagnostic.span.source.path).name == path.name
    assert "E400" in str(error)
    assert f"{path.name}:{GATE_LINE}:" in str(error)


def test_nonlinear_gate_equation_is_e400_at_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "nonlinear.ionc"
    path.write_text(NONLINEAR, encoding="utf-8")
    model = front_end(path)
    (channel,) = model.channels
    sink = DiagnosticSink()
    result = derive_channel(lower_channel(channel), sink)
    assert result.gates == ()
    with pytest.raises(IoncError) as caught:
        sink.check()
    _assert_e400_at_gate(caught.value, path)


def test_nonlinear_gate_equation_stops_code_generation(tmp_path: Path) -> None:
    from ionc.api import generate_source

    path = tmp_path / "nonlinear.ionc"
    path.write_text(NONLINEAR, encoding="utf-8")
    with pytest.raises(IoncError) as caught:
        generate_source(path)
    _assert_e400_at_gate(caught.value, path)
