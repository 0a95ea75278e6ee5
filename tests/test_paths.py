"""Path-based addressing (`.../root:/Docs/a%20b.txt:/content`), where the reference pages document it.

The package is generated from a handcrafted metadata (tests/fixtures/csdl/paths.xml) and page
(tests/fixtures/pages/paths.md); request shapes are checked with aioresponses, the bytes of the
path on the wire with a local aiohttp server, and `inspect` over the real Graph pages where
../shared is present.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.merge import merge
from generator.naming import assign_names
from generator.spectables import read_page
from odatakit.literals import quote_item_path

from .conftest import FIXTURES, ROOT, run_cli, shared_file

BASE = "https://files.test/v1.0"
METADATA = FIXTURES / "paths.xml"
PAGE = ROOT / "tests" / "fixtures" / "pages" / "paths.md"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("paths")
    model = assign_names(load_metadata(str(METADATA), diagnostics=Diagnostics()))
    model = merge(model, read_page(PAGE, Diagnostics())).model
    emit(model, EmitOptions(package="fx_paths", key_as_segment=True, qualified_operations=False), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("fx_paths")
    finally:
        sys.path.remove(str(out))


def sent(m: aioresponses) -> list[tuple[str, str, Any]]:
    """(method, URL, body) of every request aioresponses saw, in order."""
    return [(method, str(url), call.kwargs.get("data") or call.kwargs.get("json"))
            for (method, url), calls in m.requests.items() for call in calls]


# -- encoding ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "encoded"), [
    ("Docs/a b.txt", "Docs/a%20b.txt"),
    ("a#b/c%d/e?f", "a%23b/c%25d/e%3Ff"),
    ("time 10:30.txt", "time%2010%3A30.txt"),       # a bare `:` would end the path
    ("Área/日本.txt", "%C3%81rea/%E6%97%A5%E6%9C%AC.txt"),
    ("a+b&c=d;e'f", "a%2Bb%26c%3Dd%3Be%27f"),
    ("...hidden/x..y", "...hidden/x..y"),
])
def test_each_segment_is_percent_encoded_and_slashes_stay_separators(path: str, encoded: str) -> None:
    assert quote_item_path(path) == encoded


@pytest.mark.parametrize("path", ["", "/Docs", "Docs/", "Docs//a.txt", ".", "./a.txt", "Docs/../secret", ".."])
def test_empty_dot_and_dot_dot_segments_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="item path"):
        quote_item_path(path)


def test_a_path_must_be_a_string(fx: ModuleType) -> None:
    client = fx.FilesClient(BASE)
    with pytest.raises(TypeError, match="expected str"):
        client.me.root_.item_at_path(b"Docs")


# -- the generated methods ----------------------------------------------------------------------------------
def test_the_pages_give_item_at_path_to_the_types_they_address_by_path(fx: ModuleType) -> None:
    client = fx.FilesClient(BASE)
    item = client.me.root_.item_at_path("Docs/a b.txt")
    assert type(item).__name__ == "ItemRequest"
    # The item's own URL ends on its path; segments after it need the closing `:`.
    assert item.url == "me/root:/Docs/a%20b.txt"
    assert item.path == "me/root:/Docs/a%20b.txt:"
    assert item.content.url == "me/root:/Docs/a%20b.txt:/content"
    assert item.children.url == "me/root:/Docs/a%20b.txt:/children"
    assert item.children["c1"].url == "me/root:/Docs/a%20b.txt:/children/c1"
    assert item.select(fx.Item.name).url == "me/root:/Docs/a%20b.txt?$select=name"
    assert type(item.select(fx.Item.name)) is type(item) and type(item).__mro__[1].__name__ == "ItemRequest"
    assert client.me.items["p 1"].item_at_path("x#y.txt").content.url == "me/items/p%201:/x%23y.txt:/content"
    # A derived type's builder inherits it; a type the pages never address by path has none.
    assert client.me.items.cast(fx.FolderItem)["g"].item_at_path("a").url == "me/items/Test.Files.folderItem/g:/a"
    assert not hasattr(client.me, "item_at_path")
    # The site's builder has a navigation `itemAtPath`: the method takes the next name.
    site = client.sites["contoso.sharepoint.com"]
    assert site.item_at_path.url == "sites/contoso.sharepoint.com/itemAtPath"
    assert site.item_at_path_2("teams/1drv team").url == "sites/contoso.sharepoint.com:/teams/1drv%20team"
    with pytest.raises(ValueError, match=r"item path '\.\./x': a '\.\.' segment"):
        client.me.root_.item_at_path("../x")


async def test_requests_below_a_path_send_the_exact_method_url_headers_and_body(fx: ModuleType) -> None:
    at_path = f"{BASE}/me/root:/Docs/r%C3%A9sum%C3%A9%20%231.txt"
    item = f"{at_path}:"
    with aioresponses() as m:
        m.get(at_path, payload={"id": "i1", "name": "résumé #1.txt"})
        m.delete(at_path, status=204)
        m.get(f"{item}/content", body=b"hello", headers={"Content-Type": "text/plain"})
        m.put(f"{item}/content", payload={"id": "i1", "name": "résumé #1.txt"})
        m.post(f"{item}/createUploadSession", payload={"value": "https://up.files.test/s1"})
        m.get(f"{BASE}/drives/d1/root:/Docs:/children", payload={"value": [{"id": "c1", "name": "a"}]})
        async with fx.FilesClient(BASE, "tok") as client:
            at = client.me.root_.item_at_path("Docs/résumé #1.txt").with_headers({"X-Trace": "t1"})
            got = await at.get()
            data = await at.content.read()
            await at.content.put(b"hi", content_type="text/plain")
            session = await at.create_upload_session()
            await at.delete()
            children = await client.drives["d1"].root_.item_at_path("Docs").children.get()
        calls = [(method, url) for method, url, _ in sent(m)]
        headers = [call.kwargs["headers"] for calls_ in m.requests.values() for call in calls_]
    assert got.name == "résumé #1.txt" and data == b"hello" and session == "https://up.files.test/s1"
    assert [c.id for c in children] == ["c1"]
    assert calls == [
        ("GET", at_path), ("GET", f"{item}/content"), ("PUT", f"{item}/content"),
        ("POST", f"{item}/createUploadSession"), ("DELETE", at_path), ("GET", f"{BASE}/drives/d1/root:/Docs:/children"),
    ]
    assert all(h["Authorization"] == "Bearer tok" for h in headers)
    assert [h.get("X-Trace") for h in headers] == ["t1"] * 5 + [None]


async def test_the_path_reaches_a_real_server_byte_for_byte(fx: ModuleType) -> None:
    seen: list[tuple[str, str, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.method, request.raw_path, await request.read()))
        if request.raw_path.endswith("/content"):
            return web.Response(body=b"bytes of " + request.path.encode())
        return web.json_response({"id": "x", "name": request.path.rpartition("/")[2].rstrip(":")})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with TestServer(app) as server:
        async with fx.FilesClient(str(server.make_url("/v1.0"))) as client:
            at = client.me.root_.item_at_path("A b/c:d?e#f%g/ü.txt")
            item = await at.get()
            body = await at.content.read()
            await at.content.put(b"new")
    raw = "/v1.0/me/root:/A%20b/c%3Ad%3Fe%23f%25g/%C3%BC.txt:"
    assert seen == [("GET", raw[:-1], b""), ("GET", f"{raw}/content", b""), ("PUT", f"{raw}/content", b"new")]
    assert item.name == "ü.txt"
    assert body == "bytes of /v1.0/me/root:/A b/c:d?e#f%g/ü.txt:/content".encode()


# -- inspect ---------------------------------------------------------------------------------------------------
def test_inspect_prints_the_call_that_serves_each_path_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "inspect", "--metadata", str(METADATA), "--spec", str(PAGE), "--quiet")
    assert code == 0
    lines = {" ".join(line.split()[1:3]): " ".join(line.split()[3:-1]) for line in out.splitlines()[1:-1]}
    assert lines == {
        "GET /me/root:/{item-path}": "client.me.root_.item_at_path(item_path).get()",
        "GET /drives/{drive-id}/root:/{item-path}": "client.drives[drive_id].root_.item_at_path(item_path).get()",
        "GET /sites/{hostname}:/{server-relative-path}":
            "client.sites[hostname].item_at_path_2(server_relative_path).get()",
        "GET /me/root:/{item-path}:/content": "client.me.root_.item_at_path(item_path).content.read()",
        "PUT /me/items/{parent-id}:/{file-name}:/content":
            "client.me.items[parent_id].item_at_path(file_name).content.put(data, content_type=...)",
        "PUT /me/root:/FolderA/FileB.txt:/content":
            "client.me.root_.item_at_path('FolderA/FileB.txt').content.put(data, content_type=...)",
        "GET /drives/{drive-id}/root:/{path-relative-to-root}:/children":
            "client.drives[drive_id].root_.item_at_path(path_relative_to_root).children.get()",
        "POST /me/root:/{item-path}:/createUploadSession":
            "client.me.root_.item_at_path(item_path).create_upload_session()",
        "GET /drives:/{path}:/children": "NOT SERVED: path '/{path}' after a collection of Test.Files.drive",
        "PUT /me/root:/{item-path}": "client.me.root_.item_at_path(item_path).replace(...)",
    }
    assert out.splitlines()[-1] == "9 of 10 spec operations served"


def test_inspect_serves_the_graph_drive_item_and_site_path_lines(capsys: pytest.CaptureFixture[str]) -> None:
    metadata = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    pages = sorted(p for p in shared_file("external", "msgraph-docs", "v1.0-api").glob("*.md")
                   if p.name.startswith(("driveitem", "site")))
    code, out, _ = run_cli(capsys, "inspect", "--metadata", str(metadata), "--quiet",
                           *[a for p in pages for a in ("--spec", str(p))])
    assert code == 0
    path_lines = [line for line in out.splitlines() if ":/{" in line or "root:/" in line]
    served = [line for line in path_lines if "NOT SERVED" not in line]
    # Two example requests (annotated `blockType: request`, under "Request" headings) are samples, not lines.
    assert len(path_lines) == 16 and len(served) == 15, "\n".join(path_lines)
    assert any("GET /me/drive/root:/{item-path}:/content" in line
               and "client.me.drive.root_.item_at_path(item_path).content.read()" in line for line in served)
    assert any("GET /sites/{hostname}:/{relative-path}" in line
               and "client.sites[hostname].item_at_path(relative_path).get()" in line for line in served)
    # What is left: a page's typo (`/drive/...`).
    assert {line.split("NOT SERVED: ")[1].strip().rsplit("  ", 1)[0].strip() for line in path_lines
            if "NOT SERVED" in line} == {"no entity set or singleton named 'drive'"}


def test_a_page_path_is_untrusted_input_and_never_reaches_generated_code(tmp_path: Path) -> None:
    page = tmp_path / "hostile.md"
    page.write_text(PAGE.read_text(encoding="utf-8").replace(
        "FolderA/FileB.txt", "x\"\"\"; import os; os.system('boom') #"), encoding="utf-8")
    model = assign_names(load_metadata(str(METADATA), diagnostics=Diagnostics()))
    merged = merge(model, read_page(page, Diagnostics())).model
    emit(merged, EmitOptions(package="fx_hostile_paths"), tmp_path / "out")
    assert "boom" not in "".join(p.read_text() for p in (tmp_path / "out" / "fx_hostile_paths").glob("*.py"))
