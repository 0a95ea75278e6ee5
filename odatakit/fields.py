"""The descriptions of generated classes that the models and the query expressions share.

A generated class registers a table of fields (`FieldSpec`); the registry keeps one `TypeInfo`
per class. `odatakit.serde` builds and structures objects from them, `odatakit.expr` and
`odatakit.paths` build query paths from them; this module imports neither, so neither imports
the other for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

__all__ = ["FieldSlots", "FieldSpec", "TypeInfo", "TypeLookup", "field_slots", "field_table"]


@attrs.frozen
class FieldSpec:
    """One property of a generated class, as the converter and the query DSL see it."""

    py_name: str
    wire: str
    type: str  # "Edm.String", or a qualified type name
    collection: bool = False
    navigation: bool = False
    enum: bool = False


def field_table(table: str, namespace: str | None = None) -> tuple[FieldSpec, ...]:
    """The fields of a table with one per line: `py_name wire type [collection] [navigation] [enum]`.

    With `namespace`, a type without a dot is one of that namespace (`attendee`): tables are shorter.
    """
    prefix = namespace + "." if namespace else None
    out = []
    for line in table.splitlines():
        words = line.split()
        if not words:
            continue
        if len(words) < 3:
            raise ValueError(f"field table line {line.strip()!r}: expected a Python name, a wire name and a type")
        py_name, wire, type_name, *flags = words
        unknown = set(flags) - _FLAG_WORDS
        if unknown:
            raise ValueError(f"field table line {line.strip()!r}: unknown words {sorted(unknown)}")
        if prefix is not None and "." not in type_name:
            type_name = prefix + type_name
        out.append(FieldSpec(py_name, wire, type_name, "collection" in flags, "navigation" in flags, "enum" in flags))
    return tuple(out)


_FLAG_WORDS = frozenset({"collection", "navigation", "enum"})


class FieldSlots(tuple[str, ...]):
    """The `__slots__` of a generated class, made from its table of own fields, which it keeps.

    The class body names each field once, in the table; `Registry.structured` reads the fields back
    from the class's `__slots__` (Python keeps the object a class body assigns to it).
    """

    specs: tuple[FieldSpec, ...]


def field_slots(table: str, namespace: str | None = None) -> FieldSlots:
    """`__slots__` for the fields of a table (see `field_table`), carrying the fields."""
    specs = field_table(table, namespace)
    slots = FieldSlots([spec.py_name for spec in specs])
    slots.specs = specs
    return slots


@attrs.frozen
class TypeInfo:
    """What the registry knows about one generated class."""

    cls: type
    qualified: str
    fields: tuple[FieldSpec, ...]  # own and inherited
    by_wire: Mapping[str, FieldSpec]
    wire_names: Mapping[str, str] | None = None  # flag enums: member name → wire name
    # The raw slot descriptors of `fields`, in the same order: the converter reads and
    # writes through them, skipping `__init__` and the class-level field descriptors.
    slots: tuple[Any, ...] = ()
    open: bool = False  # an open type (`OpenType`, its own or a base's)


class TypeLookup(Protocol):
    """What query expressions ask of a package's registry (`odatakit.serde.Registry` is one)."""

    #: Enum literals in filters: `Ns.Type'member'` (True) or the bare `'member'` string.
    qualified_enums: bool

    def info(self, qualified: str) -> TypeInfo:
        """The registered type of a qualified name."""
        ...

    def info_of(self, cls: type) -> TypeInfo:
        """The registered type of a generated class."""
        ...
