"""The cases built in Jaxley (`pip install jaxley`, jax on the CPU), in this process.

Jaxley simulates with jax, so a case is a jitted function: built once
(`build_s`: the cell, its channels, recordings), traced and compiled by
XLA on its first call (`setup_s`: jit plus that first run), then each
`run()` times one call of the compiled function, `block_until_ready()`
included, as BENCHMARKS.md's "Jaxley (CPU, after jit)" figures do. float64
throughout (`jax_enable_x64`, set before jaxley is imported).

How a case is built (../shared/BENCHMARKS.md):

* one `jx.Cell` of one branch of `nseg` equal compartments (length L/nseg,
  radius diam/2, the case's axial resistivity, capacitance 1 uF/cm2), every
  compartment with Jaxley's built-in `jaxley.channels.HH` at its defaults
  (gNa 0.12, gK 0.036, gLeak 0.0003 S/cm2, eNa 50, eK -77, eLeak -54.3 mV;
  the same rate functions as NEURON's hh); v set to -65 mV and
  `init_states()` puts every gate at its steady state there;
* the current clamp as Jaxley's per-step stimulus array (nA) into
  NEURON's segment for the clamp's location, passed to the jitted
  function through `data_stimulate` (so XLA cannot fold it away). Step k
  (from k dt to (k + 1) dt) gets the amplitude when its midpoint lies in
  [delay, delay + duration), NEURON's rule; on these cases that is the same
  set of steps as `jx.step_current` would switch on;
* v recorded every step in NEURON's segment for each velocity site
  (`cases.neuron_segment`: `branch(0).loc(x)` would take the compartment
  below a boundary where NEURON takes the one above it, 200 um being one)
  or in the cell's only compartment; spikes are found in the traces by
  the rule of BENCHMARKS.md (`cases.spike_times`), outside the timed call;
* case D: the one-compartment cell, `jax.vmap` over the 1024 stimulus
  arrays (0.3 nA * i/1023), one jitted call for the whole batch, as Jaxley
  runs parameter sweeps.

Case B is not run: Jaxley's built-in HH has no temperature factor (its
rates are those of 6.3 degC), and B is at 18.5 degC.

The numerical scheme (`solver="bwd_euler"`, the default; voltage solver
`jaxley.dhs` on the CPU) is implicit Euler for v with exponential-Euler
(cnexp) gates and exact rates, NEURON's `secondorder = 0` with
`usetable_hh = 0`, in another order: each step first advances the gates
with v(t), then computes the currents with the new gates and solves for
v(t + dt), where NEURON and ionc compute the currents with the gates they
have, solve for v(t + dt), then advance the gates with v(t + dt). Started
with every gate at its steady state, Jaxley's first gate update changes
nothing and from then on it computes NEURON's sequence one half-step
apart: its traces equal NEURON's (tables off) to rounding (measured: case A
spike times within 1e-12 ms, C N = 100 velocity equal to 13 digits, D's
count equal). run.py holds it to the tolerances ionc is held to (0.01 ms
for A's spike times, 1% for C's velocity and D's count).

XLA compiles for this CPU with its default settings; measured on case D,
a call keeps one core busy (CPU time equal to wall time), as ionc, NEURON
and Arbor (one thread) do.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
from cases import SPIKE_TOL_MS, Case, neuron_segment, spike_times, velocity_m_per_s
from peer import importable, module_version

NAME = "Jaxley"
V_INIT_MV = -65.0
__all__ = ["NAME", "SPIKE_TOL_MS", "JaxleyModel", "Model", "available", "unsupported", "version"]


def available() -> bool:
    return importable("jax", "jaxley")


def version() -> str:
    return f"{module_version('jaxley')} (jax {module_version('jax')})"


def unsupported(case: Case) -> str | None:
    """Why this peer does not run the case (None: it does)."""
    if abs(case.celsius - 6.3) > 1e-9:
        return f"Jaxley's built-in HH has no temperature factor (6.3 degC kinetics), the case is at {case.celsius} degC"
    return None


def _jax() -> tuple[Any, Any, Any]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxley

    return jax, jnp, jaxley


def clamp_current(case: Case, amplitude_na: float) -> np.ndarray:
    """The stimulus for each step: on when the step's midpoint is in [delay, delay + duration)."""
    p = case.neuron
    middle = (np.arange(case.steps) + 0.5) * case.dt_ms
    return np.where((middle >= p["delay"]) & (middle < p["delay"] + p["dur"]), amplitude_na, 0.0)


