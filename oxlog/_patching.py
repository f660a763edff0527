"""The one way oxlog replaces a method of another library: once, marked, and said why.

oxlog patches where its dependencies give no hook: Celery's
``Scheduler.apply_entry`` (beat) and ``Celery.send_task`` (task ID prefix), Django's
``BaseCommand.execute`` (command IDs), the stdlib's ``Logger.makeRecord`` (``extra=``
clashes, faster records) and structlog's lazy proxy (its fast path). Each module says why in its
docstring; this helper makes every patch idempotent however often setup runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "_oxlog"


def patch_once(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` by ``make(original)``, unless oxlog did already."""
    original = getattr(owner, name)
    if getattr(original, _MARK, False):
        return
    replacement = make(original)
    setattr(replacement, _MARK, True)
    setattr(owner, name, replacement)
