"""Names from untrusted documents are checked when read: CSDL names against the CSDL rules
(generator/csdl.py, generator/identifiers.py), page names against the wire-name rule
(generator/spectables.py); plus referenced base types, keys redeclared on derived types and
a Model.base_chain that never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.csdl import parse_metadata
from generator.errors import Diagnostics, MetadataError
from generator.identifiers import identifier_flaw, namespace_ok, qualified_ok, wire_name_flaw
from generator.model import Model, StructuredType
from generator.specmodel import SpecError
from generator.spectables import read_page

from .conftest import shared_file

SIMPLE = "is not a CSDL SimpleIdentifier (letters, digits, underscores, at most 128 characters)"
NAMESPACE = "is not a CSDL namespace (SimpleIdentifiers separated by dots, at most 511 characters)"
QUALIFIED = "is not a CSDL qualified name (Namespace.Name, or Collection(Namespace.Name))"
QUALIFIED_ONLY = "is not a CSDL qualified name (Namespace.Name)"


def document(schema: str, *, namespace: str = "T", alias: str = "t", references: str = "") -> bytes:
    """A one-schema document; the Schema element is on line 4 (after `references`), its content next."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<edmx:Edmx Version="4.01" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">\n'
        f"{references}"
        "<edmx:DataServices>\n"
        f'<Schema Namespace="{namespace}" Alias="{alias}" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n'
        f"{schema}\n"
        "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
    ).encode()


def read(data: bytes) -> tuple[Model, list[str]]:
    diagnostics = Diagnostics()
    model = parse_metadata(data, "x.xml", diagnostics=diagnostics)
    return model, diagnostics.format_lines()


def error_of(data: bytes) -> str:
    with pytest.raises(MetadataError) as info:
        parse_metadata(data, "x.xml")
    text = str(info.value)
    # One line, whatever the name held: no raw newline, NEL, line separator or bidi override.
    assert text.isprintable(), repr(text)
    return text


THING = '<EntityType Name="Thing"><Key><PropertyRef Name="id"/></Key><Property Name="id" Type="Edm.String" Nullable="false"/></EntityType>'


# --------------------------------------------------------------------------- every element kind

# (schema content with {name} where the bad name goes, line of the element, element, attribute)
ELEMENT_KINDS = {
    "EntityType": ('<EntityType Name="{name}"/>', 5, "EntityType"),
    "ComplexType": ('<ComplexType Name="{name}"/>', 5, "ComplexType"),
    "EnumType": ('<EnumType Name="{name}"><Member Name="a"/></EnumType>', 5, "EnumType"),
    "TypeDefinition": ('<TypeDefinition Name="{name}" UnderlyingType="Edm.String"/>', 5, "TypeDefinition"),
    "Term": ('<Term Name="{name}" Type="Edm.String"/>', 5, "Term"),
    "Action": ('<Action Name="{name}"/>', 5, "Action"),
    "Function": ('<Function Name="{name}"><ReturnType Type="Edm.String"/></Function>', 5, "Function"),
    "Property": ('<ComplexType Name="C">\n<Property Name="{name}" Type="Edm.String"/></ComplexType>', 6, "Property"),
    "NavigationProperty": (
        THING + '\n<ComplexType Name="C">\n<NavigationProperty Name="{name}" Type="T.Thing"/></ComplexType>',
        7,
        "NavigationProperty",
    ),
    "Member": ('<EnumType Name="E">\n<Member Name="{name}"/></EnumType>', 6, "Member"),
    "Parameter": ('<Action Name="a">\n<Parameter Name="{name}" Type="Edm.String"/></Action>', 6, "Parameter"),
    "EntityContainer": ('<EntityContainer Name="{name}"/>', 5, "EntityContainer"),
    "EntitySet": (
        THING + '\n<EntityContainer Name="C">\n<EntitySet Name="{name}" EntityType="T.Thing"/></EntityContainer>',
        7,
        "EntitySet",
    ),
    "Singleton": (
        THING + '\n<EntityContainer Name="C">\n<Singleton Name="{name}" Type="T.Thing"/></EntityContainer>',
        7,
        "Singleton",
    ),
    "ActionImport": (
        '<Action Name="a"/>\n<EntityContainer Name="C">\n<ActionImport Name="{name}" Action="T.a"/></EntityContainer>',
        7,
        "ActionImport",
    ),
    "FunctionImport": (
        '<Function Name="f"><ReturnType Type="Edm.String"/></Function>\n<EntityContainer Name="C">\n'
        '<FunctionImport Name="{name}" Function="T.f"/></EntityContainer>',
        7,
        "FunctionImport",
    ),
    "PropertyRef": (
        '<EntityType Name="E"><Key>\n<PropertyRef Name="{name}"/></Key><Property Name="id" Type="Edm.String"/></EntityType>',
        6,
        "PropertyRef",
    ),
}


