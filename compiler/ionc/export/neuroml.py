"""`ionc export FILE --to neuroml -o DIR`: NeuroML2 documents for a model's channels and cells.

One `NAME.channel.nml` per channel (ionc.export.neuroml_channel builds its
elements) and one `NAME.cell.nml` per cell (ionc.export.neuroml_cell), which
includes the channel documents it uses. What NeuroML2 cannot hold is named in
the notes, one line each: pools (NeuroML's concentration models are not of
their form), parameters set on insert, and so on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ionc.diagnostics import Code, fail
from ionc.export.neuroml_channel import channel_elements
from ionc.export.neuroml_xml import render_document
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
    channel = derived.channel
    header = "\n".join([
        f"Exported by ionc's NeuroML export (ionc export) from the channel {channel.name} of "
        f"{cite(channel.span, root).rsplit(':', 1)[0]} (line {channel.span.line}):",
        "written from the equations ionc derives for it, not from the model text; each",
        "equation below cites the model line it comes from. Numbers are in the units",
        "written beside them; LEMS ComponentTypes compute in mV, ms, mM and K (their",
        "constants MV, MS, MM, KELVIN). The density (or permeability) and a fixed reversal",
        "potential are the model's defaults, kept as ionc: properties; a cell sets its own",
        "in channelDensity.",
    ])
    text = render_document(channel.name, channel_elements(derived, root), header)
    return ExportedDocument(filename=f"{channel.name}.channel.nml", text=text)


def export_file(path: Path, names: Sequence[str] | None = None) -> Export:
    """Every channel of a model file (its imports included), or those named; a cell document
    for each cell of the file. Pools are named in the notes."""
    from ionc.pipeline import derive_channels, front_end

    model = front_end(Path(path))
    channels = list(model.channels)
    if names:
        known = {c.name.text: c for c in channels}
        missing = [n for n in names if n not in known]
        if missing:
            from ionc.sema.resolve import did_you_mean

            raise fail(Code.E200, f"no channel or pool named '{missing[0]}' in {path}", None,
                       did_you_mean(missing[0], list(known)) or f"there are: {', '.join(known) or 'none'}")
        channels = [known[n] for n in dict.fromkeys(names)]
    if not channels and not model.cells:
        raise fail(Code.E204, f"{path} declares no channel or cell to export", None)
    derived = derive_channels(channels)
    root = Path(path).resolve().parent
    documents, notes = [], []
    for name, channel in derived.items():
        if channel.channel.pool:
            notes.append(f"{cite(channel.channel.span, root)}: pool {name} not exported: NeuroML2's "
                         "decayingPoolConcentrationModel fills a spherical shell under the segment's surface with "
                         "the current in both directions, which is not this pool's equation")
            continue
        documents.append(channel_document(channel, root))
    if not names:
        from ionc.export.neuroml_cell import cell_documents

        cells, cell_notes = cell_documents(model, derived, root)
        documents += cells
        notes += cell_notes
    return Export(documents=tuple(documents), notes=tuple(notes))
