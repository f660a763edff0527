"""Benchmark the oxlog CLI: trace vs ``grep -F``, stats throughput, peak memory.

Usage: ``python bench/cli/run.py [--size-mb 200 | --quick] [--file json.log]``. The log is
generated with make_log.py (into a temporary directory unless ``--file`` names one to keep
or reuse) and read once beforehand so every timing sees a warm page cache. Each command
runs in its own process; wall time and peak RSS come from ``os.wait4``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def measure(command: list[str]) -> tuple[float, float]:
    """Run ``command`` with output to a pipe drained to nothing; return seconds and peak RSS in MB."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    with tempfile.TemporaryFile() as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def best_of(command: list[str], runs: int) -> tuple[float, float]:
    """Return the fastest time and the highest peak RSS over ``runs`` runs."""
    results = [measure(command) for _ in range(runs)]
    return min(seconds for seconds, _ in results), max(rss for _, rss in results)


def ensure_log(path: Path, size_mb: float) -> dict[str, str]:
    """Generate the log unless it and its ids file exist; return the ids to trace."""
    ids_file = Path(f"{path}.ids.json")
    if not (path.exists() and ids_file.exists()):
        make = [sys.executable, str(HERE / "make_log.py"), str(path), "--size-mb", str(size_mb)]
        subprocess.run(make, check=True)
    with path.open("rb") as warm:
        while warm.read(16 << 20):
            pass
    ids: dict[str, str] = json.loads(ids_file.read_text())
    return ids


def rows(path: Path, ids: dict[str, str], runs: int) -> list[tuple[str, float, float, float | None]]:
    """Time every case; return (case, seconds, peak RSS MB, ratio to grep or None)."""
    oxlog = [sys.executable, "-m", "oxlog"]
    out: list[tuple[str, float, float, float | None]] = []
    for label, value in (("correlation id", ids["correlation_id"]), ("task id", ids["task_id"])):
        grep, grep_rss = best_of(["grep", "-F", value, str(path)], runs)
        trace, trace_rss = best_of([*oxlog, "trace", value, "--json", str(path)], runs)
        out.append((f"grep -F {label}", grep, grep_rss, None))
        out.append((f"trace by {label}", trace, trace_rss, trace / grep))
    for case in (["stats"], ["stats", "--by", "queue"], ["lost"]):
        seconds, rss = best_of([*oxlog, *case, str(path)], runs)
        out.append((" ".join(case), seconds, rss, None))
    return out


def main() -> None:
    """Parse arguments, run the cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--quick", action="store_true", help="20 MB, one run each (for CI)")
    parser.add_argument("--file", type=Path, help="log to use or create (default: a temporary file)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = 20 if args.quick else args.size_mb
    with tempfile.TemporaryDirectory() as scratch:
        path = args.file or Path(scratch) / "json.log"
        ids = ensure_log(path, size)
        megabytes = path.stat().st_size / 1e6
        results = rows(path, ids, 1 if args.quick else args.runs)
    print(f"{path.name}: {megabytes:,.0f} MB")
    print(f"{'case':<24}{'seconds':>9}{'MB/s':>9}{'peak RSS MB':>13}{'x grep':>8}")
    for case, seconds, rss, ratio in results:
        ratio_text = f"{ratio:.1f}" if ratio is not None else ""
        print(f"{case:<24}{seconds:>9.2f}{megabytes / seconds:>9.0f}{rss:>13.0f}{ratio_text:>8}")


if __name__ == "__main__":
    main()
