"""`ionc import FILE.nml`: NeuroML2 ion channels translated into readable ionc.

The file is read with ionc's own XML grammar (ionc.importer.neuroml_xml) and
each ion channel becomes an ionc channel:

* ionChannelHH / ionChannel / ionChannelPassive: `ion <species>` (or
  nonspecific), the density (`gbar`, or `pbar` for a GHK channel) and a fixed
  reversal `e` from ionc's own properties (`ionc:conductanceDensity`,
  `ionc:permeability`, `ionc:erev`, written by `ionc export --to neuroml`),
  else from a cell's channelDensity in the same file; one gate per
  gateHHrates (alpha, beta), gateHHtauInf (inf, tau), gateHHratesInf,
  gateHHratesTau, gateHHratesTauInf, or `<gate type=...>`;
* a concentrationModel of a ComponentType extending concentrationModel (what
  the export writes for a pool): a `pool` (ionc.importer.neuroml_pool);
* ionChannelKS with one gateKS: a `kinetic` scheme (a forwardTransition and
  a reverseTransition between the same states make one reaction);
* q10Settings: `q10 = Q at T` on the channel when every gate has the same,
  else in each gate; q10Fixed multiplies the rates; q10ConductanceScaling:
  `q10 gbar = Q at T`.

Rates are translated by ionc.importer.neuroml_rates. Whatever is not
translated (cells, networks, includes, an unknown element) is named with its
line in the notes; a channel ionc cannot express is an error at its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ionc.diagnostics import Code, fail
from ionc.importer import Translation
from ionc.importer.neuroml_pool import pool_text, pool_types
from ionc.importer.neuroml_rates import Quantity, quantity, rate_text
from ionc.importer.neuroml_xml import Element, read_xml

CHANNELS = ("ionChannelHH", "ionChannel", "ionChannelKS", "ionChannelPassive")
METADATA = ("notes", "annotation", "property")
GATES = ("gateHHrates", "gateHHtauInf", "gateHHratesInf", "gateHHratesTau", "gateHHratesTauInf")
PROPERTY = "ionc:"


@dataclass
class _Document:
    """What translating one file keeps: its ComponentTypes, the cells' densities, the notes."""

    path: Path
    component_types: dict[str, Element]
    densities: dict[str, Element]  # ion channel id -> the first channelDensity* that places it
    notes: list[str] = field(default_factory=list)

    def where(self, element: Element) -> str:
        return f"{self.path.name}:{element.line}"


def translate_neuroml(path: Path) -> Translation:
    root = read_xml(Path(path))
    if root.name != "neuroml":
        raise fail(Code.E205, f"the root element is <{root.name}>, not <neuroml>", root.span)
    document = _Document(path=Path(path), component_types=_component_types(root), densities=_densities(root))
    _included_component_types(root, document, {Path(path).resolve()})
    blocks = []
    pools = pool_types(document.component_types)
    for child in root.children:
        if child.name in CHANNELS:
            blocks.append(_channel(child, document))
        elif child.name == "concentrationModel" and child.get("type") in pools:
            blocks.append(pool_text(ionc_name(child, document), child, pools[child.get("type") or ""]))
        elif child.name not in ("ComponentType", "include", *METADATA):
            document.notes.append(f"{document.where(child)}: <{child.name}"
                                  f"{' id=' + repr(child.get('id')) if child.get('id') else ''}> not translated: "
                                  "ionc import reads ion channels")
    if not blocks:
        included = [i.get("href") for i in root.find("include") if i.get("href")]
        raise fail(Code.E204, f"{path} has no ion channel (ionChannelHH, ionChannel, ionChannelKS) or pool "
                   "(a concentrationModel of a ComponentType)", root.span,
                   f"it includes {', '.join(map(str, included))}: import those" if included else None)
    header = [f"# Imported by `ionc import` from {Path(path).name} (NeuroML2).", "#",
              "# Each channel below is the NeuroML channel of the same id; rates in NeuroML's standard",
              "# forms are written out (x = (v - midpoint)/scale), LEMS ComponentTypes as their expressions;",
              "# a pool is a concentrationModel's ComponentType (NeuroML's iCa / surfaceArea is -ica)."]
    return Translation(text="\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n", notes=tuple(document.notes))


def _component_types(root: Element) -> dict[str, Element]:
    found = {}
    for definition in root.find("ComponentType"):
        name = definition.attribute("name")
        if name is None:
            raise fail(Code.E204, "<ComponentType> needs a name", definition.span)
        if name.value in found:
            raise fail(Code.E201, f"ComponentType {name.value} is defined twice", name.value_span)
        found[name.value] = definition
    return found


