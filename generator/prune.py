"""Pruning: keep the types a caller names, and everything they need.

The closure is computed on the model; the output is the *original* XML with the other
elements removed, so annotations, facets and comments of what is kept survive untouched.

An ``--include`` or ``--exclude`` value is a qualified type name, a glob over qualified
names, or (starting with ``/``) a URL path over the entity container such as
``/me/events/**`` or ``/users/{id}/calendar/*``; see docs/pruning.md.

Every kept type has a :class:`Reason`, and a reason points at the kept type it came from, so
``--explain`` prints a chain back to the include that caused it. The kinds of reason:

* ``name``: matched an ``--include`` name or glob;
* ``path``: a type on an included URL path (the set's entity type, a type cast, a complex
  property, a derived type that declares the next segment);
* ``navigation``: the target of a navigation named on an included path, or reached by a
  path's final ``*`` or ``**``;
* ``base``: a base type of a kept type;
* ``property``: the type of a structural property, or a type definition's underlying type;
* ``derived``: a type deriving from an included type, a path's type, a navigation target of
  a path, or a complex type that a kept property uses (values of those can arrive as
  derived types through ``@odata.type``);
* ``operation``: a parameter or return type of an operation bound to a kept type.

Navigations of a type kept by name are not followed (``user`` would pull in most of Graph):
such a navigation is kept when its target is kept for another reason, and dropped otherwise.
Only URL paths pull navigation targets in. ``--exclude`` wins over everything except base
types and the types on an included path, which a kept type or path cannot lose.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal

import attrs
from lxml import etree

from .errors import MetadataError
from .model import Model, NavigationProperty, Property, StructuredType, TypeRef

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
_E = f"{{{EDM}}}"

_TYPE_TAGS = {"EntityType", "ComplexType", "EnumType", "TypeDefinition"}

ReasonKind = Literal["name", "path", "navigation", "base", "property", "derived", "operation"]

# Summary wording per kind, in the order the summary lists them.
_KIND_WORDS: dict[ReasonKind, str] = {
    "name": "included by name",
    "path": "on URL paths",
    "navigation": "navigation targets of paths",
    "base": "base types",
    "property": "property types",
    "derived": "derived types",
    "operation": "operation parameter/return types",
}


class PatternError(ValueError):
    """An ``--include``/``--exclude`` URL path that does not resolve against the model."""


@attrs.frozen
class Reason:
    """Why a type is kept: the kind of step, the step in words, and the kept type it came from.

    `via_reason` is set when `via` matters here for another reason than the one it was kept
    for (a base type that is also a navigation target, say): the chain then goes on with it.
    """

    kind: ReasonKind
    text: str
    via: str | None = None  # None: the step is itself an include (a name, glob or path step)
    via_reason: Reason | None = attrs.field(default=None, eq=False, repr=False)

    def __str__(self) -> str:
        return self.text


def reason_chain(kept: Mapping[str, Reason], reason: Reason) -> list[Reason]:
    """A reason and the reasons of the types it came from, back to an include."""
    chain = [reason]
    while True:
        step = chain[-1]
        if step.via_reason is not None:
            chain.append(step.via_reason)
        elif step.via is not None:
            chain.append(kept[step.via])
        else:
            return chain


@attrs.frozen
class PruneResult:
    """What a closure keeps (each type with its first reason), and what it left out and why."""

    kept: dict[str, Reason]
    operations: frozenset[str]
    # type → (the --exclude pattern that refused it, the reason it was wanted)
    excluded: dict[str, tuple[str, Reason]] = attrs.field(factory=dict)
    # type → (the navigation "Type/nav" not followed, the --exclude path that cut it)
    cut: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    # --exclude URL path → the navigations ("DeclaringType/nav") it cut that the walk came to
    cuts: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    dropped_sets: dict[str, str] = attrs.field(factory=dict)  # set name → --exclude path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()  # name/glob --include patterns that match no type
    total_types: int = 0
    total_operations: int = 0


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or name == p for p in patterns)


def _first_match(name: str, patterns: Iterable[str]) -> str | None:
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p) or name == p), None)


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


@attrs.frozen
class ResolvedPath:
    """A resolved URL path: the types on it, where it ends, and how far past the end it reaches."""

    pattern: str
    head: str  # the entity set or singleton named first
    steps: tuple[tuple[str, Reason], ...]  # every type on the path, in order
    end: str  # the type the path ends at
    end_member: tuple[str, str] | None  # (declaring type, member) of the last navigation/property segment
    end_kind: Literal["set", "navigation", "cast", "property", "operation"]
    wildcard: Literal["", "*", "**"]


def _strip_key(segment: str) -> str:
    # "users('x')" and "events({id})" address one entity of the set or navigation.
    return segment.split("(", 1)[0] if segment.endswith(")") and "(" in segment else segment


def _qualify(model: Model, name: str) -> str:
    ns, _, local = name.rpartition(".")
    return f"{dict(model.aliases).get(ns, ns)}.{local}"


def _own_members(t: StructuredType) -> tuple[NavigationProperty | Property, ...]:
    return (*t.navigation, *t.properties)


def _members(model: Model, qualified: str) -> Iterator[tuple[str, NavigationProperty | Property]]:
    """Navigation and structural properties of a type and its bases, each with its declaring type."""
    for t in model.base_chain(qualified):
        for member in _own_members(t):
            yield t.qualified, member


def resolve_path(model: Model, pattern: str, option: str = "--include") -> ResolvedPath:
    """Resolve a URL path pattern against the model's container, or raise PatternError."""

    def fail(message: str) -> PatternError:
        return PatternError(f"{option} {pattern}: {message}")

    where = f"path {pattern}"
    segments = [s for s in pattern.split("/") if s]
    wildcard: Literal["", "*", "**"] = ""
    if segments and segments[-1] in ("*", "**"):
        wildcard = "**" if segments.pop() == "**" else "*"
    if any("*" in s for s in segments):
        raise fail("a wildcard (* or **) may only be the last segment")
    container = model.container
    if container is None:
        raise fail("the document has no entity container")
    if not segments:
        raise fail("a URL path starts with an entity set or singleton")
    sets = {s.name: s for s in container.entity_sets}
    head = _strip_key(segments[0])
    if head not in sets:
        raise fail(f"'{head}' is not an entity set or singleton of {container.name}{_did_you_mean(head, sets)}")
    entity_set = sets[head]
    current = entity_set.entity_type
    kind_word = "singleton" if entity_set.singleton else "entity set"
    steps: list[tuple[str, Reason]] = [(current, Reason("path", f"entity type of {kind_word} {head} ({where})"))]
    end_member: tuple[str, str] | None = None
    end_kind: Literal["set", "navigation", "cast", "property", "operation"] = "set"
    structured = model.structured_by_name()
    many = not entity_set.singleton  # a collection: the next segment may be a key
    rest = segments[1:]
    for index, raw in enumerate(rest):
        if raw.startswith("{") and raw.endswith("}"):
            many = False  # a key placeholder: same type, one entity
            continue
        segment = _strip_key(raw)
        found = [(owner, m) for owner, m in _members(model, current) if m.name == segment]
        if not found and _bound_to(model, current, segment):
            # Bound operations are kept with their binding type; naming one ends the path.
            if index < len(rest) - 1 or wildcard:
                raise fail(f"'{segment}' is an operation bound to {current}: a path ends there")
            end_kind = "operation"
            break
        if not found and "." in segment:
            cast = _qualify(model, segment)
            if cast not in structured:
                raise fail(f"'{segment}' is not a structured type of this document{_did_you_mean(cast, structured)}")
            if cast != current and cast not in {d.qualified for d in model.derived_of(current)}:
                raise fail(f"'{segment}' is not a type derived from {current}")
            steps.append((cast, Reason("path", f"type cast from {current} ({where})")))
            current, end_kind, end_member = cast, "cast", None
            continue
        if not found:
            # Not on the type or its bases: a derived type may declare it (a type cast left out).
            found = [(d.qualified, m) for d in model.derived_of(current) for m in _own_members(d) if m.name == segment]
            owners = sorted({owner for owner, _ in found})
            if len(owners) > 1:
                raise fail(f"'{segment}' is declared by several types derived from {current} "
                           f"({', '.join(owners)}): add a type-cast segment")
            if owners:
                steps.append((owners[0], Reason("path", f"derived from {current}, declares {segment} ({where})")))
                current = owners[0]
        if not found:
            names = [m.name for _, m in _members(model, current)]
            names += [m.name for d in model.derived_of(current) for m in _own_members(d)]
            hint = _did_you_mean(segment, names) or (" (a key goes in braces: {id})" if many else "")
            raise fail(f"'{segment}' is not a navigation property of {current}{hint}")
        owner, member = found[0]
        target = member.type.name
        if isinstance(member, NavigationProperty):
            steps.append((target, Reason("navigation", f"target of {current}/{segment} ({where})")))
            end_kind = "navigation"
        elif target in structured:
            steps.append((target, Reason("path", f"type of {current}/{segment} ({where})")))
            end_kind = "property"
        else:
            raise fail(f"'{segment}' is a property of {current} of type {target}, not a navigation")
        current, end_member, many = target, (owner, segment), member.type.collection
    return ResolvedPath(pattern, head, tuple(steps), current, end_member, end_kind, wildcard)


