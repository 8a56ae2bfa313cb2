"""Channels written for other simulators, translated into readable ionc.

`translate_file` reads an NMODL (.mod) or NeuroML2 (.nml) file and returns
the ionc text and the notes on what could not be carried over one to one
(each naming the construct and its line). Both readers parse with lark
grammars in grammar/ and never evaluate the file's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Translation:
    text: str  # the ionc source, ready to write
    notes: tuple[str, ...] = ()  # "file:line: what was dropped or changed, and why"


SUFFIXES = (".mod", ".nml")


def translate_file(path: Path) -> Translation:
    """The ionc translation of an NMODL or NeuroML2 file (by its suffix)."""
    if path.suffix == ".mod":
        from ionc.importer.nmodl import translate_nmodl

        return translate_nmodl(path)
    if path.suffix == ".nml":
        from ionc.importer.neuroml import translate_neuroml

        return translate_neuroml(path)
    raise ValueError(f"{path}: import reads {' or '.join(SUFFIXES)} files")
