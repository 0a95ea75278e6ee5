"""Tests for generator.spectables: the seed reference pages, and small pages written here."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from generator.errors import Diagnostics
from generator.specmodel import SpecError, SpecOperation, SpecParam
from generator.spectables import read_page, read_pages

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

FRENCH = "000_4f943cbb13d26cd2.txt"  # Outlook Calendar REST reference (beta, v2.0, v1.0), French
GRAPH_CREATE = "001_f9e9bf820bf01100.txt"  # Graph v1.0 "Create event", French, plain text
GRAPH_LIST = "002_a70b48ea29734876.txt"  # Graph beta "List events", French, plain text
JAPANESE = "003_07f9522caa828b14.txt"  # the same Outlook reference, Japanese


class Read(NamedTuple):
    operations: list[SpecOperation]
    warnings: list[str]


@pytest.fixture(scope="module")
def seeds() -> Path:
    """The seed pages folder (../shared/seeds), or skip saying it is missing."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed pages not available: {SEEDS} is missing (the ../shared checkout is not next to the repo)")
    return SEEDS


@pytest.fixture(scope="module")
def read(seeds: Path) -> Callable[[str], Read]:
    """Read a seed page once per module."""
    cache: dict[str, Read] = {}

    def reader(name: str) -> Read:
        if name not in cache:
            diagnostics = Diagnostics()
            operations = read_page(seeds / name, diagnostics)
            cache[name] = Read(operations, diagnostics.format_lines())
        return cache[name]

    return reader


def _one(ops: list[SpecOperation], version: str, method: str, path: str, anchor: str | None = None) -> SpecOperation:
    found = [o for o in ops if o.key == (version, method, path) and (anchor is None or o.anchor == anchor)]
    assert len(found) == 1, f"{len(found)} operations for {version} {method} {path} {anchor or ''}"
    return found[0]


def _param(op: SpecOperation, name: str, location: str | None = None) -> SpecParam:
    found = [p for p in op.params if p.name == name and (location is None or p.location == location)]
    assert len(found) == 1, f"{op.where()}: {len(found)} parameters named {name}"
    return found[0]


def _params(op: SpecOperation) -> list[tuple[str, str, str | None, bool | None]]:
    return sorted((p.name, p.location, p.type, p.required) for p in op.params)


def _headers(op: SpecOperation) -> set[tuple[str, str]]:
    return {(h.name, h.value) for h in op.headers}


# --- 3. how many operations each page documents ------------------------------------------

# Checked by hand: the Outlook pages have 43/40/37 request lines in ```no-highlight fences per
# version section (beta/v2/v1), the same in both translations.  One per version is the client
# library section ("GetEventsClient") pointing back at the instances request line without a
# table: it repeats an operation and adds none.  The three attachment sections (file, item,
# reference) share one request line but each has its own table, so each stays an operation.
# Graph create event lists 6 request lines, Graph list events 7.
EXPECTED_COUNTS = {
    FRENCH: {"beta": 42, "v2.0": 39, "v1.0": 36},
    JAPANESE: {"beta": 42, "v2.0": 39, "v1.0": 36},
    GRAPH_CREATE: {"v1.0": 6},
    GRAPH_LIST: {"beta": 7},
}


@pytest.mark.parametrize("page", sorted(EXPECTED_COUNTS))
def test_operation_counts_per_page_and_version(read: Callable[[str], Read], page: str) -> None:
    ops = read(page).operations
    assert dict(Counter(op.version for op in ops)) == EXPECTED_COUNTS[page]
    assert all(op.page == page for op in ops)


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_outlook_operations_carry_host_prefix_and_service(read: Callable[[str], Read], page: str) -> None:
    for op in read(page).operations:
        assert (op.service, op.host) == ("outlook", "https://outlook.office.com")
        # FindMeetingTimes is documented as /api/{version}/...; two v2.0 sections copy beta URLs.
        assert op.prefix in {f"/api/{op.version}", "/api/{version}", "/api/beta"}, op.where()
        assert op.title and op.anchor, op.where()


# --- 1. the French and Japanese pages say the same -----------------------------------------


def _signature(op: SpecOperation) -> tuple[object, ...]:
    return (op.version, op.method, op.path, op.query, tuple(_params(op)))


# The Japanese page translates the body parameter "Item" of the item-attachment table (one table
# for all three versions, outside the version sections) and shows no request sample that could
# name it back; the French page prints "Item".  Neither page is wrong about anything else there.
JAPANESE_UNRECONCILED = {"アイテム": ("Item", 5393)}


