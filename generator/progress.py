"""What `generate` shows while it works: a progress bar on a terminal, nothing otherwise.

On a terminal (stderr is a TTY) a tqdm bar appears once the work has taken a second: its text
is the current stage, its count the modules rendered. Anywhere else (CI logs, pipes, files)
nothing is printed until the one summary line at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

__all__ = ["Progress", "ProgressLike"]


class ProgressLike(Protocol):
    """What the emitter reports to: stages, and counted steps of the longest stage."""

    def step(self, message: str) -> None:
        """A new stage."""

    def advance(self, done: int, total: int) -> None:
        """`done` of `total` steps of the current stage are finished."""


class Progress:
    """Stages and counts on a terminal bar (after a second), silence elsewhere."""

    def __init__(
        self,
        stream: TextIO,
        quiet: bool = False,
        clock: Callable[[], float] = time.perf_counter,
        terminal: bool | None = None,
        delay: float = 1.0,
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.clock = clock
        self.start = clock()
        self.terminal = stream.isatty() if terminal is None else terminal
        self.delay = delay
        self._bar: Any = None

    def _ensure_bar(self) -> Any:
        if self._bar is None:
            # Imported only on a terminal: a pipe or a CI log never pays for it.
            try:
                from tqdm import tqdm
            except ImportError:  # installed without the generator extra's tqdm: no bar, no failure
                self.terminal = False
                return None

            self._bar = tqdm(file=self.stream, delay=self.delay, leave=False, unit="module", dynamic_ncols=True,
                             bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}]")
        return self._bar

    @property
    def shown(self) -> bool:
        """Whether anything is drawn at all."""
        return self.terminal and not self.quiet

    def step(self, message: str) -> None:
        """A new stage: the bar's text on a terminal."""
        bar = self._ensure_bar() if self.shown else None
        if bar is not None:
            bar.set_description_str(message)

    def advance(self, done: int, total: int) -> None:
        """Counted progress of the current stage."""
        bar = self._ensure_bar() if self.shown else None
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    def close(self) -> None:
        """Remove the bar (before the summary line is printed)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @property
    def seconds(self) -> float:
        """Time since the start."""
        return self.clock() - self.start
