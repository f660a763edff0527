"""Celery under callgrind: instructions per task in the worker and per ``apply_async``.

The wall-clock and CPU figures of :mod:`bench.celery_bench` move by ±20 % from one
minute to the next on a shared 2-core machine (plain Celery itself measured 770 to
1,170 µs of worker CPU per task within one minute). Instruction counts do not: this
module runs a solo worker and the publisher under ``valgrind --tool=callgrind`` with
instrumentation off, and switches it on (``callgrind_control -i on``) only around
the measured work:

1. worker and publisher start (under valgrind, not instrumented) and a warm-up batch
   runs through them;
2. a full garbage collection runs in both (a task for the worker), then
   instrumentation goes on in both; the publisher sends *tasks* tasks; its count is
   dumped as soon as the last ``apply_async`` returns (publish instructions per call);
3. the publisher waits for every result; then the worker's count is dumped (worker
   instructions per task, from the first publish to the last result, idle polling
   included — it is the same for every setup).

With ``BENCH_KEEP=1`` the dumps are kept (``callgrind_annotate worker.cg.1``).

Usage: ``python -m bench.celery_callgrind [--tasks 200]`` (also ``python -m bench.run
--celery-callgrind``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.celery_bench import (
    INFO_SETUP,
    REPO,
    SETUPS,
    WITH_INFO_HELP,
    _flush,
    bench_env,
    setups_for,
    stop,
    wait_ready,
    worker_command,
)

WARMUP = 30
VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]


def _wait_for(path: Path, process: subprocess.Popen[bytes], what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what}: gave up waiting for {path.name}")
        time.sleep(0.05)


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def _dumped_total(pattern_dir: Path, prefix: str) -> int:
    """The instruction total of the newest callgrind dump named *prefix*.N."""
    dumps = sorted(pattern_dir.glob(prefix + ".*"), key=lambda p: p.stat().st_mtime)
    for line in dumps[-1].read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dumps[-1]}")


def publish_toggled(tasks: int, directory: str) -> None:
    """(publisher, under valgrind) Warm up, then publish on the orchestrator's signal."""
    from celery.result import ResultSet

    from bench.celery_app import bind_request_context, collect, noop

    bind_request_context()
    d = Path(directory)
    ResultSet([noop.apply_async((i,)) for i in range(WARMUP)]).join_native(timeout=600)
    collect.delay().get(timeout=600)  # both processes start the window with no garbage due
    gc.collect()
    (d / "pub.ready").touch()
    while not (d / "pub.go").exists():
        time.sleep(0.02)
    results = [noop.apply_async((i,)) for i in range(tasks)]
    (d / "pub.published").touch()
    while not (d / "pub.go2").exists():
        time.sleep(0.02)
    values = ResultSet(results).join_native(timeout=1800, propagate=True)
    if sorted(values) != list(range(tasks)):
        raise RuntimeError("the results are not the tasks' return values")
    (d / "pub.done").touch()


