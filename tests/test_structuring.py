"""The emitted structuring functions (`_structure*.py`) against the converter's general path.

Both must build equal objects (same class, values, explicit nulls, additional data, clean change
tracking) from any payload; for any payload the fast functions refuse, `Converter.structure`
must give exactly the general path's error.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odatakit import serde
from odatakit.serde import Converter, ODataObject, paused_gc

FIXTURES = Path(__file__).parent / "fixtures" / "csdl"


@pytest.fixture(scope="module")
def pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "query.xml", "fx_structuring")


# Valid and invalid JSON values per Edm type, as a service might send them.
_VALID: dict[str, st.SearchStrategy[Any]] = {
    "Edm.String": st.text(max_size=5),
    "Edm.Byte": st.integers(0, 255),
    "Edm.Int16": st.integers(-(2**15), 2**15 - 1),
    "Edm.Int32": st.integers(-(2**31), 2**31 - 1),
    "Edm.Int64": st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 10**6).map(str)),
    "Edm.Double": st.one_of(st.floats(allow_nan=False), st.integers(-5, 5), st.sampled_from(["INF", "-INF"])),
    "Edm.Decimal": st.one_of(st.integers(-100, 100), st.sampled_from([1.5, "2.25"])),
    "Edm.Boolean": st.booleans(),
    "Edm.DateTimeOffset": st.sampled_from(
        ["2017-04-15T03:00:50.7579581Z", "2017-04-15T03:00:50+02:00", "2017-04-15T03:00:50", "0001-01-01T00:00:00Z"]
    ),
    "Edm.Date": st.sampled_from(["2017-04-15", "0001-01-01"]),
    "Edm.TimeOfDay": st.sampled_from(["12:00:00", "23:59:59.1234567"]),
    "Edm.Duration": st.sampled_from(["PT6H", "P1DT0.5S", "-PT1M"]),
    "Edm.Guid": st.sampled_from(["01234567-89ab-cdef-0123-456789abcdef", "01234567-89AB-CDEF-0123-456789ABCDEF"]),
    "Edm.Binary": st.sampled_from(["AQID", "", "AQI="]),
}
_INVALID = st.sampled_from([True, "true", 3.5, 2**70, [], {}, "x", -1])


def _value(type_name: str, collection: bool, pkg: ModuleType, depth: int) -> st.SearchStrategy[Any]:
    registry = pkg._registry.REGISTRY
    if type_name.startswith("Edm."):
        one = _VALID.get(type_name, st.text(max_size=3))
    else:
        info = registry.info(type_name)
        if info.wire_names is not None:  # flags
            one = st.lists(st.sampled_from(sorted(info.wire_names.values())), max_size=2).map(",".join)
        elif not info.fields:  # an enum
            one = st.sampled_from([*[m.value for m in info.cls], "addedLater"])
        elif depth > 1:
            one = st.just({})
        else:
            one = _payload(info.cls, pkg, depth + 1)
    if collection:  # at the top, an item may be refused too: the whole array then takes the slow way
        item = st.one_of(one, st.none(), _INVALID) if depth == 0 else st.one_of(one, st.none())
        return st.lists(item, max_size=3)
    return one


def _payload(cls: type, pkg: ModuleType, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    fields = pkg._registry.REGISTRY.info_of(cls).fields
    entries = {
        f.wire: st.one_of(_value(f.type, f.collection, pkg, depth), st.none(), _INVALID)
        if depth == 0 else st.one_of(_value(f.type, f.collection, pkg, depth), st.none())
        for f in fields
    }
    extras = st.dictionaries(st.sampled_from(["@odata.etag", "unknown", "name@odata.annotation", "@x.y"]),
                             st.one_of(st.none(), st.text(max_size=3)), max_size=2)
    return st.fixed_dictionaries({}, optional=entries).flatmap(lambda d: extras.map(lambda e: {**d, **e}))


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", fn())
    except (TypeError, ValueError) as exc:
        return (type(exc).__name__, str(exc))


def _same(a: ODataObject, b: ODataObject, conv: Any) -> None:
    assert type(a) is type(b)
    assert a == b
    assert serde._nulls_of(a) == serde._nulls_of(b)
    assert list(a.additional_data.items()) == list(b.additional_data.items())
    assert a.changed_fields == b.changed_fields == frozenset()
    assert conv.unstructure(a) == conv.unstructure(b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_fast_and_general_paths_agree_on_any_payload(pkg: ModuleType, data: st.DataObject) -> None:
    _agree(pkg, pkg.Item, data.draw(_payload(pkg.Item, pkg)))


def _agree(pkg: ModuleType, cls: type[ODataObject], payload: dict[str, Any]) -> None:
    """Assert that `Converter.structure` and the general path give the same object or the same error."""
    conv = pkg.StoreClient("https://svc.test").converter
    general = _outcome(lambda: conv.cattrs.structure(payload, cls))
    public = _outcome(lambda: conv.structure(payload, cls))
    assert public[0] == general[0]
    if general[0] != "ok":
        assert public[1] == general[1]
        return
    _same(public[1], general[1], conv)
    # A payload the general path takes is taken by the fast function itself, not by the fallback.
    fast = pkg._registry.REGISTRY.decoders[cls.__odata_type__](payload)
    _same(fast, general[1], conv)


@pytest.fixture(scope="module")
def lists_pkg(generated_packages: Callable[..., ModuleType]) -> ModuleType:
    return generated_packages(FIXTURES / "collections.xml", "fx_structuring_lists")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_fast_and_general_paths_agree_on_every_kind_of_collection(lists_pkg: ModuleType, data: st.DataObject) -> None:
    _agree(lists_pkg, lists_pkg.Holder, data.draw(_payload(lists_pkg.Holder, lists_pkg)))


def test_collections_become_lists_of_their_own_item_by_item(lists_pkg: ModuleType) -> None:
    fast = lists_pkg._registry.REGISTRY.decoders["Lists.Model.Holder"]
    sent = {"id": "h", "names": ["a", None], "bytes": [0, 255], "counts": [-(2**31), None, 2**31 - 1],
            "totals": [1, "9007199254740993"], "ratios": [1, 2.5, "INF"], "switches": [True, None, False],
            "moments": ["2017-04-15T03:00:50.7579581Z"], "uids": ["01234567-89ab-cdef-0123-456789abcdef"],
            "anything": [{"a": 1}, [2], None], "colors": ["green", None], "rights": ["read,write"],
            "pairs": [{"left": 1, "flags": [True]}, None]}
    h = fast(sent)
    lists = [h.names, h.bytes, h.counts, h.totals, h.ratios, h.switches, h.moments, h.uids, h.anything,
             h.colors, h.rights, h.pairs, h.pairs[0].flags]
    # Lists of their own, never the JSON arrays: those stay as received, to find changes against.
    assert all(type(v) is list for v in lists)
    assert not any(v is w for v in lists for w in sent.values())
    assert h.names == ["a", None] and h.bytes == [0, 255] and h.counts == [-(2**31), None, 2**31 - 1]
    assert h.totals == [1, 9007199254740993] and h.ratios == [1, 2.5, float("inf")]
    assert h.switches == [True, None, False] and h.anything == [{"a": 1}, [2], None]
    assert h.moments == [datetime(2017, 4, 15, 3, 0, 50, 757958, tzinfo=UTC)]
    assert h.uids == [UUID("01234567-89ab-cdef-0123-456789abcdef")]
    assert h.colors == [lists_pkg.Color.GREEN, None] and h.rights == [lists_pkg.Access.READ | lists_pkg.Access.WRITE]
    assert h.pairs == [lists_pkg.Pair(left=1, flags=[True]), None]
    # The array sent is not the list kept: editing one leaves the other alone.
    assert h.names is not sent["names"] and h.anything is not sent["anything"]
    h.names.append("b")
    assert sent["names"] == ["a", None]


@pytest.mark.parametrize(
    ("wire", "value", "message"),
    [("counts", [1, 2**31], "Edm.Int32"), ("bytes", [256], "Edm.Byte"), ("switches", [1], "Edm.Boolean"),
     ("names", [1], "Edm.String"), ("ratios", [True], "Edm.Double"), ("colors", [[]], "Color"),
     ("pairs", ["x"], "")],
)
def test_a_refused_item_fails_with_its_path(lists_pkg: ModuleType, wire: str, value: list[Any], message: str) -> None:
    conv = lists_pkg.StoreClient("https://svc.test").converter
    with pytest.raises((TypeError, ValueError)) as info:
        conv.structure({"id": "h", wire: value}, lists_pkg.Holder)
    general = _outcome(lambda: conv.cattrs.structure({"id": "h", wire: value}, lists_pkg.Holder))
    assert (type(info.value).__name__, str(info.value)) == general
    assert wire in str(info.value) and message in str(info.value)


def test_fast_function_builds_derived_types_nested_nulls_and_extras(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    payload = {
        "@odata.etag": 'W/"1"', "@odata.type": "#q.SpecialItem", "id": "a", "extra": "x", "name": None,
        "tags": ["t", None], "colors": ["red", "blue"], "access": "read,write", "when": "2017-04-15T03:00:50.7579581Z",
        "shape": {"center": {"x": 1, "label": "c"}, "points": [{"x": 2.5}, None]},
        "parts": [{"id": 1, "item": {"id": "b"}}], "unknown": [1],
    }
    item = pkg._registry.REGISTRY.decoders["Query.Model.Item"](payload)
    assert type(item) is pkg.SpecialItem
    assert item.extra == "x" and item.name is None and serde._nulls_of(item) == {"name"}
    assert item.tags == ["t", None] and item.colors[0] is pkg.Color.RED and item.colors[1].value == "blue"
    assert item.access == pkg.Access.READ | pkg.Access.WRITE
    assert item.shape.center.x == 1 and item.shape.points[1] is None
    assert type(item.parts[0].item) is pkg.Item
    assert list(item.additional_data) == ["@odata.etag", "@odata.type", "unknown"]
    assert conv.unstructure(item) == {**payload, "colors": ["red", "blue"]}
    # Received objects track changes from here on, in the fields and in place in the lists.
    assert item.changed_fields == frozenset()
    item.name = "renamed"
    item.tags.append("u")
    item.shape.center.label = "d"
    assert item.changed_fields == {"name", "tags", "shape"}


def test_errors_come_from_the_general_path_with_the_property_path(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    with pytest.raises(ValueError, match=r"^Item\.active: Edm\.Boolean: expected true or false \(got 'true'\)$"):
        conv.structure({"id": "a", "active": "true"}, pkg.Item)
    with pytest.raises(TypeError, match=r"^Item\.tags: "):
        conv.structure({"id": "a", "tags": "abc"}, pkg.Item)
    with pytest.raises(ValueError, match=r"^Item\.quantity: Edm\.Int32: out of range"):
        conv.structure({"id": "a", "quantity": 2**40}, pkg.Item)
    # An unknown enum value misses the emitted lookup, which sends the object to the general path: there it
    # becomes a pseudo member, kept in the enum's table, which the emitted lookup finds from then on.
    fast = pkg._registry.REGISTRY.decoders["Query.Model.Item"]
    with pytest.raises(KeyError):
        fast({"id": "a", "color": "mauve"})
    assert conv.structure({"id": "a", "color": "mauve"}, pkg.Item).color is pkg.Color("mauve")
    assert fast({"id": "b", "color": "mauve"}).color is pkg.Color("mauve")
    with pytest.raises(ValueError, match=r"^Item\.color: "):
        conv.structure({"id": "a", "color": ["red"]}, pkg.Item)
    # An unhashable timestamp fails the emitted cache lookup; the general path names it.
    with pytest.raises(ValueError, match=r"^Item\.when: Edm\.DateTimeOffset: "):
        conv.structure({"id": "a", "when": ["2017-04-15T03:00:50Z"]}, pkg.Item)
    with pytest.raises(ValueError, match=r"^Item\.shape: Shape\.center: Point\.x: Edm\.Double: expected a number"):
        conv.structure({"id": "a", "shape": {"center": {"x": []}}}, pkg.Item)


def test_small_classes_are_built_inline_as_their_own_function_builds_them(pkg: ModuleType) -> None:
    import importlib
    import inspect

    module = importlib.import_module(f"{pkg.__name__}._structure")
    source = inspect.getsource(module._Shape)
    # Point (three single values) is built in Shape's function; Shape's list of Points still calls.
    assert "p = _new(Point)" in source and "_Point(v" not in source and "_Point(x, b, n)" in source
    conv = pkg.StoreClient("https://svc.test").converter
    for center in ({"x": 1.5, "label": "c", "cast": "k"}, {"x": 2, "label": None, "@odata.type": "#q.Point",
                                                            "other": [1]}, {}):
        shape = module._Shape({"name": "s", "center": center})
        alone = module._Point(center)
        assert type(shape.center) is type(alone) is pkg.Point
        assert shape.center == alone == conv.cattrs.structure(center, pkg.Point)
        assert serde._nulls_of(shape.center) == serde._nulls_of(alone)
        assert list(shape.center.additional_data.items()) == list(alone.additional_data.items())
        assert shape.center.changed_fields == frozenset()
        assert conv.unstructure(shape) == {"name": "s", "center": center}
    # A center that is not a JSON object is refused here, and the general path names it.
    with pytest.raises(AttributeError):
        module._Shape({"center": "here"})
    with pytest.raises(TypeError, match=r"^Shape\.center: "):
        conv.structure({"center": "here"}, pkg.Shape)


def test_a_lone_etag_is_kept_like_any_other_extra(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    fast = pkg._registry.REGISTRY.decoders["Query.Model.Item"]
    for payload in ({"@odata.etag": 'W/"1"', "id": "a"}, {"id": "a", "@odata.etag": 'W/"2"', "name": None},
                    {"@odata.etag": 'W/"3"', "id": "a", "@x.y": 1}, {"id": "a", "@odata.etag": None}):
        item, general = fast(payload), conv.cattrs.structure(payload, pkg.Item)
        _same(item, general, conv)
        assert conv.unstructure(item) == payload
    first, second = fast({"@odata.etag": 'W/"1"', "id": "a"}), fast({"@odata.etag": 'W/"1"', "id": "b"})
    first.additional_data["@odata.etag"] = 'W/"9"'  # each object has its own
    assert second.additional_data == {"@odata.etag": 'W/"1"'}


def test_user_hooks_switch_the_fast_path_off_for_nested_values_too(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    payload = {"id": "a", "shape": {"name": "s", "center": {"x": 1}}}
    assert conv.structure(payload, pkg.Item).shape.center.label is None

    def point(data: Any, cls: type) -> Any:
        return pkg.Point(x=data["x"], label="from the hook")

    conv.cattrs.register_structure_hook(pkg.Point, point)
    assert conv.structure(payload, pkg.Item).shape.center.label == "from the hook"


def test_paused_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller who paused it keeps it paused
    finally:
        gc.enable()


def test_a_large_pause_moves_its_objects_to_the_oldest_generation() -> None:
    class Node:
        pass

    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    dead = weakref.ref(cycle)
    del cycle
    with paused_gc():
        page = [[] for _ in range(50_000)]
    # No young collection is due over the page the pause made...
    assert gc.isenabled() and gc.get_count()[0] < 1_000 and gc.get_freeze_count() == 0
    assert gc.is_tracked(page[0])
    # ...and garbage moved along with it is still found by a full collection.
    assert dead() is not None
    gc.collect()
    assert dead() is None


def test_a_small_pause_or_frozen_objects_leave_the_generations_alone() -> None:
    gc.collect()
    with paused_gc():
        page = [[] for _ in range(100)]
    assert gc.get_count()[0] >= len(page)
    del page
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            page = [[] for _ in range(50_000)]
        # The application's frozen objects stay frozen (unfreezing would have emptied the count).
        assert gc.get_freeze_count() > frozen // 2 > 0 and len(page) == 50_000
    finally:
        gc.unfreeze()


def test_a_page_sized_pause_also_leaves_no_young_collection_due() -> None:
    gc.collect()
    threshold0 = gc.get_threshold()[0]
    with paused_gc():
        page = [[] for _ in range(threshold0 * 3)]  # a 50-event Graph page makes about 2,000
    assert gc.get_count()[0] < threshold0 and gc.is_tracked(page[0])


def test_odata_type_on_a_type_nothing_derives_from_changes_nothing(pkg: ModuleType) -> None:
    conv = Converter(pkg._registry.REGISTRY)  # not the client's: another test adds a hook for Point
    for odata_type in ("#q.Shape", "#q.Point", "#Unknown.Type"):
        payload = {"@odata.type": odata_type, "x": 1.5}
        fast = conv.structure(payload, pkg.Point)
        _same(fast, conv.cattrs.structure(payload, pkg.Point), conv)
        assert type(fast) is pkg.Point and fast.x == 1.5
        assert fast.additional_data == {"@odata.type": odata_type}


def test_structure_many_gives_typed_items_in_order(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    items = conv.structure_many([{"id": str(i), "quantity": i} for i in range(5)], pkg.Item)
    assert [(type(i).__name__, i.id, i.quantity) for i in items] == [("Item", str(i), i) for i in range(5)]
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("payload", "extra", "nulls"),
    [
        ({"id": "a", "@odata.etag": 'W/"1"'}, {"@odata.etag": 'W/"1"'}, set()),
        ({"id": "a", "@odata.etag": None}, {"@odata.etag": None}, set()),
        ({"@odata.etag": 'W/"1"'}, {"@odata.etag": 'W/"1"'}, set()),
        ({"id": "a", "@odata.etag": 'W/"1"', "name": None}, {"@odata.etag": 'W/"1"'}, {"name"}),
        ({"name": None, "id": "a"}, {}, {"name"}),
        ({"x@odata.a": 1, "id": "a", "@odata.etag": "e", "name": None, "y": None},
         {"x@odata.a": 1, "@odata.etag": "e", "y": None}, {"name"}),
        ({"id": None, "name": None}, {}, {"id", "name"}),
    ],
)
def test_extras_and_explicit_nulls_are_kept_in_order(
    pkg: ModuleType, payload: dict[str, Any], extra: dict[str, Any], nulls: set[str]
) -> None:
    fast = pkg._registry.REGISTRY.decoders["Query.Model.Item"](payload)
    assert list(fast.additional_data.items()) == list(extra.items())
    assert serde._nulls_of(fast) == nulls
    _same(fast, pkg.StoreClient("https://svc.test").converter.cattrs.structure(payload, pkg.Item),
          pkg.StoreClient("https://svc.test").converter)


def test_structure_many_falls_back_per_item_like_structure(pkg: ModuleType) -> None:
    conv = pkg.StoreClient("https://svc.test").converter
    # Items are structured one by one (a float for an Int32 passes the Edm decoder, a derived
    # type is dispatched); an item the emitted function refuses gets the general path's error.
    values = [{"id": "0"}, {"id": "1", "quantity": 1.0}, {"@odata.type": "#q.SpecialItem", "id": "2", "extra": "x"}]
    many = conv.structure_many(values, pkg.Item)
    one_by_one = [conv.structure(v, pkg.Item) for v in values]
    assert [type(i) for i in many] == [pkg.Item, pkg.Item, pkg.SpecialItem]
    for a, b in zip(many, one_by_one, strict=True):
        _same(a, b, conv)
    for bad in ([{"id": "0"}, {"id": "1", "active": "true"}], [{"id": "0"}, "not an object"]):
        with pytest.raises((TypeError, ValueError)) as many_error:
            conv.structure_many(bad, pkg.Item)
        with pytest.raises((TypeError, ValueError)) as one_error:
            [conv.structure(v, pkg.Item) for v in bad]
        assert (type(many_error.value), str(many_error.value)) == (type(one_error.value), str(one_error.value))
    # A class the package emitted no function for goes through `structure` item by item.
    assert conv.structure_many(iter([]), ODataObject) == []


def test_the_timestamp_table_reads_single_timestamps_and_items_alike(
    pkg: ModuleType, lists_pkg: ModuleType
) -> None:
    import importlib
    import inspect
    import subprocess
    import sys

    lists = importlib.import_module(f"{lists_pkg.__name__}._structure")
    items = importlib.import_module(f"{pkg.__name__}._structure")
    # collections.xml has a collection of timestamps only; query.xml a single one (`when`). The table
    # decodes a miss itself, so neither module needs the Edm.DateTimeOffset decoder (ruff: no unused name).
    assert "_DTO_SEEN[x]" in inspect.getsource(lists) and "_datetimeoffset" not in inspect.getsource(lists)
    assert "else _DTO_SEEN[v]" in inspect.getsource(items) and "_datetimeoffset" not in inspect.getsource(items)
    for module in (lists, items):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F", "--no-cache", module.__file__ or ""],
            capture_output=True, text=True, check=False,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_a_chunked_package_calls_other_modules_by_their_names_in_the_registry_namespace(
    generated_packages: Callable[..., ModuleType],
) -> None:
    import importlib
    import inspect

    chunked = generated_packages(FIXTURES / "query.xml", "fx_structuring_chunked", chunk_size=3)
    registry = importlib.import_module(f"{chunked.__name__}._registry").REGISTRY
    module = importlib.import_module(f"{chunked.__name__}.{registry.structure_module('Query.Model.Item')}")
    source = inspect.getsource(module)
    assert registry.namespace == "Query.Model"
    assert "_decoders = REGISTRY.decoders\n" in source and '_decoders["Person"](v, b)' in source
    payload = {"id": "a", "owner": {"id": 1, "name": "o"}, "parts": [{"id": 2}, None],
               "shape": {"name": "s", "points": [{"x": 1.5}]}}
    conv = chunked.StoreClient("https://svc.test").converter
    fast = registry.decoders["Query.Model.Item"](payload)
    assert fast == conv.cattrs.structure(payload, chunked.Item) and type(fast.owner) is chunked.Person
    # A name without a dot is one of the registry's namespace; a qualified name is looked up as it is.
    decoders = registry.decoders
    assert decoders["Person"] is decoders["Query.Model.Person"]
    with pytest.raises(KeyError):
        decoders["Nothing"]
