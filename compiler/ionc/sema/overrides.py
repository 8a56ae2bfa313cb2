"""`--set PATH=VALUE`: replace a value of the resolved model before checking.

Paths: CHANNEL.PARAM (hh_na.gbar), SECTION.PROPERTY (soma.diameter),
STIMULUS.PROPERTY (stim.amplitude), a simulation property (dt, duration,
method) or a cell property (temperature, cm, v_init, ra), optionally written
CELL.PROPERTY. Values are expressions with units, checked like the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from ionc.diagnostics import Code, DiagnosticSink
from ionc.ir import resolved as ir
from ionc.sema.morphology import SECTION_ATTRS
from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn
from ionc.syntax.parse import parse_expression


def parse_override(text: str) -> tuple[str, syn.Expr]:
    """'hh_na.gbar=100mS/cm2' -> ('hh_na.gbar', expression); errors point into the option."""
    path, equals, value = text.partition("=")
    source = SourceFile("--set", text)
    if not equals or not path.strip():
        from ionc.diagnostics import fail

        raise fail(Code.E500, "--set expects NAME=VALUE, e.g. hh_na.gbar=100mS/cm2", Span(source, 0, len(text)))
    if path.strip() == "tables" and value.strip() in ("on", "off"):  # keywords, not expressions
        start = len(path) + 1 + (len(value) - len(value.lstrip()))
        return "tables", syn.Name(id=value.strip(), span=Span(source, start, start + len(value.strip())))
    if not value.strip():
        from ionc.diagnostics import fail

        raise fail(Code.E500, f"--set {path}= needs a value", Span(source, 0, len(text)))
    return path.strip(), parse_expression(source, start=len(path) + 1)


A = TypeVar("A", syn.Assign, syn.Assign | syn.Taper)


def _replace_assign(assigns: tuple[A, ...], name: str, value: syn.Expr) -> tuple[A, ...] | None:
    if not any(a.name.text == name for a in assigns):
        return None
    return tuple(
        syn.Assign(name=a.name, value=value, span=a.span) if a.name.text == name else a for a in assigns
    )


def apply_overrides(
    model: ir.Model, simulation: ir.SimulationDef, overrides: Sequence[tuple[str, syn.Expr]], sink: DiagnosticSink
) -> ir.SimulationDef:
    for path, value in overrides:
        updated = _apply(simulation, path, value)
        if updated is None:
            sink.error(Code.E200, f"--set: nothing named '{path}' in simulation '{simulation.name.text}'",
                       Span(value.span.source, 0, max(len(path), 1)),
                       "use CHANNEL.PARAM, SECTION.PROPERTY, STIMULUS.PROPERTY, dt, duration, method or "
                       "a cell property")
        else:
            simulation = updated
    return simulation


def _apply(simulation: ir.SimulationDef, path: str, value: syn.Expr) -> ir.SimulationDef | None:
    head, _, tail = path.rpartition(".")
    cell = simulation.cell
    if head in ("", simulation.name.text):
        attrs = _replace_assign(simulation.attrs, tail, value)
        if attrs is not None or tail in ("dt", "duration", "method", "tables", "precision"):
            new = attrs or (*simulation.attrs, syn.Assign(name=syn.Ident(text=tail, span=value.span), value=value, span=value.span))
            return dataclasses.replace(simulation, attrs=new)
    if head in ("", cell.name.text, "cell"):
        new_cell = _cell_attr(cell, tail, value)
        if new_cell is not None:
            return dataclasses.replace(simulation, cell=new_cell)
    for stimulus in simulation.stimuli:
        if stimulus.name == head:
            attrs = _replace_assign(stimulus.attrs, tail, value)
            if attrs is None:
                return None
            stimuli = tuple(dataclasses.replace(s, attrs=attrs) if s is stimulus else s for s in simulation.stimuli)
            return dataclasses.replace(simulation, stimuli=stimuli)
    new_cell = _channel_or_section(cell, head, tail, value)
    return None if new_cell is None else dataclasses.replace(simulation, cell=new_cell)


def _cell_attr(cell: ir.CellDef, name: str, value: syn.Expr) -> ir.CellDef | None:
    if name not in ("temperature", "cm", "v_init", "ra"):
        return None
    attrs = _replace_assign(cell.attrs, name, value)
    if attrs is None:
        attrs = (*cell.attrs, syn.Assign(name=syn.Ident(text=name, span=value.span), value=value, span=value.span))
    return dataclasses.replace(cell, attrs=attrs)


def _channel_or_section(cell: ir.CellDef, head: str, tail: str, value: syn.Expr) -> ir.CellDef | None:
    matching = [i for i in cell.inserts if i.channel.name.text == head and i.channel.assign(tail) is not None]
    if matching:  # every region the channel is inserted in
        arg = syn.KeywordArg(name=syn.Ident(text=tail, span=value.span), value=value, span=value.span)
        inserts = tuple(
            dataclasses.replace(i, args=(*(a for a in i.args if a.name.text != tail), arg)) if i in matching else i
            for i in cell.inserts
        )
        return dataclasses.replace(cell, inserts=inserts)
    for section in cell.sections:
        if section.name.text == head and tail in SECTION_ATTRS and tail != "parent":
            attrs = _replace_assign(section.attrs, tail, value)
            if attrs is None:
                attrs = (*section.attrs, syn.Assign(name=syn.Ident(text=tail, span=value.span), value=value, span=value.span))
            sections = tuple(dataclasses.replace(s, attrs=attrs) if s is section else s for s in cell.sections)
            return dataclasses.replace(cell, sections=sections)
    return None