@pytest.mark.parametrize("version", ["beta", "v2.0", "v1.0"])
def test_french_and_japanese_pages_give_the_same_operations(read: Callable[[str], Read], version: str) -> None:
    french = [op for op in read(FRENCH).operations if op.version == version]
    japanese = [op for op in read(JAPANESE).operations if op.version == version]
    assert len(french) == len(japanese)
    known = 0
    for fr, ja in zip(french, japanese, strict=True):
        assert fr.anchor == ja.anchor, (fr.where(), ja.where())
        expected = _signature(fr)
        got = _signature(ja)
        if got != expected:
            printed = {p.name for p in ja.params} & set(JAPANESE_UNRECONCILED)
            assert printed, f"{fr.where()} / {ja.where()}: {expected} != {got}"
            for name in printed:
                french_name, line = JAPANESE_UNRECONCILED[name]
                assert _param(ja, name).line == line
                assert _param(fr, french_name).written == french_name
                renamed = tuple((french_name if p[0] == name else p[0], *p[1:]) for p in _params(ja))
                assert (*got[:4], tuple(sorted(renamed))) == expected
                known += 1
    assert known == 1  # the item attachment, once in each version


def test_the_untranslatable_name_is_a_warning_with_page_and_line(read: Callable[[str], Read]) -> None:
    warnings = read(JAPANESE).warnings
    assert (
        f"{JAPANESE}:5393: body parameter 'アイテム' matches no key of a request sample nor any JSON on the page; "
        "kept as printed (unconfirmed name)" in warnings
    )


# FR inlines the v1.0 "API explorer" exchanges (```REST / ```REST-i blocks with "statusCode"); the
# Japanese page only references them ([!code-REST-i[name](./_data/name.json)]), which a reader of
# the page cannot follow, so it states no status for these.  (method, path): (FR line of the
# statusCode, JA line of the include).
V1_STATUS_ONLY_IN_FRENCH = {
    ("GET", "/me/events"): (835, 838),
    ("GET", "/me/calendars/{calendar_id}/events"): (835, 838),
    ("GET", "/me/events/{event_id}"): (1798, 1350),
    ("POST", "/me/events"): (3822, 3273),
    ("POST", "/me/calendars/{calendar_id}/events"): (3822, 3273),
    ("PATCH", "/me/events/{event_id}"): (4415, 3789),
    ("DELETE", "/me/events/{event_id}"): (5241, 4556),
    ("GET", "/me/events/{event_id}/attachments"): (5555, 4850),
    ("GET", "/me/events/{event_id}/attachments/{attachment_id}"): (5926, 5188),
    ("DELETE", "/me/events/{event_id}/attachments/{attachment_id}"): (6555, 5782),
    ("GET", "/me/calendars"): (6968, 6187),
    ("GET", "/me/calendargroups/{calendar_group_id}/calendars"): (6968, 6187),
    ("GET", "/me/calendars/{calendar_id}"): (7155, 6345),
    ("POST", "/me/calendars"): (7398, 6566),
    ("POST", "/me/calendargroups/{calendar_group_id}/calendars"): (7398, 6566),
    ("PATCH", "/me/calendars/{calendar_id}"): (7628, 6767),
    ("DELETE", "/me/calendars/{calendar_id}"): (7828, 6941),
    ("GET", "/me/calendargroups"): (8034, 7136),
    ("GET", "/me/calendargroups/{calendar_group_id}"): (8229, 7292),
    ("POST", "/me/calendargroups"): (8458, 7495),
    ("PATCH", "/me/calendargroups/{calendar_group_id}"): (8690, 7697),
    ("DELETE", "/me/calendargroups/{calendar_group_id}"): (8895, 7875),
}


def test_french_and_japanese_pages_give_the_same_statuses(read: Callable[[str], Read], seeds: Path) -> None:
    french_lines = (seeds / FRENCH).read_text(encoding="utf-8").splitlines()
    japanese_lines = (seeds / JAPANESE).read_text(encoding="utf-8").splitlines()
    differing = {}
    for fr, ja in zip(read(FRENCH).operations, read(JAPANESE).operations, strict=True):
        if fr.status != ja.status:
            differing[(fr.method, fr.path)] = (fr.version, fr.status, ja.status)
    assert set(differing) == set(V1_STATUS_ONLY_IN_FRENCH)
    for key, (version, french_status, japanese_status) in differing.items():
        status_line, include_line = V1_STATUS_ONLY_IN_FRENCH[key]
        assert (version, japanese_status) == ("v1.0", None)
        assert f'"statusCode": {french_status}' in french_lines[status_line - 1]
        assert japanese_lines[include_line - 1].startswith("[!code-REST-i[")
    statuses = Counter(op.status for op in read(FRENCH).operations)
    assert set(statuses) == {200, 201, 202, 204, None}


