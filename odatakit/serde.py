"""Typed objects and their JSON form: base classes, the type registry, the converter.

Generated packages declare slotted classes and register them here with a field table
(Python name, wire name, Edm or qualified type, collection?).  The converter turns OData
JSON into those classes and back, losing nothing: unknown properties and instance
annotations (``@odata.type``, ``@odata.etag``, ``prop@odata.navigationLink``...) are kept
in ``additional_data``, properties the server sent as ``null`` stay ``null``, values
that Python cannot hold exactly (7-digit fractions, non-canonical durations) keep their
wire text (see :mod:`odatakit.edm`), flags keep the member names the server sent, and an
open or empty complex type received as an array, a string or a number keeps it (`non_object`).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import gc
import importlib
import reprlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar, dataclass_transform
from weakref import ref as _weakref

import attrs

from . import edm
from .capabilities import Capabilities
from .expr import BoolExpr, isof_type
from .fields import FieldSlots, FieldSpec, TypeInfo, field_slots, field_table
from .paths import path_expr

if TYPE_CHECKING:
    from ._hooks import Hooks

__all__ = [
    "ComplexBase",
    "Converter",
    "EntityBase",
    "FieldSpec",
    "ODataEnum",
    "ODataFlag",
    "ODataObject",
    "Registry",
    "field_table",
    "mark_changed",
    "mark_clean",
    "model",
    "replace",
]

_C = TypeVar("_C", bound=type)
_O = TypeVar("_O", bound="ODataObject")
_F = TypeVar("_F", bound=enum.Flag)

ODATA_TYPE = "@odata.type"


@dataclass_transform(kw_only_default=True, field_specifiers=(attrs.field,))
def model(cls: _C) -> _C:
    """Mark a generated class as a model: keyword-only fields, typed by `Prop` annotations.

    Nothing happens at run time: generated classes declare their ``__slots__`` and the
    registry installs their fields (`Registry.structured`); the decorator exists for type
    checkers (``dataclass_transform``), which read the field declarations the class keeps
    under ``if TYPE_CHECKING:``. Building an attrs class per generated class cost about
    0.5 ms each at import, which a package of thousands of types cannot afford.
    """
    return cls


def replace(obj: _O, **changes: Any) -> _O:
    """A new object of the same class with the same properties except `changes` (by Python name).

    The copy is shallow and counts as built in Python: every property set is sent on create. An
    instance standing for a non-object JSON value (`non_object`) copied without changes stands for it too.
    """
    cls = obj.__class__
    if not changes and cls in _ANY_JSON:
        value = _non_object_value(obj)
        if value is not _OBJECT_FORM:
            return non_object(cls, value)
    values = {name: slot.__get__(obj) for name, slot in _LAYOUT.get(cls) or _layout_of(cls)}
    values["additional_data"] = obj.additional_data
    values.update(changes)
    return cls(**values)


class _Missing:
    """The default of `additional_data` in `__init__`: a fresh dict per object."""


_MISSING: Any = _Missing()


class _NoExtra(dict[str, Any]):
    """What the `additional_data` slot holds until the dict is first asked for: one shared, empty instance.

    Most received objects have no undeclared members; a dict each was about a third of a typed
    page's memory. Internal readers take it as the empty mapping it is; the `additional_data`
    property never hands it out, so nobody mutates it.
    """

    __slots__ = ()

    def __reduce__(self) -> str:
        # copy, deepcopy and pickle keep the shared instance (by its global name).
        return "_NO_EXTRA"


_NO_EXTRA: dict[str, Any] = _NoExtra()


class _ModelType(type):
    """The metaclass of generated classes: `Cls.prop` is the property's query expression.

    Instances read and write their properties through the class's bare slots, the fastest
    attribute access CPython has; the class-level meaning of each property name comes from a
    `_ClassField` on this metaclass, which takes precedence over the slot for `Cls.prop` only.
    It also gives generated classes their signature and field list for `help()` and editors,
    made when first asked for (see `odatakit._introspect`).
    """

    @property
    def __signature__(cls) -> Any:
        """The constructor's keyword-only parameters, typed, None by default (`inspect.signature(Event)`)."""
        found = _specs_for(cls)
        if found is None:
            raise AttributeError("__signature__")  # the base classes: inspect reads __init__ instead
        from ._introspect import signature

        fields, registry = found
        return signature(fields, lambda qualified: registry.info(qualified).cls)

    # A class's docstring, extended with its fields (type's own `__doc__` is a plain attribute to mypy).
    @property
    def __doc__(cls) -> str | None:  # type: ignore[override]
        own: str | None = cls.__dict__.get("__doc__")
        found = _specs_for(cls)
        if found is None or not isinstance(own, str | None):
            return own
        doc = _CLASS_DOCS.get(cls)
        if doc is None:
            from ._introspect import class_doc

            fields, registry = found
            doc = _CLASS_DOCS[cls] = class_doc(cls, own, fields, lambda qualified: registry.info(qualified).cls)
        return doc


# Generated classes' docstrings with their fields, made on first use.
_CLASS_DOCS: dict[type, str] = {}


def _specs_for(cls: type) -> tuple[tuple[FieldSpec, ...], Registry] | None:
    """The fields of a registered class (or of the closest registered base of a user's subclass)."""
    for klass in cls.__mro__:
        found = _SPECS_OF.get(klass)
        if found is not None:
            return found
    return None


