"""Fixtures of the hostile-input tests: a private copy of models/ and compile cache."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # security_support sits next to this file
    sys.path.insert(0, str(HERE))

from security_support import MODELS  # noqa: E402


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of models/ (relative imports resolve) as the working directory, with its own cache."""
    root = tmp_path / "models"
    shutil.copytree(MODELS, root)
    monkeypatch.setenv("IONC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(root)
    yield root
