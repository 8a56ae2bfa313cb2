"""Discretization: closed forms on cylinders and tapers, NEURON's node layout and locate()."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ionc.morphology import (
    Morphology,
    MorphologyError,
    Section,
    d_lambda_nseg,
    discretize,
    lambda_f,
    load_swc,
    segment_geometry,
)
from swc_cases import SwcFacts, swc_path


def cell(*sections: Section) -> Morphology:
    return Morphology.from_sections(sections)


def test_single_compartment() -> None:
    """BENCHMARKS case A: L = diam = 17.841242 um, area 1000 um2, one node."""
    d = 17.841242
    disc = discretize(cell(Section("soma", d, d, region="soma", nseg=1)))
    assert disc.n == 1
    assert disc.parent.tolist() == [-1] and disc.g_axial_uS.tolist() == [0.0]
    assert math.isclose(disc.area_um2[0], math.pi * d * d, rel_tol=1e-15)
    assert math.isclose(disc.area_um2[0], 1000.0, rel_tol=1e-6)
    assert disc.locate("soma", 0) == disc.locate("soma", 0.5) == disc.locate("soma", 1) == 0


def test_unbranched_cable_closed_form() -> None:
    """BENCHMARKS case B: 50 mm of 476 um axon in 1000 compartments, Ra 35.4."""
    length, diam, ra, nseg = 50_000.0, 476.0, 35.4, 1000
    disc = discretize(cell(Section("axon", length, diam, region="axon", nseg=nseg)), ra=ra)
    dx = length / nseg
    half = 1e-2 * ra * (dx / 2) / (math.pi * diam**2 / 4)  # megohm
    assert disc.n == nseg
    assert np.array_equal(disc.parent, np.arange(nseg) - 1)
    np.testing.assert_allclose(disc.area_um2, math.pi * diam * dx, rtol=1e-15)
    np.testing.assert_allclose(disc.g_axial_uS[1:], 1 / (2 * half), rtol=1e-14)
    assert disc.g_axial_uS[0] == 0.0
    np.testing.assert_allclose(disc.distance_um, (np.arange(nseg) + 0.5) * dx, rtol=1e-14)
    assert disc.locate("axon", 0.2) == 200 and disc.locate("axon", 0.0005) == 0


def test_taper_integrates_a_frustum() -> None:
    """A linear taper: areas sum to the frustum's side, resistances to 4 Ra L/(pi d0 d1)."""
    length, d0, d1, ra = 100.0, 2.0, 1.0, 100.0  # exact in float32
    disc = discretize(cell(Section("dend", length, (d0, d1), nseg=5)), ra=ra)
    side = math.pi / 2 * (d0 + d1) * math.sqrt(length**2 + ((d1 - d0) / 2) ** 2)
    assert math.isclose(disc.total_area_um2, side, rel_tol=1e-13)
    resistance = 1e-2 * 4 * ra * length / (math.pi * d0 * d1)  # megohm
    _, left, right = segment_geometry(disc.morphology.sections[0], 5, ra)
    assert math.isclose(left.sum() + right.sum(), resistance, rel_tol=1e-13)
    between_centres = 1 / disc.g_axial_uS[1:]
    np.testing.assert_allclose(between_centres, right[:-1] + left[1:], rtol=1e-15)
    assert np.all(np.diff(disc.area_um2) < 0)  # thinner towards x = 1


def test_d_lambda_rule_on_a_cylinder() -> None:
    sec = Section("dend", 1000.0, 2.0)
    lam = 1e5 * math.sqrt(2.0 / (4 * math.pi * 100 * 150.0 * 1.5))
    assert math.isclose(lambda_f(sec, 100.0, 150.0, 1.5), lam, rel_tol=1e-15)
    expected = int((1000.0 / (0.1 * lam) + 0.9) / 2) * 2 + 1
    assert d_lambda_nseg(sec, 0.1, 100.0, 150.0, 1.5) == expected
    disc = discretize(cell(sec), ra=150.0, cm=1.5)
    assert disc.nseg == (expected,) and expected % 2 == 1


def ball_and_stick(axon_x: float, soma_nseg: int = 1) -> Morphology:
    return cell(
        Section("soma", 20.0, 20.0, region="soma", nseg=soma_nseg),
        Section("axon", 100.0, 1.0, "soma", axon_x, "axon", nseg=4),
    )


