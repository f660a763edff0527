"""``OXLOG_TASK_ID_PREFIX``: task IDs that start with the workflow's correlation ID.

With it on, a task published without an ID gets ``<correlation_id>_<uuid4>``, so even
tools that show only task IDs (Flower, a result backend, a broker's management UI)
can be searched by the workflow's ID. IDs given by the caller, by a retry (which keeps
its ID) or by a canvas (chain, group and chord members are frozen with their IDs
before they are sent) are left as they are. Celery makes the ID in
``Celery.send_task``, through which ``delay``, ``apply_async`` and ``send_task`` pass;
oxlog wraps it once.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from celery import Celery

from oxlog import context, correlation
from oxlog._options import current_settings
from oxlog._patching import patch_once


def install() -> None:
    """Wrap ``Celery.send_task`` once so that new task IDs carry the correlation ID."""
    patch_once(Celery, "send_task", _wrap)


def _wrap(send_task: Any) -> Any:
    @functools.wraps(send_task)
    def wrapper(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        given = args[4] if len(args) > 4 else kwargs.get("task_id")  # send_task's 5th argument
        if given or not current_settings().task_id_prefix:
            return send_task(self, name, *args, **kwargs)
        cid = context.current_correlation_id()
        fresh = not correlation.is_valid(cid)
        if fresh:
            cid = correlation.new_correlation_id()
        task_id = f"{cid}_{uuid.uuid4()}"
        if len(args) > 4:
            args = (*args[:4], task_id, *args[5:])
        else:
            kwargs["task_id"] = task_id
        if not fresh:
            return send_task(self, name, *args, **kwargs)
        with context.bound(correlation_id=cid):
            return send_task(self, name, *args, **kwargs)

    return wrapper

