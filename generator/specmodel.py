"""What an API reference page says about operations, independent of the page's language.

:mod:`generator.spectables` reads pages into these classes; :mod:`generator.merge` matches
them with the `$metadata` model.  Every name here is the *canonical* one: the wire name the
request line or the JSON samples use (``event_id``, ``Comment``, ``Prefer``), never a
translation (``ID_événement``, ``Commentaire``, ``Préférez``); the text as printed on the
page is kept in ``written``.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from .errors import format_location

__all__ = ["SpecError", "SpecHeader", "SpecOperation", "SpecParam", "SpecSample", "Location"]

Location = Literal["path", "query", "header", "body"]


class SpecError(Exception):
    """A page that cannot be read into operations, with page and line."""

    def __init__(self, message: str, *, page: str, line: int | None = None) -> None:
        self.message = " ".join(message.split())
        self.page = page
        self.line = line
        super().__init__(format_location(page, line, None, self.message))


@attrs.frozen
class SpecParam:
    """One parameter of an operation, as a parameter table or a request line states it."""

    name: str  # canonical: as in the URL template, the header, or the JSON body
    location: Location
    # Normalised type: "Edm.String", "Edm.Boolean", "Edm.Int32", "Edm.DateTimeOffset",
    # "Edm.Binary", ... for primitives; a bare type name for linked complex or entity types
    # ("Recipient", "DateTimeTimeZone"); "Collection(...)" around either; None when unknown.
    type: str | None
    required: bool | None = None  # None: the page does not say
    default: str | None = None
    description: str = ""
    written: str = ""  # the name as printed on the page (may be a translation)
    line: int = 0


@attrs.frozen
class SpecHeader:
    """A request header the page shows or lists (``Prefer: outlook.timezone="..."``)."""

    name: str  # canonical header name: "Prefer", "Authorization", "Content-Type"
    value: str  # as written; placeholders kept ("odata.maxpagesize={x}")
    line: int = 0


@attrs.frozen
class SpecSample:
    """One JSON body (or a bodiless request line) shown as an example of the operation."""

    kind: Literal["request", "response"]
    line: int
    method: str | None  # for requests: the sample's request line
    url: str | None  # full sample URL as written (sample ids, not placeholders)
    body: Any  # parsed JSON, or None for a request without a body
    headers: tuple[SpecHeader, ...] = ()
    status: int | None = None  # for responses, when the page gives one
    #: For responses, what the page's annotation says: the type (``microsoft.graph.event``), whether
    #: the body is a collection of it, whether the sample is truncated.
    odata_type: str | None = None
    collection: bool | None = None
    truncated: bool = False


@attrs.frozen
class SpecOperation:
    """One request line of a page (an operation reached through one URL template)."""

    page: str  # the page's file name (for messages)
    line: int  # line of the request line
    service: str  # "outlook" or "graph" (from the host), or the host itself
    version: str  # "v1.0", "v2.0", "beta"
    method: str  # "GET", "POST", "PATCH", "PUT", "DELETE"
    host: str  # "https://outlook.office.com"
    prefix: str  # "/api/v2.0" or "/v1.0": the part between host and resource path
    path: str  # "/me/events/{event_id}/accept": placeholders in braces, as written
    query: tuple[tuple[str, str], ...] = ()  # from the request line: (name, value template)
    params: tuple[SpecParam, ...] = ()
    headers: tuple[SpecHeader, ...] = ()
    scopes: tuple[str, ...] = ()  # minimum permission scopes, as written
    status: int | None = None  # success status (200, 201, 202, 204)
    title: str = ""  # heading of the section the operation belongs to
    anchor: str = ""  # the section's anchor (`<a name="AcceptEvent">`), language-neutral
    samples: tuple[SpecSample, ...] = ()
    #: The permissions table's scopes by permission type: ("delegated-work" | "delegated-personal" |
    #: "application", scopes from least to most privileged), in that order; () when the page has none.
    permissions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Query options the page documents without the request line naming them: an optional part of the
    #: line ("[?includeIDs=true]"), rows of a query-parameter table (``$deltatoken``); not parameters.
    query_options: tuple[SpecParam, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """(version, method, path): what identifies the operation across languages."""
        return (self.version, self.method, self.path)

    def where(self) -> str:
        """``page:line`` for messages."""
        return f"{self.page}:{self.line}"

    def param(self, name: str) -> SpecParam | None:
        """The parameter with this canonical name, if the page lists it."""
        for p in self.params:
            if p.name == name:
                return p
        return None
