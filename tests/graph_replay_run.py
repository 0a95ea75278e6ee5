"""`make replay`: the whole Graph v1.0 reference replayed; the counts, docs/replay.md and its exceptions."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from generator.merge import MergeResult
from generator.model import Model
from generator.presets import PRESETS

from .graph_replay import (
    BASE,
    DOCS,
    METADATA,
    OUTCOMES,
    ROOT,
    SAMPLE_OUTCOMES,
    Index,
    Outcome,
    Recorder,
    Report,
    all_pages,
    build,
    read_pages,
    replay_line,
)
from .graph_replay_samples import replay_sample


async def replay_all(result: MergeResult, model: Model, package: Any, progress: Callable[[int], None] | None = None
                     ) -> tuple[list[Outcome], list[Outcome]]:
    """Every request line's outcome, and every request sample's."""
    client_cls = getattr(package, PRESETS["graph"].client_class or "GraphClient")
    recorder = Recorder()
    index = Index(model, result.added)
    lines: list[Outcome] = []
    samples: list[Outcome] = []
    async with client_cls(BASE, None) as plain:
        client = plain.with_middleware(recorder)
        for i, res in enumerate(result.resolutions):
            outcome = await replay_line(client, recorder, package, res, index)
            lines.append(outcome)
            for sample in res.op.samples:
                if sample.kind == "request":
                    samples.append(await replay_sample(client, recorder, package, model, res, outcome, sample))
            if progress is not None and i and i % 1000 == 0:
                progress(i)
    return lines, samples


def run(pages: Sequence[Path], out: Path, jobs: int = 2, log: Callable[[str], None] | None = None) -> Report:
    """Read the pages, build the package into `out`, replay every line; the outcomes and the time of each phase."""
    say = log or (lambda text: None)
    report = Report(pages=len(pages))
    started = time.perf_counter()
    say(f"reading {len(pages)} pages")
    ops = read_pages(pages, jobs)
    now = time.perf_counter()
    report.seconds["read"] = now - started
    say(f"{len(ops)} request lines; merging with the metadata and generating the package")
    model, result, package = build(ops, out)
    report.seconds["build"] = time.perf_counter() - now
    now = time.perf_counter()

    def progress(i: int) -> None:
        say(f"replayed {i} of {len(result.resolutions)} lines")

    report.lines, report.samples = asyncio.run(replay_all(result, model, package, progress))
    report.seconds["replay"] = time.perf_counter() - now
    return report


# --- the report ------------------------------------------------------------------------------------------
def _kinds(outcomes: Iterable[Outcome], outcome: str) -> list[tuple[str, int, list[str]]]:
    by: dict[str, list[str]] = {}
    for o in outcomes:
        if o.outcome == outcome:
            by.setdefault(o.kind, []).append(o.where)
    return sorted(((k, len(v), v) for k, v in by.items()), key=lambda x: (-x[1], x[0]))


def summary(report: Report, examples: int = 3) -> list[str]:
    """The counts by outcome and by kind, with a few `page:line` examples each."""
    lines_total = len(report.lines)
    counts = report.counts()
    out = [f"{lines_total} request lines in {report.pages} pages"]
    for name in OUTCOMES:
        out.append(f"  {name:<14}{counts.get(name, 0):>6}")
        for kind, n, where in _kinds(report.lines, name):
            if kind:
                out.append(f"      {n:>5}  {kind}  (e.g. {', '.join(where[:examples])})")
    served = sum(1 for o in report.lines if o.call is not None)
    exists = lines_total - counts["mismatch"]
    out.append(f"  inspect says served: {served}; of these, exact: {counts['served-exact']}"
               f" ({_pct(counts['served-exact'], served)}); exact of the lines whose target exists: "
               f"{_pct(counts['served-exact'], exists)} of {exists}")
    sample_counts = report.sample_counts()
    out.append(f"{len(report.samples)} request samples")
    for name in SAMPLE_OUTCOMES:
        out.append(f"  {name:<14}{sample_counts.get(name, 0):>6}")
        if name != "exact":
            for kind, n, where in _kinds(report.samples, name)[:8]:
                out.append(f"      {n:>5}  {kind}  (e.g. {', '.join(where[:examples])})")
    return out


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "-"


def write_docs(report: Report, folder: Path, command: str) -> None:
    """`docs/replay.md` (the table, how outcomes are defined) and `docs/replay-exceptions.md` (every exception)."""
    counts = report.counts()
    total = len(report.lines)
    served = sum(1 for o in report.lines if o.call is not None)
    exists = total - counts["mismatch"]
    rows = "\n".join(f"| `{name}` | {counts.get(name, 0)} |" for name in OUTCOMES)
    kinds = []
    for name in OUTCOMES:
        for kind, n, where in _kinds(report.lines, name):
            if kind:
                kinds.append(f"| `{name}` | {kind} | {n} | {', '.join(where[:3])} |")
    sample_counts = report.sample_counts()
    sample_rows = "\n".join(f"| `{name}` | {sample_counts.get(name, 0)} |" for name in SAMPLE_OUTCOMES)
    sample_kinds = []
    for name in SAMPLE_OUTCOMES[1:]:
        for kind, n, where in _kinds(report.samples, name):
            sample_kinds.append(f"| `{name}` | {kind} | {n} | {', '.join(where[:3])} |")
    text = _DOC.format(
        command=command, pages=report.pages, total=total, rows=rows, kinds="\n".join(kinds), served=served,
        exact=counts["served-exact"], served_pct=_pct(counts["served-exact"], served), exists=exists,
        exists_pct=_pct(counts["served-exact"], exists), samples=len(report.samples), sample_rows=sample_rows,
        sample_kinds="\n".join(sample_kinds),
    )
    (folder / "replay.md").write_text(text, encoding="utf-8")
    exceptions = ["# Replay exceptions", "",
                  f"Generated by `{command}` (see [the replay](replay.md)): every request line of the Graph v1.0",
                  "reference that is not `served-exact`, and every request sample that is not `exact`, by outcome",
                  "and kind.", ""]
    for title, outcomes, names in (("Request lines", report.lines, OUTCOMES[1:]),
                                   ("Request samples", report.samples, SAMPLE_OUTCOMES[1:])):
        exceptions += [f"## {title}", ""]
        for name in names:
            for kind, n, _ in _kinds(outcomes, name):
                exceptions += [f"### {name}: {kind} ({n})", "", "| where | request | call | detail |", "|---|---|---|---|"]
                for o in outcomes:
                    if o.outcome == name and o.kind == kind:
                        exceptions.append(f"| {o.where} | {_cell(o.request)} | {_cell(o.call or '')} | {_cell(o.detail)} |")
                exceptions.append("")
    (folder / "replay-exceptions.md").write_text("\n".join(exceptions), encoding="utf-8")


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if text and "`" not in text else text


_DOC = """# The Graph v1.0 reference, replayed

