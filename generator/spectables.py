"""Read API reference pages ("spec tables") into :class:`~generator.specmodel.SpecOperation`.

A reference page documents each operation with a *syntax block* (request lines with
placeholders), a *parameter table*, permission scopes and examples.  Two page shapes are read:

* Markdown sources.  Syntax blocks are fences whose request lines are templates: a
  ``no-highlight`` fence, a fence under an "HTTP request" heading, or a fence where every
  request line has a ``{placeholder}``.  Parameter tables are pipe tables that italic rows
  (``|_URL parameters_|``, ``|_Body parameters_|``, ``|_Header parameters_|``) split into
  parts.  Version sections (``[!INCLUDE [BEGIN Outlook v2 section](...)]``, as in
  :mod:`generator.samples`) say which API version a block documents.
* Plain text (a rendered page saved as text).  Parts start at bare lines such as
  "HTTP request", "Request headers", "Permissions"; a table is a header line whose words name
  the columns ("Name Type Description") and the rows under it, split on whitespace.

What the reader decides, and why:

* One operation per request line of a syntax block.  A line that repeats an operation already
  read (same version, method, prefix, path and query) and brings no table of its own, such as a
  client-library section pointing back at the REST syntax, adds nothing.  Every other request
  line is a sample: it is attached to the operation whose template it matches, looked for in
  the same version section, then the same titled section, then the whole page.
* The version is the version section's, else the URL's.  A URL naming another version than
  its section is filed under the section (the page says the operation belongs there) and
  warned about.
* A URL is split into host, prefix (the segments up to and including the version segment,
  kept as written, so ``/api/{version}`` stays) and path.  Key syntax ``('{x}')`` or ``({x})``
  becomes a ``/{x}`` segment.  A placeholder listing alternatives, ``{id | userPrincipalName}``,
  becomes its first alternative ``{id}`` (the key proper; the alternate key is an OData alternate
  key of the same segment), and ``written`` keeps the printed text.  Names that repeat in one
  path (Graph's ``/users/{id}/calendars/{id}``) are kept, in URL order.  Relative templates
  (``POST /me/events``) take host and prefix from the page's absolute request lines.
* A URL parameter is named after its placeholder, or after the query option or function
  parameter whose value it is (``startDateTime={start_datetime}`` gives ``startDateTime``).
  Table rows are matched to those names exactly (placeholder or owner name, any case), then,
  between exactly matched rows, in order when the gap holds as many rows as names (the
  tables list parameters in URL order), then by similarity (:mod:`difflib`) when one name
  stands out.  Body rows are matched to the keys of the operation's request samples the same
  way, with the JSON value's type as a constraint (a ``Collection(...)`` row only pairs with
  an array, a boolean with a boolean...).  A pair that is not exact needs evidence: similar
  names, a printed name that is prose rather than code (a translation: "Commentaire",
  "ID_événement", "名前"), or a telling JSON type; a code-like name that resembles nothing
  offered ("shelf_id" next to ``{part_id}``) is not taken for it.  A body row left over takes
  the name the same printed name got in another version of the same section; a name printed
  as a JSON key somewhere on the page is taken as is; a name reconciled in another section is
  reused with a warning; otherwise the printed name is kept and a warning says so.
* Headers: header rows of the tables (a ``Prefer`` row's second column is the preference),
  header lines of syntax blocks, ``Name: value`` mentions in a "Request headers" list, and the
  headers of the samples; a value is spelled as the page's code spells it.
* Requirement: a "Required?" column, else words in the description ("Obligatoire",
  "省略可"...), else a table heading that says every parameter is required ("Required
  parameter") for URL and body rows.  Path parameters are always required; a header row only
  when its own row says so (RFC 7240 lets servers ignore ``Prefer``, so a table heading does
  not make it mandatory).
* Status: the first 2xx status the page states for the block (status lines, prose such as
  "HTTP 202", API-explorer ``statusCode``), from the syntax block to the end of its version
  section or the next syntax block.

Problems are warnings in a :class:`~generator.errors.Diagnostics` with page and line; a page
that cannot be read at all (missing, not UTF-8, empty) or that hands on a name no wire name may
be (a quote, a backslash, a control or formatting character, whitespace in a request line's
query option or a ``name=value`` preference; see ``_Reader._table_name_ok`` and the two checks
after it) raises :class:`SpecError`.
Every vocabulary (EN/FR/JA) is in :mod:`generator.specvocab`.
"""

from __future__ import annotations

import functools
import glob as globmod
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs

from . import specvocab as vocab
from .errors import Diagnostics
from .samples import Sample, extract_samples
from .specalign import _STRING_LIKE, _Alignment, _json_keys
from .specmodel import SpecError, SpecHeader, SpecOperation, SpecParam, SpecSample
from .specpage import (
    _BODILESS,
    _EXPLORER_STATUS,
    _FRAMING_HEADERS,
    _HEADER_LINE,
    _Context,
    _Group,
    _Heading,
    _Op,
    _Page,
    _Row,
    _SampleRequest,
    _Table,
    _Template,
    _VSection,
)
from .spectext import (
    _canonical_header_name,
    _first_sentence,
    _fold,
    _header_identity,
    _header_name,
    _json_fits,
    _normalise_type,
    _plain,
    _translate_header_value,
)
from .specurls import (
    _PLACEHOLDER,
    _match_score,
    _parse_url,
    _Url,
    split_url,
)

__all__ = ["cache_folder", "expand_spec_paths", "read_page", "read_pages", "split_url"]


# A printed name in code form (an identifier, ASCII, starting lower case or with @ or $): a wire name as it stands.
_CAST_SEGMENT = re.compile(r"^[a-z][a-zA-Z]*(?:\.[a-zA-Z]+)+$")  # microsoft.graph.group
_ARGUMENT_NAME = re.compile(r"([A-Za-z_]\w*)\s*=")
_PARAMETER_PARTS = frozenset({"headers", "path", "query", "body"})
_WIRE_LIKE = re.compile(r"^[@$]?[a-z][A-Za-z0-9_.@-]*$")


