"""The `odatakit` entry point and the packaging rules behind `pip install odatakit` (fast; no build).

`make install-check` (tests/install_check.py) builds and installs the real sdist and wheel; these
tests pin down the pieces it relies on: the entry module's behaviour with and without the
`generator` extra, and the pyproject/package layout that keeps the distribution's names
odatakit-prefixed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import generator
import odatakit
from generator import emit
from odatakit import _cli

ROOT = Path(__file__).resolve().parent.parent
HINT = 'pip install "odatakit[generator]"'


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_version_needs_nothing_of_the_generator() -> None:
    code = (
        "import sys\n"
        "sys.modules['lxml'] = sys.modules['jinja2'] = None\n"  # as if the extra were not installed
        "from odatakit._cli import main\n"
        "rc = main(['--version'])\n"
        "assert not {'generator', 'odatakit_generator'} & set(sys.modules), sorted(sys.modules)\n"
        "raise SystemExit(rc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"odatakit {odatakit.__version__}\n", "")


@pytest.mark.parametrize(
    ("args", "who"),
    [
        (["generate", "--metadata", "x.xml", "--package", "p", "--out", "o"], "odatakit generate"),
        (["check", "o/p.lock.json"], "odatakit check"),
        (["prune", "--metadata", "x.xml", "--include", "A.B"], "odatakit prune"),
        (["--help"], "odatakit"),
        ([], "odatakit"),
        (["frobnicate"], "odatakit"),
    ],
)
def test_missing_extra_is_one_line_and_exit_2(
    args: list[str], who: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "lxml", None)  # find_spec and import now fail for it
    assert _cli.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert _one_line(err) == f"{who} needs the generator extra (missing: lxml): {HINT}"


def test_missing_extra_names_every_missing_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "lxml", None)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    assert _cli.main(["inspect", "--metadata", "x.xml", "--spec", "p.md"]) == 2
    assert "(missing: jinja2, lxml)" in _one_line(capsys.readouterr().err)


def test_missing_extra_in_a_fresh_process_has_no_traceback(tmp_path: Path) -> None:
    code = "import sys\nsys.modules['jinja2'] = None\nfrom odatakit._cli import main\nraise SystemExit(main())\n"
    done = subprocess.run(
        [sys.executable, "-c", code, "generate", "--metadata", "x.xml", "--package", "p", "--out", "o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert _one_line(done.stderr) == f"odatakit generate needs the generator extra (missing: jinja2): {HINT}"
    assert not (tmp_path / "o").exists()


def test_with_the_extra_it_runs_the_checkouts_generator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = ROOT / "tests" / "fixtures" / "csdl" / "keys.xml"
    assert _cli.main(["generate", "--metadata", str(keys), "--package", "shop", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "shop" / "client.py").is_file()
    assert "shop: 5 structured" in capsys.readouterr().out


def test_generator_errors_keep_their_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.xml"
    assert _cli.main(["generate", "--metadata", str(missing), "--package", "p", "--out", str(tmp_path)]) == 2
    assert "nope.xml" in _one_line(capsys.readouterr().err)


def test_a_broken_generator_install_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_cli, "generator_package", lambda: "odatakit_no_such_package")
    monkeypatch.delenv("ODATAKIT_DEBUG", raising=False)
    assert _cli.main(["generate", "--metadata", "x.xml", "--package", "p", "--out", "o"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("odatakit generate cannot load the generator (ModuleNotFoundError") and HINT in line


def test_no_generator_package_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_cli, "generator_package", lambda: None)
    assert _cli.main(["check", "x.lock.json"]) == 2
    assert "odatakit_generator" in _one_line(capsys.readouterr().err)


def test_the_checkout_generator_is_found_in_the_dev_venv() -> None:
    # `make setup` installs in compat mode: the checkout is on sys.path, odatakit_generator is not importable.
    assert _cli.generator_package() == "generator"
    assert Path(generator.__file__).resolve().parent == ROOT / "generator"


def test_another_projects_generator_package_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "site"
    (other / "generator").mkdir(parents=True)
    (other / "generator" / "__init__.py").write_text("raise SystemExit('someone else\\'s generator ran')\n")
    monkeypatch.delitem(sys.modules, "generator")
    monkeypatch.syspath_prepend(str(other))
    assert _cli.generator_package() is None  # found first on sys.path, but not the one next to odatakit/
    # Even next to odatakit/, a `generator` without odatakit's templates beside it is not ours.
    assert _cli.generator_package(checkout=other) is None
    (other / "templates").mkdir()
    (other / "templates" / "models.py.jinja").write_text("")
    assert _cli.generator_package(checkout=other) == "generator"


def test_an_installed_odatakit_generator_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "odatakit_generator").mkdir()
    (tmp_path / "odatakit_generator" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cli.generator_package() == "odatakit_generator"


def test_entry_module_imports_only_the_standard_library_and_odatakit() -> None:
    tree = ast.parse((ROOT / "odatakit" / "_cli.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_generator_modules_import_each_other_relatively() -> None:
    # Installed, the package is odatakit_generator: an absolute `generator.x` import would miss it
    # (or find another project's package of that name).
    offenders = []
    for path in sorted((ROOT / "generator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}:{getattr(node, 'lineno', 0)} {name}"
                for name in names
                if name.split(".")[0] == "generator"
            ]
    assert offenders == []


def test_templates_are_found_in_the_checkout() -> None:
    assert emit.TEMPLATES == ROOT / "templates"
    assert (emit.TEMPLATES / _cli.TEMPLATE_MARK).is_file()


def test_one_version() -> None:
    assert generator.__version__ is odatakit.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "odatakit.__version__"}


def test_distribution_layout_and_requirements() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project["tool"]["setuptools"]
    assert all(name.startswith("odatakit") for name in setuptools["packages"])
    assert setuptools["package-dir"] == {"odatakit_generator": "generator", "odatakit_generator.templates": "templates"}
    assert setuptools["package-data"]["odatakit_generator.templates"] == ["*.jinja"]
    assert project["project"]["scripts"] == {"odatakit": "odatakit._cli:main"}

    def names(requirements: list[str]) -> set[str]:
        return {r.split(">")[0].split("<")[0].split("=")[0].split(";")[0].strip().lower() for r in requirements}

    runtime = project["project"]["dependencies"]
    assert names(runtime) == {"aiohttp", "attrs", "cattrs", "orjson", "tzlocal"}
    assert "aiohttp>=3.9" in runtime  # no upper bound: the <3.14 pin is the tests' (aioresponses), in dev
    extras = project["project"]["optional-dependencies"]
    assert names(extras["generator"]) == {"jinja2", "lxml", "markdown-it-py", "tqdm"}  # no ruff: generated code comes out formatted
    assert "ruff==0.17.5" in extras["dev"] and "aiohttp<3.14" in extras["dev"]
    assert (
        (ROOT / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("MIT License\n\nCopyright (c) 2026 odatakit contributors")
    )
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
