"""What the figures were measured on: date, CPU, cores, library versions (the peers' too)."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from typing import Any


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cores() -> str:
    total = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = total
    return f"{usable}" if usable == total else f"{usable} usable of {total}"


def describe(neuron_version: str | None, peers: dict[str, str] | None = None) -> dict[str, Any]:
    import numpy
    import scipy
    from ionc import __version__ as ionc_version

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": cores(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "neuron": neuron_version or "not installed",
        "ionc": ionc_version,
        "peers": dict(peers or {}),
    }
