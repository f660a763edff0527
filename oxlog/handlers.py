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

import errno
import fcntl
import logging
import os
import stat
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from typing import IO, Any

from oxlog._event import event_from_record, rerun_with_added
from oxlog._report import forget, guard_stderr, report
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

    def write_line(self, text: str) -> bool | None:  # pragma: no cover - abstract
        raise NotImplementedError


#: Every live FileHandler: :func:`report` compares fd 2 with their files.
_file_handlers: weakref.WeakSet[FileHandler] = weakref.WeakSet()

#: One lock for the life of every descriptor of every FileHandler: opening,
#: retiring and closing happen under it, so a number is closed exactly once and
#: never while it is still the current descriptor of a handler. Writers do not take
#: it: they read ``FileHandler._fd`` and write, and a descriptor taken out of use
#: stays open (in :data:`_graveyard`) long enough for a writer that read it just
#: before to finish. The per-record path thus stays without a lock.
_fd_lock = threading.Lock()
#: Retired descriptors: ``[close_at, fd, nulled]``. Closed under the lock once
#: ``close_at`` (monotonic) has passed; one whose file was deleted is first pointed
#: at ``/dev/null`` (``dup2``), which frees a deleted file's space at once while the
#: number stays taken (a write into a deleted file is lost either way).
_graveyard: list[list[Any]] = []


def _after_fork_in_child() -> None:
    global _fd_lock, _pipe_lock
    _fd_lock = threading.Lock()
    _pipe_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _stderr_is_a_log_file() -> bool:
    """Whether fd 2 is closed, or one of oxlog's files or a stdlib ``FileHandler``'s."""
    try:
        st = os.fstat(2)
    except OSError:
        return True
    if not stat.S_ISREG(st.st_mode):
        return False
    here = (st.st_dev, st.st_ino)
    if any(handler._identity == here for handler in list(_file_handlers)):
        return True
    for ref in list(getattr(logging, "_handlerList", ())):  # the stdlib's own file handlers
        other = ref()
        name = getattr(other, "baseFilename", None)
        if isinstance(name, str) and not isinstance(other, FileHandler):
            try:
                seen = os.stat(name)
            except OSError:
                continue
            if (seen.st_dev, seen.st_ino) == here:
                return True
    return False


guard_stderr(_stderr_is_a_log_file)

#: The marker ending a piece a short write left: a control character no record
#: holds, so that neither a JSON parser nor a strict logfmt one accepts the piece.
TORN = b"\x18"
_OPEN_FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
               | os.O_NONBLOCK)


