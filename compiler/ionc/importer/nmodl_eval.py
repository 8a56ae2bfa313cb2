"""Symbolic execution of NMODL blocks: what each variable holds, as `Value` trees.

BREAKPOINT is run statement by statement (its SOLVE runs the DERIVATIVE or
KINETIC block it names first, as NEURON does); PROCEDURE and FUNCTION calls
are inlined with their arguments bound to the callers' values, LOCAL
variables live in the call's frame, and `if/else` merges the two branches
into `Cond` values. A FUNCTION recognised as a singularity guard (see
nmodl_guards) runs its plain branch only. Nothing is evaluated numerically
here and nothing of the file's text is executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ionc.diagnostics import Code, fail
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_limits import removable_guard
from ionc.importer.nmodl_values import (
    FUNCTIONS,
    Apply,
    Cond,
    Let,
    Neg,
    Not,
    Num,
    Op,
    Sym,
    SympyBuilder,
    Value,
)
from ionc.source import Span

MAX_CALL_DEPTH = 32
UNSET = "_unset_"  # prefix of a variable INITIAL reads before it assigns it
# Names NEURON gives every mechanism that an ionc channel has (celsius is a number in both).
BUILTINS = frozenset({"v", "celsius"})
# Names NEURON gives every mechanism that an ionc channel has no counterpart for.
OUT_OF_REACH = {
    "t": "ionc channels do not depend on time itself",
    "dt": "ionc channels do not see the time step (ionc integrates the gates itself)",
    "diam": "ionc channels do not see the section's geometry",
    "area": "ionc channels do not see the section's geometry",
}


@dataclass(frozen=True, slots=True)
class GuardChoice:
    """Which branch of a guard function's `if` is the plain expression."""

    statement: ast.If
    plain_is_then: bool


@dataclass
class Frame:
    """The variables of one PROCEDURE or FUNCTION call (LOCALs, formals, the result)."""

    values: dict[str, Value | None] = field(default_factory=dict)
    function: str | None = None  # a FUNCTION's name: assigning it sets the result


@dataclass
class Outcome:
    """What a block leaves behind."""

    assigned: dict[str, Value] = field(default_factory=dict)  # ASSIGNED and STATE variables
    derivatives: dict[str, tuple[Value, Span]] = field(default_factory=dict)
    reactions: list[tuple[ast.Reaction, Value, Value]] = field(default_factory=list)
    conserves: list[ast.Conserve] = field(default_factory=list)
    solves: list[ast.Solve] = field(default_factory=list)


