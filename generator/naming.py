"""Every Python name of a generated package, decided once.

Rules (stable: the same model always gives the same names):

* Classes are PascalCase (``fileAttachment`` → ``FileAttachment``); attributes, parameters,
  methods and entity-set accessors are snake_case (``dateTime`` → ``date_time``,
  ``iCalUId`` → ``i_cal_u_id``); enum members are UPPER_SNAKE (``high`` → ``HIGH``).
* Characters that cannot stand in an identifier become ``_``; a name that would start
  with a digit gets an ``n`` prefix (``N`` for classes and enum members).
* A Python keyword, or a name the runtime reserves in that place (``additional_data`` on
  data classes, ``select``/``filter``/``get``... on request builders, Python builtins and
  the generated modules' own imports at module level), gets a trailing ``_``
  (``from`` → ``from_``).  Builtins are *not* suffixed for attributes and parameters
  (``id``, ``type``): they live in a namespace of their own there.
* Two wire names that give the same Python name keep declaration order: the first keeps
  the name, the next ones get ``_2``, ``_3``... (``fooBar`` → ``foo_bar``, ``foo_bar`` →
  ``foo_bar_2``).  Inherited members count: a subclass never hides a base attribute.
* Two types of different namespaces with the same name: the one in the namespace with the
  fewest dot-separated parts (then the first declared) keeps the plain name; the others
  are prefixed with the PascalCase last part of their namespace (``microsoft.graph.security.alert``
  → ``SecurityAlert``), then numbered if that still collides.

The wire name is always kept next to the Python name in the model.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

import attrs

from .model import EnumType, Model, NavigationProperty, Operation, Parameter, Property

# Attributes every generated data class inherits from the runtime base class, and `self`,
# which the base class's keyword-only `__init__` takes as its first parameter.
RESERVED_ATTRIBUTES = frozenset({"additional_data", "odata_type", "odata_etag", "changed_fields", "self", "isof"})

# Methods and attributes of the runtime request builders (entity, collection, client).
RESERVED_BUILDER = frozenset(
    {
        "get", "select", "filter", "expand", "order_by", "top", "skip", "count", "search",
        "params", "first", "count_only", "pages", "create", "update", "replace", "delete",
        "url", "path", "cast", "key", "client", "with_headers", "with_timeout", "with_retry",
        "close", "batch", "request", "session", "options", "max_items", "root", "converter",
        "send", "url_for", "base_url",
    }
)

# Methods and attributes of the runtime client (entity sets and imports live beside them).
RESERVED_CLIENT = frozenset(
    {
        "close", "with_headers", "with_timeout", "with_retry", "batch", "send", "root", "url_for",
        "base_url", "converter", "REGISTRY", "CONFIG",
    }
)

# Names the generated modules import or define at module level.
RESERVED_MODULE = frozenset(
    set(dir(builtins))
    | {
        "Any", "ClassVar", "Decimal", "UUID", "Enum", "Flag", "TYPE_CHECKING", "annotations",
        "attrs", "date", "datetime", "time", "timedelta", "odatakit", "Client", "Query",
        # What generated modules import from the runtime, and their own module globals.
        "EntityRequest", "CollectionRequest", "ODataObject", "EntityBase", "ComplexBase",
        "ODataEnum", "ODataFlag", "FieldSpec", "Registry", "REGISTRY", "ServiceConfig",
        "invoke", "cast", "TypeVar", "Sequence", "model", "NONE", "Prop", "ZoneInfo", "prefer_timezone",
        # The expression classes generated annotations name.
        "Expr", "BoolExpr", "StringExpr", "NumberExpr", "DateTimeExpr", "DateExpr", "TimeExpr",
        "DurationExpr", "GuidExpr", "BinaryExpr", "EnumExpr", "ComplexExpr", "EntityExpr",
        "CollectionExpr", "NavCollectionExpr",
    }
)

_WORD_BOUNDARY_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]+")


def _words(name: str) -> list[str]:
    """Split a wire name into lower-case words."""
    text = _NOT_IDENT.sub("_", name)
    text = _WORD_BOUNDARY_1.sub(r"\1_\2", text)
    text = _WORD_BOUNDARY_2.sub(r"\1_\2", text)
    return [w.lower() for w in text.split("_") if w]


def snake(name: str) -> str:
    """`dateTime` → `date_time`; the raw snake_case form before reserved-name handling."""
    words = _words(name) or ["x"]
    out = "_".join(words)
    if out[0].isdigit():
        out = "n" + out
    return out


def pascal(name: str) -> str:
    """`fileAttachment` → `FileAttachment`, keeping inner capitals (`iCalUId` → `ICalUId`)."""
    parts = [p for p in _NOT_IDENT.sub("_", name).split("_") if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts) or "X"
    if out[0].isdigit():
        out = "N" + out
    return out


def upper_snake(name: str) -> str:
    """`tentativelyAccepted` → `TENTATIVELY_ACCEPTED`."""
    out = snake(name).upper()
    return out


def _suffix_reserved(name: str, reserved: Iterable[str] | frozenset[str]) -> str:
    if keyword.iskeyword(name) or name in reserved:
        return name + "_"
    return name


class _Scope:
    """Hands out unique names in one namespace, first come first served."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken: set[str] = set(taken)

    def claim(self, name: str) -> str:
        if name not in self.taken:
            self.taken.add(name)
            return name
        n = 2
        while f"{name}_{n}" in self.taken:
            n += 1
        unique = f"{name}_{n}"
        self.taken.add(unique)
        return unique


