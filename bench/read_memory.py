"""Resident memory of reading a large `$metadata` document, as a multiple of the document's size.

Builds fourteen synthetic documents of about `--mb` MB in a temporary folder and reads each with
`generator.csdl.load_metadata` in a fresh interpreter (ru_maxrss never goes down, so one process
per document):

- `unknown-elements`: a small valid schema buried in vendor and misspelled elements (in Edmx,
  DataServices, Schema, EntityType, EntityContainer), the shape a hostile or broken server can send;
- `graph-copies`: Microsoft Graph's v1.0 $metadata (from ../shared) repeated with its namespaces
  and aliases renamed, so every copy is real-looking CSDL the reader keeps;
- `tiny-types`: nothing but small complex types of one string property each, so nearly every
  byte becomes a model object (the model itself is then most of the cost, not the reader);
- five documents that put nearly all their bytes in one element or one list, where a reader that
  frees only whole Schema children holds everything at once: `big-enum` (one EnumType of
  members), `big-container` (one EntityContainer of entity sets), `big-complex` (one
  ComplexType of properties), `many-references` (edmx:References, each including a namespace)
  and `many-schemas` (empty Schemas);
- six documents that put nearly all their bytes in annotations, which the reader reads while they
  are parsed, expression by expression: `big-annotation` (an Annotations block holding one
  Annotation of a Collection of strings), `inline-annotation` (the same Collection in an
  Annotation of a Property), `big-record` (a Record of PropertyValues), `nested-collections` (a
  Collection of Collections of ten strings), `many-annotations` (an Annotations block of small
  Annotations) and `big-apply` (an Apply of string operands).  The value of such an annotation
  is one Python list or dict holding a string per item, which is most of what these cost.

Each row prints the input in MB, the peak RSS (ru_maxrss) minus the interpreter's just before
reading (modules already imported) in MB, their ratio, the size of the model's own Python objects
in MB (what any reader must end up holding), the seconds reading took, and the warnings.
Documents are built in a subprocess of their own: Linux carries ru_maxrss across exec, so a parent
holding 60 MB would raise every child's baseline.  Run: `.venv/bin/python bench/read_memory.py`
(all documents) or name some: `.venv/bin/python bench/read_memory.py --mb 20 big-annotation big-record`.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000
GRAPH = Path("external") / "msgraph-metadata" / "v1.0-cleanMetadata.xml"

_EDMX_OPEN = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" xmlns:x="urn:vendor">\n'
)


def unknown_elements(size: int) -> bytes:
    """A valid one-schema document padded to `size` bytes with elements the reader does not know."""
    vendor = '<x:Vendor a="1"><x:Inner/></x:Vendor><Foo/>\n'
    types = 200
    per_block = max(1, (size // (types + 4)) // len(vendor))
    block = vendor * per_block
    parts = [_EDMX_OPEN, block, "<edmx:DataServices>\n", block]
    parts.append('<Schema Namespace="Bench" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n' + block)
    for i in range(types):
        parts.append(
            f'<EntityType Name="T{i}"><Key><PropertyRef Name="id"/></Key>'
            f'<Property Name="id" Type="Edm.String" Nullable="false"/>\n{block}</EntityType>\n'
        )
    parts.append(f'<EntityContainer Name="C"><EntitySet Name="t0" EntityType="Bench.T0"/>\n{block}</EntityContainer>')
    parts.append("</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
    return "".join(parts).encode()


def tiny_types(size: int) -> bytes:
    """One schema of `<ComplexType Name="Tn"><Property Name="p" Type="Edm.String"/></ComplexType>` up to `size` bytes."""
    return _repeated(
        _EDMX_OPEN + _SCHEMA_OPEN,
        lambda i: f'<ComplexType Name="T{i}"><Property Name="p" Type="Edm.String"/></ComplexType>\n',
        _SCHEMA_CLOSE,
        size,
    )


def _repeated(head: str, item: Callable[[int], str], tail: str, size: int) -> bytes:
    """`head`, then `item(0)`, `item(1)`, ... as many as fit in `size` bytes with `tail`."""
    parts = [head]
    total = len(head) + len(tail)
    i = 0
    while True:
        part = item(i)
        if total + len(part) > size:
            break
        parts.append(part)
        total += len(part)
        i += 1
    parts.append(tail)
    return "".join(parts).encode()


_SCHEMA_OPEN = '<edmx:DataServices>\n<Schema Namespace="Bench" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n'
_SCHEMA_CLOSE = "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
_ENTITY = (
    '<EntityType Name="T"><Key><PropertyRef Name="id"/></Key>'
    '<Property Name="id" Type="Edm.String" Nullable="false"/></EntityType>\n'
)


def big_enum(size: int) -> bytes:
    """One EnumType whose members fill `size` bytes."""
    return _repeated(
        _EDMX_OPEN + _SCHEMA_OPEN + '<EnumType Name="E">\n',
        lambda i: f'<Member Name="m{i}" Value="{i}"/>\n',
        "</EnumType>\n" + _SCHEMA_CLOSE,
        size,
    )


def big_container(size: int) -> bytes:
    """One EntityContainer whose entity sets fill `size` bytes."""
    return _repeated(
        _EDMX_OPEN + _SCHEMA_OPEN + _ENTITY + '<EntityContainer Name="C">\n',
        lambda i: f'<EntitySet Name="s{i}" EntityType="Bench.T"/>\n',
        "</EntityContainer>\n" + _SCHEMA_CLOSE,
        size,
    )


def big_complex(size: int) -> bytes:
    """One ComplexType whose properties fill `size` bytes."""
    return _repeated(
        _EDMX_OPEN + _SCHEMA_OPEN + '<ComplexType Name="C">\n',
        lambda i: f'<Property Name="p{i}" Type="Edm.String"/>\n',
        "</ComplexType>\n" + _SCHEMA_CLOSE,
        size,
    )


def many_references(size: int) -> bytes:
    """edmx:References, each including one namespace, then a small schema."""
    return _repeated(
        _EDMX_OPEN,
        lambda i: f'<edmx:Reference Uri="r{i}.xml"><edmx:Include Namespace="R{i}"/></edmx:Reference>\n',
        _SCHEMA_OPEN + _ENTITY + _SCHEMA_CLOSE,
        size,
    )


def many_schemas(size: int) -> bytes:
    """Empty Schemas, each with a namespace of its own."""
    return _repeated(
        _EDMX_OPEN + "<edmx:DataServices>\n",
        lambda i: f'<Schema Namespace="S{i}" xmlns="http://docs.oasis-open.org/odata/ns/edm"/>\n',
        "</edmx:DataServices>\n</edmx:Edmx>\n",
        size,
    )


_ANNOTATED_OPEN = (
    _EDMX_OPEN
    + _SCHEMA_OPEN
    + '<ComplexType Name="T"><Property Name="p" Type="Edm.String"/></ComplexType>\n<Annotations Target="Bench.T">\n'
)
_ANNOTATED_CLOSE = "</Annotations>\n" + _SCHEMA_CLOSE


def big_annotation(size: int) -> bytes:
    """One Annotation (in an Annotations block) whose Collection of strings fills `size` bytes."""
    return _repeated(
        _ANNOTATED_OPEN + '<Annotation Term="Bench.X"><Collection>\n',
        lambda i: f"<String>item{i}</String>\n",
        "</Collection></Annotation>\n" + _ANNOTATED_CLOSE,
        size,
    )


def inline_annotation(size: int) -> bytes:
    """One Annotation of a Property, its Collection of strings filling `size` bytes."""
    return _repeated(
        _EDMX_OPEN + _SCHEMA_OPEN + '<ComplexType Name="T"><Property Name="p" Type="Edm.String">'
        '<Annotation Term="Bench.X"><Collection>\n',
        lambda i: f"<String>item{i}</String>\n",
        "</Collection></Annotation></Property></ComplexType>\n" + _SCHEMA_CLOSE,
        size,
    )


def big_record(size: int) -> bytes:
    """One Annotation whose Record of PropertyValues fills `size` bytes."""
    return _repeated(
        _ANNOTATED_OPEN + '<Annotation Term="Bench.X"><Record>\n',
        lambda i: f'<PropertyValue Property="p{i}" String="v{i}"/>\n',
        "</Record></Annotation>\n" + _ANNOTATED_CLOSE,
        size,
    )


def nested_collections(size: int) -> bytes:
    """One Annotation whose Collection of Collections (ten strings each) fills `size` bytes."""
    return _repeated(
        _ANNOTATED_OPEN + '<Annotation Term="Bench.X"><Collection>\n',
        lambda i: "<Collection>" + "".join(f"<String>{i}.{j}</String>" for j in range(10)) + "</Collection>\n",
        "</Collection></Annotation>\n" + _ANNOTATED_CLOSE,
        size,
    )


def many_annotations(size: int) -> bytes:
    """One Annotations block whose small Annotations fill `size` bytes."""
    return _repeated(
        _ANNOTATED_OPEN,
        lambda i: f'<Annotation Term="Bench.X" Qualifier="q{i}" String="v{i}"/>\n',
        _ANNOTATED_CLOSE,
        size,
    )


def big_apply(size: int) -> bytes:
    """One Annotation whose Apply (odata.concat) of string operands fills `size` bytes."""
    return _repeated(
        _ANNOTATED_OPEN + '<Annotation Term="Bench.X"><Apply Function="odata.concat">\n',
        lambda i: f"<String>item{i}</String>\n",
        "</Apply></Annotation>\n" + _ANNOTATED_CLOSE,
        size,
    )


def graph_copies(graph: Path, size: int) -> bytes:
    """Graph's schemas repeated (namespaces and aliases renamed per copy) up to about `size` bytes."""
    text = graph.read_text(encoding="utf-8-sig")
    start = text.index("<Schema ")
    end = text.rindex("</edmx:DataServices>")
    head, schemas, tail = text[:start], text[start:end], text[end:]
    aliases = sorted(set(re.findall(r'<Schema [^>]*Alias="([^"]+)"', schemas)))
    alias_use = re.compile(r"\b(" + "|".join(map(re.escape, aliases)) + r")\.")
    copies = [schemas]
    total = len(text)
    n = 1
    while total + len(schemas) <= size:
        copy = re.sub(r"\bmicrosoft\.graph\b", f"microsoft.graph{n}", schemas)
        copy = alias_use.sub(lambda m, n=n: f"{m.group(1)}{n}.", copy)  # type: ignore[misc]
        copy = re.sub(r'(<Schema [^>]*Alias=")([^"]+)"', lambda m, n=n: f'{m.group(1)}{m.group(2)}{n}"', copy)  # type: ignore[misc]
        copies.append(copy)
        total += len(copy)
        n += 1
    return (head + "".join(copies) + tail).encode()


