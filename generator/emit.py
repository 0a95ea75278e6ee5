"""Model → Python package: plans modules, renders templates/, writes files atomically.

The output is deterministic: the same model and options give byte-identical files.
Types are chunked into modules (`models.py`, or `models_00.py`, ... for large schemas) in an
order where every base class comes first, so modules import each other at run time only
for base classes (never in a cycle); every other reference is a `TYPE_CHECKING` import.
Within that constraint each type sits next to the types it needs (`_locality_order`).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from odatakit import edm
from odatakit.paths import ComplexExpr, EntityExpr

from .capabilities import capability_table
from .layout import annotated, call, collection, declared, literal_display, tidy_imports, wrap_long_lines
from .merge import HEADERS_TERM, composed_result, py_annotation, spec_of
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
from .naming import builder_names, keyword_names, pascal, path_class_names, path_members_names, structure_function
from .progress import ProgressLike
from .pysource import (
    GeneratorBug,
    Source,
    annotation,
    code,
    docstring,
    identifier,
    join,
    literal,
    template_environment,
    token_block,
)
from .structuring import (
    ClassCode,
    FieldCode,
    closing_lines,
    edm_decoder_name,
    edm_types_used,
    field_lines,
    inlinable,
    keeps_any_json,
    plain_json_types,
    structure_module,
    uses_item_list,
)

# Installed: odatakit_generator/templates; in a checkout: templates/ next to generator/.
TEMPLATES = _t if (_t := Path(__file__).resolve().parent / "templates").is_dir() else _t.parent.parent / "templates"

_STDLIB_TYPES = {
    "datetime": code("from datetime import datetime"),
    "date": code("from datetime import date"),
    "time": code("from datetime import time"),
    "timedelta": code("from datetime import timedelta"),
    "Decimal": code("from decimal import Decimal"),
    "UUID": code("from uuid import UUID"),
    "ZoneInfo": code("from zoneinfo import ZoneInfo"),
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
        #: Qualified name → the type checker's class of query paths through that type (`EventPath`).
        self.paths = path_class_names(model)
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
        #: Path class name → its type; each chunk's path classes live in a module of their own (`_paths_007`),
        #: which only type checkers read.
        self.path_owner = {str(self.paths[t.qualified]): t.qualified for t in ordered if t.qualified in self.paths}
        #: Qualified name of a base type → the class of the path members its derived types' path classes
        #: inherit (`OutlookItemMembers`), beside its path class.
        self.path_members = path_members_names(model, self.paths)
        self.path_owner |= {str(name): q for q, name in self.path_members.items()}
        self.paths_module_of = {q: paths_module(m) for q, m in self.module_of.items()}
        #: Complex types typed `Any` wherever they are used (see `plain_json_types`).
        self.plain_json = plain_json_types(model)
        #: The namespace holding most structured types: field tables write its type names without it.
        counts = Counter(t.qualified.rpartition(".")[0] for t in model.structured)
        self.namespace = min(counts, key=lambda ns: (-counts[ns], ns)) if counts else None
        #: The types whose path class something names: the type of a property or the target of a
        #: navigation. No annotation names the others' (a query reads their fields from the models).
        refs = [p.type for t in model.structured for p in t.properties]
        refs += [n.type for t in model.structured for n in t.navigation]
        self.paths_used = {name for ref in refs if (name := self.resolve(ref)[0]) in self.paths}

    # -- types -------------------------------------------------------------------------------
    def resolve(self, ref: TypeRef) -> tuple[str, str]:
        """(type name for the field table, Python annotation of one item)."""
        name = _underlying(ref.name, self.typedefs)
        if name.startswith("Edm."):
            if name in ("Edm.EntityType", "Edm.ComplexType", "Edm.AnyPath", "Edm.PropertyPath"):
                return "Edm.Untyped", "Any"
            return name, edm.PY_TYPES.get(name, "Any")
        if name in self.structured:
            if name in self.plain_json:
                return "Edm.Untyped", "Any"
            return name, self.structured[name].py_name
        if name in self.enums:
            return name, self.enums[name].py_name
        # A type of a namespace that is only referenced: kept as plain JSON.
        return "Edm.Untyped", "Any"

    def annotation(self, ref: TypeRef, optional: bool = True) -> Source:
        """The Python annotation of a property or parameter."""
        _, py = self.resolve(ref)
        if ref.collection:
            py = f"list[{py}]"
        if optional and py != "Any":
            py = f"{py} | None"
        return annotation(py)

    def descriptor(self, ref: TypeRef, navigation: bool) -> tuple[str, list[Source] | None]:
        """A property's typed descriptor for type checkers: (generic, its arguments after the value type).

        None for a path class, whose one argument is the class declaring the property.

        `StringProp[str | None]`, `EnumProp[Importance | None, Importance]`, the target's path class
        for a single complex value or navigation (`DateTimeTimeZonePath[Event]`), `CollectionProp[list[X] | None,
        XPath]`, `NavCollectionProp[list[X] | None, X, XPath]`: each roots its expressions at the class
        the property is read from (a path class through its argument, so derived classes declare it again).
        """
        type_name, py = self.resolve(ref)
        if type_name.startswith("Edm."):
            item = _EXPR_CLASSES.get(type_name, "Expr")
            if not ref.collection:
                prop = _PROP_CLASSES.get(type_name)
                return (prop, []) if prop else ("Prop", [annotation("Expr")])
        elif type_name in self.enums:
            if not ref.collection:
                return "EnumProp", [annotation(py)]
            item = f"EnumExpr[{py}]"
        elif navigation:
            path = self.paths[type_name]
            return ("NavCollectionProp", [annotation(py), path]) if ref.collection else (path, None)
        else:
            if not ref.collection:
                return self.paths[type_name], None
            item = self.paths[type_name]
        return "CollectionProp", [annotation(item)]

    def expr_annotation(self, ref: TypeRef, navigation: bool) -> Source:
        """The expression type of a member of a path class, rooted at `RootT` (`StringExpr[RootT]`...)."""
        type_name, py = self.resolve(ref)
        if type_name.startswith("Edm."):
            item = _EXPR_CLASSES.get(type_name, "Expr")
        elif type_name in self.enums:
            item = f"EnumExpr[{py}]"
            if not ref.collection:
                return annotation(f"EnumExpr[{py}, RootT]")
        elif navigation:
            path = self.paths[type_name]
            return annotation(f"NavCollectionExpr[{py}, {path}, RootT]" if ref.collection else f"{path}[RootT]")
        else:
            item = self.paths[type_name]
        return annotation(f"CollectionExpr[{item}, RootT]" if ref.collection else f"{item}[RootT]")

    def all_members(self, t: StructuredType) -> list[Property | NavigationProperty]:
        """The properties and navigation properties of `t`, inherited ones first."""
        chain = [t]
        while chain[-1].base and chain[-1].base in self.structured:
            chain.append(self.structured[chain[-1].base])
        members: list[Property | NavigationProperty] = []
        for klass in reversed(chain):
            members += [*klass.properties, *klass.navigation]
        return members

    def base_of(self, t: StructuredType) -> Source:
        """The Python base class of a generated data class."""
        if t.base and t.base in self.structured:
            return identifier(self.structured[t.base].py_name)
        return identifier("EntityBase" if t.kind == "entity" else "ComplexBase")


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


_PROP_CLASSES = {
    "Edm.String": "StringProp",
    "Edm.Boolean": "BoolProp",
    "Edm.DateTimeOffset": "DateTimeProp",
    "Edm.Date": "DateProp",
    "Edm.TimeOfDay": "TimeProp",
    "Edm.Duration": "DurationProp",
    "Edm.Guid": "GuidProp",
    "Edm.Binary": "BinaryProp",
    **dict.fromkeys(
        ("Edm.Byte", "Edm.SByte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.Decimal"),
        "NumberProp",
    ),
}


_EXPR_NAMES = frozenset({*_EXPR_CLASSES.values(), *_PROP_CLASSES.values(), "Expr", "EnumExpr", "EnumProp", "Prop",
                         "RootT", "OwnerT"})
# Attributes of the path classes: members named like them are left out of the emitted path classes.
_COMPLEX_PATH_NAMES = frozenset(dir(ComplexExpr))
_ENTITY_PATH_NAMES = frozenset(dir(EntityExpr))
# The expression classes of paths through structured values, which `odatakit.paths` holds.
_PATH_NAMES = frozenset({"ComplexExpr", "EntityExpr", "CollectionExpr", "NavCollectionExpr", "CollectionProp",
                         "NavCollectionProp"})


# Lower-case names annotations use, and how to spell them where a class attribute hides them.
_SHADOWABLE = {
    **{n: f"builtins.{n}" for n in ("list", "str", "int", "bool", "float", "bytes")},
    **{n: f"_datetime.{n}" for n in ("datetime", "date", "time", "timedelta")},
}


_ALIAS_IMPORTS = {"builtins": code("import builtins"), "_datetime": code("import datetime as _datetime")}


def _unshadow(text: str, hidden: set[str]) -> Source:
    return annotation(re.sub(r"(?<![.\w])(\w+)\b", lambda m: _SHADOWABLE[m[1]] if m[1] in hidden else m[1], text))


def paths_module(models_module: str) -> str:
    """The module holding the path classes of a models module (`models_03` → `_paths_03`), read by type checkers only."""
    return "_paths" + models_module.removeprefix("models")


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
                                               "default": None, "flag": False, "convert": identifier(typed[1])})
                continue
            if value is None:
                kind, default = "bool", False
            elif value.startswith('"'):
                kind, default = "str | None", None
            elif value.isdigit():
                kind, default = "int | None", None
            else:
                kind, default = "str | int | None", None
            rows.setdefault(p["keyword"], {"keyword": p["keyword"], "name": p["name"], "annotation": kind,
                                           "default": default, "flag": value is None, "convert": None})
    keywords = keyword_names(sorted(rows))
    return [{**rows[k], "keyword": keywords[k], "annotation": annotation(rows[k]["annotation"]),
             "default": literal(rows[k]["default"])} for k in sorted(rows)]


def _header_rows(model: Model, t: StructuredType, side: str) -> tuple[list[dict[str, Any]], bool]:
    """Keyword arguments of a typed `headers()` on one side ("entity", "collection") of `t`'s builders, and whether
    a base builder has one too (the derived method takes the bases' keywords as well, and replaces theirs)."""

    def own(a: StructuredType) -> list[dict[str, Any]]:
        return [row for ann in a.annotations if ann.term == HEADERS_TERM for row in ann.value[side].values()]

    chain = model.base_chain(t.qualified)
    if not own(t):
        return [], False
    rows: dict[str, set[str]] = {}
    for a in chain:
        for row in own(a):
            rows.setdefault(row["name"], set()).update(row["values"])
    keywords = keyword_names(sorted(rows))
    out = []
    for name in sorted(rows):
        values = sorted(rows[name])
        typed = (code("Literal[{}] | None", join([literal(v) for v in values], ", ")) if values
                 else annotation("str | None"))
        out.append({"keyword": keywords[name], "name": name, "annotation": typed, "literal": bool(values)})
    return out, any(own(a) for a in chain[1:])


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
    # An action among the overloads (Graph's `browse` is both) makes one awaited call; each overload keeps its kind.
    kind = "action" if any(op.kind == "action" for op in overloads) else first.kind
    return _MergedOperation(
        kind, first.qualified, first.py_name, params, first.return_type,
        _with_spec(description_of(first.annotations) or _operation_summary(kind, first), spec_of(first.annotations),
                   "")
    )


def _operation_summary(kind: str, op: Operation) -> str:
    """What an operation does as far as the protocol tells, for one without a description."""
    ref = op.return_type
    result = "nothing" if ref is None else f"{'a collection of ' if ref.collection else 'a '}{ref.name}"
    if kind == "function":
        return f"Call the function {op.qualified}: a GET without side effects that returns {result}."
    return f"Invoke the action {op.qualified}: a POST that may change data on the service and returns {result}."


class Emitter:
    """Renders one package from a named model."""

    def __init__(self, model: Model, options: EmitOptions) -> None:
        self.model = model
        self.options = options
        self.plan = _Plan(model, options)
        self.env = template_environment(TEMPLATES)
        self.env.filters["doc"] = docstring
        self.env.filters["describe"] = description_of
        self.env.filters["edm_decoder_name"] = edm_decoder_name
        self.env.filters["natural_sort"] = lambda names: sorted(names, key=_natural)
        self.env.filters["names_block"] = lambda names, indent: token_block([names], indent, indent - 4, width=100)
        # Spec records of the navigations that reach each (entity type, collection?): their
        # `Prefer` preferences become the typed `prefer()` of that builder.
        self.reached: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for t in model.structured:
            for n in t.navigation:
                for record in spec_of(n.annotations):
                    # A line that keys the collection speaks of the single entity's builder.
                    single = not n.type.collection or bool(record.get("keyed"))
                    self.reached.setdefault((n.type.name, not single), []).append(record)

    def origin_of(self, name: str) -> str | None:
        """Where in the input the generated class or function `name` comes from, if it is a type's."""
        types: list[StructuredType | EnumType] = [*self.model.structured, *self.model.enums]
        for t in types:
            if name in (t.py_name, "_" + t.py_name) or name in self.plan.builders.get(t.qualified, ("", "")):
                location = getattr(t, "location", None)
                return f"{location} ({t.qualified})" if location else t.qualified
        return None

    @property
    def package(self) -> Source:
        """The package's name, checked as a Python name."""
        return identifier(self.options.package)

    @property
    def client_class(self) -> Source:
        """The generated client's class name."""
        if self.options.client_class:
            return identifier(self.options.client_class)
        container = self.model.container
        return identifier(pascal(container.name if container else self.options.package) + "Client")

    def render(self, progress: ProgressLike | None = None) -> dict[str, str]:
        """All files of the package: relative path → text."""
        files: dict[str, str] = {}
        total = len(self.plan.chunks)
        for i, (models_mod, requests_mod, chunk) in enumerate(self.plan.chunks, 1):
            if progress is not None:
                if i == 1:
                    progress.step("rendering modules")
                progress.advance(i - 1, total)
            files[f"{models_mod}.py"] = self._render_models(models_mod, chunk)
            if total == 1 or any(isinstance(t, StructuredType) and t.kind == "entity" for t in chunk):
                files[f"{requests_mod}.py"] = self._render_requests(requests_mod, chunk)
            if any(isinstance(t, StructuredType) for t in chunk):
                paths = self._render_paths(models_mod, paths_module(models_mod), chunk)
                if paths is not None:
                    files[f"{paths_module(models_mod)}.py"] = paths
                structure_mod = structure_module(models_mod)
                files[f"{structure_mod}.py"] = self._render_structure(models_mod, structure_mod, chunk)
        self.capabilities = capability_table(self.model)
        files["_registry.py"] = self._render_registry()
        if self.capabilities:
            files["_capabilities.py"] = self.env.get_template("_capabilities.py.jinja").render(
                package=self.package,
                table=literal_display(self.capabilities, 0, "CAPABILITIES: dict[str, dict[str, Any]] = "),
            )
        files["client.py"] = self._render_client()
        files["__init__.py"] = self._render_init()
        # Templates offer every import a module may need; each module keeps what it uses.
        files = {rel: wrap_long_lines(tidy_imports(text)) for rel, text in files.items()}
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
        open_type = any(a.open for a in self.model.base_chain(t.qualified))
        return ClassCode(t.py_name, t.qualified, tuple(fields), keeps_any_json(t.kind, open_type, len(fields)))

    def _render_structure(self, models_mod: str, module: str, chunk: list[EnumType | StructuredType]) -> str:
        classes = [self._class_code(t) for t in chunk if isinstance(t, StructuredType)]
        own = {c.qualified for c in classes}
        imports: dict[str, set[Source]] = {models_mod: {identifier(c.py_name) for c in classes}}
        enums: set[Source] = set()

        def function_of(qualified: str) -> Source:
            if qualified in own:
                return structure_function(self.plan.structured[qualified].py_name)
            # Other modules' functions are looked up by name, the registry namespace's by their names alone.
            return code("_decoders[{}]", literal(_in_namespace(qualified, self.plan.namespace)))

        def enum_class(qualified: str) -> Source:
            e = self.plan.enums[qualified]
            name = identifier(e.py_name)
            imports.setdefault(self.plan.module_of[qualified], set()).add(name)
            if not e.is_flags:
                enums.add(name)
            return name

        bases = self.plan.bases
        # Small classes of this module that nothing derives from are built inline (see `inlinable`).
        leaves = {c.qualified: c for c in classes if c.qualified not in bases and inlinable(c)}

        rows = []
        for c in classes:
            lines = [line for f in c.fields for line in field_lines(f, function_of, enum_class, leaves.get)]
            # A type nothing derives from is what it is, whatever `@odata.type` says.
            rows.append({"py_name": identifier(c.py_name), "function": structure_function(c.py_name),
                         "qualified": c.qualified, "lines": lines, "any_json": c.any_json,
                         "derived": c.qualified in bases,
                         "lists": any(uses_item_list(f) for f in c.fields),
                         "inlines": any(f.kind == "object" and not f.collection and f.type_name in leaves
                                        for f in c.fields),
                         # `w.__class__ is dict` does not tell pyright that `w` is not None.
                         "inlines_any": any(f.kind == "object" and not f.collection and f.type_name in leaves
                                            and leaves[f.type_name].any_json for f in c.fields),
                         "closing": closing_lines()})
        return self.env.get_template("_structure.py.jinja").render(
            models=identifier(models_mod),
            package=self.package,
            classes=rows,
            imports=sorted((identifier(m), sorted(n)) for m, n in imports.items()),
            edm_types=edm_types_used(classes),
            enum_maps=sorted(enums),
            non_object=any(c.any_json for c in classes),
        )

    # -- models ------------------------------------------------------------------------------
    def _field_rows(self, t: StructuredType) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The rows of `t`'s own fields, and those of the inherited fields its type checkers' view declares again.

        A single complex value or navigation is typed by its path class rooted at the declaring class
        (`start: DateTimeTimeZonePath[Event]`): a derived class declares it again, rooted at itself.
        """
        rows: list[dict[str, Any]] = []
        members: list[Property | NavigationProperty] = [*t.properties, *t.navigation]
        every = self.plan.all_members(t)
        inherited = every[: len(every) - len(members)]
        again = [m for m in inherited if self.plan.descriptor(m.type, isinstance(m, NavigationProperty))[1] is None]
        count = len(members)
        for position, member in enumerate([*members, *again]):
            type_name, _ = self.plan.resolve(member.type)
            navigation = isinstance(member, NavigationProperty)
            rows.append(
                {
                    "py_name": identifier(member.py_name),
                    "wire": member.name,
                    "type": type_name,
                    "collection": member.type.collection,
                    "navigation": navigation,
                    "enum": type_name in self.plan.enums,
                    "annotation": self.plan.annotation(member.type),
                    "descriptor": self.plan.descriptor(member.type, navigation),
                    # The declaring class documents an inherited field.
                    "doc": description_of(member.annotations) if position < count else None,
                }
            )
        # A type checker reads annotations in the class body, where an attribute named `list` or
        # `date` hides the builtin or the imported class; such annotations name them another way.
        shadowing = {r["py_name"] for r in rows} & _SHADOWABLE.keys()
        if shadowing:
            for r in rows:
                r["annotation"] = _unshadow(r["annotation"], shadowing)
        owner = identifier(t.py_name)
        for r in rows:
            head, rest = r["descriptor"]
            items = [owner] if rest is None else [r["annotation"], *rest]
            r["expr"] = annotation(f"{head}[{', '.join(items)}]")  # for the imports it needs
            r["declaration"] = annotated(8, r["py_name"], items, "NONE", head=head)
        return rows[:count], rows[count:]

    def _render_models(self, module: str, chunk: list[EnumType | StructuredType]) -> str:
        enums = [t for t in chunk if isinstance(t, EnumType)]
        classes = [t for t in chunk if isinstance(t, StructuredType)]
        used: set[str] = set()
        runtime_imports: dict[str, set[str]] = {}
        checking_imports: dict[str, set[str]] = {}
        class_rows = []
        expr_names: set[str] = set()
        for t in classes:
            fields, again = self._field_rows(t)
            base = self.plan.base_of(t)
            if t.base and t.base in self.plan.structured:
                base_mod = self.plan.module_of[t.base]
                if base_mod != module:
                    runtime_imports.setdefault(base_mod, set()).add(base)
            for f in [*fields, *again]:
                self._note_annotation(f["annotation"], module, used, checking_imports)
                self._note_annotation(f["expr"], module, used, checking_imports)
                expr_names.update(n for n in _tokens(f["expr"]) if n in _EXPR_NAMES or n in _PATH_NAMES)
            class_rows.append(
                {
                    "t": t,
                    "base": base,
                    "fields": fields,
                    "again": again,
                    "register": call(0, "@REGISTRY.structured(",
                                     [literal(t.qualified), *([code("open_type=True")] if t.open and t.kind == "complex"
                                                              else [])]),
                    # The runtime reads the fields back from `__slots__` (`Registry.slots`): each is named once.
                    "slots": code("        __slots__ = REGISTRY.slots({})", token_block(
                        ([f["py_name"], f["wire"], _in_namespace(f["type"], self.plan.namespace), *_field_flags(f)]
                         for f in fields), 8, 8))
                    if fields else None,
                    "doc": description_of(t.annotations),
                    "kind_text": "entity type" if t.kind == "entity" else "complex type",
                    # The runtime keeps a non-object value an open complex type receives.
                    "open_type": t.open and t.kind == "complex",
                }
            )
        runtime_names = {n for names in runtime_imports.values() for n in names}
        for mod, names in list(checking_imports.items()):
            names -= runtime_names
            if not names:
                del checking_imports[mod]
        stdlib = [line for name, line in _ALIAS_IMPORTS.items() if name in used]
        stdlib += sorted(_STDLIB_TYPES[name] for name in used if name in _STDLIB_TYPES)
        runtime_bases = _idents(
            {r["base"] for r in class_rows if r["base"] in ("EntityBase", "ComplexBase")}
            | ({"ODataFlag"} if any(e.is_flags for e in enums) else set())
            | ({"ODataEnum"} if any(not e.is_flags for e in enums) else set())
            | ({"model"} if classes else set())
        )
        has_fields = any(r["fields"] or r["again"] for r in class_rows)
        return self.env.get_template("models.py.jinja").render(
            enums=enums,
            classes=class_rows,
            stdlib=stdlib,
            needs_any="Any" in used,
            expr_names=_idents(expr_names - _PATH_NAMES),
            path_names=_idents(expr_names & _PATH_NAMES),
            has_fields=has_fields,
            redeclares=any(r["again"] for r in class_rows),
            runtime_bases=runtime_bases,
            runtime_imports=_import_rows(runtime_imports),
            checking_imports=_import_rows(checking_imports),
            package=self.package,
        )

    def _render_paths(self, models_module: str, module: str, chunk: list[EnumType | StructuredType]) -> str | None:
        """The path classes of a chunk's structured types: what `Event.start.date_time` is to type checkers.

        None when no annotation names any of them.
        """
        classes = [t for t in chunk if isinstance(t, StructuredType)]
        used: set[str] = set()
        checking_imports: dict[str, set[str]] = {}
        expr_names: set[str] = set()
        path_rows = []
        for t in classes:
            own = self.plan.path_members.get(t.qualified)
            named = t.qualified in self.plan.paths_used
            if own is None and not named:
                continue
            members: list[Source] = []
            hidden = _ENTITY_PATH_NAMES if t.kind == "entity" else _COMPLEX_PATH_NAMES
            # The members of a base type's paths come from its members class, which derived types inherit.
            own_members: list[Property | NavigationProperty] = [*t.properties, *t.navigation]
            for member in own_members:
                if member.py_name in hidden:
                    continue  # a method of the path class: `.prop(name)` reaches the member
                expr = self.plan.expr_annotation(member.type, isinstance(member, NavigationProperty))
                self._note_annotation(expr, module, used, checking_imports)
                expr_names.update(n for n in _tokens(expr) if n in _EXPR_NAMES or n in _PATH_NAMES)
                members.append(declared(8, identifier(member.py_name), expr))
            path_base = "EntityExpr" if t.kind == "entity" else "ComplexExpr"
            expr_names.add("RootT")
            inherited = self.plan.path_members.get(t.base) if t.base in self.plan.structured else None
            if inherited is not None:
                self._note_annotation(annotation(inherited), module, used, checking_imports)
            if own is not None:
                path_rows.append({
                    "name": own,
                    "base": annotation(f"{inherited}[RootT]" if inherited else "Generic[RootT]"),
                    "members": members,
                })
                used.add("Generic")
                inherited, members = own, []
            if not named:
                continue
            expr_names.add(path_base)
            self._note_annotation(annotation(t.py_name), module, used, checking_imports)
            bases = [f"{inherited}[RootT]"] if inherited else []
            path_rows.append({
                "name": self.plan.paths[t.qualified],
                "base": annotation(", ".join([*bases, f"{path_base}[{t.py_name}, RootT]"])),
                "members": members,
            })
        if not path_rows:
            return None
        stdlib = [line for name, line in _ALIAS_IMPORTS.items() if name in used]
        stdlib += sorted(_STDLIB_TYPES[name] for name in used if name in _STDLIB_TYPES)
        return self.env.get_template("_paths.py.jinja").render(
            paths=path_rows,
            generic="Generic" in used,
            stdlib=stdlib,
            models_module=identifier(models_module),
            expr_names=_idents(expr_names - _PATH_NAMES),
            path_names=_idents(expr_names & _PATH_NAMES),
            checking_imports=_import_rows(checking_imports),
            package=self.package,
        )

    def _note_annotation(
        self, annotation: str, module: str, used: set[str], checking: dict[str, set[str]]
    ) -> None:
        for token in _tokens(annotation):
            if token in ("list", "None", "str", "int", "float", "bool", "bytes", "dict") or token in _EXPR_NAMES or token in _PATH_NAMES:
                continue
            if token in _STDLIB_TYPES or token == "Any":
                used.add(token)
            elif token.startswith(("builtins.", "_datetime.")):
                used.add(token.split(".")[0])
                continue
            owner = self.plan.path_owner.get(token)
            qualified = self.plan.qualified_by_py.get(token) if owner is None else owner
            if qualified is not None:
                mod = (self.plan.module_of if owner is None else self.plan.paths_module_of)[qualified]
                if mod != module:
                    checking.setdefault(mod, set()).add(token)

    # -- request builders --------------------------------------------------------------------
    def _operation_row(self, merged: _MergedOperation) -> dict[str, Any]:
        params: list[dict[str, Any]] = []
        for p, required in merged.params:
            type_name, _ = self.plan.resolve(p.type)
            params.append(
                {
                    "py_name": identifier(p.py_name),
                    "wire": p.name,
                    "type": type_name,
                    "collection": p.type.collection,
                    "annotation": self.plan.annotation(p.type, optional=not required),
                    "required": required,
                }
            )
        if merged.return_type is None:
            returns = None
            return_annotation = annotation("None")
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
            return_annotation = annotation(f"CollectionRequest[{query_item}]")
        tuples = [code("({}, {}, {}, {})", literal(p["wire"]), p["py_name"], literal(p["type"]), bool(p["collection"]))
                  for p in params]
        return {
            # Several parameters one a line (their trailing comma keeps them so); one or none on a line.
            "param_tuples": collection(12, "(", tuples, "),", tuple_=True, exploded=True),
            "kind": merged.kind,
            "qualified": merged.qualified,
            "py_name": identifier(merged.py_name),
            "params": params,
            "returns": returns,
            "return_annotation": return_annotation,
            "query_item": query_item,
            "doc": merged.description,
            "overloads": [],
            "compose": None,
        }

    def _bound_row(self, overloads: list[Operation]) -> dict[str, Any]:
        """The method of the overloads of one name bound to one type."""
        row = self._operation_row(_merge_overloads(overloads))
        ref = composed_result(overloads, self.model, self.plan.plain_json)
        if ref is not None:
            # A composable function returns the request builder of its result (see `odatakit.builders.compose`).
            names = self.plan.builders.get(ref.name)
            builder = (names[1] if ref.collection else names[0]) if names else (
                "CollectionRequest" if ref.collection else "EntityRequest")
            row["builder_of"] = (ref.name, builder) if names else None
            row["return_annotation"] = annotation(f"{builder}[{self.plan.structured[ref.name].py_name}]")
            row["compose"] = (literal(ref.name), literal(ref.collection))
            row["query_item"] = None
        self._overload_stubs(row, overloads)
        return row

    def _overload_stubs(self, row: dict[str, Any], overloads: list[Operation]) -> None:
        """For overloads with different parameter names, `@overload` signatures, one per overload.

        mypy then rejects parameters of two overloads mixed.

        In its own overload a parameter is required unless it is optional (`Core.OptionalParameter`, or
        nullable in an action); the runtime picks the overload by the parameters given (see `odatakit.builders`).
        """
        # A document may declare one overload twice (an overlay repeating it): the first counts.
        distinct: dict[frozenset[str], Operation] = {}
        for op in overloads:
            distinct.setdefault(frozenset(p.name for p in op.call_parameters), op)
        if len(distinct) < 2:
            return
        stubs, spec = [], []
        for op in distinct.values():
            params = []
            for p in op.call_parameters:
                required = not p.optional and (op.kind == "function" or not p.type.nullable)
                params.append({"py_name": identifier(p.py_name), "required": required,
                               "annotation": self.plan.annotation(p.type, optional=p.type.nullable or not required)})
            stubs.append({"params": params, "return_annotation": row["return_annotation"]})
            spec.append((op.kind, tuple(p.name for p in op.call_parameters),
                         tuple(p.name for p, s in zip(op.call_parameters, params, strict=True) if s["required"])))
        row["overloads"] = stubs
        row["overload_spec"] = literal(tuple(spec))

    def _operation_rows(self, t: StructuredType, collection: bool) -> list[dict[str, Any]]:
        """Rows for the operations bound to `t`, marking overrides that change the signature."""
        inherited: dict[str, tuple[Any, ...]] = {}
        for ancestor in reversed(self.model.base_chain(t.qualified)[1:]):
            for overloads in self.plan.ops_by_binding.get((ancestor.qualified, collection), []):
                row = self._bound_row(overloads)
                inherited[row["py_name"]] = _signature(row)
        rows = []
        for overloads in self.plan.ops_by_binding.get((t.qualified, collection), []):
            row = self._bound_row(overloads)
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
        needs_literal = False
        rows = []
        for t in entities:
            entity_builder, collection_builder = self.plan.builders[t.qualified]
            base_entity, base_collection = identifier("EntityRequest"), identifier("CollectionRequest")
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
                nav_annotation = annotation(f"{builder}[{target.py_name}]")
                self._note_builder(n.type.name, builder, module, checking)
                self._note_annotation(target.py_name, "", used, checking)
                records = spec_of(n.annotations)
                query = self._query_rows(records, used)
                nav = code("self._nav({}, {}, {})", literal(n.name), literal(n.type.name), n.type.collection)
                navs.append(
                    {
                        "return": call(8, "return cast(", [literal(nav_annotation), nav]),
                        "assign": call(8, "request = cast(", [literal(nav_annotation), nav]),
                        "py_name": identifier(n.py_name),
                        "wire": n.name,
                        "target": n.type.name,
                        "collection": n.type.collection,
                        "annotation": nav_annotation,
                        "doc": _with_spec(description_of(n.annotations), records, f"The {n.name} navigation"
                                          + (" (contained)." if n.contains_target else ".")),
                        "contained": n.contains_target,
                        "query": query,
                    }
                )
            ops_single = self._operation_rows(t, False)
            ops_collection = self._operation_rows(t, True)
            for op in ops_single + ops_collection:
                if op.get("builder_of"):
                    self._note_builder(op["builder_of"][0], op["builder_of"][1], module, checking)
                for p in op["params"]:
                    self._note_annotation(p["annotation"], "", used, checking)
                self._note_annotation(op["return_annotation"], "", used, checking)
            full_key = tuple((name, self._key_type(t, name)) for name in self.model.key_of(t.qualified))
            # Only the type that declares the key sets KEY; derived builders inherit it.
            key = full_key if not t.base or not self.model.key_of(t.base) else None
            key_annotation = annotation("Any")
            if full_key:
                py_types = [edm.PY_TYPES.get(k[1], "str") for k in full_key]
                for py in py_types:
                    if py in _STDLIB_TYPES:
                        used.add(py)
                key_annotation = annotation(py_types[0] if len(py_types) == 1 else f"tuple[{', '.join(py_types)}]")
            alternate_keys = []
            for ak in t.alternate_keys:
                params = []
                for (alias, prop), kw in zip(ak.parts, ak.keywords, strict=True):
                    edm_type = self._key_type(t, prop)
                    py = edm.PY_TYPES.get(edm_type, "str")
                    if py in _STDLIB_TYPES:
                        used.add(py)
                    params.append({"py_name": identifier(kw), "annotation": annotation(py), "alias": literal(alias),
                                   "edm": literal(edm_type)})
                alternate_keys.append({"py_name": identifier(ak.py_name), "params": params,
                                       "doc": "The item with this alternate key ("
                                              + ", ".join(alias for alias, _ in ak.parts) + ")."})
            headers_single = _header_rows(self.model, t, "entity")
            headers_collection = _header_rows(self.model, t, "collection")
            needs_literal = needs_literal or any(h["literal"] for h in headers_single[0] + headers_collection[0])
            prefer_single = _preference_rows(self.reached.get((t.qualified, False), []))
            prefer_collection = _preference_rows(self.reached.get((t.qualified, True), []))
            for p in prefer_single + prefer_collection:
                self._note_annotation(p["annotation"], "", used, checking)
                if p["convert"]:
                    converters.add(p["convert"])
            rows.append(
                {
                    "headers": (headers_single, headers_collection),
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
                    "streams": [
                        {"py_name": identifier(py), "segment": segment,
                         "doc": "The media stream ($value)." if segment == "$value" else f"The {segment} stream."}
                        for py, segment in t.streams
                    ],
                    "path_method": identifier(t.path_method) if t.path_method else None,
                    "ops_single": ops_single,
                    "ops_collection": ops_collection,
                    "key": key,
                    "key_annotation": key_annotation,
                    "alternate_keys": alternate_keys,
                    # A class passed bare is `EventRequest[Unknown]` to pyright: the cast says which.
                    "item_type": (item_type := literal(f"{entity_builder}[_T]")),
                    "by_key": call(8, "return cast(", [item_type, code("self._by_key({}, key)", entity_builder)]),
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
            converters=_idents(converters),
            needs_any="Any" in used,
            needs_literal=needs_literal,
            runtime_imports=_import_rows(runtime),
            checking_imports=_import_rows(checking),
            package=self.package,
        )

    def _query_rows(self, records: list[dict[str, Any]], used: set[str]) -> list[dict[str, Any]]:
        """Keyword arguments for the custom query options the pages give a navigation."""
        rows: dict[str, dict[str, Any]] = {}
        for r in records:
            for q in r.get("query", []):
                py = py_annotation(q["type"])
                if py in _STDLIB_TYPES:
                    used.add(py)
                row = rows.setdefault(q["name"], {"wire": q["name"], "annotation": annotation(py),
                                                  "required": bool(q["required"])})
                row["required"] = row["required"] and bool(q["required"])
        keywords = keyword_names(rows)
        for wire, row in rows.items():
            row["py_name"] = keywords[wire]
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
                set_annotation = annotation(f"{builder}[{target.py_name}]")
                root = code("self.root({}, {}, {})", literal(s.name), literal(s.entity_type), not s.singleton)
                sets.append(
                    {
                        "return": call(8, "return cast(", [literal(set_annotation), root]),
                        "py_name": identifier(s.py_name),
                        "wire": s.name,
                        "target": s.entity_type,
                        "collection": not s.singleton,
                        "annotation": annotation(f"{builder}[{target.py_name}]"),
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
            checking_imports=_import_rows(checking),
            options=self.options,
            json_batch=(self.options.batch_format or ("json" if self.model.version == "4.01" else "multipart"))
            == "json",
            package=self.package,
        )

    def _render_registry(self) -> str:
        by_module: dict[str, list[str]] = {}
        for qualified, module in sorted(self.plan.module_of.items()):
            by_module.setdefault(module, []).append(qualified)
        builders = [
            collection(8, f"{literal(q)}: (", [literal(module), literal(entity), literal(many)], "),")
            for q, module, entity, many in sorted(
                (q, self.plan.request_module_of[q], names[0], names[1]) for q, names in self.plan.builders.items()
            )
        ]
        aliases = sorted(self.model.aliases)
        first_sets = canonical_paths(self.model, self.plan.builders)
        return self.env.get_template("_registry.py.jinja").render(
            modules=sorted(by_module.items()),
            builders=builders,
            entity_sets=[Source(f"        {literal(q)}: {literal(name)},") for q, name in sorted(first_sets.items())],
            aliases=aliases,
            package=self.package,
            options=self.options,
            capabilities=bool(self.capabilities),
            namespace=literal(self.plan.namespace) if self.plan.namespace else None,
        )

    def _render_init(self) -> str:
        exports: list[tuple[Source, str]] = [(self.client_class, "client")]
        for t in list(self.model.enums) + list(self.model.structured):
            exports.append((identifier(t.py_name), self.plan.module_of[t.qualified]))
        exports.sort(key=lambda e: _natural(e[0]))
        by_module: dict[str, list[Source]] = {}
        for name, module in exports:
            by_module.setdefault(module, []).append(name)
        title = self.model.container.namespace if self.model.container else self.options.package
        return self.env.get_template("__init__.py.jinja").render(
            exports_by_module=sorted((identifier(m), names) for m, names in by_module.items()),
            export_names=[name for name, _ in exports],
            package=self.package,
            title=title,
            source=_display_source(self.model.source),
        )


def _in_namespace(type_name: str, namespace: str | None) -> str:
    """A field table's type: without its namespace when it is the registry's (see `Registry.namespace`)."""
    own, _, name = type_name.rpartition(".")
    return name if own == namespace else type_name


def _field_flags(row: Mapping[str, Any]) -> list[str]:
    """The words after a field's type in a generated field table (see `odatakit.serde.field_table`)."""
    return [word for word in ("collection", "navigation", "enum") if row[word]]


def _idents(names: Iterable[str]) -> list[Source]:
    """Python names the generator chose (runtime and generated imports), checked and sorted."""
    return sorted(identifier(n) for n in names)


def _import_rows(imports: Mapping[str, Iterable[str]]) -> list[tuple[Source, list[Source]]]:
    """`from .module import names` rows, sorted, every name checked."""
    return sorted((identifier(m), _idents(names)) for m, names in imports.items())


def _signature(row: dict[str, Any]) -> tuple[Any, ...]:
    stubs = tuple(_signature(stub) for stub in row.get("overloads", ()))
    return (tuple((p["py_name"], p["annotation"], p["required"]) for p in row["params"]), row["return_annotation"], stubs)


def _display_source(source: str) -> str:
    """The input's name as the generated header shows it: a URL, or a file's base name."""
    if source.startswith(("http://", "https://")):
        return source
    return os.path.basename(source)


def check_syntax(files: Mapping[str, str], where: Callable[[str], str | None] = lambda name: None) -> None:
    """Compile every emitted Python file; a failure is a `GeneratorBug` naming the file, line and input.

    `where` maps the class or function the failing line belongs to to the place in the input
    that produced it, if known.
    """
    for rel, text in sorted(files.items()):
        if not rel.endswith(".py"):
            continue
        try:
            compile(text, rel, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 0
            owner = _enclosing_definition(text, line)
            origin = where(owner) if owner else None
            message = getattr(exc, "msg", None) or str(exc)
            raise GeneratorBug(
                f"the generated {rel}:{line} does not compile ({message})"
                + (f" in {owner}, made from {origin}" if origin else f" in {owner}" if owner else "")
                + ": this is a bug in odatakit, please report it with the input"
            ) from None


def _enclosing_definition(text: str, line: int) -> str | None:
    """The name of the last class or function defined at or before `line` (1-based) of `text`."""
    for source_line in reversed(text.split("\n")[:line]):
        m = re.match(r"\s*(?:async\s+)?(?:class|def)\s+(\w+)", source_line)
        if m:
            return m.group(1)
    return None


def remove_stale_staging(out_dir: Path, package: str) -> list[Path]:
    """Remove staging folders of `package` left in `out_dir` by runs that were killed (their process is gone)."""
    removed = []
    for folder in out_dir.glob(f".{package}.*"):
        parts = folder.name[len(package) + 2 :].split(".")
        if not folder.is_dir() or not parts[0].isdigit() or len(parts) != 2:
            continue
        if _alive(int(parts[0])):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def write_package(
    files: dict[str, str], out_dir: Path, package: str, progress: ProgressLike | None = None
) -> list[Path]:
    """Write the files into `out_dir/package` atomically: a temporary folder, then a swap."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / package
    remove_stale_staging(out_dir, package)
    # The process id in the name tells a later run whether the folder's writer is still alive.
    prefix = f".{package}.{os.getpid()}."
    try:
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir))
    except BaseException:
        # A signal can land after mkdtemp made the folder and before it said which: this
        # process's staging folders are all that bear its id.
        for left in out_dir.glob(glob.escape(prefix) + "*"):
            shutil.rmtree(left, ignore_errors=True)
        raise
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the package is an ordinary folder
        if progress is not None:
            progress.step(f"writing {len(files)} files")
        written = []
        for rel, text in sorted(files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(target / rel)
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
    model: Model, options: EmitOptions, out_dir: Path, progress: ProgressLike | None = None
) -> EmitResult:
    """Render and write a package for a named model."""
    emitter = Emitter(model, options)
    files = emitter.render(progress)
    if progress is not None:
        progress.step("compiling")
    check_syntax(files, emitter.origin_of)
    written = write_package(files, out_dir, options.package, progress)
    return EmitResult(
        files=tuple(str(p) for p in written),
        types=len(model.structured) + len(model.enums),
        operations=len(model.operations),
    )


def canonical_paths(model: Model, entity_types: Mapping[str, Any]) -> dict[str, str]:
    """Where an entity's canonical URL (the `@odata.id` of a reference) puts its key, by entity type.

    The first entity set of the type; else the first collection contained under a singleton
    through single-valued containment navigations (Graph's `education/classes`). Singletons
    standing for an entity of a set (`me`) are left out: what they contain belongs to that entity.
    """
    found: dict[str, str] = {}
    container = model.container
    if container is None:
        return found
    for s in container.entity_sets:
        if not s.singleton and s.entity_type in entity_types:
            found.setdefault(s.entity_type, s.name)
    in_sets = {s.entity_type for s in container.entity_sets if not s.singleton}
    frontier = [(s.name, s.entity_type) for s in container.entity_sets if s.singleton and s.entity_type not in in_sets]
    for _ in range(3):
        deeper: list[tuple[str, str]] = []
        for path, type_name in frontier:
            for t in model.base_chain(type_name):
                for n in t.navigation:
                    if not n.contains_target:
                        continue
                    if not n.type.collection:
                        deeper.append((f"{path}/{n.name}", n.type.name))
                    elif n.type.name in entity_types:
                        found.setdefault(n.type.name, f"{path}/{n.name}")
        frontier = deeper
    return found
