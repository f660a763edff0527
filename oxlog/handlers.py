"""Handlers that cannot hurt the application: append-only files and the console.

:class:`FileHandler` writes each record with a single ``write()`` on a file opened
with ``O_APPEND``, so web workers and prefork children can share ``json.log``
without losing or interleaving records (a record never holds a raw newline). It
notices external rotation (``mv`` then create, as logrotate does) and deletion,
and reopens the path. A write that fails (disk full, directory gone, permission
removed) never reaches the caller: it is reported once on stderr, the dropped
records are counted, and writing resumes as soon as the path is writable again.

Why not ``logging.handlers.RotatingFileHandler``: each process rotates on its own,
and with several processes on one file whole files are lost. Rotate externally
(``docs/logrotate.md``); ``WatchedFileHandler`` reopens but buffers through a text
stream and raises from ``emit`` into ``handleError``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from typing import IO, Any

from oxlog._event import event_from_record, rerun_with_added
from oxlog._report import forget, report
from oxlog.formatters import OxlogFormatter, fallback_line

#: Python 3.12 made ``Filterer.filter`` and ``Handler.handle`` return the record.
_FILTERS_RETURN_RECORDS = sys.version_info >= (3, 12)


class OxlogHandler(logging.Handler):
    """Base: lock-free ``handle`` (each emit is one atomic write) and event rendering."""

    def handle(self, record: logging.LogRecord) -> Any:
        """Filter and emit *record* without taking the handler lock.

        ``Handler.handle`` but for the lock: on Python 3.12+ a filter may return the
        record to emit instead, and the emitted record is returned (a bool before 3.12).
        """
        if self.filters:
            # The line as the logger's filters left the record (a structlog call's event is
            # made before any handler runs): attributes this handler's filters add become
            # fields on top of it, whichever handler built the event first.
            event = event_from_record(record)
            before = len(record.__dict__)
            result = self.filter(record)
            if not result:
                return result
            if isinstance(result, logging.LogRecord) and result is not record:
                record = result
            elif len(record.__dict__) != before:
                added = dict(list(record.__dict__.items())[before:])
                record._oxlog_event = rerun_with_added(event, added)
        self.emit(record)
        return record if _FILTERS_RETURN_RECORDS else True

    def emit(self, record: logging.LogRecord) -> None:
        """Render *record* and write it; never raises."""
        try:
            formatter = self.formatter
            if isinstance(formatter, OxlogFormatter):
                text = formatter.render_event(event_from_record(record), self.colors)
            else:
                text = self.format(record)
        except Exception as exc:
            text = self._fallback(None, record, exc)
        self.write_line(text)

    def handle_event(self, event_dict: Mapping[str, Any]) -> None:
        """Render a structlog event (no ``LogRecord`` is made) and write it; never raises."""
        try:
            formatter = self.formatter
            if isinstance(formatter, OxlogFormatter):
                text = formatter.render_event(event_dict, self.colors)
            else:  # pragma: no cover - oxlog only routes events here with its formatters
                text = str(event_dict)
        except Exception as exc:
            text = self._fallback(event_dict, None, exc)
        self.write_line(text)

    colors = False

    def _fallback(self, event_dict: Mapping[str, Any] | None, record: logging.LogRecord | None,
                  exc: BaseException) -> str:
        formatter = self.formatter
        return fallback_line(formatter if isinstance(formatter, OxlogFormatter) else None,
                             event_dict, record, exc)

    def write_line(self, text: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


#: Every live FileHandler, so that one fork hook renews their locks (a hook per
#: handler would keep every handler ever configured alive).
_file_handlers: weakref.WeakSet[FileHandler] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for handler in list(_file_handlers):
        handler._reinit_lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class FileHandler(OxlogHandler):
    """Append each record to *filename* with one ``write()``; safe for many processes.

    Before each write (every :attr:`check_interval` seconds) the path is checked:
    when it names another file (moved away, deleted, replaced) the path is opened
    again, created if need be. When it cannot be opened while the previous file
    still exists under another name (``mv json.log json.log.1`` into a directory
    that no longer allows creating files), records keep going to that file rather
    than being dropped.
    """

    #: Seconds between two checks that the path still names the open file: after an
    #: external rotation or deletion, writing moves to the new file within this time.
    #: A check is an ``os.stat`` (about 1 µs here, more than rendering a line costs
    #: the JSON encoder to start); busy processes make one per interval, quiet ones
    #: one per record.
    check_interval = 0.1
    #: Seconds between two attempts to reopen a path that failed.
    retry_interval = 1.0
    #: Seconds a replaced descriptor stays open: another thread may have read it just
    #: before the reopen, and must never write into a descriptor number reused since.
    retire_delay = 10.0

    def __init__(self, filename: str | os.PathLike[str], level: int | str = logging.NOTSET) -> None:
        super().__init__(level)
        self.baseFilename = os.path.abspath(os.fspath(filename))
        self._fd = -1
        self._identity: tuple[int, int] | None = None
        self._next_check = 0.0
        self._failing: str | None = None
        self._stuck: str | None = None
        self._partial = False
        self._dropped = 0
        self._retired: list[tuple[float, int]] = []
        self._open_lock = threading.Lock()
        _file_handlers.add(self)
        self._open(time.monotonic())

    def _reinit_lock(self) -> None:
        self._open_lock = threading.Lock()

    @property
    def dropped(self) -> int:
        """Records that could not be written since the last successful write."""
        return self._dropped

    def write_line(self, text: str) -> None:
        """Write *text* and a newline in one ``write()``; never raises."""
        data = (text + "\n").encode("utf-8", "replace")
        now = time.monotonic()
        if now >= self._next_check:
            self._check(now)
        fd = self._fd
        if fd < 0:
            self._dropped += 1
            return
        if self._partial:  # end the piece a failed write left, so this record is a line
            data = b"\n" + data
        try:
            written = os.write(fd, data)
            while written < len(data):  # only after a signal or on a nearly full disk
                if written <= 0:
                    raise OSError(28, "No space left on device")
                self._partial = True
                data = data[written:]
                written = os.write(fd, data)
            self._partial = False
        except OSError as exc:
            self._dropped += 1
            self._fail(exc, now)
            return
        if self._failing is not None:
            self._recovered()

    def _check(self, now: float) -> None:
        self._next_check = now + self.check_interval
        if self._retired and now - self._retired[0][0] >= self.retire_delay:
            self._close_retired(now)
        if self._fd >= 0:
            try:
                st = os.stat(self.baseFilename)
            except (FileNotFoundError, NotADirectoryError):
                st = None
            except OSError:  # cannot tell (no search permission): keep the open file
                return
            if st is not None and (st.st_dev, st.st_ino) == self._identity:
                return
        with self._open_lock:
            self._open(now)

    def _open(self, now: float) -> None:
        old = self._fd
        try:
            os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                         0o644)
            st = os.fstat(fd)
        except OSError as exc:
            if old >= 0 and _still_linked(old):
                self._next_check = now + self.retry_interval
                if self._stuck is None:
                    self._stuck = f"{type(exc).__name__}: {exc.strerror or exc}"
                    report(f"stuck:{self.baseFilename}:{self._stuck}",
                           f"cannot reopen {self.baseFilename[-200:]} after it was moved "
                           f"({self._stuck}); still writing to the moved file until it can")
                return
            self._fd = -1
            self._identity = None
            if old >= 0:
                self._retire(old, now)
            self._fail(exc, now)
            return
        self._fd, self._identity = fd, (st.st_dev, st.st_ino)
        if old >= 0:
            self._retire(old, now)
        if self._stuck is not None:
            forget(f"stuck:{self.baseFilename}:{self._stuck}")
            self._stuck = None
            report(f"reopened:{self.baseFilename}", f"reopened {self.baseFilename[-200:]}")
            forget(f"reopened:{self.baseFilename}")

    def _retire(self, fd: int, now: float) -> None:
        self._retired.append((now, fd))

    def _close_retired(self, now: float | None = None) -> None:
        keep = []
        for when, fd in self._retired:
            if now is None or now - when >= self.retire_delay:
                _close_fd(fd)
            else:
                keep.append((when, fd))
        self._retired = keep

    def _fail(self, exc: OSError, now: float) -> None:
        self._next_check = now + self.retry_interval
        if self._failing is None:
            self._failing = f"{type(exc).__name__}: {exc.strerror or exc}"
            report(f"file:{self.baseFilename}:{self._failing}",
                   f"cannot write {self.baseFilename[-200:]} ({self._failing}); records for it "
                   "are dropped and counted until it is writable again")
            forget(f"recovered:{self.baseFilename}")
        if self._fd >= 0:
            self._retire(self._fd, now)
            self._fd = -1
            self._identity = None

    def _recovered(self) -> None:
        dropped, self._dropped = self._dropped, 0
        forget(f"file:{self.baseFilename}:{self._failing}")
        self._failing = None
        report(f"recovered:{self.baseFilename}",
               f"writing {self.baseFilename[-200:]} again; {dropped} records were dropped")

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            _close_fd(self._fd)
            self._fd = -1
        self._close_retired()
        super().close()


def _close_fd(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _still_linked(fd: int) -> bool:
    """Whether the file open on *fd* still has a name (moved, not deleted)."""
    try:
        return os.fstat(fd).st_nlink > 0
    except OSError:
        return False


class ConsoleHandler(OxlogHandler):
    """Write to ``sys.stderr`` or ``sys.stdout`` (looked up at each write, so captures work).

    Colours only when the stream is a terminal; ``NO_COLOR`` turns them off and
    ``FORCE_COLOR`` on (https://no-color.org, https://force-color.org).
    """

    def __init__(self, stream: str | IO[str] = "stderr", level: int | str = logging.NOTSET) -> None:
        super().__init__(level)
        self._stream_name = stream if isinstance(stream, str) else None
        self._fixed = None if isinstance(stream, str) else stream
        self._seen: IO[str] | None = None
        self._colors = False

    @property
    def stream(self) -> IO[str]:
        """The stream written to now."""
        if self._fixed is not None:
            return self._fixed
        return getattr(sys, self._stream_name or "stderr")  # type: ignore[no-any-return,unused-ignore]

    @property
    def colors(self) -> bool:  # type: ignore[override]
        """Whether lines written now are coloured."""
        stream = self.stream
        if stream is not self._seen:
            self._seen, self._colors = stream, wants_color(stream)
        return self._colors

    def write_line(self, text: str) -> None:
        """Write *text* and a newline; never raises."""
        try:
            stream = self.stream
            try:
                stream.write(text + "\n")
            except UnicodeEncodeError:  # an ASCII or Latin-1 console: escape, do not drop
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write((text + "\n").encode(encoding, "backslashreplace").decode(encoding))
            stream.flush()
        except Exception as exc:
            report(f"console:{type(exc).__name__}",
                   f"cannot write to the console ({type(exc).__name__}); console lines are dropped")


def wants_color(stream: Any) -> bool:
    """Colour decision for *stream*: ``NO_COLOR`` > ``FORCE_COLOR`` > is it a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def root_has_oxlog_handlers() -> bool:
    """Whether the root logger has at least one of oxlog's handlers."""
    return any(isinstance(h, OxlogHandler) for h in logging.getLogger().handlers)
