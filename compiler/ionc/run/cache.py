"""Compiled modules cached on disk, keyed by everything that shapes them.

The key is computed from the raw text of the model file and of every file it
imports (found by a cheap scan, so a cache hit needs neither lark nor sympy),
the simulation name, the --set options and the ionc version. Writes are
atomic (a temporary file renamed into place), so concurrent compiles of the
same model are safe; an entry that cannot be imported is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

# Files a model reads: its imports and its morphology files (SWC).
_IMPORT = re.compile(r'(?:^\s*import|\bmorphology\s+from)\s+"([^"\n]*)"', re.MULTILINE)
MAX_FILES = 200


def cache_dir() -> Path:
    root = os.environ.get("IONC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "ionc"
    )
    return Path(root)


def _texts(path: Path) -> list[str]:
    """The model file and its imports, as raw text, in a fixed order."""
    seen: dict[Path, str] = {}
    pending = [path.resolve()]
    while pending and len(seen) < MAX_FILES:
        current = pending.pop()
        if current in seen or not current.is_file():
            continue
        text = current.read_text(encoding="utf-8", errors="replace")
        seen[current] = text
        if current.suffix == ".ionc":
            pending += [(current.parent / name).resolve() for name in _IMPORT.findall(text)]
    return [f"{p}\n{t}" for p, t in seen.items()]


def cache_key(path: Path, simulation: str | None, overrides: Sequence[str], version: str, extra: str) -> str:
    digest = hashlib.sha256()
    # The path as typed too: generated comments name it.
    for part in (version, extra, str(path), str(simulation), *overrides, *_texts(path)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def cached_path(key: str) -> Path:
    return cache_dir() / f"ionc_{key}.py"


def write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".py")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
