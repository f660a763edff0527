"""oxlog's hot-path benchmark against the setups it replaces: ``python -m bench.run``.

Every configuration (:mod:`bench.baselines`) runs in a fresh process
(:mod:`bench.worker`), writing to a file in a new temporary directory. One
*round* runs every configuration once, in an order rotated from round to round;
ratios are computed inside a round (configuration time / plain-stdlib time of
the same round) and the table reports the median over rounds, so that a machine
that is busier in one round than in another does not skew the comparison.

Options::

    python -m bench.run              # 200,000 records, 5 rounds, filtered DEBUG with 1,000,000 calls
    python -m bench.run --quick      # CI: 20,000 records, 3 rounds (< 60 s)
    python -m bench.run --callgrind  # + instructions per record under valgrind (load-independent)
    python -m bench.run --memory     # + RSS growth over 1,000,000 oxlog records
    python -m bench.run --tracing    # + OpenTelemetry rows and the tracing step alone (bench/tracing.py)
    python -m bench.run --celery     # + 2,000 tasks through Redis x 5 rounds (bench/celery_bench.py)
    python -m bench.run --celery-callgrind  # + Celery instructions per task / publish (valgrind)
    python -m bench.run --celery-memory     # + worker RSS over 100,000 tasks (prefork)
    python -m bench.run --only-extra --memory   # skip the timing rounds

The table goes to stdout and to ``bench/results/latest.md`` (raw figures in
``latest.json``). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import baselines

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"

FILTERED_SUFFIX = "-debug-filtered"


def filtered_row(config: str) -> str:
    """Table name of the filtered-DEBUG measurement of *config* (``oxlog-structlog-debug-filtered``)."""
    return config.removesuffix("-json") + FILTERED_SUFFIX


#: Which dsl-docs row an oxlog row is compared with (like for like: one file, two files, filtered).
DSL_PEER = {
    "oxlog-both": "dsl-docs-2files",
    "oxlog-configure-both": "dsl-docs-2files",
    "dsl-docs-2files": "dsl-docs-2files",
    "oxlog-structlog-debug-filtered": "dsl-docs-debug-filtered",
    "oxlog-stdlib-debug-filtered": "dsl-docs-debug-filtered",
    "stdlib-debug-filtered": "dsl-docs-debug-filtered",
    "structlog-native-debug-filtered": "dsl-docs-debug-filtered",
    "dsl-docs-debug-filtered": "dsl-docs-debug-filtered",
}
#: Which stdlib row a row is compared with.
STDLIB_PEER = {name: "stdlib-debug-filtered" for name in DSL_PEER if name.endswith(FILTERED_SUFFIX)}


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[dict[str, float]], bool]


#: Targets (issue 14), for oxlog configured as its users do (a Django settings module); each
#: check gets {"us": µs per record, "stdlib": ratio, "dsl": ratio}.
TARGETS = {
    "oxlog-structlog-json": Target("≤ 0.85x stdlib", lambda r: r["stdlib"] <= 0.85),
    "oxlog-stdlib-json": Target("≤ 1.1x stdlib", lambda r: r["stdlib"] <= 1.1),
    "oxlog-both": Target("≤ 1.4x stdlib", lambda r: r["stdlib"] <= 1.4),
    "oxlog-structlog-debug-filtered": Target("≤ 0.3 µs/call", lambda r: r["us"] <= 0.3),
    "oxlog-stdlib-debug-filtered": Target("≤ 0.3 µs/call", lambda r: r["us"] <= 0.3),
}
#: Rows whose target is in µs: no instruction-count verdict.
TIME_TARGETS = frozenset({"oxlog-structlog-debug-filtered", "oxlog-stdlib-debug-filtered"})


# --- running workers -------------------------------------------------------------------------


def worker_env() -> dict[str, str]:
    """The environment of a worker: ours without ``OXLOG_*`` (the defaults are measured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_worker(config: str, n: int, mode: str = "records", extra: list[str] | None = None,
               prefix: list[str] | None = None) -> tuple[dict[str, object], str]:
    """Run one worker process; return its JSON result and its stderr."""
    directory = tempfile.mkdtemp(prefix="oxlog-bench-")
    try:
        command = [*(prefix or []), sys.executable, "-m", "bench.worker", config,
                   "--n", str(n), "--dir", directory, "--mode", mode, *(extra or [])]
        proc = subprocess.run(command, cwd=REPO, env=worker_env(), capture_output=True, text=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{config} ({mode}) printed no result (exit {proc.returncode}):\n"
                           f"{proc.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if proc.returncode != 0 or "error" in result:
        raise RuntimeError(f"{config} ({mode}) failed its check: {result.get('error')}\n"
                           f"{proc.stderr[-2000:]}")
    return result, proc.stderr


# --- timing rounds -----------------------------------------------------------------------------


def timing_rounds(configs: list[str], filtered: list[str], n: int, n_filtered: int,
                  rounds: int, progress: bool = True) -> dict[str, list[float]]:
    """µs per call of every row in every round: {row: [round 0, round 1, …]}."""
    jobs = [(c, "records") for c in configs] + [(c, "filtered") for c in filtered]
    per_round: dict[str, list[float]] = {}
    for r in range(rounds):
        shift = r % len(jobs)
        for config, mode in jobs[shift:] + jobs[:shift]:
            result, _ = run_worker(config, n if mode == "records" else n_filtered, mode)
            row = config if mode == "records" else filtered_row(config)
            per_round.setdefault(row, [0.0] * rounds)[r] = float(result["us_per_call"])  # type: ignore[arg-type]
        if progress:
            print(f"  round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    return per_round


def ratios(values: dict[str, list[float]], row: str, peer: str | None) -> float | None:
    """Median over rounds of *row* / *peer* (each round's ratio computed inside that round)."""
    if peer is None or peer not in values or row not in values:
        return None
    return statistics.median(a / b for a, b in zip(values[row], values[peer], strict=True) if b)


def summarize(values: dict[str, list[float]], unit: str = "µs") -> list[dict[str, object]]:
    """One row per configuration: median, spread, median ratios, target and verdict."""
    rows = []
    for name, series in values.items():
        stdlib_peer = STDLIB_PEER.get(name, "stdlib")
        dsl_peer = DSL_PEER.get(name, "dsl-docs")
        row: dict[str, object] = {
            "config": name,
            "median": statistics.median(series),
            "min": min(series),
            "max": max(series),
            "vs_stdlib": ratios(values, name, stdlib_peer),
            "stdlib_peer": stdlib_peer,
            "vs_dsl": ratios(values, name, dsl_peer),
            "dsl_peer": dsl_peer,
        }
        target = TARGETS.get(name)
        if target is not None:
            row["target"] = target.text
            if unit == "µs" or name not in TIME_TARGETS:
                row["pass"] = target.check({"us": float(row["median"]),  # type: ignore[arg-type]
                                            "stdlib": float(row["vs_stdlib"] or 0),  # type: ignore[arg-type]
                                            "dsl": float(row["vs_dsl"] or 0)})  # type: ignore[arg-type]
        rows.append(row)
    return rows


def _x(value: object) -> str:
    return "—" if value is None else f"{value:.3f}x"


def _verdict(row: dict[str, object]) -> str:
    if "pass" not in row:
        return ""
    return "PASS" if row["pass"] else "**FAIL**"


def timing_table(rows: list[dict[str, object]], rounds: int) -> str:
    out = [f"| config | µs/record (median of {rounds}) | min-max µs | vs stdlib | vs dsl-docs | "
           "target | result |",
           "|---|---:|---:|---:|---:|---|---|"]
    for row in rows:
        out.append(f"| {row['config']} | {row['median']:.2f} | {row['min']:.2f}-{row['max']:.2f} | "
                   f"{_x(row['vs_stdlib'])} | {_x(row['vs_dsl'])} | {row.get('target', '')} | "
                   f"{_verdict(row)} |")
    return "\n".join(out)


# --- OpenTelemetry rows ------------------------------------------------------------------------

#: The issue's budget: OpenTelemetry installed, no span current.
TRACING_NO_SPAN_TARGET_US = 0.3


def tracing_table(values: dict[str, list[float]]) -> list[dict[str, object]]:
    """Median over rounds of (row - its ``*-no-otel`` row of the same round), in µs."""
    rows: list[dict[str, object]] = []
    for path in ("structlog", "stdlib"):
        base = values.get(f"oxlog-{path}-no-otel")
        if base is None:
            continue
        for case in ("otel-no-span", "otel-span"):
            series = values.get(f"oxlog-{path}-{case}")
            if series is None:
                continue
            delta = statistics.median(a - b for a, b in zip(series, base, strict=True))
            row: dict[str, object] = {"config": f"oxlog-{path}-{case}", "us": statistics.median(series),
                                      "base_us": statistics.median(base), "delta_us": delta}
            rows.append(row)
    return rows


def tracing_markdown(rows: list[dict[str, object]]) -> str:
    out = ["| config | µs/record | without OpenTelemetry | difference (median of per-round "
           "differences) |", "|---|---:|---:|---:|"]
    for row in rows:
        out.append(f"| {row['config']} | {row['us']:.2f} | {row['base_us']:.2f} | "
                   f"{row['delta_us']:+.2f} µs |")
    return "\n".join(out)


# --- callgrind ---------------------------------------------------------------------------------

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(config: str, n: int, mode: str) -> int:
    """Instructions valgrind counts for one worker run (startup included)."""
    prefix = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    env_seed = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"  # same hashing in every run: stable counts
    try:
        _, stderr = run_worker(config, n, mode, ["--no-verify"], prefix)
    finally:
        if env_seed is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = env_seed
    match = _COLLECTED.search(stderr)
    if not match:
        raise RuntimeError(f"no 'Collected' line from valgrind for {config}:\n{stderr[-1000:]}")
    return int(match.group(1))


def callgrind(configs: list[str], filtered: list[str], n: int, n_filtered: int) -> dict[str, float]:
    """Instructions per call of every row: (count with N calls - count with none) / N."""
    jobs = {(c, 0, "records") for c in configs + filtered}
    jobs |= {(c, n, "records") for c in configs} | {(c, n_filtered, "filtered") for c in filtered}
    counts: dict[tuple[str, int, str], int] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {pool.submit(instructions, *job): job for job in sorted(jobs)}
        for future in concurrent.futures.as_completed(futures):
            counts[futures[future]] = future.result()
    out: dict[str, float] = {}
    for c in configs:
        out[c] = (counts[(c, n, "records")] - counts[(c, 0, "records")]) / n
    for c in filtered:
        out[filtered_row(c)] = (counts[(c, n_filtered, "filtered")] - counts[(c, 0, "records")]) / n_filtered
    return out


def callgrind_table(per_call: dict[str, float], n: int, n_filtered: int) -> str:
    values = {k: [v] for k, v in per_call.items()}
    rows = summarize(values, unit="instr")
    out = ["| config | instructions/record | vs stdlib | vs dsl-docs | target (same ratios) | result |",
           "|---|---:|---:|---:|---|---|"]
    for row in rows:
        target = row.get("target", "") if row["config"] not in TIME_TARGETS else ""
        out.append(f"| {row['config']} | {row['median']:,.0f} | {_x(row['vs_stdlib'])} | "
                   f"{_x(row['vs_dsl'])} | {target} | {_verdict(row) if target else ''} |")
    out.append("")
    out.append(f"(N = {n:,} records, {n_filtered:,} filtered calls; a run with N = 0 is subtracted "
               "from each, so imports and configuration are excluded.)")
    return "\n".join(out)


# --- memory ---------------------------------------------------------------------------------------

MEMORY_CONFIGS = ("oxlog-structlog-json", "oxlog-stdlib-json", "oxlog-both")
MEMORY_TARGET_KIB = 5 * 1024


def memory(n: int, warmup: int) -> list[dict[str, object]]:
    results = []
    for config in MEMORY_CONFIGS:
        result, _ = run_worker(config, n, "memory", ["--warmup", str(warmup),
                                                     "--sample-every", str(max(n // 10, 1))])
        results.append(result)
    return results


def memory_table(results: list[dict[str, object]]) -> str:
    out = ["| config | records after warm-up | RSS after warm-up | RSS at end | growth | "
           "samples (MiB, every 10%) | target | result |",
           "|---|---:|---:|---:|---:|---|---|---|"]
    for r in results:
        growth = int(r["growth_kib"])  # type: ignore[call-overload]
        samples = " ".join(f"{int(s) / 1024:.1f}" for s in r["samples_kib"])  # type: ignore[attr-defined]
        out.append(f"| {r['config']} | {int(r['n']):,} | {int(r['rss_start_kib']) / 1024:.1f} MiB | "  # type: ignore[call-overload]
                   f"{int(r['rss_end_kib']) / 1024:.1f} MiB | {growth / 1024:+.2f} MiB | {samples} | "  # type: ignore[call-overload]
                   f"≤ 5 MB | {'PASS' if growth <= MEMORY_TARGET_KIB else '**FAIL**'} |")
    return "\n".join(out)


# --- machine ----------------------------------------------------------------------------------------


def machine_info() -> str:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = []
    for dist in ("oxlog", "structlog", "django-structlog", "python-json-logger", "celery"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "oxlog"], cwd=REPO,
                               capture_output=True, text=True).stdout.split()[1::2]
        tree = f"git {head}" + (f" + uncommitted changes to {', '.join(dirty)}" if dirty else "")
    except OSError:
        tree = "not a git checkout"
    return (f"- CPU: {cpu}, {os.cpu_count()} cores; load average at start: {load}\n"
            f"- Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.release()}\n"
            f"- {', '.join(versions)}\n"
            f"- code measured: {tree}")


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: 20,000 records, 3 rounds (< 60 s)")
    parser.add_argument("--n", type=int, help="records per run (default 200,000; quick 20,000)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; quick 3)")
    parser.add_argument("--filtered-n", type=int, help="filtered DEBUG calls per run (default 1,000,000)")
    parser.add_argument("--configs", help="comma-separated subset of: " + ", ".join(baselines.CONFIGS))
    parser.add_argument("--tracing", action="store_true",
                        help="add the OpenTelemetry rows (SDK installed, no span / a span current)")
    parser.add_argument("--callgrind", action="store_true", help="add instruction counts (valgrind)")
    parser.add_argument("--callgrind-n", type=int, help="records per callgrind run (default 5,000)")
    parser.add_argument("--memory", action="store_true", help="add RSS growth over 1,000,000 records")
    parser.add_argument("--memory-n", type=int, default=1_000_000)
    parser.add_argument("--celery", action="store_true", help="add the Celery benchmark (needs Redis)")
    parser.add_argument("--celery-tasks", type=int, help="tasks per Celery run (default 2,000)")
    parser.add_argument("--celery-rounds", type=int, help="Celery rounds (default 5; quick 1)")
    parser.add_argument("--celery-with-info", action="store_true",
                        help="add Celery's own worker lines at -l INFO as a reference setup")
    parser.add_argument("--celery-callgrind", action="store_true",
                        help="add Celery instruction counts (valgrind; needs Redis)")
    parser.add_argument("--celery-memory", type=int, nargs="?", const=100_000, metavar="TASKS",
                        help="add the worker's RSS over TASKS tasks (default 100,000; needs Redis)")
    parser.add_argument("--only-extra", action="store_true",
                        help="skip the timing rounds (run only the extra parts asked for)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)

    n = args.n or (20_000 if args.quick else 200_000)
    rounds = args.rounds or (3 if args.quick else 5)
    n_filtered = args.filtered_n or (200_000 if args.quick else 1_000_000)
    configs = args.configs.split(",") if args.configs else [
        c for c in baselines.CONFIGS if args.tracing or c not in baselines.TRACING]
    unknown = set(configs) - set(baselines.CONFIGS)
    if unknown:
        parser.error(f"unknown configurations: {', '.join(sorted(unknown))}")
    if "stdlib" not in configs:
        configs.insert(0, "stdlib")
    filtered = [c for c in baselines.FILTERED if c in configs]

    started = time.perf_counter()
    sections = ["# oxlog benchmark", "", machine_info(), ""]
    raw: dict[str, object] = {"n": n, "rounds": rounds, "n_filtered": n_filtered}
    failed = False

    if not args.only_extra:
        print(f"timing: {len(configs)} configurations x {rounds} rounds, {n:,} records "
              f"({n_filtered:,} filtered DEBUG calls), each run in a fresh process", file=sys.stderr)
        values = timing_rounds(configs, filtered, n, n_filtered, rounds)
        rows = summarize(values)
        raw["timing"] = values
        failed |= any(row.get("pass") is False for row in rows)
        sections += [f"## Per record: {n:,} records (a message, 3 fields, 3 context values) to a file",
                     "", timing_table(rows, rounds), "",
                     "Ratios are medians of per-round ratios. oxlog-both is compared with "
                     "dsl-docs-2files (both write two files); `*-debug-filtered` rows are µs per "
                     f"DEBUG call with the level at INFO ({n_filtered:,} calls) and are compared with "
                     "stdlib-debug-filtered and dsl-docs-debug-filtered.", ""]
        tracing = tracing_table(values)
        if tracing:
            raw["tracing"] = tracing
            sections += ["## OpenTelemetry: a record with the SDK installed", "",
                         tracing_markdown(tracing), ""]

    if args.tracing:
        print("tracing step: 1,000,000 calls x 5 rounds in a fresh process", file=sys.stderr)
        proc = subprocess.run([sys.executable, "-m", "bench.tracing"], cwd=REPO, env=worker_env(),
                              capture_output=True, text=True, check=True)
        step = json.loads(proc.stdout.strip().splitlines()[-1])
        raw["tracing_step"] = step
        ok = step["no_span_us"] <= TRACING_NO_SPAN_TARGET_US
        failed |= not ok
        sections += ["## OpenTelemetry: the tracing step alone (`python -m bench.tracing`)", "",
                     "| span | µs per record | target | result |", "|---|---:|---|---|",
                     f"| none current | {step['no_span_us']:.3f} | ≤ {TRACING_NO_SPAN_TARGET_US} µs | "
                     f"{'PASS' if ok else '**FAIL**'} |",
                     f"| one current (`trace_id`, `span_id`, `trace_sampled` added) | "
                     f"{step['span_us']:.3f} | | |", ""]

    if args.callgrind:
        cn = args.callgrind_n or (2_000 if args.quick else 5_000)
        cfn = cn * 10
        print(f"callgrind: {cn:,} records / {cfn:,} filtered calls per run", file=sys.stderr)
        per_call = callgrind(configs, filtered, cn, cfn)
        raw["callgrind"] = per_call
        sections += ["## Instructions per record (valgrind --tool=callgrind)", "",
                     callgrind_table(per_call, cn, cfn), ""]

    if args.memory:
        mn = args.memory_n if not args.quick else min(args.memory_n, 200_000)
        warmup = 100_000 if not args.quick else 20_000
        print(f"memory: {warmup:,} warm-up + {mn:,} records per configuration", file=sys.stderr)
        mem = memory(mn, warmup)
        raw["memory"] = mem
        failed |= any(int(r["growth_kib"]) > MEMORY_TARGET_KIB for r in mem)  # type: ignore[call-overload]
        sections += [f"## Memory: RSS growth over {mn:,} records after {warmup:,} warm-up", "",
                     memory_table(mem), ""]

    from bench.celery_bench import setups_for

    celery_setups = setups_for(args.celery_with_info)
    if args.celery:
        from bench import celery_bench

        tasks = args.celery_tasks or (300 if args.quick else 2_000)
        celery_rounds = args.celery_rounds or (1 if args.quick else 5)
        print(f"celery: {tasks:,} tasks per run through Redis, {celery_rounds} rounds", file=sys.stderr)
        celery_rows = celery_bench.run_all(tasks, rounds=celery_rounds, setups=celery_setups)
        raw["celery"] = celery_rows
        failed |= any(s.get("pass") is False for s in celery_bench.summarize(celery_rows))
        sections += [f"## Celery: {tasks:,} no-op tasks through Redis", "",
                     celery_bench.table(celery_rows), ""]

    if args.celery_callgrind:
        from bench import celery_callgrind

        cg_tasks = 50 if args.quick else 200
        print(f"celery callgrind: {cg_tasks} tasks per setup under valgrind", file=sys.stderr)
        cg_rows = celery_callgrind.run_all(cg_tasks, setups=celery_setups)
        raw["celery_callgrind"] = cg_rows
        failed |= not celery_callgrind.passed(cg_rows)
        sections += ["## Celery: instructions per task and per publish (valgrind --tool=callgrind)", "",
                     celery_callgrind.table(cg_rows), ""]

    if args.celery_memory:
        from bench import celery_bench

        print(f"celery memory: {args.celery_memory:,} tasks per setup (prefork)", file=sys.stderr)
        mem_rows = celery_bench.run_memory(args.celery_memory, batch=max(1, args.celery_memory // 10))
        raw["celery_memory"] = mem_rows
        failed |= any(int(r["growth_kib"]) > celery_bench.MEMORY_TARGET_KIB  # type: ignore[call-overload]
                      for r in mem_rows if r["setup"] == "oxlog")
        sections += [f"## Celery: worker memory over {args.celery_memory:,} tasks", "",
                     celery_bench.memory_table(mem_rows), ""]

    sections.append(f"_Total bench time: {time.perf_counter() - started:.0f} s._")
    text = "\n".join(sections) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    args.output.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(f"written to {args.output}", file=sys.stderr)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
