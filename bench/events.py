"""Synthetic Microsoft Graph calendar events, the shared input of every decoding benchmark.

Standard library only, so both the project's venv (bench/run.py, bench/server.py) and .bench-venv
(bench/peers/*.py) can import it after putting the bench directory on sys.path.

Every page number gives other events: ids, etags, subjects, created and modified times, start and
end, organizer and attendees all differ from one event to the next and from one page to the next,
so a decoder that remembers what it has seen gains nothing from being handed a page twice. What a
real Graph page repeats is kept: attendees who have not answered all carry 0001-01-01T00:00:00Z,
and categories, bodies, time zones and locations come from small sets, people from a staff of 200.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users('x')/events"
EPOCH = datetime(2017, 4, 15, 3, 0, 50, tzinfo=UTC)
# Far more events than any page holds, so two pages never share an event number.
PAGE_STRIDE = 1_000_000
STAFF = 200
NOT_ANSWERED = "0001-01-01T00:00:00Z"


def number(i: int, page: int) -> int:
    """The event's number across all pages: what makes its values its own."""
    return page * PAGE_STRIDE + i


def subject(i: int, page: int = 0) -> str:
    """The subject of event `i` of `page` (the checks compare it)."""
    return f"Meeting {i} of page {page}"


def start_text(i: int, page: int = 0) -> str:
    """The start.dateTime of event `i` of `page`: a local wall-clock time with 7 fraction digits, as Graph sends."""
    when = EPOCH + timedelta(hours=number(i, page) % 50_000)
    return when.strftime("%Y-%m-%dT%H:00:00.0000000")


def _person(k: int) -> dict[str, object]:
    return {"emailAddress": {"name": f"Person {k % STAFF}", "address": f"p{k % STAFF}@contoso.test"}}


def event(i: int, page: int = 0) -> dict[str, object]:
    """A realistic Graph event: body, start/end, location, 3 attendees, organizer, categories."""
    n = number(i, page)
    created = EPOCH + timedelta(seconds=n * 7, microseconds=(n * 7919) % 1_000_000)
    modified = created + timedelta(seconds=3600 + n % 86_400, microseconds=(n * 104_729) % 1_000_000)
    start = EPOCH + timedelta(hours=n % 50_000)
    # Graph writes created times with 7 fraction digits and modified times with 6 or 7.
    return {
        "@odata.etag": f'W/"DwAAABYAAAB{n:x}"', "id": f"AAMkAGI2TG93AAA{n:x}=",
        "createdDateTime": created.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
        "lastModifiedDateTime": modified.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "subject": subject(i, page), "importance": ("normal", "normal", "high", "low")[n % 4],
        "isAllDay": n % 10 == 0, "showAs": ("busy", "tentative", "free")[n % 3],
        "categories": [["Red category", "Blue"], ["Blue"], []][n % 3],
        "body": {"contentType": "html", "content": "<html><body>Agenda</body></html>"},
        "start": {"dateTime": start_text(i, page), "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00.0000000"),
                "timeZone": "Pacific Standard Time"},
        "location": {"displayName": ("Harry's Bar", "Room 12", "Online")[n % 3], "locationType": "default",
                     "uniqueIdType": "private"},
        "attendees": [{"type": ("required", "required", "optional")[j],
                       "status": {"response": "none", "time": NOT_ANSWERED}, **_person(n * 3 + j + 1)}
                      for j in range(3)],
        "organizer": _person(n),
    }


def page_bytes(n: int, page: int = 0) -> bytes:
    """The UTF-8 JSON body of one /me/events response page holding events 0 .. n-1 of page number `page`."""
    return json.dumps({"@odata.context": CONTEXT, "value": [event(i, page) for i in range(n)]}).encode()


def file_name(count: int, page: int) -> str:
    """The file bench/run.py keeps a page in; bench/decode.py reads the page number and count back from it."""
    return f"page-{page}-{count}.json"


if __name__ == "__main__":
    # `python bench/events.py FOLDER COUNT:PAGE...` writes pages in a process of their own, so the
    # runner never holds (and its children never inherit the high-water mark of) 50,000 events.
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1])
    for spec in sys.argv[2:]:
        count, page = (int(part) for part in spec.split(":"))
        path = folder / file_name(count, page)
        if not path.exists():
            path.write_bytes(page_bytes(count, page))
