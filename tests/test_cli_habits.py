"""The command line's habits: presets, package and class names, help with an example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import FIXTURES, GENERATED, ROOT, run_cli

SCHEMAS = ROOT / "schemas"


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*.py"))}


@pytest.mark.parametrize(
    ("package", "schema", "preset", "flags"),
    [
        ("graph_v1", "graph_v1", "graph", []),
        ("outlook_v2", "outlook_v2", "outlook", []),
        # auto detects the same from the namespaces
        ("graph_v1", "graph_v1", "auto", []),
        ("outlook_v2", "outlook_v2", "auto", []),
        # and the preset's options, written out, give the same package
        ("graph_v1", "graph_v1", "none", ["--key-as-segment", "--unqualified-operations", "--unqualified-enums",
                                          "--batch-format", "json", "--scope", "https://graph.microsoft.com/.default",
                                          "--client-class", "GraphClient"]),
    ],
)
def test_presets_reproduce_the_bundled_packages(
    package: str, schema: str, preset: str, flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "generate", "--metadata", str(SCHEMAS / f"{schema}.xml"), "--spec",
                             str(SCHEMAS / f"{schema}.spec.md"), "--package", package, "--out", str(tmp_path),
                             "--preset", preset, *flags)  # fmt: skip
    assert code == 0, err
    assert _files(tmp_path / package) == _files(GENERATED / package)
    if preset == "auto":
        namespace = "microsoft.graph" if schema == "graph_v1" else "Microsoft.OutlookServices"
        name = "graph" if schema == "graph_v1" else "outlook"
        assert out.rstrip().endswith(f"; preset {name} (detected from namespace {namespace})")
    lock = json.loads((tmp_path / f"{package}.lock.json").read_text())
    assert lock["options"]["preset"] == preset


def test_an_option_given_wins_over_the_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "generate", "--metadata", str(SCHEMAS / "graph_v1.xml"), "--package", "g",
                           "--out", str(tmp_path), "--no-key-as-segment", "--client-class", "Graph", "--scope",
                           "https://graph.microsoft.us/.default", "--batch-format", "multipart", "--quiet")
    assert code == 0, err
    client = (tmp_path / "g" / "client.py").read_text()
    assert "class Graph(Client):" in client
    assert "key_as_segment=False," in client and "qualified_enums=False," in client
    assert 'scopes=("https://graph.microsoft.us/.default",),' in client and "json_batch=False," in client


def test_no_preset_for_other_services(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                           "--out", str(tmp_path))
    assert code == 0
    assert out.rstrip().endswith(", 0 warnings")
    client = (tmp_path / "shop" / "client.py").read_text()
    assert "key_as_segment=False," in client and "scopes=()," in client


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("my-pkg", "'my-pkg' is not a Python package name"),
        ("a.b", "'a.b' is not a Python package name"),
        ("class", "'class' is a Python keyword"),
        ("json", "'json' would shadow the standard library's json module"),
        ("odatakit", "'odatakit' would shadow odatakit, which odatakit needs"),
        ("aiohttp", "'aiohttp' would shadow aiohttp, which odatakit needs"),
        ("名前", "'名前' is not a Python package name"),
    ],
)
def test_package_names_are_checked(name: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", name, "--out", str(tmp_path))
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"odatakit generate: error: argument --package: {message}")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_client_class_names_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop", "--out",
                str(tmp_path), "--client-class", "not a class")
    assert "argument --client-class: 'not a class' is not a usable Python class name" in capsys.readouterr().err


def test_generate_help_shows_worked_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(capsys, "generate", "--help")
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "odatakit generate --metadata 'https://services.odata.org/V4/TripPinServiceRW/$metadata'" in out
    assert "--preset {auto,graph,outlook,none}" in out


def test_an_odata_v2_document_says_odata_v2_is_not_supported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v2 = tmp_path / "v2.xml"
    v2.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">\n'
        '  <edmx:DataServices m:DataServiceVersion="2.0" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"/>\n</edmx:Edmx>\n'
    )
    code, out, err = run_cli(capsys, "generate", "--metadata", str(v2), "--package", "p", "--out", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {v2}: OData V2 is not supported: this is an EDMX 1.0 $metadata")
    assert len(err.strip().splitlines()) == 1
