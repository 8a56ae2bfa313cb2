"""Regressions found in review: shapes and names in generated code, both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ionc.api import compile_file, run_simulation
from ionc.diagnostics import IoncError

HH = (Path(__file__).resolve().parents[2] / "models" / "channels" / "hh.ionc").as_posix()
BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba not installed"))]

CABLE = """
channel cg {{ nonspecific; g = 0.1 mS/cm2; e = -65 mV; p = 0.5
    gate x {{ inf = p; tau = 1 ms }} }}
channel lk {{ nonspecific; gunit = 0.1 mS/cm2; g = 3 * gunit; e = -65 mV }}
channel lk2 {{ nonspecific; g = 0.05 mS/cm2; e = -60 mV }}
cell c {{
    ra = 100 ohm*cm
    morphology {{ section axon {{ length = 500 um; diameter = 1 um; compartments = 5 }} }}
    insert cg, lk(gunit = 1 mS/cm2), lk2 on all
}}
simulation s of c {{
    duration = 2 ms
    stimulus iclamp at axon(0.1) {{ delay = 0.5 ms; duration = 1 ms; amplitude = 0.01 nA }}
    record v at axon(0.9)
    record cg.x at axon(0.9)
    {extra}
}}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_constant_inf_gate_and_gateless_channels_in_a_batch(tmp_path: Path, backend: str) -> None:
    model = tmp_path / "cable.ionc"
    model.write_text(CABLE.format(extra=""), encoding="utf-8")
    output, raw = run_simulation(model, sweeps=["stim.amplitude=0:0.02nA:3"], backend=backend)
    assert raw["traces"]["cg.x@axon(0.9)"].shape == (3, 81)
    assert np.allclose(raw["traces"]["cg.x@axon(0.9)"], 0.5)
    assert raw["traces"]["v@axon(0.9)"][0, -1] == pytest.approx(raw["traces"]["v@axon(0.9)"][0, 0], abs=1.0)


def test_a_derived_default_follows_the_parameter_it_uses(tmp_path: Path) -> None:
    model = tmp_path / "cable.ionc"
    model.write_text(CABLE.format(extra=""), encoding="utf-8")
    module = compile_file(model).load()
    assert module.PARAMETERS["lk.gunit"] == 1.0
    assert "lk.g" not in module.PARAMETERS  # g = 3 * gunit is derived, not a separate value
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert "3*lk_gunit" in source


def test_per_region_values_can_be_swept(tmp_path: Path) -> None:
    model = tmp_path / "regions.ionc"
    model.write_text(f"""import "{HH}"
cell c {{
    ra = 100 ohm*cm
    reversal na = 50 mV
    reversal k = -77 mV
    morphology {{
        soma {{ length = 20 um; diameter = 20 um }}
        section axon {{ length = 200 um; diameter = 1 um; parent = soma(1); compartments = 5 }}
    }}
    insert hh_na(gbar = 120 mS/cm2) on soma
    insert hh_na(gbar = 60 mS/cm2) on axon
    insert hh_k, leak on all
}}
simulation s of c {{ duration = 10 ms
    stimulus iclamp at soma {{ delay = 1 ms; duration = 5 ms; amplitude = 0.3 nA }}
    record v at soma }}
""", encoding="utf-8")
    output, _ = run_simulation(model, sweeps=["hh_na.gbar@soma=0:120mS/cm2:2"])
    counts = [len(s) for s in output["spikes"]["v@soma"]]
    assert counts[0] < counts[1]  # no somatic sodium, fewer (no) spikes


def test_a_channel_named_like_generated_code_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "m.ionc"
    model.write_text("channel membrane { nonspecific; g = 1 mS/cm2; e = -65 mV }\n", encoding="utf-8")
    from ionc.api import check_file

    with pytest.raises(IoncError) as error:
        check_file(model)
    assert "E206" in str(error.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conditions_with_and_or_in_both_backends(tmp_path: Path, backend: str) -> None:
    model = tmp_path / "cond.ionc"
    model.write_text("""
channel k { ion k; gbar = 1 mS/cm2
    gate n { inf = if v > -40 mV and v < 100 mV then 1 else 0; tau = 1 ms } }
cell c { reversal k = -77 mV; morphology { soma { area = 1000 um2 } }; insert k on all }
simulation s of c { duration = 1 ms; record k.n at soma }
""", encoding="utf-8")
    output, _ = run_simulation(model, backend=backend)
    assert output["traces"]["k.n@soma"][-1] == 0.0  # v = -65 mV: the condition is false