class Executor:
    """Runs the blocks of one module; one instance per translation."""

    def __init__(self, module: ast.Module, outside: frozenset[str], guards: dict[str, GuardChoice]) -> None:
        self.module = module
        self.outside = outside  # names read as symbols: v, celsius, parameters, states, ion variables
        self.guards = guards
        self.assignable = frozenset(
            d.name for d in module.declarations if d.block in ("ASSIGNED", "STATE")
        ) | frozenset(n for ion in module.ions for n in ion.writes) | frozenset(
            n.name for n in module.nonspecific)
        self.notes: list[tuple[Span, str]] = []  # what was dropped or replaced, where
        self._next = 0
        self._depth = 0
        self._initial: Outcome | None = None
        self._in_initial = False

    # ---- blocks
    def run_block(self, block: ast.Block, outcome: Outcome | None = None) -> Outcome:
        outcome = outcome or Outcome()
        self._run(block.body, Frame(), outcome)
        return outcome

    def run_callable_body(self, callable_: ast.Callable, args: tuple[Value, ...], outcome: Outcome) -> Value | None:
        """Run a PROCEDURE or FUNCTION with its formals bound to `args`; a FUNCTION's result."""
        frame = Frame({f.name: a for f, a in zip(callable_.formals, args, strict=True)},
                      callable_.name if callable_.kind == "FUNCTION" else None)
        if frame.function is not None:
            frame.values[frame.function] = None
        self._depth += 1
        if self._depth > MAX_CALL_DEPTH:
            raise fail(Code.E500, f"calls nested more than {MAX_CALL_DEPTH} deep (is '{callable_.name}' recursive?)",
                       callable_.span)
        try:
            self._run(callable_.body, frame, outcome)
        finally:
            self._depth -= 1
        return None if frame.function is None else frame.values.get(frame.function)

    def _run(self, statements: tuple[ast.Statement, ...], frame: Frame, outcome: Outcome) -> None:
        for statement in statements:
            self._step(statement, frame, outcome)

    def _step(self, statement: ast.Statement, frame: Frame, outcome: Outcome) -> None:
        if isinstance(statement, ast.Assign):
            value = self.value(statement.value, frame, outcome)
            self._assign(statement.target, value, statement.span, frame, outcome)
        elif isinstance(statement, ast.Derivative):
            self._derivative(statement, frame, outcome)
        elif isinstance(statement, ast.CallStatement):
            self._call(statement.call, frame, outcome)
        elif isinstance(statement, ast.If):
            self._if(statement, frame, outcome)
        elif isinstance(statement, ast.Local):
            for name in statement.names:
                frame.values[name] = None
        elif isinstance(statement, ast.Solve):
            self._solve(statement, outcome)
        elif isinstance(statement, ast.Reaction):
            forward = self.value(statement.forward, frame, outcome)
            backward = self.value(statement.backward, frame, outcome)
            outcome.reactions.append((statement, forward, backward))
        elif isinstance(statement, ast.Conserve):
            outcome.conserves.append(statement)
        # Table: dropped with a note by the caller; Unsupported: reported before running

    def _solve(self, statement: ast.Solve, outcome: Outcome) -> None:
        outcome.solves.append(statement)
        block = self.module.block("DERIVATIVE", statement.block) or self.module.block("KINETIC", statement.block)
        if block is None:
            what = "a PROCEDURE (an explicit update with dt)" if self.module.callable(statement.block) else "no block"
            raise fail(Code.E205, f"SOLVE {statement.block}: '{statement.block}' is {what}; "
                       "ionc imports SOLVE of a DERIVATIVE or KINETIC block", statement.span)
        self._run(block.body, Frame(), outcome)

    def _derivative(self, statement: ast.Derivative, frame: Frame, outcome: Outcome) -> None:
        if statement.state not in {d.name for d in self.module.declared("STATE")}:
            raise fail(Code.E200, f"{statement.state}' = ...: '{statement.state}' is not a STATE", statement.span)
        if statement.state in outcome.derivatives:
            raise fail(Code.E201, f"a second equation for {statement.state}'", statement.span)
        outcome.derivatives[statement.state] = (self.value(statement.value, frame, outcome), statement.span)

    def _assign(self, name: str, value: Value, span: Span, frame: Frame, outcome: Outcome) -> None:
        let = self._let(name, value, span)
        if name in frame.values:
            frame.values[name] = let
        elif name in self.assignable:
            outcome.assigned[name] = let
        elif name in self.outside:
            raise fail(Code.E205, f"'{name}' is assigned here, but ionc reads it as a parameter or from the cell",
                       span, "ionc can translate assignments to ASSIGNED and LOCAL variables only")
        else:
            raise fail(Code.E200, f"'{name}' is assigned but not declared (ASSIGNED, STATE or LOCAL)", span)

    def _if(self, statement: ast.If, frame: Frame, outcome: Outcome) -> None:
        choice = next((g for g in self.guards.values() if g.statement is statement), None)
        if choice is not None:
            self._run(statement.then if choice.plain_is_then else statement.otherwise, frame, outcome)
            return
        if _is_nudge(statement):
            self.notes.append((statement.span, f"{_one_line(statement.span.text)}: a nudge away from a "
                               "removable singularity, dropped (ionc guards it itself)"))
            return
        condition = self.value(statement.condition, frame, outcome)
        known = SympyBuilder().build_condition(condition)
        if known in (sp.true, sp.false):
            self._run(statement.then if known == sp.true else statement.otherwise, frame, outcome)
            return
        then_frame, then_outcome = _copy(frame, outcome)
        self._run(statement.then, then_frame, then_outcome)
        else_frame, else_outcome = _copy(frame, outcome)
        self._run(statement.otherwise, else_frame, else_outcome)
        plain = self._guard_in_place(statement, known, (then_frame, then_outcome), (else_frame, else_outcome))
        if plain is not None:
            self._run(plain, frame, outcome)
            return
        self._run(statement.otherwise, frame, outcome)
        self._merge(condition, statement, then_frame, then_outcome, frame, outcome)
        self.notes.append((statement.span, "if/else kept as an `if ... then ... else` expression (not a "
                           "recognised singularity guard)"))

    def _guard_in_place(self, statement: ast.If, condition: sp.Basic, then: tuple[Frame, Outcome],
                        otherwise: tuple[Frame, Outcome]) -> tuple[ast.Statement, ...] | None:
        """`if (fabs(x) < 1e-6) { a = limit } else { a = plain }` in a PROCEDURE: the plain branch."""
        targets = {s.target for s in statement.then + statement.otherwise if isinstance(s, ast.Assign)}
        if len(targets) != 1 or not all(isinstance(s, ast.Assign) for s in statement.then + statement.otherwise):
            return None
        target = targets.pop()
        values = [f.values.get(target) or o.assigned.get(target) for f, o in (then, otherwise)]
        if values[0] is None or values[1] is None:
            return None
        found = removable_guard(condition, SympyBuilder().build(values[0]), SympyBuilder().build(values[1]))
        if found is None:
            return None
        self.notes.append((statement.span, f"if/else guarding the removable singularity of {target} at "
                           f"{found.variable} = {found.point}: the plain branch kept (ionc guards it itself)"))
        return statement.then if found.plain_is_then else statement.otherwise

    # ---- expressions
    def value(self, expr: ast.Expr, frame: Frame, outcome: Outcome) -> Value:
        if isinstance(expr, ast.Number):
            return Num(expr.value) if expr.value >= 0 else Neg(Num(-expr.value))
        if isinstance(expr, ast.Name):
            return self._read(expr, frame, outcome)
        if isinstance(expr, ast.Unary):
            operand = self.value(expr.operand, frame, outcome)
            return Neg(operand) if expr.op == "-" else Not(operand)
        if isinstance(expr, ast.Binary):
            return Op(expr.op, self.value(expr.left, frame, outcome), self.value(expr.right, frame, outcome))
        result = self._call(expr, frame, outcome)
        if result is None:
            raise fail(Code.E205, f"'{expr.function}' is a PROCEDURE and has no value", expr.span)
        return result

    def _read(self, name: ast.Name, frame: Frame, outcome: Outcome) -> Value:
        if name.name in frame.values:
            held = frame.values[name.name]
            if held is None:
                raise fail(Code.E204, f"'{name.name}' is read before it is assigned", name.span)
            return held
        if name.name in outcome.assigned:
            return outcome.assigned[name.name]
        if name.name in self.outside or name.name in BUILTINS:
            return Sym(name.name)
        if name.name in OUT_OF_REACH:
            raise fail(Code.E205, f"reads '{name.name}': {OUT_OF_REACH[name.name]}", name.span)
        if name.name in self.assignable:
            return self._from_initial(name)
        raise fail(Code.E200, f"unknown name '{name.name}'", name.span)

    def _merge(self, condition: Value, statement: ast.If, then_frame: Frame, then_outcome: Outcome,
               frame: Frame, outcome: Outcome) -> None:
        """After both branches ran: every variable they set differently becomes `if c then a else b`."""
        for name in frame.values:
            chosen = _choose(name, condition, then_frame.values.get(name), frame.values[name], statement)
            frame.values[name] = None if chosen is None else self._named(name, chosen, statement.span)
        for name in set(then_outcome.assigned) | set(outcome.assigned):
            chosen = _choose(name, condition, then_outcome.assigned.get(name), outcome.assigned.get(name), statement)
            if chosen is not None:
                outcome.assigned[name] = self._named(name, chosen, statement.span)
        if then_outcome.derivatives.keys() != outcome.derivatives.keys() or then_outcome.reactions != outcome.reactions:
            raise fail(Code.E205, "an equation (x' = ... or ~) inside an if: ionc cannot translate it",
                       statement.span)

    def _named(self, name: str, value: Value, span: Span) -> Value:
        """A merged value is a let of its own, so the analysis keeps the branch as one symbol."""
        if not isinstance(value, Cond):
            return value
        return self._let(name, value, span)

    def _let(self, name: str, value: Value, span: Span) -> Let:
        self._next += 1
        return Let(self._next, name, value, span)

    def initial(self) -> Outcome | None:
        """What INITIAL computes (run once), or None without an INITIAL block."""
        block = self.module.block("INITIAL")
        if self._initial is None and block is not None:
            self._initial = Outcome()
            self._in_initial = True  # NEURON reads a not yet assigned variable as its old value
            try:
                self.run_block(block, self._initial)
            finally:
                self._in_initial = False
        return self._initial

    def _from_initial(self, name: ast.Name) -> Value:
        """A value BREAKPOINT reads but INITIAL computes: fine if it is a constant of the run."""
        if self._in_initial:
            return Sym(f"{UNSET}{name.name}")
        initial = self.initial()
        value = None if initial is None else initial.assigned.get(name.name)
        if value is None:
            raise fail(Code.E204, f"'{name.name}' is read before it is assigned", name.span,
                       "ionc translates values computed in BREAKPOINT, its SOLVE, INITIAL and the calls they make")
        read = {str(s) for s in SympyBuilder().build(value).free_symbols}
        varying = read & ({"v"} | self._states) | {r.removeprefix(UNSET) for r in read if r.startswith(UNSET)}
        if varying:
            raise fail(Code.E205, f"'{name.name}' is computed in INITIAL from {', '.join(sorted(varying))}, so "
                       "NEURON freezes its value at the start; an ionc channel has no such value", name.span)
        return value

    @property
    def _states(self) -> set[str]:
        return {d.name for d in self.module.declared("STATE")}

    def _call(self, call: ast.Call, frame: Frame, outcome: Outcome) -> Value | None:
        args = tuple(self.value(a, frame, outcome) for a in call.args)
        callable_ = self.module.callable(call.function)
        if callable_ is not None:
            if len(args) != len(callable_.formals):
                raise fail(Code.E205, f"'{call.function}' takes {len(callable_.formals)} argument(s), "
                           f"not {len(args)}", call.span)
            return self.run_callable_body(callable_, args, outcome)
        if call.function == "pow" and len(args) == 2:
            return Op("^", args[0], args[1])
        if call.function in FUNCTIONS and _arity_ok(FUNCTIONS[call.function], len(args)):
            return Apply(FUNCTIONS[call.function], args)
        raise fail(Code.E200, f"unknown function '{call.function}' (with {len(args)} argument(s))", call.span)


