"""oxlog's own problems, said once each on the process's standard error.

Logging must never break the application, and must never fail silently either: a
file that cannot be written, a record that cannot be rendered, a receiver that
failed. Each is one bounded line on file descriptor 2 (raw: ``sys.stderr`` may be
replaced or captured), said once per kind of problem until :func:`forget` lets it be
said again (a reconfiguration, a recovery).

A report is never written into a log file: a process started with fd 2 closed may
have a log file at that number. ``oxlog.handlers``, which knows the files, installs
the check (:func:`guard_stderr`); when fd 2 is a log file the report is only counted
(:func:`suppressed_reports`): there is no other place that is surely not a log file
(``/dev/tty`` is the operator's terminal, or nothing).
"""

from __future__ import annotations

import os
from collections.abc import Callable

_reported: set[str] = set()
#: Reports not written because fd 2 is one of the log files.
_suppressed = 0


def _never() -> bool:
    return False


_stderr_is_a_log_file: Callable[[], bool] = _never


def guard_stderr(check: Callable[[], bool]) -> None:
    """Ask *check* before each report whether fd 2 is a log file (or closed)."""
    global _stderr_is_a_log_file
    _stderr_is_a_log_file = check


def report(key: str, text: str) -> None:
    """Write one bounded line about oxlog itself to stderr, once per *key*."""
    global _suppressed
    if key in _reported:
        return
    _reported.add(key)
    line = ("oxlog: " + text)[:500].replace("\n", " ") + "\n"
    try:
        suppress = _stderr_is_a_log_file()
    except Exception:  # cannot tell (a handler list changing under us): write it
        suppress = False
    if suppress:
        _suppressed += 1
        return
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass


def suppressed_reports() -> int:
    """How many reports were not written because fd 2 is a log file (or closed)."""
    return _suppressed


def forget(key: str) -> None:
    """Let the problem *key* be reported again."""
    _reported.discard(key)


def forget_reports() -> None:
    """Let every problem be reported again (tests; after a reconfiguration)."""
    _reported.clear()
