"""The HTTP pipeline: retries, auth, redirects, errors, timeouts, client configuration, paging.

Most tests drive a generated package (tests/fixtures/csdl/keys.xml) with aioresponses and
assert the exact requests it saw (`m.requests`); timeouts and cancellation use a real aiohttp
server on 127.0.0.1, since aioresponses does not enforce timeouts nor hold connections.
Retry delays are recorded by replacing `odatakit.http.sleep`, so no test sleeps for them.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import gc
import json
import logging
import re
import time
import uuid
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Callable
from types import ModuleType, SimpleNamespace
from typing import Any, NamedTuple

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import CallbackResult, aioresponses
from aioresponses.compat import normalize_url

import odatakit.errors
import odatakit.http
from odatakit.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    GatewayTimeout,
    MalformedResponse,
    NotFound,
    ODataError,
    PreconditionFailed,
    PreconditionRequired,
    RequestTimeout,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    error_class,
    retry_after_seconds,
)
from odatakit.http import (
    REFRESH_MARGIN,
    HttpRequest,
    HttpResponse,
    RetryPolicy,
    SameOrigin,
    jwt_expiry,
    merge_prefer,
    origin_of,
)
from odatakit.paging import Page

from .conftest import FIXTURES

BASE = "https://svc.test/odata"
ONE = f"{BASE}/customers(42)"
ALL = f"{BASE}/customers"
NOW = 1_700_000_000.0


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture
def shop(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "keys.xml", "fx_keys")  # type: ignore[no-any-return]


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each retry would have slept, in order (nothing sleeps)."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(odatakit.http, "sleep", record)
    return recorded


class Clock:
    """Stands in for the `time` module of odatakit.http / odatakit.errors: `time()` is frozen."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    @staticmethod
    def perf_counter() -> float:
        return time.perf_counter()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(NOW)
    monkeypatch.setattr(odatakit.http, "time", frozen)
    monkeypatch.setattr(odatakit.errors, "time", frozen)
    return frozen


def calls(m: aioresponses, method: str, url: str) -> list[dict[str, Any]]:
    """The keyword arguments of every `method url` request aioresponses saw, in order."""
    return [c.kwargs for c in m.requests.get((method, normalize_url(url)), [])]


def headers_of(m: aioresponses, method: str, url: str) -> list[dict[str, str]]:
    return [dict(kw["headers"]) for kw in calls(m, method, url)]


def auth_of(m: aioresponses, method: str, url: str) -> list[str | None]:
    return [h.get("Authorization") for h in headers_of(m, method, url)]


def total_requests(m: aioresponses) -> int:
    return sum(len(v) for v in m.requests.values())


class AccessToken(NamedTuple):
    """The shape of azure.core.credentials.AccessToken."""

    token: str
    expires_on: int


def make_provider(clock: Clock, lifetime: float | None = 3600, *, delay: float = 0.0) -> Callable[[], Any]:
    """A provider whose tokens expire `lifetime` seconds after the (frozen) clock's now."""
    state = {"calls": 0}

    async def provider() -> Any:
        state["calls"] += 1
        if delay:
            await asyncio.sleep(delay)
        token = f"t{state['calls']}"
        if lifetime is None:
            return SimpleNamespace(token=token)
        return AccessToken(token, int(clock.now + lifetime))

    provider.state = state  # type: ignore[attr-defined]
    return provider


def provider_calls(provider: Any) -> int:
    return provider.state["calls"]  # type: ignore[no-any-return]


def unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


CUSTOMER = {"id": 42, "name": "Ada"}


# -- retries -------------------------------------------------------------------------------------
async def test_429_with_retry_after_seconds_waits_exactly_that(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=429, headers={"Retry-After": "3"}, payload={"error": {"code": "TooMany", "message": "x"}})
            m.get(ONE, payload=CUSTOMER)
            customer = await client.customers[42].get()
            assert customer == shop.Customer(id=42, name="Ada")
            assert delays == [3.0]
            assert len(calls(m, "GET", ONE)) == 2


async def test_429_with_retry_after_http_date(shop: ModuleType, delays: list[float], clock: Clock) -> None:
    when = email.utils.formatdate(NOW + 7, usegmt=True)
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=429, headers={"Retry-After": when})
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()
            assert delays == [7.0]


async def test_retry_after_http_date_relative_to_real_now(shop: ModuleType, delays: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=503, headers={"Retry-After": when})
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()
    # formatdate drops the fraction of a second: 19 < delay <= 20.
    assert len(delays) == 1 and 18.5 <= delays[0] <= 20.0


def test_retry_after_seconds_parsing() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("0") == 0.0
    assert retry_after_seconds(" 120 ") == 120.0
    assert retry_after_seconds(email.utils.formatdate(NOW + 90, usegmt=True), now=NOW) == 90.0
    assert retry_after_seconds(email.utils.formatdate(NOW - 90, usegmt=True), now=NOW) == 0.0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-3") is None
    assert retry_after_seconds("1.5") is None
    # An RFC 2822 date with "-0000" (no known zone) is naive: not trusted.
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:20 -0000", now=NOW) is None


@pytest.mark.parametrize("max_attempts", [2, 4])
async def test_503_storm_gives_up_after_exactly_max_attempts(
    shop: ModuleType, delays: list[float], max_attempts: int
) -> None:
    body = {"error": {"code": "ServiceUnavailable", "message": "Try later"}}
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(max_attempts=max_attempts) if max_attempts != 4 else client  # 4 is the default
        with aioresponses() as m:
            m.get(ONE, status=503, payload=body, repeat=True)
            with pytest.raises(ServiceUnavailable) as info:
                await c.customers[42].get()
            assert len(calls(m, "GET", ONE)) == max_attempts
    assert len(delays) == max_attempts - 1
    assert info.value.status == 503 and info.value.code == "ServiceUnavailable"
    assert str(info.value) == f"GET {ONE}: HTTP 503 ServiceUnavailable: Try later"


async def test_504_is_retried(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=504)
            m.get(ONE, payload=CUSTOMER)
            assert (await client.customers[42].get()).name == "Ada"
            assert len(calls(m, "GET", ONE)) == 2
    assert len(delays) == 1 and 0.25 <= delays[0] <= 0.5


@pytest.mark.parametrize("status", [500, 502, 400, 404])
async def test_other_failures_are_not_retried(shop: ModuleType, delays: list[float], status: int) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=status, repeat=True)
            with pytest.raises(ODataError):
                await client.customers[42].get()
            assert len(calls(m, "GET", ONE)) == 1
    assert delays == []


