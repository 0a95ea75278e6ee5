"""`$batch` (odatakit/batch.py): typed operations of a generated client batched in JSON and multipart.

aioresponses answers the outer `POST $batch` through a callback that records it, so the tests
assert the exact JSON batch body and the exact multipart text that went out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import attrs
import pytest
from aioresponses import CallbackResult, aioresponses
from multidict import CIMultiDict

from odatakit.batch import Batch, BatchItem, _json_body_bytes, _parse_multipart
from odatakit.errors import (
    BadRequest,
    FailedDependency,
    MalformedResponse,
    NotFound,
    ODataError,
    ServerError,
)

from .conftest import FIXTURES

BASE = "https://svc.test/api"
BATCH_URL = f"{BASE}/$batch"


@pytest.fixture
def ops(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "operations.xml", "fx_ops")  # type: ignore[no-any-return]


def service(ops: ModuleType, **config: Any) -> Any:
    """The client class of the fixture with a known batch configuration (JSON, 20 per call, unless given)."""
    settings = {"json_batch": True, "batch_limit": 20, **config}
    return type("Api", (ops.ApiClient,), {"CONFIG": attrs.evolve(ops.ApiClient.CONFIG, **settings)})


@attrs.define
class Call:
    """One outer `$batch` request as the service saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def requests(self) -> list[dict[str, Any]]:
        return json.loads(self.body)["requests"]  # type: ignore[no-any-return]


Responder = Callable[[Call], CallbackResult]


def serve(m: aioresponses, responder: Responder, url: str = BATCH_URL) -> list[Call]:
    """Answer every `POST $batch` with `responder`; the list fills with the calls made."""
    calls: list[Call] = []

    def callback(_url: Any, **kwargs: Any) -> CallbackResult:
        call = Call(dict(kwargs["headers"]), kwargs["data"])
        calls.append(call)
        return responder(call)

    m.post(url, callback=callback, repeat=True)
    return calls


def json_service(answer: Callable[[dict[str, Any]], dict[str, Any]], *, reverse: bool = True) -> Responder:
    """A JSON batch endpoint: `answer(request)` gives each response (status, headers, body); ids added."""

    def respond(call: Call) -> CallbackResult:
        responses = [{"id": r["id"], **answer(r)} for r in call.requests]
        if reverse:  # responses may come in any order
            responses.reverse()
        return CallbackResult(status=200, payload={"responses": responses})

    return respond


BAD_B64 = base64.urlsafe_b64encode(b'{"error":{"code":"Bad","message":"no?"}}').decode().rstrip("=")


def not_found(what: str) -> dict[str, Any]:
    return {
        "status": 404,
        "headers": {"Content-Type": "application/json", "request-id": "r-9"},
        "body": {"error": {"code": "NotFound", "message": f"No document {what}", "target": "id"}},
    }


