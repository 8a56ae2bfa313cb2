"""The calcium and calcium-activated channels of the library against NEURON (issue 5).

The channels of models/channels/mainen_sejnowski_ca.ionc (ms_ca, ms_kca),
hva.ionc, sk.ionc and bk.ionc, each against the `ref_` mechanism of nmodl/
written from the same paper (docs/channel_library.md), with the inside
calcium concentration held fixed (no pool: cai does not move during a run):

(a) Voltage clamp. `ionc.clamp` and NEURON's harness step the channel from
    the holding potential to -100, -90, ..., +40 mV, dt = 0.025 ms, at the
    model's temperature; the Ca-activated channels (ms_kca, sk, bk) at
    cai = 50 nM (NEURON's resting default), 1 uM and 10 uM, given to
    ionc.clamp as `concentrations` and to the harness as `ions`. The currents
    agree within 1% of the battery's peak at every sample. The steady states
    and time constants agree with the mechanisms' RANGE variables against v
    and, for the Ca-activated channels, against cai (0 and 1 nM .. 100 uM).
(b) Current clamp. Brette et al.'s Traub-Miles cell with each channel added
    (at fixed concentrations) as an ionc model file run by
    `ionc.api.run_simulation` (method = backward_euler) and as the same
    mechanisms in NEURON: spike times within 0.05 ms, and each added channel
    moves the spike train by more than that. One cell holds all five with
    `ion ca { ...; reversal = nernst }`: NEURON computes eca from cai and cao
    there too (because sk, bk and ms_kca read cai), so hva runs at the Nernst
    potential on both sides, while ms_ca keeps its own 140 mV.

Measured (NEURON 9.0.2, numpy, x86-64): clamp currents within 5e-11 of the
peak, gate curves within 1.1e-10 relative, spike times within 2e-10 ms. The
largest curve difference is bk's: NEURON's mod-file R is k N_A =
8.31446261815324 J/mol/K, ionc's 8.314462618 (NEURON 9's hoc value), 2e-11
relative in the Boltzmann exponents. The tolerances are the issue's
acceptance criteria.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import neuron_harness as nh
import numpy as np
import pytest
from ionc import clamp
from ionc.api import run_simulation
from neuron_reference import DIAMETER_UM

pytestmark = pytest.mark.neuron

CHANNELS = nh.CHANNELS

CLAMP_TOL_OF_PEAK = 0.01  # issue 5: clamp currents within 1% of the battery's peak (measured: < 5e-11)
CURVE_RTOL = 1e-9  # inf and tau against the mechanisms' RANGE variables (measured: < 1.1e-10, bk's R; see above)
SPIKE_TOL_MS = 0.05  # issue 5: spike times within 0.05 ms at the same dt (measured: < 2e-10 ms)
DT_MS = 0.025
COMMANDS_MV = tuple(float(c) for c in range(-100, 50, 10))  # -100, -90, ..., +40 mV
CURVE_V_MV = tuple(float(v) for v in range(-100, 41))  # includes -27 mV, the removable point of ms_ca/hva alpha_m
CAI_MM = {"50nM": 5e-5, "1uM": 1e-3, "10uM": 1e-2}  # NEURON's resting default, and two active levels
CAI_CURVE_MM = (0.0, *(float(c) for c in np.logspace(-6, -1, 11)))  # 0 and 1 nM .. 100 uM
CAO_MM = 2.0
EK_MV = -90.0  # the papers' cell value (Mainen & Sejnowski 1996, Hay et al. 2011)
FARADAY = 96485.33212
GAS_CONSTANT = 8.314462618


# ---------------------------------------------------------------- (a) voltage clamp


def _ca_activated(file: str, channel: str, reference: str, celsius: float) -> dict[str, nh.ClampCase]:
    return {f"{channel} cai={label}": nh.ClampCase(file, channel, reference, celsius, {"k": EK_MV}, concentrations={"cai": cai})
            for label, cai in CAI_MM.items()}


CLAMP_CASES = {
    # the 1996 model at its 37 degC: fixed 140 mV reversal, q10 on rates and conductance
    "ms_ca": nh.ClampCase("mainen_sejnowski_ca", "ms_ca", "ref_ms_ca", 37.0),
    # vshift = 3 mV puts alpha_m's removable point (u = -27 mV) on the -30 mV command
    "ms_ca vshift=3": nh.ClampCase("mainen_sejnowski_ca", "ms_ca", "ref_ms_ca", 37.0, params={"vshift": 3.0, "gmax": 0.1},
                                neuron_params={"vshift": 3.0, "gbar": 1e-4}),
    **_ca_activated("mainen_sejnowski_ca", "ms_kca", "ref_ms_kca", 37.0),
    # h inactivates slowly (tau ~ 200 ms at 0 mV): long steps show it
    "hva": nh.ClampCase("hva", "hva", "ref_hva", 34.0, {"ca": 120.0}, t_step=100.0),
    **_ca_activated("sk", "sk", "ref_sk", 34.0),
    **_ca_activated("bk", "bk", "ref_bk", 34.0),
    # T enters bk's Boltzmann factors: another temperature
    "bk cai=10uM 22degC": nh.ClampCase("bk", "bk", "ref_bk", 22.0, {"k": EK_MV}, concentrations={"cai": CAI_MM["10uM"]}),
}


@pytest.mark.parametrize("name", CLAMP_CASES)
def test_voltage_clamp_matches_neuron(name: str, channel_library: nh.Library) -> None:
    nh.assert_clamp_matches(name, CLAMP_CASES[name], CLAMP_TOL_OF_PEAK)


def test_calcium_sets_the_ca_activated_currents() -> None:
    """The batteries above differ with cai: 10 uM opens sk and bk far more than 50 nM."""
    for channel in ("ms_kca", "sk", "bk"):
        low, high = (np.max(np.abs(clamp.voltage_clamp(nh.numeric_of(CLAMP_CASES[f"{channel} cai={label}"]),
                                                       COMMANDS_MV, holding=-100.0, dt=DT_MS).current))
                     for label in ("50nM", "10uM"))
        assert high > 10 * low, f"{channel}: peak {low:.3g} uA/cm2 at 50 nM, {high:.3g} at 10 uM"


@pytest.mark.parametrize("name", CLAMP_CASES)
def test_gate_curves_match_neuron(name: str, channel_library: nh.Library) -> None:
    case = CLAMP_CASES[name]
    ours = clamp.gate_curves(nh.numeric_of(case), CURVE_V_MV)
    theirs = nh.gate_curves(case.reference, case.neuron_params, v=CURVE_V_MV, celsius=case.celsius, ions=case.ions)
    assert {f"{g}{kind}" for g in ours for kind in ("inf", "tau")} == set(theirs)
    for gate, (inf, tau) in ours.items():
        np.testing.assert_allclose(inf, theirs[f"{gate}inf"], rtol=CURVE_RTOL, atol=1e-15, err_msg=f"{name} {gate}inf")
        np.testing.assert_allclose(tau, theirs[f"{gate}tau"], rtol=CURVE_RTOL, err_msg=f"{name} {gate}tau")


CAI_CURVE_CASES = {  # channel -> the case whose temperature and reversal it uses, and the voltages
    "ms_kca": ("ms_kca cai=50nM", (0.0,)),  # voltage-independent
    "sk": ("sk cai=50nM", (0.0,)),  # voltage-independent
    "bk": ("bk cai=50nM", (-50.0, 0.0, 40.0)),
}


@pytest.mark.parametrize("channel", CAI_CURVE_CASES)
def test_gate_curves_against_cai_match_neuron(channel: str, channel_library: nh.Library) -> None:
    name, voltages = CAI_CURVE_CASES[channel]
    case = CLAMP_CASES[name]
    numeric = [nh.numeric_of(case, {"cai": cai}) for cai in CAI_CURVE_MM]
    for v in voltages:
        theirs = nh.gate_curves_vs_cai(case.reference, case.neuron_params, cai=CAI_CURVE_MM, v=v,
                                       celsius=case.celsius, ions={f"e{ion}": e for ion, e in case.reversals.items()})
        ours = [clamp.gate_curves(n, [v]) for n in numeric]
        assert {f"{g}{kind}" for g in ours[0] for kind in ("inf", "tau")} == set(theirs)
        for gate in ours[0]:
            inf = np.array([curves[gate][0][0] for curves in ours])
            tau = np.array([curves[gate][1][0] for curves in ours])
            np.testing.assert_allclose(inf, theirs[f"{gate}inf"], rtol=CURVE_RTOL, atol=1e-15,
                                       err_msg=f"{channel} {gate}inf at {v} mV")
            np.testing.assert_allclose(tau, theirs[f"{gate}tau"], rtol=CURVE_RTOL, err_msg=f"{channel} {gate}tau at {v} mV")
            assert inf[0] == 0.0  # cai = 0: closed, and finite
            assert inf[-1] > 100 * inf[1] and np.all(np.diff(inf) >= 0)  # calcium opens it


# ---------------------------------------------------------------- (b) current clamp


@dataclass(frozen=True)
class FiringCase:
    """Brette et al.'s Traub-Miles cell plus channels of this file: the ionc inserts and ion
    lines, and the same mechanisms and ion values in NEURON."""

    files: tuple[str, ...]  # channel files imported besides traub_miles
    inserts: tuple[str, ...]  # ionc `insert` items added to tm_na, tm_k and the leak
    ion_lines: tuple[str, ...]  # ionc cell lines for calcium (besides `reversal na`, `reversal k`)
    mechanisms: nh.Parameters  # NEURON: SUFFIX -> RANGE values, added to ref_tm_na, ref_tm_k and pas
    ions: dict[str, float]  # NEURON: 'eca', 'cai', 'cao'


CELSIUS = 36.0  # the Traub-Miles cell's temperature
V_INIT_MV = -60.0
TM_REVERSALS = {"na": 50.0, "k": EK_MV}
TM_MECHANISMS = {"ref_tm_na": {}, "ref_tm_k": {}, "pas": {"g": 5e-5, "e": -60.0}}
AMPLITUDE_NA, DELAY_MS, DURATION_MS = 0.1, 5.0, 40.0


def _inside(cai: float) -> tuple[str, ...]:
    return (f"ion ca {{ inside = {cai!r} mM; outside = {CAO_MM!r} mM }}",)


FIRING_CASES = {
    "ms_ca": FiringCase(("mainen_sejnowski_ca",), ("ms_ca(gmax = 0.1 mS/cm2)",), (),
                        {"ref_ms_ca": {"gbar": 1e-4}}, {}),
    "ms_kca cai=10uM": FiringCase(("mainen_sejnowski_ca",), ("ms_kca(gmax = 10 mS/cm2)",), _inside(1e-2),
                                  {"ref_ms_kca": {"gbar": 1e-2}}, {"cai": 1e-2, "cao": CAO_MM}),
    "hva eca=140": FiringCase(("hva",), ("hva",), ("reversal ca = 140 mV",), {"ref_hva": {}}, {"eca": 140.0}),
    "sk cai=0.43uM": FiringCase(("sk",), ("sk(gbar = 0.1 mS/cm2)",), _inside(4.3e-4),
                                {"ref_sk": {"gbar": 1e-4}}, {"cai": 4.3e-4, "cao": CAO_MM}),
    "bk cai=1uM": FiringCase(("bk",), ("bk",), _inside(1e-3), {"ref_bk": {}}, {"cai": 1e-3, "cao": CAO_MM}),
    # all five; NEURON's eca is its Nernst potential here (checked), ionc's by `reversal = nernst`
    "all, nernst cai=1uM": FiringCase(
        ("mainen_sejnowski_ca", "hva", "sk", "bk"),
        ("ms_ca(gmax = 0.1 mS/cm2)", "ms_kca(gmax = 10 mS/cm2)", "hva", "sk(gbar = 0.1 mS/cm2)", "bk"),
        (f"ion ca {{ inside = 0.001 mM; outside = {CAO_MM!r} mM; reversal = nernst }}",),
        {"ref_ms_ca": {"gbar": 1e-4}, "ref_ms_kca": {"gbar": 1e-2}, "ref_hva": {}, "ref_sk": {"gbar": 1e-4},
         "ref_bk": {}},
        {"cai": 1e-3, "cao": CAO_MM},
    ),
}


def _model_text(case: FiringCase) -> str:
    imports = "\n".join(f'import "{(CHANNELS / f"{file}.ionc").as_posix()}"'
                        for file in ("traub_miles", *case.files))
    ions = "\n".join([*(f"    reversal {ion} = {value!r} mV" for ion, value in TM_REVERSALS.items()),
                      *(f"    {line}" for line in case.ion_lines)])
    return f"""{imports}

