"""Read a model file and, transitively, the files it imports (relative paths)."""

from __future__ import annotations

import os
from pathlib import Path

from ionc.diagnostics import Code, DiagnosticSink, IoncError, fail
from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn
from ionc.syntax.parse import parse_source, read_source, refuse_unsafe_path, unsafe_path_character

MAX_FILES = 200
# Imports are followed recursively (a few frames per level), and a file is only
# counted in MAX_FILES once its own imports are loaded: the depth of an import
# chain needs its own limit, well inside Python's recursion limit.
MAX_IMPORT_DEPTH = 50


def load_files(path: Path) -> tuple[syn.File, ...]:
    """The file at `path` and every file it imports, dependencies first."""
    loaded: dict[Path, syn.File] = {}
    sink = DiagnosticSink()
    refuse_unsafe_path(str(path), None)  # before a NUL byte reaches the file system
    root = _parse(path.resolve(), display=str(path))
    _visit(root, path.resolve(), loaded, (), sink)
    sink.check()
    return tuple(loaded.values())


def _parse(path: Path, display: str, where: Span | None = None) -> syn.File:
    try:
        source = read_source(path, display, where)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, display, error) from None
    return parse_source(source)


def _not_utf8(path: Path, display: str, error: UnicodeDecodeError) -> IoncError:
    """A diagnostic at the first byte that is not UTF-8 (shown replaced by U+FFFD)."""
    data = path.read_bytes()

    def text(raw: bytes) -> str:  # as read_text would give it: universal newlines
        return raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")

    source = SourceFile(display, text(data))
    offset = min(len(text(data[: error.start])), max(len(source.text) - 1, 0))
    return fail(Code.E500, "the file is not UTF-8 text", Span(source, offset, offset + 1),
                "save it as UTF-8")


def _visit(
    file: syn.File,
    path: Path,
    loaded: dict[Path, syn.File],
    stack: tuple[Path, ...],
    sink: DiagnosticSink,
) -> None:
    stack = (*stack, path)
    for item in file.items:
        if isinstance(item, syn.Import):
            _import(item, path, loaded, stack, sink)
    loaded[path] = file


def _import(
    item: syn.Import,
    importer: Path,
    loaded: dict[Path, syn.File],
    stack: tuple[Path, ...],
    sink: DiagnosticSink,
) -> None:
    if unsafe_path_character(item.path) is not None:  # before a NUL byte reaches the file system
        sink.error(Code.E202, f"cannot import {item.path!r}: the path contains the character "
                   f"{unsafe_path_character(item.path)!r}", item.span)
        return
    target = (importer.parent / item.path).resolve()
    if target in stack:
        chain = " -> ".join(p.name for p in (*stack[stack.index(target):], target))
        sink.error(Code.E203, f"import cycle: {chain}", item.span, "remove one of these imports")
        return
    if target in loaded:
        return
    if len(stack) >= MAX_IMPORT_DEPTH:
        sink.error(Code.E500, f"imports nested more than {MAX_IMPORT_DEPTH} deep", item.span)
        return
    if len(loaded) + len(stack) >= MAX_FILES:
        sink.error(Code.E500, f"more than {MAX_FILES} imported files", item.span)
        return
    if not item.path.endswith(".ionc"):
        sink.error(Code.E202, f"cannot import '{item.path}': model files end in .ionc", item.span)
        return
    if not target.exists():  # a directory or device is refused by read_source, saying so
        sink.error(
            Code.E202,
            f"cannot import '{item.path}': no such file",
            item.span,
            f"paths are relative to the importing file (looked for {target})",
        )
        return
    display = _display_path(importer, item.path, item.span.source.path)
    try:
        child = _parse(target, display, item.span)
    except IoncError as error:
        sink.diagnostics.extend(error.diagnostics)
        return
    except (OSError, UnicodeDecodeError) as error:
        sink.error(Code.E202, f"cannot read '{item.path}': {error}", item.span)
        return
    _visit(child, target, loaded, stack, sink)


def _display_path(importer: Path, relative: str, importer_display: str) -> str:
    """Show imported files relative to the way the user named the first file."""
    return os.path.normpath(Path(importer_display).parent / relative)
