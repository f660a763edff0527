"""Each renderer, in process: golden lines, the logfmt round trip, and injection-proof output.

``decode_console`` (the console's columns and pairs, read back strictly) lives here
and is shared with ``tests/test_safety.py``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import logging
import math
import re
import uuid
from pathlib import PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oxlog import _event
from oxlog.renderers import (
    EMPTY_KEY,
    ConsoleRenderer,
    ECSRenderer,
    JSONRenderer,
    LogfmtRenderer,
    logfmt_key,
)
from tests.logfmt import decode, expected_text


def strict_json(line: str) -> Any:
    """``json.loads`` refusing NaN/Infinity, as a strict RFC 8259 reader does."""
    def refuse(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(line, parse_constant=refuse)


#: Anything a terminal would act on, or that ends a line for some reader.
RAW_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: The same, except ESC, which a coloured console line legitimately holds.
RAW_FORBIDDEN_COLORED = re.compile("[\x00-\x1a\x1c-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONSOLE_LINE = re.compile(
    r"(?P<time>\S*) (?P<level>\S*) +(?P<process>\S*) +\| (?P<cid>.{8}) \| (?P<parent>.{8}) \| "
    r"(?P<task>.{8}) \| (?P<logger>.*?) +\| (?P<rest>.*)")
_KEY_ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})")


def decode_console(line: str) -> dict[str, Any]:
    """The columns, message and ``key=value`` pairs of one (uncoloured) console line.

    Strict like the logfmt decoder: a message holding ``=`` or ``"`` must be a quoted
    JSON string, and what follows the message must decode as logfmt.
    """
    assert not RAW_FORBIDDEN.search(line), repr(line)
    match = _CONSOLE_LINE.fullmatch(line)
    assert match, repr(line)
    rest = match["rest"]
    if rest.startswith('"'):
        message, end = json.JSONDecoder().raw_decode(rest)
        pairs_text = rest[end:]
        assert pairs_text == "" or pairs_text.startswith(" "), repr(line)
    else:
        first_eq = rest.find("=")
        cut = rest.rfind(" ", 0, first_eq) if first_eq >= 0 else len(rest)
        message, pairs_text = rest[:max(cut, 0)], rest[max(cut, 0):]
        assert '"' not in message and "=" not in message, repr(line)
    return {**match.groupdict(), "message": message, "pairs": decode(pairs_text.strip(" "))}


def unescape_key(key: str) -> str:
    """The original of a key :func:`logfmt_key` escaped."""
    if key == EMPTY_KEY:
        return ""
    return _KEY_ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)), key)


def replace_surrogates(text: str) -> str:
    """What every output writes for a lone surrogate: U+FFFD (documented in renderers)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


# --- golden lines --------------------------------------------------------------------

EVENT: dict[str, Any] = {
    "timestamp": "2026-12-01T20:01:02.000123Z", "level": "info", "logger": "app.orders",
    "message": "order placed", "process": 4242, "correlation_id": "3baff0df9c2a4b1e",
    "parent_task_id": "65445384bbbb", "task_id": "4ff0d138aaaa", "service": "shop", "env": "prod",
    "order_id": 42, "amount": 9.5, "ok": True, "note": "two words", "empty": "", "missing": None,
    "tags": ["a", "b"],
    "exception": 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad',
}
TRACE_JSON = r'"Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad"'
TAGS = r'"[\"a\",\"b\"]"'


def test_json_golden_line() -> None:
    """JSONRenderer writes compact JSON in oxlog's key order, None as null, one line."""
    assert JSONRenderer()(EVENT) == (
        '{"timestamp":"2026-12-01T20:01:02.000123Z","level":"info","logger":"app.orders",'
        '"message":"order placed","process":4242,"correlation_id":"3baff0df9c2a4b1e",'
        '"parent_task_id":"65445384bbbb","task_id":"4ff0d138aaaa","service":"shop","env":"prod",'
        '"order_id":42,"amount":9.5,"ok":true,"note":"two words","empty":"","missing":null,'
        f'"tags":["a","b"],"exception":{TRACE_JSON}}}'
    )


def test_ecs_golden_line() -> None:
    """ECSRenderer puts the ECS head first, the call's keys under labels, the traceback under error."""
    assert ECSRenderer()(EVENT) == (
        '{"@timestamp":"2026-12-01T20:01:02.000123Z","log.level":"info","message":"order placed",'
        '"ecs.version":"8.11.0","log":{"logger":"app.orders"},"process":{"pid":4242},'
        '"service":{"name":"shop","environment":"prod"},"labels":{"correlation_id":"3baff0df9c2a4b1e",'
        '"parent_task_id":"65445384bbbb","task_id":"4ff0d138aaaa","order_id":42,"amount":9.5,'
        f'"ok":true,"note":"two words","empty":"","tags":{TAGS}}},'
        f'"error":{{"stack_trace":{TRACE_JSON}}}}}'
    )


