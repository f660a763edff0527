"""The processors that turn a log call or a ``LogRecord`` into oxlog's event dict.

Both paths start from the same *head* — ``timestamp``, ``level``, ``logger``, the
message, ``process`` — built by :func:`event_from_call` (structlog calls) or
:func:`event_from_record` (plain ``logging`` records: Django's, Celery's,
third-party libraries'), with the call's own keys parked under ``"_kw"``. Then one
chain of processors, shared by both paths (:func:`build_chain`), adds the rest in
the documented field order: workflow context, user-bound structlog context,
``service``/``env``, the call's keys, ``exception``, then redaction.

Building the dict in its final order once means every renderer writes it as it
stands and two renderers (``json.log`` and ``flat_line.log``) share one event.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import structlog

from oxlog import context as _context
from oxlog.values import placeholder, safe_repr, safe_str, to_jsonable

EventDict = MutableMapping[str, Any]
Processor = Any  # structlog.typing.Processor, kept loose for speed-minded callables

HEAD_KEYS = ("timestamp", "level", "logger", "message", "process")
REDACTED = "[REDACTED]"

_LEVEL_NAMES = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}


def level_name(levelno: int) -> str:
    """The lower-case name of a level number (``20`` → ``"info"``)."""
    name = _LEVEL_NAMES.get(levelno)
    return name if name is not None else str(logging.getLevelName(levelno)).lower()


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


# --- process id, kept current across fork (prefork children, gunicorn workers) --

PID = os.getpid()


def _after_fork() -> None:
    global PID
    PID = os.getpid()


os.register_at_fork(after_in_child=_after_fork)


def percent_format(template: object, args: tuple[Any, ...]) -> tuple[str, list[str] | None]:
    """``template % args``; on a ``%`` mistake, the template and the arguments' reprs."""
    try:
        text = template % args if args else template  # type: ignore[operator]
    except Exception:
        return safe_str(template), [safe_repr(a) for a in args]
    return (text if type(text) is str else safe_str(text)), None


# --- the two heads ------------------------------------------------------------


class _Options:
    """What the heads need from the configuration; set by :func:`oxlog.configure`."""

    message_key = "message"


options = _Options()


def event_from_call(
    name: str, levelno: int, args: tuple[Any, ...], kw: dict[str, Any], bound: Mapping[str, Any]
) -> dict[str, Any]:
    """The head of a structlog call's event dict; the call's keys go under ``"_kw"``."""
    if args:
        event: Any = args[0]
        message, bad_args = percent_format(event, args[1:]) if len(args) > 1 else (event, None)
        if bad_args is not None:
            kw["message_args"] = bad_args
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
        ed["_kw"] = kw
    return ed


#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``.
RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None))
) | {"message", "asctime", "_oxlog_event", "taskName"}


