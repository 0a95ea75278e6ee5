"""JSON codecs for the OData Edm primitive types (OData JSON Format 4.01, section 7.1).

``decoder(name)`` turns a value as it appears in a JSON payload into a Python value and
``encoder(name)`` turns it back into something ``json.dumps`` writes.  Values read from a
server must be written back exactly as received, so the types whose text Python cannot
hold (7-digit fractions, ``PT36H``, upper-case GUIDs, base64 in either alphabet) decode to
small subclasses of the usual Python types that remember their wire text.  Values built by
the user or by arithmetic have no wire text and are written in one canonical form.
"""

from __future__ import annotations

import re
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from math import isnan
from typing import Any, ClassVar, SupportsIndex
from uuid import UUID

__all__ = [
    "IEEE754_COMPATIBLE",
    "PY_TYPES",
    "SEEN_DATETIMEOFFSETS",
    "Binary",
    "DateTimeOffset",
    "Duration",
    "Guid",
    "TimeOfDay",
    "decoder",
    "encoder",
]

# Default for encoders built without an explicit `ieee754_compatible`; it is read when
# `encoder()` is called, so set it before generated modules build their codecs.
IEEE754_COMPATIBLE: bool = False

_ZERO = timedelta(0)


# -- errors ------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _error(edm_type: str, value: Any, reason: str) -> ValueError:
    return ValueError(f"{edm_type}: {reason} (got {_show(value)})")


# -- value classes that remember their wire text -----------------------------------------------


class _KeepsWire:
    """Pickles and copies through the wire text, so the exact text survives both."""

    __slots__ = ()
    _wire: str
    # Set below, once the decoders exist: wire text → an instance of the class.
    _from_wire: ClassVar[Callable[[Any], Any]]

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # The stdlib types pickle only their fields; without this the wire text would drop.
        wire = getattr(self, "_wire", None)
        if wire is None:
            return super().__reduce_ex__(protocol)
        return (type(self)._from_wire, (wire,))


class DateTimeOffset(_KeepsWire, datetime):
    """An aware datetime decoded from an Edm.DateTimeOffset, keeping its wire text."""

    __slots__ = ("_wire",)


class Duration(_KeepsWire, timedelta):
    """A timedelta decoded from an Edm.Duration, keeping its wire text."""

    __slots__ = ("_wire",)


class TimeOfDay(_KeepsWire, time):
    """A naive time decoded from an Edm.TimeOfDay, keeping its wire text."""

    __slots__ = ("_wire",)


class Binary(bytes):
    """Bytes decoded from an Edm.Binary, keeping their wire text."""

    # bytes subclasses cannot have non-empty __slots__, so the wire lives in __dict__,
    # which also makes copy and pickle keep it without help.
    _wire: str


class Guid(UUID):
    """A UUID decoded from an Edm.Guid that was not written in lower case, keeping its text."""

    __slots__ = ("_wire",)
    _wire: str

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        wire = getattr(self, "_wire", None)
        if wire is None:
            return super().__reduce_ex__(protocol)
        return (_decode_guid, (wire,))


# -- Edm.DateTimeOffset ------------------------------------------------------------------------

_ET = "Edm.DateTimeOffset"
_dto_fromisoformat = DateTimeOffset.fromisoformat
_datetime_fromisoformat = datetime.fromisoformat
_datetime_reduce = datetime.__reduce__
# The constructor's pickle form, (state bytes, tzinfo), which the stubs do not declare.
_dto_from_state: Callable[..., DateTimeOffset] = DateTimeOffset
# Only for Pythons whose fromisoformat refuses more than 6 fraction digits; 3.11 truncates.
_LONG_FRACTION = re.compile(r"(\.[0-9]{6})[0-9]+", re.ASCII)


_DTO_SEEN_MAX = 1024


