"""``oxlog demo``: a real Django request fanning out over real workers, then its trace.

It needs no server: the demo project (:mod:`oxlog.demo.project`) uses Celery's
filesystem transport in a temporary directory. The command starts a prefork
worker with 2 children, serves the project over HTTP on 127.0.0.1, sends one
order request (a chain, a chord, one retry, one failure), dispatches one beat
entry the way ``celery beat`` does, waits for the workflow to finish, stops the
worker and prints ``oxlog trace`` of the request.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from oxlog._schema import CORRELATION_ID, TASK_NAME, TASK_SUCCEEDED
from oxlog.cli.errors import CliError

SETTINGS = "oxlog.demo.project.settings"
TASKS = "oxlog.demo.project.tasks."


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``oxlog demo``."""
    parser = subparsers.add_parser("demo", help="run a request through real workers and trace it",
                                   description=__doc__)
    parser.add_argument("--dir", default="logs", help="where to write json.log and flat_line.log")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the workflow")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print the trace; 0 when the workflow was traced."""
    log_dir = Path(args.dir).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="oxlog-demo-") as broker:
        for sub in ("queue", "control", "results"):
            os.makedirs(os.path.join(broker, sub))
        env = _environment(log_dir, broker)
        os.environ.update(env)
        worker = _start_worker(env, log_dir)
        try:
            _wait(lambda r: r["logger"] == "celery.apps.worker" and "ready" in r["message"],
                  log_dir, args.timeout, since=started, what="the worker to start")
            cid = _send_request()
            _dispatch_beat_entry()
            _wait(lambda r: r.get(CORRELATION_ID) == cid and r["message"] == TASK_SUCCEEDED
                  and r.get(TASK_NAME) == TASKS + "charge_card", log_dir, args.timeout,
                  since=started, what="the workflow to finish")
            _wait(lambda r: r["message"] == TASK_SUCCEEDED
                  and r.get(TASK_NAME) == TASKS + "summarize", log_dir, args.timeout,
                  since=started, what="the chord to finish")
            _wait(lambda r: r["message"] == TASK_SUCCEEDED
                  and r.get(TASK_NAME) == TASKS + "nightly_report", log_dir, args.timeout,
                  since=started, what="the beat dispatch to run")
        finally:
            _stop(worker)
    beat_cid = _beat_correlation_id(log_dir)
    sys.stdout.write(f"\noxlog demo: one request, correlation ID {cid}, "
                     f"{time.monotonic() - started:.1f} s; logs in {log_dir}\n"
                     f"Trace it again with:  oxlog trace {cid} {log_dir / 'json.log'}\n"
                     f"The beat dispatch has its own:  oxlog trace {beat_cid}\n"
                     f"The waterfall, to open in a browser:  {log_dir / 'trace.html'}\n\n")
    sys.stdout.flush()
    from oxlog.cli import main  # the CLI's entry point imports this module: no cycle at import

    return main(["trace", cid, str(log_dir / "json.log"), "--html", str(log_dir / "trace.html")])


def _environment(log_dir: Path, broker: str) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": SETTINGS, "OXLOG_DIR": str(log_dir),
            "OXLOG_DEMO_BROKER_DIR": broker, "OXLOG_CONSOLE": "off"}


def _start_worker(env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "celery", "-A", "oxlog.demo.project", "worker", "-P", "prefork",
           "-c", "2", "-n", f"demo-{os.getpid()}@%h", "--without-mingle", "--without-gossip",
           "-l", "INFO"]
    log_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=open(log_dir / "demo-worker.out", "wb"))


def _send_request() -> str:
    """Serve the project over real HTTP and place one order; the response echoes the ID."""
    # Django is loaded by the demo's child process only: `oxlog trace` must not pay for it.
    import django
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application

    django.setup()

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    server = WSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/orders/"
        request = urllib.request.Request(url, method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.headers["Correlation-ID"])
    finally:
        server.shutdown()


def _dispatch_beat_entry() -> None:
    """Dispatch one schedule entry through Celery's own ``Scheduler.apply_entry``."""
    # Celery and the demo project (which sets Django up) only in the process that dispatches.
    from celery.beat import ScheduleEntry, Scheduler
    from celery.schedules import schedule

    from oxlog.demo.project.celery import app

    entry = ScheduleEntry(name="nightly-report", task=TASKS + "nightly_report",
                          schedule=schedule(86400), app=app)
    Scheduler(app, lazy=True).apply_entry(entry)


def _beat_correlation_id(log_dir: Path) -> str:
    found = ""
    with (log_dir / "json.log").open("rb") as handle:
        for line in handle:
            if b"Sending due task nightly-report" in line:
                found = str(json.loads(line).get(CORRELATION_ID, ""))
    return found


def _wait(predicate: Any, log_dir: Path, timeout: float, since: float, what: str) -> None:
    path = log_dir / "json.log"
    deadline = since + timeout
    offset = 0
    while time.monotonic() < deadline:
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(offset)
                for line in handle:
                    if not line.endswith(b"\n"):
                        break
                    offset += len(line)
                    try:
                        if predicate(json.loads(line)):
                            return
                    except (ValueError, KeyError, TypeError):
                        continue
        time.sleep(0.1)
    raise CliError(f"timed out waiting for {what}; see {log_dir / 'demo-worker.out'}", 1)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
