"""Task events and context on real worker processes (embedded broker): pools, beat, failures."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

pytestmark = pytest.mark.slow
TASKS = "tests.project.shop.tasks."

PUBLISH_50 = """
import django
django.setup()
import oxlog
from tests.project.shop.tasks import numbered
for i in range(50):
    with oxlog.bound(correlation_id=oxlog.new_correlation_id()):
        numbered.delay(i)
"""


@pytest.mark.parametrize("pool", ["solo", "prefork", "threads"])
def test_fifty_tasks_never_carry_another_tasks_ids(pool: str, embedded_broker: Any, workers: Any,
                                                   run_python: Any) -> None:
    """Each task's lines carry its own task ID and the correlation ID it was published with."""
    workers.start(embedded_broker, pool=pool, concurrency=2)
    run_python(PUBLISH_50, env=embedded_broker.env)
    workers.wait_for(lambda r: r["message"] == "task_succeeded", count=50, timeout=60)
    records = workers.records()
    published = {r["child_task_id"]: (r["correlation_id"], r["args"]) for r in records
                 if r["message"] == "task_enqueued"}
    assert len(published) == 50 and len({cid for cid, _ in published.values()}) == 50
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if "task_id" in record:
            lines[record["task_id"]].append(record)
    assert set(lines) == set(published)
    for task_id, task_lines in lines.items():
        cid, args = published[task_id]
        assert {r["correlation_id"] for r in task_lines} == {cid}
        assert {r["task_name"] for r in task_lines} == {TASKS + "numbered"}
        ran = [r for r in task_lines if r["message"] == "numbered_ran"]
        assert len(ran) == 1 and f"({ran[0]['i']},)" == args
        stdlib = [r for r in task_lines if r["message"].startswith("numbered stdlib")]
        assert stdlib == [] or stdlib[0]["message"] == f"numbered stdlib {ran[0]['i']}"
    worker_pids = {r["process"] for r in records if r["message"] in ("task_received", "task_started")}
    stale = [r for r in records if r["process"] in worker_pids and "task_id" not in r
             and r.get("correlation_id")]
    assert stale == []  # no worker line outside a task keeps a task's correlation ID
    # Celery logs return values at INFO ("succeeded in …: 7"); oxlog does not, unless told to
    assert not [r for r in records if "result" in r or "succeeded in" in r["message"]]


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_key_a_task_binds_is_gone_for_the_next_task(pool: str, embedded_broker: Any,
                                                      workers: Any, run_python: Any) -> None:
    """structlog keys a task binds and never unbinds stop at its own last line."""
    workers.start(embedded_broker, pool=pool, concurrency=1)
    run_python("""
        import django
        django.setup()
        from tests.project.shop.tasks import leaves_a_key
        for i in range(4):
            leaves_a_key.delay(i)
    """, env=embedded_broker.env)
    workers.wait_for(lambda r: r["message"] == "task_succeeded", count=4, timeout=60)
    records = [r for r in workers.records() if r.get("task_name") == TASKS + "leaves_a_key"]
    ran = [r for r in records if r["message"] == "leaves_a_key_ran"]
    succeeded = [r for r in records if r["message"] == "task_succeeded"]
    assert len(ran) == 4 and all("left_by" not in r for r in ran)
    # The task's own final line still has what it bound; the next task starts clean.
    by_task = {r["task_id"]: r for r in ran}
    assert sorted(r["left_by"] for r in succeeded) == [0, 1, 2, 3]
    assert all(r["left_by"] == by_task[r["task_id"]]["i"] for r in succeeded)
    assert all("left_by" not in r for r in records if r["message"] in ("task_started", "task_received"))


def test_eager_task_in_a_request_keeps_the_requests_correlation_id(run_python: Any) -> None:
    """task.apply() inside a request runs with the request's ID, which is intact afterwards."""
    run = run_python("""
        import django
        django.setup()
        from django.test import Client
        r = Client().get("/eager/", HTTP_CORRELATION_ID="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
        assert r.status_code == 200
    """)
    records = run.json()
    cid = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
    ran = next(r for r in records if r["message"] == "numbered_ran")
    assert ran["correlation_id"] == cid and ran["task_name"] == TASKS + "numbered"
    after = next(r for r in records if r["message"] == "after_eager")
    assert after["correlation_id"] == cid and "task_id" not in after
    finished = next(r for r in records if r["message"] == "request_finished")
    assert finished["correlation_id"] == cid and "task_id" not in finished


