"""Installed size of a package directory, or of a distribution and everything it requires.

Standard library only, so the project's venv (odatakit's generated package and its runtime dependencies) and
.bench-venv (msgraph-sdk) are sized the same way. Bytecode never counts: `__pycache__` directories and
`.pyc` files are skipped, since they depend on which interpreters have run the code, not on what was shipped.
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

# A requirement's name and its [extras]; what follows (versions, URL) does not matter here.
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
# The extra a requirement is conditional on, in its environment marker.
_EXTRA = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def _is_bytecode(path: Path) -> bool:
    """Whether `path` is compiled bytecode or lies under a __pycache__ directory."""
    return path.suffix == ".pyc" or "__pycache__" in path.parts


def tree_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Bytes of the files under `path` (bytecode excluded) and the number of .py files among them."""
    total = py_files = 0
    for folder, dirs, files in os.walk(path):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            if name.endswith(".pyc"):
                continue
            full = os.path.join(folder, name)
            if os.path.islink(full):
                continue
            total += os.path.getsize(full)
            py_files += name.endswith(".py")
    return total, py_files


def _canonical(name: str) -> str:
    """A distribution name as PEP 503 normalises it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_closure(name: str) -> list[str]:
    """`name` and every installed distribution it requires, transitively, with the extras asked for (sorted).

    A requirement under an environment marker counts when its distribution is installed; one under
    `extra == "x"` counts only when something required the distribution with extra x, as httpx[http2] does.
    """
    followed: dict[str, set[str]] = {}  # distribution -> extras whose requirements were followed
    todo: list[tuple[str, set[str]]] = [(name, set())]
    while todo:
        requested, extras = todo.pop()
        current = _canonical(requested)
        first_visit = current not in followed
        new_extras = extras - followed.get(current, set())
        if not first_visit and not new_extras:
            continue
        try:
            dist = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            continue  # an environment marker left it out here (or it is missing: nothing installed to count)
        followed.setdefault(current, set()).update(extras)
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            extra = _EXTRA.search(marker)
            if (extra is None and first_visit) or (extra is not None and _canonical(extra.group(1)) in new_extras):
                match = _REQUIREMENT.match(spec)
                if match:
                    asked = {_canonical(e) for e in re.split(r"[,\s]+", match.group(2) or "") if e}
                    todo.append((match.group(1), asked))
    return sorted(followed)


def dist_size(name: str) -> tuple[int, int]:
    """Bytes of the files a distribution installed, from its RECORD (bytecode excluded), and its .py count."""
    total = py_files = 0
    for file in metadata.distribution(name).files or []:
        path = Path(str(file.locate()))
        if _is_bytecode(path) or not path.is_file():
            continue
        total += path.stat().st_size
        py_files += path.suffix == ".py"
    return total, py_files
