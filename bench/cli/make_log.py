"""Write a realistic json.log of about N MB with thousands of interleaved workflows.

Usage: ``python bench/cli/make_log.py OUT.log --size-mb 200``. Besides the log it writes
``OUT.log.ids.json`` naming one workflow in the middle of the file (its correlation id and
one of its task ids) for the benchmark to trace.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from oxlog._schema import WORKFLOW_KEYS

START = datetime(2026, 12, 1, 0, 0, 0, tzinfo=timezone.utc)
TASKS = [
    f"shop.tasks.{name}"
    for name in ("place_order", "charge", "email", "invoice", "stock", "report", "sync", "thumb")
]
QUEUES = ("celery", "mail", "chords", "default")
WORDS = (
    "charging card",
    "loading cart",
    "stock reserved",
    "rendering template",
    "calling provider",
    "cache miss",
)
CONTEXT = WORKFLOW_KEYS  # the order oxlog writes them in
TRACEBACK = 'Traceback (most recent call last):\n  File "shop/tasks.py", line 12\nValueError: card declined'
DUMPS = json.JSONEncoder(separators=(",", ":")).encode


class Workflow:
    """Generate one workflow's records: a root (request, command or beat) and a task tree."""

    def __init__(self, rng: random.Random, start: float) -> None:
        """Pick the workflow's shape."""
        self.rng = rng
        self.start = start
        self.cid = uuid.UUID(int=rng.getrandbits(128)).hex
        self.records: list[tuple[float, dict[str, Any]]] = []
        self.task_ids: list[str] = []

    def log(
        self,
        at: float,
        message: str,
        context: dict[str, Any],
        level: str = "info",
        logger: str = "oxlog.celery",
        **extra: Any,
    ) -> None:
        """Add one record with keys in the contract's order."""
        record: dict[str, Any] = {
            "timestamp": at,
            "level": level,
            "logger": logger,
            "message": message,
            "process": 100 + self.rng.randrange(8),
        }
        record.update({key: context[key] for key in CONTEXT if context.get(key)})
        record.update(service="shop", env="bench", **extra)
        self.records.append((at, record))

    def build(self) -> Workflow:
        """Log a root and its tasks."""
        kind = self.rng.random()
        at = self.start
        if kind < 0.75:
            ctx = {"correlation_id": self.cid, "request_id": str(uuid.UUID(int=self.rng.getrandbits(128)))}
            self.log(
                at,
                "request_started",
                ctx,
                logger="django_structlog.middlewares.request",
                request="POST /orders/?page=2",
                ip="10.1.2.3",
                user_id=self.rng.randrange(10000),
            )
            for offset in range(self.rng.randrange(6)):
                self.log(
                    at + 0.001 * offset,
                    "SELECT ... FROM shop_order WHERE id = %s",
                    ctx,
                    level="debug",
                    logger="django.db.backends",
                    duration=0.0012,
                )
        elif kind < 0.9:
            ctx = {"correlation_id": self.cid}
            self.log(at, "Scheduler: Sending due task nightly (shop.tasks.report)", ctx, logger="celery.beat")
        else:
            ctx = {"correlation_id": self.cid}
            self.log(at, "command_started", ctx, logger="oxlog.django", command="rebuild_index")
        for _ in range(1 + self.rng.randrange(3)):
            at = self.task(ctx, None, None, at + 0.005, depth=0)
        if kind < 0.75:
            self.log(
                at,
                "request_finished",
                ctx,
                logger="django_structlog.middlewares.request",
                request="POST /orders/?page=2",
                code=200,
                duration_ms=round((at - self.start) * 1000, 3),
            )
        elif kind >= 0.9:
            self.log(
                at, "command_finished", ctx, logger="oxlog.django", command="rebuild_index", duration_ms=12.5
            )
        return self

    def task(
        self, publisher: dict[str, Any], parent: str | None, root: str | None, at: float, depth: int
    ) -> float:
        """Enqueue and run one task (with children, a retry or a failure now and then)."""
        rng = self.rng
        task_id = str(uuid.UUID(int=rng.getrandbits(128)))
        self.task_ids.append(task_id)
        name = rng.choice(TASKS)
        queue = rng.choice(QUEUES)
        self.log(
            at,
            "task_enqueued",
            publisher,
            child_task_id=task_id,
            child_task_name=name,
            queue=queue,
            args="(42, '[REDACTED]')",
            kwargs="{'notify': True}",
        )
        if rng.random() < 0.001:
            return at
        ctx = {
            "correlation_id": self.cid,
            "task_id": task_id,
            "task_name": name,
            "parent_task_id": parent,
            "root_task_id": root or task_id,
        }
        started = at + rng.expovariate(1 / 0.05)
        for attempt in range(3):
            ctx["retries"] = attempt
            wait = round((started - at) * 1000, 3)
            self.log(started, "task_received", ctx, queue_wait_ms=wait)
            self.log(started + 0.0005, "task_started", ctx, queue_wait_ms=wait)
            now = started + 0.001
            for _ in range(rng.randrange(4)):
                now += rng.expovariate(1 / 0.01)
                self.log(
                    now,
                    rng.choice(WORDS),
                    ctx,
                    logger="shop.tasks",
                    order_id=rng.randrange(10**6),
                    amount=12.5,
                )
            if depth < 2 and rng.random() < 0.3:
                now = self.task(ctx, task_id, root or task_id, now + 0.001, depth + 1)
            duration = round((now - started) * 1000 + rng.expovariate(1 / 30), 3)
            roll = rng.random()
            if roll < 0.05 and attempt < 2:
                self.log(
                    now,
                    "task_retrying",
                    ctx,
                    level="warning",
                    reason="ConnectionError('reset by peer')",
                    countdown=1,
                )
                self.log(
                    now,
                    "task_enqueued",
                    ctx,
                    child_task_id=task_id,
                    child_task_name=name,
                    queue=queue,
                    args="(42,)",
                    kwargs="{}",
                    countdown=1,
                )
                at, started = now, now + 1 + rng.random() * 0.1
                continue
            if roll < 0.08:
                self.log(
                    now,
                    "task_failed",
                    ctx,
                    level="error",
                    duration_ms=duration,
                    error="ValueError: card declined",
                    exception=TRACEBACK,
                )
            else:
                self.log(now, "task_succeeded", ctx, duration_ms=duration)
            return now
        return now


