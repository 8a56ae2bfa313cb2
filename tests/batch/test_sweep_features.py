"""Each row of `ionc sweep` equals a single `ionc run` of its parameter set.

The reference is `run_simulation` (the JSON output contract of `ionc run`) of one
set at a time: its spikes, its trace and its velocity report give the features
as documented in ionc.batch.features. Rows agree to rounding (relative 1e-12;
measured: exactly, since a batch member's arithmetic does not depend on its
batch-mates).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ionc.api import run_simulation
from ionc.batch.table import read_table
from ionc.cli import main

ROOT = Path(__file__).resolve().parents[2]
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
SQUID_AXON = ROOT / "models" / "cells" / "squid_axon.ionc"
RTOL = 1e-12


def sweep(tmp_path: Path, model: Path, *options: str, name: str = "rows.parquet") -> dict[str, list[Any]]:
    out = tmp_path / name
    assert main(["sweep", str(model), "--out", str(out), "--quiet", *options]) == 0
    return read_table(out).to_pydict()


def expected_features(spikes: list[float], trace: list[float]) -> dict[str, float]:
    """The documented definitions, from one run's JSON output."""
    rate = 1000.0 * (len(spikes) - 1) / (spikes[-1] - spikes[0]) if len(spikes) > 1 else 0.0
    return {"spike_count": len(spikes), "rate_hz": rate, "first_spike_ms": spikes[0] if spikes else math.nan,
            "peak_v_mv": max(trace)}


def assert_close(found: float, wanted: float) -> None:
    assert (math.isnan(found) and math.isnan(wanted)) or found == pytest.approx(wanted, rel=RTOL, abs=0.0)


def test_rows_equal_single_runs_of_their_sets(tmp_path: Path) -> None:
    table = sweep(tmp_path, HH_POINT, "--param", "stim.amplitude=0:300pA:5", "--param", "hh_na.gbar=100:140mS/cm2:1",
                  "--features", "spike_count,rate,first_spike,peak_v", "--batch-size", "2", "--workers", "0")
    assert table["stim.amplitude_pA"] == [0.0, 75.0, 150.0, 225.0, 300.0]
    for row, picoamps in enumerate(table["stim.amplitude_pA"]):
        output, _ = run_simulation(HH_POINT, parameters={"stim.amplitude": picoamps * 1e-3, "hh_na.gbar": 100.0})
        wanted = expected_features(output["spikes"]["v@soma"], output["traces"]["v@soma"])
        for column, value in wanted.items():
            assert_close(table[column][row], value)
        assert table["error"][row] == ""
    assert table["spike_count"][0] == 0 and table["spike_count"][-1] >= 3  # silent at 0, a train at 0.3 nA


def test_velocity_and_several_sites_name_their_columns(tmp_path: Path) -> None:
    table = sweep(tmp_path, SQUID_AXON, "--param", "stim.amplitude=0:20000nA:3", "--set", "duration=4ms",
                  "--features", "spike_count,velocity")
    assert set(table) == {"index", "stim.amplitude_nA", "spike_count@axon(0.2)", "spike_count@axon(0.8)",
                          "velocity_m_s", "error"}
    for row, amplitude in enumerate(table["stim.amplitude_nA"]):
        output, _ = run_simulation(SQUID_AXON, overrides=["duration=4ms"], parameters={"stim.amplitude": amplitude})
        speed = output.get("velocity", {}).get("axon(0.2)->axon(0.8)")
        assert_close(table["velocity_m_s"][row], math.nan if speed is None else speed)
        assert table["spike_count@axon(0.8)"][row] == len(output["spikes"]["v@axon(0.8)"])
    assert math.isnan(table["velocity_m_s"][0]) and table["velocity_m_s"][1] == pytest.approx(18.59, abs=0.01)


def test_sets_whose_run_stops_get_its_error_and_the_others_their_features(tmp_path: Path) -> None:
    # A strongly negative potassium conductance makes the gates too fast for dt: SimulationError.
    table = sweep(tmp_path, HH_POINT, "--param", "hh_k.gbar=-3000:36mS/cm2:4", "--batch-size", "4")
    outcomes = []
    for row, gbar in enumerate(table["hh_k.gbar_mS/cm2"]):
        try:
            output, _ = run_simulation(HH_POINT, parameters={"hh_k.gbar": np.array([gbar])})
        except RuntimeError as error:
            assert type(error).__name__ == "SimulationError"
            assert table["error"][row] == str(error)
            assert table["spike_count"][row] is None and table["first_spike_ms"][row] is None
            outcomes.append("stopped")
            continue
        assert table["error"][row] == ""
        assert table["spike_count"][row] == len(output["spikes"]["v@soma"])
        outcomes.append("ran")
    assert "stopped" in outcomes and outcomes[-1] == "ran"


@pytest.mark.parametrize(("options", "message"), [
    (["--features", "velocity"], "--features velocity: the simulation reports no velocity"),
    (["--features", "spikes"], "--features: unknown feature 'spikes'"),
    (["--random", "0"], "--random must be at least 1"),
    (["--scheduler", "nonsense://host:1"], "--scheduler nonsense://host:1: cannot reach the Dask scheduler"),
    (["--param", "stim.amplitude=0:0.1nA:2"], "--param stim.amplitude is given twice"),
])
def test_option_mistakes_are_one_clear_message_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    out = tmp_path / "never.parquet"
    status = main(["sweep", str(HH_POINT), "--param", "stim.amplitude=0:0.3nA:3", "--out", str(out), *options])
    error = capsys.readouterr().err
    assert status == 2 and message in error and "Traceback" not in error
    assert not out.exists()
