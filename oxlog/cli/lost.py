"""``oxlog lost``: tasks that were enqueued but never started.

A task run is identified by (task id, attempt): ``task_enqueued`` opens it (a retry's
enqueue, whose child is the publisher itself, opens attempt ``retries + 1``) and
``task_started`` or any final event of the same attempt closes it. Memory holds only the
open runs, plus runs closed before their enqueue line was read (another host's file).

A run is lost when it is still open and was due (its ``eta``, or enqueue time plus
``countdown``, or enqueue time) longer than ``--older-than`` before the reference time: the
current time (a live system that went idle after a publish still shows its lost tasks),
``--now newest`` (the newest timestamp among the task events read: an old export judged as
of its own end), or ``--now ISO``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from oxlog._schema import (
    CHILD_TASK_ID,
    CHILD_TASK_NAME,
    CORRELATION_ID,
    TASK_ENQUEUED,
    TASK_ID,
    TASK_REJECTED,
    TASK_REVOKED,
    TASK_STARTED,
    TASK_UNKNOWN,
)
from oxlog.cli.errors import EXIT_FOUND, EXIT_OK
from oxlog.cli.reading import Record, Skipped, resolve_sources
from oxlog.cli.tables import format_table
from oxlog.cli.task_events import Newest, event_prefixes, iter_task_events, retries_of
from oxlog.cli.times import format_timestamp, iso_key, parse_duration, parse_timestamp, timestamp_key
from oxlog.cli.workflow import FINAL_STATES

NAME = "lost"
CLOSING = frozenset((TASK_STARTED, *FINAL_STATES))
WANTED = (TASK_ENQUEUED, *CLOSING)
# Closing events that can come without a task_started of the same run before them (in the
# same worker's file); succeeded/failed/retrying always follow one, so they never need to
# be remembered as "closed before their enqueue line".
OPENLESS = frozenset((TASK_STARTED, TASK_REVOKED, TASK_REJECTED, TASK_UNKNOWN))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``lost`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="list tasks enqueued but never started",
        description="List tasks enqueued with no task_started or final event. Exit 1 if any.",
    )
    parser.add_argument("files", metavar="FILES", nargs="*", help="json.log files, .gz, or -")
    parser.add_argument("--older-than", default="10m", type=_duration, help="age threshold (default 10m)")
    parser.add_argument("--now", type=_timestamp,
                        help="reference time: ISO, or newest (the newest task event); default: now")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


@dataclass(slots=True)
class Pending:
    """An enqueued task run not yet seen to start."""

    task_id: str
    attempt: int
    task_name: str | None
    args: str | None
    kwargs: str | None
    correlation_id: str | None
    queue: str | None
    enqueued_at: str
    eta: str | None
    countdown: float | None

    def due(self) -> datetime:
        """Return when the run should have started: eta, enqueue + countdown, or enqueue."""
        enqueued = parse_timestamp(self.enqueued_at)
        if self.eta:
            try:
                return max(enqueued, parse_timestamp(self.eta))
            except ValueError:
                return enqueued
        return enqueued + timedelta(seconds=self.countdown or 0)


def run(args: argparse.Namespace) -> int:
    """Read the task events, print the lost runs, exit 1 if there are any."""
    sources = resolve_sources(args.files)
    skipped = Skipped()
    try:
        newest = Newest()
        pending = open_runs(iter_task_events(sources, skipped, event_prefixes(WANTED), newest), newest)
    finally:
        skipped.report()
    if args.now == NEWEST:
        reference = parse_timestamp(newest.key) if newest.key else datetime.now().astimezone()
    else:
        reference = args.now or datetime.now().astimezone()
    lost = select_lost(pending, reference, args.older_than)
    _print(lost, reference, args)
    return EXIT_FOUND if lost else EXIT_OK


def open_runs(records: Iterable[Record], newest: Newest | None = None) -> list[Pending]:
    """Return the runs still open at the end; feed every timestamp to ``newest``."""
    open_: dict[tuple[str, int], Pending] = {}
    closed_early: set[tuple[str, int]] = set()
    for record in records:
        if newest is not None:
            newest.see(record["timestamp"])
        message = record["message"]
        if message == TASK_ENQUEUED:
            run_ = _pending(record)
            if run_ is None:
                continue
            key = (run_.task_id, run_.attempt)
            if key in closed_early:
                closed_early.discard(key)
            else:
                open_[key] = run_
        elif message in CLOSING and isinstance(record.get(TASK_ID), str):
            key = (record[TASK_ID], retries_of(record))
            if open_.pop(key, None) is None and message in OPENLESS:
                closed_early.add(key)
    return list(open_.values())


def _pending(record: Record) -> Pending | None:
    """Return the run a ``task_enqueued`` record opens, or None without a child id."""
    child = record.get(CHILD_TASK_ID)
    if not isinstance(child, str) or not child or iso_key(record["timestamp"]) is None:
        return None  # without a child id, or a time to measure its age from
    attempt = retries_of(record) + 1 if record.get(TASK_ID) == child else 0
    countdown = record.get("countdown")
    return Pending(
        task_id=child,
        attempt=attempt,
        task_name=_str(record.get(CHILD_TASK_NAME)),
        args=_str(record.get("args")),
        kwargs=_str(record.get("kwargs")),
        correlation_id=_str(record.get(CORRELATION_ID)),
        queue=_str(record.get("queue")),
        enqueued_at=record["timestamp"],
        eta=_str(record.get("eta")),
        countdown=float(countdown) if isinstance(countdown, int | float) else None,
    )


def select_lost(pending: Iterable[Pending], reference: datetime, older_than: timedelta) -> list[Pending]:
    """Return the open runs due before ``reference - older_than``, oldest first."""
    cutoff = reference - older_than
    lost = [run_ for run_ in pending if run_.due() <= cutoff]
    return sorted(lost, key=lambda run_: (timestamp_key(run_.enqueued_at), run_.task_id))


def _print(lost: list[Pending], reference: datetime, args: argparse.Namespace) -> None:
    """Print the lost runs as a table or JSON."""
    if args.json:
        data = {
            "reference_time": format_timestamp(reference),
            "older_than_seconds": args.older_than.total_seconds(),
            "lost": [asdict(run_) for run_ in lost],
        }
        sys.stdout.write(json.dumps(data) + "\n")
        return
    if not lost:
        sys.stdout.write(f"no lost tasks (reference time {format_timestamp(reference)})\n")
        return
    headers = ("enqueued", "task", "task id", "queue", "correlation id", "args", "kwargs")
    rows = [
        (r.enqueued_at, r.task_name or "?", r.task_id, r.queue or "-", r.correlation_id or "-",
         r.args or "", r.kwargs or "")
        for r in lost
    ]  # fmt: skip
    noun = "lost task" if len(lost) == 1 else "lost tasks"
    sys.stdout.write(f"{len(lost)} {noun} (reference time {format_timestamp(reference)}):\n")
    sys.stdout.write(format_table(headers, rows) + "\n")


def _duration(text: str) -> timedelta:
    """Parse ``--older-than`` for argparse."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


NEWEST = "newest"


def _timestamp(text: str) -> datetime | str:
    """Parse ``--now`` for argparse: ``newest`` or an ISO timestamp."""
    if text.strip().lower() == NEWEST:
        return NEWEST
    try:
        return parse_timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO timestamp or 'newest': {text!r}") from None


def _str(value: object) -> str | None:
    """Return ``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None
