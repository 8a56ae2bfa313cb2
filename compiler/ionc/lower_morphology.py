"""Lower a cell's morphology: sections (hand-written or SWC) -> NEURON's compartments.

Regions: a hand-written section is its own region (`insert hh on axon`); an
SWC cell has the regions of its SWC types (soma, axon, dend, apic) and the
groups the model names. Compartments per section: the section's
`compartments`, else its `d_lambda` rule, else the cell's `compartments` or
`d_lambda`, else 1 (NEURON's default nseg).
"""

from __future__ import annotations

import dataclasses
import math

from ionc.diagnostics import Code, fail
from ionc.ir import resolved as ir
from ionc.morphology import Discretization, Morphology, MorphologyError, Section, d_lambda_nseg, discretize
from ionc.sema.morphology import expand_regions, morphology_regions
from ionc.symbolic.bridge import Lowerer, constant_value
from ionc.syntax import nodes as syn

FREQUENCY_HZ = 100.0


def _per_region(cell: ir.CellDef, name: str, default: float, lowerer: Lowerer) -> dict[str, float]:
    values = dict.fromkeys(morphology_regions(cell), default)
    for region_attr in cell.region_attrs:
        if region_attr.name.text == name:
            value = constant_value(region_attr.value, lowerer)
            for region in expand_regions(cell, tuple(r.text for r in region_attr.regions)):
                values[region] = value
    return values


def lower_morphology(cell: ir.CellDef, ra: float, cm: float, lowerer: Lowerer) -> Discretization:
    ra_map = _per_region(cell, "ra", ra, lowerer)
    cm_map = _per_region(cell, "cm", cm, lowerer)
    try:
        if cell.swc is not None:
            sections = cell.swc.morphology.sections
        else:
            sections = tuple(_section(s, lowerer) for s in cell.sections)
        sections = tuple(_with_nseg(s, cell, ra_map, cm_map, lowerer) for s in sections)
        source = cell.swc.path if cell.swc is not None else ""
        morphology = Morphology.from_sections(sections, source)
        return discretize(morphology, ra=ra_map, cm=cm_map, freq_hz=FREQUENCY_HZ)
    except MorphologyError as error:
        raise fail(Code.E501, f"cell '{cell.name.text}': {error}", cell.name.span) from None


def _number(assign: syn.Assign | syn.Taper | None, lowerer: Lowerer) -> float | None:
    if isinstance(assign, syn.Assign):
        return constant_value(assign.value, lowerer)
    return None


def _section(section: ir.SectionDef, cell_lowerer: Lowerer) -> Section:
    lowerer = Lowerer(cell_lowerer.values, cell_lowerer.dims)
    for attr in section.attrs:  # later properties may use earlier ones
        if isinstance(attr, syn.Assign) and attr.name.text != "parent":
            lowerer.define(attr.name.text, lowerer.si(attr.value), lowerer.dimension(attr.value))
    area = _number(section.attr("area"), lowerer)
    diameter: float | tuple[float, float] | None
    if area is not None:
        # A cylinder with length = diameter has area pi d^2: NEURON's one-point soma.
        diameter = math.sqrt(area / math.pi)
        length: float | None = diameter
    else:
        length = _number(section.attr("length"), lowerer)
        taper = section.attr("diameter")
        if isinstance(taper, syn.Taper):
            diameter = (constant_value(taper.start, lowerer), constant_value(taper.end, lowerer))
        else:
            diameter = _number(taper, lowerer)
    parent, parent_x = _parent(section.attr("parent"), lowerer)
    compartments = _number(section.attr("compartments"), lowerer)
    return Section(
        name=section.name.text, length_um=length, diam_um=diameter, parent=parent, parent_x=parent_x,
        region=section.name.text, nseg=None if compartments is None else int(compartments),
    )


def _parent(assign: syn.Assign | syn.Taper | None, lowerer: Lowerer) -> tuple[str | None, float]:
    if not isinstance(assign, syn.Assign):
        return None, 1.0
    value = assign.value
    if isinstance(value, syn.Name):
        return value.id, 1.0
    assert isinstance(value, syn.Call)  # resolve has checked the shape
    x = constant_value(value.args[0], lowerer) if value.args else 1.0
    return value.func.text, x


def _with_nseg(
    section: Section, cell: ir.CellDef, ra: dict[str, float], cm: dict[str, float], lowerer: Lowerer
) -> Section:
    own = next((s for s in cell.sections if s.name.text == section.name), None)
    if section.nseg is not None and cell.swc is None:
        return section
    d_lambda = _number(own.attr("d_lambda"), lowerer) if own is not None else None
    if d_lambda is None and _number(cell.attr("compartments"), lowerer) is not None:
        return dataclasses.replace(section, nseg=int(_number(cell.attr("compartments"), lowerer) or 1))
    d_lambda = d_lambda if d_lambda is not None else _number(cell.attr("d_lambda"), lowerer)
    if d_lambda is None:
        return dataclasses.replace(section, nseg=1)
    nseg = d_lambda_nseg(section, d_lambda, FREQUENCY_HZ, ra[section.region], cm[section.region])
    return dataclasses.replace(section, nseg=nseg)
