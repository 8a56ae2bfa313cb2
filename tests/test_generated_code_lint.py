"""Generated modules are code users read and ship: they pass ruff's pyflakes, import-order
and whitespace checks (only long expression lines are allowed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ionc.api import generate_source

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "models" / "cells").glob("*.ionc"))


@pytest.mark.parametrize(
    ("model", "backend", "overrides"),
    [(m, "numpy", []) for m in MODELS]
    + [(ROOT / "models" / "cells" / "ball_and_stick.ionc", "numba", []),
       (ROOT / "models" / "cells" / "ball_and_stick.ionc", "numba", ["tables=on"]),
       (ROOT / "models" / "cells" / "hh_point.ionc", "numpy", ["tables=on"])],
    ids=lambda value: value.stem if isinstance(value, Path) else str(value),
)
def test_generated_module_passes_ruff(model: Path, backend: str, overrides: list[str], tmp_path: Path) -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install '.[test]')")
    target = tmp_path / "module.py"
    target.write_text(generate_source(model, overrides=overrides, backend=backend), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,I", "--ignore", "E501",
         str(target)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout
