"""`--sweep`: a grid of parameter values runs as one vectorized batch (case D's form)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation
from ionc.diagnostics import IoncError

ROOT = Path(__file__).resolve().parent.parent
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
CASE_D = ["duration=100ms", "stim.duration=95ms", "method=backward_euler"]
CELLS = 128


def _neuron_spike_counts(amplitudes: np.ndarray) -> list[int]:
    """Case D in NEURON: one section and IClamp per cell, v recorded, crossings counted."""
    from neuron import h
    from neuron_reference import spike_times

    h.load_file("stdrun.hoc")
    sections, clamps, traces = [], [], []
    for k, amplitude in enumerate(amplitudes):
        section = h.Section(name=f"sweep_{k}")
        section.L = section.diam = 17.841242
        section.insert("hh")
        clamp = h.IClamp(section(0.5))
        clamp.delay, clamp.dur, clamp.amp = 5, 95, float(amplitude)
        sections.append(section)
        clamps.append(clamp)
        traces.append(h.Vector().record(section(0.5)._ref_v))
    t = h.Vector().record(h._ref_t)
    saved = (h.usetable_hh, h.celsius, h.dt, h.secondorder)
    try:
        h.usetable_hh, h.celsius, h.dt, h.secondorder = 0, 6.3, 0.025, 0
        h.finitialize(-65)
        h.continuerun(100)
        return [len(spike_times(np.array(t), np.array(v))) for v in traces]
    finally:
        h.usetable_hh, h.celsius, h.dt, h.secondorder = saved
        for section in sections:
            h.delete_section(sec=section)


@pytest.mark.neuron
def test_amplitude_sweep_matches_neuron_cell_by_cell() -> None:
    pytest.importorskip("neuron")
    output, _ = run_simulation(HH_POINT, overrides=CASE_D, sweeps=[f"stim.amplitude=0:0.3nA:{CELLS}"])
    amplitudes = np.array(output["meta"]["sweep"]["stim.amplitude"])
    assert np.allclose(amplitudes, 0.3 * np.arange(CELLS) / (CELLS - 1))
    ours = [len(s) for s in output["spikes"]["v@soma"]]
    assert ours == _neuron_spike_counts(amplitudes)
    assert sum(ours) > 0


def test_two_sweeps_form_a_grid_first_slowest() -> None:
    output, raw = run_simulation(HH_POINT, sweeps=["hh_na.gbar=80:160mS/cm2:3", "stim.amplitude=0:0.2nA:2"])
    sweep = output["meta"]["sweep"]
    assert sweep["hh_na.gbar"] == [80.0, 80.0, 120.0, 120.0, 160.0, 160.0]
    assert sweep["stim.amplitude"] == [0.0, 0.2, 0.0, 0.2, 0.0, 0.2]
    assert raw["traces"]["v@soma"].shape[0] == 6
    assert output["spikes"]["v@soma"][0] == []  # no current, no spike


def test_sweep_with_wrong_dimensions_is_a_diagnostic() -> None:
    with pytest.raises(IoncError) as error:
        run_simulation(HH_POINT, sweeps=["hh_na.gbar=80:160mV:9"])
    assert "conductance density" in str(error.value)


def test_sweep_on_the_command_line_exits_2_on_an_unknown_parameter(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ionc", "run", str(HH_POINT), "--sweep", "hh_na.gbra=80:160mS/cm2:3"],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "compiler"), "IONC_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "hh_na.gbar" in result.stderr and "Traceback" not in result.stderr
