"""The names oxlog writes and reads: fields, events, levels and message headers.

One module, imported by the writer (the event dict, the Celery receivers, the
middleware) and by the reader (``oxlog trace``/``stats``/``lost``), so a name
changed here changes on both sides. It imports nothing: the CLI reads logs
without loading structlog, Django or Celery, and any module may import it
without an import circle.
"""

from __future__ import annotations

# --- fields, in the order every line writes them ---------------------------------------

TIMESTAMP = "timestamp"
LEVEL = "level"
LOGGER = "logger"
#: The message's default key (``OXLOG_MESSAGE_KEY`` may make it ``event`` or ``msg``).
MESSAGE = "message"
MESSAGE_KEYS = ("message", "event", "msg")
PROCESS = "process"
#: The head of every line, in order (the message under its configured key).
HEAD_KEYS = (TIMESTAMP, LEVEL, LOGGER, MESSAGE, PROCESS)

CORRELATION_ID = "correlation_id"
REQUEST_ID = "request_id"
TASK_ID = "task_id"
TASK_NAME = "task_name"
PARENT_TASK_ID = "parent_task_id"
ROOT_TASK_ID = "root_task_id"
RETRIES = "retries"
#: The workflow context, in the order it is written on every line.
WORKFLOW_KEYS = (CORRELATION_ID, REQUEST_ID, TASK_ID, TASK_NAME, PARENT_TASK_ID, ROOT_TASK_ID,
                 RETRIES)

TRACE_ID = "trace_id"
SPAN_ID = "span_id"
TRACE_SAMPLED = "trace_sampled"
#: The current OpenTelemetry span's fields (``oxlog._tracing``), right after the workflow keys.
TRACE_KEYS = (TRACE_ID, SPAN_ID, TRACE_SAMPLED)

SERVICE = "service"
ENV = "env"
#: Fixed fields of the process (``OXLOG_SERVICE``, ``OXLOG_ENV``), after the context.
STATIC_KEYS = (SERVICE, ENV)

EXCEPTION = "exception"
STACK = "stack"
#: Written by oxlog after the call's own keys: a call key of this name is kept as ``_NAME``.
TAIL_KEYS = (EXCEPTION, STACK)



class _Parked:
    """A key of the event dict no caller can pass: not a ``str``, so never equal to one."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<parked {self.name}>"


#: Where the head parks what the processors add after it (``oxlog._event.park``): the
#: call's own keys, an exception and a stack request. They are objects, not names, so a
#: call key ``_kw``, ``_exc_info`` or ``_stack`` is just a field; the processors pop them
#: before any renderer sees the event.
PARKED_KW: object = _Parked("kw")
PARKED_EXC_INFO: object = _Parked("exc_info")
PARKED_STACK: object = _Parked("stack")

#: Fields of oxlog's events.
CHILD_TASK_ID = "child_task_id"
CHILD_TASK_NAME = "child_task_name"
QUEUE = "queue"
ETA = "eta"
QUEUE_WAIT_MS = "queue_wait_ms"
DURATION_MS = "duration_ms"
MESSAGE_ARGS = "message_args"

# --- events -------------------------------------------------------------------------------

TASK_ENQUEUED = "task_enqueued"
TASK_RECEIVED = "task_received"
TASK_STARTED = "task_started"
TASK_SUCCEEDED = "task_succeeded"
TASK_FAILED = "task_failed"
TASK_RETRYING = "task_retrying"
TASK_IGNORED = "task_ignored"
TASK_REVOKED = "task_revoked"
TASK_REJECTED = "task_rejected"
TASK_UNKNOWN = "task_unknown"
COMMAND_STARTED = "command_started"
COMMAND_FINISHED = "command_finished"
COMMAND_FAILED = "command_failed"
CORRELATION_ID_REJECTED = "correlation_id_rejected"
#: django-structlog's request events (oxlog adds ``duration_ms`` to the last two).
REQUEST_STARTED = "request_started"
REQUEST_FINISHED = "request_finished"
REQUEST_FAILED = "request_failed"

#: The events oxlog logs itself, with their default levels (``OXLOG_EVENT_LEVELS``).
EVENT_LEVELS = {
    TASK_ENQUEUED: "INFO",
    TASK_RECEIVED: "INFO",
    TASK_STARTED: "INFO",
    TASK_SUCCEEDED: "INFO",
    TASK_FAILED: "ERROR",
    TASK_RETRYING: "WARNING",
    TASK_IGNORED: "INFO",
    TASK_REVOKED: "WARNING",
    TASK_REJECTED: "WARNING",
    TASK_UNKNOWN: "ERROR",
    COMMAND_STARTED: "INFO",
    COMMAND_FINISHED: "INFO",
    COMMAND_FAILED: "ERROR",
    CORRELATION_ID_REJECTED: "WARNING",
}

# --- levels -----------------------------------------------------------------------------

#: The level names oxlog accepts in its settings, in order.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: A level number and its name as written in the ``level`` field.
LEVEL_NAMES = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
#: structlog's method names (and ``log("warn", …)`` names) and their level numbers.
METHOD_LEVELS = {
    "debug": 10,
    "info": 20,
    "msg": 20,
    "warning": 30,
    "warn": 30,
    "error": 40,
    "exception": 40,
    "critical": 50,
    "fatal": 50,
}

# --- headers ----------------------------------------------------------------------------

#: Celery message headers oxlog adds at publish: the correlation ID, and the publish
#: time (seconds since the epoch) the queue wait is measured from.
CORRELATION_HEADER = "oxlog_correlation_id"
PUBLISHED_HEADER = "oxlog_published_at"
#: W3C Trace Context's header, as OpenTelemetry's Celery instrumentation writes and reads it.
TRACEPARENT_HEADER = "traceparent"
#: HTTP request headers an incoming correlation ID is read from, in order: oxlog's own,
#: django-correlation-id's and most load balancers' (nginx, Heroku), and W3C Trace
#: Context's ``traceparent`` (its trace-id is 32 lowercase hex, a canonical ID).
REQUEST_HEADERS = ("Correlation-ID", "X-Correlation-ID", "X-Request-ID", "traceparent")
