"""Text -> syntax tree; lark's exceptions become diagnostics here and nowhere else."""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import cast

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ionc.diagnostics import Code, IoncError, fail
from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn
from ionc.syntax.grammar import parser
from ionc.syntax.transformer import ToSyntax

# Readable names for the grammar's terminals in "expected ..." messages.
_FRIENDLY = {
    "NAME": "a name",
    "NUMBER": "a number",
    "QUANTITY": "a number with a unit",
    "STRING": 'a quoted path ("...")',
    "SOMA": "'soma'",
    "COMPARE": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "$END": "end of file",
}

MAX_SOURCE_BYTES = 2_000_000
# Longest run of digits read: the lexer's number patterns take time quadratic
# in the length of a digit run that is not followed by a unit.
MAX_DIGITS = 100
_LONG_DIGITS = re.compile(f"[0-9]{{{MAX_DIGITS + 1},}}")
MAX_NESTING = 200
# Deepest syntax tree accepted: a long operator chain (`1 + 1 + ... + 1`,
# `- - - x`) nests without brackets, and every later stage walks trees
# recursively, so depth is limited too, well below Python's recursion limit.
MAX_DEPTH = 120
# Most declarations (channel, pool, cell, simulation, import) in one file: each
# is checked on its own, so a file of 100,000 empty channels would otherwise
# take seconds and report 100,000 errors.
MAX_DECLARATIONS = 1000
# Declarations that start a line, counted before parsing (a keyword cannot be a
# name, and comments and strings end with their line); the rest after parsing.
_LINE_DECLARATION = re.compile(r"^[ \t]*(?:channel|pool|cell|simulation|import)\b", re.MULTILINE)


