"""Typed field paths: what `Event.subject` or `Event.start.date_time` is at class level.

This module holds the path part of the query DSL; the operators and functions of
`$filter` build on `Field`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .serde import FieldSpec, Registry

__all__ = ["Field"]


class Field:
    """A property path rooted at a generated class (`Event.start.date_time`)."""

    __slots__ = ("owner", "specs", "_registry")

    def __init__(self, owner: type, specs: tuple[FieldSpec, ...], registry: Registry) -> None:
        self.owner = owner
        self.specs = specs
        self._registry = registry

    @classmethod
    def root(cls, owner: type, spec: FieldSpec, registry: Registry) -> Field:
        """The field of a property declared on (or inherited by) `owner`."""
        return cls(owner, (spec,), registry)

    @property
    def spec(self) -> FieldSpec:
        """The last property of the path."""
        return self.specs[-1]

    @property
    def path(self) -> str:
        """The wire path, `/`-separated (`start/dateTime`)."""
        return "/".join(s.wire for s in self.specs)

    @property
    def type_name(self) -> str:
        """The Edm or qualified type of the last property."""
        return self.spec.type

    @property
    def is_collection(self) -> bool:
        """True when the last property is a collection."""
        return self.spec.collection

    def __getattr__(self, name: str) -> Field:
        spec = self.specs[-1]
        if name.startswith("_") or spec.type.startswith("Edm."):
            raise AttributeError(f"{self} ({spec.type}) has no field {name!r}")
        info = self._registry.info(spec.type)
        for candidate in info.fields:
            if candidate.py_name == name:
                return Field(self.owner, self.specs + (candidate,), self._registry)
        raise AttributeError(f"{self} ({spec.type}) has no field {name!r}")

    def __repr__(self) -> str:
        return f"{self.owner.__name__}.{'.'.join(s.py_name for s in self.specs)}"

    def __str__(self) -> str:
        return self.path

    def __hash__(self) -> int:
        return hash((self.owner, self.specs))

    def same_as(self, other: Any) -> bool:
        """Identity of paths (`==` is reserved for building filter expressions)."""
        return isinstance(other, Field) and other.owner is self.owner and other.specs == self.specs
