"""Large-file upload sessions (`odatakit.upload.UploadSession`) against a local server of Graph's protocol.

Two aiohttp servers on 127.0.0.1: the service (`/v1.0`, where `createUploadSession` answers with an
upload URL) and the upload host (another origin, as Graph's are), which takes `Content-Range`
PUTs, answers 202 with `nextExpectedRanges` until the last byte, then 201, tells what it still
needs on a GET, and can drop the connection in the middle of a chunk. The bundled graph_v1
package drives it. Retry delays are recorded by replacing `odatakit.http.sleep`.
"""

from __future__ import annotations

import hashlib
import re
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import odatakit.http
from odatakit.errors import ConnectionFailed, NotFound
from odatakit.upload import UNIT, UploadSession

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig"
MB = 1024 * 1024
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def pattern(size: int) -> bytes:
    block = bytes(range(256)) * 64
    return (block * (size // len(block) + 1))[:size]


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(odatakit.http, "sleep", record)
    return slept


class UploadHost:
    """The upload protocol: one session per id, bytes taken in order, hashed as they come (nothing kept)."""

    def __init__(self, *, item: bool = True) -> None:
        self.item = item
        self.sessions: dict[str, dict[str, Any]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        #: Numbers (1-based, over all PUTs) of the PUTs to cut off halfway through their body.
        self.drop: set[int] = set()
        self.puts = 0
        self.server: TestServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def open(self, sid: str) -> str:
        self.sessions[sid] = {"received": 0, "sha": hashlib.sha256(), "total": None, "done": False}
        return self.url(f"/up/{sid}")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path_qs, dict(request.headers)))
        session = self.sessions.get(request.match_info["sid"])
        if session is None:
            return web.json_response({"error": {"code": "itemNotFound", "message": "The upload session expired."}},
                                     status=404, headers={"request-id": "up-404"})
        if request.method == "GET":
            return web.json_response({"nextExpectedRanges": [f"{session['received']}-"]})
        if request.method == "DELETE":
            del self.sessions[request.match_info["sid"]]
            return web.Response(status=204)
        self.puts += 1
        match = _RANGE.fullmatch(request.headers.get("Content-Range", ""))
        assert match is not None, request.headers
        first, last, total = (int(g) for g in match.groups())
        if self.puts in self.drop:
            await request.content.readexactly((last - first + 1) // 2)
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        body = await request.read()
        assert len(body) == last - first + 1 == int(request.headers["Content-Length"])
        assert len(body) % UNIT == 0 or last + 1 == total, f"a chunk of {len(body)} bytes is not the last"
        if first != session["received"]:
            return web.json_response({"error": {"code": "invalidRange", "message": "unexpected range"}}, status=416)
        session["sha"].update(body)
        session["received"] = last + 1
        session["total"] = total
        if last + 1 < total:
            return web.json_response({"expirationDateTime": "2026-12-07T00:00:00Z",
                                      "nextExpectedRanges": [f"{last + 1}-"]}, status=202)
        session["done"] = True
        if not self.item:
            return web.Response(status=201, headers={"Location": "https://graph.test/attachments('a1')"})
        return web.json_response({"@odata.type": "#microsoft.graph.fileAttachment", "id": "a1", "name": "big.bin",
                                  "size": total}, status=201)

    async def __aenter__(self) -> UploadHost:
        app = web.Application(client_max_size=64 * MB)
        app.router.add_route("*", "/up/{sid}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


class Api:
    """The service: `createUploadSession` on a message's attachments opens a session on the upload host."""

    def __init__(self, host: UploadHost) -> None:
        self.host = host
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.server: TestServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1.0"))

    async def create(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path, dict(request.headers)))
        url = self.host.open(f"s{len(self.host.sessions) + 1}")
        return web.json_response({"uploadUrl": url, "expirationDateTime": "2026-12-07T00:00:00Z",
                                  "nextExpectedRanges": ["0-"]}, status=201)

    async def __aenter__(self) -> Api:
        app = web.Application()
        app.router.add_post("/v1.0/me/messages/{mid}/attachments/createUploadSession", self.create)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


def ranges(host: UploadHost) -> list[str]:
    return [headers["Content-Range"] for method, _, headers in host.seen if method == "PUT"]


async def test_a_file_goes_up_in_320_kib_chunks_without_the_token(bundled: None, tmp_path: Path) -> None:
    from graph_v1 import AttachmentItem, AttachmentType, FileAttachment, GraphClient

    size = 3 * UNIT + 1000
    path = tmp_path / "big.bin"
    path.write_bytes(pattern(size))
    progress: list[tuple[int, int]] = []
    async with UploadHost() as host, Api(host) as api:
        async with GraphClient(api.base, TOKEN) as client:
            action = client.me.messages["m1"].attachments.create_upload_session(
                attachment_item=AttachmentItem(attachment_type=AttachmentType.FILE, name="big.bin", size=size))
            upload = UploadSession(client, action, FileAttachment, chunk_size=UNIT)
            item = await upload.send(path, on_progress=lambda sent, total: progress.append((sent, total)))
    assert isinstance(item, FileAttachment) and (item.id, item.size) == ("a1", size)
    assert ranges(host) == [f"bytes 0-{UNIT - 1}/{size}", f"bytes {UNIT}-{2 * UNIT - 1}/{size}",
                            f"bytes {2 * UNIT}-{3 * UNIT - 1}/{size}", f"bytes {3 * UNIT}-{size - 1}/{size}"]
    assert progress == [(UNIT, size), (2 * UNIT, size), (3 * UNIT, size), (size, size)]
    assert host.sessions["s1"]["sha"].hexdigest() == hashlib.sha256(pattern(size)).hexdigest()
    [(_, create_path, to_service)] = api.seen
    assert create_path == "/v1.0/me/messages/m1/attachments/createUploadSession"
    assert to_service["Authorization"] == f"Bearer {TOKEN}"
    assert all("Authorization" not in headers for _, _, headers in host.seen)
    assert all(headers["Content-Type"] == "application/octet-stream" for _, _, headers in host.seen)


async def test_a_chunk_dropped_midway_is_sent_again(bundled: None, delays: list[float]) -> None:
    from graph_v1 import GraphClient

    data = pattern(3 * UNIT)
    async with UploadHost(item=False) as host:
        url = host.open("s1")
        # Cut off halfway twice (aiohttp sends an idempotent request again once by itself when a
        # kept-alive connection drops): then the client's retry policy sends the chunk again.
        host.drop = {2, 3}
        async with GraphClient("https://graph.test/v1.0", TOKEN) as client:
            assert await UploadSession(client, url, chunk_size=UNIT).send(data) is None  # a 201 without a body
    second = f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}"
    assert ranges(host) == [f"bytes 0-{UNIT - 1}/{len(data)}", second, second, second,
                            f"bytes {2 * UNIT}-{3 * UNIT - 1}/{len(data)}"]
    assert [method for method, _, _ in host.seen] == ["PUT"] * 5  # no GET was needed
    assert host.sessions["s1"]["sha"].hexdigest() == hashlib.sha256(data).hexdigest()
    assert len(delays) == 1


async def test_a_chunk_that_fails_for_good_resumes_from_next_expected_ranges(
    bundled: None, delays: list[float]
) -> None:
    from graph_v1 import GraphClient

    data = pattern(3 * UNIT)
    async with UploadHost(item=False) as host:
        url = host.open("s1")
        # Cut off halfway, twice: aiohttp itself sends an idempotent request again once when a
        # kept-alive connection drops, and the client's own retries are off.
        host.drop = {2, 3}
        async with GraphClient("https://graph.test/v1.0", TOKEN).with_retry(max_attempts=1) as client:
            await UploadSession(client, {"uploadUrl": url}, chunk_size=UNIT).send(data)
    assert [(method, headers.get("Content-Range")) for method, _, headers in host.seen] == [
        ("PUT", f"bytes 0-{UNIT - 1}/{len(data)}"),
        ("PUT", f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}"),
        ("PUT", f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}"),
        ("GET", None),                                          # what does the service still need?
        ("PUT", f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}"),
        ("PUT", f"bytes {2 * UNIT}-{3 * UNIT - 1}/{len(data)}"),
    ]
    assert host.sessions["s1"]["done"] and host.sessions["s1"]["sha"].hexdigest() == hashlib.sha256(data).hexdigest()
    assert delays == []


async def test_an_interrupted_upload_resumes_where_the_service_stopped(bundled: None, tmp_path: Path) -> None:
    from graph_v1 import GraphClient

    data = pattern(4 * UNIT)
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    async def crashing() -> AsyncIterator[bytes]:
        yield data[: 2 * UNIT]
        raise KeyboardInterrupt  # the process is stopped after two chunks

    async with UploadHost(item=False) as host:
        url = host.open("s1")
        async with GraphClient("https://graph.test/v1.0", TOKEN) as client:
            with pytest.raises(KeyboardInterrupt):
                await UploadSession(client, url, chunk_size=UNIT).send(crashing(), size=len(data))
            sent: list[int] = []

            async def progress(done: int, total: int) -> None:
                sent.append(done)

            await UploadSession(client, url, chunk_size=UNIT).send(path, resume=True, on_progress=progress)
    methods = [(method, headers.get("Content-Range")) for method, _, headers in host.seen]
    assert methods[2:] == [("GET", None), ("PUT", f"bytes {2 * UNIT}-{3 * UNIT - 1}/{len(data)}"),
                           ("PUT", f"bytes {3 * UNIT}-{4 * UNIT - 1}/{len(data)}")]
    assert sent == [3 * UNIT, 4 * UNIT]
    assert host.sessions["s1"]["sha"].hexdigest() == hashlib.sha256(data).hexdigest()


async def test_an_iterator_goes_up_in_session_chunks_whatever_its_pieces(bundled: None) -> None:
    from graph_v1 import GraphClient

    data = pattern(2 * UNIT + 5)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    async with UploadHost(item=False) as host:
        url = host.open("s1")
        async with GraphClient("https://graph.test/v1.0", TOKEN) as client:
            await UploadSession(client, url, chunk_size=UNIT).send(pieces(), size=len(data))
    assert ranges(host) == [f"bytes 0-{UNIT - 1}/{len(data)}", f"bytes {UNIT}-{2 * UNIT - 1}/{len(data)}",
                            f"bytes {2 * UNIT}-{2 * UNIT + 4}/{len(data)}"]
    assert host.sessions["s1"]["sha"].hexdigest() == hashlib.sha256(data).hexdigest()


async def test_a_file_upload_holds_about_one_chunk_in_memory(bundled: None, tmp_path: Path) -> None:
    from graph_v1 import GraphClient

    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        for _ in range(24):
            out.write(pattern(MB))
    async with UploadHost(item=False) as host:
        url = host.open("s1")
        async with GraphClient("https://graph.test/v1.0", TOKEN) as client:
            tracemalloc.start()
            try:
                await UploadSession(client, url, chunk_size=3 * UNIT).send(path)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert host.sessions["s1"]["done"]
    # The chunk read and sent, the server's copies of it: a few chunks, far below the 24 MiB file.
    assert peak < 6 * 3 * UNIT, f"peak {peak / MB:.1f} MB"


async def test_the_token_goes_to_an_upload_url_of_the_services_own_origin(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with UploadHost(item=False) as host:
        url = host.open("s1")
        async with GraphClient(host.url("/v1.0"), TOKEN) as client:
            await UploadSession(client, url).send(b"small")
            await UploadSession(client, url).cancel()
    assert [(method, headers.get("Authorization")) for method, _, headers in host.seen] == [
        ("PUT", f"Bearer {TOKEN}"), ("DELETE", f"Bearer {TOKEN}")]
    assert host.sessions == {}


async def test_failures_are_typed_and_arguments_checked(bundled: None) -> None:
    from graph_v1 import GraphClient

    async with UploadHost() as host:
        async with GraphClient("https://graph.test/v1.0", TOKEN) as client:
            with pytest.raises(NotFound) as info:
                await UploadSession(client, host.url("/up/gone")).send(b"x")
            with pytest.raises(ValueError, match="multiple of 320 KiB"):
                UploadSession(client, host.url("/up/gone"), chunk_size=1000 * 1000)
            with pytest.raises(TypeError, match="needs size="):
                await UploadSession(client, host.url("/up/gone")).send(pattern_chunks())
            with pytest.raises(TypeError, match="expected an absolute upload URL"):
                await UploadSession(client, "up/relative").send(b"x")
    assert (info.value.status, info.value.code, info.value.request_id) == (404, "itemNotFound", "up-404")
    assert "The upload session expired." in str(info.value)


async def pattern_chunks() -> AsyncIterator[bytes]:
    yield b"x"


async def test_connection_failures_past_the_resumes_are_raised(bundled: None, delays: list[float]) -> None:
    from graph_v1 import GraphClient

    async with UploadHost(item=False) as host:
        url = host.open("s1")
        host.drop = set(range(1, 10))
        async with GraphClient("https://graph.test/v1.0", TOKEN).with_retry(max_attempts=1) as client:
            with pytest.raises(ConnectionFailed):
                await UploadSession(client, url, chunk_size=UNIT, max_resumes=2).send(pattern(UNIT))
    methods = [method for method, _, _ in host.seen]
    assert methods.count("GET") == 2 and methods[-1] == "PUT" and set(methods) == {"GET", "PUT"}
