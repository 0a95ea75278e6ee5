"""Lock files and `odatakit check`: input, option, generator and hand-edit drift are reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import FIXTURES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


@pytest.fixture
def made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """`shop` generated into tmp/out from a copy of keys.xml in tmp/in; returns tmp."""
    (tmp_path / "in").mkdir()
    shutil.copy(FIXTURES / "keys.xml", tmp_path / "in" / "keys.xml")
    code, _ = run(capsys, "generate", "--metadata", str(tmp_path / "in" / "keys.xml"), "--package", "shop",
                  "--key-as-segment", "--out", str(tmp_path / "out"), "--quiet")  # fmt: skip
    assert code == 0
    return tmp_path


def test_lock_records_inputs_options_and_files_without_machine_paths(made: Path) -> None:
    lock = json.loads((made / "out" / "shop.lock.json").read_text())
    assert lock["generator"] == "odatakit 0.1.0" and lock["package"] == "shop"
    assert list(lock["inputs"]) == ["../in/keys.xml"]
    assert lock["options"]["key_as_segment"] is True and lock["options"]["metadata"] == "(file)"
    assert sorted(lock["files"]) == [
        "__init__.py", "_paths.py", "_registry.py", "_structure.py", "client.py", "models.py", "py.typed", "requests.py",
    ]
    assert str(made) not in (made / "out" / "shop.lock.json").read_text()


def test_check_is_clean_then_reports_each_kind_of_drift(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = made / "out" / "shop.lock.json"
    assert run(capsys, "check", str(lock)) == (0, f"{lock}: up to date\n")

    (made / "out" / "shop" / "client.py").write_text("# edited by hand\n", encoding="utf-8")
    (made / "out" / "shop" / "extra.py").write_text("", encoding="utf-8")
    (made / "out" / "shop" / "py.typed").unlink()
    with (made / "in" / "keys.xml").open("a") as f:
        f.write("<!-- changed -->\n")
    code, out = run(capsys, "check", str(lock))
    assert code == 1
    assert out.splitlines() == [
        f"{lock}: input: ../in/keys.xml changed since generation",
        f"{lock}: edited: shop/client.py",
        f"{lock}: added: shop/extra.py",
        f"{lock}: removed: shop/py.typed",
    ]


def test_generate_check_compares_options_and_inputs(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["generate", "--metadata", str(made / "in" / "keys.xml"), "--package", "shop", "--out", str(made / "out")]
    assert run(capsys, *base, "--key-as-segment", "--check")[0] == 0
    code, out = run(capsys, *base, "--check", "--spec", str(made / "in" / "keys.xml"))
    assert code == 1
    assert out.splitlines() == [
        f"{made / 'out' / 'shop.lock.json'}: options: inputs: locked ['../in/keys.xml'], "
        "given ['../in/keys.xml', '../in/keys.xml']",
        f"{made / 'out' / 'shop.lock.json'}: options: key_as_segment: locked True, given None",
    ]
    # --check writes nothing.
    assert json.loads((made / "out" / "shop.lock.json").read_text())["options"]["key_as_segment"] is True


def test_other_generator_versions_and_bad_locks(made: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = made / "out" / "shop.lock.json"
    record = json.loads(lock.read_text())
    lock.write_text(json.dumps({**record, "generator": "odatakit 0.0.9"}))
    assert run(capsys, "check", str(lock)) == (
        1,
        f"{lock}: generator: locked by odatakit 0.0.9, this is odatakit 0.1.0\n",
    )
    lock.write_text("{}")
    assert run(capsys, "check", str(lock)) == (1, f"{lock}: lock: {lock}: not an odatakit lock of format 1\n")
    missing = made / "nope.lock.json"
    code, out = run(capsys, "check", str(missing))
    assert code == 1 and out.startswith(f"{missing}: lock: {missing}: cannot read (")
