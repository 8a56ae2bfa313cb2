"""NeuroML2's standard rate forms and temperature factors, recognised symbolically.

A rate (or steady state) of v alone is matched against the forms the
NeuroML2 core types define (NeuroML2CoreTypes/Channels.xml), with x = (v - midpoint)/scale:

    HHExpRate        rate * exp(x)
    HHSigmoidRate    rate / (1 + exp(-x))
    HHExpLinearRate  rate * x / (1 - exp(-x))

(the *Variable forms are the same with a dimensionless rate). For each
exp(a v + b) in the expression, the form fixes x (x = a v + b, or -(a v + b)),
so midpoint = -b/a and scale = 1/a (or their negatives); the expression is
the form when dividing it by the form's shape leaves a constant, which sympy
decides on the exact (rational) expression: the text of the model plays no
part. Every match is also checked numerically at a few voltages.

A temperature factor is recognised as Q^((T - T0)/10): its logarithm is
linear in T, with slope log(Q)/10 (q10ExpTemp with q10Factor Q and
experimentalTemp T0), or constant (q10Fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ionc.symbolic.bridge import ABSOLUTE_ZERO_CELSIUS

CHECK_VOLTAGES = (-97.3, -61.1, -13.7, 0.3, 27.9)  # mV, away from any form's removable 0/0
CHECK_TOLERANCE = 1e-12  # relative: a match must agree with the expression this closely


@dataclass(frozen=True)
class StandardForm:
    """A standard NeuroML2 rate: `rate` in the rate's units (1/ms, or 1 for a variable), mV."""

    kind: str  # "Exp", "Sigmoid", "ExpLinear": HH<kind>Rate, HH<kind>Variable
    rate: float
    midpoint: float
    scale: float


# shape(x) for each form: the expression divided by `rate`
_SHAPES: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "Exp": sp.exp,
    "Sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "ExpLinear": lambda x: x / (1 - sp.exp(-x)),
}


def standard_form(expr: sp.Expr, v: sp.Symbol) -> StandardForm | None:
    """The standard form `expr` (a function of v alone) has, or None."""
    if expr.free_symbols != {v}:
        return None
    for exponent in _exponents(expr, v):
        for kind, sign in (("Exp", 1), ("Sigmoid", -1), ("ExpLinear", -1)):
            x = sign * exponent  # exp(exponent) is exp(x) or exp(-x) in the form
            found = _fit(expr, v, kind, x)
            if found is not None:
                return found
    return None


def _exponents(expr: sp.Expr, v: sp.Symbol) -> list[sp.Expr]:
    """Each a v + b (a != 0) with exp(a v + b) in expr."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.exp):
            argument = sp.expand(node.args[0])
            slope = sp.diff(argument, v)
            if slope.free_symbols or slope == 0 or sp.diff(argument, v, 2) != 0:
                continue
            if argument not in found:
                found.append(argument)
    return found


def _fit(expr: sp.Expr, v: sp.Symbol, kind: str, x: sp.Expr) -> StandardForm | None:
    rate = sp.simplify(sp.cancel(sp.powsimp(expr / _SHAPES[kind](x))))
    if rate.free_symbols or rate == 0 or not rate.is_finite:
        return None
    slope = sp.diff(x, v)
    midpoint, scale = -x.subs(v, 0) / slope, 1 / slope
    form = StandardForm(kind=kind, rate=float(rate), midpoint=float(midpoint), scale=float(scale))
    return form if _agrees(form, expr, v) else None


def form_value(form: StandardForm, v: float) -> float:
    """The form at v, in floating point, as NeuroML2 defines it."""
    x = (v - form.midpoint) / form.scale
    shape = {"Exp": lambda: sp.exp(x), "Sigmoid": lambda: 1 / (1 + sp.exp(-x)),
             "ExpLinear": lambda: x / (1 - sp.exp(-x))}[form.kind]()
    return float(form.rate * shape)


def _agrees(form: StandardForm, expr: sp.Expr, v: sp.Symbol) -> bool:
    for at in CHECK_VOLTAGES:
        expected = float(expr.subs(v, sp.Rational(repr(at))))
        if abs(form_value(form, at) - expected) > CHECK_TOLERANCE * max(abs(expected), 1e-300):
            return False
    return True


# ---------------------------------------------------------------- temperature factors


@dataclass(frozen=True)
class TemperatureFactor:
    """Q^((T - T0)/10) (q10ExpTemp), or a fixed factor (q10Fixed: experimental_celsius None)."""

    q10: float
    experimental_celsius: float | None


def temperature_factor(factor: sp.Expr, temperature: sp.Symbol) -> TemperatureFactor | None:
    """The factor as q10 settings; None if it is 1, ValueError if it has no such form."""
    factor = sp.sympify(factor)
    if factor == 1:
        return None
    if factor.free_symbols - {temperature}:
        raise ValueError(f"the temperature factor {factor} depends on more than the temperature")
    logarithm = sp.expand_log(sp.log(factor), force=True)
    slope = sp.simplify(sp.diff(logarithm, temperature))
    if slope.free_symbols:
        raise ValueError(f"the temperature factor {factor} is not of the form Q^((T - T0)/10)")
    if slope == 0:
        return TemperatureFactor(q10=float(factor), experimental_celsius=None)
    at_zero = sp.simplify(logarithm - slope * temperature)  # log f = slope T + at_zero
    kelvin = -at_zero / slope
    return TemperatureFactor(q10=float(sp.exp(10 * slope)),
                             experimental_celsius=float(kelvin - ABSOLUTE_ZERO_CELSIUS))
