"""The Celery side of oxlog: workflow context on every task line, and task events.

Django projects need nothing here: the ``oxlog`` app connects it when Django is
ready, in web, worker and beat processes alike. Celery apps without Django call
:func:`setup` once, where the app is made::

    app = Celery("proj")
    oxlog.celery.setup(app)
"""

from __future__ import annotations

from typing import Any

from oxlog._configure import configure
from oxlog._options import is_configured

__all__ = ["connect", "setup"]


def connect() -> None:
    """Connect oxlog's Celery receivers, once however many times this runs."""
    # Celery is imported on first use, not with this package: dictConfig loads
    # oxlog.celery.filters in every process oxlog configures, worker or not.
    from oxlog.celery import signals

    signals.connect()


def setup(app: Any = None, **settings: Any) -> None:
    """Configure oxlog (unless done already) and connect the Celery receivers.

    *settings* are passed to :func:`oxlog.configure` (``level="DEBUG"``, …).
    """
    if not is_configured():
        configure(**settings)
    connect()
