"""The typed expression DSL behind `$filter`, `$orderby`, `$select` and `$expand`.

`Event.subject` is a `StringExpr`, `Event.start` a `ComplexExpr`, `Event.attachments` a
`NavCollectionExpr` (the paths through structured values and the `$expand` items are in
`odatakit.paths`); operators and methods build new expressions:

    (Event.subject.startswith("All") & (Event.importance == Importance.HIGH)).text
    == "startswith(subject,'All') and importance eq microsoft.graph.importance'high'"

Every expression is immutable and renders its text once, when it is built. That text is
already in URL form except for spaces: what a user supplied (string contents, keys,
enum members) is percent-encoded inside its literal, so no value can change the
structure of the query, while operators, parentheses and paths stay readable. A query
turns the spaces into `%20` when it builds `url`, and `str(query)` decodes everything.

Precedence follows OData 4.01 URL Conventions §5.1.1.16 (grouping, primary, unary,
multiplicative, additive, relational and type testing, equality, and, or). Binary
operators are left-associative: a right operand of the same precedence is parenthesised,
so the text parses back to the same tree. `has` and `in` are primary operators in 4.01, but
the ABNF lets no comparison follow them (`(a in (1,2)) eq false` needs its parentheses):
their left operand is parenthesised unless primary, and they are parenthesised as operands
of anything but `and` / `or`.
"""

from __future__ import annotations

import contextvars
import enum
import math
import re
import typing
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, Protocol, overload
from urllib.parse import quote, unquote
from uuid import UUID

from . import edm
from .literals import ascii_table, enum_member_text

if TYPE_CHECKING:
    # PEP 696 defaults, for type checkers only: a bare `StringExpr` means `StringExpr[Any]`.
    from typing_extensions import TypeVar

    from .fields import FieldSpec, TypeLookup
else:

    def TypeVar(name: str, *constraints: Any, default: Any = None, **options: Any) -> Any:  # noqa: N802
        """`typing.TypeVar` (Python 3.11's takes no `default`, which only type checkers read)."""
        return typing.TypeVar(name, *constraints, **options)

__all__ = [
    "NONE",
    "BinaryProp",
    "BoolProp",
    "DateProp",
    "DateTimeProp",
    "DurationProp",
    "EnumProp",
    "GuidProp",
    "Instance",
    "NumberProp",
    "OwnerT",
    "RootT",
    "StringProp",
    "TimeProp",
    "BinaryExpr",
    "BoolExpr",
    "DateExpr",
    "DateTimeExpr",
    "DurationExpr",
    "EnumExpr",
    "Expr",
    "ExpandItem",
    "GuidExpr",
    "NumberExpr",
    "OrderKey",
    "Prop",
    "StringExpr",
    "TimeExpr",
    "concat",
    "maxdatetime",
    "mindatetime",
    "now",
]

T = TypeVar("T")
F = TypeVar("F")
E = TypeVar("E")
V = TypeVar("V")
O = TypeVar("O")  # noqa: E741 - the class a path is read from (`Event` in `Event.subject`)
#: The entity (or complex type) an expression's paths are rooted at: `Event.subject` is a
#: `StringExpr[Event]`, and a query of `Event` takes only conditions, keys and fields of `Event`
#: (or of a type derived from it: covariant). Computed values and literals keep `Any`.
R = TypeVar("R", covariant=True, default=Any)
R2 = TypeVar("R2")
#: The same, for the path classes of generated packages (`class EventPath(EntityExpr[Event, RootT])`).
RootT = TypeVar("RootT", covariant=True, default=Any)
#: The class a path class's descriptor is read from (`Event` in `Event.start`).
OwnerT = TypeVar("OwnerT")

# " eq ", " and "...: built once rather than per node.
_SEPARATORS = {
    op: f" {op} "
    for op in ("eq", "ne", "gt", "ge", "lt", "le", "has", "in", "and", "or", "add", "sub", "mul", "div", "divby", "mod")
}

# Precedence, highest binds tightest.
P_OR, P_AND, P_HAS_IN, P_EQ, P_REL, P_ADD, P_MUL, P_UNARY, P_PRIMARY = range(1, 10)

_NUMERIC = frozenset(
    {"Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.Decimal"}
)
_INTEGER = frozenset({"Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64"})


