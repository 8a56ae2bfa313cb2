"""INITIAL, compared with what ionc does at the start: every gate at its steady state.

NEURON runs INITIAL; ionc starts each gate at inf(v_init). Where INITIAL sets
a state to something else (m = 0), the translation starts differently, and
a note says so. The comparison is numeric, at several v, with the
PARAMETER values, at 6.3 degC and NEURON's default concentrations: a value
that is the steady state in another form (minf, alpha/(alpha + beta)) agrees
to rounding.
"""

from __future__ import annotations

import sympy as sp

from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_channels import Channel, Gate
from ionc.importer.nmodl_eval import Outcome
from ionc.importer.nmodl_values import SympyBuilder, Value, symbol

PROBE_VOLTAGES = (-90, -65, -40.5, -10, 20)
RELATIVE_TOLERANCE = 1e-9
# NEURON's defaults where a rate reads a concentration (mM) or the temperature
_DEFAULTS = {"celsius": 6.3, "nai": 10.0, "nao": 140.0, "ki": 54.4, "ko": 2.5, "cai": 5e-5, "cao": 2.0,
             "cli": 10.0, "clo": 100.0}


def initial_notes(module: ast.Module, channels: tuple[Channel, ...], initial: Outcome | None,
                  filename: str) -> list[str]:
    if initial is None:
        return []
    notes = []
    constants = _constants(module)
    for channel in channels:
        for gate in channel.gates:
            start = initial.assigned.get(gate.state)
            if start is None or not _is_steady_state(start, gate, constants):
                where = module.block("INITIAL")
                line = where.span.line if where else 0
                what = "does not set it" if start is None else "sets it to something else"
                notes.append(f"{filename}:{line}: INITIAL does not start {gate.state} at its steady state ({what}); "
                             f"ionc starts gate {gate.state} of {channel.name} at its steady state at v_init")
    return notes


def _constants(module: ast.Module) -> dict[sp.Symbol, float]:
    values = {symbol(name): value for name, value in _DEFAULTS.items()}
    for declaration in module.declarations:
        if declaration.value is not None:
            values[symbol(declaration.name)] = float(declaration.value.value)
    return values


def _is_steady_state(start: Value, gate: Gate, constants: dict[sp.Symbol, float]) -> bool:
    first, second = SympyBuilder().build(gate.first), SympyBuilder().build(gate.second)
    steady = first / (first + second) if gate.form == "rates" else first
    given = SympyBuilder().build(start)
    for voltage in PROBE_VOLTAGES:
        point = {**constants, symbol("v"): voltage}
        a, b = sp.N(given.subs(point)), sp.N(steady.subs(point))
        if not (a.is_real and b.is_real and a.is_finite and b.is_finite):
            return False
        if abs(float(a) - float(b)) > RELATIVE_TOLERANCE * max(abs(float(b)), 1e-12):
            return False
    return True
