"""`make bench`: odatakit against its floors and peers, every ratio from figures measured in this same run.

odatakit's side runs under the project's venv, the peers' (msgraph-sdk, msgspec, pydantic) under
.bench-venv (bench/peers/requirements.txt), so the two dependency trees never meet; the measuring
scripts that time both (bench/decode.py, bench/memory.py) are the same files under either venv. What
"fair" means here is written into docs/benchmarks.md with the table (METHOD below). Progress goes to
stderr; the table to stdout and to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ROOT.parent / "shared" / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
PEERS_PYTHON = ROOT / ".bench-venv" / "bin" / "python"
sys.path.insert(0, str(ROOT / "bench"))
T = TypeVar("T")

# Generated as the bundled Graph subset is (see the Makefile).
GRAPH_OPTIONS = ["--client-class", "GraphClient", "--key-as-segment", "--unqualified-operations",
                 "--unqualified-enums", "--batch-format", "json"]
# Prunes of the whole Graph between the bundled subset and all of it (type-name globs keep their closure).
PRUNES = {"b-c": "microsoft.graph.[b-c][a-l]*", "a-c": "microsoft.graph.[a-c]*"}

DECODE_ROUNDS = 9
DECODE_EVENTS = 10_000
# Events a page and distinct pages a process decodes, for the per-item rows.
SCALE = {50: 40, 500: 12, 5_000: 4, 50_000: 2}
SCALE_ROUNDS = 3
MSGRAPH_EVENTS = 1_000
MSGRAPH_ROUNDS = 3
MEMORY_ROUNDS = 3
COLD_ROUNDS = 11
GENERATE_ROUNDS = 3
THROUGHPUT_SECONDS = 10.5  # per contender, in THROUGHPUT_ROUNDS turns
THROUGHPUT_ROUNDS = 7
SERVED_PAGES = 64

# A fresh process's first real request with the whole-Graph client: import, GET, typed page.
COLD_GET = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from graph_whole import Event, GraphClient
async def main():
    async with GraphClient(sys.argv[2] + "/v1.0", None) as client:
        events = await client.me.events.get()
    assert len(events) == 50 and type(events[-1]) is Event and len(events[-1].attendees) == 3
asyncio.run(main())
"""
# Its floor: the same GET with aiohttp alone, the body parsed with orjson (as odatakit parses it).
COLD_FLOOR = """
import asyncio, sys, aiohttp, orjson
async def main():
    async with aiohttp.ClientSession() as session, session.get(sys.argv[2] + "/v1.0/me/events") as response:
        response.raise_for_status()
        body = orjson.loads(await response.read())
    assert len(body["value"]) == 50
asyncio.run(main())
"""
# No HTTP at all: the page is read from a file (argv[3]) and typed, as the row says.
COLD_FILE = """
import sys
sys.path.insert(0, sys.argv[1])
from graph_whole import Event, GraphClient
from odatakit.client import decode_response
with open(sys.argv[3], "rb") as page:
    data = page.read()
body = decode_response(200, {}, data, "GET", "https://graph.test/v1.0/me/events").body
events = GraphClient("https://graph.test/v1.0").converter.structure_many(body["value"], Event)
assert len(events) == 50 and type(events[-1]) is Event and len(events[-1].attendees) == 3
"""
DEPENDENCIES = "import sys, aiohttp, attrs, cattrs, orjson\n"
IMPORT_CODE = DEPENDENCIES + "sys.path.insert(0, sys.argv[1])\nfrom graph_whole import Event, GraphClient\n"

METHOD = """\
What "fair" means here: every contender runs in a fresh process, or in the same process as its
floor, taking turns with it round by round (the order rotating), never in a process that keeps an
earlier result alive; `gc.collect()` runs before each timed call, and the collector stays at its
default for the headline rows (odatakit pauses it itself while it decodes, which is its design; what
that defers is timed in its own rows), with a second set of rows where it is paused for everyone.
Every decode reads a page of events no earlier decode in that process has seen (other ids, times,
subjects, people), and the server answers with 64 distinct pages in turn, so no cache that only
identical bytes can hit helps anyone; the repetition real Graph pages have is kept (attendees who have
not answered all carry 0001-01-01T00:00:00Z). Floors do the same work: the query floor builds odatakit's
URL to the byte from the same five strings, the throughput and cold-start floors send the same GET with
aiohttp and parse with orjson (as odatakit does), and with json.loads. The dicts, msgspec, pydantic and
msgraph-sdk are measured by the same scripts (bench/decode.py, bench/memory.py) under the peers' venv,
plain dicts in both venvs, so each typed contender is compared with the dicts of its own kind of
process. Each row gives the median and the spread (min–max) over its rounds; ratios are medians of
figures from this run. The last column holds the targets the project sets and whether this run met
them. This is a shared 2-core machine: the load average is in the header."""


