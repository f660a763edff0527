"""``oxlog stats``: counts, rates and percentiles per task name or queue."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path
from typing import Any

from oxlog.cli.stats import Sample, percentile
from tests.cli.logbuilder import Host, Runner, Scenario, enqueue, make_cid, make_id, run_task, task_context


def stats_json(oxlog: Runner, *args: str) -> dict[str, Any]:
    """Run ``stats --json`` and return the per-key figures."""
    result = oxlog("stats", "--json", *args)
    assert result.returncode == 0, result.stderr
    keys: dict[str, Any] = json.loads(result.stdout)["keys"]
    return keys


def test_counts_and_rates_per_task_name(oxlog: Runner, scenario: Scenario) -> None:
    """C2 finished once after one retry; D failed; each counted once."""
    keys = stats_json(oxlog, str(scenario.web), str(scenario.worker))
    c2, d = keys["shop.tasks.c2"], keys["shop.tasks.d"]
    assert (c2["count"], c2["retries"], c2["retry_rate"], c2["failure_rate"]) == (1, 1, 1.0, 0.0)
    assert (d["count"], d["failed"], d["failure_rate"]) == (1, 1, 1.0)


def test_scenario_percentiles_match_the_logged_values(oxlog: Runner, scenario: Scenario) -> None:
    """Every task name's duration and queue-wait percentiles match the values written."""
    keys = stats_json(oxlog, str(scenario.web), str(scenario.worker))
    assert set(keys) == set(scenario.durations)
    for name, durations in scenario.durations.items():
        assert keys[name]["duration_ms"]["p50"] == statistics.median(durations)
        assert keys[name]["queue_wait_ms"]["p50"] == statistics.median(scenario.waits[name])


def many_tasks(path: Path, count: int = 300) -> tuple[list[float], list[float]]:
    """Write ``count`` runs of one task with random figures; return durations and waits."""
    rng = random.Random(7)
    host = Host()
    durations, waits = [], []
    for index in range(count):
        cid, task_id = make_cid(f"w{index}"), make_id(f"t{index}")
        durations.append(round(rng.uniform(1, 500), 3))
        waits.append(round(rng.expovariate(1 / 50), 3))
        enqueue(host, index, {"correlation_id": cid}, task_id, "shop.tasks.bulk", queue="bulk")
        run_task(
            host,
            index + 0.5,
            task_context(cid, "shop.tasks.bulk", task_id, None, task_id),
            waits[-1],
            durations[-1],
        )
    path.write_text("\n".join(host.lines()) + "\n")
    return durations, waits


def expected(values: list[float]) -> dict[str, float]:
    """Return p50/p95/p99 computed independently (statistics' inclusive method)."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


def test_percentiles_match_computed_values(oxlog: Runner, tmp_path: Path) -> None:
    """p50, p95 and p99 of duration and queue wait equal an independent computation."""
    durations, waits = many_tasks(tmp_path / "json.log")
    figures = stats_json(oxlog, str(tmp_path / "json.log"))["shop.tasks.bulk"]
    assert figures["count"] == 300
    for key, values in (("duration_ms", durations), ("queue_wait_ms", waits)):
        for name, value in expected(values).items():
            assert abs(figures[key][name] - value) < 1e-9


def test_group_by_queue(oxlog: Runner, scenario: Scenario) -> None:
    """``--by queue`` joins runs to the queue of their enqueue line."""
    keys = stats_json(oxlog, "--by", "queue", str(scenario.worker), str(scenario.web))
    assert (keys["chords"]["count"], keys["celery"]["count"]) == (3, 4)


def test_since_filters_older_events(oxlog: Runner, scenario: Scenario) -> None:
    """``--since`` keeps only events at or after it (here: only the beat workflow's task)."""
    keys = stats_json(oxlog, "--since", "2026-12-01T19:59:57Z", str(scenario.web), str(scenario.worker))
    assert list(keys) == ["shop.tasks.report"]


def test_relative_since_counts_back_from_now(oxlog: Runner, scenario: Scenario) -> None:
    """``--since 1h --now`` a day later finds nothing."""
    keys = stats_json(
        oxlog, "--since", "1h", "--now", "2026-12-02T20:00:00Z", str(scenario.web), str(scenario.worker)
    )
    assert keys == {}


def test_table_output_lists_task_names(oxlog: Runner, scenario: Scenario) -> None:
    """The table has a row per task name."""
    out = oxlog("stats", str(scenario.web), str(scenario.worker)).stdout
    assert out.splitlines()[0].split()[:2] == ["task_name", "count"]
    assert "shop.tasks.c2" in out


def test_percentile_interpolates_linearly() -> None:
    """p50 of 1..4 is 2.5, p100 the maximum, empty input None."""
    assert (percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 100), percentile([], 50)) == (2.5, 4, None)


def test_sample_is_capped() -> None:
    """Past its cap a sample keeps a fixed number of values but counts them all."""
    sample = Sample(cap=100)
    for value in range(10_000):
        sample.add(float(value))
    assert (len(sample.values), sample.seen) == (100, 10_000)


def test_a_delayed_run_is_counted_apart_not_as_queue_wait(oxlog: Runner, tmp_path: Path) -> None:
    """A countdown/ETA run (``eta`` on its received line) waited on purpose: not a backlog."""
    lines = []
    for n, (wait, eta) in enumerate([(5.0, None), (7.0, None), (1000.0, "2026-12-02T18:00:01Z")]):
        task = f"t{n}"
        head = {"level": "info", "task_id": task, "task_name": "celery.chord_unlock"}
        received = {"timestamp": f"2026-12-02T18:00:0{n}.000000Z", "message": "task_received", **head}
        if eta:
            received["eta"] = eta
        lines += [received,
                  {"timestamp": f"2026-12-02T18:00:0{n}.100000Z", "message": "task_started",
                   "queue_wait_ms": wait, **head},
                  {"timestamp": f"2026-12-02T18:00:0{n}.200000Z", "message": "task_succeeded",
                   "duration_ms": 1.0, **head}]
    (tmp_path / "json.log").write_text("".join(json.dumps(line) + "\n" for line in lines))
    figures = stats_json(oxlog, str(tmp_path / "json.log"))["celery.chord_unlock"]
    assert figures["count"] == 3 and figures["delayed"] == 1
    assert figures["queue_wait_ms"]["p50"] == 6.0 and figures["queue_wait_ms"]["p99"] < 7.0
    table = oxlog("stats", str(tmp_path / "json.log")).stdout
    assert "delayed" in table.splitlines()[0]
