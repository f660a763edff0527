"""The command line on logs written by real workers: the demo, trace, lost and stats."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, read_json

pytestmark = pytest.mark.slow


def _oxlog(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oxlog", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**_clean_env(), **(env or {})})


def _clean_env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OXLOG_", "DJANGO_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: Any) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("demo")
    # A generous wait: the demo takes ~9 s, but a loaded CI machine must not fail it.
    run = _oxlog("demo", "--dir", str(tmp / "logs"), "--timeout", "240", cwd=tmp)
    assert run.returncode == 0, run.stderr[-3000:]
    records = read_json(tmp / "logs" / "json.log")
    cid = next(r["correlation_id"] for r in records if r["message"] == "order_received")
    return {"tmp": tmp, "run": run, "records": records, "cid": cid}


def test_demo_prints_the_trace_of_its_request(demo: Any) -> None:
    """The demo ends with the tree of its request: every task of the workflow, by name."""
    out = demo["run"].stdout
    assert f"correlation ID {demo['cid']}" in out
    for name in ("process_order", "reserve_stock", "charge_card", "notify", "summarize",
                 "send_invoice"):
        assert f"oxlog.demo.project.tasks.{name}" in out
    assert "failed" in out and "retries 1" in out


def test_trace_rebuilds_exactly_the_published_tree(demo: Any) -> None:
    """trace --json gives, for every task, the parent that published it (from task_enqueued)."""
    run = _oxlog("trace", demo["cid"], "--json", str(demo["tmp"] / "logs" / "json.log"),
                 cwd=demo["tmp"])
    assert run.returncode == 0, run.stderr
    tree = json.loads(run.stdout)
    found: dict[str, str | None] = {}

    def walk(node: dict[str, Any], parent: str | None) -> None:
        task_id = node["id"] if node["kind"] == "task" else None
        if task_id:
            found[task_id] = parent
        for child in node["children"]:
            walk(child, task_id)

    assert tree["root"]["kind"] == "request"
    walk(tree["root"], None)
    published = {r["child_task_id"]: r.get("task_id") for r in demo["records"]
                 if r["message"] == "task_enqueued" and r.get("correlation_id") == demo["cid"]
                 and r["child_task_id"] != r.get("task_id")}
    assert found == published


def test_stats_counts_match_the_events_in_the_file(demo: Any) -> None:
    """stats --json: per task name, the tasks, failures and retries counted in json.log."""
    run = _oxlog("stats", "--json", str(demo["tmp"] / "logs" / "json.log"), cwd=demo["tmp"])
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.stdout)["keys"]
    tasks = Counter(name for name, _ in {(r["task_name"], r["task_id"]) for r in demo["records"]
                                         if r["message"] == "task_started"})
    failed = Counter(r["task_name"] for r in demo["records"] if r["message"] == "task_failed")
    retried = Counter(r["task_name"] for r in demo["records"] if r["message"] == "task_retrying")
    for name, count in tasks.items():
        assert stats[name]["count"] == count, (name, stats[name])
        assert stats[name]["retried"] == retried[name], (name, stats[name])
    assert stats["oxlog.demo.project.tasks.send_invoice"]["failed"] == failed[
        "oxlog.demo.project.tasks.send_invoice"] == 1


def test_lost_finds_a_task_sent_to_a_queue_no_worker_consumes(tmp_path: Path) -> None:
    """A task published to an unconsumed queue is 'lost' (exit 1); the demo's tasks are not."""
    for sub in ("queue", "control", "results"):
        (tmp_path / "broker" / sub).mkdir(parents=True)
    env = {"DJANGO_SETTINGS_MODULE": "oxlog.demo.project.settings",
           "OXLOG_DIR": str(tmp_path / "logs"), "OXLOG_DEMO_BROKER_DIR": str(tmp_path / "broker"),
           "OXLOG_CONSOLE": "off"}
    subprocess.run([sys.executable, "-c", (
        "import django; django.setup()\n"
        "from oxlog.demo.project.tasks import nightly_report\n"
        "nightly_report.apply_async(queue='nobody-listens')\n")],
        check=True, env={**_clean_env(), **env}, timeout=60)
    log = str(tmp_path / "logs" / "json.log")
    run = _oxlog("lost", "--older-than", "0s", "--json", log, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    lost = json.loads(run.stdout)
    entries = lost if isinstance(lost, list) else lost.get("lost", [])
    assert [e["task_name"] for e in entries] == ["oxlog.demo.project.tasks.nightly_report"]
    assert entries[0]["queue"] == "nobody-listens"


def test_demo_writes_its_waterfall_and_says_where(demo: Any, browser: Any) -> None:
    """The demo's trace.html opens in Chromium with one row per node of its workflow.

    Its screenshot is docs/images/waterfall.png (``OXLOG_UPDATE_DOCS=1`` rewrites it).
    """
    import os

    from selenium.webdriver.common.by import By

    page = demo["tmp"] / "logs" / "trace.html"
    assert f"The waterfall, to open in a browser:  {page}" in demo["run"].stdout
    tree = json.loads(_oxlog("trace", demo["cid"], "--json", str(demo["tmp"] / "logs" / "json.log"),
                             cwd=demo["tmp"]).stdout)["root"]
    count, stack = 0, [tree]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(node["children"])
    browser.get(page.as_uri())
    assert len(browser.find_elements(By.CSS_SELECTOR, ".row")) == count
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    target = (ROOT / "docs" / "images" / "waterfall.png" if os.environ.get("OXLOG_UPDATE_DOCS")
              else demo["tmp"] / "waterfall.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    browser.find_elements(By.CSS_SELECTOR, ".row")[2].click()
    assert browser.save_screenshot(str(target))
