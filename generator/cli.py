"""`odatakit generate | inspect | prune`: the command line of the generator."""

from __future__ import annotations

import argparse
import keyword
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .csdl import parse_metadata
from .emit import EmitOptions, emit
from .errors import Diagnostics, MetadataError
from .fetch import HEADERS_ENV, request_headers, same_origin
from .fetch import read_source as _fetch
from .lock import check_lock, lock_path, write_lock
from .merge import MergeResult, merge
from .model import Model
from .naming import assign_names
from .presets import PRESETS, Preset
from .presets import resolve as resolve_preset
from .progress import Progress
from .prune import (
    PatternError,
    PruneResult,
    closure,
    explain,
    merge_overlay,
    prune_document,
    summary_lines,
    write_pruned,
)
from .pysource import GeneratorBug
from .specmodel import SpecError, SpecOperation
from .spectables import cache_folder, expand_spec_paths, read_pages


def _read(
    args: argparse.Namespace, progress: Progress, diagnostics: Diagnostics, inputs: dict[str, bytes] | None = None
) -> tuple[Model, bytes]:
    """Read the metadata and its overlays; `inputs` receives each source's bytes (for the lock file)."""
    source = args.metadata
    progress.step(f"reading {source}")
    headers = request_headers(args.header)
    data = _fetch(source, timeout=args.timeout, headers=headers)
    if inputs is not None:
        inputs[source] = data
    for overlay in args.overlay or ():
        progress.step(f"merging overlay {overlay}")
        # The headers are the --metadata service's credentials: an overlay elsewhere does not get them.
        extra = _fetch(overlay, timeout=args.timeout, headers=headers if same_origin(overlay, source) else [])
        if inputs is not None:
            inputs[overlay] = extra
        data = merge_overlay(data, extra, source, overlay)
    model = parse_metadata(data, source, diagnostics=diagnostics)
    return model, data


def _print_warnings(diagnostics: Diagnostics, stream: TextIO, limit: int = 20) -> None:
    lines = diagnostics.format_lines()
    for line in lines[:limit]:
        print(f"warning: {line}", file=stream)
    if len(lines) > limit:
        print(f"warning: ... and {len(lines) - limit} more (use --all-warnings to see them)", file=stream)


# Generate options that shape the output, as the lock records them.
_LOCKED_OPTIONS = (
    "package", "preset", "client_class", "chunk_size", "key_as_segment", "unqualified_operations",
    "unqualified_enums", "scope", "batch_format", "batch_limit", "include", "exclude", "api_version", "strict",
)  # fmt: skip


def _locked_options(args: argparse.Namespace) -> dict[str, object]:
    options = {name: getattr(args, name, None) for name in _LOCKED_OPTIONS}
    options["metadata"] = args.metadata if args.metadata.startswith(("http://", "https://")) else "(file)"
    return options


def _check_generated(args: argparse.Namespace) -> int:
    """`generate --check`: compare the lock in --out with these options and the inputs; write nothing."""
    path = lock_path(Path(args.out), args.package)
    given = [args.metadata, *(args.overlay or ()), *(args.spec or ())]
    headers = request_headers(args.header)

    def fetch(url: str) -> bytes:
        return _fetch(url, timeout=args.timeout, headers=headers)

    drifts = check_lock(path, __version__, _locked_options(args), fetch=fetch, inputs=given)
    return _report(path, drifts)


def _report(path: Path, drifts: Sequence[object]) -> int:
    for drift in drifts:
        print(f"{path}: {drift}")
    if not drifts:
        print(f"{path}: up to date")
    return 1 if drifts else 0


def cmd_check(args: argparse.Namespace) -> int:
    """Report drift of generated packages from their lock files."""
    status = 0
    headers = request_headers(args.header) if args.fetch else []
    for lock in args.lock:
        fetch = (lambda url: _fetch(url, timeout=args.timeout, headers=headers)) if args.fetch else None
        status = max(status, _report(Path(lock), check_lock(Path(lock), __version__, None, fetch=fetch)))
    return status


