"""Removable singularities inside min, max and if (symbolic/singularities.py).

Migliore's na3 writes `tau = max(1/(a + b), mmin)` with `a = Ra (v - tha)/(1 - exp(-(v - tha)/qa))`:
0/0 at v = tha inside max(). The limit there is max(1/(a0 + b0), mmin) with a0 = Ra qa, b0 = Rb qa
(each rate's own limit), and the slope is that of the branch taken. Checked against the closed form
and against finite differences of the expression evaluated away from the point in 50-digit arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from ionc.clamp import load_channel, numeric_channel
from ionc.symbolic.singularities import singular_points

v = sp.Symbol("v", real=True)
A = sp.Rational(4, 10) * (v + 30) / (1 - sp.exp(-(v + 30) / sp.Rational(72, 10)))
B = sp.Rational(124, 1000) * (-v - 30) / (1 - sp.exp((v + 30) / sp.Rational(72, 10)))
LIMIT = 1 / (sp.Rational(4, 10) * sp.Rational(72, 10) + sp.Rational(124, 1000) * sp.Rational(72, 10))


def _finite_difference_slope(expr: sp.Expr, at: float) -> float:
    h = sp.Rational(1, 10**6)
    upper, lower = (expr.subs(v, at + h).evalf(50), expr.subs(v, at - h).evalf(50))
    return float((upper - lower) / (2 * h))


@pytest.mark.parametrize("expr", [
    sp.Max(1 / (A + B), sp.Rational(2, 100)),
    sp.Min(1 / (A + B), 5),
    sp.Piecewise((sp.Rational(2, 100), 1 / (A + B) < sp.Rational(2, 100)), (1 / (A + B), True)),
])
def test_a_zero_inside_min_max_or_if_is_guarded_with_its_limit(expr: sp.Expr) -> None:
    (point,) = singular_points(expr, v)
    assert point.at == -30
    assert sp.simplify(point.value - LIMIT) == 0  # 0.26505513...: the taken branch's own limit
    assert float(point.slope) == pytest.approx(_finite_difference_slope(expr, -30), rel=1e-6)


def test_the_branch_not_taken_gives_its_constant(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (point,) = singular_points(sp.Max(1 / (A + B), 1), v)  # 1 > 0.265 at the point: the constant
    assert point.value == 1 and point.slope == 0


def test_a_channel_with_a_clipped_tau_is_finite_at_the_point(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "na3.ionc"
    path.write_text("""
channel na3t {
    ion na
    gbar = 10 mS/cm2
    gate m ^ 3 {
        a = 0.4 /ms/mV * (v + 30 mV) / (1 - exp(-(v + 30 mV) / 7.2 mV))
        b = 0.124 /ms/mV * (-v - 30 mV) / (1 - exp((v + 30 mV) / 7.2 mV))
        inf = a / (a + b)
        tau = max(1 / (a + b), 0.02 ms)
    }
}
""", encoding="utf-8")
    gate = numeric_channel(load_channel(path, "na3t"), reversals={"na": 50.0}).gate("m")
    near = np.array([-30.0 - 1e-7, -30.0, -30.0 + 1e-7])
    tau = gate.tau(near)
    assert np.all(np.isfinite(tau))
    assert tau[1] == pytest.approx(float(LIMIT), rel=1e-12)
    assert np.max(np.abs(np.diff(tau))) < 1e-6
