"""Stage 2, resolve: declarations found, named, de-duplicated and cross-referenced.

Names inside expressions are checked in `check`, which knows each scope.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import TypeVar

from ionc.diagnostics import Code, Diagnostic, DiagnosticSink
from ionc.ir import resolved as ir
from ionc.sema.dimensions import constant_number
from ionc.sema.generated_names import check_owner_names
from ionc.sema.ions import ION_ATTRS, KNOWN_IONS
from ionc.sema.morphology import expand_regions, resolve_sections, resolve_swc
from ionc.sema.units import CONCENTRATION
from ionc.source import Span
from ionc.syntax import nodes as syn

CELL_ATTRS = ("temperature", "cm", "v_init", "ra", "compartments", "d_lambda")
SIMULATION_ATTRS = ("dt", "duration", "method", "tables", "precision")
STIMULUS_ATTRS = ("delay", "duration", "amplitude")
RESERVED = ("v", "t", "T", "F", "R", "pi", "celsius", "dt")
GATE_KINDS = {
    frozenset({"alpha", "beta"}): "alpha_beta",
    frozenset({"inf", "tau"}): "inf_tau",
}

N = TypeVar("N", bound=syn.Node)


def resolve(files: Sequence[syn.File], sink: DiagnosticSink) -> ir.Model:
    """Every declaration of every file, with cross-references checked."""
    items = [item for file in files for item in file.items]
    _check_unique_top_level(items, sink)
    channels = tuple(_channel(c, sink) for c in items if isinstance(c, syn.Channel))
    channels += tuple(p for p in (_pool(p, sink) for p in items if isinstance(p, syn.Pool)) if p is not None)
    by_name = {c.name.text: c for c in channels}
    cells = tuple(_cell(c, by_name, sink) for c in items if isinstance(c, syn.Cell))
    cells_by_name = {c.name.text: c for c in cells}
    simulations = tuple(
        sim for s in items if isinstance(s, syn.Simulation)
        if (sim := _simulation(s, cells_by_name, sink)) is not None
    )
    check_owner_names(channels, simulations, sink)
    return ir.Model(
        path=files[-1].path,
        sources=tuple(f.span.source.text for f in files),
        channels=channels,
        cells=cells,
        simulations=simulations,
    )


def did_you_mean(name: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _check_unique_top_level(items: list[syn.Item], sink: DiagnosticSink) -> None:
    named = [i for i in items if isinstance(i, syn.Channel | syn.Pool | syn.Cell | syn.Simulation)]
    unique((i.name for i in named), "declaration", sink)


def unique(names: Iterable[syn.Ident], what: str, sink: DiagnosticSink) -> None:
    seen: dict[str, syn.Ident] = {}
    for name in names:
        if name.text in seen:
            sink.add(
                _duplicate(name, what, seen[name.text])
            )
        else:
            seen[name.text] = name


def _duplicate(name: syn.Ident, what: str, first: syn.Ident) -> Diagnostic:
    return Diagnostic(
        Code.E201, f"duplicate {what} '{name.text}'", name.span,
        notes=((f"'{name.text}' was first defined here", first.span),),
    )


def _check_names(assigns: Iterable[syn.Assign | syn.Derivative], sink: DiagnosticSink) -> None:
    _check_idents((assign.name for assign in assigns), "assigned", sink)


def _check_idents(names: Iterable[syn.Ident], use: str, sink: DiagnosticSink) -> None:
    for name in names:
        text = name.text
        if text.startswith("_"):
            sink.error(Code.E206, f"names starting with '_' are reserved for ionc: '{text}'", name.span)
        elif text in RESERVED:
            sink.error(Code.E206, f"'{text}' is a built-in name and cannot be {use}", name.span)


# ---------------------------------------------------------------- channels


def _channel(node: syn.Channel, sink: DiagnosticSink) -> ir.ChannelDef:
    ions = [s for s in node.body if isinstance(s, syn.IonUse)]
    nonspecific = [s for s in node.body if isinstance(s, syn.Nonspecific)]
    assigns = tuple(s for s in node.body if isinstance(s, syn.Assign))
    conductance_q10s = [s for s in node.body if isinstance(s, syn.Q10) and s.target is not None]
    q10s = [s for s in node.body if isinstance(s, syn.Q10) and s.target is None]
    gates = tuple(_gate(g, sink) for g in node.body if isinstance(g, syn.Gate))
    kinetic = _kinetic(node, [k for k in node.body if isinstance(k, syn.Kinetic)], gates, sink)
    if len(ions) + len(nonspecific) != 1:
        sink.error(
            Code.E204 if not ions and not nonspecific else Code.E201,
            f"channel '{node.name.text}' needs exactly one 'ion NAME' or 'nonspecific' line",
            node.name.span,
        )
    if nonspecific and not any(a.name.text == "e" for a in assigns):
        sink.error(Code.E204, f"nonspecific channel '{node.name.text}' needs its reversal potential 'e = ... mV'",
                   node.name.span)
    _check_generated_names(node, assigns, gates, kinetic, sink)
    if len(q10s) > 1:
        sink.error(Code.E201, "a channel has at most one q10", q10s[1].span)
    for gate in (g for g in gates if g.q10 is not None and q10s):
        sink.error(Code.E201, f"gate '{gate.name.text}' has its own q10 and the channel has one too: give the "
                   "channel's to every gate, or one to each gate", gate.q10.span)  # type: ignore[union-attr]
    for q10 in conductance_q10s[1:]:
        sink.error(Code.E201, "a channel has at most one conductance q10", q10.span)
    _check_names(assigns, sink)
    unique((a.name for a in assigns), "parameter", sink)
    unique((g.name for g in gates), "gate", sink)
    clashes = {a.name.text for a in assigns} & {g.name.text for g in gates}
    for gate in gates:
        if gate.name.text in clashes:
            sink.error(Code.E201, f"'{gate.name.text}' is both a gate and a parameter", gate.name.span)
    names = {a.name.text for a in assigns}
    for state in kinetic.states if kinetic is not None else ():
        if state.text in names:
            sink.error(Code.E201, f"'{state.text}' is both a state of the kinetic scheme and a parameter",
                       state.span)
    given = [n for n in ("gbar", "g", "pbar") if n in names]
    if len(given) > 1:
        sink.error(Code.E201, f"a channel has one conductance (gbar or g) or one permeability (pbar), not "
                   f"{' and '.join(given)}", node.name.span)
    elif not given:
        sink.error(
            Code.E204, f"channel '{node.name.text}' has no conductance", node.name.span,
            "add 'gbar = ... mS/cm2' (or 'g = ...' for a passive channel, 'pbar = ... cm/s' for a GHK flux)",
        )
    for q10 in conductance_q10s[:1]:
        if q10.target is not None and given and q10.target.text != given[0]:
            sink.error(Code.E205, f"'q10 {q10.target.text}': the channel's conductance is '{given[0]}'",
                       q10.target.span, f"write 'q10 {given[0]} = ...'")
    if "pbar" in names and nonspecific:
        sink.error(Code.E204, "a GHK flux (pbar) is carried by an ion: write 'ion NAME', not 'nonspecific'",
                   node.name.span)
    shares = _shares(ions[0], assigns, sink) if ions and ions[0].shares else ()
    return ir.ChannelDef(
        name=node.name,
        ion=ions[0].ion if ions else None,
        shares=shares,
        assigns=assigns,
        q10=q10s[0] if q10s else None,
        conductance_q10=conductance_q10s[0] if conductance_q10s else None,
        gates=gates,
        span=node.span,
        kinetic=kinetic,
    )


def _kinetic(node: syn.Channel, blocks: list[syn.Kinetic], gates: tuple[ir.GateDef, ...],
             sink: DiagnosticSink) -> ir.KineticDef | None:
    """A channel's Markov scheme: states are the names its reactions join."""
    if not blocks:
        return None
    block = blocks[0]
    for extra in blocks[1:]:
        sink.error(Code.E201, "a channel has at most one kinetic block", _keyword(extra, "kinetic"))
    if gates:
        # One open fraction per channel: a product of gates and a scheme would hide which
        # states conduct; a gate is a two-state scheme and can be written as one.
        sink.add(Diagnostic(
            Code.E201, f"channel '{node.name.text}' has gates and a kinetic scheme; its open fraction is given "
            "by one or the other", _keyword(block, "kinetic"), notes=(("the first gate is here", gates[0].name.span),),
            hint="write the gates as states of the scheme, or make them two channels",
        ))
    reactions = tuple(r for r in block.body if isinstance(r, syn.Reaction))
    opens = [o for o in block.body if isinstance(o, syn.OpenStates)]
    states: dict[str, syn.Ident] = {}
    for reaction in reactions:
        for ident in (reaction.left, reaction.right):
            states.setdefault(ident.text, ident)
    _check_idents(states.values(), "a state", sink)
    _check_reactions(reactions, sink)
    if not reactions:
        sink.error(Code.E204, f"the kinetic scheme of channel '{node.name.text}' has no reactions",
                   _keyword(block, "kinetic"), "add reactions 'A <-> B (forward rate, backward rate)'")
        return None
    if not opens:
        sink.error(Code.E204, f"the kinetic scheme of channel '{node.name.text}' needs an 'open STATE' line",
                   _keyword(block, "kinetic"), "name the conducting states: 'open O' (or 'open O1, O2')")
    for repeated in opens[1:]:
        sink.error(Code.E201, "a kinetic scheme has one 'open' line; list every open state on it (open O1, O2)",
                   _keyword(repeated, "open"))
    open_states = opens[0].states if opens else ()
    unique(open_states, "open state", sink)
    for name in open_states:
        if name.text not in states:
            sink.error(Code.E200, f"unknown state '{name.text}' in 'open'", name.span,
                       did_you_mean(name.text, states) or f"the states are the names the reactions join: "
                       f"{', '.join(states)}")
    _check_connected(tuple(states.values()), reactions, sink)
    _check_rate_names(states, reactions, sink)
    return ir.KineticDef(states=tuple(states.values()), reactions=reactions,
                         open=tuple(o for o in open_states if o.text in states), span=block.span)


