"""Shared exponentials: exp(k a v + c) through exp(a v + b), exactly the same function."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
from ionc.symbolic.identities import share_exponentials

V = sp.Symbol("v", real=True)


def names() -> itertools.count:
    return (sp.Symbol(f"_e{k}") for k in itertools.count())  # type: ignore[return-value]


def test_hh_beta_h_reuses_alpha_h_exponential() -> None:
    alpha_h = 0.07 * sp.exp(-0.05 * V - 3.25)
    beta_h = 1 / (sp.exp(-0.1 * V - 3.5) + 1)
    shared, (alpha, beta) = share_exponentials([alpha_h, beta_h], V, names())
    assert len(shared) == 1 and not beta.atoms(sp.exp) and not alpha.atoms(sp.exp)
    symbol, base = shared[0]
    grid = np.linspace(-120.0, 80.0, 2001)
    values = sp.lambdify(V, base, "numpy")(grid)
    for original, rewritten in ((alpha_h, alpha), (beta_h, beta)):
        expected = sp.lambdify(V, original, "numpy")(grid)
        got = sp.lambdify((V, symbol), rewritten, "numpy")(grid, values)
        np.testing.assert_allclose(got, expected, rtol=4e-15)


def test_unrelated_slopes_are_left_alone() -> None:
    beta_m = 4 * sp.exp(-V / 18 - sp.Rational(65, 18))
    beta_n = sp.Rational(1, 8) * sp.exp(-V / 80 - sp.Rational(13, 16))
    shared, exprs = share_exponentials([beta_m, beta_n], V, names())
    assert shared == [] and exprs == [beta_m, beta_n]
