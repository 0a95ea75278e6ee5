"""A small in-memory stand-in for Microsoft Graph and Outlook REST, for the documentation's samples.

`tests/test_docs.py` runs every Python sample of README.md and docs/*.md with `aioresponses`
routing `https://graph.microsoft.com/v1.0/...` and `https://outlook.office.com/api/v2.0/...` here,
so the samples read like user code (real service roots) and nothing leaves the machine.

It is a service, not a list of canned answers: entities live in collections, `$filter`,
`$orderby`, `$select`, `$expand`, `$top`, `$skip` and `$count` are applied (the `$filter`
subset the samples use: comparisons, `and`/`or`/`not`, string functions, `in`, `any`/`all`),
pages are `Prefer: odata.maxpagesize` long (10 by default, as Graph's events), writes check
`If-Match` against `@odata.etag`, bound actions answer 202, `delta()` keeps tokens and reports
removals, JSON `$batch` runs its requests in order with `dependsOn`, and
`Prefer: outlook.timezone` converts the `DateTimeTimeZone` values it returns. Requests without
`Authorization: Bearer ...` get 401.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

GRAPH = "https://graph.microsoft.com/v1.0"
OUTLOOK = "https://outlook.office.com/api/v2.0"
#: Where Graph's upload sessions take the bytes: another origin, authorised by the URL itself.
UPLOADS = "https://uploads.graph.test"

ACTIONS = {"accept", "decline", "tentativelyaccept", "cancel", "snoozereminder", "dismissreminder", "forward"}
ANSWERS = {"accept": "accepted", "decline": "declined", "tentativelyaccept": "tentativelyAccepted"}


class Reply:
    """One HTTP answer: status, headers, JSON (or text) body."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None, text: str | None = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.text = text

    def payload(self) -> str:
        if self.text is not None:
            return self.text
        return "" if self.body is None else json.dumps(self.body)


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}}, {"request-id": f"req-{status}-{code}"})


# -- $filter ------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<dt>\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<enum>[\w.]+'(?:[^']|'')*')|(?P<punct>[(),:])|(?P<word>[\w/$@.]+))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"cannot read $filter at {text[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            out.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "enum":
            out.append(("lit", value.split("'", 1)[1][:-1]))
        elif kind == "dt":
            out.append(("lit", datetime.fromisoformat(value)))
        elif kind == "num":
            out.append(("lit", float(value) if "." in value else int(value)))
        elif kind == "punct":
            out.append((value, value))
        elif value in ("true", "false"):
            out.append(("lit", value == "true"))
        elif value == "null":
            out.append(("lit", None))
        else:
            out.append(("word", value))
    return out


