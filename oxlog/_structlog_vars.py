"""structlog's context variables, read from structlog's own registry (never changed by oxlog).

``structlog.contextvars`` keeps one :class:`~contextvars.ContextVar` per key bound with
``bind_contextvars`` (named ``structlog_<key>``) in a module dict; a key that was unbound
holds ``Ellipsis``. Its public functions (``get_contextvars``, ``merge_contextvars``) copy
the whole context and test the name of every variable in it — Django's, asgiref's,
django-guid's and oxlog's too — on every call. oxlog asks structlog's variables only:

* :func:`variables` for the processor that merges them into each record;
* :func:`snapshot` and :func:`restore` around a Celery task, so a task that binds keys
  gives its caller (or the next task of the worker) exactly the values from before.

Where the registry is not where oxlog reads it (a future structlog), :data:`REGISTRY` is
``None`` and the callers use structlog's public functions instead.
"""

from __future__ import annotations

import contextvars
from typing import Any

import structlog

_registry = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
#: structlog's registry of its variables, by name (``structlog_<key>``); ``None`` if moved.
REGISTRY: dict[str, contextvars.ContextVar[Any]] | None = (
    _registry if isinstance(_registry, dict) else None)
_PREFIX_LEN = len(structlog.contextvars.STRUCTLOG_KEY_PREFIX)

#: ``((variable, key), ...)`` for each of structlog's variables, and how many the registry
#: held when it was made: read by the processor on every record, remade by :func:`refresh`.
known: tuple[tuple[tuple[contextvars.ContextVar[Any], str], ...], int] = ((), 0)


def refresh() -> tuple[tuple[contextvars.ContextVar[Any], str], ...]:
    """Learn structlog's variables again (``bind_contextvars`` made a new one)."""
    global known
    items = list(REGISTRY.items()) if REGISTRY is not None else []  # one C call: atomic
    pairs = tuple((var, name[_PREFIX_LEN:]) for name, var in items)
    known = (pairs, len(items))
    return pairs


def variables() -> tuple[tuple[contextvars.ContextVar[Any], str], ...]:
    """``(variable, key)`` for each variable structlog has made so far."""
    pairs, size = known
    if REGISTRY is not None and size != len(REGISTRY):
        pairs = refresh()
    return pairs


def snapshot() -> Any:
    """What :func:`restore` needs to give structlog's variables back exactly.

    A copy of the current context (constant time: contexts are immutable mappings),
    or structlog's ``get_contextvars()`` where the registry is not readable.
    """
    if REGISTRY is None:
        return structlog.contextvars.get_contextvars()
    return contextvars.copy_context()


def restore(before: Any) -> None:
    """Give every structlog variable the value (by identity) it had at :func:`snapshot`.

    A variable made since holds ``Ellipsis`` again (structlog's "unbound"); one that
    changed gets its old value back; the others are not touched.
    """
    if REGISTRY is None:
        _restore_public(before)
        return
    for var, _ in variables():
        old = before.get(var, Ellipsis)
        if var.get(Ellipsis) is not old:
            var.set(old)


def _restore_public(before: dict[str, Any]) -> None:
    now = structlog.contextvars.get_contextvars()
    added = [k for k in now if k not in before]
    if added:
        structlog.contextvars.unbind_contextvars(*added)
    changed = {k: v for k, v in before.items() if now.get(k, _GONE) is not v}
    if changed:
        structlog.contextvars.bind_contextvars(**changed)


_GONE = object()
