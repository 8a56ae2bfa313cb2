"""Branched real morphologies with HH everywhere: ionc's soma spike times against NEURON's.

Models: tests/cables/models/granule_hh.ionc (the dentate granule cell,
models/morphologies/dentate_granule_mp_ma_40984_gc2.swc: one-point soma, 29
sections) and tests/cables/models/ca3_hh.ionc (the CA3 pyramidal cell,
ca3_pyramidal_l22.swc: ten soma points, 100 sections). Both: `insert hh_na,
hh_k, leak on all` (NEURON's hh densities), `compartments = 3` for every
section, Ra 150 ohm cm, cm 1 uF/cm2, 6.3 degC, dt 0.025 ms, tstop 50 ms,
an IClamp at soma(0.5) from 5 ms for 40 ms (0.5 nA granule, 2 nA CA3).

NEURON gets the same SWC sections (ionc's reader and soma policy, built with
pt3dadd by tests/morphology/neuron_build.py), nseg 3, the built-in hh with
usetable_hh = 0, the same dt and scheme. Acceptance: the first three soma
spike times within 0.05 ms, for backward Euler and Crank-Nicolson.

granule_hh_dlambda.ionc is the granule cell with `d_lambda = 0.1` in place of
`compartments = 3`; NEURON then takes each section's nseg from its own
lambda_f (stdlib.hoc) and the usual d_lambda formula, so the compartment
counts must agree too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

from cables_neuron import run_swc_soma_step  # noqa: E402

HERE = Path(__file__).resolve().parent
MORPHOLOGIES = HERE.parent.parent / "models" / "morphologies"
NSEG = 3
DT, TSTOP, DELAY, DUR = 0.025, 50.0, 5.0, 40.0
SPIKE_ATOL_MS = 0.05

CELLS = {
    "granule": (HERE / "models" / "granule_hh.ionc", MORPHOLOGIES / "dentate_granule_mp_ma_40984_gc2.swc", 0.5),
    "granule_d_lambda": (HERE / "models" / "granule_hh_dlambda.ionc",
                         MORPHOLOGIES / "dentate_granule_mp_ma_40984_gc2.swc", 0.5),
    "ca3": (HERE / "models" / "ca3_hh.ionc", MORPHOLOGIES / "ca3_pyramidal_l22.swc", 2.0),
}
METHODS = ("backward_euler", "crank_nicolson")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cell", ["granule", "granule_d_lambda", pytest.param("ca3", marks=pytest.mark.slow)])
def test_first_three_soma_spikes_match_neuron(cell: str, method: str, ionc_run) -> None:  # type: ignore[no-untyped-def]
    model, swc, amp = CELLS[cell]
    nseg = None if cell.endswith("d_lambda") else NSEG
    nodes, theirs = run_swc_soma_step(swc, nseg, method, delay=DELAY, dur=DUR, amp=amp, dt=DT, tstop=TSTOP)
    output = ionc_run(model, f"method={method}")
    assert output["meta"]["compartments"] == nodes  # the same compartments (junction nodes included)
    assert output["meta"]["dt"] == DT
    ours = output["spikes"]["v@soma"]
    print(f"\n{cell} {method}: ionc {[round(s, 6) for s in ours[:3]]} ms, "
          f"NEURON {[round(s, 6) for s in theirs[:3]]} ms")
    assert len(theirs) >= 3, "the NEURON reference must fire at least three times"
    assert len(ours) >= 3
    print(f"max difference {max(abs(a - b) for a, b in zip(ours[:3], theirs[:3], strict=True)):.2e} ms")
    assert ours[:3] == pytest.approx(theirs[:3], abs=SPIKE_ATOL_MS)
    assert len(ours) == len(theirs)
