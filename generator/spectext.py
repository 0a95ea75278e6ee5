"""Text and vocabulary helpers of the spec-table reader (:mod:`generator.spectables`).

Folding (case, Latin accents, typographic apostrophes), similarity of names, Markdown emphasis,
links and code spans in cells, and every lookup of a page's words in :mod:`generator.specvocab`:
part headings, header names, table columns and section rows, requirement and default markers,
type cells.  Nothing here knows about a page's layout.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from . import specvocab as vocab

# --- text helpers ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """Lower-case text with Latin accents and typographic apostrophes removed, for lookups."""
    if text.isascii():
        return " ".join(text.lower().split())  # nothing to normalise (the pages' vocabulary repeats: cached)
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


@functools.lru_cache(maxsize=1 << 15)
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


@functools.lru_cache(maxsize=1 << 15)
def _strip_emphasis(text: str) -> str:
    """Remove Markdown emphasis and escapes around and inside a short cell or label."""
    text = text.strip()
    text = re.sub(r"\\(.)", r"\1", text)
    text = text.replace("**", "")
    text = re.sub(r"(^|\s)_+|_+(\s|$)", r"\1\2", text)
    return text.strip(" *_").strip()


@functools.lru_cache(maxsize=1 << 15)
def _plain(text: str) -> str:
    """Cell text for reading: links by their text, code spans by their content, no emphasis."""
    text = _LINK.sub(r"\1", text)
    text = _CODE_SPAN.sub(r"\1", text)
    return _strip_emphasis(text)


# --- vocabulary lookups --------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 15)
def _part_of(text: str) -> str | None:
    """The documentation part a heading or bare line names, if it names one."""
    folded = _fold(_strip_emphasis(_ANCHOR_TAG.sub("", text.strip().lstrip("#")))).rstrip(" :：")
    for kind, phrases in vocab.PART_HEADINGS.items():
        if folded in {_fold(phrase) for phrase in phrases}:
            return kind
    return None


@functools.lru_cache(maxsize=1 << 15)
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


@functools.lru_cache(maxsize=1 << 15)
def _section_of_row(text: str) -> str | None:
    """The table part an italic row introduces ("url", "header", "body", "query")."""
    folded = _fold(_strip_emphasis(text))
    for kind in ("header", "body", "query", "url"):
        if _any_word(folded, vocab.SECTION_ROW_WORDS[kind]):
            return kind
    return None


@functools.lru_cache(maxsize=1 << 15)
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
    # A reference-style link ("[DriveRecipient][]", "[item][ref]") is its text.
    stripped = re.sub(r"\[([^\[\]]+)\]\[[^\[\]]*\]", r"\1", text.strip())
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
    # "String collection", "collection of microsoft.graph.user": pages' prose for Collection(...).
    spelled = re.match(r"^(?:(?P<before>.+?)\s+collection|collection\s+of\s+(?P<after>.+?))$", stripped, re.IGNORECASE)
    if spelled:
        inner, problem = _normalise_type(spelled.group("before") or spelled.group("after"))
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
    # Type names as code: "Recipient", and the lower-camel names of Graph ("itemBody", "taskStatus").
    if _IDENTIFIER.match(plain) and (plain[:1].isupper() or re.search(r"[a-z][A-Z]", plain)):
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


def _permission_type(text: str) -> str | None:
    """The permission type a permissions table's first cell names: "delegated-work", "delegated-personal",
    "application", or None."""
    folded = _fold(_plain(text))
    words = vocab.PERMISSION_TYPE_WORDS
    if _any_word(folded, words["delegated"]):
        if _any_word(folded, words["personal"]):
            return "delegated-personal"
        return "delegated-work"
    if _any_word(folded, words["application"]) and len(folded) <= 40:
        return "application"
    return None


_SCOPE_TOKEN = re.compile(r"^[A-Za-z][\w-]*(?:\.[\w-]+)+$")


def _permission_scopes(text: str) -> tuple[str, ...]:
    """The scopes a permissions table cell lists ("Calendars.Read, Calendars.ReadWrite"); none for
    "Not supported." and the like."""
    scopes: list[str] = []
    for part in re.split(r"[,;、，]|\s+(?:or|ou|または)\s+", _plain(text)):
        token = part.strip().strip(".。").strip()
        if _SCOPE_TOKEN.match(token) and token not in scopes:
            scopes.append(token)
    return tuple(scopes)
