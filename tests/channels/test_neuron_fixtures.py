"""The NEURON side of the channel library (issue 5): the mechanisms of nmodl/ and the harness.

Checked here, before any ionc channel is compared with them:

* every .mod compiles with nrnivmodl without a warning, its units pass
  modlunit, and its header names the paper, the temperature and the blocks;
* the voltage clamp is exact (v is the command to ~1e-9 mV) and the current
  returned at sample k belongs to v and the states at sample k;
* each channel, alone under the battery, carries finite currents of the
  expected sign (Na inward at -20 mV, K outward at +20 mV, ...);
* the Markov sodium occupancies stay in [0, 1] and sum to 1 within 1e-12;
* Traub-Miles and Connor-Stevens compartments fire under current clamp;
* the calcium pool fills during influx, decays with its time constant, and
  NEURON's eca follows it (Nernst); the GHK current has its limit at 0 mV;
* a spike in a terminal lets calcium in and release follows;
* NEURON's globals are what they were after every harness call.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import neuron_harness as nh
import numpy as np
import pytest
from ionc.export import neuron as neuron_build

pytestmark = pytest.mark.neuron

CLAMP_EXACT_MV = 1e-8  # measured: <= 1.8e-9 at the first sample of a step, ~1e-13 after it
ALIGNED_RTOL = 1e-12
OCCUPANCY_TOL = 1e-12
CA_REST_MM = 1e-4  # ref_ms_cad's cainf
CA_OUT_MM = 2.0


@dataclass(frozen=True)
class Case:
    """A channel alone in the compartment, and the sign its current must have at `command`."""

    celsius: float
    command: float  # mV
    sign: int  # -1 inward, +1 outward
    ions: dict[str, float] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)


# Temperatures are each model's own; reversal potentials those of the papers.
CASES = {
    "ref_tm_na": Case(36.0, -20.0, -1, {"ena": 50.0}),
    "ref_tm_k": Case(36.0, 20.0, +1, {"ek": -90.0}),
    "ref_cs_na": Case(18.0, -20.0, -1, {"ena": 55.0}),
    "ref_cs_k": Case(18.0, 20.0, +1, {"ek": -72.0}),
    "ref_cs_a": Case(18.0, 20.0, +1),  # its own ea = -75 mV
    "ref_ms_na": Case(37.0, -20.0, -1, {"ena": 60.0}),
    "ref_ms_kv": Case(37.0, 20.0, +1, {"ek": -90.0}),
    "ref_ms_km": Case(37.0, 20.0, +1, {"ek": -90.0}),
    "ref_ms_kca": Case(37.0, 20.0, +1, {"ek": -90.0, "cai": 1e-2}),
    "ref_ms_ca": Case(37.0, 0.0, -1),  # fixed erev = 140 mV
    "ref_cat": Case(36.0, -40.0, -1, {"cai": 2.4e-4, "cao": CA_OUT_MM}),
    "ref_hva": Case(34.0, 0.0, -1, {"eca": 120.0}),
    "ref_ih": Case(34.0, -100.0, -1),  # its own ehcn = -45 mV
    "ref_sk": Case(34.0, 20.0, +1, {"ek": -90.0, "cai": 1e-3}),
    "ref_bk": Case(34.0, 20.0, +1, {"ek": -90.0, "cai": 1e-3}),
    "ref_kv31": Case(34.0, 20.0, +1, {"ek": -90.0}),
    "ref_na_markov": Case(22.0, -20.0, -1, {"ena": 60.0}),
}
NOT_CHANNELS = {"ref_ms_cad", "ref_release"}  # a pool and a readout: no current of their own


# ---------------------------------------------------------------- the .mod files


def test_every_mechanism_is_covered(channel_library: nh.Library) -> None:
    assert set(channel_library.mechanisms) == set(CASES) | NOT_CHANNELS
    assert all(name.startswith("ref_") for name in channel_library.mechanisms)


def test_library_compiles_without_warnings(channel_library: nh.Library) -> None:
    log = channel_library.log
    assert "Successfully created" in log, log
    for mod in nh.mod_files():
        assert mod.name in log, f"{mod.name} is not in the nrnivmodl log"
    # nocmodl also prints "NEURON's CVode method ignores conservation" for the CONSERVE of
    # ref_na_markov: a statement about CVODE (unused here), not a warning.
    assert nh.build_warnings(log) == []


@pytest.mark.skipif(shutil.which("modlunit") is None, reason="modlunit is not installed")
@pytest.mark.parametrize("mod", nh.mod_files(), ids=lambda mod: mod.stem)
def test_units_are_consistent(mod: Path) -> None:
    done = subprocess.run(["modlunit", mod.name], cwd=mod.parent, capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines()
                  if line.strip() and not line.startswith("Checking units of")]
    assert done.returncode == 0 and complaints == [], "\n".join(complaints)


@pytest.mark.parametrize("mod", nh.mod_files(), ids=lambda mod: mod.stem)
def test_header_cites_paper_temperature_and_blocks(mod: Path) -> None:
    text = mod.read_text()
    for heading in ("Source:", "Temperature:", "Blocks:", "published equations"):
        assert heading in text, f"{mod.name}: no {heading!r} in its header"
    assert "TABLE" not in text  # plain formulas: nothing interpolated


# ---------------------------------------------------------------- the voltage clamp


def test_clamp_is_exact_and_current_belongs_to_its_sample(channel_library: nh.Library) -> None:
    battery = nh.voltage_clamp_battery("ref_tm_k", celsius=36.0, ions={"ek": -90.0})
    assert battery.clamp_error < CLAMP_EXACT_MV
    for step in battery.steps:
        during = battery.during_step(step)
        assert np.max(np.abs(step.v[during] - step.command)) < CLAMP_EXACT_MV
        expected = 0.03 * step.states["n"] ** 4 * (step.v + 90.0)  # gbar n^4 (v - ek)
        np.testing.assert_allclose(step.current, expected, rtol=ALIGNED_RTOL, atol=1e-18)


def test_battery_covers_minus_100_to_plus_40(channel_library: nh.Library) -> None:
    battery = nh.voltage_clamp_battery("ref_kv31", celsius=34.0, ions={"ek": -90.0}, t_step=5.0)
    assert [step.command for step in battery.steps] == [float(c) for c in range(-100, 41, 10)]
    first = battery.steps[0]
    assert first.v[0] == nh.HOLDING_MV and len(first.t) == round((2.0 + 5.0) / nh.DT_MS) + 1


@pytest.mark.parametrize("channel", sorted(CASES))
def test_current_is_finite_with_the_expected_sign(channel: str, channel_library: nh.Library) -> None:
    case = CASES[channel]
    battery = nh.voltage_clamp_battery(channel, {channel: case.params}, celsius=case.celsius, ions=case.ions)
    assert battery.clamp_error < CLAMP_EXACT_MV
    for step in battery.steps:
        assert np.all(np.isfinite(step.current)), f"{channel} at {step.command} mV"
        assert all(np.all(np.isfinite(state)) for state in step.states.values())
    peak = battery.peak(case.command)
    assert peak * case.sign > 0, f"{channel} at {case.command} mV: peak {peak} mA/cm2"


def test_markov_occupancies_sum_to_one(channel_library: nh.Library) -> None:
    battery = nh.voltage_clamp_battery("ref_na_markov", celsius=22.0, ions={"ena": 60.0},
                                       t_step=50.0, t_tail=20.0)
    assert len(battery.steps[0].states) == 13
    for step in battery.steps:
        occupancy = np.array(list(step.states.values()))
        assert np.max(np.abs(occupancy.sum(axis=0) - 1.0)) < OCCUPANCY_TOL, step.command
        assert occupancy.min() >= -OCCUPANCY_TOL and occupancy.max() <= 1.0 + OCCUPANCY_TOL


def test_ghk_current_has_its_limit_at_zero(channel_library: nh.Library) -> None:
    """ref_cat's GHK factor G = i / (pbar m^2 h) at 0 mV is z F (cai - cao), and continuous there."""
    from neuron import h

    cai, pbar = 2.4e-4, 2e-4
    battery = nh.voltage_clamp_battery("ref_cat", celsius=36.0, ions={"cai": cai, "cao": CA_OUT_MM},
                                       commands=(-1e-3, 0.0, 1e-3), t_step=1.0)
    factor = {}
    for step in battery.steps:
        k = np.flatnonzero(battery.during_step(step))[-1]
        m, hh = step.states["m"][k], step.states["h"][k]
        factor[step.command] = step.current[k] / (pbar * m * m * hh)
    limit = 1e-3 * 2 * h.FARADAY * (cai - CA_OUT_MM)  # mC/cm3, so that pbar G is in mA/cm2
    assert factor[0.0] == pytest.approx(limit, rel=1e-12)
    assert factor[-1e-3] == pytest.approx(limit, rel=1e-4)
    assert factor[1e-3] == pytest.approx(limit, rel=1e-4)


