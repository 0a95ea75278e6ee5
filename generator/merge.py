"""Match spec-table operations with the `$metadata` model, and fold what the pages add into it.

Each :class:`~generator.specmodel.SpecOperation` is resolved segment by segment against the
model: an entity set or singleton, then key placeholders, navigation properties, type casts and
bound actions or functions (names compared case-insensitively, because pages write
``calendarview`` where the metadata has ``CalendarView``).  The result says which generated
call serves the operation, or why none does.

:func:`merge` then returns a new model whose navigation properties and operations carry the
pages' facts as ``odatakit.Spec`` annotations (required query options, `Prefer` preferences,
scopes, success statuses, where the page says so); the emitter turns them into keyword
arguments, a typed ``prefer()`` and docstrings.  An action the metadata lacks is added from the
page's body parameters.  Nothing here knows about a particular service.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from keyword import iskeyword
from typing import Any, Literal

import attrs

from .errors import Diagnostics
from .model import (
    Annotation,
    EntitySet,
    Model,
    NavigationProperty,
    Operation,
    Parameter,
    Property,
    StructuredType,
    TypeRef,
)
from .naming import keyword_names, preference_keyword, snake
from .specmodel import SpecError, SpecOperation, SpecParam
from .spectables import split_url
from .structuring import plain_json_types

__all__ = [
    "HEADERS_TERM", "SPEC_TERM", "MergeResult", "Resolution", "Step", "composed_result", "merge", "overload_key",
    "resolve", "spec_records",
]

#: The annotation term that carries spec facts on navigation properties and operations.
SPEC_TERM = "odatakit.Spec"
#: The annotation term on an entity type that lists the request headers its builders take (`headers()`).
HEADERS_TERM = "odatakit.SpecHeaders"

StepKind = Literal[
    "root", "key", "altkey", "nav", "cast", "action", "function", "count", "value", "stream", "ref", "prop", "path",
]

_PLACEHOLDER = re.compile(r"^\{[^{}]+\}$")
_CALL = re.compile(r"^(?P<name>[^()]+)\((?P<args>.*)\)$")
# Header values that name a preference: `outlook.timezone="{tz}"`, `odata.maxpagesize={x}`.
_PREFERENCE = re.compile(r"^\s*(?P<name>[A-Za-z][\w.-]*)\s*(?:=\s*(?P<value>.*))?$")

# Edm types of spec parameters → the Python annotation of a generated keyword argument.
_PY = {
    "Edm.String": "str",
    "Edm.Boolean": "bool",
    "Edm.Int32": "int",
    "Edm.Int64": "int",
    "Edm.Int16": "int",
    "Edm.Byte": "int",
    "Edm.Double": "float",
    "Edm.DateTimeOffset": "datetime",
    "Edm.Date": "date",
}


@attrs.frozen
class Step:
    """One resolved segment of a spec path."""

    kind: StepKind
    segment: str  # as written on the page
    py: str  # the Python text of this step (`.events`, `[event_id]`, `.accept(...)`)
    type: str | None  # qualified type reached (None for operations without a structured result)
    collection: bool
    nav: tuple[str, str] | None = None  # (declaring type, navigation name) for navigation steps
    operation: str | None = None  # qualified name for operation steps
    #: The overload the step calls: bound to the nearest type of the path's binding chain.
    overload: Operation | None = attrs.field(default=None, eq=False, repr=False)
    #: A composable function call: the generated method returns a request builder for its result.
    composed: bool = False
    #: A step the page does not write but the call needs: the cast to the derived type declaring
    #: the navigation that follows (the page's URL is not one the metadata serves).
    implied: bool = False


@attrs.frozen
class Resolution:
    """How a spec operation is served by the generated client, or why it is not."""

    op: SpecOperation
    steps: tuple[Step, ...] = ()
    call: str | None = None  # e.g. `client.me.events[event_id].accept(comment=..., send_response=...)`
    reason: str | None = None  # why the operation is not served

    @property
    def served(self) -> bool:
        """True when a generated call serves the operation."""
        return self.call is not None


@attrs.frozen
class MergeResult:
    """The model with spec facts folded in, and how each spec operation is served."""

    model: Model
    resolutions: tuple[Resolution, ...]
    added: tuple[str, ...] = ()  # qualified names of operations generated from the pages alone


# --- resolving paths ------------------------------------------------------------------------------
class _Index:
    """Case-insensitive lookups over a model."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.types = model.structured_by_name()
        self.roots: dict[str, EntitySet] = {}
        if model.container is not None:
            for s in model.container.entity_sets:
                self.roots.setdefault(s.name.lower(), s)
        #: Entity types the pages read or write `$value` of that are not media entities but have
        #: media entities among their derived types (Graph's attachment): `merge` makes them media.
        self.media_wanted: set[str] = set()
        #: Entity types the pages address items below by path (`root:/{item-path}:`), without a method yet.
        self.paths_wanted: set[str] = set()
        self.ops: dict[tuple[str, bool], dict[str, list[Operation]]] = {}
        self.by_qualified: dict[str, Operation] = {}
        self._plain_json: frozenset[str] | None = None
        for op in model.operations:
            self.by_qualified.setdefault(op.qualified, op)
            binding = op.binding
            if binding is None:
                continue
            key = (binding.type.name, binding.type.collection)
            self.ops.setdefault(key, {}).setdefault(op.name.lower(), []).append(op)

    def nav(self, type_name: str, segment: str) -> tuple[StructuredType, NavigationProperty] | None:
        for t in self._chain(type_name):
            for n in t.navigation:
                if n.name.lower() == segment.lower():
                    return t, n
        return None

    def operation(self, type_name: str, collection: bool, name: str, given: set[str] | None = None
                  ) -> Operation | None:
        """The overload a path segment calls: bound to the most derived type of the chain that has the name,
        then the one whose parameters are exactly `given` (lower case), else the one with the fewest."""
        found = self.overloads(type_name, collection, name)
        return _pick_overload(found, given or set()) if found else None

    def overloads(self, type_name: str, collection: bool, name: str) -> list[Operation]:
        """The overloads of `name` bound to the most derived type of the chain that has it (one generated method)."""
        short = name.rpartition(".")[2].lower()
        for t in self._chain(type_name):
            found = self.ops.get((t.qualified, collection), {}).get(short)
            if found:
                return found
        return []

    @property
    def plain_json(self) -> frozenset[str]:
        """The complex types generated code types `Any` (see `generator.structuring.plain_json_types`)."""
        if self._plain_json is None:
            self._plain_json = plain_json_types(self.model)
        return self._plain_json

    def stream(self, type_name: str, segment: str) -> str | None:
        """The builder's stream accessor for `$value` (a media entity) or a stream property, if any."""
        for t in self._chain(type_name):
            for py, wire in t.streams:
                if wire == segment if segment == "$value" else wire.lower() == segment.lower():
                    return py
        return None

    def prop(self, type_name: str, segment: str) -> Property | None:
        """A structural property (not a stream: those are media, not values) of the type or its bases."""
        for t in self._chain(type_name):
            for p in t.properties:
                if p.name.lower() == segment.lower() and p.type.name != "Edm.Stream":
                    return p
        return None

    def path_method(self, type_name: str) -> str:
        """The builder's path-addressing method (`item_at_path`), or "" when the type has none."""
        return next((t.path_method for t in self._chain(type_name) if t.path_method), "")

    def derived_navs(self, type_name: str, segment: str) -> list[tuple[StructuredType, NavigationProperty]]:
        """The derived types declaring a navigation of that name: the casts a page may have left out."""
        if type_name not in self.types:
            return []
        return [(t, n) for t in self.model.derived_of(type_name) for n in t.navigation
                if n.name.lower() == segment.lower()]

    def derived_bindings(self, type_name: str, collection: bool, name: str) -> list[StructuredType]:
        """The derived types an operation of that name is bound to (their casts a page may have left out)."""
        if type_name not in self.types:
            return []
        short = name.rpartition(".")[2].lower()
        return [t for t in self.model.derived_of(type_name) if self.ops.get((t.qualified, collection), {}).get(short)]

    def cast(self, type_name: str, segment: str) -> StructuredType | None:
        for t in self.model.derived_of(type_name) if type_name in self.types else []:
            if t.qualified.lower() == segment.lower():
                return t
        return None

    def _chain(self, type_name: str) -> list[StructuredType]:
        return self.model.base_chain(type_name) if type_name in self.types else []


