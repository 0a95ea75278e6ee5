"""Pairing a table's rows with the names a request line or a request sample offers.

See :class:`_Alignment`.  Used by :mod:`generator.spectables` for URL rows (placeholders) and
body rows (the keys of the request samples).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from .spectext import (
    _similarity,
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
