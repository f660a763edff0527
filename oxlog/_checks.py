"""Django system checks (``python manage.py check``), one stable id per mistake.

* ``oxlog.E001`` an ``OXLOG_*`` setting has a bad value (normally ``django.setup()``
  already stopped with the same message);
* ``oxlog.E002`` the log directory cannot be written;
* ``oxlog.E003`` an app of ``OXLOG_APPS`` is missing from ``INSTALLED_APPS``;
* ``oxlog.E004`` a middleware of ``OXLOG_MIDDLEWARE`` is missing from ``MIDDLEWARE``;
* ``oxlog.E005`` those middleware are in the wrong order;
* ``oxlog.W001`` the root logger has none of oxlog's handlers (a ``LOGGING`` override);
* ``oxlog.W002`` ``LOGGING_CONFIG`` is not ``oxlog.configure_logging``;
* ``oxlog.W003`` django-structlog's Celery receivers are on next to oxlog's;
* ``oxlog.W004`` django-guid's ``CeleryIntegration`` is on next to oxlog's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from oxlog._options import ConfigurationError, Settings
from oxlog.handlers import root_has_oxlog_handlers
from oxlog.settings import OXLOG_APPS as APPS
from oxlog.settings import OXLOG_MIDDLEWARE as MIDDLEWARE_ORDER

_FIX_MIDDLEWARE = "start MIDDLEWARE with *OXLOG_MIDDLEWARE (from oxlog.settings)"


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Bad ``OXLOG_*`` values and an unwritable log directory."""
    try:
        loaded = Settings.load()
    except ConfigurationError as exc:
        return [Error(str(exc), id="oxlog.E001")]
    try:
        loaded.check_dir()
    except ConfigurationError as exc:
        return [Error(str(exc), id="oxlog.E002")]
    return []


@register(Tags.compatibility)
def check_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every app of ``OXLOG_APPS`` installed."""
    installed = [a.split(".apps.")[0] for a in settings.INSTALLED_APPS]
    return [
        Error(f"{app!r} is not in INSTALLED_APPS.",
              hint="Start INSTALLED_APPS with *OXLOG_APPS (from oxlog.settings).", id="oxlog.E003")
        for app in APPS if app not in installed
    ]


@register(Tags.compatibility)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The middleware of ``OXLOG_MIDDLEWARE`` present, and in order."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    missing = [m for m in MIDDLEWARE_ORDER if m not in middleware]
    if missing:
        return [Error(f"{m!r} is not in MIDDLEWARE.", hint=_FIX_MIDDLEWARE, id="oxlog.E004")
                for m in missing]
    positions = [middleware.index(m) for m in MIDDLEWARE_ORDER]
    if positions != sorted(positions):
        return [Error("The correlation-ID middleware are out of order: "
                      + " before ".join(MIDDLEWARE_ORDER) + " is needed.",
                      hint=_FIX_MIDDLEWARE, id="oxlog.E005")]
    return []


@register(Tags.compatibility)
def check_logging(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """oxlog's hook configured logging, and the root logger kept oxlog's handlers."""
    messages: list[CheckMessage] = []
    if getattr(settings, "LOGGING_CONFIG", None) != "oxlog.configure_logging":
        messages.append(Warning(
            "LOGGING_CONFIG is not 'oxlog.configure_logging': structlog is not configured by "
            "oxlog, so structlog calls and plain logging calls may not share fields.",
            hint="Keep LOGGING_CONFIG from oxlog.settings.", id="oxlog.W002"))
    if not root_has_oxlog_handlers():
        messages.append(Warning(
            "The root logger has none of oxlog's handlers: records of Django, Celery and other "
            "libraries will not reach json.log, flat_line.log or the console.",
            hint="Edit the LOGGING imported from oxlog.settings instead of replacing it, or keep "
                 "'root': {'handlers': [...]} with oxlog's handlers.", id="oxlog.W001"))
    return messages


@register(Tags.compatibility)
def check_integrations(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """No second Celery integration writing contradicting task lines."""
    messages: list[CheckMessage] = []
    if getattr(settings, "DJANGO_STRUCTLOG_CELERY_ENABLED", False):
        messages.append(Warning(
            "DJANGO_STRUCTLOG_CELERY_ENABLED is True: django-structlog's task events duplicate "
            "oxlog's (task_enqueued twice in workers) and its parent_task_id is wrong after a "
            "retry.", hint="Set DJANGO_STRUCTLOG_CELERY_ENABLED = False.", id="oxlog.W003"))
    integrations = (getattr(settings, "DJANGO_GUID", None) or {}).get("INTEGRATIONS", [])
    if any(type(i).__name__ == "CeleryIntegration" for i in integrations):
        messages.append(Warning(
            "django-guid's CeleryIntegration is on: it replaces, then clears, the request's "
            "correlation ID around eager tasks and sets synthetic parent IDs.",
            hint="Remove CeleryIntegration from DJANGO_GUID['INTEGRATIONS'].", id="oxlog.W004"))
    return messages
