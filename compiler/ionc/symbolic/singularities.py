"""Removable singularities of rate expressions, found and guarded automatically.

HH's alpha_m = 0.1 (v + 40) / (1 - exp(-(v + 40)/10)) is 0/0 at v = -40 mV.
Modellers used to write `vtrap` by hand; here ionc finds the real zeros of
each denominator of the shapes rates have (a + b exp(c v + d), and
polynomials up to degree 2; other shapes are left unguarded rather than
handed to sympy's general solver), checks that the numerator vanishes too (a
removable singularity; a true pole is an error), and computes the limit and
the slope there by Taylor coefficients. The emitted code evaluates the expression
(with `1 - exp(x)` rewritten as `-expm1(x)`, accurate near the point) and,
within `GUARD_WIDTH` of the point, the first-order Taylor polynomial, which
equals the limit exactly at the point.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.codegen.cfunctions import expm1

GUARD_WIDTH = 1e-6  # in the variable's internal unit (mV for v)


@dataclass(frozen=True, slots=True)
class SingularPoint:
    at: sp.Expr  # the value of the variable, exact
    value: sp.Expr  # the limit there, exact
    slope: sp.Expr  # the derivative there, exact


class PoleError(ValueError):
    """The expression is infinite (not 0/0) at a real value of the variable."""

    def __init__(self, at: sp.Expr) -> None:
        super().__init__(f"the expression is infinite at {at}")
        self.at = at


def rewrite_expm1(expr: sp.Expr) -> sp.Expr:
    """`c - c*exp(x)` -> `-c*expm1(x)`: accurate where x is near 0.

    A two-term pattern match, not sympy's `expm1_opt`, which factors the whole
    expression and can take minutes on exact physical constants.
    """
    result: sp.Expr = expr.replace(lambda e: isinstance(e, sp.Add) and len(e.args) == 2, _expm1_of)
    return result


def _expm1_of(add: sp.Add) -> sp.Expr:
    for term, other in (add.args, add.args[::-1]):
        coefficient, factor = term.as_independent(sp.exp, as_Add=False)
        if isinstance(factor, sp.exp) and not other.has(sp.exp) and sp.expand(other + coefficient) == 0:
            return coefficient * expm1(factor.args[0])
    return add


def singular_points(expr: sp.Expr, variable: sp.Symbol) -> tuple[SingularPoint, ...]:
    """Every real point where `expr` is 0/0, with its limit and slope."""
    points = []
    for denominator in _denominators(expr, variable):
        for root in _real_roots(denominator, variable):
            points.append(_removable(expr, denominator, variable, root))
    unique = {p.at: p for p in points}
    return tuple(unique[k] for k in sorted(unique, key=sp.default_sort_key))


def _denominators(expr: sp.Expr, variable: sp.Symbol) -> set[sp.Expr]:
    found = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and node.exp.is_negative and node.base.has(variable):
            found.add(node.base)
    return found


def _real_roots(denominator: sp.Expr, variable: sp.Symbol) -> list[sp.Expr]:
    """Real zeros of a + b exp(c v + d) (every HH-style rate) or of a polynomial in v.

    Other shapes are not searched: sympy's general `solve` can take minutes
    and gigabytes on expressions with symbolic parameters (issue found by
    the docs probe), and a rate that is 0/0 somewhere else still evaluates,
    only not guarded.
    """
    linear = _exp_linear_root(denominator, variable)
    if linear is not None:
        return linear
    if denominator.is_polynomial(variable):
        poly = sp.Poly(denominator, variable)
        if poly.degree() <= 2:
            return [r for r in sp.roots(poly, filter=None) if r.is_real]
    return []


def _exp_linear_root(denominator: sp.Expr, variable: sp.Symbol) -> list[sp.Expr] | None:
    """Fast path for a + b*exp(c*v + d), the shape of every HH-style rate."""
    # Expand products over sums but keep exp(a + b) whole.
    terms = sp.Add.make_args(sp.expand(denominator, power_exp=False, power_base=False, log=False))
    constant = [t for t in terms if not t.has(variable)]
    rest = [t for t in terms if t.has(variable)]
    if len(rest) != 1:
        return None
    coefficient, factors = rest[0].as_coeff_mul()
    if len(factors) != 1 or not isinstance(factors[0], sp.exp):
        return None
    argument = factors[0].args[0]
    poly = sp.Poly(argument, variable) if argument.is_polynomial(variable) else None
    if poly is None or poly.degree() != 1:
        return None
    ratio = -sp.Add(*constant) / coefficient
    if ratio.is_positive is False or ratio.is_zero:
        return []  # exp never reaches a non-positive value
    if ratio.is_positive is None:
        return None  # the sign depends on parameters: not a shape we can guard
    slope, intercept = poly.all_coeffs()
    return [(sp.log(ratio) - intercept) / slope]


def _removable(expr: sp.Expr, denominator: sp.Expr, variable: sp.Symbol, root: sp.Expr) -> SingularPoint:
    if expr.has(*_BRANCHING):
        return _by_quotients(expr, variable, root)
    numerator = sp.together(expr * denominator)  # what multiplies 1/denominator
    p = _taylor(numerator, variable, root, 3)
    d = _taylor(denominator, variable, root, 3)
    if any(c.has(sp.nan, sp.zoo, sp.oo, -sp.oo) for c in p):
        # The zero sits inside a larger expression (a/(a + b) with a = x/(1 - exp(-x))):
        # guard the inner quotient; sympy's limits where that does not reach (slow).
        try:
            return _by_quotients(expr, variable, root)
        except ValueError:
            return _by_limits(expr, variable, root)
    if p[0] != 0:
        raise PoleError(root)
    if d[1] == 0:  # a double zero of the denominator: give up on the closed form
        return SingularPoint(root, sp.limit(expr, variable, root), sp.limit(sp.diff(expr, variable), variable, root))
    value = sp.nsimplify(sp.simplify(p[1] / d[1]), rational=False)
    slope = sp.simplify((p[2] * d[1] - p[1] * d[2]) / d[1] ** 2)
    return SingularPoint(root, value, slope)


# min, max and if: their arguments are guarded one by one (sympy's limits and series do not go
# through them, and an expression like max(1/(a + b), 0.02 ms) with a 0/0 in a is common)
_BRANCHING = (sp.Max, sp.Min, sp.Piecewise)
_UNDEFINED = (sp.nan, sp.zoo, sp.oo, -sp.oo)


def _by_quotients(expr: sp.Expr, variable: sp.Symbol, root: sp.Expr) -> SingularPoint:
    """The limit and slope of an expression whose 0/0 sits inside it: in a/(a + b), or in min, max or if arguments.

    Each quotient that is 0/0 at the point (innermost first) is replaced by its
    first-order Taylor polynomial there, from Taylor coefficients of its numerator
    and denominator (no sympy limits: they are slow with symbolic parameters, and do
    not go through min, max and if). What remains is regular at the point: the
    limit is its value there and the slope its derivative, on the branch taken.
    """
    regular = expr.replace(lambda e: _singular_quotient(e, variable, root) is not None,
                           lambda e: _first_order(e, variable, root))
    value = regular.subs(variable, root)
    if value.has(*_UNDEFINED) or _exp_denominator(value):
        # an exp-denominator left at the point can be 0/0 for some parameter values (two rates
        # with thresholds thi1 and thi2 that a cell sets equal): not guarded, as before
        raise ValueError("a 0/0 this guard does not reach")  # left unguarded by the caller
    slope = sp.diff(regular, variable).subs(variable, root).doit()
    if slope.has(*_UNDEFINED, sp.Heaviside, sp.DiracDelta, sp.Derivative, sp.Subs):
        # the point is on a kink of max/min/if: the limit is exact, the band (1e-6 wide) flat
        slope = sp.Integer(0)
    return SingularPoint(root, value, slope)


def _exp_denominator(expr: sp.Expr) -> bool:
    return any(isinstance(node, sp.Pow) and node.exp.is_negative and node.base.has(sp.exp)
               for node in sp.preorder_traversal(expr))


def _singular_quotient(expr: sp.Basic, variable: sp.Symbol, root: sp.Expr) -> sp.Expr | None:
    """The one factor 1/D of a product with D = 0 at the point, if there is exactly one."""
    if not isinstance(expr, sp.Mul):
        return None
    zeros = [f.base for f in expr.args if isinstance(f, sp.Pow) and f.exp == -1 and f.base.has(variable)
             and _vanishes(f.base, variable, root)]
    return zeros[0] if len(zeros) == 1 else None


def _vanishes(expr: sp.Expr, variable: sp.Symbol, root: sp.Expr) -> bool:
    at = expr.subs(variable, root)
    return bool(at == 0 or sp.expand(at) == 0)


def _first_order(quotient: sp.Expr, variable: sp.Symbol, root: sp.Expr) -> sp.Expr:
    denominator = _singular_quotient(quotient, variable, root)
    assert denominator is not None  # replace() asked _singular_quotient first
    p = _taylor(quotient * denominator, variable, root, 3)
    d = _taylor(denominator, variable, root, 3)
    if p[0] != 0 or d[1] == 0:
        raise ValueError("not a simple removable zero")  # left unguarded by the caller
    value = p[1] / d[1]
    slope = (p[2] * d[1] - p[1] * d[2]) / d[1] ** 2
    return value + slope * (variable - root)


def _by_limits(expr: sp.Expr, variable: sp.Symbol, root: sp.Expr) -> SingularPoint:
    value = sp.limit(expr, variable, root)
    if value.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise PoleError(root)
    slope = sp.limit(sp.diff(expr, variable), variable, root)
    return SingularPoint(root, value, slope)


def _taylor(expr: sp.Expr, variable: sp.Symbol, at: sp.Expr, order: int) -> list[sp.Expr]:
    coefficients = []
    term = expr
    factorial = 1
    for k in range(order):
        coefficients.append(sp.simplify(term.subs(variable, at)) / factorial)
        term = sp.diff(term, variable)
        factorial *= k + 1
    return coefficients
