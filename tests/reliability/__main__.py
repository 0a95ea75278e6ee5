"""`python -m tests.reliability [--full]`: run the reliability scenarios and print the figures.

Without `--full`, the small sizes of the test suite (with real retry waits: a few seconds
more than `tests/test_reliability.py`); with `--full`, the full sizes, and docs/reliability.md
is written from the figures (unless `--no-docs`). Exits 1 when a check fails (the page is then
not written).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import random
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from . import report, scenarios

FIXTURE = scenarios.ROOT / "tests" / "fixtures" / "csdl" / "keys.xml"
DOCS = scenarios.ROOT / "docs" / "reliability.md"

#: The sizes of `make test` (tests/test_reliability.py uses these too) and of `make reliability`.
FAST: dict[str, dict[str, Any]] = {
    "paging": {"items": 1_000, "page_size": 10, "timeout": 0.2, "stall": 0.4},
    "delta": {"changes": 500, "page_size": 10, "timeout": 0.2, "stall": 0.4},
    "delta, no retries": {"changes": 500, "page_size": 10, "timeout": 0.2, "stall": 0.4,
                          "retry": {"max_attempts": 1}},
    "burst": {"requests": 200},
    "cancellation": {"cuts": 30},
    "hostile": {"case_timeout": 10.0, "bomb_size": 64 << 20},
}
FULL: dict[str, dict[str, Any]] = {
    "paging": {"items": 10_000, "page_size": 100},
    "delta": {"changes": 5_000, "page_size": 100},
    "delta, no retries": {"changes": 5_000, "page_size": 100, "retry": {"max_attempts": 1}},
    "burst": {"requests": 1_000},
    "cancellation": {"cuts": 200},
    "hostile": {"case_timeout": 60.0, "bomb_size": 1 << 30},
}


def generate(out: Path) -> ModuleType:
    """The `fx_keys` package (tests/fixtures/csdl/keys.xml: `ShopClient`, `customers`) generated into `out`."""
    from generator.csdl import load_metadata
    from generator.emit import EmitOptions, emit
    from generator.errors import Diagnostics
    from generator.naming import assign_names

    model = assign_names(load_metadata(str(FIXTURE), diagnostics=Diagnostics()))
    emit(model, EmitOptions(package="fx_keys"), out)
    sys.path.insert(0, str(out))
    return importlib.import_module("fx_keys")


async def run_all(shop: ModuleType, sizes: dict[str, dict[str, Any]]) -> tuple[list[scenarios.Figures],
                                                                               list[scenarios.HostileCase]]:
    figures = [
        await scenarios.paging(shop, **sizes["paging"]),
        await scenarios.delta(shop, **sizes["delta"]),
        # The same without any retry: every fault ends the round, which is iterated again.
        await scenarios.delta(shop, **sizes["delta, no retries"]),
        await scenarios.burst(shop, **sizes["burst"]),
        # A blocking subprocess: its own event loop, server and clients.
        scenarios.cancellation(shop, **sizes["cancellation"]),
    ]
    cases = await scenarios.hostile(shop, **sizes["hostile"])
    figures.append(scenarios.hostile_figures(cases))
    return figures, cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full sizes; writes docs/reliability.md")
    parser.add_argument("--no-docs", action="store_true", help="with --full: do not write docs/reliability.md")
    args = parser.parse_args(argv)
    random.seed(0)  # the backoff's jitter: the fault servers have their own seeded generators
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="odatakit-reliability-") as folder:
        shop = generate(Path(folder))
        figures, cases = asyncio.run(run_all(shop, FULL if args.full else FAST))
    print(report.table(figures))
    print()
    print(report.hostile_table(cases))
    print(f"\n{report.machine()}; {time.perf_counter() - started:.1f} s in all")
    failed = [f"{f.name}: {name}" for f in figures for name in f.failed()]
    if failed:
        print("\nFAILED:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    if args.full and not args.no_docs:
        DOCS.write_text(report.page(figures, cases), encoding="utf-8")
        print(f"wrote {DOCS.relative_to(scenarios.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
