"""Property tests: whatever the text, ionc either accepts it or raises IoncError.

Two sources of texts: (a) the real models in models/, mutated (characters and
tokens deleted, inserted, replaced, duplicated; lines swapped); (b) texts
generated from the grammar itself, whole files and expressions put into the
slots of a valid model. For each, `ionc.api.check_file` must return or raise
`ionc.diagnostics.IoncError` whose every diagnostic has a span inside the text
of the file it names and renders; when it returns, the Python module of every
simulation in the file is generated and imported (executed as a module, not
as a script) and must define `simulate`. Any other exception (RecursionError
included), a generated module that does not import, or a hang is a bug.

Each check runs in a forked copy of this process (the API is called in-process,
with everything already imported and warm), so that a hang in C code (sympy's
exact arithmetic) or a crash cannot take the test run with it: a check that
takes longer than PER_CHECK_S is reported with the stack where it was stuck.

Bugs already reported in the symbolic stage (files this suite does not own)
are listed in KNOWN_BUGS: examples that hit them are counted, not failed, and
`test_known_bug_still_present` says when one is fixed.

The fast variants run a few hundred examples in all, the same ones every time. The `fuzz` variants
(marked `fuzz` and `slow`) run IONC_FUZZ_EXAMPLES examples per property (default 10000) and are
skipped unless that variable is set:

    IONC_FUZZ_EXAMPLES=10000 python -m pytest tests/diagnostics/test_fuzz.py -m fuzz
"""

from __future__ import annotations

import faulthandler
import json
import os
import re
import select
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COMPILER = REPO / "compiler"
if str(COMPILER) not in sys.path:
    sys.path.insert(0, str(COMPILER))

from ionc.api import check_file, generate_source  # noqa: E402
from ionc.diagnostics import IoncError  # noqa: E402
from ionc.pipeline import front_end  # noqa: E402
from ionc.syntax.grammar import parser  # noqa: E402

MODELS = REPO / "models"
SEEDS = sorted(MODELS.rglob("*.ionc"))
FUZZ_NAME = "fuzz_case.ionc"
PER_CHECK_S = 30.0


@dataclass(frozen=True)
class Budget:
    """Examples per property; the fast run is derandomized: the same examples every time."""

    mutations: int
    grammar_files: int
    expressions: int
    derandomize: bool

    def hypothesis_settings(self, examples: int) -> settings:
        return settings(
            max_examples=examples,
            deadline=None,
            derandomize=self.derandomize,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        )


FAST = Budget(mutations=100, grammar_files=60, expressions=80, derandomize=True)
SLOW_EXAMPLES = int(os.environ.get("IONC_FUZZ_EXAMPLES") or "10000")
SLOW = Budget(SLOW_EXAMPLES, SLOW_EXAMPLES, SLOW_EXAMPLES, derandomize=False)
BUDGETS = [
    pytest.param(FAST, id="fast"),
    pytest.param(SLOW, id="fuzz", marks=[
        pytest.mark.slow,
        pytest.mark.fuzz,
        pytest.mark.skipif("IONC_FUZZ_EXAMPLES" not in os.environ, reason="set IONC_FUZZ_EXAMPLES to run"),
    ]),
]


# ================================================================ running one check


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok" | "diagnostics" | "bug" | "hang"
    detail: str  # the codes reported, or what went wrong


def _file_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")  # as ionc reads it: universal newlines
    except (OSError, UnicodeDecodeError):
        return None


def _problems(error: IoncError) -> list[str]:
    """What is wrong with the diagnostics of an IoncError (nothing, normally)."""
    problems = [] if error.diagnostics else ["an IoncError without diagnostics"]
    for diagnostic in error.diagnostics:
        if diagnostic.span is None:
            problems.append(f"{diagnostic.code.name} has no span: {diagnostic.message}")
        for span in (diagnostic.span, *(note_span for _, note_span in diagnostic.notes)):
            if span is None:
                continue
            text = span.source.text
            if not 0 <= span.start <= span.end <= len(text):
                problems.append(f"{diagnostic.code.name} span [{span.start}, {span.end}) outside "
                                f"{span.source.path} ({len(text)} characters): {diagnostic.message}")
            if _file_text(Path(span.source.path)) not in (None, text):
                problems.append(f"{diagnostic.code.name} points into a text that is not {span.source.path}")
        diagnostic.render()
    return problems


