"""The whole Microsoft Graph v1.0 document: a complete package that imports, lints and type-checks user code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT, SHARED

SOURCE = SHARED / "external" / "msgraph-metadata" / "v1.0-cleanMetadata.xml"
USAGE = Path(__file__).parent / "fixtures" / "whole_graph"


@pytest.fixture(scope="module")
def whole_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Generate the whole Graph v1.0 package with the options of the bundled Graph subset (see Makefile)."""
    if not SOURCE.exists():
        pytest.skip(f"{SOURCE} is absent: the ../shared data is not checked out next to the project")
    out = tmp_path_factory.mktemp("whole_graph")
    done = subprocess.run(
        [sys.executable, "-m", "generator.cli", "generate", "--metadata", str(SOURCE), "--package", "graph_whole",
         "--client-class", "GraphClient", "--key-as-segment", "--unqualified-operations", "--unqualified-enums",
         "--batch-format", "json", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"graph_whole: 2962 structured \+ 861 enum types, 1181 operations, \d+ files", done.stdout)
    for name in ("usage.py", "misuse.py"):
        (out / name).write_text((USAGE / name).read_text(encoding="utf-8"), encoding="utf-8")
    yield out


def _mypy(folder: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary", *targets],
        cwd=folder, capture_output=True, text=True, env={**os.environ, "MYPYPATH": str(ROOT)},
    )


def test_package_and_user_code_pass_mypy_strict(whole_graph: Path) -> None:
    result = _mypy(whole_graph, "graph_whole", "usage.py")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_mypy_rejects_wrong_user_code(whole_graph: Path) -> None:
    result = _mypy(whole_graph, "misuse.py")
    lines = {int(m[1]) for m in re.finditer(r"^misuse\.py:(\d+): error:", result.stdout, re.M)}
    assert lines == {11, 12, 13, 15}, result.stdout
    assert 'Incompatible types in assignment (expression has type "Event", variable has type "DriveItem")' in result.stdout
    assert 'Argument 1 to "filter" of "CollectionRequest" has incompatible type "bool"; expected "BoolExpr[Event]"' \
        in result.stdout
    assert 'All overload variants of "get_email_activity_user_detail" of "ReportRootRequest" require at least one' \
        in result.stdout


def test_package_passes_pyright_strict(whole_graph: Path, tmp_path: Path) -> None:
    """pyright --strict (Pylance's checker) over the whole package, as a project holding it would run it."""
    pyright = Path(sys.executable).parent / "pyright"
    if not pyright.exists():
        pytest.skip("pyright is not installed (pip install -e '.[dev]')")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "extraPaths": [str(ROOT)]}), encoding="utf-8")
    done = subprocess.run([str(pyright), "--pythonpath", sys.executable, "-p", str(config), "graph_whole"],
                          cwd=whole_graph, capture_output=True, text=True)
    assert done.returncode == 0 and "0 errors" in done.stdout, done.stdout[-4000:] + done.stderr[-2000:]


def test_package_passes_ruff(whole_graph: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "120", "--no-cache", "graph_whole"],
        cwd=whole_graph, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_type_navigation_and_operation_is_reachable(whole_graph: Path) -> None:
    code = r"""
import graph_whole as g, json
from odatakit.serde import ODataObject
c = g.GraphClient('https://graph.test/v1.0')
classes = [getattr(g, n) for n in g.__all__]
structured = [k for k in classes if isinstance(k, type) and issubclass(k, ODataObject)]
from graph_whole._registry import REGISTRY
navs = sum(1 for k in structured for f in REGISTRY.info_of(k).fields if f.navigation and k.__dict__.get(f.py_name) is not None)
print(json.dumps({
  "structured": len(structured),
  "url": c.sites['root'].lists['l'].items['i'].drive_item.absolute_url,
  "eligibility": type(c.role_management.directory.role_eligibility_schedule_requests['r']).__name__,
  "navs": navs,
}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=whole_graph, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    facts = json.loads(out.stdout)
    assert facts["structured"] == 2962
    assert facts["url"] == "https://graph.test/v1.0/sites/root/lists/l/items/i/driveItem"
    # The builder of the entity type `unifiedRoleEligibilityScheduleRequest` must not take its name.
    assert facts["eligibility"] == "UnifiedRoleEligibilityScheduleRequestRequest"
    assert facts["navs"] == 1432


def test_every_name_imports_and_derived_types_structure(whole_graph: Path) -> None:
    assert len(list((whole_graph / "graph_whole").glob("models_*.py"))) > 10  # large schemas are split into modules
    code = (
        "import graph_whole, sys\n"
        "for name in graph_whole.__all__: getattr(graph_whole, name)\n"
        "c = graph_whole.GraphClient('https://graph.test/v1.0')\n"
        "e = c.converter.structure({'@odata.type': '#microsoft.graph.event', 'subject': 's'}, graph_whole.OutlookItem)\n"
        "print(len(graph_whole.__all__), type(e).__name__, c.me.calendar_groups['g'].calendars['c'].events.absolute_url)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=whole_graph, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    count, kind, url = out.stdout.split()
    assert int(count) == 2962 + 861 + 1  # structured + enum types + the client
    assert kind == "Event"
    assert url == "https://graph.test/v1.0/me/calendarGroups/g/calendars/c/events"


def test_composable_functions_are_builders_with_their_parameters_in_the_path(whole_graph: Path) -> None:
    code = (
        "import graph_whole as g\n"
        "c = g.GraphClient('https://graph.test/v1.0')\n"
        "cells = c.me.drive.items['i'].workbook.worksheets['Sheet1'].range(address='A1:B2')\n"
        "print(cells.format.font.url, cells.columns_after(count=1).url, type(cells).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=whole_graph, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    sheet = "me/drive/items/i/workbook/worksheets/Sheet1"
    assert out.stdout.split() == [
        f"{sheet}/range(address='A1:B2')/format/font",
        f"{sheet}/range(address='A1:B2')/columnsAfter(count=1)",
        "WorkbookRangeRequest",
    ]
