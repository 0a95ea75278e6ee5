"""Bytes of event pages → Python objects, one contender per fresh process; prints one JSON object.

The same script runs under both venvs, so every contender is timed the same way:

    python bench/decode.py KIND --group GROUP [--gc default|paused] [--deferred] PAGE_FILE...

KIND is json (json.loads), orjson, odatakit (`decode_response` + `Converter.structure_many` into the
bundled graph_v1 Event: the calls a page of `client.me.events` makes; odatakit-body as with `retain="body"`), msgspec, pydantic
(bench/peers/shapes.py) or msgraph-sdk (kiota's JSON parse node). GROUP names the contenders the
process loads and runs once on a small warm-up page before anything is timed (ours: json, orjson,
odatakit; peers: json, orjson, msgspec, pydantic; msgraph: json, msgraph-sdk), so that within a group
processes differ only in which call is timed: same modules, same first-use work done, warm-up
results dropped. The warm-up page has other events than any timed page.

Each PAGE_FILE (named page-<page>-<count>.json, bench/events.py's page_bytes(count, page)) is read,
then `gc.collect()`, then one timed decode, the collector at its default or paused around the call
alone (`--gc paused`; odatakit then finds it paused and leaves it so). With --deferred, the result
still alive: the time of the next full `gc.collect()` (what the application pays later for keeping the
page), and for odatakit the first time each object is asked for its `additional_data` (undeclared members
and explicit nulls are worked out then): the events, then the objects nested in them (listed beforehand),
then all of them again (the asking's own cost). The result is checked
against bench/events.py after the timings and dropped before the next page.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from events import event, page_bytes  # noqa: E402

GROUPS = {"ours": ("json", "orjson", "odatakit", "odatakit-body"), "peers": ("json", "orjson", "msgspec", "pydantic"),
          "msgraph": ("json", "msgraph-sdk")}
# Far from every page number bench/run.py writes.
WARM_PAGE = 9_000


def _odatakit(keep_body: bool) -> Callable[[bytes], Any]:
    sys.path.insert(0, str(ROOT / "generated"))
    from graph_v1 import Event, GraphClient

    from odatakit.client import decode_response

    converter = GraphClient("https://graph.test/v1.0").converter

    def decode(data: bytes) -> list[Event]:
        # As a page of `client.me.events` is read; with `retain="body"`, the objects keep its bytes.
        response = decode_response(200, {}, data, "GET", "https://graph.test/v1.0/me/events", keep_body=keep_body)
        return converter.structure_many(response.body["value"], Event, source=response.source("value"))

    return decode


def _shapes(name: str) -> Callable[[bytes], Any]:
    # bench/peers/shapes.py needs msgspec and pydantic, which only .bench-venv has.
    sys.path.insert(0, str(ROOT / "bench" / "peers"))
    decode: Callable[[bytes], Any] = getattr(importlib.import_module("shapes"), name)
    return decode


def _msgraph() -> Callable[[bytes], Any]:
    factory = importlib.import_module("kiota_serialization_json.json_parse_node_factory").JsonParseNodeFactory
    event_class = importlib.import_module("msgraph.generated.models.event").Event

    def decode(data: bytes) -> Any:
        return factory().get_root_parse_node("application/json", data).get_child_node("value") \
            .get_collection_of_object_values(event_class)

    return decode


def decoder(kind: str) -> Callable[[bytes], Any]:
    """The call that turns a page's bytes into the contender's objects."""
    if kind == "json":
        return json.loads
    if kind == "orjson":
        import orjson

        return orjson.loads
    if kind == "odatakit":
        return _odatakit(False)
    if kind == "odatakit-body":
        return _odatakit(True)
    if kind == "msgspec":
        return _shapes("msgspec_events")
    if kind == "pydantic":
        return _shapes("pydantic_events")
    if kind == "msgraph-sdk":
        return _msgraph()
    raise SystemExit(f"unknown kind {kind!r}")


def _value(obj: Any, name: str) -> Any:
    """A property of a typed object, or the wire member of a dict (camelCase)."""
    if isinstance(obj, dict):
        camel = name.split("_")[0] + "".join(word.title() for word in name.split("_")[1:])
        return obj[camel]
    return getattr(obj, name)


def check(kind: str, result: Any, count: int, page: int) -> None:
    """The last event has bench/events.py's values, typed as the contender types them."""
    items = result["value"] if isinstance(result, dict) else result
    assert len(items) == count, (kind, len(items), count)
    want = event(count - 1, page)
    last = items[-1]
    assert _value(last, "subject") == want["subject"] and _value(last, "id") == want["id"]
    start = _value(last, "start")
    assert _value(start, "date_time") == want["start"]["dateTime"]  # type: ignore[index]
    attendees = _value(last, "attendees")
    assert len(attendees) == 3
    address = _value(_value(attendees[2], "email_address"), "address")
    assert address == want["attendees"][2]["emailAddress"]["address"]  # type: ignore[index]
    created = _value(last, "created_date_time")
    if kind in ("json", "orjson"):
        assert created == want["createdDateTime"]
    else:
        assert isinstance(created, datetime)
        assert created == datetime.fromisoformat(str(want["createdDateTime"]).replace("0Z", "+00:00"))
        importance = _value(last, "importance")
        assert str(getattr(importance, "value", importance)).lower() == want["importance"]


