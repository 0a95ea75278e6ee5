"""Synthetic Microsoft Graph calendar events, the shared input of every decoding benchmark.

Standard library only, so both the project's venv (bench/run.py, bench/server.py) and .bench-venv
(bench/peers/*.py) can import it after putting the bench directory on sys.path.
"""

from __future__ import annotations

import json

CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#users('x')/events"


def event(i: int) -> dict[str, object]:
    """A realistic Graph event: body, start/end, location, 3 attendees, organizer, categories.

    Its own created and modified times, as on a real page (decoders that remember texts they have
    seen gain only where real data repeats them: attendees who have not answered).
    """
    person = {"emailAddress": {"name": f"Person {i}", "address": f"p{i}@contoso.test"}}
    return {
        "@odata.etag": f'W/"{i}"', "id": f"AAMkAGI2TG93AAA{i}=", "createdDateTime": f"2017-04-15T03:00:50.{i % 10**6:06d}0Z",
        "lastModifiedDateTime": f"2017-04-15T03:00:51.{i:06d}Z", "subject": f"Meeting {i}", "importance": "normal",
        "isAllDay": False, "showAs": "busy", "categories": ["Red category", "Blue"],
        "body": {"contentType": "html", "content": "<html><body>Agenda</body></html>"},
        "start": {"dateTime": "2017-04-15T12:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": "2017-04-15T14:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "location": {"displayName": "Harry's Bar", "locationType": "default", "uniqueIdType": "private"},
        "attendees": [{"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}, **person}
                      for _ in range(3)],
        "organizer": person,
    }


def page_bytes(n: int) -> bytes:
    """The UTF-8 JSON body of one /me/events response page holding events 0 .. n-1."""
    return json.dumps({"@odata.context": CONTEXT, "value": [event(i) for i in range(n)]}).encode()
