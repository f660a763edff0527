"""The processors of oxlog's chain: each a small callable that adds or changes fields.

They run, in this order, over the event dict ``oxlog._event`` builds for every record
(structlog calls and plain ``logging`` records alike; :func:`oxlog._event.build_chain`
assembles them for a configuration): the workflow context, what the code bound with
structlog, ``service``/``env``, the call's own keys, ``exception``, then redaction and
truncation. Like ``structlog.processors``, each takes ``(logger, method_name,
event_dict)`` and returns the event dict.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import structlog

from oxlog import _schema
from oxlog import context as _context
from oxlog._values import free_key, placeholder, safe_str, to_jsonable

EventDict = MutableMapping[str, Any]

REDACTED = "[REDACTED]"


def add_workflow_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the workflow context: correlation ID, task ID, name, parent and root.

    The correlation ID falls back to django-guid's when oxlog has none bound (a web
    request that has not published anything yet); it comes first either way, as the
    field order says.
    """
    ctx = _context._workflow.get()
    if "correlation_id" not in ctx:
        guid = _context.guid_var.get() if _context.guid_var is not None else None
        if guid:
            event_dict["correlation_id"] = guid
    if ctx:
        event_dict.update(ctx)
    return event_dict


#: The variables ``structlog.contextvars.bind_contextvars`` made, by their names
#: (``structlog_<key>``): structlog's own registry, read, never changed.
_STRUCTLOG_VARS: dict[str, Any] | None = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
_PREFIX_LEN = len(structlog.contextvars.STRUCTLOG_KEY_PREFIX)
#: (variable, key) for each of them, and how many there were when it was made.
_known: tuple[tuple[tuple[Any, str], ...], int] = ((), 0)


def _merge_contextvars(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add what the code bound with ``structlog.contextvars`` (django-structlog's
    ``request_id``, ``user_id``, ``ip``, the application's keys), never overriding a key
    oxlog set already.

    ``structlog.contextvars.merge_contextvars`` gives the same fields, but it copies the
    whole context and tests the name of every variable in it on every call — Django's,
    asgiref's, django-guid's and oxlog's too: 0.4 µs with one variable, 1.2 µs in a Django
    process with three, on every record. This one asks structlog's own variables only
    (one ``ContextVar.get`` each), and learns them again when ``bind_contextvars`` made a new
    one. Keys come in the order they were first bound. ``tests/test_processors.py`` holds it
    to structlog's processor, binding, unbinding and resetting in threads and asyncio tasks.
    """
    global _known
    pairs, size = _known
    if size != len(_STRUCTLOG_VARS):  # type: ignore[arg-type]
        items = list(_STRUCTLOG_VARS.items())  # type: ignore[union-attr]  # one C call: atomic
        pairs = tuple((var, name[_PREFIX_LEN:]) for name, var in items)
        _known = (pairs, len(items))
    for var, key in pairs:
        value = var.get(Ellipsis)
        if value is not Ellipsis:
            event_dict.setdefault(key, value)
    return event_dict


#: structlog's own processor where its registry is not where oxlog reads it (a future
#: structlog): the same fields, at structlog's cost.
merge_contextvars = (_merge_contextvars if isinstance(_STRUCTLOG_VARS, dict)
                     else structlog.contextvars.merge_contextvars)


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

    ALWAYS_OWNED = frozenset(_schema.TAIL_KEYS)
    call_data_only = True  # nothing to do without "_kw": skipped then (_event.event_from_record)

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
                    key = free_key(event_dict, "_" + key)
                event_dict[key] = value
        return event_dict


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
    TRUSTED = frozenset({_schema.TIMESTAMP, _schema.LEVEL, _schema.LOGGER, _schema.PROCESS,
                         *_schema.WORKFLOW_KEYS, *_schema.TRACE_KEYS, *_schema.STATIC_KEYS})

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
