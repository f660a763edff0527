"""The ``LogRecord`` of every plain ``logging`` call: the same record, made faster and safer.

oxlog replaces ``logging.Logger.makeRecord`` once (:func:`install`), with two
differences from the stdlib's:

* ``extra=`` keys that clash with ``LogRecord`` attributes (``message``,
  ``asctime``, ``name``, ``process``, …) are kept as ``_message`` … instead of
  raising ``KeyError`` into the caller — the same rule as for structlog calls;
* when the record factory is the stdlib's own ``LogRecord`` (nobody called
  ``logging.setLogRecordFactory``, as OpenTelemetry does), the record is built by
  :func:`new_record`, which sets exactly the attributes ``LogRecord.__init__``
  sets, with the same values, in the same order, in about a third of the time.

Why: a plain ``logging`` call (every line Django and Celery write) spent 1.9 µs of
its ~9 µs making its record here. Most of that is work whose answer never
changes: ``os.path.basename``/``splitext`` of the caller's file (cached per path
here), ``os.getpid()`` (a system call; cached, renewed after ``fork`` — so a
patched ``os.getpid`` is not seen, unlike a patched ``time.time``), an ABC
``isinstance`` check on every first argument. The fast path is taken only on a
CPython whose ``LogRecord.__init__`` is one mirrored here — 3.10 to 3.13, each
compared by its code object once, at import, and the function itself on every call
(3.12 adds ``taskName``, 3.13 a nanosecond clock); anywhere else, or
when ``logging.logThreads``, ``logMultiprocessing`` or ``logProcesses`` is off,
records come from the factory as before. ``tests/test_records.py`` compares both ways attribute by attribute.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from oxlog import _event
from oxlog._patching import patch_once
from oxlog._report import report
from oxlog._values import safe_str

_LogRecord = logging.LogRecord
_new = object.__new__
_modules = sys.modules
_level_names: dict[int, str] = logging._levelToName
#: caller's path -> (filename, module); bounded, paths are source files.
_file_names: dict[Any, tuple[Any, str]] = {}
_FILE_NAMES_MAX = 4096


def _mirrors_stdlib() -> bool:
    """Whether this interpreter's ``LogRecord.__init__`` is one that :func:`new_record` copies.

    Its code's names, constants and arguments are compared with those of the CPython
    release the copy was made from (:data:`_MIRRORED`): a changed patch release, another
    implementation or a patched ``__init__`` keeps the stdlib's own construction, and
    ``tests/test_records.py`` fails on that interpreter until the copy is brought up to date.
    """
    code = _LogRecord.__init__.__code__
    mirrored = _MIRRORED.get(sys.version_info[:2])
    return (
        sys.implementation.name == "cpython"
        and mirrored is not None
        and (code.co_names, code.co_consts[1:], code.co_varnames[:code.co_argcount]) == mirrored
    )


_ARGS = ("self", "name", "level", "pathname", "lineno", "msg", "args", "exc_info", "func", "sinfo")
_NAMES_311 = (
    "time", "name", "msg", "len", "isinstance", "collections", "abc", "Mapping", "args",
    "getLevelName", "levelname", "levelno", "pathname", "os", "path", "basename", "filename",
    "splitext", "module", "TypeError", "ValueError", "AttributeError", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "int", "msecs", "_startTime",
    "relativeCreated", "logThreads", "threading", "get_ident", "thread", "current_thread",
    "threadName", "logMultiprocessing", "processName", "sys", "modules", "get",
    "current_process", "Exception", "logProcesses", "hasattr", "getpid", "process",
)
#: After the docstring: ``+ 0.0`` is the msecs rounding of gh-89047.
_CONSTS_311 = (1, 0, "Unknown module", None, 1000, 0.0, "MainProcess", "multiprocessing", "getpid")
_TASK_NAMES = ("taskName", "logAsyncioTasks", "current_task", "get_name")
#: 3.13 takes the time in nanoseconds (``time_ns``; ``msecs`` before ``int``).
_NAMES_313 = (
    "time", "time_ns", *_NAMES_311[1:28], "msecs", "int", *_NAMES_311[30:], *_TASK_NAMES,
)
_CONSTS_313 = (1, 0, "Unknown module", None, 1000000000.0, 1000000000, 1000000, 0.0, 999.0, 1000000.0,
               "MainProcess", "multiprocessing", "getpid", "asyncio")
#: Python -> (names, constants after the docstring, arguments) of the ``LogRecord.__init__``
#: that :func:`new_record` mirrors: 3.10.13 and 3.11.7 (the same code), 3.12.1 (adds
#: ``taskName``), 3.13.0 (nanosecond clock).
_MIRRORED: dict[tuple[int, int], tuple[tuple[str, ...], tuple[object, ...], tuple[str, ...]]] = {
    (3, 10): (_NAMES_311, _CONSTS_311, _ARGS),
    (3, 11): (_NAMES_311, _CONSTS_311, _ARGS),
    (3, 12): ((*_NAMES_311, *_TASK_NAMES), (*_CONSTS_311, "asyncio"), _ARGS),
    (3, 13): (_NAMES_313, _CONSTS_313, _ARGS),
}
#: Which variant of the code runs here; checked per call, a constant per interpreter.
_NS_CLOCK = sys.version_info >= (3, 13)
_HAS_TASK_NAME = sys.version_info >= (3, 12)
#: asyncio's own ``current_task`` and ``_get_running_loop``, once asyncio is imported:
#: with no running loop the stdlib's call raises and is caught (taskName stays None);
#: asking for the loop first gives the same answer without the exception.
_asyncio_probe: tuple[Any, Any] | None = None


def _task_name(asyncio: Any) -> str | None:
    """``asyncio.current_task().get_name()`` or None, as ``LogRecord.__init__`` (3.12+) finds it."""
    global _asyncio_probe
    probe = _asyncio_probe
    if probe is None:
        probe = _asyncio_probe = (asyncio.current_task, asyncio.events._get_running_loop)
    if asyncio.current_task is probe[0] and probe[1]() is None:
        return None  # current_task() would raise "no running event loop"
    try:
        return asyncio.current_task().get_name()  # type: ignore[no-any-return]
    except Exception:
        return None


def new_record(name: str, level: int, pathname: str, lineno: int, msg: object, args: Any,
               exc_info: Any, func: str | None = None, sinfo: str | None = None) -> logging.LogRecord:
    """A ``LogRecord`` equal to ``logging.LogRecord(...)``, built without its repeated work."""
    # The clock is looked up per call, as the stdlib does: mock.patch applies.
    if _NS_CLOCK:
        ns = time.time_ns()
        ct = ns / 1e9
        msecs = (ns % 1_000_000_000) // 1_000_000 + 0.0
        if msecs == 999.0 and int(ct) != ns // 1_000_000_000:
            msecs = 0.0  # the ns -> s conversion rounded up
        relative = (ns - logging._startTime) / 1e6  # type: ignore[attr-defined]
    else:
        ct = time.time()
        msecs = int((ct - int(ct)) * 1000) + 0.0
        relative = (ct - logging._startTime) * 1000  # type: ignore[attr-defined]
    if args and len(args) == 1:
        first = args[0]
        if (type(first) is dict or (type(first) is not str and isinstance(first, Mapping))) and first:
            args = first
    names = _file_names.get(pathname) if type(pathname) is str else None
    if names is None:
        try:
            filename = os.path.basename(pathname)
            names = (filename, os.path.splitext(filename)[0])
        except (TypeError, ValueError, AttributeError):
            names = (pathname, "Unknown module")
        if type(pathname) is str and len(_file_names) < _FILE_NAMES_MAX:
            _file_names[pathname] = names  # only text paths: 1, 1.0 and True are one key
    levelname = _level_names.get(level)
    if levelname is None:
        levelname = logging.getLevelName(level)
    process_name = "MainProcess"
    mp = _modules.get("multiprocessing")
    if mp is not None:
        try:
            process_name = mp.current_process().name
        except Exception:  # multiprocessing still importing (stdlib issue 8200)
            pass
    rv: logging.LogRecord = _new(_LogRecord)
    # Attribute by attribute, in LogRecord.__init__'s order: the instance keeps the
    # class's shared-key dict, and vars(record) lists the same keys in the same order.
    rv.name = name
    rv.msg = msg
    rv.args = args
    rv.levelname = levelname
    rv.levelno = level
    rv.pathname = pathname
    rv.filename = names[0]
    rv.module = names[1]
    rv.exc_info = exc_info
    rv.exc_text = None
    rv.stack_info = sinfo
    rv.lineno = lineno
    rv.funcName = func  # type: ignore[assignment]
    rv.created = ct
    rv.msecs = msecs
    rv.relativeCreated = relative
    rv.thread = threading.get_ident()
    rv.threadName = threading.current_thread().name
    rv.processName = process_name
    rv.process = _event.PID
    if _HAS_TASK_NAME:
        task_name = None
        if logging.logAsyncioTasks:  # type: ignore[attr-defined]
            asyncio = _modules.get("asyncio")
            if asyncio:
                task_name = _task_name(asyncio)
        rv.taskName = task_name
    return rv


#: Whether :func:`new_record` may stand in for ``LogRecord``; tests turn it off to compare.
FAST = _mirrors_stdlib()
#: The ``__init__`` compared at import: a later patch of it (an APM, a test) is honoured.
_MIRRORED_INIT = _LogRecord.__init__


def make_record(self: logging.Logger, name: str, level: int, fn: str, lno: int, msg: object,
                args: Any, exc_info: Any, func: str | None = None,
                extra: Mapping[str, object] | None = None, sinfo: str | None = None,
                ) -> logging.LogRecord:
    """``Logger.makeRecord``, renaming clashing ``extra=`` keys instead of raising."""
    # logging._logRecordFactory is what getLogRecordFactory() returns (setLogRecordFactory
    # sets it); read directly to save a call per record.
    factory = logging._logRecordFactory  # type: ignore[attr-defined]
    rv: logging.LogRecord
    if (factory is _LogRecord and FAST and _LogRecord.__init__ is _MIRRORED_INIT
            and logging.logThreads and logging.logProcesses and logging.logMultiprocessing):
        rv = new_record(name, level, fn, lno, msg, args, exc_info, func, sinfo)
    else:
        rv = factory(name, level, fn, lno, msg, args, exc_info, func, sinfo)
    if extra is not None:
        attrs = rv.__dict__
        size = len(attrs)
        try:
            for key in extra:
                attrs["_" + key if key in _CLASHING or key in attrs else key] = extra[key]
        except Exception:
            for key in list(attrs)[size:]:  # what the loop added before it failed
                del attrs[key]
            _add_odd_extra(attrs, extra)
    return rv


_CLASHING = _event.RECORD_ATTRS  # LogRecord's attributes, "message" and "asctime"


def _add_odd_extra(attrs: dict[str, Any], extra: Any) -> None:
    """``extra=`` that is not a mapping of text keys: kept, never raised into the caller.

    The stdlib raises ``TypeError``/``KeyError`` from the log call for these. Here a
    mapping's keys become text (``safe_str``) and a value it cannot give is written
    ``<unreadable: KeyError>``; a mapping whose keys cannot be read and anything else
    (``extra=[1, 2]``, ``extra="x"``) become the one field ``extra``; the first such call
    is said once on stderr.
    """
    report("extra", f"a logging call got extra= of type {type(extra).__name__!r} that is not "
           "a mapping of text keys; it was kept (as the field 'extra' when not a mapping)")
    if isinstance(extra, Mapping):
        try:
            keys = list(extra)
        except Exception:
            keys = None
        if keys is not None:
            for key in keys:
                try:
                    value = extra[key]
                except Exception as exc:
                    value = f"<unreadable: {type(exc).__name__}>"
                name = safe_str(key)
                while name in _CLASHING or name in attrs:
                    name = "_" + name
                attrs[name] = value
            return
    name = "extra"
    while name in attrs:
        name = "_" + name
    attrs[name] = extra


def install() -> None:
    """Replace ``logging.Logger.makeRecord`` by :func:`make_record`, once.

    A copy rather than a wrapper of the original, so that a logging call does not
    pay a second Python call.
    """
    patch_once(logging.Logger, "makeRecord", lambda _original: make_record)
