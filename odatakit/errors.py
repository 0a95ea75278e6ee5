"""Errors the runtime raises: HTTP failures carry the OData error payload.

`ODataError` is the base of every failed response; a subclass per status family lets
callers catch what they can handle (`except NotFound:`) without comparing numbers::

    ODataError
    ├── BadRequest (400)         ├── PreconditionFailed (412)
    ├── Unauthorized (401)       ├── PreconditionRequired (428)
    ├── Forbidden (403)          ├── TooManyRequests (429, `.retry_after`)
    ├── NotFound (404)           ├── ServerError (5xx)
    ├── Conflict (409)           │   └── ServiceUnavailable (503), GatewayTimeout (504)
    ├── FailedDependency (424: a batch item whose dependency failed)
    ├── MalformedResponse (a 2xx whose body is not the JSON or the shape expected, a link loop)
    ├── ConnectionFailed (the connection failed or dropped, after the retries)
    └── RequestTimeout (past the timeout, after the retries; also a `TimeoutError`)

Catching `ODataError` catches every failure a service can cause. An error raised while a
collection or a delta round is iterated carries `resume_link`: the link of the first page
not fully delivered, from which `query.resume(link)` (or iterating the round again) goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "MalformedResponse",
    "NotFound",
    "ODataError",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestTimeout",
    "ServerError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "error_from_response",
    "retry_after_seconds",
]


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
        headers: Mapping[str, str] | None = None,
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
        #: The response headers (`Retry-After`, `ETag`...), empty when unknown.
        self.headers: Mapping[str, str] = headers or {}
        #: Set when the error ends an iteration: the link to resume it from (see `query.resume`).
        self.resume_link: str | None = None
        where = f"{method} {url}: " if method and url else ""
        coded = f" {code}" if code else ""
        rid = f" (request-id {request_id})" if request_id else ""
        # Status 0: no HTTP answer at all (a failed connection, a timeout).
        status_text = f"HTTP {status}{coded}: " if status else ""
        super().__init__(f"{where}{status_text}{message}{rid}")


class BadRequest(ODataError):
    """400: the service refused the request as malformed."""


class Unauthorized(ODataError):
    """401: no valid credentials."""


class Forbidden(ODataError):
    """403: the credentials lack a permission."""


class NotFound(ODataError):
    """404: no such resource."""


class Conflict(ODataError):
    """409: the request conflicts with the resource's state."""


class PreconditionFailed(ODataError):
    """412: the `If-Match` ETag is stale: someone changed the entity since it was read."""


class FailedDependency(ODataError):
    """424: a batch request was not run because a request it depends on failed."""


class PreconditionRequired(ODataError):
    """428: the service requires `If-Match` for this request."""


class TooManyRequests(ODataError):
    """429: throttled; `retry_after` holds the delay the service asked for (seconds), if any."""

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait, from the `Retry-After` header (seconds or HTTP date)."""
        return retry_after_seconds(self.headers.get("Retry-After"))


class ServerError(ODataError):
    """5xx: the service failed."""


class ServiceUnavailable(ServerError):
    """503: the service is overloaded or down."""


class GatewayTimeout(ServerError):
    """504: a gateway timed out waiting for the service."""


class MalformedResponse(ODataError):
    """A successful status with a body that is not the JSON the request expects (truncated, HTML...)."""

    #: Whether asking again may help: the body was not JSON at all (cut off, garbled), rather than
    #: JSON of the wrong shape, which the same request would only get again.
    retryable = False


class ConnectionFailed(ODataError):
    """The connection could not be made, or broke before the whole response arrived (after the retries)."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        super().__init__(0, f"connection failed: {reason}", method=method, url=url)


class RequestTimeout(ODataError, TimeoutError):
    """The request ran past its timeout (see `Client.with_timeout`); a `TimeoutError` too."""

    def __init__(self, method: str, url: str, timeout: float | None) -> None:
        self.timeout = timeout
        limit = f" after {timeout:g} s" if timeout else ""
        super().__init__(0, f"timed out{limit}", method=method, url=url)


_BY_STATUS: dict[int, type[ODataError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    424: FailedDependency,
    428: PreconditionRequired,
    429: TooManyRequests,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def error_class(status: int) -> type[ODataError]:
    """The exception class for a failed status."""
    found = _BY_STATUS.get(status)
    if found is not None:
        return found
    return ServerError if status >= 500 else ODataError


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A `Retry-After` header as seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    # RFC 9110: delta-seconds is ASCII digits only (`str.isdigit` also takes "²" and other scripts' digits).
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        import email.utils  # rarely needed (an HTTP-date Retry-After), and slow to import

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_response(
    status: int,
    body: bytes,
    *,
    method: str,
    url: str,
    request_id: str | None,
    headers: Mapping[str, str] | None = None,
) -> ODataError:
    """Build the error for a failed response, from OData error JSON when the body has it."""
    cls = error_class(status)
    payload: Any = None
    try:
        payload = json.loads(body) if body else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than anything worth reading
        payload = None
    err = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(err, dict):
        details = err.get("details")
        return cls(
            status,
            str(err.get("message") or ""),
            code=str(err["code"]) if err.get("code") is not None else None,
            target=err.get("target"),
            details=details if isinstance(details, list) else None,
            innererror=err.get("innererror"),
            request_id=request_id,
            method=method,
            url=url,
            headers=headers,
        )
    if not body:
        snippet = "(empty body)"
    else:
        text = body[:200].decode("utf-8", "replace")
        snippet = text + ("..." if len(body) > 200 else "")
        if payload is None:
            snippet = f"non-JSON body: {snippet}"
    return cls(status, snippet, request_id=request_id, method=method, url=url, headers=headers)
