"""Whether a name read from an untrusted document is a well-formed identifier.

Two families of names come from documents nobody here controls, and both end up as wire
names, Python names, docstrings and messages:

* CSDL names (:mod:`generator.csdl`), checked against the OASIS CSDL rules as the
  ``edm.xsd`` patterns state them: a *SimpleIdentifier* is 1 to 128 characters, the first
  ``_`` or a letter (Unicode categories L, Nl), the others ``_``, letters, Nl, Nd, Mn, Mc, Pc
  or Cf; a *namespace* is SimpleIdentifiers joined by dots, at most 511 characters; a
  *qualified name* is a namespace, a dot and a SimpleIdentifier.  One restriction goes
  beyond the schema: the bidirectional formatting characters of category Cf (U+061C,
  U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) are refused, because they make a name
  display differently from what it is (the "Trojan Source" trick) and no real service uses
  them.
* Wire names of API reference pages (:mod:`generator.spectables`): query option names,
  ``Prefer`` preference names and parameter names.  See :func:`wire_name_flaw`.

Most names are plain ASCII: a compiled pattern settles them; the others are checked
character by character through :func:`unicodedata.category`, with a cache.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "NAMESPACE_RULE",
    "QUALIFIED_RULE",
    "SIMPLE_IDENTIFIER_RULE",
    "IdentifierFlaw",
    "WireNameFlaw",
    "bidi_characters",
    "describe_characters",
    "identifier_flaw",
    "namespace_ok",
    "qualified_ok",
    "wire_name_flaw",
]

SIMPLE_IDENTIFIER_RULE = "letters, digits, underscores, at most 128 characters"
NAMESPACE_RULE = "SimpleIdentifiers separated by dots, at most 511 characters"
QUALIFIED_RULE = "Namespace.Name"

MAX_IDENTIFIER = 128
MAX_NAMESPACE = 511

_FIRST = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})
_REST = _FIRST | {"Nd", "Mn", "Mc", "Pc", "Cf"}
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Segments cannot contain a dot, so this never backtracks across segments.
_ASCII_QUALIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}(?:\.[A-Za-z_][A-Za-z0-9_]{0,127})+")


class IdentifierFlaw(NamedTuple):
    """Why a name is not a SimpleIdentifier."""

    shape: bool  # empty, longer than 128 characters, or a first character that cannot start one
    chars: frozenset[str]  # characters after the first that the rule does not admit
    bidi: str  # the bidirectional formatting characters it holds, "" when none


def describe_characters(chars: str) -> str:
    """``':', U+202E``: each character once, printable ASCII quoted, the rest by code point,
    so that no control or formatting character reaches a message raw."""
    return ", ".join(
        repr(c) if c.isascii() and c.isprintable() and c != " " else f"U+{ord(c):04X}" for c in dict.fromkeys(chars)
    )


def bidi_characters(name: str) -> str:
    """The bidirectional formatting characters of a name (in order, repeated), "" when none."""
    if name.isascii():
        return ""
    return "".join(c for c in name if c in _BIDI)


def identifier_flaw(name: str) -> IdentifierFlaw | None:
    """None when a name is a CSDL SimpleIdentifier, else what is wrong with it."""
    if _ASCII_IDENTIFIER.fullmatch(name):
        return None
    return _slow_identifier_flaw(name)


@lru_cache(maxsize=16384)
def _slow_identifier_flaw(name: str) -> IdentifierFlaw | None:
    bidi = bidi_characters(name)
    if not name or len(name) > MAX_IDENTIFIER:
        return IdentifierFlaw(True, frozenset(), bidi)
    first = name[0]
    shape = not (first == "_" or unicodedata.category(first) in _FIRST)
    chars = frozenset(c for c in name[1:] if c != "_" and unicodedata.category(c) not in _REST)
    if bidi or shape or chars:
        return IdentifierFlaw(shape, chars, bidi)
    return None


def namespace_ok(name: str) -> bool:
    """Whether a name is a CSDL namespace: SimpleIdentifiers joined by dots, at most 511 characters."""
    if len(name) > MAX_NAMESPACE:
        return False
    if _ASCII_IDENTIFIER.fullmatch(name) or _ASCII_QUALIFIED.fullmatch(name):
        return True
    return all(identifier_flaw(part) is None for part in name.split("."))


def qualified_ok(name: str) -> bool:
    """Whether a name is a CSDL qualified name: a namespace, a dot and a SimpleIdentifier."""
    if len(name) <= MAX_NAMESPACE and _ASCII_QUALIFIED.fullmatch(name):
        return True
    namespace, dot, last = name.rpartition(".")
    return bool(dot) and namespace_ok(namespace) and identifier_flaw(last) is None


# --------------------------------------------------------------------------- wire names

# Characters that have no business in any name and can do harm in generated code or in a
# message: quotes and backslashes end or escape string literals; control, format and
# separator characters (categories Cc, Cf, Zl, Zp) forge lines or hide text.
_HOSTILE_ASCII = frozenset("\"'`\\")
_HOSTILE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_WIRE_FIRST = _FIRST | {"Pc"}
_WIRE_REST = _WIRE_FIRST | {"Nd", "Mn", "Mc"}
_ASCII_WIRE = re.compile(r"[$@]?[A-Za-z_][A-Za-z0-9_.@-]{0,126}")


class WireNameFlaw(NamedTuple):
    """Why a page's name is not a wire name; `hostile` names are refused wherever they appear."""

    hostile: bool  # quotes, backslashes, control/format/separator characters, over 128 characters
    blank: bool  # empty, or holding whitespace
    detail: str  # what is wrong, for the message (characters named by code point)


def wire_name_flaw(name: str) -> WireNameFlaw | None:
    """None when a name can be a query option, preference or parameter name, else why not.

    A wire name is 1 to 128 characters: a letter, ``_``, ``$`` (system query options) or
    ``@`` (instance annotations, parameter aliases) first, then letters, digits, combining
    marks, ``_``, ``-``, ``.`` and ``@``.  Letters are Unicode letters: translated pages print
    names such as ``名前`` or ``ID_événement``.
    """
    if _ASCII_WIRE.fullmatch(name):
        return None
    return _slow_wire_name_flaw(name)


@lru_cache(maxsize=4096)
def _slow_wire_name_flaw(name: str) -> WireNameFlaw | None:
    if len(name) > MAX_IDENTIFIER:
        return WireNameFlaw(True, False, f"it is {len(name)} characters long (at most {MAX_IDENTIFIER})")
    hostile = [c for c in name if c in _HOSTILE_ASCII or unicodedata.category(c) in _HOSTILE_CATEGORIES]
    if hostile:
        return WireNameFlaw(True, False, f"it holds {describe_characters(''.join(hostile))}")
    if not name:
        return WireNameFlaw(False, True, "it is empty")
    if any(c.isspace() for c in name):
        return WireNameFlaw(False, True, "it holds whitespace")
    body = name[1:] if name[0] in "$@" and len(name) > 1 else name
    first_ok = unicodedata.category(body[0]) in _WIRE_FIRST
    others = [c for c in body[1:] if c not in "-.@" and unicodedata.category(c) not in _WIRE_REST]
    if first_ok and not others:
        return None
    wrong = ([] if first_ok else [body[0]]) + others
    return WireNameFlaw(False, False, f"it holds {describe_characters(''.join(wrong))}")