def test_child_at_the_end_keeps_the_junction_node() -> None:
    disc = discretize(ball_and_stick(1.0))
    # root node dropped; soma seg, soma x=1 node (zero area, joins), 4 axon segs, axon end dropped
    assert disc.n == 6
    assert disc.parent.tolist() == [-1, 0, 1, 2, 3, 4]
    junction = disc.locate("soma", 1)
    assert junction == 1 and disc.area_um2[junction] == 0.0
    assert disc.locate("axon", 0) == junction
    assert disc.locate("axon", 1) == 5  # dropped end: the last segment
    np.testing.assert_allclose(disc.distance_um, [10.0, 20.0, 32.5, 57.5, 82.5, 107.5])


def test_child_in_the_middle_attaches_to_a_segment() -> None:
    disc = discretize(ball_and_stick(0.5, soma_nseg=2))
    # NEURON: x = 0.5 with nseg = 2 is in the second segment (int(2 * 0.5) = 1)
    assert disc.locate("axon", 0) == disc.locate("soma", 0.5) == 1
    assert disc.locate("soma", 0.49) == 0
    assert disc.parent[disc.locate("axon", 0.1)] == 1


def test_child_at_the_root_end_keeps_the_root_node() -> None:
    disc = discretize(ball_and_stick(0.0))
    assert disc.parent[0] == -1 and disc.area_um2[0] == 0.0
    assert disc.locate("soma", 0) == disc.locate("axon", 0) == 0
    assert np.count_nonzero(disc.parent == 0) == 2


def test_a_forest_of_two_cells() -> None:
    disc = discretize(cell(Section("a", 10.0, 1.0, nseg=2), Section("b", 10.0, 1.0, nseg=3)))
    assert disc.parent.tolist() == [-1, 0, -1, 2, 3]


def test_per_region_parameters() -> None:
    morph = ball_and_stick(1.0)
    disc = discretize(morph, ra={"soma": 50.0, "axon": 200.0}, cm={"soma": 1.0, "axon": 2.0})
    assert disc.ra_ohm_cm == (50.0, 200.0)
    assert disc.cm_uF_cm2[disc.region_mask("axon")].tolist() == [2.0] * 4
    assert disc.regions == ("soma", "axon")
    with pytest.raises(MorphologyError, match="axon"):
        discretize(morph, ra={"soma": 50.0})
    with pytest.raises(MorphologyError):
        discretize(morph, ra=0.0)
    with pytest.raises(KeyError):
        disc.region_mask("apic")


def test_locate_rejects_bad_positions() -> None:
    disc = discretize(ball_and_stick(1.0))
    with pytest.raises(ValueError):
        disc.locate("soma", 1.5)
    with pytest.raises(KeyError):
        disc.locate("dend", 0.5)


def test_arrays_are_read_only() -> None:
    disc = discretize(ball_and_stick(1.0))
    for array in (disc.parent, disc.area_um2, disc.g_axial_uS, disc.x, disc.distance_um):
        with pytest.raises(ValueError):
            array[0] = 0


def test_real_files_discretize(swc_file: SwcFacts) -> None:
    disc = discretize(load_swc(swc_path(swc_file.name)))
    assert disc.n == swc_file.compartments
    assert math.isclose(disc.total_area_um2, swc_file.total_area_um2, rel_tol=1e-12)
    assert np.all(disc.parent < np.arange(disc.n))
    assert np.count_nonzero(disc.parent == -1) == 1
    assert np.all(disc.g_axial_uS[disc.parent >= 0] > 0)
    # zero-area nodes are kept only where they join sections
    zero = np.flatnonzero(disc.area_um2 == 0)
    degree = np.bincount(disc.parent[disc.parent >= 0], minlength=disc.n) + (disc.parent >= 0)
    assert np.all(degree[zero] >= 2)
    # distances grow away from the root
    has = disc.parent >= 0
    assert np.all(disc.distance_um[has] >= disc.distance_um[disc.parent[has]])


def test_report_lists_every_section() -> None:
    disc = discretize(load_swc(swc_path("dentate_granule_mp_ma_40984_gc2.swc")))
    text = disc.report()
    assert "29 sections, 110 compartments (97 with membrane, 13 zero-area junctions)" in text
    assert "total area 4119.97 um2" in text
    rows = [line.split()[0] for line in text.splitlines()[5:-2]]
    assert rows == [s.name for s in disc.morphology.sections]
