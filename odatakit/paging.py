"""Server-driven paging: pages of typed items, following `@odata.nextLink`, resumable.

An iteration keeps a checkpoint: the link of the first page it has not yet fully delivered.
A page whose request fails (after the request's own retries) or whose body is malformed is
fetched again from that link, up to the retry policy's `page_attempts`; if it still fails,
the error ends the iteration with `resume_link` set to the checkpoint, from which
`query.resume(link)` goes on.

What that guarantees: pages before the checkpoint are never delivered again, and a fault
never loses or repeats an item (a page is delivered whole or not at all). An iteration the
caller stops in the middle of a page (a `break`, a cancellation) resumes from that page,
so the items of that page already seen come again: at-least-once for the page being read,
exactly-once for every other.

Relative links are resolved per RFC 3986 against their base, which OData makes the response's
context URL (`@odata.context`, itself resolved against the request URL), else the request URL;
a link that repeats one already followed in the same iteration ends it with `MalformedResponse`,
as a server sending the same nextLink forever would otherwise keep the client busy forever.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import attrs

from .errors import (
    ConnectionFailed,
    MalformedResponse,
    ODataError,
    RequestTimeout,
    ServerError,
    TooManyRequests,
    retry_after_seconds,
)
from .serde import ResponseSource, paused_gc

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Items", "Page", "Pages", "iterate_pages", "resolve_link"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One response of a collection: its items and what the service said about them."""

    items: list[T]
    #: `@odata.count` (asked for with `.count()`), when the service sent it.
    count: int | None = None
    next_link: str | None = None
    delta_link: str | None = None
    #: The other control information of the response (`@odata.context`, custom annotations).
    annotations: Mapping[str, Any] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    #: The absolute URL this page was read from (the checkpoint that gives it again).
    link: str | None = None

    def __len__(self) -> int:
        return len(self.items)


_LINKS = ("@odata.nextLink", "@odata.deltaLink", "@odata.count")

# Failures a page fetched again may not repeat: the service's or the network's, not the caller's
# (a `MalformedResponse` only when its body was not JSON at all: cut off or garbled).
_TRANSIENT = (ConnectionFailed, RequestTimeout, MalformedResponse, ServerError, TooManyRequests)
# What a decoder raises for a value the model does not allow (see `odatakit.serde`).
_DECODE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def resolve_link(base: str, link: str) -> str:
    """`link` (a nextLink, deltaLink) resolved against the URL `base` it came from, per RFC 3986."""
    resolved = urljoin(base, link)
    parts = urlsplit(resolved)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"link {link!r} is not an http(s) URL once resolved against {base}")
    # The scheme is case-insensitive: `HTTP://host/` is the same URL as `http://host/`.
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment)) if parts.scheme != scheme \
        else resolved


def _check_limits(max_items: int | None, max_pages: int | None) -> None:
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
        raise TypeError(f"max_items={max_items!r}: expected an int >= 0")
    if max_pages is not None and (isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1):
        raise TypeError(f"max_pages={max_pages!r}: expected an int >= 1")


