"""Features of each batch member, measured from a vectorized run's recordings.

Spikes are found with the generated module's own `spike_times` (upward
crossings of 0 mV, interpolated linearly), the detection behind `ionc run`'s
JSON `spikes`, so a row of the table agrees with a single run of its set.

    spike_count   spikes over the whole run
    rate_hz       1000 / (mean interval between spikes), over the whole run; 0 with fewer than two
    first_spike_ms  the first spike's time; NaN without one
    peak_v_mv     the highest v recorded
    velocity_m_s  the simulation's `report velocity` (NaN where either end does not fire)

A simulation recording v at one place gets these names as they are; with
several places each is suffixed by its site (`spike_count@axon(0.2)`), and
with several velocity reports each by its report (`velocity_m_s@a->b`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ionc.diagnostics import Code, fail

# feature -> (column stem, Arrow type of its values)
FEATURES: dict[str, tuple[str, str]] = {
    "spike_count": ("spike_count", "int64"),
    "rate": ("rate_hz", "float64"),
    "first_spike": ("first_spike_ms", "float64"),
    "peak_v": ("peak_v_mv", "float64"),
    "velocity": ("velocity_m_s", "float64"),
}
DEFAULT_FEATURES = ("spike_count", "rate", "first_spike", "peak_v")
UNITS = {"spike_count": "1", "rate": "Hz", "first_spike": "ms", "peak_v": "mV", "velocity": "m/s"}


@dataclass(frozen=True, slots=True)
class Column:
    """One feature column: what it measures and where (a trace key, or a velocity report)."""

    name: str
    feature: str
    source: str  # "v@soma" for the spike features and peak_v; the report's key for velocity

    @property
    def integer(self) -> bool:
        return FEATURES[self.feature][1] == "int64"


def parse_features(text: str) -> tuple[str, ...]:
    """`spike_count,rate,...` -> the feature names, checked, in the order given."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise fail(Code.E500, f"--features: unknown feature '{unknown[0]}'" if unknown else "--features: none given",
                   None, f"features: {', '.join(FEATURES)}")
    return tuple(dict.fromkeys(names))


def plan_columns(features: Sequence[str], traces: Sequence[str], velocities: Sequence[str]) -> tuple[Column, ...]:
    """The columns of `features` for a simulation with these trace keys and velocity reports."""
    sites = [key for key in traces if key.startswith("v@")]
    columns: list[Column] = []
    for feature in features:
        sources = velocities if feature == "velocity" else sites
        if not sources:
            what = "reports no velocity" if feature == "velocity" else "records no v"
            hint = "add 'report velocity from LOCATION to LOCATION' to the simulation" if feature == "velocity" else None
            raise fail(Code.E500, f"--features {feature}: the simulation {what}", None, hint)
        stem = FEATURES[feature][0]
        for source in sources:
            suffix = "" if len(sources) == 1 else "@" + source.removeprefix("v@")
            columns.append(Column(stem + suffix, feature, source))
    return tuple(columns)


def measure(module: ModuleType, result: Mapping[str, Any], columns: Sequence[Column]) -> dict[str, np.ndarray]:
    """Each column's values for every member of a batch's `simulate` result."""
    t = result["t"]
    spikes = {source: [module.spike_times(t, row) for row in result["traces"][source]]
              for source in {c.source for c in columns if c.feature != "velocity"}}
    return {c.name: _values(c, result, spikes) for c in columns}


def _values(column: Column, result: Mapping[str, Any], spikes: Mapping[str, list[list[float]]]) -> np.ndarray:
    if column.feature == "peak_v":
        return np.max(result["traces"][column.source], axis=1)
    if column.feature == "velocity":
        speeds = result["velocity"][column.source]  # a number for a batch of one, else a list
        speeds = speeds if isinstance(speeds, list) else [speeds]
        return np.array([np.nan if s is None else s for s in speeds], dtype=float)
    trains = spikes[column.source]
    if column.feature == "spike_count":
        return np.array([len(train) for train in trains], dtype=np.int64)
    if column.feature == "first_spike":
        return np.array([train[0] if train else np.nan for train in trains], dtype=float)
    return np.array([_rate(train) for train in trains], dtype=float)


def _rate(train: list[float]) -> float:
    """Hz from the mean interval (ms); 0 for a cell that does not fire repetitively."""
    if len(train) < 2:
        return 0.0
    return 1000.0 * (len(train) - 1) / (train[-1] - train[0])
