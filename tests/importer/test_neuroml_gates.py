"""Every gate kind `ionc import` reads, against NeuroML2's definitions evaluated here with numpy.

tests/importer/neuroml/gate_kinds.nml has a gateHHratesInf (with q10Fixed), a gateHHratesTau, a
`<gate type="gateHHtauInf">` (its tau in seconds), a gateHHratesTauInf (a midpoint in volts),
rates in five of the six standard forms (HHExpLinearRate is in the round trip; in a
gateHHratesTau here, ionc's derive of inf = alpha/(alpha + beta) with it takes 18 s), and a
gateKS with one direction only and its q10 given in kelvin. Imported, each gate's inf and tau equal NeuroML2CoreTypes' formulas (Channels.xml:
gateHHratesInf tau = 1/((alpha + beta) q10), gateHHratesTau inf = alpha/(alpha + beta), ...)
within 1e-12 relative; the scheme's rate is the form's, its missing reverse rate is 0, and its
q10 factor is 3^((T - 22 degC)/10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.clamp import gate_curves, load_channel, numeric_channel
from ionc.importer.neuroml import translate_neuroml

HERE = Path(__file__).resolve().parent
RELATIVE = 1e-12
V = np.linspace(-100.0, 50.0, 301) + 0.0123  # off the forms' 0/0 points (the numpy formulas here have no guard)
CELSIUS = 32.0


def exp_form(rate: float, midpoint: float, scale: float, v: np.ndarray) -> np.ndarray:
    return rate * np.exp((v - midpoint) / scale)


def sigmoid_form(rate: float, midpoint: float, scale: float, v: np.ndarray) -> np.ndarray:
    return rate / (1 + np.exp(-(v - midpoint) / scale))


def exp_linear_form(rate: float, midpoint: float, scale: float, v: np.ndarray) -> np.ndarray:
    x = (v - midpoint) / scale
    return rate * x / (1 - np.exp(-x))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kinds") / "gate_kinds.ionc"
    path.write_text(translate_neuroml(HERE / "neuroml" / "gate_kinds.nml").text, encoding="utf-8")
    return path


def test_gate_kinds(imported: Path) -> None:
    channel = numeric_channel(load_channel(imported, "kinds"), celsius=CELSIUS, reversals={"k": -77.0})
    curves = gate_curves(channel, V)
    a_alpha, a_beta = exp_form(0.5, -40, 10, V), exp_form(0.2, -40, -12, V)
    b_alpha, b_beta = sigmoid_form(0.8, -30, 8, V), exp_form(0.3, -60, -7, V)
    expected = {
        "a": (sigmoid_form(1, -50, 5, V), 1 / ((a_alpha + a_beta) * 2)),
        "b": (b_alpha / (b_alpha + b_beta), np.full_like(V, 3.0)),
        "c": (exp_linear_form(0.1, -20, 15, V), np.full_like(V, 2.0)),
        "d": (exp_form(0.01, -70, 20, V), np.full_like(V, 4.0)),
    }
    assert sorted(curves) == sorted(expected)
    assert [g.power for g in channel.gates] == [1, 2, 1, 1]
    for gate, (inf, tau) in expected.items():
        np.testing.assert_allclose(curves[gate][0], inf, rtol=RELATIVE, atol=0)
        np.testing.assert_allclose(curves[gate][1], tau, rtol=RELATIVE, atol=0)


def test_one_way_scheme_with_q10(imported: Path) -> None:
    channel = numeric_channel(load_channel(imported, "scheme"), celsius=CELSIUS, reversals={"na": 50.0})
    assert channel.scheme is not None
    assert channel.scheme.phi == pytest.approx(3 ** ((CELSIUS - 22.0) / 10), rel=RELATIVE)
    rates = channel.scheme.rates(np.array([-10.0]))[0]
    assert rates[1, 0] == pytest.approx(exp_form(2, -30, 10, np.array(-10.0)), rel=RELATIVE)  # C -> O
    assert rates[0, 1] == 0  # O -> C: no reverseTransition
