"""Request builders: the objects behind `client.me.events["id"].attachments`.

Generated builder classes only declare navigation properties, keys and operations; every
request they make goes through the methods here.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Self, TypeVar
from urllib.parse import quote, unquote

from . import capabilities as caps
from .capabilities import Capabilities
from .errors import MalformedResponse
from .expr import BoolExpr, Expr, OrderKey
from .http import merge_prefer
from .literals import format_alternate_key, format_key, literal, quote_item_path, quote_segment
from .paging import Items, Pages, iterate_pages
from .props import PropertyPaths
from .query import (
    check_count,
    check_roots,
    custom_text,
    encode_query,
    expand_navs,
    expand_text,
    filter_expr,
    orderby_text,
    search_text,
    select_text,
)
from .serde import Converter, ODataObject, ResponseSource, mark_clean

if TYPE_CHECKING:
    from .client import Client, FunctionParameters, Response
    from .delta import Delta
    from .paths import Expand
    from .refs import Reference, References
    from .streams import StreamRequest

__all__ = [
    "CollectionRequest", "EntityRequest", "Overload", "Param", "RequestBase", "choose_overload", "compose",
    "function_query", "invoke",
]

T = TypeVar("T", bound=ODataObject)
D = TypeVar("D", bound=ODataObject)
E = TypeVar("E", bound="EntityRequest[Any]")

# (wire name, value, type name, collection?)
Param = tuple[str, Any, str, bool]
# One overload of an operation name on one binding: (kind, its parameters' wire names, the required ones).
Overload = tuple[str, tuple[str, ...], tuple[str, ...]]


class RequestBase:
    """A service-relative path, the client that sends requests to it, and the query options.

    Requests are immutable: every query method returns a new request of the same class.
    """

    __slots__ = (
        "_client", "_path", "_type", "_opts", "_filter", "_cpath", "_caps", "_call", "_navs", "_prefer", "_hdrs",
    )  # fmt: skip
    #: Whether the request addresses one entity (references ask: `odatakit.refs` cannot import builders).
    _ONE_ENTITY: ClassVar[bool] = False

    def __init__(
        self,
        client: Client,
        path: str,
        item_type: type,
        cpath: str = "",
        caps: Capabilities | None = None,
    ) -> None:
        self._client = client
        self._path = path
        self._type = item_type
        self._opts: dict[str, str] = _NO_OPTIONS
        self._filter: BoolExpr | None = None
        # The path from the entity set without keys ("users/events") and the Capabilities
        # annotations that apply to it.
        self._cpath = cpath
        self._caps = caps
        # For function calls: (bound path, function segment, parameters, the bound path's parameter
        # aliases, the path sent when the parameters are implicit aliases), to rebuild the path.
        self._call: tuple[str, str, tuple[Param, ...], dict[str, str], str | None] | None = None
        # Navigation requests from this one (they do not depend on its query options).
        self._navs: dict[str, Any] | None = None
        # `Prefer` preferences by name ("outlook.timezone" → 'outlook.timezone="UTC"').
        self._prefer: dict[str, str] = _NO_OPTIONS
        # Other request headers (`If-Match`...), sent with every request made from this one.
        self._hdrs: dict[str, str] = _NO_OPTIONS

    def _with(self, name: str, value: str) -> Self:
        opts = self._opts.copy()
        opts[name] = value
        return self._copy(opts)

    def _copy(self, opts: dict[str, str]) -> Self:
        copy = object.__new__(type(self))
        copy._client = self._client
        copy._path = self._path
        copy._type = self._type
        copy._opts = opts
        copy._filter = self._filter
        copy._cpath = self._cpath
        copy._caps = self._caps
        copy._call = self._call
        copy._navs = self._navs
        copy._prefer = self._prefer
        copy._hdrs = self._hdrs
        return copy

    @property
    def path(self) -> str:
        """The service-relative path, percent-encoded."""
        return self._path

    @property
    def url(self) -> str:
        """The service-relative URL exactly as it is sent: the path and the percent-encoded query."""
        if not self._opts:
            return self._path
        call = self._call
        # A function called with implicit parameters is sent without its parentheses.
        path = call[4] if call is not None and call[4] is not None else self._path
        return f"{path}?{encode_query(self._opts)}"

    @property
    def absolute_url(self) -> str:
        """The absolute URL."""
        return self._client.url_for(self.url)

    def __str__(self) -> str:
        return unquote(self.url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def _nav(self, wire: str, qualified: str, collection: bool) -> Any:
        navs = self._navs
        if navs is None:
            navs = self._navs = {}
        else:
            request = navs.get(wire)
            if request is not None:
                return request
        registry = self._client.REGISTRY
        cache_key = (self._type, self._cpath, wire)
        found = registry.nav_cache.get(cache_key)
        if found is None:
            builder = registry.builder(qualified, collection)
            item = registry.info(qualified).cls
            cpath = f"{self._cpath}/{wire}" if self._cpath else wire
            keys = [cpath] + [f"{q}/{wire}" for k in self._type.__mro__ if (q := getattr(k, "__odata_type__", ""))]
            found = registry.nav_cache[cache_key] = (builder, item, cpath, registry.capabilities(keys))
        builder, item, cpath, capabilities = found
        request = builder(self._client, f"{self._path}/{quote_segment(wire)}", item, cpath, capabilities)
        if self._hdrs:
            request._hdrs = self._hdrs
        if self._opts:
            # Past a composable function called with parameter aliases, the path still names them.
            request._opts = self._aliases()
        navs[wire] = request
        return request

    def _function(
        self, qualified: str, params: tuple[Param, ...], item_type: str, overloads: tuple[Overload, ...] = ()
    ) -> CollectionRequest[Any]:
        """A bound function returning a collection, as a query (generated function methods call this)."""
        if overloads:
            choose_overload(qualified, params, overloads)
        return function_query(self._client, self._path, qualified, params, item_type, headers=self._hdrs,
                              aliases=self._aliases())

    def _compose(
        self,
        qualified: str,
        params: tuple[Param, ...],
        type_name: str,
        collection: bool,
        overloads: tuple[Overload, ...] = (),
    ) -> Any:
        """A composable function call, as a request for its result (generated methods call this)."""
        if overloads:
            choose_overload(qualified, params, overloads)
        return compose(self._client, self._path, qualified, params, type_name, collection, headers=self._hdrs,
                       aliases=self._aliases())

    def _aliases(self) -> dict[str, str]:
        """The parameter aliases the path uses (`@p1`...), which every request built from it must send."""
        opts = self._opts
        if not opts:
            return _NO_OPTIONS
        call = self._call
        # A call with implicit aliases goes on inline: its own aliases stay with it.
        own = {implicit_alias(p[0]) for p in call[2]} if call is not None and call[4] is not None else ()
        return {k: v for k, v in opts.items() if k[0] == "@" and k not in own}

    def _strict(self) -> bool:
        return self._client.strict

    async def _invoke(
        self,
        kind: str,
        qualified: str,
        params: tuple[Param, ...],
        returns: tuple[str, bool] | None,
        overloads: tuple[Overload, ...] = (),
    ) -> Any:
        if overloads:
            kind = choose_overload(qualified, params, overloads)
        return await invoke(self._client, self._path, kind, qualified, params, returns, headers=self._headers(),
                            aliases=self._aliases())

    def preference(self, name: str, value: str | int | None = None) -> Self:
        """Add a `Prefer` preference (`odata.maxpagesize`, 5); one per name, all sent in one header."""
        if not isinstance(name, str) or not _PREFERENCE_NAME.fullmatch(name):
            raise TypeError(f"preference({name!r}): expected a preference name such as 'odata.maxpagesize'")
        if value is None:
            text = name
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"preference({name!r}, {value!r}): expected str or int")
        elif isinstance(value, int) or _TOKEN.fullmatch(value):
            text = f"{name}={value}"
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            text = f'{name}="{escaped}"'
        copy = self._copy(self._opts)
        copy._prefer = {**self._prefer, name.lower(): text}
        return copy

    def _headers(self) -> dict[str, str] | None:
        """The request headers the query adds (one merged `Prefer`), or None."""
        if not self._prefer:
            return self._hdrs or None
        prefer = ", ".join(self._prefer.values())
        if not self._hdrs:
            return {"Prefer": prefer}
        return {**self._hdrs, "Prefer": merge_prefer([self._hdrs.get("Prefer", ""), prefer])}

    def with_headers(self, headers: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """The same request with extra headers, sent with it and with requests built from it."""
        merged = {**self._hdrs, **(headers or {}), **more}
        for name, value in merged.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"with_headers(): {name!r}: {value!r}: names and values must be str")
        copy = self._copy(self._opts)
        copy._hdrs = merged
        # Navigations cached on this request do not carry the new headers.
        copy._navs = None
        return copy

    def _documented_headers(self, headers: Mapping[str, str | None]) -> Self:
        """The request with those of `headers` that are not None (generated `headers()` methods call this)."""
        given = {name: value for name, value in headers.items() if value is not None}
        return self.with_headers(given) if given else self

    def if_match(self, etag: str | ODataObject) -> Self:
        """Send `If-Match` (an ETag, `*`, or an entity whose `@odata.etag` to use): for actions on ETag'd entities."""
        return self.with_headers({"If-Match": _etag(etag)})

    # -- options every request takes ------------------------------------------------------------
    def select(self, *fields: Any) -> Self:
        """`$select`: properties (`Event.subject`, `Event.start.date_time`, navigation properties, `*`)."""
        text = select_text(fields, self._type)
        if self._caps is not None:
            caps.check_select(self._caps, self._strict())
        return self._with("$select", text)

    def expand(self, *navs: Any) -> Self:
        """`$expand`: navigation properties, optionally with nested options (`Event.attachments.select(...)`)."""
        text = expand_text(navs, self._type)
        if self._caps is not None and self._caps.restricts("ExpandRestrictions"):
            names, levels = expand_navs(navs)
            caps.check_expand(self._caps, names, levels, self._strict())
        return self._with("$expand", text)

    def parameter_aliases(self, aliases: bool | Literal["implicit"] = True) -> Self:
        """For a function call: its parameters as `@p1` aliases (True), inline (False) or `implicit` (`f?@a=1`)."""
        if self._call is None:
            raise TypeError(f"parameter_aliases(): {self.path} is not a function call")
        if aliases not in (True, False, "implicit"):
            raise ValueError(f"parameter_aliases({aliases!r}): expected True, False or 'implicit'")
        style: FunctionParameters = "implicit" if aliases == "implicit" else "aliases" if aliases else "inline"
        bound, segment, params, outer, _ = self._call
        call, param_opts, implicit = render_call(self._client, bound, segment, params, outer, style)
        opts = {k: v for k, v in self._opts.items() if k[0] != "@"}
        copy = self._copy({**opts, **outer, **param_opts})
        copy._path = call
        copy._call = (bound, segment, params, outer, implicit)
        copy._navs = None  # they hold the other path
        return copy

    def params(self, _options: Mapping[str, Any] | None = None, /, **custom: Any) -> Self:
        """Custom query options (`startDateTime=...`); a mapping takes names that are not identifiers."""
        return self._copy({**self._opts, **custom_text({**(_options or {}), **custom})})


