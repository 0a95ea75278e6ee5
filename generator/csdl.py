"""Read an OData V4 CSDL XML document (`$metadata`) into the intermediate model.

The reader is lenient where real services are sloppy (it warns through
:class:`~generator.errors.Diagnostics` and goes on) and strict where going on would produce
a wrong client (it raises :class:`~generator.errors.MetadataError` naming the source, line
and element).  Every type, term and target name in the model is resolved from its alias to
the full namespace.  Declaration order is kept everywhere so the output is deterministic.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import attrs
from lxml import etree

from .errors import Diagnostics, MetadataError
from .fetch import MAX_BYTES, document_kind, read_source
from .identifiers import (
    NAMESPACE_RULE,
    QUALIFIED_RULE,
    SIMPLE_IDENTIFIER_RULE,
    bidi_characters,
    describe_characters,
    identifier_flaw,
    namespace_ok,
    qualified_ok,
)
from .model import (
    Annotation,
    AnnotationValue,
    Container,
    EntitySet,
    EnumMember,
    EnumType,
    Model,
    NavigationBinding,
    NavigationProperty,
    Operation,
    OperationImport,
    OperationKind,
    Parameter,
    Property,
    Reference,
    ReferentialConstraint,
    SourceLocation,
    StructuredKind,
    StructuredType,
    Term,
    TypeDefinition,
    TypeRef,
)

__all__ = ["load_metadata", "parse_metadata"]

EDMX_NS = "http://docs.oasis-open.org/odata/ns/edmx"
EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
_EDMX = "{" + EDMX_NS + "}"
_EDM = "{" + EDM_NS + "}"

SUPPORTED_VERSIONS = ("4.0", "4.01")
CORE_OPTIONAL_PARAMETER = "Org.OData.Core.V1.OptionalParameter"

_EDM_NAMES = (
    "Binary",
    "Boolean",
    "Byte",
    "Date",
    "DateTimeOffset",
    "Decimal",
    "Double",
    "Duration",
    "Guid",
    "Int16",
    "Int32",
    "Int64",
    "SByte",
    "Single",
    "Stream",
    "String",
    "TimeOfDay",
    "Geography",
    "GeographyPoint",
    "GeographyLineString",
    "GeographyPolygon",
    "GeographyMultiPoint",
    "GeographyMultiLineString",
    "GeographyMultiPolygon",
    "GeographyCollection",
    "Geometry",
    "GeometryPoint",
    "GeometryLineString",
    "GeometryPolygon",
    "GeometryMultiPoint",
    "GeometryMultiLineString",
    "GeometryMultiPolygon",
    "GeometryCollection",
    "PrimitiveType",
    "ComplexType",
    "EntityType",
    "Untyped",
    "AnnotationPath",
    "PropertyPath",
    "NavigationPropertyPath",
    "AnyPropertyPath",
    "ModelElementPath",
)
EDM_TYPES = frozenset("Edm." + n for n in _EDM_NAMES)
_ENUM_UNDERLYING = frozenset({"Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64"})

# Constant expressions written as attributes (or as elements with text) and path
# expressions, which become {"$PropertyPath": "..."}-style dicts.
_TEXT_CONSTANTS = frozenset({"String", "Binary", "Date", "DateTimeOffset", "Duration", "Guid", "TimeOfDay"})
_PATHS = frozenset(
    {"Path", "PropertyPath", "NavigationPropertyPath", "AnnotationPath", "ModelElementPath", "AnyPropertyPath"}
)
_CONSTANT_ATTRS = _TEXT_CONSTANTS | _PATHS | {"Bool", "Int", "Float", "Decimal", "EnumMember", "UrlRef"}
_UNARY_EXPRESSIONS = frozenset({"Not", "Neg", "Cast", "IsOf", "UrlRef", "LabeledElement"})

_FACETS = ("Nullable", "MaxLength", "Precision", "Scale", "SRID", "Unicode")
_KNOWN_ATTRS: dict[str, frozenset[str]] = {
    "Schema": frozenset({"Namespace", "Alias"}),
    "EntityType": frozenset({"Name", "BaseType", "Abstract", "OpenType", "HasStream"}),
    "ComplexType": frozenset({"Name", "BaseType", "Abstract", "OpenType"}),
    "Key": frozenset(),
    "PropertyRef": frozenset({"Name", "Alias"}),
    "Property": frozenset({"Name", "Type", "DefaultValue", *_FACETS}),
    "NavigationProperty": frozenset({"Name", "Type", "Nullable", "Partner", "ContainsTarget"}),
    "ReferentialConstraint": frozenset({"Property", "ReferencedProperty"}),
    "OnDelete": frozenset({"Action"}),
    "EnumType": frozenset({"Name", "UnderlyingType", "IsFlags"}),
    "Member": frozenset({"Name", "Value"}),
    "TypeDefinition": frozenset({"Name", "UnderlyingType", *_FACETS}),
    "Action": frozenset({"Name", "IsBound", "EntitySetPath"}),
    "Function": frozenset({"Name", "IsBound", "IsComposable", "EntitySetPath"}),
    "Parameter": frozenset({"Name", "Type", *_FACETS}),
    "ReturnType": frozenset({"Type", *_FACETS}),
    "Term": frozenset({"Name", "Type", "BaseTerm", "DefaultValue", "AppliesTo", *_FACETS}),
    "EntityContainer": frozenset({"Name", "Extends"}),
    "EntitySet": frozenset({"Name", "EntityType", "IncludeInServiceDocument"}),
    "Singleton": frozenset({"Name", "Type", "Nullable"}),
    "NavigationPropertyBinding": frozenset({"Path", "Target"}),
    "ActionImport": frozenset({"Name", "Action", "EntitySet"}),
    "FunctionImport": frozenset({"Name", "Function", "EntitySet", "IncludeInServiceDocument"}),
    "Annotations": frozenset({"Target", "Qualifier"}),
    "Annotation": frozenset({"Term", "Qualifier", *_CONSTANT_ATTRS}),
    "Reference": frozenset({"Uri"}),
    "Include": frozenset({"Namespace", "Alias"}),
    "IncludeAnnotations": frozenset({"TermNamespace", "Qualifier", "TargetNamespace"}),
    "DataServices": frozenset(),
}

_ROOT_START = re.compile(rb"<[A-Za-z_:]")
_PATH_TOKEN = re.compile(r"[^/()@#,\s]+")
_INTEGER = re.compile(r"[+-]?\d+")

# Keys under which annotations are collected before the frozen model is built:
# ("Q", qualified) for types, enums, type definitions, terms and the container;
# ("Q", qualified, child) for properties, navigation properties, enum members and the
# container's children; ("O", index) for an operation overload; ("P", index, name) for a
# parameter of that overload.
_Key = tuple[Any, ...]


def load_metadata(
    source: str,
    *,
    max_bytes: int = MAX_BYTES,
    timeout: float = 30.0,
    diagnostics: Diagnostics | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> Model:
    """Read a `$metadata` document from a file path or an http(s) URL into a model."""
    # Passed on without a name here, the bytes can be freed once parsed (see parse_metadata).
    return parse_metadata(
        read_source(source, max_bytes=max_bytes, timeout=timeout, headers=headers), source, diagnostics=diagnostics
    )


def parse_metadata(data: bytes, source: str, *, diagnostics: Diagnostics | None = None) -> Model:
    """Read a `$metadata` document given as bytes; `source` names it in messages."""
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    _refuse_unparsable(data, source)
    document = _Document(data, source, diagnostics)
    # When this is the last reference, the document's bytes go once no pass needs them.
    del data
    return document.read()


# --------------------------------------------------------------------------- parsing

_DTD_MESSAGE = "DTDs are not allowed (possible XXE or entity expansion attack)"
# Fed in small pieces, so that the parser's events (a tuple and an element each) are taken soon
# after they are made: a megabyte's worth outlived the young garbage-collector generations and
# made it walk the whole heap (growing with the model) ever more often.
_FEED = 1 << 16
# Unknown elements and attributes left in the tree for the reader to warn about, in document
# order; past these, they are dropped while parsing and summed up in one warning per kind.
_UNKNOWN_KEPT = 100
_ANNOTATION = _EDM + "Annotation"


def _allowed(*names: str) -> frozenset[str]:
    return frozenset({_EDM + n for n in names} | {_ANNOTATION})


# The children CSDL allows in each element the reader walks.  An element outside this table
# allows Annotation children only; inside an Annotation every element is kept, since the reader
# reads any element there as an expression.  The reader reads nothing else (it warns and skips).
_SCHEMA_CHILDREN = ("EntityType", "ComplexType", "EnumType", "Action", "Function", "TypeDefinition", "Term")
_CHILDREN: dict[str, frozenset[str]] = {
    _EDMX + "Edmx": frozenset({_EDMX + "Reference", _EDMX + "DataServices"}),
    _EDMX + "Reference": frozenset({_EDMX + "Include", _EDMX + "IncludeAnnotations", _ANNOTATION}),
    _EDMX + "DataServices": frozenset({_EDM + "Schema"}),
    _EDM + "Schema": _allowed(*_SCHEMA_CHILDREN, "EntityContainer", "Annotations"),
    _EDM + "EntityType": _allowed("Key", "Property", "NavigationProperty"),
    _EDM + "ComplexType": _allowed("Property", "NavigationProperty"),
    _EDM + "Key": _allowed("PropertyRef"),
    _EDM + "NavigationProperty": _allowed("ReferentialConstraint", "OnDelete"),
    _EDM + "EnumType": _allowed("Member"),
    _EDM + "Action": _allowed("Parameter", "ReturnType"),
    _EDM + "Function": _allowed("Parameter", "ReturnType"),
    _EDM + "EntityContainer": _allowed("EntitySet", "Singleton", "ActionImport", "FunctionImport"),
    _EDM + "EntitySet": _allowed("NavigationPropertyBinding"),
    _EDM + "Singleton": _allowed("NavigationPropertyBinding"),
}
_ANNOTATIONS_ONLY = frozenset({_ANNOTATION})
_KNOWN_ATTRS_BY_TAG = {ns + name: known for name, known in _KNOWN_ATTRS.items() for ns in (_EDM, _EDMX)}
# Markers on the parser's stack, besides the children an element allows: inside an Annotation
# (keep all), an unknown element kept for its warning (its content dropped), a dropped one.
# Distinct objects compared with `is` (no tag has these names; frozenset() would be one object).
_ALL = frozenset({"<all>"})
_HOLLOW = frozenset({"<hollow>"})
_DROPPED = frozenset({"<dropped>"})
_CONTAINER_CHILDREN = frozenset(_EDM + n for n in ("EntitySet", "Singleton", "ActionImport", "FunctionImport"))
# The parts of `_Reader.read`'s reading order, in that order: the root's attributes, its children
# (edmx:Reference, edmx:DataServices, unknown elements), DataServices' children, the Schemas'
# attributes, the Schemas' children (the content), the checks once everything is read.
_R_ROOT, _R_EDMX, _R_DATA_SERVICES, _R_SCHEMA, _R_CONTENT, _R_FINISH = range(6)
_NOT_FAILED = _R_FINISH + 1
_ALL_RANKS = frozenset(range(_R_FINISH))
_PRELUDE = frozenset(range(_R_CONTENT))
_CONTENT_ONLY = frozenset({_R_CONTENT})
# Warnings of the parts before the content a pass holds back (see _Reader.held); past these,
# the parts are read one pass each.
_HELD_MOST = 10_000
# One pass per part, as `_Reader.read` reads a whole tree.
_RANK_PASSES = (frozenset({_R_ROOT, _R_EDMX}), frozenset({_R_DATA_SERVICES}), frozenset({_R_SCHEMA}), _CONTENT_ONLY)
# Children read and ended are unlinked from their (open) parent this many at a time: one at a
# time would cost a Python call for each of Graph's 40,000 elements, most of which belong to
# elements with fewer children than this, freed whole with them.
_BATCH = 64


def _refuse_unparsable(data: bytes, source: str) -> None:
    """Refuse what is no XML document at all, or one with a DTD, before lxml sees the bytes."""
    if not data or data.isspace():
        raise MetadataError("the document is empty", source=source)
    kind = document_kind(data)
    if kind is not None:
        raise MetadataError(
            f"the document is {kind}, not an OData CSDL XML document ($metadata, which starts with <edmx:Edmx>)",
            source=source,
        )
    # A DOCTYPE can only come before the root element: look there before lxml sees the
    # bytes at all, so an entity bomb is never handed to the parser.
    start = _ROOT_START.search(data)
    prolog = data[: start.start()] if start else data
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        at = prolog.find(marker)
        if at >= 0:
            line = prolog.count(b"\n", 0, at) + 1
            raise MetadataError(_DTD_MESSAGE, source=source, line=line, element="!DOCTYPE")


def _parse_xml(data: bytes, source: str, pruner: _Pruner) -> etree._Element:
    """The document's tree, streamed through `pruner`, which drops what the reader never reads."""
    # Streamed: what the reader never reads (vendor elements, unknown attributes) is dropped as
    # it is parsed, so it costs neither tree nodes nor a warning each.  Blank text between
    # elements is dropped too (it doubles the tree); text inside an element is kept.
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
    )
    try:
        for at in range(0, len(data), _FEED):
            parser.feed(data[at : at + _FEED])
            pruner.take(_elements(parser))
        root = parser.close()
        pruner.take(_elements(parser))
    except etree.XMLSyntaxError as e:
        raise MetadataError(f"malformed XML: {e.msg}", source=source, line=e.lineno or None) from None
    pruner.flush()
    _refuse_dtd(root, source)
    return root


