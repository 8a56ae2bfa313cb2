"""Channel cards against calcium: `ionc plot channel ... --cai VALUE`.

A gate reads calcium when its derived equations have a free symbol named `cai` (not
when the channel's name says so); such gates get a panel of inf and tau against cai
(1 nM to 100 uM, log) at a few voltages, computed through `clamp.numeric_channel` at
each concentration and checked here against the published formulas written out
independently (SK's Hill function, BK's two-state rates). `--cai` sets the
concentration of the card's other panels; a bad value exits 2 with a message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ionc import clamp
from ionc.plot import calcium_curves, calcium_gates, format_concentration, plot_channel_card, reads_calcium

REPO = Path(__file__).resolve().parents[1]
CHANNELS = REPO / "models" / "channels"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXIT_MODEL_ERROR = 2
REVERSALS = {"k": -77.0, "na": 50.0, "ca": 132.4579341637009}
FARADAY = 96485.33212  # C/mol
GAS = 8.314462618  # J/(mol K)


def _derived(file: str, name: str) -> object:
    return clamp.load_channel(CHANNELS / f"{file}.ionc", name)


@pytest.mark.parametrize(("file", "name", "gates"), [
    ("sk", "sk", ("z",)), ("bk", "bk", ("o",)), ("mainen_sejnowski_ca", "ms_kca", ("n",)),
    ("mainen_sejnowski_ca", "ms_ca", ()), ("hh", "hh_na", ()), ("destexhe_cat", "cat", ()),
])
def test_calcium_gates_of_the_library(file: str, name: str, gates: tuple[str, ...]) -> None:
    assert calcium_gates(_derived(file, name)) == gates


def test_calcium_dependence_comes_from_the_equations_not_the_names(tmp_path: Path) -> None:
    model = tmp_path / "names.ionc"
    model.write_text(
        "channel kca_in_name_only {\n"
        "    ion k\n    gbar = 1 mS/cm2\n"
        "    gate cai_gate { inf = 1 / (1 + exp(-v / 10 mV)); tau = 1 ms }\n"
        "}\n"
        "channel hidden {\n"
        "    ion k\n    gbar = 1 mS/cm2\n"
        "    gate q { inf = 1 / (1 + exp(-v / 10 mV)); tau = 2 ms }\n"
        "    gate r { level = cai / 1 uM; alpha = 1 /ms * level; beta = 1 /ms }   # through a helper\n"
        "}\n",
        encoding="utf-8",
    )
    assert calcium_gates(clamp.load_channel(model, "kca_in_name_only")) == ()
    assert calcium_gates(clamp.load_channel(model, "hidden")) == ("r",)
    # a GHK flux reads cai in its current, not in its gates: no panel, but the card says cai
    cat = _derived("destexhe_cat", "cat")
    assert reads_calcium(cat) and calcium_gates(cat) == ()
    assert not reads_calcium(_derived("hh", "hh_k"))


def test_sk_curves_are_the_hill_function() -> None:
    curves = calcium_curves(_derived("sk", "sk"), celsius=34.0, chosen=1e-3, reversals=REVERSALS)
    assert curves is not None
    cai = curves.cai
    assert cai[0] == pytest.approx(1e-6) and cai[-1] == pytest.approx(0.1)  # mM: 1 nM .. 100 uM
    assert np.all(np.diff(np.log10(cai)) > 0)
    assert curves.voltages == {"z": (-80.0,)}  # no v in SK: one curve stands for every v
    np.testing.assert_allclose(curves.inf["z"][0], 1.0 / (1.0 + (0.43e-3 / cai) ** 4.8), rtol=1e-12)
    np.testing.assert_allclose(curves.tau["z"][0], 1.0, rtol=1e-12)


def test_bk_curves_are_its_two_state_rates() -> None:
    celsius = 22.0
    curves = calcium_curves(_derived("bk", "bk"), celsius=celsius, chosen=5e-5, reversals=REVERSALS)
    assert curves is not None
    voltages = np.array(curves.voltages["o"])
    assert voltages.size > 1  # BK depends on v as well: several voltages
    cai, v = curves.cai[None, :], voltages[:, None]
    factor = np.exp(-2.0 * FARADAY * v * 1e-3 / (GAS * (celsius + 273.15)))  # v in mV
    k1v, k2v = 0.18 * factor ** 0.84, 0.011 * factor ** 1.0
    alpha = 0.48 * cai / (cai + k1v)
    beta = 0.28 * k2v / (k2v + cai)
    np.testing.assert_allclose(curves.inf["o"], alpha / (alpha + beta), rtol=1e-10)
    np.testing.assert_allclose(curves.tau["o"], 1.0 / (alpha + beta), rtol=1e-10)


def test_a_cai_outside_the_range_widens_it() -> None:
    curves = calcium_curves(_derived("mainen_sejnowski_ca", "ms_kca"), celsius=23.0, chosen=2.0,
                            reversals=REVERSALS)
    assert curves is not None
    assert curves.cai[0] == pytest.approx(1e-6) and curves.cai[-1] == pytest.approx(10.0)
    # n = ra cai / (ra cai + rb): half open at cai = rb / ra = 2 mM
    np.testing.assert_allclose(curves.inf["n"][0], 0.01 * curves.cai / (0.01 * curves.cai + 0.02), rtol=1e-12)
    assert calcium_curves(_derived("hh", "hh_na"), celsius=6.3, chosen=5e-5, reversals=REVERSALS) is None


def test_card_has_the_calcium_panel(tmp_path: Path) -> None:
    derived = _derived("sk", "sk")
    numeric = clamp.numeric_channel(derived, celsius=34.0, reversals=REVERSALS, concentrations={"cai": 1e-3})
    curves = calcium_curves(derived, celsius=34.0, chosen=1e-3, reversals=REVERSALS)
    card = plot_channel_card(numeric, tmp_path / "sk.png", calcium=curves)
    assert card.path.read_bytes().startswith(PNG_MAGIC)
    assert card.calcium_gates == ("z",)
    assert card.panels == ("gate z (cai 1 uM)", "gate z against cai", "I-V, voltage clamp from -100 mV",
                           "clamp currents")
    plain = plot_channel_card(clamp.numeric_channel(_derived("hh", "hh_k"), reversals=REVERSALS),
                              tmp_path / "hh_k.png")
    assert plain.calcium_gates == () and plain.panels[0] == "gate n (power 4)" and len(plain.panels) == 3


def test_format_concentration() -> None:
    assert format_concentration(5e-5) == "50 nM"
    assert format_concentration(1e-3) == "1 uM"
    assert format_concentration(2.0) == "2 mM"
    assert format_concentration(0.0) == "0 nM"


# ---------------------------------------------------------------- the command line


def _ionc(args: list[object], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ionc", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_plot_channel_with_cai(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    card = tmp_path / "sk.png"
    done = _ionc(["plot", "channel", CHANNELS / "sk.ionc", "sk", "-o", card, "--cai", "1uM",
                  "--temperature", "34degC"], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert card.read_bytes().startswith(PNG_MAGIC)
    assert f"wrote {card}" in done.stdout and "gates against cai: z" in done.stdout
    # a channel without calcium: no calcium panel, --cai accepted all the same
    plain = tmp_path / "hh_na.png"
    done = _ionc(["plot", "channel", CHANNELS / "hh.ionc", "hh_na", "-o", plain, "--cai", "1uM"], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert plain.read_bytes().startswith(PNG_MAGIC) and "gates against cai" not in done.stdout


@pytest.mark.parametrize(("value", "message"), [
    ("1mV", "error[E301]: the value of --cai must be concentration (mM), but this is voltage (mV)"),
    ("1", "error[E301]: the value of --cai must be concentration (mM), but this is dimensionless"),
    ("-1uM", "error: --cai -1uM is negative: a concentration is 0 or more"),
    ("", "error[E500]: --cai needs a value with its unit"),
])
def test_bad_cai_exits_2(value: str, message: str, tmp_path: Path, ionc_env: dict[str, str]) -> None:
    card = tmp_path / "sk.png"
    done = _ionc(["plot", "channel", CHANNELS / "sk.ionc", "sk", "-o", card, f"--cai={value}"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR
    assert message in done.stderr.splitlines()[0]
    assert "Traceback" not in done.stderr and not card.exists()
