"""The odatapy calendar server (servers/odatapy/server.py) as session-scoped pytest fixtures.

`odatapy_server` starts the server on a free 127.0.0.1 port, waits for `$metadata` (at most
`START_TIMEOUT` seconds), yields the service root URL and stops the server at the end of the
session. `odatapy_package` generates a client package from the live `$metadata` with the
project's CLI into a temporary folder and imports it.

Test modules import both fixtures: `from .odatapy_server import odatapy_package, odatapy_server`.
"""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "servers" / "odatapy" / "server.py"
PACKAGE = "odatapy_calendar"
CLIENT_CLASS = "CalendarClient"
#: Seconds to wait for the server's `$metadata`, and for the generator.
START_TIMEOUT = 20.0
GENERATE_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(log: Path, lines: int = 40) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(the server wrote nothing)"


def _metadata_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return response.status == 200 and b"<edmx:Edmx" in response.read()
    except (urllib.error.URLError, OSError):
        return False


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
            pytest.fail(f"the odatapy server exited with code {proc.returncode} before answering:\n{_tail(log)}")
        if _metadata_ready(f"{base}/$metadata"):
            return proc, base
        if time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"the odatapy server did not answer {base}/$metadata within {timeout:.0f} s:\n{_tail(log)}")
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
    command = [
        sys.executable, "-m", "generator.cli", "generate",
        "--metadata", f"{odatapy_server}/$metadata",
        "--package", PACKAGE,
        "--client-class", CLIENT_CLASS,
        "--out", str(out),
        "--quiet",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=GENERATE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the generator took more than {GENERATE_TIMEOUT:.0f} s: {' '.join(command)}")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    if PACKAGE in sys.modules:
        pytest.fail(f"a module named {PACKAGE} is already imported; the generated one would be shadowed")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
