"""A fresh correlation ID for each beat dispatch, whatever the scheduler class.

Celery's ``Scheduler.apply_entry`` logs "Scheduler: Sending due task …" and then
publishes. Wrapping it (as Sentry does for its traces) binds a new correlation ID
around both, so the beat line, the ``task_enqueued`` line and the task share one
ID, different per dispatch — for the default scheduler, django-celery-beat's
``DatabaseScheduler`` and any subclass that keeps ``apply_entry``, with no flag on
each schedule entry.
"""

from __future__ import annotations

import functools
from typing import Any

from celery.beat import Scheduler

from oxlog import context
from oxlog._patching import patch_once
from oxlog.correlation import new_correlation_id


def install() -> None:
    """Wrap ``celery.beat.Scheduler.apply_entry`` once."""
    patch_once(Scheduler, "apply_entry", _wrap)


def _wrap(apply_entry: Any) -> Any:
    @functools.wraps(apply_entry)
    def wrapper(self: Any, entry: Any, producer: Any = None) -> Any:
        token = context.replace_context({"correlation_id": new_correlation_id()})
        try:
            return apply_entry(self, entry, producer=producer)
        finally:
            context.reset(token)

    return wrapper
