"""``oxlog trace``: the tree it rebuilds, from either host order, by correlation or task id."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.logbuilder import Runner, Scenario


def shape(node: dict[str, Any]) -> tuple[str, list[Any]]:
    """Return a node as (name, children shapes), the structure the tests compare."""
    return node["name"], [shape(child) for child in node["children"]]


def find(node: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the node called ``name`` in the tree."""
    if node["name"] == name:
        return node
    for child in node["children"]:
        try:
            return find(child, name)
        except KeyError:
            continue
    raise KeyError(name)


EXPECTED = (
    "POST /orders/",
    [
        (
            "shop.tasks.a",
            [
                (
                    "shop.tasks.b",
                    [
                        ("shop.tasks.c1", []),
                        ("shop.tasks.c2", [("shop.tasks.d", [])]),
                        ("shop.tasks.c3", []),
                    ],
                )
            ],
        )
    ],
)


def trace_json(oxlog: Runner, scenario: Scenario, asked: str, *files: str) -> dict[str, Any]:
    """Run ``trace --json`` on the scenario's files and return the parsed output."""
    names = files or (str(scenario.web), str(scenario.worker))
    result = oxlog("trace", asked, "--json", *names)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_trace_by_correlation_id_rebuilds_the_tree(oxlog: Runner, scenario: Scenario) -> None:
    """Tracing the correlation id gives request -> A -> B -> C1, C2 (-> D), C3."""
    data = trace_json(oxlog, scenario, scenario.cid)
    assert data["root"]["kind"] == "request"
    assert shape(data["root"]) == EXPECTED


def test_trace_by_task_id_traces_the_whole_workflow_and_marks_it(oxlog: Runner, scenario: Scenario) -> None:
    """Tracing C2's task id gives the same tree with only C2 marked."""
    data = trace_json(oxlog, scenario, scenario.ids["C2"])
    assert shape(data["root"]) == EXPECTED
    assert find(data["root"], "shop.tasks.c2")["marked"] is True
    assert find(data["root"], "shop.tasks.b")["marked"] is False


def test_trace_accepts_an_eight_character_prefix(oxlog: Runner, scenario: Scenario) -> None:
    """An 8-character prefix of a task id is enough."""
    data = trace_json(oxlog, scenario, scenario.ids["D"][:8])
    assert shape(data["root"]) == EXPECTED


def test_host_order_does_not_change_the_tree(oxlog: Runner, scenario: Scenario) -> None:
    """Reading the skewed worker's file first still puts every child under its parent."""
    data = trace_json(oxlog, scenario, scenario.cid, str(scenario.worker), str(scenario.web))
    assert shape(data["root"]) == EXPECTED


def test_retried_task_reports_both_attempts(oxlog: Runner, scenario: Scenario) -> None:
    """C2 ends succeeded after one retry, with two attempts and the last attempt's wait."""
    c2 = find(trace_json(oxlog, scenario, scenario.cid)["root"], "shop.tasks.c2")
    assert (c2["state"], c2["retries"], c2["queue_wait_ms"]) == ("succeeded", 1, 60.0)
    assert [a["state"] for a in c2["attempts"]] == ["retrying", "succeeded"]


def test_failed_task_state_and_duration(oxlog: Runner, scenario: Scenario) -> None:
    """D is failed, with its duration and its queue."""
    d = find(trace_json(oxlog, scenario, scenario.cid)["root"], "shop.tasks.d")
    assert (d["state"], d["duration_ms"], d["queue"]) == ("failed", 100.0, "celery")


def test_each_node_holds_its_own_lines(oxlog: Runner, scenario: Scenario) -> None:
    """A's user line sits under A, and the request's lines under the root."""
    root = trace_json(oxlog, scenario, scenario.cid)["root"]
    assert "charging card" in [line["message"] for line in find(root, "shop.tasks.a")["lines"]]
    assert [line["message"] for line in root["lines"]] == [
        "request_started",
        "task_enqueued",
        "request_finished",
    ]


def test_beat_dispatch_is_the_root(oxlog: Runner, scenario: Scenario) -> None:
    """The beat workflow's root is the beat dispatch, with its entry and the task under it."""
    root = trace_json(oxlog, scenario, scenario.beat_cid)["root"]
    assert (root["kind"], root["name"]) == ("beat", "nightly-report (shop.tasks.report)")
    assert shape(root)[1] == [("shop.tasks.report", [])]


def test_no_lines_hides_lines(oxlog: Runner, scenario: Scenario) -> None:
    """``--no-lines`` leaves the tree but drops the log lines."""
    result = oxlog("trace", scenario.cid, "--no-lines", str(scenario.web), str(scenario.worker))
    assert "shop.tasks.c2" in result.stdout
    assert "charging card" not in result.stdout


def test_text_tree_puts_child_after_parent_despite_skew(oxlog: Runner, scenario: Scenario) -> None:
    """In the text output A's header comes after the request's lines although A's clock is earlier."""
    out = oxlog("trace", scenario.cid, str(scenario.worker), str(scenario.web)).stdout
    assert (
        out.index("request_finished")
        < out.index("shop.tasks.a  succeeded")
        < out.index("shop.tasks.b  succeeded")
    )


