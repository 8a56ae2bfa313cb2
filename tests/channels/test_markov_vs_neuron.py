"""The Markov sodium channel (models/channels/na_markov.ionc) against NEURON's ref_na_markov
(KINETIC, METHOD sparse; issue 5, item 5):

(a) Voltage clamp. `ionc.clamp` steps the scheme as the generated code does (the start at
    the null space of A at the holding potential, then backward Euler with v frozen);
    NEURON's harness clamps ref_na_markov. Steps from the holding potential to -100 .. +40 mV
    and back (a tail), dt = 0.025 ms: currents within 1% of the battery's peak, and the
    open and blocked occupancies sample by sample.
(b) Current clamp. models/cells/markov_na_point.ionc (the scheme, Traub-Miles K and a
    leak in the harness's 1000 um2 compartment) run by `ionc.api.run_simulation`, and the
    same mechanisms in NEURON, same dt, backward Euler: spike times within 0.05 ms; and the
    same cell warmer (q10 3 on every rate).

NEURON's `sparse` is backward Euler for a KINETIC block, with the CONSERVE row replacing
one equation; ionc keeps every equation and divides by the sum after the solve. In exact
arithmetic the two are the same step (the columns of I - dt A sum to 1), so they agree to
rounding. Measured (NEURON 9.0.2, numpy, x86-64): clamp currents within 3e-10 of the peak,
occupancies within 2e-9 (NEURON's clamp is off the command by up to 2e-9 mV on the first
sample after a switch, and its STEADYSTATE leaves the smallest occupancies about 1e-11 off),
spike times within 1e-11 ms.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import neuron_harness as nh
import numpy as np
import pytest
from ionc import clamp
from ionc.api import run_simulation
from ionc.symbolic.derive import DerivedChannel

pytestmark = pytest.mark.neuron

REPO = Path(__file__).resolve().parents[2]
NA_MARKOV = REPO / "models" / "channels" / "na_markov.ionc"
MARKOV_CELL = REPO / "models" / "cells" / "markov_na_point.ionc"

CLAMP_TOL_OF_PEAK = 0.01  # issue 5: within 1% of the battery's peak (measured: < 3e-10)
STATE_TOL = 1e-6  # occupancies, absolute (measured: < 2e-9)
SPIKE_TOL_MS = 0.05  # issue 5: spike times within 0.05 ms at the same dt (measured: < 1e-11 ms)
DT_MS = 0.025
COMMANDS_MV = tuple(float(c) for c in range(-100, 50, 10))

CLAMP_CASES = {
    # (celsius, holding mV, ionc parameters, the same for NEURON)
    "22 degC from -90 mV": (22.0, -90.0, {}, {}),
    "35 degC from -70 mV": (35.0, -70.0, {}, {}),
    "22 degC, slower block": (22.0, -90.0, {"epsilon": 0.5, "gbar": 20.0}, {"eps0": 0.5, "gbar": 0.02}),
}


@cache
def _derived() -> DerivedChannel:
    return clamp.load_channel(NA_MARKOV, "na_markov")


@pytest.mark.parametrize("name", CLAMP_CASES)
def test_voltage_clamp_matches_neuron(name: str, channel_library: nh.Library) -> None:
    celsius, holding, params, neuron_params = CLAMP_CASES[name]
    channel = clamp.numeric_channel(_derived(), celsius=celsius, parameters=params, reversals={"na": 50.0})
    ours = clamp.voltage_clamp(channel, COMMANDS_MV, holding=holding, t_step=20.0, t_tail=5.0, dt=DT_MS)
    theirs = nh.voltage_clamp_battery("ref_na_markov", {"ref_na_markov": neuron_params}, holding=holding,
                                      commands=COMMANDS_MV, t_step=20.0, t_tail=5.0, dt=DT_MS, celsius=celsius,
                                      ions={"ena": 50.0})
    np.testing.assert_allclose(ours.v, np.array([step.v for step in theirs.steps]), rtol=0, atol=1e-6)
    reference = 1e3 * np.array([step.current for step in theirs.steps])  # mA/cm2 -> uA/cm2
    peak = float(np.max(np.abs(reference)))
    assert peak > 100.0  # uA/cm2: the channel opens
    worst = float(np.max(np.abs(ours.current - reference)))
    assert worst <= CLAMP_TOL_OF_PEAK * peak, (
        f"{name}: max |ionc - NEURON| = {worst:.3g} uA/cm2, {worst / peak:.2e} of the peak {peak:.4g} uA/cm2"
    )
    for state in ("O", "B", "C1", "I6"):
        np.testing.assert_allclose(ours.states[state], np.array([step.states[state] for step in theirs.steps]),
                                   rtol=0, atol=STATE_TOL, err_msg=f"{name}: {state}")
    total = sum(np.array([step.states[s] for step in theirs.steps]) for s in nh.state_names("ref_na_markov"))
    assert np.max(np.abs(total - 1.0)) < 1e-12  # NEURON's CONSERVE: the reference keeps the sum too
    occupancies = np.stack([ours.states[s] for s in channel.state_names])
    assert occupancies.min() >= 0.0 and np.max(np.abs(occupancies.sum(axis=0) - 1.0)) < 1e-12


def _neuron_spikes(celsius: float, amplitude: float) -> list[float]:
    run = nh.current_clamp({"ref_na_markov": {}, "ref_tm_k": {}, "pas": {"g": 5e-5, "e": -65.0}},
                           amplitude=amplitude, delay=5.0, duration=40.0, tstop=50.0, v_init=-65.0, dt=DT_MS,
                           celsius=celsius, ions={"ena": 50.0, "ek": -90.0})
    return list(run.spikes)


@pytest.mark.parametrize(("celsius", "amplitude"), [(22.0, 0.1), (36.0, 0.2)], ids=["22 degC", "36 degC"])
def test_current_clamp_spike_times_match_neuron(celsius: float, amplitude: float,
                                               channel_library: nh.Library) -> None:
    theirs = _neuron_spikes(celsius, amplitude)
    assert len(theirs) >= 5, f"the NEURON cell fires {len(theirs)} time(s); the case needs a spike train"
    output, _ = run_simulation(MARKOV_CELL, parameters={"cell.temperature": celsius + 273.15,
                                                        "stim.amplitude": amplitude})
    ours = [float(t) for t in output["spikes"]["v@soma"]]
    assert len(ours) == len(theirs), f"ionc {ours} vs NEURON {theirs}"
    worst = float(np.max(np.abs(np.subtract(ours, theirs))))
    assert worst <= SPIKE_TOL_MS, f"spike times differ by up to {worst:.3g} ms: ionc {ours} vs NEURON {theirs}"
