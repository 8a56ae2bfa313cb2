"""One derived channel as NeuroML2 elements: its ionChannelHH or ionChannelKS, then its ComponentTypes.

Written from the channel ionc lowers and derives (the same equations `ionc
show` prints), never from the model text; the model text appears only in
comments, each equation with its file:line.

* `ionChannelHH` with `species` (the ion; none for a nonspecific channel)
  and `conductance="10pS"` (NeuroML's single-channel conductance; densities
  belong to a cell's channelDensity). The model's own density, reversal and
  permeability are kept as `<property tag="ionc:...">` so that `ionc import`
  restores the channel as it was.
* a gate with alpha and beta: `gateHHrates`; with inf and tau: `gateHHtauInf`, or
  `gateHHratesInf` where tau = 1/(a + b) with a and b standard rates;
  written as x' = A x + B (linear in x): `gateHHrates` with alpha = B and
  beta = -(A + B), which is the same equation.
* each rate in a standard form (ionc.export.neuroml_forms, recognised
  symbolically) as HHExpRate, HHSigmoidRate, HHExpLinearRate (or the Variable
  forms, fixedTimeCourse for a constant tau); any other as a LEMS
  ComponentType (ionc.export.neuroml_lems) that the gate names as its type.
* the temperature factors as q10Settings (q10ExpTemp, q10Fixed) per gate, a
  temperature-dependent density as q10ConductanceScaling.
* a kinetic scheme: `ionChannelKS` with one `gateKS` (closedState, openState,
  a forwardTransition and a reverseTransition per reaction).

NeuroML_v2.3.xsd fixes the order of a document's children (ionChannelHH,
ionChannelKS, ..., ComponentType last) and lets an ionChannelHH hold gates of
one kind only (its gate elements are one xs:choice); a channel whose gates are
of several kinds writes each as `<gate type="gateHHrates" ...>`, the schema's
element for a gate of any kind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import sympy as sp

from ionc.diagnostics import Code, fail
from ionc.export.neuroml_forms import TemperatureFactor, standard_form, temperature_factor
from ionc.export.neuroml_lems import RATE, TIME, VARIABLE, Kind, component_type
from ionc.export.neuroml_xml import Element, element, number, quantity
from ionc.export.nmodl import cite, equation_text
from ionc.ir import lowered as low
from ionc.source import Span
from ionc.symbolic.bridge import symbol
from ionc.symbolic.derive import DerivedChannel

SINGLE_CHANNEL_CONDUCTANCE = "10pS"  # NeuroML's convention; the density lives in the cell
PROPERTY_PREFIX = "ionc:"
CALCIUM = symbol("cai")

# ---------------------------------------------------------------- one channel


@dataclass
class _Channel:
    """What building one channel's elements keeps: the numbers and the ComponentTypes made."""

    derived: DerivedChannel
    root: Path
    values: dict[sp.Symbol, sp.Expr]
    component_types: list[Element]

    @property
    def channel(self) -> low.Channel:
        return self.derived.channel

    def expression(self, expr: sp.Expr) -> sp.Expr:
        """An expression in v, T and cai alone: the parameters replaced by their (exact) values."""
        return sp.sympify(expr).xreplace(self.values)

    def where(self, span: Span) -> str:
        return cite(span, self.root)


def channel_elements(derived: DerivedChannel, root: Path) -> list[Element]:
    """The channel's ionChannelHH (or ionChannelKS), then the ComponentTypes it needs (the schema
    puts ComponentType definitions last in a document)."""
    channel = derived.channel
    if channel.shares:
        raise fail(Code.E500, f"channel {channel.name} carries several ions; a NeuroML2 channel has one species",
                   channel.span, "export each ion's part as a channel of its own")
    values: dict[sp.Symbol, sp.Expr] = {p.symbol: sp.Rational(repr(p.value)) for p in channel.parameters}
    for gate in channel.gates:  # a gate's own q10 goes into its q10Settings, not into its rates
        if gate.temperature_factor is not None:
            values[gate.temperature_factor[0]] = sp.Integer(1)
    context = _Channel(derived=derived, root=root, values=values, component_types=[])
    try:
        body = _channel_body(context)
    except ValueError as error:
        raise fail(Code.E500, f"channel {channel.name} cannot be written in NeuroML2: {error}", channel.span) from None
    return [body, *context.component_types]


