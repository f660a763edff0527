"""The ``LOGGING`` dict: oxlog's own, built from the settings, and merged into a project's.

Pure functions from dicts to dicts, with no effect on logging until
``oxlog._configure`` hands their result to ``dictConfig``. oxlog joins a project: a
``LOGGING`` the project wrote itself is merged with oxlog's (:func:`merge_logging`),
and one derived from oxlog's (imported from ``oxlog.settings`` and edited) is rebuilt
from the final settings with the edits replayed (:func:`apply_user_changes`).
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Mapping
from typing import Any

from oxlog._options import Settings

CONSOLE_FORMATTERS = {"console": "plain_console", "json": "json_formatter", "logfmt": "key_value"}

#: Loggers that Django or Celery give handlers of their own, or that must not
#: stop propagation: listed so that dictConfig empties them and every record
#: reaches the root handlers exactly once.
PROPAGATING_LOGGERS = (
    "django",
    "django.server",
    "gunicorn.error",
    "gunicorn.access",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "django.request",
    "django.security",
    "django.db.backends",
    "celery",
    "celery.task",
    "celery.redirected",
    "py.warnings",
)


#: Django's own ``mail_admins`` (``django.utils.log.DEFAULT_LOGGING``), kept on the
#: ``django`` logger: Django installs it before ``LOGGING`` and a project without oxlog
#: mails ``ADMINS`` for every ``django.request`` / ``django.security`` error through it.
DJANGO_MAIL_ADMINS = {"level": "ERROR", "filters": ["require_debug_false"],
                      "class": "django.utils.log.AdminEmailHandler"}
#: The loggers of the servers oxlog joins: their access and error lines go through
#: oxlog's outputs with the request's fields (``oxlog.filters.AccessLineFields``).
SERVER_LOGGERS = ("django.server", "gunicorn.access", "uvicorn.access", "uvicorn.error")


def build_logging_config(settings: Settings, *, django: bool = False) -> dict[str, Any]:
    """The ``dictConfig`` dict for *settings*: formatters, handlers, loggers, root.

    With *django*, Django's default ``mail_admins`` handler stays on the ``django``
    logger, as it is in a project without oxlog.
    """
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
    filters: dict[str, Any] = {"oxlog_celery_duplicates": {"()": "oxlog.celery.filters.DropCeleryDuplicates"},
                               "oxlog_task_context": {"()": "oxlog.celery.filters.AddTaskContext"},
                               "oxlog_access_fields": {"()": "oxlog.filters.AccessLineFields"}}
    loggers = _loggers(settings)
    if django:
        filters["require_debug_false"] = {"()": "django.utils.log.RequireDebugFalse"}
        handlers["mail_admins"] = dict(DJANGO_MAIL_ADMINS)
        loggers["django"]["handlers"] = ["mail_admins"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json_formatter": {"()": "oxlog.formatters.JSONFormatter",
                               "schema": settings.json_schema,
                               "message_key": settings.message_key,
                               **_schema_options(settings)},
            "key_value": {"()": "oxlog.formatters.LogfmtFormatter"},
            "plain_console": {"()": "oxlog.formatters.ConsoleFormatter",
                              "message_key": settings.message_key},
        },
        "filters": filters,
        "handlers": handlers,
        "loggers": loggers,
        "root": {"level": settings.level,
                 "handlers": [h for h in handlers if h != "mail_admins"]},
    }


def _schema_options(settings: Settings) -> dict[str, Any]:
    """What the ``gcp`` and ``datadog`` schemas need besides the event (only theirs)."""
    if settings.json_schema == "gcp":
        return {"gcp_project": settings.gcp_project}
    if settings.json_schema == "datadog":
        # dd.service / dd.env: oxlog's settings, else what the Datadog agent and tracer read.
        return {"service": settings.service or os.environ.get("DD_SERVICE") or None,
                "env": settings.env or os.environ.get("DD_ENV") or None,
                "version": settings.version}
    return {}


def _loggers(settings: Settings) -> dict[str, Any]:
    loggers: dict[str, Any] = {name: {"handlers": [], "propagate": True}
                               for name in PROPAGATING_LOGGERS}
    for name in SERVER_LOGGERS:
        loggers.setdefault(name, {"handlers": [], "propagate": True})["filters"] = ["oxlog_access_fields"]
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


@functools.cache
def baseline() -> dict[str, Any]:
    """``LOGGING`` as ``oxlog.settings`` exports it, built once per process (from the
    environment and the defaults): what a ``settings.py``'s edits are told apart from."""
    return build_logging_config(Settings.load(django=False), django=True)


