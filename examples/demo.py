"""Demo: drive the generated `graph_v1` client against a small local calendar server.

The server is a plain aiohttp app on 127.0.0.1 answering like Microsoft Graph (camelCase
JSON, `@odata.nextLink` paging, bound actions); nothing is mocked on the client side.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generated"))

from graph_v1 import Attendee, DateTimeTimeZone, EmailAddress, Event, FileAttachment, GraphClient  # noqa: E402

EVENTS: list[dict[str, Any]] = [
    {
        "id": f"AAMkAGI2TG93AAA{i}=",
        "subject": f"Weekly sync {i}",
        "importance": "normal" if i % 2 else "high",
        "start": {"dateTime": f"2026-11-{23 + i}T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
        "end": {"dateTime": f"2026-11-{23 + i}T09:30:00.0000000", "timeZone": "Pacific Standard Time"},
        "createdDateTime": "2026-11-20T17:52:09.7051495Z",
        "attendees": [{"type": "required", "emailAddress": {"name": "Dana", "address": "dana@contoso.test"}}],
    }
    for i in range(5)
]


def make_app() -> web.Application:
    """A tiny Graph-like calendar: paged event list, get, create, accept, attachments."""
    app = web.Application()
    log: list[str] = []
    app["log"] = log

    async def list_events(request: web.Request) -> web.Response:
        log.append(f"{request.method} {request.path_qs}")
        skip = int(request.query.get("$skip", "0"))
        page = EVENTS[skip : skip + 2]
        body: dict[str, Any] = {"@odata.context": "$metadata#users('me')/events", "value": page}
        if skip + 2 < len(EVENTS):
            body["@odata.nextLink"] = str(request.url.with_query({"$skip": str(skip + 2)}))
        return web.json_response(body)

    async def get_event(request: web.Request) -> web.Response:
        log.append(f"{request.method} {request.path_qs}")
        found = [e for e in EVENTS if e["id"] == request.match_info["id"]]
        if not found:
            return web.json_response({"error": {"code": "ErrorItemNotFound", "message": "not found"}}, status=404)
        return web.json_response(found[0])

    async def create_event(request: web.Request) -> web.Response:
        body = await request.json()
        log.append(f"{request.method} {request.path_qs} {sorted(body)}")
        created = {**body, "id": "AAMkNEW=", "@odata.etag": 'W/"1"'}
        return web.json_response(created, status=201)

    async def accept(request: web.Request) -> web.Response:
        log.append(f"{request.method} {request.path_qs} {await request.json()}")
        return web.Response(status=202)

    async def attachments(request: web.Request) -> web.Response:
        log.append(f"{request.method} {request.path_qs}")
        return web.json_response(
            {
                "value": [
                    {
                        "@odata.type": "#microsoft.graph.fileAttachment",
                        "id": "att1",
                        "name": "agenda.txt",
                        "contentBytes": "SGVsbG8sIHdvcmxkIQ==",
                    }
                ]
            }
        )

    app.router.add_get("/v1.0/me/events", list_events)
    app.router.add_post("/v1.0/me/events", create_event)
    app.router.add_get("/v1.0/me/events/{id}", get_event)
    app.router.add_post("/v1.0/me/events/{id}/accept", accept)
    app.router.add_get("/v1.0/me/events/{id}/attachments", attachments)
    return app


async def main() -> None:
    """Start the server, run the client through a few calls, print what happened."""
    app = make_app()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/v1.0"

    async def token() -> str:
        return "demo-token"

    try:
        async with GraphClient(base, token) as client:
            print(f"server on {base}")
            events = await client.me.events.get()
            print(f"listed {len(events)} events over 3 pages:")
            for e in events:
                start = e.start.date_time if e.start else "?"
                print(f"  {e.subject!r:16} {e.importance} starts {start} created {e.created_date_time!r}")
            one = await client.me.events["AAMkAGI2TG93AAA1="].get()
            print(f"got {one.subject!r} with attendees {[a.email_address.address for a in one.attendees or [] if a.email_address]}")
            new = Event(
                subject="Plan the demo",
                start=DateTimeTimeZone(date_time="2026-12-01T10:00:00", time_zone="UTC"),
                end=DateTimeTimeZone(date_time="2026-12-01T11:00:00", time_zone="UTC"),
                attendees=[Attendee(email_address=EmailAddress(address="lee@contoso.test"))],
            )
            created = await client.me.events.create(new)
            print(f"created {created.id} (etag {created.odata_etag})")
            await client.me.events[created.id or ""].accept(comment="See you there", send_response=True)
            print("accepted it")
            files = await client.me.events["AAMkAGI2TG93AAA1="].attachments.get()
            for f in files:
                if isinstance(f, FileAttachment):
                    print(f"attachment {f.name!r}: {type(f).__name__}, {f.content_bytes!r}")
            print("requests the server saw:")
            for line in app["log"]:
                print(f"  {line}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