def _channel_body(context: _Channel) -> Element:
    channel = context.channel
    children: list[Element] = []
    notes = _notes(channel.span)
    if notes:
        children.append(element("notes", text=notes))
    children += _properties(context)
    scaling = _conductance_scaling(context)
    if scaling is not None:
        children.append(scaling)
    attributes = {"id": channel.name, "conductance": SINGLE_CHANNEL_CONDUCTANCE}
    if channel.ion is not None:
        attributes["species"] = channel.ion
    comment = f"channel {channel.name} ({context.where(channel.span)})"
    if context.derived.kinetic is not None:
        children.append(_kinetic_gate(context))
        return element("ionChannelKS", *children, comment=comment, **attributes)
    children += _of_one_kind([_gate(context, gate) for gate in channel.gates])
    return element("ionChannelHH", *children, comment=comment, **attributes)


def _of_one_kind(gates: list[Element]) -> list[Element]:
    """The gates as they are when all are of one kind; else each as `<gate type=KIND>`, since the
    schema's ionChannelHH holds gateHHrates elements or gateHHratesInf elements (...), not both."""
    if len({gate.tag for gate in gates}) <= 1:
        return gates
    return [replace(gate, tag="gate", attributes=(*gate.attributes[:1], ("type", gate.tag), *gate.attributes[1:]))
            for gate in gates]


def _notes(span: Span) -> str:
    from ionc.export.nmodl import _source_comment

    return "\n".join(_source_comment(span)).strip()


def _properties(context: _Channel) -> list[Element]:
    """The model's density (or permeability) and its own reversal potential, for `ionc import`."""
    channel = context.channel
    found = []
    density = channel_density_parameter(channel)
    if channel.ghk is not None:
        found.append(("permeability", quantity(float(context.values[density.symbol]), "cm_per_s")))
    else:
        found.append(("conductanceDensity", quantity(_density_value(context), "mS_per_cm2")))
    reversal = context.expression(channel.reversal)
    if channel.ghk is None and not reversal.free_symbols:
        found.append(("erev", quantity(float(reversal), "mV")))
    return [element("property", tag=PROPERTY_PREFIX + tag, value=value) for tag, value in found]


def channel_density_parameter(channel: low.Channel) -> low.Parameter:
    """The parameter the conductance (or GHK permeability) is made of: gbar, gmax, pbar."""
    reads = channel.conductance.free_symbols | (channel.ghk.free_symbols if channel.ghk is not None else set())
    unit = "cm/s" if channel.ghk is not None else "mS/cm2"
    for parameter in channel.parameters:
        if parameter.symbol in reads and parameter.unit == unit:
            return parameter
    raise ValueError(f"no parameter in {unit} makes its {'permeability' if channel.ghk is not None else 'conductance'}")


def _conductance(context: _Channel) -> sp.Expr:
    channel = context.channel
    conductance = channel.conductance
    if channel.conductance_factor is not None:
        conductance = conductance.xreplace({channel.conductance_factor[0]: channel.conductance_factor[1]})
    return context.expression(conductance)


def _density_value(context: _Channel) -> float:
    """The density at the experimental temperature of its q10 (or the constant density)."""
    from ionc.lower import T

    conductance = _conductance(context)
    if T not in conductance.free_symbols:
        return float(conductance)
    return float(context.values[channel_density_parameter(context.channel).symbol])


