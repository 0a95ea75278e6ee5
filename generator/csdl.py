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
from collections.abc import Callable, Iterator, Sequence
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
# What an element on the parser's stack is to the reader: the first edmx:DataServices, a CSDL
# Schema in it, a child of such a Schema (read and freed at its end), or anything else.
_OTHER, _DATA_SERVICES, _SCHEMA, _CONTENT = range(4)


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
    """The single pass cannot give what `_Reader.read` gives: the document is read in two."""


class _Document:
    """Reads the children of each Schema while the document is parsed, and frees each once read.

    `_Reader.read` reads a whole tree in this order: the root, then its children, the children
    of DataServices and the Schemas' attributes (the prelude), then the Schemas' children (the
    content), then the checks and the Annotations blocks.  Parsing gives the content before the
    prelude is complete (a later Schema, a Reference after DataServices), so the single pass
    reads the prelude last, from the skeleton the parse leaves (Schemas emptied of children),
    which gives what `read` gives when the aliases the content looked up were predicted right
    and the prelude says nothing or the content said nothing.  Otherwise the warnings are taken
    back and the content is read in a second pass, after the prelude.
    """

    def __init__(self, data: bytes, source: str, diagnostics: Diagnostics) -> None:
        self.data = data
        self.source = source
        self.diag = diagnostics
        self.reader = _Reader(source, diagnostics, predicted=_predict_aliases(data))
        self.root_failed: MetadataError | None = None
        self.content_failed: MetadataError | None = None
        self.said_at_root = 0  # the warnings the diagnostics held once the root was read

    def read(self) -> Model:
        mark = self.diag.checkpoint()
        pruner = _Pruner(self.source, self.first_root, self.first_content)
        try:
            root = _parse_xml(self.data, self.source, pruner)
        except MetadataError:
            # The document does not parse: `read` would have said nothing before this.
            self.diag.rewind(mark)
            raise
        reader = self.reader
        try:
            if self.root_failed is not None:
                raise self.root_failed
            if self.diag.count > self.said_at_root:
                # The content has spoken: the prelude, whose warnings come first, must not.
                reader.silent = True
            reader.prelude(root)
            reader.silent = False
            reader.confirm_aliases()
            if self.content_failed is not None:
                raise self.content_failed
        except _Restart:
            self.diag.rewind(mark)
            reader = self.reader = _Reader(self.source, self.diag)
            reader.read_root(root)
            reader.prelude(root)
            _parse_xml(self.data, self.source, _Pruner(self.source, None, reader.read_schema_child))
        self.data = b""
        model = reader.finish()
        # After the reader's own warnings: these stand for many elements, wherever they were.
        for message, line, element in pruner.warnings():
            self.diag.warn(message, source=self.source, line=line, element=element)
        return model

    def first_root(self, root: etree._Element) -> None:
        try:
            self.reader.read_root(root)
        except MetadataError as e:
            # Raised once the document has parsed: a malformed document says so first.
            self.root_failed = e
        self.said_at_root = self.diag.count

    def first_content(self, el: etree._Element, namespace: str) -> None:
        if self.root_failed is not None or self.content_failed is not None:
            return
        try:
            self.reader.read_schema_child(el, namespace)
        except MetadataError as e:
            # The prelude may hold an error that comes first; the rest of the content is not read.
            self.content_failed = e


