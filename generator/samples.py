"""Extract JSON request/response samples from API reference pages.

Two page shapes are understood:

* Markdown (docs.microsoft.com sources): payloads sit in fenced code blocks, and the
  Outlook REST reference wraps every operation in version sections delimited by
  ``[!INCLUDE [BEGIN Outlook <version> section](...)]`` / ``[!INCLUDE [END ...](...)]``.
* Plain text (a rendered page saved as text): request lines, headers and JSON bodies follow
  each other without fences, so bodies are found by balanced-brace scanning.

Whether a body is a request or a response is decided by the nearest preceding signal: a
label or heading (``Exemple de réponse``, ``**要求のサンプル:**``, ``Response``...), a status
line (``HTTP/1.1 201 Created``, ``Status code: 200``, ``状態コード :200``) or a request line
(``POST https://...``).  Also recognised: "API explorer" blocks (one JSON object holding
``method``, ``requestUrl``, ``requestBody`` and ``responseBody``), which are split into their
bodies; HTML comments, whose content is not rendered; and client-library fences (``cs``,
``javascript``), which are skipped.  Nothing here knows about calendars.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import attrs

from . import mdtree

Kind = Literal["request", "response"]


@attrs.frozen
class Sample:
    """One JSON body found on a page, with the request it belongs to."""

    page: str
    line: int
    version: str
    service: str
    method: str | None
    url: str | None
    kind: str
    body: Any
    #: What the page's annotation comment above the fence says of a response sample
    #: (``<!-- { "blockType": "response", "@odata.type": ..., "isCollection": ..., "truncated": ... } -->``).
    odata_type: str | None = None
    collection: bool | None = None
    truncated: bool = False


# --- Recognised documentation conventions -----------------------------------------------

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# GET/DELETE/HEAD/OPTIONS carry no body, so JSON right after such a request line is the answer.
_BODILESS_METHODS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})

# The URL is kept as written, so typos such as "https:/outlook..." and spaces inside URL
# templates ("/users/{id | userPrincipalName}/events") survive; a trailing "HTTP/1.1" is not
# part of the URL.
# A relative URL may also start with "~/" or with its first segment ("GET me/events", one token
# holding a "/", so that prose such as "POST to the collection to create..." is not taken for one).
_REQUEST_LINE = re.compile(
    r"^(?P<method>" + "|".join(_METHODS) + r")\s+"
    r"(?P<url>(?:https?:/|~?/)\S.*?|(?=[^\s/]*/)[A-Za-z_{$](?:[^\s{]|\{[^{}]*\})*)"
    r"(?:\s+HTTP/\d(?:\.\d)?)?$"
)
# Some examples give only the URL (the method is in the syntax block above it).
_BARE_URL = re.compile(r"^(?P<url>https?://\S+)$")

_STATUS_LINE = re.compile(
    r"^(?:HTTP/\d(?:\.\d)?\s+\d{3}\b"
    r"|(?:status\s*code|code\s+d['’]\s*état|状態コード|ステータス\s*コード)\s*[:：]\s*\d{3}\b)",
    re.IGNORECASE,
)

# Words that make a heading or label announce a response / a request.  Responses are checked
# first because response labels often mention the request ("réponse à la demande").
_RESPONSE_WORDS = ("réponse", "response", "応答", "レスポンス")
_REQUEST_WORDS = ("demande", "requête", "request", "要求", "リクエスト")

# A line of plain text is a label (rather than prose) when it is short and is not a sentence.
_LABEL_MAX_CHARS = 80
_SENTENCE_END = (".", "。")

_SECTION_MARKER = re.compile(
    r"\[!INCLUDE\s*\[\s*(?P<edge>BEGIN|END)\s+Outlook\s+(?P<version>beta|v\d+(?:\.\d+)?)\s+section\s*\]",
    re.IGNORECASE,
)
_DEFAULT_VERSION_MARKER = re.compile(
    r"\[!INCLUDE\s*\[[^\]]*--\s*(?P<version>beta|v\d+(?:\.\d+)?)\s+default\s*\]", re.IGNORECASE
)

# Fences whose content is payloads or HTTP exchanges; any other info string (cs, javascript,
# ...) is client-library code whose braces are not JSON.
_PAYLOAD_FENCES = frozenset(
    {"", "json", "http", "rest", "rest-i", "no-highlight", "text", "txt", "msgraph-interactive"}
)
# CommonMark HTML block: starts with "<!--" at the line start, ends on the line with "-->".
_COMMENT_START = re.compile(r"^ {0,3}<!--")
_FENCE = re.compile(r"^\s*(?P<ticks>```+|~~~+)\s*(?P<info>[^\s`]*)")

# While a brace scan is open, a line must look like JSON (or the usual comment/ellipsis
# shorthand) to continue it; prose or a heading means the sample was cut short.
_JSON_CONTINUATION = re.compile(r"^\s*(?:$|[\[\]{}\",:\d\-']|true\b|false\b|null\b|//|/\*|\.\.\.|…)")
# Only arrays of objects, strings or arrays: "[1] see note" or "[!INCLUDE ...]" are not JSON.
_ARRAY_START = re.compile(r"^\[\s*(?:$|[{\[\"])")

_GRAPH_HOSTS = ("graph.microsoft.com",)
_OUTLOOK_HOSTS = ("outlook.office.com", "outlook.office365.com")
_URL_VERSION = re.compile(r"^https?:/+[^/]+/(?:api/)?(?P<version>beta|v\d+\.\d+)(?:/|$)")

# An "API explorer" block (```REST / ```REST-i in the Outlook v1.0 docs) is one JSON object
# describing a whole exchange; its bodies are the samples, not the descriptor itself.
_EXPLORER_KEYS = frozenset({"requestBody", "responseBody", "statusCode"})


def _normalise_version(raw: str) -> str:
    """Map a marker version ("v2", "beta") to the URL spelling ("v2.0", "beta")."""
    raw = raw.lower()
    if raw == "beta" or "." in raw:
        return raw
    return f"{raw}.0"


def _service_of(url: str | None) -> str | None:
    """Say which service a URL addresses, or None for relative URLs."""
    if not url:
        return None
    lowered = url.lower()
    if any(host in lowered for host in _GRAPH_HOSTS):
        return "graph"
    if any(host in lowered for host in _OUTLOOK_HOSTS):
        return "outlook"
    return None


def _url_version(url: str | None) -> str | None:
    """Return the version segment of an absolute service URL, if it has one."""
    if not url:
        return None
    match = _URL_VERSION.match(url)
    return match.group("version") if match else None


def _label_kind(text: str, in_markdown: bool) -> Kind | None:
    """Classify a heading or label line; None for prose and for lines naming neither side."""
    stripped = text.strip()
    is_heading = stripped.startswith("#") or (stripped.startswith("**") and stripped.rstrip(" :：").endswith("**"))
    core = stripped.strip("#*_ \t").rstrip(" :：*_").strip()
    if not core:
        return None
    if not is_heading:
        # Plain Markdown prose never labels a block; in plain text pages labels are bare lines.
        if len(core) > _LABEL_MAX_CHARS or core.endswith(_SENTENCE_END):
            return None
        if in_markdown and len(core) > _LABEL_MAX_CHARS // 2:
            return None
    lowered = core.lower()
    if any(word in lowered for word in _RESPONSE_WORDS):
        return "response"
    if any(word in lowered for word in _REQUEST_WORDS):
        return "request"
    return None


@attrs.define
class _Scan:
    """Where a balanced-brace scan ended, and whether the value was closed there."""

    end_line: int  # index of the last line consumed
    end_col: int  # index just past the closing bracket (when closed)
    closed: bool


def _scan_json(lines: list[str], start: int, col: int, stop: int) -> _Scan:
    """Find the bracket closing the one at lines[start][col], staying inside JSON strings."""
    depth = 0
    for index in range(start, stop):
        text = lines[index]
        if index > start and depth > 0 and not _JSON_CONTINUATION.match(text):
            return _Scan(index - 1, len(lines[index - 1]), False)
        position = col if index == start else 0
        # JSON strings cannot span lines, so a stray quote is forgotten at the line end;
        # otherwise one typo ('"TimeZone": Pacific Time"') would unbalance the whole page.
        in_string = False
        while position < len(text):
            char = text[position]
            if in_string:
                if char == "\\":
                    position += 1
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return _Scan(index, position + 1, True)
            position += 1
    return _Scan(stop - 1, len(lines[stop - 1]) if stop > 0 else 0, False)


def _json_start(text: str) -> int | None:
    """Return the column where a JSON object/array starts on this line, if one does."""
    stripped = text.lstrip()
    col = len(text) - len(stripped)
    if stripped.startswith("{"):
        return col
    if _ARRAY_START.match(stripped):
        return col
    return None


def _line_of(text: str, start: int, offset: int) -> int:
    """Convert a character offset inside JSON text that starts on page line `start` to a line."""
    return start + text.count("\n", 0, offset)


@attrs.define
class _Context:
    """What the forward walk knows when it reaches a JSON value."""

    page: str
    default_version: str
    default_service: str
    version: str
    signal: Kind | None = None
    signal_method: str | None = None
    method: str | None = None
    url: str | None = None


class _Extractor:
    """Walks one page, line by line, collecting samples and warnings."""

    def __init__(self, page: str, text: str, document: mdtree.Document | None = None) -> None:
        self.lines = text.splitlines()
        self.markdown = any(_FENCE.match(line) for line in self.lines)
        self.text = text
        self.document = document
        self.annotation: dict[str, Any] | None = None  # of the fence being walked
        self.samples: list[Sample] = []
        self.warnings: list[str] = []
        default_version = ""
        for line in self.lines:
            marker = _DEFAULT_VERSION_MARKER.search(line)
            if marker:
                default_version = _normalise_version(marker.group("version"))
                break
        self.ctx = _Context(
            page=page,
            default_version=default_version,
            default_service=self._page_service(),
            version=default_version,
        )

    def _page_service(self) -> str:
        """Guess the service of the page for samples whose URL does not name a host."""
        if any(_SECTION_MARKER.search(line) for line in self.lines):
            return "outlook"
        for line in self.lines:
            request = _REQUEST_LINE.match(line.strip())
            service = _service_of(request.group("url")) if request else None
            if service:
                return service
        return ""

    def _page_url_version(self) -> str:
        """Return the version of the first absolute request URL on the page."""
        for line in self.lines:
            request = _REQUEST_LINE.match(line.strip()) or _BARE_URL.match(line.strip())
            version = _url_version(request.group("url")) if request else None
            if version:
                return version
        return ""

    def warn(self, index: int, why: str) -> None:
        """Record a problem at a 0-based line index."""
        self.warnings.append(f"{self.ctx.page}:{index + 1}: {why}")

    # --- context tracking ---------------------------------------------------------------

    def note_text(self, text: str, in_fence: bool) -> None:
        """Update the context with a line that is not part of a JSON value."""
        stripped = text.strip()
        if not stripped:
            return
        section = _SECTION_MARKER.search(stripped)
        if section:
            begin = section.group("edge").upper() == "BEGIN"
            self.ctx.version = _normalise_version(section.group("version")) if begin else self.ctx.default_version
            # Sections are alternatives, so a request shown for one version never
            # explains a body shown for another.
            self.ctx.signal = self.ctx.signal_method = self.ctx.method = self.ctx.url = None
            return
        request = _REQUEST_LINE.match(stripped)
        if request:
            self.ctx.method, self.ctx.url = request.group("method"), request.group("url")
            self.ctx.signal, self.ctx.signal_method = "request", self.ctx.method
            return
        bare = _BARE_URL.match(stripped)
        if bare and in_fence:
            self.ctx.method, self.ctx.url = None, bare.group("url")
            self.ctx.signal, self.ctx.signal_method = "request", None
            return
        if _STATUS_LINE.match(stripped):
            self.ctx.signal, self.ctx.signal_method = "response", None
            return
        if in_fence:
            return
        label = _label_kind(stripped, self.markdown)
        if label:
            self.ctx.signal, self.ctx.signal_method = label, None

    def current_kind(self) -> Kind:
        """Decide request/response for a body found now."""
        if self.ctx.signal == "request" and self.ctx.signal_method in _BODILESS_METHODS:
            return "response"
        # No signal at all: documentation shows responses far more often than bodies.
        return self.ctx.signal or "response"

    def current_version(self, url: str | None) -> str:
        """Outlook pages take the section's version; others the URL's."""
        if self.ctx.default_service == "outlook" and self.markdown:
            return self.ctx.version
        return _url_version(url) or self.ctx.version or self._page_url_version()

    # --- samples ------------------------------------------------------------------------

    def add(self, index: int, kind: Kind, body: Any, method: str | None, url: str | None) -> None:
        """Record one parsed body found at a 0-based line index."""
        note = self.annotation if kind == "response" else None
        odata_type = note.get("@odata.type") if note else None
        collection = note.get("isCollection") if note else None
        many = re.fullmatch(r"\s*collection\((?P<inner>[^()]+)\)\s*", odata_type or "", re.IGNORECASE)
        if many:  # "Collection(microsoft.graph.driveItem)": a collection of that type
            odata_type, collection = many.group("inner").strip(), True
        self.samples.append(
            Sample(
                page=self.ctx.page,
                line=index + 1,
                version=self.current_version(url),
                service=_service_of(url) or self.ctx.default_service,
                method=method,
                url=url,
                kind=kind,
                body=body,
                odata_type=odata_type if isinstance(odata_type, str) and odata_type.strip() else None,
                collection=collection if isinstance(collection, bool) else None,
                truncated=bool(note.get("truncated")) if note else False,
            )
        )

    def take_json(self, start: int, col: int, stop: int) -> int:
        """Parse the value starting at (start, col); return the next line index to look at."""
        scan = _scan_json(self.lines, start, col, stop)
        if not scan.closed:
            self.warn(start, "JSON value is not closed (truncated sample)")
            return scan.end_line + 1
        chunk = self.lines[start : scan.end_line + 1]
        chunk = [chunk[0][col:], *chunk[1:]]
        if len(chunk) == 1:
            chunk[0] = chunk[0][: scan.end_col - col]
        else:
            chunk[-1] = chunk[-1][: scan.end_col]
        text = "\n".join(chunk)
        try:
            body = json.loads(text)
        except json.JSONDecodeError as error:
            error_line = start + error.lineno - 1
            self.warn(start, f"invalid JSON ({error.msg} at line {error_line + 1})")
            return scan.end_line + 1
        if self._is_explorer(body):
            self._take_explorer(body, text, start)
        else:
            # The page's annotation of the fence decides; the heuristics serve pages without one.
            block = self.annotation.get("blockType") if self.annotation else None
            kind = block if block in ("request", "response") else self.current_kind()
            self.add(start, kind, body, self.ctx.method, self.ctx.url)
            self.ctx.signal, self.ctx.signal_method = kind, None
        return scan.end_line + 1

    @staticmethod
    def _is_explorer(body: Any) -> bool:
        """Tell an API-explorer descriptor from an ordinary payload."""
        return (
            isinstance(body, dict)
            and isinstance(body.get("method"), str)
            and "requestUrl" in body
            and bool(_EXPLORER_KEYS & body.keys())
        )

    def _take_explorer(self, body: dict[str, Any], text: str, start: int) -> None:
        """Split an API-explorer descriptor into its request and response bodies."""
        method, url = body["method"], body["requestUrl"]
        self.ctx.method, self.ctx.url = method, url
        parts: tuple[tuple[str, Kind], ...] = (("requestBody", "request"), ("responseBody", "response"))
        for key, kind in parts:
            value = body.get(key)
            if value is None or value == "":
                continue
            found = re.search(rf'"{key}"\s*:\s*', text)
            offset = found.end() if found else 0
            self.add(_line_of(text, start, offset), kind, value, method, url)

    # --- walking ------------------------------------------------------------------------

    def walk(self) -> None:
        """Visit the page: fences (Markdown) or the whole text (plain) for JSON values."""
        if self.markdown:
            self._walk_markdown()
        else:
            self._walk_region(0, len(self.lines), in_fence=False)

    def _walk_markdown(self) -> None:
        """Visit text lines for context and payload fences for JSON (blocks from :mod:`generator.mdtree`)."""
        document = self.document or mdtree.parse(self.text)
        skip = [False] * len(self.lines)
        for index in range(document.front_matter):
            skip[index] = True
        fences: dict[int, mdtree.Fence] = {}
        notes: dict[int, dict[str, Any]] = {}
        for block in document.blocks:
            if isinstance(block, mdtree.Comment):
                # A commented-out block is not rendered: its fences are not fences (one
                # translation drops the closing fence inside such a comment).
                for index in range(block.line, block.end):
                    skip[index] = True
                if block.annotation is not None:
                    notes[block.end - 1] = block.annotation
            elif isinstance(block, mdtree.Fence):
                fences[block.line] = block
        index = 0
        annotation: dict[str, Any] | None = None
        while index < len(self.lines):
            if index in notes:
                annotation = notes[index]
            if skip[index]:
                index += 1
                continue
            fence = fences.get(index)
            if fence is None:
                self.note_text(self.lines[index], in_fence=False)
                # An annotation holds for the next fence, across blank lines and tab labels only.
                stripped = self.lines[index].strip()
                if stripped and not re.match(r"^#+\s*\[[^\]]*\]\(#tab/", stripped):
                    annotation = None
                index += 1
                continue
            if not fence.closed:
                self.warn(index, "code fence is never closed")
            if fence.info in _PAYLOAD_FENCES:
                self.annotation = annotation
                block_type = annotation.get("blockType") if annotation else None
                if block_type in ("request", "response"):
                    self.ctx.signal, self.ctx.signal_method = block_type, None
                self._walk_region(index + 1, min(fence.end, len(self.lines)), in_fence=True)
                self.annotation = None
            annotation = None
            index = fence.end + 1

    def _walk_region(self, begin: int, end: int, in_fence: bool) -> None:
        """Look for JSON values between two line indices, noting other lines as context."""
        index = begin
        while index < end:
            col = _json_start(self.lines[index])
            if col is None:
                self.note_text(self.lines[index], in_fence)
                index += 1
            else:
                index = self.take_json(index, col, end)


def extract_samples(
    path: str | Path, text: str | None = None, document: mdtree.Document | None = None
) -> tuple[list[Sample], list[str]]:
    """Return the JSON samples of a reference page and warnings for bodies that do not parse.

    `text` and `document` (the page already read and parsed) spare reading and parsing it again.
    """
    page = Path(path)
    extractor = _Extractor(page.name, page.read_text(encoding="utf-8") if text is None else text, document)
    extractor.walk()
    return extractor.samples, extractor.warnings
