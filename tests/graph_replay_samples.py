"""The pages' request samples, replayed with their line's call: method, path, query and body compared.

A sample (a ``blockType: request`` fence the reader attached to a request line) is replayed with
the call `inspect` printed for its line, its values taken from the sample: keys from its URL,
function parameters from its function segment, action parameters and the entity of
``create``/``update`` from its JSON body, required query options, tokens and the query options a
request can carry generically (``$select`` by wire names, ``$top``, ``$skip``, ``$count``,
``$search``) from its query string. See :mod:`tests.graph_replay` for the lines themselves.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import unquote

from generator.merge import Resolution
from generator.model import Model
from generator.specmodel import SpecSample
from generator.spectables import split_url
from odatakit.serde import mark_changed

from .graph_replay import (
    FUNCTION,
    Binder,
    CallMissing,
    Evaluator,
    Outcome,
    Recorder,
    Unreplayable,
    arguments,
    binders,
    compare_path,
    expected_segments,
    instant,
    item_class,
    send,
    sent_path,
    short,
    wrong_kind,
)


# --- request samples ----------------------------------------------------------------------------------
def _sample_slots(res: Resolution, sample_segments: list[str], template: list[str]) -> list[str]:
    """Each key or path step's value in the sample: its segment less the template's text around the placeholder."""
    out: list[str] = []
    for step, seg, written in zip(res.steps, sample_segments, template, strict=False):
        if step.kind not in ("key", "path", "altkey"):
            continue
        pattern = "".join("(.+)" if part.startswith("{") else re.escape(part) for part in _PARTS.split(written) if part)
        m = re.fullmatch(pattern, seg) if "{" in written else None
        out.append(m.group(1) if m else seg)
    return out


_PARTS = re.compile(r"(\{[^{}]*\})")


class SampleBinder(Binder):
    """Values from a request sample: keys from its URL, operation parameters from its segment or body."""

    def __init__(self, package: Any, keys: list[str], named: dict[str, str], res: Resolution, sample: SpecSample,
                 segments: list[str], query: list[tuple[str, str]], model: Model, client: Any) -> None:
        super().__init__(package, keys, named)
        self.res = res
        self.sample = sample
        self.segments = segments
        self.query = {k.lower(): v for k, v in query}
        self.model = model
        self.client = client
        self.used_query: set[str] = set()

    def argument(self, method: Any, receiver: Any, name: str | None, annotation: str) -> Any:
        """Keyword values from the sample; the entity of create/update from its body."""
        attr = getattr(method, "__name__", "")
        last = self.res.steps[-1]
        if name is None and attr in ("create", "update", "replace"):
            body = self.sample.body if self.sample.body is not None else {}
            if not isinstance(body, dict):
                raise Unreplayable("the sample's body is not a JSON object")
            try:
                entity = self.client.converter.structure(body, item_class(receiver))
            except (ValueError, TypeError) as exc:
                raise Unreplayable(f"the model refuses the body: {short(exc)[:120]}") from None
            if attr == "update":
                mark_changed(entity)
            return entity
        if name is not None and last.kind in ("action", "function") and attr == last.py[1:]:
            params = _operation_params(self.model, last.operation)
            wanted = {py: (wire, t, c) for wire, (py, t, c) in params.items()}
            if name not in wanted:
                return super().argument(method, receiver, name, annotation)
            wire, type_name, collection = wanted[name]
            values = self._function_args() if last.kind == "function" else self.sample.body
            if not isinstance(values, dict):
                return None
            found = {k.lower(): v for k, v in values.items()}
            if wire not in found:
                return None
            try:
                return self.client.converter.structure_value(found[wire], type_name, collection)
            except (ValueError, TypeError) as exc:
                raise Unreplayable(f"the model refuses {wire!r}: {short(exc)[:120]}") from None
        if name is not None:
            # A required query option of a navigation: from the sample's query string.
            for wire, value in self.query.items():
                if wire.replace("_", "").lower() == name.replace("_", "").lower():
                    self.used_query.add(wire)
                    if "datetime" in annotation:
                        try:
                            return instant(value)
                        except ValueError:
                            raise Unreplayable(f"{wire}={value!r} is not a date and time") from None
                    return value
        if name is None and annotation.endswith("Target") and isinstance(self.sample.body, dict):
            # A reference's target: the sample's `@odata.id`.
            target = self.sample.body.get("@odata.id")
            if isinstance(target, str) and target:
                return target
        if name is None and attr in ("deltatoken", "skiptoken"):
            token = self.query.get(f"${attr}")
            if token is not None:
                self.used_query.add(f"${attr}")
                return token
        return super().argument(method, receiver, name, annotation)

    def _function_args(self) -> dict[str, Any]:
        seg = self.segments[len(self.res.steps) - 1] if len(self.segments) >= len(self.res.steps) else ""
        m = FUNCTION.match(seg)
        if m is None:
            return {}
        out: dict[str, Any] = {}
        for name, value in arguments(m.group("args")).items():
            if value.startswith("'") and value.endswith("'"):
                out[name] = value[1:-1].replace("''", "'")
            else:
                try:
                    out[name] = json.loads(value)
                except ValueError:
                    out[name] = value
        return out


def _operation_params(model: Model, qualified: str | None) -> dict[str, tuple[str, str, bool]]:
    """Wire name (lower case) → (Python name, type, collection) of the operation's parameters."""
    out: dict[str, tuple[str, str, bool]] = {}
    for o in model.operations:
        if o.qualified == qualified:
            for p in o.call_parameters:
                out.setdefault(p.name.lower(), (p.py_name, p.type.name, p.type.collection))
    return out