def _keyword(node: syn.Node, word: str) -> Span:
    """The span of the keyword a statement starts with (`kinetic`, `open`)."""
    return Span(node.span.source, node.span.start, node.span.start + len(word))


def _check_reactions(reactions: tuple[syn.Reaction, ...], sink: DiagnosticSink) -> None:
    seen: dict[frozenset[str], syn.Reaction] = {}
    for reaction in reactions:
        left, right = reaction.left.text, reaction.right.text
        if left == right:
            sink.error(Code.E205, f"a reaction joins two different states, not '{left}' with itself",
                       reaction.right.span)
            continue
        pair = frozenset((left, right))
        first = seen.setdefault(pair, reaction)
        if first is not reaction:
            sink.add(Diagnostic(
                Code.E201, f"duplicate reaction between '{left}' and '{right}'", reaction.left.span,
                notes=(("the first one is here", first.left.span),),
                hint="one reaction per pair of states carries both directions: A <-> B (forward, backward)",
            ))


def _check_rate_names(states: dict[str, syn.Ident], reactions: tuple[syn.Reaction, ...],
                      sink: DiagnosticSink) -> None:
    """rate_C_D_E is both C_D -> E and C -> D_E: generated code would give two rates one name."""
    seen: dict[str, str] = {name: f"state '{name}'" for name in states}
    for reaction in reactions:
        for source, target in ((reaction.left, reaction.right), (reaction.right, reaction.left)):
            name, what = ir.kinetic_rate_name(source.text, target.text), f"the rate {source.text} -> {target.text}"
            if seen.setdefault(name, what) != what:
                sink.error(Code.E206, f"{what} and {seen[name]} would both be '{name}' in generated code; "
                           "rename a state", reaction.left.span)


