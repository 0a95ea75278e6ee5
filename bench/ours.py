"""odatakit's in-process measurements for `make bench`, each in a fresh process; prints one JSON object.

Runs under the project's venv with `generated/` importable (the bundled `graph_v1` package), and goes
through odatakit's public calls only, so it keeps measuring the same thing while the runtime changes:

    python bench/ours.py query                      # the typical query's URL: odatakit's builder vs the floor
    python bench/ours.py throughput URL SECONDS ROUNDS  # bench/server.py: raw aiohttp + orjson, + json.loads, odatakit (both retain modes)

Each contender and its floors share the process and the collector's settings (its default), and take
turns round by round, the order rotating, so a slow spell of this shared machine lands on all of them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "generated"))
ROUNDS = 7
# A round's calls of one contender last about this long: long enough for the clock, short enough
# that rounds interleave finely.
ROUND_SECONDS = 0.15


def rotated(items: list[str], turn: int) -> list[str]:
    """`items` starting at position `turn`: no contender always runs first."""
    turn %= len(items)
    return items[turn:] + items[:turn]


def per_call_rounds(contenders: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Microseconds per call of each contender, one figure per round, contenders taking turns."""
    numbers = {}
    for name, fn in contenders.items():
        n = 1  # calibrate (doubles as the warm-up): calls that take about ROUND_SECONDS
        while True:
            start = time.perf_counter()
            for _ in range(n):
                fn()
            elapsed = time.perf_counter() - start
            if elapsed >= ROUND_SECONDS / 4:
                break
            n *= 2
        numbers[name] = max(1, round(n * ROUND_SECONDS / elapsed))
    out: dict[str, list[float]] = {name: [] for name in contenders}
    for turn in range(ROUNDS):
        for name in rotated(list(contenders), turn):
            fn, number = contenders[name], numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out[name].append((time.perf_counter() - start) / number * 1e6)
    return out


def query() -> dict[str, Any]:
    """The typical query → absolute URL: odatakit's builder against the floor of query_floor.py."""
    from graph_v1 import Attachment, Event, GraphClient, Importance
    from query_floor import SERVICE, floor_url

    client = GraphClient(SERVICE, None)

    def build() -> str:
        return (
            client.me.events.select(Event.subject, Event.start, Event.end, Event.organizer)
            .filter(Event.subject.startswith("All") & (Event.importance == Importance.HIGH) & (Event.is_all_day == False))  # noqa: E712
            .expand(Event.attachments.select(Attachment.name))
            .order_by(Event.start.date_time.desc())
            .top(10)
            .absolute_url
        )

    url = build()
    if url != floor_url():
        raise SystemExit(f"the floor builds another URL:\n  odatakit {url}\n  floor    {floor_url()}")
    return {"url": url, "us": per_call_rounds({"odatakit": build, "floor": floor_url})}


async def _loop(worker: Callable[[], Awaitable[None]], seconds: float, concurrency: int) -> float:
    """Requests a second of `concurrency` tasks looping on `worker` for `seconds`."""
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


async def _throughput(url: str, seconds: float, concurrency: int, rounds: int) -> dict[str, Any]:
    """Requests a second of the two raw loops and of odatakit (`retain="json"` and `"body"`): `rounds` turns each."""
    import aiohttp
    from graph_v1 import Event, GraphClient

    connector = aiohttp.TCPConnector(limit=concurrency)
    events_url = f"{url}/v1.0/me/events"
    async with aiohttp.ClientSession(connector=connector) as session, GraphClient(
        f"{url}/v1.0", None, limit=concurrency
    ) as client, GraphClient(f"{url}/v1.0", None, limit=concurrency, retain="body") as lean:

        async def raw_orjson() -> None:
            async with session.get(events_url) as response:
                response.raise_for_status()
                body = orjson.loads(await response.read())
            assert len(body["value"]) == 50

        async def raw_json() -> None:
            async with session.get(events_url) as response:
                response.raise_for_status()
                body = json.loads(await response.read())
            assert len(body["value"]) == 50

        async def odatakit() -> None:
            events = await client.me.events.get()
            assert len(events) == 50

        async def odatakit_body() -> None:
            events = await lean.me.events.get()
            assert len(events) == 50

        await lean.me.events.get()
        first = await client.me.events.get()  # connection, first use: outside the timings
        assert len(first) == 50 and type(first[-1]) is Event and len(first[-1].attendees or ()) == 3
        del first
        await raw_orjson()
        contenders = {"raw_orjson": raw_orjson, "raw_json": raw_json, "odatakit": odatakit,
                      "odatakit_body": odatakit_body}
        rps: dict[str, list[float]] = {name: [] for name in contenders}
        for turn in range(rounds):
            for name in rotated(list(contenders), turn):
                rps[name].append(await _loop(contenders[name], seconds / rounds, concurrency))
    return {"rps": rps, "concurrency": concurrency, "seconds": seconds}


def main() -> None:
    """Run the measurement named by the first argument and print its JSON."""
    what, *args = sys.argv[1:]
    if what == "query":
        result = query()
    elif what == "throughput":
        result = asyncio.run(_throughput(args[0], float(args[1]), 32, int(args[2])))
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