MAX_INCLUDE_DEPTH = 8


def _included_component_types(root: Element, document: _Document, seen: set[Path], depth: int = 0) -> None:
    """The ComponentTypes of the files `root` includes (a channel's rate types often live in one),
    read with the same grammar, relative to the including file; the rest of them is not read."""
    base = Path(root.span.source.path).parent
    for include in root.find("include"):
        href = include.attribute("href")
        if href is None:
            continue
        target = (base / href.value).resolve()
        # only NeuroML files named relative to this one: no URLs, no absolute paths, no other kinds of file
        if Path(href.value).is_absolute() or target.suffix not in (".nml", ".xml") or not target.is_file():
            document.notes.append(f"{document.where(include)}: <include href={href.value!r}> not read: "
                                  "no such .nml file relative to this one")
            continue
        if target in seen or depth >= MAX_INCLUDE_DEPTH:
            continue
        seen.add(target)
        included = read_xml(target)
        for name, definition in _component_types(included).items():
            document.component_types.setdefault(name, definition)
        document.notes.append(f"{document.where(include)}: <include href={href.value!r}> read for its "
                              "ComponentTypes only")
        _included_component_types(included, document, seen, depth + 1)


def _densities(root: Element) -> dict[str, Element]:
    """Each channel's first channelDensity (Nernst, GHK) in the file's cells."""
    found: dict[str, Element] = {}
    stack = list(root.find("cell"))
    while stack:
        element = stack.pop(0)
        if element.name.startswith("channelDensity") and element.get("ionChannel"):
            found.setdefault(element.get("ionChannel") or "", element)
        stack.extend(element.children)
    return found


# ---------------------------------------------------------------- names


@lru_cache(maxsize=1)
def reserved_names() -> frozenset[str]:
    """ionc's keywords (every quoted word of grammar/ionc.lark) and its reserved names."""
    from ionc.sema.resolve import RESERVED
    from ionc.syntax.grammar import grammar_path

    words = re.findall(r'"([A-Za-z_]+)"', grammar_path().read_text(encoding="utf-8"))
    return frozenset(words) | frozenset(RESERVED)


def ionc_name(element: Element, document: _Document, attribute: str = "id") -> str:
    found = element.attribute(attribute)
    if found is None:
        raise fail(Code.E204, f"<{element.name}> needs an {attribute}", element.span)
    name = found.value
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise fail(Code.E205, f"'{name}' is not a NeuroML id", found.value_span)
    if name in reserved_names() or name.startswith("_"):
        renamed = f"{name.strip('_') or 'x'}_nml"
        document.notes.append(f"{document.where(element)}: '{name}' renamed {renamed}: ionc reserves the name")
        return renamed
    return name


# ---------------------------------------------------------------- channels


def _channel(element: Element, document: _Document) -> str:
    name = ionc_name(element, document)
    species = element.attribute("species")
    if species is not None and species.value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", species.value):
        raise fail(Code.E205, f"'{species.value}' is not an ion name", species.value_span)
    body = [f"ion {species.value}" if species is not None and species.value else "nonspecific"]
    body += _density(element, name, document)
    gates = [g for g in element.children if g.name in (*GATES, "gate", "gateKS")]
    q10 = _shared_q10(gates)
    if q10:
        body.append(f"q10 = {q10}")
    scaling = element.find("q10ConductanceScaling")
    if scaling:
        factor = quantity(scaling[0], "q10Factor", "none").ionc()
        temperature = quantity(scaling[0], "experimentalTemp", "temperature").ionc()
        body.append(f"q10 {'pbar' if _is_ghk(element, document) else 'gbar'} = {factor} at {temperature}")
    for child in element.children:
        if child.name not in (*GATES, "gate", "gateKS", "q10ConductanceScaling", *METADATA):
            document.notes.append(f"{document.where(child)}: <{child.name}> in channel {name} not translated")
    kinetic = [g for g in gates if g.name == "gateKS"]
    if kinetic and len(gates) > 1:
        raise fail(Code.E205, "ionc reads one gateKS per channel, alone", kinetic[0].span)
    for gate in gates:
        body += (_kinetic(gate, document, bool(q10)) if gate.name == "gateKS"
                 else _gate(gate, document, bool(q10)))
    comment = _comment_lines(element)
    lines = [*comment, f"channel {name} {{", *(f"    {line}" for line in body), "}"]
    return "\n".join(lines)


