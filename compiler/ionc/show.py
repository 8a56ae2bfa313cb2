"""`ionc show`: the derived equations of every channel, as text."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from ionc.diagnostics import DiagnosticSink
from ionc.ir import resolved as ir
from ionc.lower import lower_channel
from ionc.morphology import Discretization
from ionc.pipeline import front_end
from ionc.symbolic.derive import DerivedChannel, derive_channel


def show_file(path: Path) -> str:
    model = front_end(path)
    sink = DiagnosticSink()
    blocks = [_channel_text(derive_channel(lower_channel(c), sink)) for c in model.channels]
    sink.check()
    return "\n\n".join(blocks)


def lay_out_cells(model: ir.Model) -> dict[str, Discretization]:
    """Every cell's compartments; a layout error (E501) raised here."""
    from ionc.lower import lay_out

    return {cell.name.text: lay_out(cell) for cell in model.cells}


def show_morphology(path: Path) -> str:
    """The discretisation report of every cell in the model."""
    layouts = lay_out_cells(front_end(path))
    reports = [f"cell {name}\n{layout.report()}" for name, layout in layouts.items()]
    return "\n".join(reports) if reports else f"{path} declares no cell"


def _channel_text(derived: DerivedChannel) -> str:
    channel = derived.channel
    lines = [f"channel {channel.name}    [{channel.span.location()}]"]
    for parameter in channel.parameters:
        lines.append(f"  {parameter.name} = {parameter.value:g} {parameter.unit}")
    lines.append(f"  temperature factor {derived.phi} = {channel.q10}")
    for gate in derived.gates:
        state = gate.gate.state
        lines.append(f"  gate {gate.gate.name} (power {gate.gate.power})")
        for rate in gate.rates:
            unit = {"inf": "", "tau": "ms"}.get(rate.rate.label, "1/ms")
            lines.append(f"    {rate.rate.symbol} = {rate.rate.expr}    ({unit or 'dimensionless'}, v in mV)")
            for point in rate.singular:
                lines.append(f"      removable singularity at v = {point.at} mV: limit {point.value}, "
                             f"slope {point.slope}")
        lines.append(f"    inf = {gate.inf}")
        lines.append(f"    tau = {gate.tau}    (ms)")
        lines.append(f"    exact update: {state}(t+dt) = {gate.update}")
    lines.append(f"  i = {derived.current}    (uA/cm2)")
    lines.append(f"  di/dv = {sp.simplify(derived.conductance)}    (mS/cm2)")
    return "\n".join(lines)
