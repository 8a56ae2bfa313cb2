"""The cases built in Arbor (`pip install arbor`), in this process, with its built-in `hh`.

Each case is one Arbor recipe, built once and run many times: `run()`
resets the simulation (untimed) and times `simulation.run(tstop, dt)` alone
(wall clock), as `neuron_side.py` times NEURON's finitialize + continuerun.

How a case is built (../shared/BENCHMARKS.md):

* morphology: one unbranched cylinder per cell (a segment tree with one
  segment of the case's length and diameter), split into equal CVs with
  `cv_policy_fixed_per_branch(nseg)` (one CV per 10 um in case C, 1000 in
  B, 1 in A and D); Arbor's CVs are then the same as NEURON's segments;
* `neuron_cable_properties()` with Vm -65 mV, cm 1 uF/cm2 (0.01 F/m2), the
  case's Ra and temperature (tempK = celsius + 273.15), reversal potentials
  na 50 mV and k -77 mV; the default catalogue's `hh` painted everywhere
  with its defaults (gnabar 0.12, gkbar 0.036, gl 0.0003 S/cm2, el -54.3 mV;
  rates times 3^(0.1 celsius - 0.63)); its INITIAL block puts every gate at
  its steady state for v = -65 mV;
* an `i_clamp(delay, duration, amplitude)` at the case's location (case D:
  1024 cells, cell i with 0.3 nA * i/1023);
* spikes from Arbor's own `threshold_detector` at 0 mV (an upward crossing,
  its time linearly interpolated between the two samples around it, the
  rule of BENCHMARKS.md), recorded with `spike_recording.local` (Arbor
  0.12.2's `spike_recording.all` records nothing in a single-process,
  non-MPI build; `local` is the whole model here). Detectors replace
  recorded traces: B and C place one at each of the two velocity sites (at
  the centre of NEURON's segment for the site, `cases.neuron_segment`, so
  that the detector watches the same CV even where the site falls on a CV
  boundary), A one on the cell, D one on every cell. A detector is checked
  after every step, the last one included.

The numerical scheme is NEURON's `secondorder = 0` but for one detail:
each step computes the mechanism currents at v(t), solves the cable
equation for v(t + dt) with implicit Euler (the current linearised through
the mechanism's conductance, exact for hh's ohmic currents), then advances
the gates with v(t + dt), as NEURON and ionc do; the rates are exact (no
tables). The detail: Arbor's NMODL compiler (modcc) solves `METHOD cnexp`
with the (1,1) Pade approximant of the exponential,
m <- minf + (m - minf) (1 - x/2) / (1 + x/2) with x = dt/tau (the
trapezoidal rule for the gate), where NEURON and ionc use exp(-x) itself.
At dt = 0.025 ms that changes each gate increment by about 1e-3 of itself
(measured: m after the first step of case A differs by 8e-9 relative,
exactly the Pade value), so Arbor's answers are close to NEURON's but not
equal to rounding. Measured against NEURON with `usetable_hh = 0`: case A
spike times 0.0003, 0.0015, 0.0027 ms early; velocity +0.04% (B) and +0.02%
(C); D 6704 spikes against 6703, first cell 77 in both. run.py holds Arbor
to the tolerances ionc is held to (0.01 ms for A's spike times, 1% for B
and C's velocity and D's count).

One thread (`arbor.context(threads=1)`), as ionc and NEURON run.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
from cases import SPIKE_TOL_MS, Case, neuron_segment
from peer import importable, module_version

__all__ = ["NAME", "SPIKE_TOL_MS", "ArborModel", "Model", "available", "unsupported", "version"]

NAME = "Arbor"
V_INIT_MV = -65.0
THRESHOLD_MV = 0.0
REVERSAL_MV = {"na": 50.0, "k": -77.0}


def available() -> bool:
    return importable("arbor")


def version() -> str:
    return module_version("arbor")


def unsupported(case: Case) -> str | None:
    """Why this peer does not run the case (None: it does)."""
    return None


def _number(x: float) -> str:
    """A float as Arbor's s-expressions read it (positional, no exponent)."""
    return str(np.format_float_positional(float(x), trim="-"))


def _segment_centre(x: float, nseg: int) -> float:
    """The centre of NEURON's segment for x, so that a detector watches the same CV."""
    return (neuron_segment(x, nseg) + 0.5) / nseg


