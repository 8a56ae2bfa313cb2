"""The NeuroML reader (grammar/neuroml.lark, grammar/lems.lark): bad input gives diagnostics.

* Bad XML (a tag closed by another name, an unknown entity, an unquoted attribute, a
  repeated attribute, a file that ends inside an element) and bad NeuroML (an unknown rate
  type, a missing attribute, a unit of the wrong dimension, a broken or unknown name in a
  LEMS expression, instances = 0, no channel at all) each give one diagnostic with its
  code, file:line:col and a caret under the offending text.
* What is not translated is named with its line (a cell, a network, an element inside a
  channel), never dropped silently.
* Several hundred mutations of exported channel files (characters deleted, inserted or
  repeated) translate or give diagnostics whose spans lie inside the file: never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ionc.clamp import load_channel, numeric_channel
from ionc.cli import main
from ionc.diagnostics import IoncError
from ionc.export.neuroml import export_file
from ionc.importer.neuroml import translate_neuroml

REPO = Path(__file__).resolve().parents[2]
CHANNELS = REPO / "models" / "channels"
EXIT_MODEL_ERROR = 2

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<neuroml id="t">\n'
CHANNEL = """  <ionChannelHH id="k" conductance="10pS" species="k">
    <gateHHrates id="n" instances="4">
      <forwardRate type="HHExpLinearRate" rate="0.1per_ms" midpoint="-55mV" scale="10mV"/>
      <reverseRate type="HHExpRate" rate="0.125per_ms" midpoint="-65mV" scale="-80mV"/>
    </gateHHrates>
  </ionChannelHH>
"""
RATE_TYPE = """  <ComponentType name="r1" extends="baseVoltageDepRate">
    <Constant name="MV" dimension="voltage" value="1mV"/>
    <Constant name="MS" dimension="time" value="1ms"/>
    <Dynamics>
      <DerivedVariable name="V" dimension="none" value="v / MV"/>
      <DerivedVariable name="r" exposure="r" dimension="per_time" value="EXPR"/>
    </Dynamics>
  </ComponentType>
  <ionChannelHH id="c" conductance="10pS">
    <property tag="ionc:erev" value="-70mV"/>
    <gateHHrates id="n" instances="1">
      <forwardRate type="r1"/>
      <reverseRate type="HHExpRate" rate="1per_ms" midpoint="0mV" scale="10mV"/>
    </gateHHrates>
  </ionChannelHH>
