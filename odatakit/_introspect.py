"""What `help()`, `inspect.signature` and editors see of a generated class at run time.

Generated classes declare their fields for type checkers only (`if TYPE_CHECKING:`), which costs
nothing at import; the signature and the field list are made from the registry's field table when
first asked for, and a field's description from the attribute docstring in the class's source.
Imported on first use: `inspect` and `ast` are not needed to read a response.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from . import edm
from .fields import FieldSpec

__all__ = ["class_doc", "signature"]

_PY: dict[str, Any] = {
    "bytes": bytes, "bool": bool, "int": int, "float": float, "Decimal": Decimal, "str": str,
    "datetime": datetime, "date": date, "time": time, "timedelta": timedelta, "UUID": UUID,
}


def _value_type(spec: FieldSpec, resolve: Callable[[str], type]) -> Any:
    """The Python type of the field's value, as the constructor takes it (`str | None`, `list[Attendee] | None`)."""
    if spec.type.startswith("Edm."):
        item: Any = _PY.get(edm.PY_TYPES.get(spec.type, "Any"), Any)
    else:
        try:
            item = resolve(spec.type)
        except KeyError:
            item = Any
    if item is Any:
        return list[Any] | None if spec.collection else Any
    return (list[item] if spec.collection else item) | None


def signature(fields: tuple[FieldSpec, ...], resolve: Callable[[str], type]) -> inspect.Signature:
    """The constructor's signature: one keyword-only parameter per field, None by default."""
    params = [
        inspect.Parameter(f.py_name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_value_type(f, resolve))
        for f in fields
    ]
    params.append(
        inspect.Parameter("additional_data", inspect.Parameter.KEYWORD_ONLY, default={}, annotation=dict[str, Any])
    )
    return inspect.Signature(params)


def class_doc(cls: type, own: str | None, fields: tuple[FieldSpec, ...], resolve: Callable[[str], type]) -> str:
    """The class's docstring followed by its fields: name, type, wire name, Edm type and description."""
    described: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        described.update(_attribute_docs(klass))
    lines = [inspect.cleandoc(own or ""), "", "Fields (keyword arguments of the constructor, None when absent):", ""]
    for f in fields:
        kind = f"{'Collection(' + f.type + ')' if f.collection else f.type}{', navigation' if f.navigation else ''}"
        lines.append(f"{f.py_name}: {inspect.formatannotation(_value_type(f, resolve))}  ({f.wire}, {kind})")
        text = described.get(f.py_name)
        if text:
            lines += textwrap.wrap(" ".join(text.split()), 84, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines).strip("\n")


_DOCS: dict[str, dict[str, dict[str, str]]] = {}


def _attribute_docs(cls: type) -> dict[str, str]:
    """The docstrings under the field declarations of `cls` (in its `if TYPE_CHECKING:` block), by field name."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return {}
    by_class = _DOCS.get(path)
    if by_class is None:
        by_class = _DOCS[path] = _read_docs(path)
    return by_class.get(cls.__qualname__, {})


def _read_docs(path: str) -> dict[str, dict[str, str]]:
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs: dict[str, str] = {}
        for block in node.body:
            if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING":
                body = block.body
                for stmt, after in zip(body, body[1:], strict=False):
                    if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                            and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                            and isinstance(after.value.value, str)):
                        docs[stmt.target.id] = after.value.value
        out[node.name] = docs
    return out
