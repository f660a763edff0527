"""Trace IDs on every line: the OpenTelemetry span that is current when a line is written.

:func:`trace_processor` gives a structlog-style processor for the shared chain (both
paths: structlog calls and plain ``logging`` records). When an OpenTelemetry span is
current — one started by opentelemetry-instrumentation-django or -celery, or by the
application — it adds, right after the workflow keys:

* ``trace_id``: the span's trace ID, 32 lowercase hex digits (W3C trace-id);
* ``span_id``: the span's ID, 16 lowercase hex digits (W3C parent-id);
* ``trace_sampled``: whether the trace is sampled (``True``/``False``).

With no span current nothing is added. OpenTelemetry's ``LoggingInstrumentor`` is not
needed: the span is read from OpenTelemetry's context directly. opentelemetry-api is an
optional dependency: :func:`trace_processor` gives ``None`` when it is not installed,
and the chain then has no tracing step at all (nothing is imported).

The lookup is cached: with OpenTelemetry's default context (a ``ContextVar``) a line
written with no span current costs one ``ContextVar.get`` and a dict lookup; the IDs of
a span are formatted once per span, not once per line.
"""

from __future__ import annotations

import random
from collections.abc import Callable, MutableMapping
from typing import Any

from oxlog import _schema

#: The keys the tracing step adds, in the order they are written.
TRACE_KEYS = _schema.TRACE_KEYS


class AddTraceContext:
    """The tracing step and its cache: :attr:`process` is what the chain calls.

    :attr:`process` adds ``trace_id``, ``span_id`` and ``trace_sampled`` of the current
    OpenTelemetry span; it is a plain function (a closure), not this object's
    ``__call__``: calling an instance costs about twice as much, on every record. It
    never raises: a broken tracer (a span whose context cannot be read) gives a line
    without the fields, not an exception.
    """

    __slots__ = ("_current_span", "_get_context", "_last", "_span_key", "process")

    def __init__(self, current_span: Callable[[], Any], context_var: Any = None,
                 span_key: str | None = None) -> None:
        #: ``opentelemetry.trace.get_current_span``: the public way, used when the fast
        #: way (OpenTelemetry's own context variable) is not available.
        self._current_span = current_span
        #: The last span context seen and its three fields (a span's lines share them).
        self._last: tuple[Any, tuple[str, str, bool] | None] = (None, None)
        self._get_context = context_var.get if context_var is not None else None
        self._span_key = span_key
        self.process = self._processor(context_var, span_key)

    def _processor(self, context_var: Any, span_key: str | None) -> Callable[..., Any]:
        span_fields, current_span = self._span_fields, self._current_span
        get_context = context_var.get if context_var is not None else None

        def add_trace_context(logger: Any, method_name: str,
                              event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
            """Add ``trace_id``, ``span_id``, ``trace_sampled`` of the current OpenTelemetry
            span; nothing when no span is current."""
            try:
                if get_context is not None:
                    ctx = get_context()
                    if not ctx:  # no span, no baggage: the usual line without a tracer
                        return event_dict
                    span = ctx.get(span_key)
                    if span is None:
                        return event_dict
                else:
                    span = current_span()
                fields = span_fields(span)
                if fields is not None:
                    event_dict["trace_id"], event_dict["span_id"], event_dict["trace_sampled"] = fields
            except Exception:  # a broken tracer: no fields, never an exception
                pass
            return event_dict

        return add_trace_context

    def _span_fields(self, span: Any) -> tuple[str, str, bool] | None:
        span_context = span.get_span_context()
        last = self._last
        if span_context is last[0]:
            return last[1]
        fields = _fields(span_context)
        self._last = (span_context, fields)
        return fields

    def current(self) -> tuple[str, str, bool] | None:
        """``(trace_id, span_id, sampled)`` of the current span, or ``None``; never raises."""
        try:
            if self._get_context is not None:
                ctx = self._get_context()
                span = ctx.get(self._span_key) if ctx else None
                if span is None:
                    return None
            else:
                span = self._current_span()
            return self._span_fields(span)
        except Exception:
            return None


def _fields(span_context: Any) -> tuple[str, str, bool] | None:
    """The three fields of a span context, or ``None`` for an invalid one (no span)."""
    trace_id, span_id = span_context.trace_id, span_context.span_id
    if (type(trace_id) is not int or type(span_id) is not int
            or not 0 < trace_id < 1 << 128 or not 0 < span_id < 1 << 64):
        return None
    return f"{trace_id:032x}", f"{span_id:016x}", bool(int(span_context.trace_flags) & 1)


#: The processor of the current configuration (``None`` without opentelemetry-api).
_active: AddTraceContext | None = None


def current_span_fields() -> tuple[str, str, bool] | None:
    """``(trace_id, span_id, sampled)`` of the current OpenTelemetry span, or ``None``."""
    return _active.current() if _active is not None else None


def traceparent(correlation_id: str | None) -> str | None:
    """A W3C ``traceparent`` for a Celery message that no tracer gave one.

    The current span's, when a span is current (a tracer without its Celery
    instrumentation); else one whose trace-id is *correlation_id* (32 hex digits, a
    UUID's without its dashes), with a parent-id made for that correlation ID in this
    process (every task a request publishes names the same parent: the request) and the
    sampled flag, so that a tracer in the worker joins the trace of the correlation ID.
    ``None`` when *correlation_id* cannot be a trace-id.
    """
    global _last
    fields = current_span_fields()
    if fields is not None:
        return f"00-{fields[0]}-{fields[1]}-{'01' if fields[2] else '00'}"
    last = _last
    if last[0] == correlation_id:  # a request's fan-out: made once (11 k instructions)
        return last[1]
    if not isinstance(correlation_id, str):
        return None
    trace_id = correlation_id.replace("-", "").lower()
    if len(trace_id) != 32 or trace_id.strip(_HEX) or not trace_id.strip("0"):
        return None
    parent_id = 0
    while not parent_id:  # a parent-id of all zeros is invalid
        parent_id = random.getrandbits(64)
    value = f"00-{trace_id}-{parent_id:016x}-01"
    _last = (correlation_id, value)
    return value


#: The last correlation ID :func:`traceparent` made a header for, and the header.
_last: tuple[str | None, str | None] = (None, None)
_HEX = "0123456789abcdef"


def trace_processor() -> Callable[..., Any] | None:
    """The tracing step for this process, or ``None`` when opentelemetry-api is not installed."""
    global _active
    _active = _make_processor()
    return _active.process if _active is not None else None


def _make_processor() -> AddTraceContext | None:
    try:
        # Optional dependency, imported once per configuration (a cold path).
        from opentelemetry import trace
    except Exception:  # not installed (or broken): no tracing step
        return None
    var, key = None, None
    try:
        # The fast way: OpenTelemetry's default runtime context is one ContextVar, and the
        # current span sits in it under trace.propagation._SPAN_KEY. Private names, so
        # checked here; anything else (OTEL_PYTHON_CONTEXT set to another runtime
        # context) uses the public get_current_span().
        from opentelemetry import context as otel_context
        from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
        from opentelemetry.trace import propagation

        runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
        key = getattr(propagation, "_SPAN_KEY", None)
        if type(runtime) is ContextVarsRuntimeContext and isinstance(key, str):
            var = getattr(runtime, "_current_context", None)
            if var is not None and not callable(getattr(var, "get", None)):
                var = None
    except Exception:
        var = None
    return AddTraceContext(trace.get_current_span, var, key if var is not None else None)
