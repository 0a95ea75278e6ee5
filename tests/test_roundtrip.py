"""Received JSON → typed objects → JSON gives back exactly what was received, through every path.

`tests/fixtures/csdl/roundtrip.xml` has a property of every Edm primitive type `odatakit.edm`
knows and a collection of each, enums, flags (with and without a zero member), complex types
(small, nested, derived), empty complex types (a closed standalone one, which is plain JSON, and
an abstract base), open complex types, and navigation properties. Each payload is structured by
the emitted function itself (the fast path), by the general cattrs path and by
`Converter.structure`, and written back: the JSON must be the one received, value for value and
type for type (`1` is not `1.0` nor `true`), key order aside.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from odatakit import edm, serde
from odatakit.serde import Converter, ODataObject

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"
SAMPLE = "Round.Trip.Sample"


@pytest.fixture(scope="module")
def pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "roundtrip.xml", "fx_roundtrip")


def _wire(edm_type: str) -> str:
    """The fixture's property name for an Edm type (`Edm.GeographyPoint` → `geographyPoint`)."""
    name = edm_type.removeprefix("Edm.")
    return name[0].lower() + name[1:]


_GEO = {"type": "Point", "coordinates": [1.5, -2]}
# One value per Edm type as a service sends it, then a collection's items (a null among them).
_PRIMITIVES: dict[str, tuple[Any, list[Any]]] = {
    "Edm.Binary": ("AQID", ["-_8", "+/8=", "", None]),
    "Edm.Boolean": (True, [False, None, True]),
    "Edm.Byte": (255, [0, None]),
    "Edm.SByte": (-128, [127]),
    "Edm.Int16": (-32768, [32767, None]),
    "Edm.Int32": (2147483647, [-2147483648, 0]),
    "Edm.Int64": (9007199254740993, [-(2**63), 2**63 - 1, None]),
    "Edm.Single": (1.5, [0, -0.0, "INF", None]),
    "Edm.Double": (-2.5e-300, [0.1, 3, "INF", "-INF", "NaN", None]),
    "Edm.Decimal": (12.75, [10, 0.1, 1e21, -0.0, None]),
    "Edm.String": ("naïve \u2028 text", ["", None, "0"]),
    "Edm.Guid": ("01234567-89AB-CDEF-0123-456789ABCDEF", ["01234567-89ab-cdef-0123-456789abcdef", None]),
    "Edm.Date": ("2024-02-29", ["0001-01-01", None]),
    "Edm.DateTimeOffset": (
        "2017-04-15T03:00:50.7579581Z",
        ["2017-04-15T03:00:50+02:00", "2017-04-15T03:00:50", "0001-01-01T00:00:00Z", None],
    ),
    "Edm.Duration": ("P1DT2H30M", ["-PT0.5S", "PT36H", None]),
    "Edm.TimeOfDay": ("12:00:00.1234567", ["23:59", None]),
    "Edm.Stream": ("AQID", []),  # a collection of streams is not allowed
    "Edm.Untyped": ({"nested": [1, "a", None, {"b": True}]}, [1, "a", None, [2.5], {"c": {}}]),
    "Edm.PrimitiveType": (42, [1, "a", True, None]),
    **{t: (_GEO, [_GEO, None]) for t in edm.PY_TYPES if t.startswith(("Edm.Geography", "Edm.Geometry"))},
    "Edm.ComplexType": ({"a": 1}, [{}, None]),
    "Edm.EntityType": ({"id": "x"}, [{"id": 1}]),
    "Edm.AnnotationPath": ("a/@Core.Description", ["b"]),
    "Edm.PropertyPath": ("a/b", ["c"]),
    "Edm.NavigationPropertyPath": ("parts", ["owner"]),
    "Edm.AnyPropertyPath": ("a", []),
    "Edm.ModelElementPath": ("Round.Trip.Sample", ["Round.Trip.Point"]),
}


def test_the_fixture_covers_every_edm_type() -> None:
    assert set(_PRIMITIVES) == set(edm.PY_TYPES)


