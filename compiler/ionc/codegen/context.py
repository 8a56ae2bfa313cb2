"""Derived model -> view-model for the templates: plain data and printed code lines.

All decisions live here; templates only lay the lines out. Every block of
generated code is preceded by the source equation it implements.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sympy as sp
from sympy.codegen.cfunctions import expm1

from ionc.codegen.inplace import WorkPool, inplace_assignments
from ionc.codegen.printer import code, scalar_code
from ionc.ir import lowered as low
from ionc.lower import T, V
from ionc.symbolic.derive import DT, DerivedChannel, DerivedGate, GuardedRate
from ionc.symbolic.identities import share_exponentials
from ionc.symbolic.singularities import GUARD_WIDTH


@dataclass(frozen=True, slots=True)
class ParameterView:
    key: str  # PARAMETERS key: hh_na.gbar
    var: str  # local variable: hh_na_gbar
    value: float
    unit: str
    origin: str  # file:line
    in_loop: bool = True  # read by the time loop (kept in DTYPE); stimulus timing stays float64
    read: bool = True  # read by the code at all (the temperature is not, without q10, F/R/T or Nernst)


@dataclass(frozen=True, slots=True)
class ChannelView:
    name: str
    origin: str
    nodes: str  # index expression into (batch, nodes) arrays: ":" for all
    states: tuple[str, ...]
    constants: tuple[str, ...]  # lines run once before the time loop
    init: tuple[str, ...]  # lines that set the states to steady state at v
    current: tuple[str, ...]  # lines that set i_<name> and g_<name> (in place, out=)
    advance: tuple[str, ...]  # lines that set each gate's row of _INF_<name> and _EXP_<name>
    fused_current: tuple[str, ...]  # the same, one node at a time, for the fused loop
    fused_advance: tuple[str, ...]
    inputs: tuple[str, ...]  # per-run values the step reads (parameters, reversals, q10 factors)
    table_build: tuple[str, ...] = ()  # rate tables (tables = on): built once over a v grid
    table_curvature: tuple[str, ...] = ()  # f'' of each table, for the error bound
    table_step: tuple[str, ...] = ()  # the state update from the tables (fused loop)
    table_rows: tuple[str, ...] = ()  # inf and exp(-dt/tau) from the tables into the rows
    buffers: tuple[str, ...] = ()  # arrays the step computes into, made once before the loop
    gathers: tuple[str, ...] = ()  # per-node values (cai of a pool, ...) copied to its nodes each step
    passive: bool = False  # no gates, conductance independent of v: folded into constants
    size: int = 0  # how many nodes it has
    kinetic_states: tuple[str, ...] = ()  # a Markov scheme's occupancies (views into _K_<name>)
    kinetic_setup: tuple[str, ...] = ()  # its work arrays, made once before the loop
    kinetic_advance: tuple[str, ...] = ()  # its backward-Euler step, after the gates'

    def inputs_of(self, lines: tuple[str, ...]) -> tuple[str, ...]:
        """The inputs a block of lines reads (the fused loop loads only those)."""
        text = "\n".join(lines)
        return tuple(name for name in self.inputs if re.search(rf"\b{re.escape(name)}\b", text))

    def gathers_of(self, lines: tuple[str, ...]) -> tuple[str, ...]:
        """The gathers a block needs: those of the per-node values (`out=cai_<channel>`) it reads."""
        text = "\n".join(lines)
        return tuple(g for g in self.gathers if re.search(rf"\b{g.rsplit('out=', 1)[1].rstrip(')')}\b", text))

    def fused_block(self, lines: tuple[str, ...], *, store: bool = False, sum_current: bool = False) -> list[str]:
        """`lines` at node k of the fused loop: load what they read, run them, store the states.

        A channel on every node has its values at j = k; one on some nodes finds j in its
        slot array (-1 where it is absent)."""
        text = "\n".join(lines)
        body = [f"v_{self.name} = v_k"] if re.search(rf"\bv_{self.name}\b", text) else []
        body += [f"{s} = S_{s}[b, j]" for s in self.states]
        body += [f"{x} = in_{self.name}_{x}[b, j]" for x in self.inputs_of(lines)]
        body += lines
        if store:
            body += [f"S_{s}[b, j] = {s}" for s in self.states]
        if sum_current:
            body += [f"i_sum += i_{self.name}", f"g_sum += g_{self.name}"]
        if not self.nodes:
            return ["j = k", *body]
        return [f"j = slot_{self.name}[k]", "if j >= 0:", *(f"    {line}" for line in body)]


@dataclass(frozen=True, slots=True)
class Dialect:
    """How lines are written: for arrays (numpy backend) or one value at a time (fused loop)."""

    scalar: bool

    def code(self, expr: sp.Expr) -> str:
        return scalar_code(expr) if self.scalar else code(expr)

    def select(self, condition: str, then: str, orelse: str) -> str:
        return f"{then} if {condition} else {orelse}" if self.scalar else f"np.where({condition}, {then}, {orelse})"

    def any_of(self, conditions: list[str]) -> str:
        return (" or " if self.scalar else " | ").join(conditions)


VECTOR = Dialect(scalar=False)
SCALAR = Dialect(scalar=True)


class Temporaries:
    """Names for CSE temporaries, unique across the whole module."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def symbols(self) -> Iterator[sp.Symbol]:
        while True:
            yield sp.Symbol(f"_t{next(self._counter)}", real=True)


