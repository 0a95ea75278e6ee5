"""`Core.AlternateKeys`: the other keys an entity type's items are addressed by (`roleTemplateId=...`)."""

from __future__ import annotations

from typing import Any

from .identifiers import identifier_flaw
from .model import Annotation

__all__ = ["ALTERNATE_KEYS", "alternate_keys_of"]

ALTERNATE_KEYS = "Org.OData.Core.V1.AlternateKeys"


def alternate_keys_of(annotations: tuple[Annotation, ...], properties: set[str]) -> list[tuple[tuple[str, str], ...]]:
    """Each alternate key as (alias, property name) pairs; keys naming anything but a property of the type are left out.

    The alias goes into URLs and the property name chooses the value's type: both must be
    simple identifiers, and only properties of the type itself (not paths into complex values)
    are addressed, as the services that declare alternate keys use them.
    """
    out: list[tuple[tuple[str, str], ...]] = []
    for a in annotations:
        if a.term != ALTERNATE_KEYS or a.qualifier or not isinstance(a.value, list):
            continue
        for record in a.value:
            parts = _parts(record, properties)
            if parts and parts not in out:
                out.append(parts)
    return out


def _parts(record: Any, properties: set[str]) -> tuple[tuple[str, str], ...]:
    refs = record.get("Key") if isinstance(record, dict) else None
    if not isinstance(refs, list) or not refs:
        return ()
    parts: list[tuple[str, str]] = []
    for ref in refs:
        if not isinstance(ref, dict):
            return ()
        name = ref.get("Name")
        path = name.get("$PropertyPath") if isinstance(name, dict) else name
        alias = ref.get("Alias", path)
        if not isinstance(path, str) or not isinstance(alias, str) or path not in properties:
            return ()
        if identifier_flaw(alias) is not None:
            return ()
        parts.append((alias, path))
    return tuple(parts)
