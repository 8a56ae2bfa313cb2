"""Generated code joins names with '_' (kd_gbar, kd_inf_n, g_kd): the names it builds
from a model must name one thing each (ionc/sema/generated_names.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from ionc.api import generate_source
from ionc.diagnostics import IoncError
from ionc.pipeline import front_end
from ionc.sema.generated_names import GENERATED_HEADS
from security_support import MODELS, diagnostics_of
from test_payloads import model_text

# kd's gate n has inf_n; a second channel whose parameter n feeds a rate.
SECOND_CHANNEL = """
channel @NAME@ {
    ion k
    gbar = 10 mS/cm2
    n = 1
    gate m { inf = n / (1 + exp(-(v + 40 mV) / 5 mV)); tau = 1 ms }
}
"""


def _with_second_channel(name: str) -> str:
    text = model_text({}).replace("insert kd(gbar = 30 mS/cm2), mk, lk", f"insert kd(gbar = 30 mS/cm2), mk, lk, {name}")
    return text + SECOND_CHANNEL.replace("@NAME@", name)


def test_a_channel_named_after_another_and_underscore_is_refused(models: Path) -> None:
    """Channels kd and kd_inf: kd_inf_n was both kd's inf of n and kd_inf's n; v moved by 0.9 mV."""
    path = models / "pair.ionc"
    path.write_text(_with_second_channel("kdinf"), encoding="utf-8")
    assert generate_source(path)
    path.write_text(_with_second_channel("kd_inf"), encoding="utf-8")
    with pytest.raises(IoncError) as error:
        generate_source(path)
    (diagnostic,) = diagnostics_of(error.value, "E206")
    assert "'kd_inf' starts with the name 'kd'" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.text == "kd_inf"


@pytest.mark.parametrize("name", ["g", "n", "capacitance", "NODES_x", "e_na", "inf"])
def test_owner_names_that_generated_code_uses_as_words_are_refused(name: str, models: Path) -> None:
    path = models / "head.ionc"
    path.write_text(_with_second_channel(name), encoding="utf-8")
    with pytest.raises(IoncError) as error:
        generate_source(path)
    assert any(name in d.message for d in diagnostics_of(error.value, "E206"))


@pytest.mark.parametrize("stimulus", ["kd", "kd_x", "k"])
def test_stimulus_names_and_channel_names_stay_apart(stimulus: str, models: Path) -> None:
    path = models / "stimulus.ionc"
    path.write_text(model_text({"STIMULUS": stimulus, "CHANNEL": "kd" if stimulus != "k" else "k_x"}),
                    encoding="utf-8")
    with pytest.raises(IoncError) as error:
        generate_source(path)
    assert diagnostics_of(error.value, "E206")


def _heads(source: str, owners: set[str]) -> dict[str, str]:
    """First words of the module's identifiers with '_' that no model name is part of."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    heads = {}
    for name in sorted(n for n in names if "_" in n.strip("_") and not n.startswith("_")):
        parts = name.split("_")
        pieces = {"_".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}
        if not pieces & owners:
            heads.setdefault(parts[0], name)
    return heads


@pytest.mark.parametrize("model", ["hh_point", "markov_na_point", "presynaptic_terminal"])
def test_generated_heads_cover_the_generated_modules(model: str) -> None:
    """GENERATED_HEADS must list every word generated code puts before '_' (rerun when emit changes)."""
    path = MODELS / "cells" / f"{model}.ionc"
    parsed = front_end(path)
    owners = {c.name.text for c in parsed.channels} | {s.name for sim in parsed.simulations for s in sim.stimuli}
    missing = {head: example for head, example in _heads(generate_source(path), owners).items()
               if head not in GENERATED_HEADS | {"area"}}
    assert not missing, f"add to GENERATED_HEADS: {missing}"


def test_renamed_channels_run_alike(models: Path) -> None:
    """Names that clash with nothing are accepted, and renaming one changes no number."""
    traces = []
    for name in ("kdinf", "other"):
        path = models / f"{name}.ionc"
        path.write_text(_with_second_channel(name), encoding="utf-8")
        namespace: dict[str, object] = {"__name__": "renamed"}
        exec(compile(generate_source(path), "renamed.py", "exec"), namespace)  # noqa: S102 - ionc's output
        traces.append(namespace["simulate"]({})["traces"])  # type: ignore[operator]
    for first, second in zip(traces[0].values(), traces[1].values(), strict=True):
        np.testing.assert_array_equal(first, second)