def origin(span: object) -> str:
    location: str = span.location()  # type: ignore[attr-defined]
    return location.rsplit(":", 1)[0]


def assignments(
    targets: Iterable[tuple[str, sp.Expr]], temporaries: Temporaries, dialect: Dialect = VECTOR
) -> list[str]:
    """`name = expr` lines with common subexpressions shared through temporaries."""
    pairs = list(targets)
    replacements, reduced = sp.cse([e for _, e in pairs], symbols=temporaries.symbols(), order="canonical")
    lines = [f"{sym} = {dialect.code(value)}" for sym, value in replacements]
    lines += [f"{name} = {dialect.code(value)}" for (name, _), value in zip(pairs, reduced, strict=True)]
    return lines


def rate_lines(
    rate: GuardedRate, v: sp.Symbol, temporaries: Temporaries, dialect: Dialect = VECTOR
) -> list[str]:
    """The lines computing one rate at membrane potential `v` (a symbol)."""
    source = " ".join(rate.rate.span.text.split())
    lines = [f"# {source}    [{origin(rate.rate.span)}]"]
    name = str(rate.rate.symbol)
    expr = rate.expr.subs(V, v)
    if not rate.singular:
        return lines + assignments([(name, expr)], temporaries, dialect)
    if len(rate.singular) == 1 and rate.expr.has(expm1):
        return lines + _exact_point_guard(rate, name, expr, v, temporaries, dialect)
    # Removable singularities: the rate is written in terms of the distance d
    # from the (first) singular point, computed once and exactly, so that
    # (v + 40)/10 becomes d/10 with no cancellation. Within GUARD_WIDTH of a
    # point the Taylor polynomial value + slope*d is used (exactly the limit
    # at the point); elsewhere the expression, evaluated at a shifted d there
    # so that 0/0 is never computed.
    first = rate.singular[0]
    d, d_safe = sp.Symbol("_d", real=True), sp.Symbol("_d_safe", real=True)
    for point in rate.singular:
        lines.append(f"# removable singularity at v = {code(point.at)} mV: limit {code(point.value)}")
    lines.append(f"_d = {v} - ({code(first.at)})")
    near = dialect.any_of(
        [f"(np.abs({code(d - (point.at - first.at))}) < {GUARD_WIDTH!r})" for point in rate.singular]
    )
    lines.append(f"_near = {near}")
    lines.append(f"_d_safe = {dialect.select('_near', f'_d + {10 * GUARD_WIDTH!r}', '_d')}")
    lines += assignments([(name, expr.subs(v, d_safe + first.at))], temporaries, dialect)
    for point in rate.singular:
        offset = d - (point.at - first.at)
        taylor = _numeric(point.value) + sp.UnevaluatedExpr(_numeric(point.slope)) * sp.UnevaluatedExpr(offset)
        condition = f"np.abs({code(offset)}) < {GUARD_WIDTH!r}"
        lines.append(f"{name} = {dialect.select(condition, dialect.code(taylor), name)}")
    return lines


