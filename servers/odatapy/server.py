"""A small OData V4 calendar service on odatapy 5.3.0 (pure Python, in memory).

The model follows Microsoft Graph's calendar types and camelCase names, with real nested
complex values: `events` with `start`/`end` (`dateTimeTimeZone`), `location` (with a nested
`physicalAddress` and `outlookGeoCoordinates`), `body` (`itemBody`), `organizer` (`recipient`),
`attendees` (a collection of `attendee`, derived from `recipient`, each with a nested
`emailAddress` and `responseStatus`), `categories` (a collection of strings) and the
`importance` enum; `calendars` navigate to their events.

    python servers/odatapy/server.py [PORT]      # or ODATAPY_PORT=...; 0 or nothing: a free port

Listens on 127.0.0.1 only, prints `odatapy server ready on http://127.0.0.1:PORT/` on stdout
when it answers, and serves until killed (SIGTERM or SIGINT). The data is seeded afresh at
every start and lives only in memory.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from odatapy.data import ComplexValue, Entity, Property, ValueType
from odatapy.edm.csdl import (
    CsdlAbstractEdmProvider,
    CsdlComplexType,
    CsdlEntityContainer,
    CsdlEntitySet,
    CsdlEntityType,
    CsdlEnumMember,
    CsdlEnumType,
    CsdlNavigationProperty,
    CsdlNavigationPropertyBinding,
    CsdlProperty,
    CsdlPropertyRef,
    CsdlSchema,
)
from odatapy.edm.model import Edm
from odatapy.edm.names import FullQualifiedName
from odatapy.server import OData
from odatapy.server.adapters import ODataWSGIApp
from odatapy.server.deserializer.json_deserializer import ODataJsonDeserializer
from odatapy.server.inmemory import InMemoryDataStore, InMemoryProcessor

NS = "microsoft.graph"
HOST = "127.0.0.1"


def _prop(name: str, type_: str, *, nullable: bool = True) -> CsdlProperty:
    if type_.startswith("Collection("):
        return CsdlProperty(name=name, type=type_[11:-1], collection=True, nullable=nullable)
    return CsdlProperty(name=name, type=type_, nullable=nullable)


def _enum(name: str, *members: str) -> CsdlEnumType:
    return CsdlEnumType(name=name, members=[CsdlEnumMember(name=m, value=i) for i, m in enumerate(members)])


class CalendarProvider(CsdlAbstractEdmProvider):
    """The `microsoft.graph` calendar subset: 4 enums, 9 complex types, 2 entity types."""

    def get_schemas(self) -> list[CsdlSchema]:
        enums = [
            _enum("importance", "low", "normal", "high"),
            _enum("bodyType", "text", "html"),
            _enum("attendeeType", "required", "optional", "resource"),
            _enum("responseType", "none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded"),
        ]
        complex_types = [
            CsdlComplexType(
                name="dateTimeTimeZone",
                properties=[_prop("dateTime", "Edm.String", nullable=False), _prop("timeZone", "Edm.String")],
            ),
            CsdlComplexType(
                name="physicalAddress",
                properties=[
                    _prop("street", "Edm.String"),
                    _prop("city", "Edm.String"),
                    _prop("state", "Edm.String"),
                    _prop("countryOrRegion", "Edm.String"),
                    _prop("postalCode", "Edm.String"),
                ],
            ),
            CsdlComplexType(
                name="outlookGeoCoordinates",
                properties=[_prop("latitude", "Edm.Double"), _prop("longitude", "Edm.Double")],
            ),
            CsdlComplexType(
                name="location",
                properties=[
                    _prop("displayName", "Edm.String"),
                    _prop("address", f"{NS}.physicalAddress"),
                    _prop("coordinates", f"{NS}.outlookGeoCoordinates"),
                ],
            ),
            CsdlComplexType(
                name="itemBody",
                properties=[_prop("contentType", f"{NS}.bodyType"), _prop("content", "Edm.String")],
            ),
            CsdlComplexType(
                name="emailAddress",
                properties=[_prop("name", "Edm.String"), _prop("address", "Edm.String")],
            ),
            CsdlComplexType(name="recipient", properties=[_prop("emailAddress", f"{NS}.emailAddress")]),
            CsdlComplexType(
                name="responseStatus",
                properties=[_prop("response", f"{NS}.responseType"), _prop("time", "Edm.DateTimeOffset")],
            ),
            CsdlComplexType(
                name="attendee",
                base_type=f"{NS}.recipient",
                properties=[_prop("type", f"{NS}.attendeeType"), _prop("status", f"{NS}.responseStatus")],
            ),
        ]
        event = CsdlEntityType(
            name="event",
            key=[CsdlPropertyRef(name="id")],
            properties=[
                _prop("id", "Edm.String", nullable=False),
                _prop("subject", "Edm.String"),
                _prop("body", f"{NS}.itemBody"),
                _prop("start", f"{NS}.dateTimeTimeZone"),
                _prop("end", f"{NS}.dateTimeTimeZone"),
                _prop("location", f"{NS}.location"),
                _prop("organizer", f"{NS}.recipient"),
                _prop("attendees", f"Collection({NS}.attendee)"),
                _prop("categories", "Collection(Edm.String)"),
                _prop("importance", f"{NS}.importance"),
                _prop("isAllDay", "Edm.Boolean"),
                _prop("reminderMinutesBeforeStart", "Edm.Int32"),
                _prop("createdDateTime", "Edm.DateTimeOffset"),
            ],
        )
        calendar = CsdlEntityType(
            name="calendar",
            key=[CsdlPropertyRef(name="id")],
            properties=[
                _prop("id", "Edm.String", nullable=False),
                _prop("name", "Edm.String"),
                _prop("color", "Edm.String"),
                _prop("owner", f"{NS}.emailAddress"),
            ],
            navigation_properties=[CsdlNavigationProperty(name="events", type=f"{NS}.event", collection=True)],
        )
        container = CsdlEntityContainer(
            name="GraphService",
            entity_sets=[
                CsdlEntitySet(name="events", type=f"{NS}.event"),
                CsdlEntitySet(
                    name="calendars",
                    type=f"{NS}.calendar",
                    navigation_property_bindings=[CsdlNavigationPropertyBinding(path="events", target="events")],
                ),
            ],
        )
        return [
            CsdlSchema(
                namespace=NS,
                enum_types=enums,
                complex_types=complex_types,
                entity_types=[event, calendar],
                entity_container=container,
            )
        ]


# -- seed data ---------------------------------------------------------------------------------

PEOPLE = {
    "adele": ("Adele Vance", "adele@contoso.com"),
    "alex": ("Alex Wilber", "alex@contoso.com"),
    "megan": ("Megan Bowen", "megan@contoso.com"),
    "lynne": ("Lynne Robbins", "lynne@contoso.com"),
    "nestor": ("Nestor Wilke", "nestor@contoso.com"),
    "room": ("Conf Room Rainier", "rainier@contoso.com"),
}

PLACES = {
    "paris": ("Salle Eiffel", "5 Avenue Anatole France", "Paris", None, "France", "75007", 48.8584, 2.2945),
    "seattle": ("Rainier", "1 Microsoft Way", "Redmond", "WA", "United States", "98052", 47.6396, -122.1283),
    "berlin": ("Raum Spree", "Unter den Linden 1", "Berlin", None, "Germany", "10117", 52.5170, 13.3889),
    "tokyo": ("Sakura", "1-1 Marunouchi", "Tokyo", None, "Japan", "100-0005", 35.6812, 139.7671),
    "online": ("Microsoft Teams Meeting", None, None, None, None, None, None, None),
}

# id, subject, start, end, time zone, place, organizer, attendees (who:type:response), categories,
# importance, all day, reminder minutes, body type
# fmt: off
EVENTS: list[tuple[Any, ...]] = [
    ("ev01", "Weekly sync", "2024-01-08T09:00:00", "2024-01-08T09:30:00", "UTC", "online", "adele",
     ["alex:required:accepted", "megan:required:tentativelyAccepted"], ["Blue category"], "normal", False, 15, "html"),
    ("ev02", "Budget review", "2024-01-09T14:00:00", "2024-01-09T15:30:00", "Pacific Standard Time", "seattle",
     "megan", ["adele:required:accepted", "nestor:optional:declined", "room:resource:accepted"],
     ["Red category", "Finance"], "high", False, 30, "text"),
    ("ev03", "Lunch with Lynne", "2024-01-10T12:00:00", "2024-01-10T13:00:00", "Romance Standard Time", "paris",
     "alex", ["lynne:required:accepted"], [], "low", False, 0, "text"),
    ("ev04", "Sprint planning", "2024-01-15T10:00:00", "2024-01-15T12:00:00", "UTC", "berlin", "nestor",
     ["adele:required:accepted", "alex:required:accepted", "megan:optional:notResponded"],
     ["Blue category", "Engineering"], "normal", False, 15, "html"),
    ("ev05", "Company holiday", "2024-01-16T00:00:00", "2024-01-17T00:00:00", "UTC", "online", "adele",
     [], ["Holiday"], "low", True, 1080, "text"),
    ("ev06", "Design review", "2024-01-18T16:00:00", "2024-01-18T17:00:00", "Tokyo Standard Time", "tokyo",
     "lynne", ["megan:required:declined", "nestor:required:accepted"], ["Engineering"], "high", False, 10, "html"),
    ("ev07", "1:1 Adele / Alex", "2024-01-22T08:30:00", "2024-01-22T09:00:00", "UTC", "online", "adele",
     ["alex:required:accepted"], ["Green category"], "normal", False, 5, "text"),
    ("ev08", "Quarterly business review", "2024-01-25T13:00:00", "2024-01-25T17:00:00", "Pacific Standard Time",
     "seattle", "megan", ["adele:required:accepted", "alex:required:accepted", "lynne:optional:tentativelyAccepted",
                          "room:resource:accepted"], ["Red category", "Finance"], "high", False, 60, "html"),
    ("ev09", "Offsite travel", "2024-02-01T00:00:00", "2024-02-03T00:00:00", "Romance Standard Time", "paris",
     "alex", ["nestor:optional:none"], ["Travel"], "normal", True, 1440, "text"),
    ("ev10", "Security training", "2024-02-05T11:00:00", "2024-02-05T12:00:00", "UTC", "online", "lynne",
     ["adele:required:accepted", "alex:required:notResponded", "megan:required:accepted",
      "nestor:required:accepted"], ["Training"], "normal", False, 15, "html"),
    ("ev11", "Architecture deep dive", "2024-02-07T15:00:00", "2024-02-07T16:30:00", "W. Europe Standard Time",
     "berlin", "nestor", ["alex:required:accepted", "megan:optional:accepted"], ["Engineering", "Blue category"],
     "normal", False, 15, "html"),
    ("ev12", "Customer call: Fabrikam", "2024-02-08T17:00:00", "2024-02-08T17:45:00", "Pacific Standard Time",
     "online", "megan", ["lynne:required:accepted"], ["Sales"], "high", False, 15, "text"),
    ("ev13", "Dentist", "2024-02-12T08:00:00", "2024-02-12T09:00:00", "W. Europe Standard Time", "berlin", "adele",
     [], [], "low", False, 60, "text"),
    ("ev14", "Hackathon", "2024-02-14T00:00:00", "2024-02-16T00:00:00", "Tokyo Standard Time", "tokyo", "lynne",
     ["alex:optional:tentativelyAccepted", "nestor:optional:accepted", "megan:optional:declined"],
     ["Engineering", "Fun"], "normal", True, 2880, "html"),
    ("ev15", "Weekly sync", "2024-02-19T09:00:00", "2024-02-19T09:30:00", "UTC", "online", "adele",
     ["alex:required:accepted", "megan:required:accepted"], ["Blue category"], "normal", False, 15, "html"),
    ("ev16", "Hiring committee", "2024-02-21T10:00:00", "2024-02-21T11:00:00", "Pacific Standard Time", "seattle",
     "alex", ["adele:required:accepted", "lynne:required:declined", "room:resource:accepted"], ["HR"], "high",
     False, 30, "text"),
    ("ev17", "Marketing launch", "2024-02-26T14:00:00", "2024-02-26T16:00:00", "Romance Standard Time", "paris",
     "lynne", ["megan:required:accepted", "adele:optional:notResponded"], ["Marketing", "Red category"], "high",
     False, 30, "html"),
    ("ev18", "Team lunch", "2024-03-01T12:30:00", "2024-03-01T14:00:00", "Tokyo Standard Time", "tokyo", "nestor",
     ["adele:optional:accepted", "alex:optional:accepted", "lynne:optional:accepted", "megan:optional:accepted"],
     ["Fun"], "low", False, 15, "text"),
    ("ev19", "Board meeting", "2024-03-04T09:00:00", "2024-03-04T12:00:00", "UTC", "online", "megan",
     ["adele:required:accepted", "nestor:required:tentativelyAccepted"], ["Finance"], "high", False, 120, "html"),
    ("ev20", "Retrospective", "2024-03-06T15:00:00", "2024-03-06T16:00:00", "W. Europe Standard Time", "berlin",
     "nestor", ["alex:required:accepted", "megan:required:accepted"], ["Engineering"], "normal", False, 10, "html"),
    ("ev21", "Spring break", "2024-03-11T00:00:00", "2024-03-16T00:00:00", "UTC", "online", "alex",
     [], ["Holiday", "Travel"], "low", True, 0, "text"),
    ("ev22", "Vendor demo", "2024-03-18T10:00:00", "2024-03-18T11:00:00", "Pacific Standard Time", "seattle",
     "lynne", ["nestor:optional:declined", "room:resource:accepted"], ["Sales"], "normal", False, 15, "text"),
    ("ev23", "Weekly sync", "2024-03-25T09:00:00", "2024-03-25T09:30:00", "UTC", "online", "adele",
     ["alex:required:declined", "megan:required:accepted"], ["Blue category"], "normal", False, 15, "html"),
    ("ev24", "All hands", "2024-03-28T16:00:00", "2024-03-28T17:00:00", "Pacific Standard Time", "online", "megan",
     ["adele:required:accepted", "alex:required:accepted", "lynne:required:accepted", "nestor:required:accepted"],
     ["Company"], "high", False, 15, "html"),
]

CALENDARS = [
    ("cal-work", "Work", "lightBlue", "adele", ["ev01", "ev02", "ev04", "ev07", "ev10", "ev15", "ev19", "ev23"]),
    ("cal-team", "Team events", "lightGreen", "nestor", ["ev14", "ev18", "ev20", "ev24"]),
    ("cal-personal", "Personal", "lightOrange", "alex", ["ev03", "ev13", "ev21"]),
]
# fmt: on


def _email(who: str) -> dict[str, str]:
    name, address = PEOPLE[who]
    return {"name": name, "address": address}


def _location(place: str) -> dict[str, Any]:
    display, street, city, state, country, postal, lat, lon = PLACES[place]
    location: dict[str, Any] = {"displayName": display}
    if city is not None:
        location["address"] = {
            "street": street,
            "city": city,
            "state": state,
            "countryOrRegion": country,
            "postalCode": postal,
        }
        location["coordinates"] = {"latitude": lat, "longitude": lon}
    return location


def event_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON of one seed event, as a client would POST it."""
    ev_id, subject, start, end, tz, place, organizer, attendees, categories, importance, all_day, remind, body = row
    people = []
    for spec in attendees:
        who, kind, response = spec.split(":")
        status: dict[str, Any] = {"response": response, "time": None}
        if response not in ("none", "notResponded"):
            status["time"] = f"{start[:10]}T00:00:00Z"
        people.append({"type": kind, "emailAddress": _email(who), "status": status})
    content = f"<p>{subject}</p>" if body == "html" else f"Agenda: {subject}"
    return {
        "id": ev_id,
        "subject": subject,
        "body": {"contentType": body, "content": content},
        "start": {"dateTime": f"{start}.0000000", "timeZone": tz},
        "end": {"dateTime": f"{end}.0000000", "timeZone": tz},
        "location": _location(place),
        "organizer": {"emailAddress": _email(organizer)},
        "attendees": people,
        "categories": categories,
        "importance": importance,
        "isAllDay": all_day,
        "reminderMinutesBeforeStart": remind,
        "createdDateTime": f"2023-12-{int(ev_id[2:]):02d}T10:00:00Z",
    }


