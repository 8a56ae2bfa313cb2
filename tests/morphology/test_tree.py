"""Hand-written sections and the Morphology that orders them."""

from __future__ import annotations

import pytest
from ionc.morphology import Morphology, MorphologyError, Section


def test_positional_fields_follow_the_language() -> None:
    """Section(name, length_um, diam_um, parent, parent_x, region, nseg)."""
    s = Section("axon", 1000.0, 1.0, "soma", 1.0, "axon", 11)
    assert (s.name, s.length_um, s.diam_um, s.parent, s.parent_x, s.region, s.nseg) == (
        "axon",
        1000.0,
        1.0,
        "soma",
        1.0,
        "axon",
        11,
    )
    assert s.is_cylinder and s.points3d() == ()


def test_taper_becomes_two_3d_points() -> None:
    s = Section("dend", 100.0, (2.0, 1.0))
    assert not s.is_cylinder
    assert s.points3d() == ((0.0, 0.0, 0.0, 2.0), (100.0, 0.0, 0.0, 1.0))


def test_sections_are_frozen() -> None:
    s = Section("soma", 20.0, 20.0)
    with pytest.raises(AttributeError):
        s.nseg = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "", "length_um": 1.0, "diam_um": 1.0},
        {"name": "a b", "length_um": 1.0, "diam_um": 1.0},
        {"name": "s", "length_um": -1.0, "diam_um": 1.0},
        {"name": "s", "length_um": 1.0, "diam_um": 0.0},
        {"name": "s", "length_um": 1.0, "diam_um": (1.0, -1.0)},
        {"name": "s", "length_um": float("nan"), "diam_um": 1.0},
        {"name": "s", "length_um": 1.0},
        {"name": "s", "length_um": 1.0, "diam_um": 1.0, "nseg": 0},
        {"name": "s", "length_um": 1.0, "diam_um": 1.0, "parent_x": 1.5},
        {"name": "s", "length_um": 1.0, "diam_um": 1.0, "points": ((0, 0, 0, 1), (1, 0, 0, 1))},
        {"name": "s", "points": ((0, 0, 0, 1),)},
        {"name": "s", "points": ((0, 0, 0, 1), (0, 0, 0, 1))},
        {"name": "s", "points": ((0, 0, 0, 1), (1, 0, 0, 0))},
    ],
)
def test_bad_sections_are_rejected(kwargs: dict) -> None:
    with pytest.raises(MorphologyError):
        Section(**kwargs)


def test_from_sections_orders_parents_first() -> None:
    morph = Morphology.from_sections(
        [
            Section("dend2", 10.0, 1.0, "dend1"),
            Section("dend1", 10.0, 1.0, "soma"),
            Section("soma", 10.0, 10.0, region="soma"),
            Section("axon", 10.0, 1.0, "soma", 0.0, "axon"),
        ]
    )
    assert [s.name for s in morph.sections] == ["soma", "dend1", "dend2", "axon"]
    assert morph.regions == ("soma", "dend", "axon")


def test_morphology_requires_parents_listed_first() -> None:
    with pytest.raises(MorphologyError, match="not listed before"):
        Morphology((Section("dend", 10.0, 1.0, "soma"), Section("soma", 10.0, 10.0)))


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ([Section("a", 1.0, 1.0, "missing")], "does not exist"),
        ([Section("a", 1.0, 1.0, "b"), Section("b", 1.0, 1.0, "a")], "cycle"),
        ([Section("a", 1.0, 1.0), Section("a", 1.0, 1.0)], "duplicate"),
        ([], "no sections"),
    ],
)
def test_bad_trees_are_rejected(sections: list[Section], message: str) -> None:
    with pytest.raises(MorphologyError, match=message):
        Morphology.from_sections(sections)


def test_index_falls_back_to_the_first_of_an_array() -> None:
    morph = Morphology.from_sections(
        [Section("soma[0]", 10.0, 10.0), Section("soma[1]", 5.0, 5.0, "soma[0]")]
    )
    assert morph.index("soma") == 0
    assert morph.section("soma[1]").parent == "soma[0]"
    with pytest.raises(KeyError):
        morph.index("dend")


def test_package_depends_on_nothing_else_in_ionc() -> None:
    """ionc.morphology imports numpy and itself only (the rest of ionc may import it)."""
    import ast
    from pathlib import Path

    import ionc.morphology

    for path in Path(ionc.morphology.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1 and not (node.module or "").startswith("ionc"), path.name
            elif isinstance(node, ast.Import):
                assert all(not a.name.startswith("ionc") for a in node.names), path.name
