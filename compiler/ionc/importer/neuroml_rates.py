"""NeuroML2 quantities and rate elements as ionc expression text.

A quantity ('-40mV', '0.1per_ms', '120 mS_per_cm2') becomes ionc's spelling
of the same quantity ('-40 mV', '0.1 /ms', '120 mS/cm2'): the number is
copied as written and ionc converts the unit exactly, so nothing is rounded
here. A rate element (forwardRate, steadyState, timeCourse, a transition's
rate) becomes the ionc expression of its standard form, as NeuroML2's core
types define them (x = (v - midpoint)/scale):

    HHExpRate        rate * exp(x)
    HHSigmoidRate    rate / (1 + exp(-x))
    HHExpLinearRate  rate * x / (1 - exp(-x))

(and the *Variable forms, fixedTimeCourse), or the expression of the LEMS
ComponentType it names (ionc.importer.neuroml_lems), its parameters taken
from the element's attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ionc.diagnostics import Code, fail
from ionc.importer.neuroml_lems import ATOM, UNARY, Choice, Expr, Name, Text, ionc_text, parse_lems, resolve
from ionc.importer.neuroml_xml import Element

# NeuroML2's units, by dimension (NeuroML2CoreTypes/NeuroMLCoreDimensions.xml)
UNITS: dict[str, tuple[str, ...]] = {
    "voltage": ("V", "mV"),
    "time": ("s", "ms"),
    "per_time": ("per_s", "per_ms", "Hz"),
    "temperature": ("K", "degC"),
    "conductanceDensity": ("S_per_m2", "mS_per_cm2", "S_per_cm2"),
    "permeability": ("m_per_s", "cm_per_s", "um_per_ms", "cm_per_ms"),
    "concentration": ("mol_per_m3", "mol_per_cm3", "M", "mM"),
    "none": ("",),
    "conductance": ("S", "mS", "uS", "nS", "pS"),
    "length": ("m", "cm", "um"),
    "specificCapacitance": ("F_per_m2", "uF_per_cm2"),
    "resistivity": ("ohm_m", "kohm_cm", "ohm_cm"),
    "currentDensity": ("A_per_m2", "uA_per_cm2", "mA_per_cm2"),
}
_QUANTITY = re.compile(r"\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z_0-9]*)\s*")

FORMS = {"HHExpRate": ("Exp", "per_time"), "HHSigmoidRate": ("Sigmoid", "per_time"),
         "HHExpLinearRate": ("ExpLinear", "per_time"), "HHExpVariable": ("Exp", "none"),
         "HHSigmoidVariable": ("Sigmoid", "none"), "HHExpLinearVariable": ("ExpLinear", "none")}

# what a rate element computes: the exposure of its ComponentType and the NeuroML base types
EXPOSURES = {"rate": ("r", "per_time"), "variable": ("x", "none"), "time": ("t", "time")}
REQUIREMENTS: dict[str, Expr] = {"v": Text(span=None, text="v", precedence=ATOM),
                                 "caConc": Text(span=None, text="cai", precedence=ATOM),
                                 "temperature": Text(span=None, text="T", precedence=ATOM)}


@dataclass(frozen=True)
class Quantity:
    number: str  # as written, sign included
    unit: str  # NeuroML's ('mS_per_cm2')

    @property
    def negative(self) -> bool:
        return self.number.startswith("-")

    @property
    def magnitude(self) -> str:
        return self.number.lstrip("+-")

    def ionc(self, magnitude: bool = False) -> str:
        """'120 mS/cm2', '-40 mV', '0.1 /ms', '3' (dimensionless)."""
        number = self.magnitude if magnitude else self.number.lstrip("+")
        unit = ionc_unit(self.unit)
        return f"{number} {unit}" if unit else number


def ionc_unit(unit: str) -> str:
    """NeuroML's unit name in ionc's spelling: 'mS_per_cm2' -> 'mS/cm2', 'per_ms' -> '/ms'."""
    if unit.startswith("per_"):
        return "/" + unit[len("per_"):]
    return unit.replace("_per_", "/").replace("ohm_", "ohm*")


def quantity(element: Element, name: str, dimension: str) -> Quantity:
    """The attribute `name` of `element` as a quantity of `dimension`; a diagnostic if it is
    missing, not a number or in a unit of another dimension."""
    attribute = element.attribute(name)
    if attribute is None:
        raise fail(Code.E204, f"<{element.name}> needs the attribute {name}", element.span)
    match = _QUANTITY.fullmatch(attribute.value)
    if match is None:
        raise fail(Code.E303, f"{name}: '{attribute.value}' is not a number with a unit", attribute.value_span)
    number, unit = match.groups()
    if unit not in UNITS[dimension]:
        known = ", ".join(u or "no unit" for u in UNITS[dimension])
        raise fail(Code.E300, f"{name}: '{unit or 'no unit'}' is not a unit of {dimension}", attribute.value_span,
                   f"NeuroML2 writes {dimension} in {known}")
    return Quantity(number=number, unit=unit)


# ---------------------------------------------------------------- standard forms


def _shift(midpoint: Quantity) -> str:
    """'v + 40 mV' for a midpoint of -40 mV ('v' for 0)."""
    if float(midpoint.number) == 0:
        return "v"
    return f"v {'+' if midpoint.negative else '-'} {midpoint.ionc(magnitude=True)}"


def _exponent(midpoint: Quantity, scale: Quantity, negated: bool) -> str:
    """x = (v - midpoint)/scale (or -x) as ionc text without a leading minus on a quantity."""
    if float(scale.number) == 0:
        raise ValueError("scale 0")
    flip = scale.negative != negated  # the sign in front of (v - midpoint)/|scale|
    shifted = _shift(midpoint)
    if shifted == "v":
        numerator = "-v" if flip else "v"
    elif flip:
        numerator = f"-({shifted})"
    else:
        numerator = f"({shifted})"
    return f"{numerator} / {scale.ionc(magnitude=True)}"


def standard_form_text(element: Element, form: str, dimension: str) -> str:
    rate = quantity(element, "rate", dimension)
    midpoint = quantity(element, "midpoint", "voltage")
    scale = quantity(element, "scale", "voltage")
    if float(scale.number) == 0:
        attribute = element.attribute("scale")
        assert attribute is not None
        raise fail(Code.E303, "scale: a standard rate's scale cannot be 0", attribute.value_span)
    factor = rate.ionc()
    if form == "Exp":
        return f"{factor} * exp({_exponent(midpoint, scale, negated=False)})"
    if form == "Sigmoid":
        return f"{factor} / (1 + exp({_exponent(midpoint, scale, negated=True)}))"
    x = _exponent(midpoint, scale, negated=False)
    return f"{factor} * {x} / (1 - exp({_exponent(midpoint, scale, negated=True)}))"


# ---------------------------------------------------------------- rate elements


def rate_text(element: Element, what: str, component_types: Mapping[str, Element]) -> str:
    """The ionc expression of a rate element; `what` is 'rate', 'variable' or 'time'."""
    kind = element.attribute("type")
    if kind is None:
        raise fail(Code.E204, f"<{element.name}> needs a type (HHExpRate, ... or a ComponentType)", element.span)
    if kind.value in FORMS:
        form, dimension = FORMS[kind.value]
        if (dimension == "none") != (what == "variable"):
            raise fail(Code.E205, f"{kind.value} does not belong in <{element.name}>", kind.value_span)
        return standard_form_text(element, form, dimension)
    if kind.value == "fixedTimeCourse" and what == "time":
        return quantity(element, "tau", "time").ionc()
    if kind.value in component_types:
        return component_type_text(component_types[kind.value], element, what)
    raise fail(Code.E200, f"unknown rate type '{kind.value}'", kind.value_span,
               "ionc reads NeuroML2's HHExpRate, HHSigmoidRate, HHExpLinearRate (and the Variable forms), "
               "fixedTimeCourse, and ComponentTypes defined in the same file")


def component_type_text(definition: Element, instance: Element, what: str) -> str:
    """The expression of a LEMS ComponentType (its exposure r, x or t), with its parameters' values
    from the instance's attributes, as ionc text."""
    exposure, _ = EXPOSURES[what]
    name = definition.get("name", "?")
    scope: dict[str, Expr] = dict(REQUIREMENTS)
    dynamics: list[Element] = []
    for child in definition.children:
        if child.name == "Constant":
            scope[_named(child)] = _quantity_text(child, "value")
        elif child.name == "Parameter":
            parameter = _named(child)
            scope[parameter] = _quantity_text(instance, parameter, f"the parameter {parameter} of {name}")
        elif child.name == "Dynamics":
            dynamics = list(child.children)
        elif child.name not in ("Requirement", "Exposure", "notes"):
            raise fail(Code.E205, f"ionc cannot translate <{child.name}> in a ComponentType", child.span)
    for variable in dynamics:
        scope[_named(variable)] = _derived(variable)
        if variable.get("exposure") == exposure != _named(variable):  # exposed under another name
            scope[exposure] = Name(span=variable.span, name=_named(variable))
    if exposure not in scope or exposure in REQUIREMENTS:
        raise fail(Code.E204, f"ComponentType {name} computes no '{exposure}'", definition.span,
                   "a rate exposes r (1/time), a steady state x (dimensionless), a time course t (time)")
    return ionc_text(resolve(scope[exposure], scope, f"ComponentType {name}"))


