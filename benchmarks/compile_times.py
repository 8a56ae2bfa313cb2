"""Compile time of every model in models/cells: cold, uncached and cached.

    python benchmarks/compile_times.py [--markdown] [--backend numpy|numba]

cold: `compile_file(use_cache=False)` as the first thing a fresh Python process
does (importing lark, sympy and jinja2 included: what a first `ionc compile`
costs); uncached: the same again in that process (the compiler's own work);
cached: a cache hit (hash the model and its imports, find the module). Each
is the median of --repeats fresh processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import ionc  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent / "compiler"))

import machine  # noqa: E402
from ionc_side import COMPILER, _environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CELLS = ROOT / "models" / "cells"

_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from ionc.api import compile_file
path, backend = sys.argv[1], sys.argv[2]
cold = compile_file(path, backend=backend, use_cache=False).compile_s
uncached = compile_file(path, backend=backend, use_cache=False).compile_s
compile_file(path, backend=backend)
cached = [compile_file(path, backend=backend) for _ in range(5)]
assert all(c.cached for c in cached)
print(json.dumps({"cold_s": cold, "import_s": time.perf_counter() - started - cold - uncached,
                  "uncached_s": uncached, "cached_s": sorted(c.compile_s for c in cached)[2]}))
"""


def measure(model: Path, backend: str) -> dict[str, float] | None:
    """One fresh process's times, or None when the model does not compile for the backend
    (pools and kinetic schemes are numpy-only): its message goes to stderr."""
    result = subprocess.run([sys.executable, "-c", _SCRIPT, str(model), backend], cwd=ROOT, env=_environment(),
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"{model.name}: not compiled for {backend}: {result.stderr.strip().splitlines()[-1]}", file=sys.stderr)
        return None
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("numpy", "numba"), default="numpy")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per model (median)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    rows = []
    for model in sorted(CELLS.glob("*.ionc")):
        runs = [r for _ in range(args.repeats) if (r := measure(model, args.backend)) is not None]
        if runs:
            rows.append((model.name, *(statistics.median(r[key] for r in runs)
                                       for key in ("cold_s", "uncached_s", "cached_s"))))
        print(f"{model.name}: done", file=sys.stderr)
    if args.markdown:
        info = machine.describe(None)
        print(f"- {info['date']}, {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
              f"ionc {info['ionc']}; backend {args.backend}; median of {args.repeats} fresh processes\n")
        print("| model | cold (s) | uncached (s) | cached (s) |\n|---|---|---|---|")
        for name, cold, uncached, cached in rows:
            print(f"| {name} | {cold:.2f} | {uncached:.3f} | {cached:.1e} |")
    else:
        for name, cold, uncached, cached in rows:
            print(f"{name:24s} cold {cold:6.2f} s  uncached {uncached:6.3f} s  cached {cached:.1e} s")
    print(f"(compiler from {COMPILER})", file=sys.stderr)


if __name__ == "__main__":
    main()
