"""Problems found while reading metadata: fatal errors and collected warnings.

Both say where the problem is, in one line: ``<source>:<line>: <Element>: message``
(the line and the element are left out when unknown).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Diagnostic", "Diagnostics", "MetadataError", "format_location"]


def _one_line(text: str) -> str:
    # Messages often embed text from the document or from lxml; a multi-line message would
    # break the "one problem per line" contract that tools and tests rely on.
    return " ".join(text.split())


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
    """Warnings collected while reading: the reader goes on after each of them."""

    def __init__(self) -> None:
        self.warnings: list[Diagnostic] = []

    def warn(self, message: str, *, source: str, line: int | None = None, element: str | None = None) -> None:
        """Record one warning."""
        self.warnings.append(Diagnostic(source, line, element, _one_line(message)))

    def format_lines(self) -> list[str]:
        """Every warning formatted as one line, in the order they were found."""
        return [str(w) for w in self.warnings]

    def format(self) -> str:
        """Every warning, one per line."""
        return "\n".join(self.format_lines())
