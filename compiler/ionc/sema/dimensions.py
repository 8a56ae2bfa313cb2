"""The dimension of an expression, with a diagnostic for every inconsistency.

`infer` walks a syntax expression in a scope (name -> Dimension) and returns
its dimension, or None after reporting what is wrong. Used by `check` to
validate a model and by `lower` to know each value's internal unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from ionc.diagnostics import Code, DiagnosticSink
from ionc.sema import units as u
from ionc.syntax import nodes as syn

BOOLEAN = u.Dimension((Fraction(-999),) * len(u.BASE))  # marker: a truth value
# Marker for a name whose definition has an error, already reported: its uses
# are not reported again (as "unknown name").
UNKNOWN = u.Dimension((Fraction(-998),) * len(u.BASE))

UNARY_DIMENSIONLESS = ("exp", "log", "log10", "tanh", "sinh", "cosh")
RATE_FORMS = ("exponential", "sigmoid", "exp_linear")
RATE_FORM_ARGS = ("rate", "midpoint", "scale")
FUNCTIONS = (*UNARY_DIMENSIONLESS, "sqrt", "abs", "min", "max")

CONSTANTS: dict[str, u.Dimension] = {
    "F": u.CHARGE / u.AMOUNT,
    "R": u.ENERGY / u.AMOUNT / u.TEMPERATURE,
    "pi": u.DIMENSIONLESS,
}


# Longest number literal read exactly; longer ones (or ones beyond a double's
# range) would make exact arithmetic later on build enormous integers.
MAX_NUMBER_CHARS = 40


def literal_problem(text: str) -> str | None:
    """Why the number literal `text` cannot be used, or None if it can."""
    if len(text) > MAX_NUMBER_CHARS:
        return f"a number has at most {MAX_NUMBER_CHARS} characters"
    value = float(text)
    if math.isinf(value):
        return f"{text} is too large for a number"
    mantissa = text.lower().partition("e")[0]
    if value == 0 and any(digit in mantissa for digit in "123456789"):
        return f"{text} is too small for a number (it is not 0)"
    return None


def _is_zero(expr: syn.Expr) -> bool:
    return isinstance(expr, syn.Number) and float(expr.text) == 0.0


def infer(expr: syn.Expr, scope: Mapping[str, u.Dimension], sink: DiagnosticSink) -> u.Dimension | None:
    """The dimension of a value; a bare condition (`v > 0 mV`) is reported, not a value."""
    return _Inferrer(scope, sink).value(expr)


def expect(
    expr: syn.Expr, wanted: u.Dimension, what: str, scope: Mapping[str, u.Dimension], sink: DiagnosticSink
) -> None:
    """Report unless `expr` has dimension `wanted` (a bare 0 fits anything)."""
    found = infer(expr, scope, sink)
    if found is None or found == wanted or _is_zero(expr):
        return
    sink.error(
        Code.E301,
        f"{what} must be {u.describe(wanted)}, but this is {_describe(found)}",
        expr.span,
        _unit_hint(wanted),
    )


def _describe(dim: u.Dimension) -> str:
    return "a true/false condition" if dim == BOOLEAN else u.describe(dim)


def _unit_hint(wanted: u.Dimension) -> str | None:
    name, _ = u.internal_unit(wanted)
    return None if wanted.is_dimensionless else f"write it with a unit, e.g. '... {name}'"


class _Inferrer:
    def __init__(self, scope: Mapping[str, u.Dimension], sink: DiagnosticSink) -> None:
        self.scope = scope
        self.sink = sink

    def visit(self, expr: syn.Expr) -> u.Dimension | None:
        method = getattr(self, "visit_" + type(expr).__name__)
        result: u.Dimension | None = method(expr)
        return result

    def value(self, expr: syn.Expr) -> u.Dimension | None:
        """The dimension of `expr` where a value is needed: a condition is an error."""
        dim = self.visit(expr)
        if dim == BOOLEAN:
            self.sink.error(
                Code.E301, "a true/false condition is not a value", expr.span,
                "use it only after 'if' or with 'and'/'or': if ... then ... else ...",
            )
            return None
        return dim

    def visit_Number(self, expr: syn.Number) -> u.Dimension | None:
        problem = literal_problem(expr.text)
        if problem is not None:
            self.sink.error(Code.E303, problem, expr.span)
            return None
        return u.DIMENSIONLESS

    def visit_Quantity(self, expr: syn.Quantity) -> u.Dimension | None:
        problem = literal_problem(expr.number)
        if problem is not None:
            self.sink.error(Code.E303, problem, expr.span.sub(0, len(expr.number)))
            return None
        try:
            return u.parse_unit(expr.unit).dimension
        except u.UnitError as error:
            span = expr.unit_span.sub(error.offset, error.offset + error.length)
            self.sink.error(Code.E300, str(error), span)
            return None

    def visit_Name(self, expr: syn.Name) -> u.Dimension | None:
        if expr.id in self.scope:
            dim = self.scope[expr.id]
            return None if dim == UNKNOWN else dim
        from ionc.sema.resolve import did_you_mean

        hint = did_you_mean(expr.id, self.scope)
        if hint is None and expr.id in u.UNITS:
            hint = f"'{expr.id}' is a unit: write it right after a number, e.g. '1 {expr.id}'"
        self.sink.error(Code.E200, f"unknown name '{expr.id}'", expr.span, hint)
        return None

    def visit_Negate(self, expr: syn.Negate) -> u.Dimension | None:
        return self.value(expr.operand)

    def visit_IfExpr(self, expr: syn.IfExpr) -> u.Dimension | None:
        condition = self.visit(expr.condition)
        if condition is not None and condition != BOOLEAN:
            self.sink.error(Code.E301, "the condition after 'if' must be a comparison", expr.condition.span)
        return self._same(expr.then, expr.orelse, "both branches of 'if'")

    def visit_Binary(self, expr: syn.Binary) -> u.Dimension | None:
        op = expr.op
        if op in ("+", "-"):
            return self._same(expr.left, expr.right, f"both sides of '{op}'")
        if op in ("<", "<=", ">", ">=", "==", "!="):
            return None if self._same(expr.left, expr.right, "both sides of a comparison") is None else BOOLEAN
        if op in ("and", "or"):
            for side in (expr.left, expr.right):
                dim = self.visit(side)
                if dim is not None and dim != BOOLEAN:
                    self.sink.error(Code.E301, f"'{op}' joins comparisons", side.span)
            return BOOLEAN
        if op == "^":
            return self._power(expr)
        left, right = self.value(expr.left), self.value(expr.right)
        if left is None or right is None:
            return None
        return left * right if op == "*" else left / right

    def _same(self, a: syn.Expr, b: syn.Expr, what: str) -> u.Dimension | None:
        left, right = self.value(a), self.value(b)
        if left is None or right is None:
            return None
        if left == right or _is_zero(b):
            return left
        if _is_zero(a):
            return right
        self.sink.error(
            Code.E301,
            f"{what} must have the same dimensions, but they are {_describe(left)} and {_describe(right)}",
            b.span,
        )
        return None

    def _power(self, expr: syn.Binary) -> u.Dimension | None:
        base, exponent = self.value(expr.left), self.value(expr.right)
        if base is None or exponent is None:
            return None
        if not exponent.is_dimensionless:
            self.sink.error(Code.E302, "an exponent must be dimensionless", expr.right.span)
            return None
        if base.is_dimensionless:
            return base
        power = constant_number(expr.right)
        if power is None:
            self.sink.error(Code.E302, "a quantity with units can only be raised to a constant number",
                            expr.right.span)
            return None
        if abs(power) > u.MAX_UNIT_POWER:
            self.sink.error(Code.E303, f"a quantity with units can only be raised to a power from "
                            f"-{u.MAX_UNIT_POWER} to {u.MAX_UNIT_POWER}", expr.right.span)
            return None
        return base ** power

    def visit_Call(self, expr: syn.Call) -> u.Dimension | None:
        name = expr.func.text
        if name in RATE_FORMS:
            self.sink.error(Code.E205, f"'{name}' takes keyword arguments: {name}(rate = ..., midpoint = ..., scale = ...)", expr.span)
            return None
        if name not in FUNCTIONS:
            from ionc.sema.resolve import did_you_mean

            self.sink.error(Code.E200, f"unknown function '{name}'", expr.func.span,
                            did_you_mean(name, (*FUNCTIONS, *RATE_FORMS)))
            return None
        dims = [self.value(a) for a in expr.args]
        wanted_count = (2, 99) if name in ("min", "max") else (1, 1)
        if not wanted_count[0] <= len(dims) <= wanted_count[1]:
            self.sink.error(Code.E205, f"'{name}' takes {'two or more arguments' if name in ('min', 'max') else 'one argument'}", expr.span)
            return None
        if any(d is None for d in dims):
            return None
        if name in UNARY_DIMENSIONLESS:
            if not dims[0].is_dimensionless:  # type: ignore[union-attr]
                self.sink.error(
                    Code.E302, f"the argument of {name}() must be dimensionless, but it is {_describe(dims[0])}",  # type: ignore[arg-type]
                    expr.args[0].span, "divide by a quantity of the same dimension, e.g. (v + 40 mV) / 10 mV",
                )
                return None
            return u.DIMENSIONLESS
        if name == "sqrt":
            return dims[0] ** Fraction(1, 2)  # type: ignore[operator]
        first = dims[0]
        for arg, dim in zip(expr.args[1:], dims[1:], strict=True):
            if dim != first:
                self.sink.error(Code.E301, f"all arguments of {name}() must have the same dimensions", arg.span)
                return None
        return first

    def visit_KeywordCall(self, expr: syn.KeywordCall) -> u.Dimension | None:
        name = expr.func.text
        if name not in RATE_FORMS:
            self.sink.error(Code.E200, f"unknown rate form '{name}'", expr.func.span,
                            f"expected one of: {', '.join(RATE_FORMS)}")
            return None
        if "v" not in self.scope:
            self.sink.error(Code.E205, f"{name}() is a function of v and belongs in a channel", expr.span)
            return None
        given = {a.name.text: a for a in expr.args}
        for arg in expr.args:
            if arg.name.text not in RATE_FORM_ARGS:
                self.sink.error(Code.E200, f"{name}() has no argument '{arg.name.text}'", arg.name.span,
                                "its arguments are rate, midpoint and scale")
        missing = [a for a in RATE_FORM_ARGS if a not in given]
        if missing:
            self.sink.error(Code.E204, f"{name}() needs {', '.join(missing)}", expr.span)
            return None
        for key in ("midpoint", "scale"):
            expect(given[key].value, u.VOLTAGE, f"the {key} of {name}()", self.scope, self.sink)
        return self.value(given["rate"].value)


def constant_number(expr: syn.Expr) -> Fraction | None:
    """The value of a plain (possibly negated) number, else None."""
    if isinstance(expr, syn.Number):
        return None if literal_problem(expr.text) is not None else Fraction(expr.text)
    if isinstance(expr, syn.Negate):
        inner = constant_number(expr.operand)
        return None if inner is None else -inner
    return None
