"""``oxlog trace ID --html``: the waterfall, checked in a real headless Chromium."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oxlog.cli import waterfall
from tests.cli.logbuilder import Runner, Scenario


def _t(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _expected_bars(tree: dict[str, Any]) -> tuple[list[dict[str, Any]], datetime, float]:
    """Each node in tree order with its run's start and end, and the axis: the documented rule."""
    nodes, stack = [], [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(reversed(node["children"]))
    starts, ends = [], []
    for node in nodes:
        enqueued = _t(node["enqueued_at"])
        started = _t(node["started_at"]) or _t(node["received_at"])
        finished = _t(node["finished_at"]) or max(_t(r["timestamp"]) for r in node["lines"])
        node["_run"] = (started, finished)
        starts += [t for t in (enqueued, started) if t]
        ends += [t for t in (finished, started, enqueued) if t]
    t0 = min(starts)
    return nodes, t0, (max(ends) - t0).total_seconds()


@pytest.fixture
def page(oxlog: Runner, scenario: Scenario, tmp_path: Path, browser: Any) -> Any:
    out = tmp_path / "trace.html"
    result = oxlog("trace", scenario.cid, str(scenario.web), str(scenario.worker), "--html", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote the waterfall to {out}" in result.stderr
    tree = json.loads(oxlog("trace", scenario.cid, "--json", str(scenario.web),
                            str(scenario.worker)).stdout)["root"]
    browser.get(out.as_uri())
    return browser, tree, out


def test_one_row_per_node_in_tree_order_with_bars_where_the_times_say(page: Any) -> None:
    """Each run bar's left edge and width are its times on the axis, within a pixel."""
    from selenium.webdriver.common.by import By

    driver, tree, _ = page
    nodes, t0, span = _expected_bars(tree)
    rows = driver.find_elements(By.CSS_SELECTOR, ".row")
    assert [r.get_attribute("data-id") for r in rows] == [n["id"] for n in nodes]
    tracks = [r.find_element(By.CSS_SELECTOR, ".track").rect for r in rows]
    assert {(t["x"], t["width"]) for t in tracks} == {(tracks[0]["x"], tracks[0]["width"])}
    for row, node in zip(rows, nodes, strict=True):
        track = row.find_element(By.CSS_SELECTOR, ".track").rect
        bar = row.find_element(By.CSS_SELECTOR, ".bar.run").rect
        start, end = node["_run"]
        left = track["x"] + (start - t0).total_seconds() / span * track["width"]
        width = (end - start).total_seconds() / span * track["width"]
        assert abs(bar["x"] - left) <= 1, node["name"]
        assert abs(bar["width"] - max(width, 1)) <= 1, node["name"]
    retried = {n["id"] for n in nodes if n.get("retries")}
    assert retried and {r.get_attribute("data-id") for r in rows
                        if r.find_elements(By.CSS_SELECTOR, ".retries")} == retried
    failed = [r for r in rows if r.get_attribute("data-state") == "failed"]
    assert failed and all(r.find_element(By.CSS_SELECTOR, ".bar.run").get_attribute("class")
                          == "bar run failed" for r in failed)


def test_a_click_shows_the_rows_own_lines_and_nothing_errs(page: Any) -> None:
    """Lines are hidden until their row is clicked; the page logs no console error."""
    from selenium.webdriver.common.by import By

    driver, tree, _ = page
    task = tree["children"][0]
    row = driver.find_element(By.CSS_SELECTOR, f'.row[data-id="{task["id"]}"]')
    lines = row.find_element(By.XPATH, "following-sibling::pre[1]")
    assert not lines.is_displayed()
    row.click()
    assert lines.is_displayed()
    assert [m for m in (r["message"] for r in task["lines"]) if m not in lines.text] == []
    row.click()
    assert not lines.is_displayed()
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


def test_the_page_is_self_contained(page: Any) -> None:
    """No network: no src, href or url() pointing anywhere."""
    _, _, out = page
    text = out.read_text()
    assert "http://" not in text and "https://" not in text and "src=" not in text
    assert "url(" not in text and "@import" not in text


def test_a_thousand_tasks_stay_usable(browser: Any, tmp_path: Path) -> None:
    """1,000 tasks: every row there, the last one clickable."""
    from selenium.webdriver.common.by import By

    def task(n: int) -> dict[str, Any]:
        at = f"2026-12-01T20:00:{n // 100:02d}.{n % 100:02d}0000Z"
        end = f"2026-12-01T20:00:{n // 100:02d}.{n % 100:02d}5000Z"
        return {"kind": "task", "id": f"t{n}", "name": f"shop.tasks.step{n}", "state": "succeeded",
                "enqueued_at": at, "received_at": at, "started_at": at, "finished_at": end,
                "duration_ms": 5.0, "retries": 0, "attempts": [], "children": [],
                "lines": [{"timestamp": at, "level": "info", "message": f"step {n} done"}]}

    root = {"kind": "request", "id": "r", "name": "POST /bulk/", "state": "succeeded",
            "enqueued_at": None, "received_at": None, "started_at": "2026-12-01T20:00:00.000000Z",
            "finished_at": "2026-12-01T20:00:10.000000Z", "duration_ms": 10_000.0, "attempts": [],
            "lines": [], "children": [task(n) for n in range(1000)]}
    out = waterfall.write({"key": "c" * 32, "root": root}, tmp_path / "big.html")
    browser.get(out.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, ".row")
    assert len(rows) == 1001
    assert "1000 tasks, 0 failed" in browser.find_element(By.CSS_SELECTOR, ".totals").text
    browser.execute_script("arguments[0].scrollIntoView()", rows[-1])
    rows[-1].click()
    assert "step 999 done" in rows[-1].find_element(By.XPATH, "following-sibling::pre[1]").text