def _bound_to(model: Model, qualified: str, segment: str) -> bool:
    chain = {t.qualified for t in model.base_chain(qualified)}
    name = _qualify(model, segment) if "." in segment else None
    return any(
        op.binding is not None and op.binding.type.name in chain and (segment == op.name or name == op.qualified)
        for op in model.operations
    )


class _Walk:
    """The closure's working state: what is kept, and which kept types pull in more than their own needs."""

    def __init__(self, model: Model, refuse: list[str], refuse_as: dict[str, str],
                 cut: dict[tuple[str, str], str]) -> None:
        self.model = model
        self.structured = model.structured_by_name()
        self.enums = model.enums_by_name()
        self.typedefs = model.type_definitions_by_name()
        self.refuse = refuse
        self.refuse_as = refuse_as
        self.cut = cut
        self.kept: dict[str, Reason] = {}
        self.excluded: dict[str, tuple[str, Reason]] = {}
        self.cut_hits: dict[str, tuple[str, str]] = {}
        self.cut_met: set[tuple[str, str]] = set()  # cut navigations the walk came to
        self.queue: deque[str] = deque()
        self.processed: set[str] = set()
        self.unbound: deque[str] = deque()  # expanded types whose bound operations are still to do
        # type → the reason values of it can arrive as derived types
        self.polymorphic: dict[str, Reason] = {}
        # type → (the reason its navigations are followed, path pattern, transitive "**")
        self.navigable: dict[str, tuple[Reason, str, bool]] = {}
        self.ops_by_binding: dict[str, list[int]] = {}
        for i, op in enumerate(model.operations):
            if op.binding is not None:
                self.ops_by_binding.setdefault(op.binding.type.name, []).append(i)
        self.kept_ops: set[int] = set()

    def add(self, name: str, reason: Reason, force: bool = False) -> None:
        """Keep a type (unless excluded, or already kept) and queue it for expansion."""
        if name in self.kept or name.startswith("Edm."):
            return
        if name not in self.structured and name not in self.enums and name not in self.typedefs:
            return
        if not force:
            hit = _first_match(name, self.refuse)
            if hit is not None:
                self.excluded.setdefault(name, (self.refuse_as[hit], reason))
                return
        self.kept[name] = reason
        self.queue.append(name)

    def _again(self, name: str) -> None:
        # A type expanded before it became polymorphic or navigable has more to pull in.
        if name in self.processed:
            self.processed.discard(name)
            self.queue.append(name)

    def _from(self, name: str, cause: Reason, kind: ReasonKind, text: str) -> Reason:
        # A step from `name`; the chain goes on with `cause` when that is not why `name` is kept.
        return Reason(kind, text, name, None if cause is self.kept.get(name) else cause)

    def mark_polymorphic(self, name: str, cause: Reason) -> None:
        """Values of this kept type may arrive as derived types (`cause` says why): keep those too."""
        if name in self.structured and name in self.kept and name not in self.polymorphic:
            self.polymorphic[name] = cause
            self._again(name)

    def mark_navigable(self, name: str, cause: Reason, pattern: str, deep: bool) -> None:
        """Follow this kept type's navigations (and, when deep, their targets' in turn)."""
        if name not in self.structured or name not in self.kept:
            return
        known = self.navigable.get(name)
        if known is not None and (known[2] or not deep):
            return
        self.navigable[name] = (cause, pattern, deep)
        self._again(name)

    def run(self) -> None:
        """Expand kept types until nothing new is pulled in.

        Structure first, bound operations after: a type needed both ways is then explained
        by the structure that needs it, not by an operation that happens to mention it.
        """
        while self.queue or self.unbound:
            while self.queue:
                name = self.queue.popleft()
                if name in self.processed:
                    continue
                self.processed.add(name)
                if name in self.structured:
                    self._expand(self.structured[name])
                    self.unbound.append(name)
                elif name in self.typedefs:
                    self.add(self.typedefs[name].underlying.name, Reason("property", f"type of {name}", name))
            while self.unbound and not self.queue:
                self._operations(self.unbound.popleft())

    def _expand(self, t: StructuredType) -> None:
        name = t.qualified
        region = self.navigable.get(name)
        deep = region is not None and region[2]
        if t.base:
            self.add(t.base, Reason("base", f"base of {name}", name), force=True)
        for p in t.properties:
            target = p.type.name
            self.add(target, Reason("property", f"type of {name}/{p.name}", name))
            if target in self.structured and target in self.kept:
                step = self._from(name, self.kept[name], "property", f"type of {name}/{p.name}")
                if self.structured[target].kind == "complex":
                    self.mark_polymorphic(target, step)
                if region is not None and deep:
                    # "/set/{id}/complexProperty/navigation" is a URL under the path too.
                    self.mark_navigable(target, self._from(name, region[0], "property", step.text), region[1], True)
        if name in self.polymorphic:
            cause = self.polymorphic[name]
            for d in self.model.derived_of(name):
                self.add(d.qualified, self._from(name, cause, "derived", f"derived from {name}"))
                if region is not None and deep:
                    # Reachable through a type-cast segment.
                    step = self._from(name, region[0], "derived", f"derived from {name}")
                    self.mark_navigable(d.qualified, step, region[1], True)
        if region is None:
            return
        cause, pattern, _ = region
        for owner, member in _members(self.model, name):
            if not isinstance(member, NavigationProperty):
                continue
            target = member.type.name
            blocked = self.cut.get((owner, member.name))
            if blocked is not None:
                self.cut_hits.setdefault(target, (f"{name}/{member.name}", blocked))
                self.cut_met.add((owner, member.name))
                continue
            step = self._from(name, cause, "navigation", f"target of {name}/{member.name} (path {pattern})")
            self.add(target, step)
            self.mark_polymorphic(target, step)
            if deep:
                self.mark_navigable(target, step, pattern, True)

    def _operations(self, name: str) -> None:
        for i in self.ops_by_binding.get(name, []):
            op = self.model.operations[i]
            self.kept_ops.add(i)
            for param in op.call_parameters:
                self.add(param.type.name, Reason("operation", f"parameter of {op.qualified} bound to {name}", name))
            if op.return_type is not None:
                self.add(op.return_type.name, Reason("operation", f"returned by {op.qualified} bound to {name}", name))