# -- JSON ---------------------------------------------------------------------------------------------
async def test_json_batch_of_get_post_patch_action_and_count_with_typed_results(ops: ModuleType) -> None:
    def answer(r: dict[str, Any]) -> dict[str, Any]:
        match r["method"], r["url"]:
            case "GET", "/documents('d1')":
                return {"status": 200, "body": {"@odata.etag": 'W/"1"', "id": "d1", "title": "One"}}
            case "POST", "/documents":
                return {
                    "status": 201,
                    "headers": {"Location": f"{BASE}/documents('d9')"},
                    "body": {"id": "d9", "title": "New"},
                }
            case "PATCH", "/documents('d1')":
                return {"status": 204}
            case "POST", "/documents('d1')/Test.Ops.publish":
                return {"status": 200, "body": {"id": "d1", "title": "Published"}}
            case "GET", "/documents/$count":
                return {"status": 200, "headers": {"Content-Type": "text/plain"}, "body": "42"}
            case "GET", "/documents('d1')/Test.Ops.related()":
                return {
                    "status": 200,
                    "body": {"value": [{"id": "d2"}], "@odata.nextLink": f"{BASE}/next?$skiptoken=2"},
                }
        raise AssertionError(r)

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(answer))
            # The second page of `related` is not the task's first request: it goes out directly.
            m.get(f"{BASE}/next?$skiptoken=2", payload={"value": [{"id": "d3"}]})
            async with client.batch() as batch:
                got = batch.add(client.documents["d1"].get())
                created = batch.add(client.documents.create(ops.Document(title="New")))
                updated = batch.add(client.documents["d1"].update(ops.Document(title="Renamed")))
                published = batch.add(client.documents["d1"].publish())
                counted = batch.add(client.documents.count_only())
                related = batch.add(client.documents["d1"].related())  # an awaitable query, not a coroutine
                assert not got.done()
            assert [str(u) for (_, u) in m.requests] == [BATCH_URL, f"{BASE}/next?$skiptoken=2"]

    assert len(calls) == 1
    assert calls[0].headers["Content-Type"] == "application/json"
    assert calls[0].headers["Prefer"] == "odata.continue-on-error"
    json_ct = {"content-type": "application/json"}
    assert json.loads(calls[0].body) == {
        "requests": [
            {"id": "1", "method": "GET", "url": "/documents('d1')"},
            {"id": "2", "method": "POST", "url": "/documents", "headers": json_ct, "body": {"title": "New"}},
            {"id": "3", "method": "PATCH", "url": "/documents('d1')", "headers": json_ct, "body": {"title": "Renamed"}},
            {"id": "4", "method": "POST", "url": "/documents('d1')/Test.Ops.publish", "headers": json_ct, "body": {}},
            {"id": "5", "method": "GET", "url": "/documents/$count", "headers": {"accept": "text/plain"}},
            {"id": "6", "method": "GET", "url": "/documents('d1')/Test.Ops.related()"},
        ]
    }
    one = got.result()
    assert type(one) is ops.Document and (one.id, one.title, one.odata_etag) == ("d1", "One", 'W/"1"')
    assert created.result() == ops.Document(id="d9", title="New")
    assert created.status == 201 and created.headers["location"] == f"{BASE}/documents('d9')"
    assert updated.result().title == "Renamed" and updated.status == 204
    assert published.result() == ops.Document(id="d1", title="Published")
    assert counted.result() == 42
    assert related.result() == [ops.Document(id="d2"), ops.Document(id="d3")]
    assert [i.id for i in batch.items] == ["1", "2", "3", "4", "5", "6"]
    assert got.exception() is None and got.done() and not got.cancelled()
    assert (got.method, got.url) == ("GET", "documents('d1')")
    assert repr(created) == "<BatchItem 2 POST documents done 201>"


async def test_depends_on_and_atomicity_groups_on_the_wire(ops: ModuleType) -> None:
    def answer(r: dict[str, Any]) -> dict[str, Any]:
        if r["id"] == "1":
            return {"status": 201, "body": {"id": "n1"}}
        if r["id"] == "2":
            return not_found("x")
        return {"status": 424, "body": {"error": {"code": "FailedDependency", "message": "dependency failed"}}}

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(answer))
            async with client.batch() as batch:
                created = batch.add(client.documents.create(ops.Document(title="A")))
                with batch.atomic():
                    deleted = batch.add(client.documents["x"].delete())
                    renamed = batch.add(client.documents["y"].update(ops.Document(title="B")), depends_on=[deleted])
                archived = batch.add(
                    client.documents["z"].archive(reason="old"), depends_on=[created, renamed, deleted], id="arch"
                )
    assert calls[0].requests == [
        {
            "id": "1",
            "method": "POST",
            "url": "/documents",
            "headers": {"content-type": "application/json"},
            "body": {"title": "A"},
        },
        {"id": "2", "method": "DELETE", "url": "/documents('x')", "atomicityGroup": "g1"},
        {
            "id": "3",
            "method": "PATCH",
            "url": "/documents('y')",
            "atomicityGroup": "g1",
            "dependsOn": ["2"],
            "headers": {"content-type": "application/json"},
            "body": {"title": "B"},
        },
        {
            "id": "arch",
            "method": "POST",
            "url": "/documents('z')/Test.Ops.archive",
            # A request of another atomicity group is named by its group, once.
            "dependsOn": ["1", "g1"],
            "headers": {"content-type": "application/json"},
            "body": {"reason": "old"},
        },
    ]
    assert created.result() == ops.Document(id="n1")
    assert (deleted.group, renamed.group, created.group) == ("g1", "g1", None)
    with pytest.raises(NotFound):
        deleted.result()
    assert isinstance(renamed.exception(), FailedDependency)
    assert isinstance(archived.exception(), FailedDependency) and archived.status == 424


