"""LEMS expressions (grammar/lems.lark) as trees, and those trees written as ionc text.

A ComponentType's DerivedVariable values and Case conditions are parsed with
lark into frozen `Expr` nodes (spans point into the .nml file); the names in
them are resolved against the ComponentType's constants, parameters and
derived variables (inlined, so the ionc expression reads v, T and cai
alone) and the result is printed as ionc expression text with no more
brackets than ionc's precedence needs. Nothing is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedInput, VisitError

from ionc.diagnostics import Code, IoncError, fail
from ionc.importer.neuroml_xml import _PACKAGE_ROOT
from ionc.source import Span

# LEMS function -> ionc function (ionc has no trigonometric functions)
FUNCTIONS = {"exp": "exp", "ln": "log", "sqrt": "sqrt", "abs": "abs", "sinh": "sinh", "cosh": "cosh",
             "tanh": "tanh"}
RELATIONS = {".lt.": "<", ".gt.": ">", ".leq.": "<=", ".geq.": ">=", ".eq.": "==", ".neq.": "!="}

# ionc's precedence levels, lowest first
CONDITIONAL, OR, AND, COMPARE, SUM, PRODUCT, UNARY, POWER, ATOM = range(9)


@dataclass(frozen=True)
class Expr:
    span: Span | None  # where in the .nml file (None: a name ionc supplies, such as v)


@dataclass(frozen=True)
class Number(Expr):
    text: str  # as written: read back by ionc, so no rounding here


@dataclass(frozen=True)
class Name(Expr):
    name: str


@dataclass(frozen=True)
class Sign(Expr):
    operator: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    operator: str  # + - * / ^
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call(Expr):
    function: str
    argument: Expr


@dataclass(frozen=True)
class Relation(Expr):
    operator: str  # ionc's: < > <= >= == !=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logic(Expr):
    operator: str  # and, or
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Choice(Expr):
    """A ConditionalDerivedVariable: the first case whose condition holds (None: otherwise)."""

    cases: tuple[tuple[Expr | None, Expr], ...]


@dataclass(frozen=True)
class Text(Expr):
    """An ionc fragment already written (a quantity such as '1 mV', or 'v'), with its precedence."""

    text: str
    precedence: int


def grammar_path() -> str:
    for candidate in (_PACKAGE_ROOT / "grammar" / "lems.lark", _PACKAGE_ROOT.parent.parent / "grammar" / "lems.lark"):
        if candidate.is_file():
            return str(candidate)
    raise FileNotFoundError("lems.lark not found: the ionc installation is incomplete")


@lru_cache(maxsize=1)
def parser() -> Lark:
    with open(grammar_path(), encoding="utf-8") as handle:
        return Lark(handle.read(), parser="lalr", propagate_positions=True)


MAX_LENGTH = 10_000
MAX_DEPTH = 100


def parse_lems(text: str, span: Span) -> Expr:
    """The expression `text`, which stands at `span` in the file (the attribute's value)."""
    if len(text) > MAX_LENGTH or text.count("(") > MAX_DEPTH:
        raise fail(Code.E500, "the expression is too long or too deeply bracketed", span)
    try:
        tree = parser().parse(text)
    except UnexpectedInput as error:
        at = getattr(error, "pos_in_stream", None)
        token = getattr(error, "token", None)
        if token is not None:
            at = len(text) if token.type == "$END" else token.start_pos
        start = min(at if isinstance(at, int) else len(text), len(text))
        exact = len(span.text) == len(text) and len(text) > 0  # the value as written: point into it
        where = span.sub(min(start, len(text) - 1), min(start, len(text) - 1) + 1) if exact else span
        what = "the expression ends too early" if start >= len(text) else f"unexpected {text[start]!r}"
        raise fail(Code.E100, f"{what} in a LEMS expression", where) from None
    try:
        result: Expr = _ToExpr(span, len(span.text) == len(text)).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, IoncError):
            raise error.orig_exc from None
        raise
    return result