def test_logfmt_golden_line() -> None:
    """LogfmtRenderer quotes only when needed, writes "" as key=, leaves None out."""
    assert LogfmtRenderer()(EVENT) == (
        "timestamp=2026-12-01T20:01:02.000123Z level=info logger=app.orders "
        'message="order placed" process=4242 correlation_id=3baff0df9c2a4b1e '
        "parent_task_id=65445384bbbb task_id=4ff0d138aaaa service=shop env=prod order_id=42 "
        f'amount=9.5 ok=true note="two words" empty= tags={TAGS} exception={TRACE_JSON}'
    )


CONSOLE_HEAD = ("20:01:02.000 INFO     4242   | 3baff0df | 65445384 | 4ff0d138 | "
                "app.orders               | ")
CONSOLE_PAIRS = f'service=shop env=prod order_id=42 amount=9.5 ok=true note="two words" empty= tags={TAGS}'


def test_console_golden_line_without_colors() -> None:
    """ConsoleRenderer: aligned columns, 8-character IDs, pairs, the traceback behind a gutter."""
    assert ConsoleRenderer()(EVENT) == (
        f"{CONSOLE_HEAD}order placed {CONSOLE_PAIRS}\n"
        "    │ Traceback (most recent call last):\n"
        '    │   File "x.py", line 1\n'
        "    │ ValueError: bad"
    )


def test_console_golden_line_with_colors() -> None:
    """With colours: dim time, parent and task, a bold correlation ID and message, the level's
    colour; same text otherwise."""
    dim, bold, green, reset = "\x1b[2m", "\x1b[1m", "\x1b[32m", "\x1b[0m"
    assert ConsoleRenderer(colors=True)(EVENT) == (
        f"{dim}20:01:02.000{reset} {green}INFO    {reset} 4242   | "
        f"{bold}3baff0df{reset} | {dim}65445384 | 4ff0d138{reset} | app.orders               | "
        f"{bold}order placed{reset} {CONSOLE_PAIRS}\n"
        f"{dim}    │ {reset}Traceback (most recent call last):\n"
        f'{dim}    │ {reset}  File "x.py", line 1\n'
        f"{dim}    │ {reset}ValueError: bad"
    )


def test_console_golden_line_decodes() -> None:
    """The golden console line (without its traceback) reads back with the strict decoder."""
    event = {k: v for k, v in EVENT.items() if k != "exception"}
    got = decode_console(ConsoleRenderer()(event))
    assert got["message"] == "order placed"
    assert got["pairs"]["note"] == "two words" and got["pairs"]["tags"] == '["a","b"]'


# --- logfmt round trip of every value type -----------------------------------------------


class Color(enum.Enum):
    RED = "red"


