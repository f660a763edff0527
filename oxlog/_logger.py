"""structlog's native path for oxlog: a log call that never becomes a ``LogRecord``.

``structlog.get_logger(name)`` returns a :class:`BoundLogger` wrapping a
:class:`Sink` for *name*. A call checks the level with the stdlib logger's own
cached ``isEnabledFor`` (so ``LOGGING`` levels, ``logging.disable`` and pytest's
``caplog.set_level`` apply to structlog calls too), builds the event once, runs
the shared chain and hands the event to the handlers the stdlib logger would
reach. oxlog's handlers render it directly; any other handler (Sentry's,
pytest's, ``mail_admins``) gets a real ``LogRecord`` made from it. Skipping the
record, ``findCaller`` and the formatter indirection is what makes a structlog call
cheaper than a plain ``logging`` one (see ``bench/``).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import structlog

from oxlog import _event
from oxlog._patching import patch_once
from oxlog._report import report
from oxlog._schema import METHOD_LEVELS
from oxlog.handlers import OxlogHandler

_NAME_SKIP = ("structlog", "oxlog._logger", "logging")


def _patched(call_handlers: Any) -> bool:
    """Whether ``Logger.callHandlers`` is not the stdlib's own (Sentry patches it)."""
    return getattr(call_handlers, "__module__", "logging") != "logging"


#: The stdlib's own ``Logger.callHandlers``, which :meth:`Sink.emit` mirrors (``None``
#: when something patched it before oxlog was imported).
_STDLIB_CALL_HANDLERS = None if _patched(logging.Logger.callHandlers) else logging.Logger.callHandlers


