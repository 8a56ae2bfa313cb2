"""Stage 3, check: every expression has the dimensions its place requires.

Each check reports through the sink and goes on, so one run shows every
unit mistake in the model.
"""

from __future__ import annotations

from collections.abc import Iterable

from ionc.diagnostics import Code, DiagnosticSink
from ionc.ir import resolved as ir
from ionc.sema import units as u
from ionc.sema.dimensions import CONSTANTS, UNKNOWN, constant_number, expect, infer
from ionc.sema.ions import KNOWN_IONS, REVERSAL_POLICIES, concentration_names
from ionc.syntax import nodes as syn

Scope = dict[str, u.Dimension]

GATE_EQUATIONS = {"alpha": u.RATE, "beta": u.RATE, "inf": u.DIMENSIONLESS, "tau": u.TIME}
CHANNEL_PARAMETERS = {"gbar": u.CONDUCTANCE / u.AREA, "g": u.CONDUCTANCE / u.AREA, "e": u.VOLTAGE,
                      "pbar": u.LENGTH / u.TIME}
ION_BLOCK = {"inside": u.CONCENTRATION, "outside": u.CONCENTRATION, "valence": u.DIMENSIONLESS}
CELL_ATTRS = {"temperature": u.TEMPERATURE, "cm": u.CAPACITANCE / u.AREA, "v_init": u.VOLTAGE,
              "ra": u.RESISTANCE * u.LENGTH, "compartments": u.DIMENSIONLESS, "d_lambda": u.DIMENSIONLESS}
SECTION_ATTRS = {"length": u.LENGTH, "diameter": u.LENGTH, "area": u.AREA, "compartments": u.DIMENSIONLESS,
                 "d_lambda": u.DIMENSIONLESS}
SIMULATION_ATTRS = {"dt": u.TIME, "duration": u.TIME}
STIMULUS_ATTRS = {"delay": u.TIME, "duration": u.TIME, "amplitude": u.CURRENT}
METHODS = ("backward_euler", "crank_nicolson")
PRECISIONS = ("double", "single")
RUNTIME_NAMES = ("v", "T", "celsius")


def channel_scope(channel: ir.ChannelDef, sink: DiagnosticSink) -> Scope:
    """Names visible in a channel's parameters and gates, with their dimensions."""
    scope: Scope = {"v": u.VOLTAGE, "T": u.TEMPERATURE, "celsius": u.DIMENSIONLESS, **CONSTANTS}
    ions = [*KNOWN_IONS, *([channel.ion.text] if channel.ion is not None else [])]
    scope |= {name: u.CONCENTRATION for name in concentration_names(ions)}
    if channel.pool and channel.ion is not None:  # a pool reads its ion's current density (ica)
        scope[f"i{channel.ion.text}"] = u.CURRENT / u.AREA
    for assign in channel.assigns:
        dim = infer(assign.value, scope, sink)
        scope[assign.name.text] = UNKNOWN if dim is None else dim
    return scope


def check(model: ir.Model, sink: DiagnosticSink) -> None:
    for channel in model.channels:
        _check_channel(channel, sink)
    for cell in model.cells:
        _check_cell(cell, sink)
    for simulation in model.simulations:
        _check_simulation(simulation, sink)


def _check_channel(channel: ir.ChannelDef, sink: DiagnosticSink) -> None:
    scope = channel_scope(channel, sink)
    for assign in channel.assigns:
        wanted = CHANNEL_PARAMETERS.get(assign.name.text)
        if wanted is not None and scope[assign.name.text] not in (wanted, UNKNOWN):
            sink.error(Code.E301, f"'{assign.name.text}' must be {u.describe(wanted)}, but this is "
                       f"{u.describe(scope[assign.name.text])}", assign.value.span)
    for q10 in (channel.q10, channel.conductance_q10, *(g.q10 for g in channel.gates)):
        if q10 is not None:
            expect(q10.factor, u.DIMENSIONLESS, "a q10 factor", scope, sink)
            expect(q10.reference, u.TEMPERATURE, "the q10 reference temperature", scope, sink)
    for gate in channel.gates:
        _check_gate(gate, scope, sink)
    if channel.kinetic is not None:
        states = set(channel.kinetic.state_names)
        for reaction in channel.kinetic.reactions:
            _check_reaction(reaction, states, scope, sink)


def _check_reaction(reaction: syn.Reaction, states: set[str], scope: Scope, sink: DiagnosticSink) -> None:
    """Both rates of a reaction are rates (1/time), like a gate's alpha and beta; they may
    read v, T, concentrations and the channel's names, but not the occupancies (the scheme
    is linear in them: that is what makes its step a linear solve)."""
    left, right = reaction.left.text, reaction.right.text
    for rate, what in ((reaction.forward, f"the rate {left} -> {right}"), (reaction.backward,
                                                                          f"the rate {right} -> {left}")):
        read = [name for name in _names(rate) if name.id in states and name.id not in scope]
        for name in read:
            sink.error(Code.E205, f"{what} reads the occupancy of state '{name.id}'", name.span,
                       "rates depend on v, T, concentrations and parameters, never on the states")
        if not read:
            expect(rate, u.RATE, what, scope, sink)