def inplace_rate_lines(rate: GuardedRate, v: sp.Symbol, temporaries: Temporaries, pool: WorkPool) -> Block:
    """rate_lines, computed into preallocated arrays. The guard of an exact-point
    singularity is written in place too; the Taylor-band guard (rarer) stays as
    rate_lines writes it (allocating)."""
    name = str(rate.rate.symbol)
    expr = rate.expr.subs(V, v)
    if rate.singular and not (len(rate.singular) == 1 and rate.expr.has(expm1)):
        return Block(rate_lines(rate, v, temporaries), ())
    source = " ".join(rate.rate.span.text.split())
    lines = [f"# {source}    [{origin(rate.rate.span)}]"]
    if rate.singular:
        point = rate.singular[0]
        # not _d_safe/_at: the allocating Taylor-band guard (rate_lines) uses those names
        d_safe, at = pool.named("d_point"), pool.named("at_point", "bool")
        lines += [
            f"# removable singularity at v = {code(point.at)} mV: limit {code(point.value)}",
            f"np.subtract({v}, {code(point.at)}, out={d_safe})  # the distance d from the point, exact",
            f"_on_point = np.count_nonzero({d_safe}) < {d_safe}.size  # v exactly there somewhere (rare)",
            "if _on_point:  # evaluate at d = 1 there, then put the limit in",
            f"    np.equal({d_safe}, 0.0, out={at})",
            f"    np.copyto({d_safe}, 1.0, where={at})",
        ]
        expr = expr.subs(v, sp.Symbol(d_safe, real=True) + point.at)
    computed, named = inplace_assignments([(name, expr)], temporaries.symbols(), pool)
    lines += computed
    if rate.singular:
        lines += ["if _on_point:", f"    np.copyto({name}, {code(_numeric(rate.singular[0].value))}, where={at})"]
    return Block(lines, tuple(named))


@dataclass(frozen=True, slots=True)
class Block:
    """Lines of the time loop and the arrays they compute into."""

    lines: list[str]
    buffers: tuple[str, ...] = ()


def _exact_point_guard(
    rate: GuardedRate, name: str, expr: sp.Expr, v: sp.Symbol, temporaries: Temporaries, dialect: Dialect
) -> list[str]:
    """One singular point, expression in expm1 form: accurate to rounding right up to
    the point, so only the point itself needs its limit. The expression is written in
    the distance d from the point (exact in floating point), and evaluated at d + 1
    where d == 0 so that 0/0 is never computed."""
    point = rate.singular[0]
    d_safe = sp.Symbol("_d_safe", real=True)
    lines = [
        f"# removable singularity at v = {code(point.at)} mV: limit {code(point.value)}",
        f"_d = {v} - ({code(point.at)})",
        "_at = _d == 0.0",
        "_d_safe = _d + _at",
    ]
    lines += assignments([(name, expr.subs(v, d_safe + point.at))], temporaries, dialect)
    lines.append(f"{name} = {dialect.select('_at', code(_numeric(point.value)), name)}")
    return lines


def _numeric(value: sp.Expr) -> sp.Expr:
    """An exact constant (exp(2), tanh(1)) as one float, not a call in every step."""
    # evalf first: sp.Float cannot take an expression like 1000/(91/2 - 600/(1 - exp(5))) directly
    return sp.Float(value.evalf(30), 17) if value.is_number else value


def _gate_rates(
    gates: Iterable[DerivedGate], v: sp.Symbol, temporaries: Temporaries, dialect: Dialect = VECTOR
) -> list[str]:
    lines: list[str] = []
    for gate in gates:
        for rate in gate.rates:
            if rate.rate.label != "ode":
                lines += rate_lines(rate, v, temporaries, dialect)
    return lines