"""


def _diagnostic(tmp_path: Path, text: str) -> tuple[str, int, int, str]:
    """(code, line, column, rendered) of the one diagnostic translating `text` gives."""
    path = tmp_path / "bad.nml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IoncError) as caught:
        translate_neuroml(path)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span is not None
    rendered = diagnostic.render()
    assert re.search(r"\n\s*\d+ \| .*\n\s*\| *\^+", rendered), rendered  # the line and a caret under it
    return diagnostic.code.name, diagnostic.span.line, diagnostic.span.column, rendered


@pytest.mark.parametrize(("text", "code", "line", "column", "words"), [
    (HEAD + '  <ionChannelHH id="k">\n  </ionChannel>\n</neuroml>\n', "E100", 4, 5, "closes <ionChannelHH>"),
    (HEAD + '  <notes>a &nbsp; b</notes>\n</neuroml>\n', "E102", 3, 12, "unknown entity"),
    (HEAD + '  <notes>a & b</notes>\n</neuroml>\n', "E102", 3, 12, "no ';'"),
    (HEAD + '  <ionChannelHH id=k/>\n</neuroml>\n', "E100", 3, 20, "quoted value"),
    (HEAD + '  <ionChannelHH id="a" id="b"/>\n</neuroml>\n', "E201", 3, 24, "given twice"),
    (HEAD + '  <ionChannelHH id="k">\n', "E101", 3, 24, "ends too early"),
    (HEAD + '  <ionChannelHH id="k"/>\n</neuroml>\n<x/>\n', "E100", 5, 1, "unexpected"),
    ('<lems id="t">\n</lems>\n', "E205", 1, 2, "not <neuroml>"),
    (HEAD + "</neuroml>\n", "E204", 2, 2, "no ion channel"),
    (HEAD + CHANNEL.replace("HHExpRate", "HHFancyRate") + "</neuroml>\n", "E200", 6, 26, "unknown rate type"),
    (HEAD + CHANNEL.replace(' midpoint="-55mV"', "") + "</neuroml>\n", "E204", 5, 8, "needs the attribute midpoint"),
    (HEAD + CHANNEL.replace('scale="10mV"', 'scale="10ms"') + "</neuroml>\n", "E300", 5, 84, "not a unit of voltage"),
    (HEAD + CHANNEL.replace('instances="4"', 'instances="0"') + "</neuroml>\n", "E303", 4, 36, "whole number"),
    (HEAD + RATE_TYPE.replace("EXPR", "0.1 * (V + 40 / MS") + "</neuroml>\n", "E100", 8, 91, "ends too early"),
    (HEAD + RATE_TYPE.replace("EXPR", "0.1 * W / MS") + "</neuroml>\n", "E200", 8, 80, "unknown name 'W'"),
    (HEAD + RATE_TYPE.replace("EXPR", "sin(V) / MS") + "</neuroml>\n", "E200", 8, 74, "function 'sin'"),
    (HEAD + CHANNEL.replace('species="k"', "") + "</neuroml>\n", "E204", 3, 4, "no reversal potential"),
])
def test_bad_input_gives_a_diagnostic(tmp_path: Path, text: str, code: str, line: int, column: int,
                                      words: str) -> None:
    found = _diagnostic(tmp_path, text)
    assert found[:3] == (code, line, column), found[3]
    assert words in found[3]


def test_a_component_type_rate_translates(tmp_path: Path) -> None:
    path = tmp_path / "ok.nml"
    path.write_text(HEAD + RATE_TYPE.replace("EXPR", "0.1 * (V + 40) / (1 - exp(-(V + 40) / 10)) / MS")
                    + "</neuroml>\n", encoding="utf-8")
    text = translate_neuroml(path).text
    assert "alpha = 0.1 * (v / 1 mV + 40) / (1 - exp(-(v / 1 mV + 40) / 10)) / 1 ms" in text
    assert "e = -70 mV" in text and "nonspecific" in text


def test_component_type_parameters_come_from_the_rate_element(tmp_path: Path) -> None:
    """The pattern of NeuroML's own documentation: a time course with parameters, given their
    values (in any unit of their dimension) where the gate uses it."""
    path = tmp_path / "params.nml"
    path.write_text(HEAD + """  <ComponentType name="sigmoid_tau" extends="baseVoltageDepTime">
    <Parameter name="max_tau" dimension="time"/>
    <Parameter name="min_tau" dimension="time"/>
    <Parameter name="midpoint" dimension="voltage"/>
    <Parameter name="scale" dimension="voltage"/>
    <Dynamics>
      <DerivedVariable name="t" dimension="time" exposure="t"
                       value="(max_tau - min_tau) / (1 + exp(0 - (v - midpoint) / scale)) + min_tau"/>
    </Dynamics>
  </ComponentType>
  <ionChannelHH id="k" conductance="10pS" species="k">
    <gateHHtauInf id="n" instances="1">
      <timeCourse type="sigmoid_tau" max_tau="0.01s" min_tau="1ms" midpoint="-40mV" scale="5mV"/>
      <steadyState type="HHSigmoidVariable" rate="1" midpoint="-40mV" scale="5mV"/>
    </gateHHtauInf>
  </ionChannelHH>
