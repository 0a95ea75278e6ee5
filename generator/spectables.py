"""Read API reference pages ("spec tables") into :class:`~generator.specmodel.SpecOperation`.

A reference page documents each operation with a *syntax block* (request lines with
placeholders), a *parameter table*, permission scopes and examples.  Two page shapes are read:

* Markdown sources.  Syntax blocks are fences whose request lines are templates: a
  ``no-highlight`` fence, a fence under an "HTTP request" heading, or a fence where every
  request line has a ``{placeholder}``.  Parameter tables are pipe tables that italic rows
  (``|_URL parameters_|``, ``|_Body parameters_|``, ``|_Header parameters_|``) split into
  parts.  Version sections (``[!INCLUDE [BEGIN Outlook v2 section](...)]``, as in
  :mod:`generator.samples`) say which API version a block documents.
* Plain text (a rendered page saved as text).  Parts start at bare lines such as
  "HTTP request", "Request headers", "Permissions"; a table is a header line whose words name
  the columns ("Name Type Description") and the rows under it, split on whitespace.

What the reader decides, and why:

* One operation per request line of a syntax block.  A line that repeats an operation already
  read (same version, method, prefix, path and query) and brings no table of its own, such as a
  client-library section pointing back at the REST syntax, adds nothing.  Every other request
  line is a sample: it is attached to the operation whose template it matches, looked for in
  the same version section, then the same titled section, then the whole page.
* The version is the version section's, else the URL's.  A URL naming another version than
  its section is filed under the section (the page says the operation belongs there) and
  warned about.
* A URL is split into host, prefix (the segments up to and including the version segment,
  kept as written, so ``/api/{version}`` stays) and path.  Key syntax ``('{x}')`` or ``({x})``
  becomes a ``/{x}`` segment.  A placeholder listing alternatives, ``{id | userPrincipalName}``,
  becomes its first alternative ``{id}`` (the key proper; the alternate key is an OData alternate
  key of the same segment), and ``written`` keeps the printed text.  Names that repeat in one
  path (Graph's ``/users/{id}/calendars/{id}``) are kept, in URL order.  Relative templates
  (``POST /me/events``) take host and prefix from the page's absolute request lines.
* A URL parameter is named after its placeholder, or after the query option or function
  parameter whose value it is (``startDateTime={start_datetime}`` gives ``startDateTime``).
  Table rows are matched to those names exactly (placeholder or owner name, any case), then,
  between exactly matched rows, in order when the gap holds as many rows as names (the
  tables list parameters in URL order), then by similarity (:mod:`difflib`) when one name
  stands out.  Body rows are matched to the keys of the operation's request samples the same
  way, with the JSON value's type as a constraint (a ``Collection(...)`` row only pairs with
  an array, a boolean with a boolean...).  A pair that is not exact needs evidence: similar
  names, a printed name that is prose rather than code (a translation: "Commentaire",
  "ID_événement", "名前"), or a telling JSON type; a code-like name that resembles nothing
  offered ("shelf_id" next to ``{part_id}``) is not taken for it.  A body row left over takes
  the name the same printed name got in another version of the same section; a name printed
  as a JSON key somewhere on the page is taken as is; a name reconciled in another section is
  reused with a warning; otherwise the printed name is kept and a warning says so.
* Headers: header rows of the tables (a ``Prefer`` row's second column is the preference),
  header lines of syntax blocks, ``Name: value`` mentions in a "Request headers" list, and the
  headers of the samples; a value is spelled as the page's code spells it.
* Requirement: a "Required?" column, else words in the description ("Obligatoire",
  "省略可"...), else a table heading that says every parameter is required ("Required
  parameter") for URL and body rows.  Path parameters are always required; a header row only
  when its own row says so (RFC 7240 lets servers ignore ``Prefer``, so a table heading does
  not make it mandatory).
* Status: the first 2xx status the page states for the block (status lines, prose such as
  "HTTP 202", API-explorer ``statusCode``), from the syntax block to the end of its version
  section or the next syntax block.

Problems are warnings in a :class:`~generator.errors.Diagnostics` with page and line; a page
that cannot be read at all (missing, not UTF-8, empty) or that hands on a name no wire name may
be (a quote, a backslash, a control or formatting character, whitespace in a request line's
query option or a ``name=value`` preference; see ``_Reader._table_name_ok`` and the two checks
after it) raises :class:`SpecError`.
Every vocabulary (EN/FR/JA) is in :mod:`generator.specvocab`.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import specvocab as vocab
from .errors import Diagnostics
from .identifiers import wire_name_flaw

# The conventions shared with the sample extractor: request and status lines, fences,
# comments, version sections and sample labels.
from .samples import (
    _COMMENT_START,
    _DEFAULT_VERSION_MARKER,
    _FENCE,
    _PAYLOAD_FENCES,
    _REQUEST_LINE,
    _SECTION_MARKER,
    _STATUS_LINE,
    Sample,
    _label_kind,
    _normalise_version,
    extract_samples,
)
from .specmodel import Location, SpecError, SpecHeader, SpecOperation, SpecParam, SpecSample

__all__ = ["read_page", "read_pages", "split_url"]

_BODILESS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})

# --- text helpers ------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower-case text with Latin accents and typographic apostrophes removed, for lookups."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("\u00a0", " ").lower()
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        # Only Latin accents go: Japanese voiced marks are combining characters too.
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def _squash(text: str) -> str:
    """Letters and digits only, folded: what similarity between two names is measured on."""
    return re.sub(r"[\W_]+", "", _fold(text))


def _similarity(a: str, b: str) -> float:
    """Similarity of two names in [0, 1] (difflib ratio of their squashed forms)."""
    left, right = _squash(a), _squash(b)
    if not left or not right:
        return 0.0
    return difflib.SequenceMatcher(None, left, right).ratio()


def _has_word(folded: str, word: str) -> bool:
    """Whether a folded text contains a vocabulary word (whole words for Latin script)."""
    word = _fold(word)
    if not word:
        return False
    if word.isascii() or all(unicodedata.name(c, "").startswith("LATIN") or not c.isalpha() for c in word):
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", folded) is not None
    return word in folded


def _any_word(folded: str, words: Iterable[str]) -> bool:
    """Whether any of the words occurs in the folded text."""
    return any(_has_word(folded, word) for word in words)


_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_CODE_SPAN = re.compile(r"`+([^`]*)`+")
_ANCHOR_TAG = re.compile(r"<a\s+name\s*=\s*\"([^\"]*)\"\s*>\s*(?:</a>)?", re.IGNORECASE)
_IDENTIFIER = re.compile(r"^@?[A-Za-z_][\w.@-]*$")


def _strip_emphasis(text: str) -> str:
    """Remove Markdown emphasis and escapes around and inside a short cell or label."""
    text = text.strip()
    text = re.sub(r"\\(.)", r"\1", text)
    text = text.replace("**", "")
    text = re.sub(r"(^|\s)_+|_+(\s|$)", r"\1\2", text)
    return text.strip(" *_").strip()


def _plain(text: str) -> str:
    """Cell text for reading: links by their text, code spans by their content, no emphasis."""
    text = _LINK.sub(r"\1", text)
    text = _CODE_SPAN.sub(r"\1", text)
    return _strip_emphasis(text)


# --- URLs ----------------------------------------------------------------------------------

_ABSOLUTE = re.compile(r"^(?P<scheme>https?):/+(?P<host>[^/?#\s]+)(?P<rest>.*)$", re.IGNORECASE)
_VERSION_SEGMENT = re.compile(r"^(?:v\d+(?:\.\d+)?|beta)$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# name('key') or name(key): an OData key in parentheses, written as its own segment instead.
# Named keys and function arguments (name=value) stay as written.
_KEY_SEGMENT = re.compile(r"^(?P<name>[^()']+)\((?:'(?P<quoted>[^']*)'|(?P<bare>[^()',]+))\)$")
_NAMED_ARGUMENT = re.compile(r"^\s*[A-Za-z_]\w*\s*=")
# Name='{placeholder}' inside a function call segment: the placeholder is that parameter's value.
_FUNCTION_ARG = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*=\s*'?\{(?P<inner>[^{}]*)\}'?")


def _split_outside_braces(text: str, separator: str) -> list[str]:
    """Split at a separator that is not inside ``{...}``."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _first_alternative(inner: str) -> str:
    """``id | userPrincipalName`` -> ``id``: the key proper of a placeholder with alternatives."""
    return inner.split("|")[0].strip()