Is every request line the Microsoft Graph v1.0 API reference documents really one typed call? The
replay answers line by line, measured with:

```sh
{command}
```

It reads the {pages} pages of `../shared/external/msgraph-docs/v1.0-api/` (July 2021; see its
`SOURCE.md`) with the spec-table reader `odatakit inspect` uses, merges them with the whole v1.0
`$metadata` (`../shared/external/msgraph-metadata/v1.0-cleanMetadata.xml`, August 2026), generates
the whole-Graph package with the `graph` preset into a temporary folder and imports it. For each
request line of an "HTTP request" block it takes the call `inspect` prints, evaluates that exact text
on a client whose innermost middleware records the request instead of sending it (answering an empty
success of the right shape), and compares what was sent with the page. Key placeholders are bound to
distinct values made from their names (`{{event-id}}` → `event-id.1`), `...` arguments to values of
the parameter's annotated type. The code is `tests/graph_replay.py`; it takes about 25 s on a busy
2-core machine (reading the pages about 15 s in two processes, generating and importing the package
about 6 s, the replay itself about 3 s), and `tests/test_graph_replay.py` runs it whole against a
ratchet of these counts.

## Request lines

| outcome | lines |
|---|---|
{rows}

`inspect` says {served} lines are served; {exact} of them send exactly the page's method and path
({served_pct}). Of the {exists} lines whose target exists in the metadata (all but the mismatches),
{exists_pct} are `served-exact`.

