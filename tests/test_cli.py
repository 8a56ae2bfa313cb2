"""The `ionc` command line, run as `python -m ionc` in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HH_POINT = REPO / "models" / "cells" / "hh_point.ionc"
HH_CHANNELS = REPO / "models" / "channels" / "hh.ionc"
MODEL_FILES = sorted((REPO / "models").rglob("*.ionc"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXIT_MODEL_ERROR = 2
TIMEOUT_S = 300


def ionc(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ionc", *map(str, args)], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=TIMEOUT_S,
    )


# ---------------------------------------------------------------- run


def test_run_writes_json_and_plot(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    out, png = tmp_path / "out.json", tmp_path / "out.png"
    done = ionc(["run", HH_POINT, "--json", out, "--plot", png], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    output = json.loads(out.read_text(encoding="utf-8"))
    assert {"t", "traces", "spikes", "meta"} <= set(output)
    assert len(output["spikes"]["v@soma"]) == 3
    data = png.read_bytes()
    assert len(data) > len(PNG_MAGIC)
    assert data.startswith(PNG_MAGIC)
    assert "v@soma: 3 spike(s)" in done.stdout


# ---------------------------------------------------------------- show


def _channel_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for block in re.split(r"\n(?=channel )", text.strip()):
        name = block.split()[1]
        blocks[name] = block
    return blocks


def _gate_blocks(channel_block: str) -> dict[str, str]:
    gates: dict[str, str] = {}
    for part in re.split(r"\n(?=  gate )", channel_block)[1:]:
        gates[part.split()[1]] = part
    return gates


def test_show_prints_derived_equations_of_every_gate_and_channel(tmp_path: Path,
                                                                 ionc_env: dict[str, str]) -> None:
    done = ionc(["show", HH_CHANNELS], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    channels = _channel_blocks(done.stdout)
    assert set(channels) == {"hh_na", "hh_k", "leak"}
    expected_gates = {"hh_na": {"m", "h"}, "hh_k": {"n"}, "leak": set()}
    for name, block in channels.items():
        assert re.search(r"^  i = .+", block, re.MULTILINE), f"{name}: no current\n{block}"
        assert re.search(r"^  di/dv = .+", block, re.MULTILINE), f"{name}: no di/dv\n{block}"
        gates = _gate_blocks(block)
        assert set(gates) == expected_gates[name]
        for gate, text in gates.items():
            state = f"{name}_{gate}"
            assert re.search(r"^    inf = .+", text, re.MULTILINE), f"{name}.{gate}: no inf\n{text}"
            assert re.search(r"^    tau = .+", text, re.MULTILINE), f"{name}.{gate}: no tau\n{text}"
            assert re.search(rf"^    exact update: {state}\(t\+dt\) = .*exp\(", text, re.MULTILINE), (
                f"{name}.{gate}: no exact update\n{text}"
            )
    assert "removable singularity at v = -40 mV" in channels["hh_na"]
    assert "removable singularity at v = -55 mV" in channels["hh_k"]
    assert re.search(r"^  di/dv = hh_na_gbar\*hh_na_h\*hh_na_m\*\*3\b", channels["hh_na"], re.MULTILINE)
    assert re.search(r"^  di/dv = leak_g\b", channels["leak"], re.MULTILINE)


# ---------------------------------------------------------------- check


@pytest.mark.parametrize("model", MODEL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_check_accepts_the_shipped_models(model: Path, tmp_path: Path, ionc_env: dict[str, str]) -> None:
    done = ionc(["check", model], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(": ok")
    assert done.stderr == ""


def test_models_are_found() -> None:
    assert HH_POINT in MODEL_FILES and HH_CHANNELS in MODEL_FILES


# ---------------------------------------------------------------- --set errors


def test_set_with_wrong_dimension_exits_2_with_a_caret(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    done = ionc(["run", HH_POINT, "--set", "hh_na.gbar=100mV", "--json", tmp_path / "o.json"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR, done.stderr
    assert "Traceback" not in done.stderr
    assert "error[E301]" in done.stderr
    lines = done.stderr.splitlines()
    # the option is quoted and the caret sits under its value, `100mV`
    quoted = next(i for i, line in enumerate(lines) if line.endswith("| hh_na.gbar=100mV"))
    caret_line = lines[quoted + 1]
    bar = lines[quoted].index("| ") + 2
    carets = caret_line[bar:]
    assert carets.strip() == "^" * len("100mV"), caret_line
    assert carets.index("^") == len("hh_na.gbar=")
    assert not (tmp_path / "o.json").exists()


def test_set_unknown_path_exits_2(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    done = ionc(["run", HH_POINT, "--set", "nothing.here=1"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR, done.stderr
    assert "Traceback" not in done.stderr
    assert "nothing.here" in done.stderr
    assert "^" in done.stderr


def test_compile_set_with_wrong_dimension_exits_2(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    target = tmp_path / "model.py"
    done = ionc(["compile", HH_POINT, "-o", target, "--set", "hh_na.gbar=100mV"], ionc_env, tmp_path)
    assert done.returncode == EXIT_MODEL_ERROR, done.stderr
    assert "^" in done.stderr
    assert not target.exists()


def test_a_numerical_blow_up_stops_with_the_time_and_place(tmp_path: Path) -> None:
    """A negative leak makes v run away: the run stops with where and when, exit 3, no traceback."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root / "compiler"), IONC_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "ionc", "run", str(root / "models" / "cells" / "hh_point.ionc"),
         "--set", "leak.g=-50mS/cm2"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert result.returncode == 3
    assert "blew up" in result.stderr and "soma(0.5)" in result.stderr and "t = 1.25 ms" in result.stderr
    assert "Traceback" not in result.stderr and "RuntimeWarning" not in result.stderr
