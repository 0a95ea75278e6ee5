"""The reliability scenarios: each drives a generated client through a `FaultServer` and counts.

The functions take the generated `fx_keys` module (`shop`) and sizes; they return `Figures` (or
`HostileCase` rows) and never assert: callers (tests/test_reliability.py, `python -m
tests.reliability`) check `Figures.failed()` and the fields they care about.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
from aiohttp import web

import odatakit.http
from odatakit import BadRequest, MalformedResponse, ODataError, Removed, TooManyRequests
from odatakit.errors import ConnectionFailed
from odatakit.http import HttpRequest, HttpResponse

from ..faultserver import FLAKY, Fault, FaultServer, gzip_bomb

ROOT = Path(__file__).resolve().parents[2]
#: The `Retry-After` forms the flaky scenarios send: seconds, an HTTP date (True) and none (backoff).
RETRY_AFTER: tuple[str | bool | None, ...] = ("1", True, None)


@attrs.define
class Figures:
    """What one scenario did and saw."""

    name: str
    size: str
    requests: int = 0
    faults: Counter[str] = attrs.field(factory=Counter)
    #: Attempts the request's `RetryMiddleware` sent again.
    request_retries: int = 0
    #: Pages fetched again (`page_attempts`), resumes included.
    page_retries: int = 0
    #: Times the scenario iterated a failed delta round again (its only manual recovery).
    resumes: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    wall: float = 0.0
    #: Other figures worth a line (max in flight, the Retry-After margin, the cuts...).
    notes: dict[str, Any] = attrs.field(factory=dict)
    #: Guarantee → held.
    checks: dict[str, bool] = attrs.field(factory=dict)

    def failed(self) -> list[str]:
        """The checks that did not hold."""
        return [name for name, held in self.checks.items() if not held]

    def faults_text(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items())) or "none"


class Attempts:
    """Middleware that counts: `outer` sees one call per request, `inner` every attempt.

    A page fetched again is a second call for the same URL within one `operation` (set it
    when operations that each read a URL once run one after another).
    """

    def __init__(self) -> None:
        self.calls = 0
        self.attempts = 0
        self.urls: Counter[tuple[int, str]] = Counter()
        self.operation = 0

    async def outer(self, request: HttpRequest, call_next: Callable[[HttpRequest], Awaitable[HttpResponse]]
                    ) -> HttpResponse:
        self.calls += 1
        self.urls[(self.operation, request.url)] += 1
        return await call_next(request)

    async def inner(self, request: HttpRequest, call_next: Callable[[HttpRequest], Awaitable[HttpResponse]]
                    ) -> HttpResponse:
        self.attempts += 1
        return await call_next(request)

    def counted(self, client: Any) -> Any:
        return client.with_middleware(self.outer, outer=True).with_middleware(self.inner)

    def fill(self, figures: Figures, server: FaultServer) -> None:
        """The server's and the client's counts into `figures`."""
        figures.requests, figures.faults = len(server.requests), server.faults_injected
        figures.request_retries = self.attempts - self.calls
        figures.page_retries = self.calls - len(self.urls)
        # aiohttp itself sends an idempotent request once more, unseen by odatakit, when the kept-alive
        # connection it was sent on closes before any answer (a `drop` fault on a reused connection).
        figures.notes[RESENT] = len(server.requests) - self.attempts


RESENT = "resent by aiohttp itself (kept-alive connection closed before the answer)"


@contextlib.asynccontextmanager
async def running(*servers: FaultServer) -> AsyncIterator[None]:
    for server in servers:
        await server.start()
    try:
        yield
    finally:
        for server in servers:
            await server.close()


def _tally(figures: Figures, got: list[Any], expected: list[Any]) -> None:
    figures.delivered += len(got)
    figures.lost += len(set(expected) - set(got))
    figures.duplicated += len(got) - len(set(got))


# -- 1. paging ---------------------------------------------------------------------------------------
async def paging(shop: ModuleType, *, items: int = 10_000, page_size: int = 100, rate: float = 0.1, seed: int = 9,
                 timeout: float = 0.5, stall: float = 1.0) -> Figures:
    """`async for item in client.customers` over `items` items with `rate` of the requests faulty."""
    figures = Figures("paging", f"{items:,} items, pages of {page_size}, {rate:.0%} faults")
    server = FaultServer(page_size=page_size)
    server.add_collection("customers", items)
    server.fault_rate(rate, seed, FLAKY, retry_after=RETRY_AFTER, stall=stall)
    attempts = Attempts()
    async with running(server), shop.ShopClient(server.base, timeout=timeout) as client:
        customers = attempts.counted(client).customers
        started = time.perf_counter()
        got = [customer.id async for customer in customers]  # no recovery code: the runtime's retries only
        figures.wall = time.perf_counter() - started
    attempts.fill(figures, server)
    _tally(figures, got, list(range(1, items + 1)))
    figures.checks = {
        f"{items:,} delivered in order": got == list(range(1, items + 1)),
        "faults were injected": sum(server.faults_injected.values()) > 0,
    }
    return figures


# -- 2. delta ----------------------------------------------------------------------------------------
def delta_rounds(changes: int) -> list[list[dict[str, Any]]]:
    """Round 0 lists every item; round 1 renames four in five and removes the fifth."""
    first = [{"id": i, "name": f"r0 {i}"} for i in range(1, changes + 1)]
    second = [{"id": i, "@removed": {"reason": "deleted"}} if i % 5 == 0 else {"id": i, "name": f"r1 {i}"}
              for i in range(1, changes + 1)]
    return [first, second]


def _change_key(change: Any) -> tuple[str, int, str]:
    if isinstance(change, Removed):
        return ("removed", int(change.id or 0), "")
    return ("changed", change.id, change.name)


def _expected_key(entry: dict[str, Any]) -> tuple[str, int, str]:
    if "@removed" in entry:
        return ("removed", entry["id"], "")
    return ("changed", entry["id"], entry["name"])


async def delta(shop: ModuleType, *, changes: int = 5_000, page_size: int = 100, rate: float = 0.1, seed: int = 17,
                timeout: float = 0.5, stall: float = 1.0, max_resumes: int = 200, retry: dict[str, Any] | None = None
                ) -> Figures:
    """Two delta rounds of `changes` changes each under faults; the second starts from the first's token.

    `retry` changes the client's retry policy (`with_retry(**retry)`): `{"max_attempts": 1}` turns
    every retry off, so each fault ends the round and the scenario iterates it again.
    """
    name = "delta" if retry is None else "delta, " + ", ".join(f"{k}={v}" for k, v in retry.items())
    figures = Figures(name, f"2 rounds of {changes:,} changes, pages of {page_size}, {rate:.0%} faults")
    server = FaultServer(page_size=page_size)
    rounds = delta_rounds(changes)
    server.add_delta("customers", rounds)
    server.fault_rate(rate, seed, FLAKY, retry_after=RETRY_AFTER, stall=stall)
    attempts = Attempts()
    exact: list[bool] = []
    tokens: list[str | None] = []
    async with running(server), shop.ShopClient(server.base, timeout=timeout) as client:
        customers = attempts.counted(client.with_retry(**retry) if retry else client).customers
        started = time.perf_counter()
        token: str | None = None
        for expected in rounds:
            round_ = customers.track_changes(token=token)
            got: list[tuple[str, int, str]] = []
            while True:
                try:
                    async for change in round_:
                        got.append(_change_key(change))
                    break
                except ODataError:
                    # Past the page's own retries: iterate the same round again, from its checkpoint.
                    figures.resumes += 1
                    if figures.resumes > max_resumes:
                        raise
            token = round_.token
            tokens.append(token)
            wanted = [_expected_key(entry) for entry in expected]
            _tally(figures, got, wanted)
            exact.append(got == wanted)
        figures.wall = time.perf_counter() - started
    attempts.fill(figures, server)
    sent_back = [path for path in server.paths() if "$deltatoken=1+r" in path]
    figures.checks = {
        "every change exactly once per round": all(exact) and len(exact) == 2,
        "tokens handed out byte for byte": tokens == ["1+r", "2+r"],
        "the stored token went back as written (`1+r`)": bool(sent_back),
        "faults were injected": sum(server.faults_injected.values()) > 0,
    }
    return figures


# -- 3. a burst of concurrent requests ---------------------------------------------------------------
async def burst(shop: ModuleType, *, requests: int = 1_000, limit: int = 64, rate: float = 0.05, seed: int = 3,
                latency: float = 0.05, tolerance: float = 0.005) -> Figures:
    """`requests` GETs at once through `Client(limit=limit)`, `rate` of them answered 429 with a `Retry-After`.

    Every answer takes `latency` seconds, so the requests pile up at the pool's limit. The server
    records when each 429 asked the client to come back (now + seconds, or the HTTP
    date) and when the retry (same `client-request-id`) arrived: no retry may come earlier than
    asked (less `tolerance` seconds for the clocks' resolution).
    """
    figures = Figures("burst", f"{requests:,} concurrent GETs, limit={limit}, {rate:.0%} 429s")
    server = FaultServer(latency=latency)
    server.add_collection("customers", requests)
    server.fault_rate(rate, seed, ("status",), statuses=(429,), retry_after=("1", True))
    attempts = Attempts()
    async with running(server), shop.ShopClient(server.base, limit=limit) as client:
        customers = attempts.counted(client).customers
        started = time.perf_counter()
        answers = await asyncio.gather(*(customers[i].get() for i in range(1, requests + 1)), return_exceptions=True)
        figures.wall = time.perf_counter() - started
    attempts.fill(figures, server)
    got = [a.id for a in answers if not isinstance(a, BaseException)]
    _tally(figures, got, list(range(1, requests + 1)))
    # Each 429 with its retry: the next request carrying the same client-request-id.
    by_id: dict[str, list[Any]] = {}
    for record in server.requests:
        rid = next((v for k, v in record.headers.items() if k.lower() == "client-request-id"), "")
        by_id.setdefault(rid, []).append(record)
    margins: list[float] = []
    for records in by_id.values():
        for asked, following in zip(records, records[1:], strict=False):
            if asked.retry_at is not None:
                margins.append(following.at - asked.retry_at)
    unanswered_429 = sum(1 for records in by_id.values() if records[-1].retry_at is not None)
    figures.notes.update({
        "max in flight at the server": server.max_in_flight,
        "429s whose retry was checked": len(margins),
        "earliest retry vs asked (ms)": round(min(margins) * 1000, 1) if margins else None,
        "errors": [repr(a) for a in answers if isinstance(a, BaseException)][:3],
    })
    figures.checks = {
        f"all {requests:,} answered": got == list(range(1, requests + 1)),
        f"never more than {limit} in flight at the server": server.max_in_flight <= limit,
        f"the burst filled the pool ({limit} in flight)": server.max_in_flight == limit,
        "Retry-After honoured (no retry earlier than asked)": bool(margins) and min(margins) >= -tolerance,
        "every 429 was retried": unanswered_429 == 0 and len(margins) == figures.faults["429"],
    }
    return figures


# -- 4. random cancellation, in a -X dev subprocess ------------------------------------------------------
def cancellation(shop: ModuleType, *, cuts: int = 200, seed: int = 4, timeout: float = 120.0) -> Figures:
    """`cuts` operations cancelled at random points, in `python -X dev -W error::ResourceWarning`.

    The child (tests/reliability/cancel.py) runs asyncio in debug mode, collects garbage, and
    prints its figures as JSON; anything on its stderr (an unclosed session, connector or
    transport, a task destroyed while pending, a coroutine never awaited, any warning) or an
    exit code other than 0 fails the scenario.
    """
    figures = Figures("cancellation", f"{cuts} random cuts (requests, pages, batches)")
    package = Path(str(shop.__file__)).resolve().parent
    command = [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-m", "tests.reliability.cancel",
               "--package-dir", str(package.parent), "--package", package.name, "--cuts", str(cuts),
               "--seed", str(seed)]
    started = time.perf_counter()
    child = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    figures.wall = time.perf_counter() - started
    report: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        report = json.loads(child.stdout.strip().splitlines()[-1]) if child.stdout.strip() else {}
    figures.requests = report.get("requests", 0)
    figures.faults = Counter(report.get("faults", {}))
    figures.request_retries = report.get("request_retries", 0)
    figures.page_retries = report.get("page_retries", 0)
    figures.delivered = report.get("completed", 0)
    outcomes = report.get("outcomes", {})
    figures.notes = {
        "outcomes": outcomes,
        "cut on the wire / between requests": (report.get("on_wire", 0), report.get("off_wire", 0)),
        "exit code": child.returncode,
        "stderr": child.stderr.strip()[:2000],
    }
    figures.checks = {
        "exit code 0": child.returncode == 0,
        "nothing on stderr (no unclosed session, connector, transport; no pending task; no warning)":
            child.stderr.strip() == "",
        f"{cuts} cuts made": report.get("cuts") == cuts,
        "no task left pending": report.get("pending_tasks") == 0,
        "cancellation never swallowed": outcomes.get("swallowed", 0) == 0,
        "a third of the cuts or more landed mid-operation": outcomes.get("cancelled", 0) >= cuts // 3,
        "cuts landed both on the wire and between requests": report.get("on_wire", 0) > 0 < report.get("off_wire", 0),
    }
    return figures


# -- 5. hostile answers --------------------------------------------------------------------------------
@attrs.define
class HostileCase:
    """One hostile answer and what the client made of it."""

    name: str
    expected: str
    outcome: str = ""
    held: bool = False
    requests: int = 0
    other_origin_requests: int = 0
    wall: float = 0.0


SECRETS = ("secret-token", "caller-secret", "item-secret")


def _leaked(server: FaultServer) -> bool:
    """Whether any credential reached `server` (a header, the URL or a body)."""
    for record in server.requests:
        if any(k.lower() == "authorization" for k in record.headers):
            return True
        text = " ".join([record.path_qs, json.dumps(record.headers), record.body.decode("utf-8", "replace")])
        if any(secret in text for secret in SECRETS):
            return True
    return False


@contextlib.contextmanager
def _max_body(limit: int) -> Iterator[None]:
    saved = odatakit.http.MAX_BODY
    odatakit.http.MAX_BODY = limit
    try:
        yield
    finally:
        odatakit.http.MAX_BODY = saved


@contextlib.contextmanager
def _recorded_sleeps() -> Iterator[list[float]]:
    """The delays asked of `odatakit.http.sleep`, passed on to whatever it is (a real sleep or a test's)."""
    asked: list[float] = []
    inner = odatakit.http.sleep

    async def record(seconds: float) -> None:
        asked.append(seconds)
        await inner(seconds)

    odatakit.http.sleep = record
    try:
        yield asked
    finally:
        odatakit.http.sleep = inner


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:150]}{'...' if len(text) > 150 else ''}"


