"""The presynaptic terminal of models/cells/presynaptic_terminal.ionc against NEURON.

An HH axon (1000 um, 100 compartments) ending in a bouton with HVA calcium
channels, a calcium pool and a release readout; in NEURON the same geometry
with `hh` (rate tables off) and the reference mechanisms ref_hva, ref_ms_cad and
ref_release written from the same papers. The spike arrives, calcium enters,
release follows: the arrival time, the calcium peak (size and time) and the
release peak (size and time) agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neuron_harness as nh
import numpy as np
import pytest
from ionc.api import run_simulation
from neuron_reference import neuron_globals

pytestmark = pytest.mark.neuron

MODEL = Path(__file__).resolve().parents[2] / "models" / "cells" / "presynaptic_terminal.ionc"
DT_MS = 0.025
SPIKE_TOL_MS = 0.05  # issue 5's tolerance for spike times at the same dt
# Calcium peaks agree to rounding (4e-11); the release peak to 5e-4: within one step, ionc
# updates release.n with the calcium of the step's start, NEURON (mechanism order) with the
# pool's new value, a first-order difference of the same size as the scheme's own error.
PEAK_RTOL = 1e-3
KREL, CREF_MM = 1.0, 0.01  # ref_release's rate = krel (cai/cref)^4


def release_rate(cai: np.ndarray, n: np.ndarray) -> np.ndarray:
    return KREL * (cai / CREF_MM) ** 4 * n


def neuron_terminal(h: Any) -> dict[str, np.ndarray]:
    axon, bouton = h.Section(name="axon"), h.Section(name="bouton")
    try:
        axon.L, axon.diam, axon.nseg = 1000.0, 1.0, 100
        bouton.L, bouton.diam, bouton.nseg = 3.0, 3.0, 1
        bouton.connect(axon(1.0), 0.0)
        for sec in (axon, bouton):
            sec.Ra, sec.cm = 100.0, 1.0
            sec.insert("hh")
            for seg in sec:
                seg.ena, seg.ek = 50.0, -77.0
        for suffix in ("ref_hva", "ref_ms_cad", "ref_release"):
            bouton.insert(suffix)
        bouton(0.5).ref_hva.gbar = 5e-5  # S/cm2: the model's 0.05 mS/cm2
        stim = h.IClamp(axon(0.005))
        stim.delay, stim.dur, stim.amp = 1.0, 0.5, 0.3
        seg = bouton(0.5)
        vectors = {"t": h.Vector().record(h._ref_t), "v": h.Vector().record(seg._ref_v),
                   "cai": h.Vector().record(seg._ref_cai), "n": h.Vector().record(seg.ref_release._ref_n)}
        h.finitialize(-65.0)
        h.continuerun(30.0)
        return {name: np.array(vector) for name, vector in vectors.items()}
    finally:
        del axon, bouton


@pytest.fixture(scope="module")
def runs(channel_library: nh.Library) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    output, raw = run_simulation(MODEL)
    ours = {"t": np.asarray(raw["t"]), "v": raw["traces"]["v@bouton"][0], "cai": raw["traces"]["cad.cai@bouton"][0],
            "n": raw["traces"]["release.n@bouton"][0]}
    with neuron_globals() as h:
        h.usetable_hh, h.celsius, h.dt, h.secondorder = 0, 6.3, DT_MS, 0
        h.cao0_ca_ion, h.cai0_ca_ion = 2.0, 1e-4
        theirs = neuron_terminal(h)
    return ours, theirs


def test_the_spike_arrives_at_the_same_time(runs: tuple[dict, dict]) -> None:
    ours, theirs = runs
    ours_spike = nh.spike_times(ours["t"], ours["v"])
    theirs_spike = nh.spike_times(theirs["t"], theirs["v"])
    assert len(ours_spike) == len(theirs_spike) == 1
    assert abs(ours_spike[0] - theirs_spike[0]) <= SPIKE_TOL_MS


def test_calcium_rises_after_the_spike_and_release_follows_as_in_neuron(runs: tuple[dict, dict]) -> None:
    ours, theirs = runs
    arrival = nh.spike_times(ours["t"], ours["v"])[0]
    peaks = {}
    for name, run in (("ionc", ours), ("NEURON", theirs)):
        rate = release_rate(run["cai"], run["n"])
        peaks[name] = (run["cai"].max(), run["t"][run["cai"].argmax()], rate.max(), run["t"][rate.argmax()])
    cai_peak, cai_time, release_peak, release_time = peaks["ionc"]
    assert cai_time > arrival and release_time > arrival  # calcium and release follow the spike
    assert cai_peak > 10 * 1e-4  # tenfold or more above rest
    for ours_value, theirs_value in zip(peaks["ionc"], peaks["NEURON"], strict=True):
        assert ours_value == pytest.approx(theirs_value, rel=PEAK_RTOL, abs=DT_MS / 2)