@model
class ODataObject(metaclass=_ModelType):
    """Base of every generated entity and complex class.

    Instances are built with keyword arguments, one per property (all optional, None by
    default), compare equal when of the same class with equal properties and
    `additional_data`, and are unhashable, as they are mutable.

    A received object can always give back the JSON object it was read from: what it holds
    beyond its properties (undeclared members, explicit nulls) is worked out from that JSON when
    first asked for, and so are its changes, by comparing each property with the value it was
    received with. Objects read from a response body hold only a reference to the body's bytes
    (shared by the whole page, see `ResponseSource`): the JSON is read again from them the first
    time one of the page's objects needs it, so a page nobody asks that of costs no more memory
    than its typed objects and the bytes.
    """

    __slots__ = ("_odata_wire", "_odata_extra", "_odata_nulls", "_odata_marked", "_odata_pos", "__weakref__")

    if TYPE_CHECKING:
        #: Properties the model does not declare and instance annotations, by wire name.
        additional_data: dict[str, Any] = attrs.field(factory=dict)
        # What changes are measured against: the JSON object received, a `_Snapshot` taken by
        # `mark_clean`, or None for an object built in Python (every set property counts).
        _odata_wire: Any = attrs.field(default=None, init=False)
        # The slot behind `additional_data`: `_NO_EXTRA` until the dict is first asked for; unset
        # in a received object until then (see `_unpack`).
        _odata_extra: dict[str, Any] = attrs.field(factory=dict, init=False)
        # Wire names the server sent as an explicit null: written back as null. Unset like `_odata_extra`.
        _odata_nulls: frozenset[str] = attrs.field(factory=frozenset, init=False)
        # Wire names `mark_changed` counts as changed whatever their values; None or unset for none.
        _odata_marked: set[str] | None = attrs.field(default=None, init=False)
        # Its place in the JSON array it was read from (None when not an item of one; unset when built in Python).
        _odata_pos: int | None = attrs.field(default=None, init=False)
    else:

        def __init__(self, **values: Any) -> None:
            cls = self.__class__
            pop = values.pop
            for name, slot in _LAYOUT.get(cls) or _layout_of(cls):
                slot.__set__(self, pop(name, None))
            extra = pop("additional_data", _MISSING)
            _EXTRA.__set__(self, _NO_EXTRA if extra is _MISSING else extra)
            _NULLS.__set__(self, _NO_NULLS)
            _WIRE.__set__(self, None)
            if values:
                name = next(iter(values))
                raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}")

        @property
        def additional_data(self) -> dict[str, Any]:
            """Properties the model does not declare and instance annotations, by wire name."""
            extra = _extra_of(self)
            if extra is _NO_EXTRA:
                extra = {}
                _EXTRA.__set__(self, extra)
            return extra

        @additional_data.setter
        def additional_data(self, value: dict[str, Any]) -> None:
            _nulls_of(self)  # worked out from the JSON object first, which the new value must not replace
            _EXTRA.__set__(self, value)

    __odata_type__: ClassVar[str] = ""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        if _extra_of(self) != _extra_of(other):  # not the property: compare without creating dicts
            return False
        cls = self.__class__
        for _name, slot in _LAYOUT.get(cls) or _layout_of(cls):
            mine, theirs = slot.__get__(self), slot.__get__(other)
            # Identity first, as tuple comparison does (a NaN equals itself there).
            if mine is not theirs and mine != theirs:
                return False
        if cls in _ANY_JSON:
            return _same(_non_object_value(self), _non_object_value(other))
        return True

    __hash__ = None  # type: ignore[assignment]  # mutable, so not hashable

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls = self.__class__
        shown = cls.__qualname__.rsplit(">.", 1)[-1]  # no `<locals>.` of a function's class
        if cls in _ANY_JSON:
            value = _non_object_value(self)
            if value is not _OBJECT_FORM:
                return f"{shown}(<JSON {value!r}>)"
        fields = ", ".join(f"{name}={slot.__get__(self)!r}" for name, slot in _LAYOUT.get(cls) or _layout_of(cls))
        return f"{shown}({fields})"

    def __replace__(self, **changes: Any) -> Any:
        """`copy.replace` (Python 3.13+): see `replace`."""
        return replace(self, **changes)

    @property
    def odata_type(self) -> str | None:
        """The `@odata.type` the object was received with, if any."""
        value = _extra_of(self).get(ODATA_TYPE)
        return value if isinstance(value, str) else None

    @property
    def odata_etag(self) -> str | None:
        """The `@odata.etag` the object was received with, if any."""
        value = _extra_of(self).get("@odata.etag")
        return value if isinstance(value, str) else None


    def __getstate__(self) -> Any:
        # Copies and pickles carry the JSON itself, not the reference to a response body.
        _wire_of(self)
        return object.__getstate__(self)

    @property
    def changed_fields(self) -> frozenset[str]:
        """Wire names of the properties whose values differ from those received (nested changes too).

        A property assigned a value equal to the one received is unchanged. Objects built in
        Python rather than received are not tracked: every property set counts.
        """
        return frozenset(_changed_wires(self))

    @classmethod
    def isof(cls, derived: type[ODataObject]) -> BoolExpr:
        """`isof(Ns.Derived)` in a filter over this type: the item is a `derived`."""
        return isof_type(cls, derived)


@model
class EntityBase(ODataObject):
    """Base of generated entity classes."""

    __slots__ = ()


@model
class ComplexBase(ODataObject):
    """Base of generated complex classes."""

    __slots__ = ()


class ODataEnum(enum.Enum):
    """Base of generated enums: the value is the wire string.

    A value the model does not know (services add members over time) becomes a pseudo
    member rather than an error, so reading never fails and writing gives it back.
    """

    @classmethod
    def _missing_(cls, value: object) -> ODataEnum | None:
        if not isinstance(value, str):
            return None
        pseudo = object.__new__(cls)
        pseudo._name_ = value
        pseudo._value_ = value
        # Cached so that the same unknown value is the same object.
        return cls._value2member_map_.setdefault(value, pseudo)  # type: ignore[return-value]


class ODataFlag(enum.Flag):
    """Base of generated flag enums: serialised as comma-separated member names."""


#: (class, Python name) → (field, registry) for every field a class declares itself.
_DECLARED: dict[tuple[type, str], tuple[FieldSpec, Registry]] = {}
#: (class, Python name) → the query expression `Cls.prop` gives, made on first use.
_CLASS_EXPRS: dict[tuple[type, str], Any] = {}
# Names `type` itself has (only `mro` looks like a property name): such fields keep a Python
# descriptor on their class instead, as a metaclass attribute would hide the type's own.
_TYPE_NAMES = frozenset(dir(type))


class _ClassField:
    """On `_ModelType`: `Cls.name` for every model class, a query expression where `name` is a field."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, cls: type | None, meta: type | None = None) -> Any:
        if cls is None:
            return self
        found = _CLASS_EXPRS.get((cls, self._name))
        if found is None:
            found = _class_attribute(cls, self._name)
        return found

    def __set__(self, cls: type, value: Any) -> None:
        raise AttributeError(f"{cls.__name__}.{self._name}: a property's name; its class attribute cannot be set")

    def __delete__(self, cls: type) -> None:
        raise AttributeError(f"{cls.__name__}.{self._name}: a property's name; its class attribute cannot be deleted")


def _class_attribute(cls: type, name: str) -> Any:
    """What `cls.name` would be without the metaclass's `_ClassField`: the field's expression, or the attribute."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            declared = _DECLARED.get((klass, name))
            if declared is not None:
                spec, registry = declared
                expr = _CLASS_EXPRS[cls, name] = path_expr(cls, (spec,), registry)
                return expr
            value = klass.__dict__[name]
            get = getattr(type(value), "__get__", None)
            return value if get is None else get(value, None, cls)
    raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")


class _FieldDescriptor:
    """A field named like an attribute of `type` (`mro`): class access is the query expression.

    Instance access is the slot's value; assignment is tracked by `ODataObject.__setattr__`.
    """

    __slots__ = ("_slot", "_name")

    def __init__(self, slot: Any, name: str) -> None:
        self._slot = slot
        self._name = name

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            assert owner is not None
            found = _CLASS_EXPRS.get((owner, self._name))  # not `or`: an expression has no truth value
            return _class_attribute(owner, self._name) if found is None else found
        return self._slot.__get__(obj, owner)

    def __set__(self, obj: object, value: Any) -> None:
        self._slot.__set__(obj, value)

    def __delete__(self, obj: object) -> None:
        self._slot.__delete__(obj)


