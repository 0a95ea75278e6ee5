"""`$batch`: the requests of many typed operations in one HTTP call.

A batch collects the *first* request of each coroutine added to it, sends them together
when the ``async with`` block ends (or on ``await batch.send()``), and hands every
coroutine its own response, so typed operations work unchanged inside a batch::

    async with client.batch() as batch:
        events = batch.add(client.me.events.top(3).get())           # BatchItem[list[Event]]
        created = batch.add(client.me.events.create(Event(subject="Plan")))
        with batch.atomic():                                          # all or nothing
            batch.add(client.me.events["a"].delete())
            batch.add(client.me.events["b"].update(Event(subject="Renamed")))
        batch.add(client.me.events["c"].accept(comment="ok"), depends_on=[created])

    for event in events.result():        # the typed value, or the item's ODataError raised
        print(event.subject)
    if isinstance(created.exception(), NotFound): ...
    created.status                       # 201; created.headers: the item's response headers

How it works
------------
`Batch.add` runs the coroutine as a task whose context sets `BATCH_SLOT`; `Client.send`
hands the task's first request to that slot, which parks it until the batch answers.
Later requests of the same task (following ``@odata.nextLink`` once the first page came
back in the batch, say) go out directly. `send` waits until every task has either
parked its request or finished (a coroutine that fails before sending, with a
`TypeError` from an argument check say, fails its item and nothing else), then:

* **Format.** JSON (OData 4.01: ``{"requests": [...]}``, ids, ``dependsOn``,
  ``atomicityGroup``) by default, or ``multipart/mixed`` (OData 4.0: one
  ``application/http`` part per request, `atomic` groups as change sets) with
  ``client.batch(json=False)`` or ``ServiceConfig(json_batch=False)``. URLs are
  sent relative to the service root (``me/events?$top=3``); a request for another
  service (another client's, an absolute URL elsewhere) is not batched but sent directly.
  Responses are matched by id (JSON) or ``Content-ID`` (multipart, else by position),
  in whatever order they come.
* **Splitting.** At most ``limit`` requests per ``$batch`` call (default
  ``CONFIG.batch_limit``, 20 like Microsoft Graph); calls go one after another; an
  `atomic` group is never split (one larger than the limit is a `ValueError`). A
  dependency on a request of an earlier call is checked here instead of on the wire: if
  it failed, the dependent item fails with `FailedDependency` (424) without being sent.
  Multipart has no ``dependsOn``, so there an item starts a new call when it depends on
  one of the current call (outside its own change set), and a GET in an `atomic` group is
  a `ValueError` (change sets take changes and actions only). An `atomic` group is sent
  whole or not at all: when one of its coroutines failed before sending, or one of its
  dependencies failed here, all its items fail with `FailedDependency`.
* **Errors.** The outer request asks ``Prefer: odata.continue-on-error`` so independent
  requests still run. An item whose response says 4xx/5xx fails with the `ODataError`
  subclass of its status (`error_from_response`); one the service did not answer fails
  with `MalformedResponse`. When the ``$batch`` call itself fails (HTTP 400, 500, a
  timeout, a body that is not a batch response), `send` raises that error and every item
  still waiting fails with it. Cancelling `send` cancels every item task and waits for
  them, so none is left pending.

The batch is sent by the client `batch()` was called on (its headers, retries, middleware
and credentials); each item carries the headers of the client that made it (so
``client.with_headers(...)`` applies per item) and the item's own (`Prefer`, `If-Match`...).
A coroutine must not wait for another item of the same batch before sending its own
request: the batch is only sent once every item has sent (use `depends_on` instead).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import inspect
import json as jsonlib
import re
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar
from uuid import uuid4

from multidict import CIMultiDict, CIMultiDictProxy

from ._context import BATCH_SLOT
from .errors import FailedDependency, MalformedResponse, error_from_response
from .http import HttpResponse, merge_prefer
from .responses import Response, decode_response


class _BatchConfig(Protocol):
    @property
    def batch_limit(self) -> int: ...

    @property
    def json_batch(self) -> bool: ...


class BatchClient(Protocol):
    """What a batch asks of the client it belongs to (an `odatakit.Client`)."""

    base_url: str

    @property
    def CONFIG(self) -> _BatchConfig: ...  # noqa: N802 - the client's class attribute

    def url_for(self, path: str) -> str: ...

    def split_headers(self, url: str, headers: Mapping[str, str] | None) -> tuple[dict[str, str], list[str]]: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        expect: Callable[[int], bool] | None = None,
    ) -> HttpResponse: ...

    async def send(
        self, method: str, path: str, *, json_body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Response: ...

__all__ = ["Batch", "BatchItem"]

T = TypeVar("T")

_OPEN, _SENDING, _CLOSED = "open", "sending", "closed"
_EMPTY: Mapping[str, str] = CIMultiDictProxy(CIMultiDict())
# An id goes into a multipart header and a JSON string: anything printable without blanks.
_ID = re.compile(r"[^\s]+")


class _Wire:
    """One request as the batch sends it."""

    __slots__ = ("method", "url", "absolute", "headers", "body", "has_body")

    def __init__(
        self, method: str, url: str, absolute: str, headers: dict[str, str], body: Any, has_body: bool
    ) -> None:
        self.method = method
        #: Relative to the batch's service (equal to `absolute` for a URL elsewhere).
        self.url = url
        self.absolute = absolute
        self.headers = headers
        self.body = body
        self.has_body = has_body

    def body_bytes(self) -> bytes:
        return jsonlib.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


class _Group:
    """An `atomic()` group: one atomicity group (JSON) or change set (multipart)."""

    __slots__ = ("id", "items")

    def __init__(self, group_id: str) -> None:
        self.id = group_id
        self.items: list[BatchItem[Any]] = []


class BatchItem(Generic[T]):
    """One added coroutine: its outcome once the batch is sent (a future-like view of its task).

    `result()` returns the coroutine's value or raises its exception (the item's
    `ODataError` subclass when the service refused the request); `status` and `headers`
    are those of the item's response in the batch (424 for a dependency that failed here).
    ``await item`` waits for the item without cancelling it when the waiter is cancelled.
    """

    __slots__ = ("id", "depends_on", "status", "headers", "_batch", "_group", "_task", "_wire", "_response", "_staged")

    _task: asyncio.Task[T]

    def __init__(
        self,
        batch: Batch,
        item_id: str,
        depends_on: tuple[BatchItem[Any], ...],
        group: _Group | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        #: The request id on the wire (JSON `id`, multipart `Content-ID`).
        self.id = item_id
        self.depends_on = depends_on
        #: The status of the item's response (None until answered, or when it was never sent).
        self.status: int | None = None
        #: The headers of the item's response (empty until answered).
        self.headers: Mapping[str, str] = _EMPTY
        self._batch = batch
        self._group = group
        self._wire: _Wire | None = None
        self._response: asyncio.Future[Response] | None = None
        # Done once the task has parked its request or finished.
        self._staged: asyncio.Future[None] = loop.create_future()

    # -- the outcome ------------------------------------------------------------------------------
    @property
    def method(self) -> str | None:
        """The method of the batched request (None if the coroutine sent none)."""
        return self._wire.method if self._wire is not None else None

    @property
    def url(self) -> str | None:
        """The URL of the batched request as sent in the batch (None if the coroutine sent none)."""
        return self._wire.url if self._wire is not None else None

    @property
    def group(self) -> str | None:
        """The id of the `atomic()` group the item belongs to."""
        return self._group.id if self._group is not None else None

    def done(self) -> bool:
        """Whether the coroutine has finished (returned, raised, or was cancelled)."""
        return self._task.done()

    def cancelled(self) -> bool:
        """Whether the coroutine was cancelled (the batch was abandoned or its sending cancelled)."""
        return self._task.cancelled()

    def result(self) -> T:
        """The coroutine's value; raises its exception (or `CancelledError`), or `InvalidStateError` before."""
        if not self._task.done():
            raise asyncio.InvalidStateError(f"batch item {self.id}: not done yet (send the batch first)")
        return self._task.result()

    def exception(self) -> BaseException | None:
        """The coroutine's exception or None; raises `CancelledError` or `InvalidStateError` like a future."""
        if not self._task.done():
            raise asyncio.InvalidStateError(f"batch item {self.id}: not done yet (send the batch first)")
        return self._task.exception()

    def __await__(self) -> Generator[Any, None, T]:
        return self._wait().__await__()

    async def _wait(self) -> T:
        # asyncio.wait, not `await task`: cancelling the waiter must not cancel the item.
        await asyncio.wait([self._task])
        return self._task.result()

    def __repr__(self) -> str:
        state = "pending"
        if self._task.done():
            state = "cancelled" if self._task.cancelled() else "failed" if self._task.exception() else "done"
        wire = f" {self._wire.method} {self._wire.url}" if self._wire is not None else ""
        status = f" {self.status}" if self.status is not None else ""
        return f"<BatchItem {self.id}{wire} {state}{status}>"

    # -- the batch side ---------------------------------------------------------------------------
    def _finished(self, task: asyncio.Task[T]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved: the outcome lives on in result() / exception()
        if not self._staged.done():
            self._staged.set_result(None)

    async def _submit(self, client: BatchClient, method: str, path: str, json_body: Any, headers: Any) -> Response:
        wire = self._batch._wire_for(client, method, path, json_body, headers)
        if wire.url == wire.absolute:
            # Another service's URL (a nextLink elsewhere): not the batch's business, sent directly.
            if not self._staged.done():
                self._staged.set_result(None)
            return await client.send(method, path, json_body=json_body, headers=headers)
        self._wire = wire
        response: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._response = response
        if not self._staged.done():
            self._staged.set_result(None)
        return await response

    def _failed(self) -> bool:
        """Whether a request depending on this item must not run (decided once the item was answered)."""
        response = self._response
        if response is not None:
            return not response.done() or response.cancelled() or response.exception() is not None
        task = self._task
        return not task.done() or task.cancelled() or task.exception() is not None

    def _answer(self, response: Response) -> None:
        self.status, self.headers = response.status, response.headers
        if self._response is not None and not self._response.done():
            self._response.set_result(response)

    def _fail(self, error: BaseException, status: int | None = None, headers: Mapping[str, str] = _EMPTY) -> None:
        if status is not None:
            self.status, self.headers = status, headers
        if self._response is not None and not self._response.done():
            self._response.set_exception(error)


class _Slot:
    """What `BATCH_SLOT` holds in an item's task: it takes the task's first request."""

    __slots__ = ("_item", "_used")

    def __init__(self, item: BatchItem[Any]) -> None:
        self._item = item
        self._used = False

    def claims(self, client: BatchClient) -> bool:
        """Whether this request joins the batch: the task's first one, to the batch's service."""
        if self._used:
            return False
        self._used = True
        return self._item._batch._accepts(client)

    async def submit(
        self, client: BatchClient, method: str, path: str, json_body: Any, headers: Mapping[str, str] | None
    ) -> Response:
        """Park the request until the batch answers; the item's response, or its `ODataError` raised."""
        return await self._item._submit(client, method, path, json_body, headers)


class Batch:
    """Requests of typed operations sent as `$batch` calls: see the module documentation."""

    def __init__(self, client: BatchClient, *, json: bool | None = None, limit: int | None = None) -> None:
        config = client.CONFIG
        limit = config.batch_limit if limit is None else limit
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"batch(limit={limit!r}): expected an int of at least 1")
        self.client = client
        #: JSON batching (OData 4.01) or multipart/mixed (OData 4.0).
        self.json = config.json_batch if json is None else bool(json)
        #: Requests per `$batch` call.
        self.limit = limit
        self._items: list[BatchItem[Any]] = []
        self._ids: set[str] = set()
        self._next_id = 0
        self._group: _Group | None = None
        self._state = _OPEN
        self._accepting = True

    @property
    def items(self) -> tuple[BatchItem[Any], ...]:
        """The items added so far, in order."""
        return tuple(self._items)

    def __repr__(self) -> str:
        kind = "JSON" if self.json else "multipart"
        return f"<Batch {kind} {len(self._items)} item(s), limit {self.limit}, {self._state}>"

    # -- building ---------------------------------------------------------------------------------
    def add(
        self,
        operation: Awaitable[T],
        *,
        depends_on: Iterable[BatchItem[Any]] = (),
        id: str | None = None,
    ) -> BatchItem[T]:
        """Run `operation` (a coroutine of typed operations) with its first request in this batch.

        `depends_on`: items of this batch whose requests must succeed before this one runs
        (``dependsOn``). `id`: the request id on the wire (default: "1", "2"... in order).
        """
        try:
            if self._state != _OPEN:
                raise RuntimeError("Batch.add(): the batch was already sent")
            if not inspect.isawaitable(operation):
                raise TypeError(f"Batch.add({operation!r}): expected a coroutine, such as client.me.get()")
            loop = asyncio.get_running_loop()
            deps = tuple(depends_on)
            for dep in deps:
                if not isinstance(dep, BatchItem) or dep._batch is not self:
                    raise ValueError(f"Batch.add(depends_on=[{dep!r}]): expected items added to this batch")
            item_id = self._take_id(id)
        except BaseException:
            if inspect.iscoroutine(operation):
                operation.close()  # never awaited on purpose: no "was never awaited" warning
            raise
        coro: Coroutine[Any, Any, T] = operation if isinstance(operation, Coroutine) else _await(operation)
        item: BatchItem[T] = BatchItem(self, item_id, deps, self._group, loop)
        context = contextvars.copy_context()
        context.run(BATCH_SLOT.set, _Slot(item))
        item._task = loop.create_task(coro, name=f"odatakit-batch-item-{item_id}", context=context)
        item._task.add_done_callback(item._finished)
        self._items.append(item)
        if self._group is not None:
            self._group.items.append(item)
        return item

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Items added inside the block succeed or fail together (atomicity group / change set)."""
        if self._state != _OPEN:
            raise RuntimeError("Batch.atomic(): the batch was already sent")
        if self._group is not None:
            raise RuntimeError("Batch.atomic(): groups do not nest")
        number = 1
        while f"g{number}" in self._ids:
            number += 1
        group = _Group(f"g{number}")
        self._ids.add(group.id)
        self._group = group
        try:
            yield
        finally:
            self._group = None

    def _take_id(self, given: str | None) -> str:
        if given is None:
            while True:
                self._next_id += 1
                candidate = str(self._next_id)
                if candidate not in self._ids:
                    break
        else:
            if not isinstance(given, str) or not _ID.fullmatch(given):
                raise ValueError(f"Batch.add(id={given!r}): expected a non-empty str without blanks")
            if given in self._ids:
                raise ValueError(f"Batch.add(id={given!r}): the id is already used in this batch")
            candidate = given
        self._ids.add(candidate)
        return candidate

    def _accepts(self, client: BatchClient) -> bool:
        return self._accepting and client.base_url == self.client.base_url

    def _wire_for(
        self, client: BatchClient, method: str, path: str, json_body: Any, headers: Mapping[str, str] | None
    ) -> _Wire:
        absolute = client.url_for(path)
        merged, prefer = client.split_headers(absolute, headers)
        if prefer:
            merged["Prefer"] = merge_prefer(prefer)
        if json_body is not None:
            merged["Content-Type"] = "application/json"
        base = self.client.base_url + "/"
        url = absolute[len(base) :] if absolute.startswith(base) else absolute
        return _Wire(method, url, absolute, merged, json_body, json_body is not None)

    # -- sending ----------------------------------------------------------------------------------
    async def __aenter__(self) -> Batch:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self._state != _OPEN:
            return
        if exc_type is None:
            await self.send()
            return
        # The block failed: nothing is sent, the items are cancelled.
        self._state = _CLOSED
        self._accepting = False
        await self._settle(cancel=True)

    async def send(self) -> None:
        """Send the batch: wait for every item to send its request, send the `$batch` calls, wait for the items.

        Raises when a `$batch` call fails as a whole (every item still waiting fails with
        the same error) or a group cannot be sent (`ValueError`).
        """
        if self._state != _OPEN:
            raise RuntimeError("Batch.send(): the batch was already sent")
        self._state = _SENDING
        failure: Exception | None = None
        try:
            try:
                if self._items:
                    await asyncio.wait([item._staged for item in self._items])
                self._accepting = False
                for chunk in self._plan():
                    await self._send_chunk(chunk)
            except Exception as exc:
                failure = exc
                for item in self._items:
                    item._fail(exc)
            await self._settle()
        except BaseException:
            # Cancelled (or interrupted): no item task is left pending.
            await self._settle(cancel=True)
            raise
        finally:
            self._accepting = False
            self._state = _CLOSED
        if failure is not None:
            raise failure

    async def _settle(self, *, cancel: bool = False) -> None:
        pending = [item._task for item in self._items if not item._task.done()]
        if cancel:
            for task in pending:
                task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _plan(self) -> list[list[list[BatchItem[Any]]]]:
        """The `$batch` calls: lists of units (one request, or an atomic group), in the order added."""
        units: list[list[BatchItem[Any]]] = []
        by_group: dict[_Group, list[BatchItem[Any]]] = {}
        for item in self._items:
            if item._wire is None:
                continue
            group = item._group
            if group is None:
                units.append([item])
            elif group in by_group:
                by_group[group].append(item)
            else:
                units.append(by_group.setdefault(group, [item]))
        for group, members in by_group.items():
            if len(members) > self.limit:
                raise ValueError(
                    f"atomic() group {group.id} has {len(members)} requests, more than the {self.limit} "
                    "per $batch call: an atomic group is never split (raise the limit or make smaller groups)"
                )
            if not self.json:
                for item in members:
                    wire = item._wire
                    if wire is not None and wire.method == "GET":
                        raise ValueError(
                            f"batch item {item.id} (GET {wire.url}) is in atomic() group {group.id}: "
                            "a multipart change set takes only changes and actions, not GET"
                        )
        chunks: list[list[list[BatchItem[Any]]]] = []
        current: list[list[BatchItem[Any]]] = []
        members_now: set[BatchItem[Any]] = set()
        for unit in units:
            full = len(members_now) + len(unit) > self.limit
            if not full and not self.json:
                # Multipart has no dependsOn: a dependency must have been answered in an earlier call.
                full = any(dep in members_now for item in unit for dep in item.depends_on)
            if full and current:
                chunks.append(current)
                current, members_now = [], set()
            current.append(unit)
            members_now.update(unit)
        if current:
            chunks.append(current)
        return chunks

    async def _send_chunk(self, units: list[list[BatchItem[Any]]]) -> None:
        sent: list[list[BatchItem[Any]]] = []
        on_wire: set[BatchItem[Any]] = set()
        for unit in units:
            reason = self._not_sendable(unit, on_wire)
            if reason is not None:
                for item in unit:
                    wire = item._wire
                    assert wire is not None
                    error = FailedDependency(
                        424, f"not sent: {reason}", method=wire.method, url=wire.absolute, request_id=None
                    )
                    item._fail(error, 424)
                continue
            sent.append(unit)
            on_wire.update(unit)
        if not sent:
            return
        if self.json:
            requests = [self._json_request(item, on_wire) for unit in sent for item in unit]
            data = jsonlib.dumps({"requests": requests}, separators=(",", ":"), ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json"}
        else:
            boundary = f"batch_{uuid4()}"
            data = _encode_multipart(sent, boundary)
            headers = {"Content-Type": f"multipart/mixed; boundary={boundary}", "Accept": "multipart/mixed"}
        headers["Prefer"] = "odata.continue-on-error"
        response = await self.client.request("POST", "$batch", data=data, headers=headers)
        _decode(response, sent)

    @staticmethod
    def _not_sendable(unit: list[BatchItem[Any]], on_wire: set[BatchItem[Any]]) -> str | None:
        """Why a unit must fail here without being sent: a dependency that failed (or was never sent)."""
        group = unit[0]._group
        if group is not None:
            for other in group.items:
                if other._wire is None and other._failed():
                    return f"request {other.id} of its atomic() group {group.id} failed before it was sent"
        for item in unit:
            for dep in item.depends_on:
                if dep in on_wire or dep in unit:
                    continue  # the service checks it (dependsOn, or the atomic group itself)
                if dep._failed():
                    who = "it" if len(unit) == 1 else f"request {item.id} of its atomic() group"
                    return f"{who} depends on request {dep.id}, which failed"
        return None

    @staticmethod
    def _json_request(item: BatchItem[Any], on_wire: set[BatchItem[Any]]) -> dict[str, Any]:
        wire = item._wire
        assert wire is not None
        # "/me/events": Microsoft Graph documents this form, and SAP CAP 9 takes a URL without the
        # slash for one with it (it drops the first character, nextLinks included); both, and
        # odatapy, read it relative to the service root.
        url = wire.url if "://" in wire.url or wire.url.startswith("/") else "/" + wire.url
        entry: dict[str, Any] = {"id": item.id, "method": wire.method, "url": url}
        if item._group is not None:
            entry["atomicityGroup"] = item._group.id
        refs: list[str] = []
        for dep in item.depends_on:
            if dep not in on_wire:
                continue  # answered in an earlier call and checked here
            # A request of another atomicity group is referred to by its group (OData JSON 4.01, 19.1).
            ref = dep._group.id if dep._group is not None and dep._group is not item._group else dep.id
            if ref not in refs:
                refs.append(ref)
        if refs:
            entry["dependsOn"] = refs
        if wire.headers:
            # Lower-case names: HTTP names are case-insensitive, but some servers (SAP CAP 9) match
            # JSON batch header names exactly and miss `If-Match` written any other way.
            entry["headers"] = {name.lower(): value for name, value in wire.headers.items()}
        if wire.has_body:
            entry["body"] = wire.body
        return entry


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


# -- multipart/mixed --------------------------------------------------------------------------------
_CRLF = b"\r\n"


def _encode_multipart(units: list[list[BatchItem[Any]]], boundary: str) -> bytes:
    out = bytearray()
    for unit in units:
        out += b"--" + boundary.encode() + _CRLF
        if unit[0]._group is None:
            out += _http_part(unit[0]) + _CRLF
            continue
        changeset = f"changeset_{uuid4()}".encode()
        out += b"Content-Type: multipart/mixed; boundary=" + changeset + _CRLF + _CRLF
        for item in unit:
            out += b"--" + changeset + _CRLF + _http_part(item) + _CRLF
        out += b"--" + changeset + b"--" + _CRLF
    out += b"--" + boundary.encode() + b"--" + _CRLF
    return bytes(out)


def _http_part(item: BatchItem[Any]) -> bytes:
    """One `application/http` part (RFC 2046: the CRLF before the next delimiter is not part of it)."""
    wire = item._wire
    assert wire is not None
    lines = [
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        f"Content-ID: {item.id}",
        "",
        f"{wire.method} {wire.url} HTTP/1.1",
    ]
    body = wire.body_bytes() if wire.has_body else b""
    headers = dict(wire.headers)
    if wire.has_body:
        headers["Content-Length"] = str(len(body))
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    lines.append("")
    return "\r\n".join(lines).encode() + _CRLF + body


# A multipart/mixed parser on bytes rather than the stdlib `email` package: `email` parses
# leniently into `defects` instead of failing, decodes headers as RFC 2047 mail headers,
# treats line endings as text (bodies must stay byte-exact, `Content-Length` included), and
# the `application/http` payloads still need an HTTP parser of their own. Services write
# CRLF, some write bare LF: both are accepted.
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)?[ \t]+(\d{3})\b")
_BOUNDARY = re.compile(r';\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


def _boundary_of(content_type: str) -> str | None:
    """The boundary of a multipart content type, None for anything else."""
    if not content_type.lower().lstrip().startswith("multipart/"):
        return None
    found = _BOUNDARY.search(content_type)
    return (found.group(1) or found.group(2)) if found else None


def _split_parts(body: bytes, boundary: str) -> list[bytes]:
    """The parts between the delimiters (preamble and epilogue dropped; a missing close tolerated)."""
    delimiter = re.compile(rb"(?:\A|\r?\n)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*(?=\r?\n|\Z)")
    parts: list[bytes] = []
    start: int | None = None
    for found in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start : found.start()])
        if found.group(1):
            return parts
        start = found.end()
        if body.startswith(b"\r\n", start):
            start += 2
        elif body.startswith(b"\n", start):
            start += 1
    if start is not None and body[start:].strip():
        parts.append(body[start:].rstrip(b"\r\n"))
    return parts


def _split_head(data: bytes) -> tuple[list[str], bytes]:
    """Header lines (folded lines joined) and the body after the empty line."""
    if data.startswith(b"\r\n"):
        return [], data[2:]
    if data.startswith(b"\n"):
        return [], data[1:]
    found = _HEAD_END.search(data)
    head, body = (data[: found.start()], data[found.end() :]) if found else (data, b"")
    lines: list[str] = []
    for raw in head.decode("utf-8", "replace").splitlines():
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += " " + raw.strip()
        elif raw.strip():
            lines.append(raw)
    return lines, body


def _header_map(lines: Iterable[str]) -> CIMultiDictProxy[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers.add(name.strip(), value.strip())
    return CIMultiDictProxy(headers)


class _Answer:
    """One `application/http` response part."""

    __slots__ = ("content_id", "status", "headers", "body")

    def __init__(self, content_id: str | None, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.content_id = content_id
        self.status = status
        self.headers = headers
        self.body = body


def _http_answer(part: bytes) -> _Answer:
    head, content = _split_head(part)
    part_headers = _header_map(head)
    content_id = part_headers.get("Content-ID")
    if content_id is not None:
        content_id = content_id.strip().removeprefix("<").removesuffix(">")
    status_line, _, rest = content.lstrip(b"\r\n").partition(b"\n")
    found = _STATUS_LINE.match(status_line.strip())
    if found is None:
        snippet = status_line[:80].decode("utf-8", "replace")
        raise ValueError(f"a part has no HTTP status line (Content-ID {content_id}): {snippet!r}")
    lines: list[str] = []
    if rest.startswith((b"\r\n", b"\n")):
        body = rest.lstrip(b"\r").removeprefix(b"\n")
    else:
        lines, body = _split_head(rest)
    headers = _header_map(lines)
    length = headers.get("Content-Length", "")
    if length.isdigit() and int(length) <= len(body):
        body = body[: int(length)]
    return _Answer(content_id, int(found.group(1)), headers, body)


def _parse_multipart(body: bytes, boundary: str) -> list[_Answer | list[_Answer]]:
    """The top-level parts of a multipart batch response; a change set is a list of answers."""
    out: list[_Answer | list[_Answer]] = []
    for part in _split_parts(body, boundary):
        head, content = _split_head(part)
        inner = _boundary_of(_header_map(head).get("Content-Type", ""))
        if inner is not None:
            out.append([_http_answer(p) for p in _split_parts(content, inner)])
        else:
            out.append(_http_answer(part))
    return out


# -- decoding responses -----------------------------------------------------------------------------
def _decode(response: HttpResponse, units: list[list[BatchItem[Any]]]) -> None:
    """Give every item of the call its response (or an error when the service sent none)."""
    content_type = response.headers.get("Content-Type", "")
    boundary = _boundary_of(content_type)
    if boundary is not None:
        try:
            parts = _parse_multipart(response.body, boundary)
        except ValueError as exc:
            raise _malformed(response, f"unreadable multipart $batch response: {exc}") from None
        _match_multipart(response, parts, units)
    else:
        _match_json(response, units)
    for unit in units:
        for item in unit:
            if item._response is not None and not item._response.done():
                wire = item._wire
                assert wire is not None
                item._fail(
                    MalformedResponse(
                        response.status,
                        f"the $batch response has no response for request {item.id}",
                        method=wire.method,
                        url=wire.absolute,
                        request_id=response.request_id,
                        headers=response.headers,
                    )
                )


def _malformed(response: HttpResponse, message: str) -> MalformedResponse:
    request = response.request
    return MalformedResponse(
        response.status,
        message,
        method=request.method,
        url=response.url,
        request_id=response.request_id,
        headers=response.headers,
    )


def _match_json(response: HttpResponse, units: list[list[BatchItem[Any]]]) -> None:
    try:
        payload = jsonlib.loads(response.body)
    except ValueError as exc:
        snippet = response.body[:200].decode("utf-8", "replace")
        raise _malformed(response, f"expected a JSON $batch response ({exc}): {snippet}") from None
    entries = payload.get("responses") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise _malformed(response, 'expected a JSON $batch response: {"responses": [...]}')
    by_id: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str | int):
            by_id.setdefault(str(entry["id"]), entry)
    for unit in units:
        for item in unit:
            entry = by_id.get(item.id)
            if entry is None:
                continue
            status = entry.get("status")
            raw_headers = entry.get("headers")
            headers: CIMultiDict[str] = CIMultiDict()
            if isinstance(raw_headers, dict):
                for name, value in raw_headers.items():
                    headers.add(str(name), value if isinstance(value, str) else jsonlib.dumps(value))
            proxy = CIMultiDictProxy(headers)
            if isinstance(status, bool) or not isinstance(status, int):
                wire = item._wire
                assert wire is not None
                message = f"request {item.id}: the $batch response gives no status ({status!r})"
                item._fail(MalformedResponse(response.status, message, method=wire.method, url=wire.absolute))
                continue
            _settle_item(item, response, status, proxy, entry.get("body"), json_value=True)


def _json_body_bytes(headers: Mapping[str, str], body: Any) -> tuple[bytes, bool]:
    """The bytes of a JSON batch response body, and whether `body` is already the decoded JSON.

    OData JSON 4.01 (19.2): JSON media types carry the JSON value itself, `text/*` a string,
    anything else a base64url string. A string without a content type is taken as text
    (`$count` as "42").
    """
    if body is None:
        return b"", False
    media = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if not isinstance(body, str) or media == "application/json" or media.endswith("+json"):
        return jsonlib.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), True
    if not media or media.startswith("text/"):
        return body.encode(), False
    text = body.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True), False
    except (binascii.Error, ValueError):
        return body.encode(), False


def _settle_item(
    item: BatchItem[Any],
    outer: HttpResponse,
    status: int,
    headers: Mapping[str, str],
    body: Any,
    *,
    json_value: bool,
) -> None:
    """Answer an item from its status, headers and body (a JSON value, or bytes when not `json_value`)."""
    wire = item._wire
    assert wire is not None
    if json_value:
        raw, decoded = _json_body_bytes(headers, body)
    else:
        raw, decoded = body, False
    if status >= 400:
        request_id = headers.get("request-id") or headers.get("x-ms-request-id") or outer.request_id
        error = error_from_response(
            status, raw, method=wire.method, url=wire.absolute, request_id=request_id, headers=headers
        )
        item._fail(error, status, headers)
        return
    if decoded:
        item._answer(Response(status, headers, body))
        return
    try:
        answer = decode_response(status, headers, raw, wire.method, wire.absolute)
    except MalformedResponse as exc:
        item._fail(exc, status, headers)
        return
    item._answer(answer)


def _match_multipart(
    response: HttpResponse, parts: list[_Answer | list[_Answer]], units: list[list[BatchItem[Any]]]
) -> None:
    """Match by Content-ID, else by position: part i answers unit i (a failed change set answers once)."""
    by_id: dict[str, _Answer] = {}
    for part in parts:
        for answer in part if isinstance(part, list) else [part]:
            if answer.content_id is not None:
                by_id.setdefault(answer.content_id, answer)
    for index, unit in enumerate(units):
        reply = parts[index] if index < len(parts) else None
        for position, item in enumerate(unit):
            found = by_id.get(item.id)
            if found is None and reply is not None:
                if isinstance(reply, list):
                    if position < len(reply) and reply[position].content_id is None:
                        found = reply[position]
                elif reply.content_id is None or unit[0]._group is not None:
                    # A single part for a change set: it failed as a whole, with this response.
                    found = reply
            if found is not None:
                _settle_item(item, response, found.status, found.headers, found.body, json_value=False)
