"""The spec-table reader on its Markdown front end (generator/mdtree.py), construct by construct.

Each page here is written for the test, in the project's own words, in English, French and Japanese:
the same widget service documented three times must read into the same operations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from generator import mdtree
from generator.errors import Diagnostics
from generator.specmodel import SpecError, SpecOperation
from generator.spectables import expand_spec_paths, read_page, read_pages

from .conftest import run_cli


class Read(NamedTuple):
    operations: list[SpecOperation]
    warnings: list[str]


def _read(tmp_path: Path, text: str, name: str = "page.md") -> Read:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    return Read(read_page(path, diagnostics), diagnostics.format_lines())


# The words of each language for one page: title, permissions table, syntax heading, header table, body
# table, example and response headings.
WORDS = {
    "en": {
        "permissions": "## Permissions",
        "permission_header": "|Permission type|Permissions (from least to most privileged)|",
        "work": "Delegated (work or school account)",
        "personal": "Delegated (personal Microsoft account)",
        "application": "Application",
        "not_supported": "Not supported.",
        "syntax": "## HTTP request",
        "headers": "## Request headers",
        "header_table": "|Name|Description|",
        "body": "## Request body",
        "body_table": "|Parameter|Type|Description|",
        "example": "## Example",
        "request": "### Request",
        "response": "### Response",
    },
    "fr": {
        "permissions": "## Autorisations",
        "permission_header": "|Type d’autorisation|Autorisations (de la moins à la plus privilégiée)|",
        "work": "Déléguée (compte professionnel ou scolaire)",
        "personal": "Déléguée (compte personnel Microsoft)",
        "application": "Application",
        "not_supported": "Non prise en charge.",
        "syntax": "## Requête HTTP",
        "headers": "## En-têtes de demande",
        "header_table": "|Nom|Description|",
        "body": "## Corps de la demande",
        "body_table": "|Paramètre|Type|Description|",
        "example": "## Exemple",
        "request": "### Demande",
        "response": "### Réponse",
    },
    "ja": {
        "permissions": "## アクセス許可",
        "permission_header": "|アクセス許可の種類|アクセス許可 (特権の小さいものから大きいものへ)|",
        "work": "委任 (職場または学校のアカウント)",
        "personal": "委任 (個人用 Microsoft アカウント)",
        "application": "アプリケーション",
        "not_supported": "サポートされていません。",
        "syntax": "## HTTP 要求",
        "headers": "## 要求ヘッダー",
        "header_table": "|名前|説明|",
        "body": "## 要求本文",
        "body_table": "|パラメーター|型|説明|",
        "example": "## 例",
        "request": "### 要求",
        "response": "### 応答",
    },
}


def widget_page(lang: str) -> str:
    """A page in the Graph reference's shape: front matter, permissions, syntax, tables, annotated examples."""
    w = WORDS[lang]
    return f"""---
title: "widget: polish"
description: "front matter, not a heading"
---

# widget: polish

{w["permissions"]}

{w["permission_header"]}
|:--|:--|
|{w["work"]}|Widgets.ReadWrite, Widgets.ReadWrite.All|
|{w["personal"]}|{w["not_supported"]}|
|{w["application"]}|Widgets.ReadWrite.All|

{w["syntax"]}
<!-- {{ "blockType": "ignored" }} -->
```http
POST /widgets/{{id}}/polish
POST widgets/{{id}}/parts/{{part-id}}/polish
```

{w["headers"]}
{w["header_table"]}
|:--|:--|
|Authorization|Bearer {{token}}.|
|ConsistencyLevel|eventual.|

{w["body"]}
{w["body_table"]}
|:--|:--|:--|
|shine|Int32|How much.|
|wax|String collection|Which waxes.|

{w["example"]}
{w["request"]}
# [HTTP](#tab/http)
<!-- {{ "blockType": "request", "name": "polish_widget" }} -->
```msgraph-interactive
POST https://api.example.com/v1.0/widgets/W1/polish
Content-type: application/json

{{ "shine": 3, "wax": ["carnauba"] }}
```
# [C#](#tab/csharp)
[!INCLUDE [sample-code](../includes/snippets/csharp/polish-widget.md)]

---

{w["response"]}
<!-- {{ "blockType": "response", "@odata.type": "example.widget", "truncated": true }} -->
```http
HTTP/1.1 200 OK
Content-type: application/json

{{ "id": "W1", "shine": 3 }}
```
"""


def _shape(op: SpecOperation) -> tuple[object, ...]:
    return (
        op.method,
        op.host,
        op.prefix,
        op.path,
        [(p.name, p.location, p.type) for p in op.params],
        op.permissions,
        [(s.kind, s.url, s.body, s.odata_type, s.collection, s.truncated) for s in op.samples],
    )