def _own_fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields a class's `__slots__` carries (`Registry.slots`); none for an empty `__slots__`."""
    declared = cls.__dict__.get("__slots__")
    if isinstance(declared, FieldSlots):
        return declared.specs
    if declared == ():
        return ()
    raise TypeError(f"{cls.__qualname__}: give its fields to Registry.structured or as __slots__ = REGISTRY.slots(...)")


def _raw_slot(cls: type, name: str) -> Any:
    """The member descriptor behind an attribute, looking through our field descriptors."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found._slot if isinstance(found, _FieldDescriptor) else found
    raise AttributeError(f"{cls.__name__} has no slot {name!r}")


_WIRE: Any = ODataObject.__dict__["_odata_wire"]
_EXTRA: Any = ODataObject.__dict__["_odata_extra"]
_NULLS: Any = ODataObject.__dict__["_odata_nulls"]
_MARKED: Any = ODataObject.__dict__["_odata_marked"]
_POS: Any = ODataObject.__dict__["_odata_pos"]
_NO_NULLS: frozenset[str] = frozenset()

#: The additional data of an object that had none (the `additional_data` property makes the dict).
NO_EXTRA = _NO_EXTRA

if TYPE_CHECKING:

    def new(cls: type[_O]) -> _O:
        """A bare instance of `cls`, for emitted structuring code, which fills every slot itself."""
        ...

else:
    # A generated class's `__init__` takes keywords; the emitted code skips it.
    new = object.__new__


def _wire_of(obj: ODataObject) -> Any:
    """What `obj`'s changes are measured against: its JSON object, a `_Snapshot`, or None if built in Python."""
    try:
        base = _WIRE.__get__(obj)
    except AttributeError:  # a bare instance (`object.__new__`) nobody filled in
        return None
    if base.__class__ is _Received:
        return _resolve(obj, base)
    return base


class ResponseSource:
    """A response body's bytes, from which the JSON of the objects read from it is read again when needed.

    `key` names the array of items (`"value"` for a page), or is None for a body that is one object.
    The body is parsed again at most once, the first time one of its objects needs its JSON.
    """

    __slots__ = ("data", "key", "_parsed")

    def __init__(self, data: bytes, key: str | None = None) -> None:
        self.data = data
        self.key = key
        self._parsed: Any = None

    def item(self, index: int | None) -> Any:
        """The JSON value of the item at `index` (the whole body when `index` is None)."""
        parsed = self._parsed
        if parsed is None:
            with paused_gc():
                parsed = self._parsed = _parse_json(self.data)
            self.data = b""  # the parsed body stands for the bytes from now on
        if index is None:
            return parsed
        items = parsed.get(self.key) if isinstance(parsed, dict) and self.key is not None else None
        return items[index] if isinstance(items, list) and 0 <= index < len(items) else None


