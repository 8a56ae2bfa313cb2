"""Values of NMODL variables after symbolic execution, and their sympy form.

A `Value` is an expression tree over the mechanism's outside names (`Sym`:
v, celsius, parameters, states, ion variables) in which every assignment
of the .mod file stays visible as a `Let` (`alpha = ...` inside rates()).
Lets keep the translation close to the .mod text: the analysis treats a let
whose value calls a function as one opaque symbol (so `a / (a + b)` stays
recognisable), and the writer prints the let's own expression.

sympy expressions are built from these trees, never from text.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ionc.source import Span


@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction  # never negative (a minus is a Neg)


@dataclass(frozen=True, slots=True)
class Sym:
    name: str


@dataclass(frozen=True, slots=True)
class Let:
    ident: int  # unique per assignment
    name: str  # the assigned NMODL name
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Op:
    op: str  # + - * / ^ < <= > >= == != && ||
    left: Value
    right: Value


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Value


@dataclass(frozen=True, slots=True)
class Not:
    operand: Value


@dataclass(frozen=True, slots=True)
class Apply:
    function: str  # one of FUNCTIONS (ionc's names)
    args: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Cond:
    condition: Value
    then: Value
    otherwise: Value


Value = Num | Sym | Let | Op | Neg | Not | Apply | Cond

# NMODL/C math functions -> ionc functions (same meaning)
FUNCTIONS = {
    "exp": "exp", "log": "log", "log10": "log10", "sqrt": "sqrt", "fabs": "abs", "abs": "abs",
    "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "fmin": "min", "fmax": "max",
    "min": "min", "max": "max",
}
_SYMPY_FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "tanh": sp.tanh,
    "sinh": sp.sinh, "cosh": sp.cosh,
}
_RELATIONS = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq, "!=": sp.Ne}


def let_symbol(let: Let) -> sp.Symbol:
    return sp.Symbol(f"_let{let.ident}_{let.name}", real=True)


def symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass
class SympyBuilder:
    """Builds sympy from values; `opaque` lets become symbols, the others are expanded."""

    opaque: frozenset[int] = frozenset()
    lets: dict[sp.Symbol, Let] | None = None  # filled with the opaque lets met

    def build(self, value: Value) -> sp.Expr:
        """A number (a condition counts 1 or 0)."""
        result: sp.Expr = _number(self._build(value))
        return result

    def build_condition(self, value: Value) -> sp.Basic:
        """A condition (a number is true where it is not 0)."""
        return _truth(self._build(value))

    def _build(self, value: Value) -> sp.Basic:
        if isinstance(value, Num):
            return sp.Rational(value.value.numerator, value.value.denominator)
        if isinstance(value, Sym):
            return symbol(value.name)
        if isinstance(value, Let):
            if value.ident in self.opaque:
                sym = let_symbol(value)
                if self.lets is not None:
                    self.lets[sym] = value
                return sym
            return self._build(value.value)
        if isinstance(value, Neg):
            return -_number(self._build(value.operand))
        if isinstance(value, Not):
            return sp.Not(_truth(self._build(value.operand)))
        if isinstance(value, Apply):
            return _apply(value.function, [_number(self._build(a)) for a in value.args])
        if isinstance(value, Cond):
            return sp.Piecewise((_number(self._build(value.then)), _truth(self._build(value.condition))),
                                (_number(self._build(value.otherwise)), True))
        return _operate(value.op, self._build(value.left), self._build(value.right))


def _number(expr: sp.Basic) -> sp.Basic:
    """A condition used as a number counts 1 or 0, as in C (and NMODL)."""
    return sp.Piecewise((1, expr), (0, True)) if _is_condition(expr) else expr


def _truth(expr: sp.Basic) -> sp.Basic:
    """A number used as a condition is true where it is not 0, as in C."""
    return expr if _is_condition(expr) else sp.Ne(expr, 0)


def _is_condition(expr: sp.Basic) -> bool:
    # not sp.Boolean: a sympy Symbol is one too
    return isinstance(expr, sp.core.relational.Relational | sp.logic.boolalg.BooleanFunction
                      | sp.logic.boolalg.BooleanAtom)


def _apply(function: str, args: list[sp.Basic]) -> sp.Basic:
    if function == "log10":
        return sp.log(args[0], 10)
    if function == "min":
        return sp.Min(*args)
    if function == "max":
        return sp.Max(*args)
    return _SYMPY_FUNCTIONS[function](*args)


def _operate(op: str, left: sp.Basic, right: sp.Basic) -> sp.Basic:
    if op in ("&&", "||"):
        return (sp.And if op == "&&" else sp.Or)(_truth(left), _truth(right))
    left, right = _number(left), _number(right)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    if op == "^":
        return left**right
    return _RELATIONS[op](left, right)


def lets_in(value: Value) -> list[Let]:
    """Every let a value reads, each once, innermost first."""
    found: dict[int, Let] = {}
    _collect_lets(value, found)
    return list(found.values())


def _collect_lets(value: Value, found: dict[int, Let]) -> None:
    if isinstance(value, Let) and value.ident in found:
        return
    for part in children(value):
        _collect_lets(part, found)
    if isinstance(value, Let):
        found[value.ident] = value


def children(value: Value) -> tuple[Value, ...]:
    """The values a value is made of (a let: its expression)."""
    if isinstance(value, Let):
        return (value.value,)
    if isinstance(value, Op):
        return (value.left, value.right)
    if isinstance(value, Neg | Not):
        return (value.operand,)
    if isinstance(value, Apply):
        return value.args
    if isinstance(value, Cond):
        return (value.condition, value.then, value.otherwise)
    return ()


def is_opaque(let: Let) -> bool:
    """A let worth keeping as one symbol: its own expression calls a function or branches.

    Lets that only add, multiply or divide others (`sum = alpha + beta`,
    `mtau = 1/(q10*sum)`) are expanded, so that the analysis sees through them.
    """
    return _calls(let.value)


def _calls(value: Value) -> bool:
    if isinstance(value, Apply | Cond):
        return True
    if isinstance(value, Op):
        if value.op == "^" and not (isinstance(value.right, Num) and value.right.value.denominator == 1):
            return True  # sympy would rewrite (0.00043/cai)^4.8 into unreadable exact powers
        return _calls(value.left) or _calls(value.right)
    if isinstance(value, Neg | Not):
        return _calls(value.operand)
    return False


def from_sympy(expr: sp.Basic, lets: dict[sp.Symbol, Let]) -> Value:
    """A value for a sympy expression of the analysis (opaque lets back to their lets)."""
    if isinstance(expr, sp.Symbol):
        return lets.get(expr) or Sym(expr.name)
    if expr.is_Rational:
        number = Fraction(int(expr.p), int(expr.q))
        return Num(number) if number >= 0 else Neg(Num(-number))
    if isinstance(expr, sp.Add):
        return _sum([from_sympy(term, lets) for term in _ordered_terms(expr)])
    if isinstance(expr, sp.Mul):
        return _product(expr, lets)
    if isinstance(expr, sp.Pow):
        return _power(expr, lets)
    if isinstance(expr, sp.exp):
        return Apply("exp", (from_sympy(expr.args[0], lets),))
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr.args, lets)
    if expr == sp.E:
        return Apply("exp", (Num(Fraction(1)),))
    if isinstance(expr, sp.And | sp.Or):
        return _chain("&&" if isinstance(expr, sp.And) else "||", [from_sympy(a, lets) for a in expr.args])
    if isinstance(expr, sp.Not):
        return Not(from_sympy(expr.args[0], lets))
    if expr in (sp.true, sp.false):
        return Op("==" if expr == sp.true else "!=", Num(Fraction(0)), Num(Fraction(0)))
    name = {sp.log: "log", sp.Abs: "abs", sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh",
            sp.Min: "min", sp.Max: "max"}.get(type(expr))
    if name is not None:
        return Apply(name, tuple(from_sympy(a, lets) for a in expr.args))
    relation = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
                sp.GreaterThan: ">=", sp.Equality: "==", sp.Unequality: "!="}.get(type(expr))
    if relation is not None:
        return Op(relation, from_sympy(expr.args[0], lets), from_sympy(expr.args[1], lets))
    raise ValueError(f"cannot write {expr} back")  # the analysis builds nothing else


def _chain(op: str, parts: list[Value]) -> Value:
    result = parts[0]
    for part in parts[1:]:
        result = Op(op, result, part)
    return result


def _ordered_terms(expr: sp.Add) -> list[sp.Basic]:
    # positive terms first, so that a - b reads as written
    terms = list(expr.as_ordered_terms())
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


def _sum(terms: list[Value]) -> Value:
    result = terms[0]
    for term in terms[1:]:
        result = Op("-", result, term.operand) if isinstance(term, Neg) else Op("+", result, term)
    return result


def _product(expr: sp.Mul, lets: dict[sp.Symbol, Let]) -> Value:
    coefficient, rest = expr.as_coeff_Mul()
    if coefficient.is_Rational and coefficient not in (1, -1) and _decimal(coefficient) and rest != 1:
        top, bottom = sp.fraction(rest, exact=True)
        scaled = (Op("/", from_sympy(abs(coefficient), lets), from_sympy(bottom, lets)) if top == 1
                  else Op("*", from_sympy(abs(coefficient), lets), from_sympy(rest, lets)))
        return Neg(scaled) if coefficient < 0 else scaled
    numerator, denominator = sp.fraction(expr, exact=True)
    negative = numerator.could_extract_minus_sign()
    top = _plain_product(-numerator if negative else numerator, lets)
    result = top if denominator == 1 else Op("/", top, _plain_product(denominator, lets))
    return Neg(result) if negative else result


def _decimal(number: sp.Rational) -> bool:
    """Whether a rational has a finite decimal expansion (0.1 yes, 1/3 no)."""
    denominator = int(number.q)
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _plain_product(expr: sp.Basic, lets: dict[sp.Symbol, Let]) -> Value:
    if not isinstance(expr, sp.Mul):
        return from_sympy(expr, lets)
    factors = [from_sympy(f, lets) for f in expr.as_ordered_factors()]
    result = factors[0]
    for factor in factors[1:]:
        result = Op("*", result, factor)
    return result


def _power(expr: sp.Pow, lets: dict[sp.Symbol, Let]) -> Value:
    base, exponent = expr.args
    if exponent.is_Rational and exponent < 0:
        return Op("/", Num(Fraction(1)), from_sympy(base**-exponent, lets))
    if base == sp.E:
        return Apply("exp", (from_sympy(exponent, lets),))
    if exponent == sp.Rational(1, 2):
        return Apply("sqrt", (from_sympy(base, lets),))
    return Op("^", from_sympy(base, lets), from_sympy(exponent, lets))


def _piecewise(pieces: tuple[sp.Basic, ...], lets: dict[sp.Symbol, Let]) -> Value:
    (value, condition), rest = pieces[0], pieces[1:]
    if condition == sp.true or not rest:
        return from_sympy(value, lets)
    return Cond(from_sympy(condition, lets), from_sympy(value, lets), _piecewise(rest, lets))
