"""Values -> ionc expression text, with every number given the unit it means.

NMODL computes with plain numbers, each variable in its declared unit.
ionc wants quantities. Each expression is written as it stands, and each
number literal takes the unit that makes the ionc expression equal the
NMODL number in the unit asked for: in `exp(-(v + 65)/18)` the 65 and the
18 become mV (they meet v), and in `0.1 * (v + 40)/(...)` asked for as a
rate the 0.1 becomes /ms/mV. Where no literal can take the unit, the
expression is multiplied by `1 UNIT` (the conversion the NMODL number
implies). So the ionc text carries exactly the .mod file's numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ionc.importer.nmodl_units import NUMBER, UnitMap, si_scale
from ionc.importer.nmodl_values import Apply, Cond, Let, Neg, Not, Num, Op, Sym, Value

# binding strength of what a piece of text is, for brackets
_COND, _OR, _AND, _COMPARE, _SUM, _PRODUCT, _UNARY, _POWER, _ATOM = range(9)
_LEVEL = {"||": _OR, "&&": _AND, "+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "^": _POWER}
_COMPARISONS = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_IONC_OPS = {"&&": "and", "||": "or"}


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    level: int


def number_text(value: Fraction) -> str:
    """Exact decimal where there is one (0.12, 1e-06), else the nearest double."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return repr(float(value))
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(exact.normalize(), "f") if abs(exact) >= Decimal("1e-4") or exact == 0 else format(exact, "e")
    return text


@dataclass(frozen=True)
class Writer:
    """Writes values; `unit_of` gives each outside name's unit, `rename` its ionc name."""

    unit_of: Callable[[str], UnitMap]
    rename: Callable[[str], str]
    declared: Callable[[str], UnitMap | None] = lambda name: None  # an ASSIGNED variable's own unit

    def write(self, value: Value, want: UnitMap) -> str:
        return self._emit(value, want).text

    # ---- the unit each value has by itself (None: only literals decide it)
    def natural(self, value: Value) -> UnitMap | None:
        if isinstance(value, Num):
            return None
        if isinstance(value, Sym):
            return self.unit_of(value.name)
        if isinstance(value, Let):
            # only literals decide: then the variable's declared unit (drive (mM/ms) = -(10000)*ica/...)
            return self.natural(value.value) or self.declared(value.name)
        if isinstance(value, Neg):
            return self.natural(value.operand)
        if isinstance(value, Op):
            return self._natural_op(value)
        if isinstance(value, Apply):
            return self._natural_apply(value)
        if isinstance(value, Cond):
            return _first(self.natural(value.then), self.natural(value.otherwise))
        return NUMBER

    def _natural_op(self, value: Op) -> UnitMap | None:
        left, right = self.natural(value.left), self.natural(value.right)
        if value.op in ("+", "-"):
            return _first(left, right)
        if value.op in ("*", "/"):
            if left is None or right is None:
                return None
            return left * right if value.op == "*" else left / right
        if value.op == "^":
            power = _whole_power(value.right)
            return None if left is None else (left**power if power is not None else NUMBER)
        return NUMBER

    def _natural_apply(self, value: Apply) -> UnitMap | None:
        if value.function in ("abs", "min", "max"):
            return _first(*(self.natural(a) for a in value.args))
        if value.function == "sqrt":
            inner = self.natural(value.args[0])
            return None if inner is None else _root(inner, 2)
        return NUMBER

    # ---- text, asked for in a unit (None: in its own)
    def _emit(self, value: Value, want: UnitMap | None) -> Text:
        if isinstance(value, Num):
            return _quantity(value.value, want or NUMBER)
        if isinstance(value, Sym):
            return _convert(Text(self.rename(value.name), _ATOM), self.unit_of(value.name), want)
        if isinstance(value, Let):
            return self._emit(value.value, want)
        if isinstance(value, Neg):
            inner = self._emit(value.operand, want)
            return Text("-" + _bracket(inner, _UNARY + 1), _UNARY)
        if isinstance(value, Not):
            return self._emit(_negate(value.operand), want)
        if isinstance(value, Apply):
            return self._emit_apply(value, want)
        if isinstance(value, Cond):
            return self._emit_cond(value, want)
        return self._emit_op(value, want)

    def _emit_op(self, value: Op, want: UnitMap | None) -> Text:
        if value.op in ("+", "-"):
            if isinstance(value.right, Neg):  # v - -40 reads v + 40
                return self._emit(Op("+" if value.op == "-" else "-", value.left, value.right.operand), want)
            unit = want or self.natural(value) or NUMBER
            return _binary(value.op, self._emit(value.left, unit), self._emit(value.right, unit))
        if value.op in ("*", "/"):
            return self._emit_product(value, want)
        if value.op == "^":
            return self._emit_power(value, want)
        if value.op in ("&&", "||"):
            return _binary(value.op, self._emit(value.left, None), self._emit(value.right, None))
        unit = _first(self.natural(value.left), self.natural(value.right)) or NUMBER
        return _binary(value.op, self._emit(value.left, unit), self._emit(value.right, unit))

    def _emit_product(self, value: Op, want: UnitMap | None) -> Text:
        left, right = self.natural(value.left), self.natural(value.right)
        divide = value.op == "/"
        if want is None:
            want = (left or NUMBER) / (right or NUMBER) if divide else (left or NUMBER) * (right or NUMBER)
        if left is None:  # the left side takes what is missing
            right = right or self.core(value.right)
            left = want * right if divide else want / right
        elif right is None:
            right = left / want if divide else want / left
        made = left / right if divide else left * right
        dropped = self._without_conversion(value, left, right)
        if dropped is not None:
            return dropped
        text = _binary(value.op, self._emit(value.left, left), self._emit(value.right, right))
        return _convert(text, made, want)

    def _without_conversion(self, value: Op, left: UnitMap, right: UnitMap) -> Text | None:
        """`(10000) * ica` where the 10000 only converts units (its quantity is exactly 1): `ica`."""
        if value.op == "*" and _is_conversion(value.left, left):
            inner = self._emit(value.right, right)
            return Text("-" + _bracket(inner, _UNARY + 1), _UNARY) if isinstance(value.left, Neg) else inner
        if _is_conversion(value.right, right):
            inner = self._emit(value.left, left)
            return Text("-" + _bracket(inner, _UNARY + 1), _UNARY) if isinstance(value.right, Neg) else inner
        return None

    def core(self, value: Value) -> UnitMap:
        """The unit of a value's names alone, its literals taken as plain numbers."""
        natural = self.natural(value)
        if natural is not None:
            return natural
        if isinstance(value, Op) and value.op in ("*", "/"):
            left, right = self.core(value.left), self.core(value.right)
            return left / right if value.op == "/" else left * right
        if isinstance(value, Op) and value.op in ("+", "-"):
            return self.core(value.left)
        if isinstance(value, Neg | Let):
            return self.core(value.operand if isinstance(value, Neg) else value.value)
        return NUMBER

    def _emit_power(self, value: Op, want: UnitMap | None) -> Text:
        power = _whole_power(value.right)
        base_unit = self.natural(value.left)
        exponent = self._emit(value.right, NUMBER)
        if power is None or power == 0:
            base = self._emit(value.left, NUMBER)
            return _convert(_binary("^", base, exponent), NUMBER, want)
        if base_unit is None:
            base_unit = _root(want, power) if want is not None else NUMBER
            base_unit = base_unit if base_unit is not None else NUMBER
        return _convert(_binary("^", self._emit(value.left, base_unit), exponent), base_unit**power, want)

    def _emit_apply(self, value: Apply, want: UnitMap | None) -> Text:
        if value.function in ("abs", "min", "max"):
            unit = want or self.natural(value) or NUMBER
            args = [self._emit(a, unit).text for a in value.args]
            return Text(f"{value.function}({', '.join(args)})", _ATOM)
        if value.function == "sqrt":
            root = self.natural(value) if want is None else want
            inner = (root or NUMBER) ** 2
            return Text(f"sqrt({self._emit(value.args[0], inner).text})", _ATOM)
        text = Text(f"{value.function}({self._emit(value.args[0], NUMBER).text})", _ATOM)
        return _convert(text, NUMBER, want)

    def _emit_cond(self, value: Cond, want: UnitMap | None) -> Text:
        unit = want or self.natural(value) or NUMBER
        condition = self._emit(value.condition, None).text
        then, otherwise = self._emit(value.then, unit).text, self._emit(value.otherwise, unit).text
        return Text(f"if {condition} then {then} else {otherwise}", _COND)


