"""A local Graph stand-in for throughput and cold-start benchmarks: GETs answer 50-event /me/events pages.

Runs under the project's venv (aiohttp). `python bench/server.py --port 0 --pages 64` binds 127.0.0.1 (0 picks
a free port), prints one line `READY http://127.0.0.1:<port>` on stdout once it is listening, and serves until
SIGTERM or SIGINT. It answers each GET with the next of PAGES distinct pages, in turn (bench/events.py's
page_bytes(50, p) for p in 0 .. PAGES-1: other ids, times, subjects and people on each), so a client that
remembers what it decoded before gains only what a real calendar's repetition gives it. The bodies are built
at start-up, so the server spends its time on HTTP alone: aiohttp's low-level server, no router, no access
log, no compression.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import socket
import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from events import page_bytes  # noqa: E402

PAGE_SIZE = 50
CONTENT_TYPE = "application/json; odata.metadata=minimal"


def make_handler(bodies: list[bytes]) -> web.Server:
    """A low-level aiohttp server answering each GET with the next of `bodies` and anything else with 405."""
    headers = {"Content-Type": CONTENT_TYPE}
    turn = itertools.cycle(bodies)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method != "GET":
            return web.Response(status=405, headers={"Allow": "GET"})
        return web.Response(body=next(turn), headers=headers)

    return web.Server(handle, access_log=None)


async def serve(port: int, pages: int) -> None:
    """Listen on 127.0.0.1:`port`, announce the base URL on stdout, and serve until a stop signal."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    runner = web.ServerRunner(make_handler([page_bytes(PAGE_SIZE, p) for p in range(pages)]))
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Parse --port and run the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--pages", type=int, default=64, help="distinct pages served in turn (default 64)")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.pages))


if __name__ == "__main__":
    main()
