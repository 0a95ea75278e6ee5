"""Tests of the CSDL reader (generator/csdl.py): fixtures, errors, leniency, real documents."""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from generator.csdl import load_metadata, parse_metadata
from generator.errors import Diagnostics, MetadataError
from generator.model import (
    Annotation,
    EntitySet,
    Model,
    NavigationBinding,
    Operation,
    ReferentialConstraint,
    StructuredType,
    TypeRef,
    capabilities_of,
    description_of,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csdl"
BAD = FIXTURES / "bad"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXTERNAL = SHARED / "external"
GRAPH = EXTERNAL / "msgraph-metadata"
GRAPH_CLEAN = GRAPH / "v1.0-cleanMetadata.xml"

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
CORE = "Org.OData.Core.V1."
CAPABILITIES = "Org.OData.Capabilities.V1."


def load(name: str) -> tuple[Model, Diagnostics]:
    diagnostics = Diagnostics()
    return load_metadata(str(FIXTURES / name), diagnostics=diagnostics), diagnostics


def structured(model: Model, qualified: str) -> StructuredType:
    return model.structured_by_name()[qualified]


def operations(model: Model, qualified: str) -> list[Operation]:
    return [op for op in model.operations if op.qualified == qualified]


def terms(annotations: tuple[Annotation, ...]) -> list[tuple[str, str | None]]:
    return [(a.term, a.qualifier) for a in annotations]


def wrap(schema: str, *, references: str = "", version: str = "4.0") -> bytes:
    """A one-schema document around the given Schema content."""
    return (
        f'<edmx:Edmx Version="{version}" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">\n'
        f"{references}"
        "<edmx:DataServices>\n"
        '<Schema Namespace="T" Alias="t" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n'
        f"{schema}\n"
        "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
    ).encode()


CORE_REFERENCE = (
    '<edmx:Reference Uri="https://example.org/Core.xml">'
    '<edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/></edmx:Reference>\n'
)


def all_annotations(model: Model) -> list[Annotation]:
    found: list[Annotation] = []
    for t in model.structured:
        found += t.annotations
        for prop in t.properties:
            found += prop.annotations
        for nav in t.navigation:
            found += nav.annotations
    for e in model.enums:
        found += e.annotations
        for m in e.members:
            found += m.annotations
    for op in model.operations:
        found += op.annotations
        for p in op.parameters:
            found += p.annotations
    for term in model.terms:
        found += term.annotations
    for td in model.type_definitions:
        found += td.annotations
    if model.container is not None:
        found += model.container.annotations
        for s in model.container.entity_sets:
            found += s.annotations
        for i in model.container.imports:
            found += i.annotations
    for _, extra in model.extra_annotations:
        found += extra
    return found


# --------------------------------------------------------------------------- fixtures


def test_inheritance_across_aliased_schemas() -> None:
    model, diagnostics = load("inheritance.xml")
    assert diagnostics.warnings == []
    assert model.namespaces == ("Test.Base", "Test.Media")
    assert model.aliases == (("Core", "Org.OData.Core.V1"), ("base", "Test.Base"), ("media", "Test.Media"))
    assert [t.qualified for t in model.structured] == [
        "Test.Base.Entity",
        "Test.Base.Shape",
        "Test.Base.Circle",
        "Test.Media.Item",
        "Test.Media.Photo",
        "Test.Media.Scan",
        "Test.Media.Document",
        "Test.Media.LabeledCircle",
    ]
    entity = structured(model, "Test.Base.Entity")
    assert (entity.kind, entity.abstract, entity.key) == ("entity", True, ("id",))
    assert entity.annotations == (Annotation(CORE + "Description", "The root of every entity."),)

    item = structured(model, "Test.Media.Item")
    assert (item.base, item.abstract, item.open, item.key) == ("Test.Base.Entity", True, False, ())
    assert item.properties[1].type == TypeRef("Test.Base.Shape")
    assert item.properties[2].type == TypeRef("Edm.String", collection=True, nullable=False)

    photo = structured(model, "Test.Media.Photo")
    assert (photo.base, photo.has_stream, photo.open) == ("Test.Media.Item", True, False)
    assert photo.properties[1].type.precision == 3
    document = structured(model, "Test.Media.Document")
    assert (document.open, document.has_stream) == (True, False)
    assert document.properties[1].type == TypeRef("Test.Base.Shape", collection=True)

    circle = structured(model, "Test.Media.LabeledCircle")
    assert (circle.kind, circle.base, circle.open) == ("complex", "Test.Base.Circle", True)
    assert circle.properties[0].type.max_length == "64"
    assert structured(model, "Test.Base.Circle").base == "Test.Base.Shape"
    assert [t.qualified for t in model.base_chain("Test.Media.Photo")] == [
        "Test.Media.Photo",
        "Test.Media.Item",
        "Test.Base.Entity",
    ]
    assert model.key_of("Test.Media.Photo") == ("id",)
    assert model.container is not None
    assert model.container.entity_sets[0] == EntitySet("items", "Test.Media.Item")
    location = photo.location
    assert location is not None
    assert (location.line, location.element) == (30, "EntityType")
    assert location.source.endswith("inheritance.xml")


def test_enums() -> None:
    model, diagnostics = load("enums.xml")
    enums = model.enums_by_name()
    assert list(enums) == [
        "Test.Enums.Color",
        "Test.Enums.Importance",
        "Test.Enums.Permissions",
        "Test.Enums.Level",
        "Test.Enums.Empty",
    ]
    color = enums["Test.Enums.Color"]
    assert [(m.name, m.value) for m in color.members] == [("red", 0), ("green", 1), ("blue", 2)]
    assert (color.underlying, color.is_flags) == ("Edm.Int32", False)
    importance = enums["Test.Enums.Importance"]
    assert [m.value for m in importance.members] == [1, 5, 10, 99]
    assert importance.members[2].annotations == (Annotation(CORE + "Description", "Look at it first."),)
    permissions = enums["Test.Enums.Permissions"]
    assert permissions.is_flags
    assert [(m.name, m.value) for m in permissions.members][-1] == ("all", 7)
    level = enums["Test.Enums.Level"]
    assert level.underlying == "Edm.Byte"
    assert [m.value for m in level.members] == [0, 255]
    assert enums["Test.Enums.Empty"].members == ()
    assert [(w.line, w.element) for w in diagnostics.warnings] == [(34, "EnumType")]
    assert "no members" in diagnostics.warnings[0].message

    settings = structured(model, "Test.Enums.Settings")
    assert [p.type for p in settings.properties] == [
        TypeRef("Test.Enums.Color", nullable=False),
        TypeRef("Test.Enums.Importance"),
        TypeRef("Test.Enums.Permissions"),
        TypeRef("Test.Enums.Permissions", collection=True, nullable=False),
        TypeRef("Test.Enums.Level"),
    ]
    assert settings.properties[0].default == "green"


def test_keys_navigation_and_container() -> None:
    model, diagnostics = load("keys.xml")
    assert diagnostics.warnings == []
    customer = structured(model, "Test.Keys.Customer")
    assert customer.key == ("id",)
    orders, addresses = customer.navigation
    assert (orders.type, orders.partner, orders.contains_target) == (
        TypeRef("Test.Keys.Order", collection=True),
        "customer",
        False,
    )
    assert (addresses.type.collection, addresses.contains_target) == (True, True)

    order = structured(model, "Test.Keys.Order")
    customer_nav = order.navigation[0]
    assert customer_nav.type == TypeRef("Test.Keys.Customer", nullable=False)
    assert customer_nav.partner == "orders"
    assert customer_nav.referential_constraints == (ReferentialConstraint("customerId", "id"),)
    total = order.properties[2].type
    assert (total.name, total.precision, total.scale) == ("Edm.Decimal", 12, "2")

    assert structured(model, "Test.Keys.OrderLine").key == ("orderId", "lineNumber")
    assert structured(model, "Test.Keys.OrderLine").properties[2].default == "1"
    assert structured(model, "Test.Keys.Product").key == ("sku",)

    container = model.container
    assert container is not None
    assert (container.namespace, container.name) == ("Test.Keys", "Shop")
    assert [(s.name, s.entity_type, s.singleton) for s in container.entity_sets] == [
        ("customers", "Test.Keys.Customer", False),
        ("orders", "Test.Keys.Order", False),
        ("products", "Test.Keys.Product", False),
        ("me", "Test.Keys.Customer", True),
    ]
    assert container.entity_sets[1].bindings == (
        NavigationBinding("customer", "customers"),
        NavigationBinding("lines/product", "Test.Keys.Shop/products"),  # alias resolved
    )
    assert container.entity_sets[3].bindings == (NavigationBinding("orders", "orders"),)


def test_operations() -> None:
    model, diagnostics = load("operations.xml")
    assert diagnostics.warnings == []
    assert [(op.kind, op.name) for op in model.operations] == [
        ("action", "archive"),
        ("action", "reset"),
        ("action", "publish"),
        ("function", "search"),
        ("function", "search"),
        ("function", "related"),
        ("function", "stats"),
        ("function", "round"),
    ]
    (archive,) = operations(model, "Test.Ops.archive")
    assert archive.bound and archive.return_type is None
    assert archive.binding is not None and archive.binding.type == TypeRef("Test.Ops.Document", nullable=False)
    assert [(p.name, p.optional) for p in archive.call_parameters] == [("reason", True)]
    assert archive.call_parameters[0].annotations == (Annotation(CORE + "OptionalParameter", True),)

    (reset,) = operations(model, "Test.Ops.reset")
    assert (reset.bound, reset.parameters, reset.return_type) == (False, (), None)
    (publish,) = operations(model, "Test.Ops.publish")
    assert (publish.entity_set_path, publish.return_type) == ("doc", TypeRef("Test.Ops.Document"))

    one, two = operations(model, "Test.Ops.search")
    assert [p.name for p in one.parameters] == ["query"]
    assert [p.name for p in two.parameters] == ["query", "top"]
    assert one.return_type == TypeRef("Test.Ops.Document", collection=True, nullable=False)
    # "ops.search" names every overload; the signature target only the second one.
    assert terms(one.annotations) == [(CORE + "LongDescription", None)]
    assert terms(two.annotations) == [(CORE + "Description", None), (CORE + "LongDescription", None)]

    (related,) = operations(model, "Test.Ops.related")
    assert (related.bound, related.is_composable, related.entity_set_path) == (True, True, "doc")
    assert related.return_type == TypeRef("Test.Ops.Document", collection=True)
    (stats,) = operations(model, "Test.Ops.stats")
    assert stats.binding is not None and stats.binding.type.collection
    assert stats.return_type == TypeRef("Test.Ops.Stats", nullable=False)
    (round_,) = operations(model, "Test.Ops.round")
    assert (round_.parameters[0].type.precision, round_.parameters[0].type.scale) == (10, "2")
    assert round_.return_type is not None and round_.return_type.scale == "variable"
    assert not round_.is_composable

    container = model.container
    assert container is not None
    assert [(i.kind, i.name, i.operation, i.entity_set) for i in container.imports] == [
        ("action", "reset", "Test.Ops.reset", None),
        ("function", "search", "Test.Ops.search", "documents"),
        ("function", "round", "Test.Ops.round", None),
    ]


def test_awkward_names_are_kept_as_written() -> None:
    model, diagnostics = load("names.xml")
    assert diagnostics.warnings == []
    thing = structured(model, "Test.Names.Thing")
    assert [p.name for p in thing.properties] == [
        "id",
        "class",
        "from",
        "import",
        "type",
        "additional_data",
        "fooBar",
        "foo_bar",
    ]
    assert thing.navigation[0].type == TypeRef("Test.Names.List")
    list_type = structured(model, "Test.Names.List")
    assert [p.name for p in list_type.properties] == ["id", "self"]


def test_annotations_inline_and_external() -> None:
    model, diagnostics = load("annotations.xml")
    assert diagnostics.warnings == []
    note = structured(model, "Test.Notes.Note")
    assert description_of(note.annotations) == "A note.\n\nNotes are short texts written by people."
    by_name = {p.name: p for p in note.properties}
    assert by_name["id"].annotations == (Annotation(CORE + "Computed", True),)
    assert description_of(by_name["title"].annotations) == "A short title."
    assert by_name["body"].annotations == (
        Annotation(CORE + "Description", "The text of the note."),
        Annotation(CORE + "Description", "Text.", qualifier="short"),
    )
    priority = model.enums_by_name()["Test.Notes.Priority"]
    assert description_of(priority.members[1].annotations) == "Read it first."
    assert priority.members[0].annotations == ()

    (pin,) = operations(model, "Test.Notes.pin")
    assert terms(pin.annotations) == [(CORE + "Description", None), (CORE + "LongDescription", None)]
    assert description_of(pin.parameters[0].annotations) == "The note to pin."

    container = model.container
    assert container is not None
    assert container.annotations == (Annotation(CORE + "Description", "The notes service.", qualifier="public"),)
    notes_set = container.entity_sets[0]
    assert [a.term for a in capabilities_of(notes_set.annotations)] == [
        CAPABILITIES + "FilterRestrictions",
        CAPABILITIES + "SearchRestrictions",
        CAPABILITIES + "TopSupported",
    ]
    filter_restrictions, search_restrictions, top = notes_set.annotations
    assert filter_restrictions.value == {
        "@type": CAPABILITIES + "FilterRestrictionsType",
        "Filterable": True,
        "RequiresFilter": False,
        "NonFilterableProperties": [{"$PropertyPath": "body"}, {"$PropertyPath": "author/name"}],
    }
    assert search_restrictions.value == {
        "Searchable": True,
        "UnsupportedExpressions": f"{CAPABILITIES}SearchExpressions/AND {CAPABILITIES}SearchExpressions/OR",
    }
    assert top.value is False
    # A path below an entity set has no place on a model element.
    assert model.extra_annotations == (
        ("Test.Notes.Service/notes/author", (Annotation(CORE + "Description", "Who wrote it."),)),
    )


def test_every_annotation_of_the_fixture_is_kept() -> None:
    model, _ = load("annotations.xml")
    root = etree.parse(str(FIXTURES / "annotations.xml")).getroot()
    written = sum(1 for _ in root.iter(EDM + "Annotation"))
    assert written == len(all_annotations(model)) == 15


# --------------------------------------------------------------------------- errors


def raises(path: Path) -> MetadataError:
    with pytest.raises(MetadataError) as info:
        load_metadata(str(path))
    error = info.value
    assert "\n" not in str(error)
    assert error.source == str(path)
    return error


@pytest.mark.parametrize(
    ("name", "line", "element", "words"),
    [
        (
            "undefined_type.xml",
            7,
            "Property",
            "property 'size' of Test.Bad.Thing refers to undefined type 'Test.Bad.Size'",
        ),
        ("base_cycle.xml", 5, "ComplexType", "BaseType cycle: Test.Bad.A -> Test.Bad.C -> Test.Bad.B -> Test.Bad.A"),
        ("bad_key.xml", 11, "PropertyRef", "key property 'version' is not a property of Test.Bad.Thing"),
        (
            "nav_unknown.xml",
            10,
            "NavigationProperty",
            "navigation property 'owner' of Test.Bad.Thing refers to undefined type 'Test.Bad.Person'",
        ),
        (
            "duplicate_type.xml",
            11,
            "EntityType",
            "duplicate name 'Thing' in schema 'Test.Bad' (first declared on line 5)",
        ),
        ("duplicate_property.xml", 10, "Property", "'name' of Test.Bad.Derived is already declared in base type"),
        ("xxe.xml", 2, "!DOCTYPE", "DTDs are not allowed (possible XXE or entity expansion attack)"),
        ("billion_laughs.xml", 3, "!DOCTYPE", "DTDs are not allowed (possible XXE or entity expansion attack)"),
        ("not_edmx.xml", 2, "Schema", "not an OData CSDL document"),
    ],
)
def test_bad_documents(name: str, line: int, element: str, words: str) -> None:
    path = BAD / name
    error = raises(path)
    assert (error.line, error.element) == (line, element)
    assert str(error).startswith(f"{path}:{line}: <{element}>: ")
    assert words in str(error)


def test_malformed_xml_names_lxml_line() -> None:
    path = BAD / "malformed.xml"
    error = raises(path)
    assert (error.line, error.element) == (6, None)
    assert str(error).startswith(f"{path}:6: malformed XML: ")
    assert "EntityType" in str(error)


def test_dtd_is_rejected_before_parsing_even_when_harmless() -> None:
    data = b'<?xml version="1.0"?>\n\n<!DOCTYPE edmx>\n' + wrap("")
    with pytest.raises(MetadataError) as info:
        parse_metadata(data, "doc.xml")
    assert str(info.value) == "doc.xml:3: <!DOCTYPE>: DTDs are not allowed (possible XXE or entity expansion attack)"


def test_dtd_in_utf16_is_caught_after_parsing() -> None:
    # The byte scan cannot see an UTF-16 DOCTYPE; the parser's view must stop it.
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n' + wrap("").decode()
    with pytest.raises(MetadataError, match="DTDs are not allowed"):
        parse_metadata(text.encode("utf-16"), "doc.xml")


@pytest.mark.parametrize(
    ("schema", "line", "element", "words"),
    [
        (
            '<ComplexType Name="A"><Property Name="p" Type="Other.Thing"/></ComplexType>',
            4,
            "Property",
            "namespace 'Other' is neither defined nor referenced",
        ),
        (
            '<ComplexType Name="A"><Property Name="p" Type="Edm.Text"/></ComplexType>',
            4,
            "Property",
            "unknown primitive type 'Edm.Text'",
        ),
        (
            '<EntityType Name="A"><NavigationProperty Name="n" Type="t.C"/></EntityType>\n<ComplexType Name="C"/>',
            4,
            "NavigationProperty",
            "must have an entity type, but 'T.C' is a complex type",
        ),
        (
            '<EntityType Name="A" BaseType="t.C"/>\n<ComplexType Name="C"/>',
            4,
            "EntityType",
            "BaseType 'T.C' of entity type T.A is a complex type",
        ),
        (
            (
                '<EntityType Name="A"><Key><PropertyRef Name="n"/></Key>'
                '<NavigationProperty Name="n" Type="t.A"/></EntityType>'
            ),
            4,
            "PropertyRef",
            "is a navigation property",
        ),
        (
            (
                '<ComplexType Name="A"><Property Name="p" Type="Edm.String"/>\n'
                '<NavigationProperty Name="p" Type="t.B"/></ComplexType><EntityType Name="B"/>'
            ),
            5,
            "NavigationProperty",
            "duplicate property 'p' in T.A (first declared on line 4)",
        ),
        ('<EnumType Name="E"><Member Name="a"/>\n<Member Name="a"/></EnumType>', 5, "Member", "duplicate member 'a'"),
        (
            '<EntityContainer Name="C"><EntitySet Name="s" EntityType="t.Missing"/></EntityContainer>',
            4,
            "EntitySet",
            "entity set 's' refers to undefined type 'T.Missing'",
        ),
        (
            (
                '<EntityContainer Name="C">\n<EntitySet Name="s" EntityType="t.A"/>\n<Singleton Name="s" Type="t.A"/>'
                '</EntityContainer><EntityType Name="A"/>'
            ),
            6,
            "Singleton",
            "duplicate name 's' in entity container T.C",
        ),
        ("<ComplexType/>", 4, "ComplexType", "missing required attribute 'Name'"),
    ],
)
def test_semantic_errors(schema: str, line: int, element: str, words: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_metadata(wrap(schema), "inline.xml")
    assert (info.value.line, info.value.element) == (line, element)
    assert str(info.value).startswith(f"inline.xml:{line}: <{element}>: ")
    assert words in str(info.value)


def test_not_odata_v4() -> None:
    v3 = (
        b'<edmx:Edmx Version="3.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">'
        b"<edmx:DataServices/></edmx:Edmx>"
    )
    with pytest.raises(MetadataError, match=r"^v3\.xml:1: <Edmx>: not an OData CSDL document"):
        parse_metadata(v3, "v3.xml")
    no_data_services = b'<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"/>'
    with pytest.raises(MetadataError, match="no edmx:DataServices"):
        parse_metadata(no_data_services, "x.xml")


def test_error_format() -> None:
    error = MetadataError("two\nlines", source="a.xml", line=3, element="Property")
    assert str(error) == "a.xml:3: <Property>: two lines"
    assert str(MetadataError("gone", source="https://x/$metadata")) == "https://x/$metadata: gone"
    diagnostics = Diagnostics()
    diagnostics.warn("careful", source="a.xml", line=7, element="EnumType")
    diagnostics.warn("no line", source="a.xml")
    assert diagnostics.format_lines() == ["a.xml:7: <EnumType>: careful", "a.xml: no line"]
    assert diagnostics.format() == "a.xml:7: <EnumType>: careful\na.xml: no line"
    assert diagnostics.warnings[0] == ("a.xml", 7, "EnumType", "careful")


# --------------------------------------------------------------------------- leniency


def warnings_of(data: bytes) -> tuple[Model, list[str]]:
    diagnostics = Diagnostics()
    model = parse_metadata(data, "doc.xml", diagnostics=diagnostics)
    return model, diagnostics.format_lines()


def test_variable_scale_is_normalised_with_a_warning() -> None:
    model, warnings = warnings_of(
        wrap(
            '<ComplexType Name="A">\n<Property Name="x" Type="Edm.Decimal" Scale="Variable" SRID="Variable"/>'
            '\n<Property Name="y" Type="Edm.Decimal" Scale="variable"/></ComplexType>'
        )
    )
    x, y = model.structured[0].properties
    assert (x.type.scale, x.type.srid, y.type.scale) == ("variable", "variable", "variable")
    assert warnings == [
        "doc.xml:5: <Property>: Scale='Variable' is spelled 'variable' in the specification",
        "doc.xml:5: <Property>: SRID='Variable' is spelled 'variable' in the specification",
    ]


def test_unknown_elements_and_attributes_are_ignored_with_a_warning() -> None:
    model, warnings = warnings_of(
        wrap(
            '<ComplexType Name="A" Color="blue" xmlns:v="urn:vendor" v:label="ok">\n'
            '<Property Name="x" Type="Edm.String"/>\n<Gadget/>\n</ComplexType>\n<Widget Name="w"/>'
        )
    )
    assert [p.name for p in model.structured[0].properties] == ["x"]
    assert warnings == [
        "doc.xml:4: <ComplexType>: unknown attribute 'Color' ignored",
        "doc.xml:6: <Gadget>: unknown element in <ComplexType> ignored",
        "doc.xml:8: <Widget>: unknown element in <Schema> ignored",
    ]


def test_missing_annotation_target_goes_to_extra_with_a_warning() -> None:
    model, warnings = warnings_of(
        wrap(
            '<ComplexType Name="A"><Property Name="x" Type="Edm.String"/></ComplexType>\n'
            '<Annotations Target="t.A/y"><Annotation Term="Core.Description" String="?"/></Annotations>\n'
            '<Annotations Target="t.Gone"><Annotation Term="Core.Description" String="!"/></Annotations>',
            references=CORE_REFERENCE,
        )
    )
    assert warnings == [
        "doc.xml:6: <Annotations>: annotation target 'T.A/y' does not exist",
        "doc.xml:7: <Annotations>: annotation target 'T.Gone' does not exist",
    ]
    assert model.extra_annotations == (
        ("T.A/y", (Annotation(CORE + "Description", "?"),)),
        ("T.Gone", (Annotation(CORE + "Description", "!"),)),
    )


def test_types_of_referenced_namespaces_are_kept_with_a_warning() -> None:
    model, warnings = warnings_of(
        wrap(
            '<ComplexType Name="A">\n<Property Name="p" Type="Core.Permission"/>\n'
            '<Property Name="q" Type="Collection(Org.OData.Core.V1.Tag)"/></ComplexType>\n'
            '<Function Name="f"><Parameter Name="x" Type="Core.Tag"/><ReturnType Type="Edm.String"/></Function>\n'
            '<Term Name="IsURL" Type="Core.Tag" AppliesTo="Property Term"/>',
            references=CORE_REFERENCE,
        )
    )
    p, q = model.structured[0].properties
    assert (p.type, q.type) == (
        TypeRef("Org.OData.Core.V1.Permission"),
        TypeRef("Org.OData.Core.V1.Tag", collection=True),
    )
    assert model.operations[0].parameters[0].type.name == "Org.OData.Core.V1.Tag"
    assert [(t.name, t.type.name, t.applies_to) for t in model.terms] == [
        ("IsURL", "Org.OData.Core.V1.Tag", ("Property", "Term"))
    ]
    assert len(warnings) == 3  # the term's type is not worth a warning
    assert warnings[0] == (
        "doc.xml:6: <Property>: property 'p' of T.A has type 'Org.OData.Core.V1.Permission' from referenced "
        "namespace 'Org.OData.Core.V1', not defined in this document; kept as is"
    )
    assert warnings[2].startswith("doc.xml:8: <Parameter>: parameter 'x' of T.f has type")


def test_base_type_in_referenced_namespace_is_an_error() -> None:
    # A generated class cannot derive from a type the document does not define (it used to
    # warn here and fail later with a KeyError in Model.base_chain).
    with pytest.raises(MetadataError) as info:
        warnings_of(
            wrap(
                '<EntityType Name="A" BaseType="Core.Thing"><Key><PropertyRef Name="id"/></Key></EntityType>',
                references=CORE_REFERENCE,
            )
        )
    assert (info.value.line, info.value.element) == (5, "EntityType")
    assert "BaseType 'Org.OData.Core.V1.Thing' of T.A is in namespace 'Org.OData.Core.V1'" in info.value.message


def test_annotation_values() -> None:
    schema = """
<ComplexType Name="A">
  <Annotation Term="t.Flag"/>
  <Annotation Term="t.Int" Int="-42"/>
  <Annotation Term="t.Float" Float="1.5e3"/>
  <Annotation Term="t.Inf" Float="INF"/>
  <Annotation Term="t.Decimal" Decimal="3.25"/>
  <Annotation Term="t.Date" Date="2024-02-29"/>
  <Annotation Term="t.Path" Path="t.A/x"/>
  <Annotation Term="t.Nav" NavigationPropertyPath="owner"/>
  <Annotation Term="t.AnnotationPath" AnnotationPath="x/@Core.Description"/>
  <Annotation Term="t.Enum"><EnumMember>t.Color/red t.Color/blue</EnumMember></Annotation>
  <Annotation Term="t.Null"><Null/></Annotation>
  <Annotation Term="t.Text"><String>  spaced  </String></Annotation>
  <Annotation Term="t.Bools"><Collection><Bool>true</Bool><Bool>false</Bool><Int>7</Int></Collection></Annotation>
  <Annotation Term="t.Record">
    <Record Type="t.R">
      <Annotation Term="Core.Description" String="on the record"/>
      <PropertyValue Property="a" String="x">
        <Annotation Term="Core.Description" Qualifier="q" String="on a member"/>
      </PropertyValue>
      <PropertyValue Property="b"><Record><PropertyValue Property="c" Guid="00000000-0000-0000-0000-000000000000"/></Record></PropertyValue>
    </Record>
  </Annotation>
  <Annotation Term="t.If"><If><Path>isFemale</Path><String>Female</String><String>Male</String></If></Annotation>
  <Annotation Term="t.Apply"><Apply Function="odata.concat"><String>a</String><Path>b</Path></Apply></Annotation>
  <Annotation Term="t.Cast"><Cast Type="t.Color"><Path>c</Path></Cast></Annotation>
  <Annotation Term="t.Not"><Not><Bool>true</Bool></Not></Annotation>
  <Annotation Term="t.Labeled"><LabeledElement Name="n" Path="x"/></Annotation>
  <Annotation Term="t.Url"><UrlRef><String>http://x/</String></UrlRef></Annotation>
  <Annotation Term="t.Nested" Bool="false"><Annotation Term="t.Ignored"/></Annotation>
</ComplexType>
<EnumType Name="Color"><Member Name="red"/><Member Name="blue"/></EnumType>
"""
    model, warnings = warnings_of(wrap(schema, references=CORE_REFERENCE))
    assert warnings == []
    values = {a.term.removeprefix("T."): a.value for a in model.structured[0].annotations}
    assert values == {
        "Flag": True,
        "Int": -42,
        "Float": 1500.0,
        "Inf": "INF",
        "Decimal": 3.25,
        "Date": "2024-02-29",
        "Path": {"$Path": "T.A/x"},
        "Nav": {"$NavigationPropertyPath": "owner"},
        "AnnotationPath": {"$AnnotationPath": "x/@Org.OData.Core.V1.Description"},
        "Enum": "T.Color/red T.Color/blue",
        "Null": None,
        "Text": "  spaced  ",
        "Bools": [True, False, 7],
        "Record": {
            "@type": "T.R",
            "@Org.OData.Core.V1.Description": "on the record",
            "a": "x",
            "a@Org.OData.Core.V1.Description#q": "on a member",
            "b": {"c": "00000000-0000-0000-0000-000000000000"},
        },
        "If": {"$If": [{"$Path": "isFemale"}, "Female", "Male"]},
        "Apply": {"$Apply": ["a", {"$Path": "b"}], "$Function": "odata.concat"},
        "Cast": {"$Cast": {"$Path": "c"}, "$Type": "T.Color"},
        "Not": {"$Not": True},
        "Labeled": {"$LabeledElement": {"$Path": "x"}, "$Name": "n"},
        "Url": {"$UrlRef": "http://x/"},
        "Nested": False,
    }


def test_operation_targets_with_and_without_signature() -> None:
    schema = """
<EntityType Name="E"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.Int32" Nullable="false"/></EntityType>
<Action Name="act" IsBound="true"><Parameter Name="e" Type="t.E"/><Parameter Name="x" Type="Edm.String"/></Action>
<Action Name="act" IsBound="true"><Parameter Name="e" Type="Collection(t.E)"/></Action>
<Function Name="fn"><Parameter Name="a" Type="Edm.String"/><ReturnType Type="Edm.String">
  <Annotation Term="Core.Description" String="result"/></ReturnType></Function>
<Annotations Target="t.act(t.E)"><Annotation Term="Core.Description" String="binding only"/></Annotations>
<Annotations Target="T.act(Collection(T.E))/e"><Annotation Term="Core.Description" String="on the collection"/></Annotations>
<Annotations Target="t.act(t.E, Edm.String)"><Annotation Term="Core.Description" Qualifier="graph" String="all"/></Annotations>
<Annotations Target="t.act/x"><Annotation Term="Core.Description" String="x"/></Annotations>
<Annotations Target="t.fn(Edm.Int32)"><Annotation Term="Core.Description" String="none"/></Annotations>
"""
    model, warnings = warnings_of(wrap(schema, references=CORE_REFERENCE))
    single, many = operations(model, "T.act")
    assert [a.value for a in single.annotations] == ["binding only", "all"]
    assert many.annotations == ()
    assert [a.value for a in many.parameters[0].annotations] == ["on the collection"]
    assert [a.value for a in single.parameters[1].annotations] == ["x"]
    assert model.extra_annotations == (
        ("T.fn(Edm.String)/$ReturnType", (Annotation(CORE + "Description", "result"),)),
        ("T.fn(Edm.Int32)", (Annotation(CORE + "Description", "none"),)),
    )
    assert warnings == ["doc.xml:15: <Annotations>: annotation target 'T.fn(Edm.Int32)' matches no overload"]


def test_bom_version_401_and_declaration_order() -> None:
    data = b"\xef\xbb\xbf" + wrap(
        '<ComplexType Name="Z"/><EnumType Name="Y"><Member Name="m"/></EnumType><ComplexType Name="A"/>',
        version="4.01",
    )
    model = parse_metadata(data, "bom.xml")
    assert model.version == "4.01"
    assert [t.name for t in model.structured] == ["Z", "A"]
    assert model.aliases == (("t", "T"),)


def test_schema_level_annotations_are_kept_by_namespace() -> None:
    model, warnings = warnings_of(
        wrap('<Annotation Term="Core.Description" String="The schema."/>', references=CORE_REFERENCE)
    )
    assert warnings == []
    assert model.extra_annotations == (("T", (Annotation(CORE + "Description", "The schema."),)),)
    assert model.references[0].includes == (("Org.OData.Core.V1", "Core"),)


# --------------------------------------------------------------------------- URLs


class _Handler(http.server.BaseHTTPRequestHandler):
    body = (FIXTURES / "names.xml").read_bytes()

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/missing":
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        if self.path != "/chunked":
            self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        try:
            self.wfile.write(self.body)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_is_fetched(server: str) -> None:
    model = load_metadata(server + "/$metadata")
    assert model.source == server + "/$metadata"
    assert [t.name for t in model.structured] == ["Thing", "List"]


def test_url_errors(server: str) -> None:
    with pytest.raises(MetadataError, match=r"/missing: HTTP status 404 Not Found \(expected 200\)$"):
        load_metadata(server + "/missing")
    with pytest.raises(MetadataError, match="document is larger than 100 bytes"):
        load_metadata(server + "/$metadata", max_bytes=100)
    with pytest.raises(MetadataError, match="document is larger than 100 bytes"):
        load_metadata(server + "/chunked", max_bytes=100)
    with pytest.raises(MetadataError, match=r"no answer within 0\.3 s"):
        load_metadata(server + "/slow", timeout=0.3)
    with pytest.raises(MetadataError, match="cannot fetch the document"):
        load_metadata("http://127.0.0.1:1/$metadata", timeout=2)


def test_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    with pytest.raises(MetadataError, match=r"missing\.xml: cannot read the file: No such file"):
        load_metadata(str(missing))
    big = tmp_path / "big.xml"
    big.write_bytes(wrap(""))
    with pytest.raises(MetadataError, match="document is larger than 10 bytes"):
        load_metadata(str(big), max_bytes=10)


# --------------------------------------------------------------------------- real documents

needs_shared = pytest.mark.skipif(
    not GRAPH_CLEAN.is_file(), reason=f"shared external documents are absent ({EXTERNAL})"
)


def count_by_tag(path: Path) -> Counter[str]:
    """An independent count: every EDM element of the document by local name."""
    counts: Counter[str] = Counter()
    for el in etree.parse(str(path)).getroot().iter():
        if isinstance(el.tag, str) and el.tag.startswith(EDM):
            counts[el.tag[len(EDM) :]] += 1
    return counts


@needs_shared
def test_graph_clean_metadata() -> None:
    diagnostics = Diagnostics()
    model = load_metadata(str(GRAPH_CLEAN), diagnostics=diagnostics)

    counts = count_by_tag(GRAPH_CLEAN)
    entity = [t for t in model.structured if t.kind == "entity"]
    complex_ = [t for t in model.structured if t.kind == "complex"]
    actions = [op for op in model.operations if op.kind == "action"]
    functions = [op for op in model.operations if op.kind == "function"]
    independent = (
        counts["EntityType"],
        counts["ComplexType"],
        counts["EnumType"],
        counts["Action"],
        counts["Function"],
    )
    assert (len(entity), len(complex_), len(model.enums), len(actions), len(functions)) == independent
    assert independent == (1182, 1780, 861, 857, 324)
    assert sum(len(e.members) for e in model.enums) == counts["Member"]
    assert sum(len(t.properties) for t in model.structured) == counts["Property"]
    assert sum(len(t.navigation) for t in model.structured) == counts["NavigationProperty"]

    annotations = all_annotations(model)
    assert len(annotations) == counts["Annotation"]  # nothing dropped
    descriptions = [a for a in annotations if a.term == "Org.OData.Core.V1.Description"]
    assert len(descriptions) > 4000
    # <Annotations Target="microsoft.graph.GraphService/users"> carries a NavigationRestrictions record.
    assert model.container is not None
    users = next(s for s in model.container.entity_sets if s.name == "users")
    restrictions = [a for a in capabilities_of(users.annotations) if a.term.endswith(".NavigationRestrictions")]
    assert restrictions and isinstance(restrictions[0].value, dict)
    assert {"NavigationProperty": {"$PropertyPath": "calendarView"}}.items() <= (
        restrictions[0].value["RestrictedProperties"][0].items()
    )
    # Graph's Scale/enum sloppiness and its action/function name clashes are warnings, not errors.
    assert any("has no members" in w.message for w in diagnostics.warnings)


@needs_shared
@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *EXTERNAL.glob("odata-reference-services/*.xml"),
            *EXTERNAL.glob("odata-csdl-schemas/examples/*.xml"),
            *EXTERNAL.glob("outlookservices-vipr/*.xml"),
            *EXTERNAL.glob("odata-vocabularies/*.xml"),
            GRAPH / "v1.0-Prod.csdl.xml",
            GRAPH / "v1.0-cleanMetadataWithDescriptionsAndAnnotations-2023-05.xml",
        ]
    ),
    ids=lambda p: p.name,
)
def test_real_documents_load(path: Path) -> None:
    if path.name == "special-characters.xml":
        # This OASIS example (written to test escaping, not semantics) keys its entity type
        # on "id" while the only property is "id_Pc_..."; a key on a missing property is an error.
        error = raises(path)
        assert (error.line, error.element) == (12, "PropertyRef")
        return
    if path.name == "Org.OData.Aggregation.V1.xml":
        # A complex type of this vocabulary derives from one of the Capabilities vocabulary,
        # which it only references: odatakit needs base types in the document it reads.
        error = raises(path)
        assert (error.line, error.element) == (537, "ComplexType")
        assert "only references (edmx:Reference Uri=" in error.message
        return
    model = load_metadata(str(path), diagnostics=Diagnostics())
    assert model.namespaces
    assert (
        model.structured
        or model.enums
        or model.operations
        or model.terms
        or model.type_definitions
        or model.extra_annotations
    )
