"""The layout of one reference page, for :mod:`generator.spectables`: what each line is.

Markdown pages are parsed by :mod:`generator.mdtree` (a CommonMark parser): headings, pipe
tables, fences with their info strings and HTML comments (whose JSON annotations say what the
fence after them holds) come from its blocks.  Plain-text pages (a rendered page saved as text)
are read line by line: parts start at bare lines such as "HTTP request", a table is a header
line whose words name the columns ("Name Type Description") and the rows under it.

:class:`_Page` finds version sections, titled sections, syntax blocks (templates), request
samples, parameter tables, permission tables, scope statements, prose header lists and stated
statuses; :class:`generator.spectables._Reader` assembles operations from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import mdtree
from . import specvocab as vocab
from .errors import Diagnostics
from .identifiers import wire_name_flaw
from .samples import (
    _DEFAULT_VERSION_MARKER,
    _FENCE,
    _PAYLOAD_FENCES,
    _REQUEST_LINE,
    _SECTION_MARKER,
    _STATUS_LINE,
    _label_kind,
    _normalise_version,
)
from .specmodel import SpecError, SpecHeader, SpecParam, SpecSample
from .spectext import (
    _ANCHOR_TAG,
    _any_word,
    _canonical_header_name,
    _column_kind,
    _default_from_text,
    _first_sentence,
    _first_word,
    _fold,
    _header_name,
    _part_of,
    _permission_scopes,
    _permission_type,
    _plain,
    _required_from_cell,
    _required_from_text,
    _section_of_row,
    _similarity,
    _strip_emphasis,
    _translate_header_value,
)
from .specurls import (
    _PLACEHOLDER,
    _parse_url,
    _Slot,
    _slots,
    _Url,
    read_notation,
)

_BODILESS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})

# --- page layout ---------------------------------------------------------------------------


@attrs.define
class _Fence:
    """A fenced code block: opening line, closing line (len(lines) when never closed), info."""

    start: int
    end: int
    info: str
    annotation: dict[str, Any] | None = None  # the docfx annotation comment above it


@attrs.define(eq=False)
class _VSection:
    """One version section (BEGIN ... END marker pair)."""

    version: str
    begin: int
    end: int


@attrs.define(eq=False)
class _Heading:
    """A heading line: titled headings start a section, part headings name a part of one."""

    index: int
    level: int
    text: str
    anchor: str
    part: str | None
    parent: _Heading | None = None


@attrs.define
class _Row:
    """One parameter row of a table."""

    line: int
    section: str | None  # "url", "query", "header", "body" or None (before any italic row)
    name: str  # as printed, emphasis removed
    type_text: str
    description: str
    value: str  # header value given in the row, "" when none
    required_cell: bool | None
    required_text: bool | None
    default: str | None


@attrs.define(eq=False)
class _Table:
    """A parameter table and where it is."""

    line: int
    rows: list[_Row]
    all_required: bool
    has_type: bool
    title: _Heading | None
    vsection: _VSection | None
    used: bool = False
    part: str | None = None  # the part heading it is under ("query", "body"...), None in a titled section
    sectioned: bool = False  # its rows have a parameter section (from its part or italic rows)


@attrs.define(eq=False)
class _Template:
    """A request line of a syntax block."""

    line: int
    method: str
    raw: str
    url: _Url
    slots: list[_Slot]
    headers: list[SpecHeader]
    optional: list[tuple[str, str]] = attrs.Factory(list)  # optional query options ("[?includeIDs=true]")


@attrs.define(eq=False)
class _Group:
    """The syntax fences of one titled section inside one version section, and their tables."""

    title: _Heading | None
    vsection: _VSection | None
    templates: list[_Template] = attrs.Factory(list)
    tables: list[_Table] = attrs.Factory(list)
    start: int = 0  # line index of the first syntax line
    end: int = 0  # line index where what the page says about the block ends
    url_rows: list[_Row] = attrs.Factory(list)
    query_rows: list[_Row] = attrs.Factory(list)  # query table rows naming no option of the request line
    header_rows: list[_Row] = attrs.Factory(list)
    body_rows: list[_Row] = attrs.Factory(list)
    by_slot: dict[str, _Row] = attrs.Factory(dict)  # slot key -> its table row


@attrs.define(eq=False)
class _SampleRequest:
    """A request line shown as an example (or an API-explorer descriptor)."""

    line: int
    method: str | None
    url: str
    headers: list[SpecHeader]
    body: Any
    title: _Heading | None
    vsection: _VSection | None
    explorer: bool = False


@attrs.define(eq=False)
class _Op:
    """An operation while it is being assembled."""

    group: _Group
    template: _Template
    version: str
    host: str
    prefix: str
    samples: list[SpecSample] = attrs.Factory(list)
    request_bodies: list[Any] = attrs.Factory(list)


@attrs.frozen
class _Context:
    """What the whole page says, needed to finish each operation."""

    body_names: dict[int, str]  # id(body row) -> canonical name
    prose_headers: list[tuple[int, SpecHeader]]
    scopes: list[tuple[int, list[str]]]
    code_values: dict[str, list[str]]


_HEADING = re.compile(r"^\s{0,3}(?P<hashes>#{1,6})(?!#)\s*(?P<text>.*?)\s*#*\s*$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_UNSPACED_HEADING = re.compile(r"^\s{0,3}(?P<hashes>#{1,6})(?P<text>[^#\s].*)$")
_BULLET = re.compile(r"^\s*[-*+•]\s+(?P<text>.*)$")
_HEADER_LINE = re.compile(r"^(?P<name>[A-Za-z][\w-]*)\s*:\s*(?P<value>\S.*)$")
_EXPLORER_STATUS = re.compile(r'"statusCode"\s*:\s*(?P<code>\d{3})')
# A three-digit code standing alone: not part of a date, a version, a size or a longer number.
_CODE_NUMBER = re.compile(r"(?<![\w.:/=-])(?P<code>[1-5]\d\d)(?!\w)(?![.:/-]\w)")
_PERMISSION_TOKEN = re.compile(r"(?<![\w.])(?P<scope>[A-Z][A-Za-z]*(?:\.[A-Z][A-Za-z]*)+)(?![\w.])")
_NAMESPACE_WORDS = ("namespace", "espace de noms", "名前空間")
_FRAMING_HEADERS = frozenset({"Content-Length", "Transfer-Encoding"})
_PART_SECTIONS = {"headers": "header", "path": "url", "query": "query", "body": "body"}


class _Page:
    """One page's layout and what it states, line by line; warnings go to the diagnostics."""

    def __init__(self, page: str, path: Path, text: str, diagnostics: Diagnostics) -> None:
        self.page = page
        self.path = path
        self.lines = text.splitlines()
        self.diagnostics = diagnostics
        self.hidden = [False] * len(self.lines)
        self.fence_of: list[_Fence | None] = [None] * len(self.lines)
        self.vsection_of: list[_VSection | None] = [None] * len(self.lines)
        self.headings: list[_Heading] = []
        self.title_of: list[_Heading | None] = [None] * len(self.lines)
        self.heading_at: dict[int, _Heading] = {}
        self.markdown = False
        self.text = text
        self.document: mdtree.Document | None = None
        self.annotation_at: dict[int, dict[str, Any]] = {}  # last line of an annotation comment -> its JSON
        self.table_at: dict[int, mdtree.Table] = {}
        self.heading_block_at: dict[int, mdtree.Heading] = {}
        #: Permissions tables: (line index, scopes by permission type).
        self.permissions: list[tuple[int, dict[str, tuple[str, ...]]]] = []
        self.unspaced: list[int] = []  # lines of headings written without a space after their #s
        self.default_version = ""
        self.warned: set[tuple[int | None, str]] = set()

    # --- messages ------------------------------------------------------------------------

    def warn(self, index: int | None, message: str) -> None:
        """Record a warning at a 0-based line index (once per line and message)."""
        line = None if index is None else index + 1
        if (line, message) in self.warned:
            return
        self.warned.add((line, message))
        self.diagnostics.warn(message, source=self.page, line=line)

    # --- layout --------------------------------------------------------------------------

    def layout(self) -> None:
        """Find comments, fences, tables, version sections and headings."""
        self.markdown = any(
            _FENCE.match(line) or _TABLE_DELIMITER.match(line) or _HEADING.match(line) for line in self.lines
        )
        for line in self.lines:
            marker = _DEFAULT_VERSION_MARKER.search(line)
            if marker:
                self.default_version = _normalise_version(marker.group("version"))
                break
        if self.markdown:
            self._markdown_layout(self.document or mdtree.parse(self.text))
        self._version_sections()
        self._headings()

    def _markdown_layout(self, document: mdtree.Document) -> None:
        """What each line of a Markdown page is, from its CommonMark blocks."""
        self.document = document
        for index in range(document.front_matter):
            self.hidden[index] = True
        for block in document.blocks:
            if isinstance(block, mdtree.Comment):
                # A commented-out block is not rendered, so nothing in it counts (one
                # translation leaves an unclosed fence inside such a comment).
                for index in range(block.line, block.end):
                    self.hidden[index] = True
                if block.annotation is not None:
                    self.annotation_at[block.end - 1] = block.annotation
            elif isinstance(block, mdtree.Fence):
                if not block.closed:
                    self.warn(block.line, "code fence is never closed")
                fence = _Fence(block.line, block.end, block.info)
                fence.annotation = self._annotation_before(block.line)
                for index in range(block.line, min(block.end + 1, len(self.lines))):
                    self.fence_of[index] = fence
            elif isinstance(block, mdtree.Table):
                self.table_at[block.line] = block
            elif isinstance(block, mdtree.Heading):
                self.heading_block_at[block.line] = block
            elif isinstance(block, mdtree.Text):
                self._unspaced_headings(block)
        if self.unspaced:
            more = f" (and {len(self.unspaced) - 1} more)" if len(self.unspaced) > 1 else ""
            self.warn(
                self.unspaced[0],
                f"heading written without a space after its # signs{more}: not a heading to CommonMark; "
                "read as a heading",
            )

    def _unspaced_headings(self, block: mdtree.Text) -> None:
        """Prose lines written as headings without the space CommonMark needs (``###<a name=...>Title``)."""
        for index in range(block.line, block.end):
            match = _UNSPACED_HEADING.match(self.lines[index])
            if match and not self.hidden[index]:
                text = match.group("text").strip()
                level = len(match.group("hashes"))
                self.heading_block_at[index] = mdtree.Heading(index, index + 1, level, text, False)
                self.unspaced.append(index)

    def _annotation_before(self, index: int) -> dict[str, Any] | None:
        """The annotation comment right above a fence (blank lines and tab labels between allowed)."""
        for earlier in range(index - 1, max(-1, index - 4), -1):
            if earlier in self.annotation_at:
                return self.annotation_at[earlier]
            if self.lines[earlier].strip() and not self.hidden[earlier]:
                return None
        return None

    def _version_sections(self) -> None:
        """Mark each line with the version section it is in."""
        current: _VSection | None = None
        for index, text in enumerate(self.lines):
            if self.hidden[index] or self.fence_of[index]:
                self.vsection_of[index] = current
                continue
            marker = _SECTION_MARKER.search(text)
            if marker:
                version = _normalise_version(marker.group("version"))
                if marker.group("edge").upper() == "BEGIN":
                    if current is not None:
                        self.warn(index, f"version section {version} begins inside the {current.version} section")
                        current.end = index
                    current = _VSection(version, index, len(self.lines))
                else:
                    if current is None or current.version != version:
                        self.warn(index, f"END marker of the {version} section without its BEGIN marker")
                    if current is not None:
                        current.end = index
                    current = None
                self.vsection_of[index] = None
                continue
            self.vsection_of[index] = current
        if current is not None:
            self.warn(current.begin, f"version section {current.version} is never ended")

    def _visible_text(self, index: int) -> bool:
        """Whether a line is rendered prose (not hidden, not inside a fence)."""
        return not self.hidden[index] and self.fence_of[index] is None

    def _headings(self) -> None:
        """Find headings (Markdown ones, or plain-text part names) and each line's section."""
        pending_anchor = ""
        stack: list[_Heading] = []
        for index, text in enumerate(self.lines):
            if not self._visible_text(index):
                self.title_of[index] = stack[-1] if stack else None
                continue
            stripped = text.strip()
            anchor_only = _ANCHOR_TAG.fullmatch(stripped)
            if anchor_only:
                pending_anchor = anchor_only.group(1).strip()
            heading: _Heading | None = None
            if self.markdown:
                block = self.heading_block_at.get(index)
                if block is not None and block.text.strip() and not block.tab:
                    inline = _ANCHOR_TAG.search(block.text)
                    title = _strip_emphasis(_ANCHOR_TAG.sub("", block.text.strip().rstrip("#").strip()))
                    heading = _Heading(
                        index,
                        block.level,
                        title,
                        pending_anchor or (inline.group(1) if inline else ""),
                        _part_of(title),
                    )
            elif stripped and _part_of(stripped):
                heading = _Heading(index, 2, stripped, "", _part_of(stripped))
            if heading is not None:
                self.headings.append(heading)
                self.heading_at[index] = heading
                if heading.part is None:
                    while stack and stack[-1].level >= heading.level:
                        stack.pop()
                    heading.parent = stack[-1] if stack else None
                    stack.append(heading)
                pending_anchor = ""
            elif stripped and not anchor_only:
                pending_anchor = ""
            self.title_of[index] = stack[-1] if stack else None

    def _part_at(self, index: int) -> str | None:
        """The part heading in effect at a line (the latest heading, when it names a part)."""
        for heading in reversed(self.headings):
            if heading.index < index:
                return heading.part
        return None

    def _under_syntax(self, index: int) -> bool:
        """Whether a line is in a titled subsection of an "HTTP request" part (``## HTTP request`` /
        ``### Get the photo``)."""
        own, parent = self._parts_above(index)
        return own is None and parent == "syntax"

    def _in_examples(self, index: int) -> bool:
        """Whether a line's part heading sits in an "Example" part (``## Example`` / ``### HTTP request``)."""
        return self._parts_above(index)[1] == "examples"

    def _parts_above(self, index: int) -> tuple[str | None, str | None]:
        """The part of the heading a line is under, and of the first heading of a higher level above that one."""
        earlier = [heading for heading in self.headings if heading.index < index]
        if not earlier:
            return None, None
        level = earlier[-1].level
        parent = next((heading.part for heading in reversed(earlier[:-1]) if heading.level < level), None)
        return earlier[-1].part, parent

    def _page_title(self) -> str:
        """The title of a page without Markdown headings (plain text)."""
        visible = [line.strip() for line in self.lines if line.strip()]
        for position, line in enumerate(visible):
            if position and _any_word(_fold(line.split(":")[0]), _NAMESPACE_WORDS) and ":" in line:
                return visible[position - 1]
        return visible[0] if visible else ""

    # --- syntax blocks -------------------------------------------------------------------

    def _request(self, text: str) -> tuple[str, str] | None:
        """(method, url) when a line is a request line."""
        match = _REQUEST_LINE.match(text.strip())
        if not match:
            return None
        return match.group("method"), match.group("url").strip()

    def _following_headers(self, start: int, stop: int) -> tuple[list[SpecHeader], int]:
        """Header lines right after a request line; returns them and the next line index."""
        headers: list[SpecHeader] = []
        index = start
        while index < stop:
            stripped = self.lines[index].strip()
            if not stripped:
                # Pages put blank lines between a request line and its headers; past a blank
                # line only a header this reader knows counts (not "Note: ..." prose).
                later = next((i for i in range(index, stop) if self.lines[i].strip()), stop)
                following = _HEADER_LINE.match(self.lines[later].strip()) if later < stop else None
                if following is None or _header_name(following.group("name")) is None:
                    break
                index = later
                continue
            match = _HEADER_LINE.match(stripped)
            if not match or self._request(stripped):
                break
            name = _canonical_header_name(match.group("name"))
            headers.append(SpecHeader(name, _translate_header_value(match.group("value").strip()), index + 1))
            index += 1
        return headers, index

    def collect(self) -> tuple[list[_Template], list[_SampleRequest], list[_Table]]:
        """Walk the page for syntax lines, sample request lines and parameter tables."""
        templates: list[_Template] = []
        samples: list[_SampleRequest] = []
        tables: list[_Table] = []
        index = 0
        while index < len(self.lines):
            fence = self.fence_of[index]
            if self.hidden[index]:
                index += 1
                continue
            if fence is not None:
                self._collect_fence(fence, templates, samples)
                index = fence.end + 1
                continue
            stripped = self.lines[index].strip()
            table = self.table_at.get(index)
            if table is not None:
                self._collect_markdown_table(table, tables)
                index = table.end
                continue
            if not self.markdown:
                header_columns = self._plain_table_header(index)
                if header_columns is not None:
                    index = self._collect_plain_table(index, header_columns, tables)
                    continue
            request = self._request(stripped)
            if request:
                headers, after = self._following_headers(index + 1, len(self.lines))
                if self._part_at(index) == "syntax":
                    templates.append(self._template(index, request, headers))
                else:
                    samples.append(self._sample(index, request[0], request[1], headers))
                index = after
                continue
            index += 1
        return templates, samples, tables

    def _label_before(self, index: int) -> str | None:
        """The sample label (request/response) of the nearest text line above a fence."""
        for earlier in range(index - 1, max(-1, index - 6), -1):
            if not self._visible_text(earlier):
                return None
            stripped = self.lines[earlier].strip()
            if not stripped:
                continue
            return _label_kind(stripped, in_markdown=True)
        return None

    def _collect_fence(self, fence: _Fence, templates: list[_Template], samples: list[_SampleRequest]) -> None:
        """Read a fenced block as a syntax block, request samples or an API-explorer exchange."""
        if fence.info not in _PAYLOAD_FENCES:
            return
        inside = range(fence.start + 1, min(fence.end, len(self.lines)))
        requests = [(index, self._request(self.lines[index])) for index in inside]
        found = [(index, request) for index, request in requests if request]
        if not found:
            self._collect_bare_or_explorer(fence, samples)
            return
        # The page's annotation decides first: a response holds no request line, an example request
        # outside the "HTTP request" part is a sample; heuristics serve fences without one.
        block_type = fence.annotation.get("blockType") if fence.annotation else None
        if block_type == "response":
            return
        part = self._part_at(fence.start)
        example = part in ("request", "examples", "response") or self._in_examples(fence.start)
        syntax = (
            fence.info == "no-highlight"
            or (
                (part == "syntax" or self._under_syntax(fence.start))
                and not (block_type == "request" and self._in_examples(fence.start))
            )
            # docfx marks the syntax blocks "ignored" (not an example to test), outside the examples.
            or (block_type == "ignored" and not example)
            or (
                block_type != "request"
                and not example
                and all(_PLACEHOLDER.search(request[1]) for _, request in found)
                and self._label_before(fence.start) is None
            )
        )
        for index, request in found:
            headers, _ = self._following_headers(index + 1, fence.end)
            if syntax:
                templates.append(self._template(index, request, headers))
            else:
                samples.append(self._sample(index, request[0], request[1], headers))

    def _collect_bare_or_explorer(self, fence: _Fence, samples: list[_SampleRequest]) -> None:
        """A fence holding only a URL (a sample without method) or an API-explorer descriptor."""
        body_lines = self.lines[fence.start + 1 : min(fence.end, len(self.lines))]
        content = "\n".join(body_lines).strip()
        if re.fullmatch(r"https?:/+\S+", content):
            index = fence.start + 1 + next(i for i, line in enumerate(body_lines) if line.strip())
            samples.append(self._sample(index, None, content, []))
            return
        if not content.startswith("{") or '"requestUrl"' not in content:
            return
        try:
            descriptor = json.loads(content)
        except json.JSONDecodeError:
            return  # the sample extractor reports invalid JSON
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("method"), str):
            return
        url = descriptor.get("requestUrl")
        if not isinstance(url, str):
            return
        line = fence.start + 1 + next((i for i, text in enumerate(body_lines) if '"requestUrl"' in text), 0)
        headers = [
            SpecHeader(_canonical_header_name(name), str(value), line + 1)
            for name, value in (descriptor.get("requestHeaders") or {}).items()
        ]
        body = descriptor.get("requestBody")
        sample = self._sample(line, descriptor["method"].upper(), url, headers)
        sample.body = None if body in (None, "") else body
        sample.explorer = True
        samples.append(sample)

    def _template(self, index: int, request: tuple[str, str], headers: list[SpecHeader]) -> _Template:
        """Build a template from a syntax request line."""
        method, raw = request
        written, optional, _ = read_notation(raw)
        url = _parse_url(written)
        url.query = [(name, value) for name, value in url.query if self._query_name_ok(index, name)]
        slots = [slot for slot in _slots(url) if slot.location != "query" or self._query_name_ok(index, slot.name)]
        optional = [(name, value) for name, value in optional if self._query_name_ok(index, name)]
        return _Template(index + 1, method, raw, url, slots, headers, optional)

    def _sample(self, index: int, method: str | None, url: str, headers: list[SpecHeader]) -> _SampleRequest:
        """Build a sample request found at a line index."""
        return _SampleRequest(index + 1, method, url, headers, None, self.title_of[index], self.vsection_of[index])

    # --- names ---------------------------------------------------------------------------
    # The names a page hands on (query options, preferences, parameters) become wire names,
    # Python names and docstrings of generated code, so they are checked here, where page and
    # line are known (generator.identifiers.wire_name_flaw says what a name may hold).  A name
    # holding a quote, a backslash, a control or formatting character, or over 128 characters
    # long is refused wherever it is.  Otherwise tables are prose: a row whose first cell is not
    # a name (a permissions table's "Delegated (work or school account)", a list of URL values)
    # is skipped with a warning.  Request lines are code: a query option name with whitespace,
    # or empty, is refused; one holding other characters (the "?requiresReview:{Boolean}"
    # typo of a real page) is dropped with a warning.

    def _table_name_ok(self, index: int, name: str) -> bool:
        """Whether a table row's name can be a parameter name; raises for a hostile one."""
        flaw = wire_name_flaw(name)
        if flaw is None:
            return True
        if flaw.hostile:
            raise SpecError(
                f"table row name {name!r} is not a parameter name: {flaw.detail}", page=self.page, line=index + 1
            )
        self.warn(index, f"table row name {name!r} is not a parameter name ({flaw.detail}); row skipped")
        return False

    def _query_name_ok(self, index: int, name: str) -> bool:
        """Whether a request line's query option name can be one; raises for a hostile or blank one."""
        if re.fullmatch(r"\{[^{}]*\}", name):
            return True  # "?{query}": the placeholder stands for options; its slot is checked
        flaw = wire_name_flaw(name)
        if flaw is None:
            return True
        if flaw.hostile or flaw.blank:
            raise SpecError(f"query option name {name!r} is not a name: {flaw.detail}", page=self.page, line=index + 1)
        self.warn(index, f"query option name {name!r} is not a name ({flaw.detail}); option dropped")
        return False

    def _check_preferences(self, headers: Iterable[SpecHeader], params: Iterable[SpecParam], line: int) -> None:
        """Refuse a `Prefer` preference name that is hostile, or blank where written ``name=value``."""
        values: list[tuple[str | None, int]] = [(h.value, h.line) for h in headers if h.name.lower() == "prefer"]
        values += [(p.default, p.line) for p in params if p.location == "header" and p.name.lower() == "prefer"]
        for value, where in values:
            for part in (value or "").split(","):
                part = part.strip()
                if not part or part.startswith("{"):
                    continue  # no preference, or a placeholder standing for one
                name = part.partition("=")[0].strip()
                flaw = wire_name_flaw(name)
                # Prose without "=" ("Time zone") names no preference: merge finds none in it.
                if flaw is not None and (flaw.hostile or (flaw.blank and "=" in part)):
                    raise SpecError(
                        f"Prefer preference name {name!r} is not a name: {flaw.detail}",
                        page=self.page,
                        line=where or line,
                    )

    # --- tables --------------------------------------------------------------------------

    def _collect_markdown_table(self, table: mdtree.Table, tables: list[_Table]) -> None:
        """Read a pipe table of the page's blocks."""
        if table.swallowed is not None:
            self.warn(
                table.swallowed,
                "no blank line between a table and the prose after it (a renderer shows the prose as a "
                "table row); read as prose",
            )
        header = list(table.header)
        if self._permissions_table(table):
            return
        if self._part_at(table.line) in ("response", "examples", "request", "permissions"):
            return  # a table of an example or of the response documents values, not parameters
        kinds = [_column_kind(cell) for cell in header]
        columns: dict[str, int] = {}
        all_required = False
        for position, (kind, says_required) in enumerate(kinds):
            if kind and kind not in columns:
                columns[kind] = position
            all_required = all_required or says_required
        if "name" not in columns:
            if not any(kind for kind, _ in kinds):
                return  # not a parameter table (no column this reader knows)
            columns["name"] = 0
        rows: list[list[str]] = [mdtree.split_cells(self.lines[row]) for row in table.rows]
        self._add_table(table.line, columns, len(header), all_required, rows, list(table.rows), tables)

    def _permissions_table(self, table: mdtree.Table) -> bool:
        """Read a permissions table (by its header, or by its rows' first cells, in any language) into
        ``self.permissions``: scopes by permission type, never parameters."""
        first = _fold(_plain(table.header[0])) if table.header else ""
        rows = [mdtree.split_cells(self.lines[row]) for row in table.rows]
        kinds = [_permission_type(cells[0]) if cells else None for cells in rows]
        by_header = any(_fold(word) in first for word in vocab.PERMISSION_HEADER_WORDS)
        if not by_header and not (kinds and all(kinds)):
            return False
        found: dict[str, tuple[str, ...]] = {}
        for cells, kind in zip(rows, kinds, strict=True):
            if kind is None or len(cells) < 2:
                continue
            scopes = _permission_scopes(cells[1])
            found[kind] = tuple(dict.fromkeys((*found.get(kind, ()), *scopes)))
        self.permissions.append((table.line, found))
        return True

    def _plain_table_header(self, index: int) -> dict[str, int] | None:
        """Column positions when a plain-text line is a table header ("Name Type Description")."""
        stripped = self.lines[index].strip()
        if not stripped or self._part_at(index) not in ("headers", "path", "query", "body"):
            return None
        words = stripped.split()
        columns: dict[str, int] = {}
        position = 0
        column = 0
        while position < len(words):
            for size in (3, 2, 1):
                phrase = " ".join(words[position : position + size])
                kind, _ = _column_kind(phrase) if len(words[position : position + size]) == size else (None, False)
                if kind and (
                    size == 1 or _fold(phrase) in {_fold(w) for ws in vocab.COLUMN_WORDS.values() for w in ws}
                ):
                    columns.setdefault(kind, column)
                    column += 1
                    position += size
                    break
            else:
                return None
        if "name" not in columns or len(columns) < 2:
            return None
        return columns

    def _collect_plain_table(self, index: int, columns: dict[str, int], tables: list[_Table]) -> int:
        """Read the whitespace-separated rows under a plain-text table header."""
        rows: list[list[str]] = []
        lines: list[int] = []
        row = index + 1
        while row < len(self.lines):
            stripped = self.lines[row].strip()
            if not stripped or row in self.heading_at:
                break
            rows.append(self._plain_cells(stripped, columns))
            lines.append(row)
            row += 1
        self._add_table(index, columns, len(columns), False, rows, lines, tables)
        return row

    def _plain_cells(self, text: str, columns: dict[str, int]) -> list[str]:
        """Split a plain-text row into as many cells as the header has columns."""
        count = len(columns)
        name, rest = _first_word(text)
        # "Prefer: outlook.timezone string ..." names a header together with its value.
        if name.endswith(":") and rest:
            value, rest = _first_word(rest)
            name = f"{name} {value}"
        cells = [name]
        order = sorted(columns.items(), key=lambda item: item[1])
        for kind, _ in order[1:]:
            if len(cells) == count - 1 or kind not in ("type", "required"):
                cells.append(rest)
                rest = ""
                continue
            token, rest = _first_word(rest)
            cells.append(token)
        while len(cells) < count:
            cells.append("")
        return cells

    def _add_table(
        self,
        index: int,
        columns: dict[str, int],
        width: int,
        all_required: bool,
        rows: Sequence[list[str]],
        row_lines: Sequence[int],
        tables: list[_Table],
    ) -> None:
        """Turn table cells into rows, following the italic section rows."""
        # Under a "Request headers" (or "Path parameters"...) part, rows belong to that part
        # until an italic row says otherwise.
        section = _PART_SECTIONS.get(self._part_at(index) or "")
        parsed: list[_Row] = []
        for cells, row_index in zip(rows, row_lines, strict=True):
            filled = [cell for cell in cells if _strip_emphasis(cell)]
            if len(filled) <= 1 and cells and _strip_emphasis(cells[0]):
                kind = _section_of_row(cells[0])
                if kind is not None:
                    section = kind
                    continue
                if re.match(r"^\s*[_*]|.*[_*]\s*$", cells[0]):
                    self.warn(row_index, f"table row '{_strip_emphasis(cells[0])}' names no known parameter section")
                    continue
                # Otherwise a parameter row that lost its other cells (warned about below).
            if not filled:
                continue
            if len(cells) < width:
                self.warn(row_index, f"table row has {len(cells)} cells, the table has {width} columns")
            elif len(cells) > width and any(_strip_emphasis(cell) for cell in cells[width:]):
                self.warn(row_index, f"table row has {len(cells)} cells, the table has {width} columns")

            def cell(kind: str, cells: list[str] = cells) -> str:
                position = columns.get(kind)
                return cells[position] if position is not None and position < len(cells) else ""

            description = cell("description")
            value = cell("value")
            name = _plain(cell("name"))
            header_value = ""
            if ":" in name:
                name, _, header_value = name.partition(":")
                name, header_value = name.strip(), header_value.strip()
            flaw = wire_name_flaw(name) if section == "query" else None
            if flaw is not None and not flaw.hostile:
                continue  # a query part's table also lists values ("Microsoft Cloud App Security")
            if not self._table_name_ok(row_index, name):
                continue
            parsed.append(
                _Row(
                    line=row_index + 1,
                    section=section,
                    name=name,
                    type_text=cell("type"),
                    description=_plain(description or value),
                    value=header_value or _first_sentence(_plain(value)),
                    required_cell=_required_from_cell(cell("required")) if "required" in columns else None,
                    required_text=_required_from_text(_plain(description or value)),
                    default=_default_from_text(description or value),
                )
            )
        if not parsed:
            return
        tables.append(
            _Table(
                line=index + 1,
                rows=parsed,
                all_required=all_required,
                has_type="type" in columns,
                title=self.title_of[index],
                vsection=self.vsection_of[index],
                part=self._part_at(index),
                sectioned=any(row.section is not None for row in parsed),
            )
        )

    # --- scopes, prose headers, statuses ---------------------------------------------------

    def scope_statements(self) -> list[tuple[int, list[str]]]:
        """Permission scopes stated on the page, with the line index they are stated at."""
        statements: list[tuple[int, list[str]]] = []
        index = 0
        while index < len(self.lines):
            if not self._visible_text(index):
                index += 1
                continue
            stripped = self.lines[index].strip()
            label = re.match(r"^[_*]*\*\*(?P<label>[^*]+)\*\*\s*(?P<rest>.*)$", stripped)
            if label and _any_word(_fold(label.group("label")), vocab.SCOPE_LABEL_WORDS):
                rest = _strip_emphasis(label.group("rest").lstrip(" :：")).rstrip(" :：")
                scopes = [rest] if re.fullmatch(r"\S+[./]\S+", rest) else []
                after = index + 1
                while after < len(self.lines) and self._visible_text(after):
                    bullet = _BULLET.match(self.lines[after])
                    if not bullet:
                        break
                    scopes.append(_strip_emphasis(bullet.group("text")))
                    after += 1
                if scopes:
                    statements.append((index, scopes))
                index = after
                continue
            if index in self.heading_at and self.heading_at[index].part == "permissions":
                scopes = []
                after = index + 1
                while after < len(self.lines) and after not in self.heading_at:
                    if self._visible_text(after):
                        for match in _PERMISSION_TOKEN.finditer(self.lines[after]):
                            if match.group("scope") not in scopes:
                                scopes.append(match.group("scope"))
                    after += 1
                if scopes:
                    statements.append((index, scopes))
                index = after
                continue
            index += 1
        return statements

    def prose_headers(self, code_values: dict[str, list[str]]) -> list[tuple[int, SpecHeader]]:
        """Headers named in a "Request headers" list of prose ("Prefer: odata.maxpagesize={x}")."""
        found: list[tuple[int, SpecHeader]] = []
        for index, text in enumerate(self.lines):
            if not self._visible_text(index) or _part_of(text) != "headers":
                continue
            after = index + 1
            while after < len(self.lines) and not self.lines[after].strip():
                after += 1
            while after < len(self.lines) and self._visible_text(after):
                bullet = _BULLET.match(self.lines[after])
                if not bullet:
                    break
                for quoted in re.findall(r"«\s*([^»]+?)\s*»|\"([^\"]+)\"|“([^”]+)”", bullet.group("text")):
                    mention = next(part for part in quoted if part)
                    match = re.match(r"^(?P<name>[^:：]+?)\s*[:：]\s*(?P<value>\S.*)$", mention.strip())
                    if not match or _header_name(match.group("name")) is None:
                        continue
                    name = _canonical_header_name(match.group("name"))
                    value = self._code_spelling(after, name, match.group("value").strip(), code_values)
                    found.append((after, SpecHeader(name, value, after + 1)))
                after += 1
        return found

    def _code_spelling(self, index: int, name: str, value: str, code_values: dict[str, list[str]]) -> str:
        """A header value from prose, spelled as the page's code spells it when it can be told."""
        known = code_values.get(name, [])
        for candidate in known:
            if _fold(candidate) == _fold(value):
                return candidate
        if _PLACEHOLDER.search(value):
            return value
        token = value.split("=")[0]
        scored = sorted(((_similarity(token, k.split("=")[0]), k.split("=")[0]) for k in known), reverse=True)
        if scored and scored[0][0] >= 0.7:
            self.warn(
                index,
                f"the prose names the header value '{value}', which the page's code spells "
                f"'{scored[0][1]}'; the code spelling is used",
            )
            return scored[0][1]
        self.warn(index, f"header value '{value}' appears in no code block of the page; kept as written")
        return value

    def status_at(self, index: int) -> int | None:
        """The HTTP status a line states, if it states one."""
        if self.hidden[index]:
            return None
        text = self.lines[index]
        explorer = _EXPLORER_STATUS.search(text)
        if explorer:
            return int(explorer.group("code"))
        stripped = text.strip()
        if _STATUS_LINE.match(stripped):
            number = re.search(r"\b([1-5]\d\d)\b", stripped.split(":", 1)[-1] if ":" in stripped else stripped)
            return int(number.group(1)) if number else None
        if self.fence_of[index] is not None or stripped.startswith(("|", "#")) or index in self.heading_at:
            return None
        folded = _fold(stripped)
        if not _any_word(folded, vocab.STATUS_WORDS):
            return None
        number = _CODE_NUMBER.search(stripped)
        return int(number.group("code")) if number else None
