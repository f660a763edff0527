"""Celery benchmark: no-op tasks through a real Redis, plain Celery vs django-structlog vs oxlog.

For each setup (:mod:`bench.celery_app`) and pool (``solo``; ``prefork`` with
concurrency 2) a fresh worker is started as a subprocess (``celery -A
bench.celery_app worker``) on a flushed Redis database (14 by default), and a
fresh publisher process (``python -m bench.celery_bench publish``) with the same
setup:

1. publishes and waits for a warm-up batch (so prefork children exist and every
   import is done);
2. samples the worker's CPU time (``utime + stime`` of the worker process and its
   live children, from ``/proc``);
3. publishes *tasks* tasks, timing the ``apply_async`` loop (publish cost), and
   waits for every result through the Redis result backend (end-to-end time,
   from the first publish to the last result);
4. samples the worker's CPU again: worker CPU per task.

Then the worker is stopped (``SIGTERM``, warm shutdown) and the log is checked:
with ``dsl`` and ``oxlog`` the worker's ``json.log`` must hold a
``task_succeeded`` line for every task. Ratios are against ``plain`` with the same pool.

Usage: ``python -m bench.celery_bench [--tasks 2000] [--pools solo,prefork]`` (also
``python -m bench.run --celery``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SETUPS = ("plain", "dsl", "oxlog")
POOLS = ("solo", "prefork")
WARMUP = 100
TICKS = os.sysconf("SC_CLK_TCK")


# --- worker CPU from /proc -------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by *pid* and its live descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _cpu_ticks(p)
        todo += _children(p)
    return total / TICKS


# --- the publisher (runs in its own process, with the setup's publish-side logging) ---------------


def publish(tasks: int, worker_pid: int) -> dict[str, float]:
    from celery.result import ResultSet

    from bench.celery_app import noop

    warm = [noop.apply_async((i,)) for i in range(WARMUP)]
    ResultSet(warm).join_native(timeout=120, propagate=True)
    time.sleep(0.2)  # let the worker finish acknowledging the warm-up
    cpu0 = tree_cpu_seconds(worker_pid)
    t0 = time.perf_counter()
    results = [noop.apply_async((i,)) for i in range(tasks)]
    t1 = time.perf_counter()
    values = ResultSet(results).join_native(timeout=600, propagate=True)
    t2 = time.perf_counter()
    cpu1 = tree_cpu_seconds(worker_pid)
    if sorted(values) != list(range(tasks)):
        raise RuntimeError("the results are not the tasks' return values")
    return {"publish_us": (t1 - t0) / tasks * 1e6, "e2e_seconds": t2 - t0,
            "tasks_per_second": tasks / (t2 - t0), "worker_cpu_us": (cpu1 - cpu0) / tasks * 1e6}


# --- one run: worker + publisher --------------------------------------------------------------------


def _flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def run_one(setup: str, pool: str, tasks: int) -> dict[str, object]:
    """Measure *tasks* tasks with *setup* on a *pool* worker; fresh worker, publisher and Redis db."""
    _flush()
    log_dir = tempfile.mkdtemp(prefix=f"oxlog-bench-celery-{setup}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env.update(BENCH_CELERY_SETUP=setup, BENCH_LOG_DIR=log_dir, BENCH_REDIS_URL=REDIS_URL,
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    worker_cmd = [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker",
                  "--pool", pool, "--without-gossip", "--without-mingle", "--without-heartbeat",
                  "-Q", "bench", "-n", f"bench-{setup}-{pool}@%h"]
    if pool == "prefork":
        worker_cmd += ["--concurrency", "2"]
    worker_out = open(os.path.join(log_dir, "worker.out"), "wb")  # noqa: SIM115
    worker = subprocess.Popen(worker_cmd, cwd=REPO, env=env, stdout=worker_out,
                              stderr=subprocess.STDOUT)
    try:
        ready = Path(log_dir, "worker.ready")
        deadline = time.monotonic() + 60
        while not ready.exists():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {setup}/{pool} worker did not start:\n"
                                   + Path(log_dir, "worker.out").read_text()[-2000:])
            time.sleep(0.05)
        pub = subprocess.run([sys.executable, "-m", "bench.celery_bench", "publish",
                              "--tasks", str(tasks), "--worker-pid", str(worker.pid)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        lines = [line for line in pub.stdout.splitlines() if line.startswith("{")]
        if pub.returncode != 0 or not lines:
            raise RuntimeError(f"the {setup}/{pool} publisher failed:\n{pub.stderr[-3000:]}")
        result: dict[str, object] = {"setup": setup, "pool": pool, "tasks": tasks,
                                     **json.loads(lines[-1])}
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker_out.close()
    try:
        if setup != "plain":
            text = Path(log_dir, "json.log").read_text(encoding="utf-8", errors="replace")
            succeeded = sum(1 for line in text.splitlines() if '"task_succeeded"' in line)
            result["log_lines"] = text.count("\n")
            result["succeeded_lines"] = succeeded
            if succeeded < tasks + WARMUP:
                raise RuntimeError(f"{setup}/{pool}: {succeeded} task_succeeded lines in json.log, "
                                   f"expected {tasks + WARMUP}")
            json.loads(text.splitlines()[0])
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    return result


def run_all(tasks: int, pools: tuple[str, ...] = POOLS, progress: bool = True) -> list[dict[str, object]]:
    rows = []
    for pool in pools:
        for setup in SETUPS:
            row = run_one(setup, pool, tasks)
            if progress:
                print(f"  celery {setup}/{pool}: {row['tasks_per_second']:.0f} tasks/s", file=sys.stderr,
                      flush=True)
            rows.append(row)
    plain = {r["pool"]: r for r in rows if r["setup"] == "plain"}
    for r in rows:
        base = plain[r["pool"]]
        for key in ("e2e_seconds", "worker_cpu_us", "publish_us"):
            value, reference = float(r[key]), float(base[key])  # type: ignore[arg-type]
            r[key + "_ratio"] = value / reference if reference else None
    return rows


def table(rows: list[dict[str, object]]) -> str:
    def x(v: object) -> str:
        return "—" if v is None else f"{v:.2f}x"

    out = ["| setup | pool | tasks/s | e2e vs plain | worker CPU µs/task | vs plain | "
           "publish µs/apply_async | vs plain | json.log lines |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['setup']} | {r['pool']} | {r['tasks_per_second']:.0f} | "
                   f"{x(r['e2e_seconds_ratio'])} | {r['worker_cpu_us']:.0f} | "
                   f"{x(r['worker_cpu_us_ratio'])} | "
                   f"{r['publish_us']:.0f} | {x(r['publish_us_ratio'])} | {r.get('log_lines', '—')} |")
    out.append("")
    out.append("e2e: from the first publish to the last result (Redis result backend); worker CPU: "
               "utime+stime of the worker and its children over the measured batch, per task; "
               f"{WARMUP} warm-up tasks first. json.log lines include the warm-up and the publisher's.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.celery_bench")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("publish", help="(internal) the publisher process")
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--worker-pid", type=int, required=True)
    parser.add_argument("--tasks", type=int, default=2_000)
    parser.add_argument("--pools", default=",".join(POOLS))
    args = parser.parse_args(argv)
    if args.command == "publish":
        print(json.dumps(publish(args.tasks, args.worker_pid)))
        return 0
    rows = run_all(args.tasks, tuple(args.pools.split(",")))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