def _conductance_scaling(context: _Channel) -> Element | None:
    """q10ConductanceScaling for a density that depends on the temperature (gbar = tadj gmax)."""
    from ionc.lower import T

    conductance = _conductance(context)
    if T not in conductance.free_symbols or context.channel.ghk is not None:
        return None
    factor = temperature_factor(conductance / _density_value(context), T)
    if factor is None or factor.experimental_celsius is None:
        raise ValueError("its conductance depends on the temperature, not as Q^((T - T0)/10)")
    return element("q10ConductanceScaling", q10Factor=number(factor.q10),
                   experimentalTemp=quantity(factor.experimental_celsius, "degC"))


def _q10_settings(factor: TemperatureFactor | None) -> list[Element]:
    if factor is None:
        return []
    if factor.experimental_celsius is None:
        return [element("q10Settings", type="q10Fixed", fixedQ10=number(factor.q10))]
    return [element("q10Settings", type="q10ExpTemp", q10Factor=number(factor.q10),
                    experimentalTemp=quantity(factor.experimental_celsius, "degC"))]


def _gate_factor(context: _Channel, gate: low.Gate | None) -> TemperatureFactor | None:
    from ionc.lower import T

    factor = context.channel.q10
    if gate is not None and gate.temperature_factor is not None:
        factor = factor * gate.temperature_factor[1]
    try:
        return temperature_factor(sp.simplify(factor), T)
    except ValueError as error:
        raise ValueError(f"{error} (a q10)") from None


# ---------------------------------------------------------------- gates


def _gate(context: _Channel, gate: low.Gate) -> Element:
    rates = {r.label: r for r in gate.rates}
    q10 = _q10_settings(_gate_factor(context, gate))
    comment = f"gate {gate.name}" + (f", to the power {gate.power}" if gate.power != 1 else "") + \
        f" ({context.where(gate.span)})"
    stem = f"{context.channel.name}_{gate.name}"
    if gate.kind == "alpha_beta":
        forward = _rate_element(context, "forwardRate", f"{stem}_alpha", rates["alpha"].expr, RATE,
                                _equation(context, rates["alpha"]))
        reverse = _rate_element(context, "reverseRate", f"{stem}_beta", rates["beta"].expr, RATE,
                                _equation(context, rates["beta"]))
        return element("gateHHrates", *q10, forward, reverse, comment=comment, id=gate.name,
                       instances=str(gate.power))
    if gate.kind == "inf_tau" and _rate_pair(context, rates["tau"].expr) is not None:
        return _rates_inf_gate(context, gate, q10, comment)
    if gate.kind == "inf_tau":
        tau = _rate_element(context, "timeCourse", f"{stem}_tau", rates["tau"].expr, TIME,
                            _equation(context, rates["tau"]))
        inf = _rate_element(context, "steadyState", f"{stem}_inf", rates["inf"].expr, VARIABLE,
                            _equation(context, rates["inf"]))
        return element("gateHHtauInf", *q10, tau, inf, comment=comment, id=gate.name, instances=str(gate.power))
    alpha, beta = _ode_rates(rates["ode"].expr, gate.state)
    written = _equation(context, rates["ode"])
    forward = _rate_element(context, "forwardRate", f"{stem}_alpha", alpha, RATE,
                            f"alpha = B of x' = A x + B: {written}")
    reverse = _rate_element(context, "reverseRate", f"{stem}_beta", beta, RATE,
                            f"beta = -(A + B) of x' = A x + B: {written}")
    return element("gateHHrates", *q10, forward, reverse, comment=comment, id=gate.name, instances=str(gate.power))


