"""Kinetic schemes without NEURON: the start is the null space of the rate matrix, occupancies
stay in [0, 1] and sum to 1 over long runs, the step is backward Euler, q10 scales every rate,
and the front end reports every mistake in a scheme with its place (issue 5, item 5).

NEURON's own numbers for the same scheme are in tests/channels/test_markov_vs_neuron.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from ionc import clamp
from ionc.api import check_file, compile_file, run_simulation
from ionc.diagnostics import IoncError
from ionc.runtime.standalone import kinetic_steady_state, kinetic_step

REPO = Path(__file__).resolve().parents[2]
CHANNELS = REPO / "models" / "channels"
NA_MARKOV = CHANNELS / "na_markov.ionc"
MARKOV_CELL = REPO / "models" / "cells" / "markov_na_point.ionc"
STATES = ("C1", "C2", "C3", "C4", "C5", "O", "B", "I1", "I2", "I3", "I4", "I5", "I6")

SUM_TOL = 1e-12  # issue 5: occupancies sum to 1 within 1e-12 over a long run


def _records(channel: str, states: tuple[str, ...]) -> str:
    return "\n".join(f"    record {channel}.{s} at soma" for s in states)


def _long_run(duration_ms: float) -> str:
    """The Markov sodium patch firing for `duration_ms`, every occupancy recorded (a batch of
    three stimulus amplitudes: the patch fires on its own at 0 nA, faster with more)."""
    return f"""
