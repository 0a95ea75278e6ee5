"""Generated code comes out formatted: a fixed point of ruff's import sorting and formatter.

The generator runs no formatter (so users' own ruff never fights it, and the output depends only
on the odatakit version); ruff, pinned in the dev extra, checks here that what it writes is
already what ruff would write: the bundled packages, the golden fixtures, and the whole Graph.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.layout import tidy_imports, wrap_long_lines

from .conftest import FIXTURES, GENERATED, generate, shared_file

RUFF_SETTINGS = ("--isolated", "--target-version", "py311", "--line-length", "120", "--no-cache")


def ruffed(folder: Path, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each .py file of `folder` → (as written, as ruff would write it), for the files ruff changes."""
    copy = tmp_path / ("ruffed-" + folder.name)
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--select", "I,F401", "--fix", "--quiet", "--exit-zero", *RUFF_SETTINGS, "."],
                   cwd=copy, check=True)
    subprocess.run([*ruff, "format", "--quiet", *RUFF_SETTINGS, "."], cwd=copy, check=True)
    changed = {}
    for path in sorted(folder.rglob("*.py")):
        before = path.read_text(encoding="utf-8")
        after = (copy / path.relative_to(folder)).read_text(encoding="utf-8")
        if before != after:
            changed[str(path.relative_to(folder))] = (before, after)
    return changed


def _first_difference(before: str, after: str) -> str:
    for i, (a, b) in enumerate(zip(before.splitlines(), after.splitlines(), strict=False), 1):
        if a != b:
            return f"line {i}:\n  written: {a!r}\n  ruff:    {b!r}"
    return "lengths differ"


def assert_fixed_point(folder: Path, tmp_path: Path) -> None:
    changed = ruffed(folder, tmp_path)
    assert not changed, "\n".join(f"{name}: {_first_difference(*texts)}" for name, texts in changed.items())


@pytest.mark.parametrize("package", ["outlook_v2", "graph_v1", "cap_calendar"])
def test_bundled_packages_are_ruff_fixed_points(package: str, tmp_path: Path) -> None:
    assert_fixed_point(GENERATED / package, tmp_path)


@pytest.mark.parametrize("fixture", sorted(p.stem for p in FIXTURES.glob("*.xml")))
def test_fixture_packages_are_ruff_fixed_points(fixture: str, tmp_path: Path) -> None:
    folder = generate(FIXTURES / f"{fixture}.xml", f"fx_{fixture}", tmp_path / "out")
    assert_fixed_point(folder, tmp_path)


def test_the_whole_graph_is_a_ruff_fixed_point(tmp_path: Path) -> None:
    # Graph's long names push hundreds of lines past 120 characters: calls, headers, annotations.
    metadata = shared_file("external", "msgraph-metadata", "v1.0-cleanMetadata.xml")
    folder = generate(metadata, "whole", tmp_path / "out")
    assert_fixed_point(folder, tmp_path)


def test_tidy_imports_keeps_what_is_used_merges_sorts_and_wraps() -> None:
    text = '''"""Doc."""

from __future__ import annotations

from uuid import UUID
from typing import TYPE_CHECKING, Any, cast
from datetime import datetime
from datetime import date
import builtins
from odatakit.edm import decoder as _decoder
from odatakit.edm import SEEN as _SEEN
from odatakit.builders import invoke, CollectionRequest

from ._registry import REGISTRY

if TYPE_CHECKING:
    from .models import Zeta, Alpha, Unused
    from .requests_01 import Gone

__all__ = ["Alpha"]


def f(x: UUID) -> datetime:
    """Mentions Any and Gone only in text."""  # and invoke in a comment
    return cast("CollectionRequest[Zeta]", REGISTRY(_decoder, _SEEN, date, builtins))
'''
    assert tidy_imports(text) == '''"""Doc."""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from odatakit.builders import CollectionRequest
from odatakit.edm import SEEN as _SEEN
from odatakit.edm import decoder as _decoder

from ._registry import REGISTRY

if TYPE_CHECKING:
    from .models import Alpha, Zeta

__all__ = ["Alpha"]


def f(x: UUID) -> datetime:
    """Mentions Any and Gone only in text."""  # and invoke in a comment
    return cast("CollectionRequest[Zeta]", REGISTRY(_decoder, _SEEN, date, builtins))
'''


def test_tidy_imports_drops_an_empty_type_checking_block_and_its_import() -> None:
    text = "from typing import TYPE_CHECKING, Any\n\nif TYPE_CHECKING:\n    from .models import X\n\ny: Any = 1\n"
    assert tidy_imports(text) == "from typing import Any\n\ny: Any = 1\n"


@pytest.mark.parametrize(
    "line",
    [
        '        return cast("' + "A" * 60 + '", self._nav("' + "b" * 40 + '", "c", True))',
        '        return cast("' + "A" * 50 + '", self._nav("' + "b" * 30 + '", "c", True))',
        '        request = cast("' + "A" * 60 + '", self._nav("' + "b" * 50 + '", "' + "c" * 50 + '", True))',
        "_map_" + "E" * 60 + " = " + "E" * 60 + "._value2member_map_",
        "    def " + "n" * 40 + "(self) -> " + "R" * 80 + ":",
        "    def " + "n" * 30 + "(self) -> " + "R" * 50 + "[" + "S" * 50 + "]:",
        "    def __getitem__(self, key: tuple[" + "str, " * 20 + "int]) -> " + "E" * 20 + "[_T]:",
        "class " + "C" * 70 + "(" + "B" * 50 + "[_T]):",
        '            u.append(None if x is None else _decoders["' + "q" * 80 + '"](x))',
        '            u.append(None if x is None else _decoders["' + "q" * 80 + '"](x, b, n))',
        "            u.append(None if x is None else (_map_" + "M" * 40 + ".get(x) or " + "M" * 40 + "(x)))",
        "            v = [x if x.__class__ is int and -9223372036854775808 <= x <= 9223372036854775807 else _edm_Int64(x)"
        " for x in v]",
        '                ("' + "w" * 40 + '", ' + "w" * 40 + ', "microsoft.graph.' + "w" * 30 + '", False),',
        '    X = "' + "v" * 130 + '"',
        '    X = "' + "v" * 100 + '"',
    ],
)
def test_long_lines_wrap_as_ruff_wraps_them(line: str, tmp_path: Path) -> None:
    # Each line in a context that makes it valid at its indentation, formatted by ruff itself.
    indent = len(line) - len(line.lstrip())
    opening = {0: "", 4: "class K:\n", 8: "class K:\n    def m(self):\n",
               12: "class K:\n    def m(self):\n        for x in y:\n",
               16: "class K:\n    def m(self):\n        f(\n            (\n"}[indent]
    closing = {16: "            ),\n        )\n"}.get(indent, "")
    body = " " * (indent + 4) + "pass\n" if line.rstrip().endswith(":") else ""
    source = tmp_path / "m.py"
    source.write_text(opening + line + "\n" + body + closing)
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", *RUFF_SETTINGS, str(source)], check=True)
    expected = source.read_text()
    assert opening + wrap_long_lines(line) + "\n" + body + closing == expected


def test_lines_inside_strings_are_left_alone() -> None:
    text = 'x = 1\n"""\n' + "word " * 40 + '\n"""\n'
    assert wrap_long_lines(text) == text
