"""Plots of run outputs (matplotlib, without a display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_traces(output: dict[str, Any], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4), constrained_layout=True)
    for site, trace in output["traces"].items():
        rows = trace if trace and isinstance(trace[0], list) else [trace]
        for row in rows:
            axes.plot(output["t"], row, label=site, linewidth=1)
        for spike in output["spikes"].get(site, []) if len(rows) == 1 else []:
            axes.axvline(spike, color="0.85", linewidth=0.8, zorder=0)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("membrane potential (mV)")
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize="small")
    figure.savefig(path, dpi=120)
    plt.close(figure)