def _check_connected(states: tuple[syn.Ident, ...], reactions: tuple[syn.Reaction, ...], sink: DiagnosticSink) -> None:
    """Every state reachable from the first: otherwise the parts keep their own totals and
    the conservation law sum = 1 does not fix the steady state."""
    if not states:
        return
    neighbours: dict[str, set[str]] = {s.text: set() for s in states}
    for reaction in reactions:
        neighbours[reaction.left.text].add(reaction.right.text)
        neighbours[reaction.right.text].add(reaction.left.text)
    reached, frontier = {states[0].text}, [states[0].text]
    while frontier:
        for other in neighbours[frontier.pop()] - reached:
            reached.add(other)
            frontier.append(other)
    apart = [s for s in states if s.text not in reached]
    if apart:
        sink.error(Code.E205, f"state '{apart[0].text}' is not connected to state '{states[0].text}': the scheme "
                   "falls apart into parts that exchange no channels", apart[0].span,
                   "join the parts with a reaction, or make them separate channels")


def _pool(node: syn.Pool, sink: DiagnosticSink) -> ir.ChannelDef | None:
    """A pool is resolved as a channel without a current whose one state, the ion's
    inside concentration, follows its equation `Xi' = ...` (exactly, as a gate does)."""
    ions = [s for s in node.body if isinstance(s, syn.IonUse)]
    assigns = tuple(s for s in node.body if isinstance(s, syn.Assign))
    derivatives = [s for s in node.body if isinstance(s, syn.Derivative)]
    if len(ions) != 1:
        sink.error(Code.E204 if not ions else Code.E201, f"pool '{node.name.text}' needs exactly one 'ion NAME' line",
                   node.name.span)
        return None
    concentration = f"{ions[0].ion.text}i"
    if len(derivatives) != 1 or derivatives[0].name.text != concentration:
        where = derivatives[0].name.span if derivatives else node.name.span
        sink.error(Code.E205, f"pool '{node.name.text}' gives exactly one equation, {concentration}' = ...",
                   where, f"the inside concentration of ion {ions[0].ion.text} is {concentration}")
        return None
    _check_names(assigns, sink)
    unique((a.name for a in assigns), "parameter", sink)
    state = syn.Ident(text=concentration, span=derivatives[0].name.span)
    gate = ir.GateDef(name=state, power=1, kind="ode", equations=(derivatives[0],), span=derivatives[0].span,
                      dimension=CONCENTRATION)
    return ir.ChannelDef(name=node.name, ion=ions[0].ion, assigns=assigns, q10=None, gates=(gate,), span=node.span,
                         pool=True)


