"""Media and stream properties: bytes in and out without holding them in memory.

`client.me.photo.content` (a media entity's `$value`) and `client.me.drive.items[id].content`
(an `Edm.Stream` property) are `StreamRequest`s::

    async for chunk in request.stream(): ...      # the bytes as they arrive
    data = await request.read()                    # all of them
    await request.save("photo.jpg")                # into a file
    await request.put(data_or_path_or_chunks, content_type="image/jpeg")

Requests go through the client's middleware (logging, retries, redirects, auth), with a
transport that leaves a successful body unread until it is consumed and sends a file or an
async iterator of chunks as it is read. A redirect to another origin (Graph answers content
downloads with a 302 to a storage host) is followed without the credentials; an upload is
retried only when its body can be sent again (bytes or a file path, not an async iterator).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar
from urllib.parse import unquote

import attrs
import orjson

from . import http
from .errors import ConnectionFailed, MalformedResponse, ODataError, RequestTimeout
from .http import (
    MAX_BODY,
    HttpRequest,
    HttpResponse,
    Timeouts,
    _reason,
    _undecodable,
    chain,
)
from .query import custom_text, encode_query
from .serde import ODataObject

if TYPE_CHECKING:
    import aiohttp

    from .client import Client
    from .http import Handler

__all__ = ["Download", "StreamRequest", "Upload"]

T = TypeVar("T", bound=ODataObject)

#: Bytes read from the network (or a file) at a time.
CHUNK_SIZE = 1 << 16

#: What `put` and `patch` take: the bytes, a file path, or an async iterator of chunks.
UploadData = bytes | bytearray | memoryview | str | os.PathLike[str] | AsyncIterable[bytes]


class Upload:
    """A streamed request body: a file (read again for each attempt) or an async iterator (sent once)."""

    __slots__ = ("path", "chunks", "replayable", "used", "error")

    def __init__(self, source: str | os.PathLike[str] | AsyncIterable[bytes]) -> None:
        self.path: Path | None = None
        self.chunks: AsyncIterable[bytes] | None = None
        if isinstance(source, str | os.PathLike):
            self.path = Path(source)
            if not self.path.is_file():
                raise FileNotFoundError(f"upload: {str(self.path)!r} is not a file")
        elif isinstance(source, AsyncIterable):
            self.chunks = source
        else:
            raise TypeError(
                f"upload: got {type(source).__name__}; expected bytes, a file path or an async iterator of bytes"
            )
        self.replayable = self.path is not None
        self.used = False
        #: An error the caller's iterator raised (or a chunk that was not bytes), to raise as it is.
        self.error: BaseException | None = None

    def open(self) -> Any:
        """The file, opened for this attempt, or the iterator (once)."""
        if self.path is not None:
            return self.path.open("rb")
        if self.used:
            raise RuntimeError("upload: an async iterator can be sent only once")
        self.used = True
        return self._checked()

    async def _checked(self) -> AsyncIterator[bytes]:
        assert self.chunks is not None
        try:
            async for chunk in self.chunks:
                if not isinstance(chunk, bytes | bytearray | memoryview):
                    raise TypeError(f"upload: the iterator gave {type(chunk).__name__}, expected bytes")
                if chunk:
                    yield bytes(chunk)
        except Exception as exc:
            self.error = exc
            raise


class StreamTransport:
    """The innermost handler of stream requests: like `odatakit.http.Transport`, but a 2xx body is left unread.

    The answer to a request with `context["stream"]` keeps the open aiohttp response in
    `context["content"]`, to be read and released by `Download`; any other answer (3xx, errors,
    uploads) is read whole, up to `MAX_BODY` bytes, and released here.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        """Send `request`; keep a successful streamed body open, read any other."""
        import aiohttp
        import yarl

        body = request.body
        data = body.open() if body is not None and not isinstance(body, bytes) else body
        try:
            resp = await self._session().request(
                request.method,
                yarl.URL(request.url, encoded=True),
                data=data,
                headers=request.headers,
                timeout=request.timeouts.aiohttp(),
                allow_redirects=False,
            )
            if request.context.get("stream") and 200 <= resp.status < 300:
                request.context["content"] = resp
                return HttpResponse(resp.status, resp.headers, b"", request.url, request)
            try:
                raw = await _read_all(resp, request.method, request.url, MAX_BODY)
            finally:
                resp.release()
            return HttpResponse(resp.status, resp.headers, raw, request.url, request)
        except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
            raise RequestTimeout(request.method, request.url, request.timeouts.total or request.timeouts.sock_read) from exc
        except aiohttp.ClientError as exc:
            if isinstance(body, Upload) and body.error is not None:
                raise body.error from None  # the caller's own iterator failed: not a connection problem
            raise ConnectionFailed(request.method, request.url, _reason(exc)) from exc
        finally:
            close = getattr(data, "close", None)  # a file opened for this attempt
            if close is not None:
                close()


