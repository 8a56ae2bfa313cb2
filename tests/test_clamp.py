"""ionc.clamp: a voltage clamp of one channel from the compiler's derived equations, and
`ionc plot channel`, the channel card drawn from it.

Checked here without NEURON (tests/channels/test_library_vs_neuron.py compares with
NEURON): the HH potassium current under a clamp equals the closed-form solution of
Hodgkin and Huxley's equations written out independently below; the samples line
up as in the NEURON harness; q10, parameters and removable singularities are
handled; mistakes are diagnostics; the card is a PNG.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ionc import clamp
from ionc.diagnostics import IoncError

REPO = Path(__file__).resolve().parents[1]
HH = REPO / "models" / "channels" / "hh.ionc"
TM = REPO / "models" / "channels" / "traub_miles.ionc"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXIT_MODEL_ERROR = 2
RTOL = 1e-12  # the clamp and the closed form differ by rounding alone


@pytest.fixture(scope="module")
def hh_k() -> clamp.NumericChannel:
    return clamp.numeric_channel(clamp.load_channel(HH, "hh_k"), celsius=6.3, reversals={"k": -77.0})


def _hh_n(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HH's n gate at 6.3 degC, written out here: (ninf, ntau in ms)."""
    alpha = 0.01 * (v + 55.0) / (1.0 - np.exp(-(v + 55.0) / 10.0))
    beta = 0.125 * np.exp(-(v + 65.0) / 80.0)
    return alpha / (alpha + beta), 1.0 / (alpha + beta)


def test_hh_k_current_is_the_closed_form(hh_k: clamp.NumericChannel) -> None:
    commands = (-60.0, -20.0, 0.0, 40.0)
    battery = clamp.voltage_clamp(hh_k, commands, holding=-70.0, t_hold=1.0, t_step=5.0, t_tail=2.0)
    n0, _ = _hh_n(np.array(-70.0))
    k1, k2 = 40, 240  # 1 ms and 6 ms at dt = 0.025 ms
    for row, command in enumerate(commands):
        ninf, ntau = _hh_n(np.array(command))
        t = battery.t[k1 + 1:k2 + 1] - battery.t[k1]  # the first step sample has had one dt at the command
        n = ninf + (n0 - ninf) * np.exp(-t / ntau)
        expected = 36.0 * n**4 * (command + 77.0)  # uA/cm2
        np.testing.assert_allclose(battery.current[row, k1 + 1:k2 + 1], expected, rtol=1e-10)
        held = 36.0 * n0**4 * (-70.0 + 77.0)
        np.testing.assert_allclose(battery.current[row, :k1 + 1], held, rtol=RTOL)


def test_samples_line_up_as_in_the_neuron_harness(hh_k: clamp.NumericChannel) -> None:
    battery = clamp.voltage_clamp(hh_k, (-20.0,), holding=-90.0, t_hold=2.0, t_step=1.0, t_tail=0.5)
    k1, k2 = 80, 120
    assert battery.t.size == 141 and battery.t[-1] == pytest.approx(3.5)
    assert np.all(battery.v[0, :k1 + 1] == -90.0)
    assert np.all(battery.v[0, k1 + 1:k2 + 1] == -20.0)
    assert np.all(battery.v[0, k2 + 1:] == -90.0)
    assert battery.step_samples.sum() == k2 - k1
    # Sample k holds the state after step k, taken with v[k]: n moves at k1 + 1, not before.
    n = battery.states["n"][0]
    assert np.all(n[:k1 + 1] == n[0]) and n[k1 + 1] > n[k1]
    np.testing.assert_allclose(battery.current[0], hh_k.current(battery.v[0], {"n": n}), rtol=RTOL)
    assert battery.peaks()[0] == pytest.approx(battery.current[0, k2])  # n rises through the step
    assert battery.ends()[0] == battery.current[0, k2]