async def test_item_errors_are_typed_and_the_rest_still_runs(ops: ModuleType) -> None:
    async def fails_before_sending() -> None:
        raise TypeError("bad argument")

    def answer(r: dict[str, Any]) -> dict[str, Any]:
        match r["url"]:
            case "/documents('nope')":
                return not_found("nope")
            case "/documents('boom')":
                return {"status": 500, "headers": {"Content-Type": "text/plain"}, "body": "kaput"}
            case "/documents('bad')":
                # A JSON error body the service wrote as a string with a non-JSON, non-text type: base64url.
                return {"status": 400, "headers": {"Content-Type": "application/problem"}, "body": BAD_B64}
            case "/documents('lost')":
                return {"status": 200, "body": {"id": "lost"}}
        return {"status": 200, "body": {"id": r["url"][12:-2]}}

    def respond(call: Call) -> CallbackResult:
        result = json_service(answer)(call)
        assert result.payload is not None
        result.payload["responses"] = [r for r in result.payload["responses"] if r["id"] != "5"]  # never answered
        return result

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, respond)
            async with client.batch() as batch:
                missing = batch.add(client.documents["nope"].get())
                early = batch.add(fails_before_sending())
                boom = batch.add(client.documents["boom"].get())
                bad = batch.add(client.documents["bad"].get())
                lost = batch.add(client.documents["lost"].get())
                fine = batch.add(client.documents["ok"].get(), depends_on=[early])
                fine2 = batch.add(client.documents["ok2"].get())
    assert [r["id"] for r in calls[0].requests] == ["1", "3", "4", "5", "7"]
    with pytest.raises(NotFound) as info:
        missing.result()
    err = info.value
    assert (err.status, err.code, err.message, err.target, err.request_id) == (
        404,
        "NotFound",
        "No document nope",
        "id",
        "r-9",
    )
    assert str(err) == f"GET {BASE}/documents('nope'): HTTP 404 NotFound: No document nope (request-id r-9)"
    assert missing.status == 404 and missing.headers["request-id"] == "r-9"
    assert isinstance(early.exception(), TypeError) and early.status is None and early.method is None
    boom_err = boom.exception()
    assert isinstance(boom_err, ServerError) and boom_err.message == "non-JSON body: kaput"
    bad_err = bad.exception()
    assert isinstance(bad_err, BadRequest) and (bad_err.code, bad_err.message) == ("Bad", "no?")
    with pytest.raises(MalformedResponse, match="the \\$batch response has no response for request 5"):
        lost.result()
    # A dependency that failed before it was sent fails its dependents here.
    with pytest.raises(FailedDependency, match="not sent: it depends on request 2, which failed"):
        fine.result()
    assert fine2.result() == ops.Document(id="ok2")


async def test_45_items_at_limit_20_make_three_calls(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 200, "body": {"id": r["url"][12:-2]}}))
            async with client.batch(limit=20) as batch:
                items = [batch.add(client.documents[f"d{i}"].get()) for i in range(45)]
    assert [len(c.requests) for c in calls] == [20, 20, 5]
    assert [r["id"] for c in calls for r in c.requests] == [str(i) for i in range(1, 46)]
    assert [item.result().id for item in items] == [f"d{i}" for i in range(45)]


async def test_default_limit_and_format_come_from_the_service_config(ops: ModuleType) -> None:
    async with service(ops, batch_limit=2)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 204}))
            async with client.batch() as batch:
                for i in range(5):
                    batch.add(client.documents[f"d{i}"].delete())
    assert [len(c.requests) for c in calls] == [2, 2, 1]
    assert batch.limit == 2 and batch.json
    with pytest.raises(ValueError, match="limit=0"):
        client.batch(limit=0)
    multipart = service(ops, json_batch=False)(BASE)
    assert not multipart.batch().json and multipart.batch(json=True).json


