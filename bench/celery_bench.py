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

This is repeated for *rounds* rounds (5 by default; the order of the setups rotates)
and the table reports medians of the per-round ratios.

``--memory 100000`` measures instead the worker's resident memory (prefork, plain
and oxlog): a warm-up batch, then 100,000 tasks in ten batches, the RSS of the
worker and its children sampled after each.

Usage: ``python -m bench.celery_bench [--tasks 2000] [--rounds 5] [--pools solo,prefork]``,
``python -m bench.celery_bench --memory 100000`` (also ``python -m bench.run --celery``,
``--celery-memory``).
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
from typing import cast

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SETUPS = ("plain", "dsl", "oxlog", "oxlog-quiet")
#: Reference only (``--with-info``): Celery's own worker logging at ``-l INFO`` into a file,
#: two lines per task ("received", "succeeded in"), as most deployments run it.
INFO_SETUP = "plain-info"


def setups_for(with_info: bool) -> tuple[str, ...]:
    """The setups to run: :data:`SETUPS`, plus :data:`INFO_SETUP` with ``--with-info``."""
    return (*SETUPS, INFO_SETUP) if with_info else SETUPS


WITH_INFO_HELP = f"add {INFO_SETUP!r}: Celery's own worker lines at -l INFO to a file, as a reference"
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

    from bench.celery_app import bind_request_context, noop

    bind_request_context()
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


