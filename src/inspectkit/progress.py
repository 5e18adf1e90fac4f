"""Progress on long runs, on a terminal only: a line on standard error, redrawn a few times a second.

Nothing is written when standard error is not a terminal (a pipe, a file, CI), so logs and captured output
stay clean, and the counting costs next to nothing either way.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    """Call with the number of cases done so far; ``close()`` when the run ends."""

    INTERVAL = 0.25  # seconds between redraws

    def __init__(self, what: str, stream: TextIO | None = None, enabled: bool | None = None, unit: str = "cases"):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.what = what
        self.unit = unit
        self.start = time.monotonic()
        self._next = self.start + self.INTERVAL
        self._drawn = False
        self.done = 0

    def __call__(self, done: int) -> None:
        self.done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.INTERVAL
        rate = done / max(now - self.start, 1e-9)
        self.stream.write(f"\r{self.what}: {done:,} {self.unit} ({rate:,.0f}/s)\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clear the line, so what follows (the report, errors) starts clean."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
