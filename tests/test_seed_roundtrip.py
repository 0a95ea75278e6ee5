"""Every JSON body of the seed pages (Outlook v2.0 sections, Graph pages) round-trips.

Each sample is matched to its type by walking its request URL through the bundled model
(entity sets, navigation properties, keys, bound actions), then structured into the
generated classes and unstructured back; the result must equal the sample exactly.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from generator.csdl import load_metadata
from generator.model import Model, Operation
from generator.samples import Sample, extract_samples

from .conftest import ROOT, SHARED

OUTLOOK_PAGES = ["000_4f943cbb13d26cd2.txt", "003_07f9522caa828b14.txt"]
GRAPH_PAGES = ["001_f9e9bf820bf01100.txt", "002_a70b48ea29734876.txt"]

# Samples whose JSON contradicts the documented type; structuring must fail clearly on them.
# (page, line): the property that is wrong in the documentation.
_SEND_RESPONSE = r"SendResponse: Edm.Boolean: expected true or false \(got 'true'\)"
_TRUNCATED_BASE64 = r"FileAttachment.ContentBytes: Edm.Binary: not valid base64"
DOC_ERRORS: dict[tuple[str, int], str] = {
    # accept / tentatively accept / decline: SendResponse is documented boolean, sampled "true".
    ("000_4f943cbb13d26cd2.txt", 4715): _SEND_RESPONSE,
    ("000_4f943cbb13d26cd2.txt", 4877): _SEND_RESPONSE,
    ("000_4f943cbb13d26cd2.txt", 5038): _SEND_RESPONSE,
    ("003_07f9522caa828b14.txt", 4047): _SEND_RESPONSE,
    ("003_07f9522caa828b14.txt", 4209): _SEND_RESPONSE,
    ("003_07f9522caa828b14.txt", 4370): _SEND_RESPONSE,
    # attachment samples shorten ContentBytes with a literal "..." inside the base64 text.
    ("000_4f943cbb13d26cd2.txt", 5484): _TRUNCATED_BASE64,
    ("000_4f943cbb13d26cd2.txt", 5850): _TRUNCATED_BASE64,
    ("003_07f9522caa828b14.txt", 4795): _TRUNCATED_BASE64,
    ("003_07f9522caa828b14.txt", 5134): _TRUNCATED_BASE64,
    # Graph beta list-events: a placeholder where a DateTimeOffset belongs.
    ("002_a70b48ea29734876.txt", 111): r"Event.responseStatus: ResponseStatus.time: Edm.DateTimeOffset: .*'datetime-value'",
}


@cache
def _model(package: str) -> Model:
    return load_metadata(str(ROOT / "schemas" / f"{package}.xml"))


def _samples() -> list[tuple[str, Sample]]:
    if not SHARED.joinpath("seeds").exists():
        return []
    out: list[tuple[str, Sample]] = []
    for page in OUTLOOK_PAGES + GRAPH_PAGES:
        samples, _ = extract_samples(SHARED / "seeds" / page)
        for s in samples:
            if s.service == "outlook" and s.version == "v2.0":
                out.append(("outlook_v2", s))
            elif s.service == "graph":
                out.append(("graph_v1", s))
    return out


_SEGMENT = re.compile(r"^([^()]+)(?:\((.*)\))?$")


def resolve(model: Model, url: str) -> tuple[str, Any, bool]:
    """Walk a request URL: ("entity", type, collection?) or ("operation", Operation, False)."""
    path = unquote(urlsplit(url).path)
    segments = [s for s in path.split("/") if s]
    assert model.container is not None
    sets = {s.name.lower(): s for s in model.container.entity_sets}
    while segments and segments[0].split("(")[0].lower() not in sets:
        segments.pop(0)
    assert segments, f"no entity set or singleton in {url}"
    structured = model.structured_by_name()
    current: str | None = None
    collection = False
    for seg in segments:
        m = _SEGMENT.match(seg)
        assert m, seg
        name, key = m.group(1), m.group(2)
        if current is None:
            es = sets[name.lower()]
            current, collection = es.entity_type, not es.singleton
        else:
            chain = model.base_chain(current)
            navs = {n.name.lower(): n for t in chain for n in t.navigation}
            ops = _bound_ops(model, current, collection)
            if name.lower() in navs:
                nav = navs[name.lower()]
                current, collection = nav.type.name, nav.type.collection
            elif name.lower() in ops:
                return ("operation", ops[name.lower()], False)
            elif collection:
                current, collection = current, False  # key as segment
                continue
            else:
                raise AssertionError(f"{seg!r} of {url} is neither a navigation nor an operation of {current}")
        if key is not None and collection:
            collection = False
    assert current in structured
    return ("entity", current, collection)


def _bound_ops(model: Model, qualified: str, collection: bool) -> dict[str, Operation]:
    names = {t.qualified for t in model.base_chain(qualified)}
    return {
        op.name.lower(): op
        for op in model.operations
        if op.binding is not None and op.binding.type.name in names and op.binding.type.collection == collection
    }


def roundtrip(package: str, sample: Sample) -> Any:
    """Structure the sample's body into typed objects and back."""
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "generated"))
    try:
        pkg = importlib.import_module(package)
    finally:
        sys.path.remove(str(ROOT / "generated"))
    client_cls = pkg.OutlookClient if package == "outlook_v2" else pkg.GraphClient
    conv = client_cls("https://example.test").converter
    registry = client_cls.REGISTRY
    assert sample.url is not None, f"{sample.page}:{sample.line} has no request URL"
    kind, target, collection = resolve(_model(package), sample.url)
    body = sample.body
    if kind == "operation":
        op: Operation = target
        if sample.kind == "request":
            params = {p.name: p for p in op.call_parameters}
            assert set(body) <= set(params), f"unknown parameters {set(body) - set(params)} for {op.name}"
            out = {}
            for k, v in body.items():
                ref = params[k].type
                try:
                    out[k] = conv.unstructure_value(conv.structure_value(v, ref.name, ref.collection), ref.name,
                                                    ref.collection)
                except ValueError as exc:
                    raise ValueError(f"{k}: {exc}") from exc
            return out
        assert op.return_type is not None
        target, collection = op.return_type.name, op.return_type.collection
    cls = registry.info(target).cls
    if kind == "entity" and sample.method in ("POST", "PATCH", "PUT"):
        collection = False  # the body and the answer are one entity, even when posted to a collection
    if collection and sample.kind == "response":
        assert isinstance(body, dict) and isinstance(body.get("value"), list)
        return {**body, "value": [conv.unstructure(conv.structure(v, cls)) for v in body["value"]]}
    return conv.unstructure(conv.structure(body, cls))


SAMPLES = _samples()


@pytest.mark.skipif(not SAMPLES, reason="../shared/seeds is absent: the seed pages are not checked out")
@pytest.mark.parametrize(
    ("package", "sample"), SAMPLES, ids=[f"{s.page[:3]}:{s.line}:{s.kind}" for _, s in SAMPLES]
)
def test_seed_sample_round_trips(package: str, sample: Sample) -> None:
    where = (Path(sample.page).name, sample.line)
    if where in DOC_ERRORS:
        with pytest.raises((TypeError, ValueError), match=DOC_ERRORS[where]):
            roundtrip(package, sample)
        return
    assert roundtrip(package, sample) == sample.body


def test_all_seed_samples_are_covered() -> None:
    if not SAMPLES:
        pytest.skip("../shared/seeds is absent: the seed pages are not checked out")
    # 21 v2.0 samples on each Outlook page, 7 + 3 on the Graph pages (see tests/test_samples.py).
    assert len(SAMPLES) == 21 + 21 + 7 + 3
    assert {Path(s.page).name for _, s in SAMPLES} == set(OUTLOOK_PAGES + GRAPH_PAGES)