async def hostile(shop: ModuleType, *, case_timeout: float = 60.0, bomb_size: int = 1 << 30,
                  max_body: int = 1_000_000) -> list[HostileCase]:
    """Every hostile answer, each under `asyncio.timeout(case_timeout)`: a typed error or the right result.

    The gzip bomb expands to `bomb_size` bytes (aiohttp stops it: more than 32 MiB out of one
    chunk); a body of four times `max_body` bytes, with `odatakit.http.MAX_BODY` lowered to
    `max_body` for the case, shows the runtime's own limit (256 MiB in all).
    """
    bomb = bomb_size
    gzip_bomb(bomb)  # made before the clock starts
    gzip_bomb(4 * max_body)
    cases: list[HostileCase] = []

    async def run(case: HostileCase, body: Callable[[FaultServer, FaultServer], Awaitable[tuple[bool, str]]],
                  **server_options: Any) -> None:
        here, other = FaultServer(**server_options), FaultServer()
        here.add_collection("customers", 25)
        other.add_collection("customers", 3)
        async with running(here, other):
            started = time.perf_counter()
            deadline = asyncio.timeout(case_timeout)
            try:
                async with deadline:
                    case.held, case.outcome = await body(here, other)
            except Exception as exc:  # a hang, or an outcome no case expects: this case fails, the others run
                hung = isinstance(exc, TimeoutError) and deadline.expired()
                case.held, case.outcome = False, f"no answer within {case_timeout:g} s" if hung else \
                    f"unexpected {_describe(exc)}"
            case.wall = time.perf_counter() - started
            case.requests, case.other_origin_requests = len(here.requests), len(other.requests)
            # The ports change from run to run; the figures should not.
            case.outcome = case.outcome.replace(here.origin, "<service>").replace(other.origin, "<other>")
        cases.append(case)

    def typed(exc: BaseException, cls: type[ODataError], needle: str) -> tuple[bool, str]:
        return isinstance(exc, cls) and needle in str(exc), _describe(exc)

    async def failure(operation: Awaitable[Any]) -> ODataError:
        try:
            await operation
        except ODataError as exc:
            return exc
        raise AssertionError("no error raised")

    # Deeply nested JSON -----------------------------------------------------------------------------
    async def nested_page(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("nested")
        async with shop.ShopClient(here.base) as client:
            exc = await failure(client.customers.get())
        held, text = typed(exc, MalformedResponse, "nested too deeply")
        return held and len(here.requests) == 1, text

    await run(HostileCase("deeply nested JSON in a 200 (a page)", "MalformedResponse, not fetched again"),
              nested_page)

    async def nested_error(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("nested_error")
        async with shop.ShopClient(here.base) as client:
            exc = await failure(client.customers[1].get())
        return typed(exc, BadRequest, "non-JSON body")

    await run(HostileCase("deeply nested JSON in a 400's error body", "BadRequest (the body quoted, not parsed)"),
              nested_error)

    # Retry-After: ² ------------------------------------------------------------------------------------
    async def superscript(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("status", 429, retry_after="²") if n == 0 else None
        with _recorded_sleeps() as asked:
            async with shop.ShopClient(here.base) as client:
                customer = await client.customers[7].get()
        held = customer.id == 7 and len(asked) == 1 and 0.25 <= asked[0] <= 0.5
        return held, f"the entity, after one retry waiting {asked[0]:.2f} s (backoff; '²' is no number)"

    await run(HostileCase("`Retry-After: ²` on a 429", "retried after the backoff, not 2 s: the entity"),
              superscript)

    async def a_day(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("status", 429, retry_after="86400")
        with _recorded_sleeps() as asked:
            async with shop.ShopClient(here.base) as client:
                exc = await failure(client.customers.get())
        held, text = typed(exc, TooManyRequests, "try later")
        max_delay = client.options.retry.max_delay
        return held and all(wait <= max_delay for wait in asked), f"{text}; waited {sum(asked):g} s"

    await run(HostileCase("`Retry-After: 86400` on every answer while paging",
                          "TooManyRequests at once: a wait past max_delay ends the retries, the page's too"), a_day)

    # Compressed bodies --------------------------------------------------------------------------------
    async def bomb_case(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("gzip_bomb", size=bomb)
        async with shop.ShopClient(here.base) as client:
            exc = await failure(client.customers.get())
        held, text = typed(exc, MalformedResponse, "cannot be decompressed")
        return held and len(here.requests) == 1, text

    await run(HostileCase(f"a gzip bomb ({len(gzip_bomb(bomb)) / 1e3:,.0f} kB expanding to {bomb / 2**20:,.0f} MiB) "
                          "as a page", "MalformedResponse (aiohttp's limit per chunk), not fetched again"), bomb_case)

    async def over_limit(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("gzip_bomb", size=4 * max_body)
        with _max_body(max_body):
            async with shop.ShopClient(here.base) as client:
                exc = await failure(client.customers.get())
        held, text = typed(exc, MalformedResponse, f"larger than {max_body} bytes")
        return held and len(here.requests) == 1, text

    await run(HostileCase(f"a gzip body expanding past MAX_BODY (lowered to {max_body:,} bytes) as a page",
                          "MalformedResponse once MAX_BODY bytes are read, not fetched again"), over_limit)

    async def bad_gzip(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("bad_gzip")
        async with shop.ShopClient(here.base) as client:
            exc = await failure(client.customers.get())
        held, text = typed(exc, MalformedResponse, "cannot be decompressed")
        attempts = client.options.retry.page_attempts
        return held and len(here.requests) == 1 + attempts, f"{text}; {len(here.requests)} requests"

    await run(HostileCase("`Content-Encoding: gzip` on a body that is not gzip, as a page",
                          "MalformedResponse after the page was fetched again (page_attempts)"), bad_gzip)

    # Links ---------------------------------------------------------------------------------------------
    def first_page(link: Callable[[FaultServer, FaultServer, web.Request], str]) -> Callable[
            [FaultServer, FaultServer], Awaitable[tuple[bool, str]]]:
        async def body(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
            def page(request: web.Request) -> dict[str, Any]:
                return {"value": [{"id": 100}], "@odata.nextLink": link(here, other, request)}

            here.routes["/svc/customers"] = page
            got: list[int] = []
            async with shop.ShopClient(here.base, "secret-token") as client:
                client = client.with_headers(Authorization="Bearer caller-secret")
                try:
                    async for customer in client.customers:
                        got.append(customer.id)
                except ODataError as exc:
                    return got == [100] and isinstance(exc, MalformedResponse) and "repeats a link" in str(exc), \
                        f"{got} delivered, then {_describe(exc)}"
            held = got == [100, 1, 2, 3] and not _leaked(other) and len(other.requests) == 1
            return held, f"{got} delivered; the other origin got {len(other.requests)} request(s), no credentials" \
                if not _leaked(other) else f"{got}: CREDENTIALS LEAKED to the other origin"

        return body

    await run(HostileCase("a nextLink equal to the request URL", "the page, then MalformedResponse (a loop)"),
              first_page(lambda here, other, request: f"{here.origin}{request.path_qs}"))
    await run(HostileCase('a nextLink `""`', "the page, then MalformedResponse (a loop)"),
              first_page(lambda here, other, request: ""))
    await run(HostileCase("a nextLink `//<other origin>/svc/customers`",
                          "resolved to http://<other>/..., followed without credentials"),
              first_page(lambda here, other, request: "//" + other.origin.split("://", 1)[1] + "/svc/customers"))
    await run(HostileCase("a nextLink `HTTP://<OTHER ORIGIN>/svc/customers`",
                          "the scheme read case-insensitively, followed without credentials"),
              first_page(lambda here, other, request: "HTTP://" + other.origin.split("://", 1)[1].upper()
                         + "/svc/customers"))

    async def relative(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        async with shop.ShopClient(here.origin + "/v1.0") as client:
            got = [customer.id async for customer in client.customers]
        paths = here.paths()
        wanted = ["/v1.0/customers", "/v1.0/customers?$skiptoken=10", "/v1.0/customers?$skiptoken=20"]
        return got == list(range(1, 26)) and paths == wanted, f"all 25 items; requested {', '.join(paths)}"

    await run(HostileCase("relative nextLinks `/v1.0/customers?$skiptoken=10`",
                          "resolved against the origin (RFC 3986): every item once"),
              relative, page_size=10, relative_links=True)

    # $batch ----------------------------------------------------------------------------------------------
    async def batch_redirect(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("redirect", location=f"{other.base}/$batch")
        async with shop.ShopClient(here.base, "secret-token") as client:
            items_client = client.with_headers(Authorization="Bearer item-secret")
            batch = client.batch(json=True)
            items = [batch.add(items_client.customers[i].get()) for i in (1, 2)]
            exc = await failure(batch.send())
        items_failed = all(isinstance(item.exception(), ODataError) for item in items)
        held, text = typed(exc, ODataError, "which was not followed")
        return held and exc.status == 307 and items_failed and not other.requests, \
            f"{text}; the other origin saw {len(other.requests)} request(s)"

    await run(HostileCase("a `$batch` answered 307 to another origin (item headers with Authorization)",
                          "ODataError 307, not followed: the other origin sees nothing"), batch_redirect)

    async def get_redirect(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.faults = lambda request, n: Fault("redirect", location=f"{other.base}/customers(2)")
        async with shop.ShopClient(here.base, "secret-token") as client:
            customer = await client.with_headers(Authorization="Bearer caller-secret").customers[1].get()
        held = customer.id == 2 and len(other.requests) == 1 and not _leaked(other)
        return held, f"the other origin's entity {customer.id}, asked for without credentials" if held else \
            f"entity {customer.id}; leaked: {_leaked(other)}"

    await run(HostileCase("a GET answered 307 to another origin", "followed, without credentials"), get_redirect)

    for kind, what in (("drop", "reset before the answer"), ("drop_mid_body", "reset in the middle of the answer")):
        async def batch_reset(here: FaultServer, other: FaultServer, kind: str = kind) -> tuple[bool, str]:
            here.faults = lambda request, n: Fault(kind) if request.path.endswith("$batch") else None
            async with shop.ShopClient(here.base) as client:
                batch = client.batch(json=True)
                items = [batch.add(client.customers[i].get()) for i in (1, 2, 3)]
                exc = await failure(batch.send())
            items_failed = all(isinstance(item.exception(), ConnectionFailed) for item in items)
            held, text = typed(exc, ConnectionFailed, "connection failed")
            # A POST is not idempotent: not sent again unless asked (retry_non_idempotent).
            return held and items_failed and len(here.requests) == 1, f"{text}; every item failed with it"

        await run(HostileCase(f"a `$batch` {what}", "ConnectionFailed for the batch and each item; not resent"),
                  batch_reset)

    # $deltatoken=a+b -----------------------------------------------------------------------------------------
    async def plus_token(here: FaultServer, other: FaultServer) -> tuple[bool, str]:
        here.add_delta("customers", delta_rounds(3))
        here.delta_token = lambda k: "a+b" if k == 0 else "c+d"
        async with shop.ShopClient(here.base) as client:
            first = client.customers.track_changes()
            await first.collect()
            second = client.customers.track_changes(token=first.token)
            changes = await second.collect()
        sent = here.paths()[-1]
        held = first.token == "a+b" and sent == "/svc/customers?$deltatoken=a+b" and len(changes) == 3 \
            and second.token == "c+d"
        return held, f"token {first.token!r} sent back as {sent.split('?', 1)[1]}; round 2: {len(changes)} changes"

    await run(HostileCase("`$deltatoken=a+b` round trip", "the token sent back byte for byte (`+` not a space)"),
              plus_token)
    return cases


def hostile_figures(cases: list[HostileCase]) -> Figures:
    """The hostile cases as one row of the table."""
    figures = Figures("hostile", f"{len(cases)} hostile answers")
    figures.requests = sum(c.requests + c.other_origin_requests for c in cases)
    figures.delivered = sum(c.held for c in cases)
    figures.wall = sum(c.wall for c in cases)
    figures.checks = {f"{c.name}: {c.expected}": c.held for c in cases}
    return figures
