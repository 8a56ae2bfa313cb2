"""`ionc verify` for concentration pools: a prescribed current drives the pool in ionc and in NEURON.

A pool has no current of its own to clamp: it integrates the current of its
ion. The same waveform of that current drives it on both sides:

* NEURON: the pool's mechanism and a driver, `ionc_verify_i<ion>` (written
  here: `USEION <ion> WRITE i<ion>`, the waveform as a function of t), in the
  1000 um2 compartment clamped at HOLD_MV; the concentration is recorded.
* ionc: the pool's derived equation, x' = (inf - x)/tau with inf and tau
  functions of the current, stepped exactly with the current frozen over each
  step (what NEURON's cnexp computes), from NEURON's concentration at t = 0
  (a .mod file's INITIAL may start the pool at its own resting level).

The waveform (uA/cm2, outward positive): 5 ms of nothing, 10 ms of -1 inward,
10 ms of nothing, 5 ms of +2 outward (a pool that only fills does not empty
with it), 10 ms of -3 inward, 20 ms of decay. NEURON evaluates currents at the
middle of each step (t + dt/2), and every edge of the waveform falls on a
whole step: the current over step k is the waveform at k dt on both sides.
The comparison passes when the concentrations agree within 1% of NEURON's
largest excursion from its start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ionc.symbolic.derive import DerivedChannel

HOLD_MV = -65.0
# (duration ms, current uA/cm2), in order
WAVEFORM = ((5.0, 0.0), (10.0, -1.0), (10.0, 0.0), (5.0, 2.0), (10.0, -3.0), (20.0, 0.0))
UA_TO_MA = 1e-3
NEURON_IONS = ("na", "k", "ca")  # a driver of another ion would need its VALENCE


class PoolError(ValueError):
    """A pool this verification cannot drive (an ion NEURON does not know, inputs it does not set)."""


def driver_suffix(ion: str) -> str:
    return f"ionc_verify_i{ion}"


def waveform(dt: float) -> np.ndarray:
    """The current (uA/cm2) over each step k (k = 0 .. K-1) and, repeated, at the last sample K."""
    steps = np.concatenate([np.full(round(duration / dt), level) for duration, level in WAVEFORM])
    return np.append(steps, steps[-1])


def driver_text(ion: str) -> str:
    """The .mod file of the driver: the waveform as the ion's current."""
    if ion not in NEURON_IONS:
        raise PoolError(f"a pool of '{ion}': NEURON defines only {', '.join(NEURON_IONS)} without a VALENCE")
    branches, start = [], 0.0
    for duration, level in WAVEFORM:
        start += duration
        branches.append(f"if (t < {start:g}) {{\n        i{ion} = {level * UA_TO_MA:g}\n    }}")
    body = " else ".join(branches) + f" else {{\n        i{ion} = 0\n    }}"
    return f"""TITLE {driver_suffix(ion)}: a prescribed {ion} current that drives a pool (ionc verify)

COMMENT
Written by ionc verify. NEURON evaluates BREAKPOINT at t + dt/2 and every
edge below is a whole number of steps: the current over a step is the level
of the window it lies in. Outward positive, as NEURON's currents are.
ENDCOMMENT

NEURON {{
    SUFFIX {driver_suffix(ion)}
    USEION {ion} WRITE i{ion}
}}

UNITS {{
    (mA) = (milliamp)
}}

ASSIGNED {{
    i{ion} (mA/cm2)
}}

BREAKPOINT {{
    : the waveform, ms and mA/cm2
    {body}
}}
"""


@dataclass(frozen=True)
class NumericPool:
    """A pool's steady state (mM) and time constant (ms) as functions of its ion's current (uA/cm2)."""

    name: str
    inf: Callable[[np.ndarray], np.ndarray]
    tau: Callable[[np.ndarray], np.ndarray]

    def trace(self, current: np.ndarray, start: float, dt: float) -> np.ndarray:
        """The concentration at t = k dt, the current frozen over each step (cnexp's exact step)."""
        inf = np.broadcast_to(np.asarray(self.inf(current), dtype=float), current.shape)
        tau = np.broadcast_to(np.asarray(self.tau(current), dtype=float), current.shape)
        out = np.empty(current.shape)
        out[0] = start
        decay = np.exp(-dt / tau)
        for k in range(1, current.size):
            out[k] = inf[k - 1] + (out[k - 1] - inf[k - 1]) * decay[k - 1]
        return out


def numeric_pool(derived: DerivedChannel, *, celsius: float, concentrations: Mapping[str, float] | None = None,
                 v: float = HOLD_MV) -> NumericPool:
    """The pool's inf and tau with its parameters, the temperature and the concentrations fixed."""
    from ionc.lower import T, V
    from ionc.sema.ions import KNOWN_IONS, concentration_names
    from ionc.symbolic.bridge import ABSOLUTE_ZERO_CELSIUS, symbol

    channel = derived.channel
    if len(derived.gates) != 1 or channel.ion is None:
        raise PoolError(f"pool {channel.name}: one concentration of one ion is what this verification drives")
    temperature = sp.Rational(repr(float(celsius))) + ABSOLUTE_ZERO_CELSIUS
    values: dict[sp.Symbol, sp.Expr] = {p.symbol: sp.Float(p.value) for p in channel.parameters}
    values |= {T: temperature, V: sp.Float(v), derived.phi: channel.q10.subs(T, temperature)}
    for name, (ion, side) in concentration_names().items():
        default = getattr(KNOWN_IONS[ion], f"{side}_mM")
        values[symbol(name)] = sp.Float(float((concentrations or {}).get(name, default)))
    current = symbol(f"i{channel.ion}")
    gate = derived.gates[0]
    functions = []
    for what, expr in (("inf", gate.inf), ("tau", gate.tau)):
        fixed = sp.sympify(expr).subs(values)
        missing = sorted(fixed.free_symbols - {current}, key=str)
        if missing:
            raise PoolError(f"pool {channel.name}: its {what} needs {', '.join(map(str, missing))}, which a "
                            f"prescribed i{channel.ion} does not set")
        functions.append(sp.lambdify([current], fixed, modules="numpy"))
    return NumericPool(name=channel.name, inf=functions[0], tau=functions[1])
