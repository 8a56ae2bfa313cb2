"""`ionc check` on bad model files: the right code, place, message and caret, never a traceback.

Each file in invalid/ starts with the diagnostic it must produce:

    # expect: E301 at 6:12: 'gbar' must be conductance density
    # expect: E203 in support/cycle_partner.ionc at 3:1: import cycle

(`in PATH`, relative to the bad file, when the error is reported in another
file, e.g. the file of an import cycle that closes the loop). The test runs
`python -m ionc check FILE` in a subprocess, as a user would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
INVALID = HERE / "invalid"
BAD_FILES = sorted(INVALID.glob("*.ionc"))  # support/ holds helpers, not cases
MODEL_FILES = sorted((REPO / "models").rglob("*.ionc"))
EXIT_MODEL_ERROR = 2
TIMEOUT_S = 300

_EXPECT = re.compile(r"#\s*expect:\s*(E\d{3})(?:\s+in\s+(\S+))?\s+at\s+(\d+):(\d+):\s*(.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    code: str
    path: Path  # the file the diagnostic points into
    line: int
    column: int
    fragment: str


def expected(file: Path) -> Expected:
    first = file.read_text(encoding="utf-8").splitlines()[0]
    match = _EXPECT.fullmatch(first)
    assert match, f"{file.name}: the first line must be '# expect: EXXX [in PATH] at LINE:COL: message'"
    code, where, line, column, fragment = match.groups()
    path = Path(os.path.normpath(file.parent / where)) if where else file
    return Expected(code, path, int(line), int(column), fragment)


@pytest.fixture(scope="module")
def env(ionc_env: dict[str, str]) -> dict[str, str]:
    """`ionc` importable from this checkout, with a private compile cache (tests/conftest.py)."""
    return ionc_env


def ionc_check(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ionc", "check", str(path)], env=env, cwd=path.parent,
        capture_output=True, text=True, timeout=TIMEOUT_S,
    )


@dataclass(frozen=True)
class Rendered:
    """One printed diagnostic: its header, its main location and the lines under it."""

    code: str
    message: str
    location: str  # PATH:LINE:COL
    lines: tuple[str, ...]


def rendered(stderr: str) -> list[Rendered]:
    """The diagnostics printed by `ionc`, each from `error[...]` to the next one."""
    found = []
    for block in re.split(r"^(?=error\[)", stderr, flags=re.MULTILINE):
        header = re.match(r"error\[(E\d{3})\]: (.*)", block)
        if header is None:
            continue
        lines = block.splitlines()
        arrow = next((line for line in lines if line.lstrip().startswith("--> ")), "")
        found.append(Rendered(header[1], header[2], arrow.split("--> ", 1)[-1], tuple(lines)))
    return found


def caret_column(lines: tuple[str, ...]) -> int | None:
    """The column of the first caret line under the source line (1-based), if any."""
    for line in lines:
        match = re.fullmatch(r" +\| ( *)\^+", line)
        if match:
            return len(match[1]) + 1
    return None


def test_there_are_enough_cases() -> None:
    assert len(BAD_FILES) >= 20
    assert len({expected(f).code for f in BAD_FILES}) >= 10


@pytest.mark.parametrize("bad", BAD_FILES, ids=[f.stem for f in BAD_FILES])
def test_bad_file_reports_its_diagnostic(bad: Path, env: dict[str, str]) -> None:
    want = expected(bad)
    assert bad.stem.startswith(want.code), "a bad file is named after the code it expects"
    done = ionc_check(bad, env)
    stderr = done.stderr
    assert "Traceback" not in stderr + done.stdout
    assert done.returncode == EXIT_MODEL_ERROR, stderr
    location = f"{want.path}:{want.line}:{want.column}"
    assert f"error[{want.code}]" in stderr
    assert f" --> {location}" in stderr
    assert want.fragment in stderr
    assert caret_column(tuple(stderr.splitlines())) is not None, stderr
    # The three belong to one diagnostic, and its caret sits under the reported column.
    matching = [
        d for d in rendered(stderr)
        if d.code == want.code and d.location == location and want.fragment in d.message
    ]
    assert matching, f"no error[{want.code}] at {location} with '{want.fragment}' in:\n{stderr}"
    assert caret_column(matching[0].lines) == want.column, stderr


UNIT_ERRORS = """\
channel leak {
    nonspecific
    g = 0.3 mS/cm
    e = -54.3 mv
}