channel leak {{ nonspecific; g = 0.05 mS/cm2; e = -60 mV }}

cell compartment {{
    temperature = {CELSIUS!r} degC
    cm = 1 uF/cm2
    v_init = {V_INIT_MV!r} mV
{ions}
    morphology {{ soma {{ length = {DIAMETER_UM!r} um; diameter = {DIAMETER_UM!r} um }} }}
    insert tm_na, tm_k, leak, {", ".join(case.inserts)}
}}

simulation firing of compartment {{
    dt = {DT_MS!r} ms
    duration = {DELAY_MS + DURATION_MS + 5.0!r} ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = {DELAY_MS!r} ms; duration = {DURATION_MS!r} ms; amplitude = {AMPLITUDE_NA!r} nA }}
    record v at soma
}}
"""


def _neuron_run(mechanisms: nh.Parameters, ions: dict[str, float], record: tuple[str, ...] = ()) -> nh.CurrentClampRun:
    return nh.current_clamp({**TM_MECHANISMS, **mechanisms}, amplitude=AMPLITUDE_NA, delay=DELAY_MS,
                            duration=DURATION_MS, tstop=DELAY_MS + DURATION_MS + 5.0, v_init=V_INIT_MV, dt=DT_MS,
                            celsius=CELSIUS, ions={f"e{ion}": e for ion, e in TM_REVERSALS.items()} | ions,
                            record=record)


@pytest.mark.parametrize("name", FIRING_CASES)
def test_current_clamp_spike_times_match_neuron(name: str, channel_library: nh.Library, tmp_path: Path) -> None:
    case = FIRING_CASES[name]
    record = ("eca",) if "eca" not in case.ions and "ref_hva" in case.mechanisms else ()
    run = _neuron_run(case.mechanisms, case.ions, record)
    if record:  # NEURON made eca from cai and cao (a mechanism reads cai): the Nernst potential
        nernst = 1e3 * GAS_CONSTANT * (CELSIUS + 273.15) / (2 * FARADAY) * np.log(case.ions["cao"] / case.ions["cai"])
        np.testing.assert_allclose(run.records["eca"], nernst, rtol=1e-9)
    theirs = list(run.spikes)
    assert len(theirs) >= 3, f"{name}: the NEURON cell fires {len(theirs)} time(s); the case needs a spike train"
    path = tmp_path / "cell.ionc"
    path.write_text(_model_text(case), encoding="utf-8")
    ours = [float(t) for t in run_simulation(path)[0]["spikes"]["v@soma"]]
    assert len(ours) == len(theirs), f"{name}: ionc {ours} vs NEURON {theirs}"
    worst = float(np.max(np.abs(np.subtract(ours, theirs))))
    assert worst <= SPIKE_TOL_MS, f"{name}: spike times differ by up to {worst:.3g} ms: ionc {ours} vs NEURON {theirs}"
    base = list(_neuron_run({}, {}).spikes)  # the added channels matter: without them the spikes are elsewhere
    common = min(len(base), len(theirs))
    shift = float(np.max(np.abs(np.subtract(base[:common], theirs[:common]))))
    assert len(base) != len(theirs) or shift > SPIKE_TOL_MS, (
        f"{name}: the added channels do not move the spikes of the Traub-Miles cell (by {shift:.3g} ms)"
    )
