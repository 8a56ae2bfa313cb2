"""`ionc sweep --scheduler` on a real Dask cluster (issue 7, item 1's acceptance).

A scheduler and two single-threaded workers run as separate processes on
loopback (`python -m distributed.cli.dask_scheduler` / `dask_worker`, no
nanny, so a killed worker stays dead). A 2,000-point sweep of hh_point (50
stimulus amplitudes x 40 Na conductances, the model's 50 ms) sent to it must
write the same table as the single-process run (one batch of 2,000, no Dask):
equal value for value, and byte for byte as Parquet. The second test SIGKILLs
one worker once the first batches are in, and still gets the full, identical
table: the scheduler reruns the lost worker's batches on the other. A local
cluster (`--workers 2`) writes that table too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ionc.batch.table import read_table
from ionc.cli import main
from sweep_tables import same_values

ROOT = Path(__file__).resolve().parents[2]
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
SETS = 2000
SWEEP = [str(HH_POINT), "--param", "stim.amplitude=0:0.3nA:50", "--param", "hh_na.gbar=60:200mS/cm2:40",
         "--quiet"]
START_TIMEOUT_S = 120  # generous: the machine is shared; no test asserts a time


@dataclass(frozen=True)
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: tuple[subprocess.Popen[bytes], ...]
    logs: Path


def _start(arguments: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as stream:
        return subprocess.Popen([sys.executable, "-m", *arguments], stdout=stream, stderr=subprocess.STDOUT, env=env)


def _wait_for_file(path: Path, process: subprocess.Popen[bytes]) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.stat().st_size:
            info: dict[str, str] = json.loads(path.read_text())
            return info
        time.sleep(0.1)
    raise RuntimeError(f"the scheduler did not start (exit {process.poll()})")


@pytest.fixture
def cluster(tmp_path: Path, ionc_env: dict[str, str]) -> Iterator[Cluster]:
    """A scheduler and two workers on 127.0.0.1, stopped (by their pids) whatever the test did."""
    processes: list[subprocess.Popen[bytes]] = []
    scheduler_file = tmp_path / "scheduler.json"
    try:
        scheduler = _start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(scheduler_file)], tmp_path / "scheduler.log", ionc_env)
        processes.append(scheduler)
        address = _wait_for_file(scheduler_file, scheduler)["address"]
        for k in range(2):
            processes.append(_start(["distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1",
                                     "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--name", f"worker-{k}"],
                                    tmp_path / f"worker-{k}.log", ionc_env))
        from distributed import Client

        with Client(address, timeout=f"{START_TIMEOUT_S}s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield Cluster(address, scheduler, tuple(processes[1:]), tmp_path)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module")
def single_process_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the whole sweep as one vectorized batch in this process."""
    out = tmp_path_factory.mktemp("reference") / "single.parquet"
    assert main(["sweep", *SWEEP, "--workers", "0", "--batch-size", str(SETS), "--out", str(out)]) == 0
    return out


def _assert_same_table(found: Path, reference: Path) -> None:
    rows = read_table(found)
    assert rows.num_rows == SETS and rows.column("index").to_pylist() == list(range(SETS))
    assert same_values(rows, read_table(reference))
    assert found.read_bytes() == reference.read_bytes()


def test_a_sweep_on_a_dask_cluster_writes_the_single_process_table(
        cluster: Cluster, single_process_table: Path, tmp_path: Path) -> None:
    out = tmp_path / "cluster.parquet"
    assert main(["sweep", *SWEEP, "--scheduler", cluster.address, "--batch-size", "50", "--out", str(out)]) == 0
    _assert_same_table(out, single_process_table)
    spikes = read_table(out).column("spike_count").to_pylist()
    assert min(spikes) == 0 and max(spikes) > 3  # silent and firing sets: the table is not trivially equal


def test_a_local_cluster_writes_the_single_process_table(single_process_table: Path, tmp_path: Path) -> None:
    """--workers 2: a LocalCluster of two worker processes, the sets shared out (a batch each)."""
    out = tmp_path / "local.parquet"
    assert main(["sweep", *SWEEP, "--workers", "2", "--out", str(out)]) == 0
    _assert_same_table(out, single_process_table)


class _Progress:
    """The sweep's progress bar (stderr), read as it is written: completed sets so far."""

    def __init__(self, stream: object) -> None:
        self.completed = 0
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for chunk in iter(lambda: os.read(stream.fileno(), 4096), b""):  # type: ignore[attr-defined]
            self.text += chunk.decode(errors="replace")
            counts = re.findall(rf"(\d+)/{SETS}", self.text)
            if counts:
                self.completed = int(counts[-1])

    def join(self) -> None:
        self._thread.join(timeout=30)


def test_a_killed_worker_costs_time_not_rows(
        cluster: Cluster, single_process_table: Path, tmp_path: Path, ionc_env: dict[str, str]) -> None:
    out = tmp_path / "killed.parquet"
    arguments = [a for a in SWEEP if a != "--quiet"]  # the progress bar tells when to strike
    sweep = subprocess.Popen([sys.executable, "-m", "ionc", "sweep", *arguments, "--scheduler", cluster.address,
                              "--batch-size", "50", "--out", str(out)], stderr=subprocess.PIPE, env=ionc_env)
    progress = _Progress(sweep.stderr)
    victim = cluster.workers[0]
    try:
        while progress.completed < 100 and sweep.poll() is None:
            time.sleep(0.01)
        completed_at_kill = progress.completed
        os.kill(victim.pid, signal.SIGKILL)
        assert sweep.wait(timeout=START_TIMEOUT_S) == 0, progress.text[-2000:]
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait()
    progress.join()
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert 100 <= completed_at_kill < SETS  # the kill landed mid-sweep
    scheduler_log = (cluster.logs / "scheduler.log").read_text()
    assert re.search(r"Remove worker.*worker-0", scheduler_log), scheduler_log[-2000:]
    _assert_same_table(out, single_process_table)
