"""Model → Python package: plans modules, renders templates/, writes files atomically.

The output is deterministic: the same model and options give byte-identical files.
Types are chunked into modules (`models.py`, or `models_00.py`, ... for large schemas) in an
order where every base class comes first, so modules import each other at run time only
for base classes (never in a cycle); every other reference is a `TYPE_CHECKING` import.
Within that constraint each type sits next to the types it needs (`_locality_order`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jinja2

from odatakit import edm

from .capabilities import capability_table
from .merge import py_annotation, spec_of
from .model import (
    EnumType,
    Model,
    NavigationProperty,
    Operation,
    Parameter,
    Property,
    StructuredType,
    TypeDefinition,
    TypeRef,
    description_of,
)
from .naming import builder_names, pascal
from .structuring import (
    ClassCode,
    FieldCode,
    closing_lines,
    edm_decoder_name,
    edm_types_used,
    field_lines,
    inlinable,
    structure_module,
    uses_item_list,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_STDLIB_TYPES = {
    "datetime": "from datetime import datetime",
    "date": "from datetime import date",
    "time": "from datetime import time",
    "timedelta": "from datetime import timedelta",
    "Decimal": "from decimal import Decimal",
    "UUID": "from uuid import UUID",
    "ZoneInfo": "from zoneinfo import ZoneInfo",
}

# Preferences whose value the runtime converts: name → (keyword annotation, converter in odatakit.timezones).
# `outlook.timezone` takes a Windows or IANA name, or a ZoneInfo sent as its Windows name, whether or not
# the page shows a value (`Prefer: outlook.timezone` in a header table still takes one).
_TYPED_PREFERENCES = {"outlook.timezone": ("str | ZoneInfo | None", "prefer_timezone")}


#: A package with up to this many types (enums included) is one `models.py`: easiest to read.
ONE_MODULE_LIMIT = 200
#: Types per module beyond that. Reading a type imports its module and its bases' modules, and
#: each type costs about 30-60 µs to create, so small modules in locality order keep the first
#: import of a large package (the whole Graph) to the few hundred types it needs.
CHUNK_SIZE = 25


@attrs.frozen
class EmitOptions:
    """What the caller chooses about the emitted package."""

    package: str
    client_class: str | None = None
    #: Types per module; None: one module for up to `ONE_MODULE_LIMIT` types, else `CHUNK_SIZE` each.
    chunk_size: int | None = None
    key_as_segment: bool = False
    qualified_operations: bool = True
    qualified_enums: bool = True
    scopes: tuple[str, ...] = ()
    #: `$batch` format: "json" (OData 4.01), "multipart" (4.0), or None to follow the document's Version.
    batch_format: str | None = None
    #: Requests per `$batch` call; larger batches are split.
    batch_limit: int = 20


@attrs.frozen
class EmitResult:
    """What was written."""

    files: tuple[str, ...]
    types: int
    operations: int


class _Plan:
    """Where each type lives and how it is spelled in Python."""

    def __init__(self, model: Model, options: EmitOptions) -> None:
        self.model = model
        self.options = options
        self.structured = model.structured_by_name()
        self.enums = model.enums_by_name()
        self.typedefs = model.type_definitions_by_name()
        self.builders = builder_names(model)
        ordered = _locality_order(model)
        if options.chunk_size is not None:
            size = max(1, options.chunk_size)
        else:
            size = max(1, len(ordered)) if len(ordered) <= ONE_MODULE_LIMIT else CHUNK_SIZE
        chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]
        width = max(2, len(str(len(chunks) - 1)))
        self.chunks: list[tuple[str, str, list[EnumType | StructuredType]]] = []
        for i, chunk in enumerate(chunks):
            suffix = "" if len(chunks) == 1 else f"_{i:0{width}d}"
            self.chunks.append((f"models{suffix}", f"requests{suffix}", chunk))
        self.module_of: dict[str, str] = {}
        self.request_module_of: dict[str, str] = {}
        for models_mod, requests_mod, chunk in self.chunks:
            for t in chunk:
                self.module_of[t.qualified] = models_mod
                self.request_module_of[t.qualified] = requests_mod
        self.ops_by_binding = _group_operations(model.operations)
        #: Qualified names of the types some other type derives from.
        self.bases = {t.base for t in model.structured if t.base}
        self.qualified_by_py = {t.py_name: t.qualified for t in ordered}

    # -- types -------------------------------------------------------------------------------
    def resolve(self, ref: TypeRef) -> tuple[str, str]:
        """(type name for the field table, Python annotation of one item)."""
        name = _underlying(ref.name, self.typedefs)
        if name.startswith("Edm."):
            if name in ("Edm.EntityType", "Edm.ComplexType", "Edm.AnyPath", "Edm.PropertyPath"):
                return "Edm.Untyped", "Any"
            return name, edm.PY_TYPES.get(name, "Any")
        if name in self.structured:
            return name, self.structured[name].py_name
        if name in self.enums:
            return name, self.enums[name].py_name
        # A type of a namespace that is only referenced: kept as plain JSON.
        return "Edm.Untyped", "Any"

    def annotation(self, ref: TypeRef, optional: bool = True) -> str:
        """The Python annotation of a property or parameter."""
        _, py = self.resolve(ref)
        if ref.collection:
            py = f"list[{py}]"
        if optional and py != "Any":
            py = f"{py} | None"
        return py

    def expr_annotation(self, ref: TypeRef, navigation: bool) -> str:
        """The query-expression class a property is at class level (`StringExpr`, `ComplexExpr[X]`...)."""
        type_name, py = self.resolve(ref)
        if type_name.startswith("Edm."):
            item = _EXPR_CLASSES.get(type_name, "Expr")
        elif type_name in self.enums:
            item = f"EnumExpr[{py}]"
        elif navigation:
            return f"NavCollectionExpr[{py}]" if ref.collection else f"EntityExpr[{py}]"
        else:
            item = f"ComplexExpr[{py}]"
        return f"CollectionExpr[{item}]" if ref.collection else item

    def base_of(self, t: StructuredType) -> str:
        """The Python base class of a generated data class."""
        if t.base and t.base in self.structured:
            return self.structured[t.base].py_name
        return "EntityBase" if t.kind == "entity" else "ComplexBase"


_EXPR_CLASSES = {
    "Edm.String": "StringExpr",
    "Edm.Boolean": "BoolExpr",
    "Edm.DateTimeOffset": "DateTimeExpr",
    "Edm.Date": "DateExpr",
    "Edm.TimeOfDay": "TimeExpr",
    "Edm.Duration": "DurationExpr",
    "Edm.Guid": "GuidExpr",
    "Edm.Binary": "BinaryExpr",
    **dict.fromkeys(
        ("Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.Decimal"),
        "NumberExpr",
    ),
}


_EXPR_NAMES = frozenset({*_EXPR_CLASSES.values(), "Expr", "EnumExpr", "ComplexExpr", "EntityExpr", "CollectionExpr",
                         "NavCollectionExpr"})


# Lower-case names annotations use, and how to spell them where a class attribute hides them.
_SHADOWABLE = {
    **{n: f"builtins.{n}" for n in ("list", "str", "int", "bool", "float", "bytes")},
    **{n: f"_datetime.{n}" for n in ("datetime", "date", "time", "timedelta")},
}


_ALIAS_IMPORTS = {"builtins": "import builtins", "_datetime": "import datetime as _datetime"}


def _unshadow(annotation: str, hidden: set[str]) -> str:
    return re.sub(r"(?<![.\w])(\w+)\b", lambda m: _SHADOWABLE[m[1]] if m[1] in hidden else m[1], annotation)


def _natural(name: str) -> list[str | int]:
    """Sort key with digit runs compared as numbers (`Windows81` before `Windows365`), as ruff's RUF022 sorts."""
    return [int(part) if i % 2 else part for i, part in enumerate(re.split(r"(\d+)", name))]