# -- typing of generated classes ------------------------------------------------------------------
class Prop(Generic[T, F]):
    """Type-checker view of a generated property: `T` on instances, the expression `F` on the class.

    Generated classes annotate `subject: Prop[str | None, StringExpr] = NONE`; at run time
    the registry installs the real descriptor, so this class is only ever seen by mypy.
    """

    @overload
    def __get__(self, obj: None, owner: Any) -> F: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> T: ...
    def __get__(self, obj: object | None, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError

    def __set__(self, obj: object, value: T) -> None:  # pragma: no cover - typing only
        """Assign the value."""
        raise NotImplementedError


class Instance(Protocol):
    """What the type checkers take for an object of a generated class (not a class, not None)."""

    additional_data: dict[str, Any]


class _Field(Generic[V]):
    """Type-checker base of the typed field descriptors below: instance access gives the value `V`."""

    def __set__(self, obj: Instance, value: V) -> None:  # pragma: no cover - typing only
        """Assign the value."""
        raise NotImplementedError


class StringProp(_Field[V]):
    """Type-checker view of an `Edm.String` property: `Event.subject` is a `StringExpr[Event]`."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> StringExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression rooted at the class it is read from, instance access the value."""
        raise NotImplementedError


class BoolProp(_Field[V]):
    """Type-checker view of an `Edm.Boolean` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> BoolExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class NumberProp(_Field[V]):
    """Type-checker view of a numeric property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> NumberExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class DateTimeProp(_Field[V]):
    """Type-checker view of an `Edm.DateTimeOffset` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> DateTimeExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class DateProp(_Field[V]):
    """Type-checker view of an `Edm.Date` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> DateExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class TimeProp(_Field[V]):
    """Type-checker view of an `Edm.TimeOfDay` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> TimeExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class DurationProp(_Field[V]):
    """Type-checker view of an `Edm.Duration` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> DurationExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class GuidProp(_Field[V]):
    """Type-checker view of an `Edm.Guid` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> GuidExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class BinaryProp(_Field[V]):
    """Type-checker view of an `Edm.Binary` property."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> BinaryExpr[O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


class EnumProp(_Field[V], Generic[V, E]):
    """Type-checker view of an enum property: `Event.importance` is an `EnumExpr[Importance, Event]`."""

    @overload
    def __get__(self, obj: None, owner: type[O]) -> EnumExpr[E, O]: ...
    @overload
    def __get__(self, obj: Instance, owner: Any) -> V: ...
    def __get__(self, obj: object, owner: Any) -> Any:  # pragma: no cover - typing only
        """Class access gives the expression, instance access the value."""
        raise NotImplementedError


#: The default of every generated property: `None` at run time, `Any` for the type checker,
#: which then takes the constructor's parameter type from `Prop.__set__`.
NONE: Any = None


# -- literal text ---------------------------------------------------------------------------------------
def _encode_text(text: str) -> str:
    """Percent-encode user text for the inside of a quoted literal (`'` is doubled, not encoded)."""
    doubled = text.replace("'", "''")
    if doubled.isascii():
        return doubled.translate(_LITERAL_TABLE)
    return quote(doubled, safe="'")


_LITERAL_TABLE = ascii_table("'")
_ENUM_TABLE = ascii_table("',")


def string_literal(text: str) -> str:
    """The URL form of a string literal: `'O''Neil'`, `'a%26b'`."""
    return "'" + _encode_text(text) + "'"


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value).replace("+", "%2B")


def _decimal_text(value: Decimal) -> str:
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "INF" if value > 0 else "-INF"
    return format(value, "f")


def enum_literal(value: enum.Enum, qualified: bool) -> str:
    """`Ns.Type'Member'` (or `'member'` when the service takes bare strings), flags comma-separated."""
    text = enum_member_text(value)
    doubled = text.replace("'", "''")
    inner = "'" + (doubled.translate(_ENUM_TABLE) if doubled.isascii() else quote(doubled, safe="',")) + "'"
    prefix = getattr(type(value), "__odata_type__", "")
    return prefix + inner if qualified and prefix else inner


# The literal forms of OData ABNF (dateTimeOffsetValue, timeOfDayValue, durationValue).
_DATETIME_LITERAL = re.compile(
    r"-?(?:0\d{3}|[1-9]\d{3,})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d"
    r"(?::[0-5]\d(?:\.\d{1,12})?)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_TIME_LITERAL = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,12})?)?")
_DURATION_LITERAL = re.compile(r"-?[Pp](?:\d+[Dd])?(?:[Tt](?:\d+[Hh])?(?:\d+[Mm])?(?:\d+(?:\.\d+)?[Ss])?)?")

# Enum members are few and literals are built often: (member, qualified?) → text.
_ENUM_LITERALS: dict[tuple[enum.Enum, bool], str] = {}
# Literal nodes are immutable and shared: enum members (by id, qualified or bare), true/false/null.
_ENUM_EXPRS: dict[int, Expr] = {}
_BARE_ENUM_EXPRS: dict[int, Expr] = {}


def value_literal(value: Any, type_name: str, registry: TypeLookup | None) -> str:
    """The URL-form literal of a Python value for a property of `type_name`; TypeError if it does not fit."""
    if value is None:
        return "null"
    if isinstance(value, enum.Enum) and getattr(type(value), "__odata_type__", None) == type_name:
        qualified = registry.qualified_enums if registry is not None else True
        key = (value, qualified)
        text = _ENUM_LITERALS.get(key)
        if text is None:
            text = _ENUM_LITERALS[key] = enum_literal(value, qualified)
        return text
    if type_name == "Edm.String":
        if isinstance(value, str):
            return string_literal(value)
        raise TypeError("expected str")
    if type_name in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise TypeError("expected a number")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return _float_text(value)
        return _decimal_text(value)
    if type_name == "Edm.Boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        raise TypeError("expected bool")
    if type_name == "Edm.DateTimeOffset":
        if not isinstance(value, datetime):
            raise TypeError("expected an aware datetime")
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError("expected an aware datetime (this one has no tzinfo)")
        text = str(edm.encoder("Edm.DateTimeOffset")(value))
        if not _DATETIME_LITERAL.fullmatch(text):
            # Wire text kept from a lenient read (a space for `T`...): write the value canonically.
            plain = datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                             value.microsecond, tzinfo=value.tzinfo)
            text = str(edm.encoder("Edm.DateTimeOffset")(plain))
        return text.replace("+", "%2B")
    if type_name == "Edm.Date":
        if isinstance(value, datetime) or not isinstance(value, date):
            raise TypeError("expected a date")
        return value.isoformat()
    if type_name == "Edm.TimeOfDay":
        if not isinstance(value, time):
            raise TypeError("expected a time")
        text = str(edm.encoder("Edm.TimeOfDay")(value))
        if not _TIME_LITERAL.fullmatch(text):
            text = str(edm.encoder("Edm.TimeOfDay")(time(value.hour, value.minute, value.second, value.microsecond)))
        return text
    if type_name == "Edm.Duration":
        if not isinstance(value, timedelta):
            raise TypeError("expected a timedelta")
        text = str(edm.encoder("Edm.Duration")(value))
        if not _DURATION_LITERAL.fullmatch(text):
            span = timedelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
            text = str(edm.encoder("Edm.Duration")(span))
        return "duration'" + text.replace("+", "%2B") + "'"
    if type_name == "Edm.Guid":
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, str):
            try:
                return str(UUID(value))
            except ValueError:
                raise TypeError("expected a UUID (this string is not one)") from None
        raise TypeError("expected a UUID")
    if type_name == "Edm.Binary":
        if isinstance(value, bytes | bytearray | memoryview):
            return "binary'" + str(edm.encoder("Edm.Binary", base64url=True)(bytes(value))) + "'"
        raise TypeError("expected bytes")
    if registry is not None and not type_name.startswith("Edm."):
        cls = registry.info(type_name).cls
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            if isinstance(value, str) and not isinstance(value, enum.Enum):
                # Only declared members: reading tolerates unknown values, a filter should not.
                known = next((m for m in cls if m.value == value), None)
                if known is None:
                    raise TypeError(f"expected a {cls.__name__} member (no member has the value {value!r})")
                value = known
            if not isinstance(value, cls):
                raise TypeError(f"expected a {cls.__name__} member")
            return enum_literal(value, registry.qualified_enums)
    raise TypeError(f"no literal for a value of {type_name}")


