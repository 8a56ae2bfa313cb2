"""The ionc file an import writes: a header, then one channel per current.

Every line that comes from the .mod file cites it (file:line); the notes on
what was dropped or replaced are repeated in the header.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ionc.diagnostics import Code, fail
from ionc.importer import nmodl_ast as ast
from ionc.importer.nmodl_channels import Q10, Channel, Gate, Kinetic, Pool
from ionc.importer.nmodl_units import MM, MS, MV, NUMBER, PER_MS, UnitMap, parse_nmodl_unit, si_scale
from ionc.importer.nmodl_values import Sym, Value, children
from ionc.importer.nmodl_write import Writer, number_text
from ionc.source import Span

# ionc keywords and built-in names an NMODL variable may be called: renamed NAME_
_IONC_WORDS = frozenset({
    "and", "as", "at", "cell", "channel", "else", "every", "from", "gate", "group", "if", "import",
    "insert", "ion", "kinetic", "morphology", "nonspecific", "of", "off", "on", "open", "or", "pool",
    "q10", "record", "report", "reversal", "section", "simulation", "soma", "stimulus", "tables",
    "then", "to", "t", "T", "F", "R", "pi", "dt", "gbar", "g", "e", "pbar", "alpha", "beta", "inf", "tau",
    "exponential", "sigmoid", "exp_linear",
})
# names ionc's generated code gives a channel's own values (sema.resolve)
_GENERATED = re.compile(r"phi|minus_phi_dt|(alpha|beta|inf|tau|ode|rate)_\w+")
_INDENT = "    "
# UNITS { FARADAY = (faraday) (coulomb) }: NEURON's physical constants, as ionc's (per mole: NMODL's
# units leave the mole out, ionc's keep it)
PHYSICAL = {
    "faraday": ("F", UnitMap.of({"C": Fraction(1), "mol": Fraction(-1)})),
    "k-mole": ("R", UnitMap.of({"J": Fraction(1), "mol": Fraction(-1), "K": Fraction(-1)})),
}
MA_PER_CM2 = UnitMap.of({"mA": Fraction(1), "cm": Fraction(-2)})  # NEURON's density current


@dataclass(frozen=True)
class Context:
    module: ast.Module
    filename: str
    channels: tuple[Channel, ...]
    notes: list[str]
    pools: tuple[Pool, ...] = ()

    def cite(self, line: int) -> str:
        return f"{self.filename}:{line}"


def render_file(context: Context) -> str:
    units = _unit_table(context.module)
    writer = Writer(units, _renamer(context.module), units.get)
    parts = [_header(context)]
    parts += [_channel(channel, context, writer) for channel in context.channels]
    parts += [_pool(pool, context, writer) for pool in context.pools]
    return "\n\n".join(parts) + "\n"


def _renamer(module: ast.Module) -> Callable[[str], str]:
    """ionc names: physical constants of UNITS as ionc's F and R, clashes with ionc's words get a _."""
    physical = {c.name: PHYSICAL[c.quantity][0] for c in module.constants if c.quantity in PHYSICAL}
    return lambda name: physical.get(name) or _rename(name)


def _rename(name: str) -> str:
    clash = name in _IONC_WORDS or name.startswith("_") or _GENERATED.fullmatch(name) is not None
    return f"{name}_" if clash else name


def _unit_table(module: ast.Module) -> _UnitLookup:
    units = _UnitLookup({"v": MV, "celsius": NUMBER})
    for ion in module.ions:
        units.update({f"e{ion.ion}": MV, f"{ion.ion}i": MM, f"{ion.ion}o": MM})
    for constant in module.constants:
        if constant.quantity in PHYSICAL:
            units[constant.name] = PHYSICAL[constant.quantity][1]
        elif not _is_number(constant.quantity):
            raise fail(Code.E300, f"the UNITS constant ({constant.quantity}) has no ionc counterpart "
                       "(ionc knows faraday and k-mole, as F and R)", constant.span)
        else:
            units[constant.name] = _known_unit(constant.unit, constant.name, constant.span)
    for declaration in module.declarations:
        if declaration.name in units or declaration.unit is None:
            units.setdefault(declaration.name, NUMBER)
            continue
        units[declaration.name] = _known_unit(declaration.unit, declaration.name, declaration.span)
    return units


def _known_unit(text: str, name: str, span: Span) -> UnitMap:
    unit = parse_nmodl_unit(text)
    if unit is None:
        raise fail(Code.E300, f"unit '{text}' of '{name}' has no ionc counterpart", span)
    return unit


class _UnitLookup(dict[str, UnitMap]):
    """Units by name; a name without a declaration is a plain number (NMODL's default)."""

    def __call__(self, name: str) -> UnitMap:
        return self.get(name, NUMBER)


def _header(context: Context) -> str:
    module = context.module
    lines = [f"Translated from {context.filename} by `ionc import`."]
    if module.title:
        lines += ["", f"TITLE {module.title}"]
    for comment in module.comments:
        lines += [""] + [line.rstrip() for line in comment.strip("\n").splitlines()]
    if len(context.channels) > 1:
        names = ", ".join(f"{c.name} ({c.current})" for c in context.channels)
        lines += ["", f"An ionc channel carries one current through one product of gates, so the mechanism "
                  f"{module.suffix.text if module.suffix else ''} becomes {names}: one channel per current "
                  "(named after its ion; a nonspecific current without gates is the leak), and one per term "
                  "where a conductance is a sum of gate products (numbered), each with the gates it uses."]
    if context.notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in context.notes]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def _channel(channel: Channel, context: Context, writer: Writer) -> str:
    lines = [f"channel {channel.name} {{",
             f"{_INDENT}# {_one_line(channel.assignment.text)} ({context.cite(channel.assignment.line)})"]
    lines.append(f"{_INDENT}ion {channel.ion}" if channel.ion else f"{_INDENT}nonspecific")
    name = "pbar" if channel.permeability else "gbar" if channel.gates or channel.kinetic else "g"
    lines.append(f"{_INDENT}{name} = {_conductance(channel, context, writer)}")
    if channel.conductance_q10 is not None:
        lines.append(f"{_INDENT}{_q10(channel.conductance_q10, context, name)}")
    if channel.reversal is not None:
        lines.append(f"{_INDENT}e = {_reversal(channel.reversal, context, writer)}")
    lines += [f"{_INDENT}{line}" for line in _parameters(channel, context, writer)]
    if channel.q10 is not None:
        lines.append(f"{_INDENT}{_q10(channel.q10, context)}")
    for gate in channel.gates:
        lines += [f"{_INDENT}{line}" for line in _gate(gate, context, writer)]
    if channel.kinetic is not None:
        lines += [f"{_INDENT}{line}" for line in _kinetic(channel.kinetic, context, writer)]
    lines.append("}")
    return "\n".join(lines)