What the outcomes mean:

- `served-exact`: the call exists and sends the page's method and path, decoded segment by
  segment: names compared ignoring case (as the service compares them), each key placeholder
  matched to the value bound to it, a function's arguments matched by name (a placeholder value
  stands for any value). A function without parameters called `name()` where the page writes
  `name` is the same request (the OData ABNF's `boundFunctionCallNoParens`); those lines carry
  the kind "a function without parentheses on the page", so the figure with parentheses required
  is the count less theirs.
- `served-wrong`: the printed call exists but sends another method or path (the kind says where).
- `call-missing`: evaluating the printed call raises AttributeError or TypeError, or it ends on a
  request that sends nothing: `inspect` printed a call that does not exist.
- `not-served`: `inspect` says NOT SERVED; the kind is its reason's (with what the unresolved
  segment is in the metadata: a structural or stream property, `$ref`, `$value`, path-based
  addressing...).
- `mismatch`: a page/metadata mismatch, counted apart and not as served: the page names a
  segment the metadata lacks (no entity set, singleton, property, navigation, cast or operation of
  that name on the type reached or its family); or a navigation only derived types declare,
  without their cast (with one such type the call sends the cast and the rest of the path must
  match; with several the page does not say which); or it calls with POST what the metadata
  declares a function (invoked with GET), or the reverse; or `inspect` serves the line with an
  action `merge` generated from the page's body parameters alone (the metadata lacks it).
- Where the page writes a function without the parameters the metadata gives it (`GET
  .../range/cell`), the call sends them as aliases named after them, without parentheses
  (`with_function_parameters("implicit")`, `f?@a=1`: OData 4.01's implicit parameter aliases); the
  path is then the page's.
- `replay-error`: a failure of the replay itself (expected: none).

By kind (a few examples each; [every exception](replay-exceptions.md)):

| outcome | kind | lines | e.g. |
|---|---|---|---|
{kinds}

## Request samples

The pages' request samples attached to a line are replayed with that line's call: keys from the
sample's URL, function parameters from its segment, action parameters and the entity of
`create`/`update` from its JSON body, required query options and `$select`, `$top`, `$skip`,
`$count`, `$search` from its query string. The sent method and path (argument values compared too),
query and JSON body must be the sample's. {samples} samples:

| outcome | samples |
|---|---|
{sample_rows}

| outcome | kind | samples | e.g. |
|---|---|---|---|
{sample_kinds}
"""


def main(argv: Sequence[str] | None = None) -> int:
    """`make replay`: the whole reference; prints the counts, writes docs/replay.md and docs/replay-exceptions.md."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m tests.graph_replay_run", description=main.__doc__)
    parser.add_argument("--pages", nargs="*", help="page file names under the reference folder (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="processes reading pages (default 2)")
    parser.add_argument("--no-docs", action="store_true", help="print the counts only")
    args = parser.parse_args(argv)
    if not DOCS.is_dir() or not METADATA.is_file():
        print(f"error: {DOCS} or {METADATA} is absent: the ../shared data is not next to the project", file=sys.stderr)
        return 2
    pages = [DOCS / p for p in args.pages] if args.pages else all_pages()
    started = time.perf_counter()

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        report = run(pages, Path(tmp), args.jobs, log)
    print("\n".join(summary(report)))
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    print(f"took {time.perf_counter() - started:.1f} s ({phases})")
    if not args.no_docs and not args.pages:
        write_docs(report, ROOT / "docs", "make replay")
        print("wrote docs/replay.md and docs/replay-exceptions.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
