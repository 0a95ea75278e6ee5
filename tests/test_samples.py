"""Tests for generator.samples against the seed reference pages, and for the Outlook v2.0 overlay."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from generator.samples import Sample, extract_samples

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
BASE_METADATA = SHARED / "external" / "outlookservices-vipr" / "Exchange-OutlookServices-2015-10.edmx.xml"
OVERLAY = ROOT / "schemas" / "outlook_v2.overlay.xml"

FRENCH = "000_4f943cbb13d26cd2.txt"
GRAPH_CREATE = "001_f9e9bf820bf01100.txt"
GRAPH_LIST = "002_a70b48ea29734876.txt"
JAPANESE = "003_07f9522caa828b14.txt"

EDM = "http://docs.oasis-open.org/odata/ns/edm"
SEED_PAGE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
SEED_REF = re.compile(r"(\d{3}_[0-9a-f]{16}\.txt):(\d+)")

needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"seed pages not available: {SEEDS} is missing (shared checkout not present)"
)


def _extract(name: str) -> tuple[list[Sample], list[str]]:
    return extract_samples(SEEDS / name)


def _page_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").splitlines()


def _key(sample: Sample) -> tuple[str | None, str | None, str, str]:
    return sample.method, sample.url, sample.kind, json.dumps(sample.body, sort_keys=True)


# --- counts -------------------------------------------------------------------------------

# Counted by hand (and with an awk pass over the fences that shares no code with the module):
# JSON blocks per version section minus the ones that are not valid JSON; in the French v1.0
# sections 18 "API explorer" blocks hold 6 requestBody and 14 responseBody values between them.
EXPECTED_COUNTS = {
    FRENCH: {
        ("beta", "request"): 15,
        ("beta", "response"): 18,
        ("v2.0", "request"): 9,
        ("v2.0", "response"): 12,
        ("v1.0", "request"): 9,
        ("v1.0", "response"): 16,
    },
    JAPANESE: {
        ("beta", "request"): 15,
        ("beta", "response"): 18,
        ("v2.0", "request"): 9,
        ("v2.0", "response"): 12,
        ("v1.0", "request"): 3,
        ("v1.0", "response"): 2,
    },
    GRAPH_CREATE: {("v1.0", "request"): 4, ("v1.0", "response"): 3},
    GRAPH_LIST: {("beta", "response"): 3},
}
EXPECTED_TOTALS = {FRENCH: 79, JAPANESE: 59, GRAPH_CREATE: 7, GRAPH_LIST: 3}
EXPECTED_WARNING_COUNTS = {FRENCH: 15, JAPANESE: 15, GRAPH_CREATE: 1, GRAPH_LIST: 0}
EXPECTED_SERVICE = {FRENCH: "outlook", JAPANESE: "outlook", GRAPH_CREATE: "graph", GRAPH_LIST: "graph"}


@needs_seeds
@pytest.mark.parametrize("page", sorted(EXPECTED_COUNTS))
def test_sample_counts_per_page_and_version(page: str) -> None:
    samples, warnings = _extract(page)
    assert len(samples) == EXPECTED_TOTALS[page]
    assert collections.Counter((s.version, s.kind) for s in samples) == EXPECTED_COUNTS[page]
    assert len(warnings) == EXPECTED_WARNING_COUNTS[page]
    assert {s.service for s in samples} == {EXPECTED_SERVICE[page]}
    assert {s.page for s in samples} == {page}


@needs_seeds
@pytest.mark.parametrize("page", sorted(EXPECTED_COUNTS))
def test_sample_lines_point_at_the_json(page: str) -> None:
    lines = _page_lines(page)
    for sample in _extract(page)[0]:
        text = lines[sample.line - 1]
        # Ordinary samples start on their line; API-explorer bodies start after their key.
        assert text.lstrip()[:1] in "{[" or re.search(r'"(request|response)Body"\s*:\s*[{\[]', text), sample.line


# --- French and Japanese copies ---------------------------------------------------------------


@needs_seeds
def test_french_and_japanese_v2_samples_are_identical() -> None:
    french = [_key(s) for s in _extract(FRENCH)[0] if s.version == "v2.0"]
    japanese = [_key(s) for s in _extract(JAPANESE)[0] if s.version == "v2.0"]
    assert len(french) == 21
    assert french == japanese


@needs_seeds
def test_french_and_japanese_beta_differ_only_in_three_calendar_responses() -> None:
    french = [s for s in _extract(FRENCH)[0] if s.version == "beta"]
    japanese = [s for s in _extract(JAPANESE)[0] if s.version == "beta"]
    assert [(s.method, s.url, s.kind) for s in french] == [(s.method, s.url, s.kind) for s in japanese]
    differing = [(fr, ja) for fr, ja in zip(french, japanese, strict=True) if fr.body != ja.body]
    # The Japanese translation comes from a later revision whose calendar samples gained
    # IsDefaultCalendar (and Color in two of them).
    assert [(fr.line, ja.line) for fr, ja in differing] == [(7044, 6249), (7281, 6461), (7511, 6669)]
    for fr, ja in differing:
        assert set(ja.body) - set(fr.body) >= {"IsDefaultCalendar"}
        assert {k: v for k, v in ja.body.items() if k in fr.body} == fr.body


@needs_seeds
def test_japanese_v1_lacks_the_api_explorer_samples() -> None:
    french = {_key(s) for s in _extract(FRENCH)[0] if s.version == "v1.0"}
    japanese = {_key(s) for s in _extract(JAPANESE)[0] if s.version == "v1.0"}
    assert japanese < french
    assert len(french - japanese) == 20


# --- specific samples -------------------------------------------------------------------------


@needs_seeds
def test_outlook_v2_create_event_request_and_response() -> None:
    samples = [
        s
        for s in _extract(FRENCH)[0]
        if s.version == "v2.0" and s.url == "https://outlook.office.com/api/v2.0/me/events"
    ]
    request, response = samples
    assert (request.line, request.method, request.kind) == (3665, "POST", "request")
    assert {"Subject", "Attendees", "Start", "End", "Body"} <= set(request.body)
    assert request.body["Start"] == {"DateTime": "2014-02-02T18:00:00", "TimeZone": "Pacific Standard Time"}
    assert (response.line, response.method, response.kind) == (3696, "POST", "response")
    assert response.body["Subject"] == request.body["Subject"]


@needs_seeds
def test_outlook_accept_request_and_bare_url_example() -> None:
    samples = _extract(FRENCH)[0]
    accept = next(s for s in samples if s.line == 4715)
    assert accept.version == "v2.0"
    assert accept.method == "POST" and accept.url is not None and accept.url.endswith("')/accept")
    assert accept.body == {"Comment": "Great idea!", "SendResponse": "true"}
    # The "get calendars" example gives the URL without a method.
    calendars = next(s for s in samples if s.line == 6912)
    assert (calendars.method, calendars.url, calendars.kind) == (
        None,
        "https://outlook.office.com/api/v2.0/me/calendars",
        "response",
    )


@needs_seeds
def test_api_explorer_block_is_split_into_request_and_response() -> None:
    samples = [s for s in _extract(FRENCH)[0] if s.line in (3802, 3823)]
    request, response = samples
    assert (request.kind, request.method, request.version) == ("request", "POST", "v1.0")
    assert request.url == "https://outlook.office.com/api/v1.0/me/events"
    assert request.body["Start"] == "2014-02-02T18:00:00-08:00"
    assert response.kind == "response" and response.body["Id"].startswith("AAMkAGE0MGM1")


@needs_seeds
def test_graph_create_event_samples() -> None:
    samples = _extract(GRAPH_CREATE)[0]
    assert [(s.line, s.kind) for s in samples] == [
        (82, "request"),
        (121, "response"),
        (220, "request"),
        (286, "response"),
        (414, "request"),
        (579, "request"),
        (619, "response"),
    ]
    assert {(s.method, s.url, s.version) for s in samples} == {
        ("POST", "https://graph.microsoft.com/v1.0/me/events", "v1.0")
    }
    first = samples[0]
    assert first.body["subject"] == "Let's go for lunch"
    assert first.body["transactionId"] == "7E163156-7762-4BEB-A1C6-729EA81755A7"
    assert samples[-1].body["onlineMeeting"]["conferenceId"] == "177513992"


@needs_seeds
def test_graph_list_events_samples() -> None:
    samples = _extract(GRAPH_LIST)[0]
    assert [(s.line, s.kind, s.method) for s in samples] == [
        (89, "response", "GET"),
        (111, "response", "GET"),
        (144, "response", "GET"),
    ]
    assert samples[0].url == "https://graph.microsoft.com/beta/me/calendar/events"
    assert samples[2].url == "https://graph.microsoft.com/beta/me/calendar/events?$filter=startsWith(subject,'All')"
    assert samples[2].body["value"][0]["subject"] == "All APIs Testing"
    assert all(s.version == "beta" for s in samples)


# --- warnings ---------------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize("page", sorted(EXPECTED_COUNTS))
def test_warnings_name_page_and_line_of_a_json_start(page: str) -> None:
    lines = _page_lines(page)
    for warning in _extract(page)[1]:
        match = re.match(rf"^{re.escape(page)}:(\d+): \S", warning)
        assert match, warning
        assert lines[int(match.group(1)) - 1].lstrip().startswith("{"), warning


@needs_seeds
def test_known_broken_samples_are_reported() -> None:
    french = _extract(FRENCH)[1]
    # v2.0 calendar-view sync responses: missing commas and a missing quote.
    assert any(w.startswith(f"{FRENCH}:2383: invalid JSON") for w in french)
    assert any(w.startswith(f"{FRENCH}:2461: invalid JSON") for w in french)
    # "TimeZone": ""Pacific Standard Time" in the v2.0 get-event response.
    assert any(w.startswith(f"{FRENCH}:1617: invalid JSON") for w in french)
    japanese = _extract(JAPANESE)[1]
    assert any(w.startswith(f"{JAPANESE}:1865: invalid JSON") for w in japanese)
    # Example 3's response ends with "},\n}" (a trailing comma).
    assert _extract(GRAPH_CREATE)[1] == [
        f"{GRAPH_CREATE}:464: invalid JSON (Expecting property name enclosed in double quotes at line 567)"
    ]


# --- synthetic pages --------------------------------------------------------------------------

SYNTHETIC_MARKDOWN = """\
# Some API

