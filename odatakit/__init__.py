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
    "CollectionProperty",
    "CollectionRequest",
    "ComplexBase",
    "ComplexProperty",
    "Conflict",
    "Converter",
    "Delta",
    "Download",
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
    "Reference",
    "References",
    "Registry",
    "Removed",
    "RequestTimeout",
    "Response",
    "RetryPolicy",
    "ServerError",
    "ServiceConfig",
    "ServiceUnavailable",
    "StreamRequest",
    "Timeouts",
    "TooManyRequests",
    "Unauthorized",
    "Upload",
    "UploadSession",
    "ValueProperty",
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
    from .props import CollectionProperty, ComplexProperty, ValueProperty
    from .refs import Reference, References
    from .streams import Download, StreamRequest, Upload
    from .upload import UploadSession

# Imported on first use: batching needs asyncio and streaming aiohttp, which a payload-only user never imports.
_LAZY = {
    "Batch": "batch", "BatchItem": "batch",
    "CollectionProperty": "props", "ComplexProperty": "props", "ValueProperty": "props",
    "Reference": "refs", "References": "refs",
    "Download": "streams", "StreamRequest": "streams", "Upload": "streams",
    "UploadSession": "upload",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """The request shapes that need more imports (`Batch`, `StreamRequest`, `UploadSession`...) on first use."""
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(f".{module}", __name__), name)
    raise AttributeError(f"module 'odatakit' has no attribute {name!r}")
