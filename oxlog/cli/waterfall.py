"""``oxlog trace ID --html FILE``: the workflow as a waterfall, in one self-contained HTML file.

One row per request and task, in tree order (children under their publisher, indented),
on one time axis: a light bar for the time a task waited in the queue (enqueued →
started) and a solid bar for its run (started → finished), coloured by outcome, a
retried task marked "retried N times". The
totals (tasks, failed, retried, the workflow's span) are at the top; clicking a row
shows its own log lines. No network, no CDN, no font: one file, inline CSS and a few
lines of inline JavaScript, so it opens from a mail attachment or a CI artefact.

Geometry (what the browser test checks): the axis starts at ``t0``, the earliest
enqueue or start of any node, and ends at ``t1``, the latest finish (or line) of any
node; a bar from *a* to *b* has ``left = (a - t0) / (t1 - t0)`` and ``width = (b - a) /
(t1 - t0)`` of the track, as percentages written into the page, so the browser lays
out what Python computed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from oxlog.cli.times import parse_timestamp

#: Colours of a run's bar by the node's final state.
STATE_CLASSES = {"succeeded": "ok", "failed": "failed", "retrying": "retry", "revoked": "failed",
                 "rejected": "failed", "unknown": "unknown"}


def rows(root: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(depth, node)`` for every node of the tree, parent before children, in order."""
    stack = [(0, root)]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        stack.extend((depth + 1, child) for child in reversed(node.get("children", [])))


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def node_times(node: dict[str, Any]) -> tuple[datetime | None, datetime | None, datetime | None]:
    """``(enqueued, started, finished)`` of a node, the run's start falling back to receipt."""
    attempts = node.get("attempts") or []
    enqueued = _time(node.get("enqueued_at"))
    started = _time(node.get("started_at")) or _time(node.get("received_at"))
    finished = _time(node.get("finished_at"))
    if attempts and finished is None:
        finished = _time(attempts[-1].get("finished_at"))
    if finished is None:
        stamps = [t for t in (_time(r.get("timestamp")) for r in node.get("lines", [])) if t]
        finished = max(stamps) if stamps else None
    return enqueued, started, finished


def axis(root: dict[str, Any]) -> tuple[datetime, datetime]:
    """``(t0, t1)``: the earliest enqueue or start and the latest finish of any node."""
    starts, ends = [], []
    for _, node in rows(root):
        enqueued, started, finished = node_times(node)
        starts += [t for t in (enqueued, started) if t]
        ends += [t for t in (finished, started, enqueued) if t]
    if not starts:
        raise ValueError("no node of the workflow has a time")
    return min(starts), max(ends)


def _pct(value: datetime, t0: datetime, span: float) -> float:
    return round((value - t0).total_seconds() / span * 100, 4)


def render(workflow: dict[str, Any]) -> str:
    """The page for *workflow* (``oxlog trace --json``'s data, with lines)."""
    root = workflow["root"]
    t0, t1 = axis(root)
    span = max((t1 - t0).total_seconds(), 1e-6)
    out: list[str] = []
    tasks = failed = retried = 0
    for index, (depth, node) in enumerate(rows(root)):
        if node["kind"] == "task":
            tasks += 1
            failed += node["state"] in ("failed", "revoked", "rejected")
            retried += bool(node.get("retries"))
        out.append(_row(index, depth, node, t0, span))
    head = (f"{tasks} tasks, {failed} failed, {retried} retried; "
            f"{span * 1000:.1f} ms from the first enqueue to the last finish")
    title = html.escape(f"{root['name']} {workflow['key']}")
    return _PAGE.format(title=title, totals=html.escape(head), rows="\n".join(out),
                        key=html.escape(workflow["key"]), start=html.escape(t0.isoformat()))


