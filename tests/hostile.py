"""Hostile inputs for the generator: a `$metadata` document and a reference page whose every slot
that reaches generated code carries text meant to break out of it.

The payloads try to run `touch(MARKER)` when the generated package is imported or called: a
package that compiles, imports and answers every call with the marker file still absent, and
whose docstrings and wire names read back as the input gave them, is a package the input could
not take over. The document is built with lxml, so the XML itself is well-formed and only what
XML can carry is tried there; the page carries the rest (NUL and other control characters).
"""

from __future__ import annotations

from lxml import etree

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"

#: What every payload runs if it escapes: it creates the marker file named by ODATAKIT_MARKER.
RUN = "__import__('pathlib').Path(__import__('os').environ['ODATAKIT_MARKER']).touch()"

#: Text meant to end a string, docstring, comment or template tag, each followed by the payload.
BREAKOUTS = (
    f'"""\n{RUN}\n"""',
    f"'''\n{RUN}\n'''",
    f'\\"""; {RUN}; """',
    f'"; {RUN}; "',
    f"\\\n{RUN}",
    f"{{{{ {RUN} }}}} {{% if 1 %}}{{% endif %}} {{# x #}}",
    f"# \n{RUN}",
    f"\u202e{RUN}\u2066 \u200f",
    "ends with a backslash \\",
    'ends with a quote "',
    'ends with two quotes ""',
)


def long_description(n: int) -> str:
    """A description long enough to wrap, with escapes at every position a line break might split."""
    words = []
    for i in range(n):
        words.append('a\\"b' if i % 3 == 0 else '\\"""' if i % 3 == 1 else 'x"""y')
    return " ".join(words) + " " + BREAKOUTS[0]


#: Wire names that are legal CSDL but unusual in Python: keywords, runtime and module names,
#: dunders, other scripts, format characters, and names only case tells apart.
ODD_NAMES = (
    "class", "None", "self", "cast", "result", "request", "options", "REGISTRY", "D", "_D", "models", "client",
    "__init__", "__class__", "_odata_wire", "additional_data", "mro", "Größe", "名前", "x\u200dy",
    "match", "type", "prefer", "select", "get", "url",
)  # fmt: skip


def _element(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{EDM}}}{tag}")
    for k, v in attrs.items():
        el.set(k, v)
    return el


def _describe(el: etree._Element, text: str, long: str | None = None) -> None:
    _element(el, "Annotation", Term="Org.OData.Core.V1.Description", String=text)
    if long is not None:
        _element(el, "Annotation", Term="Org.OData.Core.V1.LongDescription", String=long)


