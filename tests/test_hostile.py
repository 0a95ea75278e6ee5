"""No `$metadata` or reference page can make generated code run anything.

A document and a page carrying breakout text in every slot that reaches generated source (names
of every kind, namespaces and aliases, descriptions long enough to wrap, default values, enum
members, annotation values, page titles, scopes, query option and `Prefer` names, the file name)
must give either a one-line error or a package that compiles, passes `mypy --strict`, imports and
answers a call of every generated method with the marker file its payloads would create still
absent, and whose docstrings and wire names read back as the input wrote them.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import Diagnostics
from generator.spectables import read_page

from .conftest import ROOT, run_cli
from .hostile import BREAKOUTS, ODD_NAMES, RUN, hostile_document, hostile_page

# Runs in a fresh interpreter: imports every module of the package, calls every method of every
# generated builder and the client against a mocked service, and prints what reads back.
DRIVER = r'''
import asyncio, importlib, inspect, json, pkgutil, sys, typing
from aioresponses import aioresponses
import re

name = sys.argv[1]
pkg = importlib.import_module(name)
for info in pkgutil.iter_modules(pkg.__path__):
    importlib.import_module(f"{name}.{info.name}")
exports = {n: getattr(pkg, n) for n in pkg.__all__}
client_cls = next(v for v in exports.values() if isinstance(v, type) and hasattr(v, "CONFIG"))
registry = client_cls.REGISTRY

async def token() -> str:
    return "t"

def dummy(annotation):
    text = str(annotation)
    if "bool" in text:
        return True
    if "int" in text:
        return 1
    return "v"

calls = []

async def call_all(client):
    owners = [client_cls] + [registry.builder(q, c) for q in registry._builders for c in (False, True)]
    for owner in owners:
        for attr, fn in vars(owner).items():
            if attr.startswith("_") or not (inspect.isfunction(fn) or isinstance(fn, property)):
                continue
            if owner is client_cls:
                target = client
            else:
                item = registry.info(next(q for q in registry._builders if registry.builder(q, owner.__name__.endswith("CollectionRequest")) is owner)).cls
                target = owner(client, "x", item, "", None)
            if isinstance(fn, property):
                fn.fget(target)
                calls.append(f"{owner.__name__}.{attr}")
                continue
            params = inspect.signature(fn).parameters
            kwargs = {p.name: dummy(p.annotation) for p in list(params.values())[1:] if p.kind is p.KEYWORD_ONLY}
            result = fn(target, **kwargs)
            if inspect.isawaitable(result):
                await result
            calls.append(f"{owner.__name__}.{attr}")

async def run():
    with aioresponses() as m:
        m.add(re.compile(r".*"), method="GET", payload={"value": []}, repeat=True)
        m.add(re.compile(r".*"), method="POST", payload={"value": "ok"}, repeat=True)
        async with client_cls("https://example.test/v1.0", token) as client:
            await call_all(client)

asyncio.run(run())
docs = {}
wires = {}
for q, info in registry._by_name.items():
    docs[q] = inspect.getdoc(info.cls)
    for field in info.fields:
        wires.setdefault(q, []).append(field.wire)
        described = inspect.getdoc(typing.get_type_hints) and None
methods = {}
for q in registry._builders:
    for c in (False, True):
        owner = registry.builder(q, c)
        for attr, fn in vars(owner).items():
            if not attr.startswith("_"):
                doc = inspect.getdoc(fn.fget if isinstance(fn, property) else fn)
                methods[f"{owner.__name__}.{attr}"] = doc
print(json.dumps({"calls": calls, "docs": docs, "wires": wires, "methods": methods}))
'''


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """Generate from the hostile document (under a hostile file name) and page; return (out, descriptions, title)."""
    folder = tmp_path_factory.mktemp("hostile")
    data, descriptions = hostile_document()
    metadata = folder / 'meta"""; __import__("os").system("touch pwned") #.xml'
    metadata.write_bytes(data)
    page_text, title = hostile_page()
    page = folder / "page.md"
    page.write_text(page_text, encoding="utf-8")
    out = folder / "out"
    code = main(["generate", "--metadata", str(metadata), "--spec", str(page), "--package", "hostile_pkg",
                 "--out", str(out), "--quiet", "--scope", BREAKOUTS[0]])
    assert code == 0
    return out, descriptions, title


