"""NeuroML2 text -> a tree of frozen `Element`s with spans (grammar/neuroml.lark).

The reader is ionc's own: lark parses the XML subset NeuroML uses, and every
mistake (a bad character, a tag closed by another name, an unknown entity, a
repeated attribute) is an ionc diagnostic with file:line:col and a caret,
never a Python traceback. Nothing in the file is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ionc.diagnostics import Code, Diagnostic, IoncError, fail
from ionc.source import SourceFile, Span

MAX_SOURCE_BYTES = 20_000_000
MAX_DEPTH = 200  # elements nested deeper are refused (the tree is walked recursively)
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ENTITY = re.compile(r"&([^;&\s<]*);?")

_FRIENDLY = {
    "NAME": "a name", "STRING": "a quoted value", "TEXT": "text", "COMMENT": "a comment",
    "CDATA": "a CDATA section", "PI": "a processing instruction", "XML_DECL": "the XML declaration",
    "LESSTHAN": "'<'", "MORETHAN": "'>'", "SLASH_MORETHAN": "'/>'", "LESSTHAN_SLASH": "'</'",
    "EQUAL": "'='", "$END": "end of file", "__ANON_0": "'/>'", "__ANON_1": "'</'",
}


@dataclass(frozen=True)
class Attribute:
    name: str
    value: str  # entities decoded
    span: Span  # the name
    value_span: Span  # the value, without its quotes

    def __repr__(self) -> str:
        return f"{self.name}={self.value!r}"


@dataclass(frozen=True)
class Element:
    """One element: its name, attributes in order, children and text (entities decoded)."""

    name: str
    attributes: tuple[Attribute, ...]
    children: tuple[Element, ...]
    text: str
    span: Span  # the name in the start tag

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self.attribute(name)
        return default if found is None else found.value

    def find(self, *names: str) -> list[Element]:
        return [c for c in self.children if c.name in names]

    @property
    def line(self) -> int:
        return self.span.line


def grammar_path() -> Path:
    """grammar/neuroml.lark: in the wheel (ionc/grammar) or in a checkout."""
    for candidate in (_PACKAGE_ROOT / "grammar" / "neuroml.lark", _PACKAGE_ROOT.parent.parent / "grammar" /
                      "neuroml.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("neuroml.lark not found: the ionc installation is incomplete")


@lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", propagate_positions=True)


# the encodings an XML declaration may name that ionc reads (NeuroML files are UTF-8 or Latin-1)
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "latin-1", "latin-1": "latin-1",
             "latin1": "latin-1", "us-ascii": "ascii", "ascii": "ascii"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def read_xml(path: Path) -> Element:
    data = path.read_bytes()
    declared = _DECLARED.match(data[:200])
    name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    encoding = ENCODINGS.get(name)
    if encoding is None:
        source = SourceFile(str(path), data.decode("utf-8", errors="replace"))
        start = declared.start(1) if declared else 0
        raise fail(Code.E102, f"ionc reads UTF-8 and ISO-8859-1 files, not {name}", Span(source, start, start + len(name)))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        source = SourceFile(str(path), data.decode(encoding, errors="replace"))
        raise fail(Code.E102, f"the file is not {name} text (its XML declaration says it is)",
                   Span(source, error.start, error.start + 1)) from None
    return parse_xml(SourceFile(str(path), text))


def parse_xml(source: SourceFile) -> Element:
    """The document's root element; IoncError for any mistake."""
    if len(source.text) > MAX_SOURCE_BYTES:
        raise fail(Code.E500, f"file is larger than {MAX_SOURCE_BYTES} bytes", Span(source, 0, 1))
    _refuse_deep(source)
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as error:
        raise _diagnostic(error, source) from None
    try:
        root: Element = _ToElements(source).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, IoncError):
            raise error.orig_exc from None
        raise
    return root


def _refuse_deep(source: SourceFile) -> None:
    """Nesting deeper than MAX_DEPTH (counted on the text, before parsing) is refused."""
    depth = 0
    for match in re.finditer(r"<(/?)[A-Za-z_][^<>]*?(/?)>|<!--([^-]|-[^-])*-->", source.text):
        if match.group(0).startswith("<!--"):
            continue
        if match.group(1):
            depth -= 1
        elif not match.group(2):
            depth += 1
            if depth > MAX_DEPTH:
                raise fail(Code.E500, f"elements nested more than {MAX_DEPTH} deep",
                           Span(source, match.start(), match.end()))


