"""Type I and type II excitability (issue 5's acceptance), measured with `ionc run` sweeps.

Two single compartments (1000 um2) under a 1950 ms current step (from t = 50 ms to
the end of the run, dt = 0.025 ms, backward Euler), each swept over the step's
amplitude as one vectorized batch: first coarsely (0 to 0.2 nA, 21 values), then
finely (21 values) between the last amplitude without sustained firing and the
first with it. The firing rate of a member is 1000 / (mean inter-spike interval)
over the spikes after a 500 ms transient (t > 550 ms), counted only where the
firing lasts to the end of the step; otherwise it is 0.

* models/cells/connor_stevens_cell.ionc (Connor-Stevens, Dayan & Abbott's values,
  18 degC): the coarse sweep brackets the rheobase between 0.08 and 0.09 nA (18.5 Hz
  at 0.09 nA), the fine one puts it at 0.0815 nA (8.15 uA/cm2; 0.081 nA is silent),
  where the cell fires at 2.0 Hz (3.5 Hz at 0.082 nA, 9.7 Hz at 0.085 nA, 131 Hz at
  0.2 nA): the f-I curve starts from 0, type I.
* models/cells/hh_type2_cell.ionc (Hodgkin-Huxley, 6.3 degC): the coarse sweep
  brackets the rheobase between 0.06 and 0.07 nA (58 Hz at 0.07 nA), the fine one
  puts it at 0.0625 nA (6.25 uA/cm2; 0.062 nA is silent after its onset spikes),
  where the rate jumps from 0 to 51.1 Hz (55 Hz at 0.065 nA, 86 Hz at 0.2 nA): type
  II. Just below it, the cell may fire a transient train (about 20 spikes at
  0.0624 nA) that stops before the end of the step, and is counted as 0.

Measured with the numpy backend; the four batches take about 12 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation

ROOT = Path(__file__).resolve().parent.parent
CONNOR_STEVENS = ROOT / "models" / "cells" / "connor_stevens_cell.ionc"
HH = ROOT / "models" / "cells" / "hh_type2_cell.ionc"

STEP_ON_MS = 50.0  # the models' stimulus: delay 50 ms, on to the end of the run
STEP_OFF_MS = 2000.0
TRANSIENT_MS = 500.0
COARSE = 21
FINE = 21


@dataclass(frozen=True)
class FICurve:
    amplitudes: np.ndarray  # nA
    rates: np.ndarray  # Hz, 0 where the cell does not fire to the end of the step


def steady_rate(spikes: list[float]) -> float:
    """The firing rate (Hz) after the transient, 0 unless the firing is sustained: at least
    three spikes after it (two intervals) and the last one within two mean intervals of the
    step's end."""
    late = np.asarray(spikes, dtype=float)
    late = late[late > STEP_ON_MS + TRANSIENT_MS]
    if late.size < 3:
        return 0.0
    interval = float(np.mean(np.diff(late)))
    if STEP_OFF_MS - late[-1] > 2.0 * interval:
        return 0.0
    return 1000.0 / interval


def f_i_curve(model: Path, low: float, high: float, count: int) -> FICurve:
    """One batch: `--sweep stim.amplitude=LOW:HIGHnA:COUNT`."""
    output, _ = run_simulation(model, sweeps=[f"stim.amplitude={low!r}:{high!r}nA:{count}"])
    amplitudes = np.array(output["meta"]["sweep"]["stim.amplitude"])
    rates = np.array([steady_rate(spikes) for spikes in output["spikes"]["v@soma"]])
    assert amplitudes.size == rates.size == count
    return FICurve(amplitudes, rates)


def rheobase(model: Path) -> tuple[FICurve, FICurve, int]:
    """The coarse and the fine f-I curves, and the index in the fine one of the rheobase:
    the smallest amplitude with sustained firing."""
    coarse = f_i_curve(model, 0.0, 0.2, COARSE)
    firing = np.nonzero(coarse.rates > 0)[0]
    assert firing.size and firing[0] > 0, f"{model.name}: no bracket of the rheobase in {coarse}"
    assert np.all(coarse.rates[firing[0]:] > 0), f"{model.name}: firing stops at a larger current"
    low, high = coarse.amplitudes[firing[0] - 1], coarse.amplitudes[firing[0]]
    fine = f_i_curve(model, float(low), float(high), FINE)
    assert fine.rates[0] == 0.0 and fine.rates[-1] > 0.0
    first = int(np.nonzero(fine.rates > 0)[0][0])
    assert np.all(fine.rates[first:] > 0), f"{model.name}: sustained firing is not monotone in {fine}"
    return coarse, fine, first


@pytest.mark.slow
def test_connor_stevens_is_type_one() -> None:
    coarse, fine, first = rheobase(CONNOR_STEVENS)
    assert 0.07 < fine.amplitudes[first] < 0.09  # nA: 0.0815 measured
    # just above the rheobase the rate is low: the f-I curve starts near 0
    assert 0.0 < fine.rates[first] < 10.0, f"rate at rheobase {fine.rates[first]:.2f} Hz"
    # and rises continuously from there, over a wide range
    assert np.all(np.diff(fine.rates[first:]) >= 0.0)
    assert np.all(np.diff(coarse.rates[coarse.rates > 0]) > 0.0)
    assert coarse.rates[-1] > 100.0


@pytest.mark.slow
def test_hh_is_type_two() -> None:
    coarse, fine, first = rheobase(HH)
    assert 0.055 < fine.amplitudes[first] < 0.07  # nA: 0.0625 measured
    # the rate jumps from 0 to about 50 Hz: no low rates exist
    rates = np.concatenate([coarse.rates, fine.rates])
    lowest = float(np.min(rates[rates > 0]))
    assert 40.0 < lowest < 60.0, f"lowest sustained rate {lowest:.2f} Hz"
    assert fine.rates[first] == pytest.approx(lowest)
    assert np.all(fine.rates[:first] == 0.0)


@pytest.mark.slow
def test_the_command_line_sweep_gives_the_same_rates(tmp_path: Path) -> None:
    """The batches above go through run_simulation, which `ionc run --sweep` calls: the same
    spikes from the command line, for three amplitudes around HH's rheobase."""
    sweep = "stim.amplitude=0.06:0.065nA:3"
    out = tmp_path / "sweep.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "compiler")}
    done = subprocess.run([sys.executable, "-m", "ionc", "run", str(HH), "--sweep", sweep, "--json", str(out)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    cli = json.loads(out.read_text())["spikes"]["v@soma"]
    api = run_simulation(HH, sweeps=[sweep])[0]["spikes"]["v@soma"]
    assert [steady_rate(s) for s in cli] == [steady_rate(s) for s in api]
    assert [len(s) for s in cli] == [len(s) for s in api] and sum(len(s) for s in cli) > 0
