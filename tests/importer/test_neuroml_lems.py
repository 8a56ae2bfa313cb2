"""LEMS expressions (grammar/lems.lark) written as ionc text keep their structure.

Random LEMS expressions (every operator, comparison and logic word, signs, functions, with
and without brackets) are parsed by
ionc.importer.neuroml_lems and printed as ionc text; ionc's own parser reads that text back
into the same tree: the same operators on the same operands, node by node (a unary plus
dropped, chains of `and` and `or` flattened), so the printer's brackets and precedence are
right. An expression ionc cannot translate (an unknown function) is a diagnostic, never a
traceback.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from ionc.diagnostics import IoncError
from ionc.importer import neuroml_lems as lems
from ionc.source import SourceFile, Span
from ionc.syntax import nodes as syn
from ionc.syntax.parse import parse_expression

Tree = tuple[object, ...] | str

LEAVES = st.sampled_from(["a", "b", "c", "0", "1", "2.5", "3e-1", "10"])


@st.composite
def _compound(draw: st.DrawFn, children: st.SearchStrategy[tuple[str, bool]]) -> tuple[str, bool]:
    """(LEMS text, whether it is a comparison or logic, which other operators need in brackets)."""
    (left, left_logic), (right, right_logic) = draw(children), draw(children)

    def operand(text: str, logic: bool) -> str:
        return f"({text})" if logic or (" " in text and draw(st.booleans())) else text

    kind = draw(st.sampled_from(("+", "-", "*", "/", "^", "sign", "call", "relation", "logic")))
    if kind == "sign":
        return f"{draw(st.sampled_from('+-'))}{operand(left, left_logic)}", False
    if kind == "call":
        return f"{draw(st.sampled_from(['exp', 'ln', 'tanh', 'sqrt', 'sin']))}({left})", False
    if kind == "relation":
        relation = draw(st.sampled_from(list(lems.RELATIONS)))
        return f"{operand(left, left_logic)} {relation} {operand(right, right_logic)}", True
    if kind == "logic":
        joint = draw(st.sampled_from([".and.", ".or."]))
        return f"{operand(left, False)} {joint} {operand(right, False)}", True
    return f"{operand(left, left_logic)} {kind} {operand(right, right_logic)}", False


EXPRESSIONS = st.recursive(LEAVES.map(lambda leaf: (leaf, False)), _compound, max_leaves=12).map(lambda e: e[0])


def _logic(operator: str, parts: list[Tree]) -> Tree:
    flat: list[Tree] = []
    for part in parts:
        flat += list(part[1:]) if isinstance(part, tuple) and part[0] == operator else [part]
    return (operator, *flat)


def from_lems(expr: lems.Expr) -> Tree:
    match expr:
        case lems.Number(text=text):
            return text
        case lems.Name(name=name):
            return name
        case lems.Sign(operator="+", operand=operand):
            return from_lems(operand)
        case lems.Sign(operand=operand):
            return ("neg", from_lems(operand))
        case lems.Binary(operator=operator, left=left, right=right) | \
                lems.Relation(operator=operator, left=left, right=right):
            return (operator, from_lems(left), from_lems(right))
        case lems.Call(function=function, argument=argument):
            return (function, from_lems(argument))
        case lems.Logic(operator=operator, operands=operands):
            return _logic(operator, [from_lems(o) for o in operands])
    raise AssertionError(expr)


def from_ionc(expr: syn.Expr) -> Tree:
    match expr:
        case syn.Number(text=text):
            return text
        case syn.Name(id=name):
            return name
        case syn.Negate(operand=operand):
            return ("neg", from_ionc(operand))
        case syn.Binary(op=("and" | "or") as operator, left=left, right=right):
            return _logic(operator, [from_ionc(left), from_ionc(right)])
        case syn.Binary(op=operator, left=left, right=right):
            return (operator, from_ionc(left), from_ionc(right))
        case syn.Call(func=function, args=(argument,)):
            return (function.text, from_ionc(argument))
    raise AssertionError(expr)


@settings(max_examples=200, deadline=None)
@given(text=EXPRESSIONS)
def test_lems_expressions_keep_their_structure_in_ionc(text: str) -> None:
    source = SourceFile("x.nml", f'value="{text}"')
    try:
        tree = lems.parse_lems(text, Span(source, 7, 7 + len(text)))
    except IoncError as error:  # sin: ionc has no such function
        assert "cannot translate the LEMS function" in str(error), str(error)
        return
    written = lems.ionc_text(tree)
    assert from_ionc(parse_expression(SourceFile("x.ionc", written))) == from_lems(tree), (text, written)
