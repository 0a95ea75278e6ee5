"""End to end against SAP CAP (@sap/cds 9, servers/cap): a Graph-like calendar service.

The client is generated from the server's own `$metadata` (see cap_server.py) and every request
below goes over HTTP through that generated client, no mocks: `$select`, `$filter` (comparison,
logical, string, date and `in` operators, lambdas over navigation and over primitive
collections), `$expand` with nested options, `$top`/`$skip`, multi-key `$orderby`, `$count` and
`/$count`, `$search`, server-driven paging (5 per page), keys containing `/ + = '`, the `me`
singleton and navigation chains, POST/PATCH/DELETE, bound actions, the calendarView function,
`Prefer: outlook.timezone`, OData errors and stream properties (`@Core.MediaType`: a user's photo,
an attachment's content, read and written through the generated accessors).

CAP names entity types after their entity sets, so the classes are `Events`, `Users`...; it
flattens structured properties (`start_dateTime`, Python `start_date_time`). The seed data is
servers/cap/srv/seed.js; the expected values here are written out by hand from it. Tests that
write use `cap_fresh`, which restores the seed data before and after them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest

from odatakit import ODataError, concat, now

from .cap_server import cap_fresh, cap_package, cap_server, reset_cap_server  # noqa: F401  (pytest fixtures)
from .support import Recorder, recording

#: The seeded event whose key holds every character that needs care in a URL key.
SPECIAL_ID = "AAMkAD/Lunch+O'Neil=="

#: Adele's (the `me` user's) 19 events by start, as calendarView and `$orderby=start_dateTime` give them.
ADELE_BY_START = [
    "All hands meeting", "Architecture review", "Budget planning", "Coffee with Megan", "Weekly 1:1 with Megan",
    "Design sync", "Quarterly business review", "Team offsite", "Customer demo", "Dentist",
    "Hiring committee", "Lunch with O'Neil", "Product launch", "Retrospective", "Security training",
    "Sprint planning", "Yoga class", "Memorial Day", "Independence Day",
]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _seeded(cap_server: str) -> None:  # noqa: F811
    """This module starts from the seed data whatever ran before it."""
    reset_cap_server(cap_server)


@pytest.fixture
def pkg(cap_package: ModuleType) -> ModuleType:  # noqa: F811  (the imported fixture)
    return cap_package


@pytest.fixture
async def rec(pkg: ModuleType, cap_server: str) -> AsyncIterator[Recorder]:  # noqa: F811
    async with recording(pkg, cap_server) as recorder:
        yield recorder


@pytest.fixture
async def fresh(cap_fresh: str, rec: Recorder) -> Recorder:  # noqa: F811
    """`rec` for a test that writes: the seed data is restored before and after it."""
    return rec


def subjects(items: list[Any]) -> list[str]:
    return [item.subject for item in items]


async def my_subjects(rec: Recorder, condition: Any, *order: Any) -> list[str]:
    """The subjects of the `me` user's events matching `condition`, by `order` (default: start)."""
    Events = rec.pkg.Events
    q = rec.client.me.events.filter(condition).select(Events.subject)
    return subjects(await q.order_by(*(order or (Events.start_date_time,))).get())


# -- $select and reading by key -------------------------------------------------------------------


async def test_get_by_key_decodes_every_kind_of_value(rec: Recorder, pkg: ModuleType) -> None:
    event = await rec.client.events["evt-05"].get()

    assert type(event) is pkg.Events
    assert (event.id, event.subject, event.importance, event.show_as) == (
        "evt-05", "Weekly 1:1 with Megan", "normal", "busy",
    )  # fmt: skip
    assert (event.start_date_time, event.start_time_zone) == ("2024-05-06T10:00:00.0000000", "UTC")
    assert event.end_date_time == "2024-05-06T10:30:00.0000000"
    assert event.categories == ["Engineering", "Personal"]
    assert event.created_date_time == datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
    assert event.response_status_time == datetime(2024, 3, 15, 12, 45, tzinfo=UTC)
    assert (event.recurrence_pattern_type, event.recurrence_pattern_interval) == ("weekly", 1)
    assert event.recurrence_pattern_days_of_week == ["monday"]
    assert event.recurrence_range_start_date == date(2024, 5, 6)
    assert event.recurrence_range_end_date == date(2024, 7, 29)
    assert event.recurrence_range_number_of_occurrences is None  # an explicit null stays null
    assert (event.type, event.is_all_day, event.reminder_minutes_before_start) == ("seriesMaster", False, 15)
    assert (event.owner_id, event.calendar_id, event.location_display_name) == (
        "adele", "adele-calendar", "Megan's office",
    )  # fmt: skip
    assert event.odata_etag == 'W/"6-seed-4"'
    assert event.change_key == "6-seed-4"
    assert rec.urls() == ["events('evt-05')"]


async def test_collection_of_complex_values(rec: Recorder, pkg: ModuleType) -> None:
    event = await rec.client.events["evt-01"].select(pkg.Events.attendees).get()
    assert event.attendees == [
        pkg.Attendee(type="required", email_address=pkg.EmailAddress(name="Megan Bowen", address="MeganB@contoso.com")),
        pkg.Attendee(type="optional", email_address=pkg.EmailAddress(name="Alex Wilber", address="AlexW@contoso.com")),
    ]


