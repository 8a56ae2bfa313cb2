"""Resolved model: every declaration found, named and structurally valid.

Expressions are still syntax trees (`syn.Expr`); `check` gives them
dimensions and `lower` turns them into sympy. Collections are tuples.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ionc.morphology import Morphology
from ionc.sema.units import DIMENSIONLESS, Dimension
from ionc.syntax import nodes as syn


@dataclass(frozen=True, slots=True, kw_only=True)
class GateDef:
    name: syn.Ident
    power: int
    kind: str  # "alpha_beta" | "inf_tau" | "ode"
    equations: tuple[syn.Assign | syn.Derivative, ...]
    span: syn.Span
    dimension: Dimension = DIMENSIONLESS  # of the state: a pool's concentration has one
    q10: syn.Q10 | None = None  # the gate's own temperature factor (then the channel has none)


def kinetic_rate_name(source: str, target: str) -> str:
    """The name of the rate from one state to another (`rate_C1_C2`; in code after the channel's)."""
    return f"rate_{source}_{target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class KineticDef:
    """A Markov scheme: its states (in order of first appearance), reactions and open states."""

    states: tuple[syn.Ident, ...]  # the first appearance of each
    reactions: tuple[syn.Reaction, ...]
    open: tuple[syn.Ident, ...]
    span: syn.Span

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.states)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDef:
    name: syn.Ident
    ion: syn.Ident | None  # None: nonspecific
    assigns: tuple[syn.Assign, ...]  # parameters and helpers, in order
    q10: syn.Q10 | None
    gates: tuple[GateDef, ...]
    span: syn.Span
    pool: bool = False  # a concentration pool: its one "gate" is the concentration, it has no current
    conductance_q10: syn.Q10 | None = None  # `q10 gbar = ...`: a temperature factor of the conductance
    shares: tuple[tuple[syn.Ident, Fraction], ...] = ()  # `ion na 0.3, k 0.7`: several ions, their shares
    kinetic: KineticDef | None = None  # a Markov scheme in place of gates

    def assign(self, name: str) -> syn.Assign | None:
        return next((a for a in self.assigns if a.name.text == name), None)

    @property
    def conductance(self) -> str:
        """The conductance parameter: `gbar`, or `g` for passive channels (or `pbar`, a
        permeability: the channel carries a GHK flux)."""
        for name in ("gbar", "pbar"):
            if self.assign(name) is not None:
                return name
        return "g"

    @property
    def ghk(self) -> bool:
        return self.assign("pbar") is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionDef:
    name: syn.Ident
    attrs: tuple[syn.Assign | syn.Taper, ...]
    span: syn.Span

    def attr(self, name: str) -> syn.Assign | syn.Taper | None:
        return next((a for a in self.attrs if a.name.text == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwcDef:
    """`morphology from "cell.swc"`: the reconstruction, read and sectioned at resolve time."""

    path: str  # as resolved on disk
    morphology: Morphology
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # group -> regions
    span: syn.Span


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertDef:
    channel: ChannelDef
    args: tuple[syn.KeywordArg, ...]
    regions: tuple[syn.Ident, ...]
    span: syn.Span


@dataclass(frozen=True, slots=True, kw_only=True)
class CellDef:
    name: syn.Ident
    attrs: tuple[syn.Assign, ...]
    region_attrs: tuple[syn.RegionAssign, ...]
    reversals: tuple[syn.Reversal, ...]
    ions: tuple[syn.IonBlock, ...]
    sections: tuple[SectionDef, ...]
    swc: SwcDef | None
    inserts: tuple[InsertDef, ...]
    span: syn.Span

    @property
    def section_names(self) -> tuple[str, ...]:
        if self.swc is not None:
            return tuple(s.name for s in self.swc.morphology.sections)
        return tuple(s.name.text for s in self.sections)

    @property
    def regions(self) -> tuple[str, ...]:
        """Names `insert ... on` accepts: all, regions, sections, groups."""
        if self.swc is not None:
            base = ("all", *self.swc.morphology.regions, *(g for g, _ in self.swc.groups))
        else:
            base = ("all",)
        return tuple(dict.fromkeys((*base, *self.section_names)))

    def attr(self, name: str) -> syn.Assign | None:
        return next((a for a in self.attrs if a.name.text == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class StimulusDef:
    name: str
    kind: syn.Ident
    location: syn.Location
    attrs: tuple[syn.Assign, ...]
    span: syn.Span


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportDef:
    kind: syn.Ident
    start: syn.Location
    end: syn.Location
    span: syn.Span

    @property
    def name(self) -> str:
        return f"{location_text(self.start)}->{location_text(self.end)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDef:
    variable: tuple[syn.Ident, ...]
    location: syn.Location
    span: syn.Span
    every: syn.Expr | None = None  # the sampling interval as written (None: every step)

    @property
    def site(self) -> str:
        """The trace name in outputs: `v@soma`, `hh_na.m@axon(0.2)`."""
        return ".".join(i.text for i in self.variable) + "@" + location_text(self.location)


def location_text(location: syn.Location) -> str:
    if location.x is None:
        return location.section_name
    return f"{location.section_name}({location.x.span.text.strip()})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationDef:
    name: syn.Ident
    cell: CellDef
    attrs: tuple[syn.Assign, ...]
    stimuli: tuple[StimulusDef, ...]
    records: tuple[RecordDef, ...]
    reports: tuple[ReportDef, ...]
    span: syn.Span

    def attr(self, name: str) -> syn.Assign | None:
        return next((a for a in self.attrs if a.name.text == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    path: str
    sources: tuple[str, ...]  # every file read, for the cache key
    channels: tuple[ChannelDef, ...]
    cells: tuple[CellDef, ...]
    simulations: tuple[SimulationDef, ...]

    def channel(self, name: str) -> ChannelDef | None:
        return next((c for c in self.channels if c.name.text == name), None)

    def simulation(self, name: str | None) -> SimulationDef | None:
        if name is None:  # the first one of the file that was run, else of its imports
            own = [s for s in self.simulations if s.span.source.path == self.path]
            candidates = own or list(self.simulations)
            return candidates[0] if candidates else None
        return next((s for s in self.simulations if s.name.text == name), None)
