"""odatakit: the runtime that generated OData clients import."""

from typing import TYPE_CHECKING, Any

from .builders import CollectionRequest, EntityRequest
from .client import Client, Response, ServiceConfig
from .delta import Delta, Removed
from .errors import (
    BadRequest,
    Conflict,
    FailedDependency,
    Forbidden,
    GatewayTimeout,
    MalformedResponse,
    NotFound,
    ODataError,
    PreconditionFailed,
    PreconditionRequired,
    RequestTimeout,
    ServerError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from .expr import BoolExpr, Expr, concat, maxdatetime, mindatetime, now
from .http import HttpRequest, HttpResponse, Middleware, RetryPolicy, Timeouts
from .paging import Page
from .serde import (
    ComplexBase,
    Converter,
    EntityBase,
    FieldSpec,
    ODataEnum,
    ODataFlag,
    ODataObject,
    Registry,
    mark_changed,
    mark_clean,
    replace,
)

__all__ = [
    "BadRequest",
    "Batch",
    "BatchItem",
    "BoolExpr",
    "Client",
    "CollectionRequest",
    "ComplexBase",
    "Conflict",
    "Converter",
    "Delta",
    "EntityBase",
    "EntityRequest",
    "Expr",
    "FailedDependency",
    "FieldSpec",
    "Forbidden",
    "GatewayTimeout",
    "HttpRequest",
    "HttpResponse",
    "MalformedResponse",
    "Middleware",
    "NotFound",
    "ODataEnum",
    "ODataError",
    "ODataFlag",
    "ODataObject",
    "Page",
    "PreconditionFailed",
    "PreconditionRequired",
    "Registry",
    "Removed",
    "RequestTimeout",
    "Response",
    "RetryPolicy",
    "ServerError",
    "ServiceConfig",
    "ServiceUnavailable",
    "Timeouts",
    "TooManyRequests",
    "Unauthorized",
    "concat",
    "mark_changed",
    "mark_clean",
    "maxdatetime",
    "mindatetime",
    "now",
    "replace",
]

# The one version of the distribution (pyproject.toml reads it; the generator and its lock files use it).
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .batch import Batch, BatchItem


def __getattr__(name: str) -> Any:
    """`Batch` and `BatchItem` on first use: batching needs asyncio, which a payload-only user never imports."""
    if name in ("Batch", "BatchItem"):
        from . import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'odatakit' has no attribute {name!r}")
