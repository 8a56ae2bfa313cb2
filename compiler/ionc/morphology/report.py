"""The text report of a discretized morphology (``ionc show --morphology``)."""

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .discretize import Discretization


def render_report(disc: "Discretization") -> str:
    """Summary line, then one row per section: why each nseg is what it is."""
    sections = disc.morphology.sections
    zero = int((disc.area_um2 == 0).sum())
    lines = [
        f"morphology {disc.morphology.source or '(inline)'}",
        f"{len(sections)} sections, {disc.n} compartments "
        f"({disc.n - zero} with membrane, {zero} zero-area junctions), "
        f"total area {disc.total_area_um2:.6g} um2",
        f"regions: {', '.join(_region_summary(disc))}",
        "",
        f"{'section':<14} {'region':<8} {'parent':<18} {'nseg':>5} {'L (um)':>10} "
        f"{'diam (um)':>10} {'area (um2)':>11} {'L/lambda':>9}",
    ]
    areas = _section_areas(disc)
    for k, sec in enumerate(sections):
        length = disc.length_um[k]
        parent = f"{sec.parent}({sec.parent_x:g})" if sec.parent is not None else "-"
        mean_diam = areas[k] / (math.pi * length)
        lines.append(
            f"{sec.name:<14} {sec.region:<8} {parent:<18} {disc.nseg[k]:>5} {length:>10.4g} "
            f"{mean_diam:>10.4g} {areas[k]:>11.6g} {length / disc.lambda_um[k]:>9.4f}"
        )
    lines.append("")
    lines.append(f"L/lambda: electrotonic length at {disc.freq_hz:g} Hz (NEURON's lambda_f)")
    return "\n".join(lines) + "\n"


def _section_areas(disc: "Discretization") -> list[float]:
    sums = [0.0] * len(disc.morphology.sections)
    for sec, area in zip(disc.section_index.tolist(), disc.area_um2.tolist(), strict=True):
        sums[sec] += area
    return sums


def _region_summary(disc: "Discretization") -> list[str]:
    out = []
    for k, region in enumerate(disc.regions):
        mask = disc.region_index == k
        out.append(f"{region} {int(mask.sum())} nodes {float(disc.area_um2[mask].sum()):.6g} um2")
    return out
