"""Logging filters."""

from __future__ import annotations

import logging

try:
    from celery.app import trace as _trace
    from celery.worker import request as _request

    _DUPLICATES = frozenset({
        _trace.LOG_RECEIVED,  # said by oxlog's task_received, with the task's context
        _trace.LOG_SUCCESS,  # task_succeeded (and without the return value)
        _trace.LOG_FAILURE,  # task_failed
        _trace.LOG_RETRY,  # task_retrying
        _request.__dict__.get("LOG_FAILURE", "\0"),
    })
except ImportError:  # pragma: no cover - Celery is a dependency
    _DUPLICATES = frozenset()

_WORKER_LOST = "Task handler raised error: %r"


class DropCeleryDuplicates(logging.Filter):
    """Drop Celery's plain lines that one of oxlog's task events says already.

    Celery's "Task X[id] received" (logged before any signal, so without context),
    "succeeded in" (which logs the task's return value at INFO), "raised
    unexpected", "retry:" and the main process's "Task handler raised error" for a
    lost worker: oxlog writes ``task_received``, ``task_succeeded``,
    ``task_failed`` and ``task_retrying`` instead, each once, with the workflow
    context. ``OXLOG_CELERY_PLAIN_LINES = True`` keeps Celery's lines.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep *record* unless it is one of Celery's duplicated lines."""
        return record.msg not in _DUPLICATES and record.msg != _WORKER_LOST