@pytest.mark.parametrize("kind", sorted(ELEMENT_KINDS))
def test_every_declared_name_is_checked(kind: str) -> None:
    template, line, element = ELEMENT_KINDS[kind]
    text = error_of(document(template.format(name="a b")))
    if kind == "PropertyRef":
        assert text == (
            f"x.xml:{line}: <PropertyRef>: Name 'a b' is not a CSDL property path "
            "(SimpleIdentifiers separated by '/': letters, digits, underscores, at most 128 characters)"
        )
    else:
        assert text == f"x.xml:{line}: <{element}>: Name 'a b' {SIMPLE}"


@pytest.mark.parametrize("kind", sorted(ELEMENT_KINDS))
def test_every_declared_name_reads_when_valid(kind: str) -> None:
    template, _, _ = ELEMENT_KINDS[kind]
    # A PropertyRef must name the property "id"; everything else takes a non-ASCII name.
    name = "id" if kind == "PropertyRef" else "Größe_名前"
    read(document(template.format(name=name)))


def test_schema_namespace_and_alias() -> None:
    assert error_of(document("", namespace="a..b")) == f"x.xml:4: <Schema>: Namespace 'a..b' {NAMESPACE}"
    assert error_of(document("", namespace=".a")) == f"x.xml:4: <Schema>: Namespace '.a' {NAMESPACE}"
    assert error_of(document("", namespace="a.")) == f"x.xml:4: <Schema>: Namespace 'a.' {NAMESPACE}"
    assert error_of(document("", namespace="a.1b")) == f"x.xml:4: <Schema>: Namespace 'a.1b' {NAMESPACE}"
    assert error_of(document("", alias="t.u")) == f"x.xml:4: <Schema>: Alias 't.u' {SIMPLE}"
    assert error_of(document("", alias="")) == f"x.xml:4: <Schema>: Alias '' {SIMPLE}"
    # 511 characters of namespace are allowed, 512 are not.
    long_namespace = ".".join(["n" * 127] * 4)
    assert len(long_namespace) == 511
    model, _ = read(document("", namespace=long_namespace))
    assert model.namespaces == (long_namespace,)
    assert error_of(document("", namespace=long_namespace + "n")).startswith("x.xml:4: <Schema>: Namespace 'nnn")


def test_include_namespace_and_alias() -> None:
    def include(namespace: str, alias: str) -> bytes:
        return document(
            "",
            references='<edmx:Reference Uri="https://example.org/v.xml">\n'
            f'<edmx:Include Namespace="{namespace}" Alias="{alias}"/></edmx:Reference>\n',
        )

    assert error_of(include("Org..V1", "V")) == f"x.xml:4: <Include>: Namespace 'Org..V1' {NAMESPACE}"
    assert error_of(include("Org.V1", "V 1")) == f"x.xml:4: <Include>: Alias 'V 1' {SIMPLE}"
    model, warnings = read(include("Org.Vocabulary.V1", "Vocabulary"))
    assert model.references[0].includes == (("Org.Vocabulary.V1", "Vocabulary"),)
    assert warnings == []