def _tokens(annotation: str) -> list[str]:
    return annotation.replace("[", " ").replace("]", " ").replace("|", " ").replace(",", " ").split()


def _underlying(name: str, typedefs: Mapping[str, TypeDefinition]) -> str:
    """The type a (chain of) type definition(s) stands for; the name itself for any other type."""
    seen: set[str] = set()
    while name in typedefs and name not in seen:
        seen.add(name)
        name = typedefs[name].underlying.name
    return name


def _locality_order(model: Model) -> list[EnumType | StructuredType]:
    """Every type once, base types before derived ones, and each type near the types it needs.

    Chunked modules import each other for base classes only, so a base must come first.
    Beyond that the order decides what one `import` loads: a type is followed by the types
    of its properties (and theirs: complex and enum types, needed to read it), depth
    first, so that reading an entity loads a few neighbouring modules rather than most of
    the package. Entity types are taken in order of reach from the entity container: entity
    sets and singletons, then navigation targets breadth first, then derived types, then
    whatever nothing reaches, in declaration order.
    """
    structured = model.structured_by_name()
    enums = model.enums_by_name()
    typedefs = model.type_definitions_by_name()
    derived: dict[str, list[str]] = {}
    for t in model.structured:
        if t.base:
            derived.setdefault(t.base, []).append(t.qualified)

    def underlying(name: str) -> str:
        return _underlying(name, typedefs)

    out: list[EnumType | StructuredType] = []
    placed: set[str] = set()
    navigations: deque[str] = deque()
    later: deque[str] = deque()

    def place(root: str) -> None:
        stack = [underlying(root)]
        while stack:
            name = stack.pop()
            if name in placed:
                continue
            enum = enums.get(name)
            if enum is not None:
                placed.add(name)
                out.append(enum)
                continue
            t = structured.get(name)
            if t is None:
                continue
            if t.base and t.base in structured and t.base not in placed:
                stack += [name, t.base]  # the base (and its own needs) first, then this type again
                continue
            placed.add(name)
            out.append(t)
            stack += reversed([underlying(p.type.name) for p in t.properties])
            navigations.extend(n.type.name for n in t.navigation)
            later.extend(derived.get(name, ()))

    roots = [s.entity_type for s in model.container.entity_sets] if model.container else []
    for root in roots:
        place(root)
    while navigations or later:
        place((navigations or later).popleft())
    for name in [e.qualified for e in model.enums] + [t.qualified for t in model.structured]:
        place(name)
    return out


