"""Paths through structured values and the `$expand` items built on navigations.

`Event.start` is a `ComplexExpr` whose members are paths too (`Event.start.date_time`),
`Event.calendar` an `EntityExpr`, `Event.attendees` a `CollectionExpr` with lambdas, and
`Event.attachments` a `NavCollectionExpr` whose option methods (`.select`, `.filter`...) make
`ExpandMany` items. The registry makes these paths for generated classes (`path_expr`); the
operators they share with every expression are in `odatakit.expr`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

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
    from .fields import FieldSpec, TypeLookup

__all__ = [
    "CollectionExpr",
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


class _PathMixin:
    """Member access on a structured path (`Event.start.date_time`, `a.email_address.address`)."""

    __slots__ = ()

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


class ComplexExpr(_PathMixin, Expr, Generic[T]):
    """A path to a complex value: its members are paths too (`Event.start.date_time`)."""

    __slots__ = ("__dict__",)


class EntityExpr(_PathMixin, Expr, Generic[T]):
    """A single-valued navigation (`Event.calendar`) or the variable of a lambda over entities."""

    __slots__ = ("__dict__",)

    def _target(self) -> type:
        assert self._registry is not None
        cls: type = self._registry.info(self._type).cls
        return cls

    def select(self, *fields: Any) -> Expand[T]:
        """`$expand=nav($select=...)`."""
        result: Expand[T] = Expand._start(self, "$select", lambda t: _query.select_text(fields, t, strict=True))
        return result

    def expand(self, *navs: Any) -> Expand[T]:
        """`$expand=nav($expand=...)`."""
        result: Expand[T] = Expand(self).expand(*navs)
        return result

    def levels(self, levels: int | str) -> Expand[T]:
        """`$expand=nav($levels=n)` or `max`."""
        result: Expand[T] = Expand(self).levels(levels)
        return result


class CollectionExpr(Expr, Generic[F]):
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

    def any(self, predicate: Callable[[F], BoolExpr] | None = None) -> BoolExpr:
        """`path/any(x:...)`, or `path/any()` (not empty) without a predicate."""
        return self._lambda("any", predicate)

    def all(self, predicate: Callable[[F], BoolExpr]) -> BoolExpr:
        """`path/all(x:...)`."""
        return self._lambda("all", predicate)

    def length(self) -> NumberExpr:
        """`path/$count`: the number of items."""
        return NumberExpr(f"{self._text}/$count", P_PRIMARY, "Edm.Int32", self._roots, (self, "/$count"), self._registry)


class NavCollectionExpr(CollectionExpr[P], Generic[O, P]):
    """A collection-valued navigation (`Event.attachments`): lambdas, `$count` and `$expand` options.

    `O` is the target class (`Attachment`), `P` what a lambda's variable is (`AttachmentPath`).
    """

    __slots__ = ()

    def select(self, *fields: Any) -> ExpandMany[O]:
        """`$expand=nav($select=...)`."""
        item: ExpandMany[O] = ExpandMany._start(self, "$select", lambda t: _query.select_text(fields, t, strict=True))
        return item

    def filter(self, condition: BoolExpr) -> ExpandMany[O]:
        """`$expand=nav($filter=...)`."""
        return ExpandMany(self).filter(condition)

    def expand(self, *navs: Any) -> ExpandMany[O]:
        """`$expand=nav($expand=...)`."""
        return ExpandMany(self).expand(*navs)

    def order_by(self, *keys: Expr | OrderKey) -> ExpandMany[O]:
        """`$expand=nav($orderby=...)`."""
        return ExpandMany(self).order_by(*keys)

    def top(self, n: int) -> ExpandMany[O]:
        """`$expand=nav($top=n)`."""
        return ExpandMany(self).top(n)

    def skip(self, n: int) -> ExpandMany[O]:
        """`$expand=nav($skip=n)`."""
        return ExpandMany(self).skip(n)

    def count(self, value: bool = True) -> ExpandMany[O]:
        """`$expand=nav($count=true)`."""
        return ExpandMany(self).count(value)

    def search(self, text: str) -> ExpandMany[O]:
        """`$expand=nav($search=...)`."""
        return ExpandMany(self).search(text)

    def levels(self, levels: int | str) -> ExpandMany[O]:
        """`$expand=nav($levels=n)` or `max`."""
        return ExpandMany(self).levels(levels)


# -- $expand items --------------------------------------------------------------------------------
class Expand(ExpandItem, Generic[O]):
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

    def select(self, *fields: Any) -> Any:
        """Nested `$select`."""
        return self._with("$select", _query.select_text(fields, self.target, strict=True))

    def expand(self, *navs: Any) -> Any:
        """Nested `$expand`."""
        return self._with("$expand", _query.expand_text(navs, self.target))

    def levels(self, levels: int | str) -> Any:
        """Nested `$levels` (a positive int or `"max"`)."""
        if levels != "max" and (not isinstance(levels, int) or isinstance(levels, bool) or levels < 1):
            raise TypeError(f"{self.nav!r}.levels({levels!r}): expected a positive int or 'max'")
        return self._with("$levels", str(levels))


class ExpandMany(Expand[O]):
    """A to-many `$expand` item: also filter, order_by, top, skip, count and search."""

    __slots__ = ()

    def filter(self, condition: BoolExpr) -> ExpandMany[O]:
        """Nested `$filter` (several calls combine with `and`)."""
        condition = _query.filter_expr(condition)
        combined = condition if self._filter is None else self._filter & condition
        copy: ExpandMany[O] = self._with("$filter", _query.check_roots(combined, self.target, "filter"))
        copy._filter = combined
        return copy

    def order_by(self, *keys: Expr | OrderKey) -> ExpandMany[O]:
        """Nested `$orderby`."""
        result: ExpandMany[O] = self._with("$orderby", _query.orderby_text(keys, self.target))
        return result

    def top(self, n: int) -> ExpandMany[O]:
        """Nested `$top`."""
        result: ExpandMany[O] = self._with("$top", str(_query.check_count(n, "top")))
        return result

    def skip(self, n: int) -> ExpandMany[O]:
        """Nested `$skip`."""
        result: ExpandMany[O] = self._with("$skip", str(_query.check_count(n, "skip")))
        return result

    def count(self, value: bool = True) -> ExpandMany[O]:
        """Nested `$count`."""
        if not isinstance(value, bool):
            raise TypeError(f"count({value!r}): expected bool")
        result: ExpandMany[O] = self._with("$count", "true" if value else "false")
        return result

    def search(self, text: str) -> ExpandMany[O]:
        """Nested `$search`."""
        result: ExpandMany[O] = self._with("$search", _query.search_text(text))
        return result

    def select(self, *fields: Any) -> ExpandMany[O]:
        """Nested `$select`."""
        result: ExpandMany[O] = Expand.select(self, *fields)
        return result

    def expand(self, *navs: Any) -> ExpandMany[O]:
        """Nested `$expand`."""
        result: ExpandMany[O] = Expand.expand(self, *navs)
        return result

    def levels(self, levels: int | str) -> ExpandMany[O]:
        """Nested `$levels`."""
        result: ExpandMany[O] = Expand.levels(self, levels)
        return result
