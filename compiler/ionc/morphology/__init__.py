"""Cell morphologies: SWC files and hand-written sections, discretized as NEURON does.

    from ionc.morphology import Section, Morphology, load_swc, discretize

    cell = Morphology.from_sections([
        Section("soma", 20.0, 20.0, region="soma", nseg=1),
        Section("axon", 1000.0, 1.0, "soma", 1.0, "axon"),        # nseg by d_lambda
    ])
    disc = discretize(cell, ra=100.0, cm=1.0)
    disc = discretize(load_swc("cell.swc"), ra={"soma": 100.0, "dend": 150.0}, cm=1.0)
    node = disc.locate("soma", 0.5)

This package depends on numpy only (not on the rest of ionc).
"""

from .discretize import Discretization, discretize
from .from_swc import load_swc, swc_morphology
from .geometry import d_lambda_nseg, lambda_f, section_length, segment_geometry
from .swc import SwcError, SwcPoint, parse_swc, read_swc, region_name
from .tree import Morphology, MorphologyError, Point3D, Section

__all__ = [
    "Discretization",
    "Morphology",
    "MorphologyError",
    "Point3D",
    "Section",
    "SwcError",
    "SwcPoint",
    "d_lambda_nseg",
    "discretize",
    "lambda_f",
    "load_swc",
    "parse_swc",
    "read_swc",
    "region_name",
    "section_length",
    "segment_geometry",
    "swc_morphology",
]