# -- lambda variables -----------------------------------------------------------------------------
class _Var:
    """The range variable of a lambda (`a` in `attendees/any(a:...)`)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<lambda variable {self.name}>"


_ACTIVE_VARS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("odatakit_lambda_vars", default=())


def _pick_var(hint: str) -> str:
    active = _ACTIVE_VARS.get()
    first = hint[:1].lower()
    base = first if first.isascii() and first.isalpha() else "x"
    name, n = base, 0
    while name in active:
        n += 1
        name = f"{base}{n}"
    return name


# -- the expression base --------------------------------------------------------------------------
_NO_ROOTS: frozenset[Any] = frozenset()


class Expr(Generic[R]):
    """An OData expression: its text, precedence, Edm or model type and the types it is rooted at."""

    __slots__ = ("_text", "_prec", "_type", "_roots", "_parts", "_specs", "_base", "_registry", "_children")

    _text: str
    _prec: int
    _type: str
    _roots: frozenset[Any]
    _parts: tuple[Any, ...] | None
    _specs: tuple[FieldSpec, ...] | None
    # Only paths set `_base` and `_children`: read them after checking `_specs is not None`.
    _base: Any
    _registry: TypeLookup | None
    _children: dict[str, Expr] | None

    def __init__(
        self,
        text: str,
        prec: int,
        type_name: str,
        roots: frozenset[Any] = _NO_ROOTS,
        parts: tuple[Any, ...] | None = None,
        registry: TypeLookup | None = None,
    ) -> None:
        self._text = text
        self._prec = prec
        self._type = type_name
        self._roots = roots
        self._parts = parts
        self._specs = None
        self._base = None
        self._registry = registry
        self._children = None

    # -- introspection ------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The expression as it goes into the URL (user text percent-encoded, spaces not yet)."""
        return self._text

    @property
    def type_name(self) -> str:
        """The Edm or qualified type of the expression's value (of one item, for collections)."""
        return self._type

    @property
    def path(self) -> str:
        """The `/`-separated wire path of a property path (`start/dateTime`)."""
        if self._specs is None:
            raise TypeError(f"{self!r} is not a property path")
        return self._text

    @property
    def is_path(self) -> bool:
        """True for property paths (`Event.start.date_time`), False for computed expressions."""
        return self._specs is not None

    def __repr__(self) -> str:
        if self._specs is not None and isinstance(self._base, type):
            return f"{self._base.__name__}.{'.'.join(s.py_name for s in self._specs)}"
        return f"<{type(self).__name__} {self._text}>"

    def __str__(self) -> str:
        return unquote(self._text)

    def __bool__(self) -> NoReturn:
        raise TypeError(
            f"{self!r} has no truth value: combine conditions with & | ~ (not and/or/not), "
            "and write a <= x <= b as (a <= x) & (x <= b)"
        )

    __hash__ = object.__hash__

    if not TYPE_CHECKING:
        # Hidden from type checkers, so that mypy still reports `Event.count.startswith` as an error.
        def __getattr__(self, name: str) -> Any:
            owner = _METHOD_TYPES.get(name)
            if owner is not None:
                raise TypeError(f"{self._describe()}.{name}(): applies to {owner}, not to {self._type}")
            raise AttributeError(f"{type(self).__name__} {self!r} has no attribute {name!r}")

    def render(self, base: type | None) -> str:
        """The text with paths relative to `base` (adds type-cast segments for derived-type paths)."""
        if self._specs is not None:
            return self._render_path(base)
        if self._parts is None:
            return self._text
        return "".join(p if p.__class__ is str else p.render(base) for p in self._parts)

    def _render_path(self, base: type | None) -> str:
        root = self._base
        if base is None or root is base or not isinstance(root, type) or root in base.__mro__:
            return self._text
        if issubclass(root, base) and self._specs and self._registry is not None:
            # A property of a derived type needs its type-cast segment, unless the base has it too.
            first = self._specs[0]
            if first not in self._registry.info_of(base).fields:
                return f"{_type_name(root)}/{self._text}"
        return self._text

    # -- building blocks ----------------------------------------------------------------------
    def _describe(self) -> str:
        return f"{self!r} ({self._type})"

    def _operand(self, other: Any, op: str) -> Expr:
        """`other` as an expression compatible with `self`, converting Python values to literals."""
        if isinstance(other, Expr):
            return other
        cls = other.__class__
        if cls is str and self._type == "Edm.String":
            return Expr(string_literal(other), P_PRIMARY, "Edm.String")
        if cls is bool and self._type == "Edm.Boolean":
            return _TRUE if other else _FALSE
        if other is None:
            return _NULL
        if isinstance(other, enum.Enum):
            registry = self._registry
            cache = _ENUM_EXPRS if registry is None or registry.qualified_enums else _BARE_ENUM_EXPRS
            # Members live as long as their class (unknown values are cached pseudo members),
            # so their id is a stable key, cheaper than Enum's Python-level __hash__.
            found = cache.get(id(other))
            if found is not None and found._type == self._type:
                return found
            if getattr(cls, "__odata_type__", None) == self._type:
                found = cache[id(other)] = Expr(value_literal(other, self._type, registry), P_PRIMARY, self._type)
                return found
        try:
            text = value_literal(other, self._type, self._registry)
        except TypeError as exc:
            raise TypeError(f"{self._describe()} {op} {other!r} ({type(other).__name__}): {exc}") from None
        except KeyError:
            raise TypeError(f"{self._describe()} {op} {other!r}: {self._type} has no literals") from None
        return Expr(text, P_PRIMARY, self._type if other is not None else "null")

    def _binary(self, op: str, other: Expr, prec: int, result: type[X], type_name: str) -> X:
        if op == "has" or op == "in":
            # Primary operators in OData 4.01, relational in older readings: parenthesise the
            # left operand unless it is primary, and wrap the result like a relational one,
            # so both readings parse the text the same way. The right side is a literal or list.
            left = self if self._prec >= P_PRIMARY else _Paren(self)
            right = other
        else:
            left = self if self._prec >= prec else _Paren(self)
            right = other if other._prec > prec else _Paren(other)
        sep = _SEPARATORS[op]
        node = object.__new__(result)
        node._text = left._text + sep + right._text
        node._prec = prec
        node._type = type_name
        r1 = self._roots
        r2 = other._roots
        node._roots = r1 if r2 is r1 or not r2 else (r2 if not r1 else r1 | r2)
        node._parts = (left, sep, right)
        node._specs = None
        node._registry = self._registry or other._registry
        return node

    def _call(self, name: str, args: tuple[Expr, ...], result: type[X], type_name: str) -> X:
        roots = self._roots
        if len(args) == 2:
            a, b = args
            parts: tuple[Any, ...] = (name + "(", a, ",", b, ")")
            text = f"{name}({a._text},{b._text})"
            for r in (a._roots, b._roots):
                if r and r is not roots:
                    roots = r if not roots else roots | r
        elif len(args) == 1:
            parts = (name + "(", args[0], ")")
            text = f"{name}({args[0]._text})"
        else:
            items: list[Any] = [name + "("]
            for i, a in enumerate(args):
                if i:
                    items.append(",")
                items.append(a)
                if a._roots and a._roots is not roots:
                    roots = a._roots if not roots else roots | a._roots
            items.append(")")
            parts = tuple(items)
            text = "".join(p if p.__class__ is str else p._text for p in parts)
        node = object.__new__(result)
        node._text = text
        node._prec = P_PRIMARY
        node._type = type_name
        node._roots = roots
        node._parts = parts
        node._specs = None
        node._registry = self._registry
        return node

    def _compat(self, other: Expr, op: str) -> None:
        if other._type == "null" or other._type == self._type:
            return
        if self._type in _NUMERIC and other._type in _NUMERIC:
            return
        raise TypeError(f"{self._describe()} {op} {other._describe()}: the types differ")

    # -- comparison (every type: eq/ne, null included) ----------------------------------------
    def __eq__(self, other: Any) -> BoolExpr[R]:  # type: ignore[override]
        o = self._operand(other, "==")
        if o._type != self._type:
            self._compat(o, "==")
        return self._binary("eq", o, P_EQ, BoolExpr, "Edm.Boolean")

    def __ne__(self, other: Any) -> BoolExpr[R]:  # type: ignore[override]
        o = self._operand(other, "!=")
        self._compat(o, "!=")
        return self._binary("ne", o, P_EQ, BoolExpr, "Edm.Boolean")

    def in_(self, values: Iterable[Any]) -> BoolExpr[R]:
        """`field in (a,b,c)` (OData 4.01)."""
        items = [self._operand(v, "in_") for v in values]
        if not items:
            raise ValueError(f"{self._describe()}.in_(): needs at least one value")
        for item in items:
            self._compat(item, "in_")
        listing = Expr("(" + ",".join(i._text for i in items) + ")", P_PRIMARY, self._type)
        return self._binary("in", listing, P_HAS_IN, BoolExpr, "Edm.Boolean")

    # -- ordering -----------------------------------------------------------------------------------
    def asc(self) -> OrderKey[R]:
        """Ascending `$orderby` key."""
        return OrderKey(self, " asc")

    def desc(self) -> OrderKey[R]:
        """Descending `$orderby` key."""
        return OrderKey(self, " desc")

    # -- types -------------------------------------------------------------------------------------
    def isof(self, target: type | str) -> BoolExpr[R]:
        """`isof(path,Ns.Type)`: true where the value is of `target` (a generated class or an Edm type)."""
        name = _type_name(target)
        if isinstance(target, type) and self._registry is not None and not self._type.startswith("Edm."):
            base = self._registry.info(self._type).cls
            if not issubclass(target, base) and not issubclass(base, target):
                raise TypeError(f"{self._describe()}.isof({target.__name__}): not a type related to {base.__name__}")
        return self._call("isof", (self, Expr(name, P_PRIMARY, "type")), BoolExpr, "Edm.Boolean")

    @overload
    def cast(self, target: Literal["Edm.String"]) -> StringExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.Boolean"]) -> BoolExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.DateTimeOffset"]) -> DateTimeExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.Date"]) -> DateExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.TimeOfDay"]) -> TimeExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.Duration"]) -> DurationExpr[R]: ...
    @overload
    def cast(self, target: Literal["Edm.Guid"]) -> GuidExpr: ...
    @overload
    def cast(self, target: Literal["Edm.Binary"]) -> BinaryExpr: ...
    @overload
    def cast(
        self,
        target: Literal[
            "Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.Decimal"
        ],
    ) -> NumberExpr[R]: ...
    @overload
    def cast(self, target: type | str) -> Expr: ...
    def cast(self, target: type | str) -> Expr:
        """`cast(path,Ns.Type)`: the value as another type (an Edm type name or a generated class)."""
        name = _type_name(target)
        if isinstance(target, str):
            return self._call("cast", (self, Expr(name, P_PRIMARY, "type")), _EDM_CLASSES.get(name, Expr), name)
        return self._call("cast", (self, Expr(name, P_PRIMARY, "type")), Expr, name)


