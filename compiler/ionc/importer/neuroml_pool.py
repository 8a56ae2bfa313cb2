"""A NeuroML2 concentration model of a LEMS ComponentType as an ionc `pool`.

`<concentrationModel id=... type=T ion=...>` whose ComponentType T extends
concentrationModel (what `ionc export --to neuroml` writes for a pool) becomes

    pool ID {
        ion ION
        PARAMETER = VALUE (the component's attributes, one per Parameter of T)
        IONi' = (T's TimeDerivative of concentration)
    }

with T's derived variables inlined, its constants as quantities (ionc
converts the units exactly), `concentration` read as the ion's inside
concentration, and NeuroML's `iCa / surfaceArea` (the segment's inward
calcium current over its area) as ionc's `-ica` (the outward current density):
ionc's pools read a density, so iCa is read only in that ratio. The
StateVariables and OnStart are NeuroML's bookkeeping: ionc starts a pool at the
cell's inside concentration, which is what a cell's `species` gives
initialConcentration. Anything else in the Dynamics is an error at its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ionc.diagnostics import Code, fail
from ionc.importer.neuroml_lems import (
    ATOM,
    UNARY,
    Binary,
    Expr,
    Name,
    Text,
    ionc_text,
    parse_lems,
    rebuilt,
    resolve,
)
from ionc.importer.neuroml_rates import _QUANTITY, UNITS, Quantity, _derived, _named, _quantity_text
from ionc.importer.neuroml_xml import Element

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
BOOKKEEPING = ("StateVariable", "OnStart")  # NeuroML's states and their start: ionc's pool has its own


def is_pool_type(definition: Element) -> bool:
    return definition.get("extends") == "concentrationModel"


def pool_text(name: str, instance: Element, definition: Element) -> str:
    """The ionc text of the pool `name` that `instance` (a component of `definition`) is."""
    ion = _ion(instance)
    type_name = definition.get("name", "?")
    current = Text(span=None, text=f"-i{ion}", precedence=UNARY)
    scope: dict[str, Expr] = {"concentration": Text(span=None, text=f"{ion}i", precedence=ATOM),
                              "temperature": Text(span=None, text="T", precedence=ATOM)}
    declarations: list[str] = []
    derivative: Expr | None = None
    for child in definition.children:
        if child.name == "Parameter":
            parameter = _parameter_name(child)
            declarations.append(f"{parameter} = {_parameter_value(instance, parameter, child)}")
            scope[parameter] = Text(span=None, text=parameter, precedence=ATOM)
        elif child.name == "Constant":
            scope[_named(child)] = _quantity_text(child, "value")
        elif child.name == "Dynamics":
            for variable in child.children:
                if variable.name == "TimeDerivative":
                    derivative = _time_derivative(variable, derivative)
                elif variable.name in ("DerivedVariable", "ConditionalDerivedVariable"):
                    scope[_named(variable)] = _derived(variable)
                elif variable.name not in BOOKKEEPING:
                    raise fail(Code.E205, f"ionc cannot translate <{variable.name}> in a concentration model",
                               variable.span, "a pool is one time derivative of its concentration")
        elif child.name not in ("Requirement", "Exposure", "notes"):
            raise fail(Code.E205, f"ionc cannot translate <{child.name}> in a ComponentType", child.span)
    if derivative is None:
        raise fail(Code.E204, f"ComponentType {type_name} has no TimeDerivative of concentration", definition.span)
    scope = {key: _current_density(value, current) for key, value in scope.items()}
    equation = ionc_text(resolve(_current_density(derivative, current), scope, f"ComponentType {type_name}"))
    body = [f"ion {ion}", *declarations, f"{ion}i' = {equation}"]
    return "\n".join([f"pool {name} {{", *(f"    {line}" for line in body), "}"])


def _ion(instance: Element) -> str:
    attribute = instance.attribute("ion") or instance.attribute("species")
    if attribute is None:
        raise fail(Code.E204, f"<{instance.name}> needs an ion (ion=\"ca\")", instance.span)
    if not IDENTIFIER.fullmatch(attribute.value):
        raise fail(Code.E205, f"'{attribute.value}' is not an ion name", attribute.value_span)
    return attribute.value


def _parameter_name(declaration: Element) -> str:
    """A Parameter's name, which becomes an ionc parameter: an identifier ionc does not reserve."""
    from ionc.importer.neuroml import reserved_names

    attribute = declaration.attribute("name")
    if attribute is None:
        raise fail(Code.E204, "<Parameter> needs a name", declaration.span)
    name = attribute.value
    if not IDENTIFIER.fullmatch(name) or name in reserved_names() or name.startswith("_"):
        raise fail(Code.E205, f"'{name}' cannot be the name of an ionc parameter", attribute.value_span,
                   "a pool's parameters keep their names: letters, digits and '_', not a name ionc reserves")
    return name


def _parameter_value(instance: Element, parameter: str, declaration: Element) -> str:
    attribute = instance.attribute(parameter)
    if attribute is None:
        raise fail(Code.E204, f"<{instance.name}> needs {parameter} (a Parameter of its type)", instance.span)
    dimension = declaration.get("dimension", "none")
    match = _QUANTITY.fullmatch(attribute.value)
    if match is None or dimension not in UNITS or match.group(2) not in UNITS[dimension]:
        raise fail(Code.E303, f"{parameter}: '{attribute.value}' is not a quantity of {dimension}",
                   attribute.value_span)
    return Quantity(number=match.group(1), unit=match.group(2)).ionc()


def _time_derivative(variable: Element, before: Expr | None) -> Expr:
    if variable.get("variable") != "concentration":
        raise fail(Code.E205, "ionc reads the time derivative of concentration alone", variable.span)
    if before is not None:
        raise fail(Code.E201, "a second TimeDerivative of concentration", variable.span)
    value = variable.attribute("value")
    if value is None:
        raise fail(Code.E204, "<TimeDerivative> needs a value", variable.span)
    return parse_lems(value.value, value.value_span)


def _current_density(expr: Expr, current: Text) -> Expr:
    """`expr` with iCa / surfaceArea as ionc's -i<ion>; iCa or surfaceArea read otherwise is an error."""
    def again(node: Expr) -> Expr:
        return _current_density(node, current)

    match expr:
        case Binary(operator="/", left=Name(name="iCa"), right=Name(name="surfaceArea")):
            return current
        case Name(name="iCa" | "surfaceArea"):
            raise fail(Code.E205, f"ionc reads {expr.name} only as iCa / surfaceArea", expr.span,
                       "ionc's pools read the current density (ionc's ica is -iCa / surfaceArea)")
    return rebuilt(expr, again)


def pool_types(component_types: Mapping[str, Element]) -> dict[str, Element]:
    return {name: definition for name, definition in component_types.items() if is_pool_type(definition)}
