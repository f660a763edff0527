"""The receivers: connected once, never breaking a publish or a task, and wary of headers."""

from __future__ import annotations

from typing import Any

import pytest


def test_receivers_connect_once_however_often_setup_runs(run_python: Any) -> None:
    """django.setup() plus repeated connect() leaves one receiver per signal."""
    run = run_python("""
        import django
        django.setup()
        import oxlog.celery
        from celery import signals
        for _ in range(3):
            oxlog.celery.connect()
            oxlog.celery.setup()
        for name in ("before_task_publish", "after_task_publish", "task_prerun", "task_postrun",
                     "task_received", "setup_logging"):
            receivers = getattr(signals, name).receivers
            ours = [r for r in receivers if "oxlog" in str(r[0])]
            print(name, len(ours))
    """)
    counts = dict(line.split() for line in run.stdout.splitlines())
    assert set(counts.values()) == {"1"}, counts


def test_a_failing_receiver_never_breaks_a_publish_or_a_task(run_python: Any) -> None:
    """With oxlog's event logging broken, publishing and eager tasks still work; each
    receiver's failure is reported once on stderr."""
    run = run_python("""
        import django
        django.setup()
        import oxlog.celery.signals as sig
        def broken(*args, **kwargs):
            raise RuntimeError("broken on purpose")
        sig.log_event = broken
        from tests.project.shop.tasks import numbered
        from oxlog.context import get_context
        for i in range(3):
            numbered.delay(i)
            assert numbered.apply(args=(i,)).get() == i
            assert dict(get_context()) == {}, get_context()  # restored although logging failed
        print("still fine")
    """)
    assert run.stdout.strip().endswith("still fine")
    reports = [line for line in run.stderr.splitlines() if line.startswith("oxlog:")]
    assert len(reports) == len(set(reports)) == 3  # after_task_publish, task_prerun, task_postrun
    assert all("broken on purpose" in line for line in reports)


def test_a_task_whose_success_handler_raises_is_not_logged_as_succeeded(run_python: Any) -> None:
    """task_postrun says SUCCESS once the body returned; an exception after it (here an
    eager ``on_success``) means the task did not succeed, and no task_succeeded is written."""
    run = run_python("""
        import django
        django.setup()
        from tests.project.celery import app

        class SuccessHandlerFails(app.Task):
            def on_success(self, *args):
                raise RuntimeError("on_success broke")

        @app.task(base=SuccessHandlerFails)
        def breaks_after():
            return 1

        @app.task
        def fine():
            return 2

        try:
            breaks_after.apply()
        except RuntimeError:
            pass
        assert fine.apply().get() == 2
        try:
            raise KeyError("the caller's own")
        except KeyError:  # an eager task run while its caller handles an exception
            assert fine.apply().get() == 2
        print("done")
    """)
    assert run.stdout.strip().endswith("done")
    events = [(r["message"], r["task_name"].rsplit(".", 1)[-1]) for r in run.json()
              if r["message"].startswith("task_") and r.get("task_name")]
    assert events == [("task_started", "breaks_after"),
                      ("task_started", "fine"), ("task_succeeded", "fine"),
                      ("task_started", "fine"), ("task_succeeded", "fine")]


