"""Exporting ionc channels to other simulators' formats (`ionc export`).

`nmodl`: one NEURON .mod file per channel and pool, written from the equations
ionc derives (never from the model text). `neuron`: compiling such files with
nrnivmodl and running them in NEURON, to check that they agree with ionc.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ionc.ir import resolved as ir


def chosen_channels(model: ir.Model, path: Path, names: Sequence[str] | None) -> list[ir.ChannelDef]:
    """The channels and pools of a model (its imports included), or those named (each once, in the
    order named); a name the model lacks is an error that lists what it has."""
    from ionc.diagnostics import Code, fail
    from ionc.sema.resolve import did_you_mean

    channels = list(model.channels)
    if not names:
        return channels
    known = {c.name.text: c for c in channels}
    missing = [n for n in names if n not in known]
    if missing:
        raise fail(Code.E200, f"no channel or pool named '{missing[0]}' in {path}", None,
                   did_you_mean(missing[0], list(known)) or f"there are: {', '.join(known) or 'none'}")
    return [known[n] for n in dict.fromkeys(names)]