def _pool(pool: Pool, context: Context, writer: Writer) -> str:
    lines = [f"pool {pool.name} {{", f"{_INDENT}ion {pool.ion}"]
    read: set[str] = set()
    _names(pool.equation, read)
    lines += [f"{_INDENT}{line}" for line in _parameter_lines(read, context, writer)]
    lines.append(f"{_INDENT}{pool.state}' = {writer.write(pool.equation, MM / MS)}"
                 f"    # {context.cite(pool.span.line)}")
    return "\n".join(lines + ["}"])


def _conductance(channel: Channel, context: Context, writer: Writer) -> str:
    """gbar: the PARAMETER's value where the number multiplying it only converts its unit."""
    parameter = channel.conductance
    cited = f"{parameter.name} ({context.cite(parameter.span.line)})"
    if channel.factor == 1:
        return f"{_declared(parameter, writer)}    # {cited}"
    if parameter.value is None:
        raise fail(Code.E204, f"PARAMETER '{parameter.name}' has no value", parameter.span)
    wanted = _current_unit(channel, context.module) / MV
    have = writer.unit_of(parameter.name)
    (scale_have, dim_have), (scale_want, dim_want) = si_scale(have), si_scale(wanted)
    factor = number_text(channel.factor)
    if dim_have != dim_want:
        return f"{_quantity_text(channel.factor * parameter.value.value, wanted)}    # {factor} * {cited}"
    in_own_unit = channel.factor * scale_want / scale_have  # the number that multiplies it, in its own unit
    if in_own_unit == 1:
        return f"{_declared(parameter, writer)}    # {cited}; the .mod file's ({factor}) converts its unit"
    value = in_own_unit * parameter.value.value
    return f"{_quantity_text(value, have)}    # {factor} * {cited}"


def _current_unit(channel: Channel, module: ast.Module) -> UnitMap:
    declared = next((d for d in module.declared("ASSIGNED") if d.name == channel.current and d.unit), None)
    unit = parse_nmodl_unit(declared.unit) if declared and declared.unit else None
    return unit or MA_PER_CM2