def _pick_overload(overloads: list[Operation], given: set[str]) -> Operation:
    """The overload with exactly the `given` parameters (lower case), else the first of the fewest that has them."""
    names = [{p.name.lower() for p in o.call_parameters} for o in overloads]
    for o, have in zip(overloads, names, strict=True):
        if have == given:
            return o
    fits = [(len(have), i) for i, have in enumerate(names) if given <= have] or [(len(names[0]), 0)]
    return overloads[min(fits)[1]]


def composed_result(overloads: Sequence[Operation], model: Model, plain_json: frozenset[str]) -> TypeRef | None:
    """The result type a call of these overloads (one name on one binding) is a request builder for, or None.

    Composable functions (`IsComposable`) returning entities or complex values are: every overload
    composable and none an action, the result a structured type that is not plain JSON. Any other
    operation is an awaited call, as before composition was generated.
    """
    ret = overloads[0].return_type if overloads else None
    if ret is None or not all(o.kind == "function" and o.is_composable for o in overloads):
        return None
    if ret.name not in model.structured_by_name() or ret.name in plain_json:
        return None
    return ret


def overload_key(op: Operation) -> tuple[str, str, bool, tuple[str, ...]]:
    """What tells overloads apart: name, binding type, collection, and the set of parameter names."""
    binding = op.binding
    names = tuple(sorted(p.name for p in op.call_parameters))
    return (op.qualified, binding.type.name if binding else "", bool(binding and binding.type.collection), names)


def _segments(path: str) -> list[str]:
    # The reader's splitter: keys written `events('{id}')` become `events/{id}`, and
    # placeholders with alternatives (`{id | userPrincipalName}`) keep the first.
    return _path_addressed(split_url(path)[1])


def _path_addressed(segments: list[str]) -> list[str]:
    """`root:`, `{item-path}:`, `content` → `root`, `:/{item-path}`, `content`: a path below an item is one segment."""
    out: list[str] = []
    i = 0
    while i < len(segments):
        seg = segments[i]
        if len(seg) > 1 and seg.endswith(":") and not seg.startswith(":/") and i + 1 < len(segments):
            end = next((j for j in range(i + 1, len(segments)) if segments[j].endswith(":")), len(segments) - 1)
            out += [seg[:-1], ":/" + "/".join(segments[i + 1 : end + 1]).removesuffix(":")]
            i = end + 1
            continue
        out.append(seg)
        i += 1
    return out


def _placeholder_name(segment: str) -> str:
    inner = segment.strip("{}")
    return snake(re.sub(r"\W+", "_", inner).strip("_")) or "key"


def resolve(model: Model, op: SpecOperation, client: str = "client") -> Resolution:
    """The generated call that serves `op`, or the reason none does."""
    return _resolve(_Index(model), op, client)


