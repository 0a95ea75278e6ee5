"""The HTTP pipeline under every client: a chain of middleware around one aiohttp call.

A request travels outermost first through::

    LoggingMiddleware     client-request-id, one DEBUG line per attempt and per result
    <outer user middleware>
    RetryMiddleware       429/503/504 and dropped connections: Retry-After, else backoff + jitter
    RedirectMiddleware    follows 3xx itself, so credentials never cross to another origin
    PreferMiddleware      the client's and the request's `Prefer` preferences as one header
    AuthMiddleware        `Authorization: Bearer` for the service's own origin only
    <inner user middleware>
    transport             one aiohttp request; the body is read before the connection is freed

A middleware is any object (or function) with
``async def __call__(request: HttpRequest, call_next: Handler) -> HttpResponse``; add yours with
`Client.with_middleware`. Inner middleware sees every attempt and the final headers; outer
middleware sees one call per request, whatever the retries did.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

import attrs

if TYPE_CHECKING:
    import asyncio

    import aiohttp

# aiohttp, yarl and asyncio are imported where first used: together they take longer to import
# than the rest of the runtime and a generated package, and code that only reads payloads
# (a command-line tool, a webhook handler) never needs them.

from .errors import ConnectionFailed, MalformedResponse, RequestTimeout, retry_after_seconds

__all__ = [
    "AuthMiddleware",
    "BodySource",
    "Handler",
    "HttpRequest",
    "HttpResponse",
    "LoggingMiddleware",
    "Middleware",
    "PreferMiddleware",
    "RedirectMiddleware",
    "RetryMiddleware",
    "RetryPolicy",
    "SameOrigin",
    "Timeouts",
    "TokenCache",
    "TokenCredential",
    "TokenProvider",
    "PORTABLE_HEADERS",
    "foreign_headers",
    "merge_prefer",
    "origin_of",
]

log = logging.getLogger("odatakit.http")


@attrs.frozen
class Timeouts:
    """Seconds allowed per request: in all, to connect, and between two reads (None: no limit)."""

    total: float | None = 60.0
    connect: float | None = None
    sock_read: float | None = None

    def aiohttp(self) -> aiohttp.ClientTimeout:
        """The same limits as aiohttp's `ClientTimeout`."""
        import aiohttp  # on first use: importing aiohttp costs about 100 ms, see `odatakit.client`

        return aiohttp.ClientTimeout(total=self.total, connect=self.connect, sock_read=self.sock_read)


#: Methods a retry cannot apply twice with a different outcome (RFC 9110 9.2.2).
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@attrs.frozen
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Only idempotent methods are retried unless `methods` says otherwise (pass
    ``retry_non_idempotent=True`` to `Client.with_retry` to add POST and PATCH).
    """

    #: Attempts in all, the first one included (1: never retry).
    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    #: Seconds slept across all retries of one request (and, apart, of one page fetched again);
    #: a longer Retry-After ends the retries.
    max_delay: float = 60.0
    #: First backoff delay when the service names none; doubled per attempt, up to `max_backoff`.
    backoff: float = 0.5
    max_backoff: float = 30.0
    statuses: frozenset[int] = frozenset({429, 503, 504})
    methods: frozenset[str] = IDEMPOTENT
    #: Also retry when the connection fails, drops, or breaks off mid-body (`ConnectionFailed`).
    connection_errors: bool = True
    #: Also retry a request that ran past its timeout (`RequestTimeout`).
    timeouts: bool = True
    #: When iterating pages (or a delta round), fetch a page again this many times after its request
    #: failed for good (retries included) or its body was malformed, before the iteration ends.
    page_attempts: int = attrs.field(default=3, validator=attrs.validators.ge(0))

    def allows(self, method: str) -> bool:
        """Whether requests with `method` may be sent again."""
        return self.max_attempts > 1 and method.upper() in self.methods

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return retry_after
        cap: float = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so retries neither bunch up nor vanish.
        return cap / 2 + random.uniform(0, cap / 2)


class BodySource(Protocol):
    """A request body sent in chunks rather than held as bytes (see `odatakit.streams.Upload`)."""

    #: Whether the body can be sent again (a file can be read again; an async iterator only once):
    #: a body that cannot is neither retried nor sent again to a redirect's target.
    replayable: bool

    def open(self) -> Any:
        """What aiohttp sends for one attempt: a file object (closed after it) or an async iterable."""
        ...


def replayable(body: bytes | BodySource | None) -> bool:
    """Whether a request body can be sent again (bytes, none, or a source that says so)."""
    return body is None or body.__class__ is bytes or bool(getattr(body, "replayable", True))


@attrs.define
class HttpRequest:
    """One request as the middleware sees it (middleware may change it before passing it on)."""

    method: str
    #: Absolute and already percent-encoded: sent as it is.
    url: str
    headers: dict[str, str]
    #: Bytes, or a `BodySource` for a streamed upload (only `odatakit.streams` sends those).
    body: bytes | BodySource | None = None
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    #: `Prefer` header values to merge, outermost (client) first.
    prefer: list[str] = attrs.field(factory=list)
    #: Free-form values middleware pass to each other (the attempt number, the token used...).
    context: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class HttpResponse:
    """A response with its body already read (the connection is back in the pool)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    request: HttpRequest

    @property
    def request_id(self) -> str | None:
        """The service's id for the request (`request-id`, else `x-ms-request-id`, else the client's)."""
        h = self.headers
        return h.get("request-id") or h.get("x-ms-request-id") or h.get("client-request-id")


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class Middleware(Protocol):
    """One link of the chain: change the request, call the next link, look at the response."""

    def __call__(self, request: HttpRequest, call_next: Handler, /) -> Awaitable[HttpResponse]:
        """Handle `request`, usually by awaiting `call_next(request)`."""
        ...


