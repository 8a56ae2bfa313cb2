"""NMODL text -> `nmodl_ast.Module`; lark's exceptions become diagnostics here.

The grammar is grammar/nmodl.lark (LALR). The text is never evaluated:
numbers become exact fractions from their literal text, everything else
stays a tree.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput

from ionc.diagnostics import Code, fail
from ionc.importer import nmodl_ast as ast
from ionc.source import SourceFile, Span
from ionc.syntax.grammar import grammar_path
from ionc.syntax.parse import MAX_DEPTH, _refuse_deep, _refuse_oversized, _to_diagnostic

# Constructs that parse but cannot be translated, and why (said in the diagnostic).
_WHY = {
    "VERBATIM": "it is C code, which ionc cannot read",
    "NET_RECEIVE": "ionc channels receive no network events",
    "POINT_PROCESS": "ionc has density channels only, no point processes",
    "ARTIFICIAL_CELL": "ionc has density channels only, no artificial cells",
    "POINTER": "ionc channels cannot read other mechanisms' variables",
    "BBCOREPOINTER": "ionc channels cannot read other mechanisms' variables",
    "ELECTRODE_CURRENT": "ionc channels carry membrane currents only",
    "EXTERNAL": "ionc channels cannot read other mechanisms' variables",
    "INCLUDE": "ionc imports one file at a time",
    "DEFINE": "arrays are not translated",
    "array": "ionc has no arrays",
    "FROM": "loops are not translated",
    "WHILE": "loops are not translated",
    "flux": "KINETIC fluxes (~ x << ...) are not translated",
    "one-way reaction": "write it as A <-> B (kf, 0)",
}


def nmodl_grammar_path() -> Path:
    return grammar_path().with_name("nmodl.lark")


@lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(
        nmodl_grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse_nmodl(source: SourceFile) -> ast.Module:
    """The syntax tree of an NMODL file; an IoncError with file:line:col for bad input."""
    _refuse_oversized(source)
    _refuse_control_characters(source)
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as error:
        raise _to_diagnostic(error, source, parser()) from None
    _refuse_deep(tree, source)
    return _ToAst(source).build(tree)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _refuse_control_characters(source: SourceFile) -> None:
    """Invisible characters would print as nothing in the caret line: name them."""
    found = _CONTROL.search(source.text)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        raise fail(Code.E102, f"unexpected control character {code}", Span(source, found.start(), found.end()))


def span_of(source: SourceFile, item: Tree | Token) -> Span:
    if isinstance(item, Token):
        start = item.start_pos or 0
        return Span(source, start, max(item.end_pos or start + 1, start + 1))
    meta = item.meta
    if getattr(meta, "empty", True):
        return Span(source, 0, 1)
    return Span(source, meta.start_pos, max(meta.end_pos, meta.start_pos + 1))


def _unit_text(token: Token | None) -> str | None:
    return None if token is None else str(token)[1:-1].strip()


def _fraction(text: str) -> Fraction:
    return Fraction(text)  # exact: Fraction parses decimal and exponent notation


@v_args(meta=True)
class _ToAst(Transformer[Any, Any]):
    """Builds the AST; collects unsupported constructs and TABLE statements on the way."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source
        self.unsupported: list[ast.Unsupported] = []
        self.tables: list[ast.Table] = []

    def build(self, tree: Tree) -> ast.Module:
        items = self.transform(tree)
        return _assemble(items, tuple(self.unsupported), tuple(self.tables))

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 1)
        return Span(self.source, meta.start_pos, max(meta.end_pos, meta.start_pos + 1))

    def _tspan(self, token: Token) -> Span:
        return span_of(self.source, token)

    def _refuse(self, construct: str, span: Span) -> ast.Unsupported:
        found = ast.Unsupported(construct, _WHY.get(construct, "ionc has no counterpart"), span)
        self.unsupported.append(found)
        return found

    # ---- top level
    def start(self, meta: Any, items: list[Any]) -> list[Any]:
        return [item for item in items if item is not None]

    def title(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("title", str(children[0])[len("TITLE"):].strip())

    def comment(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("comment", str(children[0])[len("COMMENT"):-len("ENDCOMMENT")])

    def verbatim(self, meta: Any, children: list[Token]) -> ast.Unsupported:
        return self._refuse("VERBATIM", self._tspan(children[0]))

    def units_block(self, meta: Any, children: list[Any]) -> list[Any]:
        return [c for c in children if c is not None]

    def unit_alias(self, meta: Any, children: list[Token]) -> None:
        return None  # (mV) = (millivolt): ionc knows its units by their own names

    def unit_constant(self, meta: Any, children: list[Any]) -> ast.UnitConstant:
        name, quantity, unit = children
        text = str(quantity)[1:-1].strip() if isinstance(quantity, Token) else quantity.text
        return ast.UnitConstant(str(name), text, _unit_text(unit) or "", self._span(meta))

    def neuron_block(self, meta: Any, children: list[Any]) -> list[Any]:
        return [c for c in children if c is not None]

    def suffix(self, meta: Any, children: list[Token]) -> tuple[str, Span]:
        return ("suffix", self._tspan(children[0]))

    def point_process(self, meta: Any, children: list[Token]) -> ast.Unsupported:
        return self._refuse(str(children[0]), self._span(meta))

    def useion(self, meta: Any, children: list[Any]) -> ast.UseIon:
        ion, reads, writes, valence = children
        value = None if valence is None else valence.value
        return ast.UseIon(str(ion), tuple(reads or ()), tuple(writes or ()), value, self._span(meta))

    def read(self, meta: Any, children: list[Any]) -> tuple[str, ...]:
        return tuple(children[0])

    write = read

    def valence(self, meta: Any, children: list[Any]) -> ast.Number:
        number: ast.Number = children[0]
        return number

    def names(self, meta: Any, children: list[Token]) -> tuple[str, ...]:
        return tuple(str(c) for c in children)

    def nonspecific(self, meta: Any, children: list[Any]) -> tuple[str, tuple[ast.Name, ...]]:
        span = self._span(meta)
        return ("nonspecific", tuple(ast.Name(name, span) for name in children[0]))

    def electrode_current(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("ELECTRODE_CURRENT", self._span(meta))

    def pointer(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse(str(children[0]), self._span(meta))

    def external(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("EXTERNAL", self._span(meta))

    def visibility(self, meta: Any, children: list[Any]) -> None:
        return None  # RANGE/GLOBAL: every ionc parameter can be set per insert

    def threadsafe(self, meta: Any, children: list[Any]) -> None:
        return None

    # ---- declarations
    def declarations(self, meta: Any, children: list[Any]) -> list[Any]:
        block = str(children[0])
        return [
            ast.Declaration(d.name, d.value, d.unit, block, d.span) if isinstance(d, ast.Declaration) else d
            for d in children[1:]
        ]

    def declaration(self, meta: Any, children: list[Any]) -> ast.Declaration:
        name, value, unit, _bounds, _limits = children
        return ast.Declaration(str(name), value, _unit_text(unit), "", self._span(meta))

    def array_declaration(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("array", self._span(meta))

    def limits(self, meta: Any, children: list[Any]) -> None:
        return None  # <lo, hi>: a hint for NEURON's GUI, not part of the equations

    bounds = limits

    def signed_number(self, meta: Any, children: list[Any]) -> ast.Number:
        sign, number = children
        text = ("-" if sign == "-" else "") + str(number)
        return ast.Number(_fraction(text), text, self._span(meta))

    def formals(self, meta: Any, children: list[ast.Formal]) -> tuple[ast.Formal, ...]:
        return tuple(children)

    def formal(self, meta: Any, children: list[Any]) -> ast.Formal:
        return ast.Formal(str(children[0]), _unit_text(children[1]))

    # ---- blocks
    def initial_block(self, meta: Any, children: list[Any]) -> ast.Block:
        return ast.Block("INITIAL", None, children[1], self._span(meta))

    def breakpoint_block(self, meta: Any, children: list[Any]) -> ast.Block:
        return ast.Block("BREAKPOINT", None, children[1], self._span(meta))

    def derivative_block(self, meta: Any, children: list[Any]) -> ast.Block:
        return ast.Block("DERIVATIVE", str(children[1]), children[2], self._span(meta))

    def kinetic_block(self, meta: Any, children: list[Any]) -> ast.Block:
        return ast.Block("KINETIC", str(children[1]), children[2], self._span(meta))

    def procedure(self, meta: Any, children: list[Any]) -> ast.Callable:
        return self._callable("PROCEDURE", meta, children)

    def function(self, meta: Any, children: list[Any]) -> ast.Callable:
        return self._callable("FUNCTION", meta, children)

    def _callable(self, kind: str, meta: Any, children: list[Any]) -> ast.Callable:
        name, formals, unit, body = children
        return ast.Callable(kind, str(name), formals or (), _unit_text(unit), body, self._span(meta))

    def define(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("DEFINE", self._span(meta))

    def include(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("INCLUDE", self._span(meta))

    def unsupported_block(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse(str(children[0]), self._span(meta))

    def independent(self, meta: Any, children: list[Any]) -> tuple[str, Span]:
        return ("independent", self._span(meta))

    def global_local(self, meta: Any, children: list[Any]) -> list[ast.Declaration]:
        # a LOCAL outside any block is a variable of the mechanism, like ASSIGNED
        span = self._span(meta)
        return [ast.Declaration(name, None, None, "ASSIGNED", span) for name in children[0]]

    def raw_block(self, meta: Any, children: list[Any]) -> None:
        return None

    # ---- statements
    def body(self, meta: Any, children: list[Any]) -> tuple[ast.Statement, ...]:
        flat: list[ast.Statement] = []
        for child in children:
            if isinstance(child, tuple):
                flat.extend(child)  # a nested { ... } block
            elif child is not None:
                flat.append(child)
        return tuple(flat)

    def nested(self, meta: Any, children: list[Any]) -> tuple[ast.Statement, ...]:
        statements: tuple[ast.Statement, ...] = children[0]
        return statements

    def assign(self, meta: Any, children: list[Any]) -> ast.Assign:
        return ast.Assign(str(children[0]), children[1], self._span(meta))

    def array_assign(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("array", self._span(meta))

    def derivative(self, meta: Any, children: list[Any]) -> ast.Statement:
        name = str(children[0])
        if name.count("'") > 1:
            return self._refuse("higher derivative", self._span(meta))
        return ast.Derivative(name.rstrip("'"), children[1], self._span(meta))

    def call_stmt(self, meta: Any, children: list[Any]) -> ast.CallStatement:
        span = self._span(meta)
        return ast.CallStatement(ast.Call(str(children[0]), children[1] or (), span), span)

    def if_stmt(self, meta: Any, children: list[Any]) -> ast.If:
        condition, then, otherwise = children
        return ast.If(condition, then, otherwise or (), self._span(meta))

    def else_part(self, meta: Any, children: list[Any]) -> tuple[ast.Statement, ...]:
        statements: tuple[ast.Statement, ...] = children[0]
        return statements

    def else_if(self, meta: Any, children: list[Any]) -> tuple[ast.Statement, ...]:
        condition, then, otherwise = children
        return (ast.If(condition, then, otherwise or (), self._span(meta)),)

    def local(self, meta: Any, children: list[Any]) -> ast.Local:
        return ast.Local(tuple(children[0]), self._span(meta))

    def local_names(self, meta: Any, children: list[Any]) -> tuple[str, ...]:
        return tuple(children)

    def local_name(self, meta: Any, children: list[Any]) -> str:
        if len(children) > 1:
            self._refuse("array", self._span(meta))
        return str(children[0])

    def table(self, meta: Any, children: list[Any]) -> ast.Table:
        found = ast.Table(tuple(children[0] or ()), self._span(meta))
        self.tables.append(found)
        return found

    def solve(self, meta: Any, children: list[Any]) -> ast.Solve:
        name, how = children
        method, steady = (None, False) if how is None else how
        return ast.Solve(str(name), method, steady, self._span(meta))

    def solve_how(self, meta: Any, children: list[Any]) -> tuple[str, bool]:
        return str(children[0]), self._source_word(meta) == "STEADYSTATE"

    def _source_word(self, meta: Any) -> str:
        return self.source.text[meta.start_pos : meta.end_pos].split()[0]

    def reaction(self, meta: Any, children: list[Any]) -> ast.Reaction:
        left, right, forward, backward = children
        return ast.Reaction(left, right, forward, backward, self._span(meta))

    def one_way_reaction(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("one-way reaction", self._span(meta))

    def flux(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse("flux", self._span(meta))

    def conserve(self, meta: Any, children: list[Any]) -> ast.Conserve:
        return ast.Conserve(children[0], children[1], self._span(meta))

    def reactants(self, meta: Any, children: list[Any]) -> tuple[tuple[int, str], ...]:
        return tuple(children)

    def reactant(self, meta: Any, children: list[Any]) -> tuple[int, str]:
        count, name = children
        if count is None:
            return (1, str(name))
        value = _fraction(str(count))
        if value.denominator != 1 or value < 1:
            raise fail(Code.E303, f"a stoichiometric coefficient is a whole number, not {count}", self._span(meta))
        return (int(value), str(name))

    def loop(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse(str(children[0]), self._span(meta))

    def unsupported_stmt(self, meta: Any, children: list[Any]) -> ast.Unsupported:
        return self._refuse(str(children[0]), self._span(meta))

    # ---- expressions
    def number(self, meta: Any, children: list[Token]) -> ast.Number:
        return ast.Number(_fraction(str(children[0])), str(children[0]), self._span(meta))

    def name(self, meta: Any, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(meta))

    def call(self, meta: Any, children: list[Any]) -> ast.Call:
        return ast.Call(str(children[0]), children[1] or (), self._span(meta))

    def args(self, meta: Any, children: list[ast.Expr]) -> tuple[ast.Expr, ...]:
        return tuple(children)

    def index(self, meta: Any, children: list[Any]) -> ast.Name:
        self._refuse("array", self._span(meta))
        return ast.Name(str(children[0]), self._span(meta))

    def binary(self, meta: Any, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    compare = binary

    def pow(self, meta: Any, children: list[Any]) -> ast.Binary:
        return ast.Binary("^", children[0], children[1], self._span(meta))

    def and_(self, meta: Any, children: list[Any]) -> ast.Binary:
        return ast.Binary("&&", children[0], children[1], self._span(meta))

    def or_(self, meta: Any, children: list[Any]) -> ast.Binary:
        return ast.Binary("||", children[0], children[1], self._span(meta))

    def negate(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[0], self._span(meta))

    def not_(self, meta: Any, children: list[Any]) -> ast.Unary:
        return ast.Unary("!", children[0], self._span(meta))


def _assemble(items: list[Any], unsupported: tuple[ast.Unsupported, ...], tables: tuple[ast.Table, ...]) -> ast.Module:
    """Sort the top-level items into a Module."""
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    tagged = [i for i in flat if isinstance(i, tuple)]
    suffixes = [value for tag, value in tagged if tag == "suffix"]
    return ast.Module(
        title=next((value for tag, value in tagged if tag == "title"), None),
        comments=tuple(value for tag, value in tagged if tag == "comment"),
        suffix=suffixes[0] if suffixes else None,
        ions=tuple(i for i in flat if isinstance(i, ast.UseIon)),
        nonspecific=tuple(n for tag, value in tagged if tag == "nonspecific" for n in value),
        declarations=tuple(i for i in flat if isinstance(i, ast.Declaration)),
        constants=tuple(i for i in flat if isinstance(i, ast.UnitConstant)),
        blocks=tuple(i for i in flat if isinstance(i, ast.Block)),
        callables=tuple(i for i in flat if isinstance(i, ast.Callable)),
        unsupported=unsupported,
        tables=tables,
        independent=next((value for tag, value in tagged if tag == "independent"), None),
    )


__all__ = ["MAX_DEPTH", "parse_nmodl", "span_of"]
