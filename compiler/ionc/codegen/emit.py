"""Render the standalone simulation module for one simulation of a model."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from ionc.codegen.context import ChannelView, ParameterView, Temporaries, channel_view, parameter_views
from ionc.codegen.inplace import WorkPool
from ionc.codegen.printer import code
from ionc.codegen.solve_order import SolveOrder, centre_rooted
from ionc.diagnostics import Code, fail
from ionc.ir import lowered as low
from ionc.lower import V
from ionc.morphology import Discretization
from ionc.sema.ions import KNOWN_IONS, concentration_names
from ionc.symbolic.bridge import FARADAY, GAS_CONSTANT, symbol
from ionc.symbolic.derive import DerivedChannel, free_names, renamed

TEMPLATES = Path(__file__).parent / "templates"
RUNTIME = Path(__file__).parent.parent / "runtime" / "standalone.py"
CABLE = Path(__file__).parent.parent / "runtime" / "cable.py"
INLINE_MARKER = "# --- inline below ---\n"

METHOD_UPDATE = {
    "backward_euler": (1, "", "backward Euler: v(t+dt) = v + dv"),
    "crank_nicolson": (2, "2 * ", "Crank-Nicolson: dv solved over dt/2, v(t+dt) = v + 2 dv"),
}


@dataclass(frozen=True, slots=True)
class RecordView:
    site: str
    value: str  # numpy: v[:, 5]
    fused_value: str  # fused loop: v[b, 5]
    v_site: int = -1  # a record of v: its index in V_SITES (the numpy loop gathers them at once)
    state_column: int = -1  # a record of a state: its column in the chunk of recorded states
    stride: int = 1  # steps between samples


def _membrane_lines(views: list[ChannelView]) -> list[str]:
    """Sum the currents and conductances of the channels with gates into i_membrane and
    g_membrane (in place); passive channels are in _passive_rhs and _passive_diagonal."""
    views = [v for v in views if not v.passive and v.current]
    lines: list[str] = []
    for total, kind in (("i_membrane", "i"), ("g_membrane", "g")):
        full = [f"{kind}_{v.name}" for v in views if not v.nodes]
        if not full:
            lines.append(f"{total}.fill(0.0)")
        elif len(full) == 1:
            lines.append(f"np.copyto({total}, {full[0]})")
        else:
            lines.append(f"np.add({full[0]}, {full[1]}, out={total})")
            lines += [f"{total} += {name}" for name in full[2:]]
        lines += [f"{total}[:, NODES_{v.name}] += {kind}_{v.name}" for v in views if v.nodes]
    return lines


@dataclass(frozen=True, slots=True)
class GateGroup:
    """The gates of the channels on one set of nodes, side by side in _S<suffix> (rows:
    states), with their steady states in _INF<suffix> and exponents in _EXP<suffix>: the
    exact step of all of them is one exp() and three in-place operations."""

    suffix: str  # "" for the channels on every node, _<channel> for one on some
    states: list[str]
    size: int
    labels: list[str]  # the states as messages name them: hh_na.m



def _gate_groups(views: list[ChannelView]) -> list[GateGroup]:
    groups: dict[str, GateGroup] = {}
    for view in views:
        if view.states:
            suffix = f"_{view.name}" if view.nodes else ""
            group = groups.setdefault(suffix, GateGroup(suffix, [], view.size, []))
            group.states.extend(view.states)
            group.labels.extend(_state_label(view, state) for state in view.states)
    return list(groups.values())


def _state_label(view: ChannelView, state: str) -> str:
    """hh_na_m -> hh_na.m: a state as the model file names it."""
    return f"{view.name}.{state.removeprefix(view.name + '_')}"


def _state_start(records: list[RecordView]) -> str:
    """The recorded states (not v) at t = 0 side by side, (batch, records)."""
    values = [r.value for r in records if r.v_site < 0]
    return f"np.stack([{', '.join(values)}], axis=-1)" if values else "np.empty((batch, 0))"


def _mechanisms(views: list[ChannelView], pool_ions: list[str]) -> list[tuple[str, str, str]]:
    """(label, array, its nodes) of every state and pool concentration, for blow-up messages."""
    found = [(_state_label(view, state), state, f"NODES_{view.name}" if view.nodes else "None")
             for view in views for state in (*view.states, *view.kinetic_states)]
    return found + [(f"{ion}i", f"{ion}i", "None") for ion in pool_ions]


def _unpack(names: list[str], array: str) -> str:
    """`a, b = array` (`a, = array` for one name): rows of one array as named views."""
    return f"{', '.join(names)}{',' if len(names) == 1 else ''} = {array}"


def _passive_setup(passive: list[tuple[ChannelView, DerivedChannel]], nodes: int) -> list[str]:
    """Channels without gates whose conductance does not depend on v (a leak) add the
    same g and g*e to every step's system: computed once, out of the loop."""
    if not passive:
        return []
    lines = [
        "# passive channels (no gates, conductance independent of v): their part of the implicit",
        "# step is the same every step, computed once: diagonal += area*g, rhs += area*g*e",
        f"_passive_g = np.zeros((batch, {nodes}))",
        f"_passive_ge = np.zeros((batch, {nodes}))",
    ]
    for view, derived in passive:
        where = f"[:, NODES_{view.name}]" if view.nodes else ""
        g, e = code(derived.conductance), code(derived.channel.reversal)
        lines.append(f"_passive_g{where} += {g}  # {view.name}    [{view.origin}]")
        lines.append(f"_passive_ge{where} += ({g}) * ({e})")
    axial = " + axial_sum" if nodes > 1 else ""
    lines.append(f"_passive_diagonal = (area_factor * _passive_g{axial}).astype(DTYPE)")
    lines.append("_passive_rhs = (area_factor * _passive_ge).astype(DTYPE)")
    return lines


