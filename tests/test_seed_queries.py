"""Every request line with query options on the seed pages is reproduced with the query builder.

The four pages in ../shared/seeds are scanned for request lines (``GET https://...?...`` in
syntax blocks, samples, indented code and table cells, and the ``requestUrl`` of the v1.0
"API explorer" blocks).  Each line is looked up in a table of builder expressions, keyed by
the method and the URL after the service root, and the builder's path and decoded query
options must equal the page's, with only the normalisations listed under "Normalisations".
Outlook lines (beta, v2.0, v1.0) are built with the bundled ``outlook_v2`` package, Graph lines
with ``graph_v1``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pytest

from odatakit.builders import CollectionRequest, EntityRequest, RequestBase
from odatakit.client import Client, Response

from .conftest import SHARED, shared_file

if TYPE_CHECKING:
    from graph_v1 import GraphClient
    from outlook_v2 import OutlookClient

SEEDS = SHARED / "seeds"
PAGES = ("000_4f943cbb13d26cd2.txt", "001_f9e9bf820bf01100.txt", "002_a70b48ea29734876.txt", "003_07f9522caa828b14.txt")

# --- Finding request lines ------------------------------------------------------------------

_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
# A line holding only a request: leading indentation, block quotes, table pipes and inline-code
# ticks are tolerated, the URL may contain spaces ("{id | userPrincipalName}"), and a trailing
# "HTTP/1.1" is not part of it.
_REQUEST_LINE = re.compile(
    rf"^[\s|>`*]*(?P<method>{_METHODS})\s+(?P<url>(?:https?:/|/)\S.*?)(?:\s+HTTP/\d(?:\.\d)?)?[\s`|]*$"
)
# A request inside a line (a table cell after a label, inline code in prose): the URL ends at
# a space, a tick or a pipe.
_INLINE_REQUEST = re.compile(rf"(?<![\w/])(?P<method>{_METHODS})\s+(?P<url>(?:https?:/|/)[^\s`|]+)")
# The v1.0 "API explorer" blocks describe a request as JSON: {"method": ..., "requestUrl": ...}.
_EXPLORER_METHOD = re.compile(rf'^\s*"method"\s*:\s*"(?P<method>{_METHODS})"')
_EXPLORER_URL = re.compile(r'^\s*"requestUrl"\s*:\s*"(?P<url>[^"]*)"')
_FENCE = re.compile(r"^\s*(```|~~~)")
_SECTION = re.compile(r"\[!INCLUDE\s*\[\s*(?P<edge>BEGIN|END)\s+Outlook\s+(?P<version>beta|v\d)\s+section", re.I)
# "https:/outlook..." (one slash) is a typo found on the pages; it still names the service.
_ROOT = re.compile(
    r"^https?:/+(?P<host>outlook\.office\.com/api|graph\.microsoft\.com)/(?P<version>beta|v\d+\.\d+)(?:/|$)", re.I
)
_SERVICE_OF_HOST = {"outlook.office.com/api": "outlook", "graph.microsoft.com": "graph"}

# Every other service URL with a query on the pages is not a request: the guard test checks it.
_NOT_REQUESTS = {
    "@odata.deltaLink": "a link inside a sync response body",
    "@odata.nextLink": "a link inside a sync response body",
    "resourceFormat": "the URL template of an API explorer block; its requestUrl is the request",
}
_SERVICE_URL_WITH_QUERY = re.compile(r"https?:/+(?:outlook\.office\.com/api|graph\.microsoft\.com)/\S*\?")
_JSON_KEY = re.compile(r'^\s*"(?P<key>[^"]+)"\s*:')


@dataclass(frozen=True)
class RequestLine:
    """One request line of a page: where it is, its method and URL as written, and its service."""

    page: str
    line: int
    method: str
    url: str
    service: str
    version: str | None
    section: str | None

    @property
    def relative(self) -> str:
        """The URL after the service root, as written."""
        match = _ROOT.match(self.url)
        return self.url[match.end() :] if match else self.url.lstrip("/")

    @property
    def key(self) -> str:
        """The table key: method and the URL after the service root (shared by versions and translations)."""
        return f"{self.method} {self.relative}"

    @property
    def where(self) -> str:
        """``page:line`` for messages and test ids."""
        return f"{self.page}:{self.line}"


def _page_service(lines: list[str]) -> str:
    """The service of a page's relative request lines: the one its absolute URLs name."""
    for text in lines:
        found = re.search(r"https?:/+(outlook\.office\.com/api|graph\.microsoft\.com)/", text, re.I)
        if found:
            return _SERVICE_OF_HOST[found.group(1).lower()]
    return ""


