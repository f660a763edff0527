"""oxlog._structlog_vars: structlog's variables given back exactly, as structlog's own
functions would, however the code in between bound, rebound or unbound them."""

from __future__ import annotations

import threading
from typing import Any

import structlog

from oxlog import _structlog_vars


def _scenario(snapshot: Any, restore: Any) -> dict[str, Any]:
    """Bind, snapshot, change every way, restore: what structlog says is bound after."""
    structlog.contextvars.clear_contextvars()
    kept, same = object(), ["same"]
    structlog.contextvars.bind_contextvars(user=kept, tenant="a", gone="x", shared=same)
    structlog.contextvars.unbind_contextvars("gone")
    before = snapshot()
    structlog.contextvars.bind_contextvars(tenant="b", new_key_made_inside=1, gone="back")
    structlog.contextvars.unbind_contextvars("user")
    structlog.contextvars.bind_contextvars(shared=["same"])  # equal, not the same object
    restore(before)
    after = structlog.contextvars.get_contextvars()
    assert after.get("user") is kept and after.get("shared") is same
    return after


def test_restore_gives_back_exactly_what_was_bound() -> None:
    after = _scenario(_structlog_vars.snapshot, _structlog_vars.restore)
    assert after == {"user": after["user"], "tenant": "a", "shared": ["same"]}


def test_restore_through_the_registry_equals_structlogs_public_functions() -> None:
    """The fast path (a context copy and structlog's registry) and the fallback path (used
    when the registry is not readable) leave the same variables bound."""
    fast = _scenario(_structlog_vars.snapshot, _structlog_vars.restore)
    public = _scenario(structlog.contextvars.get_contextvars, _structlog_vars._restore_public)
    assert fast.keys() == public.keys() and fast["tenant"] == public["tenant"]


def test_variables_learns_keys_bound_in_other_threads() -> None:
    structlog.contextvars.clear_contextvars()
    names = [f"thread_key_{i}" for i in range(8)]

    def bind(name: str) -> None:
        structlog.contextvars.bind_contextvars(**{name: 1})

    threads = [threading.Thread(target=bind, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = {key for _, key in _structlog_vars.variables()}
    assert set(names) <= keys
    assert _structlog_vars.REGISTRY is not None  # the fast path is the one tested here
