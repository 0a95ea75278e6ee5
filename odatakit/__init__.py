"""odatakit: the runtime that generated OData clients import."""

from .builders import CollectionRequest, EntityRequest
from .client import Client, Response, ServiceConfig
from .errors import ODataError
from .expr import Field
from .serde import ComplexBase, Converter, EntityBase, FieldSpec, ODataEnum, ODataFlag, ODataObject, Registry

__all__ = [
    "Client",
    "CollectionRequest",
    "ComplexBase",
    "Converter",
    "EntityBase",
    "EntityRequest",
    "Field",
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