def _implicit_step(nodes: int, method: str, stimuli: list[StimulusView], active: bool, passive: bool) -> list[str]:
    """The implicit step of v, in place: (C/dt + G + A) w = (C/dt + G) v + I_stimulus - I_membrane,
    w = v + dv (A: the axial conductances; G, I: the membrane's di/dv and current)."""
    _, v_factor, comment = METHOD_UPDATE[method]
    if nodes == 1:  # (C/dt + G) dv = I_stimulus - I_membrane
        lines = ["np.multiply(area_factor, g_membrane, out=diagonal)", "diagonal += capacitance_over_dt",
                 "np.multiply(i_membrane, minus_area_factor, out=rhs)"]
    elif active:
        lines = ["np.multiply(area_factor, g_membrane, out=diagonal)", "diagonal += capacitance_over_dt",
                 "np.multiply(diagonal, v, out=rhs)", "i_membrane *= area_factor", "rhs -= i_membrane"]
    else:
        lines = ["np.copyto(diagonal, capacitance_over_dt)", "np.multiply(diagonal, v, out=rhs)"]
    if passive:
        lines.append("rhs += _passive_rhs")
    for s in stimuli:
        lines += [f"if {s.name}_any[step - first]:  # stimulus {s.name}",
                  f"    rhs[:, {s.node}] += {s.name}_current * {s.name}_on[step - first]"]
    if passive:
        lines.append("diagonal += _passive_diagonal")
    elif nodes > 1:
        lines.append("diagonal += axial_sum")
    if nodes == 1:  # one node: dv itself, exactly 0 at rest
        return lines + ["rhs /= diagonal  # dv", *(["rhs *= 2.0"] if v_factor else []), f"v += rhs  # {comment}"]
    lines.append("w = solver.solve_scratch(diagonal, rhs)  # w = v + dv, in rhs's array")
    if v_factor:
        lines += ["w *= 2.0", f"w -= v  # {comment}"]
    lines.append(f"v, rhs = w, v  # {'' if v_factor else comment + '; '}the old v's array takes the next rhs")
    return lines


def _work_arrays(views: list[ChannelView], work_pools: dict[str, WorkPool], groups: list[GateGroup], nodes: int,
                 ) -> list[str]:
    """Lines made once before the time loop: every array the loop computes into."""
    lines = [f"i_membrane, g_membrane, diagonal, rhs = np.empty((4, batch, {nodes}), dtype=DTYPE)"]
    for view in (v for v in views if not v.passive):
        if view.nodes:  # v at the channel's nodes, gathered into its own array
            lines.append(f"v_{view.name} = np.empty((batch, {view.size}), dtype=DTYPE)")
        if view.buffers:
            lines.append(_unpack(list(view.buffers), f"np.empty(({len(view.buffers)}, batch, {view.size}), dtype=DTYPE)"))
    for view in views:
        lines += list(view.kinetic_setup)
    for key, pool in work_pools.items():
        size = next(v.size for v in views if v.name == key or (not v.nodes and not key))
        if pool.names():
            lines.append(_unpack(pool.names(), f"np.empty(({pool.size}, batch, {size}), dtype=DTYPE)"))
        lines += [f"{name} = np.empty((batch, {size}), dtype={'DTYPE' if dtype == 'float' else dtype})"
                  for name, dtype in pool.roles.items()]
    for group in groups:
        lines.append(f"_S{group.suffix} = np.stack([{', '.join(group.states)}], dtype=DTYPE)")
        lines.append(_unpack(group.states, f"_S{group.suffix}") + "  # the states are now rows of _S")
        for stack, row in (("_INF", "_inf"), ("_EXP", "_exp")):
            lines.append(f"{stack}{group.suffix} = np.empty(({len(group.states)}, batch, {group.size}), dtype=DTYPE)")
            lines.append(_unpack([f"{row}_{s}" for s in group.states], f"{stack}{group.suffix}"))
    return lines