def _resolve(index: _Index, op: SpecOperation, client: str) -> Resolution:
    segments = _segments(op.path)
    if not segments:
        return Resolution(op, reason="the request line has no resource path")
    if _PLACEHOLDER.match(segments[0]):
        return _resolve_context(index, op, segments, client)
    root = index.roots.get(segments[0].lower())
    if root is None:
        return Resolution(op, reason=f"no entity set or singleton named {segments[0]!r}")
    return _resolve_from(index, op, root, segments, client)


def _resolve_context(index: _Index, op: SpecOperation, segments: list[str], client: str) -> Resolution:
    """A path that starts with a placeholder (`/{user_context}/calendarview`): the first singleton it fits."""
    first: Resolution | None = None
    for root in index.roots.values():
        if not root.singleton:
            continue
        res = _resolve_from(index, op, root, [root.name, *segments[1:]], client)
        if res.served:
            return res
        first = first or res
    reason = f"no singleton serves the rest of the path after {segments[0]}"
    return Resolution(op, first.steps if first else (), reason=reason)


def _resolve_from(index: _Index, op: SpecOperation, root: EntitySet, segments: list[str], client: str) -> Resolution:
    steps = [Step("root", segments[0], f".{root.py_name}", root.entity_type, not root.singleton)]
    type_name: str | None = root.entity_type
    collection = not root.singleton
    field = ""  # the typed field of the property path being followed (`User.mailbox_settings`)
    for at, seg in enumerate(segments[1:], 2):
        if steps[-1].kind == "ref":
            return Resolution(op, tuple(steps), reason=f"{seg!r} follows $ref")
        if field:
            member = index.prop(type_name, seg) if type_name in index.types and not collection else None
            if member is not None:
                field += f".{member.py_name}"
                type_name, collection = member.type.name, member.type.collection
                steps.append(Step("prop", seg, f".prop({field})", type_name, collection))
                continue
            if seg.lower() == "$value" and not collection and type_name not in index.types:
                steps.append(Step("value", seg, ".value()", None, False))
                type_name = None
                continue
            return Resolution(op, tuple(steps), reason=f"{seg!r}: no member of the property {steps[-1].segment!r}")
        if type_name is None:
            return Resolution(op, tuple(steps), reason=f"{seg!r} follows an operation result")
        if seg.startswith(":/"):
            failed = _path_step(index, seg, type_name, collection, steps)
            if failed:
                return Resolution(op, tuple(steps), reason=failed)
            continue
        if seg.lower() == "$ref":
            steps.append(Step("ref", seg, ".ref", type_name, collection))
            continue
        alternate = _alternate_key_step(index, seg, type_name) if collection else None
        if alternate is not None:
            steps.append(alternate)
            collection = False
            continue
        if _PLACEHOLDER.match(seg) or (collection and not _is_name(index, type_name, seg)):
            if not collection:
                return Resolution(op, tuple(steps), reason=f"key {seg!r} after a single entity")
            name = _placeholder_name(seg) if _PLACEHOLDER.match(seg) else repr(seg)
            steps.append(Step("key", seg, f"[{name}]", type_name, False))
            collection = False
            continue
        if seg.lower() == "$count" and collection:
            steps.append(Step("count", seg, ".count_only()", None, False))
            type_name = None
            continue
        stream = index.stream(type_name, "$value" if seg.lower() == "$value" else seg) if not collection else None
        if stream is not None:
            steps.append(Step("stream", seg, f".{stream}", None, False))
            type_name = None
            continue
        if seg.lower() == "$value":
            if not collection and any(d.has_stream for d in index.model.derived_of(type_name)):
                index.media_wanted.add(type_name)
            what = "a collection of" if collection else "the entity type"
            return Resolution(op, tuple(steps), reason=f"$value on {what} {type_name}, which is not a media entity "
                                                       "(HasStream)")
        call = _CALL.match(seg)
        name = call.group("name") if call else seg
        found = index.nav(type_name, name) if not collection and not call else None
        derived_navs = index.derived_navs(type_name, name) if found is None and not collection and not call else []
        if len(derived_navs) == 1 and index.prop(type_name, name) is None:
            found = derived_navs[0]
            derived = found[0]
            steps.append(Step("cast", "", f".cast({derived.py_name})", derived.qualified, False, implied=True))
        elif len(derived_navs) > 1:
            names = ", ".join(t.qualified for t, _ in derived_navs)
            return Resolution(op, tuple(steps), reason=f"{seg!r}: a navigation of the derived types {names}; "
                                                       "the page leaves out which cast")
        if found is not None:
            owner, nav = found
            steps.append(Step("nav", seg, f".{nav.py_name}", nav.type.name, nav.type.collection,
                              nav=(owner.qualified, nav.name)))
            type_name, collection = nav.type.name, nav.type.collection
            continue
        prop = index.prop(type_name, name) if not collection and not call else None
        if prop is not None:
            field = f"{index.types[type_name].py_name}.{prop.py_name}"
            type_name, collection = prop.type.name, prop.type.collection
            steps.append(Step("prop", seg, f".prop({field})", type_name, collection))
            continue
        cast = index.cast(type_name, name) if not call else None
        if cast is not None:
            steps.append(Step("cast", seg, f".cast({cast.py_name})", cast.qualified, collection))
            type_name = cast.qualified
            continue
        group = index.overloads(type_name, collection, name)
        bound_below = index.derived_bindings(type_name, collection, name) if not group else []
        if len(bound_below) == 1:
            # Bound to the one derived type whose cast the page leaves out: the call sends the cast.
            derived = bound_below[0]
            steps.append(Step("cast", "", f".cast({derived.py_name})", derived.qualified, collection, implied=True))
            type_name = derived.qualified
            group = index.overloads(type_name, collection, name)
        elif len(bound_below) > 1:
            names = ", ".join(t.qualified for t in bound_below)
            return Resolution(op, tuple(steps), reason=f"{seg!r}: an operation bound to the derived types {names}; "
                                                       "the page leaves out which cast")
        if group:
            operation = _pick_overload(group, _given(op, call, at == len(segments)) or set())
            ret = operation.return_type
            kind: StepKind = "action" if operation.kind == "action" else "function"
            composed = composed_result(group, index.model, index.plain_json) is not None
            steps.append(Step(kind, seg, f".{operation.py_name}", ret.name if ret else None,
                              bool(ret and ret.collection), operation=operation.qualified, overload=operation,
                              composed=composed))
            # Only a composable function's result is a builder that further segments go on from.
            type_name = ret.name if ret is not None and composed else None
            collection = bool(ret and ret.collection)
            continue
        what = "a collection of" if collection else "an entity of type"
        return Resolution(op, tuple(steps), reason=f"{seg!r}: no navigation, cast or bound operation on {what} {type_name}")
    return _finish(index, op, steps, client)


