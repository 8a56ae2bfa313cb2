"""Per-region insertion and parameters (gbar, cm, ra) agree with NEURON section by section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_file

MODEL = Path(__file__).parent / "models" / "region_densities.ionc"


def _neuron_traces() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from cables_neuron import neuron_globals
    from neuron import h

    with neuron_globals():
        soma, axon = h.Section(name="rd_soma"), h.Section(name="rd_axon")
        try:
            soma.L = soma.diam = 20
            axon.L, axon.diam, axon.nseg = 1000, 1, 50
            axon.connect(soma(1), 0)
            soma.Ra, axon.Ra = 100, 150
            soma.cm, axon.cm = 1, 2
            for section, gna, gk in ((soma, 0.12, 0.036), (axon, 0.3, 0.05)):
                section.insert("hh")
                for segment in section:
                    segment.hh.gnabar, segment.hh.gkbar = gna, gk
                section.ena, section.ek = 50, -77
            h.usetable_hh, h.celsius, h.dt, h.secondorder = 0, 6.3, 0.025, 0
            stim = h.IClamp(soma(0.5))
            stim.delay, stim.dur, stim.amp = 1, 10, 0.5
            t = h.Vector().record(h._ref_t)
            v_soma = h.Vector().record(soma(0.5)._ref_v)
            v_end = h.Vector().record(axon(1)._ref_v)
            h.finitialize(-65)
            h.continuerun(20)
            return np.array(t), np.array(v_soma), np.array(v_end)
        finally:
            del stim
            h.delete_section(sec=axon)
            h.delete_section(sec=soma)


@pytest.mark.neuron
def test_region_specific_densities_match_neuron() -> None:
    pytest.importorskip("neuron")
    output = run_file(MODEL)
    t, v_soma, v_end = _neuron_traces()
    assert len(output["t"]) == len(t)
    # Same scheme, same layout: the traces agree to rounding.
    assert np.max(np.abs(np.array(output["traces"]["v@soma"]) - v_soma)) < 1e-6
    assert np.max(np.abs(np.array(output["traces"]["v@axon(1)"]) - v_end)) < 1e-6
    assert len(output["spikes"]["v@axon(1)"]) >= 1


def test_region_values_are_separate_parameters(tmp_path: Path) -> None:
    from ionc.api import compile_file

    module = compile_file(MODEL).load()
    assert module.PARAMETERS["hh_na.gbar@soma"] == 120.0
    assert module.PARAMETERS["hh_na.gbar@axon"] == 300.0
    assert module.PARAMETERS["leak.g"] == 0.3  # the same everywhere: one entry
    silent = module.simulate({"hh_na.gbar@axon": 0.0, "hh_na.gbar@soma": 0.0})
    assert np.max(silent["traces"]["v@axon(1)"]) < 0.0  # no sodium, no spike
