"""`ionc verify FILE --against neuron`: each channel, in ionc and as exported to NEURON, clamped alike.

For each channel of FILE (or those named with --channel) the same voltage-clamp
battery runs twice:

* in ionc, from the derived equations (`ionc.clamp.numeric_channel`, the gates
  stepped exactly with v frozen over each step, a kinetic scheme by backward
  Euler: what NEURON's cnexp and sparse compute);
* in NEURON, on the mechanism `ionc export --to nmodl` writes (compiled once per
  content hash, `ionc.export.neuron.build`), or on a user's own .mod file
  (`--against FILE.mod`). NEURON runs in a subprocess of this Python (`python -m
  ionc.verify --worker`): a process cannot load two libraries that define the
  same mechanism, and each verification loads its own.

The protocols (dt = 0.025 ms, a 1000 um2 compartment clamped with an SEClamp of
negligible series resistance, the states at their steady state at the first
sample, NEURON's finitialize):

* activation: from -100 mV, steps to -100 .. +40 mV (10 mV apart) for 20 ms;
* inactivation: from -100 mV, prepulses to -100 .. +40 mV for 20 ms, then a test
  step to 0 mV for 5 ms;
* deactivation: from -100 mV, a step to +20 mV for 5 ms, then tails at -100 ..
  +40 mV for 10 ms;
* ramp: from -100 mV to +40 mV in 20 ms, held 2 ms;
* current clamp: the channel and a leak (0.1 mS/cm2, -70 mV; NEURON's `pas`) in
  the compartment, from v = -70 mV, an IClamp of 0.05 nA from 5 to 25 ms, 30 ms,
  backward Euler; ionc's side is `ionc run` on a generated cell that imports
  FILE. It passes when v agrees within 1% of its largest excursion from -70 mV,
  or when both fire the same number of spikes, each within 0.05 ms (a spike a
  hair early, as a TABLE's interpolation makes it, moves v by tens of mV on
  its upstroke).

Sample k of every trace is t = k dt, the command v[k] holding over the step
that ends there, and current[k] the current at v[k] with the states at k (the
alignment of `ionc.export.neuron`). A protocol passes when the largest
|ionc - NEURON| over all its samples is at most 1% of the protocol's peak
|current| in NEURON (a channel without a current, a readout, is compared by its
states instead: within 1e-6 absolute). NEURON's current is the sum of what the
mechanism writes: its ion currents and its NONSPECIFIC_CURRENTs.

Pools are driven by a prescribed current of their ion instead (`ionc.verify_pool`):
the concentrations agree within 1% of their excursion.

`--against FILE.mod`: the file's SUFFIX names the channel, or the channels
SUFFIX_* whose currents are summed (an hh.mod imported as hh_na, hh_k, hh_leak);
its PARAMETERs are paired with the channels' parameters by `--map`, by name, or
by equal value and unit, and set to the ionc values (`ionc.verify_pairing`); the
report says what was paired with what, and what was not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ionc import clamp
from ionc.export import neuron as nrn
from ionc.export.nmodl import Exported, export_file
from ionc.mod_interface import ModFileError, ModInterface, read_interface
from ionc.runtime import standalone as runtime
from ionc.verify_pairing import (
    ChannelParameter,
    Pairing,
    PairingError,
    pair_channels,
    pair_parameters,
    total_current,
)
from ionc.verify_pool import HOLD_MV, NumericPool, PoolError, driver_suffix, driver_text, numeric_pool
from ionc.verify_pool import waveform as pool_waveform

if TYPE_CHECKING:
    from ionc.symbolic.derive import DerivedChannel

DT_MS = 0.025
TOLERANCE_OF_PEAK = 0.01  # issue 6: currents within 1% of the peak
STATE_TOLERANCE = 1e-6  # a channel without a current: its states, absolute
DRIVER_TOLERANCE = 1e-9  # uA/cm2: a pool's driving current in NEURON against the waveform
HOLDING_MV = -100.0
CURRENT_CLAMP = "current clamp"
POOL_PROTOCOL = "driven"  # a pool under a prescribed current
LEVELS_MV = tuple(float(c) for c in range(-100, 50, 10))
WORKER_TIMEOUT_S = 600
SPIKE_TOLERANCE_MS = 0.05  # issue 6: current-clamp spike times
# the current clamp: the channel and a leak in the 1000 um2 compartment, an IClamp step
LEAK_MS_CM2, LEAK_E_MV = 0.1, -70.0
LEAK_S_CM2 = LEAK_MS_CM2 / 1000
CCLAMP_NA, CCLAMP_DELAY_MS, CCLAMP_DURATION_MS, CCLAMP_TSTOP_MS = 0.05, 5.0, 20.0, 30.0
SOMA_UM = 17.841242  # length = diameter: 1000 um2


# ---------------------------------------------------------------- protocols


@dataclass(frozen=True)
class Protocol:
    name: str
    waveforms: np.ndarray  # mV, (rows, samples): v[k] at t = k dt


def _segments(*parts: tuple[float, float]) -> np.ndarray:
    """v held at each (level, duration ms) in turn; sample 0 at the first level."""
    samples = [parts[0][0]]
    for level, duration in parts:
        samples += [level] * round(duration / DT_MS)
    return np.array(samples, dtype=float)


def protocols() -> tuple[Protocol, ...]:
    hold = (HOLDING_MV, 2.0)
    activation = np.array([_segments(hold, (c, 20.0)) for c in LEVELS_MV])
    inactivation = np.array([_segments(hold, (p, 20.0), (0.0, 5.0)) for p in LEVELS_MV])
    deactivation = np.array([_segments(hold, (20.0, 5.0), (c, 10.0)) for c in LEVELS_MV])
    k_ramp = round(20.0 / DT_MS)
    ramp = np.concatenate([_segments(hold), HOLDING_MV + (40.0 - HOLDING_MV) * np.arange(1, k_ramp + 1) / k_ramp,
                           np.full(round(2.0 / DT_MS), 40.0)])[None, :]
    return (Protocol("activation", activation), Protocol("inactivation", inactivation),
            Protocol("deactivation", deactivation), Protocol("ramp", ramp))


# ---------------------------------------------------------------- ionc's side


def ionc_clamp(channel: clamp.NumericChannel, v: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The current (uA/cm2) and states of `channel` under the command waveforms v (rows, samples)."""
    states: dict[str, np.ndarray] = {}
    for gate in channel.gates:
        inf, tau = gate.inf(v), gate.tau(v)
        decay = np.exp(-DT_MS / tau)
        trace = np.empty_like(v)
        trace[:, 0] = inf[:, 0]
        for k in range(1, v.shape[1]):
            trace[:, k] = inf[:, k] + (trace[:, k - 1] - inf[:, k]) * decay[:, k]
        states[gate.name] = trace
    scheme = channel.scheme
    if scheme is not None:
        rates = scheme.rates(v)  # (rows, samples, n, n)
        x = runtime.kinetic_steady_state(rates[:, 0])
        matrix, column = np.empty_like(rates[:, 0]), np.empty(x.shape[:-1])
        total = np.empty(x.shape[:-2] + (1, 1))
        trace = np.empty((len(scheme.states),) + v.shape)
        trace[:, :, 0] = np.moveaxis(x[..., 0], -1, 0)
        for k in range(1, v.shape[1]):
            runtime.kinetic_step(np.ascontiguousarray(rates[:, k]), -scheme.phi * DT_MS, matrix, x, column, total)
            trace[:, :, k] = np.moveaxis(x[..., 0], -1, 0)
        states |= {name: trace[j] for j, name in enumerate(scheme.states)}
    return channel.current(v, states), states


