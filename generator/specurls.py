"""Request URLs of API reference pages: split into host, version prefix, path and query; placeholders.

A URL is split into host, prefix (the segments up to and including the version segment, kept
as written, so ``/api/{version}`` stays) and path.  Key syntax ``('{x}')`` or ``({x})`` becomes
a ``/{x}`` segment; a placeholder listing alternatives, ``{id | userPrincipalName}``, becomes its
first alternative.  :func:`request_line` reads every form of request line the pages print
(relative with or without ``/``, ``~/``, absolute, optional parts in brackets, ellipses).
"""

from __future__ import annotations

import re

import attrs

from . import specvocab as vocab
from .specmodel import Location
from .spectext import (
    _fold,
)

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


def split_outside(text: str, separator: str, brackets: str = "{}") -> list[str]:
    """Split at a separator that is not inside a pair of `brackets` (``{...}``: a placeholder)."""
    opening, closing = brackets[0], brackets[1]
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == opening:
            depth += 1
        elif char == closing:
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
    if rest.startswith("~/"):
        rest = rest[1:]  # "~/me/events": the service root
    pieces = split_outside(rest, "?")
    path_part = pieces[0]
    query_part = "?".join(pieces[1:])
    raw_segments = [segment for segment in split_outside(path_part, "/") if segment.strip()]
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
        for option in split_outside(query_part, "&"):
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


# Notation of syntax lines that is not part of the URL: an optional part in brackets
# ("content[?includeIDs=true]"), an ellipsis standing for repeated segments ("childFolders/{id}/.../messages")
# and a placeholder written in angle brackets ("range(address='<address>')").
_OPTIONAL_PART = re.compile(r"\[(?P<part>[?&/][^\[\]]*)\]")
_ELLIPSIS_SEGMENT = re.compile(r"/(?:\.\.\.|…)(?=/|$)")
_ANGLE_PLACEHOLDER = re.compile(r"<(?P<name>[A-Za-z_][\w-]*)>")


def read_notation(url: str) -> tuple[str, list[tuple[str, str]], list[str]]:
    """A syntax line's URL without its notation: (URL, optional query options, what was read).

    ``content[?includeIDs=true]`` is ``content`` with the optional query option ``includeIDs``;
    ``.../`` stands for more of the segments before it and is left out; ``<address>`` is the
    placeholder ``{address}``.
    """
    optional: list[tuple[str, str]] = []
    read: list[str] = []

    def bracket(match: re.Match[str]) -> str:
        part = match.group("part")
        if part[0] in "?&":
            for option in part[1:].split("&"):
                name, _, value = option.partition("=")
                if name.strip():
                    optional.append((name.strip(), value.strip()))
        read.append(f"optional part {match.group(0)}")
        return ""

    text = _OPTIONAL_PART.sub(bracket, url)
    if _ELLIPSIS_SEGMENT.search(text):
        text = _ELLIPSIS_SEGMENT.sub("", text)
        read.append("ellipsis")
    if _ANGLE_PLACEHOLDER.search(text):
        text = _ANGLE_PLACEHOLDER.sub(lambda m: "{" + m.group("name") + "}", text)
        read.append("placeholder in angle brackets")
    return text, optional, read