ROUND_TRIP: list[tuple[str, Any, str]] = [
    ("str", "plain", "plain"),
    ("str_space", "two words", "two words"),
    ("str_quote", 'say "hi"', 'say "hi"'),
    ("str_equals", "a=b", "a=b"),
    ("str_backslash", "C:\\dir", "C:\\dir"),
    ("str_newline", "a\nb", "a\nb"),
    ("str_empty", "", ""),
    ("str_unicode", "naïve ☃ 😀", "naïve ☃ 😀"),
    ("int", -7, "-7"),
    ("big_int", 10**30, str(10**30)),
    ("huge_int", 10**5000, "<unprintable int: 16610 bits>"),
    ("float", 0.1, "0.1"),
    ("float_exp", 1e100, "1e+100"),
    ("nan", math.nan, "NaN"),
    ("inf", math.inf, "Infinity"),
    ("ninf", -math.inf, "-Infinity"),
    ("true", True, "true"),
    ("false", False, "false"),
    ("list", [1, "a", None], '[1,"a",null]'),
    ("tuple", (1, 2), "[1,2]"),
    ("dict", {"k": [1.5, {"n": None}]}, '{"k":[1.5,{"n":null}]}'),
    ("nested_nan", {"x": math.nan}, '{"x":"NaN"}'),
    ("set", {3, 1, 2}, "[1,2,3]"),
    ("bytes", b"ab\xff", "ab\\xff"),
    ("uuid", uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ("decimal", decimal.Decimal("1.10"), "1.10"),
    ("decimal_nan", decimal.Decimal("NaN"), "NaN"),
    ("enum", Color.RED, "red"),
    ("datetime_naive", dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"),
    ("datetime_utc", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "2026-01-02T03:04:05Z"),
    ("datetime_offset", dt.datetime(2026, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
     "2026-01-02T00:00:00+02:00"),
    ("date", dt.date(2026, 1, 2), "2026-01-02"),
    ("path", PurePosixPath("/var/log"), "/var/log"),
    ("exception", ValueError("bad value"), "ValueError: bad value"),
    ("lone_surrogate", "a\udcffb", "a\ufffdb"),
]


@pytest.mark.parametrize(("value", "text"), [(v, t) for _, v, t in ROUND_TRIP],
                         ids=[name for name, _, _ in ROUND_TRIP])
def test_logfmt_round_trip(value: Any, text: str) -> None:
    """Every value type is written so the strict decoder reads back the documented text."""
    line = LogfmtRenderer()({"message": "m", "v": value})
    assert decode(line) == {"message": "m", "v": text}


@pytest.mark.parametrize("value", [v for _, v, _ in ROUND_TRIP], ids=[n for n, _, _ in ROUND_TRIP])
def test_logfmt_agrees_with_json(value: Any) -> None:
    """flat_line.log reads the same as json.log for each value (``expected_text`` of the JSON)."""
    json_value = strict_json(JSONRenderer()({"v": value}))["v"]
    assert decode(LogfmtRenderer()({"v": value}))["v"] == expected_text(json_value)


def test_none_leaves_the_key_out() -> None:
    """A None value is written as no key at all in logfmt (and as null in JSON)."""
    assert decode(LogfmtRenderer()({"a": 1, "b": None})) == {"a": "1"}


# --- injection, at the renderer ----------------------------------------------------------

FORGED_VALUES = [
    'x" level=error message="forged',
    "a\n2026-12-01T20:01:02.000123Z level=error logger=x message=forged",
    "a\r\x1b[2K\x1b[1Aforged",
    "a\x85b\u2028c\u2029d\x7fe\x9bf",
    "\x00\x01\x1f",
]


@pytest.mark.parametrize("value", FORGED_VALUES)
def test_a_value_cannot_add_a_logfmt_field_or_line(value: str) -> None:
    """The decoded logfmt line has exactly the real keys, the value intact."""
    line = LogfmtRenderer()({"level": "info", "message": "m", "v": value})
    assert "\n" not in line and not RAW_FORBIDDEN.search(line)
    assert decode(line) == {"level": "info", "message": "m", "v": value}


@pytest.mark.parametrize("value", FORGED_VALUES)
def test_a_value_cannot_add_a_console_field_or_line(value: str) -> None:
    """On the console a forged value stays one quoted value, and the message one message."""
    got = decode_console(ConsoleRenderer()({"level": "info", "logger": "x", "message": value, "v": value}))
    assert got["level"] == "INFO"
    assert got["message"] == console_readable(value)
    assert got["pairs"] == {"v": value}


@pytest.mark.parametrize("value", FORGED_VALUES)
def test_a_value_cannot_break_a_json_line(value: str) -> None:
    """JSON escapes every control character (C0, C1, DEL, U+2028/9): one object, value intact."""
    line = JSONRenderer()({"message": value})
    assert not RAW_FORBIDDEN.search(line)
    assert strict_json(line) == {"message": value}


FORGED_KEYS = ["a=b", "level", "with space", "x\n", 'q"uote', "back\\slash", "", "\x1b[31m",
               "nel\x85", "ls\u2028", "sur\udc80", "sur\udc81"]


@pytest.mark.parametrize("key", FORGED_KEYS)
def test_a_key_is_escaped_not_dropped_in_logfmt(key: str) -> None:
    """An invalid logfmt key is written escaped (reversibly) and never fakes another key."""
    line = LogfmtRenderer()({"real": "info", key: "v"})
    assert not RAW_FORBIDDEN.search(line)
    decoded = decode(line)
    assert len(decoded) == 2 and decoded.pop("real") == "info"
    [(written, value)] = decoded.items()
    assert value == "v" and unescape_key(written) == key


def test_two_keys_never_read_the_same_in_logfmt() -> None:
    """Different keys stay different after escaping (surrogates, empty key, backslashes)."""
    written = [logfmt_key(k) for k in FORGED_KEYS] + [logfmt_key("_"), logfmt_key("a\\x3db")]
    assert len(set(written)) == len(written)


def test_non_string_keys_never_repeat_a_key() -> None:
    """``extra={1: …, "1": …}``: the record's event has each key once, in JSON and logfmt."""
    record = logging.LogRecord("x", logging.INFO, "", 0, "m", None, None)
    record.__dict__.update({"1": "text", 1: "int"})
    extra = _event._record_head(record)[_event.KW]  # where a record's extra keys become text
    assert sorted(strict_json(JSONRenderer()(extra)).values()) == ["int", "text"]
    assert sorted(decode(LogfmtRenderer()(extra)).values()) == ["int", "text"]


@pytest.mark.parametrize("key", FORGED_KEYS)
def test_a_key_is_escaped_in_json(key: str) -> None:
    """In JSON a key reads back as logged (lone surrogates as U+FFFD), without raw controls."""
    line = JSONRenderer()({key: "v"})
    assert not RAW_FORBIDDEN.search(line)
    assert strict_json(line) == {replace_surrogates(key): "v"}


def test_console_escapes_bidi_controls() -> None:
    """A right-to-left override cannot reorder what a person sees on the console."""
    line = ConsoleRenderer()({"logger": "x", "message": "pay \u202eredro", "v": "\u2066a"})
    assert "\u202e" not in line and "\u2066" not in line
    assert "\\u202e" in line and "\\u2066" in line


def test_console_keeps_the_lines_of_a_traceback_behind_the_gutter() -> None:
    """An exception text that holds a fake record stays behind the gutter on the console."""
    line = ConsoleRenderer()({"logger": "x", "message": "m",
                              "exception": "E\n20:00:00.000 ERROR forged\x85x\u2028y"})
    first, *rest = line.split("\n")
    assert decode_console(first)["message"] == "m"
    assert rest and all(part.startswith("    │ ") for part in rest)


# --- property: random keys and values --------------------------------------------------------

keys = st.text(min_size=0, max_size=12)
scalars = st.one_of(st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans())


@settings(max_examples=300, deadline=None)
@given(key=keys, value=st.text(), message=st.text())
def test_random_text_decodes_back_in_every_renderer(key: str, value: str, message: str) -> None:
    """Random keys, values, messages: one line per renderer, decoded to what was logged."""
    event = {"timestamp": "2026-12-01T20:01:02.000123Z", "level": "info", "logger": "x",
             "message": message, "process": 1}
    user_key = "u" + key  # the head keys are oxlog's; processors rename a clash
    event[user_key] = value
    j = JSONRenderer()(event)
    assert "\n" not in j and not RAW_FORBIDDEN.search(j)
    decoded_json = strict_json(j)
    assert len(decoded_json) == 6
    assert decoded_json["message"] == replace_surrogates(message)
    assert decoded_json[replace_surrogates(user_key)] == replace_surrogates(value)
    lf = decode(LogfmtRenderer()(event))
    assert lf["message"] == replace_surrogates(message)
    assert {unescape_key(k): v for k, v in lf.items()}[user_key] == replace_surrogates(value)
    assert len(lf) == 6
    line = ConsoleRenderer()(event)
    assert "\n" not in line
    con = decode_console(line)
    assert con["message"] == console_readable(message)
    assert {unescape_key(k): v for k, v in con["pairs"].items()}[user_key] == console_readable_value(value)


def console_readable(text: str) -> str:
    """The console writes controls as escapes; decoding its message gives this."""
    from oxlog.renderers import console_message

    written = console_message(text)
    return replace_surrogates(text) if "=" in text or '"' in text else written


def console_readable_value(text: str) -> str:
    """A console pair value reads back as its logfmt value, with bidi controls escaped."""
    from oxlog.renderers import console_text, logfmt_value

    written = logfmt_value(text)
    assert written is not None
    return decode(f"k={console_text(written)}")["k"]


@settings(max_examples=200, deadline=None)
@given(value=st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12))
def test_random_nested_values_give_strict_json_and_logfmt(value: Any) -> None:
    """Nested lists/dicts with NaN, ±Infinity, huge ints, any text: strict JSON, valid logfmt."""
    j = JSONRenderer()({"message": "m", "v": value})
    assert not RAW_FORBIDDEN.search(j)
    decoded = strict_json(j)
    assert set(decoded) == {"message", "v"}
    assert decode(LogfmtRenderer()({"message": "m", "v": value}))["message"] == "m"


def test_console_keeps_its_columns_for_long_logger_names_and_shortens_request_id() -> None:
    """A 40-character logger keeps the 24-character column (its end shown); request_id is 8."""
    event = {**EVENT, "logger": "tests.project.shop.payments.gateway.stripe",
             "request_id": "8251ca5e-a897-45b9-aef4-cf5ce4d313aa"}
    line = ConsoleRenderer()(event).splitlines()[0]
    short = ConsoleRenderer()(EVENT).splitlines()[0]
    assert line.index("| order placed") == short.index("| order placed")
    assert "| …payments.gateway.stripe | " in line
    assert line.endswith(" request_id=8251ca5e") and "a897" not in line