def _inplace_advance(derived: DerivedChannel, v: sp.Symbol, phi_dt: sp.Symbol, temporaries: Temporaries,
                     pool: WorkPool) -> Block:
    """Each gate's steady state and exponent (A dt) into its rows of _INF_ and _EXP_; the
    template then steps all gates of the channel at once: x = inf + (x - inf) * exp(A dt)."""
    if not derived.gates:
        return Block([])
    rates = [r for g in derived.gates for r in g.rates if r.rate.label != "ode"]
    blocks = [inplace_rate_lines(r, v, temporaries, pool) for r in rates if r.singular]
    blocks.append(_plain_rates([r for r in rates if not r.singular], v, temporaries, pool))
    rows = []
    for gate in derived.gates:
        state = str(gate.gate.state)
        rows.append((f"_inf_{state}", gate.inf.subs(V, v)))
        rows.append((f"_exp_{state}", (gate.slope * DT).subs({derived.phi * DT: -phi_dt, V: v})))
    lines = [line for block in blocks for line in block.lines]
    lines.append("# each gate's steady state and exponent A dt (A = -1/tau) at the new v")
    computed, _ = inplace_assignments(rows, temporaries.symbols(), pool, rows=[name for name, _ in rows])
    return Block(lines + computed, tuple(dict.fromkeys(b for block in blocks for b in block.buffers)))


@dataclass(frozen=True, slots=True)
class KineticLines:
    """The code of a kinetic scheme: its start, its work arrays and its step."""

    init: list[str]
    setup: list[str]
    advance: Block


def _kinetic_lines(derived: DerivedChannel, v: sp.Symbol, phi_dt: sp.Symbol, temporaries: Temporaries,
                   pool: WorkPool) -> KineticLines:
    """A scheme's occupancies live in _K_<name> (batch, nodes, n, 1) and its rates in the
    off-diagonal entries of _R_<name> (batch, nodes, n, n): _R[..., j, i] is the rate from
    state i to j, each written in place through a view named after the rate. The start is
    the null space of A at v (kinetic_steady_state); a step is backward Euler with v frozen
    (kinetic_step: (I - dt A) x_new = x, renormalised), NEURON's `sparse` for KINETIC."""
    scheme = derived.kinetic
    assert scheme is not None
    name, n = derived.channel.name, len(scheme.states)
    entries = scheme.entries()
    at = origin(scheme.kinetic.span)
    init = [f"# kinetic scheme of {name} ({n} states)    [{at}]"]
    init += [line for rate in scheme.rates for line in rate_lines(rate, v, temporaries)]
    init += [f"_R_{name} = np.zeros({v}.shape + ({n}, {n}), dtype=DTYPE)  # _R[..., j, i]: the rate i -> j"]
    init += [f"_R_{name}[:, :, {j}, {i}] = {rate.rate.symbol}" for j, i, rate in entries]
    init += ["# occupancies at the steady state at v: A x = 0 and sum(x) = 1 (the null space of A)",
             f"_K_{name} = kinetic_steady_state(_R_{name}).astype(DTYPE)",
             f"{', '.join(map(str, scheme.states))} = np.moveaxis(_K_{name}[..., 0], -1, 0)  # views: the "
             "occupancies (batch, nodes)"]
    setup = [f"_M_{name} = np.empty_like(_R_{name})  # I - dt A, rebuilt every step",
             f"_Kcol_{name} = np.empty(_R_{name}.shape[:-1], dtype=DTYPE)",
             f"_Ksum_{name} = np.empty(_K_{name}.shape[:-2] + (1, 1), dtype=DTYPE)",
             f"_Kdt_{name} = np.asarray({phi_dt})[..., np.newaxis, np.newaxis]  # -dt phi, against _R's shape"]
    setup += [f"{rate.rate.symbol} = _R_{name}[:, :, {j}, {i}]  # {scheme.kinetic.names[i]} -> "
              f"{scheme.kinetic.names[j]}, written in place" for j, i, rate in entries]
    advance = _kinetic_rates(derived, v, temporaries, pool)
    step = ["# backward Euler with v frozen: (I - dt A) x_new = x at every node, then x_new / sum(x_new)",
            f"kinetic_step(_R_{name}, _Kdt_{name}, _M_{name}, _K_{name}, _Kcol_{name}, _Ksum_{name})"]
    return KineticLines(init, setup, Block(advance.lines + step, advance.buffers))