def _shares(use: syn.IonUse, assigns: tuple[syn.Assign, ...], sink: DiagnosticSink
            ) -> tuple[tuple[syn.Ident, Fraction], ...]:
    """`ion na 0.3, k 0.7`: each ion with its share of the current (numbers summing to 1)."""
    unique((ion for ion, _ in use.shares), "ion of the channel", sink)
    shares: list[tuple[syn.Ident, Fraction]] = []
    for ion, number in use.shares:
        value = constant_number(number) if number is not None else None
        if value is None or not 0 < value <= 1:
            sink.error(Code.E303, f"ion '{ion.text}' needs its share of the current, a number from 0 to 1",
                       number.span if number is not None else ion.span, "e.g. 'ion na 0.3, k 0.7'")
            return ()
        shares.append((ion, value))
    if sum(value for _, value in shares) != 1:
        sink.error(Code.E303, "the shares of the ions of a channel add up to 1", use.span)
    for name in ("pbar", "e"):
        assign = next((a for a in assigns if a.name.text == name), None)
        if assign is not None:
            sink.error(Code.E205, f"a channel of several ions takes each ion's reversal potential: no '{name}' "
                       "(write one channel per ion for GHK fluxes)", assign.name.span)
    return tuple(shares)


RESERVED_CHANNELS = ("membrane", "axial", "stimulus")  # i_membrane, g_axial, ... in generated code


def _check_generated_names(
    node: syn.Channel, assigns: tuple[syn.Assign, ...], gates: tuple[ir.GateDef, ...],
    kinetic: ir.KineticDef | None, sink: DiagnosticSink,
) -> None:
    """Parameter names that would clash with names ionc generates for this channel."""
    if node.name.text in RESERVED_CHANNELS:
        sink.error(Code.E206, f"'{node.name.text}' is a name ionc uses in generated code; name the channel "
                   "otherwise", node.name.span)
    generated = {"phi", "minus_phi_dt"} | {
        f"{label}_{gate.name.text}" for gate in gates for label in ("alpha", "beta", "inf", "tau", "ode")
    }
    for reaction in kinetic.reactions if kinetic is not None else ():
        generated |= {ir.kinetic_rate_name(reaction.left.text, reaction.right.text),
                      ir.kinetic_rate_name(reaction.right.text, reaction.left.text)}
    for assign in assigns:
        if assign.name.text in generated:
            sink.error(Code.E206, f"'{assign.name.text}' is a name ionc generates in channel "
                       f"'{node.name.text}'; choose another", assign.name.span)


