"""Containers: one JSON object per line on stdout, no files (the runtime collects stdout)."""

from __future__ import annotations

from oxlog.settings import *  # noqa: F403
from oxlog.settings import __all__ as _oxlog_all

__all__ = [*_oxlog_all, "OXLOG_CONSOLE", "OXLOG_CONSOLE_STREAM", "OXLOG_FILES", "OXLOG_LEVEL"]

OXLOG_LEVEL = "INFO"
OXLOG_CONSOLE = "json"
OXLOG_CONSOLE_STREAM = "stdout"
OXLOG_FILES = "none"
