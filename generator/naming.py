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
* Navigation properties and bound operations share a request builder, and a builder inherits
  its base type's members: an operation named like a navigation of its binding type or of a
  base type takes the suffix, and so does a navigation named like an operation bound to a
  base type, so neither hides the other.
* A media entity's builder gets ``content`` (its ``$value``) and an ``Edm.Stream`` property its
  own name as stream accessors, named after the operations so that adding them renames nothing
  that existed; they avoid inherited members, and navigations and operations of derived types
  avoid them in turn.
* A type whose items the pages address by path (`root:/{item-path}:`) gets ``item_at_path``
  on its builder, named last in the same way.
* Names are ASCII: a wire name in other scripts (``名前``) keeps its wire name and gets a
  Python name from its ASCII parts, or ``x`` (then numbered).

Every name is checked (`generator.pysource.identifier`) and returned as `Source`, the only
form in which a name may reach generated code. The wire name is always kept next to the
Python name in the model.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Mapping

import attrs

from odatakit.builders import CollectionRequest, EntityRequest
from odatakit.client import Client
from odatakit.serde import ComplexBase, EntityBase

from .altkeys import alternate_keys_of
from .model import (
    AlternateKey,
    EnumType,
    Model,
    NavigationProperty,
    Operation,
    Parameter,
    Property,
    StructuredType,
)
from .pysource import Source, identifier


def _public(*classes: type) -> set[str]:
    return {name for cls in classes for name in dir(cls) if not name.startswith("_")}


# Attributes every generated data class inherits from the runtime base class, and `self`,
# which the base class's keyword-only `__init__` takes as its first parameter.
RESERVED_ATTRIBUTES = frozenset(
    {"additional_data", "odata_type", "odata_etag", "changed_fields", "self", "isof"} | _public(EntityBase, ComplexBase)
)

# Methods and attributes of the runtime request builders (entity, collection, client).
RESERVED_BUILDER = frozenset(
    {
        "get", "select", "filter", "expand", "order_by", "top", "skip", "count", "search",
        "params", "first", "count_only", "pages", "create", "update", "replace", "delete",
        "url", "path", "cast", "key", "client", "with_headers", "with_timeout", "with_retry",
        "close", "batch", "request", "session", "options", "max_items", "root", "converter",
        "send", "url_for", "base_url", "prefer", "headers",
    }
    | _public(EntityRequest, CollectionRequest)
)

