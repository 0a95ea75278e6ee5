"""Reading the generator's inputs, files and http(s) URLs, bounded in time, size and destination.

A URL is fetched with :mod:`http.client` under one monotonic deadline for the whole fetch: name
lookup, connect, TLS handshake, every read and write, every redirect.  Only http and https
redirects are followed (at most :data:`MAX_REDIRECTS`), the size cap is enforced while the body
streams in, and the extra request headers (``--header``, :data:`HEADERS_ENV`) go to the origin of
the URL given, never to another origin a redirect points to.  Every failure is a one-line
:class:`~generator.errors.MetadataError` naming the URL; header values never appear in one.

Proxies (``HTTP_PROXY``, ``HTTPS_PROXY``) are not used: the generator connects to the host of the URL.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import MetadataError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = [
    "HEADERS_ENV",
    "MAX_BYTES",
    "MAX_REDIRECTS",
    "document_kind",
    "is_url",
    "read_file",
    "read_source",
    "read_url",
    "request_headers",
]

#: The largest input read, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Redirects followed before giving up.
MAX_REDIRECTS = 5
#: Environment variable with extra request headers, one ``Name: value`` per line.
HEADERS_ENV = "ODATAKIT_HEADERS"

_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_REQUEST_IDS = ("request-id", "x-ms-request-id", "x-request-id")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 9110 token: the characters a header name may have.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Headers odatakit writes itself: giving them would break or confuse the request.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "te"})
# Characters that may stay unescaped in a request target (the rest of RFC 3986's reserved and
# unreserved ones, and '%' so that escapes already written stay as they are).
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"
_PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_HTML_START = re.compile(rb"<!doctype\s+html|<(?:html|head|body)[\s>/]", re.IGNORECASE)


def is_url(source: str) -> bool:
    """Whether `source` is an http or https URL (else it is a file path)."""
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def read_source(
    source: str, *, max_bytes: int = MAX_BYTES, timeout: float = 30.0, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """The bytes of a file or http(s) URL, with the size cap, the deadline and one-line errors."""
    if is_url(source):
        data = read_url(source, max_bytes=max_bytes, timeout=timeout, headers=headers)
    else:
        scheme = urllib.parse.urlsplit(source).scheme
        # One letter is a Windows drive ("C:\\..."); anything longer with "://" is a URL we do not fetch.
        if len(scheme) > 1 and "://" in source:
            raise MetadataError(f"only http and https URLs are fetched, not {scheme}:", source=source)
        data = read_file(source, max_bytes)
    refuse_odata_v2(data, source)
    return data


# The EDMX 1.0 namespace and the data service version attribute only OData V1-V3 documents have.
_V2_MARKERS = (b"schemas.microsoft.com/ado/2007/06/edmx", b"DataServiceVersion")


def refuse_odata_v2(data: bytes, source: str) -> None:
    """Refuse an OData V2 (or V1, V3) `$metadata`: EDMX 1.0, `m:DataServiceVersion`."""
    head = data[:4096]
    if any(marker in head for marker in _V2_MARKERS):
        raise MetadataError(
            "OData V2 is not supported: this is an EDMX 1.0 $metadata (OData V2 or V3); odatakit reads OData V4 "
            '(edmx:Edmx Version="4.0" or "4.01"); many services (SAP Gateway, Dynamics) also offer a V4 endpoint',
            source=source,
        )


def read_file(path: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a file, refused when larger than `max_bytes`."""
    try:
        with Path(path).open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise MetadataError(f"cannot read the file: {e.strerror or e}", source=path) from None
    if len(data) > max_bytes:
        raise MetadataError(f"document is larger than {max_bytes} bytes", source=path)
    return data


# --------------------------------------------------------------------------- request headers