def test_a_non_string_correlation_id_never_reaches_the_broker(run_python: Any) -> None:
    """A bound correlation ID that is not canonical is replaced on publish."""
    run = run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.shop.tasks import numbered
        with oxlog.bound(correlation_id=object()):
            numbered.delay(1)
        with oxlog.bound(correlation_id="not canonical"):
            numbered.delay(2)
    """)
    enqueued = [r for r in run.json() if r["message"] == "task_enqueued"]
    assert len(enqueued) == 2


@pytest.mark.slow
def test_hostile_correlation_id_in_a_message_header_is_replaced(
        embedded_broker: Any, workers: Any, run_python: Any) -> None:
    """A broker is input too: a forged header gets the same treatment as an HTTP one."""
    workers.start(embedded_broker, pool="prefork", concurrency=2)
    run_python("""
        import django
        django.setup()
        from celery import signals
        signals.before_task_publish.disconnect(dispatch_uid="oxlog.before_task_publish")
        from tests.project.shop.tasks import numbered
        numbered.apply_async(args=(1,), headers={"oxlog_correlation_id": "{evil}\\nlevel=error"})
    """, env=embedded_broker.env)
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded", timeout=30)[0]
    records = workers.records()
    rejected = [r for r in records if r["message"] == "correlation_id_rejected"]
    assert len(rejected) == 1 and rejected[0]["source"] == "message_header"
    assert rejected[0]["length"] == len("{evil}\nlevel=error")
    task_lines = [r for r in records if r.get("task_id") == done["task_id"]]
    assert len({r["correlation_id"] for r in task_lines}) == 1
    assert len(task_lines[0]["correlation_id"]) == 32
    assert "evil" not in (workers.log_dir / "json.log").read_text()


def test_task_id_prefix_puts_the_correlation_id_in_new_task_ids(run_python: Any) -> None:
    """OXLOG_TASK_ID_PREFIX: delay() IDs start with the correlation ID; given IDs are kept."""
    run = run_python("""
        import django
        django.setup()
        import oxlog
        from tests.project.shop.tasks import numbered
        with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"):
            print(numbered.delay(1).id)
            print(numbered.apply_async(args=(2,), task_id="given-id").id)
        print(numbered.delay(3).id)
    """, env={"OXLOG_TASK_ID_PREFIX": "1"})
    first, given, fresh = run.stdout.split()
    assert first.startswith("6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90_") and len(first) == 69
    assert given == "given-id"
    cid, _, rest = fresh.partition("_")
    enqueued = {r["child_task_id"]: r["correlation_id"] for r in run.json()
                if r["message"] == "task_enqueued"}
    assert enqueued[fresh] == cid and len(rest) == 36


def test_task_ids_are_plain_uuids_by_default(run_python: Any) -> None:
    """Without the setting, oxlog leaves Celery's task IDs alone."""
    run = run_python("""
        import django
        django.setup()
        from tests.project.shop.tasks import numbered
        print(numbered.delay(1).id)
    """)
    assert len(run.stdout.strip()) == 36 and "_" not in run.stdout


def test_task_arguments_in_task_enqueued_are_redacted(run_python: Any) -> None:
    """Secrets in task kwargs (and nested in args) never reach task_enqueued."""
    run = run_python("""
        import django
        django.setup()
        from tests.project.celery import app
        app.send_task("shop.charge", args=({"card": {"cvv": "123", "api_key": "k-1"}},),
                      kwargs={"password": "hunter2", "amount": 5})
    """)
    (enqueued,) = [r for r in run.json() if r["message"] == "task_enqueued"]
    assert "hunter2" not in enqueued["kwargs"] and "'amount': 5" in enqueued["kwargs"]
    assert "k-1" not in enqueued["args"] and "[REDACTED]" in enqueued["args"]


def test_event_levels_are_configurable(run_python: Any) -> None:
    """OXLOG_EVENT_LEVELS='task_enqueued=DEBUG' below OXLOG_LEVEL hides that event only."""
    code = """
        import django
        django.setup()
        from tests.project.shop.tasks import numbered
        numbered.delay(1)
        numbered.apply(args=(2,))
    """
    quiet = run_python(code, env={"OXLOG_EVENT_LEVELS": "task_enqueued=DEBUG"}).json()
    messages = [r["message"] for r in quiet]
    assert "task_enqueued" not in messages and "task_started" in messages