def closure(model: Model, include: Iterable[str], exclude: Iterable[str] = ()) -> PruneResult:
    """Compute which types (and bound operations) to keep, and why."""
    include = tuple(include)
    exclude = tuple(exclude)
    # --exclude: names and globs refuse types; a URL path cuts the navigation it ends with (or,
    # ending with "*", every navigation after it), drops a set named alone, and refuses the
    # type of a final type cast.
    refuse = [p for p in exclude if not p.startswith("/")]
    refuse_as = {p: p for p in refuse}
    cut: dict[tuple[str, str], str] = {}
    drop_sets: dict[str, str] = {}
    for pattern in exclude:
        if not pattern.startswith("/"):
            continue
        path = resolve_path(model, pattern, "--exclude")
        edges: list[tuple[str, str]] = []
        if path.wildcard == "*":
            edges = [(owner, m.name) for owner, m in _members(model, path.end) if isinstance(m, NavigationProperty)]
        elif path.end_kind == "navigation" and path.end_member is not None:
            edges = [path.end_member]
        elif path.end_kind == "cast":
            refuse.append(path.end)
            refuse_as[path.end] = pattern
        elif path.end_kind == "set":
            drop_sets[path.head] = pattern
        else:
            raise PatternError(f"--exclude {pattern}: an excluded path ends with an entity set, "
                               "a navigation property or a type cast")
        for edge in edges:
            cut.setdefault(edge, pattern)

    walk = _Walk(model, refuse, refuse_as, cut)
    all_names = list(walk.structured) + list(walk.enums) + list(walk.typedefs)
    names = [p for p in include if not p.startswith("/")]
    roots = [n for n in all_names if _matches(n, names)]
    for n in roots:
        walk.add(n, Reason("name", f"--include {_first_match(n, names)}"))
        if n in walk.kept:
            walk.mark_polymorphic(n, walk.kept[n])
    unmatched = tuple(p for p in names if not any(_matches(n, [p]) for n in roots))
    paths = [resolve_path(model, p) for p in include if p.startswith("/")]
    for path in paths:
        for name, reason in path.steps:
            walk.add(name, reason, force=True)  # a path needs every type on it
            walk.mark_polymorphic(name, reason)
        if path.wildcard:
            walk.mark_navigable(path.end, path.steps[-1][1], path.pattern, path.wildcard == "**")
    walk.run()

    kept = walk.kept
    # An operation is kept only when all its types survived (exclusions may drop some).
    ops: set[str] = set()
    for i in sorted(walk.kept_ops):
        op = model.operations[i]
        refs = [p.type for p in op.parameters] + ([op.return_type] if op.return_type else [])
        if all(r.name.startswith("Edm.") or r.name in kept for r in refs):
            ops.add(_op_key(op.qualified, op.binding.type if op.binding else None))
    heads = {path.head for path in paths}
    bound = {_op_key(op.qualified, op.binding.type) for op in model.operations if op.binding is not None}
    return PruneResult(
        kept=kept,
        operations=frozenset(ops),
        excluded={n: v for n, v in walk.excluded.items() if n not in kept},
        cut={n: v for n, v in walk.cut_hits.items() if n not in kept},
        cuts={p: tuple(f"{o}/{n}" for (o, n), q in cut.items() if q == p and (o, n) in walk.cut_met)
              for p in dict.fromkeys(cut.values())},
        dropped_sets={s: p for s, p in drop_sets.items() if s not in heads},
        include=include,
        exclude=exclude,
        unmatched=unmatched,
        total_types=len(all_names),
        total_operations=len(bound),
    )