# Methods and attributes of the runtime client (entity sets and imports live beside them).
RESERVED_CLIENT = frozenset(
    {
        "close", "with_headers", "with_timeout", "with_retry", "batch", "send", "root", "url_for",
        "base_url", "converter", "REGISTRY", "CONFIG",
    }
    | _public(Client)
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
        "invoke", "cast", "TypeVar", "Literal", "Sequence", "model", "NONE", "Prop", "ZoneInfo", "prefer_timezone",
        # The expression classes generated annotations name.
        "Expr", "BoolExpr", "StringExpr", "NumberExpr", "DateTimeExpr", "DateExpr", "TimeExpr",
        "DurationExpr", "GuidExpr", "BinaryExpr", "EnumExpr", "ComplexExpr", "EntityExpr",
        "CollectionExpr", "NavCollectionExpr",
        # The typed field descriptors, and what the path classes of type checkers use.
        "StringProp", "BoolProp", "NumberProp", "DateTimeProp", "DateProp", "TimeProp", "DurationProp",
        "GuidProp", "BinaryProp", "EnumProp", "CollectionProp", "NavCollectionProp", "RootT", "OwnerT",
        "overload", "Self", "Generic",
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

    def claim(self, name: str) -> Source:
        """`name`, or `name_2`, `name_3`... whichever is free; checked as a Python name."""
        if keyword.iskeyword(name):
            name += "_"
        if name not in self.taken:
            self.taken.add(name)
            return identifier(name)
        n = 2
        while f"{name}_{n}" in self.taken:
            n += 1
        unique = f"{name}_{n}"
        self.taken.add(unique)
        return identifier(unique)


def attribute_name(wire: str, scope: _Scope) -> Source:
    """The snake_case attribute name for a wire name, unique in `scope`."""
    return scope.claim(_suffix_reserved(snake(wire), RESERVED_ATTRIBUTES))


def _type_names(model: Model) -> dict[str, Source]:
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
    names: dict[str, Source] = {}
    for i in order:
        ns, name = entries[i]
        base = _suffix_reserved(pascal(name), RESERVED_MODULE)
        if base in scope.taken:
            base = pascal(ns.rsplit(".", 1)[-1]) + pascal(name)
        names[f"{ns}.{name}"] = scope.claim(base)
    return names


def builder_names(model: Model) -> dict[str, tuple[Source, Source]]:
    """Request builder class names (entity, collection) by qualified name, for a named model."""
    # Request modules import the data classes, so a builder must not take the name of a type
    # (Graph has both `accessPackageAssignment` and `accessPackageAssignmentRequest`).
    type_names = {t.py_name for t in model.structured} | {e.py_name for e in model.enums}
    type_names |= {d.py_name for d in model.type_definitions}
    scope = _Scope(RESERVED_MODULE | {n for n in type_names if n})
    out: dict[str, tuple[Source, Source]] = {}
    for t in model.structured:
        if t.kind != "entity":
            continue
        cls = t.py_name
        out[t.qualified] = (scope.claim(cls + "Request"), scope.claim(cls + "CollectionRequest"))
    return out


def path_class_names(model: Model) -> dict[str, Source]:
    """The type checker's classes of query paths through each structured type (`Event` → `EventPath`)."""
    # Models modules define them beside the data classes, so a path class must not take the name of a type.
    taken = {t.py_name for t in model.structured} | {e.py_name for e in model.enums}
    taken |= {d.py_name for d in model.type_definitions}
    scope = _Scope(RESERVED_MODULE | {n for n in taken if n})
    return {t.qualified: scope.claim(t.py_name + "Path") for t in model.structured}


def path_members_names(model: Model, paths: Mapping[str, str]) -> dict[str, Source]:
    """The type checker's classes of the members a base type's paths pass on (`OutlookItem` → `OutlookItemMembers`).

    Only types that others derive from get one: the path classes of the derived types inherit it.
    """
    bases = {t.base for t in model.structured if t.base}
    taken = {t.py_name for t in model.structured} | {e.py_name for e in model.enums}
    taken |= {d.py_name for d in model.type_definitions} | set(paths.values())
    scope = _Scope(RESERVED_MODULE | {n for n in taken if n})
    return {t.qualified: scope.claim(t.py_name + "Members") for t in model.structured if t.qualified in bases}


def structure_function(class_name: str) -> Source:
    """The emitted structuring function of a class (`Event` → `_Event`).

    Class names start with an upper-case letter, so these never meet the structuring
    modules' own globals, which start with `_` and a lower-case letter.
    """
    if not class_name[:1].isupper():
        raise ValueError(f"{class_name!r} is not a class name made by naming.py")
    return identifier("_" + class_name)


#: Names the bodies of generated methods use besides their parameters (see templates/).
BODY_NAMES = frozenset(
    {"self", "cast", "result", "request", "options", "invoke", "function_query", "prefer_timezone", "Any"}
)


def keyword_names(wires: Iterable[str]) -> dict[str, Source]:
    """snake_case keyword arguments for wire names (query options, parameters), unique among themselves."""
    scope = _Scope(BODY_NAMES)
    out: dict[str, Source] = {}
    for wire in wires:
        if wire not in out:
            out[wire] = scope.claim(_suffix_reserved(snake(wire), BODY_NAMES))
    return out


def preference_keyword(name: str) -> str:
    """The keyword of `prefer()` for a preference (`outlook.body-content-type` → `body_content_type`).

    Not yet unique nor checked: `keyword_names` makes the final names of one method.
    """
    return snake(name.rpartition(".")[2].replace("-", "_"))


_Member = tuple[str, str]  # ("nav" | "op", wire name) a builder member stands for


def assign_names(model: Model) -> Model:
    """Return the model with every `py_name` filled in."""
    type_names = _type_names(model)
    by_name = model.structured_by_name()
    bound: dict[tuple[str, bool], list[int]] = {}
    for i, op in enumerate(model.operations):
        if op.binding is not None:
            bound.setdefault((op.binding.type.name, op.binding.type.collection), []).append(i)
    op_names: dict[int, Source] = {}

    # Properties and navigations: unique along the inheritance chain. Builders: navigations and
    # bound operations of the type and its bases, each kept apart from the other kind.
    attr_scopes: dict[str, _Scope] = {}
    builders: dict[tuple[str, bool], dict[str, _Member]] = {}
    renamed_props: dict[str, tuple[tuple[Property, ...], tuple[NavigationProperty, ...]]] = {}
    streams: dict[str, tuple[tuple[str, str], ...]] = {}
    path_methods: dict[str, str] = {}
    alternate: dict[str, tuple[AlternateKey, ...]] = {}

    def name_type(qualified: str) -> _Scope:
        if qualified in attr_scopes:
            return attr_scopes[qualified]
        t = by_name[qualified]
        base = t.base if t.base and t.base in by_name else None
        parent = name_type(base) if base else None
        scope = _Scope(parent.taken if parent else RESERVED_ATTRIBUTES)
        single = dict(builders[base, False]) if base else {}
        many = dict(builders[base, True]) if base else {}
        props = tuple(attrs.evolve(p, py_name=attribute_name(p.name, scope)) for p in t.properties)
        inherited_ops = {name for name, (kind, _) in single.items() if kind in ("op", "stream", "path")}
        navs = []
        for n in t.navigation:
            wanted = _suffix_reserved(snake(n.name), RESERVED_ATTRIBUTES | RESERVED_BUILDER)
            py = scope.claim(wanted) if wanted not in inherited_ops else _Scope(scope.taken | inherited_ops).claim(wanted)
            scope.taken.add(py)
            single[py] = ("nav", n.name)
            navs.append(attrs.evolve(n, py_name=py))
        for collection, members in ((False, single), (True, many)):
            for i in bound.get((qualified, collection), ()):
                op = model.operations[i]
                op_names[i] = _claim_member(members, _suffix_reserved(snake(op.name), RESERVED_BUILDER), op.name)
        streams[qualified] = _name_streams(t, props, any(a.has_stream for a in model.base_chain(qualified)[1:]), single)
        if t.path_addressing and not any(a.path_addressing for a in model.base_chain(qualified)[1:]):
            path_methods[qualified] = _claim_path_method(single)
        if t.kind == "entity":
            declared = {p.name for a in model.base_chain(qualified) for p in a.properties}
            alternate[qualified] = tuple(_claim_alternate_key(parts, many)
                                         for parts in alternate_keys_of(t.annotations, declared))
        renamed_props[qualified] = (props, tuple(navs))
        attr_scopes[qualified] = scope
        builders[qualified, False], builders[qualified, True] = single, many
        return scope

    for t in model.structured:
        name_type(t.qualified)

    structured = tuple(
        attrs.evolve(
            t,
            py_name=type_names[t.qualified],
            properties=renamed_props[t.qualified][0],
            navigation=renamed_props[t.qualified][1],
            streams=streams[t.qualified] if t.kind == "entity" else (),
            path_method=path_methods.get(t.qualified, ""),
            alternate_keys=alternate.get(t.qualified, ()),
        )
        for t in model.structured
    )

    enums = tuple(_name_enum(e, type_names[e.qualified]) for e in model.enums)
    type_defs = tuple(
        attrs.evolve(d, py_name=type_names[d.qualified]) for d in model.type_definitions
    )
    # Overloads of one name and binding make one method: a wire name is one keyword in all of them.
    overloads: dict[tuple[str, str, bool], list[str]] = {}
    for op in model.operations:
        binding = op.binding
        key = (op.qualified, binding.type.name if binding else "", bool(binding and binding.type.collection))
        overloads.setdefault(key, []).extend(p.name for p in op.call_parameters)
    keywords = {key: keyword_names(wires) for key, wires in overloads.items()}
    operations = tuple(
        _name_operation(op, op_names.get(i), keywords[op.qualified, b.type.name if (b := op.binding) else "",
                                                        bool(b and b.type.collection)])
        for i, op in enumerate(model.operations)
    )

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


def _name_streams(
    t: StructuredType, props: tuple[Property, ...], inherits_media: bool, members: dict[str, _Member]
) -> tuple[tuple[str, str], ...]:
    """The stream accessors `t`'s builder declares: `content` for `$value` (unless inherited), then stream properties."""
    wanted = [("content", "$value")] if t.has_stream and not inherits_media else []
    wanted += [(p.py_name, p.name) for p in props if p.type.name == "Edm.Stream" and not p.type.collection]
    out = []
    for name, segment in wanted:
        base = _suffix_reserved(name, RESERVED_BUILDER)
        py, n = base, 1
        while py in members:
            n += 1
            py = f"{base}_{n}"
        members[py] = ("stream", segment)
        out.append((str(identifier(py)), segment))
    return tuple(out)


def _claim_path_method(members: dict[str, _Member]) -> str:
    """`item_at_path`, the path-addressing method, avoiding the builder's other members (named first)."""
    py, n = "item_at_path", 1
    while py in members:
        n += 1
        py = f"item_at_path_{n}"
    members[py] = ("path", ":")
    return str(identifier(py))


def _claim_alternate_key(parts: tuple[tuple[str, str], ...], members: dict[str, _Member]) -> AlternateKey:
    """`by_app_id` (`by_a_and_b` for a key of several parts), avoiding the collection builder's other members."""
    keywords = keyword_names(alias for alias, _ in parts)
    wanted = _suffix_reserved("by_" + "_and_".join(snake(alias) for alias, _ in parts), RESERVED_BUILDER)
    py, n = wanted, 1
    while py in members:
        n += 1
        py = f"{wanted}_{n}"
    members[py] = ("key", ",".join(alias for alias, _ in parts))
    return AlternateKey(parts, str(identifier(py)), tuple(str(keywords[alias]) for alias, _ in parts))


def _claim_member(members: dict[str, _Member], wanted: str, wire: str) -> Source:
    """A builder method name for operation `wire`: overloads and overrides share one, anything else is avoided."""
    name, n = wanted, 1
    while name in members and members[name] != ("op", wire):
        n += 1
        name = f"{wanted}_{n}"
    members[name] = ("op", wire)
    return identifier(name)


def _name_enum(e: EnumType, py_name: str) -> EnumType:
    scope = _Scope({"MRO"})
    members = tuple(attrs.evolve(m, py_name=scope.claim(upper_snake(m.name).lstrip("_") or "X")) for m in e.members)
    return attrs.evolve(e, py_name=py_name, members=members)


def _name_operation(op: Operation, py_name: Source | None, keywords: dict[str, Source]) -> Operation:
    params: list[Parameter] = []
    for i, p in enumerate(op.parameters):
        if op.bound and i == 0:
            params.append(attrs.evolve(p, py_name=_Scope().claim(snake(p.name))))
            continue
        params.append(attrs.evolve(p, py_name=keywords[p.name]))
    if py_name is None:  # unbound (its imports are named on the client), or bound to a type not in the model
        py_name = identifier(_suffix_reserved(snake(op.name), RESERVED_BUILDER))
    return attrs.evolve(op, py_name=py_name, parameters=tuple(params))


__all__ = [
    "RESERVED_ATTRIBUTES",
    "RESERVED_BUILDER",
    "RESERVED_CLIENT",
    "RESERVED_MODULE",
    "assign_names",
    "attribute_name",
    "BODY_NAMES",
    "builder_names",
    "path_class_names",
    "path_members_names",
    "keyword_names",
    "pascal",
    "preference_keyword",
    "snake",
    "structure_function",
    "upper_snake",
]
