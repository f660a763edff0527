"""Turning any value into something a log line can hold, without ever raising.

Every call into the application's own code while a record is built — a value's
``__str__``, ``__repr__`` or ``__format__``, a ``%``-argument's, an exception's — goes
through :func:`foreign`, which counts how deep such calls are nested in this thread.
A value whose ``__str__`` logs (a Django model whose ``__str__`` runs a query that
logs it) has its own lines written in full; a third level, which only a value that
logs *itself* reaches, gets :func:`nested_placeholder` instead of the call, and one
report: logging never recurses through a value, and a log call always returns.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any, TypeVar

T = TypeVar("T")

#: How many conversions may be nested in one thread (a value converted while another
#: is being converted: its ``__str__`` logs). Two lets a ``__str__`` that logs a line
#: with values of its own (a query's SQL and parameters) be written in full.
MAX_NESTING = 2

_nesting = threading.local()

#: Called once per refused conversion; ``oxlog._event`` sets it to report the first on
#: stderr (this module sits below every other and imports none of oxlog).
def _say_nothing() -> None:
    """The default of :data:`on_refused`."""


on_refused: Callable[[], None] = _say_nothing


def foreign(call: Callable[[Any], T], value: Any, refused: Callable[[Any], T]) -> T:
    """``call(value)`` — code of the application's — unless *MAX_NESTING* such calls are
    already running in this thread; then ``refused(value)``, without calling it.

    Only conversions of values that are not plain text or numbers come here: the hot
    path (a message and text or number values) never pays for the count.
    """
    depth: int = getattr(_nesting, "depth", 0)
    if depth >= MAX_NESTING:
        on_refused()
        return refused(value)
    _nesting.depth = depth + 1
    try:
        return call(value)
    finally:
        _nesting.depth = depth


def nested_placeholder(value: object) -> str:
    """The text written for a value whose conversion would recurse through logging."""
    return f"<{_type_name(value)}: not converted, it logs while being converted>"


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
    """``str(value)`` as an exact ``str``, or a placeholder naming the type when it raises.

    A ``str`` subclass gives its characters (``str.__str__``), never what its own
    ``__str__`` says, and whatever ``__str__`` returns is made an exact ``str``: the
    renderers' checks (``isprintable``, ``replace``…) then run on ``str``'s own methods,
    which no subclass can make lie.
    """
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if type(value) in _BUILTIN_TEXT:
        return int_text(value) if type(value) is int else str(value)
    return foreign(_str, value, nested_placeholder)


def _str(value: object) -> str:
    try:
        text = str(value)
    except Exception:
        return int_text(value) if isinstance(value, int) else placeholder(value)
    return text if type(text) is str else str.__str__(text)


#: Types whose ``str()`` runs no application code.
_BUILTIN_TEXT = frozenset({int, float, bool, type(None)})


def safe_repr(value: object) -> str:
    """``repr(value)`` as an exact ``str``, or a placeholder naming the type when it raises."""
    return foreign(_repr, value, nested_placeholder)


def _repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        return int_text(value) if isinstance(value, int) else placeholder(value)
    return text if type(text) is str else str.__str__(text)


def _type_name(value: object) -> str:
    try:
        name = type(value).__qualname__
        if type(name) is not str:
            name = type(value).__name__
    except Exception:
        name = "object"
    return name if type(name) is str else "object"


def placeholder(value: object) -> str:
    """The text written for a value that cannot be rendered: ``<unprintable Foo>``."""
    return f"<unprintable {_type_name(value)}>"


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
    return foreign(_to_jsonable_or_placeholder, value, nested_placeholder)


def _to_jsonable_or_placeholder(value: Any) -> Any:
    try:
        return _to_jsonable(value)
    except Exception:
        return placeholder(value)


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return str.__str__(value)
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
        return _to_jsonable(value.value) if not isinstance(value.value, enum.Enum) else value.name
    if isinstance(value, (set, frozenset)):
        items = [_to_jsonable_or_placeholder(v) if not _is_plain(v) else v for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=_repr)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {_str(value)}"
    return _str(value)


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
                out[free_key(out, key_text(k))] = sanitize(v, depth + 1, inner)
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


def key_text(key: Any) -> str:
    """A container's key as JSON text: ``1`` → ``"1"``, ``None`` → ``"None"``, ``(1, 2)`` →
    ``"(1, 2)"`` (the caller keeps ``1`` and ``"1"`` apart with :func:`free_key`)."""
    if type(key) is str:
        return key
    if type(key) is float and not math.isfinite(key):
        return sanitize(key)  # type: ignore[no-any-return]
    if type(key) is int:
        return int_text(key)
    return safe_str(to_jsonable(key) if not _is_plain(key) else key)
