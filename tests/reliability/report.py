"""The figures as a table (for the terminal) and as docs/reliability.md."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence

import aiohttp

from .scenarios import Figures, HostileCase

COMMAND = "make reliability"
FULL_COMMAND = ".venv/bin/python -m tests.reliability --full"


def table(figures: Sequence[Figures]) -> str:
    """One line per scenario, then what each was, what it injected and what it checked."""
    head = ("scenario", "requests", "faults", "retries req/page", "resumes", "delivered", "lost", "duplicated",
            "wall s")
    rows = [head]
    for f in figures:
        rows.append((f.name, f"{f.requests:,}", f"{sum(f.faults.values()):,}",
                     f"{f.request_retries:,} / {f.page_retries:,}", f"{f.resumes:,}", f"{f.delivered:,}",
                     f"{f.lost:,}", f"{f.duplicated:,}", f"{f.wall:.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                                                     strict=True)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for f in figures:
        lines += ["", f"{f.name}: {f.size}"]
        if f.faults:
            lines.append(f"  faults injected: {f.faults_text()}")
        for name, value in f.notes.items():
            if value not in (None, "", [], {}, 0):
                lines.append(f"  {name}: {_note(value)}")
        for name, held in f.checks.items():
            if f.name != "hostile" or not held:  # the hostile cases have a table of their own
                lines.append(f"  [{'ok' if held else 'FAILED'}] {name}")
    return "\n".join(lines)


def _note(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, tuple):
        return " / ".join(str(v) for v in value)
    return str(value)


def hostile_table(cases: Sequence[HostileCase]) -> str:
    """Each hostile answer: what was expected, what happened, requests here / at the other origin, time."""
    lines = []
    for number, case in enumerate(cases, 1):
        lines.append(f"{number:2}. {case.name}  [{'ok' if case.held else 'FAILED'}]")
        lines.append(f"    expected: {case.expected}")
        lines.append(f"    got:      {case.outcome}")
        lines.append(f"    requests: {case.requests} (other origin {case.other_origin_requests}), "
                     f"{case.wall * 1000:,.0f} ms")
    return "\n".join(lines)


def machine() -> str:
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()} ({platform.python_implementation()}), "
            f"aiohttp {aiohttp.__version__}, {platform.system()}")


def page(figures: Sequence[Figures], cases: Sequence[HostileCase]) -> str:
    """docs/reliability.md."""
    return PAGE.format(command=COMMAND, full_command=FULL_COMMAND, machine=machine(), table=table(figures),
                       hostile=hostile_table(cases))


PAGE = """\
# Reliability

The runtime is run against a fault-injecting OData service (`tests/faultserver.py`, an aiohttp
server on 127.0.0.1) that drops connections before and in the middle of answers, stalls past
the client's timeout, answers 429/503/504 with `Retry-After` in seconds or as an HTTP date,
cuts bodies short, sends garbage, hands out relative and looping links, deeply nested JSON and
gzip bombs, resets `$batch` calls and redirects them to another origin. Each scenario counts
the requests, the faults injected, the retries, and the items delivered, lost and duplicated.

<!-- This page is written by `{command}`: edit tests/reliability/report.py, not this file. -->

```sh
{command}    # every scenario at full size, then this page
```

`{command}` runs `{full_command}`. The same scenarios run at small sizes in
`make test` (`tests/test_reliability.py`: 1,000 items in pages of 10, 500 changes, 200
requests, 30 cuts, a 64 MiB bomb; retry waits made zero except where `Retry-After` is what is
measured). The seeds are fixed, so paging and delta see the same faults from run to run; the
burst's 429s fall on whichever requests arrive first and the cuts where the timing puts them,
so those figures vary a little, and wall times vary with the machine.

## Figures

Measured on {machine}.

The server runs in the same process and event loop as the client, and the retries wait for
real (backoff with jitter, `Retry-After`): the wall times include both.

```text
{table}
```

The scenarios:

1. **paging**: `[c.id async for c in client.customers]`, nothing else: no recovery code. About
   one request in ten fails (a drop, a drop mid-body, a stall past the 0.5 s timeout, a 429, 503
   or 504 with `Retry-After` in seconds, as a date or absent, a truncated body, garbage).
2. **delta**: a first round of changes, then a second round from the stored `delta.token`
   (four in five items renamed, the fifth removed), under the same faults. A round that still
   fails after the page's retries would be iterated again (`resumes`): it goes on from
   `delta.checkpoint`.
3. **delta, max_attempts=1**: the same rounds with every retry turned off
   (`with_retry(max_attempts=1)`: no request retry, no page fetched again), so each fault ends
   the round and the scenario iterates the same `Delta` again, once per fault (`resumes`):
   the checkpoint alone keeps every change exactly once.
4. **burst**: concurrent `customers[i].get()` through `Client(..., limit=64)`, one in twenty
   answered 429 with `Retry-After: 1` or an HTTP date. The server records when each 429 asked
   the client to come back and when the retry (same `client-request-id`) arrived;
   "earliest retry vs asked" is the smallest difference (never negative: no retry came early).
   "max in flight" is counted by the server.