def _decode_datetimeoffset(v: Any) -> DateTimeOffset | None:
    try:
        known = _dto_seen(v)
    except TypeError:  # unhashable: the parse below says what is wrong with it
        known = None
    if known is not None:
        return known
    if v is None:
        return None
    try:
        # Parsed as a plain datetime, then built from its pickle state (ten bytes and the zone):
        # DateTimeOffset.fromisoformat builds the subclass through its keyword-parsing
        # constructor, three times the cost of the parse itself.
        state = _datetime_reduce(_datetime_fromisoformat(v))[1]
    except (TypeError, ValueError) as exc:
        result = _parse_datetimeoffset_slowly(v, exc)
        if result.tzinfo is None:
            result = _naive_as_utc(result, v)
    else:
        if len(state) == 2:
            result = _dto_from_state(*state)
        else:  # no offset on the wire
            _refuse_bare_date(v)
            result = _dto_from_state(state[0], UTC)
    result._wire = v
    if v.__class__ is str:
        if len(_DTO_SEEN) >= _DTO_SEEN_MAX:
            _DTO_SEEN.clear()
        _DTO_SEEN[v] = result
    return result


class _SeenTexts(dict[str, DateTimeOffset]):
    """Decoded values by wire text; subscripting a text not in it decodes the text, as the decoder would."""

    __slots__ = ()
    # A miss costs no KeyError: subscript and decode in one expression (the decoder remembers the text).
    __missing__ = staticmethod(_decode_datetimeoffset)


# Decoded values by wire text. A DateTimeOffset is immutable, so one instance can serve every
# property that carries the same text, and real pages repeat texts: Graph sends
# 0001-01-01T00:00:00Z for each attendee who has not answered. A hit costs about a tenth of a
# parse. Cleared when full, which keeps it bounded.
_DTO_SEEN = _SeenTexts()
_dto_seen = _DTO_SEEN.get
#: The values decoded so far by wire text, for emitted structuring code: a hit costs a subscript, not a call,
#: and a miss (a text not decoded yet, or one refused with the decoder's error) is the decoder's call.
#: Read-only for them; the decoder alone fills (and clears) it.
SEEN_DATETIMEOFFSETS: Mapping[str, DateTimeOffset] = _DTO_SEEN


def _parse_datetimeoffset_slowly(v: Any, first_error: Exception) -> DateTimeOffset:
    if not isinstance(v, str):
        raise _error(_ET, v, "expected an ISO 8601 string")
    # ABNF literals are case-insensitive, so a 't' or 'z' is legal though nobody sends it.
    text = _LONG_FRACTION.sub(r"\1", v.upper())
    try:
        return _dto_fromisoformat(text)
    except ValueError:
        pass
    # The first error speaks about the text as sent, not about the retouched copy; the
    # "Invalid isoformat string" kind only repeats the value.
    detail = str(first_error)
    reason = "not an ISO 8601 date and time"
    if not detail.startswith("Invalid isoformat"):
        reason += f" ({detail})"
    raise _error(_ET, v, reason)


def _naive_as_utc(value: DateTimeOffset, wire: str) -> DateTimeOffset:
    _refuse_bare_date(wire)
    # No offset on the wire: the value is taken as UTC, and the wire text (kept by the
    # caller) still says what the server sent.
    return value.replace(tzinfo=UTC)


def _refuse_bare_date(wire: str) -> None:
    # fromisoformat reads a bare date (2014-10-19, 20141019, 2014-W42-1) as midnight.
    if len(wire) <= 10:
        raise _error(_ET, wire, "a date without a time of day")


def _encode_datetimeoffset(v: Any) -> str | None:
    if v.__class__ is DateTimeOffset:
        try:
            return v._wire
        except AttributeError:
            pass
    if v is None:
        return None
    if not isinstance(v, datetime):
        raise _error(_ET, v, "expected a datetime")
    offset = v.utcoffset()
    if offset is None:
        raise _error(_ET, v, "DateTimeOffset needs an aware datetime")
    moment: datetime = v
    seconds = offset.days * 86400 + offset.seconds
    if offset.microseconds or seconds % 60:
        # OData offsets are whole minutes; the same instant in UTC loses nothing that the
        # wire format could have carried.
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise _error(_ET, v, "out of range once converted to UTC") from None
        seconds = 0
    # %-formatting measured faster here than isoformat() (which spends time on the offset)
    # and than an f-string with six format specs.
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
    )
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    if not seconds:
        return text + "Z"
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