# ---------------------------------------------------------------- current clamp


def test_traub_miles_compartment_fires(channel_library: nh.Library) -> None:
    run = nh.current_clamp({"ref_tm_na": {}, "ref_tm_k": {}, "pas": {"g": 5e-5, "e": -60.0}},
                           amplitude=0.1, delay=5.0, duration=40.0, tstop=50.0, v_init=-60.0,
                           celsius=36.0, ions={"ena": 50.0, "ek": -90.0})
    assert len(run.spikes) >= 5 and run.spikes[0] > 5.0
    assert 30.0 < run.v.max() < 50.0


def test_connor_stevens_compartment_fires_slowly_near_rheobase(channel_library: nh.Library) -> None:
    """Dayan & Abbott's parameters (mS/cm2: 120, 20, 47.7, leak 0.3 at -17 mV); 0.09 nA = 9 uA/cm2."""
    cell = {"ref_cs_na": {}, "ref_cs_k": {}, "ref_cs_a": {}, "pas": {"g": 3e-4, "e": -17.0}}
    rates = {}
    for amplitude in (0.09, 0.4):
        run = nh.current_clamp(cell, amplitude=amplitude, delay=5.0, duration=500.0, tstop=505.0,
                               v_init=-68.0, celsius=18.0, ions={"ena": 55.0, "ek": -72.0})
        assert len(run.spikes) >= 3, amplitude
        rates[amplitude] = 1000.0 / float(np.diff(run.spikes)[-1])
    assert rates[0.09] < 25.0 < 150.0 < rates[0.4]  # type I: low rates exist


