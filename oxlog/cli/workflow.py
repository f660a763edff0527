"""The workflow tree: a root (request, command, beat dispatch) and its tasks, built from records.

Ordering rule: the parent/child relation comes first, timestamps second. A child is always
placed under its parent whatever the clocks say; siblings are ordered by where their
``task_enqueued`` line sits among the parent's lines; a node's own lines are ordered by
attempt (``retries``), then timestamp, then input order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oxlog._schema import (
    CHILD_TASK_ID,
    CHILD_TASK_NAME,
    DURATION_MS,
    PARENT_TASK_ID,
    QUEUE_WAIT_MS,
    REQUEST_ID,
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
    TASK_UNKNOWN,
)
from oxlog.cli.reading import Record
from oxlog.cli.times import timestamp_key

ROOT = ""
FINAL_STATES = {
    TASK_SUCCEEDED: "succeeded",
    TASK_FAILED: "failed",
    TASK_RETRYING: "retrying",
    TASK_REVOKED: "revoked",
    TASK_REJECTED: "rejected",
    TASK_UNKNOWN: "unknown",
}
_BEAT = re.compile(r"^Scheduler: Sending due task (?P<entry>.+?) \((?P<task>[^()]+)\)$")


@dataclass
class Line:
    """One record of a node, with its position in the input."""

    seq: int
    record: Record

    def sort_key(self) -> tuple[int, str, int]:
        """Order by attempt, then timestamp, then input order."""
        retries = self.record.get("retries")
        attempt = retries if isinstance(retries, int) else 0
        return attempt, timestamp_key(self.record["timestamp"]), self.seq


@dataclass
class Attempt:
    """One run of a task: the first, or one after a retry (same task id, ``retries`` + 1)."""

    number: int
    enqueued_at: str | None = None
    received_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    queue_wait_ms: float | None = None
    duration_ms: float | None = None
    state: str | None = None

    def current_state(self) -> str:
        """Return the furthest state this attempt reached."""
        if self.state:
            return self.state
        if self.started_at:
            return "started"
        if self.received_at:
            return "received"
        return "enqueued"


@dataclass
class Node:
    """A unit of work: the workflow's root, or one task."""

    kind: str
    id: str
    name: str = "?"
    state: str = "-"
    queue: str | None = None
    code: int | None = None
    marked: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    attempts: dict[int, Attempt] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    publisher: str | None = None
    declared_parent: str | None = None
    enqueue_seq: int | None = None

    def attempt(self, number: int) -> Attempt:
        """Return attempt ``number``, creating it."""
        if number not in self.attempts:
            self.attempts[number] = Attempt(number)
        return self.attempts[number]

    def last_attempt(self) -> Attempt | None:
        """Return the latest attempt, if any."""
        return self.attempts[max(self.attempts)] if self.attempts else None

    def first_line_key(self) -> tuple[int, str, int]:
        """Return the sort key of the node's earliest line, for ordering orphans."""
        keys = [line.sort_key() for line in self.lines]
        return min(keys) if keys else (0, "", 0)


@dataclass
class Workflow:
    """A traced workflow: the key it was found by and its tree."""

    key_field: str
    key: str
    root: Node
    tasks: dict[str, Node]


def build_workflow(
    lines: Iterable[tuple[int, Record]], key_field: str, key: str, marked: Iterable[str] = ()
) -> Workflow:
    """Build the tree of one workflow from its records (any order, any number of hosts)."""
    builder = _Builder(key_field, key)
    for seq, record in lines:
        builder.add(seq, record)
    return builder.finish(set(marked))


