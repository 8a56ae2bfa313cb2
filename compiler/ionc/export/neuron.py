"""Exported mechanisms in NEURON: compiled once, loaded once, clamped in one compartment.

The machinery `ionc verify` (issue 6, item 4) stands on, and the tests of the
exporter use: the same protocol as the NEURON references of the test suite
(`tests/channels/neuron_harness.py`), here against the .mod files ionc writes.

* `build(files)` compiles .mod texts with `nrnivmodl` into a directory of the
  system's temporary directory named by a hash of the texts and of NEURON's
  version: the same texts are compiled once, whichever process asks. The build
  runs in a private directory renamed into place when it is complete, so two
  processes never see half a build (the loser of a race uses the winner's).
  `Build.warnings()` lists every line of nrnivmodl's output that warns.
* `load(build)` loads the library into this process (once; NEURON cannot unload
  one, and refuses a second mechanism of the same name).
* `voltage_clamp(...)` holds a 1000 um2 compartment at a holding potential and
  steps it to each command (an SEClamp with rs = 1e-15 MOhm: v within 1e-9 mV of
  the command), fixed dt, backward Euler; `current_clamp(...)` injects an
  IClamp pulse and returns v and the spike times.
* `compare_clamp(...)` runs one channel's battery in ionc (`ionc.clamp`, from the
  derived equations) and in NEURON (the exported mechanism) and gives the
  largest difference against the peak.

Samples line up as in the harness: NEURON evaluates the currents (BREAKPOINT)
with v and the states of the start of a step, so a recorded current is one
sample behind the recorded v and states; every run takes one step more and
shifts the current-phase records back one sample, so that sample k of every
trace is t = k dt: `current[k]` is the current of `v[k]` and the states at k,
what `ionc.clamp` computes. Currents come back in ionc's uA/cm2.

Every NEURON global a call changes (celsius, dt, secondorder, CVODE, the ions'
initial concentrations) is restored when it returns, and the section it made is
deleted. NEURON (`pip install neuron`) is imported only when these run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ionc.clamp import whole_steps

if TYPE_CHECKING:
    from ionc.export.nmodl import Exported
    from ionc.symbolic.derive import DerivedChannel

CACHE_PREFIX = "ionc-nmodl-"
BUILD_LOG = "nrnivmodl.log"
BUILD_TIMEOUT_S = 600
DIAMETER_UM = 17.841242  # L = diam: a cylinder of 1000 um2, the harness's compartment
CLAMP_RS_MOHM = 1e-15
THRESHOLD_MV = 0.0
MA_TO_UA = 1e3  # NEURON's mA/cm2 in ionc's uA/cm2
IONS = ("na", "k", "ca", "cl")
COMMANDS_MV = tuple(float(c) for c in range(-100, 50, 10))  # -100, -90, ..., +40 mV

Parameters = Mapping[str, Mapping[str, float]]  # SUFFIX -> {RANGE name: value, in NEURON's units}


# ---------------------------------------------------------------- building and loading


@dataclass(frozen=True)
class Build:
    """Compiled .mod files."""

    directory: Path  # holds the .mod files, nrnivmodl's output and its log
    library: Path  # libnrnmech.so
    log: str  # nrnivmodl's stdout and stderr
    suffixes: tuple[str, ...]

    def warnings(self) -> list[str]:
        """Lines of the log that warn or complain (nocmodl's and the C++ compiler's)."""
        return [line for line in self.log.splitlines() if re.search(r"warning|notice|error", line, re.IGNORECASE)]


_loaded: dict[Path, Build] = {}


def build(files: Mapping[str, str] | Sequence[Exported], root: Path | None = None) -> Build:
    """Compile .mod texts (file name -> text, or exported mechanisms) unless already compiled."""
    texts = files if isinstance(files, Mapping) else {f"{e.suffix}.mod": e.text for e in files}
    if not texts:
        raise ValueError("nothing to compile")
    final = Path(root or tempfile.gettempdir()) / (CACHE_PREFIX + cache_key(texts))
    if not final.is_dir():
        _build_into(final, texts)
    library = _find_library(final)
    if library is None:
        raise RuntimeError(f"{final} holds no libnrnmech.so")
    suffixes = tuple(sorted(_suffix(text) for text in texts.values()))
    return Build(directory=final, library=library, log=(final / BUILD_LOG).read_text(), suffixes=suffixes)


def cache_key(texts: Mapping[str, str]) -> str:
    """Hash of the .mod names and contents and of NEURON's version: a new key, a new build."""
    import neuron

    digest = hashlib.sha256(f"neuron {neuron.__version__}\n".encode())
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()[:20]