def explain(model: Model, result: PruneResult, name: str) -> list[str]:
    """Why a type is kept (its reason chain back to an include), or why not: one step per line."""
    lines = [name]
    if name in result.kept:
        return [*lines, *(f"  {r}" for r in reason_chain(result.kept, result.kept[name]))]
    known = {**model.structured_by_name(), **model.enums_by_name(), **model.type_definitions_by_name()}
    if name not in known:
        return [*lines, f"  not a type of this document{_did_you_mean(name, known)}"]
    if name in result.excluded:
        pattern, wanted = result.excluded[name]
        lines.append(f"  not kept: excluded by --exclude {pattern}; wanted as")
        return [*lines, *(f"  {r}" for r in reason_chain(result.kept, wanted))]
    if name in result.cut:
        navigation, pattern = result.cut[name]
        return [*lines, f"  not kept: target of {navigation}, which --exclude {pattern} cuts"]
    sources = [f"{t.qualified}/{nav.name}" for t in model.structured if t.qualified in result.kept
               for nav in t.navigation if nav.type.name == name]
    if sources:
        more = f" (and {len(sources) - 1} more)" if len(sources) > 1 else ""
        return [*lines, f"  not kept: target of {sources[0]}{more}, which is not followed",
                "  navigations are followed only where an --include URL path names them or ends with * or **"]
    return [*lines, "  not kept: not reachable from the includes"]