def _group_operations(operations: Iterable[Operation]) -> dict[tuple[str, bool], list[list[Operation]]]:
    """Bound operations by (binding type, collection?), overloads of one name together."""
    grouped: dict[tuple[str, bool], dict[str, list[Operation]]] = {}
    for op in operations:
        binding = op.binding
        if binding is None:
            continue
        key = (binding.type.name, binding.type.collection)
        grouped.setdefault(key, {}).setdefault(op.name, []).append(op)
    return {k: list(v.values()) for k, v in grouped.items()}


def _doc(text: str | None, fallback: str, indent: int) -> str:
    """A docstring body: wrapped, escaped, one line when it fits."""
    body = (text or fallback).strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    width = max(40, 88 - indent - 6)
    paragraphs = [textwrap.fill(" ".join(p.split()), width) for p in body.split("\n\n") if p.strip()]
    joined = "\n\n".join(paragraphs) or fallback
    if joined.endswith('"'):
        joined = joined[:-1] + '\\"'  # `..."""` would end the docstring one quote early
    pad = " " * indent
    lines = joined.split("\n")
    if len(lines) == 1:
        return f'{pad}"""{lines[0]}"""'
    inner = "\n".join((pad + line) if line else "" for line in lines)
    return f'{pad}"""{lines[0]}\n{inner[len(pad) + len(lines[0]) + 1:]}\n{pad}"""'


def _with_spec(text: str | None, records: list[dict[str, Any]], fallback: str) -> str | None:
    """A description (or `fallback`) followed by what the API reference says, one paragraph per request."""
    if not records:
        return text
    lines = []
    for r in records:
        line = f"{r['method']} {r['path']} ({r['page']}:{r['line']})"
        if r.get("title"):
            line = f"{r['title'].rstrip('.')}: {line}"
        if r.get("status"):
            line += f", success {r['status']}"
        if r.get("scopes"):
            line += "; scopes: " + ", ".join(r["scopes"])
        lines.append(line + ".")
    return "\n\n".join([text or fallback, *("API reference: " + line for line in lines)])


