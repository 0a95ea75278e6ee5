"""Pruning: keep the types a caller names, and everything they need.

The closure is computed on the model; the output is the *original* XML with the other
elements removed, so annotations, facets and comments of what is kept survive untouched.

What is pulled in, and why (``--explain`` prints these reasons):

* ``include``: matched an ``--include`` pattern (qualified name or glob);
* ``base of X``: a base type of a kept type;
* ``type of X/p``: the type of a structural property or a type definition's underlying type;
* ``derived from X``: a type deriving from an included type, or from a complex type that a
  kept property uses (values of those can arrive as derived types through ``@odata.type``);
* ``operation X``: a parameter or return type of an operation bound to a kept type.

Navigation properties do not pull their targets in (that would pull in most of a large
service): a navigation is kept when its target is kept, and dropped otherwise.
``--exclude`` wins over everything except base types, which a kept type cannot lose.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path

import attrs
from lxml import etree

from .errors import MetadataError
from .model import Model, TypeRef

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
_E = f"{{{EDM}}}"

_TYPE_TAGS = {"EntityType", "ComplexType", "EnumType", "TypeDefinition"}


@attrs.frozen
class PruneResult:
    """The kept type names with the first reason each was kept, and kept operations."""

    kept: dict[str, str]
    operations: frozenset[str]


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or name == p for p in patterns)


def closure(model: Model, include: Iterable[str], exclude: Iterable[str] = ()) -> PruneResult:
    """Compute which types (and bound operations) to keep."""
    include = list(include)
    exclude = list(exclude)
    structured = model.structured_by_name()
    enums = model.enums_by_name()
    typedefs = model.type_definitions_by_name()
    all_names = list(structured) + list(enums) + list(typedefs)
    kept: dict[str, str] = {}
    queue: list[str] = []

    def add(name: str, reason: str, force: bool = False) -> None:
        if name in kept or name.startswith("Edm."):
            return
        if name not in structured and name not in enums and name not in typedefs:
            return
        if not force and _matches(name, exclude):
            return
        kept[name] = reason
        queue.append(name)

    def add_ref(ref: TypeRef, reason: str) -> None:
        add(ref.name, reason)

    roots = [n for n in all_names if _matches(n, include)]
    for n in roots:
        add(n, "include")
    polymorphic: set[str] = set(roots)

    ops_by_binding: dict[str, list[int]] = {}
    for i, op in enumerate(model.operations):
        if op.binding is not None:
            ops_by_binding.setdefault(op.binding.type.name, []).append(i)
    kept_ops: set[int] = set()

    while queue:
        name = queue.pop(0)
        if name in structured:
            t = structured[name]
            if t.base:
                add(t.base, f"base of {name}", force=True)
            for p in t.properties:
                add_ref(p.type, f"type of {name}/{p.name}")
                if p.type.name in structured and structured[p.type.name].kind == "complex":
                    polymorphic.add(p.type.name)
            if name in polymorphic:
                for d in model.derived_of(name):
                    add(d.qualified, f"derived from {name}")
            for i in ops_by_binding.get(name, []):
                op = model.operations[i]
                kept_ops.add(i)
                for param in op.call_parameters:
                    add_ref(param.type, f"operation {op.qualified}")
                if op.return_type is not None:
                    add_ref(op.return_type, f"operation {op.qualified}")
        elif name in typedefs:
            add_ref(typedefs[name].underlying, f"type of {name}")

    # An operation is kept only when all its types survived (exclusions may drop some).
    ops: set[str] = set()
    for i in sorted(kept_ops):
        op = model.operations[i]
        refs = [p.type for p in op.parameters] + ([op.return_type] if op.return_type else [])
        if all(r.name.startswith("Edm.") or r.name in kept for r in refs):
            ops.add(_op_key(op.qualified, op.binding.type if op.binding else None))
    return PruneResult(kept, frozenset(ops))


def _op_key(qualified: str, binding: TypeRef | None) -> str:
    if binding is None:
        return qualified
    return f"{qualified}({'Collection(' + binding.name + ')' if binding.collection else binding.name})"


class _Aliases:
    def __init__(self, root: etree._Element) -> None:
        self.map: dict[str, str] = {}
        for inc in root.iter(f"{{{EDMX}}}Include"):
            ns, alias = inc.get("Namespace"), inc.get("Alias")
            if ns and alias:
                self.map[alias] = ns
        for schema in root.iter(f"{_E}Schema"):
            ns, alias = schema.get("Namespace"), schema.get("Alias")
            if ns and alias:
                self.map[alias] = ns

    def type_name(self, text: str) -> tuple[str, bool]:
        collection = text.startswith("Collection(") and text.endswith(")")
        if collection:
            text = text[len("Collection(") : -1]
        ns, _, local = text.rpartition(".")
        return (f"{self.map.get(ns, ns)}.{local}", collection)


def prune_document(
    source: str, data: bytes, model: Model, include: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[bytes, PruneResult]:
    """Return the pruned document (XML bytes) and what was kept."""
    result = closure(model, include, exclude)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataError(str(exc).splitlines()[0], source=source, line=exc.lineno) from None
    aliases = _Aliases(root)
    kept = result.kept
    container_types: dict[str, str] = {}  # entity set name → type
    removed_members: set[str] = set()
    containers = {
        f"{s.get('Namespace')}.{c.get('Name')}"
        for s in root.iter(f"{_E}Schema")
        for c in s.findall(f"{_E}EntityContainer")
    }

    for schema in root.iter(f"{_E}Schema"):
        ns = schema.get("Namespace", "")
        for child in list(schema):
            tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if tag in _TYPE_TAGS:
                name = f"{ns}.{child.get('Name')}"
                if name not in kept:
                    schema.remove(child)
                elif tag in ("EntityType", "ComplexType"):
                    _prune_members(child, kept, aliases, name, removed_members)
            elif tag in ("Action", "Function"):
                if not _keep_operation(child, ns, result, aliases):
                    schema.remove(child)
            elif tag == "EntityContainer":
                _prune_container(child, kept, result, aliases, container_types)

    # Annotations last: their targets may be container children seen only above.
    for schema in root.iter(f"{_E}Schema"):
        for child in schema.findall(f"{_E}Annotations"):
            head, _, rest = child.get("Target", "").partition("/")
            if rest and f"{aliases.type_name(head)[0]}/{rest.split('/')[0]}" in removed_members:
                schema.remove(child)
                continue
            if not _target_kept(child.get("Target", ""), kept, result, aliases, container_types, containers):
                schema.remove(child)
    text = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return text, result


def _prune_members(element: etree._Element, kept: dict[str, str], aliases: _Aliases, owner: str,
                   removed: set[str]) -> None:
    for child in list(element):
        if child.tag == f"{_E}NavigationProperty":
            target, _ = aliases.type_name(child.get("Type", ""))
            if target not in kept:
                element.remove(child)
                removed.add(f"{owner}/{child.get('Name')}")


def _keep_operation(element: etree._Element, ns: str, result: PruneResult, aliases: _Aliases) -> bool:
    qualified = f"{ns}.{element.get('Name')}"
    if element.get("IsBound", "false").lower() != "true":
        return False
    params = element.findall(f"{_E}Parameter")
    if not params:
        return False
    name, collection = aliases.type_name(params[0].get("Type", ""))
    return _op_key(qualified, TypeRef(name, collection=collection)) in result.operations


def _prune_container(
    container: etree._Element,
    kept: dict[str, str],
    result: PruneResult,
    aliases: _Aliases,
    container_types: dict[str, str],
) -> None:
    for child in list(container):
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if tag in ("EntitySet", "Singleton"):
            type_attr = child.get("EntityType") or child.get("Type") or ""
            name, _ = aliases.type_name(type_attr)
            if name not in kept:
                container.remove(child)
                continue
            container_types[child.get("Name", "")] = name
        elif tag in ("ActionImport", "FunctionImport"):
            container.remove(child)  # unbound operations are not part of a type closure
    kept_sets = set(container_types)
    for child in container:
        if child.tag not in (f"{_E}EntitySet", f"{_E}Singleton"):
            continue
        for binding in list(child.findall(f"{_E}NavigationPropertyBinding")):
            target = binding.get("Target", "").split("/")[-1]
            path = binding.get("Path", "")
            if target not in kept_sets or not _nav_path_kept(path, kept):
                child.remove(binding)


def _nav_path_kept(path: str, kept: dict[str, str]) -> bool:
    # Type-cast segments (qualified names) must be kept; plain segments are checked later
    # by the reader, which warns about a binding to a dropped navigation.
    return all(("." not in seg) or seg in kept for seg in path.split("/"))


def _target_kept(
    target: str,
    kept: dict[str, str],
    result: PruneResult,
    aliases: _Aliases,
    container_types: dict[str, str],
    containers: set[str],
) -> bool:
    head = target.split("/")[0].split("(")[0]
    qualified, _ = aliases.type_name(head)
    if qualified in kept:
        return True
    if any(op.split("(")[0] == qualified for op in result.operations):
        return True
    if qualified in containers:
        # The container itself, or one of its children ("Ns.Container/Set").
        return "/" not in target or target.split("/")[1] in container_types
    return False


def merge_overlay(base: bytes, overlay: bytes, source: str, overlay_source: str) -> bytes:
    """Merge an overlay document into a base document.

    For a type the base already has, the overlay's children (properties, navigation
    properties, annotations) that the base lacks are appended; everything else in an overlay
    schema (new types, new operations, enum members) is appended to the base schema of the
    same namespace.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(base, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataError(str(exc).splitlines()[0], source=source, line=exc.lineno) from None
    try:
        extra = etree.fromstring(overlay, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataError(str(exc).splitlines()[0], source=overlay_source, line=exc.lineno) from None
    schemas = {s.get("Namespace"): s for s in root.iter(f"{_E}Schema")}
    for oschema in extra.iter(f"{_E}Schema"):
        ns = oschema.get("Namespace")
        target = schemas.get(ns)
        if target is None:
            raise MetadataError(f"overlay schema {ns} is not in the base document", source=overlay_source,
                                line=_line(oschema), element="Schema")
        existing = {(c.tag, c.get("Name")): c for c in target if isinstance(c.tag, str)}
        for child in oschema:
            if not isinstance(child.tag, str):
                continue
            key = (child.tag, child.get("Name"))
            local = etree.QName(child).localname
            if key in existing and local in ("EntityType", "ComplexType", "EnumType"):
                have = {(c.tag, c.get("Name"), c.get("Term")) for c in existing[key] if isinstance(c.tag, str)}
                for member in child:
                    if isinstance(member.tag, str) and (member.tag, member.get("Name"), member.get("Term")) not in have:
                        existing[key].append(member)
            elif local == "EntityContainer" and key in existing:
                for member in child:
                    if isinstance(member.tag, str):
                        existing[key].append(member)
            else:
                target.append(child)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None


def write_pruned(path: Path, data: bytes) -> None:
    """Write a pruned document next to the others, atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data if data.endswith(b"\n") else data + b"\n")
    tmp.replace(path)
