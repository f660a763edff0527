"""Turning a workflow tree into text (a drawn tree) or into JSON-ready dicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from oxlog._schema import DURATION_MS, HEAD_KEYS, QUEUE_WAIT_MS, STATIC_KEYS, WORKFLOW_KEYS
from oxlog.cli.style import Style
from oxlog.cli.times import clock
from oxlog.cli.workflow import Attempt, Line, Node, Workflow

CONTEXT_KEYS = frozenset((*HEAD_KEYS, *WORKFLOW_KEYS, *STATIC_KEYS))


def tree_lines(workflow: Workflow, style: Style, with_lines: bool = True) -> Iterator[str]:
    """Yield the text lines of the drawn tree, depth first, without recursion."""
    stack: list[tuple[Node, str, str]] = [(workflow.root, "", "")]
    while stack:
        node, first, rest = stack.pop()
        body = rest + ("│  " if node.children else "   ")
        yield first + header(node, style, workflow)
        yield body + style(details(node), "dim")
        if with_lines:
            for line in node.lines:
                yield from (body + "  " + text for text in format_line(line, style))
        for index, child in reversed(list(enumerate(node.children))):
            last = index == len(node.children) - 1
            stack.append((child, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  ")))


def header(node: Node, style: Style, workflow: Workflow) -> str:
    """Return a node's title: kind or task name, state, id, and a mark if it was asked for."""
    if node.kind == "task":
        title = f"{style(node.name, 'bold')}  {style.state(node.state)}  {node.id}"
    else:
        title = f"{style(node.kind, 'bold')} {node.name}  {style.state(node.state)}"
        title += f"  {workflow.key_field}={workflow.key}"
    if node.code is not None:
        title += f"  code={node.code}"
    if node.marked:
        title += "  " + style("◀ asked", "bold", "yellow")
    return title


def details(node: Node) -> str:
    """Return a node's times, queue wait, duration and retries on one line."""
    last = node.last_attempt()
    first = node.attempts.get(0)
    parts = []
    if node.kind == "task":
        parts.append(f"enqueued {clock(first.enqueued_at if first else None)}")
        parts.append(f"received {clock(last.received_at if last else None)}")
    parts.append(f"started {clock(node.started_at)}")
    parts.append(f"finished {clock(node.finished_at)}")
    if node.kind == "task":
        parts.append(f"wait {_ms(last.queue_wait_ms if last else None)}")
    parts.append(f"took {_ms(node.duration_ms)}")
    if node.kind == "task":
        parts.append(f"retries {max(node.attempts, default=0)}")
        parts.append(f"queue {node.queue or '-'}")
    return "  ".join(parts)


def format_line(line: Line, style: Style) -> list[str]:
    """Return one log line as text: time, level, message, its own keys; a traceback's last line."""
    record = line.record
    extras = [f"{key}={_value(value)}" for key, value in record.items() if key not in CONTEXT_KEYS]
    extras = [text for text in extras if not text.startswith("exception=")]
    text = f"{clock(record['timestamp'])} {style.level(str(record.get('level', '')))} "
    text += " ".join([record["message"], *extras])
    out = [text]
    exception = record.get("exception")
    if isinstance(exception, str) and exception.strip():
        out.append(style("  ↳ " + exception.strip().splitlines()[-1], "red"))
    return out


def _value(value: Any) -> str:
    """Return a key's value compactly: plain when simple, JSON otherwise."""
    if isinstance(value, str) and value and not any(char in value for char in ' "=\n'):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _ms(value: float | None) -> str:
    """Return milliseconds as text, or ``-``."""
    return "-" if value is None else f"{value:.1f}ms"


def workflow_dict(workflow: Workflow, asked: str, with_lines: bool = True) -> dict[str, Any]:
    """Return the whole tree as plain data for ``--json``."""
    return {
        "asked": asked,
        "key_field": workflow.key_field,
        "key": workflow.key,
        "root": node_dict(workflow.root, with_lines),
    }


def node_dict(root: Node, with_lines: bool) -> dict[str, Any]:
    """Return a node and its subtree as plain data, without recursion."""
    out = _node_fields(root, with_lines)
    stack = [(root, out)]
    while stack:
        node, data = stack.pop()
        for child in node.children:
            child_data = _node_fields(child, with_lines)
            data["children"].append(child_data)
            stack.append((child, child_data))
    return out


def _node_fields(node: Node, with_lines: bool) -> dict[str, Any]:
    """Return one node's own fields (children list left empty)."""
    last = node.last_attempt()
    first = node.attempts.get(0)
    data: dict[str, Any] = {
        "kind": node.kind,
        "id": node.id,
        "name": node.name,
        "state": node.state,
        "marked": node.marked,
        "queue": node.queue,
        "code": node.code,
        "enqueued_at": first.enqueued_at if first else None,
        "received_at": last.received_at if last else None,
        "started_at": node.started_at,
        "finished_at": node.finished_at,
        QUEUE_WAIT_MS: last.queue_wait_ms if last else None,
        DURATION_MS: node.duration_ms,
        "retries": max(node.attempts, default=0),
        "attempts": [_attempt_dict(node.attempts[n]) for n in sorted(node.attempts)],
    }
    if with_lines:
        data["lines"] = [line.record for line in node.lines]
    data["children"] = []
    return data


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    """Return one attempt as plain data."""
    return {
        "number": attempt.number,
        "state": attempt.current_state(),
        "enqueued_at": attempt.enqueued_at,
        "received_at": attempt.received_at,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        QUEUE_WAIT_MS: attempt.queue_wait_ms,
        DURATION_MS: attempt.duration_ms,
    }