# The French translation also translated the Live scopes' suffixes (line 351 and the like).
FRENCH_TRANSLATED_SCOPES = {
    "wl.contacts_les calendriers": "wl.contacts_calendars",
    "wl.calendars_mise à jour": "wl.calendars_update",
    "wl.events_créer": "wl.events_create",
}


def test_french_and_japanese_scopes_agree_but_for_translated_scope_names(read: Callable[[str], Read]) -> None:
    for fr, ja in zip(read(FRENCH).operations, read(JAPANESE).operations, strict=True):
        assert fr.scopes, fr.where()
        french = [FRENCH_TRANSLATED_SCOPES.get(scope.lower(), scope.lower()) for scope in fr.scopes]
        assert french == [scope.lower() for scope in ja.scopes], (fr.where(), ja.where())
    first = read(FRENCH).operations[0]
    assert first.scopes == ("https://Outlook.Office.com/calendars.Read", "WL.Calendars", "WL.contacts_les calendriers")


# --- 2. exact expectations ---------------------------------------------------------------


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_accept_event_v2(read: Callable[[str], Read], page: str) -> None:
    op = _one(read(page).operations, "v2.0", "POST", "/me/events/{event_id}/accept")
    assert (op.host, op.prefix, op.query, op.anchor) == ("https://outlook.office.com", "/api/v2.0", (), "AcceptEvent")
    assert _params(op) == [
        ("Comment", "body", "Edm.String", False),
        ("SendResponse", "body", "Edm.Boolean", False),
        ("event_id", "path", "Edm.String", True),
    ]
    assert _param(op, "SendResponse").default == "true"
    assert _param(op, "event_id").written == ("ID_événement" if page == FRENCH else "event_id")
    assert _param(op, "Comment").written == ("Commentaire" if page == FRENCH else "Comment")
    assert op.status == 202
    assert [scope.lower() for scope in op.scopes][0] == "https://outlook.office.com/calendars.readwrite"
    (sample,) = op.samples
    assert (sample.kind, sample.method) == ("request", "POST")
    assert (
        sample.url == "https://outlook.office.com/api/v2.0/me/events('AAMkAGE1M2IyNGNmLTI5MT_bs88AAAXDJwEAAA=')/accept"
    )
    assert set(sample.body) == {"Comment", "SendResponse"}
    assert ("Content-Type", "application/json") in {(h.name, h.value) for h in sample.headers}


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_calendar_view_v2(read: Callable[[str], Read], page: str) -> None:
    ops = read(page).operations
    default = _one(ops, "v2.0", "GET", "/me/calendarview")
    other = _one(ops, "v2.0", "GET", "/me/calendars/{calendar_id}/calendarview")
    for op in (default, other):
        assert op.query == (("startDateTime", "{start_datetime}"), ("endDateTime", "{end_datetime}"))
        for name, written in (("startDateTime", "start_datetime"), ("endDateTime", "end_datetime")):
            param = _param(op, name, "query")
            assert (param.type, param.required, param.written) == ("Edm.DateTimeOffset", True, written)
        prefer = _param(op, "Prefer", "header")
        assert (prefer.type, prefer.required) == ("Edm.String", None)
        assert prefer.written == ("Préférez" if page == FRENCH else "Prefer")
        assert ("Prefer", "outlook.timezone") in _headers(op)
    assert _param(other, "calendar_id").location == "path"
    assert default.param("calendar_id") is None
    # The v2.0 sample leaves the "Z" off its datetimes; kept as written.
    (sample,) = default.samples
    assert (sample.url or "").endswith(
        "startDateTime=2014-10-01T01:00:00&endDateTime=2014-10-31T23:00:00&$select=Subject"
    )


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_v1_calendar_view_keeps_the_documented_typo(read: Callable[[str], Read], page: str) -> None:
    op = _one(read(page).operations, "v1.0", "GET", "/me/calendarview")
    assert op.query == (("start", "{start_datetime}"), ("end", "{end_datetime}"))
    assert [(p.name, p.written) for p in op.params] == [("start", "start_datetime"), ("end", "end_datetime")]
    specific = _one(read(page).operations, "v1.0", "GET", "/me/calendars/{calendar_id}/calendarview")
    assert [name for name, _ in specific.query] == ["startDateTime", "endDateTime"]


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_find_meeting_times_collection_body(read: Callable[[str], Read], page: str) -> None:
    op = _one(read(page).operations, "beta", "POST", "/me/findmeetingtimes")
    assert (op.prefix, op.status) == ("/api/{version}", 200)
    attendees = _param(op, "Attendees", "body")
    assert (attendees.type, attendees.required) == ("Collection(AttendeeBase)", False)
    assert attendees.written == ("Participants" if page == FRENCH else "出席者")
    assert _param(op, "LocationConstraint").type == "LocationConstraint"
    assert _param(op, "MeetingDuration").type == "Edm.Duration"
    assert (_param(op, "MaxCandidates").type, _param(op, "ReturnSuggestionHints").default) == ("Edm.Int32", "false")
    assert [s.kind for s in op.samples] == ["request", "response"] * 5
    assert {s.status for s in op.samples if s.kind == "response"} == {200}
    assert ("Prefer", 'outlook.timezone="Pacific Standard Time"') in _headers(op)


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_sync_calendar_view(read: Callable[[str], Read], page: str) -> None:
    ops = read(page).operations
    sync = [o for o in ops if o.anchor == "SyncCalendarView" and o.version == "v2.0"]
    assert [(o.path, [name for name, _ in o.query]) for o in sync] == [
        ("/{user_context}/calendarview", ["startDateTime", "endDateTime"]),
        ("/{user_context}/calendarview", ["startDateTime", "endDateTime", "$deltatoken"]),
        ("/{user_context}/calendarview", ["startDateTime", "endDateTime", "$skiptoken"]),
        # calendars('{calendar_id}') in the request line: key syntax becomes a segment.
        ("/{user_context}/calendars/{calendar_id}/calendarview", ["startDateTime", "endDateTime"]),
        ("/{user_context}/calendars/{calendar_id}/calendarview", ["startDateTime", "endDateTime", "$deltatoken"]),
        ("/{user_context}/calendars/{calendar_id}/calendarview", ["startDateTime", "endDateTime", "$skiptoken"]),
    ]
    delta = sync[1]
    assert _param(delta, "$deltatoken", "query").written == "delta_token"
    assert _param(delta, "user_context", "path").type == "Edm.String"
    # Headers from the "Request headers" list, the samples and the header table.
    assert {("Prefer", "odata.track-changes"), ("Prefer", "odata.maxpagesize={x}")} <= _headers(delta)
    assert ("Authorization", "Bearer <token>") in _headers(delta)
    (sample,) = delta.samples
    assert "$deltatoken=" in (sample.url or "")
    assert ("Prefer", "odata.maxpagesize=1") in {(h.name, h.value) for h in sample.headers}