@dataclass
class Row:
    """One line of the table."""

    what: str
    median: str
    spread: str = ""
    note: str = ""
    target: str = ""


def say(text: str) -> None:
    """Progress on stderr: the whole run takes several minutes."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def med(values: list[float]) -> float:
    return statistics.median(values)


def span(values: list[float], scale: float = 1.0, digits: int = 0, unit: str = "") -> str:
    """'min–max' of `values` times `scale`."""
    return f"{min(values) * scale:,.{digits}f}–{max(values) * scale:,.{digits}f}{unit}"


def ratios(mine: list[float], theirs: list[float]) -> list[float]:
    """Round-by-round ratios of two contenders that took turns."""
    return [a / b for a, b in zip(mine, theirs, strict=True)]


def verdict(ok: bool, text: str) -> str:
    return f"{text}: {'met' if ok else '**not met**'}"


def faster(theirs: float, mine: float) -> str:
    """'odatakit is 12.0x faster' or, honestly, '1.1x slower'."""
    ratio = theirs / mine
    shown = f"{max(ratio, 1 / ratio):.{0 if max(ratio, 1 / ratio) >= 20 else 1}f}"
    return f"odatakit is {shown}x faster" if ratio >= 1 else f"odatakit is {shown}x slower"


def rotated(items: list[T], turn: int) -> list[T]:
    turn %= len(items)
    return items[turn:] + items[:turn]


def alternate(contenders: dict[str, Callable[[int], T]], rounds: int, label: str) -> dict[str, list[T]]:
    """Each contender once a round, the order rotating round by round: slow spells land on all alike."""
    out: dict[str, list[T]] = {name: [] for name in contenders}
    for turn in range(rounds):
        say(f"{label}: round {turn + 1} of {rounds}")
        for name in rotated(list(contenders), turn):
            out[name].append(contenders[name](turn))
    return out


def run_json(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a measuring script and return the JSON object it printed last."""
    done = subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def python_of(venv: str) -> str:
    return sys.executable if venv == "ours" else str(PEERS_PYTHON)


def script(venv: str, name: str, *args: str) -> dict[str, Any]:
    """bench/<name> under the project's venv ("ours") or .bench-venv ("peers")."""
    return run_json([python_of(venv), str(ROOT / "bench" / name), *args])


def runs(venv: str, name: str, *args: str, pages: list[Path] | None = None) -> Callable[[int], dict[str, Any]]:
    """A contender for `alternate`: bench/<name> with `args`, and round r's page last when `pages` are given."""
    return lambda turn: script(venv, name, *args, *([str(pages[turn])] if pages else []))


def wall(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one process, from outside."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def write_pages(folder: Path, *pages: tuple[int, int]) -> list[Path]:
    """bench/events.py's pages (count, page number) as files, written by a process of their own."""
    from events import file_name

    subprocess.run([sys.executable, str(ROOT / "bench" / "events.py"), str(folder),
                    *(f"{count}:{page}" for count, page in pages)], check=True)
    return [folder / file_name(count, page) for count, page in pages]


# -- query build ---------------------------------------------------------------------------------


def query_rows(have_peers: bool) -> list[Row]:
    """The typical query → absolute URL: odatakit, its floor (same process), msgraph-sdk."""
    mine = script("ours", "ours.py", "query")
    ours_us, floor_us = mine["us"]["odatakit"], mine["us"]["floor"]
    rows = [
        Row("query build, odatakit: select 4, filter (startswith + 2 comparisons), expand with nested select, "
            "order_by, top → absolute URL", f"{med(ours_us):.1f} µs", span(ours_us, digits=1, unit=" µs"),
            f"{med(ours_us) / med(floor_us):.1f}x the floor (rounds {span(ratios(ours_us, floor_us), digits=1)}x)"),
        Row("query build floor: the same URL, to the byte, from the same five option strings (percent-encoded; "
            "same process, taking turns)", f"{med(floor_us):.2f} µs", span(floor_us, digits=2, unit=" µs"), "1.0x"),
    ]
    if have_peers:
        theirs = script("peers", "peers/query_build.py")
        sdk, their_floor = theirs["us"]["msgraph_sdk"], theirs["us"]["floor"]
        rows.append(Row(f"query build, msgraph-sdk {theirs['versions']['msgraph-sdk']}: request builder → URL "
                        f"(the floor in its process: {med(their_floor):.2f} µs)", f"{med(sdk):.0f} µs",
                        span(sdk, unit=" µs"), faster(med(sdk), med(ours_us)),
                        verdict(med(sdk) / med(ours_us) >= 10, "odatakit ≥ 10x faster")))
    return rows


# -- generation ----------------------------------------------------------------------------------


def type_counts(metadata: Path) -> tuple[int, int, int]:
    """Structured types, enum types, operations declared in a $metadata document."""
    text = metadata.read_text(encoding="utf-8")
    return (len(re.findall(r"<(?:EntityType|ComplexType)\b", text)), len(re.findall(r"<EnumType\b", text)),
            len(re.findall(r"<(?:Action|Function)\b", text)))


# The generator's CLI in this process, then its peak RSS. VmHWM belongs to this process's memory alone:
# ru_maxrss (getrusage, wait4) starts from the parent's RSS at the fork, which is the runner's.
GENERATE_CODE = """
import runpy, sys
report, sys.argv = sys.argv[1], ["odatakit", *sys.argv[2:]]
try:
    runpy.run_module("generator.cli", run_name="__main__")
finally:
    with open("/proc/self/status", encoding="ascii") as status, open(report, "w", encoding="ascii") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
"""


def generate(metadata: Path, out: Path, package: str, *extra: str) -> tuple[float, float]:
    """`odatakit generate` in a fresh process: wall seconds, and that process's peak RSS in MiB."""
    report = out.parent / f"{out.name}.peak"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", GENERATE_CODE, str(report), "generate", "--metadata", str(metadata),
                    "--package", package, "--out", str(out), "--quiet", *extra], cwd=ROOT, check=True)
    seconds = time.perf_counter() - start
    return seconds, int(report.read_text(encoding="ascii")) / 1024


