"""Fixtures for the morphology tests; puts this folder on sys.path for its helpers
(swc_cases, neuron_build)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from swc_cases import SWC_FILES, SwcFacts  # noqa: E402


@pytest.fixture(params=SWC_FILES, ids=lambda f: f.name.split("_")[0])
def swc_file(request: pytest.FixtureRequest) -> SwcFacts:
    return request.param
