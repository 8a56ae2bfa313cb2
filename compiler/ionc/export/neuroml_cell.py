"""NeuroML2 cells: a model's cell as `<cell>` with its morphology and biophysical properties.

* morphology: one segment per pair of consecutive 3-D points of each section
  (a cylinder or a taper written with length and diameter is one segment,
  laid out along its parent's axis: NeuroML needs coordinates, the cable only
  the lengths and diameters); a child's first segment names its parent segment
  and fractionAlong where ionc attaches it. One segmentGroup per section
  (with numberInternalDivisions, ionc's compartment count), one per region
  that is not a section, and `all`.
* biophysicalProperties: per inserted channel and region a channelDensity
  (condDensity, erev: the channel's own or the cell's fixed reversal),
  channelDensityNernst where the cell computes the ion's reversal by Nernst,
  channelDensityGHK (permeability) for a GHK channel; specificCapacitance and
  resistivity per region; initMembPotential; spikeThresh at 0 mV.

What NeuroML cannot hold this way is said in the notes: pools, parameters
set on insert other than the density and the reversal, the temperature (a
NeuroML network's, not a cell's), regional ion blocks.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

from ionc.export.neuroml import ExportedDocument
from ionc.export.neuroml_channel import channel_density_parameter
from ionc.export.neuroml_xml import Element, element, number, quantity, render_document, safe_id
from ionc.export.nmodl import cite
from ionc.ir import lowered as low
from ionc.ir import resolved as ir
from ionc.morphology import Morphology, Section
from ionc.symbolic.derive import DerivedChannel

Point = tuple[float, float, float, float]  # x, y, z, diameter (um)
ALL = "all"


@dataclass(frozen=True)
class _Segment:
    id: int
    section: str
    proximal: Point
    distal: Point
    parent: int | None = None
    fraction_along: float = 1.0


@dataclass
class _Layout:
    """The segments made so far, and where each section lies (its polyline)."""

    segments: list[_Segment] = field(default_factory=list)
    paths: dict[str, list[Point]] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)  # section -> its first segment's id


def cell_documents(model: ir.Model, derived: dict[str, DerivedChannel], root: Path,
                   exported: Collection[str] = ()) -> tuple[list[ExportedDocument], list[str]]:
    """One `<name>.cell.nml` per cell of the model, and the notes on what each leaves out;
    `exported` names the documents written beside it (a pool's, when it could be written)."""
    from ionc.lower import lower_cell

    channels = {name: d.channel for name, d in derived.items()}
    documents, notes = [], []
    for definition in model.cells:
        cell = lower_cell(definition, channels)
        where = cite(definition.span, root)
        pools = {p.channel.name for p in cell.placements
                 if p.channel.pool and f"{p.channel.name}.pool.nml" in exported}
        body, cell_notes = _cell(cell, where, pools)
        notes += cell_notes
        includes = [element("include", href=f"{p.channel.name}.{'pool' if p.channel.pool else 'channel'}.nml")
                    for p in _unique_channels(cell.placements) if not p.channel.pool or p.channel.name in pools]
        header = "\n".join([
            f"Exported by ionc's NeuroML export (ionc export) from the cell {cell.name} of {where}.",
            f"The model runs it at {cell.temperature - 273.15:.10g} degC: NeuroML sets the temperature in a "
            "network, not in a cell.",
            "Each channel is in its own NAME.channel.nml, each pool in NAME.pool.nml (included below).",
        ])
        text = render_document(cell.name, [*includes, body], header)
        documents.append(ExportedDocument(filename=f"{cell.name}.cell.nml", text=text))
    return documents, notes


def _unique_channels(placements: Sequence[low.Placement]) -> list[low.Placement]:
    seen: dict[str, low.Placement] = {}
    for placement in placements:
        seen.setdefault(placement.channel.name, placement)
    return list(seen.values())


def _cell(cell: low.Cell, where: str, pools: Collection[str]) -> tuple[Element, list[str]]:
    discretization = cell.morphology
    morphology = discretization.morphology
    layout = _lay_out(morphology)
    notes: list[str] = []
    groups, region_groups = _segment_groups(morphology, layout, discretization.nseg)
    segments = [_segment_element(s) for s in layout.segments]
    membrane, membrane_notes = _membrane(cell, where, region_groups, pools)
    notes += membrane_notes
    biophysics = element(
        "biophysicalProperties", membrane, _intracellular(cell, region_groups, pools), id=f"{cell.name}_biophysics")
    morphology_element = element("morphology", *segments, *groups, id=f"{cell.name}_morphology")
    return element("cell", morphology_element, biophysics, comment=f"cell {cell.name} ({where})", id=cell.name), notes


# ---------------------------------------------------------------- morphology


def _lay_out(morphology: Morphology) -> _Layout:
    layout = _Layout()
    for section in morphology.sections:
        path = _path(section, layout)
        layout.paths[section.name] = path
        layout.first[section.name] = len(layout.segments)
        parent, fraction = _attachment(section, layout)
        for k, (proximal, distal) in enumerate(zip(path[:-1], path[1:], strict=True)):
            segment_id = len(layout.segments)
            layout.segments.append(_Segment(
                id=segment_id, section=section.name, proximal=proximal, distal=distal,
                parent=parent if k == 0 else segment_id - 1, fraction_along=fraction if k == 0 else 1.0,
            ))
    return layout


def _path(section: Section, layout: _Layout) -> list[Point]:
    """The section's 3-D points: its own (SWC), or laid out from where it attaches."""
    if section.points:
        return [tuple(float(c) for c in p) for p in section.points]  # type: ignore[misc]
    start, direction = _start(section, layout)
    points = section.points3d() or ((0.0, 0.0, 0.0, float(section.diam_um)),  # type: ignore[arg-type]
                                    (float(section.length_um or 0.0), 0.0, 0.0, float(section.diam_um)))  # type: ignore[arg-type]
    return [(start[0] + direction * p[0], start[1], start[2], float(p[3])) for p in points]


def _start(section: Section, layout: _Layout) -> tuple[tuple[float, float, float], float]:
    """Where a laid-out section begins, and which way along x it goes (children of a
    parent's 0 end go the other way, so that the picture looks like the cell)."""
    if section.parent is None:
        return (0.0, 0.0, 0.0), 1.0
    path = layout.paths[section.parent]
    point = _along(path, section.parent_x)
    forward = path[-1][0] >= path[0][0]
    direction = (1.0 if forward else -1.0) * (1.0 if section.parent_x >= 0.5 else -1.0)
    return point[:3], direction


def _along(path: list[Point], fraction: float) -> tuple[float, float, float]:
    """The point at `fraction` of a polyline's length."""
    lengths = [math.dist(a[:3], b[:3]) for a, b in zip(path[:-1], path[1:], strict=True)]
    target = fraction * sum(lengths)
    for (a, b), length in zip(zip(path[:-1], path[1:], strict=True), lengths, strict=True):
        if target <= length or length == lengths[-1]:
            t = 0.0 if length == 0 else min(target / length, 1.0)
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2]))
        target -= length
    return path[-1][:3]