class FileHandler(OxlogHandler):
    """Append each record to *filename* with one ``write()``; safe for many processes.

    Before each write (every :attr:`check_interval` seconds) the path is checked:
    when it names another file (moved away, deleted, replaced) the path is opened
    again, created if need be. When it cannot be opened while the previous file
    still exists under another name (``mv json.log json.log.1`` into a directory
    that no longer allows creating files), records keep going to that file rather
    than being dropped.

    Faults and races (each decision tested in ``tests/test_handlers_faults.py``):

    * A record counts as written only when its whole line went in one ``write()``.
      After a short write (disk full, file size limit) the rest is never written: the
      piece already in the file is ended in place (its last bytes overwritten with
      :data:`TORN` and a newline, through a second descriptor of the same file), so
      a record another process appended meanwhile stays a line of its own, and the
      record is counted dropped.
    * The path is opened with ``O_NOFOLLOW | O_NONBLOCK`` and must be a regular
      file: a symbolic link, a FIFO or a device there is refused (reported once,
      records counted), never followed or waited on. The directory is created with
      mode 0o755 whatever the umask. A descriptor is never one of 0, 1, 2.
    * After :meth:`close` the handler opens the file again at the next record, as
      the stdlib's ``FileHandler`` does (``logging.shutdown()``, ``dictConfig``
      closing handlers other threads still write through, ``__del__`` at exit).
    """

    #: Seconds between two checks that the path still names the open file: after an
    #: external rotation or deletion, writing moves to the new file within this time.
    #: A check is an ``os.lstat`` (about 1 µs here, more than rendering a line costs
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
        #: The file (dev, inode) holding a piece of ours that could not be ended:
        #: the next record written there starts with a newline.
        self._torn: tuple[int, int] | None = None
        self._dropped = 0
        _file_handlers.add(self)
        with _fd_lock:
            self._open(time.monotonic())

    @property
    def dropped(self) -> int:
        """Records that could not be written since the last successful write."""
        return self._dropped

    def write_line(self, text: str) -> bool:
        """Write *text* and a newline in one ``write()``; never raises.

        Returns whether the whole line was written (else it is counted dropped).
        """
        data = (text + "\n").encode("utf-8", "replace")
        now = time.monotonic()
        if now >= self._next_check:
            self._check(now)
        fd = self._fd
        if fd < 0:
            fd = self._reopen(now)
            if fd < 0:
                return False
        if self._torn:  # a piece of ours could not be ended: this record starts a line
            data = b"\n" + data
        try:
            written = os.write(fd, data)
        except OSError as exc:
            self._drop(exc, fd, now)
            return False
        if written != len(data):
            self._tore(fd, data, written, now)
            return False
        self._torn = None
        if self._failing is not None:
            self._recovered()
        return True

    def _check(self, now: float) -> None:
        """Close expired retired descriptors; reopen when the path names another file."""
        with _fd_lock:
            if now < self._next_check:  # another thread checked meanwhile
                return
            self._next_check = now + self.check_interval
            if _graveyard:
                _bury(now)
            if self._fd >= 0:
                try:
                    st = os.lstat(self.baseFilename)
                except (FileNotFoundError, NotADirectoryError):
                    st = None
                except OSError:  # cannot tell (no search permission): keep the open file
                    return
                if st is not None and (st.st_dev, st.st_ino) == self._identity:
                    return
            self._open(now)

    def _open(self, now: float) -> None:
        """Open the path (under ``_fd_lock``); on failure keep a moved file or fail."""
        old = self._fd
        try:
            fd = _open_regular(self.baseFilename)
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
            self._fail(exc, now)
            return
        self._fd, self._identity = fd, (st.st_dev, st.st_ino)
        if self._torn is not None and self._torn != self._identity:
            self._torn = None  # the unended piece is in another file: leave this one alone
        if old >= 0:
            _retire(old, now + self.retire_delay)
        if self._stuck is not None:
            forget(f"stuck:{self.baseFilename}:{self._stuck}")
            self._stuck = None
            report(f"reopened:{self.baseFilename}", f"reopened {self.baseFilename[-200:]}")
            forget(f"reopened:{self.baseFilename}")

    def _reopen(self, now: float) -> int:
        """No descriptor: open the path unless it is failing (then count the record).

        A handler another thread closed between this record's check and its write
        (``dictConfig`` closes the old handlers first) opens the file again here.
        """
        with _fd_lock:
            if self._fd < 0 and self._failing is None and self._stuck is None:
                self._open(now)
            if self._fd < 0:
                self._dropped += 1
            return self._fd

    def _drop(self, exc: OSError | None, fd: int, now: float) -> None:
        """Count a record not written; on a write error retire *fd* if still current."""
        with _fd_lock:
            self._dropped += 1
            if exc is not None and fd == self._fd:
                self._fail(exc, now)

    def _fail(self, exc: OSError, now: float) -> None:
        """Report once (under ``_fd_lock``), retire the descriptor, retry later."""
        self._next_check = now + self.retry_interval
        if self._failing is None:
            self._failing = f"{type(exc).__name__}: {exc.strerror or exc}"
            report(f"file:{self.baseFilename}:{self._failing}",
                   f"cannot write {self.baseFilename[-200:]} ({self._failing}); records for it "
                   "are dropped and counted until it is writable again")
            forget(f"recovered:{self.baseFilename}")
        if self._fd >= 0:
            _retire(self._fd, now + self.retire_delay)
            self._fd = -1
            self._identity = None

    def _tore(self, fd: int, data: bytes, written: int, now: float) -> None:
        """A short write: end the piece in the file in place and count the record dropped.

        The rest of the line is never written (another process may have appended in
        between, and the rest would start a forged line or glue onto its record).
        """
        start = 1 if self._torn else 0  # a leading newline ended an older piece
        self._torn = None
        if written > start and not _end_piece(fd, data[start:written]):
            try:
                ended = os.write(fd, b"\n") == 1
            except OSError:
                ended = False
            if not ended:
                self._torn = _identity(fd)
        self._drop(OSError(errno.ENOSPC, "short write: disk full or file size limit"), fd, now)

    def _recovered(self) -> None:
        with _fd_lock:
            if self._failing is None:
                return
            dropped, self._dropped = self._dropped, 0
            forget(f"file:{self.baseFilename}:{self._failing}")
            self._failing = None
        report(f"recovered:{self.baseFilename}",
               f"writing {self.baseFilename[-200:]} again; {dropped} records were dropped")

    def close(self) -> None:
        """Retire the descriptor; a later record opens the file again (as the stdlib's)."""
        with _fd_lock:
            if self._fd >= 0:
                _retire(self._fd, time.monotonic() + self.retire_delay)
                self._fd = -1
                self._identity = None
            self._next_check = 0.0
        super().close()

    def __del__(self) -> None:
        # No thread can write through a handler being collected: close at once (the
        # lock is not taken: the collection may run inside a locked section).
        fd, self._fd = getattr(self, "_fd", -1), -1
        if fd >= 0:
            _close_fd(fd)


