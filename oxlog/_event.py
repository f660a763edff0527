"""The event dict: built once per record, the same way for both kinds of call.

Every line oxlog writes starts as an event dict made here. Its *head* —
``timestamp``, ``level``, ``logger``, the message, ``process`` — is built by
:func:`event_from_call` (a structlog call, in ``oxlog._logger``) or
:func:`event_from_record` (a ``LogRecord``: Django's, Celery's, any library's);
the call's own keys are parked under :data:`KW`, an exception under :data:`EXC_INFO`
and a stack request under :data:`STACK`, by :func:`park`, for both: keys that are
objects, not names, so that no call key (``_kw=``, ``_exc_info=``, ``extra={"_stack":
…}``) can pass for them. Then the one
installed chain of processors (:func:`install_chain`, built by :func:`build_chain`
from ``oxlog.processors``) adds the rest in the documented field order.

Building the dict in its final order once means every renderer writes it as it
stands, and ``json.log`` and ``flat_line.log`` share one event. This module also
owns what the head needs: the timestamp format, the process ID kept current across
``fork``, the level names and the configured message key.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from oxlog import _schema, _tracing, _values, processors
from oxlog._options import current_settings
from oxlog._report import report
from oxlog._values import foreign, free_key, nested_placeholder, placeholder, safe_repr, safe_str

Processor = Callable[[Any, str, Any], Any]
T = TypeVar("T")

#: The parking keys (``oxlog._schema``), typed ``Any`` so they index an event dict.
KW: Any = _schema.PARKED_KW
EXC_INFO: Any = _schema.PARKED_EXC_INFO
STACK: Any = _schema.PARKED_STACK


class _Options:
    """What the heads need from the configuration; set by :func:`install_chain`."""

    message_key = _schema.MESSAGE


options = _Options()

_LEVEL_NAMES = _schema.LEVEL_NAMES


def level_name(levelno: int) -> str:
    """The lower-case name of a level number (``20`` → ``"info"``)."""
    name = _LEVEL_NAMES.get(levelno)
    return name if name is not None else str(logging.getLevelName(levelno)).lower()


def _report_refused() -> None:
    report("nested", "a value's __str__ (or __repr__, __format__) logs while it is being "
           "converted, again and again; the innermost line has a placeholder in its place")


_values.on_refused = _report_refused


# --- timestamps ---------------------------------------------------------------

_second_cache: tuple[int, str] = (-1, "")


def format_timestamp(when: float) -> str:
    """ISO 8601 in UTC with microseconds and ``Z``: ``2026-12-01T20:01:02.000123Z``.

    The date-and-second prefix is cached: it changes once a second, not per line.
    """
    global _second_cache
    second = int(when)
    cached = _second_cache
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        _second_cache = cached
    return f"{cached[1]}.{int((when - second) * 1_000_000):06d}Z"


def milliseconds(seconds: float) -> float | None:
    """*seconds* in milliseconds, to the microsecond (``None`` beyond about 31 years, or NaN).

    The one conversion behind every ``duration_ms`` and ``queue_wait_ms``. ``round(ms, 3)``
    gives the same numbers (but for a thousandth at exact half-microsecond ties) at four
    times the cost: it rounds through a decimal string, three times per task.
    """
    microseconds = seconds * 1_000_000
    if -1e15 < microseconds < 1e15:  # not NaN, not an absurd header (~31 years)
        return round(microseconds) / 1000
    return None


# --- process id, kept current across fork (prefork children, gunicorn workers) --

PID = os.getpid()


def _after_fork() -> None:
    global PID
    PID = os.getpid()


os.register_at_fork(after_in_child=_after_fork)


def percent_format(template: object, args: Any) -> tuple[str, list[str] | None]:
    """``template % args``; on a ``%`` mistake, the template and the arguments' reprs.

    An argument's ``__str__`` or ``__format__`` is the application's code, and may log.
    While one formatting runs unguarded (:data:`_formatting`), any other — nested in this
    thread, or running in another — goes through :func:`oxlog._values.foreign`, which
    counts per thread: a ``__str__`` that logs cannot recurse. One global test and count
    instead of a check of every argument's type (a third of the cost, on every
    ``logging`` call with arguments). The count is not atomic in theory: a lost update
    only ever leaves it non-zero, which sends every formatting the careful way.
    """
    global _formatting
    if not _formatting and type(template) is str and type(args) is tuple:
        _formatting += 1
        try:
            return template % args if args else template, None
        except Exception:
            return template, [safe_repr(a) for a in args]
        finally:
            _formatting -= 1
    return foreign(_percent_format, (template, args), _nested_message)


#: How many unguarded formattings are running (see :func:`percent_format`).
_formatting = 0


def _percent_format(pair: tuple[object, Any]) -> tuple[str, list[str] | None]:
    template, args = pair
    try:
        text = template % args if args else template
    except Exception:
        return _text(template), [safe_repr(a) for a in _as_tuple(args)]
    return (text if type(text) is str else _text(text)), None


def _text(value: object) -> str:
    """The exact text of *value* (already inside :func:`~oxlog._values.foreign`)."""
    if isinstance(value, str):
        return str.__str__(value)
    try:
        text = str(value)
    except Exception:
        return placeholder(value)
    return text if type(text) is str else str.__str__(text)


def _as_tuple(args: Any) -> tuple[Any, ...]:
    return args if isinstance(args, tuple) else (args,)


def _nested_message(pair: tuple[object, Any]) -> tuple[str, list[str] | None]:
    template, args = pair
    message = str.__str__(template) if isinstance(template, str) else nested_placeholder(template)
    return message, [nested_placeholder(a) for a in _as_tuple(args)]


# --- the two heads ------------------------------------------------------------


def normalize_exc_info(exc_info: Any) -> tuple[Any, Any, Any] | None:
    """Turn ``exc_info=True`` / an exception / a tuple into a ``sys.exc_info()`` tuple."""
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[0] is not None:
        return exc_info
    return None


def park(event_dict: dict[str, Any], exc_info: Any, stack: Any) -> None:
    """Park an exception (a ``sys.exc_info()`` tuple) and a stack (text, or ``True`` for
    "the current one") for :func:`oxlog.processors.add_exception`, after the call's keys."""
    if exc_info:
        event_dict[EXC_INFO] = exc_info
    if stack:
        event_dict[STACK] = stack