def cmd_generate(args: argparse.Namespace) -> int:
    """Read a $metadata document and write a package."""
    if args.check:
        return _check_generated(args)
    progress = Progress(sys.stderr, args.quiet)
    diagnostics = Diagnostics()
    inputs: dict[str, bytes] = {}
    model, data = _read(args, progress, diagnostics, inputs)
    if args.include:
        progress.step("pruning")
        pruning = closure(model, args.include, args.exclude or ())
        # Explanations and the summary go to stderr before the work: stdout keeps the one-line result.
        _print_explanations(model, pruning, args.explain or (), sys.stderr)
        if not args.quiet:
            _print_summary(pruning, sys.stderr)
        pruned, _ = prune_document(args.metadata, data, model, args.include, args.exclude or (), pruning)
        model = parse_metadata(pruned, args.metadata, diagnostics=Diagnostics())
    else:
        for name in args.explain or ():
            print(f"{name}\n  kept: no --include, nothing is pruned", file=sys.stderr)
    progress.step(f"naming {len(model.structured)} structured and {len(model.enums)} enum types")
    model = assign_names(model)
    if args.spec:
        merged = _merge_specs(args, model, progress, diagnostics)
        model = merged.model
    preset, why = resolve_preset(args.preset, model)
    options = _emit_options(args, preset)
    result = emit(model, options, Path(args.out), progress)
    for page in args.spec or ():
        inputs[page] = Path(page).read_bytes()
    write_lock(Path(args.out), args.package, __version__, inputs, _locked_options(args))
    progress.close()
    if not args.quiet:
        _print_warnings(diagnostics, sys.stderr, 10**9 if args.all_warnings else 20)
        print(
            f"{args.package}: {len(model.structured)} structured + {len(model.enums)} enum types, "
            f"{len(model.operations)} operations, {len(result.files)} files in "
            f"{Path(args.out) / args.package}, {progress.seconds:.2f} s, {diagnostics.count} warnings"
            + ("" if preset.name == "none" else f"; preset {preset.name} ({why})")
        )
    return 0


def _emit_options(args: argparse.Namespace, preset: Preset) -> EmitOptions:
    """The emitter's options: each given option, else the preset's."""

    def given(value: object, default: object) -> Any:
        return default if value is None else value

    return EmitOptions(
        package=args.package,
        client_class=given(args.client_class, preset.client_class),
        chunk_size=args.chunk_size,
        key_as_segment=given(args.key_as_segment, preset.key_as_segment),
        qualified_operations=not given(args.unqualified_operations, not preset.qualified_operations),
        qualified_enums=not given(args.unqualified_enums, not preset.qualified_enums),
        scopes=tuple(given(args.scope, preset.scopes)),
        batch_format=given(args.batch_format, preset.batch_format),
        batch_limit=args.batch_limit,
    )


def _spec_operations(args: argparse.Namespace, progress: Progress, diagnostics: Diagnostics) -> list[SpecOperation]:
    pages = args.spec
    progress.step(f"reading spec tables {pages[0]}" if len(pages) == 1 else f"reading {len(pages)} spec pages")
    # Pages read before come from the cache (keyed by their bytes and the reader's code). One process:
    # on two cores, sending 2,000 pages' operations back from a second one costs more than it saves.
    ops = read_pages(pages, diagnostics, cache=cache_folder())
    if args.api_version:
        ops = [op for op in ops if op.version in args.api_version]
    return ops


