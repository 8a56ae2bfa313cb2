"""LEMS ComponentTypes for the rates NeuroML2 has no standard form for.

A rate, steady state or time constant of v (and of the temperature and the
inside calcium concentration) becomes a ComponentType extending the NeuroML2
base type of its kind (baseVoltageDepRate, baseVoltageConcDepVariable, ...),
whose Dynamics compute the exposure (r, x or t) from the derived sympy
expression. LEMS computes in SI with dimensions, so the expression is written
in dimensionless numbers of ionc's units and the units are constants:

    V = v / MV                  (MV = 1 mV)
    TK = temperature / KELVIN   (KELVIN = 1 K)
    CA = caConc / MM            (MM = 1 mM)
    r = (the expression in V, TK, CA) / MS      (MS = 1 ms)

A conditional (if/then/else, min, max) becomes a ConditionalDerivedVariable of
its own, innermost first, written after the DerivedVariables (NeuroML_v2.3.xsd
fixes that order in Dynamics; LEMS itself orders by dependence). Numbers are written with repr(), so that reading the
file back gives the same floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ionc.export.neuroml_xml import Element, element, number


@dataclass(frozen=True)
class Kind:
    """What a ComponentType computes: its exposure, dimension and how ionc's number becomes it."""

    base: str  # the base type without calcium: baseVoltageDepRate
    exposure: str  # r, x or t
    dimension: str  # per_time, none, time
    unit_constant: str | None  # MS: r = (...) / MS, t = (...) * MS
    divide: bool


RATE = Kind("baseVoltageDepRate", "r", "per_time", "MS", divide=True)
VARIABLE = Kind("baseVoltageDepVariable", "x", "none", None, divide=False)
TIME = Kind("baseVoltageDepTime", "t", "time", "MS", divide=False)

CONCENTRATION_BASES = {
    "baseVoltageDepRate": "baseVoltageConcDepRate",
    "baseVoltageDepVariable": "baseVoltageConcDepVariable",
    "baseVoltageDepTime": "baseVoltageConcDepTime",
}

# name -> (dimension, value) of the unit constants
CONSTANTS = {"MV": ("voltage", "1mV"), "MS": ("time", "1ms"), "KELVIN": ("temperature", "1K"),
             "MM": ("concentration", "1mM")}

