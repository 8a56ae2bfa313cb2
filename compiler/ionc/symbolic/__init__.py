"""Stages 4 and 5: lower to sympy, then derive the equations that are emitted."""
