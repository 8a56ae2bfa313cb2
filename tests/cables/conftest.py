"""Fixtures for the cable tests: paths, in-process ionc runs, and the NEURON helpers.

Puts this folder (cables_neuron) and ../morphology (neuron_build) on sys.path.
ionc's compiled modules go to a private cache for the session.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CABLE_MODELS = HERE / "models"
CELLS = REPO / "models" / "cells"
MORPHOLOGIES = REPO / "models" / "morphologies"
BAD_SWC = HERE / "bad_swc"

for entry in (str(HERE), str(HERE.parent / "morphology")):
    if entry not in sys.path:
        sys.path.insert(0, entry)


@pytest.fixture(scope="session", autouse=True)
def _private_ionc_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """In-process runs compile into a fresh cache (unless IONC_CACHE_DIR is already set)."""
    if os.environ.get("IONC_CACHE_DIR"):
        yield
        return
    os.environ["IONC_CACHE_DIR"] = str(tmp_path_factory.mktemp("ionc-cables-cache"))
    try:
        yield
    finally:
        os.environ.pop("IONC_CACHE_DIR", None)


@pytest.fixture(scope="session")
def ionc_run() -> Callable[..., dict[str, Any]]:
    """run(path, *overrides, simulation=None) -> ionc's JSON dict; each distinct run done once."""
    from ionc.api import run_file

    done: dict[tuple[str, str | None, tuple[str, ...]], dict[str, Any]] = {}

    def run(path: Path, *overrides: str, simulation: str | None = None) -> dict[str, Any]:
        key = (str(path), simulation, overrides)
        if key not in done:
            done[key] = run_file(path, simulation, list(overrides))
        return done[key]

    return run
