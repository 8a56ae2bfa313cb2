"""The Goldman-Hodgkin-Katz flux and its removable singularity at v = 0.

    i = pbar z F efun(xi) (ci - co exp(-xi)),   xi = z F v / (R T),
    efun(x) = x / (1 - exp(-x))                 (-> 1 as x -> 0)

efun is its own function here, with the limit at 0 and a derivative of its
own (efun_slope, -> 1/2 at 0), so the singularity is handled once, exactly,
wherever the current or its conductance di/dv is evaluated: the generated
code computes x / -expm1(-x) (accurate to rounding right up to 0) and puts
the limit in at x == 0; the slope uses its Taylor series near 0, where the
closed form cancels.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

# Below this |x| the slope's closed form loses digits to cancellation; its series
# 1/2 + x/6 - x^3/180 is then exact to rounding (the next term is x^5/5040).
SLOPE_SERIES_BELOW = 1e-3


class efun(sp.Function):  # noqa: N801 - printed as the runtime function of the same name
    """x / (1 - exp(-x)), with its limit 1 at x = 0."""

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.Integer(1)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return efun_slope(self.args[0])

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: Any) -> sp.Expr:
        return x / (1 - sp.exp(-x))


class efun_slope(sp.Function):  # noqa: N801
    """d/dx efun(x) = (1 - exp(-x) (1 + x)) / (1 - exp(-x))^2, with its limit 1/2 at x = 0."""

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.Rational(1, 2)
        return None

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: Any) -> sp.Expr:
        return (1 - sp.exp(-x) * (1 + x)) / (1 - sp.exp(-x)) ** 2


def ghk_flux(permeability: sp.Expr, valence: int, inside: sp.Expr, outside: sp.Expr, v: sp.Expr,
             temperature: sp.Expr, faraday: sp.Expr, gas_constant: sp.Expr) -> sp.Expr:
    """The GHK current density, in SI (A/m2) when every argument is in SI."""
    xi = valence * faraday * v / (gas_constant * temperature)
    return permeability * valence * faraday * efun(xi) * (inside - outside * sp.exp(-xi))
