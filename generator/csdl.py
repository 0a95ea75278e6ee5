"""Read an OData V4 CSDL XML document (`$metadata`) into the intermediate model.

The reader is lenient where real services are sloppy (it warns through
:class:`~generator.errors.Diagnostics` and goes on) and strict where going on would produce
a wrong client (it raises :class:`~generator.errors.MetadataError` naming the source, line
and element).  Every type, term and target name in the model is resolved from its alias to
the full namespace.  Declaration order is kept everywhere so the output is deterministic.
"""

from __future__ import annotations

import re
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
    root, dropped = _parse_xml(data, source)
    # When this is the last reference, the document's bytes go before the model is built.
    del data
    model = _Reader(source, diagnostics).read(root)
    # After the reader's own warnings: these stand for many elements, wherever they were.
    for message, line, element in dropped:
        diagnostics.warn(message, source=source, line=line, element=element)
    return model


# --------------------------------------------------------------------------- parsing

_DTD_MESSAGE = "DTDs are not allowed (possible XXE or entity expansion attack)"
_FEED = 1 << 20
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


def _parse_xml(data: bytes, source: str) -> tuple[etree._Element, list[tuple[str, int | None, str]]]:
    """The document's tree, without what the reader never reads, and warnings for what was dropped unread."""
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
    pruner = _Pruner(source)
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
    return root, pruner.warnings()


def _elements(parser: etree.XMLPullParser) -> Iterator[tuple[str, etree._Element]]:
    # Only "start" and "end" events were asked for: each comes with an element.
    return cast(Iterator[tuple[str, etree._Element]], parser.read_events())


def _refuse_dtd(root: etree._Element, source: str) -> None:
    docinfo = root.getroottree().docinfo
    # The byte scan misses other encodings (UTF-16): check what the parser saw as well.
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise MetadataError(_DTD_MESSAGE, source=source, element="!DOCTYPE")