class _Pruner:
    """Takes the parser's events and drops what the reader would skip, counting it by kind.

    The children of the Schemas are handed to `content` when they end, and freed after.
    """

    def __init__(
        self,
        source: str,
        root: Callable[[etree._Element], None] | None,
        content: Callable[[etree._Element, str], None],
    ) -> None:
        self.source = source
        self.root = root
        self.content = content
        self.stack: list[tuple[frozenset[str], str, int]] = []
        self.kept = 0
        # Dropped elements that have ended, removed at the next event: libxml2 may still append
        # text to the last child of the open element, so that child is never unlinked at once.
        self.pending: list[etree._Element] = []
        self.dropped: dict[tuple[str, str], list[Any]] = {}
        self.data_services = False
        self.namespace = ""

    def take(self, events: Iterator[tuple[str, etree._Element]]) -> None:
        stack = self.stack
        for event, el in events:
            if self.pending:
                self.flush()
            if event == "end":
                allowed, _, role = stack.pop()
                if allowed is _DROPPED:
                    self.pending.append(el)
                elif role == _CONTENT:
                    self.content(el, self.namespace)
                    # Emptied first: lxml unlinks a large subtree in quadratic time, its children
                    # in linear time.  Not clear(): the tail stays, as libxml2 may still extend it.
                    del el[:]
                    self.pending.append(el)
                continue
            if not stack:
                _refuse_dtd(el, self.source)
                stack.append((_CHILDREN.get(el.tag, _ANNOTATIONS_ONLY), el.tag, _OTHER))
                if self.root is not None:
                    self.root(el)
                continue
            allowed, parent, role = stack[-1]
            if allowed is _ALL or allowed is _DROPPED or allowed is _HOLLOW:
                stack.append((_DROPPED if allowed is not _ALL else _ALL, "", _OTHER))
                continue
            tag = el.tag
            if tag in allowed or (parent == _EDMX + "DataServices" and _local(el) == "Schema"):
                # A Schema in another namespace stays: the reader says it is not OData V4.
                if role == _SCHEMA:
                    child = _CONTENT
                elif role == _DATA_SERVICES and tag == _EDM + "Schema":
                    child = _SCHEMA
                    # As `_Reader.read_schema` has it, once the prelude has checked it.
                    self.namespace = (el.get("Namespace") or "").strip()
                elif tag == _EDMX + "DataServices" and len(stack) == 1 and not self.data_services:
                    # Only the first: the reader refuses a second one.
                    self.data_services = True
                    child = _DATA_SERVICES
                else:
                    child = _OTHER
                stack.append((_ALL if tag == _ANNOTATION else _CHILDREN.get(tag, _ANNOTATIONS_ONLY), tag, child))
                known = _KNOWN_ATTRS_BY_TAG.get(tag)
                if known is not None:
                    self.attributes(el, known)
            elif self.kept < _UNKNOWN_KEPT:
                self.kept += 1
                el.attrib.clear()
                # An unknown child of a Schema is content too: the reader warns about it there.
                stack.append((_HOLLOW, tag, _CONTENT if role == _SCHEMA else _OTHER))
            else:
                self.note("element", parent, el, "")
                stack.append((_DROPPED, tag, _OTHER))

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
    name: str
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
    # Member name -> location: while the type is read, then only once asked for (members_of).
    members: dict[str, _Where] | None = field(default_factory=dict)


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