def _kinetic_rates(derived: DerivedChannel, v: sp.Symbol, temporaries: Temporaries, pool: WorkPool) -> Block:
    """Every rate of a scheme that can change during a run into its entry of _R (a view named
    after the rate): the plain ones together (shared subexpressions and exponentials),
    guarded ones through a copy. Constant rates stay where the start put them."""
    scheme = derived.kinetic
    assert scheme is not None
    constant = {p.symbol for p in derived.channel.parameters} | {T}
    rates = [r for r in scheme.rates if not r.expr.free_symbols <= constant]
    blocks = []
    for rate in (r for r in rates if r.singular):
        value = dataclasses.replace(rate, rate=dataclasses.replace(rate.rate, symbol=sp.Symbol(
            f"{rate.rate.symbol}_value", real=True)))
        block = inplace_rate_lines(value, v, temporaries, pool)
        lines = [f"# {scheme.label(rate)}", *block.lines, f"np.copyto({rate.rate.symbol}, {value.rate.symbol})"]
        blocks.append(Block(lines, block.buffers))
    plain = [r for r in rates if not r.singular]
    if plain:
        lines = [f"# {scheme.label(r)}: {' '.join(r.rate.span.text.split())}    [{origin(r.rate.span)}]"
                 for r in plain]
        shared, exprs = share_exponentials([r.expr.subs(V, v) for r in plain], v, temporaries.symbols())
        names = [str(r.rate.symbol) for r in plain]
        targets = [(str(symbol), base) for symbol, base in shared] + list(zip(names, exprs, strict=True))
        computed, named = inplace_assignments(targets, temporaries.symbols(), pool, rows=names)
        blocks.append(Block(lines + computed, tuple(named)))
    return Block([line for b in blocks for line in b.lines],
                 tuple(dict.fromkeys(x for b in blocks for x in b.buffers)))


def _current_comment(channel: low.Channel) -> str:
    if channel.ghk is not None:
        return (f"# i = {channel.conductance} * open fraction * GHK flux(v, {channel.ion}i, {channel.ion}o); "
                "g = di/dv")
    return f"# i = {channel.conductance} * open fraction * (v - {channel.reversal}); g = di/dv"


def _plain_rates(rates: list[GuardedRate], v: sp.Symbol, temporaries: Temporaries, pool: WorkPool) -> Block:
    """The rates without singularities, computed together: they share subexpressions and,
    through exact identities, exponentials (exp(-v/10) from exp(-v/20) squared)."""
    if not rates:
        return Block([])
    lines = [f"# {' '.join(r.rate.span.text.split())}    [{origin(r.rate.span)}]" for r in rates]
    shared, exprs = share_exponentials([r.expr.subs(V, v) for r in rates], v, temporaries.symbols())
    # the shared exponentials first, on their own: inplace_assignments computes its common
    # subexpressions before its targets, so a target read by other targets would be stale
    bases, base_buffers = inplace_assignments([(str(s), base) for s, base in shared], temporaries.symbols(), pool)
    computed, named = inplace_assignments(
        [(str(r.rate.symbol), e) for r, e in zip(rates, exprs, strict=True)], temporaries.symbols(), pool
    )
    return Block(lines + bases + computed, (*base_buffers, *named))


def _inplace_current(derived: DerivedChannel, v: sp.Symbol, temporaries: Temporaries, pool: WorkPool) -> Block:
    channel = derived.channel
    lines = [_current_comment(channel)]
    computed, named = inplace_assignments(
        [(f"g_{channel.name}", derived.conductance.subs(V, v)), (f"i_{channel.name}", derived.current.subs(V, v))],
        temporaries.symbols(),
        pool,
    )
    return Block(lines + computed, tuple(named))


def _advance_lines(
    derived: DerivedChannel, v: sp.Symbol, phi_dt: sp.Symbol, temporaries: Temporaries, dialect: Dialect
) -> list[str]:
    if not derived.gates:
        return []
    lines = _gate_rates(derived.gates, v, temporaries, dialect)
    lines.append("# exact step with v frozen: x = inf + (x - inf) * exp(-dt/tau)")
    # exp(A dt) with A = -phi*(...): substituting -phi*dt by one hoisted symbol saves a negation.
    lines += assignments(
        ((str(g.gate.state), g.update.subs({derived.phi * DT: -phi_dt, V: v})) for g in derived.gates),
        temporaries,
        dialect,
    )
    return lines