_NO_OPTIONS: dict[str, str] = {}
# RFC 7240: a preference name is a token; a value that is not a token is sent quoted.
_PREFERENCE_NAME = re.compile(r"[A-Za-z][\w.-]*")
_TOKEN = re.compile(r"[\w.-]+")


@property  # type: ignore[misc]
def _url_at_path(self: RequestBase) -> str:
    """The URL of an item addressed by path: its path without the `:` that only further segments need."""
    path = self._path[:-1]
    return f"{path}?{encode_query(self._opts)}" if self._opts else path


# The builder class of an item addressed by path, per builder class.
_AT_PATH: dict[type, type] = {}


def function_call(
    client: Client, path: str, segment: str, params: tuple[Param, ...], style: str, first: int = 1
) -> tuple[str, dict[str, str]]:
    """The path of a function call and the query options that carry its parameters when `style` is not inline.

    `aliases` numbers them from `first` (`f(a=@p1)?@p1=1`: a call composed on another one's result
    follows its aliases); `implicit` leaves the parentheses out and names each alias after its
    parameter (`f?@a=1`, OData 4.01), except for a call without parameters, which keeps its `()`.
    """
    return _call_form(path, segment, _parameter_texts(client, params), style, first)


def _parameter_texts(client: Client, params: tuple[Param, ...]) -> list[tuple[str, str]]:
    """(wire name, URL literal) of each parameter given (not None)."""
    converter = client.converter
    qualified_enums = client.CONFIG.qualified_enums
    return [
        (wire, _function_literal(converter.unstructure_value(v, t, c), v, t, c, qualified_enums))
        for wire, v, t, c in params
        if v is not None
    ]


