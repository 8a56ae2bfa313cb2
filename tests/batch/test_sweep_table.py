"""The sweep's table: Parquet and CSV hold the same values, in index order; nothing is overwritten unasked."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from ionc.batch.table import read_table
from ionc.cli import main
from sweep_tables import same_values

ROOT = Path(__file__).resolve().parents[2]
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
# 24 sets, silent and firing, two of them stopped by a blow-up (a negative K conductance)
SWEEP = ["--param", "hh_k.gbar=-2000:36mS/cm2:6", "--param", "stim.amplitude=0:0.3nA:4", "--set", "duration=20ms",
         "--quiet"]


def run(out: Path, *options: str) -> int:
    return main(["sweep", str(HH_POINT), *SWEEP, "--out", str(out), *options])


def test_parquet_and_csv_hold_the_same_table(tmp_path: Path) -> None:
    assert run(tmp_path / "rows.parquet", "--workers", "0") == 0
    assert run(tmp_path / "rows.csv", "--workers", "0") == 0
    parquet, csv = read_table(tmp_path / "rows.parquet"), read_table(tmp_path / "rows.csv")
    rows = parquet.to_pydict()
    assert same_values(parquet, csv)
    assert rows["index"] == list(range(24))
    assert sum(1 for e in rows["error"] if e) >= 1 and any(c is None for c in rows["spike_count"])
    assert any(isinstance(t, float) and math.isnan(t) for t in rows["first_spike_ms"])  # silent sets: NaN
    assert parquet.schema.field("hh_k.gbar_mS/cm2").metadata == {b"unit": b"mS/cm2", b"parameter": b"hh_k.gbar"}
    assert parquet.schema.field("first_spike_ms").metadata[b"unit"] == b"ms"
    description = json.loads(parquet.schema.metadata[b"ionc"])
    assert description["plan"] == {"kind": "grid"} and description["overrides"] == ["duration=20ms"]


def test_batch_size_does_not_change_a_byte_of_the_parquet_file(tmp_path: Path) -> None:
    assert run(tmp_path / "one.parquet", "--workers", "0", "--batch-size", "24") == 0
    assert run(tmp_path / "many.parquet", "--workers", "0", "--batch-size", "5") == 0
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "many.parquet").read_bytes()


def test_an_existing_output_is_kept_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.csv"
    out.write_text("precious\n")
    assert run(out, "--workers", "0") == 2
    assert "exists; use --force" in capsys.readouterr().err and out.read_text() == "precious\n"
    assert run(out, "--workers", "0", "--force") == 0
    assert read_table(out).num_rows == 24
    assert [p.name for p in tmp_path.iterdir()] == ["mine.csv"]  # no temporary file left behind


def test_only_parquet_and_csv_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path / "rows.xlsx") == 2
    assert "write a .parquet or a .csv file" in capsys.readouterr().err


def test_random_sweeps_write_the_same_table_again_from_their_seed(tmp_path: Path) -> None:
    def random_sweep(name: str, seed: str) -> Path:
        out = tmp_path / name
        options = ["--param", "stim.amplitude=0:0.3nA", "--random", "12", "--seed", seed, "--set", "duration=20ms"]
        assert main(["sweep", str(HH_POINT), *options, "--out", str(out), "--quiet", "--workers", "0"]) == 0
        return out

    first, again, other = random_sweep("a.parquet", "5"), random_sweep("b.parquet", "5"), random_sweep("c.parquet", "6")
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    table = read_table(first)
    assert json.loads(table.schema.metadata[b"ionc"])["plan"] == {"kind": "random", "count": 12, "seed": 5}
    assert table.column("stim.amplitude_nA").to_pylist() == list(np.random.default_rng(5).uniform(0.0, 0.3, 12))