class _Reader(_Page):
    """Reads one page (:meth:`read`); warnings go to the diagnostics as they are found."""

    # --- assembling ----------------------------------------------------------------------

    def read(self) -> list[SpecOperation]:
        """Read the page into operations."""
        self.layout()
        templates, requests, tables = self.collect()
        groups = self._group(templates, tables)
        ops = self._operations(groups, self._bases(templates, requests))
        samples = self._samples()
        self._attach_request_bodies(requests, samples)
        self._attach_samples(ops, requests)
        self._attach_responses(ops, samples)
        for group in groups:
            self._split_rows(group)
            self._match_url_rows(group)
        names = self._reconcile_bodies(groups, ops, samples)
        code_values = self._code_header_values(templates, requests)
        context = _Context(names, self.prose_headers(code_values), self.scope_statements(), code_values)
        result = [self._freeze(op, context) for op in ops]
        for table in tables:
            # A table of a titled section without request lines documents something else (values, notes).
            if not table.used and table.sectioned:
                self.warn(table.line - 1, "parameter table belongs to no syntax block (no request line above it)")
        if not result:
            self.warn(None, "no operation found: the page has no syntax block of request lines")
        return result

    def _samples(self) -> list[Sample]:
        """The page's JSON samples, from the sample extractor, with its warnings passed on."""
        samples, warnings = extract_samples(self.path, self.text, self.document)
        for message in warnings:
            where, _, why = message.partition(": ")
            line = where.rsplit(":", 1)[-1]
            self.warn(int(line) - 1 if line.isdigit() else None, why)
        return samples

    def _group(self, templates: list[_Template], tables: list[_Table]) -> list[_Group]:
        """Group templates by titled section and version section; give each its tables."""
        groups: list[_Group] = []
        for template in templates:
            index = template.line - 1
            title, vsection = self.title_of[index], self.vsection_of[index]
            group = next((g for g in groups if g.title is title and g.vsection is vsection), None)
            if group is None:
                group = _Group(title, vsection, start=index)
                groups.append(group)
            group.templates.append(template)
        groups.sort(key=lambda g: g.start)
        for position, group in enumerate(groups):
            later = [g.start for g in groups[position + 1 :] if g.start > group.start]
            group.end = min(later) if later else len(self.lines)
            if group.vsection is not None:
                group.end = min(group.end, group.vsection.end)
            # A table outside every version section serves the versions that have none.
            own = [t for t in tables if t.title is group.title and t.vsection is group.vsection]
            shared = [t for t in tables if t.title is group.title and t.vsection is None]
            group.tables = own or shared
            for table in group.tables:
                table.used = True
        # A table under a subsection of a group's section ("### OData query parameters" below the
        # syntax block) belongs to the nearest such group above it.
        for table in [t for t in tables if not t.used and t.part in _PARAMETER_PARTS]:
            heading = table.title.parent if table.title is not None else None
            while heading is not None:
                holders = [
                    g
                    for g in groups
                    if g.title is heading and g.start < table.line and g.vsection in (table.vsection, None)
                ]
                if holders:
                    holders[-1].tables.append(table)
                    table.used = True
                    break
                heading = heading.parent
        return groups

    def _bases(self, templates: list[_Template], samples: list[_SampleRequest]) -> list[_Url]:
        """Host and prefix of the page's absolute request lines (for relative templates)."""
        urls = [t.url for t in templates] + [_parse_url(s.url) for s in samples]
        return [url for url in urls if url.host and url.prefix]

    def _version_of(self, template: _Template, vsection: _VSection | None) -> str:
        """The version an operation belongs to: its section's, else its URL's."""
        if vsection is not None:
            if template.url.version and template.url.version != vsection.version:
                self.warn(
                    template.line - 1,
                    f"the request line addresses {template.url.version} inside the {vsection.version} "
                    f"section; the operation is filed under {vsection.version}",
                )
            return vsection.version
        return template.url.version or ""

    def _operations(self, groups: list[_Group], bases: list[_Url]) -> list[_Op]:
        """One operation per template, skipping bare repeats of an operation already read."""
        ops: list[_Op] = []
        seen: set[tuple[str, str, str, str, tuple[tuple[str, str], ...]]] = set()
        for group in groups:
            for template in group.templates:
                version = self._version_of(template, group.vsection)
                host, prefix = template.url.host, template.url.prefix
                if not host:
                    base = next((b for b in bases if b.version == version), bases[0] if bases else None)
                    # Without an absolute URL on the page, read_page / read_pages take the reference's.
                    if base is not None:
                        host, prefix = base.host, prefix or base.prefix
                        version = version or base.version or ""
                if not version:
                    version = self.default_version
                key = (version, template.method, prefix, template.url.path, tuple(template.url.query))
                if key in seen and not group.tables:
                    continue
                seen.add(key)
                ops.append(_Op(group, template, version, host, prefix))
        return ops

    def _attach_request_bodies(self, requests: list[_SampleRequest], samples: list[Sample]) -> None:
        """Give each sample request line the JSON body the sample extractor found after it."""
        ordered = sorted(requests, key=lambda r: r.line)
        for position, request in enumerate(ordered):
            if request.explorer:
                continue
            stop = ordered[position + 1].line if position + 1 < len(ordered) else len(self.lines) + 1
            request.body = next(
                (
                    sample.body
                    for sample in samples
                    if sample.kind == "request"
                    and request.line < sample.line < stop
                    and sample.url == request.url
                    and sample.method == request.method
                ),
                None,
            )

    def _best_op(
        self, ops: list[_Op], method: str | None, url: str, title: _Heading | None, vsection: _VSection | None
    ) -> _Op | None:
        """The operation whose template a sample URL matches best, nearest section first."""
        parsed = _parse_url(url)
        version = vsection.version if vsection is not None else parsed.version
        tiers: list[list[_Op]] = []
        if vsection is not None:
            tiers.append([op for op in ops if op.group.vsection is vsection])
        tiers.append([op for op in ops if op.group.title is title and (vsection is None or op.group.vsection is None)])
        tiers.append([op for op in ops if version is None or op.version == version])
        for tier in tiers:
            scored: list[tuple[int, int, _Op]] = []
            for position, op in enumerate(tier):
                if method is not None and op.template.method != method:
                    continue
                score = _match_score(op.template.url, parsed)
                if score is not None:
                    scored.append((score, -position, op))
            if scored:
                return max(scored, key=lambda item: (item[0], item[1]))[2]
        # An OData variant of a line ("/applications/$count", "/memberOf/microsoft.graph.group"): the line's.
        variant = [seg for seg in parsed.segments if seg != "$count" and not _CAST_SEGMENT.match(seg)]
        if variant != parsed.segments and variant:
            plain = attrs.evolve(parsed, segments=variant, written_segments=variant)
            for tier in tiers:
                found = [
                    (score, -position, op)
                    for position, op in enumerate(tier)
                    if (method is None or op.template.method == method)
                    and (score := _match_score(op.template.url, plain)) is not None
                ]
                if found:
                    return max(found, key=lambda item: (item[0], item[1]))[2]
        return None

    def _attach_samples(self, ops: list[_Op], requests: list[_SampleRequest]) -> None:
        """Attach sample request lines to the operations they exemplify."""
        for request in requests:
            op = self._best_op(ops, request.method, request.url, request.title, request.vsection)
            if op is None:
                host = _parse_url(request.url).host
                if host and ops and all(o.host and o.host != host for o in ops):
                    continue  # a request to another service (a callback the service sends), not an example
                shown = f"{request.method} {request.url}" if request.method else request.url
                self.warn(request.line - 1, f"sample request {shown} matches no request line of the page")
                continue
            op.samples.append(
                SpecSample("request", request.line, request.method, request.url, request.body, tuple(request.headers))
            )
            if request.body is not None:
                op.request_bodies.append(request.body)

    def _attach_responses(self, ops: list[_Op], samples: list[Sample]) -> None:
        """Attach response bodies (from the sample extractor) with the status shown before them."""
        for sample in samples:
            if sample.kind != "response":
                continue
            index = sample.line - 1
            op: _Op | None = None
            if sample.url:
                op = self._best_op(ops, sample.method, sample.url, self.title_of[index], self.vsection_of[index])
            else:
                holders = [o for o in ops if o.group.start <= index < o.group.end]
                op = holders[0] if len(holders) == 1 else None
            if op is not None:
                status = self._status_before(index)
                op.samples.append(
                    SpecSample(
                        "response",
                        sample.line,
                        sample.method,
                        sample.url,
                        sample.body,
                        (),
                        status,
                        sample.odata_type,
                        sample.collection,
                        sample.truncated,
                    )
                )

    def _status_before(self, index: int) -> int | None:
        """The status shown between a response body and the request it answers."""
        for earlier in range(index, max(-1, index - 40), -1):
            if earlier < index and (self._request(self.lines[earlier]) or '"requestUrl"' in self.lines[earlier]):
                break
            status = self.status_at(earlier)
            if status is not None:
                return status
        # An API-explorer descriptor may give its status after the response body.
        fence = self.fence_of[index]
        if fence is not None:
            for later in range(index, min(fence.end, len(self.lines))):
                explorer = _EXPLORER_STATUS.search(self.lines[later])
                if explorer:
                    return int(explorer.group("code"))
        return None

    def _code_header_values(self, templates: list[_Template], requests: list[_SampleRequest]) -> dict[str, list[str]]:
        """Header values as code blocks and request lines spell them, by header name."""
        headers = [h for t in templates for h in t.headers] + [h for r in requests for h in r.headers]
        for index, text in enumerate(self.lines):
            if self.fence_of[index] is not None and not self.hidden[index]:
                match = _HEADER_LINE.match(text.strip())
                if match and _header_name(match.group("name")):
                    headers.append(
                        SpecHeader(_canonical_header_name(match.group("name")), match.group("value").strip())
                    )
        values: dict[str, list[str]] = {}
        for header in headers:
            spelled = values.setdefault(header.name, [])
            if header.value not in spelled:
                spelled.append(header.value)
        return values

    # --- parameters ----------------------------------------------------------------------

    def _row_location(self, row: _Row, slot_names: set[str], method: str) -> str:
        """Where a table row's parameter goes: "url", "header" or "body"."""
        if row.section in ("url", "query"):
            return "url"
        if row.section in ("header", "body"):
            return row.section
        if _fold(row.name) in slot_names:
            return "url"
        if _header_name(row.name) or row.value:
            return "header"
        if method in _BODILESS:
            self.warn(row.line - 1, f"table row '{row.name}' is in no parameter section and matches no placeholder")
            return "url"
        return "body"

    def _split_rows(self, group: _Group) -> None:
        """Sort the group's table rows into URL, header and body rows."""
        slot_names = {_fold(n) for t in group.templates for s in t.slots for n in (s.name, s.placeholder)}
        method = group.templates[0].method
        for table in group.tables:
            for row in table.rows:
                where = self._row_location(row, slot_names, method)
                {"url": group.url_rows, "header": group.header_rows, "body": group.body_rows}[where].append(row)

    def _match_url_rows(self, group: _Group) -> None:
        """Match URL rows to the group's placeholders (``group.by_slot``), warning about leftovers."""
        rows = group.url_rows
        keys: list[str] = []
        aliases: dict[str, str] = {}
        for template in group.templates:
            for slot in template.slots:
                if slot.key not in keys:
                    keys.append(slot.key)
                for alias in (slot.key, slot.name, slot.placeholder, slot.written):
                    aliases.setdefault(_fold(alias), slot.key)
        exact: dict[int, str] = {}
        for position, row in enumerate(rows):
            key = aliases.get(_fold(row.name))
            if key is not None and key not in exact.values():
                exact[position] = key
        pairs = _Alignment(
            [row.name for row in rows], keys, lambda _row, _key: True, lambda _row, _key: False, 0.8
        ).run(exact)
        group.by_slot = {key: rows[position] for position, key in pairs.items()}
        lines = ", ".join(str(t.line) for t in group.templates)
        arguments = {
            _fold(name)
            for t in group.templates
            for segment in t.url.segments
            for name in _ARGUMENT_NAME.findall(segment)
        }
        for position, row in enumerate(rows):
            if position in pairs:
                continue
            if _fold(row.name) in arguments:
                continue  # a function parameter the request line gives a literal value (on='parameterValue')
            if row.section == "query":
                group.query_rows.append(row)  # an option the caller may add ($deltatoken, $top...)
                continue
            if position not in pairs:
                self.warn(
                    row.line - 1,
                    f"URL parameter '{row.name}' in the table has no placeholder in the request line(s) at {lines}",
                )
        # A table describing some placeholders and leaving out others leaves them undocumented; a table
        # describing none documents something else (its rows are warned about above).
        described = {slot.location for t in group.templates for slot in t.slots if slot.key in group.by_slot}
        if described:
            for template in group.templates:
                for slot in template.slots:
                    # Only where the table describes others of the kind: a query table says nothing of keys.
                    if slot.key not in group.by_slot and slot.location in described:
                        self.warn(
                            template.line - 1, f"placeholder {{{slot.written}}} is not described in the parameter table"
                        )

    def _reconcile_bodies(self, groups: list[_Group], ops: list[_Op], samples: list[Sample]) -> dict[int, str]:
        """Canonical names of body rows, by ``id(row)``; warnings for the unreconciled."""
        names: dict[int, str] = {}
        pending: list[tuple[_Group, _Row]] = []
        for group in groups:
            rows = group.body_rows
            if not rows:
                continue
            types = [_normalise_type(row.type_text)[0] for row in rows]
            votes: dict[int, set[str]] = {}
            for body in [b for op in ops if op.group is group for b in op.request_bodies if isinstance(b, dict)]:
                keys = [str(key) for key in body]
                exact: dict[int, str] = {}
                for position, row in enumerate(rows):
                    match = next((key for key in keys if _fold(key) == _fold(row.name)), None)
                    if match is not None and match not in exact.values():
                        exact[position] = match

                def fits(position: int, key: str, body: dict[str, Any] = body, types: list[str | None] = types) -> bool:
                    return _json_fits(types[position], body[key])

                def typed(position: int, key: str, types: list[str | None] = types) -> bool:
                    # Only a type other than a string tells one property from another.
                    kind = types[position]
                    return kind is not None and kind not in _STRING_LIKE and fits(position, key)

                pairs = _Alignment([row.name for row in rows], keys, fits, typed, 0.6).run(exact)
                for position, key in pairs.items():
                    votes.setdefault(position, set()).add(key)
            for position, row in enumerate(rows):
                choices = sorted(votes.get(position, set()))
                if len(choices) == 1:
                    names[id(row)] = choices[0]
                    continue
                if choices:
                    self.warn(row.line - 1, f"body parameter '{row.name}' matches different sample keys: {choices}")
                pending.append((group, row))
        self._fallback_names(groups, pending, names, samples, ops)
        return names

    def _fallback_names(
        self,
        groups: list[_Group],
        pending: list[tuple[_Group, _Row]],
        names: dict[int, str],
        samples: list[Sample],
        ops: list[_Op],
    ) -> None:
        """Name body rows no request sample settles: same row elsewhere, or JSON on the page."""
        vocabulary: set[str] = set()
        for body in [s.body for s in samples] + [b for op in ops for b in op.request_bodies]:
            vocabulary |= _json_keys(body)
        learned = [
            (group.title, row.name, names[id(row)], row.line)
            for group in groups
            for row in group.body_rows
            if id(row) in names and names[id(row)] != row.name
        ]
        for group, row in pending:
            if id(row) in names:
                continue  # a table shared by several versions, settled through one of them
            # Another version of the same section printed the same name and had a sample.
            same_section = {name for title, written, name, _ in learned if title is group.title and written == row.name}
            if len(same_section) == 1:
                names[id(row)] = same_section.pop()
                continue
            if row.name in vocabulary:
                continue
            elsewhere = {name: line for _, written, name, line in learned if written == row.name}
            if len(elsewhere) == 1:
                name, line = next(iter(elsewhere.items()))
                self.warn(
                    row.line - 1,
                    f"body parameter '{row.name}' has no request sample; named '{name}' after the same "
                    f"printed name at line {line}",
                )
                names[id(row)] = name
                continue
            if _WIRE_LIKE.match(row.name):
                continue  # a name printed as code is a wire name: an update page lists more than its sample sets
            self.warn(
                row.line - 1,
                f"body parameter '{row.name}' matches no key of a request sample nor any JSON on the page; "
                "kept as printed (unconfirmed name)",
            )

    def _params(self, op: _Op, context: _Context) -> tuple[list[SpecParam], list[SpecHeader]]:
        """An operation's parameters (URL order, then header and body rows) and table headers."""
        group = op.group
        all_required = any(table.all_required for table in group.tables)
        # A row is typed when its own table has a type column (a header table beside it need not).
        typed = {id(row) for table in group.tables if table.has_type for row in table.rows}
        params: list[SpecParam] = []
        headers: list[SpecHeader] = []
        for slot in op.template.slots:
            row = group.by_slot.get(slot.key)
            required: bool | None = True
            if slot.location == "query" and row is not None:
                # A query option of the template is needed unless its row says otherwise.
                required = self._row_required(row, all_required)
                required = True if required is None else required
            params.append(
                SpecParam(
                    name=slot.name,
                    location=slot.location,
                    type=self._row_type(row, id(row) in typed) if row else None,
                    required=required,
                    default=row.default if row else None,
                    description=row.description if row else "",
                    written=row.name if row else slot.written,
                    line=row.line if row else op.template.line,
                )
            )
        for row in group.header_rows:
            name = _canonical_header_name(row.name)
            type_name, _ = _normalise_type(row.type_text)
            value = row.value
            if type_name is None or not type_name.startswith("Edm."):
                # Header tables often put the value in the type column ("Prefer: | outlook.timezone").
                if row.type_text and not value:
                    value = _plain(row.type_text)
                type_name = "Edm.String"
            if not value and _PLACEHOLDER.search(_first_sentence(row.description)):
                value = _first_sentence(row.description)
            value = self._header_value(name, _translate_header_value(value), context.code_values)
            params.append(
                SpecParam(
                    name=name,
                    location="header",
                    type=type_name,
                    required=row.required_cell if row.required_cell is not None else row.required_text,
                    default=row.default,
                    description=row.description,
                    written=row.name,
                    line=row.line,
                )
            )
            headers.append(SpecHeader(name, value, row.line))
        for row in group.body_rows:
            params.append(
                SpecParam(
                    name=context.body_names.get(id(row), row.name),
                    location="body",
                    type=self._row_type(row, id(row) in typed),
                    required=self._row_required(row, all_required),
                    default=row.default,
                    description=row.description,
                    written=row.name,
                    line=row.line,
                )
            )
        return params, headers

    def _query_options(self, op: _Op) -> tuple[SpecParam, ...]:
        """Query options the page documents for the operation without its request line naming them:
        optional parts of the line ("[?includeIDs=true]") and rows of its query tables."""
        options: dict[str, SpecParam] = {}
        for name, value in op.template.optional:
            written = f"[?{name}={value}]" if value else f"[?{name}]"
            options.setdefault(
                name, SpecParam(name, "query", None, False, value or None, "", written, op.template.line)
            )
        for row in op.group.query_rows:
            type_name, _ = _normalise_type(row.type_text) if row.type_text else (None, None)
            options.setdefault(
                row.name,
                SpecParam(row.name, "query", type_name, False, row.default, row.description, row.name, row.line),
            )
        return tuple(options.values())

    def _headers(self, op: _Op, table_headers: list[SpecHeader], context: _Context) -> tuple[SpecHeader, ...]:
        """Headers from the tables, the syntax block, prose lists and samples, first mention kept."""
        mentioned = list(table_headers) + list(op.template.headers)
        mentioned += [header for index, header in context.prose_headers if self._applies(index, op.group)]
        # Content-Length only frames one sample's body; it says nothing about the operation.
        mentioned += [h for sample in op.samples for h in sample.headers if h.name not in _FRAMING_HEADERS]
        unique: dict[tuple[str, str], SpecHeader] = {}
        for header in mentioned:
            unique.setdefault(_header_identity(header.name, header.value), header)
        return tuple(unique.values())

    def _header_value(self, name: str, value: str, code_values: dict[str, list[str]]) -> str:
        """A header value from a table, spelled like the page's code when only case differs."""
        for candidate in code_values.get(name, []):
            if _fold(candidate) == _fold(value):
                return candidate
            token = candidate.split("=")[0]
            if _fold(token) == _fold(value):
                return token
        return value

    def _row_type(self, row: _Row, has_type: bool) -> str | None:
        """The normalised type of a row (warning about what cannot be normalised)."""
        if not has_type:
            self.warn(row.line - 1, f"the table gives no type for '{row.name}' (no type column)")
            return None
        type_name, problem = _normalise_type(row.type_text)
        if problem:
            self.warn(row.line - 1, f"'{row.name}': {problem}")
        elif type_name is None:
            self.warn(row.line - 1, f"'{row.name}': the type cell is empty")
        return type_name

    @staticmethod
    def _row_required(row: _Row, all_required: bool) -> bool | None:
        """Whether a URL or body row is required: its own cell or words, else the table heading."""
        if row.required_cell is not None:
            return row.required_cell
        if row.required_text is not None:
            return row.required_text
        return True if all_required else None

    def _applies(self, index: int, group: _Group) -> bool:
        """Whether something stated at a line applies to a group: same or enclosing section,
        and no other version section."""
        vsection = self.vsection_of[index]
        if vsection is not None and vsection is not group.vsection:
            return False
        title = self.title_of[index]
        heading = group.title
        while heading is not None:
            if heading is title:
                return True
            heading = heading.parent
        return title is None

    def _scopes(self, op: _Op, statements: list[tuple[int, list[str]]]) -> tuple[str, ...]:
        """The scopes stated for the operation's section, else for the nearest enclosing one."""
        heading = op.group.title
        while True:
            here = [
                scopes
                for index, scopes in statements
                if self.title_of[index] is heading
                and (self.vsection_of[index] is None or self.vsection_of[index] is op.group.vsection)
            ]
            if here:
                ordered: list[str] = []
                for scopes in here:
                    ordered.extend(scope for scope in scopes if scope not in ordered)
                return tuple(ordered)
            if heading is None:
                return ()
            heading = heading.parent

    def _permissions(self, op: _Op) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The permissions table of the operation's section, else of the nearest enclosing one."""
        heading = op.group.title
        while True:
            here = [
                found
                for index, found in self.permissions
                if self.title_of[index] is heading
                and (self.vsection_of[index] is None or self.vsection_of[index] is op.group.vsection)
            ]
            if here:
                kinds = ("delegated-work", "delegated-personal", "application")
                return tuple((kind, here[0][kind]) for kind in kinds if kind in here[0])
            if heading is None:
                return ()
            heading = heading.parent

    def _status(self, op: _Op) -> int | None:
        """The first success status stated between the syntax block and the block's end."""
        for index in range(op.group.start, op.group.end):
            status = self.status_at(index)
            if status is not None and 200 <= status < 300:
                return status
        return None

    def _freeze(self, op: _Op, context: _Context) -> SpecOperation:
        """The finished, immutable operation."""
        params, table_headers = self._params(op, context)
        headers = self._headers(op, table_headers, context)
        self._check_preferences(headers, params, op.template.line)
        service = next((name for host, name in vocab.SERVICE_HOSTS.items() if op.host.endswith("//" + host)), None)
        return SpecOperation(
            page=self.page,
            line=op.template.line,
            service=service or op.host.split("//")[-1],
            version=op.version,
            method=op.template.method,
            host=op.host,
            prefix=op.prefix,
            path=op.template.url.path,
            query=tuple(op.template.url.query),
            params=tuple(params),
            headers=headers,
            scopes=self._scopes(op, context.scopes),
            permissions=self._permissions(op),
            query_options=self._query_options(op),
            status=self._status(op),
            title=op.group.title.text if op.group.title else self._page_title(),
            anchor=op.group.title.anchor if op.group.title else "",
            samples=tuple(sorted(op.samples, key=lambda s: s.line)),
        )


