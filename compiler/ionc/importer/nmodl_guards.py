"""vtrap/efun-style guard functions, recognised symbolically.

A guard FUNCTION is one `if/else` that returns a plain expression with a
removable singularity (`x/(exp(x/y) - 1)`, 0/0 at x = 0) in one branch and,
where the condition holds (`fabs(x/y) < 1e-6`), an approximation near the
singular point in the other. It is recognised when, with sympy on the
parsed trees:

- the condition is `fabs(g) < eps` (or `>`, the branches swapped) or `g == 0`,
- the plain branch is undefined (0/0) where g = 0, and
- the plain branch minus the other tends to 0 there (the other branch is
  the limit, possibly with Taylor terms).

ionc guards removable singularities itself, so calls to a recognised guard
are replaced by the plain expression. Any other if/else stays a piecewise
expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ionc.diagnostics import IoncError
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_eval import Executor, GuardChoice, Outcome
from ionc.importer.nmodl_values import Sym, SympyBuilder, Value


class _NotAGuard(Exception):
    """A branch that does not assign the function's value."""


@dataclass(frozen=True, slots=True)
class Guard:
    choice: GuardChoice
    variable: str  # the formal whose value makes g = 0
    point: str  # where, as sympy prints it
    plain: str  # the plain expression over the formals


def find_guards(module: ast.Module, executor: Executor) -> dict[str, Guard]:
    """The module's guard functions, by name."""
    found: dict[str, Guard] = {}
    for callable_ in module.callables:
        if callable_.kind == "FUNCTION":
            guard = _recognise(callable_, executor)
            if guard is not None:
                found[callable_.name] = guard
    return found


def _recognise(function: ast.Callable, executor: Executor) -> Guard | None:
    statements = [s for s in function.body if not isinstance(s, ast.Local | ast.Table)]
    if len(statements) != 1 or not isinstance(statements[0], ast.If):
        return None
    branch = statements[0]
    if not branch.then or not branch.otherwise:
        return None
    prefix = tuple(s for s in function.body if isinstance(s, ast.Local))
    formals = tuple(Sym(f"_formal_{f.name}") for f in function.formals)
    try:
        condition = _result(function, prefix + (ast.Assign(function.name, branch.condition, branch.span),),
                            formals, executor, condition=True)
        then = _result(function, prefix + branch.then, formals, executor)
        otherwise = _result(function, prefix + branch.otherwise, formals, executor)
    except (IoncError, _NotAGuard):
        return None  # the translation reports it when the function is called
    return _match(branch, condition, then, otherwise, function)


def _result(function: ast.Callable, body: tuple[ast.Statement, ...], formals: tuple[Value, ...],
            executor: Executor, condition: bool = False) -> sp.Basic:
    probe = ast.Callable(function.kind, function.name, function.formals, function.unit, body, function.span)
    value = executor.run_callable_body(probe, formals, Outcome())
    if value is None:
        raise _NotAGuard(function.name)
    return SympyBuilder().build_condition(value) if condition else SympyBuilder().build(value)


def _match(branch: ast.If, condition: sp.Basic, then: sp.Basic, otherwise: sp.Basic,
           function: ast.Callable) -> Guard | None:
    shape = _near_zero(condition)
    if shape is None:
        return None
    g, near_is_then = shape
    plain, near = (otherwise, then) if near_is_then else (then, otherwise)
    for variable in sorted(g.free_symbols & plain.free_symbols, key=str):
        point = _single_root(g, variable)
        if point is not None and _removable(plain, near, variable, point):
            name = str(variable).removeprefix("_formal_")
            return Guard(GuardChoice(branch, not near_is_then), name, f"{name} = {point}",
                         str(plain).replace("_formal_", ""))
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
