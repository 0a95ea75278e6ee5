"""Reading while parsing (generator/csdl.py `_Document`) gives what reading a whole tree gives.

The Schemas' children are read as they are parsed and freed, before the rest of the document
(later Schemas, their aliases, elements after DataServices) is known.  These documents put
what would come out differently exactly there; each is compared with `_Reader.read` on a
plain lxml tree: the same model, or the same error, after the same warnings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import generator.csdl as csdl
from generator.csdl import parse_metadata
from generator.errors import Diagnostics, MetadataError

from .conftest import shared_file
from .test_parse_pruning import plain, pruned

OPEN = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" xmlns:x="urn:vendor">\n'
)
CORE = (
    '<edmx:Reference Uri="https://example.com/Core.xml"><edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>'
    "</edmx:Reference>\n"
)
EDM = 'xmlns="http://docs.oasis-open.org/odata/ns/edm"'
# A first schema that says something while it is read, and uses the second one's alias.
FIRST = (
    f'<Schema Namespace="A" Alias="a" {EDM}>\n'
    '<ComplexType Name="C" Colour="red"><Property Name="p" Type="b.E"/>'
    '<Property Name="q" Type="Edm.String" Precision="x"/></ComplexType>\n'
    '<EntityType Name="T"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.String" Nullable="false"/>'
    '<Property Name="c" Type="a.C"/></EntityType>\n'
    '<Annotations Target="a.C/p"><Annotation Term="Core.Description" Bool="maybe"/><x:V/></Annotations>\n'
    '<Annotations Target="a.C/none"><Annotation Term="Core.Description" String="gone"/></Annotations>\n'
    "</Schema>\n"
)
SECOND = f'<Schema Namespace="B" Alias="b" {EDM}>\n<EnumType Name="E"><Member Name="m"/></EnumType>\n</Schema>\n'


def document(*parts: str, data_services: str = "<edmx:DataServices>\n", after: str = "") -> bytes:
    return (OPEN + CORE + data_services + "".join(parts) + "</edmx:DataServices>\n" + after + "</edmx:Edmx>\n").encode()


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times each document was parsed (1: read while parsing; 2: read again after the prelude)."""
    counted: list[int] = []
    parse = csdl._parse_xml

    def counting(*args: object) -> object:
        counted[-1] += 1
        return parse(*args)  # type: ignore[arg-type]

    real = csdl._Document.read

    def read(self: csdl._Document) -> object:
        counted.append(0)
        return real(self)

    monkeypatch.setattr(csdl, "_parse_xml", counting)
    monkeypatch.setattr(csdl._Document, "read", read)
    yield counted


