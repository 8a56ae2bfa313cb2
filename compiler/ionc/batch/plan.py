"""Parameter sets of a sweep: `--param NAME=LO:HI:N` axes, as a grid or as seeded random draws.

Values are kept in the unit the user wrote (the table shows them so) and turned
into the parameter's internal unit only for the simulation: internal = scale *
written + offset, exact for the units ionc defines (degC's offset included).
Every set has an index, its row in the table: the grid varies the first
--param slowest, like `ionc run --sweep`; random sets are drawn with numpy's
Generator from --seed, so the same command gives the same sets anywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ionc.diagnostics import Code, DiagnosticSink, fail
from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn

MAX_SETS = 100_000_000  # a table of this many rows is already several GB


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept parameter: its range in the written unit, and that unit's map to the internal one."""

    name: str
    unit: str  # as written ('' for a dimensionless parameter)
    low: float
    high: float
    count: int | None  # values on the grid; None for random draws
    scale: float  # internal = scale * written + offset
    offset: float

    @property
    def column(self) -> str:
        """The table's column: the name as given, then the unit (`stim.amplitude_nA`)."""
        return f"{self.name}_{self.unit}" if self.unit else self.name


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """Every parameter set, in index order: one array per axis, in the written units."""

    axes: tuple[Axis, ...]
    written: tuple[np.ndarray, ...]  # one array of all sets per axis

    @property
    def size(self) -> int:
        return int(self.written[0].size) if self.written else 0

    def internal(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The sets start..stop-1 as `simulate` takes them: internal units, one value per member."""
        return {axis.name: axis.scale * values[start:stop] + axis.offset
                for axis, values in zip(self.axes, self.written, strict=True)}


def grid_plan(axes: Sequence[Axis]) -> Plan:
    """The cartesian product, the first axis varying slowest."""
    points = [np.linspace(a.low, a.high, a.count or 1) for a in axes]
    _check_size(int(np.prod([p.size for p in points])))
    columns = np.array(list(itertools.product(*points)), dtype=float).reshape(-1, len(axes)).T
    return Plan(tuple(axes), tuple(np.ascontiguousarray(c) for c in columns))


def random_plan(axes: Sequence[Axis], count: int, seed: int) -> Plan:
    """`count` sets, each value uniform in its axis's range, drawn axis by axis from `seed`."""
    _check_size(count)
    generator = np.random.default_rng(seed)
    return Plan(tuple(axes), tuple(generator.uniform(a.low, a.high, count) for a in axes))


def _check_size(size: int) -> None:
    if not 1 <= size <= MAX_SETS:
        raise fail(Code.E500, f"the sweep has {size} parameter sets; it can have 1 to {MAX_SETS}", None)


def parse_axis(text: str, units: Mapping[str, str], counted: bool, option: str = "--param") -> Axis:
    """`NAME=LO:HI:N` (a grid axis, `counted`) or `NAME=LO:HI` (a random one), checked against
    the parameter's dimension; `units` is the compiled module's PARAMETER_UNITS; `option` names
    the command-line option in messages (`ionc run --sweep` reads the same form)."""
    source = SourceFile(option, text)
    whole = Span(source, 0, len(text))
    name, equals, spec = text.partition("=")
    fields = spec.split(":")
    form = "NAME=LO:HI:N, e.g. stim.amplitude=0:0.3nA:11" if counted else "NAME=LO:HI, e.g. stim.amplitude=0:0.3nA"
    if not equals or len(fields) != (3 if counted else 2):
        hint = "--random draws its own values: leave out N" if not counted and len(fields) == 3 else None
        raise fail(Code.E500, f"{option} expects {form}", whole, hint)
    name = name.strip()
    if name not in units:
        from ionc.sema.resolve import did_you_mean

        raise fail(Code.E200, f"{option}: no parameter '{name}'", Span(source, 0, max(len(name), 1)),
                   did_you_mean(name, units) or f"parameters: {', '.join(units)}")
    start = text.index("=") + 1
    ends = _ends(source, start, fields[0], fields[1], units[name])
    count = _count(source, len(text) - len(fields[2]), fields[2]) if counted else None
    return _axis(name, ends, count)


def _count(source: SourceFile, start: int, text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_SETS:
        raise fail(Code.E303, f"the number of values is a whole number from 1 to {MAX_SETS}",
                   Span(source, start, len(source.text)))
    return int(text)


def _ends(source: SourceFile, start: int, low_text: str, high_text: str, unit: str) -> tuple[syn.Expr, syn.Expr]:
    """Both ends parsed and checked; a unit written on one end only applies to both."""
    low = _parse_end(source, start, low_text)
    high = _parse_end(source, start + len(low_text) + 1, high_text)
    _check_dimension([end for end in (low, high) if isinstance(_literal(end), syn.Quantity)], unit)
    low, high = _share_unit(low, high), _share_unit(high, low)
    _check_dimension([low, high], unit)  # bare numbers: only a dimensionless parameter takes them
    return low, high


def _parse_end(source: SourceFile, start: int, text: str) -> syn.Expr:
    from ionc.syntax.parse import parse_expression

    expr = parse_expression(source, start, start + len(text))
    if _literal(expr) is None:
        raise fail(Code.E500, f"each end of a {source.path} range is a number, with its unit",
                   expr.span, "e.g. stim.amplitude=0:0.3nA:11")
    return expr


def _literal(expr: syn.Expr) -> syn.Number | syn.Quantity | None:
    """The number (or quantity) of `expr`, under any leading minus signs."""
    while isinstance(expr, syn.Negate):
        expr = expr.operand
    return expr if isinstance(expr, syn.Number | syn.Quantity) else None


def _share_unit(expr: syn.Expr, other: syn.Expr) -> syn.Expr:
    """`0` in `0:0.3nA` means 0 nA: the other end's unit, put on a bare number."""
    other_literal = _literal(other)
    if not isinstance(_literal(expr), syn.Number) or not isinstance(other_literal, syn.Quantity):
        return expr
    return _with_unit(expr, other_literal.unit)


def _with_unit(expr: syn.Expr, unit: str) -> syn.Expr:
    if isinstance(expr, syn.Negate):
        return syn.Negate(operand=_with_unit(expr.operand, unit), span=expr.span)
    assert isinstance(expr, syn.Number)
    return syn.Quantity(number=expr.text, unit=unit, span=expr.span, unit_span=expr.span)


def _check_dimension(ends: list[syn.Expr], unit: str) -> None:
    from ionc.sema import units as u
    from ionc.sema.dimensions import expect

    wanted = u.DIMENSIONLESS if unit in ("1", "") else u.parse_unit(unit).dimension
    sink = DiagnosticSink()
    for end in ends:
        expect(end, wanted, "a swept value", {}, sink)
    sink.check()


def _axis(name: str, ends: tuple[syn.Expr, syn.Expr], count: int | None) -> Axis:
    """The range in the unit written (the high end's, where the ends differ) and its map to internal."""
    quantities = [q for q in map(_literal, reversed(ends)) if isinstance(q, syn.Quantity)]
    unit = quantities[0].unit if quantities else ""
    scale, offset = _unit_map(unit)
    low, high = (_written(end, unit, scale, offset) for end in ends)
    return Axis(name, unit, float(low), float(high), count, float(scale), float(offset))


def _written(end: syn.Expr, unit: str, scale: sp.Expr, offset: sp.Expr) -> sp.Expr:
    """The value of a range's end in `unit` (-10 degC is -10 in degC, whatever the offset)."""
    literal = _literal(end)
    assert literal is not None
    sign = (-1) ** _negations(end)
    if isinstance(literal, syn.Number):
        return sign * sp.Rational(literal.text)
    value = sign * sp.Rational(literal.number)
    if literal.unit == unit:
        return value
    own_scale, own_offset = _unit_map(literal.unit)
    return (own_scale * value + own_offset - offset) / scale


def _negations(expr: syn.Expr) -> int:
    count = 0
    while isinstance(expr, syn.Negate):
        expr, count = expr.operand, count + 1
    return count


def _unit_map(unit: str) -> tuple[sp.Expr, sp.Expr]:
    """(scale, offset), exact: a value x in `unit` is scale * x + offset in the internal unit."""
    from ionc.lower import base_lowerer

    lowerer = base_lowerer()
    span = Span(SourceFile("--param", unit), 0, len(unit))  # never shown: the unit was checked already
    zero, one = (lowerer.to_internal(syn.Quantity(number=n, unit=unit, span=span, unit_span=span) if unit
                                     else syn.Number(text=n, span=span)) for n in ("0", "1"))
    return one - zero, zero