def request_lines(path: Path) -> list[RequestLine]:
    """Every request line of a page whose URL has a query string, in page order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page_service = _page_service(lines)
    found: list[RequestLine] = []
    section: str | None = None
    explorer_method: str | None = None
    for number, text in enumerate(lines, start=1):
        marker = _SECTION.search(text)
        if marker:
            begin = marker.group("edge").upper() == "BEGIN"
            version = marker.group("version").lower()
            section = (version if version == "beta" else f"{version}.0") if begin else None
            continue
        if _FENCE.match(text):
            explorer_method = None
        method_match = _EXPLORER_METHOD.match(text)
        if method_match:
            explorer_method = method_match.group("method")
            continue
        whole = _REQUEST_LINE.match(text)
        requests = [whole] if whole else list(_INLINE_REQUEST.finditer(text))
        pairs = [(r.group("method"), r.group("url")) for r in requests]
        explorer = _EXPLORER_URL.match(text)
        if explorer and explorer_method:
            pairs = [(explorer_method, explorer.group("url"))]
        for method, url in pairs:
            if "?" not in url:
                continue
            root = _ROOT.match(url)
            service = _SERVICE_OF_HOST[root.group("host").lower()] if root else page_service
            version = root.group("version") if root else None
            found.append(RequestLine(path.name, number, method, url, service, version, section))
    return found


def unexplained_query_urls(path: Path, requests: list[RequestLine]) -> list[str]:
    """Service URLs with a query that are neither an enumerated request line nor a known non-request."""
    taken = Counter(r.line for r in requests if _ROOT.match(r.url))
    out: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if len(_SERVICE_URL_WITH_QUERY.findall(text)) <= taken[number]:
            continue
        key = _JSON_KEY.match(text)
        if key and key.group("key") in _NOT_REQUESTS:
            continue
        out.append(f"{path.name}:{number}: {text.strip()}")
    return out


def all_request_lines() -> list[RequestLine]:
    """The request lines of all seed pages (empty when ../shared is absent)."""
    if not SEEDS.is_dir():
        return []
    return [line for page in PAGES for line in request_lines(SEEDS / page)]


# --- Placeholders -----------------------------------------------------------------------------
# The pages write URL templates ("{start_datetime}"); both sides get the same concrete value.
# Page side: the text below replaces the placeholder.  Builder side: the constant next to it.
# The ids and tokens are the pages' own sample values, so templates and samples look alike.

START = datetime(2014, 10, 1, 1, 0, tzinfo=UTC)  # {start_datetime}
END = datetime(2014, 10, 31, 23, 0, tzinfo=UTC)  # {end_datetime}
CALENDAR_ID = "AAMkAGI2TGuLAAA="  # {calendar_id}: the page's "get a calendar" sample
EVENT_ID = "AAMkAGI2TG93AAA="  # {event_id}: the page's "get an event" sample
DELTA_TOKEN = "v2,H4roCAAA=,1.0,False,A00,"  # {delta_token}: the page's @odata.deltaLink token
SKIP_TOKEN = "530c9d02ae1a4d96804538bd4d381546"  # {skip_token}: the page's @odata.nextLink token

PLACEHOLDERS = {
    "{start_datetime}": "2014-10-01T01:00:00Z",
    "{end_datetime}": "2014-10-31T23:00:00Z",
    "{calendar_id}": CALENDAR_ID,
    "{event_id}": EVENT_ID,
    # The parameter tables say user_context is "me" or "users/{upn}"; "me" is client.me.
    "{user_context}": "me",
    # A token stands for its URL form, as the page's own second sync request writes it.
    "{delta_token}": quote(DELTA_TOKEN, safe=""),
    "{skip_token}": SKIP_TOKEN,
}


def fill_placeholders(url: str) -> str:
    """The URL with every documented placeholder replaced by its concrete value."""
    for placeholder, value in PLACEHOLDERS.items():
        url = url.replace(placeholder, value)
    leftover = re.findall(r"\{[^}]*\}", url)
    assert not leftover, f"no concrete value for {leftover} in {url}: add it to PLACEHOLDERS"
    return url


# --- Normalisations ---------------------------------------------------------------------------
# The only differences tolerated between a page and the builder.  Property names, option
# values and literals are compared exactly.
#
# (a) Outlook REST path names (singletons, navigation properties) are compared ignoring case:
#     the builder writes the metadata's "Me/CalendarView", the pages "me/calendarview", and the
#     Outlook service resolves path names case-insensitively.  Key values keep their case.
# (b) A parenthesised string key, "calendars('X')", equals the key segment "calendars/X" that
#     the bundled packages use (--key-as-segment): both services accept both forms, and the
#     pages themselves write the same request both ways (events/{event_id}/accept and
#     events('AAMk...')/accept).
# (c) System query option names are compared ignoring case ("$Select" on the POST samples):
#     OData 4.01 URL conventions require case-insensitive system query option names, and the
#     Outlook pages use $Select and $select interchangeably.
# (e) Custom option names are compared ignoring case too: the sync samples write
#     "startdatetime" where the syntax lines (and the spec-driven calendar_view()) write
#     "startDateTime"; the service's own @odata.deltaLink uses the lower-case form, so the
#     service reads them case-insensitively.
# (d) Canonical function names in $filter / $orderby are compared ignoring case: the Graph page
#     writes "startsWith", the builder the OData spelling "startswith"; Graph documents and
#     accepts both spellings.  Only names of OData canonical functions are affected.

_CANONICAL_FUNCTIONS = frozenset(
    "contains endswith startswith length indexof substring matchespattern tolower toupper trim concat "
    "year month day hour minute second fractionalseconds totalseconds date time totaloffsetminutes "
    "mindatetime maxdatetime now round floor ceiling cast isof".split()
)
_CALL = re.compile(r"\b(?P<name>[A-Za-z]+)(?=\()")
_STRING_KEY = re.compile(r"^(?P<name>[^()]+)\('(?P<key>(?:[^']|'')*)'\)$")


def _path_names(client: Client, roots: tuple[str, ...], models: Any) -> dict[str, str]:
    """Lower-cased → metadata spelling of the singletons, entity sets and navigation properties."""
    names = set(roots)
    registry = type(client).REGISTRY
    for obj in vars(models).values():
        if isinstance(obj, type) and "__odata_type__" in vars(obj):
            names.update(f.wire for f in registry.info_of(obj).fields if f.navigation)
    folded = {name.lower(): name for name in names}
    assert len(folded) == len(names), "two metadata names differ only in case: normalisation (a) is ambiguous"
    return folded


def page_path(relative_path: str, service: str, names: dict[str, str]) -> list[str]:
    """The page's decoded path segments, with normalisations (a) and (b) applied."""
    segments: list[str] = []
    for raw in unquote(relative_path).split("/"):
        keyed = _STRING_KEY.match(raw)
        if keyed:  # (b)
            segments += [keyed.group("name"), keyed.group("key").replace("''", "'")]
        else:
            segments.append(raw)
    if service == "outlook":  # (a)
        segments = [names.get(s.lower(), s) for s in segments]
    return segments


