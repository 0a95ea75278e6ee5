"""Time structuring one 10,000-event /me/events page (12 MB of JSON) into Python objects; print one JSON object.

Runs under .bench-venv. `python bench/peers/structure.py PAGE_FILE`, where PAGE_FILE holds
bench/events.py's page_bytes(10000). Every run decodes from the same bytes, and its result is dropped before
the next run. Compared, from untyped to typed:

- json.loads and orjson.loads: plain dicts and lists, the floor for any decoder that starts from dicts;
- msgspec.json.decode into the typed msgspec Structs below (datetimes parsed, enums checked), a typed floor;
- msgraph-sdk: kiota's JsonParseNode structuring the `value` array into msgraph.generated.models.event.Event
  objects, the parse-node path `await client.me.events.get()` takes once the body has arrived (the request
  adapter adds backing-store bookkeeping on top, not counted here).

Each figure is the median of RUNS runs; msgraph-sdk, which takes tens of seconds a run, gets MSGRAPH_RUNS.
"""

from __future__ import annotations

import argparse
import datetime
import enum
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import orjson

if TYPE_CHECKING:
    from msgraph.generated.models.event import Event

RUNS = 5
MSGRAPH_RUNS = 3
T = TypeVar("T")
PACKAGES = ["msgraph-sdk", "microsoft-kiota-serialization-json", "microsoft-kiota-abstractions", "orjson", "msgspec"]


class Importance(enum.Enum):
    """Graph's importance."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class FreeBusyStatus(enum.Enum):
    """Graph's freeBusyStatus (event.showAs)."""

    UNKNOWN = "unknown"
    FREE = "free"
    TENTATIVE = "tentative"
    BUSY = "busy"
    OOF = "oof"
    WORKING_ELSEWHERE = "workingElsewhere"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class BodyType(enum.Enum):
    """Graph's bodyType."""

    TEXT = "text"
    HTML = "html"


class LocationType(enum.Enum):
    """Graph's locationType."""

    DEFAULT = "default"
    CONFERENCE_ROOM = "conferenceRoom"
    HOME_ADDRESS = "homeAddress"
    BUSINESS_ADDRESS = "businessAddress"
    GEO_COORDINATES = "geoCoordinates"
    STREET_ADDRESS = "streetAddress"
    HOTEL = "hotel"
    RESTAURANT = "restaurant"
    LOCAL_BUSINESS = "localBusiness"
    POSTAL_ADDRESS = "postalAddress"


class LocationUniqueIdType(enum.Enum):
    """Graph's locationUniqueIdType."""

    UNKNOWN = "unknown"
    LOCATION_STORE = "locationStore"
    DIRECTORY = "directory"
    PRIVATE = "private"
    BING = "bing"


class AttendeeType(enum.Enum):
    """Graph's attendeeType."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    RESOURCE = "resource"


class ResponseType(enum.Enum):
    """Graph's responseType."""

    NONE = "none"
    ORGANIZER = "organizer"
    TENTATIVELY_ACCEPTED = "tentativelyAccepted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_RESPONDED = "notResponded"


