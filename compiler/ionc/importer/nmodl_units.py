"""NMODL unit text -> ionc unit names, as exponent maps over named units.

NMODL code computes with plain numbers, each meaning a value in its declared
unit (`v` in mV, `gnabar` in S/cm2). The importer keeps those units as
symbols (mV, ms, S, cm, ...) without converting between them, so that the
ionc text it writes carries exactly the numbers of the .mod file, each with
its unit: ionc then converts them. `UnitMap` is such a product of named
units with rational exponents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ionc.sema.units import DIMENSIONLESS, Dimension, UnitError, parse_unit

# NMODL (units database) names -> ionc names; "" is a plain number.
_ALIASES = {
    "mho": "S", "umho": "uS", "mmho": "mS", "micron": "um", "microns": "um",
    "molar": "M", "liter": "L", "litre": "L", "sec": "s", "coulomb": "C", "coul": "C",
    "joule": "J", "kelvin": "K", "volt": "V", "amp": "A", "siemens": "S",
    "millivolt": "mV", "milliamp": "mA", "degC": "", "1": "",
}
_ATOM = re.compile(r"([A-Za-z]+)([0-9]*)")


@dataclass(frozen=True, slots=True)
class UnitMap:
    """A product of named units, e.g. ((ms, -1), (mV, -1)) for /ms/mV."""

    powers: tuple[tuple[str, Fraction], ...] = ()

    @staticmethod
    def of(mapping: dict[str, Fraction]) -> UnitMap:
        return UnitMap(tuple(sorted((k, v) for k, v in mapping.items() if v != 0)))

    def as_dict(self) -> dict[str, Fraction]:
        return dict(self.powers)

    def __mul__(self, other: UnitMap) -> UnitMap:
        merged = self.as_dict()
        for name, power in other.powers:
            merged[name] = merged.get(name, Fraction(0)) + power
        return UnitMap.of(merged)

    def __truediv__(self, other: UnitMap) -> UnitMap:
        return self * other ** -1

    def __pow__(self, exponent: Fraction | int) -> UnitMap:
        return UnitMap.of({name: power * exponent for name, power in self.powers})

    @property
    def is_number(self) -> bool:
        return not self.powers

    def ionc_text(self) -> str:
        """ionc's spelling: mS/cm2, /ms/mV, mA*ms/cm2; "" for a plain number."""
        up = [_power_text(name, power) for name, power in self.powers if power > 0]
        down = [_power_text(name, -power) for name, power in self.powers if power < 0]
        return "*".join(up) + "".join("/" + text for text in down)


NUMBER = UnitMap()
MV = UnitMap.of({"mV": Fraction(1)})
MS = UnitMap.of({"ms": Fraction(1)})
PER_MS = MS ** -1
MM = UnitMap.of({"mM": Fraction(1)})


def _power_text(name: str, power: Fraction) -> str:
    if power == 1:
        return name
    if power.denominator != 1:
        raise ValueError(f"{name}^{power}: ionc units take whole powers")
    return f"{name}{power.numerator}"


def parse_nmodl_unit(text: str) -> UnitMap | None:
    """The unit map of NMODL unit text ("S/cm2", "/ms", "1/mV", "k-mole"); None if unknown."""
    result = NUMBER
    sign = 1
    for piece in re.split(r"(/)|[\s*.\-]+", text.strip()):
        if piece is None or piece == "":
            continue
        if piece == "/":
            sign = -1
            continue
        atom = _atom(piece)
        if atom is None:
            return None
        result = result * atom ** sign
        # NMODL reads "a/b c" as a/(b c) is not standard; a / binds the next name only
        sign = 1
    return result


def _atom(piece: str) -> UnitMap | None:
    if re.fullmatch(r"[0-9]+", piece):
        return NUMBER if piece == "1" else None
    match = _ATOM.fullmatch(piece)
    if match is None:
        return None
    name, digits = match.groups()
    name = _ALIASES.get(name, name)
    if name == "":
        return NUMBER
    try:
        parse_unit(name)
    except UnitError:
        return None
    return UnitMap.of({name: Fraction(int(digits) if digits else 1)})


def si_scale(unit: UnitMap) -> tuple[Fraction, Dimension]:
    """The SI value of one of this unit, and its dimension (through ionc's own unit table)."""
    scale, dimension = Fraction(1), DIMENSIONLESS
    for name, power in unit.powers:
        if power.denominator != 1:
            raise ValueError(f"{name}^{power}: ionc units take whole powers")
        atom = parse_unit(name)
        scale *= atom.scale ** int(power)
        dimension = dimension * atom.dimension ** power
    return scale, dimension