def test_translated_header_value_in_prose_is_a_warning(read: Callable[[str], Read]) -> None:
    assert (
        f"{FRENCH}:1999: the prose names the header value 'odata.track-modifications', which the page's "
        "code spells 'odata.track-changes'; the code spelling is used"
    ) in read(FRENCH).warnings


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_key_syntax_function_arguments_and_typos(read: Callable[[str], Read], page: str) -> None:
    ops = read(page).operations
    dismiss = _one(ops, "beta", "POST", "/me/Events/{id}/DismissReminder")  # Events({id})
    assert _params(dismiss) == [("id", "path", "Edm.String", True)]
    snooze = _one(ops, "beta", "POST", "/me/Events/{id}/SnoozeReminder")  # Events('{id}')
    assert _param(snooze, "NewReminderTime", "body").type == "DateTimeTimeZone"
    reminders = _one(ops, "v2.0", "GET", "/me/ReminderView(StartDateTime='{DateTime}',EndDateTime='{DateTime}')")
    assert [(p.name, p.location) for p in reminders.params if p.location == "path"] == [
        ("StartDateTime", "path"),
        ("EndDateTime", "path"),
    ]
    calendars = _one(ops, "v2.0", "GET", "/me/calendargroups/{calendar_group_id}/calendars")
    assert _param(calendars, "calendar_group_id").written == "calender_group_id"


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_v2_section_with_beta_urls_is_filed_under_v2(read: Callable[[str], Read], page: str) -> None:
    result = read(page)
    op = _one(result.operations, "v2.0", "POST", "/me/Events/{id}/SnoozeReminder")
    assert op.prefix == "/api/beta"
    assert (
        f"{page}:{op.line}: the request line addresses beta inside the v2.0 section; the operation is filed under v2.0"
    ) in result.warnings