def _named(element: Element) -> str:
    found = element.attribute("name")
    if found is None:
        raise fail(Code.E204, f"<{element.name}> needs a name", element.span)
    return found.value


def _quantity_text(element: Element, attribute_name: str, what: str | None = None) -> Expr:
    attribute = element.attribute(attribute_name)
    if attribute is None:
        raise fail(Code.E204, f"<{element.name}> needs {what or 'the attribute ' + attribute_name}", element.span)
    match = _QUANTITY.fullmatch(attribute.value)
    known = {unit for units in UNITS.values() for unit in units}
    if match is None or match.group(2) not in known:
        raise fail(Code.E303, f"'{attribute.value}' is not a NeuroML2 quantity", attribute.value_span)
    text = Quantity(number=match.group(1), unit=match.group(2)).ionc()
    return Text(span=attribute.value_span, text=text, precedence=UNARY if text.startswith("-") else ATOM)


def _derived(variable: Element) -> Expr:
    """A DerivedVariable's value, or a ConditionalDerivedVariable's cases, as a tree."""
    if variable.name == "DerivedVariable":
        value = variable.attribute("value")
        if value is None:
            why = "a selection of children (select=...)" if variable.attribute("select") else "no value"
            raise fail(Code.E205, f"ionc cannot translate a DerivedVariable with {why}", variable.span)
        return parse_lems(value.value, value.value_span)
    if variable.name == "ConditionalDerivedVariable":
        cases = []
        for case in variable.find("Case"):
            value = case.attribute("value")
            if value is None:
                raise fail(Code.E204, "<Case> needs a value", case.span)
            condition = case.attribute("condition")
            test = None if condition is None else parse_lems(condition.value, condition.value_span)
            cases.append((test, parse_lems(value.value, value.value_span)))
        if not cases:
            raise fail(Code.E204, "a ConditionalDerivedVariable needs at least one <Case>", variable.span)
        return Choice(span=variable.span, cases=tuple(cases))
    raise fail(Code.E205, f"ionc cannot translate <{variable.name}> in a rate's Dynamics", variable.span,
               "a rate, steady state or time course is computed by DerivedVariables")
