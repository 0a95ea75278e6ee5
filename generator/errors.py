"""Problems found while reading metadata: fatal errors and collected warnings.

Both say where the problem is, in one line: ``<source>:<line>: <Element>: message``
(the line and the element are left out when unknown).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

__all__ = ["Diagnostic", "Diagnostics", "MetadataError", "format_location"]


def _one_line(text: str) -> str:
    # Messages often embed text from the document or from lxml; a multi-line message would
    # break the "one problem per line" contract that tools and tests rely on.
    return " ".join(text.split())


# What varies between warnings of one kind: quoted names and values, and numbers.
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")


# What a summary by kind also sets aside: URLs and placeholders.
_VARYING_MORE = re.compile(r"\S+://\S+|\{[^{}]*\}|(?:…[, ]*)+…")


def _kind_of(message: str) -> str:
    """A warning's kind: the message with what varies between pages replaced by `…`."""
    return _VARYING_MORE.sub("…", _VARYING.sub("…", message))


def format_location(source: str, line: int | None, element: str | None, message: str) -> str:
    """Format a problem as one line: ``source:line: <Element>: message``."""
    parts = [source]
    if line is not None:
        parts.append(str(line))
    head = ":".join(parts)
    if element:
        head += f": <{element}>"
    return f"{head}: {_one_line(message)}"


class MetadataError(Exception):
    """A metadata document that cannot be read into a model."""

    def __init__(self, message: str, *, source: str, line: int | None = None, element: str | None = None) -> None:
        self.message = _one_line(message)
        self.source = source
        self.line = line
        self.element = element
        super().__init__(format_location(source, line, element, self.message))


class Diagnostic(NamedTuple):
    """One warning: where it is and what it says."""

    source: str
    line: int | None
    element: str | None
    message: str

    def __str__(self) -> str:
        return format_location(self.source, self.line, self.element, self.message)


class Diagnostics:
    """Warnings collected while reading: the reader goes on after each of them.

    A broken or hostile document can cause a warning per element, millions of them: only the
    first `per_kind` warnings of each kind (same source, same message once quoted names and
    numbers are set aside) and `most` warnings in all are kept.  The rest are counted, `count`
    is the total, and `format_lines` ends with one line per kind saying how many were not kept.
    """

    def __init__(self, *, per_kind: int = 100, most: int = 10_000) -> None:
        self.warnings: list[Diagnostic] = []
        self.count = 0
        self.per_kind = per_kind
        self.most = most
        self._kept: dict[tuple[str, str], int] = {}
        # Keys are kept kinds, or (source, "") for warnings beyond `most` of kinds never kept,
        # so this stays as small as the kept list however many kinds a document invents.
        self._unkept: dict[tuple[str, str], int] = {}

    def warn(self, message: str, *, source: str, line: int | None = None, element: str | None = None) -> None:
        """Record one warning (or only count it, past the limits)."""
        self.count += 1
        text = _one_line(message)
        kind = (source, _VARYING.sub("…", text))
        kept = self._kept.get(kind, 0)
        if kept < self.per_kind and len(self.warnings) < self.most:
            self._kept[kind] = kept + 1
            self.warnings.append(Diagnostic(source, line, element, text))
            return
        if kind not in self._kept:
            kind = (source, "")
        self._unkept[kind] = self._unkept.get(kind, 0) + 1

    def checkpoint(self) -> tuple[int, int, dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """The state to `rewind` to, for a reader that may take back what it said."""
        return len(self.warnings), self.count, dict(self._kept), dict(self._unkept)

    def rewind(self, checkpoint: tuple[int, int, dict[tuple[str, str], int], dict[tuple[str, str], int]]) -> None:
        """Forget every warning recorded since `checkpoint` was taken."""
        kept, self.count, self._kept, self._unkept = checkpoint
        del self.warnings[kept:]
        # A later rewind to the same checkpoint must find it as it was.
        self._kept, self._unkept = dict(self._kept), dict(self._unkept)

    def counts_by_kind(self) -> dict[str, tuple[int, str]]:
        """Every warning counted by kind (its message with names, numbers, URLs and placeholders set aside),
        with the `page:line` of the first kept one."""
        counts: dict[str, list[Any]] = {}
        first: dict[str, str] = {}
        for w in self.warnings:
            kind = _kind_of(w.message)
            first.setdefault(kind, f"{w.source}:{w.line}" if w.line is not None else w.source)
        for table in (self._kept, self._unkept):
            for (source, text), n in table.items():
                kind = _kind_of(text) if text else "(warnings past the limit of kept warnings)"
                entry = counts.setdefault(kind, [0, first.get(kind, source)])
                entry[0] += n
        return {kind: (int(n), str(where)) for kind, (n, where) in counts.items()}

    def format_lines(self) -> list[str]:
        """Every kept warning as one line, in the order they were found, then one line per kind not all kept."""
        lines = [str(w) for w in self.warnings]
        for (source, kind), n in self._unkept.items():
            more = f"... and {n} more warning{'s' if n != 1 else ''}"
            lines.append(format_location(source, None, None, f"{more} like: {kind}" if kind else more))
        return lines

    def format(self) -> str:
        """Every kept warning, one per line, and the counts of those not kept."""
        return "\n".join(self.format_lines())
