"""oxlog: one-line structured logging for Django + Celery.

``from oxlog.settings import *`` in a Django settings module, or
:func:`oxlog.configure` anywhere else.

The public names are imported on first use (PEP 562), so ``python -m oxlog trace``
does not pay for structlog, Django and Celery imports it does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ConfigurationError": "oxlog.conf",
    "Settings": "oxlog.conf",
    "build_logging_config": "oxlog.configuration",
    "configure": "oxlog.configuration",
    "configure_logging": "oxlog.configuration",
    "current_settings": "oxlog.configuration",
    "is_configured": "oxlog.configuration",
    "bind": "oxlog.context",
    "bound": "oxlog.context",
    "current_correlation_id": "oxlog.context",
    "get_context": "oxlog.context",
    "reset": "oxlog.context",
    "new_correlation_id": "oxlog.correlation",
    "ConsoleFormatter": "oxlog.formatters",
    "JSONFormatter": "oxlog.formatters",
    "LogfmtFormatter": "oxlog.formatters",
    "ConsoleHandler": "oxlog.handlers",
    "FileHandler": "oxlog.handlers",
    "Redactor": "oxlog.processors",
    "event_from_record": "oxlog.processors",
    "format_timestamp": "oxlog.processors",
    "ConsoleRenderer": "oxlog.renderers",
    "ECSRenderer": "oxlog.renderers",
    "JSONRenderer": "oxlog.renderers",
    "LogfmtRenderer": "oxlog.renderers",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oxlog' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
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
