"""References (`$ref`): link and unlink entities through navigation properties.

`client.groups["g"].members.ref` lists, adds and removes the references of a collection-valued
navigation; `client.users["u"].manager.ref` reads, sets and deletes a single-valued one, and
`client.groups["g"].members["u"].ref.delete()` removes one item of a collection. A target is an
entity read from the service, the request builder of an entity, an absolute URL, or a key of the
navigation's target type; its `@odata.id` is built from the service root as the OData URL
conventions say, with keys formatted as the client formats them (segments or parentheses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urljoin

from .errors import MalformedResponse
from .literals import quote_segment
from .query import encode_query
from .serde import ODataObject

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Reference", "References", "entity_id"]

#: What a target may be: an entity, the request of one, an absolute URL, or a key (a tuple for composite keys).
Target = Any


class NavigationRequest(Protocol):
    """What references ask of the navigation's request (an `EntityRequest` or `CollectionRequest`)."""

    _client: Client
    _opts: dict[str, str]
    _cpath: str
    _type: type

    @property
    def path(self) -> str: ...

    def _headers(self) -> dict[str, str] | None: ...


def entity_id(client: Client, target: Target, item_type: type) -> str:
    """The absolute entity-id (`@odata.id`) of a target, as a reference body or `$id` carries it."""
    # Request builders say what they address (`_ONE_ENTITY`): refs must not import them (they import refs).
    one_entity = getattr(type(target), "_ONE_ENTITY", None)
    if one_entity is not None:
        if not one_entity or target._opts:
            raise TypeError(f"{target!r}: expected the request of one entity, without query options")
        return client.url_for(target.path)
    if isinstance(target, ODataObject):
        given = target.additional_data.get("@odata.id")
        if isinstance(given, str) and given:
            return urljoin(client.base_url + "/", given)
        return _canonical(client, type(target), _key_of(client, target), f"this {type(target).__name__}")
    if isinstance(target, str) and target[:8].lower().startswith(("http://", "https://")):
        return target
    if isinstance(target, str | int | tuple) and not isinstance(target, bool):
        return _canonical(client, item_type, target, f"the key {target!r}")
    raise TypeError(
        f"{target!r}: expected an entity, the request of an entity, an absolute URL or a key of {item_type.__name__}"
    )


def _key_of(client: Client, entity: ODataObject) -> tuple[Any, ...]:
    builder = _collection_builder(client, type(entity))
    info = client.REGISTRY.info_of(type(entity))
    values = tuple(getattr(entity, info.by_wire[wire].py_name) for wire, _ in builder.KEY)
    if not values or any(v is None for v in values):
        raise ValueError(f"this {type(entity).__name__} has no key (read it from the service, or pass its URL)")
    return values


def _collection_builder(client: Client, cls: type) -> Any:
    try:
        return client.REGISTRY.builder(client.REGISTRY.info_of(cls).qualified, True)
    except KeyError:
        raise TypeError(f"{cls.__name__} is not an entity type of {client.REGISTRY.package}") from None


def _canonical(client: Client, cls: type, key: Any, what: str) -> str:
    """`{service root}/{entity set}/{key}`: the type's (or its closest base's) set or containment path, as emitted."""
    registry = client.REGISTRY
    for klass in cls.__mro__:
        qualified: str = getattr(klass, "__odata_type__", "")
        entity_set = registry.entity_sets.get(qualified)
        if entity_set is not None:
            path = "/".join(quote_segment(part) for part in entity_set.split("/"))
            request = registry.builder(qualified, True)(client, path, klass)
            return client.url_for(request._key_path(key))
    raise TypeError(f"{what}: no entity set holds {cls.__name__}; pass the entity's request or URL")


def _navigation(request: NavigationRequest, what: str) -> None:
    # The capability path grows by one segment per navigation from the entity set or singleton.
    if "/" not in request._cpath:
        raise TypeError(f"{what}: {request.path} is not reached through a navigation property")


class References:
    """The references of a collection-valued navigation: `client.groups["g"].members.ref`."""

    __slots__ = ("_request",)

    def __init__(self, request: NavigationRequest) -> None:
        self._request = request

    @property
    def url(self) -> str:
        """The service-relative URL of the references, with the collection's query options."""
        request = self._request
        return f"{request.path}/$ref" + (f"?{encode_query(request._opts)}" if request._opts else "")

    def __repr__(self) -> str:
        return f"<References {self.url}>"

    async def get(self, *, max_items: int | None = None) -> list[str]:
        """The entity-ids (`@odata.id`) of the linked entities, following `@odata.nextLink`."""
        from .paging import iterate_pages

        request = self._request
        url = self.url

        def decode(values: list[Any], source: Any) -> list[str]:
            return [_id_of(value, url) for value in values]

        found: list[str] = []
        async for page in iterate_pages(request._client, url, request._headers(), decode, max_items=max_items):
            found += page.items
        return found

    async def add(self, target: Target) -> None:
        """Link `target` (POST `.../nav/$ref` with its `@odata.id`)."""
        request = self._request
        _navigation(request, "ref.add()")
        body = {"@odata.id": entity_id(request._client, target, request._type)}
        await request._client.send("POST", f"{request.path}/$ref", json_body=body, headers=request._headers())

    async def remove(self, target: Target) -> None:
        """Unlink `target` (DELETE `.../nav/$ref?$id=...`); `nav[key].ref.delete()` is the form by key."""
        request = self._request
        _navigation(request, "ref.remove()")
        link = quote(entity_id(request._client, target, request._type), safe=_ID_SAFE)
        await request._client.send("DELETE", f"{request.path}/$ref?$id={link}", headers=request._headers())


# What stays readable in the `$id` value: an absolute URL's own delimiters, never `&`, `#`, `+` or `%`.
_ID_SAFE = "/:'(),=@$*!;"


class Reference:
    """The reference to one entity reached through a navigation: `client.users["u"].manager.ref`."""

    __slots__ = ("_request",)

    def __init__(self, request: NavigationRequest) -> None:
        self._request = request

    @property
    def url(self) -> str:
        """The service-relative URL of the reference."""
        return f"{self._request.path}/$ref"

    def __repr__(self) -> str:
        return f"<Reference {self.url}>"

    async def get(self) -> str | None:
        """The entity-id (`@odata.id`) of the linked entity, or None when there is none (204)."""
        request = self._request
        response = await request._client.send("GET", self.url, headers=request._headers())
        return None if response.body is None else _id_of(response.body, self.url)

    async def set(self, target: Target) -> None:
        """Link `target` through a single-valued navigation (PUT `.../nav/$ref`)."""
        request = self._request
        _navigation(request, "ref.set()")
        body = {"@odata.id": entity_id(request._client, target, request._type)}
        await request._client.send("PUT", self.url, json_body=body, headers=request._headers())

    async def delete(self) -> None:
        """Unlink this entity (DELETE `.../nav/$ref` or `.../nav/{key}/$ref`); the entity itself stays."""
        request = self._request
        _navigation(request, "ref.delete()")
        await request._client.send("DELETE", self.url, headers=request._headers())


def _id_of(value: Any, url: str) -> str:
    found = value.get("@odata.id") if isinstance(value, dict) else None
    if not isinstance(found, str):
        raise MalformedResponse(200, f"expected an object with @odata.id, got {str(value)[:200]}", method="GET", url=url)
    return found
