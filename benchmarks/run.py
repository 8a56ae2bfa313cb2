"""ionc against NEURON, Arbor and Jaxley on the canonical cases of ../shared/BENCHMARKS.md.

    python benchmarks/run.py [--cases A,B,C100,C1000,C10000,D] [--repeats 5] [--peers arbor,jaxley]
                             [--markdown] [--json OUT]

For each case: compile the ionc model (cold, uncached, cached), build the
same model in NEURON and in each installed peer (Arbor, Jaxley) in this
process, run each once to check that they give the same answer, then
alternate ionc, NEURON with rate tables on (as users run it), NEURON with
tables off and the peers, `--repeats` times, and report medians of the
simulation alone, with ionc's peak memory (tracemalloc over simulate(), and
the peak RSS of a fresh process). See benchmarks/README.md.
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

import arbor_side  # noqa: E402
import jaxley_side  # noqa: E402
import machine  # noqa: E402
import neuron_side  # noqa: E402
import numpy as np  # noqa: E402
from cases import CASES, COUNT_RTOL, ORDER, SPIKE_TOL_MS, VELOCITY_RTOL, Case  # noqa: E402
from ionc_side import IoncModel, peak_rss  # noqa: E402

MIN_REPEATS = 5
# The peers, in table order: each module has NAME, SPIKE_TOL_MS, available(), version(),
# unsupported(case) (a reason, or None) and Model(case) with build_s, setup_s, run() and close().
PEERS: dict[str, Any] = {"arbor": arbor_side, "jaxley": jaxley_side}


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


def peer_agreement(case: Case, name: str, tolerance_ms: float, peer: Any, ionc: Any) -> tuple[bool, str]:
    """Whether a peer's answer agrees with ionc's (which is checked against NEURON), in words."""
    if case.kind == "spikes":
        worst = max((abs(a - b) for a, b in zip(peer, ionc, strict=False)), default=0.0)
        ok = len(peer) == len(ionc) and worst <= tolerance_ms
        text = f"{name} spikes {', '.join(f'{x:.4f}' for x in peer)} (max diff from ionc {worst:.1e} ms, " \
               f"tol {tolerance_ms})"
        if len(peer) != len(ionc):
            text += f"; SPIKE COUNTS DIFFER: {name} {len(peer)}, ionc {len(ionc)}"
        return ok, text
    if case.kind == "velocity":
        relative = abs(peer - ionc) / abs(ionc) if math.isfinite(peer) and math.isfinite(ionc) and ionc \
            else float("inf")
        return relative <= VELOCITY_RTOL, f"{name} v {peer:.4f} m/s ({100 * relative:.2f}% from ionc)"
    relative = abs(peer["total"] - ionc["total"]) / max(ionc["total"], 1)
    return relative <= COUNT_RTOL, (f"{name} spikes {peer['total']} ({100 * relative:.2f}% from ionc, "
                                    f"first cell {peer['first_firing_cell']})")


def _with_tables(case: Case) -> Case:
    return dataclasses.replace(case, overrides=(*case.overrides, "tables=on"))


def _build_peers(case: Case, peers: dict[str, Any], log: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The peers' models of this case, and what each reports (its skip reason or error included)."""
    models: dict[str, Any] = {}
    info: dict[str, dict[str, Any]] = {}
    for key, side in peers.items():
        entry: dict[str, Any] = {"name": side.NAME, "skipped": None, "error": None}
        info[key] = entry
        reason = side.unsupported(case)
        if reason:
            entry["skipped"] = reason
            log(f"[{case.key}] {side.NAME} skipped: {reason}")
            continue
        log(f"[{case.key}] building in {side.NAME} ...")
        try:
            model = side.Model(case)
        except Exception as error:  # a peer that fails to build is reported, not fatal
            entry["error"] = f"{type(error).__name__}: {error}"
            log(f"[{case.key}] {side.NAME} FAILED to build: {entry['error']}")
            continue
        entry["build_s"], entry["setup_s"] = model.build_s, model.setup_s
        models[key] = model
    return models, info


