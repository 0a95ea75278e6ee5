"""Enforcing the service's Capabilities annotations before a request is sent.

The generator writes the annotations it found into the package's `_capabilities.py`
(see `generator.capabilities`); queries look up the entries for their path and refuse
options the service says it does not support, quoting the annotation. With
`Client(strict=False)` the refusals become `CapabilityWarning`s and the query is built anyway.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from .expr import Expr

__all__ = ["CapabilityError", "CapabilityWarning", "Capabilities"]

_NS = "Org.OData.Capabilities.V1."


class CapabilityError(ValueError):
    """The service's Capabilities annotations say it does not support this query."""


class CapabilityWarning(UserWarning):
    """Like `CapabilityError`, for clients created with `strict=False`."""


# Record properties whose `true` grants rather than restricts.
_PERMISSIONS = frozenset({
    "Expandable", "Filterable", "Sortable", "Searchable", "Countable", "Supported", "Insertable", "Updatable",
    "Deletable", "Readable",
})


class Capabilities:
    """The restrictions that apply to one request path, most specific entry first."""

    __slots__ = ("entries", "_flat", "_restricting")

    def __init__(self, entries: tuple[Mapping[str, Any], ...]) -> None:
        self.entries = entries
        # (term, record property or None) → (value, target); the most specific entry wins.
        self._flat: dict[tuple[str, str | None], tuple[Any, str]] = {}
        for entry in reversed(entries):
            target = entry["target"]
            for term, value in entry.items():
                if term == "target":
                    continue
                self._flat[(term, None)] = (value, target)
                if isinstance(value, dict):
                    for prop, inner in value.items():
                        self._flat[(term, prop)] = (inner, target)
        # Terms that can refuse something: a record of only `Expandable: true`, empty lists and
        # the like allows everything, so the checks of its option are skipped altogether.
        self._restricting = frozenset(
            term for (term, prop), (value, _) in self._flat.items()
            if prop is not None and not (value == [] or (value is True and prop in _PERMISSIONS))
        )

    def has(self, term: str) -> bool:
        """True when the term is annotated at all (most checks stop here)."""
        return (term, None) in self._flat

    def restricts(self, term: str) -> bool:
        """True when the term's annotation here can refuse something (not only permissions granted)."""
        return term in self._restricting

    def find(self, term: str, prop: str | None = None) -> tuple[Any, str] | None:
        """(value, annotation target) of a term (or of one property of its record), if annotated."""
        return self._flat.get((term, prop))

    def __repr__(self) -> str:
        return f"<Capabilities {[e['target'] for e in self.entries]}>"


def refuse(what: str, term: str, value: Any, target: str, strict: bool) -> None:
    """Raise (or warn, when not strict) quoting the annotation that forbids `what`."""
    message = f"{what}: the service's metadata has {_NS}{term} = {_show(value)} on {target}"
    if strict:
        raise CapabilityError(message)
    warnings.warn(message, CapabilityWarning, stacklevel=4)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _denied(caps: Capabilities, term: str, prop: str | None, what: str, strict: bool) -> None:
    found = caps.find(term, prop)
    if found is not None and found[0] is False:
        shown = f"{term}/{prop}" if prop else term
        refuse(what, shown, False, found[1], strict)


def paths_of(expr: Expr) -> set[str]:
    """The property paths (rooted at a type, not at a lambda variable) an expression reads."""
    out: set[str] = set()
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if not isinstance(node, Expr):
            continue
        if node._specs is not None:
            if isinstance(node._base, type):
                out.add(node._text)
            continue
        if node._parts is not None:
            stack.extend(node._parts)
    return out


def _listed(caps: Capabilities, term: str, prop: str) -> tuple[set[str], str]:
    found = caps.find(term, prop)
    if found is None or not isinstance(found[0], list):
        return set(), ""
    return {p for p in found[0] if isinstance(p, str)}, found[1]


def check_filter(caps: Capabilities, condition: Expr, strict: bool) -> None:
    """FilterRestrictions: Filterable, NonFilterableProperties."""
    if not caps.restricts("FilterRestrictions"):
        return
    _denied(caps, "FilterRestrictions", "Filterable", "$filter is not supported here", strict)
    banned, target = _listed(caps, "FilterRestrictions", "NonFilterableProperties")
    if banned:
        for path in sorted(paths_of(condition)):
            hit = next((b for b in banned if path == b or path.startswith(b + "/")), None)
            if hit is not None:
                refuse(f"$filter on {path!r} is not supported", "FilterRestrictions/NonFilterableProperties",
                       sorted(banned), target, strict)


