"""`make install-check`: odatakit as a user gets it, from the sdist and wheel into fresh venvs.

Run with the development venv's Python (it needs `build`): `python tests/install_check.py`.
Every step is printed with its time; the first failure ends the run with its output and exit 1.

1. `python -m build`: the sdist, then the wheel built from that sdist. Both are inspected:
   only odatakit-prefixed top-level names, the templates, LICENSE, the runtime's requirements.
2. A fresh venv outside the checkout gets `<wheel>[generator]`; from an unrelated folder,
   `odatakit --version`, `odatakit generate` from a file and from a local `$metadata` URL
   (an http.server in this process), `odatakit check` on the lock file; the output equals
   what the checkout's generator writes.
3. A second fresh venv gets the wheel alone: lxml and jinja2 are not importable, the
   generated package imports and answers one typed query against a small aiohttp OData
   server, and `odatakit generate` prints the one-line hint with exit code 2.

pip's own cache (`pip cache dir`) keeps the downloads, so runs after the first are quick.
`--keep` leaves the temporary folder for a look; `--python python3.13` makes the venvs with another interpreter.
"""

from __future__ import annotations

import argparse
import filecmp
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "csdl" / "keys.xml"
HINT = 'pip install "odatakit[generator]"'

# Runs in the runtime-only venv, with the generated package `shop` on PYTHONPATH.
QUERY_SCRIPT = r"""
import asyncio
import sys
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import aiohttp
from aiohttp import web

import odatakit
import shop
from shop import Customer, Order, ShopClient

assert Path(odatakit.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), odatakit.__file__
ORDER_ID = "c2d5e1a0-0000-4000-8000-000000000001"
seen = []


async def answer(request: web.Request) -> web.Response:
    seen.append((request.path, dict(request.query)))
    if request.path == "/service/customers":
        return web.json_response({"@odata.context": "$metadata#customers", "value": [{"id": 42, "name": "Ada"}]})
    if request.path == f"/service/orders({ORDER_ID})":
        return web.json_response({"@odata.context": "$metadata#orders/$entity", "id": ORDER_ID, "customerId": 42,
                                  "total": 12.5})
    return web.json_response({"error": {"code": "NotFound", "message": request.path}}, status=404)


async def main() -> None:
    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with ShopClient(f"http://127.0.0.1:{port}/service") as client:
            found = await client.customers.filter(Customer.name == "Ada").top(1).get()
            order = await client.orders[UUID(ORDER_ID)].get()
    finally:
        await runner.cleanup()
    assert seen == [("/service/customers", {"$filter": "name eq 'Ada'", "$top": "1"}),
                    (f"/service/orders({ORDER_ID})", {})], seen
    assert [type(c) for c in found] == [Customer], found
    assert (found[0].id, found[0].name) == (42, "Ada"), found
    assert type(order) is Order, order
    assert (order.id, order.customer_id, order.total) == (UUID(ORDER_ID), 42, Decimal("12.5")), order
    print(f"typed query ok: {found[0]!r}, {order!r} (aiohttp {aiohttp.__version__}, odatakit from {odatakit.__file__})")


asyncio.run(main())
"""


class CheckFailed(Exception):
    """A step did not do what the check expects."""


def step(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f}s] {message}", flush=True)


def run(
    cmd: Sequence[str | Path],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    expect: int = 0,
) -> subprocess.CompletedProcess[str]:
    """Run a command; its exit code must be `expect`, else its output is printed and the check fails."""
    shown = " ".join(str(part) for part in cmd)
    done = subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != expect:
        raise CheckFailed(
            f"`{shown}` (in {cwd}) exited {done.returncode}, expected {expect}\n"
            f"--- stdout ---\n{done.stdout}--- stderr ---\n{done.stderr}"
        )
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that could put the checkout or the dev venv on sys.path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def build(dist: Path) -> tuple[Path, Path]:
    """The sdist, and the wheel built from it (`python -m build` builds the wheel from the sdist)."""
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT], cwd=ROOT, env=clean_env())
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    check(
        len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel in {dist}: {sorted(dist.iterdir())}"
    )
    return sdists[0], wheels[0]