def ionc_current_clamp(path: Path, channels: Sequence[str], *, celsius: float, reversals: Mapping[str, float],
                       cai: float | None, work: Path) -> np.ndarray:
    """v (mV, at t = k dt) of a 1000 um2 compartment with the channels and a leak under an IClamp step,
    simulated by ionc (`run_simulation`, backward Euler at DT_MS)."""
    from ionc.api import run_simulation

    ions = {ion: [f"reversal = {value!r} mV"] for ion, value in reversals.items()}
    if cai is not None:
        ions.setdefault("ca", []).append(f"inside = {cai!r} mM")
    lines = "\n".join(f"    ion {ion} {{ {'; '.join(parts)} }}" for ion, parts in ions.items())
    model = work / f"cclamp_{channels[0]}.ionc"
    model.write_text(f"""import "{Path(path).resolve().as_posix()}"

channel ionc_verify_leak {{
    nonspecific
    g = {LEAK_MS_CM2!r} mS/cm2
    e = {LEAK_E_MV!r} mV
}}

cell compartment {{
    temperature = {celsius!r} degC
    cm = 1 uF/cm2
    v_init = {LEAK_E_MV!r} mV
{lines}
    morphology {{ soma {{ length = {SOMA_UM} um; diameter = {SOMA_UM} um }} }}
    insert {', '.join(channels)}, ionc_verify_leak
}}

simulation step of compartment {{
    dt = {DT_MS!r} ms
    duration = {CCLAMP_TSTOP_MS!r} ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = {CCLAMP_DELAY_MS!r} ms; duration = {CCLAMP_DURATION_MS!r} ms; amplitude = {CCLAMP_NA!r} nA }}
    record v at soma
}}
""", encoding="utf-8")
    _, raw = run_simulation(model)
    return np.asarray(raw["traces"]["v@soma"][0], dtype=float)