# ---------------------------------------------------------------- calcium


def test_calcium_pool_fills_and_decays_with_its_time_constant(channel_library: nh.Library) -> None:
    """20 ms at 0 mV through ref_ms_ca fills ref_ms_cad; back at -90 mV it decays with taur = 200 ms,
    and eca (read by a zero-conductance ref_hva) is the Nernst potential of the pool's cai."""
    from neuron import h

    celsius = 37.0
    battery = nh.voltage_clamp_battery(
        "ref_ms_ca", {"ref_ms_ca": {"gbar": 3e-5}, "ref_ms_cad": {}, "ref_hva": {"gbar": 0.0}},
        commands=(0.0,), t_step=20.0, t_tail=300.0, celsius=celsius, ions={"cao": CA_OUT_MM},
        record=("cai", "eca", "ref_ms_cad.influx"))
    step = battery.steps[0]
    cai, t = step.states["cai"], step.t
    assert cai[0] == pytest.approx(CA_REST_MM, rel=1e-12)
    assert np.all(step.current[battery.during_step(step)] < 0)
    peak = int(np.argmax(cai))
    assert cai[peak] > 100 * CA_REST_MM and 2.0 < t[peak] <= 2.0 + 20.0 + 1.0
    tail = t > 2.0 + 20.0 + 5.0  # the HVA gates have closed; no influx any more
    assert np.max(step.states["ref_ms_cad.influx"][tail]) < 1e-12
    slope = np.polyfit(t[tail], np.log(cai[tail] - CA_REST_MM), 1)[0]
    assert -1.0 / slope == pytest.approx(200.0, rel=1e-6)
    nernst = 1e3 * h.R * (celsius + 273.15) / (2 * h.FARADAY) * np.log(CA_OUT_MM / cai)
    np.testing.assert_allclose(step.states["eca"], nernst, atol=1e-6)


