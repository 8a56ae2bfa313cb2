"""Numerical safety: a blow-up or a dt too large for the fastest gate stops the run with the
time, the place, every mechanism state there and what to try (docs/long_runs.md)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation

ROOT = Path(__file__).resolve().parents[2]
CELLS = ROOT / "models" / "cells"
HH_POINT = CELLS / "hh_point.ionc"
EXIT_RUN_ERROR = 3
MAX_DT_OVER_TAU = 3.0  # the criterion of runtime/standalone.py, restated: a test of the number itself


def tau_m_hh(v: float) -> float:
    """Hodgkin-Huxley's m time constant at 6.3 degC (ms), in closed form."""
    alpha = 0.1 * (v + 40) / (1 - math.exp(-(v + 40) / 10))
    beta = 4 * math.exp(-(v + 65) / 18)
    return 1 / (alpha + beta)


def test_the_squid_axon_at_dt_1ms_stops_with_the_diagnostic(ionc_env: dict[str, str], tmp_path: Path) -> None:
    """dt = 1 ms stays bounded on the squid axon but is wrong (no spike, measured): the run stops,
    naming the time, the section(x) and node, v and every state there, and a dt to try."""
    done = subprocess.run(
        [sys.executable, "-m", "ionc", "run", str(CELLS / "squid_axon.ionc"), "--set", "dt=1ms", "--quiet"],
        capture_output=True, text=True, env=ionc_env, cwd=tmp_path,
    )
    assert done.returncode == EXIT_RUN_ERROR, done.stderr
    message = done.stderr
    assert "Traceback" not in message
    assert "dt = 1 ms is too large" in message and "at t = 10 ms" in message
    assert re.search(r"at axon\([0-9.]+\) \(node \d+\)", message)
    for state in ("hh_na.m = ", "hh_na.h = ", "hh_k.n = "):
        assert state in message
    tau = float(re.search(r"time constant of ([0-9.]+) ms", message).group(1))
    assert 1.0 / tau > MAX_DT_OVER_TAU
    suggested = float(re.search(r"Try dt <= ([0-9.e-]+) ms", message).group(1))
    assert suggested <= tau / 5  # a fifth of the fastest time constant, rounded down
    assert suggested == 0.01  # the squid axon's own dt, with which it fires and conducts


def test_the_criterion_is_dt_over_three_time_constants_of_the_fastest_gate() -> None:
    """At rest the fastest gate of the HH patch is m, tau_m(-65 mV) = 0.2368 ms in closed form:
    dt = 0.7 ms (2.96 tau) runs, dt = 0.8 ms (3.38 tau) stops, and the tau named is the closed form's."""
    quiet = ["duration=70ms", "stim.amplitude=0nA"]
    _, raw = run_simulation(HH_POINT, overrides=["dt=0.7ms", *quiet])
    v_end = float(raw["traces"]["v@soma"][0, -1])
    assert raw["fastest_tau"] == pytest.approx(tau_m_hh(v_end), rel=2e-3)
    with pytest.raises(RuntimeError) as stopped:
        run_simulation(HH_POINT, overrides=["dt=0.8ms", *quiet])
    message = str(stopped.value)
    assert type(stopped.value).__name__ == "SimulationError"
    v = float(re.search(r"v = (-?[0-9.]+) mV there", message).group(1))
    tau = float(re.search(r"time constant of ([0-9.]+) ms", message).group(1))
    assert tau == pytest.approx(tau_m_hh(v), rel=5e-3)  # 3 significant digits printed
    assert "state hh_na.m at soma(0.5) (node 0)" in message


def test_a_blow_up_names_the_batch_member_and_the_states() -> None:
    """A negative leak in member 1 of a batch of 2 runs away: NaN/inf by t = 1.25 ms (the first
    check, 50 steps), named with the member, the place and the states."""
    with pytest.raises(RuntimeError) as stopped:
        run_simulation(HH_POINT, parameters={"leak.g": [0.3, -50.0]})  # mS/cm2
    message = str(stopped.value)
    assert "blew up" in message and "batch member 1" in message and "by t = 1.25 ms" in message
    assert "soma(0.5) (node 0)" in message and "hh_na.m = " in message and "hh_k.n = " in message
    assert "smaller dt" in message and "check the parameters" in message


@pytest.mark.slow
def test_no_model_of_the_library_trips_the_check_at_its_own_dt() -> None:
    """Every cell of models/cells runs at its own dt with a margin: the fastest gate time constant
    seen is at least one dt (the check stops at three dt per tau). Measured: at most 0.80
    (connor_stevens_cell), the squid axon 0.28, hh_point 0.18."""
    for path in sorted(CELLS.glob("*.ionc")):
        output, raw = run_simulation(path, overrides=["duration=20ms"])
        dt = output["meta"]["dt"]
        assert dt / raw["fastest_tau"] < 1.0, (path.name, dt / raw["fastest_tau"])
        assert raw["complete"] and np.isfinite(raw["t"][-1])


@pytest.mark.slow
def test_the_numba_backend_checks_the_same_way() -> None:
    """The compiled loop keeps no exp(-dt/tau): simulate() computes them after each chunk, so the
    numba backend stops at the same dt, with the same message, and names a blow-up's very step."""
    pytest.importorskip("numba")
    quiet = ["duration=70ms", "stim.amplitude=0nA"]
    messages = []
    for backend in ("numpy", "numba"):
        with pytest.raises(RuntimeError) as stopped:
            run_simulation(HH_POINT, overrides=["dt=0.8ms", *quiet], backend=backend)
        messages.append(str(stopped.value))
    assert messages[0] == messages[1]
    with pytest.raises(RuntimeError) as stopped:
        run_simulation(HH_POINT, parameters={"leak.g": [0.3, -50.0]}, backend="numba")
    message = str(stopped.value)
    # v passes 1e4 mV in member 1 at its 5th step: numba's loop checks every step
    assert "batch member 1 by t = 0.125 ms" in message and "hh_na.m = " in message
