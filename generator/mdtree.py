"""The block structure of a Markdown page, from a CommonMark parser (markdown-it-py with tables).

:mod:`generator.spectables` and :mod:`generator.samples` read pages through this module: which
lines are headings, tables, fenced code blocks and HTML comments is decided by a real parser,
so a ```` ```json ```` line inside a ```` ``` ```` block stays content, an indented fence inside a list
item is a fence, and a comment hides what it holds.  Each block carries its 0-based line
range; the readers keep working on lines, with these blocks saying what each line is.

Only the block level is parsed (no inline parsing: cell, heading and prose text stay as
written), which is what the readers need and keeps a 2,000-page reference under a second and
a half.  The YAML front matter of a page (``---`` ... ``---`` at its top) is not Markdown and
is left out.  Docfx tab labels (``# [HTTP](#tab/http)``) are headings to a CommonMark parser
but tabs to the page's renderer: they are :attr:`Heading.tab`.

The generator imports this module only to read pages (``odatakit[generator]``); generated
packages never do.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import attrs

__all__ = ["Comment", "Document", "Fence", "Heading", "Table", "Text", "parse", "split_cells"]


@attrs.frozen
class Heading:
    """An ATX or setext heading: ``level`` 1-6, ``text`` as written (anchors and emphasis kept)."""

    line: int
    end: int
    level: int
    text: str
    tab: bool  # a docfx tab label (`# [C#](#tab/csharp)`), not a section


@attrs.frozen
class Fence:
    """A fenced code block: the opening line, the closing line (``end``), the info string (lower case).

    ``end`` is the closing fence's line; for a fence that is never closed (it runs to the end of
    the page or of its list item), the first line after its content, and ``closed`` is False.
    """

    line: int
    end: int
    info: str
    closed: bool


@attrs.frozen
class Comment:
    """An HTML comment block; ``annotation`` is its JSON object when it holds one (docfx annotations)."""

    line: int
    end: int  # exclusive
    text: str
    annotation: dict[str, Any] | None


@attrs.frozen
class Table:
    """A pipe table: header line, body row lines, the header cells as written."""

    line: int
    end: int  # exclusive
    header: tuple[str, ...]
    rows: tuple[int, ...]  # line of each body row
    swallowed: int | None = None  # a prose line right after the table that a renderer takes for a row


@attrs.frozen
class Text:
    """A paragraph, or any other block of rendered prose (lines as written)."""

    line: int
    end: int  # exclusive


Block = Heading | Fence | Comment | Table | Text


@attrs.frozen
class Document:
    """The page's lines and its blocks in page order."""

    lines: tuple[str, ...]
    blocks: tuple[Block, ...]
    front_matter: int  # lines of YAML front matter at the top (0 when none)


@cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    parser.disable("inline")
    return parser


_TAB_LABEL = re.compile(r"^\s*\[[^\]]*\]\(#tab/[^)]*\)\s*$")
_ATX_MARKS = re.compile(r"^#{1,6}(?=\s|$)|(?<=\s)#+\s*$|^#+\s*$")
_FENCE_CLOSE = re.compile(r"^\s*(`{3,}|~{3,})\s*$")


def _front_matter(lines: list[str]) -> int:
    """The number of lines of a YAML front matter block at the top of the page (0 when none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, min(len(lines), 200)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def split_cells(text: str) -> list[str]:
    """Split a pipe-table row into cells as written (pipes inside code spans or escaped do not split)."""
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


def _annotation(text: str) -> dict[str, Any] | None:
    """The JSON object inside ``<!-- { ... } -->``, or None."""
    inner = text.strip()
    if not inner.startswith("<!--"):
        return None
    inner = inner[4:]
    inner = inner[: inner.rfind("-->")] if "-->" in inner else inner
    inner = inner.strip()
    if not inner.startswith("{"):
        return None
    try:
        value = json.loads(inner)
    except ValueError:
        # Trailing commas and the like: the keys that matter, read one by one.
        value = {}
        for key in ("blockType", "@odata.type", "isCollection", "truncated", "name"):
            match = re.search(rf'"{re.escape(key)}"\s*:\s*("(?:[^"\\]|\\.)*"|true|false)', inner)
            if match:
                value[key] = json.loads(match.group(1))
        return value or None
    return value if isinstance(value, dict) else None


def parse(text: str) -> Document:
    """The blocks of a Markdown page (lines 0-based, as ``text.splitlines()`` numbers them)."""
    lines = text.splitlines()
    front = _front_matter(lines)
    # Blank lines keep the numbering: markdown-it splits lines on "\n" only, like splitlines here
    # for the pages read (a lone "\r" or form feed would shift them; normalise those to "\n").
    source = "\n".join([""] * front + lines[front:])
    tokens = _parser().parse(source)
    blocks: list[Block] = []
    position = 0
    count = len(tokens)
    while position < count:
        token = tokens[position]
        kind = token.type
        where = token.map
        if kind == "heading_open" and where is not None:
            # The text as written (the parser replaces NUL and the like, which a reader must see).
            if token.markup.startswith("#"):
                text = _ATX_MARKS.sub("", lines[where[0]].strip()).strip()
            else:
                text = " ".join(line.strip() for line in lines[where[0] : where[1] - 1])
            level = int(token.tag[1])
            blocks.append(Heading(where[0], where[1], level, text, bool(_TAB_LABEL.match(text))))
            position += 3
            continue
        if kind in ("fence",) and where is not None:
            start, stop = where
            last = stop - 1
            closed = last > start and _FENCE_CLOSE.match(lines[last]) is not None and _closes(token.markup, lines[last])
            info = token.info.strip().split()[0].lower() if token.info.strip() else ""
            blocks.append(Fence(start, last if closed else stop, info, closed))
        elif kind == "html_block" and where is not None and token.content.lstrip().startswith("<!--"):
            blocks.append(Comment(where[0], where[1], token.content, _annotation(token.content)))
        elif kind == "table_open" and where is not None:
            close = position
            while tokens[close].type != "table_close":
                close += 1
            blocks.append(_table(lines, tokens[position:close], where))
            position = close + 1
            continue
        elif kind in ("paragraph_open", "html_block", "code_block") and where is not None:
            blocks.append(Text(where[0], where[1]))
        position += 1
    blocks.sort(key=lambda block: block.line)
    return Document(tuple(lines), tuple(blocks), front)


def _closes(markup: str, line: str) -> bool:
    """Whether a line closes a fence opened with `markup` (same character, at least as many)."""
    stripped = line.strip()
    return stripped[:1] == markup[:1] and len(stripped) >= len(markup) and set(stripped) == {markup[0]}


def _table(lines: list[str], tokens: list[Any], where: list[int]) -> Table:
    """A table block from its tokens; rows end at the first line without a pipe (see :class:`Table`)."""
    start, stop = where
    rows: list[int] = []
    swallowed: int | None = None
    for token in tokens:
        if token.type == "tr_open" and token.map is not None and token.map[0] > start + 1:
            row = token.map[0]
            if "|" not in lines[row]:
                swallowed = row
                stop = row
                break
            rows.append(row)
    return Table(start, stop, tuple(split_cells(lines[start])), tuple(rows), swallowed)
