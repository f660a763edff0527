"""Receivers for django-structlog's request signals: ``duration_ms`` on the request events.

django-structlog logs ``request_finished`` and ``request_failed`` without how long
the request took; these receivers time it from ``request_started``.

django-structlog 7 added ``log_kwargs`` to these signals; with 6.x (the last
release that accepts django-ipware 4 and 5) the duration is bound to structlog's
context instead, which django-structlog clears at the end of the request.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from django.dispatch import receiver
from django_structlog import signals

from oxlog._event import milliseconds


@receiver(signals.bind_extra_request_metadata, dispatch_uid="oxlog.request_started")
def _request_started(request: Any, **_: Any) -> None:
    request._oxlog_started = time.perf_counter()


@receiver(signals.bind_extra_request_finished_metadata, dispatch_uid="oxlog.request_finished")
@receiver(signals.bind_extra_request_failed_metadata, dispatch_uid="oxlog.request_failed")
def _request_ended(request: Any, log_kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    started = getattr(request, "_oxlog_started", None)
    if started is None:
        return
    duration_ms = milliseconds(time.perf_counter() - started)
    if log_kwargs is not None:
        log_kwargs["duration_ms"] = duration_ms
    else:
        structlog.contextvars.bind_contextvars(duration_ms=duration_ms)
