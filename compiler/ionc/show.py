"""`ionc show`: the derived equations of every channel, as text."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from ionc.diagnostics import DiagnosticSink
from ionc.ir import resolved as ir
from ionc.lower import base_lowerer, lower_channel, lower_ion
from ionc.morphology import Discretization
from ionc.pipeline import front_end
from ionc.sema.ions import KNOWN_IONS
from ionc.symbolic.bridge import constant_value
from ionc.symbolic.derive import DerivedChannel, derive_channel


def show_file(path: Path) -> str:
    model = front_end(path)
    sink = DiagnosticSink()
    blocks = [_channel_text(derive_channel(lower_channel(c), sink)) for c in model.channels]
    sink.check()
    blocks += [_ions_text(cell) for cell in model.cells]
    return "\n\n".join(blocks)


def _ions_text(cell: ir.CellDef) -> str:
    """Each ion of a cell: its concentrations and how its reversal potential is made."""
    lowerer = base_lowerer()
    lines = [f"cell {cell.name.text}: ions"]
    for reversal in cell.reversals:
        lines.append(f"  {reversal.ion.text}: reversal fixed at {constant_value(reversal.value, lowerer):g} mV")
    declared = {r.ion.text for r in cell.reversals}
    for block in cell.ions:
        ion = lower_ion(block, lowerer, cell)
        declared.add(ion.name)
        policy = {
            "nernst": "reversal by Nernst, RT/zF ln(outside/inside) at the cell's temperature",
            "none": "no reversal potential (only GHK fluxes may carry it)",
        }.get(ion.reversal, f"reversal fixed at {ion.fixed} mV")
        lines.append(f"  {ion.name}: valence {ion.valence}, inside {ion.inside:g} mM, outside {ion.outside:g} mM; "
                     f"{policy}")
    for insert in cell.inserts:
        name = insert.channel.ion.text if insert.channel.ion is not None else None
        if insert.channel.ghk and name is not None and name not in declared:
            defaults = KNOWN_IONS.get(name)
            text = f"inside {defaults.inside_mM:g} mM, outside {defaults.outside_mM:g} mM" if defaults else "?"
            lines.append(f"  {name}: not declared; NEURON's default concentrations ({text})")
            declared.add(name)
    if len(lines) == 1:
        lines.append("  (none declared)")
    return "\n".join(lines)


def lay_out_cells(model: ir.Model) -> dict[str, Discretization]:
    """Every cell's compartments; a layout error (E501) raised here."""
    from ionc.lower import lay_out

    return {cell.name.text: lay_out(cell) for cell in model.cells}


def show_morphology(path: Path) -> str:
    """The discretisation report of every cell in the model."""
    layouts = lay_out_cells(front_end(path))
    reports = [f"cell {name}\n{layout.report()}" for name, layout in layouts.items()]
    return "\n".join(reports) if reports else f"{path} declares no cell"


def _pool_text(derived: DerivedChannel) -> str:
    """A concentration pool: its parameters, its equation (mM/ms) and its exact step."""
    channel = derived.channel
    (gate,) = derived.gates
    lines = [f"pool {channel.name} (ion {channel.ion}: reads i{channel.ion}, writes {channel.ion}i)    "
             f"[{channel.span.location()}]"]
    lines += [f"  {p.name} = {p.value:g} {p.unit}" for p in channel.parameters]
    lines += [f"  {gate.gate.name}' = {rate.rate.expr}    (mM/ms; {channel.ion}i in mM, i{channel.ion} in uA/cm2)"
              for rate in gate.rates]
    one = {derived.phi: 1}  # a pool has no temperature factor
    lines.append(f"  steady state {gate.inf} mM, time constant {gate.tau.subs(one)} ms")
    lines.append(f"  exact update, i{channel.ion} frozen over the step: {gate.gate.state}(t+dt) = "
                 f"{gate.update.subs(one)}")
    lines.append(f"  starts at the cell's inside concentration of {channel.ion}")
    return "\n".join(lines)


