"""oxlog's ``LogRecord`` construction: the same records as the stdlib's, and the same lines."""

from __future__ import annotations

import json
import logging
import logging.config
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

import oxlog
from oxlog import records

#: Attributes that depend on the moment of construction; checked against ``created``.
TIMED = ("created", "msecs", "relativeCreated")

try:
    raise ValueError("boom")
except ValueError:
    EXC_INFO = sys.exc_info()

CASES: dict[str, tuple[Any, ...]] = {
    "percent args": ("app", logging.INFO, "/srv/app/views.py", 12, "a %s %d", ("x", 2), None, "view", None),
    "one dict arg": ("app", logging.INFO, "/srv/app/views.py", 12, "%(a)s", ({"a": 1},), None, "f", None),
    "one empty dict": ("app", logging.INFO, "/srv/app/views.py", 12, "%s", ({},), None, "f", None),
    "one mapping proxy": ("app", logging.INFO, "/srv/a.py", 1, "%(a)s",
                          (types.MappingProxyType({"a": 1}),), None, None, None),
    "one str arg": ("app", logging.INFO, "/srv/a.py", 1, "%s", ("text",), None, None, None),
    "no args": ("app", logging.WARNING, "/srv/a.py", 1, "plain", (), None, None, None),
    "args None": ("app", logging.WARNING, "/srv/a.py", 1, "plain", None, None, None, None),
    "path without dirs": ("app", logging.ERROR, "manage.py", 3, "m", (), None, "main", None),
    "path with no suffix": ("app", logging.ERROR, "/usr/bin/celery", 3, "m", (), None, "main", None),
    "path None": ("app", logging.ERROR, None, 0, "m", (), None, None, None),
    "path not a str": ("app", logging.ERROR, 5, 0, "m", (), None, None, None),
    "path True": ("app", logging.ERROR, True, 0, "m", (), None, None, None),
    "path unhashable": ("app", logging.ERROR, ["a"], 0, "m", (), None, None, None),
    "unnamed level": ("app", 25, "/srv/a.py", 1, "m", (), None, None, None),
    "exception and stack": ("app", logging.ERROR, "/srv/a.py", 1, "m", (), EXC_INFO, "f", "Stack (most…"),
    "message not a str": ("app", logging.INFO, "/srv/a.py", 1, {"k": "v"}, (), None, None, None),
}


def assert_same_record(fast: logging.LogRecord, stdlib: logging.LogRecord) -> None:
    """Every attribute equal (the timed ones consistent with ``created``), in the same order."""
    fast_vars, stdlib_vars = vars(fast), vars(stdlib)
    assert type(fast) is logging.LogRecord
    assert list(fast_vars) == list(stdlib_vars)
    assert {k: v for k, v in fast_vars.items() if k not in TIMED} == {
        k: v for k, v in stdlib_vars.items() if k not in TIMED}
    created = fast.created
    assert abs(created - stdlib.created) < 5
    assert fast.msecs == int((created - int(created)) * 1000) + 0.0
    assert fast.relativeCreated == (created - logging._startTime) * 1000  # type: ignore[attr-defined]
    assert fast.getMessage() == stdlib.getMessage()


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_new_record_equals_the_stdlib_record(args: tuple[Any, ...]) -> None:
    assert_same_record(records.new_record(*args), logging.LogRecord(*args))


def test_equal_paths_of_other_types_do_not_share_a_cache_entry() -> None:
    """1 == True == 1.0: the cache of file names must not answer one for the other."""
    for path in (1, True, 1.0):
        args = ("app", logging.INFO, path, 1, "m", (), None, None, None)
        assert_same_record(records.new_record(*args), logging.LogRecord(*args))


def test_a_patched_clock_is_read_as_the_stdlib_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(time, "time", lambda: 1000.25)
    args = ("app", logging.INFO, "/srv/a.py", 1, "m", (), None, None, None)
    fast, stdlib = records.new_record(*args), logging.LogRecord(*args)
    assert fast.created == stdlib.created == 1000.25 and fast.msecs == stdlib.msecs == 250.0


def test_a_level_named_later_and_the_thread_name_are_read_at_each_call() -> None:
    logging.addLevelName(27, "NOTICE")
    try:
        args = ("app", 27, "/srv/a.py", 1, "m", (), None, None, None)
        results: list[tuple[logging.LogRecord, logging.LogRecord]] = []
        thread = threading.Thread(
            target=lambda: results.append((records.new_record(*args), logging.LogRecord(*args))),
            name="worker-7")
        thread.start()
        thread.join()
        (fast, stdlib), = results
        assert fast.levelname == "NOTICE"
        assert fast.threadName == "worker-7"
        assert_same_record(fast, stdlib)
    finally:
        del logging._levelToName[27]  # type: ignore[attr-defined]
        del logging._nameToLevel["NOTICE"]  # type: ignore[attr-defined]