class Sink:
    """What a bound logger writes to: the handlers of the stdlib logger *name*."""

    __slots__ = ("_stdlib", "isEnabledFor", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._stdlib = logging.getLogger(name)
        #: The stdlib logger's own (cached) level check, called directly: a filtered
        #: DEBUG call costs one method call and one dict lookup.
        self.isEnabledFor = self._stdlib.isEnabledFor

    def getEffectiveLevel(self) -> int:
        """The effective level of the stdlib logger *name*."""
        return self._stdlib.getEffectiveLevel()

    def emit(self, event_dict: dict[str, Any], levelno: int, exc_info: Any) -> None:
        """Give the event to every handler the stdlib logger would call, as it would.

        ``Logger.handle`` then ``Logger.callHandlers``, step for step: the logger's own
        filters see a ``LogRecord`` first (they may drop it, add attributes, which become
        fields as ``extra=`` keys do, or, on Python 3.12+, return another record), then
        each handler from the logger up to the root, as far as ``propagate`` allows, and
        ``logging.lastResort`` when none was found.
        """
        logger: logging.Logger | None = self._stdlib
        record: logging.LogRecord | None = None
        if logger.filters:  # type: ignore[union-attr]
            record = self._record(event_dict, levelno, exc_info)
            before = len(record.__dict__)
            result = logger.filter(record)  # type: ignore[union-attr]
            if not result:
                return
            if isinstance(result, logging.LogRecord) and result is not record:
                record = result
                event_dict = _event.event_from_record(record)
                levelno = record.levelno
            elif len(record.__dict__) != before:  # the filter added attributes: they become fields
                event_dict = _event.rerun_with_added(event_dict,
                                                     dict(list(record.__dict__.items())[before:]))
                record._oxlog_event = event_dict
        call_handlers = logging.Logger.callHandlers
        if call_handlers is not _STDLIB_CALL_HANDLERS and _patched(call_handlers):
            # Patched (Sentry's LoggingIntegration does, to see every record): go through
            # it with a record, as a logging call does, so the patch sees structlog calls
            # too, once. oxlog's handlers render the event already built.
            self._stdlib.callHandlers(record or self._record(event_dict, levelno, exc_info))
            return
        found = False
        while logger is not None:
            for handler in logger.handlers:
                found = True
                if levelno < handler.level:
                    continue
                if type(handler).handle is OxlogHandler.handle and not handler.filters:
                    handler.handle_event(event_dict)  # type: ignore[attr-defined]
                else:
                    record = record or self._record(event_dict, levelno, exc_info)
                    handler.handle(record)
            logger = logger.parent if logger.propagate else None
        if found:
            return
        if logging.lastResort is not None:
            if levelno >= logging.lastResort.level:
                logging.lastResort.handle(record or self._record(event_dict, levelno, exc_info))
        elif logging.raiseExceptions and not self._stdlib.manager.emittedNoHandlerWarning:
            sys.stderr.write(f"No handlers could be found for logger \"{self.name}\"\n")
            self._stdlib.manager.emittedNoHandlerWarning = True

    def _record(self, event_dict: dict[str, Any], levelno: int, exc_info: Any) -> logging.LogRecord:
        message = event_dict.get(_event.options.message_key, "")
        record = logging.LogRecord(self.name, levelno, "(structlog)", 0, message, None, exc_info)
        record._oxlog_event = event_dict
        return record


class LoggerFactory:
    """structlog logger factory: ``get_logger()`` with no name uses the caller's module."""

    def __call__(self, *args: Any) -> Sink:
        name = args[0] if args and isinstance(args[0], str) else _caller_module()
        return Sink(name)


def _caller_module() -> str:
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(_NAME_SKIP):
            return str(name) or "root"
        frame = frame.f_back  # type: ignore[assignment]
    return "root"


class BoundLogger(structlog.BoundLoggerBase):
    """The logger ``structlog.get_logger()`` returns once oxlog is configured.

    It has the API of ``structlog.stdlib.BoundLogger`` that applications use
    (``debug`` … ``critical``, ``exception``, ``log``, ``bind``, ``new``,
    ``unbind``, ``isEnabledFor``, the ``a``-prefixed async variants). A call never
    raises: a failure inside oxlog writes a placeholder line and is reported once.
    """

    _logger: Sink

    def _log(self, levelno: int, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        sink = self._logger
        try:
            exc_info = kw.pop("exc_info", None)
            stack = kw.pop("stack_info", None)
            if exc_info:
                exc_info = _event.normalize_exc_info(exc_info)
            ed: Any = _event.event_from_call(sink.name, levelno, args, kw, self._context,
                                             exc_info, bool(stack))
            for proc in self._processors:
                ed = proc(sink, "", ed)
            sink.emit(ed, levelno, exc_info)
        except structlog.DropEvent:
            return
        except Exception as exc:
            try:
                _failed(sink, levelno, args, exc)
            except RecursionError:  # not one frame left, even for the placeholder: counted
                _event.lost += 1
                _event.pending = 1
        if _event.pending:  # a call at the recursion limit left work: done from here
            try:
                _event.settle()
            except RecursionError:
                pass  # still too deep: the next call does it

    def debug(self, *args: Any, **kw: Any) -> None:
        """Log at DEBUG."""
        if self._logger.isEnabledFor(10):
            self._log(10, args, kw)

    def info(self, *args: Any, **kw: Any) -> None:
        """Log at INFO."""
        if self._logger.isEnabledFor(20):
            self._log(20, args, kw)

    msg = info

    def warning(self, *args: Any, **kw: Any) -> None:
        """Log at WARNING."""
        if self._logger.isEnabledFor(30):
            self._log(30, args, kw)

    warn = warning

    def error(self, *args: Any, **kw: Any) -> None:
        """Log at ERROR."""
        if self._logger.isEnabledFor(40):
            self._log(40, args, kw)

    def exception(self, *args: Any, **kw: Any) -> None:
        """Log at ERROR with the exception being handled."""
        kw.setdefault("exc_info", True)
        if self._logger.isEnabledFor(40):
            self._log(40, args, kw)

    def critical(self, *args: Any, **kw: Any) -> None:
        """Log at CRITICAL."""
        if self._logger.isEnabledFor(50):
            self._log(50, args, kw)

    fatal = critical

    def log(self, level: int | str, *args: Any, **kw: Any) -> None:
        """Log at *level* (a number or a name).

        A name oxlog does not know, and a level that is neither a number nor a name
        (``None``, ``[]``, ``1j``: the stdlib raises ``TypeError`` into the caller), log
        at INFO; the second is said once on stderr.
        """
        if type(level) is not int:
            level = _level_number(level)
        if self._logger.isEnabledFor(level):
            self._log(level, args, kw)

    async def adebug(self, *args: Any, **kw: Any) -> None:
        """Log at DEBUG (async API; writes synchronously, it is cheap)."""
        if self._logger.isEnabledFor(10):
            self._log(10, args, kw)

    async def ainfo(self, *args: Any, **kw: Any) -> None:
        """Log at INFO."""
        if self._logger.isEnabledFor(20):
            self._log(20, args, kw)

    async def awarning(self, *args: Any, **kw: Any) -> None:
        """Log at WARNING."""
        if self._logger.isEnabledFor(30):
            self._log(30, args, kw)

    async def aerror(self, *args: Any, **kw: Any) -> None:
        """Log at ERROR."""
        if self._logger.isEnabledFor(40):
            self._log(40, args, kw)

    async def aexception(self, *args: Any, **kw: Any) -> None:
        """Log at ERROR with the exception being handled."""
        kw.setdefault("exc_info", True)
        if self._logger.isEnabledFor(40):
            self._log(40, args, kw)

    async def acritical(self, *args: Any, **kw: Any) -> None:
        """Log at CRITICAL."""
        if self._logger.isEnabledFor(50):
            self._log(50, args, kw)

    async def alog(self, level: int | str, *args: Any, **kw: Any) -> None:
        """Log at *level*."""
        self.log(level, *args, **kw)

    def isEnabledFor(self, level: int) -> bool:
        """Whether a call at *level* would be written."""
        return self._logger.isEnabledFor(level)

    def getEffectiveLevel(self) -> int:
        """The effective level of the underlying stdlib logger."""
        return self._logger.getEffectiveLevel()

    @property
    def name(self) -> str:
        """The logger's name."""
        return self._logger.name


def _level_number(level: object) -> int:
    """The number of a level given by name or number; INFO for anything else."""
    if isinstance(level, int):  # an IntEnum, True: as the stdlib takes them
        return int.__index__(level)
    if isinstance(level, str):
        return METHOD_LEVELS.get(str.__str__(level).lower(), 20)
    report("log-level", f"log.log() got a level that is neither a number nor a name "
           f"({type(level).__name__}); the record was written at INFO")
    return 20


def _failed(sink: Sink, levelno: int, args: tuple[Any, ...], exc: BaseException) -> None:
    """Write a placeholder line for a call that failed inside oxlog, then say so once.

    A call that hit the recursion limit (made with few frames left) has the limit raised
    by :data:`oxlog._event.HEADROOM` frames while its placeholder is written, and the report says
    whether the placeholder was written or the record dropped — never the first when it
    was the second.
    """
    written = _event.with_headroom(_emit_placeholder, sink, levelno, args, exc) \
        if isinstance(exc, RecursionError) else _emit_placeholder(sink, levelno, args, exc)
    if written:
        report(f"call:{type(exc).__name__}",
               f"a log call on {sink.name[:100]!r} failed inside oxlog ({type(exc).__name__}); "
               "a placeholder line was written instead")
    else:
        global dropped
        dropped += 1
        report(f"dropped:{type(exc).__name__}",
               f"a log call on {sink.name[:100]!r} failed inside oxlog ({type(exc).__name__}) and "
               "its placeholder line could not be written either: the record was dropped "
               "(oxlog._logger.dropped counts them)")


#: Records of structlog calls that could not be written at all, not even as a placeholder.
dropped = 0


def _emit_placeholder(sink: Sink, levelno: int, args: tuple[Any, ...], exc: BaseException) -> bool:
    try:
        head: dict[str, Any] = {"logger": sink.name, "level": _event.level_name(levelno),
                                "timestamp": _event.format_timestamp(time.time())}
        if args and type(args[0]) is str:  # the message, when it is plain text
            head[_event.options.message_key] = args[0]
        sink.emit(_event.fallback_event(head, None, exc), levelno, None)
        return True
    except Exception:
        return False



_FAST_METHODS = (*METHOD_LEVELS, "log")


def install_proxy_fast_path() -> None:
    """Let ``structlog.get_logger()``'s lazy proxy call oxlog's methods directly.

    A module-level ``log = structlog.get_logger(__name__)`` is structlog's lazy proxy:
    every ``log.info(...)`` goes through its ``__getattr__`` and ``bind()`` (about
    0.5 µs here, three times the cost of a filtered DEBUG call itself). Once a proxy
    has cached its logger (``cache_logger_on_first_use``, which oxlog turns on), this
    keeps the logger's bound methods in the proxy's own ``__dict__``, so later calls
    find them like any attribute. Proxies of other configurations are left alone.
    """
    try:
        from structlog._config import BoundLoggerLazyProxy
    except ImportError:  # pragma: no cover - structlog moved it; the slow path still works
        return
    patch_once(BoundLoggerLazyProxy, "__getattr__", _fast_getattr)


def _fast_getattr(original: Any) -> Any:
    def __getattr__(self: Any, name: str) -> Any:
        attr = original(self, name)
        if name in _FAST_METHODS and "bind" in self.__dict__:  # the logger is cached
            owner = getattr(attr, "__self__", None)
            if isinstance(owner, BoundLogger):
                self.__dict__.update((m, getattr(owner, m)) for m in _FAST_METHODS)
        return attr

    return __getattr__
