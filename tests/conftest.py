"""Shared test helpers: where ../shared is, and generating a package into a temp folder."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from generator.csdl import load_metadata
from generator.emit import EmitOptions, emit
from generator.errors import Diagnostics
from generator.naming import assign_names

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures" / "csdl"
GENERATED = ROOT / "generated"


PROGRESS_LINE = re.compile(r"\[ *\d+\.\ds\] ")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the generator's CLI: exit code, stdout and stderr without the stage lines a slow machine prints."""
    from generator.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, "".join(line for line in err.splitlines(keepends=True) if not PROGRESS_LINE.match(line))


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the ../shared data is not checked out next to the project")
    return path


def generate(metadata: Path | str, package: str, out: Path, **options: object) -> Path:
    """Read, name and emit a package; return its folder."""
    model = assign_names(load_metadata(str(metadata), diagnostics=Diagnostics()))
    emit(model, EmitOptions(package=package, **options), out)  # type: ignore[arg-type]
    return out / package


@pytest.fixture(scope="session")
def generated_packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ModuleType]]:
    """Generate (once per name) and import a package from a metadata file."""
    out = tmp_path_factory.mktemp("pkgs")
    sys.path.insert(0, str(out))
    cache: dict[str, ModuleType] = {}

    def make(metadata: Path | str, package: str, **options: object) -> ModuleType:
        if package not in cache:
            generate(metadata, package, out, **options)
            cache[package] = importlib.import_module(package)
        return cache[package]

    yield make
    sys.path.remove(str(out))


@pytest.fixture(scope="session")
def bundled() -> Iterator[None]:
    """Make the committed generated/ packages importable."""
    sys.path.insert(0, str(GENERATED))
    yield
    sys.path.remove(str(GENERATED))