def _path_step(index: _Index, seg: str, type_name: str, collection: bool, steps: list[Step]) -> str | None:
    """Append the step of a path below an item (`:/{item-path}`), or say why there is none."""
    if collection:
        return f"path {seg[1:]!r} after a collection of {type_name}"
    method = index.path_method(type_name)
    if not method:
        # `merge` gives the type its method and resolves again.
        index.paths_wanted.add(type_name)
        return f"path {seg[1:]!r} below an entity of type {type_name}, which has no path-addressing method"
    item = seg[2:]
    arg = _placeholder_name(item) if _PLACEHOLDER.match(item) else repr(item)
    steps.append(Step("path", seg, f".{method}({arg})", type_name, False))
    return None


def _alternate_key_step(index: _Index, seg: str, type_name: str) -> Step | None:
    """The step of a segment `alias=value` naming a one-part alternate key of the type (`roleTemplateId={id}`)."""
    m = _ALTERNATE.match(seg)
    if m is None:
        return None
    alias = m.group("alias").lower()
    for t in index.model.base_chain(type_name):
        for key in t.alternate_keys:
            if len(key.parts) == 1 and key.parts[0][0].lower() == alias:
                value = m.group("value")
                arg = _placeholder_name(value) if _PLACEHOLDER.match(value) else repr(value)
                return Step("altkey", seg, f".{key.py_name}({arg})", type_name, False)
    return None


_ALTERNATE = re.compile(r"^(?P<alias>[A-Za-z_]\w*)=(?P<value>[^=()]+)$")


def _given(op: SpecOperation, call: re.Match[str] | None, last: bool) -> set[str] | None:
    """Parameter names a segment passes (`range(address='A1')`), or on the last segment its query's names."""
    if call is not None:
        args = call.group("args")
        return {a.partition("=")[0].strip().lower() for a in args.split(",") if "=" in a}
    if last:
        return {name.lower() for name, _ in op.query if not name.startswith("$")}
    return None


def _is_name(index: _Index, type_name: str, seg: str) -> bool:
    """True when a segment after a collection names a cast or a collection-bound operation, not a key."""
    call = _CALL.match(seg)
    name = call.group("name") if call else seg
    return (
        seg.startswith("$")
        or index.cast(type_name, name) is not None
        or index.operation(type_name, True, name) is not None
    )


def _finish(index: _Index, op: SpecOperation, steps: list[Step], client: str) -> Resolution:
    last = steps[-1]
    method = op.method.upper()
    navs = [i for i, s in enumerate(steps) if s.kind == "nav"]
    query_at = navs[-1] if navs and last.kind != "stream" else -1
    # A property path is one `.prop(...)` call: only its last segment's step is written.
    texts = [
        "" if s.kind == "prop" and i + 1 < len(steps) and steps[i + 1].kind == "prop"
        else _step_text(s, op) if i == query_at
        else s.py + _call_args(index, op, s) if s.composed
        else s.py
        for i, s in enumerate(steps)
    ]
    if _implicit_parameters(last):
        # The page leaves a function's parameters out of the URL: OData 4.01 names them in the query.
        client += '.with_function_parameters("implicit")'
    path_text = client + "".join(texts[:-1])
    tail = texts[-1]
    headers = _header_text(op)
    if last.kind in ("action", "function") and not last.composed:
        expected = "POST" if last.kind == "action" else "GET"
        if method != expected:
            return Resolution(op, tuple(steps), reason=f"{method} on the {last.kind} {last.operation}: expected {expected}")
        return Resolution(op, tuple(steps), call=path_text + headers + tail + _call_args(index, op, last))
    expr = path_text + tail
    if last.kind == "stream":
        verb = _STREAM_VERBS.get(method)
        if verb is None:
            return Resolution(op, tuple(steps), reason=f"{method} on the stream {last.segment}: expected GET, PUT or PATCH")
        params = _query_params(op)
        names = keyword_names(p.name for p in params)
        options = f".params({', '.join(f'{names[p.name]}=...' for p in params)})" if params else ""
        return Resolution(op, tuple(steps), call=expr + options + verb)
    if last.kind in ("ref", "prop"):
        return _finish_path(index, op, steps, expr)
    if last.composed and method not in ("GET", "PATCH"):
        return Resolution(op, tuple(steps), reason=f"{method} on the function {last.operation}: expected GET or PATCH")
    if last.kind in ("count", "value"):
        if method != "GET":
            return Resolution(op, tuple(steps), reason=f"{method} on {last.segment}")
        return Resolution(op, tuple(steps), call=path_text + headers + tail)
    collection = last.collection
    verbs = {
        (True, "GET"): ".get()",
        (True, "POST"): ".create(...)",
        (False, "GET"): ".get()",
        (False, "PATCH"): ".update(...)",
        (False, "PUT"): ".replace(...)",
        (False, "DELETE"): ".delete()",
    }
    verb = verbs.get((collection, method))
    if (collection, method, last.kind) == (False, "POST", "nav"):
        verb = ".create(...)"  # a single-valued navigation: create (or replace) its entity
    if verb is None:
        what = "a collection" if collection else "an entity"
        return Resolution(op, tuple(steps), reason=f"{method} on {what} is not generated")
    return Resolution(op, tuple(steps), call=expr + _options(op) + headers + verb)


