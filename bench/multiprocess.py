"""Many processes, one log file: does any record get lost, duplicated or interleaved?

``python -m bench.multiprocess [--records 50000] [--processes 4]`` runs three cases
and prints one line each:

1. oxlog's FileHandler, N processes appending to the same json.log and flat_line.log;
2. the same while the files are rotated externally (``mv`` then the handler creates
   a new file, as logrotate's ``create`` does) every 1 MB;
3. the stdlib ``RotatingFileHandler`` (1 MB, 1000 backups, so retention never drops
   anything) shared by the same processes — the setup docs/logrotate.md warns against.

Each record carries (pid, seq); every file is read back strictly and the records
counted: lost = expected - found, duplicated = found more than once, bad = lines
that do not parse.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OXLOG_WORKER = """
import os, structlog, oxlog
oxlog.configure(dir=os.environ["LOGDIR"], console="off", files=["json", "logfmt"])
log = structlog.get_logger("bench")
for seq in range(int(os.environ["N"])):
    log.info("rec", seq=seq, pad="x" * (seq % 200))
"""

ROTATING_WORKER = """
import json, logging, logging.handlers, os
handler = logging.handlers.RotatingFileHandler(
    os.path.join(os.environ["LOGDIR"], "json.log"), maxBytes=1_000_000, backupCount=1000)
handler.setFormatter(logging.Formatter("%(message)s"))
log = logging.getLogger("bench")
log.addHandler(handler)
log.setLevel(logging.INFO)
log.propagate = False
pid = os.getpid()
for seq in range(int(os.environ["N"])):
    log.info(json.dumps({"process": pid, "seq": seq, "pad": "x" * (seq % 200)}))
"""


def start(code: str, log_dir: Path, processes: int, records: int) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env.update({"PYTHONPATH": str(ROOT), "LOGDIR": str(log_dir), "N": str(records)})
    return [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(processes)]


def wait(procs: list[subprocess.Popen[bytes]]) -> set[int]:
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"worker {proc.pid} failed")
    return {proc.pid for proc in procs}


def count(paths: list[Path], logfmt: bool = False) -> tuple[Counter[tuple[int, int]], int]:
    found: Counter[tuple[int, int]] = Counter()
    bad = 0
    sys.path.insert(0, str(ROOT))
    from tests.logfmt import decode

    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]:
            try:
                record = decode(line) if logfmt else json.loads(line)
                found[(int(record["process"]), int(record["seq"]))] += 1
            except (ValueError, KeyError):
                bad += 1
    return found, bad


def summary(name: str, pids: set[int], records: int, found: Counter[tuple[int, int]], bad: int,
            elapsed: float, extra: str = "") -> str:
    expected = {(pid, seq) for pid in pids for seq in range(records)}
    lost = len(expected - set(found))
    duplicated = sum(n - 1 for n in found.values() if n > 1)
    total = len(pids) * records
    return (f"{name}: {len(pids)}x{records:,} = {total:,} records, lost {lost:,} "
            f"({100 * lost / total:.2f}%), duplicated {duplicated}, bad lines {bad}, "
            f"{elapsed:.1f}s ({total / elapsed:,.0f} records/s){extra}")


def oxlog_plain(tmp: Path, processes: int, records: int) -> list[str]:
    t = time.perf_counter()
    pids = wait(start(OXLOG_WORKER, tmp, processes, records))
    elapsed = time.perf_counter() - t
    out = []
    for name, logfmt in (("json.log", False), ("flat_line.log", True)):
        found, bad = count([tmp / name], logfmt)
        out.append(summary(f"oxlog FileHandler, {name}", pids, records, found, bad, elapsed))
    return out


def oxlog_rotated(tmp: Path, processes: int, records: int) -> list[str]:
    t = time.perf_counter()
    procs = start(OXLOG_WORKER, tmp, processes, records)
    rotations = 0
    while any(p.poll() is None for p in procs):
        path = tmp / "json.log"
        try:
            if path.stat().st_size >= 1_000_000:
                rotations += 1
                os.rename(path, tmp / f"json.log.{rotations}")
                os.rename(tmp / "flat_line.log", tmp / f"flat_line.log.{rotations}")
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    pids = wait(procs)
    elapsed = time.perf_counter() - t
    out = []
    for name, logfmt in (("json.log", False), ("flat_line.log", True)):
        found, bad = count(sorted(tmp.glob(name + "*")), logfmt)
        out.append(summary(f"oxlog FileHandler + mv every 1 MB, {name}*", pids, records, found, bad,
                           elapsed, f", {rotations} rotations"))
    return out


def stdlib_rotating(tmp: Path, processes: int, records: int) -> list[str]:
    t = time.perf_counter()
    pids = wait(start(ROTATING_WORKER, tmp, processes, records))
    elapsed = time.perf_counter() - t
    files = sorted(tmp.glob("json.log*"))
    found, bad = count(files)
    return [summary("stdlib RotatingFileHandler (1 MB) shared", pids, records, found, bad, elapsed,
                    f", {len(files)} files")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    for case in (oxlog_plain, oxlog_rotated, stdlib_rotating):
        with tempfile.TemporaryDirectory(prefix="oxlog-bench-") as tmp:
            for line in case(Path(tmp), args.processes, args.records):
                print(line, flush=True)


if __name__ == "__main__":
    main()
