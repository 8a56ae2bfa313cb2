"""The sweep's table: one row per parameter set, in index order, as Parquet or CSV.

Columns: `index`; each parameter in the unit written on the command line
(`stim.amplitude_nA`); each feature (`first_spike_ms`, ...); `error`, empty
unless that set's simulation stopped, whose features are then null (NaN in
pandas) while NaN itself means "not measured" (no spike, no velocity).
Parquet keeps each column's unit in its field metadata and the sweep's
description under the schema's `ionc` key. Nothing in the table depends on
where or in which order batches ran, so two runs of a sweep write equal files.
Files are written to a temporary name and renamed, and an existing file is
replaced only when asked.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ionc.batch.features import UNITS, Column
from ionc.batch.plan import Plan
from ionc.diagnostics import Code, fail

FORMATS = (".parquet", ".csv")


def check_output(path: Path, force: bool) -> None:
    """Refuse an output we cannot write, before any work is done."""
    if path.suffix.lower() not in FORMATS:
        raise fail(Code.E500, f"--out {path}: write a .parquet or a .csv file", None)
    if path.is_dir():
        raise fail(Code.E500, f"--out {path} is a directory; name the file to write", None)
    if path.exists() and not force:
        raise fail(Code.E500, f"--out {path} exists; use --force to replace it", None)
    if not path.parent.is_dir():
        raise fail(Code.E500, f"--out {path}: no directory {path.parent}", None)


def build_table(plan: Plan, columns: Sequence[Column], values: Mapping[str, np.ndarray],
                errors: Sequence[str], description: Mapping[str, Any]) -> pa.Table:
    """The table from the plan's sets and every set's features and error, in index order."""
    failed = np.array([bool(e) for e in errors], dtype=bool)
    fields = [pa.field("index", pa.int64())]
    arrays: list[pa.Array] = [pa.array(np.arange(plan.size, dtype=np.int64))]
    for axis, written in zip(plan.axes, plan.written, strict=True):
        fields.append(pa.field(axis.column, pa.float64(), metadata={"unit": axis.unit or "1", "parameter": axis.name}))
        arrays.append(pa.array(written))
    for column in columns:
        fields.append(pa.field(column.name, pa.int64() if column.integer else pa.float64(),
                               metadata={"unit": UNITS[column.feature], "feature": column.feature}))
        arrays.append(pa.array(values[column.name], mask=failed))
    fields.append(pa.field("error", pa.string()))
    arrays.append(pa.array(list(errors), type=pa.string()))
    schema = pa.schema(fields, metadata={"ionc": json.dumps(description, sort_keys=True)})
    return pa.Table.from_arrays(arrays, schema=schema)


def write_table(table: pa.Table, path: Path) -> None:
    """Parquet or CSV by the suffix, through a temporary file renamed into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        _write(table, Path(temporary), path.suffix.lower())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write(table: pa.Table, path: Path, suffix: str) -> None:
    if suffix == ".csv":
        import pyarrow.csv as csv

        csv.write_csv(table, path)  # floats as the shortest text that reads back to the same double
        return
    import pyarrow.parquet as parquet

    parquet.write_table(table, path)


def read_table(path: Path) -> pa.Table:
    """A table `ionc sweep` wrote (CSV loses the units and metadata; the values are the same)."""
    if path.suffix.lower() == ".csv":
        import pyarrow.csv as csv

        # Only an empty field is missing: "nan" is a float, and `error` is text, empty or not.
        options = csv.ConvertOptions(null_values=[""], strings_can_be_null=False,
                                     column_types={"error": pa.string()})
        return csv.read_csv(path, convert_options=options)
    import pyarrow.parquet as parquet

    return parquet.read_table(path)
