"""Resolve a cell's morphology block: hand-written sections or an SWC file.

An SWC file is read and cut into sections here, so that section and region
names (`soma`, `dend[3]`, `apic`) are known to the name checks; a bad file
is reported with its own path and line.
"""

from __future__ import annotations

from pathlib import Path

from ionc.diagnostics import Code, DiagnosticSink
from ionc.ir import resolved as ir
from ionc.morphology import MorphologyError, load_swc
from ionc.syntax import nodes as syn
from ionc.syntax.parse import unreadable, unsafe_path_character

SECTION_ATTRS = ("length", "diameter", "area", "compartments", "d_lambda", "parent")


def resolve_sections(nodes: list[syn.Section], sink: DiagnosticSink) -> tuple[ir.SectionDef, ...]:
    from ionc.sema.resolve import known, unique

    sections = []
    for node in nodes:
        known(node.body, SECTION_ATTRS, "section property", sink)
        unique((a.name for a in node.body), "section property", sink)
        names = {a.name.text for a in node.body}
        if "area" in names and ({"length", "diameter"} & names):
            sink.error(Code.E201, "give a section either 'area' or 'length' and 'diameter'", node.name.span)
        elif "area" not in names and not {"length", "diameter"} <= names:
            sink.error(Code.E204, f"section '{node.name.text}' needs 'length' and 'diameter' (or 'area')",
                       node.name.span)
        if {"compartments", "d_lambda"} <= names:
            sink.error(Code.E201, "give a section 'compartments' or 'd_lambda', not both", node.name.span)
        sections.append(ir.SectionDef(name=node.name, attrs=node.body, span=node.span))
    unique((s.name for s in sections), "section", sink)
    _check_parents(sections, sink)
    return tuple(sections)


def _check_parents(sections: list[ir.SectionDef], sink: DiagnosticSink) -> None:
    from ionc.sema.resolve import did_you_mean

    names = [s.name.text for s in sections]
    roots = 0
    for section in sections:
        parent = section.attr("parent")
        if parent is None:
            roots += 1
            if roots > 1:
                sink.error(Code.E204, f"section '{section.name.text}' has no parent", section.name.span,
                           "connect it with 'parent = soma(1)'; a cell has one root section")
            continue
        value = parent.value if isinstance(parent, syn.Assign) else None
        if not (isinstance(value, syn.Call) and len(value.args) <= 1) and not isinstance(value, syn.Name):
            sink.error(Code.E303, "a parent is a location such as soma(1) or soma(0.5)", parent.span)
            continue
        target = value.func if isinstance(value, syn.Call) else syn.Ident(text=value.id, span=value.span)
        if target.text not in names:
            sink.error(Code.E200, f"unknown parent section '{target.text}'", target.span,
                       did_you_mean(target.text, names))
        elif target.text == section.name.text:
            sink.error(Code.E205, f"section '{target.text}' cannot be its own parent", target.span)


def resolve_swc(node: syn.MorphologyFile, sink: DiagnosticSink) -> ir.SwcDef | None:
    path = (Path(node.span.source.path).parent / node.path)
    refused = _refuse_swc_path(node.path, path)
    if refused is not None:
        sink.error(Code.E202, f"cannot read morphology {node.path!r}: {refused}", node.span,
                   f"paths are relative to the model file (looked for {path})"
                   if refused == "no such file" else None)
        return None
    try:
        morphology = load_swc(path)
    except MorphologyError as error:
        sink.error(Code.E501, f"bad morphology file: {error}", node.span)
        return None
    except (OSError, UnicodeDecodeError) as error:
        sink.error(Code.E202, f"cannot read morphology '{node.path}': {error}", node.span)
        return None
    regions = set(morphology.regions)
    groups: list[tuple[str, tuple[str, ...]]] = []
    for group in node.groups:
        if group.name.text in regions or group.name.text == "all" or group.name.text in dict(groups):
            sink.error(Code.E201, f"'{group.name.text}' is already a region or group name", group.name.span)
        for region in group.regions:
            if region.text not in regions:
                sink.error(Code.E200, f"'{node.path}' has no region '{region.text}'", region.span,
                           f"its regions: {', '.join(morphology.regions)}")
        groups.append((group.name.text, tuple(r.text for r in group.regions)))
    return ir.SwcDef(path=str(path), morphology=morphology, groups=tuple(groups), span=node.span)


# The largest SWC file read: a few times the largest published reconstructions
# (about 10^5 points); larger files are refused before they are read.
MAX_SWC_BYTES = 16_000_000


def _refuse_swc_path(written: str, path: Path) -> str | None:
    """Why the SWC file named `written` (found at `path`) is not read, or None."""
    char = unsafe_path_character(written)
    if char is not None:
        return f"the path contains the character {char!r}"
    return unreadable(path, MAX_SWC_BYTES)


def expand_regions(cell: ir.CellDef, names: tuple[str, ...]) -> tuple[str, ...]:
    """Region and group names -> the morphology regions they cover ('all' -> every region)."""
    regions = morphology_regions(cell)
    groups = dict(cell.swc.groups) if cell.swc is not None else {}
    result: list[str] = []
    for name in names:
        if name == "all":
            result += regions
        elif name in groups:
            result += groups[name]
        else:
            result.append(name)
    return tuple(dict.fromkeys(result))


def morphology_regions(cell: ir.CellDef) -> tuple[str, ...]:
    if cell.swc is not None:
        return cell.swc.morphology.regions
    return tuple(s.name.text for s in cell.sections)