def generation_rows(work: Path) -> list[Row]:
    """Generation time and peak RSS against the number of types: subset, two prunes, the whole Graph."""
    inputs: dict[str, tuple[Path, str, list[str]]] = {
        "subset": (ROOT / "schemas" / "graph_v1.xml", "graph_v1",
                   ["--spec", str(ROOT / "schemas" / "graph_v1.spec.md")]),
    }
    for name, glob in PRUNES.items():
        pruned = work / f"prune-{name}.xml"
        subprocess.run([sys.executable, "-m", "generator.cli", "prune", "--metadata", str(GRAPH), "--include", glob,
                        "--out", str(pruned), "--quiet"], cwd=ROOT, check=True)
        inputs[name] = (pruned, f"graph_{name.replace('-', '_')}", [])
    inputs["whole"] = (GRAPH, "graph_whole", [])

    def runner(name: str) -> Callable[[int], tuple[float, float]]:
        metadata, package, extra = inputs[name]
        return lambda _turn: generate(metadata, work / name, package, *GRAPH_OPTIONS, *extra)

    got = alternate({name: runner(name) for name in inputs}, GENERATE_ROUNDS, "generation")
    rows = []
    labels = {"subset": "the bundled Graph calendar subset", "b-c": f"a prune of the whole Graph (`{PRUNES['b-c']}`)",
              "a-c": f"a prune of the whole Graph (`{PRUNES['a-c']}`)", "whole": "the whole Graph v1.0"}
    for name in inputs:
        seconds = [s for s, _ in got[name]]
        peaks = [p for _, p in got[name]]
        structured, enums, operations = type_counts(inputs[name][0])
        types = structured + enums
        target = ""
        if name == "subset":
            target = verdict(med(seconds) < 1, "< 1 s")
        elif name == "whole":
            target = verdict(med(seconds) < 20 and max(peaks) < 1024, "< 20 s, peak RSS < 1,024 MiB")
        rows.append(Row(f"generate {labels[name]}: {structured:,} structured + {enums:,} enum types, {operations:,} "
                        f"operations (fresh process)", f"{med(seconds):.2f} s", span(seconds, digits=2, unit=" s"),
                        f"{med(seconds) / types * 1000:.2f} ms per type; peak RSS of the generating process "
                        f"{med(peaks):.0f} MiB ({span(peaks)})", target))
    return rows


# -- cold start ----------------------------------------------------------------------------------


