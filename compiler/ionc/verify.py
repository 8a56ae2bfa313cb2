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
  FILE. v is compared, against 1% of its largest excursion from -70 mV.

Sample k of every trace is t = k dt, the command v[k] holding over the step
that ends there, and current[k] the current at v[k] with the states at k (the
alignment of `ionc.export.neuron`). A protocol passes when the largest
|ionc - NEURON| over all its samples is at most 1% of the protocol's peak
|current| in NEURON (a channel without a current, a readout, is compared by its
states instead: within 1e-6 absolute). Pools are not voltage-clamped.

`--against FILE.mod` assumes that the file's SUFFIX is the channel's name and
that its RANGE parameters have the names ionc's export gives them (the ionc
names, in NEURON's units: S/cm2, mA/cm2); the mechanism runs at its own
PARAMETER values, which should be the channel's defaults. Its current is read
from `i` when it has one, otherwise from the ion's current (`ina`, `ik`, ...).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ionc import clamp
from ionc.runtime import standalone as runtime

DT_MS = 0.025
TOLERANCE_OF_PEAK = 0.01  # issue 6: currents within 1% of the peak
STATE_TOLERANCE = 1e-6  # a channel without a current: its states, absolute
HOLDING_MV = -100.0
CURRENT_CLAMP = "current clamp"
LEVELS_MV = tuple(float(c) for c in range(-100, 50, 10))
WORKER_TIMEOUT_S = 600
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


def ionc_current_clamp(path: Path, suffix: str, *, celsius: float, reversals: Mapping[str, float],
                       cai: float | None, work: Path) -> np.ndarray:
    """v (mV, at t = k dt) of a 1000 um2 compartment with the channel and a leak under an IClamp step,
    simulated by ionc (`run_simulation`, backward Euler at DT_MS)."""
    from ionc.api import run_simulation

    ions = {ion: [f"reversal = {value!r} mV"] for ion, value in reversals.items()}
    if cai is not None:
        ions.setdefault("ca", []).append(f"inside = {cai!r} mM")
    lines = "\n".join(f"    ion {ion} {{ {'; '.join(parts)} }}" for ion, parts in ions.items())
    model = work / f"cclamp_{suffix}.ionc"
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
    insert {suffix}, ionc_verify_leak
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
    """Load one library and clamp each job's mechanism; write the traces next to the job file."""
    from neuron import h

    from ionc.export import neuron as nrn

    job = json.loads(job_path.read_text())
    h.nrn_load_dll(job["library"])
    out: dict[str, np.ndarray] = {}
    for n, task in enumerate(job["tasks"]):
        if task.get("kind") == "current clamp":
            run = nrn.current_clamp({task["suffix"]: task["parameters"], "pas": {"g": LEAK_S_CM2, "e": LEAK_E_MV}},
                                    amplitude=CCLAMP_NA, delay=CCLAMP_DELAY_MS, duration=CCLAMP_DURATION_MS,
                                    tstop=CCLAMP_TSTOP_MS, v_init=LEAK_E_MV, dt=DT_MS, celsius=task["celsius"],
                                    ions=task["ions"])
            out[f"{n}:v"] = run.v
            continue
        waves = np.load(task["waveforms"])
        with nrn._settings(task["celsius"], DT_MS, task["ions"]) as hh, \
                nrn._compartment(hh, {task["suffix"]: task["parameters"]}, task["ions"]) as segment:
            mechanism = getattr(segment, task["suffix"])
            current = f"{task['suffix']}.i" if hasattr(mechanism, "i") else task["ion_current"]
            records = [r for r in task["records"] if hasattr(mechanism, r.split(".", 1)[-1])]  # a user's file
            names = ["v", current, *records]
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
                for name, trace in nrn._aligned(vectors, k_total).items():
                    rows[name].append(trace)
            del clamp_, vectors
        out[f"{n}:v"] = np.array(rows["v"])
        out[f"{n}:current"] = nrn.MA_TO_UA * np.array(rows[current])
        for j, name in enumerate(task["records"]):
            if name in records:
                out[f"{n}:state{j}"] = np.array(rows[name])
    np.savez(job_path.with_suffix(".npz"), **out)  # type: ignore[arg-type]


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
    """NEURON could not build or run the mechanism (not a model error)."""