def _comment_lines(element: Element) -> list[str]:
    notes = element.find("notes")
    text = notes[0].text if notes else ""
    return [f"# {line}".rstrip() for line in text.splitlines()]


def _is_ghk(element: Element, document: _Document) -> bool:
    properties = _properties(element)
    density = document.densities.get(element.get("id") or "")
    return f"{PROPERTY}permeability" in properties or (density is not None and density.name == "channelDensityGHK")


def _properties(element: Element) -> dict[str, Element]:
    return {p.get("tag") or "": p for p in element.find("property")}


def _property_quantity(element: Element, dimension: str) -> Quantity:
    return quantity(element, "value", dimension)


def _density(element: Element, name: str, document: _Document) -> list[str]:
    """`gbar = ...` (or `pbar`) and, where the channel has its own, `e = ...`."""
    properties = _properties(element)
    placed = document.densities.get(element.get("id") or "")
    lines = []
    if _is_ghk(element, document):
        given = properties.get(f"{PROPERTY}permeability")
        permeability = (_property_quantity(given, "permeability") if given is not None
                        else quantity(placed, "permeability", "permeability") if placed is not None else None)
        lines.append(f"pbar = {permeability.ionc() if permeability else '1e-4 cm/s'}")
        if permeability is None:
            document.notes.append(f"{document.where(element)}: channel {name}: no permeability in the file; "
                                  "pbar = 1e-4 cm/s, set it on insert")
        return lines
    given = properties.get(f"{PROPERTY}conductanceDensity")
    density = (_property_quantity(given, "conductanceDensity") if given is not None
               else quantity(placed, "condDensity", "conductanceDensity")
               if placed is not None and placed.get("condDensity") else None)
    lines.append(f"gbar = {density.ionc() if density else '1 mS/cm2'}")
    if density is None:
        document.notes.append(f"{document.where(element)}: channel {name}: no conductance density in the file; "
                              "gbar = 1 mS/cm2, set it on insert")
    reversal = properties.get(f"{PROPERTY}erev")
    if reversal is not None:
        lines.append(f"e = {_property_quantity(reversal, 'voltage').ionc()}")
    elif not element.get("species"):
        if placed is None or placed.get("erev") is None:
            raise fail(Code.E204, f"channel {name} is nonspecific and the file gives it no reversal potential",
                       element.span, "place it in a cell with a channelDensity erev=...")
        lines.append(f"e = {quantity(placed, 'erev', 'voltage').ionc()}")
    return lines


# ---------------------------------------------------------------- q10


def _q10_text(gate: Element) -> str | None:
    """'3 at 6.3 degC' for a gate's q10ExpTemp; None without one (q10Fixed: see _fixed_q10)."""
    settings = gate.find("q10Settings")
    if not settings or settings[0].get("type") != "q10ExpTemp":
        return None
    factor = quantity(settings[0], "q10Factor", "none").ionc()
    return f"{factor} at {quantity(settings[0], 'experimentalTemp', 'temperature').ionc()}"


def _fixed_q10(gate: Element) -> str | None:
    settings = gate.find("q10Settings")
    if not settings:
        return None
    kind = settings[0].attribute("type")
    if kind is None or kind.value not in ("q10ExpTemp", "q10Fixed"):
        raise fail(Code.E200, f"unknown q10Settings type '{kind.value if kind else ''}'",
                   kind.value_span if kind else settings[0].span, "NeuroML2 has q10ExpTemp and q10Fixed")
    return quantity(settings[0], "fixedQ10", "none").ionc() if kind.value == "q10Fixed" else None


def _shared_q10(gates: list[Element]) -> str | None:
    """The q10ExpTemp every gate has, written once on the channel."""
    texts = {_q10_text(g) for g in gates}
    return texts.pop() if len(texts) == 1 and gates else None


# ---------------------------------------------------------------- gates


