"""The syntax tree of a model file: one frozen dataclass per grammar construct.

Nodes mirror grammar/ionc.lark. Every node carries a `span` that is left out
of equality, so two trees compare equal when they say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ionc.source import Span


def _span() -> Span:
    """A span field: kept for messages, left out of equality and repr."""
    return field(compare=False, repr=False)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ident(Node):
    text: str


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True, kw_only=True)
class Number(Node):
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity(Node):
    """A number with a unit: `120 mS/cm2`. `unit_span` points at the unit text."""

    number: str
    unit: str
    unit_span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Name(Node):
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Call(Node):
    func: Ident
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeywordArg(Node):
    name: Ident
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class KeywordCall(Node):
    func: Ident
    args: tuple[KeywordArg, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Binary(Node):
    op: str  # + - * / ^ < <= > >= == != and or
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Negate(Node):
    operand: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class IfExpr(Node):
    condition: Expr
    then: Expr
    orelse: Expr


Expr = Number | Quantity | Name | Call | KeywordCall | Binary | Negate | IfExpr

# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True, kw_only=True)
class Assign(Node):
    name: Ident
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Derivative(Node):
    """`x' = expr`: a gate given by its own differential equation."""

    name: Ident
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Import(Node):
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IonUse(Node):
    ion: Ident  # the (first) ion
    shares: tuple[tuple[Ident, Number | None], ...] = ()  # `ion na 0.3, k 0.7`: each ion's share


@dataclass(frozen=True, slots=True, kw_only=True)
class Nonspecific(Node):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Q10(Node):
    factor: Expr
    reference: Expr
    target: Ident | None = None  # None: the rates; `gbar` (the conductance) in `q10 gbar = ...`


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate(Node):
    name: Ident
    power: Number | None
    body: tuple[Assign | Derivative | Q10, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction(Node):
    """`C1 <-> C2 (forward, backward)`: C1 -> C2 at rate `forward`, C2 -> C1 at `backward`."""

    left: Ident
    right: Ident
    forward: Expr
    backward: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenStates(Node):
    """`open O` or `open O1, O2`: the states that conduct."""

    states: tuple[Ident, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Kinetic(Node):
    """`kinetic { reactions...; open ... }`: a Markov scheme in place of gates."""

    body: tuple[Reaction | OpenStates, ...]


ChannelStmt = IonUse | Nonspecific | Q10 | Gate | Kinetic | Assign


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel(Node):
    name: Ident
    body: tuple[ChannelStmt, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool(Node):
    """`pool NAME { ion X; ...; Xi' = ... }`: a concentration that follows an ion's current."""

    name: Ident
    body: tuple[IonUse | Assign | Derivative, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Taper(Node):
    """`diameter from 2 um to 1 um`: a value changing linearly along a section."""

    name: Ident
    start: Expr
    end: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class Section(Node):
    """`section NAME { ... }`, or `soma { ... }` (then name is `soma`)."""

    name: Ident
    body: tuple[Assign | Taper, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Morphology(Node):
    sections: tuple[Section, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Group(Node):
    """`group basal = dend, soma`: a named set of regions."""

    name: Ident
    regions: tuple[Ident, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MorphologyFile(Node):
    """`morphology from "cell.swc" { group ... }`: a reconstruction, path relative to the model."""

    path: str
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionAssign(Node):
    """`cm = 2 uF/cm2 on dend`: a cell property for some regions only."""

    name: Ident
    value: Expr
    regions: tuple[Ident, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reversal(Node):
    ion: Ident
    value: Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class IonBlock(Node):
    """`ion ca [on terminal] { inside = 50 nM; outside = 2 mM; reversal = nernst }` in a cell."""

    ion: Ident
    body: tuple[Assign, ...]
    regions: tuple[Ident, ...] = ()  # empty: the whole cell


@dataclass(frozen=True, slots=True, kw_only=True)
class MechanismUse(Node):
    name: Ident
    args: tuple[KeywordArg, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Insert(Node):
    mechanisms: tuple[MechanismUse, ...]
    regions: tuple[Ident, ...]  # empty: everywhere


CellStmt = Assign | RegionAssign | Reversal | IonBlock | Morphology | MorphologyFile | Insert


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell(Node):
    name: Ident
    body: tuple[CellStmt, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Location(Node):
    """`soma` or `axon(0.25)`: a section and an optional fraction along it."""

    section: Ident
    index: Number | None  # dend[3]: sections of an SWC cell
    x: Expr | None

    @property
    def section_name(self) -> str:
        return self.section.text if self.index is None else f"{self.section.text}[{self.index.text}]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Stimulus(Node):
    kind: Ident
    location: Location
    name: Ident | None
    body: tuple[Assign, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Record(Node):
    variable: tuple[Ident, ...]  # `v` or `hh_na.m`
    locations: tuple[Location, ...]
    every: Expr | None = None  # `every 0.1 ms`: the sampling interval (None: every step)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report(Node):
    """`report velocity from axon(0.2) to axon(0.8)`."""

    kind: Ident
    start: Location
    end: Location


SimulationStmt = Assign | Stimulus | Record | Report


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation(Node):
    name: Ident
    cell: Ident
    body: tuple[SimulationStmt, ...]


Item = Import | Channel | Pool | Cell | Simulation


@dataclass(frozen=True, slots=True, kw_only=True)
class File(Node):
    path: str
    items: tuple[Item, ...]
