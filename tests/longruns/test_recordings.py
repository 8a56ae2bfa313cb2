"""Decimated recordings (`record ... every 0.1 ms`), the progress callback, and streaming to disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ionc.api import check_file, compile_file, load_compiled, run_simulation
from ionc.diagnostics import IoncError
from ionc.run.stream import StreamSink

HERE = Path(__file__).resolve().parent
LONG_HH = HERE / "long_hh.ionc"
SHORT = ["duration=100ms"]  # 4000 steps of the long model


@pytest.fixture(scope="module")
def short_run() -> tuple[dict, dict]:  # type: ignore[type-arg]
    return run_simulation(LONG_HH, overrides=SHORT)


def test_a_decimated_recording_is_every_nth_sample_of_the_full_one(short_run: tuple[dict, dict]) -> None:  # type: ignore[type-arg]
    """soma and soma(0.5) are the one node of the patch: `every 1 ms` (40 steps) is v@soma[::40]
    exactly, on its own time axis 0, 1, 2 ... 100 ms; `every 0.1 ms` on m likewise (4 steps)."""
    output, raw = short_run
    full = raw["traces"]["v@soma"]
    assert full.shape == (1, 4001)
    np.testing.assert_array_equal(raw["traces"]["v@soma(0.5)"], full[:, ::40])
    assert output["t_of"]["v@soma(0.5)"] == pytest.approx(np.arange(101) * 1.0, abs=1e-12)
    assert output["t_of"]["hh_na.m@soma"] == pytest.approx(np.arange(1001) * 0.1, abs=1e-12)
    assert len(output["t"]) == 4001 and "v@soma" not in output["t_of"]
    assert len(output["traces"]["hh_na.m@soma"]) == 1001
    # m rises during each spike: its decimated trace peaks near the spikes of v (within 0.5 ms)
    m = np.array(output["traces"]["hh_na.m@soma"])
    peaks = [t for t in output["spikes"]["v@soma"] if t < 99]
    assert len(peaks) == 7
    for spike in peaks:
        window = (np.arange(1001) * 0.1 > spike - 0.5) & (np.arange(1001) * 0.1 < spike + 0.5)
        assert m[window].max() > 0.9


def test_an_interval_that_is_not_a_multiple_of_dt_is_a_diagnostic(tmp_path: Path) -> None:
    text = LONG_HH.read_text(encoding="utf-8").replace("every 1 ms", "every 0.03 ms")
    path = tmp_path / "bad_every.ionc"
    path.write_text(text.replace('"../../models', f'"{HERE.parents[1]}/models'), encoding="utf-8")
    with pytest.raises(IoncError) as error:
        compile_file(path, use_cache=False)
    shown = str(error.value)
    assert "0.03 ms is not a whole multiple of dt = 0.025 ms" in shown
    assert "bad_every.ionc:25:" in shown and "^^^^^^^" in shown  # the caret under `0.03 ms`


def test_an_interval_that_is_not_a_time_is_a_diagnostic(tmp_path: Path) -> None:
    text = LONG_HH.read_text(encoding="utf-8").replace("every 1 ms", "every 1 mV")
    path = tmp_path / "bad_unit.ionc"
    path.write_text(text.replace('"../../models', f'"{HERE.parents[1]}/models'), encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(path)
    assert "'every'" in str(error.value) and "bad_unit.ionc:25:" in str(error.value)


def test_progress_is_reported_after_every_chunk_up_to_the_last_step() -> None:
    compiled = compile_file(LONG_HH, overrides=SHORT)
    module = load_compiled(compiled, LONG_HH, None, SHORT)
    seen: list[tuple[int, int]] = []
    module.simulate(progress=lambda step, total: seen.append((step, total)))
    steps = [step for step, _ in seen]
    assert steps == list(range(module.CHUNK_STEPS, 4001, module.CHUNK_STEPS))
    assert {total for _, total in seen} == {4000}


def test_streamed_recordings_equal_the_in_memory_ones(tmp_path: Path,
                                                      short_run: tuple[dict, dict]) -> None:  # type: ignore[type-arg]
    """--stream writes each recording as (samples, batch) .npy files with an index; the values are
    those of the in-memory run, bit for bit, and so are the spikes found in them."""
    output, _ = run_simulation(LONG_HH, overrides=SHORT, stream=tmp_path / "out")
    memory, raw = short_run
    index = json.loads((tmp_path / "out" / "index.json").read_text(encoding="utf-8"))
    assert index["complete"] is True and index["t_end"] == pytest.approx(100.0)
    assert output["traces"] == {} and output["stream"]["files"]["v@soma"] == "v@soma.npy"
    for site, trace in raw["traces"].items():
        entry = index["traces"][site]
        stored = np.load(tmp_path / "out" / entry["file"])
        assert stored.shape == (trace.shape[1], 1) == (entry["samples"], 1)
        np.testing.assert_array_equal(stored[:, 0], trace[0])
    assert output["spikes"] == memory["spikes"]
    assert index["traces"]["v@soma(0.5)"]["every"] == pytest.approx(1.0)


def test_a_stream_cut_short_is_readable_at_every_flush(tmp_path: Path) -> None:
    """The sink's files stay loadable while a run goes: header of the full length, the index
    says how many samples are valid; closing rewrites the header with that number."""
    sink = StreamSink(tmp_path, {"v@soma": 2}, dt=0.5, n_steps=10)
    sink.write("v@soma", 0, np.array([[1.0, 2.0, 3.0]]))
    sink.flush(4)
    during = np.load(tmp_path / "v@soma.npy")
    assert during.shape == (6, 1) and list(during[:3, 0]) == [1.0, 2.0, 3.0]
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert index["traces"]["v@soma"]["samples"] == 3 and index["complete"] is False
    sink.close(4, complete=False, note="cut short at t = 2 ms by an interrupt")
    assert np.load(tmp_path / "v@soma.npy")[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))["note"].startswith("cut short")
