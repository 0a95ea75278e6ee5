"""Functional tests: generate from a fixture, import it, structure/unstructure, send requests.

HTTP is checked with aioresponses: exact methods, URLs, headers and JSON bodies.
"""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from aioresponses import aioresponses

from odatakit import ODataError

from .conftest import FIXTURES


def sent(m: aioresponses) -> list[tuple[str, str, Any]]:
    """(method, URL, decoded JSON body) of every request aioresponses saw, in order."""
    out = []
    for (method, url), calls in m.requests.items():
        for call in calls:
            data = call.kwargs.get("data")
            out.append((method, str(url), json.loads(data) if data else None))
    return out


@pytest.fixture
def inheritance(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "inheritance.xml", "fx_inheritance")  # type: ignore[no-any-return]


@pytest.fixture
def keys(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "keys.xml", "fx_keys")  # type: ignore[no-any-return]


@pytest.fixture
def enums(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "enums.xml", "fx_enums")  # type: ignore[no-any-return]


@pytest.fixture
def ops(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "operations.xml", "fx_ops")  # type: ignore[no-any-return]


@pytest.fixture
def segment_keys(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "keys.xml", "fx_keys_segment", key_as_segment=True)  # type: ignore[no-any-return]


def test_inheritance_across_namespaces_and_polymorphic_values(inheritance: ModuleType) -> None:
    pkg = inheritance
    conv = pkg.LibraryClient("https://svc.test").converter
    data = {
        "@odata.type": "#Test.Media.Document",
        "@odata.etag": 'W/"7"',
        "id": "d1",
        "title": "Report",
        "pages": 12,
        "shape": {"@odata.type": "#base.Circle", "radius": 2.5},
        "outline": [
            {"@odata.type": "#Test.Base.Circle", "radius": 1.0},
            {"@odata.type": "#Test.Media.LabeledCircle", "radius": 3.0, "label": "big", "extra": True},
        ],
        "dynamicProp": {"nested": [1, 2]},
        "title@odata.mediaReadLink": "x",
    }
    item = conv.structure(data, pkg.Item)
    assert type(item) is pkg.Document
    assert isinstance(item, pkg.Item)
    assert item.pages == 12 and item.title == "Report"
    assert type(item.shape) is pkg.Circle and item.shape.radius == 2.5
    assert [type(s).__name__ for s in item.outline] == ["Circle", "LabeledCircle"]
    assert item.outline[1].label == "big"
    assert item.outline[1].additional_data == {"@odata.type": "#Test.Media.LabeledCircle", "extra": True}
    assert item.additional_data["dynamicProp"] == {"nested": [1, 2]}
    assert item.odata_etag == 'W/"7"'
    assert conv.unstructure(item) == data


def test_user_built_derived_value_gets_odata_type(inheritance: ModuleType) -> None:
    pkg = inheritance
    conv = pkg.LibraryClient("https://svc.test").converter
    photo = pkg.Photo(id="p1", taken_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC), tags=["a"])
    assert conv.unstructure(photo) == {"id": "p1", "tags": ["a"], "takenAt": "2024-05-01T12:00:00Z"}
    doc = pkg.Document(id="d", shape=pkg.Circle(radius=1.5))
    # The property is declared as the abstract Shape: the derived value must say what it is.
    assert conv.unstructure(doc)["shape"] == {"@odata.type": "#Test.Base.Circle", "radius": 1.5}


def test_class_level_fields_are_typed_paths(inheritance: ModuleType) -> None:
    pkg = inheritance
    assert pkg.Photo.taken_at.path == "takenAt"
    assert pkg.Photo.id.path == "id"  # inherited from Test.Base.Entity, another namespace
    assert pkg.Photo.title.path == "title"  # inherited from Test.Media.Item
    assert pkg.Document.shape.name.path == "shape/name"
    assert pkg.Photo.taken_at.type_name == "Edm.DateTimeOffset"
    photo = pkg.Photo(id="x", width=3)
    assert photo.width == 3  # instances still read values
    with pytest.raises(AttributeError, match="has no member 'radius'"):
        _ = pkg.Document.shape.radius  # on the derived Circle only: needs a cast