def query_options(query: str) -> dict[str, str]:
    """Decoded query options, name → value, with normalisations (c) and (d) applied."""
    options: dict[str, str] = {}
    for part in query.split("&") if query else []:
        raw_name, _, raw_value = part.partition("=")
        name, value = unquote(raw_name), unquote(raw_value)
        name = name.lower()  # (c), (e)
        if name in ("$filter", "$orderby"):  # (d)
            value = _CALL.sub(
                lambda m: m.group("name").lower() if m.group("name").lower() in _CANONICAL_FUNCTIONS else m.group(0),
                value,
            )
        assert name not in options, f"query option {name} given twice in {query}"
        options[name] = value
    return options


# --- Builder expressions ------------------------------------------------------------------------
# Key: method and URL after the service root, exactly as the pages write them (the same key
# serves beta, v2.0 and v1.0 and both translations).  Value: the builder expression.

Build = Callable[[Any], RequestBase]

# The v1.0 explorer block for "get an event" uses the full id of its sample event.
V1_EVENT_ID = (
    "AAMkAGI2NGVhZTVlLTI1OGMtNDI4My1iZmE5LTA5OGJiZGEzMTc0YQBGAAAAAADUuTJK1K9aTpCdqXop_4NaBwCd9nJ-tVysQos2hTfspa"
    "WRAAAAAAENAACd9nJ-tVysQos2hTfspaWRAAADTG93AAA="
)
_SYNC_START = datetime(2015, 1, 1, tzinfo=UTC)
_SYNC_END = datetime(2015, 4, 10, tzinfo=UTC)
_WINDOW = "startDateTime={start_datetime}&endDateTime={end_datetime}"


