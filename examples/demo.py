"""Demo: generate a client from a live SAP CAP server's `$metadata`, then drive the server with it.

`make demo` runs this after `make setup` (which installs the server's node modules). It starts
the CAP calendar server (servers/cap) on 127.0.0.1, generates the `cap_calendar` package from
the server's `$metadata` into a temporary folder, imports it, and then:

1. creates a recurring event (a weekly series) through the `me` singleton;
2. lists a week of the calendar view in a chosen time zone (`Prefer: outlook.timezone`,
   the zone given as a `ZoneInfo` and sent as its Windows name);
3. accepts an invitation, guarded by the event's ETag (`If-Match`);
4. pages through every event of the user, server-driven, five to a page;
5. sends a JSON `$batch` of three requests;

and stops the server. Nothing is mocked: every line printed comes from an HTTP exchange.
Run `python examples/demo.py --zone Asia/Tokyo` to pick another zone.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odatakit import Page  # noqa: E402
from odatakit.timezones import iana_to_windows, prefer_timezone, to_datetime  # noqa: E402
from servers.cap_launcher import CapServer, CapServerError, generate_client  # noqa: E402

if TYPE_CHECKING:
    # Type checkers read the committed generated/cap_calendar; at run time the package generated
    # from the live $metadata is imported instead (see `load_live_package`).
    from cap_calendar import CalendarClient, Events


def load_live_package(url: str, folder: Path) -> None:
    """Generate `cap_calendar` from the live `$metadata` and make it the one imported."""
    started = time.perf_counter()
    package = generate_client(url, folder)
    took = time.perf_counter() - started
    committed = ROOT / "generated" / "cap_calendar"
    same = all(_body(package / f.name) == _body(f) for f in committed.glob("*.py")) and len(
        list(package.glob("*.py"))
    ) == len(list(committed.glob("*.py")))
    note = "identical to generated/cap_calendar" if same else "differs from generated/cap_calendar (make schemas)"
    print(f"generated cap_calendar from {url}/$metadata in {took:.2f} s: {note}")
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()


def _body(path: Path) -> list[str]:
    # The first line names the input (a URL here, a file for the committed copy).
    return path.read_text().splitlines()[1:]


def local(value: str | None, zone: str | None) -> str:
    """A `dateTime` + `timeZone` pair as an aware datetime, printed."""
    if value is None or zone is None:
        return "?"
    return to_datetime(value, zone).strftime("%a %d %b %H:%M %Z")


async def run(url: str, zone: ZoneInfo) -> None:
    """The scenario, against the server at `url`."""
    from cap_calendar import CalendarClient, Events

    async with CalendarClient(url) as client:
        await create_series(client, Events)
        await calendar_view(client, Events, zone)
        await accept_invitation(client, Events)
        await page_through(client, Events)
        await batch(client, Events)


async def create_series(client: CalendarClient, events: type[Events]) -> None:
    """1. A weekly series, created through the `me` singleton."""
    series = events(
        subject="Demo: weekly planning",
        start_date_time="2024-05-06T08:00:00.0000000",
        start_time_zone="UTC",
        end_date_time="2024-05-06T08:30:00.0000000",
        end_time_zone="UTC",
        importance="high",
        recurrence_pattern_type="weekly",
        recurrence_pattern_interval=1,
        recurrence_pattern_days_of_week=["monday"],
        recurrence_range_type="numbered",
        recurrence_range_start_date=date(2024, 5, 6),
        recurrence_range_number_of_occurrences=8,
    )
    created = await client.me.events.create(series)
    print(f"\n1. created {created.subject!r}: id {created.id}, type {created.type}, ETag {created.odata_etag}")
    print(
        f"   every {created.recurrence_pattern_interval} week(s) on {created.recurrence_pattern_days_of_week}, "
        f"{created.recurrence_range_number_of_occurrences} times from {created.recurrence_range_start_date}"
    )


async def calendar_view(client: CalendarClient, events: type[Events], zone: ZoneInfo) -> None:
    """2. A week of the calendar view, in `zone`."""
    view = client.me.calendar_view(
        start_date_time=datetime(2024, 5, 6, tzinfo=UTC), end_date_time=datetime(2024, 5, 13, tzinfo=UTC)
    ).preference("outlook.timezone", prefer_timezone(zone))
    week = [event async for event in view]
    print(f'\n2. calendar view 6-13 May 2024 in {zone.key} (sent as outlook.timezone="{iana_to_windows(zone)}"):')
    for event in week:
        print(f"   {local(event.start_date_time, event.start_time_zone):<24} {event.subject}")


async def accept_invitation(client: CalendarClient, events: type[Events]) -> None:
    """3. Accept the first invitation not answered yet, with its ETag."""
    pending = (
        await client.me.events.filter(events.response_status_response == "notResponded")
        .order_by(events.start_date_time)
        .first()
    )
    if pending is None or pending.id is None:
        print("\n3. no invitation to accept")
        return
    request = client.events[pending.id]
    await request.if_match(pending).accept(comment="See you there", send_response=True)
    after = await request.get()
    print(
        f"\n3. accepted {pending.subject!r} (If-Match {pending.odata_etag}): "
        f"{pending.response_status_response} -> {after.response_status_response}, comment {after.response_comment!r}"
    )


async def page_through(client: CalendarClient, events: type[Events]) -> None:
    """4. Every event of the user, a page at a time (the server sends five)."""
    query = client.me.events.select(events.subject, events.start_date_time).order_by(events.start_date_time).count()
    print("\n4. paging through me/events:")
    page: Page[Events]
    async for page in query.pages():
        if not page.items:
            print("   an empty last page (CAP sends a nextLink after a full page)")
            continue
        titles = ", ".join(e.subject or "?" for e in page.items)
        print(f"   page of {len(page)} (of {page.count}){' + nextLink' if page.next_link else ''}: {titles}")


async def batch(client: CalendarClient, events: type[Events]) -> None:
    """5. Three requests in one `$batch` call, typed results per item."""
    async with client.batch(json=True) as b:
        count = b.add(client.me.events.count_only())
        high = b.add(client.me.events.filter(events.importance == "high").select(events.subject).get())
        missing = b.add(client.events["no-such-event"].get())
    print(
        f"\n5. one $batch call: {count.result()} events; {len(high.result())} of high importance; "
        f"the missing one failed with {type(missing.exception()).__name__} {missing.status}"
    )


def main() -> int:
    """Start the server, generate the client, run the scenario, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zone", default="America/Los_Angeles", help="IANA time zone for the calendar view")
    args = parser.parse_args()
    zone = ZoneInfo(args.zone)
    with tempfile.TemporaryDirectory(prefix="odatakit-demo-") as tmp:
        server = CapServer(Path(tmp) / "server.log")
        try:
            started = time.perf_counter()
            url = server.start()
            print(f"CAP server (servers/cap) answering at {url} after {time.perf_counter() - started:.2f} s")
            load_live_package(url, Path(tmp) / "pkg")
            asyncio.run(run(url, zone))
        except CapServerError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    print("\nserver stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