def generate_and_import(path: Path) -> None:
    """Generate the module of every simulation in the (accepted) file at `path` and import it."""
    for simulation in front_end(path).simulations:
        source = generate_source(path, simulation.name.text, module_file="fuzz_module.py")
        namespace: dict[str, object] = {"__name__": "fuzz_module"}
        exec(compile(source, f"<generated from {path.name}>", "exec"), namespace)  # noqa: S102 - ionc's output
        if not callable(namespace.get("simulate")):
            raise AssertionError(f"the module of simulation {simulation.name.text} defines no simulate()")


def check_in_process(path: Path) -> Outcome:
    try:
        check_file(path)
        generate_and_import(path)
    except IoncError as error:
        problems = _problems(error)
        if problems:
            return Outcome("bug", "\n".join(problems) + "\n\n" + str(error))
        return Outcome("diagnostics", " ".join(sorted({d.code.name for d in error.diagnostics})))
    except BaseException:  # everything else is a bug in ionc
        return Outcome("bug", traceback.format_exc())
    return Outcome("ok", "")


def check_isolated(path: Path, timeout: float = PER_CHECK_S) -> Outcome:
    """check_in_process in a forked child; a hang is reported with the stack it hung in."""
    if not hasattr(os, "fork"):
        return check_in_process(path)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, report on the pipe, exit without cleanup
        try:
            os.close(read_end)
            out = os.fdopen(write_end, "w")
            faulthandler.dump_traceback_later(timeout, exit=True, file=out)
            outcome = check_in_process(path)
            faulthandler.cancel_dump_traceback_later()
            out.write(json.dumps({"kind": outcome.kind, "detail": outcome.detail}))
            out.flush()
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    deadline = time.monotonic() + timeout + 30
    with os.fdopen(read_end, "rb") as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
            if not ready:  # even faulthandler did not get through: kill it
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    report = b"".join(chunks).decode("utf-8", errors="replace")
    try:
        found = json.loads(report)
        return Outcome(found["kind"], found["detail"])
    except ValueError:
        if report.startswith("Timeout"):
            return Outcome("hang", f"checking and generating took more than {timeout:g} s; stuck in:\n{report}")
        return Outcome("bug", f"the check died (wait status {status}):\n{report}")


# ================================================================ known bugs outside the front end


@dataclass(frozen=True)
class KnownBug:
    """A bug already reported, in a file the diagnostics suite does not own.

    Examples that hit it are counted (`hypothesis.event`) instead of failing, so
    the fuzzers keep looking for new bugs; `test_known_bug_still_present` fails
    once it is fixed, to have the entry removed.
    """

    name: str
    example: str  # a model that shows it
    matches: Callable[[Outcome], bool]


# Open bugs; remove an entry when test_known_bug_still_present says it is fixed. None open now;
# the first the 10,000-example run found (a q10 factor of log(0) passed the checks and failed
# code generation) is fixed and kept as test_a_q10_factor_that_is_not_finite_is_a_diagnostic.
KNOWN_BUGS: tuple[KnownBug, ...] = ()

Q10_NOT_FINITE = """
channel fz { ion k; gbar = 1 mS/cm2; q10 = log(0) at 6.3 degC; gate n { inf = 0.5; tau = 1 ms } }
cell fz_cell { reversal k = -77 mV; morphology { soma { length = 20 um; diameter = 20 um } }; insert fz on all }
simulation fz_sim of fz_cell { dt = 0.025 ms; duration = 1 ms; record v at soma }
"""


def _tally(kind: str) -> None:
    """With IONC_FUZZ_TALLY=FILE, one line per example checked and its outcome: the long run's
    count, which hypothesis does not print for properties defined inside a test."""
    tally = os.environ.get("IONC_FUZZ_TALLY")
    if tally:
        with open(tally, "a", encoding="utf-8") as stream:
            stream.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '').split(' ')[0]} {kind}\n")


