"""Issue 15, values and keys: each way a value, key or argument broke a Safety promise.

Every script runs in a fresh interpreter configured like ``tests/test_safety.py``'s
(json.log, flat_line.log and the console on stdout) and every output is read back
strictly (``json.loads`` with ``parse_constant`` raising, the strict logfmt and console
decoders). Each test here failed on the code before the fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Run
from tests.test_safety import SETUP, Outputs

# --- a value whose __str__ logs; str() once per value -----------------------------------------

LOUD = """
class Loud:
    calls = 0
    def __str__(self):
        Loud.calls += 1
        log.info("inside", v=self)
        return "loud"

class LoudArg:
    def __str__(self):
        std.info("inside-std %s", self)
        return "loud-arg"

class Counted:
    calls = 0
    def __str__(self):
        Counted.calls += 1
        return "counted"

log.info("outer", v=Loud())
std.info("outer-std %s", LoudArg())
print("LOUD", Loud.calls, file=sys.stderr)
log.info("count-structlog", v=Counted())
std.info("count-extra", extra={"v": Counted()})
std.info("count-arg %s", Counted())
log.info("count-nested", v={"inner": [Counted()]})
print("COUNTED", Counted.calls, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def loud(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from tests.conftest import python_runner

    return Outputs(python_runner(tmp_path_factory.mktemp("loud"))(SETUP + LOUD, settings=None,
                                                                  timeout=60))


def _outputs(run: Run) -> Outputs:
    """:class:`Outputs` of *run*, the console's traceback gutter lines (``    │ …``) left out."""
    run.stdout = "".join(line for line in run.stdout.splitlines(keepends=True)
                         if not line.startswith("    \u2502 "))
    return Outputs(run)


def _stderr_number(run: Run, tag: str) -> int:
    [value] = [int(line.split()[1]) for line in run.stderr.splitlines() if line.startswith(tag)]
    return value


def test_value_whose_str_logs_returns_and_writes_bounded_lines(loud: Outputs) -> None:
    """A value whose ``__str__`` logs itself: the call returns; the outer line, one nested
    line in full and one innermost line with a placeholder are written; said once."""
    messages = [r["message"] for r in loud.json]
    assert messages[:3] == ["inside", "inside", "outer"]
    innermost, nested, outer = loud.json[:3]
    assert innermost["v"] == "<Loud: not converted, it logs while being converted>"
    assert nested["v"] == outer["v"] == "loud"
    assert _stderr_number(loud.run, "LOUD") == 2
    assert loud.run.stderr.count("logs while it is being converted") == 1
    assert [r["message"] for r in loud.logfmt[:3]] == messages[:3]
    assert len(loud.console) == len(loud.json) == len(loud.logfmt)


def test_percent_argument_whose_str_logs_returns(loud: Outputs) -> None:
    """``std.info("%s", x)`` where ``x.__str__`` logs the same way: four lines (the outer
    formatting is unguarded, then two counted levels), no recursion; the innermost keeps
    its template, the argument's placeholder under ``message_args``."""
    rows = [r for r in loud.json if r["message"].startswith(("inside-std", "outer-std"))]
    assert [r["message"] for r in rows] == ["inside-std %s", "inside-std loud-arg",
                                            "inside-std loud-arg", "outer-std loud-arg"]
    assert rows[0]["message_args"] == ["<LoudArg: not converted, it logs while being converted>"]


def test_str_runs_once_per_value_per_record(loud: Outputs) -> None:
    """Four records with a counted value (a call key, ``extra=``, a ``%`` argument, inside a
    container), each written to json.log, flat_line.log and the console: four ``str()``."""
    assert _stderr_number(loud.run, "COUNTED") == 4
    rows = {r["message"]: r for r in loud.json if r["message"].startswith("count")}
    assert rows["count-structlog"]["v"] == rows["count-extra"]["v"] == "counted"
    assert rows["count-arg counted"]["level"] == "info"
    assert rows["count-nested"]["v"] == {"inner": ["counted"]}


# --- levels and extra= that are not what logging expects -----------------------------------------

ODD_CALLS = """
import collections.abc
class Flaky(collections.abc.Mapping):
    def __iter__(self): return iter(["fine", "k"])
    def __len__(self): return 2
    def __getitem__(self, key):
        if key == "k":
            raise KeyError(key)
        return 1
for level in (None, [], 1j, 20.5, "loud"):
    log.log(level, "odd-level", case=repr(level))
std.info("odd-extra-list", extra=[1, 2])
std.info("odd-extra-text", extra="abc")
std.info("odd-extra-key", extra=Flaky())
print("CALLS-DONE", file=sys.stderr)
"""


@pytest.fixture(scope="module")
def odd_calls(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from tests.conftest import python_runner

    return _outputs(python_runner(tmp_path_factory.mktemp("odd"))(SETUP + ODD_CALLS, settings=None))


def test_log_with_a_level_that_is_no_level_writes_at_info(odd_calls: Outputs) -> None:
    """``log.log(None | [] | 1j | 20.5 | "loud", …)`` never raises: each writes one INFO line;
    the wrong type is said once on stderr."""
    rows = [r for r in odd_calls.json if r["message"] == "odd-level"]
    assert [(r["case"], r["level"]) for r in rows] == [
        ("None", "info"), ("[]", "info"), ("1j", "info"), ("20.5", "info"), ("'loud'", "info")]
    assert odd_calls.run.stderr.count("neither a number nor a name") == 1


def test_extra_that_is_not_a_mapping_is_kept_as_a_field(odd_calls: Outputs) -> None:
    """``extra=[1, 2]`` and ``extra="abc"`` (the stdlib raises): the line, with ``extra``."""
    by_message = {r["message"]: r for r in odd_calls.json}
    assert by_message["odd-extra-list"]["extra"] == [1, 2]
    assert by_message["odd-extra-text"]["extra"] == "abc"
    assert "CALLS-DONE" in odd_calls.run.stderr


def test_extra_mapping_that_raises_keeps_every_key_once(odd_calls: Outputs) -> None:
    """A mapping whose ``extra["k"]`` raises (the stdlib raises it into the caller): the call
    returns, each key written once, the unreadable one as a placeholder."""
    row = {r["message"]: r for r in odd_calls.json}["odd-extra-key"]
    assert (row["fine"], row["k"]) == (1, "<unreadable: KeyError>")
    assert "_fine" not in row


# --- parked keys ---------------------------------------------------------------------------------

PARKED = """
log.info("parked-structlog", _stack="s", _exc_info="e", _kw="k")
std.info("parked-extra", extra={"_stack": "s", "_exc_info": "e", "_kw": "k"})
try:
    1 / 0
except ZeroDivisionError:
    log.exception("parked-exception", _exc_info="x")
    std.exception("parked-std-exception", extra={"_exc_info": "x"})
log.info("renamed", stack="one", _stack="two")
"""


@pytest.fixture(scope="module")
def parked(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from tests.conftest import python_runner

    return _outputs(python_runner(tmp_path_factory.mktemp("parked"))(SETUP + PARKED,
                                                                     settings=None))


@pytest.mark.parametrize("message", ["parked-structlog", "parked-extra"])
def test_call_keys_named_like_parking_keys_are_plain_fields(parked: Outputs, message: str) -> None:
    """``_stack=``, ``_exc_info=``, ``_kw=`` are fields of those names: no ``stack`` or
    ``exception`` field appears, nothing is lost."""
    row = {r["message"]: r for r in parked.json}[message]
    assert {k: row.get(k) for k in ("_stack", "_exc_info", "_kw")} == {
        "_stack": "s", "_exc_info": "e", "_kw": "k"}
    assert "stack" not in row and "exception" not in row and "oxlog_error" not in row


@pytest.mark.parametrize("message", ["parked-exception", "parked-std-exception"])
def test_exception_keeps_message_and_real_traceback_beside_an_exc_info_key(
        parked: Outputs, message: str) -> None:
    """``log.exception("x", _exc_info="x")``: the message, the real traceback, the key."""
    row = {r["message"]: r for r in parked.json}[message]
    assert row["level"] == "error" and row["_exc_info"] == "x"
    assert row["exception"].splitlines()[-1] == "ZeroDivisionError: division by zero"
    assert "oxlog_error" not in row
    assert "oxlog:" not in parked.run.stderr


def test_a_renamed_key_never_overwrites_a_call_key(parked: Outputs) -> None:
    """``stack="one", _stack="two"``: ``stack`` is kept as ``__stack``, ``_stack`` stays."""
    row = {r["message"]: r for r in parked.json}["renamed"]
    assert (row["_stack"], row["__stack"]) == ("two", "one")


# --- secrets in any mapping, sequence and query string -------------------------------------------

SECRETS = """
import collections, types, urllib.parse
import django
from django.conf import settings
settings.configure()
django.setup()
from django.http import QueryDict
from django.http.request import HttpHeaders
query = QueryDict("a=1&token=S-QD1&token=S-QD2", mutable=True)
headers = HttpHeaders({"HTTP_X_API_KEY": "S-HH", "HTTP_ACCEPT": "text/html"})
values = {
    "ordered": collections.OrderedDict(password="S-OD"),
    "default": collections.defaultdict(int, token="S-DD"),
    "proxy": types.MappingProxyType({"secret": "S-MP"}),
    "user_dict": collections.UserDict(pwd="S-UD"),
    "query_dict": query,
    "headers": headers,
    "deque": collections.deque([{"token": "S-DQ"}]),
    "user_list": collections.UserList([{"token": "S-UL"}]),
    "set": {"token=S-SET"},
    "bare_query": "token=S-BQ&a=1",
    "urlencoded": urllib.parse.urlencode({"api_key": "S-UE", "a": 1}),
    "form_body": b"password=S-FB&user=bob",
    "api_key_header": {"X-Api-Key": "S-XK", "x-api-key": "S-XK2"},
}
for name, value in values.items():
    log.info("secret", case=name + "-structlog", v=value)
    std.info("secret", extra={"case": name + "-extra", "v": value})
log.info("secret", case="key-structlog", **{"X-Api-Key": "S-KEY"})
log.info("not-secret", case="kept", v="GET /secret-page?a=1", w="a=1&b=2")
"""


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from tests.conftest import python_runner

    return Outputs(python_runner(tmp_path_factory.mktemp("secrets"))(SETUP + SECRETS,
                                                                     settings=None))


R = "[REDACTED]"
EXPECTED_SECRETS: dict[str, Any] = {
    "ordered": {"password": R},
    "default": {"token": R},
    "proxy": {"secret": R},
    "user_dict": {"pwd": R},
    "query_dict": {"a": ["1"], "token": R},
    "headers": {"X-Api-Key": R, "Accept": "text/html"},
    "deque": [{"token": R}],
    "user_list": [{"token": R}],
    "set": ["token=" + R],
    "bare_query": f"token={R}&a=1",
    "urlencoded": f"api_key={R}&a=1",
    "form_body": f"password={R}&user=bob",
    "api_key_header": {"X-Api-Key": R, "x-api-key": R},
}


@pytest.mark.parametrize("route", ["structlog", "extra"])
@pytest.mark.parametrize("name", list(EXPECTED_SECRETS))
def test_secret_in_any_container_or_query_string_is_masked(secrets: Outputs, name: str,
                                                           route: str) -> None:
    """Each value is written as a plain JSON value with its secret masked, in json.log and
    flat_line.log alike."""
    [row], [flat], [con] = secrets.case(f"{name}-{route}")
    assert row["v"] == EXPECTED_SECRETS[name]
    expected_text = row["v"] if isinstance(row["v"], str) else json.dumps(
        row["v"], ensure_ascii=False, separators=(",", ":"))
    assert flat["v"] == expected_text
    assert "S-" not in json.dumps(con)


def test_a_header_name_with_dashes_is_a_secret_key(secrets: Outputs) -> None:
    """``**{"X-Api-Key": …}``: ``api_key`` matches it (``-`` and ``_`` alike)."""
    [row], _, _ = secrets.case("key-structlog")
    assert row["X-Api-Key"] == R


def test_no_secret_reaches_any_file(secrets: Outputs) -> None:
    """No marker of a secret is in either file (every ``S-…`` value sits under a secret)."""
    for name in ("json.log", "flat_line.log"):
        assert "S-" not in (secrets.run.log_dir / name).read_text()
    assert "S-" not in secrets.run.stdout


def test_a_path_or_parameters_without_secret_names_are_kept(secrets: Outputs) -> None:
    """``/secret-page?a=1`` (a secret word in the path, not the parameter) stays as it is."""
    [row], _, _ = secrets.case("kept")
    assert (row["v"], row["w"]) == ("GET /secret-page?a=1", "a=1&b=2")


# --- a str subclass whose methods lie ----------------------------------------------------------

LIAR = """
class Liar(str):
    def isprintable(self): return True
    def replace(self, *a): return self
    def __str__(self): return self
    def __contains__(self, x): return False
forged = "a\\n00:00:00.000 ERROR    1      |          |          |          | forged | forged"
log.info(Liar(forged), v=Liar("b\\nforged=1"), **{Liar("k\\nz"): 1})
std.info(Liar(forged), extra={"v": Liar("b\\nforged=1")})
std.info("%s", Liar(forged))
print("CALLS-DONE", file=sys.stderr)
"""


def test_str_subclass_that_lies_cannot_forge_a_console_line(run_python: Any) -> None:
    """A ``str`` subclass whose ``isprintable``/``replace``/``__contains__`` lie: one line per
    call in every output, the text escaped, the message and value read back exactly."""
    run = run_python(SETUP + LIAR, settings=None)
    out = Outputs(run)  # strict decoders: a forged line would fail here
    forged = "a\n00:00:00.000 ERROR    1      |          |          |          | forged | forged"
    assert (len(out.json), len(out.logfmt), len(out.console)) == (3, 3, 3)
    assert [r["message"] for r in out.json] == [forged] * 3
    assert out.json[0]["v"] == out.json[1]["v"] == "b\nforged=1"
    assert out.json[0]["k\nz"] == 1
    assert all(line["logger"].strip() == "x" for line in out.console)


# --- the recursion limit -------------------------------------------------------------------------

DEEP = """
sys.setrecursionlimit(300)

def nest(n):
    if n:
        nest(n - 1)

def frames_left():
    for n in range(100):
        try:
            nest(n)
        except RecursionError:
            return n
    return 100

results = []

class Quiet(logging.Handler):  # the control: the stdlib's own path to a handler that writes nothing
    def emit(self, record):
        pass

control = logging.getLogger("control")
control.propagate = False
control.addHandler(Quiet())

def deep(k, target, kind):
    if k < target:
        return deep(k + 1, target, kind)
    left = frames_left()
    try:
        if kind == "structlog":
            log.info("deep", target=target)
        elif kind == "stdlib":
            std.info("deep %s", target)
        else:
            control.info("deep %s", target)
        results.append([kind, target, left, "returned"])
    except BaseException as exc:
        results.append([kind, target, left, type(exc).__name__])

for kind in ("structlog", "stdlib", "control"):
    for target in range(200, 300):
        log.info("settle")  # a call with frames to spare finishes what the last one left
        try:
            deep(0, target, kind)
        except RecursionError:
            pass  # the way down itself was too deep: no log call was made
log.info("settle")
print("RESULTS", json.dumps(results), file=sys.stderr)
import oxlog._event
print("LOST", oxlog._event.lost_total, file=sys.stderr)
"""


def test_calls_near_the_recursion_limit_write_their_line_or_say_so(run_python: Any) -> None:
    """Calls made with 0 to 100 frames left. A structlog call with a frame to enter never
    raises; a ``logging``
    call raises only where the stdlib's own frames do not fit: where the same call to a
    handler that writes nothing, without oxlog's handlers (the control), raises too, or up to
    two frames above it. Every call that returned wrote one line in
    each file (whole, or a placeholder when stderr says so), or is counted and reported as
    dropped: the report says what happened."""
    run = run_python(SETUP.replace("import ", "import json, ", 1) + DEEP, settings=None,
                     timeout=120)
    [results] = [json.loads(line.split(" ", 1)[1]) for line in run.stderr.splitlines()
                 if line.startswith("RESULTS")]
    lost = _stderr_number(run, "LOST")
    assert len(results) > 150
    raised = [(kind, left) for kind, _, left, outcome in results if outcome != "returned"]
    control = max(left for kind, left in raised if kind == "control")
    assert 3 <= control <= 12  # the control's own limit: the stdlib needs a few frames
    # oxlog's plain-logging path may need up to two frames more than the bare stdlib path
    # to a handler (its makeRecord and handler; measured: one on 3.10 and 3.11, two on 3.12).
    # A call with no frame left cannot even enter oxlog's method (seen on 3.12+, whose
    # recursion count is Python frames only): the RecursionError is the caller's own.
    assert [r for r in raised if (r[0] == "structlog" and r[1] > 0)
            or (r[0] == "stdlib" and r[1] > control + 2)] == []
    results = [r for r in results if r[0] != "control"]
    returned = {(kind, target) for kind, target, _, outcome in results if outcome == "returned"}
    rows = [r for r in run.json() if r["message"] != "settle"]
    written = {("structlog", r["target"]) if "target" in r else ("stdlib", int(r["message"][5:]))
               for r in rows if "oxlog_error" not in r}
    placeholders = [r for r in rows if "oxlog_error" in r]
    assert len(rows) + lost == len(returned)
    assert written <= returned
    assert bool(placeholders) == ("placeholder line was written" in run.stderr)
    assert (lost > 0) == ("could not be written, not even as a placeholder" in run.stderr)
    assert len([r for r in run.logfmt() if r["message"] != "settle"]) == len(rows)


# --- configure() -------------------------------------------------------------------------------


def test_nul_in_the_log_directory_is_a_configuration_error(tmp_path: Any) -> None:
    """``configure(dir="logs\\x00x")``: a ConfigurationError naming OXLOG_DIR, not ValueError's."""
    import oxlog

    with pytest.raises(oxlog.ConfigurationError, match="OXLOG_DIR"):
        oxlog.configure(dir=str(tmp_path / "logs\x00x"))


def test_misspelt_keyword_is_a_configuration_error() -> None:
    """``configure(levle="DEBUG")`` names the unknown setting and lists the known ones."""
    import oxlog

    with pytest.raises(oxlog.ConfigurationError, match=r"'levle'.*level") as caught:
        oxlog.configure(levle="DEBUG")
    assert "max_value_length" in str(caught.value)


def test_prefixed_keyword_is_still_accepted() -> None:
    """``OXLOG_LEVEL=`` stays a way to name a setting (only unknown names are refused)."""
    from oxlog._options import Settings

    assert Settings.load({"OXLOG_LEVEL": "DEBUG"}, django=False).level == "DEBUG"


# --- task IDs from a message -----------------------------------------------------------------

UUID = "b65f3ce3-ddd8-423b-ba4e-8e437e897f94"
PREFIXED = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90_59caa747-1fa7-44da-8cb8-4db82d9d394e"


def test_real_task_ids_are_written_as_they_are() -> None:
    """Celery's UUIDs and oxlog's ``<cid>_<uuid>`` IDs pass untouched (the same objects)."""
    from oxlog.celery.signals import task_context

    headers = {"id": PREFIXED, "task": "shop.tasks.pay", "parent_id": UUID, "root_id": UUID,
               "retries": 2}
    values = task_context("c" * 32, headers)
    assert values == {"correlation_id": "c" * 32, "task_id": PREFIXED,
                      "task_name": "shop.tasks.pay", "parent_task_id": UUID,
                      "root_task_id": UUID, "retries": 2}
    assert values["task_id"] is PREFIXED


HOSTILE = {
    "huge": "a" * 100_000,
    "newline": UUID + "\n2026-12-01T00:00:00Z level=error message=forged",
    "space": "a b",
    "empty": "",
    "bidi": "abc\u202edef",
    "number": 12345,
    "bytes": b"\xff" * 10,
}


@pytest.mark.parametrize("header", ["id", "parent_id", "root_id", "task"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_task_ids_are_replaced_by_a_bounded_stand_in(name: str, header: str,
                                                              capfd: Any) -> None:
    """A task ID, parent, root or name from a message that is not one is written as
    ``rejected-<16 hex>``: the same for the same value, never the value; said on stderr."""
    from oxlog._report import forget_reports
    from oxlog.celery.signals import task_context

    forget_reports()
    field = {"id": "task_id", "parent_id": "parent_task_id", "root_id": "root_task_id",
             "task": "task_name"}[header]
    value = HOSTILE[name]
    first = task_context(None, {header: value})[field]
    again = task_context(None, {header: value})[field]
    assert first == again and len(first) == 25 and first.startswith("rejected-")
    assert int(first[9:], 16) >= 0
    assert f"a task message carried a {header} that is not a task ID" in capfd.readouterr().err
    forget_reports()


def test_retries_that_are_not_a_number_are_left_out() -> None:
    """``retries`` from a message is written only as a whole number."""
    from oxlog.celery.signals import task_context

    assert "retries" not in task_context(None, {"retries": "9" * 1000})
    assert "retries" not in task_context(None, {"retries": [1]})


# --- what the stdlib lets through ----------------------------------------------------------------

INTERRUPT = """
class Interrupting:
    def __str__(self):
        raise KeyboardInterrupt

for call in (lambda: log.info("x", v=Interrupting()), lambda: std.info("%s", Interrupting())):
    try:
        call()
        print("RETURNED", file=sys.stderr)
    except KeyboardInterrupt:
        print("INTERRUPTED", file=sys.stderr)

class Loud:
    def __str__(self):
        log.info("inside", v=self)
        return "loud"

log.info("after", v=Loud())  # the nesting count was given back: the usual three lines
"""


def test_keyboard_interrupt_in_a_value_passes_through_as_in_the_stdlib(run_python: Any) -> None:
    """``KeyboardInterrupt`` from a value's ``__str__`` reaches the caller (the stdlib lets it
    through too), and leaves oxlog's nesting count as it was."""
    run = run_python(SETUP + INTERRUPT, settings=None)
    assert run.stderr.count("INTERRUPTED") == 2 and "RETURNED" not in run.stderr
    rows = run.json()
    assert [r["message"] for r in rows] == ["inside", "inside", "after"]
    assert rows[1]["v"] == "loud"


REDACT_OFF = """
import oxlog, structlog, sys
oxlog.configure(console="console", console_stream="stdout", files=["json", "logfmt"], redact=False)
log = structlog.get_logger("x")

class Counted:
    calls = 0
    def __str__(self):
        Counted.calls += 1
        return "counted"

class Liar(str):
    def isprintable(self): return True

log.info("off", v=Counted(), w=Liar("a\\nb"), password="kept")
print("COUNTED", Counted.calls, file=sys.stderr)
"""


def test_without_redaction_values_are_still_converted_once(run_python: Any) -> None:
    """``OXLOG_REDACT = False``: nothing is masked, but each value is still converted once
    and a lying ``str`` subclass still cannot forge a console line."""
    run = run_python(REDACT_OFF, settings=None)
    assert _stderr_number(run, "COUNTED") == 1
    [row] = run.json()
    assert (row["v"], row["w"], row["password"]) == ("counted", "a\nb", "kept")
    assert len(run.stdout.splitlines()) == 1
