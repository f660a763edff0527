"""Finding json.log files and reading them fast: blocks of whole lines, records, skips.

Files are read in binary with large reads; a block always ends at a line boundary so that
callers can search a whole block with one ``bytes.find`` before decoding any line.
"""

from __future__ import annotations

import gzip
import json
import mmap
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TextIO

from oxlog.cli.errors import CliError
from oxlog.cli.progress import Progress

DEFAULT_LOG = Path("logs/json.log")
BLOCK_SIZE = 8 << 20
REQUIRED_KEYS = frozenset(("timestamp", "level", "message"))
STDIN_NAME = "-"

Record = dict[str, Any]


class Reader(Protocol):
    """What reading needs of an open input."""

    def read(self, size: int = -1, /) -> bytes:
        """Read up to ``size`` bytes."""

    def readline(self) -> bytes:
        """Read one line."""

    def tell(self) -> int:
        """Return the position."""

    def close(self) -> None:
        """Release the input."""


class Source:
    """One input: a plain or gzipped file, or standard input."""

    def __init__(self, name: str) -> None:
        """Name the input: a path, or ``-`` for stdin."""
        self.name = name

    def size(self) -> int | None:
        """Return the size on disk in bytes, if known."""
        return None

    def open(self) -> tuple[Reader, Reader]:
        """Open for reading: the stream of lines, and the raw stream whose position is progress."""
        raise NotImplementedError


GZIP_MAGIC = b"\x1f\x8b"


class FileSource(Source):
    """A file on disk; gzip data (whatever the name) is decompressed on the fly."""

    def __init__(self, path: Path) -> None:
        """Remember the path."""
        super().__init__(str(path))
        self.path = path

    def size(self) -> int | None:
        """Return the file's size on disk."""
        return self.path.stat().st_size

    @property
    def gzipped(self) -> bool:
        """Whether the file holds gzip data (its first two bytes), not whether it is named so."""
        with self.path.open("rb") as handle:
            return handle.read(2) == GZIP_MAGIC

    def open(self) -> tuple[Reader, Reader]:
        """Open the file, through gzip when it holds gzip data."""
        raw = self.path.open("rb")
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            return Gunzip(raw, self.name), raw
        raw.seek(0)
        return raw, raw


class Gunzip:
    """gzip decompression that keeps what it read when the data breaks off.

    A truncated ``.gz`` (a rotation cut short, a copy in progress) or a corrupt one gives
    every whole line before the break, then one warning on stderr, instead of a
    traceback and nothing.
    """

    CHUNK = 1 << 16

    def __init__(self, raw: IO[bytes] | Reader, name: str) -> None:
        """Decompress *raw*, named *name* in the warning."""
        self.file = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[arg-type]
        self.name = name
        self.broken = False

    def read(self, size: int = -1) -> bytes:
        """Read up to *size* bytes (all with -1), stopping quietly at a break."""
        parts: list[bytes] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0 and not self.broken:
            try:
                part = self.file.read1(min(self.CHUNK, wanted))
            except (EOFError, OSError, zlib.error) as error:
                self._warn(error)
                break
            if not part:
                break
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)

    def readline(self) -> bytes:
        """Read one line, stopping quietly at a break."""
        if self.broken:
            return b""
        try:
            return self.file.readline()
        except (EOFError, OSError, zlib.error) as error:
            self._warn(error)
            return b""

    def tell(self) -> int:
        """Return the position in the decompressed data."""
        return self.file.tell() if not self.broken else 0

    def close(self) -> None:
        """Close the decompressor (the caller closes the file)."""
        self.file.close()

    def _warn(self, error: BaseException) -> None:
        self.broken = True
        reason = "it ends early (truncated)" if isinstance(error, EOFError) else "it is corrupt"
        sys.stderr.write(f"oxlog: {self.name}: the gzip data stops, {reason}; "
                         "the lines before the break are used\n")


