"""Dimensions and units: a small exact algebra, no unit library at run time.

A `Dimension` is a vector of rational exponents over the SI base dimensions.
A `Unit` is a dimension with an exact scale to SI (and, for degC only, an
offset). Every quantity is converted at compile time to ionc's internal unit
for its dimension (NEURON's: mV, ms, mS/cm2, uA/cm2, uF/cm2, um, mM, nA, ...),
so generated code carries plain numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

BASE = ("m", "kg", "s", "A", "K", "mol")


@dataclass(frozen=True, slots=True)
class Dimension:
    exponents: tuple[Fraction, ...] = (Fraction(0),) * len(BASE)

    def __mul__(self, other: Dimension) -> Dimension:
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __truediv__(self, other: Dimension) -> Dimension:
        return Dimension(tuple(a - b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __pow__(self, power: Fraction | int) -> Dimension:
        return Dimension(tuple(a * Fraction(power) for a in self.exponents))

    @property
    def is_dimensionless(self) -> bool:
        return not any(self.exponents)

    def __str__(self) -> str:
        return describe(self)


def _dim(**powers: int) -> Dimension:
    return Dimension(tuple(Fraction(powers.get(name, 0)) for name in BASE))


DIMENSIONLESS = Dimension()
LENGTH = _dim(m=1)
MASS = _dim(kg=1)
TIME = _dim(s=1)
CURRENT = _dim(A=1)
TEMPERATURE = _dim(K=1)
AMOUNT = _dim(mol=1)
VOLTAGE = MASS * LENGTH**2 / TIME**3 / CURRENT
AREA = LENGTH**2
CONDUCTANCE = CURRENT / VOLTAGE
CAPACITANCE = CURRENT * TIME / VOLTAGE
RESISTANCE = VOLTAGE / CURRENT
CONCENTRATION = AMOUNT / LENGTH**3
RATE = TIME**-1
CHARGE = CURRENT * TIME
ENERGY = VOLTAGE * CHARGE


@dataclass(frozen=True, slots=True)
class Unit:
    scale: Fraction  # SI value of one of this unit
    dimension: Dimension
    offset: Fraction = Fraction(0)  # only degC: SI kelvin = value * scale + offset


_PREFIXES = {
    "G": Fraction(10**9), "M": Fraction(10**6), "k": Fraction(10**3), "": Fraction(1),
    "c": Fraction(1, 100), "m": Fraction(1, 10**3), "u": Fraction(1, 10**6),
    "n": Fraction(1, 10**9), "p": Fraction(1, 10**12), "f": Fraction(1, 10**15),
}
_BASE_UNITS: dict[str, Unit] = {
    "V": Unit(Fraction(1), VOLTAGE),
    "s": Unit(Fraction(1), TIME),
    "A": Unit(Fraction(1), CURRENT),
    "S": Unit(Fraction(1), CONDUCTANCE),
    "F": Unit(Fraction(1), CAPACITANCE),
    "ohm": Unit(Fraction(1), RESISTANCE),
    "m": Unit(Fraction(1), LENGTH),
    "M": Unit(Fraction(1000), CONCENTRATION),  # molar = mol/L
    "mol": Unit(Fraction(1), AMOUNT),
    "Hz": Unit(Fraction(1), RATE),
    "C": Unit(Fraction(1), CHARGE),
    "J": Unit(Fraction(1), ENERGY),
    "L": Unit(Fraction(1, 1000), LENGTH**3),
    "g": Unit(Fraction(1, 1000), MASS),
}
_SPECIAL: dict[str, Unit] = {
    "K": Unit(Fraction(1), TEMPERATURE),
    "degC": Unit(Fraction(1), TEMPERATURE, offset=Fraction(27315, 100)),
    "1": Unit(Fraction(1), DIMENSIONLESS),
}


def _build_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for base, unit in _BASE_UNITS.items():
        for prefix, factor in _PREFIXES.items():
            table.setdefault(prefix + base, Unit(unit.scale * factor, unit.dimension))
    table.update(_SPECIAL)
    table["mm"] = Unit(Fraction(1, 1000), LENGTH)  # milli-metre, not mega-molar-ish
    return table


UNITS = _build_table()


def power_of(base: Fraction, exponent: Fraction) -> Fraction:
    """base ** exponent, exact for whole exponents (the usual case)."""
    if exponent.denominator == 1:
        return base ** int(exponent)
    return Fraction(float(base) ** float(exponent))


class UnitError(ValueError):
    """A unit text that is not understood; `offset` points into the unit text."""

    def __init__(self, message: str, offset: int, length: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.length = length


# Largest power a unit may be raised to (`cm^2`, `cm2`): far beyond any real
# unit, and small enough that exact scales stay small numbers.
MAX_UNIT_POWER = 12
MAX_UNIT_CHARS = 100

_FACTOR = re.compile(r"([*/]?)([A-Za-z_][A-Za-z_0-9]*?)([0-9]*)(?:\^(-?[0-9]+))?(?=[*/]|$)")


def parse_unit(text: str) -> Unit:
    """Parse `mS/cm2`, `ohm*cm`, `/ms/mV`, `cm^2`; raise UnitError at the bad name."""
    if len(text) > MAX_UNIT_CHARS:
        raise UnitError(f"a unit is at most {MAX_UNIT_CHARS} characters long", 0, len(text))
    scale, dim, offset = Fraction(1), DIMENSIONLESS, Fraction(0)
    position = 0
    factors = 0
    while position < len(text):
        match = _FACTOR.match(text, position)
        if match is None:
            raise UnitError(f"cannot read the unit '{text}'", position, len(text) - position)
        op, name, digits, power_text = match.groups()
        unit = _lookup(name, digits, match.start(2), len(name) + len(digits))
        power = Fraction(_small_int(power_text)) if power_text else Fraction(1)
        if digits and unit is UNITS.get(name):
            power *= _small_int(digits)  # cm2 == cm^2
        if abs(power) > MAX_UNIT_POWER:
            raise UnitError(
                f"a unit can only be raised to a power from -{MAX_UNIT_POWER} to {MAX_UNIT_POWER}",
                match.start(2), match.end() - match.start(2),
            )
        if op == "/":
            power = -power
        if unit.offset:
            if text.strip() != name:
                raise UnitError("degC cannot be combined with other units", match.start(2), len(name))
            offset = unit.offset
        scale *= power_of(unit.scale, power)
        dim = dim * unit.dimension ** power
        position = match.end()
        factors += 1
    return Unit(scale, dim, offset)


def _small_int(text: str) -> int:
    """`text` as an int, or one beyond MAX_UNIT_POWER if it has too many digits to read."""
    return int(text) if len(text.lstrip("-0")) <= 4 else MAX_UNIT_POWER + 1


def _lookup(name: str, digits: str, offset: int, length: int) -> Unit:
    if name + digits in UNITS:
        return UNITS[name + digits]
    if name in UNITS and digits:
        return UNITS[name]
    suggestion = _suggest(name + digits)
    hint = f"; did you mean '{suggestion}'?" if suggestion else ""
    raise UnitError(f"unknown unit '{name + digits}'{hint}", offset, length)


def _suggest(name: str) -> str | None:
    import difflib

    lowered = {key.lower(): key for key in UNITS}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, list(UNITS), n=1, cutoff=0.6)
    return close[0] if close else None


# ---------------------------------------------------------------- internal units

_PREFERRED: dict[Dimension, tuple[str, Fraction]] = {}


def _prefer(dimension: Dimension, name: str) -> None:
    _PREFERRED[dimension] = (name, parse_unit(name).scale if name != "1" else Fraction(1))


for _dimension, _name in (
    (DIMENSIONLESS, "1"),
    (VOLTAGE, "mV"),
    (TIME, "ms"),
    (RATE, "/ms"),
    (CONDUCTANCE / AREA, "mS/cm2"),
    (CURRENT / AREA, "uA/cm2"),
    (CAPACITANCE / AREA, "uF/cm2"),
    (LENGTH, "um"),
    (AREA, "um2"),
    (CONCENTRATION, "mM"),
    (CURRENT, "nA"),
    (CONDUCTANCE, "uS"),
    (RESISTANCE, "Mohm"),
    (RESISTANCE * LENGTH, "ohm*cm"),
    (CAPACITANCE, "nF"),
    (TEMPERATURE, "K"),
    (LENGTH / TIME, "cm/s"),
    (RATE / VOLTAGE, "/ms/mV"),
    (VOLTAGE / TIME, "mV/ms"),
    (RATE / CONCENTRATION, "/ms/mM"),
    (CONCENTRATION / TIME, "mM/ms"),  # a pool's equation
    (CHARGE / AMOUNT, "C/mol"),
    (ENERGY / AMOUNT / TEMPERATURE, "J/mol/K"),
):
    _prefer(_dimension, _name)

# Fallback basis for other dimensions: mV, ms, um, nA, K, and amount such that mM is 1.
_BASIS_SCALE = {
    "V": Fraction(1, 10**3), "s": Fraction(1, 10**3), "m": Fraction(1, 10**6),
    "A": Fraction(1, 10**9), "K": Fraction(1), "mol": Fraction(1, 10**18),
}


def internal_unit(dimension: Dimension) -> tuple[str, Fraction]:
    """ionc's internal unit for a dimension: (name, SI value of one internal unit)."""
    if dimension in _PREFERRED:
        return _PREFERRED[dimension]
    m, kg, s, a, k, mol = dimension.exponents
    # Express kg through V*A*s^3/m^2 so every dimension maps onto the basis.
    volts = kg
    amps, seconds, metres = a + kg, s + 3 * kg, m - 2 * kg
    scale = Fraction(1)
    for base, exponent in (("V", volts), ("A", amps), ("s", seconds), ("m", metres), ("K", k), ("mol", mol)):
        scale *= power_of(_BASIS_SCALE[base], exponent)
    return describe(dimension), scale


_NAMES = {dim: name for dim, (name, _) in _PREFERRED.items()}
_NAMES[DIMENSIONLESS] = "dimensionless"
_KIND = {
    VOLTAGE: "voltage", TIME: "time", RATE: "rate (1/time)", CONDUCTANCE / AREA: "conductance density",
    CURRENT / AREA: "current density", CAPACITANCE / AREA: "capacitance density", LENGTH: "length",
    AREA: "area", CONCENTRATION: "concentration", CURRENT: "current", TEMPERATURE: "temperature",
    RESISTANCE * LENGTH: "resistivity", CONDUCTANCE: "conductance",
}


def describe(dimension: Dimension) -> str:
    """Human wording, e.g. 'voltage (mV)' or 'dimensionless'."""
    if dimension.is_dimensionless:
        return "dimensionless"
    if dimension in _KIND:
        return f"{_KIND[dimension]} ({_NAMES[dimension]})"
    if dimension in _NAMES:
        return _NAMES[dimension]
    parts = []
    for name, power in zip(BASE, dimension.exponents, strict=True):
        if power:
            parts.append(name if power == 1 else f"{name}^{power}")
    return "*".join(parts)