def _suffix(text: str) -> str:
    match = re.search(r"^\s*SUFFIX\s+(\w+)", text, re.MULTILINE)
    if match is None:
        raise ValueError("a .mod text without SUFFIX")
    return match.group(1)


def _build_into(final: Path, texts: Mapping[str, str]) -> None:
    """Build in a fresh private directory, then rename it to `final` (atomic on one filesystem)."""
    work = Path(tempfile.mkdtemp(prefix=final.name + ".build-", dir=final.parent))
    try:
        for name, text in texts.items():
            (work / name).write_text(text, encoding="utf-8")
        done = subprocess.run(["nrnivmodl", *sorted(texts)], cwd=work, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S)
        log = done.stdout + done.stderr
        (work / BUILD_LOG).write_text(log)
        if done.returncode != 0 or _find_library(work) is None:
            raise RuntimeError(f"nrnivmodl failed (exit {done.returncode}) in {work}:\n{log}")
        try:
            os.rename(work, final)
        except OSError:
            if not final.is_dir():  # not a lost race: a real failure
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _find_library(directory: Path) -> Path | None:
    found = sorted(directory.glob("*/libnrnmech.so")) + sorted(directory.glob("*/.libs/libnrnmech.so"))
    return found[0] if found else None


def load(compiled: Build) -> None:
    """Load a build into this process (once); its mechanisms must not exist yet."""
    from neuron import h

    if compiled.library in _loaded:
        return
    clashing = [s for s in compiled.suffixes if h.name_declared(s)]
    if clashing:
        raise RuntimeError(f"NEURON already has mechanisms {clashing}: a library with the same names cannot be "
                           "loaded into this process")
    h.nrn_load_dll(str(compiled.library))
    missing = [s for s in compiled.suffixes if not h.name_declared(s)]
    if missing:
        raise RuntimeError(f"{compiled.library} loaded but {missing} are not defined")
    _loaded[compiled.library] = compiled


# ---------------------------------------------------------------- one compartment


@contextmanager
def _settings(celsius: float, dt: float, ions: Mapping[str, float]) -> Iterator[Any]:
    """`h` with the run's settings; every global changed here is restored on exit."""
    from neuron import h

    h.load_file("stdrun.hoc")
    initial = {initial_global(name): value for name, value in ions.items() if initial_global(name)}
    saved = {"celsius": h.celsius, "dt": h.dt, "secondorder": h.secondorder, "tstop": h.tstop,
             **{name: getattr(h, name) for name in initial}}
    active = h.cvode.active()
    try:
        h.cvode_active(0)
        h.secondorder = 0
        h.celsius = celsius
        h.dt = dt
        for name, value in initial.items():
            setattr(h, name, value)
        yield h
    finally:
        h.cvode_active(active)
        for name, value in saved.items():
            setattr(h, name, value)


def initial_global(name: str) -> str:
    """'cai' -> 'cai0_ca_ion', the concentration NEURON starts a compartment at; '' if not one."""
    ion, side = name[:-1], name[-1:]
    return f"{name}0_{ion}_ion" if ion in IONS and side in ("i", "o") else ""


@contextmanager
def compartment(h: Any, mechanisms: Parameters, ions: Mapping[str, float]) -> Iterator[Any]:
    """A 1000 um2 cylinder, cm = 1 uF/cm2, with `mechanisms` inserted and set; yields its segment."""
    section = h.Section(name="ionc_export_check")
    try:
        section.L = section.diam = DIAMETER_UM
        section.nseg = 1
        section.cm = 1.0
        for suffix, values in mechanisms.items():
            section.insert(suffix)
            mechanism = getattr(section(0.5), suffix)
            for name, value in values.items():
                if not hasattr(mechanism, name):
                    raise AttributeError(f"{suffix} has no RANGE variable {name!r}")
                setattr(mechanism, name, value)
        segment = section(0.5)
        for name, value in ions.items():
            if not hasattr(segment, name):
                raise AttributeError(f"no mechanism inserted uses the ion of {name!r}")
            setattr(segment, name, value)
        yield segment
    finally:
        h.delete_section(sec=section)


def _pointer(segment: Any, name: str) -> Any:
    """'mech.var' (a mechanism's variable) or a segment's ('v', 'cai', 'ica')."""
    if "." in name:
        mechanism, variable = name.split(".", 1)
        return getattr(getattr(segment, mechanism), "_ref_" + variable)
    return getattr(segment, "_ref_" + name)


def current_phase(name: str) -> bool:
    """Whether NEURON computes `name` with the currents (BREAKPOINT): one sample behind the states."""
    base = name.split(".", 1)[-1]
    return base in ("i", "g") or re.fullmatch(r"[ie](na|k|ca|cl)", base) is not None


