"""Replay a page's request sample through the generated client, and say what was sent.

Given a resolved spec operation (:func:`generator.merge.resolve`) and one of its request samples,
:func:`replay` walks the resolution's steps on a real generated client: keys and function
parameters come from the sample URL, required query options from its query string, the body from
its JSON (structured into the typed entity first, for create and update), `Prefer` from its
headers. aioresponses answers with the page's response sample, so the typed result is checked
too. Only the options a sample can carry generically are replayed (`$select` by wire names,
`$top`, `$skip`, `$deltatoken`, `$skiptoken`); anything else raises :class:`Unreplayable`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from aioresponses import aioresponses

from generator.merge import Resolution
from generator.model import Model
from generator.naming import snake
from generator.specmodel import SpecSample
from generator.spectables import split_url
from odatakit.serde import mark_changed


class Unreplayable(Exception):
    """A sample the generic replay cannot express (the reason says why)."""


@dataclass
class Sent:
    """What the generated client put on the wire, decoded for comparison."""

    method: str
    segments: list[str]
    query: dict[str, str]
    body: Any
    result: Any


def sample_segments(url: str, prefix: str) -> tuple[list[str], dict[str, str]]:
    """The URL's decoded path segments after the service root (keys split out) and its query options."""
    found, segments, query = split_url(url)
    if found.lower() != prefix.lower():
        raise Unreplayable(f"the URL {url!r} is not under {prefix}")
    return [unquote(s) for s in segments], {unquote(k): unquote(v) for k, v in query}


def normalise_segments(segments: list[str], res: Resolution) -> list[str]:
    """Segments compared as the service compares them: names ignoring case, key values exactly."""
    kinds = [step.kind for step in res.steps]
    if len(segments) != len(kinds):
        return segments
    return [s if kind == "key" else s.lower() for s, kind in zip(segments, kinds, strict=True)]


_CALL = re.compile(r"^(?P<name>[^(]+)\((?P<args>[^()]*)\)$")


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # Pages write some windows without an offset; the service reads them as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _call_args(segment: str) -> dict[str, str]:
    """`Name(A='x',B=1)` → {"A": "x", "B": "1"}."""
    m = _CALL.match(segment)
    if not m:
        return {}
    args: dict[str, str] = {}
    for part in m.group("args").split(","):
        name, _, value = part.partition("=")
        args[name.strip()] = value.strip().strip("'")
    return args


async def replay(client: Any, model: Model, res: Resolution, request: SpecSample, response: SpecSample | None) -> Sent:
    """Run the generated call for `request`; return what was sent and the typed result."""
    op = res.op
    if request.url is None:
        raise Unreplayable("the sample has no URL")
    segments, query = sample_segments(request.url, op.prefix)
    template = split_url(op.path)[1]
    if len(template) != len(segments):
        raise Unreplayable(f"the sample path {segments} does not fit the template {template}")
    registry = client.REGISTRY
    node: Any = client
    steps = res.steps
    nav_at = max((i for i, s in enumerate(steps) if s.kind == "nav"), default=-1)
    custom = {k: v for k, v in query.items() if not k.startswith("$")}
    for i, (step, value) in enumerate(zip(steps, segments, strict=True)):
        if step.kind == "root":
            node = getattr(node, step.py[1:])
        elif step.kind == "key":
            node = node[value]
        elif step.kind == "nav":
            attr = step.py[1:]
            if i == nav_at and callable(getattr(type(node), attr, None)) and not isinstance(
                getattr(type(node), attr), property
            ):
                # Option names as the page's query parameter table spells them (the service
                # folds case, so `startdatetime` in a sample is `startDateTime`).
                spelled = {name.lower(): name for name, _ in op.query}
                spelled.update({p.name.lower(): p.name for p in op.params if p.location == "query"})
                types = {p.name.lower(): p.type for p in op.params if p.location == "query"}
                kwargs = {
                    snake(spelled.get(k.lower(), k)): _datetime(v) if types.get(k.lower()) == "Edm.DateTimeOffset" else v
                    for k, v in custom.items()
                }
                node = getattr(node, attr)(**kwargs)
                custom = {}
            else:
                node = getattr(node, attr)
        elif step.kind == "cast":
            node = node.cast(registry.info(step.type).cls)
        elif step.kind in ("action", "function"):
            node = _operation_call(client, model, node, step, value, request)
        else:
            raise Unreplayable(f"{step.kind} steps are not replayed")
    if custom:
        node = node.params(custom)
    node = _system_options(node, query)
    for header in request.headers:
        if header.name.lower() == "prefer":
            for part in header.value.split(","):
                name, _, val = part.strip().partition("=")
                node = node.preference(name, val.strip('"') or None) if val else node.preference(name)
    status = (response.status if response is not None and response.status else None) or (
        op.status or (204 if op.method in ("PATCH", "DELETE") else 200)
    )
    body = response.body if response is not None else None
    if body is None and op.method.upper() == "GET":
        # The page's response sample is missing or not valid JSON: answer an empty object.
        body = {"value": []} if res.steps[-1].collection else {}
    base = client.base_url
    with aioresponses() as mock:
        mock.add(re.compile(r".*"), method=op.method.upper(), status=status, payload=body,
                 headers={"Content-Type": "application/json"} if body is not None else None)
        result = await _terminal(node, res, request)
        (method, url), calls = next(iter(mock.requests.items()))
    sent_url = str(url)
    if not sent_url.startswith(base):
        raise AssertionError(f"sent {sent_url}, outside {base}")
    sent_segments, sent_query = sample_segments(sent_url, urlsplit(base).path or "/")
    data = calls[0].kwargs.get("data")
    return Sent(method, sent_segments, sent_query, json.loads(data) if data else None, result)


