"""Paths through structured values and the `$expand` items built on navigations.

`Event.start` is a `ComplexExpr` whose members are paths too (`Event.start.date_time`),
`Event.calendar` an `EntityExpr`, `Event.attendees` a `CollectionExpr` with lambdas, and
`Event.attachments` a `NavCollectionExpr` whose option methods (`.select`, `.filter`...) make
`ExpandMany` items. The registry makes these paths for generated classes (`path_expr`); the
operators they share with every expression are in `odatakit.expr`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, overload

from . import query as _query
from .expr import (
    _ACTIVE_VARS,
    _EDM_CLASSES,
    _METHOD_TYPES,
    P_PRIMARY,
    BoolExpr,
    EnumExpr,
    ExpandItem,
    Expr,
    NumberExpr,
    OrderKey,
    _pick_var,
    _Var,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from .expr import Instance
    from .fields import FieldSpec, TypeLookup
else:
    from .expr import TypeVar

__all__ = [
    "CollectionExpr",
    "CollectionProp",
    "NavCollectionProp",
    "ComplexExpr",
    "EntityExpr",
    "Expand",
    "ExpandMany",
    "NavCollectionExpr",
    "expr_class",
    "path_expr",
]

T = TypeVar("T")
# Covariant: a collection of `EventPath` items is a collection of `EntityExpr[Event]` items.
F = TypeVar("F", covariant=True)
O = TypeVar("O")  # noqa: E741 - the target class of a navigation
# The expression of one item of a to-many navigation: the target's path class (`AttachmentPath`).
P = TypeVar("P", covariant=True)
V = TypeVar("V")
# The class a path is read from, and the root the expressions carry (see `odatakit.expr.R`).
W = TypeVar("W")
R = TypeVar("R", covariant=True, default=Any)
R2 = TypeVar("R2")


def expr_class(type_name: str, *, collection: bool = False, navigation: bool = False, is_enum: bool = False) -> type[Any]:
    """The expression class for a value of `type_name`."""
    if collection:
        return NavCollectionExpr if navigation else CollectionExpr
    cls = _EDM_CLASSES.get(type_name)
    if cls is not None:
        return cls
    if type_name.startswith("Edm."):
        return Expr
    if navigation:
        return EntityExpr
    return EnumExpr if is_enum else ComplexExpr


_ROOTS: dict[Any, frozenset[Any]] = {}


def _roots_of(base: Any) -> frozenset[Any]:
    # One frozenset per class, so that combining two fields of the same class is an `is` test.
    found = _ROOTS.get(base)
    if found is None:
        found = _ROOTS[base] = frozenset((base,))
    return found


def path_expr(base: Any, specs: tuple[FieldSpec, ...], registry: TypeLookup) -> Expr:
    """The expression of a property path rooted at a generated class (or a lambda variable)."""
    last = specs[-1]
    cls = expr_class(last.type, collection=last.collection, navigation=last.navigation, is_enum=last.enum)
    node: Expr = object.__new__(cls)
    wires = "/".join(s.wire for s in specs)
    node._text = f"{base.name}/{wires}" if isinstance(base, _Var) else wires
    node._prec = P_PRIMARY
    node._type = last.type
    node._roots = _roots_of(base)
    node._parts = None
    node._specs = specs
    node._base = base
    node._registry = registry
    node._children = None
    return node


_ABSENT = object()


class _PathMixin(Generic[T]):
    """Member access on a structured path (`Event.start.date_time`, `a.email_address.address`).

    `T` is the class of the value the path leads to (`DateTimeTimeZone`).
    """

    __slots__ = ()

    if TYPE_CHECKING:
        # A generated model declares `start: DateTimeTimeZonePath[Event]`, rooted at its own class, so the
        # class access can return Self: one generic descriptor here instead of one per generated path class.
        @overload
        def __get__(self, obj: None, owner: Any) -> Self: ...
        @overload
        def __get__(self, obj: Expr[Any], owner: Any) -> Self: ...
        @overload
        def __get__(self, obj: Instance, owner: Any) -> T | None: ...
        def __get__(self, obj: object, owner: Any) -> Any:
            """Class access (and access on a path) gives the path, instance access the value."""

        def __set__(self, obj: Instance, value: T | None) -> None:
            """Assign the value."""

    def prop(self, name: str) -> Any:
        """The member `name` (use when the name is also a method of this class, e.g. `count`)."""
        node: Any = self
        if node._specs is None or node._registry is None:
            raise AttributeError(f"{node!r} has no members")
        children = node._children
        if children is None:
            children = node._children = {}
        found = children.get(name)
        if found is not None:
            return found
        registry = node._registry
        info = registry.info(node._type)
        for spec in info.fields:
            if spec.py_name == name:
                child = path_expr(node._base, (*node._specs, spec), registry)
                children[name] = child
                if getattr(type(node), name, _ABSENT) is _ABSENT:
                    # Next time plain attribute lookup finds it, without the __getattr__ detour.
                    node.__dict__[name] = child
                return child
        owner = _METHOD_TYPES.get(name)
        if owner is not None:
            raise TypeError(f"{node._describe()}.{name}(): applies to {owner}, not to {node._type}")
        raise AttributeError(f"{node!r} ({node._type}) has no member {name!r}")

    if not TYPE_CHECKING:
        # Hidden from type checkers, which read the members from the generated path classes
        # (`DateTimeTimeZonePath`): a misspelled member is then an error there too.
        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            return self.prop(name)


class ComplexExpr(_PathMixin[T], Expr[R], Generic[T, R]):
    """A path to a complex value: its members are paths too (`Event.start.date_time`)."""

    __slots__ = ("__dict__",)


class EntityExpr(_PathMixin[T], Expr[R], Generic[T, R]):
    """A single-valued navigation (`Event.calendar`) or the variable of a lambda over entities."""

    __slots__ = ("__dict__",)

    def _target(self) -> type:
        assert self._registry is not None
        cls: type = self._registry.info(self._type).cls
        return cls

    def select(self, *fields: Expr[T] | str) -> Expand[T, R]:
        """`$expand=nav($select=...)`: fields of the navigation's target."""
        result: Expand[T, R] = Expand._start(self, "$select", lambda t: _query.select_text(fields, t, strict=True))
        return result

    def expand(self, *navs: Expr[T] | Expand[Any, T] | str) -> Expand[T, R]:
        """`$expand=nav($expand=...)`: navigations of the navigation's target."""
        item: Expand[T, R] = Expand(self)
        result: Expand[T, R] = item.expand(*navs)
        return result

    def levels(self, levels: int | str) -> Expand[T, R]:
        """`$expand=nav($levels=n)` or `max`."""
        item: Expand[T, R] = Expand(self)
        result: Expand[T, R] = item.levels(levels)
        return result


