"""Reading while parsing (generator/csdl.py `_Document`) gives what reading a whole tree gives.

Every element is read as it is parsed (a type's members one by one, each Reference and Schema
as it comes) and freed, before the rest of the document (later Schemas, their aliases,
elements after DataServices) is known.  These documents put what would come out differently
exactly there; each is compared with `_Reader.read` on a plain lxml tree: the same model, or
the same error, after the same warnings.  How many passes each takes is checked too: one when
what is said comes in the reading order's parts (the prelude's held back until the content
speaks), else the parts before the content are read again, then the content.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from types import FrameType

import pytest

import generator.csdl as csdl
from generator.csdl import parse_metadata
from generator.errors import Diagnostics, MetadataError
from generator.model import Model

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
    """How many times each document was parsed (1: read while parsing; more: read again, see _Document)."""
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
    # Read in one pass: the second schema's alias is predicted, the prelude says nothing or what
    # it says is held back until the end.
    "alias-of-a-later-schema": (document(FIRST, SECOND), 1),
    "include-after-data-services": (
        document(FIRST.replace("Core.", "Later."), SECOND, after=CORE.replace('"Core"', '"Later"')),
        1,
    ),
    "prelude-warns-content-silent": (
        document(SECOND, SECOND.replace('"B"', '"B2"').replace('Alias="b"', 'Alias="b" Extra="1"'), after="<Foo/>"),
        1,
    ),
    # The prelude speaks after the content did: its warnings come first, so the document is read
    # again, the prelude in one pass and the content in another.
    "unknown-element-after-data-services": (document(FIRST, SECOND, after="<Foo/>"), 3),
    "unknown-attribute-on-a-later-schema": (document(FIRST, SECOND.replace('Alias="b"', 'Alias="b" Extra="1"')), 3),
    "unknown-element-among-schemas": (document(FIRST, "<x:Between/><Foo/>", SECOND), 3),
    "reference-after-data-services-warns": (document(FIRST, SECOND, after='<edmx:Reference Uri=""/>'), 3),
    "alias-taken-twice": (document(FIRST, SECOND, SECOND.replace('"B"', '"B2"')), 3),
    # An include after DataServices takes an alias a Schema took first: the prelude cannot be read
    # in document order, so it is read part by part (three passes), then the content.
    "include-alias-taken-by-a-schema": (
        document(FIRST, SECOND, after=CORE.replace('"Org.OData.Core.V1" Alias="Core"', '"Other" Alias="b"')),
        6,
    ),
    "missing-version": (document(FIRST, SECOND).replace(b' Version="4.0"', b""), 1),
    # An alias the byte scan cannot see (a character reference) is looked up before it is known.
    "alias-written-with-a-character-reference": (
        document(FIRST, SECOND.replace('Alias="b"', 'Alias="&#98;"')),
        3,
    ),
    "alias-in-utf16": (document(FIRST, SECOND).decode().replace("utf-8", "utf-16").encode("utf-16"), 3),
    # Errors: the first the reference order meets, after the warnings it gives before it (a
    # prelude error is raised once the prelude is read again, before the content would be).
    "content-error-then-prelude-error": (
        document(FIRST.replace('<Property Name="q"', '<Property Name="p"'), SECOND.replace('"B"', '"B!"')),
        2,
    ),
    "content-error-then-second-data-services": (
        document(
            FIRST.replace('<Property Name="q"', '<Property Name="p"'),
            SECOND,
            after="<edmx:DataServices></edmx:DataServices>",
        ),
        2,
    ),
    "silent-content-error-then-prelude-error": (
        document(SECOND.replace("<Member", '<Member Name="m"/><Member'), SECOND.replace('Namespace="B"', "")),
        1,
    ),
    "content-error-then-a-later-schema": (
        document(FIRST.replace('<Property Name="q"', '<Property Name="p"'), SECOND),
        1,
    ),
    "schema-in-another-namespace-after-content": (document(FIRST, SECOND.replace(EDM, 'xmlns="urn:v3"')), 2),
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


# Documents whose bytes nearly all sit in one element or one list (tests/../bench/read_memory.py
# reads the same shapes at 60 MB): the tree never holds more than a batch of read children per
# open element, whatever the size.
BIG = 2000
SCHEMA = f'<Schema Namespace="B" {EDM}>\n'
ENTITY = (
    '<EntityType Name="T"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.String"/></EntityType>\n'
)
LARGE = {
    "one-enum": SCHEMA
    + '<EnumType Name="E">'
    + "".join(f'<Member Name="m{i}"><Annotation Term="Core.Description" String="{i}"/></Member>' for i in range(BIG))
    + "</EnumType></Schema>",
    "one-container": SCHEMA
    + ENTITY
    + '<EntityContainer Name="C">'
    + "".join(
        f'<EntitySet Name="s{i}" EntityType="B.T"><NavigationPropertyBinding Path="a" Target="s0"/></EntitySet>'
        for i in range(BIG)
    )
    + "</EntityContainer></Schema>",
    "one-complex-type": SCHEMA
    + '<ComplexType Name="C">'
    + "".join(f'<Property Name="p{i}" Type="Edm.String"/>' for i in range(BIG))
    + "</ComplexType></Schema>",
    "one-function": SCHEMA
    + '<Function Name="f"><ReturnType Type="Edm.String">'
    + "".join(f'<Annotation Term="Core.Description" String="{i}"/>' for i in range(BIG))
    + "</ReturnType>"
    + "".join(f'<Parameter Name="p{i}" Type="Edm.String"/>' for i in range(BIG))
    + "</Function></Schema>",
    "one-annotations-block": SCHEMA
    + ENTITY
    + '<Annotations Target="B.T">'
    + "".join(f'<Annotation Term="Core.Description" Qualifier="q{i}" String="{i}"/>' for i in range(BIG))
    + "</Annotations></Schema>",
    "many-schemas": "".join(f'<Schema Namespace="S{i}" {EDM}/>' for i in range(BIG)),
}


def _annotated(annotation: str) -> str:
    return SCHEMA + ENTITY + f'<Annotations Target="B.T">{annotation}</Annotations></Schema>'


def _strings(n: int) -> str:
    return "".join(f"<String>s{i}</String>" for i in range(n))


# Annotations that hold nearly all of a document (bench/read_memory.py reads the same shapes at
# 60 MB), by their number of items: read expression by expression while they are parsed.
ANNOTATIONS: dict[str, Callable[[int], str]] = {
    "one-annotation-in-a-block": lambda n: _annotated(
        f'<Annotation Term="Core.Description"><Collection>{_strings(n)}</Collection></Annotation>'
    ),
    "one-inline-annotation": lambda n: (
        SCHEMA
        + '<ComplexType Name="C"><Property Name="p" Type="Edm.String"><Annotation Term="Core.Description">'
        + f"<Collection>{_strings(n)}</Collection></Annotation></Property></ComplexType></Schema>"
    ),
    "one-record": lambda n: _annotated(
        '<Annotation Term="Core.Example"><Record>'
        + "".join(
            f'<PropertyValue Property="p{i}"><Annotation Term="Core.Description" String="d"/><Int>{i}</Int>'
            "</PropertyValue>"
            for i in range(n)
        )
        + "</Record></Annotation>"
    ),
    "nested-collections": lambda n: _annotated(
        '<Annotation Term="Core.Example"><Collection>'
        + "".join(f"<Collection>{_strings(10)}</Collection>" for _ in range(n // 10))
        + "</Collection></Annotation>"
    ),
    "many-annotations-in-a-block": lambda n: _annotated(
        "".join(
            f'<Annotation Term="Core.Description" Qualifier="q{i}"><String>{i}</String></Annotation>' for i in range(n)
        )
    ),
    "one-apply": lambda n: _annotated(
        f'<Annotation Term="Core.Example"><Apply Function="odata.concat">{_strings(n)}</Apply></Annotation>'
    ),
    # Read by no frame, and freed all the same: a second expression, an annotation of an annotation.
    "one-skipped-expression": lambda n: _annotated(
        '<Annotation Term="Core.Description"><String>first</String>'
        f'<Collection>{_strings(n)}</Collection><Annotation Term="Core.Example"><Collection>{_strings(n)}'
        "</Collection></Annotation></Annotation>"
    ),
}
LARGE.update({name: shape(BIG) for name, shape in ANNOTATIONS.items()})


@pytest.mark.parametrize("name", [*LARGE, "many-references"])
def test_large_elements_are_freed_as_their_children_are_read(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name == "many-references":
        refs = "".join(
            f'<edmx:Reference Uri="r{i}"><edmx:Include Namespace="R{i}"/></edmx:Reference>' for i in range(BIG)
        )
        data = document(SCHEMA + ENTITY + "</Schema>").replace(CORE.encode(), CORE.encode() + refs.encode())
    else:
        data = document(LARGE[name])
    sizes: list[int] = []
    elements = csdl._elements

    def measured(parser: object) -> Iterator[tuple[str, object]]:
        for event, el in elements(parser):  # type: ignore[arg-type]
            yield event, el
            # Once the pruner has taken the event: every element still in the tree.
            sizes.append(sum(1 for _ in el.getroottree().iter()))

    monkeypatch.setattr(csdl, "_elements", measured)
    # Fed in small pieces, so that the tree holds few elements parsed but not yet taken.
    monkeypatch.setattr(csdl, "_FEED", 256)
    assert pruned(data) == plain(data)
    assert max(sizes) < 2 * csdl._BATCH + 10 < BIG


def test_messages_inside_large_elements_keep_their_order() -> None:
    # Each message where reading a whole tree said it (pinned): an enum's IsFlags after its
    # members, a return type's annotations after the function's parameters, an entity set's
    # bindings after its annotations, a duplicate member named past the first batch of members.
    members = "".join(f'<Member Name="m{i}"/>\n' for i in range(100))
    data = document(
        SCHEMA
        + '<EnumType Name="E" IsFlags="nah">\n'
        + members
        + '<Member Name="x" Value="y"/></EnumType>\n'
        + '<EnumType Name="Empty" IsFlags="nah"><Foo/></EnumType>\n'
        + '<EntityType Name="T"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.String" Nullable="false"/>\n'
        + '<NavigationProperty Name="n" Type="B.T" ContainsTarget="maybe"><Annotation Term="Core.Description" Int="x"/>'
        + '<OnDelete Action="Cascade" Odd="1"/></NavigationProperty></EntityType>\n'
        + '<Function Name="f" IsComposable="q"><ReturnType Type="B.T"><Annotation Term="Core.Description" Int="r"/><Foo/>'
        + '</ReturnType><Parameter Name="p" Type="Edm.String" Precision="z"><Bar/></Parameter></Function>\n'
        + '<EntityContainer Name="C">'
        + '<EntitySet Name="ts" EntityType="B.T"><NavigationPropertyBinding Path="n" Target="ts" Odd="1"/>'
        + '<Annotation Term="Core.Description" Bool="maybe"/><Foo/><NavigationPropertyBinding Path="n" Target="ts" Odd="2"/>'
        + "</EntitySet></EntityContainer>\n</Schema>\n"
    )
    assert pruned(data)[1] == [
        "doc.xml:107: <Member>: Value='y' is not an integer; using 100",
        "doc.xml:6: <EnumType>: attribute IsFlags='nah' is not a boolean; using false",
        "doc.xml:108: <Foo>: unknown element in <EnumType> ignored",
        "doc.xml:108: <EnumType>: enum type B.Empty has no members",
        "doc.xml:108: <EnumType>: attribute IsFlags='nah' is not a boolean; using false",
        "doc.xml:110: <Annotation>: Int value 'x' is not an integer; kept as text",
        "doc.xml:110: <OnDelete>: unknown attribute 'Odd' ignored",
        "doc.xml:110: <NavigationProperty>: attribute ContainsTarget='maybe' is not a boolean; using false",
        "doc.xml:111: <Parameter>: Precision='z' is not an integer; ignored",
        "doc.xml:111: <Bar>: unknown element in <Parameter> ignored",
        "doc.xml:111: <Annotation>: Int value 'r' is not an integer; kept as text",
        "doc.xml:111: <Foo>: unknown element in <ReturnType> ignored",
        "doc.xml:111: <Function>: attribute IsComposable='q' is not a boolean; using false",
        "doc.xml:112: <Annotation>: Bool value 'maybe' is not true or false; kept as text",
        "doc.xml:112: <Foo>: unknown element in <EntitySet> ignored",
        "doc.xml:112: <NavigationPropertyBinding>: unknown attribute 'Odd' ignored",
        "doc.xml:112: <NavigationPropertyBinding>: unknown attribute 'Odd' ignored",
    ]
    duplicate = document(SCHEMA + '<EnumType Name="E">\n' + members + '<Member Name="m7"/></EnumType>\n</Schema>\n')
    assert (
        pruned(duplicate)[0] == "doc.xml:107: <Member>: duplicate member 'm7' in enum B.E (first declared on line 14)"
    )


def test_reading_large_annotations_takes_work_linear_in_their_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading an annotation whole unlinked its large subtree at its end, which lxml does in time
    # quadratic in its elements when a proxy still refers to one of them (the parser's events
    # do): 600,000 items took 94 s.  Without timing anything: the elements still in the tree at
    # any time (so the most an unlink can walk) stay under a bound that does not grow with the
    # items, and the Python calls made grow no more than 4x for 4x the items.
    def work(shape: Callable[[int], str], items: int) -> tuple[int, int]:
        data = document(shape(items))
        calls = 0

        def count(frame: FrameType, event: str, arg: object) -> None:
            nonlocal calls
            calls += 1

        sys.setprofile(count)
        try:
            model, warnings = pruned(data)
        finally:
            sys.setprofile(None)
        assert isinstance(model, Model)
        largest = 0
        elements = csdl._elements

        def measured(parser: object) -> Iterator[tuple[str, object]]:
            nonlocal largest
            for event, el in elements(parser):  # type: ignore[arg-type]
                yield event, el
                largest = max(largest, sum(1 for _ in el.getroottree().iter()))

        with monkeypatch.context() as patch:
            patch.setattr(csdl, "_elements", measured)
            patch.setattr(csdl, "_FEED", 256)
            assert pruned(data) == (model, warnings)
        return calls, largest

    for name, shape in ANNOTATIONS.items():
        calls, largest = work(shape, 500)
        calls_4x, largest_4x = work(shape, 2000)
        assert calls_4x <= 4 * calls, name
        assert max(largest, largest_4x) < 2 * csdl._BATCH + 10 < 500, name


def test_messages_inside_annotations_keep_their_order() -> None:
    # Pinned as reading each annotation whole said them: an Annotation's or PropertyValue's "more
    # than one expression" before what its first expression says (here past a batch of items), a
    # PropertyValue's own annotations after its value, nothing of what is not read (a second
    # expression, a value beside a constant attribute, an annotation without Term, an annotation
    # of an annotation), an Annotations block's after its target is known.
    bad = "".join(f"<Int>x{i}</Int>" for i in range(70))
    data = document(
        SCHEMA
        + '<ComplexType Name="C"><Property Name="p" Type="Edm.String">\n'
        + f'<Annotation Term="Core.Description"><Collection>{bad}</Collection>\n<Bool>maybe</Bool><Int>z</Int>'
        + '<Annotation Term="Core.Example" Int="no"/></Annotation>\n'
        + '<Annotation Term="Core.Example"><Record Type="Core.R"><Annotation Term="Core.A" Int="r"/>\n'
        + '<PropertyValue Property="p"><Annotation Term="Core.B" Bool="no"/><Float>f</Float>\n<Int>y</Int>'
        + '<Annotation Term="Core.C" Qualifier="q"><Bool>nah</Bool></Annotation></PropertyValue>\n'
        + '<PropertyValue Int="2"><Int>w</Int></PropertyValue><Foo><Int>v</Int></Foo>\n'
        + '<PropertyValue Property="k" Decimal="d"><Int>u</Int><Annotation Term="Core.D" Int="t"/></PropertyValue>'
        + "</Record></Annotation>\n"
        + '<Annotation String="s"><Int>gone</Int></Annotation>\n'
        + '<Annotation Term="Core.E"><Apply Function="odata.concat"><Annotation Term="Core.F" Int="n"/><Int>a1</Int>'
        + '<Not Bool="maybe"><Int>b1</Int></Not><Not><Int>c1</Int><Int>c2</Int></Not><Cast Type="Edm.String">text</Cast>'
        + "<LabeledElementReference>B.L</LabeledElementReference><Null/></Apply></Annotation>\n"
        + "</Property></ComplexType>\n"
        + '<Annotations Target="B.C/p"><Annotation Term="Core.G"><Collection><Record><PropertyValue Property="x">'
        + "<Int>bx</Int><Int>by</Int></PropertyValue></Record><Int>bz</Int></Collection><Collection/></Annotation>"
        + "</Annotations>\n</Schema>\n"
    )
    model, warnings = pruned(data)
    assert (model, warnings) == plain(data)
    assert warnings == [
        "doc.xml:8: <Bool>: more than one expression; only the first is used",
        *(f"doc.xml:7: <Int>: Int value 'x{i}' is not an integer; kept as text" for i in range(70)),
        "doc.xml:9: <Annotation>: Int value 'r' is not an integer; kept as text",
        "doc.xml:11: <Int>: more than one expression; only the first is used",
        "doc.xml:10: <Float>: Float value 'f' is not a number; kept as text",
        "doc.xml:10: <Annotation>: Bool value 'no' is not true or false; kept as text",
        "doc.xml:11: <Bool>: Bool value 'nah' is not true or false; kept as text",
        "doc.xml:12: <PropertyValue>: PropertyValue without Property ignored",
        "doc.xml:12: <Foo>: unknown element in <Record> ignored",
        "doc.xml:13: <PropertyValue>: Decimal value 'd' is not a number; kept as text",
        "doc.xml:13: <Annotation>: Int value 't' is not an integer; kept as text",
        "doc.xml:14: <Annotation>: Annotation without Term ignored",
        "doc.xml:15: <Int>: Int value 'a1' is not an integer; kept as text",
        "doc.xml:15: <Not>: Bool value 'maybe' is not true or false; kept as text",
        "doc.xml:15: <Int>: Int value 'c1' is not an integer; kept as text",
        "doc.xml:17: <Collection>: more than one expression; only the first is used",
        "doc.xml:17: <Int>: more than one expression; only the first is used",
        "doc.xml:17: <Int>: Int value 'bx' is not an integer; kept as text",
        "doc.xml:17: <Int>: Int value 'bz' is not an integer; kept as text",
    ]
    assert isinstance(model, Model)
    values = [(a.term.rpartition(".")[2], a.value) for a in model.structured[0].properties[0].annotations]
    assert values == [
        ("Description", [f"x{i}" for i in range(70)]),
        (
            "Example",
            {
                "@type": "Org.OData.Core.V1.R",
                "@Org.OData.Core.V1.A": "r",
                "p": "f",
                "p@Org.OData.Core.V1.B": "no",
                "p@Org.OData.Core.V1.C#q": "nah",
                "k": "d",
                "k@Org.OData.Core.V1.D": "t",
            },
        ),
        (
            "E",
            {
                "$Apply": [
                    "a1",
                    {"$Not": "maybe"},
                    {"$Not": "c1"},
                    {"$Cast": "text", "$Type": "Edm.String"},
                    {"$LabeledElementReference": "B.L"},
                    None,
                ],
                "$Function": "odata.concat",
            },
        ),
        ("G", [{"x": "bx"}, "bz"]),
    ]