async def test_a_dependency_in_an_earlier_call_is_checked_locally(ops: ModuleType) -> None:
    def answer(r: dict[str, Any]) -> dict[str, Any]:
        return not_found("a") if r["url"] == "/documents('a')" else {"status": 204}

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(answer))
            async with client.batch(limit=2) as batch:
                a = batch.add(client.documents["a"].delete())
                b = batch.add(client.documents["b"].delete())
                c = batch.add(client.documents["c"].delete(), depends_on=[a])  # a failed: never sent
                d = batch.add(client.documents["d"].delete(), depends_on=[b])  # b succeeded: sent, no dependsOn
                e = batch.add(client.documents["e"].delete(), depends_on=[c])  # c failed here: never sent
    assert [[r["id"] for r in call.requests] for call in calls] == [["1", "2"], ["4"]]
    assert calls[1].requests == [{"id": "4", "method": "DELETE", "url": "/documents('d')"}]
    with pytest.raises(FailedDependency, match="not sent: it depends on request 1, which failed") as info:
        c.result()
    assert info.value.status == 424 and info.value.url == f"{BASE}/documents('c')" and c.status == 424
    assert isinstance(e.exception(), FailedDependency)
    assert b.result() is None and d.result() is None and d.status == 204


async def test_an_atomic_group_is_never_split(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 204}))
            async with client.batch(limit=3) as batch:
                batch.add(client.documents["a"].delete())
                batch.add(client.documents["b"].delete())
                with batch.atomic():
                    batch.add(client.documents["c"].delete())
                    batch.add(client.documents["d"].delete())
            assert [[r["id"] for r in call.requests] for call in calls] == [["1", "2"], ["3", "4"]]

            batch = client.batch(limit=2)
            with pytest.raises(ValueError, match="atomic\\(\\) group g1 has 3 requests, more than the 2 per"):
                async with batch:
                    with batch.atomic():
                        items = [batch.add(client.documents[k].delete()) for k in "xyz"]
            assert len(calls) == 2
            assert all(isinstance(item.exception(), ValueError) for item in items)


async def test_item_headers_come_from_its_client_and_its_request(ops: ModuleType) -> None:
    async with service(ops)(BASE, headers={"Prefer": "odata.maxpagesize=5"}) as client:
        tagged = client.with_headers({"X-Tag": "t"})
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 200, "body": {"value": []}}))
            async with client.batch() as batch:
                batch.add(tagged.documents.preference("return", "minimal").get())
    assert calls[0].requests == [
        {
            "id": "1",
            "method": "GET",
            "url": "/documents",
            "headers": {"x-tag": "t", "prefer": "odata.maxpagesize=5, return=minimal"},
        }
    ]
    assert calls[0].headers["Prefer"] == "odata.maxpagesize=5, odata.continue-on-error"


async def test_urls_of_the_service_are_sent_relative(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        other = service(ops)("https://other.test/api")
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 200, "body": {"id": "x"}}))
            m.get("https://other.test/api/documents('y')", payload={"id": "y"})
            m.get("https://elsewhere.test/documents('z')", payload={"id": "z"})
            async with client.batch() as batch:
                same = batch.add(client.send("GET", f"{BASE}/documents('x')?$select=id"))
                elsewhere = batch.add(client.send("GET", "https://elsewhere.test/documents('z')"))
                # Requests for another service are not batched: they go out directly.
                direct = batch.add(other.documents["y"].get())
            await other.close()
    assert [(r["id"], r["url"]) for r in calls[0].requests] == [("1", "/documents('x')?$select=id")]
    assert same.result().body == {"id": "x"} and elsewhere.result().body == {"id": "z"}
    assert elsewhere.method is None
    assert direct.result() == ops.Document(id="y") and direct.method is None


