"""Server-driven paging: pages of typed items, following `@odata.nextLink`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .errors import MalformedResponse
from .serde import paused_gc

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Page", "iterate_pages"]

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

    def __len__(self) -> int:
        return len(self.items)


_LINKS = ("@odata.nextLink", "@odata.deltaLink", "@odata.count")


async def iterate_pages(
    client: Client,
    url: str,
    headers: Mapping[str, str] | None,
    decode: Callable[[list[Any]], list[T]],
    *,
    max_items: int | None = None,
    max_pages: int | None = None,
) -> AsyncIterator[Page[T]]:
    """Yield the pages of `url`, following nextLinks, stopping after `max_items` items or `max_pages` pages.

    `decode` turns a page's `value` array into its items, with the collector paused (see `paused_gc`).
    """
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
        raise TypeError(f"max_items={max_items!r}: expected an int >= 0")
    if max_pages is not None and (isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1):
        raise TypeError(f"max_pages={max_pages!r}: expected an int >= 1")
    remaining = max_items
    pages = 0
    next_url: str | None = url
    while next_url is not None and (remaining is None or remaining > 0):
        response = await client.send("GET", next_url, headers=headers)
        body = response.body
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise MalformedResponse(
                response.status,
                f"expected a JSON object with a 'value' array, got {type(body).__name__}",
                method="GET",
                url=client.url_for(next_url),
            )
        values: list[Any] = body["value"]
        if remaining is not None:
            values = values[:remaining]
            remaining -= len(values)
        link = body.get("@odata.nextLink")
        delta = body.get("@odata.deltaLink")
        count = body.get("@odata.count")
        annotations = {k: v for k, v in body.items() if k.startswith("@") and k not in _LINKS}
        with paused_gc():
            items = decode(values)
        page = Page(
            items,
            count if isinstance(count, int) and not isinstance(count, bool) else _int_or_none(count),
            link if isinstance(link, str) else None,
            delta if isinstance(delta, str) else None,
            annotations,
            response.headers,
        )
        yield page
        pages += 1
        if max_pages is not None and pages >= max_pages:
            return
        next_url = page.next_link


def _int_or_none(value: Any) -> int | None:
    # IEEE754Compatible services send @odata.count as a string.
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
