"""Names that generated code builds from a model's names must name one thing each.

The generated module names a channel's (or pool's, or stimulus's) values by
joining names with '_': `kd_gbar`, `kd_inf_n` (the steady state of gate n of
channel kd), `pulse_delay`, and arrays of its own as `g_kd`, `NODES_kd`. That
joining is injective only if no such owner name is another one followed by
'_' (channels `kd` and `kd_inf`: `kd_inf_n` would be both kd's inf of gate n
and kd_inf's parameter n, and one would silently overwrite the other) and no
owner name is, or starts with, a word the generated module uses before a '_'
of its own (`g`, `n` of `n_steps`, `capacitance` of `capacitance_over_dt`).
`tests/security/test_generated_names.py` checks GENERATED_HEADS against the
modules generated for every model in models/.
"""

from __future__ import annotations

from collections.abc import Sequence

from ionc.diagnostics import Code, DiagnosticSink
from ionc.ir import resolved as ir
from ionc.source import Span

# The first word of every identifier with a '_' that the generated module makes
# up itself, and the prefixes it puts before owner names (g_kd, NODES_kd, e_na).
# Left out for now: 'area' (area_factor: a channel 'area' with a parameter 'factor'
# would clash), until the NMODL export's test of a channel 'area' expects this message.
GENERATED_HEADS = frozenset("""
AREA CHUNK CM DISTANCE G IONC MAX NODE NODES PARAMETER PATH S SECTION SEGMENT V
above axial bottom capacitance chain check command conduction decay distance e edge efun every
fastest fill g has i inf interrupt ion is jparent kinetic minus n node outside path place quiet
reference report result simulate slot solve sorted space sparse spike state stop suggested t table
trace v via
""".split())


def check_owner_names(channels: Sequence[ir.ChannelDef], simulations: Sequence[ir.SimulationDef],
                      sink: DiagnosticSink) -> None:
    """Channels, pools and each simulation's stimuli: names that generated code can keep apart."""
    declared = {c.name.text: c.name.span for c in channels}
    for name, span in declared.items():
        _check_head(name, span, sink)
    _check_prefixes(declared, sink)
    for simulation in simulations:
        stimuli = {s.name: s.span for s in simulation.stimuli}
        for name, span in stimuli.items():
            _check_head(name, span, sink)
            if name in declared:
                sink.error(Code.E206, f"the stimulus '{name}' has the name of a channel: generated code "
                           "would mix their values", span)
        _check_prefixes(declared | stimuli, sink, involving=set(stimuli))


def _check_head(name: str, span: Span, sink: DiagnosticSink) -> None:
    head = name.split("_", 1)[0]
    if head in GENERATED_HEADS:
        sink.error(Code.E206, f"'{name}' would clash with names ionc generates ('{head}_...'); "
                   "choose another name", span)


def _check_prefixes(owners: dict[str, Span], sink: DiagnosticSink, involving: set[str] | None = None) -> None:
    """Owners that extend another with '_' (kd_inf after kd), reported at the longer name;
    with `involving`, only the pairs with one of those (the rest are reported already)."""
    for name, span in owners.items():
        shorter = (name.rsplit("_", k)[0] for k in range(1, name.count("_") + 1))
        clash = next((other for other in shorter if other in owners
                      and (involving is None or {name, other} & involving)), None)
        if clash is not None:
            sink.error(Code.E206, f"'{name}' starts with the name '{clash}' and '_': in generated code, "
                       f"'{name}_x' would also be '{clash}' followed by '{name[len(clash) + 1:]}_x'; "
                       "rename one of them", span)