def decode(text: str, span: Span) -> str:
    """Character data with its entities replaced; an unknown entity is an error at its place."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        where = span.sub(match.start(), match.end())
        if not match.group(0).endswith(";"):
            raise fail(Code.E102, "'&' starts an entity that has no ';' (write &amp; for '&')", where)
        if name in ENTITIES:
            return ENTITIES[name]
        number = re.fullmatch(r"#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6})", name)
        if number is not None:
            code = int(number.group(1)) if number.group(1) else int(number.group(2), 16)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code)
        raise fail(Code.E102, f"unknown entity '&{name};'", where,
                   "XML knows &amp; &lt; &gt; &quot; &apos; and &#N; (NeuroML defines no others)")
    return _ENTITY.sub(replace, text) if "&" in text else text


class _ToElements(Transformer):  # type: ignore[type-arg]
    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source

    def _span(self, token: Token) -> Span:
        start = token.start_pos or 0
        return Span(self.source, start, max(token.end_pos or start + 1, start + 1))

    def start(self, items: list[object]) -> Element:
        return next(i for i in items if isinstance(i, Element))

    def attribute(self, items: list[Token]) -> Attribute:
        name, value = items
        value_span = self._span(value).sub(1, len(value) - 1)
        return Attribute(name=str(name), value=decode(str(value)[1:-1], value_span), span=self._span(name),
                         value_span=value_span)

    def empty_element(self, items: list[object]) -> Element:
        name = items[0]
        assert isinstance(name, Token)
        return self._element(name, [i for i in items[1:] if isinstance(i, Attribute)], [])

    def full_element(self, items: list[object]) -> Element:
        name, closing = items[0], items[-1]
        assert isinstance(name, Token) and isinstance(closing, Token)
        if str(closing) != str(name):
            raise IoncError((_mismatch(self._span(closing), self._span(name)),))
        attributes = [i for i in items[1:-1] if isinstance(i, Attribute)]
        return self._element(name, attributes, items[1:-1])

    def _element(self, name: Token, attributes: list[Attribute], content: list[object]) -> Element:
        seen: dict[str, Attribute] = {}
        for attribute in attributes:
            if attribute.name in seen:
                raise fail(Code.E201, f"attribute '{attribute.name}' given twice in <{name}>", attribute.span)
            seen[attribute.name] = attribute
        children = tuple(c for c in content if isinstance(c, Element))
        text = "".join(self._text(c) for c in content if isinstance(c, Token))
        return Element(name=str(name), attributes=tuple(attributes), children=children, text=text.strip(),
                       span=self._span(name))

    def _text(self, token: Token) -> str:
        if token.type == "TEXT":
            return decode(str(token), self._span(token))
        if token.type == "CDATA":
            return str(token)[len("<![CDATA["):-len("]]>")]
        return ""  # comments and processing instructions


def _mismatch(closing: Span, opening: Span) -> Diagnostic:
    return Diagnostic(Code.E100, f"</{closing.text}> closes <{opening.text}>", closing,
                      f"close it with </{opening.text}>", notes=((f"<{opening.text}> opens here", opening),))


def _describe(names: set[str]) -> str:
    return ", ".join(sorted({_FRIENDLY.get(n, n.lower()) for n in names}))


def _diagnostic(error: UnexpectedInput, source: SourceFile) -> IoncError:
    end = len(source.text)
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            return fail(Code.E101, f"the file ends too early; expected {_describe(error.expected)}",
                        Span(source, max(end - 1, 0), max(end, 1)))
        start = token.start_pos or 0
        first = str(token).strip().splitlines()[0] if str(token).strip() else str(token)
        shown = first if len(first) < 40 else first[:37] + "..."
        return fail(Code.E100, f"unexpected '{shown}'; expected {_describe(error.expected)}",
                    Span(source, start, max(token.end_pos or start + 1, start + 1)))
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream or 0
        hint = "write &lt; for '<' and &amp; for '&' in text" if source.text[start] in "<&" else None
        expected = _describe(set(error.allowed or ()))
        return fail(Code.E102, f"unexpected character {source.text[start]!r}; expected {expected}",
                    Span(source, start, start + 1), hint)
    if isinstance(error, UnexpectedEOF):
        return fail(Code.E101, "the file ends too early", Span(source, max(end - 1, 0), max(end, 1)))
    return fail(Code.E100, str(error).splitlines()[0], Span(source, 0, 1))
