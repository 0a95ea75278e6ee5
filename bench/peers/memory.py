"""Memory to structure one 10,000-event /me/events page in a fresh process; print one JSON object.

Runs under .bench-venv. `python bench/peers/memory.py PAGE_FILE KIND`, where PAGE_FILE holds
bench/events.py's page_bytes(10000) and KIND is `msgraph-sdk` (typed Event models, through kiota's JSON parse
node) or `dicts` (json.loads). This process imports what KIND needs, reads the bytes, and then hands one
decode to bench/rss.py's `measure`: peak RSS (getrusage) and current RSS (/proc/self/statm) before and after,
the result kept alive. Run one KIND per process: the peak never goes down.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from events import page_bytes  # noqa: E402
from rss import measure  # noqa: E402

KINDS = ("msgraph-sdk", "dicts")


def dicts() -> Callable[[bytes], object]:
    """Decode to plain dicts and lists with json.loads."""
    return json.loads


def msgraph_sdk() -> Callable[[bytes], object]:
    """Decode to msgraph-sdk Event models: kiota JSON parse node, child `value`, a collection of Event."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.event import Event

    def decode(data: bytes) -> list[Event]:
        value = JsonParseNodeFactory().get_root_parse_node("application/json", data).get_child_node("value")
        assert value is not None
        events = value.get_collection_of_object_values(Event)
        assert events is not None and isinstance(events[-1], Event) and len(events[-1].attendees or []) == 3
        return events

    # Load the models Event's deserializers import lazily, so the measured decode pays for data only.
    decode(page_bytes(1))
    return decode


def main() -> None:
    """Print one JSON object: the KIND, its peak RSS and the RSS the decode added."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("page_file", type=Path, help="a file holding bench/events.py's page_bytes(10000)")
    parser.add_argument("kind", choices=KINDS)
    args = parser.parse_args()
    decode = msgraph_sdk() if args.kind == "msgraph-sdk" else dicts()
    data = args.page_file.read_bytes()
    figures = measure(decode, data)
    print(json.dumps({
        "kind": args.kind,
        **figures,
        "bytes": len(data),
        "method": "one decode in a fresh process; delta_mib = peak RSS after minus RSS before decoding (result "
                  "alive); retained_mib = RSS after minus RSS before (live result plus memory not returned to the OS)",
        "version": version("msgraph-sdk") if args.kind == "msgraph-sdk" else None,
    }))


if __name__ == "__main__":
    main()