def _gate(node: syn.Gate, sink: DiagnosticSink) -> ir.GateDef:
    power = 1
    if node.power is not None:
        text = node.power.text
        if not text.isdigit() or len(text.lstrip("0")) > 2 or not 1 <= int(text) <= 16:
            sink.error(Code.E303, f"a gate power is a whole number from 1 to 16, not {text}", node.power.span)
        else:
            power = int(text)
    equations = tuple(e for e in node.body if not isinstance(e, syn.Q10))
    q10s = [e for e in node.body if isinstance(e, syn.Q10)]
    for q10 in q10s[1:]:
        sink.error(Code.E201, f"gate '{node.name.text}' has at most one q10", q10.span)
    for q10 in q10s:
        if q10.target is not None:
            sink.error(Code.E205, f"a gate's q10 applies to its rates: write 'q10 = ...', not "
                       f"'q10 {q10.target.text} = ...'", q10.target.span)
    _check_idents([node.name], "a gate", sink)  # a gate 'v' would shadow the membrane potential
    _check_names([e for e in equations if isinstance(e, syn.Assign)], sink)
    unique((e.name for e in equations), "gate equation", sink)
    gate = dataclasses.replace(node, body=equations)
    return ir.GateDef(
        name=node.name, power=power, kind=_gate_kind(gate, sink), equations=equations, span=node.span,
        q10=q10s[0] if q10s else None,
    )


def _gate_kind(node: syn.Gate, sink: DiagnosticSink) -> str:
    derivatives = [e for e in node.body if isinstance(e, syn.Derivative)]
    names = {e.name.text for e in node.body if isinstance(e, syn.Assign)}
    for derivative in derivatives:
        if derivative.name.text != node.name.text:
            sink.error(
                Code.E205, f"gate '{node.name.text}' can only give {node.name.text}', not {derivative.name.text}'",
                derivative.name.span,
            )
    if derivatives:
        return "ode"
    if {"alpha", "beta"} <= names and {"inf", "tau"} <= names:
        sink.error(Code.E201, f"gate '{node.name.text}' has both alpha/beta and inf/tau; give one pair",
                   node.name.span)
    for required, kind in GATE_KINDS.items():
        if required <= names:
            return kind
    have = sorted(names & {"alpha", "beta", "inf", "tau"})
    sink.error(
        Code.E204,
        f"gate '{node.name.text}' needs alpha and beta, or inf and tau, or {node.name.text}' = ..."
        + (f" (it has only {', '.join(have)})" if have else ""),
        node.name.span,
    )
    return "alpha_beta"


# ---------------------------------------------------------------- cells


def _cell(node: syn.Cell, channels: dict[str, ir.ChannelDef], sink: DiagnosticSink) -> ir.CellDef:
    attrs = tuple(s for s in node.body if isinstance(s, syn.Assign))
    reversals = tuple(s for s in node.body if isinstance(s, syn.Reversal))
    ions = tuple(s for s in node.body if isinstance(s, syn.IonBlock))
    _check_ion_blocks(ions, reversals, sink)
    morphologies = [s for s in node.body if isinstance(s, syn.Morphology | syn.MorphologyFile)]
    region_attrs = tuple(s for s in node.body if isinstance(s, syn.RegionAssign))
    known(attrs, CELL_ATTRS, "cell property", sink)
    unique((a.name for a in attrs), "cell property", sink)
    unique((r.ion for r in reversals), "reversal", sink)
    if len(morphologies) != 1:
        span = morphologies[1].span if morphologies else node.name.span
        sink.error(Code.E204 if not morphologies else Code.E201,
                   f"cell '{node.name.text}' needs exactly one morphology block", span)
    first = morphologies[0] if morphologies else None
    sections = resolve_sections(list(first.sections), sink) if isinstance(first, syn.Morphology) else ()
    swc = resolve_swc(first, sink) if isinstance(first, syn.MorphologyFile) else None
    cell = ir.CellDef(
        name=node.name, attrs=attrs, region_attrs=region_attrs, reversals=reversals, ions=ions, sections=sections,
        swc=swc, inserts=(), span=node.span,
    )
    for region_attr in region_attrs:
        _check_regions(region_attr.regions, cell, sink)
        if region_attr.name.text not in ("cm", "ra"):
            sink.error(Code.E200, f"only cm and ra can be set per region, not '{region_attr.name.text}'",
                       region_attr.name.span)
    inserts = tuple(
        insert
        for statement in node.body if isinstance(statement, syn.Insert)
        for use in statement.mechanisms
        if (insert := _insert(use, statement, channels, cell, sink)) is not None
    )
    _check_inserted_once(cell, inserts, sink)
    _check_ion_regions(cell, reversals, ions, sink)
    _check_reversals(node, cell, inserts, reversals, ions, sink)
    _check_one_pool_per_ion(cell, inserts, sink)
    return dataclasses.replace(cell, inserts=inserts)


