"""Sections to compartments (nodes), exactly as NEURON lays them out.

A section with nseg segments has nseg nodes at the segment centres
x = (k + 1/2)/nseg, plus NEURON's two zero-area nodes at its ends: the x = 0
node is the node it connects to on its parent (or a root node), the x = 1
node is its own. Segment k couples to its neighbours through the right
half of one segment plus the left half of the next (``geometry``), and the
first segment couples to the x = 0 node through its left half only.

Zero-area nodes of degree 1 carry no current (a dangling x = 1 end, or a
root node with a single section) and their voltage equals their
neighbour's exactly, so they are dropped; those that join sections are
kept. ``locate`` then maps x = 0 or 1 to the neighbour of a dropped end.
(A current injected at a dropped x = 1 end goes to the last segment centre:
all voltages but the end's own are the same as NEURON's.)

nseg is the section's own, or NEURON's d_lambda rule (d_lambda = 0.1 of
the length constant at 100 Hz by default). Ra (ohm cm) and cm (uF/cm2) are
given per region. The caller builds the cable system in absolute units:
C_i = 1e-5 cm area_i (nF), membrane conductance 1e-5 g area_i (uS, g in
mS/cm2), axial conductances ``g_axial_uS`` (uS, to the parent node).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .geometry import d_lambda_nseg, lambda_f, section_length, segment_geometry
from .tree import Morphology, MorphologyError, Section

PerRegion = float | Mapping[str, float]


@dataclass(frozen=True, eq=False)
class Discretization:
    """Compartments of a morphology; per-node arrays are read-only, parents first."""

    morphology: Morphology
    nseg: tuple[int, ...]
    ra_ohm_cm: tuple[float, ...]
    length_um: tuple[float, ...]
    lambda_um: tuple[float, ...]
    freq_hz: float
    regions: tuple[str, ...]
    parent: np.ndarray
    area_um2: np.ndarray
    g_axial_uS: np.ndarray
    cm_uF_cm2: np.ndarray
    section_index: np.ndarray
    x: np.ndarray
    region_index: np.ndarray
    distance_um: np.ndarray
    first_segment: tuple[int, ...]
    end_node: tuple[int, ...]

    @property
    def n(self) -> int:
        """Number of nodes (compartments, zero-area junctions included)."""
        return int(self.parent.size)

    @property
    def total_area_um2(self) -> float:
        return float(self.area_um2.sum())

    def region_mask(self, region: str) -> np.ndarray:
        """Boolean mask of the nodes in a region."""
        if region not in self.regions:
            raise KeyError(f"no region named {region!r}; regions: {', '.join(self.regions)}")
        return self.region_index == self.regions.index(region)

    def locate(self, section_name: str, x: float) -> int:
        """Node of section(x), with NEURON's rules (see the module docstring)."""
        k = self.morphology.index(section_name)
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"{section_name}({x}): x must be in [0, 1]")
        first, nseg = self.first_segment[k], self.nseg[k]
        if x == 0.0:
            at_zero = int(self.parent[first])
            return at_zero if at_zero >= 0 else first
        if x == 1.0:
            end = self.end_node[k]
            return end if end >= 0 else first + nseg - 1
        i = int(nseg * x)
        return first + (nseg - 1 if i == nseg else i)

    def report(self) -> str:
        """Sections, compartments, areas and electrotonic lengths, as text."""
        from .report import render_report

        return render_report(self)


def discretize(
    morphology: Morphology,
    *,
    ra: PerRegion = 35.4,
    cm: PerRegion = 1.0,
    d_lambda: float = 0.1,
    freq_hz: float = 100.0,
) -> Discretization:
    """Compartments of a morphology; ra (ohm cm) and cm (uF/cm2) per region."""
    sections = morphology.sections
    ra_s = _per_section(ra, sections, "ra", positive=True)
    cm_s = _per_section(cm, sections, "cm", positive=False)
    nseg = tuple(
        s.nseg if s.nseg is not None else d_lambda_nseg(s, d_lambda, freq_hz, r, c)
        for s, r, c in zip(sections, ra_s, cm_s, strict=True)
    )
    nodes = _NodeBuilder(morphology, nseg, ra_s).build()
    regions = morphology.regions
    drop = _droppable(nodes["parent"], nodes["zero_area"])
    arrays = _compact(nodes, ~drop)
    sec = arrays["section"]
    length = tuple(section_length(s) for s in sections)
    region_of = np.array([regions.index(s.region) for s in sections], dtype=np.intp)
    return Discretization(
        morphology=morphology,
        nseg=nseg,
        ra_ohm_cm=ra_s,
        length_um=length,
        lambda_um=tuple(lambda_f(s, freq_hz, r, c) for s, r, c in zip(sections, ra_s, cm_s, strict=True)),
        freq_hz=freq_hz,
        regions=regions,
        parent=arrays["parent"],
        area_um2=arrays["area"],
        g_axial_uS=arrays["g"],
        cm_uF_cm2=_frozen(np.asarray(cm_s)[sec]),
        section_index=sec,
        x=arrays["x"],
        region_index=_frozen(region_of[sec]),
        distance_um=_frozen(_distances(morphology, length)[sec] + arrays["x"] * np.asarray(length)[sec]),
        first_segment=tuple(int(v) for v in arrays["first_segment"]),
        end_node=tuple(int(v) for v in arrays["end_node"]),
    )


