"""`ionc export FILE --to nmodl -o DIR` (issue 6, item 1) and the first checks of item 4.

Without NEURON: every channel and pool of models/channels/ exports; the .mod files
say what the channel is (USEION, NONSPECIFIC_CURRENT, SOLVE ... METHOD, KINETIC with
CONSERVE, INITIAL), give parameters in NEURON's units and cite the model's lines;
the command refuses to overwrite without --force and reports model mistakes as
diagnostics (exit 2, never a traceback).

With NEURON (marked `neuron`): every export of models/channels/ and of
tests/export/models/awkward.ionc is compiled by nrnivmodl in one build per session (a
directory named by the hash of the texts, as tests/channels/neuron_harness.py
does), which must print no warning; then
(a) each exported mechanism and its ionc channel run the same voltage-clamp
    battery (steps from -100 mV to -100 .. +40 mV and back, dt = 0.025 ms):
    `ionc.clamp` from the derived equations against `ionc.export.neuron` on the
    .mod file: currents within 1% of the peak (issue 6's criterion) and every
    state within 1e-6 (measured: currents within 3e-10 of the peak, the
    Markov scheme's; the others within 5e-11);
(b) firing compartments, ionc's `run_simulation` against NEURON with the exported
    mechanisms, backward Euler at the same dt: spike times within 0.05 ms
    (measured: < 1e-11 ms); with the pool and the release readout, cai within 1e-6
    of its peak (measured: 1e-11) and the readout's n within 5e-3 (measured:
    2.5e-3): NEURON steps release.n with the pool's new cai, ionc with the
    value at the step's start (found from the recorded traces: each side's n is
    the exact step with its cai to 1e-16). That is the semantics of the two
    simulators, not of the export; tests/channels/test_presynaptic_terminal.py
    meets the same difference with the hand-written references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ionc.cli import main
from ionc.export.nmodl import Exported, export_file
from ionc.pipeline import derive_channels, front_end
from ionc.symbolic.derive import DerivedChannel

REPO = Path(__file__).resolve().parents[2]
CHANNELS = REPO / "models" / "channels"
AWKWARD = Path(__file__).resolve().parent / "models" / "awkward.ionc"
CHANNEL_FILES = sorted(CHANNELS.glob("*.ionc"))
SOURCES = (*CHANNEL_FILES, AWKWARD)

CLAMP_TOL_OF_PEAK = 0.01  # issue 6: currents within 1% of the peak (measured: < 3e-10)
STATE_TOL = 1e-6  # gate states and occupancies, absolute (measured: < 2e-9)
SPIKE_TOL_MS = 0.05  # issue 6: spike times within 0.05 ms at the same dt (measured: < 1e-11 ms)
DT_MS = 0.025
EXIT_MODEL_ERROR = 2

FIXTURES = ("awkward", "ca_leak", "functions", "ghk_k")
LIBRARY = ("bk", "cad", "cat", "cs_a", "cs_k", "cs_na", "hh_k", "hh_na", "hva", "ih", "kv31", "leak", "ms_ca",
           "ms_kca", "ms_km", "ms_kv", "ms_na", "na_markov", "release", "sk", "tm_k", "tm_na")


@pytest.fixture(scope="module")
def exported() -> dict[str, Exported]:
    """Every channel and pool of models/channels/ and of the fixture file, exported."""
    found = {e.suffix: e for path in SOURCES for e in export_file(path)}
    assert len(found) == len(LIBRARY) + len(FIXTURES)  # the names are unique across the files
    return found


@pytest.fixture(scope="module")
def derived() -> dict[str, DerivedChannel]:
    out: dict[str, DerivedChannel] = {}
    for path in SOURCES:
        out |= derive_channels(front_end(path).channels)
    return out


# ---------------------------------------------------------------- what the files say


def block(text: str, name: str) -> str:
    """The body of the NMODL block `name` ('NEURON', 'BREAKPOINT', 'KINETIC scheme')."""
    match = re.search(rf"^{re.escape(name)} *[^\n{{]*\{{\n(.*?)^\}}", text, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no {name} block"
    return match.group(1)


def test_every_library_channel_and_pool_exports(exported: dict[str, Exported]) -> None:
    assert set(LIBRARY) <= set(exported)
    for name in LIBRARY:
        text = exported[name].text
        assert f"SUFFIX {name}\n" in block(text, "NEURON")
        for section in ("UNITS", "PARAMETER", "ASSIGNED", "BREAKPOINT", "INITIAL"):
            block(text, section)
        assert "ENDCOMMENT" in text and text.count("ENDCOMMENT") == 1


USES = {  # what the NEURON block declares, per kind of channel
    "tm_na": ["USEION na READ ena WRITE ina"],
    "cs_a": ["USEION k WRITE ik"],  # its own e: it reads no ek
    "ms_ca": ["USEION ca WRITE ica"],  # its own 140 mV
    "hva": ["USEION ca READ eca WRITE ica"],
    "cat": ["USEION ca READ cai, cao WRITE ica"],  # GHK: concentrations, no reversal
    "bk": ["USEION k READ ek WRITE ik", "USEION ca READ cai"],
    "cad": ["USEION ca READ ica WRITE cai"],  # the pool
    "release": ["USEION ca READ cai", "NONSPECIFIC_CURRENT i"],
    "ih": ["NONSPECIFIC_CURRENT i"],
    "leak": ["NONSPECIFIC_CURRENT i"],
    "ca_leak": ["USEION ca READ cai", "NONSPECIFIC_CURRENT i"],
}


@pytest.mark.parametrize("name", USES)
def test_neuron_block_reads_and_writes_what_the_equations_use(name: str, exported: dict[str, Exported]) -> None:
    lines = [line.strip() for line in block(exported[name].text, "NEURON").splitlines()]
    uses = [line for line in lines if line.startswith(("USEION", "NONSPECIFIC_CURRENT"))]
    assert uses == USES[name]


def test_gates_pools_and_schemes_are_solved_as_ionc_solves_them(exported: dict[str, Exported]) -> None:
    tm_na = exported["tm_na"].text
    assert "SOLVE states METHOD cnexp" in block(tm_na, "BREAKPOINT")
    assert "m' = (minf - m)/mtau" in block(tm_na, "DERIVATIVE states")
    assert re.search(r"rates\(\)\n\s+m = minf\n\s+h = hinf", block(tm_na, "INITIAL"))
    markov = exported["na_markov"].text
    assert "SOLVE scheme METHOD sparse" in block(markov, "BREAKPOINT")
    assert "SOLVE scheme STEADYSTATE sparse" in block(markov, "INITIAL")
    kinetic = block(markov, "KINETIC scheme")
    assert kinetic.count("~ ") == 17 and "~ C5 <-> O (phi*rate_C5_O, phi*rate_O_C5)" in kinetic
    assert "CONSERVE C1 + C2 + C3 + C4 + C5 + O + B + I1 + I2 + I3 + I4 + I5 + I6 = 1" in kinetic
    assert "phi = 3^((celsius - 22)/10)" in kinetic
    pool = exported["cad"].text
    assert "cai' = (cai_inf - cai)/cai_tau" in block(pool, "DERIVATIVE states")
    initial = block(pool, "INITIAL")
    assert "cell's inside concentration" in initial and "=" not in initial  # no assignment: NEURON's value
    release = exported["release"].text  # an ODE gate: at its steady state, from the derived equations
    assert "n = ninf" in block(release, "INITIAL")


def test_parameters_are_in_neuron_units_and_cite_the_model(exported: dict[str, Exported]) -> None:
    parameters = block(exported["tm_na"].text, "PARAMETER")
    assert re.search(r"gbar = 0\.1 \(S/cm2\)\s+: gbar = 100 mS/cm2 \(traub_miles\.ionc:18\)", parameters)
    assert re.search(r"vt = -63 \(mV\)\s+: vt = -63 mV \(traub_miles\.ionc:19\)", parameters)
    assert "pbar = 0.0002 (cm/s)" in block(exported["cat"].text, "PARAMETER")
    pool = block(exported["cad"].text, "PARAMETER")
    assert "depth = 0.1 (um)" in pool and "cainf = 0.0001 (mM)" in pool
    assert "ra = 0.01 (/ms-mM)" in block(exported["ms_kca"].text, "PARAMETER")
    assert exported["tm_na"].parameters == {"gbar": ("gbar", 1e-3), "vt": ("vt", 1.0)}
    breakpoint_ = block(exported["tm_na"].text, "BREAKPOINT")
    assert "g = gbar*h*m^3" in breakpoint_ and "i = g*(v - ena)" in breakpoint_ and "ina = i" in breakpoint_


def test_rates_cite_their_lines_and_guard_their_singularities(exported: dict[str, Exported]) -> None:
    rates = block(exported["tm_na"].text, "PROCEDURE rates()")
    assert ": alpha = 0.32 /ms/mV * (13 mV - x) / (exp((13 mV - x) / 4 mV) - 1) (traub_miles.ionc:24)" in rates
    assert "phi = 3^((celsius - 36)/10)" in rates
    # the 0/0 at x = 13 mV: its exact limit (1.28 /ms) and slope within 1e-6 mV, the expression elsewhere
    assert "if (fabs(v - vt - 13) < 1e-06) {\n        alpha_m = 1.28 + 0.16*(v - vt - 13)" in rates
    assert "alpha_m = 0.32*(vt + 13 - v)/(exp((vt + 13 - v)/4) - 1)" in rates
    cat = exported["cat"].text
    assert "FUNCTION efun(x)" in cat and "efun = 1 + x/2 + x*x/12" in block(cat, "FUNCTION efun(x)")
    assert "xi = 23.209036242731713*v/(celsius + 273.15)" in block(cat, "BREAKPOINT")
    tau_h = block(cat, "PROCEDURE rates()")
    assert re.search(r"if \(v \+ shift < -80\) \{\n\s+branch = ", tau_h)  # the published discontinuity


def test_reserved_names_are_renamed_and_said_so(exported: dict[str, Exported]) -> None:
    text = exported["awkward"].text
    parameters = block(text, "PARAMETER")
    assert "area_ = 10 (mV)" in parameters and "renamed: NMODL cannot use 'area'" in parameters
    assert "double_ = -40 (mV)" in parameters
    assert exported["awkward"].parameters["area"] == ("area_", 1.0)
    assert "phi_n = 3^((celsius - 22)/10)" in block(text, "PROCEDURE rates()")  # the gate's own q10
    assert "phi_gbar = 2^((celsius - 20)/10)" in block(text, "BREAKPOINT")  # the conductance's
    assert exported["na_markov"].parameters["gamma"] == ("gamma", 1.0)  # not reserved: kept
    # nocmodl declares y0 for a STATE y: C's Bessel function y0, so the gate is renamed
    assert "y_ (1)    : gate y (awkward.ionc:43); renamed: NMODL cannot use 'y'" in block(exported["functions"].text,
                                                                                           "STATE")
    assert exported["functions"].states == {"y": "functions.y_"}
    ghk = exported["ghk_k"].text  # a parameter named like the GHK function: the function is renamed
    assert "efun = 2 (1)" in block(ghk, "PARAMETER") and "FUNCTION efun2(x)" in ghk and "efun2(xi)" in ghk


def test_export_is_deterministic() -> None:
    first = [e.text for e in export_file(CHANNELS / "hh.ionc")]
    assert first == [e.text for e in export_file(CHANNELS / "hh.ionc")]


# ---------------------------------------------------------------- the command


def test_cli_writes_one_file_per_channel_and_pool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mod"
    assert main(["export", str(REPO / "models/cells/presynaptic_terminal.ionc"), "--to", "nmodl", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.mod" for n in ("hh_na", "hh_k", "leak", "hva", "cad", "release"))
    assert capsys.readouterr().out.count("wrote ") == 6
    assert main(["export", str(CHANNELS / "traub_miles.ionc"), "--to", "nmodl", "-o", str(out), "--channel", "tm_k"]) == 0
    assert (out / "tm_k.mod").exists() and not (out / "tm_na.mod").exists()


def test_cli_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "hh_na.mod"
    target.write_text("mine")
    args = ["export", str(CHANNELS / "hh.ionc"), "--to", "nmodl", "-o", str(tmp_path)]
    assert main(args) == EXIT_MODEL_ERROR
    err = capsys.readouterr().err
    assert f"{target} exists; use --force to overwrite" in err
    assert target.read_text() == "mine" and not (tmp_path / "hh_k.mod").exists()  # nothing written
    assert main([*args, "--force"]) == 0
    assert target.read_text().startswith("TITLE hh_na")


@pytest.mark.parametrize(("text", "expected"), [
    ("channel k { ion k; gbar = 36 mS }\n", "error[E301]: 'gbar' must be conductance density"),
    ("channel k {\n    ion k\n    gbar = 1 mS/cm2\n    gate n { alpha = 1 /ms / (1 - exp(-(v + 40 mV) / 10 mV)); beta = 1 /ms }\n}\n",
     "error[E401]: this rate is infinite at v = -40 mV"),
    ("channel hh { nonspecific; g = 1 mS/cm2; e = 0 mV }\n", "error[E206]: NEURON has a built-in mechanism 'hh'"),
    ("channel area { nonspecific; g = 1 mS/cm2; e = 0 mV }\n", "error[E206]: NMODL reserves the name 'area'"),
    ("channel k { ion k\n", "error[E101]"),
])
def test_cli_model_mistakes_are_diagnostics(text: str, expected: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "bad.ionc"
    model.write_text(text)
    assert main(["export", str(model), "--to", "nmodl", "-o", str(tmp_path / "out")]) == EXIT_MODEL_ERROR
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert f"--> {model}:" in err  # file:line:col
    assert not (tmp_path / "out").exists()


def test_cli_unknown_channel_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--to", "nmodl", "-o", str(tmp_path / "out")]
    assert main(["export", str(CHANNELS / "hh.ionc"), *args, "--channel", "hh_kk"]) == EXIT_MODEL_ERROR
    assert "error[E200]: no channel or pool named 'hh_kk'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.ionc"), *args]) == EXIT_MODEL_ERROR
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["export", str(CHANNELS / "hh.ionc"), "--to", "nmodl", "-o", str(tmp_path / "file")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


# ---------------------------------------------------------------- in NEURON


@pytest.fixture(scope="module")
def library(exported: dict[str, Exported]) -> Any:
    """Every export compiled (once per set of texts) and loaded into this process."""
    pytest.importorskip("neuron")
    from ionc.export import neuron as nrn

    built = nrn.build(list(exported.values()))
    nrn.load(built)
    return built


@pytest.mark.neuron
def test_exports_compile_without_warnings(library: Any) -> None:
    assert set(LIBRARY) | set(FIXTURES) == set(library.suffixes)
    assert library.warnings() == [], "\n".join(library.warnings())


@dataclass(frozen=True)
class ClampCase:
    channel: str
    celsius: float
    reversals: dict[str, float] = field(default_factory=dict)
    concentrations: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)  # ionc names and units
    holding: float = -100.0
    t_step: float = 20.0


CAI_1UM = {"cai": 1e-3}
CLAMP_CASES = {c.channel if not c.parameters else f"{c.channel} {c.parameters}": c for c in (
    ClampCase("hh_na", 6.3, {"na": 50.0}), ClampCase("hh_k", 6.3, {"k": -77.0}), ClampCase("leak", 6.3),
    ClampCase("tm_na", 36.0, {"na": 50.0}), ClampCase("tm_k", 36.0, {"k": -90.0}),
    ClampCase("tm_k", 36.0, {"k": -90.0}, parameters={"vt": -55.0, "gbar": 20.0}),
    ClampCase("cs_na", 18.0, {"na": 55.0}), ClampCase("cs_k", 18.0, {"k": -72.0}), ClampCase("cs_a", 18.0),
    ClampCase("ms_na", 37.0, {"na": 60.0}), ClampCase("ms_na", 30.0, {"na": 60.0}, parameters={"vshift": -10.0}),
    ClampCase("ms_kv", 37.0, {"k": -90.0}), ClampCase("ms_km", 37.0, {"k": -90.0}, t_step=200.0),
    ClampCase("kv31", 34.0, {"k": -90.0}), ClampCase("ih", 34.0, holding=-40.0, t_step=200.0),
    ClampCase("ms_ca", 37.0), ClampCase("ms_kca", 37.0, {"k": -90.0}, CAI_1UM),
    ClampCase("hva", 34.0, {"ca": 120.0}, t_step=100.0), ClampCase("sk", 34.0, {"k": -90.0}, CAI_1UM),
    ClampCase("bk", 34.0, {"k": -90.0}, CAI_1UM), ClampCase("bk", 22.0, {"k": -90.0}, {"cai": 1e-2}, {"d1": 0.7}),
    ClampCase("cat", 36.0, concentrations={"cai": 5e-5, "cao": 2.0}),
    ClampCase("na_markov", 22.0, {"na": 50.0}), ClampCase("na_markov", 35.0, {"na": 50.0}, parameters={"epsilon": 0.5}),
    ClampCase("release", 6.3, concentrations={"cai": 1e-2}),
    ClampCase("awkward", 30.0, {"k": -90.0}), ClampCase("awkward", 15.0, {"k": -90.0}, parameters={"area": 8.0, "double": -45.0}),
    ClampCase("ca_leak", 20.0, concentrations=CAI_1UM), ClampCase("functions", 20.0),
    ClampCase("functions", 20.0, parameters={"width": 7.0}), ClampCase("ghk_k", 25.0),
)}


@pytest.mark.neuron
@pytest.mark.parametrize("name", CLAMP_CASES)
def test_voltage_clamp_agrees_with_ionc(name: str, library: Any, exported: dict[str, Exported],
                                        derived: dict[str, DerivedChannel]) -> None:
    from ionc.export.neuron import compare_clamp

    case = CLAMP_CASES[name]
    found = compare_clamp(derived[case.channel], exported[case.channel], celsius=case.celsius,
                          parameters=case.parameters, reversals=case.reversals, concentrations=case.concentrations,
                          holding=case.holding, t_step=case.t_step, t_tail=5.0, dt=DT_MS)
    assert found.difference <= CLAMP_TOL_OF_PEAK * found.peak, (
        f"{name}: max |ionc - NEURON| = {found.difference:.3g} uA/cm2, {found.relative:.2e} of the peak "
        f"{found.peak:.4g} uA/cm2")
    assert max(found.states.values(), default=0.0) <= STATE_TOL, f"{name}: states differ by {found.states}"
    assert bool(found.states) == (case.channel != "leak")
    if case.channel != "release":  # a readout: no current
        assert found.peak > 0.0


@dataclass(frozen=True)
class FiringCase:
    """A 1000 um2 compartment: ionc inserts and the same mechanisms (ionc names and values)."""

    files: tuple[str, ...]  # model files imported (in models/channels/, or the fixture file)
    inserts: dict[str, dict[str, float]]  # channel -> parameters changed (ionc units)
    celsius: float
    v_init: float
    reversals: dict[str, float]
    amplitude: float  # nA, from 5 ms
    duration: float  # ms
    ion_lines: tuple[str, ...] = ()  # ionc cell lines for calcium
    neuron_ions: dict[str, float] = field(default_factory=dict)  # NEURON: cai, cao at the start
    records: tuple[str, ...] = ()  # ionc records 'cad.cai'


TM = {"tm_na": {}, "tm_k": {}, "leak": {"g": 0.05, "e": -60.0}}
FIRING_CASES = {
    "traub_miles": FiringCase(("traub_miles", "hh"), TM, 36.0, -60.0, {"na": 50.0, "k": -90.0}, 0.1, 40.0),
    "markov na": FiringCase(("na_markov", "traub_miles", "hh"), {"na_markov": {}, "tm_k": {},
                            "leak": {"g": 0.05, "e": -65.0}}, 22.0, -65.0, {"na": 50.0, "k": -90.0}, 0.1, 40.0),
    "mainen_sejnowski": FiringCase(("mainen_sejnowski", "hh"), {"ms_na": {}, "ms_kv": {"gmax": 10.0},
                                   "leak": {"g": 0.03, "e": -70.0}}, 37.0, -70.0, {"na": 60.0, "k": -90.0}, 0.1, 40.0),
    "awkward": FiringCase(("traub_miles", "hh", "awkward"), {**TM, "awkward": {"gbar": 1.0}, "ca_leak": {}}, 30.0,
                          -60.0, {"na": 50.0, "k": -90.0}, 0.2, 40.0),
    # the terminal's mechanisms in one compartment: HVA calcium into the pool, the release readout
    "terminal": FiringCase(
        ("hh", "hva", "calcium_pool", "release"), {"hh_na": {}, "hh_k": {}, "leak": {}, "hva": {"gbar": 0.05},
                                                   "cad": {}, "release": {}},
        6.3, -65.0, {"na": 50.0, "k": -77.0}, 0.1, 40.0,
        ion_lines=("ion ca { inside = 100 nM; outside = 2 mM; reversal = nernst }",),
        neuron_ions={"cai": 1e-4, "cao": 2.0}, records=("cad.cai", "release.n")),
}


def _model_text(case: FiringCase) -> str:
    imports = "\n".join(f'import "{(AWKWARD if f == "awkward" else CHANNELS / f"{f}.ionc").as_posix()}"'
                        for f in case.files)
    inserts = ", ".join(name + (f"({', '.join(f'{k} = {v!r} {_unit(k)}' for k, v in values.items())})"
                                if values else "") for name, values in case.inserts.items())
    lines = [f"    reversal {ion} = {value!r} mV" for ion, value in case.reversals.items()]
    lines += [f"    {line}" for line in case.ion_lines]
    records = "\n".join(f"    record {r} at soma" for r in case.records)
    return f"""{imports}

