"""sympy assignments -> numpy lines that write into preallocated arrays (`out=`).

On a cable of a thousand nodes a numpy operation costs about half a
microsecond, most of it call overhead, and a fresh result array adds a
third to that. The time loop therefore computes every array into a buffer
made before the loop: `np.multiply(a, b, out=x)`, `x += c`. Named results
(rates, currents) get buffers of their own; common subexpressions and
intermediate values share a small pool of work arrays, each reused as soon
as its value has been read for the last time.

What this module cannot write in place (comparisons, if-then-else) it
writes as an ordinary numpy expression copied into the buffer: correct,
one allocation more.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import sympy as sp
from sympy.codegen.cfunctions import expm1

from ionc.codegen.printer import code, float_literal
from ionc.symbolic.ghk import efun, efun_slope

UFUNCS: dict[type, str] = {
    sp.exp: "np.exp",
    expm1: "np.expm1",
    sp.log: "np.log",
    sp.Abs: "np.abs",
    sp.tanh: "np.tanh",
    sp.sinh: "np.sinh",
    sp.cosh: "np.cosh",
    efun: "efun",  # runtime functions with out=, like ufuncs (ionc/runtime/standalone.py)
    efun_slope: "efun_slope",
}


@dataclass(frozen=True, slots=True)
class _Operation:
    """An operation and its inverse, as ufuncs and as augmented assignments."""

    function: str
    augmented: str
    inverse: str
    inverse_augmented: str


ADD = _Operation("np.add", "+=", "np.subtract", "-=")
MULTIPLY = _Operation("np.multiply", "*=", "np.divide", "/=")


@dataclass
class WorkPool:
    """Work arrays `_w0<suffix>`, `_w1<suffix>`, ... of one shape (one per set of nodes:
    the suffix tells them apart); `size` is how many were ever in use at once."""

    suffix: str = ""
    size: int = 0
    free: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # named scratch arrays and their dtype

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        self.size += 1
        return f"_w{self.size - 1}{self.suffix}"

    def give_back(self, name: str) -> None:
        if name in self.names() and name not in self.free:
            self.free.append(name)

    def names(self) -> list[str]:
        return [f"_w{k}{self.suffix}" for k in range(self.size)]

    def named(self, label: str, dtype: str = "float") -> str:
        """A scratch array of this shape with a fixed role (`_d_safe`, `_at`)."""
        name = f"_{label}{self.suffix}"
        self.roles[name] = dtype
        return name


@dataclass
class _Writer:
    """Writes the lines; `owned` are the work arrays holding intermediate values of the
    expression being written (free to overwrite once read), not named values."""

    pool: WorkPool
    lines: list[str] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)

    def release(self, *operands: str) -> None:
        for operand in operands:
            if operand in self.owned:
                self.owned.discard(operand)
                self.pool.give_back(operand)

    def fresh(self) -> str:
        name = self.pool.take()
        self.owned.add(name)
        return name

    def target(self, out: str | None, operands: list[str]) -> str:
        """Where a result goes: the given buffer, else the first operand if it is an
        intermediate value (callers put those first), else a fresh work array."""
        if out is not None:
            return out
        if operands and operands[0] in self.owned:
            return operands[0]
        return self.fresh()

    def first_owned(self, operands: list[str]) -> list[str]:
        return sorted(operands, key=lambda operand: operand not in self.owned)

    # ---- expressions

    def value(self, expr: sp.Expr, out: str | None = None) -> str:
        """Code for expr computed into `out` (or a work array); returns the operand to read."""
        if expr.is_Number:
            if out is None:
                return code(expr)
            self.lines.append(f"np.copyto({out}, {code(expr)})")
            return out
        if isinstance(expr, sp.Symbol):
            if out is None:
                return expr.name
            self.lines.append(f"np.copyto({out}, {expr.name})")
            return out
        if isinstance(expr, sp.Add):
            return self._add(expr, out)
        if isinstance(expr, sp.Mul):
            return self._mul(expr, out)
        if isinstance(expr, sp.Pow):
            return self._pow(expr, out)
        function = UFUNCS.get(type(expr))
        if function is not None:
            argument = self.value(expr.args[0])
            result = self.target(out, [argument])
            self.lines.append(f"{function}({argument}, out={result})")
            self.release(*(a for a in [argument] if a != result))
            return result
        if isinstance(expr, (sp.Max, sp.Min)) and len(expr.args) == 2:
            return self._binary("np.maximum" if isinstance(expr, sp.Max) else "np.minimum", expr.args, out)
        result = out if out is not None else self.fresh()
        self.lines.append(f"np.copyto({result}, {code(expr)})")
        return result

    def _binary(self, function: str, args: tuple[sp.Expr, ...], out: str | None) -> str:
        left, right = self.value(args[0]), self.value(args[1])
        result = self.target(out, [left])
        self.lines.append(f"{function}({left}, {right}, out={result})")
        self.release(*(a for a in (left, right) if a != result))
        return result

    def _add(self, expr: sp.Add, out: str | None) -> str:
        constant = sum((t for t in expr.args if t.is_Number), sp.Integer(0))
        plus, minus = [], []
        for term in (t for t in expr.args if not t.is_Number):
            if term.could_extract_minus_sign():
                minus.append(self.value(-term))
            else:
                plus.append(self.value(term))
        if not plus:  # -a - b + c: start from the constant
            plus = [code(constant)]
        elif constant != 0:
            (plus if constant > 0 else minus).append(code(abs(constant)))
        return self._chain(ADD, plus, minus, out)

    def _mul(self, expr: sp.Mul, out: str | None) -> str:
        coefficient, rest = expr.as_coeff_Mul()
        above: list[str] = []
        below: list[str] = []
        for factor in sp.Mul.make_args(rest):
            base, exponent = factor.as_base_exp()
            if exponent.is_Integer and int(exponent) < 0:
                below.append(self.value(base ** -exponent))
            else:
                above.append(self.value(factor))
        if not above:  # c / x: start from the coefficient
            above = [code(coefficient)]
        elif coefficient != 1:
            above.append(code(coefficient))
        return self._chain(MULTIPLY, above, below, out)

    def _chain(self, op: _Operation, direct: list[str], inverse: list[str], out: str | None) -> str:
        """direct[0] op direct[1] op ... (inverse op) inverse[0] ...: the first operation into
        the result, the rest in place."""
        direct = self.first_owned(direct)
        result = self.target(out, direct)
        first, rest, undo = direct[0], direct[1:], list(inverse)
        if rest:
            self._combine(op.function, op.augmented, first, rest.pop(0), result)
        elif undo:
            self._combine(op.inverse, op.inverse_augmented, first, undo.pop(0), result)
        else:
            self.lines.append(f"np.copyto({result}, {first})")
        self.lines += [f"{result} {op.augmented} {x}" for x in rest]
        self.lines += [f"{result} {op.inverse_augmented} {x}" for x in undo]
        self.release(*(a for a in direct + inverse if a != result))
        return result

    def _pow(self, expr: sp.Pow, out: str | None) -> str:
        base, exponent = expr.args
        if exponent.is_Integer and 2 <= int(exponent) <= 4:
            operand = self.value(base)
            # x^3 reads x after squaring: then the square needs an array of its own
            cube = int(exponent) == 3
            result = self.target(out, [] if cube else [operand])
            self._combine("np.multiply", "*=", operand, operand, result)
            if int(exponent) == 3:
                self.lines.append(f"{result} *= {operand}")
            elif int(exponent) == 4:
                self.lines.append(f"{result} *= {result}")
            self.release(*(a for a in [operand] if a != result))
            return result
        if exponent == -1:
            return self._binary("np.divide", (sp.Float(1.0), base), out)
        if exponent == sp.Rational(1, 2):
            operand = self.value(base)
            result = self.target(out, [operand])
            self.lines.append(f"np.sqrt({operand}, out={result})")
            self.release(*(a for a in [operand] if a != result))
            return result
        return self._binary("np.power", (base, exponent), out)

    def _combine(self, function: str, augmented: str, left: str, right: str, result: str) -> None:
        """result = left (op) right, in place when result is already left."""
        if result == left:
            self.lines.append(f"{result} {augmented} {right}")
        else:
            self.lines.append(f"{function}({left}, {right}, out={result})")


def inplace_assignments(
    targets: Iterable[tuple[str, sp.Expr]], temporaries: Iterable[sp.Symbol], pool: WorkPool,
    rows: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """Lines computing each (name, expr) into the buffer `name`, and the names that need buffers.

    Common subexpressions are shared through work arrays of `pool`, each given back
    after its last use. A target that is just another (input) name or a number is bound
    to it, unless it is one of `rows`: views into a larger array, always written into
    (and made by the caller).
    """
    pairs = list(targets)
    target_names = {name for name, _ in pairs}
    for name, expr in pairs:
        if any(s.name == name for s in expr.free_symbols):
            raise ValueError(f"{name} is computed from itself; it cannot be written in place")
        read = sorted(s.name for s in expr.free_symbols if s.name in target_names)
        if read:  # common subexpressions are computed before every target: it would be stale
            raise ValueError(f"{name} reads {read[0]}, a target of the same call; compute that first")
    replacements, reduced = sp.cse([e for _, e in pairs], symbols=iter(temporaries), order="canonical")
    reduced = _flip_negated_temporaries(replacements, reduced)
    reduced = _name_temporaries_after_targets(pairs, replacements, reduced)
    last_use = _last_uses(replacements, reduced)
    writer = _Writer(pool)
    live: dict[sp.Symbol, str] = {}  # temporary -> the array holding it
    buffers: list[str] = []
    for index, (symbol, value) in enumerate(replacements):
        value = value.xreplace({s: sp.Symbol(n) for s, n in live.items()})
        if symbol.name in target_names:
            buffers += [] if symbol.name in rows else [symbol.name]
            writer.value(value, out=symbol.name)
        else:
            live[symbol] = pool.take()
            writer.value(value, out=live[symbol])
        for dead in [s for s in live if last_use.get(s, -1) <= index]:
            pool.give_back(live.pop(dead))
    for (name, _), value in zip(pairs, reduced, strict=True):
        value = value.xreplace({s: sp.Symbol(n) for s, n in live.items()})
        if isinstance(value, sp.Symbol) and value.name == name:
            continue  # computed above, in its own buffer
        if name not in rows and isinstance(value, sp.Symbol) and value.name not in live.values():
            writer.lines.append(f"{name} = {value.name}")  # an input: no copy
            continue
        if name not in rows and value.is_Number:
            writer.lines.append(f"{name} = {float_literal(float(value))}")
            continue
        buffers += [] if name in rows else [name]
        writer.value(value, out=name)
    for name in live.values():
        pool.give_back(name)
    return writer.lines, buffers


def _flip_negated_temporaries(
    replacements: list[tuple[sp.Symbol, sp.Expr]], reduced: list[sp.Expr]
) -> list[sp.Expr]:
    """t = 0.1*d read only as -t (in -t/expm1(-t)): keep -0.1*d instead, one multiplication
    all the same, and the negations where it is read disappear."""
    for k, (symbol, value) in enumerate(replacements):
        later = [expr for _, expr in replacements[k + 1:]] + reduced
        flipped = [expr.xreplace({symbol: -symbol}) for expr in later]
        if sum(map(_negations, flipped)) < sum(map(_negations, later)):
            replacements[k] = (symbol, -value)
            replacements[k + 1:] = [(s, e) for (s, _), e in zip(replacements[k + 1:], flipped, strict=False)]
            reduced = flipped[len(later) - len(reduced):]
    return reduced


def _negations(expr: sp.Expr) -> int:
    return int(sp.count_ops(expr, visual=True).coeff(sp.Symbol("NEG")))


def _name_temporaries_after_targets(
    pairs: list[tuple[str, sp.Expr]], replacements: list[tuple[sp.Symbol, sp.Expr]], reduced: list[sp.Expr]
) -> list[sp.Expr]:
    """g = _t1; i = _t1 * (v - e): compute _t1 straight into g's buffer, then read g."""
    for (name, _), value in zip(pairs, reduced, strict=True):
        if isinstance(value, sp.Symbol) and any(s == value for s, _ in replacements):
            target = sp.Symbol(name)
            for j, (symbol, expr) in enumerate(replacements):
                replacements[j] = (target if symbol == value else symbol, expr.xreplace({value: target}))
            reduced = [r.xreplace({value: target}) for r in reduced]
    return reduced


def _last_uses(replacements: list[tuple[sp.Symbol, sp.Expr]], reduced: list[sp.Expr]) -> dict[sp.Symbol, int]:
    """For each temporary, the index of the last replacement that reads it (len: a target does)."""
    last: dict[sp.Symbol, int] = {}
    for index, (_, expr) in enumerate(replacements):
        for symbol in expr.free_symbols:
            last[symbol] = index
    for expr in reduced:
        for symbol in expr.free_symbols:
            last[symbol] = len(replacements)
    return last
