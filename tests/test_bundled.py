"""The bundled packages do what the issue's examples say, byte for byte on the wire."""

from __future__ import annotations

import json
from typing import Any

from aioresponses import aioresponses


def _bodies(m: aioresponses) -> list[tuple[str, str, Any]]:
    return [
        (method, str(url), json.loads(c.kwargs["data"]) if c.kwargs.get("data") else None)
        for (method, url), calls in m.requests.items()
        for c in calls
    ]


async def test_graph_navigation_keys_and_actions(bundled: None) -> None:
    from graph_v1 import Event, FileAttachment, GraphClient, Importance

    async with GraphClient("https://graph.microsoft.com/v1.0", lambda: _tok()) as client:
        assert (
            client.users["a@b.c"].calendar_groups["g"].calendars.absolute_url
            == "https://graph.microsoft.com/v1.0/users/a@b.c/calendarGroups/g/calendars"
        )
        assert (
            client.me.calendars["AAMkAGI2TGuLAAA="].events.absolute_url
            == "https://graph.microsoft.com/v1.0/me/calendars/AAMkAGI2TGuLAAA=/events"
        )
        assert client.groups["0d5f"].calendar.events.absolute_url == "https://graph.microsoft.com/v1.0/groups/0d5f/calendar/events"
        with aioresponses() as m:
            base = "https://graph.microsoft.com/v1.0/me/events/AAMkAGI2TG93AAA="
            m.post(f"{base}/accept", status=202)
            m.get(
                f"{base}/attachments",
                payload={"value": [{"@odata.type": "#microsoft.graph.fileAttachment", "id": "1", "name": "a.txt",
                                    "contentBytes": "SGk="}]},
            )
            m.get(base, payload={"id": "AAMkAGI2TG93AAA=", "importance": "high", "subject": "S"})
            await client.me.events["AAMkAGI2TG93AAA="].accept(comment="ok", send_response=True)
            attachments = await client.me.events["AAMkAGI2TG93AAA="].attachments.get()
            event = await client.me.events["AAMkAGI2TG93AAA="].get()
            assert isinstance(attachments[0], FileAttachment) and attachments[0].content_bytes == b"Hi"
            assert isinstance(event, Event) and event.importance is Importance.HIGH
            assert _bodies(m)[0] == ("POST", f"{base}/accept", {"Comment": "ok", "SendResponse": True})


async def test_outlook_actions_and_reminder_view(bundled: None) -> None:
    from outlook_v2 import DateTimeTimeZone, OutlookClient

    async with OutlookClient("https://outlook.office.com/api/v2.0") as client:
        base = "https://outlook.office.com/api/v2.0/Me/Events/AAMkAGE1M2IyNGNmLTI5MT_bs88AAAXDJwEAAA="
        with aioresponses() as m:
            m.post(f"{base}/TentativelyAccept", status=202)
            m.post(f"{base}/SnoozeReminder", status=202)
            m.get(
                "https://outlook.office.com/api/v2.0/Me/ReminderView"
                "(StartDateTime='2017-04-15T00:00:00Z',EndDateTime='2017-04-16T00:00:00Z')",
                payload={"value": [{"EventSubject": "S"}]},
            )
            event = client.me.events["AAMkAGE1M2IyNGNmLTI5MT_bs88AAAXDJwEAAA="]
            await event.tentatively_accept(comment="maybe", send_response=False)
            await event.snooze_reminder(
                new_reminder_time=DateTimeTimeZone(date_time="2017-04-15T12:00:00", time_zone="UTC")
            )
            reminders = await client.me.reminder_view(
                start_date_time="2017-04-15T00:00:00Z", end_date_time="2017-04-16T00:00:00Z"
            )
            assert reminders[0].additional_data == {"EventSubject": "S"}
            assert _bodies(m)[:2] == [
                ("POST", f"{base}/TentativelyAccept", {"Comment": "maybe", "SendResponse": False}),
                ("POST", f"{base}/SnoozeReminder",
                 {"NewReminderTime": {"DateTime": "2017-04-15T12:00:00", "TimeZone": "UTC"}}),
            ]


async def _tok() -> str:
    return "t"
