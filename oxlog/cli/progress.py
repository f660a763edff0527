"""A progress bar on stderr, shown only on a terminal and only for slow reads."""

from __future__ import annotations

import sys
import time
from typing import TextIO

SHOW_AFTER_SECONDS = 2.0
REDRAW_SECONDS = 0.2
BAR_WIDTH = 30


class Progress:
    """Track bytes read out of a known total and draw a bar once reading is slow."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        """Start the clock; ``total`` is the byte count to read, when known."""
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.enabled = _is_terminal(self.stream)
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.visible = False

    def update(self, done: int) -> None:
        """Record that ``done`` bytes are read; redraw at most every 0.2 s."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < SHOW_AFTER_SECONDS or now - self.drawn_at < REDRAW_SECONDS:
            return
        self.drawn_at = now
        self.visible = True
        self.stream.write("\r" + self._text(done))
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar if it was drawn."""
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.visible = False

    def _text(self, done: int) -> str:
        """Return the bar's text for ``done`` bytes."""
        megabytes = f"{done / 1e6:,.0f} MB"
        if not self.total:
            return f"{self.label}: {megabytes} read"
        share = min(done / self.total, 1.0)
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"{self.label} [{bar}] {share:4.0%} {megabytes} of {self.total / 1e6:,.0f} MB"


def _is_terminal(stream: TextIO) -> bool:
    """Tell whether ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
