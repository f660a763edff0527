"""Reading only Celery task lifecycle events (``task_*`` messages), fast.

A line is decoded only if it contains ``"message":"task_`` (``message`` is a top-level key
whose value is the event name) followed by one of the wanted event names. Any other line
that does not look like an oxlog record (``{"timestamp":`` ... ``}``, timestamp being the
first key) is decoded too, only to count it as skipped when it is not one, so garbled,
truncated and foreign lines are all reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from oxlog.cli.reading import Record, Skipped, Source, iter_blocks, message_key, parse_record
from oxlog.cli.times import iso_key

CLOSE_BRACE = ord("}")
RECORD_STARTS = (b'{"timestamp":', b'{"timestamp": ', b'{"@timestamp":', b'{"@timestamp": ')
PREFIX = 4


def event_prefixes(events: Iterable[str]) -> frozenset[bytes]:
    """Return the first bytes after ``task_`` that select the given events (``task_started``...)."""
    return frozenset(event.removeprefix("task_").encode()[:PREFIX] for event in events)


class Newest:
    """The newest timestamp of the input: each block's last line, and every record decoded."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.key = ""

    def see(self, timestamp: str) -> None:
        """Take a record's timestamp into account (one that is not ISO 8601 is ignored)."""
        key = iso_key(timestamp)
        if key is not None and key > self.key:
            self.key = key

    def see_block(self, block: bytes) -> None:
        """Take the block's last line's timestamp into account (files are written in order)."""
        start = block.rfind(b"\n", 0, len(block) - 1) + 1
        for prefix in RECORD_STARTS:
            if block.startswith(prefix + b'"', start):
                begin = start + len(prefix) + 1
                end = block.find(b'"', begin, begin + 40)
                if end != -1:
                    self.see(block[begin:end].decode("ascii", "replace"))
                return


def iter_task_events(
    sources: list[Source],
    skipped: Skipped,
    wanted: frozenset[bytes] | None = None,
    newest: Newest | None = None,
    only_with: dict[bytes, bytes] | None = None,
) -> Iterator[Record]:
    """Yield the decoded ``task_*`` records (only the ``wanted`` ones, if given), in input order.

    *only_with* maps an event's prefix to bytes its line must hold to be decoded at all
    (``stats`` needs ``task_received`` only when it carries an ``eta``): a line that
    lacks them costs one ``find``, not a ``json.loads``.
    """
    for block in iter_blocks(sources, "reading"):
        if newest is not None:
            newest.see_block(block)
        needle = message_key(block) + b"task_"
        size = len(needle)
        for line in block.split(b"\n"):
            at = line.find(needle)
            if at != -1:
                prefix = line[at + size : at + size + PREFIX]
                if wanted is not None and prefix not in wanted:
                    continue
                if only_with is not None and prefix in only_with and only_with[prefix] not in line:
                    continue
                record = parse_record(line, skipped)
                if record is not None:
                    yield record
            elif line and not (line.startswith(RECORD_STARTS) and line[-1] == CLOSE_BRACE):
                parse_record(line, skipped)


def retries_of(record: Record) -> int:
    """Return the record's ``retries`` (0 when absent)."""
    value = record.get("retries")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
