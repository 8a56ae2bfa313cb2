"""`ionc verify FILE --against neuron|FILE.mod` (issue 6, item 4).

Each channel runs the same voltage-clamp battery (activation, inactivation,
deactivation, a ramp) and a current clamp (with a leak) in ionc and, in a
subprocess, in NEURON on its NMODL export or on a given .mod file; a protocol
passes when the currents (v) agree within 1% of its peak (excursion). Measured on
models/channels/ (6.3 degC, NEURON's default reversal potentials, cai = 50 nM):
every voltage-clamp protocol within 5e-9 of its peak (the Markov scheme's; the
others within 3e-11), v within 1.1e-9 of its excursion (1.3e-7 mV).
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
