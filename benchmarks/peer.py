"""What every peer module shares: whether its simulator imports, and its version."""

from __future__ import annotations

import importlib


def importable(*modules: str) -> bool:
    """Whether all `modules` import (a peer is optional: missing means skipped)."""
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def module_version(module: str) -> str:
    return str(importlib.import_module(module).__version__)