@pytest.mark.parametrize("page", [FRENCH, JAPANESE])
def test_attachment_tables(read: Callable[[str], Read], page: str) -> None:
    ops = read(page).operations
    file_attachment = _one(ops, "v1.0", "POST", "/me/events/{event_id}/attachments", "CreateFileAttachment")
    content = _param(file_attachment, "ContentBytes", "body")
    assert content.type == "Edm.Binary"
    assert content.written == "ContentBytes"
    name = _param(file_attachment, "Name", "body")
    assert name.written == ("Nom" if page == FRENCH else "名前")
    reference = _one(ops, "beta", "POST", "/me/events/{event_id}/attachments", "CreateReferenceAttachment")
    assert reference.scopes == ("https://outlook.office.com/mail.readwrite",)
    assert reference.status == 201
    assert [p.name for p in reference.params if p.location == "body"] == ["@odata.type", "Name", "SourceUrl"]


def test_graph_create_event(read: Callable[[str], Read]) -> None:
    ops = read(GRAPH_CREATE).operations
    assert [(op.method, op.path) for op in ops] == [
        ("POST", "/me/events"),
        ("POST", "/users/{id}/events"),
        ("POST", "/me/calendar/events"),
        ("POST", "/users/{id}/calendar/events"),
        ("POST", "/me/calendars/{id}/events"),
        ("POST", "/users/{id}/calendars/{id}/events"),
    ]
    for op in ops:
        assert (op.service, op.version, op.host, op.prefix) == ("graph", "v1.0", "https://graph.microsoft.com", "/v1.0")
        assert (op.status, op.scopes, op.title) == (201, ("Calendars.ReadWrite",), "Créer un événement")
        assert [(p.name, p.location, p.type, p.required, p.written) for p in op.params if p.location == "header"] == [
            ("Authorization", "header", "Edm.String", True, "Autorisation"),
            ("Content-Type", "header", "Edm.String", True, "Content-Type"),
        ]
        assert {("Authorization", "Bearer {token}"), ("Content-Type", "application/json")} <= _headers(op)
    # {id | userPrincipalName} is one key with an alternative: the path names the key ({id}) and
    # the parameter keeps what the page printed.  Graph reuses {id} for several segments.
    users = ops[5]
    assert [(p.name, p.written) for p in users.params if p.location == "path"] == [
        ("id", "id | userPrincipalName"),
        ("id", "id"),
    ]
    first = ops[0]
    assert [(s.kind, s.status) for s in first.samples] == [
        ("request", None),
        ("response", 201),
        ("request", None),
        ("response", 201),
        ("request", None),
        ("request", None),
        ("response", 201),
    ]
    assert first.samples[0].body["subject"] == "Let's go for lunch"
    assert ("Prefer", 'outlook.timezone="Pacific Standard Time"') in _headers(first)


def test_graph_list_events_beta(read: Callable[[str], Read]) -> None:
    ops = read(GRAPH_LIST).operations
    assert [op.path for op in ops] == [
        "/me/calendar/events",
        "/users/{id}/calendar/events",
        "/groups/{id}/calendar/events",
        "/me/calendars/{id}/events",
        "/users/{id}/calendars/{id}/events",
        "/me/calendarGroups/{id}/calendars/{id}/events",
        "/users/{id}/calendarGroups/{id}/calendars/{id}/events",
    ]
    for op in ops:
        assert (op.service, op.version, op.method, op.prefix, op.status) == ("graph", "beta", "GET", "/beta", 200)
        prefer = _param(op, "Prefer", "header")
        assert (prefer.type, prefer.required, prefer.written) == ("Edm.String", False, "Prefer")
        assert _param(op, "Authorization").required is True
        assert {("Prefer", "outlook.timezone"), ("Authorization", "Bearer {token}")} <= _headers(op)
        assert op.scopes == (
            "Calendars.ReadBasic",
            "Calendars.Read",
            "Calendars.ReadWrite",
            "Group.Read.All",
            "Group.ReadWrite.All",
        )
    assert [s.url for s in ops[0].samples if s.kind == "request"] == [
        "https://graph.microsoft.com/beta/me/calendar/events",
        "https://graph.microsoft.com/beta/me/calendar/events?$filter=startsWith(subject,'All')",
    ]
    assert read(GRAPH_LIST).warnings == []