def _implicit_parameters(last: Step) -> bool:
    """True when the path ends on a function the page calls without parentheses although it takes parameters."""
    return (last.kind == "function" and "(" not in last.segment and last.overload is not None
            and bool(last.overload.call_parameters))


# What each method does to a stream (a media entity's `$value`, a stream property).
_STREAM_VERBS = {"GET": ".read()", "PUT": ".put(data, content_type=...)", "PATCH": ".patch(data, content_type=...)"}


def _finish_path(index: _Index, op: SpecOperation, steps: list[Step], expr: str) -> Resolution:
    """The call on a `$ref` or a property path: its verbs are those of `odatakit.refs` and `odatakit.props`."""
    last, method = steps[-1], op.method.upper()
    if last.kind == "ref":
        navigated = any(s.kind == "nav" for s in steps)
        by_id = any(name.lower() == "$id" for name, _ in op.query)
        ref_verbs = {
            (True, "GET"): ".get()", (True, "POST"): ".add(...)", (False, "GET"): ".get()",
            (False, "PUT"): ".set(...)", (False, "DELETE"): ".delete()",
        }
        verb = ".remove(...)" if (last.collection, method) == (True, "DELETE") and by_id else ref_verbs.get(
            (last.collection, method))
        if verb is None or (not navigated and method != "GET"):
            what = "a navigation's references" if navigated else "references outside a navigation"
            return Resolution(op, tuple(steps), reason=f"{method} on {what} ({last.segment}) is not generated")
        return Resolution(op, tuple(steps), call=expr + verb)
    verbs = {"GET": ".get()", "PUT": ".replace(...)"}
    if last.type in index.types and not last.collection:
        verbs["PATCH"] = ".update(...)"
    verb = verbs.get(method)
    if verb is None:
        return Resolution(op, tuple(steps), reason=f"{method} on the property {last.segment!r} is not generated")
    return Resolution(op, tuple(steps), call=expr + verb)


def _step_text(step: Step, op: SpecOperation) -> str:
    params = _query_params(op)
    required = [p for p in params if p.required]
    text = step.py
    if required:
        names = keyword_names(p.name for p in params)
        text += "(" + ", ".join(f"{names[p.name]}=..." for p in required) + ")"
    given = _literal_options(op)
    if given:
        keywords = all(n.isidentifier() and not iskeyword(n) for n in given)
        text += (".params(" + ", ".join(f"{n}=..." for n in given) + ")" if keywords
                 else ".params({" + ", ".join(f"{n!r}: ..." for n in given) + "})")
    return text


def _options(op: SpecOperation) -> str:
    text = "".join(f".{name[1:].lower()}(...)" for name, _ in op.query if name.lower() in _TOKEN_OPTIONS)
    prefs = _preferences(op)
    if prefs:
        names = keyword_names(kw for kw, _, _ in prefs)
        text += ".prefer(" + ", ".join(f"{names[kw]}=..." for kw, _, _ in prefs) + ")"
    return text


def _header_text(op: SpecOperation) -> str:
    """`.headers(consistency_level=...)` and `.if_match(...)` for the request headers the page lists as required."""
    required = [kw for kw, _, _, needed in _headers(op) if needed]
    text = ".headers(" + ", ".join(f"{kw}=..." for kw in keyword_names(required).values()) + ")" if required else ""
    if any(p.location == "header" and p.name.lower() == "if-match" and p.required for p in op.params):
        text += ".if_match(...)"
    return text


# System query options that the request line itself carries, and the query method that sets each.
_TOKEN_OPTIONS = ("$deltatoken", "$skiptoken")


def _call_args(index: _Index, op: SpecOperation, step: Step) -> str:
    operation = step.overload
    names = [p.py_name for p in operation.call_parameters] if operation is not None else []
    return "(" + ", ".join(f"{n}=..." for n in names) + ")"


# --- what the pages add ------------------------------------------------------------------------------
def _query_params(op: SpecOperation) -> list[SpecParam]:
    """Custom query options of the operation (system options `$...` are the query builder's)."""
    out = [p for p in op.params if p.location == "query" and not _system_option(p.name)]
    known = {p.name for p in out}
    for name, value in op.query:
        if _system_option(name) or name in known or "{" not in value:
            continue
        # Named on the request line only: required, typed by the placeholder it carries.
        out.append(SpecParam(name, "query", None, required=True, written=value, line=op.line))
        known.add(name)
    return out


def _system_option(name: str) -> bool:
    """True for a system query option, with its `$` or without (OData 4.01 lets the `$` out: `expand=fields`)."""
    return name.startswith("$") or name.lower() in _SYSTEM_OPTIONS


# Only the names no service uses for options of its own: `format`, `top` or `search` without `$`
# are custom options of some (`/content?format=pdf`), so they stay custom.
_SYSTEM_OPTIONS = frozenset({"expand", "select", "filter", "orderby", "skiptoken", "deltatoken"})


