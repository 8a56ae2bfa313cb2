"""`ionc compile` writes a module that runs with numpy alone, ionc not importable.

The module is written by `python -m ionc compile` and run as
`python -I model.py --json out.json` from a temporary directory with no
PYTHONPATH, so nothing of ionc can be imported by it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HH_POINT = REPO / "models" / "cells" / "hh_point.ionc"
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}
TIMEOUT_S = 300


def _ionc(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ionc", *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=TIMEOUT_S,
    )


def _bare_env() -> dict[str, str]:
    """The environment without anything that could make ionc importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory, ionc_env: dict[str, str]) -> Path:
    work = tmp_path_factory.mktemp("standalone")
    (work / "tmp").mkdir()
    target = work / "tmp" / "model.py"
    done = _ionc(["compile", str(HH_POINT), "-o", "tmp/model.py"], ionc_env, work)
    assert done.returncode == 0, done.stderr
    assert target.is_file()
    return target


@pytest.fixture(scope="module")
def standalone_output(compiled: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    cwd = tmp_path_factory.mktemp("standalone-run")
    out = cwd / "out.json"
    done = subprocess.run(
        [sys.executable, "-I", "-c", BLOCK_IONC + f"runpy.run_path({str(compiled)!r}, run_name='__main__')",
         "--json", str(out)],
        env=_bare_env(), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.is_file()
    return json.loads(out.read_text(encoding="utf-8"))


# Run with ionc made unimportable, whether or not it is installed: sys.modules[name] = None
# makes every `import ionc` (direct or from a dependency) fail.
BLOCK_IONC = "import runpy, sys; sys.modules['ionc'] = None; "


def _top_level_imports(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in the generated module: line {node.lineno}"
            assert node.module is not None
            modules.add(node.module.split(".")[0])
    return modules


def test_generated_module_imports_only_numpy_scipy_and_stdlib(compiled: Path) -> None:
    source = compiled.read_text(encoding="utf-8")
    imported = _top_level_imports(source)
    assert "numpy" in imported
    outside = {m for m in imported if m not in ALLOWED_THIRD_PARTY and m not in sys.stdlib_module_names}
    assert not outside, f"the generated module imports {sorted(outside)}"
    assert "ionc" not in imported
    assert "__import__" not in source and "importlib" not in imported


def test_ionc_is_not_importable_in_the_bare_environment(tmp_path: Path) -> None:
    # ionc may be installed (CI installs it): the standalone run blocks it, and must.
    done = subprocess.run(
        [sys.executable, "-I", "-c", BLOCK_IONC + "import ionc"], env=_bare_env(), cwd=tmp_path,
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert done.returncode != 0, "ionc is importable in the standalone run: the check proves nothing"


def test_standalone_module_writes_the_json_contract(standalone_output: dict) -> None:
    output = standalone_output
    for key in ("t", "traces", "spikes", "meta"):
        assert key in output
    meta = output["meta"]
    for key in ("dt", "duration", "method", "compartments", "ionc", "timing"):
        assert key in meta, f"meta lacks {key!r}: {sorted(meta)}"
    assert meta["dt"] == 0.025
    assert meta["duration"] == 50.0
    assert meta["method"] == "crank_nicolson"
    assert meta["compartments"] == 1
    assert isinstance(meta["ionc"], str) and meta["ionc"]
    assert isinstance(meta["timing"], dict) and meta["timing"]["simulate_s"] >= 0
    assert len(output["t"]) == 2001
    assert len(output["traces"]["v@soma"]) == 2001
    assert len(output["spikes"]["v@soma"]) == 3


def test_standalone_spikes_equal_ionc_run(standalone_output: dict, tmp_path: Path,
                                          ionc_env: dict[str, str]) -> None:
    out = tmp_path / "run.json"
    done = _ionc(["run", str(HH_POINT), "--json", str(out)], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    reference = json.loads(out.read_text(encoding="utf-8"))
    ours = standalone_output["spikes"]["v@soma"]
    theirs = reference["spikes"]["v@soma"]
    assert len(ours) == len(theirs) == 3
    assert all(abs(a - b) <= 1e-9 for a, b in zip(ours, theirs, strict=True)), (ours, theirs)
    assert standalone_output["meta"]["method"] == reference["meta"]["method"]


def test_compile_refuses_to_overwrite_without_force(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    target = tmp_path / "model.py"
    original = "# not to be overwritten\n"
    target.write_text(original, encoding="utf-8")
    done = _ionc(["compile", str(HH_POINT), "-o", str(target)], ionc_env, tmp_path)
    assert done.returncode != 0
    assert "exists" in done.stderr and "--force" in done.stderr
    assert target.read_text(encoding="utf-8") == original

    forced = _ionc(["compile", str(HH_POINT), "-o", str(target), "--force"], ionc_env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8") != original
    assert "def simulate(" in target.read_text(encoding="utf-8")
