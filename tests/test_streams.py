"""Media entities and stream properties: `.content.stream() / read() / save() / put() / patch()`.

The request shapes (method, URL, headers, body) are checked with aioresponses against the
streams fixture (tests/fixtures/csdl/streams.xml); transfers, redirects, retries and memory
against real aiohttp servers on 127.0.0.1 (two ports: two origins). Retry delays are recorded by
replacing `odatakit.http.sleep`, so nothing sleeps for them.
"""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses

import odatakit.http
from odatakit.errors import ConnectionFailed, NotFound, ODataError, ServiceUnavailable
from odatakit.streams import StreamRequest

from .conftest import FIXTURES

BASE = "https://svc.test/odata"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig"
MB = 1024 * 1024
#: The size of the large transfers, and what their peak Python allocations must stay far below.
LARGE = 50 * MB
PEAK_LIMIT = 4 * MB


@pytest.fixture
def media(generated_packages: Any) -> ModuleType:
    return generated_packages(FIXTURES / "streams.xml", "fx_streams")  # type: ignore[no-any-return]


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds each retry would have slept (nothing sleeps)."""
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(odatakit.http, "sleep", record)
    return slept


def sent(m: aioresponses) -> list[tuple[str, str, dict[str, str], Any]]:
    """(method, URL, headers, body) of every request aioresponses saw, in order."""
    out = []
    for (method, url), calls in m.requests.items():
        for call in calls:
            out.append((method, str(url), dict(call.kwargs["headers"]), call.kwargs.get("data")))
    return out


# -- request shapes ----------------------------------------------------------------------------------------
def test_accessors_are_stream_requests_with_the_right_paths(media: ModuleType) -> None:
    client = media.ContainerClient(BASE)
    assert isinstance(client.me.content, StreamRequest)
    assert client.me.content.url == "me/content"
    assert client.me.select_.url == "me/select"
    assert client.documents[7].photo.content.url == "documents(7)/photo/$value"
    assert client.documents[7].photos["a b"].content.url == "documents(7)/photos('a%20b')/$value"
    assert client.documents[7].photos["x"].thumbnail.url == "documents(7)/photos('x')/thumbnail"
    # A navigation named `content` keeps its name; the media stream of that type is `content_2`.
    assert client.notes["n"].content_2.url == "notes('n')/$value"
    assert str(client.me.content.params(format="pdf")) == "me/content?format=pdf"
    assert client.me.content.params({"a b": "x&y"}).url == "me/content?a%20b=x%26y"
    with pytest.raises(TypeError, match=r"params\('\$format'=...\): expected the name of a custom option"):
        client.me.content.params({"$format": "pdf"})


async def test_read_sends_get_with_media_accept_and_the_token(media: ModuleType) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/documents(7)/photo/$value", body=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"})
        async with media.ContainerClient(BASE, TOKEN) as client:
            data = await client.documents[7].photo.content.read()
    assert data == b"\xff\xd8jpeg"
    [(method, url, headers, body)] = sent(m)
    assert (method, url, body) == ("GET", f"{BASE}/documents(7)/photo/$value", None)
    assert headers["Accept"] == "*/*" and headers["Authorization"] == f"Bearer {TOKEN}"


async def test_put_sends_the_bytes_with_their_media_type(media: ModuleType) -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/documents(7)/photo/$value", status=204)
        async with media.ContainerClient(BASE, TOKEN) as client:
            result = await client.documents[7].photo.content.put(b"PNG...", content_type="image/png")
    assert result is None
    [(method, url, headers, body)] = sent(m)
    assert (method, url, body) == ("PUT", f"{BASE}/documents(7)/photo/$value", b"PNG...")
    assert headers["Content-Type"] == "image/png" and headers["Accept"] == "application/json"
    assert headers["Authorization"] == f"Bearer {TOKEN}"


async def test_put_returns_the_entity_typed_and_patch_sends_if_match(media: ModuleType) -> None:
    with aioresponses() as m:
        m.put(f"{BASE}/documents(7)/content", status=200, payload={"id": 7, "name": "a.txt"})
        m.patch(f"{BASE}/me/content", status=204)
        async with media.ContainerClient(BASE, TOKEN) as client:
            document = await client.documents[7].content.put(bytearray(b"hello"), content_type="text/plain")
            assert await client.me.content.patch(b"more", content_type="text/plain", if_match='W/"2"') is None
    assert isinstance(document, media.Document) and (document.id, document.name) == (7, "a.txt")
    (_, _, _, put_body), (method, url, headers, body) = sent(m)
    assert put_body == b"hello"
    assert (method, url, body, headers["If-Match"]) == ("PATCH", f"{BASE}/me/content", b"more", 'W/"2"')


async def test_a_failure_is_the_typed_error_with_status_and_request_id(media: ModuleType) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/me/content", status=404, headers={"request-id": "r-1"},
              payload={"error": {"code": "itemNotFound", "message": "no such item"}})
        async with media.ContainerClient(BASE, TOKEN) as client:
            with pytest.raises(NotFound) as info:
                async for _ in client.me.content.stream():
                    pass
    assert (info.value.status, info.value.code, info.value.request_id) == (404, "itemNotFound", "r-1")
    assert str(info.value) == f"GET {BASE}/me/content: HTTP 404 itemNotFound: no such item (request-id r-1)"


async def test_bad_arguments_are_refused_before_anything_is_sent(media: ModuleType, tmp_path: Path) -> None:
    client = media.ContainerClient(BASE)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        await client.me.content.put(str(tmp_path / "missing.bin"))
    with pytest.raises(TypeError, match="expected bytes, a file path or an async iterator of bytes"):
        await client.me.content.put(42)
    with pytest.raises(TypeError, match="expected a media type"):
        await client.me.content.put(b"x", content_type="")
    with pytest.raises(ValueError, match="expected a positive int"):
        client.me.content.stream(chunk_size=0)


# -- a real server -----------------------------------------------------------------------------------------
def pattern(size: int) -> bytes:
    """`size` bytes that are not all alike, so a chunk in the wrong place changes the hash."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


