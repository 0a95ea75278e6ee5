"""Every request sample of the reference pages, sent through the generated client.

For the v2.0 sections of both Outlook pages and for both Graph pages, each operation is
resolved against the bundled package (:mod:`generator.merge`), and each request sample is
replayed through the generated call (:mod:`tests.spec_replay`) against aioresponses. The
request sent must be the sample's method, path, query options and JSON body, and the page's
response sample must come back as the typed result. The comparison tolerates only what the
services themselves tolerate: path names, query option names and canonical function names
ignoring case, `('key')` written as `/key`, datetimes without an offset read as UTC, and JSON
key order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from generator.csdl import parse_metadata
from generator.merge import Resolution, resolve
from generator.model import Model
from generator.naming import assign_names
from generator.specmodel import SpecOperation, SpecSample
from generator.spectables import read_page
from odatakit import MalformedResponse

from .conftest import ROOT, SHARED
from .spec_replay import Unreplayable, normalise_segments, replay, sample_segments
from .test_seed_queries import _CALL, _CANONICAL_FUNCTIONS

SEEDS = SHARED / "seeds"
# (page, versions kept, bundled package)
PAGES = (
    ("000_4f943cbb13d26cd2.txt", ("v2.0",), "outlook_v2"),
    ("003_07f9522caa828b14.txt", ("v2.0",), "outlook_v2"),
    ("001_f9e9bf820bf01100.txt", ("v1.0",), "graph_v1"),
    ("002_a70b48ea29734876.txt", ("beta",), "graph_v1"),
)
CLIENTS = {"outlook_v2": "OutlookClient", "graph_v1": "GraphClient"}
BASES = {"outlook_v2": "https://outlook.office.com/api/v2.0", "graph_v1": "https://graph.microsoft.com/v1.0"}

# Documentation defects: the sample cannot be sent as written, and the generated client says why.
DEFECTS = {
    # "SendResponse": "true" is a string where the action takes a Boolean.
    "accept": "SendResponse",
    "tentativelyaccept": "SendResponse",
    "decline": "SendResponse",
}


def _model(package: str) -> Model:
    return assign_names(parse_metadata((ROOT / "schemas" / f"{package}.xml").read_bytes(), f"{package}.xml"))


def _pairs(op: SpecOperation) -> Iterator[tuple[SpecSample, SpecSample | None]]:
    """Each request sample with the response sample that follows it before the next request, if any."""
    samples = list(op.samples)
    for i, sample in enumerate(samples):
        if sample.kind != "request":
            continue
        nxt = samples[i + 1] if i + 1 < len(samples) else None
        yield sample, nxt if nxt is not None and nxt.kind == "response" else None


def _cases() -> list[Any]:
    if not SEEDS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SEEDS} is absent (the shared seed pages)"))]
    cases = []
    for page, versions, package in PAGES:
        for op in read_page(SEEDS / page):
            if op.version not in versions:
                continue
            for request, response in _pairs(op):
                cases.append(pytest.param((op, request, response, package), id=f"{page}:{request.line}"))
    return cases


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {p: _model(p) for p in BASES}


@pytest.mark.parametrize("case", _cases())
async def test_request_sample_is_sent_exactly(case: Any, models: dict[str, Model], bundled: None) -> None:
    op, request, response, package = case
    import importlib

    module = importlib.import_module(package)
    client_cls = getattr(module, CLIENTS[package])
    model = models[package]
    res: Resolution = resolve(model, op)
    assert res.served, f"{op.where()}: {res.reason}"
    async with client_cls(BASES[package], None) as client:
        last = op.path.rstrip("/").rpartition("/")[2].lower()
        if last in DEFECTS and isinstance(request.body, dict) and isinstance(
            request.body.get(DEFECTS[last]), str
        ):
            with pytest.raises(ValueError, match=r"Edm.Boolean: expected true or false \(got 'true'\)"):
                await replay(client, model, res, request, response)  # the request body: the caller's error
            return
        if "..." in json.dumps(request.body) + json.dumps(response.body if response is not None else None):
            # Base64 shortened with "..." on the page: the typed model refuses it, naming the field.
            with pytest.raises((ValueError, MalformedResponse), match=r"Edm.Binary: not valid base64") as bad:
                await replay(client, model, res, request, response)
            # A request body the model refuses is the caller's ValueError; a response body, a MalformedResponse.
            assert isinstance(bad.value, ValueError) or isinstance(bad.value.__cause__, ValueError)
            return
        try:
            sent = await replay(client, model, res, request, response)
        except Unreplayable as exc:
            pytest.xfail(f"not replayable generically: {exc}")
    expected_segments, expected_query = sample_segments(request.url, op.prefix)
    assert sent.method == op.method.upper() == (request.method or op.method).upper()
    assert normalise_segments(sent.segments, res) == normalise_segments(expected_segments, res)
    assert {k.lower(): _value(k, v) for k, v in sent.query.items()} == {
        k.lower(): _value(k, v) for k, v in expected_query.items()
    }
    if op.method.upper() in ("POST", "PATCH", "PUT") and isinstance(request.body, dict):
        assert sent.body == request.body
    if response is not None and isinstance(response.body, dict):
        _check_result(sent.result, response.body)


def _value(name: str, text: str) -> Any:
    if name.lower() in ("$filter", "$orderby"):
        # Canonical function names ignoring case (Graph's "startsWith"): normalisation (d) of
        # test_seed_queries, which the services accept too.
        return _CALL.sub(lambda m: m.group("name").lower() if m.group("name").lower() in _CANONICAL_FUNCTIONS
                         else m.group(0), text)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    # A window written without an offset (v2.0 samples) is the same instant read as UTC.
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _check_result(result: Any, body: dict[str, Any]) -> None:
    if "value" in body and isinstance(body["value"], list):
        assert isinstance(result, list) and len(result) == len(body["value"])
        for item in result:
            assert hasattr(item, "additional_data"), f"untyped item {item!r}"
    elif result is not None:
        assert hasattr(result, "additional_data"), f"untyped result {result!r}"
