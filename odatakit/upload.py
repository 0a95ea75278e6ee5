"""Large-file upload sessions (Microsoft Graph's protocol): a file in `Content-Range` pieces.

An action such as `createUploadSession` answers with an `uploadUrl`; `UploadSession` sends the
bytes there in chunks (a multiple of 320 KiB)::

    session = await client.me.drive.items[parent_id].create_upload_session(item=...)
    item = await UploadSession(client, session, DriveItem).send("video.mp4", on_progress=print)

Each chunk is a `PUT` with `Content-Range: bytes first-last/total`; the service answers 202 with
`nextExpectedRanges` until the last one, answered 200 or 201 with the item. A chunk that fails
is sent again as the client's retry policy says; when it fails for good (or the process was
interrupted: `send(..., resume=True)`), a `GET` on the upload URL says which ranges the service
still needs and the upload goes on from there. The upload URL carries its own authorisation:
the client's token (and any credential header) goes there only if it is the service's own origin.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson

from .errors import ConnectionFailed, MalformedResponse, ODataError, RequestTimeout
from .http import HttpResponse
from .serde import ODataObject
from .streams import StreamRequest

if TYPE_CHECKING:
    from .client import Client

__all__ = ["UNIT", "UploadSession"]

T = TypeVar("T", bound=ODataObject)

#: Graph takes chunks whose size is a multiple of this (320 KiB)...
UNIT = 320 * 1024
#: ...and at most this large (60 MiB).
MAX_CHUNK = 60 * 1024 * 1024

#: `on_progress(sent, total)`: bytes the service has acknowledged so far, and the file's size.
Progress = Callable[[int, int], Any]


class UploadSession(Generic[T]):
    """Send a file to an upload session's URL in chunks; resume it from the ranges the service still needs.

    `session` is the upload URL, the action's result (anything with `upload_url`, or its JSON
    with `uploadUrl`), or the awaitable action call itself. `item_type` types the item the last
    chunk's answer carries (Graph's driveItem); without it, `send` returns its JSON.
    """

    def __init__(
        self,
        client: Client,
        session: Any,
        item_type: type[T] | None = None,
        *,
        chunk_size: int = 10 * UNIT,
        max_resumes: int = 3,
    ) -> None:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size <= 0 or chunk_size % UNIT:
            raise ValueError(f"chunk_size={chunk_size!r}: expected a positive multiple of 320 KiB ({UNIT} bytes)")
        if chunk_size > MAX_CHUNK:
            raise ValueError(f"chunk_size={chunk_size}: at most 60 MiB ({MAX_CHUNK} bytes) a chunk")
        self._client = client
        self._session = session
        self._type = item_type
        self.chunk_size = chunk_size
        self.max_resumes = max_resumes
        self._url: str | None = None

    async def upload_url(self) -> str:
        """The session's upload URL (awaiting the action first when it was given as a call)."""
        if self._url is None:
            session = self._session
            if inspect.isawaitable(session):
                session = await session
            self._url = _url_of(session)
        return self._url

    def _target(self, url: str) -> StreamRequest[T]:
        return StreamRequest(self._client, url, self._type)

    async def next_expected(self) -> list[tuple[int, int | None]]:
        """The ranges the service still needs (`GET` on the upload URL): (first, last or None for 'to the end')."""
        url = await self.upload_url()
        response, _ = await self._target(url)._exchange("GET", None, {"Accept": "application/json"}, stream=False)
        return _ranges(_json(response), response, "GET")

    async def cancel(self) -> None:
        """End the session (`DELETE` on the upload URL): the service drops what it received."""
        url = await self.upload_url()
        await self._target(url)._exchange("DELETE", None, {}, stream=False)

    async def send(
        self,
        data: bytes | bytearray | memoryview | str | os.PathLike[str] | AsyncIterable[bytes],
        *,
        size: int | None = None,
        on_progress: Progress | None = None,
        resume: bool = False,
    ) -> T | Any:
        """Upload `data` (bytes, a file path, or an async iterator of bytes with its `size`); return the item.

        `resume=True` asks the service first which ranges it still needs (a session begun by an
        earlier process). The item is typed when the session has an `item_type`; an answer
        without a body (an attachment's 201) gives None.
        """
        source = _Source(data, size)
        url = await self.upload_url()
        target = self._target(url)
        offset = 0
        if resume:
            offset = _first(await self.next_expected(), source.size)
        resumes = 0
        while True:
            chunk = await source.read(offset, min(self.chunk_size, source.size - offset))
            last = offset + len(chunk) - 1
            headers = {"Content-Type": "application/octet-stream", "Content-Range": f"bytes {offset}-{last}/{source.size}",
                       "Accept": "application/json"}
            try:
                response, _ = await target._exchange("PUT", chunk, headers, stream=False)
            except (ConnectionFailed, RequestTimeout, ODataError) as exc:
                # The chunk failed for good (its retries included), or the service already had some
                # of it (416): ask what it still needs and go on from there.
                gone = isinstance(exc, ConnectionFailed | RequestTimeout) or exc.status == 416
                resumes += 1
                if not gone or resumes > self.max_resumes:
                    raise
                offset = _first(await self.next_expected(), source.size)
                continue
            if response.status in (200, 201):
                if on_progress is not None:
                    await _call(on_progress, source.size, source.size)
                return self._item(response)
            body = _json(response)
            ranges = _ranges(body, response, "PUT") if body.get("nextExpectedRanges") is not None else []
            offset = _first(ranges, source.size) if ranges else last + 1
            if on_progress is not None:
                await _call(on_progress, offset, source.size)
            if offset >= source.size:
                raise MalformedResponse(response.status, "the service asks for no more bytes but gave no item",
                                        method="PUT", url=url, headers=response.headers)

    def _item(self, response: HttpResponse) -> T | Any:
        if not response.body.strip():
            return None
        if self._type is None:
            return _json(response)
        return self._target(response.url)._entity(response, "PUT")