@dataclass(frozen=True, slots=True)
class ReportView:
    name: str
    start: int  # node
    end: int
    distance_um: float
    start_site: int = -1  # indices in V_SITES
    end_site: int = -1


def _v_sites(records: list[RecordView], reports: list[ReportView]) -> tuple[list[int], list[RecordView],
                                                                           list[ReportView]]:
    """The nodes whose v is recorded or reported, each once, and the views pointing into them."""
    nodes = [int(r.value.split("[:, ")[1].rstrip("]")) for r in records if r.value.startswith("v[")]
    nodes += [n for r in reports for n in (r.start, r.end)]
    sites = list(dict.fromkeys(nodes))
    state_records = [r for r in records if not r.value.startswith("v[")]
    records = [dataclasses.replace(r, v_site=sites.index(int(r.value.split("[:, ")[1].rstrip("]"))))
               if r.value.startswith("v[") else dataclasses.replace(r, state_column=state_records.index(r))
               for r in records]
    reports = [dataclasses.replace(r, start_site=sites.index(r.start), end_site=sites.index(r.end)) for r in reports]
    return sites, records, reports


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
    cm: list[float]
    parent: list[int]
    g_axial: list[float]
    channel_nodes: list[tuple[str, list[int]]]
    segments: list[tuple[str, list[int]]]
    per_node_parameters: list[str]
    membrane_lines: list[str]
    ion_currents: list[str]
    pool_writes: list[str]
    passive_setup: list[str]
    implicit_step: list[str]
    work_arrays: list[str]
    gate_groups: list[GateGroup]
    path_nodes: list[int]
    distance: list[float]
    parameters: list[ParameterView]
    channels: list[ChannelView]
    stimuli: list[StimulusView]
    v_sites: list[int]
    records: list[RecordView]
    state_records: int  # how many records are of states other than v
    state_start: str  # those states at t = 0, (batch, state_records)
    mechanisms: list[tuple[str, str, str]]  # (label, array, nodes) of every state, for messages
    reports: list[ReportView]
    runtime: str
    imports: Imports
    cable: str
    section_names: list[str]
    node_section: list[int]
    node_x: list[float]
    backend: str
    fused_args: list[tuple[str, str]]  # (parameter of _fused_loop, what simulate() passes)
    fused_per_call: int = 4  # how many of them change from call to call (first, last and the chunks)
    fused_update: str
    tables: bool
    dtype: str  # of the arrays of the time loop
    solve_order: SolveOrder | None  # the fused loop's elimination order (numba, cables)


def array_literal(values: list[float] | list[int]) -> str:
    """A Python list literal wrapped at 100 columns, so generated modules stay readable."""
    items = [json.dumps(v) for v in values]
    if sum(len(i) + 2 for i in items) <= 80:
        return "[" + ", ".join(items) + "]"
    lines = textwrap.wrap(", ".join(items), width=96, break_on_hyphens=False)
    return "[\n" + "\n".join(f"    {line}" for line in lines) + "\n]"


def _environment() -> jinja2.Environment:
    environment = _new_environment()
    environment.filters["array_literal"] = array_literal
    return environment


def _new_environment() -> jinja2.Environment:
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
        ParameterView("cell.v_init", "v_init", cell.v_init, "mV", origin),
    ]
    views += [ParameterView(f"reversal.{ion}", f"e_{ion}", value, "mV", origin) for ion, value in cell.reversals]
    return views


def _carried(channel: low.Channel) -> set[str]:
    """The ions whose current the channel carries."""
    return {ion for ion, _ in channel.shares} or ({channel.ion} if channel.ion else set())


def _pool_lines(views: list[ChannelView], channels: dict[str, DerivedChannel], pool_ions: list[str],
                nernst: set[str], cell: low.Cell) -> tuple[list[str], list[str]]:
    """(after the currents: each pool ion's current density summed per node; after the
    gates: each pool's concentration written back per node, and its Nernst potential)."""
    currents: list[str] = []
    writes: list[str] = []
    for ion in pool_ions:
        currents.append(f"i{ion}.fill(0.0)  # the {ion} current density at each node, read by its pools")
        for view in views:
            channel = channels[view.name].channel
            where = f"[:, NODES_{view.name}]" if view.nodes else ""
            shares = dict(channel.shares)
            if ion in shares:  # its share: g * share * (v - e_ion) = share * (i + g * (e - e_ion))
                e_ion = next(str(s) for s in channel.reversal.free_symbols if str(s).startswith(f"e_{ion}"))
                currents.append(f"i{ion}{where} += {shares[ion]!r} * (i_{view.name} + g_{view.name} * "
                                f"(({code(channel.reversal)}) - {e_ion}))")
            elif channel.ion == ion and not channel.pool:
                currents.append(f"i{ion}{where} += i_{view.name}")
        for view in views:
            channel = channels[view.name].channel
            if channel.pool and channel.ion == ion:
                state = view.states[0]
                writes.append(f"{ion}i[:, NODES_{view.name}] = {state}" if view.nodes
                              else f"np.copyto({ion}i, {state})  # pool {view.name}")
        if ion in nernst:
            writes.append(f"np.copyto(e_{ion}, {_nernst(cell, ion)})  # Nernst again, with the new {ion}i")
    return currents, writes