def test_gate_curves_at_a_removable_singularity() -> None:
    hh_na = clamp.numeric_channel(clamp.load_channel(HH, "hh_na"), celsius=6.3, reversals={"na": 50.0})
    v = np.array([-40.0 - 1e-3, -40.0, -40.0 + 1e-3])
    inf, tau = clamp.gate_curves(hh_na, v)["m"]
    alpha = np.array([1.0 - 1e-3 / 20, 1.0, 1.0 + 1e-3 / 20])  # limit 1 /ms, slope 1/20 /ms/mV
    beta = 4.0 * np.exp(-(v + 65.0) / 18.0)
    np.testing.assert_allclose(inf, alpha / (alpha + beta), rtol=1e-9)
    np.testing.assert_allclose(tau, 1.0 / (alpha + beta), rtol=1e-9)


def test_q10_divides_time_constants(hh_k: clamp.NumericChannel) -> None:
    warm = clamp.numeric_channel(clamp.load_channel(HH, "hh_k"), celsius=16.3, reversals={"k": -77.0})
    v = np.linspace(-100.0, 40.0, 15)
    np.testing.assert_allclose(warm.gate("n").tau(v) * 3.0, hh_k.gate("n").tau(v), rtol=RTOL)
    np.testing.assert_allclose(warm.gate("n").inf(v), hh_k.gate("n").inf(v), rtol=RTOL)


def test_parameters_set_by_name() -> None:
    derived = clamp.load_channel(TM, "tm_na")
    default = clamp.numeric_channel(derived, celsius=36.0, reversals={"na": 50.0})
    shifted = clamp.numeric_channel(derived, celsius=36.0, reversals={"na": 50.0}, parameters={"vt": -60.0})
    v = np.linspace(-100.0, 40.0, 141)
    for gate in ("m", "h"):
        np.testing.assert_allclose(shifted.gate(gate).inf(v + 3.0), default.gate(gate).inf(v), rtol=1e-12)
    assert shifted.parameters == {"gbar": 100.0, "vt": -60.0}


def test_mistakes_are_diagnostics() -> None:
    with pytest.raises(IoncError, match=r"E200.*no channel named 'tm_nax'.*\n.*did you mean 'tm_na'"):
        clamp.load_channel(TM, "tm_nax")
    derived = clamp.load_channel(TM, "tm_k")
    with pytest.raises(IoncError, match="E204.*reversal potential of ion 'k'"):
        clamp.numeric_channel(derived, celsius=36.0)
    with pytest.raises(IoncError, match="E200.*no parameter 'gmax'"):
        clamp.numeric_channel(derived, celsius=36.0, reversals={"k": -90.0}, parameters={"gmax": 1.0})
    with pytest.raises(ValueError, match="not a whole multiple of dt"):
        clamp.voltage_clamp(clamp.numeric_channel(derived, reversals={"k": -90.0}), t_hold=0.01)


def test_values_with_units() -> None:
    assert clamp.parse_value("--temperature", "6.3degC", "K") == pytest.approx(279.45)
    assert clamp.parse_assignment("--reversal", "na=0.055V", "mV") == ("na", pytest.approx(55.0))
    with pytest.raises(IoncError, match="E301"):
        clamp.parse_value("--temperature", "6.3 mV", "K")
    with pytest.raises(IoncError, match="E500"):
        clamp.parse_assignment("--set", "gbar", {"gbar": "mS/cm2"})


# ---------------------------------------------------------------- ionc plot channel


def _ionc(args: list[object], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ionc", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_plot_channel_writes_a_png(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    card = tmp_path / "card.png"
    done = _ionc(["plot", "channel", TM, "tm_na", "-o", card, "--temperature", "36degC"], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert card.read_bytes().startswith(PNG_MAGIC)
    assert f"wrote {card}" in done.stdout


def test_plot_channel_unknown_name_and_model_errors(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    done = _ionc(["plot", "channel", TM, "tm_nax", "-o", tmp_path / "x.png"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR
    assert "no channel named 'tm_nax'" in done.stderr and "did you mean 'tm_na'" in done.stderr
    assert "Traceback" not in done.stderr
    bad = tmp_path / "bad.ionc"
    bad.write_text("channel k { ion k; gbar = 36 mS }\n", encoding="utf-8")
    done = _ionc(["plot", "channel", bad, "k", "-o", tmp_path / "x.png"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR
    assert "error[E301]" in done.stderr and f"{bad}:1:27" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()
