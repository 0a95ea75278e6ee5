"""A decoded response: what the client and batches hand back, made from a status, headers and body bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from .errors import MalformedResponse
from .serde import ResponseSource, paused_gc

__all__ = ["Response", "decode_response"]


@attrs.frozen
class Response:
    """A successful response: status, headers and the decoded JSON body (None when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    #: The body's bytes, from which typed objects read their JSON again when they need it (empty if unknown).
    raw: bytes = b""

    def source(self, key: str | None = None) -> ResponseSource | None:
        """The body as objects structured from it keep it (`key`: the name of its array of items)."""
        return ResponseSource(self.raw, key) if self.raw else None



def decode_response(
    status: int, headers: Mapping[str, str], body: bytes, method: str, url: str, *, keep_body: bool = False
) -> Response:
    """A successful response with its JSON body decoded; `MalformedResponse` when it is not JSON.

    With `keep_body`, objects structured from it keep the body's bytes instead of their JSON objects.
    """
    if not body.strip():
        return Response(status, headers, None)
    try:
        with paused_gc():
            decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = _loads_leniently(body, status, headers, method, url)
    return Response(status, headers, decoded, body if keep_body else b"")


def _loads_leniently(body: bytes, status: int, headers: Mapping[str, str], method: str, url: str) -> Any:
    # orjson refuses what the stdlib reads (NaN, integers beyond 64 bits, lone surrogates),
    # all of which some services send; its errors also say less.
    try:
        return json.loads(body)
    except RecursionError:
        # orjson stops at 1024 levels; the stdlib recurses until Python's own limit.
        raise MalformedResponse(status, "JSON nested too deeply to read", method=method, url=url,
                                headers=headers) from None
    except ValueError as exc:
        snippet = body[:200].decode("utf-8", "replace")
        error = MalformedResponse(
            status,
            f"expected JSON ({exc}); got {len(body)} bytes: {snippet}",
            method=method,
            url=url,
            headers=headers,
        )
        error.retryable = True
        raise error from None