def test_context_bound_outside_a_task_survives_it_exactly(run_python: Any) -> None:
    """Keys bound before an eager task are there after it; keys the task bound are gone."""
    run = run_python("""
        import django
        django.setup()
        import oxlog, structlog
        from celery import shared_task
        structlog.contextvars.bind_contextvars(user="outer")
        token = oxlog.bind(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", tenant="acme")

        @shared_task
        def binds():
            structlog.contextvars.bind_contextvars(inside="x", user="changed")
            structlog.get_logger("t").info("in_task")

        binds.apply()
        print(sorted(structlog.contextvars.get_contextvars().items()))
        print(sorted(oxlog.get_context().items()))
    """)
    structlog_ctx, oxlog_ctx = run.stdout.splitlines()[-2:]
    assert structlog_ctx == "[('user', 'outer')]"
    assert oxlog_ctx == ("[('correlation_id', '6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90'), "
                         "('tenant', 'acme')]")
    in_task = next(r for r in run.json() if r["message"] == "in_task")
    assert in_task["inside"] == "x" and in_task["user"] == "changed" and in_task["task_id"]


def test_an_eager_task_inside_a_task_has_its_own_context_and_gives_the_outer_one_back(
        run_python: Any) -> None:
    """Each run's lines carry its own IDs; after the inner run the outer task's context,
    duration and outcome are its own, and the caller's context is intact at the end."""
    run = run_python("""
        import django
        django.setup()
        import oxlog, structlog
        from celery import shared_task

        log = structlog.get_logger("t")

        @shared_task
        def inner(fail):
            log.info("inner_ran")
            if fail:
                raise ValueError("inner failed on purpose")

        @shared_task
        def outer():
            log.info("outer_before")
            inner.apply(args=(False,))
            inner.apply(args=(True,))  # an eager failure is kept in its result, not raised
            log.info("outer_after")

        with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"):
            outer.apply()
            print(sorted(oxlog.get_context().items()))
    """)
    assert run.stdout.splitlines()[-1] == "[('correlation_id', '6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90')]"
    lines = [r for r in run.json() if r.get("task_name", "").endswith(("inner", "outer"))]
    outer_id = next(r["task_id"] for r in lines if r["message"] == "outer_before")
    inner_ids = [r["task_id"] for r in lines if r["message"] == "inner_ran"]
    assert len(set(inner_ids)) == 2 and outer_id not in inner_ids
    assert {r["correlation_id"] for r in lines} == {"6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"}
    by_task: dict[str, list[str]] = {}
    for r in lines:
        by_task.setdefault(r["task_id"], []).append(r["message"])
    assert by_task[outer_id] == ["task_started", "outer_before", "outer_after", "task_succeeded"]
    assert by_task[inner_ids[0]] == ["task_started", "inner_ran", "task_succeeded"]
    assert by_task[inner_ids[1]] == ["task_started", "inner_ran", "task_failed"]
    outer_done = next(r for r in lines if r["task_id"] == outer_id and r["message"] == "task_succeeded")
    inner_done = [r for r in lines if r["task_id"] in inner_ids and r["message"] in ("task_succeeded",
                                                                                    "task_failed")]
    assert all(isinstance(r["duration_ms"], float) for r in [outer_done, *inner_done])
    assert outer_done["duration_ms"] >= max(r["duration_ms"] for r in inner_done)


def test_the_callers_context_comes_back_by_identity_whatever_the_task_binds(run_python: Any) -> None:
    """A key the task rebinds to an equal value (``True`` for ``1``) and a context variable
    holding a value whose ``==`` raises (a DataFrame) leave the caller's context exact
    (another library's variable is that library's: oxlog restores its own and structlog's)."""
    run = run_python("""
        import django
        django.setup()
        import contextvars, oxlog, structlog
        from celery import shared_task

        class Frame:  # like a pandas DataFrame: == is elementwise, bool() of it raises
            def __eq__(self, other):
                raise ValueError("The truth value of a DataFrame is ambiguous")
            __hash__ = object.__hash__

        other = contextvars.ContextVar("someone_elses", default=None)

        @shared_task
        def rebinds():
            structlog.contextvars.bind_contextvars(user_id=True)
            other.set(Frame())
            structlog.get_logger("t").info("in_task")

        structlog.contextvars.bind_contextvars(user_id=1)
        frame = Frame()
        other.set(frame)
        with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"):
            rebinds.apply()
            structlog.get_logger("t").info("after_task")
            print(sorted(oxlog.get_context()))
    """)
    assert run.stdout.splitlines()[-1] == "['correlation_id']"
    records = {r["message"]: r for r in run.json() if r["message"] in ("in_task", "after_task")}
    assert records["in_task"]["user_id"] is True
    after = records["after_task"]
    assert after["user_id"] == 1 and after["user_id"] is not True
    assert "task_id" not in after and "task_name" not in after
    assert "failed" not in run.stderr


