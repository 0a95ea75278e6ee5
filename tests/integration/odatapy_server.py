"""The odatapy calendar server (servers/odatapy/server.py) as session-scoped pytest fixtures.

`odatapy_server` starts the server on a free 127.0.0.1 port, waits for `$metadata` (at most
`START_TIMEOUT` seconds), yields the service root URL and stops the server at the end of the
session. `odatapy_package` generates a client package from the live `$metadata` with the
project's CLI into a temporary folder and imports it.

Test modules import both fixtures: `from .odatapy_server import odatapy_package, odatapy_server`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO

import pytest

from servers.launch import ROOT, ServerError, free_port, generate_client, metadata_ready, tail

from .support import imported_package

SERVER = ROOT / "servers" / "odatapy" / "server.py"
PACKAGE = "odatapy_calendar"
CLIENT_CLASS = "CalendarClient"
#: Seconds to wait for the server's `$metadata`.
START_TIMEOUT = 20.0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_server(log: Path, timeout: float = START_TIMEOUT) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server, wait until `$metadata` answers; return the process and the service root.

    The server's stdout and stderr go to `log` (a file, so a chatty server can never block on a
    full pipe). Fails the test session, with the log's tail, if the server exits or is not
    ready within `timeout` seconds.
    """
    if not SERVER.exists():
        pytest.fail(f"{SERVER} is missing")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: IO[bytes] = log.open("wb")
    try:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        out.close()  # the child has its own copy
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the odatapy server exited with code {proc.returncode} before answering:\n{tail(log)}")
        if metadata_ready(f"{base}/$metadata"):
            return proc, base
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"the odatapy server did not answer {base}/$metadata within {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def odatapy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service root of a freshly seeded odatapy calendar server (no trailing slash)."""
    log = tmp_path_factory.mktemp("odatapy_server") / "server.log"
    proc, base = start_server(log)
    try:
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def odatapy_package(odatapy_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the live server's `$metadata`, imported."""
    out = tmp_path_factory.mktemp("odatapy_generated")
    try:
        generate_client(odatapy_server, out, package=PACKAGE, client_class=CLIENT_CLASS)
    except ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    with imported_package(out, PACKAGE) as package:
        yield package