def test_explicit_nulls_and_unknown_properties_round_trip(keys: ModuleType) -> None:
    conv = keys.ShopClient("https://svc.test").converter
    data = {"id": 5, "name": None, "unknown": None, "@odata.context": "$metadata#customers/$entity"}
    customer = conv.structure(data, keys.Customer)
    assert customer.name is None
    assert conv.unstructure(customer) == data
    assert conv.unstructure(keys.Customer(id=5)) == {"id": 5}


def test_enums_flags_and_unknown_members(enums: ModuleType) -> None:
    pkg = enums
    conv = pkg.EnumsClient("https://svc.test").converter if hasattr(pkg, "EnumsClient") else None
    if conv is None:
        from odatakit.serde import Converter

        conv = Converter(pkg.Settings.__module__ and __import__(f"{pkg.__name__}._registry", fromlist=["x"]).REGISTRY)
    assert issubclass(pkg.Permissions, enum.Flag)
    assert pkg.Color.GREEN.value == "green"
    data = {"color": "green", "importance": "somethingNew", "permissions": "read,write", "history": ["read", "delete"]}
    s = conv.structure(data, pkg.Settings)
    assert s.color is pkg.Color.GREEN
    assert s.importance.value == "somethingNew"  # a member the model does not know yet
    assert s.permissions == pkg.Permissions.READ | pkg.Permissions.WRITE
    assert s.history == [pkg.Permissions.READ, pkg.Permissions.DELETE]
    assert conv.unstructure(s) == data
    assert conv.unstructure(pkg.Settings(permissions=pkg.Permissions.NONE)) == {"permissions": "none"}
    with pytest.raises(ValueError, match="unknown member 'execute'"):
        conv.structure({"permissions": "read,execute"}, pkg.Settings)


async def test_keys_containment_and_composite_keys(keys: ModuleType) -> None:
    pkg = keys
    order_id = UUID("c2d5e1a0-0000-4000-8000-000000000001")
    async with pkg.ShopClient("https://svc.test/odata/", lambda: _token("t0k")) as client:
        assert client.customers[42].addresses[7].absolute_url == "https://svc.test/odata/customers(42)/addresses(7)"
        line = client.orders[order_id].lines[(order_id, 3)]
        assert line.absolute_url == (
            f"https://svc.test/odata/orders({order_id})/lines(orderId={order_id},lineNumber=3)"
        )
        assert client.products["a/b+c='d'"].absolute_url == "https://svc.test/odata/products('a%2Fb%2Bc=''d''')"
        assert client.me.orders.absolute_url == "https://svc.test/odata/me/orders"
        with pytest.raises(TypeError, match="needs a key of 2 value"):
            _ = client.orders[order_id].lines[order_id]
        with aioresponses() as m:
            m.get(
                f"https://svc.test/odata/orders({order_id})",
                payload={"id": str(order_id), "customerId": 42, "total": 12.5},
            )
            m.get(
                "https://svc.test/odata/customers(42)/orders",
                payload={"value": [{"id": str(order_id), "customerId": 42}], "@odata.nextLink": "https://svc.test/odata/customers(42)/orders?$skiptoken=2"},
            )
            m.get(
                "https://svc.test/odata/customers(42)/orders?$skiptoken=2",
                payload={"value": [{"id": "c2d5e1a0-0000-4000-8000-000000000002", "customerId": 42}]},
            )
            m.post("https://svc.test/odata/customers", status=201, payload={"id": 43, "name": "New"})
            m.patch("https://svc.test/odata/customers(43)", status=204)
            m.delete("https://svc.test/odata/customers(43)", status=204)
            order = await client.orders[order_id].get()
            assert order.id == order_id and order.total == Decimal("12.5")
            listed = await client.customers[42].orders.get()
            assert [o.id for o in listed] == [order_id, UUID("c2d5e1a0-0000-4000-8000-000000000002")]
            created = await client.customers.create(pkg.Customer(name="New"))
            assert created == pkg.Customer(id=43, name="New")
            await client.customers[43].update(pkg.Customer(name="Renamed"))
            await client.customers[43].delete()
            assert [(mth, url, body) for mth, url, body in sent(m)] == [
                ("GET", f"https://svc.test/odata/orders({order_id})", None),
                ("GET", "https://svc.test/odata/customers(42)/orders", None),
                ("GET", "https://svc.test/odata/customers(42)/orders?$skiptoken=2", None),
                ("POST", "https://svc.test/odata/customers", {"name": "New"}),
                ("PATCH", "https://svc.test/odata/customers(43)", {"name": "Renamed"}),
                ("DELETE", "https://svc.test/odata/customers(43)", None),
            ]
            auth = {c.kwargs["headers"].get("Authorization") for calls in m.requests.values() for c in calls}
            assert auth == {"Bearer t0k"}


