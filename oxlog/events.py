"""oxlog's own events (``task_started``, ``command_finished``, …) at their configured levels."""

from __future__ import annotations

from typing import Any

from oxlog import configuration


def log_event(logger: Any, event: str, **fields: Any) -> None:
    """Log *event* with *fields* at the level ``OXLOG_EVENT_LEVELS`` gives it."""
    logger.log(configuration.current_settings().event_level(event), event, **fields)