# -- Edm.Date ----------------------------------------------------------------------------------

_date_fromisoformat = date.fromisoformat


def _decode_date(v: Any) -> date | None:
    if v is None:
        return None
    try:
        result = _date_fromisoformat(v)
    except (TypeError, ValueError):
        raise _error("Edm.Date", v, "expected a YYYY-MM-DD string") from None
    # fromisoformat also takes 20240102 and 2024-W01-2; date keeps no wire, so accept only
    # the one spelling it writes back.
    if result.isoformat() != v:
        raise _error("Edm.Date", v, "expected a YYYY-MM-DD string")
    return result


def _encode_date(v: Any) -> str | None:
    if v.__class__ is date:
        return v.isoformat()
    if v is None:
        return None
    if isinstance(v, datetime):
        raise _error("Edm.Date", v, "expected a date, not a datetime")
    if not isinstance(v, date):
        raise _error("Edm.Date", v, "expected a date")
    return v.isoformat()


# -- Edm.TimeOfDay -----------------------------------------------------------------------------

_TT = "Edm.TimeOfDay"
_tod_fromisoformat = TimeOfDay.fromisoformat


def _decode_timeofday(v: Any) -> TimeOfDay | None:
    if v is None:
        return None
    try:
        # The ':' check turns away the basic forms (1200, T12:00) that fromisoformat accepts.
        if v[2:3] != ":":
            raise ValueError("expected HH:MM[:SS[.fff]]")
        result = _tod_fromisoformat(v)
    except (TypeError, ValueError) as exc:
        raise _error(_TT, v, f"not a time of day ({exc})") from None
    if result.tzinfo is not None:
        raise _error(_TT, v, "a time of day has no offset")
    result._wire = v
    return result


def _encode_timeofday(v: Any) -> str | None:
    if v.__class__ is TimeOfDay:
        try:
            return v._wire
        except AttributeError:
            pass
    if v is None:
        return None
    if not isinstance(v, time):
        raise _error(_TT, v, "expected a time")
    if v.tzinfo is not None:
        raise _error(_TT, v, "a time of day has no offset")
    text = v.isoformat(timespec="seconds")
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    return text


# -- Edm.Duration ------------------------------------------------------------------------------

_DT = "Edm.Duration"
_DURATION = re.compile(
    r"([-+]?)P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)(?:\.([0-9]+))?S)?)?",
    re.ASCII,
).fullmatch


def _decode_duration(v: Any) -> Duration | None:
    if v is None:
        return None
    match = _DURATION(v) if v.__class__ is str else None
    # The pattern lets "P", "PT" and "P1DT" through; XML Schema requires a component
    # after P and after T.
    if match is None or v[-1] in "PT":
        raise _duration_syntax_error(v)
    sign, days, hours, minutes, seconds, fraction = match.groups()
    total = int(seconds or 0) + 60 * int(minutes or 0) + 3600 * int(hours or 0)
    # More than 6 fraction digits are truncated like fromisoformat does; the wire keeps them.
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    factor = -1 if sign == "-" else 1
    try:
        result = Duration(int(days or 0) * factor, total * factor, micro * factor)
    except OverflowError:
        raise _error(_DT, v, "out of range") from None
    result._wire = v
    return result


def _duration_syntax_error(v: Any) -> ValueError:
    if isinstance(v, str) and re.fullmatch(r"[-+]?P[0-9]+Y.*|[-+]?P(?:[0-9]+Y)?[0-9]+M.*", v):
        return _error(_DT, v, "years and months are not allowed (dayTimeDuration)")
    return _error(_DT, v, "expected an ISO 8601 duration like P1DT2H30M or -PT0.5S")


