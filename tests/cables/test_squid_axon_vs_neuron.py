"""Cases B and C of /work/shared/BENCHMARKS.md: ionc's conduction velocity against NEURON's.

Case B, models/cells/squid_axon.ionc: an HH cylinder 50 mm long, 476 um wide,
Ra 35.4 ohm cm, 1000 compartments, 18.5 degC, an IClamp of 10775 nA at
x = 0.0005 from 0.5 ms for 0.2 ms, dt 0.01 ms, tstop 10 ms; velocity =
30 mm / (t(40 mm) - t(10 mm)), the times being 0 mV upward crossings
linearly interpolated between samples (NEURON: sec(0.2) and sec(0.8)).

Case C, models/cells/axon_scaling.ionc with N = 100: 1 mm of 1 um axon,
Ra 100 ohm cm, 100 compartments, 6.3 degC, 0.3 nA at x = 0 from 1 ms for
0.5 ms, dt 0.025 ms, tstop 20 ms; velocity between 200 um and 800 um.

NEURON is built in this session with the same geometry, nseg, dt and scheme:
backward Euler (secondorder 0) and Crank-Nicolson (secondorder 2), hh with
usetable_hh = 0. Acceptance: velocities within 1%. The first spike times at
both sites must also agree within 0.001 ms (the two compute the same thing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

from cables_neuron import CASE_B, CASE_C_100, Axon, AxonRun, run_axon  # noqa: E402

CELLS = Path(__file__).resolve().parent.parent.parent / "models" / "cells"
SQUID = CELLS / "squid_axon.ionc"
SCALING = CELLS / "axon_scaling.ionc"
METHODS = ("backward_euler", "crank_nicolson")
VELOCITY_RTOL = 0.01
SPIKE_ATOL_MS = 1e-3

CASES: dict[str, tuple[Path, Axon, float, tuple[str, ...]]] = {
    "B": (SQUID, CASE_B, 0.01, ()),
    "C100": (SCALING, CASE_C_100, 0.025, ("axon.compartments=100",)),
}


@pytest.fixture(scope="module")
def neuron_runs() -> dict[tuple[str, str], AxonRun]:
    return {(case, method): run_axon(axon, method, dt)
            for case, (_, axon, dt, _) in CASES.items() for method in METHODS}


def _only_velocity(output: dict) -> float:
    (velocity,) = output["velocity"].values()
    assert velocity is not None
    return float(velocity)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", list(CASES))
def test_velocity_matches_neuron(case: str, method: str, neuron_runs, ionc_run) -> None:  # type: ignore[no-untyped-def]
    path, axon, dt, extra = CASES[case]
    output = ionc_run(path, f"method={method}", *extra)
    assert output["meta"]["dt"] == dt
    assert output["meta"]["compartments"] == axon.nseg
    ours = _only_velocity(output)
    theirs = neuron_runs[(case, method)].velocity
    print(f"\ncase {case} {method}: ionc {ours:.6f} m/s, NEURON {theirs:.6f} m/s "
          f"(relative difference {ours / theirs - 1:+.2e})")
    assert ours == pytest.approx(theirs, rel=VELOCITY_RTOL)

    first_spikes = [times[0] for times in output["spikes"].values()]
    assert first_spikes == pytest.approx([s[0] for s in neuron_runs[(case, method)].spikes], abs=SPIKE_ATOL_MS)


def test_case_b_matches_the_published_neuron_figures(neuron_runs) -> None:  # type: ignore[no-untyped-def]
    """BENCHMARKS.md: NEURON 9.0.2 gives 18.5865 (BE) and 18.7117 m/s (CN); this NEURON agrees."""
    assert neuron_runs[("B", "backward_euler")].velocity == pytest.approx(18.5865, abs=1e-3)
    assert neuron_runs[("B", "crank_nicolson")].velocity == pytest.approx(18.7117, abs=1e-3)


def test_case_c_is_about_a_third_of_a_metre_per_second(ionc_run) -> None:  # type: ignore[no-untyped-def]
    """BENCHMARKS.md: about 0.333 m/s in every simulator."""
    assert _only_velocity(ionc_run(SCALING, "axon.compartments=100")) == pytest.approx(0.333, rel=0.01)
