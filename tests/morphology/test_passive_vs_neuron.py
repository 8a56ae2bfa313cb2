"""A passive cell stepped with backward Euler, against NEURON's pas (secondorder 0).

The ionc side is the absolute-form cable system built from the
Discretization and solved with CableSolver, one step at a time:

    (C/dt + g_m + sum G) dv_i - sum_j G_ij dv_j = -g_m (v_i - e) + sum_j G_ij (v_j - v_i) + I_i

with C = 1e-5 cm area (nF), g_m = 1e-5 g area (uS, g in mS/cm2), G the axial
conductances (uS) and I the IClamp current (nA), evaluated at mid-step as
NEURON does. The soma voltage must agree with NEURON's within 1e-6 mV, and
so must every node at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest
from ionc.morphology import Discretization, discretize, load_swc
from ionc.runtime.cable import CableSolver, axial_diagonal
from swc_cases import swc_path

pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

from neuron_build import build_sections  # noqa: E402

DT, TSTOP = 0.025, 20.0
V_INIT, E_PAS, G_PAS_MS = -65.0, -70.0, 0.05  # mV, mV, mS/cm2
DELAY, DUR = 1.0, 10.0  # ms
DENSITY = 1e-5  # nA/um2 of the whole cell (1 uA/cm2): about 20 mV at steady state


def run_ionc(disc: Discretization, stim_node: int, amp: float) -> np.ndarray:
    """Voltages (steps + 1, n) of the passive cell, backward Euler."""
    area, g = disc.area_um2, disc.g_axial_uS
    c_nf = 1e-5 * disc.cm_uF_cm2 * area
    g_m = 1e-5 * G_PAS_MS * area
    child = np.flatnonzero(disc.parent >= 0)
    par, g_child = disc.parent[child], g[child]
    solver = CableSolver(disc.parent, g)
    diag = (c_nf / DT + g_m + axial_diagonal(disc.parent, g))[None, :]
    v = np.full((1, disc.n), V_INIT)
    steps = round(TSTOP / DT)
    out = np.empty((steps + 1, disc.n))
    out[0] = v[0]
    for step in range(steps):
        flow = g_child * (v[0, par] - v[0, child])  # nA into each child from its parent
        rhs = -g_m * (v[0] - E_PAS) - np.bincount(par, weights=flow, minlength=disc.n)
        rhs[child] += flow
        t_mid = (step + 0.5) * DT
        if DELAY <= t_mid < DELAY + DUR:
            rhs[stim_node] += amp
        v += solver.solve(diag, rhs[None, :])
        out[step + 1] = v[0]
    return out


def run_neuron(disc: Discretization, amp: float) -> tuple[np.ndarray, np.ndarray]:
    """NEURON's soma(0.5) trace and every ionc node's voltage at the end."""
    from neuron import h

    secs = build_sections(disc)
    for sec in secs.values():
        sec.insert("pas")
        for seg in sec:
            seg.pas.g = G_PAS_MS * 1e-3  # S/cm2
            seg.pas.e = E_PAS
    soma = secs[disc.morphology.sections[0].name]
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = DELAY, DUR, amp
    h.CVode().active(0)
    h.secondorder = 0
    h.dt = DT
    h.finitialize(V_INIT)
    trace = [soma(0.5).v]
    for _ in range(round(TSTOP / DT)):
        h.fadvance()
        trace.append(soma(0.5).v)
    names = [s.name for s in disc.morphology.sections]
    final = np.array([secs[names[k]](float(x)).v for k, x in zip(disc.section_index, disc.x, strict=True)])
    return np.array(trace), final


@pytest.mark.parametrize("name", ["dentate_granule_mp_ma_40984_gc2.swc", "ca3_pyramidal_l22.swc"])
def test_passive_soma_voltage_matches_neuron(name: str) -> None:
    disc = discretize(load_swc(swc_path(name)), ra=150.0, cm=1.0)
    soma = disc.locate("soma", 0.5)
    amp = DENSITY * disc.total_area_um2
    ours = run_ionc(disc, soma, amp)
    neuron_trace, neuron_final = run_neuron(disc, amp)
    end_of_stimulus = round((DELAY + DUR) / DT)
    assert ours[end_of_stimulus, soma] > E_PAS + 10.0  # the stimulus did move the soma
    np.testing.assert_allclose(ours[:, soma], neuron_trace, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours[-1], neuron_final, rtol=0, atol=1e-6)