def event_from_call(
    name: str, levelno: int, args: tuple[Any, ...], kw: dict[str, Any], bound: Mapping[str, Any],
    exc_info: tuple[Any, Any, Any] | None = None, stack: bool = False,
) -> dict[str, Any]:
    """The head of a structlog call's event dict; the call's keys are parked under :data:`KW`,
    and *exc_info* (see :func:`normalize_exc_info`) and *stack* as a record's are."""
    if args:
        event: Any = args[0]
        message, bad_args = percent_format(event, args[1:]) if len(args) > 1 else (event, None)
        if bad_args is not None:
            kw[_schema.MESSAGE_ARGS] = bad_args
    else:
        message = kw.pop("event", None)
        if message is None and options.message_key in kw:  # log.info(message="paid")
            message = kw.pop(options.message_key)
    if type(message) is not str:
        message = "" if message is None else safe_str(message)
    ed: dict[str, Any] = {
        "timestamp": format_timestamp(time.time()),
        "level": _LEVEL_NAMES.get(levelno) or level_name(levelno),
        "logger": name,
        options.message_key: message,
        "process": PID,
    }
    if bound:
        kw = {**bound, **kw}
    if kw:
        ed[KW] = kw
    if exc_info or stack:
        park(ed, exc_info, stack)
    return ed


#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``.
RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None))
) | {"message", "asctime", "_oxlog_event", "taskName"}


