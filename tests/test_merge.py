"""Spec operations matched with the metadata, and what the merge adds to the generated package.

The spec operations here are built by hand (the reader of real pages has its own tests), so each
case shows one rule: how a path resolves, which call serves it, and what the emitted code sends.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses
from yarl import URL

from generator.csdl import parse_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.merge import merge, resolve
from generator.model import Model
from generator.naming import assign_names
from generator.prune import merge_overlay
from generator.specmodel import SpecError, SpecHeader, SpecOperation, SpecParam, SpecSample

from .conftest import ROOT

SCHEMAS = ROOT / "schemas"
BASE = "https://outlook.office.com/api/v2.0"


def op(method: str, path: str, *, query: tuple[tuple[str, str], ...] = (), params: tuple[SpecParam, ...] = (),
       headers: tuple[SpecHeader, ...] = (), line: int = 10, scopes: tuple[str, ...] = (), status: int | None = None
       ) -> SpecOperation:
    return SpecOperation("page.md", line, "outlook", "v2.0", method, "https://outlook.office.com", "/api/v2.0", path,
                         query, params, headers, scopes, status)


@pytest.fixture(scope="module")
def model() -> Model:
    data = merge_overlay((SCHEMAS / "outlook_v2.xml").read_bytes(), (SCHEMAS / "outlook_v2.overlay.xml").read_bytes(),
                         "outlook_v2.xml", "outlook_v2.overlay.xml")
    return assign_names(parse_metadata(data, "outlook_v2.xml"))


WINDOW = (SpecParam("startDateTime", "query", "Edm.DateTimeOffset", required=True, line=12),
          SpecParam("endDateTime", "query", "Edm.DateTimeOffset", required=True, line=13))
TIMEZONE = SpecHeader("Prefer", 'outlook.timezone="{time_zone}"')
SPEC_OPS = (
    op("GET", "/me/events", headers=(TIMEZONE,), scopes=("calendars.read",), status=200),
    op("GET", "/me/calendarview", query=(("startDateTime", "{start_datetime}"), ("endDateTime", "{end_datetime}")),
       params=WINDOW, headers=(TIMEZONE, SpecHeader("Prefer", "odata.track-changes"),
                               SpecHeader("Prefer", "odata.maxpagesize={x}"))),
    op("GET", "/me/events/{event_id}/instances", query=(("startDateTime", "{s}"), ("endDateTime", "{e}")),
       params=WINDOW),
    op("POST", "/me/events/{event_id}/accept", line=40, scopes=("calendars.readwrite",), status=202,
       params=(SpecParam("event_id", "path", "Edm.String", True), SpecParam("Comment", "body", "Edm.String"),
               SpecParam("SendResponse", "body", "Edm.Boolean", default="true"))),
    # An operation the metadata lacks is generated only where a body table and a request sample agree.
    attrs.evolve(op("POST", "/me/events/{event_id}/cancel", line=50,
                    params=(SpecParam("Comment", "body", "Edm.String", required=False, line=55),)),
                 samples=(SpecSample("request", 60, "POST", f"{BASE}/me/events/e1/cancel", {"Comment": "Sorry"}),)),
    op("GET", "/me/calendargroups('{calendar_group_id}')/calendars"),
    op("DELETE", "/me/events/{id}/attachments/{attachment_id}"),
    op("GET", "/me/ReminderView(StartDateTime={start_datetime},EndDateTime={end_datetime})"),
    op("GET", "/me/events/{event_id}", line=60, headers=(SpecHeader("Prefer", 'outlook.body-content-type="{t}"'),)),
)


def test_each_spec_operation_resolves_to_the_generated_call(model: Model) -> None:
    calls = [resolve(model, o).call for o in SPEC_OPS]
    assert calls == [
        "client.me.events.prefer(timezone=...).get()",
        "client.me.calendar_view(start_date_time=..., end_date_time=...)"
        ".prefer(maxpagesize=..., timezone=..., track_changes=...).get()",
        "client.me.events[event_id].instances(start_date_time=..., end_date_time=...).get()",
        "client.me.events[event_id].accept(comment=..., send_response=...)",
        None,  # the 2015 metadata has no Cancel: merge() adds it from the page
        "client.me.calendar_groups[calendar_group_id].calendars.get()",
        "client.me.events[id].attachments[attachment_id].delete()",
        "client.me.reminder_view(start_date_time=..., end_date_time=...)",
        "client.me.events[event_id].prefer(body_content_type=...).get()",
    ]


def test_unserved_operations_say_why(model: Model) -> None:
    reasons = {o.path: resolve(model, o).reason for o in (
        op("GET", "/me/nothing"),
        op("GET", "/nowhere/events"),
        op("POST", "/me/events/{id}"),
        op("GET", "/me/events/{id}/accept"),
        op("GET", "/me/events/{a}/{b}"),
        op("GET", ""),
    )}
    assert reasons == {
        "/me/nothing": "'nothing': no navigation, cast or bound operation on an entity of type "
                       "Microsoft.OutlookServices.User",
        "/nowhere/events": "no entity set or singleton named 'nowhere'",
        "/me/events/{id}": "POST on an entity is not generated",
        "/me/events/{id}/accept": "GET on the action Microsoft.OutlookServices.Accept: expected POST",
        "/me/events/{a}/{b}": "key '{b}' after a single entity",
        "": "the request line has no resource path",
    }


def test_conflicting_parameter_types_warn_and_fail_when_strict(model: Model) -> None:
    wrong = op("POST", "/me/events/{event_id}/accept", line=77,
               params=(SpecParam("SendResponse", "body", "Edm.String", line=81),))
    diagnostics = Diagnostics()
    merge(model, [wrong], diagnostics)
    assert diagnostics.format_lines() == [
        "page.md:81: POST /me/events/{event_id}/accept: parameter 'SendResponse' is Edm.String on the page "
        "but Edm.Boolean in the metadata (Microsoft.OutlookServices.Accept)"
    ]
    with pytest.raises(SpecError, match=r"^page.md:81: POST .*'SendResponse' is Edm.String on the page"):
        merge(model, [wrong], Diagnostics(), strict=True)


@pytest.fixture(scope="module")
def pkg(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    diagnostics = Diagnostics()
    result = merge(model, SPEC_OPS, diagnostics)
    assert result.added == ("Microsoft.OutlookServices.Cancel",)
    assert diagnostics.format_lines() == [
        "page.md:50: Microsoft.OutlookServices.Cancel: not in the metadata; generated from the page's body parameters"
    ]
    assert all(r.served for r in result.resolutions)
    out = tmp_path_factory.mktemp("merged")
    emit(result.model, EmitOptions(package="merged_outlook", client_class="OutlookClient", key_as_segment=True,
                                   qualified_operations=False), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("merged_outlook")
    finally:
        sys.path.remove(str(out))


def _sent(m: aioresponses) -> list[tuple[str, str, Any, Any]]:
    return [(method, str(url), kw.get("headers", {}).get("Prefer"), kw.get("data"))
            for (method, url), calls in m.requests.items() for kw in (c.kwargs for c in calls)]


async def test_required_query_options_are_keyword_arguments(pkg: ModuleType) -> None:
    client = pkg.OutlookClient(BASE, None)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    view = client.me.calendar_view(start_date_time=start, end_date_time=end)
    assert view.url == "Me/CalendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-01-02T00:00:00Z"
    assert client.me.events["e1"].instances(start_date_time=start, end_date_time=end).top(5).url == (
        "Me/Events/e1/Instances?$top=5&startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-01-02T00:00:00Z"
    )
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'end_date_time'"):
        client.me.calendar_view(start_date_time=start)
    with pytest.raises(TypeError, match="custom options take aware datetimes"):
        client.me.calendar_view(start_date_time=datetime(2026, 1, 1), end_date_time=end)
    # The docstring carries the page's facts.
    assert "GET /me/calendarview (page.md:10)" in (type(client.me).calendar_view.__doc__ or "")


async def test_prefer_options_merge_into_one_header(pkg: ModuleType) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    async with pkg.OutlookClient(BASE, None) as client:
        view = client.me.calendar_view(start_date_time=start, end_date_time=end)
        query = view.prefer(timezone="Pacific Standard Time", track_changes=True).prefer(maxpagesize=2)
        with aioresponses() as m:
            url = f"{BASE}/{query.url}"
            m.get(url, payload={"value": [{"Id": "a"}], "@odata.nextLink": f"{BASE}/next"})
            m.get(f"{BASE}/next", payload={"value": [{"Id": "b"}]})
            ids = [e.id async for e in query]
            sent = _sent(m)
        assert ids == ["a", "b"]
        expected = 'outlook.timezone="Pacific Standard Time", odata.track-changes, odata.maxpagesize=2'
        assert [(s[0], s[2]) for s in sent] == [("GET", expected), ("GET", expected)]
        # The same preference given twice is replaced, never sent twice.
        assert view.prefer(timezone="UTC").prefer(timezone="Tokyo Standard Time")._headers() == {
            "Prefer": 'outlook.timezone="Tokyo Standard Time"'
        }
        with pytest.raises(TypeError, match="expected a preference name"):
            view.preference("bad name")


async def test_a_line_keying_a_collection_gives_the_single_entity_its_prefer(pkg: ModuleType) -> None:
    # GET /me/events/{event_id} lists a preference GET /me/events does not: each builder has its own.
    async with pkg.OutlookClient(BASE, None) as client:
        one = client.me.events["e1"].prefer(body_content_type="text")
        with aioresponses() as m:
            m.get(f"{BASE}/Me/Events/e1", payload={"Id": "e1"})
            event = await one.get()
            sent = _sent(m)
    assert event.id == "e1"
    assert sent == [("GET", f"{BASE}/Me/Events/e1", "outlook.body-content-type=text", None)]
    with pytest.raises(TypeError, match="unexpected keyword argument 'body_content_type'"):
        client.me.events.prefer(body_content_type="text")  # type: ignore[call-arg]


async def test_spec_only_action_is_generated_and_posts_its_body(pkg: ModuleType) -> None:
    async with pkg.OutlookClient(BASE, None) as client:
        with aioresponses() as m:
            m.post(f"{BASE}/Me/Events/e1/Cancel", status=202)
            await client.me.events["e1"].cancel(comment="Sorry")
            sent = _sent(m)
    assert sent == [("POST", f"{BASE}/Me/Events/e1/Cancel", None, b'{"Comment":"Sorry"}')]
    assert URL(sent[0][1]).path == "/api/v2.0/Me/Events/e1/Cancel"


def test_accept_docstring_names_scopes_and_status(pkg: ModuleType) -> None:
    from merged_outlook.requests import EventRequest

    text = " ".join((EventRequest.accept.__doc__ or "").split())
    assert "POST /me/events/{event_id}/accept (page.md:40), success 202; scopes: calendars.readwrite." in text


def test_emitted_package_passes_mypy_strict(pkg: ModuleType) -> None:
    import subprocess

    folder = Path(pkg.__file__ or "").parent
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "-p", "merged_outlook"], cwd=folder.parent,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
