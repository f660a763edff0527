"""Celery signal receivers: carry the correlation ID, bind the task's context, log events.

Publishing (``before_task_publish``) adds two headers and nothing else: the
correlation ID and the publish time (and a W3C ``traceparent`` whose trace-id is the
correlation ID, when no tracer added one). Root and parent come from Celery's own
protocol-2 ``root_id`` and ``parent_id``, so the IDs in the logs are real task
IDs (they match Flower and the result backend, and a retry keeps its real
parent). Running (``task_prerun``/``task_postrun``) binds the task's context and
restores exactly what was bound before, with tokens. Every receiver is connected
once (``dispatch_uid``) and never raises: a failure is reported once on stderr
and the publish or task goes on.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import sys
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from celery import current_app, signals
from celery.app.log import MP_LOG  # type: ignore[attr-defined]
from celery.states import IGNORED, SUCCESS
from celery.utils.log import get_logger, get_multiprocessing_logger
from celery.utils.saferepr import saferepr

from oxlog import _structlog_vars, _tracing, context, correlation
from oxlog._configure import configure
from oxlog._event import log_event, milliseconds
from oxlog._options import current_settings as _settings
from oxlog._options import is_configured, on_configure
from oxlog._report import report
from oxlog._schema import CORRELATION_HEADER, PUBLISHED_HEADER, TRACEPARENT_HEADER
from oxlog._values import safe_repr, safe_str
from oxlog.celery import _beat, _task_ids
from oxlog.handlers import root_has_oxlog_handlers
from oxlog.processors import Redactor

logger = structlog.get_logger("oxlog.celery")
#: The stdlib logger behind it: its cached level check says whether an event is written,
#: before anything is built for it.
_events = logging.getLogger("oxlog.celery")


def _written(event: str) -> bool:
    """Whether oxlog's *event* would be written (``OXLOG_EVENT_LEVELS``, logger levels).

    Asked before anything is built for the event: an event that is not written costs
    this check alone (the levels of the settings in force, kept by :func:`_follow_settings`,
    and the logger's own cached answer).
    """
    return _events.isEnabledFor(_event_levels.get(event, logging.INFO))


#: The level of each of oxlog's events in the settings in force (see :func:`_follow_settings`).
_event_levels: dict[str, int] = {}


#: Requests the worker's main process has received and not yet forgotten, so that
#: failures decided there (lost worker, hard time limit: Celery has dropped the request
#: from its own registry, ``celery.worker.state.requests``, by then) find the task's
#: context. Weak references in a plain dict, pruned of dead ones as it grows: nothing is
#: kept once Celery drops the request, at a seventh of a ``WeakValueDictionary``'s cost
#: per task (7,000 instructions; its ``__setitem__`` is Python code).
_live_requests: dict[str, weakref.ref[Any]] = {}
_prune_above = 1024


def _remember(request: Any) -> None:
    """Keep a weak reference to *request* by its task ID (the worker's main process)."""
    global _prune_above
    live = _live_requests
    live[request.id] = weakref.ref(request)
    if len(live) > _prune_above:
        for task_id, ref in list(live.items()):
            if ref() is None:
                live.pop(task_id, None)
        _prune_above = max(1024, 2 * len(live))


def _live_request(task_id: Any) -> Any:
    """The request the main process received for *task_id*, while Celery holds it."""
    ref = _live_requests.get(task_id)
    return ref() if ref is not None else None


def _receiver_failed(name: str, exc: Exception) -> None:
    report(f"celery:{name}:{type(exc).__name__}",
           f"the {name} receiver failed ({type(exc).__name__}: {str(exc)[:200]}); "
           "the task goes on without it")


def _never_raises(receiver: Callable[..., None]) -> Callable[..., None]:
    """Report a failing receiver once on stderr instead of raising into Celery.

    The three receivers that run for every task (``task_received``, ``task_prerun``,
    ``task_postrun``) hold the same ``try`` inline: a wrapper costs a call and a copy
    of Celery's keyword arguments, three times per task.
    """
    @functools.wraps(receiver)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            receiver(*args, **kwargs)
        except Exception as exc:
            _receiver_failed(receiver.__name__, exc)

    return wrapper


# --- helpers ----------------------------------------------------------------------


def _checked_correlation_id(value: Any) -> tuple[str | None, dict[str, Any] | None]:
    """*value* if it is a canonical correlation ID, and else what to log about it."""
    if value is None or correlation.is_valid(value):
        return value, None
    return None, {"source": "message_header", "reason": correlation.rejection_reason(value),
                  "length": len(value) if isinstance(value, (str, bytes)) else None}


def task_context(correlation_id: str | None, headers: Mapping[str, Any] | Any,
                 name: str | None = None) -> dict[str, Any]:
    """The workflow context of a task (the keys that have a value), from its message
    headers or ``task.request``: what is bound while its lines are written. *name*, when
    given, is the name of a task the worker has registered (written as it is).

    The task's ID, name, parent and root come from the message, which anyone who can
    publish wrote: each is written as it is only when it looks like one (text of at most
    :data:`MAX_ID_LENGTH` printable characters, no whitespace — every UUID, and oxlog's
    ``<correlation_id>_<uuid>``), else as :func:`id_stand_in` (``rejected-`` and a hash of
    the value, the same for every line that carries it, so the workflow still links up),
    said once on stderr. ``retries`` is kept only as a whole number.
    """
    trusted_name = name is not None
    if type(headers) is dict or isinstance(headers, Mapping):
        get = headers.get
        task_id, name, parent, root, retries = (get("id"), name or get("task"), get("parent_id"),
                                                get("root_id"), get("retries"))
    else:  # a task's Context: attributes (this runs in task_prerun, for every task)
        task_id = getattr(headers, "id", None)
        name = name or getattr(headers, "task", None)
        parent = getattr(headers, "parent_id", None)
        root = getattr(headers, "root_id", None)
        retries = getattr(headers, "retries", None)
    raw_id = task_id
    # Built key by key in WORKFLOW_KEYS order: a comprehension over a zip costs twice as much,
    # three times per task. The checks are inline for the same reason; a root task's root ID
    # is its own ID (checked once), and a *name* given by the caller is the name of a task
    # the worker has registered (the application's code), not text from the message.
    values: dict[str, Any] = {}
    if correlation_id is not None:
        values["correlation_id"] = correlation_id
    if task_id is not None:
        values["task_id"] = task_id = task_id if (
            type(task_id) is str and len(task_id) <= MAX_ID_LENGTH and task_id.isprintable()
            and " " not in task_id and task_id) else id_stand_in("id", task_id)
    if name is not None:
        values["task_name"] = name if trusted_name or (
            type(name) is str and len(name) <= MAX_ID_LENGTH and name.isprintable()
            and " " not in name and name) else id_stand_in("task", name)
    if parent is not None:
        values["parent_task_id"] = parent if (
            type(parent) is str and len(parent) <= MAX_ID_LENGTH and parent.isprintable()
            and " " not in parent and parent) else id_stand_in("parent_id", parent)
    if root is not None:
        values["root_task_id"] = task_id if (
            type(root) is str and type(raw_id) is str and root == raw_id) else root if (
            type(root) is str and len(root) <= MAX_ID_LENGTH and root.isprintable()
            and " " not in root and root) else id_stand_in("root_id", root)
    if retries:
        if type(retries) is int and 0 < retries < 1_000_000_000:
            values["retries"] = retries
        else:
            report("task-id:retries", f"a task message carried retries of type "
                   f"{type(retries).__name__} that is not a whole number; left out")
    return values


#: The longest task ID, name, parent or root written as it is (Celery's are 36
#: characters; oxlog's prefixed ones 69).
MAX_ID_LENGTH = 255


def id_stand_in(header: str, value: Any) -> str:
    """What is written for a task ID (or name, parent, root) from a message that is not
    one: ``rejected-`` and 16 hex digits of a SHA-256 of it; said once on stderr.

    Never the value itself (it may be 100 KB, or hold a newline); the same value always
    gives the same stand-in, so a task and the children that name it as parent still
    match in ``oxlog trace``.
    """
    if isinstance(value, str):
        text, kind = str.__str__(value), f"text of {len(value)} characters"
    else:
        text, kind = safe_repr(value)[:100_000], type(value).__name__
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    report(f"task-id:{header}", f"a task message carried a {header} that is not a task ID "
           f"({kind}); written as rejected-<hash of it>")
    return f"rejected-{digest}"


def _queue_wait_ms(published_at: Any) -> float | None:
    if isinstance(published_at, (int, float)) and not isinstance(published_at, bool):
        try:
            return milliseconds(time.time() - published_at)
        except OverflowError:  # an integer header too large for a float
            return None
    return None


def _ms_since(started: Any) -> float | None:
    if isinstance(started, float):
        return milliseconds(time.perf_counter() - started)
    return None


def _args_text(value: Any) -> str:
    """A bounded repr of task arguments (or a result), with secrets masked by key."""
    settings = _settings()
    if settings.redact and isinstance(value, (dict, list, tuple)):
        value = _redactor(settings.redact_keys).redact_value(value, 0)
    return str(saferepr(value, 1024))


def _reuse_repr(celery_repr: Any, value: Any) -> str:
    """Celery's own ``argsrepr``/``kwargsrepr`` when nothing in *value* can be secret.

    Celery has already made a bounded repr of the arguments for the message; oxlog
    makes its own (redacted) one only when a dict, at any depth, has a sensitive key.
    """
    settings = _settings()
    if isinstance(celery_repr, str) and (not settings.redact or not _has_secret_key(
            _redactor(settings.redact_keys), value, 0)):
        return celery_repr
    return _args_text(value)


def _has_secret_key(redactor: Any, value: Any, depth: int) -> bool:
    if depth > 20:
        return True
    if isinstance(value, dict):
        for k, v in value.items():
            if redactor.is_sensitive(str(k)) or (
                    type(v) not in _SCALARS and _has_secret_key(redactor, v, depth + 1)):
                return True
    elif isinstance(value, (list, tuple)):
        for v in value:
            if type(v) not in _SCALARS and _has_secret_key(redactor, v, depth + 1):
                return True
    return False


#: Values that hold no keys: the usual task arguments, skipped without a call.
_SCALARS = frozenset({int, str, float, bool, type(None), bytes})


@functools.lru_cache(maxsize=4)
def _redactor(keys: tuple[str, ...]) -> Any:
    return Redactor(keys)


# --- publishing -------------------------------------------------------------------


@_never_raises
def before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Add the correlation ID (minting one for work that has none), the publish time, and
    a ``traceparent`` when no tracer added one (its trace-id is the correlation ID's)."""
    if headers is None:
        return
    cid = context.current_correlation_id()
    # Only a canonical ID travels: the worker would refuse anything else anyway.
    if not correlation.is_valid(cid):
        cid = correlation.new_correlation_id()
    headers[CORRELATION_HEADER] = cid
    headers[PUBLISHED_HEADER] = time.time()
    if TRACEPARENT_HEADER not in headers:  # a tracer's own is never overwritten
        parent = _tracing.traceparent(cid)
        if parent is not None:
            headers[TRACEPARENT_HEADER] = parent


@_never_raises
def after_task_publish(headers: Mapping[str, Any] | None = None, body: Any = None,
                       routing_key: str | None = None, exchange: str | None = None,
                       **_: Any) -> None:
    """Log ``task_enqueued`` with the child's ID, name, queue, ETA and arguments."""
    if not headers or not _written("task_enqueued"):  # no reprs made for a line not written
        return
    fields: dict[str, Any] = {
        "child_task_id": headers.get("id"),
        "child_task_name": headers.get("task"),
        "queue": routing_key or exchange or None,
    }
    eta = headers.get("eta")
    if eta:
        fields["eta"] = eta
    if isinstance(body, (tuple, list)) and len(body) >= 2:
        fields["args"] = _reuse_repr(headers.get("argsrepr"), body[0])
        fields["kwargs"] = _reuse_repr(headers.get("kwargsrepr"), body[1])
    cid = headers.get(CORRELATION_HEADER)
    if correlation.is_valid(cid) and context.current_correlation_id() != cid:
        with context.bound(correlation_id=cid):
            log_event(logger, "task_enqueued", **fields)
    else:
        log_event(logger, "task_enqueued", **fields)


# --- the worker's main process ------------------------------------------------------


def task_received(request: Any = None, **_: Any) -> None:
    """Log ``task_received`` with the task's context, read from the message headers.

    Runs in the worker's main process before the task is handed to a pool child.
    A missing or invalid correlation ID is replaced here and written back into the
    request, so the child binds the same one.
    """
    try:
        if request is None:
            return
        headers = request.request_dict
        cid, rejected = _checked_correlation_id(headers.get(CORRELATION_HEADER))
        if cid is None:
            # Published without oxlog: a tracer's traceparent gives the ID (its trace-id),
            # as it does for a request; else a new one.
            cid = (None if rejected else correlation.from_traceparent(headers.get(TRACEPARENT_HEADER))
                   ) or correlation.new_correlation_id()
            headers[CORRELATION_HEADER] = cid
        _remember(request)
        written = _written("task_received")
        if not (written or rejected):
            return
        token = context.adopt(task_context(cid, headers, request.name))
        try:
            if rejected:
                log_event(logger, "correlation_id_rejected", **rejected)
            if written:
                fields: dict[str, Any] = {
                    "queue_wait_ms": _queue_wait_ms(headers.get(PUBLISHED_HEADER))}
                if headers.get("eta"):
                    fields["eta"] = headers["eta"]
                log_event(logger, "task_received", **fields)
        finally:
            context.reset(token)
    except Exception as exc:
        _receiver_failed("task_received", exc)


class _exactly:
    """Bind exactly a task's context for a ``with`` block (main-process events)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def __enter__(self) -> None:
        self.token = context.replace_context(self.values)

    def __exit__(self, *exc: Any) -> None:
        context.reset(self.token)


def context_of_live_task(task_id: str) -> dict[str, Any] | None:
    """The context of a task the worker's main process holds a request for (else ``None``)."""
    return _main_process_context(task_id, None)


def _main_process_context(task_id: str | None, name: str | None) -> dict[str, Any] | None:
    """The context of a task the main process knows (by its request), else ``None``."""
    request = _live_request(task_id) if task_id else None
    if request is None:
        return None
    headers = request.request_dict
    return task_context(headers.get(CORRELATION_HEADER), headers, name or request.name)


@_never_raises
def task_revoked(request: Any = None, terminated: bool = False, signum: Any = None,
                 expired: bool = False, **_: Any) -> None:
    """Log ``task_revoked`` (terminated, expired or revoked) with the task's context."""
    if request is None:
        return
    headers = getattr(request, "request_dict", None)
    if headers is not None:  # the worker's Request
        values = task_context(headers.get(CORRELATION_HEADER), headers, request.name)
    else:  # a task Context (revoked before it ran in this process): its name is the message's
        values = task_context(getattr(request, CORRELATION_HEADER, None), request)
    signame = getattr(signum, "name", None) or (str(signum) if signum is not None else None)
    with _exactly(values):
        log_event(logger, "task_revoked", terminated=bool(terminated), expired=bool(expired),
                  signum=signame)


@_never_raises
def task_rejected(message: Any = None, exc: Any = None, **_: Any) -> None:
    """Log ``task_rejected`` with the context found in the message headers."""
    headers = getattr(message, "headers", None) or {}
    with _exactly(task_context(headers.get(CORRELATION_HEADER), headers)):
        log_event(logger, "task_rejected", error=_error_text(exc) if exc else None)


@_never_raises
def task_unknown(message: Any = None, exc: Any = None, name: str | None = None,
                 id: str | None = None, **_: Any) -> None:
    """Log ``task_unknown``: a message for a task this worker does not have."""
    headers = dict(getattr(message, "headers", None) or {})
    headers.setdefault("id", id)
    headers.setdefault("task", name)  # from the message: checked as the message's own name
    with _exactly(task_context(headers.get(CORRELATION_HEADER), headers)):
        log_event(logger, "task_unknown", error=_error_text(exc) if exc else None)


# --- the task's own run (pool child, thread, or the caller for eager tasks) -----------


class _Run:
    """What ``task_prerun`` hands to ``task_postrun`` (and ``task_failure``) for one run.

    Kept in a context variable, not on ``task.request``: reading ``task.request`` goes
    through Celery's thread-local request stack (about 2 µs), and postrun has the task ID
    in its arguments. Each run's token restores the one around it (an eager task run
    inside another).
    """

    __slots__ = ("exc", "own_token", "started", "structlog", "task_id", "token")

    def __init__(self, task_id: str | None, started: float, exc: BaseException | None,
                 structlog_values: Any) -> None:
        self.task_id = task_id
        self.started = started
        self.exc = exc
        #: structlog's contextvars before the run (:func:`oxlog._structlog_vars.snapshot`),
        #: restored by identity at postrun.
        self.structlog = structlog_values
        self.token: context.Token[Any] | None = None
        self.own_token: contextvars.Token[_Run | None] | None = None


_run: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("oxlog_task_run", default=None)


def _current_run(task_id: Any) -> _Run | None:
    run = _run.get()
    return run if run is not None and run.task_id == task_id else None


def task_prerun(task: Any = None, task_id: str | None = None, **_: Any) -> None:
    """Bind the task's context for its run and log ``task_started``."""
    try:
        if task is None:
            return
        if not _oxlog_prerun_is_last():  # a receiver connected since (a tracer's): next tasks
            run_inside_tracer_spans()
        req = task.request
        cid, rejected = _checked_correlation_id(getattr(req, CORRELATION_HEADER, None))
        if cid is None:  # eager (apply), or not received by an oxlog worker: the caller's, else new
            caller = context.current_correlation_id()
            cid = caller if correlation.is_valid(caller) else correlation.new_correlation_id()
        # sys.exc_info(): an eager task may run inside its caller's ``except``.
        run = _Run(task_id or getattr(req, "id", None), time.perf_counter(), sys.exc_info()[1],
                   _structlog_vars.snapshot())
        # The run is bound first and each token kept as soon as it exists: whatever fails
        # after this line, postrun finds the run and undoes what was done.
        run.own_token = _run.set(run)
        run.token = context.adopt(task_context(cid, req, task.name))
        if rejected:
            log_event(logger, "correlation_id_rejected", **rejected)
        if _written("task_started"):
            log_event(logger, "task_started",
                      queue_wait_ms=_queue_wait_ms(getattr(req, PUBLISHED_HEADER, None)))
    except Exception as exc:
        _receiver_failed("task_prerun", exc)


def task_postrun(task: Any = None, task_id: str | None = None, retval: Any = None,
                 state: str | None = None, **_: Any) -> None:
    """Log ``task_succeeded`` (or ``task_ignored``); restore exactly the context bound before the run.

    ``task_succeeded`` is logged here rather than from ``task_success``: Celery pays a
    signal dispatch per connected signal for every task, and this one runs anyway.
    """
    try:
        if task is None:
            return
        run = _current_run(task_id)  # None if task_prerun did not get as far as binding it
        try:
            # Celery sends task_postrun from a ``finally``: SUCCESS only says the body returned.
            # If storing the result or ``on_success`` raised, that exception is in flight here
            # and the task did not succeed (task_success, which oxlog no longer needs, is not sent).
            if state == SUCCESS:
                if _written("task_succeeded") and sys.exc_info()[1] is (run.exc if run else None):
                    fields: dict[str, Any] = {"duration_ms": _ms_since(run.started if run else None)}
                    if _settings().task_log_result:
                        fields["result"] = _args_text(retval)
                    log_event(logger, "task_succeeded", **fields)
            elif state == IGNORED and _written("task_ignored"):  # no other signal says so
                log_event(logger, "task_ignored", duration_ms=_ms_since(run.started if run else None))
        finally:
            if run is not None:  # even when logging failed: the next task must not inherit
                try:
                    _structlog_vars.restore(run.structlog)
                finally:  # and even when that failed: the run and the workflow context end
                    if run.own_token is not None:
                        _run.reset(run.own_token)
                    if run.token is not None:
                        context.reset(run.token)
    except Exception as exc:
        _receiver_failed("task_postrun", exc)


def _started(task_id: Any) -> float | None:
    run = _current_run(task_id)
    return run.started if run is not None else None


@_never_raises
def task_failure(sender: Any = None, task_id: str | None = None, exception: Any = None,
                 traceback: Any = None, **_: Any) -> None:
    """Log ``task_failed`` with the traceback, in the task or in the main process.

    Failures decided by the worker's main process (a lost child, a hard time
    limit) find the task's context in the request Celery pushes for the signal,
    or in the requests the main process received; Celery may signal the same
    failure twice there (time limit, then the pool's report): it is logged once.
    """
    fields: dict[str, Any] = {"error": _error_text(exception)}
    if isinstance(traceback, str):  # the main process gets the child's traceback as text
        fields["exception"] = traceback.rstrip("\n")
        exc_info = None
    else:
        exc_info = (type(exception), exception, traceback) if exception is not None else None
    if context.get_context().get("task_id") == task_id:
        log_event(logger, "task_failed", duration_ms=_ms_since(_started(task_id)), **fields,
                  exc_info=exc_info)
        return
    request = _live_request(task_id) if task_id else None
    if request is not None:
        if getattr(request, "_oxlog_failed", False):
            return
        request._oxlog_failed = True
    name = getattr(sender, "name", None)
    values = _main_process_context(task_id, name) or _pushed_context(sender, task_id, name)
    with _exactly(values):
        log_event(logger, "task_failed", **fields, exc_info=exc_info)


def _pushed_context(task: Any, task_id: str | None, name: str | None) -> dict[str, Any]:
    req = getattr(task, "request", None)
    if req is not None and getattr(req, "id", None) == task_id:
        return task_context(getattr(req, CORRELATION_HEADER, None), req, name)
    return {k: v for k, v in (("task_id", task_id), ("task_name", name)) if v is not None}


@_never_raises
def task_retry(request: Any = None, reason: Any = None, einfo: Any = None, **_: Any) -> None:
    """Log ``task_retrying`` with the reason and the countdown or ETA."""
    retry = reason if hasattr(reason, "when") else getattr(einfo, "exception", None)
    retry = getattr(retry, "exc", retry) if not hasattr(retry, "when") else retry
    when = getattr(retry, "when", None)
    fields: dict[str, Any] = {"reason": _error_text(getattr(retry, "exc", None) or reason)}
    if isinstance(when, (int, float)) and not isinstance(when, bool):
        fields["countdown"] = when
    elif when is not None:
        fields["eta"] = when
    log_event(logger, "task_retrying", **fields)


def _error_text(exc: Any) -> str | None:
    if exc is None:
        return None
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {safe_str(exc)}"
    return safe_str(exc)


# --- logging setup in worker and beat -------------------------------------------------


def setup_logging(loglevel: Any = None, logfile: Any = None, format: Any = None,
                  colorize: Any = None, **_: Any) -> None:
    """Celery's ``setup_logging``, in worker and beat: oxlog's logging, or Celery's own.

    oxlog has configured logging already when Django did (``LOGGING_CONFIG``);
    otherwise (a Celery app without Django) it configures it now. When the root
    logger has none of oxlog's handlers all the same (a ``LOGGING`` of the
    application's with ``OXLOG_MERGE_LOGGING = False``), that is said once on
    stderr with the fix, and Celery sets up its own logging as it would without
    oxlog: a receiver of this signal stops Celery from doing so, so this does it
    with Celery's own methods. Problems the system checks find in workers (a
    missing ``OXLOG_APPS``, a second Celery integration) are said here too: a worker
    runs no checks.
    """
    if not is_configured():
        configure()
    for key, text in _startup_problems():
        report(key, text)
    if root_has_oxlog_handlers():
        return
    report("celery:no-oxlog-handlers",
           "the root logger has none of oxlog's handlers (LOGGING replaced with "
           "OXLOG_MERGE_LOGGING = False, or LOGGING_CONFIG changed), so this process writes "
           "nothing to json.log or flat_line.log; Celery's own logging is set up instead. "
           "Fix: keep OXLOG_MERGE_LOGGING on (the default) or add oxlog's handlers to "
           "LOGGING['root']['handlers']")
    _celery_own_logging(loglevel, logfile, format, colorize)


def _startup_problems() -> list[tuple[str, str]]:
    """The system checks that matter in a worker or beat, as (key, text) pairs."""
    try:
        from django.conf import settings as django_settings

        if not django_settings.configured:
            return []
        # Django's check framework, loaded only where Django is set up: a Celery app
        # without Django does not pay for it.
        from oxlog import _checks

        found = [*_checks.check_apps(), *_checks.check_integrations()]
    except Exception:
        return []
    return [(f"check:{m.id}", f"{m.id}: {m.msg} Fix: {m.hint}") for m in found]


def _celery_own_logging(loglevel: Any, logfile: Any, format: Any, colorize: Any) -> None:
    """What ``celery.app.log.Logging.setup_logging_subsystem`` does when no receiver exists."""
    log = current_app.log
    root = logging.getLogger()
    if current_app.conf.worker_hijack_root_logger:
        root.handlers = []
        for name in ("celery", "celery.task", "celery.redirected"):
            get_logger(name).handlers = []
    log.setup_handlers(root, logfile, format, colorize)
    if loglevel:
        root.setLevel(loglevel)
    multiprocessing_logger = get_multiprocessing_logger()
    if multiprocessing_logger is not None:
        log.setup_handlers(multiprocessing_logger, logfile, format, colorize)
        multiprocessing_logger.setLevel(loglevel if MP_LOG else logging.ERROR)
    signals.after_setup_logger.send(sender=None, logger=root, loglevel=loglevel,
                                    logfile=logfile, format=format, colorize=colorize)
    log.setup_task_loggers(loglevel, logfile, colorize=colorize)


def run_inside_tracer_spans(**_: Any) -> None:
    """Put oxlog's ``task_prerun`` receiver last and its ``task_postrun`` receiver first.

    A tracer's Celery integration (OpenTelemetry's ``CeleryInstrumentor``, which its
    documentation has a worker instrument in ``worker_process_init``, after oxlog's
    receivers were connected) starts the task's span in ``task_prerun`` and ends it in
    ``task_postrun``: in this order ``task_started`` and ``task_succeeded`` are written
    while that span is current, so they carry its ``trace_id`` and ``span_id``. Runs at
    ``worker_process_init`` (after the application's receivers of that signal when they
    were connected first, as a ``celery.py`` does) and again from ``task_prerun`` when a
    receiver was connected after oxlog's since.
    """
    _move_receiver(signals.task_prerun, "oxlog.task_prerun", last=True)
    _move_receiver(signals.task_postrun, "oxlog.task_postrun", last=False)


def _move_receiver(signal: Any, uid: str, *, last: bool) -> None:
    with signal.lock:
        receivers = signal.receivers
        ours = [r for r in receivers if r[0][0] == uid]
        if not ours:
            return
        others = [r for r in receivers if r[0][0] != uid]
        receivers[:] = [*others, *ours] if last else [*ours, *others]
        signal.sender_receivers_cache.clear()


def _oxlog_prerun_is_last() -> bool:
    receivers = signals.task_prerun.receivers
    return not receivers or receivers[-1][0][0] == "oxlog.task_prerun"


def connect_startup() -> None:
    """Connect the ``setup_logging`` receiver alone (from ``LOGGING_CONFIG``, app or no app)."""
    signals.setup_logging.connect(setup_logging, weak=False, dispatch_uid="oxlog.setup_logging")


_RECEIVERS: dict[str, Callable[..., Any]] = {
    "before_task_publish": before_task_publish,
    "after_task_publish": after_task_publish,
    "task_received": task_received,
    "task_prerun": task_prerun,
    "task_postrun": task_postrun,
    "task_failure": task_failure,
    "task_retry": task_retry,
    "task_revoked": task_revoked,
    "task_rejected": task_rejected,
    "task_unknown": task_unknown,
    "setup_logging": setup_logging,
    "worker_process_init": run_inside_tracer_spans,
}


def connect() -> None:
    """Connect every receiver, once however many times this runs."""
    for name, receiver in _RECEIVERS.items():
        getattr(signals, name).connect(receiver, weak=False, dispatch_uid=f"oxlog.{name}")
    _follow_settings(_settings())
    on_configure(_follow_settings)
    _beat.install()
    _task_ids.install()


def _follow_settings(settings: Any) -> None:
    """Take the event levels of *settings*; connect ``after_task_publish`` only while
    ``task_enqueued`` is written.

    Celery pays a signal dispatch (about 15,000 instructions) for every publish to each
    connected receiver, whatever it does; ``task_enqueued`` is that receiver's only line.
    Decided when oxlog is configured (``OXLOG_EVENT_LEVELS``, ``OXLOG_LEVEL``, the
    ``LOGGING`` levels of ``oxlog``/``oxlog.celery``): a logger level changed later by
    code does not bring the event back.
    """
    global _event_levels
    _event_levels = {event: settings.event_level(event) for event in settings.event_levels}
    signal, uid = signals.after_task_publish, "oxlog.after_task_publish"
    if _events.isEnabledFor(settings.event_level("task_enqueued")):
        signal.connect(after_task_publish, weak=False, dispatch_uid=uid)
    else:
        signal.disconnect(after_task_publish, dispatch_uid=uid)