def bench_case(
    case: Case, repeats: int, tables_off: bool, cold: bool, log: Any, backend: str = "numpy",
    peers: dict[str, Any] | None = None, rss: bool = True,
) -> dict[str, Any]:
    log(f"[{case.key}] compiling with ionc{' (cold compile in a fresh process)' if cold else ''} ...")
    ionc = IoncModel(case, cold=cold, backend=backend)
    model = neuron_side.NeuronModel(case) if neuron_side.available() else None
    peer_models: dict[str, Any] = {}
    try:
        peer_models, peer_info = _build_peers(case, peers or {}, log)
        # One untimed run each: the answers to compare, and NEURON's tables built.
        log(f"[{case.key}] checking answers ...")
        _, _, ionc_answer = ionc.run()
        on_answer = model.run(usetable=1)[1] if model else None
        off_answer = model.run(usetable=0)[1] if model and (tables_off or case.kind == "spikes") else None
        ok, text = agreement(case, ionc_answer, on_answer, off_answer)
        log(f"[{case.key}] {'agree' if ok else 'DISAGREE'}: {text}")
        reference = {"ionc": ionc_answer, "neuron_on": on_answer, "neuron_off": off_answer}
        peers_ok = True
        for key, peer in list(peer_models.items()):
            side = PEERS[key]
            try:
                _, answer = peer.run()
            except Exception as error:  # reported, not fatal: the other simulators still run
                peer_info[key]["error"] = f"{type(error).__name__}: {error}"
                log(f"[{case.key}] {side.NAME} FAILED to run: {peer_info[key]['error']}")
                peer.close()
                del peer_models[key]
                continue
            reference[key] = answer
            peer_ok, peer_text = peer_agreement(case, side.NAME, side.SPIKE_TOL_MS, answer, ionc_answer)
            peer_info[key].update(answer=answer, agree=peer_ok, agreement=peer_text)
            peers_ok = peers_ok and peer_ok
            log(f"[{case.key}] {side.NAME} {'agrees' if peer_ok else 'DISAGREES'}: {peer_text}")

        runners: list[tuple[str, Any]] = [("ionc", None)]
        if model:
            runners.append(("neuron_on", 1))
            if tables_off:
                runners.append(("neuron_off", 0))
        runners += [(key, None) for key in peer_models]
        times: dict[str, list[float]] = {name: [] for name, _ in runners}
        loop_times: list[float] = []
        changed: list[str] = []
        for repeat in range(repeats):
            shift = repeat % len(runners)  # rotate who goes first
            for name, usetable in runners[shift:] + runners[:shift]:
                if name == "ionc":
                    seconds, loop, answer = ionc.run()
                    loop_times.append(loop)
                elif name.startswith("neuron"):
                    seconds, answer = model.run(usetable=usetable)  # type: ignore[union-attr]
                else:
                    seconds, answer = peer_models[name].run()
                times[name].append(seconds)
                if not _same(reference[name], answer) and name not in changed:
                    changed.append(name)
            log(f"[{case.key}] repeat {repeat + 1}/{repeats}: "
                + ", ".join(f"{name} {times[name][-1]:.4f} s" for name, _ in runners))
        for name in changed:
            if name in peer_info:
                peer_info[name]["agree"] = peers_ok = False
                peer_info[name]["agreement"] += "; answers changed between repeats"
            else:
                ok = False
                text += f"; answers changed between repeats: {name}"
        peak = ionc.peak_memory_bytes()
    finally:
        if model:
            model.close()
        for peer in peer_models.values():
            peer.close()
    nan = float("nan")
    rss_info = peak_rss(case, ionc.path) if rss else {"peak_bytes": nan, "loaded_bytes": nan, "ru_maxrss_bytes": nan}
    if rss:
        log(f"[{case.key}] peak RSS of a fresh process: {rss_info['peak_bytes'] / 2**20:.1f} MiB "
            f"({rss_info['loaded_bytes'] / 2**20:.1f} MiB before simulate())")
    ionc_s = _median(times["ionc"])
    on_s = _median(times.get("neuron_on", []))
    off_s = _median(times.get("neuron_off", []))
    for key, entry in peer_info.items():
        seconds = _median(times.get(key, []))
        entry["seconds"] = seconds
        entry["ratio"] = ionc_s / seconds if seconds == seconds else float("nan")
        entry["throughput"] = case.compartment_steps / seconds if seconds == seconds else float("nan")
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
        "ionc_peak_rss_bytes": rss_info["peak_bytes"], "ionc_rss_before_simulate_bytes": rss_info["loaded_bytes"],
        "ionc_ru_maxrss_bytes": rss_info["ru_maxrss_bytes"],
        "agree": ok, "agreement": text,
        "peers": peer_info, "peers_agree": peers_ok,
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


