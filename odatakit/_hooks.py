"""The cattrs converter behind `Converter.cattrs`: imported on first use, as cattrs is slow to import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cattrs

__all__ = ["Hooks"]


class Hooks(cattrs.Converter):
    """A cattrs converter that notes when users register structure hooks of their own."""

    #: Set by the first user hook: from then on the emitted fast path is bypassed, so user
    #: hooks apply to nested values as well.
    customised = False

    def __init__(self, is_model: Callable[[Any], bool]) -> None:
        # Told rather than imported: `odatakit.serde`, which makes this converter, knows its classes.
        super().__init__()
        self._is_model = is_model

    def register_structure_hook(self, cl: Any, func: Any = None) -> Any:
        self.customised = True
        if self._is_model(cl):
            # cattrs would resolve the class's annotations, which name the query-expression
            # types imported for type checkers only; a predicate hook needs no annotations.
            def register(hook: Any) -> Any:
                self.register_structure_hook_func(lambda t: t is cl, hook)
                return hook

            if func is None:
                return register
            register(func)
            return None
        if func is None:
            return super().register_structure_hook(cl)
        return super().register_structure_hook(cl, func)

    def register_structure_hook_func(self, *args: Any, **kwargs: Any) -> Any:
        self.customised = True
        return super().register_structure_hook_func(*args, **kwargs)

    def register_structure_hook_factory(self, *args: Any, **kwargs: Any) -> Any:
        self.customised = True
        return super().register_structure_hook_factory(*args, **kwargs)
