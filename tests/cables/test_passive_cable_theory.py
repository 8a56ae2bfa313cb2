"""Passive cables against cable theory's closed forms (no NEURON needed).

Model: tests/cables/models/passive_cable.ionc (parameters in its header).

* cable_cell: a sealed-end cable, L = 400 um, d = 2 um, Ra = 100 ohm cm,
  g = 1 mS/cm2, cm = 1 uF/cm2 (lambda = 223.607 um, L/lambda = 1.789,
  tau = 1 ms), 2000 compartments of 0.2 um, dt 0.01 ms, a 0.1 nA step at
  x = 0 held for 20 ms (20 tau). At steady state
      V(x) - e = I r_a lambda cosh((L - x)/lambda) / sinh(L/lambda),
  so (a) V(x)/V(0) = cosh((L - x)/lambda) / cosh(L/lambda) and (b)
  R_in = V(0)/I = r_a lambda coth(L/lambda), r_a = 4 Ra / (pi d^2).
* patch: one compartment, cm = 2 uF/cm2, g = 0.25 mS/cm2: (c) a 0.01 nA
  step charges it as 1 - exp(-t/tau) with tau = cm/g = 8 ms.

Where ionc samples: a location section(x) is the compartment that contains
x, so ionc's v@cable(0) is the first compartment's centre (x = 0.1 um; the
zero-area end node is not kept, see morphology/discretize.py) and
cable(50 um) is the centre at 50.1 um. Acceptance (the brief): 0.5%
against the closed forms at the nominal x. The closed forms evaluated at the
compartment centres must agree far better (0.01%): the cell-centred
discretisation error is O((h/lambda)^2), about 1e-7 here.

Crank-Nicolson is not L-stable: a step of current at one node leaves the
stiffest cable modes (dt * rate up to 1e5 here) alternating in sign from step
to step and decaying only slowly, about 0.004 mV at the injection node after
20 ms. NEURON's secondorder = 2 does the same. The steady-state value under
CN is taken as the mean of the last two samples, which cancels that
alternation.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

MODEL = Path(__file__).resolve().parent / "models" / "passive_cable.ionc"

# cable_cell
LENGTH_UM, DIAM_UM, RA_OHM_CM, G_MS_CM2, CM_UF_CM2, NSEG = 400.0, 2.0, 100.0, 1.0, 1.0, 2000
AMP_NA = 0.1
RM_OHM_CM2 = 1e3 / G_MS_CM2
LAMBDA_UM = math.sqrt(RM_OHM_CM2 * DIAM_UM * 1e-4 / (4 * RA_OHM_CM)) * 1e4
R_A_OHM_PER_UM = 4 * RA_OHM_CM / (math.pi * (DIAM_UM * 1e-4) ** 2) * 1e-4
# trace name -> fraction x along the cable
SITES = {
    "v@cable(0)": 0.0,
    "v@cable(50 um)": 50.0 / LENGTH_UM,
    "v@cable(100 um)": 100.0 / LENGTH_UM,
    "v@cable(200 um)": 200.0 / LENGTH_UM,
    "v@cable(300 um)": 300.0 / LENGTH_UM,
    "v@cable(1)": 1.0,
}

# patch
PATCH_CM, PATCH_G, PATCH_DIAM_UM = 2.0, 0.25, 20.0
PATCH_AMP_NA, PATCH_DELAY_MS = 0.01, 1.0
TAU_MS = PATCH_CM / PATCH_G  # uF/cm2 / (mS/cm2) = ms
PATCH_R_MOHM = 1.0 / (PATCH_G * 1e-3 * math.pi * PATCH_DIAM_UM**2 * 1e-8) * 1e-6

ACCEPT = 5e-3  # 0.5 %, the acceptance criterion
AT_CENTRES = 1e-4  # 0.01 %, closed forms at the compartment centres
METHODS = ("backward_euler", "crank_nicolson")


def closed_form_mv(x_um: float | np.ndarray) -> float | np.ndarray:
    """Steady-state depolarisation (mV) at x of the sealed cable with AMP_NA at x = 0."""
    x = np.asarray(x_um, dtype=float)
    scale = AMP_NA * 1e-9 * R_A_OHM_PER_UM * LAMBDA_UM * 1e3  # mV
    return scale * np.cosh((LENGTH_UM - x) / LAMBDA_UM) / np.sinh(LENGTH_UM / LAMBDA_UM)


def centre_um(x: float) -> float:
    """Centre of the compartment that holds section(x), NEURON's rule."""
    k = min(int(NSEG * x), NSEG - 1)
    return (k + 0.5) / NSEG * LENGTH_UM


def steady_depolarisation(output: dict, site: str) -> float:
    trace = np.asarray(output["traces"][site])
    return float(np.mean(trace[-2:]) - (-65.0))


@pytest.fixture(scope="module", params=METHODS)
def steady(request: pytest.FixtureRequest, ionc_run) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    method = request.param
    return method, ionc_run(MODEL, f"method={method}", simulation="steady")


