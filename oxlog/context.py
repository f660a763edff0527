"""The workflow context: which request, command, beat dispatch and task a line belongs to.

oxlog keeps it in one :class:`~contextvars.ContextVar` holding a small dict that is
never changed once bound (a new one is bound instead; a plain dict, not a
``MappingProxyType``, because ``dict.update`` from a dict is the fast path),
separate from structlog's per-key context variables. One variable makes the hot
path cheap (one ``get`` per log call) and binding exact: :func:`bind`
returns a token and :func:`reset` restores precisely what was bound before, so a
task never wipes what its caller or the user bound (django-guid and
asgi-correlation-id clear their variable wholesale; django-structlog never clears
it after a task).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from oxlog._schema import WORKFLOW_KEYS

_EMPTY: Mapping[str, Any] = {}
_workflow: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "oxlog_workflow", default=_EMPTY
)

#: django-guid's correlation-ID variable (set by its middleware for each request).
guid_var: contextvars.ContextVar[Any] | None
try:
    from django_guid.context import guid as _django_guid

    guid_var = _django_guid
except ImportError:  # pragma: no cover - django-guid is a dependency
    guid_var = None

Token = contextvars.Token


def get_context() -> Mapping[str, Any]:
    """The workflow context bound in the current context (read-only)."""
    return _workflow.get()


def bind(**values: Any) -> contextvars.Token[Mapping[str, Any]]:
    """Bind workflow keys on top of the current ones; ``None`` removes a key.

    Keys are kept in :data:`WORKFLOW_KEYS` order. Returns the token for :func:`reset`.
    """
    merged = {**_workflow.get(), **values}
    ordered = {k: merged[k] for k in WORKFLOW_KEYS if merged.get(k) is not None}
    ordered.update((k, v) for k, v in merged.items() if k not in ordered and v is not None)
    return _workflow.set(ordered)


def replace_context(values: Mapping[str, Any]) -> contextvars.Token[Mapping[str, Any]]:
    """Bind exactly *values* (dropping whatever was bound); returns the token for :func:`reset`."""
    return _workflow.set(dict(values))


def adopt(values: dict[str, Any]) -> contextvars.Token[Mapping[str, Any]]:
    """Bind exactly *values*, a dict made for this binding that nobody changes after (no
    copy is made: the Celery receivers bind a task's context this way, once per task)."""
    return _workflow.set(values)


def reset(token: contextvars.Token[Mapping[str, Any]]) -> None:
    """Restore the workflow context that was current when *token* was made."""
    _workflow.reset(token)


@contextmanager
def bound(**values: Any) -> Iterator[Mapping[str, Any]]:
    """Bind workflow keys for the duration of a ``with`` block."""
    token = bind(**values)
    try:
        yield _workflow.get()
    finally:
        reset(token)


def current_correlation_id() -> str | None:
    """The correlation ID of the current work: oxlog's, else django-guid's, else ``None``."""
    cid = _workflow.get().get("correlation_id")
    if cid is None and guid_var is not None:
        cid = guid_var.get()
    return cid if isinstance(cid, str) else None