async def test_building_mistakes_are_refused(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            serve(m, json_service(lambda r: {"status": 204}))
            async with client.batch() as batch:
                first = batch.add(client.documents["a"].delete(), id="g1")
                with pytest.raises(ValueError, match="already used"):
                    batch.add(client.documents["b"].delete(), id="g1")
                with pytest.raises(ValueError, match="without blanks"):
                    batch.add(client.documents["b"].delete(), id="a b")
                with pytest.raises(TypeError, match="expected a coroutine"):
                    batch.add(42)  # type: ignore[arg-type]
                with pytest.raises(ValueError, match="items added to this batch"):
                    batch.add(client.documents["b"].delete(), depends_on=[client])  # type: ignore[list-item]
                with batch.atomic():
                    with pytest.raises(RuntimeError, match="do not nest"), batch.atomic():
                        pass
                    grouped = batch.add(client.documents["c"].delete())
            assert grouped.group == "g2"  # "g1" was taken by a request id
            with pytest.raises(RuntimeError, match="already sent"):
                batch.add(client.documents["d"].delete())  # the coroutine is closed: no "never awaited"
            with pytest.raises(RuntimeError, match="already sent"):
                await batch.send()
            assert first.result() is None
            assert await first is None


async def test_an_empty_batch_sends_nothing(ops: ModuleType) -> None:
    async def no_request() -> int:
        return 7

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 204}))
            async with client.batch() as batch:
                pass
            async with client.batch() as batch:
                seven = batch.add(no_request())
    assert calls == [] and seven.result() == 7


# -- multipart ------------------------------------------------------------------------------------
def multipart_service(body: str, boundary: str = "batchresponse_1") -> Responder:
    def respond(call: Call) -> CallbackResult:
        return CallbackResult(status=200, body=body.encode(), content_type=f"multipart/mixed; boundary={boundary}")

    return respond


MULTIPART_REQUEST = """\
--BATCH
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

GET documents('d1') HTTP/1.1


--BATCH
Content-Type: multipart/mixed; boundary=CHANGESET

--CHANGESET
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

POST documents HTTP/1.1
Content-Type: application/json
Content-Length: 15

{"title":"Né"}
--CHANGESET
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 3

PATCH documents('d2') HTTP/1.1
Content-Type: application/json
Content-Length: 13

{"title":"B"}
--CHANGESET--
--BATCH
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 4

DELETE documents('d3') HTTP/1.1
If-Match: *


--BATCH--
"""

# The GET has no Content-ID in the response (matched by position); the change set's parts are
# matched by Content-ID, in another order; bare LF line endings on purpose in the last part
# (some services write them).
MULTIPART_RESPONSE = (
    "--batchresponse_1\r\n"
    "Content-Type: application/http\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "\r\n"
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json;odata.metadata=minimal\r\n"
    "\r\n"
    '{"id":"d1","title":"One"}\r\n'
    "--batchresponse_1\r\n"
    "Content-Type: multipart/mixed; boundary=changesetresponse_1\r\n"
    "\r\n"
    "--changesetresponse_1\r\n"
    "Content-Type: application/http\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "Content-ID: 3\r\n"
    "\r\n"
    "HTTP/1.1 204 No Content\r\n"
    "\r\n"
    "\r\n"
    "--changesetresponse_1\r\n"
    "Content-Type: application/http\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "Content-ID: 2\r\n"
    "\r\n"
    "HTTP/1.1 201 Created\r\n"
    "Content-Type: application/json\r\n"
    "Location: https://svc.test/api/documents('d7')\r\n"
    "\r\n"
    '{"id":"d7","title":"N\\u00e9"}\r\n'
    "--changesetresponse_1--\r\n"
    "--batchresponse_1\n"
    "Content-Type: application/http\n"
    "Content-ID: 4\n"
    "\n"
    "HTTP/1.1 404 Not Found\n"
    "Content-Type: application/json\n"
    "\n"
    '{"error":{"code":"NotFound","message":"No document d3"}}\n'
    "--batchresponse_1--\n"
)


def normalized(call: Call) -> str:
    """The multipart text with the random boundaries named BATCH and CHANGESET (checked to be uuids)."""
    found = re.fullmatch(r"multipart/mixed; boundary=(batch_[0-9a-f-]{36})", call.headers["Content-Type"])
    assert found, call.headers["Content-Type"]
    text = call.body.decode().replace(found.group(1), "BATCH")
    changesets = set(re.findall(r"changeset_[0-9a-f-]{36}", text))
    assert len(changesets) <= 1
    for changeset in changesets:
        text = text.replace(changeset, "CHANGESET")
    return text


