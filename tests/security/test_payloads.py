"""Payloads in every position where a model's text reaches sympy, the generated module
or an NMODL file: never executed; each either a diagnostic with a location or a
module that imports without side effects and runs exactly like the same model
with plain names.

Names are the only text of a model that reaches generated code (the grammar
admits `[A-Za-z_][A-Za-z_0-9]*`), so the name payloads are identifiers that
mean something to Python, to the generated module or to NMODL: keywords,
builtins, dunders, the module's own globals, NMODL's block keywords. A name
payload that ran as code would leave a MARKER file; one that clashed with a
name of the generated module would change the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ionc.api import generate_source
from ionc.cli import main
from ionc.diagnostics import IoncError
from ionc.export.nmodl import export_file
from security_support import MARKER_COMMAND, diagnostics_of, run_cli

# One model with a name in each position the grammar has for one: @CHANNEL@ etc.
TEMPLATE = """\
# A comment is never read: \"\"\" ''' \\ {marker} \u2028 \x00 \u202e
channel @CHANNEL@ {
    ion k
    gbar = 36 mS/cm2
    @PARAMETER@ = 0 mV
    gate @GATE@ ^ 4 {
        inf = 1 / (1 + exp(-(v + 55 mV - @PARAMETER@) / 10 mV))
        tau = 2 ms
    }
}
channel mk {
    ion na
    gbar = 1 mS/cm2
    kinetic { C <-> @STATE@ (1 /ms, 2 /ms); open @STATE@ }
}
channel lk { nonspecific; g = 0.3 mS/cm2; e = -54.3 mV }
cell @CELL@ {
    reversal k = -77 mV
    reversal na = 50 mV
    morphology {
        soma { length = 20 um; diameter = 20 um }
        section @SECTION@ { length = 100 um; diameter = 1 um; parent = soma(1) }
    }
    insert @CHANNEL@(gbar = 30 mS/cm2), mk, lk on all
}
simulation @SIMULATION@ of @CELL@ {
    dt = 0.025 ms
    duration = 2 ms
    stimulus iclamp at soma as @STIMULUS@ { delay = 0.5 ms; duration = 1 ms; amplitude = 0.1 nA }
    record v at soma, @SECTION@(0.5)
    record @CHANNEL@.@GATE@ at soma
    record mk.@STATE@ at soma
}
""".replace("{marker}", MARKER_COMMAND)
POSITIONS = ("CHANNEL", "PARAMETER", "GATE", "STATE", "CELL", "SECTION", "SIMULATION", "STIMULUS")
PLAIN = {"CHANNEL": "kd", "PARAMETER": "shift", "GATE": "n", "STATE": "O", "CELL": "point", "SECTION": "dend",
         "SIMULATION": "sim", "STIMULUS": "pulse"}

# Names the generated module defines or imports (and prefixes it builds names with), NMODL's
# block keywords and C names of nocmodl's output, Python's keywords and builtins.
GENERATED_GLOBALS = ("np", "simulate", "META", "DTYPE", "SimulationError", "values", "n_steps", "trace_0",
                     "NODES_kd", "kd_gbar", "v_kd", "capacitance_over_dt", "exp", "i")
NMODL_WORDS = ("NEURON", "VERBATIM", "ENDVERBATIM", "COMMENT", "TITLE", "STATE", "diam", "ena", "y0")
PYTHON_NAMES = ("lambda", "import", "class", "None", "print", "self")
# Names ionc keeps for itself: refused where they would name a value, harmless elsewhere.
RESERVED = ("v", "t", "dt", "T", "celsius", "F", "R", "pi", "_x", "__class__", "__import__", "__builtins__")
# Accepted or refused, each with a diagnostic: never run, never silently renamed into another name.
NAMES = (*PYTHON_NAMES, *GENERATED_GLOBALS, *NMODL_WORDS, "v", "t", "_x", "__import__", "x" * 5000)


def model_text(names: dict[str, str]) -> str:
    text = TEMPLATE
    for position in POSITIONS:
        text = text.replace(f"@{position}@", names.get(position, PLAIN[position]))
    return text


def latin_square(names: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Models with a different name in each position; over all of them every name is in every position."""
    for shift in range(len(names)):
        yield {position: names[(shift + k) % len(names)] for k, position in enumerate(POSITIONS)}