def _rate_pair(context: _Channel, tau: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(a, b) when tau = 1/(a + b) with a and b standard rates (Mainen's h: tau = 1/(a + b))."""
    from ionc.lower import V

    value = context.expression(tau)
    if value.free_symbols != {V}:
        return None
    terms = sp.Add.make_args(sp.expand(1 / value, deep=False, power_exp=False, power_base=False, log=False))
    if len(terms) != 2 or any(standard_form(t, V) is None for t in terms):
        return None
    return terms[0], terms[1]


def _rates_inf_gate(context: _Channel, gate: low.Gate, q10: list[Element], comment: str) -> Element:
    """gateHHratesInf: the written inf, and tau = 1/(alpha + beta) with alpha and beta in standard forms."""
    rates = {r.label: r for r in gate.rates}
    pair = _rate_pair(context, rates["tau"].expr)
    assert pair is not None
    stem = f"{context.channel.name}_{gate.name}"
    written = _equation(context, rates["tau"])
    forward = _rate_element(context, "forwardRate", f"{stem}_alpha", pair[0], RATE,
                            f"alpha of tau = 1/(alpha + beta): {written}")
    reverse = _rate_element(context, "reverseRate", f"{stem}_beta", pair[1], RATE,
                            f"beta of tau = 1/(alpha + beta): {written}")
    inf = _rate_element(context, "steadyState", f"{stem}_inf", rates["inf"].expr, VARIABLE,
                        _equation(context, rates["inf"]))
    return element("gateHHratesInf", *q10, forward, reverse, inf, comment=comment, id=gate.name,
                   instances=str(gate.power))


def _ode_rates(ode: sp.Expr, state: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """x' = A x + B as alpha (1 - x) - beta x: alpha = B, beta = -(A + B)."""
    expanded = sp.expand(ode)
    slope = sp.diff(expanded, state)
    constant = expanded.subs(state, 0)
    if slope.has(state):
        raise ValueError(f"the equation of gate {state} is not linear in it")
    return sp.factor_terms(constant), sp.factor_terms(-(slope + constant))


def _equation(context: _Channel, rate: low.Rate) -> str:
    return f"{equation_text(rate.span)} ({context.where(rate.span)})"


def _rate_element(context: _Channel, tag: str, name: str, expr: sp.Expr, kind: Kind, comment: str) -> Element:
    """A standard form if the rate has one, else a ComponentType named `name`."""
    from ionc.lower import V

    value = context.expression(expr)
    if kind is TIME and not value.free_symbols:
        return element(tag, comment=comment, type="fixedTimeCourse", tau=quantity(float(value), "ms"))
    form = standard_form(value, V) if kind is not TIME else None
    if form is not None:
        family = "Rate" if kind is RATE else "Variable"
        rate = quantity(form.rate, "per_ms") if kind is RATE else number(form.rate)
        return element(tag, comment=comment, type=f"HH{form.kind}{family}", rate=rate,
                       midpoint=quantity(form.midpoint, "mV"), scale=quantity(form.scale, "mV"))
    context.component_types.append(component_type(name, kind, value, V, _temperature(), CALCIUM,
                                                  comment=f"{comment}: no standard form"))
    return element(tag, comment=comment, type=name)


def _temperature() -> sp.Symbol:
    from ionc.lower import T

    return T


# ---------------------------------------------------------------- kinetic schemes


def _kinetic_gate(context: _Channel) -> Element:
    derived = context.derived
    assert derived.kinetic is not None
    scheme = derived.kinetic.kinetic
    closed = [element("closedState", id=n) for k, n in enumerate(scheme.names) if k not in scheme.open]
    opened = [element("openState", id=n) for k, n in enumerate(scheme.names) if k in scheme.open]
    transitions = []
    for reaction in scheme.reactions:
        left, right = scheme.names[reaction.left], scheme.names[reaction.right]
        for tag, rate, direction in (("forwardTransition", reaction.forward, "f"),
                                     ("reverseTransition", reaction.backward, "r")):
            name = f"{context.channel.name}_{left}_{right}_{direction}"
            rate_element = _rate_element(context, "rate", name, rate.expr, RATE, _equation(context, rate))
            transitions.append(element(tag, rate_element, id=f"{left}_{right}_{direction}", from_=left, to=right))
    q10 = _q10_settings(_gate_factor(context, None))
    return element("gateKS", *q10, *closed, *opened, *transitions,
                   comment=f"the kinetic scheme ({context.where(scheme.span)})", id="scheme", instances="1")
