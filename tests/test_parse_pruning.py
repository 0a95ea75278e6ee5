"""Parsing with bounded memory (generator/csdl.py `_parse_xml`, generator/errors.py caps).

What the reader never reads is dropped while parsing: these tests show that the model and the
warnings stay what a plain parse gives, and how the dropped rest is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from generator.csdl import _Reader, parse_metadata
from generator.errors import Diagnostics, MetadataError
from generator.model import Model

from .conftest import FIXTURES, SHARED

EXTERNAL = SHARED / "external"
HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" xmlns:x="urn:vendor">\n'
    "<edmx:Reference Uri=\"https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml\">\n"
    '<edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/></edmx:Reference>\n'
    '<edmx:DataServices>\n<Schema Namespace="T" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n'
)
TAIL = "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
# Vendor and misspelled elements and attributes everywhere, expressions the reader reads whole.
MIXED = (
    HEAD.replace("<edmx:DataServices>", '<x:Top a="1"/><edmx:DataServices><x:Pre/>')
    + '<x:Vendor><EntityType Name="Hidden"/></x:Vendor><Foo/>\n'
    + '<EntityType Name="A" Colour="red" x:label="A!"><Key><PropertyRef Name="id"/><x:K/></Key>\n'
    + '<Property Name="id" Type="Edm.String" Nullable="false" Size="3"><x:Doc>text</x:Doc></Property>\n'
    + "<Annotation Term=\"Core.Description\"><String>  </String></Annotation>\n"
    + '<Annotation Term="Core.LongDescription"><x:Rich>bold</x:Rich></Annotation>\n'
    + '<Annotation Term="Core.Example"><Record><PropertyValue Property="p"><x:V/></PropertyValue>'
    + "<x:InRecord/></Record></Annotation>\n"
    + "<x:Inside/><NavigationProperty Name=\"self\" Type=\"T.A\"><x:Deep><x:Deeper/></x:Deep></NavigationProperty>\n"
    + '</EntityType>\n<EntityContainer Name="C"><EntitySet Name="as" EntityType="T.A"><x:S/></EntitySet>'
    + "<Key/></EntityContainer>\n"
    + TAIL
).encode()


def plain(data: bytes, source: str = "doc.xml") -> tuple[Model | str, list[str]]:
    """The model (or error) and warnings the reader gives for an unpruned lxml tree."""
    diagnostics = Diagnostics()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        return _Reader(source, diagnostics).read(etree.fromstring(data, parser)), diagnostics.format_lines()
    except MetadataError as exc:
        return str(exc), diagnostics.format_lines()


def pruned(data: bytes, source: str = "doc.xml") -> tuple[Model | str, list[str]]:
    """The same through parse_metadata."""
    diagnostics = Diagnostics()
    try:
        return parse_metadata(data, source, diagnostics=diagnostics), diagnostics.format_lines()
    except MetadataError as exc:
        return str(exc), diagnostics.format_lines()


def documents() -> list[Path]:
    found = sorted(FIXTURES.glob("*.xml")) + sorted((FIXTURES / "bad").glob("*.xml"))
    # Refused before or while parsing, with the same messages (tests/test_csdl.py).
    found = [p for p in found if p.name not in ("xxe.xml", "billion_laughs.xml", "malformed.xml")]
    found += sorted((FIXTURES.parents[2] / "schemas").glob("*.xml"))  # the bundled inputs
    for pattern in ("msgraph-metadata/*.xml", "odata-csdl-schemas/*/*.xml", "odata-reference-services/*.xml",
                    "outlookservices-vipr/*.xml", "odata-vocabularies/*.xml"):  # fmt: skip
        found += sorted(EXTERNAL.glob(pattern))
    return found


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_pruning_changes_nothing_the_reader_reads(path: Path) -> None:
    data = path.read_bytes()
    assert pruned(data, str(path)) == plain(data, str(path))


def test_vendor_elements_attributes_and_expressions_read_as_before() -> None:
    model, warnings = pruned(MIXED)
    assert (model, warnings) == plain(MIXED)
    assert isinstance(model, Model)
    assert [t.name for t in model.structured] == ["A"]
    annotations = {a.term.rpartition(".")[2]: a.value for a in model.structured[0].annotations}
    assert annotations == {
        "Description": "  ",  # blank text inside an expression is kept
        "LongDescription": {"${urn:vendor}Rich": "bold"},  # any element inside an Annotation is an expression
        "Example": {"p": {"${urn:vendor}V": None}},
    }
    assert warnings == [
        "doc.xml:5: <Top>: unknown element in <Edmx> ignored",
        "doc.xml:5: <Pre>: unknown element in <DataServices> ignored",
        "doc.xml:7: <Vendor>: unknown element in <Schema> ignored",
        "doc.xml:7: <Foo>: unknown element in <Schema> ignored",
        "doc.xml:8: <EntityType>: unknown attribute 'Colour' ignored",
        "doc.xml:8: <K>: unknown element in <Key> ignored",
        "doc.xml:9: <Property>: unknown attribute 'Size' ignored",
        "doc.xml:9: <Doc>: unknown element in <Property> ignored",
        "doc.xml:12: <InRecord>: unknown element in <Record> ignored",
        "doc.xml:13: <Inside>: unknown element in <EntityType> ignored",
        "doc.xml:13: <Deep>: unknown element in <NavigationProperty> ignored",
        "doc.xml:15: <S>: unknown element in <EntitySet> ignored",
        "doc.xml:15: <Key>: unknown element in <EntityContainer> ignored",
    ]


def test_past_a_hundred_unknown_elements_and_attributes_they_are_dropped_and_counted() -> None:
    vendor = '<x:Vendor a="1"><x:Inner><EntityType Name="Hidden"/></x:Inner></x:Vendor>\n'
    attributes = " ".join(f'u{i}="{i}"' for i in range(30))
    data = (
        HEAD
        + vendor * 90
        + f'<ComplexType Name="A" {attributes} x:v="1"><Property Name="p" Type="Edm.String" {attributes}/>'
        + "<Bar/>" * 5
        + "</ComplexType>\n"
        + vendor * 1000
        + TAIL
    ).encode()
    model, warnings = pruned(data)
    assert isinstance(model, Model)
    assert [t.name for t in model.structured] == ["A"]
    # The first hundred, in document order, as the reader says them; then one line per kind.
    assert len(warnings) == 104
    assert warnings[:90] == [f"doc.xml:{line}: <Vendor>: unknown element in <Schema> ignored" for line in range(7, 97)]
    assert warnings[90] == "doc.xml:97: <ComplexType>: unknown attribute 'u0' ignored"
    assert warnings[99] == "doc.xml:97: <ComplexType>: unknown attribute 'u9' ignored"
    assert warnings[100:] == [
        "doc.xml:97: <ComplexType>: unknown attribute 'u10' ignored (and 19 more like it, not listed)",
        "doc.xml:97: <Property>: unknown attribute 'u0' ignored (and 29 more like it, not listed)",
        "doc.xml:97: <Bar>: unknown element in <ComplexType> ignored (and 4 more like it, not listed)",
        "doc.xml:98: <Vendor>: unknown element in <Schema> ignored (and 999 more like it, not listed)",
    ]


def test_a_schema_in_another_namespace_is_still_named() -> None:
    data = HEAD.replace('xmlns="http://docs.oasis-open.org/odata/ns/edm"', 'xmlns="urn:v3"').encode() + TAIL.encode()
    model, _ = pruned(data)
    assert model == plain(data)[0]
    assert isinstance(model, str) and "Schema in namespace 'urn:v3' is not OData V4 CSDL" in model


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xef\xbb\xbf\n<!DOCTYPE html>\n<html><body>Service</body></html>", "an HTML page"),
        (b"<?xml version='1.0'?><!-- saved --><HTML lang='en'><body/></HTML>", "an HTML page"),
        (b'  {"$Version": "4.01", "$EntityContainer": "x.C"}', "JSON"),
    ],
)
def test_html_and_json_documents_are_named(data: bytes, kind: str) -> None:
    with pytest.raises(MetadataError) as info:
        parse_metadata(data, "page.xml")
    assert str(info.value) == (
        f"page.xml: the document is {kind}, not an OData CSDL XML document ($metadata, which starts with <edmx:Edmx>)"
    )


def test_diagnostics_keep_a_number_per_kind_and_count_the_rest() -> None:
    diagnostics = Diagnostics(per_kind=2, most=4)
    for i in range(5):
        diagnostics.warn(f"unknown attribute 'a{i}' ignored", source="d.xml", line=i + 1, element="Property")
    diagnostics.warn("type 'T.X' is undefined", source="d.xml", line=9)
    diagnostics.warn("alias 'y' is taken", source="d.xml")
    diagnostics.warn("something else", source="d.xml")
    diagnostics.warn("something more", source="d.xml")
    assert diagnostics.count == 9
    assert diagnostics.format_lines() == [
        "d.xml:1: <Property>: unknown attribute 'a0' ignored",
        "d.xml:2: <Property>: unknown attribute 'a1' ignored",
        "d.xml:9: type 'T.X' is undefined",
        "d.xml: alias 'y' is taken",
        "d.xml: ... and 3 more warnings like: unknown attribute … ignored",
        "d.xml: ... and 2 more warnings",
    ]
