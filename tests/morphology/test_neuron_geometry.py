"""Areas, axial resistances, d_lambda nseg and connections against NEURON itself.

NEURON gets the same sections (neuron_build.py) and computes its own
geometry; every node's area and ri must agree to 1e-9 (in practice they are
bit-identical, since ionc follows NEURON's float32 3-D points).
"""

from __future__ import annotations

import numpy as np
import pytest
from ionc.morphology import Discretization, Morphology, Section, discretize, load_swc
from swc_cases import SwcFacts, swc_path

pytest.importorskip("neuron")
pytestmark = pytest.mark.neuron

from neuron_build import (  # noqa: E402
    build_sections,
    neuron_area_ri,
    neuron_attach_nodes,
    neuron_d_lambda_nseg,
)


def assert_matches_neuron(disc: Discretization) -> None:
    secs = build_sections(disc)
    area, ri = neuron_area_ri(disc, secs)
    np.testing.assert_allclose(area, disc.area_um2, rtol=1e-9, atol=0)
    has_parent = disc.parent >= 0
    np.testing.assert_allclose(ri[has_parent], 1.0 / disc.g_axial_uS[has_parent], rtol=1e-9)
    assert np.isclose(area.sum(), disc.total_area_um2, rtol=1e-12)
    attach = neuron_attach_nodes(disc, secs)
    for k, sec in enumerate(disc.morphology.sections):
        assert attach[sec.name] == expected_attach(disc, k), sec.name


def expected_attach(disc: Discretization, k: int) -> int:
    """The ionc node a section's x = 0 end hangs from; -1 when NEURON has no true parent."""
    node = int(disc.parent[disc.first_segment[k]])
    if node < 0 or (disc.parent[node] < 0 and disc.area_um2[node] == 0.0):
        return -1  # a root node, dropped or kept
    return node


def test_swc_files_match_neuron(swc_file: SwcFacts) -> None:
    disc = discretize(load_swc(swc_path(swc_file.name)))
    assert len(disc.morphology.sections) == swc_file.sections
    assert_matches_neuron(disc)


def test_d_lambda_nseg_matches_neurons_lambda_f(swc_file: SwcFacts) -> None:
    disc = discretize(load_swc(swc_path(swc_file.name)), ra=123.0, cm=0.9)
    secs = build_sections(disc)
    neuron_nseg = neuron_d_lambda_nseg(secs)
    assert [neuron_nseg[s.name] for s in disc.morphology.sections] == list(disc.nseg)


HAND_WRITTEN = {
    "ball_and_stick_at_1": (
        Section("soma", 20.0, 20.0, region="soma", nseg=1),
        Section("axon", 1000.0, 1.0, "soma", 1.0, "axon"),
    ),
    "children_at_0_half_1": (
        Section("soma", 20.0, 18.0, region="soma", nseg=4),
        Section("a", 200.0, 2.0, "soma", 0.0, "dend", 3),
        Section("b", 200.0, (3.0, 1.0), "soma", 0.5, "dend", 6),
        Section("c", 300.0, 1.5, "soma", 1.0, "axon"),
        Section("d", 50.0, 0.5, "c", 0.3, "dend", 2),
        Section("e", 50.0, 0.5, "a", 0.0, "dend", 2),
    ),
    "three_d_points": (
        Section("soma", points=((0, 0, 0, 10.0), (5, 1, 0, 12.5), (10, 0, 1, 9.0)), region="soma"),
        Section(
            "dend", points=((10, 0, 1, 2.0), (30, 5, 1, 1.7), (30, 5, 1, 1.2), (80, 7, 3, 0.9)), parent="soma"
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN))
def test_hand_written_cells_match_neuron(name: str) -> None:
    morph = Morphology.from_sections(HAND_WRITTEN[name])
    regions = morph.regions
    disc = discretize(
        morph,
        ra={r: 50.0 + 40.0 * k for k, r in enumerate(regions)},
        cm={r: 1.0 + 0.25 * k for k, r in enumerate(regions)},
    )
    assert_matches_neuron(disc)
