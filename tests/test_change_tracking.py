"""Changes of received objects, found by comparing each property with what was received.

Structuring keeps one reference per object, to its JSON object; `changed_fields` and
`unstructure_changes` compare the current values with it (decoding the JSON value again where
needed), and nested objects with the part of the JSON they were read from. After `mark_clean`
the comparison is with a snapshot of the values instead.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from odatakit import serde
from odatakit.serde import mark_changed, mark_clean

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"

PAYLOAD: dict[str, Any] = {
    "@odata.etag": 'W/"1"', "id": "a", "name": "Bolt", "quantity": 2, "when": "2017-04-15T03:00:50.7579581Z",
    "color": "red", "access": "read,write", "ratio": None, "tags": ["t", "u"], "colors": ["red", "blue"],
    "shape": {"name": "s", "center": {"x": 1, "label": "c"}, "points": [{"x": 2.5}, {"x": 3}]},
    "parts": [{"id": 1, "item": {"id": "b"}}], "unknown": [1],
}


@pytest.fixture(scope="module")
def pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "query.xml", "fx_tracking")


@pytest.fixture
def conv(pkg: ModuleType) -> Any:
    return pkg.StoreClient("https://svc.test").converter


def _received(conv: Any, pkg: ModuleType) -> Any:
    return conv.structure(copy.deepcopy(PAYLOAD), pkg.Item)


def test_a_received_object_is_unchanged_and_writes_back_what_it_received(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    assert item.changed_fields == frozenset() and conv.unstructure_changes(item) == {}
    assert conv.unstructure(item) == PAYLOAD  # annotations, explicit null and unknown member included
    assert list(item.additional_data) == ["@odata.etag", "unknown"] and serde._nulls_of(item) == {"ratio"}


def test_values_equal_to_those_received_are_no_change(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.name = "".join(["Bo", "lt"])  # equal, not the same object
    item.when = conv.structure_value("2017-04-15T03:00:50.7579581Z", "Edm.DateTimeOffset")
    item.color = pkg.Color.RED
    item.access = pkg.Access.WRITE | pkg.Access.READ
    item.tags = ["t", "u"]
    item.ratio = None  # received as an explicit null
    assert item.changed_fields == frozenset()
    item.quantity = 3
    item.quantity = 2  # back to the received value
    assert item.changed_fields == frozenset()


def test_each_kind_of_property_reports_its_change(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.name = None  # null where a value was received
    item.ratio = 0.5  # a value where null was received
    item.big = 7  # a value where nothing was received
    item.color = pkg.Color.GREEN
    item.access = pkg.Access.READ
    item.tags.append("v")  # in place
    item.colors.reverse()  # in place: the order is the value
    assert item.changed_fields == {"name", "ratio", "big", "color", "access", "tags", "colors"}
    assert conv.unstructure_changes(item) == {
        "name": None, "big": 7, "ratio": 0.5, "color": "green", "access": "read",
        "tags": ["t", "u", "v"], "colors": ["blue", "red"],
    }


def test_nested_objects_are_compared_with_the_json_they_were_read_from(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.shape.points[1].x = 4  # in place, two levels down
    assert item.changed_fields == {"shape"}
    assert item.shape.changed_fields == {"points"} and item.shape.center.changed_fields == frozenset()
    assert conv.unstructure_changes(item) == {
        "shape": {"name": "s", "center": {"x": 1, "label": "c"}, "points": [{"x": 2.5}, {"x": 4}]}
    }
    # An equal object built in Python is another object: sent, as nothing says it matches.
    other = _received(conv, pkg)
    other.shape.center = pkg.Point(x=1, label="c")
    assert other.changed_fields == {"shape"}
    # Navigation items in a collection: a replaced, added or changed item changes the collection.
    third = _received(conv, pkg)
    third.parts[0].item.name = "n"
    assert third.changed_fields == {"parts"}


def test_something_else_in_place_of_an_object_is_a_change_not_an_error(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.shape = {"name": "raw"}
    item.parts = "not a list"
    assert item.changed_fields == {"shape", "parts"}


def test_mark_clean_takes_the_current_values_as_received(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.name = "Nut"
    item.tags.append("v")
    item.shape.center.x = 9
    mark_clean(item)
    assert item.changed_fields == frozenset() and item.shape.center.changed_fields == frozenset()
    item.tags.append("w")  # the snapshot holds a copy of the list
    item.shape.center.label = "d"
    assert item.changed_fields == {"tags", "shape"}
    item.tags.remove("w")
    item.shape.center.label = "c"
    assert item.changed_fields == frozenset()
    # What the object was received with beyond its properties is kept.
    assert item.odata_etag == 'W/"1"' and serde._nulls_of(item) == {"ratio"}


def test_mark_clean_on_a_nested_object_alone_leaves_its_parent_unchanged(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    mark_clean(item.shape)
    assert item.changed_fields == frozenset()
    item.shape.name = "t"
    assert item.changed_fields == {"shape"}


def test_marked_properties_count_whatever_their_values(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    mark_changed(item, "name")
    assert item.changed_fields == {"name"}
    assert conv.unstructure_changes(item) == {"name": "Bolt"}
    mark_clean(item)
    assert item.changed_fields == frozenset()
    # Built in Python: from the mark on, only marked and later-changed properties are sent.
    built = pkg.Item(id="b", name="Nut", quantity=1)
    mark_changed(built, "quantity")
    built.name = "Washer"
    assert conv.unstructure_changes(built) == {"name": "Washer", "quantity": 1}


def test_copies_keep_what_they_are_compared_with(conv: Any, pkg: ModuleType) -> None:
    item = _received(conv, pkg)
    item.name = "Nut"
    for clone in (copy.copy(item), copy.deepcopy(item), pickle.loads(pickle.dumps(item))):
        assert clone == item and clone.changed_fields == {"name"}
    deep = copy.deepcopy(item)
    deep.shape.center.x = 5  # its own nested objects and JSON
    assert deep.changed_fields == {"name", "shape"} and item.changed_fields == {"name"}


def test_the_general_path_tracks_changes_the_same_way(conv: Any, pkg: ModuleType) -> None:
    item = conv.cattrs.structure(copy.deepcopy(PAYLOAD), pkg.Item)  # not the emitted functions
    assert item == _received(conv, pkg) and item.changed_fields == frozenset()
    item.shape.points[0].x = 1
    item.tags.clear()
    assert item.changed_fields == {"shape", "tags"}