@pytest.mark.parametrize("published_at", ["10**400", "float('nan')", "'yesterday'", "True"])
def test_a_publish_time_header_that_is_not_a_time_gives_no_wait_and_keeps_the_line(
        run_python: Any, published_at: str) -> None:
    """A message from another publisher may carry any ``oxlog_published_at``: the line is
    still written, without ``queue_wait_ms``, and no receiver fails."""
    run = run_python(f"""
        import django
        django.setup()
        from celery import signals
        from celery.contrib.testing.mocks import TaskMessage
        from celery.worker.request import Request
        from tests.project.shop.tasks import numbered

        message = TaskMessage(numbered.name, id="0b469cd5-089e-4061-9020-a1f748ab9160", args=[1],
                              oxlog_published_at={published_at})
        signals.task_received.send(sender=None, request=Request(message, app=numbered.app,
                                                                task=numbered))
    """)
    received = [r for r in run.json() if r["message"] == "task_received"]
    assert len(received) == 1 and received[0]["task_id"] == "0b469cd5-089e-4061-9020-a1f748ab9160"
    assert received[0].get("queue_wait_ms") is None
    assert "receiver failed" not in run.stderr


@pytest.mark.slow
def test_a_message_published_without_oxlog_takes_its_correlation_id_from_traceparent(
        embedded_broker: Any, workers: Any, run_python: Any) -> None:
    """A tracer's traceparent, with no oxlog header, gives the task its correlation ID."""
    workers.start(embedded_broker, pool="prefork", concurrency=2)
    run_python("""
        import django
        django.setup()
        from celery import signals
        signals.before_task_publish.disconnect(dispatch_uid="oxlog.before_task_publish")
        from tests.project.shop.tasks import numbered
        numbered.apply_async(args=(1,), headers={
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    """, env=embedded_broker.env)
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded", timeout=30)[0]
    task_lines = [r for r in workers.records() if r.get("task_id") == done["task_id"]]
    assert {r["message"] for r in task_lines} >= {"task_received", "task_started", "numbered_ran"}
    assert {r["correlation_id"] for r in task_lines} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert not [r for r in workers.records() if r["message"] == "correlation_id_rejected"]