def _per_section(
    value: PerRegion, sections: tuple[Section, ...], what: str, *, positive: bool
) -> tuple[float, ...]:
    if isinstance(value, Mapping):
        missing = sorted({s.region for s in sections} - set(value))
        if missing:
            raise MorphologyError(f"no {what} given for region(s) {', '.join(missing)}")
        values = tuple(float(value[s.region]) for s in sections)
    else:
        values = (float(value),) * len(sections)
    if any(not np.isfinite(v) or v < 0 or (positive and v == 0) for v in values):
        raise MorphologyError(f"{what} must be {'positive' if positive else 'non-negative'}")
    return values


def _distances(morphology: Morphology, length: tuple[float, ...]) -> np.ndarray:
    """Path distance (um) of each section's x = 0 end from the root section's."""
    start = np.zeros(len(morphology.sections))
    for k, sec in enumerate(morphology.sections):
        if sec.parent is not None:
            p = morphology.index(sec.parent)
            start[k] = start[p] + sec.parent_x * length[p]
    return start


class _NodeBuilder:
    """All of NEURON's nodes, in section order: root node, segments, x = 1 end."""

    def __init__(self, morphology: Morphology, nseg: tuple[int, ...], ra: tuple[float, ...]) -> None:
        self.morphology, self.nseg, self.ra = morphology, nseg, ra
        self.columns: dict[str, list] = {k: [] for k in ("parent", "g", "area", "x", "section")}
        self.zero_area: list[np.ndarray] = []
        self.start: list[int] = []
        self.first: list[int] = []
        self.end: list[int] = []
        self.count = 0

    def build(self) -> dict[str, np.ndarray]:
        for k, sec in enumerate(self.morphology.sections):
            self.start.append(self._attach_node(k, sec))
            self._add_section(k, sec)
        out = {key: np.concatenate(vals) for key, vals in self.columns.items()}
        out["zero_area"] = np.concatenate(self.zero_area)
        out["parent"] = out["parent"].astype(np.intp)
        out["section"] = out["section"].astype(np.intp)
        out["first_segment"] = np.asarray(self.first, dtype=np.intp)
        out["end_node"] = np.asarray(self.end, dtype=np.intp)
        return out

    def _append(
        self,
        parent: ArrayLike,
        g: ArrayLike,
        area: ArrayLike,
        x: ArrayLike,
        section: ArrayLike,
        zero_area: ArrayLike,
    ) -> None:
        for key, val in zip(
            ("parent", "g", "area", "x", "section"), (parent, g, area, x, section), strict=True
        ):
            self.columns[key].append(np.atleast_1d(np.asarray(val, dtype=np.float64)))
        self.zero_area.append(np.atleast_1d(np.asarray(zero_area, dtype=bool)))
        self.count += self.zero_area[-1].size

    def _attach_node(self, k: int, sec: Section) -> int:
        """The node that the section's x = 0 end is (NEURON's parentnode)."""
        if sec.parent is None:
            index = self.count
            self._append(-1, 0.0, 0.0, 0.0, k, True)
            return index
        p = self.morphology.index(sec.parent)
        if sec.parent_x == 0.0:
            return self.start[p]
        if sec.parent_x == 1.0:
            return self.end[p]
        i = int(self.nseg[p] * sec.parent_x)
        return self.first[p] + (self.nseg[p] - 1 if i == self.nseg[p] else i)

    def _add_section(self, k: int, sec: Section) -> None:
        nseg = self.nseg[k]
        area, left, right = segment_geometry(sec, nseg, self.ra[k])
        first = self.count
        parent = np.r_[self.start[k], first + np.arange(nseg)]
        r_between = np.r_[left[0], right[:-1] + left[1:], right[-1]]
        x = np.r_[(np.arange(nseg) + 0.5) / nseg, 1.0]
        zero_area = np.r_[np.zeros(nseg, dtype=bool), True]
        self._append(parent, 1.0 / r_between, np.r_[area, 0.0], x, np.full(nseg + 1, k), zero_area)
        self.first.append(first)
        self.end.append(first + nseg)


def _droppable(parent: np.ndarray, zero_area: np.ndarray) -> np.ndarray:
    """Zero-area nodes with a single neighbour: dangling ends and lone roots."""
    nchild = np.bincount(parent[parent >= 0], minlength=parent.size)
    degree = nchild + (parent >= 0)
    return zero_area & (degree == 1)


def _compact(nodes: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """Remove dropped nodes and renumber; a dropped root's child becomes a root."""
    new_index = np.cumsum(keep) - 1
    new_index = np.where(keep, new_index, -1)
    parent = nodes["parent"][keep]
    parent = np.where(parent >= 0, new_index[np.maximum(parent, 0)], -1)
    g = np.where(parent >= 0, nodes["g"][keep], 0.0)
    out = {
        "parent": parent,
        "g": g,
        "area": nodes["area"][keep],
        "x": nodes["x"][keep],
        "section": nodes["section"][keep],
        "first_segment": new_index[nodes["first_segment"]],
        "end_node": new_index[nodes["end_node"]],
    }
    return {k: _frozen(v) for k, v in out.items()}


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a