def header(peer_keys: list[str]) -> tuple[str, ...]:
    names = [PEERS[key].NAME for key in peer_keys]
    return (
        "case", "ionc simulate (s)", "ionc time loop (s)", "NEURON tables on (s)", "NEURON tables off (s)",
        "ionc / NEURON (on)",
        *[column for name in names for column in (f"{name} (s)", f"ionc / {name}")],
        "comp-steps/s ionc", "comp-steps/s NEURON (on)",
        *[f"comp-steps/s {name}" for name in names],
        "ionc compile cold / uncached / cached (s)",
        *(["peer build (s)"] if names else []),
        "ionc peak mem (MiB, tracemalloc)", "peak RSS (MiB, whole process)", "agreement",
    )


def _peer_build(entry: dict[str, Any]) -> str:
    if entry.get("skipped") or entry.get("error"):
        return f"{entry['name']} –"
    text = f"{entry['name']} {_s(entry['build_s'])}"
    if entry["setup_s"] == entry["setup_s"]:
        text += f" + jit {_s(entry['setup_s'])}"
    return text


def _peer_agreement(entry: dict[str, Any]) -> str:
    if entry.get("skipped"):
        return f"{entry['name']} not run: {entry['skipped']}"
    if entry.get("error"):
        return f"{entry['name']} FAILED: {entry['error']}"
    return ("OK: " if entry["agree"] else "DISAGREE: ") + entry["agreement"]


def rows(results: list[dict[str, Any]], peer_keys: list[str]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    nothing = {"seconds": float("nan"), "ratio": float("nan"), "throughput": float("nan")}
    for r in results:
        peers = [r["peers"].get(key, nothing) for key in peer_keys]
        agreement_text = ("OK: " if r["agree"] else "DISAGREE: ") + r["agreement"]
        agreement_text += "".join(f"; {_peer_agreement(entry)}" for entry in peers if "name" in entry)
        out.append((
            r["title"], _s(r["ionc_simulate_s"]), _s(r["ionc_loop_s"]), _s(r["neuron_on_s"]), _s(r["neuron_off_s"]),
            _ratio(r["ratio_on"]),
            *[cell for entry in peers for cell in (_s(entry["seconds"]), _ratio(entry["ratio"]))],
            _rate(r["ionc_throughput"]), _rate(r["neuron_on_throughput"]),
            *[_rate(entry["throughput"]) for entry in peers],
            f"{_s(r['compile_cold_s'])} / {_s(r['compile_uncached_s'])} / {_s(r['compile_cached_s'])}",
            *(["; ".join(_peer_build(entry) for entry in peers if "name" in entry)] if peer_keys else []),
            f"{r['ionc_peak_mem_bytes'] / 2**20:.1f}",
            "–" if r["ionc_peak_rss_bytes"] != r["ionc_peak_rss_bytes"] else f"{r['ionc_peak_rss_bytes'] / 2**20:.1f}",
            agreement_text,
        ))
    return out


def _versions(info: dict[str, Any]) -> str:
    peers = "".join(f", {PEERS[key].NAME} {version}" for key, version in info.get("peers", {}).items())
    return f"ionc {info['ionc']} ({info['backend']}), NEURON {info['neuron']}{peers}"


def markdown(results: list[dict[str, Any]], info: dict[str, Any], repeats: int, peer_keys: list[str]) -> str:
    columns = header(peer_keys)
    names = [PEERS[key].NAME for key in peer_keys]
    lines = [
        f"## ionc vs {', '.join(['NEURON', *names])}, simulate time (median of {repeats} alternating runs"
        + (f"; fewer than {MIN_REPEATS}: a quick look" if repeats < MIN_REPEATS else "") + ")",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['os']}",
        f"- versions: {_versions(info)}, numpy {info['numpy']}, scipy {info['scipy']}, Python {info['python']}",
        "- every simulator: fixed dt, implicit Euler for v (NEURON `secondorder = 0`), one thread (Jaxley: "
        "XLA's defaults, one core busy); NEURON "
        "time is `finitialize` + `continuerun` (wall), ionc time is one `simulate()` call (wall; the time "
        "loop alone in its own column); ratio > 1 means ionc is slower",
    ]
    if "arbor" in peer_keys:
        lines.append("- Arbor: built-in `hh`, one CV per NEURON segment, time of `simulation.run` after "
                     "`reset()`; spikes from its threshold detectors")
    if "jaxley" in peer_keys:
        lines.append("- Jaxley: built-in `HH`, float64, time of one call of the jitted `integrate` "
                     "(`block_until_ready`) after the jit; build and jit in the peer-build column")
    lines += [
        "- ionc compile: cold = `use_cache=False` in a fresh process (imports included), uncached = "
        "`use_cache=False` in a warm process, cached = a cache hit",
        "- ionc peak memory: tracemalloc peak over one `simulate()` call (numpy buffers included); "
        "peak RSS: the high-water mark (VmHWM) of a fresh process that loads the compiled case (the "
        "module a cache hit returns) and simulates it once",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows(results, peer_keys)]
    return "\n".join(lines)


