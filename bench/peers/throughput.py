"""Measure msgraph-sdk's request throughput against a local server: typed /me/events pages a second.

Runs under .bench-venv. Start bench/server.py under the project's venv first, then pass its URL plus /v1.0:

    .venv/bin/python bench/server.py --port 0          # prints READY http://127.0.0.1:PORT
    .bench-venv/bin/python bench/peers/throughput.py http://127.0.0.1:PORT/v1.0 --concurrency 32 --seconds 5

A real GraphServiceClient sends: msgraph-core's default middleware pipeline (retry, redirect, URL replace,
parameter-name decoding, user agent, headers inspection, telemetry) over httpx, an anonymous authentication
provider, the base URL pointing at the server. CONCURRENCY workers each loop on `await client.me.events.get()`
(every 50-event page fully structured into typed Events; the server answers with 64 distinct pages in
turn) until SECONDS have passed; requests in flight then
finish and count. The rate is requests completed over the wall time from the first send to the last answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from importlib.metadata import version

import httpx
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.event import Event
from msgraph.graph_request_adapter import options
from msgraph_core import GraphClientFactory

PAGE_SIZE = 50


def make_client(base_url: str, concurrency: int) -> GraphServiceClient:
    """A GraphServiceClient with msgraph-core's default middleware, sending anonymously to `base_url`."""
    # One kept-alive connection per worker, and a timeout no worker waiting behind parsing can reach.
    http = httpx.AsyncClient(base_url=base_url, timeout=60.0,
                             limits=httpx.Limits(max_connections=concurrency,
                                                 max_keepalive_connections=concurrency))
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    return GraphServiceClient(request_adapter=GraphRequestAdapter(AnonymousAuthenticationProvider(), http))


async def first_page(client: GraphServiceClient) -> None:
    """Fetch one page outside the timing (lazy imports, connection) and check that it came back typed."""
    page = await client.me.events.get()
    assert page is not None and page.value is not None and len(page.value) == PAGE_SIZE
    last = page.value[-1]
    assert isinstance(last, Event) and last.subject is not None and last.subject.startswith(f"Meeting {PAGE_SIZE - 1} ")
    assert last.start is not None and last.start.date_time is not None
    assert last.attendees is not None and len(last.attendees) == 3


async def run(base_url: str, concurrency: int, seconds: float) -> dict[str, object]:
    """Drive `concurrency` workers for `seconds` and return the figures."""
    client = make_client(base_url, concurrency)
    await first_page(client)
    done = 0

    async def worker(deadline: float) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            page = await client.me.events.get()
            assert page is not None and page.value is not None and len(page.value) == PAGE_SIZE
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(start + seconds) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {
        "requests_per_s": round(done / elapsed, 2),
        "requests": done,
        "seconds": round(elapsed, 3),
        "concurrency": concurrency,
        "events_per_page": PAGE_SIZE,
        "method": "GraphServiceClient (default middleware, anonymous auth, httpx) -> client.me.events.get(), "
                  "typed pages; requests in flight at the deadline finish and count; rate = requests / wall time",
        "version": version("msgraph-sdk"),
        "versions": {name: version(name) for name in ("msgraph-core", "microsoft-kiota-http", "httpx")},
    }


def main() -> None:
    """Parse the arguments, run the workers, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("base_url", help="bench/server.py's URL plus /v1.0, e.g. http://127.0.0.1:8000/v1.0")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.base_url.rstrip("/"), args.concurrency, args.seconds))
    print(f"throughput: {result['requests']} requests in {result['seconds']} s", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