def _preference_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keyword arguments of a typed `prefer()`: one per preference name the pages list."""
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        for p in r.get("prefer", []):
            value = p.get("value")
            typed = _TYPED_PREFERENCES.get(p["name"].lower())
            if typed is not None:
                rows.setdefault(p["keyword"], {"keyword": p["keyword"], "name": p["name"], "annotation": typed[0],
                                               "default": "None", "flag": False, "convert": typed[1]})
                continue
            if value is None:
                annotation, default = "bool", "False"
            elif value.startswith('"'):
                annotation, default = "str | None", "None"
            elif value.isdigit():
                annotation, default = "int | None", "None"
            else:
                annotation, default = "str | int | None", "None"
            rows.setdefault(p["keyword"], {"keyword": p["keyword"], "name": p["name"], "annotation": annotation,
                                           "default": default, "flag": value is None, "convert": None})
    return [rows[k] for k in sorted(rows)]


@attrs.frozen
class _MergedOperation:
    """Overloads of one bound or unbound operation name merged into one Python method."""

    kind: str
    qualified: str
    py_name: str
    params: tuple[tuple[Parameter, bool], ...]  # (parameter, required)
    return_type: TypeRef | None
    description: str | None


def _merge_overloads(overloads: list[Operation]) -> _MergedOperation:
    first = overloads[0]
    names: dict[str, Parameter] = {}
    counts: dict[str, int] = {}
    for op in overloads:
        for p in op.call_parameters:
            names.setdefault(p.name, p)
            counts[p.name] = counts.get(p.name, 0) + 1
    params = tuple(
        (p, counts[p.name] == len(overloads) and not p.type.nullable and not p.optional and first.kind == "function")
        for p in names.values()
    )
    return _MergedOperation(
        first.kind, first.qualified, first.py_name, params, first.return_type,
        _with_spec(description_of(first.annotations), spec_of(first.annotations),
                   f"Call the {first.kind} {first.qualified}.")
    )


class Emitter:
    """Renders one package from a named model."""

    def __init__(self, model: Model, options: EmitOptions) -> None:
        self.model = model
        self.options = options
        self.plan = _Plan(model, options)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["doc"] = _doc
        self.env.filters["pyrepr"] = _pyrepr
        self.env.filters["describe"] = description_of
        self.env.filters["edm_decoder_name"] = edm_decoder_name
        self.env.filters["natural_sort"] = lambda names: sorted(names, key=_natural)
        # Spec records of the navigations that reach each (entity type, collection?): their
        # `Prefer` preferences become the typed `prefer()` of that builder.
        self.reached: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for t in model.structured:
            for n in t.navigation:
                records = spec_of(n.annotations)
                if records:
                    self.reached.setdefault((n.type.name, n.type.collection), []).extend(records)

    @property
    def client_class(self) -> str:
        """The generated client's class name."""
        if self.options.client_class:
            return self.options.client_class
        container = self.model.container
        return pascal(container.name if container else self.options.package) + "Client"

    def render(self, progress: Callable[[str], None] | None = None) -> dict[str, str]:
        """All files of the package: relative path → text."""
        files: dict[str, str] = {}
        total = len(self.plan.chunks)
        for i, (models_mod, requests_mod, chunk) in enumerate(self.plan.chunks, 1):
            if progress is not None:
                progress(f"rendering {models_mod}.py and {requests_mod}.py ({i}/{total})")
            files[f"{models_mod}.py"] = self._render_models(models_mod, chunk)
            if total == 1 or any(isinstance(t, StructuredType) and t.kind == "entity" for t in chunk):
                files[f"{requests_mod}.py"] = self._render_requests(requests_mod, chunk)
            if any(isinstance(t, StructuredType) for t in chunk):
                structure_mod = structure_module(models_mod)
                files[f"{structure_mod}.py"] = self._render_structure(models_mod, structure_mod, chunk)
        self.capabilities = capability_table(self.model)
        files["_registry.py"] = self._render_registry()
        if self.capabilities:
            files["_capabilities.py"] = self.env.get_template("_capabilities.py.jinja").render(
                package=self.options.package, table=self.capabilities
            )
        files["client.py"] = self._render_client()
        files["__init__.py"] = self._render_init()
        files["py.typed"] = ""
        return files

    # -- structuring -----------------------------------------------------------------------
    def _class_code(self, t: StructuredType) -> ClassCode:
        fields: list[FieldCode] = []
        for owner in reversed(self.model.base_chain(t.qualified)):
            members: list[Property | NavigationProperty] = [*owner.properties, *owner.navigation]
            for member in members:
                type_name, _ = self.plan.resolve(member.type)
                if type_name in self.plan.enums:
                    kind = "flags" if self.plan.enums[type_name].is_flags else "enum"
                elif type_name in self.plan.structured:
                    kind = "object"
                else:
                    kind = "edm"
                    if type_name not in edm.PY_TYPES:
                        type_name = "Edm.Untyped"  # the general path reports an unknown Edm type
                fields.append(FieldCode(member.py_name, member.name, type_name, member.type.collection, kind))
        return ClassCode(t.py_name, t.qualified, tuple(fields))

    def _render_structure(self, models_mod: str, module: str, chunk: list[EnumType | StructuredType]) -> str:
        classes = [self._class_code(t) for t in chunk if isinstance(t, StructuredType)]
        own = {c.qualified for c in classes}
        imports: dict[str, set[str]] = {models_mod: {c.py_name for c in classes}}
        enums: set[str] = set()

        def function_of(qualified: str) -> str:
            if qualified in own:
                return "_" + self.plan.structured[qualified].py_name
            return f"_D[{qualified!r}]"

        def enum_class(qualified: str) -> str:
            e = self.plan.enums[qualified]
            imports.setdefault(self.plan.module_of[qualified], set()).add(e.py_name)
            if not e.is_flags:
                enums.add(e.py_name)
            return e.py_name

        bases = self.plan.bases
        # Small classes of this module that nothing derives from are built inline (see `inlinable`).
        leaves = {c.qualified: c for c in classes if c.qualified not in bases and inlinable(c)}

        rows = []
        for c in classes:
            lines = [line for f in c.fields for line in field_lines(f, function_of, enum_class, leaves.get)]
            # A type nothing derives from is what it is, whatever `@odata.type` says.
            rows.append({"py_name": c.py_name, "qualified": c.qualified, "lines": lines,
                         "uses_v": any(line.lstrip().startswith("v = ") for line in lines),
                         "derived": c.qualified in bases,
                         "lists": any(uses_item_list(f) for f in c.fields),
                         "inlines": any(f.kind == "object" and not f.collection and f.type_name in leaves
                                        for f in c.fields),
                         "closing": closing_lines()})
        return self.env.get_template("_structure.py.jinja").render(
            models=models_mod,
            package=self.options.package,
            classes=rows,
            imports=sorted((m, sorted(n)) for m, n in imports.items()),
            edm_types=edm_types_used(classes),
            enum_maps=sorted(enums),
        )

    # -- models ------------------------------------------------------------------------------
    def _field_rows(self, t: StructuredType) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        members: list[Property | NavigationProperty] = [*t.properties, *t.navigation]
        for member in members:
            type_name, _ = self.plan.resolve(member.type)
            navigation = isinstance(member, NavigationProperty)
            rows.append(
                {
                    "py_name": member.py_name,
                    "wire": member.name,
                    "type": type_name,
                    "collection": member.type.collection,
                    "navigation": navigation,
                    "enum": type_name in self.plan.enums,
                    "annotation": self.plan.annotation(member.type),
                    "expr": self.plan.expr_annotation(member.type, navigation),
                    "doc": description_of(member.annotations),
                }
            )
        # A type checker reads annotations in the class body, where an attribute named `list` or
        # `date` hides the builtin or the imported class; such annotations name them another way.
        shadowing = {r["py_name"] for r in rows} & _SHADOWABLE.keys()
        if shadowing:
            for r in rows:
                r["annotation"] = _unshadow(r["annotation"], shadowing)
        return rows

    def _render_models(self, module: str, chunk: list[EnumType | StructuredType]) -> str:
        enums = [t for t in chunk if isinstance(t, EnumType)]
        classes = [t for t in chunk if isinstance(t, StructuredType)]
        used: set[str] = set()
        runtime_imports: dict[str, set[str]] = {}
        checking_imports: dict[str, set[str]] = {}
        class_rows = []
        expr_names: set[str] = set()
        for t in classes:
            fields = self._field_rows(t)
            base = self.plan.base_of(t)
            if t.base and t.base in self.plan.structured:
                base_mod = self.plan.module_of[t.base]
                if base_mod != module:
                    runtime_imports.setdefault(base_mod, set()).add(base)
            for f in fields:
                self._note_annotation(f["annotation"], module, used, checking_imports)
                self._note_annotation(f["expr"], module, used, checking_imports)
                expr_names.update(n for n in _tokens(f["expr"]) if n in _EXPR_NAMES)
            class_rows.append(
                {
                    "t": t,
                    "base": base,
                    "fields": fields,
                    "doc": description_of(t.annotations),
                    "kind_text": "entity type" if t.kind == "entity" else "complex type",
                }
            )
        runtime_names = {n for names in runtime_imports.values() for n in names}
        for mod, names in list(checking_imports.items()):
            names -= runtime_names
            if not names:
                del checking_imports[mod]
        stdlib = [line for name, line in _ALIAS_IMPORTS.items() if name in used]
        stdlib += sorted(_STDLIB_TYPES[name] for name in used if name in _STDLIB_TYPES)
        runtime_bases = sorted(
            {r["base"] for r in class_rows if r["base"] in ("EntityBase", "ComplexBase")}
            | ({"ODataFlag"} if any(e.is_flags for e in enums) else set())
            | ({"ODataEnum"} if any(not e.is_flags for e in enums) else set())
            | ({"model"} if classes else set())
        )
        has_fields = any(r["fields"] for r in class_rows)
        return self.env.get_template("models.py.jinja").render(
            enums=enums,
            classes=class_rows,
            stdlib=stdlib,
            needs_any="Any" in used,
            expr_names=sorted(expr_names | ({"Prop"} if has_fields else set())),
            has_fields=has_fields,
            runtime_bases=runtime_bases,
            runtime_imports=sorted((m, sorted(n)) for m, n in runtime_imports.items()),
            checking_imports=sorted((m, sorted(n)) for m, n in checking_imports.items()),
            package=self.options.package,
        )

    def _note_annotation(
        self, annotation: str, module: str, used: set[str], checking: dict[str, set[str]]
    ) -> None:
        for token in _tokens(annotation):
            if token in ("list", "None", "str", "int", "float", "bool", "bytes", "dict") or token in _EXPR_NAMES:
                continue
            if token in _STDLIB_TYPES or token == "Any":
                used.add(token)
            elif token.startswith(("builtins.", "_datetime.")):
                used.add(token.split(".")[0])
                continue
            qualified = self.plan.qualified_by_py.get(token)
            if qualified is not None:
                mod = self.plan.module_of[qualified]
                if mod != module:
                    checking.setdefault(mod, set()).add(token)

    # -- request builders --------------------------------------------------------------------
    def _operation_row(self, merged: _MergedOperation) -> dict[str, Any]:
        params = []
        for p, required in merged.params:
            type_name, _ = self.plan.resolve(p.type)
            params.append(
                {
                    "py_name": p.py_name,
                    "wire": p.name,
                    "type": type_name,
                    "collection": p.type.collection,
                    "annotation": self.plan.annotation(p.type, optional=not required),
                    "required": required,
                }
            )
        if merged.return_type is None:
            returns = None
            return_annotation = "None"
        else:
            type_name, _ = self.plan.resolve(merged.return_type)
            returns = (type_name, merged.return_type.collection)
            return_annotation = self.plan.annotation(merged.return_type, optional=merged.return_type.nullable)
            if merged.return_type.collection:
                return_annotation = self.plan.annotation(merged.return_type, optional=False)
        query_item = None
        if merged.kind == "function" and returns is not None and returns[1] and returns[0] in self.plan.structured:
            # A function returning entities or complex values is composable: it returns a
            # query (awaitable, so `await f(...)` still gives the list).
            query_item = self.plan.structured[returns[0]].py_name
            return_annotation = f"CollectionRequest[{query_item}]"
        return {
            "kind": merged.kind,
            "qualified": merged.qualified,
            "py_name": merged.py_name,
            "params": params,
            "returns": returns,
            "return_annotation": return_annotation,
            "query_item": query_item,
            "doc": merged.description,
        }

    def _operation_rows(self, t: StructuredType, collection: bool) -> list[dict[str, Any]]:
        """Rows for the operations bound to `t`, marking overrides that change the signature."""
        inherited: dict[str, tuple[Any, ...]] = {}
        for ancestor in reversed(self.model.base_chain(t.qualified)[1:]):
            for overloads in self.plan.ops_by_binding.get((ancestor.qualified, collection), []):
                row = self._operation_row(_merge_overloads(overloads))
                inherited[row["py_name"]] = _signature(row)
        rows = []
        for overloads in self.plan.ops_by_binding.get((t.qualified, collection), []):
            row = self._operation_row(_merge_overloads(overloads))
            # A more specific binding (delta() on users vs on directoryObjects) narrows or
            # changes the signature; mypy must be told that this override is intended.
            row["override"] = row["py_name"] in inherited and inherited[row["py_name"]] != _signature(row)
            rows.append(row)
        return rows

    def _render_requests(self, module: str, chunk: list[EnumType | StructuredType]) -> str:
        entities = [t for t in chunk if isinstance(t, StructuredType) and t.kind == "entity"]
        used: set[str] = set()
        checking: dict[str, set[str]] = {}
        runtime: dict[str, set[str]] = {}
        converters: set[str] = set()  # of odatakit.timezones, for typed preferences
        rows = []
        for t in entities:
            entity_builder, collection_builder = self.plan.builders[t.qualified]
            base_entity, base_collection = "EntityRequest", "CollectionRequest"
            if t.base and t.base in self.plan.builders:
                base_entity, base_collection = self.plan.builders[t.base]
                base_mod = self.plan.request_module_of[t.base]
                if base_mod != module:
                    runtime.setdefault(base_mod, set()).update({base_entity, base_collection})
            navs = []
            for n in t.navigation:
                if n.type.name not in self.plan.builders:
                    continue
                target_entity, target_collection = self.plan.builders[n.type.name]
                target = self.plan.structured[n.type.name]
                builder = target_collection if n.type.collection else target_entity
                annotation = f"{builder}[{target.py_name}]"
                self._note_builder(n.type.name, builder, module, checking)
                self._note_annotation(target.py_name, "", used, checking)
                records = spec_of(n.annotations)
                query = self._query_rows(records, used)
                navs.append(
                    {
                        "py_name": n.py_name,
                        "wire": n.name,
                        "target": n.type.name,
                        "collection": n.type.collection,
                        "annotation": annotation,
                        "doc": _with_spec(description_of(n.annotations), records, f"The {n.name} navigation"
                                          + (" (contained)." if n.contains_target else ".")),
                        "contained": n.contains_target,
                        "query": query,
                    }
                )
            ops_single = self._operation_rows(t, False)
            ops_collection = self._operation_rows(t, True)
            for op in ops_single + ops_collection:
                for p in op["params"]:
                    self._note_annotation(p["annotation"], "", used, checking)
                self._note_annotation(op["return_annotation"], "", used, checking)
            full_key = tuple((name, self._key_type(t, name)) for name in self.model.key_of(t.qualified))
            # Only the type that declares the key sets KEY; derived builders inherit it.
            key = full_key if not t.base or not self.model.key_of(t.base) else None
            key_annotation = None
            if full_key:
                py_types = [edm.PY_TYPES.get(k[1], "str") for k in full_key]
                for py in py_types:
                    if py in _STDLIB_TYPES:
                        used.add(py)
                key_annotation = py_types[0] if len(py_types) == 1 else f"tuple[{', '.join(py_types)}]"
            prefer_single = _preference_rows(self.reached.get((t.qualified, False), []))
            prefer_collection = _preference_rows(self.reached.get((t.qualified, True), []))
            for p in prefer_single + prefer_collection:
                self._note_annotation(p["annotation"], "", used, checking)
                if p["convert"]:
                    converters.add(p["convert"])
            rows.append(
                {
                    "prefer_single": prefer_single,
                    "prefer_collection": prefer_collection,
                    "prefer_override": (
                        any(self.reached.get((a.qualified, False)) for a in self.model.base_chain(t.qualified)[1:]),
                        any(self.reached.get((a.qualified, True)) for a in self.model.base_chain(t.qualified)[1:]),
                    ),
                    "t": t,
                    "entity": entity_builder,
                    "collection": collection_builder,
                    "base_entity": base_entity,
                    "base_collection": base_collection,
                    "navs": navs,
                    "ops_single": ops_single,
                    "ops_collection": ops_collection,
                    "key": key,
                    "key_annotation": key_annotation,
                }
            )
        runtime_names = {n for names in runtime.values() for n in names}
        for mod, names in list(checking.items()):
            names -= runtime_names
            if mod == module:
                names.clear()
            if not names:
                del checking[mod]
        stdlib = sorted(_STDLIB_TYPES[name] for name in used if name in _STDLIB_TYPES)
        return self.env.get_template("requests.py.jinja").render(
            rows=rows,
            stdlib=stdlib,
            converters=sorted(converters),
            needs_any="Any" in used,
            runtime_imports=sorted((m, sorted(n)) for m, n in runtime.items()),
            checking_imports=sorted((m, sorted(n)) for m, n in checking.items()),
            package=self.options.package,
        )

    def _query_rows(self, records: list[dict[str, Any]], used: set[str]) -> list[dict[str, Any]]:
        """Keyword arguments for the custom query options the pages give a navigation."""
        rows: dict[str, dict[str, Any]] = {}
        for r in records:
            for q in r.get("query", []):
                annotation = py_annotation(q["type"])
                if annotation in _STDLIB_TYPES:
                    used.add(annotation)
                row = rows.setdefault(q["name"], {"wire": q["name"], "py_name": q["py_name"],
                                                  "annotation": annotation, "required": bool(q["required"])})
                row["required"] = row["required"] and bool(q["required"])
        # Required keywords first, each group in the pages' order.
        return sorted(rows.values(), key=lambda row: not row["required"])

    def _note_builder(self, qualified: str, builder: str, module: str, checking: dict[str, set[str]]) -> None:
        mod = self.plan.request_module_of[qualified]
        if mod != module:
            checking.setdefault(mod, set()).add(builder)

    def _key_type(self, t: StructuredType, name: str) -> str:
        for ancestor in self.model.base_chain(t.qualified):
            for p in ancestor.properties:
                if p.name == name:
                    return self.plan.resolve(p.type)[0]
        return "Edm.String"

    # -- client, registry, package -----------------------------------------------------------
    def _render_client(self) -> str:
        container = self.model.container
        used: set[str] = set()
        checking: dict[str, set[str]] = {}
        sets = []
        imports = []
        if container is not None:
            for s in container.entity_sets:
                if s.entity_type not in self.plan.builders:
                    continue
                entity_builder, collection_builder = self.plan.builders[s.entity_type]
                target = self.plan.structured[s.entity_type]
                builder = entity_builder if s.singleton else collection_builder
                self._note_builder(s.entity_type, builder, "", checking)
                self._note_annotation(target.py_name, "", used, checking)
                sets.append(
                    {
                        "py_name": s.py_name,
                        "wire": s.name,
                        "target": s.entity_type,
                        "collection": not s.singleton,
                        "annotation": f"{builder}[{target.py_name}]",
                        "doc": description_of(s.annotations),
                        "singleton": s.singleton,
                    }
                )
            ops_by_name: dict[str, list[Operation]] = {}
            for op in self.model.operations:
                if not op.bound:
                    ops_by_name.setdefault(op.qualified, []).append(op)
            for imp in container.imports:
                overloads = ops_by_name.get(imp.operation)
                if not overloads:
                    continue
                row = self._operation_row(attrs.evolve(_merge_overloads(overloads), py_name=imp.py_name))
                row["import_name"] = imp.name
                for p in row["params"]:
                    self._note_annotation(p["annotation"], "", used, checking)
                self._note_annotation(row["return_annotation"], "", used, checking)
                imports.append(row)
        stdlib = sorted(_STDLIB_TYPES[name] for name in used if name in _STDLIB_TYPES)
        return self.env.get_template("client.py.jinja").render(
            client_class=self.client_class,
            container=container,
            sets=sets,
            imports=imports,
            any_query=any(op.get("query_item") for op in imports),
            stdlib=stdlib,
            needs_any="Any" in used,
            checking_imports=sorted((m, sorted(n)) for m, n in checking.items()),
            options=self.options,
            json_batch=(self.options.batch_format or ("json" if self.model.version == "4.01" else "multipart"))
            == "json",
            package=self.options.package,
        )

    def _render_registry(self) -> str:
        modules = sorted(self.plan.module_of.items())
        builders = sorted(
            (q, self.plan.request_module_of[q], names[0], names[1]) for q, names in self.plan.builders.items()
        )
        aliases = sorted(self.model.aliases)
        return self.env.get_template("_registry.py.jinja").render(
            modules=modules,
            builders=builders,
            aliases=aliases,
            package=self.options.package,
            options=self.options,
            capabilities=bool(self.capabilities),
        )

    def _render_init(self) -> str:
        exports: list[tuple[str, str]] = [(self.client_class, "client")]
        for t in list(self.model.enums) + list(self.model.structured):
            exports.append((t.py_name, self.plan.module_of[t.qualified]))
        exports.sort(key=lambda e: _natural(e[0]))
        title = self.model.container.namespace if self.model.container else self.options.package
        return self.env.get_template("__init__.py.jinja").render(
            exports=exports, package=self.options.package, title=title, source=_display_source(self.model.source)
        )


