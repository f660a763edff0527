"""oxlog's ``LogRecord`` construction: the same records as the stdlib's, and the same lines."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import logging.config
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

import oxlog
from oxlog import _records as records

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


#: A moment to build both records at: seconds and nanoseconds of the same instant.
FROZEN_NS = 1_796_000_000_123_456_789


def both(*args: Any, ns: int = FROZEN_NS) -> tuple[logging.LogRecord, logging.LogRecord]:
    """The fast record and the stdlib's for *args*, both made at the instant *ns*."""
    clock = (time.time, time.time_ns)
    time.time, time.time_ns = (lambda: ns / 1e9), (lambda: ns)
    try:
        return records.new_record(*args), logging.LogRecord(*args)
    finally:
        time.time, time.time_ns = clock


def assert_same_record(fast: logging.LogRecord, stdlib: logging.LogRecord) -> None:
    """Every attribute equal, timed ones included, in the same order."""
    assert type(fast) is logging.LogRecord
    assert list(vars(fast).items()) == list(vars(stdlib).items())
    assert fast.getMessage() == stdlib.getMessage()


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_new_record_equals_the_stdlib_record(args: tuple[Any, ...]) -> None:
    assert_same_record(*both(*args))


@pytest.mark.parametrize("ns", [
    1_677_903_920_999_999_900,  # 3.13: the float of this rounds up to the next second
    1_677_903_920_999_000_000, 1_677_903_921_000_000_000, 1_677_903_920_000_999_999, 0,
])
def test_the_timed_attributes_equal_the_stdlibs_at_the_edges_of_a_second(ns: int) -> None:
    assert_same_record(*both("app", logging.INFO, "/srv/a.py", 1, "m", (), None, ns=ns))


def test_equal_paths_of_other_types_do_not_share_a_cache_entry() -> None:
    """1 == True == 1.0: the cache of file names must not answer one for the other."""
    for path in (1, True, 1.0):
        assert_same_record(*both("app", logging.INFO, path, 1, "m", (), None, None, None))


def test_a_patched_clock_is_read_as_the_stdlib_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1000.25)
    monkeypatch.setattr(time, "time_ns", lambda: 1000_250_000_000)
    args = ("app", logging.INFO, "/srv/a.py", 1, "m", (), None, None, None)
    fast, stdlib = records.new_record(*args), logging.LogRecord(*args)
    assert fast.created == stdlib.created == 1000.25 and fast.msecs == stdlib.msecs == 250.0


def test_a_level_named_later_and_the_thread_name_are_read_at_each_call() -> None:
    logging.addLevelName(27, "NOTICE")
    try:
        args = ("app", 27, "/srv/a.py", 1, "m", (), None, None, None)
        results: list[tuple[logging.LogRecord, logging.LogRecord]] = []
        thread = threading.Thread(target=lambda: results.append(both(*args)), name="worker-7")
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


#: The source of ``LogRecord.__init__`` each mirror was written from (CPython 3.10.13 and
#: 3.11.7 have the same; 3.12.1 adds taskName; 3.13.0 takes the time in nanoseconds).
MIRRORED_SOURCE_SHA256 = {
    (3, 10): "5169fce4bb27efc9c2364d8b1959b965d1b29342a3274fdb839331b370c7e935",
    (3, 11): "5169fce4bb27efc9c2364d8b1959b965d1b29342a3274fdb839331b370c7e935",
    (3, 12): "87ef15a6344bc8d0079993d9dc20ba807be9a035208bae0cebb4c1532b13fc7a",
    (3, 13): "5e260f82c1afb115c456167a0e1958e1fcaa595644e33730743420456191f6f5",
}
SUPPORTED = sys.implementation.name == "cpython" and sys.version_info[:2] in MIRRORED_SOURCE_SHA256


@pytest.mark.skipif(not SUPPORTED, reason="oxlog mirrors CPython 3.10-3.13 only")
def test_the_fast_construction_is_taken_on_every_supported_python() -> None:
    """If this interpreter stopped matching, its records would silently cost 3x again."""
    assert records.FAST is True


@pytest.mark.skipif(not SUPPORTED, reason="oxlog mirrors CPython 3.10-3.13 only")
def test_the_stdlib_source_is_the_one_the_mirror_was_written_from() -> None:
    """A patch release that changes ``LogRecord.__init__`` but not its names and constants
    would pass the import-time check: its source says so here, line for line."""
    source = inspect.getsource(logging.LogRecord.__init__)
    assert hashlib.sha256(source.encode()).hexdigest() == MIRRORED_SOURCE_SHA256[sys.version_info[:2]]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="taskName is new in Python 3.12")
@pytest.mark.parametrize("log_tasks", [True, False])
def test_the_asyncio_task_name_is_the_stdlibs(monkeypatch: pytest.MonkeyPatch, log_tasks: bool) -> None:
    monkeypatch.setattr(logging, "logAsyncioTasks", log_tasks)
    args = ("app", logging.INFO, "/srv/a.py", 1, "m", (), None, None, None)

    async def in_a_task() -> tuple[logging.LogRecord, logging.LogRecord]:
        return both(*args)

    async def main() -> tuple[logging.LogRecord, logging.LogRecord]:
        return await asyncio.create_task(in_a_task(), name="fetch-7")

    fast, stdlib = asyncio.run(main())
    assert_same_record(fast, stdlib)
    assert fast.taskName == ("fetch-7" if log_tasks else None)  # type: ignore[attr-defined]
    outside = both(*args)  # no running loop: the stdlib's call raises and is caught
    assert_same_record(*outside)
    assert outside[0].taskName is None  # type: ignore[attr-defined]


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
