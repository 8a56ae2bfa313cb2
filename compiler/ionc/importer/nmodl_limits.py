"""Whether an if/else only guards a removable singularity (sympy on parsed trees).

`if (fabs(g) < eps) { near } else { plain }` (or `>` with the branches
swapped, or `g == 0`) is a guard when the plain expression is undefined (0/0)
where g = 0 and `plain - near` tends to 0 there: the near branch is the limit,
with or without Taylor terms. Used for guard FUNCTIONs (vtrap, efun, trap0)
and for guards written in place inside a PROCEDURE.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True, slots=True)
class Removable:
    plain_is_then: bool
    variable: sp.Symbol  # the symbol whose value makes g = 0
    point: sp.Expr  # that value


def removable_guard(condition: sp.Basic, then: sp.Expr, otherwise: sp.Expr) -> Removable | None:
    shape = _near_zero(condition)
    if shape is None:
        return None
    g, near_is_then = shape
    plain, near = (otherwise, then) if near_is_then else (then, otherwise)
    for variable in sorted(g.free_symbols & plain.free_symbols, key=str):
        point = _single_root(g, variable)
        if point is not None and _removable(plain, near, variable, point):
            return Removable(not near_is_then, variable, point)
    return None


def _near_zero(condition: sp.Basic) -> tuple[sp.Expr, bool] | None:
    """(g, whether the condition means 'near g = 0') for |g| < eps, |g| > eps, g == 0."""
    if isinstance(condition, sp.Eq):
        return condition.lhs - condition.rhs, True
    if not isinstance(condition, sp.StrictLessThan | sp.LessThan | sp.StrictGreaterThan | sp.GreaterThan):
        return None
    small, large = ((condition.lhs, condition.rhs) if isinstance(condition, sp.StrictLessThan | sp.LessThan)
                    else (condition.rhs, condition.lhs))
    if isinstance(small, sp.Abs) and large.is_number and large.is_positive:
        return small.args[0], True
    if isinstance(large, sp.Abs) and small.is_number and small.is_positive:
        return large.args[0], False
    return None


def _single_root(g: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    try:
        roots = sp.solve(g, variable)
    except (NotImplementedError, ValueError):
        return None
    return roots[0] if len(roots) == 1 else None


def _removable(plain: sp.Expr, near: sp.Expr, variable: sp.Symbol, point: sp.Expr) -> bool:
    """plain is 0/0 at the point and plain - near tends to 0 there."""
    at_point = plain.subs(variable, point)
    if at_point.is_finite:
        return False
    try:
        gap = sp.limit(plain - near, variable, point)
    except (NotImplementedError, ValueError):
        return False
    return bool(gap == 0)