def source_version() -> str:
    """odatakit/__init__.py's `__version__`, read as setuptools reads it (statically)."""
    for line in (ROOT / "odatakit" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__ = "):
            return str(json.loads(line.split("=", 1)[1].strip().replace("'", '"')))
    raise CheckFailed("odatakit/__init__.py has no __version__")


def inspect_wheel(wheel: Path, version: str) -> None:
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.jinja"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = f"odatakit-{version}.dist-info"
        record = zf.read(f"{info}/RECORD").decode()
        metadata = Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
        top_level = zf.read(f"{info}/top_level.txt").decode().split() if f"{info}/top_level.txt" in names else []
    tops = sorted({line.split(",")[0].split("/")[0] for line in record.splitlines() if line})
    check(tops == ["odatakit", f"odatakit-{version}.dist-info", "odatakit_generator"], f"wheel top-level names: {tops}")
    check(set(top_level) <= {"odatakit", "odatakit_generator"}, f"top_level.txt names {top_level}")
    packaged = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("odatakit_generator/templates/"))
    check(packaged == templates, f"wheel templates {packaged} != templates/ {templates}")
    check("odatakit/py.typed" in names and "odatakit/_cli.py" in names, "wheel lacks odatakit/py.typed or _cli.py")
    check(f"{info}/licenses/LICENSE" in names, "wheel lacks the LICENSE file")
    check(metadata["Version"] == version, f"wheel version {metadata['Version']} != odatakit.__version__ {version}")
    check(metadata["License-Expression"] == "MIT", f"License-Expression: {metadata['License-Expression']}")
    requires = metadata.get_all("Requires-Dist") or []
    runtime = sorted(
        r.split(">")[0].split("<")[0].split("=")[0].split(";")[0].strip().lower()
        for r in requires
        if "extra ==" not in r
    )
    check(runtime == ["aiohttp", "attrs", "cattrs", "orjson", "tzlocal"], f"runtime requirements: {runtime}")
    check("aiohttp>=3.9" in requires, f"aiohttp requirement: {[r for r in requires if r.startswith('aiohttp')]}")
    extra = sorted(r.split(">")[0].split("=")[0].lower() for r in requires if 'extra == "generator"' in r)
    check(extra == ["jinja2", "lxml", "markdown-it-py", "tqdm"], f"generator extra: {extra}")
    check("odatakit = odatakit._cli:main" in entry_points, f"console script: {entry_points}")
    step(f"wheel ok: top-level {tops}, {len(packaged)} templates, runtime needs {runtime}, extra [generator] {extra}")


def inspect_sdist(sdist: Path, version: str) -> None:
    with tarfile.open(sdist) as tf:
        names = {name.split("/", 1)[1] for name in tf.getnames() if "/" in name}
    wanted = {"pyproject.toml", "README.md", "LICENSE", "odatakit/py.typed", "odatakit/_cli.py", "generator/cli.py"}
    wanted |= {f"templates/{p.name}" for p in (ROOT / "templates").glob("*.jinja")}
    check(wanted <= names, f"sdist lacks {sorted(wanted - names)}")
    check(not any("__pycache__" in n or n.endswith(".pyc") for n in names), "sdist holds compiled files")
    step(f"sdist ok: {len(names)} entries, templates, LICENSE and README included (odatakit-{version})")


#: The interpreter the fresh venvs are made with (`--python`); by default the one behind this venv.
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


def venv(where: Path) -> Path:
    """A fresh venv made by BASE_PYTHON; its bin folder."""
    run([BASE_PYTHON, "-m", "venv", where], cwd=where.parent)
    return where / ("Scripts" if os.name == "nt" else "bin")


