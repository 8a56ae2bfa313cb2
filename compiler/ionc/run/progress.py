"""A progress bar for long runs, fed by the generated simulate()'s progress callback.

The generated module stays standalone (no tqdm there): it calls progress(step, n_steps)
after every chunk of steps. The bar appears only when the run is expected to take
longer than SHOW_AFTER_S, estimated from the first chunks, on stderr.
"""

from __future__ import annotations

import sys
import time
from typing import Any

SHOW_AFTER_S = 2.0  # runs expected to be shorter than this show no bar


class ProgressBar:
    def __init__(self, description: str, stream: Any = None) -> None:
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.first: tuple[float, int] | None = None  # (when, step) of the first chunk's end
        self.bar: Any = None
        self.shown = 0

    def __call__(self, step: int, n_steps: int) -> None:
        if self.bar is None and not self._long(step, n_steps):
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=n_steps, desc=self.description, unit="step", file=self.stream,
                            unit_scale=True, dynamic_ncols=True, mininterval=0.2)
        self.bar.update(step - self.shown)
        self.shown = step

    def _long(self, step: int, n_steps: int) -> bool:
        """Whether the run is expected to last longer than SHOW_AFTER_S: the rate is measured from
        the end of the first chunk on (the first includes one-time costs, numba's loading)."""
        now = time.perf_counter()
        if self.first is None:
            self.first = (now, step)
            return now - self.started > SHOW_AFTER_S
        when, done = self.first
        if step <= done:
            return False
        remaining = (now - when) / (step - done) * (n_steps - step)
        return now - self.started + remaining > SHOW_AFTER_S

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