def _elements(parser: etree.XMLPullParser) -> Iterator[tuple[str, etree._Element]]:
    # Only "start" and "end" events were asked for: each comes with an element.
    return cast(Iterator[tuple[str, etree._Element]], parser.read_events())


def _refuse_dtd(root: etree._Element, source: str) -> None:
    docinfo = root.getroottree().docinfo
    # The byte scan misses other encodings (UTF-16): check what the parser saw as well.
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise MetadataError(_DTD_MESSAGE, source=source, element="!DOCTYPE")


_ALIAS_TAG = re.compile(rb"<(?:[^\s<>/:]+:)?(Schema|Include)\s")
_ALIAS_ATTR = re.compile(rb"""\s(Namespace|Alias)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
# Past this many "Alias" strings the scan stops: real documents declare a few aliases, and a
# wrong or missing guess costs a second pass, never a wrong model.
_ALIAS_SCAN_MOST = 10_000


def _predict_aliases(data: bytes) -> dict[str, str]:
    """The aliases the document declares, by a scan of its bytes, includes first as the reader registers them.

    A Schema's children are read before later Schemas are parsed, yet may use their aliases
    (Graph's first schema uses `self.`, declared by the ninth).  Only a guess: the reader checks
    every alias it looked up against the ones it registers (`_Reader.confirm_aliases`).
    """
    found: list[tuple[bool, str, str]] = []
    at = data.find(b"Alias")
    for _ in range(_ALIAS_SCAN_MOST):
        if at < 0:
            break
        start = data.rfind(b"<", max(0, at - 4096), at)
        end = data.find(b">", at, at + 4096)
        tag = _ALIAS_TAG.match(data, start) if start >= 0 and end >= 0 else None
        if tag is not None:
            attrs = {name: one or other for name, one, other in _ALIAS_ATTR.findall(data, start, end)}
            if b"Alias" in attrs and b"Namespace" in attrs:
                alias, namespace = (
                    attrs[b"Alias"].decode(errors="replace"),
                    attrs[b"Namespace"].decode(errors="replace"),
                )
                found.append((tag.group(1) == b"Include", alias, namespace))
        at = data.find(b"Alias", end if tag is not None else at + 5)
    predicted: dict[str, str] = {}
    for include in (True, False):
        for is_include, alias, namespace in found:
            if is_include == include:
                predicted.setdefault(alias, namespace)
    return predicted


class _Restart(Exception):
    """The pass cannot give what `_Reader.read` gives: the document is read again, part by part."""


class _Document:
    """Reads a document while it is parsed and frees each element once read (see _Frame).

    `_Reader.read` reads a whole tree part by part, each part in document order: the root, its
    children, DataServices' children, the Schemas' attributes, then the Schemas' children (the
    content).  Parsing gives the parts mixed (a Schema's content before a later Schema, a
    Reference after DataServices), so the first pass reads them in document order with the
    aliases the content looks up predicted from the bytes, which gives what `read` gives as long
    as whatever it says comes part after part (`_Reader.warn` checks; what DataServices' children
    and the Schemas' attributes say is held back for that, see `_Reader.held`) and the aliases it
    used were predicted right.  Otherwise its warnings are taken back and the document is read
    again: the parts before the content in one pass (one pass each when even they cannot be read
    in document order: an include's alias a Schema took first, too much held back), then the
    content.
    """

    def __init__(self, data: bytes, source: str, diagnostics: Diagnostics) -> None:
        self.data = data
        self.source = source
        self.diag = diagnostics

    def read(self) -> Model:
        mark = self.diag.checkpoint()
        try:
            reader = _Reader(self.source, self.diag, predicted=_predict_aliases(self.data))
            pruner = self.parse(reader, _ALL_RANKS, mark)
            if reader.failed_rank >= _R_CONTENT:
                # The content read with predicted aliases: what it said stands if they were right.
                reader.confirm_aliases()
            reader.raise_failure()
        except _Restart:
            self.diag.rewind(mark)
            reader = _Reader(self.source, self.diag)
            try:
                self.parse(reader, _PRELUDE, mark)
            except _Restart:
                self.diag.rewind(mark)
                reader = _Reader(self.source, self.diag)
                for ranks in _RANK_PASSES[:-1]:
                    self.parse(reader, ranks, mark)
                    reader.raise_failure()
            reader.raise_failure()
            pruner = self.parse(reader, _CONTENT_ONLY, mark)
            reader.raise_failure()
        self.data = b""
        model = reader.finish()
        # After the reader's own warnings: these stand for many elements, wherever they were.
        for message, line, element in pruner.warnings():
            self.diag.warn(message, source=self.source, line=line, element=element)
        return model

    def parse(
        self, reader: _Reader, ranks: frozenset[int], mark: tuple[int, int, dict[Any, int], dict[Any, int]]
    ) -> _Pruner:
        """One pass over the document, reading the parts in `ranks`."""
        reader.ranks = ranks
        # A pass reading the parts before the content in document order holds back some of what
        # they say (see _Reader.held); one part at a time, it is in order as it comes.
        reader.held = [] if ranks in (_ALL_RANKS, _PRELUDE) else None
        pruner = _Pruner(self.source, reader)
        try:
            _parse_xml(self.data, self.source, pruner)
        except MetadataError:
            # The document does not parse: `read` would have said nothing before this.
            self.diag.rewind(mark)
            raise
        return pruner


class _Pruner:
    """Takes the parser's events: drops what the reader would skip, hands the rest to its frames.

    What is dropped is counted by kind (`warnings`); every element a frame has read is freed.
    """

    def __init__(self, source: str, reader: _Reader) -> None:
        self.source = source
        self.reader = reader
        # Per open element: the children it allows (or a marker), its tag, the frame reading it
        # (None: the frame of its parent reads it at its end, the element alone), and how many of
        # its children have ended and are still linked to it.
        self.stack: list[list[Any]] = []
        self.kept = 0
        # Dropped elements that have ended, removed at the next event: libxml2 may still append
        # text to the last child of the open element, so that child is never unlinked at once.
        self.pending: list[etree._Element] = []
        self.dropped: dict[tuple[str, str], list[Any]] = {}

    def take(self, events: Iterator[tuple[str, etree._Element]]) -> None:
        stack = self.stack
        reader = self.reader
        for event, el in events:
            if self.pending:
                self.flush()
            if event == "end":
                allowed, _, frame, children = stack.pop()
                if allowed is _DROPPED:
                    self.pending.append(el)
                    continue
                if not stack:
                    reader.end_frame(frame, el)
                    continue
                up = stack[-1]
                if frame is None:
                    # Only a frame's child has none (see open): that frame reads it now.
                    parent = up[2]
                    if parent.rank < reader.failed_rank:
                        reader.rank = parent.rank
                        try:
                            parent.child(el)
                        except MetadataError as e:
                            reader.fail(e)
                elif frame is not _SKIP:
                    reader.end_frame(frame, el)
                if children:
                    # Emptied first, so that no element unlinked ever has more than a batch of
                    # (emptied) children: lxml moves an unlinked subtree that a proxy still refers
                    # to (read_events keeps up to 1,024 events already taken) into the document,
                    # in time quadratic in its namespaced elements (_fixCNs caches the namespace
                    # it replaces under its replacement: each element misses and adds an entry).
                    # Not clear(): the tail stays, as libxml2 may still extend it.
                    del el[:]
                ended = up[3] + 1
                if ended == _BATCH:
                    # All but this one, the last child, which libxml2 may still extend.
                    del cast(etree._Element, el.getparent())[: ended - 1]
                    ended = 1
                up[3] = ended
                continue
            if not stack:
                _refuse_dtd(el, self.source)
                stack.append([_CHILDREN.get(el.tag, _ANNOTATIONS_ONLY), el.tag, reader.start_root(el), 0])
                continue
            allowed, parent_tag, parent, _ = stack[-1]
            if allowed is _ALL:
                # Inside an Annotation: every element is kept, for the frames reading expressions.
                stack.append([_ALL, "", self.open(parent, el), 0])
                continue
            if allowed is _DROPPED or allowed is _HOLLOW:
                stack.append([_DROPPED, "", None, 0])
                continue
            tag = el.tag
            if tag in allowed or (parent_tag == _EDMX + "DataServices" and _local(el) == "Schema"):
                # A Schema in another namespace stays: the reader says it is not OData V4.
                known = _KNOWN_ATTRS_BY_TAG.get(tag)
                if known is not None:
                    self.attributes(el, known)
                child = _ALL if tag == _ANNOTATION else _CHILDREN.get(tag, _ANNOTATIONS_ONLY)
                stack.append([child, tag, self.open(parent, el), 0])
            elif self.kept < _UNKNOWN_KEPT:
                self.kept += 1
                el.attrib.clear()
                stack.append([_HOLLOW, tag, self.open(parent, el), 0])
            else:
                self.note("element", parent_tag, el, "")
                stack.append([_DROPPED, tag, None, 0])

    def open(self, parent: _Frame | None, el: etree._Element) -> _Frame | None:
        """The frame that reads `el` (None: `parent` reads it at its end), as `parent` says.

        Inside an element `parent` reads at its end (or skips), nothing is read: each element is
        freed once it ends, like every other (see take).
        """
        if parent is None or parent is _SKIP:
            return _SKIP
        reader = self.reader
        if parent.rank >= reader.failed_rank:
            return _SKIP
        reader.rank = parent.rank
        try:
            return parent.open(el)
        except MetadataError as e:
            reader.fail(e)
            return _SKIP

    def attributes(self, el: etree._Element, known: frozenset[str]) -> None:
        for name in cast(list[str], el.keys()):
            if name in known:
                continue
            if name.startswith("{"):
                # Vendor attributes: the reader reads none, so they go without a warning.
                del el.attrib[name]
            elif self.kept < _UNKNOWN_KEPT:
                self.kept += 1
            else:
                del el.attrib[name]
                self.note("attribute", _local(el), el, name)

    def note(self, what: str, where: str, el: etree._Element, name: str) -> None:
        seen = self.dropped.get((what, where))
        if seen is None:
            self.dropped[(what, where)] = [1, _line(el), _local(el), name]
        else:
            seen[0] += 1

    def flush(self) -> None:
        for el in self.pending:
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
        self.pending.clear()

    def warnings(self) -> list[tuple[str, int | None, str]]:
        """One warning per kind of dropped element or attribute, in the order of their first lines."""
        out = []
        for (what, where), (count, line, element, name) in sorted(self.dropped.items(), key=lambda i: i[1][1] or 0):
            if what == "element":
                shown = "edmx:Reference" if where == _EDMX + "Reference" else where.rpartition("}")[2]
                message = f"unknown element in <{shown}> ignored"
            else:
                message = f"unknown attribute {name!r} ignored"
            if count > 1:
                message += f" (and {count - 1} more like it, not listed)"
            out.append((message, line, element))
        return out


# --------------------------------------------------------------------------- helpers


def _local(el: etree._Element) -> str:
    return el.tag.rpartition("}")[2]


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


# Where an element was, for a message about it after it is freed: its line and local tag name.
_Where = tuple[int | None, str]


def _where(el: etree._Element) -> _Where:
    # Interned: a document has a few tag names and many elements kept by location.
    return _line(el), sys.intern(_local(el))


def _attributes(el: etree._Element) -> list[str]:
    return [name for name in el.attrib if isinstance(name, str)]


def _children(el: etree._Element) -> list[etree._Element]:
    # Processing instructions (and, were they kept, comments) have a non-string tag.
    return [c for c in el if isinstance(c.tag, str)]


def _split_params(signature: str) -> list[str]:
    return [p for p in signature.split(",") if p] if signature else []


@dataclass(slots=True)
class _StructDraft:
    kind: StructuredKind
    namespace: str
    # Its name is the end of `qualified`, taken when the type is built: a document of a million
    # small types holds one string less each while it is read.
    qualified: str
    base: str | None
    abstract: bool
    open: bool
    has_stream: bool
    location: SourceLocation
    base_where: _Where | None
    # Where its members' lines start in _Reader.member_lines, in declaration order.
    member_start: int
    # PropertyRef names and locations; the location of the Key holding the first of them.
    key: list[tuple[str, _Where]] | None = None
    key_where: _Where | None = None
    properties: list[Property] | tuple[Property, ...] = field(default_factory=list)
    navigation: list[NavigationProperty] | None = None
    # Its members and where each was, once asked for after the type is read (members_of).
    members: dict[str, _Where] | None = None


@dataclass(slots=True)
class _OpDraft:
    operation: Operation
    signature: list[str]  # parameter type names as written in annotation targets
    parameter_names: set[str]


@dataclass(frozen=True, slots=True)
class _UseKind:
    """What refers to a type, as its messages say it: `template` takes the name and the owner."""

    template: str
    need_entity: bool = False
    warn_referenced: bool = True


_PROPERTY_USE = _UseKind("property {0!r} of {1}")
_NAVIGATION_USE = _UseKind("navigation property {0!r} of {1}", need_entity=True)
_TYPE_DEFINITION_USE = _UseKind("type definition {0!r}")
# Vocabularies routinely type terms with types of other vocabularies: no warning.
_TERM_USE = _UseKind("term {0!r}", warn_referenced=False)
_PARAMETER_USE = _UseKind("parameter {0!r} of {1}")
_RETURN_USE = _UseKind("return type of {1}")
_ENTITY_SET_USE = _UseKind("entity set {0!r}", need_entity=True)
_SINGLETON_USE = _UseKind("singleton {0!r}", need_entity=True)

# A type reference checked once every type is known: the kind, name and owner of the referring
# element (its message is only built when there is something to say), the type, where it was.
_TypeUse = tuple[_UseKind, str, str, str, _Where]

# An annotation read before its messages are due: the annotation alone when reading it said
# nothing, else the annotation (None when ignored), what reading it said and the error that
# stopped it (reading an annotation only warns: always None).  A NavigationPropertyBinding
# likewise, whose reading may stop at an error.
_Said = list[tuple[str, _Where | None]]
_Taken = Annotation | tuple[Annotation | None, _Said | None, MetadataError | None]
_TakenBinding = NavigationBinding | tuple[NavigationBinding | None, _Said, MetadataError | None]
# An Annotations block, kept for after the checks as read: its location, Target, Qualifier,
# and its children, each an annotation taken or the location of an unknown element.
_BlockItem = _Taken | _Where


@dataclass(slots=True)
class _Block:
    where: _Where
    target: str | None
    qualifier: str | None
    items: list[_BlockItem]


class _Reader:
    def __init__(self, source: str, diagnostics: Diagnostics, *, predicted: dict[str, str] | None = None) -> None:
        self.source = source
        self.diag = diagnostics
        self.version = "4.0"
        self.aliases: dict[str, str] = {}
        # The same by who declared them: `read` registers every edmx:Include's before any Schema's.
        self.include_aliases: dict[str, str] = {}
        self.schema_aliases: dict[str, str] = {}
        self.namespaces: list[str] = []
        self.defined_ns: set[str] = set()
        self.referenced_ns: set[str] = set()
        self.references: list[Reference] = []
        self.qualify_cache: dict[str, str] = {}
        # What `qualify` resolves with: the aliases registered, or those predicted for a content
        # read before the prelude (then every prefix looked up is kept, for confirm_aliases).
        self.resolving = predicted if predicted is not None else self.aliases
        self.looked_up: set[str] = set()

        # Qualified name -> line, of the declarations that keep no location of their own.
        self.schema_names: dict[str, int | None] = {}
        self.structured: dict[str, _StructDraft] = {}
        self.enums: dict[str, EnumType] = {}
        self.type_definitions: dict[str, TypeDefinition] = {}
        self.terms: dict[str, Term] = {}
        self.operations: list[_OpDraft] = []
        self.ops_by_name: dict[str, list[int]] = {}
        self.container: Container | None = None
        self.container_qualified: str | None = None
        self.container_children: dict[str, int | None] = {}  # name -> line
        self.type_uses: list[_TypeUse] = []
        # Each member's line, times two, plus one for a navigation property: a type's members
        # take a few bytes here, not a dict (a document may hold a million one-property types).
        self.member_lines = array("q")
        self.import_elements: list[tuple[OperationImport, _Where]] = []
        # The facets of a Type as written -> its TypeRef, when reading them said nothing: shared,
        # since a document writes the same few types (with the same facets) over and over.
        self.type_refs: dict[tuple[str | None, ...], TypeRef] = {}

        self.annotations: dict[_Key, list[Annotation]] = {}
        self.extra: dict[str, list[Annotation]] = {}
        self.external: list[_Block] = []

        # Warnings given so far (to the diagnostics or the sink), to tell whether reading an
        # element said anything; while `sink` is a list, warnings go there, to be given later (an
        # Annotations block's, after its target's).
        self.said = 0
        self.sink: _Said | None = None
        # The parts of the reading order (_R_*) this pass reads, the part being read, the last
        # part that said something, and the first error met with its part: raised once the pass
        # is over, since a part before it in the reading order may come later in the document.
        self.ranks = _ALL_RANKS
        self.rank = _R_ROOT
        self.said_rank = _R_ROOT
        self.failed: MetadataError | None = None
        self.failed_rank = _NOT_FAILED
        # While a list: the warnings of DataServices' children and of the Schemas' attributes,
        # held back to be said part after part at the end of the pass (or before the content
        # first says something): a Reference after DataServices, whose warnings come before
        # theirs, may still come, and so may an unknown element after a Schema.
        self.held: list[tuple[int, str, _Where | None]] | None = None

    # ------------------------------------------------------------------ diagnostics

    def error(self, message: str, el: etree._Element | _Where | None = None) -> NoReturn:
        if self.rank < self.said_rank:
            # Reading in document order met an error after what a later part said: see _Document.
            raise _Restart
        if el is None:
            raise MetadataError(message, source=self.source)
        line, element = el if isinstance(el, tuple) else _where(el)
        raise MetadataError(message, source=self.source, line=line, element=element)

    def warn(self, message: str, el: etree._Element | _Where | None = None) -> None:
        self.said += 1
        where = None if el is None else el if isinstance(el, tuple) else (_line(el), _local(el))
        if self.sink is not None:
            self.sink.append((message, where))
            return
        rank = self.rank
        held = self.held
        if held is not None and _R_DATA_SERVICES <= rank < _R_CONTENT:
            # Too late once the content has spoken (this comes before it), or too much to hold.
            if self.said_rank >= _R_CONTENT or len(held) >= _HELD_MOST:
                raise _Restart
            held.append((rank, message, where))
            return
        if held and rank >= _R_CONTENT:
            self.say_held(_R_CONTENT)
        if rank < self.said_rank:
            # A warning `read` gives before what a later part of the reading order said already.
            raise _Restart
        self.said_rank = rank
        self.tell(message, where)

    def tell(self, message: str, where: _Where | None) -> None:
        if where is None:
            self.diag.warn(message, source=self.source)
        else:
            self.diag.warn(message, source=self.source, line=where[0], element=where[1])

    def check_attributes(self, el: etree._Element, name: str) -> None:
        known = _KNOWN_ATTRS.get(name)
        if known is None:
            return
        for attr in _attributes(el):
            # Attributes in other namespaces are vendor extensions the spec allows.
            if attr not in known and not attr.startswith("{"):
                self.warn(f"unknown attribute {attr!r} ignored", el)

    def unknown_element(self, el: etree._Element | _Where, parent: str) -> None:
        self.warn(f"unknown element in <{parent}> ignored", el)

    def required(self, el: etree._Element, attr: str) -> str:
        value = el.get(attr)
        if value is None or not value.strip():
            self.error(f"missing required attribute {attr!r}", el)
        return value.strip()

    def boolean(self, el: etree._Element, attr: str, default: bool) -> bool:
        value = el.get(attr)
        if value is None:
            return default
        text = value.strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        self.warn(f"attribute {attr}={value!r} is not a boolean; using {str(default).lower()}", el)
        return default

    def location(self, el: etree._Element) -> SourceLocation:
        line, element = _where(el)
        return SourceLocation(self.source, line or 0, element)

    # ------------------------------------------------------------------ name rules
    # Every name the document declares or refers to is checked when it is read, against the
    # CSDL rules (generator.identifiers), so that nothing later (naming, templates, messages)
    # ever sees a name with a quote, a newline or a bidirectional override in it.  Messages
    # show names with repr(), which escapes every control and formatting character.

    def refuse_bidi(self, attr: str, value: str, el: etree._Element) -> None:
        bidi = bidi_characters(value)
        if bidi:
            self.error(
                f"{attr} {value!r} holds the bidirectional formatting character(s) {describe_characters(bidi)}, "
                "which make a name display differently from what it is; odatakit refuses them in names",
                el,
            )

    def simple_identifier(self, el: etree._Element, attr: str, value: str, *, tolerate: str = "") -> str:
        """Check a value against the CSDL SimpleIdentifier rule and return it.

        Characters in `tolerate` (after the first character) only warn: real services
        ship such names (Microsoft Graph's InnerError has a property "request-id").
        """
        flaw = identifier_flaw(value)
        if flaw is None:
            return value
        self.refuse_bidi(attr, value, el)
        message = f"{attr} {value!r} is not a CSDL SimpleIdentifier ({SIMPLE_IDENTIFIER_RULE})"
        if not flaw.shape and flaw.chars <= frozenset(tolerate):
            shown = describe_characters("".join(sorted(flaw.chars)))
            self.warn(f"{message}; kept as written ({shown} tolerated here: real services use it)", el)
            return value
        self.error(message, el)

    def declared_name(self, el: etree._Element, *, tolerate: str = "") -> str:
        """The Name a declaration gives, checked against the SimpleIdentifier rule."""
        # The raw value: required() strips blanks, which are themselves a violation.
        value = el.get("Name") or ""
        if not value.strip():
            self.required(el, "Name")
        return self.simple_identifier(el, "Name", value, tolerate=tolerate)

    def namespace_name(self, el: etree._Element, attr: str = "Namespace") -> str:
        """A namespace attribute (Schema, edmx:Include), checked against the CSDL namespace rule."""
        self.required(el, attr)
        value = el.get(attr) or ""
        if not namespace_ok(value):
            self.refuse_bidi(attr, value, el)
            self.error(f"{attr} {value!r} is not a CSDL namespace ({NAMESPACE_RULE})", el)
        return value

    def type_name(self, el: etree._Element, attr: str, *, collection: bool = True) -> str:
        """A type or element reference (`Type`, `BaseType`, ...), checked to be a qualified name."""
        value = el.get(attr) or ""
        if not value.strip():
            self.required(el, attr)
        inner = value[11:-1] if collection and value.startswith("Collection(") and value.endswith(")") else value
        if not qualified_ok(inner):
            self.refuse_bidi(attr, value, el)
            rule = f"{QUALIFIED_RULE}, or Collection({QUALIFIED_RULE})" if collection else QUALIFIED_RULE
            self.error(f"{attr} {value!r} is not a CSDL qualified name ({rule})", el)
        return value

    def property_path(self, el: etree._Element) -> str:
        """A PropertyRef Name: SimpleIdentifiers separated by '/' (a path into complex properties)."""
        self.required(el, "Name")
        value = el.get("Name") or ""
        for segment in value.split("/"):
            flaw = identifier_flaw(segment)
            if flaw is None:
                continue
            self.refuse_bidi("Name", value, el)
            # The segments name properties, which may carry the same tolerated characters.
            if flaw.shape or not flaw.chars <= frozenset("-"):
                self.error(
                    f"Name {value!r} is not a CSDL property path (SimpleIdentifiers separated by '/': "
                    f"{SIMPLE_IDENTIFIER_RULE})",
                    el,
                )
        return value

    # ------------------------------------------------------------------ names

    def qualify(self, name: str) -> str:
        """Resolve an alias-qualified name (or `Collection(...)` of one) to its namespace."""
        cached = self.qualify_cache.get(name)
        if cached is not None:
            return cached
        if name.startswith("Collection(") and name.endswith(")"):
            result = f"Collection({self.qualify(name[11:-1].strip())})"
        else:
            prefix, dot, last = name.rpartition(".")
            ns = None
            if dot:
                ns = self.resolving.get(prefix)
                self.looked_up.add(prefix)
            result = f"{ns}.{last}" if ns is not None else name
        self.qualify_cache[name] = result
        return result

    def confirm_aliases(self) -> None:
        """After the prelude: a content read with predicted aliases stands if each one looked up was right."""
        predicted = self.resolving
        if predicted is not self.aliases:
            if any(predicted.get(prefix) != self.aliases.get(prefix) for prefix in self.looked_up):
                raise _Restart
            self.resolving = self.aliases

    def qualify_path(self, path: str) -> str:
        """Resolve aliases in every qualified segment of a path, target or term cast."""
        if "." not in path:
            return path

        def replace(m: re.Match[str]) -> str:
            token = m.group(0)
            return self.qualify(token) if "." in token else token

        return _PATH_TOKEN.sub(replace, path)

    def qualify_enum_members(self, value: str) -> str:
        out = []
        for member in value.split():
            type_name, slash, rest = member.partition("/")
            out.append(self.qualify(type_name) + slash + rest)
        return " ".join(out)

    # ------------------------------------------------------------------ document
    # The order of reading is that of the messages: the root, its children, DataServices'
    # children, the Schemas' attributes, the Schemas' children (each part in document order),
    # then finish().  The frames (see _Frame) read each part; `ranks` says which parts a pass reads.

    def read(self, root: etree._Element) -> Model:
        """Read a whole tree (the reference order, which the streaming _Document keeps to)."""
        for ranks in _RANK_PASSES:
            self.ranks = ranks
            frame = self.start_root(root)
            self.walk(frame, root)
            self.end_frame(frame, root)
            self.raise_failure()
        return self.finish()

    def walk(self, frame: _Frame, el: etree._Element) -> None:
        """Hand the children of a whole tree's element to `frame`, as the pruner does while parsing."""
        for child in _children(el):
            if frame.rank >= self.failed_rank:
                return
            self.rank = frame.rank
            try:
                sub = frame.open(child)
                if sub is None:
                    frame.child(child)
            except MetadataError as e:
                self.fail(e)
                continue
            if sub is not None and sub is not _SKIP:
                self.walk(sub, child)
                self.end_frame(sub, child)

    def at(self, rank: int) -> bool:
        """Whether this pass reads the part `rank` (now being read), and no error came before it."""
        self.rank = rank
        return rank in self.ranks and rank < self.failed_rank

    def fail(self, error: MetadataError) -> None:
        """Keep the first error in reading order; the parts from its rank on are read no further."""
        self.failed = error
        self.failed_rank = self.rank

    def say_held(self, rank: int) -> None:
        """Say the warnings held back of the parts up to `rank`, part after part; forget the rest."""
        assert self.held is not None
        for said, message, where in sorted(self.held, key=lambda h: h[0]):
            if said <= rank:
                self.said_rank = max(self.said_rank, said)
                self.tell(message, where)
        self.held.clear()

    def raise_failure(self) -> None:
        """At the end of a pass: say what was held back, then raise its first error."""
        if self.held:
            # Parts after the error's are not read before it: what they said is not said.
            self.say_held(self.failed_rank)
        if self.failed is not None:
            raise self.failed

    def start_root(self, root: etree._Element) -> _Frame:
        if self.at(_R_ROOT):
            try:
                self.read_root(root)
            except MetadataError as e:
                self.fail(e)
        return _RootFrame(self)

    def end_frame(self, frame: _Frame, el: etree._Element) -> None:
        if frame.rank < self.failed_rank:
            self.rank = frame.rank
            try:
                frame.end(el)
            except MetadataError as e:
                self.fail(e)

    def read_root(self, root: etree._Element) -> None:
        """The root element alone (its attributes; not its children)."""
        if root.tag != _EDMX + "Edmx":
            self.error(
                f"not an OData CSDL document: the root element is {root.tag!r}, expected edmx:Edmx "
                f"in namespace {EDMX_NS}",
                root,
            )
        version = root.get("Version")
        if version is None:
            self.warn("missing Version attribute; assuming 4.0", root)
        elif version.strip() not in SUPPORTED_VERSIONS:
            self.warn(f"unsupported Version {version!r}; reading it as 4.01", root)
            self.version = "4.01"
        else:
            self.version = version.strip()

    def read_schema_attributes(self, schema: etree._Element) -> None:
        # Aliases are document-wide: all are registered before any type name is read.
        self.check_attributes(schema, "Schema")
        namespace = self.namespace_name(schema)
        if namespace not in self.defined_ns:
            self.defined_ns.add(namespace)
            self.namespaces.append(namespace)
        alias = schema.get("Alias")
        if alias is not None:
            self.add_alias(self.simple_identifier(schema, "Alias", alias), namespace, schema, include=False)

    def finish(self) -> Model:
        """Once every Schema's children are read: the checks, the Annotations blocks, the model."""
        self.rank = _R_FINISH
        self.check_types()
        self.check_imports()
        for block in self.external:
            self.read_annotations_block(block)
        self.external = []
        return self.build()

    def add_alias(self, alias: str, namespace: str, el: etree._Element, *, include: bool) -> None:
        if include and alias in self.schema_aliases:
            # `read` registers every edmx:Include before any Schema: this one came after one.
            raise _Restart
        known = self.aliases.get(alias)
        if known is not None and known != namespace:
            self.warn(f"alias {alias!r} already names namespace {known!r}; ignored for {namespace!r}", el)
            return
        if known is None:
            self.aliases[alias] = namespace
            (self.include_aliases if include else self.schema_aliases)[alias] = namespace

    def read_include(self, el: etree._Element, includes: list[tuple[str, str | None]]) -> None:
        self.check_attributes(el, "Include")
        if not el.get("Namespace"):
            self.warn("edmx:Include without Namespace ignored", el)
            return
        namespace = self.namespace_name(el)
        alias = el.get("Alias")
        if alias is not None:
            alias = self.simple_identifier(el, "Alias", alias)
        includes.append((namespace, alias))
        self.referenced_ns.add(namespace)
        if alias:
            self.add_alias(alias, namespace, el, include=True)

    # ------------------------------------------------------------------ schema

    def declare(self, el: etree._Element, namespace: str) -> tuple[str, str]:
        name = self.declared_name(el)
        qualified = f"{namespace}.{name}"
        if self.declared(qualified):
            self.error(
                f"duplicate name {name!r} in schema {namespace!r} "
                f"(first declared on line {self.declared_line(qualified)})",
                el,
            )
        if qualified in self.ops_by_name:
            self.warn_operation_clash(name, namespace, el)
        if el.tag not in (_EDM + "EntityType", _EDM + "ComplexType", _EDM + "EnumType"):
            self.schema_names[qualified] = _line(el)
        return name, qualified

    def declared(self, qualified: str) -> bool:
        """Whether a type, enum, type definition or entity container has this name."""
        return qualified in self.structured or qualified in self.enums or qualified in self.schema_names

    def declared_line(self, qualified: str) -> int | None:
        draft = self.structured.get(qualified)
        if draft is not None:
            return draft.location.line
        enum = self.enums.get(qualified)
        if enum is not None and enum.location is not None:
            return enum.location.line
        return self.schema_names.get(qualified)

    def warn_operation_clash(self, name: str, namespace: str, el: etree._Element) -> None:
        # Not allowed by the specification, but Graph has both a complex type and a bound
        # function named microsoft.graph.image; they live apart in the model.
        self.warn(f"{name!r} names both an operation and another element of schema {namespace!r}", el)

    def say(self, taken: _Taken) -> Annotation | None:
        """Say what taking an annotation kept (raise its error) and give the annotation."""
        if isinstance(taken, Annotation):
            return taken
        annotation, said, failed = taken
        for message, where in said or ():
            self.warn(message, where)
        if failed is not None:
            raise failed
        return annotation

    def type_ref(self, el: etree._Element, attr: str = "Type") -> TypeRef:
        written = (
            el.get(attr),
            el.get("Nullable"),
            el.get("MaxLength"),
            el.get("Precision"),
            el.get("Scale"),
            el.get("SRID"),
        )
        ref = self.type_refs.get(written)
        if ref is None:
            said = self.said
            ref = self.new_type_ref(el, attr)
            # Only what reads silently is shared: the next element written alike must warn too.
            if self.said == said:
                self.type_refs[written] = ref
        return ref

    def new_type_ref(self, el: etree._Element, attr: str) -> TypeRef:
        raw = self.type_name(el, attr)
        collection = raw.startswith("Collection(") and raw.endswith(")")
        name = self.qualify(raw[11:-1] if collection else raw)
        precision: int | None = None
        text = el.get("Precision")
        if text is not None:
            if _INTEGER.fullmatch(text.strip()):
                precision = int(text)
            else:
                self.warn(f"Precision={text!r} is not an integer; ignored", el)
        scale = el.get("Scale")
        if scale is not None:
            scale = scale.strip()
            if scale.lower() in ("variable", "floating") and scale not in ("variable", "floating"):
                self.warn(f"Scale={scale!r} is spelled {scale.lower()!r} in the specification", el)
                scale = scale.lower()
            elif scale not in ("variable", "floating") and not _INTEGER.fullmatch(scale):
                self.warn(f"Scale={scale!r} is neither an integer nor variable/floating; ignored", el)
                scale = None
        srid = el.get("SRID")
        if srid is not None:
            srid = srid.strip()
            if srid.lower() == "variable" and srid != "variable":
                self.warn(f"SRID={srid!r} is spelled 'variable' in the specification", el)
                srid = "variable"
        return TypeRef(
            name=name,
            collection=collection,
            nullable=self.boolean(el, "Nullable", True),
            max_length=el.get("MaxLength"),
            precision=precision,
            scale=scale,
            srid=srid,
        )

    def use_type(self, name: str, el: etree._Element, kind: _UseKind, subject: str, owner: str = "") -> None:
        """Keep a type reference for check_types, unless it names a type known to fit already."""
        if name in EDM_TYPES and (not kind.need_entity or name == "Edm.EntityType"):
            return
        if not name.startswith("Edm."):
            # check_type_use would say nothing of a type declared already: types stay as declared.
            draft = self.structured.get(name)
            if draft is not None:
                if draft.kind == "entity" or not kind.need_entity:
                    return
            elif not kind.need_entity and (name in self.enums or name in self.type_definitions):
                return
        self.type_uses.append((kind, subject, owner, name, _where(el)))

    def open_structured(self, el: etree._Element, namespace: str, kind: StructuredKind) -> _Frame:
        tag = "EntityType" if kind == "entity" else "ComplexType"
        self.check_attributes(el, tag)
        _, qualified = self.declare(el, namespace)
        base = self.type_name(el, "BaseType", collection=False) if el.get("BaseType") is not None else None
        draft = _StructDraft(
            kind=kind,
            namespace=namespace,
            qualified=qualified,
            base=self.qualify(base) if base else None,
            abstract=self.boolean(el, "Abstract", False),
            open=self.boolean(el, "OpenType", False),
            has_stream=self.boolean(el, "HasStream", False) if kind == "entity" else False,
            location=self.location(el),
            base_where=_where(el) if base else None,
            member_start=len(self.member_lines),
        )
        self.structured[qualified] = draft
        return _StructFrame(self, draft, tag)

    def member_name(self, el: etree._Element, draft: _StructDraft, names: set[str]) -> str:
        name = self.declared_name(el, tolerate="-")
        if name in names:
            first = self.member_wheres(draft)[name][0]
            self.error(f"duplicate property {name!r} in {draft.qualified} (first declared on line {first})", el)
        names.add(name)
        self.member_lines.append((_line(el) or 0) * 2 + (el.tag == _EDM + "NavigationProperty"))
        return name

    def members_of(self, draft: _StructDraft) -> dict[str, _Where]:
        """A type's members and where each was, in declaration order (once the type is read)."""
        members = draft.members
        if members is None:
            members = draft.members = self.member_wheres(draft)
        return members

    def member_wheres(self, draft: _StructDraft) -> dict[str, _Where]:
        properties, navigation = iter(draft.properties), iter(draft.navigation or ())
        count = len(draft.properties) + len(draft.navigation or ())
        members: dict[str, _Where] = {}
        for value in self.member_lines[draft.member_start : draft.member_start + count]:
            if value & 1:
                members[next(navigation).name] = (value >> 1 or None, "NavigationProperty")
            else:
                members[next(properties).name] = (value >> 1 or None, "Property")
        return members

    def open_property(self, el: etree._Element, draft: _StructDraft, names: set[str]) -> _Frame:
        self.check_attributes(el, "Property")
        name = self.member_name(el, draft, names)
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _PROPERTY_USE, name, draft.qualified)
        properties = draft.properties
        assert isinstance(properties, list), "a type's properties become a tuple once it is read"
        properties.append(Property(name=name, type=ref, default=el.get("DefaultValue")))
        return _Annotated(self, ("Q", draft.qualified, name), "Property")

    def open_navigation(self, el: etree._Element, draft: _StructDraft, names: set[str]) -> _Frame:
        self.check_attributes(el, "NavigationProperty")
        name = self.member_name(el, draft, names)
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _NAVIGATION_USE, name, draft.qualified)
        return _NavigationFrame(self, draft, name, ref)

    def open_enum(self, el: etree._Element, namespace: str) -> _Frame:
        self.check_attributes(el, "EnumType")
        name, qualified = self.declare(el, namespace)
        given = el.get("UnderlyingType")
        underlying = self.qualify(
            self.type_name(el, "UnderlyingType", collection=False) if given is not None else "Edm.Int32"
        )
        if underlying not in _ENUM_UNDERLYING:
            self.warn(f"UnderlyingType {underlying!r} is not an integer type", el)
        return _EnumFrame(self, namespace, name, qualified, underlying)

    def open_type_definition(self, el: etree._Element, namespace: str) -> _Frame:
        self.check_attributes(el, "TypeDefinition")
        name, qualified = self.declare(el, namespace)
        ref = self.type_ref(el, "UnderlyingType")
        if not ref.is_primitive or ref.collection:
            self.warn(f"UnderlyingType {ref.name!r} of a type definition should be a primitive type", el)
        self.use_type(ref.name, el, _TYPE_DEFINITION_USE, name)
        return _TypeDefinitionFrame(self, TypeDefinition(namespace=namespace, name=name, underlying=ref))

    def open_term(self, el: etree._Element, namespace: str) -> _Frame:
        self.check_attributes(el, "Term")
        name = self.declared_name(el)
        qualified = f"{namespace}.{name}"
        if qualified in self.terms or self.declared(qualified) or qualified in self.ops_by_name:
            # Terms are not generated into code, so a clash is not worth stopping for (the
            # 2023 Graph file declares microsoft.graph.conflictBehavior twice).
            self.warn(f"duplicate name {name!r} in schema {namespace!r}; term ignored", el)
            return _SKIP
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _TERM_USE, name)
        return _TermFrame(self, namespace, name, ref)

    def open_operation(self, el: etree._Element, namespace: str, kind: OperationKind) -> _Frame:
        tag = "Action" if kind == "action" else "Function"
        self.check_attributes(el, tag)
        name = self.declared_name(el)
        qualified = f"{namespace}.{name}"
        if self.declared(qualified) and qualified not in self.ops_by_name:
            self.warn_operation_clash(name, namespace, el)
        overloads = self.ops_by_name.setdefault(qualified, [])
        if overloads and all(self.operations[i].operation.kind != kind for i in overloads):
            # Not allowed by the specification, but Graph does it (microsoft.graph.browse).
            self.warn(f"{name!r} is declared both as an action and as a function in {namespace!r}", el)
        index = len(self.operations)
        overloads.append(index)
        return _OperationFrame(self, kind, tag, namespace, name, index)

    def open_container(self, el: etree._Element, namespace: str) -> _Frame:
        self.check_attributes(el, "EntityContainer")
        name, qualified = self.declare(el, namespace)
        if self.container is not None:
            self.warn(f"a document has one entity container; {qualified} ignored", el)
            return _SKIP
        self.container_qualified = qualified
        return _ContainerFrame(self, namespace, name, qualified)

    def open_container_child(self, el: etree._Element, container: _ContainerFrame) -> _Frame:
        local = _local(el)
        self.check_attributes(el, local)
        # An entity set or singleton name is a URL path segment: a '/' in it (a prefixed set,
        # as in a Northwind copy) only warns, like the '-' of member names.
        is_set = local in ("EntitySet", "Singleton")
        name = self.declared_name(el, tolerate="-/" if is_set else "-")
        if name in self.container_children:
            self.error(
                f"duplicate name {name!r} in entity container {container.qualified} "
                f"(first declared on line {self.container_children[name]})",
                el,
            )
        self.container_children[name] = _line(el)
        return _SetFrame(self, container, local, name) if is_set else _ImportFrame(self, container, local, name)

    def take_binding(self, el: etree._Element) -> _TakenBinding:
        """A NavigationPropertyBinding read now, what reading it says kept for later (see _SetFrame)."""
        said: _Said = []
        self.sink = said
        try:
            self.check_attributes(el, "NavigationPropertyBinding")
            binding = NavigationBinding(
                path=self.qualify_path(self.required(el, "Path")),
                target=self.qualify_path(self.required(el, "Target")),
            )
        except MetadataError as e:
            return None, said, e
        finally:
            self.sink = None
        return binding if not said else (binding, said, None)

    # ------------------------------------------------------------------ checks

    def namespace_of(self, name: str) -> str:
        return name.rpartition(".")[0]

    def check_types(self) -> None:
        for use in self.type_uses:
            self.check_type_use(use)
        self.check_bases()
        self.check_derived_keys()
        self.check_members_and_keys()

    def check_type_use(self, use: _TypeUse) -> None:
        kind, subject, owner, name, where = use
        if name.startswith("Edm."):
            if name not in EDM_TYPES:
                self.error(f"{kind.template.format(subject, owner)} has unknown primitive type {name!r}", where)
            if kind.need_entity and name != "Edm.EntityType":
                self.error(f"{kind.template.format(subject, owner)} must have an entity type, not {name!r}", where)
            return
        draft = self.structured.get(name)
        if draft is not None:
            if kind.need_entity and draft.kind != "entity":
                self.error(
                    f"{kind.template.format(subject, owner)} must have an entity type, but {name!r} is a complex type",
                    where,
                )
            return
        if name in self.enums or name in self.type_definitions:
            if kind.need_entity:
                self.error(
                    f"{kind.template.format(subject, owner)} must have an entity type, but {name!r} is not one", where
                )
            return
        self.check_undefined(name, where, kind.template.format(subject, owner), kind.warn_referenced)

    def check_undefined(self, name: str, el: _Where, what: str, warn_referenced: bool = True) -> None:
        namespace = self.namespace_of(name)
        if namespace in self.defined_ns:
            self.error(f"{what} refers to undefined type {name!r}", el)
        if namespace in self.referenced_ns:
            if warn_referenced:
                self.warn(
                    f"{what} has type {name!r} from referenced namespace {namespace!r}, "
                    "not defined in this document; kept as is",
                    el,
                )
            return
        self.error(
            f"{what} refers to undefined type {name!r} (namespace {namespace!r} is neither "
            "defined nor referenced in this document)",
            el,
        )

    def check_bases(self) -> None:
        for draft in self.structured.values():
            if draft.base is None:
                continue
            el = draft.base_where
            assert el is not None
            base = self.structured.get(draft.base)
            if base is None:
                if draft.base in self.enums or draft.base in self.type_definitions or draft.base.startswith("Edm."):
                    self.error(f"BaseType {draft.base!r} of {draft.qualified} is not a structured type", el)
                namespace = self.namespace_of(draft.base)
                if namespace in self.referenced_ns and namespace not in self.defined_ns:
                    # A property may keep a type it cannot see, but a class cannot derive from
                    # one: the generated package would have no base class to inherit.
                    self.error(
                        f"BaseType {draft.base!r} of {draft.qualified} is in namespace {namespace!r}, which this "
                        f"document only references (edmx:Reference Uri={self.reference_uri(namespace)!r}); "
                        "odatakit needs a base type defined in the document it reads: copy the referenced Schema into it",
                        el,
                    )
                self.check_undefined(draft.base, el, f"BaseType of {draft.qualified}")
                continue
            if base.kind != draft.kind:
                self.error(f"BaseType {draft.base!r} of {draft.kind} type {draft.qualified} is a {base.kind} type", el)
        # Each type is walked at most once after it is known to be acyclic: O(n) overall.
        acyclic: set[str] = set()
        for start in self.structured:
            path: list[str] = []
            on_path: set[str] = set()
            current: str | None = start
            while current is not None and current not in acyclic:
                if current in on_path:
                    cycle = path[path.index(current) :] + [current]
                    el = self.structured[current].base_where
                    self.error(f"BaseType cycle: {' -> '.join(cycle)}", el)
                path.append(current)
                on_path.add(current)
                node = self.structured.get(current)
                current = node.base if node is not None else None
            acyclic.update(path)

    def reference_uri(self, namespace: str) -> str:
        """The Uri of the edmx:Reference that includes a namespace ("" when none says)."""
        for reference in self.references:
            if any(included == namespace for included, _ in reference.includes):
                return reference.uri
        return ""

    def check_derived_keys(self) -> None:
        # CSDL: "A key MAY be specified if the entity type does not specify a base type that
        # already has a key declared" (odata.net rejects it too).  A derived type of a
        # key-less (abstract) base may declare the key.  Runs after check_bases, so every
        # chain ends inside the document and has no cycle.
        for draft in self.structured.values():
            if draft.base is None or not draft.key:
                continue
            base: str | None = draft.base
            while base is not None:
                ancestor = self.structured.get(base)
                if ancestor is None:
                    break
                if ancestor.key:
                    assert ancestor.key_where is not None
                    self.error(
                        f"entity type {draft.qualified} declares a Key, but its base type {ancestor.qualified} "
                        f"already declares one (line {ancestor.key_where[0]}); a derived type "
                        "inherits its key and must not declare another",
                        draft.key_where,
                    )
                base = ancestor.base

    def check_members_and_keys(self) -> None:
        # Every type's members including inherited ones (name -> declaring type), built
        # root first and shared with the derived types, so deep hierarchies stay linear.
        # `complete` is False when an ancestor lives outside this document.
        memo: dict[str, tuple[dict[str, str], bool]] = {}
        # Only the bases' members are kept for their derived types: one dict per type would
        # cost as much as the model in a document of many small types.
        bases = {draft.base for draft in self.structured.values() if draft.base is not None}

        def all_members(qualified: str) -> tuple[dict[str, str], bool]:
            chain: list[_StructDraft] = []
            current: str | None = qualified
            while current is not None and current not in memo:
                draft = self.structured.get(current)
                if draft is None:
                    memo[current] = ({}, False)
                    break
                chain.append(draft)
                current = draft.base
            found: tuple[dict[str, str], bool] = ({}, True)
            for draft in reversed(chain):
                inherited, complete = memo[draft.base] if draft.base else ({}, True)
                members = dict(inherited)
                for name, el in self.members_of(draft).items():
                    owner = inherited.get(name)
                    if owner is not None:
                        self.error(
                            f"property {name!r} of {draft.qualified} is already declared in base type {owner}", el
                        )
                    members[name] = draft.qualified
                found = (members, complete)
                if draft.qualified in bases:
                    memo[draft.qualified] = found
            return memo.get(qualified, found)

        for qualified, draft in self.structured.items():
            if draft.base is None and not draft.key and qualified not in bases:
                continue  # nothing inherited, nothing to check
            members, complete = all_members(qualified)
            for name, el in draft.key or ():
                first = name.split("/", 1)[0]
                owner = members.get(first)
                if owner is None:
                    if complete:
                        self.error(f"key property {name!r} is not a property of {qualified}", el)
                    continue
                if self.members_of(self.structured[owner])[first][1] == "NavigationProperty":
                    self.error(f"key property {name!r} of {qualified} is a navigation property", el)

    def check_imports(self) -> None:
        for item, el in self.import_elements:
            overloads = self.ops_by_name.get(item.operation)
            if overloads is None:
                namespace = self.namespace_of(item.operation)
                if namespace not in self.referenced_ns:
                    self.warn(f"{item.kind} import {item.name!r} refers to unknown {item.kind} {item.operation!r}", el)
                continue
            if all(self.operations[i].operation.kind != item.kind for i in overloads):
                self.warn(
                    f"{item.kind} import {item.name!r} refers to {item.operation!r}, which is not a {item.kind}", el
                )

    # ------------------------------------------------------------------ annotations

    def constant(self, kind: str, text: str, el: etree._Element) -> AnnotationValue:
        if kind == "String":
            return text
        text = text.strip()
        if kind in _TEXT_CONSTANTS:
            return text
        if kind in _PATHS:
            return {f"${kind}": self.qualify_path(text)}
        if kind == "Bool":
            if text in ("true", "false"):
                return text == "true"
            self.warn(f"Bool value {text!r} is not true or false; kept as text", el)
            return text
        if kind == "Int":
            if _INTEGER.fullmatch(text):
                return int(text)
            self.warn(f"Int value {text!r} is not an integer; kept as text", el)
            return text
        if kind in ("Float", "Decimal"):
            if text in ("INF", "-INF", "NaN"):
                return text
            if _INTEGER.fullmatch(text):
                return int(text) if kind == "Decimal" else float(text)
            try:
                return float(text)
            except ValueError:
                self.warn(f"{kind} value {text!r} is not a number; kept as text", el)
                return text
        if kind == "EnumMember":
            return self.qualify_enum_members(text)
        if kind == "UrlRef":
            return {"$UrlRef": text}
        return text

    def leaf(self, el: etree._Element) -> AnnotationValue:
        """The value of an expression read from the element alone (see _LEAF_EXPRESSIONS)."""
        kind = _kind(el)
        if kind == "Null":
            return None
        if kind == "LabeledElementReference":
            return {"$LabeledElementReference": self.qualify_path((el.text or "").strip())}
        return self.constant(kind, el.text or "", el)

    def say_later(self, said: _Said) -> None:
        """Say what reading an expression kept for later (see _ValueFrame), where the reading now is."""
        for message, where in said:
            self.warn(message, where)

    def read_annotations_block(self, block: _Block) -> None:
        raw = block.target
        if not raw or not raw.strip():
            self.warn("Annotations without Target ignored", block.where)
            return
        # Targets are written with and without blanks after commas (Graph): normalise.
        target = self.qualify_path("".join(raw.split()))
        keys = self.target_keys(target, block.where)
        for item in block.items:
            if isinstance(item, tuple) and len(item) == 2:
                self.unknown_element(item, "Annotations")
                continue
            annotation = self.say(item)
            if annotation is None:
                continue
            if keys:
                for key in keys:
                    self.annotations.setdefault(key, []).append(annotation)
            else:
                self.extra.setdefault(target, []).append(annotation)

    def target_keys(self, target: str, el: _Where) -> list[_Key]:
        """The model elements a target names; empty when the target must go to extra_annotations."""
        signature: list[str] | None = None
        paren = target.find("(")
        slash = target.find("/")
        if paren >= 0 and (slash < 0 or paren < slash):
            depth, close = 0, -1
            for i in range(paren, len(target)):
                if target[i] == "(":
                    depth += 1
                elif target[i] == ")":
                    depth -= 1
                    if depth == 0:
                        close = i
                        break
            if close < 0:
                self.warn(f"annotation target {target!r} is malformed", el)
                return []
            head = target[:paren]
            signature = _split_params(target[paren + 1 : close])
            rest = target[close + 1 :]
        elif slash >= 0:
            head, rest = target[:slash], target[slash:]
        else:
            head, rest = target, ""
        segments = rest.split("/")[1:] if rest else []

        if signature is not None or head in self.ops_by_name:
            return self.operation_keys(head, signature, segments, target, el)
        if head in self.structured:
            if not segments:
                return [("Q", head)]
            if len(segments) > 1:
                return []
            draft = self.structured[head]
            if segments[0] in self.members_of(draft):
                return [("Q", head, segments[0])]
            if not self.inherits_member(draft, segments[0]):
                self.warn(f"annotation target {target!r} does not exist", el)
            return []
        if head in self.enums:
            if not segments:
                return [("Q", head)]
            if len(segments) == 1 and any(m.name == segments[0] for m in self.enums[head].members):
                return [("Q", head, segments[0])]
            self.warn(f"annotation target {target!r} does not exist", el)
            return []
        if head in self.type_definitions or head in self.terms:
            return [("Q", head)] if not segments else []
        if head == self.container_qualified:
            if not segments:
                return [("Q", head)]
            if segments[0] not in self.container_children:
                self.warn(f"annotation target {target!r} does not exist", el)
                return []
            return [("Q", head, segments[0])] if len(segments) == 1 else []
        if head in self.defined_ns:  # the schema itself
            return []
        if self.namespace_of(head) in self.defined_ns or self.namespace_of(head) not in self.referenced_ns:
            self.warn(f"annotation target {target!r} does not exist", el)
        return []

    def inherits_member(self, draft: _StructDraft, name: str) -> bool:
        base = draft.base
        while base is not None:
            parent = self.structured.get(base)
            if parent is None:
                return True  # a base we do not know may well have it
            if name in self.members_of(parent):
                return True
            base = parent.base
        return False

    def operation_keys(
        self, head: str, signature: list[str] | None, segments: list[str], target: str, el: _Where
    ) -> list[_Key]:
        indexes = self.ops_by_name.get(head)
        if indexes is None:
            if self.namespace_of(head) in self.defined_ns or self.namespace_of(head) not in self.referenced_ns:
                self.warn(f"annotation target {target!r} does not exist", el)
            return []
        if signature is not None:
            matching = [i for i in indexes if self.operations[i].signature == signature]
            if not matching and len(signature) <= 1:
                # The specification identifies an action overload by its binding parameter
                # alone (Graph writes every parameter, which the exact match above covers).
                matching = [i for i in indexes if self.action_binding(i) == signature]
            if not matching:
                self.warn(f"annotation target {target!r} matches no overload", el)
                return []
            indexes = matching
        if not segments:
            return [("O", i) for i in indexes]
        if len(segments) > 1 or segments[0] == "$ReturnType":
            return []
        keys: list[_Key] = [("P", i, segments[0]) for i in indexes if segments[0] in self.operations[i].parameter_names]
        if not keys:
            self.warn(f"annotation target {target!r} does not exist", el)
        return keys

    def action_binding(self, index: int) -> list[str] | None:
        draft = self.operations[index]
        if draft.operation.kind != "action":
            return None
        return draft.signature[:1] if draft.operation.bound else []

    # ------------------------------------------------------------------ model

    def annotations_of(self, key: _Key) -> tuple[Annotation, ...]:
        found = self.annotations.get(key)
        return tuple(found) if found else ()

    def build(self) -> Model:
        structured = []
        # Each draft goes as its type is built, so that the two never all exist at once.
        drafts, self.structured = self.structured, {}
        for qualified in list(drafts):
            draft = drafts.pop(qualified)
            properties = tuple(self.annotated(p, ("Q", qualified, p.name)) for p in draft.properties)
            navigation = tuple(self.annotated(n, ("Q", qualified, n.name)) for n in draft.navigation or ())
            structured.append(
                StructuredType(
                    kind=draft.kind,
                    namespace=draft.namespace,
                    name=draft.qualified[len(draft.namespace) + 1 :],
                    base=draft.base,
                    abstract=draft.abstract,
                    open=draft.open,
                    has_stream=draft.has_stream,
                    key=tuple(name for name, _ in draft.key or ()),
                    properties=properties,
                    navigation=navigation,
                    annotations=self.annotations_of(("Q", qualified)),
                    location=draft.location,
                )
            )
        enums = []
        for qualified, enum in self.enums.items():
            members = tuple(self.annotated(m, ("Q", qualified, m.name)) for m in enum.members)
            enums.append(attrs.evolve(enum, members=members, annotations=self.annotations_of(("Q", qualified))))
        operations = []
        for index, draft_op in enumerate(self.operations):
            op = draft_op.operation
            parameters = []
            for p in op.parameters:
                anns = self.annotations_of(("P", index, p.name))
                optional = any(a.term == CORE_OPTIONAL_PARAMETER for a in anns)
                parameters.append(attrs.evolve(p, annotations=anns, optional=optional) if anns else p)
            operations.append(
                attrs.evolve(op, parameters=tuple(parameters), annotations=self.annotations_of(("O", index)))
            )
        container = self.container
        if container is not None and self.container_qualified is not None:
            cq = self.container_qualified
            container = attrs.evolve(
                container,
                entity_sets=tuple(self.annotated(s, ("Q", cq, s.name)) for s in container.entity_sets),
                imports=tuple(self.annotated(i, ("Q", cq, i.name)) for i in container.imports),
                annotations=self.annotations_of(("Q", cq)),
            )
        return Model(
            source=self.source,
            version=self.version,
            namespaces=tuple(self.namespaces),
            aliases=(*self.include_aliases.items(), *self.schema_aliases.items()),
            references=tuple(self.references),
            structured=tuple(structured),
            enums=tuple(enums),
            type_definitions=tuple(self.annotated(t, ("Q", t.qualified)) for t in self.type_definitions.values()),
            operations=tuple(operations),
            terms=tuple(self.annotated(t, ("Q", f"{t.namespace}.{t.name}")) for t in self.terms.values()),
            container=container,
            extra_annotations=tuple((target, tuple(anns)) for target, anns in self.extra.items()),
        )

    def annotated(self, item: Any, key: _Key) -> Any:
        anns = self.annotations.get(key)
        return attrs.evolve(item, annotations=tuple(anns)) if anns else item


# --------------------------------------------------------------------------- frames


class _Frame:
    """Reads one element from its start to its end, its children one at a time.

    `open` is given each child as it starts (attributes, no children yet) and returns the frame
    that reads it, `_SKIP` for a child read already or not read at all, or None to be given the
    child, once it ends, in `child`, which reads the element alone (its attributes, its text),
    never its children.  `end` is given the element after all its children.  The pruner frees
    every child once it is read, so a large element (an enum of a million members, an annotation
    of a million values) never exists whole; `_Reader.walk` drives the same frames over a whole
    tree.
    `rank` is the part of the reading order (_R_*) of what the frame reads.
    """

    __slots__ = ("r",)
    rank = _R_CONTENT

    def __init__(self, reader: _Reader) -> None:
        self.r = reader

    def open(self, el: etree._Element) -> _Frame | None:
        return None

    def child(self, el: etree._Element) -> None:
        return None

    def end(self, el: etree._Element) -> None:
        return None


_SKIP = _Frame(cast(_Reader, None))


class _RootFrame(_Frame):
    __slots__ = ("data_services",)
    rank = _R_EDMX

    def __init__(self, reader: _Reader) -> None:
        self.r = reader
        self.data_services = False

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        tag = el.tag
        if tag == _EDMX + "Reference":
            return _ReferenceFrame(r, el) if r.at(_R_EDMX) else _SKIP
        if tag == _EDMX + "DataServices":
            if not self.data_services:
                self.data_services = True
                return _DataServicesFrame(r)
            if r.at(_R_EDMX):
                r.error("more than one edmx:DataServices element", el)
            return _SKIP
        return None

    def child(self, el: etree._Element) -> None:
        if self.r.at(_R_EDMX):
            self.r.unknown_element(el, "Edmx")

    def end(self, el: etree._Element) -> None:
        if not self.data_services and self.r.at(_R_EDMX):
            self.r.error("not an OData CSDL document: no edmx:DataServices element", el)


class _ReferenceFrame(_Frame):
    __slots__ = ("uri", "includes")
    rank = _R_EDMX

    def __init__(self, reader: _Reader, el: etree._Element) -> None:
        self.r = reader
        reader.check_attributes(el, "Reference")
        self.uri = el.get("Uri")
        if not self.uri:
            reader.warn("edmx:Reference without Uri", el)
        self.includes: list[tuple[str, str | None]] = []

    def open(self, el: etree._Element) -> _Frame | None:
        tag = el.tag
        if tag == _EDMX + "Include":
            self.r.read_include(el, self.includes)
        elif tag == _EDMX + "IncludeAnnotations":
            self.r.check_attributes(el, "IncludeAnnotations")
        elif tag != _ANNOTATION:  # annotations on a reference have no place in the model
            return None
        return _SKIP

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "edmx:Reference")

    def end(self, el: etree._Element) -> None:
        self.r.references.append(Reference(uri=self.uri or "", includes=tuple(self.includes)))