# ---------------------------------------------------------------- NEURON's side (the worker)


def _worker(job_path: Path) -> None:
    """Load one library and run each task; write the traces next to the job file."""
    from neuron import h

    job = json.loads(job_path.read_text())
    h.nrn_load_dll(job["library"])
    out: dict[str, np.ndarray] = {}
    for n, task in enumerate(job["tasks"]):
        for name, value in task.get("globals", {}).items():  # a .mod file's GLOBAL parameters: name_SUFFIX
            setattr(h, name, value)
        if task.get("kind") == CURRENT_CLAMP:
            out[f"{n}:v"] = _worker_current_clamp(task)
            continue
        out |= {f"{n}:{key}": trace for key, trace in _worker_voltage_clamp(task).items()}
    np.savez(job_path.with_suffix(".npz"), **out)  # type: ignore[arg-type]


def _worker_current_clamp(task: Mapping[str, Any]) -> np.ndarray:
    from ionc.export import neuron as nrn

    run = nrn.current_clamp({**task["mechanisms"], "pas": {"g": LEAK_S_CM2, "e": LEAK_E_MV}},
                            amplitude=CCLAMP_NA, delay=CCLAMP_DELAY_MS, duration=CCLAMP_DURATION_MS,
                            tstop=CCLAMP_TSTOP_MS, v_init=LEAK_E_MV, dt=DT_MS, celsius=task["celsius"],
                            ions=task["ions"])
    return run.v


def _worker_voltage_clamp(task: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Each waveform of the task's file as the clamp command: v, the summed current and the records."""
    from ionc.export import neuron as nrn

    waves = np.load(task["waveforms"])
    with nrn._settings(task["celsius"], DT_MS, task["ions"]) as hh, \
            nrn.compartment(hh, task["mechanisms"], task["ions"]) as segment:
        records = [r for r in task["records"] if _recordable(segment, r)]  # a user's file may lack some
        names = list(dict.fromkeys(["v", *task["currents"], *records]))
        clamp_ = hh.SEClamp(segment)
        clamp_.rs = nrn.CLAMP_RS_MOHM
        clamp_.dur1, clamp_.dur2, clamp_.dur3 = 1e9, 0.0, 0.0
        vectors = {name: hh.Vector().record(nrn._pointer(segment, name)) for name in names}
        rows: dict[str, list[np.ndarray]] = {name: [] for name in names}
        k_total = waves.shape[1] - 1
        for wave in waves:
            clamp_.amp1 = wave[0]
            hh.finitialize(wave[0])
            for k in range(1, k_total + 2):  # one step more: the currents lag one sample
                clamp_.amp1 = wave[min(k, k_total)]
                hh.fadvance()
            for name, trace in _aligned(vectors, k_total, task["currents"]).items():
                rows[name].append(trace)
        del clamp_, vectors
    current = np.zeros((len(waves), k_total + 1))
    for name in task["currents"]:
        current += nrn.MA_TO_UA * np.array(rows[name])
    out = {"v": np.array(rows["v"]), "current": current}
    for j, name in enumerate(task["records"]):
        if name in records:
            out[f"state{j}"] = np.array(rows[name])
    return out


def _aligned(recorded: Mapping[str, Any], k_total: int, currents: Sequence[str]) -> dict[str, np.ndarray]:
    """Samples 0..k_total of each trace; the currents (a NONSPECIFIC_CURRENT by any name too) one sample later."""
    from ionc.export import neuron as nrn

    out = {}
    for name, vector in recorded.items():
        trace = np.array(vector, dtype=float)
        if trace.size != k_total + 2:
            raise RuntimeError(f"expected {k_total + 2} samples of {name}, NEURON recorded {trace.size}")
        out[name] = trace[1:] if name in currents or nrn.current_phase(name) else trace[:-1]
    return out


def _recordable(segment: Any, name: str) -> bool:
    """'suffix.x' (a mechanism's variable) or 'cai' (the segment's)."""
    if "." in name:
        mechanism, variable = name.split(".", 1)
        return hasattr(getattr(segment, mechanism), variable)
    return hasattr(segment, name)


def run_in_neuron(library: Path, tasks: Sequence[Mapping[str, Any]], work: Path) -> dict[str, np.ndarray]:
    """Run the worker in a fresh Python process; its traces by 'task:name'."""
    job = work / "job.json"
    job.write_text(json.dumps({"library": str(library), "tasks": list(tasks)}))
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "ionc.verify", "--worker", str(job)], capture_output=True,
                          text=True, env=env, timeout=WORKER_TIMEOUT_S)
    if done.returncode != 0:
        raise VerifyError(f"NEURON failed:\n{(done.stdout + done.stderr)[-4000:]}")
    with np.load(job.with_suffix(".npz")) as data:
        return {key: data[key] for key in data.files}