class JaxleyModel:
    """One case, built and jitted; `run()` returns (seconds, answer)."""

    name = NAME

    def __init__(self, case: Case) -> None:
        reason = unsupported(case)
        if reason:
            raise ValueError(reason)
        jax, jnp, jx = _jax()
        from jaxley.channels import HH

        started = time.perf_counter()
        self.case = case
        p = case.neuron
        nseg = p["nseg"]
        cell = jx.Cell(jx.Branch(jx.Compartment(), ncomp=nseg), parents=[-1])
        cell.set("length", p["length_um"] / nseg)
        cell.set("radius", p["diam_um"] / 2)
        cell.set("axial_resistivity", p["ra"])
        cell.set("capacitance", 1.0)
        cell.insert(HH())
        cell.set("v", V_INIT_MV)
        cell.init_states()
        branch = cell.branch(0)
        if case.kind == "velocity":
            near, far = p["site_um"]
            branch.comp(neuron_segment(near / p["length_um"], nseg)).record("v", verbose=False)
            branch.comp(neuron_segment(far / p["length_um"], nseg)).record("v", verbose=False)
            self.distance_um = far - near
        else:
            branch.comp(neuron_segment(0.5, nseg)).record("v", verbose=False)
        site = branch.comp(neuron_segment(p["stim_x"], nseg))
        dt = case.dt_ms
        if case.kind == "count":
            amplitudes = 0.3 * np.arange(case.cells) / (case.cells - 1)
            self.stimulus = jnp.asarray(amplitudes[:, None] * clamp_current(case, 1.0)[None, :])

            def one(current: Any) -> Any:
                return jx.integrate(cell, data_stimuli=site.data_stimulate(current, verbose=False), delta_t=dt)

            self.function = jax.jit(jax.vmap(one))
        else:
            self.stimulus = jnp.asarray(clamp_current(case, p["amp"]))

            def single(current: Any) -> Any:
                return jx.integrate(cell, data_stimuli=site.data_stimulate(current, verbose=False), delta_t=dt)

            self.function = jax.jit(single)
        self.cell = cell
        self.build_s = time.perf_counter() - started
        started = time.perf_counter()
        self.function(self.stimulus).block_until_ready()  # trace, compile, run once
        self.setup_s = time.perf_counter() - started

    def run(self) -> tuple[float, Any]:
        gc.collect()
        started = time.perf_counter()
        traces = self.function(self.stimulus).block_until_ready()
        seconds = time.perf_counter() - started
        return seconds, self.answer(np.asarray(traces))

    def answer(self, traces: np.ndarray) -> Any:
        case = self.case
        if traces.shape[-1] != case.steps + 1:
            raise RuntimeError(f"Jaxley recorded {traces.shape[-1]} samples, expected {case.steps + 1}")
        t = np.arange(case.steps + 1) * case.dt_ms
        if case.kind == "count":
            counts = np.array([len(spike_times(t, row[0])) for row in traces])
            firing = np.flatnonzero(counts)
            return {"total": int(counts.sum()), "first_firing_cell": int(firing[0]) if firing.size else None}
        if case.kind == "spikes":
            return spike_times(t, traces[0])
        return velocity_m_per_s(t, traces[0], traces[1], self.distance_um)

    def close(self) -> None:
        del self.function, self.cell, self.stimulus
        gc.collect()


Model = JaxleyModel
