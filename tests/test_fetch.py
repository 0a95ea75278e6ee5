"""Fetching inputs (generator/fetch.py) from local servers: deadline, redirects, size cap, headers, messages."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.errors import MetadataError
from generator.fetch import HEADERS_ENV, read_source, read_url, request_headers

from .conftest import FIXTURES, ROOT
from .conftest import run_cli as run

METADATA = (FIXTURES / "operations.xml").read_bytes()
SECRET = "Bearer SECRET-0123456789"
ENV_SECRET = "ENV-SECRET-9876543210"

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class Server:
    """A local HTTP server whose paths answer as the test says; it records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                try:
                    if route is None:
                        answer(self, 404, b"not here")
                    else:
                        route(self)
                except OSError:
                    pass  # the client gave up, as several tests want it to

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """The headers of every request made for `path`."""
        return [headers for p, headers in self.requests if p == path]

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def answer(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """Send a whole answer with a Content-Length."""
    handler.send_response(status)
    for name, value in {"Content-Type": "application/xml", **(headers or {})}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str, status: int = 302) -> Route:
    """A route that answers with a redirect to `location`."""
    return lambda h: answer(h, status, headers={"Location": location})


def metadata(h: http.server.BaseHTTPRequestHandler) -> None:
    """A route that answers with a small CSDL document."""
    answer(h, 200, METADATA)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def other() -> Iterator[Server]:
    """A second server: another origin (another port)."""
    s = Server()
    yield s
    s.close()


def error_of(call: Callable[[], object]) -> str:
    with pytest.raises(MetadataError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    return text


# --------------------------------------------------------------------------- the deadline


def drip_body(h: http.server.BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    for _ in range(1000):
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.1)


def drip_headers(h: http.server.BaseHTTPRequestHandler) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.1)


