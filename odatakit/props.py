"""Structural properties as resources: `client.me.prop(User.mailbox_settings).get()`.

OData addresses a property of an entity with a path segment (`/me/mailboxSettings`,
`/me/events/1/subject`, `/subject/$value` for its raw value). `EntityRequest.prop(field)` takes
the typed field (a complex member path such as `User.mailbox_settings.time_zone` too) and returns
one of the requests here, typed by the field: a complex value, a primitive value or a collection.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload
from uuid import UUID

from .errors import MalformedResponse
from .literals import quote_segment
from .query import check_roots
from .serde import FieldSpec, ODataObject

if TYPE_CHECKING:
    from enum import Enum

    from .client import Client, Response
    from .expr import (
        BinaryExpr,
        BoolExpr,
        DateExpr,
        DateTimeExpr,
        DurationExpr,
        EnumExpr,
        GuidExpr,
        NumberExpr,
        StringExpr,
        TimeExpr,
    )
    from .paths import CollectionExpr, ComplexExpr

__all__ = ["CollectionProperty", "ComplexProperty", "PropertyPaths", "ValueProperty"]

V = TypeVar("V")
C = TypeVar("C", bound=ODataObject)
E = TypeVar("E", bound="Enum")


class EntityRequestLike(Protocol):
    """What a property path asks of the entity request it is under (an `EntityRequest`)."""

    _client: Client

    def _headers(self) -> dict[str, str] | None: ...


class _Property:
    """A property path under an entity: where it is, its type, the headers of the entity's request."""

    __slots__ = ("_client", "_path", "_spec", "_hdrs")

    def __init__(self, request: EntityRequestLike, path: str, spec: FieldSpec) -> None:
        self._client = request._client
        self._path = path
        self._spec = spec
        self._hdrs = request._headers()

    @property
    def path(self) -> str:
        """The service-relative path, percent-encoded."""
        return self._path

    @property
    def url(self) -> str:
        """The service-relative URL as it is sent."""
        return self._path

    @property
    def absolute_url(self) -> str:
        """The absolute URL."""
        return self._client.url_for(self._path)

    def __str__(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"

    async def _get(self) -> Any:
        response = await self._client.send("GET", self._path, headers=self._hdrs)
        return self._decode(response, "GET")

    async def _put(self, value: Any) -> None:
        spec = self._spec
        body = self._client.converter.unstructure_value(value, spec.type, spec.collection)
        payload = body if isinstance(value, ODataObject) else {"value": body}
        await self._client.send("PUT", self._path, json_body=payload, headers=self._hdrs)

    def _decode(self, response: Response, method: str) -> Any:
        spec = self._spec
        body = response.body
        if body is None:
            return [] if spec.collection else None
        if not isinstance(body, dict):
            raise MalformedResponse(response.status, f"expected a JSON object, got {str(body)[:200]}",
                                    method=method, url=self.absolute_url, headers=response.headers)
        if spec.collection or spec.type.startswith("Edm.") or spec.enum:
            body = body.get("value")
        else:
            # The context URL describes the response, not the value.
            body = {k: v for k, v in body.items() if k != "@odata.context"}
        try:
            return self._client.converter.structure_value(body, spec.type, spec.collection)
        except (TypeError, ValueError, KeyError) as exc:
            raise MalformedResponse(response.status, f"the body does not fit the model: {exc}", method=method,
                                    url=self.absolute_url, headers=response.headers) from exc


class ValueProperty(_Property, Generic[V]):
    """A primitive or enum property: `client.me.events["1"].prop(Event.subject)`."""

    __slots__ = ()

    async def get(self) -> V | None:
        """Read the value (`{"value": ...}`), typed as the field is."""
        result: V | None = await self._get()
        return result

    async def value(self) -> str:
        """Read the raw value (`.../$value`, `text/plain`) as the service writes it."""
        headers = {**(self._hdrs or {}), "Accept": "text/plain"}
        response = await self._client.request("GET", f"{self._path}/$value", headers=headers)
        charset = "utf-8"
        for part in response.headers.get("Content-Type", "").split(";")[1:]:
            name, _, given = part.strip().partition("=")
            if name.lower() == "charset" and given:
                charset = given.strip('"')
        try:
            return response.body.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise MalformedResponse(response.status, f"the raw value is not {charset} text: {exc}", method="GET",
                                    url=self._client.url_for(f"{self._path}/$value"), headers=response.headers) from exc

    async def replace(self, value: V | None) -> None:
        """Write the value (PUT `{"value": ...}`)."""
        await self._put(value)


class ComplexProperty(_Property, Generic[C]):
    """A complex-typed property: `client.me.prop(User.mailbox_settings)`."""

    __slots__ = ()

    async def get(self) -> C | None:
        """Read the value as its class (a derived class when `@odata.type` says so)."""
        result: C | None = await self._get()
        return result

    async def update(self, value: C) -> C:
        """PATCH the members changed on `value` since it was read (all set ones if built in Python).

        Returns the value the service sent back, else `value` with its changes marked as sent.
        """
        if not isinstance(value, ODataObject):
            raise TypeError(f"update(): expected a {self._spec.type} object, got {type(value).__name__}")
        body = self._client.converter.unstructure_changes(value)
        response = await self._client.send("PATCH", self._path, json_body=body, headers=self._hdrs)
        if isinstance(response.body, dict) and response.body:
            result: C = self._decode(response, "PATCH")
            return result
        from .serde import mark_clean

        mark_clean(value)
        return value

    async def replace(self, value: C) -> None:
        """Write the whole value (PUT): members left unset are reset by the service."""
        if not isinstance(value, ODataObject):
            raise TypeError(f"replace(): expected a {self._spec.type} object, got {type(value).__name__}")
        await self._put(value)


class CollectionProperty(_Property, Generic[V]):
    """A collection-valued property: `client.me.events["1"].prop(Event.attendees)`."""

    __slots__ = ()

    async def get(self) -> list[V]:
        """Read every item, typed as the field's items are."""
        result: list[V] = await self._get()
        return result

    async def replace(self, values: list[V]) -> None:
        """Write the whole collection (PUT `{"value": [...]}`)."""
        spec = self._spec
        body = self._client.converter.unstructure_value(values, spec.type, True)
        await self._client.send("PUT", self._path, json_body={"value": body}, headers=self._hdrs)


class PropertyPaths:
    """`prop(field)` on entity requests (mixed into `EntityRequest`)."""

    __slots__ = ()

    @overload
    def prop(self, field: ComplexExpr[C]) -> ComplexProperty[C]: ...
    @overload
    def prop(self, field: CollectionExpr[ComplexExpr[C]]) -> CollectionProperty[C]: ...
    @overload
    def prop(self, field: CollectionExpr[StringExpr]) -> CollectionProperty[str]: ...
    @overload
    def prop(self, field: CollectionExpr[EnumExpr[E]]) -> CollectionProperty[E]: ...
    @overload
    def prop(self, field: CollectionExpr[Any]) -> CollectionProperty[Any]: ...
    @overload
    def prop(self, field: StringExpr) -> ValueProperty[str]: ...
    @overload
    def prop(self, field: BoolExpr) -> ValueProperty[bool]: ...
    @overload
    def prop(self, field: DateTimeExpr) -> ValueProperty[datetime]: ...
    @overload
    def prop(self, field: DateExpr) -> ValueProperty[date]: ...
    @overload
    def prop(self, field: TimeExpr) -> ValueProperty[time]: ...
    @overload
    def prop(self, field: DurationExpr) -> ValueProperty[timedelta]: ...
    @overload
    def prop(self, field: GuidExpr) -> ValueProperty[UUID]: ...
    @overload
    def prop(self, field: BinaryExpr) -> ValueProperty[bytes]: ...
    @overload
    def prop(self, field: EnumExpr[E]) -> ValueProperty[E]: ...
    @overload
    def prop(self, field: NumberExpr) -> ValueProperty[Any]: ...
    def prop(self, field: Any) -> Any:
        """A structural property of this entity as a resource: `client.me.prop(User.mailbox_settings).get()`.

        `field` is the typed field of the entity's class (or a member path of a complex field,
        `User.mailbox_settings.time_zone`); a field of a derived class adds its type-cast segment.
        """
        request: Any = self
        specs = getattr(field, "_specs", None)
        if specs is None or not isinstance(field._base, type):
            raise TypeError(f"prop({field!r}): expected a property of {request._type.__name__}, such as "
                            f"{request._type.__name__}.x")
        if any(s.navigation for s in specs):
            raise TypeError(f"prop({field!r}): a navigation property is reached as an attribute of the request")
        text = check_roots(field, request._type, "prop")
        path = request.path + "".join("/" + quote_segment(part) for part in text.split("/"))
        last = specs[-1]
        if last.collection:
            return CollectionProperty(request, path, last)
        if last.type.startswith("Edm.") or last.enum:
            return ValueProperty(request, path, last)
        return ComplexProperty(request, path, last)
