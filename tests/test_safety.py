"""Logging that cannot hurt, end to end: bad values, forged lines, reserved keys.

Each script runs in a fresh interpreter configured with ``oxlog.configure`` (json.log,
flat_line.log and the console on stdout); every output is read back strictly: JSON
with ``parse_constant`` raising, logfmt and the console with the strict decoders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, python_runner
from tests.logfmt import decode
from tests.test_renderers import RAW_FORBIDDEN, decode_console, strict_json, unescape_key

SETUP = """
import datetime, decimal, enum, logging, sys, time
import oxlog, structlog
oxlog.configure(console="console", console_stream="stdout", files=["json", "logfmt"])
log = structlog.get_logger("x")
std = logging.getLogger("x")

class NoJson:
    pass

class Unprintable:
    def __repr__(self): raise RuntimeError("repr")
    def __str__(self): raise RuntimeError("str")

class Color(enum.Enum):
    RED = 1

rdict = {}; rdict["self"] = rdict
rlist = []; rlist.append(rlist)
def gen():
    yield 1
"""

#: name → (Python expression, check of the JSON value of ``v``)
CASES: dict[str, tuple[str, Any]] = {
    "not_json": ("NoJson()", lambda v: v.startswith("<__main__.NoJson object at 0x")),
    "raising_repr": ("Unprintable()", "<unprintable Unprintable>"),
    "recursive_dict": ("rdict", lambda v: "<recursive dict>" in json.dumps(v)),
    "recursive_list": ("rlist", lambda v: "<recursive list>" in json.dumps(v)),
    "bytes": ("b'\\xff\\x00a\\n'", "\\xff\x00a\n"),
    "lone_surrogate": ("'a\\ud800b'", "a\ufffdb"),
    "nan": ("float('nan')", "NaN"),
    "inf": ("float('inf')", "Infinity"),
    "ninf": ("float('-inf')", "-Infinity"),
    "nested_nonstr_keys": ("{1: 'a', (1, 2): 'b', None: 3}", {"1": "a", "(1, 2)": "b", "None": 3}),
    "mixed_set": ("{1, 'a', (2,)}", lambda v: sorted(map(str, v)) == ["(2,)", "1", "a"]),
    "enum": ("Color.RED", 1),
    "decimal_nan": ("decimal.Decimal('NaN')", "NaN"),
    "naive_datetime": ("datetime.datetime(2026, 1, 2, 3, 4)", "2026-01-02T03:04:00"),
    "aware_datetime": ("datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)", "2026-01-02T00:00:00Z"),
    "generator": ("gen()", lambda v: v.startswith("<generator object gen at")),
    "huge_int": ("10**5000", "<unprintable int: 16610 bits>"),
    "forged_field": ("'x\" level=error message=\"forged'", 'x" level=error message="forged'),
    "forged_line": ("'a\\n2026-12-01T20:01:02.000123Z level=error message=forged'",
                    "a\n2026-12-01T20:01:02.000123Z level=error message=forged"),
    "controls": ("'\\x1b[31m\\r\\x85\\x7f\\x9b\\u2028\\u2029\\x00'",
                 "\x1b[31m\r\x85\x7f\x9b\u2028\u2029\x00"),
}
ROUTES = ("structlog", "extra", "percent_arg")


def _calls() -> str:
    lines = []
    for name, (expr, _) in CASES.items():
        lines.append(f"log.info('ev', case='{name}-structlog', v={expr})")
        lines.append(f"std.info('msg', extra={{'case': '{name}-extra', 'v': {expr}}})")
        lines.append(f"std.info('arg %s', {expr}, extra={{'case': '{name}-percent_arg'}})")
    lines.append("print('CALLS-DONE', file=sys.stderr)")
    return "\n".join(lines)


class Outputs:
    """The three outputs of one run, each line decoded strictly."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.json = [strict_json(line) for line in _lines(run.log_dir / "json.log")]
        self.logfmt = [decode(line) for line in _lines(run.log_dir / "flat_line.log")]
        self.console = [decode_console(line) for line in run.stdout.splitlines()]
        for path in ("json.log", "flat_line.log"):
            assert not RAW_FORBIDDEN.search((run.log_dir / path).read_text().replace("\n", ""))

    def case(self, case: str) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[dict[str, Any]]]:
        return ([r for r in self.json if r.get("case") == case],
                [r for r in self.logfmt if r.get("case") == case],
                [r for r in self.console if r["pairs"].get("case") == case])


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