def outlook_table() -> dict[str, Callable[[OutlookClient], RequestBase]]:
    """Builder expressions for the Outlook REST request lines (beta, v2.0, v1.0)."""
    from outlook_v2 import Event

    return {
        f"GET me/calendarview?{_WINDOW}": lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END),
        f"GET me/calendars/{{calendar_id}}/calendarview?{_WINDOW}": (
            lambda c: c.me.calendars[CALENDAR_ID].calendar_view(start_date_time=START, end_date_time=END)
        ),
        # Documentation typo (v1.0 syntax block): "start"/"end" instead of the startDateTime /
        # endDateTime that the next syntax line and the sample use.  The spec-driven
        # calendar_view() requires the real names, so the line is reproduced from the bare
        # navigation, which the generated method wraps.
        "GET me/calendarview?start={start_datetime}&end={end_datetime}": (
            lambda c: c.me._nav("CalendarView", "Microsoft.OutlookServices.Event", True).params(start=START, end=END)
        ),
        "GET me/calendarview?startDateTime=2014-10-01T01:00:00Z&endDateTime=2014-10-31T23:00:00Z&$select=Subject": (
            lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END).select(Event.subject)
        ),
        # The v2.0 sample drops the "Z" its beta and v1.0 twins have.  The builder refuses naive
        # datetimes for custom options (the offset must be explicit), so the values are the
        # page's text.
        "GET me/calendarview?startDateTime=2014-10-01T01:00:00&endDateTime=2014-10-31T23:00:00&$select=Subject": (
            lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END).params(
                startDateTime="2014-10-01T01:00:00", endDateTime="2014-10-31T23:00:00"
            ).select(Event.subject)
        ),
        "GET me/events?$select=Subject,Organizer,Start,End": (
            lambda c: c.me.events.select(Event.subject, Event.organizer, Event.start, Event.end)
        ),
        "GET me/events/AAMkAGI2TG93AAA=?$select=Subject,Organizer,Start,End": (
            lambda c: c.me.events["AAMkAGI2TG93AAA="].select(Event.subject, Event.organizer, Event.start, Event.end)
        ),
        f"GET me/events/{V1_EVENT_ID}?$select=Subject,Organizer,Start,End": (
            lambda c: c.me.events[V1_EVENT_ID].select(Event.subject, Event.organizer, Event.start, Event.end)
        ),
        f"GET me/events/{{event_id}}/instances?{_WINDOW}": (lambda c: c.me.events[EVENT_ID].instances(start_date_time=START, end_date_time=END)),
        "GET me/events/AAMkAGE0MGM1Y2M5LWEAAA=/instances"
        "?startDateTime=2014-10-01T01:00:00Z&endDateTime=2014-10-31T23:00:00Z&$select=Subject,Start,End": (
            lambda c: (
                c.me.events["AAMkAGE0MGM1Y2M5LWEAAA="]
                .instances(start_date_time=START, end_date_time=END)
                .select(Event.subject, Event.start, Event.end)
            )
        ),
        "GET me/events('AAMkAGE1Mbs88AADggYEcAAA=')?$expand=attachments": (
            lambda c: c.me.events["AAMkAGE1Mbs88AADggYEcAAA="].expand(Event.attachments)
        ),
        # Synchronisation: {user_context} is "me" (see PLACEHOLDERS).
        f"GET {{user_context}}/calendarview?{_WINDOW}": lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END),
        f"GET {{user_context}}/calendarview?{_WINDOW}&$deltatoken={{delta_token}}": (
            lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END).deltatoken(DELTA_TOKEN)
        ),
        f"GET {{user_context}}/calendarview?{_WINDOW}&$skiptoken={{skip_token}}": (
            lambda c: c.me.calendar_view(start_date_time=START, end_date_time=END).skiptoken(SKIP_TOKEN)
        ),
        f"GET {{user_context}}/calendars('{{calendar_id}}')/calendarview?{_WINDOW}": (
            lambda c: c.me.calendars[CALENDAR_ID].calendar_view(start_date_time=START, end_date_time=END)
        ),
        f"GET {{user_context}}/calendars('{{calendar_id}}')/calendarview?{_WINDOW}&$deltatoken={{delta_token}}": (
            lambda c: c.me.calendars[CALENDAR_ID].calendar_view(start_date_time=START, end_date_time=END).deltatoken(DELTA_TOKEN)
        ),
        f"GET {{user_context}}/calendars('{{calendar_id}}')/calendarview?{_WINDOW}&$skiptoken={{skip_token}}": (
            lambda c: c.me.calendars[CALENDAR_ID].calendar_view(start_date_time=START, end_date_time=END).skiptoken(SKIP_TOKEN)
        ),
        # The sync samples spell the custom options in lower case (so does the service's own
        # @odata.deltaLink); option names compare case-insensitively, normalisation (c).
        "GET me/calendarview?startdatetime=2015-01-01T00:00:00Z&enddatetime=2015-04-10T00:00:00Z": (
            lambda c: c.me.calendar_view(start_date_time=_SYNC_START, end_date_time=_SYNC_END)
        ),
        "GET me/calendarview?startdatetime=2015-01-01T00:00:00Z&enddatetime=2015-04-10T00:00:00Z"
        "&$deltatoken=v2%2cH4roCAAA%3d%2c1.0%2cFalse%2cA00%2c": (
            lambda c: c.me.calendar_view(start_date_time=_SYNC_START, end_date_time=_SYNC_END).deltatoken(
                DELTA_TOKEN
            )
        ),
        # Create / update with $select: the options shape the entity sent back.
        "POST me/events?$Select=Start,End": lambda c: c.me.events.select(Event.start, Event.end),
        "PATCH me/events/AAMkAGE1MFKPQWAAA=?$select=Location": (
            lambda c: c.me.events["AAMkAGE1MFKPQWAAA="].select(Event.location)
        ),
    }


