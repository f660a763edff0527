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
    "ConfigurationError": "oxlog._options",
    "Settings": "oxlog._options",
    "build_logging_config": "oxlog._logging_dict",
    "configure": "oxlog._configure",
    "configure_logging": "oxlog._django_logging",
    "current_settings": "oxlog._options",
    "is_configured": "oxlog._options",
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
    from oxlog._configure import configure
    from oxlog._django_logging import configure_logging
    from oxlog._logging_dict import build_logging_config
    from oxlog._options import ConfigurationError, Settings, current_settings, is_configured
    from oxlog.context import bind, bound, current_correlation_id, get_context, reset
    from oxlog.correlation import new_correlation_id
    from oxlog.formatters import ConsoleFormatter, JSONFormatter, LogfmtFormatter
    from oxlog.handlers import ConsoleHandler, FileHandler
    from oxlog.processors import Redactor
    from oxlog.renderers import ConsoleRenderer, ECSRenderer, JSONRenderer, LogfmtRenderer
