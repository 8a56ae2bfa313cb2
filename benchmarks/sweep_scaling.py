"""How `ionc sweep` scales: parameter sets per second for one process and 1, 2 local Dask workers.

    PYTHONPATH=compiler python3 benchmarks/sweep_scaling.py [--points 10000] [--duration 50ms] [--repeats 3]

The sweep is hh_point (models/cells/hh_point.ionc, crank_nicolson, dt 0.025 ms)
over stimulus amplitude x Na conductance, a square grid of about --points sets,
run through the real command line (`python -m ionc sweep`, a fresh process each
time) in these ways:

* single process, one batch: every set in one vectorized `simulate` (--workers 0
  --batch-size N), the fastest a single core can do;
* single process, batches of B (--workers 0 --batch-size B; B is half the sets
  unless --batch-size says otherwise): the batching alone;
* --workers 1 and --workers 2: a LocalCluster of that many single-threaded
  worker processes, batches of B (by default one per worker of the two).

Three rates are printed: "run", the sets over the time the command itself
reports for its batches (from starting the cluster to the last row);
"batches", the same without the cluster's start (the rate a long sweep
approaches); and "command", the sets over the whole process (Python's start,
imports, the cached compile, the probe run, writing Parquet). Run times are
the best of --repeats, and the command time its own best. "CPU s" is the CPU
time (user + system) of the command and its worker processes, the least of
the repeats: what the work costs, much less changed by other work on the
cores than the wall time (though shared caches inflate it too). The machine's load average is printed before
and after, as the cores may be shared.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
SUMMARY = re.compile(r"; ([0-9.e+-]+) s(?: \(([0-9.e+-]+) s starting the cluster\))?, ")


@dataclass(frozen=True)
class Way:
    label: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Timing:
    run_s: float  # the batches' run as the command reports it, the cluster's start included
    start_s: float  # of which starting the cluster
    command_s: float  # the whole process
    cpu_s: float  # CPU time of the command and its worker processes (user + system)


def ways(points: int, batch: int) -> list[Way]:
    return [
        Way("single process, one batch", ("--workers", "0", "--batch-size", str(points))),
        Way(f"single process, batches of {batch}", ("--workers", "0", "--batch-size", str(batch))),
        Way("--workers 1 (LocalCluster)", ("--workers", "1", "--batch-size", str(batch))),
        Way("--workers 2 (LocalCluster)", ("--workers", "2", "--batch-size", str(batch))),
    ]


def run_once(way: Way, side: int, duration: str, folder: Path) -> Timing:
    out = folder / "table.parquet"
    command = [sys.executable, "-m", "ionc", "sweep", str(HH_POINT), "--param", f"stim.amplitude=0:0.3nA:{side}",
               "--param", f"hh_na.gbar=60:200mS/cm2:{side}", "--set", f"duration={duration}", "--quiet", "--force",
               "--out", str(out), *way.options]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "compiler"))
    started, cpu_before = time.perf_counter(), _children_cpu_s()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    command_s, cpu_s = time.perf_counter() - started, _children_cpu_s() - cpu_before
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    found = SUMMARY.search(result.stdout)
    if found is None:
        raise RuntimeError(f"no summary line in: {result.stdout!r} {result.stderr!r}")
    return Timing(float(found.group(1)), float(found.group(2) or 0.0), command_s, cpu_s)


def _children_cpu_s() -> float:
    """CPU seconds of finished child processes and theirs (a LocalCluster's workers are the command's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--duration", default="50ms", help="the simulated time, with its unit (default 50ms)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, help="of the batched ways (default: half the sets, a batch per worker)")
    args = parser.parse_args()
    side = round(math.sqrt(args.points))
    sets = side * side
    batch = args.batch_size or (sets + 1) // 2
    print(f"hh_point, {sets} sets ({side} x {side}), {args.duration} at dt 0.025 ms; "
          f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        run_once(ways(sets, batch)[0], side, args.duration, Path(folder))  # warms the compile cache
        rows = [(way, [run_once(way, side, args.duration, Path(folder)) for _ in range(args.repeats)])
                for way in ways(sets, batch)]
    base = sets / min(t.run_s for t in rows[0][1])
    print(f"{'way':34} {'run sets/s':>11} {'vs one batch':>13} {'batches sets/s':>15} {'command sets/s':>15} "
          f"{'run s':>6} {'start s':>8} {'command s':>10} {'CPU s':>6}")
    for way, timings in rows:
        best = min(timings, key=lambda t: t.run_s)
        command_s, cpu_s = min(t.command_s for t in timings), min(t.cpu_s for t in timings)
        print(f"{way.label:34} {sets / best.run_s:11.0f} {sets / best.run_s / base:13.2f} "
              f"{sets / (best.run_s - best.start_s):15.0f} {sets / command_s:15.0f} "
              f"{best.run_s:6.2f} {best.start_s:8.2f} {command_s:10.2f} {cpu_s:6.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
