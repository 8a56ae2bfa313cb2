"""In-place numpy lines compute what the expressions say, and reuse their work arrays."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from ionc.codegen.inplace import WorkPool, inplace_assignments
from sympy.codegen.cfunctions import expm1

X, Y, Z = sp.symbols("x y z", real=True)
INPUTS = {"x": np.linspace(0.5, 1.5, 7), "y": np.linspace(-1.0, 1.0, 7) + 0.05, "z": np.linspace(2.0, 3.0, 7)}


def leaves() -> st.SearchStrategy[sp.Expr]:
    numbers = st.sampled_from([sp.Integer(2), sp.Rational(1, 3), sp.Float(0.7), sp.Integer(-3)])
    return st.one_of(st.sampled_from([X, Y, Z]), numbers)


def grow(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
    binary = st.tuples(children, children)
    return st.one_of(
        binary.map(lambda ab: ab[0] + ab[1]),
        binary.map(lambda ab: ab[0] - ab[1]),
        binary.map(lambda ab: ab[0] * ab[1]),
        binary.map(lambda ab: ab[0] / (ab[1] ** 2 + 1)),
        children.map(lambda a: a**2),
        children.map(lambda a: a**3),
        children.map(lambda a: a**4),
        children.map(lambda a: sp.exp(a / 10)),
        children.map(lambda a: expm1(a / 10)),
        binary.map(lambda ab: sp.Max(ab[0], ab[1])),
    )


EXPRESSIONS = st.recursive(leaves(), grow, max_leaves=12)


def run(lines: list[str], buffers: list[str], pool: WorkPool) -> dict[str, np.ndarray]:
    namespace: dict[str, object] = {"np": np, **{k: v.copy() for k, v in INPUTS.items()}}
    for name in buffers + pool.names():
        namespace[name] = np.full(7, np.nan)
    exec("\n".join(lines), namespace)  # the generated lines, as the time loop runs them
    return namespace  # type: ignore[return-value]


def expected(expr: sp.Expr) -> np.ndarray:
    function = sp.lambdify((X, Y, Z), expr, modules=[{"expm1": np.expm1}, "numpy"])
    return np.broadcast_to(np.asarray(function(INPUTS["x"], INPUTS["y"], INPUTS["z"]), dtype=float), (7,))


@settings(max_examples=300, deadline=None)
@given(st.lists(EXPRESSIONS, min_size=1, max_size=3))
def test_inplace_lines_compute_the_expressions(exprs: list[sp.Expr]) -> None:
    targets = [(f"out{k}", e) for k, e in enumerate(exprs)]
    pool = WorkPool()
    temporaries = (sp.Symbol(f"_t{k}", real=True) for k in itertools.count())
    lines, buffers = inplace_assignments(targets, temporaries, pool)
    namespace = run(lines, buffers, pool)
    for name, expr in targets:
        value = np.asarray(namespace[name], dtype=float)
        np.testing.assert_allclose(value, expected(expr), rtol=1e-12, atol=1e-12, err_msg="\n".join(lines))
    for name in INPUTS:  # inputs are never written
        np.testing.assert_array_equal(namespace[name], INPUTS[name])


def test_shared_subexpressions_and_targets_share_buffers() -> None:
    gbar, m, h, v, e = sp.symbols("gbar m h v e", real=True)
    g = gbar * h * m**3
    pool = WorkPool()
    temporaries = (sp.Symbol(f"_t{k}", real=True) for k in itertools.count())
    lines, buffers = inplace_assignments([("g_na", g), ("i_na", g * (v - e))], temporaries, pool)
    # g is computed once, straight into g_na's buffer, and i_na reads it
    assert buffers == ["g_na", "i_na"]
    assert lines == [
        "np.multiply(m, m, out=_w0)", "_w0 *= m", "np.multiply(_w0, gbar, out=g_na)", "g_na *= h",
        "np.subtract(v, e, out=_w0)", "np.multiply(_w0, g_na, out=i_na)",
    ]
    assert pool.size == 1  # one work array, reused


def test_a_self_referring_target_is_refused() -> None:
    with pytest.raises(ValueError, match="from itself"):
        inplace_assignments([("x", 2 * X)], iter([]), WorkPool())
