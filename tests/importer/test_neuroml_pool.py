"""Pools exported to NeuroML2 (a LEMS ComponentType extending concentrationModel) and imported back.

* The library pool (Mainen and Sejnowski's cad) and one with parameters of many digits export,
  validate (libNeuroML's validate_neuroml2; against NeuroML_v2.3.xsd the ComponentType does, and
  the component of the new type is the one element the strict schema lists no place for), import
  back as a `pool`, and, driven by the same prescribed calcium current (ionc.verify_pool's waveform,
  inward and outward steps), give the same cai within 1e-9 relative at every step.
* A cell that inserts the pool names it in a <species> of its intracellular properties, includes
  its document, and validates against the schema.
* A concentration model ionc cannot read is a diagnostic at its line, never a traceback.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from ionc.diagnostics import IoncError
from ionc.export.neuroml import export_file
from ionc.importer.neuroml import translate_neuroml
from ionc.pipeline import derive_channels, front_end
from ionc.verify_pool import NumericPool, numeric_pool, waveform

REPO = Path(__file__).resolve().parents[2]
RELATIVE = 1e-9
DT = 0.025  # ms
CURRENT_SCALE = 20.0  # the waveform's -1, +2, -3 uA/cm2 times this: cai rises from 0.1 uM to ~0.4 mM
ODD_POOL = """pool odd {
    ion ca
    depth = 0.123456789012345 um
    taur = 187.654321987 ms
    cainf = 73.3 nM
    cai' = max(-ica / (2 * F * depth), 0 mM/ms) + (cainf - cai) / taur
}
"""


def _pool(path: Path) -> NumericPool:
    model = front_end(path)
    (derived,) = derive_channels(list(model.channels)).values()
    return numeric_pool(derived, celsius=6.3)


def _round_trip(source: Path, out: Path) -> tuple[Path, Path]:
    exported = export_file(source)
    assert not exported.notes
    (document,) = exported.documents
    nml = out / document.filename
    nml.write_text(document.text, encoding="utf-8")
    imported = out / f"{document.filename.split('.')[0]}.ionc"
    imported.write_text(translate_neuroml(nml).text, encoding="utf-8")
    return nml, imported


def _schema_errors(path: Path) -> list[str]:
    import neuroml
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(os.path.join(os.path.dirname(neuroml.__file__), "nml",
                                                      "NeuroML_v2.3.xsd")))
    schema.validate(etree.parse(str(path)))
    return [error.message for error in schema.error_log]


def _validate(path: Path) -> None:
    from neuroml.utils import validate_neuroml2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        validate_neuroml2(str(path))


@pytest.mark.parametrize("model", ["library", "odd"])
def test_pool_round_trip_under_a_prescribed_current(model: str, tmp_path: Path) -> None:
    source = REPO / "models" / "channels" / "calcium_pool.ionc"
    if model == "odd":
        source = tmp_path / "odd.ionc"
        source.write_text(ODD_POOL, encoding="utf-8")
    nml, imported = _round_trip(source, tmp_path)
    _validate(nml)
    errors = _schema_errors(nml)
    assert len(errors) == 1 and "concentrationModel" in errors[0] and "not expected" in errors[0]
    text = imported.read_text(encoding="utf-8")
    assert "pool " in text and "ion ca" in text
    current = waveform(DT) * CURRENT_SCALE
    original, again = _pool(source), _pool(imported)
    start = float(original.inf(np.zeros(1))[0])  # the resting level
    trace, trace_again = original.trace(current, start, DT), again.trace(current, start, DT)
    assert trace.max() > 1000 * start  # the current fills it ...
    outward = np.nonzero(current > 0)[0]
    assert np.all(np.diff(trace[outward[0]:outward[-1] + 1]) < 0)  # ... and an outward current does not
    np.testing.assert_allclose(trace_again, trace, rtol=RELATIVE, atol=0)


def test_parameters_are_written_in_full_and_come_back(tmp_path: Path) -> None:
    source = tmp_path / "odd.ionc"
    source.write_text(ODD_POOL, encoding="utf-8")
    nml, imported = _round_trip(source, tmp_path)
    text = nml.read_text(encoding="utf-8")
    assert 'depth="0.123456789012345um"' in text and 'taur="187.654321987ms"' in text
    assert 'extends="concentrationModel"' in text and '<TimeDerivative variable="concentration"' in text
    back = imported.read_text(encoding="utf-8")
    assert "depth = 0.123456789012345 um" in back and "taur = 187.654321987 ms" in back


def test_cell_names_the_pool_in_a_species(tmp_path: Path) -> None:
    exported = export_file(REPO / "models" / "cells" / "presynaptic_terminal.ionc")
    for document in exported.documents:
        (tmp_path / document.filename).write_text(document.text, encoding="utf-8")
    assert not any("pool cad" in note or "the ca concentrations" in note for note in exported.notes)
    cell = tmp_path / "terminal_cell.cell.nml"
    text = cell.read_text(encoding="utf-8")
    assert '<include href="cad.pool.nml"/>' in text
    assert ('<species id="ca" ion="ca" concentrationModel="cad" initialConcentration="0.0001mM" '
            'initialExtConcentration="2mM" segmentGroup="bouton"/>') in text
    _validate(cell)
    assert _schema_errors(cell) == []


@pytest.mark.parametrize(("edit", "words"), [
    (('value="-(iCa / surfaceArea) / UA_PER_CM2"', 'value="-iCa / UA_PER_CM2"'), "only as iCa / surfaceArea"),
    (("<OnStart>", "<OnCondition test=\"concentration .lt. 0\"/><OnStart>"), "cannot translate <OnCondition>"),
    (('taur="200ms"', 'taur="200mV"'), "not a quantity of time"),
    (('<Parameter name="taur"', '<Parameter name="v"'), "'v' cannot be the name of an ionc parameter"),
    (('ion="ca"', 'ion="ca&#10;}&#10;channel x {"'), "is not an ion name"),
])
def test_a_pool_ionc_cannot_read_is_a_diagnostic(edit: tuple[str, str], words: str, tmp_path: Path) -> None:
    nml, _ = _round_trip(REPO / "models" / "channels" / "calcium_pool.ionc", tmp_path)
    text = nml.read_text(encoding="utf-8")
    assert edit[0] in text
    nml.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    with pytest.raises(IoncError) as caught:
        translate_neuroml(nml)
    shown = str(caught.value)
    assert words in shown and "cad.pool.nml:" in shown and "^" in shown
