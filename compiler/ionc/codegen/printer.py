"""sympy -> numpy source text, as `np.` calls with plain float literals."""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.numpy import NumPyPrinter


def float_literal(value: float) -> str:
    """A Python literal for a double, infinities as np.inf (repr would write a bare `inf`)."""
    if value != value:
        return "np.nan"
    if value in (float("inf"), float("-inf")):
        return "np.inf" if value > 0 else "(-np.inf)"
    return repr(value)


class IoncPrinter(NumPyPrinter):
    """NumPyPrinter that writes `np.exp`, floats instead of fractions, `x*x` for squares."""

    def _module_format(self, fqn: str, register: bool = True) -> str:
        text: str = super()._module_format(fqn, register)
        return text.replace("numpy.", "np.")

    def _print_Rational(self, expr: sp.Rational) -> str:
        return float_literal(float(expr))

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Float(self, expr: sp.Float) -> str:
        # sympy's Floats reach beyond double range (a constant folded to 1e+5986350):
        # numpy would compute inf there, so the literal says np.inf, never a bare `inf`.
        return float_literal(float(expr))

    def _print_Pi(self, expr: Any) -> str:
        return "np.pi"

    # Derivatives of abs, min, max and if (for dI/dv, slopes at singular points) bring in
    # sign, Heaviside and DiracDelta; the last is zero wherever it is evaluated.
    def _print_DiracDelta(self, expr: Any) -> str:
        return "0.0"

    def _print_Heaviside(self, expr: Any) -> str:
        return f"np.heaviside({self._print(expr.args[0])}, 0.5)"

    def _print_sign(self, expr: Any) -> str:
        return f"np.sign({self._print(expr.args[0])})"

    def _as_ordered_terms(self, expr: sp.Expr, order: Any = None) -> list[sp.Expr]:
        """A positive term first, so `b - a` is printed rather than `-a + b`: numpy then
        does one subtraction instead of a negation and an addition."""
        terms: list[sp.Expr] = list(super()._as_ordered_terms(expr, order=order))
        positive = [t for t in terms if not t.could_extract_minus_sign()]
        if positive and terms[0].could_extract_minus_sign():
            first = positive[0]
            terms.remove(first)
            terms.insert(0, first)
        return terms

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        """1/x for x**-1 and x*x*x for small powers: cheaper than np.power."""
        base, exponent = expr.args
        if exponent == -1:
            return f"1/{self.parenthesize(base, 50)}"
        if exponent.is_Integer and 2 <= int(exponent) <= 4:
            # Parenthesised: the Mul printer may put this after a `/`.
            return "(" + "*".join([self.parenthesize(base, 60)] * int(exponent)) + ")"
        text: str = super()._print_Pow(expr, rational=rational)
        return text


    # The GHK flux's x/(1 - exp(-x)) and its slope: runtime functions with their limits at 0
    # (ionc/runtime/standalone.py), see ionc/symbolic/ghk.py.
    def _print_efun(self, expr: Any) -> str:
        return f"efun({self._print(expr.args[0])})"

    def _print_efun_slope(self, expr: Any) -> str:
        return f"efun_slope({self._print(expr.args[0])})"


_PRINTER = IoncPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})


def code(expr: sp.Expr) -> str:
    text: str = _PRINTER.doprint(expr)
    return text


def _print_min_max(printer: IoncPrinter, expr: sp.Expr, function: str) -> str:
    args = [printer._print(a) for a in expr.args]
    text = args[0]
    for arg in args[1:]:
        text = f"np.{function}({text}, {arg})"
    return text


IoncPrinter._print_Min = lambda self, e: _print_min_max(self, e, "minimum")  # type: ignore[attr-defined]
IoncPrinter._print_Max = lambda self, e: _print_min_max(self, e, "maximum")  # type: ignore[attr-defined]


def _print_piecewise(printer: IoncPrinter, expr: sp.Piecewise) -> str:
    *pieces, (last, _) = expr.args
    text = printer._print(last)
    for value, condition in reversed(pieces):
        text = f"np.where({printer._print(condition)}, {printer._print(value)}, {text})"
    return text


IoncPrinter._print_Piecewise = _print_piecewise  # type: ignore[attr-defined]


class ScalarPrinter(IoncPrinter):
    """For the fused (numba) loop: one value at a time, so `a if c else b` for conditions."""

    def _print_And(self, expr: Any) -> str:
        return "(" + " and ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr: Any) -> str:
        return "(" + " or ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr: Any) -> str:
        return f"(not {self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: Any) -> str:
        x = self._print(expr.args[0])
        return f"(1.0 if {x} > 0 else (0.5 if {x} == 0 else 0.0))"

    def _print_efun(self, expr: Any) -> str:  # the fused loop's numba versions
        return f"_efun({self._print(expr.args[0])})"

    def _print_efun_slope(self, expr: Any) -> str:
        return f"_efun_slope({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        *pieces, (last, _) = expr.args
        text = self._print(last)
        for value, condition in reversed(pieces):
            text = f"(({self._print(value)}) if ({self._print(condition)}) else ({text}))"
        return text


_SCALAR_PRINTER = ScalarPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})


def scalar_code(expr: sp.Expr) -> str:
    text: str = _SCALAR_PRINTER.doprint(expr)
    return text
