"""Where a Celery task's instructions go: one part of the worker's or publisher's path, in-process.

:mod:`bench.celery_callgrind` gives the whole worker's count per task; this splits it. A
script runs one *part* of a task's path *tasks* times in one process, under ``valgrind
--tool=callgrind`` with collection on only inside ``functools.reduce`` (the loop runs in
one), and prints instructions per task:

* ``received`` — ``task_received`` sent as the worker's main process sends it (a real
  ``Request`` made from a protocol-2 message; the message object itself is Celery's test
  double, as nothing consumes it);
* ``trace`` — the task run as a pool child runs it: Celery's ``build_tracer`` with the
  prerun/postrun signals and the result stored in Redis (127.0.0.1:6379, db 14);
* ``worker`` — both, as a solo worker does;
* ``publish`` — ``apply_async`` (serialisation, the publish to Redis, the publish signals);
* ``event`` — one of oxlog's task events (``task_received`` with ``queue_wait_ms``), with
  a task's context bound (measured in the last setup given, which must be ``oxlog``);
* ``dispatch`` — Celery's ``Signal.send`` to one receiver that does nothing (the last setup).

``BENCH_CELERY_SETUP`` (``plain``, ``oxlog``, ``dsl``) and ``BENCH_OXLOG_EVENT_LEVELS``
work as in :mod:`bench.celery_app`; compare setups part by part::

    python -m bench.celery_parts worker --setups plain,oxlog
    BENCH_OXLOG_EVENT_LEVELS=task_started=DEBUG python -m bench.celery_parts trace
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PARTS = ("received", "trace", "worker", "publish", "event", "dispatch")
WARMUP = 50
#: Parts that measure one piece of code, not a setup: run in the last setup given only
#: (``event`` needs oxlog; ``dispatch`` is Celery's alone).
ONE_SETUP = ("event", "dispatch")


def _run_part(part: str, tasks: int) -> None:
    """The measured process: warm up, then run *part* *tasks* times inside ``functools.reduce``."""
    from celery import signals
    from celery.app.trace import build_tracer
    from celery.contrib.testing.mocks import TaskMessage
    from celery.utils.dispatch.signal import Signal
    from celery.worker.request import Request

    from bench.celery_app import app, bind_request_context

    app.finalize()
    task = app.tasks["bench.noop"]
    bind_request_context()
    tracer = build_tracer(task.name, task, app=app, eager=False, hostname="bench@parts")

    def request() -> Any:
        task_id = str(uuid.uuid4())
        message = TaskMessage(task.name, id=task_id, args=[1], kwargs={}, root_id=task_id,
                              parent_id=None, oxlog_correlation_id=uuid.uuid4().hex,
                              oxlog_published_at=1.0)
        return Request(message, app=app, task=task)

    def received(req: Any) -> None:
        signals.task_received.send(sender=None, request=req)

    def trace(req: Any) -> None:
        tracer(req.id, [1], {}, {**req.request_dict, "hostname": "bench@parts", "is_eager": False})

    def worker(req: Any) -> None:
        received(req)
        trace(req)

    def publish(req: Any) -> None:
        task.apply_async((1,))

    one_signal = Signal(name="bench.parts")
    one_signal.connect(lambda **_: None, weak=False, dispatch_uid="bench.parts")

    def dispatch(req: Any) -> None:
        one_signal.send(sender=task, request=req)

    if part == "event":
        from oxlog import context
        from oxlog._event import log_event
        from oxlog.celery import signals as oxlog_signals

        context.replace_context({"correlation_id": uuid.uuid4().hex, "task_id": str(uuid.uuid4()),
                                 "task_name": task.name, "root_task_id": str(uuid.uuid4())})

        def event(req: Any) -> None:
            log_event(oxlog_signals.logger, "task_received", queue_wait_ms=1.234)

    run = locals()[part]
    requests = [request() for _ in range(tasks + WARMUP)]
    for req in requests[:WARMUP]:
        run(req)
    gc.collect()
    gc.disable()  # a collection inside the window would be counted for one setup only
    functools.reduce(lambda _, req: run(req), requests[WARMUP:], None)


def measure(setup: str, part: str, tasks: int) -> float:
    """Instructions per task of *part* in *setup*."""
    out = Path(tempfile.mkdtemp(prefix=f"oxlog-bench-parts-{setup}-"))
    try:
        env = {**os.environ, "BENCH_CELERY_SETUP": setup, "BENCH_LOG_DIR": str(out),
               "PYTHONHASHSEED": "0"}
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no",
             "--toggle-collect=functools_reduce", f"--callgrind-out-file={out}/parts.cg",
             sys.executable, "-m", "bench.celery_parts", "--run", part, "--tasks", str(tasks)],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=1800)
        text = (out / "parts.cg").read_text(errors="replace")
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
        if total is None:
            raise RuntimeError(f"no total in the callgrind output of {setup}/{part}")
        return int(total.group(1)) / tasks
    finally:
        if os.environ.get("BENCH_KEEP"):  # keep the dump, for callgrind_annotate
            print(f"  kept {out}/parts.cg", file=sys.stderr)
        else:
            shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.celery_parts")
    parser.add_argument("parts", nargs="?", default="worker,publish",
                        help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--setups", default="plain,oxlog")
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--run", help=argparse.SUPPRESS)  # the measured process
    args = parser.parse_args(argv)
    if args.run:
        _run_part(args.run, args.tasks)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    setups = args.setups.split(",")
    print("| part | " + " | ".join(setups) + " |")
    print("|---|" + "---:|" * len(setups))
    for part in args.parts.split(","):
        if part not in PARTS:
            parser.error(f"unknown part {part!r}; choose from {', '.join(PARTS)}")
        if part in ONE_SETUP:  # the same code whatever the setup: measured once
            cells = ["—"] * (len(setups) - 1) + [f"{measure(setups[-1], part, args.tasks):,.0f}"]
        else:
            counts = [measure(setup, part, args.tasks) for setup in setups]
            cells = [f"{c:,.0f}" + (f" (+{c - counts[0]:,.0f})" if i else "")
                     for i, c in enumerate(counts)]
        print(f"| {part} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nInstructions per task (valgrind --tool=callgrind, {args.tasks} tasks after {WARMUP} warm-up).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
