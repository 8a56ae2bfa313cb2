"""NEURON references for the channel library of issue 5: the mechanisms of nmodl/,
compiled once, loaded once, and run in one isopotential compartment.

* ``load_library()`` compiles every ``nmodl/*.mod`` with ``nrnivmodl`` into a
  cache directory named by a hash of the files' contents (and NEURON's
  version) under ``tempfile.gettempdir()``, then loads it with
  ``h.nrn_load_dll``, once per process. The build happens in a private
  directory that is renamed into place when complete, so parallel sessions
  never see a half-built library; the loser of a race uses the winner's.
* ``voltage_clamp_battery()`` steps a compartment from a holding potential to
  each command (-100..+40 mV by default) and returns, per step, the channel's
  current density and its gate states, sample by sample.
* ``current_clamp()`` injects an IClamp pulse and returns v and the spike
  times (upward 0 mV crossings, linearly interpolated between samples).
* ``gate_curves()`` / ``gate_curves_vs_cai()`` read the ``*inf``/``*tau``
  RANGE variables a mechanism computes in its INITIAL block.

The compartment is a cylinder with L = diam = 17.841242 um (area 1000 um2),
cm = 1 uF/cm2, nseg = 1; fixed dt, backward Euler (``secondorder = 0``).

How the clamp is made exact. A SEClamp with rs = 1e-15 MOhm (conductance 1e11
S/cm2 on this area): the linearised backward-Euler solve then leaves v within
I/G of the command, about 1e-13 mV for channel currents of a few mA/cm2; the
first sample after a switch carries up to ~2e-9 mV of rounding (measured,
NEURON 9.0.2; a larger rs trades it for I rs). Each battery reports the
largest deviation it saw from the intended v (``clamp_error``). The
command switches where NEURON evaluates it, at t + dt/2: with hold and step
durations that are multiples of dt, sample k (t = k dt) has v = holding for
k <= K1 = t_hold/dt, v = command for K1 < k <= K2 = (t_hold + t_step)/dt, and
v = holding again after K2 (the tail).

How the samples line up. In a fixed step NEURON evaluates BREAKPOINT (the
currents, and with them the ions' reversal potentials) with v and the states
of the start of the step, then solves for v, then advances the states. A
recorded current is therefore one sample behind the recorded v and states.
Both runs take one step more than asked and shift every current-phase
variable back one sample (the channel's current, 'i' and 'g' of any
mechanism, the ion totals 'ina', 'ik', 'ica' and reversals 'ena', 'ek',
'eca'), so that sample k of every trace belongs to the same instant:
``current[k]`` is the current of ``v[k]`` and the states at sample k (tested:
for ref_tm_k, current == gbar n^4 (v - ek) to rounding; eca == Nernst(cai)).

Every NEURON global a call changes (celsius, dt, secondorder, tstop, CVODE and
the ion-concentration defaults such as cai0_ca_ion) is restored when it
returns, and the section it built is deleted. Import only after
``pytest.importorskip("neuron")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from ionc.clamp import whole_steps
from ionc.export import neuron as neuron_build
from ionc.export.neuron import spike_times
from neuron_reference import neuron_globals  # the NEURON settings guard

NMODL_DIR = Path(__file__).resolve().parent / "nmodl"

HOLDING_MV = -90.0
COMMANDS_MV = tuple(float(c) for c in range(-100, 50, 10))  # -100, -90, ..., +40
DT_MS = 0.025
CLAMP_RS_MOHM = 1e-15
THRESHOLD_MV = 0.0

IONS = ("na", "k", "ca")  # NEURON's predefined ions, whose concentrations have '<name>0_<ion>_ion' defaults

Parameters = Mapping[str, Mapping[str, float]]  # mechanism SUFFIX -> {RANGE name: value}


# ---------------------------------------------------------------- building and loading


@dataclass(frozen=True)
class Library:
    """The compiled nmodl/ folder."""

    directory: Path  # the cache directory (holds the .mod copies, the build and the log)
    dll: Path  # libnrnmech.so
    log: str  # nrnivmodl's stdout and stderr
    mechanisms: tuple[str, ...]  # the SUFFIX of every .mod file, sorted


_loaded: Library | None = None


def mod_files(nmodl_dir: Path = NMODL_DIR) -> list[Path]:
    return sorted(nmodl_dir.glob("*.mod"))


def suffix_of(mod: Path) -> str:
    match = re.search(r"^\s*SUFFIX\s+(\w+)", mod.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"{mod}: no SUFFIX")
    return match.group(1)


def state_names(suffix: str, nmodl_dir: Path = NMODL_DIR) -> tuple[str, ...]:
    """The STATE variables of a mechanism, in declaration order (read from its .mod file)."""
    for mod in mod_files(nmodl_dir):
        if suffix_of(mod) == suffix:
            block = re.search(r"^STATE\s*\{(.*?)\}", mod.read_text(), re.MULTILINE | re.DOTALL)
            if block is None:
                return ()
            text = re.sub(r"\(.*?\)", " ", block.group(1))  # drop units
            return tuple(re.findall(r"[A-Za-z_]\w*", text))
    raise KeyError(f"no mechanism {suffix!r} in {nmodl_dir}")


def build_library(nmodl_dir: Path = NMODL_DIR) -> Library:
    """Compile nmodl_dir with nrnivmodl unless the cache already holds this exact set (the
    package's builder: `ionc.export.neuron.build`, keyed by the files' names and contents)."""
    files = mod_files(nmodl_dir)
    if not files:
        raise FileNotFoundError(f"no .mod files in {nmodl_dir}")
    compiled = neuron_build.build({mod.name: mod.read_text() for mod in files})
    return Library(directory=compiled.directory, dll=compiled.library, log=compiled.log,
                   mechanisms=compiled.suffixes)


def load_library(nmodl_dir: Path = NMODL_DIR) -> Library:
    """Build (or find) the library and load it into this process; later calls return it."""
    global _loaded
    if _loaded is not None:
        return _loaded
    library = build_library(nmodl_dir)
    from neuron import h

    if not all(h.name_declared(suffix) for suffix in library.mechanisms):
        h.nrn_load_dll(str(library.dll))
    missing = [suffix for suffix in library.mechanisms if not h.name_declared(suffix)]
    if missing:
        raise RuntimeError(f"{library.dll} loaded but {missing} are not defined")
    _loaded = library
    return library


def build_warnings(log: str) -> list[str]:
    """Lines of an nrnivmodl log that warn or complain (nocmodl's and the C++ compiler's)."""
    return [line for line in log.splitlines() if re.search(r"warning|notice|error", line, re.IGNORECASE)]


# ---------------------------------------------------------------- one compartment


@contextmanager
def _neuron(celsius: float, dt: float, ions: Mapping[str, float]) -> Iterator[Any]:
    """`h` with the run settings applied; every global changed here is restored on exit."""
    with neuron_globals() as h:
        initial = {neuron_build.initial_global(name): value for name, value in ions.items() if neuron_build.initial_global(name)}
        saved = {name: getattr(h, name) for name in initial}
        try:
            h.cvode_active(0)
            h.secondorder = 0
            h.celsius = celsius
            h.dt = dt
            for name, value in initial.items():
                setattr(h, name, value)
            yield h
        finally:
            for name, value in saved.items():
                setattr(h, name, value)


def _pointer(segment: Any, name: str, channel: str | None = None) -> Any:
    """A NEURON pointer for `name`: 'mech.var', a variable of `channel`, or of the segment
    ('v', 'cai', 'eca', 'ica': the ion's totals and concentrations)."""
    if "." in name:
        mech, var = name.split(".", 1)
        return getattr(getattr(segment, mech), "_ref_" + var)
    if channel is not None and hasattr(getattr(segment, channel), name):
        return getattr(getattr(segment, channel), "_ref_" + name)
    return getattr(segment, "_ref_" + name)


# ---------------------------------------------------------------- voltage clamp


@dataclass(frozen=True)
class ClampStep:
    """One command of a battery; all arrays have one entry per sample t = k dt."""

    command: float  # mV
    t: np.ndarray  # ms
    v: np.ndarray  # mV, as NEURON had it
    current: np.ndarray  # mA/cm2, the channel's current at (v[k], states at k)
    states: dict[str, np.ndarray]  # the requested states and records


@dataclass(frozen=True)
class ClampBattery:
    """Steps from `holding` to each command, from t_hold for t_step, then back to `holding`."""

    channel: str
    current_name: str
    holding: float  # mV
    t_hold: float  # ms, the step starts after this
    t_step: float  # ms
    celsius: float
    dt: float
    steps: tuple[ClampStep, ...]
    clamp_error: float  # mV, max |v - intended v| over every sample of every step
    settings: dict[str, Any] = field(default_factory=dict)

    def at(self, command: float) -> ClampStep:
        for step in self.steps:
            if abs(step.command - command) < 1e-9:
                return step
        raise KeyError(f"no step to {command} mV")

    def during_step(self, step: ClampStep) -> np.ndarray:
        """Mask of the samples at the command (k = K1 + 1 .. K2)."""
        k = np.arange(len(step.t))
        first = round(self.t_hold / self.dt)
        return (k > first) & (k <= first + round(self.t_step / self.dt))

    def peak(self, command: float) -> float:
        """The current of largest magnitude while at `command` (signed, mA/cm2)."""
        step = self.at(command)
        during = step.current[self.during_step(step)]
        return float(during[np.argmax(np.abs(during))])


def voltage_clamp_battery(
    channel: str,
    mechanisms: Parameters | None = None,
    *,
    current: str = "i",
    states: Sequence[str] | None = None,
    record: Sequence[str] = (),
    holding: float = HOLDING_MV,
    commands: Sequence[float] = COMMANDS_MV,
    t_hold: float = 2.0,
    t_step: float = 20.0,
    t_tail: float = 0.0,
    dt: float = DT_MS,
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
) -> ClampBattery:
    """Clamp a compartment holding `mechanisms` (the channel's defaults if None) and step it.

    `current` is read from `channel` ('i' by default: every library channel keeps its
    own current density there; 'ina' etc. read the segment's total of that ion).
    `states` defaults to the channel's STATE variables; `record` adds any other
    variables ('cai', 'eca', 'ref_ms_cad.influx'). `ions` sets reversal potentials
    and concentrations ('ena', 'ek', 'cai', 'cao', ...) before initialisation.
    Each command starts from h.finitialize(holding): the states are at their
    steady state for the holding potential (and the concentrations given).
    """
    load_library()
    mechanisms = dict(mechanisms) if mechanisms is not None else {}
    mechanisms.setdefault(channel, {})
    ions = dict(ions or {})
    names = list(state_names(channel) if states is None else states) + list(record)
    k_hold = whole_steps(t_hold, dt, "t_hold")
    k_step = whole_steps(t_step, dt, "t_step")
    k_total = k_hold + k_step + whole_steps(t_tail, dt, "t_tail")
    with _neuron(celsius, dt, ions) as h, neuron_build.compartment(h, mechanisms, ions) as segment:
        clamp = h.SEClamp(segment)
        clamp.rs = CLAMP_RS_MOHM
        clamp.dur1, clamp.dur2, clamp.dur3 = t_hold, t_step, t_tail + 10 * dt
        clamp.amp1 = clamp.amp3 = holding
        vectors = {"v": h.Vector().record(segment._ref_v),
                   "current": h.Vector().record(_pointer(segment, current, channel))}
        vectors.update({name: h.Vector().record(_pointer(segment, name, channel)) for name in names})
        steps, error = [], 0.0
        for command in commands:
            clamp.amp2 = command
            h.finitialize(holding)
            for _ in range(k_total + 1):  # one step more: the current lags one sample
                h.fadvance()
            step = _clamp_step(command, vectors, names, k_total, dt)
            intended = np.full(k_total + 1, holding)
            intended[k_hold + 1:k_hold + k_step + 1] = command
            error = max(error, float(np.max(np.abs(step.v - intended))))
            steps.append(step)
        del clamp, vectors
    return ClampBattery(
        channel=channel, current_name=current, holding=holding, t_hold=t_hold, t_step=t_step,
        celsius=celsius, dt=dt, steps=tuple(steps), clamp_error=error,
        settings={"mechanisms": mechanisms, "ions": ions, "t_tail": t_tail},
    )


def _clamp_step(command: float, vectors: Mapping[str, Any], names: Sequence[str], k_total: int,
                dt: float) -> ClampStep:
    aligned = _aligned({name: np.array(vector, dtype=float) for name, vector in vectors.items()}, k_total)
    return ClampStep(
        command=float(command), t=np.arange(k_total + 1) * dt, v=aligned["v"], current=aligned["current"],
        states={name: aligned[name] for name in names},
    )


def _aligned(recorded: Mapping[str, np.ndarray], k_total: int) -> dict[str, np.ndarray]:
    """Samples 0..k_total of each trace: current-phase ones taken one sample later (see above)."""
    out = {}
    for name, trace in recorded.items():
        if len(trace) != k_total + 2:
            raise RuntimeError(f"expected {k_total + 2} samples of {name}, NEURON recorded {len(trace)}")
        late = name == "current" or neuron_build.current_phase(name)
        out[name] = trace[1:] if late else trace[:-1]
    return out


# ---------------------------------------------------------------- current clamp


@dataclass(frozen=True)
class CurrentClampRun:
    t: np.ndarray  # ms
    v: np.ndarray  # mV
    spikes: tuple[float, ...]  # ms, upward crossings of THRESHOLD_MV
    records: dict[str, np.ndarray]  # the requested variables, sampled with t


def current_clamp(
    mechanisms: Parameters,
    *,
    amplitude: float,
    delay: float,
    duration: float,
    tstop: float,
    v_init: float = -65.0,
    dt: float = DT_MS,
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
    record: Sequence[str] = (),
) -> CurrentClampRun:
    """An IClamp of `amplitude` nA at the compartment from `delay` for `duration` ms.

    `record` names variables as in the battery, 'mech.var' for a mechanism's
    ('ref_release.flux') or a segment variable ('cai'); samples are at t = k dt,
    k = 0 .. tstop/dt, current-phase ones aligned as in the battery.
    """
    load_library()
    ions = dict(ions or {})
    n_steps = whole_steps(tstop, dt, "tstop")
    with _neuron(celsius, dt, ions) as h, neuron_build.compartment(h, mechanisms, ions) as segment:
        stim = h.IClamp(segment)
        stim.amp, stim.delay, stim.dur = amplitude, delay, duration
        vectors = {"v": h.Vector().record(segment._ref_v)}
        vectors.update({name: h.Vector().record(_pointer(segment, name)) for name in record})
        h.tstop = tstop
        h.finitialize(v_init)
        for _ in range(n_steps + 1):  # one step more: current-phase records lag one sample
            h.fadvance()
        traces = _aligned({name: np.array(vector, dtype=float) for name, vector in vectors.items()}, n_steps)
        del stim, vectors
    t, v = np.arange(n_steps + 1) * dt, traces.pop("v")
    return CurrentClampRun(t=t, v=v, spikes=tuple(spike_times(t, v)), records=traces)


# ---------------------------------------------------------------- steady states and time constants


def gate_curve_names(channel: str) -> tuple[str, ...]:
    """The RANGE variables of `channel` ending in 'inf' or 'tau' (minf, mtau, ...)."""
    load_library()
    from neuron import h

    sec = h.Section(name="ionc_channel_names")
    try:
        sec.insert(channel)
        tail = "_" + channel
        names = [var.name()[: -len(tail)] for var in getattr(sec(0.5), channel)]
    finally:
        h.delete_section(sec=sec)
    return tuple(name for name in names if name.endswith(("inf", "tau")))


def gate_curves(
    channel: str,
    params: Mapping[str, float] | None = None,
    *,
    v: Sequence[float] = tuple(float(x) for x in range(-100, 41)),
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Each '*inf'/'*tau' variable of `channel` against v (as set by its INITIAL block)."""
    points = [(float(x), dict(ions or {})) for x in v]
    return _curves(channel, params or {}, points, celsius)


def gate_curves_vs_cai(
    channel: str,
    params: Mapping[str, float] | None = None,
    *,
    cai: Sequence[float],
    v: float = 0.0,
    celsius: float = 6.3,
    ions: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Each '*inf'/'*tau' variable of `channel` against cai (mM) at a fixed v."""
    points = [(v, {**(ions or {}), "cai": float(c)}) for c in cai]
    return _curves(channel, params or {}, points, celsius)


def _curves(channel: str, params: Mapping[str, float], points: Sequence[tuple[float, dict[str, float]]],
            celsius: float) -> dict[str, np.ndarray]:
    names = gate_curve_names(channel)
    values: dict[str, list[float]] = {name: [] for name in names}
    all_ions = {key: value for _, ions in points for key, value in ions.items()}
    with _neuron(celsius, DT_MS, all_ions) as h, neuron_build.compartment(h, {channel: params}, all_ions) as segment:
        mech = getattr(segment, channel)
        for v, ions in points:
            for name, value in ions.items():
                setattr(segment, name, value)
                if neuron_build.initial_global(name):
                    setattr(h, neuron_build.initial_global(name), value)
            h.finitialize(v)
            for name in names:
                values[name].append(float(getattr(mech, name)))
    return {name: np.array(series) for name, series in values.items()}


# ---------------------------------------------------------------- a library channel against its reference


CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"


@dataclass(frozen=True)
class ClampCase:
    """One ionc channel of models/channels, its NEURON reference, and the conditions of its battery."""

    file: str  # in models/channels/
    channel: str
    reference: str  # the SUFFIX in nmodl/
    celsius: float  # the model's own temperature (docs/channel_library.md)
    reversals: dict[str, float] = field(default_factory=dict)  # ion -> mV (the papers' cell values)
    params: dict[str, float] = field(default_factory=dict)  # ionc names, internal units
    neuron_params: dict[str, float] = field(default_factory=dict)  # the same values, NEURON's names and units
    holding: float = -100.0  # mV
    t_step: float = 20.0  # ms
    concentrations: dict[str, float] = field(default_factory=dict)  # 'cai' -> mM, fixed

    @property
    def ions(self) -> dict[str, float]:
        return {**{f"e{ion}": value for ion, value in self.reversals.items()}, **self.concentrations}


@cache
def derived_channel(file: str, channel: str) -> Any:
    from ionc import clamp

    return clamp.load_channel(CHANNELS / f"{file}.ionc", channel)


def numeric_of(case: ClampCase, concentrations: dict[str, float] | None = None) -> Any:
    """The case's channel with its parameters, reversals and concentrations, ready to clamp."""
    from ionc import clamp

    return clamp.numeric_channel(derived_channel(case.file, case.channel), celsius=case.celsius,
                                 parameters=case.params, reversals=case.reversals,
                                 concentrations=concentrations or case.concentrations)


def assert_clamp_matches(name: str, case: ClampCase, tolerance_of_peak: float) -> None:
    """The battery (steps from case.holding to COMMANDS_MV) in ionc and in NEURON on the reference:
    the same v, and currents within `tolerance_of_peak` of NEURON's peak |current|."""
    from ionc import clamp

    ours = clamp.voltage_clamp(numeric_of(case), COMMANDS_MV, holding=case.holding, t_step=case.t_step, dt=DT_MS)
    theirs = voltage_clamp_battery(case.reference, {case.reference: case.neuron_params}, holding=case.holding,
                                   commands=COMMANDS_MV, t_step=case.t_step, dt=DT_MS, celsius=case.celsius,
                                   ions=case.ions)
    reference = 1e3 * np.array([step.current for step in theirs.steps])  # mA/cm2 -> uA/cm2
    assert ours.current.shape == reference.shape
    np.testing.assert_allclose(ours.v, np.array([step.v for step in theirs.steps]), rtol=0, atol=1e-6)
    peak = float(np.max(np.abs(reference)))
    assert peak > 0.0
    worst = float(np.max(np.abs(ours.current - reference)))
    assert worst <= tolerance_of_peak * peak, (
        f"{name}: max |ionc - NEURON| = {worst:.3g} uA/cm2, {worst / peak:.2e} of the peak {peak:.4g} uA/cm2"
    )
