"""Stage 4, lower: resolved, checked model -> numbers in internal units and sympy.

Each channel becomes an `ir.Channel` of sympy expressions over symbols named
as in generated code; the cell and simulation become plain numbers.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from ionc.diagnostics import Code, fail
from ionc.ir import lowered as low
from ionc.ir import resolved as ir
from ionc.lower_morphology import expand_regions, lower_morphology
from ionc.morphology import Discretization
from ionc.sema import units as u
from ionc.sema.check import constant_parameters
from ionc.sema.ions import KNOWN_IONS, IonDefaults, concentration_names
from ionc.symbolic.bridge import (
    ABSOLUTE_ZERO_CELSIUS,
    FARADAY,
    GAS_CONSTANT,
    Lowerer,
    constant_value,
    finite_float,
    internal_scale,
    symbol,
)
from ionc.symbolic.ghk import ghk_flux
from ionc.syntax import nodes as syn

V = symbol("v")
T = symbol("T")
DEFAULT_METHOD = "crank_nicolson"


def base_lowerer() -> Lowerer:
    """Constants and runtime variables every channel expression may use."""
    values: dict[str, sp.Expr] = {
        "v": V * internal_scale(u.VOLTAGE),
        "T": T,
        "celsius": T - ABSOLUTE_ZERO_CELSIUS,
        "F": FARADAY,
        "R": GAS_CONSTANT,
        "pi": sp.pi,
    }
    from ionc.sema.dimensions import CONSTANTS

    dims = {"v": u.VOLTAGE, "T": u.TEMPERATURE, "celsius": u.DIMENSIONLESS, **CONSTANTS}
    for name in concentration_names():  # cai, cao, nai, ...: per node, in mM
        values[name] = symbol(name) * internal_scale(u.CONCENTRATION)
        dims[name] = u.CONCENTRATION
    return Lowerer(values, dims)


def lower_channel(channel: ir.ChannelDef) -> low.Channel:
    prefix = channel.name.text
    lowerer = base_lowerer()
    if channel.ion is not None and channel.ion.text not in KNOWN_IONS:  # its own concentrations, Xi and Xo
        for name in concentration_names([channel.ion.text]):
            lowerer.define(name, symbol(name) * internal_scale(u.CONCENTRATION), u.CONCENTRATION)
    if channel.pool and channel.ion is not None:  # ica, uA/cm2: the ion's current density at the node
        current = f"i{channel.ion.text}"
        lowerer.define(current, symbol(current) * internal_scale(u.CURRENT / u.AREA), u.CURRENT / u.AREA)
    constants = set(constant_parameters(channel))
    parameters: list[low.Parameter] = []
    for assign in channel.assigns:
        name = assign.name.text
        dim = lowerer.dimension(assign.value)
        if name in constants:
            sym = symbol(f"{prefix}_{name}")
            # A default may use earlier parameters: evaluated with their defaults.
            defaults = {p.symbol: p.value for p in parameters}
            value = finite_float(lowerer.to_internal(assign.value).subs(defaults), assign.value.span)
            parameters.append(low.Parameter(
                name=name, symbol=sym, value=value, unit=u.internal_unit(dim)[0], span=assign.span,
            ))
            lowerer.define(name, sym * internal_scale(dim), dim)
        else:  # a helper that depends on v: substituted where used
            lowerer.define(name, lowerer.si(assign.value), dim)
    gates = tuple(_gate(prefix, gate, lowerer) for gate in channel.gates)
    kinetic = _kinetic(prefix, channel.kinetic, lowerer) if channel.kinetic is not None else None
    ghk = _ghk(channel, lowerer) if channel.ghk else None
    conductance_factor = _temperature_factor(f"{prefix}_{channel.conductance}_q10", channel.conductance_q10, lowerer)
    scale = conductance_factor[0] if conductance_factor is not None else sp.Integer(1)
    if channel.pool:  # no current: conductance and reversal 0
        return low.Channel(name=prefix, ion=channel.ion.text if channel.ion else None, parameters=tuple(parameters),
                           gates=gates, conductance=sp.Integer(0), reversal=sp.Integer(0), q10=sp.Integer(1),
                           span=channel.span, pool=True)
    reversal = _internal(lowerer, "e") if "e" in lowerer.values else symbol(f"e_{channel.ion.text if channel.ion else 'leak'}")
    if channel.shares:  # sum over ions of share * (v - e_ion) = v - (sum of share * e_ion): one ohmic current
        reversal = sp.Add(*(sp.Rational(share) * symbol(f"e_{ion.text}") for ion, share in channel.shares))
    return low.Channel(
        name=prefix,
        ion=channel.ion.text if channel.ion else None,
        parameters=tuple(parameters),
        gates=gates,
        conductance=_internal(lowerer, channel.conductance) * scale,
        reversal=reversal,
        q10=_q10(channel, lowerer),
        span=channel.span,
        ghk=ghk * scale if ghk is not None else None,
        conductance_factor=conductance_factor,
        shares=tuple((ion.text, float(share)) for ion, share in channel.shares),
        kinetic=kinetic,
    )


def _ghk(channel: ir.ChannelDef, lowerer: Lowerer) -> sp.Expr:
    """The GHK current density per open fraction, uA/cm2, from pbar and the ion's concentrations."""
    assert channel.ion is not None, "resolve requires an ion for pbar"
    ion = channel.ion.text
    if ion not in KNOWN_IONS:
        raise fail(Code.E204, f"a GHK flux of ion '{ion}' needs its valence; ionc knows "
                   f"{', '.join(KNOWN_IONS)}", channel.ion.span)
    flux = ghk_flux(lowerer.values["pbar"], KNOWN_IONS[ion].valence, lowerer.values[f"{ion}i"],
                    lowerer.values[f"{ion}o"], lowerer.values["v"], T, FARADAY, GAS_CONSTANT)
    return flux / internal_scale(u.CURRENT / u.AREA)