class _Builder:
    """Accumulate records into nodes, then link and order them."""

    def __init__(self, key_field: str, key: str) -> None:
        """Start with a root of unknown kind named after the workflow key."""
        self.key_field = key_field
        self.key = key
        self.root = Node(kind="workflow", id=key, name=key)
        self.tasks: dict[str, Node] = {}

    def task(self, task_id: str) -> Node:
        """Return the node for ``task_id``, creating it."""
        if task_id not in self.tasks:
            self.tasks[task_id] = Node(kind="task", id=task_id, state="enqueued")
        return self.tasks[task_id]

    def add(self, seq: int, record: Record) -> None:
        """File one record under its node and apply what it says."""
        task_id = _text(record.get(TASK_ID))
        owner = self.task(task_id) if task_id else self.root
        owner.lines.append(Line(seq, record))
        if record["message"] == TASK_ENQUEUED:
            self._enqueued(seq, record, task_id)
        if task_id:
            self._task_line(owner, record)
        else:
            _root_line(self.root, record)

    def _enqueued(self, seq: int, record: Record, publisher: str | None) -> None:
        """Apply a ``task_enqueued`` line to the child it announces."""
        child_id = _text(record.get(CHILD_TASK_ID))
        if not child_id:
            return
        child = self.task(child_id)
        child.name = _text(record.get(CHILD_TASK_NAME)) or child.name
        child.queue = _text(record.get("queue")) or child.queue
        if publisher == child_id:
            number = _retries(record) + 1
        else:
            number = 0
            if child.enqueue_seq is None:
                child.publisher = publisher or ROOT
                child.enqueue_seq = seq
        attempt = child.attempt(number)
        attempt.enqueued_at = attempt.enqueued_at or record["timestamp"]

    def _task_line(self, node: Node, record: Record) -> None:
        """Apply a line emitted by a task to that task's node."""
        node.name = _text(record.get(TASK_NAME)) or node.name
        node.declared_parent = node.declared_parent or _text(record.get(PARENT_TASK_ID))
        message = record["message"]
        if not message.startswith("task_") or message == TASK_ENQUEUED:
            return
        attempt = node.attempt(_retries(record))
        timestamp = record["timestamp"]
        if message == TASK_RECEIVED:
            attempt.received_at = timestamp
            attempt.queue_wait_ms = attempt.queue_wait_ms or _number(record.get(QUEUE_WAIT_MS))
        elif message == TASK_STARTED:
            attempt.started_at = timestamp
            attempt.queue_wait_ms = _number(record.get(QUEUE_WAIT_MS)) or attempt.queue_wait_ms
        elif message in FINAL_STATES:
            attempt.finished_at = timestamp
            attempt.state = FINAL_STATES[message]
            attempt.duration_ms = _number(record.get(DURATION_MS))

    def finish(self, marked: set[str]) -> Workflow:
        """Link every task to its parent, order lines and children, compute states."""
        for node in [self.root, *self.tasks.values()]:
            node.lines.sort(key=Line.sort_key)
        for task_id, node in list(self.tasks.items()):
            node.marked = task_id in marked
            _summarise(node)
            self._parent_of(node).children.append(node)
        for node in [self.root, *self.tasks.values()]:
            _order_children(node)
        return Workflow(self.key_field, self.key, self.root, self.tasks)

    def _parent_of(self, node: Node) -> Node:
        """Return the node's parent: its publisher, else its declared parent, else the root."""
        parent_id = node.publisher if node.publisher is not None else node.declared_parent
        if not parent_id or parent_id == node.id:
            return self.root
        if parent_id not in self.tasks:
            self.task(parent_id).state = "unknown"
            _summarise(self.tasks[parent_id])
            self.root.children.append(self.tasks[parent_id])
        if self._is_ancestor(node.id, parent_id):
            return self.root
        return self.tasks[parent_id]

    def _is_ancestor(self, task_id: str, start: str) -> bool:
        """Tell whether ``task_id`` is ``start`` or one of its ancestors (a cycle in bad data)."""
        seen: set[str] = set()
        current: str | None = start
        while current and current not in seen:
            if current == task_id:
                return True
            seen.add(current)
            node = self.tasks.get(current)
            if node is None:
                return False
            current = node.publisher if node.publisher is not None else node.declared_parent
        return current == task_id


def _root_line(root: Node, record: Record) -> None:
    """Apply a line without task id to the workflow's root (request, command, beat)."""
    message = record["message"]
    if message.startswith("request_"):
        root.kind, root.id = "request", _text(record.get(REQUEST_ID)) or root.id
        root.name = _text(record.get("request")) or root.name
        _root_event(root, record, message.removeprefix("request_"))
        root.code = record.get("code") if isinstance(record.get("code"), int) else root.code
    elif message.startswith("command_"):
        root.kind, root.name = "command", _text(record.get("command")) or root.name
        _root_event(root, record, message.removeprefix("command_"))
    elif record.get("logger") == "celery.beat" and (match := _BEAT.match(message)):
        root.kind, root.name, root.state = "beat", f"{match['entry']} ({match['task']})", "sent"
        root.started_at = root.started_at or record["timestamp"]


def _root_event(root: Node, record: Record, event: str) -> None:
    """Apply a ``*_started`` / ``*_finished`` / ``*_failed`` event to the root."""
    if event == "started":
        root.started_at = record["timestamp"]
        root.state = root.state if root.finished_at else "started"
    elif event in ("finished", "failed"):
        root.finished_at = record["timestamp"]
        root.state = "succeeded" if event == "finished" else "failed"
        root.duration_ms = _number(record.get(DURATION_MS))


def _summarise(node: Node) -> None:
    """Set a task's state and times from its latest attempt."""
    last = node.last_attempt()
    if last is None:
        return
    node.state = last.current_state()
    node.started_at = last.started_at
    node.finished_at = last.finished_at
    node.duration_ms = last.duration_ms


def _order_children(node: Node) -> None:
    """Order children by their enqueue line's place among the parent's lines, then time."""
    position = {line.seq: index for index, line in enumerate(node.lines)}
    unplaced = len(position)

    def key(child: Node) -> tuple[int, tuple[int, str, int]]:
        index = position.get(child.enqueue_seq, unplaced) if child.enqueue_seq is not None else unplaced
        return index, child.first_line_key()

    node.children.sort(key=key)


def _text(value: Any) -> str | None:
    """Return ``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    """Return ``value`` as a float if it is a number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _retries(record: Record) -> int:
    """Return the record's ``retries`` (0 when absent)."""
    value = record.get("retries")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
