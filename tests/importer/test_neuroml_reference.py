"""NeuroML2's own Hodgkin-Huxley channels, imported, are ionc's (and NEURON's) HH.

tests/importer/neuroml/hh_reference.nml gives the HH rates with the parameters of NeuroML2's
example NML2_SingleCompHHCell.nml, under NeuroML2CoreTypes' definitions of the standard forms,
and the densities in a cell (some in S_per_m2). Imported, each channel's gates have the inf
and tau of models/channels/hh.ionc (NEURON's `hh`, tested against NEURON elsewhere) at
6.3 degC, where hh.ionc's q10 factor is 1, within 1e-12 relative over -120 .. +60 mV, and
the densities and the leak's reversal convert to ionc's units: a check of the sign
conventions that does not go through ionc's own exporter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.clamp import gate_curves, load_channel, numeric_channel
from ionc.importer.neuroml import translate_neuroml

HERE = Path(__file__).resolve().parent
HH = HERE.parents[1] / "models" / "channels" / "hh.ionc"
RELATIVE = 1e-12
V = np.linspace(-120.0, 60.0, 361)
REVERSALS = {"na": 50.0, "k": -77.0}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    translation = translate_neuroml(HERE / "neuroml" / "hh_reference.nml")
    path = tmp_path_factory.mktemp("reference") / "hh_reference.ionc"
    path.write_text(translation.text, encoding="utf-8")
    assert any("<cell id='hhcell'> not translated" in note for note in translation.notes)
    return path


@pytest.mark.parametrize(("theirs", "ours"), [("na", "hh_na"), ("k", "hh_k"), ("passive", "leak")])
def test_neuroml_hh_is_ionc_hh(imported: Path, theirs: str, ours: str) -> None:
    reference = numeric_channel(load_channel(HH, ours), celsius=6.3, reversals=REVERSALS)
    channel = numeric_channel(load_channel(imported, theirs), celsius=6.3, reversals=REVERSALS)
    assert channel.parameters["gbar"] == pytest.approx(next(iter(reference.parameters.values())), rel=RELATIVE)
    assert channel.reversal == pytest.approx(reference.reversal, rel=RELATIVE)
    curves = gate_curves(reference, V)
    assert sorted(gate_curves(channel, V)) == sorted(curves)
    for gate, (inf, tau) in gate_curves(channel, V).items():
        np.testing.assert_allclose(inf, curves[gate][0], rtol=RELATIVE, atol=0)
        np.testing.assert_allclose(tau, curves[gate][1], rtol=RELATIVE, atol=0)