def _normalise_placeholders(text: str) -> str:
    """Write every placeholder as ``{name}`` (first alternative, no spaces)."""
    return _PLACEHOLDER.sub(lambda m: "{" + _first_alternative(m.group(1)) + "}", text)


def _is_version_placeholder(segment: str) -> bool:
    """Whether a segment is a placeholder that stands for the version (``{version}``)."""
    match = re.fullmatch(r"\{([^{}]*)\}", segment)
    return match is not None and _fold(match.group(1)) in vocab.VERSION_PLACEHOLDERS


@attrs.define
class _Url:
    """A request URL split the way operations need it."""

    host: str  # "https://outlook.office.com", "" for a relative URL
    prefix: str  # "/api/v2.0", "/v1.0", "/api/{version}", "" when there is no version segment
    version: str | None  # from the version segment, when it is not a placeholder
    segments: list[str]  # the path after the prefix, key syntax split into segments
    written_segments: list[str]  # the same segments before placeholder normalisation
    query: list[tuple[str, str]]

    @property
    def path(self) -> str:
        """The path after the prefix, placeholders normalised."""
        return "/" + "/".join(self.segments) if self.segments else "/"


def _parse_url(url: str) -> _Url:
    """Split an absolute or relative request URL (template or sample) into its parts."""
    url = url.strip()
    host = ""
    rest = url
    absolute = _ABSOLUTE.match(url)
    if absolute:
        host = f"{absolute.group('scheme').lower()}://{absolute.group('host').lower()}"
        rest = absolute.group("rest")
    pieces = _split_outside_braces(rest, "?")
    path_part = pieces[0]
    query_part = "?".join(pieces[1:])
    raw_segments = [segment for segment in _split_outside_braces(path_part, "/") if segment.strip()]
    prefix_segments: list[str] = []
    version: str | None = None
    for index, segment in enumerate(raw_segments[:3]):
        if _VERSION_SEGMENT.match(segment) or _is_version_placeholder(segment):
            prefix_segments = raw_segments[: index + 1]
            if _VERSION_SEGMENT.match(segment):
                version = segment.lower()
            break
    written: list[str] = []
    for segment in raw_segments[len(prefix_segments) :]:
        key = _KEY_SEGMENT.match(segment.strip())
        if key and not _NAMED_ARGUMENT.match(key.group("bare") or ""):
            value = key.group("quoted") if key.group("quoted") is not None else key.group("bare")
            written.extend([key.group("name").strip(), value.strip()])
        else:
            written.append(segment.strip())
    query: list[tuple[str, str]] = []
    if query_part:
        for option in _split_outside_braces(query_part, "&"):
            if not option:
                continue
            name, _, value = option.partition("=")
            query.append((name, value))
    return _Url(
        host=host,
        prefix="/" + "/".join(prefix_segments) if prefix_segments else "",
        version=version,
        segments=[_normalise_placeholders(segment) for segment in written],
        written_segments=written,
        query=query,
    )