@contextmanager
def metadata_server(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serves `folder/keys.xml` on 127.0.0.1 at /service/$metadata; yields its URL and the paths asked for."""
    body = (folder / "keys.xml").read_bytes()
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if self.path != "/service/$metadata":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/service/$metadata", asked
    finally:
        server.shutdown()
        server.server_close()


def same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ between two package folders (names relative to them)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            if name != "__pycache__":
                walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=["__pycache__"]), "")
    return found


def with_generator(tmp: Path, wheel: Path, version: str) -> Path:
    """Install `<wheel>[generator]` into a fresh venv and use the command; the folder of generated output."""
    step("venv 1: fresh venv, pip install '<wheel>[generator]'")
    bin1 = venv(tmp / "venv-generator")
    run([bin1 / "python", "-m", "pip", "install", "--quiet", f"{wheel}[generator]"], cwd=tmp)
    work = tmp / "elsewhere"
    work.mkdir()
    shutil.copy(FIXTURE, work / "keys.xml")
    odatakit = bin1 / "odatakit"

    where = run(
        [
            bin1 / "python",
            "-c",
            "import odatakit, odatakit_generator, odatakit_generator.emit as e; "
            "print(odatakit.__file__, e.TEMPLATES, sep='\\n')",
        ],
        cwd=work,
    ).stdout.split("\n")
    site = Path(
        run(
            [bin1 / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work
        ).stdout.strip()
    ).resolve()
    check(Path(where[0]).resolve().is_relative_to(site), f"odatakit imported from {where[0]}, not the venv")
    check(Path(where[1]).resolve() == site / "odatakit_generator" / "templates", f"templates looked up in {where[1]}")
    run([bin1 / "python", "-c", "import generator"], cwd=work, expect=1)  # no top-level `generator` installed
    step(f"  imports from the venv: {where[0]}; templates in {where[1]}")

    out = run([odatakit, "--version"], cwd=work).stdout.strip()
    check(out == f"odatakit {version}", f"odatakit --version printed {out!r}")
    step(f"  $ odatakit --version -> {out}")

    done = run([odatakit, "generate", "--metadata", "keys.xml", "--package", "shop", "--out", "out"], cwd=work)
    check((work / "out" / "shop" / "client.py").is_file(), "generate from a file wrote no out/shop/client.py")
    lock = json.loads((work / "out" / "shop.lock.json").read_text(encoding="utf-8"))
    check(lock["generator"] == f"odatakit {version}", f"lock file records {lock['generator']!r}")
    step(f"  $ odatakit generate --metadata keys.xml --package shop --out out -> {done.stdout.strip()}")

    with metadata_server(work) as (url, asked):
        done = run([odatakit, "generate", "--metadata", url, "--package", "shop_url", "--out", "out_url"], cwd=work)
    check(asked == ["/service/$metadata"], f"the $metadata server was asked for {asked}")
    check((work / "out_url" / "shop_url" / "models.py").is_file(), "generate from a URL wrote no models.py")
    step(f"  $ odatakit generate --metadata '{url}' --package shop_url --out out_url -> {done.stdout.strip()}")

    done = run([odatakit, "check", "out/shop.lock.json"], cwd=work)
    step(f"  $ odatakit check out/shop.lock.json -> {(done.stdout + done.stderr).strip() or 'ok'}")

    # The installed generator writes what the checkout's does (same templates, same code).
    reference = tmp / "reference"
    shutil.copy(FIXTURE, tmp / "keys.xml")
    run(
        [
            sys.executable,
            "-m",
            "generator.cli",
            "generate",
            "--metadata",
            tmp / "keys.xml",
            "--package",
            "shop",
            "--out",
            reference,
            "--quiet",
        ],
        cwd=ROOT,
    )
    differ = same_tree(work / "out" / "shop", reference / "shop")
    check(not differ, f"installed and checkout generators differ in {differ}")
    step("  the installed generator's output equals the checkout's")
    return work


def runtime_only(tmp: Path, wheel: Path, version: str, work: Path) -> None:
    """Install the wheel alone into a second fresh venv; the generated package works, the command hints."""
    step("venv 2: fresh venv, pip install '<wheel>' (runtime only)")
    bin2 = venv(tmp / "venv-runtime")
    run([bin2 / "python", "-m", "pip", "install", "--quiet", wheel], cwd=tmp)
    for module in ("lxml", "jinja2", "markdown_it"):
        run([bin2 / "python", "-c", f"import {module}"], cwd=work, expect=1)
    step("  import lxml / import jinja2 / import markdown_it fail there, as they should")

    script = tmp / "typed_query.py"
    script.write_text(QUERY_SCRIPT, encoding="utf-8")
    done = run([bin2 / "python", script], cwd=work, env=clean_env(PYTHONPATH=str(work / "out")))
    step(f"  {done.stdout.strip()}")

    odatakit = bin2 / "odatakit"
    out = run([odatakit, "--version"], cwd=work).stdout.strip()
    check(out == f"odatakit {version}", f"runtime-only odatakit --version printed {out!r}")
    step(f"  $ odatakit --version -> {out}")
    for args in (["generate", "--metadata", "keys.xml", "--package", "other", "--out", "out2"], ["--help"], []):
        done = run([odatakit, *args], cwd=work, expect=2)
        lines = done.stderr.splitlines()
        check(
            len(lines) == 1 and HINT in lines[0] and not done.stdout,
            f"odatakit {' '.join(args)} printed "
            f"stdout {done.stdout!r}, stderr {done.stderr!r}; expected one line with {HINT!r}",
        )
        check(args[:1] != ["generate"] or lines[0].startswith("odatakit generate needs"), f"hint: {lines[0]!r}")
        step(f"  $ odatakit {' '.join(args)} -> exit 2: {lines[0]}")
    check(not (work / "out2").exists(), "the runtime-only generate wrote out2/")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--python", help="interpreter for the fresh venvs (default: the one behind this venv)")
    args = parser.parse_args(argv)
    global BASE_PYTHON
    if args.python:
        BASE_PYTHON = shutil.which(args.python) or args.python
    tmp = Path(tempfile.mkdtemp(prefix="odatakit-install-check-")).resolve()
    if tmp.is_relative_to(ROOT):
        raise SystemExit(f"install check: the temporary folder {tmp} is inside the checkout; set TMPDIR elsewhere")
    try:
        version = source_version()
        step(f"fresh venvs from {run([BASE_PYTHON, '-VV'], cwd=tmp).stdout.strip()}")
        step(f"python -m build (sdist, then the wheel from it) into {tmp / 'dist'}")
        sdist, wheel = build(tmp / "dist")
        step(f"built {sdist.name} and {wheel.name}")
        inspect_wheel(wheel, version)
        inspect_sdist(sdist, version)
        work = with_generator(tmp, wheel, version)
        runtime_only(tmp, wheel, version, work)
    except CheckFailed as exc:
        print(f"\ninstall check FAILED after {time.perf_counter() - STARTED:.1f}s: {exc}", file=sys.stderr)
        if not args.keep:
            print(f"(run with --keep to look at {tmp})", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"install check passed in {time.perf_counter() - STARTED:.1f}s")
    return 0


STARTED = time.perf_counter()

if __name__ == "__main__":
    raise SystemExit(main())