def _duration_text(v: timedelta) -> str:
    sign = ""
    if v < _ZERO:
        sign = "-"
        v = -v
    hours, rest = divmod(v.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P{v.days}D" if v.days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if v.microseconds:
        clock += f"{seconds}.{v.microseconds:06d}".rstrip("0") + "S"
    elif seconds:
        clock += f"{seconds}S"
    if clock:
        return f"{text}T{clock}"
    return text if v.days else "PT0S"


def _encode_duration(v: Any) -> str | None:
    if v.__class__ is Duration:
        try:
            return v._wire
        except AttributeError:
            pass
    if v is None:
        return None
    if not isinstance(v, timedelta):
        raise _error(_DT, v, "expected a timedelta")
    return _duration_text(v)


# -- Edm.Binary --------------------------------------------------------------------------------

_BT = "Edm.Binary"
_URL_TO_STANDARD = str.maketrans("-_", "+/")
_STANDARD_TO_URL = str.maketrans("+/", "-_")


def _decode_binary(v: Any) -> Binary | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise _error(_BT, v, "expected a base64 string")
    text = v
    # OData specifies base64url; Microsoft services send standard base64.  Take either,
    # but not a mix, which no encoder produces.
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            raise _error(_BT, v, "mixes the base64 and base64url alphabets")
        text = text.translate(_URL_TO_STANDARD)
    missing = -len(text) % 4
    if missing:
        if missing == 3:
            raise _error(_BT, v, "not valid base64 (bad length)")
        text += "=" * missing
    try:
        result = Binary(a2b_base64(text, strict_mode=True))
    except ValueError as exc:
        raise _error(_BT, v, f"not valid base64 ({exc})") from None
    result._wire = v
    return result


def _make_binary_encoder(url_safe: bool) -> Callable[[Any], str | None]:
    def encode(v: Any) -> str | None:
        if v.__class__ is Binary:
            wire: str | None = v.__dict__.get("_wire")
            if wire is not None:
                return wire
        if v is None:
            return None
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise _error(_BT, v, "expected bytes")
        text = b2a_base64(v, newline=False).decode("ascii")
        return text.translate(_STANDARD_TO_URL) if url_safe else text

    return encode


# -- Edm.Guid ----------------------------------------------------------------------------------

_GT = "Edm.Guid"
_GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
).fullmatch


def _decode_guid(v: Any) -> UUID | None:
    if v is None:
        return None
    # UUID() alone would also take braces, "urn:uuid:", missing hyphens and even "_".
    if v.__class__ is not str or _GUID(v) is None:
        raise _error(_GT, v, "expected 8-4-4-4-12 hex digits")
    if v == v.lower():
        return UUID(v)
    result = Guid(v)
    # UUID forbids attribute assignment through its own __setattr__.
    object.__setattr__(result, "_wire", v)
    return result


def _encode_guid(v: Any) -> str | None:
    if v.__class__ is UUID:
        return str(v)
    if v.__class__ is Guid:
        try:
            return v._wire
        except AttributeError:
            pass
    if v is None:
        return None
    if not isinstance(v, UUID):
        raise _error(_GT, v, "expected a UUID")
    return str(v)


# -- integers ----------------------------------------------------------------------------------


def _make_int_decoder(edm_type: str, low: int, high: int, strings: bool) -> Callable[[Any], int | None]:
    def decode(v: Any) -> int | None:
        if v.__class__ is int:
            if low <= v <= high:
                return v
            raise _error(edm_type, v, f"out of range {low}..{high}")
        if v is None:
            return None
        return _coerce_int(edm_type, low, high, strings, v)

    return decode


