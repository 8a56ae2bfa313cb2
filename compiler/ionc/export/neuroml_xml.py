"""A small XML writer for the NeuroML export: elements as values, rendered as tidy text.

The exporter builds `Element`s (tag, attributes in the order given, children,
an optional comment written above the element) and `render_document` lays
them out, two spaces per level, one attribute list per line, text escaped.
No XML library is involved: the output is plain, readable text that a person
can diff, and the importer (ionc.importer.neuroml_xml) reads it back with
ionc's own grammar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

INDENT = "  "
NAMESPACE = "http://www.neuroml.org/schema/neuroml2"
SCHEMA = "https://raw.github.com/NeuroML/NeuroML2/development/Schemas/NeuroML2/NeuroML_v2.3.xsd"


@dataclass(frozen=True)
class Element:
    """One XML element: `text` is its character content (notes), `comment` a line above it."""

    tag: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[Element, ...] = ()
    text: str = ""
    comment: str = ""

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.attributes if key == name), None)


def element(tag: str, /, *children: Element, comment: str = "", text: str = "", **attributes: str) -> Element:
    """`element("gateHHrates", ..., id="m", instances="3")`; a trailing '_' in a keyword
    is dropped (`from_=`), so that Python keywords can be attribute names."""
    pairs = tuple((key.rstrip("_"), value) for key, value in attributes.items())
    return Element(tag=tag, attributes=pairs, children=tuple(children), text=text, comment=comment)


def escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _comment(text: str, depth: int) -> list[str]:
    # '--' may not appear inside an XML comment
    lines = [line.replace("--", "- -") for line in text.splitlines()]
    pad = INDENT * depth
    if len(lines) == 1:
        return [f"{pad}<!-- {lines[0]} -->"]
    return [f"{pad}<!--", *(f"{pad}    {line}".rstrip() for line in lines), f"{pad}-->"]


def _lines(node: Element, depth: int) -> list[str]:
    pad = INDENT * depth
    lines = _comment(node.comment, depth) if node.comment else []
    attributes = "".join(f' {key}="{escape(value, quote=True)}"' for key, value in node.attributes)
    if not node.children and not node.text:
        return [*lines, f"{pad}<{node.tag}{attributes}/>"]
    if node.text and not node.children:
        return [*lines, f"{pad}<{node.tag}{attributes}>{escape(node.text)}</{node.tag}>"]
    body = [line for child in node.children for line in _lines(child, depth + 1)]
    return [*lines, f"{pad}<{node.tag}{attributes}>", *body, f"{pad}</{node.tag}>"]


def render_document(document_id: str, children: Sequence[Element], header: str = "") -> str:
    """A whole NeuroML2 document: the XML declaration, a header comment, <neuroml> and its children."""
    root = Element(tag="neuroml", attributes=(
        ("xmlns", NAMESPACE),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ("xsi:schemaLocation", f"{NAMESPACE} {SCHEMA}"),
        ("id", document_id),
    ), children=tuple(children))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if header:
        lines += _comment(header, 0)
    lines += _lines(root, 0)
    blank_between = []
    for k, line in enumerate(lines):  # a blank line between top-level elements, for the reader
        if k > 0 and line.startswith(f"{INDENT}<") and not line.startswith(f"{INDENT}</") \
                and not lines[k - 1].startswith(f"{INDENT}<!--") and lines[k - 1].strip() != "-->":
            blank_between.append("")
        elif k > 0 and line.startswith(f"{INDENT}<!--"):
            blank_between.append("")
        blank_between.append(line)
    return "\n".join(blank_between) + "\n"


def number(value: float) -> str:
    """The shortest text that reads back as the same float ('0.1', '-40', '1e-05')."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def quantity(value: float, unit: str) -> str:
    """'-40mV', '0.1per_ms': a NeuroML2 quantity (number, then the unit, no space)."""
    return f"{number(value)}{unit}"


def safe_id(text: str) -> str:
    """A NeuroML id (NmlId: letters, digits, '_'; not starting with a digit)."""
    cleaned = re.sub(r"\W", "_", text)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"
