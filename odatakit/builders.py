"""Request builders: the objects behind `client.me.events["id"].attachments`.

Generated builder classes only declare navigation properties, keys and operations; every
request they make goes through the methods here.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from .literals import format_key, literal, quote_segment
from .serde import ODataObject

if TYPE_CHECKING:
    from .client import Client

__all__ = ["CollectionRequest", "EntityRequest", "Param", "RequestBase", "invoke"]

T = TypeVar("T", bound=ODataObject)

# (wire name, value, type name, collection?)
Param = tuple[str, Any, str, bool]


class RequestBase:
    """A service-relative path and the client that sends requests to it."""

    __slots__ = ("_client", "_path", "_type")

    def __init__(self, client: Client, path: str, item_type: type) -> None:
        self._client = client
        self._path = path
        self._type = item_type

    @property
    def path(self) -> str:
        """The service-relative path, percent-encoded."""
        return self._path

    @property
    def url(self) -> str:
        """The absolute URL."""
        return self._client.url_for(self._path)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"

    def _nav(self, wire: str, qualified: str, collection: bool) -> Any:
        registry = self._client.REGISTRY
        builder = registry.builder(qualified, collection)
        item = registry.info(qualified).cls
        return builder(self._client, f"{self._path}/{quote_segment(wire)}", item)

    async def _invoke(
        self,
        kind: str,
        qualified: str,
        params: tuple[Param, ...],
        returns: tuple[str, bool] | None,
    ) -> Any:
        return await invoke(self._client, self._path, kind, qualified, params, returns)


async def invoke(
    client: Client,
    path: str,
    kind: str,
    qualified: str,
    params: tuple[Param, ...],
    returns: tuple[str, bool] | None,
    *,
    import_name: str | None = None,
) -> Any:
    """Call a bound (on `path`) or unbound (`import_name`) action or function; decode the result."""
    config = client.CONFIG
    converter = client.converter
    if import_name is not None:
        segment = quote_segment(import_name)
    else:
        segment = qualified if config.qualified_operations else qualified.rpartition(".")[2]
        segment = quote_segment(segment)
    target = f"{path}/{segment}" if path else segment
    given = [p for p in params if p[1] is not None]
    if kind == "action":
        payload = {wire: converter.unstructure_value(value, type_name, coll) for wire, value, type_name, coll in given}
        response = await client.send("POST", target, json_body=payload)
    else:
        inline = ",".join(
            f"{wire}={_function_literal(converter.unstructure_value(value, type_name, coll), value, type_name, coll, config.qualified_enums)}"
            for wire, value, type_name, coll in given
        )
        response = await client.send("GET", f"{target}({quote_segment(inline)})")
    if returns is None or response.body is None:
        return None
    type_name, collection = returns
    body: Any = response.body
    if collection or type_name.startswith("Edm.") or _is_enum(client, type_name):
        body = body.get("value") if isinstance(body, dict) else body
    return converter.structure_value(body, type_name, collection)


def _is_enum(client: Client, type_name: str) -> bool:
    if type_name.startswith("Edm."):
        return False
    return issubclass(client.REGISTRY.info(type_name).cls, enum.Enum)


def _function_literal(encoded: Any, value: Any, type_name: str, collection: bool, qualified_enums: bool) -> str:
    """Function parameters in the path: primitives as literals, the rest as JSON."""
    if collection or isinstance(encoded, dict):
        return json.dumps(encoded, separators=(",", ":"))
    return literal(value, type_name, qualified_enums=qualified_enums)


class EntityRequest(RequestBase, Generic[T]):
    """One entity: `client.me`, `client.me.events["id"]`."""

    __slots__ = ()

    async def get(self) -> T:
        """Read the entity."""
        response = await self._client.send("GET", self._path)
        result: T = self._client.converter.structure(response.body, self._type)
        return result

    async def update(self, entity: T) -> None:
        """PATCH the entity with the properties set on `entity`."""
        body = self._client.converter.unstructure(entity)
        await self._client.send("PATCH", self._path, json_body=body)

    async def delete(self) -> None:
        """Delete the entity."""
        await self._client.send("DELETE", self._path)


class CollectionRequest(RequestBase, Generic[T]):
    """A collection of entities: `client.users`, `client.me.events`."""

    __slots__ = ()

    #: The key properties of the item type: (wire name, Edm type).
    KEY: ClassVar[tuple[tuple[str, str], ...]] = ()

    def _key_path(self, key: Any) -> str:
        values = key if isinstance(key, tuple) else (key,)
        if len(values) != len(self.KEY):
            names = ", ".join(k for k, _ in self.KEY)
            raise TypeError(f"{type(self).__name__} needs a key of {len(self.KEY)} value(s): {names}")
        triples = tuple((name, value, edm) for (name, edm), value in zip(self.KEY, values, strict=True))
        as_segment = self._client.CONFIG.key_as_segment
        return self._path + format_key(triples, as_segment=as_segment)

    async def get(self) -> list[T]:
        """Read every item, following `@odata.nextLink`."""
        return [item async for item in self]

    async def __aiter__(self) -> AsyncIterator[T]:
        converter = self._client.converter
        next_url: str | None = self._path
        while next_url is not None:
            response = await self._client.send("GET", next_url)
            body = response.body or {}
            for value in body.get("value", []):
                yield converter.structure(value, self._type)
            link = body.get("@odata.nextLink")
            next_url = link if isinstance(link, str) else None

    async def create(self, entity: T) -> T:
        """POST a new entity; return the created entity as the service sends it back."""
        body = self._client.converter.unstructure(entity)
        response = await self._client.send("POST", self._path, json_body=body)
        if response.body is None:
            return entity
        result: T = self._client.converter.structure(response.body, self._type)
        return result