def _parse_json(data: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        import json  # what orjson refuses and the first read took (NaN, integers beyond 64 bits)

        return json.loads(data)


class _Received:
    """What a received object, and every object nested in it, holds until its JSON is needed.

    One per item of a response: the body it came from, its place there, and a weak reference to
    the item's top object, from which the JSON of the nested objects is found by walking both.
    """

    __slots__ = ("source", "index", "top")

    def __init__(self, source: ResponseSource, index: int | None) -> None:
        self.source = source
        self.index = index
        self.top: Callable[[], Any] | None = None


def _resolve(obj: ODataObject, received: _Received) -> Any:
    """Put on `obj` (and on the objects of its tree) the JSON it was read from; return it."""
    data = received.source.item(received.index)
    ref = getattr(received, "top", None)  # unset until its top object is built
    top = ref() if ref is not None else None
    if top is not None and _WIRE.__get__(top) is received:
        _distribute(top, data, received)
    base = _WIRE.__get__(obj)
    if base is received:
        # Not reached from its top object: moved into another object, or kept after its top was
        # dropped. Its JSON is the one in its item whose values its own still match.
        base = _find(obj, data)
        _WIRE.__set__(obj, base)
    return base


def _distribute(obj: ODataObject, data: Any, received: _Received) -> None:
    _WIRE.__set__(obj, data)
    if not isinstance(data, dict):
        return
    cls = obj.__class__
    for wire, get, kind, _decode in _DIFF_PLANS.get(cls) or _diff_plan(cls):
        if kind == _VALUE:
            continue
        value = get(obj)
        if value is None:
            continue
        sub = data.get(wire)
        if kind == _OBJECT:
            if isinstance(value, ODataObject) and _raw_wire(value) is received:
                _distribute(value, sub, received)
        elif isinstance(value, list) and isinstance(sub, list):
            for item in value:
                if isinstance(item, ODataObject) and _raw_wire(item) is received:
                    # Its place in the array it was read from: the list may have been reordered since.
                    pos = _pos_of(item)
                    if pos is not None and 0 <= pos < len(sub):
                        _distribute(item, sub[pos], received)


def _raw_wire(obj: ODataObject) -> Any:
    try:
        return _WIRE.__get__(obj)
    except AttributeError:
        return None


def _pos_of(obj: ODataObject) -> int | None:
    try:
        pos: int | None = _POS.__get__(obj)
    except AttributeError:
        return None
    return pos


def _find(obj: ODataObject, data: Any) -> Any:
    """The JSON object in `data` (a received item) whose values `obj`'s own values match, or None."""
    cls = obj.__class__
    plan = _DIFF_PLANS.get(cls) or _diff_plan(cls)
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            if any(wire in value for wire, _, _, _ in plan) and all(
                not _differs(get(obj), value.get(wire), kind, decode, False)
                for wire, get, kind, decode in plan
                if kind == _VALUE
            ):
                return value
            stack.extend(reversed(list(value.values())))
    return None


def _extra_of(obj: ODataObject) -> dict[str, Any]:
    """The `additional_data` slot, worked out from the JSON object on first use (may be the shared `_NO_EXTRA`)."""
    try:
        extra: dict[str, Any] = _EXTRA.__get__(obj)
    except AttributeError:
        return _unpack(obj)
    return extra


def _nulls_of(obj: ODataObject) -> frozenset[str]:
    """The wire names `obj` was received with as explicit nulls."""
    try:
        nulls: frozenset[str] = _NULLS.__get__(obj)
    except AttributeError:
        _unpack(obj)
        nulls = _NULLS.__get__(obj)
    return nulls


def _unpack(obj: ODataObject) -> dict[str, Any]:
    """Keep the undeclared members (in order) and explicit nulls of a received object's JSON on it.

    Structuring stores only the JSON object; most received objects are never asked for either.
    """
    data = _wire_of(obj)
    if isinstance(data, dict):
        wires = _WIRES.get(obj.__class__) or _wires_of(obj.__class__)
        extra = {k: v for k, v in data.items() if k not in wires} or _NO_EXTRA
        nulls = frozenset([k for k, v in data.items() if v is None and k in wires]) or _NO_NULLS
    else:
        extra, nulls = _NO_EXTRA, _NO_NULLS
    _EXTRA.__set__(obj, extra)
    _NULLS.__set__(obj, nulls)
    return extra


#: Per class: the wire names of its fields, made on first use (most objects need none).
_WIRES: dict[type, frozenset[str]] = {}


def _wires_of(cls: type) -> frozenset[str]:
    wires = _WIRES[cls] = frozenset(wire for wire, _ in _fields_of(cls))
    return wires


def _fields_of(cls: type) -> tuple[tuple[str, Any], ...]:
    """(wire name, slot getter) of every field of `cls`, or of its closest registered base (a user's subclass)."""
    found = _FIELDS_OF.get(cls)
    if found is None:
        found = next((f for k in cls.__mro__ if (f := _FIELDS_OF.get(k)) is not None), ())
    return found


def not_list(value: Any) -> NoReturn:
    """Refuse a non-array value of a collection property (the general path then names the property)."""
    raise TypeError(f"expected a JSON array, got {type(value).__name__}")


def decode_flags(cls: type[_F], data: Any) -> _F:
    """A flag enum from its wire form: comma-separated member names."""
    if not isinstance(data, str):
        raise ValueError(f"{cls.__name__}: expected a comma-separated string, got {data!r}")
    by_wire = _BY_WIRE.get(cls)
    if by_wire is None:
        by_wire = _BY_WIRE[cls] = {w: name for name, w in getattr(cls, "__odata_wire__", {}).items()}
    result = cls(0)
    for part in data.split(","):
        part = part.strip()
        if not part:
            continue
        name = by_wire.get(part)
        if name is None:
            raise ValueError(f"{cls.__name__}: unknown member {part!r}")
        result |= cls[name]
    return result


#: Per flag enum: wire name → member name, made on first use.
_BY_WIRE: dict[type, dict[str, str]] = {}


def _keep_flag_spelling(
    obj: ODataObject, out: dict[str, Any], fields: tuple[tuple[Any, str, bool, Callable[[Any], Any]], ...]
) -> None:
    """Write each flags value still equal to the one received as the service spelled it ("write,read", "all")."""
    received = _received(obj)
    if not isinstance(received, dict):
        return
    for get, wire, collection, decode in fields:
        sent, value = received.get(wire), get(obj)
        if sent is None or value is None or wire not in out:
            continue
        if not collection:
            if _decodes_to(decode, sent, value):
                out[wire] = sent
        elif isinstance(sent, list) and isinstance(value, list) and len(sent) == len(value):
            out[wire] = [
                s if x is not None and _decodes_to(decode, s, x) else e
                for s, x, e in zip(sent, value, out[wire], strict=True)
            ]


def _decodes_to(decode: Callable[[Any], Any], sent: Any, value: Any) -> bool:
    try:
        return bool(decode(sent) == value)
    except (TypeError, ValueError):
        return False


class _Snapshot:
    """The baseline `mark_clean` leaves: the property values of that moment (lists copied).

    `wire` is the JSON value the object was received with, if any (an object, or what an open or
    empty complex type received instead), which the object's parent may still measure it against.
    """

    __slots__ = ("values", "wire")

    def __init__(self, values: tuple[Any, ...], wire: Any) -> None:
        self.values = values
        self.wire = wire


def _snapshot(obj: ODataObject) -> _Snapshot:
    values = tuple(list(v) if isinstance(v, list) else v for v in (get(obj) for _, get in _fields_of(obj.__class__)))
    return _Snapshot(values, _received(obj))


def _received(obj: ODataObject) -> Any:
    """The JSON value `obj` was received with (through a `mark_clean` snapshot too), or None if built in Python."""
    base = _wire_of(obj)
    return base.wire if base.__class__ is _Snapshot else base


class _ObjectForm:
    """What `_non_object_value` gives for an object written back as a JSON object."""


_OBJECT_FORM: Any = _ObjectForm()
#: Classes whose instances may stand for any JSON value: open complex types, complex types without properties.
_ANY_JSON: set[type] = set()


def non_object(cls: type[_O], value: Any) -> _O:
    """An instance of an open or empty complex class received as a JSON value other than an object.

    It keeps `value` (an array, a string, a number, a boolean) and is written back as that value
    for as long as nothing is set on it; its properties are None and its `additional_data` empty.
    """
    obj: _O = object.__new__(cls)
    for _name, slot in _LAYOUT.get(cls) or _layout_of(cls):
        slot.__set__(obj, None)
    _WIRE.__set__(obj, value)
    _EXTRA.__set__(obj, _NO_EXTRA)
    _NULLS.__set__(obj, _NO_NULLS)
    return obj


def _non_object_value(obj: ODataObject) -> Any:
    """The non-object JSON value `obj` stands for (see `non_object`), or `_OBJECT_FORM`.

    An object that received one is written back as an object once anything is set on it.
    """
    value = _received(obj)
    if value is None or isinstance(value, dict):
        return _OBJECT_FORM
    if _extra_of(obj) or _nulls_of(obj) or any(get(obj) is not None for _, get in _fields_of(obj.__class__)):
        return _OBJECT_FORM
    return value


# How a property's current value is compared with its baseline (see `_differs`).
_VALUE, _OBJECT, _OBJECTS = 0, 1, 2

#: Per class: (wire name, slot getter, kind, decoder of a JSON value) of every field, made on first use.
_DIFF_PLANS: dict[type, tuple[tuple[str, Any, int, Callable[[Any], Any] | None], ...]] = {}


def _diff_plan(cls: type) -> tuple[tuple[str, Any, int, Callable[[Any], Any] | None], ...]:
    declared = next((found for klass in cls.__mro__ if (found := _SPECS_OF.get(klass)) is not None), None)
    plan: list[tuple[str, Any, int, Callable[[Any], Any] | None]] = []
    if declared is not None:
        specs, registry = declared
        for spec, (wire, get) in zip(specs, _fields_of(cls), strict=True):
            one = _value_decoder(registry, spec.type)
            if one is None:
                plan.append((wire, get, _OBJECTS if spec.collection else _OBJECT, None))
            else:
                plan.append((wire, get, _VALUE, _many(one) if spec.collection else one))
    made = _DIFF_PLANS[cls] = tuple(plan)
    return made


def _value_decoder(registry: Registry, type_name: str) -> Callable[[Any], Any] | None:
    """The decoder of a JSON value of an Edm or enum type; None for a structured type."""
    if type_name.startswith("Edm."):
        return edm.decoder(type_name)
    cls = registry.info(type_name).cls
    if issubclass(cls, enum.Flag):
        return functools.partial(decode_flags, cls)
    if issubclass(cls, enum.Enum):
        return cls
    return None


def _many(one: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """The decoder of a JSON array whose items `one` decodes (null items stay None)."""

    def many(values: Any) -> list[Any]:
        if not isinstance(values, list):  # a string is iterable too
            not_list(values)
        return [None if v is None else one(v) for v in values]

    return many


def _same(value: Any, before: Any) -> bool:
    # Identity first, as tuple comparison does (a NaN equals itself there).
    return value is before or bool(value == before)


def _same_object(value: Any, before: Any, snapshot: bool) -> bool:
    """Whether `value` is still the object `before` stood for (the object itself, or its JSON) and unchanged."""
    if value is None or before is None:
        return value is before
    if not isinstance(value, ODataObject):  # something else assigned in its place
        return False
    if snapshot:
        return value is before and not _is_dirty(value)
    base = _wire_of(value)
    return (base is before or (isinstance(base, _Snapshot) and base.wire is before)) and not _is_dirty(value)


def _differs(value: Any, before: Any, kind: int, decode: Callable[[Any], Any] | None, snapshot: bool) -> bool:
    """Whether a property's value differs from its baseline: a JSON value, or a snapshot's value."""
    if value is None or before is None:
        return value is not before
    if kind == _OBJECT:
        return not _same_object(value, before, snapshot)
    if kind == _OBJECTS:
        return (
            not isinstance(value, list)
            or not isinstance(before, list)
            or len(value) != len(before)
            or not all(_same_object(v, b, snapshot) for v, b in zip(value, before, strict=True))
        )
    if snapshot:
        return not _same(value, before)
    assert decode is not None
    try:
        return not _same(value, decode(before))
    except (TypeError, ValueError):  # a value only a user's hook could read: count it as changed
        return True


def _is_dirty(value: ODataObject) -> bool:
    return bool(_changed_wires(value))


def _marked_of(obj: ODataObject) -> set[str] | None:
    try:
        marked: set[str] | None = _MARKED.__get__(obj)
    except AttributeError:
        return None
    return marked


def _changed_wires(obj: ODataObject) -> set[str]:
    """Wire names of `obj` to send in a PATCH: changed since received, or holding a changed nested value."""
    cls = obj.__class__
    base = _wire_of(obj)
    if base is None:
        # Built in Python: every property set counts (as in a create).
        return {wire for wire, get in _fields_of(cls) if get(obj) is not None} | set(_nulls_of(obj))
    marked = _marked_of(obj)
    out = set(marked) if marked else set()
    plan = _DIFF_PLANS.get(cls) or _diff_plan(cls)
    if isinstance(base, _Snapshot):
        for (wire, get, kind, decode), before in zip(plan, base.values, strict=True):
            if wire not in out and _differs(get(obj), before, kind, decode, True):
                out.add(wire)
    else:
        # Received as a value other than an object (`non_object`): any property set is a change.
        received = base if isinstance(base, dict) else _NO_EXTRA
        for wire, get, kind, decode in plan:
            if wire not in out and _differs(get(obj), received.get(wire), kind, decode, False):
                out.add(wire)
    return out


def mark_clean(obj: Any) -> None:
    """Take the current values of an object and of the values nested in it as unchanged (after an update)."""
    if isinstance(obj, ODataObject):
        _nulls_of(obj)  # worked out from the JSON object before the snapshot replaces it
        _WIRE.__set__(obj, _snapshot(obj))
        _MARKED.__set__(obj, None)
        for _wire, get in _fields_of(obj.__class__):
            mark_clean(get(obj))
    elif isinstance(obj, list):
        for value in obj:
            if isinstance(value, ODataObject):
                mark_clean(value)


def mark_changed(obj: ODataObject, *wires: str) -> None:
    """Count these properties (wire names; all set or null ones when none are named) as changed.

    An object built in Python is tracked from then on: only these properties and those that
    change afterwards are sent in a PATCH.
    """
    fields = _fields_of(obj.__class__)
    known = {wire for wire, _ in fields}
    unknown = [w for w in wires if w not in known]
    if unknown:
        raise KeyError(f"{type(obj).__name__} has no properties {unknown} (wire names: {sorted(known)})")
    chosen = set(wires) if wires else {wire for wire, get in fields if get(obj) is not None} | set(_nulls_of(obj))
    if _wire_of(obj) is None:
        _WIRE.__set__(obj, _snapshot(obj))
    _MARKED.__set__(obj, (_marked_of(obj) or set()) | chosen)


#: Per registered class: (wire name, slot getter) of every field, filled by `Registry.structured`.
_FIELDS_OF: dict[type, tuple[tuple[str, Any], ...]] = {}
#: Per registered class: its fields and their registry, for comparing values with their JSON.
_SPECS_OF: dict[type, tuple[tuple[FieldSpec, ...], Registry]] = {}
#: Per class: (Python name, raw slot) of every field, for `__init__`, `__eq__` and `__repr__`.
_LAYOUT: dict[type, tuple[tuple[str, Any], ...]] = {}


def _layout_of(cls: type) -> tuple[tuple[str, Any], ...]:
    """The fields of a class the registry did not see (a user's subclass): its closest registered base's."""
    layout = next((found for klass in cls.__mro__ if (found := _LAYOUT.get(klass)) is not None), ())
    _LAYOUT[cls] = layout
    return layout


class Registry:
    """The types of one generated package: lazy lookup by qualified name and by class."""

    def __init__(
        self,
        package: str,
        modules: Mapping[str, str],
        aliases: Mapping[str, str] | None = None,
        builders: Mapping[str, tuple[str, str, str]] | None = None,
        *,
        qualified_enums: bool = True,
        capabilities: str | None = None,
        structuring: bool = False,
        entity_sets: Mapping[str, str] | None = None,
        namespace: str | None = None,
    ) -> None:
        self.package = package
        #: The namespace of the type names field tables write without one (`attendee`).
        self.namespace = namespace
        #: Entity type → its first entity set (or the containment path of its entities, `education/classes`):
        #: where an entity's canonical URL (`@odata.id`) puts its key.
        self.entity_sets: Mapping[str, str] = entity_sets or {}
        #: Qualified name → the emitted structuring function (`_structure*.py`), imported on first use;
        #: empty for packages emitted without them.
        self.decoders: dict[str, Callable[..., Any]] = _Decoders(self) if structuring else {}
        self._capabilities_module = capabilities  # module holding CAPABILITIES, imported on first use
        self._capabilities: Mapping[str, Mapping[str, Any]] | None = None
        #: (parent type or None, parent capability path, navigation) → (builder, item class, path, capabilities)
        self.nav_cache: dict[tuple[type | None, str, str], tuple[Any, type, str, Capabilities | None]] = {}
        #: Enum literals in filters: `Ns.Type'member'` (True) or the bare `'member'` string.
        self.qualified_enums = qualified_enums
        # `modules` maps each module (relative to the package) to its types' qualified names,
        # whitespace-separated: a generated table, compact for packages of thousands of types.
        self._modules = {name: module for module, names in modules.items() for name in names.split()}
        self._aliases = dict(aliases or {})  # alias → namespace
        self._builders = dict(builders or {})  # qualified → (module, entity, collection)
        self._by_name: dict[str, TypeInfo] = {}
        self._by_class: dict[type, TypeInfo] = {}
        self._names: dict[str, str] = {}  # qualified → class name, filled by the decorators

    # -- registration (called by generated modules at import) -----------------------------
    def slots(self, table: str) -> FieldSlots:
        """A generated class's `__slots__` from its table of own fields, one per line (see `field_table`).

        Each line: Python name, wire name, type, then any of the words ``collection``,
        ``navigation``, ``enum``; a type without a dot is one of the registry's `namespace`.
        `structured` reads the fields back from the class.
        """
        return field_slots(table, self.namespace)

    def structured(
        self, qualified: str, fields: str | Iterable[FieldSpec] | None = None, *, open_type: bool = False
    ) -> Callable[[_C], _C]:
        """Class decorator: register an entity or complex class and its own fields.

        Without `fields`, the class's `__slots__` made by `slots` give them (generated code), and
        an empty `__slots__` means none; else a table (see `field_table`) or the specs themselves.
        A field's type without a dot names a type of the registry's `namespace`.
        `open_type` marks an open type (derived classes inherit it).
        """
        given = (field_table(fields, self.namespace) if isinstance(fields, str)
                 else None if fields is None else tuple(fields))

        def register(cls: _C) -> _C:
            own = given if given is not None else _own_fields(cls)
            inherited: tuple[FieldSpec, ...] = ()
            inherited_slots: tuple[Any, ...] = ()
            is_open = open_type
            for base in cls.__mro__[1:]:
                info = self._by_class.get(base)
                if info is not None:
                    inherited, inherited_slots = info.fields, info.slots
                    is_open = is_open or info.open
                    break
            all_fields = inherited + own
            setattr(cls, "__odata_type__", qualified)  # noqa: B010 - a dunder mypy cannot see on _C
            own_slots = []
            for spec in own:
                slot = cls.__dict__.get(spec.py_name)
                if slot is None:
                    slot = _raw_slot(cls, spec.py_name)
                else:
                    _DECLARED[cls, spec.py_name] = (spec, self)
                    if spec.py_name in _TYPE_NAMES:
                        setattr(cls, spec.py_name, _FieldDescriptor(slot, spec.py_name))
                    elif spec.py_name not in _ModelType.__dict__:
                        setattr(_ModelType, spec.py_name, _ClassField(spec.py_name))
                own_slots.append(slot)
            slots = inherited_slots + tuple(own_slots)
            _FIELDS_OF[cls] = tuple((spec.wire, slot.__get__) for spec, slot in zip(all_fields, slots, strict=True))
            _SPECS_OF[cls] = (all_fields, self)
            _LAYOUT[cls] = tuple((spec.py_name, slot) for spec, slot in zip(all_fields, slots, strict=True))
            if issubclass(cls, ComplexBase) and (is_open or not all_fields):
                _ANY_JSON.add(cls)
            self._store(TypeInfo(cls, qualified, all_fields, {f.wire: f for f in all_fields}, None, slots, is_open))
            return cls

        return register

    def enum(self, qualified: str, wire_names: Mapping[str, str] | None = None) -> Callable[[_C], _C]:
        """Class decorator: register an enum (flag enums pass member → wire names)."""

        def register(cls: _C) -> _C:
            setattr(cls, "__odata_type__", qualified)  # noqa: B010
            if wire_names:
                setattr(cls, "__odata_wire__", dict(wire_names))  # noqa: B010
            self._store(TypeInfo(cls, qualified, (), {}, dict(wire_names) if wire_names else None))
            return cls

        return register

    def _store(self, info: TypeInfo) -> None:
        self._by_name[info.qualified] = info
        self._by_class[info.cls] = info

    # -- lookup -----------------------------------------------------------------------------
    def qualify(self, name: str) -> str:
        """Resolve an alias-qualified or `#`-prefixed type name to the namespace-qualified one."""
        name = name.lstrip("#")
        ns, _, local = name.rpartition(".")
        if ns in self._aliases:
            return f"{self._aliases[ns]}.{local}"
        return name

    def info(self, qualified: str) -> TypeInfo:
        """The registered type of a qualified name, importing its module on first use."""
        info = self._by_name.get(qualified)
        if info is None:
            module = self._modules.get(qualified)
            if module is None:
                raise KeyError(f"{qualified!r} is not a type of {self.package}")
            importlib.import_module(f"{self.package}.{module}")
            info = self._by_name[qualified]
        return info

    def find(self, name: str) -> TypeInfo | None:
        """Like `info`, for a name from the wire: None when the package does not know it."""
        qualified = self.qualify(name)
        if qualified not in self._by_name and qualified not in self._modules:
            return None
        return self.info(qualified)

    def info_of(self, cls: type) -> TypeInfo:
        """The registered type of a generated class."""
        return self._by_class[cls]

    def capabilities(self, keys: Iterable[str]) -> Capabilities | None:
        """The Capabilities entries for a request path (`users/events`, `microsoft.graph.user/events`)."""
        table = self._capabilities
        if table is None:
            if self._capabilities_module is None:
                return None
            module = importlib.import_module(f"{self.package}.{self._capabilities_module}")
            table = self._capabilities = module.CAPABILITIES
        entries = tuple(e for k in keys if (e := table.get(k)) is not None)
        return Capabilities(entries) if entries else None

    def structure_module(self, qualified: str) -> str:
        """The module (relative to the package) holding the structuring function of a type."""
        module = self._modules.get(qualified)
        if module is None:
            raise KeyError(f"{qualified!r} is not a type of {self.package}")
        return "_structure" + module.removeprefix("models")

    def derived(
        self, data: dict[str, Any], odata_type: str, cls: type[_O], received: Any = None, pos: int | None = None
    ) -> _O | None:
        """`data` structured as the subclass of `cls` its `@odata.type` names, or None to use `cls`.

        `received` and `pos` are what the emitted function of `cls` was given (see `Converter.structure`).
        """
        found = self.find(odata_type)
        if found is None or found.cls is cls or not issubclass(found.cls, cls):
            return None
        result: _O = self.decoders[found.qualified](data, received, pos)
        return result

    def builder(self, qualified: str, collection: bool) -> type:
        """The request builder class for an entity type (collection or single)."""
        module, entity, coll = self._builders[qualified]
        mod = importlib.import_module(f"{self.package}.{module}")
        cls: type = getattr(mod, coll if collection else entity)
        return cls


class _Decoders(dict[str, Callable[..., Any]]):
    """The emitted structuring functions by qualified name, each module imported on first use.

    A name without a dot is one of the registry's `namespace` (`identitySet`), as emitted modules
    call each other's functions; it is looked up once.
    """

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self._registry = registry

    def __missing__(self, name: str) -> Callable[..., Any]:
        registry = self._registry
        if "." not in name and registry.namespace is not None:
            found = self[name] = self[f"{registry.namespace}.{name}"]
            return found
        module = importlib.import_module(f"{registry.package}.{registry.structure_module(name)}")
        self.update(module.DECODERS)
        return self[name]


# Errors that send a value from the emitted fast path to the general one, which either
# structures it (a value the inline tests were too strict for) or raises with the property path.
_FALLBACK = (TypeError, ValueError, AttributeError, KeyError, IndexError)

# Per class: wire name → (field index, decoder), and the slot setters in field order.
_DecodePlan = tuple[dict[str, tuple[int, Callable[[Any], Any]]], tuple[Any, ...]]


class Converter:
    """OData JSON ↔ typed objects for one package, on top of a cattrs converter.

    Every generated class, enum and Edm primitive has a hook on ``self.cattrs``; users may
    register their own hooks there and they take precedence for nested values as well.
    """

    def __init__(self, registry: Registry, *, ieee754_compatible: bool = False) -> None:
        self.registry = registry
        self.ieee754_compatible = ieee754_compatible
        self._hooks: Hooks | None = None
        self._decoders: dict[type, _DecodePlan] = {}
        self._encoders: dict[type, list[tuple[Any, str, Callable[[Any], Any]]]] = {}
        # Per class, beside its encoders: (slot getter, wire name, collection?, decoder) of each flags field.
        self._flag_fields: dict[type, tuple[tuple[Any, str, bool, Callable[[Any], Any]], ...]] = {}
        # An empty table still fills itself on first use; None: the package has no emitted functions.
        self._fast = registry.decoders if isinstance(registry.decoders, _Decoders) else None

    @property
    def cattrs(self) -> Hooks:
        """The cattrs converter of the general path, where users register hooks of their own.

        Made on first use: the emitted functions structure everything else, and importing
        cattrs costs more than the rest of reading a first page.
        """
        hooks = self._hooks
        if hooks is None:
            from ._hooks import Hooks

            hooks = self._hooks = Hooks(_is_odata_object)
            hooks.register_structure_hook_func(_is_odata_object, self._structure_object)
            hooks.register_unstructure_hook_func(_is_odata_object, self._unstructure_object)
            hooks.register_structure_hook_func(_is_enum, self._structure_enum)
            hooks.register_unstructure_hook_func(_is_enum, self._unstructure_enum)
            hooks.customised = False
        return hooks

    def _customised(self) -> bool:
        """Whether a user hook is registered (the emitted fast path is then bypassed)."""
        return self._hooks is not None and self._hooks.customised

    # -- public ------------------------------------------------------------------------------
    def structure(
        self, data: Any, cls: type[_O], *, source: ResponseSource | None = None, index: int | None = None
    ) -> _O:
        """Turn a JSON object into an instance of `cls` (or of a derived class per `@odata.type`).

        Its additional data, explicit nulls and changes are worked out later from the JSON it was
        read from: the object keeps `data` (each nested object its part of it), so `data` must not
        change afterwards; or, given the `source` `data` was parsed from (`index`: its place in the
        source's array of items), only a reference to the source, which is read again when needed.
        """
        if self._fast is not None and data.__class__ is dict and (self._hooks is None or not self._hooks.customised):
            received = _Received(source, index) if source is not None else None
            try:
                fast: _O = self._fast[cls.__odata_type__](data, received)
            except _FALLBACK:
                pass
            else:
                if received is not None:
                    received.top = _weakref(fast)
                return fast
        result: _O = self.cattrs.structure(data, cls)
        return result

    def structure_many(self, values: Iterable[Any], cls: type[_O], *, source: ResponseSource | None = None) -> list[_O]:
        """Structure the items of a page, with the garbage collector paused (see `paused_gc`).

        `source`: the body `values` is the array of items of (see `structure`).
        """
        structure = self.structure
        with paused_gc():
            fast = None
            if self._fast is not None and not self._customised():
                # `structure`'s checks and lookup done once for the page, not per item.
                with contextlib.suppress(KeyError):  # a class without an emitted function
                    fast = self._fast[cls.__odata_type__]
            if fast is None:
                return [structure(v, cls) for v in values]
            out: list[_O] = []
            append = out.append
            new = object.__new__
            received = None
            for i, v in enumerate(values):
                if v.__class__ is dict:
                    if source is not None:
                        # Without `__init__`: a call per item costs more than the three stores.
                        received = new(_Received)
                        received.source = source
                        received.index = i
                    try:
                        o = fast(v, received)
                    except _FALLBACK:
                        pass
                    else:
                        if received is not None:
                            received.top = _weakref(o)
                        append(o)
                        continue
                append(self.cattrs.structure(v, cls))
            return out

    def structure_value(self, data: Any, type_name: str, collection: bool = False) -> Any:
        """Turn a JSON value of an Edm or model type (qualified name) into Python."""
        return self._decoder(type_name, collection)(data)

    def unstructure(self, obj: Any) -> Any:
        """Turn a typed object (or list, enum, Edm value) back into JSON-ready Python values."""
        if isinstance(obj, ODataObject):
            return self._unstructure_object(obj)
        if isinstance(obj, list):
            return [self.unstructure(v) for v in obj]
        return self.cattrs.unstructure(obj)

    def unstructure_value(self, value: Any, type_name: str, collection: bool = False) -> Any:
        """Turn a Python value of an Edm or model type (qualified name) into JSON."""
        return self._encoder(type_name, collection)(value)

    # -- objects -------------------------------------------------------------------------------
    def _structure_object(self, data: Any, cls: type[Any]) -> Any:
        if not isinstance(data, dict):
            if cls in _ANY_JSON and data is not None:
                return non_object(cls, data)
            raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
        odata_type = data.get(ODATA_TYPE)
        if isinstance(odata_type, str):
            found = self.registry.find(odata_type)
            if found is not None and found.cls is not cls and issubclass(found.cls, cls):
                cls = found.cls
        plan = self._decoders.get(cls)
        if plan is None:
            plan = self._build_decoders(cls)
        decoders, setters = plan
        values: list[Any] = [None] * len(setters)
        extra: dict[str, Any] = {}
        nulls: list[str] = []
        for key, value in data.items():
            entry = decoders.get(key)
            if entry is None:
                extra[key] = value
            elif value is None:
                nulls.append(key)
            else:
                try:
                    values[entry[0]] = entry[1](value)
                except (TypeError, ValueError) as exc:
                    # Name the property path, so "Event.Start: DateTimeTimeZone.DateTime: ..."
                    # says where in a large payload the value was wrong.
                    raise type(exc)(f"{cls.__name__}.{key}: {exc}") from exc
        # Generated classes have no validators or post-init hooks: filling the slots
        # directly builds the same object as __init__ would, without its per-field cost.
        obj = object.__new__(cls)
        for set_slot, value in zip(setters, values, strict=True):
            set_slot(obj, value)
        _WIRE.__set__(obj, data)
        _EXTRA.__set__(obj, extra if extra else _NO_EXTRA)
        _NULLS.__set__(obj, frozenset(nulls) if nulls else _NO_NULLS)
        return obj

    def _build_decoders(self, cls: type) -> _DecodePlan:
        info = self.registry.info_of(cls)
        decoders = {f.wire: (i, self._decoder(f.type, f.collection)) for i, f in enumerate(info.fields)}
        plan = self._decoders[cls] = (decoders, tuple(slot.__set__ for slot in info.slots))
        return plan

    def unstructure_changes(self, obj: ODataObject) -> dict[str, Any]:
        """The body of a PATCH: the properties changed since `obj` was received, nested changes included.

        A changed complex or collection value is sent whole; an object built in Python rather than
        received sends every property it has.
        """
        if _wire_of(obj) is None:
            body: dict[str, Any] = self._unstructure_object(obj)  # never a non-object value: nothing was received
            return body
        wires = _changed_wires(obj)
        out: dict[str, Any] = {}
        cls = type(obj)
        for get_slot, wire, encode in self._encoders_for(cls):
            if wire in wires:
                value = get_slot(obj)
                out[wire] = None if value is None else encode(value)
        flags = self._flag_fields[cls]
        if flags and out:
            _keep_flag_spelling(obj, out, flags)
        return out

    def _encoders_for(self, cls: type) -> list[tuple[Any, str, Callable[[Any], Any]]]:
        encoders = self._encoders.get(cls)
        if encoders is None:
            info = self.registry.info_of(cls)
            encoders = [
                (slot.__get__, f.wire, self._encoder(f.type, f.collection))
                for f, slot in zip(info.fields, info.slots, strict=True)
            ]
            self._encoders[cls] = encoders
            self._flag_fields[cls] = tuple(
                (slot.__get__, f.wire, f.collection, functools.partial(decode_flags, flags))
                for f, slot in zip(info.fields, info.slots, strict=True)
                if (flags := self._flags_class(f.type)) is not None
            )
        return encoders

    def _flags_class(self, type_name: str) -> type[enum.Flag] | None:
        if type_name.startswith("Edm."):
            return None
        cls = self.registry.info(type_name).cls
        return cls if issubclass(cls, enum.Flag) else None

    def _unstructure_object(self, obj: Any, declared: type | None = None) -> Any:
        cls = type(obj)
        encoders = self._encoders.get(cls) or self._encoders_for(cls)
        if cls in _ANY_JSON:
            value = _non_object_value(obj)
            if value is not _OBJECT_FORM:
                return value
        extra = _extra_of(obj)  # not the property, which would create a dict
        out: dict[str, Any] = {}
        # Control information first, as OData JSON requires for streaming readers.
        for key, value in extra.items():
            if key.startswith("@"):
                out[key] = value
        if declared is not None and cls is not declared and ODATA_TYPE not in out:
            out[ODATA_TYPE] = "#" + cls.__odata_type__
        nulls = _nulls_of(obj)
        for get_slot, wire, encode in encoders:
            value = get_slot(obj)
            if value is not None:
                out[wire] = encode(value)
            elif wire in nulls:
                out[wire] = None
        for key, value in extra.items():
            if not key.startswith("@"):
                out[key] = value
        flags = self._flag_fields[cls]
        if flags:
            _keep_flag_spelling(obj, out, flags)
        return out

    # -- enums ---------------------------------------------------------------------------------
    def _structure_enum(self, data: Any, cls: type[Any]) -> Any:
        if issubclass(cls, enum.Flag):
            return decode_flags(cls, data)
        return cls(data)

    def _unstructure_enum(self, value: Any) -> Any:
        if isinstance(value, enum.Flag):
            return self._encode_flags(value)
        return value.value

    def _encode_flags(self, value: Any) -> str:
        info = self.registry.info_of(type(value))
        names = info.wire_names or {}
        # A declared member by its own name: the zero member ("none") too, which has no bits to list.
        name = names.get(value._name_)
        if name is not None:
            return name
        return ",".join(names[m.name] for m in type(value) if m.value and m in value)

    # -- per-type codecs -----------------------------------------------------------------------
    def _decoder(self, type_name: str, collection: bool) -> Callable[[Any], Any]:
        one = self._decoder_one(type_name)
        return _many(one) if collection else one

    def _decoder_one(self, type_name: str) -> Callable[[Any], Any]:
        found = _value_decoder(self.registry, type_name)
        if found is not None:
            return found
        cls = self.registry.info(type_name).cls
        structure = self.cattrs.structure
        return lambda v: structure(v, cls)

    def _encoder(self, type_name: str, collection: bool) -> Callable[[Any], Any]:
        one = self._encoder_one(type_name)
        if collection:
            return lambda values: [None if v is None else one(v) for v in values]
        return one

    def _encoder_one(self, type_name: str) -> Callable[[Any], Any]:
        if type_name.startswith("Edm."):
            if type_name in ("Edm.Decimal", "Edm.Int64") and self.ieee754_compatible:
                return edm.encoder(type_name, ieee754_compatible=True)
            return edm.encoder(type_name)
        cls = self.registry.info(type_name).cls
        if issubclass(cls, enum.Flag):
            return self._encode_flags
        if issubclass(cls, enum.Enum):
            return _enum_value
        unstructure = self._unstructure_object
        user_hooks = self.cattrs

        def encode(v: Any) -> Any:
            if type(v) is cls or isinstance(v, ODataObject):
                return unstructure(v, cls)
            return user_hooks.unstructure(v)

        return encode


def paused_gc() -> _PausedGC:
    """Pause the cyclic garbage collector while a page is decoded.

    Decoding allocates thousands of containers, none of them garbage; the collector would run
    over them again and again (about half the decoding time). It runs again afterwards.

    A pause that made more containers than start a young collection (700 by default: a page
    of 50 Graph events makes about 2,000) ends by moving every tracked object to the oldest generation (`gc.freeze` then
    `gc.unfreeze`, which only splice lists). Otherwise the first allocation after the pause
    starts a young collection over the whole page, which is all alive: 35 ms after orjson read
    a 10,000-event Graph page and 55 ms after it was structured, a third of the total. The
    objects are looked at again in the next full collection, as long-lived objects are. Skipped
    when the application froze objects itself, as unfreezing would release them too.
    """
    return _PausedGC()


class _PausedGC:
    # A class rather than a generator-based context manager: it is entered several times per
    # request (reading, paging, structuring), and costs a fifth as much.
    __slots__ = ("paused",)

    def __enter__(self) -> None:
        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        if self.paused:
            if kind is None:
                _promote_if_large()
            gc.enable()


def _promote_if_large() -> None:
    young = gc.get_count()[0]
    threshold0, threshold1, _ = gc.get_threshold()
    if threshold0 and young > threshold0 and not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()


def _enum_value(v: enum.Enum) -> Any:
    # `_value_` is a plain attribute; `.value` goes through a descriptor on every call.
    return v._value_


def _is_odata_object(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, ODataObject)


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, (ODataEnum, ODataFlag))
