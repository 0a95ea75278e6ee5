"""What both integration suites share: importing a generated package, and recording real exchanges."""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import aiohttp
import attrs
import pytest


@contextmanager
def imported_package(out: Path, package: str) -> Iterator[ModuleType]:
    """Import `package` from the folder `out`; forget it (and `out` on sys.path) afterwards."""
    if package in sys.modules:
        pytest.fail(f"a module named {package} is already imported; the generated one would be shadowed")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


@attrs.frozen
class Exchange:
    """One HTTP exchange as aiohttp saw it."""

    method: str
    url: str
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]


class Recorder:
    """A generated client on an aiohttp session that records every exchange (no mocking)."""

    def __init__(self, client: Any, log: list[Exchange], pkg: ModuleType) -> None:
        self.client = client
        self.log = log
        self.pkg = pkg

    def since(self, mark: int) -> list[Exchange]:
        """The exchanges after the first `mark` ones."""
        return self.log[mark:]

    def urls(self) -> list[str]:
        """The decoded URLs sent, relative to the service root."""
        root = self.client.base_url + "/"
        return [unquote(e.url).removeprefix(root) for e in self.log]


@asynccontextmanager
async def recording(pkg: ModuleType, base_url: str, *, decode_urls: bool = False) -> AsyncIterator[Recorder]:
    """`pkg.CalendarClient(base_url)` on a session whose exchanges are recorded in order."""
    log: list[Exchange] = []

    async def on_end(session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        url = unquote(str(params.url)) if decode_urls else str(params.url)
        log.append(
            Exchange(params.method, url, params.response.status, dict(params.headers), dict(params.response.headers))
        )

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)
    async with aiohttp.ClientSession(trace_configs=[trace], timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with pkg.CalendarClient(base_url, session=session) as client:
            yield Recorder(client, log, pkg)
