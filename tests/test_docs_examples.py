"""The examples of docs/language.md are real: complete files check, error examples fail.

Every fenced block marked ```ionc whose first line is

* `# complete example` must pass `ionc.api.check_file`, and its cells must lay
  out in compartments (`ionc show --morphology`, which `check` does not do);
* `# expect EXXX` must fail with diagnostic EXXX, from `check_file` or, for the
  codes found while deriving equations (E4xx), from `ionc show`'s derivation, or,
  for E501 (found when a cell is laid out in compartments), from
  `ionc show --morphology`.

Blocks are written into a copy of models/cells/ (the whole models/ folder is
copied), so `import "../channels/hh.ionc"` means the shipped channels and
`morphology from "../morphologies/NAME.swc"` the shipped reconstructions, as
they do for models/cells/hh_point.ionc and models/cells/granule_cell.ionc.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ionc.api import check_file
from ionc.diagnostics import IoncError

REPO = Path(__file__).resolve().parents[1]
LANGUAGE = REPO / "docs" / "language.md"
FENCE = re.compile(r"^```ionc[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
COMPLETE = "# complete example"
EXPECT = re.compile(r"#\s*expect\s+(E\d{3})\b")


def _blocks() -> list[tuple[int, str]]:
    """(line number, text) of every ```ionc block."""
    text = LANGUAGE.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


def _first_line(block: str) -> str:
    return block.lstrip("\n").split("\n", 1)[0].strip()


BLOCKS = _blocks()
COMPLETE_BLOCKS = [(line, text) for line, text in BLOCKS if _first_line(text) == COMPLETE]
EXPECT_BLOCKS = [
    (line, text, match.group(1))
    for line, text in BLOCKS
    if (match := EXPECT.fullmatch(_first_line(text))) is not None
]


def _write(tmp_path: Path, line: int, text: str) -> Path:
    models = tmp_path / "models"
    if not models.exists():
        shutil.copytree(REPO / "models", models)
    path = models / "cells" / f"language_md_line_{line}.ionc"
    path.write_text(text, encoding="utf-8")
    return path


def _codes(error: IoncError) -> list[str]:
    return [d.code.name for d in error.diagnostics]


def test_the_reference_has_examples() -> None:
    assert len(COMPLETE_BLOCKS) >= 5, "docs/language.md lost its complete examples"
    assert len(EXPECT_BLOCKS) >= 5, "docs/language.md lost its error examples"


@pytest.mark.parametrize(("line", "text"), COMPLETE_BLOCKS, ids=[f"line{line}" for line, _ in COMPLETE_BLOCKS])
def test_complete_example_checks(tmp_path: Path, line: int, text: str) -> None:
    from ionc.show import show_morphology

    path = _write(tmp_path, line, text)
    try:
        check_file(path)
        show_morphology(path)
    except IoncError as error:
        pytest.fail(f"docs/language.md:{line}: the complete example does not check:\n{error}")


@pytest.mark.parametrize(
    ("line", "text", "code"), EXPECT_BLOCKS, ids=[f"line{line}-{code}" for line, _, code in EXPECT_BLOCKS]
)
def test_error_example_fails_with_its_code(tmp_path: Path, line: int, text: str, code: str) -> None:
    path = _write(tmp_path, line, text)
    try:
        check_file(path)
        if code.startswith("E4"):
            from ionc.show import show_file

            show_file(path)
        if code == "E501":
            from ionc.show import show_morphology

            show_morphology(path)
    except IoncError as error:
        assert code in _codes(error), f"docs/language.md:{line}: expected {code}, got:\n{error}"
        return
    pytest.fail(f"docs/language.md:{line}: the example was accepted, expected {code}")