_PLAIN_RECORD_SIZE = len(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def event_from_record(record: logging.LogRecord) -> dict[str, Any]:
    """The event dict of a stdlib record, built once and cached on the record."""
    ed: dict[str, Any] | None = record.__dict__.get("_oxlog_event")
    if ed is None:
        ed = _record_head(record)
        # Most records carry no extra=, exception or stack: skip the processors that
        # would only find nothing to do (this runs for every record).
        chain = _chain if ("_kw" in ed or "_exc_info" in ed or "_stack" in ed) else _short_chain
        for proc in chain:
            ed = proc(None, "", ed)
        record._oxlog_event = ed
    return ed


def _record_head(record: logging.LogRecord) -> dict[str, Any]:
    msg, args = record.msg, record.args
    if not args and type(msg) is str:  # the common case, without a call
        message, bad_args = msg, None
    else:
        message, bad_args = percent_format(msg, args or ())  # type: ignore[arg-type]
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
        extra["message_args"] = bad_args
    if extra:
        ed["_kw"] = extra
    if record.exc_info and record.exc_info[0] is not None:
        ed["_exc_info"] = record.exc_info
    if record.stack_info:
        ed["_stack"] = record.stack_info
    return ed


def _text_keys(extra: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in extra.items():
        name = key if type(key) is str else safe_str(key)
        while name in out:
            name = "_" + name
        out[name] = value
    return out


# --- the shared chain -----------------------------------------------------------

_chain: list[Processor] = []
#: The chain without the processors that only handle call keys, exceptions and stacks.
_short_chain: list[Processor] = []


def add_workflow_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the workflow context: correlation ID, task ID, name, parent and root.

    The correlation ID falls back to django-guid's when oxlog has none bound (a web
    request that has not published anything yet).
    """
    ctx = _context._workflow.get()
    if ctx:
        event_dict.update(ctx)
    if "correlation_id" not in event_dict:
        guid = _context.guid_var.get() if _context.guid_var is not None else None
        if guid:
            event_dict["correlation_id"] = guid
    return event_dict


#: Add what the user (or django-structlog: ``request_id``, ``user_id``, ``ip``) bound:
#: structlog's own processor, which never overrides what oxlog already set.
merge_contextvars = structlog.contextvars.merge_contextvars


class AddStaticFields:
    """Add fixed fields of the process: ``service`` and ``env`` when configured."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.update(self.fields)
        return event_dict


class MergeCallKeys:
    """Add the call's own keys (and a record's ``extra=``) after everything oxlog adds.

    A key that would overwrite one of oxlog's fields (``timestamp``, ``level``,
    ``logger``, the message, ``process``, a bound workflow key, ``service``, ``env``,
    and always ``exception`` and ``stack``, which oxlog adds after the call's keys)
    is kept under the same name with a ``_`` prefix instead: oxlog's field always
    wins and never appears twice.
    """

    __slots__ = ("_any", "owned")

    ALWAYS_OWNED = frozenset({"exception", "stack"})
    call_data_only = True  # nothing to do without "_kw": skipped then (see event_from_record)

    def __init__(self, owned: Iterable[str]) -> None:
        self.owned = frozenset(owned)
        self._any = self.owned | self.ALWAYS_OWNED

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        kw = event_dict.pop("_kw", None)
        if kw:
            if self._any.isdisjoint(kw):  # the usual case, at C speed
                event_dict.update(kw)
                return event_dict
            owned, always = self.owned, self.ALWAYS_OWNED
            for key, value in kw.items():
                if (key in owned and key in event_dict) or key in always:
                    key = _free_name(event_dict, key)
                event_dict[key] = value
        return event_dict


def _free_name(event_dict: EventDict, key: str) -> str:
    key = "_" + key
    while key in event_dict:
        key = "_" + key
    return key


def add_exception(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``exception``: the formatted traceback as one string, without frame locals."""
    exc_info = event_dict.pop("_exc_info", None)
    if exc_info:
        event_dict["exception"] = format_exception(exc_info)
    stack = event_dict.pop("_stack", None)
    if stack:
        event_dict["stack"] = stack if isinstance(stack, str) else format_stack()
    return event_dict


add_exception.call_data_only = True  # type: ignore[attr-defined]


def normalize_exc_info(exc_info: Any) -> tuple[Any, Any, Any] | None:
    """Turn ``exc_info=True`` / an exception / a tuple into a ``sys.exc_info()`` tuple."""
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[0] is not None:
        return exc_info
    return None


def format_exception(exc_info: tuple[Any, Any, Any]) -> str:
    """The traceback of *exc_info* as text (the standard format, never frame locals)."""
    try:
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    except Exception:
        return f"{placeholder(exc_info[1])} (its traceback could not be formatted)"


def format_stack() -> str:
    """The current stack as text, for ``stack_info=True``."""
    return "".join(traceback.format_stack()[:-3]).rstrip("\n")


_CONTAINERS = (dict, list, tuple)
_PLAIN = (int, float, bool, type(None))


class Redactor:
    """Mask secrets: values of sensitive keys at any depth, and sensitive URL parameters.

    A key is sensitive when it contains one of *keys* (case-insensitive), so
    ``password``, ``db_password``, ``X-CSRFToken`` and ``HTTP_AUTHORIZATION`` are
    all masked. In text values (``GET /login?token=abc``) the values of sensitive
    query parameters are masked. Decisions per key name are cached: a log call
    pays a dict lookup per key, not a regular-expression search.
    """

    __slots__ = ("_cache", "_key_re", "_query_re")  # TRUSTED is a class constant

    def __init__(self, keys: Iterable[str]) -> None:
        words = "|".join(re.escape(k) for k in keys if k) or r"(?!x)x"
        self._key_re = re.compile(words, re.IGNORECASE)
        self._query_re = re.compile(
            rf"([?&;][^=&#\s\"'<>]*(?:{words})[^=&#\s\"'<>]*=)[^&#\s\"'<>]*", re.IGNORECASE
        )
        self._cache: dict[str, bool] = {}

    def is_sensitive(self, key: str) -> bool:
        """Whether values under *key* are masked."""
        hit = self._cache.get(key)
        if hit is None:
            hit = bool(self._key_re.search(key)) if isinstance(key, str) else False
            if len(self._cache) < 10_000:
                self._cache[key] = hit
        return hit

    def redact_text(self, text: str) -> str:
        """Mask the values of sensitive query-string parameters in *text*."""
        if "=" not in text or ("?" not in text and "&" not in text and ";" not in text):
            return text  # no query string: skip the regular expression
        return self._query_re.sub(r"\1" + REDACTED, text)

    #: Fields oxlog writes itself (IDs, names, numbers): never secret, never URLs.
    TRUSTED = frozenset({"timestamp", "level", "logger", "process", *_context.WORKFLOW_KEYS,
                         "service", "env"})

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        cache = self._cache
        for key in event_dict.keys() - self.TRUSTED:  # a C-speed set difference
            value = event_dict[key]
            sensitive = cache.get(key)  # inlined is_sensitive: this loop runs on every line
            if sensitive is None:
                sensitive = self.is_sensitive(key)
            if sensitive:
                if value is not None and value != "":
                    event_dict[key] = REDACTED
            elif type(value) is str:
                if "=" in value:
                    event_dict[key] = self.redact_text(value)
            elif type(value) in _PLAIN:
                continue
            elif type(value) in _CONTAINERS:
                event_dict[key] = self.redact_value(value, 0)
            else:  # a request, a URL object: judge its text
                text = to_jsonable(value)
                if type(text) is str and "=" in text:
                    event_dict[key] = self.redact_text(text)
        return event_dict

    def redact_value(self, value: Any, depth: int, seen: frozenset[int] = frozenset()) -> Any:
        """A copy of a nested dict/list/tuple with sensitive parts masked.

        A container met again inside itself becomes ``"<recursive dict>"``.
        """
        if isinstance(value, (Mapping, list, tuple)):
            if id(value) in seen or depth > 50:
                return f"<recursive {type(value).__name__}>"
            seen = seen | {id(value)}
        if isinstance(value, Mapping):
            try:
                return {
                    k: (REDACTED if self.is_sensitive(safe_str(k))
                        else self.redact_value(v, depth + 1, seen))
                    for k, v in value.items()
                }
            except Exception:
                return value
        if isinstance(value, (list, tuple)):
            items = [self.redact_value(v, depth + 1, seen) for v in value]
            return tuple(items) if isinstance(value, tuple) else items
        if type(value) is str and "=" in value:
            return self.redact_text(value)
        return value


class Truncator:
    """Cut text values longer than *limit* characters, saying so (``OXLOG_MAX_VALUE_LENGTH``)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        limit = self.limit
        for key, value in event_dict.items():
            if type(value) is str and len(value) > limit:
                cut = len(value) - limit
                event_dict[key] = f"{value[:limit]}…[truncated {cut} characters]"
        return event_dict


def build_chain(
    *,
    static_fields: Mapping[str, Any],
    redactor: Redactor | None,
    max_value_length: int,
    message_key: str,
) -> list[Processor]:
    """The shared processor chain for a configuration, in the order fields are written."""
    owned = {*HEAD_KEYS, message_key, *_context.WORKFLOW_KEYS, *static_fields}
    chain: list[Processor] = [
        add_workflow_context,
        merge_contextvars,
    ]
    if any(v is not None for v in static_fields.values()):
        chain.append(AddStaticFields(static_fields))
    chain += [MergeCallKeys(owned), add_exception]
    if redactor is not None:
        chain.append(redactor)
    if max_value_length:
        chain.append(Truncator(max_value_length))
    return chain


def install_chain(chain: list[Processor], message_key: str) -> list[Processor]:
    """Make *chain* the one both paths run (in place, so cached loggers see it too)."""
    options.message_key = message_key
    _chain[:] = chain
    _short_chain[:] = [p for p in chain if not getattr(p, "call_data_only", False)]
    return _chain