def hostile_document() -> tuple[bytes, dict[str, str]]:
    """The document, and every description it holds by the qualified name of its element."""
    descriptions: dict[str, str] = {}
    root = etree.Element(f"{{{EDMX}}}Edmx", nsmap={"edmx": EDMX}, Version="4.0")
    services = etree.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = etree.SubElement(services, f"{{{EDM}}}Schema", nsmap={None: EDM}, Namespace="Hostile.Ns", Alias="H")

    enum = _element(schema, "EnumType", Name="Mood")
    _describe(enum, BREAKOUTS[1])
    descriptions["Hostile.Ns.Mood"] = BREAKOUTS[1]
    for i, name in enumerate(ODD_NAMES[:12]):
        _element(enum, "Member", Name=name, Value=str(i))
    flags = _element(schema, "EnumType", Name="Flags", IsFlags="true")
    for i, name in enumerate(("class", "None", "mro", "Größe")):
        _element(flags, "Member", Name=name, Value=str(1 << i))

    complex_ = _element(schema, "ComplexType", Name="Odd")
    for i, name in enumerate(ODD_NAMES):
        prop = _element(complex_, "Property", Name=name, Type="Edm.String" if i % 2 else "Edm.Int32",
                        DefaultValue=BREAKOUTS[i % len(BREAKOUTS)])
        text = BREAKOUTS[i % len(BREAKOUTS)]
        _describe(prop, text)
        descriptions[f"Hostile.Ns.Odd/{name}"] = text
    _describe(complex_, BREAKOUTS[2], long_description(60))
    descriptions["Hostile.Ns.Odd"] = BREAKOUTS[2] + "\n\n" + long_description(60)

    base = _element(schema, "EntityType", Name="Thing")
    key = _element(base, "Key")
    _element(key, "PropertyRef", Name="id")
    _element(base, "Property", Name="id", Type="Edm.String", Nullable="false")
    _element(base, "Property", Name="odd", Type="H.Odd")
    _element(base, "Property", Name="mood", Type="H.Mood")
    _element(base, "Property", Name="flags", Type="Hostile.Ns.Flags")
    _element(base, "NavigationProperty", Name="children", Type="Collection(Hostile.Ns.Thing)")
    _describe(base, BREAKOUTS[3])
    descriptions["Hostile.Ns.Thing"] = BREAKOUTS[3]

    # A navigation of a derived type named like an action bound to its base type: both must stay reachable.
    derived = _element(schema, "EntityType", Name="class", BaseType="Hostile.Ns.Thing")
    _element(derived, "NavigationProperty", Name="restore", Type="Hostile.Ns.Thing")
    _element(derived, "NavigationProperty", Name="self", Type="Hostile.Ns.Thing")
    _describe(derived, BREAKOUTS[4])
    descriptions["Hostile.Ns.class"] = BREAKOUTS[4]
    for name in ("D", "REGISTRY", "models", "None", "名前"):
        odd = _element(schema, "EntityType", Name=name, BaseType="Hostile.Ns.Thing")
        _element(odd, "Property", Name=name, Type="Edm.String")

    action = _element(schema, "Action", Name="restore", IsBound="true")
    _element(action, "Parameter", Name="bindingParameter", Type="Hostile.Ns.Thing")
    for name in ("from", "self", "cast", "result", "request"):
        _element(action, "Parameter", Name=name, Type="Edm.String")
    _describe(action, BREAKOUTS[5])
    descriptions["Hostile.Ns.restore"] = BREAKOUTS[5]
    function = _element(schema, "Function", Name="import", IsBound="true")
    _element(function, "Parameter", Name="bindingParameter", Type="Collection(Hostile.Ns.Thing)")
    _element(function, "Parameter", Name="lambda", Type="Edm.String")
    _element(function, "ReturnType", Type="Collection(Hostile.Ns.Thing)")
    unbound = _element(schema, "Action", Name="global")
    _element(unbound, "Parameter", Name="nonlocal", Type="Edm.Int32")
    _element(unbound, "ReturnType", Type="Edm.String")

    container = _element(schema, "EntityContainer", Name="yield")
    things = _element(container, "EntitySet", Name="things", EntityType="Hostile.Ns.Thing")
    _describe(things, BREAKOUTS[6])
    descriptions["Hostile.Ns.yield/things"] = BREAKOUTS[6]
    _element(container, "EntitySet", Name="REGISTRY", EntityType="Hostile.Ns.Thing")
    _element(container, "EntitySet", Name="close", EntityType="Hostile.Ns.Thing")
    _element(container, "Singleton", Name="me", Type="Hostile.Ns.Thing")
    _element(container, "ActionImport", Name="global", Action="Hostile.Ns.global")
    restrictions = _element(things, "Annotation", Term="Org.OData.Capabilities.V1.FilterRestrictions")
    record = _element(restrictions, "Record")
    value = _element(record, "PropertyValue", Property="NonFilterableProperties")
    collection = _element(value, "Collection")
    for text in BREAKOUTS[:4]:
        path = _element(collection, "PropertyPath")
        path.text = text
    return etree.tostring(root, xml_declaration=True, encoding="utf-8"), descriptions


def hostile_page() -> tuple[str, str]:
    """A reference page for the document above, and its title (which becomes a docstring)."""
    title = f'List things """ {RUN} \x00 \x1b[31m \u202e'
    page = f"""# {title}

Reads things.

## Permissions

|Permission type|Permissions (from least to most privileged)|
|:---|:---|
|Delegated (work or school account)|Things.Read {BREAKOUTS[0].splitlines()[1]}|

## HTTP request

```http
GET https://example.test/v1.0/me/children?from={{from}}&class={{class}}&self={{self}}&request={{request}}
```

## Query parameters

|Name|Type|Description|
|:---|:---|:---|
|from|String|Start. {BREAKOUTS[0]}|
|class|String|Class.|
|self|String|Self.|
|request|String|Request.|

## Request headers

|Name|Description|
|:---|:---|
|Prefer: odata.import, x.options, y.cast=5|Preferences.|

## Response

If successful, this method returns a `200 OK` response code.
"""
    return page, title
