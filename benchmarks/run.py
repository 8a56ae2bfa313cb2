"""ionc against NEURON on the canonical cases of ../shared/BENCHMARKS.md.

    python benchmarks/run.py [--cases A,B,C100,C1000,C10000,D] [--repeats 5] [--markdown] [--json OUT]

For each case: compile the ionc model (cold, uncached, cached), build the
same model in NEURON in this process, run each once to check that they give
the same answer, then alternate ionc, NEURON with rate tables on (as users
run it) and NEURON with tables off, `--repeats` times, and report medians of
the simulation alone. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import ionc  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent / "compiler"))

import machine  # noqa: E402
import neuron_side  # noqa: E402
import numpy as np  # noqa: E402
from cases import CASES, COUNT_RTOL, ORDER, SPIKE_TOL_MS, VELOCITY_RTOL, Case  # noqa: E402
from ionc_side import IoncModel  # noqa: E402

MIN_REPEATS = 5


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _same(first: Any, other: Any) -> bool:
    """Two answers of the same simulator on the same model (runs must be deterministic)."""
    if isinstance(first, float) and isinstance(other, float) and math.isnan(first) and math.isnan(other):
        return True
    return bool(first == other)


def agreement(case: Case, ionc: Any, on: Any, off: Any) -> tuple[bool, str]:
    """Whether ionc and NEURON agree, and the numbers compared, in words."""
    if on is None:
        return True, "NEURON not run"
    if case.kind == "spikes":
        # Same scheme (backward Euler), NEURON's rates exact (usetable 0): the check.
        reference = off if off is not None else on
        ok = len(ionc) == len(reference)
        worst_off = max((abs(a - b) for a, b in zip(ionc, reference, strict=False)), default=0.0)
        ok = ok and worst_off <= SPIKE_TOL_MS
        worst_on = max((abs(a - b) for a, b in zip(ionc, on, strict=False)), default=0.0) \
            if len(on) == len(ionc) else float("inf")
        spikes = ", ".join(f"{x:.4f}" for x in ionc)
        text = (f"spikes (ms) ionc {spikes} vs NEURON tables off: max diff {worst_off:.1e} ms "
                f"(tol {SPIKE_TOL_MS}); tables on: {len(on)} spikes, max diff {worst_on:.3f} ms")
        if len(ionc) != len(reference):
            text += f"; SPIKE COUNTS DIFFER: ionc {len(ionc)}, NEURON tables off {len(reference)}"
        return ok, text
    if case.kind == "velocity":
        parts = [f"v ionc {ionc:.4f} m/s"]
        ok = math.isfinite(ionc)
        for label, value in (("on", on), ("off", off)):
            if value is None:
                continue
            relative = abs(ionc - value) / abs(value) if math.isfinite(value) and value else float("inf")
            ok = ok and relative <= VELOCITY_RTOL
            parts.append(f"NEURON tables {label} {value:.4f} ({100 * relative:.2f}%)")
        return ok, "; ".join(parts)
    parts = [f"spikes ionc {ionc['total']} (first cell {ionc['first_firing_cell']})"]
    ok = True
    for label, value in (("on", on), ("off", off)):
        if value is None:
            continue
        relative = abs(ionc["total"] - value["total"]) / max(value["total"], 1)
        ok = ok and relative <= COUNT_RTOL
        parts.append(f"NEURON tables {label} {value['total']} ({100 * relative:.2f}%, "
                     f"first cell {value['first_firing_cell']})")
    return ok, "; ".join(parts)


def _with_tables(case: Case) -> Case:
    return dataclasses.replace(case, overrides=(*case.overrides, "tables=on"))


def bench_case(
    case: Case, repeats: int, tables_off: bool, cold: bool, log: Any, backend: str = "numpy"
) -> dict[str, Any]:
    log(f"[{case.key}] compiling with ionc{' (cold compile in a fresh process)' if cold else ''} ...")
    ionc = IoncModel(case, cold=cold, backend=backend)
    model = neuron_side.NeuronModel(case) if neuron_side.available() else None
    try:
        # One untimed run each: the answers to compare, and NEURON's tables built.
        log(f"[{case.key}] checking answers ...")
        _, _, ionc_answer = ionc.run()
        on_answer = model.run(usetable=1)[1] if model else None
        off_answer = model.run(usetable=0)[1] if model and (tables_off or case.kind == "spikes") else None
        ok, text = agreement(case, ionc_answer, on_answer, off_answer)
        log(f"[{case.key}] {'agree' if ok else 'DISAGREE'}: {text}")

        runners: list[tuple[str, Any]] = [("ionc", None)]
        if model:
            runners.append(("neuron_on", 1))
            if tables_off:
                runners.append(("neuron_off", 0))
        times: dict[str, list[float]] = {name: [] for name, _ in runners}
        loop_times: list[float] = []
        reference = {"ionc": ionc_answer, "neuron_on": on_answer, "neuron_off": off_answer}
        changed: list[str] = []
        for repeat in range(repeats):
            shift = repeat % len(runners)  # rotate who goes first
            for name, usetable in runners[shift:] + runners[:shift]:
                if name == "ionc":
                    seconds, loop, answer = ionc.run()
                    loop_times.append(loop)
                else:
                    seconds, answer = model.run(usetable=usetable)  # type: ignore[union-attr]
                times[name].append(seconds)
                if not _same(reference[name], answer) and name not in changed:
                    changed.append(name)
            log(f"[{case.key}] repeat {repeat + 1}/{repeats}: "
                + ", ".join(f"{name} {times[name][-1]:.4f} s" for name, _ in runners))
        if changed:
            ok = False
            text += f"; answers changed between repeats: {', '.join(changed)}"
        peak = ionc.peak_memory_bytes()
    finally:
        if model:
            model.close()
    ionc_s = _median(times["ionc"])
    on_s = _median(times.get("neuron_on", []))
    off_s = _median(times.get("neuron_off", []))
    return {
        "case": case.key, "title": case.title, "compartments": case.compartments, "cells": case.cells,
        "steps": case.steps, "compartment_steps": case.compartment_steps,
        "ionc_simulate_s": ionc_s, "ionc_loop_s": _median(loop_times),
        "neuron_on_s": on_s, "neuron_off_s": off_s,
        "ratio_on": ionc_s / on_s if on_s == on_s else float("nan"),
        "ionc_throughput": case.compartment_steps / ionc_s,
        "neuron_on_throughput": case.compartment_steps / on_s if on_s == on_s else float("nan"),
        "compile_cold_s": ionc.compile_cold_s, "compile_uncached_s": ionc.compile_uncached_s,
        "compile_cached_s": ionc.compile_cached_s, "load_s": ionc.load_s,
        "ionc_peak_mem_bytes": peak,
        "agree": ok, "agreement": text,
        "answers": {"ionc": ionc_answer, "neuron_on": on_answer, "neuron_off": off_answer},
        "times": times, "ionc_loop_times": loop_times,
    }


# ------------------------------------------------------------------ output


def _s(x: float) -> str:
    if x != x:
        return "–"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.001:
        return f"{x:.4f}"
    return f"{x:.1e}"


def _rate(x: float) -> str:
    return "–" if x != x else f"{x:.2e}"


def _ratio(x: float) -> str:
    return "–" if x != x else (f"{x:.1f}" if x >= 10 else f"{x:.2f}")


HEADER = ("case", "ionc simulate (s)", "ionc time loop (s)", "NEURON tables on (s)", "NEURON tables off (s)",
          "ionc / NEURON (on)", "comp-steps/s ionc", "comp-steps/s NEURON (on)",
          "ionc compile cold / uncached / cached (s)", "ionc peak mem (MiB, tracemalloc)", "agreement")


def rows(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for r in results:
        out.append((
            r["title"], _s(r["ionc_simulate_s"]), _s(r["ionc_loop_s"]), _s(r["neuron_on_s"]), _s(r["neuron_off_s"]),
            _ratio(r["ratio_on"]), _rate(r["ionc_throughput"]), _rate(r["neuron_on_throughput"]),
            f"{_s(r['compile_cold_s'])} / {_s(r['compile_uncached_s'])} / {_s(r['compile_cached_s'])}",
            f"{r['ionc_peak_mem_bytes'] / 2**20:.1f}",
            ("OK: " if r["agree"] else "DISAGREE: ") + r["agreement"],
        ))
    return out


def markdown(results: list[dict[str, Any]], info: dict[str, Any], repeats: int) -> str:
    lines = [
        f"## ionc vs NEURON, simulate time (median of {repeats} alternating runs)",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['os']}",
        f"- versions: ionc {info['ionc']}, NEURON {info['neuron']}, numpy {info['numpy']}, "
        f"scipy {info['scipy']}, Python {info['python']}",
        "- both simulators: fixed dt, backward Euler (NEURON `secondorder = 0`); NEURON time is "
        "`finitialize` + `continuerun` (wall), ionc time is one `simulate()` call (wall; the time loop "
        "alone in its own column); ratio > 1 means ionc is slower",
        "- ionc compile: cold = `use_cache=False` in a fresh process (imports included), uncached = "
        "`use_cache=False` in a warm process, cached = a cache hit",
        "- ionc peak memory: tracemalloc peak over one `simulate()` call (numpy buffers included)",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(results)]
    return "\n".join(lines)


def text_table(results: list[dict[str, Any]], info: dict[str, Any], repeats: int) -> str:
    table = [HEADER[:-1], *[row[:-1] for row in rows(results)]]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER) - 1)]
    lines = [f"{info['date']}  {info['cpu']} ({info['cores']} cores)  NEURON {info['neuron']}  "
             f"numpy {info['numpy']}  median of {repeats}", ""]
    for n, row in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    for r, row in zip(results, rows(results), strict=True):
        lines.append(f"{r['case']}: {row[-1]}")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if value != value else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(ORDER),
                        help=f"comma-separated, from {','.join(ORDER)} (default: all)")
    parser.add_argument("--repeats", type=int, default=MIN_REPEATS,
                        help=f"alternating timed runs per simulator (at least {MIN_REPEATS}; default {MIN_REPEATS})")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", metavar="OUT", help="also write every measurement as JSON")
    parser.add_argument("--no-tables-off", action="store_true",
                        help="do not time NEURON with rate tables off (still run once for case A's check)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold compile in a fresh process")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--tables", action="store_true",
                        help="ionc with its rate tables (tables = on; exact rates otherwise)")
    parser.add_argument("--backend", choices=("numpy", "numba"), default="numpy",
                        help="ionc backend: numpy (default) or numba (the fused loop, needs numba)")
    args = parser.parse_args(argv)

    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    if args.repeats < MIN_REPEATS:
        parser.error(f"--repeats must be at least {MIN_REPEATS} (medians of fewer runs are noise)")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    have_neuron = neuron_side.available()
    if not have_neuron:
        log("NEURON is not installed (pip install neuron): only ionc is timed")
    info = machine.describe(neuron_side.version() if have_neuron else None)
    results = [
        bench_case(_with_tables(CASES[k]) if args.tables else CASES[k], args.repeats, not args.no_tables_off,
                   not args.no_cold, log, args.backend)
        for k in keys
    ]

    print(markdown(results, info, args.repeats) if args.markdown else text_table(results, info, args.repeats))
    if args.json:
        Path(args.json).write_text(json.dumps(_jsonable({"machine": info, "repeats": args.repeats,
                                                         "results": results}), indent=2) + "\n")
    bad = [r["case"] for r in results if not r["agree"]]
    if bad:
        print(f"\nionc and NEURON disagree on: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
