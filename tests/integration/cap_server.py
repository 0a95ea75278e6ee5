"""The SAP CAP calendar server (servers/cap) as pytest fixtures.

`cap_server` (session) starts `node servers/cap/server.js` on a free 127.0.0.1 port, waits
for `$metadata` (at most `START_TIMEOUT` seconds), yields the service root URL
(`http://127.0.0.1:PORT/odata/v4/calendar`) and stops the server's process group at the end
of the session. `cap_package` (session) generates a client package from the live
`$metadata` with the project's CLI into a temporary folder and imports it.

Fresh data: the server answers `POST /reset` (outside the OData service) by emptying its
in-memory database and inserting the seed data again (servers/cap/srv/seed.js), in a few
milliseconds. `reset_cap_server(url)` calls it; the `cap_fresh` fixture resets before and
after the test that uses it, so a test that writes leaves the seed data for the next one.

Test modules import the fixtures: `from .cap_server import cap_fresh, cap_package, cap_server`.

The server needs node (20 or later) and the node modules `make setup` installs into
servers/cap/node_modules; without them the fixtures fail with a message saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from servers.cap_launcher import PACKAGE, CapServer, CapServerError, generate_client, reset_cap_server

from .support import imported_package

__all__ = ["cap_fresh", "cap_package", "cap_server", "reset_cap_server"]


@pytest.fixture(scope="session")
def cap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service root of the CAP calendar server, seeded (no trailing slash)."""
    log = tmp_path_factory.mktemp("cap_server") / "server.log"
    server = CapServer(log)
    try:
        url = server.start()
    except CapServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def cap_fresh(cap_server: str) -> Iterator[str]:
    """The service root, with the seed data restored before and after the test (for tests that write)."""
    reset_cap_server(cap_server)
    yield cap_server
    reset_cap_server(cap_server)


@pytest.fixture(scope="session")
def cap_package(cap_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the live server's `$metadata`, imported."""
    out = tmp_path_factory.mktemp("cap_generated")
    try:
        generate_client(cap_server, out)
    except CapServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    with imported_package(out, PACKAGE) as package:
        yield package
