"""Profile one configuration's hot path: ``python -m bench.profile oxlog-structlog-json``.

Configures the configuration (:mod:`bench.baselines`) in this process, runs *n*
calls under ``cProfile`` and prints the top functions by own time and by
cumulative time. cProfile inflates the cost of small functions; read the shares,
not the absolute µs (``python -m bench.run`` has the real figures).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile

from bench import baselines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("config", choices=sorted(baselines.CONFIGS))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--filtered", action="store_true", help="profile filtered DEBUG calls")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--output", help="also save the raw profile here (for snakeviz etc.)")
    args = parser.parse_args(argv)

    directory = tempfile.mkdtemp(prefix="oxlog-bench-profile-")
    try:
        setup = baselines.CONFIGS[args.config](directory)
        loop = setup.run_filtered if args.filtered else setup.run
        loop(1_000)  # warm-up: caches, the first-use logger cache
        profiler = cProfile.Profile()
        profiler.runcall(loop, args.n)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.output:
        profiler.dump_stats(args.output)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs()
    print(f"== {args.config}: {args.n:,} calls, by own time ==")
    stats.sort_stats("tottime").print_stats(args.top)
    print(f"== {args.config}: by cumulative time ==")
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