def split_url(url: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(version prefix, path segments with `name('key')` split in two, query options) of a URL or path."""
    parsed = _parse_url(url)
    return parsed.prefix, parsed.segments, parsed.query


@attrs.define
class _Slot:
    """A placeholder of a template and the parameter name it gives."""

    name: str  # canonical: placeholder, query option name or function parameter name
    placeholder: str  # normalised name inside the braces
    written: str  # the text inside the braces as printed
    location: Location
    argument: bool = False  # the value of a function argument (Name='{placeholder}')

    @property
    def key(self) -> str:
        """What table rows describe: the placeholder, or the argument name (argument
        placeholders such as ``{DateTime}`` name a type and may repeat)."""
        return self.name if self.argument else self.placeholder


def _slots(url: _Url) -> list[_Slot]:
    """The parameters a template's URL asks for, in URL order."""
    slots: list[_Slot] = []
    for segment, written in zip(url.segments, url.written_segments, strict=True):
        whole = re.fullmatch(r"\{([^{}]*)\}", segment)
        if whole:
            inner = re.fullmatch(r"\{([^{}]*)\}", written)
            slots.append(_Slot(whole.group(1), whole.group(1), inner.group(1) if inner else segment, "path"))
            continue
        arguments = list(_FUNCTION_ARG.finditer(written))
        for argument in arguments:
            value = argument.group("inner")
            slots.append(_Slot(argument.group("name"), _first_alternative(value), value, "path", argument=True))
        if not arguments:
            for inner in _PLACEHOLDER.findall(written):
                slots.append(_Slot(_first_alternative(inner), _first_alternative(inner), inner, "path"))
    for name, value in url.query:
        for inner in _PLACEHOLDER.findall(value):
            slots.append(_Slot(name or _first_alternative(inner), _first_alternative(inner), inner, "query"))
        if not value:
            for inner in _PLACEHOLDER.findall(name):
                slots.append(_Slot(_first_alternative(inner), _first_alternative(inner), inner, "query"))
    return slots


def _segment_pattern(segment: str) -> re.Pattern[str]:
    """A template segment as a regular expression over a sample segment."""
    parts = re.split(r"(\{[^{}]*\})", segment)
    body = "".join("[^/]+?" if part.startswith("{") and part.endswith("}") else re.escape(part) for part in parts)
    return re.compile(f"^{body}$", re.IGNORECASE)


def _match_score(template: _Url, sample: _Url) -> int | None:
    """How well a sample URL fits a template (higher is better), None when it does not."""
    if len(template.segments) != len(sample.segments):
        return None
    literal = 0
    for wanted, got in zip(template.segments, sample.segments, strict=True):
        if not _segment_pattern(wanted).match(got):
            return None
        if "{" not in wanted:
            literal += 1
    wanted_options = {_fold(name) for name, _ in template.query}
    got_options = {_fold(name) for name, _ in sample.query}
    # Missing template options weigh more than extra sample options ($select and the like).
    return literal * 10 - 4 * len(wanted_options - got_options) - len(got_options - wanted_options)


# --- vocabulary lookups --------------------------------------------------------------------


def _part_of(text: str) -> str | None:
    """The documentation part a heading or bare line names, if it names one."""
    folded = _fold(_strip_emphasis(_ANCHOR_TAG.sub("", text.strip().lstrip("#")))).rstrip(" :：")
    for kind, phrases in vocab.PART_HEADINGS.items():
        if folded in {_fold(phrase) for phrase in phrases}:
            return kind
    return None


def _header_name(text: str) -> str | None:
    """The canonical name of an HTTP header as printed (possibly translated), if known."""
    folded = _fold(_plain(text)).rstrip(" :：").strip()
    for canonical, names in vocab.HEADER_NAMES.items():
        if folded in {_fold(name) for name in names}:
            return canonical
    return None


def _canonical_header_name(text: str) -> str:
    """A header name in its usual spelling (known names exactly, others word-capitalised)."""
    known = _header_name(text)
    if known:
        return known
    return "-".join(part[:1].upper() + part[1:] for part in text.strip().rstrip(":").split("-"))


def _translate_header_value(value: str) -> str:
    """Undo translations of well-known words inside a header value ("Porteur" -> "Bearer")."""
    words = value.split(" ")
    if words and _fold(words[0]) in vocab.HEADER_VALUE_WORDS:
        words[0] = vocab.HEADER_VALUE_WORDS[_fold(words[0])]
    return " ".join(words)


def _header_identity(name: str, value: str) -> tuple[str, str]:
    """What makes two header mentions the same: the name, and for Prefer the preference."""
    if name == "Prefer":
        return name, _fold(value.split("=")[0].strip().strip('"'))
    return name, ""


def _section_of_row(text: str) -> str | None:
    """The table part an italic row introduces ("url", "header", "body", "query")."""
    folded = _fold(_strip_emphasis(text))
    for kind in ("header", "body", "query", "url"):
        if _any_word(folded, vocab.SECTION_ROW_WORDS[kind]):
            return kind
    return None


def _column_kind(text: str) -> tuple[str | None, bool]:
    """Classify a table header cell: (column kind, whether it says every row is required)."""
    folded = _fold(_plain(text)).rstrip(" ?？:")
    says_required = _any_word(folded, vocab.COLUMN_WORDS["required"])
    if _any_word(folded, vocab.COLUMN_WORDS["name"]):
        return "name", says_required
    for kind in ("type", "description", "value"):
        if folded in {_fold(word) for word in vocab.COLUMN_WORDS[kind]}:
            return kind, False
    if says_required:
        return "required", False
    for kind in ("type", "description", "value"):
        if _any_word(folded, vocab.COLUMN_WORDS[kind]):
            return kind, False
    return None, False


def _required_from_text(text: str) -> bool | None:
    """Required (True) or optional (False) when a description says which, else None."""
    folded = _fold(_CODE_SPAN.sub(" ", text))
    negated = ("non obligatoire", "not required", "必須ではありません", "必須ではない")
    optional = any(phrase in folded for phrase in negated)
    for phrase in negated:
        folded = folded.replace(phrase, " ")
    optional = optional or _any_word(folded, vocab.OPTIONAL_WORDS)
    required = _any_word(folded, vocab.REQUIRED_WORDS)
    if required and not optional:
        return True
    if optional and not required:
        return False
    return None


def _required_from_cell(text: str) -> bool | None:
    """Read a "Required?" column cell."""
    folded = _fold(_plain(text)).rstrip(" .。")
    if folded in {_fold(word) for word in vocab.YES_WORDS}:
        return True
    if folded in {_fold(word) for word in vocab.NO_WORDS}:
        return False
    return _required_from_text(text)


_DEFAULT_VALUE = re.compile(
    r"""^\s*[:：,、]?\s*(?:`(?P<code>[^`]+)`|"(?P<quoted>[^"]*)"|(?P<bare>true|false|null)\b)"""
)


def _default_from_text(text: str) -> str | None:
    """The default value a description states, when it is a literal (code span, quote, boolean)."""
    folded = _fold(text)
    best: tuple[int, int] | None = None
    for phrase in vocab.DEFAULT_WORDS:
        position = folded.find(_fold(phrase))
        if position >= 0 and (best is None or position < best[0]):
            best = (position, position + len(_fold(phrase)))
    if best is None:
        return None
    match = _DEFAULT_VALUE.match(folded[best[1] :])
    if not match:
        return None
    value = match.group("code") or match.group("quoted") or match.group("bare")
    if value is None:
        return None
    # The folded text is lower case; give back the value as printed when it is found there.
    original = re.search(re.escape(value), text, re.IGNORECASE)
    return original.group(0) if original else value


def _first_word(text: str) -> tuple[str, str]:
    """Split off the first whitespace-separated word: (word, the rest)."""
    parts = text.split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def _first_sentence(text: str) -> str:
    """The first sentence of a cell ("application/json. Required." -> "application/json")."""
    return re.split(r"(?<=\S)[.。](?:\s|$)", text.strip(), maxsplit=1)[0].strip()


def _normalise_type(text: str) -> tuple[str | None, str | None]:
    """Normalise a type cell; returns (type, problem) where problem explains an unknown type."""
    stripped = text.strip()
    if not stripped:
        return None, None
    links = _LINK.findall(stripped)
    if len(links) > 1:
        names = ", ".join(link_text for link_text, _ in links)
        return None, f"the type names several alternatives ({names})"
    collection = re.match(r"^collection\s*\((?P<inner>.*)\)\s*$", stripped, re.IGNORECASE)
    if collection:
        inner, problem = _normalise_type(collection.group("inner"))
        return (f"Collection({inner})" if inner else None), problem
    array = re.match(r"^(?P<inner>.+?)\s*\[\s*\]$", stripped)
    if array:
        inner, problem = _normalise_type(array.group("inner"))
        return (f"Collection({inner})" if inner else None), problem
    if links:
        link_text = _strip_emphasis(links[0][0])
        if _IDENTIFIER.match(link_text):
            return link_text, None
        return link_text, f"the linked type '{link_text}' is not a type name (translated?)"
    plain = _plain(stripped)
    if re.match(r"^edm\.\w+$", plain, re.IGNORECASE):
        return "Edm." + plain.split(".", 1)[1], None
    folded = _fold(plain)
    for edm, words in vocab.TYPE_WORDS.items():
        if folded in {_fold(word) for word in words}:
            return edm, None
    if _IDENTIFIER.match(plain) and plain[:1].isupper():
        return plain, None
    return plain, f"unknown type '{plain}'"


def _json_fits(type_name: str | None, value: Any) -> bool:
    """Whether a JSON sample value can be a value of a (normalised) parameter type."""
    if type_name is None or value is None:
        return True
    if type_name.startswith("Collection("):
        return isinstance(value, list)
    if type_name == "Edm.Boolean":
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))
    if type_name in ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.Double", "Edm.Single", "Edm.Decimal"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name.startswith("Edm."):
        return isinstance(value, str)
    return isinstance(value, dict)