FUNCTIONS = {sp.exp: "exp", sp.log: "ln", sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh",
             sp.Abs: "abs", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan"}
RELATIONS = {sp.StrictLessThan: ".lt.", sp.StrictGreaterThan: ".gt.", sp.LessThan: ".leq.",
             sp.GreaterThan: ".geq.", sp.Equality: ".eq.", sp.Unequality: ".neq."}


class LemsPrinter:
    """sympy -> LEMS expression text (+ - * / ^, exp, ln, ...; .lt. and .and. in conditions)."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        self.names = names

    def text(self, expr: sp.Basic) -> str:
        return self._print(expr, 0)

    def _print(self, expr: sp.Basic, outer: int) -> str:
        text, precedence = self.node(expr)
        return f"({text})" if precedence < outer else text

    def node(self, expr: sp.Basic) -> tuple[str, int]:
        if isinstance(expr, sp.Symbol):
            return self.names[expr], 9
        if expr.is_number and not isinstance(expr, sp.core.relational.Relational):  # 2, 1/3, pi, log(10)
            value = float(expr)
            return number(value), (9 if value >= 0 else 1)
        if isinstance(expr, sp.Add):
            return self._sum(expr), 1
        if isinstance(expr, sp.Mul):
            return self._product(expr)
        if isinstance(expr, sp.Pow):
            return self._power(expr)
        if isinstance(expr, (sp.Function, sp.Abs)) and type(expr) in FUNCTIONS:
            return f"{FUNCTIONS[type(expr)]}({self._print(expr.args[0], 0)})", 9
        if isinstance(expr, sp.core.relational.Relational) and type(expr) in RELATIONS:
            return f"{self._print(expr.lhs, 1)} {RELATIONS[type(expr)]} {self._print(expr.rhs, 1)}", 0
        if isinstance(expr, (sp.And, sp.Or)):
            joint = " .and. " if isinstance(expr, sp.And) else " .or. "
            return joint.join(f"({self.text(a)})" for a in expr.args), 0
        raise ValueError(f"LEMS has no expression for {type(expr).__name__}: {expr}")

    def _sum(self, expr: sp.Add) -> str:
        terms = sorted(expr.args, key=lambda t: (t.is_Number, sp.default_sort_key(t)))
        text = self._print(terms[0], 1)
        for term in terms[1:]:
            coefficient, rest = term.as_coeff_Mul()
            if coefficient < 0:
                text += f" - {self._print(-term, 2)}"
            else:
                text += f" + {self._print(term, 1)}"
        return text

    def _product(self, expr: sp.Mul) -> tuple[str, int]:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient < 0:
            return f"-{self._print(-expr, 2)}", 2
        numerator, denominator = [], []
        for factor in sp.Mul.make_args(expr):
            base, exponent = factor.as_base_exp()
            if exponent.is_Number and exponent < 0:
                denominator.append(base ** -exponent)
            elif factor.is_Rational and not factor.is_Integer:
                if factor.p != 1:
                    numerator.append(sp.Integer(factor.p))
                denominator.append(sp.Integer(factor.q))
            else:
                numerator.append(factor)
        top = " * ".join(self._print(f, 2) for f in numerator) if numerator else "1"
        if not denominator:
            return top, 2
        bottom = " * ".join(self._print(f, 3) for f in denominator)
        bottom = f"({bottom})" if len(denominator) > 1 else bottom
        return f"{top} / {bottom}", 2

    def _power(self, expr: sp.Pow) -> tuple[str, int]:
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return f"sqrt({self._print(base, 0)})", 9
        if exponent.is_Number and exponent < 0:
            return f"1 / {self._print(base ** -exponent, 3)}", 2
        if base == sp.E:
            return f"exp({self._print(exponent, 0)})", 9
        return f"{self._print(base, 5)}^{self._print(exponent, 5)}", 4


def component_type(name: str, kind: Kind, expr: sp.Expr, v: sp.Symbol, temperature: sp.Symbol,
                   calcium: sp.Symbol, comment: str = "") -> Element:
    """A ComponentType computing `expr` (in ionc's units) as `kind`'s exposure."""
    expr = sp.sympify(expr)
    stray = expr.free_symbols - {v, temperature, calcium}
    if stray:
        raise ValueError(f"the rate reads {', '.join(sorted(map(str, stray)))}, which NeuroML gives no rate")
    reads = expr.free_symbols
    names = {v: "V", temperature: "TK", calcium: "CA"}
    printer = LemsPrinter(dict(names))
    inputs = [("V", "v / MV", v), ("TK", "temperature / KELVIN", temperature), ("CA", "caConc / MM", calcium)]
    dynamics: list[Element] = [
        element("DerivedVariable", name=short, dimension="none", value=value)
        for short, value, symbol in inputs if symbol in expr.free_symbols
    ]
    expr, conditionals = lift_conditionals(expr, printer)
    value, precedence = printer.node(expr)
    if kind.unit_constant is not None:
        value = value if precedence >= 2 else f"({value})"
        value = f"{value} {'/' if kind.divide else '*'} {kind.unit_constant}"
    dynamics.append(element("DerivedVariable", name=kind.exposure, exposure=kind.exposure, dimension=kind.dimension,
                            value=value))
    dynamics += conditionals  # the schema's Dynamics: every DerivedVariable before the ConditionalDerivedVariables
    used = ({"MV"} if v in reads else set()) | ({kind.unit_constant} if kind.unit_constant else set())
    used |= {"KELVIN"} if temperature in reads else set()
    used |= {"MM"} if calcium in reads else set()
    constants = [element("Constant", name=c, dimension=CONSTANTS[c][0], value=CONSTANTS[c][1])
                 for c in CONSTANTS if c in used]
    requirements = [element("Requirement", name="temperature", dimension="temperature")] \
        if "KELVIN" in used else []
    base = CONCENTRATION_BASES[kind.base] if calcium in reads else kind.base
    return element("ComponentType", *constants, *requirements, element("Dynamics", *dynamics), comment=comment,
                   name=name, extends=base)


def lift_conditionals(expr: sp.Expr, printer: LemsPrinter) -> tuple[sp.Expr, list[Element]]:
    """Each Piecewise, min and max (innermost first) as a ConditionalDerivedVariable c0, c1, ...
    in its place; max(a, b) is a if a >= b, else b."""
    lifted: list[Element] = []
    while True:
        innermost = next((p for p in sp.postorder_traversal(expr) if isinstance(p, (sp.Piecewise, sp.Min, sp.Max))),
                         None)
        if innermost is None:
            return expr, lifted
        name = f"c{len(lifted)}"
        placeholder = sp.Symbol(name)
        replacement: sp.Expr = placeholder
        if isinstance(innermost, (sp.Min, sp.Max)):
            first, second, *rest = innermost.args
            keeps = ".geq." if isinstance(innermost, sp.Max) else ".leq."
            condition = f"{printer.text(first)} {keeps} {printer.text(second)}"
            cases = [element("Case", condition=condition, value=printer.text(first)),
                     element("Case", value=printer.text(second))]
            if rest:
                replacement = type(innermost)(placeholder, *rest)
        else:
            cases = _cases(innermost, printer)
        lifted.append(element("ConditionalDerivedVariable", *cases, name=name, dimension="none"))
        printer.names[placeholder] = name
        expr = expr.xreplace({innermost: replacement})


def _cases(piecewise: sp.Piecewise, printer: LemsPrinter) -> list[Element]:
    cases = []
    for value, condition in piecewise.args:
        if condition == sp.true:
            cases.append(element("Case", value=printer.text(value)))
            break
        cases.append(element("Case", condition=printer.text(condition), value=printer.text(value)))
    return cases
