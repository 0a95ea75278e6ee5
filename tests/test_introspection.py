"""What `help()` and `inspect.signature` show of a generated class at run time."""

from __future__ import annotations

import inspect
import pydoc
from datetime import datetime
from typing import Any

import pytest

from odatakit.serde import ComplexBase, EntityBase, ODataObject


@pytest.fixture
def graph(bundled: None) -> Any:
    import graph_v1

    return graph_v1


def test_the_signature_is_keyword_only_typed_with_none_defaults(graph: Any) -> None:
    Event = graph.Event
    sig = inspect.signature(Event)
    params = sig.parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params)[:3] == ["id", "categories", "change_key"]  # inherited fields first, as the registry has them
    assert list(params)[-1] == "additional_data"
    assert {p.default for name, p in params.items() if name != "additional_data"} == {None}
    assert params["additional_data"].default == {}
    assert params["subject"].annotation == str | None
    assert params["created_date_time"].annotation == datetime | None
    assert params["importance"].annotation == graph.Importance | None
    assert params["start"].annotation == graph.DateTimeTimeZone | None
    assert params["attendees"].annotation == list[graph.Attendee] | None
    assert params["categories"].annotation == list[str] | None
    assert params["calendar"].annotation == graph.Calendar | None
    assert params["attachments"].annotation == list[graph.Attachment] | None
    assert params["additional_data"].annotation == dict[str, Any]


def test_the_signature_binds_as_the_constructor_does(graph: Any) -> None:
    sig = inspect.signature(graph.Event)
    assert sig.bind(subject="Standup", importance=graph.Importance.LOW).arguments == {
        "subject": "Standup", "importance": graph.Importance.LOW}
    with pytest.raises(TypeError, match="too many positional arguments"):
        sig.bind("Standup")
    with pytest.raises(TypeError, match="unexpected keyword argument 'subjct'"):
        sig.bind(subjct="Standup")
    with pytest.raises(TypeError, match="unexpected keyword argument 'subjct'"):
        graph.Event(subjct="Standup")


def test_a_users_subclass_has_its_generated_bases_signature(graph: Any) -> None:
    class Mine(graph.Event):
        __slots__ = ()

    assert inspect.signature(Mine) == inspect.signature(graph.Event)


def test_the_runtime_base_classes_keep_their_own_signature_and_doc() -> None:
    for base in (ODataObject, EntityBase, ComplexBase):
        assert str(inspect.signature(base)) == "(**values: 'Any') -> 'None'"
        assert base.__doc__ == base.__dict__["__doc__"]


def test_help_shows_the_signature_and_every_field_with_its_wire_name_and_type(graph: Any) -> None:
    text = pydoc.render_doc(graph.Event, renderer=pydoc.plaintext)
    assert "Event(*, id: str | None = None, categories: list[str] | None = None," in text
    assert "The microsoft.graph.event entity type." in text
    assert "subject: str | None  (subject, Edm.String)" in text
    assert "attendees: list[graph_v1.models.Attendee] | None  (attendees, Collection(microsoft.graph.attendee))" in text
    assert "calendar: graph_v1.models.Calendar | None  (calendar, microsoft.graph.calendar, navigation)" in text


def test_help_shows_field_descriptions_from_the_metadata(graph: Any) -> None:
    doc = graph.User.__doc__
    assert doc.startswith("The microsoft.graph.user entity type.\n\nFields (keyword arguments of the constructor")
    assert ("device_enrollment_limit: int | None  (deviceEnrollmentLimit, Edm.Int32)\n"
            "    The limit on the maximum number of devices that the user is permitted to enroll.\n"
            "    Allowed values are 5 or 1000.") in doc


def test_operation_docstrings_say_what_the_operation_does(graph: Any) -> None:
    from graph_v1.requests import EventRequest, UserRequest

    def doc(method: Any) -> str:
        return " ".join((inspect.getdoc(method) or "").split())

    assert doc(EventRequest.accept) == (
        "Invoke the action microsoft.graph.accept: a POST that may change data on the service and returns nothing.")
    assert doc(UserRequest.reminder_view) == (
        "Call the function microsoft.graph.reminderView: a GET without side effects that returns a collection of "
        "microsoft.graph.reminder.")
