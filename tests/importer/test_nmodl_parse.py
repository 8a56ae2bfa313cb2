"""The NMODL grammar (grammar/nmodl.lark) and its diagnostics.

Every construct the importer reads parses into the syntax tree it should;
every construct it cannot translate is named with its line (E205); bad input
is a diagnostic with file:line:col and a caret, never a traceback, also for
a few hundred randomly mutated files.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ionc.diagnostics import Code, IoncError
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl import translate_nmodl
from ionc.importer.nmodl_parse import parse_nmodl
from ionc.source import SourceFile

EVERYTHING = """TITLE every construct
COMMENT
a block comment: ignored by the parser, kept for the header
ENDCOMMENT
? a question-mark comment
UNITS {
    (mA) = (milliamp)
    FARADAY = (faraday) (coulomb)
    R = 8.314 (J/mol/K)
}
INDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }
NEURON {
    SUFFIX every
    USEION na READ ena WRITE ina
    USEION ca READ cai, cao WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT il
    RANGE gbar, el : a line comment
    GLOBAL q
    THREADSAFE
}
PARAMETER {
    gbar = .12 (S/cm2) <0, 1e9>
    el = -54.3 (mV)
    q = 3
    celsius (degC)
}
STATE { m (1) h c o }
ASSIGNED { v (mV) ina (mA/cm2) minf mtau (ms) }
LOCAL scratch
INITIAL { rates(v) m = minf SOLVE kin STEADYSTATE sparse }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar*m^3*h*(v - ena)
}
DERIVATIVE states { rates(v) m' = (minf - m)/mtau }
KINETIC kin {
    ~ c <-> o (a(v), 2 * a(v))
    CONSERVE c + o = 1
}
UNITSOFF
PROCEDURE rates(v (mV)) {
    LOCAL x, y
    TABLE minf, mtau DEPEND celsius FROM -100 TO 100 WITH 200
    x = -(v + 40) / 10
    if (x > 1 && !(x > 2) || x == 0) { y = 1 } else if (x < -1) { y = 2 } else { y = 3 }
    minf = 1/(1 + exp(x)) + fabs(y) - pow(x, 2)
    mtau = 1 + 2^-x
}
FUNCTION a(v (mV)) (/ms) { a = exp(v/10) }
UNITSON
"""

UNSUPPORTED = [
    ("VERBATIM\nreturn 0;\nENDVERBATIM\n", "VERBATIM"),
    ("NET_RECEIVE(w (uS)) {\n    g = g + w\n}\n", "NET_RECEIVE"),
    ("NEURON { POINTER p }\n", "POINTER"),
    ("NEURON { POINT_PROCESS syn }\n", "POINT_PROCESS"),
    ("STATE { c[3] }\n", "array"),
    ("PROCEDURE p() { FROM i = 0 TO 2 { x = i } }\n", "FROM"),
    ("PROCEDURE p() { WHILE (x < 1) { x = x + 1 } }\n", "WHILE"),
    ("KINETIC k { ~ ca << (1) }\n", "flux"),
    ("DEFINE N 3\n", "DEFINE"),
    ('INCLUDE "other.mod"\n', "INCLUDE"),
    ("NEURON { ELECTRODE_CURRENT i }\n", "ELECTRODE_CURRENT"),
    ("LINEAR lin { x = 1 }\n", "LINEAR"),
    ("STATE { m }\nDERIVATIVE d { m'' = 1 }\n", "higher derivative"),
]

BAD = [
    ("NEURON { SUFFIX }\n", Code.E100, 1, 17),
    ("PARAMETER { g = }\n", Code.E100, 1, 17),
    ("BREAKPOINT { ina = (1 + }\n", Code.E100, 1, 25),
    ("NEURON { SUFFIX x\n", Code.E101, 1, 18),
    ("PARAMETER { g = 1 $ }\n", Code.E100, 1, 19),
    ("PARAMETER { g = 1 }\n\x01\n", Code.E102, 2, 1),
    ("FUNCTION f( { }\n", Code.E100, 1, 13),
]

SMALL = """NEURON { SUFFIX k1 USEION k READ ek WRITE ik RANGE gbar }
PARAMETER { gbar = 0.036 (S/cm2) }
STATE { n }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) ninf ntau (ms) }
BREAKPOINT { SOLVE s METHOD cnexp ik = gbar*n^4*(v - ek) }
INITIAL { rates(v) n = ninf }
DERIVATIVE s { rates(v) n' = (ninf - n)/ntau }
PROCEDURE rates(v) {
    ninf = 1/(1 + exp(-(v + 50)/10))
    ntau = 1 + 4*exp(-((v + 40)/20)^2)
}
"""


def _source(text: str) -> SourceFile:
    return SourceFile("test.mod", text)


def test_every_construct_parses_into_the_tree() -> None:
    module = parse_nmodl(_source(EVERYTHING))
    assert module.title == "every construct"
    assert "a block comment" in module.comments[0]
    assert module.suffix is not None and module.suffix.text == "every"
    assert [(i.ion, i.reads, i.writes, i.valence) for i in module.ions] == [
        ("na", ("ena",), ("ina",), None), ("ca", ("cai", "cao"), ("ica",), Fraction(2))]
    assert [n.name for n in module.nonspecific] == ["il"]
    parameters = {d.name: (d.value.value if d.value else None, d.unit) for d in module.declared("PARAMETER")}
    assert parameters == {"gbar": (Fraction(12, 100), "S/cm2"), "el": (Fraction(-543, 10), "mV"),
                          "q": (Fraction(3), None), "celsius": (None, "degC")}
    assert [d.name for d in module.declared("STATE")] == ["m", "h", "c", "o"]
    assert "scratch" in {d.name for d in module.declared("ASSIGNED")}  # a top-level LOCAL
    assert [(c.name, c.quantity, c.unit) for c in module.constants] == [
        ("FARADAY", "faraday", "coulomb"), ("R", "8.314", "J/mol/K")]
    assert module.independent is not None
    assert [t.names for t in module.tables] == [("minf", "mtau")]
    assert module.unsupported == ()


def test_blocks_and_statements() -> None:
    module = parse_nmodl(_source(EVERYTHING))
    breakpoint_ = module.block("BREAKPOINT")
    assert breakpoint_ is not None
    solve = breakpoint_.body[0]
    assert isinstance(solve, ast.Solve) and (solve.block, solve.method, solve.steady) == ("states", "cnexp", False)
    initial = module.block("INITIAL")
    assert initial is not None and isinstance(initial.body[2], ast.Solve) and initial.body[2].steady
    kinetic = module.block("KINETIC", "kin")
    assert kinetic is not None
    reaction, conserve = kinetic.body
    assert isinstance(reaction, ast.Reaction) and reaction.left == ((1, "c"),) and reaction.right == ((1, "o"),)
    assert isinstance(conserve, ast.Conserve) and conserve.states == ((1, "c"), (1, "o"))
    derivative = module.block("DERIVATIVE", "states")
    assert derivative is not None and isinstance(derivative.body[1], ast.Derivative)
    rates = module.callable("rates")
    assert rates is not None and rates.formals == (ast.Formal("v", "mV"),)
    kinds = [type(s).__name__ for s in rates.body]
    assert kinds == ["Local", "Table", "Assign", "If", "Assign", "Assign"]
    branch = rates.body[3]
    assert isinstance(branch, ast.If) and isinstance(branch.otherwise[0], ast.If)  # else if
    function = module.callable("a")
    assert function is not None and function.kind == "FUNCTION" and function.unit == "/ms"


def test_operator_precedence() -> None:
    module = parse_nmodl(_source("BREAKPOINT { x = -2^2 + 3*4/5 - 1 }"))
    breakpoint_ = module.block("BREAKPOINT")
    assert breakpoint_ is not None
    statement = breakpoint_.body[0]
    assert isinstance(statement, ast.Assign)
    value = statement.value  # ((-(2^2)) + ((3*4)/5)) - 1
    assert isinstance(value, ast.Binary) and value.op == "-"
    assert isinstance(value.left, ast.Binary) and value.left.op == "+"
    negated = value.left.left
    assert isinstance(negated, ast.Unary) and isinstance(negated.operand, ast.Binary)
    assert negated.operand.op == "^"
    product = value.left.right
    assert isinstance(product, ast.Binary) and product.op == "/" and isinstance(product.left, ast.Binary)


@pytest.mark.parametrize(("text", "construct"), UNSUPPORTED)
def test_unsupported_constructs_are_named_with_their_line(tmp_path: Path, text: str, construct: str) -> None:
    path = tmp_path / "x.mod"
    path.write_text("NEURON { SUFFIX x }\n: padding line\n" + text, encoding="utf-8")
    with pytest.raises(IoncError) as raised:
        translate_nmodl(path)
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code is Code.E205
    assert diagnostic.message.startswith(f"{construct} cannot be translated")
    assert diagnostic.span is not None and diagnostic.span.line >= 3
    assert f"x.mod:{diagnostic.span.line}:" in str(raised.value)


def test_all_unsupported_constructs_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "x.mod"
    path.write_text("NEURON { SUFFIX x POINTER p }\nVERBATIM\nENDVERBATIM\nSTATE { c[2] }\n", encoding="utf-8")
    with pytest.raises(IoncError) as raised:
        translate_nmodl(path)
    found = [(d.message.split()[0], d.span.line if d.span else 0) for d in raised.value.diagnostics]
    assert found == [("POINTER", 1), ("VERBATIM", 2), ("array", 4)]


@pytest.mark.parametrize(("text", "code", "line", "column"), BAD)
def test_bad_input_is_a_diagnostic_with_a_caret(text: str, code: Code, line: int, column: int) -> None:
    with pytest.raises(IoncError) as raised:
        parse_nmodl(_source(text))
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code is code
    assert diagnostic.span is not None and (diagnostic.span.line, diagnostic.span.column) == (line, column)
    rendered = str(raised.value)
    assert f"test.mod:{line}:{column}" in rendered
    assert re.search(r"^\s*\|\s*\^+", rendered, re.MULTILINE)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, length, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + length:]
    return text


_SNIPPETS = st.sampled_from(["{", "}", "(", ")", "=", "'", "^", "-", "1e", ".", ":", "?", "\n", " ", "v",
                             "m", "if", "else", "LOCAL", "TABLE", "SOLVE", "~", "<->", "(mV)", "COMMENT",
                             "VERBATIM", "0", "/", "*", "exp(", "rates(v)", ",", "<", "UNITSOFF", "é", "\x00"])
_EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 12), _SNIPPETS | st.text(max_size=3)),
                  min_size=1, max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS)
def test_mutated_files_give_diagnostics_never_tracebacks(tmp_path: Path, edits: list[tuple[int, int, str]]) -> None:
    path = tmp_path / "mutated.mod"
    path.write_text(_mutate(SMALL, edits), encoding="utf-8")
    try:
        translation = translate_nmodl(path)
    except IoncError as error:
        assert error.diagnostics and all(d.message for d in error.diagnostics)
    else:
        assert "channel k1 {" in translation.text


def test_the_small_channel_translates() -> None:
    # the mutation test's starting point is itself a valid translation
    translation = translate_nmodl_text(SMALL)
    assert "gate n ^ 4 {" in translation.text and "inf = " in translation.text and "tau = " in translation.text


def translate_nmodl_text(text: str):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "small.mod"
        path.write_text(text, encoding="utf-8")
        return translate_nmodl(path)
