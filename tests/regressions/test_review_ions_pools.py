"""Regressions found by the review of the in-place numpy loop, ions and pools (each a model
that used to give a wrong answer, a traceback or a misleading message)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation
from ionc.diagnostics import IoncError

CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"
CELLS = Path(__file__).resolve().parents[2] / "models" / "cells"
BACKEND_TOLERANCE_MV = 1e-8  # numpy and numba: the same equations in another order


def _write(tmp_path: Path, text: str, name: str = "model.ionc") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SHARED_EXPONENTIAL = """
channel kx {
    ion k
    gbar = 10 mS/cm2
    gate n {
        alpha = 1 /ms / (1 + exp(-(v + 50 mV) / 20 mV))
        beta  = 1 /ms * exp(-(v + 50 mV) / 10 mV) / (1 + exp(-(v + 50 mV) / 20 mV))
    }
}
channel leak { nonspecific; g = 0.1 mS/cm2; e = -65 mV }
cell c {
    temperature = 6.3 degC
    v_init = -65 mV
    reversal k = -77 mV
    morphology { soma { area = 1000 um2 } }
    insert leak, kx
}
simulation s of c {
    dt = 0.025 ms
    duration = 10 ms
    method = backward_euler
    stimulus iclamp at soma { delay = 1 ms; duration = 5 ms; amplitude = 0.5 nA }
    record v at soma
    record kx.n at soma
}
"""


def test_a_shared_exponential_is_computed_before_the_rates_that_read_it(tmp_path: Path) -> None:
    pytest.importorskip("numba")
    path = _write(tmp_path, SHARED_EXPONENTIAL)
    numpy_raw = run_simulation(path)[1]
    numba_raw = run_simulation(path, backend="numba")[1]
    for site in ("v@soma", "kx.n@soma"):
        assert np.max(np.abs(numpy_raw["traces"][site] - numba_raw["traces"][site])) < BACKEND_TOLERANCE_MV


def test_a_taylor_band_guard_next_to_in_place_guards_runs(tmp_path: Path) -> None:
    """ms_na's tau_h has a Taylor-band guard (written allocating) beside ms_kv's in-place ones."""
    path = _write(tmp_path, f"""import "{(CHANNELS / 'mainen_sejnowski.ionc').as_posix()}"
channel leak {{ nonspecific; g = 0.03 mS/cm2; e = -70 mV }}
cell c {{
    temperature = 23 degC
    v_init = -70 mV
    ra = 150 ohm*cm
    reversal na = 60 mV
    reversal k = -90 mV
    morphology {{
        section soma {{ length = 20 um; diameter = 20 um; compartments = 1 }}
        section dend {{ length = 200 um; diameter = 2 um; compartments = 5; parent = soma(0.5) }}
    }}
    insert leak, ms_kv on all
    insert ms_na on soma
}}
simulation s of c {{
    dt = 0.025 ms
    duration = 5 ms
    method = backward_euler
    stimulus iclamp at soma {{ delay = 1 ms; duration = 2 ms; amplitude = 0.5 nA }}
    record v at soma
}}
""")
    output, raw = run_simulation(path)
    assert np.all(np.isfinite(raw["traces"]["v@soma"]))


CUSTOM_ION = """
channel mgchan {{ ion mg; gbar = 0.1 mS/cm2; gate m {{ inf = mgi / (mgi + 1 mM); tau = 1 ms }} }}
pool mgpool {{
    ion mg
    depth = 0.1 um
    taur = 10 ms
    mginf = 1 mM
    mgi' = -img / (2 * F * depth) + (mginf - mgi) / taur
}}
channel leak {{ nonspecific; g = 0.1 mS/cm2; e = -65 mV }}
cell c {{
    v_init = -65 mV
    ion mg {{ valence = 2; inside = 1 mM; outside = 2 mM; reversal = {reversal} }}
    morphology {{ soma {{ area = 1000 um2 }} }}
    insert leak, mgchan, mgpool
}}
simulation s of c {{
    duration = 5 ms
    stimulus iclamp at soma {{ delay = 1 ms; duration = 2 ms; amplitude = 0.1 nA }}
    record v at soma
    record mgpool.mgi at soma
}}
"""


@pytest.mark.parametrize("reversal", ["nernst", "-20 mV"])
def test_an_ion_ionc_does_not_know_can_have_a_pool_and_be_read(tmp_path: Path, reversal: str) -> None:
    path = _write(tmp_path, CUSTOM_ION.format(reversal=reversal))
    output, raw = run_simulation(path)
    mgi = raw["traces"]["mgpool.mgi@soma"][0]
    assert mgi[0] == pytest.approx(1.0) and np.all(np.isfinite(mgi))


def test_a_declared_valence_is_the_one_nernst_uses(tmp_path: Path) -> None:
    """ion ca with valence 1 (made up, to test): e = RT/F ln(co/ci) with z = 1, also after a pool step."""
    text = """