</neuroml>
""", encoding="utf-8")
    text = translate_neuroml(path).text
    assert "tau = (0.01 s - 1 ms) / (1 + exp(0 - (v - -40 mV) / 5 mV)) + 1 ms" in text
    imported = tmp_path / "params.ionc"
    imported.write_text(text, encoding="utf-8")
    gate = numeric_channel(load_channel(imported, "k"), reversals={"k": -77.0}).gate("n")
    assert float(gate.tau(np.array(-40.0))) == pytest.approx(5.5, rel=1e-12)  # (10 - 1)/2 + 1 ms


def test_component_types_of_included_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "rates.nml").write_text(
        HEAD + RATE_TYPE.split("  <ionChannelHH")[0].replace("EXPR", "3 / MS") + "</neuroml>\n", encoding="utf-8")
    channel = RATE_TYPE[RATE_TYPE.index("  <ionChannelHH"):]
    path = tmp_path / "uses.nml"
    path.write_text(HEAD + '  <include href="types/rates.nml"/>\n  <include href="missing.nml"/>\n' + channel
                    + "</neuroml>\n", encoding="utf-8")
    translation = translate_neuroml(path)
    assert "alpha = 3 / 1 ms" in translation.text
    assert "uses.nml:3: <include href='types/rates.nml'> read for its ComponentTypes only" in translation.notes
    assert any(n.startswith("uses.nml:4: <include href='missing.nml'> not read") for n in translation.notes)


def test_names_ionc_reserves_are_renamed(tmp_path: Path) -> None:
    path = tmp_path / "names.nml"
    path.write_text(HEAD + CHANNEL.replace('id="k"', 'id="cell"').replace('id="n"', 'id="open"')
                    + "</neuroml>\n", encoding="utf-8")
    translation = translate_neuroml(path)
    assert "channel cell_nml {" in translation.text and "gate open_nml ^ 4 {" in translation.text
    assert "names.nml:3: 'cell' renamed cell_nml: ionc reserves the name" in translation.notes
    imported = tmp_path / "names.ionc"
    imported.write_text(translation.text, encoding="utf-8")
    assert [g.name for g in numeric_channel(load_channel(imported, "cell_nml"), reversals={"k": -77.0}).gates] \
        == ["open_nml"]


def test_an_exposure_under_another_name_translates(tmp_path: Path) -> None:
    path = tmp_path / "exposed.nml"
    text = RATE_TYPE.replace("EXPR", "2 / MS").replace('name="r" exposure="r"', 'name="rate" exposure="r"')
    path.write_text(HEAD + text + "</neuroml>\n", encoding="utf-8")
    assert "alpha = 2 / 1 ms" in translate_neuroml(path).text


def test_what_is_not_translated_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "more.nml"
    extra = CHANNEL.replace("    <gateHHrates", '    <variableParameter parameter="x"/>\n    <gateHHrates', 1)
    path.write_text(HEAD + extra + '  <cell id="c1"/>\n  <network id="net"/>\n</neuroml>\n', encoding="utf-8")
    notes = translate_neuroml(path).notes
    assert "more.nml:4: <variableParameter> in channel k not translated" in notes
    assert any(n.startswith("more.nml:10: <cell id='c1'> not translated") for n in notes)
    assert any(n.startswith("more.nml:11: <network id='net'> not translated") for n in notes)
    assert "more.nml:3: channel k: no conductance density in the file" in " ".join(notes)


def test_latin1_files_are_read_as_they_declare(tmp_path: Path) -> None:
    path = tmp_path / "latin1.nml"
    text = HEAD.replace("UTF-8", "ISO-8859-1") + CHANNEL.replace(
        '<gateHHrates', '<notes>area 1000 \u00b5m\u00b2</notes>\n    <gateHHrates', 1) + "</neuroml>\n"
    path.write_bytes(text.encode("latin-1"))
    assert "# area 1000 \u00b5m\u00b2" in translate_neuroml(path).text
    path.write_bytes(text.replace("ISO-8859-1", "UTF-8").encode("latin-1"))
    assert _diagnostic_of(path)[0] == "E102"


def _diagnostic_of(path: Path) -> tuple[str, str]:
    with pytest.raises(IoncError) as caught:
        translate_neuroml(path)
    (diagnostic,) = caught.value.diagnostics
    return diagnostic.code.name, diagnostic.render()


def test_import_command_prints_the_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.nml"
    path.write_text(HEAD + '  <ionChannelHH id="k">\n  </ionChannelHX>\n</neuroml>\n', encoding="utf-8")
    assert main(["import", str(path), "-o", str(tmp_path / "k.ionc")]) == EXIT_MODEL_ERROR
    err = capsys.readouterr().err
    assert "bad.nml:4:5" in err and "^" in err and "Traceback" not in err


# ---------------------------------------------------------------- mutations


def _sources() -> list[str]:
    texts = []
    for model, channel in (("hh.ionc", "hh_na"), ("destexhe_cat.ionc", "cat"), ("na_markov.ionc", "na_markov"),
                           ("calcium_pool.ionc", "cad")):  # a pool: a concentrationModel ComponentType
        (document,) = export_file(CHANNELS / model, [channel]).documents
        texts.append(document.text)
    return texts


SOURCES = _sources()
SIGNIFICANT = st.sampled_from(list('<>/="\'&;!-?[]() .^*+eE0123456789xXabcmnVv\n'))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(("delete", "insert", "repeat")))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif action == "insert":
            text = text[:at] + "".join(draw(st.lists(SIGNIFICANT, min_size=1, max_size=4))) + text[at:]
        else:
            text = text[:at] + text[at:at + draw(st.integers(1, 40))] * 2 + text[at + 1:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_mutated_files_give_diagnostics_never_tracebacks(tmp_path: Path, text: str) -> None:
    path = tmp_path / "mutated.nml"
    path.write_text(text, encoding="utf-8")
    try:
        translate_neuroml(path)
    except IoncError as error:
        for diagnostic in error.diagnostics:
            assert diagnostic.span is not None
            assert 0 <= diagnostic.span.start <= diagnostic.span.end <= max(len(text), 1)
            assert "^" in diagnostic.render()
