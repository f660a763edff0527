"""Renderers: an event dict in, one line of text out — JSON, ECS JSON, logfmt, console.

Every renderer guarantees one line: no raw control character (C0, DEL, C1, NEL), no
raw U+2028/U+2029 and no lone surrogate reaches the output, whatever the values,
messages or keys hold. Values JSON cannot represent are converted, never raised:
see :func:`to_jsonable`.

Why not structlog's renderers: ``JSONRenderer`` passes ``NaN`` through (invalid
JSON) and writes reprs such as ``UUID('…')`` via ``default=repr``;
``KeyValueRenderer`` writes Python reprs, not logfmt; ``LogfmtRenderer`` writes
bare keys for ``True``, raw CR and ESC, and drops records with invalid keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from oxlog._schema import WORKFLOW_KEYS
from oxlog._values import (
    fits_text,
    free_key,
    int_text,
    placeholder,
    safe_str,
    sanitize,
    to_jsonable,
)

# --- characters that must never appear raw ------------------------------------------

#: Beyond what ``json`` escapes itself (C0, ``"`` and ``\\``): DEL, C1 (NEL included),
#: U+2028/U+2029 and lone surrogates (written as U+FFFD: strict JSON readers such as
#: serde_json, hence Vector, reject an unpaired surrogate escape).
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_JSON_TABLE: dict[int, str] = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}
_JSON_TABLE.update(dict.fromkeys(range(0xD800, 0xE000), "\\ufffd"))


def _replace_all(text: str, pattern: re.Pattern[str], table: Mapping[int, str]) -> str:
    """Replace every character *pattern* matches by its entry in *table*.

    ``search`` scans several times faster than ``findall``, so the first matches are
    found with it; a few distinct characters are then replaced with one
    ``str.replace`` each (C speed, even in a 10 MB value), many with ``translate``.
    """
    match = pattern.search(text)
    if match is None:
        return text
    found = set()
    for _ in range(64):
        found.add(match.group())
        match = pattern.search(text, match.end())
        if match is None:
            break
    else:
        found.update(pattern.findall(text, match.start()))
    if len(found) <= 8:
        for char in found:
            text = text.replace(char, table[ord(char)])
        return text
    return text.translate(table)


def make_json_safe(text: str) -> str:
    """Escape the characters ``json.dumps(ensure_ascii=False)`` leaves raw."""
    if text.isascii():
        return text if "\x7f" not in text else text.replace("\x7f", "\\u007f")
    return _replace_all(text, _UNSAFE_JSON, _JSON_TABLE)


# --- JSON --------------------------------------------------------------------------

_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=to_jsonable
)
# The C encoder itself, without JSONEncoder.encode's per-call set-up and without the
# circular-reference markers: a recursive value raises RecursionError, which sends the
# record down the slow path (sanitize) like any other value the fast path refuses.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_fast_encode = (
    _c_make_encoder(None, to_jsonable, json.encoder.encode_basestring, None, ":", ",",
                    False, False, False)
    if _c_make_encoder is not None else None
)


def dumps(obj: Any) -> str:
    """Compact, strict (RFC 8259) JSON of *obj* on one line, whatever it contains.

    A mapping always gives an object: a value that cannot be converted becomes a
    placeholder in its place, the other keys are kept.
    """
    try:
        text = "".join(_fast_encode(obj, 0)) if _fast_encode is not None else _encoder.encode(obj)
    except Exception:
        try:
            text = _encoder.encode(sanitize(obj))
        except Exception:
            text = _dumps_piecewise(obj)
    return make_json_safe(text)


def _dumps_piecewise(obj: Any) -> str:
    if not isinstance(obj, Mapping):
        return json.dumps(placeholder(obj))
    try:
        items = list(obj.items())
    except Exception:
        return "{}"
    parts = []
    for key, value in items:
        try:
            text = _encoder.encode(sanitize(value))
        except Exception:
            text = json.dumps(placeholder(value))
        parts.append(f"{json.dumps(safe_str(key), ensure_ascii=False)}:{text}")
    return "{" + ",".join(parts) + "}"


class JSONRenderer:
    """Render the event dict as one JSON object, keys in the order oxlog built them."""

    __slots__ = ()

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        # oxlog's event dicts have only str keys at the top (_event._record_head turns
        # extra={1: …} into text keys, kept apart from "1"); the encoder writes the rest.
        return dumps(event_dict)


ECS_VERSION = "8.11.0"


#: Where ecs-logging-python finds the IDs of Elastic APM's log correlation (its
#: structlog processor and record factory add these keys), and the ECS field each goes to.
_ELASTIC_APM_KEYS = (("elasticapm_trace_id", "trace"), ("elasticapm_span_id", "span"),
                     ("elasticapm_transaction_id", "transaction"))


class ECSRenderer:
    """Render the event dict with Elastic Common Schema names.

    ``@timestamp``, ``log.level``, ``message``, ``ecs.version`` first (as the ECS
    logging spec asks), then ``log.logger``, ``process.pid``, ``service.name``,
    ``service.environment``, ``trace.id``, ``span.id`` and ``transaction.id`` (as
    ecs-logging-python writes them: from the OpenTelemetry span's ``trace_id`` and
    ``span_id``, or Elastic APM's ``elasticapm_*`` keys), the workflow context and the
    call's keys under ``labels`` (scalars as they are, containers as JSON text) and the
    traceback under ``error.stack_trace``.
    """

    __slots__ = ("message_key",)

    _HEAD = frozenset({"timestamp", "level", "logger", "process", "service", "env", "exception",
                       "trace_id", "span_id", *(k for k, _ in _ELASTIC_APM_KEYS)})

    def __init__(self, message_key: str = "message") -> None:
        self.message_key = message_key

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        ed = event_dict
        out: dict[str, Any] = {
            "@timestamp": ed.get("timestamp"),
            "log.level": ed.get("level"),
            "message": ed.get(self.message_key),
            "ecs.version": ECS_VERSION,
            "log": {"logger": ed.get("logger")},
            "process": {"pid": ed.get("process")},
        }
        service = {k: v for k, v in (("name", ed.get("service")), ("environment", ed.get("env")))
                   if v is not None}
        if service:
            out["service"] = service
        for key, apm_key, field in (("trace_id", *_ELASTIC_APM_KEYS[0]),
                                    ("span_id", *_ELASTIC_APM_KEYS[1]),
                                    (None, *_ELASTIC_APM_KEYS[2])):
            value = (ed.get(key) if key else None) or ed.get(apm_key)
            if value is not None:
                out[field] = {"id": value}
        labels: dict[str, Any] = {}
        for k, v in ed.items():
            if k not in self._HEAD and k != self.message_key and v is not None:
                labels[free_key(labels, k if type(k) is str else safe_str(k))] = _label(v)
        if labels:
            out["labels"] = labels
        if "exception" in ed:
            out["error"] = {"stack_trace": ed["exception"]}
        return dumps(out)


class GCPRenderer:
    """Render the event dict as Google Cloud Logging's structured JSON (``OXLOG_JSON_SCHEMA="gcp"``).

    ``severity`` (``DEBUG`` … ``CRITICAL``), ``message``, ``time`` first, then the special
    fields Cloud Logging moves into the ``LogEntry``: ``logging.googleapis.com/trace``
    (``projects/PROJECT/traces/TRACE_ID``: the span's ``trace_id``, else the correlation
    ID, which is trace-shaped), ``logging.googleapis.com/spanId``,
    ``logging.googleapis.com/trace_sampled``, and the workflow IDs as string values under
    ``logging.googleapis.com/labels``; the other fields stay in ``jsonPayload`` as they are.
    """

    __slots__ = ("message_key", "trace_prefix")

    _SEVERITY = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR",
                 "critical": "CRITICAL"}
    _TAKEN = frozenset({"timestamp", "level", "trace_id", "span_id", "trace_sampled",
                        *WORKFLOW_KEYS})

    def __init__(self, project: str, message_key: str = "message") -> None:
        self.message_key = message_key
        self.trace_prefix = f"projects/{project}/traces/"

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        ed = event_dict
        level = ed.get("level")
        out: dict[str, Any] = {
            "severity": self._SEVERITY.get(level, "DEFAULT") if type(level) is str else "DEFAULT",
            "message": ed.get(self.message_key),
            "time": ed.get("timestamp"),
        }
        trace_id = ed.get("trace_id") or trace_shaped(ed.get("correlation_id"))
        if trace_id:
            out["logging.googleapis.com/trace"] = self.trace_prefix + safe_str(trace_id)
        if ed.get("span_id"):
            out["logging.googleapis.com/spanId"] = ed["span_id"]
        if "trace_sampled" in ed:
            out["logging.googleapis.com/trace_sampled"] = ed["trace_sampled"] is True
        labels = {k: safe_str(ed[k]) for k in WORKFLOW_KEYS if ed.get(k) is not None}
        if labels:
            out["logging.googleapis.com/labels"] = labels
        _add_rest(out, ed, self._TAKEN | {self.message_key})
        return dumps(out)


class DatadogRenderer:
    """Render the event dict with Datadog's reserved and standard attributes (``"datadog"``).

    ``timestamp``, ``status``, ``message``, ``logger.name``, ``process``, then
    ``dd.trace_id`` and ``dd.span_id`` as Datadog's trace remapper reads them (the decimal
    of the low 64 bits of the span's IDs, as text, as dd-trace-py's log injection writes
    them), ``dd.service``, ``dd.env``, ``dd.version``; the other fields as they are, and
    an exception as ``error.stack``, ``error.kind``, ``error.message``.
    """

    __slots__ = ("dd", "message_key")

    _TAKEN = frozenset({"timestamp", "level", "logger", "process", "trace_id", "span_id",
                        "exception"})

    def __init__(self, service: str | None = None, env: str | None = None,
                 version: str | None = None, message_key: str = "message") -> None:
        self.message_key = message_key
        self.dd = {k: v for k, v in (("dd.service", service), ("dd.env", env),
                                     ("dd.version", version)) if v is not None}

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        ed = event_dict
        out: dict[str, Any] = {
            "timestamp": ed.get("timestamp"),
            "status": ed.get("level"),
            "message": ed.get(self.message_key),
            "logger.name": ed.get("logger"),
            "process": ed.get("process"),
        }
        trace_id, span_id = ed.get("trace_id"), ed.get("span_id")
        if type(trace_id) is str and type(span_id) is str:
            try:
                out["dd.trace_id"] = str(int(trace_id[-16:], 16))
                out["dd.span_id"] = str(int(span_id, 16))
            except ValueError:
                pass
        out.update(self.dd)
        _add_rest(out, ed, self._TAKEN | {self.message_key})
        exception = ed.get("exception")
        if exception is not None:
            text = safe_str(exception)
            last = text.rstrip().rsplit("\n", 1)[-1]
            kind, _, message = last.partition(": ")
            if kind and kind.replace(".", "").replace("_", "").isalnum():
                out["error.kind"], out["error.message"] = kind, message
            out["error.stack"] = text
        return dumps(out)


def _add_rest(out: dict[str, Any], ed: Mapping[str, Any], taken: frozenset[str]) -> None:
    """Add the fields of *ed* not in *taken*, renamed ``_name`` where *out* has the name."""
    for k, v in ed.items():
        if k in taken:
            continue
        name = k if type(k) is str else safe_str(k)
        while name in out:
            name = "_" + name
        out[name] = v


_HEX32 = frozenset("0123456789abcdef")


def trace_shaped(value: Any) -> str | None:
    """*value* as a W3C trace-id (32 lowercase hex, not all zeros), or ``None``.

    oxlog's correlation IDs are 32 hex digits (a UUID's 8-4-4-4-12 form loses its dashes).
    """
    if type(value) is not str:
        return None
    text = value.replace("-", "").lower() if len(value) == 36 else value
    if len(text) == 32 and _HEX32.issuperset(text) and text.strip("0"):
        return text
    return None


def _label(value: Any) -> Any:
    if type(value) in (str, int, float, bool):
        return value
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return dumps(value)
    return to_jsonable(value)


# --- logfmt ------------------------------------------------------------------------

#: Characters a key cannot hold raw: a space or less, ``=``, ``"``, ``\``, DEL, C1,
#: U+2028/U+2029, lone surrogates (they are escaped; a value with any of them, or with
#: any other non-printable character, is quoted instead: see logfmt_value).
_KEY_UNSAFE = re.compile('[\x00-\x20="\\\\\x7f-\x9f\u2028\u2029\ud800-\udfff]')

#: What an empty key is written as (a logfmt key cannot be empty; ``\`` is always
#: escaped in keys, so no real key can read the same).
EMPTY_KEY = "\\(empty)"


def logfmt_value(value: Any) -> str | None:
    """One logfmt value as go-logfmt writes it; ``None`` means "leave the key out".

    Floats that are not finite are written ``NaN``, ``Infinity`` and ``-Infinity``,
    as in ``json.log`` (Go's ``strconv.ParseFloat`` reads all three).
    """
    kind = type(value)
    if kind is str:
        # isprintable() is False for every control, separator, format and surrogate
        # character: C-speed checks instead of a regular-expression scan.
        text: str = value
        if text.isprintable() and " " not in text and "=" not in text and '"' not in text:
            return text
        return _quote(text)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int_text(value) if fits_text(value) else _quote(int_text(value))
    if kind is float:
        if math.isfinite(value):
            return repr(value)
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None:
        return None
    if isinstance(value, (Mapping, list, tuple)):
        return _quote(dumps(value))
    return logfmt_value(_plain(value))


def _plain(value: Any) -> Any:
    converted = to_jsonable(value)
    if isinstance(converted, (list, dict)):
        return dumps(converted)
    return converted if type(converted) in (str, int, float, bool) else safe_str(converted)


#: What ``json.dumps(text, ensure_ascii=False)`` calls for a string, without making a
#: ``JSONEncoder`` per call (``ensure_ascii=False`` is not the default, so ``dumps`` builds
#: one each time: most of the cost of a quoted logfmt value).
_encode_string = json.encoder.encode_basestring


def _quote(text: str) -> str:
    """*text* in double quotes with JSON's escapes, as go-logfmt quotes a value."""
    if not text:
        return ""
    return make_json_safe(_encode_string(text))


def logfmt_key(key: Any) -> str:
    """A key as logfmt allows it; invalid characters are escaped as ``\\xNN``/``\\uNNNN``.

    The escaping is reversible (``\\`` itself is escaped, a lone surrogate keeps its
    own code) so two different keys never read the same; an empty key is
    :data:`EMPTY_KEY`. (Lines reuse each text key's result: ``_prefix_cache``.)
    """
    text = key if type(key) is str else safe_str(key)
    return _KEY_UNSAFE.sub(_escape_key_char, text) if text else EMPTY_KEY


def _escape_key_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: ``key=`` for each text key met (a key's escaping done once, not on every line).
_prefix_cache: dict[str, str] = {}


def _pairs(items: Iterable[tuple[Any, Any]]) -> list[str]:
    """``key=value`` for each of *items* with a value.

    The common cases (a cached key, a plain string or int value) are written inline:
    this loop runs for every key of every line of flat_line.log and the console.
    """
    parts: list[str] = []
    append = parts.append
    prefixes = _prefix_cache
    for key, value in items:
        kind = type(value)
        if kind is str:  # logfmt_value's rule for text, inline
            if not (value.isprintable() and " " not in value and "=" not in value
                    and '"' not in value):
                value = _quote(value)
        elif kind is int and -_INT_INLINE < value < _INT_INLINE:
            value = str(value)
        else:
            value = logfmt_value(value)
            if value is None:
                continue
        prefix = prefixes.get(key) if type(key) is str else None
        if prefix is None:
            prefix = logfmt_key(key) + "="
            if type(key) is str and len(prefixes) < 10_000:
                prefixes[key] = prefix
        append(prefix + value)
    return parts


_INT_INLINE = 10**18  # ints below this always have a str()


class LogfmtRenderer:
    """Render the event dict as logfmt, keys in oxlog's order, as go-logfmt encodes it.

    Strings are quoted when they must be, with JSON escapes inside the quotes;
    booleans are ``true``/``false``; ``None`` leaves the key out; ``""`` is written
    ``key=``; dicts and lists are compact JSON.
    """

    __slots__ = ()

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        return " ".join(_pairs(event_dict.items()))


# --- console -----------------------------------------------------------------------

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_LEVEL_COLORS = {
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_CONSOLE_SKIP = frozenset({"timestamp", "level", "logger", "process", "correlation_id",
                           "task_id", "parent_task_id", "exception", "stack", "trace_sampled"})
#: Values shown by their first 8 characters on the console (the same on many lines).
_CONSOLE_SHORT = ("request_id", "trace_id", "span_id")
#: Control characters, plus the bidirectional controls that reorder what a person
#: sees on a terminal ("Trojan Source", CVE-2021-42574).
_TEXT_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONSOLE_TABLE: dict[int, str] = {
    c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")
    for c in (*range(0x20), *range(0x7F, 0xA0), 0x61C, 0x200E, 0x200F, 0x2028, 0x2029,
              *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_CONSOLE_TABLE.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
_CONSOLE_TABLE.update(dict.fromkeys(range(0xD800, 0xE000), "\\ufffd"))


def console_text(text: str) -> str:
    """*text* with every control character shown as an escape, so it stays on its line."""
    if text.isprintable():
        return text
    return _replace_all(text, _TEXT_UNSAFE, _CONSOLE_TABLE)


def console_message(text: str) -> str:
    """The message column: quoted (JSON escapes) when it holds ``=`` or ``"``, so that
    a message can never pass for the ``key=value`` pairs that follow it."""
    if "=" in text or '"' in text:
        return console_text(_quote(text))
    return console_text(text)


class ConsoleRenderer:
    """Aligned columns for people: time, level, pid, correlation, parent and task IDs.

    The correlation ID, the one field people look for, is bold; parent and task dim.
    A logger name longer than its 24 columns keeps its end behind ``…``; the
    ``request_id``, ``trace_id`` and ``span_id``, the same on many lines, are shortened
    to 8 characters, and ``trace_sampled`` is left out.

    ``20:01:02.123 INFO     1234   | 3baff0df | 65445384 | 4ff0d138 | app.tasks  | message
    key=value``. IDs are shortened to 8 characters; values are written as in logfmt
    (so no value can fake a field or a line), a message holding ``=`` or ``"`` is
    quoted, and a traceback follows with every line behind a ``│`` gutter, so no
    exception message can pass for a record.
    """

    __slots__ = ("colors", "message_key")

    def __init__(self, colors: bool = False, message_key: str = "message") -> None:
        self.colors = colors
        self.message_key = message_key

    def __call__(self, event_dict: Mapping[str, Any]) -> str:
        ed = event_dict
        level = console_text(safe_str(ed.get("level", "")))
        ts = console_text(safe_str(ed.get("timestamp", ""))[11:23])
        correlation = _short(ed.get("correlation_id"))
        others = " | ".join(_short(ed.get(k)) for k in ("parent_task_id", "task_id"))
        logger = _column(console_text(safe_str(ed.get("logger", ""))), 24)
        message = console_message(safe_str(ed.get(self.message_key, "")))
        process = console_text(safe_str(ed.get("process", "")))
        short = [k for k in _CONSOLE_SHORT if k in ed]
        if short:  # the same on every line of a request or span: their start is enough
            ed = {**ed, **{k: _short(ed[k]).rstrip() for k in short}}
        skip = _CONSOLE_SKIP | {self.message_key}
        pairs = " ".join(console_text(pair) for pair in _pairs(
            (k, v) for k, v in ed.items() if k not in skip))
        c = self.colors
        line = (
            f"{_paint(ts, _DIM, c)} {_paint(f'{level.upper():<8}', _LEVEL_COLORS.get(level, ''), c)}"
            f" {process:<6} | {_paint(correlation, _BOLD, c)} | {_paint(others, _DIM, c)}"
            f" | {logger} | "
            f"{_paint(message, _BOLD, c)}"
        )
        if pairs:
            line += " " + pairs
        for key in ("exception", "stack"):
            if key in ed:
                line += _gutter(safe_str(ed[key]), c)
        return line


def _column(text: str, width: int) -> str:
    """*text* in exactly *width* characters: padded, or cut at the front behind ``…``
    (a logger's last parts are the telling ones: ``…ject.shop.payments``)."""
    return text.ljust(width) if len(text) <= width else "…" + text[-(width - 1):]


def _short(value: Any) -> str:
    return console_text(safe_str(value))[:8].ljust(8) if value else " " * 8


def _paint(text: str, code: str, colors: bool) -> str:
    return f"{code}{text}{_RESET}" if colors and code else text


def _gutter(text: str, colors: bool) -> str:
    bar = _paint("    │ ", _DIM, colors)
    return "".join("\n" + bar + console_text(line) for line in text.splitlines())