def assert_no_bug(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")
    outcome = check_isolated(path)
    _tally(outcome.kind)
    if outcome.kind in ("ok", "diagnostics"):
        event(f"{outcome.kind} {outcome.detail}".strip())
        return
    for bug in KNOWN_BUGS:
        if bug.matches(outcome):
            event(f"known bug: {bug.name}")
            return
    raise AssertionError(f"check_file on this text:\n{text}\n\n{outcome.kind}:\n{outcome.detail}")


# ================================================================ the workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of models/ (so relative imports resolve), ionc warmed up before forking."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(MODELS, root / "models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IONC_CACHE_DIR", str(root / "cache"))
        for seed in SEEDS:
            check_file(seed)
        generate_and_import(root / "models" / "cells" / "hh_point.ionc")  # the templates loaded too
        yield root / "models"


def fuzz_path(workspace: Path, seed: Path) -> Path:
    """Where a text derived from `seed` is checked: next to it, so its imports resolve."""
    return workspace / seed.parent.relative_to(MODELS) / FUZZ_NAME


# ================================================================ (a) mutations of the real models

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+\.?[0-9]*(?:[eE][-+]?[0-9]+)?|\"[^\"\n]*\"|\s+|.", re.DOTALL)
KEYWORDS = tuple(sorted(
    t.pattern.value for t in parser().terminals
    if t.pattern.type == "str" and re.fullmatch(r"[A-Za-z_]\w*", t.pattern.value)
))
VOCABULARY = (
    *KEYWORDS, "{", "}", "(", ")", "=", "^", "'", ",", ";", ".", "+", "-", "*", "/", "<", "<=", "==", "!=",
    "#", "//", "\n", " ", '"', "v", "T", "celsius", "_x", "alpha", "beta", "inf", "tau", "gbar", "e", "g",
    "mV", "ms", "/ms", "mS/cm2", "degC", "um", "nA", "mv", "0", "1e999", "-", "exp", "sigmoid", "all",
    "section dend { length = 100 um; diameter = 1 um; parent = soma }", "gate x { inf = 1; tau = 1 ms }",
    "diameter from 2 um to 1 um", "cm = 2 uF/cm2 on soma", "[1]", "report velocity from soma(0) to soma(1)",
    'morphology from "cell.swc"', 'morphology from "../channels/hh.ionc"',
    'morphology from "../morphologies/dentate_granule_mp_ma_40984_gc2.swc"',
)
_ALPHABET = st.one_of(
    st.sampled_from("{}()=^'\",;.#/*+-<>!_ \n\t\r0123456789eEabcdmsvVST"),
    st.characters(codec="utf-8"),
)
_snippet = st.one_of(st.sampled_from(VOCABULARY), st.text(_ALPHABET, min_size=1, max_size=8))


def _position(draw: st.DrawFn, text: str) -> int:
    return draw(st.integers(0, len(text)))


def _range(draw: st.DrawFn, text: str) -> tuple[int, int]:
    start = _position(draw, text)
    return start, min(len(text), start + draw(st.integers(1, 40)))


def _delete(draw: st.DrawFn, text: str) -> str:
    start, end = _range(draw, text)
    return text[:start] + text[end:]


def _insert(draw: st.DrawFn, text: str) -> str:
    at = _position(draw, text)
    return text[:at] + draw(_snippet) + text[at:]


def _replace(draw: st.DrawFn, text: str) -> str:
    start, end = _range(draw, text)
    return text[:start] + draw(_snippet) + text[end:]


def _duplicate(draw: st.DrawFn, text: str) -> str:
    start, end = _range(draw, text)
    at = _position(draw, text)
    return text[:at] + text[start:end] + text[at:]


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _token_delete(draw: st.DrawFn, text: str) -> str:
    tokens = _tokens(text)
    if not tokens:
        return text
    del tokens[draw(st.integers(0, len(tokens) - 1))]
    return "".join(tokens)


def _token_replace(draw: st.DrawFn, text: str) -> str:
    tokens = _tokens(text)
    if not tokens:
        return text
    index = draw(st.integers(0, len(tokens) - 1))
    tokens[index] = draw(st.one_of(st.sampled_from(tokens), st.sampled_from(VOCABULARY)))
    return "".join(tokens)


