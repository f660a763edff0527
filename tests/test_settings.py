"""``from oxlog.settings import *``: a Django project that does only the three lines."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.logfmt import expected_text

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
HEAD = ["timestamp", "level", "logger", "message", "process"]

REQUESTS = f"""
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
ok = client.get("/ok/", HTTP_CORRELATION_ID="{CID}")
boom = client.get("/boom/")
print(ok.status_code, ok.headers["Correlation-ID"])
print(boom.status_code, boom.headers["Correlation-ID"])
"""


@pytest.fixture
def served(run_python: Any) -> Any:
    run = run_python(REQUESTS)
    (ok_status, ok_cid), (boom_status, boom_cid) = (line.split() for line in run.stdout.split("\n")[:2])
    run.ok_cid, run.boom_cid = ok_cid, boom_cid
    assert (ok_status, boom_status) == ("200", "500")
    return run


def test_every_json_line_has_the_canonical_head(served: Any) -> None:
    """Each line parses as strict JSON and starts with timestamp, level, logger, message, process."""
    records = served.json()
    assert len(records) >= 10
    for record in records:
        assert list(record)[:5] == HEAD, record
        assert TIMESTAMP.fullmatch(record["timestamp"])
        assert record["level"] in {"debug", "info", "warning", "error", "critical"}
        assert isinstance(record["process"], int)


def test_request_lines_carry_the_returned_correlation_id(served: Any) -> None:
    """structlog, stdlib, third-party and warnings lines of a request share its correlation ID."""
    assert served.ok_cid == CID
    lines = [r for r in served.json() if r.get("correlation_id") == CID]
    by_message = {r["message"]: r for r in lines}
    assert by_message["order_viewed"]["order_id"] == 42
    assert by_message["order_viewed"]["tags"] == ["a", "b"]
    assert by_message["stdlib line for order 42"]["logger"] == "tests.project.shop.views"
    assert by_message["third-party says hi"]["logger"] == "somelib"
    assert any(r["logger"] == "py.warnings" and "deprecated thing" in r["message"] for r in lines)
    finished = by_message["request_finished"]
    assert finished["code"] == 200 and finished["duration_ms"] > 0
    assert {r["request_id"] for r in lines} == {by_message["request_started"]["request_id"]}


def test_failing_view_logs_djangos_error_once_with_traceback(served: Any) -> None:
    """django.request's error line is there exactly once, with the traceback, and the ID."""
    lines = [r for r in served.json() if r.get("correlation_id") == served.boom_cid]
    errors = [r for r in lines if r["logger"] == "django.request"]
    assert len(errors) == 1
    assert errors[0]["message"] == "Internal Server Error: /boom/"
    assert errors[0]["exception"].startswith("Traceback (most recent call last):")
    assert errors[0]["exception"].endswith("RuntimeError: view failed on purpose")
    failed = [r for r in lines if r["message"] == "request_failed"]
    assert len(failed) == 1 and failed[0]["code"] == 500 and "duration_ms" in failed[0]
    assert {"about_to_fail", "stdlib before failing"} <= {r["message"] for r in lines}


def test_no_record_appears_twice(served: Any) -> None:
    """Every record is in json.log once: no logger has a handler of its own besides the root's."""
    keys = [(r["timestamp"], r["logger"], r["message"]) for r in served.json()]
    assert len(keys) == len(set(keys))


def test_flat_line_log_holds_the_same_records(served: Any) -> None:
    """flat_line.log decodes, line for line, to the same keys, order and values as json.log."""
    records, flat = served.json(), served.logfmt()
    assert len(flat) == len(records)
    for record, decoded in zip(records, flat, strict=True):
        expected = {k: expected_text(v) for k, v in record.items() if v is not None}
        assert decoded == expected


def test_third_party_and_warnings_reach_both_files(served: Any) -> None:
    """A library's own logger and warnings.warn reach json.log and flat_line.log."""
    for records in (served.json(), served.logfmt()):
        loggers = {r["logger"] for r in records}
        assert {"somelib", "py.warnings", "django.request"} <= loggers


def test_settings_edits_to_logging_and_oxlog_values_are_kept(run_python: Any, tmp_path: Any) -> None:
    """OXLOG_* set after the import, and edits to LOGGING, both apply."""
    settings = tmp_path / "edited_settings.py"
    settings.write_text(
        "from tests.project.settings import *\n"
        "OXLOG_SERVICE = 'shop'\n"
        "OXLOG_FILES = ['json']\n"
        "LOGGING['loggers']['somelib'] = {'level': 'ERROR'}\n"
    )
    run = run_python(REQUESTS, settings="edited_settings",
                     env={"PYTHONPATH": f"{tmp_path}:{__import__('tests.conftest').conftest.ROOT}"})
    records = run.json()
    assert records and all(r["service"] == "shop" for r in records)
    assert not any(r["logger"] == "somelib" for r in records)
    assert not (run.log_dir / "flat_line.log").exists()


def test_message_key_event_keeps_structlogs_name(run_python: Any) -> None:
    """OXLOG_MESSAGE_KEY='event' writes the message under "event"."""
    run = run_python(REQUESTS, env={"OXLOG_MESSAGE_KEY": "event"})
    records = run.json()
    assert all("event" in r and "message" not in r for r in records)
    assert "order_viewed" in {r["event"] for r in records}


def test_ecs_schema_uses_elastic_names(run_python: Any) -> None:
    """OXLOG_JSON_SCHEMA='ecs' writes @timestamp, log.level, log.logger, labels, error."""
    run = run_python(REQUESTS, env={"OXLOG_JSON_SCHEMA": "ecs"})
    records = run.json()
    for record in records:
        assert list(record)[:4] == ["@timestamp", "log.level", "message", "ecs.version"]
        assert TIMESTAMP.fullmatch(record["@timestamp"])
        assert record["log"]["logger"]
    viewed = next(r for r in records if r["message"] == "order_viewed")
    assert viewed["labels"]["correlation_id"] == CID and viewed["labels"]["order_id"] == 42
    error = next(r for r in records if r["log"]["logger"] == "django.request")
    assert error["error"]["stack_trace"].endswith("RuntimeError: view failed on purpose")
