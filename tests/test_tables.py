"""Rate tables (`tables = on`): interpolated inf and exp(-dt/tau), a stated error bound,
and a hard stop when v leaves the tables' range."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ionc.api import run_simulation

ROOT = Path(__file__).resolve().parent.parent
HH_POINT = ROOT / "models" / "cells" / "hh_point.ionc"
SQUID = ROOT / "models" / "cells" / "squid_axon.ionc"


def test_tables_agree_with_exact_rates_within_the_stated_bound() -> None:
    exact, _ = run_simulation(HH_POINT)
    tabled, _ = run_simulation(HH_POINT, overrides=["tables=on"])
    bounds = tabled["meta"]["table_error"]
    assert set(bounds) == {f"{s}.{q}" for s in ("hh_na_m", "hh_na_h", "hh_k_n") for q in ("inf", "exp(-dt/tau)")}
    # h^2/8 max|f''| with h = 0.05 mV: well below a millionth for HH's gates.
    assert all(0 < bound < 1e-6 for bound in bounds.values()), bounds
    # Errors of 1e-6 in the gates move spike times by far less than NEURON's own
    # 1 mV tables do (0.037 ms on this case).
    assert len(tabled["spikes"]["v@soma"]) == len(exact["spikes"]["v@soma"]) == 3
    assert np.allclose(tabled["spikes"]["v@soma"], exact["spikes"]["v@soma"], atol=1e-3)


def test_tables_on_a_cable() -> None:
    exact, _ = run_simulation(SQUID, overrides=["axon.compartments=200"])
    tabled, _ = run_simulation(SQUID, overrides=["axon.compartments=200", "tables=on"])
    name = "axon(0.2)->axon(0.8)"
    assert tabled["velocity"][name] == pytest.approx(exact["velocity"][name], rel=1e-4)


def test_leaving_the_table_range_stops_the_run_with_a_message(tmp_path: Path) -> None:
    # v_init = -150 mV lies below the tables (-100 to +100 mV): NEURON would clamp silently.
    result = subprocess.run(
        [sys.executable, "-m", "ionc", "run", str(HH_POINT), "--set", "tables=on", "--set", "v_init=-150mV"],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "compiler"), "IONC_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 3
    assert "outside the rate tables" in result.stderr and "t = " in result.stderr
    assert "Traceback" not in result.stderr