def parts(event: Any) -> list[Any]:
    """The objects nested in a typed odatakit Event of bench/events.py's shape (15 of them)."""
    found = [event.body, event.start, event.end, event.location, event.organizer]
    if event.organizer is not None:
        found.append(event.organizer.email_address)
    for attendee in event.attendees or ():
        found += [attendee, attendee.email_address, attendee.status]
    return [part for part in found if part is not None]


def ask(objects: list[Any]) -> int:
    """Ask each object for its additional_data; the count of members found."""
    return sum(len(obj.additional_data) for obj in objects)


def page_of(path: Path) -> tuple[int, int]:
    """(page number, event count) from page-<page>-<count>.json."""
    _, page, count = path.stem.split("-")
    return int(page), int(count)


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Wall seconds of fn(*args), and its result."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def run(kind: str, group: str, paused: bool, deferred: bool, files: list[Path]) -> dict[str, Any]:
    """Load the group, warm every contender up, then time `kind` on each file."""
    if kind not in GROUPS[group]:
        raise SystemExit(f"{kind} is not in group {group}")
    decoders = {name: decoder(name) for name in GROUPS[group]}
    warm = page_bytes(50, WARM_PAGE)
    for name, decode in decoders.items():
        check(name, decode(warm), 50, WARM_PAGE)
    del warm
    decode = decoders[kind]
    out: dict[str, Any] = {"kind": kind, "group": group, "gc": "paused" if paused else "default",
                           "events": [], "decode_s": [], "next_gc_s": [], "first_events_s": [], "first_nested_s": [],
                           "again_s": []}
    for path in files:
        page, count = page_of(path)
        data = path.read_bytes()
        gc.collect()
        if paused:
            gc.disable()
        seconds, result = timed(decode, data)
        gc.enable()
        out["events"].append(count)
        out["decode_s"].append(seconds)
        if deferred:
            out["next_gc_s"].append(timed(gc.collect)[0])
            if kind.startswith("odatakit"):
                nested = [part for e in result for part in parts(e)]
                out["first_events_s"].append(timed(ask, result)[0])
                out["first_nested_s"].append(timed(ask, nested)[0])
                out["again_s"].append(timed(ask, result + nested)[0])
                del nested
        check(kind, result, count, page)
        del result, data
    return out


def main() -> None:
    """Parse the arguments, time, print the JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("kind")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--group", required=True, choices=sorted(GROUPS))
    parser.add_argument("--gc", choices=("default", "paused"), default="default")
    parser.add_argument("--deferred", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.kind, args.group, args.gc == "paused", args.deferred, args.files)))


if __name__ == "__main__":
    main()
