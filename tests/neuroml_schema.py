"""Strict validation of NeuroML2 documents against NeuroML_v2.3.xsd, for every NeuroML test
(and the library's exports, made once per test session: several test modules read them).

libNeuroML's `validate_neuroml2` (0.6.7) loads a document into libNeuroML's
objects and validates those: an element the schema does not expect where it
stands (a ComponentType before an ionChannelHH, a gateHHratesInf beside a
gateHHrates, a DerivedVariable after a ConditionalDerivedVariable) is dropped
or reordered on loading, and the file passes. So "valid" here means what the
schema says of the text itself: lxml's XMLSchema over the XSD that libNeuroML
ships, on the file and on every file it includes (lxml does not follow
<include href=...>). libNeuroML's loader runs too, as a second reader.

One exception, documented in docs/neuroml.md: a pool document (NAME.pool.nml)
holds a component of its own LEMS ComponentType, `<concentrationModel
type="NAME_dynamics" ...>`, and NeuroML_v2.3.xsd has no element for a component
of a new type (no generic <Component>; its ConcentrationModelTypes are
decayingPoolConcentrationModel and fixedFactorConcentrationModel alone; its only
xs:any wildcards sit in annotation, transitions, reaction schemes, regions and
cell sets). There that element must be the one error, and the document without
it valid.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ionc.export.neuroml import Export, export_file

NAMESPACE = "{http://www.neuroml.org/schema/neuroml2}"


@functools.cache
def library_export(path: Path) -> Export:
    """`ionc export PATH --to neuroml`, once per session (deriving ms_na alone takes seconds)."""
    return export_file(path)


@dataclass(frozen=True)
class SchemaError:
    """One complaint of the schema: the file, its line and lxml's message."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@functools.cache
def _schema() -> Any:  # lxml's XMLSchema (lxml ships no type hints)
    import neuroml
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(Path(neuroml.__file__).parent / "nml" / "NeuroML_v2.3.xsd")))


def schema_errors(path: Path, without: tuple[str, ...] = ()) -> list[SchemaError]:
    """What NeuroML_v2.3.xsd finds wrong in one file; `without` names top-level elements (by tag)
    taken out first, to check that the rest of a document is valid around a known exception."""
    from lxml import etree

    tree = etree.parse(str(path))
    for child in list(tree.getroot()):
        if isinstance(child.tag, str) and child.tag.removeprefix(NAMESPACE) in without:
            tree.getroot().remove(child)
    schema = _schema()
    schema.validate(tree)
    return [SchemaError(path.name, error.line, error.message) for error in schema.error_log]


def with_includes(path: Path) -> list[Path]:
    """The file and every file it includes (<include href=...>, relative to it), each once."""
    from lxml import etree

    found: list[Path] = []
    pending = [path]
    while pending:
        current = pending.pop(0)
        if current in found:
            continue
        found.append(current)
        root = etree.parse(str(current)).getroot()
        pending += [current.parent / i.get("href") for i in root.findall(f"{NAMESPACE}include")]
    return found


CUSTOM_COMPONENT = "concentrationModel"  # the pool's component of its own ComponentType


def assert_only_the_custom_component_is_invalid(path: Path) -> None:
    """A pool document: the schema's one complaint is the <concentrationModel> of the pool's own
    type, without it the document is valid, and libNeuroML loads it."""
    errors = schema_errors(path)
    assert len(errors) == 1, "\n".join(map(str, errors))
    assert f"{CUSTOM_COMPONENT}': This element is not expected" in errors[0].message, str(errors[0])
    rest = schema_errors(path, without=(CUSTOM_COMPONENT,))
    assert not rest, "\n".join(map(str, rest))
    _libneuroml_loads(path)


def assert_valid(path: Path) -> None:
    """The file and the files it includes are valid against the schema, strictly (an included
    pool document with its one documented exception), and libNeuroML loads them."""
    files = with_includes(path)
    for pool in (f for f in files if f.name.endswith(".pool.nml")):
        assert_only_the_custom_component_is_invalid(pool)
    errors = [error for file in files if not file.name.endswith(".pool.nml") for error in schema_errors(file)]
    assert not errors, "not valid against NeuroML_v2.3.xsd:\n" + "\n".join(map(str, errors))
    _libneuroml_loads(path)


def _libneuroml_loads(path: Path) -> None:
    from neuroml.utils import validate_neuroml2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        validate_neuroml2(str(path))  # raises on what libNeuroML cannot load