class CollectionExpr(Expr[R], Generic[F, R]):
    """A collection-valued path: `any`, `all` and `$count`."""

    __slots__ = ()

    def _lambda(self, kind: str, predicate: Callable[[F], BoolExpr] | None) -> BoolExpr:
        if self._specs is None or self._registry is None:
            raise TypeError(f"{self!r}.{kind}(): lambdas need a collection path")
        if predicate is None:
            if kind == "all":
                raise TypeError(f"{self!r}.all() needs a predicate")
            return self._lambda_node("any()", None, "")
        name = _pick_var(self._specs[-1].wire)
        var = _Var(name)
        spec = self._specs[-1]
        item_cls = expr_class(spec.type, navigation=spec.navigation, is_enum=spec.enum)
        item: Expr = object.__new__(item_cls)
        Expr.__init__(item, name, P_PRIMARY, spec.type, frozenset((var,)), None, self._registry)
        item._specs = ()
        item._base = var
        token = _ACTIVE_VARS.set((*_ACTIVE_VARS.get(), name))
        try:
            body = predicate(item)  # type: ignore[arg-type]
        finally:
            _ACTIVE_VARS.reset(token)
        if not isinstance(body, Expr) or body._type != "Edm.Boolean":
            raise TypeError(f"{self!r}.{kind}(): the predicate must return a Boolean expression, got {body!r}")
        return self._lambda_node(f"{kind}({name}:", body, ")", var)

    def _lambda_node(self, head: str, body: Expr | None, tail: str, var: _Var | None = None) -> BoolExpr:
        roots = self._roots
        parts: tuple[Any, ...] = (self, "/" + head) if body is None else (self, "/" + head, body, tail)
        text = f"{self._text}/{head}" if body is None else f"{self._text}/{head}{body._text}{tail}"
        if body is not None:
            inner = body._roots - {var}
            roots = roots | inner if inner else roots
        return BoolExpr(text, P_PRIMARY, "Edm.Boolean", roots, parts, self._registry)

    @overload
    def any(self) -> BoolExpr[R]: ...
    @overload
    def any(self, predicate: Callable[[F], BoolExpr[R2]]) -> BoolExpr[R | R2]: ...
    def any(self, predicate: Callable[[F], BoolExpr] | None = None) -> BoolExpr:
        """`path/any(x:...)`, or `path/any()` (not empty) without a predicate."""
        return self._lambda("any", predicate)

    def all(self, predicate: Callable[[F], BoolExpr[R2]]) -> BoolExpr[R | R2]:
        """`path/all(x:...)`."""
        return self._lambda("all", predicate)

    def length(self) -> NumberExpr[R]:
        """`path/$count`: the number of items."""
        return NumberExpr(f"{self._text}/$count", P_PRIMARY, "Edm.Int32", self._roots, (self, "/$count"), self._registry)


