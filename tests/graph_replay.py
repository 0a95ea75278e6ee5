"""The replay of the Graph v1.0 API reference: is each documented request line really callable?

For every request line of the pages' "HTTP request" blocks, :func:`generator.merge.merge` gives
the call `odatakit inspect` prints (``client.me.events[event_id].accept(comment=..., ...)``).
That exact text is evaluated on a whole-Graph client generated from the same pages: key
placeholders are bound to values made from the page's URL, ``...`` arguments to values of the
parameter's annotated type. A middleware records the request instead of sending it (and answers
an empty success of the right shape), and the request is compared with the page:

- ``served-exact``: the method, and the path decoded segment by segment, are the page's (names
  ignoring case, as the service compares them; each placeholder matched to the value bound to it);
- ``served-wrong``: the call exists but sends another method or path;
- ``call-missing``: evaluating the printed call raises AttributeError or TypeError (the call does
  not exist as printed), or it ends on a request that sends nothing;
- ``not-served``: `inspect` says NOT SERVED (the reason's kind is kept);
- ``mismatch``: the page names a segment the metadata lacks (a page/metadata mismatch, not served);
- ``replay-error``: anything else (a defect of this replay, expected to be zero).

The pages' request samples (``blockType: request`` fences attached to a line) are replayed too,
with keys, function parameters, the query and the body taken from the sample; their query and
body are compared where the call can carry them (:data:`SAMPLE_OUTCOMES`).

Samples are replayed by :mod:`tests.graph_replay_samples`; ``python -m tests.graph_replay_run``
(``make replay``) runs both over the whole reference and writes ``docs/replay.md`` and
``docs/replay-exceptions.md``.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.merge import MergeResult, Resolution, merge
from generator.model import Model, StructuredType
from generator.naming import assign_names
from generator.presets import PRESETS
from generator.specmodel import SpecOperation
from generator.spectables import read_pages as read_spec_pages
from generator.spectables import split_url
from generator.specurls import split_outside
from odatakit.http import HttpRequest, HttpResponse

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DOCS = SHARED / "external" / "msgraph-docs" / "v1.0-api"
METADATA = SHARED / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
BASE = "https://graph.microsoft.com/v1.0"
PACKAGE = "graph_replay"

OUTCOMES = ("served-exact", "served-wrong", "call-missing", "not-served", "mismatch", "replay-error")
SAMPLE_OUTCOMES = (
    "exact",  # method, path, query and body as the sample's (where the sample has them)
    "path-differs",  # the line's call sends another method or path for the sample
    "query-differs",
    "body-differs",
    "not-replayable",  # the sample carries what the call cannot (a query option, a body the model refuses)
    "not-served",  # the line is not served by an existing call
)


@dataclass
class Outcome:
    """How one request line (or one request sample) fared."""

    where: str  # page:line
    request: str  # METHOD path as on the page
    call: str | None  # what inspect printed
    outcome: str
    kind: str = ""  # the reason's kind (not-served, mismatch, call-missing, served-wrong)
    detail: str = ""  # what exactly: the sent request, the exception, the reason


@dataclass
class Report:
    """The outcomes of a replay, in page order."""

    lines: list[Outcome] = field(default_factory=list)
    samples: list[Outcome] = field(default_factory=list)
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        """Request lines by outcome."""
        return Counter(o.outcome for o in self.lines)

    def sample_counts(self) -> Counter[str]:
        """Request samples by outcome."""
        return Counter(o.outcome for o in self.samples)


# --- reading and building -------------------------------------------------------------------------------
def read_pages(paths: Sequence[Path], jobs: int = 0) -> list[SpecOperation]:
    """Every request line of the pages, in page order (read in `jobs` processes when more than one; no cache)."""
    return read_spec_pages(paths, Diagnostics(), jobs=jobs)


def build(ops: Sequence[SpecOperation], out: Path, metadata: Path = METADATA) -> tuple[Model, MergeResult, Any]:
    """Merge the pages into the whole metadata, generate the package with the graph preset into `out`, import it."""
    model = assign_names(load_metadata(str(metadata), diagnostics=Diagnostics()))
    result = merge(model, ops, Diagnostics())
    preset = PRESETS["graph"]
    options = EmitOptions(
        package=PACKAGE, client_class=preset.client_class, key_as_segment=preset.key_as_segment,
        qualified_operations=preset.qualified_operations, qualified_enums=preset.qualified_enums,
        scopes=preset.scopes, batch_format=preset.batch_format,
    )  # fmt: skip
    emit(result.model, options, out)
    sys.path.insert(0, str(out))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        module = importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
    return model, result, module


# --- the recording transport ------------------------------------------------------------------------------
class Recorder:
    """An inner middleware: keeps each request and answers an empty success, never reaching the network."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.collection = False

    async def __call__(self, request: HttpRequest, call_next: Any) -> HttpResponse:
        """Record `request`; answer 204 to DELETE, `0` to `$count`, else an empty object or page."""
        self.requests.append(request)
        path = urlsplit(request.url).path
        if request.method == "DELETE":
            return HttpResponse(204, {}, b"", request.url, request)
        if path.endswith("/$count"):
            return HttpResponse(200, {"Content-Type": "text/plain"}, b"0", request.url, request)
        body = b'{"value":[]}' if self.collection else b"{}"
        return HttpResponse(200, {"Content-Type": "application/json"}, body, request.url, request)


