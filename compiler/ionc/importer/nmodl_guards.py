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
from ionc.importer.nmodl_limits import removable_guard
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
    found = removable_guard(condition, then, otherwise)
    if found is None:
        return None
    name = str(found.variable).removeprefix("_formal_")
    plain = then if found.plain_is_then else otherwise
    return Guard(GuardChoice(branch, found.plain_is_then), name,
                 f"{name} = {str(found.point).replace('_formal_', '')}", str(plain).replace("_formal_", ""))