class NavCollectionExpr(CollectionExpr[P, R], Generic[O, P, R]):
    """A collection-valued navigation (`Event.attachments`): lambdas, `$count` and `$expand` options.

    `O` is the target class (`Attachment`), `P` what a lambda's variable is (`AttachmentPath`).
    """

    __slots__ = ()

    def select(self, *fields: Expr[O] | str) -> ExpandMany[O, R]:
        """`$expand=nav($select=...)`: fields of the navigation's target."""
        item: ExpandMany[O, R] = ExpandMany._start(
            self, "$select", lambda t: _query.select_text(fields, t, strict=True)
        )
        return item

    def filter(self, condition: BoolExpr[O]) -> ExpandMany[O, R]:
        """`$expand=nav($filter=...)`: a condition on the navigation's target."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.filter(condition)

    def expand(self, *navs: Expr[O] | Expand[Any, O] | str) -> ExpandMany[O, R]:
        """`$expand=nav($expand=...)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.expand(*navs)

    def order_by(self, *keys: Expr[O] | OrderKey[O]) -> ExpandMany[O, R]:
        """`$expand=nav($orderby=...)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.order_by(*keys)

    def top(self, n: int) -> ExpandMany[O, R]:
        """`$expand=nav($top=n)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.top(n)

    def skip(self, n: int) -> ExpandMany[O, R]:
        """`$expand=nav($skip=n)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.skip(n)

    def count(self, value: bool = True) -> ExpandMany[O, R]:
        """`$expand=nav($count=true)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.count(value)

    def search(self, text: str) -> ExpandMany[O, R]:
        """`$expand=nav($search=...)`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.search(text)

    def levels(self, levels: int | str) -> ExpandMany[O, R]:
        """`$expand=nav($levels=n)` or `max`."""
        item: ExpandMany[O, R] = ExpandMany(self)
        return item.levels(levels)


# -- typed field descriptors of collections ---------------------------------------------------------------
class CollectionProp(Generic[V, F]):
    """Type-checker view of a collection property: `Event.attendees` is a `CollectionExpr[AttendeePath, Event]`.

    `V` is the value on instances (`list[Attendee] | None`), `F` the expression of one item.
    """

    @overload
    def __get__(self, obj: None, owner: type[W]) -> CollectionExpr[F, W]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression rooted at the class it is read from, instance access the value."""
        raise NotImplementedError

    def __set__(self, obj: Instance, value: V) -> None:  # pragma: no cover - typing only
        """Assign the value."""
        raise NotImplementedError