# --- evaluating the printed call ------------------------------------------------------------------------
class CallMissing(Exception):
    """The printed call does not exist as printed (AttributeError, TypeError, or nothing is sent)."""


class Unreplayable(Exception):
    """A sample carries what the call cannot (the message says what)."""


class Binder:
    """Values for a call's placeholders and `...` arguments."""

    def __init__(self, package: Any, keys: list[str], named: dict[str, str] | None = None) -> None:
        self.package = package
        self.keys = keys  # one value per key subscript, in order
        self.named = named or {}  # values of the bare names a path step passes (`item_at_path(item_path)`)

    def key(self, index: int) -> str:
        """The value of the index-th key subscript."""
        return self.keys[index]

    def argument(self, method: Any, receiver: Any, name: str | None, annotation: str) -> Any:
        """A value for `...` passed as keyword `name` (None: positionally) to `method`."""
        return self.typed(receiver, annotation)

    def typed(self, receiver: Any, annotation: str) -> Any:
        """A value of the annotated type (the first alternative that is not None)."""
        text = annotation.strip()
        if text.startswith("Optional[") and text.endswith("]"):
            text = text[9:-1]
        alternatives = [a.strip() for a in split_outside(text, "|", "[]") if a.strip() != "None"]
        if "ZoneInfo" in alternatives:
            # A time zone given as `str | ZoneInfo`: any string would not do.
            return ZoneInfo("UTC")
        text = alternatives[0] if alternatives else "str"
        if text.startswith("Literal[") and text.endswith("]"):
            # A header's fixed values (`consistency_level: Literal['eventual']`): the first one.
            return ast.literal_eval(split_outside(text[8:-1], ",", "[]")[0].strip())
        for wrapper in ("list[", "Sequence[", "Iterable[", "tuple["):
            if text.startswith(wrapper) and text.endswith("]"):
                inner = split_outside(text[len(wrapper):-1], ",", "[]")[0]
                return [self.typed(receiver, inner)]
        return self._scalar(receiver, text)

    def _scalar(self, receiver: Any, text: str) -> Any:
        simple: dict[str, Callable[[], Any]] = {
            "str": lambda: "v",
            "bool": lambda: True,
            "int": lambda: 1,
            "float": lambda: 1.5,
            "Decimal": lambda: Decimal("1.5"),
            "bytes": lambda: b"v",
            "datetime": lambda: datetime(2021, 7, 1, 8, 0, tzinfo=UTC),
            "date": lambda: date(2021, 7, 1),
            "time": lambda: dtime(8, 0),
            "timedelta": lambda: timedelta(hours=1),
            "Any": lambda: {},
            "UUID": lambda: UUID(int=1),
            "UploadData": lambda: b"v",
            # A reference's target (odatakit.refs.Target): an entity-id, the form any target type takes.
            "Target": lambda: f"{BASE}/directoryObjects/v",
        }
        short = text.rpartition(".")[2]
        if short in simple:
            return simple[short]()
        if short in ("T", "_T") or len(short) == 1:
            # The builder's own item type (create(entity: T), update(entity: T)).
            cls = item_class(receiver)
            if cls is None:
                raise Unreplayable(f"no type for {text}")
            return cls()
        cls = getattr(self.package, short, None)
        if cls is None:
            raise Unreplayable(f"no value for the annotation {text!r}")
        members = getattr(cls, "__members__", None)
        if members:
            return next(iter(members.values()))
        return cls()