class _DataServicesFrame(_Frame):
    __slots__ = ()
    rank = _R_DATA_SERVICES

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        if el.tag == _EDM + "Schema":
            if r.at(_R_SCHEMA):
                r.read_schema_attributes(el)
            # The Namespace as checked with the attributes, in the pass that read them.
            return _SchemaFrame(r, (el.get("Namespace") or "").strip()) if r.at(_R_CONTENT) else _SKIP
        if _local(el) == "Schema":
            if r.at(_R_DATA_SERVICES):
                r.error(
                    f"Schema in namespace {etree.QName(el).namespace!r} is not OData V4 CSDL (expected {EDM_NS})", el
                )
            return _SKIP
        return None

    def child(self, el: etree._Element) -> None:
        if self.r.at(_R_DATA_SERVICES):
            self.r.unknown_element(el, "DataServices")


class _SchemaFrame(_Frame):
    __slots__ = ("namespace",)

    def __init__(self, reader: _Reader, namespace: str) -> None:
        self.r = reader
        self.namespace = namespace

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        tag = el.tag
        if tag == _EDM + "EntityType":
            return r.open_structured(el, self.namespace, "entity")
        if tag == _EDM + "ComplexType":
            return r.open_structured(el, self.namespace, "complex")
        if tag == _EDM + "EnumType":
            return r.open_enum(el, self.namespace)
        if tag == _EDM + "Action":
            return r.open_operation(el, self.namespace, "action")
        if tag == _EDM + "Function":
            return r.open_operation(el, self.namespace, "function")
        if tag == _EDM + "TypeDefinition":
            return r.open_type_definition(el, self.namespace)
        if tag == _EDM + "Term":
            return r.open_term(el, self.namespace)
        if tag == _EDM + "EntityContainer":
            return r.open_container(el, self.namespace)
        if tag == _EDM + "Annotations":
            r.check_attributes(el, "Annotations")
            return _BlockFrame(r, el)
        if tag == _ANNOTATION:
            return _InlineAnnotation(r, el, None, self.namespace)
        return None

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "Schema")