class _Filter:
    """A recursive-descent reader of the $filter subset; `parse()` gives a predicate on an entity."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str) -> None:
        if self.take()[0] != kind:
            raise ValueError(f"expected {kind!r}")

    def parse(self) -> Callable[[dict[str, Any]], Any]:
        node = self.or_()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return lambda entity: node({"$it": entity})

    def or_(self) -> Callable[[dict[str, Any]], Any]:
        left = self.and_()
        while self.peek() == ("word", "or"):
            self.take()
            right, first = self.and_(), left
            left = lambda env, a=first, b=right: bool(a(env)) or bool(b(env))  # noqa: E731
        return left

    def and_(self) -> Callable[[dict[str, Any]], Any]:
        left = self.not_()
        while self.peek() == ("word", "and"):
            self.take()
            right, first = self.not_(), left
            left = lambda env, a=first, b=right: bool(a(env)) and bool(b(env))  # noqa: E731
        return left

    def not_(self) -> Callable[[dict[str, Any]], Any]:
        if self.peek() == ("word", "not"):
            self.take()
            inner = self.not_()
            return lambda env: not inner(env)
        return self.compare()

    def compare(self) -> Callable[[dict[str, Any]], Any]:
        left = self.primary()
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1] in _COMPARE:
            op = self.take()[1]
            right = self.primary()
            return lambda env: _compare(op, left(env), right(env))
        if tok == ("word", "in"):
            self.take()
            self.expect("(")
            values = [self.primary()]
            while self.peek() == (",", ","):
                self.take()
                values.append(self.primary())
            self.expect(")")
            return lambda env: left(env) in [v(env) for v in values]
        return left

    def primary(self) -> Callable[[dict[str, Any]], Any]:
        kind, value = self.take()
        if kind == "(":
            inner = self.or_()
            self.expect(")")
            return inner
        if kind == "lit":
            return lambda env: value
        if kind != "word":
            raise ValueError(f"unexpected {value!r}")
        if self.peek() == ("(", "("):
            return self.call(value)
        return self.path(value)

    def call(self, name: str) -> Callable[[dict[str, Any]], Any]:
        self.expect("(")
        args = [self.or_()]
        while self.peek() == (",", ","):
            self.take()
            args.append(self.or_())
        self.expect(")")
        funcs: dict[str, Callable[..., Any]] = {
            "startswith": lambda a, b: isinstance(a, str) and a.startswith(b),
            "endswith": lambda a, b: isinstance(a, str) and a.endswith(b),
            "contains": lambda a, b: isinstance(a, str) and b in a,
            "tolower": lambda a: a.lower() if isinstance(a, str) else a,
            "toupper": lambda a: a.upper() if isinstance(a, str) else a,
            "length": lambda a: len(a) if isinstance(a, str) else None,
        }
        func = funcs[name.lower()]
        return lambda env: func(*(arg(env) for arg in args))

    def path(self, text: str) -> Callable[[dict[str, Any]], Any]:
        parts = text.split("/")
        if parts[-1] in ("any", "all") and self.peek() == ("(", "("):
            collection = self.path("/".join(parts[:-1]))
            self.expect("(")
            if self.peek() == (")", ")"):
                self.take()
                return lambda env: bool(collection(env))
            _, var = self.take()
            self.expect(":")
            body = self.or_()
            self.expect(")")
            test = any if parts[-1] == "any" else all
            return lambda env: test(body({**env, var: item}) for item in (collection(env) or []))

        def read(env: dict[str, Any]) -> Any:
            value: Any = env[parts[0]] if parts[0] in env else env["$it"].get(parts[0])
            for part in parts[1:]:
                value = value.get(part) if isinstance(value, dict) else None
            return value

        return read


def _compare(op: str, a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, str):
        b = datetime.fromisoformat(b)
    if isinstance(b, datetime) and isinstance(a, str):
        a = datetime.fromisoformat(a)
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op])


def _sort_key(path: str) -> Callable[[dict[str, Any]], Any]:
    parts = path.split("/")

    def key(entity: dict[str, Any]) -> Any:
        value: Any = entity
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        return (value is not None, value)

    return key


# -- the service ----------------------------------------------------------------------------------------
class Service:
    """One service root: its collections, singletons and change log."""

    def __init__(self, root: str, key: str, pascal: bool) -> None:
        self.root = root
        #: The same service in national clouds (Graph for US Government, China).
        self.clouds: tuple[str, ...] = ()
        self.key = key
        self.pascal = pascal
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self.singletons: dict[str, dict[str, Any]] = {}
        #: Delta: the version every change got, and the removed keys by collection.
        self.version = 0
        self.changed: dict[str, int] = {}
        self.removed: dict[str, list[tuple[int, str]]] = {}
        self.ids = 0
        #: `$ref` links by navigation path (`groups/g1/members`): the entity-ids linked.
        self.refs: dict[str, list[str]] = {}

    # names differ between Graph (camelCase) and Outlook (PascalCase)
    def n(self, name: str) -> str:
        return name[0].upper() + name[1:] if self.pascal else name

    def new_id(self) -> str:
        self.ids += 1
        return f"AAMkAGI2TG93AAA{self.ids:03d}="

    def add(self, collection: str, entity: dict[str, Any]) -> dict[str, Any]:
        entity = copy.deepcopy(entity)
        entity.setdefault(self.key, self.new_id())
        self.touch(entity)
        self.collections.setdefault(collection, []).append(entity)
        return entity

    def touch(self, entity: dict[str, Any]) -> None:
        self.version += 1
        entity["@odata.etag"] = f'W/"DwAAABYAAA{self.version:04d}"'
        self.changed[entity[self.key]] = self.version

    def find(self, collection: str, key: str) -> dict[str, Any] | None:
        for entity in self.collections.get(collection, []):
            if entity[self.key] == key:
                return entity
        return None


class FakeService:
    """Graph and Outlook in memory; `callback` is what aioresponses calls for every request."""

    def __init__(self) -> None:
        self.graph = Service(GRAPH, "id", pascal=False)
        self.graph.clouds = ("https://graph.microsoft.us/v1.0", "https://microsoftgraph.chinacloudapi.cn/v1.0")
        self.outlook = Service(OUTLOOK, "Id", pascal=True)
        self.requests: list[tuple[str, str]] = []
        #: Media and stream bodies by service-relative path (`me/photo/$value`): (media type, bytes).
        self.media: dict[str, tuple[str, bytes]] = {"me/photo/$value": ("image/jpeg", JPEG)}
        #: Upload sessions by upload URL: [bytes received, None].
        self.uploads: dict[str, list[Any]] = {}
        seed(self.graph)
        seed(self.outlook)

    def service_of(self, url: str) -> Service | None:
        for service in (self.graph, self.outlook):
            for root in (service.root, *service.clouds):
                if url == root or url.startswith(root + "/"):
                    return service
        return None

    def callback(self, method: str) -> Callable[..., Any]:
        """The function aioresponses calls for a `method` request: (url, **request kwargs) -> CallbackResult."""
        from aioresponses import CallbackResult

        async def answer(url: Any, **kwargs: Any) -> Any:
            headers = {k.lower(): v for k, v in dict(kwargs.get("headers") or {}).items()}
            data = await _bytes(kwargs.get("data"))
            media = self.media_reply(method, str(url), headers, data) or self.upload_reply(method, str(url), headers, data)
            if media is not None:
                return media
            reply = self.handle(method, str(url), headers, data)
            content_type = "text/plain" if reply.text is not None else "application/json"
            return CallbackResult(
                method=method,
                status=reply.status,
                body=reply.payload(),
                content_type=content_type,
                headers=reply.headers,
            )

        return answer

    def media_reply(self, method: str, url: str, headers: dict[str, str], data: Any) -> Any:
        """Read or replace a media body (`.../$value`, `.../content`); None for any other request."""
        from aioresponses import CallbackResult

        path = urlsplit(url).path[len(urlsplit(GRAPH).path) :].strip("/")
        if not url.startswith(GRAPH) or not path.endswith(("/$value", "/content")):
            return None
        if self.property_at(self.graph, unquote(path)) is not None:
            return None  # a structural property's raw value, not a media body
        self.requests.append((method, url))
        if not headers.get("authorization", "").startswith("Bearer "):
            return CallbackResult(status=401, body=error(401, "InvalidAuthenticationToken", "no token").payload())
        if method == "GET":
            if path not in self.media:
                reply = error(404, "ImageNotFound", "The photo wasn't found.")
                return CallbackResult(status=404, body=reply.payload(), headers=reply.headers)
            media_type, body = self.media[path]
            return CallbackResult(status=200, body=body, content_type=media_type)
        self.media[path] = (headers.get("content-type", "application/octet-stream"), data or b"")
        return CallbackResult(method=method, status=200 if method == "PUT" else 204, body=b"")

    def upload_reply(self, method: str, url: str, headers: dict[str, str], data: Any) -> Any:
        """Graph's upload sessions: `createUploadSession` on attachments, then the upload host; None otherwise."""
        from aioresponses import CallbackResult

        def answer(status: int, body: Any = None) -> Any:
            return CallbackResult(method=method, status=status, body=json.dumps(body) if body is not None else "",
                                  content_type="application/json")

        if url.startswith(GRAPH) and url.endswith("/attachments/createUploadSession") and method == "POST":
            self.requests.append((method, url))
            session = f"{UPLOADS}/up/{len(self.uploads) + 1}?sig=Zm9v"
            self.uploads[session] = [0, None]
            return answer(201, {"uploadUrl": session, "expirationDateTime": "2026-12-01T00:00:00Z",
                                "nextExpectedRanges": ["0-"]})
        if not url.startswith(UPLOADS):
            return None
        self.requests.append((method, url))
        if "authorization" in headers:  # as Graph's upload hosts: the URL is the authorisation
            return answer(401, {"error": {"code": "unauthenticated", "message": "no Authorization here"}})
        received = self.uploads.get(url)
        if received is None:
            return answer(404, {"error": {"code": "itemNotFound", "message": "The upload session expired."}})
        if method == "GET":
            return answer(200, {"nextExpectedRanges": [f"{received[0]}-"]})
        if method == "DELETE":
            del self.uploads[url]
            return answer(204)
        first, last, total = (int(n) for n in re.findall(r"\d+", headers.get("content-range", "")))
        if first != received[0] or len(data) != last - first + 1:
            return answer(416, {"error": {"code": "invalidRange", "message": "unexpected range"}})
        received[0] = last + 1
        if received[0] < total:
            return answer(202, {"nextExpectedRanges": [f"{received[0]}-"]})
        return answer(201)

    def handle(self, method: str, url: str, headers: dict[str, str], data: Any) -> Reply:
        self.requests.append((method, url))
        service = self.service_of(url)
        if service is None:
            return error(404, "NotFound", f"no service at {url}")
        if not headers.get("authorization", "").startswith("Bearer "):
            return error(401, "InvalidAuthenticationToken", "Access token is empty.")
        body = json.loads(data) if data else None
        return self.route(service, method, url, headers, body)

    def route(self, svc: Service, method: str, url: str, headers: dict[str, str], body: Any) -> Reply:
        parts = urlsplit(url)
        rel = parts.path[len(urlsplit(svc.root).path) :].strip("/")  # the clouds' roots have the same path
        query = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        segments = [unquote(s) for s in rel.split("/")] if rel else []
        prefer = headers.get("prefer", "")
        if segments == ["$batch"] and method == "POST":
            return self.batch(svc, body, headers)
        if segments and segments[-1] == "$count":
            items = self.select_items(svc, "/".join(segments[:-1]), query)
            return Reply(200, text=str(len(items)))
        if segments and segments[-1] == "delta()":
            return self.delta(svc, "/".join(segments[:-1]), url, query, prefer)
        path = "/".join(segments)
        export = re.fullmatch(r"me/exportDeviceAndAppManagementData\((?:skip=(\d+),top=(\d+))?\)", path)
        if export and method == "GET":
            where = f"{export[1]}-{export[2]}" if export[1] else "all"
            return Reply(200, {svc.n("content"): f"https://export.contoso.com/{where}"})
        if path in svc.singletons and method == "GET":
            return Reply(200, self.shape(svc, svc.singletons[path], query, prefer, path))
        found = self.property_at(svc, path)
        if found is not None:
            return self.property(found[0], method, found[1], path.endswith("/$value"), body)
        if self.is_collection(svc, path):
            if method == "GET":
                return self.list(svc, path, url, query, prefer)
            if method == "POST":
                created = svc.add(path, body or {})
                if "return=minimal" in prefer:
                    location = f"{svc.root}/{path}/{quote(created[svc.key], safe='=')}"
                    return Reply(204, headers={"Location": location, "OData-EntityId": location})
                return Reply(201, self.shape(svc, created, {}, prefer, path))
            return error(405, "MethodNotAllowed", f"{method} {path}")
        parent, _, last = path.rpartition("/")
        if last.lower() in ACTIONS and method == "POST":
            grand, _, key = parent.rpartition("/")
            entity = svc.find(grand, key)
            if entity is None:
                return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            etag_error = self.check_etag(entity, headers)
            if etag_error:
                return etag_error
            answer = ANSWERS.get(last.lower())
            if answer:
                entity[svc.n("responseStatus")] = {svc.n("response"): answer, svc.n("time"): _now()}
                svc.touch(entity)
            return Reply(202)
        if last == "$ref":
            return self.references(svc, method, parent, query, body)
        entity = svc.find(parent, last)
        if entity is None:
            return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if method == "GET":
            return Reply(200, self.shape(svc, entity, query, prefer, parent))
        etag_error = self.check_etag(entity, headers)
        if etag_error:
            return etag_error
        if method == "DELETE":
            svc.collections[parent].remove(entity)
            svc.version += 1
            svc.removed.setdefault(parent, []).append((svc.version, last))
            return Reply(204)
        if method == "PATCH":
            _merge(entity, body or {})
        elif method == "PUT":
            kept = {k: entity[k] for k in (svc.key,)}
            entity.clear()
            entity.update({**(body or {}), **kept})
        svc.touch(entity)
        return Reply(200, self.shape(svc, entity, query, prefer, parent), {"ETag": entity["@odata.etag"]})

    def references(self, svc: Service, method: str, nav: str, query: dict[str, str], body: Any) -> Reply:
        """`$ref` on a navigation (`groups/g/members/$ref`), on one item of it, or on a single-valued one."""
        parent, _, key = nav.rpartition("/")
        if method == "DELETE" and parent in svc.refs:
            svc.refs[parent] = [i for i in svc.refs[parent] if i.rpartition("/")[2] != key]
            return Reply(204)
        linked = svc.refs.setdefault(nav, [])
        if method == "GET":
            return Reply(200, {"value": [{"@odata.id": i} for i in linked]})
        if method in ("POST", "PUT"):
            linked[:] = [*linked, body["@odata.id"]] if method == "POST" else [body["@odata.id"]]
        elif "$id" in query:
            linked.remove(query["$id"])
        else:
            linked.clear()
        return Reply(204)

    def property_at(self, svc: Service, path: str) -> tuple[dict[str, Any], list[str]] | None:
        """The entity holding the structural property at `path` (`/$value` aside), and the names down to it."""
        names = path.removesuffix("/$value").split("/")
        for at in range(len(names) - 1, 0, -1):
            held = self.holder(svc, "/".join(names[:at]))
            if held is not None and names[at] in held:
                return held, names[at:]
        return None

    def holder(self, svc: Service, path: str) -> dict[str, Any] | None:
        """The entity at `path` (a singleton or an item of a collection), or None."""
        parent, _, key = path.rpartition("/")
        return svc.singletons.get(path) or (svc.find(parent, key) if parent else None)

    def property(self, entity: dict[str, Any], method: str, names: list[str], raw: bool, body: Any) -> Reply:
        """A structural property as a resource (`me/mailboxSettings/timeZone`, `me/events/{id}/subject/$value`)."""
        for name in names[:-1]:
            entity = entity[name]
        if method == "PATCH":
            _merge(entity.setdefault(names[-1], {}), body or {})
        elif method == "PUT":
            entity[names[-1]] = body if not isinstance(body, dict) or "value" not in body else body["value"]
        value = entity.get(names[-1])
        if raw:
            return Reply(200, text=str(value))
        return Reply(200, value if isinstance(value, dict) else {"value": value})

    @staticmethod
    def check_etag(entity: dict[str, Any], headers: dict[str, str]) -> Reply | None:
        wanted = headers.get("if-match")
        if wanted is not None and wanted != "*" and wanted != entity["@odata.etag"]:
            return error(
                412,
                "ErrorIrresolvableConflict",
                "The send or update operation could not be performed "
                "because the change key passed in the request does not match the current change key for "
                "the item.",
            )
        return None

    def is_collection(self, svc: Service, path: str) -> bool:
        if path in svc.collections or path.lower() in ("me/calendarview",):
            return True
        parent, _, last = path.rpartition("/")
        grand, _, key = parent.rpartition("/")
        # A navigation of an entity that exists (`me/events/{id}/attachments`) is a collection too.
        return bool(parent) and last.lower() not in ACTIONS and svc.find(grand, key) is not None

    def select_items(self, svc: Service, path: str, query: dict[str, str]) -> list[dict[str, Any]]:
        if path.lower() == "me/calendarview":
            start = query.get("startDateTime") or query.get("StartDateTime")
            end = query.get("endDateTime") or query.get("EndDateTime")
            if not start or not end:
                raise _Refused(
                    error(
                        400,
                        "ErrorInvalidParameter",
                        "This request requires a time window specified "
                        "by the query string parameters StartDateTime and EndDateTime.",
                    )
                )
            low, high = datetime.fromisoformat(start), datetime.fromisoformat(end)
            items = [
                e
                for e in svc.collections[svc.n("me") + "/" + svc.n("events")]
                if _utc(svc, e, "start") < high and _utc(svc, e, "end") > low
            ]
        else:
            items = list(svc.collections.setdefault(path, []))
        if "$filter" in query:
            test = _Filter(query["$filter"]).parse()
            items = [e for e in items if test(e)]
        for key in reversed(query.get("$orderby", "").split(",") if query.get("$orderby") else []):
            field, _, direction = key.strip().partition(" ")
            items.sort(key=_sort_key(field), reverse=direction == "desc")
        if "$search" in query:
            word = query["$search"].strip('"').lower()
            items = [e for e in items if word in json.dumps(e).lower()]
        return items

    def list(self, svc: Service, path: str, url: str, query: dict[str, str], prefer: str) -> Reply:
        try:
            items = self.select_items(svc, path, query)
        except _Refused as refused:
            return refused.reply
        total = len(items)
        skip = int(query.get("$skip", 0))
        items = items[skip:]
        if "$top" in query:
            items = items[: int(query["$top"])]
        size_match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        size = int(size_match.group(1)) if size_match else 10
        headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if size_match else {}
        body: dict[str, Any] = {"@odata.context": f"{svc.root}/$metadata#{path}"}
        if query.get("$count") == "true":
            body["@odata.count"] = total
        body["value"] = [self.shape(svc, e, query, prefer, path) for e in items[:size]]
        if len(items) > size:
            rest = {k: v for k, v in query.items() if k not in ("$skip", "$top")}
            rest["$skip"] = str(skip + size)
            if "$top" in query:
                rest["$top"] = str(int(query["$top"]) - size)
            body["@odata.nextLink"] = f"{svc.root}/{path}?" + "&".join(
                f"{k}={quote(v, safe=chr(39) + '(),:/$@=')}" for k, v in rest.items()
            )
        return Reply(200, body, headers)

    def shape(self, svc: Service, entity: dict[str, Any], query: dict[str, str], prefer: str, path: str) -> Any:
        out = copy.deepcopy(entity)
        if "$select" in query:
            keep = {s.split("/")[0] for s in query["$select"].split(",")} | {svc.key, "@odata.etag"}
            out = {k: v for k, v in out.items() if k in keep}
        if "$expand" in query:
            for nav in _split_top(query["$expand"]):
                name = nav.split("(")[0]
                out[name] = [copy.deepcopy(a) for a in svc.collections.get(f"{path}/{entity[svc.key]}/{name}", [])]
        zone = re.search(r'outlook\.timezone="([^"]+)"', prefer)
        if zone:
            for prop in ("start", "end"):
                value = out.get(svc.n(prop))
                if isinstance(value, dict):
                    out[svc.n(prop)] = _in_zone(svc, value, zone.group(1))
        return out

    def delta(self, svc: Service, path: str, url: str, query: dict[str, str], prefer: str) -> Reply:
        if path.lower() == "me/calendarview":
            path = svc.n("me") + "/" + svc.n("events")
        token = query.get("$deltatoken")
        since = int(token[1:]) if token else 0
        items = [e for e in svc.collections.get(path, []) if svc.changed.get(e[svc.key], 0) > since]
        entries: list[dict[str, Any]] = [self.shape(svc, e, query, prefer, path) for e in items]
        if token:
            entries += [
                {svc.key: key, "@removed": {"reason": "deleted"}}
                for version, key in svc.removed.get(path, [])
                if version > since
            ]
        link = f"{svc.root}/{path}/delta()?$deltatoken=v{svc.version}"
        headers = {"Preference-Applied": "odata.track-changes"} if "odata.track-changes" in prefer else {}
        return Reply(200, {"value": entries, "@odata.deltaLink": link}, headers)

    def batch(self, svc: Service, body: Any, headers: dict[str, str]) -> Reply:
        statuses: dict[str, int] = {}
        responses = []
        for request in body["requests"]:
            rid = request["id"]
            if any(statuses.get(dep, 200) >= 400 for dep in request.get("dependsOn", [])):
                statuses[rid] = 424
                responses.append(
                    {
                        "id": rid,
                        "status": 424,
                        "body": error(424, "FailedDependency", "a request it depends on failed").body,
                    }
                )
                continue
            inner = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
            inner.setdefault("authorization", headers.get("authorization", ""))
            url = request["url"].lstrip("/")
            reply = self.route(svc, request["method"], f"{svc.root}/{url}", inner, request.get("body"))
            statuses[rid] = reply.status
            item: dict[str, Any] = {"id": rid, "status": reply.status, "headers": reply.headers}
            if reply.body is not None:
                item["body"] = reply.body
                item["headers"] = {"Content-Type": "application/json", **reply.headers}
            responses.append(item)
        return Reply(200, {"responses": responses})


