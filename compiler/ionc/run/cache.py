"""Compiled modules cached on disk, keyed by everything that shapes them.

The key is computed from the raw text of the model file and of every file it
imports (found by a cheap scan, so a cache hit needs neither lark nor sympy),
the simulation name, the --set options and the ionc version. Writes are
atomic (a temporary file renamed into place), so concurrent compiles of the
same model are safe. Each entry ends with a checksum of its text: an entry
that is truncated, empty, garbage or not a file at all fails it and is
removed on lookup, so it is compiled again instead of imported.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

# Files a model reads: its imports and its morphology files (SWC).
_IMPORT = re.compile(r'(?:^\s*import|\bmorphology\s+from)\s+"([^"\n]*)"', re.MULTILINE)
MAX_FILES = 200
MAX_FILE_BYTES = 16_000_000  # the largest file the compiler reads (an SWC morphology)


def cache_dir() -> Path:
    root = os.environ.get("IONC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "ionc"
    )
    return Path(root)


def _texts(path: Path) -> list[str]:
    """The model file and its imports, as raw text, in a fixed order."""
    seen: dict[Path, str] = {}
    pending = [path]
    while pending and len(seen) < MAX_FILES:
        current = _regular_file(pending.pop())
        if current is None or current in seen:
            continue
        with open(current, "rb") as stream:  # what is larger, the compiler refuses
            text = stream.read(MAX_FILE_BYTES + 1).decode("utf-8", errors="replace")
        seen[current] = text
        if current.suffix == ".ionc":
            pending += [current.parent / name for name in _IMPORT.findall(text)]
    return [f"{p}\n{t}" for p, t in seen.items()]


def _regular_file(path: Path) -> Path | None:
    """`path` resolved, if it names a regular file: not a FIFO or device that would block or never end.

    A path the compiler refuses (a NUL byte, a missing file) is left out of the
    key: compiling it fails with a diagnostic, and nothing is cached.
    """
    try:
        resolved = path.resolve()
        return resolved if stat.S_ISREG(os.stat(resolved).st_mode) else None
    except (OSError, ValueError):
        return None


def cache_key(path: Path, simulation: str | None, overrides: Sequence[str], version: str, extra: str) -> str:
    digest = hashlib.sha256()
    # The path as typed too: generated comments name it.
    for part in (version, extra, str(path), str(simulation), *overrides, *_texts(path)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def cached_path(key: str) -> Path:
    """Where the entry of `key` is; a damaged entry there is removed first, to be rebuilt."""
    path = cache_dir() / f"ionc_{key}.py"
    if os.path.lexists(path) and not intact(path):
        _discard(path)
    return path


# The last line of every entry: the sha256 of the text before it.
_CHECKSUM = "# ionc cache entry; sha256 of the text above: "


def _checksum_line(text: str) -> str:
    return f"{_CHECKSUM}{hashlib.sha256(text.encode()).hexdigest()}\n"


def intact(path: Path) -> bool:
    """Whether `path` is a regular file, written whole by write_atomic."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        data = path.read_bytes()
    except OSError:
        return False
    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    return body != b"" and last + b"\n" == _checksum_line((body + b"\n").decode("utf-8", "replace")).encode()


def _discard(path: Path) -> None:
    """Remove a damaged entry; another process may be removing or replacing it too."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def write_atomic(target: Path, text: str) -> None:
    """Write `text` and its checksum line to `target` at once: readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = text if text.endswith("\n") else text + "\n"
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text + _checksum_line(text))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