def test_text_output_has_no_colour_when_piped(oxlog: Runner, scenario: Scenario) -> None:
    """Piped output carries no ANSI codes."""
    out = oxlog("trace", scenario.cid, str(scenario.web), env={"NO_COLOR": ""}).stdout
    assert "\033[" not in out


def test_force_color_turns_colour_on(oxlog: Runner, scenario: Scenario) -> None:
    """FORCE_COLOR=1 colours piped output."""
    out = oxlog("trace", scenario.cid, str(scenario.web), env={"NO_COLOR": "", "FORCE_COLOR": "1"}).stdout
    assert "\033[" in out


def test_unknown_id_exits_1(oxlog: Runner, scenario: Scenario) -> None:
    """An ID found nowhere exits 1 with a message naming it."""
    result = oxlog("trace", "deadbeefdeadbeef", str(scenario.web))
    assert result.returncode == 1
    assert "no workflow or task matching 'deadbeefdeadbeef'" in result.stderr


def test_short_id_is_a_usage_error(oxlog: Runner, scenario: Scenario) -> None:
    """An ID shorter than 8 characters exits 2."""
    result = oxlog("trace", "abc", str(scenario.web))
    assert result.returncode == 2
    assert "at least 8" in result.stderr


def test_missing_file_exits_2_naming_it(oxlog: Runner, scenario: Scenario) -> None:
    """A missing file is an error naming the path."""
    result = oxlog("trace", scenario.cid, "nowhere/json.log")
    assert result.returncode == 2
    assert "no such log file: nowhere/json.log" in result.stderr


def test_stdin_is_read_with_dash(oxlog: Runner, scenario: Scenario) -> None:
    """``-`` reads an export piped in, even when a task id needs a second pass."""
    text = scenario.web.read_text() + scenario.worker.read_text()
    result = oxlog("trace", scenario.ids["C3"], "--json", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert shape(json.loads(result.stdout)["root"]) == EXPECTED


def test_task_id_one_pass_gives_the_same_tree_as_two_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A whole task ID in plain files takes the one-pass search (back to the workflow's root);
    the same file gzipped takes the two-pass search: both print the same tree."""
    import gzip
    import json as _json
    import subprocess
    import sys

    from tests.conftest import ROOT

    cid, root_task = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", "a3e5d1af-5636-49e6-aff9-86a3e3a766c5"
    child = "b1edd5af-a846-4d47-9e34-d96940935388"
    other = "0" * 32

    def line(message: str, **kw: object) -> str:
        base = {"timestamp": f"2026-12-01T20:00:{len(lines):02d}.000000Z", "level": "info",
                "logger": kw.pop("logger", "oxlog.celery"), "message": message, "process": 1}
        return _json.dumps({**base, **kw})

    lines: list[str] = []
    lines.append(line("noise before", correlation_id=other))
    lines.append(line("request_started", correlation_id=cid, request="GET /x"))
    lines += [line("filler", correlation_id=other, n=i) for i in range(2000)]
    lines.append(line("task_enqueued", correlation_id=cid, child_task_id=root_task,
                      child_task_name="a"))
    lines.append(line("task_started", correlation_id=cid, task_id=root_task, task_name="a",
                      root_task_id=root_task))
    lines.append(line("task_enqueued", correlation_id=cid, task_id=root_task, task_name="a",
                      root_task_id=root_task, child_task_id=child, child_task_name="b"))
    lines += [line("filler", correlation_id=other, n=i) for i in range(2000)]
    lines.append(line("task_started", correlation_id=cid, task_id=child, task_name="b",
                      parent_task_id=root_task, root_task_id=root_task))
    lines.append(line("task_succeeded", correlation_id=cid, task_id=child, task_name="b",
                      parent_task_id=root_task, root_task_id=root_task, duration_ms=1.0))
    text = "\n".join(lines) + "\n"
    (tmp_path / "json.log").write_text(text)
    with gzip.open(tmp_path / "json.log.gz", "wt") as handle:
        handle.write(text)
    trees = []
    for name in ("json.log", "json.log.gz"):
        run = subprocess.run([sys.executable, "-m", "oxlog", "trace", child, "--json",
                              str(tmp_path / name)], capture_output=True, text=True,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True)
        trees.append(_json.loads(run.stdout))
    assert trees[0] == trees[1]
    assert trees[0]["root"]["kind"] == "request"
    (a_node,) = trees[0]["root"]["children"]
    assert a_node["id"] == root_task and [c["id"] for c in a_node["children"]] == [child]


def test_a_missing_id_is_named_alone(oxlog: Runner, scenario: Scenario) -> None:
    """``oxlog trace`` alone: a usage error about ID, not "ID, FILES"."""
    result = oxlog("trace")
    assert result.returncode == 2
    assert "trace needs an ID" in result.stderr
    assert "required: ID, FILES" not in result.stderr