def _primitives() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for edm_type, (one, many) in _PRIMITIVES.items():
        out[_wire(edm_type)] = one
        if edm_type != "Edm.Stream":
            out[_wire(edm_type) + "s"] = many
    return out


_SHAPE = {"name": "s", "center": {"x": 0, "label": None}, "points": [{"x": -1}, None], "access": "none"}

FULL: dict[str, Any] = {
    "@odata.context": "https://svc.test/$metadata#samples/$entity",
    "@odata.etag": 'W/"1"',
    "id": "a",
    **_primitives(),
    "color": "green",
    "colors": ["red", None, "purple"],  # purple: a member the model does not know yet
    "access": "none",
    "accesses": ["read,write", "none", "all", "delete,read", None],
    "rights": "edit,view",
    "rightsList": ["view", "", None],
    "point": {"x": 1.5, "label": "p", "label@odata.type": "#String"},
    "shape": _SHAPE,
    "shapes": [
        {"@odata.type": "#Round.Trip.Circle", "name": "c", "radius": 2.5, "center": None, "access": "write"},
        {"name": "plain", "points": []},
        None,
    ],
    "json": [[1, "a"], [None, 2.5]],
    "jsons": [{"k": [1]}, [1, "a"], "s", 2.5, 3, True, None, {}],
    "target": {"@odata.type": "#Round.Trip.GroupTarget", "groupId": "g"},
    "targets": [
        {"@odata.type": "#Round.Trip.AllTarget"},
        {"@odata.type": "#Round.Trip.GroupTarget", "groupId": None},
        {},
        [1],
        "text",
        7,
        False,
        None,
    ],
    "bag": {"label": "b", "dynamic": {"x": [1]}, "shape": _SHAPE, "count@odata.type": "#Int64", "count": 3},
    "bags": ["plain string", 3, 0.5, [1, 2], {"label": None, "extra": 1}, None, True, {}],
    "tag": "just text",
    "tags": [{"key": "k", "more": [1]}, 5, None, {"key": None}],
    "anything": {"x": 1},
    "anythings": [{"a": 1}, "s", [None], None, 0, {}],
    "owner": {
        "@odata.etag": 'W/"7"',
        "id": 7,
        "name": "Ann",
        "manager": {"@odata.id": "people(8)", "id": 8, "name": None, "manager": None},
    },
    "parts@odata.count": 3,
    "parts": [
        {"id": 1, "sample": {"@odata.type": "#Round.Trip.SpecialSample", "id": "s2", "extra": "e", "json": "x"}},
        {"id": 2, "sample": None},
        {"id": 3},
    ],
    "parts@odata.nextLink": "https://svc.test/samples('a')/parts?$skip=3",
    "unknown": {"kept": [1, None]},
}

# Other values for the properties whose type keeps any JSON value, and other shapes overall.
_SINGLE_VALUES: list[Any] = [{"a": [1]}, [1, "a"], "s", -2, 2.5, True, False, {}, [], None]
PAYLOADS: dict[str, dict[str, Any]] = {
    "full": FULL,
    "empty": {},
    "nulls": {k: None for k in FULL if "@" not in k and k != "id"} | {"id": "n"},
    "derived": {"@odata.type": "#Round.Trip.SpecialSample", "id": "d", "extra": "x", "access": "all",
                "shape": {"@odata.type": "#Round.Trip.Circle", "radius": 1, "center": {"x": 2}}},
    **{
        f"any json {i}": {"id": "j", "json": v, "target": v, "bag": v, "tag": v, "anything": v,
                         "jsons": [v], "targets": [v], "bags": [v], "tags": [v], "anythings": [v]}
        for i, v in enumerate(_SINGLE_VALUES)
    },
    "flags": {"id": "f", "access": "write,read", "accesses": ["", "none", "read,delete,write"], "rights": ""},
}