def _per_node_concentrations(pool_ions: list[str], nodes: int) -> list[str]:
    """An ion with a pool has its inside concentration and current density per node."""
    lines = []
    for ion in pool_ions:
        lines += [f"# {ion}i changes where a pool is inserted: one value per node; i{ion} feeds the pool",
                  f"{ion}i = np.broadcast_to({ion}i, (batch, {nodes})).astype(DTYPE)",
                  f"i{ion} = np.zeros((batch, {nodes}), dtype=DTYPE)"]
    return lines


def _cell_ions(cell: low.Cell) -> list[str]:
    """The ions whose concentrations a channel of this cell may read: ionc's and the cell's."""
    return list(dict.fromkeys([*KNOWN_IONS, *(ion.name for ion in cell.ions)]))


def _nernst(cell: low.Cell, ion: str) -> str:
    """RT/(zF) ln(outside/inside) in mV, as code, with the cell's valence for the ion (ionc's
    if undeclared): the one expression every Nernst potential of a module is computed with."""
    declared = {i.name: i.valence for i in cell.ions}
    valence = declared.get(ion) or KNOWN_IONS[ion].valence
    factor = 1000 * float(GAS_CONSTANT) / (valence * float(FARADAY))  # mV/K
    return f"{factor!r} * T * np.log({ion}o / {ion}i)"


def _regional_ion(cell: low.Cell, disc: Discretization, ion: str, origin: str
                  ) -> tuple[list[ParameterView], list[str], list[int]]:
    """An ion declared per region (`ion ca on terminal { ... }`): its concentrations and reversal
    potential one value per node, from the block covering the node (a whole-cell block, then
    the regional ones over it; nodes no block covers: NEURON's default concentrations and no
    reversal potential). Returns the parameters (`ion.ca.inside@terminal`, ...), the lines, and
    each node's block (+1; 0: none) for SEGMENT_ion_<ion>."""
    blocks = sorted((i for i in cell.ions if i.name == ion), key=lambda i: bool(i.regions))
    segment = np.zeros(disc.n, dtype=int)
    for k, block in enumerate(blocks, start=1):
        regions = [disc.regions.index(r) for r in block.regions if r in disc.regions]
        segment[np.isin(disc.region_index, regions) if block.regions else slice(None)] = k
    defaults = KNOWN_IONS.get(ion)
    parameters: list[ParameterView] = []
    parts: dict[str, list[str]] = {"inside": [], "outside": [], "reversal": []}
    for k, block in enumerate(blocks, start=1):
        where = "+".join(block.regions) or "all"
        for side in ("inside", "outside"):
            var = f"_{ion}{side[0]}_{k}"
            parameters.append(ParameterView(f"ion.{ion}.{side}@{where}", var, getattr(block, side), "mM", origin))
            parts[side].append(var)
        if block.fixed is not None:
            var = f"_e_{ion}_{k}"
            parameters.append(ParameterView(f"reversal.{ion}@{where}", var, block.fixed, "mV", origin))
            parts["reversal"].append(var)
        else:
            parts["reversal"].append("np.nan")
    default_i, default_o = (repr(defaults.inside_mM), repr(defaults.outside_mM)) if defaults else ("np.nan", "np.nan")
    nernst = [k for k, block in enumerate(blocks, start=1) if block.reversal == "nernst"]
    spread = f"[:, SEGMENT_ion_{ion}].astype(DTYPE)"
    lines = [
        f"# ion {ion}: declared per region, so one value per node (SEGMENT_ion_{ion}: each node's block)",
        f"{ion}i = np.hstack(np.broadcast_arrays({default_i}, {', '.join(parts['inside'])})){spread}",
        f"{ion}o = np.hstack(np.broadcast_arrays({default_o}, {', '.join(parts['outside'])})){spread}",
        f"e_{ion} = np.hstack(np.broadcast_arrays(np.nan, {', '.join(parts['reversal'])})){spread}",
    ]
    if nernst:
        lines += [f"_nernst_{ion} = np.isin(SEGMENT_ion_{ion}, {nernst})  # the nodes whose e_{ion} is Nernst's",
                  f"np.copyto(e_{ion}, {_nernst(cell, ion)}, where=_nernst_{ion})"]
    return parameters, lines, [int(k) for k in segment]


def _regional_nernst_again(cell: low.Cell, ion: str) -> list[str]:
    """After a pool step: Nernst again, where the ion's reversal follows its concentrations."""
    if not any(i.name == ion and i.reversal == "nernst" for i in cell.ions):
        return []
    return [f"np.copyto(e_{ion}, {_nernst(cell, ion)}, where=_nernst_{ion})"]


