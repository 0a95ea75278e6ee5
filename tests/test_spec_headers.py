"""Request headers the reference pages list (`ConsistencyLevel`, `If-Match`...) as a typed `headers()`.

The package is generated from tests/fixtures/csdl/paths.xml and tests/fixtures/pages/headers.md;
`inspect` is also run over real Graph pages where ../shared is present.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.merge import merge
from generator.naming import assign_names
from generator.specmodel import SpecError
from generator.spectables import read_page

from .conftest import FIXTURES, ROOT, run_cli, shared_file

BASE = "https://files.test/v1.0"
METADATA = FIXTURES / "paths.xml"
PAGE = ROOT / "tests" / "fixtures" / "pages" / "headers.md"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("headers")
    model = assign_names(load_metadata(str(METADATA), diagnostics=Diagnostics()))
    model = merge(model, read_page(PAGE, Diagnostics())).model
    emit(model, EmitOptions(package="fx_spec_headers", key_as_segment=True), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("fx_spec_headers")
    finally:
        sys.path.remove(str(out))


def test_headers_is_generated_where_the_pages_list_headers_and_only_there(fx: ModuleType) -> None:
    source = (Path(fx.__file__).parent / "requests.py").read_text()
    assert 'consistency_level: Literal["eventual"] | None = None' in source
    assert "workbook_session_id: str | None = None" in source and "if_none_match: str | None = None" in source
    for left_out in ("Authorization", "Content-Type", '"If-Match"', "authorization"):
        assert left_out not in source.partition("class DriveRequest")[2]
    client = fx.FilesClient(BASE)
    assert hasattr(client.drives, "headers") and hasattr(client.drives["d"].items["i"], "headers")
    assert not hasattr(client.drives["d"], "headers") and not hasattr(client.sites, "headers")


async def test_headers_are_sent_with_the_request_and_what_is_built_from_it(fx: ModuleType) -> None:
    with aioresponses() as m:
        m.get(f"{BASE}/drives?$count=true&$search=%22a%22", payload={"value": [{"id": "d1"}]})
        m.get(f"{BASE}/drives/$count?$search=%22a%22", body="1", headers={"Content-Type": "text/plain"})
        m.patch(f"{BASE}/drives/d1/items/i1", status=204)
        m.get(f"{BASE}/drives/d1/items/i1", payload={"id": "i1", "name": "a"})
        async with fx.FilesClient(BASE, "tok") as client:
            eventual = client.drives.headers(consistency_level="eventual").count().search('"a"')
            drives = await eventual.get()
            number = await eventual.count_only()
            item = client.drives["d1"].items["i1"].headers(workbook_session_id="s 1", if_none_match=None)
            await item.if_match('W/"1"').update(fx.Item(name="b"))
            await item.get()
        sent = [(method, str(url), call.kwargs["headers"]) for (method, url), calls in m.requests.items()
                for call in calls]
    assert [d.id for d in drives] == ["d1"] and number == 1
    assert [(method, url) for method, url, _ in sent] == [
        ("GET", f"{BASE}/drives?$count=true&$search=%22a%22"), ("GET", f"{BASE}/drives/$count?$search=%22a%22"),
        ("PATCH", f"{BASE}/drives/d1/items/i1"), ("GET", f"{BASE}/drives/d1/items/i1"),
    ]
    assert [h.get("ConsistencyLevel") for _, _, h in sent] == ["eventual", "eventual", None, None]
    assert [h.get("Workbook-Session-Id") for _, _, h in sent] == [None, None, "s 1", "s 1"]
    assert [h.get("If-Match") for _, _, h in sent] == [None, None, 'W/"1"', None]
    assert all("If-None-Match" not in h for _, _, h in sent)


def test_a_header_value_must_be_a_string(fx: ModuleType) -> None:
    with pytest.raises(TypeError, match="must be str"):
        fx.FilesClient(BASE).drives.headers(consistency_level=1)


def test_inspect_prints_the_headers_a_line_lists_as_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "inspect", "--metadata", str(METADATA), "--spec", str(PAGE), "--quiet")
    assert code == 0
    calls = [" ".join(line.split()[3:-1]) for line in out.splitlines()[1:-1]]
    assert calls == [
        "client.drives.headers(consistency_level=...).get()",
        "client.drives.headers(consistency_level=...).count_only()",
        "client.drives[drive_id].items[item_id].if_match(...).update(...)",
    ]


def test_a_hostile_header_table_never_reaches_generated_code(tmp_path: Path) -> None:
    page = tmp_path / "hostile.md"
    text = PAGE.read_text(encoding="utf-8").replace("ConsistencyLevel | eventual.", "X-Evil | boom\"']).")
    page.write_text(text, encoding="utf-8")
    model = assign_names(load_metadata(str(METADATA), diagnostics=Diagnostics()))
    emit(merge(model, read_page(page, Diagnostics())).model, EmitOptions(package="fx_hostile_headers"), tmp_path)
    source = (tmp_path / "fx_hostile_headers" / "requests.py").read_text()
    assert "boom" not in source and "x_evil: str | None = None" in source
    page.write_text(text.replace("Workbook-Session-Id", "os.system('boom')"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"hostile\.md:44: .*not a parameter name"):
        read_page(page, Diagnostics())


def test_inspect_over_graph_pages_prints_consistency_level_and_if_match(capsys: pytest.CaptureFixture[str]) -> None:
    metadata = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    pages = shared_file("external", "msgraph-docs", "v1.0-api")
    code, out, _ = run_cli(capsys, "inspect", "--metadata", str(metadata), "--quiet",
                           *[a for p in ("user-list.md", "plannertask-update.md") for a in ("--spec", str(pages / p))])
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert any("GET /users client.users.headers(consistency_level=...).get() user-list.md" in line for line in lines)
    assert any("PATCH /planner/tasks/{id} client.planner.tasks[id].if_match(...).update(...)" in line
               for line in lines)
