"""Errors the runtime raises: HTTP failures carry the OData error payload."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ODataError", "error_from_response"]


class ODataError(Exception):
    """A request failed: status, OData error code and message, and where to look next."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        target: str | None = None,
        details: list[Any] | None = None,
        innererror: Any = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.innererror = innererror
        self.request_id = request_id
        self.method = method
        self.url = url
        where = f"{method} {url}: " if method and url else ""
        coded = f" {code}" if code else ""
        super().__init__(f"{where}HTTP {status}{coded}: {message}")


def error_from_response(
    status: int, body: bytes, *, method: str, url: str, request_id: str | None
) -> ODataError:
    """Build the error for a failed response, from OData error JSON when the body has it."""
    payload: Any = None
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    err = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(err, dict):
        return ODataError(
            status,
            str(err.get("message") or ""),
            code=err.get("code"),
            target=err.get("target"),
            details=err.get("details"),
            innererror=err.get("innererror"),
            request_id=request_id,
            method=method,
            url=url,
        )
    snippet = body[:200].decode("utf-8", "replace") if body else "(empty body)"
    return ODataError(status, snippet, request_id=request_id, method=method, url=url)