def _attachment(section: Section, layout: _Layout) -> tuple[int | None, float]:
    """The parent segment a section's first segment joins, and the fraction along it."""
    if section.parent is None:
        return None, 1.0
    path = layout.paths[section.parent]
    lengths = [math.dist(a[:3], b[:3]) for a, b in zip(path[:-1], path[1:], strict=True)]
    target = section.parent_x * sum(lengths)
    for k, length in enumerate(lengths):
        if target <= length or k == len(lengths) - 1:
            fraction = 1.0 if length == 0 else min(target / length, 1.0)
            return layout.first[section.parent] + k, fraction
        target -= length
    return layout.first[section.parent], 1.0  # pragma: no cover


def _point(tag: str, p: Point) -> Element:
    return element(tag, x=number(p[0]), y=number(p[1]), z=number(p[2]), diameter=number(p[3]))


def _segment_element(segment: _Segment) -> Element:
    children = []
    if segment.parent is not None:
        children.append(element("parent", segment=str(segment.parent), fractionAlong=number(segment.fraction_along)))
    children += [_point("proximal", segment.proximal), _point("distal", segment.distal)]
    return element("segment", *children, id=str(segment.id), name=f"{safe_id(segment.section)}_{segment.id}")


def _segment_groups(morphology: Morphology, layout: _Layout,
                    nseg: Sequence[int]) -> tuple[list[Element], dict[str, str]]:
    """One group per section, one per region that is not exactly one section, and `all`;
    and the group that stands for each region."""
    groups = []
    for section, count in zip(morphology.sections, nseg, strict=True):
        members = [element("member", segment=str(s.id)) for s in layout.segments if s.section == section.name]
        groups.append(element("segmentGroup", element("property", tag="numberInternalDivisions", value=str(count)),
                              *members, id=safe_id(section.name)))
    names = {safe_id(s.name) for s in morphology.sections}
    region_groups = {}
    for region in morphology.regions:
        sections = [safe_id(s.name) for s in morphology.sections if s.region == region]
        if sections == [safe_id(region)]:
            region_groups[region] = safe_id(region)
            continue
        group = safe_id(region) if safe_id(region) not in names else f"{safe_id(region)}_region"
        region_groups[region] = group
        groups.append(element("segmentGroup", *(element("include", segmentGroup=s) for s in sections), id=group))
    groups.append(element("segmentGroup", *(element("include", segmentGroup=safe_id(s.name))
                                            for s in morphology.sections),
                          id=ALL if ALL not in names else f"{ALL}_sections"))
    return groups, region_groups


# ---------------------------------------------------------------- biophysics