@pytest.fixture(scope="module")
def bad_values(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    run = python_runner(tmp_path_factory.mktemp("bad"))(SETUP + _calls(), settings=None)
    assert "CALLS-DONE" in run.stderr
    return Outputs(run)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", list(CASES))
def test_bad_value_gives_one_valid_line_in_every_output(bad_values: Outputs, name: str, route: str) -> None:
    """A bad value gives exactly one strictly valid line in json.log, flat_line.log and the console."""
    in_json, in_logfmt, on_console = bad_values.case(f"{name}-{route}")
    assert (len(in_json), len(in_logfmt), len(on_console)) == (1, 1, 1)
    assert in_json[0]["message"] == in_logfmt[0]["message"]
    assert "oxlog_error" not in in_json[0]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("route", ["structlog", "extra"])
def test_bad_value_is_written_as_documented(bad_values: Outputs, name: str, route: str) -> None:
    """The value in json.log is its documented stand-in; flat_line.log reads the same text."""
    [record], [flat], _ = bad_values.case(f"{name}-{route}")
    expected = CASES[name][1]
    assert expected(record["v"]) if callable(expected) else record["v"] == expected
    as_text = record["v"] if isinstance(record["v"], str) else json.dumps(
        record["v"], ensure_ascii=False, separators=(",", ":"))
    assert flat["v"] == (as_text if not isinstance(record["v"], int) else str(record["v"]))


def test_percent_arg_that_cannot_be_printed_keeps_the_template(bad_values: Outputs) -> None:
    """``std.info("arg %s", Unprintable())``: the template stays, the arg is a placeholder."""
    [record], _, _ = bad_values.case("raising_repr-percent_arg")
    assert record["message"] == "arg %s"
    assert record["message_args"] == ["<unprintable Unprintable>"]


def test_no_report_for_values_oxlog_knows_how_to_write(bad_values: Outputs) -> None:
    """None of the bad values needs a fallback: stderr has no oxlog report."""
    assert "oxlog:" not in bad_values.run.stderr


def test_forged_value_adds_no_field_on_the_console(bad_values: Outputs) -> None:
    """On the console the forged value is one quoted value: the real level and no fake key."""
    _, _, [line] = bad_values.case("forged_field-structlog")
    assert line["level"] == "INFO"
    assert set(line["pairs"]) == {"case", "v"}


# --- reserved keys, % mistakes, event= / message= -------------------------------------------

RESERVED = """
log.info("ev", timestamp="t", level="l", logger="g", message="m", process="p")
std.info("msg", extra={"timestamp": "t", "level": "l", "logger": "g"})
std.info("%d items", "x")
std.info("%s %s", 1)
log.info("x", event="y")
log.info(event="y")
log.info("x", message="m")
log.info("ev", **{"a=b": 1, "with space": 2, "x\\n": 3, "": 4})
"""


@pytest.fixture(scope="module")
def reserved(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    return Outputs(python_runner(tmp_path_factory.mktemp("reserved"))(SETUP + RESERVED, settings=None))


def test_user_keys_named_like_oxlog_fields_are_kept_with_an_underscore(reserved: Outputs) -> None:
    """``timestamp=``, ``level=``, ``logger=``, ``message=`` are written as ``_timestamp`` … once."""
    record, flat, con = reserved.json[0], reserved.logfmt[0], reserved.console[0]
    assert record["level"] == "info" and record["logger"] == "x" and record["message"] == "ev"
    assert {k: record[k] for k in ("_timestamp", "_level", "_logger", "_message", "_process")} == {
        "_timestamp": "t", "_level": "l", "_logger": "g", "_message": "m", "_process": "p"}
    assert flat["level"] == "info" and flat["_level"] == "l"
    assert con["level"] == "INFO" and con["pairs"]["_level"] == "l"


def test_stdlib_extra_named_like_oxlog_fields_is_kept_with_an_underscore(reserved: Outputs) -> None:
    """``extra={"level": …}`` on a plain logging call never overwrites oxlog's field."""
    record = reserved.json[1]
    assert (record["level"], record["logger"], record["message"]) == ("info", "x", "msg")
    assert (record["_timestamp"], record["_level"], record["_logger"]) == ("t", "l", "g")


def test_percent_type_mistake_keeps_template_and_arg_reprs(reserved: Outputs) -> None:
    """``log.info("%d items", "x")`` writes the template and ``message_args=["'x'"]``."""
    assert (reserved.json[2]["message"], reserved.json[2]["message_args"]) == ("%d items", ["'x'"])
    assert reserved.logfmt[2]["message_args"] == '["\'x\'"]'


def test_percent_count_mistake_keeps_template_and_arg_reprs(reserved: Outputs) -> None:
    """``log.info("%s %s", 1)`` writes the template and ``message_args=["1"]``."""
    assert (reserved.json[3]["message"], reserved.json[3]["message_args"]) == ("%s %s", ["1"])


def test_event_keyword_beside_a_message_is_a_plain_key(reserved: Outputs) -> None:
    """``log.info("x", event="y")``: message x, key event=y."""
    assert (reserved.json[4]["message"], reserved.json[4]["event"]) == ("x", "y")


def test_event_keyword_alone_is_the_message(reserved: Outputs) -> None:
    """``log.info(event="y")``: the message is y, no event key."""
    assert reserved.json[5]["message"] == "y" and "event" not in reserved.json[5]


def test_message_keyword_is_kept_as_underscore_message(reserved: Outputs) -> None:
    """``log.info("x", message="m")``: message x, ``_message`` m."""
    assert (reserved.json[6]["message"], reserved.json[6]["_message"]) == ("x", "m")


def test_invalid_logfmt_keys_are_escaped_not_dropped_end_to_end(reserved: Outputs) -> None:
    """Keys ``a=b``, with a space, with LF and empty reach flat_line.log and the console escaped."""
    expected = {"a=b": "1", "with space": "2", "x\n": "3", "": "4"}
    for pairs in (reserved.logfmt[7], reserved.console[7]["pairs"]):
        got = {unescape_key(k): v for k, v in pairs.items()}
        assert {k: got.get(k) for k in expected} == expected
    assert {k: reserved.json[7][k] for k in expected} == {k: int(v) for k, v in expected.items()}


def test_every_output_has_one_line_per_call(reserved: Outputs) -> None:
    """Eight calls, eight lines in each output (no fallback, nothing split)."""
    assert (len(reserved.json), len(reserved.logfmt), len(reserved.console)) == (8, 8, 8)


# --- size ----------------------------------------------------------------------------------

BIG = """
big = "a" * 10_000_000 + "\\n" + "end"
for call in (lambda: log.info(big), lambda: std.info(big), lambda: log.info("ev", v=big)):
    times = []
    for _ in range(2):  # the better of two: a busy machine must not decide the figure
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    print(f"ELAPSED {min(times):.4f}", file=sys.stderr)
"""


def test_ten_megabyte_message_is_one_line_in_every_output(run_python: Any) -> None:
    """A 10 MB message or value is one whole line in every output.

    The time of each call is printed (``pytest -s``), not asserted: speed is measured by
    hand and in ``bench/``, never by a test a busy machine can fail.
    """
    run = run_python(SETUP + BIG, settings=None)
    elapsed = [float(line.split()[1]) for line in run.stderr.splitlines() if line.startswith("ELAPSED")]
    print("10 MB call times (s):", elapsed)
    assert len(elapsed) == 3
    out = Outputs(run)
    assert (len(out.json), len(out.logfmt), len(out.console)) == (6, 6, 6)
    assert len(out.json[0]["message"]) == 10_000_004 and out.json[4]["v"] == out.json[0]["message"]


# --- property, end to end ---------------------------------------------------------------------

PROPERTY = """
import io, json, re
from hypothesis import example, given, settings, strategies as st
from tests.logfmt import decode
from tests.test_renderers import decode_console, strict_json, unescape_key, replace_surrogates, RAW_FORBIDDEN
from tests.test_renderers import console_readable_value
from oxlog._options import DEFAULT_REDACT_KEYS
from oxlog.processors import REDACTED, Redactor
redactor = Redactor(DEFAULT_REDACT_KEYS)  # what redaction (on by default) does to the input
dirpath = oxlog.current_settings().dir
offsets = {"json.log": 0, "flat_line.log": 0}
count = 0

def new_lines(name):
    data = (dirpath / name).read_bytes()[offsets[name]:]
    offsets[name] += len(data)
    text = data.decode("utf-8")
    assert text.endswith("\\n") and not RAW_FORBIDDEN.search(text[:-1].replace("\\n", "")), repr(text)
    return text.split("\\n")[:-1]

@settings(max_examples=150, deadline=None, database=None)
@given(key=st.text(max_size=10), value=st.text(), message=st.text())
@example(key="SECRET", value="0", message="GET /?token=abc")  # redaction applies, as documented
def check(key, value, message):
    global count
    key = "u" + key
    saved, sys.stdout = sys.stdout, io.StringIO()
    try:
        log.info(message, **{key: value})
        std.info(message, extra={key: value})  # no args: the message is not %-formatted
        console = sys.stdout.getvalue()
    finally:
        sys.stdout = saved
    assert console.count("\\n") == 2, repr(console)
    message = redactor.redact_text(message)
    value = REDACTED if redactor.is_sensitive(key) and value else redactor.redact_text(value)
    js, lf = new_lines("json.log"), new_lines("flat_line.log")
    assert len(js) == len(lf) == 2
    for line in js:
        record = strict_json(line)
        assert record["message"] == replace_surrogates(message)
        assert record[replace_surrogates(key)] == replace_surrogates(value)
    for line in lf:
        pairs = {unescape_key(k): v for k, v in decode(line).items()}
        assert pairs["message"] == replace_surrogates(message) and pairs[key] == replace_surrogates(value)
    for line in console.split("\\n")[:-1]:
        got = decode_console(line)
        pairs = {unescape_key(k): v for k, v in got["pairs"].items()}
        assert pairs[key] == console_readable_value(value)
    count += 1

check()
print("EXAMPLES", count, file=sys.stderr)
"""


def test_random_keys_values_messages_decode_in_every_output(run_python: Any) -> None:
    """Hypothesis: random text keys/values/messages, structlog and stdlib calls alike, give
    exactly one line per call in each output, decoding to what was logged."""
    run = run_python(SETUP + PROPERTY, settings=None, timeout=120)
    [examples] = [int(line.split()[1]) for line in run.stderr.splitlines() if line.startswith("EXAMPLES")]
    assert examples >= 100
