"""The cable solver against scipy.sparse on random trees, and its inlining contract."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ionc.runtime import cable
from ionc.runtime.cable import CableSolver, axial_diagonal, reference_solve

CABLE_SOURCE = Path(cable.__file__).read_text(encoding="utf-8")


# ---------------------------------------------------------------- random systems


@st.composite
def trees(draw: st.DrawFn, shape: str) -> np.ndarray:
    """parent arrays: 'linear' (parent i-1, some -1), 'branched' (random tree), 'any'."""
    n = draw(st.integers(1, 80))
    if shape == "any":
        shape = draw(st.sampled_from(["linear", "branched"]))
    parent = np.arange(n) - 1
    if shape == "linear":
        breaks = draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=3))
        parent[[b for b in breaks if b < n]] = -1
        return parent
    for i in range(1, n):
        mode = draw(st.sampled_from(["chain", "chain", "chain", "any", "root"]))
        if mode == "any":
            parent[i] = draw(st.integers(0, i - 1))
        elif mode == "root" and draw(st.integers(0, 9)) == 0:
            parent[i] = -1
    return parent


@st.composite
def deep_trees(draw: st.DrawFn) -> np.ndarray:
    """Sections of 1-4 nodes hanging mostly from recent sections: junction trees deep
    enough (more than 8 levels) to be split into chains again, recursively."""
    ends: list[int] = []
    parent: list[int] = []
    for _ in range(draw(st.integers(20, 120))):
        back = draw(st.integers(1, 3))
        attach = ends[-back] if len(ends) >= back else -1
        for k in range(draw(st.integers(1, 4))):
            parent.append(attach if k == 0 else len(parent) - 1)
        ends.append(len(parent) - 1)
    return np.array(parent)


@st.composite
def systems(draw: st.DrawFn, shape: str) -> tuple[np.ndarray, ...]:
    """(parent, g_axial, diag, rhs) with diag dominating the axial sums."""
    parent = draw(deep_trees()) if shape == "deep" else draw(trees(shape))
    n = parent.size
    batch = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = 10.0 ** rng.uniform(-2, 2, n)
    g[parent < 0] = 0.0
    margin = 10.0 ** rng.uniform(-2, 3, (batch, n))
    if draw(st.booleans()):  # zero-area nodes: no margin at all on some of them
        margin[:, rng.random(n) < 0.3] = 0.0
        margin[:, parent < 0] = 1.0  # but every tree keeps one dominant node
    diag = axial_diagonal(parent, g) + margin
    rhs = rng.normal(size=(batch, n)) * 10.0 ** rng.uniform(-3, 3)
    return parent, g, diag, rhs


def assert_solves(parent: np.ndarray, g: np.ndarray, diag: np.ndarray, rhs: np.ndarray) -> None:
    expected = reference_solve(parent, g, diag, rhs)
    got = CableSolver(parent, g).solve(diag, rhs)
    scale = np.abs(expected).max()
    # Both solves round differently; on deep random trees with weak diagonal margins
    # (condition numbers up to ~1e6) single elements differ by a few 1e-10 relative.
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12 * scale)


@settings(max_examples=150, deadline=None)
@given(systems("linear"))
def test_unbranched_matches_reference(system: tuple[np.ndarray, ...]) -> None:
    assert_solves(*system)


@settings(max_examples=300, deadline=None)
@given(systems("branched"))
def test_branched_matches_reference(system: tuple[np.ndarray, ...]) -> None:
    assert_solves(*system)


@settings(max_examples=150, deadline=None)
@given(systems("deep"))
def test_deep_branched_matches_reference(system: tuple[np.ndarray, ...]) -> None:
    assert_solves(*system)


def test_deep_junction_trees_are_split_again() -> None:
    """A spine with side branches: its 60 junctions form a chain, solved as one."""
    parent, spine = [], -1
    for k in range(121):
        parent.extend([spine, len(parent)])
        if k % 2 == 0:
            spine = len(parent) - 1
    plan = CableSolver(np.array(parent), np.ones(len(parent)))._plan
    assert plan is not None and isinstance(plan.sub, cable._CableTreePlan) and plan.sub.nj == 0
    shallow = CableSolver(np.array([-1, 0, 1, 1, 2, 3]), np.ones(6))._plan
    assert shallow is not None and isinstance(shallow.sub, cable._CableHinesPlan)


@settings(max_examples=50, deadline=None)
@given(systems("any"), st.integers(1, 4))
def test_buffers_are_reused_across_batch_sizes(system: tuple[np.ndarray, ...], other: int) -> None:
    """One solver, called with several batch sizes in turn, stays correct."""
    parent, g, diag, rhs = system
    solver = CableSolver(parent, g)
    first = solver.solve(diag, rhs)
    solver.solve(np.repeat(diag[:1], other, axis=0), np.repeat(rhs[:1], other, axis=0))
    np.testing.assert_array_equal(solver.solve(diag, rhs), first)


# ---------------------------------------------------------------- shapes and schemes


def small_tree() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    parent = np.array([-1, 0, 1, 1, 3, 0, 5, 6, 6])
    g = np.linspace(0.5, 2.0, parent.size)
    rng = np.random.default_rng(1)
    diag = axial_diagonal(parent, g) + rng.uniform(0.1, 1.0, (3, parent.size))
    rhs = rng.normal(size=(3, parent.size))
    return parent, g, diag, rhs


@pytest.mark.parametrize(
    ("parent", "scheme"),
    [
        ([-1], "point"),
        ([-1, 0, 1, 2], "linear"),
        ([-1, 0, -1, 2], "linear"),
        ([-1, 0, 0], "branched"),
        ([-1, -1, 0], "branched"),
    ],
)
def test_scheme_choice(parent: list[int], scheme: str) -> None:
    p = np.array(parent)
    g = np.ones(p.size)
    solver = CableSolver(p, g)
    assert solver.scheme == scheme
    diag = axial_diagonal(p, g) + 1.0
    rhs = np.arange(p.size, dtype=float)[None, :] + 1.0
    np.testing.assert_allclose(solver.solve(diag[None, :], rhs), reference_solve(p, g, diag, rhs))


def test_single_compartment_is_a_division() -> None:
    solver = CableSolver(np.array([-1]), np.array([0.0]))
    diag = np.array([[2.0], [4.0]])
    np.testing.assert_array_equal(solver.solve(diag, np.array([[1.0], [1.0]])), [[0.5], [0.25]])


def test_one_dimensional_input_and_in_place_output() -> None:
    parent, g, diag, rhs = small_tree()
    solver = CableSolver(parent, g)
    expected = reference_solve(parent, g, diag, rhs)
    np.testing.assert_allclose(solver.solve(diag[1], rhs[1]), expected[1], rtol=1e-12)
    work = rhs.copy()
    assert solver.solve(diag, work, out=work) is work
    np.testing.assert_allclose(work, expected, rtol=1e-12)
    linear = CableSolver(np.arange(5) - 1, np.ones(5))
    d, r = np.full((2, 5), 3.0), np.ones((2, 5))
    out = np.empty((2, 5))
    assert linear.solve(d, r, out=out) is out
    np.testing.assert_allclose(out, reference_solve(np.arange(5) - 1, np.ones(5), d, r), rtol=1e-12)


def test_inputs_are_not_modified() -> None:
    parent, g, diag, rhs = small_tree()
    d0, r0 = diag.copy(), rhs.copy()
    CableSolver(parent, g).solve(diag, rhs)
    np.testing.assert_array_equal(diag, d0)
    np.testing.assert_array_equal(rhs, r0)


def test_indefinite_matrix_falls_back_to_pivoting() -> None:
    """A negative slope conductance can make the matrix indefinite; it stays solvable."""
    for parent in (np.arange(6) - 1, np.array([-1, 0, 0, 1, 1, 2])):
        g = np.ones(parent.size)
        diag = axial_diagonal(parent, g)[None, :] + 0.5
        diag[0, 2] = -3.0
        rhs = np.linspace(-1, 1, parent.size)[None, :]
        np.testing.assert_allclose(
            CableSolver(parent, g).solve(diag, rhs), reference_solve(parent, g, diag, rhs), rtol=1e-10
        )


def test_singular_matrix_raises() -> None:
    """Axial conductances alone (no capacitance anywhere) leave the voltage level free."""
    parent = np.arange(4) - 1
    g = np.ones(4)
    with pytest.raises(np.linalg.LinAlgError):
        CableSolver(parent, g).solve(axial_diagonal(parent, g)[None, :], np.ones((1, 4)))


@pytest.mark.parametrize(
    ("parent", "g"),
    [([0], [1.0]), ([-1, 1], [0.0, 1.0]), ([-1, -2], [0.0, 1.0]), ([-1, 0], [0.0, -1.0]), ([], [])],
)
def test_bad_trees_are_rejected(parent: list[int], g: list[float]) -> None:
    with pytest.raises(ValueError):
        CableSolver(np.array(parent, dtype=int), np.array(g))


def test_bad_shapes_are_rejected() -> None:
    solver = CableSolver(np.arange(3) - 1, np.ones(3))
    with pytest.raises(ValueError):
        solver.solve(np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError):
        solver.solve(np.ones((1, 4)), np.ones((1, 4)))


def test_axial_diagonal_sums_each_nodes_edges() -> None:
    parent = np.array([-1, 0, 0, 1])
    g = np.array([9.0, 1.0, 2.0, 4.0])  # g[0] belongs to no edge
    np.testing.assert_array_equal(axial_diagonal(parent, g), [3.0, 5.0, 2.0, 4.0])


def test_real_morphology_tree() -> None:
    """The branched scheme on a discretized reconstruction (thousands of nodes)."""
    from ionc.morphology import discretize, load_swc

    swc = Path(__file__).resolve().parents[1] / "morphology" / "data"
    disc = discretize(load_swc(swc / "cerebellar_deschutter_10-2012-02-09-001.swc"))
    g = disc.g_axial_uS
    rng = np.random.default_rng(3)
    c_dt = 1e-5 * disc.area_um2 / 0.025
    diag = axial_diagonal(disc.parent, g) + c_dt * rng.uniform(1.0, 2.0, (2, disc.n))
    rhs = rng.normal(size=(2, disc.n))
    assert CableSolver(disc.parent, g).scheme == "branched"
    assert_solves(disc.parent, g, diag, rhs)


# ---------------------------------------------------------------- the inlining contract


def test_source_imports_only_numpy_scipy_and_stdlib() -> None:
    allowed = {"numpy", "scipy", *sys.stdlib_module_names} - {"__future__"}
    tree = ast.parse(CABLE_SOURCE)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            assert node.module is not None and node.module.split(".")[0] in allowed, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in allowed, alias.name


def test_module_level_holds_only_definitions_and_prefixed_names() -> None:
    public = {"CableSolver", "axial_diagonal", "reference_solve", "np"}
    for node in ast.parse(CABLE_SOURCE).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.asname or a.name for a in node.names]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            assert all(name.isupper() for name in names), "module-level values are constants"
        else:
            raise AssertionError(f"module-level statement {ast.dump(node)[:60]}")
        for name in names:
            assert name in public or name.startswith(("_cable_", "_Cable", "_CABLE_")), name


def test_works_when_inlined_into_another_module() -> None:
    namespace: dict[str, object] = {"__name__": "generated_model"}
    exec(compile(CABLE_SOURCE, "<inlined>", "exec"), namespace)
    parent, g, diag, rhs = small_tree()
    solver = namespace["CableSolver"](parent, g)  # type: ignore[operator]
    np.testing.assert_allclose(solver.solve(diag, rhs), reference_solve(parent, g, diag, rhs), rtol=1e-12)


def test_solve_scratch_matches_solve_and_falls_back_when_indefinite() -> None:
    parent = np.arange(8) - 1
    g = np.linspace(1.0, 2.0, 8)
    rng = np.random.default_rng(3)
    diag = axial_diagonal(parent, g)[None, :] + rng.uniform(0.1, 1.0, size=(3, 8))
    rhs = rng.normal(size=(3, 8))
    expected = reference_solve(parent, g, diag, rhs)
    np.testing.assert_allclose(CableSolver(parent, g).solve_scratch(diag.copy(), rhs.copy()), expected, rtol=1e-12)
    diag[1, 4] = -3.0  # indefinite: dptsv fails, the pivoting path must still solve it
    expected = reference_solve(parent, g, diag, rhs)
    np.testing.assert_allclose(CableSolver(parent, g).solve_scratch(diag.copy(), rhs.copy()), expected, rtol=1e-10)
