"""The Django app: system checks, request timing, command IDs and the Celery receivers."""

from __future__ import annotations

from django.apps import AppConfig

from oxlog._options import current_settings


class OxlogConfig(AppConfig):
    """Connects everything once when Django is ready (in web, worker and beat alike)."""

    name = "oxlog"
    verbose_name = "oxlog"

    def ready(self) -> None:
        """Connect receivers and patch ``BaseCommand``; nothing is connected twice.

        Imported here, as Django asks of signal receivers: these modules import
        django-structlog, Django's management commands and Celery, which must not load
        before the app registry is ready.
        """
        # Registering the checks and connecting the receivers is the import; the checks
        # are registered from LOGGING_CONFIG too, so a project without this app hears of it.
        from oxlog import _checks, _request_timing  # noqa: F401

        settings = current_settings()
        if settings.commands:
            from oxlog import _commands

            _commands.install()
        if settings.celery:
            from oxlog.celery import connect

            try:
                connect()
            except ImportError:  # pragma: no cover - Celery is a dependency
                return
