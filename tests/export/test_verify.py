"""`ionc verify FILE --against neuron|FILE.mod` (issue 6, item 4).

Each channel runs the same voltage-clamp battery (activation, inactivation,
deactivation, a ramp) and a current clamp (with a leak) in ionc and, in a
subprocess, in NEURON on its NMODL export or on a given .mod file; a protocol
passes when the currents (v) agree within 1% of its peak (excursion). Measured on
models/channels/ (6.3 degC, NEURON's default reversal potentials, cai = 50 nM):
every voltage-clamp protocol within 5e-9 of its peak (the Markov scheme's; the
others within 3e-11), v within 1.1e-9 of its excursion (1.3e-7 mV).

A user's .mod file (`--against FILE.mod`): its PARAMETERs are paired with the
channel's by --map, by name or by value, and set to ionc's values; one SUFFIX
may stand for several channels, compared by the sum of their currents (hh.ionc's
hh_na, hh_k and leak against the fixture hhc.mod, NEURON's hh.mod of the
1990s with its TABLE: within 3e-11 of the peak on the steps, 4e-5 on the ramp
between the table's points). Pools are driven by a prescribed calcium current:
the calcium pool's export within 2e-14 of its excursion, Mainen and
Sejnowski's pool written by hand (ref_ms_cad.mod) within 4e-11.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ionc.cli import main
from ionc.export.nmodl import export_file

REPO = Path(__file__).resolve().parents[2]
HH = REPO / "models" / "channels" / "hh.ionc"
EXIT_MISMATCH = 1
EXIT_MODEL_ERROR = 2
PROTOCOLS = ("activation", "inactivation", "deactivation", "ramp", "current clamp")
ORIGINAL_BETA_N = "beta_n = exp(-(v + 65)/80)/8"  # 0.125 /ms * exp(-(v + 65 mV) / 80 mV)
HHC = REPO / "tests" / "importer" / "fixtures" / "hhc.mod"  # hh.mod's style: na, k and a leak under one SUFFIX
POOL = REPO / "models" / "channels" / "calcium_pool.ionc"
MS_CAD = REPO / "tests" / "channels" / "nmodl" / "ref_ms_cad.mod"
KX = """channel kx {
    ion k
    gbar = 10 mS/cm2
    vhalf = -40 mV
    gate n ^ 2 {
        inf = 1 / (1 + exp(-(v - vhalf) / 9 mV))
        tau = 1 ms + 4 ms * exp(-((v + 40 mV) / 20 mV)^2)
    }
}
"""


@pytest.mark.neuron
def test_hh_passes_every_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("neuron")
    assert main(["verify", str(HH), "--against", "neuron"]) == 0
    out = capsys.readouterr().out
    rows = [(line[:12].strip(), line[13:26].strip(), line[26:].split()) for line in out.splitlines()
            if re.search(r"\b(PASS|FAIL)\b", line)]
    assert [(c, p) for c, p, _ in rows] == [(c, p) for c in ("hh_na", "hh_k", "leak") for p in PROTOCOLS]
    assert all(r[3] == "PASS" and float(r[2]) < 1e-8 for _, _, r in rows), out


@pytest.mark.neuron
def test_a_wrong_rate_constant_in_a_mod_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("neuron")
    text = export_file(HH, ["hh_k"])[0].text
    assert ORIGINAL_BETA_N in text
    wrong = tmp_path / "hh_k.mod"
    wrong.write_text(text.replace(ORIGINAL_BETA_N, "beta_n = exp(-(v + 65)/80)/7"))  # 0.143 /ms: 14% faster
    assert main(["verify", str(HH), "--channel", "hh_k", "--against", str(wrong)]) == EXIT_MISMATCH
    out = capsys.readouterr().out
    assert "hh_k         activation" in out and "FAIL: hh_k activation" in out
    assert re.search(r"hh_k +current clamp .* FAIL", out)  # v differs too
    assert "hh_na" not in out  # only the .mod file's channel
    right = tmp_path / "right" / "hh_k.mod"  # the export itself, given as a user's file: passes
    right.parent.mkdir()
    right.write_text(text)
    assert main(["verify", str(HH), "--against", str(right), "--temperature", "20degC", "--reversal", "k=-90mV",
                 "--cai", "1uM"]) == 0


@pytest.mark.neuron
def test_a_tampered_export_fails(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("neuron")
    from ionc.verify import verify_file

    report = verify_file(HH, ["hh_k"], reversals={"k": -77.0}, current_clamp=False,
                         tamper=lambda text: text.replace("phi = 3^((celsius - 6.3)/10)", "phi = 3^((celsius - 5)/10)"))
    failed = {r.protocol for r in report.rows if not r.passed}
    assert not report.passed and failed >= {"activation", "deactivation"}
    assert "FAIL" in report.table()


def test_model_mistakes_and_bad_arguments_are_diagnostics(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "bad.ionc"
    model.write_text("channel k { ion k; gbar = 36 mS }\n")
    assert main(["verify", str(model), "--against", "neuron"]) == EXIT_MODEL_ERROR
    err = capsys.readouterr().err
    assert "error[E301]" in err and f"--> {model}:" in err and "Traceback" not in err
    assert main(["verify", str(HH), "--against", "neuron", "--channel", "hh_kk"]) == EXIT_MODEL_ERROR
    assert "error[E200]" in capsys.readouterr().err
    assert main(["verify", str(HH), "--against", str(tmp_path / "missing.mod")]) == EXIT_MODEL_ERROR
    assert "no such file" in capsys.readouterr().err
    assert main(["verify", str(HH), "--against", "nest"]) == EXIT_MODEL_ERROR
    assert "use 'neuron' or a .mod file" in capsys.readouterr().err
    assert main(["verify", str(HH), "--against", "neuron", "--temperature", "6.3mV"]) == EXIT_MODEL_ERROR
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.neuron
def test_a_mod_file_of_another_channel_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("neuron")
    other = tmp_path / "other.mod"
    other.write_text("NEURON { SUFFIX kdr }\n")
    assert main(["verify", str(HH), "--against", str(other)]) == EXIT_MODEL_ERROR
    assert "SUFFIX kdr, which is no channel of" in capsys.readouterr().err


def _rows(out: str) -> dict[str, tuple[float, str]]:
    """protocol -> (relative difference, PASS|FAIL) of the printed table."""
    found = re.findall(r"^\S+\s+(activation|inactivation|deactivation|ramp|current clamp|driven)\s+\S+\s+\S+\s+(\S+)"
                       r"\s+(PASS|FAIL)", out, re.MULTILINE)
    return {protocol: (float(relative), result) for protocol, relative, result in found}


@pytest.mark.neuron
def test_one_suffix_against_the_sum_of_channels(capsys: pytest.CaptureFixture[str]) -> None:
    """hhc.mod (one SUFFIX: ina, ik and a NONSPECIFIC_CURRENT il) against hh.ionc's three channels, at 6.3 degC,
    paired by value (gnabar = .12 S/cm2 is hh_na's gbar = 120 mS/cm2); without the leak the sum is wrong."""
    pytest.importorskip("neuron")
    assert main(["verify", str(HH), "--against", str(HHC), "--channel", "hh_na", "--channel", "hh_k",
                 "--channel", "leak"]) == 0
    out = capsys.readouterr().out
    assert "hhc: compared with the sum of hh_na, hh_k, leak; its current: ina + ik + hhc.il" in out
    for line in ("gnabar = 0.12 (S/cm2) <- hh_na.gbar (by value)", "gl = 0.0003 (S/cm2) <- leak.g (by value)",
                 "el = -54.3 (mV) <- leak.e (by value)"):
        assert line in out
    rows = _rows(out)
    assert all(rows[p][0] < 1e-9 for p in ("activation", "inactivation", "deactivation")), out
    assert rows["ramp"][0] < 1e-3 and rows["current clamp"][1] == "PASS", out  # the TABLE's interpolation
    from ionc.verify import verify_file

    without_leak = verify_file(HH, ["hh_na", "hh_k"], against=HHC, reversals={"na": 50.0, "k": -77.0},
                               current_clamp=False)
    assert "not in the ionc file (the .mod's defaults): gl, el" in without_leak.table()
    # the mechanism's leak, up to 0.3 mS/cm2 * 94.3 mV = 28 uA/cm2, is what differs: 7.7e-3 of the peak
    assert all(7e-3 < r.relative < 8e-3 for r in without_leak.rows if r.protocol != "ramp"), without_leak.table()


@pytest.mark.neuron
def test_map_pairs_parameters_of_other_names_range_and_global(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A user's kx.mod names gbar gkbar (RANGE, default 0.02 S/cm2) and vhalf tha (GLOBAL, default -30 mV):
    nothing pairs by name or value and it fails at its own defaults; --map sets them to ionc's and it passes."""
    pytest.importorskip("neuron")
    model = tmp_path / "kx.ionc"
    model.write_text(KX)
    text = export_file(model)[0].text
    text = re.sub(r"\bgbar\b", "gkbar", re.sub(r"\bvhalf\b", "tha", text))
    text = text.replace("RANGE gkbar, tha,", "GLOBAL tha\n    RANGE gkbar,")
    text = text.replace("gkbar = 0.01 (S/cm2)", "gkbar = 0.02 (S/cm2)").replace("tha = -40 (mV)", "tha = -30 (mV)")
    theirs = tmp_path / "user" / "kx.mod"
    theirs.parent.mkdir()
    theirs.write_text(text)
    from ionc.verify import verify_file

    unpaired = verify_file(model, against=theirs, reversals={"k": -77.0}, current_clamp=False)
    assert "not in the .mod file (ionc's defaults): kx.gbar, kx.vhalf" in unpaired.table()
    assert "not in the ionc file (the .mod's defaults): gkbar, tha" in unpaired.table()
    assert not unpaired.passed
    assert main(["verify", str(model), "--against", str(theirs), "--map", "gbar=gkbar", "--map", "kx.vhalf=tha"]) == 0
    out = capsys.readouterr().out
    assert "gkbar = 0.01 (S/cm2) <- kx.gbar (by --map, the file's default 0.02)" in out
    assert "tha = -40 (mV) <- kx.vhalf (by --map, the file's default -30)" in out
    assert all(relative < 1e-9 for relative, _ in _rows(out).values()), out


def test_map_mistakes_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    theirs = tmp_path / "hhc.mod"
    theirs.write_text(HHC.read_text())
    hh = ["verify", str(HH), "--against", str(theirs), "--channel", "hh_na", "--channel", "hh_k", "--channel", "leak"]
    for option, message in (("gbar", "--map gbar: write IONC=MOD"),
                            ("gbar=gnabar", "'gbar' names several parameters; write channel.name"),
                            ("hh_na.gmax=gnabar", "'hh_na.gmax' is no parameter of the channels"),
                            ("hh_na.gbar=gsodium", "the .mod file has no PARAMETER 'gsodium'"),
                            ("leak.e=gl", "mV and (S/cm2) are not the same kind of quantity")):
        assert main([*hh, "--map", option]) == EXIT_MODEL_ERROR
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert main(["verify", str(HH), "--against", "neuron", "--map", "gbar=gnabar"]) == EXIT_MODEL_ERROR
    assert "--map pairs with a .mod file's parameters" in capsys.readouterr().err


@pytest.mark.neuron
def test_pools_are_driven_by_a_prescribed_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The calcium pool's export and a pool written by hand follow the same current; a pool whose decay is
    twice as slow does not."""
    pytest.importorskip("neuron")
    assert main(["verify", str(POOL), "--against", "neuron"]) == 0
    out = capsys.readouterr().out
    assert "cad: driven by a prescribed ica" in out and _rows(out)["driven"][0] < 1e-10, out
    assert main(["verify", str(POOL), "--against", str(MS_CAD), "--channel", "cad"]) == 0
    out = capsys.readouterr().out
    assert "starts at NEURON's initial cai = 0.0001 mM" in out and _rows(out)["driven"][0] < 1e-8, out
    slow = tmp_path / "ref_ms_cad.mod"
    slow.write_text(MS_CAD.read_text().replace("(cainf - cai) / taur", "(cainf - cai) / (2 * taur)"))
    assert main(["verify", str(POOL), "--against", str(slow), "--channel", "cad"]) == EXIT_MISMATCH
    assert _rows(capsys.readouterr().out)["driven"][1] == "FAIL"


def test_the_interface_of_a_mod_file_is_read_past_its_comments() -> None:
    """SUFFIX, NONSPECIFIC_CURRENT or STATE named in a COMMENT or after ':' are not declarations."""
    from ionc.mod_interface import ModFileError, read_interface

    fixtures = REPO / "tests" / "importer" / "fixtures"
    hhc = read_interface(HHC.read_text())  # its comment says 'one SUFFIX for three currents'
    assert (hhc.suffix, hhc.reads, hhc.writes, hhc.nonspecific, hhc.states) == (
        "hhc", ("ena", "ek"), ("ina", "ik"), ("il",), ("m", "h", "n"))
    assert [(p.name, p.value, p.unit, p.is_range) for p in hhc.parameters] == [
        ("gnabar", 0.12, "S/cm2", True), ("gkbar", 0.036, "S/cm2", True), ("gl", 0.0003, "S/cm2", True),
        ("el", -54.3, "mV", True)]
    ih = read_interface((fixtures / "ih_kole.mod").read_text())  # ': a NONSPECIFIC_CURRENT with its own ...'
    assert ih.nonspecific == ("ihcn",) and ih.parameter("ehcn") is not None and not ih.parameter("ehcn").is_range
    pool = read_interface((fixtures / "cad_destexhe.mod").read_text())
    assert pool.is_pool and pool.writes == ("cai",) and pool.states == ("cai",)
    with pytest.raises(ModFileError, match="it is a POINT_PROCESS, not a density mechanism"):
        read_interface("NEURON { POINT_PROCESS ExpSyn }\n")


@pytest.mark.parametrize(("ionc", "mod", "expected"), [
    ("120 mS/cm2", "S/cm2", 0.12), ("0.5 mS/cm2", "pS/um2", 5.0), ("120 mS/cm2", "mho/cm2", 0.12),
    ("0.01 /ms/mM", "/ms-mM", 0.01), ("2 /ms", "1/ms", 2.0), ("23 degC", "degC", 23.0), ("1 um", "micron", 1.0),
    ("2 mV", "mV", 2.0), ("3", "", 3.0), ("3", "1", 3.0), ("0.2 um", "mV", None), ("5 ms", "furlong", None),
])
def test_a_parameter_in_the_unit_a_mod_file_declares(tmp_path: Path, ionc: str, mod: str, expected: float | None,
                                                     ) -> None:
    """The value ionc sets a paired PARAMETER to, from the parameter's internal value: NMODL's spellings
    (mho, micron, '-' for a product, '/' over everything after it), None where the kinds differ."""
    from ionc.mod_interface import ModParameter
    from ionc.pipeline import derive_channels, front_end
    from ionc.verify_pairing import in_mod_unit

    model = tmp_path / "p.ionc"
    model.write_text(f"channel p {{\n    nonspecific\n    g = 1 mS/cm2\n    e = 0 mV\n    x = {ionc}\n}}\n")
    derived = derive_channels(list(front_end(model).channels))["p"]
    parameter = next(p for p in derived.channel.parameters if p.name == "x")
    value = in_mod_unit(parameter, ModParameter(name="x", value=0.0, unit=mod, is_range=True))
    assert value == pytest.approx(expected, rel=1e-12) if expected is not None else value is None