class _Annotated(_Frame):
    """An element whose children are annotations of `key`; any other child is unknown in <`name`>."""

    __slots__ = ("key", "name")

    def __init__(self, reader: _Reader, key: _Key, name: str) -> None:
        self.r = reader
        self.key = key
        self.name = name

    def open(self, el: etree._Element) -> _Frame | None:
        return _InlineAnnotation(self.r, el, self.key) if el.tag == _ANNOTATION else None

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, self.name)


class _StructFrame(_Frame):
    __slots__ = ("draft", "tag", "names")

    def __init__(self, reader: _Reader, draft: _StructDraft, tag: str) -> None:
        self.r = reader
        self.draft = draft
        self.tag = tag
        # Its members' names, for duplicates: the draft keeps none (a million types cost less).
        self.names: set[str] = set()

    def open(self, el: etree._Element) -> _Frame | None:
        tag = el.tag
        if tag == _EDM + "Property":
            return self.r.open_property(el, self.draft, self.names)
        if tag == _EDM + "NavigationProperty":
            return self.r.open_navigation(el, self.draft, self.names)
        if tag == _EDM + "Key" and self.draft.kind == "entity":
            self.r.check_attributes(el, "Key")
            return _KeyFrame(self.r, self.draft, _where(el))
        if tag == _ANNOTATION:
            return _InlineAnnotation(self.r, el, ("Q", self.draft.qualified))
        return None

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, self.tag)

    def end(self, el: etree._Element) -> None:
        draft = self.draft
        draft.properties = tuple(draft.properties)