def run_one(setup: str, tasks: int) -> dict[str, object]:
    """Instructions per task (worker) and per publish for *setup*, solo pool."""
    _flush()
    log_dir = Path(tempfile.mkdtemp(prefix=f"oxlog-bench-cg-{setup}-"))
    env = bench_env(setup, str(log_dir))
    worker_out = open(log_dir / "worker.out", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [*VALGRIND, f"--callgrind-out-file={log_dir}/worker.cg", *worker_command(setup, "solo", log_dir)],
        cwd=REPO, env=env, stdout=worker_out, stderr=subprocess.STDOUT, start_new_session=True)
    pub_out = open(log_dir / "pub.out", "wb")  # noqa: SIM115
    publisher: subprocess.Popen[bytes] | None = None
    try:
        wait_ready(worker, str(log_dir), f"the {setup} worker under valgrind", 600)
        publisher = subprocess.Popen(
            [*VALGRIND, f"--callgrind-out-file={log_dir}/pub.cg", sys.executable, "-m",
             "bench.celery_callgrind", "publish", "--tasks", str(tasks), "--dir", str(log_dir)],
            cwd=REPO, env=env, stdout=pub_out, stderr=subprocess.STDOUT)
        _wait_for(log_dir / "pub.ready", publisher, f"the {setup} publisher")
        _control(worker.pid, "-z")
        _control(worker.pid, "-i", "on")
        _control(publisher.pid, "-z")
        _control(publisher.pid, "-i", "on")
        (log_dir / "pub.go").touch()
        _wait_for(log_dir / "pub.published", publisher, f"the {setup} publisher")
        _control(publisher.pid, "-d")
        _control(publisher.pid, "-i", "off")
        (log_dir / "pub.go2").touch()
        _wait_for(log_dir / "pub.done", publisher, f"the {setup} publisher")
        _control(worker.pid, "-d")
        _control(worker.pid, "-i", "off")
        publisher.wait(timeout=300)
        if publisher.returncode != 0:
            raise RuntimeError(f"the {setup} publisher failed:\n"
                               + (log_dir / "pub.out").read_text(errors="replace")[-3000:])
        return {"setup": setup, "tasks": tasks,
                "worker_instructions_per_task": _dumped_total(log_dir, "worker.cg") / tasks,
                "publish_instructions_per_call": _dumped_total(log_dir, "pub.cg") / tasks}
    finally:
        for process in (publisher, worker):
            if process is not None:
                stop(process, timeout=120)
        worker_out.close()
        pub_out.close()
        if os.environ.get("BENCH_KEEP"):  # keep the dumps, for callgrind_annotate
            print(f"  kept {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


def run_all(tasks: int = 200, progress: bool = True,
            setups: tuple[str, ...] = SETUPS) -> list[dict[str, object]]:
    rows = []
    for setup in setups:
        row = run_one(setup, tasks)
        if progress:
            print(f"  celery callgrind {setup}: {float(row['worker_instructions_per_task']):,.0f} "  # type: ignore[arg-type]
                  f"instructions/task", file=sys.stderr, flush=True)
        rows.append(row)
    by_setup = {str(r["setup"]): r for r in rows}
    plain = by_setup["plain"]
    for row in rows:
        for key in ("worker_instructions_per_task", "publish_instructions_per_call"):
            row[key + "_ratio"] = float(row[key]) / float(plain[key])  # type: ignore[arg-type]
    if "oxlog" in by_setup and INFO_SETUP in by_setup:  # against Celery's own two INFO lines
        by_setup["oxlog"]["worker_vs_info"] = (
            float(by_setup["oxlog"]["worker_instructions_per_task"])  # type: ignore[arg-type]
            / float(by_setup[INFO_SETUP]["worker_instructions_per_task"]))  # type: ignore[arg-type]
    return rows


#: Issue 14's targets, in instructions: (setup, measure, limit). ``oxlog`` (default event
#: levels) against Celery's own lines at ``-l INFO``; ``oxlog-quiet`` (every task event at
#: DEBUG: the context alone) against plain Celery, per task and per publish.
TARGETS = (("oxlog", "worker_vs_info", 1.00),
           ("oxlog-quiet", "worker_instructions_per_task_ratio", 1.03),
           ("oxlog-quiet", "publish_instructions_per_call_ratio", 1.05))


def verdicts(rows: list[dict[str, object]]) -> dict[str, str]:
    """``PASS``/``FAIL`` per setup with a target (a target whose reference was not run is left out)."""
    out: dict[str, str] = {}
    for row in rows:
        checks = [float(row[key]) <= limit for setup, key, limit in TARGETS  # type: ignore[arg-type]
                  if row["setup"] == setup and key in row]
        if checks:
            out[str(row["setup"])] = "PASS" if all(checks) else "FAIL"
    return out


def passed(rows: list[dict[str, object]]) -> bool:
    """Whether every target that was measured is met."""
    return all(v == "PASS" for v in verdicts(rows).values())


def table(rows: list[dict[str, object]]) -> str:
    results = verdicts(rows)
    out = ["| setup | worker instructions/task | vs plain | instructions/apply_async | vs plain | result |",
           "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        worker_ratio = float(r["worker_instructions_per_task_ratio"])  # type: ignore[arg-type]
        publish_ratio = float(r["publish_instructions_per_call_ratio"])  # type: ignore[arg-type]
        vs_info = f" ({float(r['worker_vs_info']):.3f}x {INFO_SETUP})" if "worker_vs_info" in r else ""  # type: ignore[arg-type]
        out.append(f"| {r['setup']} | {float(r['worker_instructions_per_task']):,.0f} | "  # type: ignore[arg-type]
                   f"{worker_ratio:.3f}x{vs_info} | {float(r['publish_instructions_per_call']):,.0f} | "  # type: ignore[arg-type]
                   f"{publish_ratio:.3f}x | {results.get(str(r['setup']), '')} |")
    tasks = rows[0]["tasks"] if rows else 0
    out.append("")
    out.append(f"Solo worker and publisher under valgrind --tool=callgrind, instrumented only around {tasks} "
               f"tasks after {WARMUP} warm-up tasks (bench/celery_callgrind.py). Targets: oxlog (default "
               f"event levels) worker <= 1.00x {INFO_SETUP} (Celery's own two lines at -l INFO; needs "
               "--with-info); oxlog-quiet (every task event at DEBUG: the context alone) worker <= 1.03x "
               "and publish <= 1.05x plain.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.celery_callgrind")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("publish", help="(internal) the publisher process")
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--dir", required=True)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--with-info", action="store_true", help=WITH_INFO_HELP)
    args = parser.parse_args(argv)
    if args.command == "publish":
        publish_toggled(args.tasks, args.dir)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (with callgrind_control) is not installed", file=sys.stderr)
        return 2
    rows = run_all(args.tasks, setups=setups_for(args.with_info))
    print(table(rows))
    if os.environ.get("BENCH_DEBUG"):
        print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
