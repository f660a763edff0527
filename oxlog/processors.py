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
from collections.abc import ItemsView, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

import structlog

from oxlog import _schema, _structlog_vars
from oxlog import context as _context
from oxlog._values import (
    foreign,
    free_key,
    key_text,
    nested_placeholder,
    placeholder,
    to_jsonable,
)

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


def _merge_contextvars(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add what the code bound with ``structlog.contextvars`` (django-structlog's
    ``request_id``, ``user_id``, ``ip``, the application's keys), never overriding a key
    oxlog set already.

    ``structlog.contextvars.merge_contextvars`` gives the same fields, but it copies the
    whole context and tests the name of every variable in it on every call — Django's,
    asgiref's, django-guid's and oxlog's too: 0.4 µs with one variable, 1.2 µs in a Django
    process with three, on every record. This one asks structlog's own variables only
    (one ``ContextVar.get`` each, :mod:`oxlog._structlog_vars`), and learns them again when
    ``bind_contextvars`` made a new one. Keys come in the order they were first bound.
    ``tests/test_processors.py`` holds it to structlog's processor, binding, unbinding and
    resetting in threads and asyncio tasks.
    """
    pairs, size = _structlog_vars.known
    if size != len(_STRUCTLOG_VARS):  # type: ignore[arg-type]
        pairs = _structlog_vars.refresh()
    for var, key in pairs:
        value = var.get(Ellipsis)
        if value is not Ellipsis:
            event_dict.setdefault(key, value)
    return event_dict


_STRUCTLOG_VARS = _structlog_vars.REGISTRY
#: structlog's own processor where its registry is not where oxlog reads it (a future
#: structlog): the same fields, at structlog's cost.
merge_contextvars = (_merge_contextvars if _STRUCTLOG_VARS is not None
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
    call_data_only = True  # nothing to do without parked keys: skipped then (_event.event_from_record)

    def __init__(self, owned: Iterable[str]) -> None:
        self.owned = frozenset(owned)
        self._any = self.owned | self.ALWAYS_OWNED

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        kw = event_dict.pop(_PARKED_KW, None)
        if kw:
            if self._any.isdisjoint(kw):  # the usual case, at C speed
                event_dict.update(kw)
                return event_dict
            owned, always = self.owned, self.ALWAYS_OWNED
            for key, value in kw.items():
                if (key in owned and key in event_dict) or key in always:
                    # "_level" must not be a call key of its own either: it would overwrite.
                    key = "_" + key
                    while key in event_dict or key in kw:
                        key = "_" + key
                event_dict[key] = value
        return event_dict


_PARKED_KW: Any = _schema.PARKED_KW
_PARKED_EXC_INFO: Any = _schema.PARKED_EXC_INFO
_PARKED_STACK: Any = _schema.PARKED_STACK


def add_exception(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``exception``: the formatted traceback as one string, without frame locals."""
    exc_info = event_dict.pop(_PARKED_EXC_INFO, None)
    if exc_info:
        event_dict["exception"] = format_exception(exc_info)
    stack = event_dict.pop(_PARKED_STACK, None)
    if stack:
        event_dict["stack"] = stack if isinstance(stack, str) else format_stack()
    return event_dict


add_exception.call_data_only = True  # type: ignore[attr-defined]


def format_exception(exc_info: tuple[Any, Any, Any]) -> str:
    """The traceback of *exc_info* as text (the standard format, never frame locals).

    The exception's ``__str__`` is the application's code: it runs through
    :func:`oxlog._values.foreign`, like a value's.
    """
    return foreign(_format_exception, exc_info, _nested_exception)


def _format_exception(exc_info: tuple[Any, Any, Any]) -> str:
    try:
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    except Exception:
        return f"{placeholder(exc_info[1])} (its traceback could not be formatted)"


def _nested_exception(exc_info: tuple[Any, Any, Any]) -> str:
    return nested_placeholder(exc_info[1])


def format_stack() -> str:
    """The current stack as text, for ``stack_info=True``."""
    return "".join(traceback.format_stack()[:-3]).rstrip("\n")


_CONTAINERS = (dict, list, tuple)
_PLAIN = (int, float, bool, type(None))
_BYTES = (bytes, bytearray, memoryview)


class Redactor:
    """Convert every value once, and mask secrets: values of sensitive keys at any depth,
    and sensitive parameters of query strings and form bodies.

    A key is sensitive when it contains one of *keys* (case-insensitive, ``-`` and ``_``
    alike), so ``password``, ``db_password``, ``X-CSRFToken``, ``HTTP_AUTHORIZATION``
    and ``X-Api-Key`` (``api_key``) are all masked. A text value (``GET /login?token=abc``,
    ``urlencode()`` output ``token=abc&a=1``, a form body) has the values of its sensitive
    parameters masked: a parameter starts the text or follows ``?``, ``&`` or ``;`` (free
    text with a space and none of those, such as ``"login token=abc"``, is not a query
    string: name the value instead, ``log.info("login", token=...)``). Containers are any
    ``Mapping`` (``OrderedDict``, ``defaultdict``, ``MappingProxyType``, ``UserDict``,
    Django's ``QueryDict`` — every value of a multi-valued key — and ``HttpHeaders``) and
    any sequence or set that is not text or bytes: each becomes a plain ``dict`` or
    ``list`` with its secrets masked.

    Conversion: every value that is not text, a number, ``None`` or a container is turned
    into text (or a JSON type) here, once per record, by :func:`oxlog._values.to_jsonable`
    — its ``__str__`` runs once, not once per output — and a ``str`` subclass into an
    exact ``str``. The renderers then see only JSON types. With ``OXLOG_REDACT = False``
    the processor runs with no keys: it converts and masks nothing.

    Decisions per key name are cached: a log call pays a dict lookup per key, not a
    regular-expression search.
    """

    __slots__ = ("_cache", "_key_re", "_query_re")  # TRUSTED is a class constant

    def __init__(self, keys: Iterable[str]) -> None:
        # "-" and "_" alike: "api_key" matches "X-Api-Key", "api-key" matches "API_KEY".
        words = "|".join(re.escape(k.replace("-", "_")).replace("_", "[-_]") for k in keys if k)
        self._key_re = re.compile(words or r"(?!x)x", re.IGNORECASE)
        name = "[^=&;?/#\\s\"'<>]*"
        self._query_re = re.compile(
            rf"((?:^|[?&;]){name}(?:{words}){name}=)[^&;#\s\"'<>]*", re.IGNORECASE
        ) if words else None
        self._cache: dict[str, bool] = {}

    def is_sensitive(self, key: str) -> bool:
        """Whether values under *key* are masked."""
        hit = self._cache.get(key) if type(key) is str else None
        if hit is None:
            hit = bool(self._key_re.search(key)) if type(key) is str else False
            if type(key) is str and len(self._cache) < 10_000:
                self._cache[key] = hit
        return hit

    def redact_text(self, text: str) -> str:
        """Mask the values of sensitive query-string (or form-body) parameters in *text*."""
        if self._query_re is None or "=" not in text:
            return text  # no parameter: skip the regular expression
        if " " in text and "?" not in text and "&" not in text and ";" not in text:
            return text  # free text ("synced user_id=3"), not a query string or form body
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
            else:  # a container, a request, a URL object, any object: converted once
                event_dict[key] = self.redact_value(value, 0)
        return event_dict

    def redact_value(self, value: Any, depth: int, seen: frozenset[int] = frozenset()) -> Any:
        """*value* made of JSON types (text, numbers, ``None``, dicts, lists, tuples), with
        sensitive parts masked; containers are copied, never changed.

        A container met again inside itself becomes ``"<recursive dict>"``.
        """
        kind = type(value)
        if kind is str:
            return self.redact_text(value) if "=" in value else value
        if kind in _PLAIN:
            return value
        if kind is dict or kind is list or kind is tuple:
            return self._container(value, depth, seen)
        if isinstance(value, str):
            return self.redact_value(str.__str__(value), depth, seen)
        if isinstance(value, (Mapping, Sequence, ItemsView)) and not isinstance(value, _BYTES):
            return self._container(value, depth, seen)
        converted = to_jsonable(value)  # a set: its sorted items, converted
        if type(converted) is str:
            return self.redact_text(converted) if "=" in converted else converted
        if type(converted) is list and depth < 50:
            return [self.redact_value(v, depth + 1, seen) for v in converted]
        return converted

    def _container(self, value: Any, depth: int, seen: frozenset[int]) -> Any:
        if id(value) in seen or depth > 50:
            return f"<recursive {type(value).__name__}>"
        seen = seen | {id(value)}
        try:
            if isinstance(value, Mapping):
                return self._mapping(value, depth, seen)
            if isinstance(value, ItemsView):  # dict.items(): pairs, judged like the dict
                return list(self._mapping(dict(value), depth, seen).items())
            items = [self.redact_value(v, depth + 1, seen) for v in value]
        except Exception:
            return placeholder(value)
        return tuple(items) if type(value) is tuple else items

    def _mapping(self, value: Mapping[Any, Any], depth: int, seen: frozenset[int]) -> dict[Any, Any]:
        # A multi-valued mapping (Django's QueryDict and MultiValueDict, werkzeug's
        # MultiDict) gives only the last value of a key from items(): lists() gives all.
        lists = getattr(type(value), "lists", None) if type(value) is not dict else None
        pairs = value.lists() if callable(lists) else value.items()  # type: ignore[attr-defined]
        out: dict[Any, Any] = {}
        for k, v in pairs:
            if type(k) is not str:  # 1 and "1" must not become one JSON key twice
                k = free_key(out, key_text(k))
            elif k in out:
                k = free_key(out, k)
            out[k] = REDACTED if self.is_sensitive(k) else self.redact_value(v, depth + 1, seen)
        return out


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