ANNOTATION_DOCUMENTS = [
    "big-annotation",
    "inline-annotation",
    "big-record",
    "nested-collections",
    "many-annotations",
    "big-apply",
]


def model_size(model: object) -> int:
    """Bytes of the model's own Python objects (sys.getsizeof of each, shared ones counted once)."""
    import attrs

    seen: set[int] = set()
    todo = [model]
    total = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, (tuple, list, set, frozenset)):
            todo.extend(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.keys())
            todo.extend(obj.values())
        elif attrs.has(type(obj)):
            todo.extend(getattr(obj, f.name) for f in attrs.fields(type(obj)))
    return total


def child(path: str) -> None:
    """Read one document in this (fresh) process and print the figures as JSON."""
    from generator.csdl import load_metadata
    from generator.errors import Diagnostics

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    diagnostics = Diagnostics()
    started = time.perf_counter()
    model = load_metadata(path, diagnostics=diagnostics)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # `count` is every warning; before warnings were capped there was only the list.
    warnings = getattr(diagnostics, "count", len(diagnostics.warnings))
    print(json.dumps({
        "baseline": baseline, "peak": peak, "seconds": seconds, "model": model_size(model),
        "types": len(model.structured),
        "warnings": warnings, "lines": len(diagnostics.format_lines()),
    }))  # fmt: skip


