"""Test suites: only warnings and errors, on the console; no files."""

from __future__ import annotations

from oxlog.settings import *  # noqa: F403
from oxlog.settings import __all__ as _oxlog_all

__all__ = [*_oxlog_all, "OXLOG_CONSOLE", "OXLOG_FILES", "OXLOG_LEVEL"]

OXLOG_LEVEL = "WARNING"
OXLOG_CONSOLE = "console"
OXLOG_FILES = "none"
