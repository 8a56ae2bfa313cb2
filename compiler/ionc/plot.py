"""Plots of run outputs (matplotlib, without a display).

Every recording, one panel per variable (v, a concentration, a gate); for cells of more than one compartment,
a space-time picture beside them: v (colour) along the longest path from the
root (distance) against time, where a travelling action potential is a
diagonal stripe whose slope is its velocity.

Channel cards (`ionc plot channel`): each gate's inf and tau against v, against cai
for the gates whose derived equations read it, and a voltage-clamp I-V curve.
"""

from __future__ import annotations

from dataclasses import dataclass
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
CARD_CAI_MM = (1e-6, 0.1)  # the calcium curves' range: 1 nM .. 100 uM
CARD_CAI_PER_DECADE = 12
CARD_CAI_VOLTAGES_MV = (-80.0, -40.0, 0.0, 40.0)  # the calcium curves of voltage-dependent gates
CALCIUM = "cai"  # the inside calcium concentration, as channels read it


@dataclass(frozen=True)
class CalciumCurves:
    """The Ca-dependent gates of a channel against cai, at a few voltages."""

    cai: Any  # mM, log-spaced over CARD_CAI_MM
    chosen: float  # mM: the concentration of the card's other panels
    voltages: dict[str, tuple[float, ...]]  # per gate: CARD_CAI_VOLTAGES_MV, or one v if it has no v
    inf: dict[str, Any]  # per gate: (voltages, cai)
    tau: dict[str, Any]  # ms, per gate: (voltages, cai)


@dataclass(frozen=True)
class CardSummary:
    """What a card shows: its panels' titles, in order, and the gates drawn against cai."""

    path: Path
    panels: tuple[str, ...]
    calcium_gates: tuple[str, ...]


def _free_names(expr: Any) -> set[str]:
    import sympy as sp

    return {str(s) for s in sp.sympify(expr).free_symbols}


def _gate_names(gate: Any) -> set[str]:
    """The free symbols' names of a derived gate: its rates' expressions, inf, tau and slope."""
    names = set().union(*(_free_names(r.expr) for r in gate.rates)) if gate.rates else set()
    for expr in (gate.inf, gate.tau, gate.slope):
        names |= _free_names(expr)
    return names


def calcium_gates(derived: Any) -> tuple[str, ...]:
    """The gates of a `DerivedChannel` whose derived equations read cai (a free symbol named
    `cai`), in the channel's order."""
    return tuple(g.gate.name for g in derived.gates if CALCIUM in _gate_names(g))


def reads_calcium(derived: Any) -> bool:
    """Whether the channel's gates, its kinetic scheme's rates or its current (a GHK flux)
    read cai."""
    kinetic = getattr(derived, "kinetic", None)
    rates = kinetic.rates if kinetic is not None else ()
    return (bool(calcium_gates(derived)) or CALCIUM in _free_names(derived.current)
            or any(CALCIUM in _free_names(r.expr) for r in rates))


def calcium_curves(derived: Any, *, celsius: float, chosen: float, parameters: dict[str, float] | None = None,
                   reversals: dict[str, float] | None = None,
                   concentrations: dict[str, float] | None = None) -> CalciumCurves | None:
    """inf and tau of each Ca-dependent gate of `derived` over cai from 1 nM to 100 uM (log
    spaced; wider if `chosen` lies outside), at CARD_CAI_VOLTAGES_MV (at one voltage for a gate that does not depend on v);
    None when no gate reads cai. Each concentration is a `clamp.numeric_channel` of the
    channel at that cai, the other values as given (mM, mV, degC, internal units)."""
    import numpy as np

    from ionc.clamp import numeric_channel

    names = calcium_gates(derived)
    if not names:
        return None
    low, high = np.log10(CARD_CAI_MM)
    if chosen > 0:  # a --cai outside 1 nM .. 100 uM widens the range to it
        low, high = min(low, np.floor(np.log10(chosen))), max(high, np.ceil(np.log10(chosen)))
    cai = np.logspace(low, high, round((high - low) * CARD_CAI_PER_DECADE) + 1)
    by_name = {g.gate.name: g for g in derived.gates}
    voltages: dict[str, tuple[float, ...]] = {n: CARD_CAI_VOLTAGES_MV if "v" in _gate_names(by_name[n]) else (CARD_CAI_VOLTAGES_MV[0],)
                for n in names}
    inf = {n: np.empty((len(voltages[n]), cai.size)) for n in names}
    tau = {n: np.empty((len(voltages[n]), cai.size)) for n in names}
    for column, value in enumerate(cai):
        numeric = numeric_channel(derived, celsius=celsius, parameters=parameters, reversals=reversals,
                                  concentrations={**(concentrations or {}), CALCIUM: float(value)})
        for name in names:
            gate, v = numeric.gate(name), np.asarray(voltages[name], dtype=float)
            inf[name][:, column] = gate.inf(v)
            tau[name][:, column] = gate.tau(v)
    return CalciumCurves(cai=cai, chosen=float(chosen), voltages=voltages, inf=inf, tau=tau)


