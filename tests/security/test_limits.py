"""Very large and deeply nested inputs: refused with a diagnostic, never a MemoryError,
a RecursionError or a traceback (the limits are listed in docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ionc.api import check_file
from ionc.diagnostics import EXCERPT_WIDTH, MAX_RENDERED, IoncError
from ionc.sema.load import MAX_FILES, MAX_IMPORT_DEPTH
from ionc.syntax.parse import MAX_DECLARATIONS, MAX_DEPTH, MAX_DIGITS, MAX_NESTING, MAX_SOURCE_BYTES
from security_support import HH_POINT_TEXT, diagnostics_of, run_cli


def refusal(path: Path, text: str | None = None) -> IoncError:
    """The IoncError that checking `path` (written with `text` first) raises."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(IoncError) as error:
        check_file(path)
    return error.value


def test_a_line_of_ten_million_characters(models: Path) -> None:
    error = refusal(models / "long_line.ionc", "channel c { x = " + "1" * 10_000_000 + " }")
    (diagnostic,) = diagnostics_of(error, "E202")
    assert f"larger than {MAX_SOURCE_BYTES} bytes" in diagnostic.message


def test_a_hundred_thousand_channels(models: Path) -> None:
    text = "".join(f"channel c{i} {{ nonspecific }}\n" for i in range(100_000))[: MAX_SOURCE_BYTES]
    error = refusal(models / "many.ionc", text[: text.rindex("\n") + 1])
    (diagnostic,) = diagnostics_of(error, "E500")
    assert f"more than {MAX_DECLARATIONS} declarations" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == MAX_DECLARATIONS + 1


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("{", "}")])
def test_brackets_ten_thousand_deep(opening: str, closing: str, models: Path) -> None:
    error = refusal(models / "deep.ionc", "channel c { x = " + opening * 10_000 + "1" + closing * 10_000 + " }")
    (diagnostic,) = diagnostics_of(error, "E500")
    assert f"nested more than {MAX_NESTING} deep" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.column == len("channel c { x = ") + MAX_NESTING


@pytest.mark.parametrize("chain", ["- " * 10_000 + "1", "1 + " * 10_000 + "1", "2 ^ " * 10_000 + "2"],
                         ids=["negations", "sum", "powers"])
def test_operator_chains_without_brackets(chain: str, models: Path) -> None:
    (diagnostic,) = diagnostics_of(refusal(models / "chain.ionc", f"channel c {{ x = {chain} }}"), "E500")
    assert f"nested more than {MAX_DEPTH} deep" in diagnostic.message


def test_a_number_with_a_thousand_digits(models: Path) -> None:
    (diagnostic,) = diagnostics_of(refusal(models / "digits.ionc", f"channel c {{ x = {'9' * 1000} }}"), "E500")
    assert f"more than {MAX_DIGITS} digits" in diagnostic.message


def test_an_import_chain_a_thousand_long(models: Path) -> None:
    chain = models / "chain"
    chain.mkdir()
    for index in range(1000):
        (chain / f"f{index}.ionc").write_text(f'import "f{index + 1}.ionc"\n' if index < 999 else "")
    error = refusal(chain / "f0.ionc")
    (diagnostic,) = diagnostics_of(error, "E500")
    assert f"imports nested more than {MAX_IMPORT_DEPTH} deep" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.source.path.endswith(f"f{MAX_IMPORT_DEPTH - 1}.ionc")


def test_a_thousand_files_imported_side_by_side(models: Path) -> None:
    wide = models / "wide"
    wide.mkdir()
    for index in range(1000):
        (wide / f"f{index}.ionc").write_text("")
    (wide / "all.ionc").write_text("".join(f'import "f{index}.ionc"\n' for index in range(1000)))
    error = refusal(wide / "all.ionc")
    assert {d.message for d in diagnostics_of(error, "E500")} == {f"more than {MAX_FILES} imported files"}


def test_thousands_of_errors_on_one_long_line_render_briefly(models: Path) -> None:
    """Each diagnostic quotes its line: 900 of them on one 1 MB line once rendered 900 MB."""
    text = "".join(f"channel c{i} {{ }} " for i in range(MAX_DECLARATIONS - 100)) + " " * 1_000_000
    error = refusal(models / "one_line.ionc", text)
    assert len(error.diagnostics) >= MAX_DECLARATIONS - 100
    assert len(str(error).split("\n\n")) == MAX_RENDERED + 1
    assert str(error).endswith(f"... and {len(error.diagnostics) - MAX_RENDERED} more errors")
    for line in str(error).splitlines():
        assert len(line) <= EXCERPT_WIDTH + 20
    last = str(error).split("\n\n")[MAX_RENDERED - 1].splitlines()  # far beyond the first window
    name = last[0].split("'")[1]
    quoted, carets = next((last[i - 1], line) for i, line in enumerate(last) if "^" in line)
    assert quoted.split("| ", 1)[1].startswith("...")
    assert quoted[carets.index("^"):].startswith(f"{name} ")  # the caret still points at the channel's name


def test_cli_reports_limits_as_diagnostics(models: Path) -> None:
    (models / "deep.ionc").write_text(HH_POINT_TEXT.replace("-65 mV", "(" * 5000 + "-65 mV" + ")" * 5000))
    result = run_cli("run", "deep.ionc", cwd=models)
    assert result.returncode == 2 and "error[E500]" in result.stderr and "deep.ionc:10:" in result.stderr
    assert "Traceback" not in result.stderr