async def _read_all(resp: aiohttp.ClientResponse, method: str, url: str, limit: int) -> bytes:
    """The whole body, or `MalformedResponse` past `limit` bytes or when it cannot be decompressed."""
    import aiohttp

    chunks = []
    size = 0
    try:
        async for chunk in resp.content.iter_chunked(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                raise MalformedResponse(resp.status, f"the body is larger than {limit} bytes (decompressed)",
                                        method=method, url=url, headers=resp.headers)
            chunks.append(chunk)
    except aiohttp.ClientPayloadError as exc:
        undecodable = _undecodable(exc)
        if undecodable is None:
            raise ConnectionFailed(method, url, f"the response broke off: {_reason(exc)}") from exc
        raise MalformedResponse(resp.status, f"the body cannot be decompressed: {undecodable[0]}",
                                method=method, url=url, headers=resp.headers) from exc
    return b"".join(chunks)


def _handler(client: Client) -> Handler:
    handler = client._stream_handler
    if handler is None:
        handler = client._stream_handler = chain(client._links, StreamTransport(client._shared.ensure_session))
    return handler


def _stream_timeouts(timeouts: Timeouts) -> Timeouts:
    # A large body may take longer than any per-request limit: the client's total applies to
    # connecting and to each wait for data instead (unless those are set), never to the whole transfer.
    if timeouts.total is None:
        return timeouts
    return Timeouts(None, timeouts.connect or timeouts.total, timeouts.sock_read or timeouts.total)


class StreamRequest(Generic[T]):
    """The bytes of a media entity (`.../$value`) or of a stream property (`.../content`).

    `T` is the entity the stream belongs to: `put` and `patch` return it typed when the service
    answers with it (Graph does for a drive item's content), else None.
    """

    __slots__ = ("_client", "_path", "_type", "_hdrs", "_opts")

    def __init__(
        self, client: Client, path: str, entity_type: type[T] | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self._client = client
        self._path = path
        self._type = entity_type
        self._hdrs: dict[str, str] = dict(headers or {})
        self._opts: dict[str, str] = {}

    @property
    def path(self) -> str:
        """The service-relative path, percent-encoded."""
        return self._path

    @property
    def url(self) -> str:
        """The service-relative URL as it is sent (with the options of `params`)."""
        return f"{self._path}?{encode_query(self._opts)}" if self._opts else self._path

    def __str__(self) -> str:
        return unquote(self.url)

    def __repr__(self) -> str:
        return f"<StreamRequest {self}>"

    def _copy(self) -> Self:
        copy = type(self)(self._client, self._path, self._type, self._hdrs)
        copy._opts = dict(self._opts)
        return copy

    def params(self, _options: Mapping[str, Any] | None = None, /, **custom: Any) -> Self:
        """Custom query options (`format="pdf"` for a converted download)."""
        copy = self._copy()
        copy._opts.update(custom_text({**(_options or {}), **custom}, queried=False))
        return copy

    def with_headers(self, headers: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """The same stream with extra request headers."""
        copy = self._copy()
        for name, value in {**(headers or {}), **more}.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"with_headers(): {name!r}: {value!r}: names and values must be str")
            copy._hdrs[name] = value
        return copy

    # -- downloads -------------------------------------------------------------------------------
    def stream(self, *, accept: str = "*/*", chunk_size: int = CHUNK_SIZE) -> Download:
        """The bytes as they arrive: `async for chunk in request.stream()` (or in `async with ... as chunks`)."""
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise ValueError(f"stream(chunk_size={chunk_size!r}): expected a positive int")
        return Download(self, accept, chunk_size)

    async def read(self, *, accept: str = "*/*", max_bytes: int = MAX_BODY) -> bytes:
        """All the bytes (`MalformedResponse` past `max_bytes`); a body that breaks off is fetched again."""
        parts: list[bytes] = []

        async def attempt() -> None:
            parts.clear()
            size = 0
            async with self.stream(accept=accept) as chunks:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise MalformedResponse(0, f"the body is larger than {max_bytes} bytes",
                                                method="GET", url=self._client.url_for(self.url))
                    parts.append(chunk)

        await self._again(attempt)
        return b"".join(parts)

    async def save(self, path: str | os.PathLike[str], *, accept: str = "*/*", chunk_size: int = CHUNK_SIZE) -> int:
        """Write the bytes into the file at `path` (replaced only once they have all arrived); return their number."""
        target = Path(path)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        written = 0

        async def attempt() -> None:
            nonlocal written
            written = 0
            with partial.open("wb") as out:
                async with self.stream(accept=accept, chunk_size=chunk_size) as chunks:
                    async for chunk in chunks:
                        out.write(chunk)
                        written += len(chunk)

        try:
            await self._again(attempt)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return written

    async def _again(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Run a whole download, again when its body broke off midway, as the client's retry policy allows."""
        policy = self._client.options.retry
        tries = 1
        while True:
            try:
                await attempt()
                return
            except (ConnectionFailed, RequestTimeout) as exc:
                allowed = policy.connection_errors if isinstance(exc, ConnectionFailed) else policy.timeouts
                if not allowed or tries >= policy.max_attempts or not policy.allows("GET"):
                    raise
                await http.sleep(policy.delay(tries, None))
                tries += 1

    # -- uploads ---------------------------------------------------------------------------------
    async def put(
        self, data: UploadData, *, content_type: str = "application/octet-stream", if_match: str | None = None
    ) -> T | None:
        """Replace the bytes with `data` (bytes, a file path, or an async iterator of chunks).

        Returns the entity when the service answers with it, else None. Bytes and files are sent
        again after a failure the retry policy covers; an async iterator is sent once.
        """
        return await self._upload("PUT", data, content_type, if_match)

    async def patch(
        self, data: UploadData, *, content_type: str = "application/octet-stream", if_match: str | None = None
    ) -> T | None:
        """Send `data` with PATCH, where a service documents it (`PATCH /me/photo/$value`); see `put`."""
        return await self._upload("PATCH", data, content_type, if_match)

    async def _upload(self, method: str, data: UploadData, content_type: str, if_match: str | None) -> T | None:
        if not isinstance(content_type, str) or not content_type:
            raise TypeError(f"{method.lower()}(content_type={content_type!r}): expected a media type such as 'image/png'")
        body: bytes | Upload = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else Upload(data)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if if_match is not None:
            headers["If-Match"] = if_match
        response, _ = await self._exchange(method, body, headers, stream=False)
        return self._entity(response, method)

    def _entity(self, response: HttpResponse, method: str) -> T | None:
        if self._type is None or not response.body.strip():
            return None
        if "json" not in response.headers.get("Content-Type", "application/json").lower():
            return None
        try:
            decoded = orjson.loads(response.body)
            if not isinstance(decoded, dict):
                return None
            entity: T = self._client.converter.structure(decoded, self._type)
            return entity
        except (orjson.JSONDecodeError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise MalformedResponse(response.status, f"the body does not fit the model: {exc}", method=method,
                                    url=response.url, headers=response.headers) from exc

    async def _exchange(
        self, method: str, body: bytes | Upload | None, headers: Mapping[str, str], *, stream: bool
    ) -> tuple[HttpResponse, aiohttp.ClientResponse | None]:
        """Send one request through the client's middleware: the answer and its open body (streams).

        Anything but a 2xx is an `ODataError`.
        """
        from .client import failure

        client = self._client
        url = client.url_for(self.url)
        merged, prefer = client.split_headers(url, {**self._hdrs, **headers})
        options = client.options
        context: dict[str, Any] = {"stream": stream}
        request = HttpRequest(method, url, merged, body, _stream_timeouts(options.timeouts), options.retry, prefer,
                              context)
        response = await _handler(client)(request)
        # The request a redirect made shares this context: the open body is that of the last hop.
        content = context.pop("content", None)
        if 200 <= response.status < 300:
            return response, content
        if content is not None:  # a middleware turned a success into a failure: free the connection
            content.release()
        if isinstance(body, Upload) and not body.replayable and response.status in (307, 308):
            raise ODataError(response.status, "redirected, but a body read from an async iterator cannot be sent "
                             "twice: pass bytes or a file path", method=method, url=url,
                             request_id=response.request_id, headers=response.headers)
        raise failure(response, method, url)


@attrs.define
class Download:
    """The bytes of a stream as they arrive: `async for chunk in download`.

    Use it in `async with request.stream() as chunks:` to free the connection as soon as the
    block ends, whether or not every chunk was read; `headers` holds the response's headers
    once the first chunk has been asked for. A body that breaks off raises `ConnectionFailed`
    (`read` and `save` fetch it again instead).
    """

    request: StreamRequest[Any]
    accept: str
    chunk_size: int
    headers: Mapping[str, str] | None = None
    _chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._chunks is None:
            self._chunks = self._read()
        return self._chunks

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and free the connection."""
        chunks = self._chunks
        if chunks is not None and hasattr(chunks, "aclose"):
            await chunks.aclose()

    async def _read(self) -> AsyncIterator[bytes]:
        import aiohttp

        request = self.request
        response, content = await request._exchange("GET", None, {"Accept": self.accept}, stream=True)
        self.headers = response.headers
        if content is None:  # a middleware answered with a body of its own
            if response.body:
                yield response.body
            return
        method, url = "GET", response.url
        try:
            async for chunk in content.content.iter_chunked(self.chunk_size):
                yield chunk
        except aiohttp.ClientPayloadError as exc:
            raise ConnectionFailed(method, url, f"the response broke off: {_reason(exc)}") from exc
        except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
            raise RequestTimeout(method, url, _stream_timeouts(request._client.options.timeouts).sock_read) from exc
        except aiohttp.ClientError as exc:
            raise ConnectionFailed(method, url, _reason(exc)) from exc
        finally:
            content.release()
