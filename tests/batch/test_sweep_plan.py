"""Parameter sets of `ionc sweep`: grid order, seeded random draws, values in the written unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.batch.plan import grid_plan, parse_axis, random_plan
from ionc.diagnostics import IoncError

UNITS = {"stim.amplitude": "nA", "hh_na.gbar": "mS/cm2", "cell.temperature": "K", "ratio": "1"}


def test_grid_varies_the_first_param_slowest_like_run_sweep() -> None:
    plan = grid_plan([parse_axis("hh_na.gbar=80:160mS/cm2:3", UNITS, True),
                      parse_axis("stim.amplitude=0:0.2nA:2", UNITS, True)])
    gbar, amplitude = plan.written
    assert gbar.tolist() == [80.0, 80.0, 120.0, 120.0, 160.0, 160.0]
    assert amplitude.tolist() == [0.0, 0.2, 0.0, 0.2, 0.0, 0.2]
    assert plan.internal(2, 5)["hh_na.gbar"].tolist() == [120.0, 120.0, 160.0]


def test_values_stay_in_the_written_unit_and_convert_exactly_for_the_run() -> None:
    picoamps = parse_axis("stim.amplitude=0:300pA:4", UNITS, True)
    assert (picoamps.column, picoamps.low, picoamps.high) == ("stim.amplitude_pA", 0.0, 300.0)
    assert np.allclose(grid_plan([picoamps]).internal(0, 4)["stim.amplitude"], [0.0, 0.1, 0.2, 0.3], rtol=1e-15)
    # An offset unit: -10 degC is -10 in the table and 263.15 K for the simulation.
    celsius = parse_axis("cell.temperature=6.3:-10degC:2", UNITS, True)
    assert grid_plan([celsius]).written[0].tolist() == [6.3, -10.0]
    assert np.allclose(grid_plan([celsius]).internal(0, 2)["cell.temperature"], [279.45, 263.15], rtol=1e-15)
    # Ends in different units: the high end's unit, the low end converted.
    mixed = parse_axis("stim.amplitude=0.1nA:300pA:2", UNITS, True)
    assert (mixed.unit, mixed.low, mixed.high) == ("pA", pytest.approx(100.0, rel=1e-15), 300.0)
    assert parse_axis("ratio=0:2:3", UNITS, True).column == "ratio"


def test_random_sets_are_uniform_draws_reproducible_from_the_seed() -> None:
    axes = [parse_axis("stim.amplitude=0:0.3nA", UNITS, False), parse_axis("hh_na.gbar=60:200mS/cm2", UNITS, False)]
    first, again, other = random_plan(axes, 500, 7), random_plan(axes, 500, 7), random_plan(axes, 500, 8)
    generator = np.random.default_rng(7)  # the documented draw: axis by axis, uniform in the range
    expected = [generator.uniform(0.0, 0.3, 500), generator.uniform(60.0, 200.0, 500)]
    for drawn, repeated, wanted in zip(first.written, again.written, expected, strict=True):
        assert np.array_equal(drawn, repeated) and np.array_equal(drawn, wanted)
    assert not np.array_equal(first.written[0], other.written[0])
    assert 0.0 <= first.written[0].min() and first.written[0].max() < 0.3


@pytest.mark.parametrize(("text", "counted", "message", "caret"), [
    ("stim.amplitude=0:300mV:4", True, "must be current (nA), but this is voltage", "^^^^^"),
    ("hh_na.gbar=0:3:3", True, "must be conductance density", "^"),
    ("stim.ampl=0:1nA:3", True, "no parameter 'stim.ampl'", "^^^^^^^^^"),
    ("stim.amplitude=0:1nA:3", False, "--param expects NAME=LO:HI", "^" * 22),
    ("stim.amplitude=0:1nA+2nA:3", True, "a number, with its unit", "^^^^^^^"),
    ("stim.amplitude=0:1nA:0", True, "whole number from 1", "^"),
])
def test_bad_ranges_are_diagnostics_with_a_caret(text: str, counted: bool, message: str, caret: str) -> None:
    with pytest.raises(IoncError) as error:
        parse_axis(text, UNITS, counted)
    rendered = str(error.value)
    assert message in rendered and "--param:1:" in rendered
    assert rendered.splitlines()[4].split("| ")[1].strip() == caret


def test_a_damaged_module_in_the_sweep_cache_is_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker finds its shipped module's file truncated (a crash mid-write by an older ionc, a full
    disk): it writes the file again instead of importing the damage."""
    from ionc.batch import execute

    monkeypatch.setenv("IONC_CACHE_DIR", str(tmp_path))
    source = "ANSWER = 42\n"
    digest = execute.source_digest(source)
    damaged = tmp_path / "sweep" / f"ionc_sweep_{digest}.py"
    damaged.parent.mkdir(parents=True)
    damaged.write_text("ANSWER = (", encoding="utf-8")
    monkeypatch.setattr(execute, "_MODULES", {})
    assert execute.module_of(source).ANSWER == 42
