"""What `ionc import` makes of each NMODL form, checked by number.

Each .mod text below is translated; the translation is compiled by ionc and its
channel evaluated (ionc.clamp.numeric_channel, internal units: mV, ms, mS/cm2,
uA/cm2) and compared with the .mod file's formulas written out here in numpy.
The tolerance is rounding (1e-12 relative) unless stated: the translation keeps
the .mod file's numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.clamp import load_channel, numeric_channel
from ionc.diagnostics import Code, IoncError
from ionc.importer import Translation
from ionc.importer.nmodl import translate_nmodl

ROUNDING = 1e-12
V = np.array([-100.0, -65.0, -40.0, -27.0, 0.0, 13.0, 40.0])

TRAUB = """
NEURON { SUFFIX traub USEION na READ ena WRITE ina RANGE gnabar }
PARAMETER { gnabar = 0.05 (mho/cm2) vtraub = -63 (mV) }
STATE { m }
ASSIGNED { v (mV) celsius (degC) ena (mV) ina (mA/cm2) minf mtau (ms) tadj }
BREAKPOINT { SOLVE states METHOD cnexp ina = gnabar * m*m*m * (v - ena) }
DERIVATIVE states { rates(v) m' = (minf - m) / mtau }
UNITSOFF
PROCEDURE rates(v(mV)) { LOCAL a, b, v2
    tadj = 3.0 ^ ((celsius - 36) / 10)
    v2 = v - vtraub
    a = 0.32 * (13 - v2) / (exp((13 - v2) / 4) - 1)
    b = 0.28 * (v2 - 40) / (exp((v2 - 40) / 5) - 1)
    mtau = 1 / (a + b) / tadj
    minf = a / (a + b)
}
UNITSON
"""

MAINEN = """
NEURON { SUFFIX kv USEION k READ ek WRITE ik RANGE gbar }
PARAMETER { gbar = 5 (pS/um2) q10 = 2.3 temp = 23 (degC) tau = 4 (ms) }
STATE { n }
ASSIGNED { v (mV) celsius (degC) ek (mV) ik (mA/cm2) ninf tadj }
BREAKPOINT { SOLVE states METHOD cnexp ik = (1e-4) * tadj * gbar * n * (v - ek) }
DERIVATIVE states {
    tadj = q10 ^ ((celsius - temp) / 10)
    ninf = 1 / (1 + exp(-(v + 30) / 9))
    n' = (ninf - n) / (tau / tadj)
}
"""

GUARDS = """
NEURON { SUFFIX gd USEION k READ ek WRITE ik }
PARAMETER { gbar = 0.01 (S/cm2) }
STATE { n }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }
BREAKPOINT { SOLVE states METHOD derivimplicit ik = gbar * n^4 * (v - ek) }
DERIVATIVE states {
    n' = 0.1 * 10 * efun(-(v + 55) / 10) * (1 - n) - trap(v, -40, 0.5, 8) * n
}
FUNCTION efun(z) {
    if (fabs(z) < 1e-4) { efun = 1 - z/2 } else { efun = z / (exp(z) - 1) }
}
FUNCTION trap(v, th, a, q) {
    if (fabs(v - th) > 1e-6) { trap = a * (v - th) / (1 - exp(-(v - th) / q)) } else { trap = a * q }
}
"""

# an overflow clip, not a guard: if (z > 50) the value is exp(50), not a limit of the else branch
NOT_A_GUARD = """
NEURON { SUFFIX clip USEION k READ ek WRITE ik }
PARAMETER { gbar = 0.01 (S/cm2) }
STATE { n }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }
BREAKPOINT { SOLVE states METHOD cnexp ik = gbar * n * (v - ek) }
DERIVATIVE states { n' = 0.1 * clipped(-(v + 55) / 10) * (1 - n) - 0.2 * n }
FUNCTION clipped(z) { if (z > 50) { clipped = exp(50) } else { clipped = exp(z) } }
"""

POOL = """
NEURON { SUFFIX cad USEION ca READ ica, cai WRITE cai RANGE depth, taur, cainf }
UNITS { (mM) = (milli/liter) (um) = (micron) (mA) = (milliamp) FARADAY = (faraday) (coulomb) }
PARAMETER { depth = 0.1 (um) taur = 200 (ms) cainf = 1e-4 (mM) }
STATE { cai (mM) }
ASSIGNED { ica (mA/cm2) drive (mM/ms) }
BREAKPOINT { SOLVE state METHOD cnexp }
DERIVATIVE state {
    drive = -(10000) * ica / (2 * FARADAY * depth)
    if (drive <= 0) { drive = 0 }
    cai' = drive + (cainf - cai) / taur
}
"""

KINETIC = """
NEURON { SUFFIX k2 USEION k READ ek WRITE ik }
PARAMETER { gbar = 0.02 (S/cm2) }
STATE { c o }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) a (/ms) b (/ms) }
BREAKPOINT { SOLVE kin METHOD sparse ik = gbar * o * (v - ek) }
INITIAL { SOLVE kin STEADYSTATE sparse }
KINETIC kin {
    a = 0.2 * exp(v / 20)
    b = 0.1 * exp(-v / 30)
    ~ c <-> o (a, b)
    CONSERVE c + o = 1
}
"""

SPLIT = """
NEURON { SUFFIX ia USEION k READ ek WRITE ik }
PARAMETER { gkbar = 0.005 (mho/cm2) }
STATE { m h1 h2 }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }
BREAKPOINT { SOLVE s METHOD cnexp ik = gkbar * m^4 * (0.6 * h1 + 0.4 * h2) * (v - ek) }
DERIVATIVE s {
    m' = (1 / (1 + exp(-(v + 60) / 8.5)) - m) / 1
    h1' = (1 / (1 + exp((v + 78) / 6)) - h1) / 20
    h2' = (1 / (1 + exp((v + 78) / 6)) - h2) / 60
}
"""

GHK = """
NEURON { SUFFIX it USEION ca READ cai, cao WRITE ica }
UNITS { FARADAY = (faraday) (coulomb) R = (k-mole) (joule/degC) }
PARAMETER { pcabar = 2e-4 (cm/s) }
STATE { m }
ASSIGNED { v (mV) celsius (degC) cai (mM) cao (mM) ica (mA/cm2) }
BREAKPOINT { SOLVE s METHOD cnexp ica = pcabar * m*m * ghk(v, cai, cao) }
DERIVATIVE s { m' = (1 / (1 + exp(-(v + 57) / 6.2)) - m) / 2 }
FUNCTION ghk(v(mV), ci(mM), co(mM)) (.001 coul/cm3) { LOCAL z, eci, eco
    z = (1e-3) * 2 * FARADAY * v / (R * (celsius + 273.15))
    eco = co * efun(z)
    eci = ci * efun(-z)
    ghk = (.001) * 2 * FARADAY * (eci - eco)
}
FUNCTION efun(z) { if (fabs(z) < 1e-4) { efun = 1 - z/2 } else { efun = z / (exp(z) - 1) } }
"""


def translate(tmp_path: Path, text: str, name: str = "m") -> tuple[Translation, Path]:
    source = tmp_path / f"{name}.mod"
    source.write_text(text, encoding="utf-8")
    translation = translate_nmodl(source)
    target = tmp_path / f"{name}.ionc"
    target.write_text(translation.text, encoding="utf-8")
    return translation, target


def numeric(path: Path, channel: str, celsius: float = 6.3, **extra: object):  # type: ignore[no-untyped-def]
    return numeric_channel(load_channel(path, channel), celsius=celsius, **extra)  # type: ignore[arg-type]


def close(ours: np.ndarray, theirs: np.ndarray, tolerance: float = ROUNDING) -> bool:
    return bool(np.all(np.abs(ours - theirs) <= tolerance * np.maximum(np.abs(theirs), 1e-300)))


def test_rates_keep_the_mod_numbers_with_units_and_q10(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, TRAUB)
    assert "q10 = 3 at 36 degC" in translation.text  # tadj = 3^((celsius - 36)/10)
    assert "alpha = 0.32 /mV/ms * (13 mV - (v - vtraub))" in translation.text
    channel = numeric(path, "traub", celsius=30.0, reversals={"na": 50.0})
    v2 = V - (-63.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = 0.32 * (13 - v2) / (np.exp((13 - v2) / 4) - 1)
        b = 0.28 * (v2 - 40) / (np.exp((v2 - 40) / 5) - 1)
    a = np.where(v2 == 13, 0.32 * 4, a)  # the limits at the removable singularities
    b = np.where(v2 == 40, 0.28 * 5, b)
    tadj = 3.0 ** ((30.0 - 36) / 10)
    gate = channel.gate("m")
    assert close(gate.inf(V), a / (a + b))
    assert close(gate.tau(V), 1 / (a + b) / tadj)
    assert channel.parameters["gbar"] == pytest.approx(50.0, rel=ROUNDING)  # 0.05 S/cm2 in mS/cm2


def test_a_conductance_unit_conversion_and_its_q10(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, MAINEN)
    assert "gbar = 5 pS/um2" in translation.text
    assert "q10 gbar = 2.3 at 23 degC" in translation.text
    assert "q10 = 2.3 at 23 degC" in translation.text  # on tau as well
    channel = numeric(path, "kv", celsius=36.0, reversals={"k": -90.0})
    tadj = 2.3 ** ((36.0 - 23) / 10)
    ours = channel.current(V, {"n": np.full_like(V, 0.3)})
    theirs = 1e-4 * tadj * 5 * 0.3 * (V + 90) * 1000  # mA/cm2 -> uA/cm2
    assert close(ours, theirs)
    assert close(channel.gate("n").tau(V), np.full_like(V, 4 / tadj))


def test_guard_functions_are_replaced_by_their_plain_expression(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, GUARDS)
    notes = " ".join(translation.notes)
    assert "FUNCTION efun guards the removable singularity at z = 0" in notes
    assert "FUNCTION trap guards the removable singularity" in notes
    assert " if " not in translation.text.split("channel gd", 1)[1]
    channel = numeric(path, "gd", reversals={"k": -90.0})
    v = np.array([-80.0, -55.0, -40.0, -10.0])  # -55 and -40: the removable singularities
    z = -(v + 55) / 10
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(z == 0, 1.0, z / (np.exp(z) - 1))
        beta = np.where(v == -40, 0.5 * 8, 0.5 * (v + 40) / (1 - np.exp(-(v + 40) / 8)))
    gate = channel.gate("n")
    assert close(gate.inf(v), alpha / (alpha + beta), 1e-9)  # within 1e-6 mV of a point: Taylor
    assert close(gate.tau(v), 1 / (alpha + beta), 1e-9)


def test_an_if_that_is_not_a_guard_stays_an_if(tmp_path: Path) -> None:
    translation, _ = translate(tmp_path, NOT_A_GUARD)
    assert not any("efun guards" in note for note in translation.notes)
    assert any("if/else kept" in note for note in translation.notes)
    assert "tau = 10 ms / ((if -(v + 55 mV) / 10 mV > 50 then exp(50) else exp(-(v + 55 mV) / 10 mV)) + 2)" \
        in translation.text


def test_a_pool(tmp_path: Path) -> None:
    translation, _ = translate(tmp_path, POOL)
    assert "pool cad {" in translation.text
    # (10000) only converts mA/cm2 / (C/mol um) to mM/ms: dropped; drive's own unit (mM/ms) for the 0
    assert ("cai' = (if -ica / (2 * F * depth) <= 0 mM/ms then 0 mM/ms else -ica / (2 * F * depth))"
            " + (cainf - cai) / taur") in translation.text
    assert "depth = 0.1 um" in translation.text


def test_a_kinetic_scheme(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, KINETIC)
    assert "kinetic {" in translation.text and "open o" in translation.text
    channel = numeric(path, "k2", reversals={"k": -90.0})
    assert channel.scheme is not None
    steady = channel.scheme.steady_state(V)
    a, b = 0.2 * np.exp(V / 20), 0.1 * np.exp(-V / 30)
    assert close(steady["o"], a / (a + b), 1e-10)


def test_a_sum_of_gate_products_is_split(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, SPLIT)
    first, second = numeric(path, "ia_1", reversals={"k": -90.0}), numeric(path, "ia_2", reversals={"k": -90.0})
    states = {"m": np.full_like(V, 0.5), "h1": np.full_like(V, 0.2), "h2": np.full_like(V, 0.7)}
    total = first.current(V, states) + second.current(V, states)
    theirs = 0.005 * 0.5**4 * (0.6 * 0.2 + 0.4 * 0.7) * (V + 90) * 1000
    assert close(total, theirs)


def test_a_ghk_current_is_a_permeability(tmp_path: Path) -> None:
    translation, path = translate(tmp_path, GHK)
    assert "pbar = 0.0002 cm/s" in translation.text
    assert any("GHK flux of ca" in note for note in translation.notes)
    celsius, cai, cao = 36.0, 5e-5, 2.0
    channel = numeric(path, "it", celsius=celsius, concentrations={"cai": cai, "cao": cao})
    v = np.array([-80.0, -20.0, 10.0, 45.0])
    x = 2 * 96485.33212 * v * 1e-3 / (8.314462618 * (celsius + 273.15))
    flux = 1e-3 * 2 * 96485.33212 * x * (cai - cao * np.exp(-x)) / (1 - np.exp(-x))  # mA/cm2 per cm/s
    ours = channel.current(v, {"m": np.full_like(v, 0.4)})
    assert close(ours, 2e-4 * 0.4**2 * flux * 1000, 1e-9)


def test_initial_that_does_not_start_at_steady_state_gets_a_note(tmp_path: Path) -> None:
    text = TRAUB.replace("DERIVATIVE states", "INITIAL { m = 0 }\nDERIVATIVE states")
    translation, _ = translate(tmp_path, text)
    assert any("INITIAL does not start m at its steady state" in note for note in translation.notes)
    assert not any("INITIAL" in note for note in translate(tmp_path, TRAUB.replace(
        "DERIVATIVE states", "INITIAL { rates(v) m = minf }\nDERIVATIVE states"), "steady")[0].notes)


REFUSED = [
    ("ina = gnabar * m * m * m * v * v", Code.E205, "is neither ohmic"),
    ("ina = gnabar * vtraub * m * (v - ena)", Code.E205, "not one PARAMETER"),
    ("ina = gnabar * m * (v - ena) * t", Code.E205, "reads 't'"),
]


@pytest.mark.parametrize(("current", "code", "words"), REFUSED)
def test_refusals_name_the_reason(tmp_path: Path, current: str, code: Code, words: str) -> None:
    text = TRAUB.replace("ina = gnabar * m*m*m * (v - ena)", current)
    with pytest.raises(IoncError) as raised:
        translate(tmp_path, text)
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code is code and words in diagnostic.message


def test_a_nonlinear_gate_is_refused(tmp_path: Path) -> None:
    text = TRAUB.replace("m' = (minf - m) / mtau", "m' = (minf - m) * m / mtau")
    with pytest.raises(IoncError) as raised:
        translate(tmp_path, text)
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code is Code.E400
    assert diagnostic.span is not None and diagnostic.span.text.startswith("m' = (minf - m) * m")


def test_the_command_writes_notes_and_never_overwrites_without_force(tmp_path: Path,
                                                                   ionc_env: dict[str, str]) -> None:
    import subprocess
    import sys

    source, target = tmp_path / "traub.mod", tmp_path / "traub.ionc"
    source.write_text(TRAUB, encoding="utf-8")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ionc", "import", str(source), "-o", str(target), *extra],
                              env=ionc_env, capture_output=True, text=True, check=False)

    first = run()
    assert first.returncode == 0 and target.read_text(encoding="utf-8").startswith("# Translated from traub.mod")
    target.write_text("mine", encoding="utf-8")
    second = run()
    assert second.returncode == 2 and "--force" in second.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    assert run("--force").returncode == 0 and "channel traub {" in target.read_text(encoding="utf-8")
    source.write_text(TRAUB + "VERBATIM\nENDVERBATIM\n", encoding="utf-8")
    refused = run("--force")
    assert refused.returncode == 2 and "VERBATIM cannot be translated" in refused.stderr
    line = (TRAUB + "VERBATIM").count("\n") + 1
    assert f"traub.mod:{line}:1" in refused.stderr and "^^^^^^^^" in refused.stderr
