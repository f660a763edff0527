"""A project written the way real ones are: its own ``LOGGING``, ``ADMINS`` and mail.

``LOGGING`` has a console, ``mail_admins`` (with ``require_debug_false``), a file
handler with a filter, a python-json-logger file for one app logger that does not
propagate, and logger levels. ``SHOP_LOGGING_STYLE`` says where it stands:
``after`` the ``from oxlog.settings import *`` line (most projects) or ``before``
it (the line appended at the end of an existing file). ``SHOP_WITHOUT_OXLOG=1``
runs the same project with Django's own logging setup, as before oxlog: the control.
"""
from __future__ import annotations

import os
from typing import Any

_LOGS = os.environ["SHOP_APP_LOGS"]
_WITH_OXLOG = os.environ.get("SHOP_WITHOUT_OXLOG") != "1"
# With oxlog, the project's own format names the correlation ID, as django-guid's docs show.
_FORMAT = "%(levelname)s|%(name)s|%(message)s" + ("|%(correlation_id)s" if _WITH_OXLOG else "")


def _no_health_checks(record: Any) -> bool:
    return "health" not in record.getMessage()


def _own_logging() -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
            "no_health_checks": {"()": "django.utils.log.CallbackFilter",
                                 "callback": _no_health_checks},
        },
        "formatters": {
            "verbose": {"format": _FORMAT},
            "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                     "fmt": "%(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "verbose"},
            "app_file": {"class": "logging.FileHandler", "filename": f"{_LOGS}/app.log",
                         "formatter": "verbose", "filters": ["no_health_checks"]},
            "payments_json": {"class": "logging.FileHandler",
                              "filename": f"{_LOGS}/payments.json", "formatter": "json"},
            "mail_admins": {"level": "ERROR", "class": "django.utils.log.AdminEmailHandler",
                            "filters": ["require_debug_false"]},
        },
        "root": {"handlers": ["console", "app_file"], "level": "INFO"},
        "loggers": {
            "django.security": {"handlers": ["mail_admins"], "level": "ERROR", "propagate": True},
            "tests.project.shop.payments": {"handlers": ["payments_json"], "level": "INFO",
                                            "propagate": False},
            "somelib": {"level": "ERROR"},
        },
    }


# The shop's apps, middleware, database and Celery settings (all but its LOGGING).
from tests.project import settings as _shop  # noqa: E402

globals().update({k: v for k, v in vars(_shop).items() if k.isupper() and k != "LOGGING"})

if os.environ.get("SHOP_LOGGING_STYLE") == "before":
    LOGGING = _own_logging()

from oxlog.settings import *  # noqa: E402, F403

if os.environ.get("SHOP_LOGGING_STYLE", "after") == "after":
    LOGGING = _own_logging()
if not _WITH_OXLOG:
    LOGGING_CONFIG = "logging.config.dictConfig"
    LOGGING = _own_logging()

ADMINS = [("Ops", "ops@example.com")]
SERVER_EMAIL = "shop@example.com"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