class StdinSource(Source):
    """Standard input, spooled to a temporary file on first read so it can be read again."""

    def __init__(self) -> None:
        """Name the source ``-``; nothing is read yet."""
        super().__init__(STDIN_NAME)
        self.spool: IO[bytes] | None = None
        self.gzipped = False

    def open(self) -> tuple[Reader, Reader]:
        """Return stdin teed into the spool the first time, the spool itself afterwards.

        gzip data on stdin (``cat json.log.gz | oxlog stats -``) is decompressed.
        """
        if self.spool is None:
            self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the source)
            stdin = sys.stdin.buffer
            peek = getattr(stdin, "peek", None)
            self.gzipped = peek is not None and peek(2)[:2] == GZIP_MAGIC
            tee = _Tee(stdin, self.spool)
            return (Gunzip(tee, "stdin"), tee) if self.gzipped else (tee, tee)
        self.spool.seek(0)
        if self.gzipped:
            return Gunzip(self.spool, "stdin"), self.spool
        return self.spool, self.spool


class _Tee:
    """A minimal binary reader that copies what it reads into another file."""

    def __init__(self, reader: IO[bytes], copy: IO[bytes]) -> None:
        """Read from ``reader``, write the same bytes into ``copy``."""
        self.reader = reader
        self.copy = copy
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes and copy them."""
        return self._copied(self.reader.read(size))

    def readline(self) -> bytes:
        """Read one line and copy it."""
        return self._copied(self.reader.readline())

    def tell(self) -> int:
        """Return how many bytes went through."""
        return self.position

    def close(self) -> None:
        """Leave stdin and the spool open; nothing to release."""

    def _copied(self, data: bytes) -> bytes:
        """Write ``data`` into the copy and count it."""
        self.copy.write(data)
        self.position += len(data)
        return data


@dataclass
class Skipped:
    """Counts of lines that are not oxlog records, reported once at the end."""

    not_json: int = 0
    not_record: int = 0

    @property
    def total(self) -> int:
        """Return all skipped lines."""
        return self.not_json + self.not_record

    def report(self, stream: TextIO | None = None) -> None:
        """Write the single summary line on stderr, if anything was skipped."""
        if self.total:
            out = stream if stream is not None else sys.stderr
            out.write(
                f"oxlog: skipped {self.total} lines that are not oxlog records ({self.not_json} not JSON)\n"
            )


def resolve_sources(names: Iterable[str]) -> list[Source]:
    """Turn FILES arguments into sources; none means ``logs/json.log`` and its rotations."""
    names = list(names)
    if not names:
        return [FileSource(path) for path in rotation_chain(DEFAULT_LOG)]
    sources: list[Source] = []
    for name in names:
        if name == STDIN_NAME:
            sources.append(StdinSource())
        elif Path(name).is_dir() and (Path(name) / DEFAULT_LOG.name).is_file():
            # A log directory: its json.log and the rotations beside it.
            sources.extend(FileSource(path) for path in rotation_chain(Path(name) / DEFAULT_LOG.name))
        else:
            sources.append(FileSource(_existing(Path(name))))
    return sources


def rotation_chain(base: Path) -> list[Path]:
    """Return ``base`` and its rotated siblings, oldest first (``json.log.3.gz`` ... ``json.log``).

    Numbered siblings (``.1``, ``.2.gz``) are older the higher their number; other suffixes
    (dates written by a timed rotation) sort by name and come before the numbered ones.
    """
    _existing(base)
    pattern = re.compile(re.escape(base.name) + r"\.(.+?)(\.gz)?$")
    numbered: list[tuple[int, Path]] = []
    dated: list[tuple[str, Path]] = []
    for sibling in base.parent.iterdir():
        match = pattern.match(sibling.name)
        if match is None or not sibling.is_file():
            continue
        suffix = match.group(1)
        if suffix.isdigit():
            numbered.append((int(suffix), sibling))
        else:
            dated.append((suffix, sibling))
    older = [path for _, path in sorted(dated)] + [path for _, path in sorted(numbered, reverse=True)]
    return [*older, base]


def _existing(path: Path) -> Path:
    """Return ``path`` if it is a readable file, else raise the exit-2 error naming it."""
    if path.is_dir():
        raise CliError(f"{path} is a directory without a json.log: pass a json.log file "
                       "(or the directory oxlog writes to)")
    if not path.is_file():
        raise CliError(f"no such log file: {path}")
    return path


def total_size(sources: Iterable[Source]) -> int | None:
    """Return the summed size of the sources, or None if any size is unknown."""
    sizes = [source.size() for source in sources]
    if any(size is None for size in sizes):
        return None
    return sum(size for size in sizes if size is not None)


def iter_blocks(sources: Iterable[Source], label: str = "reading") -> Iterator[bytes]:
    """Yield the inputs as blocks of whole lines, each ending with a newline."""
    sources = list(sources)
    progress = Progress(total_size(sources), label)
    done = 0
    try:
        for source in sources:
            stream, raw = source.open()
            try:
                for block in _blocks(stream):
                    yield block
                    progress.update(done + raw.tell())
                done += raw.tell()
            finally:
                stream.close()
    finally:
        progress.close()


def _blocks(stream: Reader) -> Iterator[bytes]:
    """Read large blocks, completing the last line of each with ``readline``."""
    while True:
        block = stream.read(BLOCK_SIZE)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += stream.readline()
            if not block.endswith(b"\n"):
                block += b"\n"
        yield block


def iter_lines_containing(sources: Iterable[Source], needle: bytes,
                          label: str = "searching") -> Iterator[bytes]:
    """Yield the lines of *sources* that contain *needle*, in input order.

    A plain file is memory-mapped and searched in place (no copy into Python blocks:
    this is what brings ``trace`` near ``grep -F``); ``.gz`` files and stdin are read
    in blocks.
    """
    sources = list(sources)
    plain = [s for s in sources if isinstance(s, FileSource) and not s.gzipped]
    if len(plain) != len(sources):
        yield from iter_matching_lines(iter_blocks(sources, label), needle)
        return
    progress = Progress(total_size(sources), label)
    done = 0
    try:
        for source in plain:
            size = source.size() or 0
            if size:
                yield from _mapped_matches(source.path, needle, progress, done)
            done += size
    finally:
        progress.close()


#: Bytes of a file mapped at a time: memory stays bounded by this, not by the file.
WINDOW = 64 << 20


def _mapped_matches(path: Path, needle: bytes, progress: Progress, done: int) -> Iterator[bytes]:
    """Search *path* through a sliding memory-mapped window of whole lines."""
    for _, line in lines_at(path, needle, progress=progress, done=done):
        yield line


def lines_at(path: Path, needle: bytes, start: int = 0, progress: Progress | None = None,
             done: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of each line of *path* containing *needle*, from the line at *start*."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        position, window = start, WINDOW  # position: the start of a line, in the file
        while position < size:
            base = position - position % mmap.ALLOCATIONGRANULARITY
            length = min(window, size - base)
            with mmap.mmap(handle.fileno(), length, offset=base, access=mmap.ACCESS_READ) as mm:
                start = position - base
                end = length if base + length == size else mm.rfind(b"\n", start) + 1
                if end <= start:  # one line longer than the window: look wider
                    window *= 2
                    continue
                for offset, line in _lines_with(mm, needle, start, end):
                    yield base + offset, line
            position, window = base + end, WINDOW
            if progress is not None:
                progress.update(done + position)


def lines_before(path: Path, needle: bytes, end: int) -> Iterator[bytes]:
    """The lines of *path* before offset *end* (a line start) containing *needle*, last first."""
    with path.open("rb") as handle:
        while end > 0:
            base = max(0, end - WINDOW)
            base -= base % mmap.ALLOCATIONGRANULARITY
            with mmap.mmap(handle.fileno(), end - base, offset=base, access=mmap.ACCESS_READ) as mm:
                # the window's first, partial line belongs to the next window back
                start = 0 if base == 0 else mm.find(b"\n") + 1
                if start <= 0 and base > 0:  # one line longer than the window
                    start = 0
                for _, line in reversed(list(_lines_with(mm, needle, start, end - base))):
                    yield line
            end = base + start


def _lines_with(mm: mmap.mmap, needle: bytes, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    found = mm.find(needle, start, end)
    while found != -1:
        line_start = mm.rfind(b"\n", start, found) + 1 or start
        line_end = mm.find(b"\n", found, end)
        line_end = end if line_end == -1 else line_end
        yield line_start, mm[line_start:line_end]
        found = mm.find(needle, line_end, end)


def iter_matching_lines(blocks: Iterable[bytes], needle: bytes) -> Iterator[bytes]:
    """Yield the lines that contain ``needle``, searching each block as a whole."""
    for block in blocks:
        position = block.find(needle)
        while position != -1:
            start = block.rfind(b"\n", 0, position) + 1
            end = block.index(b"\n", position)
            yield block[start:end]
            position = block.find(needle, end)


def parse_record(line: bytes, skipped: Skipped) -> Record | None:
    """Decode one line into an oxlog record, or count it as skipped and return None.

    Every output oxlog writes is read: the default schema, ``OXLOG_MESSAGE_KEY`` ``event``
    or ``msg``, ``OXLOG_JSON_SCHEMA = "ecs"``, and a record wrapped the way aggregators
    export it (Elasticsearch's ``_source``, Loki's ``line``): see :func:`normalized`.
    """
    try:
        value = json.loads(line)
    except ValueError:
        if line.strip():
            skipped.not_json += 1
        return None
    if isinstance(value, dict) and not value.keys() >= REQUIRED_KEYS:
        value = normalized(value)
    if not isinstance(value, dict) or not value.keys() >= REQUIRED_KEYS:
        skipped.not_record += 1
        return None
    if not isinstance(value["timestamp"], str) or not isinstance(value["message"], str):
        skipped.not_record += 1
        return None
    return value


#: Keys a record's message may be under (``OXLOG_MESSAGE_KEY``), the default first.
MESSAGE_KEYS = ("message", "event", "msg")


def normalized(value: Record) -> Record | None:
    """*value* as an oxlog record in the default schema, or None when it is not one.

    Unwraps an aggregator's export (``{"_source": {...}}``, ``{"line": "{...}"}``), maps
    ECS names back (``@timestamp``, ``log.level``, ``log.logger``, ``process.pid``,
    ``service.name``, ``service.environment``, ``trace.id``, ``span.id``, the context
    under ``labels``,
    ``error.stack_trace``) and a message under ``event`` or
    ``msg`` to ``message``.
    """
    source = value.get("_source")
    if isinstance(source, dict):
        value = source
    elif isinstance(value.get("line"), str) and value["line"].lstrip().startswith("{"):
        try:
            value = json.loads(value["line"])
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
    if value.keys() >= REQUIRED_KEYS:
        return value
    if "@timestamp" in value:
        out: Record = {"timestamp": value["@timestamp"], "level": value.get("log.level"),
                       "logger": _nested(value, "log", "logger"),
                       "message": value.get("message"),
                       "process": _nested(value, "process", "pid")}
        for key, outer, inner in (("service", "service", "name"),
                                  ("env", "service", "environment"),
                                  ("trace_id", "trace", "id"), ("span_id", "span", "id")):
            found = _nested(value, outer, inner)
            if found is not None:
                out[key] = found
        labels = value.get("labels")
        if isinstance(labels, dict):
            out.update((k, v) for k, v in labels.items() if k not in out)
        trace = _nested(value, "error", "stack_trace")
        if trace is not None:
            out["exception"] = trace
        return out
    for key in MESSAGE_KEYS[1:]:
        if key in value and "message" not in value:
            out = {("message" if k == key else k): v for k, v in value.items()}
            return out
    return value


def _nested(value: Record, outer: str, inner: str) -> Any:
    """``value[outer][inner]`` (ECS nests), or its dotted form ``value["outer.inner"]``."""
    part = value.get(outer)
    if isinstance(part, dict) and inner in part:
        return part[inner]
    return value.get(f"{outer}.{inner}")


#: How an event name may follow its key in a line, by output: compact and spaced JSON under
#: each message key, and the same escaped inside a wrapped string (Loki's ``line``).
_EVENT_NEEDLES = tuple(
    needle
    for key in MESSAGE_KEYS
    for needle in (f'"{key}":"'.encode(), f'"{key}": "'.encode(), f'\\"{key}\\":\\"'.encode())
)


def message_key(block: bytes) -> bytes:
    """Return how the message key and its opening quote are spelled in this block.

    ``"message":"`` (compact) unless the block holds another of the outputs oxlog writes:
    ``"message": "``, ``"event":"`` (``OXLOG_MESSAGE_KEY = "event"``), a wrapped line's
    escaped ``\\"message\\":\\"`` … The first found wins, for the whole block.
    """
    for needle in _EVENT_NEEDLES:
        if needle in block:
            return needle
    return _EVENT_NEEDLES[0]
