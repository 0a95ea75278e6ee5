"""References (`$ref`), structural property paths, single-entity casts, PUT and POST on single entities.

Each request is checked on the wire (method, URL, headers, body) with aioresponses, against the
bundled Graph package (keys as segments) and the CAP package (keys in parentheses).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.errors import Diagnostics
from generator.naming import assign_names
from odatakit import MalformedResponse

G = "https://graph.microsoft.com/v1.0"
CAP = "http://cap.test/odata/v4/calendar"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig"


def _sent(m: aioresponses) -> list[tuple[str, str, Any, dict[str, str]]]:
    return [
        (method, str(url), json.loads(c.kwargs["data"]) if c.kwargs.get("data") else None, dict(c.kwargs["headers"]))
        for (method, url), calls in m.requests.items()
        for c in calls
    ]


@pytest.fixture
def graph(bundled: None) -> Any:
    import graph_v1

    return graph_v1


# -- references --------------------------------------------------------------------------------------------
async def test_add_a_reference_by_key_request_entity_or_url(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        members = client.groups["g 1"].members
        with aioresponses() as m:
            m.post(f"{G}/groups/g%201/members/$ref", status=204, repeat=True)
            await members.ref.add("u1")
            await members.ref.add(client.users["adele@contoso.com"])
            await members.ref.add(graph.User(id="a/b"))
            await members.ref.add(graph.User(additional_data={"@odata.id": "users/u4"}))
            await members.ref.add("https://graph.microsoft.com/v1.0/groups/g9")
            sent = _sent(m)
    assert [s[2] for s in sent] == [
        {"@odata.id": f"{G}/directoryObjects/u1"},  # a key of the navigation's type: its first entity set
        {"@odata.id": f"{G}/users/adele@contoso.com"},
        {"@odata.id": f"{G}/users/a%2Fb"},  # the entity's own set, its key encoded as the client encodes it
        {"@odata.id": f"{G}/users/u4"},  # a relative @odata.id resolves against the service root
        {"@odata.id": f"{G}/groups/g9"},
    ]
    method, url, _, headers = sent[0]
    assert (method, url) == ("POST", f"{G}/groups/g%201/members/$ref")
    assert headers["Content-Type"] == "application/json" and headers["Authorization"] == f"Bearer {TOKEN}"


async def test_remove_list_set_and_delete_references(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        group = client.groups["g1"]
        with aioresponses() as m:
            m.delete(f"{G}/groups/g1/members/u1/$ref", status=204)
            m.delete(f"{G}/groups/g1/acceptedSenders/$ref?$id={G}/users/a%2526b", status=204)
            m.put(f"{G}/users/u1/manager/$ref", status=204)
            m.delete(f"{G}/users/u1/manager/$ref", status=204)
            await group.members["u1"].ref.delete()
            await group.accepted_senders.ref.remove(graph.User(id="a&b"))
            await client.users["u1"].manager.ref.set(client.users["boss"])
            await client.users["u1"].manager.ref.delete()
            sent = _sent(m)
    assert [(s[0], s[1], s[2]) for s in sent] == [
        ("DELETE", f"{G}/groups/g1/members/u1/$ref", None),
        # `&` in the key is %26 in the entity-id, and that `%` is encoded again inside the `$id` value.
        ("DELETE", f"{G}/groups/g1/acceptedSenders/$ref?$id={G}/users/a%2526b", None),
        ("PUT", f"{G}/users/u1/manager/$ref", {"@odata.id": f"{G}/users/boss"}),
        ("DELETE", f"{G}/users/u1/manager/$ref", None),
    ]


async def test_list_references_follows_next_links_and_keeps_query_options(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        refs = client.groups["g1"].members.top(2).ref
        assert refs.url == "groups/g1/members/$ref?$top=2"
        with aioresponses() as m:
            m.get(f"{G}/groups/g1/members/$ref?$top=2",
                  payload={"value": [{"@odata.id": f"{G}/directoryObjects/a"}], "@odata.nextLink": f"{G}/next"})
            m.get(f"{G}/next", payload={"value": [{"@odata.id": f"{G}/directoryObjects/b"}]})
            m.get(f"{G}/users/u1/manager/$ref", payload={"@odata.id": f"{G}/users/boss"})
            m.get(f"{G}/users/u2/manager/$ref", status=204)
            assert await refs.get() == [f"{G}/directoryObjects/a", f"{G}/directoryObjects/b"]
            assert await client.users["u1"].manager.ref.get() == f"{G}/users/boss"
            assert await client.users["u2"].manager.ref.get() is None
            m.get(f"{G}/users/u3/manager/$ref", payload={"id": "boss"})
            with pytest.raises(MalformedResponse, match="expected an object with @odata.id"):
                await client.users["u3"].manager.ref.get()


async def test_keys_in_parentheses_for_services_without_key_segments(bundled: None) -> None:
    from cap_calendar import CalendarClient, Calendars

    async with CalendarClient(CAP) as client:
        with aioresponses() as m:
            m.put(f"{CAP}/events('e''1')/calendar/$ref", status=204)
            m.post(f"{CAP}/calendars('c1')/events/$ref", status=204)
            await client.events["e'1"].calendar.ref.set(Calendars(id="holidays"))
            await client.calendars["c1"].events.ref.add("e/2")
            sent = _sent(m)
    assert [(s[0], s[1], s[2]) for s in sent] == [
        ("PUT", f"{CAP}/events('e''1')/calendar/$ref", {"@odata.id": f"{CAP}/calendars('holidays')"}),
        ("POST", f"{CAP}/calendars('c1')/events/$ref", {"@odata.id": f"{CAP}/events('e%2F2')"}),
    ]


async def test_reference_mistakes_are_caught_before_sending(graph: Any) -> None:
    client = graph.GraphClient(G, TOKEN)
    members = client.groups["g1"].members
    with pytest.raises(TypeError, match=r"ref.add\(\): groups is not reached through a navigation property"):
        await client.groups.ref.add("x")
    with pytest.raises(TypeError, match="expected an entity, the request of an entity, an absolute URL or a key"):
        await members.ref.add(3.5)
    with pytest.raises(TypeError, match="expected the request of one entity, without query options"):
        await members.ref.add(client.users)
    with pytest.raises(ValueError, match="this User has no key"):
        await members.ref.add(graph.User(display_name="no id"))
    with pytest.raises(TypeError, match=r"ref.delete\(\): users/u1 is not reached through a navigation property"):
        await client.users["u1"].ref.delete()
    assert repr(client.users["u1"].manager.ref) == "<Reference users/u1/manager/$ref>"


# -- property paths ------------------------------------------------------------------------------------------
async def test_complex_property_get_and_update(graph: Any) -> None:
    User, MailboxSettings = graph.User, graph.MailboxSettings
    async with graph.GraphClient(G, TOKEN) as client:
        settings = client.me.prop(User.mailbox_settings)
        assert settings.url == "me/mailboxSettings"
        with aioresponses() as m:
            m.get(f"{G}/me/mailboxSettings",
                  payload={"@odata.context": f"{G}/$metadata#users('1')/mailboxSettings", "timeZone": "UTC",
                           "language": {"locale": "en-US"}})
            m.patch(f"{G}/me/mailboxSettings", payload={"timeZone": "Pacific Standard Time", "language": None})
            m.put(f"{G}/me/mailboxSettings", status=204)
            got = await settings.get()
            assert isinstance(got, MailboxSettings) and got.time_zone == "UTC" and got.language.locale == "en-US"
            assert got.additional_data == {}  # the context URL describes the response, not the value
            got.time_zone = "Pacific Standard Time"
            updated = await settings.update(got)
            await settings.replace(MailboxSettings(time_zone="UTC"))
            sent = _sent(m)
    assert isinstance(updated, MailboxSettings) and updated.time_zone == "Pacific Standard Time"
    assert [(s[0], s[1], s[2]) for s in sent] == [
        ("GET", f"{G}/me/mailboxSettings", None),
        ("PATCH", f"{G}/me/mailboxSettings", {"timeZone": "Pacific Standard Time"}),
        ("PUT", f"{G}/me/mailboxSettings", {"timeZone": "UTC"}),
    ]


async def test_primitive_raw_value_member_path_and_collection(graph: Any) -> None:
    User, Event = graph.User, graph.Event
    async with graph.GraphClient(G, TOKEN) as client:
        event = client.me.events["AAMk="]
        with aioresponses() as m:
            m.get(f"{G}/me/events/AAMk=/subject", payload={"@odata.context": "x", "value": "Plan"})
            m.get(f"{G}/me/events/AAMk=/subject/$value", body="Plan é".encode("latin-1"),
                  headers={"Content-Type": "text/plain; charset=ISO-8859-1"})
            m.get(f"{G}/me/events/AAMk=/attendees",
                  payload={"value": [{"type": "required", "emailAddress": {"address": "megan@contoso.com"}}]})
            m.get(f"{G}/me/mailboxSettings/timeZone", payload={"value": "UTC"})
            m.get(f"{G}/me/events/AAMk=/isAllDay", status=204)
            m.put(f"{G}/me/events/AAMk=/categories", status=204)
            assert await event.prop(Event.subject).get() == "Plan"
            assert await event.prop(Event.subject).value() == "Plan é"
            (attendee,) = await event.prop(Event.attendees).get()
            assert isinstance(attendee, graph.Attendee) and attendee.email_address.address == "megan@contoso.com"
            assert await client.me.prop(User.mailbox_settings.time_zone).get() == "UTC"
            assert await event.prop(Event.is_all_day).get() is None
            await event.prop(Event.categories).replace(["Blue", "Red"])
            sent = _sent(m)
    assert sent[1][3]["Accept"] == "text/plain"
    assert sent[-1][:3] == ("PUT", f"{G}/me/events/AAMk=/categories", {"value": ["Blue", "Red"]})


async def test_a_field_of_a_derived_type_adds_its_cast_segment(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        assert client.directory_objects["d1"].prop(graph.User.display_name).url == (
            "directoryObjects/d1/microsoft.graph.user/displayName"
        )
        with aioresponses() as m:
            m.get(f"{G}/me/mailboxSettings", payload=["not", "an", "object"])
            with pytest.raises(MalformedResponse, match="expected a JSON object"):
                await client.me.prop(graph.User.mailbox_settings).get()


def test_property_mistakes_are_type_errors(graph: Any) -> None:
    client = graph.GraphClient(G, TOKEN)
    with pytest.raises(TypeError, match="a navigation property is reached as an attribute of the request"):
        client.me.prop(graph.User.manager)
    with pytest.raises(TypeError, match="expected a property of User"):
        client.me.prop("mailboxSettings")
    with pytest.raises(TypeError, match="uses a field of Event, but this query returns User"):
        client.me.prop(graph.Event.subject)
    with pytest.raises(TypeError, match="expected a property of User"):
        client.me.prop(graph.Event.subject == "x")


# -- casts, PUT and POST on single entities ----------------------------------------------------------------------
async def test_cast_of_a_single_entity(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        user = client.directory_objects["d1"].cast(graph.User)
        assert type(user).__name__ == "UserRequest" and user.url == "directoryObjects/d1/microsoft.graph.user"
        assert user.manager.url == "directoryObjects/d1/microsoft.graph.user/manager"
        with aioresponses() as m:
            m.get(f"{G}/directoryObjects/d1/microsoft.graph.user?$select=displayName",
                  payload={"id": "d1", "displayName": "Adele"})
            got = await user.select(graph.User.display_name).get()
        assert isinstance(got, graph.User) and got.display_name == "Adele"
        with pytest.raises(TypeError, match=r"cast\(Event\): not a type derived from DirectoryObject"):
            client.directory_objects["d1"].cast(graph.Event)


async def test_put_an_entity_and_post_to_a_single_valued_navigation(graph: Any) -> None:
    async with graph.GraphClient(G, TOKEN) as client:
        with aioresponses() as m:
            m.put(f"{G}/me/events/e1", status=204)
            m.post(f"{G}/me/calendar", payload={"id": "c1", "name": "Main"})
            await client.me.events["e1"].replace(graph.Event(subject="Retreat"))
            created = await client.me.calendar.create(graph.Calendar(name="Main"))
            sent = _sent(m)
        assert isinstance(created, graph.Calendar) and created.id == "c1"
        assert [(s[0], s[1], s[2]) for s in sent] == [
            ("PUT", f"{G}/me/events/e1", {"subject": "Retreat"}),
            ("POST", f"{G}/me/calendar", {"name": "Main"}),
        ]
        with pytest.raises(TypeError, match=r"create\(\): me is not a single-valued navigation property"):
            await client.me.create(graph.User())


# -- inspect: the call printed for each request line exists and sends the line's method and path -------------------
def _graph_op(method: str, path: str, query: tuple[tuple[str, str], ...] = ()) -> Any:
    from generator.specmodel import SpecOperation

    return SpecOperation("page.md", 10, "graph", "v1.0", method, "https://graph.microsoft.com", "/v1.0", path,
                         query, (), (), (), None)


@pytest.fixture(scope="module")
def graph_model() -> Any:
    from generator.csdl import parse_metadata
    from generator.naming import assign_names

    from .conftest import ROOT

    return assign_names(parse_metadata((ROOT / "schemas" / "graph_v1.xml").read_bytes(), "graph_v1.xml"))


LINES = [
    ("POST", "/groups/{id}/members/$ref", (), "client.groups[id].members.ref.add(...)", "groups/k/members/$ref"),
    ("GET", "/groups/{id}/members/$ref", (), "client.groups[id].members.ref.get()", "groups/k/members/$ref"),
    ("DELETE", "/groups/{id}/members/{id}/$ref", (), "client.groups[id].members[id].ref.delete()",
     "groups/k/members/k/$ref"),
    ("DELETE", "/groups/{id}/acceptedSenders/$ref", (("$id", "https://graph.microsoft.com/v1.0/users/{user-id}"),),
     "client.groups[id].accepted_senders.ref.remove(...)", "groups/k/acceptedSenders/$ref"),
    ("PUT", "/users/{id}/manager/$ref", (), "client.users[id].manager.ref.set(...)", "users/k/manager/$ref"),
    ("DELETE", "/users/{id}/manager/$ref", (), "client.users[id].manager.ref.delete()", "users/k/manager/$ref"),
    ("GET", "/me/manager/$ref", (), "client.me.manager.ref.get()", "me/manager/$ref"),
    ("GET", "/me/mailboxSettings", (), "client.me.prop(User.mailbox_settings).get()", "me/mailboxSettings"),
    ("PATCH", "/users/{id}/mailboxSettings", (), "client.users[id].prop(User.mailbox_settings).update(...)",
     "users/k/mailboxSettings"),
    ("GET", "/me/mailboxSettings/timeZone", (), "client.me.prop(User.mailbox_settings.time_zone).get()",
     "me/mailboxSettings/timeZone"),
    ("GET", "/me/events/{id}/subject/$value", (), "client.me.events[id].prop(Event.subject).value()",
     "me/events/k/subject/$value"),
    ("GET", "/me/events/{id}/attendees", (), "client.me.events[id].prop(Event.attendees).get()",
     "me/events/k/attendees"),
    ("GET", "/directoryObjects/{id}/microsoft.graph.user", (),
     "client.directory_objects[id].cast(User).get()", "directoryObjects/k/microsoft.graph.user"),
    ("PUT", "/me/events/{id}", (), "client.me.events[id].replace(...)", "me/events/k"),
    ("POST", "/me/calendar", (), "client.me.calendar.create(...)", "me/calendar"),
]


@pytest.mark.parametrize(("method", "path", "query", "call", "sent_path"), LINES)
async def test_inspect_prints_a_call_that_sends_the_line(
    graph_model: Any, graph: Any, method: str, path: str, query: Any, call: str, sent_path: str
) -> None:
    from generator.merge import resolve

    resolution = resolve(graph_model, _graph_op(method, path, query))
    assert resolution.call == call, resolution.reason
    last = resolution.steps[-1]
    client = graph.GraphClient(G, TOKEN)
    names = {n: getattr(graph, n) for n in graph.__all__}
    arg = "graph.User(id='t')" if last.kind == "ref" else "ARG"
    if last.type and last.type in {"microsoft.graph.mailboxSettings", "microsoft.graph.event",
                                   "microsoft.graph.calendar"}:
        names["ARG"] = client.REGISTRY.info(last.type).cls()
    code = call.replace("(...)", f"({arg})")
    body = ({"value": []} if last.collection else {"@odata.id": f"{G}/users/t", "value": "x"}) if method == "GET" else None
    async with client:
        with aioresponses() as m:
            m.add(f"{G}/{sent_path}", method=method, status=200 if body else 204, payload=body)
            m.add(f"{G}/{sent_path}?$id={G}/users/t", method=method, status=204)
            await eval(code, {**names, "client": client, "graph": graph, "id": "k"})  # noqa: S307 - the printed call
            ((sent_method, url),) = m.requests
    assert sent_method == method and str(url).split("?")[0] == f"{G}/{sent_path}"


def test_unserved_property_and_reference_lines_say_why(graph_model: Any) -> None:
    from generator.merge import resolve

    reasons = [resolve(graph_model, _graph_op(m, p)).reason for m, p in [
        ("POST", "/me/mailboxSettings"),
        ("PATCH", "/me/events/{id}/attendees"),
        ("POST", "/users/{id}/manager/$ref"),
        ("POST", "/users/$ref"),
        ("GET", "/me/mailboxSettings/nothing"),
        ("GET", "/me/manager/$ref/x"),
        ("POST", "/me/events/{id}"),
    ]]
    assert reasons == [
        "POST on the property 'mailboxSettings' is not generated",
        "PATCH on the property 'attendees' is not generated",
        "POST on a navigation's references ($ref) is not generated",
        "POST on references outside a navigation ($ref) is not generated",
        "'nothing': no member of the property 'mailboxSettings'",
        "'x' follows $ref",
        "POST on an entity is not generated",
    ]


def test_canonical_paths_of_contained_entity_types() -> None:
    from generator.emit import canonical_paths

    from .conftest import FIXTURES

    model = assign_names(load_metadata(str(FIXTURES / "contained_refs.xml"), diagnostics=Diagnostics()))
    types = {t.qualified: None for t in model.structured}
    # `people` is a set; classes live under `school/district` (single-valued, contained); events live
    # under `me`, which stands for one of `people`: no path without that person's key.
    assert canonical_paths(model, types) == {
        "Test.Refs.person": "people", "Test.Refs.schoolClass": "school/district/classes",
    }  # fmt: skip


async def test_a_key_of_a_contained_type_names_its_containment_path(generated_packages: Any) -> None:
    from .conftest import FIXTURES

    pkg = generated_packages(FIXTURES / "contained_refs.xml", "fx_contained_refs", key_as_segment=True)
    root = "https://school.test/api"
    async with pkg.ServiceClient(root, "t") as client:
        with aioresponses() as m:
            m.post(f"{root}/people/p1/events/$ref", status=204)
            await client.people["p1"].events.ref.add(client.me.events["e1"])
            m.post(f"{root}/school/district/classes/c1/members/$ref", status=204)
            await client.school.district.classes["c1"].members.ref.add("p 2")
            sent = _sent(m)
            with pytest.raises(TypeError, match="the key 'e1': no entity set holds Event; pass the entity's request"):
                await client.school.district.classes["c1"].highlights.ref.add("e1")
    assert [s[2] for s in sent] == [{"@odata.id": f"{root}/me/events/e1"}, {"@odata.id": f"{root}/people/p%202"}]
    from odatakit.refs import entity_id

    assert entity_id(client, "c 1", pkg.SchoolClass) == f"{root}/school/district/classes/c%201"