def _coerce_int(edm_type: str, low: int, high: int, strings: bool, v: Any) -> int:
    if isinstance(v, bool):
        raise _error(edm_type, v, "expected an integer, not a boolean")
    if isinstance(v, int):
        number = int(v)
    elif isinstance(v, float):
        if not v.is_integer():
            raise _error(edm_type, v, "expected an integer")
        number = int(v)
    elif strings and isinstance(v, str):
        # IEEE754Compatible=true sends Int64 as a string; int() alone would also take
        # whitespace, "_" and non-ASCII digits.
        digits = v[1:] if v[:1] in ("-", "+") else v
        if not (digits.isascii() and digits.isdigit()):
            raise _error(edm_type, v, "expected an integer")
        # Also keeps int() clear of its 4300-digit limit, whose error would not name the type.
        if len(digits.lstrip("0")) > 20:
            raise _error(edm_type, v, f"out of range {low}..{high}")
        number = int(v)
    else:
        raise _error(edm_type, v, "expected an integer")
    if not low <= number <= high:
        raise _error(edm_type, v, f"out of range {low}..{high}")
    return number


def _make_int_encoder(edm_type: str, low: int, high: int, as_string: bool) -> Callable[[Any], Any]:
    def encode(v: Any) -> int | str | None:
        if v.__class__ is int and low <= v <= high:
            return str(v) if as_string else v
        if v is None:
            return None
        number = _coerce_int(edm_type, low, high, False, v)
        return str(number) if as_string else number

    return encode


# -- floating point ----------------------------------------------------------------------------

_SPECIAL_FLOATS = {"INF": float("inf"), "-INF": float("-inf"), "NaN": float("nan")}


def _make_float_decoder(edm_type: str) -> Callable[[Any], float | None]:
    def decode(v: Any) -> float | None:
        cls = v.__class__
        # JSON integers stay int: a float annotation admits them, and 0 is written back
        # as 0, not 0.0.
        if cls is float or cls is int:
            return v  # type: ignore[no-any-return]
        if v is None:
            return None
        if cls is str:
            special = _SPECIAL_FLOATS.get(v)
            if special is not None:
                return special
            raise _error(edm_type, v, 'expected a number or "INF", "-INF", "NaN"')
        if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
            raise _error(edm_type, v, "expected a number")
        return float(v)

    return decode


def _make_float_encoder(edm_type: str) -> Callable[[Any], float | int | str | None]:
    def encode(v: Any) -> float | int | str | None:
        cls = v.__class__
        if cls is float:
            # x - x is 0.0 exactly for finite x and NaN for inf and NaN: one cheap test.
            if v - v == 0.0:
                return v  # type: ignore[no-any-return]
            return "NaN" if isnan(v) else ("INF" if v > 0 else "-INF")
        if cls is int:
            return v  # type: ignore[no-any-return]
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _error(edm_type, v, "expected a float")
        return encode(float(v) if isinstance(v, float) else int(v))

    return encode


# -- Edm.Decimal -------------------------------------------------------------------------------

_MT = "Edm.Decimal"
_DECIMAL_TEXT = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII).fullmatch
_SPECIAL_DECIMALS = {"INF": Decimal("Infinity"), "-INF": Decimal("-Infinity"), "NaN": Decimal("NaN")}


def _decode_decimal(v: Any) -> Decimal | None:
    cls = v.__class__
    if cls is int:
        return Decimal(v)
    if cls is float:
        # repr gives the shortest text that reads back as the same float, so 0.1 becomes
        # Decimal("0.1") and not 0.1000000000000000055511151231257827...
        return Decimal(repr(v))
    if cls is str:
        if _DECIMAL_TEXT(v) is not None:
            try:
                return Decimal(v)
            except ArithmeticError:  # decimal.InvalidOperation, for exponents like 1e99999999999999999999
                raise _error(_MT, v, "exponent out of range") from None
        special = _SPECIAL_DECIMALS.get(v)
        if special is not None:
            return special
        raise _error(_MT, v, "expected a decimal number")
    if v is None:
        return None
    if isinstance(v, Decimal):
        # A JSON reader with parse_float=Decimal hands these over directly.
        return v
    raise _error(_MT, v, "expected a number or a numeric string")