def _merge_specs(
    args: argparse.Namespace, model: Model, progress: Progress, diagnostics: Diagnostics
) -> MergeResult:
    ops = _spec_operations(args, progress, diagnostics)
    progress.step(f"merging {len(ops)} spec operations")
    return merge(model, ops, diagnostics, strict=args.strict)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print how each spec operation is served by the package generated from the metadata."""
    progress = Progress(sys.stderr, args.quiet)
    diagnostics = Diagnostics()
    model, _ = _read(args, progress, diagnostics)
    model = assign_names(model)
    result = _merge_specs(args, model, progress, diagnostics)
    rows = [("version", "request", "served by", "where")]
    for res in result.resolutions:
        op = res.op
        request = f"{op.method} {op.path}" + ("?" + "&".join(f"{k}={v}" for k, v in op.query) if op.query else "")
        served = res.call if res.call is not None else f"NOT SERVED: {res.reason}"
        rows.append((op.version, request, served, op.where()))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    missing = [r for r in result.resolutions if not r.served]
    print(f"{len(result.resolutions) - len(missing)} of {len(result.resolutions)} spec operations served"
          + (f"; {len(result.added)} generated from the pages alone: {', '.join(result.added)}" if result.added else ""))
    if args.warnings == "summary":
        _print_summary_of_warnings(diagnostics, sys.stderr)
    elif not args.quiet and args.warnings != "none":
        _print_warnings(diagnostics, sys.stderr, 10**9)
    return 1 if args.require_full and missing else 0


def _print_summary_of_warnings(diagnostics: Diagnostics, stream: TextIO) -> None:
    """Warnings counted by kind (most frequent first), each with one `page:line` where it occurs."""
    counts = diagnostics.counts_by_kind()
    print(f"warnings: {diagnostics.count} in {len(counts)} kinds", file=stream)
    for kind, (count, where) in sorted(counts.items(), key=lambda item: (-item[1][0], item[0])):
        print(f"{count:7}  {kind}  (e.g. {where})", file=stream)


def cmd_prune(args: argparse.Namespace) -> int:
    """Write a pruned copy of a $metadata document (or, with --explain, say why types are kept)."""
    progress = Progress(sys.stderr, args.quiet)
    diagnostics = Diagnostics()
    model, data = _read(args, progress, diagnostics)
    progress.step("computing the closure")
    result = closure(model, args.include or (), args.exclude or ())
    if args.explain:
        _print_explanations(model, result, args.explain, sys.stdout)
        return 0
    pruned, result = prune_document(args.metadata, data, model, args.include, args.exclude or (), result)
    # The pruned document must read back cleanly: fail here rather than in `generate`.
    check = Diagnostics()
    parse_metadata(pruned, args.out, diagnostics=check)
    if args.out == "-":
        sys.stdout.buffer.write(pruned if pruned.endswith(b"\n") else pruned + b"\n")
        sys.stdout.flush()
    else:
        write_pruned(Path(args.out), pruned)
    if not args.quiet:
        _print_summary(result, sys.stderr)
        if args.out != "-":
            print(f"{args.out}: {len(result.kept)} types, {len(result.operations)} bound operations, "
                  f"{progress.seconds:.2f} s")
    return 0


def _print_explanations(model: Model, result: PruneResult, names: Sequence[str], stream: TextIO) -> None:
    for name in names:
        print("\n".join(explain(model, result, name)), file=stream)


def _print_summary(result: PruneResult, stream: TextIO) -> None:
    print("\n".join(summary_lines(result)), file=stream)


_GENERATE_EXAMPLES = """\
examples:
  # a service's $metadata (quote the URL: the shell would eat $metadata)
  odatakit generate --metadata 'https://services.odata.org/V4/TripPinServiceRW/$metadata' \\
      --package trippin --out src
  # Microsoft Graph: the graph preset is detected from the namespace; keep the calendar only
  odatakit generate --metadata v1.0.xml --package graph_cal --out src \\
      --include '/me/events/**' --include '/me/calendars/**'
  # a service that wants credentials for its $metadata (ODATAKIT_HEADERS keeps them out of history)
  ODATAKIT_HEADERS='Authorization: Bearer ...' odatakit generate --metadata 'https://host/sap/opu/odata4/x/$metadata' \\
      --package x --out src