class _KeyFrame(_Frame):
    __slots__ = ("draft", "where")

    def __init__(self, reader: _Reader, draft: _StructDraft, where: _Where) -> None:
        self.r = reader
        self.draft = draft
        self.where = where

    def open(self, el: etree._Element) -> _Frame | None:
        if el.tag == _EDM + "PropertyRef":
            r = self.r
            r.check_attributes(el, "PropertyRef")
            key_alias = el.get("Alias")
            if key_alias is not None:
                r.simple_identifier(el, "Alias", key_alias)
            path = r.property_path(el)
            draft = self.draft
            if draft.key is None:
                draft.key = []
                draft.key_where = self.where
            draft.key.append((path, _where(el)))
        elif el.tag != _ANNOTATION:
            return None
        return _SKIP

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "Key")


class _NavigationFrame(_Frame):
    __slots__ = ("draft", "name", "ref", "constraints")

    def __init__(self, reader: _Reader, draft: _StructDraft, name: str, ref: TypeRef) -> None:
        self.r = reader
        self.draft = draft
        self.name = name
        self.ref = ref
        self.constraints: list[ReferentialConstraint] = []

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        if el.tag == _EDM + "ReferentialConstraint":
            r.check_attributes(el, "ReferentialConstraint")
            self.constraints.append(
                ReferentialConstraint(
                    property=r.required(el, "Property"), referenced_property=r.required(el, "ReferencedProperty")
                )
            )
        elif el.tag == _EDM + "OnDelete":
            r.check_attributes(el, "OnDelete")
        elif el.tag == _ANNOTATION:
            return _InlineAnnotation(r, el, ("Q", self.draft.qualified, self.name))
        else:
            return None
        return _SKIP

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "NavigationProperty")

    def end(self, el: etree._Element) -> None:
        draft = self.draft
        partner = el.get("Partner")
        if draft.navigation is None:
            draft.navigation = []
        draft.navigation.append(
            NavigationProperty(
                name=self.name,
                type=self.ref,
                partner=partner.strip() if partner else None,
                contains_target=self.r.boolean(el, "ContainsTarget", False),
                referential_constraints=tuple(self.constraints),
            )
        )


