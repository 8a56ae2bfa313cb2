"""The numba backend: the same equations, one compiled loop; it agrees with the numpy backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parent.parent
CELLS = ROOT / "models" / "cells"

# Both backends evaluate the same expressions; they differ only in the order of
# floating-point operations (LAPACK vs a Hines sweep; whole-array vs one node at a
# time), which moves v by a few 1e-11 mV over thousands of steps.
TRACE_TOLERANCE_MV = 1e-8


@pytest.mark.parametrize(
    ("model", "overrides"),
    [
        ("hh_point.ionc", []),
        ("hh_point.ionc", ["method=backward_euler"]),
        ("squid_axon.ionc", ["axon.compartments=200"]),
        ("ball_and_stick.ionc", []),
        ("granule_cell.ionc", ["duration=15ms"]),
        ("ca3_pyramidal.ionc", ["duration=10ms"]),  # a branched tree from SWC
    ],
)
def test_numba_matches_numpy(model: str, overrides: list[str]) -> None:
    numpy_output, numpy_raw = run_simulation(CELLS / model, overrides=overrides)
    numba_output, numba_raw = run_simulation(CELLS / model, overrides=overrides, backend="numba")
    for site, trace in numpy_raw["traces"].items():
        assert np.max(np.abs(trace - numba_raw["traces"][site])) < TRACE_TOLERANCE_MV, site
    for site, times in numpy_output["spikes"].items():
        assert np.allclose(times, numba_output["spikes"][site], atol=1e-9, rtol=0), site
    for name, velocity in numpy_output.get("velocity", {}).items():
        assert numba_output["velocity"][name] == pytest.approx(velocity, rel=1e-9)


def test_numba_runs_a_sweep_as_one_batch() -> None:
    sweeps = ["stim.amplitude=0:0.3nA:16"]
    numpy_output, _ = run_simulation(CELLS / "hh_point.ionc", sweeps=sweeps)
    numba_output, _ = run_simulation(CELLS / "hh_point.ionc", sweeps=sweeps, backend="numba")
    assert [len(s) for s in numba_output["spikes"]["v@soma"]] == [len(s) for s in numpy_output["spikes"]["v@soma"]]


def test_space_time_pictures_still_work_with_numba() -> None:
    _, raw = run_simulation(CELLS / "squid_axon.ionc", overrides=["axon.compartments=100"], space_time=True,
                            backend="numba")
    assert raw["space_time"]["v"].shape[2] == raw["space_time"]["distance_um"].size


def test_numba_with_tables_matches_numpy_with_tables() -> None:
    overrides = ["axon.compartments=200", "tables=on"]
    numpy_output, numpy_raw = run_simulation(CELLS / "squid_axon.ionc", overrides=overrides)
    numba_output, numba_raw = run_simulation(CELLS / "squid_axon.ionc", overrides=overrides, backend="numba")
    for site, trace in numpy_raw["traces"].items():
        assert np.max(np.abs(trace - numba_raw["traces"][site])) < TRACE_TOLERANCE_MV, site
    assert numba_output["meta"]["table_error"] == numpy_output["meta"]["table_error"]


def test_numba_stops_when_v_leaves_the_tables() -> None:
    from ionc.api import compile_file

    module = compile_file(CELLS / "hh_point.ionc", overrides=["tables=on", "v_init=-150mV"], backend="numba").load()
    with pytest.raises(RuntimeError, match="outside the rate tables"):
        module.simulate()
