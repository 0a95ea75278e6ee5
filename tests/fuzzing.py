"""Mutation fuzzing of the whole generator: read → merge → emit → compile.

Real documents and pages are mutated (hostile strings in attributes, cells and titles, elements
deleted, duplicated, moved or invented, bytes cut or flipped) and run through the generator. The
only acceptable outcomes are a package whose every file compiles, or a `MetadataError` /
`SpecError`: anything else (another exception, a `GeneratorBug`) is a defect.

`tests/test_fuzz.py` runs a few hundred examples under Hypothesis in `make test`;
`make fuzz` runs thousands (`python -m tests.fuzzing --examples N`) and prints the outcome counts.
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.csdl import parse_metadata
from generator.emit import EmitOptions, Emitter, check_syntax
from generator.errors import Diagnostics, MetadataError
from generator.merge import merge
from generator.model import Model
from generator.naming import assign_names
from generator.prune import PatternError, closure, prune_document
from generator.specmodel import SpecError
from generator.spectables import read_page

from .hostile import BREAKOUTS, ODD_NAMES

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCHEMAS = ROOT / "schemas"

#: Documents to mutate: the project's own inputs, then real ones from ../shared when it is there.
DOCUMENTS = [
    SCHEMAS / "outlook_v2.xml",
    SCHEMAS / "cap_calendar.xml",
    SCHEMAS / "graph_v1.xml",
    SHARED / "external" / "odata-reference-services" / "TripPin-Microsoft.OData.SampleService.xml",
    SHARED / "external" / "odata-reference-services" / "Northwind-V4.xml",
    SHARED / "external" / "odata-reference-services" / "CAP-Library-Service.xml",
    SHARED / "external" / "odata-csdl-schemas" / "examples" / "miscellaneous.xml",
    SHARED / "external" / "odata-csdl-schemas" / "examples" / "special-characters.xml",
    SHARED / "external" / "outlookservices-vipr" / "Exchange-OutlookServices-sample-2015-04.edmx.xml",
]

_DOCS = SHARED / "external" / "msgraph-docs" / "v1.0-api"
#: (page, the metadata its requests are served from).
PAGES = [
    (SCHEMAS / "outlook_v2.spec.md", SCHEMAS / "outlook_v2.xml"),
    (SCHEMAS / "graph_v1.spec.md", SCHEMAS / "graph_v1.xml"),
    (SHARED / "seeds" / "001_f9e9bf820bf01100.txt", SCHEMAS / "graph_v1.xml"),
    (SHARED / "seeds" / "002_a70b48ea29734876.txt", SCHEMAS / "graph_v1.xml"),
    (SHARED / "seeds" / "000_4f943cbb13d26cd2.txt", SCHEMAS / "outlook_v2.xml"),
    *((_DOCS / name, SCHEMAS / "graph_v1.xml") for name in (
        "calendar-list-events.md", "calendar-post-events.md", "event-accept.md", "event-delta.md", "event-get.md",
        "event-update.md", "event-list-instances.md", "user-list-calendarview.md", "calendargroup-post-calendars.md",
    )),
]

#: Strings tried wherever input text goes.
HOSTILE = (
    *BREAKOUTS, *ODD_NAMES, "", " ", "a b", "a\nb", "x" * 129, "1abc", "Collection(", "Collection(Edm.String",
    "Edm.", ".", "a..b", "Edm.Nope", "#", "$metadata", "{x}", "{", "}", "%00", "\t", "\\", "/", "..", "true", "-1",
    "99999999999999999999", "NaN", "Collection(Collection(Edm.String))",
)  # fmt: skip


@dataclass
class Case:
    """One fuzz input: what was mutated and how it came out."""

    corpus: str
    outcome: str


def _available(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.is_file()]


def _hostile(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000), 0x202E, 0x200D, 0x0301,
                                       0x1F600, 0xFEFF])) for _ in range(rng.randrange(1, 12)))
    return rng.choice(HOSTILE)


def _xml_safe(text: str) -> str:
    # XML 1.0 cannot carry these at all; lxml would refuse to serialise them.
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c > "\uffff")


def mutate_document(data: bytes, rng: random.Random) -> bytes:
    """A few random mutations of a CSDL document (as bytes: some mutations break the XML itself)."""
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=False, resolve_entities=False))
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    values = [v for el in elements for v in el.attrib.values()]
    for _ in range(rng.randrange(1, 5)):
        el = rng.choice(elements)
        kind = rng.randrange(9)
        if kind <= 2 and el.attrib:
            attr = rng.choice(list(el.attrib))
            el.set(attr, _xml_safe(_hostile(rng)))
        elif kind == 3 and el.attrib and values:
            attr = rng.choice(list(el.attrib))
            el.set(attr, rng.choice(values))  # a real value in the wrong place: a type as a name, a cycle
        elif kind == 4 and el.getparent() is not None:
            el.getparent().remove(el)
            elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elif kind == 5 and el.getparent() is not None:
            el.addnext(etree.fromstring(etree.tostring(el)))
        elif kind == 6:
            target = rng.choice(elements)
            if el is not root and target is not el and el not in target.iterancestors() and el.getparent() is not None:
                target.append(el)
        elif kind == 7:
            annotation = etree.SubElement(el, "{http://docs.oasis-open.org/odata/ns/edm}Annotation")
            annotation.set("Term", rng.choice(["Org.OData.Core.V1.Description", "Org.OData.Core.V1.LongDescription",
                                               "Org.OData.Capabilities.V1.SearchRestrictions", _xml_safe(_hostile(rng))]))
            annotation.set("String", _xml_safe(_hostile(rng) * rng.randrange(1, 40)))
        else:
            extra = etree.SubElement(el, rng.choice(["{http://docs.oasis-open.org/odata/ns/edm}Property",
                                                     "{http://docs.oasis-open.org/odata/ns/edm}Bogus",
                                                     "{urn:vendor}Thing"]))
            extra.set("Name", _xml_safe(_hostile(rng)))
            extra.set("Type", rng.choice(["Edm.String", _xml_safe(_hostile(rng))]))
    out = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    if rng.random() < 0.05:
        cut = rng.randrange(len(out))
        out = out[:cut] if rng.random() < 0.5 else out[:cut] + bytes([rng.randrange(256)]) + out[cut + 1 :]
    return out


def mutate_page(text: str, rng: random.Random) -> str:
    """A few random mutations of a reference page: words, cells, titles and lines replaced or repeated."""
    lines = text.split("\n")
    interesting = [i for i, line in enumerate(lines) if line.startswith(("#", "|", "GET", "POST", "PATCH", "DELETE",
                                                                         "PUT", "Prefer", "```"))] or [0]
    for _ in range(rng.randrange(1, 6)):
        i = rng.choice(interesting) if rng.random() < 0.8 else rng.randrange(len(lines))
        line = lines[i]
        kind = rng.randrange(6)
        hostile = _hostile(rng).replace("\n", " ") if rng.random() < 0.7 else _hostile(rng)
        if kind == 0 and "|" in line:
            cells = line.split("|")
            cells[rng.randrange(len(cells))] = hostile
            lines[i] = "|".join(cells)
        elif kind == 1:
            words = line.split(" ")
            words[rng.randrange(len(words))] = hostile
            lines[i] = " ".join(words)
        elif kind == 2:
            lines.insert(i, hostile)
        elif kind == 3:
            lines.insert(i, line)
        elif kind == 4 and len(lines) > 1:
            del lines[i]
        else:
            lines[i] = line + rng.choice(["\x00", "\x1b[2J", "\u202e", "?from={from}&class={class}", " ```",
                                          "|", "{", "<!-- -->", "\r"])
    return "\n".join(lines)


def run_document(data: bytes, name: str, include: str | None = None) -> str:
    """Generate from a document: "package" when every emitted file compiles, else the error class name.

    With `include` (a type name or pattern), the document is pruned to its closure first, as
    `generate --include` does, and the pruned document must read back.
    """
    try:
        model = parse_metadata(data, name, diagnostics=Diagnostics())
        if include is not None:
            pruning = closure(model, [include], [])
            pruned, _ = prune_document(name, data, model, [include], [], pruning)
            model = parse_metadata(pruned, name, diagnostics=Diagnostics())
        model = assign_names(model)
    except MetadataError:
        return "MetadataError"
    except PatternError:
        return "PatternError"
    files = Emitter(model, EmitOptions(package="fuzzed")).render()
    check_syntax(files)
    return "package"


@functools.cache
def _named_model(metadata: Path) -> Model:
    return assign_names(parse_metadata(metadata.read_bytes(), metadata.name, diagnostics=Diagnostics()))


def run_page(text: str, metadata: Path, folder: Path) -> str:
    """Generate from a page merged onto its metadata: "package", or the error class name."""
    page = folder / "page.md"
    page.write_text(text, encoding="utf-8", errors="surrogatepass")
    model = _named_model(metadata)
    try:
        operations = read_page(page, Diagnostics())
        model = merge(model, operations, Diagnostics()).model
    except SpecError:
        return "SpecError"
    files = Emitter(model, EmitOptions(package="fuzzed")).render()
    check_syntax(files)
    return "package"


def fuzz_document(rng: random.Random) -> Case:
    """Mutate one available document and run it."""
    path = rng.choice(_available(DOCUMENTS))
    original = path.read_bytes()
    data = mutate_document(original, rng)
    include = None
    if rng.random() < 0.3:
        names = [n for n in _TYPE_NAME.findall(original.decode("utf-8", "replace"))]
        include = rng.choice(names + ["*", "**", "/x/**", _hostile(rng)]) if names else _hostile(rng)
    return Case(path.name, run_document(data, path.name, include))


_TYPE_NAME = re.compile(r'<(?:EntityType|ComplexType|EnumType) Name="([^"]+)"')


def fuzz_page(rng: random.Random, folder: Path) -> Case:
    """Mutate one available page and run it with its metadata."""
    pairs = [(p, m) for p, m in PAGES if p.is_file()]
    page, metadata = rng.choice(pairs)
    text = mutate_page(page.read_text(encoding="utf-8"), rng)
    return Case(page.name, run_page(text, metadata, folder))


def main(argv: list[str] | None = None) -> int:
    """`make fuzz`: run many examples, print the outcome counts; exit 1 and keep the input on a crash."""
    parser = argparse.ArgumentParser(description="Mutation fuzzing of read → merge → emit → compile.")
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    outcomes: Counter[tuple[str, str]] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.examples):
            rng = random.Random(f"{args.seed}:{i}")
            kind = "document" if i % 2 == 0 else "page"
            try:
                case = fuzz_document(rng) if kind == "document" else fuzz_page(rng, Path(tmp))
            except Exception as exc:  # a crash is what this looks for: report it and how to replay it
                print(f"CRASH on example {i} ({kind}) with --seed {args.seed}: {type(exc).__name__}: {exc}",
                      file=sys.stderr)
                print(f"replay: python -m tests.fuzzing --seed {args.seed} --examples {i + 1}", file=sys.stderr)
                return 1
            outcomes[kind, case.outcome] += 1
            if (i + 1) % 500 == 0:
                print(f"{i + 1} inputs tried ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    total = sum(outcomes.values())
    print(f"{total} inputs tried in {time.monotonic() - started:.0f} s (seed {args.seed}); outcomes:")
    for (kind, outcome), count in sorted(outcomes.items()):
        print(f"  {kind:8} {outcome:14} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
