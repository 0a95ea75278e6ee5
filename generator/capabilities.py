"""The Capabilities annotations the query builder enforces, as a table keyed by request path.

Keys are `<entity set or singleton>` and `<entity set>/<navigation path>` (from
`NavigationRestrictions`), and `<qualified type>/<navigation property>` for annotations
on navigation properties. Values keep only what the runtime checks (see
`odatakit.capabilities`), with property paths as plain strings and the annotation's target
for error messages.
"""

from __future__ import annotations

from typing import Any

from .model import Annotation, Model

__all__ = ["capability_table"]

CAPABILITIES = "Org.OData.Capabilities.V1."

# Term → the record properties the runtime reads (None: the term's value is a Boolean).
_KEEP: dict[str, tuple[str, ...] | None] = {
    "FilterRestrictions": ("Filterable", "RequiresFilter", "RequiredProperties", "NonFilterableProperties"),
    "SortRestrictions": ("Sortable", "NonSortableProperties", "AscendingOnlyProperties", "DescendingOnlyProperties"),
    "SelectSupport": ("Supported",),
    "ExpandRestrictions": ("Expandable", "NonExpandableProperties", "MaxLevels"),
    "TopSupported": None,
    "SkipSupported": None,
    "CountRestrictions": ("Countable", "NonCountableProperties", "NonCountableNavigationProperties"),
    "SearchRestrictions": ("Searchable",),
    "IndexableByKey": None,
    "ReadRestrictions": ("ReadByKeyRestrictions",),
}


def _plain(value: Any) -> Any:
    """Annotation JSON → plain values: `{"$PropertyPath": "a/b"}` → `"a/b"`."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key in ("$PropertyPath", "$NavigationPropertyPath", "$Path"):
                return inner
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _restrictions(term: str, value: Any) -> tuple[str, Any] | None:
    keep = _KEEP.get(term, ())
    if keep is None:
        return (term, value) if isinstance(value, bool) else None
    if not keep or not isinstance(value, dict):
        return None
    kept = {k: _plain(v) for k, v in value.items() if k in keep}
    if term == "ReadRestrictions":
        by_key = kept.get("ReadByKeyRestrictions")
        if not isinstance(by_key, dict) or "Readable" not in by_key:
            return None
        kept = {"ReadByKeyRestrictions": {"Readable": by_key["Readable"]}}
    return (term, kept) if kept else None


def _add(table: dict[str, dict[str, Any]], key: str, target: str, pairs: list[tuple[str, Any]]) -> None:
    if not pairs:
        return
    entry = table.setdefault(key, {"target": target})
    for term, value in pairs:
        entry[term] = value


def _from_annotations(annotations: tuple[Annotation, ...]) -> tuple[list[tuple[str, Any]], list[Any]]:
    """(enforced terms, NavigationRestrictions.RestrictedProperties records) of an element."""
    pairs: list[tuple[str, Any]] = []
    restricted: list[Any] = []
    for a in annotations:
        if not a.term.startswith(CAPABILITIES) or a.qualifier:
            continue
        term = a.term[len(CAPABILITIES):]
        if term == "NavigationRestrictions" and isinstance(a.value, dict):
            restricted.extend(a.value.get("RestrictedProperties") or [])
            continue
        pair = _restrictions(term, a.value)
        if pair is not None:
            pairs.append(pair)
    return pairs, restricted


def _nested(table: dict[str, dict[str, Any]], prefix: str, target: str, records: list[Any]) -> None:
    for record in records:
        if not isinstance(record, dict):
            continue
        nav = _plain(record.get("NavigationProperty"))
        if not isinstance(nav, str):
            continue
        pairs = [p for term, v in record.items() if (p := _restrictions(term, v)) is not None]
        _add(table, f"{prefix}/{nav}", f"{target} (NavigationRestrictions, {nav})", pairs)


def capability_table(model: Model) -> dict[str, dict[str, Any]]:
    """The enforced Capabilities of entity sets, singletons and navigation properties."""
    table: dict[str, dict[str, Any]] = {}
    container = model.container
    if container is not None:
        for s in container.entity_sets:
            target = f"{container.namespace}.{container.name}/{s.name}"
            pairs, restricted = _from_annotations(s.annotations)
            _add(table, s.name, target, pairs)
            _nested(table, s.name, target, restricted)
    for t in model.structured:
        for n in t.navigation:
            target = f"{t.qualified}/{n.name}"
            pairs, restricted = _from_annotations(n.annotations)
            _add(table, target, target, pairs)
            # Graph annotates a navigation property with restrictions on itself, by name.
            _nested(table, t.qualified, target, restricted)
    return dict(sorted(table.items()))