def test_property_ref_alias_and_paths() -> None:
    complex_key = (
        '<ComplexType Name="Address"><Property Name="city" Type="Edm.String"/></ComplexType>\n'
        '<EntityType Name="E"><Key>\n<PropertyRef Name="{name}" {alias}/></Key>'
        '<Property Name="address" Type="T.Address"/></EntityType>'
    )
    model, _ = read(document(complex_key.format(name="address/city", alias='Alias="city"')))
    assert model.structured_by_name()["T.E"].key == ("address/city",)
    assert error_of(document(complex_key.format(name="address/city", alias='Alias="the city"'))) == (
        f"x.xml:7: <PropertyRef>: Alias 'the city' {SIMPLE}"
    )
    for path in ("address//city", "/address", "address/", "address/ci ty", "address.city"):
        assert error_of(document(complex_key.format(name=path, alias=""))) == (
            f"x.xml:7: <PropertyRef>: Name {path!r} is not a CSDL property path "
            "(SimpleIdentifiers separated by '/': letters, digits, underscores, at most 128 characters)"
        )


# --------------------------------------------------------------------------- kinds of bad names

PROPERTY = '<ComplexType Name="C">\n<Property Name="{name}" Type="Edm.String"/></ComplexType>'


@pytest.mark.parametrize(
    ("xml_name", "shown"),
    [
        ("a b", "'a b'"),
        (" a", "' a'"),
        ("a&#9;b", "'a\\tb'"),
        ("a&#10;b", "'a\\nb'"),
        ("a&#13;b", "'a\\rb'"),
        ("a&#x85;b", "'a\\x85b'"),  # NEL: a line break to str.splitlines()
        ("a&#x2028;b", "'a\\u2028b'"),  # LINE SEPARATOR
        ("a&#x7F;b", "'a\\x7fb'"),
        ("&quot;&quot;&quot;", '\'"""\''),
        ("a'b", '"a\'b"'),
        ("a\\b", "'a\\\\b'"),
        ("a.b", "'a.b'"),
        ("1a", "'1a'"),
        ("-a", "'-a'"),
        ("a$", "'a$'"),
        ("", "''"),
        ("a" * 129, repr("a" * 129)),
        ("&#x202E;abc", "'\\u202eabc'"),  # a Cf character cannot come first anyway
    ],
)
def test_bad_names_are_errors_shown_escaped(xml_name: str, shown: str) -> None:
    text = error_of(document(PROPERTY.format(name=xml_name)))
    if xml_name == "&#x202E;abc":
        assert text == (
            f"x.xml:6: <Property>: Name {shown} holds the bidirectional formatting character(s) U+202E, which make "
            "a name display differently from what it is; odatakit refuses them in names"
        )
    elif xml_name == "":
        assert text == "x.xml:6: <Property>: missing required attribute 'Name'"
    else:
        assert text == f"x.xml:6: <Property>: Name {shown} {SIMPLE}"


@pytest.mark.parametrize("override", ["&#x202E;", "&#x202D;", "&#x2066;", "&#x200F;", "&#x61C;"])
def test_bidirectional_formatting_characters_are_refused_although_csdl_admits_cf(override: str) -> None:
    # CSDL admits format characters (Cf) after the first; the bidi ones reorder what is shown.
    text = error_of(document(PROPERTY.format(name=f"user{override}nimda")))
    assert "holds the bidirectional formatting character(s) U+" in text
    assert text.startswith("x.xml:6: <Property>: Name 'user\\u")


def test_other_format_characters_are_valid_csdl() -> None:
    # Zero-width joiner and soft hyphen are Cf: valid after the first character.
    model, warnings = read(document(PROPERTY.format(name="a&#x200D;b&#xAD;c")))
    assert [p.name for p in model.structured[0].properties] == ["a\u200db\u00adc"]
    assert warnings == []


@pytest.mark.parametrize(
    "name", ["__init__", "__class__", "_", "Größe", "名前", "ⅫCount", "a\u0301b", "a‿b", "x" * 128]
)
def test_valid_names_read(name: str) -> None:
    model, warnings = read(document(PROPERTY.format(name=name)))
    assert [p.name for p in model.structured[0].properties] == [name]
    assert warnings == []


