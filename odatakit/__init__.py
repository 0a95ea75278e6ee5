"""odatakit: the runtime that generated OData clients import."""

from .builders import CollectionRequest, EntityRequest
from .client import Client, Response, ServiceConfig
from .errors import ODataError
from .expr import BoolExpr, Expr, concat, maxdatetime, mindatetime, now
from .serde import ComplexBase, Converter, EntityBase, FieldSpec, ODataEnum, ODataFlag, ODataObject, Registry

__all__ = [
    "BoolExpr",
    "Expr",
    "concat",
    "maxdatetime",
    "mindatetime",
    "now",
    "Client",
    "CollectionRequest",
    "ComplexBase",
    "Converter",
    "EntityBase",
    "EntityRequest",
    "FieldSpec",
    "ODataEnum",
    "ODataError",
    "ODataFlag",
    "ODataObject",
    "Registry",
    "Response",
    "ServiceConfig",
]

__version__ = "0.1.0"