cell compartment {{
    temperature = {case.celsius!r} degC
    cm = 1 uF/cm2
    v_init = {case.v_init!r} mV
{chr(10).join(lines)}
    morphology {{ soma {{ length = 17.841242 um; diameter = 17.841242 um }} }}
    insert {inserts}
}}

simulation firing of compartment {{
    dt = {DT_MS!r} ms
    duration = {case.duration + 10.0!r} ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = 5 ms; duration = {case.duration!r} ms; amplitude = {case.amplitude!r} nA }}
    record v at soma
{records}
}}
"""


def _unit(parameter: str) -> str:
    return {"g": "mS/cm2", "gbar": "mS/cm2", "gmax": "mS/cm2", "e": "mV"}[parameter]


@pytest.mark.neuron
@pytest.mark.parametrize("name", FIRING_CASES)
def test_current_clamp_spike_times_agree_with_ionc(name: str, library: Any, exported: dict[str, Exported],
                                                   tmp_path: Path) -> None:
    from ionc.api import run_simulation
    from ionc.export.neuron import current_clamp, neuron_values

    case = FIRING_CASES[name]
    path = tmp_path / "cell.ionc"
    path.write_text(_model_text(case), encoding="utf-8")
    output, raw = run_simulation(path)
    ours = [float(t) for t in output["spikes"]["v@soma"]]
    mechanisms = {channel: neuron_values(exported[channel], values) for channel, values in case.inserts.items()}
    records = {r: exported[r.split(".")[0]].states[r.split(".")[1]] for r in case.records}
    theirs = current_clamp(mechanisms, amplitude=case.amplitude, delay=5.0, duration=case.duration,
                           tstop=case.duration + 10.0, v_init=case.v_init, dt=DT_MS, celsius=case.celsius,
                           ions={f"e{ion}": value for ion, value in case.reversals.items()} | case.neuron_ions,
                           record=tuple(records.values()))
    assert len(theirs.spikes) >= 2, f"{name}: NEURON fires {len(theirs.spikes)} time(s)"
    assert len(ours) == len(theirs.spikes), f"{name}: ionc {ours} vs NEURON {theirs.spikes}"
    worst = float(np.max(np.abs(np.subtract(ours, theirs.spikes))))
    assert worst <= SPIKE_TOL_MS, f"{name}: spike times differ by up to {worst:.3g} ms"
    for record, variable in records.items():  # the pool's calcium and the release readout
        trace, reference = raw["traces"][f"{record}@soma"][0], theirs.records[variable]
        tolerance = 1e-6 if record == "cad.cai" else 5e-3
        assert np.max(np.abs(trace - reference)) <= tolerance * np.max(np.abs(reference)), record
    if case.records:
        assert np.max(theirs.records["cai"]) > 2e-4  # calcium entered with the spikes
