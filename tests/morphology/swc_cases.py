"""The four real SWC files, what is known about them, and where the test data live.

The SWC files in data/ are byte-for-byte copies of ../shared/data/morphologies
(see data/SOURCES.md for where each came from and its licence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BAD = HERE / "bad_swc"


@dataclass(frozen=True)
class SwcFacts:
    """What is known about a file independently of ionc (SOURCES.md), and what ionc
    makes of it with the defaults (Ra 35.4 ohm cm, cm 1 uF/cm2, d_lambda 0.1 at 100 Hz)."""

    name: str
    points: int
    types: tuple[tuple[int, int], ...]
    total_length_um: float  # SOURCES.md: summed parent-to-child distances
    sections: int
    compartments: int
    total_area_um2: float


SWC_FILES = (
    SwcFacts(
        "dentate_granule_mp_ma_40984_gc2.swc", 353, ((1, 1), (3, 352)), 1783.6, 29, 110, 4119.970093679985
    ),
    SwcFacts(
        "ca3_pyramidal_l22.swc", 1602, ((1, 10), (3, 799), (4, 793)), 8734.8, 100, 362, 19650.173005864934
    ),
    SwcFacts(
        "cerebellar_deschutter_10-2012-02-09-001.swc",
        3187,
        ((1, 17), (3, 3170)),
        7682.0,
        784,
        1176,
        34206.92067756685,
    ),
    SwcFacts(
        "blowfly_lptc_dCH-cobalt.swc",
        6248,
        ((1, 82), (2, 318), (3, 5848)),
        26619.8,
        4780,
        7178,
        149316.5414916894,
    ),
)


def swc_path(name: str) -> Path:
    return DATA / name