def summary_lines(result: PruneResult) -> list[str]:
    """What a pruning kept, counted by reason, then what each --exclude did and unmatched includes."""
    counts = {kind: 0 for kind in _KIND_WORDS}
    for reason in result.kept.values():
        counts[reason.kind] += 1
    why = ", ".join(f"{n:,} {_KIND_WORDS[kind]}" for kind, n in counts.items() if n)
    lines = [
        f"pruned to {len(result.kept):,} of {result.total_types:,} types and {len(result.operations):,} of "
        f"{result.total_operations:,} bound operations" + (f": {why}" if why else "")
    ]
    for pattern in result.exclude:
        if pattern.startswith("/"):
            lines.extend(_path_exclude_lines(result, pattern))
            continue
        hits = sorted(n for n, (p, _) in result.excluded.items() if p == pattern)
        lines.append(f"  --exclude {pattern}: " + (f"left out {_some(hits, 'type')}" if hits
                                                       else "nothing it matches was needed"))
    for pattern in result.unmatched:
        lines.append(f"  warning: --include {pattern} matches no type")
    return lines


def _path_exclude_lines(result: PruneResult, pattern: str) -> list[str]:
    lines = []
    dropped = [s for s, p in result.dropped_sets.items() if p == pattern]
    if dropped:
        lines.append(f"  --exclude {pattern}: {', '.join(dropped)} left out of the container")
    edges = result.cuts.get(pattern, ())
    if edges:
        missed = sorted(n for n, (_, p) in result.cut.items() if p == pattern)
        lines.append(f"  --exclude {pattern}: cuts {_some(list(edges), 'navigation')}; "
                     + (f"not reached: {_some(missed, 'type')}" if missed else "every target was reached another way"))
    hits = sorted(n for n, (p, _) in result.excluded.items() if p == pattern)
    if hits:
        lines.append(f"  --exclude {pattern}: left out {_some(hits, 'type')}")
    if not lines:
        lines.append(f"  --exclude {pattern}: no effect")
    return lines