def text_table(results: list[dict[str, Any]], info: dict[str, Any], repeats: int, peer_keys: list[str]) -> str:
    columns = header(peer_keys)
    body = rows(results, peer_keys)
    table = [columns[:-1], *[row[:-1] for row in body]]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns) - 1)]
    lines = [f"{info['date']}  {info['cpu']} ({info['cores']} cores)  {_versions(info)}  "
             f"numpy {info['numpy']}  median of {repeats}", ""]
    for n, row in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    for r, row in zip(results, body, strict=True):
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


def select_peers(spec: str, log: Any) -> tuple[dict[str, Any], str | None]:
    """The peers to run: `installed` (every importable one), `none`, or names; an error in words."""
    spec = spec.strip().lower()
    if spec in ("", "none"):
        return {}, None
    wanted = list(PEERS) if spec in ("installed", "all") else [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in PEERS]
    if unknown:
        return {}, f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}, installed or none"
    chosen: dict[str, Any] = {}
    for key in wanted:
        side = PEERS[key]
        if side.available():
            chosen[key] = side
        else:
            log(f"{side.NAME} is not installed (pip install {key}): not timed")
    return chosen, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(ORDER),
                        help=f"comma-separated, from {','.join(ORDER)} (default: all)")
    parser.add_argument("--repeats", type=int, default=MIN_REPEATS,
                        help=f"alternating timed runs per simulator (default {MIN_REPEATS}; fewer only "
                             "for a quick look: the table says so)")
    parser.add_argument("--peers", default="installed",
                        help=f"peers to time besides NEURON: comma-separated from {','.join(PEERS)}, "
                             "'installed' (default: every one that imports) or 'none'")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", metavar="OUT", help="also write every measurement as JSON")
    parser.add_argument("--no-tables-off", action="store_true",
                        help="do not time NEURON with rate tables off (still run once for case A's check)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold compile in a fresh process")
    parser.add_argument("--no-rss", action="store_true",
                        help="skip the peak-RSS measurement in a fresh process")
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
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    if args.repeats < MIN_REPEATS:
        log(f"--repeats {args.repeats}: medians of fewer than {MIN_REPEATS} runs are noise; "
            f"use {MIN_REPEATS} or more for a table to keep")
    peers, error = select_peers(args.peers, log)
    if error:
        parser.error(error)
    have_neuron = neuron_side.available()
    if not have_neuron:
        log("NEURON is not installed (pip install neuron): NEURON's columns stay empty")
    info = machine.describe(neuron_side.version() if have_neuron else None,
                            {key: side.version() for key, side in peers.items()})
    info["backend"] = args.backend + (", tables on" if args.tables else "")
    results = [
        bench_case(_with_tables(CASES[k]) if args.tables else CASES[k], args.repeats, not args.no_tables_off,
                   not args.no_cold, log, args.backend, peers, rss=not args.no_rss)
        for k in keys
    ]

    peer_keys = list(peers)
    print(markdown(results, info, args.repeats, peer_keys) if args.markdown
          else text_table(results, info, args.repeats, peer_keys))
    if args.json:
        Path(args.json).write_text(json.dumps(_jsonable({"machine": info, "repeats": args.repeats,
                                                         "results": results}), indent=2) + "\n")
    status = 0
    bad = [r["case"] for r in results if not r["agree"]]
    if bad:
        print(f"\nionc and NEURON disagree on: {', '.join(bad)}", file=sys.stderr)
        status = 1
    for key in peer_keys:
        bad = [r["case"] for r in results if r["peers"][key].get("agree") is False]
        if bad:
            print(f"\n{PEERS[key].NAME} and ionc disagree on: {', '.join(bad)} (its times are not like for like)",
                  file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