async def test_multipart_encoding_and_response_parsing(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, multipart_service(MULTIPART_RESPONSE))
            async with client.batch(json=False) as batch:
                got = batch.add(client.documents["d1"].get())
                with batch.atomic():
                    created = batch.add(client.documents.create(ops.Document(title="Né")))
                    updated = batch.add(client.documents["d2"].update(ops.Document(title="B")))
                deleted = batch.add(client.documents["d3"].delete(if_match="*"))
    assert len(calls) == 1
    assert calls[0].headers["Accept"] == "multipart/mixed"
    assert calls[0].headers["Prefer"] == "odata.continue-on-error"
    assert normalized(calls[0]) == MULTIPART_REQUEST.replace("\n", "\r\n")
    assert got.result() == ops.Document(id="d1", title="One")
    assert created.result() == ops.Document(id="d7", title="Né")
    assert created.status == 201 and created.headers["Location"] == f"{BASE}/documents('d7')"
    assert updated.result().title == "B" and updated.status == 204
    with pytest.raises(NotFound, match="No document d3"):
        deleted.result()


async def test_multipart_failed_change_set_and_positional_answers(ops: ModuleType) -> None:
    # No Content-IDs at all: part i answers request (or change set) i; the change set failed as a whole.
    response = (
        "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        '{"id":"d1"}\r\n'
        "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n\r\n"
        '{"error":{"code":"Conflict","message":"taken"}}\r\n'
        "--b--\r\n"
    )
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            serve(m, multipart_service(response, boundary='"b"'))
            async with client.batch(json=False) as batch:
                got = batch.add(client.documents["d1"].get())
                with batch.atomic():
                    a = batch.add(client.documents["a"].delete())
                    b = batch.add(client.documents["b"].delete())
                lost = batch.add(client.documents["c"].delete())
    assert got.result() == ops.Document(id="d1")
    for item in (a, b):
        exc = item.exception()
        assert isinstance(exc, ODataError) and (exc.status, exc.code, exc.message) == (409, "Conflict", "taken")
    assert isinstance(lost.exception(), MalformedResponse)


async def test_multipart_rules_get_in_change_set_and_dependencies(ops: ModuleType) -> None:
    def respond(call: Call) -> CallbackResult:
        ids = re.findall(r"Content-ID: (\w+)", call.body.decode())
        parts = "".join(
            f"--r\r\nContent-Type: application/http\r\nContent-ID: {i}\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
            for i in ids
        )
        return multipart_service(parts + "--r--\r\n", "r")(call)

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, respond)
            batch = client.batch(json=False)
            with pytest.raises(ValueError, match="GET documents\\('a'\\)\\) is in atomic\\(\\) group g1"):
                async with batch:
                    with batch.atomic():
                        item = batch.add(client.documents["a"].get())
            assert calls == [] and isinstance(item.exception(), ValueError)

            # No dependsOn in multipart: a dependent request goes in the next call.
            async with client.batch(json=False) as batch:
                a = batch.add(client.documents["a"].delete())
                b = batch.add(client.documents["b"].delete())
                c = batch.add(client.documents["c"].delete(), depends_on=[a])
                with batch.atomic():
                    d = batch.add(client.documents["d"].delete())
                    e = batch.add(client.documents["e"].delete(), depends_on=[d])  # same change set
    ids = [re.findall(r"Content-ID: (\w+)", call.body.decode()) for call in calls]
    assert ids == [["1", "2"], ["3", "4", "5"]]
    assert all(i.result() is None for i in (a, b, c, d, e))


def test_multipart_parser_edges() -> None:
    body = (
        b"preamble\r\n--x \r\nContent-Type: application/http\r\nContent-ID: <7>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}garbage\r\n--x--\r\nepilogue"
    )
    (answer,) = _parse_multipart(body, "x")
    assert not isinstance(answer, list)
    assert (answer.content_id, answer.status, answer.body) == ("7", 200, b"{}")
    with pytest.raises(ValueError, match="no HTTP status line"):
        _parse_multipart(b"--x\r\nContent-Type: application/http\r\n\r\nnonsense\r\n--x--", "x")