def item_class(receiver: Any) -> Any:
    """The class a request reads and writes: its item type, or a complex property's class (`prop(...)`)."""
    cls = getattr(receiver, "_type", None)
    spec = getattr(receiver, "_spec", None)
    if cls is None and spec is not None:
        cls = receiver._client.REGISTRY.info(spec.type).cls
    return cls


def _annotations(method: Any) -> dict[str, Any]:
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return {}
    return {name: p for name, p in signature.parameters.items()}


# Terminal verbs before which a sample's query options are applied.
_VERBS = frozenset({"get", "create", "update", "delete", "replace", "count_only"})


class Evaluator:
    """Evaluates the call text `inspect` prints, one AST node at a time, on a client."""

    def __init__(self, client: Any, binder: Binder, before_verb: Callable[[Any], Any] | None = None) -> None:
        self.client = client
        self.binder = binder
        self.keys = 0
        self.before_verb = before_verb

    def run(self, text: str) -> Any:
        """The value of the call expression (a coroutine or request builder, not yet awaited)."""
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise CallMissing(f"not a Python expression: {exc.msg}") from None
        return self._eval(tree.body)

    def _eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id == "client":
            return self.client
        if isinstance(node, ast.Name):
            # A class of the package (`.cast(User)`).
            found = getattr(self.binder.package, node.id, None)
            if found is None:
                raise CallMissing(f"the package has no name {node.id!r}")
            return found
        if isinstance(node, ast.Attribute):
            target = self._eval(node.value)
            try:
                return getattr(target, node.attr)
            except AttributeError:
                raise CallMissing(f"{type(target).__name__} has no attribute {node.attr!r}") from None
        if isinstance(node, ast.Subscript):
            target = self._eval(node.value)
            if isinstance(node.slice, ast.Constant):
                key = node.slice.value
            else:
                key = self.binder.key(self.keys)
            self.keys += 1
            try:
                return target[key]
            except (TypeError, KeyError) as exc:
                raise CallMissing(f"{type(target).__name__}[...]: {exc}") from None
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value  # `with_function_parameters("implicit")`, a literal key or path
        raise CallMissing(f"cannot evaluate {ast.unparse(node)!r}")

    def _placeholder(self, node: ast.expr) -> bool:
        """A bare name the package does not define stands for the caller's value (`put(data, ...)`), as `...` does."""
        return isinstance(node, ast.Name) and node.id != "client" and not hasattr(self.binder.package, node.id)

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise CallMissing(f"cannot evaluate {ast.unparse(node)!r}")
        receiver = self._eval(func.value)
        if func.attr in _VERBS and self.before_verb is not None:
            receiver = self.before_verb(receiver)
        try:
            method = getattr(receiver, func.attr)
        except AttributeError:
            raise CallMissing(f"{type(receiver).__name__} has no attribute {func.attr!r}") from None
        if isinstance(getattr(type(receiver), func.attr, None), property):
            raise CallMissing(f"{type(receiver).__name__}.{func.attr} is a property, not a method")
        params = _annotations(method)
        positional = list(params.values())
        args: list[Any] = []
        for i, arg in enumerate(node.args):
            if i >= len(positional):
                raise CallMissing(f"{type(receiver).__name__}.{func.attr}() takes no argument {i + 1}")
            if isinstance(arg, ast.Name) and arg.id in self.binder.named:
                args.append(self.binder.named[arg.id])
                continue
            if not _is_ellipsis(arg) and not self._placeholder(arg):
                args.append(self._eval(arg))
                continue
            args.append(self.binder.argument(method, receiver, None, _annotation_text(positional[i].annotation)))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None or not _is_ellipsis(kw.value):
                raise CallMissing(f"cannot evaluate {ast.unparse(kw)!r}")
            p = params.get(kw.arg) or next((v for v in params.values() if v.kind is v.VAR_KEYWORD), None)
            if p is None:
                raise CallMissing(f"{type(receiver).__name__}.{func.attr}() has no keyword {kw.arg!r}")
            # `params(name=...)` takes any custom option: a string stands for the page's value.
            annotation = "str" if p.kind is p.VAR_KEYWORD else _annotation_text(p.annotation)
            kwargs[kw.arg] = self.binder.argument(method, receiver, kw.arg, annotation)
        try:
            return method(*args, **kwargs)
        except TypeError as exc:
            raise CallMissing(f"{type(receiver).__name__}.{func.attr}(): {exc}") from None


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "Any"
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


