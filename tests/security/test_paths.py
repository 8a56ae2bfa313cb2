"""File paths from strangers: the model's own name, `import "..."` and `morphology from "..."`.

A file name reaches the docstring and comments of the generated module, so a
name with a quote or a line break could end them and start code; such names
are refused before anything is read. Anything that is not a regular file
(a FIFO blocks a reader forever, /dev/zero never ends, a directory cannot be
read) and any file over the size limit are refused before reading too. Every
refusal is a diagnostic (exit 2 from the CLI), never a traceback or a hang.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ionc.api import check_file, compile_file
from ionc.diagnostics import IoncError
from ionc.sema.morphology import MAX_SWC_BYTES
from ionc.syntax.parse import MAX_SOURCE_BYTES
from security_support import HH_POINT_TEXT, MARKER_COMMAND, diagnostics_of, run_cli

# File names that would end the docstring or a comment of the generated module and run code.
BREAKOUT_NAMES = (
    f'x"""; {MARKER_COMMAND}; """.ionc',
    f"x\n**({MARKER_COMMAND} or {{}}),\n#.ionc",
    f"x\r{MARKER_COMMAND}\r#.ionc",
    "a\\N{x}.ionc",  # an invalid escape in the docstring: a module that cannot be imported
    "x\u2028y.ionc",
    "x\x00y.ionc",
)


@pytest.mark.parametrize("name", BREAKOUT_NAMES, ids=repr)
def test_model_file_names_cannot_break_out_of_generated_text(name: str, models: Path) -> None:
    path = models / "cells" / name
    if "\x00" not in name:
        path.write_text(HH_POINT_TEXT, encoding="utf-8")
    with pytest.raises(IoncError) as error:
        compile_file(path, use_cache=False)
    (diagnostic,) = diagnostics_of(error.value, "E202")
    assert "contains the character" in diagnostic.message
    if name in BREAKOUT_NAMES[:2]:  # as a user runs it (the others: the same path through the same code)
        result = run_cli("run", str(path), cwd=models)
        assert result.returncode == 2 and "error[E202]" in result.stderr and "Traceback" not in result.stderr
    assert not (models / "MARKER").exists()


@pytest.mark.parametrize("character", ["\x00", "\t", "\x0b", "\x1b", "\u2028", "\u0085", "\u202e", "\\"],
                         ids=repr)
def test_import_paths_with_control_characters_are_refused_at_the_import(character: str, models: Path) -> None:
    text = HH_POINT_TEXT.replace('"../channels/hh.ionc"', f'"../channels/hh{character}.ionc"')
    path = models / "cells" / "strange_import.ionc"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(path)
    (diagnostic,) = diagnostics_of(error.value, "E202")
    assert diagnostic.span is not None and (diagnostic.span.line, diagnostic.span.column) == (5, 1)
    assert "contains the character" in diagnostic.message


def _special_files(root: Path) -> dict[str, Path]:
    """A directory, a FIFO, /dev/zero and a sparse file over every size limit, named like models."""
    root.mkdir()
    (root / "directory.ionc").mkdir()
    os.mkfifo(root / "fifo.ionc")
    (root / "zero.ionc").symlink_to("/dev/zero")
    with open(root / "huge.ionc", "wb") as stream:  # 100 MB, sparse: nothing is written
        stream.truncate(100_000_000)
    for name in ("directory", "fifo", "zero", "huge"):
        (root / f"{name}.swc").symlink_to(root / f"{name}.ionc")
    return {name: root / f"{name}.ionc" for name in ("directory", "fifo", "zero", "huge")}


REFUSALS = {"directory": "not a regular file", "fifo": "not a regular file", "zero": "not a regular file",
            "huge": "larger than"}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_special_files_are_refused_without_reading_them(kind: str, models: Path) -> None:
    special = _special_files(models / "special")[kind]
    with pytest.raises(IoncError) as error:  # as the model file itself
        check_file(special)
    assert REFUSALS[kind] in diagnostics_of(error.value, "E202", "E500")[0].message

    importer = models / "cells" / "imports_special.ionc"
    importer.write_text(f'import "../special/{special.name}"\n', encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(importer)
    (diagnostic,) = diagnostics_of(error.value, "E202", "E500")
    assert REFUSALS[kind] in diagnostic.message and diagnostic.span is not None and diagnostic.span.line == 1

    cell = HH_POINT_TEXT.replace(
        "morphology {\n        soma { length = 17.841242 um; diameter = 17.841242 um }\n    }",
        f'morphology from "../special/{special.stem}.swc"')
    importer.write_text(cell, encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(importer)
    (diagnostic,) = diagnostics_of(error.value, "E202")
    assert REFUSALS[kind] in diagnostic.message and diagnostic.span is not None


def test_size_limits_are_those_documented(repo: Path) -> None:
    text = (repo / "docs" / "security.md").read_text(encoding="utf-8")
    assert f"{MAX_SOURCE_BYTES:,}" in text and f"{MAX_SWC_BYTES:,}" in text


def test_import_cycles_and_paths_outside_the_model_directory(models: Path) -> None:
    """`..` and absolute paths are allowed (a model is read with its user's rights); cycles are E203."""
    first, second = models / "cells" / "cycle_a.ionc", models / "channels" / "cycle_b.ionc"
    first.write_text('import "../channels/cycle_b.ionc"\n', encoding="utf-8")
    second.write_text(f'import "{first}"\n', encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(first)
    assert "import cycle" in diagnostics_of(error.value, "E203")[0].message