class _EnumFrame(_Frame):
    __slots__ = ("namespace", "name", "qualified", "underlying", "members", "lines")

    def __init__(self, reader: _Reader, namespace: str, name: str, qualified: str, underlying: str) -> None:
        self.r = reader
        self.namespace = namespace
        self.name = name
        self.qualified = qualified
        self.underlying = underlying
        # By name, in declaration order; their lines (0 for none) only for a duplicate's message.
        self.members: dict[str, EnumMember] = {}
        self.lines = array("q")

    def open(self, el: etree._Element) -> _Frame | None:
        if el.tag != _EDM + "Member":
            return _InlineAnnotation(self.r, el, ("Q", self.qualified)) if el.tag == _ANNOTATION else None
        r = self.r
        r.check_attributes(el, "Member")
        member = r.declared_name(el, tolerate="-")
        members = self.members
        if member in members:
            first = self.lines[list(members).index(member)] or None
            r.error(f"duplicate member {member!r} in enum {self.qualified} (first declared on line {first})", el)
        value = len(members)  # implicit values follow declaration order
        text = el.get("Value")
        if text is not None:
            if _INTEGER.fullmatch(text.strip()):
                value = int(text)
            else:
                r.warn(f"Value={text!r} is not an integer; using {value}", el)
        members[member] = EnumMember(name=member, value=value)
        self.lines.append(_line(el) or 0)
        return _Annotated(r, ("Q", self.qualified, member), "Member")

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "EnumType")

    def end(self, el: etree._Element) -> None:
        r = self.r
        if not self.members:
            r.warn(f"enum type {self.qualified} has no members", el)
        r.enums[self.qualified] = EnumType(
            namespace=self.namespace,
            name=self.name,
            underlying=self.underlying,
            is_flags=r.boolean(el, "IsFlags", False),
            members=tuple(self.members.values()),
            location=r.location(el),
        )


