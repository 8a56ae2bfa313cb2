"""`ionc import FILE.mod`: an NMODL density mechanism as readable ionc channels.

`translate_nmodl(path) -> Translation` (stable entry point; see
ionc.importer). What it translates:

- NEURON block: SUFFIX (the channel's name), USEION x READ ex WRITE ix
  (`ion x`), NONSPECIFIC_CURRENT (`nonspecific` with its own `e`); RANGE,
  GLOBAL and THREADSAFE need no counterpart (every ionc parameter can be set
  per insert).
- PARAMETER values with their units (NMODL unit names mapped to ionc's:
  mho -> S, micron -> um, degC -> a plain number like ionc's celsius);
  STATE and ASSIGNED declarations; UNITSOFF/UNITSON (no effect on values).
- BREAKPOINT with `SOLVE states METHOD cnexp|derivimplicit` and the current
  assignments; the DERIVATIVE block; PROCEDUREs (rates(v)) and FUNCTIONs
  inlined symbolically, LOCALs substituted, if/else as ionc's
  `if ... then ... else`.
- vtrap/efun-style guard FUNCTIONs, recognised with sympy and replaced by
  their plain expression (ionc guards removable singularities itself).
- TABLE: dropped with a note (ionc computes rates exactly, or tabulates them
  with `tables = on`).
- A current `gbar * x^p * y * (v - e)`: one channel per current (SUFFIX alone
  for one current; SUFFIX_ion, or SUFFIX_leak for a nonspecific current
  without gates, for several), with gates `x' = (inf - x)/tau` or
  `alpha (1 - x) - beta x`, a common `Q^((celsius - T)/10)` as `q10 = Q at T degC`.

Not translated, each reported with its construct and line (an IoncError):
VERBATIM, NET_RECEIVE, POINT_PROCESS, POINTER, arrays, loops, KINETIC
fluxes, ELECTRODE_CURRENT, INCLUDE, and anything that does not fit the forms
above (a non-ohmic current, a gate equation that is not linear in its state,
a value read before BREAKPOINT computes it).

The result is checked with ionc's own front end and derivation before it is
returned: a translation ionc would reject is an import error, never written.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from ionc.diagnostics import Code, Diagnostic, IoncError, fail
from ionc.importer import Translation
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_channels import GHK_TOLERANCE, Channel, analyse_current, channel_names, pools
from ionc.importer.nmodl_eval import Executor, Outcome
from ionc.importer.nmodl_guards import Guard, find_guards
from ionc.importer.nmodl_initial import initial_notes
from ionc.importer.nmodl_parse import parse_nmodl
from ionc.importer.nmodl_text import Context, render_file
from ionc.source import SourceFile, Span


def translate_nmodl(path: Path) -> Translation:
    """The ionc text of an NMODL file and the notes on what changed; IoncError if it cannot be done."""
    source = _read(path)
    module = parse_nmodl(source)
    _refuse_unsupported(module, source)
    outside = _outside_names(module)
    guards = find_guards(module, Executor(module, outside, {}))
    executor = Executor(module, outside, {name: g.choice for name, g in guards.items()})
    breakpoint_ = module.block("BREAKPOINT")
    if breakpoint_ is None:
        raise fail(Code.E204, "no BREAKPOINT block: there is no current to translate", Span(source, 0, 1))
    outcome = executor.run_block(breakpoint_, Outcome())
    channels = _channels(module, outcome, source)
    suffix = module.suffix.text if module.suffix else "channel"
    found_pools = pools(module, outcome, f"{suffix}_pool" if channels else suffix)
    if not channels and not found_pools:
        raise fail(Code.E204, "the mechanism writes no current (USEION ... WRITE ix or NONSPECIFIC_CURRENT) "
                   "and no concentration", module.suffix or Span(source, 0, 1))
    notes = _notes(module, guards, outcome, path.name) + _executor_notes(executor, path.name)
    notes += initial_notes(module, channels, executor.initial(), path.name)
    notes += [f"{path.name}:{c.assignment.line}: {c.current} is {c.conductance.name} times the GHK flux of "
              f"{c.ion} (checked numerically to {GHK_TOLERANCE:g}): written as pbar; ionc computes the flux "
              "itself, with its own F and R" for c in channels if c.permeability]
    notes += [f"{path.name}:{p.span.line}: pool {p.name} starts at the cell's inside concentration of {p.ion} "
              f"(ion {p.ion} {{ inside = ... }}), whatever INITIAL sets {p.state} to" for p in found_pools]
    text = render_file(Context(module, path.name, channels, notes, found_pools))
    _check_with_ionc(text, path, source)
    return Translation(text, tuple(notes))


def _read(path: Path) -> SourceFile:
    try:
        return SourceFile.read(path)
    except (OSError, UnicodeDecodeError) as error:
        raise fail(Code.E500, f"cannot read {path}: {error}", None) from None


def _refuse_unsupported(module: ast.Module, source: SourceFile) -> None:
    if module.unsupported:
        raise IoncError(tuple(
            Diagnostic(Code.E205, f"{u.construct} cannot be translated: {u.why}", u.span)
            for u in module.unsupported
        ))
    if module.suffix is None:
        raise fail(Code.E204, "no SUFFIX in the NEURON block: the channel needs a name", Span(source, 0, 1))


def _outside_names(module: ast.Module) -> frozenset[str]:
    """Names a channel reads from outside: parameters, states, ion variables, v and celsius."""
    declared = {d.name for d in module.declarations if d.block in ("PARAMETER", "CONSTANT", "STATE")}
    ions = {name for ion in module.ions for name in ion.reads}
    constants = {c.name for c in module.constants}
    return frozenset(declared | ions | constants | {"v", "celsius"})


def _channels(module: ast.Module, outcome: Outcome, source: SourceFile) -> tuple[Channel, ...]:
    currents: list[tuple[str | None, str, Span]] = [
        (ion.ion, name, ion.span) for ion in module.ions for name in ion.writes if name == f"i{ion.ion}"
    ] + [(None, n.name, n.span) for n in module.nonspecific]
    suffix = module.suffix.text if module.suffix else "channel"
    names = channel_names(suffix, [(ion, name) for ion, name, _ in currents])
    channels = [channel for (ion, name, span), channel_name in zip(currents, names, strict=True)
                for channel in analyse_current(name, channel_name, ion, module, outcome, span)]
    return tuple(_leak_named(c, suffix) if len(channels) > 1 else c for c in channels)


def _leak_named(channel: Channel, suffix: str) -> Channel:
    """A nonspecific current without gates is the mechanism's leak: SUFFIX_leak."""
    if channel.ion is None and not channel.gates:
        return dataclasses.replace(channel, name=f"{suffix}_leak")
    return channel