def _operation_call(client: Any, model: Model, node: Any, step: Any, segment: str, request: SpecSample) -> Any:
    """The operation's method with keyword arguments from the segment (functions) or the body (actions)."""
    method = getattr(node, step.py[1:])
    values = _call_args(segment) if step.kind == "function" else request.body
    params = _operation_params(model, step.operation)
    kwargs: dict[str, Any] = {}
    for wire, value in (values if isinstance(values, dict) else {}).items():
        spec = params.get(wire.lower())
        if spec is None:
            raise Unreplayable(f"{wire!r} is not a parameter of {step.operation}")
        kwargs[spec[0]] = client.converter.structure_value(value, spec[1], spec[2])
    return _Pending(method, kwargs)


def _operation_params(model: Model, qualified: str | None) -> dict[str, tuple[str, str, bool]]:
    """Wire name (lower case) → (Python name, type, collection) of the operation's parameters."""
    out: dict[str, tuple[str, str, bool]] = {}
    for op in model.operations:
        if op.qualified == qualified:
            for p in op.call_parameters:
                out.setdefault(p.name.lower(), (p.py_name, p.type.name, p.type.collection))
    return out


class _Pending:
    """An operation call waiting for the mock to be in place."""

    def __init__(self, method: Any, kwargs: dict[str, Any]) -> None:
        self.method = method
        self.kwargs = kwargs


def _system_options(node: Any, query: dict[str, str]) -> Any:
    for name, value in query.items():
        low = name.lower()
        if not low.startswith("$"):
            continue
        if isinstance(node, _Pending):
            raise Unreplayable(f"{name} on an operation call")
        if low == "$top":
            node = node.top(int(value))
        elif low == "$skip":
            node = node.skip(int(value))
        elif low == "$deltatoken":
            node = node.deltatoken(value)
        elif low == "$skiptoken":
            node = node.skiptoken(value)
        elif low == "$filter":
            node = node.filter(_condition(node._type, node._client.REGISTRY, value))
        elif low == "$select":
            info = node._client.REGISTRY.info_of(node._type)
            by_wire = {f.wire.lower(): f for f in info.fields}
            fields = [getattr(node._type, by_wire[w.strip().lower()].py_name) for w in value.split(",")]
            node = node.select(*fields)
        else:
            raise Unreplayable(f"{name} is not replayed generically")
    return node


async def _terminal(node: Any, res: Resolution, request: SpecSample) -> Any:
    method = res.op.method.upper()
    if isinstance(node, _Pending):
        return await node.method(**node.kwargs)
    last = res.steps[-1]
    if method == "GET":
        return await node.get()
    if method == "DELETE":
        return await node.delete()
    body = request.body
    if body is None:
        # The page shows only the request line (to illustrate its query options): send an
        # entity with no properties set.
        body = {}
    if not isinstance(body, dict):
        raise Unreplayable("the sample's body is not a JSON object")
    cls = node._type
    entity = node._client.converter.structure(body, cls)
    if method == "POST" and last.collection:
        return await node.create(entity)
    if method == "PATCH":
        # The sample's body is what the caller changed.
        mark_changed(entity)
        return await node.update(entity)
    raise Unreplayable(f"{method} is not replayed")


_COMPARISONS = {"eq": "__eq__", "ne": "__ne__", "gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__"}
_STRING_CALLS = {"startswith", "endswith", "contains"}


def _condition(base: type, registry: Any, text: str) -> Any:
    """A `$filter` text rebuilt with the typed DSL (paths, literals, comparisons, and/or/not, string tests)."""
    from .odata_grammar import parse_filter

    return _build(base, registry, parse_filter(text))


def _build(base: type, registry: Any, tree: Any) -> Any:
    kind = tree[0]
    if kind == "lit":
        return tree[2]
    if kind == "path":
        node: Any = base
        current = base
        for wire in tree[1].split("/"):
            spec = registry.info_of(current).by_wire.get(wire)
            if spec is None:
                raise Unreplayable(f"$filter path {tree[1]!r}: no property {wire!r}")
            node = getattr(node, spec.py_name)
            if not spec.type.startswith("Edm."):
                current = registry.info(spec.type).cls
        return node
    if kind in _COMPARISONS:
        return getattr(_build(base, registry, tree[1]), _COMPARISONS[kind])(_build(base, registry, tree[2]))
    if kind in ("and", "or"):
        left, right = _build(base, registry, tree[1]), _build(base, registry, tree[2])
        return left & right if kind == "and" else left | right
    if kind == "not":
        return ~_build(base, registry, tree[1])
    if kind == "call" and tree[1] in _STRING_CALLS and len(tree) == 4:
        return getattr(_build(base, registry, tree[2]), tree[1])(_build(base, registry, tree[3]))
    raise Unreplayable(f"$filter {kind} {tree[1:]!r} is not replayed generically")