def _run_driver(out: Path, marker: Path) -> dict[str, object]:
    env = {**os.environ, "ODATAKIT_MARKER": str(marker), "PYTHONPATH": os.pathsep.join([str(out), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", DRIVER, "hostile_pkg"], cwd=out, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_hostile_package_imports_and_answers_every_call_without_running_input(
    hostile_package: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    out, descriptions, title = hostile_package
    marker = tmp_path / "marker"
    result = _run_driver(out, marker)
    assert not marker.exists(), "a payload from the input ran"
    assert not (out / "pwned").exists()
    calls = set(result["calls"])  # type: ignore[arg-type]
    # Every kind of generated member was called: entity sets, singletons, navigations, both members
    # of the navigation/action clash, operations with keyword-named parameters, the action import.
    assert {"ThingRequest.children", "ThingRequest.restore", "ClassRequest.restore_2", "ClassRequest.self_",
            "ThingCollectionRequest.import_", "YieldClient.things", "YieldClient.me", "YieldClient.global_",
            "YieldClient.registry", "YieldClient.close_"} <= calls, sorted(calls)


def test_hostile_docstrings_and_wire_names_read_back(hostile_package: tuple[Path, dict[str, str], str],
                                                     tmp_path: Path) -> None:
    out, descriptions, title = hostile_package
    result = _run_driver(out, tmp_path / "marker")
    docs: dict[str, str] = result["docs"]  # type: ignore[assignment]
    for qualified in ("Hostile.Ns.Thing", "Hostile.Ns.class", "Hostile.Ns.Odd", "Hostile.Ns.Mood"):
        # A structured class's docstring goes on with the list of its fields (see odatakit._introspect).
        own = _flat(docs[qualified]).split(" Fields (keyword arguments of the constructor, None when absent): ")
        assert own[0] == _flat(descriptions[qualified])
    assert "odd: hostile_pkg.models.Odd | None (odd, Hostile.Ns.Odd)" in _flat(docs["Hostile.Ns.Thing"])
    wires: dict[str, list[str]] = result["wires"]  # type: ignore[assignment]
    assert wires["Hostile.Ns.Odd"] == list(ODD_NAMES)
    assert wires["Hostile.Ns.class"][-2:] == ["restore", "self"]
    methods: dict[str, str] = result["methods"]  # type: ignore[assignment]
    restore = methods["ThingRequest.restore"]
    assert _flat(descriptions["Hostile.Ns.restore"]) in _flat(restore)
    children = methods["ThingRequest.children"]
    # The page's title as the reader reads it (Markdown emphasis removed; NUL, escape sequence and
    # bidirectional override kept) reads back in the navigation's docstring.
    (read,) = read_page(str(out.parent / "page.md"), Diagnostics())
    assert read.title is not None and "\x00" in read.title and '"""' in read.title
    assert _flat(read.title.rstrip(".")) in _flat(children)


def test_hostile_package_passes_mypy_strict(hostile_package: tuple[Path, dict[str, str], str]) -> None:
    out, _, _ = hostile_package
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "hostile_pkg"],
                          cwd=out, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]


def test_hostile_source_text_holds_no_live_payload(hostile_package: tuple[Path, dict[str, str], str]) -> None:
    out, _, _ = hostile_package
    for path in (out / "hostile_pkg").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, str(path))
        # Every payload is inside a string: the code itself names none of what they call.
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert "__import__" not in names and "touch" not in attributes and "system" not in attributes, path.name
        assert "\u202e" not in text and "\x00" not in text and "\x1b" not in text, path.name
    # ... though they are there, as text.
    assert RUN in (out / "hostile_pkg" / "models.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ('a"""b', "Property"),
        ("a b", "Property"),
        ("a\nb", "EntitySet"),
        ("a\rb", "Property"),
        ("1abc", "EntityType"),
        ("x" * 129, "Property"),
        ("", "Member"),
    ],
)
def test_names_that_break_the_csdl_rules_are_one_line_errors(
    name: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = hostile_document()
    text = data.decode("utf-8")
    target = {"Property": 'Name="mood"', "EntitySet": 'Name="things"', "EntityType": 'Name="Thing"',
              "Member": 'Name="self"'}[where]
    escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
    text = text.replace(target, f'Name="{escaped}"', 1)
    path = tmp_path / "bad.xml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "generate", "--metadata", str(path), "--package", "p", "--out",
                             str(tmp_path / "out"), "--quiet")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: {path}:"), err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "p").exists()
