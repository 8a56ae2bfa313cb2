"""`--sweep NAME=LO:HI:N`: parameter grids run as one vectorized batch.

Values carry units (`stim.amplitude=0:0.3nA:1024`; a unit written on either
end applies to both) and are checked against the parameter's dimension like
any value in a model file. Several sweeps form a grid, the first varying
slowest; the batch runs in that order. The axes are read exactly as `ionc
sweep --param` reads them (ionc.batch.plan).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ionc.diagnostics import Code, fail

MAX_BATCH = 1_000_000  # one batch holds every member's state: `ionc sweep` splits larger sweeps


def parse_sweeps(texts: Sequence[str], units: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Sweep options -> one array per parameter, over the whole grid, internal units."""
    from ionc.batch.plan import grid_plan, parse_axis

    if not texts:
        return {}
    axes = [parse_axis(text, units, counted=True, option="--sweep") for text in texts]
    size = int(np.prod([axis.count or 1 for axis in axes]))
    if size > MAX_BATCH:
        raise fail(Code.E500, f"the sweep has {size} parameter sets; at most {MAX_BATCH} run as one batch", None,
                   "ionc sweep runs larger sweeps in batches")
    plan = grid_plan(axes)
    return plan.internal(0, plan.size)