def _current_lines(derived: DerivedChannel, v: sp.Symbol, temporaries: Temporaries, dialect: Dialect) -> list[str]:
    channel = derived.channel
    lines = [_current_comment(channel)]
    lines += assignments(
        (
            (f"g_{channel.name}", derived.conductance.subs(V, v)),
            (f"i_{channel.name}", derived.current.subs(V, v)),
        ),
        temporaries,
        dialect,
    )
    return lines


def _table_lines(
    derived: DerivedChannel, v: sp.Symbol, phi_dt: sp.Symbol, temporaries: Temporaries
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(build, curvature, step, rows) lines for rate tables: inf and exp(A dt) of each gate over a v grid.

    Build: with v_<channel> bound to the grid, each gate's steady state and one-step
    decay factor, and their symbolic second derivatives (for the interpolation error
    bound h^2/8 max|f''|). Step: the state update with both interpolated linearly
    at the shared index (_i, _f) of each node's v.
    """
    if not derived.gates:
        return [], [], [], []
    build = _gate_rates(derived.gates, v, temporaries)
    targets: list[tuple[str, sp.Expr]] = []
    curvatures: list[tuple[str, sp.Expr]] = []
    step: list[str] = ["# exact step with v frozen, inf and exp(-dt/tau) interpolated in the tables"]
    rows: list[str] = ["# inf and exp(-dt/tau) interpolated in the tables"]
    for gate in derived.gates:
        rates = {r.rate.symbol: r.expr.subs(V, v) for r in gate.rates}
        inf = gate.inf.subs(V, v)
        decay = sp.exp(gate.slope * DT).subs({derived.phi * DT: -phi_dt, V: v})
        state = str(gate.gate.state)
        targets += [(f"_tab_inf_{state}", inf), (f"_tab_decay_{state}", decay)]
        for label, expr in (("inf", inf), ("decay", decay)):
            curvatures.append((f"_tab_d2{label}_{state}", sp.diff(expr.subs(rates), v, 2)))
        inf_at = f"(_tab_inf_{state}[_i] + _f * _tab_dinf_{state}[_i])"
        decay_at = f"(_tab_decay_{state}[_i] + _f * _tab_ddecay_{state}[_i])"
        step.append(f"_inf = {inf_at}")
        step.append(f"{state} = _inf + ({state} - _inf) * {decay_at}")
        rows.append(f"_inf_{state}[...] = {inf_at}")
        rows.append(f"_exp_{state}[...] = {decay_at}  # exp(-dt/tau) itself")
    build += assignments(targets, temporaries)
    curvature = assignments(curvatures, temporaries)
    # The unguarded formula of f'' cancels badly near a removable singularity: leave
    # 1 mV around each out of the maximum (the table is exact at its grid points there).
    points = sorted({float(p.at) for g in derived.gates for r in g.rates for p in r.singular if p.at.is_number})
    if points:
        near = " | ".join(f"(np.abs({v} - ({at!r})) < 1.0)" for at in points)
        curvature += [f"{name} = np.where({near}, np.nan, {name})" for name, _ in curvatures]
    return build, curvature, step, rows


def _inputs(derived: DerivedChannel, v: sp.Symbol, phi_dt: sp.Symbol) -> tuple[str, ...]:
    """Names the step reads that are fixed for the run: parameters, reversals, q10 factors."""
    exprs = [derived.current, derived.conductance]
    exprs += [g.update.subs(derived.phi * DT, -phi_dt) for g in derived.gates]
    exprs += [r.expr for g in derived.gates for r in g.rates]
    made = {V, v, DT} | {g.gate.state for g in derived.gates} | {r.rate.symbol for g in derived.gates for r in g.rates}
    if derived.kinetic is not None:
        exprs += [r.expr for r in derived.kinetic.rates]
        made |= set(derived.kinetic.states) | {r.rate.symbol for r in derived.kinetic.rates}
    return tuple(sorted({str(s) for e in exprs for s in e.free_symbols if s not in made}))


def channel_view(
    derived: DerivedChannel, nodes: str, temporaries: Temporaries, pool: WorkPool, tables: bool = False,
    fused: bool = False, starts_at: str | None = None,
) -> ChannelView:
    """The code of one channel; table and fused-loop variants only when asked for (their
    symbolic work, second derivatives in particular, costs compile time). `pool` holds
    the work arrays shared by the channels on the same nodes."""
    channel = derived.channel
    v = sp.Symbol(f"v_{channel.name}", real=True)
    phi_dt = sp.Symbol(f"{channel.name}_minus_phi_dt", real=True)
    constants: tuple[str, ...] = ()
    init: list[str] = []
    if derived.gates or derived.kinetic is not None:
        constants = (
            f"# {channel.name}: temperature factor of the rates (q10)    [{origin(channel.span)}]",
            f"{derived.phi} = {code(channel.q10)}",
            f"{phi_dt} = -{derived.phi} * dt  # the exact step's exp(-dt/tau) is exp({phi_dt} * (...))",
        )
    factors = [(f"gate {g.name}'s own q10", g.temperature_factor) for g in channel.gates]
    factors.append((f"q10 of {channel.name}'s conductance", channel.conductance_factor))
    constants += tuple(f"{factor[0]} = {code(factor[1])}  # {what}" for what, factor in factors if factor is not None)
    if derived.gates:
        init = _gate_rates(derived.gates, v, temporaries)
        init += ["# gates start at their steady state at v"]
        init += assignments(((str(g.gate.state), g.inf.subs(V, v)) for g in derived.gates), temporaries)
        # one value per node even where inf does not depend on v
        init += [f"{g.gate.state} = np.broadcast_to({g.gate.state}, {v}.shape).copy()" for g in derived.gates]
    if derived.gates and starts_at is not None:  # a pool starts at the ion's inside concentration
        state = derived.gates[0].gate.state
        init = ["# the concentration starts at the cell's value for the ion",
                f"{state} = np.broadcast_to({starts_at}, {v}.shape).copy()"]
    table_build, table_curvature, table_step, table_rows = (
        _table_lines(derived, v, phi_dt, temporaries) if tables else ([], [], [], [])
    )
    current = Block([]) if channel.pool else _inplace_current(derived, v, temporaries, pool)  # a pool has none
    advance = Block([]) if tables else _inplace_advance(derived, v, phi_dt, temporaries, pool)
    kinetic = KineticLines([], [], Block([]))
    if derived.kinetic is not None:  # rates computed exactly every step, tables or not
        kinetic = _kinetic_lines(derived, v, phi_dt, temporaries, pool)
        init += kinetic.init
    return ChannelView(
        name=channel.name,
        origin=origin(channel.span),
        nodes=nodes,
        states=tuple(str(g.gate.state) for g in derived.gates),
        constants=constants,
        init=tuple(init),
        current=tuple(current.lines),
        advance=tuple(advance.lines),
        fused_current=tuple(_current_lines(derived, v, temporaries, SCALAR)) if fused else (),
        fused_advance=tuple(_advance_lines(derived, v, phi_dt, temporaries, SCALAR)) if fused else (),
        inputs=_inputs(derived, v, phi_dt),
        table_build=tuple(table_build),
        table_curvature=tuple(table_curvature),
        table_step=tuple(table_step),
        table_rows=tuple(table_rows),
        buffers=tuple(dict.fromkeys(current.buffers + advance.buffers + kinetic.advance.buffers)),
        kinetic_states=tuple(map(str, derived.kinetic.states)) if derived.kinetic is not None else (),
        kinetic_setup=tuple(kinetic.setup),
        kinetic_advance=tuple(kinetic.advance.lines),
    )


def parameter_views(
    channel: low.Channel, values: dict[str, float], only: str | None = None
) -> list[ParameterView]:
    return [
        ParameterView(
            key=f"{channel.name}.{p.name}", var=str(p.symbol), value=values.get(p.name, p.value),
            unit=p.unit, origin=origin(p.span),
        )
        for p in channel.parameters
        if only is None or p.name == only
    ]


__all__ = ["T", "ChannelView", "ParameterView", "Temporaries", "channel_view", "parameter_views"]
