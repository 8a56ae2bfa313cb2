"""Sections and the tree they form: the common form of every morphology.

A cell is a tree of unbranched sections, as in NEURON. Hand-written cells
(the model language declares sections directly) and SWC reconstructions
(``from_swc``) both end up as a ``Morphology``: a tuple of ``Section``s,
parents before children. A section's geometry is either

- a cylinder: ``length_um`` and ``diam_um`` (NEURON's ``L`` and ``diam``,
  no 3-D points), or a linear taper ``diam_um=(d0, d1)``, which is turned
  into two 3-D points, as a NEURON user would write it with ``pt3dadd``;
- 3-D points ``(x, y, z, diameter)`` in um, as NEURON's ``pt3dadd`` gets
  them; the geometry between points is piecewise linear in diameter.

The section's x = 0 end connects to ``parent`` at ``parent_x`` (0 to 1),
NEURON's ``child.connect(parent(parent_x), 0)``.
"""

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

Point3D = tuple[float, float, float, float]
"""A 3-D point: x, y, z and diameter, all in um."""


class MorphologyError(ValueError):
    """A morphology that cannot be simulated (bad tree or bad geometry)."""


@dataclass(frozen=True, slots=True)
class Section:
    """One unbranched section; see the module docstring for its geometry."""

    name: str
    length_um: float | None = None
    diam_um: float | tuple[float, float] | None = None
    parent: str | None = None
    parent_x: float = 1.0
    region: str = "dend"
    nseg: int | None = None
    points: tuple[Point3D, ...] = ()
    swc_type: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in " ()"):
            raise MorphologyError(f"bad section name {self.name!r}")
        if not isinstance(self.region, str) or not self.region:
            raise MorphologyError(f"section {self.name}: bad region {self.region!r}")
        if not 0.0 <= self.parent_x <= 1.0:
            raise MorphologyError(f"section {self.name}: parent_x must be in [0, 1]")
        if self.nseg is not None and not (isinstance(self.nseg, int) and 1 <= self.nseg <= 32767):
            raise MorphologyError(f"section {self.name}: nseg must be an integer in 1..32767")
        if self.points:
            self._check_points()
        else:
            self._check_cylinder()

    def _check_points(self) -> None:
        if self.length_um is not None or self.diam_um is not None:
            raise MorphologyError(f"section {self.name}: give 3-D points or length/diam, not both")
        if len(self.points) < 2:
            raise MorphologyError(f"section {self.name}: needs at least two 3-D points")
        for p in self.points:
            if len(p) != 4 or not all(math.isfinite(v) for v in p) or p[3] <= 0.0:
                raise MorphologyError(f"section {self.name}: bad 3-D point {p!r}")
        if all(tuple(p[:3]) == tuple(self.points[0][:3]) for p in self.points):
            raise MorphologyError(f"section {self.name}: all 3-D points coincide (zero length)")

    def _check_cylinder(self) -> None:
        length, diam = self.length_um, self.diam_um
        if length is None or diam is None:
            raise MorphologyError(f"section {self.name}: needs length and diameter, or 3-D points")
        diams = diam if isinstance(diam, tuple) else (diam,)
        if not (math.isfinite(length) and length > 0.0):
            raise MorphologyError(f"section {self.name}: length must be positive")
        if len(diams) not in (1, 2) or not all(math.isfinite(d) and d > 0.0 for d in diams):
            raise MorphologyError(f"section {self.name}: diameter must be positive")

    @property
    def is_cylinder(self) -> bool:
        """True when NEURON would see plain L and diam (no 3-D points)."""
        return not self.points and not isinstance(self.diam_um, tuple)

    def points3d(self) -> tuple[Point3D, ...]:
        """The 3-D points NEURON gets with pt3dadd; () for a plain cylinder."""
        if self.points or self.is_cylinder:
            return self.points
        assert self.length_um is not None and isinstance(self.diam_um, tuple)
        d0, d1 = self.diam_um
        return ((0.0, 0.0, 0.0, d0), (self.length_um, 0.0, 0.0, d1))


@dataclass(frozen=True, slots=True)
class Morphology:
    """A tree of sections, parents listed before their children."""

    sections: tuple[Section, ...]
    source: str = ""
    _positions: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.sections:
            raise MorphologyError(f"{self.source or 'morphology'}: no sections")
        seen: dict[str, int] = {}
        for k, sec in enumerate(self.sections):
            if sec.name in seen:
                raise MorphologyError(f"duplicate section name {sec.name!r}")
            if sec.parent is not None and sec.parent not in seen:
                raise MorphologyError(f"section {sec.name}: parent {sec.parent!r} is not listed before it")
            seen[sec.name] = k
        object.__setattr__(self, "_positions", seen)

    @classmethod
    def from_sections(cls, sections: Iterable[Section], source: str = "") -> "Morphology":
        """Order sections parents-first (stable); reject unknown parents and cycles."""
        given = list(sections)
        position = {s.name: k for k, s in enumerate(given)}
        children: dict[str, list[int]] = {}
        ready: list[int] = []
        for k, sec in enumerate(given):
            if sec.parent is None:
                ready.append(k)
            elif sec.parent not in position:
                raise MorphologyError(f"section {sec.name}: parent {sec.parent!r} does not exist")
            else:
                children.setdefault(sec.parent, []).append(k)
        heapq.heapify(ready)  # Kahn's algorithm, smallest given position first
        ordered: list[Section] = []
        while ready:
            sec = given[heapq.heappop(ready)]
            ordered.append(sec)
            for k in children.get(sec.name, ()):
                heapq.heappush(ready, k)
        if len(ordered) < len(given):
            placed = {s.name for s in ordered}
            stuck = ", ".join(s.name for s in given if s.name not in placed)
            raise MorphologyError(f"sections form a cycle: {stuck}")
        return cls(tuple(ordered), source)

    def index(self, name: str) -> int:
        """Position of a section by name (``name`` may omit a trailing [0])."""
        k = self._positions.get(name, self._positions.get(f"{name}[0]"))
        if k is None:
            raise KeyError(f"no section named {name!r}")
        return k

    def section(self, name: str) -> Section:
        """A section by name (see ``index``)."""
        return self.sections[self.index(name)]

    @property
    def regions(self) -> tuple[str, ...]:
        """Region names in order of first appearance."""
        return tuple(dict.fromkeys(s.region for s in self.sections))