CASES = {
    # Read in one pass: the second schema's alias is predicted, the prelude says nothing.
    "alias-of-a-later-schema": (document(FIRST, SECOND), 1),
    "include-after-data-services": (
        document(FIRST.replace("Core.", "Later."), SECOND, after=CORE.replace('"Core"', '"Later"')),
        1,
    ),
    "prelude-warns-content-silent": (
        document(SECOND, SECOND.replace('"B"', '"B2"').replace('Alias="b"', 'Alias="b" Extra="1"'), after="<Foo/>"),
        1,
    ),
    # Both have spoken: the prelude's warnings come first, so the content is read again.
    "unknown-element-after-data-services": (document(FIRST, SECOND, after="<Foo/>"), 2),
    "unknown-attribute-on-a-later-schema": (document(FIRST, SECOND.replace('Alias="b"', 'Alias="b" Extra="1"')), 2),
    "unknown-element-among-schemas": (document(FIRST, "<x:Between/><Foo/>", SECOND), 2),
    "reference-after-data-services-warns": (document(FIRST, SECOND, after='<edmx:Reference Uri=""/>'), 2),
    "alias-taken-twice": (document(FIRST, SECOND, SECOND.replace('"B"', '"B2"')), 2),
    "include-alias-taken-by-a-schema": (
        document(FIRST, SECOND, after=CORE.replace('"Org.OData.Core.V1" Alias="Core"', '"Other" Alias="b"')),
        2,
    ),
    "missing-version": (document(FIRST, SECOND).replace(b' Version="4.0"', b""), 1),
    # An alias the byte scan cannot see (a character reference) is looked up before it is known.
    "alias-written-with-a-character-reference": (
        document(FIRST, SECOND.replace('Alias="b"', 'Alias="&#98;"')),
        2,
    ),
    "alias-in-utf16": (document(FIRST, SECOND).decode().replace("utf-8", "utf-16").encode("utf-16"), 2),
    # Errors: the first the reference order meets, after the warnings it gives before it (a
    # prelude error is raised before the content would be read again).
    "content-error-then-prelude-error": (
        document(FIRST.replace('<Property Name="q"', '<Property Name="p"'), SECOND.replace('"B"', '"B!"')),
        1,
    ),
    "content-error-then-second-data-services": (
        document(
            FIRST.replace('<Property Name="q"', '<Property Name="p"'),
            SECOND,
            after="<edmx:DataServices></edmx:DataServices>",
        ),
        1,
    ),
    "silent-content-error-then-prelude-error": (
        document(SECOND.replace("<Member", '<Member Name="m"/><Member'), SECOND.replace('Namespace="B"', "")),
        1,
    ),
    "content-error-then-a-later-schema": (
        document(FIRST.replace('<Property Name="q"', '<Property Name="p"'), SECOND),
        1,
    ),
    "schema-in-another-namespace-after-content": (document(FIRST, SECOND.replace(EDM, 'xmlns="urn:v3"')), 1),
    "no-data-services": ((OPEN + CORE + "</edmx:Edmx>\n").encode(), 1),
    "root-not-edmx": (b'<Edmx xmlns="urn:other"><DataServices/></Edmx>', 1),
    # Names declared by one kind and used by another, members of bases, keys.
    "duplicate-across-kinds": (
        document(SECOND.replace("</Schema>", '<ComplexType Name="E"/></Schema>')),
        1,
    ),
    "type-definition-then-entity-type": (
        document(
            f'<Schema Namespace="B" {EDM}>\n<TypeDefinition Name="D" UnderlyingType="Edm.String"/>\n'
            '<EntityType Name="D"/></Schema>'
        ),
        1,
    ),
    "entity-type-twice": (
        document(f'<Schema Namespace="B" {EDM}>\n<EntityType Name="T"/>\n<EnumType Name="T"/></Schema>'),
        1,
    ),
    "container-then-type": (
        document(f'<Schema Namespace="B" {EDM}>\n<EntityContainer Name="C"/>\n<ComplexType Name="C"/></Schema>'),
        1,
    ),
    "term-and-function-clash": (
        document(
            f'<Schema Namespace="B" {EDM}><ComplexType Name="F"/><Term Name="F" Type="Edm.String"/>'
            '<Function Name="F"><ReturnType Type="Edm.String"/></Function><EnumType Name="G"><Member Name="m"/>'
            '</EnumType><Term Name="G" Type="Edm.String"/></Schema>'
        ),
        1,
    ),
    "member-of-a-base-redeclared": (
        document(
            f'<Schema Namespace="B" {EDM}><EntityType Name="D" BaseType="B.R"><Property Name="a" Type="Edm.Int32"/>'
            '<NavigationProperty Name="n" Type="B.R"/></EntityType><EntityType Name="R"><Key><PropertyRef Name="n"/>'
            '</Key><Property Name="b" Type="Edm.String"/><NavigationProperty Name="n" Type="B.R"/></EntityType>'
            "</Schema>"
        ),
        1,
    ),
    "members-of-a-base-redeclared-in-order": (
        document(
            f'<Schema Namespace="B" {EDM}><ComplexType Name="D" BaseType="B.R">\n<NavigationProperty Name="n" '
            'Type="B.E"/>\n<Property Name="b" Type="Edm.String"/></ComplexType>\n<ComplexType Name="R">\n'
            '<Property Name="b" Type="Edm.String"/><NavigationProperty Name="n" Type="B.E"/></ComplexType>\n'
            '<EntityType Name="E"><Key><PropertyRef Name="k"/></Key><Property Name="k" Type="Edm.Int32"/>'
            "</EntityType></Schema>"
        ),
        1,
    ),
    "key-on-a-navigation-property": (
        document(
            f'<Schema Namespace="B" {EDM}><EntityType Name="R"><Key><PropertyRef Name="n"/></Key>'
            '<NavigationProperty Name="n" Type="B.R"/><Property Name="b" Type="Edm.String"/></EntityType></Schema>'
        ),
        1,
    ),
    "derived-key": (
        document(
            f'<Schema Namespace="B" {EDM}><EntityType Name="D" BaseType="B.R"><Key/>\n<Key><PropertyRef Name="b"/>'
            '</Key></EntityType>\n<EntityType Name="R">\n<Key><PropertyRef Name="b"/></Key>'
            '<Property Name="b" Type="Edm.String"/></EntityType></Schema>'
        ),
        1,
    ),
    "annotations-blocks": (
        document(
            f'<Schema Namespace="B" Alias="b" {EDM}><ComplexType Name="C"><Property Name="p" Type="Edm.String"/>'
            "</ComplexType>"
            '<Annotations><Annotation Term="Core.Description" Int="x"/></Annotations>'
            '<Annotations Target="b.C/nothing" Qualifier="q" Colour="red"><Annotation Int="1"/>'
            '<Annotation Term="Core.Description" Int="x"/><Foo/>'
            '<Annotation Term="Core.Example"><Record><PropertyValue Int="2"/></Record></Annotation></Annotations>'
            '<Annotations Target="b.C/p"><Annotation Term="Core.Description"><String>a</String><String>b</String>'
            "</Annotation></Annotations></Schema>"
        ),
        1,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_reading_while_parsing_says_what_reading_the_tree_says(name: str, passes: list[int]) -> None:
    data, parsed = CASES[name]
    assert pruned(data) == plain(data)
    assert passes == [parsed]


@pytest.mark.parametrize("name", ["unknown-element-after-data-services", "content-error-then-prelude-error"])
def test_a_second_pass_takes_back_only_its_own_warnings(name: str) -> None:
    data, _ = CASES[name]
    before = ("earlier.xml", 3, "Property", "a warning of another document")

    def read(reader: object) -> list[str]:
        diagnostics = Diagnostics(per_kind=2, most=5)
        diagnostics.warn(before[3], source=before[0], line=before[1], element=before[2])
        try:
            if reader is parse_metadata:
                parse_metadata(data, "doc.xml", diagnostics=diagnostics)
            else:
                from lxml import etree

                parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
                csdl._Reader("doc.xml", diagnostics).read(etree.fromstring(data, parser))
        except MetadataError as exc:
            return [*diagnostics.format_lines(), str(exc), str(diagnostics.count)]
        return [*diagnostics.format_lines(), str(diagnostics.count)]

    assert read(parse_metadata) == read(None)


def test_malformed_after_content_warnings_says_nothing_else() -> None:
    diagnostics = Diagnostics()
    with pytest.raises(MetadataError, match="malformed XML"):
        parse_metadata(document(FIRST, SECOND)[:-20], "doc.xml", diagnostics=diagnostics)
    assert diagnostics.warnings == []
    assert diagnostics.count == 0


def test_graph_is_read_in_one_pass(passes: list[int]) -> None:
    path = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    data = path.read_bytes()
    assert pruned(data, str(path)) == plain(data, str(path))
    assert passes == [1]


def test_alias_prediction() -> None:
    data = document(FIRST, SECOND, after=CORE.replace('"Core"', '"b"'))
    # Includes come first, as the reader registers them: the Schema's "b" loses.
    assert csdl._predict_aliases(data) == {"Core": "Org.OData.Core.V1", "b": "Org.OData.Core.V1", "a": "A"}
    assert csdl._predict_aliases(b"Alias" * 100_000) == {}
