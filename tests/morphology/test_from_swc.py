"""The section split of SWC files and the soma policy (see ionc/morphology/from_swc.py)."""

from __future__ import annotations

import math

import numpy as np
from ionc.morphology import Morphology, Section, discretize, load_swc, parse_swc, read_swc, swc_morphology
from swc_cases import SwcFacts, swc_path


def arc_length(section: Section) -> float:
    pts = np.asarray(section.points3d())
    return float(np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1).sum())


def test_section_count_and_names(swc_file: SwcFacts) -> None:
    morph = load_swc(swc_path(swc_file.name))
    assert len(morph.sections) == swc_file.sections
    assert morph.sections[0].parent is None
    assert sum(s.parent is None for s in morph.sections) == 1
    assert morph.sections[0].name == "soma[0]" and morph.index("soma") == 0
    for region in morph.regions:
        names = [s.name for s in morph.sections if s.region == region]
        assert names == [f"{region}[{k}]" for k in range(len(names))]


def test_every_point_lies_in_exactly_one_section(swc_file: SwcFacts) -> None:
    """Each section holds its own points after one anchor copy (except from a 1-point soma)."""
    points = read_swc(swc_path(swc_file.name))
    morph = swc_morphology(points)
    own = {(p.x, p.y, p.z, 2 * p.radius) for p in points}
    count = 0
    for s in morph.sections[1:]:
        count += len(s.points) - 1 if s.parent_x != 0.5 else len(s.points)
        assert set(s.points[1:]) <= own
    soma_points = sum(p.type == 1 for p in points)
    if soma_points == 1:
        assert count == len(points) - 1
    else:
        assert count + len(morph.sections[0].points) - 1 == len(points) - 1


def test_sections_are_connected_and_typed(swc_file: SwcFacts) -> None:
    """A child starts where its parent ends (x = 1) or at the root point (x = 0); the anchor
    copy keeps the parent's diameter only within one SWC type."""
    morph = load_swc(swc_path(swc_file.name))
    root = morph.sections[0].points[0]
    for s in morph.sections[1:]:
        parent = morph.section(s.parent or "")
        if s.parent_x == 1.0:
            anchor = parent.points[-1]
        elif s.parent_x == 0.0:
            anchor = root
        else:
            continue  # from a one-point soma: tested below
        assert s.points[0][:3] == anchor[:3]
        expected = anchor[3] if s.swc_type == parent.swc_type else s.points[1][3]
        assert s.points[0][3] == expected
        assert s.region == {1: "soma", 2: "axon", 3: "dend", 4: "apic"}[s.swc_type or 0]


def test_total_length_matches_the_sources_table(swc_file: SwcFacts) -> None:
    """SOURCES.md sums parent-to-child distances; multi-point somas keep every one of them."""
    points = read_swc(swc_path(swc_file.name))
    morph = swc_morphology(points)
    total = sum(arc_length(s) for s in morph.sections)
    by_id = {p.id: p for p in points}
    if sum(p.type == 1 for p in points) > 1:
        assert math.isclose(total, swc_file.total_length_um, abs_tol=0.051)
        return
    # one-point soma: the edges from the sphere's centre are replaced by its 2r cylinder
    soma = next(p for p in points if p.parent == -1)
    skipped = sum(math.dist((p.x, p.y, p.z), (soma.x, soma.y, soma.z)) for p in points if p.parent == soma.id)
    assert math.isclose(total, swc_file.total_length_um - skipped + 2 * soma.radius, abs_tol=0.051)
    assert all(p.id == soma.id or by_id[p.parent] for p in points)


def test_one_point_soma_is_a_cylinder_of_the_spheres_area() -> None:
    morph = load_swc(swc_path("dentate_granule_mp_ma_40984_gc2.swc"))
    soma = morph.sections[0]
    r = 12.03
    assert len(soma.points) == 2 and soma.points[0][3] == soma.points[1][3] == 2 * r
    assert math.isclose(arc_length(soma), 2 * r, rel_tol=1e-12)
    disc = discretize(morph)
    soma_area = disc.area_um2[disc.locate("soma", 0.5)]
    assert math.isclose(soma_area, 4 * math.pi * r * r, rel_tol=1e-6)  # 3-D points are float32
    children = [s for s in morph.sections if s.parent == "soma[0]"]
    assert len(children) == 2 and all(s.parent_x == 0.5 for s in children)
    assert all(disc.locate(s.name, 0) == disc.locate("soma", 0.5) for s in children)


def test_one_point_neurite_on_a_one_point_soma_starts_at_the_centre() -> None:
    morph = swc_morphology(parse_swc("1 1 0 0 0 5 -1\n2 3 8 0 0 1 1\n3 3 0 9 0 1 1\n4 3 0 20 0 1 3\n"))
    short, long = morph.sections[1], morph.sections[2]
    assert short.points == ((0.0, 0.0, 0.0, 2.0), (8.0, 0.0, 0.0, 2.0))
    assert long.points == ((0.0, 9.0, 0.0, 2.0), (0.0, 20.0, 0.0, 2.0))


def test_multi_point_soma_chain_is_one_stack() -> None:
    """De Schutter: 17 soma points in a chain make one soma section; the dendrite
    leaving the root point connects at soma[0](0)."""
    morph = load_swc(swc_path("cerebellar_deschutter_10-2012-02-09-001.swc"))
    somas = [s for s in morph.sections if s.region == "soma"]
    assert len(somas) == 1 and len(somas[0].points) == 17
    assert [s.name for s in morph.sections if s.parent == "soma[0]"] == ["dend[0]"]
    assert morph.section("dend[0]").parent_x == 0.0


def test_branching_soma_keeps_its_structure() -> None:
    """dCH: 82 type-1 points (soma and cell-body fibre) that branch; the axon (type 2)
    leaves the fibre at point 70, and the two type changes inside the axon tree
    (type 2 parent, type 3 child) start new sections."""
    morph = load_swc(swc_path("blowfly_lptc_dCH-cobalt.swc"))
    somas = [s for s in morph.sections if s.region == "soma"]
    assert len(somas) == 5  # points 1-9, 9-11, 9-70, 70-71, 1-6248
    changes = sorted(
        (morph.section(s.parent).region, s.region)
        for s in morph.sections
        if s.parent is not None and morph.section(s.parent).region != s.region
    )
    assert changes == [("axon", "dend"), ("axon", "dend"), ("soma", "axon")]


def test_hand_written_and_swc_cells_share_one_form() -> None:
    swc = swc_morphology(parse_swc("1 1 0 0 0 5 -1\n2 1 10 0 0 5 1\n3 3 10 0 0 1 2\n4 3 30 0 0 1 3\n"))
    hand = Morphology.from_sections(
        [
            Section("soma[0]", points=((0, 0, 0, 10), (10, 0, 0, 10)), region="soma", swc_type=1),
            Section(
                "dend[0]", points=((10, 0, 0, 2), (10, 0, 0, 2), (30, 0, 0, 2)), parent="soma[0]", swc_type=3
            ),
        ]
    )
    assert swc == Morphology(hand.sections, "")
