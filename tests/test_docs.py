"""Every code sample of README.md and docs/ runs: the documentation is tested like the code.

Python samples (```python) run page by page, in order, in one namespace per page (a later
sample uses the names an earlier one made), compiled with top-level `await` allowed and run in
one event loop. They import the bundled packages (`generated/` on sys.path) and talk to
`https://graph.microsoft.com/v1.0` and `https://outlook.office.com/api/v2.0`, which
aioresponses routes to the in-memory service of `tests/docs_service.py`: nothing leaves the
machine. Their `assert`s are the checks (the exact URL, body or typed result).

A sample that cannot run says so just before its fence, with a reason:
`<!-- no-run: needs azure-identity and a signed-in account -->`. A page may have at most
`MAX_NO_RUN` of them. Shell samples (```sh) run only when marked `<!-- run -->`: in a temporary
folder holding a copy of `schemas/`, with the venv's `odatakit` first on PATH, under `set -e`.

`<!-- pending: FEATURE -->` marks a sample (Python, or shell to run) that shows a feature the
documentation describes before the code has it (`PENDING` below says how each is detected).
It runs as soon as the feature is there; until then it is left out, the rest of its page still
runs, and the page's test ends as an expected failure naming what is missing. Drop the mark
once the feature has landed.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

from .conftest import ROOT
from .docs_service import FakeService

#: No-run marks a page may carry: more means the page shows code nobody checks.
MAX_NO_RUN = 2
#: Python samples that must run in all (extraction that silently finds nothing must fail).
MIN_PYTHON_SAMPLES = 40

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<lang>[\w+-]*)[^\n]*$")
_MARK = re.compile(r"^\s*<!--\s*(?P<kind>no-run|run|pending)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")


@dataclass(frozen=True)
class Sample:
    page: Path
    line: int  # of the first code line, 1-based
    lang: str
    code: str
    mark: str | None  # "no-run", "run", "pending" or None
    reason: str | None

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def samples(page: Path) -> list[Sample]:
    """The fenced code blocks of a Markdown page, with the mark on the line before each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Sample] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines[start:end]]
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        mark = _MARK.match(previous)
        found.append(
            Sample(
                page,
                start + 1,
                match["lang"].lower(),
                "\n".join(body) + "\n",
                mark["kind"] if mark else None,
                mark["reason"] if mark else None,
            )
        )
        i = end + 1
    return found


def python_samples(page: Path) -> list[Sample]:
    return [s for s in samples(page) if s.lang in ("python", "py", "pycon") and s.mark != "no-run"]


def shell_samples(page: Path) -> list[Sample]:
    return [s for s in samples(page) if s.lang in ("sh", "bash", "shell", "console") and s.mark in ("run", "pending")]


# -- features described before they exist -----------------------------------------------------------------
#: Feature name -> a check that the code has it, for `<!-- pending: NAME -->` marks. Empty while
#: the documentation describes nothing the code lacks (the last ones, `--preset`, run-time
#: `scopes=` and string credentials, have landed).
PENDING: dict[str, Callable[[], bool]] = {}
_present: dict[str, bool] = {}


def missing(sample: Sample) -> list[str]:
    """The pending features a sample needs that the code does not have yet."""
    if sample.mark != "pending":
        return []
    names = (sample.reason or "").replace(",", " ").split()
    assert names and all(n in PENDING for n in names), f"{sample}: pending marks name one of {sorted(PENDING)}"
    for name in names:
        if name not in _present:
            _present[name] = PENDING[name]()
    return [n for n in names if not _present[n]]


def _ids(pages: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in pages]


PY_PAGES = [p for p in PAGES if python_samples(p)]
SH_PAGES = [p for p in PAGES if shell_samples(p)]