@pytest.mark.parametrize("route", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripping_server_ends_at_the_deadline(server: Server, route: Route) -> None:
    server.routes["/$metadata"] = route
    url = server.url + "/$metadata"
    started = time.monotonic()
    message = error_of(lambda: read_url(url, timeout=1))
    elapsed = time.monotonic() - started
    assert message == f"{url}: no complete answer within 1 s"
    assert 0.9 < elapsed < 2.0  # the deadline bounds the whole fetch, not each read


def test_the_deadline_covers_every_redirect(server: Server) -> None:
    def slow_redirect(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(0.4)
        answer(h, 302, headers={"Location": "/loop"})

    server.routes["/loop"] = slow_redirect
    started = time.monotonic()
    message = error_of(lambda: read_url(server.url + "/loop", timeout=1))
    assert message == f"{server.url}/loop: no complete answer within 1 s"
    assert time.monotonic() - started < 2.0
    assert 2 <= len(server.requests) <= 3


def test_a_server_that_never_answers(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/$metadata"
        assert error_of(lambda: read_url(url, timeout=0.5)) == f"{url}: no answer within 0.5 s"


# --------------------------------------------------------------------------- redirects


def test_a_redirect_to_ftp_is_refused_without_connecting(server: Server) -> None:
    with socket.socket() as ftp:
        ftp.bind(("127.0.0.1", 0))
        ftp.listen(1)
        ftp.settimeout(0.2)
        location = f"ftp://127.0.0.1:{ftp.getsockname()[1]}/metadata.xml"
        server.routes["/$metadata"] = redirect(location)
        url = server.url + "/$metadata"
        assert error_of(lambda: read_url(url, timeout=5)) == (
            f"{url}: redirect to {location!r} refused: only http and https redirects are followed"
        )
        with pytest.raises(TimeoutError):
            ftp.accept()  # nobody came


def test_a_redirect_to_another_origin_is_followed_without_the_headers(server: Server, other: Server) -> None:
    other.routes["/svc/$metadata"] = metadata
    server.routes["/$metadata"] = redirect(other.url + "/svc/$metadata", 307)
    headers = [("Authorization", SECRET), ("X-Api-Key", "key-1")]
    assert read_url(server.url + "/$metadata", timeout=5, headers=headers) == METADATA
    (first,) = server.headers_of("/$metadata")
    (second,) = other.headers_of("/svc/$metadata")
    assert (first["authorization"], first["x-api-key"]) == (SECRET, "key-1")
    assert "authorization" not in second and "x-api-key" not in second
    assert second["accept"] == "application/xml" and second["user-agent"].startswith("odatakit/")


def test_a_same_origin_redirect_keeps_the_headers_and_resolves_relative_locations(server: Server) -> None:
    server.routes["/a/b/$metadata"] = redirect("../c/$metadata", 301)  # RFC 3986: /a/c/$metadata
    server.routes["/a/c/$metadata"] = redirect(f"//127.0.0.1:{server.httpd.server_address[1]}/final?x=1", 308)
    server.routes["/final?x=1"] = metadata
    assert read_url(server.url + "/a/b/$metadata", timeout=5, headers=[("Authorization", SECRET)]) == METADATA
    assert [p for p, _ in server.requests] == ["/a/b/$metadata", "/a/c/$metadata", "/final?x=1"]
    assert all(headers["authorization"] == SECRET for _, headers in server.requests)


def test_more_than_five_redirects_is_an_error(server: Server) -> None:
    for i in range(7):
        server.routes[f"/r{i}"] = redirect(f"/r{i + 1}")
    url = server.url + "/r0"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: more than 5 redirects (the last to {server.url}/r6)"
    )
    assert len(server.requests) == 6


# --------------------------------------------------------------------------- size


def endless_chunks(h: http.server.BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/xml")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<x/>" * 256
    while True:  # never ends: only the cap can stop the client
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def test_an_oversize_chunked_body_is_refused_while_streaming(server: Server) -> None:
    server.routes["/$metadata"] = endless_chunks
    url = server.url + "/$metadata"
    assert error_of(lambda: read_url(url, timeout=10, max_bytes=100_000)) == (
        f"{url}: document is larger than 100000 bytes"
    )


def test_a_content_length_over_the_cap_is_refused_before_reading(server: Server) -> None:
    def huge(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(10**12))
        h.end_headers()
        time.sleep(5)  # no body comes: the header alone must decide

    server.routes["/$metadata"] = huge
    url = server.url + "/$metadata"
    started = time.monotonic()
    assert error_of(lambda: read_url(url, timeout=10, max_bytes=1000)) == (
        f"{url}: document is larger than 1000 bytes (Content-Length 1000000000000)"
    )
    assert time.monotonic() - started < 4


# --------------------------------------------------------------------------- what the answer is


def test_an_html_page_says_so_and_hints_at_quoting_metadata(server: Server) -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Service</title></head><body>hello</body></html>"
    server.routes["/service/"] = lambda h: answer(h, 200, page, {"Content-Type": "text/html; charset=utf-8"})
    url = server.url + "/service/"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: the server answered an HTML page (Content-Type text/html; charset=utf-8), not CSDL XML: check "
        f"the URL; is the $metadata document at '{server.url}/service/$metadata'? In a shell, quote it "
        "('...$metadata'): unquoted, $metadata is replaced by an empty variable"
    )


def test_an_html_sign_in_page_at_metadata_hints_at_credentials(server: Server) -> None:
    server.routes["/svc/$metadata"] = lambda h: answer(h, 200, b"<html><body>Sign in</body></html>",
                                                       {"Content-Type": "text/html"})  # fmt: skip
    url = server.url + "/svc/$metadata"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: the server answered an HTML page (Content-Type text/html), not CSDL XML: check the URL; "
        f"a sign-in page? Give credentials with --header or {HEADERS_ENV}"
    )


def test_json_metadata_is_named(server: Server) -> None:
    server.routes["/$metadata?$format=json"] = lambda h: answer(h, 200, b'{"$Version": "4.01"}',
                                                                {"Content-Type": "application/json"})  # fmt: skip
    url = server.url + "/$metadata?$format=json"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: the server answered JSON (Content-Type application/json), not CSDL XML: check the URL; "
        "odatakit reads the XML $metadata: leave out $format=json"
    )