def origin_of(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, lower-cased, with default ports left out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return scheme, host


class SameOrigin:
    """Tells whether a URL has the origin of the URL it was made with.

    URLs built from a client's base URL start with its `scheme://authority/` as written, which
    settles most checks without parsing; any other URL is parsed and compared by `origin_of`.
    """

    __slots__ = ("origin", "prefix")

    def __init__(self, url: str) -> None:
        self.origin = origin_of(url)
        parts = urlsplit(url)
        self.prefix = f"{parts.scheme}://{parts.netloc}/"

    def __call__(self, url: str) -> bool:
        """Whether `url` has the same origin."""
        return url.startswith(self.prefix) or origin_of(url) == self.origin


def chain(middleware: Sequence[Middleware], transport: Handler) -> Handler:
    """Compose middleware (outermost first) around the transport."""
    handler = transport
    for mw in reversed(middleware):
        handler = _link(mw, handler)
    return handler


def _link(mw: Middleware, call_next: Handler) -> Handler:
    def handle(request: HttpRequest) -> Awaitable[HttpResponse]:
        return mw(request, call_next)

    return handle


# -- the transport ------------------------------------------------------------------------------
#: Most bytes a response body may have once decompressed (a gzip bomb ends here, not in memory).
MAX_BODY = 256 * 1024 * 1024


class Transport:
    """The innermost handler: one aiohttp request on the client's session.

    Failures become typed errors: a timeout `RequestTimeout`, a connection that fails or breaks off
    mid-body `ConnectionFailed`, a body over `max_body` bytes (decompressed) or one that cannot be
    decompressed (not in its `Content-Encoding`, or past aiohttp's own limit) `MalformedResponse`.
    """

    def __init__(self, session: Callable[[], aiohttp.ClientSession], max_body: int | None = None) -> None:
        self._session = session
        self._timeouts: dict[Timeouts, aiohttp.ClientTimeout] = {}  # one aiohttp object per setting
        #: None: the module's `MAX_BODY` when the request is made.
        self.max_body = max_body

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        """Send `request` and read the whole body."""
        import aiohttp
        import yarl

        session = self._session()
        # encoded=True: builders percent-encode URLs themselves; yarl must not re-quote them.
        target = yarl.URL(request.url, encoded=True)
        try:
            async with session.request(
                request.method,
                target,
                data=request.body,
                headers=request.headers,
                timeout=self._timeouts.get(request.timeouts) or self._timeout(request.timeouts),
                allow_redirects=False,
            ) as resp:
                limit = self.max_body or MAX_BODY
                length = resp.content_length
                if length is not None and length > limit:
                    raise self._too_large(request, resp.status, resp.headers, limit)
                try:
                    if length is not None and "Content-Encoding" not in resp.headers:
                        body = await resp.read()  # the size is known and nothing expands it
                    else:
                        body = await self._read_bounded(request, resp, limit)
                except aiohttp.ClientPayloadError as exc:
                    undecodable = _undecodable(exc)
                    if undecodable is None:
                        raise  # the connection broke off: below
                    reason, retryable = undecodable
                    error = MalformedResponse(resp.status, f"the body cannot be decompressed: {reason}",
                                              method=request.method, url=request.url, headers=resp.headers)
                    error.retryable = retryable
                    raise error from exc
                return HttpResponse(resp.status, resp.headers, body, request.url, request)
        except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
            # asyncio.CancelledError is not caught here: a caller's `asyncio.timeout` stays theirs.
            raise RequestTimeout(request.method, request.url, request.timeouts.total) from exc
        except aiohttp.ClientPayloadError as exc:
            raise ConnectionFailed(request.method, request.url, f"the response broke off: {_reason(exc)}") from exc
        except aiohttp.ClientError as exc:
            raise ConnectionFailed(request.method, request.url, _reason(exc)) from exc

    async def _read_bounded(self, request: HttpRequest, resp: aiohttp.ClientResponse, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise self._too_large(request, resp.status, resp.headers, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, request: HttpRequest, status: int, headers: Mapping[str, str], limit: int) -> MalformedResponse:
        return MalformedResponse(status, f"the body is larger than {limit} bytes (decompressed)",
                                 method=request.method, url=request.url, headers=headers)

    def _timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        made = self._timeouts[timeouts] = timeouts.aiohttp()
        return made


# -- middleware ---------------------------------------------------------------------------------
# The variant digit of an RFC 9562 UUID (10xx in binary) from any random hex digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def request_id() -> str:
    """A random (version 4) UUID as text, as `str(uuid.uuid4())` gives it at a third of the cost."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


class LoggingMiddleware:
    """Give each request a `client-request-id` and log it with the service's `request-id`."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger

    async def __call__(self, request: HttpRequest, call_next: Handler) -> HttpResponse:
        """Log the request and its outcome at DEBUG (failures at INFO)."""
        rid = request.headers.setdefault("client-request-id", request_id())
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:
            self.logger.info("%s %s failed: %s (client-request-id %s)", request.method, request.url, exc, rid)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        level = logging.DEBUG if response.status < 400 else logging.INFO
        if self.logger.isEnabledFor(level):
            self.logger.log(
                level,
                "%s %s -> %d in %.1f ms (client-request-id %s, request-id %s)",
                request.method,
                request.url,
                response.status,
                elapsed,
                rid,
                response.request_id,
            )
        return response


async def sleep(seconds: float) -> None:
    """Wait between retries (a module function so tests can record the delays)."""
    import asyncio

    await asyncio.sleep(seconds)


class RetryMiddleware:
    """Send again on 429, 503, 504, failed or broken connections and timeouts, as the `RetryPolicy` allows."""

    async def __call__(self, request: HttpRequest, call_next: Handler) -> HttpResponse:
        """Retry until success, a final failure, or the policy's attempts or delay run out."""
        policy = request.retry
        if not policy.allows(request.method) or not replayable(request.body):
            return await call_next(request)
        slept = 0.0
        attempt = 1
        while True:
            request.context["attempt"] = attempt
            try:
                response = await call_next(request)
            except (ConnectionFailed, RequestTimeout) as exc:
                allowed = policy.connection_errors if isinstance(exc, ConnectionFailed) else policy.timeouts
                if not allowed or attempt >= policy.max_attempts:
                    raise
                wait = policy.delay(attempt, None)
                if slept + wait > policy.max_delay:
                    raise
                log.info("%s %s: %s; retry %d in %.2f s", request.method, request.url, exc, attempt, wait)
            else:
                if response.status not in policy.statuses or attempt >= policy.max_attempts:
                    return response
                wait = policy.delay(attempt, retry_after_seconds(response.headers.get("Retry-After")))
                if slept + wait > policy.max_delay:
                    return response
                log.info(
                    "%s %s -> %d; retry %d in %.2f s", request.method, request.url, response.status, attempt, wait
                )
            await sleep(wait)
            slept += wait
            attempt += 1


_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: Headers that say how to talk, not who is talking: the only ones a request to another origin
#: (a redirect, a nextLink or deltaLink naming another host) keeps. Credentials under any name
#: (`Authorization`, an API key header set with `with_headers`) stay with the service's origin.
PORTABLE_HEADERS = frozenset({
    "accept", "accept-encoding", "accept-language", "content-type", "prefer", "odata-version", "odata-maxversion",
    "client-request-id", "user-agent", "if-match", "if-none-match", "content-range",
})  # fmt: skip


def foreign_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers a request keeps when it goes to another origin (see `PORTABLE_HEADERS`)."""
    return {name: value for name, value in headers.items() if name.lower() in PORTABLE_HEADERS}


class RedirectMiddleware:
    """Follow redirects here rather than in aiohttp, so each hop passes the auth origin check again."""

    def __init__(self, max_hops: int = 10) -> None:
        self.max_hops = max_hops

    async def __call__(self, request: HttpRequest, call_next: Handler) -> HttpResponse:
        """Follow up to `max_hops` redirects; a caller-set `Authorization` never leaves the origin."""
        response = await call_next(request)
        hops = 0
        origin = None
        while response.status in _REDIRECTS and hops < self.max_hops and "Location" in response.headers:
            hops += 1
            if origin is None:
                origin = origin_of(request.url)
            target = urljoin(response.url, response.headers["Location"])
            method, body = request.method, request.body
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = ("GET" if method != "HEAD" else "HEAD"), None
            elif not replayable(body):
                return response  # an upload read from an async iterator cannot be sent a second time
            headers = dict(request.headers)
            if body is None:
                headers.pop("Content-Type", None)
            if origin_of(target) != origin:
                if body is not None:
                    # A body (a $batch with its items' headers, an entity) is never replayed to another origin.
                    return response
                headers = foreign_headers(headers)
            request = attrs.evolve(request, method=method, url=target, headers=headers, body=body)
            response = await call_next(request)
        return response


def merge_prefer(values: Sequence[str]) -> str:
    """Merge `Prefer` header values: one preference per name, the last one given wins."""
    merged: dict[str, str] = {}
    for value in values:
        for part in _split_prefer(value):
            name = part.split("=", 1)[0].split(";", 1)[0].strip().lower()
            merged.pop(name, None)
            merged[name] = part
    return ", ".join(merged.values())


def _split_prefer(value: str) -> list[str]:
    # Commas inside quoted values (`outlook.timezone="a, b"`) do not separate preferences.
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


class PreferMiddleware:
    """Send the client's default preferences and the request's as one `Prefer` header."""

    async def __call__(self, request: HttpRequest, call_next: Handler) -> HttpResponse:
        """Merge `request.prefer` (and any `Prefer` header) into the header."""
        values = list(request.prefer)
        if "Prefer" in request.headers:
            values.append(request.headers["Prefer"])
        if values:
            request.headers["Prefer"] = merge_prefer(values)
        return await call_next(request)


# -- credentials ----------------------------------------------------------------------------------
@runtime_checkable
class TokenCredential(Protocol):
    """The shape of azure-identity's async credentials: `await get_token(*scopes)`."""

    def get_token(self, *scopes: str) -> Awaitable[Any]:
        """Return an object with `.token` (and optionally `.expires_on`, epoch seconds)."""
        ...


#: A bearer token as it is (static), an async callable returning one (or an object with
#: `.token`), or a credential with `get_token(*scopes)` such as azure-identity's.
TokenProvider = str | Callable[[], Awaitable[Any]] | TokenCredential

#: Refresh a cached token this many seconds before it expires.
REFRESH_MARGIN = 120.0


class TokenCache:
    """Asks the provider for a token only when the cached one is about to expire.

    The expiry comes from the credential's `expires_on`, else from the `exp` claim of a JWT;
    a token with neither is not cached (the provider is asked every time).
    """

    def __init__(self, provider: TokenProvider, scopes: Sequence[str] = ()) -> None:
        self.scopes = tuple(scopes)
        if isinstance(provider, str):
            _check_token(provider, "the token string")
        elif isinstance(provider, TokenCredential):
            if not self.scopes:
                raise ValueError(
                    f"{type(provider).__name__} needs the scopes to ask a token for: pass scopes=[...] to the client "
                    "(for Microsoft Graph, ['https://graph.microsoft.com/.default'])"
                )
        elif not callable(provider):
            raise TypeError(
                f"token_provider: got {type(provider).__name__}; expected a token string, an async callable "
                "returning one, or a credential with get_token(*scopes) such as azure-identity's"
            )
        self.provider = provider
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None  # made by the first refresh, which runs in a loop

    async def get(self, *, refresh: bool = False) -> tuple[str, bool]:
        """The token and whether it came from the cache."""
        if not refresh and self._token is not None and time.time() < self._expires - REFRESH_MARGIN:
            return self._token, True
        # One refresh at a time: concurrent requests wait for it instead of each asking.
        if self._lock is None:
            import asyncio

            self._lock = asyncio.Lock()
        async with self._lock:
            if not refresh and self._token is not None and time.time() < self._expires - REFRESH_MARGIN:
                return self._token, True
            token, expires = await self._fetch()
            self._token, self._expires = token, expires or 0.0
            return token, False

    def invalidate(self, token: str) -> None:
        """Forget `token` (the service refused it)."""
        if self._token == token:
            self._token, self._expires = None, 0.0

    async def _fetch(self) -> tuple[str, float | None]:
        provider = self.provider
        if isinstance(provider, str):
            return provider, jwt_expiry(provider)
        if isinstance(provider, TokenCredential):
            result: Any = await provider.get_token(*self.scopes)
        else:
            result = provider()
            if hasattr(result, "__await__"):
                result = await result
        if isinstance(result, str):
            token, expires = result, None
        elif isinstance(getattr(result, "token", None), str):
            token = result.token
            raw = getattr(result, "expires_on", None)
            expires = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        else:
            raise TypeError(f"token provider returned {type(result).__name__}: expected str or an object with .token")
        _check_token(token, "the token provider's token")
        return token, expires if expires is not None else jwt_expiry(token)


def _check_token(token: str, what: str) -> None:
    """Refuse a token that cannot go into an `Authorization: Bearer` header as it is."""
    if not token:
        raise ValueError(f"{what} is empty")
    if token.lower().startswith("bearer "):
        raise ValueError(f"{what} starts with 'Bearer ': give the token alone (odatakit adds the scheme)")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ValueError(f"{what} holds whitespace or control characters, which a header cannot carry")


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT (not verified: only used to know when to ask again), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class AuthMiddleware:
    """Add the bearer token to requests for the service's origin, and to no other."""

    def __init__(self, tokens: TokenCache, origin: tuple[str, str] | SameOrigin) -> None:
        self.tokens = tokens
        #: The service's (scheme, host[:port]), or a `SameOrigin` of its base URL.
        self.origin = origin
        self._same: Callable[[str], bool] = (
            origin if isinstance(origin, SameOrigin) else lambda url: origin_of(url) == origin
        )

    async def __call__(self, request: HttpRequest, call_next: Handler) -> HttpResponse:
        """Authorise same-origin requests; on a 401 with a cached token, refresh it once."""
        if not self._same(request.url):
            # A nextLink, deltaLink or redirect naming another host gets no credentials.
            request.headers.pop("Authorization", None)
            return await call_next(request)
        token, cached = await self.tokens.get()
        request.headers["Authorization"] = f"Bearer {token}"
        response = await call_next(request)
        if response.status == 401 and cached:
            self.tokens.invalidate(token)
            # Not `refresh=True`: when concurrent requests are refused the same token, the first
            # one refreshes it and the others reuse the new token instead of each asking again.
            token, _ = await self.tokens.get()
            request.headers["Authorization"] = f"Bearer {token}"
            response = await call_next(request)
        return response


def _undecodable(exc: BaseException) -> tuple[str, bool] | None:
    """Why aiohttp could not decompress a body, and whether asking again may help; None for a broken connection.

    aiohttp raises `ClientPayloadError` for both, with the decoder's error as the cause: data that
    expands past its own limit (32 MiB per chunk in aiohttp 3.13: a decompression bomb, not worth
    asking for again) or that is not in the declared `Content-Encoding` (garbled, like a body that
    is not JSON: worth asking again).
    """
    from aiohttp import http_exceptions

    cause = exc.__cause__
    too_large = getattr(http_exceptions, "DecompressSizeError", None)  # aiohttp 3.13 on
    if too_large is not None and isinstance(cause, too_large):
        retryable = False
    elif isinstance(cause, http_exceptions.ContentEncodingError):
        retryable = True
    else:
        return None
    return " ".join(str(getattr(cause, "message", "") or cause).split()), retryable


def _reason(exc: BaseException) -> str:
    """An aiohttp error as a short reason (its class when it says nothing)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