def _executor_notes(executor: Executor, filename: str) -> list[str]:
    seen: dict[int, str] = {}
    for span, note in executor.notes:
        seen.setdefault(span.start, f"{filename}:{span.line}: {note}")
    return list(seen.values())


def _notes(module: ast.Module, guards: dict[str, Guard], outcome: Outcome, filename: str) -> list[str]:
    notes = []
    if module.independent is not None:
        notes.append(f"{filename}:{module.independent.line}: INDEPENDENT dropped: ionc's time is implicit")
    for table in module.tables:
        notes.append(f"{filename}:{table.span.line}: TABLE {', '.join(table.names)} dropped: ionc computes "
                     "the rates exactly (a simulation can tabulate them with `tables = on`)")
    for name, guard in guards.items():
        function = module.callable(name)
        line = function.span.line if function else 0
        notes.append(f"{filename}:{line}: FUNCTION {name} guards the removable singularity at {guard.point}: "
                     f"replaced by {guard.plain}, which ionc guards itself")
    for solve in outcome.solves:
        if solve.method not in (None, "cnexp", "derivimplicit", "sparse"):
            notes.append(f"{filename}:{solve.span.line}: METHOD {solve.method} replaced by ionc's exact "
                         "update of each gate (NEURON's cnexp)")
    return notes


def _check_with_ionc(text: str, path: Path, source: SourceFile) -> None:
    """Run ionc's front end and derivation on the translation; its errors are import errors."""
    from ionc.api import check_file

    with tempfile.TemporaryDirectory(prefix="ionc-import-") as folder:
        target = Path(folder) / f"{path.stem}.ionc"
        target.write_text(text, encoding="utf-8")
        try:
            check_file(target)
        except IoncError as error:
            first = error.diagnostics[0]
            raise fail(Code.E500, f"the translation is not valid ionc: {first.message}", Span(source, 0, 1),
                       "please report this .mod file; the rejected translation was:\n" + text) from None
