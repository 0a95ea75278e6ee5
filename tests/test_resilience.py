"""The runtime under faults and hostile responses: retries, resumable paging and delta, links, parsing.

Against tests/faultserver.py (a real aiohttp server on 127.0.0.1) where exact bytes on the wire
matter, and aioresponses where a canned answer is enough.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

import odatakit.http
from odatakit import MalformedResponse, ODataError
from odatakit.delta import Removed
from odatakit.errors import ConnectionFailed, retry_after_seconds

from .conftest import FIXTURES
from .faultserver import Fault, FaultServer


@pytest.fixture
def shop(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "keys.xml", "fx_keys")  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries wait no time (the delays asked for are recorded)."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(odatakit.http, "sleep", record)
    return recorded


@pytest.fixture
async def service() -> AsyncIterator[FaultServer]:
    server = FaultServer(page_size=10)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def ids(items: list[Any]) -> list[int]:
    return [item.id for item in items]


# -- retries ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "failures"),
    [
        # A broken connection is retried by the request (4 attempts), then the page is fetched again.
        ("drop", 5),
        ("drop_mid_body", 5),
        ("truncate", 5),
        # A body that is not JSON is no transport failure: only the page is fetched again (3 times).
        ("garbage", 3),
    ],
)
async def test_a_page_that_fails_is_fetched_again_and_nothing_is_lost_or_repeated(
    shop: ModuleType, service: FaultServer, kind: str, failures: int
) -> None:
    service.add_collection("customers", 35)
    failed = {"n": 0}

    def rule(request: web.Request, n: int) -> Fault | None:
        if "skiptoken=10" in request.path_qs and failed["n"] < failures:
            failed["n"] += 1
            return Fault(kind)
        return None

    service.faults = rule
    async with shop.ShopClient(service.base) as client:
        got = [c async for c in client.customers]
    assert ids(got) == list(range(1, 36))
    assert service.paths().count("/svc/customers?$skiptoken=10") == failures + 1


async def test_a_page_that_keeps_failing_ends_the_iteration_with_its_link_and_resume_goes_on(
    shop: ModuleType, service: FaultServer
) -> None:
    service.add_collection("customers", 35)
    broken = {"on": True}
    service.faults = lambda request, n: Fault("drop") if broken["on"] and "skiptoken=20" in request.path_qs else None
    got: list[Any] = []
    async with shop.ShopClient(service.base) as client:
        items = client.customers.iter()
        with pytest.raises(ConnectionFailed) as failed:
            async for customer in items:
                got.append(customer)
        link = f"{service.base}/customers?$skiptoken=20"
        assert failed.value.resume_link == link == items.checkpoint
        assert isinstance(failed.value, ODataError)
        broken["on"] = False
        got += [c async for c in client.customers.resume(failed.value.resume_link)]
    assert ids(got) == list(range(1, 36))  # every item once


async def test_the_checkpoint_of_an_iteration_stopped_mid_page_is_that_page(
    shop: ModuleType, service: FaultServer
) -> None:
    service.add_collection("customers", 25)
    async with shop.ShopClient(service.base) as client:
        items = client.customers.iter()
        seen = []
        async for customer in items:
            seen.append(customer.id)
            if customer.id == 15:
                break
        assert items.checkpoint == f"{service.base}/customers?$skiptoken=10"
        rest = [c.id async for c in client.customers.resume(items.checkpoint)]
    # At least once for the page being read: 11..15 come again, nothing is lost.
    assert rest == list(range(11, 26))


async def test_post_is_not_retried_and_a_dropped_connection_is_a_typed_error(shop: ModuleType) -> None:
    async with shop.ShopClient("https://svc.test/odata") as client:
        with aioresponses() as m:
            m.post("https://svc.test/odata/customers", exception=aiohttp.ClientPayloadError("cut"))
            with pytest.raises(ConnectionFailed) as failed:
                await client.customers.create(shop.Customer(name="x"))
    assert str(failed.value) == ("POST https://svc.test/odata/customers: connection failed: the response broke off: "
                                 "ClientPayloadError: cut")


@pytest.mark.parametrize(("value", "seconds"), [("2", 2.0), ("²", None), ("1.5", None), ("-1", None), ("٣", None),
                                               ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)])
def test_retry_after_is_digits_or_an_http_date(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=2_000_000_000.0) == seconds


async def test_a_retry_after_that_is_no_number_falls_back_to_backoff(
    shop: ModuleType, no_sleep: list[float]
) -> None:
    async with shop.ShopClient("https://svc.test/odata") as client:
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers(1)", status=429, headers={"Retry-After": "²"})
            m.get("https://svc.test/odata/customers(1)", payload={"id": 1})
            assert (await client.customers[1].get()).id == 1
    assert len(no_sleep) == 1 and 0.25 <= no_sleep[0] <= 0.5


# -- links -----------------------------------------------------------------------------------------
async def test_relative_links_resolve_per_rfc_3986(shop: ModuleType, service: FaultServer) -> None:
    service.relative_links = True
    service.add_collection("customers", 25)
    async with shop.ShopClient(service.base) as client:
        assert ids([c async for c in client.customers]) == list(range(1, 26))
    # `/svc/customers?...` against `.../svc/customers`: not `.../svc//svc/customers`.
    assert service.paths() == ["/svc/customers", "/svc/customers?$skiptoken=10", "/svc/customers?$skiptoken=20"]


@pytest.mark.parametrize("link", ["{self}", "", "{page2}"])
async def test_a_link_that_loops_ends_the_iteration_after_the_page_that_carried_it(
    shop: ModuleType, service: FaultServer, link: str
) -> None:
    def page(request: web.Request) -> dict[str, Any]:
        me = f"{service.base}/loop"
        target = link.format(self=me, page2=me + "?page=2")
        return {"value": [{"id": 1 if "page=2" not in request.path_qs else 2}], "@odata.nextLink": target}

    service.routes["/svc/loop"] = page
    async with shop.ShopClient(service.base) as client:
        got: list[Any] = []
        with pytest.raises(MalformedResponse, match="repeats a link already followed in this iteration"):
            async for customer in client.customers.resume(f"{service.base}/loop"):
                got.append(customer)
    assert ids(got) == ([1, 2] if link == "{page2}" else [1])
    assert len(service.requests) == len(got)


@pytest.mark.parametrize(("link", "sent"), [("//other.test/x", "https://other.test/x"),
                                            ("HTTP://other.test/y", "http://other.test/y")])
async def test_links_to_another_host_resolve_and_get_no_token(shop: ModuleType, link: str, sent: str) -> None:
    async with shop.ShopClient("https://svc.test/odata", "secret-token") as client:
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers", payload={"value": [{"id": 1}], "@odata.nextLink": link})
            m.get(sent, payload={"value": [{"id": 2}]})
            assert ids([c async for c in client.customers]) == [1, 2]
            sent_headers = [dict(call.kwargs["headers"]) for (method, url), calls in m.requests.items()
                            for call in calls if str(url) == sent]
    assert sent_headers and all("Authorization" not in h for h in sent_headers)


# -- parsing ---------------------------------------------------------------------------------------
async def test_json_nested_too_deeply_is_malformed_in_a_success_and_an_error(shop: ModuleType) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    async with shop.ShopClient("https://svc.test/odata") as client:
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers(1)", body=deep, content_type="application/json")
            with pytest.raises(MalformedResponse, match="nested too deeply"):
                await client.customers[1].get()
            m.get("https://svc.test/odata/customers(2)", status=400, body=deep, content_type="application/json")
            with pytest.raises(ODataError, match="non-JSON body"):
                await client.customers[2].get()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"id": 1}], "expected a JSON object for Customer, got list"),
        ({"id": "not a number"}, "Customer.id:"),
        ({"id": 1, "orders": [{"id": "not-a-guid", "customerId": 1}]}, "orders"),
    ],
)
async def test_a_body_that_does_not_fit_the_model_is_malformed_naming_where(
    shop: ModuleType, body: Any, message: str
) -> None:
    async with shop.ShopClient("https://svc.test/odata") as client:
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers(1)", payload=body)
            with pytest.raises(MalformedResponse) as bad:
                await client.customers[1].get()
    assert "the body does not fit the model" in str(bad.value) and message in str(bad.value)
    assert isinstance(bad.value.__cause__, TypeError | ValueError)


async def test_an_item_of_a_page_that_does_not_fit_is_malformed(shop: ModuleType) -> None:
    async with shop.ShopClient("https://svc.test/odata") as client:
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers", payload={"value": [{"id": 1}, "not an object"]})
            with pytest.raises(MalformedResponse, match="an item does not fit the model") as bad:
                await client.customers.get()
    assert bad.value.resume_link == "https://svc.test/odata/customers"


async def test_a_decompression_bomb_is_malformed_not_memory(shop: ModuleType, service: FaultServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(odatakit.http, "MAX_BODY", 1_000_000)
    bomb = gzip.compress(b'{"id": 1, "name": "' + b"a" * 5_000_000 + b'"}')

    def big(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    service.routes["/svc/customers(1)"] = big
    async with shop.ShopClient(service.base) as client:
        with pytest.raises(MalformedResponse, match="larger than 1000000 bytes"):
            await client.customers[1].get()


# -- delta -----------------------------------------------------------------------------------------
async def test_a_failed_delta_round_goes_on_from_its_checkpoint_and_the_token_comes_back_byte_for_byte(
    shop: ModuleType, service: FaultServer
) -> None:
    changes = [{"id": i, "name": f"v{i}"} for i in range(1, 26)]
    second = [{"id": 3, "@removed": {"reason": "deleted"}}, {"id": 4, "name": "v4b"}]
    service.add_delta("customers", [changes, second])
    broken = {"on": True}
    service.faults = lambda request, n: Fault("drop") if broken["on"] and "skiptoken=20" in request.path_qs else None
    async with shop.ShopClient(service.base) as client:
        delta = client.customers.track_changes()
        got: list[Any] = []
        with pytest.raises(ConnectionFailed):
            async for change in delta:
                got.append(change)
        assert delta.token is None and delta.checkpoint == f"{service.base}/customers?$skiptoken=20"
        broken["on"] = False
        got += [change async for change in delta]  # the same round, from where it stopped
        assert ids(got) == list(range(1, 26))
        assert delta.token == "1+r"
        nxt = client.customers.track_changes(token=delta.token)
        second_round = [change async for change in nxt]
    assert isinstance(second_round[0], Removed) and second_round[0].id == "3"
    assert second_round[1].name == "v4b"
    # The token went back as the service wrote it: `+` not turned into a space or `%20`.
    assert service.paths()[-1] == "/svc/customers?$deltatoken=1+r"


# -- $batch ----------------------------------------------------------------------------------------
async def test_a_batch_redirected_to_another_origin_is_not_followed(shop: ModuleType) -> None:
    async with shop.ShopClient("https://svc.test/odata", "token") as client:
        client = client.with_headers(Authorization="Bearer caller-set")
        with aioresponses() as m:
            m.post("https://svc.test/odata/$batch", status=307, headers={"Location": "https://evil.test/$batch"})
            with pytest.raises(ODataError, match="redirected to https://evil.test/\\$batch, which was not followed"):
                async with client.batch() as batch:
                    batch.add(client.customers[1].get())
            assert not [url for (_, url) in m.requests if "evil.test" in str(url)]


def test_service_answers_are_json_serialisable() -> None:
    # A guard for the fault server itself: the payloads it builds are plain JSON.
    server = FaultServer()
    server.add_collection("c", 3)
    assert json.loads(json.dumps(server.collections["c"])) == server.collections["c"]


async def test_no_credential_under_any_name_goes_to_another_origin(shop: ModuleType) -> None:
    async with shop.ShopClient("https://svc.test/odata", "token") as client:
        keyed = client.with_headers({"X-Api-Key": "k-123", "ConsistencyLevel": "eventual"})
        with aioresponses() as m:
            m.get("https://svc.test/odata/customers",
                  payload={"value": [{"id": 1}], "@odata.nextLink": "https://other.test/page2"})
            m.get("https://other.test/page2", status=302, headers={"Location": "https://third.test/page2"})
            m.get("https://third.test/page2", payload={"value": [{"id": 2}]})
            assert ids([c async for c in keyed.customers]) == [1, 2]
            sent = {str(url): dict(calls[0].kwargs["headers"]) for (_, url), calls in m.requests.items()}
    assert sent["https://svc.test/odata/customers"]["X-Api-Key"] == "k-123"
    for url in ("https://other.test/page2", "https://third.test/page2"):
        assert not {"Authorization", "X-Api-Key", "ConsistencyLevel"} & set(sent[url]), sent[url]
        assert sent[url]["Accept"] == "application/json"
