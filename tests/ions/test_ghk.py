"""The GHK flux's removable singularity: efun(x) = x/(1 - exp(-x)) and its slope, as the
generated code computes them, against 50-digit arithmetic; and the flux at v = 0."""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import sympy as sp
from ionc import clamp
from ionc.runtime.standalone import efun, efun_slope
from ionc.symbolic.ghk import efun as efun_symbol

CHANNELS = Path(__file__).resolve().parents[2] / "models" / "channels"
OFFSETS = np.concatenate([[0.0], 10.0 ** np.arange(-15.0, 1.01, 0.25)])
X = np.concatenate([-OFFSETS[::-1], OFFSETS])
FARADAY = 96485.33212


def _exact(x: float, slope: bool) -> mpmath.mpf:
    with mpmath.workdps(50):
        y = mpmath.mpf(x)
        if y == 0:
            return mpmath.mpf("0.5") if slope else mpmath.mpf(1)
        denominator = 1 - mpmath.exp(-y)
        return (denominator - y * mpmath.exp(-y)) / denominator**2 if slope else y / denominator


def test_efun_is_one_at_zero_and_exact_to_rounding_around_it() -> None:
    values = efun(X)
    assert efun(np.array([0.0]))[0] == 1.0
    worst = max(abs(float((mpmath.mpf(float(got)) - _exact(x, False)) / _exact(x, False)))
                for x, got in zip(X, values, strict=True))
    assert worst < 4e-16


def test_efun_slope_is_one_half_at_zero_and_continuous() -> None:
    values = efun_slope(X)
    assert efun_slope(np.array([0.0]))[0] == 0.5
    worst = max(abs(float((mpmath.mpf(float(got)) - _exact(x, True)) / _exact(x, True)))
                for x, got in zip(X, values, strict=True))
    assert worst < 1e-12  # the closed form just above |x| = 1e-3 cancels a little (measured 3e-14)


def test_symbolic_efun_knows_its_limit_and_derivative() -> None:
    x = sp.Symbol("x", real=True)
    assert efun_symbol(sp.Integer(0)) == 1
    closed = x / (1 - sp.exp(-x))
    assert sp.limit(closed, x, 0) == 1
    assert sp.simplify(sp.diff(efun_symbol(x), x).rewrite(sp.exp) - sp.diff(closed, x)) == 0


def test_ghk_current_at_zero_is_the_analytic_limit_and_continuous() -> None:
    channel = clamp.numeric_channel(clamp.load_channel(CHANNELS / "destexhe_cat.ionc", "cat"), celsius=24.0,
                                    concentrations={"cai": 2.4e-4, "cao": 2.0})
    v = np.array([0.0, 1e-12, -1e-12, 1e-6, -1e-6, 1e-3, -1e-3])
    current = channel.current(v, {"m": np.ones(v.size), "h": np.ones(v.size)})
    limit = 2e-4 * 2 * FARADAY * (2.4e-4 - 2.0)  # pbar z F (ci - co): uA/cm2 with pbar in cm/s, c in mM
    assert abs(current[0] / limit - 1) < 1e-15
    # the flux is smooth through 0: its slope there is about z F/(RT) * |limit| / 2 per mV
    np.testing.assert_allclose(current[1:3], limit, rtol=1e-12)
    assert np.all(np.abs(current[3:] / limit - 1) < 5e-2 * np.abs(v[3:]))