# ---------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Row:
    channel: str
    protocol: str
    peak: float  # uA/cm2, NEURON's largest |current|
    difference: float  # uA/cm2, the largest |ionc - NEURON|
    state_difference: float  # the largest |ionc - NEURON| of any state recorded
    clamp_error: float  # mV: NEURON's v against the command
    unit: str = "uA/cm2"  # of peak and difference: mV for the current clamp (v's excursion from its start)

    @property
    def relative(self) -> float:
        return self.difference / self.peak if self.peak > 0 else float("nan")

    @property
    def passed(self) -> bool:
        if self.peak > 0:
            return self.difference <= TOLERANCE_OF_PEAK * self.peak
        return self.state_difference <= STATE_TOLERANCE


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # 'cad: a pool, not voltage-clamped'

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    def table(self) -> str:
        header = f"{'channel':<12} {'protocol':<13} {'peak':>10} {'max |diff|':>11} {'of peak':>9}  result"
        lines = [header, "-" * len(header)]
        for r in self.rows:
            relative = f"{r.relative:9.2e}" if r.peak > 0 else f"{'states':>9}"
            difference = r.difference if r.peak > 0 else r.state_difference
            mark = "  (v, mV)" if r.unit == "mV" else ""
            lines.append(f"{r.channel:<12} {r.protocol:<13} {r.peak:10.4g} {difference:11.3g} {relative}  "
                         f"{'PASS' if r.passed else 'FAIL'}{mark}")
        lines += self.skipped
        return "\n".join(lines)


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
) -> Report:
    """Verify the channels of `path` (or those named) against their NMODL export, or `against` a .mod file.

    `tamper`, for tests: a function applied to each exported text before it is compiled."""
    from ionc.export import neuron as nrn
    from ionc.export.nmodl import export_file
    from ionc.pipeline import derive_channels, front_end

    exported = export_file(path, names)
    if against is not None:
        text = against.read_text(encoding="utf-8")
        found = re.search(r"\bSUFFIX\s+(\w+)", text)
        if found is None:
            raise VerifyError(f"{against} has no SUFFIX: it is not a density mechanism")
        suffix = found.group(1)
        chosen = [e for e in exported if e.suffix == suffix]
        if not chosen:
            raise VerifyError(f"{against} has SUFFIX {suffix}, which is no channel of {path} "
                              f"({', '.join(e.suffix for e in exported)})")
        exported, texts = chosen, {f"{suffix}.mod": text}
    else:
        texts = {f"{e.suffix}.mod": (tamper(e.text) if tamper else e.text) for e in exported}
    model = front_end(Path(path))
    derived = derive_channels([c for c in model.channels if c.name.text in {e.suffix for e in exported}])
    report = Report()
    battery = protocols()
    tasks: list[dict[str, Any]] = []
    plans: list[tuple[str, str, clamp.NumericChannel, tuple[str, ...], np.ndarray]] = []
    with tempfile.TemporaryDirectory(prefix="ionc-verify-") as tmp:
        work = Path(tmp)
        for e in exported:
            channel = derived[e.suffix].channel
            if channel.pool:
                report.skipped.append(f"{e.suffix}: a pool, not voltage-clamped")
                continue
            numeric = clamp.numeric_channel(derived[e.suffix], celsius=celsius, reversals=reversals,
                                            concentrations=concentrations)
            given = {f"e{ion}": v for ion, v in (reversals or {}).items()} | dict(concentrations or {})
            ions = {name: value for name, value in given.items() if name in e.reads}
            states = tuple(n for n in numeric.state_names if n in e.states)
            for protocol in battery:
                wave_file = work / f"{len(tasks)}.npy"
                np.save(wave_file, protocol.waveforms)
                tasks.append({"suffix": e.suffix, "parameters": {}, "ions": ions, "celsius": celsius,
                              "waveforms": str(wave_file), "records": [e.states[n] for n in states],
                              "ion_current": f"i{channel.ion}" if channel.ion else "i"})
                plans.append((e.suffix, protocol.name, numeric, states, protocol.waveforms))
            if current_clamp:
                tasks.append({"kind": "current clamp", "suffix": e.suffix, "parameters": {}, "ions": ions,
                              "celsius": celsius})
                cai = (concentrations or {}).get("cai")
                v = ionc_current_clamp(path, e.suffix, celsius=celsius, reversals=reversals or {}, cai=cai,
                                       work=work)
                plans.append((e.suffix, CURRENT_CLAMP, numeric, (), v[None, :]))
        if not tasks:
            return report
        try:
            built = nrn.build(texts)
        except RuntimeError as error:
            raise VerifyError(str(error)) from None
        results = run_in_neuron(built.library, tasks, work)
    for n, (suffix, protocol_name, numeric, states, waves) in enumerate(plans):
        if protocol_name == CURRENT_CLAMP:  # v against v: the excursion from rest is the 'peak'
            theirs_v = results[f"{n}:v"]
            if theirs_v.shape != waves[0].shape:
                raise VerifyError(f"{suffix}: NEURON gave {theirs_v.size} samples of v, ionc {waves[0].size}")
            report.rows.append(Row(
                channel=suffix, protocol=protocol_name, peak=float(np.max(np.abs(theirs_v - theirs_v[0]))),
                difference=float(np.max(np.abs(waves[0] - theirs_v))), state_difference=0.0, clamp_error=0.0,
                unit="mV"))
            continue
        current, ours = ionc_clamp(numeric, waves)
        theirs = results[f"{n}:current"]
        state_difference = max((float(np.max(np.abs(ours[s] - results[f"{n}:state{j}"])))
                                for j, s in enumerate(states) if f"{n}:state{j}" in results), default=0.0)
        report.rows.append(Row(
            channel=suffix, protocol=protocol_name, peak=float(np.max(np.abs(theirs))),
            difference=float(np.max(np.abs(current - theirs))), state_difference=state_difference,
            clamp_error=float(np.max(np.abs(results[f"{n}:v"] - waves))),
        ))
    return report


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker(Path(sys.argv[2]))
