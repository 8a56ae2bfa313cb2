"""Read and validate SWC files (the reconstruction format of NeuroMorpho.Org).

An SWC data line holds seven whitespace-separated fields:
``id type x y z radius parent`` (um; parent -1 for the root). Lines that
are empty or start with ``#`` are skipped, and text after a ``#`` is a
comment. Ids need not be contiguous or sorted, and a parent may appear
after its child; what is checked is what the rest of ionc relies on:

- every data line has seven fields, integer ids/types/parents and finite
  numbers elsewhere;
- ids are positive and unique; the radius is positive;
- every parent id exists, parents form no cycle, and there is exactly one
  root, which is a soma point (type 1).

Every problem is an ``SwcError`` naming the file and line, never a raw
traceback; errors about the whole file point at the root's line (or line 1).
"""

import math
from dataclasses import dataclass
from pathlib import Path

from .tree import MorphologyError

SWC_TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


class SwcError(MorphologyError):
    """A malformed SWC file; str() reads "path:line: message"."""

    def __init__(self, message: str, path: str, line: int) -> None:
        super().__init__(message, path, line)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class SwcPoint:
    """One SWC sample: position and radius in um, and its source line."""

    id: int
    type: int
    x: float
    y: float
    z: float
    radius: float
    parent: int
    line: int


def region_name(swc_type: int) -> str:
    """Region of an SWC type: soma, axon, dend, apic, or ``swc<type>``."""
    return SWC_TYPE_NAMES.get(swc_type, f"swc{swc_type}")


def read_swc(path: str | Path) -> tuple[SwcPoint, ...]:
    """Read and validate an SWC file; return its points in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SwcError(f"cannot read file: {exc.strerror or exc}", str(path), 1) from exc
    return parse_swc(text, str(path))


def parse_swc(text: str, path: str = "<swc>") -> tuple[SwcPoint, ...]:
    """Parse and validate SWC text; ``path`` names the source in errors."""
    points = tuple(
        _parse_line(body, path, number)
        for number, body in enumerate(text.splitlines(), start=1)
        if body.split("#", 1)[0].strip()
    )
    _validate(points, path)
    return points


def _parse_line(line: str, path: str, number: int) -> SwcPoint:
    fields = line.split("#", 1)[0].split()
    if len(fields) != 7:
        raise SwcError(f"expected 7 fields (id type x y z radius parent), found {len(fields)}", path, number)
    names = ("id", "type", "x", "y", "z", "radius", "parent")
    ident, kind, parent = (_integer(fields[k], names[k], path, number) for k in (0, 1, 6))
    x, y, z, radius = (_real(fields[k], names[k], path, number) for k in (2, 3, 4, 5))
    if ident < 1:
        raise SwcError(f"id must be a positive integer, found {ident}", path, number)
    if radius <= 0.0:
        raise SwcError(f"radius must be positive, found {fields[5]}", path, number)
    if parent < -1 or parent == 0:
        raise SwcError(f"parent must be -1 or a point id, found {parent}", path, number)
    return SwcPoint(ident, kind, x, y, z, radius, parent, number)


def _integer(field: str, name: str, path: str, number: int) -> int:
    try:
        return int(field)
    except ValueError:
        raise SwcError(f"{name} must be an integer, found {field!r}", path, number) from None


def _real(field: str, name: str, path: str, number: int) -> float:
    try:
        value = float(field)
    except ValueError:
        raise SwcError(f"{name} must be a number, found {field!r}", path, number) from None
    if not math.isfinite(value):
        raise SwcError(f"{name} must be finite, found {field!r}", path, number)
    return value


def _validate(points: tuple[SwcPoint, ...], path: str) -> None:
    """Check ids, parents, the single root, acyclicity and the soma."""
    if not points:
        raise SwcError("no data lines", path, 1)
    by_id: dict[int, SwcPoint] = {}
    for p in points:
        if p.id in by_id:
            raise SwcError(f"duplicate id {p.id} (first on line {by_id[p.id].line})", path, p.line)
        by_id[p.id] = p
    roots = [p for p in points if p.parent == -1]
    for p in points:
        if p.parent != -1 and p.parent not in by_id:
            raise SwcError(f"parent {p.parent} of point {p.id} does not exist", path, p.line)
    _check_cycles(points, by_id, path)
    if len(roots) > 1:
        raise SwcError(
            f"more than one root (parent -1): points {roots[0].id} and {roots[1].id}",
            path,
            roots[1].line,
        )
    root = roots[0]  # a non-empty acyclic parent graph has a root
    if not any(p.type == 1 for p in points):
        raise SwcError("no soma: no point has type 1", path, root.line)
    if root.type != 1:
        raise SwcError(f"the root point {root.id} must be a soma point (type 1)", path, root.line)


def _check_cycles(points: tuple[SwcPoint, ...], by_id: dict[int, SwcPoint], path: str) -> None:
    """Follow parents from every point; a revisit within one walk is a cycle."""
    state: dict[int, int] = {}  # 1: on the current walk, 2: known to reach a root
    for start in points:
        walk: list[int] = []
        p: SwcPoint | None = start
        while p is not None and state.get(p.id) != 2:
            if state.get(p.id) == 1:
                cycle = walk[walk.index(p.id) :]
                line = min(by_id[i].line for i in cycle)
                ids = " -> ".join(str(i) for i in [*cycle, p.id])
                raise SwcError(f"parent cycle: {ids}", path, line)
            state[p.id] = 1
            walk.append(p.id)
            p = by_id.get(p.parent)
        for i in walk:
            state[i] = 2
