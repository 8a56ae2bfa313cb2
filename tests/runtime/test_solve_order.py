"""The fused loop's elimination order: the tree re-rooted at its centre solves the same system."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from ionc.codegen.solve_order import centre_rooted
from ionc.runtime.cable import axial_diagonal, reference_solve


@st.composite
def single_trees(draw: st.DrawFn) -> np.ndarray:
    """One tree, nodes numbered parents first (as ionc's discretization numbers them)."""
    n = draw(st.integers(1, 60))
    parent = np.arange(n) - 1
    for i in range(2, n):
        if draw(st.integers(0, 3)) == 0:
            parent[i] = draw(st.integers(0, i - 1))
    return parent


def solve_in_order(order: np.ndarray, parent: np.ndarray, g: np.ndarray, d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The arithmetic of the template's _tree_solve, in Python."""
    d, r = d.copy(), r.copy()
    for i in order[:0:-1]:
        p = parent[i]
        d[i] = 1.0 / d[i]
        f = g[i] * d[i]
        d[p] -= f * g[i]
        r[p] += f * r[i]
    r[order[0]] /= d[order[0]]
    for i in order[1:]:
        r[i] = (r[i] + g[i] * r[parent[i]]) * d[i]
    return r


@settings(max_examples=60, deadline=None)
@given(parent=single_trees(), seed=st.integers(0, 2**32 - 1))
def test_centre_rooted_order_solves_the_original_system(parent: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    g = np.where(parent >= 0, rng.uniform(0.1, 10.0, parent.size), 0.0)
    diag = axial_diagonal(parent, g) + rng.uniform(0.5, 5.0, parent.size)
    rhs = rng.normal(size=parent.size)
    plan = centre_rooted(parent, g)
    expected = reference_solve(parent, g, diag[np.newaxis], rhs[np.newaxis])[0]
    solved = solve_in_order(plan.order, plan.parent, plan.g, diag, rhs)
    np.testing.assert_allclose(solved, expected, rtol=1e-10, atol=1e-12)


@given(parent=single_trees())
def test_every_node_comes_after_its_new_parent(parent: np.ndarray) -> None:
    plan = centre_rooted(parent, np.ones(parent.size))
    position = np.empty(parent.size, dtype=int)
    position[plan.order] = np.arange(parent.size)
    assert sorted(plan.order.tolist()) == list(range(parent.size))
    assert plan.parent[plan.order[0]] == -1
    children = plan.order[1:]
    assert np.all(position[plan.parent[children]] < position[children])


def test_a_cable_is_rooted_in_its_middle_and_taken_from_both_halves_alternately() -> None:
    parent = np.arange(9) - 1
    g = np.arange(9, dtype=float)  # edge i - (i - 1) has conductance i
    plan = centre_rooted(parent, g)
    assert plan.order.tolist() == [4, 3, 5, 2, 6, 1, 7, 0, 8]
    # node 3's edge to 4 was stored at node 4 (its child before re-rooting)
    assert plan.g[3] == 4.0 and plan.g[5] == 5.0 and plan.g[4] == 0.0
