"""NEURON references for the cable tests: HH axons (cases B and C) and SWC cells.

Everything is built in-process the way a NEURON user would: ``h.Section`` with
``L``/``diam``/``nseg`` (or the SWC sections through
``tests/morphology/neuron_build.py``), NEURON's built-in ``hh`` with its rate
tables off (``h.usetable_hh = 0``), ``ena`` 50 mV, ``ek`` -77 mV, an ``IClamp``,
``h.finitialize(-65)`` and ``h.continuerun``. Fixed-step spike times are the
upward 0 mV crossings of the recorded samples, linearly interpolated (as ionc
computes them); under CVODE a NetCon (threshold 0, ``condition_order(2)``)
locates each crossing itself.

Every NEURON global touched here is restored when a run returns, and every
section built is deleted, so other NEURON tests of the session see NEURON's
defaults. Import this module only after ``pytest.importorskip("neuron")``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from neuron_reference import integrate, neuron_globals, spike_times  # the shared NEURON run and crossing rule

V_INIT_MV = -65.0
ENA_MV, EK_MV = 50.0, -77.0
SECONDORDER = {"backward_euler": 0, "crank_nicolson": 2}


def _insert_hh(h: Any, sections: Sequence[Any]) -> None:
    for sec in sections:
        sec.insert("hh")
        for seg in sec:
            seg.ena = ENA_MV
            seg.ek = EK_MV
    h.usetable_hh = 0


def _record_spikes(h: Any, segments: Sequence[Any], sec_of: Sequence[Any]) -> tuple[Any, list[Any], list[Any], list[Any]]:
    t_vec = h.Vector().record(h._ref_t)
    v_vecs = [h.Vector().record(seg._ref_v) for seg in segments]
    detectors, detected = [], []
    for seg, sec in zip(segments, sec_of, strict=True):
        nc = h.NetCon(seg._ref_v, None, sec=sec)
        nc.threshold = 0.0
        found = h.Vector()
        nc.record(found)
        detectors.append(nc)
        detected.append(found)
    return t_vec, v_vecs, detectors, detected


def _spikes_of(method: str, t_vec: Any, v_vecs: Sequence[Any], detected: Sequence[Any]) -> list[list[float]]:
    if method == "cvode":
        return [[float(x) for x in found] for found in detected]
    t = np.array(t_vec, dtype=float)
    return [spike_times(t, np.array(v, dtype=float)) for v in v_vecs]


@dataclass(frozen=True)
class Axon:
    """An unbranched HH cylinder with an IClamp, recorded at `record_x` (cases B and C)."""

    length_um: float
    diam_um: float
    nseg: int
    ra_ohm_cm: float
    celsius: float
    stim_x: float
    delay_ms: float
    dur_ms: float
    amp_na: float
    tstop_ms: float
    record_x: tuple[float, float]

    @property
    def distance_mm(self) -> float:
        """Distance between the two recording sites (their segments' centres are as far apart)."""
        return (self.record_x[1] - self.record_x[0]) * self.length_um * 1e-3


# Case B of /work/shared/BENCHMARKS.md (models/cells/squid_axon.ionc).
CASE_B = Axon(50_000.0, 476.0, 1000, 35.4, 18.5, 0.0005, 0.5, 0.2, 10775.0, 10.0, (0.2, 0.8))
# Case C, N = 100 (models/cells/axon_scaling.ionc): 200 um and 800 um of a 1000 um axon.
CASE_C_100 = Axon(1000.0, 1.0, 100, 100.0, 6.3, 0.0, 1.0, 0.5, 0.3, 20.0, (0.2, 0.8))


@dataclass(frozen=True)
class AxonRun:
    method: str
    dt: float | None
    spikes: tuple[tuple[float, ...], tuple[float, ...]]  # ms, at the two recording sites
    velocity: float  # m/s, from the first spike at each site


def run_axon(axon: Axon, method: str, dt: float = 0.01, cvode_atol: float = 1e-8) -> AxonRun:
    """Run `axon` in NEURON; `method` is backward_euler, crank_nicolson or cvode."""
    with neuron_globals() as h:
        sec = h.Section(name="ionc_cables_axon")
        try:
            sec.L, sec.diam, sec.nseg = axon.length_um, axon.diam_um, axon.nseg
            sec.Ra, sec.cm = axon.ra_ohm_cm, 1.0
            _insert_hh(h, [sec])
            h.celsius = axon.celsius
            stim = h.IClamp(sec(axon.stim_x))
            stim.delay, stim.dur, stim.amp = axon.delay_ms, axon.dur_ms, axon.amp_na
            segments = [sec(x) for x in axon.record_x]
            t_vec, v_vecs, detectors, detected = _record_spikes(h, segments, [sec, sec])
            integrate(h, method, dt, axon.tstop_ms, cvode_atol)
            spikes = _spikes_of(method, t_vec, v_vecs, detected)
            del detectors, stim, segments, t_vec, v_vecs, detected
        finally:
            h.delete_section(sec=sec)
    first, second = spikes
    velocity = axon.distance_mm / (second[0] - first[0])  # mm/ms = m/s
    return AxonRun(method, None if method == "cvode" else dt, (tuple(first), tuple(second)), velocity)


def swc_discretization(swc: Path, nseg: int | dict[str, int] | None, ra: float, cm: float) -> Any:
    """ionc's sections of an SWC file (the from_swc soma policy) with `nseg` compartments each
    (a number, a number per section name, or None for ionc's d_lambda = 0.1 rule)."""
    from ionc.morphology import Morphology, discretize, load_swc

    morphology = load_swc(swc)
    if nseg is None:
        return discretize(morphology, ra=ra, cm=cm)
    counts = nseg if isinstance(nseg, dict) else {s.name: nseg for s in morphology.sections}
    sections = tuple(dataclasses.replace(s, nseg=counts[s.name]) for s in morphology.sections)
    return discretize(Morphology(sections, morphology.source), ra=ra, cm=cm)


def run_swc_soma_step(swc: Path, nseg: int | None, method: str, *, ra: float = 150.0, celsius: float = 6.3,
                      delay: float, dur: float, amp: float, dt: float, tstop: float) -> tuple[int, list[float]]:
    """HH in every section of an SWC cell, an IClamp at soma(0.5); (nodes, soma spike times).

    The sections come from ionc's SWC reader (same soma policy) and are built
    in NEURON with tests/morphology/neuron_build.py (pt3dadd, same Ra, cm).
    `nseg` None: NEURON's own d_lambda rule (0.1 of lambda_f(100 Hz), stdlib.hoc)
    sets each section's nseg; the node count returned is then that of ionc's
    compartments with NEURON's nseg.
    """
    from neuron_build import build_sections, neuron_d_lambda_nseg

    disc = swc_discretization(swc, nseg, ra, 1.0)
    soma_name = disc.morphology.section("soma").name
    with neuron_globals() as h:
        secs = build_sections(disc)
        try:
            if nseg is None:
                neuron_nseg = neuron_d_lambda_nseg(secs)
                for name, sec in secs.items():
                    sec.nseg = neuron_nseg[name]
                disc = swc_discretization(swc, neuron_nseg, ra, 1.0)
            _insert_hh(h, list(secs.values()))
            h.celsius = celsius
            soma = secs[soma_name]
            stim = h.IClamp(soma(0.5))
            stim.delay, stim.dur, stim.amp = delay, dur, amp
            t_vec, v_vecs, detectors, detected = _record_spikes(h, [soma(0.5)], [soma])
            integrate(h, method, dt, tstop, 1e-8)
            spikes = _spikes_of(method, t_vec, v_vecs, detected)[0]
            del detectors, stim, t_vec, v_vecs, detected, soma
        finally:
            for sec in secs.values():
                h.delete_section(sec=sec)
            secs.clear()
    return disc.n, spikes
