"""sympy expressions as NMODL text, and the statements that compute them.

The exporter hands this module expressions over `NmodlName` symbols only (the
names the .mod file declares); everything else (ionc's own symbols, T) has been
substituted before. NMODL has no conditional expression and no min/max, so
`if ... then ... else` (sympy's Piecewise) and `min`/`max` are lifted out of an
expression into `if`/`else` statements that assign a LOCAL, by `Statements`.

Printing is exact: a rational number becomes the decimal of its double (the
shortest repr that reads back to the same double), so the .mod file computes
with the numbers ionc computes with. A linear sum with rational coefficients is
printed with its common factor taken out, `(vt - v + 13)/4` rather than
`vt/4 - v/4 + 13/4`, which is the same number to rounding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter


class NmodlName(sp.Symbol):
    """A name of the .mod file: a distinct class, so never equal to an ionc symbol of the same name."""


def name(text: str) -> NmodlName:
    return NmodlName(text, real=True)


# Symbols whose coefficient makes the nicest common factor of a linear sum.
_LEADING = ("v", "celsius")

_FUNCTIONS = {"Abs": "fabs", "exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh", "sinh": "sinh",
              "cosh": "cosh", "efun": "efun"}


def number(value: float) -> str:
    """A double as NMODL reads it back exactly: '100', '0.32', '1e-06'."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class NmodlPrinter(StrPrinter):
    """StrPrinter with NMODL's spelling: `^`, `fabs`, `&&`, `||`, `!`, decimal numbers.

    `functions` maps the names of extra sympy functions (a channel's `efun`) to the
    FUNCTION names of the file."""

    def __init__(self, functions: Mapping[str, str] | None = None) -> None:
        super().__init__({"order": None})
        self.functions = {**_FUNCTIONS, **(functions or {})}

    # numbers and names
    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return number(float(expr))

    def _print_Float(self, expr: sp.Float) -> str:
        return number(float(expr))

    def _print_Pi(self, expr: sp.Expr) -> str:
        return number(float(sp.pi))  # NEURON 9's nocmodl has no PI unless a UNITS block defines it

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "exp(1)"

    def _print_NumberSymbol(self, expr: sp.Expr) -> str:
        return number(float(expr))

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if not isinstance(expr, NmodlName):
            raise ValueError(f"no NMODL name for {expr}")
        return str(expr.name)

    # arithmetic
    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        factor = _common_factor(expr)
        if factor is None:
            return str(super()._print_Add(expr))
        rest = _divided(expr, factor)
        if all(term.as_coeff_Mul()[0] < 0 for term in sp.Add.make_args(rest)):  # -(v + 65)/20
            return "-" + _scaled(f"({super()._print_Add(-rest)})", factor)
        return _scaled(f"({super()._print_Add(rest)})", factor)

    def _print_Mul(self, expr: sp.Mul) -> str:
        coefficient, rest = expr.as_coeff_Mul()
        if not coefficient.is_Rational or coefficient in (1, -1) or coefficient.q == 1 or rest == 1:
            return str(super()._print_Mul(expr))
        sign = "-" if coefficient < 0 else ""
        text = str(super()._print_Mul(rest)) if isinstance(rest, sp.Mul) else self.parenthesize(rest, PRECEDENCE["Mul"])
        if text.startswith("-"):
            text = f"({text})"
        scaled = _scaled(text, abs(coefficient))
        if scaled.startswith(f"{number(float(abs(coefficient)))}*1/"):  # c*1/x: c/x
            scaled = scaled.replace("*1/", "/", 1)
        return sign + scaled

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent == sp.S.Half:
            return f"sqrt({self._print(base)})"
        if exponent.is_Number and exponent < 0:
            positive = sp.Pow(base, -exponent)
            return f"1/{self.parenthesize(positive, PRECEDENCE['Mul'], strict=True)}"
        text = self._print(base)
        if not (base.is_Symbol or (base.is_Number and base >= 0)):
            text = f"({text})"
        if exponent.is_Rational and not exponent.is_Integer and abs(exponent.q) < 100:
            power = f"({exponent.p}/{exponent.q})"
        else:
            power = self._print(exponent)
            if not ((exponent.is_Integer and exponent > 0) or exponent.is_Symbol):
                power = f"({power})"
        return f"{text}^{power}"

    def _print_Function(self, expr: sp.Function) -> str:
        func = type(expr).__name__
        if func not in self.functions:
            raise ValueError(f"NMODL has no function {func}()")
        return f"{self.functions[func]}({', '.join(self._print(a) for a in expr.args)})"

    _print_exp = _print_Function
    _print_log = _print_Function
    _print_Abs = _print_Function

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        """Positive terms first (v or celsius leading), then negative ones; numbers last in each:
        `v - ena`, `vt + 13 - v`, `celsius - 36`."""
        def key(term: sp.Expr) -> tuple[bool, bool, bool]:
            coefficient = term.as_coeff_Mul()[0]
            leading = any(isinstance(s, NmodlName) and s.name in _LEADING for s in term.free_symbols)
            return (bool(coefficient.is_negative), not leading, bool(term.is_number))

        return sorted(super()._as_ordered_terms(expr, order=order), key=key)

    # conditions
    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        left, op, right = _normalised(expr)
        return f"{self._print(left)} {op} {self._print(right)}"

    def _print_And(self, expr: sp.And) -> str:
        return " && ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr: sp.Or) -> str:
        return " || ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr: sp.Not) -> str:
        return f"!({self._print(expr.args[0])})"

    def _print_ITE(self, expr: sp.Expr) -> str:
        condition, then, otherwise = (self._print(a) for a in expr.args)
        return f"(({condition}) && ({then})) || (!({condition}) && ({otherwise}))"

    def _print_BooleanTrue(self, expr: sp.Expr) -> str:
        return "1"

    def _print_BooleanFalse(self, expr: sp.Expr) -> str:
        return "0"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        raise ValueError("a Piecewise must be lifted into statements first")

    _print_Max = _print_Piecewise
    _print_Min = _print_Piecewise


