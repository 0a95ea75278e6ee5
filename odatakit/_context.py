"""Context shared by the client and batches without importing each other."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

#: Set by `Batch.add` for the task running an added coroutine: its first request joins the batch.
BATCH_SLOT: ContextVar[Any] = ContextVar("odatakit_batch_slot", default=None)
