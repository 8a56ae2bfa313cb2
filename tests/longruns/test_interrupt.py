"""Ctrl-C during a long `ionc run`: a clear message, exit 130, and readable partial output."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation

HERE = Path(__file__).resolve().parent
LONG_HH = HERE / "long_hh.ionc"  # 60 s of model time: minutes of run time, never finished here
EXIT_INTERRUPTED = 130
WAIT_S = 120  # a generous bound on how long the run may take to get going on a loaded machine
INTERRUPT_AFTER_MS = 100.0  # model time streamed before the interrupt: the reference run's length


def _wait_for_stream(directory: Path, process: subprocess.Popen[str]) -> None:
    """Until the streamed index says INTERRUPT_AFTER_MS of model time are on disk."""
    deadline = time.monotonic() + WAIT_S
    index = directory / "index.json"
    while time.monotonic() < deadline and process.poll() is None:
        if index.is_file() and json.loads(index.read_text(encoding="utf-8"))["t_end"] >= INTERRUPT_AFTER_MS:
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the run did not stream {INTERRUPT_AFTER_MS} ms within {WAIT_S} s: {process.communicate()}")


def test_ctrl_c_keeps_what_was_computed(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    out, stream = tmp_path / "out.json", tmp_path / "stream"
    process = subprocess.Popen(
        [sys.executable, "-m", "ionc", "run", str(LONG_HH), "--json", str(out), "--stream", str(stream)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ionc_env, cwd=tmp_path,
    )
    _wait_for_stream(stream, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=WAIT_S)

    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    found = re.search(r"interrupted: the run was cut short at t = ([0-9.]+) ms by an interrupt; what was "
                      r"computed is in .*out\.json and .*stream", stderr)
    assert found, stderr
    t_end = float(found.group(1))
    assert INTERRUPT_AFTER_MS <= t_end < 60000.0
    assert "step/s" in stderr  # the progress bar: the run was expected to take minutes

    output = json.loads(out.read_text(encoding="utf-8"))
    assert output["complete"] is False and output["note"] == f"cut short at t = {t_end:g} ms by an interrupt"
    spikes = output["spikes"]["v@soma"]
    assert spikes and spikes[-1] <= t_end and len(spikes) == pytest.approx(t_end / 14.62, abs=2)

    index = json.loads((stream / "index.json").read_text(encoding="utf-8"))
    assert index["complete"] is False and index["t_end"] == pytest.approx(t_end) and index["note"] == output["note"]
    steps = round(t_end / 0.025)  # the samples: every step for v, every 4th (0.1 ms) for m
    v = np.load(stream / index["traces"]["v@soma"]["file"])
    assert v.shape == (steps + 1, 1) == (index["traces"]["v@soma"]["samples"], 1)
    m = np.load(stream / index["traces"]["hh_na.m@soma"]["file"])
    assert m.shape == (steps // 4 + 1, 1)
    # the partial files hold the run's values: the first 100 ms are those of a 100 ms run, exactly
    _, reference = run_simulation(LONG_HH, overrides=[f"duration={INTERRUPT_AFTER_MS}ms"])
    np.testing.assert_array_equal(v[:4001, 0], reference["traces"]["v@soma"][0])
    np.testing.assert_array_equal(m[:1001, 0], reference["traces"]["hh_na.m@soma"][0])