def _quantity_text(value: Fraction, unit: UnitMap) -> str:
    text = number_text(abs(value)) + ("" if unit.is_number else f" {unit.ionc_text()}")
    return f"-{text}" if value < 0 else text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reversal(value: Value, context: Context, writer: Writer) -> str:
    """A PARAMETER as its value (ionc's e is a parameter itself), else the expression."""
    declaration = _parameter(value, context.module)
    if declaration is None:
        return writer.write(value, MV)
    return f"{_declared(declaration, writer)}    # {declaration.name} ({context.cite(declaration.span.line)})"


def _parameter(value: Value, module: ast.Module) -> ast.Declaration | None:
    if not isinstance(value, Sym):
        return None
    return next((d for d in module.declared("PARAMETER") if d.name == value.name), None)


def _declared(declaration: ast.Declaration, writer: Writer) -> str:
    if declaration.value is None:
        raise fail(Code.E204, f"PARAMETER '{declaration.name}' has no value", declaration.span)
    return _quantity_text(declaration.value.value, writer.unit_of(declaration.name))


def _parameters(channel: Channel, context: Context, writer: Writer) -> list[str]:
    """The PARAMETERs and CONSTANTs the channel's expressions read, in declaration order."""
    read: set[str] = set()
    for gate in channel.gates:
        _names(gate.first, read)
        _names(gate.second, read)
    for reaction in channel.kinetic.reactions if channel.kinetic else ():
        _names(reaction.forward, read)
        _names(reaction.backward, read)
    if channel.reversal is not None and _parameter(channel.reversal, context.module) is None:
        _names(channel.reversal, read)
    return _parameter_lines(read, context, writer)


def _parameter_lines(read: set[str], context: Context, writer: Writer) -> list[str]:
    constants = [f"{c.name} = {_quantity_text(Fraction(c.quantity), writer.unit_of(c.name))}    "
                 f"# {context.cite(c.span.line)}"
                 for c in context.module.constants if c.name in read and _is_number(c.quantity)]
    return constants + [f"{_rename(d.name)} = {_declared(d, writer)}    # {context.cite(d.span.line)}"
            for d in context.module.declarations
            if d.name in read and d.block in ("PARAMETER", "CONSTANT") and d.name not in _from_cell(context.module)]


def _is_number(text: str) -> bool:
    try:
        Fraction(text)
    except ValueError:
        return False
    return True


def _from_cell(module: ast.Module) -> set[str]:
    """Names the cell provides, whatever block declares them: v, celsius, ion variables."""
    return {"v", "celsius"} | {name for ion in module.ions for name in ion.reads}


def _names(value: Value, found: set[str]) -> None:
    if isinstance(value, Sym):
        found.add(value.name)
    for part in children(value):
        _names(part, found)


def _q10(q10: Q10, context: Context, of: str = "") -> str:
    line = f"q10{' ' + of if of else ''} = {number_text(q10.factor)} at {number_text(q10.reference)} degC"
    if q10.source is None:
        return line
    return f"{line}    # {_one_line(q10.source.text)} ({context.cite(q10.source.line)})"


def _kinetic(kinetic: Kinetic, context: Context, writer: Writer) -> list[str]:
    lines = ["kinetic {"]
    for r in kinetic.reactions:
        rates = f"{writer.write(r.forward, PER_MS)}, {writer.write(r.backward, PER_MS)}"
        lines.append(f"{_INDENT}{_rename(r.left)} <-> {_rename(r.right)} ({rates})    # {context.cite(r.span.line)}")
    lines.append(f"{_INDENT}open {', '.join(_rename(state) for state in kinetic.open)}")
    return lines + ["}"]


def _gate(gate: Gate, context: Context, writer: Writer) -> list[str]:
    power = f" ^ {gate.power}" if gate.power != 1 else ""
    lines = [f"gate {gate.state}{power} {{    # {gate.state}' ({context.cite(gate.span.line)})"]
    if gate.q10 is not None:
        lines.append(f"{_INDENT}{_q10(gate.q10, context)}")
    if gate.form == "rates":
        lines.append(f"{_INDENT}alpha = {writer.write(gate.first, PER_MS)}")
        lines.append(f"{_INDENT}beta = {writer.write(gate.second, PER_MS)}")
    else:
        lines.append(f"{_INDENT}inf = {writer.write(gate.first, NUMBER)}")
        lines.append(f"{_INDENT}tau = {writer.write(gate.second, MS)}")
    return lines + ["}"]
