"""The public API: check, compile and run model files."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from ionc.run.cache import cache_key, cached_path, write_atomic
from ionc.run.loader import load_module

PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Compiled:
    path: Path  # the generated module on disk
    compile_s: float
    cached: bool

    def load(self) -> ModuleType:
        return load_module(self.path, name=self.path.stem)


def version() -> str:
    from ionc import __version__

    return __version__


@lru_cache(maxsize=1)
def _compiler_fingerprint() -> str:
    """A hash of ionc's own code, so a changed compiler never reuses stale modules."""
    from ionc.syntax.grammar import grammar_path

    digest = hashlib.sha256()
    files = sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.j2")) + [grammar_path()]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def check_file(path: str | Path) -> None:
    """Parse, resolve, check units and derive every channel; raise IoncError with every problem."""
    from ionc.pipeline import check_model, front_end

    check_model(front_end(Path(path)))


def generate_source(path: str | Path, simulation: str | None = None, overrides: Sequence[str] = (),
                    module_file: str = "model.py", backend: str = "numpy") -> str:
    from ionc.pipeline import front_end, generate, select_simulation
    from ionc.sema.overrides import parse_override

    parsed = [parse_override(text) for text in overrides]
    model = front_end(Path(path))
    chosen = select_simulation(model, simulation, parsed)
    return generate(chosen, version(), module_file, backend)


def compile_file(path: str | Path, simulation: str | None = None, overrides: Sequence[str] = (),
                 use_cache: bool = True, backend: str = "numpy") -> Compiled:
    """The generated module for a simulation, from the cache when nothing changed."""
    started = time.perf_counter()
    path = Path(path)
    key = cache_key(path, simulation, overrides, version(), _compiler_fingerprint() + backend)
    target = cached_path(key)
    if use_cache and target.is_file():
        return Compiled(target, time.perf_counter() - started, cached=True)
    text = generate_source(path, simulation, overrides, module_file=path.with_suffix(".py").name, backend=backend)
    write_atomic(target, text)
    return Compiled(target, time.perf_counter() - started, cached=False)


def load_compiled(compiled: Compiled, path: Path, simulation: str | None, overrides: Sequence[str],
                  backend: str = "numpy") -> ModuleType:
    """Import a compiled module; rebuild it once if the cached file is damaged."""
    try:
        return compiled.load()
    except ImportError as error:
        if backend == "numba" and "numba" in str(error):
            from ionc.diagnostics import Code, fail

            raise fail(Code.E500, "the numba backend needs numba: pip install 'ionc[fast]'", None) from None
        raise
    except Exception:  # a corrupt cache entry: rebuild it from the model
        if not compiled.cached:
            raise
        fresh = compile_file(path, simulation, overrides, use_cache=False, backend=backend)
        return fresh.load()


def run_file(path: str | Path, simulation: str | None = None, overrides: Sequence[str] = (),
             parameters: dict[str, Any] | None = None, backend: str = "numpy") -> dict[str, Any]:
    """Compile (cached) and run; return the JSON output contract as a dict."""
    return run_simulation(path, simulation, overrides, parameters, backend=backend)[0]


def run_simulation(path: str | Path, simulation: str | None = None, overrides: Sequence[str] = (),
                   parameters: dict[str, Any] | None = None,
                   space_time: bool = False,
                   sweeps: Sequence[str] = (),
                   backend: str = "numpy",
                   progress: Callable[[int, int], None] | None = None,
                   stop_on_interrupt: bool = False,
                   stream: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compile (cached) and run; return (the JSON output contract, the raw arrays).

    `sweeps` (NAME=LO:HI:N, with units) run as one batch over their grid. `progress(step,
    n_steps)` is called after every chunk of steps. With `stop_on_interrupt`, Ctrl-C stops the
    run at the end of a chunk and what was computed is returned, marked incomplete. With
    `stream`, the recordings go to files in that directory as the run goes (see
    ionc.run.stream) instead of into memory, and the output names the files.
    """
    path = Path(path)
    compiled = compile_file(path, simulation, overrides, backend=backend)
    module = load_compiled(compiled, path, simulation, overrides, backend)
    values = dict(parameters or {})
    swept: dict[str, Any] = {}
    if sweeps:
        from ionc.sweep import parse_sweeps

        swept = parse_sweeps(sweeps, module.PARAMETER_UNITS)
        values.update(swept)
    sink = None
    if stream is not None:
        from ionc.run.stream import StreamSink

        meta = module.META
        sink = StreamSink(Path(stream), dict(module.RECORDS), meta["dt"], round(meta["duration"] / meta["dt"]))
    try:
        result: dict[str, Any] = module.simulate(values, space_time=space_time, progress=progress,
                                                 stop_on_interrupt=stop_on_interrupt, sink=sink)
    except Exception as error:  # a blow-up: what was streamed stays readable, and says why it ends
        if sink is not None:
            sink.close(sink.steps, complete=False, note=f"stopped at t = {sink.steps * sink.dt:g} ms: {error}")
        raise
    timing = {"compile_s": compiled.compile_s, "simulate_s": result["simulate_s"]}
    meta = dict(module.META, timing=timing)
    if swept:
        meta["sweep"] = {name: array.tolist() for name, array in swept.items()}
    output: dict[str, Any] = module.result_json(result, meta)
    if sink is not None:
        note = output.get("note")
        sink.close(result["steps"], result["complete"], note)
        output["spikes"] = sink.spikes()
        output["stream"] = {"directory": str(sink.directory), "index": "index.json",
                            "files": {site: t.path.name for site, t in sink.traces.items()}}
    return output, result