def test_release_follows_calcium_in_a_terminal(channel_library: nh.Library) -> None:
    terminal = {"ref_tm_na": {}, "ref_tm_k": {}, "pas": {"g": 5e-5, "e": -65.0},
                "ref_hva": {"gbar": 1e-4}, "ref_ms_cad": {}, "ref_release": {}}
    run = nh.current_clamp(terminal, amplitude=0.5, delay=2.0, duration=1.0, tstop=30.0, v_init=-65.0,
                           celsius=36.0, ions={"ena": 50.0, "ek": -90.0, "cao": CA_OUT_MM},
                           record=("cai", "ref_release.rate", "ref_release.flux", "ref_release.released"))
    assert len(run.spikes) == 1
    cai, flux = run.records["cai"], run.records["ref_release.flux"]
    t_cai, t_flux = run.t[np.argmax(cai)], run.t[np.argmax(flux)]
    assert run.spikes[0] < t_cai and run.spikes[0] < t_flux
    assert cai.max() > 10 * CA_REST_MM
    assert abs(t_flux - t_cai) < 0.5  # rate ~ cai^4 (the pool's depletion moves the peak a little)
    at_spike = int(round(run.spikes[0] / nh.DT_MS))
    assert flux[at_spike] < 0.01 * flux.max()  # release follows the spike, it does not lead it
    assert 0.0 < run.records["ref_release.released"][-1] < 1.0
    # the pool (a lower mechanism index) is updated first: release sees the same sample's cai
    np.testing.assert_allclose(run.records["ref_release.rate"], 1.0 * (cai / 0.01) ** 4, rtol=1e-12)


# ---------------------------------------------------------------- gate curves and globals


@pytest.mark.parametrize("channel", sorted(set(CASES) - {"ref_na_markov"}))
def test_gate_curves_are_probabilities_and_positive_times(channel: str, channel_library: nh.Library) -> None:
    case = CASES[channel]
    curves = nh.gate_curves(channel, celsius=case.celsius, ions={k: v for k, v in case.ions.items()
                                                                 if k in ("cai", "cao")})
    assert any(name.endswith("inf") for name in curves) and any(name.endswith("tau") for name in curves)
    for name, values in curves.items():
        assert np.all(np.isfinite(values)), name
        if name.endswith("inf"):
            assert np.all((values >= 0.0) & (values <= 1.0)), name
        else:
            assert np.all(values > 0.0), name


def test_sk_is_half_open_at_its_kd(channel_library: nh.Library) -> None:
    curves = nh.gate_curves_vs_cai("ref_sk", cai=(0.0, 4.3e-4, 1e-2))
    assert list(curves["zinf"]) == pytest.approx([0.0, 0.5, 1.0], abs=1e-6)


def test_neuron_globals_are_restored(channel_library: nh.Library) -> None:
    from neuron import h

    names = ("celsius", "dt", "secondorder", "tstop", "cai0_ca_ion", "cao0_ca_ion")
    before = {name: getattr(h, name) for name in names}
    nh.voltage_clamp_battery("ref_cat", celsius=37.0, dt=0.01, commands=(-40.0,), t_step=1.0,
                             ions={"cai": 1e-3, "cao": 3.0})
    nh.current_clamp({"ref_tm_na": {}, "ref_tm_k": {}}, amplitude=0.1, delay=1.0, duration=1.0,
                     tstop=2.0, dt=0.05, celsius=20.0)
    nh.gate_curves_vs_cai("ref_bk", cai=(1e-3,), celsius=30.0)
    assert {name: getattr(h, name) for name in names} == before
    assert h.cvode.active() == 0


def test_cache_key_follows_the_contents() -> None:
    pytest.importorskip("neuron")
    texts = {mod.name: mod.read_text() for mod in nh.mod_files()[:2]}
    assert neuron_build.cache_key(dict(texts)) == neuron_build.cache_key(texts)
    first = next(iter(texts))
    assert neuron_build.cache_key({**texts, first: texts[first] + "\n: edited\n"}) != neuron_build.cache_key(texts)
    assert neuron_build.cache_key({f"renamed_{first}": texts[first]}) != neuron_build.cache_key({first: texts[first]})