def _enum_names(edm: Edm, properties: list[Property]) -> None:
    """Store enum values as member names, the form odatapy's `$filter` evaluator compares.

    odatapy 5.3.0's JSON deserializer keeps an enum value as its integer (`"high"` -> 2), but its
    evaluator (`odatapy.server.eval`) compares enum literals by member name, so without this
    `$filter=importance eq microsoft.graph.importance'high'` matches nothing. The serializer
    writes names from either form.
    """
    for prop in properties:
        value = prop.value
        if prop.value_type in (ValueType.ENUM, ValueType.COLLECTION_ENUM) and prop.type:
            enum_type = edm.get_enum_type(FullQualifiedName.parse(prop.type))
            if enum_type is None:
                continue
            if isinstance(value, list):
                prop.value = [enum_type.format_value(v) if isinstance(v, int) else v for v in value]
            elif isinstance(value, int):
                prop.value = enum_type.format_value(value)
        elif isinstance(value, ComplexValue):
            _enum_names(edm, value.properties)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ComplexValue):
                    _enum_names(edm, item.properties)


class CalendarProcessor(InMemoryProcessor):
    """The in-memory processor, keeping enum values as member names after every write."""

    def _normalise(self) -> None:
        edm = self.service_metadata.edm
        for entity_set in ("events", "calendars"):
            for entity in self.store.entities(entity_set):
                _enum_names(edm, entity.properties)

    def create_entity(self, request: Any, response: Any, uri_info: Any, request_ct: Any, response_ct: Any) -> None:
        with self.lock:
            super().create_entity(request, response, uri_info, request_ct, response_ct)
            self._normalise()

    def update_entity(self, request: Any, response: Any, uri_info: Any, request_ct: Any, response_ct: Any) -> None:
        with self.lock:
            super().update_entity(request, response, uri_info, request_ct, response_ct)
            self._normalise()

    def update_complex(self, request: Any, response: Any, uri_info: Any, request_ct: Any, response_ct: Any) -> None:
        with self.lock:
            super().update_complex(request, response, uri_info, request_ct, response_ct)
            self._normalise()

    def update_complex_collection(
        self, request: Any, response: Any, uri_info: Any, request_ct: Any, response_ct: Any
    ) -> None:
        with self.lock:
            super().update_complex_collection(request, response, uri_info, request_ct, response_ct)
            self._normalise()