class VerifyError(Exception):
    """NEURON could not build or run the mechanism, or a .mod file cannot be paired (not a model error)."""


# ---------------------------------------------------------------- what is compared with what


@dataclass(frozen=True)
class Target:
    """One comparison: a mechanism in NEURON and the ionc channels (or pool) it stands for."""

    label: str  # the report's channel column
    suffix: str  # the mechanism
    channels: tuple[str, ...]  # ionc's: their currents are summed
    currents: tuple[str, ...]  # NEURON's, summed: 'ina', 'hhc.il'; a pool: its driver's current
    records: dict[str, str]  # 'channel.state' -> NEURON's record ('hhc.m', 'cai')
    reads: tuple[str, ...]  # the ion variables the mechanism reads ('ena', 'cai')
    range_values: dict[str, float] = field(default_factory=dict)  # set on the segment
    global_values: dict[str, float] = field(default_factory=dict)  # set as name_SUFFIX
    pool_ion: str | None = None  # a pool: driven by a prescribed current of this ion


def export_targets(exported: Sequence[Exported], derived: Mapping[str, DerivedChannel]) -> list[Target]:
    """One target per exported channel or pool: the mechanism ionc writes for it."""
    targets = []
    for e in exported:
        channel = derived[e.suffix].channel
        ion = channel.ion if channel.pool else None
        currents = (f"i{ion}",) if ion else total_current(read_interface(e.text))
        records = {f"{e.suffix}.{n}": (r if not ion else f"{ion}i") for n, r in e.states.items()}
        targets.append(Target(label=e.suffix, suffix=e.suffix, channels=(e.suffix,), currents=currents,
                              records=records, reads=e.reads, pool_ion=ion))
    return targets


def read_mod(text: str, channels: Sequence[str], names: Sequence[str]) -> tuple[ModInterface, tuple[str, ...]]:
    """A user's .mod file's interface, and the channels of the model it stands for."""
    try:
        mechanism = read_interface(text)
        return mechanism, pair_channels(mechanism.suffix, channels, names)
    except (ModFileError, PairingError) as error:
        raise VerifyError(f"the .mod file: {error}") from None