def _ion_parameters(cell: low.Cell, reads: set[str], origin: str, regional: set[str]
                    ) -> tuple[list[ParameterView], list[str]]:
    """Concentrations the channels read (cai, cao, ...) as parameters (`ion.ca.inside`, mM), and
    the Nernst potentials of the ions whose reversal follows them (computed per run); the ions
    declared per region are `_regional_ion`'s."""
    names = concentration_names(_cell_ions(cell))
    read = {name for name in reads if name in names and names[name][0] not in regional}
    declared = {ion.name: ion for ion in cell.ions}
    nernst = {ion.name for ion in cell.ions if ion.reversal == "nernst" and f"e_{ion.name}" in reads
              and ion.name not in regional}
    wanted = sorted({names[name][0] for name in read} | nernst)
    parameters: list[ParameterView] = []
    lines: list[str] = []
    for name in wanted:
        ion = declared.get(name)
        defaults = KNOWN_IONS.get(name)
        inside = ion.inside if ion else defaults.inside_mM if defaults else 0.0
        outside = ion.outside if ion else defaults.outside_mM if defaults else 0.0
        parameters += [ParameterView(f"ion.{name}.inside", f"{name}i", inside, "mM", origin),
                       ParameterView(f"ion.{name}.outside", f"{name}o", outside, "mM", origin)]
        if ion is not None and name in nernst:
            lines.append(f"e_{name} = {_nernst(cell, name)}  # Nernst: RT/zF ln(co/ci), mV")
    return parameters, lines


def _stimulus_parameters(stimulus: low.Stimulus, origin: str) -> list[ParameterView]:
    return [
        ParameterView(f"{stimulus.name}.delay", f"{stimulus.name}_delay", stimulus.delay, "ms", origin, False),
        ParameterView(f"{stimulus.name}.duration", f"{stimulus.name}_duration", stimulus.duration, "ms", origin,
                      False),
        ParameterView(f"{stimulus.name}.amplitude", f"{stimulus.name}_amplitude", stimulus.amplitude, "nA", origin),
    ]


@dataclass(frozen=True, slots=True)
class Imports:
    """The generated module's import block, grouped and sorted as ruff (isort) wants it."""

    standard: list[str]
    third_party: list[str]


def _imports(cable_imports: list[str], backend: str) -> Imports:
    lines = ["import argparse", "import json", "import sys", "import time", "from typing import Any",
             "import numpy as np", *cable_imports]
    if backend == "numba":
        lines += ["import math", "import numba"]

    def module(line: str) -> str:
        return line.split()[1].split(".")[0]

    def order(line: str) -> tuple[bool, str]:
        return line.startswith("from "), line.split()[1]

    standard = sorted((x for x in lines if module(x) in sys.stdlib_module_names), key=order)
    third = sorted((x for x in lines if module(x) not in sys.stdlib_module_names), key=order)
    return Imports(standard, third)


def cable_source() -> tuple[str, str]:
    """runtime/cable.py for modules with more than one node: (its imports, the rest)."""
    text = CABLE.read_text(encoding="utf-8")
    body = text.split('"""', 2)[2].strip().splitlines()
    imports = [line for line in body if line.startswith(("import ", "from ")) and "numpy as np" not in line]
    rest = [line for line in body if not line.startswith(("import ", "from "))]
    code = "# ---- the cable solver (ionc/runtime/cable.py)\n" + "\n".join(rest).strip() + "\n"
    return "\n".join(imports), code


def _channel_nodes(placement: low.Placement, disc: Discretization) -> np.ndarray:
    """Nodes with membrane in the placement's regions."""
    regions = [disc.regions.index(r) for r in placement.regions if r in disc.regions]
    mask = np.isin(disc.region_index, regions) & (disc.area_um2 > 0)
    return np.flatnonzero(mask)


def _locate(disc: Discretization, section: str, x: float) -> int:
    return disc.locate(section, x)


def _record_view(record: low.Record, disc: Discretization, nodes: dict[str, np.ndarray]) -> RecordView:
    value = _record_value(record, disc, nodes)
    array, index = value.split("[:, ")
    fused = f"v[b, {index}" if array == "v" else f"S_{array}[b, {index}"
    return RecordView(record.site, value, fused, stride=record.stride)


def _record_value(record: low.Record, disc: Discretization, nodes: dict[str, np.ndarray]) -> str:
    node = _locate(disc, record.section, record.x)
    if record.variable == ("v",):
        return f"v[:, {node}]"
    channel = record.variable[0]
    where = np.flatnonzero(nodes[channel] == node)
    if where.size == 0:
        raise fail(Code.E205, f"cannot record {'.'.join(record.variable)} at {record.site.split('@')[1]}: "
                   f"channel {channel} is not inserted there", None)
    return f"{'_'.join(record.variable)}[:, {int(where[0])}]"


