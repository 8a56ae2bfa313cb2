"""The canonical cases of ../shared/BENCHMARKS.md, as data both simulators read.

Every case is defined once here: the ionc model file and the compile-time
`--set` overrides, the batched parameters handed to the module's
`simulate()`, and the numbers NEURON needs to build the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Spike times as ../shared/BENCHMARKS.md defines them, the rule the generated modules carry.
from ionc.runtime.standalone import spike_times

ROOT = Path(__file__).resolve().parent.parent
CELLS = ROOT / "models" / "cells"

# Case A geometry: a cylinder with L = diam and an area of 1000 um2.
POINT_DIAMETER_UM = 17.841242
D_CELLS = 1024
D_MAX_AMPLITUDE_NA = 0.3

# How close the two answers must be.
SPIKE_TOL_MS = 0.01  # case A, same scheme, NEURON rate tables off
VELOCITY_RTOL = 0.01  # cases B and C
COUNT_RTOL = 0.01  # case D


@dataclass(frozen=True)
class Case:
    key: str  # A, B, C100, C1000, C10000, D
    title: str
    kind: str  # "spikes" (A), "velocity" (B, C), "count" (D)
    model: Path
    overrides: tuple[str, ...]  # compile-time --set options for ionc
    compartments: int  # per cell
    cells: int  # independent cells (the batch)
    dt_ms: float
    tstop_ms: float
    celsius: float
    # NEURON geometry and stimulus (the ionc model file says the same)
    neuron: dict[str, Any] = field(default_factory=dict)
    # batched parameters for the ionc module's simulate()
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return int(round(self.tstop_ms / self.dt_ms))

    @property
    def compartment_steps(self) -> int:
        return self.compartments * self.cells * self.steps


def _case_c(n: int) -> Case:
    return Case(
        key=f"C{n}", title=f"C axon-scaling N = {n}", kind="velocity",
        model=CELLS / "axon_scaling.ionc", overrides=(f"axon.compartments={n}",),
        compartments=n, cells=1, dt_ms=0.025, tstop_ms=20.0, celsius=6.3,
        neuron=dict(length_um=10.0 * n, diam_um=1.0, ra=100.0, nseg=n,
                    stim_x=0.0, delay=1.0, dur=0.5, amp=0.3,
                    site_um=(200.0, 800.0)),
    )


CASES: dict[str, Case] = {
    "A": Case(
        key="A", title="A hh-point", kind="spikes",
        model=CELLS / "hh_point.ionc", overrides=("method=backward_euler",),
        compartments=1, cells=1, dt_ms=0.025, tstop_ms=50.0, celsius=6.3,
        neuron=dict(length_um=POINT_DIAMETER_UM, diam_um=POINT_DIAMETER_UM, ra=35.4, nseg=1,
                    stim_x=0.5, delay=5.0, dur=40.0, amp=0.1),
    ),
    "B": Case(
        key="B", title="B squid-axon (1000 comp.)", kind="velocity",
        model=CELLS / "squid_axon.ionc", overrides=(),
        compartments=1000, cells=1, dt_ms=0.01, tstop_ms=10.0, celsius=18.5,
        neuron=dict(length_um=50_000.0, diam_um=476.0, ra=35.4, nseg=1000,
                    stim_x=0.0005, delay=0.5, dur=0.2, amp=10775.0,
                    site_um=(10_000.0, 40_000.0)),
    ),
    "C100": _case_c(100),
    "C1000": _case_c(1000),
    "C10000": _case_c(10000),
    "D": Case(
        key="D", title=f"D hh-batch ({D_CELLS} cells)", kind="count",
        model=CELLS / "hh_point.ionc",
        overrides=("method=backward_euler", "duration=100ms", "stim.duration=95ms"),
        compartments=1, cells=D_CELLS, dt_ms=0.025, tstop_ms=100.0, celsius=6.3,
        neuron=dict(length_um=POINT_DIAMETER_UM, diam_um=POINT_DIAMETER_UM, ra=35.4, nseg=1,
                    stim_x=0.5, delay=5.0, dur=95.0),
        parameters={"stim.amplitude": D_MAX_AMPLITUDE_NA * np.arange(D_CELLS) / (D_CELLS - 1)},
    ),
}

ORDER = tuple(CASES)


def neuron_segment(x: float, nseg: int) -> int:
    """The segment NEURON's `sec(x)` names (0-based): int(x * nseg), the last one for x = 1.

    The peers record at the centre of this segment, so that every simulator
    watches the same compartment even where x falls on a boundary between two.
    """
    return min(int(x * nseg), nseg - 1)


def velocity_m_per_s(t: np.ndarray, v_near: np.ndarray, v_far: np.ndarray, distance_um: float) -> float:
    """Distance over the difference of the first spike times at two sites (um/ms = mm/s)."""
    near, far = spike_times(t, v_near), spike_times(t, v_far)
    if not near or not far or far[0] == near[0]:
        return float("nan")
    return distance_um * 1e-3 / (far[0] - near[0])
