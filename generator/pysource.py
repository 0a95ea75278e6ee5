"""The one way text from a `$metadata` document or a reference page becomes Python source.

A document or page is untrusted input. Every string taken from one reaches generated code
through exactly one function of this module, chosen by where it lands:

* `literal`     a Python literal (strings double-quoted; `\\`, quotes and every character
                that is not printable escaped, so nothing can end the literal early, start a new
                line or hide itself with a bidirectional override);
* `docstring`   a whole triple-quoted docstring: the text is wrapped first, then escaped, so
                wrapping can never split an escape, and no run of quotes or trailing backslash
                can close it;
* `comment`     one `#` line;
* `token_block` a triple-quoted block of whitespace-separated tokens (the generated field
                and module tables), each token checked to stay one token;
* `annotation`  a type expression composed of identifiers (`list[Event] | None`);
* `identifier`  a Python name, which only `generator/naming.py` decides.

Each returns a `Source`: text that is safe to paste where it was made for. Templates render
in an environment (`template_environment`) whose finalizer refuses anything that is not a
`Source`, a bool, an int or None, so a template cannot paste raw input even by mistake.
Generator code that builds statements out of pieces uses `code`, whose format string is
the generator's own text and whose arguments must already be `Source`.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2

__all__ = [
    "GeneratorBug",
    "Source",
    "annotation",
    "code",
    "comment",
    "docstring",
    "identifier",
    "join",
    "literal",
    "template_environment",
    "token_block",
]


class GeneratorBug(Exception):
    """The generator was about to write something unsafe or invalid: a bug, never the input's fault."""


class Source(str):
    """Text made by this module: safe to paste into generated source where it was made for."""

    __slots__ = ()



_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(c: str) -> str:
    named = _NAMED_ESCAPES.get(c)
    if named is not None:
        return named
    n = ord(c)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def _escape(text: str, quote: str = '"') -> str:
    """Backslashes, `quote` and every non-printable character as escapes (printable text kept as is)."""
    if text.isprintable() and "\\" not in text and (not quote or quote not in text):
        return text
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == quote:
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(_escape_char(c))
    return "".join(out)


def literal(value: Any) -> Source:
    """A Python literal for a str, int, float, bool, None, or a tuple, list or dict of them (strings double-quoted)."""
    return Source(_literal(value))


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return '"' + _escape(value) + '"'
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        text = repr(value)
        if not re.fullmatch(r"-?[0-9][0-9.e+-]*|-?inf|nan", text):
            raise GeneratorBug(f"no literal for the number {text}")
        if text in ("inf", "-inf", "nan"):
            return f'float("{text}")'
        return text
    if isinstance(value, tuple):
        inner = ", ".join(_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise GeneratorBug(f"no literal for a value of type {type(value).__name__}")


def _docstring_body(text: str, docstring: bool = True) -> str:
    """Escape text for the inside of a `\"\"\"` string: no two live quotes in a row, none at the end."""
    if '"' not in text and "\\" not in text and text.replace("\n", "").isprintable():
        return text
    out: list[str] = []
    live_quote = False  # whether the last character written is an unescaped `"`
    for c in text:
        if c == '"':
            if live_quote:
                out.append('\\"')
                live_quote = False
            else:
                out.append('"')
                live_quote = True
            continue
        live_quote = False
        if c == "\\":
            out.append("\\\\")
        elif c == "\n" or c.isprintable():
            out.append(c)
        elif docstring and "\ud800" <= c <= "\udfff":
            # A class's docstring must encode as UTF-8: a lone surrogate is shown as its escape text.
            out.append(f"\\\\u{ord(c):04x}")
        else:
            out.append(_escape_char(c))
    if live_quote:  # `..."` before the closing quotes would end the docstring one quote early
        out[-1] = '\\"'
    return "".join(out)


def docstring(text: str | None, fallback: str, indent: int) -> Source:
    """A whole docstring at `indent` spaces: the text (or `fallback`) wrapped, then escaped."""
    raw = (text or "").strip() or fallback.strip()
    width = max(40, 88 - indent - 6)
    # Words are never split (by length or at hyphens), so the text reads back as it was written.
    paragraphs = [textwrap.fill(" ".join(p.split()), width, break_long_words=False, break_on_hyphens=False)
                  for p in raw.split("\n\n") if p.strip()]
    lines = [_docstring_body(line) for line in "\n\n".join(paragraphs).split("\n")] if paragraphs else [""]
    pad = " " * indent
    if len(lines) == 1:
        return Source(f'{pad}"""{lines[0]}"""')
    rest = "\n".join((pad + line) if line else "" for line in lines[1:])
    return Source(f'{pad}"""{lines[0]}\n{rest}\n{pad}"""')


def comment(text: str) -> Source:
    """A `# ...` comment of one line (newlines become spaces, other unprintable characters escapes)."""
    return Source("# " + _escape(" ".join(text.split()), quote=""))


def token_block(tokens: Iterable[Iterable[str]], indent: int, closing: int, width: int | None = None) -> Source:
    """A triple-quoted block of whitespace-separated tokens, one row per line at `indent` spaces.

    With `width`, each row's tokens are instead run together and wrapped at that width (a list
    of names). A token must stay one token when the runtime splits the block: a token with
    whitespace in it, or an empty one, is refused (names are checked when they are read).
    """
    rows: list[list[str]] = []
    for row in tokens:
        words = list(row)
        for word in words:
            if not word or word.split() != [word]:
                raise GeneratorBug(f"{word!r} would not stay one token in a generated table")
        rows.append(words)
    pad = " " * indent
    if width is None:
        lines = [" ".join(words) for words in rows]
    else:
        lines = textwrap.wrap(" ".join(w for words in rows for w in words), width, break_long_words=False,
                              break_on_hyphens=False) or [""]
    body = "\n".join(pad + _docstring_body(line, docstring=False) for line in lines)
    return Source(f'"""\n{body}\n{" " * closing}"""')


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifier(name: str) -> Source:
    """A Python name (decided by `generator.naming`): ASCII, a valid identifier, not a keyword."""
    if isinstance(name, Source) and _IDENTIFIER.fullmatch(name):
        return name
    if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise GeneratorBug(f"{name!r} is not a usable Python name")
    return Source(name)


_ANNOTATION = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?:(?:\[|\]|, |,| \| )+[A-Za-z_][A-Za-z0-9_.]*)*\]*")


