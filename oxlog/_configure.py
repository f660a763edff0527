"""Apply a configuration: the processor chain, ``dictConfig`` and structlog, in one step.

:func:`configure` is oxlog for programs without Django settings;
:func:`oxlog._django_logging.configure_logging` (Django's ``LOGGING_CONFIG`` hook) ends
in :func:`apply` too. Nothing here knows Django or Celery.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Mapping
from typing import Any

import structlog

from oxlog import _event, _options, _records, _sentry
from oxlog._logger import BoundLogger, LoggerFactory, install_proxy_fast_path
from oxlog._logging_dict import build_logging_config
from oxlog._options import Settings
from oxlog._report import forget_reports


def configure(**overrides: Any) -> Settings:
    """Configure logging and structlog for a program without Django settings.

    Keyword arguments are setting names without the prefix (``level="DEBUG"``,
    ``dir="/var/log/app"``, ``files=["json"]``); anything not given comes from the
    environment and the defaults. Returns the settings in force.
    """
    settings = Settings.load(overrides, django=False)
    settings.check_dir()
    apply(settings, build_logging_config(settings))
    return settings


def apply(settings: Settings, config: Mapping[str, Any]) -> None:
    """Install the processor chain, run ``dictConfig`` and configure structlog."""
    _records.install()
    chain = _event.build_chain(
        static_fields={"service": settings.service, "env": settings.env},
        redact_keys=settings.redact_keys if settings.redact else None,
        max_value_length=settings.max_value_length,
        message_key=settings.message_key,
    )
    shared = _event.install_chain(chain, settings.message_key)
    logging.config.dictConfig(dict(config))
    logging.captureWarnings(True)
    structlog.configure(
        processors=shared,
        wrapper_class=BoundLogger,
        logger_factory=LoggerFactory(),
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    install_proxy_fast_path()
    _sentry.install()
    forget_reports()
    _options.set_current(settings)