# --- 4. bad pages ------------------------------------------------------------------------


def _page(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read_text(tmp_path: Path, name: str, text: str) -> Read:
    diagnostics = Diagnostics()
    operations = read_page(_page(tmp_path, name, text), diagnostics)
    return Read(operations, diagnostics.format_lines())


def test_table_with_a_missing_column_and_a_short_row(tmp_path: Path) -> None:
    result = _read_text(
        tmp_path,
        "columns.md",
        "## Get part\n\n```no-highlight\nGET https://api.example.com/v1.0/widgets/{widget_id}/parts/{part_id}\n```\n\n"
        "|**Parameter**|**Description**|\n|:--|:--|\n|_URL parameters_|\n|widget_id|The widget.|\n|part_id|\n",
    )
    assert result.warnings == [
        "columns.md:11: table row has 1 cells, the table has 2 columns",
        "columns.md:10: the table gives no type for 'widget_id' (no type column)",
        "columns.md:11: the table gives no type for 'part_id' (no type column)",
    ]
    (op,) = result.operations
    assert [(p.name, p.type, p.required) for p in op.params] == [("widget_id", None, True), ("part_id", None, True)]


def test_unterminated_code_fence(tmp_path: Path) -> None:
    result = _read_text(
        tmp_path, "fence.md", "## List widgets\n\n```no-highlight\nGET https://api.example.com/v1.0/widgets\n"
    )
    assert result.warnings == ["fence.md:3: code fence is never closed"]
    assert [op.path for op in result.operations] == ["/widgets"]


def test_unknown_placeholders_both_ways(tmp_path: Path) -> None:
    result = _read_text(
        tmp_path,
        "placeholders.md",
        "## Get part\n\n```no-highlight\nGET https://api.example.com/v1.0/widgets/{widget_id}/parts/{part_id}\n```\n\n"
        "|**Required parameter**|**Type**|**Description**|\n|:--|:--|:--|\n|_URL parameters_|\n"
        "|widget_id|string|The widget.|\n|shelf_id|string|A shelf.|\n",
    )
    # shelf_id is an identifier unlike part_id: it is not taken for it, both are reported.
    assert result.warnings == [
        "placeholders.md:11: URL parameter 'shelf_id' in the table has no placeholder in the request line(s) at 4",
        "placeholders.md:4: placeholder {part_id} is not described in the parameter table",
    ]
    (op,) = result.operations
    assert [(p.name, p.type, p.written) for p in op.params] == [
        ("widget_id", "Edm.String", "widget_id"),
        ("part_id", None, "part_id"),
    ]


def test_empty_page_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        read_page(_page(tmp_path, "empty.md", " \n\n"))
    assert str(caught.value) == "empty.md: page is empty"


def test_missing_file_directory_and_non_utf8_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"^absent\.md: page does not exist$"):
        read_page(tmp_path / "absent.md")
    with pytest.raises(SpecError, match=r"is a directory"):
        read_page(tmp_path)
    latin = tmp_path / "latin.md"
    latin.write_bytes("## Créer\n\nGET https://api.example.com/v1.0/é\n".encode("latin-1"))
    with pytest.raises(SpecError) as caught:
        read_page(latin)
    assert (caught.value.page, caught.value.line) == ("latin.md", 1)
    assert "not UTF-8" in caught.value.message


def test_page_without_operations_is_a_warning(tmp_path: Path) -> None:
    result = _read_text(tmp_path, "prose.md", "# Notes\n\nNothing to call here.\n")
    assert result.operations == []
    assert result.warnings == ["prose.md: no operation found: the page has no syntax block of request lines"]


# --- 5. names that cannot be reconciled ----------------------------------------------------

WIDGET_PAGE = """# Widgets

<a name="UpdateWidget"></a>
## Mettre à jour un widget

_**Portée au minimum**: une des opérations suivantes :_
- _https://api.example.com/widgets.ReadWrite_

```no-highlight
PATCH https://api.example.com/v1.0/widgets/{widget_id}
```

|**Paramètre**|**Type de**|**Description**|
|:--|:--|:--|
|_Paramètres de l’URL_|
|ID_widget|string|L’ID du widget. Obligatoire.|
|_Paramètres de corps_|
|Couleur|string|La couleur. Facultatif. Valeur par défaut est `bleu`.|
|Taille|int32|La taille.|
|Forme|string|La forme.|

**Exemple de requête**

```
PATCH https://api.example.com/v1.0/widgets/W1
Content-Type: application/json

{ "Color": "red", "Label": "x", "Shape": "round" }
```

Code d’état : 200
"""