X = TypeVar("X", bound=Expr)


class _Paren(Expr[Any]):
    """A parenthesised sub-expression."""

    __slots__ = ()

    def __init__(self, inner: Expr) -> None:
        super().__init__(f"({inner._text})", P_PRIMARY, inner._type, inner._roots, ("(", inner, ")"), inner._registry)


def _type_name(target: type | str) -> str:
    if isinstance(target, str):
        return target
    qualified = getattr(target, "__odata_type__", "")
    if not qualified:
        raise TypeError(f"{target.__name__} is not a generated OData class")
    return str(qualified)


class OrderKey(Generic[R]):
    """One `$orderby` key: an expression and its direction."""

    __slots__ = ("expr", "suffix")

    def __init__(self, expr: Expr, suffix: str) -> None:
        self.expr = expr
        self.suffix = suffix

    def __repr__(self) -> str:
        return f"<OrderKey {self.expr._text}{self.suffix}>"


class _Ordered(Expr[R]):
    """Types with an order: `<` `<=` `>` `>=`."""

    __slots__ = ()

    def _order(self, op: str, sym: str, other: Any) -> BoolExpr[R]:
        o = self._operand(other, sym)
        if o._type == "null":
            raise TypeError(f"{self._describe()} {sym} None: only == and != compare with null")
        self._compat(o, sym)
        return self._binary(op, o, P_REL, BoolExpr, "Edm.Boolean")

    def __gt__(self, other: Any) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: Any) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: Any) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: Any) -> BoolExpr[R]:
        return self._order("le", "<=", other)