@pytest.mark.parametrize("lang", ["en", "fr", "ja"])
def test_a_page_in_the_references_shape_reads_the_same_in_each_language(tmp_path: Path, lang: str) -> None:
    result = _read(tmp_path, widget_page(lang))
    assert result.warnings == []
    first, second = result.operations
    # The relative line without "/" is read; host and prefix come from the page's absolute request line.
    assert (second.path, second.host, second.prefix, second.version) == (
        "/widgets/{id}/parts/{part-id}/polish",
        "https://api.example.com",
        "/v1.0",
        "v1.0",
    )
    # The permissions table gives scopes by permission type, never parameters.
    assert first.permissions == (
        ("delegated-work", ("Widgets.ReadWrite", "Widgets.ReadWrite.All")),
        ("delegated-personal", ()),
        ("application", ("Widgets.ReadWrite.All",)),
    )
    assert [(p.name, p.location, p.type) for p in first.params] == [
        ("id", "path", None),
        ("Authorization", "header", "Edm.String"),
        ("ConsistencyLevel", "header", "Edm.String"),
        ("shine", "body", "Edm.Int32"),
        ("wax", "body", "Collection(Edm.String)"),
    ]
    # The annotated example (under a tab label, in an msgraph-interactive fence) is a sample, not a line;
    # the response annotation types the response sample.
    assert [(s.kind, s.body, s.odata_type, s.truncated, s.status) for s in first.samples] == [
        ("request", {"shine": 3, "wax": ["carnauba"]}, None, False, None),
        ("response", {"id": "W1", "shine": 3}, "example.widget", True, 200),
    ]
    english = _read(tmp_path, widget_page("en"), "en.md").operations
    assert [_shape(op) for op in result.operations] == [_shape(op) for op in english]


def test_a_json_line_inside_a_fence_does_not_close_it(tmp_path: Path) -> None:
    page = """## HTTP request
```
POST https://api.example.com/v1.0/widgets
```json
{ "not": "a fence" }
```

## Request body
|Parameter|Type|Description|
|:--|:--|:--|
|name|String|The name.|
"""
    (op,) = _read(tmp_path, page).operations
    # CommonMark: the "```json" line is content of the first fence, which the next "```" closes; the
    # table after it is read (the old reader took "```json" for the closing fence and lost the table).
    assert [(p.name, p.location) for p in op.params] == [("name", "body")]


def test_tab_labels_and_front_matter_are_not_sections(tmp_path: Path) -> None:
    blocks = mdtree.parse("---\ntitle: x\n---\n# Title\n# [HTTP](#tab/http)\ntext\n").blocks
    headings = [b for b in blocks if isinstance(b, mdtree.Heading)]
    assert [(h.line, h.text, h.tab) for h in headings] == [(3, "Title", False), (4, "[HTTP](#tab/http)", True)]


@pytest.mark.parametrize(
    ("line", "path", "optional"),
    [
        ("GET /widgets/{id}", "/widgets/{id}", ()),
        ("GET widgets/{id}", "/widgets/{id}", ()),
        ("GET ~/widgets/{id}", "/widgets/{id}", ()),
        ("GET https://api.example.com/v1.0/widgets/{id}", "/widgets/{id}", ()),
        ("GET /widgets/{id}/content[?withLabels=true]", "/widgets/{id}/content", (("withLabels", "true"),)),
        ("GET /shelves/{id}/children/{id}/.../widgets/{id}", "/shelves/{id}/children/{id}/widgets/{id}", ()),
        ("GET /widgets/{id}/range(address='<address>')", "/widgets/{id}/range(address='{address}')", ()),
    ],
)
@pytest.mark.parametrize("fence", ["http", "msgraph-interactive", ""])
@pytest.mark.parametrize("heading", ["## HTTP request", "## HTTP requests", "## Requête HTTP", "## HTTP 要求"])
def test_request_lines_in_every_form(
    tmp_path: Path, line: str, path: str, optional: tuple[tuple[str, str], ...], fence: str, heading: str
) -> None:
    page = f"# Widgets\n\n{heading}\n```{fence}\n{line}\n```\n"
    ops = read_pages([_write(tmp_path, page)], Diagnostics())
    assert [op.path for op in ops] == [path]
    assert [(p.name, p.default) for p in ops[0].query_options] == list(optional)
    assert all(p.location != "query" for p in ops[0].params)


