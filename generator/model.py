"""The intermediate model: what the generator knows about a service, independent of XML.

Every class is a frozen attrs class.  Type references are always fully qualified with the
schema *namespace* (aliases are resolved by the reader), and every Python name is decided
once, by :mod:`generator.naming`, when the model is finished.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

# An annotation value in a JSON-like form: str, int, float, bool, None, a list, or a dict.
# Records become dicts (with "@type" when the record is typed), collections become lists,
# enum members become "Namespace.Type/Member" strings, paths become {"$Path": "..."}-style
# dicts named after the expression ("$PropertyPath", "$NavigationPropertyPath", ...).
AnnotationValue = Any


@attrs.frozen
class SourceLocation:
    """Where an element came from: the document (file or URL), line and element tag."""

    source: str
    line: int
    element: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: <{self.element}>"


@attrs.frozen
class Annotation:
    """One term applied to a model element (`Core.Description`, `Capabilities.*`, ...)."""

    term: str  # fully qualified, e.g. "Org.OData.Core.V1.Description"
    value: AnnotationValue
    qualifier: str | None = None


@attrs.frozen
class TypeRef:
    """A reference to a type, with the facets that travel with it."""

    name: str  # qualified: "Edm.String", "microsoft.graph.event"
    collection: bool = False
    nullable: bool = True
    max_length: str | None = None
    precision: int | None = None
    scale: str | None = None  # an integer, "variable" or "floating"
    srid: str | None = None

    @property
    def is_primitive(self) -> bool:
        """True for `Edm.*` types."""
        return self.name.startswith("Edm.")


@attrs.frozen
class Property:
    """A structural property."""

    name: str  # wire name
    type: TypeRef
    py_name: str = ""
    default: str | None = None
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class ReferentialConstraint:
    """A `ReferentialConstraint` of a navigation property."""

    property: str
    referenced_property: str


@attrs.frozen
class NavigationProperty:
    """A navigation property (to-one or to-many, contained or not)."""

    name: str
    type: TypeRef
    py_name: str = ""
    partner: str | None = None
    contains_target: bool = False
    referential_constraints: tuple[ReferentialConstraint, ...] = ()
    annotations: tuple[Annotation, ...] = ()


StructuredKind = Literal["entity", "complex"]


@attrs.frozen
class AlternateKey:
    """One `Core.AlternateKeys` key of an entity type: the collection builder's method that addresses an item by it."""

    parts: tuple[tuple[str, str], ...]  # (alias sent in the URL, property name)
    py_name: str = ""
    keywords: tuple[str, ...] = ()  # the method's keyword for each part