import "{NA_MARKOV.as_posix()}"
import "{(CHANNELS / 'traub_miles.ionc').as_posix()}"
channel leak_65 {{ nonspecific; g = 0.05 mS/cm2; e = -65 mV }}
cell patch {{
    temperature = 22 degC
    v_init = -65 mV
    reversal na = 50 mV
    reversal k = -90 mV
    morphology {{ soma {{ length = 17.841242 um; diameter = 17.841242 um }} }}
    insert na_markov, tm_k, leak_65
}}
simulation long of patch {{
    dt = 0.025 ms
    duration = {duration_ms!r} ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = 5 ms; duration = {duration_ms - 10.0!r} ms; amplitude = 0.2 nA }}
    record v at soma
{_records("na_markov", STATES)}
}}
"""


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    path = tmp_path_factory.mktemp("kinetic") / "long.ionc"
    path.write_text(_long_run(1000.0), encoding="utf-8")
    output, raw = run_simulation(path, parameters={"stim.amplitude": [0.0, 0.1, 0.2]})
    assert len(output["spikes"]["v@soma"][2]) > 100, "the cell fires all along the run"
    return {name: raw["traces"][f"na_markov.{name}@soma"] for name in STATES}


def test_occupancies_stay_in_0_1_and_sum_to_1_over_a_long_run(long_run: dict[str, np.ndarray]) -> None:
    occupancies = np.stack([long_run[s] for s in STATES])  # (states, batch, samples): 40000 steps
    assert occupancies.min() >= 0.0  # exactly: backward Euler's matrix is an M-matrix
    assert occupancies.max() <= 1.0
    worst = float(np.max(np.abs(occupancies.sum(axis=0) - 1.0)))
    assert worst <= SUM_TOL, f"sum of the occupancies off 1 by {worst:.3g}"  # measured: 6e-16
    assert occupancies[STATES.index("O")].max() > 0.3  # the run did open the channels


def test_the_steady_state_is_the_fixed_point_of_the_step() -> None:
    """A x = 0 makes (I - dt A) x = x: a scheme started at rest and held there does not move."""
    scheme = _scheme()
    v = np.linspace(-120.0, 40.0, 33)
    rates = scheme.rates(v)
    x = kinetic_steady_state(rates)
    start = x.copy()
    work = np.empty_like(rates), np.empty(x.shape[:-1]), np.empty(x.shape[:-2] + (1, 1))
    for _ in range(400):  # 10 ms
        kinetic_step(rates, -scheme.phi * 0.025, work[0], x, work[1], work[2])
    np.testing.assert_allclose(x, start, rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------- the steady state


def _scheme(celsius: float = 22.0) -> clamp.NumericScheme:
    channel = clamp.numeric_channel(clamp.load_channel(NA_MARKOV, "na_markov"), celsius=celsius,
                                    reversals={"na": 50.0})
    assert channel.scheme is not None
    return channel.scheme


def _null_space(v: float, scheme: clamp.NumericScheme) -> np.ndarray:
    """The null vector of A(v) (sum 1), at 50 digits from the same double rates (mpmath): the
    reference for the double-precision solve, which is accurate to about 1e-16 absolute."""
    import mpmath

    rates = scheme.rates(np.array(v))
    n = rates.shape[-1]
    with mpmath.workdps(50):
        matrix = mpmath.matrix(n, n)
        for j in range(n):
            for i in range(n):
                matrix[j, i] = mpmath.mpf(float(rates[j, i])) if i != j else 0
        for i in range(n):
            matrix[i, i] = -sum(matrix[j, i] for j in range(n))
        constrained = matrix.copy()
        for i in range(n):
            constrained[n - 1, i] = 1
        x = mpmath.lu_solve(constrained, mpmath.matrix([0] * (n - 1) + [1]))
        assert mpmath.norm(matrix * x, mpmath.inf) < mpmath.mpf(10) ** -40  # A x = 0: a null vector
        return np.array([float(value) for value in x])


@pytest.mark.parametrize("v", [-120.0, -90.0, -65.0, -40.0, -10.0, 0.0, 20.0, 40.0])
def test_steady_state_is_the_null_space_of_the_rate_matrix(v: float) -> None:
    scheme = _scheme()
    singular = np.linalg.svd(scheme.matrix(np.array(v)), compute_uv=False)
    assert singular[-1] < 1e-12 * singular[0] < singular[-2]  # a one-dimensional null space: connected
    ours = np.array([scheme.steady_state(np.array(v))[s] for s in STATES])
    exact = _null_space(v, scheme)
    assert abs(ours.sum() - 1.0) < 1e-15
    np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-14)
    large = exact > 1e-3
    np.testing.assert_allclose(ours[large], exact[large], rtol=1e-12)


def test_generated_module_starts_at_the_null_space(tmp_path: Path) -> None:
    """The first sample of every occupancy in a run (the generated code's start at v_init)."""
    path = tmp_path / "start.ionc"
    path.write_text(_long_run(12.0).replace("v_init = -65 mV", "v_init = -72.5 mV"), encoding="utf-8")
    _, raw = run_simulation(path)
    start = np.array([raw["traces"][f"na_markov.{s}@soma"][0, 0] for s in STATES])
    np.testing.assert_allclose(start, _null_space(-72.5, _scheme()), rtol=0, atol=1e-14)


CYCLE = """
channel cyc {{
    ion k
    gbar = 1 mS/cm2
    kinetic {{
        A <-> B (3 /ms, 1 /ms)
        B <-> C (5 /ms, 2 /ms)
        C <-> D (1 /ms, 7 /ms)
        D <-> A (2 /ms, 4 /ms)
        open C, D
    }}
}}
cell one {{
    reversal k = -80 mV
    morphology {{ soma {{ area = 1000 um2 }} }}
    insert cyc
}}
simulation s of one {{
    dt = 0.025 ms
    duration = 1 ms
{records}
}}
"""


def test_a_cycle_without_detailed_balance_starts_at_its_exact_null_space(tmp_path: Path) -> None:
    """Rates around the loop A-B-C-D whose products differ each way (3*5*1*2 != 1*2*7*4): a
    steady state with a net flux, which no detailed-balance shortcut gives. sympy's exact
    null space against the generated code's start."""
    path = tmp_path / "cycle.ionc"
    path.write_text(CYCLE.format(records=_records("cyc", ("A", "B", "C", "D"))), encoding="utf-8")
    _, raw = run_simulation(path)
    rates = {("A", "B"): 3, ("B", "A"): 1, ("B", "C"): 5, ("C", "B"): 2, ("C", "D"): 1, ("D", "C"): 7,
             ("D", "A"): 2, ("A", "D"): 4}
    names = "ABCD"
    matrix = sp.zeros(4, 4)
    for (source, target), rate in rates.items():
        matrix[names.index(target), names.index(source)] += rate
        matrix[names.index(source), names.index(source)] -= rate
    (null,) = matrix.nullspace()
    exact = [float(x) for x in null / sum(null)]
    for k, state in enumerate(names):
        trace = raw["traces"][f"cyc.{state}@soma"][0]
        assert trace[0] == pytest.approx(exact[k], abs=1e-15)
        np.testing.assert_allclose(trace, exact[k], rtol=0, atol=1e-15)  # and stays there (v-independent rates)


def test_several_open_states_add() -> None:
    path = Path(__file__).parent / "cycle_channel.ionc"
    try:
        path.write_text(CYCLE.format(records=""), encoding="utf-8")
        channel = clamp.numeric_channel(clamp.load_channel(path, "cyc"), reversals={"k": -80.0})
    finally:
        path.unlink()
    states = {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4}
    # gbar (C + D) (v - e): 1 mS/cm2 * 0.7 * 80 mV = 56 uA/cm2
    assert channel.current(np.array(0.0), states) == pytest.approx(56.0, rel=1e-14)


# ---------------------------------------------------------------- the step


def _random_scheme(rng: np.random.Generator, n: int, nodes: int) -> np.ndarray:
    """Stacked rate matrices with rates spread over ten decades, diagonal 0."""
    rates = 10.0 ** rng.uniform(-5.0, 5.0, size=(nodes, n, n)) * (rng.random((nodes, n, n)) < 0.6)
    rates[:, np.arange(n), np.arange(n)] = 0.0
    rates[:, np.arange(1, n), np.arange(n - 1)] += 1.0  # a chain: connected
    return rates


def test_the_step_is_backward_euler_and_keeps_signs_exactly() -> None:
    rng = np.random.default_rng(5)
    n, nodes, dt = 9, 200, 0.025
    rates = _random_scheme(rng, n, nodes)
    x = rng.random((nodes, n, 1)) ** 8  # some occupancies tiny
    x /= x.sum(axis=-2, keepdims=True)
    matrix = rates.copy()
    matrix[:, np.arange(n), np.arange(n)] = -rates.sum(axis=-2)
    expected = np.stack([np.linalg.solve(np.eye(n) - dt * a, b) for a, b in zip(matrix, x, strict=True)])
    state = x.copy()
    work = np.empty_like(rates), np.empty((nodes, n)), np.empty((nodes, 1, 1))
    kinetic_step(rates, -dt, work[0], state, work[1], work[2])
    np.testing.assert_allclose(state, expected / expected.sum(axis=-2, keepdims=True), rtol=1e-9, atol=1e-16)
    for _ in range(2000):
        kinetic_step(rates, -dt, work[0], state, work[1], work[2])
        assert state.min() >= 0.0
    assert np.max(np.abs(state.sum(axis=-2) - 1.0)) < 1e-14


def test_backward_euler_converges_to_the_exact_solution_at_first_order() -> None:
    """Against expm(A t) x0 for a frozen v: halving dt halves the error (NEURON's `sparse`
    is the same first-order method; the matrix exponential would be exact here)."""
    from scipy.linalg import expm

    scheme = _scheme()
    rates = scheme.rates(np.array(-20.0))[None]
    start = kinetic_steady_state(scheme.rates(np.array(-90.0))[None])
    exact = expm(scheme.matrix(np.array(-20.0)) * 0.5) @ start[0]
    errors = []
    for dt in (0.025, 0.0125, 0.00625):
        x = start.copy()
        work = np.empty_like(rates), np.empty(x.shape[:-1]), np.empty((1, 1, 1))
        for _ in range(round(0.5 / dt)):
            kinetic_step(rates, -scheme.phi * dt, work[0], x, work[1], work[2])
        errors.append(float(np.max(np.abs(x[0] - exact))))
    assert errors[0] < 0.01  # 0.0046 (the open fraction 0.38 is 0.0033 off)
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.15)
    assert errors[1] / errors[2] == pytest.approx(2.0, rel=0.1)


