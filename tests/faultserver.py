"""A fault-injecting OData service on 127.0.0.1 for the runtime's reliability tests.

It serves paged collections (`/<root>/<name>`, `$skiptoken` paging, absolute or relative
nextLinks, under whatever first segment the request used: `/svc`, `/v1.0`), single entities
(`/<root>/<name>(<id>)`), delta rounds of a collection (asked with `Prefer: odata.track-changes`
or a `$deltatoken`: `$skiptoken` pages ending with a deltaLink whose token holds a `+`), a JSON
`$batch` endpoint (OData 4.01: `{"requests": [...]}` answered from the same data) and any extra
route a test adds; every request is recorded with its raw path and query, its headers, its body
and when it arrived. Each request can be answered with a fault instead:

- ``drop``: the connection closes before any response (a reset, for a `$batch` too);
- ``drop_mid_body``: the headers and half the body are sent, then the connection closes;
- ``stall``: no answer for `stall` seconds (past the client's timeout), then the answer;
- ``status``: an error status (429, 503, 504) with `Retry-After` in seconds, as an HTTP date, or
  any text (``"²"``); counted under the status (``"429"``);
- ``truncate``: a 200 whose JSON body is cut short (chunked, then the connection closes);
- ``garbage``: a 200 whose body is not JSON;
- ``nested`` / ``nested_error``: a 200 / a 400 whose body is JSON nested 100,000 levels deep;
- ``gzip_bomb``: a 200 with `Content-Encoding: gzip` that expands to `size` bytes;
- ``bad_gzip``: a 200 with `Content-Encoding: gzip` whose body is not gzip;
- ``redirect``: a 307 to `location` (another origin's `$batch`, say).

`faults` decides per request: a callable given the request and its number, or a rate with a
seeded random generator for the scenarios (`fault_rate`).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer

FAULT_KINDS = ("drop", "drop_mid_body", "stall", "status", "truncate", "garbage", "nested", "nested_error",
               "gzip_bomb", "bad_gzip", "redirect")
#: What `fault_rate` injects unless told otherwise: everything a flaky network or service does.
FLAKY = ("drop", "drop_mid_body", "stall", "status", "truncate", "garbage")

#: JSON nested deeper than any parser should follow.
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000

_ENTITY = re.compile(r"(?P<name>[^/()]+)\((?P<key>\d+)\)")


@attrs.define
class Fault:
    """One fault to answer a request with."""

    kind: str
    status: int = 503
    #: `Retry-After` as text ("1", "²") or as an HTTP date (True: `date_in` seconds from now), or None.
    retry_after: str | bool | None = None
    stall: float = 5.0
    #: ``gzip_bomb``: the size of the body once decompressed.
    size: int = 1 << 30
    #: ``redirect``: the `Location`.
    location: str = ""
    #: ``status`` with an HTTP-date `Retry-After`: how far ahead the date is (whole seconds, rounded down).
    date_in: float = 1.0


@attrs.define
class Recorded:
    """One request the server saw."""

    method: str
    path_qs: str
    headers: dict[str, str]
    fault: str | None
    body: bytes = b""
    #: `time.time()` when the request arrived (its body read).
    at: float = 0.0
    #: For a 429/503/504 with `Retry-After`: the earliest `time.time()` the client was asked to come back.
    retry_at: float | None = None


FaultRule = Callable[[web.Request, int], Fault | None]


class FaultServer:
    """The service, its data, its faults, and what it saw."""

    def __init__(self, *, page_size: int = 100, relative_links: bool = False, latency: float = 0.0) -> None:
        self.page_size = page_size
        self.relative_links = relative_links
        #: Seconds every answer waits (in flight), so concurrent requests overlap at the server.
        self.latency = latency
        self.collections: dict[str, list[dict[str, Any]]] = {}
        #: name → rounds; each round a list of changes (entities or removals) for the same collection.
        self.delta_rounds: dict[str, list[list[dict[str, Any]]]] = {}
        #: The `$deltatoken` the deltaLink ending round k hands out (k = 0, 1...): it holds a `+`.
        self.delta_token: Callable[[int], str] = lambda k: f"{k + 1}+r"
        self.requests: list[Recorded] = []
        #: The requests inside `$batch` calls: (method, url, headers) as the batch carried them.
        self.batch_items: list[tuple[str, str, dict[str, str]]] = []
        self.faults: FaultRule = lambda request, n: None
        self.in_flight = 0
        self.max_in_flight = 0
        #: Faults by kind (a status fault under its status: "429", "503", "504").
        self.faults_injected: Counter[str] = Counter()
        #: Extra routes: path → handler (for link, redirect and hostile-body scenarios).
        self.routes: dict[str, Callable[[web.Request], Any]] = {}
        self._server: TestServer | None = None
        # Handlers still running (a stall outlives the client that gave up on it): ended by `close`.
        self._handlers: set[asyncio.Task[Any]] = set()
        self.base = ""
        self.origin = ""

    # -- set-up ---------------------------------------------------------------------------------
    def add_collection(self, name: str, count: int) -> None:
        """A collection of `count` items with ids 1..count."""
        self.collections[name] = [{"id": i, "name": f"item {i}"} for i in range(1, count + 1)]

    def add_delta(self, name: str, rounds: list[list[dict[str, Any]]]) -> None:
        """Delta rounds of `name`: round 0 answers without a token, round k the token round k-1's deltaLink gave."""
        self.delta_rounds[name] = rounds

    def fault_rate(self, rate: float, seed: int, kinds: tuple[str, ...] = ("drop", "drop_mid_body", "status",
                                                                           "truncate"),
                   *, statuses: tuple[int, ...] = (429, 503, 504), retry_after: tuple[str | bool | None, ...] = (
                       "0", True, None), stall: float = 5.0, only: Callable[[web.Request], bool] | None = None) -> None:
        """Answer about `rate` of the requests with one of `kinds`, chosen by a generator seeded with `seed`.

        A status fault takes one of `statuses` and one of `retry_after` (True: an HTTP date);
        `only` limits the faults to the requests it accepts.
        """
        rng = random.Random(seed)

        def rule(request: web.Request, n: int) -> Fault | None:
            if only is not None and not only(request):
                return None
            if rng.random() >= rate:
                return None
            kind = rng.choice(kinds)
            if kind == "status":
                return Fault("status", rng.choice(statuses), retry_after=rng.choice(retry_after))
            return Fault(kind, stall=stall)

        self.faults = rule

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.base = str(self._server.make_url("/svc"))
        self.origin = self.base.rsplit("/svc", 1)[0]

    async def close(self) -> None:
        """Stop listening, and end the handlers still running (stalls whose client is gone)."""
        if self._server is not None:
            await self._server.close()
        pending = [task for task in self._handlers if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    # -- what was seen --------------------------------------------------------------------------
    def paths(self) -> list[str]:
        """The raw path and query of every request, in order."""
        return [r.path_qs for r in self.requests]

    # -- answering ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        body = await request.read()
        n = len(self.requests)
        fault = self.faults(request, n)
        record = Recorded(request.method, request.path_qs, dict(request.headers), fault.kind if fault else None, body,
                          time.time())
        self.requests.append(record)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            if fault is not None:
                self.faults_injected[str(fault.status) if fault.kind == "status" else fault.kind] += 1
                early = await self._early_fault(request, fault, record)
                if early is not None:
                    return early
            payload = self._payload(request, body)
            if isinstance(payload, web.StreamResponse):
                return payload
            data = json.dumps(payload).encode()
            if fault is not None and fault.kind in ("drop_mid_body", "truncate"):
                return await self._late_fault(request, fault, data)
            return web.Response(body=data, content_type="application/json")
        finally:
            self.in_flight -= 1

    async def _early_fault(self, request: web.Request, fault: Fault, record: Recorded) -> web.StreamResponse | None:
        kind = fault.kind
        if kind == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        if kind == "stall":
            await asyncio.sleep(fault.stall)
            return None
        if kind == "status":
            headers = {}
            if fault.retry_after is True:
                when = int(time.time() + fault.date_in)  # an HTTP date has whole seconds
                headers["Retry-After"] = email.utils.formatdate(when, usegmt=True)
                record.retry_at = float(when)
            elif isinstance(fault.retry_after, str):
                headers["Retry-After"] = fault.retry_after
                if fault.retry_after.isascii() and fault.retry_after.isdigit():
                    record.retry_at = record.at + int(fault.retry_after)
            error = {"error": {"code": "Throttled" if fault.status == 429 else "Unavailable", "message": "try later"}}
            return web.json_response(error, status=fault.status, headers=headers)
        if kind == "garbage":
            return web.Response(body=b"<html>gateway error</html>", content_type="application/json")
        if kind in ("nested", "nested_error"):
            return web.Response(body=DEEP_JSON, status=200 if kind == "nested" else 400,
                                content_type="application/json")
        if kind == "gzip_bomb":
            return web.Response(body=gzip_bomb(fault.size),
                                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        if kind == "bad_gzip":
            return web.Response(body=b'{"id": 1, "name": "not gzip"}',
                                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        if kind == "redirect":
            return web.Response(status=307, headers={"Location": fault.location})
        return None

    async def _late_fault(self, request: web.Request, fault: Fault, data: bytes) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        if fault.kind == "drop_mid_body":
            response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        assert request.transport is not None
        request.transport.close()
        return response

    def _link(self, root: str, rest: str) -> str:
        path = f"/{root}/{rest}"
        return path if self.relative_links else f"{self.origin}{path}"

    def _payload(self, request: web.Request, body: bytes) -> Any:
        path = request.path
        handler = self.routes.get(path)
        if handler is not None:
            return handler(request)
        parts = path.strip("/").split("/")
        if len(parts) != 2:
            return _not_found(path)
        root, name = parts
        if name == "$batch" and request.method == "POST":
            return self._batch(root, body)
        if request.method != "GET":
            return _not_found(path)
        tracking = "track-changes" in request.headers.get("Prefer", "") or "$deltatoken" in raw_query(request)
        if name in self.delta_rounds and tracking:
            return self._delta(root, name, raw_query(request))
        if name in self.collections:
            return self._page(root, name, raw_query(request))
        entity = self._entity(name)
        return entity if entity is not None else _not_found(path)

    def _entity(self, segment: str) -> dict[str, Any] | None:
        found = _ENTITY.fullmatch(segment)
        items = self.collections.get(found["name"]) if found else None
        if found is None or items is None:
            return None
        index = int(found["key"]) - 1
        return items[index] if 0 <= index < len(items) and items[index]["id"] == index + 1 else None

    def _page(self, root: str, name: str, query: dict[str, str]) -> dict[str, Any]:
        items = self.collections[name]
        start = int(query.get("$skiptoken", "0"))
        end = start + self.page_size
        body: dict[str, Any] = {"value": items[start:end]}
        if end < len(items):
            body["@odata.nextLink"] = self._link(root, f"{name}?$skiptoken={end}")
        return body

    def _delta(self, root: str, name: str, query: dict[str, str]) -> Any:
        rounds = self.delta_rounds[name]
        token = query.get("$deltatoken")
        # The tokens the server hands out hold a '+': it must come back as it was sent.
        round_index = 0
        if token is not None:
            known = {self.delta_token(k): k + 1 for k in range(len(rounds))}
            if token not in known:
                return web.json_response({"error": {"code": "BadToken", "message": f"unknown $deltatoken {token}"}},
                                         status=400)
            round_index = known[token]
        changes = rounds[round_index] if round_index < len(rounds) else []
        start = int(query.get("$skiptoken", "0"))
        end = start + self.page_size
        body: dict[str, Any] = {"value": changes[start:end]}
        if end < len(changes):
            following = f"$deltatoken={token}&$skiptoken={end}" if token else f"$skiptoken={end}"
            body["@odata.nextLink"] = self._link(root, f"{name}?{following}")
        else:
            body["@odata.deltaLink"] = self._link(root, f"{name}?$deltatoken={self.delta_token(round_index)}")
        return body

    def _batch(self, root: str, body: bytes) -> Any:
        """A JSON `$batch` (OData 4.01): each request answered from the collections, in order."""
        try:
            requests = json.loads(body)["requests"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": {"code": "BadRequest", "message": "not a JSON batch"}}, status=400)
        responses = []
        for entry in requests:
            method, url = entry.get("method", "GET"), entry.get("url", "")
            headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
            self.batch_items.append((method, url, headers))
            path, _, query_text = url.lstrip("/").partition("?")
            query = _raw_query_of(query_text)
            answer: Any = None
            if method == "GET" and path in self.collections:
                answer = self._page(root, path, query)
            elif method == "GET":
                answer = self._entity(path)
            if answer is None:
                responses.append({"id": entry.get("id"), "status": 404,
                                  "body": {"error": {"code": "NotFound", "message": url}}})
            else:
                responses.append({"id": entry.get("id"), "status": 200,
                                  "headers": {"content-type": "application/json"}, "body": answer})
        return {"responses": responses}


def _not_found(path: str) -> web.Response:
    return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """A gzip body of about size/1000 bytes that decompresses to `size` bytes of one JSON string."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    out = [compressor.compress(b'{"id": 1, "name": "')]
    chunk = b"a" * (1 << 20)
    left = max(0, size - 22)
    while left > 0:
        out.append(compressor.compress(chunk[:left]))
        left -= len(chunk)
    out.append(compressor.compress(b'"}'))
    out.append(compressor.flush())
    return b"".join(out)


def raw_query(request: web.Request) -> dict[str, str]:
    """The query's names and values as sent, not form-decoded (a `+` stays a `+`)."""
    return _raw_query_of(request.raw_path.partition("?")[2])


def _raw_query_of(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split("&"):
        name, _, value = part.partition("=")
        if name:
            out[unquote(name)] = value
    return out
