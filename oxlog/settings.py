"""Django settings for oxlog: ``from oxlog.settings import *`` in ``settings.py``.

Exports only UPPER_CASE settings (see ``__all__``)::

    from oxlog.settings import *
    INSTALLED_APPS = [*OXLOG_APPS, ...]
    MIDDLEWARE = [*OXLOG_MIDDLEWARE, ...]

``LOGGING`` here is built from the environment and the defaults; Django hands it to
``LOGGING_CONFIG`` (:func:`oxlog.configure_logging`) once ``settings.py`` has run,
which rebuilds it from the final ``OXLOG_*`` settings and keeps whatever
``settings.py`` changed in it, or merges oxlog's into the ``LOGGING`` the
application wrote itself, before or after the import. Importing this module
configures nothing.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Mapping
from typing import Any

from oxlog._logging_dict import baseline, derived_from_oxlog, merge_logging
from oxlog._options import Settings

__all__ = [
    "DJANGO_GUID",
    "DJANGO_STRUCTLOG_CELERY_ENABLED",
    "DJANGO_STRUCTLOG_COMMAND_LOGGING_ENABLED",
    "DJANGO_STRUCTLOG_IP_LOGGING_ENABLED",
    "LOGGING",  # noqa: F822 - module __getattr__
    "LOGGING_CONFIG",
    "OXLOG_APPS",
    "OXLOG_MIDDLEWARE",
]

OXLOG_APPS = ["django_guid", "django_structlog", "oxlog"]

OXLOG_MIDDLEWARE = [
    # Refuses correlation IDs that are not canonical before django-guid reads them.
    "oxlog.middleware.CorrelationIdGuard",
    # Binds the correlation ID (incoming or new) and echoes it in the response.
    "django_guid.middleware.guid_middleware",
    # request_started / request_finished / request_failed, request_id, user_id, ip.
    "django_structlog.middlewares.RequestMiddleware",
]

LOGGING_CONFIG = "oxlog.configure_logging"

#: ``LOGGING`` from the environment and the defaults; ``oxlog.configure_logging`` tells
#: ``settings.py``'s edits from it (never changed: each importer gets a copy).
_LOGGING: dict[str, Any] = baseline()


def __getattr__(name: str) -> Any:
    """``LOGGING``, made for the module that imports it.

    A ``settings.py`` that defined its own ``LOGGING`` *before* ``from oxlog.settings
    import *`` would lose it to the star import without a word; instead, the
    ``LOGGING`` it imports is its own merged with oxlog's (the merge of
    :func:`oxlog._logging_dict.merge_logging`), unless it set
    ``OXLOG_MERGE_LOGGING = False`` (there or in the environment).
    """
    if name != "LOGGING":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importer = sys._getframe(1).f_globals
    prior = importer.get("LOGGING") if importer.get("__name__") != __name__ else None
    if isinstance(prior, Mapping) and prior and not derived_from_oxlog(prior):
        merge = importer.get("OXLOG_MERGE_LOGGING", os.environ.get("OXLOG_MERGE_LOGGING", True))
        if Settings.load({"merge_logging": merge}, django=False).merge_logging:
            return merge_logging(_LOGGING, prior)
    return copy.deepcopy(_LOGGING)

# django-guid: oxlog carries the correlation ID into Celery itself (real task IDs,
# validated on the worker, restored exactly after eager tasks), so django-guid's
# CeleryIntegration stays off: with it on, both would set the ID and django-guid
# would replace, then clear, the request's ID around eager tasks.
DJANGO_GUID: dict[str, Any] = {
    "GUID_HEADER_NAME": "Correlation-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [],
    "UUID_FORMAT": "hex",
}

# django-structlog: its request middleware gives the request events; its Celery
# receivers are off because oxlog's write the task events (django-structlog's would
# log task_enqueued twice in workers, put the task's own ID as parent after a retry
# and leave the previous task's context on the next "received" line).
DJANGO_STRUCTLOG_CELERY_ENABLED = False
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = True
# oxlog gives every management command its own correlation ID and events without
# django-extensions; django-structlog's command logging needs django-extensions.
DJANGO_STRUCTLOG_COMMAND_LOGGING_ENABLED = False
