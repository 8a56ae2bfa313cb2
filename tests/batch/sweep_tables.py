"""Comparing sweep tables value for value (a helper of the tests in this folder)."""

from __future__ import annotations

import math

import pyarrow as pa


def same_values(first: pa.Table, second: pa.Table) -> bool:
    """Equal column by column, float for float (NaN equal to NaN, null to null)."""
    def key(value: object) -> object:
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    left, right = first.to_pydict(), second.to_pydict()
    return list(left) == list(right) and all([key(v) for v in left[c]] == [key(v) for v in right[c]] for c in left)
