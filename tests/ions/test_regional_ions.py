"""`ion X on REGIONS { ... }`: concentrations and reversal policies per region, over a
whole-cell declaration. A cell whose calcium reversal is fixed in the soma and Nernst in the
dendrite equals the same cell with those two values written into two channels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ionc.api import check_file, run_simulation
from ionc.diagnostics import IoncError

CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"
NERNST_DEND_MV = 1e3 * 8.314462618 * 279.45 / (2 * 96485.33212) * math.log(2.0 / 1e-3)  # 1 uM in, 2 mM out

CELL = """import "{hh}"
{channels}
cell c {{
    reversal na = 50 mV
    reversal k = -77 mV
{ions}
    morphology {{
        soma {{ length = 20 um; diameter = 20 um }}
        section dend {{ length = 200 um; diameter = 2 um; compartments = 4; parent = soma(1) }}
    }}
    insert hh_na, hh_k on soma
{inserts}
}}
simulation s of c {{
    duration = 20 ms
    stimulus iclamp at soma {{ delay = 2 ms; duration = 10 ms; amplitude = 0.2 nA }}
    record v at soma, dend(0.9)
}}
"""


def _run(tmp_path: Path, name: str, **parts: str) -> dict:
    path = tmp_path / f"{name}.ionc"
    path.write_text(CELL.format(hh=(CHANNELS / "hh.ionc").as_posix(), **parts), encoding="utf-8")
    return run_simulation(path)[1]


def test_a_reversal_fixed_in_one_region_and_nernst_in_another(tmp_path: Path) -> None:
    regional = _run(
        tmp_path, "regional",
        channels="channel ca_leak { ion ca; g = 0.05 mS/cm2 }\nchannel pas { nonspecific; g = 0.1 mS/cm2; e = -65 mV }",
        ions="    ion ca { inside = 100 nM; outside = 2 mM; reversal = 120 mV }\n"
             "    ion ca on dend { inside = 1 uM; outside = 2 mM; reversal = nernst }",
        inserts="    insert pas, ca_leak on all",
    )
    written = _run(
        tmp_path, "written",
        channels=f"channel ca_soma {{ ion ca; g = 0.05 mS/cm2; e = 120 mV }}\n"
                 f"channel ca_dend {{ ion ca; g = 0.05 mS/cm2; e = {NERNST_DEND_MV!r} mV }}\n"
                 "channel pas { nonspecific; g = 0.1 mS/cm2; e = -65 mV }",
        ions="",
        inserts="    insert pas on all\n    insert ca_soma on soma\n    insert ca_dend on dend",
    )
    for site in ("v@soma", "v@dend(0.9)"):
        np.testing.assert_allclose(regional["traces"][site], written["traces"][site], rtol=0, atol=1e-8)


def _check(tmp_path: Path, ions: str, inserts: str) -> None:
    path = tmp_path / "bad.ionc"
    path.write_text(CELL.format(hh=(CHANNELS / "hh.ionc").as_posix(),
                                channels="channel ca_leak { ion ca; g = 0.05 mS/cm2 }", ions=ions, inserts=inserts))
    check_file(path)


def test_two_regional_blocks_for_one_region_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(IoncError, match="declared twice for region 'dend'"):
        _check(tmp_path, "    ion ca on dend { reversal = nernst }\n    ion ca on dend, soma { reversal = 100 mV }",
               "    insert ca_leak on dend")


def test_a_channel_where_its_ion_has_no_reversal_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IoncError, match="no reversal potential for ion 'ca'"):
        _check(tmp_path, "    ion ca { reversal = none }\n    ion ca on dend { reversal = nernst }",
               "    insert ca_leak on all")
