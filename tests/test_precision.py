"""`precision = single`: float32 arrays in the time loop, and what that costs in accuracy.

The bounds below are the accuracy docs/language.md states for single precision
(measured on these cases: spike times move by about 1e-4 ms, velocities by
about 0.05%).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import compile_file, run_simulation

CELLS = Path(__file__).resolve().parent.parent / "models" / "cells"
SPIKE_TOLERANCE_MS = 1e-3
VELOCITY_RTOL = 1e-3


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_single_precision_spikes_agree_with_double(backend: str) -> None:
    if backend == "numba":
        pytest.importorskip("numba")
    double, _ = run_simulation(CELLS / "hh_point.ionc", backend=backend)
    single, raw = run_simulation(CELLS / "hh_point.ionc", overrides=["precision=single"], backend=backend)
    (site,) = double["spikes"]
    assert len(single["spikes"][site]) == len(double["spikes"][site]) == 3
    assert np.max(np.abs(np.subtract(single["spikes"][site], double["spikes"][site]))) < SPIKE_TOLERANCE_MS
    assert not np.array_equal(single["spikes"][site], double["spikes"][site])  # it did run in float32


@pytest.mark.parametrize("model", ["squid_axon.ionc", "axon_scaling.ionc"])
def test_single_precision_velocity_agrees_with_double(model: str) -> None:
    double, _ = run_simulation(CELLS / model, overrides=["method=backward_euler"])
    single, _ = run_simulation(CELLS / model, overrides=["method=backward_euler", "precision=single"])
    (name,) = double["velocity"]
    assert single["velocity"][name] == pytest.approx(double["velocity"][name], rel=VELOCITY_RTOL)


def test_single_precision_module_keeps_its_state_in_float32() -> None:
    module = compile_file(CELLS / "hh_point.ionc", overrides=["precision=single"]).load()
    assert module.DTYPE is np.float32
    assert compile_file(CELLS / "hh_point.ionc").load().DTYPE is np.float64
