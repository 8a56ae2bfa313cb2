"""NeuroML2 round trip (issue 6, items 2 and 3): every channel of models/channels (and of the
NMODL export's fixture tests/export/models/awkward.ionc) exports to
NeuroML2 that is valid against NeuroML_v2.3.xsd, strictly (lxml; tests/neuroml_schema.py),
imports back into ionc, and the imported channel is the same channel:

* every gate's inf and tau over v = -120 .. +60 mV (and over cai for the calcium-gated ones)
  within 1e-9 relative, point by point;
* the voltage-clamp battery of ionc.clamp (steps from -90 mV to -100 .. +40 mV, 20 ms, and a
  tail) within 1e-9 of the trace's peak current (the currents cross zero, so not point by
  point), and the kinetic scheme's occupancies within 1e-9 absolute.

The temperature (16.3 degC) differs from every channel's q10 reference temperature, so the
q10 factors are exercised; cai = 0.5 uM reaches the calcium-gated channels' sensitive range.
The imported parameters are the exported defaults: densities and fixed reversals come back
from the ionc: properties. Measured: inf and tau within 7e-14 relative (ms_na), currents within
8e-15 of the peak (tm_na); the floats of numbers written with repr() and read back.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from ionc.clamp import gate_curves, load_channel, numeric_channel, voltage_clamp
from ionc.importer.neuroml import translate_neuroml
from ionc.symbolic.derive import DerivedChannel
from neuroml_schema import assert_valid, library_export

REPO = Path(__file__).resolve().parents[2]
# the NMODL export's fixture: a gate's own q10 and the conductance's, min, max, if, every
# function of the language, a GHK flux of potassium, a nonspecific channel reading cai
AWKWARD = REPO / "tests" / "export" / "models" / "awkward.ionc"
CHANNEL_FILES = (*sorted((REPO / "models" / "channels").glob("*.ionc")), AWKWARD)
RELATIVE = 1e-9  # the criterion
CELSIUS = 16.3
REVERSALS = {"na": 50.0, "k": -77.0, "ca": 132.4579341637009}
CONCENTRATIONS = {"cai": 5e-4}
V_GRID = np.linspace(-120.0, 60.0, 721)
CAI_GRID = np.geomspace(1e-6, 1e-1, 41)


@functools.cache
def _loaded(path: Path, name: str) -> DerivedChannel:
    return load_channel(path, name)


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, Path]]:
    """channel -> (its model file, the exported .nml, the imported .ionc)."""
    out = tmp_path_factory.mktemp("neuroml")
    found = {}
    for source in CHANNEL_FILES:
        exported = library_export(source)  # made once per session: test_neuroml_export validates them too
        for document in exported.documents:
            nml = out / document.filename
            nml.write_text(document.text, encoding="utf-8")
            name = document.filename.split(".")[0]
            imported = out / f"{name}.ionc"
            imported.write_text(translate_neuroml(nml).text, encoding="utf-8")
            found[name] = (source, nml, imported)
    return found


LIBRARY = ("bk", "cat", "cs_a", "cs_k", "cs_na", "hh_k", "hh_na", "hva", "ih", "kv31", "leak", "ms_ca",
           "ms_kca", "ms_km", "ms_kv", "ms_na", "na_markov", "release", "sk", "tm_k", "tm_na")
FIXTURES = ("awkward", "ca_leak", "functions", "ghk_k")


POOLS = ("cad",)  # compared under a prescribed current in tests/importer/test_neuroml_pool.py


def test_every_library_channel_is_exported(round_trips: dict[str, tuple[Path, Path, Path]]) -> None:
    assert sorted(round_trips) == sorted(LIBRARY + FIXTURES + POOLS)


@pytest.mark.parametrize("name", LIBRARY + FIXTURES)
def test_round_trip(name: str, round_trips: dict[str, tuple[Path, Path, Path]]) -> None:
    source, nml, imported = round_trips[name]
    assert_valid(nml)
    original = numeric_channel(_loaded(source, name), celsius=CELSIUS, reversals=REVERSALS,
                               concentrations=CONCENTRATIONS)
    again = numeric_channel(_loaded(imported, name), celsius=CELSIUS, reversals=REVERSALS,
                            concentrations=CONCENTRATIONS)
    assert [g.name for g in again.gates] == [g.name for g in original.gates]
    assert again.reversal == pytest.approx(original.reversal, rel=RELATIVE, nan_ok=True)
    for gate, (inf, tau) in gate_curves(original, V_GRID).items():
        inf_again, tau_again = gate_curves(again, V_GRID)[gate]
        np.testing.assert_allclose(inf_again, inf, rtol=RELATIVE, atol=0)
        np.testing.assert_allclose(tau_again, tau, rtol=RELATIVE, atol=0)
    battery, battery_again = (voltage_clamp(c, t_tail=5.0) for c in (original, again))
    peak = np.max(np.abs(battery.current))
    assert peak > 0 or name == "release"  # the readout has no current
    np.testing.assert_allclose(battery_again.current, battery.current, rtol=0, atol=RELATIVE * peak)
    for state, trace in battery.states.items():
        np.testing.assert_allclose(battery_again.states[state], trace, rtol=RELATIVE, atol=RELATIVE)


@pytest.mark.parametrize("name", ("bk", "sk", "ms_kca", "release", "ca_leak"))
def test_calcium_gated_round_trip(name: str, round_trips: dict[str, tuple[Path, Path, Path]]) -> None:
    """The calcium dependence comes back too: inf and tau over cai at three voltages."""
    source, _, imported = round_trips[name]
    channels = [_loaded(path, name) for path in (source, imported)]
    for cai in CAI_GRID[::8]:
        curves = [gate_curves(numeric_channel(c, celsius=CELSIUS, reversals=REVERSALS,
                                              concentrations={"cai": float(cai)}), (-70.0, -20.0, 30.0))
                  for c in channels]
        for gate, (inf, tau) in curves[0].items():
            np.testing.assert_allclose(curves[1][gate][0], inf, rtol=RELATIVE, atol=0)
            np.testing.assert_allclose(curves[1][gate][1], tau, rtol=RELATIVE, atol=0)
