"""From SWC points to sections: the section split and the soma policy.

Sections. The SWC tree is cut into unbranched sections: a section starts at
every child of the root, of a branch point (a point with two or more
children) and of a point of another SWC type; it runs along single
children of its own type and ends at a tip, a branch point or a type
change. Its region is its SWC type (1 soma, 2 axon, 3 dend, 4 apic, other
types ``swc<n>``), its name ``<region>[k]``, k counting sections of that
region in depth-first order (children by increasing id).

Each section's 3-D points are its SWC points (diameter = 2 * radius),
preceded by a copy of the point it hangs from (its "anchor": the root, a
branch point or the last point before a type change), so that the cable
is geometrically continuous and a section's length is the sum of its
parent-to-child distances. The anchor copy keeps the anchor's diameter
when anchor and section have the same type, and takes the section's own
first diameter otherwise (so a thin dendrite leaving a fat soma is not
drawn as a cone). A section connects to the x = 1 end of the section that
ends at its anchor.

Soma policy. Both cases below are plain sections with 3-D points, so the
NEURON side of the tests builds them with the same pt3dadd calls:

1. One soma point (a sphere of radius r at c): the soma is the section
   ``soma[0]`` with two 3-D points c -/+ (r, 0, 0) of diameter 2r, a
   cylinder of length = diameter = 2r whose side area equals the sphere's
   (NEURON's own one-point-soma convention). Every section hanging from
   the soma point starts at its own first point (nothing inside the sphere
   is added; a one-point neurite gets the soma centre, with its own
   diameter, as the first 3-D point) and connects to soma[0](0.5).
2. Several soma points: no special case. They are cut into sections like
   every other point (a chain of soma points is one cylinder stack; soma
   points that branch, as a cell-body fibre does, give several soma
   sections), so the electrical structure of the reconstruction is kept.
   The root point is the anchor of all its children: the section of the
   child with the smallest id becomes the root section, and the other
   children's sections connect to its x = 0 end, where the root point is.

``Morphology.index("soma")`` falls back to ``soma[0]``, so ``soma(0.5)``
works for every SWC cell.
"""

from pathlib import Path

from .swc import SwcPoint, read_swc, region_name
from .tree import Morphology, Point3D, Section

_ROOT = -1  # marker: the section hangs from the root point of a multi-point soma


def load_swc(path: str | Path) -> Morphology:
    """Read, validate and section an SWC file."""
    return swc_morphology(read_swc(path), str(path))


def swc_morphology(points: tuple[SwcPoint, ...], source: str = "") -> Morphology:
    """Sections of validated SWC points (see the module docstring)."""
    by_id = {p.id: p for p in points}
    children: dict[int, list[int]] = {p.id: [] for p in points}
    for p in sorted(points, key=lambda q: q.id):
        if p.parent != -1:
            children[p.parent].append(p.id)
    root = next(p for p in points if p.parent == -1)
    single_soma = sum(p.type == 1 for p in points) == 1
    builder = _SectionBuilder(by_id, children, root, single_soma)
    return Morphology(builder.build(), source)


class _SectionBuilder:
    """Depth-first walk that emits sections parents first."""

    def __init__(
        self,
        by_id: dict[int, SwcPoint],
        children: dict[int, list[int]],
        root: SwcPoint,
        single_soma: bool,
    ) -> None:
        self.by_id, self.children, self.root = by_id, children, root
        self.single_soma = single_soma
        self.sections: list[Section] = []
        self.counts: dict[str, int] = {}

    def build(self) -> tuple[Section, ...]:
        if self.single_soma:
            self._emit_soma_sphere()
            stack = [(c, 0, 0.5) for c in reversed(self.children[self.root.id])]
        else:
            stack = [(c, _ROOT, 0.0) for c in reversed(self.children[self.root.id])]
        while stack:
            start, parent_index, parent_x = stack.pop()
            index, last = self._emit_chain(start, parent_index, parent_x)
            stack.extend((c, index, 1.0) for c in reversed(self.children[last]))
        return tuple(self.sections)

    def _name(self, region: str) -> str:
        k = self.counts.get(region, 0)
        self.counts[region] = k + 1
        return f"{region}[{k}]"

    def _emit_soma_sphere(self) -> None:
        r = self.root
        points = ((r.x - r.radius, r.y, r.z, 2 * r.radius), (r.x + r.radius, r.y, r.z, 2 * r.radius))
        self.sections.append(Section(self._name("soma"), region="soma", points=points, swc_type=1))

    def _chain(self, start: int) -> list[SwcPoint]:
        """The points of a section: single children of the same type."""
        chain = [self.by_id[start]]
        while len(kids := self.children[chain[-1].id]) == 1:
            nxt = self.by_id[kids[0]]
            if nxt.type != chain[-1].type:
                break
            chain.append(nxt)
        return chain

    def _emit_chain(self, start: int, parent_index: int, parent_x: float) -> tuple[int, int]:
        chain = self._chain(start)
        first = chain[0]
        anchor = self.by_id[first.parent]
        points: list[Point3D] = [(p.x, p.y, p.z, 2 * p.radius) for p in chain]
        from_sphere = self.single_soma and anchor.id == self.root.id
        if not from_sphere or len(chain) == 1:
            diam = 2 * anchor.radius if anchor.type == first.type and not from_sphere else points[0][3]
            points.insert(0, (anchor.x, anchor.y, anchor.z, diam))
        parent_name: str | None
        if parent_index == _ROOT:
            is_root_section = not self.sections
            parent_name = None if is_root_section else self.sections[0].name
            parent_x = 1.0 if is_root_section else 0.0
        else:
            parent_name = self.sections[parent_index].name
        region = region_name(first.type)
        section = Section(
            self._name(region),
            parent=parent_name,
            parent_x=parent_x,
            region=region,
            points=tuple(points),
            swc_type=first.type,
        )
        self.sections.append(section)
        return len(self.sections) - 1, chain[-1].id