def _lit(value: Any, type_name: str) -> Expr:
    if value is True or value is False:
        return _TRUE if value else _FALSE
    cls = _EDM_CLASSES.get(type_name, Expr)
    return cls(value_literal(value, type_name, None), P_PRIMARY, type_name)


class BoolExpr(Expr[R]):
    """A Boolean expression: combine with `&`, `|`, `~`."""

    __slots__ = ()

    def _logic(self, other: Any, op: str, prec: int, sym: str) -> BoolExpr[R]:
        if other.__class__ is BoolExpr:
            return self._binary(op, other, prec, BoolExpr, "Edm.Boolean")
        if isinstance(other, bool):
            other = _lit(other, "Edm.Boolean")
        if not isinstance(other, Expr) or other._type != "Edm.Boolean":
            hint = " (add parentheses: `&` and `|` bind tighter than ==, <, ...)" if not isinstance(other, Expr) else ""
            got = other._describe() if isinstance(other, Expr) else f"{other!r} ({type(other).__name__})"
            raise TypeError(f"{self._describe()} {sym} {got}: expected a Boolean expression{hint}")
        return self._binary(op, other, prec, BoolExpr, "Edm.Boolean")

    @overload
    def __and__(self, other: bool) -> BoolExpr[R]: ...
    @overload
    def __and__(self, other: BoolExpr[R2]) -> BoolExpr[R | R2]: ...
    def __and__(self, other: Any) -> Any:
        return self._logic(other, "and", P_AND, "&")

    def __rand__(self, other: bool) -> BoolExpr[R]:
        if isinstance(other, bool):
            return BoolExpr._logic(_lit(other, "Edm.Boolean"), self, "and", P_AND, "&")  # type: ignore[arg-type]
        return self._logic(other, "and", P_AND, "&")

    @overload
    def __or__(self, other: bool) -> BoolExpr[R]: ...
    @overload
    def __or__(self, other: BoolExpr[R2]) -> BoolExpr[R | R2]: ...
    def __or__(self, other: Any) -> Any:
        return self._logic(other, "or", P_OR, "|")

    def __ror__(self, other: bool) -> BoolExpr[R]:
        if isinstance(other, bool):
            return BoolExpr._logic(_lit(other, "Edm.Boolean"), self, "or", P_OR, "|")  # type: ignore[arg-type]
        return self._logic(other, "or", P_OR, "|")

    def __invert__(self) -> BoolExpr[R]:
        inner = self if self._prec >= P_UNARY else _Paren(self)
        node = BoolExpr(f"not {inner._text}", P_UNARY, "Edm.Boolean", self._roots, ("not ", inner), self._registry)
        return node

    if TYPE_CHECKING:
        def __eq__(self, other: BoolExpr | bool | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        # Bound to the base method itself: a typed wrapper would cost a call per comparison.
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: BoolExpr | bool | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__


class StringExpr(_Ordered[R]):
    """An `Edm.String` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: str | StringExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: str | StringExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: str | StringExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: str | StringExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: str | StringExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: str | StringExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def in_(self, values: Iterable[str]) -> BoolExpr[R]:
        """`field in ('a','b')`."""
        return Expr.in_(self, values)

    def _str_arg(self, value: str | StringExpr, fn: str) -> Expr:
        if isinstance(value, str):
            return Expr(string_literal(value), P_PRIMARY, "Edm.String")
        if isinstance(value, Expr) and value._type == "Edm.String":
            return value
        got = value._describe() if isinstance(value, Expr) else f"{value!r} ({type(value).__name__})"
        raise TypeError(f"{self._describe()}.{fn}({got}): expected str")

    def contains(self, text: str | StringExpr) -> BoolExpr[R]:
        """`contains(field,'text')`."""
        return self._call("contains", (self, self._str_arg(text, "contains")), BoolExpr, "Edm.Boolean")

    def startswith(self, text: str | StringExpr) -> BoolExpr[R]:
        """`startswith(field,'text')`."""
        return self._call("startswith", (self, self._str_arg(text, "startswith")), BoolExpr, "Edm.Boolean")

    def endswith(self, text: str | StringExpr) -> BoolExpr[R]:
        """`endswith(field,'text')`."""
        return self._call("endswith", (self, self._str_arg(text, "endswith")), BoolExpr, "Edm.Boolean")

    def matches_pattern(self, pattern: str | StringExpr) -> BoolExpr[R]:
        """`matchesPattern(field,'regex')` (OData 4.01)."""
        return self._call("matchesPattern", (self, self._str_arg(pattern, "matches_pattern")), BoolExpr, "Edm.Boolean")

    def length(self) -> NumberExpr[R]:
        """`length(field)`."""
        return self._call("length", (self,), NumberExpr, "Edm.Int32")

    def indexof(self, text: str | StringExpr) -> NumberExpr[R]:
        """`indexof(field,'text')`: zero-based, -1 when absent."""
        return self._call("indexof", (self, self._str_arg(text, "indexof")), NumberExpr, "Edm.Int32")

    def substring(self, start: int | NumberExpr, length: int | NumberExpr | None = None) -> StringExpr[R]:
        """`substring(field,start[,length])`."""
        args: tuple[Expr, ...] = (self, _int_arg(self, start, "substring"))
        if length is not None:
            args += (_int_arg(self, length, "substring"),)
        return self._call("substring", args, StringExpr, "Edm.String")

    def tolower(self) -> StringExpr[R]:
        """`tolower(field)`."""
        return self._call("tolower", (self,), StringExpr, "Edm.String")

    def toupper(self) -> StringExpr[R]:
        """`toupper(field)`."""
        return self._call("toupper", (self,), StringExpr, "Edm.String")

    def trim(self) -> StringExpr[R]:
        """`trim(field)`."""
        return self._call("trim", (self,), StringExpr, "Edm.String")

    def concat(self, other: str | StringExpr) -> StringExpr[R]:
        """`concat(field,other)`."""
        return self._call("concat", (self, self._str_arg(other, "concat")), StringExpr, "Edm.String")


def _int_arg(owner: Expr, value: Any, fn: str) -> Expr:
    if isinstance(value, int) and not isinstance(value, bool):
        return Expr(str(value), P_PRIMARY, "Edm.Int32")
    if isinstance(value, Expr) and value._type in _INTEGER:
        return value
    got = value._describe() if isinstance(value, Expr) else f"{value!r} ({type(value).__name__})"
    raise TypeError(f"{owner._describe()}.{fn}({got}): expected int")


def concat(first: str | StringExpr, second: str | StringExpr) -> StringExpr:
    """`concat(a,b)` where the first argument may be a plain string."""
    if isinstance(first, str):
        if not isinstance(second, StringExpr):
            raise TypeError("concat() needs at least one string expression")
        head = StringExpr(string_literal(first), P_PRIMARY, "Edm.String", registry=second._registry)
        return head.concat(second)
    return first.concat(second)


Number = int | float | Decimal


def _num_type(a: str, b: str) -> str:
    if "Edm.Double" in (a, b) or "Edm.Single" in (a, b):
        return "Edm.Double"
    if "Edm.Decimal" in (a, b):
        return "Edm.Decimal"
    if "Edm.Int64" in (a, b):
        return "Edm.Int64"
    return "Edm.Int32"


class NumberExpr(_Ordered[R]):
    """A numeric expression (`Edm.Int32`, `Edm.Double`, `Edm.Decimal`...)."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: Number | NumberExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: Number | NumberExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: Number | NumberExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: Number | NumberExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: Number | NumberExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: Number | NumberExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def in_(self, values: Iterable[Number]) -> BoolExpr[R]:
        """`field in (1,2,3)`."""
        return Expr.in_(self, values)

    def _arith(self, op: str, sym: str, other: Any, prec: int, reverse: bool = False) -> NumberExpr[R]:
        o = self._operand(other, sym)
        if o._type not in _NUMERIC:
            raise TypeError(f"{self._describe()} {sym} {o._describe()}: expected a number")
        left, right = (o, self) if reverse else (self, o)
        return left._binary(op, right, prec, NumberExpr, _num_type(self._type, o._type))

    def __add__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("add", "+", other, P_ADD)

    def __radd__(self, other: Number) -> NumberExpr[R]:
        return self._arith("add", "+", other, P_ADD, reverse=True)

    def __sub__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("sub", "-", other, P_ADD)

    def __rsub__(self, other: Number) -> NumberExpr[R]:
        return self._arith("sub", "-", other, P_ADD, reverse=True)

    def __mul__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("mul", "*", other, P_MUL)

    def __rmul__(self, other: Number) -> NumberExpr[R]:
        return self._arith("mul", "*", other, P_MUL, reverse=True)

    def __truediv__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("div", "/", other, P_MUL)

    def __rtruediv__(self, other: Number) -> NumberExpr[R]:
        return self._arith("div", "/", other, P_MUL, reverse=True)

    def __floordiv__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("divby", "//", other, P_MUL)

    def __rfloordiv__(self, other: Number) -> NumberExpr[R]:
        return self._arith("divby", "//", other, P_MUL, reverse=True)

    def __mod__(self, other: Number | NumberExpr) -> NumberExpr[R]:
        return self._arith("mod", "%", other, P_MUL)

    def __rmod__(self, other: Number) -> NumberExpr[R]:
        return self._arith("mod", "%", other, P_MUL, reverse=True)

    def __neg__(self) -> NumberExpr[R]:
        return _negate(self, NumberExpr)

    def round(self) -> NumberExpr[R]:
        """`round(field)`."""
        return self._call("round", (self,), NumberExpr, self._type)

    def floor(self) -> NumberExpr[R]:
        """`floor(field)`."""
        return self._call("floor", (self,), NumberExpr, self._type)

    def ceiling(self) -> NumberExpr[R]:
        """`ceiling(field)`."""
        return self._call("ceiling", (self,), NumberExpr, self._type)


def _negate(expr: Expr, result: type[X]) -> X:
    inner = expr if expr._prec >= P_UNARY else _Paren(expr)
    # "--x" would not parse and "-1" next to "-" reads as a literal: keep a space-free form.
    text = f"-{inner._text}" if not inner._text.startswith("-") else f"-({inner._text})"
    node = result(text, P_UNARY, expr._type, expr._roots, None, expr._registry)
    node._parts = ("-", inner) if inner._text == text[1:] else ("-(", inner, ")")
    return node


class DateTimeExpr(_Ordered[R]):
    """An `Edm.DateTimeOffset` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: datetime | DateTimeExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: datetime | DateTimeExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: datetime | DateTimeExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: datetime | DateTimeExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: datetime | DateTimeExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: datetime | DateTimeExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def __add__(self, other: timedelta | DurationExpr) -> DateTimeExpr[R]:
        return _temporal(self, "add", "+", other, {"Edm.Duration": ("Edm.DateTimeOffset", DateTimeExpr)})

    @overload
    def __sub__(self, other: timedelta | DurationExpr) -> DateTimeExpr[R]: ...
    @overload
    def __sub__(self, other: datetime | DateTimeExpr) -> DurationExpr[R]: ...
    def __sub__(self, other: Any) -> Any:
        rules = {"Edm.Duration": ("Edm.DateTimeOffset", DateTimeExpr), "Edm.DateTimeOffset": ("Edm.Duration", DurationExpr)}
        return _temporal(self, "sub", "-", other, rules)

    def _part(self, name: str) -> NumberExpr[R]:
        return self._call(name, (self,), NumberExpr, "Edm.Int32")

    def year(self) -> NumberExpr[R]:
        """`year(field)`."""
        return self._part("year")

    def month(self) -> NumberExpr[R]:
        """`month(field)`."""
        return self._part("month")

    def day(self) -> NumberExpr[R]:
        """`day(field)`."""
        return self._part("day")

    def hour(self) -> NumberExpr[R]:
        """`hour(field)`."""
        return self._part("hour")

    def minute(self) -> NumberExpr[R]:
        """`minute(field)`."""
        return self._part("minute")

    def second(self) -> NumberExpr[R]:
        """`second(field)`."""
        return self._part("second")

    def fractionalseconds(self) -> NumberExpr[R]:
        """`fractionalseconds(field)`: an `Edm.Decimal` below 1."""
        return self._call("fractionalseconds", (self,), NumberExpr, "Edm.Decimal")

    def totaloffsetminutes(self) -> NumberExpr[R]:
        """`totaloffsetminutes(field)`: the offset from UTC in minutes."""
        return self._part("totaloffsetminutes")

    def date(self) -> DateExpr[R]:
        """`date(field)`."""
        return self._call("date", (self,), DateExpr, "Edm.Date")

    def time(self) -> TimeExpr[R]:
        """`time(field)`."""
        return self._call("time", (self,), TimeExpr, "Edm.TimeOfDay")


def _temporal(expr: Expr, op: str, sym: str, other: Any, rules: dict[str, tuple[str, type[X]]]) -> X:
    if isinstance(other, Expr):
        o = other
    elif isinstance(other, timedelta):
        o = _lit(other, "Edm.Duration")
    elif isinstance(other, datetime) and "Edm.DateTimeOffset" in rules:
        o = expr._operand(other, sym)
    elif isinstance(other, date) and "Edm.Date" in rules:
        o = expr._operand(other, sym)
    else:
        raise TypeError(f"{expr._describe()} {sym} {other!r} ({type(other).__name__}): unsupported operand")
    rule = rules.get(o._type)
    if rule is None:
        raise TypeError(f"{expr._describe()} {sym} {o._describe()}: unsupported operand")
    return expr._binary(op, o, P_ADD, rule[1], rule[0])


class DateExpr(_Ordered[R]):
    """An `Edm.Date` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: date | DateExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: date | DateExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: date | DateExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: date | DateExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: date | DateExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: date | DateExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def __add__(self, other: timedelta | DurationExpr) -> DateExpr[R]:
        return _temporal(self, "add", "+", other, {"Edm.Duration": ("Edm.Date", DateExpr)})

    @overload
    def __sub__(self, other: timedelta | DurationExpr) -> DateExpr[R]: ...
    @overload
    def __sub__(self, other: date | DateExpr) -> DurationExpr[R]: ...
    def __sub__(self, other: Any) -> Any:
        return _temporal(
            self, "sub", "-", other, {"Edm.Duration": ("Edm.Date", DateExpr), "Edm.Date": ("Edm.Duration", DurationExpr)}
        )

    def year(self) -> NumberExpr[R]:
        """`year(field)`."""
        return self._call("year", (self,), NumberExpr, "Edm.Int32")

    def month(self) -> NumberExpr[R]:
        """`month(field)`."""
        return self._call("month", (self,), NumberExpr, "Edm.Int32")

    def day(self) -> NumberExpr[R]:
        """`day(field)`."""
        return self._call("day", (self,), NumberExpr, "Edm.Int32")


class TimeExpr(_Ordered[R]):
    """An `Edm.TimeOfDay` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: time | TimeExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: time | TimeExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: time | TimeExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: time | TimeExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: time | TimeExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: time | TimeExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def hour(self) -> NumberExpr[R]:
        """`hour(field)`."""
        return self._call("hour", (self,), NumberExpr, "Edm.Int32")

    def minute(self) -> NumberExpr[R]:
        """`minute(field)`."""
        return self._call("minute", (self,), NumberExpr, "Edm.Int32")

    def second(self) -> NumberExpr[R]:
        """`second(field)`."""
        return self._call("second", (self,), NumberExpr, "Edm.Int32")

    def fractionalseconds(self) -> NumberExpr[R]:
        """`fractionalseconds(field)`."""
        return self._call("fractionalseconds", (self,), NumberExpr, "Edm.Decimal")


class DurationExpr(_Ordered[R]):
    """An `Edm.Duration` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: timedelta | DurationExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: timedelta | DurationExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def __gt__(self, other: timedelta | DurationExpr) -> BoolExpr[R]:
        return self._order("gt", ">", other)

    def __ge__(self, other: timedelta | DurationExpr) -> BoolExpr[R]:
        return self._order("ge", ">=", other)

    def __lt__(self, other: timedelta | DurationExpr) -> BoolExpr[R]:
        return self._order("lt", "<", other)

    def __le__(self, other: timedelta | DurationExpr) -> BoolExpr[R]:
        return self._order("le", "<=", other)

    def __add__(self, other: timedelta | DurationExpr) -> DurationExpr[R]:
        return _temporal(self, "add", "+", other, {"Edm.Duration": ("Edm.Duration", DurationExpr)})

    def __sub__(self, other: timedelta | DurationExpr) -> DurationExpr[R]:
        return _temporal(self, "sub", "-", other, {"Edm.Duration": ("Edm.Duration", DurationExpr)})

    def __neg__(self) -> DurationExpr[R]:
        return _negate(self, DurationExpr)


class GuidExpr(_Ordered[R]):
    """An `Edm.Guid` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: UUID | str | GuidExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: UUID | str | GuidExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__


class BinaryExpr(Expr[R]):
    """An `Edm.Binary` expression."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: bytes | BinaryExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: bytes | BinaryExpr | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__


class EnumExpr(_Ordered[R], Generic[E, R]):
    """An enum-typed expression; `has` tests flags."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __eq__(self, other: E | EnumExpr[E] | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __eq__ = Expr.__eq__

    if TYPE_CHECKING:
        def __ne__(self, other: E | EnumExpr[E] | None) -> BoolExpr[R]: ...  # type: ignore[override]
    else:
        __ne__ = Expr.__ne__

    __hash__ = Expr.__hash__

    def in_(self, values: Iterable[E]) -> BoolExpr[R]:
        """`field in (Ns.T'a',Ns.T'b')`."""
        return Expr.in_(self, values)

    def has(self, flags: E) -> BoolExpr[R]:
        """`field has Ns.Type'A,B'`."""
        o = self._operand(flags, "has")
        if o._type == "null":
            raise TypeError(f"{self._describe()}.has(None): expected a member")
        return self._binary("has", o, P_HAS_IN, BoolExpr, "Edm.Boolean")


# -- $expand items --------------------------------------------------------------------------------
_EXPAND_ORDER = ("$select", "$filter", "$expand", "$orderby", "$top", "$skip", "$count", "$search", "$levels")


class ExpandItem:
    """What `$expand` text needs of an item: its navigation, its options and their rendering.

    The items users build are `odatakit.paths.Expand` and `ExpandMany`, which add the option methods.
    """

    __slots__ = ("nav", "target", "options", "_filter")

    nav: Expr
    target: type
    options: dict[str, str]
    _filter: BoolExpr | None

    @property
    def text(self) -> str:
        """The item as it goes into `$expand` (user text encoded, spaces not yet)."""
        return self.render(None)

    def render(self, base: type | None) -> str:
        """The item with the navigation path relative to `base`."""
        nav = self.nav
        head = nav._text if nav._base is base else nav.render(base)
        options = self.options
        if not options:
            return head
        if len(options) == 1:
            for name, value in options.items():
                return f"{head}({name}={value})"
        opts = [f"{name}={options[name]}" for name in _EXPAND_ORDER if name in options]
        return f"{head}({';'.join(opts)})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text}>"


# -- functions without a subject ----------------------------------------------------------------------
def now() -> DateTimeExpr:
    """`now()`."""
    return DateTimeExpr("now()", P_PRIMARY, "Edm.DateTimeOffset")


def mindatetime() -> DateTimeExpr:
    """`mindatetime()`."""
    return DateTimeExpr("mindatetime()", P_PRIMARY, "Edm.DateTimeOffset")


def maxdatetime() -> DateTimeExpr:
    """`maxdatetime()`."""
    return DateTimeExpr("maxdatetime()", P_PRIMARY, "Edm.DateTimeOffset")


def isof_type(owner: type, target: type) -> BoolExpr:
    """`isof(Ns.Type)`: the current instance (of `owner`) is a `target`."""
    if not issubclass(target, owner):
        raise TypeError(f"{owner.__name__}.isof({target.__name__}): {target.__name__} does not derive from it")
    return BoolExpr(f"isof({_type_name(target)})", P_PRIMARY, "Edm.Boolean", frozenset((owner,)))


_EDM_CLASSES: dict[str, type[Expr]] = {
    "Edm.String": StringExpr,
    "Edm.Boolean": BoolExpr,
    "Edm.DateTimeOffset": DateTimeExpr,
    "Edm.Date": DateExpr,
    "Edm.TimeOfDay": TimeExpr,
    "Edm.Duration": DurationExpr,
    "Edm.Guid": GuidExpr,
    "Edm.Binary": BinaryExpr,
    **dict.fromkeys(_NUMERIC, NumberExpr),
}

_TRUE = BoolExpr("true", P_PRIMARY, "Edm.Boolean")
_FALSE = BoolExpr("false", P_PRIMARY, "Edm.Boolean")
_NULL = Expr("null", P_PRIMARY, "null")

# DSL methods by the types they apply to: calling one on another type is a TypeError, not an AttributeError.
_METHOD_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("contains", "startswith", "endswith", "matches_pattern", "indexof", "substring", "tolower", "toupper",
         "trim", "concat"),
        "Edm.String",
    ),
    **dict.fromkeys(("round", "floor", "ceiling"), "numbers"),
    **dict.fromkeys(("year", "month", "day"), "Edm.DateTimeOffset and Edm.Date"),
    **dict.fromkeys(("hour", "minute", "second", "fractionalseconds"), "Edm.DateTimeOffset and Edm.TimeOfDay"),
    **dict.fromkeys(("date", "time", "totaloffsetminutes"), "Edm.DateTimeOffset"),
    "has": "enums",
    "any": "collections",
    "all": "collections",
    "length": "Edm.String and collections",
}