def _as_decimal(value: sp.Rational) -> bool:
    """Whether a fraction reads better as a decimal: 8/25 as 0.32, F/R as 11604.518...; not 1/3."""
    return int(value.q) > 1000 or len(number(float(value))) <= 8


def _short(value: sp.Rational) -> bool:
    return len(number(float(value))) <= 8


def _scaled(text: str, factor: sp.Rational) -> str:
    """text times a positive fraction, the way a modeller writes it: `x/4`, `0.32*x`,
    `x/9.7`, `11604.518*x`; `10*x/97` when nothing reads better."""
    if factor == 1:
        return text
    if factor.p == 1:
        return f"{text}/{factor.q}"
    if factor.q == 1 or _short(factor):
        return f"{number(float(factor))}*{text}"
    if _short(1 / factor):
        return f"{text}/{number(float(1 / factor))}"
    if factor.q > 1000:
        return f"{number(float(factor))}*{text}"
    return f"{factor.p}*{text}/{factor.q}"


def _common_factor(expr: sp.Add) -> sp.Rational | None:
    """The positive factor to take out of a sum whose terms all have rational coefficients.

    The size of the coefficient of v (or celsius), so that the sum reads `(v - vt - 40)/5`,
    `(18.7 - v)/9.7` or `0.0556*(v + 54.7)`; without such a term, the sum's rational
    content (`5*(shift + 57)`). None when there is nothing to take out."""
    coefficients = [term.as_coeff_Mul()[0] for term in expr.args]
    if not all(c.is_Rational for c in coefficients):
        return None
    for term in expr.args:
        c, rest = term.as_coeff_Mul()
        if isinstance(rest, NmodlName) and rest.name in _LEADING:
            return None if abs(c) == 1 else sp.Rational(abs(c))
    content, _ = expr.primitive()
    if content == 1 or not content.is_Rational:
        return None
    return sp.Rational(content)


def tidy(expr: sp.Expr) -> sp.Expr:
    """The same value, arranged to print well: the rational content of each sum in a
    product moved into the product's coefficient (`0.32*(vt + 13 - v)/(...)` rather than
    `(320*vt + 4160 - 320*v)/(1000*(...))`), a power of two numbers as its double."""
    if expr.is_Atom or isinstance(expr, sp.Piecewise) or not expr.args:
        return expr
    args = [tidy(a) for a in expr.args]
    if isinstance(expr, sp.Pow) and args[0].is_number and args[1].is_number and not args[1].is_Integer:
        return sp.Float(float(expr))
    if not isinstance(expr, sp.Mul):
        return expr.func(*args)
    coefficient: sp.Expr = sp.Integer(1)
    factors = []
    for a in args:
        base, power = (a.base, a.exp) if isinstance(a, sp.Pow) else (a, sp.Integer(1))
        if isinstance(base, sp.Add) and power.is_Integer:
            content = _common_factor(base)
            if content is not None:
                coefficient *= content**power
                factors.append(sp.Pow(_divided(base, content), power))
                continue
        factors.append(a)
    return sp.Mul(coefficient, *factors)


def _divided(expr: sp.Expr, factor: sp.Expr) -> sp.Expr:
    """A sum divided by a number term by term (no deeper expansion: exp(a + b) stays whole)."""
    return sp.Add(*(term / factor for term in sp.Add.make_args(expr)))


_OPERATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _normalised(expr: sp.core.relational.Relational) -> tuple[sp.Expr, str, sp.Expr]:
    """`(shift + v)/1000 < -2/25` -> (v + shift, '<', -80): the linear part on the left with
    its common factor divided out, the constant on the right."""
    op = _OPERATORS[expr.rel_op]
    difference = sp.Add(*sp.Add.make_args(expr.lhs), *(-t for t in sp.Add.make_args(expr.rhs)))
    constant, linear = difference.as_coeff_Add()
    if linear == 0:
        return expr.lhs, op, expr.rhs
    factor = _common_factor(linear) if isinstance(linear, sp.Add) else linear.as_coeff_Mul()[0]
    if factor is None or not factor.is_Rational or factor == 0:
        factor = sp.Integer(1)
    if factor < 0:
        op = _FLIPPED[op]
    return _divided(linear, factor), op, -constant / factor


# ---------------------------------------------------------------- statements


@dataclass
class Statements:
    """Lines of an NMODL block (each assignment with its if/else guards) and the LOCALs they need.

    `fresh(stem)` gives a LOCAL name not used anywhere else in the file."""

    printer: NmodlPrinter
    fresh: Callable[[str], str]
    lines: list[str] = field(default_factory=list)
    locals: list[str] = field(default_factory=list)

    def comment(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            self.lines.append(f": {line}".rstrip())

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def assign(self, target: str, expr: sp.Expr) -> None:
        """target = expr, with any Piecewise, min or max computed first by if/else statements."""
        self.lines.append(f"{target} = {self.text(expr)}")

    def guarded(self, target: str, expr: sp.Expr, points: Iterable[tuple[sp.Expr, sp.Expr, sp.Expr]],
                variable: sp.Expr, width: float) -> None:
        """target = expr, except within `width` of each removable singularity (at, value, slope)
        of `variable`, where it is the limit plus the slope times the distance (exact at the point)."""
        points = list(points)
        if not points:
            self.assign(target, expr)
            return
        value = self.text(expr)
        distance = [self.text(sp.expand(variable - at)) for at, _, _ in points]
        limits = [(self.text(limit), self.text(slope)) for _, limit, slope in points]
        for k, (d, (limit, slope)) in enumerate(zip(distance, limits, strict=True)):
            keyword = "if" if k == 0 else "} else if"
            self.lines.append(f"{keyword} (fabs({d}) < {number(width)}) {{")
            self.lines.append(f"    {target} = {_plus_times(limit, slope, d)}")
        self.lines.append("} else {")
        self.lines.append(f"    {target} = {value}")
        self.lines.append("}")

    def lift(self, expr: sp.Expr) -> sp.Expr:
        """expr with each Piecewise, min and max replaced by a LOCAL computed by if statements,
        innermost first."""
        while True:
            found = next((p for p in sp.postorder_traversal(expr) if isinstance(p, (sp.Piecewise, sp.Max, sp.Min))),
                         None)
            if found is None:
                return expr
            local = self.fresh("branch")
            self.locals.append(local)
            if isinstance(found, sp.Piecewise):
                for k, (value, condition) in enumerate(found.args):
                    if condition == sp.true:
                        self.lines.append("} else {")
                    else:
                        keyword = "if" if k == 0 else "} else if"
                        self.lines.append(f"{keyword} ({self.printer.doprint(condition)}) {{")
                    self.lines.append(f"    {local} = {self.printer.doprint(tidy(value))}")
                self.lines.append("}")
            else:  # min or max: the first argument, then each one that is smaller or larger
                first, *others = found.args
                self.lines.append(f"{local} = {self.printer.doprint(tidy(first))}")
                compare = ">" if isinstance(found, sp.Max) else "<"
                for other in others:
                    text = self.printer.doprint(tidy(other))
                    self.lines.append(f"if ({text} {compare} {local}) {{")
                    self.lines.append(f"    {local} = {text}")
                    self.lines.append("}")
            expr = expr.xreplace({found: name(local)})

    def text(self, expr: sp.Expr) -> str:
        """A value printed (its common factors taken out), a number as its double."""
        if expr.is_number:
            return number(float(expr))
        return str(self.printer.doprint(tidy(self.lift(expr))))


def _plus_times(limit: str, slope: str, distance: str) -> str:
    """'limit + slope*(distance)', or 'limit - |slope|*(distance)' for a negative number."""
    if not re.fullmatch(r"-?[0-9.e+-]+", slope):
        return f"{limit} + ({slope})*({distance})"
    if slope.startswith("-"):
        return f"{limit} - {slope[1:]}*({distance})"
    return f"{limit} + {slope}*({distance})"
