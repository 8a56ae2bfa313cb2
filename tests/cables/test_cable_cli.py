"""`python -m ionc` on cable models: malformed SWC files, ball-and-stick JSON, SWC edits.

* A model whose `morphology from` names a malformed SWC file (copies of
  tests/morphology/bad_swc/ in tests/cables/bad_swc/) makes `ionc run` and
  `ionc check` exit with status 2 and a diagnostic (E501) that names the SWC
  file and the offending line, never a Python traceback.
* `ionc run models/cells/ball_and_stick.ionc --json OUT` writes a trace for
  every `record` and a positive velocity.
* A compiled module is cached; editing the SWC file the model reads must not
  reuse the module compiled from the old file.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BAD_SWC = HERE / "bad_swc"
BALL_AND_STICK = REPO / "models" / "cells" / "ball_and_stick.ionc"
TIMEOUT_S = 300
EXIT_MODEL_ERROR = 2

# file -> the line the problem is on (1-based, comments and blank lines counted)
BAD_FILES = {
    "missing_parent.swc": 4,  # point 3's parent 7 does not exist
    "cycle.swc": 5,  # points 3 and 4 are each other's parent
    "non_numeric.swc": 3,  # x = "1O.5"
    "zero_radius.swc": 3,  # point 3 has radius 0
    "no_soma.swc": 2,  # no point has type 1 (reported at the first point)
}

MODEL = """\
channel pas {{ nonspecific; g = 0.1 mS/cm2; e = -65 mV }}
cell c {{
    morphology from "{swc}"
    insert pas on all
}}
simulation s of c {{
    duration = 5 ms
    stimulus iclamp at soma {{ delay = 0 ms; duration = 5 ms; amplitude = 0.1 nA }}
    record v at soma
}}
"""


def ionc(args: list[object], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ionc", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def test_the_bad_files_are_copies() -> None:
    for name in BAD_FILES:
        original = REPO / "tests" / "morphology" / "bad_swc" / name
        assert (BAD_SWC / name).read_bytes() == original.read_bytes()


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_swc_is_a_diagnostic(name: str, command: str, tmp_path: Path,
                                       ionc_env: dict[str, str]) -> None:
    (tmp_path / "cells").mkdir()
    shutil.copy(BAD_SWC / name, tmp_path / "cells" / name)
    model = tmp_path / "model.ionc"
    model.write_text(MODEL.format(swc=f"cells/{name}"), encoding="utf-8")
    done = ionc([command, model], ionc_env, tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == EXIT_MODEL_ERROR, said
    assert "Traceback" not in said
    assert "error[E501]" in done.stderr, said
    line = BAD_FILES[name]
    assert f"{name}:{line}:" in done.stderr, said  # the SWC file and its line
    assert "model.ionc:3:" in done.stderr, said  # and the `morphology from` that names it


def test_ball_and_stick_json(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    out = tmp_path / "out.json"
    done = ionc(["run", BALL_AND_STICK, "--json", out], ionc_env, tmp_path)
    assert done.returncode == 0, done.stderr
    output = json.loads(out.read_text(encoding="utf-8"))
    records = ["v@soma", "v@axon(0.5)", "v@axon(1)", "v@dend(0.5)", "v@dend(1)", "hh_na.m@axon(0.5)"]
    assert sorted(output["traces"]) == sorted(records)
    n = len(output["t"])
    assert n == round(40 / 0.025) + 1
    for site in records:
        trace = output["traces"][site]
        assert len(trace) == n and all(math.isfinite(x) for x in trace), site
    (name, velocity), = output["velocity"].items()
    print(f"\nball_and_stick: velocity {name} = {velocity} m/s; soma spikes {output['spikes']['v@soma']}")
    assert name == "axon(0.1)->axon(0.9)"
    assert velocity is not None and math.isfinite(velocity) and velocity > 0
    assert 0.1 < velocity < 1.0  # a 1 um HH axon at 6.3 degC conducts at about 0.3 m/s
    assert len(output["spikes"]["v@soma"]) >= 1 and len(output["spikes"]["v@axon(1)"]) >= 1
    assert f"velocity {name}: {velocity:.4f} m/s" in done.stdout
    # the passive dendrite follows, attenuated
    assert max(output["traces"]["v@dend(1)"]) < max(output["traces"]["v@soma"])


def test_editing_the_swc_file_recompiles(tmp_path: Path, ionc_env: dict[str, str]) -> None:
    """The compiled-module cache must notice a changed SWC file (same model text, same --set)."""
    swc = tmp_path / "cell.swc"
    swc.write_text("1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n3 3 200 0 0 1 2\n", encoding="utf-8")
    model = tmp_path / "model.ionc"
    model.write_text(MODEL.format(swc="cell.swc"), encoding="utf-8")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert ionc(["run", model, "--json", first], ionc_env, tmp_path).returncode == 0
    swc.write_text("1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 200 0 0 1 2\n", encoding="utf-8")  # soma radius 10 -> 5
    assert ionc(["run", model, "--json", second], ionc_env, tmp_path).returncode == 0
    fresh_env = dict(ionc_env, IONC_CACHE_DIR=str(tmp_path / "fresh-cache"))
    fresh = tmp_path / "fresh.json"
    assert ionc(["run", model, "--json", fresh], fresh_env, tmp_path).returncode == 0

    def final_v(path: Path) -> float:
        return float(json.loads(path.read_text(encoding="utf-8"))["traces"]["v@soma"][-1])

    print(f"\nsoma v at 5 ms: radius 10 um {final_v(first):.4f} mV; radius 5 um, same cache "
          f"{final_v(second):.4f} mV, fresh cache {final_v(fresh):.4f} mV")
    assert final_v(first) != pytest.approx(final_v(fresh), abs=1.0)  # the edit matters
    assert final_v(second) == final_v(fresh)