def _check_generated_names(parameters: list[ParameterView], views: list[ChannelView]) -> None:
    """Two things with one name in the generated code (channel `a` with parameter `b_c`
    and channel `a_b` with parameter `c`) would silently share a variable."""
    seen: dict[str, str] = {}
    names = [(p.var, p.key) for p in parameters]
    names += [(s, f"{v.name} state") for v in views for s in (*v.states, *v.kinetic_states)]
    for name, what in names:
        if name in seen and seen[name] != what:
            raise fail(Code.E206, f"'{seen[name]}' and '{what}' would both be '{name}' in the generated code; "
                       "rename one", None)
        seen[name] = what


def _check_tables_possible(per_node: list[str], views: list[ChannelView]) -> None:
    """A table is one function of v: a gate parameter that differs between regions has none."""
    varying = {line.split(" = ", 1)[0] for line in per_node}
    for view in views:
        built = " ".join(view.table_build)
        clash = sorted(name for name in varying & set(view.inputs) if name in built)
        if clash:
            raise fail(Code.E303, f"tables = on: '{clash[0]}' differs between regions, so the gates of "
                       f"{view.name} have no single table; give it one value or run without tables", None)


def _fused_args(nodes: int, views: list[ChannelView], simulation: low.Simulation, tables: bool) -> list[tuple[str, str]]:
    """The fused loop's parameters and the values simulate() passes, listed once for both templates."""
    cable = nodes > 1
    args = [
        # the first four change from call to call (simulate() passes the rest once made: fused_inputs)
        ("first", "first"), ("last", "last"), ("v_chunk", "_v_chunk"), ("state_chunk", "_state_chunk"),
        ("dt", "dt"), ("v", "v"), ("v_sane", "V_SANE_MV"),
        ("block", f"max(1, FUSED_BLOCK_NODES // {nodes})"),
        ("capacitance_over_dt", f"_full(capacitance_over_dt, batch, {nodes})"),
        ("area_factor", "area_factor[0]"),
    ]
    if cable:
        # in float64 like SOLVE_G_US (also with precision = single): each row of the system sums to
        # its membrane part only if the diagonal's axial sum and the off-diagonals agree
        args += [("solve_order", "SOLVE_ORDER"), ("solve_parent", "SOLVE_PARENT"), ("solve_g", "SOLVE_G_US"),
                 ("axial_sum", "axial_diagonal(PARENT, G_AXIAL_US)")]
    else:
        args.append(("axial_sum", "np.zeros(1)"))
    for view in views:
        if view.nodes:  # on some nodes only: where each node's values are, -1 where absent
            args.append((f"slot_{view.name}", f"_slots(NODES_{view.name}, {nodes})"))
        args += [(f"S_{state}", state) for state in view.states]
        args += [(f"in_{view.name}_{name}", f"_full({name}, batch, {view.size})") for name in view.inputs]
    for stimulus in simulation.stimuli:
        args += [(f"{stimulus.name}_{part}", f"_full({stimulus.name}_{part}, batch, 1)[:, 0]")
                 for part in ("amplitude", "delay", "end")]
    if tables:
        args += [("table_v0", "TABLE_V0"), ("table_dv", "TABLE_DV"), ("table_n", "TABLE_N")]
        for view in views:
            for state in view.states:
                args += [(f"_tab_{kind}_{state}", f"_tab_{kind}_{state}")
                         for kind in ("inf", "dinf", "decay", "ddecay")]
    return args


def _by_channel(placements: tuple[low.Placement, ...]) -> dict[str, list[low.Placement]]:
    grouped: dict[str, list[low.Placement]] = {}
    for placement in placements:
        grouped.setdefault(placement.channel.name, []).append(placement)
    return grouped


def _channel_parameters(placements: list[low.Placement], name: str) -> tuple[list[ParameterView], list[str]]:
    """One PARAMETERS entry per value, and the lines that spread region values over nodes.

    A parameter with the same value in every region where the channel is inserted is
    one entry (hh_na.gbar); one that differs gets an entry per insert
    (hh_na.gbar@soma, hh_na.gbar@axon), combined per node with SEGMENT_<channel>.
    """
    channel = placements[0].channel
    views: list[ParameterView] = []
    lines: list[str] = []
    for parameter in channel.parameters:
        values = [dict(p.values)[parameter.name] for p in placements]
        if len(set(values)) == 1:
            views += parameter_views(channel, {parameter.name: values[0]}, only=parameter.name)
            continue
        parts = []
        for k, (placement, value) in enumerate(zip(placements, values, strict=True)):
            key = f"{name}.{parameter.name}@{'+'.join(placement.regions)}"
            var = f"_{parameter.symbol}_{k}"
            views.append(ParameterView(key, var, value, parameter.unit, parameter.span.location().rsplit(":", 1)[0]))
            parts.append(var)
        lines.append(f"{parameter.symbol} = np.hstack(np.broadcast_arrays({', '.join(parts)}))[:, SEGMENT_{name}]")
    return views, lines


