"""Realistic synthetic json.log files for the CLI tests.

The main scenario has two hosts. ``web`` logs the request; ``worker`` runs the tasks and its
clock is 5 s behind, so every task line there is timestamped before the request that caused
it. The workflow is: request -> A -> B -> chord header C1, C2, C3 (C2 retried once) whose
body D is published by C2's second attempt. A beat dispatch starts a second workflow (task
E), a request publishes task F to a queue nobody consumes, and the files hold garbled,
truncated and non-oxlog lines.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from oxlog._schema import WORKFLOW_KEYS

REPO = Path(__file__).resolve().parents[2]
Runner = Callable[..., subprocess.CompletedProcess[str]]

BASE = datetime(2026, 12, 1, 20, 0, 0, tzinfo=timezone.utc)
SKEW = -5.0
CONTEXT = WORKFLOW_KEYS  # the order oxlog writes them in


def stamp(seconds: float) -> str:
    """Return the log timestamp ``seconds`` after the scenario's start."""
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_id(label: str) -> str:
    """Return a stable UUID string for a label, so failures are readable and repeatable."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, label))


def make_cid(label: str) -> str:
    """Return a stable 32-hex correlation id for a label."""
    return uuid.uuid5(uuid.NAMESPACE_DNS, label).hex


@dataclass
class Host:
    """One host's log: records in the order it would write them, with its clock offset."""

    skew: float = 0.0
    process: int = 100
    records: list[dict[str, Any]] = field(default_factory=list)

    def log(
        self, at: float, message: str, context: dict[str, Any], level: str = "info", **extra: Any
    ) -> None:
        """Append a record with keys in the contract's order."""
        record: dict[str, Any] = {
            "timestamp": stamp(at + self.skew),
            "level": level,
            "logger": extra.pop("logger", "oxlog.celery"),
            "message": message,
            "process": self.process,
        }
        record.update({key: context[key] for key in CONTEXT if context.get(key) is not None})
        record.update(service="shop", env="test")
        record.update(extra)
        self.records.append(record)

    def lines(self) -> list[str]:
        """Return the host's lines, compact JSON as oxlog writes them."""
        ordered = sorted(self.records, key=lambda record: record["timestamp"])
        return [json.dumps(record, separators=(",", ":")) for record in ordered]


@dataclass
class Scenario:
    """The ids of the main scenario and where its files are."""

    web: Path
    worker: Path
    cid: str
    beat_cid: str
    lost_cid: str
    ids: dict[str, str]
    durations: dict[str, list[float]]
    waits: dict[str, list[float]]


def task_context(
    cid: str, name: str, task_id: str, parent: str | None, root: str, retries: int = 0
) -> dict[str, Any]:
    """Return the context keys a task's lines carry."""
    return {
        "correlation_id": cid,
        "task_id": task_id,
        "task_name": name,
        "parent_task_id": parent,
        "root_task_id": root,
        "retries": retries or None,
    }


def run_task(
    host: Host, at: float, ctx: dict[str, Any], wait: float, took: float, outcome: str = "task_succeeded"
) -> float:
    """Log received, started and the outcome of one attempt; return when it ended."""
    host.log(at, "task_received", ctx, queue_wait_ms=wait * 0.8)
    host.log(at + 0.001, "task_started", ctx, queue_wait_ms=wait)
    end = at + 0.001 + took / 1000
    if outcome == "task_retrying":
        host.log(end, outcome, ctx, level="warning", reason="ConnectionError('reset')", countdown=1)
    elif outcome == "task_failed":
        host.log(
            end,
            outcome,
            ctx,
            level="error",
            duration_ms=took,
            error="ValueError: boom",
            exception="Traceback...\nValueError: boom",
        )
    else:
        host.log(end, outcome, ctx, duration_ms=took)
    return end


def enqueue(
    host: Host, at: float, ctx: dict[str, Any], child: str, name: str, queue: str = "celery", **extra: Any
) -> None:
    """Log a ``task_enqueued`` line in the publisher's context."""
    fields = {
        "child_task_id": child,
        "child_task_name": name,
        "queue": queue,
        "args": "(42,)",
        "kwargs": "{}",
        **extra,
    }
    host.log(at, "task_enqueued", ctx, **fields)