def test_unreconciled_body_names_are_warnings_with_page_and_line(tmp_path: Path) -> None:
    result = _read_text(tmp_path, "widget.md", WIDGET_PAGE)
    (op,) = result.operations
    assert (op.service, op.host, op.prefix, op.path, op.status, op.anchor) == (
        "api.example.com",
        "https://api.example.com",
        "/v1.0",
        "/widgets/{widget_id}",
        200,
        "UpdateWidget",
    )
    assert op.scopes == ("https://api.example.com/widgets.ReadWrite",)
    # ID_widget is a translation (not an identifier a URL could use): it is the only placeholder.
    # Couleur is the only row similar to a sample key; Taille (an integer) fits no string key and
    # Forme resembles neither Label nor Shape, so both keep their printed names, with warnings.
    assert [(p.name, p.location, p.type, p.required, p.default, p.written) for p in op.params] == [
        ("widget_id", "path", "Edm.String", True, None, "ID_widget"),
        ("Color", "body", "Edm.String", False, "bleu", "Couleur"),
        ("Taille", "body", "Edm.Int32", None, None, "Taille"),
        ("Forme", "body", "Edm.String", None, None, "Forme"),
    ]
    assert result.warnings == [
        "widget.md:19: body parameter 'Taille' matches no key of a request sample nor any JSON on the page; "
        "kept as printed (unconfirmed name)",
        "widget.md:20: body parameter 'Forme' matches no key of a request sample nor any JSON on the page; "
        "kept as printed (unconfirmed name)",
    ]


def test_translated_names_pair_by_order_and_type(tmp_path: Path) -> None:
    page = WIDGET_PAGE.replace(
        '{ "Color": "red", "Label": "x", "Shape": "round" }', '{ "Color": "red", "Size": 3, "Shape": "x" }'
    )
    result = _read_text(tmp_path, "widget.md", page)
    (op,) = result.operations
    assert [(p.name, p.written) for p in op.params if p.location == "body"] == [
        ("Color", "Couleur"),
        ("Size", "Taille"),
        ("Shape", "Forme"),
    ]
    assert result.warnings == []


# --- types, requirement words and defaults, in any of the page languages ----------------------

TYPES_PAGE = """## Create gadget

```no-highlight
POST https://api.example.com/beta/gadgets
```

|**Parameter**|**Type**|**Description**|**Required?**|
|:--|:--|:--|:--|
|A|string|x|Yes|
|B|boolean|x. Default is `true`.|No|
|C|ブール値|x。省略可。既定値は false です。||
|D|booléen|x. Obligatoire.||
|E|int|x. Optional.||
|F|integer|x. 必須。||
|G|int32|x. Requis.||
|H|DateTimeOffset|x. Facultatif.||
|I|datetime|x. Optionnel.||
|J|binary|x||
|K|fichier binaire|x||
|L|Edm.Guid|x||
|M|[Recipient](#RecipientV2)|x||
|N|Collection([Recipient](#RecipientV2))|x||
|O|String[]|x||
|P|une chose étrange|x||
"""


def test_types_requirements_and_defaults(tmp_path: Path) -> None:
    result = _read_text(tmp_path, "types.md", TYPES_PAGE)
    (op,) = result.operations
    assert [(p.name, p.type, p.required, p.default) for p in op.params] == [
        ("A", "Edm.String", True, None),
        ("B", "Edm.Boolean", False, "true"),
        ("C", "Edm.Boolean", False, "false"),
        ("D", "Edm.Boolean", True, None),
        ("E", "Edm.Int32", False, None),
        ("F", "Edm.Int32", True, None),
        ("G", "Edm.Int32", True, None),
        ("H", "Edm.DateTimeOffset", False, None),
        ("I", "Edm.DateTimeOffset", False, None),
        ("J", "Edm.Binary", None, None),
        ("K", "Edm.Binary", None, None),
        ("L", "Edm.Guid", None, None),
        ("M", "Recipient", None, None),
        ("N", "Collection(Recipient)", None, None),
        ("O", "Collection(Edm.String)", None, None),
        ("P", "une chose étrange", None, None),
    ]
    assert "types.md:24: 'P': unknown type 'une chose étrange'" in result.warnings