async def _bytes(data: Any) -> Any:
    """A request body as aioresponses hands it over (bytes, a file being sent, an async iterator) as bytes."""
    if hasattr(data, "read"):
        return data.read()
    if hasattr(data, "__aiter__"):
        return b"".join([chunk async for chunk in data])
    return data


# The start of a JPEG file: enough for the samples to check what they read.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _split_top(text: str) -> Iterator[str]:
    depth, start = 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            yield text[start:i]
            start = i + 1
    yield text[start:]


def _merge(entity: dict[str, Any], changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        entity[name] = value


def _now() -> str:
    return "2026-11-20T08:00:00Z"


def _utc(svc: Service, entity: dict[str, Any], prop: str) -> datetime:
    value = entity[svc.n(prop)]
    return datetime.fromisoformat(value[svc.n("dateTime")][:19]).replace(tzinfo=UTC)


def _in_zone(svc: Service, value: dict[str, Any], zone_name: str) -> dict[str, Any]:
    from odatakit.timezones import windows_to_iana

    moment = datetime.fromisoformat(value[svc.n("dateTime")][:19]).replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(windows_to_iana(zone_name)))
    return {svc.n("dateTime"): local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), svc.n("timeZone"): zone_name}


# -- seed data -------------------------------------------------------------------------------------------
PEOPLE = [("Adele Vance", "adele@contoso.com"), ("Megan Bowen", "megan@contoso.com"), ("Lee Gu", "lee@contoso.com")]
SUBJECTS = [
    ("All hands", "high"),
    ("Plan the launch", "high"),
    ("Standup", "normal"),
    ("1:1 with Megan", "normal"),
    ("Lunch", "low"),
    ("Plan the offsite", "normal"),
    ("Budget review", "high"),
    ("Standup", "normal"),
    ("Design review", "normal"),
    ("Customer call", "high"),
    ("Standup", "normal"),
    ("Retrospective", "low"),
]


