"""Golden tests: the exact files emitted for small hand-written CSDL fixtures.

Run with UPDATE_GOLDEN=1 to rewrite tests/golden/ after an intended change, then read the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, generate

GOLDEN = ROOT / "tests" / "golden"
FIXTURE_NAMES = ["inheritance", "enums", "keys", "operations", "names", "annotations", "streams"]


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_emitted_files_match_golden(name: str, tmp_path: Path) -> None:
    package = f"golden_{name}"
    emitted = generate(FIXTURES / f"{name}.xml", package, tmp_path, key_as_segment=(name == "names"))
    expected_dir = GOLDEN / package
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(emitted, expected_dir)
    got, expected = _files(emitted), _files(expected_dir)
    assert sorted(got) == sorted(expected)
    for rel, text in expected.items():
        assert got[rel] == text, f"{package}/{rel} differs from the golden copy"


def test_generation_is_deterministic(tmp_path: Path) -> None:
    a = generate(FIXTURES / "inheritance.xml", "det", tmp_path / "a")
    b = generate(FIXTURES / "inheritance.xml", "det", tmp_path / "b")
    assert _files(a) == _files(b)


def test_golden_packages_pass_mypy_strict_and_ruff() -> None:
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    packages = [arg for name in FIXTURE_NAMES for arg in ("-p", f"golden_{name}")]
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *packages],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
        env=env,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "120", "--no-cache", "."],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--isolated", "--line-length", "120", "--no-cache", "."],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_golden_packages_pass_pyright_strict(tmp_path: Path) -> None:
    """pyright --strict, the checker of VS Code's Pylance, reads generated code as users' projects hold it."""
    pyright = Path(sys.executable).parent / "pyright"
    if not pyright.exists():
        pytest.skip("pyright is not installed (pip install -e '.[dev]')")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "extraPaths": [str(ROOT)],
                                  "reportMissingModuleSource": False}), encoding="utf-8")
    done = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "-p", str(config),
         *(f"golden_{name}" for name in FIXTURE_NAMES)],
        cwd=GOLDEN, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 errors" in done.stdout