def _aligned(recorded: Mapping[str, Any], k_total: int) -> dict[str, np.ndarray]:
    """Samples 0..k_total of each trace, the current-phase ones taken one sample later."""
    out = {}
    for name, vector in recorded.items():
        trace = np.array(vector, dtype=float)
        if trace.size != k_total + 2:
            raise RuntimeError(f"expected {k_total + 2} samples of {name}, NEURON recorded {trace.size}")
        out[name] = trace[1:] if current_phase(name) else trace[:-1]
    return out


# ---------------------------------------------------------------- voltage clamp


@dataclass(frozen=True)
class Battery:
    """Steps from `holding` to each command (rows), sampled at t = k dt (columns)."""

    commands: np.ndarray  # mV
    t: np.ndarray  # ms
    v: np.ndarray  # mV, (commands, samples), as NEURON had it
    current: np.ndarray  # uA/cm2, (commands, samples)
    records: dict[str, np.ndarray]  # each recorded variable, (commands, samples)
    clamp_error: float  # mV, the largest |v - intended v|


def voltage_clamp(
    suffix: str,
    mechanisms: Parameters | None = None,
    *,
    current: str = "i",
    record: Sequence[str] = (),
    holding: float = -90.0,
    commands: Sequence[float] = COMMANDS_MV,
    t_hold: float = 2.0,
    t_step: float = 20.0,
    t_tail: float = 0.0,
    dt: float = 0.025,
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
) -> Battery:
    """Clamp a compartment holding `mechanisms` (`suffix` alone, at its defaults, if None) and step it.

    `current` names the variable read as the channel's current: a variable of `suffix`
    ('i') or of the segment ('ina'). `record` adds variables ('suffix.m', 'cai').
    `ions` sets reversal potentials and concentrations ('ena', 'cai', ...) before
    `finitialize(holding)`, which puts the states at their steady state there."""
    mechanisms = dict(mechanisms or {})
    mechanisms.setdefault(suffix, {})
    ions = dict(ions or {})
    k_hold, k_step = whole_steps(t_hold, dt, "t_hold"), whole_steps(t_step, dt, "t_step")
    k_total = k_hold + k_step + whole_steps(t_tail, dt, "t_tail")
    rows: list[dict[str, np.ndarray]] = []
    with _settings(celsius, dt, ions) as h, compartment(h, mechanisms, ions) as segment:
        clamp = h.SEClamp(segment)
        clamp.rs = CLAMP_RS_MOHM
        clamp.dur1, clamp.dur2, clamp.dur3 = t_hold, t_step, t_tail + 10 * dt
        clamp.amp1 = clamp.amp3 = holding
        own = current if "." in current or not hasattr(getattr(segment, suffix), current) else f"{suffix}.{current}"
        names = {"v": "v", "current": own, **{name: name for name in record}}
        vectors = {key: h.Vector().record(_pointer(segment, name)) for key, name in names.items()}
        for command in commands:
            clamp.amp2 = command
            h.finitialize(holding)
            for _ in range(k_total + 1):  # one step more: the currents lag one sample
                h.fadvance()
            rows.append(_aligned({names[key]: vectors[key] for key in names}, k_total))
        del clamp, vectors
    intended = np.full((len(commands), k_total + 1), float(holding))
    intended[:, k_hold + 1:k_hold + k_step + 1] = np.asarray(commands, dtype=float)[:, None]
    v = np.array([row["v"] for row in rows])
    return Battery(
        commands=np.asarray(commands, dtype=float), t=np.arange(k_total + 1) * dt, v=v,
        current=MA_TO_UA * np.array([row[own] for row in rows]),
        records={name: np.array([row[name] for row in rows]) for name in record},
        clamp_error=float(np.max(np.abs(v - intended))),
    )


# ---------------------------------------------------------------- current clamp


@dataclass(frozen=True)
class Run:
    t: np.ndarray  # ms
    v: np.ndarray  # mV
    spikes: tuple[float, ...]  # ms: upward crossings of 0 mV, interpolated linearly
    records: dict[str, np.ndarray]


def spike_times(t: np.ndarray, v: np.ndarray, threshold: float = THRESHOLD_MV) -> list[float]:
    """Upward crossings (v[k-1] < threshold <= v[k]), linearly interpolated between samples."""
    below, above = v[:-1], v[1:]
    k = np.nonzero((below < threshold) & (above >= threshold))[0]
    return [float(x) for x in t[k] + (threshold - below[k]) / (above[k] - below[k]) * (t[k + 1] - t[k])]