def build_app() -> ODataWSGIApp:
    """The WSGI app with a freshly seeded store."""
    odata = OData.new_instance()
    metadata = odata.create_service_metadata(CalendarProvider())
    edm = metadata.edm
    event_type = edm.get_entity_type(FullQualifiedName(NS, "event"))
    calendar_type = edm.get_entity_type(FullQualifiedName(NS, "calendar"))
    assert event_type is not None and calendar_type is not None
    reader = ODataJsonDeserializer(strict=True)

    events: dict[str, Entity] = {}
    for row in EVENTS:
        events[row[0]] = entity = reader.entity(edm, event_type, json.dumps(event_json(row)))
        _enum_names(edm, entity.properties)
    store = InMemoryDataStore()
    store.set_entities("events", list(events.values()))
    calendars = []
    for cal_id, name, color, owner, members in CALENDARS:
        body = {"id": cal_id, "name": name, "color": color, "owner": _email(owner)}
        calendars.append(reader.entity(edm, calendar_type, json.dumps(body)))
        # The relation table is keyed by the repr() of the key values (InMemoryProcessor._key_of).
        store.set_relation("calendars", repr(cal_id), "events", [events[m] for m in members])
    store.set_entities("calendars", calendars)

    handler = odata.create_handler(metadata)
    handler.register(CalendarProcessor(store))
    return ODataWSGIApp(handler)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _LogHandler(WSGIRequestHandler):
    """wsgiref's handler, logging one short line per request to stderr (the test fixture shows the tail)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        sys.stderr.write(f"{self.command} {self.path} -> {code}\n")


def main(argv: list[str]) -> int:
    port = int(argv[1] if len(argv) > 1 else os.environ.get("ODATAPY_PORT", "0"))
    server = make_server(HOST, port, build_app(), server_class=_ThreadingServer, handler_class=_LogHandler)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"odatapy server ready on http://{HOST}:{server.server_port}/", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