def _names(expr: syn.Expr) -> Iterable[syn.Name]:
    """Every name node of an expression, with its span."""
    if isinstance(expr, syn.Name):
        yield expr
    for child in _children(expr):
        yield from _names(child)


def _check_gate(gate: ir.GateDef, channel_scope: Scope, sink: DiagnosticSink) -> None:
    scope = dict(channel_scope)
    if gate.kind == "ode":
        scope[gate.name.text] = gate.dimension
    for equation in gate.equations:
        name = equation.name.text
        if isinstance(equation, syn.Derivative):
            what = "a gate's rate of change" if gate.dimension == u.DIMENSIONLESS else "a rate of change"
            expect(equation.value, gate.dimension / u.TIME, f"{name}' ({what})", scope, sink)
            continue
        if name in GATE_EQUATIONS:
            expect(equation.value, GATE_EQUATIONS[name], f"'{name}'", scope, sink)
            scope[name] = GATE_EQUATIONS[name]
            continue
        dim = infer(equation.value, scope, sink)
        scope[name] = UNKNOWN if dim is None else dim


def _quiet() -> DiagnosticSink:
    return DiagnosticSink()


def constant_parameters(channel: ir.ChannelDef) -> tuple[str, ...]:
    """Parameters that do not depend on v or temperature: the ones an insert may set."""
    # A default that uses another name (g = 3 * gunit) is derived, not settable: it follows
    # the values it is made of, when they are set or swept.
    ions = [*KNOWN_IONS, *([channel.ion.text] if channel.ion is not None else [])]
    runtime = set(RUNTIME_NAMES) | {a.name.text for a in channel.assigns} | set(concentration_names(ions))
    runtime |= {f"i{ion}" for ion in ions}  # a pool's current density
    return tuple(a.name.text for a in channel.assigns if not set(names_in(a.value)) & runtime)


def names_in(expr: syn.Expr) -> Iterable[str]:
    """Every name an expression reads."""
    if isinstance(expr, syn.Name):
        yield expr.id
    if isinstance(expr, syn.KeywordCall):
        yield "v"  # a rate form is a function of the membrane potential
    for child in _children(expr):
        yield from names_in(child)


def _children(expr: syn.Expr) -> tuple[syn.Expr, ...]:
    if isinstance(expr, syn.Binary):
        return (expr.left, expr.right)
    if isinstance(expr, syn.Negate):
        return (expr.operand,)
    if isinstance(expr, syn.IfExpr):
        return (expr.condition, expr.then, expr.orelse)
    if isinstance(expr, syn.Call):
        return expr.args
    if isinstance(expr, syn.KeywordCall):
        return tuple(a.value for a in expr.args)
    return ()


def _check_ion_block(block: syn.IonBlock, scope: Scope, sink: DiagnosticSink) -> None:
    ion = block.ion.text
    for assign in block.body:
        name = assign.name.text
        if name == "reversal" and isinstance(assign.value, syn.Name) and assign.value.id in REVERSAL_POLICIES:
            continue
        if name == "reversal":
            expect(assign.value, u.VOLTAGE, f"the reversal potential of {ion} (or nernst, or none)", scope, sink)
        elif name in ION_BLOCK:
            expect(assign.value, ION_BLOCK[name], f"'{name}' of ion {ion}", scope, sink)
    valence = next((a for a in block.body if a.name.text == "valence"), None)
    number = constant_number(valence.value) if valence is not None else None
    if valence is not None and (number is None or number.denominator != 1 or number == 0):
        sink.error(Code.E303, f"the valence of {ion} is a whole number other than 0", valence.value.span)


def _check_cell(cell: ir.CellDef, sink: DiagnosticSink) -> None:
    scope: Scope = dict(CONSTANTS)
    _check_attrs(cell.attrs, CELL_ATTRS, scope, sink)
    for reversal in cell.reversals:
        expect(reversal.value, u.VOLTAGE, f"the reversal potential of {reversal.ion.text}", scope, sink)
    for block in cell.ions:
        _check_ion_block(block, scope, sink)
    _check_whole_number(cell.attr("compartments"), sink)
    _check_positive(cell.attr("d_lambda"), sink)
    if cell.attr("compartments") is not None and cell.attr("d_lambda") is not None:
        sink.error(Code.E201, "give a cell 'compartments' or 'd_lambda', not both", cell.name.span)
    for section in cell.sections:
        # A section's properties may use the ones before them: length = compartments * 10 um.
        section_scope = dict(scope)
        for attr in section.attrs:
            _check_attrs((attr,), SECTION_ATTRS, section_scope, sink)
            if isinstance(attr, syn.Assign) and attr.name.text in SECTION_ATTRS:
                section_scope[attr.name.text] = SECTION_ATTRS[attr.name.text]
        _check_positive(section.attr("d_lambda"), sink)
        compartments = section.attr("compartments")
        _check_whole_number(compartments if isinstance(compartments, syn.Assign) else None, sink)
        _check_parent_x(section.attr("parent"), sink)
    for region_attr in cell.region_attrs:
        if region_attr.name.text in CELL_ATTRS:
            expect(region_attr.value, CELL_ATTRS[region_attr.name.text], f"'{region_attr.name.text}'", scope, sink)
    for insert in cell.inserts:
        _check_insert(insert, scope, sink)


