"""The SWC reader: the four real files parse, and every malformed file names its line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from ionc.morphology import SwcError, parse_swc, read_swc
from swc_cases import BAD, SwcFacts, swc_path


def test_real_files_parse(swc_file: SwcFacts) -> None:
    points = read_swc(swc_path(swc_file.name))
    assert len(points) == swc_file.points
    assert tuple(sorted(Counter(p.type for p in points).items())) == swc_file.types
    assert sum(p.parent == -1 for p in points) == 1


def test_quirks_of_the_real_files() -> None:
    """Leading and double spaces (gc2), soma points far apart in id order (l22, dCH)."""
    gc2 = read_swc(swc_path("dentate_granule_mp_ma_40984_gc2.swc"))
    assert (gc2[0].id, gc2[0].type, gc2[0].radius, gc2[0].parent) == (1, 1, 12.03, -1)
    l22 = read_swc(swc_path("ca3_pyramidal_l22.swc"))
    assert [p.id for p in l22 if p.type == 1] == [1, 2, 3, 4, 5, 6, 7, 8, 1137, 1138]
    dch = read_swc(swc_path("blowfly_lptc_dCH-cobalt.swc"))
    assert dch[-1].id == 6248 and dch[-1].type == 1


def test_comments_blank_lines_crlf_and_order() -> None:
    text = "# header\r\n\r\n  2 3 10 0 0 1 1   # inline comment\r\n1 1 0 0 0 5 -1\r\n"
    points = parse_swc(text, "inline.swc")
    assert [(p.id, p.parent, p.line) for p in points] == [(2, 1, 3), (1, -1, 4)]


BAD_FILES = [
    ("missing_parent.swc", 4, "parent 7 of point 3 does not exist"),
    ("cycle.swc", 5, "parent cycle: 3 -> 4 -> 3"),
    ("self_parent.swc", 3, "parent cycle: 2 -> 2"),
    ("non_numeric.swc", 3, "x must be a number, found '1O.5'"),
    ("non_integer_type.swc", 3, "type must be an integer, found 'dend'"),
    ("not_finite.swc", 2, "x must be finite, found 'nan'"),
    ("zero_radius.swc", 3, "radius must be positive, found 0"),
    ("negative_radius.swc", 2, "radius must be positive, found -0.5"),
    ("no_soma.swc", 2, "no soma: no point has type 1"),
    ("wrong_field_count.swc", 3, "expected 7 fields (id type x y z radius parent), found 6"),
    ("duplicate_id.swc", 3, "duplicate id 2 (first on line 2)"),
    ("two_roots.swc", 3, "more than one root (parent -1): points 1 and 3"),
    ("root_not_soma.swc", 1, "the root point 1 must be a soma point (type 1)"),
    ("empty.swc", 1, "no data lines"),
]


@pytest.mark.parametrize(("name", "line", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_malformed_files_name_file_and_line(name: str, line: int, message: str) -> None:
    path = BAD / name
    with pytest.raises(SwcError) as info:
        read_swc(path)
    err = info.value
    assert (err.path, err.line, err.message) == (str(path), line, message)
    assert str(err) == f"{path}:{line}: {message}"


def test_every_bad_file_is_tested() -> None:
    assert sorted(p.name for p in BAD.glob("*.swc")) == sorted(b[0] for b in BAD_FILES)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SwcError, match="cannot read file") as info:
        read_swc(tmp_path / "absent.swc")
    assert str(info.value).startswith(f"{tmp_path / 'absent.swc'}:1: ")


def test_errors_are_value_errors() -> None:
    """Callers that catch ValueError (or MorphologyError) catch SWC errors too."""
    with pytest.raises(ValueError):
        parse_swc("1 1 0 0 0 5\n")
