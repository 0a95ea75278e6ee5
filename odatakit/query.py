"""System query options as text: checks and rendering shared by queries and `$expand` items.

Every function here returns text in the DSL's URL form (user text percent-encoded, spaces
left for the query to encode) and raises `TypeError` naming the offending argument.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, unquote

from . import edm
from .expr import BoolExpr, ExpandItem, Expr, OrderKey, _Var

__all__ = [
    "SYSTEM_ORDER",
    "check_count",
    "check_roots",
    "custom_text",
    "encode_query",
    "expand_text",
    "orderby_text",
    "search_text",
    "select_text",
]

#: The order system query options appear in a URL (custom options and aliases follow).
SYSTEM_ORDER = (
    "$select", "$expand", "$filter", "$search", "$orderby", "$top", "$skip", "$count",
    "$skiptoken", "$deltatoken",
)


_SYSTEM_NAMES = frozenset({
    "select", "expand", "filter", "search", "orderby", "top", "skip", "count", "skiptoken", "deltatoken",
    "format", "compute", "apply", "index", "levels", "schemaversion", "id",
})


def _name(cls: type | None) -> str:
    return cls.__name__ if cls is not None else "?"


def check_roots(expr: Expr, base: type, what: str, *, strict: bool = True) -> str:
    """Render `expr` relative to `base`, refusing fields of unrelated types and stray lambda variables."""
    derived = False
    for root in expr._roots:
        if root is base or (isinstance(root, type) and root in base.__mro__):
            continue
        if isinstance(root, _Var):
            raise TypeError(f"{what}: {expr!r} uses the lambda variable {root.name!r} outside its lambda")
        if isinstance(root, type) and issubclass(root, base):
            derived = True
            continue
        raise TypeError(f"{what}: {expr!r} uses a field of {_name(root)}, but this query returns {base.__name__}")
    return expr.render(base) if derived else expr._text


def select_text(fields: Iterable[Any], base: type, *, strict: bool = True) -> str:
    """`$select` text: property paths (complex members, navigation properties, derived-type paths) or `*`."""
    out: list[str] = []
    for f in fields:
        specs = getattr(f, "_specs", None)
        if specs is None:
            if isinstance(f, str) and f == "*":
                out.append("*")
                continue
            if isinstance(f, str):
                raise TypeError(f"select({f!r}): pass fields such as {base.__name__}.x, or '*'")
            raise TypeError(f"select({f!r}): expected a property of {base.__name__}")
        if len(specs) > 1 and any(s.navigation for s in specs[:-1]):
            raise TypeError(f"select({f!r}): $select cannot follow a navigation; expand it and select inside")
        # The common case, a field of the query's own type, needs no further checks.
        out.append(f._text if f._base is base else check_roots(f, base, "select", strict=strict))
    if not out:
        raise TypeError("select() needs at least one field")
    return ",".join(out)


def expand_text(navs: Iterable[Any], base: type) -> str:
    """`$expand` text: navigation paths, `Expand` items with nested options, or `*`."""
    out: list[str] = []
    for n in navs:
        if isinstance(n, str):
            if n != "*":
                raise TypeError(f"expand({n!r}): pass navigation properties such as {base.__name__}.x, or '*'")
            out.append("*")
        elif isinstance(n, ExpandItem):
            out.append(_expand_item(n.nav, base, n))
        elif isinstance(n, Expr):
            out.append(_expand_item(n, base, None))
        else:
            raise TypeError(f"expand({n!r}): expected a navigation property of {base.__name__}")
    if not out:
        raise TypeError("expand() needs at least one navigation property")
    return ",".join(out)


def expand_navs(navs: Iterable[Any]) -> tuple[list[str], list[int | str]]:
    """The navigation paths and `$levels` values of `expand()` arguments (for Capabilities checks)."""
    names: list[str] = []
    levels: list[int | str] = []
    for n in navs:
        nav = n.nav if isinstance(n, ExpandItem) else n
        if isinstance(nav, Expr):
            names.append(nav._text)
        if isinstance(n, ExpandItem) and "$levels" in n.options:
            value = n.options["$levels"]
            levels.append(int(value) if value.isdigit() else value)
    return names, levels


def _expand_item(nav: Expr, base: type, item: ExpandItem | None) -> str:
    specs = nav._specs
    if specs is None or not specs[-1].navigation:
        raise TypeError(f"expand({nav!r}): not a navigation property")
    if len(specs) > 1 and any(s.navigation for s in specs[:-1]):
        raise TypeError(f"expand({nav!r}): nest the second navigation with .expand() inside the first")
    if nav._base is not base:
        check_roots(nav, base, "expand")
    return item.render(base) if item is not None else nav.render(base)


def orderby_text(keys: Iterable[Expr | OrderKey], base: type) -> str:
    """`$orderby` text: expressions or `expr.asc()` / `expr.desc()` keys."""
    out: list[str] = []
    for k in keys:
        if isinstance(k, OrderKey):
            expr, suffix = k.expr, k.suffix
        elif isinstance(k, Expr):
            expr, suffix = k, ""
        else:
            raise TypeError(f"order_by({k!r}): expected a field or field.asc() / field.desc()")
        if expr._specs is not None and expr._specs and expr._specs[-1].collection:
            raise TypeError(f"order_by({expr!r}): cannot order by a collection")
        out.append(check_roots(expr, base, "order_by") + suffix)
    if not out:
        raise TypeError("order_by() needs at least one key")
    return ",".join(out)


def check_count(n: Any, what: str) -> int:
    """A non-negative int for `$top` / `$skip`; TypeError otherwise."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what}({n!r}): expected a non-negative int, got {type(n).__name__}")
    if n < 0:
        raise TypeError(f"{what}({n}): expected a non-negative int")
    return n