@attrs.frozen
class StructuredType:
    """An entity type or a complex type."""

    kind: StructuredKind
    namespace: str
    name: str
    py_name: str = ""
    base: str | None = None  # qualified name of the base type
    abstract: bool = False
    open: bool = False
    has_stream: bool = False
    key: tuple[str, ...] = ()  # property names (paths); inherited keys are resolved by the model
    properties: tuple[Property, ...] = ()
    navigation: tuple[NavigationProperty, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    location: SourceLocation | None = attrs.field(default=None, eq=False)
    #: The stream accessors this type's request builder declares, named by `naming.assign_names`:
    #: (Python name, path segment): `$value` for a media entity, a wire name for an `Edm.Stream` property.
    streams: tuple[tuple[str, str], ...] = ()
    #: The pages address items below entities of this type by path (`.../root:/{item-path}:`), a
    #: convention of the service outside OData: the builder gets `path_method`, named by `naming`.
    path_addressing: bool = False
    path_method: str = ""
    #: Its `Core.AlternateKeys` (declared on this type), with their method names, filled by `naming`.
    alternate_keys: tuple[AlternateKey, ...] = ()

    @property
    def qualified(self) -> str:
        """Namespace-qualified name."""
        return f"{self.namespace}.{self.name}"


@attrs.frozen
class EnumMember:
    """One member of an enum type; `value` is explicit or implicit (declaration order)."""

    name: str
    value: int
    py_name: str = ""
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class EnumType:
    """An enum type (`IsFlags` gives a flag enum)."""

    namespace: str
    name: str
    py_name: str = ""
    underlying: str = "Edm.Int32"
    is_flags: bool = False
    members: tuple[EnumMember, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    location: SourceLocation | None = attrs.field(default=None, eq=False)

    @property
    def qualified(self) -> str:
        """Namespace-qualified name."""
        return f"{self.namespace}.{self.name}"


@attrs.frozen
class TypeDefinition:
    """A named primitive type with facets."""

    namespace: str
    name: str
    underlying: TypeRef
    py_name: str = ""
    annotations: tuple[Annotation, ...] = ()

    @property
    def qualified(self) -> str:
        """Namespace-qualified name."""
        return f"{self.namespace}.{self.name}"


@attrs.frozen
class Parameter:
    """A parameter of an action or function."""

    name: str
    type: TypeRef
    py_name: str = ""
    optional: bool = False  # 4.01 Core.OptionalParameter
    annotations: tuple[Annotation, ...] = ()


OperationKind = Literal["action", "function"]


@attrs.frozen
class Operation:
    """One overload of an action or function."""

    kind: OperationKind
    namespace: str
    name: str
    py_name: str = ""
    bound: bool = False
    parameters: tuple[Parameter, ...] = ()  # the binding parameter first when bound
    return_type: TypeRef | None = None
    entity_set_path: str | None = None
    is_composable: bool = False
    annotations: tuple[Annotation, ...] = ()
    location: SourceLocation | None = attrs.field(default=None, eq=False)

    @property
    def qualified(self) -> str:
        """Namespace-qualified name."""
        return f"{self.namespace}.{self.name}"

    @property
    def binding(self) -> Parameter | None:
        """The binding parameter of a bound operation."""
        return self.parameters[0] if self.bound and self.parameters else None

    @property
    def call_parameters(self) -> tuple[Parameter, ...]:
        """The parameters a caller passes (all but the binding parameter)."""
        return self.parameters[1:] if self.bound else self.parameters


@attrs.frozen
class NavigationBinding:
    """A `NavigationPropertyBinding` of an entity set or singleton."""

    path: str
    target: str


@attrs.frozen
class EntitySet:
    """An entity set (or, with `singleton=True`, a singleton) of the entity container."""

    name: str
    entity_type: str
    py_name: str = ""
    singleton: bool = False
    bindings: tuple[NavigationBinding, ...] = ()
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class OperationImport:
    """An `ActionImport` or `FunctionImport`."""

    kind: OperationKind
    name: str
    operation: str  # qualified name of the action or function
    py_name: str = ""
    entity_set: str | None = None
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class Term:
    """A vocabulary term declared in the document."""

    namespace: str
    name: str
    type: TypeRef
    applies_to: tuple[str, ...] = ()
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class Reference:
    """An `edmx:Reference` with its includes (namespace → alias or None)."""

    uri: str
    includes: tuple[tuple[str, str | None], ...] = ()


@attrs.frozen
class Container:
    """The entity container."""

    namespace: str
    name: str
    entity_sets: tuple[EntitySet, ...] = ()
    imports: tuple[OperationImport, ...] = ()
    annotations: tuple[Annotation, ...] = ()


@attrs.frozen
class Model:
    """Everything read from one `$metadata` document."""

    source: str
    version: str  # "4.0" or "4.01"
    namespaces: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]  # alias → namespace
    references: tuple[Reference, ...] = ()
    structured: tuple[StructuredType, ...] = ()
    enums: tuple[EnumType, ...] = ()
    type_definitions: tuple[TypeDefinition, ...] = ()
    operations: tuple[Operation, ...] = ()
    terms: tuple[Term, ...] = ()
    container: Container | None = None
    # Annotations whose target is not a type, property or operation of this model
    # (e.g. the container's children or paths), keyed by the target as written.
    extra_annotations: tuple[tuple[str, tuple[Annotation, ...]], ...] = ()

    # Lookup tables built on first use; the model is frozen, so they never go stale
    # (attrs.evolve builds a new model with an empty cache).
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def structured_by_name(self) -> dict[str, StructuredType]:
        """Entity and complex types by qualified name."""
        found: dict[str, StructuredType] | None = self._cache.get("structured")
        if found is None:
            found = self._cache["structured"] = {t.qualified: t for t in self.structured}
        return found

    def enums_by_name(self) -> dict[str, EnumType]:
        """Enum types by qualified name."""
        return {t.qualified: t for t in self.enums}

    def type_definitions_by_name(self) -> dict[str, TypeDefinition]:
        """Type definitions by qualified name."""
        return {t.qualified: t for t in self.type_definitions}

    def base_chain(self, qualified: str) -> list[StructuredType]:
        """The type and its ancestors in this model, nearest first ([] for a type it lacks)."""
        chains: dict[str, list[StructuredType]] = self._cache.setdefault("chains", {})
        chain = chains.get(qualified)
        if chain is None:
            # The reader refuses bases it cannot see and cycles, but a model built or evolved
            # elsewhere may have either: the chain stops there rather than raise or loop.
            by_name = self.structured_by_name()
            chain = []
            seen: set[str] = set()
            current: str | None = qualified
            while current is not None and current not in seen:
                t = by_name.get(current)
                if t is None:
                    break
                seen.add(current)
                chain.append(t)
                current = t.base
            chains[qualified] = chain
        return chain

    def key_of(self, qualified: str) -> tuple[str, ...]:
        """The key of an entity type, inherited from the nearest ancestor that declares one."""
        for t in self.base_chain(qualified):
            if t.key:
                return t.key
        return ()

    def derived_of(self, qualified: str) -> list[StructuredType]:
        """All types that derive (directly or not) from the given type, in declaration order."""
        children: dict[str, list[StructuredType]] | None = self._cache.get("children")
        if children is None:
            children = {}
            for t in self.structured:
                if t.base:
                    children.setdefault(t.base, []).append(t)
            self._cache["children"] = children
        out: list[StructuredType] = []
        stack = list(reversed(children.get(qualified, [])))
        while stack:
            t = stack.pop()
            out.append(t)
            stack.extend(reversed(children.get(t.qualified, [])))
        return out


CORE_DESCRIPTION = "Org.OData.Core.V1.Description"
CORE_LONG_DESCRIPTION = "Org.OData.Core.V1.LongDescription"
CAPABILITIES_NS = "Org.OData.Capabilities.V1"


def description_of(annotations: tuple[Annotation, ...]) -> str | None:
    """The `Core.Description` (then `Core.LongDescription`) text, if any."""
    texts = [a.value for a in annotations if a.term == CORE_DESCRIPTION and isinstance(a.value, str)]
    longs = [a.value for a in annotations if a.term == CORE_LONG_DESCRIPTION and isinstance(a.value, str)]
    parts = [t.strip() for t in texts[:1] + longs[:1] if t.strip()]
    return "\n\n".join(parts) or None


def capabilities_of(annotations: tuple[Annotation, ...]) -> tuple[Annotation, ...]:
    """The `Org.OData.Capabilities.V1` annotations among these."""
    return tuple(a for a in annotations if a.term.startswith(CAPABILITIES_NS + "."))