def _some(names: list[str], noun: str, limit: int = 5) -> str:
    shown = ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
    return f"{len(names)} {noun}{'s' if len(names) != 1 else ''} ({shown})"


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
    source: str,
    data: bytes,
    model: Model,
    include: Iterable[str],
    exclude: Iterable[str] = (),
    result: PruneResult | None = None,
) -> tuple[bytes, PruneResult]:
    """Return the pruned document (XML bytes) and what was kept (`result`: a closure already computed)."""
    if result is None:
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


def _prune_members(element: etree._Element, kept: dict[str, Reason], aliases: _Aliases, owner: str,
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
    kept: dict[str, Reason],
    result: PruneResult,
    aliases: _Aliases,
    container_types: dict[str, str],
) -> None:
    for child in list(container):
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if tag in ("EntitySet", "Singleton"):
            type_attr = child.get("EntityType") or child.get("Type") or ""
            name, _ = aliases.type_name(type_attr)
            if name not in kept or child.get("Name", "") in result.dropped_sets:
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


def _nav_path_kept(path: str, kept: dict[str, Reason]) -> bool:
    # Type-cast segments (qualified names) must be kept; plain segments are checked later
    # by the reader, which warns about a binding to a dropped navigation.
    return all(("." not in seg) or seg in kept for seg in path.split("/"))


def _target_kept(
    target: str,
    kept: dict[str, Reason],
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