def _token_duplicate(draw: st.DrawFn, text: str) -> str:
    tokens = _tokens(text)
    if not tokens:
        return text
    index = draw(st.integers(0, len(tokens) - 1))
    tokens.insert(draw(st.integers(0, len(tokens))), tokens[index])
    return "".join(tokens)


def _swap_lines(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _duplicate_lines(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    start = draw(st.integers(0, len(lines) - 1))
    end = min(len(lines), start + draw(st.integers(1, 12)))
    at = draw(st.integers(0, len(lines)))
    return "\n".join(lines[:at] + lines[start:end] + lines[at:])


MUTATIONS = (_delete, _insert, _replace, _duplicate, _token_delete, _token_replace, _token_duplicate,
             _swap_lines, _duplicate_lines)


@st.composite
def mutated_models(draw: st.DrawFn) -> tuple[Path, str]:
    seed = draw(st.sampled_from(SEEDS))
    text = seed.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return seed, text


@pytest.mark.parametrize("budget", BUDGETS)
def test_mutated_models_only_raise_diagnostics(budget: Budget, workspace: Path) -> None:
    @budget.hypothesis_settings(budget.mutations)
    @given(mutated_models())
    def check(case: tuple[Path, str]) -> None:
        seed, text = case
        assert_no_bug(fuzz_path(workspace, seed), text)

    check()


# ================================================================ (b) texts from the grammar

NAMES = (
    "v", "t", "T", "celsius", "F", "R", "pi", "dt", "gbar", "g", "e", "m", "h", "n", "x", "p", "phi",
    "alpha", "beta", "inf", "tau", "na", "k", "ca", "hh_na", "hh_k", "leak", "hh_point", "dend", "axon",
    "all", "iclamp", "temperature", "cm", "v_init", "ra", "length", "diameter", "area", "compartments",
    "parent", "duration", "method", "crank_nicolson", "backward_euler", "delay", "amplitude", "exp", "log",
    "log10", "sqrt", "abs", "min", "max", "tanh", "exponential", "sigmoid", "exp_linear", "rate",
    "midpoint", "scale", "_x", "mV", "ms",
)
NUMBERS = ("0", "1", "2", "3", "0.5", ".5", "1.", "6.3", "10", "17.841242", "120", "1e3", "1e-3",
           "2.5E2", "1e999", "1e-999", "0.000")
UNITS = ("mV", "ms", "/ms", "/ms/mV", "mS/cm2", "S/cm2", "uF/cm2", "um", "um2", "cm^2", "cm^-2",
         "degC", "K", "nA", "uA/cm2", "ohm*cm", "Mohm", "mM", "Hz", "mol", "mv", "mSiemens", "cm^99")
STRINGS = ('"../channels/hh.ionc"', '"../cells/hh_point.ionc"', '"hh.ionc"', '"missing.ionc"', '""',
           '"notes.txt"', '"cell.swc"', '"../morphologies/ca3_pyramidal_l22.swc"', '"."', f'"{FUZZ_NAME}"')
_QUANTITY = re.compile(next(t.pattern.to_regexp() for t in parser().terminals if t.name == "QUANTITY"))


def _pad(text: str) -> str:
    return f" {text} "


def _quantity(number: str, space: str, unit: str) -> str:
    return f"{number}{space or ' ' if unit.startswith('/') else space}{unit}"  # ` /ms` needs its space


def grammar_terminals(start: str) -> dict[str, st.SearchStrategy[str]]:
    """A strategy per terminal used from `start`: tokens padded so that neighbours stay apart."""
    explicit: dict[str, st.SearchStrategy[str]] = {
        t.name: st.just(_pad(t.pattern.value)) for t in parser().terminals if t.pattern.type == "str"
    }
    fresh_names = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
    quantities = st.builds(_quantity, st.sampled_from(NUMBERS), st.sampled_from(("", " ", "\t")),
                           st.sampled_from(UNITS))
    explicit |= {
        "NAME": st.one_of(st.sampled_from(NAMES), fresh_names).map(_pad),
        # a newline after a number, so that a following name is not read as its unit
        "NUMBER": st.sampled_from(NUMBERS).map(lambda n: f" {n}\n"),
        "QUANTITY": quantities.filter(lambda q: _QUANTITY.fullmatch(q) is not None).map(_pad),
        "STRING": st.sampled_from(STRINGS).map(_pad),
        "COMPARE": st.sampled_from(("<", "<=", ">", ">=", "==", "!=")).map(_pad),
        "ADD_OP": st.sampled_from("+-").map(_pad),
        "MUL_OP": st.sampled_from("*/").map(_pad),
        "WS": st.sampled_from((" ", "\n", "\t", "\n\n")),
        "COMMENT": st.sampled_from(("# a comment\n", "// a comment\n", "#\n")),
    }
    terminals, rules, ignored = parser().grammar.compile([start], ())
    used = {t.name for t in terminals} | set(ignored)
    used |= {symbol.name for rule in rules for symbol in rule.expansion if symbol.is_term}
    return {name: strategy for name, strategy in explicit.items() if name in used}


def grammar_texts(start: str) -> st.SearchStrategy[str]:
    return from_lark(parser(), start=start, explicit=grammar_terminals(start))


@pytest.mark.parametrize("budget", BUDGETS)
def test_grammar_generated_files_only_raise_diagnostics(budget: Budget, workspace: Path) -> None:
    path = workspace / "cells" / FUZZ_NAME

    @budget.hypothesis_settings(budget.grammar_files)
    @given(grammar_texts("start"))
    def check(text: str) -> None:
        assert_no_bug(path, text)

    check()


# A valid model with slots (@NAME@) for generated expressions, one slot at a time.
SLOTTED_MODEL = """import "../channels/hh.ionc"

channel fz {
    ion k
    gbar = @gbar@
    p = @parameter@
    q10 = @q10@ at @q10_reference@
    gate n ^ 2 {
        alpha = 0.1 /ms * (@alpha@)
        beta = 0.125 /ms
    }
    gate w {
        inf = @inf@
        tau = 1 ms * (@tau@)
    }
}

cell fz_cell {
    temperature = @temperature@
    reversal k = -77 mV
    reversal na = 50 mV
    morphology {
        soma { length = 20 um; diameter = 20 um }
    }
    insert hh_na, hh_k, leak, fz(gbar = @insert_argument@) on all
}

simulation fz_sim of fz_cell {
    dt = 0.025 ms
    duration = 5 ms
    stimulus iclamp at soma(@location@) { delay = 1 ms; duration = 1 ms; amplitude = @amplitude@ }
    record v at soma
}
"""
SLOT_DEFAULTS = {
    "gbar": "10 mS/cm2", "parameter": "2", "q10": "3", "q10_reference": "6.3 degC", "alpha": "1",
    "inf": "1 / (1 + exp(-(v + 40 mV) / 5 mV))", "tau": "1", "temperature": "6.3 degC",
    "insert_argument": "5 mS/cm2", "location": "0.5", "amplitude": "0.1 nA",
}


def slotted_model(slot: str | None = None, expression: str = "") -> str:
    text = SLOTTED_MODEL
    for name, default in SLOT_DEFAULTS.items():
        text = text.replace(f"@{name}@", expression if name == slot else default)
    return text


def test_slotted_model_is_valid(workspace: Path) -> None:
    path = workspace / "cells" / FUZZ_NAME
    path.write_text(slotted_model(), encoding="utf-8")
    check_file(path)


FUNCTIONS = ("exp", "log", "log10", "sqrt", "abs", "min", "max", "tanh", "sinh", "cosh", "expp", "sigmoid")
RATE_FORMS = ("exponential", "sigmoid", "exp_linear", "exp")
RATE_ARGUMENTS = ("rate", "midpoint", "scale", "slope")
DIMENSIONLESS_TERMS = ("v / 1 mV", "(v + 40 mV) / 10 mV", "(v - -65 mV) / 18 mV", "celsius / 10", "pi",
                       "T / 300 K", "(1 - exp(-(v + 40 mV) / 10 mV))", "1 / (v / 1 mV - 3)")
ARITHMETIC = ("+", "-", "*", "/", "^")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def expressions() -> st.SearchStrategy[str]:
    """Expressions of every form the grammar has, of bounded size.

    (`from_lark(parser(), start="expr")` can make them too, but its recursion
    through brackets makes most draws overrun: a hundred examples take minutes.)
    Most are well formed and dimensionless (the slots multiply them by a unit),
    so that many pass the unit checks and reach the symbolic stage; the rest
    misuse names, units, functions, rate forms and conditions.
    """
    numbers = st.sampled_from(NUMBERS)
    terms = st.sampled_from(DIMENSIONLESS_TERMS)
    quantities = st.builds(_quantity, numbers, st.sampled_from(("", " ")), st.sampled_from(UNITS))
    leaves = st.one_of(numbers, terms, numbers, terms, st.one_of(quantities, st.sampled_from(NAMES)))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arithmetic = st.tuples(inner, st.sampled_from(ARITHMETIC), inner).map(" ".join)
        comparison = st.tuples(inner, st.sampled_from(COMPARISONS), inner).map(" ".join)
        condition = st.one_of(comparison, comparison, st.tuples(comparison, st.sampled_from(("and", "or")),
                                                                comparison).map(" ".join), inner)
        keyword = st.tuples(st.sampled_from(RATE_ARGUMENTS), inner).map(" = ".join)
        return st.one_of(
            arithmetic, arithmetic, arithmetic,
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, min_size=1, max_size=3).map(", ".join))
            .map(lambda call: f"{call[0]}({call[1]})"),
            st.tuples(condition, inner, inner).map(lambda e: f"(if {e[0]} then {e[1]} else {e[2]})"),
            st.one_of(  # rate forms: mostly complete, sometimes with wrong or missing arguments
                st.tuples(st.sampled_from(RATE_FORMS), inner)
                .map(lambda call: f"{call[0]}(rate = {call[1]}, midpoint = -40 mV, scale = 10 mV)"),
                st.tuples(st.sampled_from(RATE_FORMS), st.lists(keyword, min_size=1, max_size=4).map(", ".join))
                .map(lambda call: f"{call[0]}({call[1]})"),
            ),
            comparison,  # a condition where a value belongs
        )

    return st.recursive(leaves, extend, max_leaves=12)