def _membrane(cell: low.Cell, where: str, region_groups: dict[str, str],
              pools: Collection[str]) -> tuple[Element, list[str]]:
    ordinary: list[Element] = []
    nernst: list[Element] = []
    ghk: list[Element] = []
    notes: list[str] = []
    reversals = dict(cell.reversals)
    policies = {ion.name: ion for ion in cell.ions}
    for placement in cell.placements:
        channel = placement.channel
        if channel.pool:  # a species of the intracellular properties
            if channel.name not in pools:
                notes.append(f"{where}: pool {channel.name} in cell {cell.name} not exported")
            continue
        values = dict(placement.values)
        density = channel_density_parameter(channel)
        notes += _overrides(channel, values, density.name, where)
        for region in placement.regions:
            common = {"id": f"{channel.name}_{safe_id(region)}", "ionChannel": channel.name,
                      "segmentGroup": region_groups[region]}
            ion = channel.ion or "non_specific"
            if channel.ghk is not None:
                ghk.append(element("channelDensityGHK", **common, ion=ion,
                                   permeability=quantity(values[density.name], "cm_per_s")))
                continue
            condition = quantity(values[density.name], "mS_per_cm2")
            own = _own_reversal(channel, values)
            if own is None and channel.ion in policies and policies[channel.ion].reversal == "nernst":
                nernst.append(element("channelDensityNernst", **common, ion=ion, condDensity=condition))
                continue
            erev = own if own is not None else reversals.get(channel.ion or "")
            if erev is None:
                notes.append(f"{where}: channel {channel.name} in cell {cell.name}: no fixed reversal for "
                             f"{channel.ion}; not exported")
                continue
            ordinary.append(element("channelDensity", **common, ion=ion, condDensity=condition,
                                    erev=quantity(erev, "mV")))
    pooled = {p.channel.ion for p in cell.placements if p.channel.name in pools}  # a species holds these
    for ion in sorted({str(d.get("ion")) for d in (*nernst, *ghk)} - pooled):
        notes.append(f"{where}: cell {cell.name}: the {ion} concentrations its Nernst and GHK channels read are not "
                     "exported (a NeuroML2 species needs a concentration model)")
    regional = [ion.name for ion in cell.ions if ion.regions]
    if regional:
        notes.append(f"{where}: the regional ion blocks of {', '.join(regional)} in cell {cell.name} are not exported")
    capacitance = [element("specificCapacitance", segmentGroup=region_groups[region],
                           value=quantity(value, "uF_per_cm2"))
                   for region, value in _per_region(cell.morphology.regions, cell.morphology.region_index,
                                                    cell.morphology.cm_uF_cm2)]
    membrane = element(
        "membraneProperties", *ordinary, *nernst, *ghk,
        element("spikeThresh", value="0mV", segmentGroup=ALL),
        *capacitance,
        element("initMembPotential", value=quantity(cell.v_init, "mV"), segmentGroup=ALL),
    )
    return membrane, notes


def _own_reversal(channel: low.Channel, values: dict[str, float]) -> float | None:
    """The channel's own fixed reversal potential (its `e`), or None if it reads the cell's."""
    reversal = sp.sympify(channel.reversal).xreplace({p.symbol: sp.Float(values[p.name]) for p in channel.parameters})
    return None if reversal.free_symbols else float(reversal)


def _overrides(channel: low.Channel, values: dict[str, float], density: str, where: str) -> list[str]:
    """A parameter set on insert that the channel's NeuroML file cannot take (it has the default)."""
    return [f"{where}: {channel.name}.{p.name} = {number(values[p.name])} {p.unit} on insert is not exported "
            f"(the channel file has {number(p.value)} {p.unit})"
            for p in channel.parameters if p.name not in (density, "e") and values[p.name] != p.value]


def _per_region(regions: Sequence[str], index: np.ndarray, values: np.ndarray) -> list[tuple[str, float]]:
    found = []
    for k, region in enumerate(regions):
        at = np.nonzero(index == k)[0]
        if at.size:
            found.append((region, float(values[at[0]])))
    return found


def _intracellular(cell: low.Cell, region_groups: dict[str, str], pools: Collection[str]) -> Element:
    morphology = cell.morphology.morphology
    resistivity: dict[str, float] = {}
    for section, ra in zip(morphology.sections, cell.morphology.ra_ohm_cm, strict=True):
        resistivity.setdefault(section.region, ra)
    return element("intracellularProperties", *_species(cell, region_groups, pools), *(
        element("resistivity", value=quantity(ra, "ohm_cm"), segmentGroup=region_groups[region])
        for region, ra in resistivity.items()))


def _species(cell: low.Cell, region_groups: dict[str, str], pools: Collection[str]) -> list[Element]:
    """A species per pool and region: the pool's concentration model, starting (as ionc starts a
    pool) at the cell's concentrations of its ion."""
    ions = {ion.name: ion for ion in cell.ions if not ion.regions}
    placed = [(p.channel, region) for p in cell.placements if p.channel.name in pools for region in p.regions]
    found = []
    for channel, region in placed:
        ion = ions[channel.ion or ""]
        identifier = ion.name if len(placed) == 1 else f"{ion.name}_{region_groups[region]}"
        found.append(element("species", id=identifier, ion=ion.name, concentrationModel=channel.name,
                             initialConcentration=quantity(ion.inside, "mM"),
                             initialExtConcentration=quantity(ion.outside, "mM"), segmentGroup=region_groups[region],
                             comment=f"pool {channel.name} on {region}"))
    return found
