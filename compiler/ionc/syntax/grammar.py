"""Load the lark grammar once, from the installed package or the source tree."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def grammar_path() -> Path:
    """The grammar shipped in the wheel (ionc/grammar) or, in a checkout, grammar/."""
    for candidate in (
        _PACKAGE_ROOT / "grammar" / "ionc.lark",
        _PACKAGE_ROOT.parent.parent / "grammar" / "ionc.lark",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("ionc.lark not found: the ionc installation is incomplete")


@lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        start=["start", "expr"],
    )