async def test_retry_after_beyond_max_delay_is_not_waited_for(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(
                ONE,
                status=429,
                headers={"Retry-After": "120"},
                payload={"error": {"code": "Throttled", "message": "slow down"}},
            )
            with pytest.raises(TooManyRequests) as info:
                await client.customers[42].get()  # default max_delay: 60 s
            assert len(calls(m, "GET", ONE)) == 1
    assert delays == []
    assert info.value.retry_after == 120.0
    assert info.value.headers["Retry-After"] == "120"
    assert str(info.value) == f"GET {ONE}: HTTP 429 Throttled: slow down"


async def test_max_delay_counts_every_retry_of_a_request(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(max_delay=5)
        with aioresponses() as m:
            m.get(ONE, status=429, headers={"Retry-After": "3"}, repeat=True)
            with pytest.raises(TooManyRequests) as info:
                await c.customers[42].get()
            # 3 s slept, the next 3 s would pass max_delay=5: the second 429 is final.
            assert len(calls(m, "GET", ONE)) == 2
    assert delays == [3.0]
    assert info.value.retry_after == 3.0


async def test_backoff_with_jitter_when_no_retry_after(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            for _ in range(3):
                m.get(ONE, status=503)
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()
            assert len(calls(m, "GET", ONE)) == 4
    caps = [0.5, 1.0, 2.0]  # backoff 0.5 doubled per attempt
    assert len(delays) == 3
    for delay, cap in zip(delays, caps, strict=True):
        assert cap / 2 <= delay <= cap


@pytest.mark.parametrize(("pick", "expected"), [("low", [0.5, 1.0, 2.0]), ("high", [1.0, 2.0, 4.0])])
async def test_backoff_jitter_bounds_are_exact(
    shop: ModuleType, delays: list[float], monkeypatch: pytest.MonkeyPatch, pick: str, expected: list[float]
) -> None:
    chosen = SimpleNamespace(uniform=(lambda a, b: a) if pick == "low" else (lambda a, b: b))
    monkeypatch.setattr(odatakit.http, "random", chosen)
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(backoff=1.0)
        with aioresponses() as m:
            m.get(ONE, status=503, repeat=True)
            with pytest.raises(ServiceUnavailable):
                await c.customers[42].get()
    assert delays == expected


def test_retry_policy_delay_and_cap() -> None:
    policy = RetryPolicy(backoff=10.0, max_backoff=15.0)
    for attempt, cap in [(1, 10.0), (2, 15.0), (3, 15.0), (8, 15.0)]:
        for _ in range(20):
            assert cap / 2 <= policy.delay(attempt, None) <= cap
    assert policy.delay(5, 2.5) == 2.5
    assert RetryPolicy().allows("get") and RetryPolicy().allows("DELETE") and RetryPolicy().allows("PUT")
    assert not RetryPolicy().allows("POST") and not RetryPolicy().allows("PATCH")
    assert not RetryPolicy(max_attempts=1).allows("GET")
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


async def test_post_is_not_retried_by_default(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.post(ALL, status=503, repeat=True)
            with pytest.raises(
                ServiceUnavailable, match=r"^POST https://svc.test/odata/customers: HTTP 503: \(empty body\)$"
            ):
                await client.customers.create(shop.Customer(name="New"))
            assert len(calls(m, "POST", ALL)) == 1
            m.patch(ONE, exception=aiohttp.ServerDisconnectedError())
            with pytest.raises(ConnectionFailed) as dropped:
                await client.customers[42].update(shop.Customer(name="New"))
            assert str(dropped.value) == f"PATCH {ONE}: connection failed: ServerDisconnectedError: Server disconnected"
            assert isinstance(dropped.value.__cause__, aiohttp.ServerDisconnectedError)
            assert len(calls(m, "PATCH", ONE)) == 1
    assert delays == []


async def test_post_and_patch_retried_when_asked(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(retry_non_idempotent=True)
        assert c.options.retry.methods == frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})
        with aioresponses() as m:
            m.post(ALL, status=503)
            m.post(ALL, status=201, payload={"id": 43, "name": "New"})
            m.patch(ONE, status=429, headers={"Retry-After": "1"})
            m.patch(ONE, status=204)
            created = await c.customers.create(shop.Customer(name="New"))
            assert created == shop.Customer(id=43, name="New")
            await c.customers[42].update(shop.Customer(name="Renamed"))
            posts = calls(m, "POST", ALL)
            assert [json.loads(kw["data"]) for kw in posts] == [{"name": "New"}, {"name": "New"}]
            assert [kw["headers"]["Content-Type"] for kw in posts] == ["application/json"] * 2
            assert [json.loads(kw["data"]) for kw in calls(m, "PATCH", ONE)] == [{"name": "Renamed"}] * 2
        # Turned back off on a client derived from it.
        assert c.with_retry(retry_non_idempotent=False).options.retry.methods == odatakit.http.IDEMPOTENT
    assert len(delays) == 2 and delays[1] == 1.0


async def test_max_attempts_1_disables_retries(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(max_attempts=1)
        with aioresponses() as m:
            m.get(ONE, status=503, repeat=True)
            m.get(ALL, status=429, headers={"Retry-After": "1"}, repeat=True)
            m.get(f"{BASE}/customers(7)", exception=aiohttp.ServerDisconnectedError(), repeat=True)
            with pytest.raises(ServiceUnavailable):
                await c.customers[42].get()
            with pytest.raises(TooManyRequests):
                await c.customers.get()
            with pytest.raises(ConnectionFailed):
                await c.customers[7].get()
            assert total_requests(m) == 3
    assert delays == []


async def test_dropped_connection_is_retried_for_get(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, exception=aiohttp.ServerDisconnectedError())
            m.get(ONE, payload=CUSTOMER)
            assert (await client.customers[42].get()).id == 42
            assert len(calls(m, "GET", ONE)) == 2
            # Dropped every time: the last error is raised after max_attempts.
            m.get(f"{BASE}/customers(7)", exception=aiohttp.ServerDisconnectedError(), repeat=True)
            with pytest.raises(ConnectionFailed):
                await client.customers[7].get()
            assert len(calls(m, "GET", f"{BASE}/customers(7)")) == 4
            # A body that breaks off is retried the same way.
            m.get(f"{BASE}/customers(8)", exception=aiohttp.ClientPayloadError("Response payload is not completed"))
            m.get(f"{BASE}/customers(8)", payload=CUSTOMER)
            assert (await client.customers[8].get()).id == 42
    assert len(delays) == 5 and 0.25 <= delays[0] <= 0.5


async def test_connection_errors_not_retried_when_the_policy_says_so(shop: ModuleType, delays: list[float]) -> None:
    async with shop.ShopClient(BASE) as client:
        c = client.with_retry(RetryPolicy(connection_errors=False))
        with aioresponses() as m:
            m.get(ONE, exception=aiohttp.ServerDisconnectedError(), repeat=True)
            with pytest.raises(ConnectionFailed):
                await c.customers[42].get()
            assert len(calls(m, "GET", ONE)) == 1
    assert delays == []


# -- auth ----------------------------------------------------------------------------------------
async def test_async_callable_provider_token_cached_across_requests(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            for _ in range(3):
                await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer t1"] * 3
    assert provider_calls(provider) == 1


async def test_get_token_credential_gets_the_config_scopes(shop: ModuleType, clock: Clock) -> None:
    class Credential:
        def __init__(self) -> None:
            self.asked: list[tuple[str, ...]] = []

        async def get_token(self, *scopes: str) -> AccessToken:
            self.asked.append(scopes)
            return AccessToken(f"cred{len(self.asked)}", int(clock.now + 3600))

    class ScopedClient(shop.ShopClient):  # type: ignore[misc,name-defined]
        CONFIG = attrs.evolve(shop.ShopClient.CONFIG, scopes=("api://svc/.default", "offline_access"))

    credential = Credential()
    async with ScopedClient(BASE, credential) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await client.with_headers(X="1").customers[42].get()  # derived clients share the cache
            assert auth_of(m, "GET", ONE) == ["Bearer cred1"] * 2
    assert credential.asked == [("api://svc/.default", "offline_access")]


async def test_scopes_given_to_the_client_win_over_the_generated_ones(shop: ModuleType, clock: Clock) -> None:
    class Credential:
        def __init__(self) -> None:
            self.asked: list[tuple[str, ...]] = []

        async def get_token(self, *scopes: str) -> AccessToken:
            self.asked.append(scopes)
            return AccessToken("cred", int(clock.now + 3600))

    class ScopedClient(shop.ShopClient):  # type: ignore[misc,name-defined]
        CONFIG = attrs.evolve(shop.ShopClient.CONFIG, scopes=("https://graph.microsoft.com/.default",))

    credential = Credential()
    async with ScopedClient(BASE, credential, scopes=["https://graph.microsoft.us/.default"]) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer cred"]
    assert credential.asked == [("https://graph.microsoft.us/.default",)]


async def test_a_token_string_is_a_static_bearer_token(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE, "eyJ0eXAi.static.token") as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer eyJ0eXAi.static.token"] * 2


@pytest.mark.parametrize(
    ("provider", "error", "message"),
    [
        (42, TypeError, "token_provider: got int; expected a token string, an async callable returning one, or a "
                        "credential with get_token(*scopes) such as azure-identity's"),
        ("", ValueError, "the token string is empty"),
        ("Bearer abc", ValueError, "the token string starts with 'Bearer ': give the token alone"),
        ("abc\r\nX-Evil: 1", ValueError, "the token string holds whitespace or control characters"),
    ],
)
def test_a_provider_of_the_wrong_shape_is_refused_when_the_client_is_made(
    shop: ModuleType, provider: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        shop.ShopClient(BASE, provider)
    assert str(caught.value).startswith(message)


def test_a_credential_without_scopes_is_refused_when_the_client_is_made(shop: ModuleType) -> None:
    class Credential:
        async def get_token(self, *scopes: str) -> AccessToken:
            raise AssertionError("never asked")

    with pytest.raises(ValueError, match=r"^Credential needs the scopes to ask a token for: pass scopes=\[\.\.\.\]"):
        shop.ShopClient(BASE, Credential())


async def test_token_refreshed_within_the_margin(shop: ModuleType, clock: Clock) -> None:
    assert REFRESH_MARGIN == 120.0
    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()  # t1, expires at NOW + 3600
            clock.now = NOW + 3600 - 121
            await client.customers[42].get()  # still outside the margin: cached
            clock.now = NOW + 3600 - 120
            await client.customers[42].get()  # within the margin: t2, expires at now + 3600
            clock.now += 10
            await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer t1", "Bearer t1", "Bearer t2", "Bearer t2"]
    assert provider_calls(provider) == 2


async def test_token_expiring_within_the_margin_is_never_cached(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 100)  # < REFRESH_MARGIN
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer t1", "Bearer t2"]


async def test_jwt_exp_honoured_for_plain_string_tokens(shop: ModuleType, clock: Clock) -> None:
    issued: list[str] = []

    async def provider() -> str:
        token = unsigned_jwt({"sub": "me", "exp": int(clock.now) + 3600, "n": len(issued)})
        issued.append(token)
        return token

    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await client.customers[42].get()
            assert len(issued) == 1
            clock.now += 3600 - 100  # the exp claim is now within the margin
            await client.customers[42].get()
            assert len(issued) == 2
            assert auth_of(m, "GET", ONE) == [f"Bearer {issued[0]}"] * 2 + [f"Bearer {issued[1]}"]


async def test_token_without_expiry_is_not_cached(shop: ModuleType, clock: Clock) -> None:
    plain = [0]

    async def provider() -> str:
        plain[0] += 1
        return f"opaque{plain[0]}"

    no_expiry = make_provider(clock, None)  # an object with .token only
    async with shop.ShopClient(BASE, provider) as client, shop.ShopClient(BASE, no_expiry) as other:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await client.customers[42].get()
            await other.customers[42].get()
            await other.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer opaque1", "Bearer opaque2", "Bearer t1", "Bearer t2"]


def test_jwt_expiry() -> None:
    assert jwt_expiry(unsigned_jwt({"exp": 1700000123})) == 1700000123.0
    assert jwt_expiry(unsigned_jwt({"exp": 1700000123.5})) == 1700000123.5
    assert jwt_expiry(unsigned_jwt({"sub": "x"})) is None
    assert jwt_expiry(unsigned_jwt({"exp": "1700000123"})) is None
    assert jwt_expiry(unsigned_jwt({"exp": True})) is None
    assert jwt_expiry("opaque") is None
    assert jwt_expiry("a.b.c") is None  # not base64 JSON
    assert jwt_expiry("a.!!!.c") is None


async def test_bad_provider_results(shop: ModuleType) -> None:
    async def returns_number() -> int:
        return 5

    async def returns_empty() -> str:
        return ""

    with aioresponses() as m:
        m.get(ONE, payload=CUSTOMER, repeat=True)
        async with shop.ShopClient(BASE, returns_number) as client:
            with pytest.raises(
                TypeError, match=r"^token provider returned int: expected str or an object with \.token$"
            ):
                await client.customers[42].get()
        async with shop.ShopClient(BASE, returns_empty) as client:
            with pytest.raises(ValueError, match="^the token provider's token is empty$"):
                await client.customers[42].get()
        assert total_requests(m) == 0


async def test_401_with_a_cached_token_refreshes_once_and_retries(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER)
            m.get(ONE, status=401, payload=expired)
            m.get(ONE, payload={"id": 42, "name": "Again"})
            await client.customers[42].get()
            assert (await client.customers[42].get()).name == "Again"
            assert auth_of(m, "GET", ONE) == ["Bearer t1", "Bearer t1", "Bearer t2"]
            assert provider_calls(provider) == 2
            # The refreshed token is refused too: one refresh only, then Unauthorized.
            m.get(ONE, status=401, payload=expired, repeat=True)
            with pytest.raises(Unauthorized) as info:
                await client.customers[42].get()
            assert auth_of(m, "GET", ONE)[3:] == ["Bearer t2", "Bearer t3"]
            assert provider_calls(provider) == 3
    assert info.value.code == "InvalidAuthenticationToken"


async def test_401_with_a_fresh_token_is_not_retried(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, status=401, repeat=True)
            with pytest.raises(Unauthorized):
                await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer t1"]
    assert provider_calls(provider) == 1


async def test_concurrent_requests_share_one_token_fetch(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600, delay=0.01)
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            results = await asyncio.gather(*(client.customers[42].get() for _ in range(5)))
            assert [r.id for r in results] == [42] * 5
            assert auth_of(m, "GET", ONE) == ["Bearer t1"] * 5
    assert provider_calls(provider) == 1


async def test_concurrent_401s_share_one_refresh(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600, delay=0.01)

    async def respond(url: Any, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer t1":
            await asyncio.sleep(0.01)  # every request is sent with t1 before the first 401 arrives
            return CallbackResult(status=401)
        return CallbackResult(payload=CUSTOMER)

    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()  # t1 cached
            m.get(ONE, callback=respond, repeat=True)
            results = await asyncio.gather(*(client.customers[42].get() for _ in range(5)))
            assert [r.id for r in results] == [42] * 5
            assert sorted(auth_of(m, "GET", ONE)[1:]) == ["Bearer t1"] * 5 + ["Bearer t2"] * 5
    assert provider_calls(provider) == 2


async def test_next_link_to_a_foreign_host_gets_no_authorization(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    foreign = "https://cdn.other.test/odata/customers?$skiptoken=2"
    other_port = "https://svc.test:8443/odata/customers?$skiptoken=3"
    plain_http = "http://svc.test/odata/customers?$skiptoken=4"
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ALL, payload={"value": [CUSTOMER], "@odata.nextLink": foreign})
            m.get(foreign, payload={"value": [{"id": 2}], "@odata.nextLink": other_port})
            m.get(other_port, payload={"value": [{"id": 3}], "@odata.nextLink": plain_http})
            m.get(plain_http, payload={"value": [{"id": 4}]})
            assert [c.id for c in await client.customers.get()] == [42, 2, 3, 4]
            assert auth_of(m, "GET", ALL) == ["Bearer t1"]
            for url in (foreign, other_port, plain_http):
                assert auth_of(m, "GET", url) == [None]


async def test_callers_authorization_header_not_sent_to_a_foreign_next_link(shop: ModuleType) -> None:
    foreign = "https://cdn.other.test/odata/customers?$skiptoken=2"
    async with shop.ShopClient(BASE) as plain:
        client = plain.with_headers(Authorization="Bearer mine")
        with aioresponses() as m:
            m.get(ALL, payload={"value": [CUSTOMER], "@odata.nextLink": foreign})
            m.get(foreign, payload={"value": [{"id": 2}]})
            assert [c.id for c in await client.customers.get()] == [42, 2]
            assert auth_of(m, "GET", ALL) == ["Bearer mine"]
            assert auth_of(m, "GET", foreign) == [None]


async def test_authorization_header_in_any_case_is_one_header(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    elsewhere = "https://storage.other.test/blob/42"
    foreign = "https://cdn.other.test/odata/customers?$skiptoken=2"
    async with shop.ShopClient(BASE, provider) as client, shop.ShopClient(BASE) as plain:
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER)
            await client.with_headers(authorization="Bearer mine").customers[42].get()
            [sent] = headers_of(m, "GET", ONE)
            assert [(k, v) for k, v in sent.items() if k.lower() == "authorization"] == [("Authorization", "Bearer t1")]
            # Without a provider, the caller's header is the one sent, once, and only to the origin.
            m.get(ONE, status=302, headers={"Location": elsewhere})
            m.get(elsewhere, payload=CUSTOMER)
            m.get(ALL, payload={"value": [CUSTOMER], "@odata.nextLink": foreign})
            m.get(foreign, payload={"value": []})
            mine = plain.with_headers(authorization="Bearer client")
            await mine.customers[42].get()
            await mine.customers.with_headers(AUTHORIZATION="Bearer request").get()
            assert auth_of(m, "GET", ONE)[1:] == ["Bearer client"]
            assert auth_of(m, "GET", ALL) == ["Bearer request"]
            for url in (elsewhere, foreign):
                [sent] = headers_of(m, "GET", url)
                assert [k for k in sent if k.lower() == "authorization"] == []


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://svc.test/v1.0/me/events?$top=1", True),
        ("https://svc.test/", True),
        ("HTTPS://SVC.TEST/other", True),  # not the prefix as written: parsed
        ("https://svc.test:443/x", True),
        ("https://svc.test.evil.example/v1.0", False),
        ("https://svc.test@evil.example/v1.0", False),
        ("https://svc.test:8443/v1.0", False),
        ("http://svc.test/v1.0", False),
        ("https://evil.example/https://svc.test/", False),
    ],
)
def test_same_origin_by_prefix_or_by_parsing(url: str, same: bool) -> None:
    check = SameOrigin("https://svc.test/v1.0")
    assert check.prefix == "https://svc.test/"
    assert check(url) is same
    assert check(url) == (origin_of(url) == origin_of("https://svc.test/v1.0"))


def test_origin_of() -> None:
    assert origin_of("https://SVC.test/a") == ("https", "svc.test")
    assert origin_of("https://svc.test:443/a") == ("https", "svc.test")
    assert origin_of("http://svc.test:80/a") == ("http", "svc.test")
    assert origin_of("https://svc.test:8443/a") == ("https", "svc.test:8443")
    assert origin_of("https://user@svc.test/a") == ("https", "svc.test")
    assert origin_of("HTTP://svc.test/a") != origin_of("https://svc.test/a")


async def test_redirect_to_another_origin_drops_authorization(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    elsewhere = "https://storage.other.test/blob/42"
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(ONE, status=302, headers={"Location": elsewhere})
            m.get(elsewhere, payload=CUSTOMER)
            assert (await client.customers[42].get()).name == "Ada"
            assert auth_of(m, "GET", ONE) == ["Bearer t1"]
            assert auth_of(m, "GET", elsewhere) == [None]
            # The redirect was followed by odatakit, not by aiohttp.
            assert [kw["allow_redirects"] for kw in calls(m, "GET", ONE)] == [False]


async def test_redirect_to_another_origin_drops_callers_authorization(shop: ModuleType) -> None:
    elsewhere = "https://storage.other.test/blob/42"
    async with shop.ShopClient(BASE) as plain:
        client = plain.with_headers(Authorization="Bearer mine", X_Trace="1")
        with aioresponses() as m:
            m.get(ONE, status=307, headers={"Location": elsewhere})
            m.get(elsewhere, payload=CUSTOMER)
            await client.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer mine"]
            sent = headers_of(m, "GET", elsewhere)
            assert len(sent) == 1 and "Authorization" not in sent[0]
            # Only headers that say how to talk go on; a caller's own header may be a credential.
            assert "X_Trace" not in sent[0] and sent[0]["Accept"] == "application/json"


async def test_same_origin_redirect_keeps_authorization(shop: ModuleType, clock: Clock) -> None:
    provider = make_provider(clock, 3600)
    moved = f"{BASE}/customers(43)"
    async with shop.ShopClient(BASE, provider) as client, shop.ShopClient(BASE) as plain:
        mine = plain.with_headers(Authorization="Bearer mine")
        with aioresponses() as m:
            m.get(ONE, status=301, headers={"Location": "/odata/customers(43)"}, repeat=True)  # relative
            m.get(moved, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await mine.customers[42].get()
            assert auth_of(m, "GET", ONE) == ["Bearer t1", "Bearer mine"]
            assert auth_of(m, "GET", moved) == ["Bearer t1", "Bearer mine"]
    assert provider_calls(provider) == 1


async def test_303_turns_post_into_get(shop: ModuleType) -> None:
    created = f"{BASE}/customers(43)"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.post(ALL, status=303, headers={"Location": created})
            m.get(created, payload={"id": 43, "name": "New"})
            result = await client.customers.create(shop.Customer(name="New"))
            assert result == shop.Customer(id=43, name="New")
            [post] = calls(m, "POST", ALL)
            assert json.loads(post["data"]) == {"name": "New"}
            [get] = calls(m, "GET", created)
            assert get["data"] is None
            assert "Content-Type" not in get["headers"]
            assert get["headers"]["Accept"] == "application/json"


@pytest.mark.parametrize(("status", "method"), [(301, "GET"), (302, "GET"), (307, "POST"), (308, "POST")])
async def test_redirect_method_rules_for_post(shop: ModuleType, status: int, method: str) -> None:
    moved = f"{BASE}/v2/customers"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.post(ALL, status=status, headers={"Location": moved})
            m.add(moved, method, status=201, payload={"id": 43, "name": "New"})
            await client.customers.create(shop.Customer(name="New"))
            [follow] = calls(m, method, moved)
            if method == "POST":
                assert json.loads(follow["data"]) == {"name": "New"}
                assert follow["headers"]["Content-Type"] == "application/json"
            else:
                assert follow["data"] is None and "Content-Type" not in follow["headers"]


async def test_redirect_loop_is_an_error_not_a_success(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=302, headers={"Location": ONE}, repeat=True)
            with pytest.raises(ODataError) as info:
                await client.customers[42].get()
            assert len(calls(m, "GET", ONE)) == 11  # the request and 10 hops
            m.get(ALL, status=302, body=b"")  # no Location: nothing to follow
            with pytest.raises(ODataError) as no_location:
                await client.customers.get()
    assert type(info.value) is ODataError
    assert str(info.value) == (f"GET {ONE}: HTTP 302: redirected to {ONE}, which was not followed: another origin "
                               "(a request body is never sent there) or too many redirects")
    assert str(no_location.value) == f"GET {ALL}: HTTP 302: (empty body)"


# -- errors --------------------------------------------------------------------------------------
ERROR_BODY = {
    "error": {
        "code": "SomeCode",
        "message": "Something went wrong",
        "target": "name",
        "details": [{"code": "Detail", "message": "name is too long", "target": "name"}],
        "innererror": {"request-id": "inner-1", "date": "2026-01-01T00:00:00"},
    }
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (412, PreconditionFailed),
        (428, PreconditionRequired),
        (429, TooManyRequests),
        (500, ServerError),
        (503, ServiceUnavailable),
        (504, GatewayTimeout),
    ],
)
async def test_status_maps_to_error_class(shop: ModuleType, status: int, cls: type[ODataError]) -> None:
    async with shop.ShopClient(BASE) as plain:
        client = plain.with_retry(max_attempts=1)
        with aioresponses() as m:
            m.get(ONE, status=status, payload=ERROR_BODY, headers={"request-id": "svc-req-1"})
            with pytest.raises(ODataError) as info:
                await client.customers[42].get()
    exc = info.value
    assert type(exc) is cls
    assert (exc.status, exc.code, exc.message, exc.target) == (status, "SomeCode", "Something went wrong", "name")
    assert exc.details == [{"code": "Detail", "message": "name is too long", "target": "name"}]
    assert exc.innererror == {"request-id": "inner-1", "date": "2026-01-01T00:00:00"}
    assert exc.request_id == "svc-req-1"
    assert (exc.method, exc.url) == ("GET", ONE)
    assert exc.headers["request-id"] == "svc-req-1"
    assert str(exc) == f"GET {ONE}: HTTP {status} SomeCode: Something went wrong (request-id svc-req-1)"
    assert isinstance(exc, ServerError) == (status >= 500)


def test_error_class_fallbacks() -> None:
    assert error_class(418) is ODataError
    assert error_class(502) is ServerError
    assert error_class(599) is ServerError
    assert issubclass(ServiceUnavailable, ServerError) and issubclass(GatewayTimeout, ServerError)
    assert issubclass(MalformedResponse, ODataError)
    # Every failure a service can cause is an ODataError; a timeout is a TimeoutError too.
    assert issubclass(RequestTimeout, TimeoutError) and issubclass(RequestTimeout, ODataError)
    assert issubclass(ConnectionFailed, ODataError)


async def test_request_id_falls_back_to_x_ms_request_id(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=404, payload=ERROR_BODY, headers={"x-ms-request-id": "ms-1"})
            with pytest.raises(NotFound) as info:
                await client.customers[42].get()
    assert info.value.request_id == "ms-1"


async def test_empty_error_body(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=404, body=b"")
            with pytest.raises(NotFound) as info:
                await client.customers[42].get()
    assert info.value.message == "(empty body)"
    assert info.value.code is None and info.value.details == [] and info.value.request_id is None
    assert str(info.value) == f"GET {ONE}: HTTP 404: (empty body)"


async def test_non_json_error_body(shop: ModuleType) -> None:
    long_html = "<html><body>" + "x" * 300 + "</body></html>"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=400, body=long_html, content_type="text/html")
            m.get(f"{BASE}/customers(7)", status=403, body="Forbidden by proxy", content_type="text/plain")
            with pytest.raises(BadRequest) as info:
                await client.customers[42].get()
            with pytest.raises(Forbidden) as short:
                await client.customers[7].get()
    assert info.value.message == f"non-JSON body: {long_html[:200]}..."
    assert short.value.message == "non-JSON body: Forbidden by proxy"


async def test_json_error_body_without_error_object(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=409, body='{"reason": "locked"}')
            with pytest.raises(Conflict) as info:
                await client.customers[42].get()
    assert info.value.message == '{"reason": "locked"}'
    assert info.value.code is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"id": 42, "na', "application/json"), ("<html><body>Sign in</body></html>", "text/html")],
)
async def test_2xx_with_unreadable_body_is_malformed(shop: ModuleType, body: str, content_type: str) -> None:
    try:
        json.loads(body)
    except ValueError as exc:
        reason = str(exc)
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=200, body=body, content_type=content_type)
            with pytest.raises(MalformedResponse) as info:
                await client.customers[42].get()
    size = len(body.encode())
    assert info.value.status == 200
    assert info.value.message == f"expected JSON ({reason}); got {size} bytes: {body}"
    assert str(info.value) == f"GET {ONE}: HTTP 200: expected JSON ({reason}); got {size} bytes: {body}"


@pytest.mark.parametrize(
    ("payload", "got"),
    [([{"id": 1}], "list"), ({"value": {"id": 1}}, "dict"), ("value", "str")],
)
async def test_collection_response_without_value_array_is_malformed(shop: ModuleType, payload: Any, got: str) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ALL, body=json.dumps(payload))
            with pytest.raises(MalformedResponse) as info:
                await client.customers.get()
    assert info.value.message == f"expected a JSON object with a 'value' array, got {got}"
    assert (info.value.method, info.value.url, info.value.status) == ("GET", ALL, 200)


async def test_collection_response_missing_value_is_malformed(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ALL, payload={"id": 42, "name": "an entity, not a collection"})
            with pytest.raises(MalformedResponse):
                await client.customers.get()


# -- timeouts and cancellation (a real server) --------------------------------------------------------
@attrs.define
class Server:
    base: str
    hits: Counter[str]
    slow_started: asyncio.Event
    release: asyncio.Event


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    release = asyncio.Event()
    state = Server("", Counter(), asyncio.Event(), release)

    async def slow() -> None:
        state.slow_started.set()
        try:
            await asyncio.wait_for(release.wait(), 5)
        except TimeoutError:
            pass

    async def customer(request: web.Request) -> web.Response:
        state.hits[request.path_qs] += 1
        await slow()
        return web.json_response(CUSTOMER)

    async def customers(request: web.Request) -> web.Response:
        state.hits[request.path_qs] += 1
        if request.query.get("$skiptoken") == "2":
            await slow()
            return web.json_response({"value": [{"id": 2}]})
        return web.json_response({"value": [{"id": 1}], "@odata.nextLink": f"{state.base}/customers?$skiptoken=2"})

    app = web.Application()
    app.router.add_get("/odata/customers(42)", customer)
    app.router.add_get("/odata/customers", customers)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    state.base = str(test_server.make_url("/odata"))
    try:
        yield state
    finally:
        release.set()
        await test_server.close()


async def test_with_timeout_raises_request_timeout(shop: ModuleType, server: Server, delays: list[float]) -> None:
    async with shop.ShopClient(server.base) as client:
        fast = client.with_timeout(total=0.05)
        with pytest.raises(RequestTimeout) as info:  # the server would answer only after 5 s
            await fast.customers[42].get()
        hits = server.hits["/odata/customers(42)"]
        with pytest.raises(RequestTimeout):
            await fast.with_retry(timeouts=False).customers[42].get()
        assert server.hits["/odata/customers(42)"] == hits + 1
    url = f"{server.base}/customers(42)"
    assert isinstance(info.value, TimeoutError)
    assert (info.value.method, info.value.url, info.value.timeout) == ("GET", url, 0.05)
    assert str(info.value) == f"GET {url}: timed out after 0.05 s"
    assert hits == 4  # a GET that timed out is sent again, up to max_attempts
    assert len(delays) == 3


async def test_callers_asyncio_timeout_stays_the_callers(shop: ModuleType, server: Server) -> None:
    async with shop.ShopClient(server.base) as client:
        with pytest.raises(TimeoutError) as info:
            async with asyncio.timeout(0.05) as scope:
                await client.customers[42].get()
        assert scope.expired()
        assert type(info.value) is TimeoutError  # asyncio's, not a RequestTimeout
        assert isinstance(info.value.__cause__, asyncio.CancelledError)
        # The client is still usable after its request was cut short.
        server.release.set()
        assert (await client.customers[42].get()).name == "Ada"


async def test_cancelling_a_paging_task_propagates_and_closes_cleanly(shop: ModuleType, server: Server) -> None:
    pages: list[Page[Any]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with shop.ShopClient(server.base) as client:

            async def consume() -> None:
                async for page in client.customers.pages():
                    pages.append(page)

            task = asyncio.create_task(consume())
            await asyncio.wait_for(server.slow_started.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
            session = client._shared.session
            assert session is not None
            connector = session.connector
            assert connector is not None
            assert len(connector._acquired) == 0  # type: ignore[attr-defined]
        assert session.closed and connector.closed
        del session, connector, task
        gc.collect()
    assert [[c.id for c in p.items] for p in pages] == [[1]]
    assert server.hits == Counter({"/odata/customers": 1, "/odata/customers?$skiptoken=2": 1})
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


# -- client configuration ------------------------------------------------------------------------
async def test_with_methods_return_new_clients_sharing_the_session(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        original = client.options
        session = client._shared.session
        h = client.with_headers({"X-A": "1"}, X_B="2")
        t = client.with_timeout(5, connect=1, sock_read=2)
        r = client.with_retry(max_attempts=2, max_delay=9, backoff=0.1)

        async def noop(request: HttpRequest, call_next: Any) -> HttpResponse:
            return await call_next(request)  # type: ignore[no-any-return]

        w = client.with_middleware(noop)
        o = client.with_middleware(noop, outer=True)
        for derived in (h, t, r, w, o):
            assert derived is not client and type(derived) is type(client)
            assert derived._shared is client._shared
            assert derived.base_url == client.base_url
        assert client.options == original  # unchanged
        assert h.options.headers == {"X-A": "1", "X_B": "2"}
        assert h.with_headers(X_B="3").options.headers == {"X-A": "1", "X_B": "3"}
        assert (t.options.timeouts.total, t.options.timeouts.connect, t.options.timeouts.sock_read) == (5, 1, 2)
        assert (r.options.retry.max_attempts, r.options.retry.max_delay, r.options.retry.backoff) == (2, 9, 0.1)
        assert (w.options.inner, w.options.outer) == ((noop,), ())
        assert (o.options.inner, o.options.outer) == ((), (noop,))
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER, repeat=True)
            await client.customers[42].get()
            await h.customers[42].get()
            sent = headers_of(m, "GET", ONE)
            assert "X-A" not in sent[0] and (sent[1]["X-A"], sent[1]["X_B"]) == ("1", "2")
        assert client._shared.session is session and not session.closed
        with pytest.raises(TypeError, match="names and values must be str"):
            client.with_headers(X=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="expected a callable"):
            client.with_middleware("not callable")  # type: ignore[arg-type]


async def test_closing_a_derived_client_leaves_the_shared_session_open(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        session = client._shared.session
        assert session is not None
        async with client.with_headers(X="1") as derived, client.with_timeout(5):
            assert derived._shared.session is session
        assert not session.closed
        assert client._shared.session is session
        with aioresponses() as m:
            m.get(ONE, payload=CUSTOMER)
            await client.customers[42].get()
        assert client._shared.session is session
    assert session.closed and client._shared.session is None


async def test_a_client_derived_in_the_async_with_closes_the_session(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE).with_timeout(5) as client:
        session = client._shared.session
        assert session is not None and not session.closed
    assert session.closed


async def test_close_closes_the_shared_session(shop: ModuleType) -> None:
    client = shop.ShopClient(BASE)
    derived = client.with_retry(max_attempts=1)
    async with derived:
        session = derived._shared.session
        assert session is not None
        await derived.close()
        assert session.closed


async def test_inner_middleware_sees_each_attempt_outer_one_call(
    shop: ModuleType, clock: Clock, delays: list[float]
) -> None:
    inner_seen: list[tuple[str | None, int]] = []
    outer_seen: list[tuple[str | None, int]] = []
    order: list[str] = []

    async def inner(request: HttpRequest, call_next: Any) -> HttpResponse:
        auth = request.headers.get("Authorization")
        order.append("inner")
        response: HttpResponse = await call_next(request)
        inner_seen.append((auth, response.status))
        return response

    async def inner2(request: HttpRequest, call_next: Any) -> HttpResponse:
        order.append("inner2")
        return await call_next(request)  # type: ignore[no-any-return]

    async def outer(request: HttpRequest, call_next: Any) -> HttpResponse:
        auth = request.headers.get("Authorization")
        order.append("outer")
        response: HttpResponse = await call_next(request)
        outer_seen.append((auth, response.status))
        return response

    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as client:
        c = client.with_middleware(inner, inner2).with_middleware(outer, outer=True)
        with aioresponses() as m:
            m.get(ONE, status=503)
            m.get(ONE, payload=CUSTOMER)
            await c.customers[42].get()
    assert inner_seen == [("Bearer t1", 503), ("Bearer t1", 200)]
    assert outer_seen == [(None, 200)]  # before auth, after the retries
    assert order == ["outer", "inner", "inner2", "inner", "inner2"]
    assert len(delays) == 1


async def test_client_request_id_and_debug_log(
    shop: ModuleType, caplog: pytest.LogCaptureFixture, delays: list[float]
) -> None:
    caplog.set_level(logging.DEBUG, logger="odatakit.http")
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=503)
            m.get(ONE, payload=CUSTOMER, headers={"request-id": "svc-7"})
            await client.customers[42].get()
            m.get(ALL, payload={"value": []})
            await client.with_headers({"client-request-id": "mine-1"}).customers.get()
            ids = [h["client-request-id"] for h in headers_of(m, "GET", ONE)]
            assert headers_of(m, "GET", ALL)[0]["client-request-id"] == "mine-1"
    assert ids[0] == ids[1]  # one id for every attempt of a request
    assert uuid.UUID(ids[0]).version == 4
    debug = [r for r in caplog.records if r.name == "odatakit.http" and r.levelno == logging.DEBUG]
    messages = [r.getMessage() for r in debug]
    assert len(messages) == 2
    assert re.fullmatch(
        rf"GET {re.escape(ONE)} -> 200 in \d+\.\d ms \(client-request-id {ids[0]}, request-id svc-7\)", messages[0]
    )
    assert messages[1].endswith("(client-request-id mine-1, request-id None)")
    retry = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(retry) == 1 and retry[0].startswith(f"GET {ONE} -> 503; retry 1 in ")


async def test_failures_logged_at_info(shop: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="odatakit.http")
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ONE, status=404, headers={"request-id": "svc-8"})
            with pytest.raises(NotFound):
                await client.customers[42].get()
    [record] = [r for r in caplog.records if r.name == "odatakit.http"]
    assert record.levelno == logging.INFO
    assert re.fullmatch(
        rf"GET {re.escape(ONE)} -> 404 in .* \(client-request-id [0-9a-f-]{{36}}, request-id svc-8\)",
        record.getMessage(),
    )


async def test_prefer_merged_into_one_header_request_wins(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as plain:
        client = plain.with_headers(Prefer='odata.maxpagesize=5, odata.include-annotations="*"')
        with aioresponses() as m:
            m.get(ALL, payload={"value": []}, repeat=True)
            await client.customers.get()
            await (
                client.customers.preference("odata.maxpagesize", 10)
                .preference("outlook.timezone", "Pacific Standard Time")
                .get()
            )
            await client.customers.with_headers(Prefer="return=minimal").page_size(7).get()
            await plain.customers.get()
            prefers = [[v for k, v in h.items() if k.lower() == "prefer"] for h in headers_of(m, "GET", ALL)]
    assert prefers == [
        ['odata.maxpagesize=5, odata.include-annotations="*"'],
        ['odata.include-annotations="*", odata.maxpagesize=10, outlook.timezone="Pacific Standard Time"'],
        ['odata.include-annotations="*", return=minimal, odata.maxpagesize=7'],
        [],
    ]


async def test_prefer_and_authorization_set_by_an_outer_middleware(shop: ModuleType, clock: Clock) -> None:
    foreign = "https://cdn.other.test/odata/customers"

    async def outer(request: HttpRequest, call_next: Any) -> HttpResponse:
        request.headers["Prefer"] = "respond-async, odata.maxpagesize=3"
        request.headers["Authorization"] = "Bearer from-middleware"
        return await call_next(request)  # type: ignore[no-any-return]

    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as plain:
        client = plain.with_headers(Prefer="odata.maxpagesize=5, return=minimal").with_middleware(outer, outer=True)
        with aioresponses() as m:
            m.get(ALL, payload={"value": []})
            m.get(foreign, payload={"value": []})
            await client.customers.get()
            await client.send("GET", foreign)
            [own] = headers_of(m, "GET", ALL)
            [other] = headers_of(m, "GET", foreign)
    # Merged with the preferences the request carried: the header set last wins per name.
    assert own["Prefer"] == "return=minimal, respond-async, odata.maxpagesize=3"
    # The auth link replaces the header for the service and removes it for any other origin.
    assert own["Authorization"] == "Bearer t1"
    assert "Authorization" not in other and other["Prefer"] == own["Prefer"]


def test_merge_prefer() -> None:
    assert merge_prefer([]) == ""
    assert merge_prefer(["odata.maxpagesize=5"]) == "odata.maxpagesize=5"
    assert merge_prefer(["odata.maxpagesize=5, return=minimal", "odata.maxpagesize=10"]) == (
        "return=minimal, odata.maxpagesize=10"
    )
    # Names are case-insensitive; the last one given wins, with its own spelling.
    assert merge_prefer(["Return=minimal", "return=representation"]) == "return=representation"
    # Commas inside quoted values do not split; escaped quotes do not end the value.
    assert merge_prefer(['outlook.timezone="a, b", x=1', "x=2"]) == 'outlook.timezone="a, b", x=2'
    assert merge_prefer(['p="say \\"hi, there\\"", q']) == 'p="say \\"hi, there\\"", q'
    assert merge_prefer(['a="1,2"', 'a="3,4"']) == 'a="3,4"'
    # Parameters after `;` and whitespace around `=` belong to the preference.
    assert merge_prefer(["respond-async; wait=10", "wait = 5", "respond-async"]) == "wait = 5, respond-async"
    assert merge_prefer([" , a=1 ,, ", ""]) == "a=1"


async def test_client_closes_only_its_own_session(shop: ModuleType) -> None:
    async with shop.ShopClient(BASE) as client:
        own = client._shared.session
        assert own is not None and not own.closed
    assert own.closed and client._shared.session is None
    async with aiohttp.ClientSession() as mine:
        async with shop.ShopClient(BASE, session=mine) as client:
            assert client._shared.session is mine
            with aioresponses() as m:
                m.get(ONE, payload=CUSTOMER)
                await client.customers[42].get()
        assert not mine.closed


@pytest.mark.parametrize("url", ["not a url", "ftp://svc.test/odata", "https://", "/odata"])
def test_client_rejects_a_relative_or_non_http_url(shop: ModuleType, url: str) -> None:
    with pytest.raises(ValueError) as info:
        shop.ShopClient(url)
    assert str(info.value) == f"base_url {url!r}: expected an absolute http(s) URL"


# -- paging --------------------------------------------------------------------------------------
async def test_pages_yield_typed_items_count_links_and_annotations(shop: ModuleType) -> None:
    first = f"{ALL}?$count=true"
    second = f"{ALL}?$count=true&$skiptoken=2"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(
                first,
                payload={
                    "@odata.context": f"{BASE}/$metadata#customers",
                    "@odata.count": 3,
                    "@odata.nextLink": second,
                    "@custom.flag": True,
                    "value": [CUSTOMER, {"id": 43, "name": "Bob"}],
                },
                headers={"Preference-Applied": "odata.maxpagesize=2"},
            )
            m.get(second, payload={"@odata.count": "3", "value": [{"id": 44}]})
            pages = [page async for page in client.customers.count().pages()]
            assert total_requests(m) == 2
    assert [type(p) for p in pages] == [Page, Page]
    one, two = pages
    assert one.items == [shop.Customer(id=42, name="Ada"), shop.Customer(id=43, name="Bob")]
    assert all(type(i) is shop.Customer for i in one.items + two.items)
    assert (one.count, one.next_link, one.delta_link, len(one)) == (3, second, None, 2)
    assert one.annotations == {"@odata.context": f"{BASE}/$metadata#customers", "@custom.flag": True}
    assert one.headers["Preference-Applied"] == "odata.maxpagesize=2"
    assert (two.items, two.count, two.next_link, two.annotations) == ([shop.Customer(id=44)], 3, None, {})


async def test_max_items_stops_early_without_fetching_the_next_page(shop: ModuleType) -> None:
    second = f"{ALL}?$skiptoken=2"
    third = f"{ALL}?$skiptoken=3"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ALL, payload={"value": [{"id": 1}, {"id": 2}, {"id": 3}], "@odata.nextLink": second}, repeat=True)
            m.get(second, payload={"value": [{"id": 4}, {"id": 5}], "@odata.nextLink": third}, repeat=True)
            pages = [p async for p in client.customers.pages(max_items=2)]
            assert [[c.id for c in p.items] for p in pages] == [[1, 2]]
            assert (len(calls(m, "GET", ALL)), len(calls(m, "GET", second))) == (1, 0)
            assert [c.id for c in await client.customers.get(max_items=4)] == [1, 2, 3, 4]
            assert (len(calls(m, "GET", ALL)), len(calls(m, "GET", second)), len(calls(m, "GET", third))) == (2, 1, 0)
            assert [c.id async for c in client.customers.iter(max_items=3)] == [1, 2, 3]
            assert (len(calls(m, "GET", ALL)), len(calls(m, "GET", second))) == (3, 1)
            assert await client.customers.get(max_items=0) == []
            assert total_requests(m) == 4
            with pytest.raises(TypeError, match=r"max_items=-1: expected an int >= 0"):
                await client.customers.get(max_items=-1)


async def test_max_pages(shop: ModuleType) -> None:
    second = f"{ALL}?$skiptoken=2"
    async with shop.ShopClient(BASE) as client:
        with aioresponses() as m:
            m.get(ALL, payload={"value": [{"id": 1}], "@odata.nextLink": second}, repeat=True)
            m.get(second, payload={"value": [{"id": 2}], "@odata.nextLink": f"{ALL}?$skiptoken=3"})
            pages = [p async for p in client.customers.pages(max_pages=1)]
            assert [p.next_link for p in pages] == [second]
            assert total_requests(m) == 1
            pages = [p async for p in client.customers.pages(max_pages=2)]
            assert [[c.id for c in p.items] for p in pages] == [[1], [2]]
            assert total_requests(m) == 3


async def test_page_size_sends_prefer_on_every_page(shop: ModuleType, clock: Clock) -> None:
    second = f"{ALL}?$top=9&$skiptoken=2"
    provider = make_provider(clock, 3600)
    async with shop.ShopClient(BASE, provider) as client:
        with aioresponses() as m:
            m.get(f"{ALL}?$top=9", payload={"value": [{"id": 1}], "@odata.nextLink": second})
            m.get(second, payload={"value": [{"id": 2}]})
            items = await client.customers.top(9).page_size(5).get()
            assert [c.id for c in items] == [1, 2]
            for url in (f"{ALL}?$top=9", second):
                [h] = headers_of(m, "GET", url)
                assert (h["Prefer"], h["Authorization"], h["Accept"]) == (
                    "odata.maxpagesize=5",
                    "Bearer t1",
                    "application/json",
                )
    with pytest.raises(TypeError):
        client.customers.page_size(-1)


def test_request_ids_are_random_version_4_uuids() -> None:
    ids = [odatakit.http.request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        parsed = uuid.UUID(rid)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, rid)
    # Every hex digit outside the version and variant bits varies.
    free = [i for i in range(36) if i not in (8, 13, 14, 18, 19, 23)]
    assert all(len({rid[i] for rid in ids}) == 16 for i in free)
    assert {rid[19] for rid in ids} == set("89ab")