def graph_table() -> dict[str, Callable[[GraphClient], RequestBase]]:
    """Builder expressions for the Microsoft Graph request lines."""
    from graph_v1 import Event

    return {
        "GET me/calendar/events?$filter=startsWith(subject,'All')": (
            lambda c: c.me.calendar.events.filter(Event.subject.startswith("All"))
        ),
    }


# Lines the builder does not reproduce today: key → (exception the check raises, why).  The
# marks are strict, so a line that starts passing (or fails differently) is reported.
EXPECTED_FAILURES: dict[str, tuple[type[BaseException], str]] = {
    # A beta sample: beta names properties in camelCase ("attachments"; the response shows "id",
    # "createdDateTime"), while outlook_v2 is generated from the v2.0 metadata ("Attachments").
    # Property names are not normalised, so the texts differ; the project has no beta metadata.
    "GET me/events('AAMkAGE1Mbs88AADggYEcAAA=')?$expand=attachments": (
        AssertionError,
        "beta's camelCase 'attachments' vs the v2.0 model's 'Attachments'",
    ),
}


# --- Clients ------------------------------------------------------------------------------------


@dataclass
class Service:
    """A client for one request line, with what comparing its paths needs."""

    client: Client
    table: dict[str, Build]
    names: dict[str, str]
    root: str
    make_entity: Callable[[], Any]


def service_for(line: RequestLine) -> Service:
    """The bundled client (no network) whose service root is the line's."""
    if line.service == "outlook":
        import outlook_v2.models
        from outlook_v2 import OutlookClient

        root = f"https://outlook.office.com/api/{line.version or 'v2.0'}"
        outlook = OutlookClient(root, None)
        roots = (outlook.me.path, outlook.users.path)
        table: dict[str, Build] = dict(outlook_table())
        return Service(outlook, table, _path_names(outlook, roots, outlook_v2.models), root, outlook_v2.models.Event)
    if line.service == "graph":
        import graph_v1.models
        from graph_v1 import GraphClient

        root = f"https://graph.microsoft.com/{line.version or 'v1.0'}"
        graph = GraphClient(root, None)
        return Service(graph, dict(graph_table()), {}, root, graph_v1.models.Event)
    raise AssertionError(f"{line.where}: no bundled package for the service of {line.url}")


