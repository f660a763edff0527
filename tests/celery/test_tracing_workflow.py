"""Trace IDs across a real workflow: the OpenTelemetry SDK in the web process and in a
prefork worker's children on Redis, every process's spans written to one file.

Scenario 1 (traced): a request → task A → B and a chord of C1..C3 (C2 retries) → D, with
opentelemetry-instrumentation-django in the web process and -celery in the worker's
children. Every line's ``trace_id`` and ``span_id`` are those of a span that was current
in that process when the line was written, and the request's trace ID is its correlation
ID (no ID was sent).

Scenario 2 (no tracer in the publisher): a request with a ``Correlation-ID`` publishes a
task; the message's ``traceparent`` (oxlog's) makes the traced worker join the trace
whose ID is the correlation ID.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workers, make_broker, python_runner, read_logfmt

TASKS = "tests.project.shop.tasks."
CID = "0af7651916cd43dd8448eb211c80319c"

TRACED_START = """
import os
from tests.project.otel import setup
setup(os.environ["SHOP_OTEL_SPANS"], django=True)
import django
django.setup()
from django.test import Client
response = Client().get("/start/")
assert response.status_code == 200, response.status_code
"""

UNTRACED_START = f"""
import django
django.setup()
from django.test import Client
response = Client().get("/start/", HTTP_CORRELATION_ID="{CID}")
assert response.status_code == 200, response.status_code
"""

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def _spans(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    spans = {}
    for line in path.read_text().splitlines():
        span = json.loads(line)
        spans[(span["trace_id"], span["span_id"])] = span
    return spans


def _ns(timestamp: str) -> int:
    when = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def _run(tmp: Path, start: str) -> dict[str, Any]:
    broker = make_broker("redis", tmp)
    spans_file = tmp / "spans.jsonl"
    env = {"SHOP_OTEL_SPANS": str(spans_file)}
    workers = Workers(tmp, tmp / "logs")
    try:
        workers.start(broker, pool="prefork", concurrency=2, env=env)
        python_runner(tmp)(start, env={**broker.env, **env})
        workers.wait_for(lambda r: r["message"] == "task_succeeded"
                         and r.get("task_name") == TASKS + "task_d", timeout=60)
    finally:
        workers.stop()
    return {"records": workers.records(), "flat": read_logfmt(tmp / "logs" / "flat_line.log"),
            "spans": _spans(spans_file)}


@pytest.fixture(scope="module")
def traced(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield _run(tmp_path_factory.mktemp("traced"), TRACED_START)


@pytest.fixture(scope="module")
def untraced_publisher(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield _run(tmp_path_factory.mktemp("untraced"), UNTRACED_START)


def _assert_ids_are_the_current_spans(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line with trace IDs names a span of its own process that was open when it was
    written; json.log and flat_line.log agree. Returns the lines with trace IDs."""
    spans, traced = run["spans"], [r for r in run["records"] if "trace_id" in r]
    assert traced
    for record in traced:
        span = spans.get((record["trace_id"], record["span_id"]))
        assert span is not None, record
        assert span["pid"] == record["process"], (record, span)
        assert span["start_ns"] - 1000 <= _ns(record["timestamp"]) <= span["end_ns"], (record, span)
        assert record["trace_sampled"] is span["sampled"] is True
    key = ("message", "task_id", "trace_id", "span_id", "trace_sampled")
    in_json = sorted(tuple(str(r.get(k)).lower() for k in key) for r in traced)
    in_flat = sorted(tuple(str(r.get(k)).lower() for k in key) for r in run["flat"] if "trace_id" in r)
    assert in_json == in_flat
    return traced


def test_every_line_of_a_traced_workflow_carries_the_span_current_when_it_was_written(
        traced: dict[str, Any]) -> None:
    records, spans = traced["records"], traced["spans"]
    lines = _assert_ids_are_the_current_spans(traced)
    request = next(r for r in records if r["message"] == "starting_workflow")
    web_pid, cid = request["process"], request["correlation_id"]
    workflow = [r for r in records if r.get("correlation_id") == cid]
    # the web process: every line of the request is inside the request's server span
    web = [r for r in workflow if r["process"] == web_pid]
    assert {"request_started", "starting_workflow", "task_enqueued", "request_finished"} <= {
        r["message"] for r in web}
    assert all("trace_id" in r for r in web)
    server = spans[(request["trace_id"], request["span_id"])]
    assert server["kind"] == "SERVER"
    # the worker's children: every line of a task, structlog's, logging's and Celery's task
    # logger's, task_started and task_succeeded too, carries its run span (task_enqueued: the
    # publish span, or the run span around it)
    main_pids = {r["process"] for r in workflow if r["message"] == "task_received"}
    in_children = [r for r in workflow if "task_id" in r and r["process"] not in main_pids]
    messages = {r["message"] for r in in_children}
    assert {"task_started", "a_running", "b stdlib line 1", "b task-logger line", "c_running",
            "d_running", "task_retrying", "task_succeeded", "task_enqueued"} <= messages
    for record in in_children:
        assert "trace_id" in record, record
        span = spans[(record["trace_id"], record["span_id"])]
        if record["message"] != "task_enqueued":
            assert span["name"] == "run/" + record["task_name"], (record, span)
    # one trace for the whole workflow: the request's, whose ID is the correlation ID too
    assert {r["trace_id"] for r in workflow if "trace_id" in r} == {request["trace_id"]} == {cid}
    assert not [r for r in lines if r.get("correlation_id") not in (cid, None)]


def test_without_a_tracer_in_the_publisher_the_worker_joins_the_correlation_ids_trace(
        untraced_publisher: dict[str, Any]) -> None:
    records = untraced_publisher["records"]
    lines = _assert_ids_are_the_current_spans(untraced_publisher)
    web = [r for r in records if r.get("message") == "starting_workflow"]
    assert web and all("trace_id" not in r for r in web)  # no tracer there: nothing added
    assert {r["trace_id"] for r in lines} == {CID}
    assert {r["correlation_id"] for r in lines} == {CID}
    run_spans = [s for s in untraced_publisher["spans"].values() if s["name"].startswith("run/")]
    assert len(run_spans) >= 6 and {s["trace_id"] for s in run_spans} == {CID}