def _row(index: int, depth: int, node: dict[str, Any], t0: datetime, span: float) -> str:
    enqueued, started, finished = node_times(node)
    bars = []
    if enqueued and started and started > enqueued:
        bars.append(_bar("wait", enqueued, started, t0, span))
    if started:
        state = STATE_CLASSES.get(node["state"], "other")
        bars.append(_bar(f"run {state}", started, finished or started, t0, span))
    elif enqueued:
        bars.append(_bar("wait", enqueued, finished or enqueued, t0, span))
    label = html.escape(node["name"])
    took = f"{node['duration_ms']:.1f} ms" if isinstance(node.get("duration_ms"), int | float) else ""
    retries = node.get("retries") or 0
    if retries:
        took += f' <span class="retries">retried {retries}&times;</span>'

    lines = "\n".join(html.escape(_line_text(record)) for record in node.get("lines", []))
    return (
        f'<div class="row" data-index="{index}" data-id="{html.escape(node["id"])}" '
        f'data-state="{html.escape(str(node["state"]))}" tabindex="0">'
        f'<div class="label" style="padding-left:{depth * 14 + 4}px" title="{html.escape(node["id"])}">'
        f'<span class="state {STATE_CLASSES.get(node["state"], "other")}">{html.escape(str(node["state"]))}'
        f"</span> {label} <span class=\"took\">{took}</span></div>"
        f'<div class="track">{"".join(bars)}</div></div>\n'
        f'<pre class="lines" hidden>{lines}</pre>'
    )


def _bar(kind: str, start: datetime, end: datetime, t0: datetime, span: float) -> str:
    left, width = _pct(start, t0, span), _pct(end, t0, span) - _pct(start, t0, span)
    return (f'<span class="bar {kind}" data-start="{start.isoformat()}" '
            f'data-end="{end.isoformat()}" style="left:{left}%;width:{max(width, 0)}%"></span>')


def _line_text(record: dict[str, Any]) -> str:
    head = f"{str(record.get('timestamp', ''))[11:23]} {record.get('level', '')!s:<8} "
    rest = {k: v for k, v in record.items() if k not in ("timestamp", "level", "message")}
    return head + str(record.get("message", "")) + " " + json.dumps(rest, default=str)


def write(workflow: dict[str, Any], path: Path) -> Path:
    """Write the page for *workflow* to *path*; returns the path."""
    path.write_text(render(workflow), encoding="utf-8")
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oxlog trace: {title}</title>
<style>
body {{ font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; margin: 16px; color: #1d2329; }}
h1 {{ font-size: 15px; margin: 0 0 4px; }}
.totals {{ margin: 0 0 12px; color: #4b5563; }}
.row {{ display: flex; align-items: center; height: 22px; border-bottom: 1px solid #eef0f3;
        cursor: pointer; }}
.row:hover, .row:focus {{ background: #f4f7fb; outline: none; }}
.label {{ box-sizing: border-box; flex: none; width: 40%; white-space: nowrap; overflow: hidden;
          text-overflow: ellipsis; }}
.track {{ flex: none; position: relative; width: 60%; height: 12px; background: #f7f8fa; }}
.bar {{ position: absolute; top: 0; height: 12px; min-width: 1px; }}
.bar.wait {{ background: #cbd5e1; }}
.bar.run.ok {{ background: #16a34a; }} .bar.run.failed {{ background: #dc2626; }}
.bar.run.retry {{ background: #d97706; }} .bar.run.unknown, .bar.run.other {{ background: #6b7280; }}
.state {{ display: inline-block; width: 72px; }} .state.failed {{ color: #dc2626; }}
.state.ok {{ color: #16a34a; }} .state.retry {{ color: #d97706; }}
.took {{ color: #6b7280; }} .retries {{ color: #d97706; font-weight: bold; }}
.lines {{ margin: 0; padding: 6px 8px 8px 24px; background: #fbfbfc; border-bottom: 1px solid #eef0f3;
          white-space: pre-wrap; font-size: 12px; }}
</style></head>
<body>
<h1>oxlog trace {key}</h1>
<p class="totals">{totals}; axis from {start}</p>
<div id="rows">
{rows}
</div>
<script>
document.getElementById("rows").addEventListener("click", function (event) {{
  var row = event.target.closest(".row");
  if (row) {{ var lines = row.nextElementSibling; lines.hidden = !lines.hidden; }}
}});
</script>
</body></html>
"""