def main() -> int:
    """Build the documents, read each in a subprocess, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=60.0, help="size of each synthetic document in MB (default 60)")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared data folder")
    parser.add_argument("documents", nargs="*", help="read only these documents (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = int(args.mb * MB)
    graph = args.shared / GRAPH
    if args.child:
        child(args.child)
        return 0
    if args.build:
        name, out = args.build
        builders = {
            "unknown-elements": lambda: unknown_elements(size),
            "graph-copies": lambda: graph_copies(graph, size),
            "tiny-types": lambda: tiny_types(size),
            "big-enum": lambda: big_enum(size),
            "big-container": lambda: big_container(size),
            "big-complex": lambda: big_complex(size),
            "many-references": lambda: many_references(size),
            "many-schemas": lambda: many_schemas(size),
            "big-annotation": lambda: big_annotation(size),
            "inline-annotation": lambda: inline_annotation(size),
            "big-record": lambda: big_record(size),
            "nested-collections": lambda: nested_collections(size),
            "many-annotations": lambda: many_annotations(size),
            "big-apply": lambda: big_apply(size),
        }
        Path(out).write_bytes(builders[name]())
        return 0
    names = ["unknown-elements"]
    if graph.is_file():
        names.append("graph-copies")
    else:
        print(f"skipping graph-copies: {graph} is absent", file=sys.stderr)
    names += ["tiny-types", "big-enum", "big-container", "big-complex", "many-references", "many-schemas"]
    names += ANNOTATION_DOCUMENTS
    if args.documents:
        names = [name for name in names if name in args.documents]
    print(
        f"{'document':<18} {'input MB':>9} {'peak-base MB':>13} {'ratio':>6} {'model MB':>9} {'seconds':>8} "
        f"{'warnings':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / f"{name}.xml"
            build = [sys.executable, __file__, "--mb", str(args.mb), "--shared", str(args.shared)]
            subprocess.run([*build, "--build", name, str(path)], check=True)
            mb_in = path.stat().st_size / MB
            run = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], cwd=ROOT, capture_output=True, text=True
            )
            if run.returncode != 0:
                print(f"{name:<18} {mb_in:9.1f}  failed: {run.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(run.stdout)
            used = (r["peak"] - r["baseline"]) / MB
            print(
                f"{name:<18} {mb_in:9.1f} {used:13.0f} {used / mb_in:6.1f} {r['model'] / MB:9.0f} {r['seconds']:8.1f} "
                f"{r['warnings']:>9} ({r['lines']} lines)"
            )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
