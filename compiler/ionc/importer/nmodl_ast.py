"""The syntax tree of an NMODL file: frozen dataclasses, each with its span.

Built by `nmodl_parse` from lark's tree; read by `nmodl_eval` (which executes
the procedural blocks symbolically) and `nmodl_channels` (which finds the
gates and currents). Only what the importer uses is kept; every construct it
cannot translate is kept as an `Unsupported` with its span, so that the
importer can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ionc.source import Span

# ---- expressions


@dataclass(frozen=True, slots=True)
class Number:
    value: Fraction  # exact, from the literal's text
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ^ < <= > >= == != && ||
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # - or !
    operand: Expr
    span: Span


Expr = Number | Name | Call | Binary | Unary

# ---- statements


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Derivative:
    state: str  # m for m' = ...
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class CallStatement:
    call: Call
    span: Span


@dataclass(frozen=True, slots=True)
class If:
    condition: Expr
    then: tuple[Statement, ...]
    otherwise: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Local:
    names: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Table:
    names: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Solve:
    block: str
    method: str | None  # cnexp, derivimplicit, sparse, ... (None: NEURON's default)
    steady: bool  # SOLVE x STEADYSTATE y
    span: Span


@dataclass(frozen=True, slots=True)
class Reaction:
    left: tuple[tuple[int, str], ...]  # (stoichiometry, state)
    right: tuple[tuple[int, str], ...]
    forward: Expr
    backward: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Conserve:
    states: tuple[tuple[int, str], ...]
    total: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A construct the importer recognises but cannot translate (VERBATIM, NET_RECEIVE, ...)."""

    construct: str
    why: str
    span: Span


Statement = Assign | Derivative | CallStatement | If | Local | Table | Solve | Reaction | Conserve | Unsupported

# ---- declarations and blocks


@dataclass(frozen=True, slots=True)
class Declaration:
    name: str
    value: Number | None  # signed, exact
    unit: str | None  # the text inside the brackets: "S/cm2"
    block: str  # PARAMETER, CONSTANT, STATE or ASSIGNED
    span: Span


@dataclass(frozen=True, slots=True)
class UseIon:
    ion: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    valence: Fraction | None
    span: Span


@dataclass(frozen=True, slots=True)
class UnitConstant:
    """UNITS { FARADAY = (faraday) (coulomb) }: a named physical constant."""

    name: str
    quantity: str  # "faraday", or the number's text
    unit: str
    span: Span


@dataclass(frozen=True, slots=True)
class Formal:
    name: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class Callable:
    """A PROCEDURE or FUNCTION."""

    kind: str  # PROCEDURE or FUNCTION
    name: str
    formals: tuple[Formal, ...]
    unit: str | None
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Block:
    """INITIAL, BREAKPOINT, DERIVATIVE name or KINETIC name."""

    kind: str
    name: str | None
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Module:
    title: str | None
    comments: tuple[str, ...]
    suffix: Span | None  # the SUFFIX name's span (its text is the name)
    ions: tuple[UseIon, ...]
    nonspecific: tuple[Name, ...]
    declarations: tuple[Declaration, ...]
    constants: tuple[UnitConstant, ...]
    blocks: tuple[Block, ...]
    callables: tuple[Callable, ...]
    unsupported: tuple[Unsupported, ...]
    tables: tuple[Table, ...]  # TABLE statements (dropped, with a note)
    independent: Span | None  # INDEPENDENT { t ... } (ionc's time is implicit)

    def block(self, kind: str, name: str | None = None) -> Block | None:
        for block in self.blocks:
            if block.kind == kind and (name is None or block.name == name):
                return block
        return None

    def callable(self, name: str) -> Callable | None:
        return next((c for c in self.callables if c.name == name), None)

    def declared(self, block: str) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.block == block)
