"""A fault-injecting OData service on 127.0.0.1 for the runtime's reliability tests.

It serves paged collections (`/svc/<name>`, `$skiptoken` paging, absolute or relative
nextLinks) and delta rounds of them (asked with `Prefer: odata.track-changes` or a
`$deltatoken`: `$skiptoken` pages ending with a deltaLink whose token holds a `+`), and any
extra route a test adds; every request is recorded with its raw path and query. Each request can be answered with a fault instead:

- ``drop``: the connection closes before any response;
- ``drop_mid_body``: the headers and half the body are sent, then the connection closes;
- ``stall``: no answer for `stall` seconds (past the client's timeout);
- ``status``: an error status (429, 503, 504) with `Retry-After` in seconds or as an HTTP date;
- ``truncate``: a 200 whose JSON body is cut short (no Content-Length, then the connection closes);
- ``garbage``: a 200 whose body is not JSON.

`faults` decides per request: a callable given the request and its number, or a rate with a
seeded random generator for the scenarios.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import attrs
from aiohttp import web
from aiohttp.test_utils import TestServer

FAULT_KINDS = ("drop", "drop_mid_body", "stall", "status", "truncate", "garbage")


@attrs.define
class Fault:
    """One fault to answer a request with."""

    kind: str
    status: int = 503
    #: `Retry-After` as seconds ("1") or as an HTTP date (True: one second from now), or None.
    retry_after: str | bool | None = None
    stall: float = 5.0


@attrs.define
class Recorded:
    """One request the server saw."""

    method: str
    path_qs: str
    headers: dict[str, str]
    fault: str | None
    body: bytes = b""


FaultRule = Callable[[web.Request, int], Fault | None]


class FaultServer:
    """The service, its data, its faults, and what it saw."""

    def __init__(self, *, page_size: int = 100, relative_links: bool = False) -> None:
        self.page_size = page_size
        self.relative_links = relative_links
        self.collections: dict[str, list[dict[str, Any]]] = {}
        #: name → rounds; each round a list of changes (entities or removals) for the same collection.
        self.delta_rounds: dict[str, list[list[dict[str, Any]]]] = {}
        self.requests: list[Recorded] = []
        self.faults: FaultRule = lambda request, n: None
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults_injected: Counter[str] = Counter()
        #: Extra routes: path → handler (for link, redirect and hostile-body scenarios).
        self.routes: dict[str, Callable[[web.Request], Any]] = {}
        self._server: TestServer | None = None
        self.base = ""

    # -- set-up ---------------------------------------------------------------------------------
    def add_collection(self, name: str, count: int) -> None:
        """A collection of `count` items with ids 1..count."""
        self.collections[name] = [{"id": i, "name": f"item {i}"} for i in range(1, count + 1)]

    def add_delta(self, name: str, rounds: list[list[dict[str, Any]]]) -> None:
        """Delta rounds of `name`: round 0 answers without a token, round k answers `$deltatoken=k`."""
        self.delta_rounds[name] = rounds

    def fault_rate(self, rate: float, seed: int, kinds: tuple[str, ...] = ("drop", "drop_mid_body", "status",
                                                                           "truncate")) -> None:
        """Answer about `rate` of the requests with one of `kinds`, chosen by a generator seeded with `seed`."""
        rng = random.Random(seed)

        def rule(request: web.Request, n: int) -> Fault | None:
            if rng.random() >= rate:
                return None
            kind = rng.choice(kinds)
            if kind == "status":
                return Fault("status", rng.choice([429, 503, 504]), retry_after=rng.choice(["0", True, None]))
            return Fault(kind)

        self.faults = rule

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.base = str(self._server.make_url("/svc"))

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            await self._server.close()

    # -- what was seen --------------------------------------------------------------------------
    def paths(self) -> list[str]:
        """The raw path and query of every request, in order."""
        return [r.path_qs for r in self.requests]

    # -- answering ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        n = len(self.requests)
        fault = self.faults(request, n)
        self.requests.append(Recorded(request.method, request.path_qs, dict(request.headers),
                                      fault.kind if fault else None, body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if fault is not None:
                self.faults_injected[fault.kind] += 1
                early = await self._early_fault(request, fault)
                if early is not None:
                    return early
            payload = self._payload(request)
            if isinstance(payload, web.StreamResponse):
                return payload
            data = json.dumps(payload).encode()
            if fault is not None:
                return await self._late_fault(request, fault, data)
            return web.Response(body=data, content_type="application/json")
        finally:
            self.in_flight -= 1

    async def _early_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse | None:
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=200)
        if fault.kind == "stall":
            await asyncio.sleep(fault.stall)
            return None
        if fault.kind == "status":
            headers = {}
            if fault.retry_after is True:
                headers["Retry-After"] = email.utils.formatdate(time.time() + 1, usegmt=True)
            elif isinstance(fault.retry_after, str):
                headers["Retry-After"] = fault.retry_after
            error = {"error": {"code": "Throttled" if fault.status == 429 else "Unavailable", "message": "try later"}}
            return web.json_response(error, status=fault.status, headers=headers)
        if fault.kind == "garbage":
            return web.Response(body=b"<html>gateway error</html>", content_type="application/json")
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

    def _link(self, path: str) -> str:
        return path if self.relative_links else f"{self.base.rsplit('/svc', 1)[0]}{path}"

    def _payload(self, request: web.Request) -> Any:
        path = request.path
        handler = self.routes.get(path)
        if handler is not None:
            return handler(request)
        parts = path.strip("/").split("/")
        name = parts[1] if len(parts) == 2 else None
        tracking = "track-changes" in request.headers.get("Prefer", "") or "$deltatoken" in raw_query(request)
        if name in self.delta_rounds and tracking:
            return self._delta(name, request)
        if name in self.collections:
            return self._page(name, request)
        return web.json_response({"error": {"code": "NotFound", "message": path}}, status=404)

    def _page(self, name: str, request: web.Request) -> dict[str, Any]:
        items = self.collections[name]
        start = int(raw_query(request).get("$skiptoken", "0"))
        end = start + self.page_size
        body: dict[str, Any] = {"value": items[start:end]}
        if end < len(items):
            body["@odata.nextLink"] = self._link(f"/svc/{name}?$skiptoken={end}")
        return body

    def _delta(self, name: str, request: web.Request) -> dict[str, Any]:
        rounds = self.delta_rounds[name]
        query = raw_query(request)
        token = query.get("$deltatoken")
        # The tokens the server hands out hold a '+': it must come back as it was sent.
        round_index = int(token.split("+")[0]) if token else 0
        changes = rounds[round_index] if round_index < len(rounds) else []
        start = int(query.get("$skiptoken", "0"))
        end = start + self.page_size
        body: dict[str, Any] = {"value": changes[start:end]}
        if end < len(changes):
            following = f"$deltatoken={token}&$skiptoken={end}" if token else f"$skiptoken={end}"
            body["@odata.nextLink"] = self._link(f"/svc/{name}?{following}")
        else:
            body["@odata.deltaLink"] = self._link(f"/svc/{name}?$deltatoken={round_index + 1}+r")
        return body


def raw_query(request: web.Request) -> dict[str, str]:
    """The query's names and values as sent, not form-decoded (a `+` stays a `+`)."""
    out: dict[str, str] = {}
    for part in request.raw_path.partition("?")[2].split("&"):
        name, _, value = part.partition("=")
        if name:
            out[unquote(name)] = value
    return out