class Pages(Generic[T]):
    """The pages of a collection, one request each: `async for page in query.pages()`.

    `checkpoint` is the absolute link of the next page to read (None once the last page is
    delivered); an error ending the iteration carries it as `resume_link`.
    """

    def __init__(
        self,
        client: Client,
        url: str,
        headers: Mapping[str, str] | None,
        decode: Callable[[list[Any], ResponseSource | None], list[T]],
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
    ) -> None:
        _check_limits(max_items, max_pages)
        self._client = client
        self._headers = headers
        self._decode = decode
        self._remaining = max_items
        self._max_pages = max_pages
        self._pages = 0
        self.checkpoint: str | None = client.url_for(url)
        self._followed: set[str] = set()
        # A nextLink that loops ends the iteration after the page that carried it is delivered.
        self._stop: MalformedResponse | None = None

    def __aiter__(self) -> Pages[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if self._stop is not None:
            raise self._stop
        link = self.checkpoint
        if link is None or (self._remaining is not None and self._remaining <= 0):
            raise StopAsyncIteration
        if self._max_pages is not None and self._pages >= self._max_pages:
            raise StopAsyncIteration
        try:
            page = await self._fetch_again_on_failure(link)
        except ODataError as exc:
            exc.resume_link = link
            raise
        self._followed.add(link)
        self._pages += 1
        next_link = page.next_link
        if next_link is not None and next_link in self._followed:
            self._stop = MalformedResponse(
                200,
                f"the nextLink {next_link} repeats a link already followed in this iteration: stopped rather "
                "than loop",
                method="GET",
                url=link,
                headers=page.headers,
            )
            next_link = None
        self.checkpoint = next_link
        return page

    async def _fetch_again_on_failure(self, link: str) -> Page[T]:
        from .http import sleep

        policy = self._client.options.retry
        # `max_attempts=1` turns every retry off, pages included.
        attempts = policy.page_attempts if policy.allows("GET") else 0
        attempt = 0
        slept = 0.0
        while True:
            try:
                return await self._fetch(link)
            except _TRANSIENT as exc:
                attempt += 1
                if attempt > attempts or (isinstance(exc, MalformedResponse) and not exc.retryable):
                    raise
                wait = policy.delay(attempt, retry_after_seconds(exc.headers.get("Retry-After")))
                # As for a request's retries: a wait past `max_delay` (a Retry-After of a day) ends them.
                if slept + wait > policy.max_delay:
                    raise
            await sleep(wait)
            slept += wait

    async def _fetch(self, link: str) -> Page[T]:
        client = self._client
        response = await client.send("GET", link, headers=self._headers)
        body = response.body
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise MalformedResponse(
                response.status,
                f"expected a JSON object with a 'value' array, got {type(body).__name__}",
                method="GET",
                url=link,
                headers=response.headers,
            )
        values: list[Any] = body["value"]
        if self._remaining is not None:
            values = values[: self._remaining]
        links: dict[str, str | None] = {}
        base = link
        context = body.get("@odata.context")
        if isinstance(context, str) and context:
            # OData: relative URLs in a payload are relative to its context URL (`$metadata#...`).
            with contextlib.suppress(ValueError):
                base = resolve_link(link, context)
        for name in ("@odata.nextLink", "@odata.deltaLink"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise MalformedResponse(response.status, f"{name} is {type(value).__name__}, not a URL",
                                        method="GET", url=link, headers=response.headers)
            try:
                links[name] = resolve_link(base, value) if value is not None else None
            except ValueError as exc:
                raise MalformedResponse(response.status, f"{name}: {exc}", method="GET", url=link,
                                        headers=response.headers) from None
        count = body.get("@odata.count")
        annotations = {k: v for k, v in body.items() if k.startswith("@") and k not in _LINKS}
        try:
            with paused_gc():
                items = self._decode(values, response.source("value"))
        except _DECODE_ERRORS as exc:
            raise MalformedResponse(response.status, f"an item does not fit the model: {exc}", method="GET",
                                    url=link, headers=response.headers) from exc
        if self._remaining is not None:
            self._remaining -= len(items)
        return Page(
            items,
            count if isinstance(count, int) and not isinstance(count, bool) else _int_or_none(count),
            links["@odata.nextLink"],
            links["@odata.deltaLink"],
            annotations,
            response.headers,
            link,
        )


class Items(Generic[T]):
    """The items of a collection across pages: `async for item in query`.

    `checkpoint` is the link to resume from: the page being read while any of its items is
    still to come (so a stop in the middle gives that page again), else the next page's.
    """

    def __init__(self, pages: Pages[T]) -> None:
        self.pages = pages
        self._page: Page[T] | None = None
        self._index = 0

    @property
    def checkpoint(self) -> str | None:
        """Where `query.resume(...)` goes on from."""
        page = self._page
        if page is not None and self._index < len(page.items):
            return page.link
        return self.pages.checkpoint

    def __aiter__(self) -> Items[T]:
        return self

    async def __anext__(self) -> T:
        page = self._page
        while page is None or self._index >= len(page.items):
            page = self._page = await self.pages.__anext__()
            self._index = 0
        item = page.items[self._index]
        self._index += 1
        return item


def iterate_pages(
    client: Client,
    url: str,
    headers: Mapping[str, str] | None,
    decode: Callable[[list[Any], ResponseSource | None], list[T]],
    *,
    max_items: int | None = None,
    max_pages: int | None = None,
) -> Pages[T]:
    """The pages of `url`, following nextLinks, stopping after `max_items` items or `max_pages` pages.

    `decode` turns a page's `value` array into its items, with the collector paused (see `paused_gc`);
    it is given the response body, which typed objects may keep (see `odatakit.serde.ResponseSource`).
    """
    return Pages(client, url, headers, decode, max_items=max_items, max_pages=max_pages)


def _int_or_none(value: Any) -> int | None:
    # IEEE754Compatible services send @odata.count as a string.
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None