def _decimal_operand(v: Any) -> Decimal:
    if isinstance(v, Decimal):
        if v.is_snan():
            raise _error(_MT, v, "a signalling NaN cannot be sent")
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, float):
        return Decimal(repr(float(v)))
    raise _error(_MT, v, "expected a Decimal")


def _nonfinite_text(v: Decimal) -> str:
    if v.is_nan():
        return "NaN"
    return "-INF" if v < 0 else "INF"


def _encode_decimal_number(v: Any) -> int | float | str | None:
    if v.__class__ is int:
        return v
    if v is None:
        return None
    d = _decimal_operand(v)
    if not d.is_finite():
        return _nonfinite_text(d)
    text = str(d)
    # No exponent (no "." or "E") means an integer that Python's int holds exactly; other
    # values keep their float spelling, so 5.0 read from the wire is written as 5.0.
    if "." not in text and "E" not in text:
        if len(text) > 4000:
            # json.dumps would stop at Python's 4300-digit int-to-text limit anyway.
            raise _error(_MT, v, "too many digits for a JSON number; use ieee754_compatible=True")
        return int(d)
    number = float(text)
    if number - number != 0.0 or Decimal(repr(number)) != d:
        raise _error(
            _MT, v, "has more digits than a JSON number (IEEE 754 double) carries; "
            "use ieee754_compatible=True or round it",
        )
    return number


def _encode_decimal_string(v: Any) -> str | None:
    if v is None:
        return None
    d = _decimal_operand(v)
    if not d.is_finite():
        return _nonfinite_text(d)
    # "f" never switches to exponent notation (str gives 1E-7 for 0.0000001), matching
    # what .NET servers send.
    return format(d, "f")


# -- the rest ----------------------------------------------------------------------------------


def _decode_boolean(v: Any) -> bool | None:
    if v is True or v is False or v is None:
        return v
    raise _error("Edm.Boolean", v, "expected true or false")


def _encode_boolean(v: Any) -> bool | None:
    if v is True or v is False or v is None:
        return v
    raise _error("Edm.Boolean", v, "expected a bool")


def _make_string_codec(edm_type: str) -> Callable[[Any], str | None]:
    def codec(v: Any) -> str | None:
        if v.__class__ is str or v is None:
            return v
        if isinstance(v, str):
            return str(v)
        raise _error(edm_type, v, "expected a string")

    return codec


def _make_object_codec(edm_type: str) -> Callable[[Any], dict[str, Any] | None]:
    def codec(v: Any) -> dict[str, Any] | None:
        if v.__class__ is dict or v is None:
            return v
        if isinstance(v, dict):
            return v
        raise _error(edm_type, v, "expected a JSON object")

    return codec


def _identity(v: Any) -> Any:
    return v


# -- the tables --------------------------------------------------------------------------------

