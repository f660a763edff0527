"""Correlation IDs: what an incoming one may look like, and how new ones are made.

A correlation ID arrives from outside twice: in an HTTP header and in a Celery
message header (a broker is input too). Both go through :func:`validate`, which
accepts only canonical shapes, so nothing a client sends can reach a log line, a
response header or another service except as a plain hexadecimal UUID:

* 32 hexadecimal digits (``uuid4().hex``, nginx ``$request_id``, a W3C trace-id);
* a UUID in 8-4-4-4-12 form (36 characters).

Hex digits are ASCII ``0-9a-fA-F`` only: braces, ``urn:uuid:``, fullwidth digits,
whitespace and anything longer than 36 characters are refused, and the caller gets
a fresh ID instead. Python's ``uuid.UUID()`` (which django-guid's check uses)
accepts all of those.
"""

from __future__ import annotations

import uuid

MAX_LENGTH = 36


def guid_header_name() -> str:
    """The header django-guid reads and echoes the ID in (``DJANGO_GUID["GUID_HEADER_NAME"]``)."""
    try:
        from django_guid.config import settings as guid_settings  # needs Django settings

        return str(guid_settings.guid_header_name)
    except Exception:
        return "Correlation-ID"


def new_correlation_id() -> str:
    """A fresh correlation ID: 32 lower-case hex digits."""
    return uuid.uuid4().hex


def is_valid(value: object) -> bool:
    """Whether *value* is a correlation ID in a canonical shape.

    ``[0-9a-fA-F]{32}`` or ``8-4-4-4-12`` hex digits, tested without a regex: the text is
    encoded as ASCII (anything else fails) and the hex digits deleted from the bytes;
    nothing may be left. It runs for every publish and twice for every task: a third of
    the instructions of ``str.strip(digits)``, a sixth of a regex.
    """
    if type(value) is not str:
        if not isinstance(value, str):
            return False
        value = str.__str__(value)  # the characters only: a subclass's methods are not asked
    n = len(value)
    if n == 32:
        try:
            return not value.encode("ascii").translate(None, _HEX)
        except UnicodeEncodeError:
            return False
    if n == 36:
        return (value[8] == value[13] == value[18] == value[23] == "-"
                and value.count("-") == 4 and is_valid(value.replace("-", "")))
    return False


_HEX = b"0123456789abcdefABCDEF"


def from_traceparent(value: object) -> str | None:
    """The trace-id of a W3C ``traceparent`` header, or ``None`` if it is not one.

    ``VERSION-TRACEID-PARENTID-FLAGS``: 2, 32, 16 and 2 lowercase hex digits, version
    not ``ff``, neither ID all zeros (W3C Trace Context, level 1). A later version may
    append fields after the flags; they are ignored, as the specification asks.
    """
    if not isinstance(value, str) or len(value) < 55 or len(value) > 512:
        return None
    parts = value.strip().split("-")
    if len(parts) < 4:
        return None
    version, trace_id, parent_id, flags = parts[:4]
    if version == "00" and len(parts) != 4:
        return None
    for part, size in ((version, 2), (trace_id, 32), (parent_id, 16), (flags, 2)):
        if len(part) != size or part.strip(_LOWER_HEX):
            return None
    if version == "ff" or not trace_id.strip("0") or not parent_id.strip("0"):
        return None
    return trace_id


_LOWER_HEX = "0123456789abcdef"


def rejection_reason(value: object) -> str:
    """A fixed, value-free reason why *value* was refused (safe to log)."""
    if not isinstance(value, str):
        return "not a string"
    if len(value) > MAX_LENGTH:
        return "too long"
    if not value.isascii():
        return "non-ASCII characters"
    return "not a 32-hex or 8-4-4-4-12 UUID"