def request_headers(options: Sequence[str] | None, environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The extra request headers: ODATAKIT_HEADERS lines, then --header options (a later one of a name wins)."""
    found: dict[str, tuple[str, str]] = {}
    text = (os.environ if environ is None else environ).get(HEADERS_ENV, "")
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            name, value = _header(line, f"{HEADERS_ENV} line {number}")
            found[name.lower()] = (name, value)
    for number, option in enumerate(options or (), 1):
        name, value = _header(option, f"--header #{number}")
        found[name.lower()] = (name, value)
    return list(found.values())


def _header(text: str, where: str) -> tuple[str, str]:
    # The text may hold a secret (a token pasted without its name): messages name the option
    # or line, and the header name only once it is known to be one; never the value.
    name, colon, value = text.partition(":")
    name = name.strip()
    if not colon:
        raise MetadataError("not 'Name: value' (no ':'; the text is not shown, it may be a secret)", source=where)
    if not name:
        raise MetadataError("no header name before ':'", source=where)
    if not _TOKEN.fullmatch(name) or len(name) > 64:
        raise MetadataError(
            "the text before ':' is not a header name (letters, digits and !#$%&'*+.^_`|~- only; "
            "not shown, it may be a secret)",
            source=where,
        )
    shown = f"{where} ({name})"
    if name.lower() in _OWN_HEADERS:
        raise MetadataError(f"{name} is set by odatakit and cannot be given", source=shown)
    value = value.strip(" \t")
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        raise MetadataError("the value has a line break or another control character", source=shown)
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise MetadataError("the value has characters outside ISO-8859-1 (Latin-1)", source=shown) from None
    return name, value


# --------------------------------------------------------------------------- fetching a URL


class _Deadline:
    """One monotonic deadline for every step of a fetch, and the bytes received so far."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.received = 0

    def remaining(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline reached")
        return left


class _Socket(socket.socket):
    """A TCP socket whose every read and write waits at most until the deadline."""

    __slots__ = ("deadline",)
    deadline: _Deadline

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(self.deadline.remaining())
        n = super().recv_into(buffer, nbytes, flags)
        self.deadline.received += n
        return n

    def sendall(self, data: ReadableBuffer, flags: int = 0, /) -> None:
        self.settimeout(self.deadline.remaining())
        super().sendall(data, flags)


class _TLSSocket(ssl.SSLSocket):
    """A TLS socket whose every read and write waits at most until the deadline."""

    deadline: _Deadline

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(self.deadline.remaining())
        n = super().recv_into(buffer, nbytes, flags)
        self.deadline.received += n
        return n

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        self.settimeout(self.deadline.remaining())
        super().sendall(data, flags)


def _resolve(host: str, port: int, deadline: _Deadline) -> list[tuple[int, int, int, Any]]:
    found: list[tuple[int, int, int, Any]] = []
    failed: list[BaseException] = []

    def look_up() -> None:
        try:
            found.extend((f, t, p, a) for f, t, p, _, a in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            failed.append(exc)

    # getaddrinfo takes no timeout: a daemon thread lets a slow resolver be abandoned at the deadline.
    worker = threading.Thread(target=look_up, name="odatakit-resolve", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise TimeoutError("name lookup")
    if failed:
        raise OSError(f"cannot resolve {host!r}: {getattr(failed[0], 'strerror', None) or failed[0]}")
    return found


def _connect(host: str, port: int, deadline: _Deadline) -> _Socket:
    error: OSError | None = None
    for family, kind, proto, address in _resolve(host, port, deadline):
        sock = _Socket(family, kind, proto)
        sock.deadline = deadline
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(address)
        except TimeoutError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error if error is not None else OSError(f"no address for {host!r}")


class _Connection(http.client.HTTPConnection):
    """An http or https connection whose socket honours the fetch's deadline."""

    def __init__(self, host: str, port: int, tls: bool, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds)
        self.default_port = 443 if tls else 80
        self.tls = tls
        self.deadline = deadline

    def connect(self) -> None:
        sock = _connect(self.host, self.port, self.deadline)
        if not self.tls:
            self.sock = sock
            return
        context = ssl.create_default_context()
        context.sslsocket_class = _TLSSocket
        try:
            tls = context.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
        except BaseException:
            sock.close()
            raise
        self.sock = tls
        assert isinstance(tls, _TLSSocket)
        tls.deadline = self.deadline
        # One handshake call waits at most its socket's timeout in all (CPython keeps a deadline).
        tls.settimeout(self.deadline.remaining())
        tls.do_handshake()


def _shown(text: str, limit: int = 200) -> str:
    # Text from the server goes to a terminal: no control characters, no screenful.
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _target(parts: urllib.parse.SplitResult) -> str:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return urllib.parse.quote(target, safe=_TARGET_SAFE)


def read_url(
    url: str, *, max_bytes: int = MAX_BYTES, timeout: float = 30.0, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """The body of a 200 answer to GET `url`, all of it within `timeout` seconds and `max_bytes` bytes."""
    deadline = _Deadline(timeout)
    try:
        return _fetch(url, max_bytes, headers, deadline)
    except TimeoutError:
        what = "no complete answer" if deadline.received else "no answer"
        raise MetadataError(f"{what} within {timeout:g} s", source=url) from None
    except ssl.SSLError as exc:
        raise MetadataError(f"cannot fetch the document: TLS: {_shown(str(exc))}", source=url) from None
    except OSError as exc:
        raise MetadataError(f"cannot fetch the document: {exc}", source=url) from None
    except http.client.HTTPException as exc:
        detail = f": {_shown(str(exc), 80)}" if str(exc) else ""
        raise MetadataError(f"not a valid HTTP answer ({type(exc).__name__}{detail})", source=url) from None


def _fetch(url: str, max_bytes: int, headers: Sequence[tuple[str, str]], deadline: _Deadline) -> bytes:
    given = urllib.parse.urlsplit(url)
    if given.username is not None or given.password is not None:
        # Userinfo would be kept in the lock file and shown in messages; a header is kept in neither.
        netloc = given.netloc.rpartition("@")[2]
        raise MetadataError(
            f"credentials in the URL are not used: give them as a header (--header or {HEADERS_ENV})",
            source=urllib.parse.urlunsplit(given._replace(netloc=netloc)),
        )
    origin = _origin_of(given, url)
    current, parts = url, given
    for _ in range(MAX_REDIRECTS + 1):
        scheme = parts.scheme.lower()
        here = _origin_of(parts, url)
        # Credentials go to the origin the user named, not to wherever a redirect points.
        extra = headers if here == origin else ()
        request = {"Accept": "application/xml", "User-Agent": f"odatakit/{__version__}"}
        for name, value in extra:
            request = {k: v for k, v in request.items() if k.lower() != name.lower()}
            request[name] = value
        connection = _Connection(here[1], here[2], scheme == "https", deadline)
        try:
            connection.request("GET", _target(parts), headers=request)
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location or not location.strip():
                    raise MetadataError(
                        f"HTTP status {response.status} {_shown(response.reason)} without a Location"
                        + _via(current, url),
                        source=url,
                    )
                following = urllib.parse.urljoin(current, location.strip())
                next_parts = urllib.parse.urlsplit(following)
                if next_parts.scheme.lower() not in ("http", "https"):
                    raise MetadataError(
                        f"redirect to {_shown(location.strip())!r} refused: only http and https redirects "
                        "are followed" + _via(current, url),
                        source=url,
                    )
                current, parts = following, next_parts
                continue
            if response.status != 200:
                raise MetadataError(_status_message(response, bool(extra)) + _via(current, url), source=url)
            body = _read_body(response, max_bytes, url)
            _check_kind(body, response.getheader("Content-Type"), current, url)
            return body
        finally:
            connection.close()
    raise MetadataError(f"more than {MAX_REDIRECTS} redirects (the last to {_shown(current)})", source=url)


def _origin_of(parts: urllib.parse.SplitResult, url: str) -> tuple[str, str, int]:
    """Scheme, host (ASCII, IDNA for international names) and port: what must match to send the headers."""
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        raise MetadataError(f"the port in {_shown(parts.geturl())!r} is not a number up to 65535", source=url) from None
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise MetadataError(f"the host in {_shown(parts.geturl())!r} is not a valid name", source=url) from None
    if not host:
        raise MetadataError(f"no host in {_shown(parts.geturl())!r}", source=url)
    return scheme, host, port


def same_origin(url: str, other: str) -> bool:
    """Whether two http(s) URLs have the same scheme, host and port (False for files and bad URLs)."""
    if not (is_url(url) and is_url(other)):
        return False
    try:
        return _origin_of(urllib.parse.urlsplit(url), url) == _origin_of(urllib.parse.urlsplit(other), other)
    except (MetadataError, ValueError):
        return False


def _via(current: str, url: str) -> str:
    return f" (redirected to {_shown(current)})" if current != url else ""


def _status_message(response: http.client.HTTPResponse, sent_headers: bool) -> str:
    message = f"HTTP status {response.status} {_shown(response.reason)}".rstrip() + " (expected 200)"
    for name in _REQUEST_IDS:
        value = response.getheader(name)
        if value and value.strip():
            message += f"; {name}: {_shown(value.strip(), 100)}"
            break
    if response.status in (401, 403) and not sent_headers:
        message += f"; give credentials with --header 'Authorization: ...' or {HEADERS_ENV}"
    return message


def _read_body(response: http.client.HTTPResponse, max_bytes: int, url: str) -> bytes:
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise MetadataError(
            f"the answer is compressed (Content-Encoding {_shown(encoding, 40)}) though odatakit asked for identity",
            source=url,
        )
    length = (response.getheader("Content-Length") or "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise MetadataError(f"document is larger than {max_bytes} bytes (Content-Length {int(length)})", source=url)
    body = bytearray()
    # Chunk by chunk, so a server that omits its length (or lies about it) cannot make us hold more.
    while chunk := response.read(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise MetadataError(f"document is larger than {max_bytes} bytes", source=url)
    return bytes(body)


def document_kind(data: bytes) -> str | None:
    """What `data` plainly is instead of XML ("an HTML page", "JSON"), or None."""
    prolog = _PROLOG.match(data)
    at = prolog.end() if prolog else 0
    start = data[at : at + 512]
    if _HTML_START.match(start):
        return "an HTML page"
    if start[:1] in (b"{", b"["):
        return "JSON"
    return None


def _check_kind(body: bytes, content_type: str | None, current: str, url: str) -> None:
    kind = document_kind(body)
    if kind is None:
        return
    message = (
        f"the server answered {kind} (Content-Type {_shown(content_type or 'not given', 80)}), "
        "not CSDL XML: check the URL" + _via(current, url)
    )
    parts = urllib.parse.urlsplit(current)
    if kind == "JSON":
        message += "; odatakit reads the XML $metadata: leave out $format=json"
    elif not parts.path.endswith("$metadata"):
        base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        message += (
            f"; is the $metadata document at '{base}/$metadata'? In a shell, quote it "
            "('...$metadata'): unquoted, $metadata is replaced by an empty variable"
        )
    else:
        message += f"; a sign-in page? Give credentials with --header or {HEADERS_ENV}"
    raise MetadataError(message, source=url)
