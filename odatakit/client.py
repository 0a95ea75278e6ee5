"""The HTTP side: one aiohttp session per client, bearer tokens, JSON requests and errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

import attrs

from ._context import BATCH_SLOT
from .errors import ODataError, error_from_response
from .http import (
    IDEMPOTENT,
    AuthMiddleware,
    Handler,
    HttpRequest,
    HttpResponse,
    LoggingMiddleware,
    Middleware,
    PreferMiddleware,
    RedirectMiddleware,
    RetryMiddleware,
    RetryPolicy,
    SameOrigin,
    Timeouts,
    TokenCache,
    TokenCredential,
    TokenProvider,
    Transport,
    chain,
    foreign_headers,
)
from .literals import quote_segment
from .responses import Response, decode_response
from .serde import Converter, Registry

if TYPE_CHECKING:
    import aiohttp

    from .batch import Batch

__all__ = [
    "Client",
    "ClientOptions",
    "FunctionParameters",
    "Response",
    "ServiceConfig",
    "TokenCredential",
    "TokenProvider",
    "decode_response",
]


#: How function parameters are sent (see `Client.with_function_parameters`).
FunctionParameters = Literal["inline", "aliases", "implicit"]
FUNCTION_PARAMETERS: tuple[FunctionParameters, ...] = ("inline", "aliases", "implicit")


@attrs.frozen
class ServiceConfig:
    """URL conventions of one service, chosen at generation time."""

    #: `/events/AAMk=` (Graph, Outlook) instead of `/events('AAMk=')` for single keys.
    key_as_segment: bool = False
    #: `/events/id/Microsoft.OutlookServices.Accept` instead of `/events/id/accept`.
    qualified_operations: bool = True
    #: `Ns.Importance'high'` instead of `'high'` for enum literals.
    qualified_enums: bool = True
    #: Function parameters as aliases (`f(a=@p1)?@p1=...`) instead of inline literals.
    parameter_aliases: bool = False
    #: OAuth scopes asked of a `get_token` credential.
    scopes: tuple[str, ...] = ()
    #: Requests per `$batch` call: larger batches are split (Microsoft Graph takes 20).
    batch_limit: int = 20
    #: `$batch` format: JSON (OData 4.01) or multipart/mixed (every OData 4.0 service).
    json_batch: bool = True


@attrs.frozen
class ClientOptions:
    """What `with_headers`, `with_timeout`, `with_retry` and `with_middleware` change."""

    headers: Mapping[str, str] = attrs.field(factory=dict)
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    outer: tuple[Middleware, ...] = ()
    inner: tuple[Middleware, ...] = ()
    #: How function parameters are sent; None: the service's convention (`ServiceConfig.parameter_aliases`).
    function_parameters: FunctionParameters | None = None


class _Shared:
    """State every client derived from one `Client(...)` call shares: session and token cache."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenCache | None,
        session: aiohttp.ClientSession | None,
        connector: Callable[[], aiohttp.BaseConnector] | None,
    ) -> None:
        self.same_origin = SameOrigin(base_url)
        self.origin = self.same_origin.origin
        self.tokens = tokens
        self.session = session
        self.own_session = session is None
        self.connector = connector
        #: Open `async with` blocks of this client and its derived clients: the last one closes.
        self.entered = 0

    def ensure_session(self) -> aiohttp.ClientSession:
        # aiohttp is imported on first use, not with the client: it costs about 100 ms, more
        # than the rest of a cold start (a command-line tool, or code that only reads payloads).
        import aiohttp

        if self.session is None or self.session.closed and self.own_session:
            connector = self.connector() if self.connector is not None else None
            # Cookies are not OData's business; a jar would carry state between unrelated calls.
            self.session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        return self.session