def test_non_ascii_namespaces_types_and_references_read() -> None:
    schema = (
        '<EntityType Name="Bücher"><Key><PropertyRef Name="名前"/></Key>'
        '<Property Name="名前" Type="Edm.String" Nullable="false"/></EntityType>\n'
        '<EntityType Name="Roman" BaseType="b.Bücher"/>\n'
        '<EntityContainer Name="Läden"><EntitySet Name="bücher" EntityType="Bibliothek.Ünd.Bücher"/></EntityContainer>'
    )
    model, warnings = read(document(schema, namespace="Bibliothek.Ünd", alias="b"))
    assert [t.qualified for t in model.base_chain("Bibliothek.Ünd.Roman")] == [
        "Bibliothek.Ünd.Roman",
        "Bibliothek.Ünd.Bücher",
    ]
    assert model.key_of("Bibliothek.Ünd.Roman") == ("名前",)
    assert warnings == []


# --------------------------------------------------------------------------- tolerated characters


def test_hyphen_in_member_names_only_warns() -> None:
    # Microsoft Graph's InnerError has "request-id" and "client-request-id" properties.
    model, warnings = read(document(PROPERTY.format(name="request-id")))
    assert [p.name for p in model.structured[0].properties] == ["request-id"]
    assert warnings == [
        f"x.xml:6: <Property>: Name 'request-id' {SIMPLE}; kept as written ('-' tolerated here: real services use it)"
    ]


def test_hyphen_in_a_type_name_is_an_error() -> None:
    assert error_of(document('<ComplexType Name="my-type"/>')) == f"x.xml:5: <ComplexType>: Name 'my-type' {SIMPLE}"


def test_slash_in_an_entity_set_name_only_warns_and_nowhere_else() -> None:
    container = (
        THING + '\n<EntityContainer Name="C">\n<EntitySet Name="prefix/things" EntityType="T.Thing"/></EntityContainer>'
    )
    model, warnings = read(document(container))
    assert model.container is not None and [s.name for s in model.container.entity_sets] == ["prefix/things"]
    assert warnings == [
        f"x.xml:7: <EntitySet>: Name 'prefix/things' {SIMPLE}; kept as written ('/' tolerated here: real services use it)"
    ]
    assert error_of(document(PROPERTY.format(name="a/b"))) == f"x.xml:6: <Property>: Name 'a/b' {SIMPLE}"
    # Other punctuation is no more tolerated in a set name than anywhere else.
    bad = container.replace("prefix/things", "things;drop")
    assert error_of(document(bad)) == f"x.xml:7: <EntitySet>: Name 'things;drop' {SIMPLE}"


# --------------------------------------------------------------------------- type references


@pytest.mark.parametrize(
    ("element", "line", "attribute", "rule"),
    [
        ('<ComplexType Name="C">\n<Property Name="p" Type="{ref}"/></ComplexType>', 6, "Type", QUALIFIED),
        (
            THING + '\n<ComplexType Name="C">\n<NavigationProperty Name="n" Type="{ref}"/></ComplexType>',
            7,
            "Type",
            QUALIFIED,
        ),
        ('<Action Name="a">\n<Parameter Name="p" Type="{ref}"/></Action>', 6, "Type", QUALIFIED),
        ('<Function Name="f">\n<ReturnType Type="{ref}"/></Function>', 6, "Type", QUALIFIED),
        ('<Term Name="t" Type="{ref}"/>', 5, "Type", QUALIFIED),
        ('<TypeDefinition Name="d" UnderlyingType="{ref}"/>', 5, "UnderlyingType", QUALIFIED),
        (
            '<EnumType Name="e" UnderlyingType="{ref}"><Member Name="a"/></EnumType>',
            5,
            "UnderlyingType",
            QUALIFIED_ONLY,
        ),
        ('<ComplexType Name="C" BaseType="{ref}"/>', 5, "BaseType", QUALIFIED_ONLY),
        ('<EntityType Name="E" BaseType="{ref}"/>', 5, "BaseType", QUALIFIED_ONLY),
        (
            '<EntityContainer Name="C">\n<EntitySet Name="s" EntityType="{ref}"/></EntityContainer>',
            6,
            "EntityType",
            QUALIFIED_ONLY,
        ),
        ('<EntityContainer Name="C">\n<Singleton Name="s" Type="{ref}"/></EntityContainer>', 6, "Type", QUALIFIED_ONLY),
        (
            '<EntityContainer Name="C">\n<ActionImport Name="s" Action="{ref}"/></EntityContainer>',
            6,
            "Action",
            QUALIFIED_ONLY,
        ),
        (
            '<EntityContainer Name="C">\n<FunctionImport Name="s" Function="{ref}"/></EntityContainer>',
            6,
            "Function",
            QUALIFIED_ONLY,
        ),
    ],
)
@pytest.mark.parametrize(
    "ref", ["Edm String", "Thing", "T..Thing", "T.Thing ", ".T.Thing", 'T.Thi"ng', "Collection(T.Thing"]
)
def test_type_references_must_be_qualified_names(element: str, line: int, attribute: str, rule: str, ref: str) -> None:
    text = error_of(document(element.format(ref=ref.replace('"', "&quot;"))))
    tag = element.split("\n")[-1].split()[0].lstrip("<")
    assert text == f"x.xml:{line}: <{tag}>: {attribute} {ref!r} {rule}"