def _longest_path(disc: Discretization) -> list[int]:
    """Nodes from the root to the node farthest from it, root first."""
    node = int(np.argmax(disc.distance_um))
    path = []
    while node >= 0:
        path.append(node)
        node = int(disc.parent[node])
    return path[::-1]


def _report_view(report: low.Report, disc: Discretization) -> ReportView:
    start, end = _locate(disc, *report.start), _locate(disc, *report.end)
    return ReportView(report.name, start, end, _path_length(disc, start, end))


def _path_length(disc: Discretization, a: int, b: int) -> float:
    """Length of cable between two nodes: through their nearest common ancestor."""
    ancestors = set()
    node = a
    while node >= 0:
        ancestors.add(node)
        node = int(disc.parent[node])
    common = b
    while common not in ancestors:
        common = int(disc.parent[common])
    d = disc.distance_um
    return float(d[a] + d[b] - 2 * d[common])


BACKENDS = ("numpy", "numba")


def module_view(
    simulation: low.Simulation, channels: dict[str, DerivedChannel], version: str, module_file: str,
    backend: str = "numpy",
) -> ModuleView:
    cell = simulation.cell
    disc = cell.morphology
    temporaries = Temporaries()
    work_pools: dict[str, WorkPool] = {}  # work arrays per node set (not concentration pools)
    origin = simulation.source
    parameters = _cell_parameters(cell, origin)
    views = []
    nodes: dict[str, np.ndarray] = {}
    per_node: list[str] = []
    segments: list[tuple[str, list[int]]] = []
    placed = _by_channel(cell.placements)
    as_read: dict[str, DerivedChannel] = {}
    pool_ions = sorted({ion for n in placed if channels[n].channel.pool and (ion := channels[n].channel.ion)})
    regional = sorted({ion.name for ion in cell.ions if ion.regions})  # `ion X on REGIONS`
    nernst_ions = {ion.name for ion in cell.ions if ion.reversal == "nernst" and ion.name not in regional}
    per_node_names = {f"{ion}i" for ion in pool_ions} | {f"i{ion}" for ion in pool_ions}
    per_node_names |= {f"e_{ion}" for ion in pool_ions if ion in nernst_ions}
    per_node_names |= {name for ion in regional for name in (f"{ion}i", f"{ion}o", f"e_{ion}")}
    if pool_ions and simulation.tables:
        raise fail(Code.E303, "tables = on does not cover concentration pools (a pool's equation and the gates "
                   "that read its concentration are not functions of v alone): run without tables", None)
    if pool_ions and backend == "numba":
        raise fail(Code.E303, f"concentration pools ({', '.join(n for n in placed if channels[n].channel.pool)}) "
                   "run with the numpy backend only, for now: use --backend numpy", None)
    kinetic = [n for n in placed if channels[n].kinetic is not None]
    if kinetic and backend == "numba":
        raise fail(Code.E303, f"kinetic schemes ({', '.join(kinetic)}) run with the numpy backend only, for now: "
                   "use --backend numpy", None)
    reads = {name for n in placed for name in free_names(channels[n])}
    gathered: list[str] = []
    for name, placements in placed.items():
        node_sets = [_channel_nodes(p, disc) for p in placements]
        order = np.argsort(np.concatenate(node_sets), kind="stable")
        nodes[name] = np.concatenate(node_sets)[order]
        segment = np.concatenate([np.full(s.size, k) for k, s in enumerate(node_sets)])[order]
        index = "" if nodes[name].size == disc.n else f"[:, NODES_{name}]"
        # channels on every node share work arrays; one on some nodes has its own
        pool = work_pools.setdefault("" if not index else name, WorkPool("" if not index else f"_{name}"))
        derived, gathers = channels[name], tuple[str, ...]()
        own = sorted(per_node_names & free_names(derived))
        if index and own:  # on some nodes: per-node values gathered to its nodes, under its own names
            derived = renamed(derived, {symbol(x): symbol(f"{x}_{name}") for x in own})
            gathers = tuple(f"np.take({x}, NODES_{name}, axis=1, out={x}_{name})" for x in own)
            gathered += [f"{x}_{name} = {x}[:, NODES_{name}].copy()" for x in own]
        starts_at = None
        if derived.channel.pool:
            source = f"{derived.channel.ion}i"
            starts_at = f"{source}[:, NODES_{name}]" if index else source
        view = channel_view(derived, index, temporaries, pool, simulation.tables, backend == "numba", starts_at)
        view = dataclasses.replace(view, gathers=gathers)
        # Folding a leak into constants trades exactness at rest for fewer operations: a cable's
        # step (w = v + dv solved directly) is not exact at rest anyway; a point cell's
        # dv = -I/G is, and keeps it.
        passive = (disc.n > 1 and not channels[name].gates and channels[name].kinetic is None
                   and V not in channels[name].conductance.free_symbols
                   and not _carried(channels[name].channel) & set(pool_ions))  # a pool needs its ion's current
        views.append(dataclasses.replace(view, size=int(nodes[name].size), passive=passive))
        as_read[name] = derived  # under the names it reads (cai_<channel> on some nodes)
        found, lines = _channel_parameters(placements, name)
        parameters += found
        if lines:
            per_node += lines
            segments.append((name, [int(k) for k in segment]))
    pool_lines = _pool_lines(views, as_read, pool_ions, {i for i in nernst_ions if f"e_{i}" in reads}, cell)
    found, nernst = _ion_parameters(cell, reads | {f"{ion}i" for ion in pool_ions}, origin, set(regional))
    parameters += found
    for ion in regional:
        found, lines, ion_segment = _regional_ion(cell, disc, ion, origin)
        parameters += found
        nernst += lines
        segments.append((f"ion_{ion}", ion_segment))
        pool_lines[1].extend(_regional_nernst_again(cell, ion) if ion in pool_ions else [])
    per_node = _per_node_concentrations(pool_ions, disc.n) + nernst + gathered + per_node
    for stimulus in simulation.stimuli:
        parameters += _stimulus_parameters(stimulus, origin)
    _check_generated_names(parameters, views)
    if simulation.tables:
        _check_tables_possible(per_node, views)
    lines = [*per_node, *pool_lines[0], *pool_lines[1]]
    lines += [x for v in views for x in (*v.constants, *v.init, *v.current, *v.advance, *v.fused_current,
                                         *v.fused_advance, *v.inputs, *v.table_build, *v.table_curvature,
                                         *v.table_step, *v.table_rows, *v.kinetic_setup, *v.kinetic_advance)]
    if not re.search(r"(?<![.\w])T\b", "\n".join(lines)):  # a model without temperature dependence
        parameters = [dataclasses.replace(p, read=False) if p.var == "T" else p for p in parameters]
    cj_factor, v_factor, comment = METHOD_UPDATE[simulation.method]
    stimuli = [StimulusView(s.name, _locate(disc, s.section, s.x)) for s in simulation.stimuli]
    v_sites, records, reports = _v_sites(
        [_record_view(r, disc, nodes) for r in simulation.records], [_report_view(r, disc) for r in simulation.reports]
    )
    gate_groups = _gate_groups(views)
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
        nodes=disc.n,
        area=[float(a) for a in disc.area_um2],
        cm=[float(c) for c in disc.cm_uF_cm2],
        parent=[int(p) for p in disc.parent],
        g_axial=[float(g) for g in disc.g_axial_uS],
        path_nodes=(path := _longest_path(disc)),
        distance=[float(d) for d in disc.distance_um[path]],
        membrane_lines=_membrane_lines(views),
        ion_currents=pool_lines[0],
        pool_writes=pool_lines[1],
        passive_setup=_passive_setup([(v, as_read[v.name]) for v in views if v.passive], disc.n),
        implicit_step=_implicit_step(
            disc.n, simulation.method, stimuli, any(not v.passive for v in views), any(v.passive for v in views)),
        work_arrays=_work_arrays(views, work_pools, gate_groups, disc.n),
        gate_groups=gate_groups,
        segments=segments,
        per_node_parameters=per_node,
        channel_nodes=[(name, [int(i) for i in idx]) for name, idx in nodes.items() if idx.size != disc.n],
        parameters=parameters,
        channels=views,
        stimuli=stimuli,
        v_sites=v_sites,
        records=records,
        state_records=sum(r.v_site < 0 for r in records),
        state_start=_state_start(records),
        mechanisms=_mechanisms(views, pool_ions),
        reports=reports,
        runtime=runtime_source(),
        imports=_imports(cable_source()[0].splitlines() if disc.n > 1 else [], backend),
        cable=cable_source()[1] if disc.n > 1 else "",
        section_names=[s.name for s in disc.morphology.sections],
        node_section=[int(k) for k in disc.section_index],
        node_x=[round(float(x), 6) for x in disc.x],
        backend=backend,
        fused_args=_fused_args(disc.n, views, simulation, tables=simulation.tables) if backend == "numba" else [],
        tables=simulation.tables,
        dtype={"double": "np.float64", "single": "np.float32"}[simulation.precision],
        fused_update="2.0 * rhs[k] - v[b, k]" if v_factor else "rhs[k]",
        solve_order=centre_rooted(disc.parent, disc.g_axial_uS) if backend == "numba" and disc.n > 1 else None,
    )


def render_module(view: ModuleView) -> str:
    return _environment().get_template("module.py.j2").render(m=view)