class NavCollectionProp(Generic[V, O, P]):
    """Type-checker view of a collection-valued navigation: `Event.attachments` is a
    `NavCollectionExpr[Attachment, AttachmentPath, Event]`."""

    @overload
    def __get__(self, obj: None, owner: type[W]) -> NavCollectionExpr[O, P, W]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression rooted at the class it is read from, instance access the value."""
        raise NotImplementedError

    def __set__(self, obj: Instance, value: V) -> None:  # pragma: no cover - typing only
        """Assign the value."""
        raise NotImplementedError


# -- $expand items --------------------------------------------------------------------------------
class Expand(ExpandItem, Generic[O, R]):
    """One `$expand` item with its nested options (to-one navigations: select, expand, levels)."""

    __slots__ = ()

    def __init__(self, nav: Expr) -> None:
        self.nav = nav
        self.target: type = nav._registry.info(nav._type).cls if nav._registry is not None else object
        self.options: dict[str, str] = {}
        self._filter: BoolExpr | None = None

    @classmethod
    def _start(cls, nav: Expr, name: str, value: Callable[[type], str]) -> Any:
        """A new item with one option, its text computed from the navigation's target type."""
        item = cls(nav)
        item.options[name] = value(item.target)
        return item

    def _with(self, name: str, value: str) -> Any:
        copy: Any = object.__new__(type(self))
        copy.nav = self.nav
        copy.target = self.target
        copy.options = {**self.options, name: value}
        copy._filter = self._filter
        return copy

    def select(self, *fields: Expr[O] | str) -> Any:
        """Nested `$select`."""
        return self._with("$select", _query.select_text(fields, self.target, strict=True))

    def expand(self, *navs: Expr[O] | Expand[Any, O] | str) -> Any:
        """Nested `$expand`."""
        return self._with("$expand", _query.expand_text(navs, self.target))

    def levels(self, levels: int | str) -> Any:
        """Nested `$levels` (a positive int or `"max"`)."""
        if levels != "max" and (not isinstance(levels, int) or isinstance(levels, bool) or levels < 1):
            raise TypeError(f"{self.nav!r}.levels({levels!r}): expected a positive int or 'max'")
        return self._with("$levels", str(levels))


class ExpandMany(Expand[O, R]):
    """A to-many `$expand` item: also filter, order_by, top, skip, count and search."""

    __slots__ = ()

    def filter(self, condition: BoolExpr[O]) -> ExpandMany[O, R]:
        """Nested `$filter` (several calls combine with `and`)."""
        condition = _query.filter_expr(condition)
        combined = condition if self._filter is None else self._filter & condition
        copy: ExpandMany[O, R] = self._with("$filter", _query.check_roots(combined, self.target, "filter"))
        copy._filter = combined
        return copy

    def order_by(self, *keys: Expr[O] | OrderKey[O]) -> ExpandMany[O, R]:
        """Nested `$orderby`."""
        result: ExpandMany[O, R] = self._with("$orderby", _query.orderby_text(keys, self.target))
        return result

    def top(self, n: int) -> ExpandMany[O, R]:
        """Nested `$top`."""
        result: ExpandMany[O, R] = self._with("$top", str(_query.check_count(n, "top")))
        return result

    def skip(self, n: int) -> ExpandMany[O, R]:
        """Nested `$skip`."""
        result: ExpandMany[O, R] = self._with("$skip", str(_query.check_count(n, "skip")))
        return result

    def count(self, value: bool = True) -> ExpandMany[O, R]:
        """Nested `$count`."""
        if not isinstance(value, bool):
            raise TypeError(f"count({value!r}): expected bool")
        result: ExpandMany[O, R] = self._with("$count", "true" if value else "false")
        return result

    def search(self, text: str) -> ExpandMany[O, R]:
        """Nested `$search`."""
        result: ExpandMany[O, R] = self._with("$search", _query.search_text(text))
        return result

    def select(self, *fields: Expr[O] | str) -> ExpandMany[O, R]:
        """Nested `$select`."""
        result: ExpandMany[O, R] = Expand.select(self, *fields)
        return result

    def expand(self, *navs: Expr[O] | Expand[Any, O] | str) -> ExpandMany[O, R]:
        """Nested `$expand`."""
        result: ExpandMany[O, R] = Expand.expand(self, *navs)
        return result

    def levels(self, levels: int | str) -> ExpandMany[O, R]:
        """Nested `$levels`."""
        result: ExpandMany[O, R] = Expand.levels(self, levels)
        return result