def test_q10_multiplies_every_rate() -> None:
    cold, warm = _scheme(22.0), _scheme(32.0)
    v = np.linspace(-100.0, 40.0, 15)
    np.testing.assert_allclose(warm.matrix(v), 3.0 * cold.matrix(v), rtol=1e-13)
    np.testing.assert_allclose(warm.rates(v), cold.rates(v), rtol=0)  # the factor is applied once, apart


def test_single_precision_and_tables_runs_agree_with_double(tmp_path: Path) -> None:
    """precision = single and tables = on (tables serve gates; the scheme's rates stay exact)."""
    path = tmp_path / "short.ionc"
    path.write_text(_long_run(40.0), encoding="utf-8")
    double = run_simulation(path)[0]["spikes"]["v@soma"]
    single = run_simulation(path, overrides=["precision=single"])[0]["spikes"]["v@soma"]
    tables = run_simulation(path, overrides=["tables=on"])[0]["spikes"]["v@soma"]
    assert len(double) >= 4 and len(single) == len(double) == len(tables)
    assert np.max(np.abs(np.subtract(single, double))) < 0.01
    assert np.max(np.abs(np.subtract(tables, double))) < 0.05


CABLE = f"""
import "{NA_MARKOV.as_posix()}"
import "{(CHANNELS / 'traub_miles.ionc').as_posix()}"
channel leak_65 {{ nonspecific; g = 0.05 mS/cm2; e = -65 mV }}
cell stick {{
    temperature = 22 degC
    v_init = -65 mV
    reversal na = 50 mV
    reversal k = -90 mV
    morphology {{
        soma {{ length = 20 um; diameter = 20 um }}
        section axon {{ length = 400 um; diameter = 1 um; compartments = 20; parent = soma(1) }}
    }}
    insert tm_k, leak_65 on all
    insert na_markov(gbar = 40 mS/cm2) on axon
    insert na_markov on soma
}}
simulation s of stick {{
    dt = 0.025 ms
    duration = 15 ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = 1 ms; duration = 1 ms; amplitude = 0.5 nA }}
    record v at soma, axon(0.9)
    record na_markov.O at axon(0.9)
}}
"""


