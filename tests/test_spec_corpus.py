"""The spec-table reader over the whole Graph v1.0 API reference (2,102 pages in ../shared).

What is counted here is counted independently of the reader: the request lines of the pages'
"HTTP request" blocks straight from markdown-it's tokens, the warnings by kind, the operations the
merge would invent, and the annotated response samples structured into their types.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.csdl import load_metadata
from generator.errors import Diagnostics
from generator.merge import merge
from generator.naming import assign_names
from generator.specmodel import SpecOperation
from generator.spectables import read_pages

from .conftest import SHARED

DOCS = SHARED / "external" / "msgraph-docs" / "v1.0-api"
METADATA = SHARED / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"

# About one warning per five pages (the reader's own, over 2,102 pages), and no kind above a tenth of that.
MAX_WARNINGS = 420
MAX_PER_KIND = 80


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Path], list[SpecOperation], Diagnostics]:
    if not DOCS.is_dir() or not METADATA.is_file():
        pytest.skip(f"{DOCS} or {METADATA} is absent: the ../shared data is not checked out next to the project")
    pages = sorted(DOCS.glob("*.md"))
    diagnostics = Diagnostics(per_kind=10**6, most=10**6)
    return pages, read_pages(pages, diagnostics, jobs=2), diagnostics


_REQUEST = re.compile(r"^\s*(GET|POST|PUT|PATCH|DELETE)\s+(\S+)")
_TAB = re.compile(r"^\s*\[[^\]]*\]\(#tab/")


def _syntax_lines(text: str) -> list[int]:
    """1-based lines of the request lines in the page's "HTTP request(s)" blocks, by markdown-it's tokens:
    fences whose nearest heading (tab labels aside) says "HTTP request", outside an "Example" section."""
    from markdown_it import MarkdownIt

    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    tokens = MarkdownIt("commonmark").parse("\n" * start + "\n".join(lines[start:]))
    headings: list[tuple[int, str]] = []
    found: list[int] = []
    for position, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[position + 1].content.strip()
            if not _TAB.match(title):
                headings.append((int(token.tag[1]), title.lower()))
        elif token.type == "fence" and token.map and headings:
            level, title = headings[-1]
            enclosing = next((t for lv, t in reversed(headings) if lv < level), "")
            if title in ("http request", "http requests") and not enclosing.startswith("example"):
                for offset, line in enumerate(token.content.splitlines()):
                    if _REQUEST.match(line):
                        found.append(token.map[0] + 2 + offset)
    return found


def test_every_request_line_of_an_http_request_block_is_read(
    corpus: tuple[list[Path], list[SpecOperation], Diagnostics],
) -> None:
    pages, ops, _ = corpus
    read = {(op.page, op.line) for op in ops}
    expected: set[tuple[str, int]] = set()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        expected |= {(page.name, line) for line in _syntax_lines(text)}
    missing = sorted(expected - read)
    # A line repeating one already read on its page (same method and path) adds no operation.
    lines = {page.name: page.read_text(encoding="utf-8").splitlines() for page in pages}
    seen: dict[str, set[str]] = {}
    for op in ops:
        seen.setdefault(op.page, set()).add(" ".join(lines[op.page][op.line - 1].split()[:2]))
    repeats = [(p, n) for p, n in missing if " ".join(lines[p][n - 1].split()[:2]) in seen.get(p, set())]
    assert len(expected) > 3000
    assert sorted(set(missing) - set(repeats)) == []
    assert {op.page for op in ops} == {page.name for page in pages}  # no page reads as empty


def test_warnings_by_kind_are_within_the_target(corpus: tuple[list[Path], list[SpecOperation], Diagnostics]) -> None:
    _, _, diagnostics = corpus
    kinds = diagnostics.counts_by_kind()
    summary = "\n".join(f"{n:5} {kind} ({where})" for kind, (n, where) in sorted(kinds.items(), key=lambda k: -k[1][0]))
    assert diagnostics.count <= MAX_WARNINGS, summary
    assert max(n for n, _ in kinds.values()) <= MAX_PER_KIND, summary
    # The permissions tables, once 53% of 22,808 warnings, give none.
    assert not any("Delegated" in kind or "'Application'" in kind for kind in kinds), summary


def test_the_merge_invents_no_operation(corpus: tuple[list[Path], list[SpecOperation], Diagnostics]) -> None:
    _, ops, _ = corpus
    model = assign_names(load_metadata(str(METADATA), diagnostics=Diagnostics()))
    diagnostics = Diagnostics()
    result = merge(model, ops, diagnostics)
    assert result.added == ()
    said = [str(w) for w in diagnostics.warnings if "not generated" in w.message]
    assert any("'assign' is not in the metadata on microsoft.graph.managedAppPolicy; the derived type" in w
               and "(the page omits the cast)" in w for w in said), said
    assert any("the collection of microsoft.graph.workbookTable has the operation 'add'" in w for w in said), said


@pytest.fixture(scope="module")
def package(corpus: tuple[list[Path], list[SpecOperation], Diagnostics],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from .graph_replay import build

    _, ops, _ = corpus
    _, _, module = build(ops, tmp_path_factory.mktemp("typed_samples"))
    yield module
    for name in [m for m in sys.modules if m.split(".")[0] == module.__name__]:
        del sys.modules[name]


def test_annotated_response_samples_structure_into_their_type(
    corpus: tuple[list[Path], list[SpecOperation], Diagnostics], package: Any,
) -> None:
    _, ops, _ = corpus
    client = package.GraphClient("https://graph.test/v1.0")
    conv, registry = client.converter, type(client).REGISTRY
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    seen: set[tuple[str, int]] = set()
    # The annotations' spelling of a type name may differ in case ("microsoft.graph.orgcontact").
    qualified_names = {name.lower(): name for name in registry._modules}
    for op in ops:
        for sample in op.samples:
            if sample.kind != "response" or not sample.odata_type or (op.page, sample.line) in seen:
                continue
            seen.add((op.page, sample.line))
            qualified = qualified_names.get(sample.odata_type.lstrip("#").lower(), sample.odata_type)
            try:
                cls = registry.info(qualified).cls
            except (KeyError, LookupError):
                outcomes["type not in the metadata"] += 1
                continue
            body = sample.body
            items = body.get("value") if sample.collection and isinstance(body, dict) else [body]
            for item in items if isinstance(items, list) else []:
                if not isinstance(item, dict):
                    continue
                try:
                    back = conv.unstructure(conv.structure(item, cls))
                except (TypeError, ValueError) as exc:
                    outcomes["refused (a value the type does not allow)"] += 1
                    failures.append(f"{op.page}:{sample.line}: {str(exc)[:120]}")
                    continue
                if back == item:
                    outcomes["equal"] += 1
                else:
                    outcomes["differs"] += 1
                    failures.append(f"{op.page}:{sample.line}: unstructured differently")
    # Today 985 items equal; 70 refused, each a page's placeholder where a value belongs ("datetime-value",
    # "supportedEntities-value"); 18 samples annotate a primitive ("string") or a type the metadata lacks.
    assert outcomes["equal"] >= 985, (outcomes, failures[:20])
    assert outcomes["differs"] == 0, (outcomes, failures[:20])