_PLAIN_RECORD_SIZE = len(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def event_from_record(record: logging.LogRecord) -> dict[str, Any]:
    """The event dict of a stdlib record, built once and cached on the record.

    A record logged with few frames left (near the recursion limit) is built again with
    :data:`HEADROOM` more frames: it is written whole, not as a placeholder.
    """
    ed: dict[str, Any] | None = record.__dict__.get("_oxlog_event")
    if ed is None:
        try:  # _build_from_record inline: this runs for every record
            ed = _record_head(record)
            # Most records carry no extra=, exception or stack: skip the processors that
            # would only find nothing to do.
            chain = _chain if (KW in ed or EXC_INFO in ed or STACK in ed) else _short_chain
            for proc in chain:
                ed = proc(None, "", ed)
        except RecursionError:
            ed = with_headroom(_build_from_record, record)
        record._oxlog_event = ed
    return ed


def _build_from_record(record: logging.LogRecord) -> dict[str, Any]:
    """:func:`event_from_record`'s build, for its second try (with more frames)."""
    ed: Any = _record_head(record)
    chain = _chain if (KW in ed or EXC_INFO in ed or STACK in ed) else _short_chain
    for proc in chain:
        ed = proc(None, "", ed)
    return ed  # type: ignore[no-any-return]


#: Frames lent to a record, or its placeholder, made at the recursion limit: enough
#: for the whole way down to the handlers' write (about 40 frames), with a margin.
HEADROOM = 200


def with_headroom(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` with the recursion limit raised by :data:`HEADROOM` frames.

    Only after a ``RecursionError``, on a cold path. The limit is the interpreter's, not
    the thread's: another thread that reaches it meanwhile has the same margin. It is put
    back afterwards; where the stack is still too deep for that (Python refuses a limit
    below the current depth), :func:`settle` puts it back at the next structlog call (a
    plain ``logging`` call does not check, to keep its path short; the next lend starts
    from the application's limit all the same).
    """
    global lent, pending
    limit = lent if lent else sys.getrecursionlimit()
    sys.setrecursionlimit(limit + HEADROOM)
    try:
        return call(*args)
    finally:
        try:
            sys.setrecursionlimit(limit)
            lent = 0
        except RecursionError:
            lent = pending = limit


#: The recursion limit :func:`with_headroom` could not put back yet (0: none).
lent = 0


def settle() -> None:
    """Finish what a call at the recursion limit could not, from a call with frames to spare:
    put back the recursion limit lent by :func:`with_headroom` (unless the application
    changed it since) and report the records lost for want of any frame at all.

    structlog calls run it when :data:`pending` is set: one global test per call otherwise.
    """
    global lent, lost, lost_total, pending
    pending = 0
    limit, lent = lent, 0
    try:
        if limit and sys.getrecursionlimit() == limit + HEADROOM:
            sys.setrecursionlimit(limit)
    except RecursionError:
        lent = pending = limit
    if lost:
        count, lost = lost, 0
        lost_total += count
        report("lost-at-limit", f"{count} log call(s) made at the very recursion limit (not one "
               "frame left) could not be written, not even as a placeholder; dropped "
               "(oxlog._event.lost_total counts them)")


#: Set when :func:`settle` has work: a limit to put back, lost records to report.
pending = 0
#: Records dropped at the recursion limit since the last :func:`settle`, and in all.
lost = 0
lost_total = 0


def _record_head(record: logging.LogRecord) -> dict[str, Any]:
    msg, args = record.msg, record.args
    if not args and type(msg) is str:  # the common case, without a call
        message, bad_args = msg, None
    else:
        message, bad_args = percent_format(msg, args or ())
    ed: dict[str, Any] = {
        "timestamp": format_timestamp(record.created),
        "level": _LEVEL_NAMES.get(record.levelno) or level_name(record.levelno),
        "logger": record.name,
        options.message_key: message,
        "process": record.process,
    }
    attrs = record.__dict__
    extra: dict[Any, Any] = {}
    if len(attrs) != _PLAIN_RECORD_SIZE:  # a record without extra= has exactly these
        extra_keys = attrs.keys() - RECORD_ATTRS
        if extra_keys:
            extra = {k: v for k, v in attrs.items() if k in extra_keys}
    if extra and not all(type(k) is str for k in extra):  # extra={1: …}: keys become text
        extra = _text_keys(extra)
    if bad_args is not None:
        extra[_schema.MESSAGE_ARGS] = bad_args
    if extra:
        ed[KW] = extra
    exc_info = record.exc_info
    if (exc_info and exc_info[0] is not None) or record.stack_info:
        park(ed, exc_info if exc_info and exc_info[0] is not None else None, record.stack_info)
    return ed


def _text_keys(extra: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in extra.items():
        out[free_key(out, key if type(key) is str else safe_str(key))] = value
    return out


def rerun_with_added(event_dict: Mapping[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """*event_dict* again with *added* (attributes a logger filter set on its record) as
    call keys: the whole chain runs over it, as over a record with those ``extra=`` keys."""
    ed: Any = {**event_dict, KW: added}
    for proc in _chain:
        ed = proc(None, "", ed)
    return ed  # type: ignore[no-any-return]


def fallback_event(event_dict: Mapping[str, Any] | None, record: logging.LogRecord | None,
                   error: BaseException) -> dict[str, Any]:
    """A minimal, always-renderable stand-in for a record that could not be made or rendered.

    Its head is taken from *event_dict* or *record* where it can be read, and
    ``oxlog_error`` names the failure.
    """
    source: Mapping[str, Any] = event_dict if isinstance(event_dict, Mapping) else {}
    key = options.message_key

    def pick(name: str, from_record: Callable[[logging.LogRecord], Any], default: Any) -> str:
        try:
            value = source.get(name) if source else None
            if value is None and record is not None:
                value = from_record(record)
            text = "" if value is None else safe_str(value)
        except Exception:
            text = ""
        return text or safe_str(default)

    return {
        "timestamp": pick("timestamp", lambda r: format_timestamp(r.created),
                          format_timestamp(time.time())),
        "level": pick("level", lambda r: r.levelname.lower(), "error"),
        "logger": pick("logger", lambda r: r.name, ""),
        key: pick(key, lambda r: r.msg, ""),
        "process": PID,
        "oxlog_error": f"this record could not be rendered: {type(error).__name__}",
    }


def log_event(logger: Any, event: str, **fields: Any) -> None:
    """Log oxlog's own *event* (``task_started``, …) with *fields*, at the level
    ``OXLOG_EVENT_LEVELS`` gives it."""
    logger.log(current_settings().event_level(event), event, **fields)


# --- the chain both paths run ---------------------------------------------------

_chain: list[Processor] = []
#: The chain without the processors that only handle call keys, exceptions and stacks.
_short_chain: list[Processor] = []


def build_chain(
    *,
    static_fields: Mapping[str, Any],
    redact_keys: tuple[str, ...] | None,
    max_value_length: int,
    message_key: str,
) -> list[Processor]:
    """The processor chain for a configuration, in the order fields are written."""
    owned = {*_schema.HEAD_KEYS, message_key, *_schema.WORKFLOW_KEYS, *_schema.TRACE_KEYS,
             *static_fields}
    chain: list[Processor] = [processors.add_workflow_context]
    # trace_id, span_id, trace_sampled right after the workflow keys (when OpenTelemetry
    # is installed and a span is current): the documented field order.
    trace = _tracing.trace_processor()
    if trace is not None:
        chain.append(trace)
    chain.append(processors.merge_contextvars)
    if any(v is not None for v in static_fields.values()):
        chain.append(processors.AddStaticFields(static_fields))
    chain += [processors.MergeCallKeys(owned), processors.add_exception]
    # Always there: without redaction (None) it still converts every value once.
    chain.append(processors.Redactor(redact_keys or ()))
    if max_value_length:
        chain.append(processors.Truncator(max_value_length))
    return chain


def install_chain(chain: list[Processor], message_key: str) -> list[Processor]:
    """Make *chain* the one both paths run (in place, so cached loggers see it too)."""
    options.message_key = message_key
    _chain[:] = chain
    _short_chain[:] = [p for p in chain if not getattr(p, "call_data_only", False)]
    return _chain
