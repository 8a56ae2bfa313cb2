"""A concentration pool as a LEMS ComponentType extending NeuroML2's `concentrationModel`.

NeuroML2's own pool (decayingPoolConcentrationModel) fills a spherical shell
with the current in both directions; ionc's pools are whatever their equation
says (the library's fills a planar shell, inward current only). So the pool's
own equation is written out: a ComponentType `<pool>_dynamics` whose
Parameters are the pool's (in their ionc units), whose StateVariable
`concentration` obeys the derived equation, and a component
`<concentrationModel id="<pool>" type="<pool>_dynamics" ion=...>` that sets
the parameters to the model's values (repr: they read back as the same floats).

LEMS computes in SI with dimensions, so, as for rates (ionc.export.neuroml_lems),
the equation is written in dimensionless numbers of ionc's units:

    depth_um = depth / UM, cai_mM = concentration / MM,
    ica_uA_per_cm2 = -(iCa / surfaceArea) / UA_PER_CM2
    d concentration/dt = (the derived right-hand side) * MM / MS

iCa is NeuroML's calcium current into the segment (inward positive, the whole
segment's), ionc's ica the outward current density: hence the sign and the
area. NeuroML's cell supplies iCa and surfaceArea; the `species` of a cell
starts the pool at initialConcentration, as ionc starts a pool at the cell's
inside concentration.

NeuroML_v2.3.xsd has a place for the ComponentType but none for a component of
a new type: the `<concentrationModel>` line is, like every custom concentration
model in use (NeuroML's maintainers say so of such files), valid LEMS that the
strict schema does not list; libNeuroML's validate_neuroml2 accepts the file,
and a cell document that refers to the pool (`<species concentrationModel=...>`)
and includes this one validates against the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ionc.export.neuroml_lems import LemsPrinter, lift_conditionals
from ionc.export.neuroml_xml import Element, element, number, quantity
from ionc.symbolic.derive import DerivedChannel

# ionc unit -> (NeuroML dimension, NeuroML unit, the LEMS constant of one of it)
UNITS = {
    "mV": ("voltage", "mV", "MV"),
    "ms": ("time", "ms", "MS"),
    "mM": ("concentration", "mM", "MM"),
    "um": ("length", "um", "UM"),
    "uA/cm2": ("currentDensity", "uA_per_cm2", "UA_PER_CM2"),
}


class PoolExportError(ValueError):
    """A pool whose equation NeuroML's concentrationModel cannot carry (said in a note)."""


@dataclass(frozen=True)
class _Input:
    """A dimensionless DerivedVariable the equation reads: its name, LEMS value and ionc symbol."""

    name: str
    value: str
    symbol: sp.Symbol
    constant: str


def type_name(pool: str) -> str:
    return f"{pool}_dynamics"


def pool_elements(derived: DerivedChannel, where: str) -> list[Element]:
    """The component (the pool with its parameter values) and its ComponentType; `where` cites
    the pool's equation in the model."""
    from ionc.symbolic.bridge import symbol

    channel = derived.channel
    if channel.ion is None or len(derived.gates) != 1 or channel.q10 != 1:
        raise PoolExportError("ionc exports a pool of one ion's inside concentration with no q10")
    gate = derived.gates[0]
    if len(gate.gate.rates) != 1:
        raise PoolExportError("its equation is not one time derivative")
    right_side = sp.sympify(gate.gate.rates[0].expr)
    state, current = gate.gate.state, symbol(f"i{channel.ion}")
    parameters = [p for p in channel.parameters if p.unit in UNITS or p.unit in ("", "1")]
    inline = {p.symbol: sp.Float(p.value) for p in channel.parameters if p not in parameters}  # other units
    right_side = right_side.xreplace(inline)
    inputs = [_Input(f"{channel.ion}i_mM", "concentration / MM", state, "MM"),
              _Input(f"i{channel.ion}_uA_per_cm2", "-(iCa / surfaceArea) / UA_PER_CM2", current, "UA_PER_CM2")]
    for p in parameters:
        if p.unit in UNITS:
            inputs.append(_Input(f"{p.name}_{UNITS[p.unit][1]}", f"{p.name} / {UNITS[p.unit][2]}", p.symbol,
                                 UNITS[p.unit][2]))
    names = {i.symbol: i.name for i in inputs} | {p.symbol: p.name for p in parameters if p.unit not in UNITS}
    stray = right_side.free_symbols - set(names)
    if stray:
        raise PoolExportError(f"its equation reads {', '.join(sorted(map(str, stray)))}, which a NeuroML "
                              "concentration model is not given")
    used = [i for i in inputs if i.symbol in right_side.free_symbols]
    if current in right_side.free_symbols and channel.ion != "ca":
        raise PoolExportError(f"it reads i{channel.ion}: NeuroML gives a concentration model the calcium "
                              "current (iCa) alone")
    taken = [p.name for p in parameters] + [i.name for i in used] + [c for c in _constants(used)]
    if len(set(taken)) != len(taken):
        raise PoolExportError(f"its parameter names clash with the ComponentType's own ({', '.join(taken)})")
    printer = LemsPrinter(dict(names))
    expr, conditionals = lift_conditionals(right_side, printer)
    value, precedence = printer.node(expr)
    value = value if precedence >= 2 else f"({value})"
    dynamics = [
        element("StateVariable", name="concentration", exposure="concentration", dimension="concentration"),
        element("StateVariable", name="extConcentration", exposure="extConcentration", dimension="concentration"),
        *(element("DerivedVariable", name=i.name, dimension="none", value=i.value) for i in used),
        *conditionals,
        element("TimeDerivative", variable="concentration", value=f"{value} * MM / MS"),
        element("OnStart",
                element("StateAssignment", variable="concentration", value="initialConcentration"),
                element("StateAssignment", variable="extConcentration", value="initialExtConcentration")),
    ]
    definition = element(
        "ComponentType",
        *(element("Parameter", name=p.name, dimension=UNITS[p.unit][0] if p.unit in UNITS else "none")
          for p in parameters),
        *(element("Constant", name=c, dimension=d, value=f"1{u}") for c, (d, u) in _constants(used).items()),
        *([element("Requirement", name="iCa", dimension="current")] if current in right_side.free_symbols else []),
        element("Dynamics", *dynamics),
        comment=f"pool {channel.name}: the equation ionc derives from {where}, in numbers of ionc's units",
        name=type_name(channel.name), extends="concentrationModel",
        description=f"ionc pool {channel.name}: the {channel.ion} concentration under the membrane",
    )
    values = {p.name: quantity(p.value, UNITS[p.unit][1]) if p.unit in UNITS else number(p.value)
              for p in parameters}
    component = element("concentrationModel", id=channel.name, type=type_name(channel.name), ion=channel.ion,
                        **values)
    return [component, definition]


def _constants(used: list[_Input]) -> dict[str, tuple[str, str]]:
    """The unit constants the equation needs: name -> (dimension, unit); MM and MS always (d/dt)."""
    wanted = {"MM", "MS"} | {i.constant for i in used}
    return {constant: (dimension, unit) for dimension, unit, constant in UNITS.values() if constant in wanted}
