"""The stages in order: parse -> resolve -> check -> lower -> derive -> emit.

Each stage is a function of the previous stage's value; this module is the
one place that states the order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ionc.diagnostics import Code, DiagnosticSink, fail
from ionc.ir import resolved as ir
from ionc.syntax import nodes as syn

if TYPE_CHECKING:
    from ionc.symbolic.derive import DerivedChannel


def front_end(path: Path) -> ir.Model:
    """parse (with imports) -> resolve -> check; raises IoncError with every problem found."""
    from ionc.sema.check import check
    from ionc.sema.load import load_files
    from ionc.sema.resolve import resolve

    files = load_files(path)
    sink = DiagnosticSink()
    model = resolve(files, sink)
    sink.check()
    check(model, sink)
    sink.check()
    return model


def select_simulation(
    model: ir.Model, name: str | None, overrides: Sequence[tuple[str, syn.Expr]]
) -> ir.SimulationDef:
    from ionc.sema.check import check
    from ionc.sema.overrides import apply_overrides

    simulation = model.simulation(name)
    if simulation is None:
        known = ", ".join(s.name.text for s in model.simulations) or "none"
        raise fail(Code.E204, f"no simulation named '{name}' in {model.path} (simulations: {known})"
                   if name else f"{model.path} declares no simulation", None)
    sink = DiagnosticSink()
    simulation = apply_overrides(model, simulation, overrides, sink)
    sink.check()
    if overrides:
        check(dataclasses.replace(model, cells=(simulation.cell,), simulations=(simulation,)), sink)
        sink.check()
    return simulation


def derive_channels(channels: Sequence[ir.ChannelDef]) -> dict[str, DerivedChannel]:
    """lower -> derive for each channel; symbolic problems (E4xx) raised together."""
    from ionc.lower import lower_channel
    from ionc.symbolic.derive import derive_channel

    sink = DiagnosticSink()
    derived = {c.name.text: derive_channel(lower_channel(c), sink) for c in channels}
    sink.check()
    return derived


def check_model(model: ir.Model) -> None:
    """Everything short of generating code: derive each channel, lower each simulation
    (which lays out its cell and places its locations), lay out cells without one."""
    from ionc.lower import lay_out, lower_simulation

    derived = derive_channels(model.channels)
    lowered = {name: d.channel for name, d in derived.items()}
    for simulation in model.simulations:
        lower_simulation(simulation, lowered)
    simulated = {s.cell.name.text for s in model.simulations}
    for cell in model.cells:
        if cell.name.text not in simulated:
            lay_out(cell)


def generate(simulation: ir.SimulationDef, version: str, module_file: str, backend: str = "numpy") -> str:
    """lower -> derive -> emit: the source text of the standalone module."""
    from ionc.codegen.emit import module_view, render_module
    from ionc.lower import lower_simulation

    used = {i.channel.name.text: i.channel for i in simulation.cell.inserts}
    derived = derive_channels(tuple(used.values()))
    lowered = {name: d.channel for name, d in derived.items()}
    lowered_simulation = lower_simulation(simulation, lowered)
    return render_module(module_view(lowered_simulation, derived, version, module_file, backend))