def _check_parent_x(parent: syn.Assign | syn.Taper | None, sink: DiagnosticSink) -> None:
    if isinstance(parent, syn.Assign) and isinstance(parent.value, syn.Call) and parent.value.args:
        location = syn.Location(section=parent.value.func, index=None, x=parent.value.args[0], span=parent.span)
        _check_location(location, sink, distances=False)


def _check_positive(assign: syn.Assign | syn.Taper | None, sink: DiagnosticSink) -> None:
    if isinstance(assign, syn.Assign):
        value = constant_number(assign.value)
        if value is None or value <= 0:
            sink.error(Code.E303, f"'{assign.name.text}' must be a positive number", assign.value.span)


def _check_whole_number(assign: syn.Assign | None, sink: DiagnosticSink) -> None:
    if assign is None:
        return
    value = constant_number(assign.value)
    if value is None or value.denominator != 1 or value < 1:
        sink.error(Code.E303, "compartments must be a whole number of at least 1", assign.value.span)


def _check_insert(insert: ir.InsertDef, scope: Scope, sink: DiagnosticSink) -> None:
    channel_dims = channel_scope(insert.channel, _quiet())
    settable = constant_parameters(insert.channel)
    for arg in insert.args:
        name = arg.name.text
        if channel_dims.get(name, UNKNOWN) == UNKNOWN:
            continue
        if name not in settable:
            sink.error(Code.E205, f"'{name}' depends on v or temperature and cannot be set here", arg.name.span)
            continue
        expect(arg.value, channel_dims[name], f"'{name}'", scope, sink)


def _check_attrs(
    assigns: Iterable[syn.Assign | syn.Taper], wanted: dict[str, u.Dimension], scope: Scope, sink: DiagnosticSink
) -> None:
    for assign in assigns:
        name = assign.name.text
        if name not in wanted:
            continue
        if isinstance(assign, syn.Taper):
            if name != "diameter":
                sink.error(Code.E205, f"only the diameter can taper, not '{name}'", assign.name.span)
            expect(assign.start, wanted[name], f"'{name}'", scope, sink)
            expect(assign.end, wanted[name], f"'{name}'", scope, sink)
        else:
            expect(assign.value, wanted[name], f"'{name}'", scope, sink)


def _check_simulation(simulation: ir.SimulationDef, sink: DiagnosticSink) -> None:
    scope: Scope = dict(CONSTANTS)
    _check_attrs(simulation.attrs, SIMULATION_ATTRS, scope, sink)
    tables = simulation.attr("tables")
    if tables is not None and not (isinstance(tables.value, syn.Name) and tables.value.id in ("on", "off")):
        sink.error(Code.E303, "tables is 'on' or 'off'", tables.value.span)
    for attr, known in (("method", METHODS), ("precision", PRECISIONS)):
        assign = simulation.attr(attr)
        if assign is not None and not (isinstance(assign.value, syn.Name) and assign.value.id in known):
            sink.error(Code.E303, f"unknown {attr} '{assign.value.span.text}'", assign.value.span,
                       f"expected one of: {', '.join(known)}")
    for stimulus in simulation.stimuli:
        _check_attrs(stimulus.attrs, STIMULUS_ATTRS, scope, sink)
        _check_location(stimulus.location, sink)
    intervals = {id(r.every): r.every for r in simulation.records if r.every is not None}
    for every in intervals.values():  # one per `record` statement, however many locations it has
        expect(every, u.TIME, "'every'", scope, sink)
    for record in simulation.records:
        _check_location(record.location, sink)
    for report in simulation.reports:
        _check_location(report.start, sink)
        _check_location(report.end, sink)


def _check_location(location: syn.Location, sink: DiagnosticSink, distances: bool = True) -> None:
    """`axon(0.25)`: a fraction of the section; `axon(200 um)`: a distance from its 0 end."""
    if location.x is None:
        return
    dim = infer(location.x, dict(CONSTANTS), sink)
    if dim == u.LENGTH and distances:
        return
    value = constant_number(location.x)
    if value is None or not 0 <= value <= 1:
        sink.error(Code.E303, "a location along a section is a number from 0 to 1, or a distance such as 200 um",
                   location.x.span)