def _exact(value: Any) -> str:
    """The JSON text of a value, keys sorted: equal only for the same values of the same JSON types."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _converter(pkg: ModuleType) -> Converter:
    conv: Converter = pkg.LabClient("https://svc.test").converter
    return conv


def _paths(pkg: ModuleType, conv: Converter) -> dict[str, Callable[[dict[str, Any]], ODataObject]]:
    fast = pkg._registry.REGISTRY.decoders[SAMPLE]
    return {
        "fast": fast,  # the emitted function itself: no fallback to the general path
        "general": lambda data: conv.cattrs.structure(data, pkg.Sample),
        "structure": lambda data: conv.structure(data, pkg.Sample),
        "structure_many": lambda data: conv.structure_many([data], pkg.Sample)[0],
    }


@pytest.mark.parametrize("name", sorted(PAYLOADS))
@pytest.mark.parametrize("path", ["fast", "general", "structure", "structure_many"])
def test_received_typed_unstructured_is_the_json_received(pkg: ModuleType, name: str, path: str) -> None:
    payload = copy.deepcopy(PAYLOADS[name])
    conv = _converter(pkg)
    obj = _paths(pkg, conv)[path](payload)
    assert _exact(conv.unstructure(obj)) == _exact(PAYLOADS[name])
    assert obj.changed_fields == frozenset() and conv.unstructure_changes(obj) == {}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_fast_and_general_paths_build_equal_objects(pkg: ModuleType, name: str) -> None:
    conv = _converter(pkg)
    paths = _paths(pkg, conv)
    fast, general = paths["fast"](PAYLOADS[name]), paths["general"](PAYLOADS[name])
    assert type(fast) is type(general) and fast == general
    assert list(fast.additional_data.items()) == list(general.additional_data.items())
    assert serde._nulls_of(fast) == serde._nulls_of(general)


def test_typed_values(pkg: ModuleType) -> None:
    conv = _converter(pkg)
    for path, structure in _paths(pkg, conv).items():
        s = structure(copy.deepcopy(FULL))
        assert s.json == [[1, "a"], [None, 2.5]], path  # an empty closed complex type is plain JSON
        assert s.jsons == FULL["jsons"], path
        assert s.access is pkg.Access.NONE and s.rights == pkg.Rights.EDIT | pkg.Rights.VIEW, path
        assert s.accesses == [pkg.Access.READ | pkg.Access.WRITE, pkg.Access.NONE, pkg.Access.ALL,
                              pkg.Access.DELETE | pkg.Access.READ, None], path
        assert type(s.target) is pkg.GroupTarget and s.target.group_id == "g", path
        assert [type(t).__name__ for t in s.targets] == ["AllTarget", "GroupTarget", "Target", "Target", "Target",
                                                         "Target", "Target", "NoneType"], path
        assert type(s.shapes[0]) is pkg.Circle and s.shapes[0].radius == 2.5, path
        assert type(s.bag) is pkg.Bag and s.bag.label == "b" and s.bag.additional_data["dynamic"] == {"x": [1]}, path
        assert type(s.tag) is pkg.Tag and s.tag.key is None and s.tag.additional_data == {}, path
        assert [type(b).__name__ for b in s.bags] == ["Bag"] * 5 + ["NoneType", "Bag", "Bag"], path
        assert type(s.owner) is pkg.Person and type(s.owner.manager) is pkg.Person, path
        assert type(s.parts[0].sample) is pkg.SpecialSample and s.parts[0].sample.json == "x", path
        assert s.geography_point == _GEO and s.untyped == FULL["untyped"], path


def test_an_empty_closed_complex_type_is_typed_as_plain_json(pkg: ModuleType) -> None:
    fields = {f.wire: f.type for f in pkg._registry.REGISTRY.info_of(pkg.Sample).fields}
    assert (fields["json"], fields["jsons"], fields["target"], fields["bag"], fields["anything"]) == (
        "Edm.Untyped", "Edm.Untyped", "Round.Trip.Target", "Round.Trip.Bag", "Round.Trip.Anything",
    )
    source = Path(pkg.__file__).with_name("models.py").read_text()
    assert "json: Prop[Any, Expr] = NONE" in source
    assert "jsons: CollectionProp[list[Any] | None, Expr] = NONE" in source
    assert "target: TargetPath[Sample] = NONE" in source


def test_flags_write_the_zero_member_and_declared_names(pkg: ModuleType) -> None:
    conv = _converter(pkg)
    access, rights = pkg.Access, pkg.Rights
    written = conv.unstructure(pkg.Sample(access=access.NONE, accesses=[access.ALL, access.READ | access.DELETE],
                                          rights=rights(0), rights_list=[rights.EDIT | rights.VIEW]))
    assert written == {"access": "none", "accesses": ["all", "read,delete"], "rights": "", "rightsList": ["view,edit"]}
    assert conv.unstructure_value(access.NONE, "Round.Trip.Access") == "none"
    assert conv.unstructure(access.WRITE | access.READ) == "read,write"


def test_flags_keep_the_spelling_received_until_they_change(pkg: ModuleType) -> None:
    conv = _converter(pkg)
    sent = {"id": "f", "access": "write,read", "accesses": ["write,read", "all", "delete,read"]}
    s = conv.structure(copy.deepcopy(sent), pkg.Sample)
    assert conv.unstructure(s) == sent
    s.access = pkg.Access.READ | pkg.Access.WRITE  # equal: still as sent
    s.accesses[2] = pkg.Access.WRITE  # only the changed item takes the declaration order
    assert conv.unstructure(s) == {"id": "f", "access": "write,read", "accesses": ["write,read", "all", "write"]}
    assert conv.unstructure_changes(s) == {"accesses": ["write,read", "all", "write"]}
    s.access = pkg.Access.DELETE | pkg.Access.READ
    serde.mark_clean(s)
    assert conv.unstructure(s)["access"] == "read,delete"


def test_an_instance_received_as_another_json_value_keeps_it(pkg: ModuleType) -> None:
    conv = _converter(pkg)
    s = conv.structure({"id": "r", "target": [1, "a"], "targets": ["t"], "bag": 3}, pkg.Sample)
    target = s.target
    assert type(target) is pkg.Target and target.additional_data == {}
    assert repr(target) == "Target(<JSON [1, 'a']>)" and repr(s.bag) == "Bag(<JSON 3>)"
    assert target == conv.structure([1, "a"], pkg.Target) and target != conv.structure([1], pkg.Target)
    assert target != pkg.Target() and conv.unstructure(pkg.Target()) == {}
    for copied in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert copied == s and conv.unstructure(copied) == conv.unstructure(s)
    assert conv.unstructure(serde.replace(target)) == [1, "a"]
    assert conv.unstructure(serde.replace(target, additional_data={"k": 1})) == {"k": 1}
    serde.mark_clean(s)
    assert conv.unstructure(s)["target"] == [1, "a"] and s.changed_fields == frozenset()
    s.bag.label = "now an object"  # anything set on it: written as an object, and a change of its parent
    assert conv.unstructure(s.bag) == {"label": "now an object"}
    assert s.bag.changed_fields == {"label"} and s.changed_fields == {"bag"}
    assert conv.unstructure_changes(s) == {"bag": {"label": "now an object"}}


def test_other_complex_types_still_refuse_a_value_that_is_not_an_object(pkg: ModuleType) -> None:
    conv = _converter(pkg)
    for path, structure in _paths(pkg, conv).items():
        if path == "fast":
            continue
        with pytest.raises(TypeError, match=r"Sample\.point: expected a JSON object for Point, got list"):
            structure({"id": "x", "point": [1]})
        with pytest.raises(TypeError, match=r"Sample\.shape: expected a JSON object for Shape, got str"):
            structure({"id": "x", "shape": "s"})
    with pytest.raises(TypeError, match="expected a JSON object for Target, got NoneType"):
        conv.structure(None, pkg.Target)
