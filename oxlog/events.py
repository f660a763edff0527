"""oxlog's own events (``task_started``, ``command_finished``, …) at their configured levels."""

from __future__ import annotations

from typing import Any

from oxlog import configuration


def log_event(logger: Any, event: str, **fields: Any) -> None:
    """Log *event* with *fields* at the level ``OXLOG_EVENT_LEVELS`` gives it."""
    settings = configuration.current_settings()
    levels = settings.__dict__.get("_event_numbers")  # Settings.event_level, inlined: per event
    logger.log(levels.get(event, 20) if levels is not None else settings.event_level(event),
               event, **fields)