INT_RANGES = {
    "Edm.Byte": (0, 255),
    "Edm.SByte": (-128, 127),
    "Edm.Int16": (-(2**15), 2**15 - 1),
    "Edm.Int32": (-(2**31), 2**31 - 1),
    "Edm.Int64": (-(2**63), 2**63 - 1),
}
_GEO_KINDS = ("", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Collection")
_GEO_TYPES = tuple(f"Edm.{family}{kind}" for family in ("Geography", "Geometry") for kind in _GEO_KINDS)
# Vocabulary-only types: paths are strings in JSON, the abstract structured types objects.
_PATH_TYPES = (
    "Edm.AnnotationPath",
    "Edm.PropertyPath",
    "Edm.NavigationPropertyPath",
    "Edm.AnyPropertyPath",
    "Edm.ModelElementPath",
)
_STRUCTURED_TYPES = ("Edm.ComplexType", "Edm.EntityType")

PY_TYPES: dict[str, str] = {
    "Edm.Binary": "bytes",
    "Edm.Boolean": "bool",
    **{name: "int" for name in INT_RANGES},
    "Edm.Single": "float",
    "Edm.Double": "float",
    "Edm.Decimal": "Decimal",
    "Edm.String": "str",
    "Edm.Guid": "UUID",
    "Edm.Date": "date",
    "Edm.DateTimeOffset": "datetime",
    "Edm.Duration": "timedelta",
    "Edm.TimeOfDay": "time",
    "Edm.Stream": "str",
    "Edm.Untyped": "Any",
    "Edm.PrimitiveType": "Any",
    **{name: "dict[str, Any]" for name in _GEO_TYPES + _STRUCTURED_TYPES},
    **{name: "str" for name in _PATH_TYPES},
}

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "Edm.Binary": _decode_binary,
    "Edm.Boolean": _decode_boolean,
    **{name: _make_int_decoder(name, *bounds, name == "Edm.Int64") for name, bounds in INT_RANGES.items()},
    "Edm.Single": _make_float_decoder("Edm.Single"),
    "Edm.Double": _make_float_decoder("Edm.Double"),
    "Edm.Decimal": _decode_decimal,
    "Edm.String": _make_string_codec("Edm.String"),
    "Edm.Guid": _decode_guid,
    "Edm.Date": _decode_date,
    "Edm.DateTimeOffset": _decode_datetimeoffset,
    "Edm.Duration": _decode_duration,
    "Edm.TimeOfDay": _decode_timeofday,
    # A stream inlined in JSON is a base64url string or, for JSON media, any JSON value.
    "Edm.Stream": _identity,
    "Edm.Untyped": _identity,
    "Edm.PrimitiveType": _identity,
    **{name: _make_object_codec(name) for name in _GEO_TYPES + _STRUCTURED_TYPES},
    **{name: _make_string_codec(name) for name in _PATH_TYPES},
}

_ENCODERS: dict[str, Callable[[Any], Any]] = {
    **_DECODERS,
    "Edm.Binary": _make_binary_encoder(url_safe=False),
    "Edm.Boolean": _encode_boolean,
    **{name: _make_int_encoder(name, *bounds, False) for name, bounds in INT_RANGES.items()},
    "Edm.Single": _make_float_encoder("Edm.Single"),
    "Edm.Double": _make_float_encoder("Edm.Double"),
    "Edm.Decimal": _encode_decimal_number,
    "Edm.Guid": _encode_guid,
    "Edm.Date": _encode_date,
    "Edm.DateTimeOffset": _encode_datetimeoffset,
    "Edm.Duration": _encode_duration,
    "Edm.TimeOfDay": _encode_timeofday,
}

_IEEE754_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "Edm.Int64": _make_int_encoder("Edm.Int64", *INT_RANGES["Edm.Int64"], True),
    "Edm.Decimal": _encode_decimal_string,
}
_BASE64URL_ENCODER = _make_binary_encoder(url_safe=True)


def decoder(edm_type: str) -> Callable[[Any], Any]:
    """The function turning a JSON value of `edm_type` ("Edm.Int32", ...) into a Python value."""
    try:
        return _DECODERS[edm_type]
    except KeyError:
        raise ValueError(f"unknown Edm primitive type {edm_type!r}") from None


def encoder(
    edm_type: str, *, ieee754_compatible: bool | None = None, base64url: bool = False
) -> Callable[[Any], Any]:
    """The function turning a Python value of `edm_type` into a JSON-compatible value."""
    if edm_type not in _ENCODERS:
        raise ValueError(f"unknown Edm primitive type {edm_type!r}")
    if ieee754_compatible is None:
        ieee754_compatible = IEEE754_COMPATIBLE
    if ieee754_compatible and edm_type in _IEEE754_ENCODERS:
        return _IEEE754_ENCODERS[edm_type]
    if base64url and edm_type == "Edm.Binary":
        return _BASE64URL_ENCODER
    return _ENCODERS[edm_type]


DateTimeOffset._from_wire = staticmethod(_decode_datetimeoffset)
Duration._from_wire = staticmethod(_decode_duration)
TimeOfDay._from_wire = staticmethod(_decode_timeofday)