def attribute_name(wire: str, scope: _Scope) -> str:
    """The snake_case attribute name for a wire name, unique in `scope`."""
    return scope.claim(_suffix_reserved(snake(wire), RESERVED_ATTRIBUTES))


def _type_names(model: Model) -> dict[str, str]:
    """Class names for all types (structured, enum, type definitions) by qualified name."""
    entries: list[tuple[str, str]] = []  # (namespace, name) in declaration order
    for t in model.structured:
        entries.append((t.namespace, t.name))
    for e in model.enums:
        entries.append((e.namespace, e.name))
    for d in model.type_definitions:
        entries.append((d.namespace, d.name))
    # Shorter namespaces first, so the main namespace keeps the plain names.
    order = sorted(range(len(entries)), key=lambda i: (entries[i][0].count("."), i))
    scope = _Scope(RESERVED_MODULE)
    names: dict[str, str] = {}
    for i in order:
        ns, name = entries[i]
        base = _suffix_reserved(pascal(name), RESERVED_MODULE)
        if base in scope.taken:
            base = pascal(ns.rsplit(".", 1)[-1]) + pascal(name)
        names[f"{ns}.{name}"] = scope.claim(base)
    return names


def builder_names(model: Model) -> dict[str, tuple[str, str]]:
    """Request builder class names (entity, collection) by qualified name, for a named model."""
    # Request modules import the data classes, so a builder must not take the name of a type
    # (Graph has both `accessPackageAssignment` and `accessPackageAssignmentRequest`).
    type_names = {t.py_name for t in model.structured} | {e.py_name for e in model.enums}
    type_names |= {d.py_name for d in model.type_definitions}
    scope = _Scope(RESERVED_MODULE | {n for n in type_names if n})
    out: dict[str, tuple[str, str]] = {}
    for t in model.structured:
        if t.kind != "entity":
            continue
        cls = t.py_name
        out[t.qualified] = (scope.claim(cls + "Request"), scope.claim(cls + "CollectionRequest"))
    return out


def assign_names(model: Model) -> Model:
    """Return the model with every `py_name` filled in."""
    type_names = _type_names(model)
    by_name = model.structured_by_name()

    # Structural and navigation properties: unique along the inheritance chain.
    attr_scopes: dict[str, _Scope] = {}
    renamed_props: dict[str, tuple[tuple[Property, ...], tuple[NavigationProperty, ...]]] = {}

    def scope_for(qualified: str) -> _Scope:
        if qualified in attr_scopes:
            return attr_scopes[qualified]
        t = by_name[qualified]
        parent = scope_for(t.base) if t.base and t.base in by_name else None
        scope = _Scope(parent.taken if parent else RESERVED_ATTRIBUTES)
        props = tuple(attrs.evolve(p, py_name=attribute_name(p.name, scope)) for p in t.properties)
        navs = tuple(
            attrs.evolve(
                n, py_name=scope.claim(_suffix_reserved(snake(n.name), RESERVED_ATTRIBUTES | RESERVED_BUILDER))
            )
            for n in t.navigation
        )
        renamed_props[qualified] = (props, navs)
        attr_scopes[qualified] = scope
        return scope

    for t in model.structured:
        scope_for(t.qualified)

    structured = tuple(
        attrs.evolve(
            t,
            py_name=type_names[t.qualified],
            properties=renamed_props[t.qualified][0],
            navigation=renamed_props[t.qualified][1],
        )
        for t in model.structured
    )

    enums = tuple(_name_enum(e, type_names[e.qualified]) for e in model.enums)
    type_defs = tuple(
        attrs.evolve(d, py_name=type_names[d.qualified]) for d in model.type_definitions
    )

    # Bound operations are methods of builders: they share the builder namespace with
    # navigation properties, so a clash takes the suffix rather than hiding a navigation.
    operations = tuple(_name_operation(op) for op in model.operations)

    container = model.container
    if container is not None:
        client_scope = _Scope(RESERVED_CLIENT)
        sets = tuple(
            attrs.evolve(s, py_name=client_scope.claim(_suffix_reserved(snake(s.name), RESERVED_CLIENT)))
            for s in container.entity_sets
        )
        imports = tuple(
            attrs.evolve(i, py_name=client_scope.claim(_suffix_reserved(snake(i.name), RESERVED_CLIENT)))
            for i in container.imports
        )
        container = attrs.evolve(container, entity_sets=sets, imports=imports)

    return attrs.evolve(
        model,
        structured=structured,
        enums=enums,
        type_definitions=type_defs,
        operations=operations,
        container=container,
    )


def _name_enum(e: EnumType, py_name: str) -> EnumType:
    scope = _Scope({"MRO"})
    members = tuple(attrs.evolve(m, py_name=scope.claim(upper_snake(m.name).lstrip("_") or "X")) for m in e.members)
    return attrs.evolve(e, py_name=py_name, members=members)


def _name_operation(op: Operation) -> Operation:
    scope = _Scope({"self"})
    params: list[Parameter] = []
    for i, p in enumerate(op.parameters):
        if op.bound and i == 0:
            params.append(attrs.evolve(p, py_name=snake(p.name)))
            continue
        params.append(attrs.evolve(p, py_name=scope.claim(_suffix_reserved(snake(p.name), {"self"}))))
    return attrs.evolve(
        op,
        py_name=_suffix_reserved(snake(op.name), RESERVED_BUILDER),
        parameters=tuple(params),
    )


__all__ = [
    "RESERVED_ATTRIBUTES",
    "RESERVED_BUILDER",
    "RESERVED_CLIENT",
    "RESERVED_MODULE",
    "assign_names",
    "attribute_name",
    "builder_names",
    "pascal",
    "snake",
    "upper_snake",
]