def _internal(lowerer: Lowerer, name: str) -> sp.Expr:
    """A channel-level name's value (a parameter symbol or a helper's expression), internal units."""
    return lowerer.values[name] / internal_scale(lowerer.dims[name])


def _q10(channel: ir.ChannelDef, lowerer: Lowerer) -> sp.Expr:
    return sp.Integer(1) if channel.q10 is None else _q10_factor(channel.q10, lowerer)


def _q10_factor(q10: syn.Q10, lowerer: Lowerer) -> sp.Expr:
    """Q ^ ((T - TREF) / 10 K), in T; Q a positive, finite number (a fuzzed `log(0)` was not)."""
    factor = lowerer.to_internal(q10.factor)
    if factor.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or factor.is_positive is False:
        raise fail(Code.E303, f"a q10 factor is a positive, finite number, not {q10.factor.span.text}",
                   q10.factor.span)
    return factor ** ((T - lowerer.si(q10.reference)) / 10)


def _temperature_factor(name: str, q10: syn.Q10 | None, lowerer: Lowerer) -> tuple[sp.Symbol, sp.Expr] | None:
    """A q10 of one gate or of the conductance: a symbol computed once per run, and its value."""
    return None if q10 is None else (symbol(name), _q10_factor(q10, lowerer))


# a gate's own q10 multiplies its rates (alpha, beta, x') and divides its time constant
_RATE_SCALING = {"alpha": 1, "beta": 1, "ode": 1, "tau": -1, "inf": 0}


def _gate(prefix: str, gate: ir.GateDef, channel_scope: Lowerer) -> low.Gate:
    state = symbol(f"{prefix}_{gate.name.text}")
    lowerer = Lowerer(channel_scope.values, channel_scope.dims)
    lowerer.define(gate.name.text, state * internal_scale(gate.dimension), gate.dimension)
    rates = []
    for equation in gate.equations:
        name = equation.name.text
        if isinstance(equation, syn.Derivative):
            label = "ode"
        elif name in ("alpha", "beta", "inf", "tau"):
            label = name
        else:
            lowerer.define(name, lowerer.si(equation.value), lowerer.dimension(equation.value))
            continue
        value = lowerer.to_internal(equation.value)
        dim = lowerer.dimension(equation.value)
        lowerer.define(name, value * internal_scale(dim), dim)  # later equations may use it
        rates.append(low.Rate(
            label=label, symbol=symbol(f"{prefix}_{label}_{gate.name.text}"), expr=value,
            span=equation.span,
        ))
    factor = _temperature_factor(f"{prefix}_{gate.name.text}_q10", gate.q10, lowerer)
    if factor is not None:
        rates = [dataclasses.replace(r, expr=r.expr * factor[0] ** _RATE_SCALING[r.label]) for r in rates]
    return low.Gate(
        name=gate.name.text, state=state, power=gate.power, kind=gate.kind, rates=tuple(rates),
        span=gate.span, temperature_factor=factor,
    )


