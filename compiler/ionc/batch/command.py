"""`ionc sweep`: the command line (the argument parser and the handler)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ionc.batch.execute import Batch, BatchFailed, BatchResult, Target, connect, local_cores
from ionc.batch.features import DEFAULT_FEATURES, FEATURES, Column, parse_features, plan_columns
from ionc.batch.plan import Plan, grid_plan, parse_axis, random_plan
from ionc.batch.table import build_table, check_output, write_table
from ionc.diagnostics import Code, fail

# A batch's recordings stay in memory while it runs (each v trace twice): the default batch is as
# large as this allows, up to MAX_BATCH members (hh_point's 50 ms: 10,000 sets in 0.5 s, one batch).
BATCH_BYTES = 512 * 2**20
MAX_BATCH = 10_000
DEFAULT_RETRIES = 3
EXIT_RUN_ERROR = 3


def add_sweep_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sweep = commands.add_parser(
        "sweep", help="run many parameter sets and write one row of features per set",
        description="Run a simulation for many parameter sets, in vectorized batches, on this machine's "
        "cores or a Dask cluster, and write one row per set (its parameters and features) to a "
        "Parquet or CSV table, in index order.")
    sweep.add_argument("file", type=Path, metavar="MODEL.ionc")
    sweep.add_argument("--param", action="append", required=True, metavar="NAME=LO:HI:N",
                       help="a swept parameter with units, e.g. stim.amplitude=0:0.3nA:50 (NAME=LO:HI with --random)")
    how = sweep.add_mutually_exclusive_group()
    how.add_argument("--grid", action="store_true", help="every combination, the first --param slowest (default)")
    how.add_argument("--random", type=int, metavar="K", help="K sets drawn uniformly in the ranges")
    sweep.add_argument("--seed", type=int, default=0, metavar="S", help="the random generator's seed (default 0)")
    sweep.add_argument("--features", default=",".join(DEFAULT_FEATURES), metavar="F,F,...",
                       help=f"comma-separated, from {', '.join(FEATURES)} (default {','.join(DEFAULT_FEATURES)})")
    sweep.add_argument("--out", type=Path, required=True, metavar="TABLE.parquet|TABLE.csv",
                       help="the table to write: one row per parameter set")
    sweep.add_argument("--force", action="store_true", help="replace an existing output file")
    sweep.add_argument("--simulation", metavar="NAME", help="which simulation (default: the first)")
    sweep.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
                       help="a fixed override with units, e.g. --set duration=20ms")
    sweep.add_argument("--batch-size", type=int, metavar="B",
                       help=f"parameter sets per vectorized run (default: as many as {BATCH_BYTES // 2**20} MiB of "
                       f"recordings hold, at most {MAX_BATCH})")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="start a local Dask cluster of N worker processes (0: run every batch in this process)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="use an existing Dask cluster")
    sweep.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="R",
                       help=f"reruns of a batch whose worker failed or was lost (default {DEFAULT_RETRIES})")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")


def run_sweep(args: argparse.Namespace) -> int:
    _check_numbers(args)
    features = parse_features(args.features)
    check_output(args.out, args.force)
    source, module = _compile(args)
    plan = _plan(args, module.PARAMETER_UNITS)
    probe = module.simulate({})  # what a simulation records is known for sure only from its output
    columns = plan_columns(features, list(probe["traces"]), list(probe["velocity"]))
    largest = args.batch_size or _largest_batch(probe)
    clock = _Clock(time.perf_counter())
    try:
        values, errors = _run(source, plan, largest, columns, _target(args, -(-plan.size // largest)), args, clock)
    except BatchFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_RUN_ERROR
    clock.finished = time.perf_counter()
    write_table(build_table(plan, columns, values, errors, _description(args, module, features)), args.out)
    _summarise(args.out, plan.size, sum(bool(e) for e in errors), clock)
    return 0


@dataclass
class _Clock:
    """When the batches' run started, when its cluster was up (0: no cluster), when it finished."""

    started: float
    connected: float = 0.0
    finished: float = 0.0


def _check_numbers(args: argparse.Namespace) -> None:
    for option, value, least in (("--batch-size", args.batch_size, 1), ("--random", args.random, 1),
                                 ("--workers", args.workers, 0), ("--retries", args.retries, 0)):
        if value is not None and value < least:
            raise fail(Code.E500, f"{option} must be at least {least} (got {value})", None)