def test_http_401_names_status_reason_and_request_id(server: Server) -> None:
    server.routes["/$metadata"] = lambda h: answer(h, 401, b"no", {"x-ms-request-id": "4f2c-77"})
    url = server.url + "/$metadata"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: HTTP status 401 Unauthorized (expected 200); x-ms-request-id: 4f2c-77; "
        f"give credentials with --header 'Authorization: ...' or {HEADERS_ENV}"
    )
    # With credentials sent, no hint; a request id from `request-id` is named as such.
    server.routes["/$metadata"] = lambda h: answer(h, 403, b"no", {"request-id": "r-1"})
    assert error_of(lambda: read_url(url, timeout=5, headers=[("Authorization", SECRET)])) == (
        f"{url}: HTTP status 403 Forbidden (expected 200); request-id: r-1"
    )


def test_an_error_after_a_redirect_names_where_it_came_from(server: Server) -> None:
    server.routes["/old"] = redirect("/new")
    url = server.url + "/old"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: HTTP status 404 Not Found (expected 200) (redirected to {server.url}/new)"
    )


def test_a_compressed_answer_is_refused(server: Server) -> None:
    server.routes["/$metadata"] = lambda h: answer(h, 200, b"\x1f\x8b...", {"Content-Encoding": "gzip"})
    url = server.url + "/$metadata"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{url}: the answer is compressed (Content-Encoding gzip) though odatakit asked for identity"
    )


def test_credentials_in_the_url_are_refused_and_not_shown(server: Server) -> None:
    url = server.url.replace("http://", "http://me:pa55word@") + "/$metadata"
    assert error_of(lambda: read_url(url, timeout=5)) == (
        f"{server.url}/$metadata: credentials in the URL are not used: give them as a header "
        f"(--header or {HEADERS_ENV})"
    )
    assert server.requests == []


def test_other_schemes_are_not_fetched() -> None:
    assert error_of(lambda: read_source("ftp://127.0.0.1/metadata.xml")) == (
        "ftp://127.0.0.1/metadata.xml: only http and https URLs are fetched, not ftp:"
    )


# --------------------------------------------------------------------------- headers


def test_request_headers_from_the_environment_and_options() -> None:
    environ = {HEADERS_ENV: "Authorization: Bearer from-env\n\nX-Tenant:  t1 \r\nX-Empty:\n"}
    assert request_headers(["authorization: Bearer from-option", "X-Other: 2"], environ) == [
        ("authorization", "Bearer from-option"),  # an option replaces the environment's header of that name
        ("X-Tenant", "t1"),
        ("X-Empty", ""),
        ("X-Other", "2"),
    ]
    assert request_headers(None, {}) == []


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ([SECRET], "", "--header #1: not 'Name: value' (no ':'; the text is not shown, it may be a secret)"),
        (["X-A: 1", ": " + SECRET], "", "--header #2: no header name before ':'"),
        (
            [SECRET.replace(" ", " x: ")],
            "",
            "--header #1: the text before ':' is not a header name (letters, digits and !#$%&'*+.^_`|~- only; "
            "not shown, it may be a secret)",
        ),
        (["X-Key: a\nb" + SECRET], "", "--header #1 (X-Key): the value has a line break or another control character"),
        (["Host: evil.example"], "", "--header #1 (Host): Host is set by odatakit and cannot be given"),
        (["X-Key: \u20ac" + SECRET], "", "--header #1 (X-Key): the value has characters outside ISO-8859-1 (Latin-1)"),
        ([], f"X-Ok: 1\n{ENV_SECRET}", f"{HEADERS_ENV} line 2: not 'Name: value' (no ':'; the text is not shown, "
                                      "it may be a secret)"),
    ],
)  # fmt: skip
def test_malformed_headers_are_one_line_errors_without_the_value(
    options: list[str], environ: str, message: str
) -> None:
    text = error_of(lambda: request_headers(options, {HEADERS_ENV: environ}))
    assert text == message
    assert "SECRET" not in text


