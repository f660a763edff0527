"""``oxlog trace ID``: rebuild one workflow as a tree from correlation id or task id.

Pass 1 keeps only the lines containing ID as bytes (one ``bytes.find`` per block) and decodes
those. When ID is the correlation id, these lines already hold the workflow. When it is a
task id, they name the task's correlation id, and pass 2 collects the lines containing it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from oxlog._schema import (
    CHILD_TASK_ID,
    COMMAND_STARTED,
    CORRELATION_ID,
    PARENT_TASK_ID,
    REQUEST_STARTED,
    ROOT_TASK_ID,
    TASK_ID,
)
from oxlog.cli import waterfall
from oxlog.cli.errors import EXIT_FOUND, EXIT_OK, CliError
from oxlog.cli.reading import (
    FileSource,
    Record,
    Skipped,
    Source,
    iter_lines_containing,
    lines_at,
    lines_before,
    parse_record,
    resolve_sources,
)
from oxlog.cli.render import tree_lines, workflow_dict
from oxlog.cli.style import Style, wants_colour
from oxlog.cli.workflow import build_workflow

MIN_PREFIX = 8
TASK_FIELDS = (TASK_ID, CHILD_TASK_ID, PARENT_TASK_ID, ROOT_TASK_ID)
NAME = "trace"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``trace`` and its options."""
    parser = subparsers.add_parser(
        NAME,
        help="print one workflow as a tree",
        description="Print the workflow of a correlation id or task id as a tree.",
    )
    # nargs="?" so that a missing ID is reported alone: argparse would also call the
    # optional FILES "required" ("the following arguments are required: ID, FILES").
    parser.add_argument("id", metavar="ID", nargs="?",
                        help="correlation id or task id (>= 8 characters)")
    parser.add_argument("files", metavar="FILES", nargs="*", help="json.log files, .gz, or -")
    parser.add_argument("--no-lines", action="store_true", help="hide each node's log lines")
    parser.add_argument("--json", action="store_true", help="print the tree as JSON")
    parser.add_argument("--html", metavar="FILE", type=Path,
                        help="also write the workflow as a waterfall: one self-contained HTML file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Find the workflow, build its tree and print it."""
    if args.id is None:
        raise CliError("trace needs an ID: oxlog trace ID [FILES ...] (a correlation id, "
                       "a task id, or 8 or more of their first characters)")
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
    if args.html is not None:
        try:
            waterfall.write(workflow_dict(workflow, asked, True), args.html)
        except OSError as error:
            raise CliError(f"cannot write {args.html}: {error.strerror or error}") from None
        sys.stderr.write(f"oxlog: wrote the waterfall to {args.html}\n")
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
    fast = _find_by_task_id(sources, asked, skipped)
    if fast is not None:
        return fast
    first_skips = Skipped()
    found = collect(sources, asked, first_skips, "searching")
    target = resolve(asked, [record for _, record in found])
    if target.key_field == CORRELATION_ID and target.value.lower().startswith(asked):
        skipped.not_json += first_skips.not_json
        skipped.not_record += first_skips.not_record
        return _belonging(found, target), target
    again = collect(sources, target.value, skipped, "collecting")
    return _belonging(again, target), target


_FULL_TASK_ID = re.compile(
    r"(?:[0-9a-f]{32}_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROOT_MESSAGES = frozenset({REQUEST_STARTED, COMMAND_STARTED})


def _find_by_task_id(
    sources: list[Source], asked: str, skipped: Skipped
) -> tuple[list[tuple[int, Record]], Target] | None:
    """One pass for a whole task ID in plain files (``None``: use the two-pass search).

    The task's first line (its ``task_enqueued``) names the correlation ID; the
    workflow's lines are those containing it after that line, and before it back to
    the workflow's root line (``request_started``, ``command_started``, beat's
    "Sending due task"), so the file is read about once instead of twice.
    """
    files = [s for s in sources if isinstance(s, FileSource) and s.path.suffix != ".gz"]
    if not _FULL_TASK_ID.fullmatch(asked) or len(files) != len(sources):
        return None
    hit = _first_task_line(files, asked)
    if hit is None:
        return None
    index, offset, cid = hit
    needle = cid.encode()
    lines = list(_back_to_root(files[: index + 1], needle, offset))
    lines += [found for _, found in lines_at(files[index].path, needle, offset)]
    lines += [found for f in files[index + 1:] for _, found in lines_at(f.path, needle)]
    records = [(seq, r) for seq, r in enumerate(parse_record(x, skipped) for x in lines)
               if r is not None]
    target = Target(CORRELATION_ID, cid, {asked})
    return _belonging(records, target), target


def _first_task_line(files: list[FileSource], asked: str) -> tuple[int, int, str] | None:
    """File index, offset and correlation ID of the first line naming *asked* as a task."""
    for index, source in enumerate(files):
        for offset, line in lines_at(source.path, asked.encode()):
            record = parse_record(line, Skipped())
            if record is None or asked not in (record.get(k) for k in TASK_FIELDS):
                continue  # the ID mentioned in passing, not this task's own line
            cid = _text(record.get(CORRELATION_ID))
            return (index, offset, cid) if cid else None
    return None


def _back_to_root(files: list[FileSource], needle: bytes, offset: int) -> list[bytes]:
    """Lines containing *needle* before *offset* in the last file (and the files before
    it), in file order, from the workflow's root line on."""
    found: list[bytes] = []
    ends = [offset] + [f.size() or 0 for f in reversed(files[:-1])]
    for source, end in zip(reversed(files), ends, strict=True):
        for line in lines_before(source.path, needle, end):
            found.append(line)
            if _is_root(line):
                return found[::-1]
    return found[::-1]


def _is_root(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and (record.get("message") in ROOT_MESSAGES or (
        record.get("logger") == "celery.beat" and TASK_ID not in record))


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
        correlation = _text(record.get(CORRELATION_ID))
        if correlation and correlation.lower().startswith(asked):
            workflows.add(correlation)
        for key in TASK_FIELDS:
            value = _text(record.get(key))
            if value and value.lower().startswith(asked):
                tasks[value] = tasks.get(value) or correlation
                roots.setdefault(value, _text(record.get(ROOT_TASK_ID)) or value)
    if workflows:
        return _single(CORRELATION_ID, workflows, asked)
    if not tasks:
        raise CliError(f"no workflow or task matching {asked!r} in the input", EXIT_FOUND)
    return _task_target(asked, tasks, roots)


def _task_target(asked: str, tasks: dict[str, str | None], roots: dict[str, str]) -> Target:
    """Resolve task ids to their workflow: by correlation id, else by Celery's root id."""
    correlations = {value for value in tasks.values() if value}
    if correlations:
        target = _single(CORRELATION_ID, correlations, asked)
    else:
        target = _single(ROOT_TASK_ID, set(roots.values()), asked)
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
    if target.key_field == CORRELATION_ID:
        return [(seq, rec) for seq, rec in found if rec.get(CORRELATION_ID) == target.value]
    wanted = target.value
    return [
        (seq, rec)
        for seq, rec in found
        if wanted in (rec.get(ROOT_TASK_ID), rec.get(TASK_ID), rec.get(CHILD_TASK_ID))
    ]


def _text(value: object) -> str | None:
    """Return ``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None
