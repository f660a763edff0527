"""``oxlog trace ID``: rebuild one workflow as a tree from correlation id or task id.

Pass 1 keeps only the lines containing ID as bytes (one ``bytes.find`` per block) and decodes
those. When ID is the correlation id, these lines already hold the workflow. When it is a
task id, they name the task's correlation id, and pass 2 collects the lines containing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from oxlog.cli.errors import EXIT_FOUND, EXIT_OK, CliError
from oxlog.cli.reading import (
    Record,
    Skipped,
    Source,
    iter_lines_containing,
    parse_record,
    resolve_sources,
)
from oxlog.cli.render import tree_lines, workflow_dict
from oxlog.cli.style import Style, wants_colour
from oxlog.cli.workflow import build_workflow

MIN_PREFIX = 8
TASK_FIELDS = ("task_id", "child_task_id", "parent_task_id", "root_task_id")
NAME = "trace"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``trace`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="print one workflow as a tree",
        description="Print the workflow of a correlation id or task id as a tree.",
    )
    parser.add_argument("id", metavar="ID", help="correlation id or task id (>= 8 characters)")
    parser.add_argument("files", metavar="FILES", nargs="*", help="json.log files, .gz, or -")
    parser.add_argument("--no-lines", action="store_true", help="hide each node's log lines")
    parser.add_argument("--json", action="store_true", help="print the tree as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Find the workflow, build its tree and print it."""
    asked = args.id.strip().lower()
    if len(asked) < MIN_PREFIX:
        raise CliError(f"ID must have at least {MIN_PREFIX} characters: {args.id!r}")
    sources = resolve_sources(args.files)
    skipped = Skipped()
    try:
        workflow_lines, target = find_workflow(sources, asked, skipped)
    finally:
        skipped.report()
    workflow = build_workflow(workflow_lines, target.key_field, target.value, target.marked)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * (len(workflow.tasks) + 50)))
    if args.json:
        json.dump(workflow_dict(workflow, asked, not args.no_lines), sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        style = Style(wants_colour(sys.stdout))
        for text in tree_lines(workflow, style, not args.no_lines):
            sys.stdout.write(text + "\n")
    return EXIT_OK


@dataclass
class Target:
    """What the asked-for ID resolved to: the workflow's key and the tasks to mark."""

    key_field: str
    value: str
    marked: set[str] = field(default_factory=set)


def find_workflow(
    sources: list[Source], asked: str, skipped: Skipped
) -> tuple[list[tuple[int, Record]], Target]:
    """Return the workflow's lines (with input order) and what ID resolved to.

    Skipped lines are counted from the pass whose lines make the workflow, so none twice.
    """
    first_skips = Skipped()
    found = collect(sources, asked, first_skips, "searching")
    target = resolve(asked, [record for _, record in found])
    if target.key_field == "correlation_id" and target.value.lower().startswith(asked):
        skipped.not_json += first_skips.not_json
        skipped.not_record += first_skips.not_record
        return _belonging(found, target), target
    again = collect(sources, target.value, skipped, "collecting")
    return _belonging(again, target), target


def collect(sources: list[Source], needle: str, skipped: Skipped, label: str) -> list[tuple[int, Record]]:
    """Decode the lines that contain ``needle``, numbered in input order."""
    out: list[tuple[int, Record]] = []
    lines = iter_lines_containing(sources, needle.encode(), label)
    for seq, line in enumerate(lines):
        record = parse_record(line, skipped)
        if record is not None:
            out.append((seq, record))
    return out


def resolve(asked: str, records: Iterable[Record]) -> Target:
    """Work out the workflow an ID prefix names, or raise the exit-1 error."""
    workflows: set[str] = set()
    tasks: dict[str, str | None] = {}
    roots: dict[str, str] = {}
    for record in records:
        correlation = _text(record.get("correlation_id"))
        if correlation and correlation.lower().startswith(asked):
            workflows.add(correlation)
        for key in TASK_FIELDS:
            value = _text(record.get(key))
            if value and value.lower().startswith(asked):
                tasks[value] = tasks.get(value) or correlation
                roots.setdefault(value, _text(record.get("root_task_id")) or value)
    if workflows:
        return _single("correlation_id", workflows, asked)
    if not tasks:
        raise CliError(f"no workflow or task matching {asked!r} in the input", EXIT_FOUND)
    return _task_target(asked, tasks, roots)


def _task_target(asked: str, tasks: dict[str, str | None], roots: dict[str, str]) -> Target:
    """Resolve task ids to their workflow: by correlation id, else by Celery's root id."""
    correlations = {value for value in tasks.values() if value}
    if correlations:
        target = _single("correlation_id", correlations, asked)
    else:
        target = _single("root_task_id", set(roots.values()), asked)
    target.marked = set(tasks)
    return target


def _single(key_field: str, values: set[str], asked: str) -> Target:
    """Return the one workflow, or raise the exit-1 error listing the candidates."""
    if len(values) > 1:
        listed = ", ".join(sorted(values)[:10])
        raise CliError(f"{asked!r} is ambiguous: it matches several workflows ({listed})", EXIT_FOUND)
    return Target(key_field, next(iter(values)))


def _belonging(found: list[tuple[int, Record]], target: Target) -> list[tuple[int, Record]]:
    """Keep the records of the target workflow (a line may mention an id in passing)."""
    if target.key_field == "correlation_id":
        return [(seq, rec) for seq, rec in found if rec.get("correlation_id") == target.value]
    wanted = target.value
    return [
        (seq, rec)
        for seq, rec in found
        if wanted in (rec.get("root_task_id"), rec.get("task_id"), rec.get("child_task_id"))
    ]


def _text(value: object) -> str | None:
    """Return ``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None
