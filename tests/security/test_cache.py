"""The compile cache: concurrent compiles of one model, and damaged entries.

Eight processes compiling the same model at the same moment must all succeed
and leave one whole entry; an entry that is truncated, garbage, empty, a
directory or a file that runs code of its own is not imported but compiled
again, and the run gives the same result as with a sound entry.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from ionc.api import compile_file, generate_source, run_simulation
from ionc.run import cache
from ionc.run.loader import load_module

PROCESSES = 8
# A passive cell: generating it takes little time, so the processes overlap in writing.
PASSIVE = """
channel pas { nonspecific; g = 0.1 mS/cm2; e = -70 mV }
cell point { morphology { soma { length = 20 um; diameter = 20 um } }; insert pas on all }
simulation rest of point {
    dt = 0.1 ms
    duration = 5 ms
    stimulus iclamp at soma { delay = 1 ms; duration = 2 ms; amplitude = 0.01 nA }
    record v at soma
}
"""


def _compile_after(barrier: multiprocessing.synchronize.Barrier, model: str, results: multiprocessing.Queue) -> None:
    barrier.wait()
    try:
        compiled = compile_file(model)
        module = load_module(compiled.path, name=f"ionc_concurrent_{os.getpid()}")
        results.put((compiled.path.name, float(module.simulate({})["traces"]["v@soma"][0, -1])))
    except BaseException as error:  # reported to the test, which fails on it
        results.put(("error", repr(error)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the warm test process")
def test_concurrent_compiles_of_one_model(models: Path) -> None:
    model = models / "passive.ionc"
    model.write_text(PASSIVE, encoding="utf-8")
    generate_source(model)  # ionc imported and warm before forking
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_compile_after, args=(barrier, str(model), results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join()
    assert all(worker.exitcode == 0 for worker in workers)
    assert all(name != "error" for name, _ in outcomes), outcomes
    entries = sorted(cache.cache_dir().iterdir())
    assert [entry.name for entry in entries] == [outcomes[0][0]]  # one entry, no temporary left
    assert cache.intact(entries[0])
    assert len({v for _, v in outcomes}) == 1
    assert -70 < outcomes[0][1] < -60  # v relaxing back to e = -70 mV after the pulse


def _damages() -> dict[str, Callable[[Path], None]]:
    def truncate(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: text.index("\ndef simulate")], encoding="utf-8")  # imports, lacks simulate

    def make_directory(path: Path) -> None:
        path.unlink()
        (path / "inner").mkdir(parents=True)

    return {
        "truncated": truncate,
        "garbage": lambda path: path.write_bytes(bytes(range(256)) * 8),
        "empty": lambda path: path.write_text(""),
        "directory": make_directory,
        "foreign code": lambda path: path.write_text('__import__("os").system("touch MARKER")\n'),
        "checksum of other text": lambda path: path.write_text(
            "x = 1\n" + path.read_text(encoding="utf-8").splitlines(keepends=True)[-1]),
    }


@pytest.mark.parametrize("damage", sorted(_damages()))
def test_a_damaged_entry_is_rebuilt(damage: str, models: Path) -> None:
    model = models / "passive.ionc"
    model.write_text(PASSIVE, encoding="utf-8")
    first = compile_file(model)
    sound, _ = run_simulation(model)
    _damages()[damage](first.path)
    assert not cache.intact(first.path)
    again, _ = run_simulation(model)
    assert compile_file(model).cached and cache.intact(first.path)
    np.testing.assert_array_equal(np.asarray(again["traces"]["v@soma"]), np.asarray(sound["traces"]["v@soma"]))
    assert not (models / "MARKER").exists()


def test_a_failed_write_leaves_the_old_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ionc_entry.py"
    cache.write_atomic(target, "OLD = 1\n")

    def interrupted(source: str, destination: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.write_atomic(target, "NEW = 2\n" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # the temporary file is gone
    assert cache.intact(target) and target.read_text().startswith("OLD = 1\n")