def _compile(args: argparse.Namespace) -> tuple[str, ModuleType]:
    """The generated module's text (what workers get) and the module, made once here."""
    from ionc.api import compile_file, load_compiled

    compiled = compile_file(args.file, args.simulation, args.overrides)
    module = load_compiled(compiled, args.file, args.simulation, args.overrides)
    return Path(module.__file__ or compiled.path).read_text(encoding="utf-8"), module


def _plan(args: argparse.Namespace, units: dict[str, str]) -> Plan:
    axes = [parse_axis(text, units, counted=args.random is None) for text in args.param]
    names = [axis.name for axis in axes]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise fail(Code.E500, f"--param {repeated[0]} is given twice", None)
    return grid_plan(axes) if args.random is None else random_plan(axes, args.random, args.seed)


def _largest_batch(probe: dict[str, Any]) -> int:
    """As many members as BATCH_BYTES of recordings hold (a one-member run's traces show their size)."""
    member_bytes = 2 * sum(trace.nbytes for trace in probe["traces"].values())
    return max(1, min(MAX_BATCH, BATCH_BYTES // max(member_bytes, 1)))


def _batches(plan: Plan, size: int) -> list[Batch]:
    starts = range(0, plan.size, size)
    return [Batch(k, start, plan.internal(start, min(start + size, plan.size))) for k, start in enumerate(starts)]


def _target(args: argparse.Namespace, batches: int) -> Target:
    """--scheduler, --workers, or by default: a sweep of one batch in this process (no cluster to
    start: about 2 s saved), more batches on one worker process per core (numpy's many small
    calls hold the GIL, so threads would wait on each other)."""
    if args.scheduler:
        return Target("scheduler", address=args.scheduler)
    if args.workers is not None:
        return Target("cluster", workers=args.workers) if args.workers else Target("process")
    cores = min(local_cores(), batches)
    return Target("cluster", workers=cores) if cores > 1 else Target("process")


def _run(source: str, plan: Plan, largest: int, columns: Sequence[Column], target: Target,
         args: argparse.Namespace, clock: _Clock) -> tuple[dict[str, np.ndarray], list[str]]:
    """Every batch's rows put in their place (index order, whatever finished first). Without
    --batch-size, the sets are shared out so that every worker gets a batch (the table does not
    depend on how they are cut)."""
    total = plan.size
    values = {c.name: np.zeros(total, np.int64 if c.integer else float) for c in columns}
    errors = [""] * total

    # The bar appears once the cluster is up (the second manager is made after the first is entered).
    with connect(target, args.retries) as connection, _progress_bar(total, args.quiet) as progress:
        clock.connected = time.perf_counter() if target.kind != "process" else 0.0
        batch_size = args.batch_size or min(largest, -(-total // connection.slots))

        def done(result: BatchResult) -> None:
            size = len(result.errors)
            for name, column in result.values.items():
                values[name][result.start:result.start + size] = column
            errors[result.start:result.start + size] = result.errors
            progress.update(size)

        connection.run(source, _batches(plan, batch_size), columns, done)
    return values, errors


def _progress_bar(total: int, quiet: bool) -> Any:
    """Sets done of all, sets per second and the time left, on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, unit="set", file=sys.stderr, disable=quiet, smoothing=0.1)


def _description(args: argparse.Namespace, module: ModuleType, features: Sequence[str]) -> dict[str, Any]:
    """What the sweep ran, for the Parquet metadata (nothing that changes from run to run)."""
    plan: dict[str, Any] = {"kind": "grid"} if args.random is None else {
        "kind": "random", "count": args.random, "seed": args.seed}
    return {"model": str(args.file), "simulation": module.SIMULATION, "overrides": list(args.overrides),
            "parameters": list(args.param), "features": list(features), "plan": plan,
            "ionc": module.IONC_VERSION}


def _summarise(out: Path, sets: int, failed: int, clock: _Clock) -> None:
    stopped = f", {failed} stopped (see the error column)" if failed else ""
    elapsed = clock.finished - clock.started
    start = f" ({clock.connected - clock.started:.3g} s starting the cluster)" if clock.connected else ""
    print(f"wrote {out}: {sets} parameter sets{stopped}; {elapsed:.3g} s{start}, {sets / elapsed:.4g} sets/s")
