"""Building the workflow tree from records directly (no subprocess)."""

from __future__ import annotations

from typing import Any

from oxlog.cli.trace import resolve
from oxlog.cli.workflow import build_workflow
from tests.cli.logbuilder import make_id, stamp


def rec(at: float, message: str, **keys: Any) -> dict[str, Any]:
    """Return a minimal oxlog record."""
    return {"timestamp": stamp(at), "level": "info", "message": message, "correlation_id": "c" * 32, **keys}


def test_child_without_enqueue_line_hangs_under_declared_parent() -> None:
    """When the enqueue line is missing, parent_task_id places the task."""
    parent, child = make_id("p"), make_id("c")
    records = [
        rec(1, "task_started", task_id=parent, task_name="p"),
        rec(0, "task_started", task_id=child, task_name="c", parent_task_id=parent),
    ]
    tree = build_workflow(enumerate(records), "correlation_id", "c" * 32)
    assert [n.name for n in tree.root.children] == ["p"]
    assert [n.name for n in tree.root.children[0].children] == ["c"]


def test_unknown_parent_becomes_a_placeholder() -> None:
    """A parent never seen in the input appears as an ``unknown`` node under the root."""
    child = make_id("c")
    records = [rec(0, "task_started", task_id=child, task_name="c", parent_task_id=make_id("gone"))]
    tree = build_workflow(enumerate(records), "correlation_id", "c" * 32)
    placeholder = tree.root.children[0]
    assert (placeholder.state, [n.name for n in placeholder.children]) == ("unknown", ["c"])


def test_enqueued_only_task_is_in_enqueued_state() -> None:
    """A task with only its enqueue line is shown as enqueued."""
    child = make_id("c")
    records = [rec(0, "task_enqueued", child_task_id=child, child_task_name="c", queue="q")]
    tree = build_workflow(enumerate(records), "correlation_id", "c" * 32)
    assert (tree.root.children[0].state, tree.root.children[0].queue) == ("enqueued", "q")


def test_lines_of_a_node_are_ordered_by_attempt_then_time() -> None:
    """A retry's lines follow the first attempt's even with an earlier (skewed) clock."""
    task = make_id("t")
    records = [
        rec(5, "task_started", task_id=task, task_name="t"),
        rec(1, "task_started", task_id=task, task_name="t", retries=1),
    ]
    tree = build_workflow(enumerate(records), "correlation_id", "c" * 32)
    assert [line.record.get("retries", 0) for line in tree.tasks[task].lines] == [0, 1]


def test_resolve_prefers_the_correlation_id() -> None:
    """An ID matching a correlation id resolves to it, with nothing marked."""
    target = resolve("cccccccc", [rec(0, "x", task_id=make_id("t"))])
    assert (target.key_field, target.value, target.marked) == ("correlation_id", "c" * 32, set())


def test_resolve_reports_ambiguous_prefixes() -> None:
    """A prefix matching two workflows is an error that lists them."""
    first = {**rec(0, "x"), "correlation_id": "abcdef01" + "1" * 24}
    second = {**rec(0, "x"), "correlation_id": "abcdef01" + "2" * 24}
    try:
        resolve("abcdef01", [first, second])
    except Exception as error:
        assert "ambiguous" in str(error)
    else:
        raise AssertionError("expected an ambiguity error")