def read_source(path: Path, display: str, where: Span | None = None) -> SourceFile:
    """The text of the model file at `path`, shown as `display`; `where` is the import that names it.

    Refused before anything is read: a path that could not be written into
    generated code or a diagnostic as it is, and whatever `unreadable` refuses.
    Raises UnicodeDecodeError for a file that is not UTF-8.
    """
    refuse_unsafe_path(display, where)
    reason = unreadable(path, MAX_SOURCE_BYTES)
    if reason is not None:
        raise fail(Code.E202, f"cannot read '{display}': {reason}", where)
    with open(path, "rb") as stream:
        data = stream.read(MAX_SOURCE_BYTES + 1)  # the file may have grown since it was looked at
    if len(data) > MAX_SOURCE_BYTES:
        raise fail(Code.E202, f"cannot read '{display}': larger than {MAX_SOURCE_BYTES} bytes", where)
    # As Path.read_text reads it: universal newlines.
    return SourceFile(display, data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"))


def unreadable(path: Path, limit: int) -> str | None:
    """Why the file at `path` is not read, or None: anything but a regular file (a FIFO
    would block the reader, /dev/zero never ends, a directory cannot be read) or more
    than `limit` bytes."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        return str(getattr(error, "strerror", None) or error)
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    if status.st_size > limit:
        return f"larger than {limit} bytes"
    return None


def unsafe_path_character(path: str) -> str | None:
    """The first character of a path that generated code and diagnostics cannot show as it is.

    File names reach the comments and docstring of generated modules: a line
    break, a quote or a backslash there could end the comment or string and
    start code. Control, format (bidirectional overrides) and separator
    characters would make diagnostics lie about the name.
    """
    for char in path:
        if char in '"\\' or not char.isprintable() or unicodedata.category(char) in ("Cf", "Zl", "Zp"):
            if char == "\\" and os.sep == "\\":
                continue
            return char
    return None


def refuse_unsafe_path(path: str, where: Span | None) -> None:
    char = unsafe_path_character(path)
    if char is not None:
        raise fail(Code.E202, f"the path {path!r} contains the character {char!r}", where,
                   "rename the file: paths may not contain quotes, backslashes or control characters")


def parse_source(source: SourceFile) -> syn.File:
    _refuse_oversized(source)
    try:
        tree = parser().parse(source.text, start="start")
    except UnexpectedInput as error:
        raise _to_diagnostic(error, source, parser()) from None
    _refuse_deep(tree, source)
    _refuse_many(tree, source)
    result: syn.File = ToSyntax(source).transform(tree)
    return result


def parse_expression(source: SourceFile, start: int = 0, end: int | None = None) -> syn.Expr:
    """The expression in `source.text[start:end]`, e.g. the value of `--set NAME=VALUE`."""
    _refuse_oversized(source)
    try:
        # Blank out what precedes the expression so that offsets stay those of `source`.
        tree = parser().parse(" " * start + source.text[start:end], start="expr")
    except UnexpectedInput as error:
        raise _to_diagnostic(error, source, parser()) from None
    _refuse_deep(tree, source)
    return cast(syn.Expr, ToSyntax(source).transform(tree))


def _refuse_oversized(source: SourceFile) -> None:
    """Refuse inputs that would exhaust memory or Python's recursion limit."""
    whole = Span(source, 0, min(len(source.text), 1))
    if len(source.text) > MAX_SOURCE_BYTES:
        raise fail(Code.E500, f"file is larger than {MAX_SOURCE_BYTES} bytes", whole)
    for count, declaration in enumerate(_LINE_DECLARATION.finditer(source.text)):
        if count == MAX_DECLARATIONS:
            start = declaration.end() - len(declaration.group().lstrip())
            raise fail(Code.E500, f"more than {MAX_DECLARATIONS} declarations in one file",
                       Span(source, start, start + 1), "split the file and import the parts")
    digits = _LONG_DIGITS.search(source.text)
    if digits is not None:
        raise fail(Code.E500, f"more than {MAX_DIGITS} digits in a row", Span(source, digits.start(), digits.end()))
    depth = deepest = 0
    for offset, char in enumerate(source.text):
        if char in "({":
            depth += 1
            if depth > deepest:
                deepest = depth
            if depth > MAX_NESTING:
                raise fail(
                    Code.E500,
                    f"brackets nested more than {MAX_NESTING} deep",
                    Span(source, offset, offset + 1),
                )
        elif char in ")}":
            depth -= 1


def _refuse_deep(tree: Tree, source: SourceFile) -> None:
    """Refuse trees deeper than MAX_DEPTH (walked without recursion)."""
    stack: list[tuple[Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            start = 0 if getattr(meta, "empty", True) else meta.start_pos
            end = start + 1 if getattr(meta, "empty", True) else max(meta.end_pos, start + 1)
            raise fail(
                Code.E500,
                f"expression nested more than {MAX_DEPTH} deep",
                Span(source, start, min(end, max(len(source.text), start + 1))),
                "split it into named parts (x = ...) and use the names",
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _refuse_many(tree: Tree, source: SourceFile) -> None:
    if len(tree.children) > MAX_DECLARATIONS:
        extra = tree.children[MAX_DECLARATIONS]
        start = extra.meta.start_pos if isinstance(extra, Tree) and not extra.meta.empty else 0
        raise fail(Code.E500, f"more than {MAX_DECLARATIONS} declarations in one file",
                   Span(source, start, min(start + 1, len(source.text))), "split the file and import the parts")


def _describe(names: set[str], lark: Lark) -> str:
    described = set()
    for name in names:
        if name in _FRIENDLY:
            described.add(_FRIENDLY[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
        except KeyError:
            described.add(name.lower())
            continue
        described.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    return ", ".join(sorted(described))


def _to_diagnostic(error: UnexpectedInput, source: SourceFile, lark: Lark) -> IoncError:
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            end = len(source.text)
            span = Span(source, max(end - 1, 0), end)
            return fail(Code.E101, f"the file ends too early; expected {_describe(error.expected, lark)}", span)
        start = token.start_pos or 0
        span = Span(source, start, max(token.end_pos or start + 1, start + 1))
        return fail(
            Code.E100,
            f"unexpected {_token_text(token)}; expected {_describe(error.expected, lark)}",
            span,
        )
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream or 0
        return fail(
            Code.E102,
            f"unexpected character {source.text[start]!r}; expected {_describe(set(error.allowed or ()), lark)}",
            Span(source, start, start + 1),
        )
    if isinstance(error, UnexpectedEOF):
        end = len(source.text)
        return fail(Code.E101, "the file ends too early", Span(source, max(end - 1, 0), end))
    return fail(Code.E100, str(error).splitlines()[0], Span(source, 0, 1))


def _token_text(token: object) -> str:
    text = str(token)
    return f"'{text}'" if len(text) < 40 else f"'{text[:37]}...'"
