"""Python names: snake/Pascal/UPPER forms, reserved words, collisions, cross-namespace clashes."""

from __future__ import annotations

import pytest

from generator.csdl import parse_metadata
from generator.naming import assign_names, pascal, snake, upper_snake

from .conftest import FIXTURES


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("dateTime", "date_time"),
        ("DateTimeCreated", "date_time_created"),
        ("iCalUId", "i_cal_u_id"),
        ("HTMLBody", "html_body"),
        ("ID", "id"),
        ("odata.type", "odata_type"),
        ("3DModel", "n3_d_model"),
        ("Order_Details", "order_details"),
        ("isOnlineMeeting", "is_online_meeting"),
    ],
)
def test_snake(wire: str, expected: str) -> None:
    assert snake(wire) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("fileAttachment", "FileAttachment"), ("Order_Detail", "OrderDetail"), ("iCalUId", "ICalUId"), ("3d", "N3d")],
)
def test_pascal(wire: str, expected: str) -> None:
    assert pascal(wire) == expected


def test_upper_snake() -> None:
    assert upper_snake("tentativelyAccepted") == "TENTATIVELY_ACCEPTED"
    assert upper_snake("High") == "HIGH"


def test_keywords_reserved_and_duplicates() -> None:
    model = assign_names(parse_metadata((FIXTURES / "names.xml").read_bytes(), "names.xml"))
    thing = model.structured_by_name()["Test.Names.Thing"]
    names = {p.name: p.py_name for p in [*thing.properties, *thing.navigation]}
    assert names == {
        "id": "id",
        "class": "class_",
        "from": "from_",
        "import": "import_",
        "type": "type",
        "additional_data": "additional_data_",
        "fooBar": "foo_bar",
        "foo_bar": "foo_bar_2",
        "list": "list",
    }
    lst = model.structured_by_name()["Test.Names.List"]
    # `List` would shadow nothing at module level but `list` would; PascalCase keeps it apart.
    assert lst.py_name == "List"
    assert [p.py_name for p in lst.properties] == ["id", "self_"]


def test_same_name_in_two_namespaces_gets_namespace_prefix() -> None:
    xml = b"""<?xml version="1.0"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>
<Schema Namespace="a.b.sub" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <ComplexType Name="alert"><Property Name="x" Type="Edm.String"/></ComplexType>
</Schema>
<Schema Namespace="a.b" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <ComplexType Name="alert"><Property Name="y" Type="Edm.String"/></ComplexType>
  <ComplexType Name="Exception"><Property Name="z" Type="Edm.String"/></ComplexType>
</Schema></edmx:DataServices></edmx:Edmx>"""
    model = assign_names(parse_metadata(xml, "clash.xml"))
    names = {t.qualified: t.py_name for t in model.structured}
    # The shorter namespace keeps the plain name even though it is declared second.
    assert names == {"a.b.sub.alert": "SubAlert", "a.b.alert": "Alert", "a.b.Exception": "Exception_"}


def test_operation_parameters_and_reserved_builder_names() -> None:
    model = assign_names(parse_metadata((FIXTURES / "operations.xml").read_bytes(), "operations.xml"))
    by_name = {op.name: op for op in model.operations}
    for op in model.operations:
        assert op.py_name == snake(op.name) or op.py_name.endswith("_")
    assert all(p.py_name for op in by_name.values() for p in op.parameters)
