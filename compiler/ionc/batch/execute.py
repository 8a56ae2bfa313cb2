"""Running a sweep's batches: in this process, on a local Dask cluster, or on an existing one.

A batch is a run of consecutive parameter sets as one vectorized `simulate`
call. The generated module's text is made once by the client and shipped to
the workers as data (scattered to every worker once); each worker process
writes it to a file named by its hash and imports it once (`module_of`), so
workers never parse the model. Tasks carry `retries`, and the scheduler
reruns the batches of a worker that dies, so a lost worker costs time, not
rows. A batch whose simulation stops (a SimulationError: a blow-up) is split
in halves until the failing sets are alone: they get the error, the others
their features (a member's result does not depend on its batch-mates).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from ionc.batch.features import Column, measure
from ionc.diagnostics import Code, fail

CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True, slots=True, eq=False)
class Batch:
    number: int
    start: int  # index of its first set
    parameters: dict[str, np.ndarray]  # internal units, one value per member

    @property
    def size(self) -> int:
        return int(next(iter(self.parameters.values())).size)


@dataclass(frozen=True, slots=True, eq=False)
class BatchResult:
    number: int
    start: int
    values: dict[str, np.ndarray]  # column -> one value per member
    errors: tuple[str, ...]  # per member: "" or why its simulation stopped


@dataclass(frozen=True, slots=True)
class Target:
    """Where batches run: 'process' (here), 'cluster' (a LocalCluster of `workers`) or 'scheduler'."""

    kind: str
    workers: int = 1
    address: str = ""


class BatchFailed(RuntimeError):
    """A batch that failed for another reason than its model, after its retries."""


_MODULES: dict[str, ModuleType] = {}  # per worker process: hash of the source -> module


def source_digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def module_of(source: str) -> ModuleType:
    """The generated module of `source`, written and imported once per process."""
    digest = source_digest(source)
    if digest not in _MODULES:
        from ionc.run.cache import cache_dir, intact, write_atomic
        from ionc.run.loader import load_module

        path = cache_dir() / "sweep" / f"ionc_sweep_{digest}.py"
        if not intact(path):  # missing, or damaged: (re)written whole
            write_atomic(path, source)
        _MODULES[digest] = load_module(path, name=f"ionc_sweep_{digest}")
    return _MODULES[digest]


def run_batch(source: str, batch: Batch, columns: Sequence[Column]) -> BatchResult:
    """One batch (the task a worker runs): its features, and its members' errors."""
    values, errors = _simulate(module_of(source), batch.parameters, columns)
    return BatchResult(batch.number, batch.start, values, tuple(errors))


def _simulate(module: ModuleType, parameters: Mapping[str, np.ndarray],
              columns: Sequence[Column]) -> tuple[dict[str, np.ndarray], list[str]]:
    size = int(next(iter(parameters.values())).size)
    try:
        return measure(module, module.simulate(dict(parameters)), columns), [""] * size
    except RuntimeError as error:  # SimulationError is the generated module's own class
        if type(error).__name__ != "SimulationError":
            raise
        if size == 1:  # its values are placeholders: the table leaves them empty (null)
            return {c.name: np.zeros(1, np.int64) if c.integer else np.full(1, np.nan) for c in columns}, [str(error)]
    half = size // 2
    first = _simulate(module, {k: v[:half] for k, v in parameters.items()}, columns)
    second = _simulate(module, {k: v[half:] for k, v in parameters.items()}, columns)
    joined = {c.name: np.concatenate([first[0][c.name], second[0][c.name]]) for c in columns}
    return joined, first[1] + second[1]


Done = Callable[[BatchResult], None]
Runner = Callable[[str, Sequence[Batch], Sequence[Column], Done], None]


@dataclass(frozen=True, slots=True)
class Connection:
    """A runner of batches: run(source, batches, columns, done) calls `done` with each result as it
    arrives. `slots`: how many batches run at once (worker threads)."""

    run: Runner
    slots: int


@contextmanager
def connect(target: Target, retries: int) -> Iterator[Connection]:
    """The runner of batches on `target`, connected (a cluster started or reached) before it is
    given; a batch whose worker fails or is lost runs again, up to `retries` times."""
    if target.kind == "process":
        yield Connection(_run_here, 1)
        return
    with _client(target, retries) as client:
        slots = sum(client.nthreads().values())
        yield Connection(partial(_run_on, client, retries), max(slots, 1))


def _run_here(source: str, batches: Sequence[Batch], columns: Sequence[Column], done: Done) -> None:
    for batch in batches:
        done(run_batch(source, batch, columns))


def _run_on(client: Any, retries: int, source: str, batches: Sequence[Batch], columns: Sequence[Column],
            done: Done) -> None:
    from distributed import as_completed

    shipped = client.scatter(source, broadcast=True, hash=False)
    digest = source_digest(source)
    futures = [client.submit(run_batch, shipped, batch, columns, retries=retries, pure=False,
                             key=f"ionc-sweep-{digest}-{batch.number}") for batch in batches]
    for future in as_completed(futures):
        done(_result(future))
        future.release()  # its rows are copied out: the cluster may forget them


def _result(future: Any) -> BatchResult:
    try:
        result: BatchResult = future.result()
    except Exception as error:  # the task's own exception, or KilledWorker after repeated losses
        raise BatchFailed(f"a batch failed after its retries: {type(error).__name__}: {error}") from error
    return result


@contextmanager
def _client(target: Target, retries: int) -> Iterator[Any]:
    import dask
    from distributed import Client, LocalCluster

    if target.kind == "cluster":
        # The local scheduler (in this process) gives a batch whose workers die as many reruns as a
        # batch that raised; an existing scheduler keeps its own allowed-failures (3 by default).
        with dask.config.set({"distributed.scheduler.allowed-failures": retries}), \
                LocalCluster(n_workers=target.workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(target.address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise fail(Code.E500, f"--scheduler {target.address}: cannot reach the Dask scheduler ({error})",
                   None) from None
    with client:
        yield client


def local_cores() -> int:
    """The cores this process may use (a container's or taskset's limit, not the machine's)."""
    if sys.platform.startswith("linux"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