def _call_form(
    path: str, segment: str, texts: list[tuple[str, str]], style: str, first: int = 1
) -> tuple[str, dict[str, str]]:
    target = f"{path}/{segment}" if path else segment
    if style == "implicit" and texts:
        return target, {implicit_alias(w): quote(t, safe=_ALIAS_SAFE) for w, t in texts}
    if style != "aliases":
        return f"{target}({quote_segment(','.join(f'{w}={t}' for w, t in texts))})", {}
    names = [f"@p{i}" for i in range(first, first + len(texts))]
    inline = ",".join(f"{w}={n}" for (w, _), n in zip(texts, names, strict=True))
    return f"{target}({quote_segment(inline)})", {n: quote(t, safe=_ALIAS_SAFE) for (_, t), n in zip(texts, names, strict=True)}


def implicit_alias(wire: str) -> str:
    """The query option of a parameter passed as an implicit alias: `@` and its name, percent-encoded."""
    return "@" + quote(wire, safe="")


def render_call(
    client: Client, path: str, segment: str, params: tuple[Param, ...], outer: Mapping[str, str], style: str
) -> tuple[str, dict[str, str], str | None]:
    """(the path further segments go on from, the options of the parameters, the path sent when implicit).

    An implicit call is only sent as such when it ends the URL: a request built on it (a
    navigation, another call, a key) goes on from the call with its parameters inline.
    """
    texts = _parameter_texts(client, params)
    if style != "implicit" or not texts:
        call, opts = _call_form(path, segment, texts, style, len(outer) + 1)
        return call, opts, None
    bare, opts = _call_form(path, segment, texts, "implicit")
    clash = sorted(set(opts) & set(outer))
    if clash:
        raise ValueError(f"{segment}: the implicit alias {clash[0]} is already an alias of the call before it; "
                         "pass this call's parameters inline or as numbered aliases")
    inline, _ = _call_form(path, segment, texts, "inline")
    return inline, opts, bare


