"""Plots of run outputs (matplotlib, without a display).

Voltage traces for every recording; for cells of more than one compartment,
a space-time picture beside them: v (colour) along the longest path from the
root (distance) against time, where a travelling action potential is a
diagonal stripe whose slope is its velocity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_run(output: dict[str, Any], raw: dict[str, Any], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    space_time = raw.get("space_time")
    cable = space_time is not None and space_time["distance_um"].size > 1
    columns = 2 if cable else 1
    figure, axes = plt.subplots(1, columns, figsize=(7 * columns, 4.2), constrained_layout=True, squeeze=False)
    _traces(axes[0][0], output)
    if cable and space_time is not None:
        _space_time(figure, axes[0][1], space_time)
    figure.suptitle(title)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _traces(axes: Any, output: dict[str, Any]) -> None:
    for site, trace in output["traces"].items():
        rows = trace if trace and isinstance(trace[0], list) else [trace]
        for row in rows:
            axes.plot(output["t"], row, label=site, linewidth=1)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("membrane potential (mV)")
    axes.set_title("recordings")
    if len(output["traces"]) <= 8:
        axes.legend(loc="upper right", fontsize="small")
    for name, value in output.get("velocity", {}).items():
        if isinstance(value, float):
            axes.annotate(f"velocity {name}: {value:.3f} m/s", (0.02, 0.02), xycoords="axes fraction",
                          fontsize="small")


def _space_time(figure: Any, axes: Any, space_time: dict[str, Any]) -> None:
    distance_mm = space_time["distance_um"] / 1000.0
    image = axes.pcolormesh(space_time["t"], distance_mm, space_time["v"][0].T, shading="auto",
                            cmap="viridis", vmin=-80, vmax=40)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("distance from the root (mm)")
    axes.set_title("v along the longest path")
    figure.colorbar(image, ax=axes, label="v (mV)")