async def test_key_as_segment_encodes_graph_ids(segment_keys: ModuleType) -> None:
    async with segment_keys.ShopClient("https://graph.test/v1.0") as client:
        assert client.products["AAMkAGI2TG93AAA="].absolute_url == "https://graph.test/v1.0/products/AAMkAGI2TG93AAA="
        assert client.products["a/b+c"].absolute_url == "https://graph.test/v1.0/products/a%2Fb%2Bc"
        assert client.customers[7].absolute_url == "https://graph.test/v1.0/customers/7"


async def _token(value: str) -> str:
    return value


async def test_bound_and_unbound_operations(ops: ModuleType) -> None:
    pkg = ops
    async with pkg.ApiClient("https://svc.test") as client:
        with aioresponses() as m:
            m.post("https://svc.test/documents('d1')/Test.Ops.archive", status=204)
            m.post(
                "https://svc.test/documents('d1')/Test.Ops.publish",
                payload={"@odata.context": "$metadata#documents/$entity", "id": "d1", "title": "T"},
            )
            m.get("https://svc.test/documents('d1')/Test.Ops.related()", payload={"value": [{"id": "d2"}]})
            m.get("https://svc.test/documents/Test.Ops.stats()", payload={"count": 3})
            m.post("https://svc.test/reset", status=204)
            m.get("https://svc.test/search(query='it''s')", payload={"value": [{"id": "d3"}]})
            m.get("https://svc.test/search(query='x',top=5)", payload={"value": []})
            m.get("https://svc.test/round(value=1.25)", payload={"value": 1.3})
            assert await client.documents["d1"].archive(reason="old") is None
            published = await client.documents["d1"].publish()
            assert (published.id, published.title) == ("d1", "T")
            assert published.additional_data == {"@odata.context": "$metadata#documents/$entity"}
            related = await client.documents["d1"].related()
            assert related == [pkg.Document(id="d2")]
            stats = await client.documents.stats()
            assert stats == pkg.Stats(count=3)
            await client.reset()
            assert await client.search(query="it's") == [pkg.Document(id="d3")]
            assert await client.search(query="x", top=5) == []
            assert await client.round(value=Decimal("1.25")) == Decimal("1.3")
            bodies = [(mth, url, body) for mth, url, body in sent(m)]
            assert bodies[0] == ("POST", "https://svc.test/documents('d1')/Test.Ops.archive", {"reason": "old"})
            assert bodies[1] == ("POST", "https://svc.test/documents('d1')/Test.Ops.publish", {})


