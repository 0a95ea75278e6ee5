"""Delta queries (change tracking): what changed in a collection since the last round.

A round asks with `Prefer: odata.track-changes`, follows `@odata.nextLink` (`$skiptoken`)
and ends with an `@odata.deltaLink` whose `$deltatoken` the next round starts from::

    delta = client.me.calendar_view(start_date_time=a, end_date_time=b).track_changes(token=saved)
    async for change in delta:
        if isinstance(change, Removed):
            forget(change.id)
        else:
            store(change)
    saved = delta.token

Deleted items arrive as `Removed` (from OData 4.01 `@removed`, Graph's `@removed` with an
id, or an OData 4.0 / Outlook `$deletedEntity` entry). A service that does not apply the
preference (no `Preference-Applied: odata.track-changes` and no deltaLink) still gives the
full listing; `delta.tracked` is then False and `delta.token` None.

A round that fails part way (after the retries of `odatakit.paging`) keeps its progress:
iterating the same `Delta` again goes on from `delta.checkpoint`, the skiptoken link of the
first page not fully delivered, so every change of the round is delivered once (the page
being read when a caller stops comes again). `delta.token` is set only by the deltaLink that
ends the round, and is kept byte for byte as the service wrote it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar
from urllib.parse import unquote, urlsplit

import attrs

from .http import merge_prefer
from .paging import iterate_pages
from .serde import ResponseSource

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Delta", "Removed", "delta_token"]

T = TypeVar("T")


@attrs.frozen
class Removed:
    """An item deleted (or moved out of the tracked range) since the last round."""

    #: The key of the item (`id`), or its `@id` URL when the service sent only that.
    id: str | None
    #: "deleted" (gone for good) or "changed" (no longer matches the query), when the service says.
    reason: str | None
    #: The entry as received.
    data: Mapping[str, Any] = attrs.field(factory=dict, repr=False)


def delta_token(link: str) -> str | None:
    """The `$deltatoken` value of a delta link as the link writes it (byte for byte), if it has one.

    Not form-decoded: a `+` stays a `+` (form decoding would make it a space, and the next round
    would send `%20`); the builder sends the token back exactly as it is here.
    """
    for part in urlsplit(link).query.split("&"):
        name, _, value = part.partition("=")
        if unquote(name).lower() in ("$deltatoken", "deltatoken"):
            return value
    return None


def _removed(entry: Mapping[str, Any], key_names: tuple[str, ...]) -> Removed | None:
    marker = entry.get("@removed")
    if isinstance(marker, Mapping):
        return Removed(_entry_id(entry, key_names), _str(marker.get("reason")), entry)
    context = entry.get("@odata.context") or entry.get("@context")
    if isinstance(context, str) and context.endswith("$deletedEntity"):
        reason = entry.get("reason") if "reason" in entry else entry.get("Reason")
        return Removed(_entry_id(entry, key_names), _str(reason), entry)
    return None


def _entry_id(entry: Mapping[str, Any], key_names: tuple[str, ...]) -> str | None:
    for name in (*key_names, "id", "Id", "@id", "@odata.id"):
        value = entry.get(name)
        if value is not None:
            return str(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class DeltaQuery(Protocol):
    """What a delta round asks of the query it runs (a `CollectionRequest`)."""

    _client: Client
    _type: type

    def _headers(self) -> dict[str, str] | None: ...

    def _ready(self) -> str: ...

    def deltatoken(self, token: str) -> Self: ...


class Delta(Generic[T]):
    """One round of a delta query: iterate it once, then read `token` for the next round."""

    def __init__(self, query: DeltaQuery, token: str | None = None, delta_link: str | None = None) -> None:
        self._query = query
        self._start_token = token
        self._start_link = delta_link
        #: The deltaLink that ended the round (None until the round is complete).
        self.delta_link: str | None = None
        #: Whether the service applied `odata.track-changes` (None until the first response).
        self.tracked: bool | None = None
        #: The link to go on from after a failure: the first page of the round not fully delivered.
        self.checkpoint: str | None = None
        self._done = False

    @property
    def token(self) -> str | None:
        """The `$deltatoken` to start the next round from (None until the round is complete)."""
        return delta_token(self.delta_link) if self.delta_link else None

    async def __aiter__(self) -> AsyncIterator[T | Removed]:
        if self._done:
            raise RuntimeError("a Delta round is iterated once; start the next with track_changes(token=delta.token)")
        query = self._query
        client = query._client
        headers = dict(query._headers() or {})
        headers["Prefer"] = merge_prefer([headers.get("Prefer", ""), "odata.track-changes"])
        if self.checkpoint is not None:
            url = self.checkpoint  # a round that failed part way goes on where it stopped
        elif self._start_link is not None:
            url = self._start_link
        elif self._start_token is not None:
            url = query.deltatoken(self._start_token)._ready()
        else:
            url = query._ready()
        converter = client.converter
        item_type = query._type
        key_names = tuple(w for w, _ in getattr(type(query), "KEY", ()))

        def decode(entries: list[Any], source: ResponseSource | None) -> list[Any]:
            out = []
            for index, entry in enumerate(entries):
                removed = _removed(entry, key_names) if isinstance(entry, Mapping) else None
                out.append(removed if removed is not None
                           else converter.structure(entry, item_type, source=source, index=index))
            return out

        pages = iterate_pages(client, url, headers, decode)
        self.checkpoint = pages.checkpoint
        async for page in pages:
            if self.tracked is None:
                applied = page.headers.get("Preference-Applied", "")
                self.tracked = "odata.track-changes" in applied.lower()
            for item in page.items:
                yield item
            # Only once the whole page is delivered does the round move past it.
            self.checkpoint = pages.checkpoint
            if page.delta_link is not None:
                self.tracked = True
                self.delta_link = page.delta_link
        self.checkpoint = None
        self._done = True

    async def collect(self) -> list[T | Removed]:
        """Run the round and return its changes."""
        return [change async for change in self]
