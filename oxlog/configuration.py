"""Apply oxlog: the ``LOGGING`` dict, structlog's configuration, and the Django hook.

Django projects get this through ``LOGGING_CONFIG = "oxlog.configure_logging"``
(exported by ``oxlog.settings``): Django calls it once, in every process that runs
``django.setup()`` — web, worker and beat alike — after ``settings.py`` has fully
run, so ``OXLOG_*`` values set after the star import count. Other programs call
:func:`configure`.
"""

from __future__ import annotations

import copy
import logging
import logging.config
import os
from collections.abc import Mapping
from typing import Any

import structlog

from oxlog import processors, records
from oxlog.conf import Settings
from oxlog.handlers import forget_reports
from oxlog.logger import BoundLogger, LoggerFactory, install_proxy_fast_path

CONSOLE_FORMATTERS = {"console": "plain_console", "json": "json_formatter", "logfmt": "key_value"}

#: Loggers that Django or Celery give handlers of their own, or that must not
#: stop propagation: listed so that dictConfig empties them and every record
#: reaches the root handlers exactly once.
PROPAGATING_LOGGERS = (
    "django",
    "django.server",
    "django.request",
    "django.security",
    "django.db.backends",
    "celery",
    "celery.task",
    "celery.redirected",
    "py.warnings",
)


class _State:
    settings: Settings | None = None
    pid: int | None = None


_state = _State()


def build_logging_config(settings: Settings) -> dict[str, Any]:
    """The ``dictConfig`` dict for *settings*: formatters, handlers, loggers, root."""
    handlers: dict[str, Any] = {}
    if settings.console != "off":
        handlers["console"] = {
            "()": "oxlog.handlers.ConsoleHandler",
            "stream": settings.console_stream,
            "formatter": CONSOLE_FORMATTERS[settings.console],
        }
    files = {"json": ("json_file", "json.log", "json_formatter"),
             "logfmt": ("flat_line_file", "flat_line.log", "key_value")}
    for fmt in settings.files:
        name, filename, formatter = files[fmt]
        handlers[name] = {"()": "oxlog.handlers.FileHandler",
                          "filename": str(settings.dir / filename), "formatter": formatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json_formatter": {"()": "oxlog.formatters.JSONFormatter",
                               "schema": settings.json_schema,
                               "message_key": settings.message_key},
            "key_value": {"()": "oxlog.formatters.LogfmtFormatter"},
            "plain_console": {"()": "oxlog.formatters.ConsoleFormatter",
                              "message_key": settings.message_key},
        },
        "filters": {"oxlog_celery_duplicates": {"()": "oxlog.filters.DropCeleryDuplicates"},
                    "oxlog_task_context": {"()": "oxlog.filters.AddTaskContext"}},
        "handlers": handlers,
        "loggers": _loggers(settings),
        "root": {"level": settings.level, "handlers": list(handlers)},
    }


def _loggers(settings: Settings) -> dict[str, Any]:
    loggers: dict[str, Any] = {name: {"handlers": [], "propagate": True}
                               for name in PROPAGATING_LOGGERS}
    loggers["django_guid"] = {"level": "WARNING"}  # one INFO line per request otherwise
    if not settings.celery_plain_lines:
        # Every INFO line of celery.app.trace repeats one of oxlog's events ("succeeded
        # in", "retry:", "raised expected", "ignored"): at WARNING Celery does not even
        # build them (it checks isEnabledFor(INFO) once per task type), which saves the
        # repr of every return value. The filter drops "raised unexpected" (ERROR).
        loggers["celery.app.trace"] = {"level": "WARNING", "filters": ["oxlog_celery_duplicates"]}
        # The strategy logs nothing at INFO but "Task X received": at WARNING Celery does
        # not even build that line (it checks isEnabledFor(INFO) once).
        loggers["celery.worker.strategy"] = {"level": "WARNING"}
    loggers["celery.worker.request"] = {"filters": ["oxlog_task_context"] + (
        [] if settings.celery_plain_lines else ["oxlog_celery_duplicates"])}
    for name, level in settings.levels.items():
        loggers.setdefault(name, {})["level"] = level
    return loggers


def apply_user_changes(fresh: Mapping[str, Any], baseline: Mapping[str, Any],
                       user: Mapping[str, Any]) -> dict[str, Any]:
    """*fresh* with every change the user made to *baseline* (giving *user*) applied.

    ``settings.py`` may edit the ``LOGGING`` it imported (add a logger, drop a
    handler); oxlog rebuilds ``LOGGING`` from the final ``OXLOG_*`` settings and
    replays those edits on top, key by key.
    """
    out = copy.deepcopy(dict(fresh))
    for key, value in user.items():
        base = baseline.get(key, _ABSENT)
        if base is _ABSENT:
            out[key] = copy.deepcopy(value)
        elif value != base:
            if isinstance(value, Mapping) and isinstance(base, Mapping) \
                    and isinstance(out.get(key), Mapping):
                out[key] = apply_user_changes(out[key], base, value)
            else:
                out[key] = copy.deepcopy(value)
    for key in baseline:
        if key not in user:
            out.pop(key, None)
    return out


_ABSENT = object()


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


def configure_logging(logging_settings: Mapping[str, Any] | None) -> None:
    """Django's ``LOGGING_CONFIG`` hook: apply ``settings.LOGGING`` with oxlog's settings."""
    settings = Settings.load()
    settings.check_dir()
    config = dict(logging_settings or {})
    from oxlog import settings as exported

    if _derived_from_oxlog(config):
        config = apply_user_changes(build_logging_config(settings), exported.BASELINE, config)
    apply(settings, config)


def _derived_from_oxlog(config: Mapping[str, Any]) -> bool:
    formatter = config.get("formatters", {}).get("json_formatter", {})
    return isinstance(formatter, Mapping) and formatter.get("()") == "oxlog.formatters.JSONFormatter"


def apply(settings: Settings, config: Mapping[str, Any]) -> None:
    """Install the processor chain, run ``dictConfig`` and configure structlog."""
    records.install()
    chain = processors.build_chain(
        static_fields={"service": settings.service, "env": settings.env},
        redactor=processors.Redactor(settings.redact_keys) if settings.redact else None,
        max_value_length=settings.max_value_length,
        message_key=settings.message_key,
    )
    shared = processors.install_chain(chain, settings.message_key)
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
    forget_reports()
    _state.settings, _state.pid = settings, os.getpid()


def current_settings() -> Settings:
    """The settings oxlog was configured with, or freshly loaded ones."""
    return _state.settings or Settings.load()


def is_configured() -> bool:
    """Whether oxlog configured logging in this process (or the one it forked from)."""
    return _state.settings is not None


def root_has_oxlog_handlers() -> bool:
    """Whether the root logger has at least one of oxlog's handlers."""
    from oxlog.handlers import OxlogHandler

    return any(isinstance(h, OxlogHandler) for h in logging.getLogger().handlers)
