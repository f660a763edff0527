"""oxlog's own problems, said once each on the process's standard error.

Logging must never break the application, and must never fail silently either: a
file that cannot be written, a record that cannot be rendered, a receiver that
failed. Each is one bounded line on file descriptor 2 (raw: ``sys.stderr`` may be
replaced or captured), said once per kind of problem until :func:`forget` lets it be
said again (a reconfiguration, a recovery).
"""

from __future__ import annotations

import os

_reported: set[str] = set()


def report(key: str, text: str) -> None:
    """Write one bounded line about oxlog itself to stderr, once per *key*."""
    if key in _reported:
        return
    _reported.add(key)
    line = ("oxlog: " + text)[:500].replace("\n", " ") + "\n"
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass


def forget(key: str) -> None:
    """Let the problem *key* be reported again."""
    _reported.discard(key)


def forget_reports() -> None:
    """Let every problem be reported again (tests; after a reconfiguration)."""
    _reported.clear()
