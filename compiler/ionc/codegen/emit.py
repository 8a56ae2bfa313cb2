"""Render the standalone simulation module for one simulation of a model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ionc.codegen.context import ChannelView, ParameterView, Temporaries, channel_view, parameter_views
from ionc.diagnostics import Code, fail
from ionc.ir import lowered as low
from ionc.symbolic.derive import DerivedChannel

TEMPLATES = Path(__file__).parent / "templates"
RUNTIME = Path(__file__).parent.parent / "runtime" / "standalone.py"
INLINE_MARKER = "# --- inline below ---\n"

METHOD_UPDATE = {
    "backward_euler": (1, "", "backward Euler: v(t+dt) = v + dv"),
    "crank_nicolson": (2, "2 * ", "Crank-Nicolson: dv solved over dt/2, v(t+dt) = v + 2 dv"),
}


@dataclass(frozen=True, slots=True)
class RecordView:
    site: str
    value: str


@dataclass(frozen=True, slots=True)
class StimulusView:
    name: str
    node: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleView:
    title: str
    version: str
    source: str
    simulation: str
    module_file: str
    method: str
    method_comment: str
    cj_factor: int
    v_factor: str
    dt: float
    duration: float
    n_steps: int
    nodes: int
    area: list[float]
    parent: list[int]
    g_axial: list[float]
    parameters: list[ParameterView]
    channels: list[ChannelView]
    stimuli: list[StimulusView]
    records: list[RecordView]
    runtime: str


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def runtime_source() -> str:
    text = RUNTIME.read_text(encoding="utf-8")
    inline = text.split(INLINE_MARKER, 1)[1]
    return inline.split('\nif __name__ == "__main__":')[0].strip() + "\n"


def _cell_parameters(cell: low.Cell, origin: str) -> list[ParameterView]:
    views = [
        ParameterView("cell.temperature", "T", cell.temperature, "K", origin),
        ParameterView("cell.cm", "cm", cell.cm, "uF/cm2", origin),
        ParameterView("cell.v_init", "v_init", cell.v_init, "mV", origin),
    ]
    views += [ParameterView(f"reversal.{ion}", f"e_{ion}", value, "mV", origin) for ion, value in cell.reversals]
    return views


def _stimulus_parameters(stimulus: low.Stimulus, origin: str) -> list[ParameterView]:
    return [
        ParameterView(f"{stimulus.name}.delay", f"{stimulus.name}_delay", stimulus.delay, "ms", origin),
        ParameterView(f"{stimulus.name}.duration", f"{stimulus.name}_duration", stimulus.duration, "ms", origin),
        ParameterView(f"{stimulus.name}.amplitude", f"{stimulus.name}_amplitude", stimulus.amplitude, "nA", origin),
    ]


def _single_compartment(cell: low.Cell) -> float:
    if len(cell.sections) != 1 or cell.sections[0].compartments != 1:
        raise fail(Code.E501, "only single-compartment cells are supported so far", None)
    section = cell.sections[0]
    return math.pi * section.diameter * section.length


def _record_value(record: low.Record) -> str:
    if record.variable == ("v",):
        return "v[:, 0]"
    return f"{'_'.join(record.variable)}[:, 0]"


def module_view(
    simulation: low.Simulation, channels: dict[str, DerivedChannel], version: str, module_file: str
) -> ModuleView:
    cell = simulation.cell
    area = _single_compartment(cell)
    temporaries = Temporaries()
    origin = simulation.source
    parameters = _cell_parameters(cell, origin)
    views = []
    for placement in cell.placements:
        derived = channels[placement.channel.name]
        views.append(channel_view(derived, "", temporaries))
        parameters += parameter_views(placement.channel, dict(placement.values))
    for stimulus in simulation.stimuli:
        parameters += _stimulus_parameters(stimulus, origin)
    cj_factor, v_factor, comment = METHOD_UPDATE[simulation.method]
    return ModuleView(
        title=f"{cell.name}: simulation {simulation.name}",
        version=version,
        source=simulation.source,
        simulation=simulation.name,
        module_file=module_file,
        method=simulation.method,
        method_comment=comment,
        cj_factor=cj_factor,
        v_factor=v_factor,
        dt=simulation.dt,
        duration=simulation.duration,
        n_steps=round(simulation.duration / simulation.dt),
        nodes=1,
        area=[area],
        parent=[-1],
        g_axial=[0.0],
        parameters=parameters,
        channels=views,
        stimuli=[StimulusView(s.name, 0) for s in simulation.stimuli],
        records=[RecordView(r.site, _record_value(r)) for r in simulation.records],
        runtime=runtime_source(),
    )


def render_module(view: ModuleView) -> str:
    return _environment().get_template("module.py.j2").render(m=view)
