"""Recordings streamed to disk as a run goes, so that memory stays bounded.

`ionc run MODEL --stream DIR` writes DIR/<site>.npy per recording, shaped
(samples, batch) so that each chunk of samples is appended contiguously, and
DIR/index.json: how many samples of each file are valid, their interval, and
whether the run is complete. The index is rewritten (atomically) after every
chunk and the files flushed, so a run that is killed leaves readable files;
at the end (or at Ctrl-C) each .npy header is rewritten with the number of
samples written, so `numpy.load` returns exactly those.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

HEADER_BYTES = 128  # fixed, so the header can be rewritten in place with the final length
INDEX = "index.json"
SPIKE_BLOCK = 1 << 20  # samples read at a time when spikes are found in a streamed trace


def file_name(site: str) -> str:
    """v@axon(0.2) -> v@axon(0.2).npy, with path separators and odd characters replaced."""
    safe = "".join(c if c.isalnum() or c in "@._()-" else "_" for c in site)
    return f"{safe}.npy"


def npy_header(samples: int, batch: int) -> bytes:
    """A version 1.0 .npy header for float64 (samples, batch), padded to HEADER_BYTES."""
    text = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({samples}, {batch}), }}"
    prefix = b"\x93NUMPY\x01\x00"
    length = HEADER_BYTES - len(prefix) - 2
    body = text.ljust(length - 1) + "\n"
    return prefix + len(body).to_bytes(2, "little") + body.encode("latin1")


@dataclass
class _Trace:
    path: Path
    every_ms: float
    capacity: int  # samples the whole run would write
    handle: IO[bytes] | None = None
    batch: int = 0
    written: int = 0  # samples written so far


@dataclass
class StreamSink:
    """The sink a generated simulate() hands each chunk's samples to (write, then flush)."""

    directory: Path
    records: dict[str, int]  # site -> steps between samples
    dt: float
    n_steps: int
    traces: dict[str, _Trace] = field(default_factory=dict)
    steps: int = 0  # steps whose samples are on disk

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for site, stride in self.records.items():
            self.traces[site] = _Trace(self.directory / file_name(site), stride * self.dt,
                                       self.n_steps // stride + 1)

    def write(self, site: str, start: int, values: np.ndarray) -> None:
        """Samples start, start + 1, ... of a recording; values shaped (batch, samples)."""
        trace = self.traces[site]
        if trace.handle is None:
            trace.batch = values.shape[0]
            trace.handle = open(trace.path, "wb")  # noqa: SIM115 - open for the whole run, closed in close()
            trace.handle.write(npy_header(trace.capacity, trace.batch))
            trace.handle.truncate(HEADER_BYTES + trace.capacity * trace.batch * 8)  # sparse: no disk yet
        trace.handle.seek(HEADER_BYTES + start * trace.batch * 8)
        trace.handle.write(np.ascontiguousarray(values.T, dtype="<f8").tobytes())
        trace.written = max(trace.written, start + values.shape[1])

    def flush(self, steps: int, complete: bool = False, note: str | None = None) -> None:
        self.steps = steps
        for trace in self.traces.values():
            if trace.handle is not None:
                trace.handle.flush()
        self._write_index(steps, complete, note)

    def close(self, steps: int, complete: bool, note: str | None = None) -> None:
        """Each file's header says how many samples it holds; the index says whether the run is complete."""
        for trace in self.traces.values():
            if trace.handle is None:
                continue
            trace.handle.seek(0)
            trace.handle.write(npy_header(trace.written, trace.batch))
            trace.handle.truncate(HEADER_BYTES + trace.written * trace.batch * 8)
            trace.handle.close()
            trace.handle = None
        self._write_index(steps, complete, note)

    def _write_index(self, steps: int, complete: bool, note: str | None) -> None:
        index: dict[str, Any] = {
            "complete": complete,
            "t_end": steps * self.dt,
            "dt": self.dt,
            "traces": {site: {"file": t.path.name, "samples": t.written, "every": t.every_ms}
                       for site, t in self.traces.items()},
        }
        if note:
            index["note"] = note
        temporary = self.directory / f".{INDEX}.tmp"
        temporary.write_text(json.dumps(index, indent=1), encoding="utf-8")
        os.replace(temporary, self.directory / INDEX)

    def spikes(self, threshold: float = 0.0) -> dict[str, Any]:
        """Upward crossings of `threshold` in every streamed v, read back a block at a time."""
        found: dict[str, Any] = {}
        for site, trace in self.traces.items():
            if not site.startswith("v@") or trace.written == 0:
                continue
            rows = _crossings(trace, threshold)
            found[site] = rows if len(rows) > 1 else rows[0]
        return found


def _crossings(trace: _Trace, threshold: float) -> list[list[float]]:
    """spike_times of the generated module for each batch member, reading the file a block of
    samples at a time (plain reads, not a memory map, whose pages would stay resident)."""
    times: list[list[float]] = [[] for _ in range(trace.batch)]
    with open(trace.path, "rb") as handle:
        for start in range(0, max(trace.written - 1, 0), SPIKE_BLOCK):
            count = min(SPIKE_BLOCK + 1, trace.written - start)  # one sample of overlap with the next
            handle.seek(HEADER_BYTES + start * trace.batch * 8)
            block = np.fromfile(handle, dtype="<f8", count=count * trace.batch).reshape(count, trace.batch)
            below, above = block[:-1], block[1:]
            k, b = np.nonzero((below < threshold) & (above >= threshold))
            fraction = (threshold - below[k, b]) / (above[k, b] - below[k, b])
            for member, when in zip(b, (start + k + fraction) * trace.every_ms, strict=True):
                times[member].append(float(when))
    return times
