"""Overloads of one bound operation name: the method of a builder is the overload bound to its type.

`tests/fixtures/csdl/overloads.xml` holds one case per rule: `delta` on three binding types (the
most derived wins, another type's overload never leaks in), overloads on one binding told apart by
their parameter names (`image`, `report`), a derived type overloading a base's single operation
(`find`), and an action and a function of one name (`browse`). The whole Graph metadata checks the
real `delta` overloads when `../shared` is there.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.merge import merge, resolve
from generator.model import Model
from generator.naming import assign_names
from generator.specmodel import SpecOperation, SpecParam

from .conftest import FIXTURES, SHARED

BASE = "https://over.test/api"
WHOLE_GRAPH = SHARED / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"


def spec(method: str, path: str, *, query: tuple[tuple[str, str], ...] = (), params: tuple[SpecParam, ...] = (),
         line: int = 10, root: tuple[str, str] = ("https://over.test", "/api")) -> SpecOperation:
    return SpecOperation("page.md", line, "over", "v1.0", method, root[0], root[1], path, query, params, (), (), None)


@pytest.fixture(scope="module")
def model() -> Model:
    return assign_names(load_metadata(str(FIXTURES / "overloads.xml")))


@pytest.fixture(scope="module")
def pkg(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    pages = [spec("GET", "/specials/delta", params=(SpecParam("token", "query", "Edm.String", True),), line=20)]
    merged = merge(model, pages, Diagnostics())
    out = tmp_path_factory.mktemp("overloads")
    emit(merged.model, EmitOptions(package="over_pkg", client_class="OverClient", qualified_operations=False), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("over_pkg")
    finally:
        sys.path.remove(str(out))


def _sent(m: aioresponses) -> list[tuple[str, str]]:
    return [(method, str(url)) for (method, url), calls in m.requests.items() for _ in calls]


async def test_each_builder_calls_the_overload_bound_to_its_type(pkg: ModuleType) -> None:
    client = pkg.OverClient(BASE)
    # The base type's delta takes nothing; the derived type's own overload takes a token.
    assert client.items.delta().url == "items/delta()"
    assert client.specials.delta(token="t1").url == "specials/delta(token='t1')"
    async with client:
        with aioresponses() as m:
            m.post(f"{BASE}/folders('f')/delta", payload={"value": 3})
            assert await client.folders["f"].delta(number1=1, number2=2) == 3
            assert _sent(m) == [("POST", f"{BASE}/folders('f')/delta")]


async def test_overloads_on_one_binding_are_chosen_by_the_parameters_given(pkg: ModuleType) -> None:
    async with pkg.OverClient(BASE) as client:
        item = client.items["a"]
        with aioresponses() as m:
            for path in ("image(width=5)", "image(width=5,height=6)", "report(date=2026-12-06)", "report(period='D7')"):
                m.get(f"{BASE}/items('a')/{path}", payload={"value": path})
            assert await item.image(width=5) == "image(width=5)"
            assert await item.image(width=5, height=6) == "image(width=5,height=6)"
            assert await item.report(date=date(2026, 12, 6)) == "report(date=2026-12-06)"
            assert await item.report(period="D7") == "report(period='D7')"
        with pytest.raises(TypeError, match=r"^report\(\): no overload takes the parameters \(date, period\); "
                                            r"its overloads take \(date\); \(period\)$"):
            await item.report(date=date(2026, 12, 6), period="D7")
        with pytest.raises(TypeError, match=r"^report\(\): no overload takes the parameters \(\)"):
            await item.report()


async def test_an_action_and_a_function_of_one_name_keep_their_kinds(pkg: ModuleType) -> None:
    async with pkg.OverClient(BASE) as client:
        with aioresponses() as m:
            m.post(f"{BASE}/folders('f')/browse", payload={"value": ["x"]})
            m.get(f"{BASE}/folders('f')/browse(nextToken='n')", payload={"value": ["y"]})
            assert await client.folders["f"].browse(filter="a") == ["x"]
            assert await client.folders["f"].browse(next_token="n") == ["y"]
            assert _sent(m) == [("POST", f"{BASE}/folders('f')/browse"),
                                ("GET", f"{BASE}/folders('f')/browse(nextToken='n')")]


async def test_a_derived_type_with_overloads_replaces_the_base_method(pkg: ModuleType) -> None:
    async with pkg.OverClient(BASE) as client:
        with aioresponses() as m:
            m.get(f"{BASE}/specials('s')/find()", payload={"value": "all"})
            m.get(f"{BASE}/specials('s')/find(query='q',top=2)", payload={"value": "two"})
            m.get(f"{BASE}/items('i')/find(query='q')", payload={"value": "one"})
            assert await client.specials["s"].find() == "all"
            assert await client.specials["s"].find(query="q", top=2) == "two"
            assert await client.items["i"].find(query="q") == "one"


def test_page_facts_go_to_the_overload_they_document(pkg: ModuleType) -> None:
    from over_pkg.requests import ItemCollectionRequest, SpecialCollectionRequest

    assert "GET /specials/delta (page.md:20)" in (SpecialCollectionRequest.delta.__doc__ or "")
    assert "page.md" not in (ItemCollectionRequest.delta.__doc__ or "")
    # The page marks token required: required in that overload only.
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'token'"):
        pkg.OverClient(BASE).specials.delta()


def test_mypy_rejects_parameters_of_no_overload(pkg: ModuleType, tmp_path: Path) -> None:
    folder = Path(pkg.__file__ or "").parent.parent
    user = folder / "over_user.py"
    user.write_text(
        "from datetime import date\n"
        "from over_pkg import OverClient\n"
        "async def main(client: OverClient) -> None:\n"
        "    await client.items['a'].image(width=1, height=2)\n"
        "    await client.items['a'].report(period='D7')\n"
        "    await client.specials['s'].find()\n"
        "    await client.items['a'].image(height=2)\n"
        "    await client.items['a'].report(date=date(2026, 1, 1), period='D7')\n"
        "    await client.items['a'].report()\n",
        encoding="utf-8",
    )
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "over_pkg",
                          "over_user.py"], cwd=folder, capture_output=True, text=True)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert {int(line.split(":")[1]) for line in errors} == {7, 8, 9}, run.stdout
    assert all(line.endswith("[call-overload]") for line in errors), run.stdout


def test_inspect_prints_the_overload_of_the_path(model: Model) -> None:
    calls = [resolve(model, o).call for o in (
        spec("GET", "/specials/delta(token='x')"),
        spec("GET", "/items/delta"),
        spec("POST", "/folders/{id}/delta"),
        spec("GET", "/items/{id}/image(width=1,height=2)"),
        spec("GET", "/items/{id}/image(width=1)"),
        spec("GET", "/specials/{id}/find"),
        spec("GET", "/specials/{id}/find(query='q',top=1)"),
        spec("GET", "/items/{id}/report(period='D7')"),
    )]
    assert calls == [
        "client.specials.delta(token=...)",
        "client.items.delta()",
        "client.folders[id].delta(number1=..., number2=...)",
        "client.items[id].image(width=..., height=...)",
        "client.items[id].image(width=...)",
        "client.specials[id].find()",
        "client.specials[id].find(query=..., top=...)",
        "client.items[id].report(period=...)",
    ]


@pytest.fixture(scope="module")
def whole_graph() -> Model:
    if not WHOLE_GRAPH.exists():
        pytest.skip(f"{WHOLE_GRAPH} is absent: the ../shared data is not checked out next to the project")
    return assign_names(load_metadata(str(WHOLE_GRAPH)))


@pytest.mark.parametrize(("path", "call"), [
    ("/me/calendarView/delta", "client.me.calendar_view.delta()"),
    ("/me/events/delta", "client.me.events.delta()"),
    ("/users/delta", "client.users.delta()"),
    ("/me/drive/root/delta(token='{token}')", "client.me.drive.root_.delta(token=...)"),
    ("/me/drive/items/{id}/workbook/worksheets/{id}/charts/{name}/image(width=1,height=2)",
     "client.me.drive.items[id].workbook.worksheets[id].charts[name].image(width=..., height=...)"),
])
def test_whole_graph_delta_is_the_overload_of_the_path(whole_graph: Model, path: str, call: str) -> None:
    res = resolve(whole_graph, spec("GET", path, root=("https://graph.microsoft.com", "/v1.0")))
    assert res.call == call
    overload = res.steps[-1].overload
    binding = overload.binding if overload is not None else None
    # The overload's binding is the type the path reaches before the call (or one of its bases).
    assert binding is not None and binding.type.collection == res.steps[-2].collection
    assert binding.type.name in {t.qualified for t in whole_graph.base_chain(res.steps[-2].type or "")}