def test_a_scheme_on_part_of_a_cable_carries_a_spike(tmp_path: Path) -> None:
    path = tmp_path / "stick.ionc"
    path.write_text(CABLE.replace("insert na_markov on soma\n", ""), encoding="utf-8")
    output, raw = run_simulation(path)
    soma, far = output["spikes"]["v@soma"], output["spikes"]["v@axon(0.9)"]
    assert len(soma) == 1 and len(far) == 1  # the axon fires, and the passive soma follows it
    assert raw["traces"]["na_markov.O@axon(0.9)"].max() > 0.2


def test_a_scheme_with_values_per_region(tmp_path: Path) -> None:
    path = tmp_path / "stick.ionc"
    path.write_text(CABLE, encoding="utf-8")
    output, _ = run_simulation(path)
    assert len(output["spikes"]["v@axon(0.9)"]) == 1


def test_the_numba_backend_refuses_a_scheme_for_now(tmp_path: Path) -> None:
    pytest.importorskip("numba")
    with pytest.raises(IoncError, match="kinetic schemes .* numpy backend only"):
        compile_file(MARKOV_CELL, backend="numba", use_cache=False)


def test_ionc_show_prints_the_scheme(ionc_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "ionc", "show", str(NA_MARKOV)], env=ionc_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "kinetic scheme: 13 states (C1, C2, C3, C4, C5, O, B, I1, I2, I3, I4, I5, I6), open O" in text
    assert "    C5 <-> O\n" in text
    assert "na_markov_rate_C1_C2 = 4*na_markov_alpha0*exp(v/na_markov_xalpha)" in text
    assert "      B' = phi*(-B*rate_B_O + O*rate_O_B)" in text
    assert "backward Euler" in text and "null space" in text
    assert "i = na_markov_O*na_markov_gbar*(-e_na + v)" in text