class Model(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of the Graph shapes: camelCase on the wire; every field optional, since Graph omits what $select drops."""


class ItemBody(Model):
    """Graph's itemBody."""

    content_type: BodyType | None = None
    content: str | None = None


class DateTimeTimeZone(Model):
    """Graph's dateTimeTimeZone: a local wall-clock time (no offset, 7 fractional digits) and a zone name."""

    date_time: str | None = None
    time_zone: str | None = None


class Location(Model):
    """Graph's location, the fields events carry here."""

    display_name: str | None = None
    location_type: LocationType | None = None
    unique_id: str | None = None
    unique_id_type: LocationUniqueIdType | None = None
    location_uri: str | None = None
    location_email_address: str | None = None


class EmailAddress(Model):
    """Graph's emailAddress."""

    name: str | None = None
    address: str | None = None


class ResponseStatus(Model):
    """Graph's responseStatus."""

    response: ResponseType | None = None
    time: datetime.datetime | None = None


class Recipient(Model):
    """Graph's recipient."""

    email_address: EmailAddress | None = None


class Attendee(Recipient):
    """Graph's attendee."""

    type: AttendeeType | None = None
    status: ResponseStatus | None = None


class GraphEvent(Model):
    """Graph's event, the properties a default /me/events page carries here."""

    etag: str | None = msgspec.field(default=None, name="@odata.etag")
    id: str | None = None
    created_date_time: datetime.datetime | None = None
    last_modified_date_time: datetime.datetime | None = None
    change_key: str | None = None
    categories: list[str] = []
    subject: str | None = None
    body_preview: str | None = None
    importance: Importance | None = None
    is_all_day: bool | None = None
    is_cancelled: bool | None = None
    show_as: FreeBusyStatus | None = None
    body: ItemBody | None = None
    start: DateTimeTimeZone | None = None
    end: DateTimeTimeZone | None = None
    location: Location | None = None
    attendees: list[Attendee] = []
    organizer: Recipient | None = None
    web_link: str | None = None


class EventPage(Model):
    """One /me/events response page."""

    context: str | None = msgspec.field(default=None, name="@odata.context")
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    value: list[GraphEvent] = []


MSGSPEC_DECODER = msgspec.json.Decoder(EventPage)


def msgspec_events(data: bytes) -> list[GraphEvent]:
    """The page's events as typed msgspec Structs."""
    return MSGSPEC_DECODER.decode(data).value


def msgraph_events(data: bytes) -> list[Event]:
    """The page's events as msgraph-sdk Event models, structured by kiota's JSON parse node."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.event import Event

    root = JsonParseNodeFactory().get_root_parse_node("application/json", data)
    value = root.get_child_node("value")
    assert value is not None
    events = value.get_collection_of_object_values(Event)
    assert events is not None
    return events


def timed(decode: Callable[[bytes], T], data: bytes, runs: int) -> tuple[float, T]:
    """Median wall-clock seconds of `runs` calls of decode(data), and the last call's result.

    Each result is dropped before the next call, so no run pays for keeping an earlier one alive.
    """
    times = []
    for _ in range(runs - 1):
        gc.collect()
        start = time.perf_counter()
        result = decode(data)
        times.append(time.perf_counter() - start)
        del result
    gc.collect()
    start = time.perf_counter()
    last = decode(data)
    times.append(time.perf_counter() - start)
    return statistics.median(times), last


def check_dicts(got: Any, count: int, first: dict[str, Any], last: dict[str, Any]) -> None:
    """Assert that a dict decoder read `count` events, the first and last equal to json.loads's."""
    assert len(got["value"]) == count and got["value"][0] == first and got["value"][-1] == last


def check_msgspec(got: list[GraphEvent], count: int, first: dict[str, Any], last: dict[str, Any]) -> None:
    """Assert that the msgspec Structs hold `count` events, the first and last with json.loads's values, typed."""
    assert len(got) == count
    for event, want in ((got[0], first), (got[-1], last)):
        assert event.subject == want["subject"] and event.id == want["id"] and event.etag == want["@odata.etag"]
        assert event.start is not None and event.start.date_time == want["start"]["dateTime"]
        assert event.importance is Importance(want["importance"]) and event.show_as is FreeBusyStatus(want["showAs"])
        assert event.created_date_time == datetime.datetime.fromisoformat(want["createdDateTime"])
        assert len(event.attendees) == len(want["attendees"]) == 3
        assert event.attendees[2].email_address is not None
        assert event.attendees[2].email_address.address == want["attendees"][2]["emailAddress"]["address"]
        assert event.attendees[2].status is not None and event.attendees[2].status.response is ResponseType.NONE


def check_msgraph(got: list[Event], count: int, first: dict[str, Any], last: dict[str, Any]) -> None:
    """Assert that the msgraph-sdk models hold `count` events, the first and last with json.loads's values."""
    from msgraph.generated.models.event import Event

    assert len(got) == count
    for event, want in ((got[0], first), (got[-1], last)):
        assert isinstance(event, Event)
        assert event.subject == want["subject"] and event.id == want["id"]
        assert event.start is not None and event.start.date_time == want["start"]["dateTime"]
        assert event.importance is not None and event.importance.name == "Normal"
        assert event.created_date_time == datetime.datetime.fromisoformat(want["createdDateTime"])
        assert event.attendees is not None and len(event.attendees) == 3
        email = event.attendees[2].email_address
        assert email is not None and email.address == want["attendees"][2]["emailAddress"]["address"]


def main() -> None:
    """Print one JSON object with the median seconds per decoder and the versions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("page_file", type=Path, help="a file holding bench/events.py's page_bytes(10000)")
    parser.add_argument("--msgraph-runs", type=int, default=MSGRAPH_RUNS, help="runs for msgraph-sdk")
    args = parser.parse_args()
    data = args.page_file.read_bytes()
    plain = json.loads(data)["value"]
    small = json.dumps({"value": plain[:50]}).encode()
    small_last = plain[49]
    check_msgspec(msgspec_events(small), 50, plain[0], small_last)
    # The checks compare the count and both ends only: the whole list, kept alive, would slow every decoder's
    # garbage collections down, and not equally.
    count, first, last = len(plain), plain[0], plain[-1]
    del plain
    print(f"structure: {count} events, {len(data)} bytes", file=sys.stderr)

    json_s, got_json = timed(json.loads, data, RUNS)
    check_dicts(got_json, count, first, last)
    del got_json
    orjson_s, got_orjson = timed(orjson.loads, data, RUNS)
    check_dicts(got_orjson, count, first, last)
    del got_orjson
    msgspec_s, got_msgspec = timed(msgspec_events, data, RUNS)
    check_msgspec(got_msgspec, count, first, last)
    del got_msgspec
    # Only now load msgraph-sdk: its ~1,700 modules would make every full garbage collection during the floors
    # slower. Warm-up on a small page, since it imports its models lazily, on first use, which is not structuring.
    check_msgraph(msgraph_events(small), 50, first, small_last)
    print(f"structure: timing msgraph-sdk, {args.msgraph_runs} runs of ~40 s...", file=sys.stderr)
    msgraph_s, got_msgraph = timed(msgraph_events, data, args.msgraph_runs)
    check_msgraph(got_msgraph, count, first, last)
    del got_msgraph
    print(json.dumps({
        "events": count,
        "bytes": len(data),
        "json_loads_s": round(json_s, 4),
        "orjson_s": round(orjson_s, 4),
        "msgspec_s": round(msgspec_s, 4),
        "msgraph_sdk_s": round(msgraph_s, 3),
        "runs": RUNS,
        "msgraph_sdk_runs": args.msgraph_runs,
        "notes": (
            "floors timed before msgraph-sdk is imported (its modules slow full GCs); "
            f"median of {RUNS} runs per decoder, but {args.msgraph_runs} for msgraph-sdk (tens of seconds a run: "
            "Entity.get_field_deserializers re-runs ~2,400 lazy model imports for every entity it structures); "
            "json/orjson give dicts; msgspec gives typed Structs (datetimes, enums); msgraph-sdk gives Event "
            "models via JsonParseNodeFactory -> child 'value' -> get_collection_of_object_values(Event); "
            "each decoder's last result checked against json.loads (ids, subjects, start, datetimes, enums, "
            "attendees)"
        ),
        "versions": {name: version(name) for name in PACKAGES},
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }))


if __name__ == "__main__":
    main()