class _TypeDefinitionFrame(_Annotated):
    __slots__ = ("definition",)

    def __init__(self, reader: _Reader, definition: TypeDefinition) -> None:
        super().__init__(reader, ("Q", definition.qualified), "TypeDefinition")
        self.definition = definition

    def end(self, el: etree._Element) -> None:
        self.r.type_definitions[self.definition.qualified] = self.definition


class _TermFrame(_Annotated):
    __slots__ = ("namespace", "term", "ref")

    def __init__(self, reader: _Reader, namespace: str, name: str, ref: TypeRef) -> None:
        super().__init__(reader, ("Q", f"{namespace}.{name}"), "Term")
        self.namespace = namespace
        self.term = name
        self.ref = ref

    def end(self, el: etree._Element) -> None:
        applies_to = tuple((el.get("AppliesTo") or "").split())
        self.r.terms[self.key[1]] = Term(namespace=self.namespace, name=self.term, type=self.ref, applies_to=applies_to)


class _OperationFrame(_Frame):
    __slots__ = ("kind", "tag", "namespace", "name", "index", "parameters", "names", "return_type", "returns")

    def __init__(self, reader: _Reader, kind: OperationKind, tag: str, namespace: str, name: str, index: int) -> None:
        self.r = reader
        self.kind = kind
        self.tag = tag
        self.namespace = namespace
        self.name = name
        self.index = index
        self.parameters: list[Parameter] = []
        self.names: set[str] = set()
        self.return_type: TypeRef | None = None
        # The ReturnType's annotations, said after the operation's own messages (see end).
        self.returns: list[_Taken | _Where] | None = None

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        tag = el.tag
        qualified = f"{self.namespace}.{self.name}"
        if tag == _EDM + "Parameter":
            r.check_attributes(el, "Parameter")
            name = r.declared_name(el, tolerate="-")
            if name in self.names:
                r.error(f"duplicate parameter {name!r} in {qualified}", el)
            self.names.add(name)
            ref = r.type_ref(el)
            r.use_type(ref.name, el, _PARAMETER_USE, name, qualified)
            self.parameters.append(Parameter(name=name, type=ref))
            return _Annotated(r, ("P", self.index, name), "Parameter")
        if tag == _EDM + "ReturnType":
            r.check_attributes(el, "ReturnType")
            if self.return_type is not None:
                r.error(f"{qualified} has more than one ReturnType", el)
            self.return_type = r.type_ref(el)
            r.use_type(self.return_type.name, el, _RETURN_USE, "", qualified)
            self.returns = []
            return _ReturnTypeFrame(r, self.returns)
        if tag == _ANNOTATION:
            return _InlineAnnotation(r, el, ("O", self.index))
        return None

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, self.tag)

    def end(self, el: etree._Element) -> None:
        r = self.r
        kind = self.kind
        qualified = f"{self.namespace}.{self.name}"
        parameters = self.parameters
        signature = [f"Collection({p.type.name})" if p.type.collection else p.type.name for p in parameters]
        bound = r.boolean(el, "IsBound", False)
        if bound and not parameters:
            r.error(f"bound {kind} {qualified} has no binding parameter", el)
        if kind == "function" and self.return_type is None:
            r.warn(f"function {qualified} has no ReturnType", el)
        if self.returns is not None:
            # Annotations of the return type have no place on Operation: keep them by target.
            target = f"{qualified}({','.join(signature)})/$ReturnType"
            for item in self.returns:
                if isinstance(item, tuple) and len(item) == 2:
                    r.unknown_element(item, "ReturnType")
                    continue
                annotation = r.say(item)
                if annotation is not None:
                    r.extra.setdefault(target, []).append(annotation)
        entity_set_path = el.get("EntitySetPath")
        operation = Operation(
            kind=kind,
            namespace=self.namespace,
            name=self.name,
            bound=bound,
            parameters=tuple(parameters),
            return_type=self.return_type,
            entity_set_path=r.qualify_path(entity_set_path) if entity_set_path else None,
            is_composable=r.boolean(el, "IsComposable", False) if kind == "function" else False,
            location=r.location(el),
        )
        r.operations.append(_OpDraft(operation, signature, self.names))


class _ReturnTypeFrame(_Frame):
    """Reads a ReturnType's annotations for its operation's end, which says what reading them said."""

    __slots__ = ("items",)

    def __init__(self, reader: _Reader, items: list[_Taken | _Where]) -> None:
        self.r = reader
        self.items = items

    def open(self, el: etree._Element) -> _Frame | None:
        return _TakenAnnotation(self.r, el, None, self.items) if el.tag == _ANNOTATION else None

    def child(self, el: etree._Element) -> None:
        self.items.append(_where(el))


class _ContainerFrame(_Frame):
    __slots__ = ("namespace", "name", "qualified", "sets", "imports")

    def __init__(self, reader: _Reader, namespace: str, name: str, qualified: str) -> None:
        self.r = reader
        self.namespace = namespace
        self.name = name
        self.qualified = qualified
        self.sets: list[EntitySet] = []
        self.imports: list[OperationImport] = []

    def open(self, el: etree._Element) -> _Frame | None:
        if el.tag in _CONTAINER_CHILDREN:
            return self.r.open_container_child(el, self)
        if el.tag == _ANNOTATION:
            return _InlineAnnotation(self.r, el, ("Q", self.qualified))
        return None

    def child(self, el: etree._Element) -> None:
        self.r.unknown_element(el, "EntityContainer")

    def end(self, el: etree._Element) -> None:
        self.r.container = Container(
            namespace=self.namespace, name=self.name, entity_sets=tuple(self.sets), imports=tuple(self.imports)
        )


class _SetFrame(_Annotated):
    """An EntitySet or Singleton: its bindings are read as they come and said after its annotations."""

    __slots__ = ("container", "bindings")

    def __init__(self, reader: _Reader, container: _ContainerFrame, local: str, name: str) -> None:
        super().__init__(reader, ("Q", container.qualified, name), local)
        self.container = container
        self.bindings: list[_TakenBinding] = []

    def open(self, el: etree._Element) -> _Frame | None:
        if el.tag != _EDM + "NavigationPropertyBinding":
            return super().open(el)
        bindings = self.bindings
        # Nothing after a binding that failed is read: its error stops the reading there.
        if not bindings or not isinstance(bindings[-1], tuple) or bindings[-1][2] is None:
            bindings.append(self.r.take_binding(el))
        return _SKIP

    def end(self, el: etree._Element) -> None:
        r = self.r
        singleton = self.name == "Singleton"
        name = self.key[2]
        entity_type = r.qualify(r.type_name(el, "Type" if singleton else "EntityType", collection=False))
        r.use_type(entity_type, el, _SINGLETON_USE if singleton else _ENTITY_SET_USE, name)
        bindings: list[NavigationBinding] = []
        for item in self.bindings:
            if isinstance(item, tuple):
                binding, said, failed = item
                for message, where in said:
                    r.warn(message, where)
                if failed is not None:
                    raise failed
                item = cast(NavigationBinding, binding)
            bindings.append(item)
        self.container.sets.append(
            EntitySet(name=name, entity_type=entity_type, singleton=singleton, bindings=tuple(bindings))
        )


