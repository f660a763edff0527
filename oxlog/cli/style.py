"""Colour on a terminal only, honouring NO_COLOR and FORCE_COLOR."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
STATE_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "retrying": "yellow",
    "revoked": "magenta",
    "rejected": "magenta",
    "unknown": "magenta",
    "enqueued": "cyan",
    "received": "blue",
    "started": "blue",
}
LEVEL_STYLES = {"debug": "dim", "warning": "yellow", "error": "red", "critical": "red"}


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Decide on colour: NO_COLOR wins, then FORCE_COLOR, then whether ``stream`` is a tty."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Style:
    """Wrap text in ANSI codes when colour is on, return it unchanged otherwise."""

    def __init__(self, enabled: bool) -> None:
        """Turn colour on or off."""
        self.enabled = enabled

    def __call__(self, text: str, *names: str) -> str:
        """Return ``text`` styled with the given names (``bold``, ``red`` ...)."""
        codes = [CODES[name] for name in names if name in CODES]
        if not self.enabled or not codes:
            return text
        return f"\033[{';'.join(codes)}m{text}\033[0m"

    def state(self, state: str) -> str:
        """Return a state name in its colour."""
        return self(state, STATE_STYLES.get(state, "bold"))

    def level(self, level: str) -> str:
        """Return a level name in its colour, padded to line up."""
        return self(f"{level:<8}", LEVEL_STYLES.get(level, ""))
