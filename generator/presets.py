"""Service presets: the conventions of Microsoft Graph and Outlook REST, detected or chosen.

A preset gives defaults for the options a service's conventions decide (keys as segments,
unqualified operations and enums, the `$batch` format, the OAuth scope, the client class);
any option given on the command line wins over the preset. `auto` picks the preset from the
document's schema namespaces (`microsoft.graph`, `Microsoft.OutlookServices`), else none.
"""

from __future__ import annotations

import attrs

from .model import Model

__all__ = ["PRESETS", "Preset", "detect", "resolve"]


@attrs.frozen
class Preset:
    """The option defaults of one service's conventions."""

    name: str
    key_as_segment: bool = False
    qualified_operations: bool = True
    qualified_enums: bool = True
    batch_format: str | None = None
    scopes: tuple[str, ...] = ()
    client_class: str | None = None
    description: str = ""


PRESETS: dict[str, Preset] = {
    "graph": Preset(
        "graph", key_as_segment=True, qualified_operations=False, qualified_enums=False, batch_format="json",
        scopes=("https://graph.microsoft.com/.default",), client_class="GraphClient",
        description="Microsoft Graph: keys as segments, unqualified operations and enums, JSON $batch",
    ),
    "outlook": Preset(
        "outlook", key_as_segment=True, qualified_operations=False, qualified_enums=True, batch_format="json",
        scopes=("https://outlook.office.com/.default",), client_class="OutlookClient",
        description="Outlook REST: keys as segments, unqualified operations, JSON $batch",
    ),
    "none": Preset("none", description="OData V4 defaults"),
}

#: Schema namespace → the preset `auto` picks for a document declaring it.
NAMESPACES = {"microsoft.graph": "graph", "Microsoft.OutlookServices": "outlook"}


def detect(model: Model) -> str:
    """The preset a document's namespaces call for ("none" when no known service's)."""
    for namespace in model.namespaces:
        if namespace in NAMESPACES:
            return NAMESPACES[namespace]
    return "none"


def resolve(choice: str, model: Model) -> tuple[Preset, str]:
    """The preset for `--preset choice` (auto, graph, outlook, none) and why it applies."""
    if choice == "auto":
        name = detect(model)
        why = "none detected" if name == "none" else f"detected from namespace {_namespace_of(name)}"
        return PRESETS[name], why
    return PRESETS[choice], "given"


def _namespace_of(preset: str) -> str:
    return next(ns for ns, name in NAMESPACES.items() if name == preset)