def build_main(
    web: Host, worker: Host
) -> tuple[str, dict[str, str], dict[str, list[float]], dict[str, list[float]]]:
    """Log request -> A -> B -> C1..C3 (C2 retried) -> D; return cid, ids, durations, waits."""
    cid = make_cid("main")
    ids = {name: make_id(name) for name in ("A", "B", "C1", "C2", "C3", "D")}
    names = {key: f"shop.tasks.{key.lower()}" for key in ids}
    root = ids["A"]
    request = {"correlation_id": cid, "request_id": make_id("request")}
    web.log(
        0.0,
        "request_started",
        request,
        logger="django_structlog.middlewares.request",
        request="POST /orders/",
        ip="127.0.0.1",
        user_id=7,
    )
    enqueue(web, 0.010, request, ids["A"], names["A"])
    web.log(
        0.020,
        "request_finished",
        request,
        logger="django_structlog.middlewares.request",
        request="POST /orders/",
        code=201,
        duration_ms=20.0,
    )
    a = task_context(cid, names["A"], ids["A"], None, root)
    worker.log(0.030, "charging card", a, logger="shop.payments", amount=12.5)
    enqueue(worker, 0.040, a, ids["B"], names["B"])
    run_task(worker, 0.021, a, wait=11.0, took=30.0)
    b = task_context(cid, names["B"], ids["B"], ids["A"], root)
    run_task(worker, 0.060, b, wait=15.0, took=40.0)
    for index, key in enumerate(("C1", "C2", "C3")):
        enqueue(worker, 0.070 + index / 1000, b, ids[key], names[key], queue="chords")
    c1 = task_context(cid, names["C1"], ids["C1"], ids["B"], root)
    run_task(worker, 0.110, c1, wait=30.0, took=10.0)
    c2 = task_context(cid, names["C2"], ids["C2"], ids["B"], root)
    run_task(worker, 0.120, c2, wait=40.0, took=5.0, outcome="task_retrying")
    enqueue(worker, 0.126, c2, ids["C2"], names["C2"], queue="chords", countdown=1)
    c3 = task_context(cid, names["C3"], ids["C3"], ids["B"], root)
    run_task(worker, 0.130, c3, wait=50.0, took=20.0)
    c2_again = task_context(cid, names["C2"], ids["C2"], ids["B"], root, retries=1)
    run_task(worker, 1.200, c2_again, wait=60.0, took=15.0)
    enqueue(worker, 1.210, c2_again, ids["D"], names["D"])
    d = task_context(cid, names["D"], ids["D"], ids["B"], root)
    run_task(worker, 1.250, d, wait=25.0, took=100.0, outcome="task_failed")
    durations = {
        names["A"]: [30.0],
        names["B"]: [40.0],
        names["C1"]: [10.0],
        names["C2"]: [15.0],
        names["C3"]: [20.0],
        names["D"]: [100.0],
    }
    waits = {
        names["A"]: [11.0],
        names["B"]: [15.0],
        names["C1"]: [30.0],
        names["C2"]: [40.0, 60.0],
        names["C3"]: [50.0],
        names["D"]: [25.0],
    }
    return cid, ids, durations, waits


def build_beat(web: Host, worker: Host, ids: dict[str, str]) -> str:
    """Log a beat dispatch of task E and E's run; return its correlation id."""
    cid = make_cid("beat")
    ids["E"] = make_id("E")
    beat = {"correlation_id": cid}
    web.log(2.0, "Scheduler: Sending due task nightly-report (shop.tasks.report)", beat, logger="celery.beat")
    enqueue(web, 2.001, beat, ids["E"], "shop.tasks.report")
    run_task(
        worker, 2.010, task_context(cid, "shop.tasks.report", ids["E"], None, ids["E"]), wait=9.0, took=12.0
    )
    return cid


def build_lost(web: Host, ids: dict[str, str]) -> str:
    """Log a request publishing task F to a queue nobody consumes; return its correlation id."""
    cid = make_cid("lost")
    ids["F"] = make_id("F")
    request = {"correlation_id": cid, "request_id": make_id("lost-request")}
    web.log(
        3.0,
        "request_started",
        request,
        logger="django_structlog.middlewares.request",
        request="GET /export/",
        ip="10.0.0.1",
    )
    enqueue(web, 3.001, request, ids["F"], "shop.tasks.export", queue="nobody", args="('[REDACTED]',)")
    web.log(
        3.002,
        "request_finished",
        request,
        logger="django_structlog.middlewares.request",
        request="GET /export/",
        code=202,
        duration_ms=2.0,
    )
    return cid


GARBAGE = [
    "this is not json at all",
    '{"timestamp":"2026-12-01T20:00:00.500000Z","level":"info","mess',
    '{"foo": 1, "bar": "not an oxlog record"}',
    "[1, 2, 3]",
]


def write_scenario(directory: Path) -> Scenario:
    """Write the two hosts' files (garbage appended to the worker's) and describe them."""
    web, worker = Host(process=101), Host(skew=SKEW, process=202)
    cid, ids, durations, waits = build_main(web, worker)
    beat_cid = build_beat(web, worker, ids)
    lost_cid = build_lost(web, ids)
    directory.mkdir(parents=True, exist_ok=True)
    web_path, worker_path = directory / "web.log", directory / "worker.log"
    web_path.write_text("\n".join(web.lines()) + "\n")
    worker_lines = worker.lines()
    worker_lines[3:3] = GARBAGE[:2]
    worker_lines.extend(GARBAGE[2:])
    worker_path.write_text("\n".join(worker_lines) + "\n")
    durations["shop.tasks.report"], waits["shop.tasks.report"] = [12.0], [9.0]
    return Scenario(web_path, worker_path, cid, beat_cid, lost_cid, ids, durations, waits)