# ---------------------------------------------------------------- mistakes in a scheme


BAD = [
    # (id, body of the kinetic block, code, fragment, line of the diagnostic)
    ("self_reaction", "C <-> C (1 /ms, 1 /ms)\n        C <-> O (1 /ms, 1 /ms)\n        open O", "E205",
     "not 'C' with itself", 7),
    ("two_open_lines", "C <-> O (1 /ms, 1 /ms)\n        open O\n        open C", "E201", "one 'open' line", 9),
    ("open_twice", "C <-> O (1 /ms, 1 /ms)\n        open O, O", "E201", "duplicate open state 'O'", 8),
    ("no_reactions", "open O", "E204", "has no reactions", 6),
    ("reserved_state", "v <-> O (1 /ms, 1 /ms)\n        open O", "E206", "'v' is a built-in name", 7),
    ("state_is_a_parameter", "gbar <-> O (1 /ms, 1 /ms)\n        open O", "E201",
     "'gbar' is both a state of the kinetic scheme and a parameter", 7),
    ("rate_in_mV", "C <-> O (1 mV, 1 /ms)\n        open O", "E301", "the rate C -> O must be rate", 7),
    ("parameter_named_like_a_rate", "C <-> O (1 /ms, 1 /ms)\n        open O", "E206",
     "'rate_C_O' is a name ionc generates", 5),
    ("rate_names_clash", "C_D <-> E (1 /ms, 1 /ms)\n        C <-> D_E (1 /ms, 1 /ms)\n        E <-> C (1 /ms, 1 /ms)"
     "\n        open E", "E206", "would both be 'rate_C_D_E'", 8),
]


@pytest.mark.parametrize(("body", "code", "fragment", "line"), [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_a_mistake_in_a_scheme_is_a_diagnostic(body: str, code: str, fragment: str, line: int,
                                               tmp_path: Path) -> None:
    path = tmp_path / "bad.ionc"
    extra = "rate_C_O = 1 /ms" if "rate_C_O" in fragment else "q = 1"
    path.write_text(f"channel k {{\n    ion k\n    gbar = 1 mS/cm2\n    q10 = 3 at 22 degC\n    {extra}\n"
                    f"    kinetic {{\n        {body}\n    }}\n}}\n", encoding="utf-8")
    with pytest.raises(IoncError) as raised:
        check_file(path)
    found = [d for d in raised.value.diagnostics if d.code.name == code and fragment in d.message]
    assert found, str(raised.value)
    assert found[0].span is not None and found[0].span.location().startswith(f"{path}:{line}:")


def test_a_second_kinetic_block_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "two.ionc"
    path.write_text("channel k {\n    ion k\n    gbar = 1 mS/cm2\n    kinetic { C <-> O (1 /ms, 1 /ms); open O }\n"
                    "    kinetic { C <-> O (1 /ms, 1 /ms); open O }\n}\n", encoding="utf-8")
    with pytest.raises(IoncError, match="at most one kinetic block") as raised:
        check_file(path)
    assert raised.value.diagnostics[0].span.location() == f"{path}:5:5"  # type: ignore[union-attr]


def test_recording_an_unknown_state_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "record.ionc"
    path.write_text(CYCLE.format(records="    record cyc.E at soma"), encoding="utf-8")
    with pytest.raises(IoncError, match="channel 'cyc' has no gate or state 'E'"):
        check_file(path)
