"""The `odatakit` command: hands over to the generator's command line, or says in one line what to install.

`pip install odatakit` installs the runtime only; the commands (generate, check, inspect,
prune) need the `generator` extra (jinja2, lxml, markdown-it-py). This module imports none of them before it
knows they are there, so that without the extra `odatakit --version` still works and every
other invocation ends with one line on stderr and exit code 2, never a traceback.

The generator is the package `odatakit_generator` when installed from the distribution, and
the checkout's `generator` package (next to `templates/`) in a development install, whose
`.pth` file puts the checkout itself on `sys.path`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__

#: The modules the `generator` extra installs, by import name.
EXTRA_MODULES = ("jinja2", "lxml", "markdown_it")
INSTALL = 'pip install "odatakit[generator]"'
COMMANDS = ("generate", "check", "inspect", "prune")
#: A template only odatakit's own templates/ folder has: how the checkout's `generator` is told from
#: another project's package of that name.
TEMPLATE_MARK = "models.py.jinja"


def missing_modules() -> list[str]:
    """The modules of the `generator` extra that cannot be imported here."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def generator_package(checkout: Path | None = None) -> str | None:
    """The import name of odatakit's generator: `odatakit_generator`, else the checkout's `generator`, else None.

    `generator` counts only when it is the folder next to this package with a `templates/` folder
    holding the generator's templates beside it: a PyPI project named `generator` is never run.
    """
    if importlib.util.find_spec("odatakit_generator") is not None:
        return "odatakit_generator"
    root = checkout if checkout is not None else Path(__file__).resolve().parent.parent
    spec = importlib.util.find_spec("generator")
    if spec is None or spec.origin is None:
        return None
    here = Path(spec.origin).resolve().parent
    if here != (root / "generator").resolve() or not (root / "templates" / TEMPLATE_MARK).is_file():
        return None
    return "generator"


def _who(args: Sequence[str]) -> str:
    """`odatakit generate` when the arguments name a command, else `odatakit`."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    return f"odatakit {command}" if command in COMMANDS else "odatakit"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `odatakit ARGS`: 0 on success, 2 when the generator extra is missing (see `generator.cli.main`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"odatakit {__version__}")
        return 0
    missing = missing_modules()
    if missing:
        print(f"{_who(args)} needs the generator extra (missing: {', '.join(missing)}): {INSTALL}", file=sys.stderr)
        return 2
    package = generator_package()
    if package is None:
        print(
            f"{_who(args)}: odatakit's generator package is not installed (odatakit_generator): "
            f"{INSTALL.replace('install', 'install --force-reinstall', 1)}",
            file=sys.stderr,
        )
        return 2
    try:
        cli = importlib.import_module(f"{package}.cli")
    except ImportError as exc:  # a broken install of the extra: still one line
        if os.environ.get("ODATAKIT_DEBUG"):
            raise
        print(f"{_who(args)} cannot load the generator ({type(exc).__name__}: {exc}): {INSTALL}", file=sys.stderr)
        return 2
    run: Callable[[Sequence[str] | None], int] = cli.main
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