cell ball {
    cm = 1 uF
    morphology {
        soma { length = 20 um; diameter = 20 um }
    }
    insert leak on all
}
"""


def test_independent_unit_errors_are_reported_together(tmp_path: Path, env: dict[str, str]) -> None:
    model = tmp_path / "three_unit_errors.ionc"
    model.write_text(UNIT_ERRORS, encoding="utf-8")
    done = ionc_check(model, env)
    assert done.returncode == EXIT_MODEL_ERROR
    assert "Traceback" not in done.stderr
    found = [(d.code, d.location) for d in rendered(done.stderr)]
    assert found == [
        ("E301", f"{model}:3:9"),  # a conductance, not a conductance density
        ("E300", f"{model}:4:15"),  # mv is not a unit
        ("E301", f"{model}:8:10"),  # a capacitance, not a capacitance density
    ], done.stderr
    assert "'g' must be conductance density (mS/cm2)" in done.stderr
    assert "unknown unit 'mv'; did you mean 'mV'?" in done.stderr
    assert "'cm' must be capacitance density (uF/cm2)" in done.stderr


# Inputs that once crashed or hung the compiler (RecursionError, exact arithmetic on
# enormous integers, quadratic regular expressions): (id, line 4 of a channel, code, fragment).
PATHOLOGICAL = [
    ("deep_negation", b"p = " + b"-" * 5000 + b"1", "E500", "nested more than"),
    ("long_sum", b"p = " + b"1 + " * 3000 + b"1", "E500", "nested more than"),
    ("long_or", b"p = if " + b"v > 0 mV or " * 2000 + b"v > 0 mV then 1 else 0", "E500", "nested more than"),
    ("power_chain", b"p = " + b"2 ^ " * 3000 + b"2", "E500", "nested more than"),
    ("deep_brackets", b"p = " + b"(" * 5000 + b"1" + b")" * 5000, "E500", "brackets nested more than"),
    ("long_number", b"p = " + b"1" * 5000, "E500", "digits in a row"),
    ("long_decimal", b"p = 0." + b"5" * 5000 + b" mV", "E500", "digits in a row"),
    ("huge_exponent", b"p = 2 mV ^ 1e999999999", "E303", "too large for a number"),
    ("tiny_exponent", b"p = 1e-999999999", "E303", "too small for a number"),
    ("unit_power", b"p = 2 cm^999999999", "E300", "a unit can only be raised to a power"),
    ("unit_digits", b"p = 2 cm999999999", "E300", "a unit can only be raised to a power"),
    ("long_unit", b"p = 2 m" + b"1" * 99 + b"x" * 400, "E300", "a unit is at most"),
    ("quantity_power", b"p = (2 mV) ^ 100", "E303", "can only be raised to a power from"),
    ("gate_power_digits", b"gate m ^ " + b"7" * 60 + b" { inf = 1; tau = 1 ms }", "E303", "a gate power"),
    ("condition_arithmetic", b"p = (v > 0 mV) * (v < 1 mV)", "E301", "a true/false condition is not a value"),
    ("condition_in_exp", b"p = exp((v > 0 mV) / (v < 1 mV))", "E301", "a true/false condition is not a value"),
    ("not_utf8", b"p = 1  # caf\xe9 au lait", "E500", "not UTF-8"),
]


@pytest.mark.parametrize(("line", "code", "fragment"), [case[1:] for case in PATHOLOGICAL],
                         ids=[case[0] for case in PATHOLOGICAL])
def test_pathological_input_is_a_diagnostic(
    line: bytes, code: str, fragment: str, tmp_path: Path, env: dict[str, str]
) -> None:
    model = tmp_path / "pathological.ionc"
    model.write_bytes(b"channel c {\n    ion k\n    gbar = 1 mS/cm2\n    " + line + b"\n}\n")
    done = ionc_check(model, env)
    assert "Traceback" not in done.stderr
    assert done.returncode == EXIT_MODEL_ERROR, done.stderr[-3000:]
    assert f"error[{code}]" in done.stderr and fragment in done.stderr, done.stderr[-3000:]
    assert re.search(rf" --> {re.escape(str(model))}:4:\d+$", done.stderr, re.MULTILINE), done.stderr[-3000:]
    assert caret_column(tuple(done.stderr.splitlines())) is not None


@pytest.mark.parametrize("model", MODEL_FILES, ids=[str(f.relative_to(REPO)) for f in MODEL_FILES])
def test_valid_model_checks(model: Path, env: dict[str, str]) -> None:
    done = ionc_check(model, env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == f"{model}: ok"