def search_text(text: Any) -> str:
    """`$search` text: the search expression, percent-encoded so it stays one option."""
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"search({text!r}): expected a non-empty str")
    return quote(text, safe="")


def custom_value(value: Any) -> str:
    """A custom query option's value: datetimes in ISO 8601 with offset, bools as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return quote(str(value.value), safe="")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"{value!r}: custom options take aware datetimes (add tzinfo)")
        return quote(str(edm.encoder("Edm.DateTimeOffset")(value)), safe=":")
    if isinstance(value, date | time | timedelta):
        kind = {date: "Edm.Date", time: "Edm.TimeOfDay", timedelta: "Edm.Duration"}[type(value)]
        return quote(str(edm.encoder(kind)(value)), safe=":")
    if isinstance(value, int | float | str):
        return quote(str(value), safe="")
    raise TypeError(f"{value!r}: custom options take str, int, float, bool, datetime, date, time or timedelta")


def custom_text(custom: Mapping[str, Any], *, queried: bool = True) -> dict[str, str]:
    """Custom query options (name → encoded value); names starting with `$` are system options.

    `queried=False` is for a request that takes no system options (a stream), where `format` is the
    service's own option.
    """
    out: dict[str, str] = {}
    for name, value in custom.items():
        if not isinstance(name, str) or not name or name[0] in "$@":
            raise TypeError(f"params({name!r}=...): " + ("use the query methods for system options and aliases"
                                                        if queried else "expected the name of a custom option"))
        if queried and name.lower() in _SYSTEM_NAMES:
            # OData 4.01 servers read `top` as `$top`: a custom `top` would be a second $top.
            raise TypeError(f"params({name!r}=...): use the query methods for system options and aliases")
        out[quote(name, safe="")] = custom_value(value)
    return out


def encode_query(options: Mapping[str, str]) -> str:
    """The query string: system options in a fixed order, then the rest; spaces become `%20`."""
    if len(options) == 1:
        for name, value in options.items():
            return f"{name}={value}".replace(" ", "%20")
    parts = [f"{name}={options[name]}" for name in SYSTEM_ORDER if name in options]
    if len(parts) < len(options):
        # Custom options in the order given, then parameter aliases.
        parts.extend(f"{name}={value}" for name, value in options.items() if name[0] not in "$@")
        parts.extend(f"{name}={value}" for name, value in options.items() if name[0] == "@")
    return "&".join(parts).replace(" ", "%20")


def decode(url: str) -> str:
    """The readable form of a relative URL."""
    return unquote(url)


def filter_expr(condition: Any, what: str = "filter") -> BoolExpr:
    """Check that a `$filter` argument is a Boolean expression."""
    if not isinstance(condition, Expr) or condition._type != "Edm.Boolean":
        got = condition._describe() if isinstance(condition, Expr) else f"{condition!r} ({type(condition).__name__})"
        raise TypeError(f"{what}({got}): expected a Boolean expression such as Event.subject == 'x'")
    return condition  # type: ignore[return-value]
