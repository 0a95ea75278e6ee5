"""Memory a live decoded page holds, one contender per fresh process; prints one JSON object.

The same script runs under both venvs, so every contender is measured the same way:

    python bench/memory.py KIND PAGE_FILE

KIND is one of bench/decode.py's (json, orjson, odatakit under the project's venv; json, orjson,
msgspec, pydantic, msgraph-sdk under .bench-venv): this process loads it and decodes a small page of
other events once (dropped), then reads PAGE_FILE and hands one decode to bench/rss.py's `measure`
(RSS after minus before, garbage collected both times, the result alive), and another to `live`
(the Python heap the result keeps alive, by tracemalloc). Plain dicts are measured in both venvs,
so each typed contender is compared with the dicts of its own kind of process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decode import WARM_PAGE, check, decoder, page_of  # noqa: E402
from events import page_bytes  # noqa: E402
from rss import live, measure  # noqa: E402


def main() -> None:
    """Measure KIND on PAGE_FILE and print the figures."""
    kind, path = sys.argv[1], Path(sys.argv[2])
    decode = decoder(kind)
    check(kind, decode(page_bytes(50, WARM_PAGE)), 50, WARM_PAGE)
    data = path.read_bytes()
    page, count = page_of(path)
    kept: list[object] = []

    def decode_and_keep(data: bytes) -> object:
        kept.append(decode(data))
        return kept[-1]

    figures = measure(decode_and_keep, data)
    check(kind, kept.pop(), count, page)
    # Then the live heap alone (tracemalloc slows allocation: measured apart from the RSS). Not for
    # msgraph-sdk, whose parse under tracemalloc takes minutes; its rows quote the RSS alone.
    live_mib = live(decode, data) if kind != "msgraph-sdk" else None
    print(json.dumps({"kind": kind, "events": count, "bytes": len(data), "live_mib": live_mib, **figures}))


if __name__ == "__main__":
    main()
