"""The reliability scenarios (tests/reliability/) at small sizes: nothing lost, nothing leaked, never stuck.

The same scenarios as `make reliability` (which runs them at full size and writes
docs/reliability.md), with the sizes of `tests.reliability.__main__.FAST`. Retries wait no time
except in the burst, where honouring `Retry-After` is what is measured.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import odatakit.http
from odatakit import MalformedResponse, TooManyRequests

from .conftest import FIXTURES, ROOT
from .faultserver import Fault, FaultServer
from .reliability import report, scenarios
from .reliability.__main__ import FAST


@pytest.fixture
def shop(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "keys.xml", "fx_keys")  # type: ignore[no-any-return]


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def nothing(seconds: float) -> None:
        return None

    monkeypatch.setattr(odatakit.http, "sleep", nothing)


def held(figures: scenarios.Figures) -> None:
    assert figures.failed() == [], f"{figures.name}: {figures.failed()}\n{report.table([figures])}"


@pytest.mark.usefixtures("no_sleep")
async def test_paging_under_faults_delivers_every_item_exactly_once_with_no_recovery_code(shop: ModuleType) -> None:
    figures = await scenarios.paging(shop, **FAST["paging"])
    held(figures)
    assert (figures.delivered, figures.lost, figures.duplicated) == (1_000, 0, 0)
    # The faults were survived by both kinds of retry: the request's and the page's (garbage).
    assert figures.request_retries > 0 and figures.page_retries > 0


@pytest.mark.usefixtures("no_sleep")
async def test_two_delta_rounds_under_faults_deliver_every_change_once_per_round(shop: ModuleType) -> None:
    figures = await scenarios.delta(shop, **FAST["delta"])
    held(figures)
    assert (figures.delivered, figures.lost, figures.duplicated) == (1_000, 0, 0)
    assert figures.request_retries + figures.page_retries > 0


@pytest.mark.usefixtures("no_sleep")
async def test_with_no_retries_every_fault_ends_the_round_and_iterating_it_again_loses_and_repeats_nothing(
    shop: ModuleType,
) -> None:
    figures = await scenarios.delta(shop, **FAST["delta, no retries"])
    held(figures)
    assert (figures.delivered, figures.lost, figures.duplicated) == (1_000, 0, 0)
    assert figures.request_retries == 0 and figures.resumes > 0


async def test_a_burst_stays_within_the_pool_and_waits_as_long_as_retry_after_asks(shop: ModuleType) -> None:
    figures = await scenarios.burst(shop, **FAST["burst"])
    held(figures)
    assert figures.notes["max in flight at the server"] == 64
    assert figures.faults["429"] == figures.request_retries > 0
    assert figures.notes["earliest retry vs asked (ms)"] >= -5


def test_random_cancellation_leaves_no_session_connector_or_task(shop: ModuleType) -> None:
    figures = scenarios.cancellation(shop, **FAST["cancellation"])
    assert figures.notes["stderr"] == "" and figures.notes["exit code"] == 0, figures.notes["stderr"]
    held(figures)


@pytest.mark.usefixtures("no_sleep")
async def test_hostile_answers_give_a_typed_error_or_the_right_result_and_never_hang(shop: ModuleType) -> None:
    cases = await scenarios.hostile(shop, **FAST["hostile"])
    failed = [case for case in cases if not case.held]
    assert not failed, report.hostile_table(failed)
    assert len(cases) == 17


# -- runtime fixes the scenarios found -----------------------------------------------------------------
async def test_a_page_is_not_fetched_again_after_a_retry_after_past_max_delay(
    shop: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page used to sleep what the 429 asked (a day, three times) where the request had given up.
    asked: list[float] = []

    async def record(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(odatakit.http, "sleep", record)
    server = FaultServer()
    server.add_collection("customers", 3)
    server.faults = lambda request, n: Fault("status", 429, retry_after="86400")
    async with scenarios.running(server), shop.ShopClient(server.base) as client:
        with pytest.raises(TooManyRequests) as throttled:
            await client.customers.get()
    assert throttled.value.retry_after == 86400 and throttled.value.resume_link == f"{server.base}/customers"
    assert asked == [] and len(server.requests) == 1


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize(("fault", "requests", "retryable"), [
    # aiohttp stops a chunk expanding past 32 MiB: a bomb, not a broken connection, and not asked for again.
    (Fault("gzip_bomb", size=64 << 20), 1, False),
    # A body not in its Content-Encoding is garbled, like one that is not JSON: the page is fetched again.
    (Fault("bad_gzip"), 4, True),
])
async def test_a_body_aiohttp_cannot_decompress_is_malformed_not_a_broken_connection(
    shop: ModuleType, fault: Fault, requests: int, retryable: bool
) -> None:
    server = FaultServer()
    server.add_collection("customers", 3)
    server.faults = lambda request, n: fault
    async with scenarios.running(server), shop.ShopClient(server.base) as client:
        with pytest.raises(MalformedResponse, match="the body cannot be decompressed") as bad:
            await client.customers.get()
    assert bad.value.retryable is retryable and len(server.requests) == requests


def _prose(text: str) -> str:
    """A page without its figures: the ```text blocks emptied, the machine line dropped."""
    text = re.sub(r"```text\n.*?```", "```text\n```", text, flags=re.DOTALL)
    return re.sub(r"^Measured on .*$", "", text, flags=re.MULTILINE)


def test_the_reliability_page_is_the_one_the_runner_writes_and_is_in_the_site() -> None:
    page = ROOT / "docs" / "reliability.md"
    # Regenerate it with `make reliability` after changing tests/reliability/report.py.
    assert _prose(page.read_text(encoding="utf-8")) == _prose(report.page([], []))
    assert "reliability.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^reliability:.*\n\t\$\(PY\) -m tests\.reliability --full$",
                     Path(ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.MULTILINE)