class _ToExpr(Transformer):  # type: ignore[type-arg]
    def __init__(self, span: Span, exact: bool) -> None:
        super().__init__()
        self.base, self.exact = span, exact  # exact: offsets in the text are offsets in the file

    def _at(self, node: Tree | Token) -> Span:
        if not self.exact:
            return self.base
        if isinstance(node, Token):
            start, end = node.start_pos or 0, node.end_pos or 0
        else:
            start, end = node.meta.start_pos, node.meta.end_pos
        return self.base.sub(start, max(end, start + 1))

    def __default__(self, data: str, children: list[object], meta: object) -> object:  # pragma: no cover
        raise AssertionError(data)

    def number(self, items: list[Token]) -> Expr:
        return Number(span=self._at(items[0]), text=str(items[0]))

    def name(self, items: list[Token]) -> Expr:
        return Name(span=self._at(items[0]), name=str(items[0]))

    def call(self, items: list[object]) -> Expr:
        function, argument = items
        assert isinstance(function, Token) and isinstance(argument, Expr)
        if str(function) not in FUNCTIONS:
            known = ", ".join(FUNCTIONS)
            raise fail(Code.E200, f"ionc cannot translate the LEMS function '{function}'", self._at(function),
                       f"ionc reads {known}" + (" ('log' is ambiguous in LEMS: write ln)" if function == "log" else ""))
        return Call(span=self._at(function), function=FUNCTIONS[str(function)], argument=argument)

    def sign(self, items: list[object]) -> Expr:
        operator, operand = items
        assert isinstance(operator, Token) and isinstance(operand, Expr)
        return Sign(span=operand.span, operator=str(operator), operand=operand)

    def power(self, items: list[object]) -> Expr:
        base, exponent = items
        assert isinstance(base, Expr) and isinstance(exponent, Expr)
        return Binary(span=base.span, operator="^", left=base, right=exponent)

    def arithmetic(self, items: list[object]) -> Expr:
        result = items[0]
        assert isinstance(result, Expr)
        for operator, operand in zip(items[1::2], items[2::2], strict=True):
            assert isinstance(operand, Expr)
            result = Binary(span=result.span, operator=str(operator), left=result, right=operand)
        return result

    def compare(self, items: list[object]) -> Expr:
        left, operator, right = items
        assert isinstance(left, Expr) and isinstance(right, Expr)
        return Relation(span=left.span, operator=RELATIONS[str(operator)], left=left, right=right)

    def both(self, items: list[Expr]) -> Expr:
        return _logic("and", items)

    def either(self, items: list[Expr]) -> Expr:
        return _logic("or", items)


def _logic(operator: str, items: list[Expr]) -> Expr:
    """a .and. b .and. c as one node of three operands."""
    left, right = items
    operands = left.operands if isinstance(left, Logic) and left.operator == operator else (left,)
    return Logic(span=left.span, operator=operator, operands=(*operands, right))


# ---------------------------------------------------------------- names


def resolve(expr: Expr, scope: Mapping[str, Expr], what: str, seen: tuple[str, ...] = ()) -> Expr:
    """`expr` with every name replaced by its meaning in `scope` (derived variables inlined)."""
    if isinstance(expr, Name):
        name = expr.name
        if name in seen:
            raise fail(Code.E203, f"'{name}' is defined in terms of itself", expr.span)
        if name not in scope:
            known = ", ".join(sorted(scope)) or "nothing"
            raise fail(Code.E200, f"unknown name '{name}' in {what}", expr.span, f"it can read: {known}")
        return resolve(scope[name], scope, what, (*seen, name))
    return rebuilt(expr, lambda node: resolve(node, scope, what, seen))


def rebuilt(expr: Expr, again: Callable[[Expr], Expr]) -> Expr:
    """`expr` with `again` applied to each of its direct sub-expressions (a leaf: itself)."""
    match expr:
        case Sign():
            return Sign(span=expr.span, operator=expr.operator, operand=again(expr.operand))
        case Binary():
            return Binary(span=expr.span, operator=expr.operator, left=again(expr.left), right=again(expr.right))
        case Call():
            return Call(span=expr.span, function=expr.function, argument=again(expr.argument))
        case Relation():
            return Relation(span=expr.span, operator=expr.operator, left=again(expr.left), right=again(expr.right))
        case Logic():
            return Logic(span=expr.span, operator=expr.operator, operands=tuple(map(again, expr.operands)))
        case Choice():
            return Choice(span=expr.span, cases=tuple((None if c is None else again(c), again(v))
                                                      for c, v in expr.cases))
    return expr


# ---------------------------------------------------------------- ionc text

_BINARY = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}


def ionc_text(expr: Expr) -> str:
    return _text(expr)[0]


def _wrapped(expr: Expr, at_least: int) -> str:
    text, precedence = _text(expr)
    return text if precedence >= at_least else f"({text})"


def _text(expr: Expr) -> tuple[str, int]:
    match expr:
        case Number(text=text) | Name(name=text):
            return text, ATOM
        case Text(text=text, precedence=precedence):
            return text, precedence
        case Sign(operator=operator, operand=operand):
            shown = _wrapped(operand, POWER)  # -(-x), never --x
            return (shown, _text(operand)[1]) if operator == "+" else (f"-{shown}", UNARY)
        case Binary(operator="^", left=left, right=right):
            return f"{_wrapped(left, ATOM)}^{_wrapped(right, UNARY)}", POWER
        case Binary(operator=operator, left=left, right=right):
            level = _BINARY[operator]
            return f"{_wrapped(left, level)} {operator} {_wrapped(right, level + 1)}", level
        case Call(function=function, argument=argument):
            return f"{function}({ionc_text(argument)})", ATOM
        case Relation(operator=operator, left=left, right=right):
            return f"{_wrapped(left, SUM)} {operator} {_wrapped(right, SUM)}", COMPARE
        case Logic(operator=operator, operands=operands):
            level = AND if operator == "and" else OR
            return f" {operator} ".join(_wrapped(o, level + 1) for o in operands), level
        case Choice(cases=cases):
            return _choice(cases), CONDITIONAL
    raise AssertionError(expr)


def _choice(cases: tuple[tuple[Expr | None, Expr], ...]) -> str:
    condition, value = cases[0]
    if condition is None or len(cases) == 1:
        return ionc_text(value)
    rest = _choice(cases[1:])
    return f"if {_wrapped(condition, OR)} then {ionc_text(value)} else {rest}"
