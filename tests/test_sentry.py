"""Sentry next to oxlog, with the real sentry-sdk and a transport that records envelopes.

Every event captured in a request or a task carries the correlation ID and the task ID
as tags, and each record reaches Sentry once: structlog calls (which oxlog writes
without a ``LogRecord``) through Sentry's logging integration like ``logging`` calls,
and never a second time for the same exception (a request's or a task's failure is one
event although Django, django-structlog, Celery and oxlog each log it).
"""

from __future__ import annotations

import json
from typing import Any

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"

RECORDING = """
import json, sys
import sentry_sdk
from sentry_sdk.transport import Transport

EVENTS = []

class Recording(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                EVENTS.append(item.payload.json)

def dump():
    sentry_sdk.flush()
    print(json.dumps([{"message": (e.get("logentry") or {}).get("message"),
                       "exception": [v["type"] for v in (e.get("exception") or {}).get("values", [])],
                       "logger": e.get("logger"), "tags": e.get("tags") or {}} for e in EVENTS]))

sentry_sdk.init(dsn="http://key@localhost/1", transport=Recording)
"""


def _events(run: Any) -> list[dict[str, Any]]:
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_structlog_and_logging_errors_reach_sentry_once_with_the_workflow_tags(
        run_python: Any) -> None:
    run = run_python(RECORDING + f"""
import logging
import oxlog, structlog, sentry_sdk
oxlog.configure(console="off", files=["json"])
log = structlog.get_logger("shop")
log.error("outside_a_workflow")
with oxlog.bound(correlation_id="{CID}", task_id="59caa747-1fa7-44da-8cb8-4db82d9d394e"):
    log.error("payment_refused", order_id=1)
    logging.getLogger("shop").error("stdlib error %s", 2)
    log.info("not_an_event")
    try:
        1 / 0
    except ZeroDivisionError as exc:
        sentry_sdk.capture_exception(exc)
with sentry_sdk.new_scope() as scope:
    scope.set_tag("correlation_id", "the-apps-own")
    with oxlog.bound(correlation_id="{CID}"):
        log.error("tag_kept")
dump()
""", settings=None)
    events = _events(run)
    assert [(e["message"], e["exception"]) for e in events] == [
        ("outside_a_workflow", []), ("payment_refused", []), ("stdlib error %s", []),
        (None, ["ZeroDivisionError"]), ("tag_kept", [])]
    assert events[0]["tags"] == {}
    for event in events[1:4]:
        assert event["tags"] == {"correlation_id": CID,
                                 "task_id": "59caa747-1fa7-44da-8cb8-4db82d9d394e"}
    assert events[4]["tags"] == {"correlation_id": "the-apps-own"}
    # json.log still has each line once
    messages = [r["message"] for r in run.json()]
    assert messages == ["outside_a_workflow", "payment_refused", "stdlib error 2", "not_an_event",
                        "tag_kept"]


def test_a_failing_request_and_a_failing_task_are_one_event_each_with_their_ids(
        run_python: Any) -> None:
    run = run_python(RECORDING + f"""
import django
django.setup()
from django.test import Client
response = Client(raise_request_exception=False).get("/boom/", HTTP_CORRELATION_ID="{CID}")
assert response.status_code == 500
from tests.project.shop.tasks import fails
result = fails.apply()
print(result.id)
dump()
""")
    *_, task_id, events_line = run.stdout.strip().splitlines()
    events = json.loads(events_line)
    assert [e["exception"] for e in events] == [["RuntimeError"], ["RuntimeError"]], events
    request, task = events
    assert request["tags"]["correlation_id"] == CID and "task_id" not in request["tags"]
    assert task["tags"]["task_id"] == task_id and len(task["tags"]["correlation_id"]) == 32
    # oxlog wrote the failures (request_failed / Django's line, task_failed) all the same
    assert {"task_failed", "about_to_fail"} <= {r["message"] for r in run.json()}