async def test_http_errors_become_odata_errors(ops: ModuleType) -> None:
    async with ops.ApiClient("https://svc.test") as client:
        with aioresponses() as m:
            m.get(
                "https://svc.test/documents('nope')",
                status=404,
                payload={"error": {"code": "NotFound", "message": "No document nope", "target": "id"}},
                headers={"request-id": "r-1"},
            )
            m.get("https://svc.test/documents('html')", status=502, body="<html>Bad gateway</html>")
            with pytest.raises(ODataError) as info:
                await client.documents["nope"].get()
            assert (info.value.status, info.value.code, info.value.message, info.value.target) == (
                404, "NotFound", "No document nope", "id",
            )
            assert info.value.request_id == "r-1"
            assert str(info.value) == "GET https://svc.test/documents('nope'): HTTP 404 NotFound: No document nope (request-id r-1)"
            with pytest.raises(ODataError, match="HTTP 502: non-JSON body: <html>Bad gateway</html>"):
                await client.documents["html"].get()


def test_token_is_not_sent_to_a_foreign_host(ops: ModuleType) -> None:
    client = ops.ApiClient("https://svc.test/api")
    assert client._same_origin("https://svc.test/api/next?$skiptoken=1")
    assert not client._same_origin("https://evil.test/api/next")
    assert not client._same_origin("http://svc.test/api/next")


def test_generated_package_import_leaves_out_lxml_and_jinja2(generated_packages: Any) -> None:
    pkg = generated_packages(FIXTURES / "keys.xml", "fx_keys")
    folder = str(sys.modules[pkg.__name__].__path__[0]).rsplit("/", 1)[0]
    code = (
        "import sys; import fx_keys; from fx_keys import Customer, ShopClient; "
        "c = ShopClient('https://x').converter.structure({'id': 1}, Customer); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lxml', 'jinja2', 'markdown_it', 'generator')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reading_payloads_leaves_out_the_http_stack(generated_packages: Any) -> None:
    """aiohttp, yarl and asyncio load with the first request or batch, cattrs with the general path."""
    pkg = generated_packages(FIXTURES / "keys.xml", "fx_keys")
    folder = str(sys.modules[pkg.__name__].__path__[0]).rsplit("/", 1)[0]
    stack = "('aiohttp', 'yarl', 'asyncio', 'cattrs')"
    code = (
        "import sys; import odatakit; from fx_keys import Customer, ShopClient; "
        "client = ShopClient('https://x', lambda: 'token'); "
        "c = client.converter.structure({'id': 1}, Customer); "
        "url = client.customers.filter(Customer.id == 1).url; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({stack}))); "
        "odatakit.Batch; client.converter.cattrs; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({stack})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "['asyncio', 'cattrs']"]


def test_package_import_is_lazy(generated_packages: Any) -> None:
    pkg = generated_packages(FIXTURES / "keys.xml", "fx_keys")
    folder = str(sys.modules[pkg.__name__].__path__[0]).rsplit("/", 1)[0]
    code = (
        "import sys; import fx_keys; before = 'fx_keys.models' in sys.modules; "
        "fx_keys.Customer; print(before, 'fx_keys.models' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"


def test_awkward_names_construct_and_round_trip(generated_packages: Any) -> None:
    pkg = generated_packages(FIXTURES / "names.xml", "fx_names")
    conv = pkg.ContainerClient("https://svc.test").converter
    thing = pkg.Thing(id="1", class_="c", from_=datetime(2024, 1, 1, tzinfo=UTC), import_=True, type="t",
                      additional_data_="x", foo_bar=1, foo_bar_2=2)
    assert conv.unstructure(thing) == {
        "id": "1", "class": "c", "from": "2024-01-01T00:00:00Z", "import": True, "type": "t",
        "additional_data": "x", "fooBar": 1, "foo_bar": 2,
    }
    lst = conv.structure({"id": "l", "self": "me", "items": [{"id": "1", "class": "k"}]}, pkg.List)
    assert lst.self_ == "me" and lst.items[0].class_ == "k"
    assert pkg.Thing.class_.path == "class"
