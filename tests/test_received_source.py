"""With `retain="body"`, typed objects read from a response keep a reference to its bytes, not their JSON objects.

The JSON is read again from the body the first time an object of it needs it (undeclared members,
explicit nulls, changes), once per body; objects nested in an item find theirs by walking from
their top object, an item of an array by the place it was read from, and an object moved
elsewhere or kept after its top object is gone by its values. Every one of those paths must give
what keeping the JSON objects gave.
"""

from __future__ import annotations

import copy
import gc
import json
import pickle
from typing import Any

import pytest
from aioresponses import aioresponses

from odatakit import serde

GRAPH = "https://graph.microsoft.com/v1.0"
EVENTS = f"{GRAPH}/me/events"


def event(i: int) -> dict[str, Any]:
    return {
        "@odata.etag": f'W/"{i}"',
        "id": f"AAMk{i}=",
        "subject": f"Meeting {i}",
        "importance": "normal",
        "start": {"dateTime": "2026-11-23T09:00:00.0000000", "timeZone": "UTC", "x-extra": i},
        "end": {"dateTime": "2026-11-23T10:00:00.0000000", "timeZone": "UTC"},
        "attendees": [
            {"type": "required", "emailAddress": {"name": f"A{i}", "address": f"a{i}@x.test"}, "@x.note": "first"},
            {"type": "optional", "emailAddress": {"name": f"B{i}", "address": None}, "@x.note": "second"},
        ],
        "location": {"displayName": "Room", "address": None},
        "vendorMember": [1, {"deep": True}],
    }


PAGE = {"@odata.context": f"{GRAPH}/$metadata#users('x')/events", "value": [event(i) for i in range(3)]}


async def read_page(client: Any) -> list[Any]:
    with aioresponses() as m:
        m.get(EVENTS, body=json.dumps(PAGE), content_type="application/json")
        return await client.me.events.get()  # type: ignore[no-any-return]


def received(obj: Any) -> Any:
    return serde._raw_wire(obj)


async def test_a_page_keeps_its_bytes_not_its_json_until_asked(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        events = await read_page(client)
    marker = received(events[0])
    assert marker.__class__ is serde._Received and marker.index == 0
    # The whole tree of an item shares its marker; the items share one body, not yet parsed again.
    assert received(events[0].start) is marker and received(events[0].attendees[1]) is marker
    assert received(events[1]).source is marker.source and marker.source._parsed is None
    assert marker.source.data == json.dumps(PAGE).encode()


async def test_undeclared_members_nulls_and_etags_read_back_from_the_bytes(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        events = await read_page(client)
    second = events[1]
    assert second.odata_etag == 'W/"1"'
    assert second.additional_data == {"@odata.etag": 'W/"1"', "vendorMember": [1, {"deep": True}]}
    assert second.start.additional_data == {"x-extra": 1}
    assert [a.additional_data for a in second.attendees] == [{"@x.note": "first"}, {"@x.note": "second"}]
    assert serde._nulls_of(second.location) == frozenset({"address"})
    assert serde._nulls_of(second.attendees[1].email_address) == frozenset({"address"})
    source = received(events[0]).source
    assert source._parsed is not None and source.data == b""  # parsed once, the bytes let go
    # Written back as received: undeclared members and explicit nulls included.
    assert client.converter.unstructure(second) == {k: v for k, v in event(1).items()}


async def test_changes_are_measured_against_the_json_read_again(bundled: None) -> None:
    from graph_v1 import Attendee, EmailAddress, GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        events = await read_page(client)
        first = events[0]
        assert first.changed_fields == frozenset()
        first.subject = "Meeting 0"  # equal to the value received: no change
        first.start.time_zone = "Pacific Standard Time"
        assert first.changed_fields == frozenset({"start"})
        body = client.converter.unstructure_changes(first)
        assert body == {"start": {"dateTime": "2026-11-23T09:00:00.0000000", "timeZone": "Pacific Standard Time",
                                  "x-extra": 0}}
        # Reordered, its items still find the JSON they came from (by their place in the array read).
        second = events[1]
        second.attendees.reverse()
        assert [a.additional_data["@x.note"] for a in second.attendees] == ["second", "first"]
        assert second.changed_fields == frozenset({"attendees"})
        third = events[2]
        third.attendees.append(Attendee(email_address=EmailAddress(address="c@x.test")))
        assert third.changed_fields == frozenset({"attendees"})
        assert client.converter.unstructure_changes(third)["attendees"][:2] == event(2)["attendees"]


async def test_an_object_moved_or_kept_alone_finds_its_json_by_its_values(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        events = await read_page(client)
    start = events[1].start
    attendee = events[2].attendees[1]
    moved = events[0]
    moved.start = events[2].start  # taken from another item of the page
    del events
    gc.collect()
    # Their top objects are gone (or no longer hold them): found again in their item by their values.
    assert start.additional_data == {"x-extra": 1}
    assert start.changed_fields == frozenset()
    assert attendee.additional_data == {"@x.note": "second"}
    assert serde._nulls_of(attendee.email_address) == frozenset({"address"})
    assert moved.changed_fields == frozenset({"start"})
    assert moved.start.additional_data == {"x-extra": 2}


async def test_copies_and_pickles_carry_the_json(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        events = await read_page(client)
    pickled = pickle.loads(pickle.dumps(events[1]))
    assert pickled == events[1]
    assert pickled.additional_data["vendorMember"] == [1, {"deep": True}]
    assert isinstance(received(pickled), dict)
    copied = copy.deepcopy(events[2])
    assert copied.attendees[0].additional_data == {"@x.note": "first"} and copied.changed_fields == frozenset()


async def test_a_single_entity_keeps_its_body_too(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH, retain="body") as client:
        with aioresponses() as m:
            m.get(f"{EVENTS}/AAMk7=", body=json.dumps(event(7)), content_type="application/json")
            one = await client.me.events["AAMk7="].get()
    marker = received(one)
    assert marker.__class__ is serde._Received and marker.index is None
    assert one.odata_etag == 'W/"7"' and one.start.additional_data == {"x-extra": 7}


async def test_by_default_objects_keep_their_json_objects(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with GraphClient(GRAPH) as client:
        events = await read_page(client)
        # Derived clients keep the mode of the client they come from.
        assert client.with_headers(a="b").with_timeout(5).retain == "json"
        assert GraphClient(GRAPH, retain="body").with_headers(a="b").retain == "body"
    assert received(events[0]) == PAGE["value"][0] and received(events[0].start) == PAGE["value"][0]["start"]
    assert received(events[0].attendees[1]) == PAGE["value"][0]["attendees"][1]
    assert events[0].start.additional_data == {"x-extra": 0}


def test_retain_is_json_or_body() -> None:
    from odatakit.client import Client

    with pytest.raises(ValueError, match="retain='bytes': expected 'json' or 'body'"):
        Client(GRAPH, retain="bytes")  # type: ignore[arg-type]
