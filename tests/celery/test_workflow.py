"""A web request fans out into nested tasks on real workers; json.log rebuilds the workflow.

The scenario (per broker): a request with a ``Correlation-ID`` header → the view
publishes task A → A publishes B and a chord of C1..C3 whose callback is D; C2
fails once and retries.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BROKERS, Workers, make_broker, python_runner
from tests.logfmt import decode

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
TASKS = "tests.project.shop.tasks."

START = f"""
import django
django.setup()
from django.test import Client
response = Client().get("/start/", HTTP_CORRELATION_ID="{CID}")
assert response.status_code == 200, response.status_code
print(response.content.decode())
"""

pytestmark = pytest.mark.slow


def _by_task(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if "task_id" in record:
            tasks[record["task_id"]].append(record)
    return tasks


@pytest.fixture(scope="module", params=BROKERS)
def workflow(request: Any, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """The scenario run once per broker, on a prefork worker with 2 children."""
    tmp = tmp_path_factory.mktemp(request.param)
    broker = make_broker(request.param, tmp)
    workers = Workers(tmp, tmp / "logs")
    try:
        workers.start(broker, pool="prefork", concurrency=2)
        a_id = python_runner(tmp)(START, env=broker.env).stdout.strip()
        workers.wait_for(lambda r: r["message"] == "task_succeeded"
                         and r.get("task_name") == TASKS + "task_d", timeout=40)
    finally:
        workers.stop()
    records = workers.records()
    yield {"a": a_id, "records": records, "tasks": _by_task(records), "workers": workers,
           "broker": broker}


def test_every_line_of_the_workflow_carries_the_requests_correlation_id(workflow: Any) -> None:
    """Request lines and every line of every task carry the request's correlation ID."""
    ours = [r for r in workflow["records"] if r.get("correlation_id") == CID]
    task_ids = {r["task_id"] for r in ours if "task_id" in r}
    assert len(task_ids) >= 6  # A, B, C1..C3, D (and chord_unlock without native chords)
    for task_id in task_ids:
        for line in workflow["tasks"][task_id]:
            assert line.get("correlation_id") == CID, line
    assert {"request_started", "starting_workflow", "request_finished"} <= {r["message"] for r in ours}


def test_parent_and_root_ids_rebuild_the_published_tree(workflow: Any) -> None:
    """Each task's parent is the task whose line published it; every root is A."""
    tasks, a_id = workflow["tasks"], workflow["a"]
    enqueued = [r for r in workflow["records"] if r["message"] == "task_enqueued"
                and r.get("correlation_id") == CID]
    # A retry re-publishes the task itself: the tree is what the first publish said.
    publisher = {r["child_task_id"]: r.get("task_id") for r in enqueued
                 if r["child_task_id"] != r.get("task_id")}
    names = {tid: lines[0]["task_name"] for tid, lines in tasks.items()}
    for task_id, lines in tasks.items():
        if lines[0].get("correlation_id") != CID:
            continue
        for line in lines:
            assert line.get("root_task_id") == a_id, line
            assert line.get("parent_task_id") == publisher.get(task_id), line
    children_of_a = Counter(names[t] for t, p in publisher.items() if p == a_id and t != a_id)
    assert children_of_a[TASKS + "task_b"] == 1 and children_of_a[TASKS + "task_c"] == 3
    assert publisher[a_id] is None  # published by the request
    (d_id,) = [t for t, n in names.items() if n == TASKS + "task_d"]
    assert names[publisher[d_id]] in {"celery.chord_unlock", TASKS + "task_c"}


def test_one_task_received_per_delivery_and_no_plain_received_line(workflow: Any) -> None:
    """task_received once per delivery (C2 twice: its retry is a new delivery)."""
    received = Counter((r["task_id"], r.get("retries", 0)) for r in workflow["records"]
                       if r["message"] == "task_received")
    assert set(received.values()) == {1}
    started = Counter((r["task_id"], r.get("retries", 0)) for r in workflow["records"]
                      if r["message"] == "task_started")
    assert set(received) == set(started)
    assert not [r for r in workflow["records"] if r["logger"] == "celery.worker.strategy"]
    for record in workflow["records"]:
        if record["message"] == "task_received":
            assert record["correlation_id"] == CID and record["queue_wait_ms"] >= 0


def test_retry_keeps_its_parent_and_correlation_id(workflow: Any) -> None:
    """C2's second run has retries=1, the same task ID, A as parent and the request's ID."""
    tasks, a_id = workflow["tasks"], workflow["a"]
    (c2,) = [t for t, lines in tasks.items()
             if any(r["message"] == "task_retrying" for r in lines)]
    retried = [r for r in tasks[c2] if r.get("retries") == 1]
    assert {r["message"] for r in retried} >= {"task_received", "task_started", "c_running",
                                                "task_succeeded"}
    assert {(r["parent_task_id"], r["correlation_id"]) for r in retried} == {(a_id, CID)}
    retrying = next(r for r in tasks[c2] if r["message"] == "task_retrying")
    assert retrying["reason"] == "ValueError: flaky on purpose" and retrying["countdown"] == 0.3


def test_celerys_own_and_task_logger_lines_carry_the_context(workflow: Any) -> None:
    """stdlib and get_task_logger lines inside B carry B's task ID and name."""
    (b_id,) = [t for t, lines in workflow["tasks"].items()
               if lines[0]["task_name"] == TASKS + "task_b"]
    messages = {r["message"] for r in workflow["tasks"][b_id]}
    assert {"b stdlib line 1", "b task-logger line"} <= messages
    for record in workflow["tasks"][b_id]:
        assert record["task_name"] == TASKS + "task_b" and record["parent_task_id"] == workflow["a"]


def test_flat_line_log_carries_the_same_context(workflow: Any) -> None:
    """flat_line.log has the same lines with the same context values."""
    log_dir = workflow["workers"].log_dir
    flat = [decode(line) for line in (log_dir / "flat_line.log").read_text().splitlines()]
    assert len(flat) == len(workflow["records"])
    keys = ("correlation_id", "task_id", "task_name", "parent_task_id", "root_task_id")
    as_json = sorted((r["timestamp"], tuple(str(r.get(k)) for k in keys)) for r in workflow["records"])
    as_flat = sorted((r["timestamp"], tuple(str(r.get(k)) for k in keys)) for r in flat)
    assert as_json == as_flat