def check_required_filter(caps: Capabilities, condition: Expr | None, strict: bool) -> None:
    """FilterRestrictions: RequiresFilter, RequiredProperties (checked when the query runs)."""
    if not caps.restricts("FilterRestrictions"):
        return
    found = caps.find("FilterRestrictions", "RequiresFilter")
    if found is not None and found[0] is True and condition is None:
        refuse("this collection needs a $filter", "FilterRestrictions/RequiresFilter", True, found[1], strict)
    required, target = _listed(caps, "FilterRestrictions", "RequiredProperties")
    if required:
        used = paths_of(condition) if condition is not None else set()
        missing = sorted(r for r in required if r not in used)
        if missing:
            refuse(f"the $filter must use {', '.join(missing)}", "FilterRestrictions/RequiredProperties",
                   sorted(required), target, strict)


def check_orderby(caps: Capabilities, keys: Iterable[tuple[Expr, str]], strict: bool) -> None:
    """SortRestrictions: Sortable, NonSortable / AscendingOnly / DescendingOnly properties."""
    if not caps.restricts("SortRestrictions"):
        return
    _denied(caps, "SortRestrictions", "Sortable", "$orderby is not supported here", strict)
    non, t1 = _listed(caps, "SortRestrictions", "NonSortableProperties")
    asc_only, t2 = _listed(caps, "SortRestrictions", "AscendingOnlyProperties")
    desc_only, t3 = _listed(caps, "SortRestrictions", "DescendingOnlyProperties")
    for expr, suffix in keys:
        for path in sorted(paths_of(expr)):
            if path in non:
                refuse(f"$orderby on {path!r} is not supported", "SortRestrictions/NonSortableProperties",
                       sorted(non), t1, strict)
            if path in asc_only and suffix == " desc":
                refuse(f"{path!r} sorts ascending only", "SortRestrictions/AscendingOnlyProperties",
                       sorted(asc_only), t2, strict)
            if path in desc_only and suffix != " desc":
                refuse(f"{path!r} sorts descending only (use .desc())", "SortRestrictions/DescendingOnlyProperties",
                       sorted(desc_only), t3, strict)


def check_select(caps: Capabilities, strict: bool) -> None:
    """SelectSupport/Supported."""
    _denied(caps, "SelectSupport", "Supported", "$select is not supported here", strict)


def check_expand(caps: Capabilities, navs: Iterable[str], levels: Iterable[int | str], strict: bool) -> None:
    """ExpandRestrictions: Expandable, NonExpandableProperties, MaxLevels."""
    if not caps.restricts("ExpandRestrictions"):
        return
    _denied(caps, "ExpandRestrictions", "Expandable", "$expand is not supported here", strict)
    banned, target = _listed(caps, "ExpandRestrictions", "NonExpandableProperties")
    for nav in navs:
        if nav in banned:
            refuse(f"$expand of {nav!r} is not supported", "ExpandRestrictions/NonExpandableProperties",
                   sorted(banned), target, strict)
    found = caps.find("ExpandRestrictions", "MaxLevels")
    if found is not None and isinstance(found[0], int) and found[0] >= 0:
        for level in levels:
            if level == "max" or (isinstance(level, int) and level > found[0]):
                refuse(f"$levels={level} is deeper than allowed", "ExpandRestrictions/MaxLevels", found[0],
                       found[1], strict)


def check_flag(caps: Capabilities, term: str, what: str, strict: bool) -> None:
    """A Boolean term such as TopSupported or SkipSupported."""
    found = caps.find(term)
    if found is not None and found[0] is False:
        refuse(what, term, False, found[1], strict)


def check_count(caps: Capabilities, strict: bool) -> None:
    """CountRestrictions/Countable."""
    _denied(caps, "CountRestrictions", "Countable", "$count is not supported here", strict)


def check_search(caps: Capabilities, strict: bool) -> None:
    """SearchRestrictions/Searchable."""
    _denied(caps, "SearchRestrictions", "Searchable", "$search is not supported here", strict)


def check_key(caps: Capabilities, strict: bool) -> None:
    """IndexableByKey and ReadRestrictions/ReadByKeyRestrictions/Readable."""
    check_flag(caps, "IndexableByKey", "items of this collection cannot be addressed by key", strict)
    found = caps.find("ReadRestrictions", "ReadByKeyRestrictions")
    if found is not None and isinstance(found[0], dict) and found[0].get("Readable") is False:
        refuse("items of this collection cannot be read by key", "ReadRestrictions/ReadByKeyRestrictions/Readable",
               False, found[1], strict)
