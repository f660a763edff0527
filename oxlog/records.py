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
CPython whose ``LogRecord.__init__`` is the one mirrored here (its code object is
compared once, at import, and the function itself on every call); anywhere else, or
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

from oxlog import processors
from oxlog.patching import patch_once

_LogRecord = logging.LogRecord
_new = object.__new__
_modules = sys.modules
_level_names: dict[int, str] = logging._levelToName
#: caller's path -> (filename, module); bounded, paths are source files.
_file_names: dict[Any, tuple[Any, str]] = {}
_FILE_NAMES_MAX = 4096


def _mirrors_stdlib() -> bool:
    """Whether this interpreter's ``LogRecord.__init__`` is the one :func:`new_record` copies.

    The names and constants of its code are those of CPython 3.11 (3.12 adds
    ``taskName``, 3.13 takes the time in nanoseconds): anything else, including a
    patched ``__init__``, keeps the stdlib's own construction.
    """
    code = _LogRecord.__init__.__code__
    return (
        sys.implementation.name == "cpython"
        and code.co_names == _MIRRORED_NAMES
        and code.co_consts[1:] == _MIRRORED_CONSTS
        and code.co_varnames[:code.co_argcount] == _MIRRORED_ARGS
    )


_MIRRORED_ARGS = ("self", "name", "level", "pathname", "lineno", "msg", "args", "exc_info", "func", "sinfo")
#: After the docstring: ``+ 0.0`` is the msecs rounding of gh-89047.
_MIRRORED_CONSTS = (1, 0, "Unknown module", None, 1000, 0.0, "MainProcess", "multiprocessing", "getpid")
_MIRRORED_NAMES = (
    "time", "name", "msg", "len", "isinstance", "collections", "abc", "Mapping", "args",
    "getLevelName", "levelname", "levelno", "pathname", "os", "path", "basename", "filename",
    "splitext", "module", "TypeError", "ValueError", "AttributeError", "exc_info", "exc_text",
    "stack_info", "lineno", "funcName", "created", "int", "msecs", "_startTime",
    "relativeCreated", "logThreads", "threading", "get_ident", "thread", "current_thread",
    "threadName", "logMultiprocessing", "processName", "sys", "modules", "get",
    "current_process", "Exception", "logProcesses", "hasattr", "getpid", "process",
)


def new_record(name: str, level: int, pathname: str, lineno: int, msg: object, args: Any,
               exc_info: Any, func: str | None = None, sinfo: str | None = None) -> logging.LogRecord:
    """A ``LogRecord`` equal to ``logging.LogRecord(...)``, built without its repeated work."""
    ct = time.time()  # looked up per call, as the stdlib does: mock.patch applies
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
    rv.msecs = int((ct - int(ct)) * 1000) + 0.0
    rv.relativeCreated = (ct - logging._startTime) * 1000  # type: ignore[attr-defined]
    rv.thread = threading.get_ident()
    rv.threadName = threading.current_thread().name
    rv.processName = process_name
    rv.process = processors.PID
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
        for key in extra:
            attrs["_" + key if key in _CLASHING or key in attrs else key] = extra[key]
    return rv


_CLASHING = processors.RECORD_ATTRS  # LogRecord's attributes, "message" and "asctime"


def install() -> None:
    """Replace ``logging.Logger.makeRecord`` by :func:`make_record`, once.

    A copy rather than a wrapper of the original, so that a logging call does not
    pay a second Python call.
    """
    patch_once(logging.Logger, "makeRecord", lambda _original: make_record)
