"""The cases compiled with ionc and run through the generated module's simulate().

Compile time is measured three ways:

* cold: `compile_file(..., use_cache=False)` in a fresh Python process, so
  it includes importing the compiler's heavy dependencies (lark, sympy,
  jinja2) as a first `ionc compile` on the command line would;
* uncached: `compile_file(..., use_cache=False)` again in this process,
  those imports already done (the compiler's own work);
* cached: `compile_file(...)` with the module already in the cache (hash
  the model files, find the file).

Simulate time is the wall clock of one `simulate(parameters)` call (setup,
time loop, velocity report); the module's own `simulate_s` (the time loop
alone) is kept too.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

import ionc
import numpy as np
from cases import ROOT, Case, spike_times

# The directory the ionc in use was imported from (the repository's compiler/, or
# wherever PYTHONPATH or an install put it): the fresh processes import the same one.
COMPILER = Path(ionc.__file__).resolve().parent.parent

_COLD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from ionc.api import compile_file
imported = time.perf_counter() - started
compiled = compile_file(sys.argv[1], None, json.loads(sys.argv[2]), use_cache=False)
print(json.dumps({"compile_s": compiled.compile_s, "import_api_s": imported}))
"""


# Peak resident memory of the whole process: a fresh interpreter that does what a
# user's script does with a compiled case: a cache hit of compile_file (import
# ionc.api, hash the model files, find the module), load, one simulate(). It
# loads the very module file this run compiled and timed (the file a cache hit
# returns) instead of calling compile_file again, so a compiler edited while the
# benchmark runs (a cache miss, a fresh generation) cannot change what is measured.
# The peak is the kernel's high-water mark of this process's own memory (VmHWM in
# /proc/self/status). getrusage's ru_maxrss is not used on Linux: it keeps the
# largest RSS the process had before execve, i.e. the size of the forking parent
# (this benchmark, with NEURON, Arbor and jax loaded), not the fresh interpreter.
_RSS_SCRIPT = """
import json, resource, sys
from pathlib import Path
def peak_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.path.insert(0, sys.argv[1])
from cases import CASES
from ionc.api import Compiled
case = CASES[sys.argv[2]]
module = Compiled(Path(sys.argv[3]), 0.0, cached=True).load()
loaded = peak_kib()
result = module.simulate(dict(case.parameters))
peak = peak_kib()
print(json.dumps({"peak_kib": peak, "loaded_kib": loaded,
                  "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "batch": result["batch"]}))
"""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(COMPILER), env.get("PYTHONPATH", "")) if p)
    return env


def compile_cold(case: Case) -> float:
    """Seconds for compile_file(use_cache=False) as the first thing a fresh process does."""
    result = subprocess.run(
        [sys.executable, "-c", _COLD_SCRIPT, str(case.model), json.dumps(list(case.overrides))],
        cwd=ROOT, env=_environment(), capture_output=True, text=True, check=True,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["compile_s"])


def peak_rss(case: Case, module_path: Path) -> dict[str, Any]:
    """Peak resident memory (bytes) of a fresh process that loads the compiled case and simulates it once.

    `peak_bytes` is the whole process: the interpreter, numpy, ionc's API and
    runtime, the module and its arrays (and numba and its JIT with that
    backend); `loaded_bytes` is the peak before simulate().
    """
    result = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(Path(__file__).resolve().parent), case.key, str(module_path)],
        cwd=ROOT, env=_environment(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{case.key}: the peak-RSS process failed:\n{result.stderr[-2000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["batch"] != case.cells:
        raise RuntimeError(f"{case.key}: the peak-RSS process ran a batch of {data['batch']}, not {case.cells}")
    return {"peak_bytes": int(data["peak_kib"]) * 1024, "loaded_bytes": int(data["loaded_kib"]) * 1024,
            "ru_maxrss_bytes": int(data["ru_maxrss_kib"]) * 1024}


class IoncModel:
    """One case compiled and loaded; `run()` returns (wall seconds, loop seconds, answer)."""

    def __init__(self, case: Case, cold: bool = True, backend: str = "numpy") -> None:
        from ionc.api import compile_file

        self.case = case
        self.backend = backend
        self.compile_cold_s = compile_cold(case) if cold else float("nan")
        # The first compile in this process imports lark, sympy and jinja2: warm up, then time.
        compile_file(case.model, None, list(case.overrides), use_cache=False, backend=backend)
        uncached = compile_file(case.model, None, list(case.overrides), use_cache=False, backend=backend)
        self.compile_uncached_s = uncached.compile_s
        cached_times = []
        for _ in range(5):
            compiled = compile_file(case.model, None, list(case.overrides), backend=backend)
            if not compiled.cached:
                raise RuntimeError(f"{case.key}: the second compile missed the cache")
            cached_times.append(compiled.compile_s)
        self.compile_cached_s = statistics.median(cached_times)
        self.path: Path = compiled.path
        started = time.perf_counter()
        self.module: ModuleType = compiled.load()
        if backend == "numba":  # compile the fused loop (numba's JIT) before any timing
            self.module.simulate(dict(self.case.parameters))
        self.load_s = time.perf_counter() - started
        method = getattr(self.module, "METHOD", None)
        if method != "backward_euler":
            raise RuntimeError(f"{case.key}: the ionc module steps with {method}, not backward_euler")
        meta = self.module.META
        if meta["compartments"] != case.compartments or abs(meta["dt"] - case.dt_ms) > 1e-12 \
                or abs(meta["duration"] - case.tstop_ms) > 1e-9:
            raise RuntimeError(f"{case.key}: the ionc module is not the benchmark case: {meta}")

    def run(self) -> tuple[float, float, Any]:
        gc.collect()
        started = time.perf_counter()
        result = self.module.simulate(dict(self.case.parameters))
        wall = time.perf_counter() - started
        if result["batch"] != self.case.cells:
            raise RuntimeError(f"{self.case.key}: ionc ran a batch of {result['batch']}, not {self.case.cells}")
        return wall, float(result["simulate_s"]), self.answer(result)

    def answer(self, result: dict[str, Any]) -> Any:
        kind = self.case.kind
        t = np.asarray(result["t"], dtype=float)
        if kind == "velocity":
            (value,) = result["velocity"].values()
            return float("nan") if value is None else float(value)
        (trace,) = result["traces"].values()  # (batch, samples)
        if kind == "spikes":
            return spike_times(t, trace[0])
        counts = np.array([len(spike_times(t, row)) for row in trace])
        firing = np.flatnonzero(counts)
        return {"total": int(counts.sum()), "first_firing_cell": int(firing[0]) if firing.size else None}

    def peak_memory_bytes(self) -> int:
        """tracemalloc's peak over one simulate() call (numpy reports its buffers to tracemalloc)."""
        gc.collect()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            result = self.module.simulate(dict(self.case.parameters))
            peak = tracemalloc.get_traced_memory()[1]
            del result
        finally:
            tracemalloc.stop()
        return peak - baseline
