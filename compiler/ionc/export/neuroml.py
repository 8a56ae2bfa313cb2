"""`ionc export FILE --to neuroml -o DIR`: NeuroML2 documents for a model's channels and cells.

One `NAME.channel.nml` per channel (ionc.export.neuroml_channel builds its
elements) and one `NAME.cell.nml` per cell (ionc.export.neuroml_cell), which
includes the channel documents it uses; one `NAME.pool.nml` per pool
(ionc.export.neuroml_pool: a LEMS ComponentType extending concentrationModel).
What NeuroML2 cannot hold is named in the notes, one line each: parameters set
on insert, and so on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ionc.diagnostics import Code, fail
from ionc.export.neuroml_channel import channel_elements
from ionc.export.neuroml_xml import Element, render_document
from ionc.export.nmodl import cite
from ionc.symbolic.derive import DerivedChannel


@dataclass(frozen=True)
class ExportedDocument:
    """One written NeuroML2 file: its name in the output directory and its text."""

    filename: str
    text: str


@dataclass(frozen=True)
class Export:
    """What `ionc export --to neuroml` writes, and what it could not (one note each)."""

    documents: tuple[ExportedDocument, ...]
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- documents and files


def channel_document(derived: DerivedChannel, root: Path) -> ExportedDocument:
    return _document(derived, root, "channel", channel_elements(derived, root), [
        "written from the equations ionc derives for it, not from the model text; each",
        "equation below cites the model line it comes from. Numbers are in the units",
        "written beside them; LEMS ComponentTypes compute in mV, ms, mM and K (their",
        "constants MV, MS, MM, KELVIN). The density (or permeability) and a fixed reversal",
        "potential are the model's defaults, kept as ionc: properties; a cell sets its own",
        "in channelDensity.",
    ])


def pool_document(derived: DerivedChannel, root: Path) -> ExportedDocument:
    from ionc.export.neuroml_pool import pool_elements

    return _document(derived, root, "pool", pool_elements(derived, cite(derived.channel.span, root)), [
        "its own equation as a LEMS ComponentType extending NeuroML2's concentrationModel, and",
        "the pool with the model's parameter values. NeuroML_v2.3.xsd lists no element for a",
        "component of a new type: the <concentrationModel> below is LEMS that the strict schema",
        "does not hold (as every custom concentration model); a cell refers to it by id in a",
        "<species concentrationModel=...> and includes this file.",
    ])


def _document(derived: DerivedChannel, root: Path, kind: str, elements: list[Element],
              description: list[str]) -> ExportedDocument:
    """`NAME.<kind>.nml`: a header saying where the channel or pool comes from, then its elements."""
    channel = derived.channel
    header = "\n".join([
        f"Exported by ionc's NeuroML export (ionc export) from the {kind} {channel.name} of "
        f"{cite(channel.span, root).rsplit(':', 1)[0]} (line {channel.span.line}):",
        *description,
    ])
    return ExportedDocument(filename=f"{channel.name}.{kind}.nml",
                            text=render_document(channel.name, elements, header))


def export_file(path: Path, names: Sequence[str] | None = None) -> Export:
    """Every channel and pool of a model file (its imports included), or those named; a cell
    document for each cell of the file when none are named."""
    from ionc.export import chosen_channels
    from ionc.export.neuroml_pool import PoolExportError
    from ionc.pipeline import derive_channels, front_end

    model = front_end(Path(path))
    channels = chosen_channels(model, path, names)
    if not channels and not model.cells:
        raise fail(Code.E204, f"{path} declares no channel or cell to export", None)
    derived = derive_channels(channels)
    root = Path(path).resolve().parent
    documents, notes = [], []
    for name, channel in derived.items():
        if not channel.channel.pool:
            documents.append(channel_document(channel, root))
            continue
        try:
            documents.append(pool_document(channel, root))
        except PoolExportError as error:
            notes.append(f"{cite(channel.channel.span, root)}: pool {name} not exported: {error}")
    if not names:
        from ionc.export.neuroml_cell import cell_documents

        exported = {d.filename for d in documents}
        cells, cell_notes = cell_documents(model, derived, root, exported)
        documents += cells
        notes += cell_notes
    return Export(documents=tuple(documents), notes=tuple(notes))