def test_failures_in_the_task_and_in_the_main_process_carry_the_ids(
        embedded_broker: Any, workers: Any, run_python: Any) -> None:
    """A raising task, a lost worker child and a hard time limit all log task_failed with IDs."""
    workers.start(embedded_broker, pool="prefork", concurrency=2)
    run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.shop.tasks import dies, fails, sleeps
        with oxlog.bound(correlation_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"):
            fails.delay()
        with oxlog.bound(correlation_id="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"):
            dies.delay()
        with oxlog.bound(correlation_id="cccccccccccccccccccccccccccccccc"):
            sleeps.delay(5)
    """, env=embedded_broker.env)
    # billiard reports a lost child after worker_lost_wait (10 s)
    failed = workers.wait_for(lambda r: r["message"] == "task_failed", count=3, timeout=60)
    by_cid = {r["correlation_id"]: r for r in failed}
    raised = by_cid["a" * 32]
    assert raised["task_name"] == TASKS + "fails" and raised["duration_ms"] >= 0
    assert raised["error"] == "RuntimeError: task failed on purpose"
    assert raised["exception"].endswith("RuntimeError: task failed on purpose")
    for cid, name in (("b" * 32, "dies"), ("c" * 32, "sleeps")):
        record = by_cid[cid]
        assert record["task_name"] == TASKS + name and record["task_id"]
        assert record["root_task_id"] == record["task_id"]
    assert "WorkerLostError" in by_cid["b" * 32]["error"]
    assert "TimeLimitExceeded" in by_cid["c" * 32]["error"]
    assert len(failed) == len({r["task_id"] for r in failed}) == 3  # once each
    records = workers.records()
    plain = [r for r in records if r["logger"] == "celery.app.trace" and "raised" in r["message"]]
    assert plain == []  # said once, by task_failed
    limit = next(r for r in records if r["message"].startswith("Hard time limit"))
    assert limit["correlation_id"] == "c" * 32 and limit["task_id"] == by_cid["c" * 32]["task_id"]


def test_ignored_and_expected_failures_are_said_once_by_oxlog(
        embedded_broker: Any, workers: Any, run_python: Any) -> None:
    """Celery's INFO lines of celery.app.trace are not even built; oxlog's events say it all."""
    workers.start(embedded_broker, pool="solo")
    run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.shop.tasks import fails_expectedly, ignores, numbered
        with oxlog.bound(correlation_id="dddddddddddddddddddddddddddddddd"):
            ignores.delay()
            fails_expectedly.delay()
            numbered.delay(1)
    """, env=embedded_broker.env)
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded", timeout=30)[0]
    records = workers.records()
    ignored = next(r for r in records if r["message"] == "task_ignored")
    assert (ignored["task_name"], ignored["correlation_id"]) == (TASKS + "ignores", "d" * 32)
    assert ignored["level"] == "info" and ignored["duration_ms"] >= 0
    failed = next(r for r in records if r["message"] == "task_failed")
    assert failed["task_name"] == TASKS + "fails_expectedly" and failed["error"] == "KeyError: 'expected'"
    assert done["task_name"] == TASKS + "numbered"
    assert [r for r in records if r["logger"] == "celery.app.trace"] == []
    events = [r["message"] for r in records if r["message"].startswith("task_")]
    assert events.count("task_ignored") == 1 and events.count("task_started") == 3


def test_unknown_and_revoked_tasks_are_logged_with_their_ids(
        embedded_broker: Any, workers: Any, run_python: Any) -> None:
    """A message for an unregistered task, and a revoked task, each give one event with IDs."""
    workers.start(embedded_broker, pool="solo")
    run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.celery import app
        with oxlog.bound(correlation_id="dddddddddddddddddddddddddddddddd"):
            app.send_task("shop.no_such_task", queue=app.conf.task_default_queue)
        with oxlog.bound(correlation_id="eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"):
            result = app.send_task("tests.project.shop.tasks.numbered", args=(1,), countdown=30,
                                   queue=app.conf.task_default_queue)
        print(result.id)
    """, env=embedded_broker.env)
    unknown = workers.wait_for(lambda r: r["message"] == "task_unknown", timeout=30)[0]
    assert unknown["correlation_id"] == "d" * 32 and unknown["task_id"]
    assert unknown["level"] == "error"
    received = workers.wait_for(lambda r: r["message"] == "task_received"
                                and r["correlation_id"] == "e" * 32, timeout=30)[0]
    run_python(f"""
        import django
        django.setup()
        from tests.project.celery import app
        app.control.revoke("{received['task_id']}")
    """, env=embedded_broker.env)
    revoked = workers.wait_for(lambda r: r["message"] == "task_revoked", timeout=30)[0]
    assert revoked["task_id"] == received["task_id"] and revoked["correlation_id"] == "e" * 32
    assert revoked["terminated"] is False


AUTORETRY = """
import django
django.setup()
import oxlog
from celery import shared_task