def stamp(seconds: float) -> str:
    """Return the ISO timestamp ``seconds`` after START."""
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def batches(rng: random.Random, size: int = 200) -> Iterator[list[Workflow]]:
    """Yield batches of overlapping workflows, one batch after the other in time."""
    clock = 0.0
    while True:
        batch = [Workflow(rng, clock + rng.random() * 2).build() for _ in range(size)]
        clock += 5.0
        yield batch


def write(path: Path, size_mb: float, seed: int = 1) -> dict[str, str]:
    """Write about ``size_mb`` MB to ``path``; return ids of a workflow in the middle."""
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    written, ids = 0, {}
    with path.open("w", encoding="utf-8") as out:
        for batch in batches(rng):
            records = sorted((rec for wf in batch for rec in wf.records), key=lambda item: item[0])
            text = "".join(DUMPS({**rec, "timestamp": stamp(at)}) + "\n" for at, rec in records)
            out.write(text)
            written += len(text)
            if not ids and written >= target / 2:
                middle = max(batch, key=lambda wf: len(wf.task_ids))
                ids = {"correlation_id": middle.cid, "task_id": middle.task_ids[-1]}
            if written >= target:
                return ids


def main() -> None:
    """Parse arguments and write the log and its ids file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ids = write(args.out, args.size_mb, args.seed)
    Path(f"{args.out}.ids.json").write_text(json.dumps(ids) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.0f} MB); trace ids: {ids}")


if __name__ == "__main__":
    main()
