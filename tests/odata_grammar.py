"""Independent OData URL tooling for tests: the OASIS ABNF (via PyPI `abnf`) and a hand-written `$filter` parser.

None of it uses odatakit or generator code (tests/conftest.py is imported only for where ../shared is): it is a
second opinion on what the query builder emits.

* `grammar`, `matches`, `check_relative_uri`: the OASIS OData 4.01 ABNF construction rules from
  ../shared/external/odata-abnf, loaded with `abnf` (the Rust backend from `abnf-rust` when installed).
* `parse_filter`, `parse_orderby`, `parse_literal`: a precedence-climbing parser for decoded `$filter` and
  `$orderby` text that builds plain tuples (see `parse_filter`).
* `decode_query`: a relative URL split into its decoded path and query options.
* `load_testcases`: the OASIS ABNF test-case YAML.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from abnf import ParseError, Rule

from .conftest import shared_file

ABNF_DIR = ("external", "odata-abnf")
RULES_FILE = "odata-abnf-construction-rules.txt"
TESTCASES_FILE = "odata-abnf-testcases.yaml"

# Appendix C of the OData ABNF restates RFC 5234 core rules that `abnf` already defines on its base Rule;
# loading them again under the same names is what SOURCE.md warns about, so they are dropped before loading.
CORE_RULES = frozenset({"ALPHA", "DIGIT", "HEXDIG", "DQUOTE", "SP", "HTAB", "VCHAR"})

Constraints = Mapping[str, Sequence[str]]
Tree = tuple[Any, ...]

_RULE_START = re.compile(r"([A-Za-z][A-Za-z0-9-]*)\s*=")


# --------------------------------------------------------------------------------------------------------------
# ABNF
# --------------------------------------------------------------------------------------------------------------


def abnf_file(name: str) -> Path:
    """A file of ../shared/external/odata-abnf, or skip the calling test when ../shared is absent."""
    return shared_file(*ABNF_DIR, name)


def _rule_blocks(text: str) -> list[tuple[str | None, str]]:
    """Split ABNF text into (rule name or None for comments/blank lines, block text) in source order."""
    blocks: list[tuple[str | None, str]] = []
    for line in text.splitlines():
        match = _RULE_START.match(line)
        if match:
            blocks.append((match.group(1), line))
        elif line[:1] in (" ", "\t") and blocks and blocks[-1][0] is not None:
            # A rule continues on indented lines; comment-only indented lines stay with it harmlessly.
            name, body = blocks[-1]
            blocks[-1] = (name, body + "\n" + line)
        else:
            blocks.append((None, line))
    return blocks


def _exact(value: str) -> str:
    """ABNF for exactly `value`, case-sensitive (num-val concatenation rather than a quoted string)."""
    if not value:
        return '""'
    return "%x" + ".".join(f"{ord(ch):X}" for ch in value)


def grammar_text(constraints: Constraints | None = None) -> str:
    """The OData ABNF as loaded: core-rule redefinitions removed and constrained rules replaced by their name lists."""
    source = abnf_file(RULES_FILE).read_text(encoding="utf-8")
    # Constraints on rules this file does not define (the YAML also lists aggregation-extension rules) do nothing.
    constraints = constraints or {}
    out: list[str] = []
    for name, block in _rule_blocks(source):
        if name is None:
            out.append(block)
        elif name in CORE_RULES:
            continue
        elif name in constraints:
            names = constraints[name]
            if not names:
                raise ValueError(f"constraint for {name} lists no names: ABNF cannot express a rule that never matches")
            out.append(f"{name} = " + " / ".join(_exact(n) for n in names))
        else:
            out.append(block)
    return "\n".join(out) + "\n"


@functools.cache
def _load(constraint_key: tuple[tuple[str, tuple[str, ...]], ...]) -> type[Rule]:
    class ODataGrammar(Rule):
        """One loaded copy of the OData ABNF (each class has its own rule table)."""

    ODataGrammar.load_grammar(grammar_text(dict(constraint_key)))
    return ODataGrammar


def grammar(constraints: Constraints | None = None) -> type[Rule]:
    """The OData ABNF as an `abnf` Rule class (cached), optionally with model-name constraints from the test YAML."""
    key = tuple(sorted((name, tuple(values)) for name, values in (constraints or {}).items()))
    return _load(key)


def _rule(name: str, constraints: Constraints | None) -> Rule:
    g = grammar(constraints)
    # `g(name)` would silently create an undefined rule; `get` only finds existing ones.
    rule = g.get(name)
    if rule is None:
        raise KeyError(f"the OData ABNF has no rule {name!r}")
    return rule


def matches(rule: str, text: str, *, constraints: Constraints | None = None) -> bool:
    """Whether `text` matches the ABNF rule `rule` entirely."""
    try:
        _rule(rule, constraints).parse_all(text)
    except ParseError:
        return False
    return True


def failure_offset(rule: str, text: str, *, constraints: Constraints | None = None) -> int | None:
    """None when `text` matches `rule`; otherwise the offset `abnf` reports (end of the longest matching prefix)."""
    try:
        _rule(rule, constraints).parse_all(text)
    except ParseError as exc:
        return int(exc.start)
    return None


def check_relative_uri(url: str) -> None:
    """Assert that `url` (percent-encoded, relative to the service root) matches the ABNF rule odataRelativeUri."""
    bad = next((i for i, ch in enumerate(url) if not (" " < ch < "\x7f")), None)
    offset = bad if bad is not None else failure_offset("odataRelativeUri", url)
    if offset is None:
        return
    reason = (
        f"character {url[offset]!r} must be percent-encoded"
        if bad is not None
        else "does not match odataRelativeUri; the longest matching prefix ends here"
    )
    option = _query_option_at(url, offset)
    where = f"\n  in query option: {option}" if option else ""
    raise AssertionError(f"URL {reason} (offset {offset}):\n  {url}\n  {' ' * offset}^{where}")


def _query_option_at(url: str, offset: int) -> str | None:
    """The `name=value` query option of `url` that contains `offset` (or starts there), if any."""
    query_start = url.find("?")
    if query_start < 0 or offset < query_start:
        return None
    if url[offset : offset + 1] in ("&", "?"):
        # The prefix ends at a separator when the whole next option failed: that option is the culprit.
        start = offset + 1
    else:
        start = max(url.rfind("&", query_start, offset), query_start) + 1
    end = url.find("&", start)
    return url[start : end if end >= 0 else len(url)] or None


@functools.cache
def load_testcases(name: str = TESTCASES_FILE) -> dict[str, Any]:
    """The OASIS ABNF test-case YAML (cached; all scalars as strings) with its literal TABs kept."""
    text = abnf_file(name).read_text(encoding="utf-8")
    # PyYAML refuses TABs inside plain scalars, so they travel through the loader as a private-use character.
    placeholder = "\ue000"
    if placeholder in text:
        raise ValueError(f"{name} already contains U+E000, the TAB placeholder")
    # BaseLoader keeps 0000-01-01 and 1 as the strings they are in the file, not dates and ints.
    data = yaml.load(text.replace("\t", placeholder), Loader=yaml.BaseLoader)

    def restore(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(placeholder, "\t")
        if isinstance(value, list):
            return [restore(v) for v in value]
        if isinstance(value, dict):
            return {restore(k): restore(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = restore(data)
    return result


# --------------------------------------------------------------------------------------------------------------
# URL splitting
# --------------------------------------------------------------------------------------------------------------


def decode_query(url: str) -> tuple[str, dict[str, str]]:
    """Split a relative URL into its percent-decoded path and its decoded query options, in order."""
    path, _, query = url.partition("?")
    options: dict[str, str] = {}
    for part in query.split("&") if query else ():
        name, _, value = part.partition("=")
        # unquote, not unquote_plus: OData URLs carry spaces as %20 and a literal '+' means plus.
        key = unquote(name, errors="strict")
        if key in options:
            raise ValueError(f"query option {key!r} appears twice in {url!r}")
        options[key] = unquote(value, errors="strict")
    return unquote(path, errors="strict"), options


# --------------------------------------------------------------------------------------------------------------
# Literals
# --------------------------------------------------------------------------------------------------------------

_HEX = "[0-9A-Fa-f]"
_GUID = re.compile(rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}")
_DATE = r"(?P<year>-?\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})"
_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,12}))?)?"
_DATETIMEOFFSET = re.compile(rf"{_DATE}[Tt]{_TIME}(?P<tz>[Zz]|[+-]\d{{2}}:\d{{2}})")
_DATE_ONLY = re.compile(_DATE)
_TIME_ONLY = re.compile(_TIME)
_NUMBER = re.compile(r"(?P<int>[+-]?\d+)(?P<frac>\.\d+)?(?P<exp>[eE][+-]?\d+)?")
_SPECIAL_DOUBLE = re.compile(r"-INF|INF|NaN")
_DURATION = re.compile(
    r"(?P<sign>-)?[Pp](?:(?P<days>\d+)[Dd])?"
    r"(?:[Tt](?:(?P<hours>\d+)[Hh])?(?:(?P<minutes>\d+)[Mm])?(?:(?P<seconds>\d+(?:\.\d+)?)[Ss])?)?"
)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ENUM_MEMBERS = re.compile(r"(?:[^\W\d]\w*|-?\d+)(?:,(?:[^\W\d]\w*|-?\d+))*")
# What may not directly follow a literal: more of a name, number or date would mean it was something else.
_LITERAL_END = re.compile(r"(?![\w.])")


def _time(m: re.Match[str]) -> dt.time:
    fraction = (m.group("fraction") or "")[:6].ljust(6, "0")
    return dt.time(int(m.group("hour")), int(m.group("minute")), int(m.group("second") or 0), int(fraction))


def _date(m: re.Match[str]) -> dt.date:
    return dt.date(int(m.group("year")), int(m.group("month")), int(m.group("day")))


def _datetimeoffset(m: re.Match[str]) -> dt.datetime:
    tz_text = m.group("tz")
    if tz_text in ("Z", "z"):
        tz = dt.UTC
    else:
        sign = -1 if tz_text[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(tz_text[1:3]), minutes=int(tz_text[4:6])))
    return dt.datetime.combine(_date(m), _time(m), tzinfo=tz)


def _duration(text: str) -> dt.timedelta:
    m = _DURATION.fullmatch(text)
    if not m:
        raise ValueError(f"not an OData duration: {text!r}")
    seconds = Decimal(m.group("seconds") or 0)
    micro = int(seconds * 1_000_000)
    value = dt.timedelta(
        days=int(m.group("days") or 0),
        hours=int(m.group("hours") or 0),
        minutes=int(m.group("minutes") or 0),
        microseconds=micro,
    )
    return -value if m.group("sign") else value


def _binary(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise ValueError(f"not base64url: {text!r}")
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:
        raise ValueError(f"truncated base64url: {text!r}")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except binascii.Error as exc:
        raise ValueError(f"not base64url: {text!r}") from exc


def _number(m: re.Match[str]) -> Tree:
    text = m.group(0)
    if m.group("exp"):
        return ("lit", "double", float(text))
    if m.group("frac"):
        return ("lit", "decimal", Decimal(text))
    return ("lit", "int", int(text))


# Tried in order at one position: a GUID or date may start with digits that would otherwise read as a number.
_BARE_LITERALS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Tree]]] = [
    (_GUID, lambda m: ("lit", "guid", uuid.UUID(m.group(0)))),
    (_DATETIMEOFFSET, lambda m: ("lit", "datetimeoffset", _datetimeoffset(m))),
    (_DATE_ONLY, lambda m: ("lit", "date", _date(m))),
    (_TIME_ONLY, lambda m: ("lit", "timeofday", _time(m))),
    (_SPECIAL_DOUBLE, lambda m: ("lit", "double", float(m.group(0).replace("INF", "inf")))),
    (_NUMBER, _number),
]


# --------------------------------------------------------------------------------------------------------------
# $filter / $orderby parser
# --------------------------------------------------------------------------------------------------------------

# OData 4.01 Part 2 (URL Conventions), section 5.1.1.16 "Operator Precedence", lowest to highest.
# `has` and `in` sit in the Primary group there, above Unary, so `_Parser.postfix` handles them, not this table.
_BINARY_PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "eq": 3,
    "ne": 3,
    "gt": 4,
    "ge": 4,
    "lt": 4,
    "le": 4,
    "add": 5,
    "sub": 5,
    "mul": 6,
    "div": 6,
    "divby": 6,
    "mod": 6,
}

_BUILTINS = {
    name.lower(): name
    for name in (
        "concat contains endswith indexof length matchesPattern startswith substring tolower toupper trim "
        "year month day hour minute second fractionalseconds totalseconds date time totaloffsetminutes "
        "mindatetime maxdatetime now round floor ceiling geo.distance geo.length geo.intersects "
        "hassubset hassubsequence case isof cast"
    ).split()
}
_TYPE_ARGUMENT_FUNCTIONS = frozenset({"isof", "cast"})

_NAME = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_SEGMENT = re.compile(r"\$[A-Za-z]+|@[^\W\d]\w*(?:\.[^\W\d]\w*)*(?:#[^\W\d]\w*)?|[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_WS = re.compile(r"[ \t]*")
# Infix keywords need whitespace before them (RWS in the ABNF); `\b` keeps `eqx` from reading as `eq`.
_WORD_AHEAD = re.compile(r"[ \t]+([A-Za-z]+)\b")
_NOT = re.compile(r"not(?=[ \t(])", re.IGNORECASE)


class _Parser:
    """Recursive descent with precedence climbing over a decoded expression string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- scanning -------------------------------------------------------------------------------------------

    def fail(self, message: str) -> ValueError:
        return ValueError(f"{message} at offset {self.pos} in {self.text!r}")

    def ws(self) -> bool:
        end = _WS.match(self.text, self.pos)
        assert end is not None
        moved = end.end() > self.pos
        self.pos = end.end()
        return moved

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def expect(self, ch: str) -> None:
        self.ws()
        if self.peek() != ch:
            raise self.fail(f"expected {ch!r}")
        self.pos += 1

    def word_ahead(self) -> str | None:
        """The lower-cased word after at least one blank, without consuming anything."""
        m = _WORD_AHEAD.match(self.text, self.pos)
        return m.group(1).lower() if m else None

    def skip_word(self) -> None:
        m = _WORD_AHEAD.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()

    def at_end(self) -> bool:
        self.ws()
        return self.pos == len(self.text)

    # -- grammar --------------------------------------------------------------------------------------------

    def expression(self, min_precedence: int = 1) -> Tree:
        left = self.unary()
        while True:
            word = self.word_ahead()
            precedence = _BINARY_PRECEDENCE.get(word or "")
            if word is None or precedence is None or precedence < min_precedence:
                return left
            self.skip_word()
            if not self.ws():
                raise self.fail(f"expected whitespace after {word!r}")
            # precedence + 1 for the right operand is what makes every binary operator left-associative.
            left = (word, left, self.expression(precedence + 1))

    def unary(self) -> Tree:
        self.ws()
        m = _NOT.match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return ("not", self.unary())
        if self.peek() == "-" and self.literal_here() is None:
            self.pos += 1
            return ("neg", self.unary())
        return self.postfix()

    def postfix(self) -> Tree:
        left = self.primary()
        while True:
            word = self.word_ahead()
            if word == "has":
                self.skip_word()
                left = ("has", left, self.primary())
            elif word == "in":
                self.skip_word()
                self.ws()
                right = self.list_() if self.peek() == "(" else self.primary()
                left = ("in", left, right)
            else:
                return left

    def list_(self) -> Tree:
        self.expect("(")
        items: list[Tree] = []
        self.ws()
        if self.peek() != ")":
            items.append(self.expression())
            self.ws()
            while self.peek() == ",":
                self.pos += 1
                items.append(self.expression())
                self.ws()
        self.expect(")")
        return ("list", *items)

    def literal_here(self) -> tuple[Tree, int] | None:
        """A bare (unquoted, unprefixed) literal at the current position and where it ends."""
        for pattern, build in _BARE_LITERALS:
            m = pattern.match(self.text, self.pos)
            if m and _LITERAL_END.match(self.text, m.end()):
                return build(m), m.end()
        return None

    def quoted(self) -> str:
        """A single-quoted body starting at the current quote, with '' undoubled."""
        assert self.peek() == "'"
        out: list[str] = []
        i = self.pos + 1
        while True:
            j = self.text.find("'", i)
            if j < 0:
                raise self.fail("unterminated quoted literal")
            out.append(self.text[i:j])
            if self.text[j + 1 : j + 2] == "'":
                out.append("'")
                i = j + 2
                continue
            self.pos = j + 1
            return "".join(out)

    def primary(self) -> Tree:
        self.ws()
        ch = self.peek()
        if not ch:
            raise self.fail("expected an operand")
        if ch == "(":
            self.pos += 1
            inner = self.expression()
            self.expect(")")
            return inner
        if ch == "'":
            return ("lit", "string", self.quoted())
        found = self.literal_here()
        if found is not None:
            tree, self.pos = found
            return tree
        m = _NAME.match(self.text, self.pos)
        if m and self.text[m.end() : m.end() + 1] == "'":
            self.pos = m.end()
            return self.prefixed_literal(m.group(0))
        if m and self.text[m.end() : m.end() + 1] == "(":
            self.pos = m.end()
            return self.call(m.group(0))
        if m and self.text[m.end() : m.end() + 1] != "/":
            # The ABNF spells null case-sensitively (%s"null") but true and false as case-insensitive strings.
            word = m.group(0)
            if word == "null" or word.lower() in ("true", "false"):
                self.pos = m.end()
                return ("lit", "null", None) if word == "null" else ("lit", "bool", word.lower() == "true")
        return self.path()

    def prefixed_literal(self, prefix: str) -> Tree:
        body = self.quoted()
        lowered = prefix.lower()
        if lowered == "binary":
            return ("lit", "binary", _binary(body))
        if lowered == "duration":
            return ("lit", "duration", _duration(body))
        if lowered in ("geography", "geometry"):
            return ("lit", lowered, body)
        if "." not in prefix:
            raise self.fail(f"unknown literal prefix {prefix!r}")
        if not _ENUM_MEMBERS.fullmatch(body):
            raise self.fail(f"bad enumeration members {body!r}")
        return ("lit", "enum", (prefix, body))

    def call(self, name: str) -> Tree:
        canonical = _BUILTINS.get(name.lower(), name)
        self.expect("(")
        args: list[Tree] = []
        self.ws()
        if self.peek() != ")":
            args.append(self.expression())
            self.ws()
            while self.peek() == ",":
                self.pos += 1
                args.append(self.expression())
                self.ws()
        self.expect(")")
        if canonical in _TYPE_ARGUMENT_FUNCTIONS:
            if not args:
                raise self.fail(f"{canonical} needs a type name")
            args[-1] = self.type_name(args[-1])
        return ("call", canonical, *args)

    def type_name(self, arg: Tree) -> Tree:
        if arg[0] == "path" and "/" not in arg[1]:
            return ("type", arg[1])
        if arg[0] == "call" and arg[1] == "Collection" and len(arg) == 3 and arg[2][0] == "path":
            return ("type", f"Collection({arg[2][1]})")
        raise self.fail("expected a type name")

    def path(self) -> Tree:
        segments: list[str] = []
        while True:
            m = _SEGMENT.match(self.text, self.pos)
            if not m:
                raise self.fail("expected a property path or literal")
            segment = m.group(0)
            self.pos = m.end()
            if segments and segment.lower() in ("any", "all") and self.peek() == "(":
                return self.lambda_(segment.lower(), "/".join(segments))
            segments.append(segment)
            if self.peek() != "/":
                return ("path", "/".join(segments))
            self.pos += 1

    def lambda_(self, kind: str, collection: str) -> Tree:
        self.expect("(")
        self.ws()
        if kind == "any" and self.peek() == ")":
            self.pos += 1
            return ("any", collection, None, None)
        m = _NAME.match(self.text, self.pos)
        if not m or "." in m.group(0):
            raise self.fail("expected a lambda variable")
        self.pos = m.end()
        self.expect(":")
        body = self.expression()
        self.expect(")")
        return (kind, collection, m.group(0), body)