class _Source:
    """Bytes at any offset of bytes or a file; an async iterator's next bytes, in order."""

    def __init__(self, data: Any, size: int | None) -> None:
        self.data: memoryview | None = None
        self.path: Path | None = None
        self.chunks: AsyncIterator[bytes] | None = None
        #: For an iterator: the chunk last read, where it starts, and the bytes read past it.
        self.pending = b""
        self.pending_at = 0
        self.carry = b""
        if isinstance(data, bytes | bytearray | memoryview):
            self.data = memoryview(data).cast("B")
            self.size = len(self.data)
        elif isinstance(data, str | os.PathLike):
            self.path = Path(data)
            if not self.path.is_file():
                raise FileNotFoundError(f"upload: {str(self.path)!r} is not a file")
            self.size = self.path.stat().st_size
        elif isinstance(data, AsyncIterable):
            if size is None:
                raise TypeError("upload: an async iterator needs size= (Content-Range carries the total)")
            self.chunks = aiter(data)
            self.size = size
        else:
            raise TypeError(f"upload: got {type(data).__name__}; expected bytes, a file path or an async iterator")
        if size is not None and size != self.size:
            raise ValueError(f"upload: size={size} but the data has {self.size} bytes")
        if self.size <= 0:
            raise ValueError("upload: an upload session needs at least one byte")

    async def read(self, offset: int, length: int) -> bytes:
        if self.data is not None:
            return bytes(self.data[offset : offset + length])
        if self.path is not None:
            return await asyncio.to_thread(_read_file, self.path, offset, length)
        return await self._next(offset, length)

    async def _next(self, offset: int, length: int) -> bytes:
        # The iterator cannot go back: the chunk last sent (and what was read past it) is kept, so
        # it can be sent again, whole or from where the service says it stopped.
        assert self.chunks is not None
        window = self.pending + self.carry
        skip = offset - self.pending_at
        if skip < 0 or skip > len(window):
            raise ODataError(0, f"upload: the service asks for bytes from {offset}, which an async iterator "
                             "cannot give again: pass bytes or a file path to resume further back")
        buffer = bytearray(window[skip:])
        while len(buffer) < length:
            try:
                piece = await anext(self.chunks)
            except StopAsyncIteration:
                raise ValueError(f"upload: the iterator ended at byte {offset + len(buffer)} of size={self.size}") from None
            if not isinstance(piece, bytes | bytearray | memoryview):
                raise TypeError(f"upload: the iterator gave {type(piece).__name__}, expected bytes")
            buffer += piece
        self.pending, self.carry, self.pending_at = bytes(buffer[:length]), bytes(buffer[length:]), offset
        return self.pending


def _read_file(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(length)


def _url_of(session: Any) -> str:
    url = getattr(session, "upload_url", None)
    if url is None and isinstance(session, Mapping):
        url = session.get("uploadUrl")
    if url is None and isinstance(session, str):
        url = session
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise TypeError(f"upload session: expected an absolute upload URL or a session with one, got {session!r:.200}")
    return url


def _json(response: HttpResponse) -> dict[str, Any]:
    try:
        body = orjson.loads(response.body) if response.body.strip() else {}
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise MalformedResponse(response.status, f"expected a JSON object, got {response.body[:200]!r}",
                                method=response.request.method, url=response.url, headers=response.headers)
    return body


def _ranges(body: Mapping[str, Any], response: HttpResponse, method: str) -> list[tuple[int, int | None]]:
    """`nextExpectedRanges` (`["26-"]`, `["0-99", "200-"]`) as (first, last or None)."""
    raw = body.get("nextExpectedRanges")
    out: list[tuple[int, int | None]] = []
    if isinstance(raw, list):
        for item in raw:
            first, sep, last = item.partition("-") if isinstance(item, str) else ("", "", "")
            if not sep or not first.isascii() or not first.isdigit() or last and not (last.isascii() and last.isdigit()):
                out = []
                break
            out.append((int(first), int(last) if last else None))
        else:
            return out
    raise MalformedResponse(response.status, f"nextExpectedRanges: expected ranges such as ['26-'], got {raw!r:.200}",
                            method=method, url=response.url, headers=response.headers)


def _first(ranges: list[tuple[int, int | None]], size: int) -> int:
    """Where to go on from: the start of the first range still needed (the end when none is)."""
    return min((first for first, _ in ranges), default=size)


async def _call(callback: Progress, sent: int, total: int) -> None:
    result = callback(sent, total)
    if inspect.isawaitable(result):
        await result
