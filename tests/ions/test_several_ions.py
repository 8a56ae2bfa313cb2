"""A channel carrying several ions (`ion na 0.3, k 0.7`): its current is the sum of the shares'
ohmic currents, each with its ion's reversal; it equals the same channel split in two (one per
ion, the same gate), also in the current a calcium pool reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import check_file, run_simulation
from ionc.diagnostics import IoncError

CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"
GATE = "gate m { inf = 1 / (1 + exp(-(v + 30 mV) / 6 mV)); tau = 5 ms }"

CELL = """import "{hh}"
{channels}
pool cad {{ ion ca; depth = 0.1 um; taur = 20 ms; cainf = 100 nM; cai' = -ica / (2 * F * depth) + (cainf - cai) / taur }}
cell c {{
    temperature = 6.3 degC
    reversal na = 50 mV
    reversal k = -77 mV
    ion ca {{ inside = 100 nM; outside = 2 mM; reversal = nernst }}
    morphology {{
        soma {{ length = 20 um; diameter = 20 um }}
        section dend {{ length = 100 um; diameter = 2 um; compartments = 3; parent = soma(1) }}
    }}
    insert hh_na, hh_k, leak on all
    insert cad on dend
    insert {inserts} on dend
}}
simulation s of c {{
    duration = 30 ms
    stimulus iclamp at soma {{ delay = 5 ms; duration = 20 ms; amplitude = 0.2 nA }}
    record v at soma, dend(0.5)
    record cad.cai at dend(0.5)
}}
"""


def _run(tmp_path: Path, name: str, channels: str, inserts: str) -> dict:
    path = tmp_path / f"{name}.ionc"
    path.write_text(CELL.format(hh=(CHANNELS / "hh.ionc").as_posix(), channels=channels, inserts=inserts))
    return run_simulation(path)[1]


def test_a_channel_of_several_ions_equals_one_channel_per_ion(tmp_path: Path) -> None:
    shared = _run(tmp_path, "shared", f"channel mix {{ ion na 0.5, k 0.3, ca 0.2; gbar = 1 mS/cm2; {GATE} }}",
                  "mix")
    split = _run(tmp_path, "split",
                 f"channel mix_na {{ ion na; gbar = 0.5 mS/cm2; {GATE} }}\n"
                 f"channel mix_k {{ ion k; gbar = 0.3 mS/cm2; {GATE} }}\n"
                 f"channel mix_ca {{ ion ca; gbar = 0.2 mS/cm2; {GATE} }}",
                 "mix_na, mix_k, mix_ca")
    for site in ("v@soma", "v@dend(0.5)", "cad.cai@dend(0.5)"):
        scale = np.max(np.abs(split["traces"][site]))
        np.testing.assert_allclose(shared["traces"][site], split["traces"][site], rtol=0, atol=1e-9 * scale)
    assert split["traces"]["cad.cai@dend(0.5)"].max() > 2e-4  # the calcium share reaches the pool


@pytest.mark.parametrize(("statement", "message"), [
    ("ion na 0.5, k 0.4", "add up to 1"),
    ("ion na, k 0.5", "needs its share"),
    ("ion na 0.5, k 0.5; e = 0 mV", "no 'e'"),
    ("ion na 0.5, na 0.5", "duplicate ion of the channel"),
])
def test_shares_that_do_not_make_sense_are_diagnostics(tmp_path: Path, statement: str, message: str) -> None:
    path = tmp_path / "bad.ionc"
    path.write_text(f"channel mix {{ {statement}; gbar = 1 mS/cm2 }}\n", encoding="utf-8")
    with pytest.raises(IoncError, match=message):
        check_file(path)