def _literal_options(op: SpecOperation) -> list[str]:
    """Custom query options the request line gives a value (`?includeHiddenFolders=true`) and no table documents.

    An example of an option, not a parameter every call needs: the call passes it with `params()`.
    """
    documented = {p.name for p in op.params if p.location == "query"}
    return [name for name, value in op.query
            if not _system_option(name) and name not in documented and "{" not in value]


def _preferences(op: SpecOperation) -> list[tuple[str, str, str | None]]:
    """(keyword, preference name, value template) for each `Prefer` preference the page lists."""
    values: list[str] = [h.value for h in op.headers if h.name.lower() == "prefer"]
    values += [p.default or p.written for p in op.params if p.location == "header" and p.name.lower() == "prefer"]
    out: dict[str, tuple[str, str, str | None]] = {}
    for raw in values:
        for part in raw.split(","):
            m = _PREFERENCE.match(part)
            if m is None or "." not in m.group("name"):
                continue
            name = m.group("name")
            keyword = preference_keyword(name)
            out.setdefault(keyword, (keyword, name, m.group("value")))
    return sorted(out.values())


# Request headers that stay out of `headers()`: the client sets them, or they have a call of their own
# (`prefer()`, `if_match()`, `with_headers()` for the rest).
_OWN_HEADERS = frozenset({
    "accept", "accept-encoding", "authorization", "connection", "content-encoding", "content-length",
    "content-range", "content-type", "cookie", "expect", "host", "if-match", "prefer", "range",
    "transfer-encoding", "user-agent",
})
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# A documented value: `ConsistencyLevel: eventual` in a sample, "eventual. This header..." in a table.
_HEADER_VALUE = re.compile(r"[a-z][a-z0-9-]*")


def _headers(op: SpecOperation) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """(keyword, header name, documented values, required?) for each request header the page lists for `headers()`."""
    out: dict[str, tuple[str, str, tuple[str, ...], bool]] = {}
    for p in op.params:
        name = p.name
        # A lower-case word without a hyphen is a table row read as a header, not a header name.
        if (p.location != "header" or name.lower() in _OWN_HEADERS or not _HEADER_NAME.fullmatch(name)
                or (name.islower() and "-" not in name)):
            continue
        values = [h.value.strip() for h in op.headers if h.name.lower() == name.lower()]
        lead = re.match(r"([a-z][a-z0-9-]*)\.(?:\s|$)", p.description)
        values += [lead.group(1)] if lead else []
        documented = tuple(sorted({v for v in values if _HEADER_VALUE.fullmatch(v)}))
        keyword = snake(name.replace("-", "_"))
        out.setdefault(keyword, (keyword, name, documented, bool(p.required)))
    return sorted(out.values())


def spec_records(resolution: Resolution) -> dict[str, Any]:
    """The `odatakit.Spec` record of one served operation."""
    op = resolution.op
    return {
        "title": op.title,
        "page": op.page,
        "line": op.line,
        "method": op.method,
        "path": op.path,
        "scopes": list(op.scopes),
        "status": op.status,
        "query": [
            {"name": p.name, "type": p.type or "Edm.String", "required": bool(p.required)}
            for p in _query_params(op)
        ],
        "prefer": [{"keyword": k, "name": n, "value": v} for k, n, v in _preferences(op)],
        "headers": [{"keyword": k, "name": n, "values": list(v), "required": r} for k, n, v, r in _headers(op)],
    }


def _edm_of(spec_type: str | None) -> TypeRef:
    if spec_type is None:
        return TypeRef("Edm.String")
    if spec_type.startswith("Collection(") and spec_type.endswith(")"):
        return attrs.evolve(_edm_of(spec_type[11:-1]), collection=True)
    return TypeRef(spec_type)


def _compatible(declared: str, page: str, index: _Index) -> bool:
    """Whether a page's type says the same as the metadata's on the wire: the same type, "Json" for
    Edm.Untyped, or a string for an enum (whose values are strings)."""
    if _short(declared) == _short(page):
        return True
    many = declared.startswith("Collection(")
    if many != page.startswith("Collection("):
        return False
    inner, said = (declared[11:-1], page[11:-1]) if many else (declared, page)
    if inner == "Edm.Untyped" and said.lower() in ("json", "edm.untyped"):
        return True
    return said == "Edm.String" and any(e.qualified == inner for e in index.model.enums)


def _conflicts(index: _Index, res: Resolution, diagnostics: Diagnostics, strict: bool,
               said: set[tuple[str, int, str]] | None = None) -> None:
    """Spec parameters typed differently from the metadata's operation parameters."""
    last = res.steps[-1] if res.steps else None
    if last is None or last.operation is None:
        return
    operation = last.overload
    if operation is None:
        return
    params = {p.name.lower(): p for p in operation.call_parameters}
    for sp in res.op.params:
        if sp.location != "body" or sp.type is None:
            continue
        mp = params.get(sp.name.lower())
        if mp is None:
            continue
        declared = f"Collection({mp.type.name})" if mp.type.collection else mp.type.name
        where = (res.op.page, sp.line or res.op.line, sp.name)
        if said is not None and where in said:
            continue  # one table row, said once (not for each request line of its page)
        if not _compatible(declared, sp.type, index):
            if said is not None:
                said.add(where)
            message = (f"{res.op.method} {res.op.path}: parameter {sp.name!r} is {sp.type} on the page "
                       f"but {declared} in the metadata ({operation.qualified})")
            if strict:
                raise SpecError(message, page=res.op.page, line=sp.line or res.op.line)
            diagnostics.warn(message, source=res.op.page, line=sp.line or res.op.line)


