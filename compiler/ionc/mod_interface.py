"""The interface of a NEURON .mod file, as `ionc verify --against FILE.mod` needs it.

Not a parser of NMODL (the importer, `ionc.importer`, is one): only the
declarations that say how to drive and read a density mechanism, found in the
text with its comments removed:

* its SUFFIX; the ions it reads and writes (USEION ... READ ... WRITE ...) and
  its NONSPECIFIC_CURRENTs, so that its total current can be summed;
* its PARAMETERs with their default values and units (`gbar = .12 (S/cm2)`),
  and which of them are RANGE (set per segment) or GLOBAL (one value, set
  as `name_SUFFIX`);
* its STATEs.

A declaration this reader cannot understand is left out (verify then says
which parameters it could not pair); the file itself is compiled by nrnivmodl,
which reports its real mistakes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# names a PARAMETER block may declare that NEURON itself sets: never a channel's parameter
NEURON_GLOBALS = frozenset({"v", "t", "dt", "celsius", "area", "diam"})


@dataclass(frozen=True)
class ModParameter:
    name: str
    value: float
    unit: str  # as written between the parentheses, '' if none: 'S/cm2', 'mho/cm2', '/ms'
    is_range: bool  # RANGE: set per segment; otherwise GLOBAL (name_SUFFIX in hoc)


@dataclass(frozen=True)
class ModInterface:
    suffix: str
    reads: tuple[str, ...]  # ion variables read: 'ena', 'cai'
    writes: tuple[str, ...]  # ion variables written: 'ina', 'cai'
    nonspecific: tuple[str, ...]  # NONSPECIFIC_CURRENT names
    parameters: tuple[ModParameter, ...]
    states: tuple[str, ...]

    @property
    def ion_currents(self) -> tuple[str, ...]:
        """The ion currents it writes ('ina', 'ik'): read from the segment."""
        return tuple(w for w in self.writes if w.startswith("i"))

    @property
    def is_pool(self) -> bool:
        """Whether it writes a concentration (cai, nao, ...) rather than a current."""
        return any(not w.startswith("i") for w in self.writes) and not self.ion_currents and not self.nonspecific

    def parameter(self, name: str) -> ModParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


class ModFileError(ValueError):
    """The file is no density mechanism this reader can drive (no SUFFIX, a POINT_PROCESS)."""


def strip_comments(text: str) -> str:
    """The text without COMMENT ... ENDCOMMENT blocks, ':' and '?' comments (line numbers kept)."""
    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group(0).count("\n")

    text = re.sub(r"^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", blank, text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"[:?][^\n]*", "", text)


def _block(text: str, keyword: str) -> str:
    """The body of the first top-level `KEYWORD { ... }` (blocks of declarations hold no braces)."""
    found = re.search(rf"^\s*{keyword}\s*\{{([^}}]*)\}}", text, re.MULTILINE)
    return found.group(1) if found else ""


def _names(statement: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r",", " ", statement))


def read_interface(text: str) -> ModInterface:
    """The interface of a .mod file's text."""
    code = strip_comments(text)
    neuron = _block(code, "NEURON")
    suffix = re.search(r"\bSUFFIX\s+(\w+)", neuron)
    if suffix is None:
        kind = re.search(r"\b(POINT_PROCESS|ARTIFICIAL_CELL)\b", neuron)
        raise ModFileError(f"it is a {kind.group(1)}, not a density mechanism" if kind
                           else "its NEURON block has no SUFFIX: it is not a density mechanism")
    reads: list[str] = []
    writes: list[str] = []
    for rest in re.findall(r"\bUSEION\s+\w+([^\n]*)", neuron):
        for verb, names in re.findall(r"\b(READ|WRITE)\s+([\w\s,]+?)(?=\b(?:READ|WRITE|VALENCE|REPRESENTS)\b|$)",
                                      rest):
            (reads if verb == "READ" else writes).extend(_names(names))
    nonspecific = [n for line in re.findall(r"\bNONSPECIFIC_CURRENT\s+([\w\s,]+?)$", neuron, re.MULTILINE)
                   for n in _names(line)]
    ranges = {n for line in re.findall(r"\bRANGE\s+([\w\s,]+?)$", neuron, re.MULTILINE) for n in _names(line)}
    ion_variables = set(reads) | set(writes)
    parameters = []
    for name, value, unit in re.findall(rf"\b(\w+)\s*=\s*({NUMBER})\s*(?:\(([^)]*)\))?", _block(code, "PARAMETER")):
        if name in NEURON_GLOBALS or name in ion_variables:
            continue
        parameters.append(ModParameter(name=name, value=float(value), unit=unit.strip(), is_range=name in ranges))
    states = re.sub(r"\([^)]*\)|<[^>]*>|\bFROM\b.*?\bTO\b\s*" + NUMBER, " ", _block(code, "STATE"))
    return ModInterface(
        suffix=suffix.group(1), reads=tuple(dict.fromkeys(reads)), writes=tuple(dict.fromkeys(writes)),
        nonspecific=tuple(nonspecific), parameters=tuple(parameters), states=tuple(re.findall(r"[A-Za-z_]\w*", states)),
    )