def _kinetic(prefix: str, kinetic: ir.KineticDef, lowerer: Lowerer) -> low.Kinetic:
    """The scheme's states as symbols and each reaction's two rates in 1/ms (before q10)."""
    names = kinetic.state_names
    index = {name: k for k, name in enumerate(names)}

    def rate(source: str, target: str, expr: syn.Expr, span: syn.Span) -> low.Rate:
        return low.Rate(label="rate", symbol=symbol(f"{prefix}_{ir.kinetic_rate_name(source, target)}"),
                        expr=lowerer.to_internal(expr), span=span)

    reactions = tuple(
        low.Reaction(
            left=index[r.left.text], right=index[r.right.text],
            forward=rate(r.left.text, r.right.text, r.forward, r.forward.span),
            backward=rate(r.right.text, r.left.text, r.backward, r.backward.span),
        )
        for r in kinetic.reactions
    )
    return low.Kinetic(names=names, states=tuple(symbol(f"{prefix}_{name}") for name in names),
                       reactions=reactions, open=tuple(index[o.text] for o in kinetic.open), span=kinetic.span)


# ---------------------------------------------------------------- cell and simulation


def _value(assign: syn.Assign | None, default: float, lowerer: Lowerer) -> float:
    return default if assign is None else constant_value(assign.value, lowerer)


def _positive(assign: syn.Assign | None, default: float, lowerer: Lowerer) -> float:
    value = _value(assign, default, lowerer)
    if value <= 0 and assign is not None:
        raise fail(Code.E303, f"'{assign.name.text}' must be positive", assign.value.span)
    return value


CELL_DEFAULTS = {"temperature": 279.45, "cm": 1.0, "v_init": -65.0, "ra": 35.4}  # K, uF/cm2, mV, ohm*cm


def cell_values(cell: ir.CellDef, lowerer: Lowerer) -> dict[str, float]:
    """temperature, cm, v_init and ra of a cell, as given or NEURON's defaults (6.3 degC)."""
    return {name: _value(cell.attr(name), default, lowerer) for name, default in CELL_DEFAULTS.items()}


def lay_out(cell: ir.CellDef) -> Discretization:
    """A cell's compartments alone (for `ionc show --morphology` and checks)."""
    lowerer = base_lowerer()
    values = cell_values(cell, lowerer)
    return lower_morphology(cell, values["ra"], values["cm"], lowerer)


def lower_cell(cell: ir.CellDef, channels: dict[str, low.Channel]) -> low.Cell:
    lowerer = base_lowerer()
    values = cell_values(cell, lowerer)
    ions = [lower_ion(block, lowerer, cell) for block in cell.ions]
    regional = {block.ion.text for block in cell.ions if block.regions}  # its reversal is per node
    return low.Cell(
        name=cell.name.text,
        temperature=values["temperature"],
        cm=values["cm"],
        v_init=values["v_init"],
        ra=values["ra"],
        reversals=tuple((r.ion.text, constant_value(r.value, lowerer)) for r in cell.reversals)
        + tuple((ion.name, ion.fixed) for ion in ions if ion.fixed is not None and ion.name not in regional),
        ions=tuple(ions),
        morphology=lower_morphology(cell, values["ra"], values["cm"], lowerer),
        placements=tuple(_placement(cell, i, channels[i.channel.name.text], lowerer) for i in cell.inserts),
    )


def lower_ion(block: syn.IonBlock, lowerer: Lowerer, cell: ir.CellDef) -> low.Ion:
    """An ion block: valence, concentrations, reversal policy (and the value when fixed), regions."""
    name = block.ion.text
    attrs = {a.name.text: a.value for a in block.body}
    defaults = KNOWN_IONS.get(name)
    valence = int(constant_value(attrs["valence"], lowerer)) if "valence" in attrs else defaults.valence  # type: ignore[union-attr]
    inside, outside = (_concentration(block, side, attrs, defaults, lowerer) for side in ("inside", "outside"))
    regions = expand_regions(cell, tuple(r.text for r in block.regions)) if block.regions else ()
    ion = low.Ion(name=name, valence=valence, inside=inside, outside=outside, reversal="none", regions=regions)
    policy = attrs.get("reversal")
    if isinstance(policy, syn.Name):  # nernst or none
        return dataclasses.replace(ion, reversal=policy.id)
    if policy is None:
        return ion
    return dataclasses.replace(ion, reversal="fixed", fixed=constant_value(policy, lowerer))