def _gate(gate: Element, document: _Document, shared_q10: bool) -> list[str]:
    kind = gate.get("type") if gate.name == "gate" else gate.name
    if kind not in GATES:
        raise fail(Code.E205, f"ionc cannot translate a gate of type {kind}", gate.span,
                   "ionc reads gateHHrates, gateHHtauInf, gateHHratesInf, gateHHratesTau, gateHHratesTauInf")
    name = ionc_name(gate, document)
    power = _instances(gate)
    types = document.component_types
    fixed = _fixed_q10(gate)
    body = [] if shared_q10 or _q10_text(gate) is None else [f"q10 = {_q10_text(gate)}"]

    def rate(tag: str, what: str) -> str:
        found = gate.find(tag)
        if not found:
            raise fail(Code.E204, f"a {kind} needs a <{tag}>", gate.span)
        text = rate_text(found[0], what, types)
        return text if fixed is None or what == "variable" else \
            (f"{fixed} * ({text})" if what == "rate" else f"({text}) / {fixed}")

    if kind == "gateHHrates":
        body += [f"alpha = {rate('forwardRate', 'rate')}", f"beta = {rate('reverseRate', 'rate')}"]
    elif kind == "gateHHtauInf" or kind == "gateHHratesTauInf":
        body += [f"inf = {rate('steadyState', 'variable')}", f"tau = {rate('timeCourse', 'time')}"]
    elif kind == "gateHHratesInf":
        body += [f"forward = {rate('forwardRate', 'rate')}", f"reverse = {rate('reverseRate', 'rate')}",
                 f"inf = {rate('steadyState', 'variable')}", "tau = 1 / (forward + reverse)"]
    else:  # gateHHratesTau
        body += [f"forward = {rate('forwardRate', 'rate')}", f"reverse = {rate('reverseRate', 'rate')}",
                 "inf = forward / (forward + reverse)", f"tau = {rate('timeCourse', 'time')}"]
    for child in gate.children:
        if child.name not in ("notes", "q10Settings", "forwardRate", "reverseRate", "steadyState", "timeCourse"):
            document.notes.append(f"{document.where(child)}: <{child.name}> in gate {name} not translated")
    header = f"gate {name}" + (f" ^ {power}" if power != 1 else "")
    return [f"{header} {{", *(f"    {line}" for line in body), "}"]


def _instances(gate: Element) -> int:
    instances = gate.attribute("instances")
    if instances is None:
        raise fail(Code.E204, f"<{gate.name}> needs instances (the gate's power)", gate.span)
    if not re.fullmatch(r"[1-9][0-9]{0,2}", instances.value.strip()):
        raise fail(Code.E303, f"instances must be a whole number from 1 to 999, not '{instances.value}'",
                   instances.value_span)
    return int(instances.value)


# ---------------------------------------------------------------- kinetic schemes


def _kinetic(gate: Element, document: _Document, shared_q10: bool) -> list[str]:
    if _instances(gate) != 1:
        raise fail(Code.E205, "ionc's kinetic schemes have one instance", gate.span)
    if _fixed_q10(gate) is not None:
        raise fail(Code.E205, "ionc cannot translate q10Fixed on a gateKS", gate.span)
    states = {s.get("id") or "": ionc_name(s, document) for s in gate.find("closedState", "openState")}
    opened = [states[s.get("id") or ""] for s in gate.find("openState")]
    reactions: dict[tuple[str, str], list[str]] = {}
    for transition in gate.children:
        if transition.name in ("forwardTransition", "reverseTransition"):
            _transition(transition, states, reactions, document.component_types)
        elif transition.name not in ("notes", "q10Settings", "closedState", "openState"):
            raise fail(Code.E205, f"ionc cannot translate a {transition.name}", transition.span,
                       "ionc reads forwardTransition and reverseTransition")
    lines = [f"{a} <-> {b} ({forward}, {backward})" for (a, b), (forward, backward) in reactions.items()]
    if not opened:
        raise fail(Code.E204, "a gateKS needs an openState", gate.span)
    return ["kinetic {", *(f"    {line}" for line in lines), f"    open {', '.join(opened)}", "}"]


def _transition(transition: Element, states: Mapping[str, str], reactions: dict[tuple[str, str], list[str]],
                component_types: Mapping[str, Element]) -> None:
    ends = []
    for end in ("from", "to"):
        attribute = transition.attribute(end)
        if attribute is None:
            raise fail(Code.E204, f"<{transition.name}> needs {end}=", transition.span)
        if attribute.value not in states:
            raise fail(Code.E200, f"no state '{attribute.value}' in the gateKS", attribute.value_span)
        ends.append(states[attribute.value])
    rates = transition.find("rate")
    if not rates:
        raise fail(Code.E204, f"<{transition.name}> needs a <rate>", transition.span)
    pair = reactions.setdefault((ends[0], ends[1]), ["0 /ms", "0 /ms"])
    pair[0 if transition.name == "forwardTransition" else 1] = rate_text(rates[0], "rate", component_types)