# An Annotations block, kept for after the checks as read: its location, Target, Qualifier,
# and its children, each an Annotation (None when ignored) with the warnings reading it gave
# and the error that stopped it, or the location of an unknown element.
_Said = list[tuple[str, _Where | None]]
_BlockItem = tuple[Annotation | None, _Said | None, MetadataError | None] | _Where


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
        self.alias_list: list[tuple[str, str]] = []
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
        # Annotations block's, after its target's); while `silent`, any warning or error means
        # _Restart.
        self.said = 0
        self.sink: _Said | None = None
        self.silent = False

    # ------------------------------------------------------------------ diagnostics

    def error(self, message: str, el: etree._Element | _Where | None = None) -> NoReturn:
        if self.silent:
            raise _Restart
        if el is None:
            raise MetadataError(message, source=self.source)
        line, element = el if isinstance(el, tuple) else _where(el)
        raise MetadataError(message, source=self.source, line=line, element=element)

    def warn(self, message: str, el: etree._Element | _Where | None = None) -> None:
        if self.silent:
            raise _Restart
        self.said += 1
        where = None if el is None else el if isinstance(el, tuple) else (_line(el), _local(el))
        if self.sink is not None:
            self.sink.append((message, where))
        elif where is None:
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
    # The order of reading is that of the messages: the root, the prelude, each Schema's
    # children in document order, then finish().  _Document reads the same parts while parsing.

    def read(self, root: etree._Element) -> Model:
        """Read a whole tree (the reference order, which the streaming _Document keeps to)."""
        self.read_root(root)
        for schema in self.prelude(root):
            self.read_schema(schema)
        return self.finish()

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

    def prelude(self, root: etree._Element) -> list[etree._Element]:
        """Edmx's children, DataServices' children and the Schemas' attributes: the Schemas to read."""
        data_services: etree._Element | None = None
        for child in _children(root):
            if child.tag == _EDMX + "Reference":
                self.read_reference(child)
            elif child.tag == _EDMX + "DataServices":
                if data_services is not None:
                    self.error("more than one edmx:DataServices element", child)
                data_services = child
            else:
                self.unknown_element(child, "Edmx")
        if data_services is None:
            self.error("not an OData CSDL document: no edmx:DataServices element", root)

        schemas: list[etree._Element] = []
        for child in _children(data_services):
            if child.tag == _EDM + "Schema":
                schemas.append(child)
            elif _local(child) == "Schema":
                self.error(
                    f"Schema in namespace {etree.QName(child).namespace!r} is not OData V4 CSDL (expected {EDM_NS})",
                    child,
                )
            else:
                self.unknown_element(child, "DataServices")

        # Aliases are document-wide: collect them all before reading any type name.
        for schema in schemas:
            self.check_attributes(schema, "Schema")
            namespace = self.namespace_name(schema)
            if namespace not in self.defined_ns:
                self.defined_ns.add(namespace)
                self.namespaces.append(namespace)
            alias = schema.get("Alias")
            if alias is not None:
                self.add_alias(self.simple_identifier(schema, "Alias", alias), namespace, schema)
        return schemas

    def finish(self) -> Model:
        """Once every Schema's children are read: the checks, the Annotations blocks, the model."""
        self.check_types()
        self.check_imports()
        for block in self.external:
            self.read_annotations_block(block)
        self.external = []
        return self.build()

    def add_alias(self, alias: str, namespace: str, el: etree._Element) -> None:
        known = self.aliases.get(alias)
        if known is not None and known != namespace:
            self.warn(f"alias {alias!r} already names namespace {known!r}; ignored for {namespace!r}", el)
            return
        if known is None:
            self.aliases[alias] = namespace
            self.alias_list.append((alias, namespace))

    def read_reference(self, el: etree._Element) -> None:
        self.check_attributes(el, "Reference")
        uri = el.get("Uri")
        if not uri:
            self.warn("edmx:Reference without Uri", el)
        includes: list[tuple[str, str | None]] = []
        for child in _children(el):
            if child.tag == _EDMX + "Include":
                self.check_attributes(child, "Include")
                if not child.get("Namespace"):
                    self.warn("edmx:Include without Namespace ignored", child)
                    continue
                namespace = self.namespace_name(child)
                alias = child.get("Alias")
                if alias is not None:
                    alias = self.simple_identifier(child, "Alias", alias)
                includes.append((namespace, alias))
                self.referenced_ns.add(namespace)
                if alias:
                    self.add_alias(alias, namespace, child)
            elif child.tag == _EDMX + "IncludeAnnotations":
                self.check_attributes(child, "IncludeAnnotations")
            elif child.tag != _EDM + "Annotation":
                # Annotations on a reference have no place in the model.
                self.unknown_element(child, "edmx:Reference")
        self.references.append(Reference(uri=uri or "", includes=tuple(includes)))

    # ------------------------------------------------------------------ schema

    def read_schema(self, schema: etree._Element) -> None:
        namespace = self.required(schema, "Namespace")
        for child in _children(schema):
            self.read_schema_child(child, namespace)

    def read_schema_child(self, child: etree._Element, namespace: str) -> None:
        """One child of a Schema: after this the reader keeps nothing of the element but locations."""
        tag = child.tag
        if tag == _EDM + "EntityType":
            self.read_structured(child, namespace, "entity")
        elif tag == _EDM + "ComplexType":
            self.read_structured(child, namespace, "complex")
        elif tag == _EDM + "EnumType":
            self.read_enum(child, namespace)
        elif tag == _EDM + "Action":
            self.read_operation(child, namespace, "action")
        elif tag == _EDM + "Function":
            self.read_operation(child, namespace, "function")
        elif tag == _EDM + "TypeDefinition":
            self.read_type_definition(child, namespace)
        elif tag == _EDM + "Term":
            self.read_term(child, namespace)
        elif tag == _EDM + "EntityContainer":
            self.read_container(child, namespace)
        elif tag == _EDM + "Annotations":
            self.check_attributes(child, "Annotations")
            self.external.append(self.take_annotations_block(child))
        elif tag == _EDM + "Annotation":
            self.add_inline(None, child, target=namespace)
        else:
            self.unknown_element(child, "Schema")

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

    def add_inline(self, key: _Key | None, el: etree._Element, *, target: str | None = None) -> None:
        annotation = self.annotation(el)
        if annotation is None:
            return
        if key is not None:
            self.annotations.setdefault(key, []).append(annotation)
        elif target is not None:
            self.extra.setdefault(target, []).append(annotation)

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
        """Keep a type reference for check_types, unless it names a primitive type that fits."""
        if name in EDM_TYPES and (not kind.need_entity or name == "Edm.EntityType"):
            return
        self.type_uses.append((kind, subject, owner, name, _where(el)))

    def read_structured(self, el: etree._Element, namespace: str, kind: StructuredKind) -> None:
        tag = "EntityType" if kind == "entity" else "ComplexType"
        self.check_attributes(el, tag)
        name, qualified = self.declare(el, namespace)
        base = self.type_name(el, "BaseType", collection=False) if el.get("BaseType") is not None else None
        draft = _StructDraft(
            kind=kind,
            namespace=namespace,
            name=name,
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
        for child in _children(el):
            ctag = child.tag
            if ctag == _EDM + "Property":
                self.read_property(child, draft)
            elif ctag == _EDM + "NavigationProperty":
                self.read_navigation(child, draft)
            elif ctag == _EDM + "Key" and kind == "entity":
                self.check_attributes(child, "Key")
                for ref in _children(child):
                    if ref.tag == _EDM + "PropertyRef":
                        self.check_attributes(ref, "PropertyRef")
                        key_alias = ref.get("Alias")
                        if key_alias is not None:
                            self.simple_identifier(ref, "Alias", key_alias)
                        path = self.property_path(ref)
                        if draft.key is None:
                            draft.key = []
                            draft.key_where = _where(child)
                        draft.key.append((path, _where(ref)))
                    elif ref.tag != _EDM + "Annotation":
                        self.unknown_element(ref, "Key")
            elif ctag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
            else:
                self.unknown_element(child, tag)
        draft.members = None
        draft.properties = tuple(draft.properties)

    def member_name(self, el: etree._Element, draft: _StructDraft) -> str:
        name = self.declared_name(el, tolerate="-")
        members = draft.members
        assert members is not None
        previous = members.get(name)
        if previous is not None:
            self.error(f"duplicate property {name!r} in {draft.qualified} (first declared on line {previous[0]})", el)
        where = members[name] = _where(el)
        self.member_lines.append((where[0] or 0) * 2 + (where[1] == "NavigationProperty"))
        return name

    def members_of(self, draft: _StructDraft) -> dict[str, _Where]:
        """A type's members and where each was, in declaration order."""
        members = draft.members
        if members is None:
            properties, navigation = iter(draft.properties), iter(draft.navigation or ())
            count = len(draft.properties) + len(draft.navigation or ())
            members = {}
            for value in self.member_lines[draft.member_start : draft.member_start + count]:
                if value & 1:
                    members[next(navigation).name] = (value >> 1 or None, "NavigationProperty")
                else:
                    members[next(properties).name] = (value >> 1 or None, "Property")
            draft.members = members
        return members

    def read_property(self, el: etree._Element, draft: _StructDraft) -> None:
        self.check_attributes(el, "Property")
        name = self.member_name(el, draft)
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _PROPERTY_USE, name, draft.qualified)
        properties = draft.properties
        assert isinstance(properties, list), "a type's properties become a tuple once it is read"
        properties.append(Property(name=name, type=ref, default=el.get("DefaultValue")))
        for child in _children(el):
            if child.tag == _EDM + "Annotation":
                self.add_inline(("Q", draft.qualified, name), child)
            else:
                self.unknown_element(child, "Property")

    def read_navigation(self, el: etree._Element, draft: _StructDraft) -> None:
        self.check_attributes(el, "NavigationProperty")
        name = self.member_name(el, draft)
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _NAVIGATION_USE, name, draft.qualified)
        constraints: list[ReferentialConstraint] = []
        for child in _children(el):
            if child.tag == _EDM + "ReferentialConstraint":
                self.check_attributes(child, "ReferentialConstraint")
                constraints.append(
                    ReferentialConstraint(
                        property=self.required(child, "Property"),
                        referenced_property=self.required(child, "ReferencedProperty"),
                    )
                )
            elif child.tag == _EDM + "OnDelete":
                self.check_attributes(child, "OnDelete")
            elif child.tag == _EDM + "Annotation":
                self.add_inline(("Q", draft.qualified, name), child)
            else:
                self.unknown_element(child, "NavigationProperty")
        partner = el.get("Partner")
        if draft.navigation is None:
            draft.navigation = []
        draft.navigation.append(
            NavigationProperty(
                name=name,
                type=ref,
                partner=partner.strip() if partner else None,
                contains_target=self.boolean(el, "ContainsTarget", False),
                referential_constraints=tuple(constraints),
            )
        )

    def read_enum(self, el: etree._Element, namespace: str) -> None:
        self.check_attributes(el, "EnumType")
        name, qualified = self.declare(el, namespace)
        given = el.get("UnderlyingType")
        underlying = self.qualify(
            self.type_name(el, "UnderlyingType", collection=False) if given is not None else "Edm.Int32"
        )
        if underlying not in _ENUM_UNDERLYING:
            self.warn(f"UnderlyingType {underlying!r} is not an integer type", el)
        members: list[EnumMember] = []
        seen: dict[str, etree._Element] = {}
        for child in _children(el):
            if child.tag == _EDM + "Member":
                self.check_attributes(child, "Member")
                member = self.declared_name(child, tolerate="-")
                if member in seen:
                    self.error(
                        f"duplicate member {member!r} in enum {qualified} "
                        f"(first declared on line {_line(seen[member])})",
                        child,
                    )
                seen[member] = child
                value = len(members)  # implicit values follow declaration order
                text = child.get("Value")
                if text is not None:
                    if _INTEGER.fullmatch(text.strip()):
                        value = int(text)
                    else:
                        self.warn(f"Value={text!r} is not an integer; using {value}", child)
                members.append(EnumMember(name=member, value=value))
                for sub in _children(child):
                    if sub.tag == _EDM + "Annotation":
                        self.add_inline(("Q", qualified, member), sub)
                    else:
                        self.unknown_element(sub, "Member")
            elif child.tag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
            else:
                self.unknown_element(child, "EnumType")
        if not members:
            self.warn(f"enum type {qualified} has no members", el)
        self.enums[qualified] = EnumType(
            namespace=namespace,
            name=name,
            underlying=underlying,
            is_flags=self.boolean(el, "IsFlags", False),
            members=tuple(members),
            location=self.location(el),
        )

    def read_type_definition(self, el: etree._Element, namespace: str) -> None:
        self.check_attributes(el, "TypeDefinition")
        name, qualified = self.declare(el, namespace)
        ref = self.type_ref(el, "UnderlyingType")
        if not ref.is_primitive or ref.collection:
            self.warn(f"UnderlyingType {ref.name!r} of a type definition should be a primitive type", el)
        self.use_type(ref.name, el, _TYPE_DEFINITION_USE, name)
        for child in _children(el):
            if child.tag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
            else:
                self.unknown_element(child, "TypeDefinition")
        self.type_definitions[qualified] = TypeDefinition(namespace=namespace, name=name, underlying=ref)

    def read_term(self, el: etree._Element, namespace: str) -> None:
        self.check_attributes(el, "Term")
        name = self.declared_name(el)
        qualified = f"{namespace}.{name}"
        if qualified in self.terms or self.declared(qualified) or qualified in self.ops_by_name:
            # Terms are not generated into code, so a clash is not worth stopping for (the
            # 2023 Graph file declares microsoft.graph.conflictBehavior twice).
            self.warn(f"duplicate name {name!r} in schema {namespace!r}; term ignored", el)
            return
        ref = self.type_ref(el)
        self.use_type(ref.name, el, _TERM_USE, name)
        for child in _children(el):
            if child.tag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
            else:
                self.unknown_element(child, "Term")
        applies_to = tuple((el.get("AppliesTo") or "").split())
        self.terms[qualified] = Term(namespace=namespace, name=name, type=ref, applies_to=applies_to)

    def read_operation(self, el: etree._Element, namespace: str, kind: OperationKind) -> None:
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

        parameters: list[Parameter] = []
        parameter_names: set[str] = set()
        return_type: TypeRef | None = None
        for child in _children(el):
            ctag = child.tag
            if ctag == _EDM + "Parameter":
                self.check_attributes(child, "Parameter")
                pname = self.declared_name(child, tolerate="-")
                if pname in parameter_names:
                    self.error(f"duplicate parameter {pname!r} in {qualified}", child)
                parameter_names.add(pname)
                ref = self.type_ref(child)
                self.use_type(ref.name, child, _PARAMETER_USE, pname, qualified)
                parameters.append(Parameter(name=pname, type=ref))
                for sub in _children(child):
                    if sub.tag == _EDM + "Annotation":
                        self.add_inline(("P", index, pname), sub)
                    else:
                        self.unknown_element(sub, "Parameter")
            elif ctag == _EDM + "ReturnType":
                self.check_attributes(child, "ReturnType")
                if return_type is not None:
                    self.error(f"{qualified} has more than one ReturnType", child)
                return_type = self.type_ref(child)
                self.use_type(return_type.name, child, _RETURN_USE, "", qualified)
            elif ctag == _EDM + "Annotation":
                self.add_inline(("O", index), child)
            else:
                self.unknown_element(child, tag)

        signature = [f"Collection({p.type.name})" if p.type.collection else p.type.name for p in parameters]
        bound = self.boolean(el, "IsBound", False)
        if bound and not parameters:
            self.error(f"bound {kind} {qualified} has no binding parameter", el)
        if kind == "function" and return_type is None:
            self.warn(f"function {qualified} has no ReturnType", el)
        # Annotations of the return type have no place on Operation: keep them by target.
        for child in _children(el):
            if child.tag == _EDM + "ReturnType":
                target = f"{qualified}({','.join(signature)})/$ReturnType"
                for sub in _children(child):
                    if sub.tag == _EDM + "Annotation":
                        self.add_inline(None, sub, target=target)
                    else:
                        self.unknown_element(sub, "ReturnType")
        entity_set_path = el.get("EntitySetPath")
        operation = Operation(
            kind=kind,
            namespace=namespace,
            name=name,
            bound=bound,
            parameters=tuple(parameters),
            return_type=return_type,
            entity_set_path=self.qualify_path(entity_set_path) if entity_set_path else None,
            is_composable=self.boolean(el, "IsComposable", False) if kind == "function" else False,
            location=self.location(el),
        )
        self.operations.append(_OpDraft(operation, signature, parameter_names))

    def read_container(self, el: etree._Element, namespace: str) -> None:
        self.check_attributes(el, "EntityContainer")
        name, qualified = self.declare(el, namespace)
        if self.container is not None:
            self.warn(f"a document has one entity container; {qualified} ignored", el)
            return
        self.container_qualified = qualified
        sets: list[EntitySet] = []
        imports: list[OperationImport] = []
        for child in _children(el):
            ctag = child.tag
            local = _local(child)
            if ctag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
                continue
            if ctag not in (_EDM + "EntitySet", _EDM + "Singleton", _EDM + "ActionImport", _EDM + "FunctionImport"):
                self.unknown_element(child, "EntityContainer")
                continue
            self.check_attributes(child, local)
            # An entity set or singleton name is a URL path segment: a '/' in it (a prefixed set,
            # as in a Northwind copy) only warns, like the '-' of member names.
            cname = self.declared_name(child, tolerate="-/" if local in ("EntitySet", "Singleton") else "-")
            if cname in self.container_children:
                self.error(
                    f"duplicate name {cname!r} in entity container {qualified} "
                    f"(first declared on line {self.container_children[cname]})",
                    child,
                )
            self.container_children[cname] = _line(child)
            for sub in _children(child):
                if sub.tag == _EDM + "Annotation":
                    self.add_inline(("Q", qualified, cname), sub)
                elif sub.tag != _EDM + "NavigationPropertyBinding" or local in ("ActionImport", "FunctionImport"):
                    self.unknown_element(sub, local)
            if local in ("EntitySet", "Singleton"):
                singleton = local == "Singleton"
                entity_type = self.qualify(
                    self.type_name(child, "Type" if singleton else "EntityType", collection=False)
                )
                self.use_type(entity_type, child, _SINGLETON_USE if singleton else _ENTITY_SET_USE, cname)
                bindings: list[NavigationBinding] = []
                for sub in _children(child):
                    if sub.tag == _EDM + "NavigationPropertyBinding":
                        self.check_attributes(sub, "NavigationPropertyBinding")
                        bindings.append(
                            NavigationBinding(
                                path=self.qualify_path(self.required(sub, "Path")),
                                target=self.qualify_path(self.required(sub, "Target")),
                            )
                        )
                sets.append(
                    EntitySet(name=cname, entity_type=entity_type, singleton=singleton, bindings=tuple(bindings))
                )
            else:
                kind: OperationKind = "action" if local == "ActionImport" else "function"
                operation = self.qualify(
                    self.type_name(child, "Action" if kind == "action" else "Function", collection=False)
                )
                entity_set = child.get("EntitySet")
                item = OperationImport(
                    kind=kind,
                    name=cname,
                    operation=operation,
                    entity_set=self.qualify_path(entity_set) if entity_set else None,
                )
                imports.append(item)
                self.import_elements.append((item, _where(child)))
        self.container = Container(namespace=namespace, name=name, entity_sets=tuple(sets), imports=tuple(imports))

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

    def annotation(self, el: etree._Element, default_qualifier: str | None = None) -> Annotation | None:
        self.check_attributes(el, "Annotation")
        term = el.get("Term")
        if not term or not term.strip():
            self.warn("Annotation without Term ignored", el)
            return None
        qualifier = el.get("Qualifier") or default_qualifier
        return Annotation(term=self.qualify(term.strip()), value=self.value_of(el, True), qualifier=qualifier)

    def value_of(self, el: etree._Element, empty: AnnotationValue) -> AnnotationValue:
        """The value of an Annotation or PropertyValue: a constant attribute or a child expression."""
        for attr in _attributes(el):
            if attr in _CONSTANT_ATTRS:
                return self.constant(attr, el.get(attr) or "", el)
        expressions = [c for c in _children(el) if c.tag != _EDM + "Annotation"]
        if not expressions:
            # Per the specification an Annotation without a value means Bool true.
            return empty
        if len(expressions) > 1:
            self.warn("more than one expression; only the first is used", expressions[1])
        return self.expression(expressions[0])

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

    def expression(self, el: etree._Element) -> AnnotationValue:
        kind = _local(el) if el.tag.startswith(_EDM) else el.tag
        if kind in _CONSTANT_ATTRS and kind != "UrlRef":
            return self.constant(kind, el.text or "", el)
        if kind == "Null":
            return None
        if kind == "Collection":
            return [self.expression(c) for c in _children(el) if c.tag != _EDM + "Annotation"]
        if kind == "Record":
            return self.record(el)
        if kind == "LabeledElementReference":
            return {"$LabeledElementReference": self.qualify_path((el.text or "").strip())}
        # Dynamic expressions: kept in the shape of CSDL JSON ({"$If": [...]}, {"$Apply": [...],
        # "$Function": ...}); the generator does not evaluate them, later stages may show them.
        operands = [c for c in _children(el) if c.tag != _EDM + "Annotation"]
        result: dict[str, AnnotationValue] = {}
        if kind in _UNARY_EXPRESSIONS:
            inline = [a for a in _attributes(el) if a in _CONSTANT_ATTRS]
            if inline:
                result[f"${kind}"] = self.constant(inline[0], el.get(inline[0]) or "", el)
            elif operands:
                result[f"${kind}"] = self.expression(operands[0])
            else:
                result[f"${kind}"] = (el.text or "").strip() or None
        elif operands:
            result[f"${kind}"] = [self.expression(c) for c in operands]
        else:
            result[f"${kind}"] = (el.text or "").strip() or None
        for attr in _attributes(el):
            if attr in _CONSTANT_ATTRS or attr.startswith("{"):
                continue
            value = el.get(attr) or ""
            result[f"${attr}"] = self.qualify(value) if attr == "Type" else value
        return result

    def record(self, el: etree._Element) -> dict[str, AnnotationValue]:
        result: dict[str, AnnotationValue] = {}
        record_type = el.get("Type")
        if record_type:
            result["@type"] = self.qualify(record_type.strip())
        for child in _children(el):
            if child.tag == _EDM + "PropertyValue":
                name = child.get("Property")
                if not name:
                    self.warn("PropertyValue without Property ignored", child)
                    continue
                result[name] = self.value_of(child, None)
                # Annotations of a member follow the CSDL JSON convention "Member@Term#Qualifier".
                for sub in _children(child):
                    if sub.tag == _EDM + "Annotation":
                        self.record_annotation(result, name, sub)
            elif child.tag == _EDM + "Annotation":
                self.record_annotation(result, "", child)
            else:
                self.unknown_element(child, "Record")
        return result

    def record_annotation(self, result: dict[str, AnnotationValue], member: str, el: etree._Element) -> None:
        annotation = self.annotation(el)
        if annotation is not None:
            suffix = f"#{annotation.qualifier}" if annotation.qualifier else ""
            result[f"{member}@{annotation.term}{suffix}"] = annotation.value

    def take_annotations_block(self, block: etree._Element) -> _Block:
        """An Annotations block as read_annotations_block needs it once every type is known.

        Its annotations are read now, while the element exists; what reading them says is kept
        to be said in its place, after the warnings about the target.
        """
        raw = block.get("Target")
        qualifier = block.get("Qualifier")
        items: list[_BlockItem] = []
        if raw and raw.strip():
            for child in _children(block):
                if child.tag != _EDM + "Annotation":
                    items.append(_where(child))
                    continue
                said: _Said = []
                self.sink = said
                try:
                    annotation = self.annotation(child, qualifier)
                except MetadataError as e:
                    # Raised in its place; nothing after it is read, as reading stops there.
                    items.append((None, said, e))
                    break
                finally:
                    self.sink = None
                items.append((annotation, said or None, None))
        return _Block(_where(block), raw, qualifier, items)

    def read_annotations_block(self, block: _Block) -> None:
        raw = block.target
        if not raw or not raw.strip():
            self.warn("Annotations without Target ignored", block.where)
            return
        # Targets are written with and without blanks after commas (Graph): normalise.
        target = self.qualify_path("".join(raw.split()))
        keys = self.target_keys(target, block.where)
        for item in block.items:
            if len(item) == 2:
                self.unknown_element(item, "Annotations")
                continue
            annotation, said, failed = item
            for message, where in said or ():
                self.warn(message, where)
            if failed is not None:
                raise failed
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
                    name=draft.name,
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
            aliases=tuple(self.alias_list),
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