def test_an_event_that_is_not_written_builds_nothing(run_python: Any) -> None:
    """With the task events at DEBUG, oxlog makes no repr of a task's result (even with
    OXLOG_TASK_LOG_RESULT; Celery makes its own), writes no line of its own per task, and
    still binds the context for the task's own lines; the publish receiver of task_enqueued
    is not connected, and is connected again when a configuration writes the event."""
    code = """
        import django
        django.setup()
        import oxlog, structlog
        from celery import shared_task, signals

        class Loud:
            def __repr__(self):
                print("repr called")
                return "Loud()"

        @shared_task
        def returns_loud(arg):
            structlog.get_logger("t").info("in_task")
            return Loud()

        def ours(signal):
            return sum("oxlog" in str(r[0]) for r in signal.receivers)

        print("after_task_publish", ours(signals.after_task_publish))
        with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"):
            returns_loud.apply(args=(1,))
            returns_loud.delay({"password": "hunter2"})
        oxlog.configure(event_levels={"task_enqueued": "INFO"})  # written again: connected
        print("after_task_publish", ours(signals.after_task_publish))
    """
    quiet_levels = "task_enqueued=DEBUG,task_received=DEBUG,task_started=DEBUG,task_succeeded=DEBUG"
    quiet = run_python(code, env={"OXLOG_TASK_LOG_RESULT": "true", "OXLOG_EVENT_LEVELS": quiet_levels})
    records = quiet.json()
    (quiet.log_dir / "json.log").unlink()  # the second run writes its own
    written = run_python(code, env={"OXLOG_TASK_LOG_RESULT": "true"})
    reprs = [run.stdout.splitlines().count("repr called") for run in (quiet, written)]
    assert reprs[0] == reprs[1] - 1, reprs  # task_succeeded's result: made only when written
    out = quiet.stdout.splitlines()
    assert out[0] == "after_task_publish 0" and out[-1] == "after_task_publish 1"
    assert written.stdout.splitlines()[0] == "after_task_publish 1"
    assert not [r for r in records if str(r["message"]).startswith("task_")]
    (in_task,) = [r for r in records if r["message"] == "in_task"]
    assert in_task["correlation_id"] == "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
    assert in_task["task_name"].endswith("returns_loud") and in_task["task_id"]
    assert [r["message"] for r in written.json() if str(r["message"]).startswith("task_")] == [
        "task_started", "task_succeeded", "task_enqueued"]


def test_a_root_tasks_rejected_id_gives_one_stand_in_for_id_and_root(run_python: Any) -> None:
    """A root task's root ID is its own ID: a rejected one is written as the same stand-in
    in both fields (the workflow still links) and said once."""
    run = run_python("""
        import django
        django.setup()
        from oxlog.celery.signals import task_context
        bad = "no good\\nid"
        values = task_context(None, {"id": bad, "root_id": bad, "task": "shop.x"})
        print(values["task_id"], values["root_task_id"], values["task_name"])
        same = "0b2f7a9e-6a54-4c1e-9a53-3f0f7d7e2a11"
        print(task_context(None, {"id": same, "root_id": str(same)}, "shop.x")["root_task_id"])
    """)
    task_id, root, name = run.stdout.splitlines()[0].split()
    assert task_id == root and task_id.startswith("rejected-") and name == "shop.x"
    assert run.stdout.splitlines()[1] == "0b2f7a9e-6a54-4c1e-9a53-3f0f7d7e2a11"
    assert sum("a task message carried a" in line for line in run.stderr.splitlines()) == 1


def test_the_main_process_forgets_requests_celery_dropped(run_python: Any) -> None:
    """The worker's main process finds a received request's context while Celery holds the
    request, and keeps nothing once it is gone (dead references pruned as the map grows)."""
    run = run_python("""
        import django
        django.setup()
        import gc, uuid
        from celery.contrib.testing.mocks import TaskMessage
        from celery.worker.request import Request
        from tests.project.celery import app
        from tests.project.shop.tasks import numbered
        from oxlog.celery import signals as sig
        app.finalize()
        task = app.tasks[numbered.name]

        def request():
            task_id = str(uuid.uuid4())
            message = TaskMessage(task.name, id=task_id, args=[1], kwargs={}, root_id=task_id,
                                  oxlog_correlation_id=uuid.uuid4().hex)
            return Request(message, app=app, task=task)

        held = request()
        sig.task_received(request=held)
        cid = held.request_dict["oxlog_correlation_id"]
        print(sig.context_of_live_task(held.id)["correlation_id"] == cid)
        for _ in range(5000):
            sig.task_received(request=request())  # each dropped at once, as Celery drops them
        gc.collect()
        print(len(sig._live_requests) <= 2048, sig.context_of_live_task(held.id) is not None)
        held_id = held.id
        del held
        gc.collect()
        print(sig.context_of_live_task(held_id))
    """, env={"OXLOG_EVENT_LEVELS": "task_received=DEBUG"})
    assert run.stdout.splitlines()[-3:] == ["True", "True True", "None"]
