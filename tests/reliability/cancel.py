"""Random cancellation: the child process of `scenarios.cancellation`.

Run as ``python -X dev -W error::ResourceWarning -m tests.reliability.cancel --package-dir DIR
--package fx_keys --cuts 200 --seed 4``: asyncio in debug mode, a `FaultServer` with some
flaky answers (drops, stalls, 503s, truncated bodies), and `cuts` operations, each a task
cancelled after a random delay: one request (`customers[i].get()`), a paged read
(`async for page in customers.pages()`), or a JSON `$batch` of GETs (one of them a paged
collection); on the long-lived client or on a client opened inside the task. Then every client
and the server are closed, garbage is collected, and the tasks still pending are listed on
stderr. The parent fails on any output on stderr (an unclosed session, connector or transport
is a `ResourceWarning`, made an error by ``-W``, reported as "Exception ignored") and on an exit
code other than 0; stdout's last line is the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import random
import sys
from collections import Counter
from types import ModuleType
from typing import Any

from odatakit import ODataError

from ..faultserver import FaultServer
from .scenarios import Attempts

KINDS = ("request", "pages", "batch")


async def main(shop: ModuleType, cuts: int, seed: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    # Debug mode's "slow callback" lines are about speed, not leaks: keep stderr for what matters.
    loop.slow_callback_duration = 60.0
    rng = random.Random(seed)
    server = FaultServer(page_size=10, latency=0.005)
    server.add_collection("customers", 100)
    server.fault_rate(0.1, seed, ("drop", "drop_mid_body", "stall", "status", "truncate"), statuses=(503,),
                      retry_after=(None,), stall=0.3)
    attempts = Attempts()
    outcomes: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    on_wire = off_wire = completed = 0
    await server.start()

    def make_client() -> Any:
        client = shop.ShopClient(server.base, "secret-token", timeout=0.1).with_retry(backoff=0.02)
        return attempts.counted(client)

    async def operation(kind: str, client: Any) -> None:
        customers = client.customers
        if kind == "request":
            await customers[rng.randint(1, 100)].get()
        elif kind == "pages":
            async for _ in customers.pages():
                pass
        else:
            async with client.batch(json=True) as batch:
                for i in rng.sample(range(1, 101), 4):
                    batch.add(customers[i].get())
                batch.add(customers.get())  # its first page in the batch, the others directly

    async def own_client(kind: str) -> None:
        async with make_client() as client:
            await operation(kind, client)

    shared = make_client()
    async with shared:
        for cut in range(cuts):
            attempts.operation = cut
            kind = rng.choice(KINDS)
            own = rng.random() < 0.5
            delay = rng.uniform(0.0, 0.08)
            by_kind[kind] += 1
            task = asyncio.create_task(own_client(kind) if own else operation(kind, shared))
            await asyncio.sleep(delay)
            wire = server.in_flight > 0
            asked = task.cancel()
            await asyncio.wait([task])
            if task.cancelled():
                outcomes["cancelled"] += 1
                on_wire += wire
                off_wire += not wire
            elif asked:
                # Cancelled while running, yet it returned or raised something else: swallowed.
                outcomes["swallowed"] += 1
                print(f"cancellation swallowed by a {kind}: {task.exception()!r}", file=sys.stderr)
            elif task.exception() is None:
                outcomes["finished before the cut"] += 1
                completed += 1
            elif isinstance(task.exception(), ODataError):
                outcomes["failed (typed, after the retries)"] += 1
            else:
                outcomes["failed (untyped)"] += 1
                print(f"untyped failure of a {kind}: {task.exception()!r}", file=sys.stderr)
    await server.close()
    gc.collect()
    for _ in range(3):
        await asyncio.sleep(0)
    pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in pending:
        print(f"pending task: {task!r}", file=sys.stderr)
    return {
        "cuts": cuts,
        "by_kind": dict(by_kind),
        "outcomes": dict(outcomes),
        "on_wire": on_wire,
        "off_wire": off_wire,
        "completed": completed,
        "pending_tasks": len(pending),
        **_counts(attempts, server),
    }


def _counts(attempts: Attempts, server: FaultServer) -> dict[str, Any]:
    return {
        "requests": len(server.requests),
        "faults": dict(server.faults_injected),
        "request_retries": attempts.attempts - attempts.calls,
        "page_retries": attempts.calls - len(attempts.urls),
    }


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--package-dir", required=True)
    parser.add_argument("--package", default="fx_keys")
    parser.add_argument("--cuts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, args.package_dir)
    shop = importlib.import_module(args.package)
    report = asyncio.run(main(shop, args.cuts, args.seed), debug=True)
    gc.collect()
    print(json.dumps(report))
    return 1 if report["pending_tasks"] or report["outcomes"].get("swallowed") else 0


if __name__ == "__main__":
    sys.exit(run())