def _open_regular(path: str) -> int:
    """A descriptor (never 0-2) appending to the regular file *path*, created if need be.

    Never follows a symbolic link at *path* and never waits (a FIFO without reader);
    anything but a regular file is refused with an ``OSError`` that says so.
    """
    _make_dirs(os.path.dirname(path))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(st.st_mode)})")
    fd = os.open(path, _OPEN_FLAGS, 0o644)
    try:
        if fd <= 2:  # 0-2 were closed: a write to "stderr" would land in this file
            fd2 = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            os.close(fd)
            fd = fd2
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(mode)})")
    except BaseException:
        _close_fd(fd)
        raise
    return fd


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a file"


def _make_dirs(path: str) -> None:
    """Create *path* and its missing parents with mode 0o755 minus the umask.

    ``os.makedirs`` gives the parents 0o777 minus the umask: world-writable under
    ``umask 0``, where anyone could plant a link or a FIFO. An existing directory
    keeps its mode; a stricter umask (0o077) still gives a stricter directory.
    """
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o755)
        except FileExistsError:
            continue


def _end_piece(fd: int, piece: bytes) -> bool:
    """Overwrite the last bytes of *piece*, just appended on *fd*, with TORN + newline.

    The piece is found where the append left the offset and checked byte for byte
    through a second descriptor (``/proc/self/fd``, without ``O_APPEND``): bytes of
    other writers are never touched. Overwriting needs no free space (the bytes are
    there already). False when the piece cannot be found or changed.
    """
    end_at = -1
    try:
        end_at = os.lseek(fd, 0, os.SEEK_CUR)
        other = os.open(f"/proc/self/fd/{fd}", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        start_at = end_at - len(piece)
        if start_at < 0 or os.pread(other, len(piece), start_at) != piece:
            return False
        cut = max(len(piece) - 2, 0)
        while cut > 0 and piece[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
            cut -= 1
        mark = TORN * (len(piece) - cut - 1) + b"\n"
        return os.pwrite(other, mark, start_at + cut) == len(mark)
    except OSError:
        return False
    finally:
        _close_fd(other)


def _retire(fd: int, close_at: float) -> None:
    """Take *fd* out of use (under ``_fd_lock``): closed after *close_at*."""
    _graveyard.append([close_at, fd, False])


def _bury(now: float) -> None:
    """Close retired descriptors whose time has come; null those of deleted files."""
    keep = []
    for entry in _graveyard:
        close_at, fd, nulled = entry
        if now >= close_at:
            _close_fd(fd)
            continue
        if not nulled and not _still_linked(fd):
            entry[2] = _point_at_devnull(fd)
        keep.append(entry)
    _graveyard[:] = keep


def _point_at_devnull(fd: int) -> bool:
    """Make *fd* refer to /dev/null (the number stays taken); True when done."""
    try:
        null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.dup2(null, fd, inheritable=False)
        return True
    except OSError:
        return False
    finally:
        _close_fd(null)


def _close_fd(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _identity(fd: int) -> tuple[int, int] | None:
    """(device, inode) of the file open on *fd*."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _still_linked(fd: int) -> bool:
    """Whether the file open on *fd* still has a name (moved, not deleted)."""
    try:
        return os.fstat(fd).st_nlink > 0
    except OSError:
        return False


#: Held around a console line written to a pipe: the pipe's ``lockf`` lock is per
#: process, so the threads of one process exclude each other with this one.
_pipe_lock = threading.Lock()


class ConsoleHandler(OxlogHandler):
    """Write to ``sys.stderr`` or ``sys.stdout`` (looked up at each write, so captures work).

    Colours only when the stream is a terminal; ``NO_COLOR`` turns them off and
    ``FORCE_COLOR`` on (https://no-color.org, https://force-color.org).

    A stream with a descriptor (the real stdout or stderr) gets each line as one
    ``os.write`` of the whole line, after flushing what the application printed. On
    a pipe (the container preset's stdout, shared by every worker) the kernel keeps
    a write whole only up to ``PIPE_BUF`` bytes (4096 on Linux): longer lines are
    written under a lock all oxlog processes on that pipe take (:meth:`_write_pipe`),
    so no line is interleaved with another oxlog process's; a program that writes
    to the same pipe without oxlog can still cut into a line longer than 4096 bytes.
    On a non-blocking stream that is full, lines are dropped, counted and reported
    once; the rest of a line the stream took only in part goes before the next line.
    Streams without a descriptor (captures, ``StringIO``) get ``write`` and ``flush``.
    """

    #: Seconds a line waits for the console pipe's lock before it is written without.
    pipe_lock_wait = 2.0
    #: Lock a pipe around each line (:meth:`_write_pipe`). It costs two ``fcntl`` calls
    #: per console line on a pipe (4-6 µs measured on a loaded 2-core machine, where
    #: the unlocked line costs about 4 µs); False keeps only the kernel's promise:
    #: lines up to ``PIPE_BUF`` bytes stay whole.
    lock_pipes = True

    def __init__(self, stream: str | IO[str] = "stderr", level: int | str = logging.NOTSET) -> None:
        super().__init__(level)
        self._stream_name = stream if isinstance(stream, str) else None
        self._fixed = None if isinstance(stream, str) else stream
        self._seen: IO[str] | None = None
        self._colors = False
        self._fileno = -1
        self._pipe = False
        self._encoding = "utf-8"
        self._rest = b""
        self._dropped = 0
        self._failing: str | None = None

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
            self._look_at(stream)
        return self._colors

    @property
    def dropped(self) -> int:
        """Console lines dropped since the console last took one."""
        return self._dropped

    def _look_at(self, stream: IO[str]) -> None:
        """Remember *stream*'s colours, descriptor and encoding."""
        self._seen, self._colors = stream, wants_color(stream)
        try:
            self._fileno = stream.fileno()
            self._pipe = stat.S_ISFIFO(os.fstat(self._fileno).st_mode)
        except Exception:
            self._fileno, self._pipe = -1, False
        self._encoding = getattr(stream, "encoding", None) or "utf-8"

    def write_line(self, text: str) -> None:
        """Write *text* and a newline; never raises."""
        try:
            stream = self.stream
            if stream is not self._seen:
                self._look_at(stream)
            if self._fileno < 0:
                self._write_stream(stream, text)
                return
            stream.flush()
            data = (text + "\n").encode(self._encoding, "backslashreplace")
            if self._pipe and self.lock_pipes:
                self._write_pipe(self._rest + data if self._rest else data)
            else:
                self._write_fd(self._rest + data if self._rest else data)
        except Exception as exc:
            self._dropped += 1
            self._fail(exc)

    def _write_stream(self, stream: IO[str], text: str) -> None:
        try:
            stream.write(text + "\n")
        except UnicodeEncodeError:  # an ASCII or Latin-1 console: escape, do not drop
            encoding = getattr(stream, "encoding", None) or "ascii"
            stream.write((text + "\n").encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()

    def _write_fd(self, data: bytes) -> None:
        """One ``os.write`` of *data* (a waiting rest, then the line).

        Nothing written (a full non-blocking stream): the line is dropped and counted,
        a waiting rest keeps waiting. Part written: on a blocking stream (a signal
        came) the rest is written now, on a non-blocking one before the next line.
        """
        try:
            written = os.write(self._fileno, data)
            while written < len(data) and os.get_blocking(self._fileno):
                data = data[written:]
                written = os.write(self._fileno, data)
        except BlockingIOError as exc:
            self._dropped += 1
            self._fail(exc)
            return
        self._rest = data[written:]
        if self._failing is not None:
            self._recovered()

    def _write_pipe(self, data: bytes) -> None:
        """:meth:`_write_fd` holding the pipe's lock, so that no line is interleaved.

        A pipe takes a write of up to ``PIPE_BUF`` bytes whole; a longer one goes in
        pieces, and another process's line can land between them. Every oxlog
        process writing to the pipe (the container preset's stdout, shared by
        gunicorn's or Celery's workers) takes a POSIX record lock on it (``lockf``:
        per process, so forked workers exclude each other) and this handler's thread
        lock around each line. The lock is only polled (a holder may be stopped):
        after :attr:`pipe_lock_wait` seconds the line is written without it,
        reported once. Other programs writing to the pipe do not take the lock.
        """
        with _pipe_lock:
            deadline = 0.0
            while True:
                try:
                    fcntl.lockf(self._fileno, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        locked = False  # no locking on this pipe: write as is
                        break
                now = time.monotonic()
                if not deadline:
                    deadline = now + self.pipe_lock_wait
                elif now >= deadline:
                    report("console:lock", f"the console pipe stayed locked for "
                           f"{self.pipe_lock_wait:g} s; a line was written without the lock")
                    locked = False
                    break
                time.sleep(0.0005)
            try:
                self._write_fd(data)
            finally:
                if locked:
                    fcntl.lockf(self._fileno, fcntl.LOCK_UN)

    def _fail(self, exc: BaseException) -> None:
        if self._failing is None:
            self._failing = type(exc).__name__
            report(f"console:{self._failing}",
                   f"cannot write to the console ({self._failing}); console lines are "
                   "dropped and counted")
            forget("console:recovered")

    def _recovered(self) -> None:
        dropped, self._dropped = self._dropped, 0
        forget(f"console:{self._failing}")
        self._failing = None
        report("console:recovered", f"writing to the console again; {dropped} lines were dropped")


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
