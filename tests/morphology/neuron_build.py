"""Build an ionc morphology in NEURON, the way a NEURON user would, to check ionc against it.

The NEURON side gets exactly the same sections: the same 3-D points through
pt3dadd (or L and diam for plain cylinders), the same nseg, Ra and cm, and
the same connections (child(0) to parent(parent_x)). Nothing here knows how
ionc computes areas or resistances: NEURON does that itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from ionc.morphology import Discretization

_names = itertools.count()


def build_sections(disc: Discretization) -> dict[str, Any]:
    """NEURON sections for a discretization, by ionc section name (keep the dict alive)."""
    from neuron import h

    h.load_file("stdlib.hoc")
    tag = next(_names)
    secs: dict[str, Any] = {}
    for k, s in enumerate(disc.morphology.sections):
        sec = h.Section(name=f"m{tag}_{s.name}")
        points = s.points3d()
        if points:
            for x, y, z, d in points:
                h.pt3dadd(x, y, z, d, sec=sec)
        else:
            sec.L = s.length_um
            sec.diam = s.diam_um
        sec.Ra = disc.ra_ohm_cm[k]
        sec.cm = float(disc.cm_uF_cm2[disc.first_segment[k]])
        if s.parent is not None:
            sec.connect(secs[s.parent](s.parent_x), 0)
        sec.nseg = disc.nseg[k]
        secs[s.name] = sec
    return secs


def neuron_area_ri(disc: Discretization, secs: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """NEURON's area (um2) and ri (megohm) at each ionc node's (section, x)."""
    names = [s.name for s in disc.morphology.sections]
    area = np.empty(disc.n)
    ri = np.empty(disc.n)
    for i in range(disc.n):
        seg = secs[names[disc.section_index[i]]](float(disc.x[i]))
        area[i] = seg.area()
        ri[i] = seg.ri()
    return area, ri


def neuron_d_lambda_nseg(secs: dict[str, Any], d_lambda: float = 0.1, freq: float = 100.0) -> dict[str, int]:
    """nseg from NEURON's own lambda_f (stdlib.hoc), with the usual d_lambda formula."""
    from neuron import h

    h.load_file("stdlib.hoc")
    return {
        name: int((sec.L / (d_lambda * h.lambda_f(freq, sec=sec)) + 0.9) / 2) * 2 + 1
        for name, sec in secs.items()
    }


def neuron_attach_nodes(disc: Discretization, secs: dict[str, Any]) -> dict[str, int]:
    """Per section, the ionc node of the NEURON segment its x = 0 end hangs from (-1: root)."""
    by_neuron = {sec.name(): name for name, sec in secs.items()}
    out: dict[str, int] = {}
    for name, sec in secs.items():
        seg = sec.trueparentseg()
        if seg is None:
            out[name] = -1
        else:
            out[name] = disc.locate(by_neuron[seg.sec.name()], seg.x)
    return out
