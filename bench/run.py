"""`make bench`: generation time, cold start and structuring speed, as medians.

Peer libraries (msgraph-sdk, pyodata, msgspec) are measured by the whole-Graph benchmark
work; this first cut measures odatakit against the `json.loads` floor only.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT.parent / "shared" / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
sys.path.insert(0, str(ROOT / "generated"))


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generate_seconds(metadata: Path, runs: int) -> float:
    """Median time of `odatakit generate` in a fresh process."""
    def once() -> None:
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(
                [sys.executable, "-m", "generator.cli", "generate", "--metadata", str(metadata), "--package", "b",
                 "--out", out, "--quiet"],
                cwd=ROOT, check=True,
            )
    return median_seconds(once, runs)


def event(i: int) -> dict[str, object]:
    """A realistic Graph event: body, start/end, location, 3 attendees, organizer, categories."""
    person = {"emailAddress": {"name": f"Person {i}", "address": f"p{i}@contoso.test"}}
    return {
        "@odata.etag": f'W/"{i}"', "id": f"AAMkAGI2TG93AAA{i}=", "createdDateTime": "2017-04-15T03:00:50.7579581Z",
        "lastModifiedDateTime": "2017-04-15T03:00:51.245372Z", "subject": f"Meeting {i}", "importance": "normal",
        "isAllDay": False, "showAs": "busy", "categories": ["Red category", "Blue"],
        "body": {"contentType": "html", "content": "<html><body>Agenda</body></html>"},
        "start": {"dateTime": "2017-04-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2017-04-15T14:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "location": {"displayName": "Harry's Bar", "locationType": "default", "uniqueIdType": "private"},
        "attendees": [{"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}, **person}
                      for _ in range(3)],
        "organizer": person,
    }


def peer_query_build() -> dict[str, object]:
    """Run bench/peers/query_build.py under .bench-venv and return its JSON, or {} when that venv is missing."""
    python = ROOT / ".bench-venv" / "bin" / "python"
    if not python.exists():
        print(f"note: {python.relative_to(ROOT)} is missing (run `make bench-setup`); peer query timings skipped")
        return {}
    done = subprocess.run([str(python), str(ROOT / "bench" / "peers" / "query_build.py")],
                          cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def odatakit_query_build() -> tuple[float, str]:
    """Microseconds to build the typical query (the peers' query) from `client.me.events` to its absolute URL."""
    sys.path.insert(0, str(ROOT / "bench" / "peers"))
    from graph_v1 import Attachment, Event, GraphClient, Importance
    from query_build import per_call_us

    client = GraphClient("https://graph.microsoft.com/v1.0", None)

    def build() -> str:
        return (
            client.me.events.select(Event.subject, Event.start, Event.end, Event.organizer)
            .filter(Event.subject.startswith("All") & (Event.importance == Importance.HIGH) & (Event.is_all_day == False))  # noqa: E712
            .expand(Event.attachments.select(Attachment.name))
            .order_by(Event.start.date_time.desc())
            .top(10)
            .absolute_url
        )

    micros, _ = per_call_us(build)
    return micros, build()


def main() -> None:
    """Print the table and write docs/benchmarks.md."""
    rows: list[tuple[str, str, str]] = []
    ours_us, url = odatakit_query_build()
    peers = peer_query_build()
    floor_us = peers.get("floor_us")
    graph_us = peers.get("msgraph_sdk_us")
    rows.append(("query build: select 4, filter (startswith + 2 comparisons), expand with nested select, "
                 "order_by, top → absolute URL", f"{ours_us:.1f} µs", "odatakit (median of 7 runs)"))
    if isinstance(floor_us, float):
        rows.append(("query build floor: dict of the 5 options + urlencode", f"{floor_us:.1f} µs",
                     f"odatakit is {ours_us / floor_us:.2f}x the floor (target ≤ 2.5x)"))
    if isinstance(graph_us, float):
        versions = peers.get("versions")
        graph_version = versions.get("msgraph-sdk", "") if isinstance(versions, dict) else ""
        rows.append((f"query build, msgraph-sdk {graph_version}: request builder → RequestInformation URL", f"{graph_us:.1f} µs",
                     f"odatakit is {graph_us / ours_us:.1f}x faster (target ≥ 10x)"))
    if "pyodata_us" in peers:
        rows.append(("query build, pyodata", "n/a", str(peers.get("pyodata_note", "cannot build it"))[:160]))
    print(f"odatakit URL: {url}")
    sub = generate_seconds(ROOT / "schemas" / "graph_v1.xml", 5)
    rows.append(("generate Graph calendar subset (median of 5, fresh process)", f"{sub:.2f} s", "target < 1 s"))
    if GRAPH.exists():
        whole = generate_seconds(GRAPH, 3)
        rows.append(("generate whole Graph v1.0 (median of 3, fresh process)", f"{whole:.2f} s", "target < 20 s"))

    page50 = json.dumps({"value": [event(i) for i in range(50)]})
    code = (
        "import json, sys; sys.path.insert(0, 'generated'); from graph_v1 import GraphClient, Event; "
        f"d = json.loads({page50!r}); c = GraphClient('https://g.test').converter; "
        "[c.structure(v, Event) for v in d['value']]"
    )
    cold = median_seconds(lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True), 7)
    base = median_seconds(lambda: subprocess.run([sys.executable, "-c", "import aiohttp, attrs, cattrs"],
                                                 cwd=ROOT, check=True), 7)
    rows.append(("cold start: import + 50-event page (median of 7)", f"{cold * 1000:.0f} ms",
                 f"{(cold - base) * 1000:.0f} ms beyond importing aiohttp, attrs, cattrs"))

    from graph_v1 import Event, GraphClient

    conv = GraphClient("https://g.test").converter
    page = json.dumps({"value": [event(i) for i in range(10_000)]})
    floor = median_seconds(lambda: json.loads(page), 5)
    ours = median_seconds(lambda: [conv.structure(v, Event) for v in json.loads(page)["value"]], 5)
    rows.append(("json.loads of a 10,000-event page (floor)", f"{floor * 1000:.0f} ms", "1.0x"))
    rows.append(("odatakit: json.loads + structure into typed Events", f"{ours * 1000:.0f} ms",
                 f"{ours / floor:.1f}x the floor (target 1.2x: specialised code is still to come)"))

    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    lines = ["| measurement | value | ratio / note |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    table = "\n".join(lines)
    print(f"machine: {machine}\n{table}")
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text(
        f"# Benchmarks\n\nWritten by `make bench` on {machine}.\n\n{table}\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
