"""End to end against a real OData V4 server: odatapy 5.3.0 serving a Graph-style calendar.

The client is generated from the server's own `$metadata` (see odatapy_server.py) and every
request below goes over HTTP to the server through that generated client: nested complex
paths in `$filter`, `$select` and `$orderby`, lambdas over complex and string collections,
`$count`, server-driven paging with `Prefer: odata.maxpagesize`, navigation, `$expand`, reads
by key, POST and PATCH. The seed data is in servers/odatapy/server.py; the expected values
here are written out by hand from it.

Tests that write only touch entities they create (ids `new-...`), and queries over the seed
data are limited to `startswith(id,'ev')`, so the tests pass in any order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest

import odatakit
from odatakit import ODataError

from .odatapy_server import odatapy_package, odatapy_server  # noqa: F401  (pytest fixtures)
from .support import Recorder, recording


@pytest.fixture
def pkg(odatapy_package: ModuleType) -> ModuleType:  # noqa: F811  (the imported fixture)
    return odatapy_package


@pytest.fixture
async def rec(pkg: ModuleType, odatapy_server: str) -> AsyncIterator[Recorder]:  # noqa: F811
    async with recording(pkg, odatapy_server, decode_urls=True) as recorder:
        yield recorder


def ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


async def query_ids(rec: Recorder, condition: Any, *order: Any) -> list[str]:
    """The ids of the seed events matching `condition`, in `order` (default: by id)."""
    Event = type(rec.client).REGISTRY.info("microsoft.graph.event").cls
    q = rec.client.events.filter(Event.id.startswith("ev") & condition).select(Event.id)
    q = q.order_by(*(order or (Event.id,)))
    return ids(await q.get())


# -- reading by key: every nested value typed ------------------------------------------------------


async def test_get_by_key_decodes_nested_complex_values(rec: Recorder, pkg: ModuleType) -> None:
    event = await rec.client.events["ev02"].get()

    assert type(event) is pkg.Event
    assert event.id == "ev02"
    assert event.subject == "Budget review"
    assert event.body == pkg.ItemBody(content_type=pkg.BodyType.TEXT, content="Agenda: Budget review")
    assert event.start == pkg.DateTimeTimeZone(
        date_time="2024-01-09T14:00:00.0000000", time_zone="Pacific Standard Time"
    )
    assert event.end.date_time == "2024-01-09T15:30:00.0000000"
    assert event.location.display_name == "Rainier"
    assert event.location.address == pkg.PhysicalAddress(
        street="1 Microsoft Way", city="Redmond", state="WA", country_or_region="United States", postal_code="98052"
    )
    assert event.location.coordinates == pkg.OutlookGeoCoordinates(latitude=47.6396, longitude=-122.1283)
    assert type(event.organizer) is pkg.Recipient
    assert event.organizer.email_address == pkg.EmailAddress(name="Megan Bowen", address="megan@contoso.com")
    assert [type(a) for a in event.attendees] == [pkg.Attendee] * 3
    assert [(a.email_address.address, a.type, a.status.response) for a in event.attendees] == [
        ("adele@contoso.com", pkg.AttendeeType.REQUIRED, pkg.ResponseType.ACCEPTED),
        ("nestor@contoso.com", pkg.AttendeeType.OPTIONAL, pkg.ResponseType.DECLINED),
        ("rainier@contoso.com", pkg.AttendeeType.RESOURCE, pkg.ResponseType.ACCEPTED),
    ]
    assert event.attendees[1].email_address.name == "Nestor Wilke"
    assert event.attendees[1].status.time == datetime(2024, 1, 9, tzinfo=UTC)
    assert event.categories == ["Red category", "Finance"]
    assert event.importance is pkg.Importance.HIGH
    assert event.is_all_day is False
    assert event.reminder_minutes_before_start == 30
    assert event.created_date_time == datetime(2023, 12, 2, 10, 0, tzinfo=UTC)
    assert [(e.method, e.url, e.status) for e in rec.log] == [("GET", f"{rec.client.base_url}/events('ev02')", 200)]


async def test_get_missing_key_is_not_found(rec: Recorder) -> None:
    with pytest.raises(ODataError) as info:
        await rec.client.events["no-such-event"].get()
    assert info.value.status == 404
    assert info.value.message == "Entity not found."


async def test_key_with_quote_and_slash_round_trips(rec: Recorder, pkg: ModuleType) -> None:
    key = "new-o'brien/1 + 2"
    created = await rec.client.events.create(pkg.Event(id=key, subject="Quoted key"))
    assert created.id == key
    again = await rec.client.events[key].get()
    assert (again.id, again.subject) == (key, "Quoted key")


# -- $filter on nested complex paths ---------------------------------------------------------------


async def test_filter_on_nested_string_path(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.events.filter(Event.start.date_time >= "2024-03-01").select(Event.id).order_by(Event.id)
    assert str(q) == "events?$select=id&$filter=start/dateTime ge '2024-03-01'&$orderby=id"
    got = [e.id for e in await q.get() if e.id.startswith("ev")]
    assert got == ["ev18", "ev19", "ev20", "ev21", "ev22", "ev23", "ev24"]


async def test_filter_three_levels_deep(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    assert await query_ids(rec, Event.location.address.city == "Berlin") == ["ev04", "ev11", "ev13", "ev20"]
    assert await query_ids(rec, Event.location.coordinates.longitude < 0) == ["ev02", "ev08", "ev16", "ev22"]
    assert await query_ids(rec, Event.location.address.city.tolower() == "tokyo") == ["ev06", "ev14", "ev18"]
    assert await query_ids(rec, Event.location.display_name.startswith("Salle")) == ["ev03", "ev09", "ev17"]


async def test_filter_nested_enum_and_boolean(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    html = await query_ids(rec, Event.body.content_type == pkg.BodyType.HTML)
    assert html == [
        "ev01", "ev04", "ev06", "ev08", "ev10", "ev11", "ev14", "ev15", "ev17", "ev19", "ev20", "ev23", "ev24",
    ]  # fmt: skip
    assert await query_ids(rec, (Event.start.time_zone == "UTC") & Event.is_all_day) == ["ev05", "ev21"]
    high = Event.importance.in_([pkg.Importance.HIGH, pkg.Importance.LOW]) & (Event.reminder_minutes_before_start >= 60)
    assert await query_ids(rec, high) == ["ev05", "ev08", "ev13", "ev19"]


async def test_filter_on_datetimeoffset(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    before = Event.created_date_time < datetime(2023, 12, 5, tzinfo=UTC)
    assert await query_ids(rec, before) == ["ev01", "ev02", "ev03", "ev04"]


# -- lambdas -----------------------------------------------------------------------------------------


async def test_any_over_complex_collection_with_inherited_nested_path(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    condition = Event.attendees.any(lambda a: a.email_address.address == "nestor@contoso.com")
    assert str(condition) == "attendees/any(a:a/emailAddress/address eq 'nestor@contoso.com')"
    assert await query_ids(rec, condition) == ["ev02", "ev06", "ev09", "ev10", "ev14", "ev19", "ev22", "ev24"]


async def test_any_with_two_conditions_on_nested_enums(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    rooms = Event.attendees.any(
        lambda a: (a.type == pkg.AttendeeType.RESOURCE) & (a.status.response == pkg.ResponseType.ACCEPTED)
    )
    assert await query_ids(rec, rooms) == ["ev02", "ev08", "ev16", "ev22"]


async def test_any_with_nested_datetimeoffset_literal(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    march = Event.attendees.any(lambda a: a.status.time >= datetime(2024, 3, 1, tzinfo=UTC))
    assert await query_ids(rec, march) == ["ev18", "ev19", "ev20", "ev22", "ev23", "ev24"]


async def test_all_over_complex_collection(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    everyone = Event.attendees.all(lambda a: a.status.response == pkg.ResponseType.ACCEPTED)
    # `all` over an empty collection is true: ev05, ev13 and ev21 have no attendees.
    assert await query_ids(rec, everyone) == [
        "ev03", "ev05", "ev07", "ev11", "ev12", "ev13", "ev15", "ev18", "ev20", "ev21", "ev24",
    ]  # fmt: skip


async def test_empty_any_and_collection_count(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    assert await query_ids(rec, ~Event.attendees.any()) == ["ev05", "ev13", "ev21"]
    assert await query_ids(rec, Event.attendees.length() >= 4) == ["ev08", "ev10", "ev18", "ev24"]


async def test_any_over_strings(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    assert await query_ids(rec, Event.categories.any(lambda c: c == "Engineering")) == [
        "ev04", "ev06", "ev11", "ev14", "ev20",
    ]  # fmt: skip
    assert await query_ids(rec, Event.categories.any(lambda c: c.startswith("Blue"))) == [
        "ev01", "ev04", "ev11", "ev15", "ev23",
    ]  # fmt: skip
    assert await query_ids(rec, ~Event.categories.any()) == ["ev03", "ev13"]
    both = Event.categories.any(lambda c: c == "Engineering") & Event.attendees.any(
        lambda a: a.email_address.address == "nestor@contoso.com"
    )
    assert await query_ids(rec, both) == ["ev06", "ev14"]


# -- $select and $orderby on nested paths ------------------------------------------------------------


async def test_select_nested_paths(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.events.filter(Event.id == "ev06").select(
        Event.id, Event.start.date_time, Event.location.address.city, Event.attendees
    )
    assert str(q) == "events?$select=id,start/dateTime,location/address/city,attendees&$filter=id eq 'ev06'"
    [event] = await q.get()
    assert event.id == "ev06"
    assert event.start == pkg.DateTimeTimeZone(date_time="2024-01-18T16:00:00.0000000")
    assert event.start.time_zone is None
    assert event.location == pkg.Location(address=pkg.PhysicalAddress(city="Tokyo"))
    assert [a.email_address.address for a in event.attendees] == ["megan@contoso.com", "nestor@contoso.com"]
    assert (event.subject, event.end, event.body, event.categories) == (None, None, None, None)


async def test_orderby_nested_paths(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    got = await query_ids(
        rec, Event.importance == pkg.Importance.HIGH, Event.start.time_zone, Event.start.date_time.desc()
    )
    assert got == ["ev24", "ev16", "ev12", "ev08", "ev02", "ev17", "ev06", "ev19"]


async def test_orderby_nested_double_desc_puts_nulls_last_and_top(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = (
        rec.client.events.filter(Event.id.startswith("ev"))
        .select(Event.id, Event.location.coordinates)
        .order_by(Event.location.coordinates.latitude.desc(), Event.id)
        .top(5)
    )
    events = await q.get()
    assert ids(events) == ["ev04", "ev11", "ev13", "ev20", "ev03"]
    assert [e.location.coordinates.latitude for e in events] == [52.517, 52.517, 52.517, 52.517, 48.8584]


# -- $count -------------------------------------------------------------------------------------------


async def test_count_segment(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.events.filter(Event.id.startswith("ev") & (Event.importance == pkg.Importance.HIGH))
    assert await q.count_only() == 8
    exchange = rec.log[-1]
    assert exchange.url.startswith(f"{rec.client.base_url}/events/$count?$filter=")
    assert exchange.request_headers["Accept"] == "text/plain"


async def test_count_option_with_paging(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.events.filter(Event.id.startswith("ev")).select(Event.id).order_by(Event.id).count().top(3)
    pages = [page async for page in q.pages()]
    assert len(pages) == 1
    assert pages[0].count == 24
    assert ids(pages[0].items) == ["ev01", "ev02", "ev03"]
    assert pages[0].annotations["@odata.context"].endswith("$metadata#events(id)")


async def test_pages_with_page_size_count_and_max_items(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.events.filter(Event.id.startswith("ev")).select(Event.id).order_by(Event.id).count().page_size(5)
    mark = len(rec.log)
    pages = [page async for page in q.pages()]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 4]
    assert all(p.count == 24 for p in pages)
    assert [p.next_link is not None for p in pages] == [True, True, True, True, False]
    assert pages[0].headers["Preference-Applied"] == "odata.maxpagesize=5"
    assert ids([e for p in pages for e in p.items]) == [f"ev{n:02d}" for n in range(1, 25)]
    assert len(rec.since(mark)) == 5

    # max_items stops without asking for the pages after the one that completes it.
    mark = len(rec.log)
    assert ids(await q.get(max_items=7)) == [f"ev{n:02d}" for n in range(1, 8)]
    assert len(rec.since(mark)) == 2


# -- server-driven paging ------------------------------------------------------------------------------


async def test_maxpagesize_paging_follows_next_links(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = (
        rec.client.events.filter(Event.id.startswith("ev"))
        .select(Event.id, Event.start.date_time)
        .order_by(Event.id)
        .preference("odata.maxpagesize", 5)
    )
    mark = len(rec.log)
    seen = [event async for event in q]

    assert ids(seen) == [f"ev{n:02d}" for n in range(1, 25)]
    assert seen[23].start.date_time == "2024-03-28T16:00:00.0000000"
    pages = rec.since(mark)
    assert len(pages) == 5
    assert all(p.method == "GET" and p.status == 200 for p in pages)
    assert all(p.request_headers["Prefer"] == "odata.maxpagesize=5" for p in pages)
    assert pages[0].response_headers["Preference-Applied"] == "odata.maxpagesize=5"
    assert pages[0].url == f"{rec.client.base_url}/{unquote(q.url)}"
    assert "$skiptoken" not in pages[0].url
    assert all("$skiptoken=" in p.url and "$filter=startswith(id,'ev')" in p.url for p in pages[1:])


async def test_maxpagesize_with_get_and_top(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = (
        rec.client.events.filter(Event.id.startswith("ev") & (Event.importance == pkg.Importance.NORMAL))
        .select(Event.id)
        .order_by(Event.start.date_time.desc())
        .top(7)
        .preference("odata.maxpagesize", 2)
    )
    mark = len(rec.log)
    assert ids(await q.get()) == ["ev23", "ev22", "ev20", "ev15", "ev14", "ev11", "ev10"]
    assert len(rec.since(mark)) == 4


# -- navigation and $expand ------------------------------------------------------------------------------


async def test_navigation_from_calendar_to_events(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    q = rec.client.calendars["cal-team"].events.select(Event.id, Event.subject).order_by(Event.start.date_time.desc())
    assert str(q) == "calendars('cal-team')/events?$select=id,subject&$orderby=start/dateTime desc"
    events = await q.get()
    assert [(e.id, e.subject) for e in events] == [
        ("ev24", "All hands"), ("ev20", "Retrospective"), ("ev18", "Team lunch"), ("ev14", "Hackathon"),
    ]  # fmt: skip


async def test_expand_with_nested_filter_and_lambda_over_navigation(rec: Recorder, pkg: ModuleType) -> None:
    Calendar, Event = pkg.Calendar, pkg.Event
    high = Event.importance == pkg.Importance.HIGH
    q = (
        rec.client.calendars.select(Calendar.id, Calendar.owner)
        .expand(Calendar.events.select(Event.subject).filter(high))
        .order_by(Calendar.id)
    )
    calendars = await q.get()
    assert [(c.id, c.owner.address, [(e.id, e.subject) for e in c.events]) for c in calendars] == [
        ("cal-personal", "alex@contoso.com", []),
        ("cal-team", "nestor@contoso.com", [("ev24", "All hands")]),
        ("cal-work", "adele@contoso.com", [("ev02", "Budget review"), ("ev19", "Board meeting")]),
    ]
    with_high = await rec.client.calendars.filter(Calendar.events.any(lambda e: e.importance == pkg.Importance.HIGH))
    assert sorted(ids(with_high)) == ["cal-team", "cal-work"]


# -- writes ------------------------------------------------------------------------------------------------


def new_event(pkg: ModuleType, event_id: str) -> Any:
    return pkg.Event(
        id=event_id,
        subject="Kickoff",
        body=pkg.ItemBody(content_type=pkg.BodyType.HTML, content="<b>Kickoff</b>"),
        start=pkg.DateTimeTimeZone(date_time="2024-06-03T09:00:00.0000000", time_zone="UTC"),
        end=pkg.DateTimeTimeZone(date_time="2024-06-03T10:00:00.0000000", time_zone="UTC"),
        location=pkg.Location(
            display_name="Fjord",
            address=pkg.PhysicalAddress(city="Bergen", country_or_region="Norway"),
            coordinates=pkg.OutlookGeoCoordinates(latitude=60.39, longitude=5.32),
        ),
        organizer=pkg.Recipient(email_address=pkg.EmailAddress(name="Ola", address="ola@fabrikam.com")),
        attendees=[
            pkg.Attendee(
                type=pkg.AttendeeType.REQUIRED,
                email_address=pkg.EmailAddress(name="Kari", address="kari@fabrikam.com"),
                status=pkg.ResponseStatus(
                    response=pkg.ResponseType.ACCEPTED, time=datetime(2024, 5, 30, 8, 15, tzinfo=UTC)
                ),
            ),
        ],
        categories=["Kickoff", "Norway"],
        importance=pkg.Importance.HIGH,
        is_all_day=False,
        reminder_minutes_before_start=45,
        created_date_time=datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC),
    )


async def test_create_returns_201_and_typed_entity(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    sent = new_event(pkg, "new-create")
    mark = len(rec.log)
    created = await rec.client.events.create(sent)

    [post] = rec.since(mark)
    assert (post.method, post.status) == ("POST", 201)
    assert post.response_headers["Location"] == f"{rec.client.base_url}/events('new-create')"
    assert type(created) is Event
    assert created.additional_data == {"@odata.context": f"{rec.client.base_url}/$metadata#events/$entity"}
    assert odatakit.replace(created, additional_data={}) == sent
    assert type(created.attendees[0]) is pkg.Attendee

    again = await rec.client.events["new-create"].get()
    assert odatakit.replace(again, additional_data={}) == sent
    # Written values are queryable through nested paths, lambdas and enums like the seed data.
    found = await rec.client.events.filter(
        (Event.location.address.city == "Bergen")
        & Event.attendees.any(lambda a: a.status.response == pkg.ResponseType.ACCEPTED)
        & (Event.importance == pkg.Importance.HIGH)
        & Event.categories.any(lambda c: c == "Norway")
    ).select(Event.id)
    assert ids(found) == ["new-create"]


async def test_patch_updates_and_rereads(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    await rec.client.events.create(new_event(pkg, "new-patch"))
    mark = len(rec.log)
    await rec.client.events["new-patch"].update(
        Event(
            subject="Kickoff (moved)",
            start=pkg.DateTimeTimeZone(date_time="2024-06-04T13:00:00.0000000", time_zone="W. Europe Standard Time"),
            importance=pkg.Importance.LOW,
            categories=["Moved"],
        )
    )
    [patch] = rec.since(mark)
    assert (patch.method, patch.url, patch.status) == ("PATCH", f"{rec.client.base_url}/events('new-patch')", 204)

    again = await rec.client.events["new-patch"].get()
    assert again.subject == "Kickoff (moved)"
    assert again.start == pkg.DateTimeTimeZone(
        date_time="2024-06-04T13:00:00.0000000", time_zone="W. Europe Standard Time"
    )
    assert again.importance is pkg.Importance.LOW
    assert again.categories == ["Moved"]
    # Properties the PATCH did not name are unchanged.
    assert again.end == pkg.DateTimeTimeZone(date_time="2024-06-03T10:00:00.0000000", time_zone="UTC")
    assert again.location.address.city == "Bergen"
    assert [a.email_address.address for a in again.attendees] == ["kari@fabrikam.com"]
    assert again.reminder_minutes_before_start == 45

    moved = Event.id.startswith("new-patch") & (Event.start.time_zone == "W. Europe Standard Time")
    found = await rec.client.events.filter(moved & (Event.importance == pkg.Importance.LOW)).select(Event.id)
    assert ids(found) == ["new-patch"]


async def test_tracked_patch_sends_only_what_changed(rec: Recorder, pkg: ModuleType) -> None:
    await rec.client.events.create(new_event(pkg, "new-tracked"))
    event = await rec.client.events["new-tracked"].get()
    event.subject = "Tracked"
    event.location.address.city = "Tromsø"
    assert event.changed_fields == {"subject", "location"}
    mark = len(rec.log)
    await rec.client.events["new-tracked"].update(event)
    [patch] = rec.since(mark)
    assert (patch.method, patch.status) == ("PATCH", 204)
    assert event.changed_fields == frozenset()

    again = await rec.client.events["new-tracked"].get()
    assert (again.subject, again.location.address.city) == ("Tracked", "Tromsø")
    # The whole location was sent (nested values are sent whole), so its other parts stay.
    assert again.location == event.location
    assert again.importance == event.importance and again.attendees == event.attendees


async def test_delete_then_not_found(rec: Recorder, pkg: ModuleType) -> None:
    await rec.client.events.create(pkg.Event(id="new-delete", subject="Short-lived"))
    mark = len(rec.log)
    await rec.client.events["new-delete"].delete()
    [delete] = rec.since(mark)
    assert (delete.method, delete.status) == ("DELETE", 204)
    with pytest.raises(ODataError) as info:
        await rec.client.events["new-delete"].get()
    assert info.value.status == 404


# -- odatapy limitations, kept visible ----------------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="odatapy 5.3.0 compares enum values by member name, not by underlying value: "
    "$filter=importance gt microsoft.graph.importance'normal' matches no 'high' event "
    "('high' < 'normal' as strings); $orderby=importance orders names alphabetically",
)
async def test_enum_ordering_by_value(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    got = await query_ids(rec, Event.importance > pkg.Importance.NORMAL)
    assert got == ["ev02", "ev06", "ev08", "ev12", "ev16", "ev17", "ev19", "ev24"]


# -- $batch ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("json_format", [True, False], ids=["json", "multipart"])
async def test_batch_reads_and_writes_with_typed_results(rec: Recorder, pkg: ModuleType, json_format: bool) -> None:
    Event = pkg.Event
    suffix = "json" if json_format else "multipart"
    mark = len(rec.log)
    async with rec.client.batch(json=json_format) as batch:
        top = batch.add(rec.client.events.filter(Event.id.startswith("ev")).select(Event.id).order_by(Event.id).top(3))
        count = batch.add(rec.client.events.filter(Event.id.startswith("ev")).count_only())
        made = batch.add(rec.client.events.create(new_event(pkg, f"new-batch-{suffix}")))
        missing = batch.add(rec.client.events["no-such-event"].get())
    [outer] = rec.since(mark)
    assert (outer.method, outer.url, outer.status) == ("POST", f"{rec.client.base_url}/$batch", 200)
    expected_type = "application/json" if json_format else "multipart/mixed"
    assert outer.request_headers["Content-Type"].startswith(expected_type)
    assert ids(top.result()) == ["ev01", "ev02", "ev03"]
    assert count.result() == 24
    created = made.result()
    assert isinstance(created, Event) and created.id == f"new-batch-{suffix}" and made.status == 201
    with pytest.raises(ODataError) as info:
        missing.result()
    assert info.value.status == 404
    again = await rec.client.events[f"new-batch-{suffix}"].get()
    assert again.subject == created.subject


# -- references and property paths ---------------------------------------------------------------------------


async def test_references_add_list_and_remove(rec: Recorder, pkg: ModuleType) -> None:
    team = rec.client.calendars["cal-team"].events
    root = rec.client.base_url
    seeded = [f"{root}/events('{i}')" for i in ("ev14", "ev18", "ev20", "ev24")]
    assert await team.ref.get() == seeded
    await team.ref.add(rec.client.events["ev02"])
    assert await team.ref.get() == [*seeded, f"{root}/events('ev02')"]
    assert ids(await team.get()) == ["ev14", "ev18", "ev20", "ev24", "ev02"]
    await team.ref.remove("ev02")  # a key of the navigation's type: `$id` names events('ev02')
    assert await team.ref.get() == seeded
    assert [(e.method, e.status) for e in rec.log] == [
        ("GET", 200), ("POST", 204), ("GET", 200), ("GET", 200), ("DELETE", 204), ("GET", 200),
    ]
    assert unquote(rec.log[4].url) == f"{root}/calendars('cal-team')/events/$ref?$id={root}/events('ev02')"


async def test_complex_and_primitive_properties_as_resources(rec: Recorder, pkg: ModuleType) -> None:
    Event = pkg.Event
    event = rec.client.events["new-prop"]
    await rec.client.events.create(new_event(pkg, "new-prop"))
    start = await event.prop(Event.start).get()
    assert isinstance(start, pkg.DateTimeTimeZone) and start.additional_data == {}
    start.time_zone = "Pacific Standard Time"
    await event.prop(Event.start).update(start)
    assert (await event.prop(Event.start).get()) == pkg.DateTimeTimeZone(
        date_time="2024-06-03T09:00:00.0000000", time_zone="Pacific Standard Time"
    )
    assert await event.prop(Event.start.time_zone).get() == "Pacific Standard Time"
    subject = (await event.get()).subject
    assert subject and await event.prop(Event.subject).value() == subject
    attendees = await rec.client.events["ev02"].prop(Event.attendees).get()
    assert [a.email_address.address for a in attendees][:1] == ["adele@contoso.com"]
    assert all(isinstance(a, pkg.Attendee) for a in attendees)
    patch = rec.log[2]
    assert (patch.method, patch.status, unquote(patch.url)) == (
        "PATCH", 204, f"{rec.client.base_url}/events('new-prop')/start",
    )  # fmt: skip