def cold_rows(work: Path, url: str, have_peers: bool) -> list[Row]:
    """A fresh process up to its first typed page: a real GET, its floor, the no-HTTP variant, msgraph-sdk."""
    # pip compiles an installed package; this environment may not write bytecode by itself.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(work / "whole"), str(ROOT / "odatakit")],
                   check=True)
    [page] = write_pages(work, (50, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # An empty working directory: `-c` puts it first on sys.path.
    cwd = work / "cold"
    cwd.mkdir(exist_ok=True)

    def ours(code: str) -> Callable[[int], float]:
        return lambda _turn: wall([sys.executable, "-c", code, str(work / "whole"), url, str(page)], cwd, env)

    contenders = {"get": ours(COLD_GET), "floor": ours(COLD_FLOOR), "file": ours(COLD_FILE),
                  "import": ours(IMPORT_CODE), "base": ours(DEPENDENCIES)}
    if have_peers:
        peer = [str(PEERS_PYTHON), str(ROOT / "bench" / "peers" / "cold_start.py"), url]
        contenders["msgraph"] = lambda _turn: wall(peer, cwd)
    alternate(contenders, 1, "cold start (filling the OS file cache, not counted)")
    got = alternate(contenders, COLD_ROUNDS, "cold start")
    get, floor = got["get"], got["floor"]
    beyond = [a - b for a, b in zip(got["import"], got["base"], strict=True)]
    rows = [
        Row("cold start floor: fresh process, `import aiohttp`, one GET of 50 events, orjson", f"{med(floor) * 1000:.0f} ms",
            span(floor, 1000, unit=" ms"), "1.0x"),
        Row("cold start, odatakit: fresh process, import the whole-Graph client, first `client.me.events.get()` → "
            "50 typed Events", f"{med(get) * 1000:.0f} ms", span(get, 1000, unit=" ms"),
            f"{med(get) / med(floor):.2f}x the floor (rounds {span(ratios(get, floor), digits=2)}x)",
            verdict(med(get) / med(floor) <= 1.15, "≤ 1.15x the floor")),
        Row("cold start without HTTP, odatakit: fresh process, import the whole-Graph client, type a 50-event page "
            "read from a file: no request, so aiohttp is never imported (odatakit loads it with the first request)",
            f"{med(got['file']) * 1000:.0f} ms", span(got["file"], 1000, unit=" ms"), ""),
        Row("import of the whole-Graph package and the odatakit runtime, beyond their dependencies",
            f"{med(beyond) * 1000:.0f} ms", span(beyond, 1000, unit=" ms"),
            f"aiohttp, attrs, cattrs, orjson alone: {med(got['base']) * 1000:.0f} ms",
            verdict(med(beyond) < 0.05, "< 50 ms")),
    ]
    if have_peers:
        sdk = got["msgraph"]
        rows.append(Row("cold start, msgraph-sdk: fresh process, GraphServiceClient (httpx), first "
                        "`client.me.events.get()` → 50 typed Events", f"{med(sdk) * 1000:,.0f} ms",
                        span(sdk, 1000, unit=" ms"), faster(med(sdk), med(get)),
                        verdict(med(sdk) / med(get) >= 10, "odatakit ≥ 10x faster")))
    return rows


def size_rows(work: Path, have_peers: bool) -> list[Row]:
    """Installed size of the whole-Graph package against msgraph-sdk."""
    from sizes import tree_size

    ours_bytes, ours_files = tree_size(work / "whole" / "graph_whole")
    runtime_bytes, runtime_files = tree_size(ROOT / "odatakit")
    total = ours_bytes + runtime_bytes
    rows = [Row("installed size: whole-Graph package + the odatakit runtime (no bytecode)", f"{total / 1e6:.1f} MB",
                "", f"{ours_files + runtime_files} .py files")]
    if have_peers:
        theirs = script("peers", "peers/size.py")
        rows.append(Row(f"installed size, msgraph-sdk {theirs['version']} package alone (no bytecode)",
                        f"{theirs['msgraph_bytes'] / 1e6:.0f} MB", "",
                        f"{theirs['msgraph_py_files']:,} .py files; odatakit is {theirs['msgraph_bytes'] / total:.0f}x "
                        "smaller", verdict(theirs["msgraph_bytes"] / total >= 10, "≥ 10x smaller")))
    return rows


# -- decoding ------------------------------------------------------------------------------------

NAMES = {"json": "json.loads", "orjson": "orjson.loads", "odatakit": "odatakit", "odatakit-body": "odatakit",
         "msgspec": "msgspec",
         "pydantic": "pydantic"}
DECODERS = [("ours", "json"), ("ours", "orjson"), ("ours", "odatakit"), ("ours", "odatakit-body"),
            ("peers", "json"), ("peers", "msgspec"), ("peers", "pydantic")]


def decode_rows(work: Path, have_peers: bool) -> tuple[list[Row], float]:
    """10,000 events to objects, one fresh process per contender per round, the collector at its default and paused.

    Also odatakit's seconds per event, collector at its default.
    """
    pages = write_pages(work, *((DECODE_EVENTS, 100 + turn) for turn in range(DECODE_ROUNDS)))
    contenders: dict[str, Callable[[int], dict[str, Any]]] = {}
    for gc_mode in ("default", "paused"):
        for venv, kind in DECODERS:
            if venv == "peers" and not have_peers:
                continue
            deferred = ["--deferred"] if gc_mode == "default" else []
            contenders[f"{gc_mode}/{venv}/{kind}"] = runs(venv, "decode.py", kind, "--group", venv, "--gc", gc_mode,
                                                          *deferred, pages=pages)
    got = alternate(contenders, DECODE_ROUNDS, "decoding 10,000 events")

    def times(key: str, field: str = "decode_s") -> list[float]:
        return [result[field][0] for result in got[key]]

    rows = []
    for gc_mode in ("default", "paused"):
        collector = "collector at its default" if gc_mode == "default" else "collector paused for every contender"
        base = {venv: times(f"{gc_mode}/{venv}/json") for venv in ("ours", "peers") if f"{gc_mode}/{venv}/json" in got}
        for venv, kind in DECODERS:
            key = f"{gc_mode}/{venv}/{kind}"
            if key not in got:
                continue
            seconds = times(key)
            process = "odatakit's venv" if venv == "ours" else "peers' venv"
            note = f"{med(seconds) / med(base[venv]):.2f}x json.loads"
            target = ""
            if kind != "json":
                note += f" (rounds {span(ratios(seconds, base[venv]), digits=2)}x)"
            elif venv == "peers":
                note = f"{med(seconds) / med(base['ours']):.2f}x json.loads in odatakit's venv"
            if kind.startswith("odatakit"):
                if "peers" in base:
                    msgspec = times(f"{gc_mode}/peers/msgspec")
                    note += f"; {med(seconds) / med(msgspec):.1f}x msgspec"
                if gc_mode == "default":
                    target = verdict(med(seconds) / med(base["ours"]) <= 1.2, "≤ 1.2x json.loads")
            what = {"json": "json.loads → dicts", "orjson": "orjson.loads → dicts",
                    "odatakit": "odatakit: `decode_response` + `Converter.structure_many` → typed Events",
                    "odatakit-body": "odatakit with `retain=\"body\"`: the same calls, the objects keeping the "
                                     "body's bytes",
                    "msgspec": "msgspec: Decoder(page of Structs).decode → typed Structs",
                    "pydantic": "pydantic v2: TypeAdapter(page model).validate_json → typed models"}[kind]
            rows.append(Row(f"decode 10,000 events, {collector}: {what} ({process}, fresh process)",
                            f"{med(seconds) * 1000:.0f} ms", span(seconds, 1000, unit=" ms"), note, target))

    # What is paid later, for keeping the page (default collector processes).
    dicts_gc = times("default/ours/json", "next_gc_s")
    rows.append(Row("next full `gc.collect()` with the 10,000 json.loads dicts alive (odatakit's venv)",
                    f"{med(dicts_gc) * 1000:.0f} ms", span(dicts_gc, 1000, unit=" ms"), "1.0x"))
    for kind, keeps in (("odatakit", "they keep their JSON objects"),
                        ("odatakit-body", "`retain=\"body\"`: they keep the body's bytes")):
        typed_gc = times(f"default/ours/{kind}", "next_gc_s")
        rows.append(Row(f"next full `gc.collect()` with odatakit's 10,000 typed Events alive ({keeps})",
                        f"{med(typed_gc) * 1000:.0f} ms", span(typed_gc, 1000, unit=" ms"),
                        f"{med(typed_gc) / med(dicts_gc):.2f}x with the dicts alive (rounds "
                        f"{span(ratios(typed_gc, dicts_gc), digits=2)}x)",
                        verdict(med(typed_gc) <= med(dicts_gc), "no worse than with the dicts")))
    if have_peers:
        their_dicts = times("default/peers/json", "next_gc_s")
        for kind in ("msgspec", "pydantic"):
            theirs = times(f"default/peers/{kind}", "next_gc_s")
            rows.append(Row(f"next full `gc.collect()` with the 10,000 {NAMES[kind]} objects alive (peers' venv)",
                            f"{med(theirs) * 1000:.0f} ms", span(theirs, 1000, unit=" ms"),
                            f"{med(theirs) / med(their_dicts):.2f}x with its venv's dicts alive "
                            f"({med(their_dicts) * 1000:.0f} ms)"))
    for kind, mode in (("odatakit", ""), ("odatakit-body", ", `retain=\"body\"`: the body is parsed again")):
        events = times(f"default/ours/{kind}", "first_events_s")
        nested = times(f"default/ours/{kind}", "first_nested_s")
        again = times(f"default/ours/{kind}", "again_s")
        both = [a + b for a, b in zip(events, nested, strict=True)]
        rows.append(Row(f"first access of `additional_data` on the 10,000 typed Events (undeclared members and "
                        f"explicit nulls are worked out then{mode})", f"{med(events) * 1000:.0f} ms",
                        span(events, 1000, unit=" ms"), f"{med(events) / med(base['ours']):.2f}x json.loads"))
        rows.append(Row(f"first access of `additional_data` on every object of the typed page (the Events and the "
                        f"15 objects nested in each{mode})", f"{med(both) * 1000:.0f} ms",
                        span(both, 1000, unit=" ms"),
                        f"{med(both) / med(base['ours']):.2f}x json.loads; asking all of them again: "
                        f"{med(again) * 1000:.0f} ms"))
    return rows, med(times("default/ours/odatakit")) / DECODE_EVENTS


def msgraph_rows(work: Path, ours_per_event: float) -> list[Row]:
    """msgraph-sdk's parse node on a 1,000-event page, per event, against json.loads in its own kind of process."""
    pages = write_pages(work, *((MSGRAPH_EVENTS, 600 + turn) for turn in range(MSGRAPH_ROUNDS)))
    got = alternate({kind: runs("peers", "decode.py", kind, "--group", "msgraph", pages=pages)
                     for kind in ("json", "msgraph-sdk")}, MSGRAPH_ROUNDS, "decoding with msgraph-sdk")
    sdk = [r["decode_s"][0] / MSGRAPH_EVENTS for r in got["msgraph-sdk"]]
    floor = [r["decode_s"][0] / MSGRAPH_EVENTS for r in got["json"]]
    return [Row(f"decode, msgraph-sdk parse node → typed Events: µs per event, on a {MSGRAPH_EVENTS:,}-event page "
                "(fresh process, collector at its default; 10,000 would take a minute a run)",
                f"{med(sdk) * 1e6:,.0f} µs", span(sdk, 1e6, unit=" µs"),
                f"{med(sdk) / med(floor):,.0f}x json.loads in its process ({med(floor) * 1e6:.1f} µs per event); "
                f"{faster(med(sdk), ours_per_event)} per event than in the 10,000-event row above")]


def scale_rows(work: Path) -> list[Row]:
    """Decode cost per item at several page sizes: odatakit and json.loads, fresh processes, distinct pages."""
    contenders: dict[str, Callable[[int], dict[str, Any]]] = {}
    for first, (count, npages) in zip((200, 300, 400, 500), SCALE.items(), strict=True):
        files = [str(path) for path in write_pages(work, *((count, first + p) for p in range(npages)))]
        for kind in ("json", "odatakit"):
            contenders[f"{count}/{kind}"] = runs("ours", "decode.py", kind, "--group", "ours", *files)
    got = alternate(contenders, SCALE_ROUNDS, "decode cost per item")

    def per_item(key: str) -> list[float]:
        # Per process: the median over its pages; one figure per round.
        return [med([s / n for s, n in zip(r["decode_s"], r["events"], strict=True)]) for r in got[key]]

    rows = []
    smallest = next(iter(SCALE))
    first_mine, first_floor = med(per_item(f"{smallest}/odatakit")), med(per_item(f"{smallest}/json"))
    for count, npages in SCALE.items():
        mine, floor = per_item(f"{count}/odatakit"), per_item(f"{count}/json")
        rows.append(Row(f"decode per item, {count:,}-event pages ({npages} distinct pages a process): odatakit; "
                        "json.loads in the note", f"{med(mine) * 1e6:.2f} µs", span(mine, 1e6, 2, " µs"),
                        f"json.loads {med(floor) * 1e6:.2f} µs ({span(floor, 1e6, 2, ' µs')}); odatakit "
                        f"{med(mine) / med(floor):.2f}x json.loads; per item, {med(mine) / first_mine:.2f}x "
                        f"odatakit's and {med(floor) / first_floor:.2f}x json.loads' cost at {smallest} events"))
    return rows


# -- throughput ----------------------------------------------------------------------------------


@contextmanager
def server(pages: int) -> Iterator[tuple[str, int]]:
    """bench/server.py on a free port, answering with `pages` distinct pages in turn; yields its URL and pid."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "server.py"), "--port", "0", "--pages", str(pages)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"bench/server.py did not start: {line!r}")
        yield line.split()[1], proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput_rows(url: str, server_pid: int, have_peers: bool) -> list[Row]:
    """Requests a second against the local server, concurrency 32, 64 distinct pages."""
    say(f"throughput: raw loops and odatakit, taking turns (about {THROUGHPUT_SECONDS * 4 + 5:.0f} s)")
    cpu, start = cpu_seconds(server_pid), time.perf_counter()
    mine = script("ours", "ours.py", "throughput", url, str(THROUGHPUT_SECONDS), str(THROUGHPUT_ROUNDS))["rps"]
    # A server that used a whole core would cap the fastest loop, and flatter whoever is slower.
    busy = (cpu_seconds(server_pid) - cpu) / (time.perf_counter() - start)
    raw, raw_json, ours, lean = mine["raw_orjson"], mine["raw_json"], mine["odatakit"], mine["odatakit_body"]
    rows = [
        Row(f"throughput floor: raw aiohttp loop + orjson (50-event pages, {SERVED_PAGES} distinct, concurrency 32)",
            f"{med(raw):,.0f} req/s", span(raw, unit=" req/s"),
            f"1.0x; the server was busy {busy:.0%} of one core over these runs"),
        Row("throughput, raw aiohttp loop + json.loads (same process, taking turns)", f"{med(raw_json):,.0f} req/s",
            span(raw_json, unit=" req/s"), f"{med(raw_json) / med(raw):.2f}x the orjson loop"),
        Row("throughput, odatakit `await client.me.events.get()` → typed Events", f"{med(ours):,.0f} req/s",
            span(ours, unit=" req/s"),
            f"{med(ours) / med(raw):.2f}x the orjson loop (rounds {span(ratios(ours, raw), digits=2)}x); "
            f"{med(ours) / med(raw_json):.2f}x the json.loads loop",
            verdict(med(ours) / med(raw) >= 0.8, "≥ 0.8x the orjson loop")),
        Row("throughput, odatakit with `retain=\"body\"`", f"{med(lean):,.0f} req/s", span(lean, unit=" req/s"),
            f"{med(lean) / med(raw):.2f}x the orjson loop (rounds {span(ratios(lean, raw), digits=2)}x)",
            verdict(med(lean) / med(raw) >= 0.8, "≥ 0.8x the orjson loop")),
    ]
    if have_peers:
        say("throughput with msgraph-sdk (about 10 s)")
        theirs = run_json([str(PEERS_PYTHON), str(ROOT / "bench" / "peers" / "throughput.py"), f"{url}/v1.0",
                           "--concurrency", "32", "--seconds", "5"])
        rows.append(Row(f"throughput, msgraph-sdk {theirs['version']} `client.me.events.get()` (one 5 s run)",
                        f"{theirs['requests_per_s']:.1f} req/s", "",
                        faster(theirs["requests_per_s"] ** -1, med(ours) ** -1),
                        verdict(med(ours) / theirs["requests_per_s"] >= 100, "odatakit ≥ 100x faster")))
    return rows


# -- memory --------------------------------------------------------------------------------------


def memory_rows(work: Path, have_peers: bool) -> list[Row]:
    """RSS retained by a live decoded page, one fresh process per contender per round, same script in both venvs."""
    page, small = write_pages(work, (DECODE_EVENTS, 100), (MSGRAPH_EVENTS, 600))
    kinds = [("ours", "json"), ("ours", "orjson"), ("ours", "odatakit"), ("ours", "odatakit-body")]
    if have_peers:
        kinds += [("peers", "json"), ("peers", "msgspec"), ("peers", "pydantic")]
    got = alternate({f"{venv}/{kind}": runs(venv, "memory.py", kind, str(page)) for venv, kind in kinds},
                    MEMORY_ROUNDS, "memory")

    def mib(key: str, results: dict[str, list[dict[str, Any]]] = got, field: str = "retained_mib") -> list[float]:
        return [float(r[field]) for r in results[key]]

    rows = []
    for field, how in (("live_mib", "Python heap it keeps alive, by tracemalloc, the body's bytes included where "
                                    "kept"),
                       ("retained_mib", "RSS after minus before: the heap plus freed memory the allocator keeps")):
        for venv, kind in kinds:
            values = mib(f"{venv}/{kind}", field=field)
            dicts = mib(f"{venv}/json", field=field)
            process = "odatakit's venv" if venv == "ours" else "peers' venv"
            what = {"json": "json.loads dicts", "orjson": "orjson.loads dicts", "odatakit": "odatakit typed Events",
                    "odatakit-body": "odatakit typed Events, `retain=\"body\"`",
                    "msgspec": "msgspec Structs", "pydantic": "pydantic models"}[kind]
            note = f"{med(values) / med(dicts):.2f}x the dicts"
            target = ""
            if kind.startswith("odatakit"):
                note += (" (objects keep the response body, not its JSON objects)" if kind == "odatakit-body"
                         else " (objects keep their JSON objects)")
                if field == "live_mib":
                    target = verdict(med(values) <= med(dicts), "≤ 1.0x the dicts")
            elif venv == "peers" and kind == "json":
                note = f"{med(values) / med(mib('ours/json', field=field)):.2f}x the dicts in odatakit's venv"
            rows.append(Row(f"memory of a live 10,000-event page: {what} ({process}; {how}; garbage collected, "
                            "fresh process)", f"{med(values):.1f} MiB", span(values, digits=1, unit=" MiB"),
                            note, target))
    if have_peers:
        sdk = alternate({kind: runs("peers", "memory.py", kind, str(small)) for kind in ("json", "msgraph-sdk")}, 2,
                        "memory, msgraph-sdk")
        values, dicts = mib("msgraph-sdk", sdk), mib("json", sdk)
        rows.append(Row(f"memory retained by a live {MSGRAPH_EVENTS:,}-event page: msgraph-sdk Events (peers' venv)",
                        f"{med(values):.1f} MiB", span(values, digits=1, unit=" MiB"),
                        f"{med(values) / med(dicts):.2f}x the dicts of the same page ({med(dicts):.1f} MiB)"))
    return rows


# -- the table -----------------------------------------------------------------------------------


def quick() -> None:
    """Two rounds where there were more, a second of throughput: to try the scripts, not to quote."""
    global DECODE_ROUNDS, SCALE, MSGRAPH_ROUNDS, MEMORY_ROUNDS, COLD_ROUNDS, GENERATE_ROUNDS, THROUGHPUT_SECONDS
    global THROUGHPUT_ROUNDS
    DECODE_ROUNDS = MSGRAPH_ROUNDS = MEMORY_ROUNDS = COLD_ROUNDS = THROUGHPUT_ROUNDS = 2
    GENERATE_ROUNDS = 1
    SCALE = {50: 4, 500: 2, 5_000: 1, 50_000: 1}
    THROUGHPUT_SECONDS = 2.0


def main() -> None:
    """Print the table and write docs/benchmarks.md (not with --quick)."""
    trial = sys.argv[1:] == ["--quick"]
    if trial:
        quick()
    started = time.perf_counter()
    load_start = os.getloadavg()
    have_peers = PEERS_PYTHON.exists()
    if not have_peers:
        say(f"{PEERS_PYTHON.relative_to(ROOT)} is missing (run `make bench-setup`): peer rows are skipped")
    sections: list[tuple[str, list[Row]]] = []
    work = Path(tempfile.mkdtemp(prefix="odatakit-bench-"))
    try:
        say("query build")
        sections.append(("Building a query", query_rows(have_peers)))
        say("decoding")
        decoding, ours_per_event = decode_rows(work, have_peers)
        if have_peers:
            decoding += msgraph_rows(work, ours_per_event)
        sections.append(("Decoding a page of 10,000 events", decoding))
        say("decode cost per item")
        sections.append(("Decoding at scale", scale_rows(work)))
        say("memory")
        sections.append(("Memory", memory_rows(work, have_peers)))
        with server(SERVED_PAGES) as (url, server_pid):
            sections.append(("Throughput", throughput_rows(url, server_pid, have_peers)))
            if GRAPH.exists():
                say("generation")
                sections.append(("Generation", generation_rows(work)))
                say("cold start")
                sections.append(("Cold start", cold_rows(work, url, have_peers)))
                sections.append(("Installed size", size_rows(work, have_peers)))
            else:
                say(f"{GRAPH} is absent: generation, cold-start and size rows are skipped")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    load_end = os.getloadavg()
    minutes = (time.perf_counter() - started) / 60
    machine = (f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
               f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load_start)} at "
               f"the start, {', '.join(f'{x:.2f}' for x in load_end)} at the end; {minutes:.1f} minutes")
    lines = []
    for title, rows in sections:
        lines += [f"## {title}", "", "| measurement | median | spread (min–max) | ratio / note | target |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r.what} | {r.median} | {r.spread} | {r.note} | {r.target} |" for r in rows]
        lines.append("")
    table = "\n".join(lines)
    print(f"machine: {machine}\n\n{table}")
    if trial:
        return
    (ROOT / "docs" / "benchmarks.md").write_text(
        f"# Benchmarks\n\nWritten by `make bench` on {machine}. odatakit runs under the project's venv, the peers "
        "under .bench-venv (bench/peers/requirements.txt).\n\n"
        f"{METHOD}\n\n{table}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