def _short(type_name: str) -> str:
    inner = type_name[11:-1] if type_name.startswith("Collection(") else type_name
    short = inner if inner.startswith("Edm.") else inner.rpartition(".")[2]
    return (f"Collection({short})" if inner != type_name else short).lower()


def _spec_only_action(index: _Index, res: Resolution) -> Operation | None:
    """An action for a POST whose last segment the metadata lacks, built from the page's body parameters."""
    op = res.op
    segments = _segments(op.path)
    if op.method.upper() != "POST" or not res.steps or len(res.steps) != len(segments) - 1:
        return None
    last = res.steps[-1]
    name = segments[-1]
    if last.type is None or last.type not in index.types or not re.fullmatch(r"[A-Za-z_]\w*", name):
        return None
    if last.kind in ("action", "function") and not last.composed:
        return None
    if not last.collection and index.derived_navs(last.type, name):
        # A navigation of derived types whose cast the page leaves out: not an action.
        return None
    namespace = index.types[last.type].namespace
    binding = Parameter("bindingParameter", TypeRef(last.type, collection=last.collection, nullable=False))
    params = [binding]
    for p in op.params:
        if p.location == "body":
            params.append(Parameter(p.name, _edm_of(_qualify(index, p.type, namespace)), optional=not p.required))
    pascal_name = name[:1].upper() + name[1:]
    return Operation("action", namespace, pascal_name, bound=True, parameters=tuple(params))


def _page_leaves_no_doubt(index: _Index, res: Resolution, action: Operation, diagnostics: Diagnostics) -> bool:
    """Whether an operation the metadata lacks may be generated from the page: nothing in the metadata
    explains the segment (a derived type's member, the collection's operation), the page is no create
    (its sample names an ``@odata.type``), and an explicit body table and a request sample agree.
    Otherwise the line is reported with the nearest metadata name, and nothing is generated."""
    op = res.op
    last = res.steps[-1]
    name = _segments(op.path)[-1]
    why = _explanation(index, last, name)
    bodies = [s.body for s in op.samples if s.kind == "request" and isinstance(s.body, dict)]
    table = {p.name.lower() for p in op.params if p.location == "body" and p.line != op.line}
    if why is None and any("@odata.type" in body for body in bodies):
        why = "its request sample names an @odata.type (a create, not an action)"
    if why is None and (not table or not any({str(k).lower() for k in body} == table for body in bodies)):
        why = "no body table and request sample of the page agree on its parameters"
    if why is None:
        return True
    diagnostics.warn(f"{op.method} {op.path}: {name!r} is not in the metadata on {last.type}; {why}; not generated",
                     source=op.page, line=op.line)
    return False


def _explanation(index: _Index, last: Step, name: str) -> str | None:
    """What of the metadata a segment it lacks on `last` stands for, when something does: a member of a
    derived type (the page omits the cast), an operation of the collection (the page keys it), a name
    spelled differently."""
    if last.type is None:
        return None
    lowered = name.lower()
    for derived in index.model.derived_of(last.type):
        if any(n.name.lower() == lowered for n in derived.navigation):
            return f"the derived type {derived.qualified} has the navigation {name!r} (the page omits the cast)"
        if index.ops.get((derived.qualified, last.collection), {}).get(lowered):
            return f"the derived type {derived.qualified} has the operation {name!r} (the page omits the cast)"
    if not last.collection and index.overloads(last.type, True, name):
        return f"the collection of {last.type} has the operation {name!r} (the page keys the collection before it)"
    names = [n.name for t in index._chain(last.type) for n in t.navigation]
    names += [found[0].name for t in index._chain(last.type)
              for found in index.ops.get((t.qualified, last.collection), {}).values()]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f"the nearest metadata name is {near[0]!r}" if near else None


def _qualify(index: _Index, spec_type: str | None, namespace: str) -> str | None:
    if spec_type is None or spec_type.startswith("Edm."):
        return spec_type
    if spec_type.startswith("Collection("):
        inner = _qualify(index, spec_type[11:-1], namespace)
        return f"Collection({inner})"
    for t in index.types.values():
        if t.name.lower() == spec_type.lower():
            return t.qualified
    for e in index.model.enums:
        if e.name.lower() == spec_type.lower():
            return e.qualified
    return "Edm.String"


def merge(
    model: Model,
    operations: Iterable[SpecOperation],
    diagnostics: Diagnostics | None = None,
    *,
    strict: bool = False,
    client: str = "client",
) -> MergeResult:
    """Resolve every spec operation; return the model annotated with what the pages add."""
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    ops = list(operations)
    index = _Index(model)
    resolutions = [_resolve(index, op, client) for op in ops]
    added: list[Operation] = []
    media = sorted(index.media_wanted)
    paths = index.paths_wanted
    for res in resolutions:
        if res.served:
            continue
        action = _spec_only_action(index, res)
        if action is not None and not _page_leaves_no_doubt(index, res, action, diagnostics):
            action = None
        if action is not None and all(a.qualified != action.qualified for a in added):
            added.append(action)
    if added or media or paths:
        from .naming import assign_names

        structured = tuple(attrs.evolve(t, has_stream=True) if t.qualified in media else t for t in model.structured)
        structured = tuple(attrs.evolve(t, path_addressing=True) if t.qualified in paths else t for t in structured)
        model = assign_names(attrs.evolve(model, operations=(*model.operations, *added), structured=structured))
        index = _Index(model)
        resolutions = [_resolve(index, op, client) for op in ops]
        for name in media:
            page = next(r.op for r in resolutions if r.served and name in {s.type for s in r.steps})
            diagnostics.warn(f"{name}: not a media entity in the metadata, but the pages read or write its $value "
                             "(and types derived from it are media entities): given a stream accessor",
                             source=page.page, line=page.line)
        first_use: dict[str, SpecOperation] = {}
        for r in resolutions:
            if r.served and r.steps[-1].operation is not None:
                first_use.setdefault(r.steps[-1].operation, r.op)
        for a in added:
            page = first_use[a.qualified]
            diagnostics.warn(f"{a.qualified}: not in the metadata; generated from the page's body parameters",
                             source=page.page, line=page.line)
    said: set[tuple[str, int, str]] = set()
    for res in resolutions:
        if res.served:
            _conflicts(index, res, diagnostics, strict, said)
    return MergeResult(_annotate(model, resolutions), tuple(resolutions), tuple(a.qualified for a in added))