def plot_channel_card(channel: Any, path: Path, title: str = "",
                      calcium: CalciumCurves | None = None) -> CardSummary:
    """A channel card for a `clamp.NumericChannel`: inf and tau of each gate against v
    (one panel per gate), for the gates that read cai (`calcium`, from `calcium_curves`)
    inf and tau against cai, the peak and end-of-step currents of a voltage-clamp battery
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
    with_calcium = tuple(calcium.inf) if calcium is not None else ()
    panels = len(curves) + len(with_calcium) + 2
    columns = 2 if panels in (2, 4) else min(3, panels)
    rows = -(-panels // columns)
    figure, grid = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows), constrained_layout=True,
                                squeeze=False)
    axes = iter([a for row in grid for a in row])
    for name, (inf, tau) in curves.items():
        note = f"cai {format_concentration(calcium.chosen)}" if calcium is not None and name in with_calcium else ""
        _gate_panel(next(axes), name, channel.gate(name).power, v, inf, tau, note)
    for name in with_calcium:
        assert calcium is not None
        _calcium_panel(next(axes), name, calcium)
    _iv_panel(next(axes), battery)
    _traces_panel(next(axes), battery)
    titles = tuple(a.get_title() for row in grid for a in row)[:panels]
    for ax in axes:
        ax.set_visible(False)
    figure.suptitle(title)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return CardSummary(path=path, panels=titles, calcium_gates=with_calcium)


def format_concentration(mm: float) -> str:
    """5e-05 -> '50 nM' (a concentration in mM, in the unit that reads best)."""
    for unit, scale in (("mM", 1.0), ("uM", 1e-3), ("nM", 1e-6)):
        if abs(mm) >= scale:
            return f"{mm / scale:.4g} {unit}"
    return f"{mm / 1e-6:.4g} nM"


def _gate_panel(axes: Any, name: str, power: int, v: Any, inf: Any, tau: Any, note: str = "") -> None:
    axes.plot(v, inf, color="tab:blue", linewidth=1.5, label=f"{name}_inf")
    axes.set_ylim(-0.03, 1.03)
    axes.set_xlabel("v (mV)")
    axes.set_ylabel(f"{name}_inf", color="tab:blue")
    details = [f"power {power}"] * (power != 1) + [note] * bool(note)
    axes.set_title(f"gate {name}" + (f" ({', '.join(details)})" if details else ""))
    axes.grid(alpha=0.3)
    twin = axes.twinx()
    twin.plot(v, tau, color="tab:red", linewidth=1.5, linestyle="--", label=f"{name}_tau")
    twin.set_ylabel(f"{name}_tau (ms)", color="tab:red")
    twin.set_ylim(bottom=0)


def _calcium_panel(axes: Any, name: str, calcium: CalciumCurves) -> None:
    """inf (solid, left axis) and tau (dashed, right axis) of one gate against cai (uM, log),
    one colour per voltage; a dotted line at the card's cai."""
    import matplotlib

    voltages = calcium.voltages[name]
    colours = matplotlib.colormaps["plasma"]
    twin = axes.twinx()
    cai_um = calcium.cai * 1e3
    for row, v in enumerate(voltages):
        colour = colours(0.85 * row / max(len(voltages) - 1, 1)) if len(voltages) > 1 else "tab:blue"
        label = f"{v:g} mV" if len(voltages) > 1 else "every v"
        axes.plot(cai_um, calcium.inf[name][row], color=colour, linewidth=1.5, label=label)
        twin.plot(cai_um, calcium.tau[name][row], color=colour, linewidth=1.0, linestyle="--")
    axes.set_xscale("log")
    axes.set_xlim(cai_um[0], cai_um[-1])
    axes.set_ylim(-0.03, 1.03)
    if calcium.chosen > 0:
        axes.axvline(calcium.chosen * 1e3, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel("cai (uM)")
    axes.set_ylabel(f"{name}_inf (solid)")
    twin.set_ylabel(f"{name}_tau (ms, dashed)")
    twin.set_ylim(bottom=0)
    axes.set_title(f"gate {name} against cai")
    axes.grid(alpha=0.3, which="both")
    axes.legend(loc="best", fontsize="small")


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
