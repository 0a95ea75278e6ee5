"""Writes, change tracking and delta rounds through the bundled packages, checked on the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aioresponses import aioresponses

from odatakit.delta import Removed, delta_token
from odatakit.errors import PreconditionFailed
from odatakit.serde import mark_changed

GRAPH = "https://graph.microsoft.com/v1.0"
EVENT_URL = f"{GRAPH}/me/events/AAMk1="

EVENT: dict[str, Any] = {
    "@odata.etag": 'W/"DwAAABYAAAA"',
    "id": "AAMk1=",
    "subject": "Plan",
    "importance": "normal",
    "start": {"dateTime": "2026-11-23T09:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-11-23T10:00:00.0000000", "timeZone": "UTC"},
    "categories": ["Blue"],
    "attendees": [{"type": "required", "emailAddress": {"name": "Dana", "address": "dana@contoso.test"}}],
    "location": {"displayName": "Room 1", "address": None},
}


def calls(m: aioresponses) -> list[tuple[str, str, dict[str, str], Any]]:
    """(method, URL, headers, decoded JSON body) of every request, in order."""
    out = []
    for (method, url), seen in m.requests.items():
        for call in seen:
            data = call.kwargs.get("data")
            out.append((method, str(url), dict(call.kwargs.get("headers") or {}), json.loads(data) if data else None))
    return out


async def test_patch_sends_only_changed_properties_with_nested_and_list_changes(bundled: None) -> None:
    from graph_v1 import Attendee, EmailAddress, GraphClient

    async with GraphClient(GRAPH) as client:
        with aioresponses() as m:
            m.get(EVENT_URL, payload=EVENT)
            m.patch(EVENT_URL, status=204, headers={"ETag": 'W/"2"'})
            m.patch(EVENT_URL, status=204)
            event = await client.me.events["AAMk1="].get()
            assert event.changed_fields == frozenset()
            assert type(event.categories) is list
            event.subject = "Plan v2"
            event.start.time_zone = "Pacific Standard Time"  # type: ignore[union-attr]
            event.attendees.append(  # type: ignore[union-attr]
                Attendee(email_address=EmailAddress(address="lee@contoso.test"))
            )
            assert event.changed_fields == {"subject", "start", "attendees"}
            result = await client.me.events["AAMk1="].update(event)
            assert result is event
            assert event.changed_fields == frozenset()
            assert event.odata_etag == 'W/"2"'
            event.location = None
            await client.me.events["AAMk1="].update(event)
        (_, _, _, _), (method, url, headers, body), (_, _, _, second) = calls(m)
        assert (method, url) == ("PATCH", EVENT_URL)
        assert headers["Content-Type"] == "application/json" and "If-Match" not in headers
        assert body == {
            "subject": "Plan v2",
            "start": {"dateTime": "2026-11-23T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
            "attendees": [
                {"type": "required", "emailAddress": {"name": "Dana", "address": "dana@contoso.test"}},
                {"emailAddress": {"address": "lee@contoso.test"}},
            ],
        }
        assert second == {"location": None}


async def test_changes_inside_a_collection_of_complex_values_send_the_collection(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH) as client:
        event = client.converter.structure(EVENT, __import__("graph_v1").Event)
        event.attendees[0].email_address.name = "Dana S."
        assert event.changed_fields == {"attendees"}
        assert client.converter.unstructure_changes(event) == {
            "attendees": [{"type": "required", "emailAddress": {"name": "Dana S.", "address": "dana@contoso.test"}}]
        }
        event.categories.sort()  # one item: the list still equals the one received
        assert event.changed_fields == {"attendees"}
        event.categories.insert(0, "Red")
        assert event.changed_fields == {"attendees", "categories"}
        event.categories.remove("Red")  # back to what was received: not a change
        assert event.changed_fields == {"attendees"}


async def test_objects_built_in_python_send_every_set_property(bundled: None) -> None:
    from graph_v1 import Event, GraphClient, Importance

    async with GraphClient(GRAPH) as client:
        with aioresponses() as m:
            m.patch(EVENT_URL, status=204)
            await client.me.events["AAMk1="].update(Event(subject="S", importance=Importance.HIGH))
        assert calls(m)[0][3] == {"subject": "S", "importance": "high"}


async def test_if_match_from_the_etag_and_412(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        event = client.converter.structure(EVENT, Event)
        event.subject = "x"
        with aioresponses() as m:
            m.patch(
                EVENT_URL,
                status=412,
                payload={"error": {"code": "ErrorIrresolvableConflict", "message": "The change key is stale."}},
            )
            with pytest.raises(PreconditionFailed) as info:
                await client.me.events["AAMk1="].update(event, if_match=True)
        assert calls(m)[0][2]["If-Match"] == 'W/"DwAAABYAAAA"'
        assert (info.value.status, info.value.code) == (412, "ErrorIrresolvableConflict")
        assert event.changed_fields == {"subject"}  # nothing was sent successfully: still to send
        with pytest.raises(ValueError, match="this Event has no @odata.etag"):
            await client.me.events["AAMk1="].update(Event(subject="y"), if_match=True)
        with pytest.raises(TypeError, match="expected a Event, got Calendar"):
            from graph_v1 import Calendar

            await client.me.events["AAMk1="].update(Calendar(name="c"))  # type: ignore[arg-type]


async def test_update_returns_the_representation_when_the_service_sends_one(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        event = client.converter.structure(EVENT, Event)
        event.subject = "New"
        with aioresponses() as m:
            m.patch(EVENT_URL + "?$select=subject", payload={**EVENT, "subject": "New", "@odata.etag": 'W/"3"'})
            result = await client.me.events["AAMk1="].select(Event.subject).update(event, if_match='W/"x"')
        assert result is not event and result.subject == "New" and result.odata_etag == 'W/"3"'
        assert calls(m)[0][2]["If-Match"] == 'W/"x"'


async def test_replace_puts_the_whole_entity_and_delete_takes_an_etag(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        event = client.converter.structure(EVENT, Event)
        event.subject = "Whole"
        with aioresponses() as m:
            m.put(EVENT_URL, status=204)
            m.delete(EVENT_URL, status=204)
            m.delete(EVENT_URL, status=204)
            await client.me.events["AAMk1="].replace(event, if_match=True)
            await client.me.events["AAMk1="].delete(if_match=event)
            await client.me.events["AAMk1="].delete()
        (put, delete, plain) = calls(m)
        assert put[0] == "PUT" and put[2]["If-Match"] == 'W/"DwAAABYAAAA"'
        assert put[3] == {**EVENT, "subject": "Whole"}
        assert (delete[0], delete[2]["If-Match"]) == ("DELETE", 'W/"DwAAABYAAAA"')
        assert "If-Match" not in plain[2]
        with pytest.raises(TypeError, match="if_match=3"):
            await client.me.events["AAMk1="].delete(if_match=3)  # type: ignore[arg-type]


async def test_create_201_and_return_minimal(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        with aioresponses() as m:
            m.post(f"{GRAPH}/me/events", status=201, payload={**EVENT, "subject": "Created"})
            m.post(
                f"{GRAPH}/me/events",
                status=204,
                headers={"OData-EntityId": f"{GRAPH}/me/events/AAMkNEW="},
            )
            created = await client.me.events.create(Event(subject="Created"))
            draft = Event(subject="Quiet")
            same = await client.me.events.create(draft, minimal=True)
        assert isinstance(created, Event) and created.id == "AAMk1=" and created.subject == "Created"
        assert same is draft and draft.additional_data["@odata.id"] == f"{GRAPH}/me/events/AAMkNEW="
        first, second = calls(m)
        assert first[3] == {"subject": "Created"} and "Prefer" not in first[2]
        assert second[2]["Prefer"] == "return=minimal" and second[3] == {"subject": "Quiet"}


async def test_if_match_on_a_request_applies_to_actions(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        event = client.converter.structure(EVENT, Event)
        with aioresponses() as m:
            m.post(f"{EVENT_URL}/accept", status=202)
            await client.me.events["AAMk1="].if_match(event).accept(comment="ok", send_response=False)
        ((_, url, headers, body),) = calls(m)
        assert (url, headers["If-Match"], body) == (
            f"{EVENT_URL}/accept",
            'W/"DwAAABYAAAA"',
            {
                "Comment": "ok",
                "SendResponse": False,
            },
        )


def test_mark_changed_names_wire_properties(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    client = GraphClient(GRAPH)
    event = client.converter.structure(EVENT, Event)
    mark_changed(event, "subject")
    assert client.converter.unstructure_changes(event) == {"subject": "Plan"}
    with pytest.raises(KeyError, match=r"Event has no properties \['Subject'\]"):
        mark_changed(event, "Subject")


# -- delta ---------------------------------------------------------------------------------------
VIEW = f"{GRAPH}/me/calendarView/delta()?startDateTime=2026-11-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"


async def test_delta_round_follows_skiptokens_and_ends_with_a_token(bundled: None) -> None:
    from graph_v1 import Event, GraphClient

    async with GraphClient(GRAPH) as client:
        query = client.me.calendar_view.delta().params(
            startDateTime="2026-11-01T00:00:00Z", endDateTime="2026-12-01T00:00:00Z"
        )
        with aioresponses() as m:
            m.get(
                VIEW,
                headers={"Preference-Applied": "odata.track-changes"},
                payload={"value": [EVENT], "@odata.nextLink": f"{GRAPH}/me/calendarView/delta()?$skiptoken=s1"},
            )
            m.get(
                f"{GRAPH}/me/calendarView/delta()?$skiptoken=s1",
                payload={
                    "value": [{"@removed": {"reason": "deleted"}, "id": "AAMkGONE="}],
                    "@odata.deltaLink": f"{GRAPH}/me/calendarView/delta()?$deltatoken=d%2B1",
                },
            )
            delta = query.track_changes()
            changes = await delta.collect()
        assert isinstance(changes[0], Event) and changes[0].subject == "Plan"
        assert changes[1] == Removed("AAMkGONE=", "deleted", {"@removed": {"reason": "deleted"}, "id": "AAMkGONE="})
        # The token as the link writes it: sent back as it is, never decoded and encoded again.
        assert (delta.tracked, delta.token) == (True, "d%2B1")
        assert all(c[2]["Prefer"] == "odata.track-changes" for c in calls(m))
        with pytest.raises(RuntimeError, match="iterated once"):
            await delta.collect()

        # The next round starts from the stored token.
        with aioresponses() as m:
            m.get(
                VIEW + "&$deltatoken=d%2B1",
                payload={"value": [], "@odata.deltaLink": f"{GRAPH}/me/calendarView/delta()?$deltatoken=d2"},
            )
            again = query.track_changes(token=delta.token)
            assert await again.collect() == []
        assert again.token == "d2"


async def test_delta_reads_outlook_deleted_entities_and_tolerates_no_tracking(bundled: None) -> None:
    from datetime import UTC, datetime

    from outlook_v2 import OutlookClient

    base = "https://outlook.office.com/api/v2.0"
    window = "startDateTime=2026-11-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"
    async with OutlookClient(base) as client:
        view = client.me.calendar_view(
            start_date_time=datetime(2026, 11, 1, tzinfo=UTC), end_date_time=datetime(2026, 12, 1, tzinfo=UTC)
        ).prefer(timezone="UTC")
        with aioresponses() as m:
            m.get(
                f"{base}/Me/CalendarView?{window}",
                payload={
                    "value": [
                        {
                            "@odata.context": f"{base}/$metadata#Me/CalendarView/$deletedEntity",
                            "Id": "AAMkX=",
                            "Reason": "deleted",
                        }
                    ],
                    "@odata.deltaLink": f"{base}/Me/CalendarView?{window}&$deltatoken=abc",
                },
            )
            delta = view.track_changes()
            (removed,) = await delta.collect()
        assert isinstance(removed, Removed) and (removed.id, removed.reason) == ("AAMkX=", "deleted")
        assert delta.token == "abc"
        assert calls(m)[0][2]["Prefer"] == "outlook.timezone=UTC, odata.track-changes"

        # A service that ignores the preference: the full listing, no token, tracked False.
        with aioresponses() as m:
            m.get(f"{base}/Me/CalendarView?{window}", payload={"value": [{"Id": "AAMkY=", "Subject": "S"}]})
            delta = view.track_changes()
            (event,) = await delta.collect()
        assert event.subject == "S"
        assert (delta.tracked, delta.token, delta.delta_link) == (False, None, None)


def test_delta_token_reads_the_link() -> None:
    assert delta_token("https://x.test/a?$deltatoken=a%2Fb&x=1") == "a%2Fb"
    assert delta_token("https://x.test/a?$deltatoken=a+b") == "a+b"  # not form-decoded into a space
    assert delta_token("https://x.test/a?%24deltatoken=z") == "z"
    assert delta_token("https://x.test/a?deltatoken=t") == "t"
    assert delta_token("https://x.test/a?$skiptoken=t") is None