# --- page layout ---------------------------------------------------------------------------


@attrs.define
class _Fence:
    """A fenced code block: opening line, closing line (len(lines) when never closed), info."""

    start: int
    end: int
    info: str


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


@attrs.define(eq=False)
class _Template:
    """A request line of a syntax block."""

    line: int
    method: str
    raw: str
    url: _Url
    slots: list[_Slot]
    headers: list[SpecHeader]


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
_BULLET = re.compile(r"^\s*[-*+•]\s+(?P<text>.*)$")
_HEADER_LINE = re.compile(r"^(?P<name>[A-Za-z][\w-]*)\s*:\s*(?P<value>\S.*)$")
_EXPLORER_STATUS = re.compile(r'"statusCode"\s*:\s*(?P<code>\d{3})')
# A three-digit code standing alone: not part of a date, a version, a size or a longer number.
_CODE_NUMBER = re.compile(r"(?<![\w.:/=-])(?P<code>[1-5]\d\d)(?!\w)(?![.:/-]\w)")
_PERMISSION_TOKEN = re.compile(r"(?<![\w.])(?P<scope>[A-Z][A-Za-z]*(?:\.[A-Z][A-Za-z]*)+)(?![\w.])")
_NAMESPACE_WORDS = ("namespace", "espace de noms", "名前空間")
_FRAMING_HEADERS = frozenset({"Content-Length", "Transfer-Encoding"})
_PART_SECTIONS = {"headers": "header", "path": "url", "query": "query", "body": "body"}


