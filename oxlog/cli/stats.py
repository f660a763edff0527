"""``oxlog stats``: per task name (or queue) counts, failure and retry rates, percentiles.

Definitions, per key:

- ``count``: finished runs, i.e. ``task_succeeded`` + ``task_failed`` events;
- ``failure_rate``: ``task_failed`` / count; ``retry_rate``: share of finished runs whose
  final event has ``retries`` > 0; ``retries``: number of ``task_retrying`` events;
- ``duration_ms`` percentiles over the finished runs' ``duration_ms``;
- ``queue_wait_ms`` percentiles over every ``task_started`` (each attempt) whose task was
  due when it was sent: a run with an ``eta`` (``countdown``, ``eta``, a retry's delay,
  ``celery.chord_unlock``'s polling) waited on purpose, so it is counted in ``delayed``
  and its wait is left out, lest a delay read like a backlog.

Percentiles interpolate linearly between closest ranks. Values are kept exactly up to
``SAMPLE_CAP`` per series; past that a uniform reservoir of that size is kept (seeded, so
runs are repeatable), which bounds memory by the number of keys, not by the file size.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oxlog._schema import (
    CHILD_TASK_ID,
    DURATION_MS,
    QUEUE_WAIT_MS,
    TASK_ENQUEUED,
    TASK_FAILED,
    TASK_ID,
    TASK_NAME,
    TASK_RECEIVED,
    TASK_REJECTED,
    TASK_RETRYING,
    TASK_REVOKED,
    TASK_STARTED,
    TASK_SUCCEEDED,
)
from oxlog.cli.errors import EXIT_OK, CliError
from oxlog.cli.reading import Record, Skipped, resolve_sources
from oxlog.cli.tables import format_table
from oxlog.cli.task_events import event_prefixes, iter_task_events, retries_of
from oxlog.cli.times import format_timestamp, parse_since, parse_timestamp, timestamp_key

NAME = "stats"
SAMPLE_CAP = 50_000
PERCENTILES = (50, 95, 99)
UNKNOWN = "(unknown)"
ENDED = frozenset((TASK_SUCCEEDED, TASK_FAILED, TASK_REVOKED, TASK_REJECTED))
FOLDED = (TASK_RECEIVED, TASK_STARTED, TASK_SUCCEEDED, TASK_FAILED, TASK_RETRYING,
          TASK_REVOKED)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``stats`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="per task name or queue: counts, failure/retry rates, percentiles",
        description="Count task runs and compute duration and queue wait percentiles.",
    )
    parser.add_argument("files", metavar="FILES", nargs="*", help="json.log files, .gz, or -")
    parser.add_argument("--since", help="only events at or after: ISO timestamp, or a duration back from now")
    parser.add_argument("--now", help="reference time for a relative --since (default: now)")
    parser.add_argument("--by", choices=(TASK_NAME, "queue"), default=TASK_NAME, help="group by")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


class Sample:
    """Values of one series: exact up to ``cap``, then a uniform reservoir of ``cap``."""

    def __init__(self, cap: int = SAMPLE_CAP, seed: int = 0) -> None:
        """Start empty."""
        self.values = array("d")
        self.seen = 0
        self.cap = cap
        self.random = random.Random(seed)

    def add(self, value: float) -> None:
        """Add one value (Algorithm R once past the cap)."""
        self.seen += 1
        if len(self.values) < self.cap:
            self.values.append(value)
            return
        slot = self.random.randrange(self.seen)
        if slot < self.cap:
            self.values[slot] = value

    def percentiles(self, wanted: Iterable[int] = PERCENTILES) -> dict[str, float | None]:
        """Return ``{"p50": ..., ...}`` (None when there are no values)."""
        ordered = sorted(self.values)
        return {f"p{q}": percentile(ordered, q) for q in wanted}


def percentile(ordered: list[float], q: float) -> float | None:
    """Return the q-th percentile of sorted values, interpolating linearly (numpy's default)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class KeyStats:
    """Counters and samples for one task name or queue."""

    count: int = 0
    failed: int = 0
    retried: int = 0
    retries: int = 0
    revoked: int = 0
    delayed: int = 0
    durations: Sample = field(default_factory=Sample)
    waits: Sample = field(default_factory=Sample)
    #: Runs received with an ``eta`` and not started yet: ``(task_id, retries)``.
    due_later: set[tuple[str, int]] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data."""
        return {
            "count": self.count,
            "failed": self.failed,
            "failure_rate": self.failed / self.count if self.count else None,
            "retried": self.retried,
            "retry_rate": self.retried / self.count if self.count else None,
            "retries": self.retries,
            "revoked": self.revoked,
            "delayed": self.delayed,
            DURATION_MS: self.durations.percentiles(),
            QUEUE_WAIT_MS: self.waits.percentiles(),
        }


class Aggregator:
    """Fold task events into per-key statistics."""

    def __init__(self, by: str = TASK_NAME, since: str | None = None) -> None:
        """Group by ``task_name`` or ``queue``; ignore events before ``since`` (a timestamp key)."""
        self.by = by
        self.since = since
        self.keys: dict[str, KeyStats] = {}
        self.queues: dict[str, str] = {}
        self.waiting: list[tuple[str, Record]] = []

    def add(self, record: Record) -> None:
        """Fold one record."""
        if self.since is not None and timestamp_key(record["timestamp"]) < self.since:
            return
        if record["message"] == TASK_ENQUEUED:
            self._remember_queue(record)
            return
        key = self._key(record)
        if key is not None:
            self._fold(self.keys.setdefault(key, KeyStats()), record)

    def finish(self) -> dict[str, KeyStats]:
        """Fold the events whose queue was not known yet, and return the statistics."""
        for task_id, record in self.waiting:
            self._fold(self.keys.setdefault(self.queues.get(task_id, UNKNOWN), KeyStats()), record)
        self.waiting.clear()
        return self.keys

    def _remember_queue(self, record: Record) -> None:
        """Note the queue of an enqueued task (only needed when grouping by queue)."""
        child, queue = record.get(CHILD_TASK_ID), record.get("queue")
        if self.by == "queue" and isinstance(child, str) and isinstance(queue, str):
            self.queues[child] = queue

    def _key(self, record: Record) -> str | None:
        """Return the record's key, or None when it must wait for its enqueue line."""
        if self.by == TASK_NAME:
            return str(record.get(TASK_NAME) or UNKNOWN)
        task_id = str(record.get(TASK_ID))
        queue = self.queues.get(task_id)
        if queue is None:
            self.waiting.append((task_id, record))
        elif record["message"] in ENDED:
            del self.queues[task_id]
        return queue

    @staticmethod
    def _fold(stats: KeyStats, record: Record) -> None:
        """Apply one lifecycle event to a key's statistics."""
        message = record["message"]
        if message == TASK_RECEIVED:
            if record.get("eta"):
                stats.due_later.add((str(record.get(TASK_ID)), retries_of(record)))
        elif message == TASK_STARTED:
            run_key = (str(record.get(TASK_ID)), retries_of(record))
            if run_key in stats.due_later or record.get("eta"):
                stats.due_later.discard(run_key)
                stats.delayed += 1
            else:
                _add_number(stats.waits, record.get(QUEUE_WAIT_MS))
        elif message in (TASK_SUCCEEDED, TASK_FAILED):
            stats.count += 1
            stats.failed += message == TASK_FAILED
            stats.retried += retries_of(record) > 0
            _add_number(stats.durations, record.get(DURATION_MS))
        elif message == TASK_RETRYING:
            stats.retries += 1
        elif message == TASK_REVOKED:
            stats.revoked += 1


def _add_number(sample: Sample, value: object) -> None:
    """Add ``value`` to ``sample`` if it is a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        sample.add(float(value))


def run(args: argparse.Namespace) -> int:
    """Read the task events and print the statistics."""
    since = _since(args)
    sources = resolve_sources(args.files)
    skipped = Skipped()
    aggregator = Aggregator(args.by, since)
    try:
        for record in iter_task_events(sources, skipped, _wanted(args.by),
                                       only_with={b"rece": b'"eta'}):
            aggregator.add(record)
    finally:
        skipped.report()
    _print(aggregator.finish(), args)
    return EXIT_OK


def _wanted(by: str) -> frozenset[bytes]:
    """Return the events to decode: ``task_enqueued`` too when grouping by queue."""
    return event_prefixes((*FOLDED, TASK_ENQUEUED) if by == "queue" else FOLDED)


def _since(args: argparse.Namespace) -> str | None:
    """Return ``--since`` as a timestamp key, or None."""
    if not args.since:
        return None
    try:
        now = parse_timestamp(args.now) if args.now else datetime.now().astimezone()
        return format_timestamp(parse_since(args.since, now))
    except ValueError as error:
        raise CliError(str(error)) from None


def _print(keys: dict[str, KeyStats], args: argparse.Namespace) -> None:
    """Print the statistics as a table or JSON, busiest key first."""
    ordered = sorted(keys.items(), key=lambda item: (-item[1].count, item[0]))
    if args.json:
        sys.stdout.write(json.dumps({"by": args.by, "keys": {k: s.as_dict() for k, s in ordered}}) + "\n")
        return
    if not ordered:
        sys.stdout.write("no task events found\n")
        return
    sys.stdout.write(
        format_table(_headers(args.by), [_row(k, s) for k, s in ordered], set(range(1, 12))) + "\n"
    )


def _headers(by: str) -> tuple[str, ...]:
    """Return the table's column titles."""
    return (by, "count", "failed", "retried", "dur p50", "p95", "p99", "wait p50", "p95", "p99", "revoked",
            "delayed")


def _row(key: str, stats: KeyStats) -> tuple[str, ...]:
    """Return one table row."""
    data = stats.as_dict()
    durations, waits = data[DURATION_MS], data[QUEUE_WAIT_MS]
    return (
        key,
        str(stats.count),
        _rate(data["failure_rate"]),
        _rate(data["retry_rate"]),
        *(_ms(durations[f"p{q}"]) for q in PERCENTILES),
        *(_ms(waits[f"p{q}"]) for q in PERCENTILES),
        str(stats.revoked),
        str(stats.delayed),
    )


def _rate(value: float | None) -> str:
    """Return a rate as a percentage, or ``-``."""
    return "-" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    """Return milliseconds as text, or ``-``."""
    return "-" if value is None else f"{value:.1f}ms"