def _channel_text(derived: DerivedChannel) -> str:
    channel = derived.channel
    if channel.pool:
        return _pool_text(derived)
    lines = [f"channel {channel.name}    [{channel.span.location()}]"]
    if channel.shares:
        lines.append("  carries " + ", ".join(f"{ion} (share {share:g})" for ion, share in channel.shares))
    for parameter in channel.parameters:
        lines.append(f"  {parameter.name} = {parameter.value:g} {parameter.unit}")
    lines.append(f"  temperature factor {derived.phi} = {channel.q10}")
    for factor in (*(g.temperature_factor for g in channel.gates), channel.conductance_factor):
        if factor is not None:
            lines.append(f"  temperature factor {factor[0]} = {factor[1]}")
    for gate in derived.gates:
        state = gate.gate.state
        lines.append(f"  gate {gate.gate.name} (power {gate.gate.power})")
        for rate in gate.rates:
            unit = {"inf": "", "tau": "ms"}.get(rate.rate.label, "1/ms")
            lines.append(f"    {rate.rate.symbol} = {rate.rate.expr}    ({unit or 'dimensionless'}, v in mV)")
            for point in rate.singular:
                lines.append(f"      removable singularity at v = {point.at} mV: limit {point.value}, "
                             f"slope {point.slope}")
        lines.append(f"    inf = {gate.inf}")
        lines.append(f"    tau = {gate.tau}    (ms)")
        lines.append(f"    exact update: {state}(t+dt) = {gate.update}")
    if derived.kinetic is not None:
        lines += _scheme_text(derived)
    lines.append(f"  i = {derived.current}    (uA/cm2)")
    lines.append(f"  di/dv = {sp.simplify(derived.conductance)}    (mS/cm2)")
    return "\n".join(lines)


def _scheme_text(derived: DerivedChannel) -> list[str]:
    """A kinetic scheme: its reactions and rates, dx/dt = A x row by row, and how it is solved."""
    scheme = derived.kinetic
    assert scheme is not None
    kinetic = scheme.kinetic
    names = kinetic.names
    lines = [f"  kinetic scheme: {len(names)} states ({', '.join(names)}), "
             f"open {', '.join(names[k] for k in kinetic.open)}"]
    for reaction, forward, backward in zip(kinetic.reactions, scheme.rates[::2], scheme.rates[1::2], strict=True):
        lines.append(f"    {names[reaction.left]} <-> {names[reaction.right]}")
        for rate in (forward, backward):
            lines.append(f"      {rate.rate.symbol} = {rate.rate.expr}    (1/ms, v in mV)")
            for point in rate.singular:
                lines.append(f"        removable singularity at v = {point.at} mV: limit {point.value}, "
                             f"slope {point.slope}")
    # the rows of dx/dt = A x in short names: C1 for na_markov_C1, rate_C1_C2, phi
    prefix = f"{derived.channel.name}_"
    short = {s: sp.Symbol(str(s).removeprefix(prefix), real=True)
             for s in (*kinetic.states, derived.phi, *(r.rate.symbol for r in scheme.rates))}
    lines.append(f"    dx/dt = A x (phi = {derived.phi}), x = ({', '.join(names)}):")
    for name, row in zip(names, scheme.matrix.tolist(), strict=True):
        rhs = sp.Add(*(entry * other for entry, other in zip(row, kinetic.states, strict=True))).xreplace(short)
        lines.append(f"      {name}' = {sp.collect(sp.expand(rhs), short[derived.phi])}")
    lines.append("    conservation: the columns of A sum to 0, so sum(x) = 1 holds; all states are kept")
    lines.append("    initial state: A(v_init) x = 0 with sum(x) = 1 (the null space of A), solved per node")
    lines.append("    update: backward Euler with v frozen, (I - dt A(v)) x_new = x, then x_new / sum(x_new)")
    return lines
