"""OData URL literals (`'O''Neil'`, `2024-01-02T03:04:05Z`, `Ns.Color'Red'`) and path encoding."""

from __future__ import annotations

import base64
import enum
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

from . import edm

__all__ = ["format_alternate_key", "format_key", "literal", "quote_item_path", "quote_segment"]

# Characters OData and RFC 3986 allow unencoded in a path segment and that no server reads
# differently; `+` is left out on purpose because some servers decode it as a space.
_SEGMENT_SAFE = "'(),=:@$*!;"


def quote_segment(text: str) -> str:
    """Percent-encode one path segment (a `/` inside it is encoded too)."""
    if text.isascii():
        # str.translate is several times faster than quote() for the common ASCII case.
        return text.translate(_SEGMENT_TABLE)
    return quote(text, safe=_SEGMENT_SAFE)


def quote_item_path(path: str) -> str:
    """`Docs/a b.txt` → `Docs/a%20b.txt`: each segment of a path-addressed item percent-encoded, `/` kept between them.

    Everything but unreserved characters is encoded, `:` included: a bare `:` would end the path.
    Empty segments, `.` and `..` are refused: a server would resolve them to another item.
    """
    if not isinstance(path, str):
        raise TypeError(f"item path {path!r}: expected str")
    segments = path.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            what = "an empty segment" if not segment else f"a {segment!r} segment"
            raise ValueError(f"item path {path!r}: {what} (write the path relative to the item, "
                             "without a leading, trailing or doubled '/')")
    return "/".join(quote(segment, safe="") for segment in segments)


def ascii_table(safe: str) -> dict[int, str]:
    """A str.translate table that percent-encodes every ASCII character except unreserved ones and `safe`."""
    keep = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~" + safe.encode())
    return {i: f"%{i:02X}" for i in range(128) if i not in keep}


_SEGMENT_TABLE = ascii_table(_SEGMENT_SAFE)


def literal(value: Any, edm_type: str | None = None, *, qualified_enums: bool = True) -> str:
    """The OData literal of a Python value, typed by `edm_type` where the value alone is ambiguous."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _enum_literal(value, qualified_enums)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("a DateTimeOffset literal needs an aware datetime")
        return str(edm.encoder("Edm.DateTimeOffset")(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return str(edm.encoder("Edm.TimeOfDay")(value))
    if isinstance(value, timedelta):
        return f"duration'{edm.encoder('Edm.Duration')(value)}'"
    if isinstance(value, bytes):
        return "binary'" + base64.urlsafe_b64encode(value).decode("ascii") + "'"
    if isinstance(value, str):
        if edm_type == "Edm.Guid":
            return str(UUID(value))
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no OData literal for a value of type {type(value).__name__}")


def enum_member_text(value: enum.Enum) -> str:
    """The member part of an enum literal (`high`, flags `read,write`); TypeError for undeclared values."""
    cls = type(value)
    if isinstance(value, enum.Flag):
        names: dict[str, str] = getattr(cls, "__odata_wire__", {})
        # __members__, not iteration: Python 3.11+ iteration leaves out zero-valued members.
        flags: list[Any] = list(cls.__members__.values())
        members = [m for m in flags if m.value and m in value] if value.value else [m for m in flags if not m.value]
        if not members:
            raise TypeError(f"{cls.__name__}: no member stands for the value {value.value!r}")
        return ",".join(names.get(m.name or "", m.name or "") for m in members)
    if value.name not in cls.__members__:
        # A pseudo member made for a value the model does not declare (see ODataEnum).
        raise TypeError(f"{cls.__name__}: {value.value!r} is not a declared member")
    return str(value.value)


def _enum_literal(value: enum.Enum, qualified: bool) -> str:
    qualified_name = getattr(type(value), "__odata_type__", "")
    inner = "'" + enum_member_text(value).replace("'", "''") + "'"
    return f"{qualified_name}{inner}" if qualified and qualified_name else inner


def _segment_text(value: Any, edm_type: str, what: str) -> str:
    """A key value as a key-as-segment service takes it: a string as is, anything else as its literal."""
    text = str(value if isinstance(value, str) and edm_type != "Edm.Guid" else literal(value, edm_type))
    if not text:
        raise ValueError(f"{what} cannot be a path segment")
    return text


def format_alternate_key(values: tuple[tuple[str, Any, str], ...], *, as_segment: bool) -> str:
    """An alternate key (`Core.AlternateKeys`) for (alias, value, Edm type) triples, already percent-encoded.

    Always named, since the alias says which key it is: `(appId='a1')`, or on a key-as-segment
    service one segment `/appId=a1` (the form Microsoft Graph documents).
    """
    if as_segment and len(values) == 1:
        alias, value, edm_type = values[0]
        return "/" + quote_segment(f"{alias}={_segment_text(value, edm_type, f'alternate key {alias!r}: an empty value')}")
    parts = [f"{alias}={literal(value, edm_type)}" for alias, value, edm_type in values]
    return "(" + quote_segment(",".join(parts)) + ")"


def format_key(values: tuple[tuple[str, Any, str], ...], *, as_segment: bool) -> str:
    """The key part of a URL for (name, value, Edm type) triples, already percent-encoded.

    `as_segment` gives the key-as-segment form (`/events/AAMk=`) that Graph and Outlook use
    for single keys; otherwise the parenthesised form (`(OrderID=1,ProductID=2)`).
    """
    if as_segment and len(values) == 1:
        _, value, edm_type = values[0]
        segment = quote_segment(_segment_text(value, edm_type, "an empty key"))
        # Dot segments are removed by URL normalisation and `$...` are system segments
        # ($count, $value): encode them so the key stays a key.
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        elif segment[0] == "$":
            segment = "%24" + segment[1:]
        return "/" + segment
    if len(values) == 1:
        return "(" + quote_segment(literal(values[0][1], values[0][2])) + ")"
    parts = [f"{name}={literal(value, edm_type)}" for name, value, edm_type in values]
    return "(" + quote_segment(",".join(parts)) + ")"