def known(assigns: Iterable[syn.Assign | syn.Taper], allowed: Sequence[str], what: str, sink: DiagnosticSink) -> None:
    for assign in assigns:
        if assign.name.text not in allowed:
            sink.error(
                Code.E200, f"unknown {what} '{assign.name.text}'", assign.name.span,
                f"expected one of: {', '.join(allowed)}",
            )


def _insert(
    use: syn.MechanismUse,
    statement: syn.Insert,
    channels: dict[str, ir.ChannelDef],
    cell: ir.CellDef,
    sink: DiagnosticSink,
) -> ir.InsertDef | None:
    channel = channels.get(use.name.text)
    if channel is None:
        sink.error(Code.E200, f"unknown channel '{use.name.text}'", use.name.span,
                   did_you_mean(use.name.text, channels) or "declare it or import the file that does")
        return None
    parameters = {a.name.text for a in channel.assigns}
    for arg in use.args:
        if arg.name.text not in parameters:
            sink.error(Code.E200, f"channel '{channel.name.text}' has no parameter '{arg.name.text}'",
                       arg.name.span, did_you_mean(arg.name.text, parameters))
    unique((a.name for a in use.args), "argument", sink)
    _check_regions(statement.regions, cell, sink)
    return ir.InsertDef(channel=channel, args=use.args, regions=statement.regions, span=use.span)


def _check_inserted_once(cell: ir.CellDef, inserts: tuple[ir.InsertDef, ...], sink: DiagnosticSink) -> None:
    """A channel may be inserted in several regions (with different values), once per region."""
    covered: dict[str, dict[str, ir.InsertDef]] = {}
    for insert in inserts:
        name = insert.channel.name.text
        regions = expand_regions(cell, tuple(r.text for r in insert.regions) or ("all",))
        seen = covered.setdefault(name, {})
        overlap = [r for r in regions if r in seen]
        if overlap:
            sink.add(Diagnostic(
                Code.E201, f"channel '{name}' is inserted twice in region '{overlap[0]}'", insert.span,
                notes=(("first inserted there here", seen[overlap[0]].span),),
                hint="insert it once per region, with the values it needs there",
            ))
        for region in regions:
            seen.setdefault(region, insert)


def _check_regions(regions: Iterable[syn.Ident], cell: ir.CellDef, sink: DiagnosticSink) -> None:
    known_regions = cell.regions
    for region in regions:
        if region.text not in known_regions:
            named = [r for r in known_regions if "[" not in r]  # sections of SWC cells are not regions
            sink.error(Code.E200, f"unknown region '{region.text}'", region.span,
                       did_you_mean(region.text, named) or f"known: {', '.join(named[:12])}")


def _check_one_pool_per_ion(cell: ir.CellDef, inserts: tuple[ir.InsertDef, ...], sink: DiagnosticSink) -> None:
    """Two pools writing the same concentration on one node would fight over it."""
    seen: dict[tuple[str, str], ir.InsertDef] = {}
    for insert in (i for i in inserts if i.channel.pool and i.channel.ion is not None):
        for region in expand_regions(cell, tuple(r.text for r in insert.regions) or ("all",)):
            key = (insert.channel.ion.text, region)  # type: ignore[union-attr]
            first = seen.setdefault(key, insert)
            if first is not insert and first.channel.name.text != insert.channel.name.text:
                sink.error(Code.E201, f"two pools write {key[0]}i in region '{region}': "
                           f"'{first.channel.name.text}' and '{insert.channel.name.text}'", insert.span)
                return