def test_json_bodies_by_media_type() -> None:
    assert _json_body_bytes({}, {"a": 1}) == (b'{"a":1}', True)
    assert _json_body_bytes(CIMultiDict({"content-type": "application/json"}), "s") == (b'"s"', True)
    assert _json_body_bytes({"Content-Type": "application/problem+json"}, "s") == (b'"s"', True)
    assert _json_body_bytes({"Content-Type": "text/plain; charset=utf-8"}, "42") == (b"42", False)
    assert _json_body_bytes({}, "42") == (b"42", False)
    assert _json_body_bytes({"Content-Type": "image/png"}, "AAEC_w") == (b"\x00\x01\x02\xff", False)
    assert _json_body_bytes({}, None) == (b"", False)


# -- the outer request failing, cancellation ------------------------------------------------------
async def test_outer_failure_fails_every_pending_item(ops: ModuleType) -> None:
    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            m.post(
                BATCH_URL, status=200, payload={"responses": [{"id": "1", "status": 204}, {"id": "2", "status": 204}]}
            )
            m.post(BATCH_URL, status=500, payload={"error": {"code": "Boom", "message": "down"}})
            batch = client.batch(limit=2)
            with pytest.raises(ServerError, match="HTTP 500 Boom: down") as info:
                async with batch:
                    items = [batch.add(client.documents[f"d{i}"].delete()) for i in range(4)]
            # The first call was answered; the second failed as a whole.
            assert [i.result() for i in items[:2]] == [None, None]
            assert items[2].exception() is info.value and items[3].exception() is info.value
            assert items[2].status is None

            m.post(BATCH_URL, status=200, body=b"<html>oops</html>", content_type="text/html")
            batch = client.batch()
            item = batch.add(client.documents["x"].delete())
            with pytest.raises(MalformedResponse, match="expected a JSON \\$batch response"):
                await batch.send()
            assert isinstance(item.exception(), MalformedResponse)


def _only_current_task() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


async def test_cancelling_send_cancels_every_item(ops: ModuleType) -> None:
    entered = asyncio.Event()

    async def hang(_url: Any, **_kwargs: Any) -> CallbackResult:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("not reached")

    items: list[BatchItem[Any]] = []

    async def run(client: Any) -> None:
        async with client.batch() as batch:
            items.append(batch.add(client.documents["a"].get()))
            items.append(batch.add(client.documents["b"].delete()))

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            m.post(BATCH_URL, callback=hang)
            task = asyncio.create_task(run(client))
            await entered.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert all(item.done() and item.cancelled() for item in items)
    with pytest.raises(asyncio.CancelledError):
        items[0].result()
    assert _only_current_task()


async def test_cancelling_while_items_prepare_and_failing_blocks(ops: ModuleType) -> None:
    gate = asyncio.Event()

    async def slow(client: Any) -> Any:
        await gate.wait()  # never opens
        return await client.documents["a"].get()

    async with service(ops)(BASE) as client:
        with aioresponses() as m:
            calls = serve(m, json_service(lambda r: {"status": 204}))
            batch: Batch = client.batch()
            first = batch.add(client.documents["b"].delete())
            waiting = batch.add(slow(client))
            sending = asyncio.create_task(batch.send())
            await asyncio.sleep(0.01)
            assert not sending.done()
            sending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sending
            assert first.cancelled() and waiting.cancelled()
            assert _only_current_task()

            # An exception inside the block: nothing is sent, the items are cancelled.
            with pytest.raises(KeyError):
                async with client.batch() as batch:
                    item = batch.add(client.documents["c"].delete())
                    raise KeyError("oops")
            assert item.cancelled() and calls == []
            assert _only_current_task()

            # A waiter cancelled while awaiting an item does not cancel the item.
            batch = client.batch()
            item = batch.add(client.documents["d"].delete())
            waiter = asyncio.create_task(_await_item(item))
            await asyncio.sleep(0)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            await batch.send()
            assert item.result() is None and len(calls) == 1


async def _await_item(item: BatchItem[Any]) -> Any:
    return await item
