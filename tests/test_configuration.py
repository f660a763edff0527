"""A project's own ``LOGGING`` merged with oxlog's: nothing the project had is lost.

The project (``tests/project/own_logging.py``) is written the way real ones are: a
console, ``mail_admins``, a file handler with a filter, python-json-logger for an app
logger that does not propagate, logger levels. Each test runs it twice where it can —
with oxlog and, as the control, with Django's own logging setup as before oxlog — and
compares what the project's own outputs received.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workers

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
SETTINGS = "tests.project.own_logging"

REQUESTS = f"""
import django, json
django.setup()
from django.core import mail
from django.test import Client
client = Client(raise_request_exception=False)
codes = [client.get(path, HTTP_CORRELATION_ID="{CID}").status_code
         for path in ("/ok/", "/pay/", "/boom/")]
print(json.dumps({{"codes": codes, "mails": len(mail.outbox),
                  "subjects": [m.subject for m in mail.outbox]}}))
"""


def _serve(run_python: Any, tmp_path: Path, name: str, env: dict[str, str]) -> dict[str, Any]:
    app_logs = tmp_path / name
    app_logs.mkdir()
    run = run_python(REQUESTS, settings=SETTINGS,
                     env={"SHOP_APP_LOGS": str(app_logs), "OXLOG_DIR": str(app_logs), **env})
    result: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    assert result["codes"] == [200, 200, 500]
    result["stderr"] = run.stderr
    result["app"] = _app_lines(app_logs / "app.log")
    result["payments"] = [json.loads(line) for line in
                          (app_logs / "payments.json").read_text().splitlines()]
    json_log = app_logs / "json.log"
    result["json"] = ([json.loads(line) for line in json_log.read_text().splitlines()]
                      if json_log.exists() else [])
    return result


def _app_lines(path: Path) -> list[list[str]]:
    """The project's own ``LEVEL|logger|message[|correlation_id]`` lines (tracebacks skipped)."""
    return [line.split("|") for line in path.read_text().splitlines()
            if line[:1].isupper() and "|" in line and not line.startswith("Traceback")]


@pytest.fixture(params=["after", "before"])
def style(request: pytest.FixtureRequest) -> str:
    """Where the project's own LOGGING stands: after the oxlog line, or before it."""
    return str(request.param)


