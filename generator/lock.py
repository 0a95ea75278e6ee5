"""Lock files: what a generated package was made from, so `odatakit check` can tell drift.

`odatakit generate` writes `<out>/<package>.lock.json` next to the package: the generator's
version, the options that shape the output, the SHA-256 of every input (the `$metadata`
document, overlays, spec pages) and of every file it wrote. `odatakit check LOCK` reports:

- an input that changed (or can no longer be read),
- options that differ from the ones given to `check` (when generate options are given),
- a generator version other than the running one,
- files of the package edited, added or removed by hand.

Paths of inputs are stored relative to the lock file, URLs as they are, so a committed lock
names no machine path and `check` works from any working directory.  Request headers
(`--header`, `ODATAKIT_HEADERS`) are never recorded: they may hold secrets, and `check
--fetch` takes them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = ["LOCK_SUFFIX", "Drift", "check_lock", "lock_path", "write_lock"]

LOCK_SUFFIX = ".lock.json"
#: The lock format; a lock of another format is reported, not misread.
FORMAT = 1


def lock_path(out: Path, package: str) -> Path:
    """Where the lock of `package` generated into `out` lives."""
    return out / f"{package}{LOCK_SUFFIX}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _input_name(source: str, lock_dir: Path) -> str:
    if _is_url(source):
        return source
    return Path(os.path.relpath(Path(source).resolve(), lock_dir.resolve())).as_posix()


def _package_files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _sha256(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".mypy_cache" not in p.parts
    }


def write_lock(
    out: Path,
    package: str,
    version: str,
    inputs: Mapping[str, bytes],
    options: Mapping[str, Any],
) -> Path:
    """Write the lock of a package just generated; `inputs` maps each source (path or URL) to its bytes."""
    path = lock_path(out, package)
    record = {
        "format": FORMAT,
        "generator": f"odatakit {version}",
        "package": package,
        "options": dict(sorted(options.items())),
        "inputs": {_input_name(src, out): _sha256(data) for src, data in inputs.items()},
        "files": _package_files(out / package),
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@attrs.frozen
class Drift:
    """One difference between a lock and what is there now."""

    kind: str  # "input", "options", "generator", "edited", "added", "removed", "lock"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def check_lock(
    path: Path,
    version: str,
    options: Mapping[str, Any] | None = None,
    fetch: Any = None,
    inputs: Sequence[str] | None = None,
) -> list[Drift]:
    """The drift of the package locked by `path` (empty: up to date).

    `options` and `inputs` (paths or URLs), when given, are compared with the locked ones;
    `fetch(url) -> bytes` reads URL inputs (without it they are not checked).
    """
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Drift("lock", f"{path}: cannot read ({exc})")]
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return [Drift("lock", f"{path}: not an odatakit lock of format {FORMAT}")]
    drifts: list[Drift] = []
    folder = path.parent
    if record.get("generator") != f"odatakit {version}":
        drifts.append(Drift("generator", f"locked by {record.get('generator')}, this is odatakit {version}"))
    for name, digest in record.get("inputs", {}).items():
        try:
            if _is_url(name):
                if fetch is None:
                    continue
                data = fetch(name)
            else:
                data = (folder / name).read_bytes()
        except Exception as exc:  # noqa: BLE001 - any failure to read is reported as drift
            drifts.append(Drift("input", f"{name}: cannot read ({exc})"))
            continue
        if _sha256(data) != digest:
            drifts.append(Drift("input", f"{name} changed since generation"))
    if inputs is not None:
        names = sorted(_input_name(src, folder) for src in inputs)
        if names != sorted(record.get("inputs", {})):
            drifts.append(Drift("options", f"inputs: locked {sorted(record.get('inputs', {}))}, given {names}"))
    if options is not None:
        locked = record.get("options", {})
        for key in sorted(set(locked) | set(options)):
            if _normal(locked.get(key)) != _normal(options.get(key)):
                drifts.append(Drift("options", f"{key}: locked {locked.get(key)!r}, given {options.get(key)!r}"))
    package = folder / str(record.get("package", ""))
    now = _package_files(package) if package.is_dir() else {}
    before: dict[str, str] = record.get("files", {})
    for name in sorted(set(before) | set(now)):
        if name not in now:
            drifts.append(Drift("removed", f"{package.name}/{name}"))
        elif name not in before:
            drifts.append(Drift("added", f"{package.name}/{name}"))
        elif now[name] != before[name]:
            drifts.append(Drift("edited", f"{package.name}/{name}"))
    return drifts


def _normal(value: Any) -> Any:
    # JSON has no tuples: compare sequences as lists.
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_normal(v) for v in value]
    return value
