"""Sentry next to oxlog: the workflow IDs as tags, and each record sent once.

With sentry-sdk initialised, every event Sentry captures in a request or a task —
from its Django or Celery integration, ``capture_exception``, or its logging
integration — gets ``correlation_id`` and ``task_id`` as tags (when they have a
value), through a global event processor. Tags the application set are kept.

Records reach Sentry through its own ``LoggingIntegration`` only, which patches
``logging.Logger.callHandlers``. oxlog sends nothing to Sentry itself, and routes its
structlog calls (which never build a ``LogRecord`` otherwise) through
``callHandlers`` when it is patched (:func:`oxlog.logger.Sink.emit`), so a structlog
call reaches Sentry exactly as a ``logging`` call does: once.

sentry-sdk is not imported by oxlog: the processor is installed when the application
has imported it (``settings.py`` calls ``sentry_sdk.init()``, before Django configures
logging; without Django, call it before :func:`oxlog.configure`).
"""

from __future__ import annotations

import sys
from typing import Any

from oxlog import context

#: Workflow keys that become Sentry tags.
TAG_KEYS = ("correlation_id", "task_id")

_installed = False


def add_workflow_tags(event: Any, hint: Any) -> Any:
    """Sentry event processor: ``correlation_id`` and ``task_id`` as tags; never raises."""
    try:
        values = {"correlation_id": context.current_correlation_id(),
                  "task_id": context.get_context().get("task_id")}
        if any(values.values()):
            tags = event.get("tags")
            if not isinstance(tags, dict):
                tags = event["tags"] = {}
            for key, value in values.items():
                if value and key not in tags:
                    tags[key] = str(value)
    except Exception:
        pass
    return event


def install() -> None:
    """Install the tag processor once, if the application imported sentry-sdk."""
    global _installed
    if _installed or "sentry_sdk" not in sys.modules:
        return
    try:
        # Optional dependency, already imported by the application (a cold path).
        from sentry_sdk.scope import add_global_event_processor

        add_global_event_processor(add_workflow_tags)
        _installed = True
    except Exception:  # an old or broken sentry-sdk: no tags, never an error
        pass
