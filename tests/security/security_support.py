"""What the hostile-input tests share: the payload that would leave a MARKER file, a
models/ workspace, the CLI in a subprocess, and diagnostics picked by code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ionc.diagnostics import Diagnostic, IoncError

REPO = Path(__file__).resolve().parent.parent.parent
MODELS = REPO / "models"
HH_POINT_TEXT = (MODELS / "cells" / "hh_point.ionc").read_text(encoding="utf-8")

# Python that, if it ever ran, would create MARKER in the working directory.
MARKER_COMMAND = '__import__("os").system("touch MARKER")'
CLI_TIMEOUT_S = 120


def diagnostics_of(error: IoncError, *codes: str) -> list[Diagnostic]:
    """The diagnostics of `error`, all of them with one of `codes`, each with a location."""
    found = [d for d in error.diagnostics if d.code.name in codes]
    assert found and len(found) == len(error.diagnostics), str(error)
    for diagnostic in found:
        assert "Traceback" not in diagnostic.render()
    return found


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m ionc ARGS` in `cwd`, with this checkout's compiler and a private cache."""
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = str(REPO / "compiler")
    environment.setdefault("IONC_CACHE_DIR", str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "ionc", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S, check=False)
