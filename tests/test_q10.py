"""Temperature factors per gate (`q10 = Q at T` inside a gate) and of the conductance
(`q10 gbar = Q at T`): Destexhe's T channel written with them equals the library's version,
which writes the same factors out in its expressions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc import clamp
from ionc.api import run_simulation
from ionc.diagnostics import IoncError

CHANNELS = Path(__file__).resolve().parent.parent / "models" / "channels"
CONCENTRATIONS = {"cai": 2.4e-4, "cao": 2.0}
CELSIUS = 36.0
PBAR_FACTOR = 2.0 ** ((CELSIUS - 24.0) / 10.0)  # the conductance q10 below: 2 at 24 degC

WITH_STATEMENTS = """
channel cat2 {
    ion ca
    pbar = 2e-4 cm/s
    shift = 2 mV
    q10 pbar = 2 at 24 degC
    gate m ^ 2 {
        q10 = 5 at 24 degC
        inf = 1 / (1 + exp(-(v + shift + 57 mV) / 6.2 mV))
        tau = 0.612 ms + 1 ms / (exp(-(v + shift + 132 mV) / 16.7 mV) + exp((v + shift + 16.8 mV) / 18.2 mV))
    }
    gate h {
        q10 = 3 at 24 degC
        inf = 1 / (1 + exp((v + shift + 81 mV) / 4 mV))
        tau = if v + shift < -80 mV then 1 ms * exp((v + shift + 467 mV) / 66.6 mV)
              else 1 ms * (28 + exp(-(v + shift + 22 mV) / 10.5 mV))
    }
}
"""


def _cell(channel: str) -> str:
    return f"""import "{(CHANNELS / 'hh.ionc').as_posix()}"
import "{(CHANNELS / 'destexhe_cat.ionc').as_posix()}"
{WITH_STATEMENTS}
cell c {{
    temperature = {CELSIUS!r} degC
    reversal na = 50 mV
    reversal k = -77 mV
    ion ca {{ inside = 2.4e-4 mM; outside = 2 mM }}
    morphology {{ soma {{ area = 1000 um2 }} }}
    insert hh_na, hh_k, leak, {channel}
}}
simulation s of c {{
    duration = 30 ms
    stimulus iclamp at soma {{ delay = 5 ms; duration = 20 ms; amplitude = 0.05 nA }}
    record v at soma
}}
"""


def test_gate_and_conductance_q10_in_a_voltage_clamp(tmp_path: Path) -> None:
    path = tmp_path / "cat2.ionc"
    path.write_text(WITH_STATEMENTS, encoding="utf-8")
    ours = clamp.numeric_channel(clamp.load_channel(path, "cat2"), celsius=CELSIUS, concentrations=CONCENTRATIONS)
    library = clamp.numeric_channel(clamp.load_channel(CHANNELS / "destexhe_cat.ionc", "cat"), celsius=CELSIUS,
                                    concentrations=CONCENTRATIONS)
    commands = (-70.0, -50.0, -30.0, -10.0)
    a = clamp.voltage_clamp(ours, commands, holding=-100.0, t_step=50.0)
    b = clamp.voltage_clamp(library, commands, holding=-100.0, t_step=50.0)
    np.testing.assert_allclose(a.current, PBAR_FACTOR * b.current, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_gate_and_conductance_q10_in_a_simulation(tmp_path: Path, backend: str) -> None:
    if backend == "numba":
        pytest.importorskip("numba")
    written, library = tmp_path / "written.ionc", tmp_path / "library.ionc"
    written.write_text(_cell("cat2"), encoding="utf-8")
    library.write_text(_cell(f"cat(pbar = {2e-4 * PBAR_FACTOR!r} cm/s)"), encoding="utf-8")
    a = run_simulation(written, backend=backend)[1]["traces"]["v@soma"]
    b = run_simulation(library, backend=backend)[1]["traces"]["v@soma"]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("text", "message"), [
    ("q10 = 3 at 6.3 degC\n    gate m { q10 = 2 at 20 degC; inf = 0.5; tau = 1 ms }", "its own q10"),
    ("q10 g = 2 at 20 degC\n    gate m { inf = 0.5; tau = 1 ms }", "conductance is 'gbar'"),
    ("gate m { q10 gbar = 2 at 20 degC; inf = 0.5; tau = 1 ms }", "applies to its rates"),
])
def test_misplaced_q10_statements_are_diagnostics(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.ionc"
    path.write_text(f"channel k1 {{\n    ion k\n    gbar = 1 mS/cm2\n    {text}\n}}\n", encoding="utf-8")
    from ionc.api import check_file

    with pytest.raises(IoncError, match=message):
        check_file(path)