def _signature(row: dict[str, Any]) -> tuple[Any, ...]:
    return (tuple((p["py_name"], p["annotation"], p["required"]) for p in row["params"]), row["return_annotation"])


def _display_source(source: str) -> str:
    """The input's name as the generated header shows it: a URL, or a file's base name."""
    if source.startswith(("http://", "https://")):
        return source
    return os.path.basename(source)


def _pyrepr(value: Any) -> str:
    """A Python literal with double quotes, as the formatter writes them."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(_pyrepr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


RUFF_SETTINGS = ("--isolated", "--target-version", "py311", "--line-length", "120")


def format_tree(folder: Path) -> None:
    """Sort imports and format the emitted files with ruff (its formatter, not ours).

    Runs isolated from any project configuration and inside the folder itself, so that the
    result depends only on the files and the pinned ruff version: `make check-generated`
    stays byte-exact wherever it runs.
    """
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - ruff is a dependency of the generator
        raise RuntimeError("the generator needs ruff to format its output: pip install 'odatakit[generator]'") from exc
    ruff = os.fsdecode(find_ruff_bin())
    for args in (["check", "--select", "I,F401", "--fix", "--quiet", "--exit-zero", "--no-cache"], ["format", "--quiet", "--no-cache"]):
        subprocess.run([ruff, *args, *RUFF_SETTINGS, "."], cwd=folder, check=True)


def write_package(
    files: dict[str, str], out_dir: Path, package: str, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write the files into `out_dir/package` atomically: a temporary folder, then a swap."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / package
    staging = Path(tempfile.mkdtemp(prefix=f".{package}.", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the package is an ordinary folder
    try:
        written = []
        for rel, text in sorted(files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(target / rel)
        if progress is not None:
            progress(f"formatting {len(files)} files with ruff")
        format_tree(staging)
        backup = None
        if target.exists():
            backup = out_dir / f".{package}.old"
            if backup.exists():
                shutil.rmtree(backup)
            target.rename(backup)
        staging.rename(target)
        if backup is not None:
            shutil.rmtree(backup)
        return written
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def emit(
    model: Model, options: EmitOptions, out_dir: Path, progress: Callable[[str], None] | None = None
) -> EmitResult:
    """Render and write a package for a named model."""
    files = Emitter(model, options).render(progress)
    written = write_package(files, out_dir, options.package, progress)
    return EmitResult(
        files=tuple(str(p) for p in written),
        types=len(model.structured) + len(model.enums),
        operations=len(model.operations),
    )
