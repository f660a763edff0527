"""oxlog: one-line structured logging for Django + Celery.

``from oxlog.settings import *`` in a Django settings module, or
:func:`oxlog.configure` anywhere else.
"""

from __future__ import annotations

from oxlog.conf import ConfigurationError, Settings
from oxlog.configuration import (
    build_logging_config,
    configure,
    configure_logging,
    current_settings,
    is_configured,
)
from oxlog.context import bind, bound, current_correlation_id, get_context, reset
from oxlog.correlation import new_correlation_id
from oxlog.formatters import ConsoleFormatter, JSONFormatter, LogfmtFormatter
from oxlog.handlers import ConsoleHandler, FileHandler
from oxlog.processors import Redactor, event_from_record, format_timestamp
from oxlog.renderers import ConsoleRenderer, ECSRenderer, JSONRenderer, LogfmtRenderer

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "ConsoleFormatter",
    "ConsoleHandler",
    "ConsoleRenderer",
    "ECSRenderer",
    "FileHandler",
    "JSONFormatter",
    "JSONRenderer",
    "LogfmtFormatter",
    "LogfmtRenderer",
    "Redactor",
    "Settings",
    "__version__",
    "bind",
    "bound",
    "build_logging_config",
    "configure",
    "configure_logging",
    "current_correlation_id",
    "current_settings",
    "event_from_record",
    "format_timestamp",
    "get_context",
    "is_configured",
    "new_correlation_id",
    "reset",
]
