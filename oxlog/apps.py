"""The Django app: system checks, request timing, command IDs and the Celery receivers."""

from __future__ import annotations

from django.apps import AppConfig


class OxlogConfig(AppConfig):
    """Connects everything once when Django is ready (in web, worker and beat alike)."""

    name = "oxlog"
    verbose_name = "oxlog"

    def ready(self) -> None:
        """Register checks and connect receivers; nothing is connected twice."""
        from oxlog import checks, receivers  # noqa: F401 - registering is the import
        from oxlog.configuration import current_settings

        settings = current_settings()
        if settings.commands:
            from oxlog import commands

            commands.install()
        if settings.celery:
            try:
                import celery  # noqa: F401
            except ImportError:  # pragma: no cover - Celery is a dependency
                return
            from oxlog.celery import connect

            connect()
