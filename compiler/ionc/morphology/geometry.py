"""Segment areas, axial resistances and d_lambda, computed as NEURON does.

Spike times on a real morphology can only agree with NEURON if the
compartments do, so this module follows NEURON 9's code step by step
(src/nrnoc/treeset.cpp ``nrn_area_ri`` and ``diam_from_list``, and
``lambda_f`` in share/lib/hoc/stdlib.hoc), down to the order of the
floating-point operations:

- NEURON stores 3-D points as single-precision floats (``struct Pt3d``
  has float x, y, z, d and a double arc), and computes the arc length from
  float differences. ``neuron_points`` does the same, so our areas match
  NEURON's to rounding error rather than to 1e-7.
- With 3-D points, each segment's area and the resistances of its two
  halves are integrated over the piecewise-linear diameter: frustum side
  areas pi/2 (d1 + d2) sqrt(dx^2 + (d2 - d1)^2 / 4), and resistances
  4 Ra dx / (pi d1 d2) (the exact integral for a linear taper), with
  NEURON's guards for zero-length pieces.
- Without 3-D points (a plain cylinder of length L and diameter d), each
  of the nseg segments has area pi d L/nseg and two half-segment
  resistances of 4 Ra (L/2nseg) / (pi d^2).

Resistances are in megohm (NEURON's ``ri()`` unit), areas in um^2, Ra in
ohm cm.
"""

import math

import numpy as np

from .tree import Section

PI = 3.14159265358979323846  # NEURON's own literal


def neuron_points(section: Section) -> tuple[np.ndarray, np.ndarray]:
    """Arc positions and diameters of a section's 3-D points as NEURON stores them."""
    pts = np.asarray(section.points3d(), dtype=np.float64).astype(np.float32)
    steps = (pts[1:, :3] - pts[:-1, :3]).astype(np.float64)  # float differences
    lengths = np.sqrt(steps[:, 0] * steps[:, 0] + steps[:, 1] * steps[:, 1] + steps[:, 2] * steps[:, 2])
    arc = np.concatenate([[0.0], np.cumsum(lengths)])  # sequential sum, as NEURON
    return arc, np.abs(pts[:, 3]).astype(np.float64)


def section_length(section: Section) -> float:
    """NEURON's L: the given length, or the arc length of the last 3-D point."""
    if section.is_cylinder:
        assert section.length_um is not None
        return float(section.length_um)
    return float(neuron_points(section)[0][-1])


def lambda_f(section: Section, freq_hz: float, ra: float, cm: float) -> float:
    """AC length constant (um) at freq_hz, as stdlib.hoc's lambda_f computes it."""
    if cm == 0:
        return 1e10
    if section.is_cylinder:
        d = float(section.diam_um)  # type: ignore[arg-type]
        return 1e5 * math.sqrt(d / (4 * PI * freq_hz * ra * cm))
    arc, diam = neuron_points(section)
    lam = 0.0
    for i in range(1, arc.size):
        lam += (arc[i] - arc[i - 1]) / math.sqrt(diam[i - 1] + diam[i])
    lam *= math.sqrt(2) * 1e-5 * math.sqrt(4 * PI * freq_hz * ra * cm)
    return float(arc[-1] / lam)


def d_lambda_nseg(section: Section, d_lambda: float, freq_hz: float, ra: float, cm: float) -> int:
    """NEURON's d_lambda rule: the odd nseg with segments <= d_lambda * lambda_f."""
    length = section_length(section)
    return int((length / (d_lambda * lambda_f(section, freq_hz, ra, cm)) + 0.9) / 2) * 2 + 1


def segment_geometry(section: Section, nseg: int, ra: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: area (um^2), left and right half resistances (megohm)."""
    if section.is_cylinder:
        return _cylinder_segments(float(section.length_um), float(section.diam_um), nseg, ra)  # type: ignore[arg-type]
    arc, diam = neuron_points(section)
    return _frustum_segments(arc.tolist(), diam.tolist(), nseg, ra)


def _cylinder_segments(
    length: float, diam: float, nseg: int, ra: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dx = length / float(nseg)
    area = PI * diam * dx
    half = 1e-2 * ra * (dx / 2) / (PI * diam * diam / 4.0)
    return np.full(nseg, area), np.full(nseg, half), np.full(nseg, half)


def _frustum_segments(
    arc: list[float], diam: list[float], nseg: int, ra: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A transcription of NEURON's diam_from_list, all segments in one pass.

    The integration walks the 3-D points once; a segment's halves end at
    arc positions (k + 1/2) ds and (k + 1) ds, where the diameter is
    interpolated linearly (and extrapolated past the last point).
    """
    npt = len(arc)
    ds = arc[-1] / float(nseg)
    areas, lefts, rights = np.empty(nseg), np.empty(nseg), np.empty(nseg)
    j, x1, y1 = 0, arc[0], diam[0]
    for inode in range(nseg):
        si = float(inode) * ds
        area = 0.0
        for ihalf in range(2):
            ri = 0.0
            sip = si + ds / 2.0
            while True:
                jp = j + 1
                xj, xjp = arc[j], arc[jp]
                if xjp > sip or jp == npt - 1:
                    frac = 1.0 if abs(xjp - xj) < 1e-10 else (sip - xj) / (xjp - xj)
                    x2, y2, jnext = sip, (1.0 - frac) * diam[j] + frac * diam[jp], j
                else:
                    x2, y2, jnext = xjp, diam[jp], jp
                delta = x2 - x1
                if delta < 1e-15:
                    delta = 1e-15
                temp = y2 * y1 / delta
                ri += 1 / (temp if temp != 0 else 1e-15)
                taper = 0.5 * (y2 - y1)
                area += (y2 + y1) * math.sqrt(delta * delta + taper * taper)
                x1, y1 = x2, y2
                if j == jnext:
                    break
                j = jnext
            resistance = ri * ra / PI * (4.0 * 0.01)
            if ihalf == 0:
                lefts[inode] = resistance
            else:
                rights[inode] = resistance
            si = sip
        areas[inode] = area * 0.5 * PI
    return areas, lefts, rights