# -- the marks ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_samples_that_do_not_run_are_few_and_say_why(page: Path) -> None:
    skipped = [s for s in samples(page) if s.mark == "no-run"]
    assert all(s.reason for s in skipped), [str(s) for s in skipped if not s.reason]
    assert len(skipped) <= MAX_NO_RUN, f"{page.name}: {len(skipped)} samples marked no-run: {[str(s) for s in skipped]}"
    python_blocks = [s for s in samples(page) if s.lang in ("python", "py", "pycon")]
    for sample in python_blocks:
        if sample.mark != "no-run":
            # Every Python block either runs or says why not; a syntax error is never a sample.
            ast.parse(sample.code, str(sample))


def test_the_docs_have_samples_to_run() -> None:
    count = sum(len(python_samples(p)) for p in PAGES)
    assert count >= MIN_PYTHON_SAMPLES, f"only {count} Python samples found"
    readme = samples(ROOT / "README.md")
    assert readme[0].lang == "sh" and readme[0].code.startswith("make demo") and "\nmake test" in readme[0].code
    assert any(s.mark == "run" and "odatakit generate --metadata schemas/" in s.code for s in readme)


_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


def test_readme_links_point_at_files() -> None:
    """README.md is not part of the site (whose links mkdocs --strict checks): check its own."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [m["target"] for m in _LINK.finditer(text) if "://" not in m["target"]]
    assert targets, "no relative links found"
    assert [t for t in targets if not (ROOT / t).exists()] == []


def test_the_reference_lists_every_public_name() -> None:
    import odatakit
    from odatakit.errors import ODataError

    page = (ROOT / "docs" / "reference" / "odatakit.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(\w+)`", page))
    errors = {
        n
        for n in odatakit.__all__
        if isinstance(getattr(odatakit, n), type) and issubclass(getattr(odatakit, n), ODataError)
    }
    assert sorted(set(odatakit.__all__) - listed - errors) == []


# -- Python samples --------------------------------------------------------------------------------------
@pytest.fixture
def docs_env(bundled: None) -> Any:
    """The bundled packages importable, and every request to the two service roots served in memory."""
    service = FakeService()
    with aioresponses() as mocked:
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            mocked.add(re.compile(r"^https?://.*"), method=method, callback=service.callback(method), repeat=True)
        yield service


@pytest.mark.parametrize("page", PY_PAGES, ids=_ids(PY_PAGES))
async def test_python_samples_run(page: Path, docs_env: FakeService) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    left_out: list[str] = []
    try:
        for sample in python_samples(page):
            if await asyncio.to_thread(missing, sample):
                left_out.append(f"{sample} needs {', '.join(missing(sample))}")
                continue
            await run_sample(sample, namespace)
    finally:
        await close_clients(namespace)
    if left_out:
        pytest.xfail("features not there yet: " + "; ".join(left_out))


async def run_sample(sample: Sample, namespace: dict[str, Any]) -> None:
    # Leading blank lines put tracebacks on the Markdown line of the failing statement.
    source = "\n" * (sample.line - 1) + sample.code
    try:
        code = compile(source, str(sample.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        raise AssertionError(f"{sample}: {exc}") from exc
    result = eval(code, namespace)  # noqa: S307 - the project's own documentation
    if inspect.iscoroutine(result):
        await result


async def close_clients(namespace: dict[str, Any]) -> None:
    """Close what a page left open (a client made without `async with`), as its reader's process exit would."""
    from odatakit import Client

    for value in namespace.values():
        if isinstance(value, Client):
            await value.close()
    await asyncio.sleep(0)


# -- shell samples ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", SH_PAGES, ids=_ids(SH_PAGES))
def test_shell_samples_run(page: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("ODATAKIT_HEADERS", None)
    left_out: list[str] = []
    for sample in shell_samples(page):
        if missing(sample):
            left_out.append(f"{sample} needs {', '.join(missing(sample))}")
            continue
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", sample.code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{sample}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    if left_out:
        pytest.xfail("features not there yet: " + "; ".join(left_out))