@pytest.mark.parametrize("budget", BUDGETS)
def test_expressions_in_a_valid_model_only_raise_diagnostics(budget: Budget, workspace: Path) -> None:
    path = workspace / "cells" / FUZZ_NAME

    @budget.hypothesis_settings(budget.expressions)
    @given(st.sampled_from(sorted(SLOT_DEFAULTS)), expressions())
    def check(slot: str, expression: str) -> None:
        assert_no_bug(path, slotted_model(slot, expression))

    check()


# ================================================================ the harness itself


def test_a_q10_factor_that_is_not_finite_is_a_diagnostic(workspace: Path) -> None:
    path = workspace / "channels" / FUZZ_NAME
    path.write_text(Q10_NOT_FINITE, encoding="utf-8")
    outcome = check_isolated(path, timeout=30)
    assert outcome.kind == "diagnostics" and "E303" in outcome.detail, outcome.detail[-2000:]


@pytest.mark.parametrize("bug", KNOWN_BUGS, ids=[b.name for b in KNOWN_BUGS])
def test_known_bug_still_present(bug: KnownBug, workspace: Path) -> None:
    """Remove the entry from KNOWN_BUGS when this fails: the bug is fixed."""
    path = workspace / "channels" / FUZZ_NAME
    path.write_text(bug.example, encoding="utf-8")
    outcome = check_isolated(path, timeout=5)
    assert bug.matches(outcome), f"fixed? {outcome.kind}: {outcome.detail[-2000:]}"


def test_harness_reports_crashes_and_hangs(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = workspace / "channels" / FUZZ_NAME
    path.write_text("", encoding="utf-8")
    assert check_isolated(path).kind == "ok"

    def crash(_: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(sys.modules[__name__], "check_file", crash)
    outcome = check_isolated(path)
    assert outcome.kind == "bug" and "RecursionError" in outcome.detail

    monkeypatch.setattr(sys.modules[__name__], "check_file", lambda _: time.sleep(60))
    outcome = check_isolated(path, timeout=1)
    assert outcome.kind == "hang" and "in <lambda>" in outcome.detail
