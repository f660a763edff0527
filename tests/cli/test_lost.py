"""``oxlog lost``: enqueued tasks nobody started, and its exit codes."""

from __future__ import annotations

import json

from oxlog.cli.lost import open_runs, select_lost
from oxlog.cli.times import parse_duration, parse_timestamp
from tests.cli.logbuilder import Runner, Scenario, make_id, stamp

LATER = stamp(3600)


def test_finds_the_task_sent_to_an_unconsumed_queue(oxlog: Runner, scenario: Scenario) -> None:
    """Only F (queue ``nobody``) is lost an hour later, and the exit code is 1."""
    result = oxlog("lost", "--json", "--now", LATER, str(scenario.web), str(scenario.worker))
    assert result.returncode == 1
    lost = json.loads(result.stdout)["lost"]
    assert [(r["task_id"], r["queue"], r["task_name"]) for r in lost] == [
        (scenario.ids["F"], "nobody", "shop.tasks.export")
    ]
    assert (lost[0]["args"], lost[0]["correlation_id"]) == ("('[REDACTED]',)", scenario.lost_cid)


def test_text_output_names_task_queue_and_args(oxlog: Runner, scenario: Scenario) -> None:
    """The table shows name, queue, correlation id and the redacted args."""
    out = oxlog("lost", "--now", LATER, str(scenario.web), str(scenario.worker)).stdout
    assert "shop.tasks.export" in out and "nobody" in out and scenario.lost_cid in out and "[REDACTED]" in out


def test_nothing_lost_within_the_threshold_exits_0(oxlog: Runner, scenario: Scenario) -> None:
    """Relative to the newest event, F is too recent for the default 10m: exit 0."""
    result = oxlog("lost", "--now", "newest", str(scenario.web), str(scenario.worker))
    assert result.returncode == 0
    assert result.stdout.startswith("no lost tasks")


def test_threshold_is_relative_to_the_newest_event(oxlog: Runner, scenario: Scenario) -> None:
    """With --now newest, a threshold shorter than F's age finds F."""
    result = oxlog("lost", "--older-than", "1ms", "--now", "newest", "--json", str(scenario.web),
                   str(scenario.worker))
    assert result.returncode == 1
    assert [r["task_id"] for r in json.loads(result.stdout)["lost"]] == [scenario.ids["F"]]


def test_worker_file_read_first_still_matches_starts(oxlog: Runner, scenario: Scenario) -> None:
    """Starts read before their enqueue lines (other host first) still close them."""
    result = oxlog("lost", "--json", "--now", LATER, str(scenario.worker), str(scenario.web))
    assert [r["task_id"] for r in json.loads(result.stdout)["lost"]] == [scenario.ids["F"]]


def test_retry_enqueue_is_closed_by_the_retry_start() -> None:
    """A retry's enqueue (child = itself) is closed by the start with retries + 1."""
    task = make_id("t")
    records = [
        {"timestamp": stamp(0), "message": "task_enqueued", "child_task_id": task},
        {"timestamp": stamp(1), "message": "task_started", "task_id": task},
        {"timestamp": stamp(2), "message": "task_enqueued", "task_id": task, "child_task_id": task},
        {"timestamp": stamp(3), "message": "task_started", "task_id": task, "retries": 1},
    ]
    assert open_runs(records) == []


def test_eta_in_the_future_is_not_lost() -> None:
    """A task scheduled with an eta is judged from its eta, not its enqueue time."""
    records = [
        {"timestamp": stamp(0), "message": "task_enqueued", "child_task_id": make_id("t"), "eta": stamp(7200)}
    ]
    pending = open_runs(records)
    assert select_lost(pending, parse_timestamp(stamp(3600)), parse_duration("10m")) == []


def test_bad_older_than_is_a_usage_error(oxlog: Runner, scenario: Scenario) -> None:
    """An unparseable --older-than exits 2."""
    assert oxlog("lost", "--older-than", "soon", str(scenario.web)).returncode == 2


def test_a_record_whose_timestamp_is_not_iso_is_ignored_not_a_crash(
        oxlog: Runner, scenario: Scenario, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A line with a syslog-style timestamp, sorting after the others, is not a reference time."""
    web = tmp_path / "web.log"
    web.write_text(scenario.web.read_text()
                   + '{"timestamp":"Dec 02 18:00:00","level":"info","message":"x"}\n'
                   + '{"timestamp":"Dec 02 18:00:01","level":"info","message":"task_enqueued",'
                     '"child_task_id":"abc"}\n')
    result = oxlog("lost", "--json", "--now", LATER, str(web), str(scenario.worker))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [r["task_id"] for r in json.loads(result.stdout)["lost"]] == [scenario.ids["F"]]
    relative = oxlog("lost", "--now", "newest", str(web), str(scenario.worker))
    assert relative.returncode == 0 and relative.stdout.startswith("no lost tasks")


def test_one_lost_task_is_said_in_the_singular(oxlog: Runner, scenario: Scenario) -> None:
    """'1 lost task', not '1 lost tasks'."""
    out = oxlog("lost", "--now", LATER, str(scenario.web), str(scenario.worker)).stdout
    assert out.startswith("1 lost task (")


def test_an_idle_live_system_shows_the_task_nobody_took(oxlog: Runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The last line is the publish, 15 minutes ago: by default the age counts to now."""
    from datetime import datetime, timedelta, timezone

    sent = (datetime.now(timezone.utc) - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    log = tmp_path / "json.log"
    log.write_text(json.dumps({"timestamp": sent, "level": "info", "message": "task_enqueued",
                               "child_task_id": "c0ffee00-1111-2222-3333-444455556666",
                               "child_task_name": "shop.tasks.export", "queue": "nobody"}) + "\n")
    result = oxlog("lost", "--json", str(log))
    assert result.returncode == 1
    assert [r["task_id"] for r in json.loads(result.stdout)["lost"]] == [
        "c0ffee00-1111-2222-3333-444455556666"]
    assert oxlog("lost", "--now", "newest", str(log)).returncode == 0
