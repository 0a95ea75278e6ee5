"""What every test server launcher needs: a free port, the log's tail, readiness, a generated client."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["ROOT", "ServerError", "free_port", "generate_client", "metadata_ready", "tail"]

ROOT = Path(__file__).resolve().parents[1]
#: Seconds the generator may take for a server's `$metadata`.
GENERATE_TIMEOUT = 60.0


class ServerError(RuntimeError):
    """A server cannot be started, or its client cannot be generated: what is missing or what it printed."""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(log: Path, lines: int = 40) -> str:
    """The last `lines` lines of a server log (or why there are none)."""
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(the server wrote nothing)"


def metadata_ready(url: str) -> bool:
    """Whether `url` answers 200 with a CSDL document."""
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return response.status == 200 and b"<edmx:Edmx" in response.read()
    except (urllib.error.URLError, OSError):
        return False


def generate_client(url: str, out: Path, *, package: str, client_class: str, preset: str = "none") -> Path:
    """Generate a client package from the live `$metadata` of `url` into `out` with the project's CLI.

    The test servers speak plain OData V4 (keys in parentheses, qualified operations), whatever
    namespace their models borrow: no service preset unless asked.
    """
    command = [
        sys.executable, "-m", "generator.cli", "generate",
        "--metadata", f"{url}/$metadata",
        "--package", package,
        "--client-class", client_class,
        "--preset", preset,
        "--out", str(out),
        "--quiet",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=GENERATE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ServerError(f"the generator took more than {GENERATE_TIMEOUT:.0f} s: {' '.join(command)}") from exc
    if done.returncode != 0:
        raise ServerError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return out / package