@pytest.mark.parametrize("ref", ["Collection(Collection(T.C))", "Collection( T.C )", "Collection(T.C)x"])
def test_malformed_collections_are_errors(ref: str) -> None:
    text = error_of(document(f'<ComplexType Name="C">\n<Property Name="p" Type="{ref}"/></ComplexType>'))
    assert text == f"x.xml:6: <Property>: Type {ref!r} {QUALIFIED}"


def test_collection_where_none_is_allowed() -> None:
    assert error_of(document('<ComplexType Name="C"/>\n<ComplexType Name="D" BaseType="Collection(T.C)"/>')) == (
        f"x.xml:6: <ComplexType>: BaseType 'Collection(T.C)' {QUALIFIED_ONLY}"
    )


def test_well_formed_references_read() -> None:
    schema = (
        '<ComplexType Name="C"><Property Name="p" Type="Collection(t.C)"/><Property Name="q" Type="Edm.Int32"/>'
        '</ComplexType>\n<ComplexType Name="D" BaseType="t.C"/>'
    )
    model, warnings = read(document(schema))
    assert [t.base for t in model.structured] == [None, "T.C"]
    assert warnings == []


# --------------------------------------------------------------------------- referenced base types

VOCABULARY = (
    '<edmx:Reference Uri="https://example.org/Vocabulary.xml">\n'
    '<edmx:Include Namespace="Org.Vocabulary.V1" Alias="V"/></edmx:Reference>\n'
)


def test_base_type_from_a_referenced_namespace_is_an_error() -> None:
    schema = (
        THING + '\n<ComplexType Name="Derived" BaseType="V.Base"><Property Name="p" Type="Edm.String"/></ComplexType>'
    )
    assert error_of(document(schema, references=VOCABULARY)) == (
        "x.xml:8: <ComplexType>: BaseType 'Org.Vocabulary.V1.Base' of T.Derived is in namespace 'Org.Vocabulary.V1', "
        "which this document only references (edmx:Reference Uri='https://example.org/Vocabulary.xml'); odatakit "
        "needs a base type defined in the document it reads: copy the referenced Schema into it"
    )


def test_property_types_from_a_referenced_namespace_still_only_warn() -> None:
    schema = '<ComplexType Name="C">\n<Property Name="p" Type="V.Thing"/></ComplexType>'
    model, warnings = read(document(schema, references=VOCABULARY))
    assert model.structured[0].properties[0].type.name == "Org.Vocabulary.V1.Thing"
    assert warnings == [
        "x.xml:8: <Property>: property 'p' of T.C has type 'Org.Vocabulary.V1.Thing' from referenced namespace "
        "'Org.Vocabulary.V1', not defined in this document; kept as is"
    ]


def test_base_type_from_an_unknown_namespace_is_still_an_error() -> None:
    assert error_of(document('<ComplexType Name="D" BaseType="Else.Base"/>')) == (
        "x.xml:5: <ComplexType>: BaseType of T.D refers to undefined type 'Else.Base' (namespace 'Else' is neither "
        "defined nor referenced in this document)"
    )


# --------------------------------------------------------------------------- keys of derived types

