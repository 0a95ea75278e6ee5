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


_CLASH = b"""<?xml version="1.0"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>
<Schema Namespace="C" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <EntityType Name="Base"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.String" Nullable="false"/>
    <NavigationProperty Name="members" Type="Collection(C.Base)"/></EntityType>
  <EntityType Name="Derived" BaseType="C.Base">
    <NavigationProperty Name="restore" Type="C.Base"/>
    <NavigationProperty Name="checkIn" Type="C.Base"/>
  </EntityType>
  <Action Name="restore" IsBound="true"><Parameter Name="b" Type="C.Base"/></Action>
  <Action Name="members" IsBound="true"><Parameter Name="b" Type="C.Derived"/></Action>
  <Action Name="checkIn" IsBound="true"><Parameter Name="b" Type="C.Derived"/>
    <Parameter Name="self" Type="Edm.String"/><Parameter Name="cast" Type="Edm.String"/>
    <Parameter Name="from" Type="Edm.String"/></Action>
  <Action Name="restore" IsBound="true"><Parameter Name="b" Type="C.Derived"/></Action>
  <EntityContainer Name="Svc"><EntitySet Name="bases" EntityType="C.Base"/></EntityContainer>
</Schema></edmx:DataServices></edmx:Edmx>"""


def test_navigations_and_bound_operations_never_hide_each_other() -> None:
    model = assign_names(parse_metadata(_CLASH, "clash.xml"))
    derived = model.structured_by_name()["C.Derived"]
    navs = {n.name: n.py_name for n in derived.navigation}
    ops = {(op.name, op.binding.type.name if op.binding else ""): op for op in model.operations}
    # A navigation of a derived type named like an action bound to its base type takes the suffix.
    assert navs["restore"] == "restore_2"
    assert ops["restore", "C.Base"].py_name == "restore"
    # The derived type's own overload of that action overrides it under the same name.
    assert ops["restore", "C.Derived"].py_name == "restore"
    # An action bound to a derived type named like a navigation of the base (or of itself) takes it.
    assert ops["members", "C.Derived"].py_name == "members_2"
    assert navs["checkIn"] == "check_in"
    assert ops["checkIn", "C.Derived"].py_name == "check_in_2"
    # Parameters named like what generated method bodies use get a trailing underscore.
    assert [p.py_name for p in ops["checkIn", "C.Derived"].call_parameters] == ["self_", "cast_", "from_"]


def test_every_name_is_checked_source() -> None:
    from generator.pysource import Source

    model = assign_names(parse_metadata((FIXTURES / "names.xml").read_bytes(), "names.xml"))
    names = [t.py_name for t in model.structured] + [m.py_name for e in model.enums for m in e.members]
    names += [p.py_name for t in model.structured for p in [*t.properties, *t.navigation]]
    assert names and all(isinstance(n, Source) and n.isidentifier() for n in names)
