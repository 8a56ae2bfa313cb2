"""Source files and spans: where in a model file a piece of syntax came from."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one model file, with a line index for turning offsets into positions."""

    path: str
    text: str
    line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]
        object.__setattr__(self, "line_starts", tuple(starts))

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        return cls(str(path), path.read_text(encoding="utf-8"))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) in a source file."""

    source: SourceFile
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.source.position(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.position(self.start)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def location(self) -> str:
        line, col = self.source.position(self.start)
        return f"{self.source.path}:{line}:{col}"

    def sub(self, start: int, end: int) -> Span:
        """A span for characters [start, end) relative to this span's start."""
        return Span(self.source, self.start + start, self.start + end)

    def __repr__(self) -> str:
        return f"Span({self.location()})"