def _is_nudge(statement: ast.If) -> bool:
    """`if (v == -154.9) { v = v + 0.0001 }`: a step around a 0/0, not part of the model."""
    condition, then = statement.condition, statement.then
    if statement.otherwise or len(then) != 1 or not isinstance(then[0], ast.Assign):
        return False
    if not (isinstance(condition, ast.Binary) and condition.op == "==" and isinstance(condition.left, ast.Name)):
        return False
    step = then[0].value
    return (then[0].target == condition.left.name and isinstance(step, ast.Binary) and step.op in "+-"
            and isinstance(step.left, ast.Name) and step.left.name == then[0].target
            and isinstance(step.right, ast.Number) and abs(step.right.value) < Fraction(1, 100))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _arity_ok(function: str, count: int) -> bool:
    return count >= 2 if function in ("min", "max") else count == 1


def _copy(frame: Frame, outcome: Outcome) -> tuple[Frame, Outcome]:
    return (Frame(dict(frame.values), frame.function),
            Outcome(dict(outcome.assigned), dict(outcome.derivatives), list(outcome.reactions),
                    list(outcome.conserves), list(outcome.solves)))


def _choose(name: str, condition: Value, then: Value | None, otherwise: Value | None,
            statement: ast.If) -> Value | None:
    if then is otherwise:
        return then
    if then is None or otherwise is None:
        raise fail(Code.E204, f"'{name}' is assigned in one branch of this if only, "
                   "so it has no value in the other", statement.span)
    return Cond(condition, then, otherwise)
