"""Exact identities that save exponentials in the time loop.

Hodgkin-Huxley-style rates are full of exp(a v + b). When one exponent's
slope is a whole multiple of another's, exp(k a v + c) = exp(a v + b)^k *
exp(c - k b): a multiplication or two instead of an exponential (rounding
grows by a few units in the last place, far below anything a step of the
cable equation can see).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sympy as sp

POWERS = (2, 3, 4)  # beyond x^4 the products cost about what exp() does


def share_exponentials(
    exprs: Iterable[sp.Expr], v: sp.Symbol, names: Iterator[sp.Symbol]
) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """The expressions with every exp(k a v + c) written through an exp(a v + b) they contain.

    Returns the shared exponentials, each named by a symbol from `names` (to be computed
    first), and the expressions in terms of those symbols. (A symbol, because sympy
    would fold exp(x)**2 straight back into exp(2 x).)"""
    exprs = list(exprs)
    affine = _affine_exponentials(exprs, v)
    shared: dict[sp.Expr, sp.Symbol] = {}
    replacements: dict[sp.Expr, sp.Expr] = {}
    for power in sorted(affine, key=lambda e: (-abs(affine[e][0]), str(e))):
        slope, offset = affine[power]
        for base in sorted(affine, key=str):
            base_slope, base_offset = affine[base]
            if base in replacements or abs(base_slope) >= abs(slope):
                continue
            k = slope / base_slope
            n = round(k)
            if n in POWERS and abs(k - n) < 1e-12 * n:
                symbol = shared.setdefault(base, next(names))
                replacements[power] = symbol**n * sp.Float(sp.exp(offset - n * base_offset))
                break
    replacements.update({base: symbol for base, symbol in shared.items()})
    return [(symbol, base) for base, symbol in shared.items()], [e.xreplace(replacements) for e in exprs]


def _affine_exponentials(exprs: list[sp.Expr], v: sp.Symbol) -> dict[sp.Expr, tuple[float, float]]:
    """exp(a v + b) with numbers a != 0 and b, and their (a, b)."""
    found: dict[sp.Expr, tuple[float, float]] = {}
    for atom in {a for e in exprs for a in e.atoms(sp.exp)}:
        argument = sp.expand(atom.args[0])
        slope, offset = argument.coeff(v, 1), argument.coeff(v, 0)
        if slope.is_number and offset.is_number and slope != 0 and sp.expand(argument - slope * v - offset) == 0:
            found[atom] = (float(slope), float(offset))
    return found