def _apply_query(node: Any, query: list[tuple[str, str]], used: set[str]) -> Any:
    """The sample's query options the call can carry generically: `$select` by wire names, `$top`, `$skip`,
    `$count`, `$search`, and custom options; anything else is Unreplayable."""
    custom: dict[str, str] = {}
    for name, value in query:
        low = name.lower()
        if low in used:
            continue
        used.add(low)
        try:
            if low in ("$deltatoken", "$skiptoken"):
                node = getattr(node, low[1:])(value)
            elif low == "$top":
                node = node.top(int(value))
            elif low == "$skip":
                node = node.skip(int(value))
            elif low == "$count":
                node = node.count(value.lower() == "true")
            elif low == "$search":
                node = node.search(value.strip('"'))
            elif low == "$select":
                info = node._client.REGISTRY.info_of(node._type)
                by_wire = {f.wire.lower(): f for f in info.fields}
                wanted = [w.strip().lower() for w in value.split(",")]
                if any(w not in by_wire for w in wanted):
                    raise Unreplayable("$select names a property the type lacks")
                node = node.select(*[getattr(node._type, by_wire[w].py_name) for w in wanted])
            elif low.startswith("$"):
                raise Unreplayable(f"{low} is not replayed generically")
            else:
                custom[name] = value
        except AttributeError:
            raise Unreplayable(f"{low} on a request that cannot carry it") from None
    if custom:
        node = node.params(custom)
    return node


def _query_equal(page: list[tuple[str, str]], sent: list[tuple[str, str]]) -> bool:
    def norm(options: list[tuple[str, str]]) -> dict[str, str]:
        out = {}
        for k, v in options:
            value = v.strip()
            if k.lower() == "$search":
                value = value.strip('"')
            if k.lower() == "$select":
                value = ",".join(x.strip().lower() for x in value.split(","))
            try:
                value = instant(value).isoformat()
            except ValueError:
                pass
            out[k.lower()] = value
        return out

    return norm(page) == norm(sent)