async def send(value: Any) -> None:
    """Await the call (a coroutine, or a request that is awaitable); a builder that sends nothing is missing."""
    if asyncio.iscoroutine(value) or hasattr(type(value), "__await__"):
        await value
        return
    raise CallMissing(f"the call ends on a {type(value).__name__}, which sends nothing")


# --- comparing paths -------------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"^\{[^{}]*\}$")
FUNCTION = re.compile(r"^(?P<name>[^()]+)\((?P<args>.*)\)$", re.S)


def sent_path(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The sent URL's path after the service root, decoded segment by segment, and its query options."""
    parts = urlsplit(url)
    root = urlsplit(BASE).path
    path = parts.path[len(root):] if parts.path.startswith(root) else parts.path
    segments = [unquote(s) for s in path.split("/") if s]
    query = [(unquote(k), unquote(v)) for k, _, v in (o.partition("=") for o in parts.query.split("&") if o)]
    return segments, query


def arguments(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _split_outside(text, ","):
        name, sep, value = part.partition("=")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _split_outside(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted, depth = False, 0
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "({[":
            depth += 1
        elif not quoted and char in ")}]":
            depth -= 1
        if char == separator and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current or parts:
        parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _loose(value: str) -> bool:
    """An argument value that stands for any value (`{x}`, `'{x}'`, `<x>`)."""
    inner = value.strip().strip("'\"")
    return bool(re.fullmatch(r"\{[^{}]*\}|<[^<>]*>|@\w+", inner)) or inner == ""


def segment_matches(expected: str, sent: str, exact_values: bool) -> bool:
    """Whether a sent segment is the page's: names ignoring case; function arguments by name, and by value
    unless the page's value is a placeholder."""
    if expected.lower() == sent.lower():
        return True
    if sent.endswith("()") and sent[:-2].lower() == expected.lower():
        # A function without parameters may be called without parentheses (the 4.01 ABNF's
        # boundFunctionCallNoParens), as the pages write it.
        return True
    e, s = FUNCTION.match(expected), FUNCTION.match(sent)
    if e is None or s is None or e.group("name").lower() != s.group("name").lower():
        return False
    ea, sa = arguments(e.group("args")), arguments(s.group("args"))
    if set(ea) != set(sa):
        return False
    return all(_loose(v) or not exact_values or _same_literal(v, sa[k]) for k, v in ea.items())


def _same_literal(page: str, sent: str) -> bool:
    a, b = page.strip(), sent.strip()
    if a == b or a.strip("'") == b.strip("'"):
        return True
    try:
        return instant(a.strip("'")) == instant(b.strip("'"))
    except ValueError:
        return False


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_INNER = re.compile(r"\{([^{}]*)\}")


def expected_segments(res: Resolution, page_segments: list[str], slots: list[str],
                      templates: list[str] | None = None) -> list[str]:
    """The page's segments with each key or path placeholder replaced by the value bound to it (`{hostname}:` →
    `hostname.1:`), a context root by its name; `templates` give the placeholders' places when the page's
    segments are a sample's."""
    out: list[str] = []
    k = 0
    for i, seg in enumerate(page_segments):
        step = res.steps[i] if i < len(res.steps) else None
        if step is not None and step.kind in ("key", "path", "altkey"):
            template = templates[i] if templates is not None else seg
            value = slots[k] if k < len(slots) else None
            k += 1
            if value is None:
                out.append(seg)
            elif (m := _INNER.search(template)) is not None:
                out.append(template[:m.start()] + value + template[m.end():])
            else:
                out.append(value)
        elif i == 0 and step is not None and _PLACEHOLDER.match(seg):
            out.append(step.segment)
        else:
            out.append(seg)
    return out


def compare_path(expected: list[str], sent: list[str], exact_values: bool) -> str | None:
    """None when the paths agree, else what differs."""
    if len(expected) != len(sent):
        return f"{len(sent)} segments sent for {len(expected)}"
    for e, s in zip(expected, sent, strict=True):
        if not segment_matches(e, s, exact_values):
            return f"{s!r} sent for {e!r}"
    return None


def wrong_kind(expected: list[str], sent: list[str], method_ok: bool) -> str:
    if not method_ok:
        return "another method"
    if len(expected) != len(sent):
        return "another number of segments"
    for e, s in zip(expected, sent, strict=True):
        if e.lower() == s.lower():
            continue
        if "{" in s and "{" not in e:
            return "a placeholder sent as literal text"
        fe, fs = FUNCTION.match(e), FUNCTION.match(s)
        if fe and fs and fe.group("name").lower() == fs.group("name").lower():
            return "function parameters differ"
        if fs and not fe:
            return "function arguments the page leaves out"
        return "another segment"
    return "another path"


# --- one request line ------------------------------------------------------------------------------------
def slot_values(res: Resolution, page_segments: list[str]) -> list[str]:
    """A distinct value for each key or path placeholder, in step order, made from its name (`{event-id}` →
    `event-id.1`); a literal key is itself."""
    values: list[str] = []
    for step, seg in zip(res.steps, page_segments, strict=False):
        if step.kind in ("key", "path", "altkey"):
            m = _INNER.search(seg)
            values.append(f"{m.group(1)}.{len(values) + 1}" if m else seg)
    return values


def binders(package: Any, res: Resolution, slots: list[str]) -> tuple[list[str], dict[str, str]]:
    """The key subscripts' values, and the values of the bare names path steps pass (`item_at_path(item_path)`)."""
    keys: list[str] = []
    named: dict[str, str] = {}
    path_steps = [s for s in res.steps if s.kind in ("key", "path", "altkey")]
    for step, value in zip(path_steps, slots, strict=False):
        if step.kind == "key":
            keys.append(value)
            continue
        try:
            call = ast.parse(step.py.lstrip("."), mode="eval").body
        except SyntaxError:
            continue
        names = [a.id for a in call.args if isinstance(a, ast.Name)] if isinstance(call, ast.Call) else []
        if names:
            named[names[0]] = value
    return keys, named


def request_text(op: SpecOperation) -> str:
    """`METHOD path?query` as the page writes it."""
    query = "?" + "&".join(f"{k}={v}" for k, v in op.query) if op.query else ""
    return f"{op.method} {op.path}{query}"


async def replay_line(client: Any, recorder: Recorder, package: Any, res: Resolution, index: Index) -> Outcome:
    """Evaluate the call `inspect` printed for one request line and classify what it sent."""
    op = res.op
    where, request = op.where(), request_text(op)
    if not res.served:
        kind, outcome = classify_unserved(index, res)
        return Outcome(where, request, None, outcome, kind, res.reason or "")
    assert res.call is not None
    added = next((s.operation for s in res.steps if s.operation in index.added), None)
    if added is not None:
        # merge() made this action from the page's body parameters: the metadata lacks it.
        return Outcome(where, request, res.call, "mismatch", "an action the metadata lacks (generated from the page)",
                       f"{added}: not in the metadata")
    # A cast the page leaves out (the navigation is a derived type's): the call sends it; the rest must match.
    casts = [s.type for s in res.steps if s.implied and s.type]
    if casts:
        res = attrs.evolve(res, steps=tuple(s for s in res.steps if not s.implied))
    page_segments = split_url(op.path)[1]
    slots = slot_values(res, page_segments)
    keys, named = binders(package, res, slots)
    recorder.requests.clear()
    recorder.collection = bool(res.steps and res.steps[-1].collection)
    try:
        value = Evaluator(client, Binder(package, keys, named)).run(res.call)
        await send(value)
    except CallMissing as exc:
        return Outcome(where, request, res.call, "call-missing", _missing_kind(str(exc)), str(exc))
    except Exception as exc:  # noqa: BLE001 - anything after the request was recorded is the fake answer's
        if not recorder.requests:
            return Outcome(where, request, res.call, "replay-error", type(exc).__name__, short(exc))
    if not recorder.requests:
        return Outcome(where, request, res.call, "replay-error", "nothing sent", "")
    sent = recorder.requests[0]
    segments, _ = sent_path(sent.url)
    for cast in casts:
        segments = _without(segments, cast)
    expected = expected_segments(res, page_segments, slots)
    method_ok = sent.method.upper() == op.method.upper()
    differs = compare_path(expected, segments, exact_values=False)
    if casts and method_ok and differs is None:
        return Outcome(where, request, res.call, "mismatch", "the page leaves out the cast to a derived type (sent)",
                       f"the navigation is {casts[0]}'s")
    if method_ok and differs is None:
        bare = any(s.endswith("()") and s[:-2].lower() == e.lower() for e, s in zip(expected, segments, strict=True))
        # Kept apart so the figure with parentheses required can be told: the pages write `delta`, not `delta()`.
        return Outcome(where, request, res.call, "served-exact", "a function without parentheses on the page" if bare else "")
    detail = f"sent {sent.method} /{'/'.join(segments)}" + ("" if method_ok else f" (page: {op.method})")
    detail += f"; {differs}" if differs else ""
    return Outcome(where, request, res.call, "served-wrong", wrong_kind(expected, segments, method_ok), detail)


def _without(segments: list[str], cast: str) -> list[str]:
    """The sent segments less the first one naming `cast`."""
    at = next((i for i, seg in enumerate(segments) if seg.lower() == cast.lower()), None)
    return segments if at is None else segments[:at] + segments[at + 1:]


def short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _missing_kind(message: str) -> str:
    """`EventRequest has no attribute 'value'` → `no method value()`."""
    if message.startswith("method has no attribute"):
        return "an attribute of a bound method (a function result navigated)"
    m = re.search(r"has no attribute '(\w+)'", message)
    if m:
        return f"no attribute {m.group(1)}"
    m = re.search(r"has no keyword '(\w+)'", message)
    if m:
        return "no such keyword argument"
    if "is a property" in message:
        return "a property called as a method"
    if "sends nothing" in message:
        return "ends on a request that sends nothing"
    return re.sub(r"'[^']*'", "'…'", message.partition(": ")[2] or message)[:80]


# --- not served: metadata mismatch or a shape not generated yet -------------------------------------------
class Index:
    """What the metadata has, for telling a page/metadata mismatch from a shape not generated."""

    def __init__(self, model: Model, added: Iterable[str] = ()) -> None:
        self.model = model
        self.added = frozenset(added)  # operations merge() generated from the pages alone
        self.types = model.structured_by_name()
        container = model.container
        self.roots = {s.name.lower() for s in container.entity_sets} if container else set()
        self.imports = {i.name.lower() for i in container.imports} if container else set()
        self.ops: dict[str, set[str]] = {}
        for o in model.operations:
            if o.binding is not None:
                self.ops.setdefault(o.binding.type.name, set()).add(o.name.lower())

    def family(self, type_name: str) -> list[StructuredType]:
        """The type, its bases and the types derived from it."""
        if type_name not in self.types:
            return []
        out = list(self.model.base_chain(type_name))
        out += [t for t in self.model.derived_of(type_name) if t not in out]
        return out

    def member(self, type_name: str, name: str) -> str | None:
        """What `name` is on the type's family: a property, navigation, operation or cast; None if nothing."""
        low = name.lower()
        for t in self.family(type_name):
            for p in t.properties:
                if p.name.lower() == low:
                    stream = p.type.name == "Edm.Stream"
                    return "a stream property" if stream else "a structural property"
            for n in t.navigation:
                if n.name.lower() == low:
                    return "a navigation of a derived type" if t.qualified != type_name else "a navigation"
            if low.rpartition(".")[2] in self.ops.get(t.qualified, set()):
                return "an operation bound otherwise"
            if t.qualified.lower() == low:
                return "a cast"
        return None


_NO_MEMBER = re.compile(r"^'(?P<seg>.*)': no navigation, cast or bound operation on (?:a collection of|an entity of type) (?P<type>\S+)$", re.S)


def classify_unserved(index: Index, res: Resolution) -> tuple[str, str]:
    """(reason kind, outcome): `mismatch` when the page names what the metadata lacks, else `not-served`."""
    reason = res.reason or ""
    if any(s.operation in index.added for s in res.steps):
        # Past an action merge() made from a page (the metadata lacks it, e.g. a collection it does not have).
        return "an action the metadata lacks (generated from the page)", "mismatch"
    m = _NO_MEMBER.match(reason)
    if m:
        seg, type_name = m.group("seg"), m.group("type")
        name = FUNCTION.match(seg).group("name") if FUNCTION.match(seg) else seg  # type: ignore[union-attr]
        if seg.startswith("$"):
            return f"{seg.partition('(')[0]} segment", "not-served"
        if ":" in seg:
            return "path-based addressing (':')", "not-served"
        what = index.member(type_name, name)
        if what is None:
            return "a segment the metadata lacks", "mismatch"
        return f"segment is {what}", "not-served"
    m = re.match(r"^no entity set or singleton named '(?P<seg>.*)'$", reason)
    if m:
        seg = m.group("seg")
        name = seg.partition("(")[0].lower()
        if name in index.imports:
            return "an operation import", "not-served"
        if ":" in seg:
            return "path-based addressing (':')", "not-served"
        return "an entity set or singleton the metadata lacks", "mismatch"
    if "the page leaves out which cast" in reason:
        what = "an operation bound to" if "an operation bound" in reason else "a navigation of"
        return f"{what} several derived types, the page leaves out which cast", "mismatch"
    m = re.match(r"^(?P<method>\w+) on the (?P<kind>function|action) (?P<name>\S+): expected", reason)
    if m:
        if m.group("name") in index.added:
            return "an action the metadata lacks (generated from the page)", "mismatch"
        # The metadata declares a function (invoked with GET) where the page POSTs, or the reverse.
        return f"{m.group('method')} on what the metadata declares {m.group('kind')}", "mismatch"
    if re.match(r"^key '.*' after a single entity$", reason):
        seg = reason[5:].partition("'")[0]
        if ":" in seg:
            return "path-based addressing (':')", "not-served"
        return "a key after a single entity", "not-served"
    kind = re.sub(r"'[^']*'", "'…'", reason)
    kind = re.sub(r"\b(?:microsoft\.graph\.)[\w.]+", "T", kind)
    return kind, "not-served"


def all_pages(folder: Path = DOCS) -> list[Path]:
    """The reference's pages, sorted by name."""
    return sorted(folder.glob("*.md"))
