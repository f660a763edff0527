"""Every manage.py command runs with its own correlation ID, shared by what it publishes."""

from __future__ import annotations

from typing import Any

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("publish_one")
call_command("publish_one")
"""


def test_each_command_gets_its_own_id_shared_by_its_lines_and_tasks(run_python: Any) -> None:
    """command_started/finished, the command's lines and task_enqueued share one fresh ID."""
    records = run_python(SCRIPT).json()
    started = [r for r in records if r["message"] == "command_started"]
    assert [r["command"] for r in started] == ["publish_one", "publish_one"]
    cids = [r["correlation_id"] for r in started]
    assert len(set(cids)) == 2
    for cid in cids:
        mine = [r for r in records if r.get("correlation_id") == cid and r["logger"] != "kombu.connection"]
        assert [r["message"] for r in mine] == ["command_started", "publishing_from_command",
                                                "task_enqueued", "command_finished"]
        assert mine[-1]["duration_ms"] >= 0
        assert mine[2]["child_task_name"] == "tests.project.shop.tasks.numbered"


def test_excluded_commands_get_no_command_id(run_python: Any) -> None:
    """Commands in OXLOG_COMMANDS_EXCLUDE run without one (each request or task has its own)."""
    records = run_python(SCRIPT, env={"OXLOG_COMMANDS_EXCLUDE": "publish_one"}).json()
    assert not [r for r in records if r["message"].startswith("command_")]
    enqueued = [r for r in records if r["message"] == "task_enqueued"]
    assert len(enqueued) == 2 and enqueued[0]["correlation_id"] != enqueued[1]["correlation_id"]
