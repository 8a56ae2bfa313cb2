"""Fixtures for the channel-library references: this folder on sys.path (neuron_harness),
and the compiled nmodl/ library, loaded into NEURON once per session.

Skipped when the `neuron` package is missing, like every NEURON reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def channel_library() -> object:
    """The neuron_harness.Library of nmodl/ (compiled into the temp-dir cache if needed, then loaded)."""
    pytest.importorskip("neuron")
    from neuron_harness import load_library

    return load_library()