KEYED_BASE = (
    '<EntityType Name="Base">\n<Key><PropertyRef Name="id"/></Key>'
    '<Property Name="id" Type="Edm.String" Nullable="false"/><Property Name="code" Type="Edm.String" Nullable="false"/>'
    "</EntityType>"
)


def test_derived_type_redeclaring_a_key_is_an_error() -> None:
    schema = (
        KEYED_BASE
        + '\n<EntityType Name="Derived" BaseType="t.Base">\n<Key><PropertyRef Name="code"/></Key></EntityType>'
    )
    assert error_of(document(schema)) == (
        "x.xml:8: <Key>: entity type T.Derived declares a Key, but its base type T.Base already declares one "
        "(line 6); a derived type inherits its key and must not declare another"
    )


def test_key_declared_further_up_the_chain_counts() -> None:
    schema = (
        KEYED_BASE + '\n<EntityType Name="Middle" BaseType="T.Base"/>\n'
        '<EntityType Name="Leaf" BaseType="T.Middle">\n<Key><PropertyRef Name="id"/></Key></EntityType>'
    )
    assert error_of(document(schema)) == (
        "x.xml:9: <Key>: entity type T.Leaf declares a Key, but its base type T.Base already declares one "
        "(line 6); a derived type inherits its key and must not declare another"
    )


def test_derived_type_of_a_keyless_abstract_base_may_declare_the_key() -> None:
    schema = (
        '<EntityType Name="Animal" Abstract="true"/>\n'
        '<EntityType Name="Dog" BaseType="T.Animal"><Key><PropertyRef Name="dogId"/></Key>'
        '<Property Name="dogId" Type="Edm.Int32" Nullable="false"/></EntityType>'
    )
    model, warnings = read(document(schema))
    assert model.key_of("T.Dog") == ("dogId",)
    assert model.key_of("T.Animal") == ()
    assert warnings == []


# --------------------------------------------------------------------------- Model.base_chain


def test_base_chain_never_raises() -> None:
    orphan = StructuredType("complex", "T", "Orphan", base="Gone.Base")
    loop_a = StructuredType("complex", "T", "A", base="T.B")
    loop_b = StructuredType("complex", "T", "B", base="T.A")
    model = Model(source="m", version="4.0", namespaces=("T",), aliases=(), structured=(orphan, loop_a, loop_b))
    assert model.base_chain("T.Orphan") == [orphan]
    assert model.base_chain("T.A") == [loop_a, loop_b]
    assert model.base_chain("T.B") == [loop_b, loop_a]
    assert model.base_chain("T.Missing") == []
    assert model.key_of("T.Missing") == ()


# --------------------------------------------------------------------------- the rules themselves


def test_identifier_rules() -> None:
    assert identifier_flaw("a" * 128) is None
    assert identifier_flaw("a" * 129) is not None
    assert identifier_flaw("名前") is None
    assert identifier_flaw("_1") is None
    flaw = identifier_flaw("request-id")
    assert flaw is not None and not flaw.shape and flaw.chars == frozenset("-") and flaw.bidi == ""
    assert namespace_ok("Org.OData.Core.V1") and namespace_ok("single")
    assert not any(namespace_ok(n) for n in ("a..b", ".a", "a.", "", "a b"))
    assert qualified_ok("Edm.String") and qualified_ok("a.b.c")
    assert not any(qualified_ok(n) for n in ("String", "a..b", "a.", ".a", "a.1b"))


def test_wire_name_rules() -> None:
    for name in (
        "$filter",
        "@odata.type",
        "odata.maxpagesize",
        "respond-async",
        "from",
        "名前",
        "ID_événement",
        "x" * 128,
    ):
        assert wire_name_flaw(name) is None, name
    hostile = {'a"b', "a'b", "a`b", "a\\b", "a\nb", "a\x00b", "a\u202eb", "a\u2028b", "x" * 129}
    for name in hostile:
        flaw = wire_name_flaw(name)
        assert flaw is not None and flaw.hostile, name
    for name in ("", "a b", "a\u00a0b"):
        flaw = wire_name_flaw(name)
        assert flaw is not None and flaw.blank and not flaw.hostile, name
    for name in ("a:b", "{x}", "1a", "a/b", "$"):
        flaw = wire_name_flaw(name)
        assert flaw is not None and not flaw.blank and not flaw.hostile, name


