"""`report velocity from A to B`: what distance it divides by, on hand-written cells.

ionc samples a location section(x) at the centre of the compartment that
holds x, and a velocity report divides the path distance between the two
sampled compartment centres (um) by the difference of their first spike
times (0 mV upward crossings, linearly interpolated). For an evenly divided
section this is also the distance between the nominal locations when both
sit at the same offset in their compartments (case B: axon(0.2) and
axon(0.8) of 1000 compartments are 30 mm apart either way), but not in
general: ball_and_stick's axon has 37 compartments (d_lambda), so axon(0.1)
and axon(0.9) are sampled at 0.0946 and 0.9054, 810.8 um apart, not 800 um.

* ball_and_stick (models/cells/ball_and_stick.ionc: soma, a 37-compartment
  HH axon on soma(1), a tapered passive dendrite on soma(0)) against NEURON
  built by hand (L/diam, pt3dadd for the taper, NEURON's own d_lambda nseg):
  every recorded trace within 1e-6 mV, hh_na.m within 1e-8, for backward
  Euler and Crank-Nicolson, and the velocity equal to NEURON's spike-time
  difference over the distance between the segment centres.
* y_branch (tests/cables/models/y_branch.ionc): two axons on one soma; the
  action potential runs from a(0.5) through the branch point to b(0.5), a
  path of 1010 um between compartment centres. The reported velocity must
  be that path over the spike-time difference (the path from a(0.9) to
  a(0.1), 800 um, is checked the same way).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
BALL_AND_STICK = HERE.parent.parent / "models" / "cells" / "ball_and_stick.ionc"
Y_BRANCH = HERE / "models" / "y_branch.ionc"
METHODS = ("backward_euler", "crank_nicolson")


def _centre(nseg: int, x: float) -> float:
    """Centre (fraction of the section) of the segment that holds x."""
    return (min(int(nseg * x), nseg - 1) + 0.5) / nseg


@pytest.mark.parametrize(("simulation", "sites", "path_um"), [
    ("along", ("v@a(0.9)", "v@a(0.1)"), (_centre(100, 0.9) - _centre(100, 0.1)) * 1000.0),
    ("across", ("v@a(0.5)", "v@b(0.5)"), 2 * _centre(100, 0.5) * 1000.0),
])
def test_velocity_is_path_distance_over_time(simulation: str, sites: tuple[str, str], path_um: float,
                                             ionc_run) -> None:  # type: ignore[no-untyped-def]
    output = ionc_run(Y_BRANCH, simulation=simulation)
    first, second = (output["spikes"][s][0] for s in sites)
    assert second > first  # the spike does travel from the first site to the second
    expected = path_um * 1e-3 / (second - first)
    (reported,) = output["velocity"].values()
    print(f"\ny_branch {simulation}: reported {reported} m/s, {path_um:.1f} um / {second - first:.4f} ms "
          f"= {expected:.6f} m/s")
    assert reported == pytest.approx(expected, rel=1e-9)


@pytest.fixture(scope="module")
def neuron_ball_and_stick() -> dict[str, dict[str, np.ndarray] | float]:
    """NEURON's ball and stick, run with both schemes; traces by ionc's names, velocity (m/s)."""
    pytest.importorskip("neuron")
    from cables_neuron import EK_MV, ENA_MV, SECONDORDER, neuron_globals, spike_times

    runs: dict[str, dict[str, np.ndarray] | float] = {}
    with neuron_globals() as h:
        h.load_file("stdlib.hoc")
        soma, axon, dend = (h.Section(name=f"ionc_bas_{n}") for n in ("soma", "axon", "dend"))
        try:
            soma.L = soma.diam = 20.0
            axon.L, axon.diam = 1000.0, 1.0
            h.pt3dadd(0, 0, 0, 3.0, sec=dend)
            h.pt3dadd(500.0, 0, 0, 1.0, sec=dend)
            axon.connect(soma(1), 0)
            dend.connect(soma(0), 0)
            for sec in (soma, axon, dend):
                sec.Ra, sec.cm = 100.0, 1.0
            dend.nseg = 25
            axon.nseg = int((axon.L / (0.1 * h.lambda_f(100, sec=axon)) + 0.9) / 2) * 2 + 1
            assert axon.nseg == 37
            for sec in (soma, axon):
                sec.insert("hh")
                for seg in sec:
                    seg.ena, seg.ek = ENA_MV, EK_MV
            dend.insert("pas")
            for seg in dend:
                seg.pas.g, seg.pas.e = 0.0003, -54.3
            h.usetable_hh = 0
            h.celsius = 6.3
            stim = h.IClamp(soma(0.5))
            stim.delay, stim.dur, stim.amp = 5.0, 30.0, 0.6
            where = {"v@soma": soma(0.5), "v@axon(0.5)": axon(0.5), "v@axon(1)": axon(1),
                     "v@dend(0.5)": dend(0.5), "v@dend(1)": dend(1), "v@axon(0.1)": axon(0.1),
                     "v@axon(0.9)": axon(0.9)}
            t_vec = h.Vector().record(h._ref_t)
            vecs = {name: h.Vector().record(seg._ref_v) for name, seg in where.items()}
            vecs["hh_na.m@axon(0.5)"] = h.Vector().record(axon(0.5)._ref_m_hh)
            distance_mm = (_centre(axon.nseg, 0.9) - _centre(axon.nseg, 0.1)) * axon.L * 1e-3
            for method in METHODS:
                h.cvode_active(0)
                h.secondorder = SECONDORDER[method]
                h.dt, h.tstop = 0.025, 40.0
                h.finitialize(-65.0)
                h.continuerun(40.0)
                t = np.array(t_vec)
                traces = {name: np.array(vec) for name, vec in vecs.items()}
                runs[method] = traces
                start = spike_times(t, traces["v@axon(0.1)"])[0]
                end = spike_times(t, traces["v@axon(0.9)"])[0]
                runs[f"{method} velocity"] = distance_mm / (end - start)
                runs[f"{method} nominal velocity"] = 0.8 / (end - start)
            del stim, where, t_vec, vecs
        finally:
            for sec in (soma, axon, dend):
                h.delete_section(sec=sec)
    return runs


@pytest.mark.neuron
@pytest.mark.parametrize("method", METHODS)
def test_ball_and_stick_matches_neuron(method: str, neuron_ball_and_stick, ionc_run) -> None:  # type: ignore[no-untyped-def]
    output = ionc_run(BALL_AND_STICK, f"method={method}")
    theirs = neuron_ball_and_stick[method]
    assert output["meta"]["compartments"] == 1 + 37 + 25 + 2  # the soma, the axon, the dendrite, 2 junctions
    for site, trace in output["traces"].items():
        tolerance = 1e-8 if site.startswith("hh_na.m") else 1e-6
        np.testing.assert_allclose(trace, theirs[site], rtol=0, atol=tolerance, err_msg=site)
    (reported,) = output["velocity"].values()
    velocity = neuron_ball_and_stick[f"{method} velocity"]
    nominal = neuron_ball_and_stick[f"{method} nominal velocity"]
    print(f"\nball_and_stick {method}: ionc {reported:.6f} m/s; NEURON over the 810.8 um between the "
          f"segment centres {velocity:.6f} m/s (over the nominal 800 um: {nominal:.6f} m/s)")
    assert reported == pytest.approx(velocity, rel=1e-6)