def bench_env(setup: str, log_dir: str) -> dict[str, str]:
    """The environment of a bench worker or publisher: the setup, its log directory, Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env.update(BENCH_CELERY_SETUP=setup, BENCH_LOG_DIR=log_dir, BENCH_REDIS_URL=REDIS_URL,
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def worker_command(setup: str, pool: str, log_dir: str | Path) -> list[str]:
    """``celery worker`` for *setup* on *pool* (prefork: 2 children), on the bench queue."""
    command = [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker",
               "--pool", pool, "--without-gossip", "--without-mingle", "--without-heartbeat",
               "-Q", "bench", "-n", f"bench-{setup}-{pool}@%h"]
    if setup == INFO_SETUP:
        command += ["--loglevel", "INFO", "--logfile", str(Path(log_dir, "celery.log"))]
    if pool == "prefork":
        command += ["--concurrency", "2"]
    return command


def wait_ready(worker: subprocess.Popen[bytes], log_dir: str, what: str, timeout: float) -> None:
    """Wait until the worker wrote ``worker.ready`` (its ``worker_ready`` signal)."""
    ready = Path(log_dir, "worker.ready")
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n"
                               + Path(log_dir, "worker.out").read_text()[-2000:])
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Warm shutdown (SIGTERM); after *timeout*, kill its whole session (prefork children too)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
        process.wait()


def run_one(setup: str, pool: str, tasks: int, memory_batch: int = 0) -> dict[str, object]:
    """Measure *tasks* tasks with *setup* on a *pool* worker; fresh worker, publisher and Redis db.

    With *memory_batch*, the publisher sends a warm-up batch and then the tasks in
    batches of that size, sampling the worker's RSS after each (:func:`publish_batches`).
    """
    _flush()
    log_dir = tempfile.mkdtemp(prefix=f"oxlog-bench-celery-{setup}-")
    env = bench_env(setup, log_dir)
    worker_out = open(os.path.join(log_dir, "worker.out"), "wb")  # noqa: SIM115
    worker = subprocess.Popen(worker_command(setup, pool, log_dir), cwd=REPO, env=env, stdout=worker_out,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(worker, log_dir, f"the {setup}/{pool} worker", 60)
        command = ["publish", "--tasks", str(tasks), "--worker-pid", str(worker.pid)]
        if memory_batch:
            command += ["--batch", str(memory_batch)]
        pub = subprocess.run([sys.executable, "-m", "bench.celery_bench", *command],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=3600)
        lines = [line for line in pub.stdout.splitlines() if line.startswith("{")]
        if pub.returncode != 0 or not lines:
            raise RuntimeError(f"the {setup}/{pool} publisher failed:\n{pub.stderr[-3000:]}")
        result: dict[str, object] = {"setup": setup, "pool": pool, "tasks": tasks,
                                     **json.loads(lines[-1])}
    except BaseException:
        shutil.rmtree(log_dir, ignore_errors=True)
        raise
    finally:
        stop(worker)
        worker_out.close()
    try:
        expected = (int(result["tasks"]) if memory_batch else tasks) + (memory_batch or WARMUP)  # type: ignore[call-overload]
        if setup == INFO_SETUP:
            text = Path(log_dir, "celery.log").read_text(errors="replace")
            result["log_lines"] = text.count("\n")
            if text.count("] succeeded in ") < expected:
                raise RuntimeError(f"{setup}/{pool}: fewer 'succeeded in' lines than {expected} tasks")
        elif setup != "plain":
            count = succeeded = 0
            with open(Path(log_dir, "json.log"), "rb") as f:
                json.loads(f.readline())
                f.seek(0)
                for raw in f:
                    count += 1
                    succeeded += b'"task_succeeded"' in raw
            result["log_lines"] = count
            result["succeeded_lines"] = succeeded
            if setup == "oxlog-quiet" and succeeded:  # every task event at DEBUG: none written
                raise RuntimeError(f"{setup}/{pool}: {succeeded} task_succeeded lines in json.log, "
                                   "expected none")
            if setup != "oxlog-quiet" and succeeded < expected:
                raise RuntimeError(f"{setup}/{pool}: {succeeded} task_succeeded lines in json.log, "
                                   f"expected {expected}")
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    return result


#: The issue's targets for oxlog against plain Celery (same pool, same round).
#: Ratios every setup gets (against plain, same pool, same round).
TARGETS = {"throughput_ratio": (">=", 0.95), "worker_cpu_us_ratio": ("<=", 1.10),
           "publish_us_ratio": ("<=", 1.10)}
#: Issue 14's targets in worker CPU, by setup: oxlog (default event levels) against Celery's
#: own lines at -l INFO (needs --with-info); oxlog-quiet (the context alone) against plain.
SETUP_TARGETS = {"oxlog": {"worker_cpu_us_vs_info": 1.00},
                 "oxlog-quiet": {"worker_cpu_us_ratio": 1.03, "publish_us_ratio": 1.05}}


def run_all(tasks: int, pools: tuple[str, ...] = POOLS, rounds: int = 5,
            progress: bool = True, setups: tuple[str, ...] = SETUPS) -> list[dict[str, object]]:
    """*rounds* rounds of every setup on every pool; ratios against plain in the same round.

    The order of the setups rotates from round to round, so that drift of the machine
    (Redis growing, caches warming) does not always favour the same setup.
    """
    rows: list[dict[str, object]] = []
    for round_ in range(rounds):
        for pool in pools:
            order = setups[round_ % len(setups):] + setups[:round_ % len(setups)]
            measured = {setup: run_one(setup, pool, tasks) for setup in order}
            base = measured["plain"]
            for setup in setups:
                row = measured[setup]
                row["round"] = round_
                row["throughput_ratio"] = float(row["tasks_per_second"]) / float(base["tasks_per_second"])  # type: ignore[arg-type]
                for key in ("worker_cpu_us", "publish_us"):
                    row[key + "_ratio"] = float(row[key]) / float(base[key])  # type: ignore[arg-type]
                if setup.startswith("oxlog") and INFO_SETUP in measured:  # against Celery's own INFO lines
                    info = measured[INFO_SETUP]
                    for key, out in (("tasks_per_second", "throughput_vs_info"),
                                     ("worker_cpu_us", "worker_cpu_us_vs_info")):
                        row[out] = float(row[key]) / float(info[key])  # type: ignore[arg-type]
                rows.append(row)
            if progress:
                print(f"  celery round {round_ + 1}/{rounds} {pool}: " + ", ".join(
                    f"{s} {float(measured[s]['tasks_per_second']):.0f}/s" for s in setups),  # type: ignore[arg-type]
                    file=sys.stderr, flush=True)
    return rows


def summarize(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Medians (and ranges) over rounds per setup and pool, with oxlog's targets checked."""
    import statistics

    out = []
    for pool in dict.fromkeys(str(r["pool"]) for r in rows):
        for setup in (*SETUPS, INFO_SETUP):
            mine = [r for r in rows if r["pool"] == pool and r["setup"] == setup]
            if not mine:
                continue
            summary: dict[str, object] = {"setup": setup, "pool": pool, "rounds": len(mine),
                                          "log_lines": mine[-1].get("log_lines")}
            for key in ("tasks_per_second", "worker_cpu_us", "publish_us", *TARGETS):
                values = [float(r[key]) for r in mine]  # type: ignore[arg-type]
                summary[key] = statistics.median(values)
                summary[key + "_range"] = (min(values), max(values))
            for key in ("throughput_vs_info", "worker_cpu_us_vs_info"):
                if all(key in r for r in mine):
                    summary[key] = statistics.median(float(r[key]) for r in mine)  # type: ignore[arg-type]
            checks = [float(summary[k]) <= limit  # type: ignore[arg-type]
                      for k, limit in SETUP_TARGETS.get(setup, {}).items() if k in summary]
            if checks:
                summary["pass"] = all(checks)
            out.append(summary)
    return out


