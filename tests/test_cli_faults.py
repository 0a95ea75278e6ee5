"""The command line when things go wrong inside it: a bug, an interrupt, a kill, a staging folder left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import emit

from .conftest import FIXTURES, ROOT, run_cli, shared_file


def test_a_bug_in_the_generator_is_one_line_exit_3_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = emit.Emitter.render

    def broken(self: emit.Emitter, progress: object = None) -> dict[str, str]:
        files = original(self)
        files["models.py"] = files["models.py"].replace("class Product(", "class Product((", 1)
        return files

    monkeypatch.setattr(emit.Emitter, "render", broken)
    code, out, err = run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                             "--out", str(tmp_path))
    assert code == 3
    assert out == ""
    line = err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert line.startswith("odatakit: internal error: the generated models.py:")
    assert "does not compile" in line and "in Product, made from " in line and "keys.xml:" in line
    assert "(Test.Keys.Product)" in line
    assert not (tmp_path / "shop").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".shop")]


def test_an_unexpected_exception_is_one_line_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("base_chain")

    monkeypatch.setattr(emit, "check_syntax", boom)
    code, _, err = run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                           "--out", str(tmp_path))
    assert code == 3
    assert err.strip().startswith("odatakit: internal error: KeyError: 'base_chain' (a bug in odatakit")
    assert len(err.strip().splitlines()) == 1


def test_interrupt_leaves_no_staging_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rename = Path.rename

    def interrupted(self: Path, target: Path) -> Path:
        if self.name.startswith(".shop."):
            assert list(self.glob("*.py"))  # the files were written when the interrupt came
            raise KeyboardInterrupt
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", interrupted)
    code, out, err = run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                             "--out", str(tmp_path))
    assert (code, out, err) == (130, "", "odatakit: interrupted\n")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_removes_the_staging_folder(tmp_path: Path) -> None:
    metadata = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "generate", "--metadata", str(metadata), "--package", "g",
         "--out", str(tmp_path), "--quiet"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".g.*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    assert process.poll() is None, "generation ended before its staging folder was seen"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143
    assert err.strip() == "odatakit: terminated"
    assert list(tmp_path.iterdir()) == []


def test_a_signal_inside_mkdtemp_leaves_no_staging_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The window the SIGTERM test can only hit by chance: the folder made, its name not yet returned.
    made = emit.tempfile.mkdtemp

    def interrupted(**kwargs: str) -> str:
        made(**kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(emit.tempfile, "mkdtemp", interrupted)
    (tmp_path / f".shopping.{os.getpid()}.x").mkdir()  # another package's, made by this process: kept
    with pytest.raises(KeyboardInterrupt):
        emit.write_package({"a.py": ""}, tmp_path, "shop")
    assert [p.name for p in tmp_path.iterdir()] == [f".shopping.{os.getpid()}.x"]


def test_staging_folders_of_killed_runs_are_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".shop.{int(dead.stdout)}.abc123"
    (stale / "sub").mkdir(parents=True)
    alive = tmp_path / f".shop.{os.getppid()}.def456"  # a run still going: left alone
    alive.mkdir()
    other = tmp_path / ".shopping.1.x"  # another package's
    other.mkdir()
    code, _, err = run_cli(capsys, "generate", "--metadata", str(FIXTURES / "keys.xml"), "--package", "shop",
                           "--out", str(tmp_path), "--quiet")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".shopping.1.x", alive.name, "shop",
                                                                 "shop.lock.json"])