[!INCLUDE [BEGIN Outlook v2 section](x)]

**Example request**

```http
POST https://outlook.office.com/api/v2.0/me/things
Content-Type: application/json

{"Name": "ok"}
```

**Example response**

Status code: 201

```json
{"Name": "ok", "Id": 1
```

```cs
var x = new Thing
{
    Name = "not json"
};
```

<!-- commented out
```REST
{"Name": "hidden"}
-->

[!INCLUDE [END Outlook v2 section](x)]

### Response

```
HTTP/1.1 200 OK

{"value": []}
```

```
{"unterminated": [1, 2
"""

SYNTHETIC_PLAIN = """\
Request

PUT https://graph.microsoft.com/beta/me/things/1
Content-type: application/json

{
  "name": "a {brace} in a string",
  "note": "and a quote \\" too"
}

Response

HTTP/1.1 200 OK

{
  "name": "cut short",
  "items": [
    {"a": 1},

Example 2

GET https://graph.microsoft.com/v1.0/me/things

{
  "value": [ ... ]
}

{"last": true}
"""


def test_synthetic_markdown_page(tmp_path: Path) -> None:
    page = tmp_path / "synthetic.md"
    page.write_text(SYNTHETIC_MARKDOWN, encoding="utf-8")
    samples, warnings = extract_samples(page)
    assert [(s.line, s.kind, s.version, s.method, s.body) for s in samples] == [
        (11, "request", "v2.0", "POST", {"Name": "ok"}),
        (41, "response", "", None, {"value": []}),
    ]
    assert samples[0].service == "outlook"
    assert samples[0].url == "https://outlook.office.com/api/v2.0/me/things"
    assert [w.split(": ")[0] for w in warnings] == ["synthetic.md:19", "synthetic.md:44", "synthetic.md:45"]
    assert "not closed" in warnings[0]
    assert "never closed" in warnings[1]
    assert "not closed" in warnings[2]


def test_synthetic_plain_text_page(tmp_path: Path) -> None:
    page = tmp_path / "plain.txt"
    page.write_text(SYNTHETIC_PLAIN, encoding="utf-8")
    samples, warnings = extract_samples(page)
    assert [(s.line, s.kind, s.method, s.version, s.service) for s in samples] == [
        (6, "request", "PUT", "beta", "graph"),
        (28, "response", "GET", "v1.0", "graph"),
    ]
    assert samples[0].body == {"name": "a {brace} in a string", "note": 'and a quote " too'}
    assert samples[1].body == {"last": True}
    assert warnings == [
        "plain.txt:15: JSON value is not closed (truncated sample)",
        "plain.txt:24: invalid JSON (Expecting value at line 25)",
    ]


def test_empty_and_prose_only_pages(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert extract_samples(empty) == ([], [])
    prose = tmp_path / "prose.txt"
    prose.write_text("Réponse\n\n[1] a footnote, not JSON\nGET /me/events\n", encoding="utf-8")
    assert extract_samples(str(prose)) == ([], [])


# --- the overlay ------------------------------------------------------------------------------


def _overlay_schema() -> etree._Element:
    text = OVERLAY.read_text(encoding="utf-8")
    assert "<!DOCTYPE" not in text
    tree = etree.parse(str(OVERLAY))
    root = tree.getroot()
    assert root.tag == "{http://docs.oasis-open.org/odata/ns/edmx}Edmx" and root.get("Version") == "4.0"
    schemas = root.findall(f".//{{{EDM}}}Schema")
    assert len(schemas) == 1 and schemas[0].get("Namespace") == "Microsoft.OutlookServices"
    return schemas[0]


def _comment_before(el: etree._Element) -> str:
    """The comment directly above an element (whitespace aside), or ""."""
    previous = el.getprevious()
    return (previous.text or "") if isinstance(previous, etree._Comment) else ""


def _nearest_comment(el: etree._Element) -> str:
    """The closest comment before an element in document order."""
    node: etree._Element | None = el
    while node is not None:
        previous = node.getprevious()
        while previous is not None:
            if isinstance(previous, etree._Comment):
                return previous.text or ""
            previous = previous.getprevious()
        node = node.getparent()
    return ""


def test_overlay_every_element_is_preceded_by_seed_evidence() -> None:
    schema = _overlay_schema()
    tree = schema.getroottree()
    for el in tree.iter(tag=etree.Element):
        assert SEED_PAGE.search(_nearest_comment(el)), etree.QName(el).localname
    declarations = [el for el in schema if isinstance(el.tag, str)]
    properties = [el for el in schema.iter(f"{{{EDM}}}Property", f"{{{EDM}}}NavigationProperty")]
    assert declarations and properties
    for el in declarations + properties:
        assert SEED_REF.search(_comment_before(el)), el.get("Name")


@needs_seeds
def test_overlay_evidence_lines_exist_and_show_the_addition() -> None:
    schema = _overlay_schema()
    pages = {name: _page_lines(name) for name in (FRENCH, JAPANESE)}
    for comment in schema.iter(etree.Comment):
        for name, line in SEED_REF.findall(comment.text or ""):
            assert name in pages and 1 <= int(line) <= len(pages[name]), (name, line)
    # Repeated existing types only wrap their additions; every other declaration and every
    # added property must be visible on the first line its comment cites.
    wrappers = [el for el in schema if el.find(f"{{{EDM}}}Property") is not None]
    leaves = [el for el in schema if isinstance(el.tag, str) and el not in wrappers]
    leaves += list(schema.iter(f"{{{EDM}}}Property"))
    assert len(leaves) == 7
    for el in leaves:
        name, line = SEED_REF.findall(_comment_before(el))[0]
        declared = el.get("Name")
        assert declared and declared in pages[name][int(line) - 1], (declared, name, line)


@pytest.mark.skipif(not BASE_METADATA.is_file(), reason=f"2015 Outlook metadata not available at {BASE_METADATA}")
def test_overlay_adds_only_missing_members_and_resolves_against_the_base() -> None:
    overlay = _overlay_schema()
    base = etree.parse(str(BASE_METADATA)).getroot().find(f".//{{{EDM}}}Schema")
    assert base is not None
    existing = {(el.tag, el.get("Name")): el for el in base if isinstance(el.tag, str)}
    declared = {el.get("Name") for el in base if isinstance(el.tag, str)}
    for el in overlay:
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in ("Action", "Function"):
            assert el.get("IsBound") == "true"
            first = next(iter(el.iter(f"{{{EDM}}}Parameter")))
            assert first.get("Name") == "bindingParameter"
            clashes = [
                op
                for op in base.iter(el.tag)
                if op.get("Name") == el.get("Name")
                and next(iter(op.iter(f"{{{EDM}}}Parameter"))).get("Type") == first.get("Type")
            ]
            assert not clashes, el.get("Name")
        elif (el.tag, el.get("Name")) in existing:
            original = existing[(el.tag, el.get("Name"))]
            have = {child.get("Name") for child in original if isinstance(child.tag, str)}
            added = [child.get("Name") for child in el if isinstance(child.tag, str)]
            assert added and not set(added) & have, el.get("Name")
            assert el.get("BaseType") == original.get("BaseType")
        declared.add(el.get("Name"))
    for el in overlay.iter(tag=etree.Element):
        for attribute in ("Type", "BaseType"):
            value = el.get(attribute)
            if value and value.removeprefix("Collection(").startswith("Microsoft.OutlookServices."):
                assert value.removeprefix("Collection(").rstrip(")").rsplit(".", 1)[1] in declared, value
