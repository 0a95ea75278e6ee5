"""The HTTP side: one aiohttp session per client, bearer tokens, JSON requests and errors."""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Protocol, Self, runtime_checkable
from urllib.parse import urlsplit

import aiohttp
import attrs
import yarl

from .errors import error_from_response
from .literals import quote_segment
from .serde import Converter, Registry

__all__ = ["Client", "Response", "ServiceConfig", "TokenCredential", "TokenProvider"]


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


@runtime_checkable
class TokenCredential(Protocol):
    """The shape of azure-identity's async credentials: `await get_token(*scopes)`."""

    def get_token(self, *scopes: str) -> Awaitable[Any]:
        """Return an object with `.token` (and optionally `.expires_on`)."""
        ...


TokenProvider = Callable[[], Awaitable[str]] | TokenCredential


@attrs.frozen
class Response:
    """A successful response: status, headers and the decoded JSON body (None when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any


class Client:
    """Base of generated clients: `async with Client(base_url, token_provider) as client`."""

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
        timeout: float = 60.0,
        strict: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Refuse queries the service's Capabilities annotations rule out (False: warn instead).
        self.strict = strict
        parts = urlsplit(self.base_url)
        self._origin = (parts.scheme, parts.netloc.lower())
        self._token_provider = token_provider
        self._own_session = session is None
        self._session = session
        self._headers = dict(headers or {})
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._token: str | None = None
        self._token_expires = 0.0
        # Entity sets and singletons, built once per client: requests are immutable.
        self._roots: dict[str, Any] = {}

    @property
    def converter(self) -> Converter:
        """The converter of this package (shared by all clients of the class)."""
        cls = type(self)
        conv = Client._converters.get(cls)
        if conv is None:
            conv = Client._converters[cls] = Converter(cls.REGISTRY)
        return conv

    async def __aenter__(self) -> Self:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

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
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path}" if path else self.base_url + "/"

    def _same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc.lower()) == self._origin

    async def _bearer(self) -> str | None:
        provider = self._token_provider
        if provider is None:
            return None
        if self._token is not None and time.time() < self._token_expires - 60:
            return self._token
        if isinstance(provider, TokenCredential):
            result = await provider.get_token(*self.CONFIG.scopes)
            self._token = str(result.token)
            self._token_expires = float(getattr(result, "expires_on", time.time() + 300))
        else:
            token = provider()
            self._token = str(await token if inspect.isawaitable(token) else token)
            self._token_expires = time.time() + 300
        return self._token

    async def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request; raise `ODataError` for a status of 400 or more."""
        session = self._ensure_session()
        url = self.url_for(path)
        all_headers = {"Accept": "application/json", **self._headers, **(headers or {})}
        if self._same_origin(url):
            token = await self._bearer()
            if token is not None:
                all_headers["Authorization"] = f"Bearer {token}"
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        # encoded=True: the builder has already percent-encoded the URL; yarl must not re-quote it.
        target = yarl.URL(url, encoded=True)
        async with session.request(method, target, data=data, headers=all_headers) as resp:
            body = await resp.read()
            request_id = resp.headers.get("request-id") or resp.headers.get("x-ms-request-id")
            if resp.status >= 400:
                raise error_from_response(resp.status, body, method=method, url=url, request_id=request_id)
            decoded = json.loads(body) if body.strip() else None
            return Response(resp.status, dict(resp.headers), decoded)


