"""Straight-line structuring code: one function per generated class, emitted next to its models.

The runtime's general converter (cattrs hooks over a per-class field table) stays for user
hooks and as the fallback; these functions are its fast path. Each one reads every declared
property with one `dict.get`, checks or converts the value inline (a class test for strings,
numbers and booleans, a `_value2member_map_` lookup for enums, the `odatakit.edm` decoder for
the rest), fills the slots of a bare instance and keeps the JSON object on it. A value the inline
test does not accept is handed to the same `odatakit.edm` decoder the general path uses, and
any error makes the runtime retry the general path, which raises the error with its path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from odatakit import edm

from .pysource import Source, code, identifier, literal

if TYPE_CHECKING:
    from .model import Model

def _within(type_name: str, x: str) -> str:
    """The chained comparison an int `x` in the range of an Edm integer type passes (`-(2**31) <= x < 2**31`).

    The compiler folds the powers of two into constants: the code of the numbers written out.
    """
    low, high = edm.INT_RANGES[type_name]
    bits = high.bit_length()
    if bits > 8 and low == -(2**bits) and high == 2**bits - 1:
        return f"-(2**{bits}) <= {x} < 2**{bits}"
    return f"{low} <= {x} <= {high}"


# The inline class tests of values these Edm types' decoders would keep as they are: a value `{x}`
# that passes is kept, any other (None included, for items) goes to the decoder.
_ACCEPTED: dict[str, str] = {
    "Edm.String": "{x}.__class__ is str",
    "Edm.Boolean": "{x}.__class__ is bool",
    "Edm.Double": "{x}.__class__ is float or {x}.__class__ is int",
    "Edm.Single": "{x}.__class__ is float or {x}.__class__ is int",
    **{name: "{x}.__class__ is int and " + _within(name, "{x}") for name in edm.INT_RANGES},
}


def _accepted(type_name: str, x: str) -> str | None:
    """The inline test a value in variable `x` of an Edm type passes when it is kept as it is, if any."""
    test = _ACCEPTED.get(type_name)
    return None if test is None else test.format(x=x)


# Types whose JSON value is kept as it is.
_AS_IS = frozenset({"Edm.Untyped", "Edm.Stream", "Edm.PrimitiveType"})


@attrs.frozen
class FieldCode:
    """One property of a class as its structuring function reads it."""

    py_name: str
    wire: str
    type_name: str  # "Edm.X" or a qualified name, type definitions resolved
    collection: bool
    kind: str  # "edm", "enum", "flags" or "object"


@attrs.frozen
class ClassCode:
    """One class: its Python name, qualified name and every field (inherited first)."""

    py_name: str
    qualified: str
    fields: tuple[FieldCode, ...]
    #: Whether an instance may stand for a JSON value that is not an object (see `keeps_any_json`).
    any_json: bool = False


def plain_json_types(model: Model) -> frozenset[str]:
    """The complex types that stand for plain JSON: closed, without properties (own or inherited), not derived from.

    Such a type says nothing about its values, and services use it for any JSON (Graph's
    `microsoft.graph.Json` holds `[[1, "a"]]`), so its properties, parameters and results are
    typed `Any` and hold the JSON value as received. An open type stays a class (its values are
    objects whose members go to `additional_data`), and so does a type others derive from (its
    values are read as the derived class their `@odata.type` names).
    """
    bases = {t.base for t in model.structured if t.base}
    out = set()
    for t in model.structured:
        chain = model.base_chain(t.qualified)
        # A base the model lacks (a namespace only referenced) may declare properties.
        complete = not chain or chain[-1].base is None
        if t.kind == "complex" and t.qualified not in bases and complete and not any(
            a.open or a.properties or a.navigation for a in chain
        ):
            out.add(t.qualified)
    return frozenset(out)


def keeps_any_json(kind: str, open_type: bool, fields: int) -> bool:
    """Whether a structured type's instances keep whatever JSON value arrives, not only objects.

    True for open complex types (their own or a base's `OpenType`) and for complex types with no
    properties at all, which some services use for any JSON (Graph's `microsoft.graph.Json`): such an
    instance received as an array, a string, a number or a boolean keeps it and writes it back.
    Entities are always JSON objects.
    """
    return kind == "complex" and (open_type or fields == 0)


def structure_module(models_module: str) -> str:
    """The module holding the structuring functions of a models module (`models_03` → `_structure_03`)."""
    return "_structure" + models_module.removeprefix("models")


def edm_decoder_name(type_name: str) -> Source:
    """The module-level name the emitted code binds an Edm decoder to (`_string`).

    Lower case: the structuring functions beside it are named after classes (`_Event`), which never are.
    """
    return identifier("_" + type_name.removeprefix("Edm.").lower())


# Every piece of emitted structuring code is `Source`: names from `generator.naming` (checked by
# `identifier`), wire names as `literal`s, and this module's own text; variables are single letters.
_Fn = Callable[[str], Source]


def item_expression(field: FieldCode, function_of: _Fn, enum_class: _Fn, x: str, none: bool) -> Source:
    """The expression turning the JSON value in variable `x` into the field's Python value.

    With `none`, `x` may be None (an item of a collection); otherwise the caller tested it.
    """
    v = identifier(x)
    if field.kind == "edm":
        if field.type_name in _AS_IS:
            return v
        if field.type_name == "Edm.DateTimeOffset":  # decoded by its table on a miss
            return code("_DTO_SEEN[{}]", v)
        dec = edm_decoder_name(field.type_name)
        accepted = _accepted(field.type_name, v)
        if accepted is not None:  # each Edm decoder gives None for None
            return code("{} if " + accepted + " else {}({})", v, dec, v)
        return code("{}({})", dec, v)
    if field.kind == "enum":
        cls = enum_class(field.type_name)
        text = code("(_map_{}.get({}) or {}({}))" if none else "_map_{}.get({}) or {}({})", cls, v, cls, v)
    elif field.kind == "flags":
        text = code("_flags({}, {})", enum_class(field.type_name), v)
    else:
        # Nested objects share the top object's `b` (see `odatakit.serde._Received`); an item of an
        # array also gets its place there (`n`), by which its JSON is found again if the list changes.
        text = code("{}({}, b, n)" if none else "{}({}, b)", function_of(field.type_name), v)
    return code("None if {} is None else {}", v, text) if none else text


#: Most fields a class may have to be built inline in the functions of the classes using it.
INLINE_FIELDS = 4


def inlinable(c: ClassCode) -> bool:
    """Whether a class is small enough to be built inline: a few single values of Edm or enum types.

    The caller also checks that nothing derives from it and that it lives in the same module.
    """
    return 0 < len(c.fields) <= INLINE_FIELDS and all(
        not f.collection and f.kind in ("edm", "enum") for f in c.fields
    )


def field_lines(
    field: FieldCode,
    function_of: _Fn,
    enum_class: _Fn,
    inline: Callable[[str], ClassCode | None] = lambda qualified: None,
    names: tuple[str, str] = ("d", "o"),
) -> list[Source]:
    """The statements (unindented) that read, convert and store one field.

    `inline` gives the class of an object field to build in place (see `inlinable`), if any;
    `names` are the variables of the JSON object and of the instance.
    """
    d, o = identifier(names[0]), identifier(names[1])
    attr, wire = identifier(field.py_name), literal(field.wire)
    # `d.get(...)` each time: binding `g = d.get` once costs more than it saves in most classes.
    # The value is bound in the test (`v := ...`), so most fields are one statement: the same work
    # as reading into `v`, testing it and storing it in turn, in a quarter of the source.
    get = code("(v := {}.get({}))", d, wire)
    leaf = inline(field.type_name) if field.kind == "object" and not field.collection else None
    if leaf is not None:
        # A call costs about a fifth of building a small object: the leaf's own statements,
        # on variables of their own (w: its JSON object, p: the instance), and `w` ends as the value.
        if leaf.any_json:
            lines = [code("w = {}.get({})", d, wire), code("if w.__class__ is dict:")]
        else:
            lines = [code("if (w := {}.get({})) is not None:", d, wire)]
        lines.append(code("    p = _new({})", identifier(leaf.py_name)))
        for f in leaf.fields:
            lines += [_indent(line) for line in field_lines(f, function_of, enum_class, names=("w", "p"))]
        lines += [_indent(line) for line in closing_lines(("w", "p"))]
        lines.append(code("    w = p"))
        if leaf.any_json:
            lines += [code("elif w is not None:"), code("    w = _non_object({}, w)", identifier(leaf.py_name))]
        return [*lines, code("{}.{} = w", o, attr)]
    if field.collection:
        if uses_item_list(field) or _refused_item(field) is not None:
            return [code("if {} is not None:", get), *collection_lines(field, function_of, enum_class),
                    code("{}.{} = v", o, attr)]
        return [code("{}.{} = v if {} is None else v.copy() if v.__class__ is list else _not_list(v)", o, attr, get)]
    if field.kind == "edm" and field.type_name == "Edm.DateTimeOffset":
        # A timestamp decoded before (pages repeat them) is a subscript away; `SEEN_DATETIMEOFFSETS`
        # decodes a miss itself. An unhashable value raises TypeError, which sends the object to the
        # general path.
        return [code("{}.{} = None if {} is None else _DTO_SEEN[v]", o, attr, get)]
    if field.kind == "enum":
        # A subscript is cheaper than `.get()`: an enum's member by value. A miss (KeyError) sends
        # the object to the general path, which calls the class: a value the service added since
        # becomes a pseudo member there, kept in the same table, so it is a hit from then on.
        cls = enum_class(field.type_name)
        return [code("{}.{} = None if {} is None else _map_{}[v]", o, attr, get, cls)]
    accepted = _accepted(field.type_name, "v") if field.kind == "edm" else None
    if accepted is not None:
        # One test for the common case, a value of the expected class or an absent one.
        return [code("{}.{} = v if {} is None or " + accepted + " else {}(v)", o, attr, get,
                     edm_decoder_name(field.type_name))]
    if field.kind == "edm" and field.type_name in _AS_IS:  # kept as sent
        return [code("{}.{} = {}.get({})", o, attr, d, wire)]
    return [code("{}.{} = None if {} is None else {}", o, attr, get,
                 item_expression(field, function_of, enum_class, "v", none=False))]


def _indent(line: Source) -> Source:
    return code("    {}", line)


def collection_lines(field: FieldCode, function_of: _Fn, enum_class: _Fn) -> list[Source]:
    """The statements (indented once) turning the JSON array in `v` into the field's list.

    No comprehension: on Python 3.11 each one is a function call, which costs more than the few
    items a property's array usually holds. Items that an inline class test accepts are kept as
    they are, so such an array is checked in a loop and copied once (the JSON array stays as
    received, to find changes against); any other item type is converted one by one into `u`.
    """
    item = item_expression(field, function_of, enum_class, "x", none=True)
    # A string is iterable too: only a JSON array may become a list.
    array = "v if v.__class__ is list else _not_list(v)"
    if uses_item_list(field):
        loop = code("    for n, x in enumerate(" + array + "):") if field.kind == "object" else code("    for x in " + array + ":")
        return [code("    u = []"), loop, code("        u.append({})", item), code("    v = u")]
    refused = _refused_item(field)
    if refused is None:  # kept as sent
        return [code("    v = v.copy() if v.__class__ is list else _not_list(v)")]
    # A refused item (None included) sends the whole array to its decoder, which makes a new list.
    return [code("    for x in " + array + ":"), code("        if " + refused + ":"), code("            v = [{} for x in v]", item),
            code("            break"), code("    else:"), code("        v = v.copy()")]


def _refused_item(field: FieldCode) -> str | None:
    """The inline test an item `x` of an Edm collection fails when its decoder must see it, if any."""
    accepted = _accepted(field.type_name, "x") if field.kind == "edm" else None
    return None if accepted is None else _negated(accepted)


def _negated(test: str) -> str:
    """The opposite of a test of `_ACCEPTED` (De Morgan; `is` becomes `is not`): `x.__class__ is not str`."""
    if " or " in test:
        return " and ".join(_negated(part) for part in test.split(" or "))
    if " and " in test:
        return " or ".join(_negated(part) for part in test.split(" and "))
    if " is " in test:
        return test.replace(" is ", " is not ", 1)
    return f"not {test}"  # a chained comparison: `not -(2**31) <= x < 2**31`


def uses_item_list(field: FieldCode) -> bool:
    """Whether a collection's items are converted one by one into the list `u` (see `collection_lines`).

    Not for arrays kept as sent (untyped items) or checked in a loop (items with an inline test).
    """
    kept_or_checked = field.kind == "edm" and (field.type_name in _AS_IS or _refused_item(field) is not None)
    return field.collection and not kept_or_checked


def closing_lines(names: tuple[str, str] = ("d", "o")) -> list[Source]:
    """The statements (unindented) that finish an instance: it keeps where its JSON is.

    That one reference stands for everything else a received object knows: its undeclared
    members and explicit nulls, and the values its changes are measured against (`odatakit.serde`
    works them out when asked). It is `b`, the response body its top object was read from (shared
    by the whole tree), or the JSON object itself when there is no body to read again. A function's
    own instance also keeps its place in the array it was read from (`i`, None when not in one);
    small classes built inline are never items of an array.
    """
    d, o = identifier(names[0]), identifier(names[1])
    lines = [code("{}._odata_wire = b or {}", o, d)]
    if names == ("d", "o"):
        lines.append(code("{}._odata_pos = i", o))  # None, as the slot reads when not set
    return lines


def edm_types_used(classes: Iterable[ClassCode]) -> list[str]:
    """The Edm types whose decoders or tables (`_DTO_SEEN` for Edm.DateTimeOffset) a module needs, sorted."""
    return sorted({f.type_name for c in classes for f in c.fields if f.kind == "edm" and f.type_name not in _AS_IS})