# --- entry points --------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """The page's bytes, or a SpecError saying why it cannot be read."""
    page = path.name or str(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SpecError("page does not exist", page=page) from None
    except IsADirectoryError:
        raise SpecError("page is a directory, not a file", page=page) from None
    except OSError as error:
        raise SpecError(f"page cannot be read: {error.strerror or error}", page=page) from None


def _decode(path: Path, data: bytes) -> str:
    """The page's text, or a SpecError saying why it is not text."""
    page = path.name or str(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SpecError(
            f"page is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})", page=page, line=line
        ) from None
    if not text.strip():
        raise SpecError("page is empty", page=page)
    return text


def _service(host: str) -> str:
    """The short service name of a host ("graph"), or the host itself."""
    name = next((name for known, name in vocab.SERVICE_HOSTS.items() if host.endswith("//" + known)), None)
    return name or host.split("//")[-1]


def _with_base(
    ops: Sequence[SpecOperation], base: tuple[str, str, str] | None, diagnostics: Diagnostics
) -> list[SpecOperation]:
    """Give relative request lines of pages without an absolute URL the reference's host, prefix and version
    (`base`, what the other pages address); without one, say what cannot be told."""
    out: list[SpecOperation] = []
    for op in ops:
        if not op.host:
            if base is None:
                diagnostics.warn("relative request line and no absolute URL on the page", source=op.page, line=op.line)
                if not op.version:
                    diagnostics.warn("cannot tell the API version of this request line", source=op.page, line=op.line)
            else:
                host, prefix, version = base
                op = attrs.evolve(
                    op, host=host, prefix=op.prefix or prefix, version=op.version or version, service=_service(host)
                )
        out.append(op)
    return out


def _common_base(ops: Iterable[SpecOperation]) -> tuple[str, str, str] | None:
    """The (host, prefix, version) most request lines address, or None when none is absolute."""
    counts = Counter((op.host, op.prefix, op.version) for op in ops if op.host and op.prefix and op.version)
    return counts.most_common(1)[0][0] if counts else None


# --- the cache of read pages -----------------------------------------------------------------------
# A page's operations and warnings depend only on its bytes, its file name and this reader's code: they
# are kept in a cache folder keyed by a hash of the three, so a reference of 2,000 pages is read once.


@functools.cache
def _reader_version() -> str:
    """A hash of the reader's own source (every module that decides what a page says)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in (
        "mdtree",
        "samples",
        "specalign",
        "specmodel",
        "specpage",
        "spectables",
        "spectext",
        "specurls",
        "specvocab",
        "identifiers",
        "errors",
    ):
        source = here / f"{name}.py"
        digest.update(source.read_bytes() if source.is_file() else name.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def cache_folder() -> Path:
    """Where read pages are cached: ``$ODATAKIT_CACHE``, else ``$XDG_CACHE_HOME/odatakit``, else ``~/.cache/odatakit``."""
    explicit = os.environ.get("ODATAKIT_CACHE")
    if explicit:
        return Path(explicit) / "spec-pages"
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "odatakit" / "spec-pages"


_Warning = tuple[str, int | None]
_Read = tuple[list[SpecOperation], list[_Warning]]
# Cached pages are JSON, read back into the reader's attrs classes: a cache file is data, never code
# (a pickle would run whatever anyone able to write the cache folder put there).
_CACHE_FORMAT = cattrs.Converter()
_READ_TYPE: Any = _Read  # a generic alias: what cattrs structures by, which mypy's `type[T]` does not take


def _read_fresh(page_path: Path, data: bytes) -> _Read:
    """Read one page (its bytes given) into operations and the warnings said about it."""
    text = _decode(page_path, data)
    collected = Diagnostics(per_kind=10**9, most=10**9)
    operations = _Reader(page_path.name, page_path, text, collected).read()
    return operations, [(w.message, w.line) for w in collected.warnings]


def _cache_entry(page_path: Path, data: bytes, cache: Path) -> Path:
    key = hashlib.sha256(b"\0".join([_reader_version().encode(), page_path.name.encode(), data])).hexdigest()
    return cache / key[:2] / key


def _from_cache(path: Path, cache: Path | None) -> _Read | None:
    """A page's operations and warnings as the cache holds them, or None."""
    if cache is None:
        return None
    try:
        with _cache_entry(path, _read_bytes(path), cache).open("rb") as handle:
            found: _Read = _CACHE_FORMAT.structure(json.load(handle), _READ_TYPE)
        return found
    except (OSError, ValueError, TypeError, KeyError, cattrs.BaseValidationError):
        # Missing, torn or from another reader: the page is read again.
        return None


def _read_cached(path: str | Path, cache: Path | None) -> _Read:
    """One page's operations and warnings, read and written to the cache (when there is one)."""
    page_path = Path(path)
    data = _read_bytes(page_path)
    if cache is None:
        return _read_fresh(page_path, data)
    entry = _cache_entry(page_path, data, cache)
    result = _read_fresh(page_path, data)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(_CACHE_FORMAT.unstructure(result), handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, entry)
    except OSError:
        pass  # a read-only or full disk: the page was read all the same
    return result


def read_page(path: str | Path, diagnostics: Diagnostics | None = None) -> list[SpecOperation]:
    """Read one reference page into its operations, warning about what cannot be reconciled."""
    collected = diagnostics if diagnostics is not None else Diagnostics()
    operations, warnings = _read_fresh(Path(path), _read_bytes(Path(path)))
    page = Path(path).name or str(path)
    for message, line in warnings:
        collected.warn(message, source=page, line=line)
    return _with_base(operations, _common_base(operations), collected)


def read_pages(
    paths: Iterable[str | Path],
    diagnostics: Diagnostics | None = None,
    *,
    cache: Path | None = None,
    jobs: int = 1,
) -> list[SpecOperation]:
    """Read several reference pages; operations in page order, warnings in one collection.

    Relative request lines of a page without an absolute URL take the host, prefix and version most
    of the pages' lines address (one reference documents one API).  `cache` is a folder where read
    pages are kept by the hash of their bytes and this reader's code (:func:`cache_folder`); `jobs`
    processes read the pages the cache does not hold.
    """
    collected = diagnostics if diagnostics is not None else Diagnostics()
    pages = [Path(p) for p in paths]
    results: list[_Read | None] = [_from_cache(page, cache) for page in pages]
    missing = [page for page, found in zip(pages, results, strict=True) if found is None]
    if jobs > 1 and len(missing) > 50:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            read = iter(pool.map(_read_cached, missing, [cache] * len(missing), chunksize=16))
            results = [found if found is not None else next(read) for found in results]
    else:
        results = [
            found if found is not None else _read_cached(page, cache)
            for page, found in zip(pages, results, strict=True)
        ]
    operations: list[SpecOperation] = []
    for page, result in zip(pages, results, strict=True):
        assert result is not None
        found, warnings = result
        for message, line in warnings:
            collected.warn(message, source=page.name or str(page), line=line)
        operations.extend(found)
    return _with_base(operations, _common_base(operations), collected)


def expand_spec_paths(given: Iterable[str]) -> list[str]:
    """`--spec` arguments as files: a folder gives its ``*.md`` pages, a glob its matches (sorted); a
    file or URL stays as given.  A folder or glob matching nothing is a :class:`SpecError`."""
    out: list[str] = []
    for item in given:
        path = Path(item)
        if path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in (".md", ".markdown") and p.is_file())
        elif any(char in item for char in "*?[") and not path.exists():
            found = sorted(globmod.glob(item, recursive=True))
        else:
            out.append(item)
            continue
        if not found:
            raise SpecError("no reference page there (a folder's *.md files, or a glob's matches)", page=item)
        out.extend(found)
    return out