def parse_filter(text: str) -> Tree:
    """Parse a decoded `$filter` expression into nested tuples, using OData 4.01 operator precedence.

    Precedence follows OData Version 4.01 Part 2: URL Conventions, section 5.1.1.16 "Operator Precedence"
    (highest first): grouping `( )`; primary: `/` navigation, `has`, `in`, method calls; unary: `-`, `not`,
    `cast()`; multiplicative: `mul div divby mod`; additive: `add sub`; relational: `gt ge lt le` (and `isof`);
    equality: `eq ne`; `and`; `or`. Binary operators are left-associative. Because `has` and `in` are primary,
    they bind tighter than unary and arithmetic operators: `not a has N.E'y'` is `not (a has N.E'y')` and
    `a add b in (1)` is `a add (b in (1))`; `not` is unary, so `not a eq b` is `(not a) eq b`.

    Trees: ("lit", kind, value); ("path", "a/b"); ("any"|"all", collection, var, body); ("call", name, *args)
    with ("type", name) for the type argument of isof/cast; (op, left, right) for binary operators, with
    ("list", *items) on the right of `in` when it is parenthesised; ("not", x); ("neg", x).
    Raises ValueError for text that is not an expression.
    """
    parser = _Parser(text)
    tree = parser.expression()
    if not parser.at_end():
        raise parser.fail("unexpected text")
    return tree


def parse_orderby(text: str) -> list[tuple[Tree, str]]:
    """Parse a decoded `$orderby` value into [(expression tree, "asc" | "desc")]."""
    parser = _Parser(text)
    items: list[tuple[Tree, str]] = []
    while True:
        tree = parser.expression()
        direction = "asc"
        word = parser.word_ahead()
        if word in ("asc", "desc"):
            parser.skip_word()
            direction = word
        items.append((tree, direction))
        parser.ws()
        if parser.peek() != ",":
            break
        parser.pos += 1
    if not parser.at_end():
        raise parser.fail("unexpected text")
    return items


def parse_literal(text: str) -> Tree:
    """Parse one decoded OData literal into ("lit", kind, value)."""
    parser = _Parser(text)
    tree = parser.primary() if not text.startswith("(") else ("paren",)
    if tree[0] != "lit" or not parser.at_end():
        raise ValueError(f"not a single OData literal: {text!r}")
    return tree
