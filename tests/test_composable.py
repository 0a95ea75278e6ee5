"""Composable functions (`IsComposable="true"`): a call is a request builder for its result.

`tests/fixtures/csdl/composable.xml` is a small workbook: `range()` / `range(address)` on a sheet
return a range entity (navigated to `format/font`, updated, composed again with
`columnsAfter(count)`, given to the action `clear`), `bounds()` a complex value, `rows(kind)` a
collection of entities, and `stats()` and `score(weight)` are not composable (awaited calls, as before).
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.merge import resolve
from generator.model import Model
from generator.naming import assign_names
from generator.specmodel import SpecOperation

from .conftest import FIXTURES, SHARED

BASE = "https://book.test/api"
WHOLE_GRAPH = SHARED / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"


@pytest.fixture(scope="module")
def model() -> Model:
    return assign_names(load_metadata(str(FIXTURES / "composable.xml")))


@pytest.fixture(scope="module")
def pkg(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("composable")
    emit(model, EmitOptions(package="book_pkg", client_class="BookClient", qualified_operations=False), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("book_pkg")
    finally:
        sys.path.remove(str(out))


def _sent(m: aioresponses) -> list[tuple[str, str, Any]]:
    return [(method, str(url), json.loads(kw["data"]) if kw.get("data") else None)
            for (method, url), calls in m.requests.items() for kw in (c.kwargs for c in calls)]


def test_a_composable_call_is_a_builder_with_its_parameters_in_the_path(pkg: ModuleType) -> None:
    sheet = pkg.BookClient(BASE).sheets["s1"]
    rng = sheet.range(address="A1:B2")
    assert type(rng).__name__ == "RangeRequest"
    assert rng.url == "sheets('s1')/range(address='A1:B2')"
    assert rng.format.font.url == "sheets('s1')/range(address='A1:B2')/format/font"
    assert sheet.range().url == "sheets('s1')/range()"
    assert rng.columns_after(count=2).format.url == "sheets('s1')/range(address='A1:B2')/columnsAfter(count=2)/format"
    assert sheet.range(address="it's & #1").url == "sheets('s1')/range(address='it''s%20%26%20%231')"
    assert rng.select(pkg.Range.values).url == "sheets('s1')/range(address='A1:B2')?$select=values"
    # Not composable: an awaited call, as before.
    assert inspect.iscoroutinefunction(type(sheet).stats)


async def test_a_composed_call_is_read_navigated_and_written(pkg: ModuleType) -> None:
    async with pkg.BookClient(BASE) as client:
        rng = client.sheets["s1"].range(address="A1:B2")
        url = f"{BASE}/sheets('s1')/range(address='A1:B2')"
        with aioresponses() as m:
            m.get(url, payload={"address": "Sheet1!A1:B2", "values": "[[1,2]]"})
            m.get(f"{url}/format/font", payload={"id": "f", "bold": False, "name": "Calibri"})
            m.patch(f"{url}/format/font", payload={"id": "f", "bold": True, "name": "Calibri"})
            m.patch(url, payload={"address": "Sheet1!A1:B2", "values": "[[3,4]]"})
            m.post(f"{url}/clear", status=204)
            got = await rng
            font = await rng.format.font.get()
            font.bold = True
            written = await rng.format.font.update(font)
            updated = await rng.update(pkg.Range(values="[[3,4]]"))
            await rng.clear(apply_to="formats")
            sent = _sent(m)
    assert isinstance(got, pkg.Range) and got.values == "[[1,2]]"
    assert isinstance(written, pkg.RangeFont) and written.bold is True
    assert updated.values == "[[3,4]]"
    assert sent == [
        ("GET", url, None),
        ("GET", f"{url}/format/font", None),
        ("PATCH", f"{url}/format/font", {"bold": True}),
        ("PATCH", url, {"values": "[[3,4]]"}),
        ("POST", f"{url}/clear", {"applyTo": "formats"}),
    ]


async def test_parameter_aliases_travel_with_every_request_built_on_the_call(pkg: ModuleType) -> None:
    sheet = pkg.BookClient(BASE).sheets["s1"]
    aliased = sheet.range(address="A1").parameter_aliases()
    assert aliased.url == "sheets('s1')/range(address=@p1)?@p1='A1'"
    assert aliased.format.font.url == "sheets('s1')/range(address=@p1)/format/font?@p1='A1'"
    nested = aliased.columns_after(count=2)
    assert nested.url == "sheets('s1')/range(address=@p1)/columnsAfter(count=2)?@p1='A1'"
    assert nested.parameter_aliases().url == "sheets('s1')/range(address=@p1)/columnsAfter(count=@p2)?@p1='A1'&@p2=2"
    assert nested.parameter_aliases().parameter_aliases(False).url == nested.url
    assert aliased.parameter_aliases(False).format.url == "sheets('s1')/range(address='A1')/format"
    async with pkg.BookClient(BASE) as client:
        aliased = client.sheets["s1"].range(address="A1").parameter_aliases()
        with aioresponses() as m:
            m.post(f"{BASE}/sheets('s1')/range(address=@p1)/clear?@p1='A1'", status=204)
            m.get(f"{BASE}/sheets('s1')/range(address=@p1)/bounds()?@p1='A1'", payload={"top": 1, "left": 2})
            m.delete(f"{BASE}/sheets('s1')/range(address=@p1)/format?@p1='A1'", status=204)
            await aliased.clear()
            rect = await aliased.bounds()
            await aliased.format.delete()
            sent = [(method, str(url)) for method, url, _ in _sent(m)]
    assert isinstance(rect, pkg.Rect) and (rect.top, rect.left) == (1, 2)
    assert sent == [
        ("POST", f"{BASE}/sheets('s1')/range(address=@p1)/clear?@p1='A1'"),
        ("GET", f"{BASE}/sheets('s1')/range(address=@p1)/bounds()?@p1='A1'"),
        ("DELETE", f"{BASE}/sheets('s1')/range(address=@p1)/format?@p1='A1'"),
    ]


async def test_implicit_parameters_end_the_url_and_go_inline_before_further_segments(pkg: ModuleType) -> None:
    # OData 4.01's implicit parameter aliases: `f?@a=1` where the function ends the URL, the form
    # API references write (`GET .../range/cell` with its parameters given apart).
    async with pkg.BookClient(BASE).with_function_parameters("implicit") as client:
        sheet = client.sheets["s1"]
        rng = sheet.range(address="A1:B2")
        assert rng.url == "sheets('s1')/range?@address='A1:B2'"
        assert rng.path == "sheets('s1')/range(address='A1:B2')"
        assert rng.format.font.url == "sheets('s1')/range(address='A1:B2')/format/font"
        assert rng.columns_after(count=2).url == "sheets('s1')/range(address='A1:B2')/columnsAfter?@count=2"
        assert sheet.range().url == "sheets('s1')/range()"
        rows = sheet.rows(kind="data")
        assert rows.top(3).url == "sheets('s1')/rows?$top=3&@kind='data'"
        assert rows[7].url == "sheets('s1')/rows(kind='data')(7)"
        assert rng.parameter_aliases(False).url == "sheets('s1')/range(address='A1:B2')"
        assert rng.parameter_aliases().url == "sheets('s1')/range(address=@p1)?@p1='A1:B2'"
        with aioresponses() as m:
            m.patch(f"{BASE}/sheets('s1')/range?@address='A1:B2'", payload={"address": "A1:B2"})
            m.get(f"{BASE}/sheets('s1')/range(address='A1:B2')/bounds()", payload={"top": 1, "left": 2})
            m.get(f"{BASE}/sheets('s1')/rows(kind='data')/$count?$filter=index%20gt%202", body="4",
                  headers={"Content-Type": "text/plain"})
            m.get(f"{BASE}/sheets('s1')/score?@weight=3", payload={"value": 1.5})
            m.delete(f"{BASE}/sheets('s1')/range(address='A1:B2')", status=204)
            await rng.update(pkg.Range(address="A1:B2"))
            rect = await rng.bounds()
            count = await rows.filter(pkg.Row.index > 2).count_only()
            score = await sheet.score(weight=3)
            await rng.delete()  # the entity the call addresses: its parameters inline, no query
            sent = [(method, str(url)) for method, url, _ in _sent(m)]
    assert isinstance(rect, pkg.Rect) and count == 4 and score == 1.5
    assert sent == [
        ("PATCH", f"{BASE}/sheets('s1')/range?@address='A1:B2'"),
        ("GET", f"{BASE}/sheets('s1')/range(address='A1:B2')/bounds()"),
        ("GET", f"{BASE}/sheets('s1')/rows(kind='data')/$count?$filter=index+gt+2"),
        ("GET", f"{BASE}/sheets('s1')/score?@weight=3"),
        ("DELETE", f"{BASE}/sheets('s1')/range(address='A1:B2')"),
    ]


def test_implicit_parameters_chosen_per_call_and_refused_styles(pkg: ModuleType) -> None:
    sheet = pkg.BookClient(BASE).sheets["s1"]
    implicit = sheet.range(address="A1").parameter_aliases("implicit")
    assert implicit.url == "sheets('s1')/range?@address='A1'"
    assert implicit.select(pkg.Range.address).url == "sheets('s1')/range?$select=address&@address='A1'"
    assert implicit.parameter_aliases(False).url == "sheets('s1')/range(address='A1')"
    # Implicit aliases name the call's own parameters: a request built on the call sends none of them.
    assert implicit.format.url == "sheets('s1')/range(address='A1')/format"
    # ... and one built on an aliased call keeps that call's numbered aliases, never taken for its own.
    nested = sheet.range(address="A1").parameter_aliases().columns_after(count=2).parameter_aliases("implicit")
    assert nested.url == "sheets('s1')/range(address=@p1)/columnsAfter?@p1='A1'&@count=2"
    assert nested.format.url == "sheets('s1')/range(address=@p1)/columnsAfter(count=2)/format?@p1='A1'"
    with pytest.raises(ValueError, match=r"parameter_aliases\('named'\): expected True, False or 'implicit'"):
        sheet.range(address="A1").parameter_aliases("named")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"with_function_parameters\('named'\): expected one of inline, aliases, "
                                         r"implicit"):
        pkg.BookClient(BASE).with_function_parameters("named")  # type: ignore[arg-type]


async def test_a_composable_collection_is_queried_and_keyed(pkg: ModuleType) -> None:
    Row = pkg.Row
    async with pkg.BookClient(BASE) as client:
        rows = client.sheets["s1"].rows(kind="data")
        assert type(rows).__name__ == "RowCollectionRequest"
        query = rows.filter(Row.index > 2).select(Row.values).top(3)
        assert str(query) == "sheets('s1')/rows(kind='data')?$select=values&$filter=index gt 2&$top=3"
        assert rows[7].url == "sheets('s1')/rows(kind='data')(7)"
        with aioresponses() as m:
            m.get(f"{BASE}/{query.url}", payload={"value": [{"index": 3, "values": "[[5]]"}]})
            got = await query
    assert [(r.index, r.values) for r in got] == [(3, "[[5]]")]


def test_mypy_types_the_composed_builders(pkg: ModuleType) -> None:
    folder = Path(pkg.__file__ or "").parent.parent
    (folder / "book_user.py").write_text(
        "from book_pkg import BookClient, Range, RangeFont, Rect, Row\n"
        "async def main(client: BookClient) -> None:\n"
        "    rng = client.sheets['s'].range(address='A1')\n"
        "    font: RangeFont = await rng.format.font\n"
        "    whole: Range = await rng.columns_after(count=1)\n"
        "    rect: Rect = await rng.bounds()\n"
        "    rows: list[Row] = await client.sheets['s'].rows(kind='x').filter(Row.index > 1)\n"
        "    print(font, whole, rect, rows)\n"
        "    wrong: RangeFont = await rng.format\n"
        "    client.sheets['s'].range(address='A1', count=2)\n",
        encoding="utf-8",
    )
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "book_pkg", "book_user.py"],
                         cwd=folder, capture_output=True, text=True)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert {int(line.split(":")[1]) for line in errors} == {9, 10}, run.stdout
    assert '"RangeFormat", variable has type "RangeFont"' in errors[0], run.stdout


def spec(method: str, path: str, root: tuple[str, str] = ("https://book.test", "/api")) -> SpecOperation:
    return SpecOperation("page.md", 10, "book", "v1.0", method, root[0], root[1], path, (), (), (), (), None)


def test_inspect_prints_the_composed_call(model: Model) -> None:
    lines = [
        ("GET", "/sheets/{id}/range(address='A1:B2')/format/font"),
        ("PATCH", "/sheets/{id}/range(address='A1:B2')/format/font"),
        ("PATCH", "/sheets/{id}/range(address='A1')"),
        ("GET", "/sheets/{id}/range"),
        ("POST", "/sheets/{id}/range(address='A1')/clear"),
        ("GET", "/sheets/{id}/range(address='A1')/columnsAfter(count=2)/bounds"),
        ("GET", "/sheets/{id}/rows(kind='data')/{index}"),
        ("GET", "/sheets/{id}/stats"),
        # The page leaves out parameters the function takes: they go in the query (implicit aliases).
        ("GET", "/sheets/{id}/range(address='A1')/columnsAfter"),
        ("GET", "/sheets/{id}/score"),
        ("GET", "/sheets/{id}/score(weight=3)"),
    ]
    assert [resolve(model, spec(m, p)).call for m, p in lines] == [
        "client.sheets[id].range(address=...).format.font.get()",
        "client.sheets[id].range(address=...).format.font.update(...)",
        "client.sheets[id].range(address=...).update(...)",
        "client.sheets[id].range().get()",
        "client.sheets[id].range(address=...).clear(apply_to=...)",
        "client.sheets[id].range(address=...).columns_after(count=...).bounds().get()",
        "client.sheets[id].rows(kind=...)[index].get()",
        "client.sheets[id].stats()",
        'client.with_function_parameters("implicit").sheets[id].range(address=...).columns_after(count=...).get()',
        'client.with_function_parameters("implicit").sheets[id].score(weight=...)',
        "client.sheets[id].score(weight=...)",
    ]
    # Nothing follows the result of a function that is not composable.
    assert resolve(model, spec("GET", "/sheets/{id}/stats/format")).reason == "'format' follows an operation result"
    assert resolve(model, spec("DELETE", "/sheets/{id}/range")).reason == (
        "DELETE on the function Test.Book.range: expected GET or PATCH"
    )


@pytest.mark.skipif(not WHOLE_GRAPH.exists(), reason="the ../shared data is not checked out next to the project")
def test_whole_graph_excel_range_is_composed() -> None:
    graph = assign_names(load_metadata(str(WHOLE_GRAPH)))
    root = ("https://graph.microsoft.com", "/v1.0")
    worksheet = "/me/drive/items/{id}/workbook/worksheets/{id|name}"
    calls = [resolve(graph, spec(m, worksheet + p, root)).call for m, p in (
        ("GET", "/range(address='A1:B2')/format/font"),
        ("PATCH", "/range(address='A1:B2')"),
        ("GET", "/range(address='A1:B2')/boundingRect(anotherRange='C3')"),
        ("GET", "/usedRange"),
    )]
    item = "client.me.drive.items[id].workbook.worksheets[id]"
    assert calls == [
        f"{item}.range(address=...).format.font.get()",
        f"{item}.range(address=...).update(...)",
        f"{item}.range(address=...).bounding_rect(another_range=...).get()",
        f"{item}.used_range().get()",
    ]
