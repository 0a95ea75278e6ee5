"""Start and stop the SAP CAP calendar server (servers/cap) from Python: tests and `make demo` use it.

`CapServer(log).start()` runs `node servers/cap/server.js` on a free 127.0.0.1 port, waits for
`$metadata` (at most `START_TIMEOUT` seconds) and returns the service root URL
(`http://127.0.0.1:PORT/odata/v4/calendar`); `stop()` ends the server's process group. The
server answers `POST /reset` (outside the OData service) by restoring its seed data.

The server needs node (20 or later) and the node modules `make setup` installs into
servers/cap/node_modules; without them `start()` raises `CapServerError` saying so.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from servers import launch
from servers.launch import ROOT, ServerError, free_port, metadata_ready, tail

CAP_DIR = ROOT / "servers" / "cap"
SERVICE_PATH = "/odata/v4/calendar"
PACKAGE = "cap_calendar"
CLIENT_CLASS = "CalendarClient"
#: Seconds to wait for the server's `$metadata` (it takes well under one), and for the generator.
START_TIMEOUT = 30.0
#: The exit code server.js uses when its port is taken (another process won the race for it).
PORT_IN_USE = 3


class CapServerError(ServerError):
    """The CAP server cannot be started: what is missing or what it printed."""


def check_prerequisites() -> str:
    """The node executable; CapServerError naming what is missing and that `make setup` installs it."""
    node = shutil.which("node")
    if node is None:
        raise CapServerError(
            "node is not on PATH: the CAP integration server needs Node.js 20 or later (with npm); "
            "install it, then run `make setup`"
        )
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise CapServerError(f"{node} --version failed ({exc}): the CAP server needs Node.js 20 or later") from exc
    if major < 20:
        raise CapServerError(f"node {version} is too old: @sap/cds 9 needs Node.js 20 or later")
    if not (CAP_DIR / "node_modules" / "@sap" / "cds" / "package.json").exists():
        raise CapServerError(
            f"{CAP_DIR / 'node_modules'} is missing or incomplete: run `make setup` "
            "(it runs `npm ci --ignore-scripts` in servers/cap)"
        )
    return node


class CapServer:
    """One `node servers/cap/server.js` process: start, reset, stop.

    The server's stdout and stderr go to `log` (a file, so a chatty server never blocks on a
    full pipe). It runs in its own process group, which `stop()` ends (SIGTERM, then SIGKILL);
    its standard input is a pipe from this process, and the server exits when that pipe closes,
    so it does not outlive a test run that is killed.
    """

    def __init__(self, log: Path, *, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.env = env or {}
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the server, wait for `$metadata`; return the service root URL (no trailing slash)."""
        node = check_prerequisites()
        zones = self.log.with_name("windows_zones.json")
        zones.write_text(json.dumps(_windows_zones()))
        env = {**os.environ, "CAP_WINDOWS_ZONES": str(zones), "CAP_EXIT_ON_STDIN_EOF": "1", "NO_COLOR": "1"}
        env.update(self.env)
        deadline = time.monotonic() + timeout
        for _attempt in range(3):
            port = free_port()
            self._spawn(node, port, env)
            url = f"http://127.0.0.1:{port}{SERVICE_PATH}"
            if self._wait(url, deadline, timeout):
                self.url = url
                atexit.register(self.stop)
                return url
        raise CapServerError(f"the CAP server found no free port in 3 tries:\n{tail(self.log)}")

    def _spawn(self, node: str, port: int, env: dict[str, str]) -> None:
        out: IO[bytes] = self.log.open("ab")
        try:
            self._proc = subprocess.Popen(
                [node, "server.js"],
                cwd=CAP_DIR,
                env={**env, "CAP_PORT": str(port)},
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            out.close()  # the child has its own copy

    def _wait(self, url: str, deadline: float, timeout: float) -> bool:
        """True when `$metadata` answers; False when the port was taken; CapServerError otherwise."""
        proc = self._proc
        assert proc is not None
        while True:
            code = proc.poll()
            if code is not None:
                self._reap()
                if code == PORT_IN_USE:
                    return False
                raise CapServerError(f"the CAP server exited with code {code} before answering:\n{tail(self.log)}")
            if metadata_ready(f"{url}/$metadata"):
                return True
            if time.monotonic() > deadline:
                self.stop()
                raise CapServerError(
                    f"the CAP server did not answer {url}/$metadata within {timeout:g} s "
                    f"(log {self.log}):\n{tail(self.log)}"
                )
            time.sleep(0.05)

    def reset(self) -> None:
        """Empty the database and insert the seed data again."""
        reset_cap_server(self.url)

    def logtail(self, lines: int = 40) -> str:
        return tail(self.log, lines)

    def stop(self) -> None:
        """End the server's process group (idempotent)."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._reap()
        atexit.unregister(self.stop)

    def _reap(self) -> None:
        proc = self._proc
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            proc.wait()
            self._proc = None


def _windows_zones() -> dict[str, str]:
    """Windows zone names → IANA (the CLDR windowsZones table tzlocal ships), for `Prefer: outlook.timezone`."""
    from tzlocal.windows_tz import win_tz

    return dict(win_tz)


def reset_cap_server(url: str, timeout: float = 10.0) -> None:
    """`POST /reset` on the server of the service root `url`: the seed data, as at start."""
    parts = urlsplit(url)
    request = urllib.request.Request(f"{parts.scheme}://{parts.netloc}/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status != 204:
            raise CapServerError(f"POST /reset answered {response.status}")


def generate_client(url: str, out: Path, *, package: str = PACKAGE, client_class: str = CLIENT_CLASS) -> Path:
    """Generate the CAP server's client package from its live `$metadata` into `out`."""
    return launch.generate_client(url, out, package=package, client_class=client_class)


def main(argv: list[str] | None = None) -> int:
    """`python -m servers.cap_launcher metadata OUT`: save the server's `$metadata` (for `make schemas`)."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m servers.cap_launcher", description=main.__doc__)
    parser.add_argument("what", choices=["metadata"])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = CapServer(Path(tmp) / "server.log")
        try:
            url = server.start()
            with urllib.request.urlopen(f"{url}/$metadata", timeout=10) as response:
                args.out.write_bytes(response.read())
        except CapServerError as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            server.stop()
    print(f"wrote {args.out} from {url}/$metadata")
    return 0


if __name__ == "__main__":
    sys.exit(main())