def split_url(url: str) -> tuple[str, str]:
    """(path, query) of a relative URL."""
    path, _, query = url.partition("?")
    return path, query


# --- Tests ----------------------------------------------------------------------------------------

LINES = all_request_lines()


def _params() -> list[Any]:
    """One pytest param per request line (or one that skips when ../shared is absent)."""
    if not LINES:
        return [pytest.param(None, id="seeds-absent")]
    params: list[Any] = []
    for line in LINES:
        marks = []
        if line.key in EXPECTED_FAILURES:
            raises, reason = EXPECTED_FAILURES[line.key]
            marks.append(pytest.mark.xfail(strict=True, raises=raises, reason=reason))
        params.append(pytest.param(line, id=line.where, marks=marks))
    return params


def _require_seeds(line: RequestLine | None) -> RequestLine:
    shared_file("seeds")
    assert line is not None
    return line


def _expected(line: RequestLine, names: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    path, query = split_url(fill_placeholders(line.relative))
    return page_path(path, line.service, names), query_options(query)


def _actual(url: str) -> tuple[list[str], dict[str, str]]:
    path, query = split_url(url)
    return unquote(path).split("/"), query_options(query)


@pytest.mark.parametrize("line", _params())
def test_request_line_is_built(bundled: None, line: RequestLine | None) -> None:
    """The builder expression of a request line gives the page's path and query options."""
    line = _require_seeds(line)
    service = service_for(line)
    build = service.table.get(line.key)
    assert build is not None, f"{line.where}: no builder expression for {line.key!r}"
    query = build(service.client)
    assert query.absolute_url.startswith(service.root + "/")
    assert _actual(query.url) == _expected(line, service.names), f"{line.where}: {line.method} {line.url}"


@pytest.mark.parametrize("line", _params())
async def test_request_line_is_sent(bundled: None, line: RequestLine | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running the expression (get / create / update) sends the page's method, path and options."""
    line = _require_seeds(line)
    service = service_for(line)
    build = service.table.get(line.key)
    assert build is not None, f"{line.where}: no builder expression for {line.key!r}"
    query = build(service.client)
    sent: list[tuple[str, str]] = []

    async def record(method: str, path: str, *, json_body: Any = None, headers: Any = None) -> Response:
        # Pages are fetched by their absolute link (the checkpoint), single requests by their path.
        sent.append((method, path.removeprefix(service.client.base_url + "/")))
        if method != "GET":
            return Response(200, {}, None)
        return Response(200, {}, {"value": []} if isinstance(query, CollectionRequest) else {})

    monkeypatch.setattr(service.client, "send", record)
    if line.method == "GET" and isinstance(query, CollectionRequest | EntityRequest):
        await query.get()
    elif line.method == "POST" and isinstance(query, CollectionRequest):
        await query.create(service.make_entity())
    elif line.method == "PATCH" and isinstance(query, EntityRequest):
        await query.update(service.make_entity())
    else:
        raise AssertionError(f"{line.where}: no builder operation sends {line.method} to {type(query).__name__}")
    assert [method for method, _ in sent] == [line.method]
    assert _actual(sent[0][1]) == _expected(line, service.names), f"{line.where}: {line.method} {line.url}"


def _lines_or_skip() -> list[RequestLine]:
    shared_file("seeds")
    return LINES


def test_every_request_line_has_an_entry_and_every_entry_is_used(bundled: None) -> None:
    """The tables cover exactly the request lines of the pages: a new or changed line fails here."""
    lines = _lines_or_skip()
    for service, keys in (("outlook", set(outlook_table())), ("graph", set(graph_table()))):
        wanted = {line.key for line in lines if line.service == service}
        missing = sorted(
            f"{line.where}: {line.key}" for line in lines if line.service == service and line.key not in keys
        )
        assert not missing, "request lines without a builder expression:\n" + "\n".join(missing)
        assert not keys - wanted, f"{service} entries no page line uses: {sorted(keys - wanted)}"
    services = {line.service for line in lines}
    assert services <= {"outlook", "graph"}, f"request lines of an unknown service: {services}"
    assert not set(EXPECTED_FAILURES) - {line.key for line in lines}, "an expected failure names no page line"


def test_no_query_url_is_overlooked() -> None:
    """Every service URL with a query on the pages is an enumerated request line or a known non-request."""
    _lines_or_skip()
    leftovers = [u for page in PAGES for u in unexplained_query_urls(SEEDS / page, request_lines(SEEDS / page))]
    assert not leftovers, "service URLs with a query that are not enumerated:\n" + "\n".join(leftovers)


def test_request_lines_sit_in_their_version_section() -> None:
    """An Outlook request line inside a version section names that version in its URL."""
    lines = _lines_or_skip()
    wrong = [
        f"{line.where}: section {line.section}, URL {line.version}"
        for line in lines
        if line.section is not None and line.section != line.version
    ]
    assert not wrong


def test_placeholders_are_all_used() -> None:
    """Every placeholder value is needed by some page line (so the mapping stays minimal)."""
    lines = _lines_or_skip()
    unused = [p for p in PLACEHOLDERS if not any(p in line.url for line in lines)]
    assert not unused


def _counts() -> Iterator[tuple[str, int]]:
    for page in PAGES:
        yield page, sum(1 for line in LINES if line.page == page)


# Counted by hand with grep: FR and JA have the same 53 syntax / sample lines with a query,
# FR adds two v1.0 API explorer blocks ("requestUrl"); create-event (Graph) has none with a query.
EXPECTED_COUNTS = {
    "000_4f943cbb13d26cd2.txt": 55,
    "001_f9e9bf820bf01100.txt": 0,
    "002_a70b48ea29734876.txt": 1,
    "003_07f9522caa828b14.txt": 53,
}


def test_request_line_counts_per_page() -> None:
    """The scanner finds the number of lines a hand count gives on each page."""
    _lines_or_skip()
    assert dict(_counts()) == EXPECTED_COUNTS


_SYNTHETIC_PAGE = """\
[!INCLUDE [BEGIN Outlook v2 section](x)]
```no-highlight
GET https://outlook.office.com/api/v2.0/me/events?$top=1
GET https://outlook.office.com/api/v2.0/me/events
```
    GET https://outlook.office.com/api/v2.0/me/calendarview?startdatetime=x HTTP/1.1
|Request|`PATCH https://outlook.office.com/api/v2.0/me/events/a?$select=Location`|`GET /me/events?$top=2`|
```REST-i
{
    "method": "POST",
    "resourceFormat": "https://outlook.office.com/api/v2.0/me/events?$select=Start",
    "requestUrl": "https://outlook.office.com/api/v2.0/me/events?$select=Start",
    "responseBody": {"@odata.nextLink": "https://outlook.office.com/api/v2.0/me/events?$skip=10"}
}
```
[!INCLUDE [END Outlook v2 section](x)]
GET /me/calendar/events?$filter=startsWith(subject,'All')
Prose mentioning https://outlook.office.com/api/v2.0/me/events?$top=5 mid-sentence.
"""


def test_scanner_on_a_synthetic_page(tmp_path: Path) -> None:
    """The scanner finds request lines in every format the pages use, and the guard flags the rest."""
    page = tmp_path / "page.txt"
    page.write_text(_SYNTHETIC_PAGE, encoding="utf-8")
    found = request_lines(page)
    assert [(r.line, r.method, r.key, r.service, r.version, r.section) for r in found] == [
        (3, "GET", "GET me/events?$top=1", "outlook", "v2.0", "v2.0"),
        (6, "GET", "GET me/calendarview?startdatetime=x", "outlook", "v2.0", "v2.0"),
        (7, "PATCH", "PATCH me/events/a?$select=Location", "outlook", "v2.0", "v2.0"),
        (7, "GET", "GET me/events?$top=2", "outlook", None, "v2.0"),
        (12, "POST", "POST me/events?$select=Start", "outlook", "v2.0", "v2.0"),
        (17, "GET", "GET me/calendar/events?$filter=startsWith(subject,'All')", "outlook", None, None),
    ]
    # The nextLink sits on the responseBody line, not on a line of its own, so it is flagged.
    assert [u.split(":")[1] for u in unexplained_query_urls(page, found)] == ["13", "18"]