"""

# Modules a generated package must not shadow: the runtime, the generator and their dependencies.
_TAKEN_NAMES = frozenset({
    "odatakit", "odatakit_generator", "generator", "aiohttp", "attrs", "attr", "cattrs", "cattr", "orjson",
    "tzlocal", "yarl", "multidict", "aiosignal", "frozenlist", "propcache", "aiohappyeyeballs", "idna",
    "typing_extensions", "jinja2", "markupsafe", "lxml", "tqdm",
})  # fmt: skip


def _package_name(text: str) -> str:
    """`--package`: a Python identifier that is no keyword and shadows no standard or dependency module."""
    if not text.isidentifier() or not text.isascii():
        raise argparse.ArgumentTypeError(f"{text!r} is not a Python package name (letters, digits and _, "
                                         "not starting with a digit: my_service, not my-service or my.service)")
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a Python keyword")
    if text in sys.stdlib_module_names:
        raise argparse.ArgumentTypeError(f"{text!r} would shadow the standard library's {text} module")
    if text.lower() in _TAKEN_NAMES:
        raise argparse.ArgumentTypeError(f"{text!r} would shadow {text}, which odatakit needs")
    return text


def _class_name(text: str) -> str:
    """`--client-class`: a Python identifier that is no keyword."""
    if not text.isidentifier() or not text.isascii() or keyword.iskeyword(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a usable Python class name")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `odatakit` command."""
    parser = argparse.ArgumentParser(prog="odatakit", description="Typed async Python clients from OData $metadata.")
    parser.add_argument("--version", action="version", version=f"odatakit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def header(p: argparse.ArgumentParser) -> None:
        p.add_argument("--header", action="append", metavar="'NAME: VALUE'",
                       help=f"request header for URL inputs (repeatable; never sent to another host a redirect "
                            f"names, never written to the lock; {HEADERS_ENV} holds more, one per line)")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--metadata", required=True, help="$metadata file or http(s) URL")
        p.add_argument("--include", action="append",
                       help="qualified type name, glob, or URL path such as /me/events/** to keep (repeatable)")
        p.add_argument("--exclude", action="append",
                       help="qualified type name or glob to drop, or URL path whose navigation to cut (repeatable)")
        p.add_argument("--overlay", action="append", help="CSDL document whose additions are merged in first")
        p.add_argument("--quiet", action="store_true", help="print nothing but errors")
        p.add_argument("--timeout", type=float, default=30.0,
                       help="seconds a $metadata URL may take in all, redirects included (default 30)")
        header(p)

    gen = sub.add_parser(
        "generate", help="write a package from $metadata", epilog=_GENERATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    common(gen)
    gen.add_argument("--package", required=True, type=_package_name,
                     help="name of the Python package to write (an identifier that shadows no other module)")
    gen.add_argument("--out", required=True, help="folder that receives the package")
    gen.add_argument("--preset", choices=("auto", *PRESETS), default="auto",
                     help="service conventions: graph, outlook, none, or auto (default: from the document's "
                          "namespaces); any option below wins over the preset")
    gen.add_argument("--client-class", type=_class_name,
                     help="name of the client class (default: the preset's, else <Container>Client)")
    gen.add_argument(
        "--chunk-size", type=int, default=None,
        help="types per module (default: one module for up to 200 types, else 25 per module)",
    )  # fmt: skip
    gen.add_argument("--key-as-segment", action=argparse.BooleanOptionalAction,
                     help="single keys as /set/key (Graph, Outlook)")
    gen.add_argument("--unqualified-operations", action=argparse.BooleanOptionalAction,
                     help="call bound operations without their namespace (Graph, Outlook)")
    gen.add_argument("--unqualified-enums", action=argparse.BooleanOptionalAction,
                     help="enum literals as 'member' (Graph)")
    gen.add_argument("--scope", action="append", help="OAuth scope for get_token credentials (repeatable)")
    gen.add_argument("--batch-format", choices=("json", "multipart"),
                     help="$batch format (default: json for Version 4.01 documents, multipart for 4.0)")
    gen.add_argument("--batch-limit", type=int, default=20, help="requests per $batch call (default 20, as Graph)")
    gen.add_argument("--all-warnings", action="store_true", help="print every reader warning")
    gen.add_argument("--explain", action="append", metavar="TYPE",
                     help="print to stderr why TYPE is kept or pruned by --include/--exclude (repeatable)")
    gen.add_argument("--check", action="store_true",
                     help="write nothing: report drift from the lock file in --out (inputs, options, hand edits)")
    gen.set_defaults(func=cmd_generate)
    chk = sub.add_parser("check", help="report drift of generated packages from their lock files")
    chk.add_argument("lock", nargs="+", help="<out>/<package>.lock.json written by generate")
    chk.add_argument("--fetch", action="store_true", help="also fetch URL inputs and compare them")
    chk.add_argument("--timeout", type=float, default=30.0,
                     help="seconds a URL input may take in all, redirects included (default 30)")
    header(chk)
    chk.set_defaults(func=cmd_check)

    def specs(p: argparse.ArgumentParser, required: bool) -> None:
        p.add_argument("--spec", action="append", required=required, default=[] if not required else None,
                       help="API reference page (Markdown spec tables) to merge in, or a folder of them (its *.md) "
                            "or a quoted glob (repeatable)")
        p.add_argument("--api-version", action="append", help="keep only these page sections (v1.0, v2.0, beta)")
        p.add_argument("--strict", action="store_true", help="a spec parameter typed unlike the metadata is an error")

    specs(gen, False)
    insp = sub.add_parser("inspect", help="print which generated call serves each operation of the spec pages")
    common(insp)
    specs(insp, True)
    insp.add_argument("--require-full", action="store_true", help="exit 1 when an operation is not served")
    insp.add_argument("--warnings", choices=("all", "summary", "none"), default="all",
                      help="print every warning (default), their counts by kind, or none")
    insp.set_defaults(func=cmd_inspect)

    prune = sub.add_parser("prune", help="write a pruned $metadata with the closure of --include")
    common(prune)
    prune.add_argument("--out", required=False, default="-", help="file to write (default -: standard output)")
    prune.add_argument("--explain", action="append", metavar="TYPE",
                       help="say why TYPE is kept or pruned (repeatable); writes nothing")
    prune.set_defaults(func=cmd_prune)
    return parser


class _Terminated(BaseException):
    """SIGTERM, raised where the process is so that `finally` blocks (staging folders) run."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 on drift (check), 2 on bad input, 3 on a bug of odatakit, 130/143 when stopped.

    Every failure is one line on stderr, never a traceback (set ODATAKIT_DEBUG=1 to see one).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "prune" and not args.explain and not args.include:
        parser.error("prune needs at least one --include")
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() else None
    try:
        if getattr(args, "spec", None):
            args.spec = expand_spec_paths(args.spec)  # folders and globs: the pages they hold
        code: int = args.func(args)
        return code
    except (MetadataError, SpecError, PatternError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("odatakit: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("odatakit: terminated", file=sys.stderr)
        return 143
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("ODATAKIT_DEBUG"):
            raise
        kind = "" if isinstance(exc, GeneratorBug) else f"{type(exc).__name__}: "
        text = " ".join(str(exc).split())
        print(f"odatakit: internal error: {kind}{text} (a bug in odatakit: please report it with the input; "
              "ODATAKIT_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
