"""Logging filters for Celery's own lines: the ones oxlog's task events replace are
dropped, and the worker main process's task lines get the task's context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

try:
    from celery.app import trace as _trace
    from celery.worker import request as _request

    from oxlog.celery.signals import context_of_live_task
except ImportError:  # pragma: no cover - Celery is a dependency, but configure() must not need it
    _DUPLICATES: frozenset[str] = frozenset()
    _context_of: Callable[[str], Any] | None = None
else:
    _DUPLICATES = frozenset({
        _trace.LOG_RECEIVED,  # said by oxlog's task_received, with the task's context
        _trace.LOG_SUCCESS,  # task_succeeded (and without the return value)
        _trace.LOG_FAILURE,  # task_failed
        _trace.LOG_RETRY,  # task_retrying
        _request.__dict__.get("LOG_FAILURE", "\0"),
    })
    _context_of = context_of_live_task

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


class AddTaskContext(logging.Filter):
    """Give the worker main process's task lines (time limits, lost workers) their context.

    Celery logs "Hard time limit (…) exceeded for name[id]" in the main process,
    outside any task: this filter finds the task by the ID in the line's arguments
    among the requests the main process received, and adds its workflow context.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the context of the task named in *record*'s arguments, if known."""
        args = record.args if isinstance(record.args, tuple) else ()
        if args and "correlation_id" not in record.__dict__ and _context_of is not None:
            for arg in args:
                values = _context_of(arg) if isinstance(arg, str) else None
                if values:
                    record.__dict__.update(values)
                    break
        return True