def _is_conversion(value: Value, unit: UnitMap) -> bool:
    """A literal whose quantity in this unit is exactly 1 (10000 cm2*mM... or 1e-4 S/cm2 per pS/um2)."""
    number = value.operand if isinstance(value, Neg) else value
    if not isinstance(number, Num) or unit.is_number:
        return False
    try:
        scale, dimension = si_scale(unit)
    except ValueError:
        return False
    return dimension.is_dimensionless and number.value * scale == 1


def _first(*units: UnitMap | None) -> UnitMap | None:
    return next((u for u in units if u is not None), None)


def _whole_power(value: Value) -> int | None:
    if isinstance(value, Num) and value.value.denominator == 1 and value.value.numerator <= 16:
        return value.value.numerator
    if isinstance(value, Neg) and isinstance(value.operand, Num):
        inner = _whole_power(value.operand)
        return None if inner is None else -inner
    return None


def _root(unit: UnitMap, power: int) -> UnitMap | None:
    root = unit ** Fraction(1, power)
    return root if all(p.denominator == 1 for _, p in root.powers) else None


def _quantity(value: Fraction, unit: UnitMap) -> Text:
    text = number_text(value)
    if unit.is_number:
        return Text(text, _ATOM)
    return Text(f"{text} {unit.ionc_text()}", _ATOM)


def _convert(text: Text, have: UnitMap, want: UnitMap | None) -> Text:
    """text (a number meant in `have`) as the same number meant in `want`."""
    if want is None or want == have:
        return text
    return Text(f"{_bracket(text, _PRODUCT)} * {_quantity(Fraction(1), want / have).text}", _PRODUCT)


def _bracket(text: Text, level: int) -> str:
    return text.text if text.level >= level else f"({text.text})"


def _binary(op: str, left: Text, right: Text) -> Text:
    level = _LEVEL.get(op, _COMPARE)
    if op == "^":  # right-associative
        return Text(f"{_bracket(left, level + 1)} ^ {_bracket(right, _UNARY)}", level)
    tight = op in ("-", "/") or level == _COMPARE
    right_text = _bracket(right, level + 1 if tight else level)
    left_text = _bracket(left, level + 1 if level == _COMPARE else level)
    return Text(f"{left_text} {_IONC_OPS.get(op, op)} {right_text}", level)


def _negate(value: Value) -> Value:
    """!x without a not: comparisons flipped, De Morgan for && and ||."""
    if isinstance(value, Not):
        return value.operand
    if isinstance(value, Op) and value.op in _COMPARISONS:
        return Op(_COMPARISONS[value.op], value.left, value.right)
    if isinstance(value, Op) and value.op in ("&&", "||"):
        return Op("||" if value.op == "&&" else "&&", _negate(value.left), _negate(value.right))
    return Op("==", value, Num(Fraction(0)))