class Service:
    """A media service on 127.0.0.1: `/me/content` (GET, PUT, PATCH), with scripted answers per request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], int, str]] = []  # method, path, headers, size, sha256
        self.answers: list[Callable[[web.Request], Awaitable[web.StreamResponse]]] = []
        self.download = b""
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.content.iter_chunked(1 << 16):
            digest.update(chunk)
            size += len(chunk)
        self.seen.append((request.method, request.path_qs, dict(request.headers), size, digest.hexdigest()))
        if self.answers:
            return await self.answers.pop(0)(request)
        if request.method == "GET":
            return await send(request, self.download)
        return web.json_response({"id": 1, "name": f"{size} bytes"})

    async def __aenter__(self) -> Service:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


async def send(request: web.Request, data: bytes, *, cut: int | None = None) -> web.StreamResponse:
    """Stream `data` in 64 KiB chunks (from a view: the server holds nothing more); with `cut`, drop after that many."""
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.content_length = len(data)
    await response.prepare(request)
    view = memoryview(data)
    for start in range(0, len(data) if cut is None else cut, 1 << 16):
        await response.write(view[start : start + (1 << 16)])
    if cut is not None:
        assert request.transport is not None
        request.transport.close()
        return response
    await response.write_eof()
    return response


async def large_chunks(size: int) -> AsyncIterator[bytes]:
    block = pattern(1 << 16)
    for _ in range(size // len(block)):
        yield block


async def test_50_mb_download_streams_in_constant_memory(media: ModuleType) -> None:
    async with Service() as service:
        service.download = pattern(LARGE)
        expected = hashlib.sha256(service.download).hexdigest()
        async with media.ContainerClient(service.url, TOKEN) as client:
            digest, size = hashlib.sha256(), 0
            tracemalloc.start()
            try:
                async for chunk in client.me.content.stream():
                    digest.update(chunk)
                    size += len(chunk)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert (size, digest.hexdigest()) == (LARGE, expected)
    assert peak < PEAK_LIMIT, f"peak {peak / MB:.1f} MB for a {LARGE // MB} MB body"


async def test_50_mb_save_writes_the_file_in_constant_memory(media: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    async with Service() as service:
        service.download = pattern(LARGE)
        expected = hashlib.sha256(service.download).hexdigest()
        async with media.ContainerClient(service.url, TOKEN) as client:
            tracemalloc.start()
            try:
                written = await client.me.content.save(target)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert written == LARGE and target.stat().st_size == LARGE
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected
    assert list(tmp_path.iterdir()) == [target]  # no partial file left
    assert peak < PEAK_LIMIT, f"peak {peak / MB:.1f} MB for a {LARGE // MB} MB body"


@pytest.mark.parametrize("source", ["iterator", "file"])
async def test_50_mb_upload_streams_in_constant_memory(media: ModuleType, tmp_path: Path, source: str) -> None:
    path = tmp_path / "upload.bin"
    if source == "file":
        with path.open("wb") as out:
            block = pattern(1 << 16)
            for _ in range(LARGE // len(block)):
                out.write(block)
    expected = hashlib.sha256(pattern(1 << 16) * (LARGE // (1 << 16))).hexdigest()
    async with Service() as service:
        async with media.ContainerClient(service.url, TOKEN) as client:
            tracemalloc.start()
            try:
                data = large_chunks(LARGE) if source == "iterator" else path
                document = await client.me.content.put(data, content_type="video/mp4")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    [(method, path_qs, headers, size, digest)] = service.seen
    assert (method, path_qs, size, digest) == ("PUT", "/me/content", LARGE, expected)
    assert headers["Content-Type"] == "video/mp4"
    assert document is not None and document.name == f"{LARGE} bytes"
    assert peak < PEAK_LIMIT, f"peak {peak / MB:.1f} MB for a {LARGE // MB} MB body"


async def test_a_redirect_to_another_origin_is_followed_without_the_token(media: ModuleType) -> None:
    async with Service() as service, Service() as storage:
        storage.download = b"the file"

        async def moved(request: web.Request) -> web.StreamResponse:
            return web.Response(status=302, headers={"Location": f"{storage.url}/blob?sig=abc"})

        service.answers.append(moved)
        async with media.ContainerClient(service.url, TOKEN) as client:
            assert await client.me.content.read() == b"the file"
    [(_, _, to_service, _, _)] = service.seen
    [(method, path_qs, to_storage, _, _)] = storage.seen
    assert to_service["Authorization"] == f"Bearer {TOKEN}"
    assert (method, path_qs) == ("GET", "/blob?sig=abc")
    assert "Authorization" not in to_storage and to_storage["Accept"] == "*/*"


async def test_replayable_uploads_are_retried_an_iterator_is_not(
    media: ModuleType, tmp_path: Path, delays: list[float]
) -> None:
    async def busy(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"code": "busy", "message": "later"}}, status=503,
                                 headers={"Retry-After": "1"})

    path = tmp_path / "a.bin"
    path.write_bytes(b"file body")
    async with Service() as service:
        async with media.ContainerClient(service.url, TOKEN) as client:
            service.answers.append(busy)
            await client.me.content.put(b"bytes body")
            service.answers.append(busy)
            await client.me.content.put(path)
            service.answers.append(busy)
            with pytest.raises(ServiceUnavailable):
                await client.me.content.put(large_chunks(1 << 16))
    sizes = [(method, size) for method, _, _, size, _ in service.seen]
    assert sizes == [("PUT", 10), ("PUT", 10), ("PUT", 9), ("PUT", 9), ("PUT", 1 << 16)]
    assert delays == [1.0, 1.0]


async def test_an_iterator_upload_is_not_sent_again_to_a_redirect(media: ModuleType) -> None:
    async with Service() as service:
        async def again(request: web.Request) -> web.StreamResponse:
            return web.Response(status=307, headers={"Location": "/elsewhere"})

        service.answers.append(again)
        async with media.ContainerClient(service.url, TOKEN) as client:
            with pytest.raises(ODataError, match="cannot be sent twice: pass bytes or a file path") as info:
                await client.me.content.put(large_chunks(1 << 16))
    assert info.value.status == 307 and len(service.seen) == 1


async def test_the_callers_iterator_error_is_raised_as_it_is(media: ModuleType) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"first"
        raise ValueError("the source broke")

    async with Service() as service:
        async with media.ContainerClient(service.url, TOKEN) as client:
            with pytest.raises(ValueError, match="the source broke"):
                await client.me.content.put(failing())


async def test_a_body_that_breaks_off_is_fetched_again_by_read_not_by_stream(
    media: ModuleType, delays: list[float]
) -> None:
    data = pattern(1 << 20)

    async def cut(request: web.Request) -> web.StreamResponse:
        return await send(request, data, cut=1 << 18)

    async with Service() as service:
        service.download = data
        async with media.ContainerClient(service.url, TOKEN) as client:
            service.answers.append(cut)
            assert await client.me.content.read() == data
            service.answers.append(cut)
            received = 0
            with pytest.raises(ConnectionFailed, match="the response broke off"):
                async for chunk in client.me.content.stream():
                    received += len(chunk)
    assert len(service.seen) == 3 and 0 < received < len(data) and len(delays) == 1


async def test_leaving_a_stream_early_frees_the_connection(media: ModuleType) -> None:
    async with Service() as service:
        service.download = pattern(4 * MB)
        async with media.ContainerClient(service.url, TOKEN) as client:
            async with client.me.content.stream(chunk_size=1024) as chunks:
                async for chunk in chunks:
                    assert len(chunk) <= 1024
                    break
            # The pool has its connection back: the next request is answered.
            assert await client.me.content.put(b"x") is not None


# -- inspect -------------------------------------------------------------------------------------------------
def test_inspect_prints_the_stream_call_of_each_method(capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import ROOT, run_cli, shared_file

    pages = shared_file("external", "msgraph-docs", "v1.0-api")
    graph = ("--metadata", str(ROOT / "schemas" / "graph_v1.xml"), "--api-version", "v1.0", "--quiet")
    _, out, _ = run_cli(capsys, "inspect", *graph, "--spec", str(pages / "profilephoto-update.md"))
    rows = {" ".join(line.split()[1:3]): line for line in out.splitlines()}
    assert "client.me.photo.content.put(data, content_type=...)" in rows["PUT /me/photo/$value"]
    assert "client.groups[id].photo.content.patch(data, content_type=...)" in rows["PATCH /groups/{id}/photo/$value"]
    # Attachments are media only in some derived types; the pages read $value of any: given `.content`.
    code, out, err = run_cli(capsys, "inspect", *graph[:-1], "--spec", str(pages / "attachment-get.md"))
    assert "client.me.messages[id].attachments[id].content.read()" in out
    assert ("microsoft.graph.attachment: not a media entity in the metadata, but the pages read or write its "
            "$value") in err
    assert ".value()" not in out


def test_inspect_stream_properties_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import run_cli

    page = tmp_path / "page.md"
    page.write_text(
        "# Documents\n\n## HTTP request\n\n```http\n"
        "GET https://svc.test/v1.0/me/content?format={format}\n"
        "PUT https://svc.test/v1.0/documents/{id}/photos/{photo-id}/thumbnail\n"
        "GET https://svc.test/v1.0/notes/{id}/$value\n"
        "DELETE https://svc.test/v1.0/me/content\n"
        "GET https://svc.test/v1.0/documents/{id}/$value\n"
        "```\n",
        encoding="utf-8",
    )
    _, out, _ = run_cli(capsys, "inspect", "--metadata", str(FIXTURES / "streams.xml"), "--spec", str(page), "--quiet")
    lines = out.splitlines()
    assert lines[-1] == "3 of 5 spec operations served"
    assert any("client.me.content.params(format=...).read()" in line for line in lines)
    assert any("client.documents[id].photos[photo_id].thumbnail.put(data, content_type=...)" in line for line in lines)
    assert any("client.notes[id].content_2.read()" in line for line in lines)
    assert any("NOT SERVED: DELETE on the stream content: expected GET, PUT or PATCH" in line for line in lines)
    assert any("NOT SERVED: $value on the entity type Test.Streams.Document, which is not a media entity (HasStream)"
               in line for line in lines)
