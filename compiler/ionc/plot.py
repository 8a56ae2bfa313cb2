"""Plots of run outputs (matplotlib, without a display).

Every recording, one panel per variable (v, a concentration, a gate); for cells of more than one compartment,
a space-time picture beside them: v (colour) along the longest path from the
root (distance) against time, where a travelling action potential is a
diagonal stripe whose slope is its velocity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ionc.sema.ions import concentration_names


def plot_run(output: dict[str, Any], raw: dict[str, Any], path: Path, title: str = "") -> None:
    """Recordings grouped by variable, one panel each (v first, in mV; a concentration in
    mM; a gate's fraction), beside the space-time picture for a cable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    space_time = raw.get("space_time")
    cable = space_time is not None and space_time["distance_um"].size > 1
    groups = _groups(output["traces"])
    rows = max(1, len(groups))
    mosaic: Any = [[f"trace{k}", "space"] if cable else [f"trace{k}"] for k in range(rows)]
    figure, axes = plt.subplot_mosaic(mosaic, figsize=(14 if cable else 7, 2.2 + 2.0 * rows),
                                      constrained_layout=True, sharex=False)
    for k, (variable, sites) in enumerate(groups.items() or {"v": {}}.items()):
        _traces(axes[f"trace{k}"], output["t"], variable, sites, last=k == rows - 1)
    _velocity_note(axes["trace0"], output)
    if cable and space_time is not None:
        _space_time(figure, axes["space"], space_time)
    figure.suptitle(title)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _groups(traces: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Traces by the variable they record (`v`, `cad.cai`, `hh_na.m`), v first."""
    groups: dict[str, dict[str, Any]] = {}
    for site, trace in sorted(traces.items(), key=lambda item: not item[0].startswith("v@")):
        groups.setdefault(site.split("@", 1)[0], {})[site] = trace
    return groups


def _unit(variable: str) -> str:
    if variable == "v":
        return "membrane potential (mV)"
    last = variable.rsplit(".", 1)[-1]
    if last in concentration_names():
        return f"{variable} (mM)"
    return variable


def _traces(axes: Any, t: Any, variable: str, sites: dict[str, Any], last: bool) -> None:
    for site, trace in sites.items():
        rows = trace if trace and isinstance(trace[0], list) else [trace]
        for row in rows:
            axes.plot(t, row, label=site, linewidth=1)
    if last:
        axes.set_xlabel("time (ms)")
    axes.set_ylabel(_unit(variable))
    if variable == "v":
        axes.set_title("recordings")
    if 0 < len(sites) <= 8:
        axes.legend(loc="upper right", fontsize="small")


def _velocity_note(axes: Any, output: dict[str, Any]) -> None:
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


# ---------------------------------------------------------------- channel cards

CARD_V_MV = (-120.0, 60.0)  # the gate curves' voltage range
CARD_COMMANDS_MV = tuple(float(c) for c in range(-100, 45, 5))  # the I-V steps: -100 .. +40 mV
CARD_HOLDING_MV = -100.0
CARD_T_HOLD_MS = 2.0
CARD_T_STEP_MS = 20.0
CARD_DT_MS = 0.025


def plot_channel_card(channel: Any, path: Path, title: str = "") -> None:
    """A channel card for a `clamp.NumericChannel`: inf and tau of each gate against v
    (one panel per gate), the peak and end-of-step currents of a voltage-clamp battery
    (steps from -100 to +40 mV, holding -100 mV) against the command, and the currents
    of that battery against time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ionc.clamp import gate_curves, voltage_clamp

    v = np.linspace(*CARD_V_MV, 721)
    curves = gate_curves(channel, v)
    battery = voltage_clamp(channel, CARD_COMMANDS_MV, holding=CARD_HOLDING_MV, t_hold=CARD_T_HOLD_MS,
                            t_step=CARD_T_STEP_MS, dt=CARD_DT_MS)
    panels = len(curves) + 2
    columns = 2 if panels in (2, 4) else min(3, panels)
    rows = -(-panels // columns)
    figure, grid = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows), constrained_layout=True,
                                squeeze=False)
    axes = [a for row in grid for a in row]
    for ax, (name, (inf, tau)) in zip(axes, curves.items(), strict=False):
        _gate_panel(ax, name, channel.gate(name).power, v, inf, tau)
    _iv_panel(axes[len(curves)], battery)
    _traces_panel(axes[len(curves) + 1], battery)
    for ax in axes[panels:]:
        ax.set_visible(False)
    figure.suptitle(title)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _gate_panel(axes: Any, name: str, power: int, v: Any, inf: Any, tau: Any) -> None:
    axes.plot(v, inf, color="tab:blue", linewidth=1.5, label=f"{name}_inf")
    axes.set_ylim(-0.03, 1.03)
    axes.set_xlabel("v (mV)")
    axes.set_ylabel(f"{name}_inf", color="tab:blue")
    axes.set_title(f"gate {name}" + (f" (power {power})" if power != 1 else ""))
    axes.grid(alpha=0.3)
    twin = axes.twinx()
    twin.plot(v, tau, color="tab:red", linewidth=1.5, linestyle="--", label=f"{name}_tau")
    twin.set_ylabel(f"{name}_tau (ms)", color="tab:red")
    twin.set_ylim(bottom=0)


def _iv_panel(axes: Any, battery: Any) -> None:
    axes.plot(battery.commands, battery.peaks(), "o-", markersize=3, linewidth=1.2, label="peak")
    axes.plot(battery.commands, battery.ends(), "s--", markersize=3, linewidth=1.0,
              label=f"end of the step ({battery.t_step:g} ms)")
    axes.axhline(0.0, color="black", linewidth=0.6)
    axes.set_xlabel("command (mV)")
    axes.set_ylabel("current (uA/cm2)")
    axes.set_title(f"I-V, voltage clamp from {battery.holding:g} mV")
    axes.legend(loc="best", fontsize="small")
    axes.grid(alpha=0.3)


def _traces_panel(axes: Any, battery: Any) -> None:
    import matplotlib

    colours = matplotlib.colormaps["viridis"]
    count = len(battery.commands)
    for row, command in enumerate(battery.commands):
        axes.plot(battery.t, battery.current[row], color=colours(row / max(count - 1, 1)), linewidth=0.8,
                  label=f"{command:g} mV" if row in (0, count - 1) else None)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("current (uA/cm2)")
    axes.set_title("clamp currents")
    axes.legend(loc="best", fontsize="small")
    axes.grid(alpha=0.3)
