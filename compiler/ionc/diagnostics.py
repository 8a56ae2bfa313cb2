"""Diagnostics: what went wrong in a model file, where, and how to fix it.

Every mistake in a model file becomes a `Diagnostic` with a code, a message and
a span. Stages collect them in a `DiagnosticSink`; at the end of a stage the
sink raises one `IoncError` holding all of them, so a user sees every unit
error in one run. `render()` prints them rustc-style with a caret under the
offending text.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from ionc.source import Span


@enum.unique
class Code(enum.Enum):
    """Diagnostic codes. E1xx syntax, E2xx names, E3xx units, E4xx symbolic, E5xx other."""

    E100 = "syntax error"
    E101 = "unexpected end of file"
    E102 = "bad token"
    E200 = "unknown name"
    E201 = "duplicate definition"
    E202 = "import failed"
    E203 = "import cycle"
    E204 = "missing definition"
    E205 = "invalid use of a name"
    E206 = "reserved name"
    E300 = "unknown unit"
    E301 = "wrong dimensions"
    E302 = "not dimensionless"
    E303 = "invalid value"
    E400 = "nonlinear gate equation"
    E401 = "singular expression"
    E500 = "invalid input"
    E501 = "morphology error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: Code
    message: str
    span: Span | None
    hint: str | None = None
    notes: tuple[tuple[str, Span], ...] = ()

    def render(self) -> str:
        lines = [f"error[{self.code.name}]: {self.message}"]
        if self.span is not None:
            lines += _excerpt(self.span)
        for note, span in self.notes:
            lines.append(f"note: {note}")
            lines += _excerpt(span)
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


# A line longer than this is shown as a window around the caret: a file with
# thousands of diagnostics on one long line would otherwise render gigabytes.
EXCERPT_WIDTH = 160
# Diagnostics rendered into an IoncError's message; the rest are counted.
MAX_RENDERED = 50


def _excerpt(span: Span) -> list[str]:
    line, col = span.source.position(span.start)
    text = span.source.line_text(line)
    end_line, end_col = span.source.position(max(span.end - 1, span.start))
    width = (end_col - col + 1) if end_line == line else len(text) - col + 1
    gutter = " " * len(str(line))
    shown, caret_at, width = _window(text, col - 1, max(width, 1))
    return [
        f"{gutter}--> {span.location()}",
        f"{gutter} |",
        f"{line} | {shown}",
        f"{gutter} | {' ' * caret_at}{'^' * width}",
    ]


def _window(text: str, start: int, width: int) -> tuple[str, int, int]:
    """At most EXCERPT_WIDTH characters of `text` around [start, start + width), '...' where cut."""
    if len(text) <= EXCERPT_WIDTH:
        return text, start, width
    width = min(width, EXCERPT_WIDTH // 2)
    left = max(0, min(start - EXCERPT_WIDTH // 4, len(text) - EXCERPT_WIDTH))
    prefix = "..." if left > 0 else ""
    suffix = "..." if left + EXCERPT_WIDTH < len(text) else ""
    return prefix + text[left:left + EXCERPT_WIDTH] + suffix, len(prefix) + start - left, width


class IoncError(Exception):
    """One or more diagnostics about a model file (never a bug in ionc)."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        rendered = [d.render() for d in diagnostics[:MAX_RENDERED]]
        if len(diagnostics) > MAX_RENDERED:
            rendered.append(f"... and {len(diagnostics) - MAX_RENDERED} more errors")
        super().__init__("\n\n".join(rendered))
        self.diagnostics = diagnostics


@dataclass
class DiagnosticSink:
    """Collects diagnostics of one stage; `check()` raises them together."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(
        self, code: Code, message: str, span: Span | None, hint: str | None = None
    ) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __bool__(self) -> bool:
        return bool(self.diagnostics)

    def check(self) -> None:
        if self.diagnostics:
            ordered = sorted(self.diagnostics, key=_order)
            self.diagnostics.clear()
            raise IoncError(tuple(ordered))


def _order(d: Diagnostic) -> tuple[str, int]:
    return ("", 0) if d.span is None else (d.span.source.path, d.span.start)


def fail(code: Code, message: str, span: Span | None, hint: str | None = None) -> IoncError:
    """An IoncError with a single diagnostic, for stages that cannot go on."""
    return IoncError((Diagnostic(code, message, span, hint),))