# --------------------------------------------------------------------------- spec pages


def page(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def spec_error(path: Path) -> str:
    with pytest.raises(SpecError) as info:
        read_page(path)
    text = str(info.value)
    assert text.isprintable(), repr(text)
    return text


def syntax(request_line: str, table: str = "") -> str:
    """A page whose request line is on line 4 (and whose table rows start on line 8)."""
    return f"## Call\n\n```no-highlight\n{request_line}\n```\n\n{table}"


TABLE = "| Name | Type | Description |\n|:--|:--|:--|\n"


@pytest.mark.parametrize(
    ("option", "detail"),
    [
        ('se"lect', "it holds '\"'"),
        ("se'lect", 'it holds "\'"'),
        ("se\\lect", "it holds '\\\\'"),
        ("se\u202elect", "it holds U+202E"),
        ("se\u0001lect", "it holds U+0001"),
        ("se lect", "it holds whitespace"),
        ("q" * 129, "it is 129 characters long (at most 128)"),
    ],
)
def test_bad_query_option_name_on_a_request_line_is_an_error(tmp_path: Path, option: str, detail: str) -> None:
    path = page(tmp_path, syntax(f"GET https://api.example.com/v1.0/widgets?{option}={{value}}"))
    assert spec_error(path) == f"page.md:4: query option name {option!r} is not a name: {detail}"


def test_empty_query_option_name_is_an_error(tmp_path: Path) -> None:
    path = page(tmp_path, syntax("GET https://api.example.com/v1.0/widgets?={value}"))
    assert spec_error(path) == "page.md:4: query option name '' is not a name: it is empty"


def test_hostile_placeholder_standing_for_query_options_is_an_error(tmp_path: Path) -> None:
    path = page(tmp_path, syntax('GET https://api.example.com/v1.0/widgets?{a"b}'))
    assert spec_error(path) == "page.md:4: query option name 'a\"b' is not a name: it holds '\"'"


def test_malformed_query_option_name_is_dropped_with_a_warning(tmp_path: Path) -> None:
    # A real page writes "?requiresReview:{Boolean}" for "?requiresReview={Boolean}".
    diagnostics = Diagnostics()
    path = page(tmp_path, syntax("POST https://api.example.com/v1.0/apps?requiresReview:{Boolean}&mode={mode}"))
    (op,) = read_page(path, diagnostics)
    assert op.query == (("mode", "{mode}"),)
    assert [(p.name, p.location) for p in op.params] == [("mode", "query")]
    assert diagnostics.format_lines() == [
        "page.md:4: query option name 'requiresReview:{Boolean}' is not a name (it holds ':', '{', '}'); option dropped"
    ]


def test_keywords_and_system_options_are_good_query_option_names(tmp_path: Path) -> None:
    path = page(tmp_path, syntax("GET https://api.example.com/v1.0/flights?from={from}&$top={n}&@p1={alias}"))
    (op,) = read_page(path, Diagnostics())
    assert [name for name, _ in op.query] == ["from", "$top", "@p1"]


@pytest.mark.parametrize(
    ("cell", "shown", "detail"),
    [
        ('`wid"get`', "'wid\"get'", "it holds '\"'"),
        ("wid\\\\get", "'wid\\\\get'", "it holds '\\\\'"),
        ("wid\u202eget", "'wid\\u202eget'", "it holds U+202E"),
        ("wid\u0007get", "'wid\\x07get'", "it holds U+0007"),
        ("w" * 129, repr("w" * 129), "it is 129 characters long (at most 128)"),
    ],
)
def test_hostile_table_row_name_is_an_error(tmp_path: Path, cell: str, shown: str, detail: str) -> None:
    path = page(
        tmp_path, syntax("POST https://api.example.com/v1.0/widgets", TABLE + f"| {cell} | String | A name. |\n")
    )
    assert spec_error(path) == f"page.md:9: table row name {shown} is not a parameter name: {detail}"


def test_prose_in_a_table_is_skipped_with_a_warning(tmp_path: Path) -> None:
    rows = "| Delegated (work or school account) | Widgets.ReadWrite |\n| displayName | String | The name. |\n"
    diagnostics = Diagnostics()
    (op,) = read_page(page(tmp_path, syntax("POST https://api.example.com/v1.0/widgets", TABLE + rows)), diagnostics)
    assert [p.name for p in op.params] == ["displayName"]
    assert (
        "page.md:9: table row name 'Delegated (work or school account)' is not a parameter name (it holds whitespace); "
        "row skipped"
    ) in diagnostics.format_lines()


def test_translated_table_names_read(tmp_path: Path) -> None:
    rows = "| 名前 | String | 名前。 |\n| ID_événement | String | L'événement. |\n"
    (op,) = read_page(page(tmp_path, syntax("POST https://api.example.com/v1.0/widgets", TABLE + rows)), Diagnostics())
    assert [p.written for p in op.params] == ["名前", "ID_événement"]


@pytest.mark.parametrize(
    ("header", "shown", "detail"),
    [
        ('Prefer: odata.max"pagesize=5', "'odata.max\"pagesize'", "it holds '\"'"),
        ("Prefer: odata maxpagesize=5", "'odata maxpagesize'", "it holds whitespace"),
        ("Prefer: return=minimal, out\u202elook.timezone", "'out\\u202elook.timezone'", "it holds U+202E"),
    ],
)
def test_bad_preference_name_is_an_error(tmp_path: Path, header: str, shown: str, detail: str) -> None:
    path = page(tmp_path, syntax(f"GET https://api.example.com/v1.0/widgets\n{header}"))
    assert spec_error(path) == f"page.md:5: Prefer preference name {shown} is not a name: {detail}"


def test_good_preferences_and_placeholders_read(tmp_path: Path) -> None:
    text = syntax('GET https://api.example.com/v1.0/widgets\nPrefer: outlook.timezone="Pacific Standard Time", {other}')
    (op,) = read_page(page(tmp_path, text), Diagnostics())
    assert [(h.name, h.value) for h in op.headers] == [("Prefer", 'outlook.timezone="Pacific Standard Time", {other}')]


# --------------------------------------------------------------------------- real documents


def test_graph_metadata_keeps_its_hyphenated_property_names() -> None:
    path = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    diagnostics = Diagnostics()
    model = parse_metadata(path.read_bytes(), "v1.0-cleanMetadata.xml", diagnostics=diagnostics)
    inner = model.structured_by_name()["microsoft.graph.InnerError"]
    assert [p.name for p in inner.properties][:2] == ["request-id", "client-request-id"]
    names = [w for w in diagnostics.format_lines() if "SimpleIdentifier" in w]
    assert names == [
        f"v1.0-cleanMetadata.xml:{line}: <Property>: Name '{name}' {SIMPLE}; kept as written "
        "('-' tolerated here: real services use it)"
        for line, name in ((29925, "request-id"), (29928, "client-request-id"))
    ]


def test_northwind_copy_keeps_its_prefixed_entity_set() -> None:
    path = shared_file("external", "odata-reference-services", "Northwind-V4.xml")
    diagnostics = Diagnostics()
    model = parse_metadata(path.read_bytes(), "Northwind-V4.xml", diagnostics=diagnostics)
    assert model.container is not None
    assert "prefix/project2" in [s.name for s in model.container.entity_sets]
    assert diagnostics.format_lines() == [
        f"Northwind-V4.xml:499: <EntitySet>: Name 'prefix/project2' {SIMPLE}; kept as written "
        "('/' tolerated here: real services use it)"
    ]


def test_real_reference_page_with_a_malformed_query_option_reads(tmp_path: Path) -> None:
    path = shared_file("external", "msgraph-docs", "v1.0-api", "teamsapp-publish.md")
    diagnostics = Diagnostics()
    operations = read_page(path, diagnostics)
    assert all(not op.query for op in operations)
    assert (
        "teamsapp-publish.md:39: query option name 'requiresReview:{Boolean}' is not a name (it holds ':', '{', '}'); "
        "option dropped"
    ) in diagnostics.format_lines()
