"""Django's ``LOGGING_CONFIG`` hook: ``LOGGING_CONFIG = "oxlog.configure_logging"``.

``oxlog.settings`` exports that line. Django calls the hook once, in every process
that runs ``django.setup()`` — web, worker and beat alike — after ``settings.py`` has
fully run, so ``OXLOG_*`` values set after the star import count. It is also where
oxlog's system checks and Celery's ``setup_logging`` receiver are registered, app or
no app, so a project that forgot ``OXLOG_APPS`` hears about it (``manage.py check``,
a worker's start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oxlog import _checks  # noqa: F401 - registering the system checks is the import
from oxlog._configure import apply
from oxlog._logging_dict import (
    apply_user_changes,
    baseline,
    build_logging_config,
    derived_from_oxlog,
    merge_logging,
    with_context_filters,
)
from oxlog._options import Settings

try:
    from oxlog.celery.signals import connect_startup
except ImportError:  # pragma: no cover - Celery is a dependency
    connect_startup = None  # type: ignore[assignment]


def configure_logging(logging_settings: Mapping[str, Any] | None) -> None:
    """Apply ``settings.LOGGING`` with oxlog's settings.

    ``LOGGING`` as imported (or edited in place) is rebuilt from the final ``OXLOG_*``
    settings with the edits replayed; an application's own ``LOGGING`` is merged with
    oxlog's (:func:`oxlog._logging_dict.merge_logging`) unless ``OXLOG_MERGE_LOGGING =
    False``. Either way the application's own handlers get the workflow context as
    record attributes.
    """
    settings = Settings.load()
    settings.check_dir()
    config = dict(logging_settings or {})
    if derived_from_oxlog(config):
        config = apply_user_changes(build_logging_config(settings, django=True), baseline(), config)
    elif settings.merge_logging:
        config = merge_logging(build_logging_config(settings, django=True), config)
    apply(settings, with_context_filters(config))
    if settings.celery and connect_startup is not None:
        connect_startup()
