"""A correlation ID and events for every ``manage.py`` command.

Django has no signal around management commands (django-structlog relies on
django-extensions' ``@signalcommand``, which plain commands lack), so oxlog wraps
``BaseCommand.execute`` once: a command run with no correlation ID bound gets a
fresh one for its duration, so every line it logs and every task it publishes
share it, and ``command_started`` / ``command_finished`` / ``command_failed``
(with ``duration_ms``) mark it as the root of its workflow. Long-running hosts of
other work (``runserver``, ``shell``, … ``OXLOG_COMMANDS_EXCLUDE``) are left alone.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import structlog
from django.core.management.base import BaseCommand, SystemCheckError

from oxlog import context
from oxlog._event import log_event, milliseconds
from oxlog._options import current_settings
from oxlog._patching import patch_once
from oxlog.correlation import new_correlation_id

logger = structlog.get_logger("oxlog.commands")


def command_name(command: BaseCommand) -> str:
    """The name a command is run by (``migrate``), from its module."""
    return type(command).__module__.rsplit(".", 1)[-1]


def install() -> None:
    """Wrap ``BaseCommand.execute`` (once, however often it is called)."""
    patch_once(BaseCommand, "execute", _wrap)


def _wrap(execute: Any) -> Any:
    @functools.wraps(execute)
    def wrapper(self: BaseCommand, *args: Any, **options: Any) -> Any:
        name = command_name(self)
        if name in current_settings().commands_exclude or context.current_correlation_id():
            return execute(self, *args, **options)
        token = context.bind(correlation_id=new_correlation_id())
        started = time.perf_counter()
        try:
            log_event(logger, "command_started", command=name)
            result = execute(self, *args, **options)
        except SystemCheckError:
            # Django prints the checks itself; their traceback would say it a second time.
            log_event(logger, "command_failed", command=name, duration_ms=_ms(started),
                      error="SystemCheckError: system checks failed")
            raise
        except BaseException:
            log_event(logger, "command_failed", command=name, duration_ms=_ms(started),
                      exc_info=True)
            raise
        else:
            log_event(logger, "command_finished", command=name, duration_ms=_ms(started))
            return result
        finally:
            context.reset(token)

    return wrapper


def _ms(started: float) -> float | None:
    return milliseconds(time.perf_counter() - started)