def mod_target(mechanism: ModInterface, exported: Sequence[Exported], derived: Mapping[str, DerivedChannel],
               mapping: Mapping[str, str]) -> tuple[Target, Pairing]:
    """The target of a user's .mod file: its channels (the exported ones) and parameters paired."""
    chosen = tuple(e.suffix for e in exported)
    by_name = {e.suffix: e for e in exported}
    try:
        parameters = [ChannelParameter(c, p, by_name[c].parameters[p.name][0])
                      for c in chosen for p in derived[c].channel.parameters]
        pools = [c for c in chosen if derived[c].channel.pool]
        if pools and (len(chosen) > 1 or not mechanism.is_pool):
            raise PairingError(f"{mechanism.suffix} is compared with {', '.join(chosen)}: a pool is compared "
                               "with a .mod file that writes its concentration, alone")
        ion = derived[pools[0]].channel.ion if pools else None
        pairing = pair_parameters(mechanism, chosen, parameters, mapping, currents=(f"i{ion}",) if ion else None)
    except (ModFileError, PairingError) as error:
        raise VerifyError(f"the .mod file: {error}") from None
    records = {}
    for c in chosen:
        for state in by_name[c].states:
            if ion:
                records[f"{c}.{state}"] = f"{ion}i"
            elif state in mechanism.states:
                records[f"{c}.{state}"] = f"{mechanism.suffix}.{state}"
    label = mechanism.suffix if chosen == (mechanism.suffix,) else f"{mechanism.suffix}={'+'.join(chosen)}"
    target = Target(label=label, suffix=mechanism.suffix, channels=chosen, currents=pairing.currents,
                    records=records, reads=mechanism.reads, range_values=pairing.range_values(),
                    global_values=pairing.global_values(), pool_ion=ion)
    return target, pairing


# ---------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Row:
    channel: str
    protocol: str
    peak: float  # uA/cm2, NEURON's largest |current|
    difference: float  # uA/cm2, the largest |ionc - NEURON|
    state_difference: float  # the largest |ionc - NEURON| of any state recorded
    clamp_error: float  # mV: NEURON's v against the command
    unit: str = "uA/cm2"  # of peak and difference: mV for the current clamp (v's excursion), mM for a pool
    spikes: tuple[int, int] = (0, 0)  # current clamp: how many in ionc, in NEURON
    spike_shift: float = float("nan")  # ms, the largest |ionc - NEURON| of a spike time (both fire as often)

    @property
    def relative(self) -> float:
        return self.difference / self.peak if self.peak > 0 else float("nan")

    @property
    def spikes_agree(self) -> bool:
        return self.spikes[0] == self.spikes[1] > 0 and self.spike_shift <= SPIKE_TOLERANCE_MS

    @property
    def passed(self) -> bool:
        if self.peak > 0:
            return self.difference <= TOLERANCE_OF_PEAK * self.peak or self.spikes_agree
        return self.state_difference <= STATE_TOLERANCE


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was paired with what (--against FILE.mod), pools' starts

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    def table(self) -> str:
        width = max([12, *(len(r.channel) for r in self.rows)])
        header = f"{'channel':<{width}} {'protocol':<13} {'peak':>10} {'max |diff|':>11} {'of peak':>9}  result"
        lines = [*self.notes, header, "-" * len(header)]
        marks = {"mV": "  (v, mV)", "mM": "  (concentration, mM)"}
        for r in self.rows:
            relative = f"{r.relative:9.2e}" if r.peak > 0 else f"{'states':>9}"
            difference = r.difference if r.peak > 0 else r.state_difference
            lines.append(f"{r.channel:<{width}} {r.protocol:<13} {r.peak:10.4g} {difference:11.3g} {relative}  "
                         f"{'PASS' if r.passed else 'FAIL'}{marks.get(r.unit, '')}{_spike_text(r)}")
        lines += self.skipped
        return "\n".join(lines)


def _spike_text(row: Row) -> str:
    if row.unit != "mV" or row.spikes == (0, 0):
        return ""
    if row.spikes[0] != row.spikes[1]:
        return f"; spikes: ionc {row.spikes[0]}, NEURON {row.spikes[1]}"
    return f"; {row.spikes[0]} spikes, times within {row.spike_shift:.2g} ms"


@dataclass(frozen=True)
class Plan:
    """One task's comparison: what ionc computes for it."""

    target: Target
    protocol: str
    waves: np.ndarray  # the commands (mV), or ionc's v under the current clamp, or a pool's driving current
    numerics: tuple[clamp.NumericChannel, ...] = ()
    pool: NumericPool | None = None


