"""The one bridge from syntax expressions to sympy. Never `sympify` model text.

Values are built in SI with exact rationals: a name `x` whose internal unit
is `s` (SI value of one internal unit) stands for `x * s`, a quantity
`40 mV` is `Rational(40) / 1000`. `to_internal` divides the result by the
internal scale of its dimension, so `0.1 /ms/mV * (v + 40 mV)` becomes
`v/10 + 4` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import sympy as sp

from ionc.diagnostics import Code, DiagnosticSink, fail
from ionc.sema import units as u
from ionc.sema.dimensions import infer
from ionc.source import Span
from ionc.syntax import nodes as syn

# CODATA 2018 exact values (SI), the ones NEURON's nrnunits.lib uses.
FARADAY = sp.Rational("96485.33212")
GAS_CONSTANT = sp.Rational("8.314462618")
ABSOLUTE_ZERO_CELSIUS = sp.Rational("273.15")


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def internal_scale(dimension: u.Dimension) -> sp.Rational:
    return rational(internal_unit_scale(dimension))


def internal_unit_scale(dimension: u.Dimension) -> Fraction:
    return u.internal_unit(dimension)[1]


_FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "log10": lambda x: sp.log(x, 10), "sqrt": sp.sqrt,
    "abs": sp.Abs, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
    "min": sp.Min, "max": sp.Max,
}
_COMPARE = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq, "!=": sp.Ne}


class Lowerer:
    """Builds SI-valued sympy expressions from syntax in a scope of SI values.

    `values` maps a name to its SI sympy value; `dims` to its dimension (to
    find the internal unit of a result).
    """

    def __init__(self, values: Mapping[str, sp.Expr], dims: Mapping[str, u.Dimension]) -> None:
        self.values = dict(values)
        self.dims = dict(dims)

    def define(self, name: str, value_si: sp.Expr, dim: u.Dimension) -> None:
        self.values[name] = value_si
        self.dims[name] = dim

    def dimension(self, expr: syn.Expr) -> u.Dimension:
        dim = infer(expr, self.dims, DiagnosticSink())
        assert dim is not None, "check has validated this expression"
        return dim

    def to_internal(self, expr: syn.Expr) -> sp.Expr:
        """The value of `expr` in ionc's internal unit for its dimension."""
        return self.si(expr) / internal_scale(self.dimension(expr))

    def si(self, expr: syn.Expr) -> sp.Expr:
        method = getattr(self, "_" + type(expr).__name__)
        result: sp.Expr = method(expr)
        return result

    def _Number(self, expr: syn.Number) -> sp.Expr:
        return sp.Rational(expr.text)

    def _Quantity(self, expr: syn.Quantity) -> sp.Expr:
        unit = u.parse_unit(expr.unit)
        return sp.Rational(expr.number) * rational(unit.scale) + rational(unit.offset)

    def _Name(self, expr: syn.Name) -> sp.Expr:
        return self.values[expr.id]

    def _Negate(self, expr: syn.Negate) -> sp.Expr:
        return -self.si(expr.operand)

    def _Binary(self, expr: syn.Binary) -> sp.Expr:
        left, right = self.si(expr.left), self.si(expr.right)
        match expr.op:
            case "+":
                return left + right
            case "-":
                return left - right
            case "*":
                return left * right
            case "/":
                return left / right
            case "^":
                if left.is_Number and right.is_Number:
                    return _number_power(left, right)
                return left**right
            case "and":
                return sp.And(left, right)
            case "or":
                return sp.Or(left, right)
        return _COMPARE[expr.op](left, right)

    def _IfExpr(self, expr: syn.IfExpr) -> sp.Expr:
        return sp.Piecewise((self.si(expr.then), self.si(expr.condition)), (self.si(expr.orelse), True))

    def _Call(self, expr: syn.Call) -> sp.Expr:
        return _FUNCTIONS[expr.func.text](*(self.si(a) for a in expr.args))

    def _KeywordCall(self, expr: syn.KeywordCall) -> sp.Expr:
        args = {a.name.text: self.si(a.value) for a in expr.args}
        x = (self.values["v"] - args["midpoint"]) / args["scale"]
        rate = args["rate"]
        if expr.func.text == "exponential":
            return rate * sp.exp(x)
        if expr.func.text == "sigmoid":
            return rate / (1 + sp.exp(-x))
        return rate * x / (1 - sp.exp(-x))  # exp_linear


def _number_power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """A power of two numbers: exact when small, else a float (3^3^3^3 would never finish)."""
    if exponent.is_Integer and abs(int(exponent)) <= 64 and abs(base) < 10**6:
        return base**exponent
    try:
        return sp.Float(float(base) ** float(exponent))
    except (OverflowError, ZeroDivisionError):
        return sp.zoo
    except TypeError:  # a negative base to a fractional power: complex
        return sp.nan


def finite_float(value: sp.Expr, span: Span) -> float:
    """A constant as a float; infinite, undefined or complex values are a model error."""
    if value.is_number and value.is_finite and value.is_extended_real:
        number = float(value)
        if math.isfinite(number):
            return number
    raise fail(Code.E303, "this value is not a finite real number", span)


def constant_value(expr: syn.Expr, lowerer: Lowerer) -> float:
    """A constant expression's value in internal units, as a float."""
    return finite_float(lowerer.to_internal(expr), expr.span)
