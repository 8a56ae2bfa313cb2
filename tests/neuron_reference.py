"""Case A of ../shared/BENCHMARKS.md built in NEURON, in-process: the reference for ionc.

One isopotential soma (cylinder L = diam = 17.841242 um, area 1000 um2) with
NEURON's built-in `hh` (rate tables off), celsius 6.3, an IClamp of 0.1 nA
at 0.5 from 5 ms for 40 ms, v_init -65 mV, tstop 50 ms.

Three integrators:

* ``backward_euler``: fixed dt 0.025, ``h.secondorder = 0``;
* ``crank_nicolson``: fixed dt 0.025, ``h.secondorder = 2``;
* ``cvode``: variable step, atol 1e-10 (rtol 0, NEURON's default).

Fixed-step spike times are computed exactly as ionc computes them (upward
crossings of 0 mV, linearly interpolated between the recorded samples). For
CVODE a NetCon with threshold 0 records the times, NEURON locating each
crossing itself (``condition_order(2)``: interpolated within the step, not
the end of the step that crossed).

Every NEURON global this module touches is restored after each run, so other
NEURON tests in the same session see NEURON's defaults. The built section is
deleted when a run returns. Only import this module after
``pytest.importorskip("neuron")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

DIAMETER_UM = 17.841242  # L = diam: area 1000 um2
CELSIUS = 6.3
STIM_DELAY_MS = 5.0
STIM_DURATION_MS = 40.0
STIM_AMPLITUDE_NA = 0.1
V_INIT_MV = -65.0
DT_MS = 0.025
TSTOP_MS = 50.0
CVODE_ATOL = 1e-10
THRESHOLD_MV = 0.0

METHODS = ("backward_euler", "crank_nicolson", "cvode")
_SECONDORDER = {"backward_euler": 0, "crank_nicolson": 2}


@dataclass(frozen=True)
class NeuronRun:
    """One NEURON run of case A."""

    method: str  # backward_euler | crank_nicolson | cvode
    gnabar: float  # S/cm2
    t: np.ndarray  # ms, the recorded sample times (uneven for cvode)
    v: np.ndarray  # mV, v at soma(0.5) at those times
    spikes: tuple[float, ...]  # ms
    first_peak: float  # mV, the maximum of v over the first spike


def spike_times(t: np.ndarray, v: np.ndarray, threshold: float = THRESHOLD_MV) -> list[float]:
    """Upward crossings of `threshold`, linearly interpolated between samples: the
    definition of ../shared/BENCHMARKS.md, the one the generated modules carry."""
    from ionc.runtime.standalone import spike_times as crossings

    return crossings(np.asarray(t, dtype=float), np.asarray(v, dtype=float), threshold)


@contextmanager
def neuron_globals() -> Iterator[Any]:
    """`h` with stdrun loaded; every global a run here changes is restored on exit, so
    the NEURON tests of one session do not see each other's settings."""
    from neuron import h

    h.load_file("stdrun.hoc")
    saved = {
        "usetable_hh": h.usetable_hh, "celsius": h.celsius, "dt": h.dt, "tstop": h.tstop,
        "secondorder": h.secondorder, "cvode_active": h.cvode.active(), "atol": h.cvode.atol(),
        "rtol": h.cvode.rtol(), "condition_order": h.cvode.condition_order(),
    }
    try:
        yield h
    finally:
        h.cvode_active(saved["cvode_active"])
        h.cvode.atol(saved["atol"])
        h.cvode.rtol(saved["rtol"])
        h.cvode.condition_order(int(saved["condition_order"]))
        h.secondorder = saved["secondorder"]
        h.usetable_hh = saved["usetable_hh"]
        h.celsius = saved["celsius"]
        h.dt = saved["dt"]
        h.tstop = saved["tstop"]


def integrate(h: Any, method: str, dt: float, tstop: float, cvode_atol: float) -> None:
    """finitialize and run NEURON with a fixed-step scheme or CVODE (crossings located by NEURON)."""
    if method == "cvode":
        h.cvode_active(1)
        h.cvode.atol(cvode_atol)
        h.cvode.rtol(0.0)
        h.cvode.condition_order(2)
    else:
        h.cvode_active(0)
        h.secondorder = _SECONDORDER[method]
        h.dt = dt
    h.tstop = tstop
    h.finitialize(V_INIT_MV)
    h.continuerun(tstop)


def first_peak(t: np.ndarray, v: np.ndarray, spikes: list[float] | tuple[float, ...],
               window_ms: float = 3.0) -> float:
    """The maximum of v from the first spike's crossing to `window_ms` after it."""
    if not spikes:
        return float("nan")
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    inside = (t >= spikes[0]) & (t <= spikes[0] + window_ms)
    return float(np.max(v[inside]))


def run_case_a(method: str = "backward_euler", gnabar: float | None = None) -> NeuronRun:
    """Build case A in NEURON, run it with `method`, and return the trace and spikes.

    `gnabar` (S/cm2) replaces hh's default 0.12 (ionc's `--set hh_na.gbar=...`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    with neuron_globals() as h:
        return _run_case_a(h, method, gnabar)


def _run_case_a(h: Any, method: str, gnabar: float | None) -> NeuronRun:
    soma = h.Section(name="ionc_case_a_soma")
    try:
        soma.L = DIAMETER_UM
        soma.diam = DIAMETER_UM
        soma.nseg = 1
        soma.cm = 1.0
        soma.insert("hh")
        segment = soma(0.5)
        if gnabar is not None:
            segment.hh.gnabar = gnabar
        used_gnabar = float(segment.hh.gnabar)
        h.usetable_hh = 0
        h.celsius = CELSIUS

        stim = h.IClamp(segment)
        stim.delay = STIM_DELAY_MS
        stim.dur = STIM_DURATION_MS
        stim.amp = STIM_AMPLITUDE_NA

        t_vec = h.Vector().record(h._ref_t)
        v_vec = h.Vector().record(segment._ref_v)
        detector = h.NetCon(segment._ref_v, None, sec=soma)
        detector.threshold = THRESHOLD_MV
        detected = h.Vector()
        detector.record(detected)

        integrate(h, method, DT_MS, TSTOP_MS, CVODE_ATOL)

        t = np.array(t_vec, dtype=float)
        v = np.array(v_vec, dtype=float)
        if method == "cvode":
            spikes = [float(x) for x in detected]
        else:
            spikes = spike_times(t, v)
        result = NeuronRun(
            method=method, gnabar=used_gnabar, t=t, v=v, spikes=tuple(spikes),
            first_peak=first_peak(t, v, spikes),
        )
        del detector, stim, t_vec, v_vec, detected, segment
        return result
    finally:
        h.delete_section(sec=soma)