def _cell(arbor: Any, case: Case, amplitude_na: float) -> Any:
    U = arbor.units
    p = case.neuron
    radius = p["diam_um"] / 2
    tree = arbor.segment_tree()
    tree.append(arbor.mnpos, arbor.mpoint(0, 0, 0, radius), arbor.mpoint(p["length_um"], 0, 0, radius), tag=1)
    decor = arbor.decor()
    decor.paint("(all)", arbor.density("hh"))
    decor.place(f"(location 0 {_number(p['stim_x'])})", arbor.i_clamp(p["delay"] * U.ms, p["dur"] * U.ms,
                                                               amplitude_na * U.nA))
    threshold = THRESHOLD_MV * U.mV
    if case.kind == "velocity":
        for label, site_um in zip(("near", "far"), p["site_um"], strict=True):
            where = _number(_segment_centre(site_um / p["length_um"], p["nseg"]))
            decor.place(f"(location 0 {where})", arbor.threshold_detector(threshold), label)
    else:
        decor.place("(location 0 0.5)", arbor.threshold_detector(threshold), "spike")
    return arbor.cable_cell(arbor.morphology(tree), decor, arbor.label_dict(),
                            arbor.cv_policy_fixed_per_branch(p["nseg"]))


def _recipe(arbor: Any, case: Case) -> Any:
    U = arbor.units
    p = case.neuron
    properties = arbor.neuron_cable_properties()
    properties.set_property(Vm=V_INIT_MV * U.mV, cm=0.01 * U.F / U.m2, rL=p["ra"] * U.Ohm * U.cm,
                            tempK=(case.celsius + 273.15) * U.Kelvin)
    for ion, reversal in REVERSAL_MV.items():
        properties.set_ion(ion, rev_pot=reversal * U.mV)
    if case.kind == "count":
        amplitudes = [0.3 * i / (case.cells - 1) for i in range(case.cells)]
    else:
        amplitudes = [p["amp"]] * case.cells

    class Recipe(arbor.recipe):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()

        def num_cells(self) -> int:
            return case.cells

        def cell_kind(self, gid: int) -> Any:
            return arbor.cell_kind.cable

        def cell_description(self, gid: int) -> Any:
            return _cell(arbor, case, amplitudes[gid])

        def global_properties(self, kind: Any) -> Any:
            return properties

    return Recipe()


class ArborModel:
    """One case, built; `run()` returns (seconds, answer)."""

    name = NAME

    def __init__(self, case: Case) -> None:
        import arbor

        started = time.perf_counter()
        self.case = case
        self.arbor = arbor
        self.recipe = _recipe(arbor, case)
        self.context = arbor.context(threads=1)
        self.simulation = arbor.simulation(self.recipe, self.context)
        self.simulation.record(arbor.spike_recording.local)
        self.build_s = time.perf_counter() - started
        self.setup_s = float("nan")  # no separate compile step (built-in mechanism)

    def run(self) -> tuple[float, Any]:
        U = self.arbor.units
        case, sim = self.case, self.simulation
        sim.reset()  # back to t = 0, v_init and steady-state gates; clears the spike record
        gc.collect()
        started = time.perf_counter()
        t_end = sim.run(case.tstop_ms * U.ms, case.dt_ms * U.ms)
        seconds = time.perf_counter() - started
        if abs(t_end - case.tstop_ms) > 1e-9:
            raise RuntimeError(f"Arbor ran to t {t_end}, not {case.tstop_ms}")
        return seconds, self.answer()

    def answer(self) -> Any:
        case = self.case
        spikes = self.simulation.spikes()
        gids = np.asarray(spikes["source"]["gid"], dtype=np.int64)
        index = np.asarray(spikes["source"]["index"], dtype=np.int64)
        times = np.asarray(spikes["time"], dtype=float)
        if case.kind == "count":
            counts = np.bincount(gids, minlength=case.cells)
            firing = np.flatnonzero(counts)
            return {"total": int(counts.sum()), "first_firing_cell": int(firing[0]) if firing.size else None}
        if case.kind == "spikes":
            return [float(x) for x in np.sort(times[gids == 0])]
        # Detectors are numbered in the order they were placed: 0 near, 1 far.
        near, far = np.sort(times[index == 0]), np.sort(times[index == 1])
        if not near.size or not far.size or far[0] == near[0]:
            return float("nan")
        distance_um = case.neuron["site_um"][1] - case.neuron["site_um"][0]
        return float(distance_um * 1e-3 / (far[0] - near[0]))

    def close(self) -> None:
        del self.simulation, self.context, self.recipe
        gc.collect()


Model = ArborModel