def _annotate(model: Model, resolutions: Sequence[Resolution]) -> Model:
    """Attach `odatakit.Spec` records to the navigations and operations that serve spec operations."""
    by_nav: dict[tuple[str, str], list[dict[str, Any]]] = {}
    # By overload: what a page says of `delta` on events is not said of `delta` on users.
    by_op: dict[tuple[str, str, bool, tuple[str, ...]], list[dict[str, Any]]] = {}
    seen: set[tuple[str, ...]] = set()
    by_builder: dict[str, dict[str, Any]] = {}
    required_params: dict[tuple[str, str, bool, tuple[str, ...]], set[str]] = {}
    for res in resolutions:
        overload = res.steps[-1].overload if res.steps else None
        if res.served and res.steps[-1].kind == "function" and overload is not None:
            names = {p.name.lower() for p in res.op.params if p.required and p.location in ("path", "query", "body")}
            required_params.setdefault(overload_key(overload), set()).update(names)
        if not res.served:
            continue
        record = spec_records(res)
        # Several request lines of one operation (sync with tokens, variants) say the same thing
        # once; a line listing other preferences (another page of the same request) still counts.
        record_key = (record["method"], record["path"], *sorted(p["name"] for p in record["prefer"]))
        if record_key in seen:
            continue
        seen.add(record_key)
        _note_headers(res, record, by_builder)
        last_nav = next((s for s in reversed(res.steps) if s.kind == "nav"), None)
        last = res.steps[-1]
        if last.overload is not None:
            by_op.setdefault(overload_key(last.overload), []).append(record)
        elif last_nav is not None and last_nav.nav is not None and last_nav is last:
            by_nav.setdefault(last_nav.nav, []).append(record)
        # A key after the navigation: what the line says (its `Prefer`) is said of one entity.
        elif last_nav is not None and last_nav.nav is not None and last.kind == "key" and res.steps[-2] is last_nav:
            by_nav.setdefault(last_nav.nav, []).append({**record, "keyed": True})
        # Required query options belong to the navigation they follow, wherever the path ends
        # (but a stream's are its own: `content.params(format=...)`).
        elif last_nav is not None and last_nav.nav is not None and record["query"] and last.kind != "stream":
            by_nav.setdefault(last_nav.nav, []).append(record)
    if not by_nav and not by_op and not by_builder:
        return model
    structured = []
    for t in model.structured:
        if t.qualified in by_builder:
            t = attrs.evolve(t, annotations=(*t.annotations, Annotation(HEADERS_TERM, by_builder[t.qualified])))
        navs = tuple(
            attrs.evolve(n, annotations=(*n.annotations, Annotation(SPEC_TERM, by_nav[(t.qualified, n.name)])))
            if (t.qualified, n.name) in by_nav else n
            for n in t.navigation
        )
        structured.append(attrs.evolve(t, navigation=navs) if navs != t.navigation else t)
    keys = [overload_key(o) for o in model.operations]
    operations = tuple(
        _required(attrs.evolve(o, annotations=(*o.annotations, Annotation(SPEC_TERM, by_op[k])))
                  if k in by_op else o, required_params.get(k, set()))
        for o, k in zip(model.operations, keys, strict=True)
    )
    return attrs.evolve(model, structured=tuple(structured), operations=operations)


def _note_headers(res: Resolution, record: dict[str, Any], by_builder: dict[str, dict[str, Any]]) -> None:
    """Record the headers a served line lists on the builder its call sends from (the step before an operation)."""
    last = res.steps[-1]
    if not record["headers"] or last.kind == "stream":
        return
    # A composable function's call is itself the builder the headers go on.
    builder = res.steps[-2] if last.kind in ("action", "function", "count") and not last.composed else last
    if builder.type is None:
        return
    rows = by_builder.setdefault(builder.type, {"entity": {}, "collection": {}})["collection" if builder.collection
                                                                              else "entity"]
    for h in record["headers"]:
        row = rows.setdefault(h["name"].lower(), {"name": h["name"], "keyword": h["keyword"], "values": []})
        row["values"] = sorted({*row["values"], *h["values"]})


def _required(op: Operation, names: set[str]) -> Operation:
    """Function parameters the page marks required become non-nullable (required keywords)."""
    if not names:
        return op
    params = tuple(
        p if (op.bound and i == 0) or p.name.lower() not in names else
        attrs.evolve(p, type=attrs.evolve(p.type, nullable=False), optional=False)
        for i, p in enumerate(op.parameters)
    )
    return attrs.evolve(op, parameters=params)


def spec_of(annotations: Iterable[Annotation]) -> list[dict[str, Any]]:
    """The `odatakit.Spec` records among these annotations."""
    out: list[dict[str, Any]] = []
    for a in annotations:
        if a.term == SPEC_TERM and isinstance(a.value, list):
            out.extend(a.value)
    return out


def py_annotation(spec_type: str | None) -> str:
    """The Python annotation of a spec parameter's keyword argument."""
    return _PY.get(spec_type or "Edm.String", "str")