def table(rows: list[dict[str, object]]) -> str:
    summaries = summarize(rows)
    rounds = max((int(s["rounds"]) for s in summaries), default=0)  # type: ignore[call-overload]

    def ratio(s: dict[str, object], key: str) -> str:
        if s["setup"] == "plain":
            return "1.00x"
        low, high = cast("tuple[float, float]", s[key + "_range"])
        return f"{s[key]:.2f}x ({low:.2f}-{high:.2f})"

    out = [f"| setup | pool | tasks/s (median of {rounds}) | throughput vs plain | worker CPU µs/task | "
           "vs plain | publish µs/apply_async | vs plain | result |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for s in summaries:
        result = "" if "pass" not in s else ("PASS" if s["pass"] else "FAIL")
        out.append(f"| {s['setup']} | {s['pool']} | {s['tasks_per_second']:.0f} | "
                   f"{ratio(s, 'throughput_ratio')} | {s['worker_cpu_us']:.0f} | "
                   f"{ratio(s, 'worker_cpu_us_ratio')} | {s['publish_us']:.0f} | "
                   f"{ratio(s, 'publish_us_ratio')} | {result} |")
    versus_info = [f"{s['setup']} {s['pool']}: throughput {float(s['throughput_vs_info']):.2f}x, "  # type: ignore[arg-type]
                   f"worker CPU {float(s['worker_cpu_us_vs_info']):.2f}x"  # type: ignore[arg-type]
                   for s in summaries if "worker_cpu_us_vs_info" in s]
    if versus_info:
        out.append("")
        out.append(f"Against {INFO_SETUP} (Celery's own worker lines at -l INFO, to a file; medians of "
                   "per-round ratios): " + "; ".join(versus_info) + ".")
    out.append("")
    out.append("Ratios are medians of per-round ratios against plain Celery with the same pool in the same "
               "round (min-max in brackets). Throughput: tasks from the first publish to the last result "
               "(Redis result backend); worker CPU: utime+stime of the worker and its children over the "
               f"measured batch, per task; {WARMUP} warm-up tasks first. Targets (issue 14): oxlog worker "
               f"CPU <= 1.00x {INFO_SETUP} (with --with-info); oxlog-quiet (every task event at DEBUG) "
               "worker CPU <= 1.03x and publish <= 1.05x plain. Judged in instructions too "
               "(bench/celery_callgrind.py), which do not move with the machine's load.")
    return "\n".join(out)


# --- worker memory over many tasks -----------------------------------------------------------------


def tree_rss_kib(pid: int) -> int:
    """Resident memory of *pid* and its live descendants, in KiB."""
    total, todo = 0, [pid]
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page_kib
        except OSError:
            pass
        todo += _children(p)
    return total


def publish_batches(tasks: int, batch: int, worker_pid: int) -> dict[str, object]:
    """(publisher) A warm-up batch, then *tasks* tasks in batches; the worker's RSS after each."""
    from celery.result import ResultSet

    from bench.celery_app import bind_request_context, noop

    bind_request_context()

    def one_batch(start: int) -> None:
        results = [noop.apply_async((i,)) for i in range(start, start + batch)]
        values = ResultSet(results).join_native(timeout=900, propagate=True)
        if sorted(values) != list(range(start, start + batch)):
            raise RuntimeError("the results are not the tasks' return values")
        for r in results:
            r.forget()  # keep Redis small; the worker does not see this

    one_batch(0)
    time.sleep(0.5)
    samples = [tree_rss_kib(worker_pid)]
    batches = max(1, round(tasks / batch))
    for k in range(batches):
        one_batch(batch * (k + 1))
        time.sleep(0.2)
        samples.append(tree_rss_kib(worker_pid))
    return {"warmup": batch, "tasks": batch * batches, "rss_kib": samples,
            "growth_kib": samples[-1] - samples[0]}


def run_memory(tasks: int = 100_000, pool: str = "prefork", batch: int = 10_000,
               setups: tuple[str, ...] = ("plain", "oxlog"),
               progress: bool = True) -> list[dict[str, object]]:
    """Worker RSS over *tasks* tasks after a warm-up batch, for each setup."""
    rows = []
    for setup in setups:
        row = run_one(setup, pool, tasks, memory_batch=batch)
        if progress:
            print(f"  celery memory {setup}/{pool}: {int(row['growth_kib']) / 1024:+.1f} MiB "  # type: ignore[call-overload]
                  f"over {tasks:,} tasks", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


#: RSS the worker may grow by over the measured tasks (the issue: within 5 MB).
MEMORY_TARGET_KIB = 5 * 1024


def memory_table(rows: list[dict[str, object]]) -> str:
    out = ["| setup | pool | warm-up tasks | measured tasks | worker RSS after warm-up | growth | "
           "RSS after each batch (MiB) | result |", "|---|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        samples = [int(x) for x in r["rss_kib"]]  # type: ignore[attr-defined]
        growth = int(r["growth_kib"])  # type: ignore[call-overload]
        result = "" if r["setup"] != "oxlog" else ("PASS" if growth <= MEMORY_TARGET_KIB else "FAIL")
        out.append(f"| {r['setup']} | {r['pool']} | {int(r['warmup']):,} | {int(r['tasks']):,} | "  # type: ignore[call-overload]
                   f"{samples[0] / 1024:.1f} MiB | {growth / 1024:+.2f} MiB | "
                   f"{' '.join(f'{x / 1024:.1f}' for x in samples)} | {result} |")
    out.append("")
    out.append("RSS: the worker process and its prefork children (/proc statm), sampled after each batch has "
               "finished. Target for oxlog: growth within 5 MiB — nothing kept per task after it ends.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.celery_bench")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("publish", help="(internal) the publisher process")
    p.add_argument("--tasks", type=int, required=True)
    p.add_argument("--worker-pid", type=int, required=True)
    p.add_argument("--batch", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=2_000)
    parser.add_argument("--pools", default=",".join(POOLS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--with-info", action="store_true", help=WITH_INFO_HELP)
    parser.add_argument("--memory", type=int, metavar="TASKS", default=0,
                        help="instead: worker RSS over TASKS tasks (e.g. 100000), prefork, plain and oxlog")
    args = parser.parse_args(argv)
    if args.command == "publish":
        if args.batch:
            print(json.dumps(publish_batches(args.tasks, args.batch, args.worker_pid)))
        else:
            print(json.dumps(publish(args.tasks, args.worker_pid)))
        return 0
    if args.memory:
        print(memory_table(run_memory(args.memory, batch=max(1, args.memory // 10))))
        return 0
    rows = run_all(args.tasks, tuple(args.pools.split(",")), args.rounds,
                   setups=setups_for(args.with_info))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
