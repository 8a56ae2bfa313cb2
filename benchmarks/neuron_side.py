"""The cases built in NEURON, in this process, with its built-in `hh`.

A model is built once per case and run many times. Each run sets
`h.usetable_hh` (1: NEURON as users run it, with its 1 mV rate tables;
0: rates computed exactly, as ionc does), then times only
`h.finitialize(v_init)` + `h.continuerun(tstop)` (wall clock). Fixed step,
backward Euler (`h.secondorder = 0`), the scheme ionc uses for these cases.

Spike times come from the recorded traces exactly as ionc computes them
(upward crossings of 0 mV, linearly interpolated between samples), case D
included: v of all 1024 cells is recorded, as ionc records it. (A NetCon
per cell would be lighter but misses a crossing in the last step before
tstop, whose event is never delivered: 6701 instead of 6703 spikes.)
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
from cases import Case, spike_times, velocity_m_per_s
from peer import importable, module_version

V_INIT_MV = -65.0


def available() -> bool:
    return importable("neuron")


def version() -> str:
    return module_version("neuron")


def _h() -> Any:
    from neuron import h

    h.load_file("stdrun.hoc")
    return h


class NeuronModel:
    """One case, built; `run(usetable)` returns (seconds, answer)."""

    def __init__(self, case: Case) -> None:
        h = _h()
        if any(True for _ in h.allsec()):
            raise RuntimeError("NEURON already holds sections: a previous case was not torn down")
        self.case = case
        self.h = h
        p = case.neuron
        self.sections: list[Any] = []
        self.stims: list[Any] = []
        self.vectors: dict[str, Any] = {}
        self.cell_v: list[Any] = []
        for i in range(case.cells):
            sec = h.Section(name=f"bench_{case.key}_{i}")
            sec.L = p["length_um"]
            sec.diam = p["diam_um"]
            sec.nseg = p["nseg"]
            sec.Ra = p["ra"]
            sec.cm = 1.0
            sec.insert("hh")  # gnabar 0.12, gkbar 0.036, gl 0.0003, el -54.3, ena 50, ek -77
            stim = h.IClamp(sec(p["stim_x"]))
            stim.delay = p["delay"]
            stim.dur = p["dur"]
            if case.kind == "count":
                stim.amp = 0.3 * i / (case.cells - 1)
            else:
                stim.amp = p["amp"]
            self.sections.append(sec)
            self.stims.append(stim)
        self.vectors["t"] = h.Vector().record(h._ref_t)
        if case.kind == "count":
            self.cell_v = [h.Vector().record(sec(0.5)._ref_v) for sec in self.sections]
        else:
            sec = self.sections[0]
            if case.kind == "spikes":
                self.vectors["v"] = h.Vector().record(sec(0.5)._ref_v)
            else:
                near, far = p["site_um"]
                self.vectors["near"] = h.Vector().record(sec(near / p["length_um"])._ref_v)
                self.vectors["far"] = h.Vector().record(sec(far / p["length_um"])._ref_v)
                self.distance_um = far - near

    def run(self, usetable: int) -> tuple[float, Any]:
        h, case = self.h, self.case
        h.cvode_active(0)
        h.secondorder = 0
        h.usetable_hh = usetable
        h.celsius = case.celsius
        h.dt = case.dt_ms
        h.steps_per_ms = 1.0 / case.dt_ms
        h.tstop = case.tstop_ms
        gc.collect()
        started = time.perf_counter()
        h.finitialize(V_INIT_MV)
        h.continuerun(case.tstop_ms)
        seconds = time.perf_counter() - started
        if abs(h.dt - case.dt_ms) > 1e-12 or abs(h.t - case.tstop_ms) > case.dt_ms / 2:
            raise RuntimeError(f"NEURON ran with dt {h.dt} to t {h.t}, not dt {case.dt_ms} to {case.tstop_ms}")
        return seconds, self.answer()

    def answer(self) -> Any:
        case = self.case
        t = np.array(self.vectors["t"], dtype=float)
        if t.size != case.steps + 1:
            raise RuntimeError(f"NEURON recorded {t.size} samples, expected {case.steps + 1}")
        if case.kind == "count":
            counts = np.array([len(spike_times(t, np.array(v, dtype=float))) for v in self.cell_v])
            firing = np.flatnonzero(counts)
            return {"total": int(counts.sum()), "first_firing_cell": int(firing[0]) if firing.size else None}
        if case.kind == "spikes":
            return spike_times(t, np.array(self.vectors["v"], dtype=float))
        return velocity_m_per_s(t, np.array(self.vectors["near"]), np.array(self.vectors["far"]),
                                self.distance_um)

    def close(self) -> None:
        """Delete every section, point process and recording of this case."""
        self.stims.clear()
        self.vectors.clear()
        self.cell_v.clear()
        for sec in self.sections:
            self.h.delete_section(sec=sec)
        self.sections.clear()
        gc.collect()
        self.h.usetable_hh = 1