def _child_record(queue: Any) -> None:
    record = records.new_record("app", logging.INFO, "/srv/a.py", 1, "m", (), None)
    queue.put((record.process, record.processName, os.getpid(),
               multiprocessing.current_process().name))


def test_a_forked_child_writes_its_own_pid_and_process_name() -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_record, args=(queue,), name="ForkPoolWorker-3")
    child.start()
    process, process_name, pid, name = queue.get(timeout=30)
    child.join(30)
    assert (process, process_name) == (pid, name) == (child.pid, "ForkPoolWorker-3")
    assert process != os.getpid()


def test_the_fast_construction_is_taken_on_the_interpreter_it_mirrors() -> None:
    """If CPython 3.11 stopped matching, the records would silently cost 3x again."""
    expected = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
    assert records.FAST is expected


def test_a_patched_logrecord_init_turns_the_fast_construction_off(monkeypatch: pytest.MonkeyPatch) -> None:
    original = logging.LogRecord.__init__

    def init(self: logging.LogRecord, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)

    monkeypatch.setattr(logging.LogRecord, "__init__", init)
    assert records._mirrors_stdlib() is False


def test_a_logrecord_init_patched_after_configuration_is_honoured(
        json_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An APM that patches ``LogRecord.__init__`` later still sees every record."""
    original = logging.LogRecord.__init__

    def init(self: logging.LogRecord, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.apm_span = "s-1"  # type: ignore[attr-defined]

    monkeypatch.setattr(logging.LogRecord, "__init__", init)
    logging.getLogger("app").warning("traced %s", "here")
    (line,) = [json.loads(x) for x in (json_log / "json.log").read_text().splitlines()]
    assert (line["message"], line["apm_span"]) == ("traced here", "s-1")


@pytest.fixture
def json_log(tmp_path: Path) -> Iterator[Path]:
    oxlog.configure(dir=str(tmp_path), console="off", files=["json", "logfmt"], level="INFO")
    yield tmp_path
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def _log_calls() -> None:
    log = logging.getLogger("shop.orders")
    with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", task_id="t-1"):
        log.info("order %s paid %.2f", 42, 9.5)
        log.warning("%(who)s said %(what)s", {"who": "ann", "what": "hi"})
        log.info("with extra", extra={"message": "clash", "order": 42, "token": "s3cret"})
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            log.exception("failed %s", "badly")


def test_fast_and_stdlib_records_write_the_same_lines(json_log: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The same calls with the fast construction and with ``LogRecord`` itself: the same JSON
    and logfmt lines, key for key and in order, but for the timestamp."""
    _log_calls()
    monkeypatch.setattr(records, "FAST", False)
    _log_calls()
    lines = [json.loads(x) for x in (json_log / "json.log").read_text().splitlines()]
    assert len(lines) == 8
    for line in lines:
        assert line.pop("timestamp")
    for fast, stdlib in zip(lines[:4], lines[4:], strict=True):
        if "exception" in fast:  # the traceback names the line of each call
            assert fast.pop("exception").splitlines()[-1] == stdlib.pop("exception").splitlines()[-1]
        assert list(fast.items()) == list(stdlib.items())
    assert lines[0]["message"] == "order 42 paid 9.50"
    assert lines[1]["message"] == "ann said hi"
    assert (lines[2]["_message"], lines[2]["token"]) == ("clash", "[REDACTED]")
    flat = [line.split(" ", 1)[1] for line in (json_log / "flat_line.log").read_text().splitlines()]
    assert flat[:3] == flat[4:7]


def test_a_record_factory_set_by_another_library_is_still_used(json_log: Path) -> None:
    """OpenTelemetry's logging instrumentation sets a factory: its attributes must arrive."""
    original = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(*args, **kwargs)
        record.otelTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"  # type: ignore[attr-defined]
        return record

    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    logging.setLogRecordFactory(factory)
    try:
        logging.getLogger("app").warning("traced")
    finally:
        logging.setLogRecordFactory(original)
        logging.getLogger().removeHandler(handler)
    assert seen[0].otelTraceID == "4bf92f3577b34da6a3ce929d0e0e4736"  # type: ignore[attr-defined]


@pytest.mark.parametrize("flag", ["logThreads", "logProcesses", "logMultiprocessing"])
def test_the_stdlib_switches_for_thread_and_process_fields_still_work(
        json_log: Path, monkeypatch: pytest.MonkeyPatch, flag: str) -> None:
    monkeypatch.setattr(logging, flag, False)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        logging.getLogger("app").warning("switched")
    finally:
        logging.getLogger().removeHandler(handler)
    attribute = {"logThreads": "thread", "logProcesses": "process",
                 "logMultiprocessing": "processName"}[flag]
    assert getattr(seen[0], attribute) is None