def test_malformed_header_option_is_exit_2_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HEADERS_ENV, raising=False)
    code, out, err = run(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "p",
                         "--out", str(tmp_path), "--header", SECRET)  # fmt: skip
    assert (code, out) == (2, "")
    assert err == "error: --header #1: not 'Name: value' (no ':'; the text is not shown, it may be a secret)\n"
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("command", ["inspect", "prune"])
def test_every_metadata_command_sends_the_headers(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv(HEADERS_ENV, f"X-Env: {ENV_SECRET}")
    server.routes["/$metadata"] = metadata
    extra = ["--include", "*"] if command == "prune" else ["--spec", str(tmp_path / "none.md")]
    (tmp_path / "none.md").write_text("# nothing\n")
    code, _, err = run(capsys, command, "--metadata", server.url + "/$metadata", "--header", f"Authorization: {SECRET}",
                       *extra)  # fmt: skip
    assert code == 0, err
    (headers,) = server.headers_of("/$metadata")
    assert (headers["authorization"], headers["x-env"]) == (SECRET, ENV_SECRET)


def test_generate_sends_the_headers_and_the_lock_keeps_no_value(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HEADERS_ENV, f"X-Env: {ENV_SECRET}")
    server.routes["/svc/$metadata"] = metadata
    url = server.url + "/svc/$metadata"
    header = f"Authorization: {SECRET}"
    code, out, err = run(capsys, "generate", "--metadata", url, "--package", "api", "--out", str(tmp_path),
                         "--header", header)  # fmt: skip
    assert code == 0, err
    (headers,) = server.headers_of("/svc/$metadata")
    assert (headers["authorization"], headers["x-env"]) == (SECRET, ENV_SECRET)
    lock = (tmp_path / "api.lock.json").read_text()
    assert json.loads(lock)["inputs"] == {url: json.loads(lock)["inputs"][url]}
    written = lock + out + err + "".join(p.read_text() for p in (tmp_path / "api").rglob("*.py"))
    assert "SECRET" not in written

    # `generate --check` and `check --fetch` fetch with the headers too.
    code, out, _ = run(capsys, "generate", "--metadata", url, "--package", "api", "--out", str(tmp_path),
                       "--header", header, "--check")  # fmt: skip
    assert (code, out) == (0, f"{tmp_path / 'api.lock.json'}: up to date\n")
    code, out, _ = run(capsys, "check", str(tmp_path / "api.lock.json"), "--fetch", "--header", header)
    assert (code, out) == (0, f"{tmp_path / 'api.lock.json'}: up to date\n")
    assert [h["authorization"] for h in server.headers_of("/svc/$metadata")] == [SECRET] * 3


def test_an_html_answer_through_the_cli_is_one_line(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/service/"] = lambda h: answer(h, 200, b"<!doctype html><html></html>", {"Content-Type": "text/html"})
    code, out, err = run(capsys, "generate", "--metadata", server.url + "/service/", "--package", "api",
                         "--out", str(tmp_path))  # fmt: skip
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"error: {server.url}/service/: the server answered an HTML page (Content-Type text/html)")
    assert f"'{server.url}/service/$metadata'" in err


def test_overlays_get_the_headers_only_from_the_metadata_origin(
    server: Server, other: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (ROOT / "schemas" / "outlook_v2.xml").read_bytes()
    overlay = (ROOT / "schemas" / "outlook_v2.overlay.xml").read_bytes()
    server.routes["/svc/$metadata"] = lambda h: answer(h, 200, base)
    server.routes["/svc/overlay.xml"] = lambda h: answer(h, 200, overlay)
    other.routes["/overlay.xml"] = lambda h: answer(h, 200, overlay)
    for overlay_url in (server.url + "/svc/overlay.xml", other.url + "/overlay.xml"):
        code, _, err = run(capsys, "prune", "--metadata", server.url + "/svc/$metadata", "--overlay", overlay_url,
                           "--include", "Microsoft.OutlookServices.Event", "--out", str(tmp_path / "p.xml"),
                           "--header", f"Authorization: {SECRET}", "--quiet")  # fmt: skip
        assert code == 0, err
    assert [h.get("authorization") for h in server.headers_of("/svc/overlay.xml")] == [SECRET]
    assert [h.get("authorization") for h in other.headers_of("/overlay.xml")] == [None]