def _check_ion_blocks(ions: tuple[syn.IonBlock, ...], reversals: tuple[syn.Reversal, ...],
                      sink: DiagnosticSink) -> None:
    for block in ions:
        known(block.body, ION_ATTRS, "ion property", sink)
        unique((a.name for a in block.body), f"property of ion '{block.ion.text}'", sink)
        if block.ion.text not in KNOWN_IONS and not any(a.name.text == "valence" for a in block.body):
            sink.error(Code.E204, f"ion '{block.ion.text}' is not one ionc knows ({', '.join(KNOWN_IONS)}): "
                       "give its valence", block.ion.span, "add 'valence = ...' (e.g. 2 for Mg2+)")


def _ion_regions(cell: ir.CellDef, regions: tuple[syn.Ident, ...]) -> tuple[str, ...]:
    return expand_regions(cell, tuple(r.text for r in regions) or ("all",))


def _check_ion_regions(cell: ir.CellDef, reversals: tuple[syn.Reversal, ...], ions: tuple[syn.IonBlock, ...],
                       sink: DiagnosticSink) -> None:
    """A `reversal X` line or an `ion X` block declares X for the whole cell (once); `ion X on
    REGIONS` blocks override it there (one per region)."""
    seen: dict[tuple[str, str, bool], syn.Node] = {}
    declarations: list[tuple[syn.Ident, tuple[syn.Ident, ...], syn.Node]] = [(r.ion, (), r) for r in reversals]
    declarations += [(b.ion, b.regions, b) for b in ions]
    for ion, regions, node in declarations:
        _check_regions(regions, cell, sink)
        for region in _ion_regions(cell, regions):
            first = seen.setdefault((ion.text, region, bool(regions)), node)
            if first is not node:
                sink.add(Diagnostic(Code.E201, f"ion '{ion.text}' is declared twice for region '{region}'", ion.span,
                                    notes=(("first declared here", first.span),)))
                break


def _reversal_given(block: syn.IonBlock) -> bool:
    """An ion block that says how its reversal potential is made (a value or nernst)."""
    policy = next((a.value for a in block.body if a.name.text == "reversal"), None)
    return policy is not None and not (isinstance(policy, syn.Name) and policy.id == "none")


def _check_reversals(
    cell: syn.Cell, resolved: ir.CellDef, inserts: tuple[ir.InsertDef, ...], reversals: tuple[syn.Reversal, ...],
    ions: tuple[syn.IonBlock, ...], sink: DiagnosticSink,
) -> None:
    """An ohmic channel of ion X needs X's reversal potential in every region it is in."""
    declared = {(r.ion.text, region) for r in reversals for region in _ion_regions(resolved, ())}
    declared |= {(b.ion.text, region) for b in ions if not b.regions and _reversal_given(b)
                 for region in _ion_regions(resolved, ())}
    for block in (b for b in ions if b.regions):  # a regional block overrides the whole-cell one there
        covered = set(_ion_regions(resolved, block.regions))
        declared = {(ion, r) for ion, r in declared if ion != block.ion.text or r not in covered}
        if _reversal_given(block):
            declared |= {(block.ion.text, r) for r in covered}
    for insert in inserts:
        channel = insert.channel
        overridden = channel.assign("e") is not None or any(a.name.text == "e" for a in insert.args)
        if channel.ghk or channel.pool:  # a GHK flux needs concentrations, not a reversal potential
            continue
        regions = _ion_regions(resolved, insert.regions)
        carried = [ion for ion, _ in channel.shares] or ([channel.ion] if channel.ion is not None else [])
        missing = [ion for ion in carried if not all((ion.text, r) in declared for r in regions)]
        if missing and not overridden:
            ion = missing[0].text
            sink.error(
                Code.E204,
                f"no reversal potential for ion '{ion}' used by '{channel.name.text}'",
                insert.span,
                f"add 'reversal {ion} = ... mV' (or 'ion {ion} {{ reversal = nernst }}') to cell '{cell.name.text}'",
            )


# ---------------------------------------------------------------- simulations


