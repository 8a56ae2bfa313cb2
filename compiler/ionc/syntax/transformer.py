"""lark parse tree -> `nodes`: one small method per grammar rule, no semantics."""

from __future__ import annotations

import re
from typing import Any

from lark import Token, Transformer, v_args
from lark.tree import Meta

from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn

_QUANTITY = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t]*")


def _is_node(item: object, kind: type) -> bool:
    return isinstance(item, kind)


@v_args(meta=True)
class ToSyntax(Transformer[Token, syn.File]):
    """Builds frozen syntax nodes; spans come from lark's propagated positions."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source

    # -- helpers
    def _span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0)
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _token_span(self, token: Token) -> Span:
        start = token.start_pos or 0
        return Span(self.source, start, token.end_pos or start)

    def _ident(self, token: Token) -> syn.Ident:
        return syn.Ident(text=str(token), span=self._token_span(token))

    def __default_token__(self, token: Token) -> Token:
        return token

    # -- file
    def start(self, meta: Meta, items: list[Any]) -> syn.File:
        return syn.File(path=self.source.path, items=tuple(items), span=self._span(meta))

    def import_decl(self, meta: Meta, children: list[Token]) -> syn.Import:
        return syn.Import(path=str(children[0])[1:-1], span=self._span(meta))

    # -- channel
    def channel_decl(self, meta: Meta, children: list[Any]) -> syn.Channel:
        name, *body = children
        return syn.Channel(name=self._ident(name), body=tuple(body), span=self._span(meta))

    def pool_decl(self, meta: Meta, children: list[Any]) -> syn.Pool:
        name, *body = children
        return syn.Pool(name=self._ident(name), body=tuple(body), span=self._span(meta))

    def ion_stmt(self, meta: Meta, children: list[Token | None]) -> syn.IonUse:
        first, share, *rest = children
        assert first is not None
        pairs = [(first, share), *zip(rest[::2], rest[1::2], strict=True)]
        shares: tuple[tuple[syn.Ident, syn.Number | None], ...] = ()
        if len(pairs) > 1 or share is not None:  # `ion na` alone carries all of the current
            shares = tuple((self._ident(name), None if number is None else
                            syn.Number(text=str(number), span=self._token_span(number)))
                           for name, number in pairs if name is not None)
        return syn.IonUse(ion=self._ident(first), shares=shares, span=self._span(meta))

    def nonspecific_stmt(self, meta: Meta, children: list[Any]) -> syn.Nonspecific:
        return syn.Nonspecific(span=self._span(meta))

    def q10_stmt(self, meta: Meta, children: list[Any]) -> syn.Q10:
        target, factor, reference = children
        return syn.Q10(factor=factor, reference=reference, span=self._span(meta),
                       target=self._ident(target) if target is not None else None)

    def gate_decl(self, meta: Meta, children: list[Any]) -> syn.Gate:
        name, power, *body = children
        return syn.Gate(
            name=self._ident(name), power=power, body=tuple(body), span=self._span(meta)
        )

    def kinetic_decl(self, meta: Meta, children: list[Any]) -> syn.Kinetic:
        return syn.Kinetic(body=tuple(children), span=self._span(meta))

    def reaction(self, meta: Meta, children: list[Any]) -> syn.Reaction:
        left, right, forward, backward = children
        return syn.Reaction(left=self._ident(left), right=self._ident(right), forward=forward, backward=backward,
                            span=self._span(meta))

    def open_stmt(self, meta: Meta, children: list[Token]) -> syn.OpenStates:
        return syn.OpenStates(states=tuple(self._ident(t) for t in children), span=self._span(meta))

    def gate_power(self, meta: Meta, children: list[Token]) -> syn.Number:
        return syn.Number(text=str(children[0]), span=self._token_span(children[0]))

    def derivative(self, meta: Meta, children: list[Any]) -> syn.Derivative:
        return syn.Derivative(
            name=self._ident(children[0]), value=children[1], span=self._span(meta)
        )

    def assign(self, meta: Meta, children: list[Any]) -> syn.Assign:
        return syn.Assign(name=self._ident(children[0]), value=children[1], span=self._span(meta))

    # -- cell
    def cell_decl(self, meta: Meta, children: list[Any]) -> syn.Cell:
        name, *body = children
        return syn.Cell(name=self._ident(name), body=tuple(body), span=self._span(meta))

    def reversal_stmt(self, meta: Meta, children: list[Any]) -> syn.Reversal:
        return syn.Reversal(ion=self._ident(children[0]), value=children[1], span=self._span(meta))

    def ion_reversal(self, meta: Meta, children: list[Any]) -> syn.Assign:
        """`reversal = nernst` in an ion block: an assignment like any other there."""
        keyword, value = children
        return syn.Assign(name=self._ident(keyword), value=value, span=self._span(meta))

    def ion_block(self, meta: Meta, children: list[Any]) -> syn.IonBlock:
        name, regions, *body = children
        return syn.IonBlock(ion=self._ident(name), body=tuple(body), regions=regions or (), span=self._span(meta))

    def morphology_decl(self, meta: Meta, children: list[Any]) -> syn.Morphology:
        return syn.Morphology(sections=tuple(children), span=self._span(meta))

    def section_decl(self, meta: Meta, children: list[Any]) -> syn.Section:
        name, *body = children
        return syn.Section(name=self._ident(name), body=tuple(body), span=self._span(meta))

    soma_decl = section_decl

    def taper(self, meta: Meta, children: list[Any]) -> syn.Taper:
        return syn.Taper(name=self._ident(children[0]), start=children[1], end=children[2], span=self._span(meta))

    def morphology_file(self, meta: Meta, children: list[Any]) -> syn.MorphologyFile:
        path, *groups = children
        return syn.MorphologyFile(path=str(path)[1:-1], groups=tuple(groups), span=self._span(meta))

    def group_decl(self, meta: Meta, children: list[Any]) -> syn.Group:
        return syn.Group(name=self._ident(children[0]), regions=children[1], span=self._span(meta))

    def region_assign(self, meta: Meta, children: list[Any]) -> syn.RegionAssign:
        return syn.RegionAssign(
            name=self._ident(children[0]), value=children[1], regions=children[2], span=self._span(meta)
        )

    def tables_stmt(self, meta: Meta, children: list[Token]) -> syn.Assign:
        """`tables = on`: kept as an assignment of the name `on` or `off`, like `method`."""
        keyword, _, switch = children
        return syn.Assign(
            name=self._ident(keyword), value=syn.Name(id=str(switch), span=self._token_span(switch)),
            span=self._span(meta),
        )

    def report_stmt(self, meta: Meta, children: list[Any]) -> syn.Report:
        return syn.Report(kind=self._ident(children[0]), start=children[1], end=children[2], span=self._span(meta))

    def insert_stmt(self, meta: Meta, children: list[Any]) -> syn.Insert:
        regions: tuple[syn.Ident, ...] = ()
        if children and isinstance(children[-1], tuple):
            regions = children.pop()
        return syn.Insert(mechanisms=tuple(children), regions=regions, span=self._span(meta))

    def mechanism_use(self, meta: Meta, children: list[Any]) -> syn.MechanismUse:
        name = self._ident(children[0])
        args = children[1] if len(children) > 1 and children[1] is not None else ()
        return syn.MechanismUse(name=name, args=tuple(args), span=self._span(meta))

    def region_list(self, meta: Meta, children: list[Token]) -> tuple[syn.Ident, ...]:
        return tuple(self._ident(t) for t in children)

    # -- simulation
    def simulation_decl(self, meta: Meta, children: list[Any]) -> syn.Simulation:
        name, cell, *body = children
        return syn.Simulation(
            name=self._ident(name), cell=self._ident(cell), body=tuple(body), span=self._span(meta)
        )

    def stimulus_decl(self, meta: Meta, children: list[Any]) -> syn.Stimulus:
        kind, location, name, *body = children
        return syn.Stimulus(
            kind=self._ident(kind), location=location, name=name, body=tuple(body),
            span=self._span(meta),
        )

    def stimulus_name(self, meta: Meta, children: list[Token]) -> syn.Ident:
        return self._ident(children[0])

    def record_stmt(self, meta: Meta, children: list[Any]) -> syn.Record:
        variable, *locations, every = children  # `every` is None without an interval
        return syn.Record(variable=variable, locations=tuple(locations), every=every, span=self._span(meta))

    def record_every(self, meta: Meta, children: list[Any]) -> syn.Expr:
        return children[0]  # type: ignore[no-any-return]

    def dotted_name(self, meta: Meta, children: list[Token]) -> tuple[syn.Ident, ...]:
        return tuple(self._ident(t) for t in children)

    def location(self, meta: Meta, children: list[Any]) -> syn.Location:
        name, index, x = children
        return syn.Location(section=self._ident(name), index=index, x=x, span=self._span(meta))

    def section_index(self, meta: Meta, children: list[Token]) -> syn.Number:
        return syn.Number(text=str(children[0]), span=self._token_span(children[0]))

    # -- expressions
    def number(self, meta: Meta, children: list[Token]) -> syn.Number:
        return syn.Number(text=str(children[0]), span=self._span(meta))

    def quantity(self, meta: Meta, children: list[Token]) -> syn.Quantity:
        text = str(children[0])
        number = _QUANTITY.match(text)
        assert number is not None  # the grammar's QUANTITY starts with a number
        unit_start = number.end()
        span = self._span(meta)
        return syn.Quantity(
            number=text[: unit_start].strip(),
            unit=text[unit_start:],
            unit_span=span.sub(unit_start, len(text)),
            span=span,
        )

    def name(self, meta: Meta, children: list[Token]) -> syn.Name:
        return syn.Name(id=str(children[0]), span=self._span(meta))

    def call(self, meta: Meta, children: list[Any]) -> syn.Call:
        args = children[1] if children[1] is not None else ()
        return syn.Call(func=self._ident(children[0]), args=tuple(args), span=self._span(meta))

    def keyword_call(self, meta: Meta, children: list[Any]) -> syn.KeywordCall:
        return syn.KeywordCall(
            func=self._ident(children[0]), args=tuple(children[1]), span=self._span(meta)
        )

    def arguments(self, meta: Meta, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def keyword_args(self, meta: Meta, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def keyword_arg(self, meta: Meta, children: list[Any]) -> syn.KeywordArg:
        return syn.KeywordArg(name=self._ident(children[0]), value=children[1], span=self._span(meta))

    def binary(self, meta: Meta, children: list[Any]) -> syn.Binary:
        left, op, right = children
        return syn.Binary(op=str(op), left=left, right=right, span=self._span(meta))

    compare = binary

    def power(self, meta: Meta, children: list[Any]) -> syn.Binary:
        return syn.Binary(op="^", left=children[0], right=children[1], span=self._span(meta))

    def and_expr(self, meta: Meta, children: list[Any]) -> syn.Binary:
        return syn.Binary(op="and", left=children[0], right=children[1], span=self._span(meta))

    def or_expr(self, meta: Meta, children: list[Any]) -> syn.Binary:
        return syn.Binary(op="or", left=children[0], right=children[1], span=self._span(meta))

    def negate(self, meta: Meta, children: list[Any]) -> syn.Negate:
        return syn.Negate(operand=children[0], span=self._span(meta))

    def if_expr(self, meta: Meta, children: list[Any]) -> syn.IfExpr:
        return syn.IfExpr(
            condition=children[0], then=children[1], orelse=children[2], span=self._span(meta)
        )