# Literal characters that stay readable in an alias value; `&`, `+`, `#`, `%` and `=` never do.
_ALIAS_SAFE = "'(),:$*!;/"


def choose_overload(qualified: str, params: tuple[Param, ...], overloads: tuple[Overload, ...]) -> str:
    """The kind of the overload the given parameters (those not None) call; `TypeError` when none takes them.

    The overload whose parameters are exactly those given, else the first that takes them all and
    needs no other: OData tells overloads of one binding apart by their set of parameter names.
    """
    given = {wire for wire, value, _, _ in params if value is not None}
    for kind, names, _ in overloads:
        if given == set(names):
            return kind
    for kind, names, required in overloads:
        if given.issuperset(required) and given.issubset(names):
            return kind
    takes = "; ".join("(" + ", ".join(names) + ")" for _, names, _ in overloads)
    raise TypeError(f"{qualified.rpartition('.')[2]}(): no overload takes the parameters ({', '.join(sorted(given))}); "
                    f"its overloads take {takes}")


def _segment(client: Client, qualified: str, import_name: str | None) -> str:
    if import_name is not None:
        return quote_segment(import_name)
    name = qualified if client.CONFIG.qualified_operations else qualified.rpartition(".")[2]
    return quote_segment(name)


def function_query(
    client: Client,
    path: str,
    qualified: str,
    params: tuple[Param, ...],
    item_type: str,
    *,
    import_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> CollectionRequest[Any]:
    """A function returning entities or complex values, as a query that options compose with."""
    query: CollectionRequest[Any] = _call_request(CollectionRequest, client, path, qualified, params, item_type,
                                                  import_name, headers, aliases)
    return query


def compose(
    client: Client,
    path: str,
    qualified: str,
    params: tuple[Param, ...],
    type_name: str,
    collection: bool,
    *,
    headers: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> RequestBase:
    """A composable function's call, as the request builder of its result: awaited, queried, navigated, written."""
    try:
        builder = client.REGISTRY.builder(type_name, collection)
    except KeyError:  # a complex type: no generated builder
        builder = CollectionRequest if collection else EntityRequest
    request: RequestBase = _call_request(builder, client, path, qualified, params, type_name, None, headers, aliases)
    return request


def _call_request(
    builder: Callable[..., Any],
    client: Client,
    path: str,
    qualified: str,
    params: tuple[Param, ...],
    type_name: str,
    import_name: str | None,
    headers: Mapping[str, str] | None,
    aliases: Mapping[str, str] | None,
) -> Any:
    outer = dict(aliases or _NO_OPTIONS)
    segment = _segment(client, qualified, import_name)
    call, alias_opts, implicit = render_call(client, path, segment, params, outer, client.function_parameters)
    request = builder(client, call, client.REGISTRY.info(type_name).cls)
    request._call = (path, segment, params, outer, implicit)
    if headers:
        request._hdrs = dict(headers)
    if outer or alias_opts:
        request._opts = {**outer, **alias_opts}
    return request


async def invoke(
    client: Client,
    path: str,
    kind: str,
    qualified: str,
    params: tuple[Param, ...],
    returns: tuple[str, bool] | None,
    *,
    import_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Any:
    """Call a bound (on `path`) or unbound (`import_name`) action or function; decode the result.

    `aliases` are the parameter aliases `path` uses (after a composable function), sent along.
    """
    converter = client.converter
    segment = _segment(client, qualified, import_name)
    outer = dict(aliases or _NO_OPTIONS)
    if kind == "action":
        target = f"{path}/{segment}" if path else segment
        given = [p for p in params if p[1] is not None]
        payload = {wire: converter.unstructure_value(value, type_name, coll) for wire, value, type_name, coll in given}
        url = f"{target}?{encode_query(outer)}" if outer else target
        response = await client.send("POST", url, json_body=payload, headers=headers)
    else:
        call, alias_opts = function_call(client, path, segment, params, client.function_parameters, len(outer) + 1)
        alias_opts = {**outer, **alias_opts}
        url = f"{call}?{encode_query(alias_opts)}" if alias_opts else call
        response = await client.send("GET", url, headers=headers)
    if returns is None or response.body is None:
        return None
    type_name, collection = returns
    body: Any = response.body
    if collection or type_name.startswith("Edm.") or _is_enum(client, type_name):
        body = body.get("value") if isinstance(body, dict) else body
    return _fitted(client, response, "POST" if kind == "action" else "GET", path or segment,
                   lambda c: c.structure_value(body, type_name, collection))


_R = TypeVar("_R")


def _fitted(client: Client, response: Response, method: str, path: str, decode: Callable[[Converter], _R]) -> _R:
    """`decode(converter)`, or `MalformedResponse` when the body does not fit the model (a list for an entity,
    a bad date, a number for an enum...): callers catching `ODataError` catch every failure a service causes."""
    try:
        return decode(client.converter)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise MalformedResponse(response.status, f"the body does not fit the model: {exc}", method=method,
                                url=client.url_for(path), headers=response.headers) from exc


def _is_enum(client: Client, type_name: str) -> bool:
    if type_name.startswith("Edm."):
        return False
    return issubclass(client.REGISTRY.info(type_name).cls, enum.Enum)


def _function_literal(encoded: Any, value: Any, type_name: str, collection: bool, qualified_enums: bool) -> str:
    """Function parameters in the path: primitives as literals, the rest as JSON."""
    if collection or isinstance(encoded, dict):
        return json.dumps(encoded, separators=(",", ":"))
    return literal(value, type_name, qualified_enums=qualified_enums)


class EntityRequest(RequestBase, PropertyPaths, Generic[T]):
    """One entity: `client.me`, `client.me.events["id"]`."""

    __slots__ = ()
    _ONE_ENTITY = True

    if TYPE_CHECKING:
        # The options typed by the entity: a field, navigation or `$expand` item of another entity is an error.
        def select(self, *fields: Expr[T] | str) -> Self:
            """`$select`: properties of this entity type (or of a type derived from it), or `*`."""
            ...

        def expand(self, *navs: Expr[T] | Expand[Any, T] | str) -> Self:
            """`$expand`: navigation properties of this entity type, optionally with nested options."""
            ...

    @property
    def ref(self) -> Reference:
        """The reference to this entity (`.../$ref`): `manager.ref.set(user)`, `members["id"].ref.delete()`."""
        from .refs import Reference

        return Reference(self)

    def cast(self, derived: type[D]) -> EntityRequest[D]:
        """This entity as a derived type (`.../Ns.User`): its requests, and `get()` typed as `derived`."""
        if not isinstance(derived, type) or not issubclass(derived, self._type):
            got = derived.__name__ if isinstance(derived, type) else repr(derived)
            raise TypeError(f"cast({got}): not a type derived from {self._type.__name__}")
        qualified = derived.__odata_type__
        try:
            builder = self._client.REGISTRY.builder(qualified, False)
        except KeyError:
            builder = EntityRequest
        copy: EntityRequest[D] = builder(self._client, f"{self._path}/{quote_segment(qualified)}", derived,
                                         self._cpath, self._caps)
        copy._opts = self._opts
        copy._hdrs = self._hdrs
        copy._prefer = self._prefer
        return copy

    def __await__(self) -> Generator[Any, None, T]:
        """`await request` reads the entity, like `await request.get()` (for a composable function's result)."""
        return self.get().__await__()

    async def get(self) -> T:
        """Read the entity (with the `$select` / `$expand` given)."""
        response = await self._client.send("GET", self.url, headers=self._headers())
        return _fitted(self._client, response, "GET", self.url,
                       lambda c: c.structure(response.body, self._type, source=response.source()))

    async def update(self, entity: T, *, if_match: bool | str = False) -> T:
        """PATCH the properties changed on `entity` since it was read (all set ones if built in Python).

        `if_match=True` sends the entity's `@odata.etag` as `If-Match` (a str sends that ETag), so a
        change made by someone else in between fails with `PreconditionFailed` instead of being
        overwritten. Returns the entity as the service sent it back, else `entity` with its
        changes marked as sent (and its new ETag, when the response carries one).
        """
        converter = self._client.converter
        body = converter.unstructure_changes(entity)
        headers = self._write_headers(entity, if_match)
        response = await self._client.send("PATCH", self.url, json_body=body, headers=headers)
        return self._written(entity, response, "PATCH")

    async def replace(self, entity: T, *, if_match: bool | str = False) -> T:
        """PUT the whole entity: properties left unset are reset to their defaults by the service."""
        body = self._client.converter.unstructure(entity)
        headers = self._write_headers(entity, if_match)
        response = await self._client.send("PUT", self.url, json_body=body, headers=headers)
        return self._written(entity, response, "PUT")

    async def create(self, entity: T) -> T:
        """POST `entity` to a single-valued navigation (`.../schema`): the service creates it or replaces the one there."""
        if "/" not in self._cpath:
            raise TypeError(f"create(): {self.path} is not a single-valued navigation property")
        body = self._client.converter.unstructure(entity)
        headers = self._write_headers(entity, False)
        response = await self._client.send("POST", self._path, json_body=body, headers=headers)
        return self._written(entity, response, "POST")

    async def delete(self, *, if_match: str | ODataObject | None = None) -> None:
        """Delete the entity; `if_match` (an ETag, `*`, or the entity as read) guards against lost updates."""
        headers = dict(self._headers() or {})
        if if_match is not None:
            headers["If-Match"] = _etag(if_match)
        # The entity alone: no query options, a function call before it with its parameters inline.
        target = self._copy(self._aliases())
        target._call = None
        await self._client.send("DELETE", target.url, headers=headers or None)

    def _at_path(self, path: str) -> Self:
        """The item at `path` below this one, `.../root:/Docs/a%20b.txt` (generated path-addressing methods call this).

        Segments after it need the closing `:` (`root:/Docs/a.txt:/content`); the item's own URL
        ends on its path, as the services that address items by path document it.
        """
        cls = _AT_PATH.get(type(self))
        if cls is None:
            cls = _AT_PATH[type(self)] = type(type(self).__name__, (type(self),), {"__slots__": (), "url": _url_at_path})
        request = cls(self._client, f"{self._path}:/{quote_item_path(path)}:", self._type, self._cpath, None)
        if self._hdrs:
            request._hdrs = self._hdrs
        return request  # type: ignore[no-any-return]

    def _stream(self, segment: str) -> StreamRequest[T]:
        """The media stream (`$value`) or a stream property of this entity (generated accessors call this)."""
        from .streams import StreamRequest  # on first use: most programs never stream

        return StreamRequest(self._client, f"{self._path}/{quote_segment(segment)}", self._type, self._hdrs)

    def _write_headers(self, entity: ODataObject, if_match: bool | str) -> dict[str, str] | None:
        if not isinstance(entity, self._type):
            raise TypeError(f"expected a {self._type.__name__}, got {type(entity).__name__}")
        if if_match is False:
            return self._headers()
        etag = _etag(entity) if if_match is True else _etag(if_match)
        return {**(self._headers() or {}), "If-Match": etag}

    def _written(self, entity: T, response: Response, method: str) -> T:
        if isinstance(response.body, dict) and response.body:
            return _fitted(self._client, response, method, self.url,
                           lambda c: c.structure(response.body, self._type, source=response.source()))
        mark_clean(entity)
        etag = response.headers.get("ETag")
        if etag:
            entity.additional_data["@odata.etag"] = etag
        return entity


def _etag(value: Any) -> str:
    if isinstance(value, ODataObject):
        etag = value.odata_etag
        if etag is None:
            raise ValueError(f"if_match: this {type(value).__name__} has no @odata.etag (read it from the service)")
        return etag
    if isinstance(value, str) and value:
        return value
    raise TypeError(f"if_match={value!r}: expected an ETag str, '*', or an entity read from the service")


class CollectionRequest(RequestBase, Generic[T]):
    """A collection of entities and a query over it: `client.me.events.filter(...).top(10)`."""

    __slots__ = ()

    if TYPE_CHECKING:
        # The options typed by the entity: a field, navigation or `$expand` item of another entity is an error.
        def select(self, *fields: Expr[T] | str) -> Self:
            """`$select`: properties of this entity type (or of a type derived from it), or `*`."""
            ...

        def expand(self, *navs: Expr[T] | Expand[Any, T] | str) -> Self:
            """`$expand`: navigation properties of this entity type, optionally with nested options."""
            ...

    #: The key properties of the item type: (wire name, Edm type).
    KEY: ClassVar[tuple[tuple[str, str], ...]] = ()

    @property
    def ref(self) -> References:
        """The references of this navigation (`.../$ref`): `members.ref.add(user)`, `.remove(...)`, `.get()`."""
        from .refs import References

        return References(self)

    def _by_alternate_key(self, entity: type[E], *parts: tuple[str, Any, str]) -> E:
        """The item with an alternate key: (alias, value, Edm type) parts (generated `by_...` methods call this)."""
        for alias, value, _ in parts:
            if value is None:
                raise TypeError(f"{type(self).__name__}: the alternate key part {alias!r} needs a value, not None")
        path = self._path + format_alternate_key(parts, as_segment=self._client.CONFIG.key_as_segment)
        request = entity(self._client, path, self._type, self._cpath, None)
        if self._hdrs:
            request._hdrs = self._hdrs
        if self._opts:
            request._opts = self._aliases()
        return request

    def _key_path(self, key: Any) -> str:
        values = key if isinstance(key, tuple) else (key,)
        if len(values) != len(self.KEY):
            names = ", ".join(k for k, _ in self.KEY)
            raise TypeError(f"{type(self).__name__} needs a key of {len(self.KEY)} value(s): {names}")
        triples = tuple((name, value, edm) for (name, edm), value in zip(self.KEY, values, strict=True))
        as_segment = self._client.CONFIG.key_as_segment
        return self._path + format_key(triples, as_segment=as_segment)

    # -- query options -----------------------------------------------------------------------
    def filter(self, condition: BoolExpr[T]) -> Self:
        """`$filter`; several calls combine with `and`."""
        condition = filter_expr(condition)
        if self._caps is not None:
            caps.check_filter(self._caps, condition, self._strict())
        combined = condition if self._filter is None else self._filter & condition
        copy = self._with("$filter", check_roots(combined, self._type, "filter"))
        copy._filter = combined
        return copy

    def order_by(self, *keys: Expr[T] | OrderKey[T]) -> Self:
        """`$orderby`: fields or expressions, `field.desc()` for descending."""
        text = orderby_text(keys, self._type)
        if self._caps is not None and self._caps.restricts("SortRestrictions"):
            pairs = [(k.expr, k.suffix) if isinstance(k, OrderKey) else (k, "") for k in keys]
            caps.check_orderby(self._caps, pairs, self._strict())
        return self._with("$orderby", text)

    def top(self, n: int) -> Self:
        """`$top`: at most `n` items."""
        text = str(check_count(n, "top"))
        if self._caps is not None:
            caps.check_flag(self._caps, "TopSupported", "$top is not supported here", self._strict())
        return self._with("$top", text)

    def skip(self, n: int) -> Self:
        """`$skip`: leave out the first `n` items."""
        text = str(check_count(n, "skip"))
        if self._caps is not None:
            caps.check_flag(self._caps, "SkipSupported", "$skip is not supported here", self._strict())
        return self._with("$skip", text)

    def count(self, value: bool = True) -> Self:
        """`$count=true`: ask for `@odata.count` along with the items."""
        if not isinstance(value, bool):
            raise TypeError(f"count({value!r}): expected bool")
        if value and self._caps is not None:
            caps.check_count(self._caps, self._strict())
        return self._with("$count", "true" if value else "false")

    def search(self, text: str) -> Self:
        """`$search`."""
        encoded = search_text(text)
        if self._caps is not None:
            caps.check_search(self._caps, self._strict())
        return self._with("$search", encoded)

    def __await__(self) -> Generator[Any, None, list[T]]:
        """`await query` reads every item, like `await query.get()`."""
        return self.get().__await__()

    def _by_key(self, entity: type[E], key: Any) -> E:
        """The request for one item (generated `__getitem__` calls this)."""
        if self._caps is not None:
            caps.check_key(self._caps, self._strict())
        # The annotations describe requests to the collection; the item gets its own (none).
        request = entity(self._client, self._key_path(key), self._type, self._cpath, None)
        if self._hdrs:
            request._hdrs = self._hdrs
        if self._opts:
            request._opts = self._aliases()
        return request

    def _ready(self) -> str:
        """The URL to send, after the checks that need the whole query (a required `$filter`)."""
        if self._caps is not None:
            caps.check_required_filter(self._caps, self._filter, self._strict())
        return self.url

    def skiptoken(self, token: str) -> Self:
        """`$skiptoken`: resume server-driven paging."""
        return self._with("$skiptoken", _token(token, "skiptoken"))

    def deltatoken(self, token: str) -> Self:
        """`$deltatoken`: resume a delta query."""
        return self._with("$deltatoken", _token(token, "deltatoken"))

    def cast(self, derived: type[D]) -> CollectionRequest[D]:
        """The items of a derived type only: `.../attachments/Ns.FileAttachment`."""
        if not isinstance(derived, type) or not issubclass(derived, self._type):
            got = derived.__name__ if isinstance(derived, type) else repr(derived)
            raise TypeError(f"cast({got}): not a type derived from {self._type.__name__}")
        qualified = derived.__odata_type__
        registry = self._client.REGISTRY
        try:
            builder = registry.builder(qualified, True)
        except KeyError:
            builder = CollectionRequest
        path = f"{self._path}/{quote_segment(qualified)}"
        copy: CollectionRequest[D] = builder(self._client, path, derived, self._cpath, self._caps)
        copy._hdrs = self._hdrs
        copy._prefer = self._prefer
        if self._opts:
            copy._opts = self._aliases()
        return copy

    def page_size(self, n: int) -> Self:
        """Ask for pages of at most `n` items (`Prefer: odata.maxpagesize`); the service may ignore it."""
        return self.preference("odata.maxpagesize", check_count(n, "page_size"))

    def track_changes(self, token: str | None = None, *, delta_link: str | None = None) -> Delta[T]:
        """A delta round over this query: `async for change in q.track_changes(token)`, then `.token`."""
        from .delta import Delta

        return Delta(self, token, delta_link)

    # -- running ---------------------------------------------------------------------------------
    async def get(self, *, max_items: int | None = None) -> list[T]:
        """Read every item (at most `max_items`), following `@odata.nextLink`."""
        items: list[T] = []
        async for page in self.pages(max_items=max_items):
            items += page.items  # a page at a time: no async-generator step per item
        return items

    def pages(self, *, max_items: int | None = None, max_pages: int | None = None) -> Pages[T]:
        """The responses one by one, with `@odata.count`, links and annotations: `async for page in q.pages()`.

        The iterator's `checkpoint` (and `resume_link` on an error that ends it) is where
        `resume(link)` goes on from; see `odatakit.paging` for what is guaranteed.
        """
        converter = self._client.converter
        item_type = self._type

        def decode(values: list[Any], source: ResponseSource | None) -> list[T]:
            result: list[T] = converter.structure_many(values, item_type, source=source)
            return result

        return iterate_pages(
            self._client, self._ready(), self._headers(), decode, max_items=max_items, max_pages=max_pages
        )

    def iter(self, *, max_items: int | None = None) -> Items[T]:
        """The items one by one across pages, stopping after `max_items`; its `checkpoint` is where to resume."""
        return Items(self.pages(max_items=max_items))

    def __aiter__(self) -> Items[T]:
        return self.iter()

    def resume(self, link: str) -> Self:
        """This collection read from `link` on: a `checkpoint` or an error's `resume_link` (the query is in the link)."""
        if not isinstance(link, str) or not link.lower().startswith(("http://", "https://")):
            raise TypeError(f"resume({link!r}): expected the absolute link of a checkpoint")
        copy = self._copy(_NO_OPTIONS)
        copy._path = link
        copy._filter = None
        # The link already holds what the annotations checked; its path is not the collection's.
        copy._caps = None
        return copy

    async def first(self) -> T | None:
        """The first item (`$top=1`), or None."""
        async for page in self.top(1).pages(max_pages=1):
            if page.items:
                return page.items[0]
        return None

    async def count_only(self) -> int:
        """The number of items matching `$filter` / `$search` (the `/$count` segment)."""
        if self._caps is not None:
            caps.check_count(self._caps, self._strict())
        self._ready()
        # `/$count` follows a call with implicit aliases: its parameters go inline, so only the path's aliases stay.
        opts = {k: v for k, v in self._opts.items() if k in ("$filter", "$search") or k[0] not in "$@"}
        opts.update(self._aliases())
        url = f"{self._path}/$count" + (f"?{encode_query(opts)}" if opts else "")
        response = await self._client.send("GET", url, headers={**(self._headers() or {}), "Accept": "text/plain"})
        body = response.body
        if isinstance(body, bool) or not isinstance(body, int):
            raise ValueError(f"GET {url}: expected a number, got {body!r}")
        return body

    async def create(self, entity: T, *, minimal: bool = False) -> T:
        """POST a new entity; return it as the service sends it back (201).

        `minimal=True` asks for no body (`Prefer: return=minimal`, 204): `entity` is returned with
        the new entity's URL from `OData-EntityId` / `Location` as its `@odata.id`.
        """
        if not isinstance(entity, self._type):
            raise TypeError(f"create(): expected a {self._type.__name__}, got {type(entity).__name__}")
        body = self._client.converter.unstructure(entity)
        request = self.preference("return", "minimal") if minimal else self
        response = await self._client.send("POST", self.url, json_body=body, headers=request._headers())
        if isinstance(response.body, dict) and response.body:
            return _fitted(self._client, response, "POST", self.url,
                           lambda c: c.structure(response.body, self._type, source=response.source()))
        location = response.headers.get("OData-EntityId") or response.headers.get("Location")
        if location:
            entity.additional_data["@odata.id"] = location
        return entity


def _token(token: Any, what: str) -> str:
    """A skip or delta token for the query, kept byte for byte where the query allows its characters.

    Tokens come from the service's own links (`delta.token`, a nextLink's `$skiptoken`): what a
    query value may hold as it is (`+`, `/`, `=`, an existing `%XX`) is sent as the service wrote it;
    only what would end or break the value (`&`, `#`, spaces, a stray `%`...) is percent-encoded.
    """
    if not isinstance(token, str) or not token:
        raise TypeError(f"{what}({token!r}): expected a non-empty str")
    return _TOKEN_UNSAFE.sub(lambda m: quote(m.group(), safe=""), token)


# Characters a query value takes as they are (RFC 3986 pchar, '/' and '?', without '&'), and %XX.
_TOKEN_UNSAFE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$'()*+,;=:@/?%]")