def _concentration(block: syn.IonBlock, side: str, attrs: dict[str, syn.Expr], defaults: IonDefaults | None,
                   lowerer: Lowerer) -> float:
    """An ion's inside or outside concentration (mM): given and positive, or NEURON's default."""
    if side not in attrs:
        if defaults is None:
            raise fail(Code.E204, f"ion '{block.ion.text}' is not one ionc knows: give its {side} concentration",
                       block.ion.span, f"add '{side} = ... mM'")
        return float(getattr(defaults, f"{side}_mM"))
    value = constant_value(attrs[side], lowerer)
    if not value > 0:
        raise fail(Code.E303, f"a concentration is positive, not {attrs[side].span.text}", attrs[side].span)
    return value


def _placement(
    cell: ir.CellDef, insert: ir.InsertDef, channel: low.Channel, lowerer: Lowerer
) -> low.Placement:
    values = {p.name: p.value for p in channel.parameters}
    for arg in insert.args:
        values[arg.name.text] = constant_value(arg.value, lowerer)
    regions = expand_regions(cell, tuple(r.text for r in insert.regions) or ("all",))
    return low.Placement(channel=channel, regions=regions, values=tuple(values.items()))


def lower_simulation(simulation: ir.SimulationDef, channels: dict[str, low.Channel]) -> low.Simulation:
    lowerer = base_lowerer()
    method = simulation.attr("method")
    cell = lower_cell(simulation.cell, channels)
    dt = _positive(simulation.attr("dt"), 0.025, lowerer)
    return low.Simulation(
        name=simulation.name.text,
        source=simulation.span.source.path,
        cell=cell,
        dt=dt,
        duration=_positive(simulation.attr("duration"), 100.0, lowerer),
        method=_name(method, DEFAULT_METHOD),
        tables=_switch(simulation.attr("tables")),
        precision=_name(simulation.attr("precision"), "double"),
        stimuli=tuple(_stimulus(s, lowerer, cell) for s in simulation.stimuli),
        records=tuple(_record(r, lowerer, cell, dt) for r in simulation.records),
        reports=tuple(
            low.Report(name=r.name, start=(r.start.section_name, _x(r.start, lowerer, cell)),
                       end=(r.end.section_name, _x(r.end, lowerer, cell)))
            for r in simulation.reports
        ),
    )


def _name(assign: syn.Assign | None, default: str) -> str:
    return assign.value.id if assign is not None and isinstance(assign.value, syn.Name) else default


def _switch(assign: syn.Assign | None) -> bool:
    return isinstance(assign, syn.Assign) and isinstance(assign.value, syn.Name) and assign.value.id == "on"


def _x(location: syn.Location, lowerer: Lowerer, cell: low.Cell) -> float:
    """The fraction along the section: given, or a distance (um) over the section's length."""
    if location.x is None:
        return 0.5
    value = constant_value(location.x, lowerer)
    if lowerer.dimension(location.x) != u.LENGTH:
        return value
    disc = cell.morphology
    length = disc.length_um[disc.morphology.index(location.section_name)]
    if not 0 <= value <= length * (1 + 1e-12):
        raise fail(Code.E303, f"{location.section_name} is {length:g} um long; this distance is outside it",
                   location.x.span)
    return min(max(value / length, 0.0), 1.0)


def _stimulus(stimulus: ir.StimulusDef, lowerer: Lowerer, cell: low.Cell) -> low.Stimulus:
    attrs = {a.name.text: constant_value(a.value, lowerer) for a in stimulus.attrs}
    return low.Stimulus(
        name=stimulus.name, section=stimulus.location.section_name, x=_x(stimulus.location, lowerer, cell),
        delay=attrs["delay"], duration=attrs["duration"], amplitude=attrs["amplitude"],
    )


def _record(record: ir.RecordDef, lowerer: Lowerer, cell: low.Cell, dt: float) -> low.Record:
    return low.Record(
        site=record.site, variable=tuple(i.text for i in record.variable),
        section=record.location.section_name, x=_x(record.location, lowerer, cell),
        stride=1 if record.every is None else _stride(record.every, lowerer, dt),
    )


STRIDE_TOLERANCE = 1e-9  # relative: `every 0.1 ms` with dt = 0.025 ms is 4 steps despite rounding


def _stride(every: syn.Expr, lowerer: Lowerer, dt: float) -> int:
    """The steps between samples of `record ... every INTERVAL`: a whole number of steps, at least one."""
    interval = constant_value(every, lowerer)
    steps = round(interval / dt)
    if interval <= 0 or steps < 1 or abs(interval / dt - steps) > STRIDE_TOLERANCE * steps:
        raise fail(Code.E303, f"the sampling interval {interval:g} ms is not a whole multiple of dt = {dt:g} ms",
                   every.span, f"use a multiple of dt, e.g. every {max(steps, 1) * dt:g} ms")
    return steps