def _simulation(
    node: syn.Simulation, cells: dict[str, ir.CellDef], sink: DiagnosticSink
) -> ir.SimulationDef | None:
    cell = cells.get(node.cell.text)
    if cell is None:
        sink.error(Code.E200, f"unknown cell '{node.cell.text}'", node.cell.span, did_you_mean(node.cell.text, cells))
        return None
    attrs = tuple(s for s in node.body if isinstance(s, syn.Assign))
    known(attrs, SIMULATION_ATTRS, "simulation property", sink)
    unique((a.name for a in attrs), "simulation property", sink)
    stimuli = _stimuli([s for s in node.body if isinstance(s, syn.Stimulus)], cell, sink)
    records = tuple(
        ir.RecordDef(variable=r.variable, location=loc, span=r.span, every=r.every)
        for r in node.body if isinstance(r, syn.Record) for loc in r.locations
    )
    _check_unique_sites(records, sink)
    for record in records:
        _check_location(record.location, cell, sink)
        _check_recordable(record, cell, sink)
    reports = tuple(
        ir.ReportDef(kind=r.kind, start=r.start, end=r.end, span=r.span)
        for r in node.body if isinstance(r, syn.Report)
    )
    for report in reports:
        if report.kind.text != "velocity":
            sink.error(Code.E200, f"unknown report '{report.kind.text}'", report.kind.span, "expected 'velocity'")
        _check_location(report.start, cell, sink)
        _check_location(report.end, cell, sink)
    return ir.SimulationDef(
        name=node.name, cell=cell, attrs=attrs, stimuli=stimuli, records=records, reports=reports,
        span=node.span,
    )


def _check_unique_sites(records: tuple[ir.RecordDef, ...], sink: DiagnosticSink) -> None:
    seen: set[str] = set()
    for record in records:
        if record.site in seen:
            sink.error(Code.E201, f"'{record.site}' is recorded twice", record.location.span)
        seen.add(record.site)


def _stimuli(nodes: list[syn.Stimulus], cell: ir.CellDef, sink: DiagnosticSink) -> tuple[ir.StimulusDef, ...]:
    result: list[ir.StimulusDef] = []
    for index, node in enumerate(nodes):
        name = node.name.text if node.name else ("stim" if index == 0 else f"stim{index + 1}")
        if node.kind.text != "iclamp":
            sink.error(Code.E200, f"unknown stimulus kind '{node.kind.text}'", node.kind.span, "expected 'iclamp'")
        known(node.body, STIMULUS_ATTRS, "stimulus property", sink)
        unique((a.name for a in node.body), "stimulus property", sink)
        missing = [a for a in STIMULUS_ATTRS if a not in {b.name.text for b in node.body}]
        if missing:
            sink.error(Code.E204, f"stimulus '{name}' needs {', '.join(missing)}", node.kind.span)
        _check_location(node.location, cell, sink)
        if any(s.name == name for s in result):
            sink.error(Code.E201, f"duplicate stimulus name '{name}'", (node.name or node.kind).span,
                       "name each stimulus with 'as NAME'")
        result.append(ir.StimulusDef(name=name, kind=node.kind, location=node.location, attrs=node.body, span=node.span))
    return tuple(result)


def _check_location(location: syn.Location, cell: ir.CellDef, sink: DiagnosticSink) -> None:
    names = cell.section_names
    if not names:
        return  # the morphology itself is in error, reported already
    name = location.section_name
    if name not in names and f"{name}[0]" not in names:
        sink.error(Code.E200, f"cell '{cell.name.text}' has no section '{name}'",
                   location.span, did_you_mean(name, names))


def _check_recordable(record: ir.RecordDef, cell: ir.CellDef, sink: DiagnosticSink) -> None:
    parts = [p.text for p in record.variable]
    if parts == ["v"]:
        return
    inserted = {i.channel.name.text: i.channel for i in cell.inserts}
    if len(parts) == 2 and parts[0] in inserted:
        channel = inserted[parts[0]]
        gates = {g.name.text for g in channel.gates}
        gates |= set(channel.kinetic.state_names if channel.kinetic is not None else ())
        if parts[1] in gates:
            return
        sink.error(Code.E200, f"channel '{parts[0]}' has no gate or state '{parts[1]}'", record.variable[1].span,
                   did_you_mean(parts[1], gates))
        return
    sink.error(Code.E200, f"cannot record '{'.'.join(parts)}'", record.variable[0].span,
               "record 'v' or CHANNEL.GATE of a channel inserted in the cell")
