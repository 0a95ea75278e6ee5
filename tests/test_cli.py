"""The command line: summaries, bad input (one line, exit 2, nothing half-written), URLs (prune: test_prune.py)."""

from __future__ import annotations

import http.server
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.progress import Progress

from .conftest import FIXTURES
from .conftest import run_cli as run


def test_generate_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                         "--out", str(tmp_path))
    assert code == 0, err
    assert out.startswith("shop: 5 structured + 0 enum types, 0 operations, 8 files in ")
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == [
        "__init__.py", "_paths.py", "_registry.py", "_structure.py", "client.py", "models.py", "py.typed", "requests.py",
    ]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("malformed.xml", "malformed.xml:"),
        ("undefined_type.xml", "<Property>"),
        ("base_cycle.xml", "BaseType"),
        ("bad_key.xml", "<PropertyRef>"),
        ("nav_unknown.xml", "<NavigationProperty>"),
        ("duplicate_type.xml", "duplicate"),
        ("xxe.xml", "DTD"),
        ("billion_laughs.xml", "DTD"),
    ],
)
def test_bad_metadata_is_one_line_exit_2_and_leaves_output_alone(
    fixture: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "pkg"
    existing.mkdir()
    (existing / "keep.txt").write_text("previous generation")
    source = FIXTURES / "bad" / fixture
    code, out, err = run(capsys, "generate", "--metadata", str(source), "--package", "pkg", "--out", str(tmp_path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {source}")
    assert expected in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging folder left behind
    assert (existing / "keep.txt").read_text() == "previous generation"


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "generate", "--metadata", str(tmp_path / "nope.xml"), "--package", "p",
                       "--out", str(tmp_path))
    assert code == 2
    assert err.startswith(f"error: {tmp_path / 'nope.xml'}: cannot read the file")


@pytest.fixture
def metadata_server() -> Iterator[str]:
    body = (FIXTURES / "operations.xml").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path == "/svc/$metadata":
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_generate_from_a_url(metadata_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", "--metadata", f"{metadata_server}/svc/$metadata", "--package", "api",
                         "--out", str(tmp_path))
    assert code == 0, err
    assert "api: 2 structured + 0 enum types" in out
    assert (tmp_path / "api" / "client.py").read_text().count("import_name=") == 3


def test_url_errors(metadata_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "generate", "--metadata", f"{metadata_server}/missing", "--package", "api",
                       "--out", str(tmp_path))
    assert code == 2 and "404" in err and err.count("\n") == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on that port any more: the connection is refused at once.
    code, _, err = run(capsys, "generate", "--metadata", f"http://127.0.0.1:{port}/$metadata", "--package", "api",
                       "--out", str(tmp_path), "--timeout", "2")
    assert code == 2 and err.startswith(f"error: http://127.0.0.1:{port}/$metadata") and err.count("\n") == 1
    assert not (tmp_path / "api").exists()


def test_url_that_never_answers_times_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        port = listener.getsockname()[1]
        code, _, err = run(capsys, "generate", "--metadata", f"http://127.0.0.1:{port}/$metadata",
                           "--package", "api", "--out", str(tmp_path), "--timeout", "0.5")
    assert code == 2
    assert err == f"error: http://127.0.0.1:{port}/$metadata: no answer within 0.5 s\n"


def test_progress_prints_nothing_when_stderr_is_no_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, terminal=False, delay=0)
    progress.step("reading")
    progress.advance(3, 5)
    progress.close()
    assert stream.getvalue() == ""


def test_progress_draws_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, terminal=True, delay=0)
    progress.step("rendering modules")
    progress.advance(3, 5)
    drawn = stream.getvalue()
    progress.close()
    assert "rendering modules" in drawn and "3/5" in drawn


def test_progress_quiet_draws_nothing_even_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, quiet=True, terminal=True, delay=0)
    progress.step("reading")
    progress.advance(1, 2)
    assert stream.getvalue() == ""