async def test_select(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    event = await rec.client.events["evt-10"].select(Events.subject, Events.reminder_minutes_before_start).get()
    assert (event.subject, event.reminder_minutes_before_start) == ("Dentist", 60)
    # CAP adds the key and the ETag property to every $select.
    assert (event.id, event.change_key) == ("evt-10", "6-seed-9")
    wire = rec.client.converter.unstructure(event)
    assert set(wire) == {"@odata.context", "@odata.etag", "id", "changeKey", "subject", "reminderMinutesBeforeStart"}
    assert rec.urls() == ["events('evt-10')?$select=subject,reminderMinutesBeforeStart"]


async def test_key_with_slash_plus_equals_and_quote(rec: Recorder, pkg: ModuleType) -> None:
    event = await rec.client.events[SPECIAL_ID].get()
    assert (event.id, event.subject, event.location_display_name) == (SPECIAL_ID, "Lunch with O'Neil", "O'Neil's Diner")

    [attachment] = await rec.client.events[SPECIAL_ID].attachments.get()
    assert (attachment.id, attachment.name, attachment.size) == ("att-05", "menu.txt", 24)
    assert attachment.content_bytes == b"Soup of the day: tomato\n"

    sent = [e.url.removeprefix(rec.client.base_url + "/") for e in rec.log]
    assert sent == ["events('AAMkAD%2FLunch%2BO''Neil==')", "events('AAMkAD%2FLunch%2BO''Neil==')/attachments"]


async def test_missing_key_raises_odata_error(rec: Recorder) -> None:
    with pytest.raises(ODataError) as info:
        await rec.client.events["no-such-event"].get()
    error = info.value
    assert (error.status, error.code, error.message) == (404, "404", "Not Found")
    assert error.method == "GET"
    assert error.url == f"{rec.client.base_url}/events('no-such-event')"


# -- $filter ------------------------------------------------------------------------------------


async def test_filter_comparisons(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    high = ["All hands meeting", "Budget planning", "Quarterly business review", "Customer demo", "Product launch"]
    assert await my_subjects(rec, Events.importance == "high") == high
    assert await my_subjects(rec, Events.reminder_minutes_before_start > 15) == ["Dentist"]
    assert await my_subjects(rec, Events.start_date_time >= "2024-05-22") == [
        "Sprint planning", "Yoga class", "Memorial Day", "Independence Day",
    ]  # fmt: skip
    # CAP needs a comparison: a bare Boolean property (`$filter=isAllDay`, `not isAllDay`) is a 400.
    all_day = ["Team offsite", "Memorial Day", "Independence Day"]
    assert await my_subjects(rec, Events.is_all_day == True) == all_day  # noqa: E712  (an OData expression)
    assert await my_subjects(rec, Events.subject != "Dentist", Events.subject) == sorted(
        set(ADELE_BY_START) - {"Dentist"}
    )
    assert rec.urls()[0] == "me/events?$select=subject&$filter=importance eq 'high'&$orderby=start_dateTime"


async def test_filter_and_or_not(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    assert await my_subjects(rec, (Events.importance == "low") & ~(Events.show_as == "free")) == ["Dentist"]
    either = (Events.subject == "Yoga class") | (Events.subject == "Dentist")
    assert await my_subjects(rec, either) == ["Dentist", "Yoga class"]
    mixed = ((Events.show_as == "oof") | (Events.show_as == "tentative")) & ~(Events.is_all_day == True)  # noqa: E712
    assert await my_subjects(rec, mixed) == ["Design sync", "Dentist"]
    assert "(showAs eq 'oof' or showAs eq 'tentative') and not (isAllDay eq true)" in rec.urls()[2]


async def test_filter_string_functions(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    by_subject = Events.subject
    assert await my_subjects(rec, Events.subject.startswith("S"), by_subject) == [
        "Security training", "Sprint planning",
    ]  # fmt: skip
    assert await my_subjects(rec, Events.subject.contains("review"), by_subject) == [
        "Architecture review", "Quarterly business review",
    ]  # fmt: skip
    assert await my_subjects(rec, Events.subject.endswith("Day"), by_subject) == ["Independence Day", "Memorial Day"]
    assert await my_subjects(rec, Events.subject.tolower() == "dentist") == ["Dentist"]
    assert await my_subjects(rec, Events.subject.toupper().startswith("ALL")) == ["All hands meeting"]
    # A quote inside a literal is doubled, and the literal percent-encoded.
    assert await my_subjects(rec, Events.location_display_name == "O'Neil's Diner") == ["Lunch with O'Neil"]
    assert "location_displayName eq 'O''Neil''s Diner'" in rec.urls()[-1]


async def test_filter_more_string_functions(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    subject = Events.subject
    assert await my_subjects(rec, subject.length() == 7) == ["Dentist"]
    assert await my_subjects(rec, subject.indexof("hands") == 4) == ["All hands meeting"]
    assert await my_subjects(rec, subject.substring(0, 6) == "Sprint") == ["Sprint planning"]
    assert await my_subjects(rec, subject.trim().concat("!") == "Yoga class!") == ["Yoga class"]
    assert await my_subjects(rec, concat(Events.location_display_name, subject) == "GymYoga class") == ["Yoga class"]
    assert await my_subjects(rec, subject.matches_pattern("^[DR]e")) == ["Design sync", "Dentist", "Retrospective"]
    assert (
        rec.urls()[-1] == "me/events?$select=subject&$filter=matchesPattern(subject,'^[DR]e')&$orderby=start_dateTime"
    )


async def test_filter_date_functions(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    created = Events.created_date_time
    assert await my_subjects(rec, (created.year() == 2024) & (created.month() == 3)) == ["Weekly 1:1 with Megan"]
    assert await my_subjects(rec, (created.day() == 12) & (created.hour() == 19)) == ["Lunch with O'Neil"]
    assert await my_subjects(rec, created.date() == date(2024, 4, 12)) == ["Lunch with O'Neil"]
    before = created < datetime(2024, 3, 20, tzinfo=UTC)
    assert await my_subjects(rec, before) == ["Weekly 1:1 with Megan", "Memorial Day", "Independence Day"]
    # An offset other than Z: `+` is percent-encoded, so the server does not read it as a space.
    paris = timezone(timedelta(hours=2))
    assert await my_subjects(rec, created < datetime(2024, 3, 20, 2, 0, tzinfo=paris)) == [
        "Weekly 1:1 with Megan", "Memorial Day", "Independence Day",
    ]  # fmt: skip
    assert await my_subjects(rec, Events.recurrence_range_start_date == date(2024, 5, 6)) == ["Weekly 1:1 with Megan"]


async def test_filter_now_minute_and_number_in(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    assert len(await my_subjects(rec, Events.created_date_time < now())) == 19
    assert await my_subjects(rec, Events.created_date_time.minute() != 0) == []
    assert await my_subjects(rec, Events.reminder_minutes_before_start.in_([60, 90])) == ["Dentist"]
    assert rec.urls()[0] == "me/events?$select=subject&$filter=createdDateTime lt now()&$orderby=start_dateTime"


async def test_filter_in(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    assert await my_subjects(rec, Events.show_as.in_(["oof", "workingElsewhere"])) == [
        "Team offsite", "Dentist", "Security training",
    ]  # fmt: skip
    assert await my_subjects(rec, Events.id.in_(["evt-17", SPECIAL_ID, "meg-01"])) == [
        "Lunch with O'Neil", "Yoga class",
    ]  # fmt: skip


async def test_filter_any_all_over_navigation(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    assert await my_subjects(rec, Events.attachments.any()) == [
        "All hands meeting",
        "Budget planning",
        "Lunch with O'Neil",
    ]
    assert await my_subjects(rec, Events.attachments.any(lambda a: a.size > 100000)) == ["All hands meeting"]
    inline = Events.attachments.any(lambda a: (a.is_inline == True) & a.content_type.startswith("image/"))  # noqa: E712
    assert await my_subjects(rec, inline) == ["All hands meeting"]
    # all() holds for events without attachments too.
    big = Events.attachments.any() & Events.attachments.all(lambda a: a.size > 1000)
    assert await my_subjects(rec, big) == ["Budget planning"]
    assert "attachments/any() and attachments/all(a:a/size gt 1000)" in rec.urls()[-1]


async def test_filter_nested_lambdas(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    # Events sharing their calendar with an event that has an attachment over 200 kB.
    big = Events.calendar.events.any(lambda e: e.attachments.any(lambda a: a.size > 200000))
    assert len(await my_subjects(rec, big)) == 17  # Adele's main calendar, not the holidays
    siblings = Events.attachments.any(lambda a: a.event.attachments.any(lambda b: b.name.endswith(".png")))
    assert await my_subjects(rec, siblings) == ["All hands meeting"]
    assert "attachments/any(a:a/event/attachments/any(a1:endswith(a1/name,'.png')))" in rec.urls()[-1]


async def test_filter_any_over_primitive_collections(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    blue = Events.categories.any(lambda c: c == "Blue")
    assert await my_subjects(rec, blue) == ["All hands meeting", "Design sync", "Sprint planning"]
    either = Events.categories.any(lambda c: (c == "Finance") | (c == "Sales"))
    assert await my_subjects(rec, either) == [
        "Budget planning", "Quarterly business review", "Customer demo", "Product launch",
    ]  # fmt: skip
    mondays = Events.recurrence_pattern_days_of_week.any(lambda d: d == "monday")
    assert await my_subjects(rec, mondays) == ["Weekly 1:1 with Megan"]
    assert rec.urls()[0].endswith("$filter=categories/any(c:c eq 'Blue')&$orderby=start_dateTime")


# -- $expand ------------------------------------------------------------------------------------


async def test_expand_with_nested_select_filter_orderby_top_count_expand(rec: Recorder, pkg: ModuleType) -> None:
    Users, Events, Attachments = pkg.Users, pkg.Events, pkg.Attachments
    events = (
        Users.events.select(Events.subject)
        .filter(Events.importance == "high")
        .order_by(Events.subject)
        .top(2)
        .count()
        .expand(Events.attachments.select(Attachments.name).order_by(Attachments.name))
    )
    users = await rec.client.users.select(Users.display_name).expand(events).order_by(Users.display_name).get()

    assert [u.display_name for u in users] == ["Adele Vance", "Alex Wilber", "Megan Bowen"]
    adele, alex, megan = users
    assert [(e.subject, [a.name for a in e.attachments]) for e in adele.events] == [
        ("All hands meeting", ["agenda.pdf", "logo.png", "slides.pptx"]),
        ("Budget planning", ["budget.xlsx"]),
    ]
    assert alex.events == []
    assert [(e.subject, e.attachments) for e in megan.events] == [("All hands meeting", []), ("Campaign launch", [])]
    # $count inside $expand: the count of all matching items, not of the $top ones.
    assert [u.additional_data["events@odata.count"] for u in users] == [5, 0, 2]
    assert rec.urls() == [
        "users?$select=displayName&$expand=events($select=subject;$filter=importance eq 'high';"
        "$expand=attachments($select=name;$orderby=name);$orderby=subject;$top=2;$count=true)"
        "&$orderby=displayName"
    ]


async def test_select_and_expand_star_and_nested_skip(rec: Recorder, pkg: ModuleType) -> None:
    Users, Events = pkg.Users, pkg.Events
    [event] = await rec.client.events.filter(Events.id == "evt-03").select(Events.subject).expand("*").get()
    assert (event.subject, event.owner.display_name, event.calendar.name) == (
        "Budget planning",
        "Adele Vance",
        "Calendar",
    )
    assert [a.name for a in event.attachments] == ["budget.xlsx"]
    [everything] = await rec.client.events.filter(Events.id == "evt-03").select("*").get()
    assert (everything.subject, everything.importance, everything.location_display_name) == (
        "Budget planning", "high", "Room 2",
    )  # fmt: skip
    # $skip inside $expand (CAP needs a $top with it: `$skip` alone answers 500).
    nested = Users.events.select(Events.subject).order_by(Events.start_date_time).skip(16).top(5)
    [adele] = await rec.client.users.filter(Users.id == "adele").select(Users.id).expand(nested).get()
    assert subjects(adele.events) == ["Yoga class", "Memorial Day", "Independence Day"]


async def test_expand_single_valued_navigation_chain(rec: Recorder, pkg: ModuleType) -> None:
    Events, Calendars, CalendarGroups, Users = pkg.Events, pkg.Calendars, pkg.CalendarGroups, pkg.Users
    calendar = Events.calendar.select(Calendars.name).expand(
        Calendars.calendar_group.select(CalendarGroups.name), Calendars.owner.select(Users.display_name)
    )
    event = await rec.client.events["hol-01"].select(Events.subject).expand(calendar).get()
    assert event.subject == "Memorial Day"
    assert event.calendar.name == "United States holidays"
    assert event.calendar.calendar_group.name == "Other Calendars"
    assert event.calendar.owner.display_name == "Adele Vance"


# -- $top, $skip, $orderby, $count, $search -----------------------------------------------------


async def test_top_skip_and_multi_key_orderby(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    q = (
        rec.client.me.events.filter(Events.importance == "low")
        .select(Events.subject)
        .order_by(Events.show_as, Events.start_date_time.desc())
    )
    assert subjects(await q.get()) == [
        "Independence Day", "Memorial Day", "Yoga class", "Lunch with O'Neil", "Coffee with Megan", "Dentist",
    ]  # fmt: skip
    assert subjects(await q.skip(1).top(4).get()) == [
        "Memorial Day",
        "Yoga class",
        "Lunch with O'Neil",
        "Coffee with Megan",
    ]
    assert rec.urls()[-1] == (
        "me/events?$select=subject&$filter=importance eq 'low'&$orderby=showAs,start_dateTime desc&$top=4&$skip=1"
    )
    first = await rec.client.me.events.order_by(Events.start_date_time.desc()).first()
    assert first is not None and first.subject == "Independence Day"
    # Ordering by an expression.
    longest = (
        await rec.client.me.events.select(Events.subject)
        .order_by(Events.subject.length().desc(), Events.subject)
        .top(3)
        .get()
    )
    assert subjects(longest) == ["Quarterly business review", "Weekly 1:1 with Megan", "Architecture review"]


async def test_count(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    assert await rec.client.events.count_only() == 22
    assert await rec.client.me.events.count_only() == 19
    assert await rec.client.users["megan"].events.count_only() == 3
    assert await rec.client.events.filter(Events.importance == "high").count_only() == 7
    assert await rec.client.me.events.search("review").count_only() == 2
    # $count=true along with the items (the count itself is read with pages(), not tested here).
    items = await rec.client.me.events.filter(Events.is_all_day == True).select(Events.subject).count().get()  # noqa: E712
    assert subjects(items) == ["Team offsite", "Memorial Day", "Independence Day"]
    assert rec.urls() == [
        "events/$count",
        "me/events/$count",
        "users('megan')/events/$count",
        "events/$count?$filter=importance eq 'high'",
        "me/events/$count?$search=review",
        "me/events?$select=subject&$filter=isAllDay eq true&$count=true",
    ]
    assert rec.log[0].request_headers["Accept"] == "text/plain"


async def test_search(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    q = rec.client.me.events.select(Events.subject).order_by(Events.subject)
    assert subjects(await q.search("review").get()) == ["Architecture review", "Quarterly business review"]
    # $search also looks at other text properties: here the location.
    assert subjects(await q.search("Auditorium").get()) == [
        "All hands meeting",
        "Product launch",
        "Quarterly business review",
    ]
    assert subjects(await q.search("Neil").filter(Events.importance == "low").get()) == ["Lunch with O'Neil"]


# -- server-driven paging -----------------------------------------------------------------------


async def test_paging_follows_next_links_across_pages(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    got = [e.subject async for e in rec.client.me.events.select(Events.subject).order_by(Events.start_date_time)]
    assert got == ADELE_BY_START
    # 19 items at 5 a page: 4 requests, the last three from @odata.nextLink ($skiptoken).
    assert rec.urls() == [
        "me/events?$select=subject&$orderby=start_dateTime",
        "me/events?$select=subject&$orderby=start_dateTime&$skiptoken=5",
        "me/events?$select=subject&$orderby=start_dateTime&$skiptoken=10",
        "me/events?$select=subject&$orderby=start_dateTime&$skiptoken=15",
    ]
    assert [e.status for e in rec.log] == [200] * 4
    # $skiptoken resumes where a nextLink pointed (CAP's token is the offset).
    rest = rec.client.me.events.select(Events.subject).order_by(Events.start_date_time).skiptoken("15")
    assert subjects(await rest.get()) == ADELE_BY_START[15:]


async def test_paging_full_last_page_ends_on_an_empty_page(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    high = await rec.client.me.events.filter(Events.importance == "high").select(Events.id).order_by(Events.id).get()
    assert [e.id for e in high] == ["evt-01", "evt-03", "evt-07", "evt-09", "evt-13"]
    # CAP sends a nextLink after a full page even when nothing follows.
    assert len(rec.log) == 2


async def test_paging_with_top_above_the_page_size(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    got = await rec.client.events.select(Events.id).order_by(Events.id).top(12).get()
    assert len(got) == 12
    assert len(rec.log) == 1  # $top up to the maximum (1000) is answered in one response


# -- the `me` singleton and navigation chains ---------------------------------------------------


async def test_singleton_and_navigation_chains(rec: Recorder, pkg: ModuleType) -> None:
    me = await rec.client.me.get()
    assert type(me) is pkg.Me
    assert (me.id, me.display_name, me.mail) == ("adele", "Adele Vance", "AdeleV@contoso.com")

    Calendars, Events = pkg.Calendars, pkg.Events
    calendars = (
        await rec.client.me.calendars.select(Calendars.name, Calendars.is_default_calendar)
        .order_by(Calendars.name)
        .get()
    )
    assert [(c.name, c.is_default_calendar) for c in calendars] == [
        ("Calendar", True),
        ("United States holidays", False),
    ]
    holidays = (
        await rec.client.me.calendar_groups["adele-other"]
        .calendars["adele-holidays"]
        .events.select(Events.subject)
        .order_by(Events.start_date_time)
        .get()
    )
    assert subjects(holidays) == ["Memorial Day", "Independence Day"]
    marketing = await rec.client.users["megan"].calendars["megan-calendar"].events["meg-02"].get()
    assert (marketing.subject, marketing.attendees[0].email_address.address) == ("Marketing sync", "AdeleV@contoso.com")
    owner = await rec.client.events["evt-01"].calendar.owner.get()
    assert owner.display_name == "Adele Vance"
    group = await rec.client.attachments["att-05"].event.calendar.calendar_group.get()
    assert (group.id, group.name) == ("adele-my", "My Calendars")
    assert rec.urls() == [
        "me",
        "me/calendars?$select=name,isDefaultCalendar&$orderby=name",
        "me/calendarGroups('adele-other')/calendars('adele-holidays')/events?$select=subject&$orderby=start_dateTime",
        "users('megan')/calendars('megan-calendar')/events('meg-02')",
        "events('evt-01')/calendar/owner",
        "attachments('att-05')/event/calendar/calendarGroup",
    ]


# -- POST, PATCH, DELETE --------------------------------------------------------------------------


async def test_create_event_through_me(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    new = pkg.Events(
        subject="Plan review",
        start_date_time="2024-06-03T09:00:00.0000000",
        start_time_zone="UTC",
        end_date_time="2024-06-03T10:00:00.0000000",
        end_time_zone="UTC",
        importance="high",
        categories=["Blue", "Planning"],
        location_display_name="Room 9",
        attendees=[
            pkg.Attendee(type="required", email_address=pkg.EmailAddress(name="Alex", address="AlexW@contoso.com"))
        ],
    )
    created = await rec.client.me.events.create(new)

    assert type(created) is pkg.Events
    assert created.id.startswith("evt-") and created.subject == "Plan review"
    # Server-managed: owner and calendar of the me user, the organizer's response, a new ETag.
    assert (created.owner_id, created.calendar_id) == ("adele", "adele-calendar")
    assert (created.response_status_response, created.type) == ("organizer", "singleInstance")
    assert created.odata_etag == f'W/"{created.change_key}"'
    assert (rec.log[0].method, rec.log[0].status) == ("POST", 201)

    again = await rec.client.events[created.id].get()
    assert (again.subject, again.importance, again.categories) == ("Plan review", "high", ["Blue", "Planning"])
    assert again.attendees[0].email_address.address == "AlexW@contoso.com"
    assert await rec.client.me.events.count_only() == 20


async def test_create_recurring_event_with_special_key_in_another_users_calendar(
    fresh: Recorder, pkg: ModuleType
) -> None:
    rec = fresh
    key = "new/one+two=='three'"
    series = pkg.Events(
        id=key,
        subject="Standup",
        start_date_time="2024-06-03T08:45:00.0000000",
        start_time_zone="UTC",
        end_date_time="2024-06-03T09:00:00.0000000",
        end_time_zone="UTC",
        recurrence_pattern_type="daily",
        recurrence_pattern_interval=1,
        recurrence_pattern_days_of_week=["monday", "tuesday", "wednesday", "thursday", "friday"],
        recurrence_range_type="numbered",
        recurrence_range_start_date=date(2024, 6, 3),
        recurrence_range_number_of_occurrences=10,
    )
    created = await rec.client.users["megan"].calendars["megan-calendar"].events.create(series)
    assert (created.id, created.type, created.owner_id, created.calendar_id) == (
        key,
        "seriesMaster",
        "megan",
        "megan-calendar",
    )

    again = await rec.client.events[key].get()
    assert again.recurrence_pattern_days_of_week == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert (again.recurrence_range_start_date, again.recurrence_range_number_of_occurrences) == (date(2024, 6, 3), 10)
    assert rec.urls()[-1] == f"events('{key.replace(chr(39), chr(39) * 2)}')"
    assert subjects(await rec.client.users["megan"].events.filter(pkg.Events.type == "seriesMaster").get()) == [
        "Standup"
    ]


async def test_create_attachment_with_binary_content_then_delete_it(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    content = bytes(range(256))
    created = await rec.client.events["evt-02"].attachments.create(
        pkg.Attachments(
            id="att-new", name="notes.bin", content_type="application/octet-stream", size=256, content_bytes=content
        )
    )
    assert (created.event_id, created.content_bytes) == ("evt-02", content)
    assert [a.name for a in await rec.client.events["evt-02"].attachments.get()] == ["notes.bin"]

    await rec.client.attachments["att-new"].delete()
    assert await rec.client.events["evt-02"].attachments.get() == []
    with pytest.raises(ODataError) as info:
        await rec.client.attachments["att-new"].get()
    assert info.value.status == 404
    assert [(e.method, e.status) for e in rec.log] == [
        ("POST", 201),
        ("GET", 200),
        ("DELETE", 204),
        ("GET", 200),
        ("GET", 404),
    ]


async def test_update_with_patch(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    calendar = await rec.client.calendars["adele-holidays"].get()
    assert (calendar.name, calendar.color, calendar.can_edit) == ("United States holidays", "lightGreen", False)
    calendar.name = "Holidays"
    calendar.color = "lightRed"
    updated = await rec.client.calendars["adele-holidays"].update(calendar)
    assert (updated.name, updated.color) == ("Holidays", "lightRed")  # CAP answers 200 with the entity

    again = await rec.client.calendars["adele-holidays"].get()
    assert (again.name, again.color, again.can_edit, again.owner_id) == ("Holidays", "lightRed", False, "adele")
    patch = rec.log[1]
    assert (patch.method, patch.status) == ("PATCH", 200)


async def test_update_of_an_object_built_in_python(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    await rec.client.attachments["att-04"].update(pkg.Attachments(name="budget-v2.xlsx", size=41000))
    again = await rec.client.attachments["att-04"].get()
    assert (again.name, again.size, again.content_type) == (
        "budget-v2.xlsx", 41000, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip


async def test_delete_cascades_through_compositions(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    await rec.client.calendars["adele-holidays"].delete()
    assert await rec.client.me.events.count_only() == 17
    assert [c.id for c in await rec.client.me.calendars.get()] == ["adele-calendar"]
    with pytest.raises(ODataError) as info:
        await rec.client.events["hol-01"].get()
    assert info.value.status == 404


async def test_duplicate_key_is_a_conflict(fresh: Recorder, pkg: ModuleType) -> None:
    with pytest.raises(ODataError) as info:
        await fresh.client.calendars.create(pkg.Calendars(id="adele-calendar", name="Again"))
    error = info.value
    assert (error.status, error.code, error.message) == (409, "ENTITY_ALREADY_EXISTS", "Entity already exists")


# -- bound actions ------------------------------------------------------------------------------


async def test_accept_decline_tentatively_accept_change_the_response(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    Events = pkg.Events
    before = await rec.client.events["evt-03"].get()
    assert (before.response_status_response, before.show_as) == ("notResponded", "busy")

    await rec.client.events["evt-03"].accept(comment="See you there", send_response=False)
    await rec.client.events["evt-13"].decline(comment="Out that week", send_response=True)
    await rec.client.me.events[SPECIAL_ID].tentatively_accept(comment="Maybe")

    fields = (
        Events.subject,
        Events.response_status_response,
        Events.response_comment,
        Events.response_sent,
        Events.show_as,
    )
    changed = (
        await rec.client.events.filter(Events.id.in_(["evt-03", "evt-13", SPECIAL_ID]))
        .select(*fields)
        .order_by(Events.subject)
        .get()
    )
    assert [
        (e.subject, e.response_status_response, e.response_comment, e.response_sent, e.show_as) for e in changed
    ] == [
        ("Budget planning", "accepted", "See you there", False, "busy"),
        ("Lunch with O'Neil", "tentativelyAccepted", "Maybe", True, "tentative"),
        ("Product launch", "declined", "Out that week", True, "free"),
    ]
    accepted = await rec.client.events["evt-03"].get()
    assert accepted.change_key != before.change_key  # a new ETag
    assert accepted.response_status_time > before.response_status_time
    actions = [(e.method, e.url.removeprefix(rec.client.base_url + "/"), e.status) for e in rec.log[1:4]]
    assert actions == [
        ("POST", "events('evt-03')/CalendarService.accept", 204),
        ("POST", "events('evt-13')/CalendarService.decline", 204),
        ("POST", "me/events('AAMkAD%2FLunch%2BO''Neil==')/CalendarService.tentativelyAccept", 204),
    ]


async def test_cancel_and_its_errors(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    await rec.client.events["evt-10"].cancel(comment="Rescheduled")
    dentist = await rec.client.events["evt-10"].get()
    assert (dentist.is_cancelled, dentist.response_comment) == (True, "Rescheduled")

    with pytest.raises(ODataError) as info:
        await rec.client.events["evt-09"].cancel(comment="not mine")
    assert (info.value.status, info.value.code, info.value.message) == (
        400, "ErrorAccessDenied", "Only the organizer can cancel a meeting",
    )  # fmt: skip
    with pytest.raises(ODataError) as info:
        await rec.client.events["evt-17"].accept()
    assert (info.value.status, info.value.code) == (400, "ErrorInvalidRequest")
    with pytest.raises(ODataError) as info:
        await rec.client.events["no-such-event"].dismiss_reminder()
    assert (info.value.status, info.value.message) == (404, "Event 'no-such-event' does not exist")


async def test_snooze_and_dismiss_reminder(fresh: Recorder, pkg: ModuleType) -> None:
    rec = fresh
    Events = pkg.Events
    later = pkg.DateTimeTimeZone(date_time="2024-05-14T07:50:00.0000000", time_zone="Pacific Standard Time")
    await rec.client.events["evt-10"].snooze_reminder(new_reminder_time=later)
    fields = (Events.is_reminder_on, Events.reminder_snoozed_until_date_time, Events.reminder_snoozed_until_time_zone)
    snoozed = await rec.client.events["evt-10"].select(*fields).get()
    assert (snoozed.is_reminder_on, snoozed.reminder_snoozed_until_date_time, snoozed.reminder_snoozed_until_time_zone) == (
        True, "2024-05-14T07:50:00.0000000", "Pacific Standard Time",
    )  # fmt: skip

    await rec.client.events["evt-10"].dismiss_reminder()
    dismissed = await rec.client.events["evt-10"].select(*fields).get()
    assert (dismissed.is_reminder_on, dismissed.reminder_snoozed_until_date_time) == (False, None)


# -- the calendarView function --------------------------------------------------------------------


async def test_calendar_view(rec: Recorder, pkg: ModuleType) -> None:
    week = await rec.client.me.calendar_view(
        start_date_time=datetime(2024, 5, 6, tzinfo=UTC), end_date_time=datetime(2024, 5, 9, tzinfo=UTC)
    )
    # Team offsite starts at the window's end: not in it.
    assert subjects(week) == ["Weekly 1:1 with Megan", "Design sync", "Quarterly business review"]
    assert all(type(e) is pkg.Events for e in week)

    may = await rec.client.me.calendar_view(
        start_date_time=datetime(2024, 5, 1, tzinfo=UTC), end_date_time=datetime(2024, 6, 1, tzinfo=UTC)
    )
    assert subjects(may) == ADELE_BY_START[:-1]  # not paged: 18 in one response
    megan = await rec.client.users["megan"].calendar_view(
        start_date_time=datetime(2024, 5, 1, tzinfo=UTC), end_date_time=datetime(2024, 6, 1, tzinfo=UTC)
    )
    assert subjects(megan) == ["All hands meeting", "Marketing sync", "Campaign launch"]
    holidays = await rec.client.calendars["adele-holidays"].calendar_view(
        start_date_time=datetime(2024, 1, 1, tzinfo=UTC), end_date_time=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert subjects(holidays) == ["Memorial Day", "Independence Day"]
    assert rec.urls()[0] == (
        "me/CalendarService.calendarView(startDateTime=2024-05-06T00:00:00Z,endDateTime=2024-05-09T00:00:00Z)"
    )


async def test_calendar_view_with_offsets_aliases_and_query_options(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    tokyo = timezone(timedelta(hours=9))
    view = rec.client.me.calendar_view(
        start_date_time=datetime(2024, 5, 6, 9, 0, tzinfo=tokyo), end_date_time=datetime(2024, 5, 9, 9, 0, tzinfo=tokyo)
    )
    assert subjects(await view) == ["Weekly 1:1 with Megan", "Design sync", "Quarterly business review"]
    assert subjects(await view.parameter_aliases()) == [
        "Weekly 1:1 with Megan",
        "Design sync",
        "Quarterly business review",
    ]
    # OData 4.01's implicit parameter aliases: no parentheses, the parameters named in the query.
    assert subjects(await view.parameter_aliases("implicit")) == [
        "Weekly 1:1 with Megan",
        "Design sync",
        "Quarterly business review",
    ]
    # The function result takes query options like an entity set (the server's handler applies them).
    composed = view.filter(Events.importance == "normal").select(Events.subject).order_by(Events.subject.desc()).top(1)
    assert subjects(await composed) == ["Weekly 1:1 with Megan"]
    assert rec.urls() == [
        "me/CalendarService.calendarView(startDateTime=2024-05-06T09:00:00+09:00,endDateTime=2024-05-09T09:00:00+09:00)",
        "me/CalendarService.calendarView(startDateTime=@p1,endDateTime=@p2)"
        "?@p1=2024-05-06T09:00:00+09:00&@p2=2024-05-09T09:00:00+09:00",
        "me/CalendarService.calendarView?@startDateTime=2024-05-06T09:00:00+09:00&@endDateTime=2024-05-09T09:00:00+09:00",
        "me/CalendarService.calendarView(startDateTime=2024-05-06T09:00:00+09:00,endDateTime=2024-05-09T09:00:00+09:00)"
        "?$select=subject&$filter=importance eq 'normal'&$orderby=subject desc&$top=1",
    ]
    assert "%2B09:00" in rec.log[0].url  # the offset's `+` is percent-encoded


async def test_inspect_serves_each_binding_of_calendar_view_and_nothing_composed_on_it(
    rec: Recorder, cap_server: str  # noqa: F811
) -> None:
    from generator.csdl import load_metadata
    from generator.merge import resolve
    from generator.naming import assign_names
    from generator.specmodel import SpecOperation

    model = assign_names(load_metadata(f"{cap_server}/$metadata"))
    window = "(startDateTime={start},endDateTime={end})"

    def resolved(path: str) -> Any:
        return resolve(model, SpecOperation("cap.md", 1, "cap", "v4", "GET", "http://127.0.0.1", "/odata/v4/calendar",
                                            path, (), (), (), (), None))

    # One name bound to three types: each path calls the overload of its own binding.
    calls = [resolved(f"{root}/calendarView{window}") for root in ("/me", "/users/{id}", "/calendars/{id}")]
    assert [r.call for r in calls] == [
        "client.me.calendar_view(start_date_time=..., end_date_time=...)",
        "client.users[id].calendar_view(start_date_time=..., end_date_time=...)",
        "client.calendars[id].calendar_view(start_date_time=..., end_date_time=...)",
    ]
    assert [r.steps[-1].overload.binding.type.name for r in calls] == [
        "CalendarService.me", "CalendarService.users", "CalendarService.calendars"
    ]
    # CAP declares its functions not composable: inspect serves nothing after one, and the server agrees.
    assert resolved(f"/me/calendarView{window}/{{id}}").reason == "'{id}' follows an operation result"
    with pytest.raises(ODataError) as refused:
        await rec.client.send(
            "GET", "me/CalendarService.calendarView(startDateTime=2024-05-01T00:00:00Z,endDateTime=2024-06-01T00:00:00Z)('x')"
        )
    assert refused.value.status == 404 and "Invalid resource path" in str(refused.value)


# -- Prefer: outlook.timezone ---------------------------------------------------------------------


async def test_prefer_outlook_timezone_windows_and_iana_names(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    pacific = await rec.client.events["evt-01"].preference("outlook.timezone", "Pacific Standard Time").get()
    assert (pacific.start_date_time, pacific.start_time_zone) == (
        "2024-05-01T09:00:00.0000000",
        "Pacific Standard Time",
    )
    assert (pacific.end_date_time, pacific.end_time_zone) == ("2024-05-01T10:00:00.0000000", "Pacific Standard Time")
    assert rec.log[0].request_headers["Prefer"] == 'outlook.timezone="Pacific Standard Time"'
    assert rec.log[0].response_headers["Preference-Applied"] == 'outlook.timezone="Pacific Standard Time"'

    tokyo = (
        await rec.client.me.events.select(Events.subject, Events.start_date_time, Events.start_time_zone)
        .order_by(Events.start_date_time)
        .top(2)
        .preference("outlook.timezone", "Asia/Tokyo")
        .get()
    )
    assert [(e.start_date_time, e.start_time_zone) for e in tokyo] == [
        ("2024-05-02T01:00:00.0000000", "Asia/Tokyo"),
        ("2024-05-02T22:00:00.0000000", "Asia/Tokyo"),
    ]
    view = await rec.client.me.calendar_view(
        start_date_time=datetime(2024, 5, 1, tzinfo=UTC), end_date_time=datetime(2024, 5, 2, tzinfo=UTC)
    ).preference("outlook.timezone", "W. Europe Standard Time")
    assert [(e.subject, e.start_date_time, e.end_date_time) for e in view] == [
        ("All hands meeting", "2024-05-01T18:00:00.0000000", "2024-05-01T19:00:00.0000000"),
    ]
    # A zone the server does not know: times stay in UTC and no preference is applied.
    unknown = await rec.client.events["evt-01"].preference("outlook.timezone", "Nowhere Standard Time").get()
    assert (unknown.start_date_time, unknown.start_time_zone) == ("2024-05-01T16:00:00.0000000", "UTC")
    assert "Preference-Applied" not in rec.log[-1].response_headers


# -- ETags: If-Match from @odata.etag, 428 without it, 412 when stale ---------------------------------


async def test_tracked_update_with_if_match_and_a_stale_etag(fresh: Recorder, pkg: ModuleType) -> None:
    from odatakit import PreconditionFailed, PreconditionRequired

    rec = fresh
    event = await rec.client.events["evt-03"].get()
    etag = event.odata_etag
    assert etag == f'W/"{event.change_key}"'
    event.subject = "Renamed"
    with pytest.raises(PreconditionRequired) as required:
        await rec.client.events["evt-03"].update(event)
    assert required.value.status == 428
    mark = len(rec.log)
    updated = await rec.client.events["evt-03"].update(event, if_match=True)
    patch = rec.log[mark]
    assert (patch.method, patch.status, patch.request_headers["If-Match"]) == ("PATCH", 200, etag)
    # CAP answers 200 with the entity: the new ETag comes back with it.
    assert updated.subject == "Renamed" and updated.odata_etag not in (None, etag)

    # Someone else's copy, read before the change, is now stale.
    event.subject = "Lost update"
    with pytest.raises(PreconditionFailed) as stale:
        await rec.client.events["evt-03"].update(event, if_match=True)
    assert stale.value.status == 412
    assert (await rec.client.events["evt-03"].get()).subject == "Renamed"

    # A stale ETag guards actions and deletes too; the current one lets them through.
    with pytest.raises(PreconditionFailed):
        await rec.client.events["evt-03"].if_match(etag).accept(comment="late", send_response=False)
    with pytest.raises(PreconditionFailed):
        await rec.client.events["evt-03"].delete(if_match=event)
    await rec.client.events["evt-03"].delete(if_match=updated)
    with pytest.raises(ODataError) as gone:
        await rec.client.events["evt-03"].get()
    assert gone.value.status == 404


async def test_pages_expose_each_response(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    q = rec.client.me.events.select(Events.subject).order_by(Events.start_date_time).count()
    pages = [page async for page in q.pages()]
    # 19 events at 5 a page, and CAP's nextLink after a full last page is not followed past 19.
    assert [len(p) for p in pages] == [5, 5, 5, 4]
    assert all(p.count == 19 for p in pages)
    assert [e.subject for p in pages for e in p.items] == ADELE_BY_START
    assert pages[0].next_link is not None and pages[-1].next_link is None
    assert await q.get(max_items=6) == (await q.get())[:6]


# -- $batch ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("json_format", [True, False], ids=["json", "multipart"])
async def test_batch_with_dependencies_atomic_group_and_item_errors(
    fresh: Recorder, pkg: ModuleType, json_format: bool
) -> None:
    from odatakit import NotFound

    rec = fresh
    Events = pkg.Events
    event = await rec.client.events["evt-13"].get()
    event.subject = "Batched rename"
    mark = len(rec.log)
    async with rec.client.batch(json=json_format) as batch:
        first = batch.add(rec.client.me.events.select(Events.subject).order_by(Events.start_date_time).top(3).get())
        count = batch.add(rec.client.me.events.count_only())
        with batch.atomic():
            made = batch.add(
                rec.client.me.calendars.create(pkg.Calendars(id="cal-batch", name="Batch calendar", color="lightBlue"))
            )
            renamed = batch.add(rec.client.events["evt-13"].update(event, if_match=True))
        accepted = batch.add(
            rec.client.events["evt-03"].accept(comment="batched", send_response=False), depends_on=[renamed]
        )
        missing = batch.add(rec.client.events["evt-none"].get())
    # Everything went in one $batch request.
    # One $batch call; multipart has no dependsOn, so the dependent action starts a second call.
    calls = rec.log[mark:]
    assert [(c.method, c.url, c.status) for c in calls] == [("POST", f"{rec.client.base_url}/$batch", 200)] * (
        1 if json_format else 2
    )
    assert subjects(first.result()) == ADELE_BY_START[:3]
    assert count.result() == 19
    # CAP answers a POST through the singleton's navigation with 204: create() gives back the entity sent.
    assert made.result().name == "Batch calendar" and made.status == 204
    assert renamed.exception() is None and accepted.exception() is None
    with pytest.raises(NotFound):
        missing.result()
    assert (await rec.client.events["evt-13"].get()).subject == "Batched rename"
    again = await rec.client.events["evt-03"].get()
    assert (again.response_status_response, again.response_comment) == ("accepted", "batched")
    assert (await rec.client.calendars["cal-batch"].get()).name == "Batch calendar"


async def test_batch_item_pages_on_after_the_batch(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    mark = len(rec.log)
    async with rec.client.batch(json=True) as batch:
        everything = batch.add(rec.client.me.events.select(Events.subject).order_by(Events.start_date_time).get())
    # The first page came in the batch; its nextLinks were followed directly (3 more GETs).
    assert subjects(everything.result()) == ADELE_BY_START
    assert [(e.method, e.url.removeprefix(rec.client.base_url)) for e in rec.log[mark:]] == [
        ("POST", "/$batch"),
        ("GET", "/me/events?%24select=subject&%24orderby=start_dateTime&%24skiptoken=5"),
        ("GET", "/me/events?%24select=subject&%24orderby=start_dateTime&%24skiptoken=10"),
        ("GET", "/me/events?%24select=subject&%24orderby=start_dateTime&%24skiptoken=15"),
    ]


# -- stream properties (@Core.MediaType) ------------------------------------------------------------
# CAP serves a `LargeBinary` with `@Core.MediaType` as an `Edm.Stream` property: a user's `photo`
# (image/jpeg) and an attachment's `content`, of the media type in its `contentType` (a PUT's
# `Content-Type` sets it). Every byte goes over HTTP through the generated accessors.


def stream_pattern(size: int) -> bytes:
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


async def test_stream_accessors_are_generated_for_stream_properties(rec: Recorder) -> None:
    from odatakit.streams import StreamRequest

    client = rec.client
    assert isinstance(client.me.photo, StreamRequest) and client.me.photo.url == "me/photo"
    assert client.users["megan"].photo.url == "users('megan')/photo"
    assert client.attachments["att-01"].content.url == "attachments('att-01')/content"


async def test_a_photo_put_as_bytes_reads_back(fresh: Recorder) -> None:
    client = fresh.client
    assert await client.users["megan"].photo.read() == b""  # none yet: CAP answers 204
    photo = b"\xff\xd8\xff\xe0" + stream_pattern(100_000)
    assert await client.me.photo.put(photo, content_type="image/jpeg") is None
    assert await client.me.photo.read() == photo
    put, get = fresh.log[-2:]
    assert (put.method, put.status, put.request_headers["Content-Type"]) == ("PUT", 204, "image/jpeg")
    assert (get.method, get.status, get.request_headers["Accept"]) == ("GET", 200, "*/*")
    assert {k.lower(): v for k, v in get.response_headers.items()}["content-type"] == "image/jpeg"


async def test_an_attachment_goes_up_in_chunks_and_comes_down_streamed(fresh: Recorder, tmp_path: Any) -> None:
    import hashlib

    client = fresh.client
    data = stream_pattern(3 * 1024 * 1024 + 123)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 256 * 1024):
            yield data[start : start + 256 * 1024]

    await client.attachments["att-01"].content.put(chunks(), content_type="application/zip")
    assert (fresh.log[-1].method, fresh.log[-1].status) == ("PUT", 204)
    digest, size = hashlib.sha256(), 0
    async for chunk in client.attachments["att-01"].content.stream():
        digest.update(chunk)
        size += len(chunk)
    assert (size, digest.hexdigest()) == (len(data), hashlib.sha256(data).hexdigest())
    assert (await client.attachments["att-01"].get()).content_type == "application/zip"

    path = tmp_path / "report.pdf"
    path.write_bytes(data[::-1])
    await client.attachments["att-02"].content.put(path, content_type="application/pdf")
    assert await client.attachments["att-02"].content.save(tmp_path / "back.pdf") == len(data)
    assert (tmp_path / "back.pdf").read_bytes() == data[::-1]


async def test_the_stream_of_a_missing_entity_is_not_found(rec: Recorder) -> None:
    from odatakit import NotFound

    with pytest.raises(NotFound) as info:
        await rec.client.attachments["no-such-attachment"].content.read()
    assert (info.value.status, info.value.method) == (404, "GET")


# -- properties as resources ----------------------------------------------------------------------


async def test_property_values_raw_values_and_collections(rec: Recorder, pkg: ModuleType) -> None:
    Events = pkg.Events
    special = rec.client.events[SPECIAL_ID]
    assert await special.prop(Events.subject).get() == "Lunch with O'Neil"
    assert await special.prop(Events.subject).value() == "Lunch with O'Neil"
    assert await rec.client.events["evt-05"].prop(Events.categories).get() == ["Engineering", "Personal"]
    assert await rec.client.events["evt-05"].prop(Events.reminder_minutes_before_start).get() == 15
    assert await rec.client.events["evt-01"].prop(Events.attendees).get() == [
        pkg.Attendee(type="required", email_address=pkg.EmailAddress(name="Megan Bowen", address="MeganB@contoso.com")),
        pkg.Attendee(type="optional", email_address=pkg.EmailAddress(name="Alex Wilber", address="AlexW@contoso.com")),
    ]
    assert rec.urls() == [
        "events('AAMkAD/Lunch+O''Neil==')/subject", "events('AAMkAD/Lunch+O''Neil==')/subject/$value",
        "events('evt-05')/categories", "events('evt-05')/reminderMinutesBeforeStart", "events('evt-01')/attendees",
    ]  # fmt: skip
    assert rec.log[1].request_headers["Accept"] == "text/plain"


async def test_put_a_primitive_property(fresh: Recorder, pkg: ModuleType) -> None:
    holidays = fresh.client.calendars["adele-holidays"]
    await holidays.prop(pkg.Calendars.name).replace("Holidays")
    assert (await holidays.get()).name == "Holidays"
    assert [(e.method, e.status) for e in fresh.log] == [("PUT", 200), ("GET", 200)]
