"""Shared fixtures: repository paths, a subprocess environment for `python -m ionc`,
and the NEURON references of case A (skipped when the `neuron` package is missing).

NEURON runs in-process, once per session and reference; see neuron_reference.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPILER = REPO / "compiler"
MODELS = REPO / "models"
HH_CHANNELS = MODELS / "channels" / "hh.ionc"
HH_POINT = MODELS / "cells" / "hh_point.ionc"
TESTS = Path(__file__).resolve().parent

# `import ionc` works without PYTHONPATH too; `neuron_reference` sits next to this file.
for entry in (str(COMPILER), str(TESTS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def hh_point() -> Path:
    return HH_POINT


@pytest.fixture(scope="session")
def hh_channels() -> Path:
    return HH_CHANNELS


@pytest.fixture(scope="session")
def ionc_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for `python -m ionc` subprocesses: ionc importable, a private cache."""
    env = dict(os.environ)
    previous = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(COMPILER) + (os.pathsep + previous if previous else "")
    env["IONC_CACHE_DIR"] = str(tmp_path_factory.mktemp("ionc-cache"))
    env["MPLBACKEND"] = "Agg"
    return env


# ---------------------------------------------------------------- NEURON references of case A


@pytest.fixture(scope="session")
def neuron_case_a() -> Callable[..., object]:
    """run(method, gnabar=None) -> NeuronRun, each distinct run computed once per session."""
    pytest.importorskip("neuron")
    from neuron_reference import run_case_a

    done: dict[tuple[str, float | None], object] = {}

    def run(method: str = "backward_euler", gnabar: float | None = None) -> object:
        key = (method, gnabar)
        if key not in done:
            done[key] = run_case_a(method, gnabar)
        return done[key]

    return run


@pytest.fixture(scope="session")
def neuron_be(neuron_case_a: Callable[..., object]) -> object:
    """NEURON, fixed dt 0.025, backward Euler (secondorder 0), usetable_hh 0."""
    return neuron_case_a("backward_euler")


@pytest.fixture(scope="session")
def neuron_cn(neuron_case_a: Callable[..., object]) -> object:
    """NEURON, fixed dt 0.025, Crank-Nicolson (secondorder 2), usetable_hh 0."""
    return neuron_case_a("crank_nicolson")


@pytest.fixture(scope="session")
def neuron_cvode(neuron_case_a: Callable[..., object]) -> object:
    """NEURON, CVODE atol 1e-10, spike times from a NetCon (threshold 0)."""
    return neuron_case_a("cvode")


@pytest.fixture(scope="session")
def neuron_be_gnabar_100(neuron_case_a: Callable[..., object]) -> object:
    """NEURON backward Euler with gnabar_hh = 0.1 S/cm2 (ionc: --set hh_na.gbar=100mS/cm2)."""
    return neuron_case_a("backward_euler", 0.1)