def merge_logging(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """An application's own ``LOGGING`` (*theirs*) with oxlog's (*ours*) added to it.

    Everything the application wrote is kept as written: its formatters, filters,
    handlers, logger levels, ``propagate`` and ``disable_existing_loggers``. oxlog
    adds its formatters, filters and handlers (renamed ``oxlog_NAME`` where the
    application uses the name for something else), puts its handlers on the root
    logger next to the application's, and on every logger that does not propagate,
    so every record reaches oxlog's outputs exactly once. When the application's
    root already writes to the console, oxlog's console handler is left out: one
    line per record on the terminal, in the application's format.
    """
    out: dict[str, Any] = copy.deepcopy(dict(theirs))
    out.setdefault("version", 1)
    renamed: dict[tuple[str, str], str] = {}
    for section in ("formatters", "filters", "handlers"):
        merged = dict(out.get(section) or {})
        for name, spec in ours.get(section, {}).items():
            new = name
            while new in merged and merged[new] != spec:
                new = "oxlog_" + new
            renamed[(section, name)] = new
            merged[new] = copy.deepcopy(spec)
        out[section] = merged
    for name in ours.get("handlers", {}):
        spec = out["handlers"][renamed[("handlers", name)]]
        if "formatter" in spec:
            spec["formatter"] = renamed[("formatters", spec["formatter"])]
        spec["filters"] = [renamed[("filters", f)] for f in spec.get("filters", [])]
    root = dict(out.get("root") or {})
    root_handlers = list(root.get("handlers") or [])
    console_taken = any(_is_console(out["handlers"].get(h)) for h in root_handlers)
    ours_on_root = [renamed[("handlers", h)] for h in ours["root"]["handlers"]
                    if not (h == "console" and console_taken)]
    root["handlers"] = root_handlers + [h for h in ours_on_root if h not in root_handlers]
    root.setdefault("level", ours["root"]["level"])
    out["root"] = root
    loggers: dict[str, Any] = {}
    for name, spec in ours.get("loggers", {}).items():
        spec = copy.deepcopy(spec)
        spec["handlers"] = [renamed[("handlers", h)] for h in spec.get("handlers", [])]
        if "filters" in spec:
            spec["filters"] = [renamed[("filters", f)] for f in spec["filters"]]
        loggers[name] = spec
    for name, spec in (theirs.get("loggers") or {}).items():
        spec = copy.deepcopy(dict(spec))
        if not spec.get("propagate", True):
            handlers = list(spec.get("handlers") or [])
            spec["handlers"] = handlers + [h for h in ours_on_root if h not in handlers]
        loggers[name] = spec
    out["loggers"] = loggers
    return out


#: Handler classes that write to the terminal when no stream or file is given.
_CONSOLE_CLASSES = ("logging.StreamHandler", "colorlog.StreamHandler", "rich.logging.RichHandler")


def _is_console(spec: Any) -> bool:
    if not isinstance(spec, Mapping):
        return False
    cls = spec.get("class") or spec.get("()")
    stream = spec.get("stream", "ext://sys.stderr")
    return cls in _CONSOLE_CLASSES and stream in ("ext://sys.stderr", "ext://sys.stdout")


def with_context_filters(config: Mapping[str, Any]) -> dict[str, Any]:
    """*config* with oxlog's context filter first on every handler that is not oxlog's.

    The filter (:class:`oxlog.filters.AddWorkflowContext`) gives the application's own
    formatters the workflow context as record attributes (``%(correlation_id)s``,
    python-json-logger's fields); oxlog's handlers have it already.
    """
    out = dict(config)
    handlers = {name: dict(spec) if isinstance(spec, Mapping) else spec
                for name, spec in (out.get("handlers") or {}).items()}
    if not handlers:
        return out
    filters = dict(out.get("filters") or {})
    filters.setdefault("oxlog_workflow_context", {"()": "oxlog.filters.AddWorkflowContext"})
    out["filters"] = filters
    for spec in handlers.values():
        if not isinstance(spec, dict) or str(spec.get("()", "")).startswith("oxlog.handlers."):
            continue
        existing = list(spec.get("filters") or [])
        if "oxlog_workflow_context" not in existing:
            spec["filters"] = ["oxlog_workflow_context", *existing]
    out["handlers"] = handlers
    return out


def derived_from_oxlog(config: Mapping[str, Any]) -> bool:
    formatter = config.get("formatters", {}).get("json_formatter", {})
    return isinstance(formatter, Mapping) and formatter.get("()") == "oxlog.formatters.JSONFormatter"