class _ImportFrame(_Annotated):
    __slots__ = ("container",)

    def __init__(self, reader: _Reader, container: _ContainerFrame, local: str, name: str) -> None:
        super().__init__(reader, ("Q", container.qualified, name), local)
        self.container = container

    def end(self, el: etree._Element) -> None:
        r = self.r
        kind: OperationKind = "action" if self.name == "ActionImport" else "function"
        operation = r.qualify(r.type_name(el, "Action" if kind == "action" else "Function", collection=False))
        entity_set = el.get("EntitySet")
        item = OperationImport(
            kind=kind,
            name=self.key[2],
            operation=operation,
            entity_set=r.qualify_path(entity_set) if entity_set else None,
        )
        self.container.imports.append(item)
        r.import_elements.append((item, _where(el)))


class _BlockFrame(_Frame):
    """An Annotations block: its annotations are read as they come, and said once all is read (see _Block)."""

    __slots__ = ("block", "reading")

    def __init__(self, reader: _Reader, el: etree._Element) -> None:
        self.r = reader
        target = el.get("Target")
        self.block = _Block(_where(el), target, el.get("Qualifier"), [])
        # Without a Target the block says so once all is read, and nothing else.
        self.reading = bool(target and target.strip())

    def open(self, el: etree._Element) -> _Frame | None:
        if not self.reading:
            return _SKIP
        if el.tag == _ANNOTATION:
            return _TakenAnnotation(self.r, el, self.block.qualifier, self.block.items)
        return None

    def child(self, el: etree._Element) -> None:
        self.block.items.append(_where(el))

    def end(self, el: etree._Element) -> None:
        self.r.external.append(self.block)


# --------------------------------------------------------------------------- annotation frames
# An annotation is read while it is parsed, expression by expression, and each element is freed
# once read, so that one holding a Collection of a million values never exists whole.  What reading
# it says comes in the order of reading it whole: an Annotation or PropertyValue says "more than
# one expression" before what its first expression says, and a PropertyValue's own annotations
# speak after its value; what comes before its place waits in a list (the reader's sink, see
# _Reader.warn) and is said there.  So a first expression of a million bad values keeps its
# million warnings until the next expression or the end of its Annotation, as an Annotations
# block keeps what its annotations say until its target is known.

# Expressions read from the element alone (`_Reader.leaf`): their children are never read.
_LEAF_EXPRESSIONS = (_CONSTANT_ATTRS - {"UrlRef"}) | {"Null", "LabeledElementReference"}
_EDM_LENGTH = len(_EDM)


def _kind(el: etree._Element) -> str:
    """The kind of an expression: its local name in the CSDL namespace, else its whole tag."""
    tag: str = el.tag
    return tag[_EDM_LENGTH:] if tag.startswith(_EDM) else tag


def _annotate(result: dict[str, AnnotationValue], member: str, annotation: Annotation | None) -> None:
    # Annotations in a Record follow the CSDL JSON convention "Member@Term#Qualifier".
    if annotation is not None:
        suffix = f"#{annotation.qualifier}" if annotation.qualifier else ""
        result[f"{member}@{annotation.term}{suffix}"] = annotation.value


class _Expressions(_Frame):
    """A frame whose children are expressions: `take` is given the value of each one read."""

    __slots__ = ()

    def expression(self, el: etree._Element) -> _Frame | None:
        kind = _kind(el)
        if kind in _LEAF_EXPRESSIONS:
            return None
        if kind == "Collection":
            return _CollectionFrame(self.r, self)
        if kind == "Record":
            return _RecordFrame(self.r, self, el)
        return _DynamicFrame(self.r, self, el, kind)

    def child(self, el: etree._Element) -> None:
        self.take(self.r.leaf(el))

    def take(self, value: AnnotationValue) -> None:
        raise NotImplementedError


class _ValueFrame(_Expressions):
    """An Annotation's or a PropertyValue's value: a constant attribute, else its first child expression.

    What the first expression says waits until the next expression starts (which is skipped,
    after "more than one expression", said first) or the element ends.
    """

    __slots__ = ("value", "state", "pending", "outer")

    def start(self, el: etree._Element, empty: AnnotationValue) -> None:
        # state: -1 a constant attribute is the value (no child expression is read), else how many
        # child expressions have started, up to 2.
        self.pending: _Said | None = None
        self.outer: _Said | None = None
        for attr in _attributes(el):
            if attr in _CONSTANT_ATTRS:
                self.value = self.r.constant(attr, el.get(attr) or "", el)
                self.state = -1
                return
        # What no value means: for an Annotation, Bool true (per the specification).
        self.value = empty
        self.state = 0

    def open_expression(self, el: etree._Element) -> _Frame | None:
        state = self.state
        if state == 0:
            self.state = 1
            r = self.r
            self.outer = r.sink
            r.sink = self.pending = []
            return self.expression(el)
        if state == 1:
            self.state = 2
            self.r.warn("more than one expression; only the first is used", el)
            self.say_pending()
        return _SKIP

    def take(self, value: AnnotationValue) -> None:
        self.value = value
        self.r.sink = self.outer

    def say_pending(self) -> None:
        pending, self.pending = self.pending, None
        if pending:
            self.r.say_later(pending)

    def end_value(self) -> None:
        if self.state == 1:
            self.say_pending()


class _AnnotationFrame(_ValueFrame):
    """An Annotation: `done` is given it once read (None when it is ignored)."""

    __slots__ = ("term", "qualifier")

    def __init__(self, reader: _Reader, el: etree._Element, qualifier: str | None) -> None:
        self.r = reader
        reader.check_attributes(el, "Annotation")
        term = el.get("Term")
        self.qualifier = el.get("Qualifier") or qualifier
        if not term or not term.strip():
            reader.warn("Annotation without Term ignored", el)
            self.term: str | None = None
            self.state = -1
            return
        self.term = reader.qualify(term.strip())
        self.start(el, True)

    def open(self, el: etree._Element) -> _Frame | None:
        # Annotations of an annotation have no place in the model.
        return _SKIP if el.tag == _ANNOTATION else self.open_expression(el)

    def end(self, el: etree._Element) -> None:
        if self.term is None:
            self.done(None)
            return
        self.end_value()
        self.done(Annotation(term=self.term, value=self.value, qualifier=self.qualifier))

    def done(self, annotation: Annotation | None) -> None:
        raise NotImplementedError


class _InlineAnnotation(_AnnotationFrame):
    """An annotation of the model element `key` names, or with no key, one kept for `target`."""

    __slots__ = ("key", "target")

    def __init__(self, reader: _Reader, el: etree._Element, key: _Key | None, target: str | None = None) -> None:
        self.key = key
        self.target = target
        super().__init__(reader, el, None)

    def done(self, annotation: Annotation | None) -> None:
        if annotation is None:
            return
        if self.key is not None:
            self.r.annotations.setdefault(self.key, []).append(annotation)
        elif self.target is not None:
            self.r.extra.setdefault(self.target, []).append(annotation)


class _TakenAnnotation(_AnnotationFrame):
    """An annotation read now, with what reading it says kept in `items` to be said later (see _Taken)."""

    __slots__ = ("items", "said", "before")

    def __init__(self, reader: _Reader, el: etree._Element, qualifier: str | None, items: list[Any]) -> None:
        self.items = items
        self.said: _Said = []
        self.before = reader.sink
        reader.sink = self.said
        super().__init__(reader, el, qualifier)

    def done(self, annotation: Annotation | None) -> None:
        self.r.sink = self.before
        said = self.said
        self.items.append(annotation if not said and annotation is not None else (annotation, said or None, None))


class _MemberAnnotation(_AnnotationFrame):
    """An annotation in a Record, of the Record itself or of one of its PropertyValues (`up`)."""

    __slots__ = ("up",)

    def __init__(self, reader: _Reader, el: etree._Element, up: _RecordFrame | _PropertyValueFrame) -> None:
        self.up = up
        super().__init__(reader, el, None)

    def done(self, annotation: Annotation | None) -> None:
        self.up.annotated(annotation)


class _CollectionFrame(_Expressions):
    __slots__ = ("up", "items")

    def __init__(self, reader: _Reader, up: _Expressions) -> None:
        self.r = reader
        self.up = up
        self.items: list[AnnotationValue] = []

    def open(self, el: etree._Element) -> _Frame | None:
        return _SKIP if el.tag == _ANNOTATION else self.expression(el)

    def take(self, value: AnnotationValue) -> None:
        self.items.append(value)

    def end(self, el: etree._Element) -> None:
        self.up.take(self.items)


class _RecordFrame(_Frame):
    __slots__ = ("up", "result")

    def __init__(self, reader: _Reader, up: _Expressions, el: etree._Element) -> None:
        self.r = reader
        self.up = up
        self.result: dict[str, AnnotationValue] = {}
        record_type = el.get("Type")
        if record_type:
            self.result["@type"] = reader.qualify(record_type.strip())

    def open(self, el: etree._Element) -> _Frame | None:
        r = self.r
        tag = el.tag
        if tag == _EDM + "PropertyValue":
            name = el.get("Property")
            if not name:
                r.warn("PropertyValue without Property ignored", el)
                return _SKIP
            return _PropertyValueFrame(r, self.result, name, el)
        if tag == _ANNOTATION:
            return _MemberAnnotation(r, el, self)
        r.unknown_element(el, "Record")
        return _SKIP

    def annotated(self, annotation: Annotation | None) -> None:
        _annotate(self.result, "", annotation)

    def end(self, el: etree._Element) -> None:
        self.up.take(self.result)


class _PropertyValueFrame(_ValueFrame):
    """A member of a Record: its value, then its own annotations, which speak after the value."""

    __slots__ = ("result", "name", "annotations", "notes", "before")

    def __init__(self, reader: _Reader, result: dict[str, AnnotationValue], name: str, el: etree._Element) -> None:
        self.r = reader
        self.result = result
        self.name = name
        self.annotations: list[Annotation | None] = []
        self.notes: _Said = []
        self.before: _Said | None = None
        self.start(el, None)

    def open(self, el: etree._Element) -> _Frame | None:
        if el.tag == _ANNOTATION:
            r = self.r
            self.before = r.sink
            r.sink = self.notes
            return _MemberAnnotation(r, el, self)
        return self.open_expression(el)

    def annotated(self, annotation: Annotation | None) -> None:
        self.r.sink = self.before
        self.annotations.append(annotation)

    def end(self, el: etree._Element) -> None:
        self.end_value()
        result = self.result
        name = self.name
        result[name] = self.value
        for annotation in self.annotations:
            _annotate(result, name, annotation)
        if self.notes:
            self.r.say_later(self.notes)


class _DynamicFrame(_Expressions):
    """A dynamic expression, kept in the shape of CSDL JSON ({"$If": [...]}, {"$Apply": [...], "$Function": ...}).

    The generator does not evaluate them; later stages may show them.  A unary one (Not, Cast, ...)
    takes a constant attribute or its first operand; the others a list of their operands; with
    none, their text.
    """

    __slots__ = ("up", "kind", "unary", "operands", "value")

    def __init__(self, reader: _Reader, up: _Expressions, el: etree._Element, kind: str) -> None:
        self.r = reader
        self.up = up
        self.kind = kind
        self.unary = kind in _UNARY_EXPRESSIONS
        # None once a constant attribute gave the value.
        self.operands: list[AnnotationValue] | None = []
        self.value: AnnotationValue = None
        if self.unary:
            for attr in _attributes(el):
                if attr in _CONSTANT_ATTRS:
                    self.value = reader.constant(attr, el.get(attr) or "", el)
                    self.operands = None
                    break

    def open(self, el: etree._Element) -> _Frame | None:
        operands = self.operands
        if el.tag == _ANNOTATION or operands is None or (self.unary and operands):
            return _SKIP
        return self.expression(el)

    def take(self, value: AnnotationValue) -> None:
        assert self.operands is not None
        self.operands.append(value)

    def end(self, el: etree._Element) -> None:
        operands = self.operands
        if operands is None:
            value = self.value
        elif operands:
            value = operands[0] if self.unary else operands
        else:
            value = (el.text or "").strip() or None
        result: dict[str, AnnotationValue] = {f"${self.kind}": value}
        for attr in _attributes(el):
            if attr in _CONSTANT_ATTRS or attr.startswith("{"):
                continue
            text = el.get(attr) or ""
            result[f"${attr}"] = self.r.qualify(text) if attr == "Type" else text
        self.up.take(result)
