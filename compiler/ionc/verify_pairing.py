"""Which channels and parameters of an ionc file a user's .mod file stands for (`ionc verify --against FILE.mod`).

Channels. The mechanism's SUFFIX names the channel it is compared with. A
.mod file may hold what ionc splits into several channels (NEURON's hh.mod:
sodium, potassium and a leak under one SUFFIX; `ionc import` makes hh_na, hh_k,
hh_leak of it): then every channel named SUFFIX_<anything> is compared, and
what is compared is the sum of their currents against the mechanism's total
current (each ion current it writes plus its NONSPECIFIC_CURRENTs). `--channel`
names the channels explicitly.

Parameters, each ionc parameter paired with at most one of the .mod file's
PARAMETERs, in this order:

1. `--map IONC=MOD` (IONC is `name` or `channel.name`), as the user says;
2. by name: the name ionc's NMODL export gives the parameter (the ionc name
   unless NMODL reserves it) is a PARAMETER of the file;
3. by value: one PARAMETER, and only one, has the same dimension and the same
   value (1e-9 relative) once converted to its declared unit (gbar = 120
   mS/cm2 pairs with gnabar = .12 (S/cm2)).

A paired PARAMETER is set, in NEURON, to the ionc value in its own unit (RANGE
ones on the segment, GLOBAL ones as name_SUFFIX): both sides then run the same
numbers even where a default differs. Unpaired ones on either side keep their
own defaults, and the report lists them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ionc.ir import lowered as low
from ionc.mod_interface import ModInterface, ModParameter
from ionc.sema import units as u

SAME_VALUE = 1e-9  # relative: parameters 'equal by value'
NUMBER = u.Unit(Fraction(1), u.DIMENSIONLESS)
# NMODL's unit names that ionc spells otherwise
NMODL_UNIT_NAMES = {"mho": "S", "umho": "uS", "mmho": "mS", "micron": "um", "microns": "um", "coul": "C",
                    "coulomb": "C", "liter": "L", "molar": "M", "sec": "s", "volt": "V", "amp": "A",
                    "millivolt": "mV", "milliamp": "mA", "siemens": "S", "joule": "J"}


class PairingError(ValueError):
    """A --map that names what does not exist, or pairs different dimensions."""


@dataclass(frozen=True)
class ChannelParameter:
    channel: str
    parameter: low.Parameter
    export_name: str  # the RANGE name ionc's NMODL export gives it

    @property
    def label(self) -> str:
        return f"{self.channel}.{self.parameter.name}"


@dataclass(frozen=True)
class ParameterPair:
    ionc: str  # channel.name
    mod: ModParameter
    value: float  # the ionc value in the mod parameter's unit
    how: str  # '--map', 'name' or 'value'


@dataclass(frozen=True)
class Pairing:
    suffix: str
    channels: tuple[str, ...]
    currents: tuple[str, ...]  # what the mechanism's total current is read from: 'ina', 'hhc.il'
    pairs: tuple[ParameterPair, ...]
    unpaired_ionc: tuple[str, ...]
    unpaired_mod: tuple[str, ...]

    def range_values(self) -> dict[str, float]:
        return {p.mod.name: p.value for p in self.pairs if p.mod.is_range}

    def global_values(self) -> dict[str, float]:
        """GLOBAL parameters by their hoc names (name_SUFFIX)."""
        return {f"{p.mod.name}_{self.suffix}": p.value for p in self.pairs if not p.mod.is_range}

    def lines(self) -> list[str]:
        """What is compared with what, for the report."""
        what = (f"the sum of {', '.join(self.channels)}" if len(self.channels) > 1 else self.channels[0])
        lines = [f"{self.suffix}: compared with {what}; its current: {' + '.join(self.currents)}"]
        for p in self.pairs:
            unit = f" ({p.mod.unit})" if p.mod.unit else ""
            changed = "" if _same(p.value, p.mod.value) else f", the file's default {p.mod.value:g}"
            lines.append(f"  {p.mod.name} = {p.value:.10g}{unit} <- {p.ionc} (by {p.how}{changed})")
        if self.unpaired_ionc:
            lines.append(f"  not in the .mod file (ionc's defaults): {', '.join(self.unpaired_ionc)}")
        if self.unpaired_mod:
            lines.append(f"  not in the ionc file (the .mod's defaults): {', '.join(self.unpaired_mod)}")
        return lines


# ---------------------------------------------------------------- channels


def pair_channels(suffix: str, channels: Sequence[str], named: Sequence[str] = ()) -> tuple[str, ...]:
    """The ionc channels a mechanism of SUFFIX stands for: those named, the channel SUFFIX, or SUFFIX_*."""
    if named:
        return tuple(named)
    if suffix in channels:
        return (suffix,)
    parts = tuple(c for c in channels if c.startswith(f"{suffix}_"))
    if parts:
        return parts
    raise PairingError(f"SUFFIX {suffix}, which is no channel of the ionc file, nor the prefix of any "
                       f"({', '.join(channels) or 'none'}): name the channels with --channel")


def total_current(mechanism: ModInterface) -> tuple[str, ...]:
    """What NEURON sums into the mechanism's current: its ion currents (the segment's, only it writes
    them) and its nonspecific currents (its own RANGE variables)."""
    currents = mechanism.ion_currents + tuple(f"{mechanism.suffix}.{n}" for n in mechanism.nonspecific)
    if not currents:
        raise PairingError(f"{mechanism.suffix} writes no current (no WRITE i<ion>, no NONSPECIFIC_CURRENT)")
    return currents


# ---------------------------------------------------------------- parameters


def pair_parameters(mechanism: ModInterface, channels: Sequence[str], parameters: Sequence[ChannelParameter],
                    explicit: Mapping[str, str] | None = None, currents: tuple[str, ...] | None = None) -> Pairing:
    """Pair the channels' parameters with the mechanism's PARAMETERs (see the module's docstring).
    `currents`: what its current is read from, when not what it writes (a pool's driver's)."""
    pairs = _explicit_pairs(mechanism, parameters, explicit or {})
    pairs += _pairs_by(_free(parameters, pairs), _free_mod(mechanism, pairs), "name", _by_name)
    pairs += _pairs_by(_free(parameters, pairs), _free_mod(mechanism, pairs), "value", _by_value)
    return Pairing(
        suffix=mechanism.suffix, channels=tuple(channels), currents=currents or total_current(mechanism),
        pairs=tuple(pairs),
        unpaired_ionc=tuple(p.label for p in _free(parameters, pairs)),
        unpaired_mod=tuple(p.name for p in _free_mod(mechanism, pairs)),
    )


def _free(parameters: Sequence[ChannelParameter], pairs: Sequence[ParameterPair]) -> list[ChannelParameter]:
    taken = {p.ionc for p in pairs}
    return [p for p in parameters if p.label not in taken]


def _free_mod(mechanism: ModInterface, pairs: Sequence[ParameterPair]) -> list[ModParameter]:
    taken = {p.mod.name for p in pairs}
    return [p for p in mechanism.parameters if p.name not in taken]


def _explicit_pairs(mechanism: ModInterface, parameters: Sequence[ChannelParameter],
                    explicit: Mapping[str, str]) -> list[ParameterPair]:
    pairs = []
    for ionc_name, mod_name in explicit.items():
        found = [p for p in parameters if ionc_name in (p.label, p.parameter.name)]
        if len(found) != 1:
            known = ", ".join(p.label for p in parameters) or "none"
            why = "names several parameters; write channel.name" if found else "is no parameter of the channels"
            raise PairingError(f"--map {ionc_name}={mod_name}: '{ionc_name}' {why} ({known})")
        target = mechanism.parameter(mod_name)
        if target is None:
            known = ", ".join(p.name for p in mechanism.parameters) or "none"
            raise PairingError(f"--map {ionc_name}={mod_name}: the .mod file has no PARAMETER '{mod_name}' with a "
                               f"value ({known})")
        value = in_mod_unit(found[0].parameter, target)
        if value is None:
            raise PairingError(f"--map {ionc_name}={mod_name}: {found[0].parameter.unit or 'a number'} and "
                               f"({target.unit or '1'}) are not the same kind of quantity")
        pairs.append(ParameterPair(ionc=found[0].label, mod=target, value=value, how="--map"))
    return pairs


def _by_name(parameter: ChannelParameter, candidate: ModParameter) -> bool:
    return candidate.name == parameter.export_name


def _by_value(parameter: ChannelParameter, candidate: ModParameter) -> bool:
    value = in_mod_unit(parameter.parameter, candidate)
    return value is not None and _same(value, candidate.value)


def _pairs_by(parameters: list[ChannelParameter], candidates: list[ModParameter],
              how: str, matches: Callable[[ChannelParameter, ModParameter], bool]) -> list[ParameterPair]:
    """Pairs where each parameter has one candidate, and each candidate one value: the channels split from
    one mechanism may each carry a copy of one of its parameters (hh2's vtraub in hh2_na and hh2_k)."""
    found = {p.label: [c for c in candidates if matches(p, c)] for p in parameters}
    pairs = [ParameterPair(ionc=p.label, mod=found[p.label][0], value=value, how=how) for p in parameters
             if len(found[p.label]) == 1 and (value := in_mod_unit(p.parameter, found[p.label][0])) is not None]
    claimed: dict[str, list[ParameterPair]] = {}
    for pair in pairs:
        claimed.setdefault(pair.mod.name, []).append(pair)
    return [pair for pair in pairs if all(_same(other.value, pair.value) for other in claimed[pair.mod.name])]


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SAME_VALUE, abs_tol=0.0)


# ---------------------------------------------------------------- units


def nmodl_unit(text: str) -> u.Unit | None:
    """An NMODL unit ('S/cm2', 'mho/cm2', '/ms-mM', 'pS/um2', '1', '') as ionc's Unit; None if unknown."""
    text = text.strip()
    if text in ("", "1"):
        return NUMBER
    if text == "degC":
        return u.parse_unit("degC")
    numerator, *denominators = text.split("/")
    factors = [[NMODL_UNIT_NAMES.get(f, f) for f in part.replace("-", " ").split() if f != "1"] for part in
               (numerator, *denominators)]  # '1/ms' is '/ms'
    spelled = "*".join(factors[0]) + "".join("/" + "/".join(part) for part in factors[1:])
    try:
        return u.parse_unit(spelled)
    except u.UnitError:
        return None


def in_mod_unit(parameter: low.Parameter, target: ModParameter) -> float | None:
    """The ionc parameter's value (internal units) in the mod parameter's unit; None if the kinds differ."""
    unit = nmodl_unit(target.unit)
    ionc_unit = NUMBER if parameter.unit in ("", "1") else u.parse_unit(parameter.unit)
    if unit is None or unit.dimension != ionc_unit.dimension:
        return None
    _, scale = u.internal_unit(ionc_unit.dimension)
    si = Fraction(repr(parameter.value)) * scale
    return float((si - unit.offset) / unit.scale)
