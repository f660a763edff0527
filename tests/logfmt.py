"""A strict logfmt decoder, as go-logfmt decodes (what Loki, Promtail and lnav read).

Strict: a raw control character, a bare key (``key`` without ``=``), ``"`` or ``=``
inside an unquoted value, an unterminated quote or a repeated key is an error,
never a guess. Quoted values are JSON strings.
"""

from __future__ import annotations

import json


class LogfmtError(ValueError):
    """The line is not valid logfmt."""


def decode(line: str) -> dict[str, str]:
    """The keys and values of one logfmt line, in order."""
    out: dict[str, str] = {}
    i, n = 0, len(line)
    for ch in line:
        if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            raise LogfmtError(f"raw control character {ch!r}")
    while i < n:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            break
        start = i
        while i < n and line[i] not in ' ="':
            i += 1
        key = line[start:i]
        if not key:
            raise LogfmtError(f"empty key at {start}")
        if i >= n or line[i] != "=":
            raise LogfmtError(f"bare key {key!r}")
        i += 1
        if i < n and line[i] == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= n:
                raise LogfmtError(f"unterminated quote for {key!r}")
            value = json.loads(line[i : j + 1])
            i = j + 1
            if i < n and line[i] != " ":
                raise LogfmtError(f"garbage after quoted value of {key!r}")
        else:
            start = i
            while i < n and line[i] != " ":
                if line[i] in '="':
                    raise LogfmtError(f"{line[i]!r} in the unquoted value of {key!r}")
                i += 1
            value = line[start:i]
        if key in out:
            raise LogfmtError(f"repeated key {key!r}")
        out[key] = value
    return out


def expected_text(value: object) -> str | None:
    """How a JSON value of json.log reads back from flat_line.log (None: key left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value) if not isinstance(value, float) else repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
