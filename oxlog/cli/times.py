"""Timestamps and durations as the CLI reads and prints them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """Format like the log does: ``2026-12-01T20:01:02.123456Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``10m``, ``2h``, ``1d``, ``1w`` or ``250ms`` (bare numbers are seconds)."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 10m, 2h, 1d)")
    unit = match.group(2) or "s"
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[unit])


def parse_since(text: str, now: datetime) -> datetime:
    """Parse ``--since``: an ISO timestamp, or a duration counted back from ``now``."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return parse_timestamp(text)
    except ValueError:
        raise ValueError(f"not a timestamp or duration: {text!r}") from None


def clock(timestamp: str | None) -> str:
    """Return the ``HH:MM:SS.mmm`` part of a log timestamp, or ``-``."""
    if not timestamp or len(timestamp) < 23:
        return "-"
    return timestamp[11:23]


def iso_key(timestamp: object) -> str | None:
    """The sort key of an ISO 8601 timestamp, or ``None`` when it is not one."""
    if not isinstance(timestamp, str):
        return None
    if timestamp.endswith("Z") and len(timestamp) == 27 and timestamp[:4].isdigit():
        return timestamp
    try:
        return format_timestamp(parse_timestamp(timestamp))
    except ValueError:
        return None


def timestamp_key(timestamp: str) -> str:
    """Return a sort key for a log timestamp (they compare as strings when normalised);
    one that is not ISO 8601 is its own key."""
    key = iso_key(timestamp)
    return timestamp if key is None else key
