"""One measurement in one fresh process: ``python -m bench.worker CONFIG --n N --dir DIR``.

Configures CONFIG (see :mod:`bench.baselines`), times *n* log calls with
``time.perf_counter`` and prints one JSON object on stdout. Afterwards it checks
what was written — exactly *n* lines in every file, the first line of every JSON
file parses — so that the benchmark cannot silently measure a broken path; a
failed check exits with status 3.

Modes:

* ``--mode records`` (default): *n* INFO calls, each writing one line per file.
* ``--mode filtered``: *n* DEBUG calls with the level at INFO; nothing may be written.
* ``--mode memory``: *warmup* calls, then *n* more, sampling RSS every
  ``--sample-every`` calls; reports the growth after warm-up.

``--no-verify`` skips the checks (the callgrind runs, so that reading the file
back is not counted as logging).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time

from bench import baselines


def rss_kib() -> int:
    """The resident set size of this process now, in KiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


def verify(files: list[tuple[str, str]], expected: int) -> list[str]:
    """Problems with the written files: a wrong line count, a first JSON line that is not JSON."""
    problems = []
    for path, kind in files:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            if expected:
                problems.append(f"{path}: missing")
            continue
        lines = data.count(b"\n")
        if lines != expected:
            problems.append(f"{os.path.basename(path)}: {lines} lines, expected {expected}")
        if kind == "json" and expected:
            first = data[: data.index(b"\n")] if b"\n" in data else data
            try:
                obj = json.loads(first)
            except ValueError as exc:
                problems.append(f"{os.path.basename(path)}: first line is not JSON ({exc}): {first[:200]!r}")
            else:
                if not isinstance(obj, dict) or "user_id" not in json.dumps(obj):
                    problems.append(f"{os.path.basename(path)}: first line lacks the fields: {first[:200]!r}")
                elif "correlation_id" not in obj and "correlation_id" not in json.dumps(obj):
                    problems.append(f"{os.path.basename(path)}: first line lacks the context")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("config", choices=sorted(baselines.CONFIGS))
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--mode", choices=("records", "filtered", "memory"), default="records")
    parser.add_argument("--warmup", type=int, default=100_000,
                        help="memory mode: calls before the first sample")
    parser.add_argument("--sample-every", type=int, default=100_000)
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args(argv)

    setup = baselines.CONFIGS[args.config](args.dir)
    result: dict[str, object] = {"config": args.config, "mode": args.mode, "n": args.n}

    if args.mode == "memory":
        setup.run(args.warmup)
        gc.collect()
        start = rss_kib()
        samples = [start]
        done = 0
        t0 = time.perf_counter()
        while done < args.n:
            step = min(args.sample_every, args.n - done)
            setup.run(step)
            done += step
            samples.append(rss_kib())
        elapsed = time.perf_counter() - t0
        gc.collect()
        end = rss_kib()
        result.update(rss_start_kib=start, rss_end_kib=end, growth_kib=end - start,
                      samples_kib=samples, seconds=elapsed,
                      maxrss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        expected = args.warmup + args.n
    else:
        loop = setup.run if args.mode == "records" else setup.run_filtered
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        loop(args.n)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        result.update(seconds=elapsed, cpu_seconds=cpu,
                      us_per_call=elapsed / args.n * 1e6 if args.n else 0.0)
        expected = args.n if args.mode == "records" else 0

    if not args.no_verify:
        problems = verify(setup.files, expected)
        if problems:
            print(json.dumps({**result, "error": "; ".join(problems)}))
            return 3
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