PLAIN_PAGE = """Update widget

Namespace: example

Permissions

Permission type Permissions
Delegated (work or school account) Widgets.ReadWrite, Widgets.ReadWrite.All
Application Not supported.

HTTP request

PATCH /widgets/{id}
PATCH /shelves/{shelf-id}/widgets/{id}

Request headers

Name Type Description
Authorization string Bearer {token}. Required.
If-Match string ETag of the widget. Optional.

Response

If successful, this method returns a 204 No Content response code.

Example

Request

PATCH https://api.example.com/beta/widgets/W1
Content-type: application/json

{
  "color": "red"
}
"""


def test_plain_text_page_in_english(tmp_path: Path) -> None:
    result = _read_text(tmp_path, "widget.txt", PLAIN_PAGE)
    assert result.warnings == []
    assert [(op.version, op.method, op.host, op.prefix, op.path) for op in result.operations] == [
        ("beta", "PATCH", "https://api.example.com", "/beta", "/widgets/{id}"),
        ("beta", "PATCH", "https://api.example.com", "/beta", "/shelves/{shelf-id}/widgets/{id}"),
    ]
    first = result.operations[0]
    assert (first.title, first.status, first.scopes) == (
        "Update widget",
        204,
        ("Widgets.ReadWrite", "Widgets.ReadWrite.All"),
    )
    assert [(p.name, p.location, p.required) for p in first.params] == [
        ("id", "path", True),
        ("Authorization", "header", True),
        ("If-Match", "header", False),
    ]
    assert ("Authorization", "Bearer {token}") in _headers(first)
    (sample,) = first.samples
    assert (sample.method, sample.body) == ("PATCH", {"color": "red"})
    assert ("Content-Type", "application/json") in _headers(first)


# --- robustness: damaged pages give warnings or a SpecError, nothing else -------------------


# Fragments that open or close structures the reader tracks, to splice into pages.
DAMAGE = [
    "|",
    "```",
    "{",
    "}",
    "(",
    "'",
    "_",
    "**",
    "<!--",
    "-->",
    "[!INCLUDE [BEGIN Outlook v2 section](x)]",
    "[!INCLUDE [END Outlook beta section](x)]",
    "GET https://api.example.com/v1.0/{a}/b({c})?d={e}",
    "POST /a/{b | c}",
    "## Request headers",
    "HTTP request",
    "Name Type Description",
    "|_URL parameters_|",
    "Prefer:",
]


@pytest.mark.parametrize("page", [FRENCH, GRAPH_CREATE, GRAPH_LIST, JAPANESE])
def test_damaged_seed_pages_never_crash(seeds: Path, tmp_path: Path, page: str) -> None:
    lines = (seeds / page).read_text(encoding="utf-8").splitlines()
    chance = random.Random(page)
    for attempt in range(8):
        damaged = list(lines)
        for _ in range(chance.randint(1, 60)):
            position = chance.randrange(len(damaged))
            action = chance.random()
            if action < 0.3:
                del damaged[position : position + chance.randint(1, 20)]
            elif action < 0.6:
                text = damaged[position]
                cut = chance.randrange(len(text) + 1)
                damaged[position] = text[:cut] + chance.choice(DAMAGE) + text[cut:]
            elif action < 0.8:
                damaged.insert(position, chance.choice(DAMAGE))
            else:
                damaged[position] = damaged[position][: chance.randrange(len(damaged[position]) + 1)]
            damaged = damaged or ["x"]
        path = _page(tmp_path, f"damaged_{attempt}.txt", "\n".join(damaged))
        try:
            read_page(path, Diagnostics())
        except SpecError:
            pass


@pytest.mark.parametrize(
    ("name", "expected"), [("outlook_v2.spec.md", {"v2.0": 42}), ("graph_v1.spec.md", {"v1.0": 20})]
)
def test_the_projects_own_spec_pages_read_cleanly(name: str, expected: dict[str, int]) -> None:
    diagnostics = Diagnostics()
    ops = read_page(ROOT / "schemas" / name, diagnostics)
    assert diagnostics.format_lines() == []
    assert dict(Counter(op.version for op in ops)) == expected
    assert all(op.scopes and op.anchor for op in ops)


def test_read_pages_collects_every_page(seeds: Path) -> None:
    diagnostics = Diagnostics()
    ops = read_pages([seeds / GRAPH_CREATE, seeds / GRAPH_LIST], diagnostics)
    assert [op.page for op in ops] == [GRAPH_CREATE] * 6 + [GRAPH_LIST] * 7
    assert diagnostics.format_lines() == [
        f"{GRAPH_CREATE}:464: invalid JSON (Expecting property name enclosed in double quotes at line 567)"
    ]
