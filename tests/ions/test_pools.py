"""Concentration pools on part of a cell: cai changes only where a pool is inserted, follows
the calcium current there (an ohmic channel reading the per-node Nernst e_ca), and relaxes
back to its resting level afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import compile_file, run_simulation
from ionc.diagnostics import IoncError

CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"

MODEL = f"""
import "{(CHANNELS / 'hh.ionc').as_posix()}"

pool cad {{
    ion ca
    depth = 0.1 um
    taur = 20 ms
    cainf = 50 nM
    cai' = max(-ica / (2 * F * depth), 0 mM/ms) + (cainf - cai) / taur
}}
# a high-threshold calcium channel, shut at rest: calcium enters only with a spike
channel ca_high {{
    ion ca
    gbar = 1 mS/cm2
    gate m ^ 2 {{ inf = 1 / (1 + exp(-(v + 20 mV) / 5 mV)); tau = 1 ms }}
}}

cell axon_and_terminal {{
    temperature = 6.3 degC
    reversal na = 50 mV
    reversal k = -77 mV
    ion ca {{ inside = 50 nM; outside = 2 mM; reversal = nernst }}
    morphology {{
        section axon {{ length = 500 um; diameter = 1 um; compartments = 50 }}
        section terminal {{ length = 5 um; diameter = 2 um; compartments = 1; parent = axon(1) }}
    }}
    insert hh_na, hh_k, leak on all
    insert ca_high, cad on terminal
}}

simulation spike of axon_and_terminal {{
    dt = 0.025 ms
    duration = 60 ms
    method = backward_euler
    stimulus iclamp at axon(0) {{ delay = 1 ms; duration = 0.5 ms; amplitude = 0.3 nA }}
    record v at axon(0.5), terminal
    record cad.cai at terminal
}}
"""


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "terminal.ionc"
    path.write_text(MODEL, encoding="utf-8")
    return path


def test_calcium_rises_at_the_terminal_when_the_spike_arrives_and_decays_back(path: Path) -> None:
    spike = run_simulation(path)[1]
    rest = run_simulation(path, overrides=["stim.amplitude=0nA"])[1]
    t = np.asarray(spike["t"])
    v = spike["traces"]["v@terminal"][0]
    excess = spike["traces"]["cad.cai@terminal"][0] - rest["traces"]["cad.cai@terminal"][0]
    assert rest["traces"]["cad.cai@terminal"][0][0] == pytest.approx(5e-5, rel=1e-12)
    arrival = t[np.argmax(v > 0.0)]
    assert arrival > 1.5  # the spike travels to the terminal
    peak = int(np.argmax(excess))
    assert arrival < t[peak] < arrival + 10.0 and excess[peak] > 5e-5  # calcium enters after the spike arrives
    assert np.all(excess[t <= 1.0] == 0.0)  # nothing before the stimulus
    assert np.all(np.abs(excess[t < arrival - 0.5]) < 1e-3 * excess[peak])  # next to nothing before the spike
    assert excess[-1] < excess[peak] / 2  # then the pool clears it (taur 20 ms)


def test_a_pool_is_numpy_only_for_now(tmp_path: Path) -> None:
    pytest.importorskip("numba")
    path = tmp_path / "terminal.ionc"
    path.write_text(MODEL, encoding="utf-8")
    with pytest.raises(IoncError, match="numpy backend only"):
        compile_file(path, backend="numba")