class _Pruner:
    """Takes the parser's events and drops what the reader would skip, counting it by kind."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[tuple[frozenset[str], str]] = []
        self.kept = 0
        # Dropped elements that have ended, removed at the next event: libxml2 may still append
        # text to the last child of the open element, so that child is never unlinked at once.
        self.pending: list[etree._Element] = []
        self.dropped: dict[tuple[str, str], list[Any]] = {}

    def take(self, events: Iterator[tuple[str, etree._Element]]) -> None:
        stack = self.stack
        for event, el in events:
            if self.pending:
                self.flush()
            if event == "end":
                if stack.pop()[0] is _DROPPED:
                    self.pending.append(el)
                continue
            if not stack:
                _refuse_dtd(el, self.source)
                stack.append((_CHILDREN.get(el.tag, _ANNOTATIONS_ONLY), el.tag))
                continue
            allowed, parent = stack[-1]
            if allowed is _ALL or allowed is _DROPPED or allowed is _HOLLOW:
                stack.append((_DROPPED if allowed is not _ALL else _ALL, ""))
                continue
            tag = el.tag
            if tag in allowed or (parent == _EDMX + "DataServices" and _local(el) == "Schema"):
                # A Schema in another namespace stays: the reader says it is not OData V4.
                stack.append((_ALL if tag == _ANNOTATION else _CHILDREN.get(tag, _ANNOTATIONS_ONLY), tag))
                known = _KNOWN_ATTRS_BY_TAG.get(tag)
                if known is not None:
                    self.attributes(el, known)
            elif self.kept < _UNKNOWN_KEPT:
                self.kept += 1
                el.attrib.clear()
                stack.append((_HOLLOW, tag))
            else:
                self.note("element", parent, el, "")
                stack.append((_DROPPED, tag))

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


def _attributes(el: etree._Element) -> list[str]:
    return [name for name in el.attrib if isinstance(name, str)]


def _children(el: etree._Element) -> list[etree._Element]:
    # Processing instructions (and, were they kept, comments) have a non-string tag.
    return [c for c in el if isinstance(c.tag, str)]


def _split_params(signature: str) -> list[str]:
    return [p for p in signature.split(",") if p] if signature else []


@dataclass
class _StructDraft:
    kind: StructuredKind
    namespace: str
    name: str
    base: str | None
    abstract: bool
    open: bool
    has_stream: bool
    location: SourceLocation
    key: list[tuple[str, etree._Element]] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    navigation: list[NavigationProperty] = field(default_factory=list)
    member_elements: dict[str, etree._Element] = field(default_factory=dict)
    base_element: etree._Element | None = None

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclass
class _OpDraft:
    operation: Operation
    signature: list[str]  # parameter type names as written in annotation targets
    parameter_names: set[str]


@dataclass
class _TypeUse:
    name: str
    element: etree._Element
    what: str
    need_entity: bool = False
    warn_referenced: bool = True


class _Reader:
    def __init__(self, source: str, diagnostics: Diagnostics) -> None:
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

        self.schema_names: dict[str, etree._Element] = {}
        self.structured: dict[str, _StructDraft] = {}
        self.enums: dict[str, EnumType] = {}
        self.type_definitions: dict[str, TypeDefinition] = {}
        self.terms: dict[str, Term] = {}
        self.operations: list[_OpDraft] = []
        self.ops_by_name: dict[str, list[int]] = {}
        self.container: Container | None = None
        self.container_qualified: str | None = None
        self.container_children: dict[str, etree._Element] = {}
        self.type_uses: list[_TypeUse] = []
        self.import_elements: list[tuple[OperationImport, etree._Element]] = []

        self.annotations: dict[_Key, list[Annotation]] = {}
        self.extra: dict[str, list[Annotation]] = {}
        self.external: list[tuple[etree._Element, str | None]] = []

    # ------------------------------------------------------------------ diagnostics

    def error(self, message: str, el: etree._Element | None = None) -> NoReturn:
        if el is None:
            raise MetadataError(message, source=self.source)
        raise MetadataError(message, source=self.source, line=_line(el), element=_local(el))

    def warn(self, message: str, el: etree._Element | None = None) -> None:
        if el is None:
            self.diag.warn(message, source=self.source)
        else:
            self.diag.warn(message, source=self.source, line=_line(el), element=_local(el))

    def check_attributes(self, el: etree._Element, name: str) -> None:
        known = _KNOWN_ATTRS.get(name)
        if known is None:
            return
        for attr in _attributes(el):
            # Attributes in other namespaces are vendor extensions the spec allows.
            if attr not in known and not attr.startswith("{"):
                self.warn(f"unknown attribute {attr!r} ignored", el)

    def unknown_element(self, el: etree._Element, parent: str) -> None:
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
        return SourceLocation(self.source, _line(el) or 0, _local(el))

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
            ns = self.aliases.get(prefix) if dot else None
            result = f"{ns}.{last}" if ns is not None else name
        self.qualify_cache[name] = result
        return result

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

    def read(self, root: etree._Element) -> Model:
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
        for schema in schemas:
            self.read_schema(schema)

        self.check_types()
        self.check_imports()
        for block, qualifier in self.external:
            self.read_annotations_block(block, qualifier)
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
                self.external.append((child, child.get("Qualifier")))
            elif tag == _EDM + "Annotation":
                self.add_inline(None, child, target=namespace)
            else:
                self.unknown_element(child, "Schema")

    def declare(self, el: etree._Element, namespace: str) -> tuple[str, str]:
        name = self.declared_name(el)
        qualified = f"{namespace}.{name}"
        previous = self.schema_names.get(qualified)
        if previous is not None:
            self.error(
                f"duplicate name {name!r} in schema {namespace!r} (first declared on line {_line(previous)})", el
            )
        if qualified in self.ops_by_name:
            self.warn_operation_clash(name, namespace, el)
        self.schema_names[qualified] = el
        return name, qualified

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

    def use_type(self, ref: TypeRef, el: etree._Element, what: str, **kwargs: bool) -> None:
        self.type_uses.append(_TypeUse(ref.name, el, what, **kwargs))

    def read_structured(self, el: etree._Element, namespace: str, kind: StructuredKind) -> None:
        tag = "EntityType" if kind == "entity" else "ComplexType"
        self.check_attributes(el, tag)
        name, qualified = self.declare(el, namespace)
        base = self.type_name(el, "BaseType", collection=False) if el.get("BaseType") is not None else None
        draft = _StructDraft(
            kind=kind,
            namespace=namespace,
            name=name,
            base=self.qualify(base) if base else None,
            abstract=self.boolean(el, "Abstract", False),
            open=self.boolean(el, "OpenType", False),
            has_stream=self.boolean(el, "HasStream", False) if kind == "entity" else False,
            location=self.location(el),
            base_element=el if base else None,
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
                        draft.key.append((self.property_path(ref), ref))
                    elif ref.tag != _EDM + "Annotation":
                        self.unknown_element(ref, "Key")
            elif ctag == _EDM + "Annotation":
                self.add_inline(("Q", qualified), child)
            else:
                self.unknown_element(child, tag)

    def member_name(self, el: etree._Element, draft: _StructDraft) -> str:
        name = self.declared_name(el, tolerate="-")
        previous = draft.member_elements.get(name)
        if previous is not None:
            self.error(
                f"duplicate property {name!r} in {draft.qualified} (first declared on line {_line(previous)})", el
            )
        draft.member_elements[name] = el
        return name

    def read_property(self, el: etree._Element, draft: _StructDraft) -> None:
        self.check_attributes(el, "Property")
        name = self.member_name(el, draft)
        ref = self.type_ref(el)
        self.use_type(ref, el, f"property {name!r} of {draft.qualified}")
        draft.properties.append(Property(name=name, type=ref, default=el.get("DefaultValue")))
        for child in _children(el):
            if child.tag == _EDM + "Annotation":
                self.add_inline(("Q", draft.qualified, name), child)
            else:
                self.unknown_element(child, "Property")

    def read_navigation(self, el: etree._Element, draft: _StructDraft) -> None:
        self.check_attributes(el, "NavigationProperty")
        name = self.member_name(el, draft)
        ref = self.type_ref(el)
        self.use_type(ref, el, f"navigation property {name!r} of {draft.qualified}", need_entity=True)
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
        self.use_type(ref, el, f"type definition {name!r}")
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
        if qualified in self.terms or qualified in self.schema_names or qualified in self.ops_by_name:
            # Terms are not generated into code, so a clash is not worth stopping for (the
            # 2023 Graph file declares microsoft.graph.conflictBehavior twice).
            self.warn(f"duplicate name {name!r} in schema {namespace!r}; term ignored", el)
            return
        ref = self.type_ref(el)
        # Vocabularies routinely type terms with types of other vocabularies: no warning.
        self.use_type(ref, el, f"term {name!r}", warn_referenced=False)
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
        if qualified in self.schema_names and qualified not in self.ops_by_name:
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
                self.use_type(ref, child, f"parameter {pname!r} of {qualified}")
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
                self.use_type(return_type, child, f"return type of {qualified}")
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
            previous = self.container_children.get(cname)
            if previous is not None:
                self.error(
                    f"duplicate name {cname!r} in entity container {qualified} "
                    f"(first declared on line {_line(previous)})",
                    child,
                )
            self.container_children[cname] = child
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
                ref = TypeRef(name=entity_type)
                self.use_type(ref, child, f"{'singleton' if singleton else 'entity set'} {cname!r}", need_entity=True)
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
                self.import_elements.append((item, child))
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
        name = use.name
        if name.startswith("Edm."):
            if name not in EDM_TYPES:
                self.error(f"{use.what} has unknown primitive type {name!r}", use.element)
            if use.need_entity and name != "Edm.EntityType":
                self.error(f"{use.what} must have an entity type, not {name!r}", use.element)
            return
        draft = self.structured.get(name)
        if draft is not None:
            if use.need_entity and draft.kind != "entity":
                self.error(f"{use.what} must have an entity type, but {name!r} is a complex type", use.element)
            return
        if name in self.enums or name in self.type_definitions:
            if use.need_entity:
                self.error(f"{use.what} must have an entity type, but {name!r} is not one", use.element)
            return
        self.check_undefined(name, use.element, use.what, use.warn_referenced)

    def check_undefined(self, name: str, el: etree._Element, what: str, warn_referenced: bool = True) -> None:
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
            el = draft.base_element
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
                    el = self.structured[current].base_element
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

    @staticmethod
    def key_element(property_ref: etree._Element) -> etree._Element:
        """The <Key> of a PropertyRef: keys are kept as their PropertyRefs."""
        parent = property_ref.getparent()
        return parent if parent is not None else property_ref

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
                    ref = draft.key[0][1]
                    first = ancestor.key[0][1]
                    self.error(
                        f"entity type {draft.qualified} declares a Key, but its base type {ancestor.qualified} "
                        f"already declares one (line {_line(self.key_element(first))}); a derived type "
                        "inherits its key and must not declare another",
                        self.key_element(ref),
                    )
                base = ancestor.base

    def check_members_and_keys(self) -> None:
        # Every type's members including inherited ones (name -> declaring type), built
        # root first and shared with the derived types, so deep hierarchies stay linear.
        # `complete` is False when an ancestor lives outside this document.
        memo: dict[str, tuple[dict[str, str], bool]] = {}

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
            for draft in reversed(chain):
                inherited, complete = memo[draft.base] if draft.base else ({}, True)
                members = dict(inherited)
                for name, el in draft.member_elements.items():
                    owner = inherited.get(name)
                    if owner is not None:
                        self.error(
                            f"property {name!r} of {draft.qualified} is already declared in base type {owner}", el
                        )
                    members[name] = draft.qualified
                memo[draft.qualified] = (members, complete)
            return memo[qualified]

        for qualified, draft in self.structured.items():
            members, complete = all_members(qualified)
            for name, el in draft.key:
                first = name.split("/", 1)[0]
                owner = members.get(first)
                if owner is None:
                    if complete:
                        self.error(f"key property {name!r} is not a property of {qualified}", el)
                    continue
                declared = self.structured[owner].member_elements[first]
                if declared.tag == _EDM + "NavigationProperty":
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

    def read_annotations_block(self, block: etree._Element, qualifier: str | None) -> None:
        raw = block.get("Target")
        if not raw or not raw.strip():
            self.warn("Annotations without Target ignored", block)
            return
        # Targets are written with and without blanks after commas (Graph): normalise.
        target = self.qualify_path("".join(raw.split()))
        keys = self.target_keys(target, block)
        for child in _children(block):
            if child.tag != _EDM + "Annotation":
                self.unknown_element(child, "Annotations")
                continue
            annotation = self.annotation(child, qualifier)
            if annotation is None:
                continue
            if keys:
                for key in keys:
                    self.annotations.setdefault(key, []).append(annotation)
            else:
                self.extra.setdefault(target, []).append(annotation)

    def target_keys(self, target: str, el: etree._Element) -> list[_Key]:
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
            if segments[0] in draft.member_elements:
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
            if name in parent.member_elements:
                return True
            base = parent.base
        return False

    def operation_keys(
        self, head: str, signature: list[str] | None, segments: list[str], target: str, el: etree._Element
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
        for qualified, draft in self.structured.items():
            properties = tuple(self.annotated(p, ("Q", qualified, p.name)) for p in draft.properties)
            navigation = tuple(self.annotated(n, ("Q", qualified, n.name)) for n in draft.navigation)
            structured.append(
                StructuredType(
                    kind=draft.kind,
                    namespace=draft.namespace,
                    name=draft.name,
                    base=draft.base,
                    abstract=draft.abstract,
                    open=draft.open,
                    has_stream=draft.has_stream,
                    key=tuple(name for name, _ in draft.key),
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