class Client:
    """Base of generated clients: `async with Client(base_url, token_provider) as client`.

    `token_provider` is a bearer token string, an async callable returning a token (or an
    object with `.token` and `expires_on`), or a credential with `get_token(*scopes)` such as
    azure-identity's; a credential is asked for `scopes`, the generated ones unless given here.
    A provider of another shape, or a credential with no scopes, is refused here, not at the
    first request.

    `retain="body"` makes received objects keep the response body's bytes instead of their JSON
    objects: a live page holds less than its dicts would and full collections walk less, while
    decoding and the first use of extras or changes cost more (docs/performance.md has figures).

    Configuration is immutable: `with_headers`, `with_timeout`, `with_retry` and
    `with_middleware` return a new client that shares this one's session and token cache
    (the session closes when the last `async with` block of any of them exits, or on `close()`).
    """

    REGISTRY: ClassVar[Registry]
    CONFIG: ClassVar[ServiceConfig] = ServiceConfig()
    _converters: ClassVar[dict[type, Converter]] = {}

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = 60.0,
        retry: RetryPolicy | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
        strict: bool = True,
        scopes: Sequence[str] | None = None,
        retain: Literal["json", "body"] = "json",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r}: expected an absolute http(s) URL")
        #: Refuse queries the service's Capabilities annotations rule out (False: warn instead).
        self.strict = strict
        if retain not in ("json", "body"):
            raise ValueError(f"retain={retain!r}: expected 'json' or 'body'")
        #: What received objects keep to work out their extras and changes later (see docs/internals.md).
        self.retain = retain
        # Scopes given here win over the generated ones (national clouds, narrower scopes).
        asked = tuple(scopes) if scopes is not None else self.CONFIG.scopes
        tokens = TokenCache(token_provider, asked) if token_provider is not None else None

        def connector() -> aiohttp.BaseConnector:
            import aiohttp

            return aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host)

        self._shared = _Shared(self.base_url, tokens, session, connector)
        timeouts = timeout if isinstance(timeout, Timeouts) else Timeouts(total=timeout)
        self._init_options(ClientOptions(dict(headers or {}), timeouts, retry or RetryPolicy()))

    def _init_options(self, options: ClientOptions) -> None:
        self.options = options
        #: How function parameters are sent: inline, as `@p1` aliases, or as implicit aliases (OData 4.01).
        self.function_parameters: FunctionParameters = options.function_parameters or (
            "aliases" if self.CONFIG.parameter_aliases else "inline")
        shared = self._shared
        links: list[Middleware] = [LoggingMiddleware(), *options.outer, RetryMiddleware(), RedirectMiddleware()]
        links.append(PreferMiddleware())
        if shared.tokens is not None:
            links.append(AuthMiddleware(shared.tokens, shared.same_origin))
        links.extend(options.inner)
        self._handler = chain(links, Transport(shared.ensure_session))
        #: The middleware, kept for the streaming transport of `odatakit.streams` (built on first use).
        self._links = tuple(links)
        self._stream_handler: Handler | None = None
        # Entity sets and singletons, built once per client: requests are immutable.
        self._roots: dict[str, Any] = {}

    def _derive(self, **changes: Any) -> Self:
        copy = object.__new__(type(self))
        copy.base_url = self.base_url
        copy.strict = self.strict
        copy.retain = self.retain
        copy._shared = self._shared
        copy._init_options(attrs.evolve(self.options, **changes))
        return copy

    # -- configuration -------------------------------------------------------------------------
    def with_headers(self, headers: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """A client that adds these headers to every request (a `Prefer` merges with the request's)."""
        merged = {**self.options.headers, **(headers or {}), **more}
        for name, value in merged.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"with_headers(): {name!r}: {value!r}: names and values must be str")
        return self._derive(headers=merged)

    def with_timeout(
        self, total: float | None = 60.0, *, connect: float | None = None, sock_read: float | None = None
    ) -> Self:
        """A client whose requests time out after `total` seconds (and `connect` / `sock_read`)."""
        return self._derive(timeouts=Timeouts(total, connect, sock_read))

    def with_retry(
        self,
        policy: RetryPolicy | None = None,
        *,
        max_attempts: int | None = None,
        max_delay: float | None = None,
        backoff: float | None = None,
        retry_non_idempotent: bool | None = None,
        connection_errors: bool | None = None,
        timeouts: bool | None = None,
        page_attempts: int | None = None,
    ) -> Self:
        """A client with another retry policy (`max_attempts=1` turns retries off; see `RetryPolicy`)."""
        base = policy or self.options.retry
        changes: dict[str, Any] = {}
        for name, value in (("connection_errors", connection_errors), ("timeouts", timeouts),
                            ("page_attempts", page_attempts)):
            if value is not None:
                changes[name] = value
        if max_attempts is not None:
            changes["max_attempts"] = max_attempts
        if max_delay is not None:
            changes["max_delay"] = max_delay
        if backoff is not None:
            changes["backoff"] = backoff
        if retry_non_idempotent is not None:
            changes["methods"] = IDEMPOTENT | {"POST", "PATCH"} if retry_non_idempotent else IDEMPOTENT
        return self._derive(retry=attrs.evolve(base, **changes))

    def with_middleware(self, *middleware: Middleware, outer: bool = False) -> Self:
        """A client with more middleware: inner (default) sees every attempt, `outer=True` one call per request."""
        for mw in middleware:
            if not callable(mw):
                raise TypeError(f"with_middleware({mw!r}): expected a callable (request, call_next)")
        if outer:
            return self._derive(outer=self.options.outer + middleware)
        return self._derive(inner=self.options.inner + middleware)

    def with_function_parameters(self, style: FunctionParameters) -> Self:
        """A client sending function parameters `inline` (`f(a=1)`), as `aliases` or `implicit` (`f?@a=1`, OData 4.01).

        `aliases` is `f(a=@p1)?@p1=1`; `implicit` leaves the parentheses out of a function that
        ends the path and names each alias after its parameter, so no parameter can be read as a
        system option (a function followed by more path segments keeps its parentheses, as the
        OData grammar requires).
        """
        if style not in FUNCTION_PARAMETERS:
            raise ValueError(f"with_function_parameters({style!r}): expected one of {', '.join(FUNCTION_PARAMETERS)}")
        return self._derive(function_parameters=style)

    @property
    def converter(self) -> Converter:
        """The converter of this package (shared by all clients of the class)."""
        cls = type(self)
        conv = Client._converters.get(cls)
        if conv is None:
            conv = Client._converters[cls] = Converter(cls.REGISTRY)
        return conv

    # -- lifetime --------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        self._shared.entered += 1
        self._shared.ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        shared = self._shared
        shared.entered = max(0, shared.entered - 1)
        # `async with client.with_timeout(5) as fast:` inside `async with client:` leaves it open.
        if shared.entered == 0:
            await self.close()

    async def close(self) -> None:
        """Close the session if this client (or the client it derives from) created it."""
        shared = self._shared
        if shared.own_session and shared.session is not None:
            session, shared.session = shared.session, None
            await session.close()

    # -- paths -----------------------------------------------------------------------------------
    def root(self, wire: str, qualified: str, collection: bool) -> Any:
        """The request builder of an entity set or singleton (generated properties call this)."""
        request = self._roots.get(wire)
        if request is not None:
            return request
        registry = self.REGISTRY
        found = registry.nav_cache.get((None, "", wire))
        if found is None:
            builder = registry.builder(qualified, collection)
            cls = registry.info(qualified).cls
            found = registry.nav_cache[(None, "", wire)] = (builder, cls, wire, registry.capabilities((wire,)))
        builder, cls, cpath, capabilities = found
        request = self._roots[wire] = builder(self, quote_segment(wire), cls, cpath, capabilities)
        return request

    def url_for(self, path: str) -> str:
        """The absolute URL of a service-relative path."""
        if path[:8].lower().startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path}" if path else self.base_url + "/"

    def _same_origin(self, url: str) -> bool:
        return self._shared.same_origin(url)

    def batch(self, *, json: bool | None = None, limit: int | None = None) -> Batch:
        """A `$batch`: `async with client.batch() as b: item = b.add(client.me.events.top(3).get())`.

        `json` picks JSON (OData 4.01) or multipart/mixed batching (default: `CONFIG.json_batch`);
        `limit` is the number of requests per `$batch` call (default: `CONFIG.batch_limit`).
        """
        from .batch import Batch

        return Batch(self, json=json, limit=limit)

    # -- sending ---------------------------------------------------------------------------------
    def split_headers(self, url: str, headers: Mapping[str, str] | None) -> tuple[dict[str, str], list[str]]:
        """The client's headers and `headers` for a request to `url`: the others merged, `Prefer` values apart."""
        merged: dict[str, str] = {}
        prefer: list[str] = []
        foreign = not self._same_origin(url)
        for source in (self.options.headers, headers or {}):
            for name, value in source.items():
                lower = name.lower()
                if lower == "prefer":
                    prefer.append(value)
                elif lower == "authorization":
                    # One spelling (the one the auth and redirect checks remove), and never sent to
                    # another origin (a nextLink or deltaLink naming another host).
                    merged.pop("Authorization", None)
                    if not foreign:
                        merged["Authorization"] = value
                else:
                    merged[name] = value
        if foreign:
            # A link naming another host gets no credential under any name (an API key header...).
            merged = foreign_headers(merged)
        return merged, prefer

    async def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        expect: Callable[[int], bool] | None = None,
    ) -> HttpResponse:
        """Send raw bytes through the middleware chain; raise `ODataError` for a failed status.

        `expect` decides which statuses are not failures (default: 2xx; a redirect that was
        not followed, such as a loop or one without `Location`, is a failure).
        """
        options = self.options
        url = self.url_for(path)
        merged, prefer = self.split_headers(url, headers)
        merged = {"Accept": "application/json", **merged}
        request = HttpRequest(method, url, merged, data, options.timeouts, options.retry, prefer)
        response = await self._handler(request)
        ok = expect(response.status) if expect is not None else 200 <= response.status < 300
        if not ok:
            raise failure(response, method, url)
        return response

    async def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one JSON request; raise `ODataError` for a status other than 2xx.

        Inside `Batch.add(...)`, the first request of the added coroutine joins the batch instead.
        """
        slot = BATCH_SLOT.get()
        if slot is not None and slot.claims(self):
            result: Response = await slot.submit(self, method, path, json_body, headers)
            return result
        data: bytes | None = None
        all_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json"
        response = await self.request(method, path, data=data, headers=all_headers)
        return decode_response(response.status, response.headers, response.body, method, response.url,
                               keep_body=self.retain == "body")


def failure(response: HttpResponse, method: str, url: str) -> ODataError:
    """The error for a response that is not a success: the OData error it carries, or a redirect not followed."""
    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
        return ODataError(
            response.status,
            f"redirected to {response.headers['Location']}, which was not followed: another origin (a request "
            "body is never sent there) or too many redirects",
            method=method,
            url=url,
            request_id=response.request_id,
            headers=response.headers,
        )
    return error_from_response(
        response.status,
        response.body,
        method=method,
        url=url,
        request_id=response.request_id,
        headers=response.headers,
    )