def annotation(text: str) -> Source:
    """A type expression made of names, `.`, `[`, `]`, `,` and `|` (so it is safe even inside quotes)."""
    if not _ANNOTATION.fullmatch(text):
        raise GeneratorBug(f"{text!r} is not a type expression the generator writes")
    return Source(text)


def code(template: str, *args: Source | bool | int | None) -> Source:
    """Generator-written statement text with `{}` fields filled by `Source` values (or bools, ints, None)."""
    parts = []
    for arg in args:
        if isinstance(arg, Source):
            parts.append(str(arg))
        elif arg is None or isinstance(arg, bool | int):
            parts.append(repr(arg))
        else:
            raise GeneratorBug(f"{arg!r} reached generated code without going through generator.pysource")
    return Source(template.format(*parts))


def join(items: Iterable[Source], separator: str) -> Source:
    """`Source` items joined by generator-written text."""
    out = []
    for item in items:
        if not isinstance(item, Source):
            raise GeneratorBug(f"{item!r} reached generated code without going through generator.pysource")
        out.append(str(item))
    return Source(separator.join(out))


def _finalize(value: Any) -> Any:
    if isinstance(value, Source) or value is None or isinstance(value, bool | int):
        return value
    raise GeneratorBug(
        f"a template tried to write {value!r} ({type(value).__name__}) without going through generator.pysource"
    )


def _join_filter(items: Iterable[Source], separator: str = ", ") -> Source:
    return join(items, separator)


def template_environment(folder: Path) -> jinja2.Environment:
    """A Jinja environment for `folder` whose `{{ ... }}` output must be `Source` (or a bool, int or None).

    Filters that would turn raw text into output (`join`, `wordwrap`, `format`...) are replaced
    or removed; templates share pieces through `{% include %}`, whose output is not an
    expression, rather than macros, whose output would be an unchecked string.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
    )
    for name in list(env.filters):
        if name not in _KEPT_FILTERS:
            del env.filters[name]
    env.filters["literal"] = literal
    env.filters["join"] = _join_filter
    env.filters["docstring"] = docstring
    return env


# Jinja's own filters that return the values they are given, or no text at all.
_KEPT_FILTERS = frozenset({"groupby", "map", "length", "count", "first", "last", "list", "sort", "selectattr",
                           "rejectattr", "select", "reject", "batch", "slice", "unique", "default", "d"})
