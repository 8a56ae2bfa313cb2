"""Lowered model: numbers in internal units, equations as sympy expressions.

Internal units: mV, ms, mS/cm2, uA/cm2, uF/cm2, um, um2, nA, K, ohm*cm.
Symbols carry the names they will have in generated code (`hh_na_m`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ionc.morphology import Discretization
from ionc.source import Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """A constant of a channel; settable per insert and with --set."""

    name: str  # as written: gbar
    symbol: sp.Symbol  # in code: hh_na_gbar
    value: float  # default, internal units
    unit: str
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """One written rate equation of a gate (alpha, beta, inf, tau or x')."""

    label: str  # alpha | beta | inf | tau | ode
    symbol: sp.Symbol  # hh_na_alpha_m
    expr: sp.Expr  # internal units, in v, T, parameters and the gate state
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    name: str
    state: sp.Symbol  # hh_na_m
    power: int
    kind: str  # alpha_beta | inf_tau | ode
    rates: tuple[Rate, ...]
    span: Span
    temperature_factor: tuple[sp.Symbol, sp.Expr] | None = None  # its own q10: (symbol, Q^((T-TREF)/10))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    """One reversible reaction of a kinetic scheme, between states by index."""

    left: int
    right: int
    forward: Rate  # left -> right
    backward: Rate  # right -> left


@dataclass(frozen=True, slots=True, kw_only=True)
class Kinetic:
    """A Markov scheme: occupancies `states` (fractions of channels) moved by `reactions`."""

    names: tuple[str, ...]  # C1, C2, ..., as written
    states: tuple[sp.Symbol, ...]  # na_markov_C1, ...
    reactions: tuple[Reaction, ...]
    open: tuple[int, ...]  # indices of the conducting states
    span: Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    name: str
    ion: str | None
    parameters: tuple[Parameter, ...]
    gates: tuple[Gate, ...]
    conductance: sp.Expr  # gbar (or g): a parameter symbol, or an expression
    reversal: sp.Expr  # the channel's `e`, or the cell's e_<ion> symbol
    q10: sp.Expr  # temperature factor for rates (1 if none), in T
    span: Span
    ghk: sp.Expr | None = None  # pbar channels: the GHK current density per open fraction (uA/cm2)
    pool: bool = False  # a concentration pool: one state (the ion's inside concentration, mM), no current
    conductance_factor: tuple[sp.Symbol, sp.Expr] | None = None  # `q10 gbar = ...`: (symbol, its value)
    shares: tuple[tuple[str, float], ...] = ()  # `ion na 0.3, k 0.7`; then reversal = the shares' mean of e
    kinetic: Kinetic | None = None  # a Markov scheme in place of gates


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """A channel inserted in some regions of the cell, with its parameter values."""

    channel: Channel
    regions: tuple[str, ...]  # morphology regions it covers
    values: tuple[tuple[str, float], ...]  # parameter name -> value (defaults overridden)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ion:
    """An ion of a cell: its concentrations (mM) and how its reversal potential is made."""

    name: str
    valence: int
    inside: float  # mM
    outside: float  # mM
    reversal: str  # "fixed" (in Cell.reversals, or `fixed` for a block on some regions), "nernst", "none"
    regions: tuple[str, ...] = ()  # the regions of an `ion X on REGIONS` block; empty: the whole cell
    fixed: float | None = None  # mV, a fixed reversal potential


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    name: str
    temperature: float  # K
    cm: float  # uF/cm2
    v_init: float  # mV
    ra: float  # ohm*cm
    reversals: tuple[tuple[str, float], ...]  # ion -> mV, the fixed ones
    ions: tuple[Ion, ...] = ()  # every ion with a block in the cell, and the known ones it reads
    morphology: Discretization
    placements: tuple[Placement, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stimulus:
    name: str
    section: str
    x: float
    delay: float  # ms
    duration: float  # ms
    amplitude: float  # nA


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    site: str  # v@soma
    variable: tuple[str, ...]  # ("v",) or ("hh_na", "m")
    section: str
    x: float
    stride: int = 1  # steps between samples (`every`: a whole multiple of dt)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Conduction velocity between two locations (m/s), from their first spikes."""

    name: str
    start: tuple[str, float]  # section, x
    end: tuple[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation:
    name: str
    source: str  # the model file
    cell: Cell
    dt: float  # ms
    duration: float  # ms
    method: str
    tables: bool  # rate tables: inf and exp(-dt/tau) of every gate, interpolated in v
    precision: str = "double"  # or "single": float32 arrays in the time loop
    stimuli: tuple[Stimulus, ...]
    records: tuple[Record, ...]
    reports: tuple[Report, ...]