with oxlog.bound(correlation_id="ffffffffffffffffffffffffffffffff"):
    from tests.project.shop.tasks import flaky_autoretry
    flaky_autoretry.delay()
"""


def test_autoretry_keeps_id_parent_and_correlation_id(embedded_broker: Any, workers: Any,
                                                      run_python: Any) -> None:
    """autoretry_for: the retried run has retries=1, the same IDs and the same correlation ID."""
    workers.start(embedded_broker, pool="solo")
    run_python(AUTORETRY, env=embedded_broker.env)
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded", timeout=30)[0]
    lines = [r for r in workers.records() if r.get("task_id") == done["task_id"]]
    assert {r["correlation_id"] for r in lines} == {"f" * 32}
    assert [r["message"] for r in lines if r["message"].startswith("task_")] == [
        "task_received", "task_started", "task_enqueued", "task_retrying",
        "task_received", "task_started", "task_succeeded"]
    assert [r.get("retries") for r in lines if r["message"] == "task_started"] == [None, 1]


def test_celerys_plain_lines_carry_the_context_when_kept(embedded_broker: Any, workers: Any,
                                                         run_python: Any) -> None:
    """OXLOG_CELERY_PLAIN_LINES: Celery's own 'succeeded in' line is kept, with the context."""
    workers.start(embedded_broker, pool="solo", env={"OXLOG_CELERY_PLAIN_LINES": "1"})
    run_python(PUBLISH_50.replace("range(50)", "range(1)"), env=embedded_broker.env)
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded", timeout=60)[0]
    plain = workers.wait_for(lambda r: r["logger"] == "celery.app.trace", timeout=60)[0]
    assert "succeeded in" in plain["message"]
    assert (plain["task_id"], plain["correlation_id"]) == (done["task_id"], done["correlation_id"])


def test_hostile_root_and_parent_ids_never_reach_a_line_raw(embedded_broker: Any, workers: Any,
                                                            run_python: Any) -> None:
    """A message whose ``root_id`` is 100 KB and ``parent_id`` holds a newline (anyone who can
    publish can send one): every line of the task, in the main process and the child, has
    the same bounded ``rejected-`` stand-ins; a real task ID passes untouched."""
    workers.start(embedded_broker, pool="prefork", concurrency=1)
    run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.celery import app
        with oxlog.bound(correlation_id="ffffffffffffffffffffffffffffffff"):
            app.send_task("tests.project.shop.tasks.numbered", args=(7,),
                          task_id="0d9c9c9e-5a6b-4c1e-9a43-2f2a4c1b7e11",
                          root_id="r" * 100_000, parent_id="p\\n2026-01-01 level=error forged",
                          queue=app.conf.task_default_queue)
    """, env=embedded_broker.env)
    workers.wait_for(lambda r: r["message"] == "task_succeeded"
                     and r.get("correlation_id") == "f" * 32, timeout=30)
    lines = [r for r in workers.records() if r.get("correlation_id") == "f" * 32
             and r.get("task_name") == TASKS + "numbered"]  # not the publisher's lines
    events = {r["message"] for r in lines}
    assert {"task_received", "task_started", "numbered_ran", "task_succeeded"} <= events
    assert {r["task_id"] for r in lines} == {"0d9c9c9e-5a6b-4c1e-9a43-2f2a4c1b7e11"}
    roots, parents = {r["root_task_id"] for r in lines}, {r["parent_task_id"] for r in lines}
    assert len(roots) == len(parents) == 1
    [root], [parent] = roots, parents
    assert root.startswith("rejected-") and len(root) == 25
    assert parent.startswith("rejected-") and len(parent) == 25 and root != parent