class _Reader:
    """Reads one page (:meth:`read`); warnings go to the diagnostics as they are found."""

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
        """Find comments, fences, version sections and headings."""
        self.markdown = any(
            _FENCE.match(line) or _TABLE_DELIMITER.match(line) or _HEADING.match(line) for line in self.lines
        )
        for line in self.lines:
            marker = _DEFAULT_VERSION_MARKER.search(line)
            if marker:
                self.default_version = _normalise_version(marker.group("version"))
                break
        index = 0
        while index < len(self.lines):
            text = self.lines[index]
            if self.markdown and _COMMENT_START.match(text):
                # A commented-out block is not rendered, so nothing in it counts (one
                # translation leaves an unclosed fence inside such a comment).
                end = next(
                    (
                        later
                        for later in range(index, len(self.lines))
                        if "-->" in self.lines[later][text.index("<!--") + 4 if later == index else 0 :]
                    ),
                    len(self.lines) - 1,
                )
                for hidden in range(index, end + 1):
                    self.hidden[hidden] = True
                index = end + 1
                continue
            fence = _FENCE.match(text) if self.markdown else None
            if fence:
                ticks = fence.group("ticks")
                close = next(
                    (
                        later
                        for later in range(index + 1, len(self.lines))
                        if self.lines[later].strip().startswith(ticks)
                    ),
                    None,
                )
                if close is None:
                    self.warn(index, "code fence is never closed")
                    close = len(self.lines)
                block = _Fence(index, close, fence.group("info").strip().lower())
                for inside in range(index, min(close + 1, len(self.lines))):
                    self.fence_of[inside] = block
                index = close + 1
                continue
            index += 1
        self._version_sections()
        self._headings()

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
                match = _HEADING.match(text)
                if match and match.group("text"):
                    inline = _ANCHOR_TAG.search(match.group("text"))
                    title = _strip_emphasis(_ANCHOR_TAG.sub("", match.group("text")))
                    heading = _Heading(
                        index,
                        len(match.group("hashes")),
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
            if self.markdown and stripped.startswith("|"):
                index = self._collect_markdown_table(index, tables)
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
        syntax = (
            fence.info == "no-highlight"
            or self._part_at(fence.start) == "syntax"
            or (
                all(_PLACEHOLDER.search(request[1]) for _, request in found) and self._label_before(fence.start) is None
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
        url = _parse_url(raw)
        url.query = [(name, value) for name, value in url.query if self._query_name_ok(index, name)]
        slots = [slot for slot in _slots(url) if slot.location != "query" or self._query_name_ok(index, slot.name)]
        return _Template(index + 1, method, raw, url, slots, headers)

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

    def _cells(self, text: str) -> list[str]:
        """Split a pipe-table row into cells (pipes inside code spans or escaped do not split)."""
        stripped = text.strip()
        if stripped.startswith("|"):
            stripped = stripped[1:]
        if stripped.endswith("|") and not stripped.endswith("\\|"):
            stripped = stripped[:-1]
        cells: list[str] = []
        current: list[str] = []
        in_code = False
        position = 0
        while position < len(stripped):
            char = stripped[position]
            if char == "\\" and position + 1 < len(stripped) and stripped[position + 1] == "|":
                current.append("|")
                position += 2
                continue
            if char == "`":
                in_code = not in_code
            if char == "|" and not in_code:
                cells.append("".join(current).strip())
                current = []
            else:
                current.append(char)
            position += 1
        cells.append("".join(current).strip())
        return cells

    def _collect_markdown_table(self, index: int, tables: list[_Table]) -> int:
        """Read a pipe table starting at a line index; return the index after it."""
        end = index
        while end < len(self.lines) and self._visible_text(end) and self.lines[end].strip().startswith("|"):
            end += 1
        if end - index < 2 or not _TABLE_DELIMITER.match(self.lines[index + 1]):
            return end
        header = self._cells(self.lines[index])
        kinds = [_column_kind(cell) for cell in header]
        columns: dict[str, int] = {}
        all_required = False
        for position, (kind, says_required) in enumerate(kinds):
            if kind and kind not in columns:
                columns[kind] = position
            all_required = all_required or says_required
        if "name" not in columns:
            if not any(kind for kind, _ in kinds):
                return end  # not a parameter table (no column this reader knows)
            columns["name"] = 0
        rows: list[list[str]] = [self._cells(self.lines[row]) for row in range(index + 2, end)]
        self._add_table(index, columns, len(header), all_required, rows, list(range(index + 2, end)), tables)
        return end

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

    # --- assembling ----------------------------------------------------------------------

    def read(self) -> list[SpecOperation]:
        """Read the page into operations."""
        self.layout()
        templates, requests, tables = self.collect()
        groups = self._group(templates, tables)
        ops = self._operations(groups, self._bases(templates, requests))
        samples = self._samples()
        self._attach_request_bodies(requests, samples)
        self._attach_samples(ops, requests)
        self._attach_responses(ops, samples)
        for group in groups:
            self._split_rows(group)
            self._match_url_rows(group)
        names = self._reconcile_bodies(groups, ops, samples)
        code_values = self._code_header_values(templates, requests)
        context = _Context(names, self.prose_headers(code_values), self.scope_statements(), code_values)
        result = [self._freeze(op, context) for op in ops]
        for table in tables:
            if not table.used:
                self.warn(table.line - 1, "parameter table belongs to no syntax block (no request line above it)")
        if not result:
            self.warn(None, "no operation found: the page has no syntax block of request lines")
        return result

    def _samples(self) -> list[Sample]:
        """The page's JSON samples, from the sample extractor, with its warnings passed on."""
        samples, warnings = extract_samples(self.path)
        for message in warnings:
            where, _, why = message.partition(": ")
            line = where.rsplit(":", 1)[-1]
            self.warn(int(line) - 1 if line.isdigit() else None, why)
        return samples

    def _group(self, templates: list[_Template], tables: list[_Table]) -> list[_Group]:
        """Group templates by titled section and version section; give each its tables."""
        groups: list[_Group] = []
        for template in templates:
            index = template.line - 1
            title, vsection = self.title_of[index], self.vsection_of[index]
            group = next((g for g in groups if g.title is title and g.vsection is vsection), None)
            if group is None:
                group = _Group(title, vsection, start=index)
                groups.append(group)
            group.templates.append(template)
        groups.sort(key=lambda g: g.start)
        for position, group in enumerate(groups):
            later = [g.start for g in groups[position + 1 :] if g.start > group.start]
            group.end = min(later) if later else len(self.lines)
            if group.vsection is not None:
                group.end = min(group.end, group.vsection.end)
            # A table outside every version section serves the versions that have none.
            own = [t for t in tables if t.title is group.title and t.vsection is group.vsection]
            shared = [t for t in tables if t.title is group.title and t.vsection is None]
            group.tables = own or shared
            for table in group.tables:
                table.used = True
        return groups

    def _bases(self, templates: list[_Template], samples: list[_SampleRequest]) -> list[_Url]:
        """Host and prefix of the page's absolute request lines (for relative templates)."""
        urls = [t.url for t in templates] + [_parse_url(s.url) for s in samples]
        return [url for url in urls if url.host and url.prefix]

    def _version_of(self, template: _Template, vsection: _VSection | None) -> str:
        """The version an operation belongs to: its section's, else its URL's."""
        if vsection is not None:
            if template.url.version and template.url.version != vsection.version:
                self.warn(
                    template.line - 1,
                    f"the request line addresses {template.url.version} inside the {vsection.version} "
                    f"section; the operation is filed under {vsection.version}",
                )
            return vsection.version
        return template.url.version or ""

    def _operations(self, groups: list[_Group], bases: list[_Url]) -> list[_Op]:
        """One operation per template, skipping bare repeats of an operation already read."""
        ops: list[_Op] = []
        seen: set[tuple[str, str, str, str, tuple[tuple[str, str], ...]]] = set()
        for group in groups:
            for template in group.templates:
                version = self._version_of(template, group.vsection)
                host, prefix = template.url.host, template.url.prefix
                if not host:
                    base = next((b for b in bases if b.version == version), bases[0] if bases else None)
                    if base is None:
                        self.warn(template.line - 1, "relative request line and no absolute URL on the page")
                    else:
                        host, prefix = base.host, prefix or base.prefix
                        version = version or base.version or ""
                if not version:
                    version = self.default_version
                    if not version:
                        self.warn(template.line - 1, "cannot tell the API version of this request line")
                key = (version, template.method, prefix, template.url.path, tuple(template.url.query))
                if key in seen and not group.tables:
                    continue
                seen.add(key)
                ops.append(_Op(group, template, version, host, prefix))
        return ops

    def _attach_request_bodies(self, requests: list[_SampleRequest], samples: list[Sample]) -> None:
        """Give each sample request line the JSON body the sample extractor found after it."""
        ordered = sorted(requests, key=lambda r: r.line)
        for position, request in enumerate(ordered):
            if request.explorer:
                continue
            stop = ordered[position + 1].line if position + 1 < len(ordered) else len(self.lines) + 1
            request.body = next(
                (
                    sample.body
                    for sample in samples
                    if sample.kind == "request"
                    and request.line < sample.line < stop
                    and sample.url == request.url
                    and sample.method == request.method
                ),
                None,
            )

    def _best_op(
        self, ops: list[_Op], method: str | None, url: str, title: _Heading | None, vsection: _VSection | None
    ) -> _Op | None:
        """The operation whose template a sample URL matches best, nearest section first."""
        parsed = _parse_url(url)
        version = vsection.version if vsection is not None else parsed.version
        tiers: list[list[_Op]] = []
        if vsection is not None:
            tiers.append([op for op in ops if op.group.vsection is vsection])
        tiers.append([op for op in ops if op.group.title is title and (vsection is None or op.group.vsection is None)])
        tiers.append([op for op in ops if version is None or op.version == version])
        for tier in tiers:
            scored: list[tuple[int, int, _Op]] = []
            for position, op in enumerate(tier):
                if method is not None and op.template.method != method:
                    continue
                score = _match_score(op.template.url, parsed)
                if score is not None:
                    scored.append((score, -position, op))
            if scored:
                return max(scored, key=lambda item: (item[0], item[1]))[2]
        return None

    def _attach_samples(self, ops: list[_Op], requests: list[_SampleRequest]) -> None:
        """Attach sample request lines to the operations they exemplify."""
        for request in requests:
            op = self._best_op(ops, request.method, request.url, request.title, request.vsection)
            if op is None:
                shown = f"{request.method} {request.url}" if request.method else request.url
                self.warn(request.line - 1, f"sample request {shown} matches no request line of the page")
                continue
            op.samples.append(
                SpecSample("request", request.line, request.method, request.url, request.body, tuple(request.headers))
            )
            if request.body is not None:
                op.request_bodies.append(request.body)

    def _attach_responses(self, ops: list[_Op], samples: list[Sample]) -> None:
        """Attach response bodies (from the sample extractor) with the status shown before them."""
        for sample in samples:
            if sample.kind != "response":
                continue
            index = sample.line - 1
            op: _Op | None = None
            if sample.url:
                op = self._best_op(ops, sample.method, sample.url, self.title_of[index], self.vsection_of[index])
            else:
                holders = [o for o in ops if o.group.start <= index < o.group.end]
                op = holders[0] if len(holders) == 1 else None
            if op is not None:
                status = self._status_before(index)
                op.samples.append(
                    SpecSample("response", sample.line, sample.method, sample.url, sample.body, (), status)
                )

    def _status_before(self, index: int) -> int | None:
        """The status shown between a response body and the request it answers."""
        for earlier in range(index, max(-1, index - 40), -1):
            if earlier < index and (self._request(self.lines[earlier]) or '"requestUrl"' in self.lines[earlier]):
                break
            status = self.status_at(earlier)
            if status is not None:
                return status
        # An API-explorer descriptor may give its status after the response body.
        fence = self.fence_of[index]
        if fence is not None:
            for later in range(index, min(fence.end, len(self.lines))):
                explorer = _EXPLORER_STATUS.search(self.lines[later])
                if explorer:
                    return int(explorer.group("code"))
        return None

    def _code_header_values(self, templates: list[_Template], requests: list[_SampleRequest]) -> dict[str, list[str]]:
        """Header values as code blocks and request lines spell them, by header name."""
        headers = [h for t in templates for h in t.headers] + [h for r in requests for h in r.headers]
        for index, text in enumerate(self.lines):
            if self.fence_of[index] is not None and not self.hidden[index]:
                match = _HEADER_LINE.match(text.strip())
                if match and _header_name(match.group("name")):
                    headers.append(
                        SpecHeader(_canonical_header_name(match.group("name")), match.group("value").strip())
                    )
        values: dict[str, list[str]] = {}
        for header in headers:
            spelled = values.setdefault(header.name, [])
            if header.value not in spelled:
                spelled.append(header.value)
        return values

    # --- parameters ----------------------------------------------------------------------

    def _row_location(self, row: _Row, slot_names: set[str], method: str) -> str:
        """Where a table row's parameter goes: "url", "header" or "body"."""
        if row.section in ("url", "query"):
            return "url"
        if row.section in ("header", "body"):
            return row.section
        if _fold(row.name) in slot_names:
            return "url"
        if _header_name(row.name) or row.value:
            return "header"
        if method in _BODILESS:
            self.warn(row.line - 1, f"table row '{row.name}' is in no parameter section and matches no placeholder")
            return "url"
        return "body"

    def _split_rows(self, group: _Group) -> None:
        """Sort the group's table rows into URL, header and body rows."""
        slot_names = {_fold(n) for t in group.templates for s in t.slots for n in (s.name, s.placeholder)}
        method = group.templates[0].method
        for table in group.tables:
            for row in table.rows:
                where = self._row_location(row, slot_names, method)
                {"url": group.url_rows, "header": group.header_rows, "body": group.body_rows}[where].append(row)

    def _match_url_rows(self, group: _Group) -> None:
        """Match URL rows to the group's placeholders (``group.by_slot``), warning about leftovers."""
        rows = group.url_rows
        keys: list[str] = []
        aliases: dict[str, str] = {}
        for template in group.templates:
            for slot in template.slots:
                if slot.key not in keys:
                    keys.append(slot.key)
                for alias in (slot.key, slot.name, slot.placeholder, slot.written):
                    aliases.setdefault(_fold(alias), slot.key)
        exact: dict[int, str] = {}
        for position, row in enumerate(rows):
            key = aliases.get(_fold(row.name))
            if key is not None and key not in exact.values():
                exact[position] = key
        pairs = _Alignment(
            [row.name for row in rows], keys, lambda _row, _key: True, lambda _row, _key: False, 0.8
        ).run(exact)
        group.by_slot = {key: rows[position] for position, key in pairs.items()}
        lines = ", ".join(str(t.line) for t in group.templates)
        for position, row in enumerate(rows):
            if position not in pairs:
                self.warn(
                    row.line - 1,
                    f"URL parameter '{row.name}' in the table has no placeholder in the request line(s) at {lines}",
                )
        if rows:
            for template in group.templates:
                for slot in template.slots:
                    if slot.key not in group.by_slot:
                        self.warn(
                            template.line - 1, f"placeholder {{{slot.written}}} is not described in the parameter table"
                        )

    def _reconcile_bodies(self, groups: list[_Group], ops: list[_Op], samples: list[Sample]) -> dict[int, str]:
        """Canonical names of body rows, by ``id(row)``; warnings for the unreconciled."""
        names: dict[int, str] = {}
        pending: list[tuple[_Group, _Row]] = []
        for group in groups:
            rows = group.body_rows
            if not rows:
                continue
            types = [_normalise_type(row.type_text)[0] for row in rows]
            votes: dict[int, set[str]] = {}
            for body in [b for op in ops if op.group is group for b in op.request_bodies if isinstance(b, dict)]:
                keys = [str(key) for key in body]
                exact: dict[int, str] = {}
                for position, row in enumerate(rows):
                    match = next((key for key in keys if _fold(key) == _fold(row.name)), None)
                    if match is not None and match not in exact.values():
                        exact[position] = match

                def fits(position: int, key: str, body: dict[str, Any] = body, types: list[str | None] = types) -> bool:
                    return _json_fits(types[position], body[key])

                def typed(position: int, key: str, types: list[str | None] = types) -> bool:
                    # Only a type other than a string tells one property from another.
                    kind = types[position]
                    return kind is not None and kind not in _STRING_LIKE and fits(position, key)

                pairs = _Alignment([row.name for row in rows], keys, fits, typed, 0.6).run(exact)
                for position, key in pairs.items():
                    votes.setdefault(position, set()).add(key)
            for position, row in enumerate(rows):
                choices = sorted(votes.get(position, set()))
                if len(choices) == 1:
                    names[id(row)] = choices[0]
                    continue
                if choices:
                    self.warn(row.line - 1, f"body parameter '{row.name}' matches different sample keys: {choices}")
                pending.append((group, row))
        self._fallback_names(groups, pending, names, samples, ops)
        return names

    def _fallback_names(
        self,
        groups: list[_Group],
        pending: list[tuple[_Group, _Row]],
        names: dict[int, str],
        samples: list[Sample],
        ops: list[_Op],
    ) -> None:
        """Name body rows no request sample settles: same row elsewhere, or JSON on the page."""
        vocabulary: set[str] = set()
        for body in [s.body for s in samples] + [b for op in ops for b in op.request_bodies]:
            vocabulary |= _json_keys(body)
        learned = [
            (group.title, row.name, names[id(row)], row.line)
            for group in groups
            for row in group.body_rows
            if id(row) in names and names[id(row)] != row.name
        ]
        for group, row in pending:
            if id(row) in names:
                continue  # a table shared by several versions, settled through one of them
            # Another version of the same section printed the same name and had a sample.
            same_section = {name for title, written, name, _ in learned if title is group.title and written == row.name}
            if len(same_section) == 1:
                names[id(row)] = same_section.pop()
                continue
            if row.name in vocabulary:
                continue
            elsewhere = {name: line for _, written, name, line in learned if written == row.name}
            if len(elsewhere) == 1:
                name, line = next(iter(elsewhere.items()))
                self.warn(
                    row.line - 1,
                    f"body parameter '{row.name}' has no request sample; named '{name}' after the same "
                    f"printed name at line {line}",
                )
                names[id(row)] = name
                continue
            self.warn(
                row.line - 1,
                f"body parameter '{row.name}' matches no key of a request sample nor any JSON on the page; "
                "kept as printed (unconfirmed name)",
            )

    def _params(self, op: _Op, context: _Context) -> tuple[list[SpecParam], list[SpecHeader]]:
        """An operation's parameters (URL order, then header and body rows) and table headers."""
        group = op.group
        all_required = any(table.all_required for table in group.tables)
        has_type = all(table.has_type for table in group.tables)
        params: list[SpecParam] = []
        headers: list[SpecHeader] = []
        for slot in op.template.slots:
            row = group.by_slot.get(slot.key)
            required: bool | None = True
            if slot.location == "query" and row is not None:
                # A query option of the template is needed unless its row says otherwise.
                required = self._row_required(row, all_required)
                required = True if required is None else required
            params.append(
                SpecParam(
                    name=slot.name,
                    location=slot.location,
                    type=self._row_type(row, has_type) if row else None,
                    required=required,
                    default=row.default if row else None,
                    description=row.description if row else "",
                    written=row.name if row else slot.written,
                    line=row.line if row else op.template.line,
                )
            )
        for row in group.header_rows:
            name = _canonical_header_name(row.name)
            type_name, _ = _normalise_type(row.type_text)
            value = row.value
            if type_name is None or not type_name.startswith("Edm."):
                # Header tables often put the value in the type column ("Prefer: | outlook.timezone").
                if row.type_text and not value:
                    value = _plain(row.type_text)
                type_name = "Edm.String"
            if not value and _PLACEHOLDER.search(_first_sentence(row.description)):
                value = _first_sentence(row.description)
            value = self._header_value(name, _translate_header_value(value), context.code_values)
            params.append(
                SpecParam(
                    name=name,
                    location="header",
                    type=type_name,
                    required=row.required_cell if row.required_cell is not None else row.required_text,
                    default=row.default,
                    description=row.description,
                    written=row.name,
                    line=row.line,
                )
            )
            headers.append(SpecHeader(name, value, row.line))
        for row in group.body_rows:
            params.append(
                SpecParam(
                    name=context.body_names.get(id(row), row.name),
                    location="body",
                    type=self._row_type(row, has_type),
                    required=self._row_required(row, all_required),
                    default=row.default,
                    description=row.description,
                    written=row.name,
                    line=row.line,
                )
            )
        return params, headers

    def _headers(self, op: _Op, table_headers: list[SpecHeader], context: _Context) -> tuple[SpecHeader, ...]:
        """Headers from the tables, the syntax block, prose lists and samples, first mention kept."""
        mentioned = list(table_headers) + list(op.template.headers)
        mentioned += [header for index, header in context.prose_headers if self._applies(index, op.group)]
        # Content-Length only frames one sample's body; it says nothing about the operation.
        mentioned += [h for sample in op.samples for h in sample.headers if h.name not in _FRAMING_HEADERS]
        unique: dict[tuple[str, str], SpecHeader] = {}
        for header in mentioned:
            unique.setdefault(_header_identity(header.name, header.value), header)
        return tuple(unique.values())

    def _header_value(self, name: str, value: str, code_values: dict[str, list[str]]) -> str:
        """A header value from a table, spelled like the page's code when only case differs."""
        for candidate in code_values.get(name, []):
            if _fold(candidate) == _fold(value):
                return candidate
            token = candidate.split("=")[0]
            if _fold(token) == _fold(value):
                return token
        return value

    def _row_type(self, row: _Row, has_type: bool) -> str | None:
        """The normalised type of a row (warning about what cannot be normalised)."""
        if not has_type:
            self.warn(row.line - 1, f"the table gives no type for '{row.name}' (no type column)")
            return None
        type_name, problem = _normalise_type(row.type_text)
        if problem:
            self.warn(row.line - 1, f"'{row.name}': {problem}")
        elif type_name is None:
            self.warn(row.line - 1, f"'{row.name}': the type cell is empty")
        return type_name

    @staticmethod
    def _row_required(row: _Row, all_required: bool) -> bool | None:
        """Whether a URL or body row is required: its own cell or words, else the table heading."""
        if row.required_cell is not None:
            return row.required_cell
        if row.required_text is not None:
            return row.required_text
        return True if all_required else None

    def _applies(self, index: int, group: _Group) -> bool:
        """Whether something stated at a line applies to a group: same or enclosing section,
        and no other version section."""
        vsection = self.vsection_of[index]
        if vsection is not None and vsection is not group.vsection:
            return False
        title = self.title_of[index]
        heading = group.title
        while heading is not None:
            if heading is title:
                return True
            heading = heading.parent
        return title is None

    def _scopes(self, op: _Op, statements: list[tuple[int, list[str]]]) -> tuple[str, ...]:
        """The scopes stated for the operation's section, else for the nearest enclosing one."""
        heading = op.group.title
        while True:
            here = [
                scopes
                for index, scopes in statements
                if self.title_of[index] is heading
                and (self.vsection_of[index] is None or self.vsection_of[index] is op.group.vsection)
            ]
            if here:
                ordered: list[str] = []
                for scopes in here:
                    ordered.extend(scope for scope in scopes if scope not in ordered)
                return tuple(ordered)
            if heading is None:
                return ()
            heading = heading.parent

    def _status(self, op: _Op) -> int | None:
        """The first success status stated between the syntax block and the block's end."""
        for index in range(op.group.start, op.group.end):
            status = self.status_at(index)
            if status is not None and 200 <= status < 300:
                return status
        return None

    def _freeze(self, op: _Op, context: _Context) -> SpecOperation:
        """The finished, immutable operation."""
        params, table_headers = self._params(op, context)
        headers = self._headers(op, table_headers, context)
        self._check_preferences(headers, params, op.template.line)
        service = next((name for host, name in vocab.SERVICE_HOSTS.items() if op.host.endswith("//" + host)), None)
        return SpecOperation(
            page=self.page,
            line=op.template.line,
            service=service or op.host.split("//")[-1],
            version=op.version,
            method=op.template.method,
            host=op.host,
            prefix=op.prefix,
            path=op.template.url.path,
            query=tuple(op.template.url.query),
            params=tuple(params),
            headers=headers,
            scopes=self._scopes(op, context.scopes),
            status=self._status(op),
            title=op.group.title.text if op.group.title else self._page_title(),
            anchor=op.group.title.anchor if op.group.title else "",
            samples=tuple(sorted(op.samples, key=lambda s: s.line)),
        )


def _json_keys(value: Any) -> set[str]:
    """Every object key in a JSON value, at any depth."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            keys.add(str(key))
            keys |= _json_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            keys |= _json_keys(inner)
    return keys


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in both positions (pairs sorted by the first)."""
    best: list[list[tuple[int, int]]] = []
    for pair in pairs:
        chains = [chain for chain in best if chain[-1][1] < pair[1]]
        longest = max(chains, key=len) if chains else []
        best.append([*longest, pair])
    return max(best, key=len) if best else []


_STRING_LIKE = frozenset(
    {"Edm.String", "Edm.Guid", "Edm.Duration", "Edm.Date", "Edm.DateTimeOffset", "Edm.TimeOfDay", "Edm.Binary"}
)
# A printed name that looks like code (snake_case, camelCase, digits, ASCII only) is a wire name
# in its own right, so it is not taken for a different name on order alone; a word of prose
# ("Commentaire", "ID_événement", "名前") is a translation and may be.
_CODE_NAME = re.compile(r"^(?=[\x21-\x7e]+$)(?=.*(?:_|\d|[a-z][A-Z]|\.))")


@attrs.define
class _Alignment:
    """Pairs table rows with the names a URL or a request sample offers (row position -> name).

    Exact pairs are given.  Between two exactly paired rows (and before the first, after the
    last) rows and names pair in order when the gap holds as many of each and every pair fits
    and is plausible; otherwise a row pairs with the only name that fits it, or with a clearly
    most similar name.  A pair that is not exact must be plausible: the names are similar, or
    the printed name is prose rather than code (a translation such as "Commentaire"), or the
    type tells (``typed``: an array for a Collection row...).  A code-like name printed in the
    table ("shelf_id") that resembles no offered name stays unpaired, to be warned about.
    """

    rows: list[str]
    names: list[str]
    fits: Callable[[int, str], bool]
    typed: Callable[[int, str], bool]
    threshold: float
    pairs: dict[int, str] = attrs.Factory(dict)
    used: set[str] = attrs.Factory(set)

    def plausible(self, row: int, name: str) -> bool:
        """Whether a non-exact pair may be made at all."""
        return self.fits(row, name) and (
            _similarity(self.rows[row], name) >= 0.5 or not _CODE_NAME.search(self.rows[row]) or self.typed(row, name)
        )

    def run(self, exact: dict[int, str]) -> dict[int, str]:
        """Pair the rows, starting from the exact pairs."""
        self.pairs = dict(exact)
        self.used = set(exact.values())
        position = {name: index for index, name in enumerate(self.names)}
        anchors = _longest_increasing(sorted((row, position[name]) for row, name in exact.items() if name in position))
        bounds = [(-1, -1), *anchors, (len(self.rows), len(self.names))]
        for (row_low, name_low), (row_high, name_high) in zip(bounds, bounds[1:], strict=False):
            gap_rows = [r for r in range(row_low + 1, row_high) if r not in self.pairs]
            gap_names = [self.names[n] for n in range(name_low + 1, name_high) if self.names[n] not in self.used]
            if gap_rows and gap_names and not self._in_order(gap_rows, gap_names):
                self._by_fit(gap_rows, gap_names)
        self._by_fit([r for r in range(len(self.rows)) if r not in self.pairs], list(self.names))
        return self.pairs

    def _in_order(self, gap_rows: list[int], gap_names: list[str]) -> bool:
        """Pair a gap in order when that is possible and nothing argues against it."""
        if len(gap_rows) != len(gap_names):
            return False
        couples = list(zip(gap_rows, gap_names, strict=True))
        if not all(self.plausible(r, n) for r, n in couples):
            return False
        for r, n in couples:
            own = _similarity(self.rows[r], n)
            for other in gap_names:
                # Order says one thing, the names clearly another: do not trust the order.
                if (
                    other != n
                    and _similarity(self.rows[r], other) - own >= 0.25
                    and _similarity(self.rows[r], other) >= 0.75
                ):
                    return False
        for r, n in couples:
            self.pairs[r] = n
            self.used.add(n)
        return True

    def _by_fit(self, gap_rows: list[int], gap_names: list[str]) -> None:
        """Pair rows that one name alone fits (fitting no other row), then by clear similarity."""
        changed = True
        while changed:
            changed = False
            free_rows = [r for r in gap_rows if r not in self.pairs]
            free_names = [n for n in gap_names if n not in self.used]
            for r in free_rows:
                options = [n for n in free_names if self.fits(r, n)]
                if len(options) != 1 or not self.plausible(r, options[0]):
                    continue
                if any(self.fits(other, options[0]) for other in free_rows if other != r):
                    continue
                self.pairs[r] = options[0]
                self.used.add(options[0])
                changed = True
                break
        for r in [r for r in gap_rows if r not in self.pairs]:
            free = [n for n in gap_names if n not in self.used and self.fits(r, n)]
            scored = sorted(((_similarity(self.rows[r], n), n) for n in free), reverse=True)
            if scored and scored[0][0] >= self.threshold and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.15):
                self.pairs[r] = scored[0][1]
                self.used.add(scored[0][1])


# --- entry points --------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    """The page's text, or a SpecError saying why it cannot be read."""
    page = path.name or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("page does not exist", page=page) from None
    except IsADirectoryError:
        raise SpecError("page is a directory, not a file", page=page) from None
    except OSError as error:
        raise SpecError(f"page cannot be read: {error.strerror or error}", page=page) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SpecError(
            f"page is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})", page=page, line=line
        ) from None
    if not text.strip():
        raise SpecError("page is empty", page=page)
    return text


def read_page(path: str | Path, diagnostics: Diagnostics | None = None) -> list[SpecOperation]:
    """Read one reference page into its operations, warning about what cannot be reconciled."""
    page_path = Path(path)
    text = _read_text(page_path)
    reader = _Reader(page_path.name, page_path, text, diagnostics if diagnostics is not None else Diagnostics())
    return reader.read()


def read_pages(paths: Iterable[str | Path], diagnostics: Diagnostics | None = None) -> list[SpecOperation]:
    """Read several reference pages; operations in page order, warnings in one collection."""
    collected = diagnostics if diagnostics is not None else Diagnostics()
    operations: list[SpecOperation] = []
    for path in paths:
        operations.extend(read_page(path, collected))
    return operations
