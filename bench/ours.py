"""odatakit's side of `make bench`, one measurement per fresh process; prints one JSON object.

Runs under the project's venv with `generated/` importable (the bundled `graph_v1` package):

    python bench/ours.py structure PAGE_FILE        # 10,000 events: json.loads, orjson, odatakit
    python bench/ours.py memory PAGE_FILE           # RSS of the typed page (bench/rss.py's method)
    python bench/ours.py throughput URL [SECONDS]   # bench/server.py: raw aiohttp loop vs odatakit (5 rounds)

The odatakit figures go through the runtime's own code: `decode_response` (orjson, the collector
paused) and `Converter.structure_many` (emitted structuring functions, the collector paused), the
same calls a page of `client.me.events` makes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
RUNS = 7


def median_seconds(fn: Callable[[], object], runs: int = RUNS) -> float:
    """Median wall time of `runs` calls (the result of each is dropped before the next)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def _typed_page(data: bytes) -> list[Any]:
    from graph_v1 import Event

    from odatakit.client import decode_response

    body = decode_response(200, {}, data, "GET", "https://graph.test/v1.0/me/events").body
    events: list[Any] = _converter().structure_many(body["value"], Event)
    return events


@functools.cache
def _converter() -> Any:
    from graph_v1 import GraphClient

    return GraphClient("https://graph.test/v1.0").converter


def structure(page_file: str) -> dict[str, Any]:
    """Medians for bytes → objects: the json.loads floor, orjson, odatakit's typed page."""
    sys.path.insert(0, str(ROOT / "generated"))
    data = Path(page_file).read_bytes()
    events = _typed_page(data)  # imports and first-use work happen outside the timings
    last = events[-1]
    assert type(last).__name__ == "Event" and len(last.attendees) == 3 and last.subject == f"Meeting {len(events) - 1}"
    assert last.start.date_time == "2017-04-15T12:00:00.0000000" and last.importance.value == "normal"
    # Rounds alternate the three decoders, so a slow minute on a shared machine lands on all
    # three rather than on whichever ran through it.
    rounds: list[tuple[float, float, float]] = []
    for _ in range(RUNS):
        rounds.append((median_seconds(lambda: json.loads(data), 1), median_seconds(lambda: orjson.loads(data), 1),
                       median_seconds(lambda: _typed_page(data), 1)))
    return {
        "events": len(events),
        "json_loads_s": statistics.median(r[0] for r in rounds),
        "orjson_s": statistics.median(r[1] for r in rounds),
        "odatakit_s": statistics.median(r[2] for r in rounds),
        "odatakit_ratios": [round(r[2] / r[0], 2) for r in rounds],
    }


def memory(page_file: str) -> dict[str, Any]:
    """RSS growth while the typed 10,000-event page is alive (fresh process, bench/rss.py)."""
    sys.path.insert(0, str(ROOT / "generated"))
    from rss import measure

    data = Path(page_file).read_bytes()
    _typed_page(page_small(data))  # imports and first use outside the measurement
    return measure(_typed_page, data)


def page_small(data: bytes) -> bytes:
    """The first event of a page as a page of its own."""
    return json.dumps({"value": json.loads(data)["value"][:1]}).encode()


async def _loop(worker: Callable[[], Any], seconds: float, concurrency: int) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def run() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await worker()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(run() for _ in range(concurrency)))
    return done / (time.perf_counter() - start)


async def _throughput(url: str, seconds: float, concurrency: int, rounds: int = 5) -> dict[str, Any]:
    """Requests per second of the raw loop and of odatakit: `rounds` alternating runs each, medians.

    Alternating runs share the machine's slow and fast moments, which one run each does not.
    """
    import aiohttp

    sys.path.insert(0, str(ROOT / "generated"))
    from graph_v1 import GraphClient

    connector = aiohttp.TCPConnector(limit=concurrency)
    raw_rps: list[float] = []
    ours_rps: list[float] = []
    async with aiohttp.ClientSession(connector=connector) as session, GraphClient(
        f"{url}/v1.0", None, limit=concurrency
    ) as client:

        async def raw() -> None:
            async with session.get(f"{url}/v1.0/me/events") as response:
                body = json.loads(await response.read())
                assert len(body["value"]) == 50

        first = await client.me.events.get()
        assert len(first) == 50 and type(first[0]).__name__ == "Event"

        async def ours() -> None:
            events = await client.me.events.get()
            assert len(events) == 50

        for _ in range(rounds):
            raw_rps.append(await _loop(raw, seconds / rounds, concurrency))
            ours_rps.append(await _loop(ours, seconds / rounds, concurrency))
    return {"raw_aiohttp_json_loads_rps": statistics.median(raw_rps), "odatakit_rps": statistics.median(ours_rps),
            "raw_runs": raw_rps, "odatakit_runs": ours_rps, "concurrency": concurrency, "seconds": seconds}


def main() -> None:
    """Run the measurement named by the first argument and print its JSON."""
    what, *args = sys.argv[1:]
    if what == "structure":
        result = structure(args[0])
    elif what == "memory":
        result = memory(args[0])
    elif what == "throughput":
        result = asyncio.run(_throughput(args[0], float(args[1]) if len(args) > 1 else 10.0, 32))
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