def seed(svc: Service) -> None:
    """Twelve events on Monday 23 to Friday 27 November 2026 (UTC), a calendar and the signed-in user."""
    n = svc.n
    me, events = n("me"), n("events")
    svc.singletons[me] = {
        svc.key: "48d31887-5fad-4d73-a9f5-3c356e68a038",
        n("displayName"): "Adele Vance",
        n("mail"): "adele@contoso.com",
        n("mailboxSettings"): {n("timeZone"): "UTC", n("language"): {n("locale"): "en-US"}},
    }
    day0 = datetime(2026, 11, 23, 9, 0)
    for i, (subject, importance) in enumerate(SUBJECTS):
        start = day0 + timedelta(days=i // 3, hours=2 * (i % 3))
        name, address = PEOPLE[i % 3]
        organizer = {n("emailAddress"): {n("name"): name, n("address"): address}}
        svc.add(
            f"{me}/{events}",
            {
                svc.key: f"AAMkAGI2TG93AAA{i + 1:03d}=",
                n("subject"): subject,
                n("importance"): importance,
                n("isAllDay"): False,
                n("start"): {n("dateTime"): start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), n("timeZone"): "UTC"},
                n("end"): {
                    n("dateTime"): (start + timedelta(minutes=30 if subject == "Standup" else 60)).strftime(
                        "%Y-%m-%dT%H:%M:%S.0000000"
                    ),
                    n("timeZone"): "UTC",
                },
                n("categories"): ["Blue category"] if importance == "high" else [],
                n("organizer"): organizer,
                n("attendees"): [{n("type"): "required", **organizer}],
                n("responseStatus"): {n("response"): "notResponded", n("time"): "0001-01-01T00:00:00Z"},
            },
        )
    svc.ids = len(SUBJECTS)
    first = f"{me}/{events}/AAMkAGI2TG93AAA002="
    svc.collections[f"{first}/{n('attachments')}"] = [
        {
            "@odata.type": "#microsoft.graph.fileAttachment"
            if not svc.pascal
            else "#Microsoft.OutlookServices.FileAttachment",
            svc.key: "AAMkAGI2TG93AAA002AAABEgAQ=",
            n("name"): "agenda.txt",
            n("contentType"): "text/plain",
            n("size"): 95,
            n("contentBytes"): "UGxhbjogbGF1bmNoIG9uIE1vbmRheS4=",
        }
    ]
    svc.add(f"{me}/{n('calendars')}", {svc.key: "AAMkAGI2TGuLAAA=", n("name"): "Calendar", n("color"): "auto"})