def verify_file(
    path: Path,
    names: Sequence[str] | None = None,
    *,
    against: Path | None = None,
    celsius: float = clamp.DEFAULT_CELSIUS,
    reversals: Mapping[str, float] | None = None,
    concentrations: Mapping[str, float] | None = None,
    tamper: Any = None,
    current_clamp: bool = True,
    mapping: Mapping[str, str] | None = None,
) -> Report:
    """Verify the channels of `path` (or those named) against their NMODL export, or `against` a .mod file.

    `mapping` pairs ionc parameters with the .mod file's ({'gbar': 'gnabar'}, `--map`).
    `tamper`, for tests: a function applied to each exported text before it is compiled."""
    from ionc.pipeline import derive_channels, front_end

    model = front_end(Path(path))
    report = Report()
    if against is not None:
        text = against.read_text(encoding="utf-8")
        mechanism, chosen = read_mod(text, [c.name.text for c in model.channels], names or ())
        exported = export_file(path, chosen)
    else:
        exported = export_file(path, names)
    derived = derive_channels([c for c in model.channels if c.name.text in {e.suffix for e in exported}])
    if against is not None:
        target, pairing = mod_target(mechanism, exported, derived, mapping or {})
        targets, texts = [target], {f"{target.suffix}.mod": text}
        report.notes += pairing.lines()
    else:
        targets = export_targets(exported, derived)
        texts = {f"{e.suffix}.mod": (tamper(e.text) if tamper else e.text) for e in exported}
    for ion in sorted({t.pool_ion for t in targets if t.pool_ion}):
        try:
            texts[f"{driver_suffix(ion)}.mod"] = driver_text(ion)
        except PoolError as error:
            raise VerifyError(str(error)) from None
    conditions = Conditions(celsius, dict(reversals or {}), dict(concentrations or {}))
    tasks: list[dict[str, Any]] = []
    plans: list[Plan] = []
    with tempfile.TemporaryDirectory(prefix="ionc-verify-") as tmp:
        work = Path(tmp)
        for target in targets:
            planned = (_pool_tasks(target, derived, conditions, work, len(tasks)) if target.pool_ion else
                       _channel_tasks(path, target, derived, conditions, work, len(tasks), current_clamp))
            for task, plan in planned:
                tasks.append(task)
                plans.append(plan)
        try:
            built = nrn.build(texts)
        except RuntimeError as error:
            raise VerifyError(str(error)) from None
        results = run_in_neuron(built.library, tasks, work)
    for n, plan in enumerate(plans):
        theirs = {key.split(":", 1)[1]: value for key, value in results.items() if key.startswith(f"{n}:")}
        report.rows.append(_compare(plan, theirs))
        if plan.pool is not None:
            report.notes.append(f"{plan.target.label}: driven by a prescribed i{plan.target.pool_ion}; ionc starts "
                                f"at NEURON's initial {plan.target.pool_ion}i = {theirs['state0'][0, 0]:.6g} mM")
    return report


@dataclass(frozen=True)
class Conditions:
    celsius: float
    reversals: dict[str, float]  # mV, by ion
    concentrations: dict[str, float]  # mM, 'cai'

    def ions(self, reads: Sequence[str]) -> dict[str, float]:
        """NEURON's ion variables to set: the reversals and concentrations the mechanism reads."""
        given = {f"e{ion}": v for ion, v in self.reversals.items()} | self.concentrations
        return {name: value for name, value in given.items() if name in reads}


def _task(target: Target, conditions: Conditions, **rest: Any) -> dict[str, Any]:
    return {"mechanisms": {target.suffix: target.range_values}, "globals": target.global_values,
            "ions": conditions.ions(target.reads), "celsius": conditions.celsius, **rest}


def _channel_tasks(path: Path, target: Target, derived: Mapping[str, DerivedChannel], conditions: Conditions,
                   work: Path, first: int, current_clamp: bool) -> list[tuple[dict[str, Any], Plan]]:
    numerics = tuple(clamp.numeric_channel(derived[c], celsius=conditions.celsius, reversals=conditions.reversals,
                                           concentrations=conditions.concentrations) for c in target.channels)
    records = list(target.records.values())
    out: list[tuple[dict[str, Any], Plan]] = []
    for protocol in protocols():
        wave_file = work / f"{first + len(out)}.npy"
        np.save(wave_file, protocol.waveforms)
        task = _task(target, conditions, waveforms=str(wave_file), currents=list(target.currents), records=records)
        out.append((task, Plan(target, protocol.name, protocol.waveforms, numerics)))
    if current_clamp:
        v = ionc_current_clamp(path, target.channels, celsius=conditions.celsius, reversals=conditions.reversals,
                               cai=conditions.concentrations.get("cai"), work=work)
        out.append((_task(target, conditions, kind=CURRENT_CLAMP), Plan(target, CURRENT_CLAMP, v[None, :])))
    return out


