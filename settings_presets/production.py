"""Production: ``json.log`` and ``flat_line.log`` at INFO, nothing on the console."""

from __future__ import annotations

from oxlog.settings import *  # noqa: F403
from oxlog.settings import __all__ as _oxlog_all

__all__ = [*_oxlog_all, "OXLOG_CONSOLE", "OXLOG_FILES", "OXLOG_LEVEL"]

OXLOG_LEVEL = "INFO"
OXLOG_CONSOLE = "off"
OXLOG_FILES = ["json", "logfmt"]