async def replay_sample(client: Any, recorder: Recorder, package: Any, model: Model, res: Resolution,
                        line: Outcome, sample: SpecSample) -> Outcome:
    """Replay one request sample with the line's call; compare method, path, query and body."""
    op = res.op
    where = f"{op.page}:{sample.line}"
    request = f"{sample.method or op.method} {sample.url}"
    if line.outcome not in ("served-exact", "served-wrong") or res.call is None:
        return Outcome(where, request, res.call, "not-served", line.outcome)
    if sample.url is None:
        return Outcome(where, request, res.call, "not-replayable", "no URL")
    _, segments, query = split_url(sample.url)
    segments = [unquote(s) for s in segments]
    query = [(unquote(k), unquote(v)) for k, v in query]
    template = split_url(op.path)[1]
    if len(segments) != len(template):
        return Outcome(where, request, res.call, "not-replayable", "the sample's path does not fit the line",
                       f"{len(segments)} segments for {len(template)}")
    slots = _sample_slots(res, segments, template)
    keys, named = binders(package, res, slots)
    binder = SampleBinder(package, keys, named, res, sample, segments, query, model, client)

    applied: list[bool] = []

    def before_verb(node: Any) -> Any:
        applied.append(True)
        return _apply_query(node, query, binder.used_query)

    recorder.requests.clear()
    recorder.collection = bool(res.steps and res.steps[-1].collection)
    value: Any = None
    try:
        value = Evaluator(client, binder, before_verb).run(res.call)
        if not applied and not asyncio.iscoroutine(value):
            value = before_verb(value)  # a function's query (`delta()`), options before it is awaited
        elif not applied and any(k.lower() not in binder.used_query for k, _ in query):
            raise Unreplayable("a query option on an operation call")
        await send(value)
    except Unreplayable as exc:
        if asyncio.iscoroutine(value):
            value.close()
        return Outcome(where, request, res.call, "not-replayable", _reason_kind(str(exc)), str(exc))
    except CallMissing as exc:
        # The line's call exists (its outcome says so): it refuses the sample's values.
        return Outcome(where, request, res.call, "not-replayable", "the call refuses the sample's values", str(exc))
    except Exception as exc:  # noqa: BLE001
        if not recorder.requests:
            return Outcome(where, request, res.call, "not-replayable", type(exc).__name__, short(exc))
    if not recorder.requests:
        return Outcome(where, request, res.call, "not-replayable", "nothing sent")
    sent = recorder.requests[0]
    sent_segments, sent_query = sent_path(sent.url)
    expected = expected_segments(res, segments, slots, template)
    method = (sample.method or op.method).upper()
    differs = compare_path(expected, sent_segments, exact_values=True)
    if sent.method.upper() != method or differs:
        return Outcome(where, request, res.call, "path-differs", wrong_kind(expected, sent_segments,
                       sent.method.upper() == method), f"sent {sent.method} /{'/'.join(sent_segments)}")
    page_query = [(k, v) for k, v in query]
    if not _query_equal(page_query, sent_query):
        return Outcome(where, request, res.call, "query-differs", "query",
                       f"sent ?{'&'.join(f'{k}={v}' for k, v in sent_query)}")
    if method in ("POST", "PATCH", "PUT") and isinstance(sample.body, dict):
        try:
            body = json.loads(sent.body) if isinstance(sent.body, bytes) and sent.body else None
            if sent.body and not isinstance(sent.body, bytes):
                raise TypeError("a streamed body")
        except (TypeError, ValueError):
            # A media upload (`put(data)`): the call sends bytes, not the sample's JSON.
            return Outcome(where, request, res.call, "not-replayable", "a media body, not JSON")
        if body != sample.body:
            return Outcome(where, request, res.call, "body-differs", _body_kind(sample.body, body),
                           json.dumps(body)[:200])
    return Outcome(where, request, res.call, "exact")


def _reason_kind(message: str) -> str:
    """The kind of an Unreplayable message: its first clause without the names it quotes."""
    if message.startswith("the model refuses '"):
        return "the model refuses a parameter's value"
    return re.sub(r"'[^']*'", "…", message.split(":")[0])[:80]


def _body_kind(page: dict[str, Any], sent: Any) -> str:
    if not isinstance(sent, dict):
        return "no JSON object sent"
    if set(page) != set(sent):
        if {k.lower() for k in page} == {k.lower() for k in sent}:
            return "member names differ in case only"
        missing = set(page) - set(sent)
        if missing == {"@odata.type"}:
            return "@odata.type of the sample not sent"
        if missing:
            return "members of the sample not sent"
        return "members sent that the sample lacks"
    return "other values"


