"""`--sweep NAME=LO:HI:N`: parameter grids run as one vectorized batch.

Values carry units (`stim.amplitude=0:0.3nA:1024`; a unit written on either
end applies to both) and are checked against the parameter's dimension like
any value in a model file. Several sweeps form a grid, the first varying
slowest; the batch runs in that order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from ionc.diagnostics import Code, DiagnosticSink, fail
from ionc.source import SourceFile, Span

MAX_BATCH = 1_000_000


def parse_sweeps(texts: Sequence[str], units: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Sweep options -> one array per parameter, over the whole grid, internal units."""
    axes = [_axis(text, units) for text in texts]
    size = int(np.prod([len(values) for _, values in axes])) if axes else 0
    if size > MAX_BATCH:
        raise fail(Code.E500, f"the sweep has {size} parameter sets; at most {MAX_BATCH} run as one batch", None)
    grid = list(itertools.product(*(values for _, values in axes)))
    return {name: np.array([point[k] for point in grid]) for k, (name, _) in enumerate(axes)}


def _axis(text: str, units: Mapping[str, str]) -> tuple[str, list[float]]:
    source = SourceFile("--sweep", text)
    name, equals, spec = text.partition("=")
    name = name.strip()
    if not equals or spec.count(":") != 2:
        raise fail(Code.E500, "--sweep expects NAME=LO:HI:N, e.g. stim.amplitude=0:0.3nA:11",
                   Span(source, 0, len(text)))
    if name not in units:
        from ionc.sema.resolve import did_you_mean

        raise fail(Code.E200, f"--sweep: no parameter '{name}'", Span(source, 0, max(len(name), 1)),
                   did_you_mean(name, units) or f"parameters: {', '.join(units)}")
    low_text, high_text, count_text = spec.split(":")
    count_start = len(text) - len(count_text)
    if not count_text.strip().isdigit() or not 1 <= int(count_text) <= MAX_BATCH:
        raise fail(Code.E303, f"the number of values is a whole number from 1 to {MAX_BATCH}",
                   Span(source, count_start, len(text)))
    unit = units[name]
    start = len(name) + 1 + (len(text.partition("=")[0]) - len(name))
    low = _value(source, start, low_text, high_text, unit)
    high = _value(source, start + len(low_text) + 1, high_text, low_text, unit)
    return name, [float(x) for x in np.linspace(low, high, int(count_text))]


def _value(source: SourceFile, start: int, text: str, other: str, unit: str) -> float:
    """One end of a sweep, in the parameter's internal unit."""
    from ionc.lower import base_lowerer
    from ionc.sema import units as u
    from ionc.sema.dimensions import expect
    from ionc.syntax import nodes as syn
    from ionc.syntax.parse import parse_expression

    expr = parse_expression(source, start, start + len(text))
    if isinstance(expr, syn.Number):  # `0:0.3nA`: the other end's unit applies
        other_expr = parse_expression(SourceFile("--sweep", other))
        if isinstance(other_expr, syn.Quantity):
            expr = syn.Quantity(number=expr.text, unit=other_expr.unit, span=expr.span, unit_span=expr.span)
    wanted = u.DIMENSIONLESS if unit in ("1", "") else u.parse_unit(unit).dimension
    sink = DiagnosticSink()
    expect(expr, wanted, "a swept value", {}, sink)
    sink.check()
    return float(base_lowerer().to_internal(expr))