def _pool_tasks(target: Target, derived: Mapping[str, DerivedChannel], conditions: Conditions, work: Path,
                first: int) -> list[tuple[dict[str, Any], Plan]]:
    assert target.pool_ion is not None
    try:
        pool = numeric_pool(derived[target.channels[0]], celsius=conditions.celsius,
                            concentrations=conditions.concentrations)
    except PoolError as error:
        raise VerifyError(str(error)) from None
    current = pool_waveform(DT_MS)
    wave_file = work / f"{first}.npy"
    np.save(wave_file, np.full((1, current.size), HOLD_MV))
    task = _task(target, conditions, waveforms=str(wave_file), records=[f"{target.pool_ion}i"],
                 currents=[f"i{target.pool_ion}"])
    task["mechanisms"][driver_suffix(target.pool_ion)] = {}
    return [(task, Plan(target, POOL_PROTOCOL, current[None, :], pool=pool))]


def _compare(plan: Plan, theirs: Mapping[str, np.ndarray]) -> Row:
    label = plan.target.label
    if plan.protocol == CURRENT_CLAMP:  # v against v: the excursion from rest is the 'peak'
        theirs_v, ours_v = theirs["v"], plan.waves[0]
        if theirs_v.shape != ours_v.shape:
            raise VerifyError(f"{label}: NEURON gave {theirs_v.size} samples of v, ionc {ours_v.size}")
        t = np.arange(ours_v.size) * DT_MS
        ours_spikes, their_spikes = nrn.spike_times(t, ours_v), nrn.spike_times(t, theirs_v)
        shift = (float(np.max(np.abs(np.subtract(ours_spikes, their_spikes))))
                 if len(ours_spikes) == len(their_spikes) > 0 else float("nan"))
        return Row(channel=label, protocol=plan.protocol, peak=float(np.max(np.abs(theirs_v - theirs_v[0]))),
                   difference=float(np.max(np.abs(ours_v - theirs_v))), state_difference=0.0, clamp_error=0.0,
                   unit="mV", spikes=(len(ours_spikes), len(their_spikes)), spike_shift=shift)
    if plan.pool is not None:  # the concentration against NEURON's, from NEURON's start
        concentration = theirs["state0"][0]
        ours = plan.pool.trace(plan.waves[0], float(concentration[0]), DT_MS)
        driving = float(np.max(np.abs(theirs["current"][0] - plan.waves[0])))
        if driving > DRIVER_TOLERANCE:  # the driver's waveform out of step with ionc's: a bug here, not the pool's
            raise VerifyError(f"{label}: the driving current differs from the waveform by {driving:.3g} uA/cm2")
        return Row(channel=label, protocol=plan.protocol, peak=float(np.max(np.abs(concentration - concentration[0]))),
                   difference=float(np.max(np.abs(ours - concentration))), state_difference=0.0,
                   clamp_error=float(np.max(np.abs(theirs["v"] - HOLD_MV))), unit="mM")
    current = np.zeros_like(plan.waves)
    ours_states: dict[str, np.ndarray] = {}
    for numeric in plan.numerics:
        part, states = ionc_clamp(numeric, plan.waves)
        current = current + part
        ours_states |= {f"{numeric.name}.{s}": trace for s, trace in states.items()}
    records = list(plan.target.records)
    state_difference = max((float(np.max(np.abs(ours_states[s] - theirs[f"state{j}"])))
                            for j, s in enumerate(records) if f"state{j}" in theirs and s in ours_states),
                           default=0.0)
    return Row(channel=label, protocol=plan.protocol, peak=float(np.max(np.abs(theirs["current"]))),
               difference=float(np.max(np.abs(current - theirs["current"]))), state_difference=state_difference,
               clamp_error=float(np.max(np.abs(theirs["v"] - plan.waves))))


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker(Path(sys.argv[2]))
