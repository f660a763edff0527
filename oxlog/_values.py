"""Turning any value into something a log line can hold, without ever raising."""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


def free_key(taken: Mapping[str, Any], key: str) -> str:
    """*key*, or *key* behind as many ``_`` as it takes to be a key *taken* lacks.

    The one rule for a name already in use (a call key that would overwrite one of
    oxlog's fields, ``1`` beside ``"1"``, two labels of one name): nothing is
    overwritten and nothing dropped.
    """
    while key in taken:
        key = "_" + key
    return key


def safe_str(value: object) -> str:
    """``str(value)``, or a placeholder naming the type when ``__str__`` raises."""
    try:
        return str(value)
    except Exception:
        return int_text(value) if isinstance(value, int) else placeholder(value)


def safe_repr(value: object) -> str:
    """``repr(value)``, or a placeholder naming the type when ``__repr__`` raises."""
    try:
        return repr(value)
    except Exception:
        return int_text(value) if isinstance(value, int) else placeholder(value)


def placeholder(value: object) -> str:
    """The text written for a value that cannot be rendered: ``<unprintable Foo>``."""
    try:
        name = type(value).__qualname__
        if type(name) is not str:
            name = type(value).__name__
    except Exception:
        name = "object"
    return f"<unprintable {name}>"


def int_text(value: int) -> str:
    """``str(value)``; an int too long for ``str()`` (``sys.get_int_max_str_digits``)
    gives a placeholder with its size: ``<unprintable int: 16610 bits>``."""
    try:
        return str(int(value))
    except Exception:
        try:
            return f"<unprintable int: {int(value).bit_length()} bits>"
        except Exception:
            return placeholder(value)


def fits_text(value: int) -> bool:
    """Whether ``str()`` of the int *value* works (it is not longer than the digit limit)."""
    try:
        int.__repr__(value)
        return True
    except ValueError:
        return False


def to_jsonable(value: Any) -> Any:
    """A JSON-friendly stand-in for *value* (the ``default=`` of the JSON encoder).

    datetime/date/time → ISO 8601; UUID, Decimal, Path → str; Enum → its value;
    set/frozenset → sorted list; bytes → UTF-8 text (invalid bytes escaped);
    exceptions → ``"Type: message"``; an int too long to print → a placeholder with
    its size; anything else → ``str()``, or a placeholder naming the type when
    ``str()`` (or any of these conversions) raises. Never raises.
    """
    try:
        return _to_jsonable(value)
    except Exception:
        return placeholder(value)


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, (bool, enum.Enum)):
        return int(value) if fits_text(value) else int_text(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0):
            return value.isoformat().replace("+00:00", "Z")
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value) if not isinstance(value.value, enum.Enum) else value.name
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v) if not _is_plain(v) else v for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=safe_repr)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {safe_str(value)}"
    return safe_str(value)


def _is_plain(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool)


def sanitize(value: Any, depth: int = 0, seen: frozenset[int] = frozenset()) -> Any:
    """A deep copy of *value* made only of JSON types, for the slow path.

    Handles what the fast encoder refuses: NaN and ±Infinity (written as the strings
    ``"NaN"``, ``"Infinity"``, ``"-Infinity"``), recursive containers
    (``"<recursive dict>"``), keys that are not strings, and values whose
    conversion raises.
    """
    if type(value) is float:
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or type(value) in (str, bool):
        return value
    if type(value) is int:
        return value if fits_text(value) else int_text(value)
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in seen:
            return f"<recursive {type(value).__name__}>"
        if depth > 50:
            return f"<nested too deep: {type(value).__name__}>"
        inner = seen | {id(value)}
        if isinstance(value, Mapping):
            try:
                items = list(value.items())
            except Exception:
                return placeholder(value)
            out: dict[str, Any] = {}
            for k, v in items:
                # 1 and "1" must not become one JSON key twice
                out[free_key(out, _key_text(k))] = sanitize(v, depth + 1, inner)
            return out
        try:
            items = list(value)
        except Exception:
            return placeholder(value)
        return [sanitize(v, depth + 1, inner) for v in items]
    if isinstance(value, enum.Enum):
        return sanitize(to_jsonable(value), depth + 1, seen)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return sanitize(int(value), depth + 1, seen)
    if isinstance(value, float):
        return sanitize(float(value), depth + 1, seen)
    try:
        return sanitize(to_jsonable(value), depth + 1, seen)
    except Exception:
        return placeholder(value)


def _key_text(key: Any) -> str:
    if type(key) is str:
        return key
    if type(key) is float and not math.isfinite(key):
        return sanitize(key)  # type: ignore[no-any-return]
    if type(key) is int:
        return int_text(key)
    return safe_str(to_jsonable(key) if not _is_plain(key) else key)