channel ca_leak { ion ca; g = 0.1 mS/cm2 }  # tau = cm/g = 10 ms
pool cad { ion ca; taur = 1e9 ms; cai' = (1 uM - cai) / taur }
cell c {
    temperature = 6.3 degC
    v_init = -65 mV
    ion ca { valence = 1; inside = 1 uM; outside = 2 mM; reversal = nernst }
    morphology { soma { area = 1000 um2 } }
    insert ca_leak, cad
}
simulation s of c { duration = 300 ms; dt = 0.1 ms; record v at soma }
"""
    raw = run_simulation(_write(tmp_path, text))[1]
    expected = 1e3 * 8.314462618 * 279.45 / 96485.33212 * np.log(2.0 / 1e-3)  # ca_leak alone: v -> e_ca
    assert raw["traces"]["v@soma"][0][-1] == pytest.approx(expected, abs=1e-6)


def test_numba_single_precision_keeps_the_axial_rows_consistent() -> None:
    pytest.importorskip("numba")
    double = run_simulation(CELLS / "ball_and_stick.ionc")[1]
    single = run_simulation(CELLS / "ball_and_stick.ionc", overrides=["precision=single"], backend="numba")[1]
    for site, trace in double["traces"].items():
        assert np.max(np.abs(trace - single["traces"][site])) < 0.05, site  # numpy single: 0.028 mV


@pytest.mark.parametrize("name", ["passive", "sites", "vsites"])
def test_a_channel_may_have_a_name_the_generated_code_also_uses(tmp_path: Path, name: str) -> None:
    text = f"""
channel {name} {{ nonspecific; g = 1 mS/cm2; e = -70 mV }}
cell c {{
    v_init = -50 mV
    morphology {{ section axon {{ length = 100 um; diameter = 1 um; compartments = 5 }} }}
    insert {name}
}}
simulation s of c {{ duration = 20 ms; record v at axon(0.5) }}
"""
    raw = run_simulation(_write(tmp_path, text))[1]
    assert raw["traces"]["v@axon(0.5)"][0][-1] == pytest.approx(-70.0, abs=0.1)  # tau = 1 ms: relaxed to e


def test_a_channel_name_that_starts_with_a_generated_word_is_refused_with_the_clash(tmp_path: Path) -> None:
    """`v_sites` would share the generated module's `v_...` names (joined with '_' they are not
    one-to-one): refused with E206 at the name, not run with a silent mix-up."""
    from ionc.diagnostics import IoncError

    text = """
channel v_sites { nonspecific; g = 1 mS/cm2; e = -70 mV }
cell c {
    v_init = -50 mV
    morphology { section axon { length = 100 um; diameter = 1 um; compartments = 5 } }
    insert v_sites
}
simulation s of c { duration = 20 ms; record v at axon(0.5) }
"""
    with pytest.raises(IoncError) as error:
        run_simulation(_write(tmp_path, text))
    message = str(error.value)
    assert "E206" in message and "'v_sites' would clash" in message and ":2:9" in message


def test_a_singular_point_that_moves_with_a_pool_concentration_on_some_nodes(tmp_path: Path) -> None:
    text = """
pool cad {
    ion ca
    depth = 0.1 um
    taur = 20 ms
    cainf = 50 nM
    cai' = max(-ica / (2 * F * depth), 0 mM/ms) + (cainf - cai) / taur
}
channel ca_high {
    ion ca
    gbar = 1 mS/cm2
    gate m { inf = 1 / (1 + exp(-(v + 20 mV) / 5 mV)); tau = 1 ms }
}
channel kca {
    ion k
    gbar = 1 mS/cm2
    k = 100 mV/mM
    gate n {
        alpha = 0.01 /ms/mV * (v + 55 mV - k * cai) / (1 - exp(-(v + 55 mV - k * cai) / 10 mV))
        beta = 0.125 /ms
    }
}
channel leak { nonspecific; g = 0.1 mS/cm2; e = -65 mV }
cell c {
    reversal k = -77 mV
    ion ca { inside = 50 nM; outside = 2 mM; reversal = nernst }
    morphology {
        soma { length = 20 um; diameter = 20 um }
        section dend { length = 100 um; diameter = 2 um; compartments = 3; parent = soma(1) }
    }
    insert leak on all
    insert ca_high, cad, kca on dend
}
simulation s of c {
    duration = 5 ms
    stimulus iclamp at soma { delay = 1 ms; duration = 2 ms; amplitude = 0.5 nA }
    record v at dend(0.5)
}
"""
    raw = run_simulation(_write(tmp_path, text))[1]
    assert np.all(np.isfinite(raw["traces"]["v@dend(0.5)"]))


@pytest.mark.parametrize(("block", "message"), [
    ("ion ca { inside = 0 mM; outside = 2 mM; reversal = nernst }", "positive"),
    ("ion ca { inside = -1 mM; outside = 2 mM }", "positive"),
    ("ion mg { valence = 2; reversal = nernst }", "inside"),
])
def test_concentrations_a_nernst_potential_cannot_use_are_diagnostics(tmp_path: Path, block: str, message: str) -> None:
    text = f"""
channel leak {{ nonspecific; g = 0.1 mS/cm2; e = -65 mV }}
cell c {{
    {block}
    morphology {{ soma {{ area = 1000 um2 }} }}
    insert leak
}}
simulation s of c {{ duration = 1 ms; record v at soma }}
"""
    with pytest.raises(IoncError, match=message):
        run_simulation(_write(tmp_path, text))


def test_tables_with_a_pool_say_why_not(tmp_path: Path) -> None:
    with pytest.raises(IoncError, match="pool"):
        run_simulation(CELLS / "presynaptic_terminal.ionc", overrides=["tables=on"])


def test_a_helper_of_a_concentration_alone_is_not_a_constant(tmp_path: Path) -> None:
    text = """
channel sk {
    ion k
    gbar = 1 mS/cm2
    level = cai / 0.43 uM
    gate z { inf = level^4 / (1 + level^4); tau = 1 ms }
}
cell c {
    reversal k = -90 mV
    ion ca { inside = 1 uM; outside = 2 mM }
    morphology { soma { area = 1000 um2 } }
    insert sk
}
simulation s of c { duration = 5 ms; record v at soma; record sk.z at soma }
"""
    raw = run_simulation(_write(tmp_path, text))[1]
    level = 1.0 / 0.43
    assert raw["traces"]["sk.z@soma"][0][0] == pytest.approx(level**4 / (1 + level**4), rel=1e-12)