def outcome(directory: Path, names: dict[str, str]) -> list[np.ndarray] | IoncError:
    """The recorded traces of the model with `names`, or the IoncError it raises."""
    path = directory / "payload.ionc"
    path.write_text(model_text(names), encoding="utf-8")
    try:
        source = generate_source(path)
    except IoncError as error:
        return error
    namespace: dict[str, object] = {"__name__": "payload_module"}
    exec(compile(source, "payload_module.py", "exec"), namespace)  # noqa: S102 - ionc's output
    assert not (directory / "MARKER").exists()
    result = namespace["simulate"]({})  # type: ignore[operator]
    return [np.asarray(trace) for trace in result["traces"].values()]


@pytest.fixture(scope="module")
def plain_traces(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    traces = outcome(tmp_path_factory.mktemp("plain"), {})
    assert not isinstance(traces, IoncError), str(traces)
    assert len(traces) == 4 and np.ptp(traces[0]) > 10  # the pulse moves v by tens of mV
    return traces


def test_names_that_mean_something_to_python_or_nmodl(models: Path, plain_traces: list[np.ndarray]) -> None:
    ran = 0
    for names in latin_square(NAMES):
        result = outcome(models, names)
        if isinstance(result, IoncError):
            for diagnostic in result.diagnostics:
                assert diagnostic.span is not None and diagnostic.span.source.path.endswith("payload.ionc")
            continue
        ran += 1
        for trace, plain in zip(result, plain_traces, strict=True):
            np.testing.assert_array_equal(trace, plain, err_msg=str(names))
    assert not (models / "MARKER").exists()
    assert ran >= len(NAMES) // 4, f"only {ran} of {len(NAMES)} models were accepted"


@pytest.mark.parametrize("position", ["PARAMETER", "GATE", "STATE"])
def test_reserved_names_are_refused_where_they_would_name_a_value(position: str, models: Path) -> None:
    for name in RESERVED:
        result = outcome(models, {position: name})
        assert isinstance(result, IoncError), f"{name} accepted as {position}"
        assert any(d.code.name == "E206" for d in diagnostics_of(result, "E206", "E201", "E205")), str(result)


def test_nmodl_export_renames_what_nmodl_reserves(models: Path) -> None:
    """Every NMODL word as a parameter, a gate and a kinetic state: renamed, never written bare."""
    written = 0
    for shift in range(len(NMODL_WORDS)):
        names = {position: NMODL_WORDS[(shift + k) % len(NMODL_WORDS)]
                 for k, position in enumerate(("PARAMETER", "GATE", "STATE"))}
        path = models / "payload.ionc"
        path.write_text(model_text(names), encoding="utf-8")
        try:
            exported = export_file(path, None)
        except IoncError as error:
            assert all(d.span is not None for d in error.diagnostics)
            continue
        written += len(exported)
        for mechanism in exported:
            for line in mechanism.text.splitlines():
                code = line.split(":", 1)[0]  # NMODL comments start with ':'
                for word in ("VERBATIM", "ENDVERBATIM", "COMMENT", "ENDCOMMENT", "TITLE"):
                    assert word not in code.split() or line.startswith(word), line
    assert written == 3 * len(NMODL_WORDS)  # kd, mk and lk from every model


UNITS = ("__import__", "np", "lambda", "mV.__class__", "mV*__import__", "mS/cm2^99999", "mS/cm2^-0")
NUMBERS = ("1e999", "1e-999", "nan", "inf", "1e308 * 1e308", "10^10^10", "2^1024", "0^-1", "(-1)^0.5", "0/0")


def ionc(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`ionc ARGS` in this process (a traceback would fail the test); exit status and stderr."""
    status = main(list(args))
    return status, capsys.readouterr().err


@pytest.mark.parametrize("unit", UNITS)
def test_units_are_looked_up_never_run(unit: str, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = model_text({}).replace("gbar = 36 mS/cm2", f"gbar = 36 {unit}")
    (models / "unit.ionc").write_text(text, encoding="utf-8")
    status, err = ionc(capsys, "check", "unit.ionc")
    assert status == 2 and "unit.ionc:4:" in err and "error[E" in err, err


@pytest.mark.parametrize("number", NUMBERS)
def test_extreme_numbers_are_values_or_diagnostics(number: str, models: Path) -> None:
    path = models / "number.ionc"
    path.write_text(model_text({}).replace("gbar = 36 mS/cm2", f"gbar = {number} * 1 mS/cm2"), encoding="utf-8")
    try:
        source = generate_source(path)
    except IoncError as error:
        assert all(d.span is not None and d.span.line == 4 for d in error.diagnostics), str(error)
        return
    compile(source, "number_module.py", "exec")
    assert number in ("1e-999",), f"{number} accepted"  # 1e-999 is 0.0: a channel that conducts nothing


COMMAND_LINE = (
    ("--set", f"kd.gbar={MARKER_COMMAND}"),
    ("--set", f'kd.gbar=1 mS/cm2"""; {MARKER_COMMAND}; """'),
    ("--set", f"{MARKER_COMMAND}=1"),
    ("--set", "__class__.gbar=1 mS/cm2"),
    ("--set", "kd.gbar=1 mS/cm2\nimport os"),
    ("--set", "kd.gbar=" + "(" * 5000 + "1" + ")" * 5000),
    ("--sweep", f"kd.gbar={MARKER_COMMAND}:1:2"),
    ("--sweep", "kd.gbar=1 mS/cm2:2 mS/cm2:100000000000"),
    ("--sweep", "kd.gbar=1e999 mS/cm2:1 mS/cm2:2"),
    ("--simulation", f'sim"""; {MARKER_COMMAND}; """'),
)


@pytest.mark.parametrize("option, value", COMMAND_LINE, ids=lambda text: text[:40])
def test_command_line_values_are_parsed_never_run(option: str, value: str, models: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (models / "cli.ionc").write_text(model_text({}), encoding="utf-8")
    status, err = ionc(capsys, "run", "cli.ionc", option, value)
    assert status == 2 and "error" in err, err
    assert not (models / "MARKER").exists()


def test_the_command_line_in_a_subprocess(models: Path) -> None:
    """The same, as a user runs it: exit status 2 and a diagnostic, no traceback."""
    (models / "cli.ionc").write_text(model_text({}), encoding="utf-8")
    result = run_cli("run", "cli.ionc", *COMMAND_LINE[1], cwd=models)
    assert result.returncode == 2 and "error" in result.stderr and "Traceback" not in result.stderr
    assert not (models / "MARKER").exists()


@pytest.mark.parametrize("text", ["k\u0430", "\uff4bd", "kd\u2028x", "kd\x00", "kd\u200b", "kd\ufeff", "k\u0301d"],
                         ids=ascii)
def test_characters_outside_names_are_located_diagnostics(text: str, models: Path) -> None:
    """Homoglyphs, zero-width and line-separator characters, NUL: the grammar's names are ASCII."""
    path = models / "strange.ionc"
    path.write_text(model_text({"CHANNEL": text}), encoding="utf-8")
    with pytest.raises(IoncError) as error:
        generate_source(path)
    for diagnostic in diagnostics_of(error.value, "E100", "E101", "E102"):
        assert diagnostic.span is not None and diagnostic.span.line == 2, str(error.value)


def test_a_set_value_with_a_comment_and_a_line_break(models: Path) -> None:
    """`--set` text is parsed, and only its value reaches the module: a comment in it stays out."""
    path = models / "set.ionc"
    path.write_text(model_text({}), encoding="utf-8")
    source = generate_source(path, None, [f'kd.gbar=1 mS/cm2 # """ {MARKER_COMMAND}\n+ 2 mS/cm2'])
    assert MARKER_COMMAND not in source and '"kd.gbar": 3.0,' in source
    compile(source, "set_module.py", "exec")