def current_clamp(
    mechanisms: Parameters,
    *,
    amplitude: float,
    delay: float,
    duration: float,
    tstop: float,
    v_init: float = -65.0,
    dt: float = 0.025,
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
    record: Sequence[str] = (),
) -> Run:
    """An IClamp of `amplitude` nA into the compartment from `delay` for `duration` ms;
    fixed dt, backward Euler (ionc's `method = backward_euler`)."""
    ions = dict(ions or {})
    n_steps = whole_steps(tstop, dt, "tstop")
    with _settings(celsius, dt, ions) as h, compartment(h, mechanisms, ions) as segment:
        stimulus = h.IClamp(segment)
        stimulus.amp, stimulus.delay, stimulus.dur = amplitude, delay, duration
        vectors = {"v": h.Vector().record(segment._ref_v)}
        vectors.update({name: h.Vector().record(_pointer(segment, name)) for name in record})
        h.tstop = tstop
        h.finitialize(v_init)
        for _ in range(n_steps + 1):  # one step more: current-phase records lag one sample
            h.fadvance()
        traces = _aligned(vectors, n_steps)
        del stimulus, vectors
    t, v = np.arange(n_steps + 1) * dt, traces.pop("v")
    return Run(t=t, v=v, spikes=tuple(spike_times(t, v)), records=traces)


# ---------------------------------------------------------------- ionc against NEURON


@dataclass(frozen=True)
class ClampComparison:
    """One channel's battery in ionc and in NEURON (the exported mechanism)."""

    channel: str
    ionc: np.ndarray  # uA/cm2, (commands, samples)
    neuron: np.ndarray  # uA/cm2
    states: dict[str, float] = field(default_factory=dict)  # per state, the largest |ionc - NEURON|

    @property
    def peak(self) -> float:
        """The largest |current| of the NEURON battery (uA/cm2)."""
        return float(np.max(np.abs(self.neuron)))

    @property
    def difference(self) -> float:
        """The largest |ionc - NEURON| over every sample (uA/cm2)."""
        return float(np.max(np.abs(self.ionc - self.neuron)))

    @property
    def relative(self) -> float:
        """The difference as a fraction of the peak."""
        return self.difference / self.peak if self.peak > 0 else self.difference


def neuron_values(exported: Exported, parameters: Mapping[str, float]) -> dict[str, float]:
    """ionc parameter values (internal units, ionc's names) as the mechanism's RANGE values."""
    out = {}
    for name, value in parameters.items():
        if name not in exported.parameters:
            raise KeyError(f"{exported.suffix} has no parameter {name!r}")
        range_name, factor = exported.parameters[name]
        out[range_name] = value * factor
    return out


def compare_clamp(
    derived: DerivedChannel,
    exported: Exported,
    *,
    celsius: float,
    parameters: Mapping[str, float] | None = None,
    reversals: Mapping[str, float] | None = None,
    concentrations: Mapping[str, float] | None = None,
    holding: float = -90.0,
    commands: Sequence[float] = COMMANDS_MV,
    t_hold: float = 2.0,
    t_step: float = 20.0,
    t_tail: float = 0.0,
    dt: float = 0.025,
) -> ClampComparison:
    """The same voltage-clamp battery in ionc (`ionc.clamp`) and in NEURON (the exported
    mechanism, whose library must be loaded). Parameters in ionc's names and units;
    reversal potentials by ion (mV); concentrations by name ('cai', mM), fixed."""
    from ionc import clamp

    numeric = clamp.numeric_channel(derived, celsius=celsius, parameters=parameters, reversals=reversals,
                                    concentrations=concentrations)
    ours = clamp.voltage_clamp(numeric, commands, holding=holding, t_hold=t_hold, t_step=t_step, t_tail=t_tail,
                               dt=dt)
    given = {f"e{ion}": value for ion, value in (reversals or {}).items()} | dict(concentrations or {})
    ions = {name: value for name, value in given.items() if name in exported.reads}
    states = {name: exported.states[name] for name in numeric.state_names if name in exported.states}
    theirs = voltage_clamp(exported.suffix, {exported.suffix: neuron_values(exported, parameters or {})},
                           record=tuple(states.values()), holding=holding, commands=commands, t_hold=t_hold,
                           t_step=t_step, t_tail=t_tail, dt=dt, celsius=celsius, ions=ions)
    return ClampComparison(
        channel=exported.suffix, ionc=ours.current, neuron=theirs.current,
        states={name: float(np.max(np.abs(ours.states[name] - theirs.records[record])))
                for name, record in states.items()},
    )
