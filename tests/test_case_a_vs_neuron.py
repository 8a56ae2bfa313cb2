"""Case A (models/cells/hh_point.ionc) against NEURON's built-in hh, same scheme, same dt.

ionc's backward Euler and Crank-Nicolson steps are NEURON's fixed-step
schemes (secondorder 0 and 2) with the gates stepped exactly (cnexp), so the
voltage traces agree to rounding: measured max |v_ionc - v_NEURON| was
2.0e-10 mV (BE) and 1.2e-10 mV (CN) over the 2001 samples (NEURON 9.0.2,
numpy on x86-64). The bound TRACE_BOUND_MV leaves a factor 50 for other
libm / numpy builds; a real discrepancy in a scheme (a half-step offset, a
wrong gate update) shows up at 1e-3 mV or more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_file

HH_POINT = Path(__file__).resolve().parents[1] / "models" / "cells" / "hh_point.ionc"

pytestmark = pytest.mark.neuron

SPIKE_TOL_SAME_SCHEME_MS = 0.01
SPIKE_TOL_CN_VS_CVODE_MS = 0.02
PEAK_TOL_MV = 0.05
TRACE_BOUND_MV = 1e-8
EXPECTED_SPIKES = 3


def _first_peak(t: np.ndarray, v: np.ndarray, spikes: list[float]) -> float:
    from neuron_reference import first_peak

    return first_peak(t, v, spikes)


class IoncRun:
    def __init__(self, overrides: list[str]) -> None:
        output = run_file(HH_POINT, overrides=overrides)
        self.output = output
        self.t = np.asarray(output["t"], dtype=float)
        self.v = np.asarray(output["traces"]["v@soma"], dtype=float)
        self.spikes = list(output["spikes"]["v@soma"])
        self.first_peak = _first_peak(self.t, self.v, self.spikes)


@pytest.fixture(scope="module")
def ionc_be() -> IoncRun:
    return IoncRun(["method=backward_euler"])


@pytest.fixture(scope="module")
def ionc_cn() -> IoncRun:
    return IoncRun(["method=crank_nicolson"])


def _assert_spikes_close(ours: list[float], theirs: tuple[float, ...] | list[float], tol: float) -> None:
    assert len(ours) == len(theirs), f"ionc {ours} vs NEURON {list(theirs)}"
    differences = np.abs(np.asarray(ours) - np.asarray(theirs))
    assert np.all(differences <= tol), (
        f"ionc {ours} vs NEURON {list(theirs)}: differences {differences.tolist()} ms > {tol} ms"
    )


# ---------------------------------------------------------------- spike times


def test_backward_euler_spike_times_match_neuron_secondorder_0(ionc_be, neuron_be) -> None:
    assert len(neuron_be.spikes) == EXPECTED_SPIKES
    _assert_spikes_close(ionc_be.spikes, neuron_be.spikes, SPIKE_TOL_SAME_SCHEME_MS)


def test_crank_nicolson_spike_times_match_neuron_secondorder_2(ionc_cn, neuron_cn) -> None:
    assert len(neuron_cn.spikes) == EXPECTED_SPIKES
    _assert_spikes_close(ionc_cn.spikes, neuron_cn.spikes, SPIKE_TOL_SAME_SCHEME_MS)


def test_crank_nicolson_spike_times_match_cvode(ionc_cn, neuron_cvode) -> None:
    assert len(neuron_cvode.spikes) == EXPECTED_SPIKES
    _assert_spikes_close(ionc_cn.spikes, neuron_cvode.spikes, SPIKE_TOL_CN_VS_CVODE_MS)


def test_backward_euler_is_late_compared_with_cvode(ionc_be, neuron_cvode) -> None:
    # BENCHMARKS.md: backward Euler at dt 0.025 is 0.16 ms late by the third spike.
    late = np.asarray(ionc_be.spikes) - np.asarray(neuron_cvode.spikes)
    assert np.all(late > 0)
    assert 0.1 < late[-1] < 0.2


# ---------------------------------------------------------------- first peak


def test_backward_euler_first_peak_matches_neuron(ionc_be, neuron_be) -> None:
    assert abs(ionc_be.first_peak - neuron_be.first_peak) <= PEAK_TOL_MV
    assert 39.0 < ionc_be.first_peak < 41.0


def test_crank_nicolson_first_peak_matches_neuron(ionc_cn, neuron_cn) -> None:
    assert abs(ionc_cn.first_peak - neuron_cn.first_peak) <= PEAK_TOL_MV
    assert 39.0 < ionc_cn.first_peak < 41.0


# ---------------------------------------------------------------- whole traces


@pytest.mark.parametrize("scheme", ["backward_euler", "crank_nicolson"])
def test_voltage_trace_matches_neuron_same_scheme(scheme, request) -> None:
    ours = request.getfixturevalue("ionc_be" if scheme == "backward_euler" else "ionc_cn")
    theirs = request.getfixturevalue("neuron_be" if scheme == "backward_euler" else "neuron_cn")
    assert ours.t.shape == theirs.t.shape == (2001,)
    assert np.max(np.abs(ours.t - theirs.t)) < 1e-9  # NEURON accumulates t += dt
    difference = float(np.max(np.abs(ours.v - theirs.v)))
    assert difference <= TRACE_BOUND_MV, f"max |v_ionc - v_NEURON| = {difference:.3e} mV ({scheme})"


# ---------------------------------------------------------------- an override


def test_set_gnabar_matches_neuron_gnabar(neuron_be_gnabar_100) -> None:
    ours = IoncRun(["method=backward_euler", "hh_na.gbar=100mS/cm2"])
    assert neuron_be_gnabar_100.gnabar == pytest.approx(0.1)
    assert len(neuron_be_gnabar_100.spikes) >= 1
    _assert_spikes_close(ours.spikes, neuron_be_gnabar_100.spikes, SPIKE_TOL_SAME_SCHEME_MS)
    difference = float(np.max(np.abs(ours.v - neuron_be_gnabar_100.v)))
    assert difference <= TRACE_BOUND_MV, f"max |v_ionc - v_NEURON| = {difference:.3e} mV"


# ---------------------------------------------------------------- the model file's default


def test_default_method_of_case_a_is_crank_nicolson(ionc_cn) -> None:
    default = run_file(HH_POINT)
    assert default["meta"]["method"] == "crank_nicolson"
    assert ionc_cn.output["meta"]["method"] == "crank_nicolson"
    assert default["spikes"]["v@soma"] == ionc_cn.spikes