def test_parameters_are_the_stated_ones() -> None:
    assert LAMBDA_UM == pytest.approx(223.607, abs=1e-3)
    assert LENGTH_UM / LAMBDA_UM == pytest.approx(1.78885, abs=1e-5)
    assert R_A_OHM_PER_UM * 1e-6 * 100 == pytest.approx(31.831, abs=1e-3)  # Mohm per 100 um
    assert TAU_MS == 8.0
    assert PATCH_R_MOHM == pytest.approx(318.31, abs=0.01)


def test_steady_state_is_reached(steady: tuple[str, dict]) -> None:
    method, output = steady
    assert output["meta"]["compartments"] == NSEG
    for site in SITES:
        trace = np.asarray(output["traces"][site])
        last = np.mean(trace[-2:])
        earlier = np.mean(trace[-102:-100])  # 1 ms before
        assert abs(last - earlier) < 1e-6 * abs(last + 65.0), (method, site)


def test_attenuation_along_the_cable(steady: tuple[str, dict]) -> None:
    """(a) V(x)/V(0) = cosh((L - x)/lambda) / cosh(L/lambda), within 0.5%."""
    method, output = steady
    v0 = steady_depolarisation(output, "v@cable(0)")
    report = []
    for site, x in SITES.items():
        ratio = steady_depolarisation(output, site) / v0
        nominal = math.cosh((LENGTH_UM - x * LENGTH_UM) / LAMBDA_UM) / math.cosh(LENGTH_UM / LAMBDA_UM)
        at_centres = float(closed_form_mv(centre_um(x)) / closed_form_mv(centre_um(0.0)))
        report.append(f"{site}: ionc {ratio:.7f}, cosh ratio {nominal:.7f} ({ratio / nominal - 1:+.1e}); "
                      f"at the compartment centres {at_centres:.7f} ({ratio / at_centres - 1:+.1e})")
        assert ratio == pytest.approx(nominal, rel=ACCEPT), (method, site)
        assert ratio == pytest.approx(at_centres, rel=AT_CENTRES), (method, site)
    print(f"\n{method}: " + "\n".join(report))
    # the far end really is attenuated: L/lambda = 1.79 gives cosh(1.79) = 3.08
    assert steady_depolarisation(output, "v@cable(1)") / v0 == pytest.approx(1 / 3.08, rel=0.01)


def test_input_resistance(steady: tuple[str, dict]) -> None:
    """(b) R_in = r_a lambda coth(L/lambda), within 0.5%."""
    method, output = steady
    r_in_mohm = steady_depolarisation(output, "v@cable(0)") / AMP_NA  # mV/nA = Mohm
    closed = R_A_OHM_PER_UM * LAMBDA_UM / math.tanh(LENGTH_UM / LAMBDA_UM) * 1e-6
    at_centre = float(closed_form_mv(centre_um(0.0))) / AMP_NA
    print(f"\n{method}: R_in ionc {r_in_mohm:.5f} Mohm, r_a lambda coth(L/lambda) {closed:.5f} Mohm "
          f"(error {r_in_mohm / closed - 1:+.2e}); closed form at x = 0.1 um {at_centre:.5f} "
          f"(error {r_in_mohm / at_centre - 1:+.2e})")
    assert closed == pytest.approx(75.268, abs=1e-3)
    assert r_in_mohm == pytest.approx(closed, rel=ACCEPT)
    assert r_in_mohm == pytest.approx(at_centre, rel=AT_CENTRES)


def test_profile_in_absolute_terms(steady: tuple[str, dict]) -> None:
    """Every recorded site's depolarisation (mV) against the closed form at its compartment centre."""
    method, output = steady
    for site, x in SITES.items():
        assert steady_depolarisation(output, site) == pytest.approx(
            float(closed_form_mv(centre_um(x))), rel=AT_CENTRES), (method, site)


def _charging(t: np.ndarray, amplitude: float, tau: float) -> np.ndarray:
    return amplitude * (1.0 - np.exp(-np.maximum(t - PATCH_DELAY_MS, 0.0) / tau))


@pytest.mark.parametrize("method", METHODS)
def test_membrane_time_constant(method: str, ionc_run) -> None:  # type: ignore[no-untyped-def]
    """(c) tau_m = cm/g from the charging curve of one compartment, within 0.5%."""
    from scipy.optimize import curve_fit

    output = ionc_run(MODEL, f"method={method}", simulation="charging")
    t = np.asarray(output["t"])
    dv = np.asarray(output["traces"]["v@soma"]) + 65.0
    assert np.all(dv[t <= PATCH_DELAY_MS] == 0.0)
    on = t >= PATCH_DELAY_MS
    (amplitude, tau), _ = curve_fit(_charging, t[on], dv[on], p0=(1.0, 1.0))
    expected_amplitude = PATCH_AMP_NA * PATCH_R_MOHM
    deviation = np.max(np.abs(dv - _charging(t, expected_amplitude, TAU_MS))) / expected_amplitude
    print(f"\n{method}: fitted tau {tau:.6f} ms (cm/g = {TAU_MS} ms, error {tau / TAU_MS - 1:+.2e}); "
          f"amplitude {amplitude:.6f} mV (I/(g area) = {expected_amplitude:.6f}); "
          f"max |V - closed form| = {deviation:.2e} of the amplitude")
    assert tau == pytest.approx(TAU_MS, rel=ACCEPT)
    assert amplitude == pytest.approx(expected_amplitude, rel=ACCEPT)
    assert deviation < ACCEPT