5. **cancellation**: in a child process run with `python -X dev -W error::ResourceWarning` and
   asyncio's debug mode, operations (one GET, a paged read, a JSON `$batch` of five GETs; on a
   long-lived client or on one opened inside the task) are cancelled after a random delay,
   while a tenth of the answers are drops, stalls, 503s or cut bodies. Afterwards the child
   closes everything, collects garbage and lists the tasks still pending. Its stderr must be
   empty (an unclosed session, connector or transport, a task destroyed while pending or a
   coroutine never awaited would print there) and its exit code 0. "delivered" counts the
   operations that finished before their cut.
6. **hostile**: the answers below, each under `asyncio.timeout`; "delivered" counts the cases
   that ended as expected.

## Hostile answers

```text
{hostile}
```

## What is guaranteed

**Exactly once per page, under faults.** Reading a collection (`async for item in query`,
`query.pages()`, `await query`) or a delta round, a page is delivered whole or not at all: a
fault never loses an item or delivers one twice, and the pages before the iteration's
checkpoint never come again. Every change of a delta round is delivered once per round;
`delta.token` is set only by the deltaLink that ends the round, byte for byte as the service
wrote it (`$deltatoken=a+b` goes back as `a+b`, not `a b` or `a%20b`).

**At least once for the page being read when the caller stops.** An iteration stopped in the
middle of a page (a `break`, a cancellation, an exception in the caller's loop) has that
page as its checkpoint (`items.checkpoint`, `delta.checkpoint`): resuming delivers the items of
that page already seen again, and nothing is lost.

**Retried by the request** (`RetryPolicy`, per HTTP request): a connection that fails, drops or
breaks off in the middle of the body (`connection_errors`, `ConnectionFailed`), a request past
its timeout (`timeouts`, `RequestTimeout`), and the statuses 429, 503 and 504 (`statuses`),
waiting as `Retry-After` asks (ASCII digits or an HTTP date; anything else, `²` say, is no
number and the backoff applies) or with exponential backoff and jitter. `max_attempts` (4, the
first included) and `max_delay` (60 s slept in all; a longer `Retry-After` ends the retries)
bound them. Only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are sent again unless the
client asks with `with_retry(retry_non_idempotent=True)`: a `$batch` (a POST) whose connection
resets fails with `ConnectionFailed`, for the call and each of its items, and is not resent.
Below odatakit, aiohttp itself sends an idempotent request once more when the kept-alive
connection it went out on closes before any answer ("resent by aiohttp itself" above: the
server saw those, the retry counts do not).

**Retried by the page** (`page_attempts`, 3): while paging or running a delta round, a page whose
request failed for good after its own retries (`ConnectionFailed`, `RequestTimeout`,
`ServerError`, `TooManyRequests`) or whose body is not JSON at all (cut off, garbled, not in
its `Content-Encoding`) is fetched again from the same link, up to `page_attempts` times,
waiting as for a request's retries (`Retry-After`, else the backoff, within `max_delay`). JSON of the wrong shape, JSON nested
too deeply, a body over the size limit and a link loop are not: the same request would only
get them again. When a page still fails, the error ends the iteration with `resume_link` set to the
checkpoint; `query.resume(link)` (or iterating the same `Delta` again) goes on from there.
`max_attempts=1` turns both off.

**Never stuck.** Every failure a service causes is an `ODataError` subclass. A 2xx body nested
too deeply, larger than `odatakit.http.MAX_BODY` once decompressed (256 MiB in all), or that
aiohttp will not decompress (more than 32 MiB out of one chunk, in aiohttp 3.13: a gzip bomb
stops there, not in memory; or not in its `Content-Encoding` at all) is `MalformedResponse`.
A nextLink that repeats one already followed in the same iteration (the request's own URL,
`""`) ends the iteration with `MalformedResponse` after the page that carried it. Every request
has a timeout (60 s unless the client is given another), and a `Retry-After` longer than
`max_delay` ends the retries, the request's and the page's, instead of being waited for. Cancellation (a cancelled task, `asyncio.timeout`) is never
swallowed, and a request, page or batch cancelled anywhere leaves no session, connector,
transport or task behind.

**What never crosses origins.** The bearer token and an `Authorization` header set with
`with_headers` are sent only to the origin (scheme, host, port) of the client's base URL. A
nextLink or deltaLink naming another origin (`//other/x`, `HTTP://OTHER/`: links are resolved
per RFC 3986 against the response's context URL, and the scheme is case-insensitive) and a GET
redirected to another origin are followed without them. A request with a body (a `$batch` with
its items' headers, a POST, PATCH or PUT) redirected to another origin is not followed at all:
it fails with an `ODataError` carrying the 3xx status, and the other origin receives nothing.
No other credential goes there either: a request to another origin keeps only the headers
that say how to talk (`Accept`, `Prefer`, `Content-Type`, `OData-Version`, `client-request-id`,
`User-Agent`, `If-Match`...: `odatakit.http.PORTABLE_HEADERS`), so an API key set under another
name with `with_headers` stays with the service's origin too.
"""
