"""The ions ionc knows without being told: valence and NEURON's default concentrations.

A cell may declare any ion in an `ion NAME { ... }` block; ions missing here
need `valence = ...` there. Inside and outside concentrations of an ion are
read in channel expressions as `<ion>i` and `<ion>o` (`cai`, `cao`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IonDefaults:
    valence: int
    inside_mM: float
    outside_mM: float


# NEURON's defaults (nai0_na_ion, nao0_na_ion, ...), so models agree unless told otherwise.
KNOWN_IONS = {
    "na": IonDefaults(1, 10.0, 140.0),
    "k": IonDefaults(1, 54.4, 2.5),
    "ca": IonDefaults(2, 5e-5, 2.0),
    "cl": IonDefaults(-1, 10.0, 100.0),
}

ION_ATTRS = ("inside", "outside", "valence", "reversal")
REVERSAL_POLICIES = ("nernst", "none")  # besides a fixed value


def concentration_names(ions: tuple[str, ...] | list[str] = tuple(KNOWN_IONS)) -> dict[str, tuple[str, str]]:
    """`cai` -> ("ca", "inside"), `cao` -> ("ca", "outside"), for the given ions."""
    names: dict[str, tuple[str, str]] = {}
    for ion in ions:
        names[f"{ion}i"] = (ion, "inside")
        names[f"{ion}o"] = (ion, "outside")
    return names