def _write(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_prose_starting_with_a_method_is_no_request_line(tmp_path: Path) -> None:
    page = "## HTTP request\n```http\nPOST /widgets\n```\n\nPOST to widgets to create one; GET is for reading.\n"
    (op,) = _read(tmp_path, page).operations
    assert op.path == "/widgets"


def test_query_tables_document_options_and_permission_words_never_become_parameters(tmp_path: Path) -> None:
    page = """# widget: delta

|Permission type|Permissions|
|:--|:--|
|Application|Widgets.Read.All|

## HTTP request
```http
GET https://api.example.com/v1.0/widgets/delta
```

## Query parameters
|Query parameter|Type|Description|
|:--|:--|:--|
|$deltatoken|string|A state token.|
|Some value list|string|Values, not a name.|
"""
    result = _read(tmp_path, page)
    (op,) = result.operations
    assert op.params == ()
    assert [(p.name, p.location, p.required) for p in op.query_options] == [("$deltatoken", "query", False)]
    assert op.permissions == (("application", ("Widgets.Read.All",)),)
    assert result.warnings == []


def test_page_defects_are_named_with_page_and_line(tmp_path: Path) -> None:
    page = """##<a name="list"></a>List widgets

```no-highlight
GET https://api.example.com/v1.0/widgets
```

|Name|Type|Description|
|:--|:--|:--|
|_Header parameters_|
|Prefer|string|odata.maxpagesize.|
This prose line has no blank line before it.
"""
    result = _read(tmp_path, page)
    (op,) = result.operations
    assert op.title == "List widgets"
    assert result.warnings == [
        "page.md:1: heading written without a space after its # signs: not a heading to CommonMark; "
        "read as a heading",
        "page.md:11: no blank line between a table and the prose after it (a renderer shows the prose as a "
        "table row); read as prose",
    ]


def test_relative_lines_take_the_references_base_across_pages(tmp_path: Path) -> None:
    absolute = _write(tmp_path, "## HTTP request\n```http\nGET https://api.example.com/v1.0/widgets\n```\n", "a.md")
    relative = _write(tmp_path, "## HTTP request\n```http\nGET /shelves\n```\n", "b.md")
    diagnostics = Diagnostics()
    ops = read_pages([absolute, relative], diagnostics)
    assert [(op.path, op.host, op.prefix, op.version) for op in ops] == [
        ("/widgets", "https://api.example.com", "/v1.0", "v1.0"),
        ("/shelves", "https://api.example.com", "/v1.0", "v1.0"),
    ]
    assert diagnostics.format_lines() == []
    alone = Diagnostics()
    read_page(relative, alone)
    assert alone.format_lines() == [
        "b.md:3: relative request line and no absolute URL on the page",
        "b.md:3: cannot tell the API version of this request line",
    ]


def test_read_pages_caches_by_content_and_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [_write(tmp_path, widget_page(lang), f"{lang}.md") for lang in ("en", "fr", "ja")]
    cache = tmp_path / "cache"
    first = read_pages(pages, Diagnostics(), cache=cache)
    assert len(list(cache.rglob("*"))) > 3

    def fail(*args: object) -> None:
        raise AssertionError("read again instead of from the cache")

    import generator.spectables as spectables

    monkeypatch.setattr(spectables, "_read_fresh", fail)
    assert read_pages(pages, Diagnostics(), cache=cache) == first
    pages[0].write_text(widget_page("en").replace("shine", "gloss"), encoding="utf-8")
    with pytest.raises(AssertionError, match="read again"):
        read_pages(pages, Diagnostics(), cache=cache)


def test_a_cache_file_is_data_never_code(tmp_path: Path) -> None:
    # Whoever can write the cache folder must not get code run: entries are JSON, and one that does
    # not read back (a pickle, a torn write) is ignored and the page read again.
    import pickle

    pages = [_write(tmp_path, widget_page("en"), "en.md")]
    cache = tmp_path / "cache"
    first = read_pages(pages, Diagnostics(), cache=cache)
    (entry,) = [p for p in cache.rglob("*") if p.is_file()]
    assert isinstance(json.loads(entry.read_text(encoding="utf-8")), list)
    marker = tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_Runs(str(marker))))
    assert read_pages(pages, Diagnostics(), cache=cache) == first
    assert not marker.exists()
    entry.write_text('[[{"page": 1}], []]', encoding="utf-8")
    assert read_pages(pages, Diagnostics(), cache=cache) == first


class _Runs:
    """Pickled, it writes a file when loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (Path(self.path), "ran"))  # type: ignore[return-value]


def test_spec_arguments_take_folders_and_globs(tmp_path: Path) -> None:
    for name in ("b.md", "a.md", "notes.txt"):
        _write(tmp_path, "## HTTP request\n```http\nGET https://api.example.com/v1.0/w\n```\n", name)
    folder = [Path(p).name for p in expand_spec_paths([str(tmp_path)])]
    assert folder == ["a.md", "b.md"]
    assert [Path(p).name for p in expand_spec_paths([str(tmp_path / "*.txt")])] == ["notes.txt"]
    with pytest.raises(SpecError, match="no reference page there"):
        expand_spec_paths([str(tmp_path / "*.json")])


def test_inspect_summarises_warnings_by_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[1]
    page = _write(tmp_path, "##Events\n\n## HTTP request\n```http\nGET https://graph.microsoft.com/v1.0/me/events\n```\n")
    code, out, err = run_cli(capsys, "inspect", "--metadata", str(root / "schemas" / "graph_v1.xml"),
                             "--spec", str(tmp_path), "--warnings=summary")
    assert code == 0 and "client.me.events.get()" in out, out
    lines = err.splitlines()
    assert lines[0].startswith("warnings: ") and lines[0].endswith(" kinds")  # the metadata's among them
    assert (
        "      1  heading written without a space after its # signs: not a heading to CommonMark; read as a "
        f"heading  (e.g. {page.name}:1)"
    ) in lines