@pytest.fixture
def both(run_python: Any, tmp_path: Path, style: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same three requests without oxlog (the control) and with it."""
    control = _serve(run_python, tmp_path, "control", {"SHOP_WITHOUT_OXLOG": "1"})
    with_oxlog = _serve(run_python, tmp_path, "oxlog", {"SHOP_LOGGING_STYLE": style})
    return control, with_oxlog


def test_error_mails_go_out_as_they_did(both: Any) -> None:
    """``mail_admins`` mails ADMINS for the 500 as often as without oxlog: once."""
    control, with_oxlog = both
    assert control["mails"] == 1
    assert with_oxlog["mails"] == control["mails"]
    assert with_oxlog["subjects"] == control["subjects"]


def test_the_projects_files_get_every_line_they_got_and_the_context(both: Any) -> None:
    """Each line of the project's own file without oxlog is there with oxlog, with the ID."""
    control, with_oxlog = both
    # django-guid is oxlog's dependency, not the project's: its INFO lines are not the project's.
    before = Counter(tuple(line[:3]) for line in control["app"] if line[1] != "django_guid")
    after = Counter(tuple(line[:3]) for line in with_oxlog["app"])
    assert before and not before - after
    # The project's filter still drops its health-check lines; its levels still apply.
    assert not any("health" in line[2] for line in with_oxlog["app"])
    assert not any(line[1] == "somelib" for line in with_oxlog["app"])
    # The project's format names the correlation ID; every request line carries it.
    # (py.warnings' message spans lines: its ID is on the last one.)
    request_lines = [line for line in with_oxlog["app"] if line[1] != "py.warnings"]
    assert {line[3] for line in request_lines} == {CID}


def test_a_logger_that_does_not_propagate_keeps_its_handler_and_reaches_oxlog(both: Any) -> None:
    """The payments logger writes python-json-logger lines, with the context, and json.log."""
    control, with_oxlog = both
    assert {p["message"] for p in control["payments"]} <= {p["message"] for p in with_oxlog["payments"]}
    assert {p["message"] for p in with_oxlog["payments"]} == {"payment_taken", "charged card for order 42"}
    for line in with_oxlog["payments"]:
        assert line["correlation_id"] == CID and line["name"] == "tests.project.shop.payments"
    assert not any(line[1] == "tests.project.shop.payments" for line in with_oxlog["app"])
    in_json = [r for r in with_oxlog["json"] if r["logger"] == "tests.project.shop.payments"]
    assert [r["message"] for r in in_json] == ["payment_taken", "charged card for order 42"]
    assert in_json[0]["amount"] == 12


def test_every_record_reaches_json_log_once_with_its_context(both: Any) -> None:
    """json.log has the request lines, each once, each with the request's ID."""
    _, with_oxlog = both
    records = with_oxlog["json"]
    messages = Counter((r["logger"], r["message"], r.get("request_id")) for r in records)
    assert messages and max(messages.values()) == 1
    assert {"order_viewed", "stdlib line for order 42", "health check passed",
            "Internal Server Error: /boom/"} <= {r["message"] for r in records}
    assert {r.get("correlation_id") for r in records} == {CID}
    assert not any(r["logger"] == "somelib" for r in records)  # the project's level holds


def test_the_terminal_shows_each_line_once_in_the_projects_format(both: Any) -> None:
    """The project's console is kept and oxlog's left out: one line per record on stderr."""
    _, with_oxlog = both
    assert with_oxlog["stderr"].count("stdlib line for order 42") == 1
    assert f"INFO|tests.project.shop.views|stdlib line for order 42|{CID}" in with_oxlog["stderr"]


@pytest.mark.parametrize("edit", ["", "LOGGING['loggers']['somelib'] = {'level': 'ERROR'}"])
def test_logging_as_imported_or_edited_mails_admins_like_django(edit: str, run_python: Any,
                                                               tmp_path: Path) -> None:
    """Django's own ``mail_admins`` on ``django`` survives oxlog's LOGGING."""
    (tmp_path / "imported_settings.py").write_text(
        "from tests.project.settings import *\n" + edit + "\n"
        "ADMINS = [('Ops', 'ops@example.com')]\n"
        "EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'\n")
    run = run_python(REQUESTS, settings="imported_settings",
                     env={"PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[1]}"})
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["mails"] == 1 and "Internal Server Error: /boom/" in result["subjects"][0]
    assert "Internal Server Error: /boom/" in {r["message"] for r in run.json()}


# --- workers ---------------------------------------------------------------------------

START = f"""
import django
django.setup()
from django.test import Client
response = Client().get("/start/", HTTP_CORRELATION_ID="{CID}")
assert response.status_code == 200, response.status_code
print(response.content.decode())
"""


def test_a_worker_and_beat_with_the_projects_logging_write_oxlogs_lines(
        embedded_broker: Any, workers: Workers, run_python: Any, tmp_path: Path) -> None:
    """A prefork worker and beat of the project: task lines with the request's ID, Celery's own."""
    app_logs = tmp_path / "logs"
    app_logs.mkdir(exist_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "SHOP_APP_LOGS": str(app_logs)}
    workers.start(embedded_broker, pool="prefork", concurrency=2, env=env)  # waits for "ready"
    run_python(START, settings=SETTINGS, env={**embedded_broker.env, **env})
    done = workers.wait_for(lambda r: r["message"] == "task_succeeded"
                            and r.get("task_name", "").endswith("task_d"), timeout=60)
    assert done[0]["correlation_id"] == CID
    task_lines = [r for r in workers.records() if "task_id" in r]
    assert task_lines and {r["correlation_id"] for r in task_lines} == {CID}
    # The project's own file got the worker's lines too, in its format, with the ID.
    own = [line for line in _app_lines(app_logs / "app.log") if line[2] == "task_succeeded"]
    assert own and {line[3] for line in own} == {CID}
    # beat, started from the same settings module: its dispatch line and the task it sends.
    workers._spawn(_beat_command(tmp_path), embedded_broker, env)
    tick = workers.wait_for(lambda r: r["message"] == "tick_ran", timeout=40)[0]
    sent = [r for r in workers.records() if r["logger"] == "celery.beat"
            and r.get("correlation_id") == tick["correlation_id"]]
    assert len(sent) == 1 and sent[0]["message"].startswith("Scheduler: Sending due task tick")


def test_without_the_merge_a_worker_says_so_and_celery_logs_as_without_oxlog(
        embedded_broker: Any, workers: Workers, tmp_path: Path) -> None:
    """``OXLOG_MERGE_LOGGING=False``: one line on stderr with the fix; Celery's own logging."""
    app_logs = tmp_path / "logs"
    app_logs.mkdir(exist_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "SHOP_APP_LOGS": str(app_logs),
           "OXLOG_MERGE_LOGGING": "false"}
    workers._spawn([*_worker_command(embedded_broker)], embedded_broker, env)
    workers._spawn([*_beat_command(tmp_path)], embedded_broker, env)
    outputs = [tmp_path / "proc-0.out", tmp_path / "proc-1.out"]
    _wait_until(lambda: "ready." in outputs[0].read_text(errors="replace")
                and "beat: Starting" in outputs[1].read_text(errors="replace"))
    for output in outputs:
        text = output.read_text(errors="replace")
        assert text.count("the root logger has none of oxlog's handlers") == 1
        assert "OXLOG_MERGE_LOGGING" in text
    # Celery's own format ("[time: LEVEL/Process] message") on the console, as without oxlog.
    assert "INFO/MainProcess] " in outputs[0].read_text(errors="replace")
    assert not (app_logs / "json.log").exists() or not (app_logs / "json.log").read_text()


def _worker_command(broker: Any) -> list[str]:
    import sys

    return [sys.executable, "-m", "celery", "-A", "tests.project", "worker", "-P", "prefork",
            "-c", "1", "-Q", broker.queue, "--without-mingle", "--without-gossip", "-l", "INFO"]


def _beat_command(tmp_path: Path) -> list[str]:
    import sys

    return [sys.executable, "-m", "celery", "-A", "tests.project", "beat",
            "-s", str(tmp_path / "celerybeat-schedule"), "-l", "INFO"]


def _wait_until(condition: Any, timeout: float = 40) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)
