"""FileHandler when things go wrong: full disk, deleted directory, lost permission,
many processes on one file, external rotation.

The permission tests drop to user nobody inside the script (root ignores file
permissions); the interpreter lives under /root (mode 0700), so the switch happens
after the imports rather than in ``preexec_fn``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oxlog.handlers import FileHandler
from tests.conftest import ROOT, read_json, read_logfmt
from tests.disk import small_disk

SECRET = "SECRET-hunter2-0xDEADBEEF"

PRELUDE = """
import logging, logging.config, os, sys, time, json, shutil
import oxlog, oxlog._configure, oxlog.handlers, oxlog.formatters, oxlog.filters, structlog
# (oxlog's names load lazily: import its modules here, before a script drops to user
# nobody, who may not be able to read a root-only checkout)
log = structlog.get_logger("app")
std = logging.getLogger("app")
"""

AS_NOBODY = """
# What configure() imports on first use, imported while the checkout (and its .venv) can be
# read: a clone in a 0700 directory (``mktemp -d``) is closed to user nobody.
import oxlog.celery.filters, oxlog.filters, oxlog.formatters, oxlog.handlers
os.setgid(65534)
os.setuid(65534)
"""


def run_script(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    full_env.update({"PYTHONPATH": str(ROOT), "OXLOG_CONSOLE": "off"}, **(env or {}))
    return subprocess.run([sys.executable, "-c", PRELUDE + code], env=full_env, capture_output=True,
                          text=True, timeout=60, cwd="/tmp")


def oxlog_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("oxlog:")]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory under /tmp that user nobody may use (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="oxlog-perm-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir() and not sub.is_symlink():
            sub.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


# --- disk full ---------------------------------------------------------------------------

DISK_FULL = f"""
d = os.environ["LOGDIR"]               # a 64 KiB tmpfs: the disk really fills up
oxlog.configure(dir=d, console="off", files=["json"])
log.info("before")
path = os.path.join(d, "json.log")
os.rename(path, path + ".before")
filler = os.open(os.path.join(d, "filler"), os.O_WRONLY | os.O_CREAT)
try:
    while os.write(filler, b"x" * 4096):
        pass
except OSError:
    os.close(filler)
time.sleep(0.15)               # FileHandler.check_interval: the path is checked every 0.1 s
for i in range(3):
    log.info("token %s", "{SECRET}", password="{SECRET}")
    std.info("token %s", "{SECRET}")
print("APP-CONTINUES")
os.remove(os.path.join(d, "filler"))
time.sleep(1.2)
log.info("after")
"""


@pytest.fixture(scope="module")
def disk_full(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.CompletedProcess[str], Path]]:
    with small_disk(tmp_path_factory.mktemp("full"), "64k") as tmp_path:
        proc = run_script(DISK_FULL, {"LOGDIR": str(tmp_path)})
        yield proc, tmp_path


def test_disk_full_does_not_reach_the_application(disk_full: Any) -> None:
    """Writing to a full disk raises nothing: the script goes on and exits 0."""
    proc, _ = disk_full
    assert proc.returncode == 0, proc.stderr
    assert "APP-CONTINUES" in proc.stdout


def test_disk_full_is_reported_once_without_the_records_arguments(disk_full: Any) -> None:
    """Six failed records give one bounded report naming the error, never the secret."""
    proc, _ = disk_full
    failures = [line for line in oxlog_lines(proc.stderr) if "cannot write" in line]
    assert len(failures) == 1 and "No space left on device" in failures[0]
    assert len(proc.stderr.splitlines()) <= 3 and len(proc.stderr) < 1500
    assert SECRET not in proc.stderr


def test_logging_resumes_after_disk_full_and_says_how_many_were_dropped(disk_full: Any) -> None:
    """Once the path is writable again the next record is written and the count reported."""
    proc, tmp = disk_full
    assert [r["message"] for r in read_json(tmp / "json.log")] == ["after"]
    assert [r["message"] for r in read_json(tmp / "json.log.before")] == ["before"]
    assert any("again; 6 records were dropped" in line for line in oxlog_lines(proc.stderr))


# --- directory deleted and not re-creatable; permission lost --------------------------------

DIR_GONE = AS_NOBODY + f"""
base = os.path.join(os.environ["BASE"], "app")
os.mkdir(base)
d = os.path.join(base, "logs")
oxlog.configure(dir=d, console="off", files=["json", "logfmt"])
log.info("before")
shutil.rmtree(d)
os.chmod(base, 0o555)          # the directory cannot be created again
time.sleep(0.15)               # FileHandler.check_interval
for i in range(4):
    log.info("lost %s", "{SECRET}")
print("APP-CONTINUES")
os.chmod(base, 0o755)
time.sleep(1.2)
log.info("after")
"""


def test_deleted_directory_is_reported_once_and_logging_resumes(shared_tmp: Path) -> None:
    """Log directory deleted (and not re-creatable): one report, exit 0, then it is recreated."""
    proc = run_script(DIR_GONE, {"BASE": str(shared_tmp)})
    assert proc.returncode == 0 and "APP-CONTINUES" in proc.stdout, proc.stderr
    reports = oxlog_lines(proc.stderr)
    assert [("cannot write" in line) for line in reports].count(True) == 2  # json.log, flat_line.log
    assert all("Permission denied" in line for line in reports if "cannot write" in line)
    assert SECRET not in proc.stderr
    logs = shared_tmp / "app" / "logs"
    assert [r["message"] for r in read_json(logs / "json.log")] == ["after"]
    assert [r["message"] for r in read_logfmt(logs / "flat_line.log")] == ["after"]
    assert sum("4 records were dropped" in line for line in reports) == 2


PERMISSION = AS_NOBODY + f"""
d = os.path.join(os.environ["BASE"], "logs")
os.mkdir(d)
oxlog.configure(dir=d, console="off", files=["json"])
path = os.path.join(d, "json.log")
log.info("before")
os.chmod(path, 0o000)          # permission removed from the open file: it keeps working
log.info("while-file-denied")
os.rename(path, path + ".1")   # rotated into a directory where no file can be created
os.chmod(d, 0o555)
time.sleep(0.15)               # FileHandler.check_interval
for i in range(3):
    log.info("moved %s", "{SECRET}")
print("APP-CONTINUES")
os.chmod(d, 0o755)
time.sleep(1.2)
log.info("after")
"""


def test_lost_permission_loses_no_record(shared_tmp: Path) -> None:
    """File mode 000, then rotated where nothing can be created: records go on to the moved
    file, one report, and after the permission is back they go to a new json.log."""
    proc = run_script(PERMISSION, {"BASE": str(shared_tmp)})
    assert proc.returncode == 0 and "APP-CONTINUES" in proc.stdout, proc.stderr
    logs = shared_tmp / "logs"
    (logs / "json.log.1").chmod(0o644)
    moved = [r["message"] for r in read_json(logs / "json.log.1")]
    assert moved == ["before", "while-file-denied"] + [f"moved {SECRET}"] * 3
    assert [r["message"] for r in read_json(logs / "json.log")] == ["after"]
    reports = oxlog_lines(proc.stderr)
    assert sum("cannot reopen" in line for line in reports) == 1
    assert any("reopened" in line for line in reports)
    assert SECRET not in proc.stderr


# --- many processes, one file ---------------------------------------------------------------

WORKER = """
d, n, half = os.environ["LOGDIR"], int(os.environ["N"]), os.environ.get("HALF")
oxlog.configure(dir=d, console="off", files=["json", "logfmt"])
for seq in range(n):
    if half and seq == n // 2:
        open(os.path.join(d, f"half-{os.getpid()}"), "w").close()
        while not os.path.exists(os.path.join(d, "rotated")):
            time.sleep(0.005)
    log.info("rec", seq=seq, pad="x" * (seq % 300))
"""


def start_workers(log_dir: Path, count: int, n: int, half: bool = False) -> list[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env.update({"PYTHONPATH": str(ROOT), "LOGDIR": str(log_dir), "N": str(n)})
    if half:
        env["HALF"] = "1"
    return [subprocess.Popen([sys.executable, "-c", PRELUDE + WORKER], env=env, text=True,
                             stderr=subprocess.PIPE) for _ in range(count)]


def finish(procs: list[subprocess.Popen[str]]) -> set[int]:
    pids = set()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        pids.add(proc.pid)
    return pids


def keys_of(records: list[dict[str, Any]]) -> Counter[tuple[int, int]]:
    return Counter((int(r["process"]), int(r["seq"])) for r in records)


@pytest.mark.slow
def test_four_processes_share_one_file_without_loss(tmp_path: Path) -> None:
    """4 processes x 5,000 records into the same json.log and flat_line.log: every line
    parses, and each (pid, seq) is there exactly once in each file."""
    pids = finish(start_workers(tmp_path, 4, 5000))
    expected = Counter({(pid, seq): 1 for pid in pids for seq in range(5000)})
    assert keys_of(read_json(tmp_path / "json.log")) == expected
    assert keys_of(read_logfmt(tmp_path / "flat_line.log")) == expected  # type: ignore[arg-type]


@pytest.mark.slow
def test_external_rotation_loses_nothing_and_switches_to_the_new_file(tmp_path: Path) -> None:
    """``mv json.log json.log.1`` while 4 processes write: nothing lost or duplicated across
    both files, and every record written after the move is in the new json.log."""
    procs = start_workers(tmp_path, 4, 5000, half=True)
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("half-*"))) < 4:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for name in ("json.log", "flat_line.log"):
        os.rename(tmp_path / name, tmp_path / f"{name}.1")
    time.sleep(2 * FileHandler.check_interval)  # the writers look again within the interval
    (tmp_path / "rotated").touch()
    pids = finish(procs)
    old, new = read_json(tmp_path / "json.log.1"), read_json(tmp_path / "json.log")
    expected = Counter({(pid, seq): 1 for pid in pids for seq in range(5000)})
    assert keys_of(old) + keys_of(new) == expected
    assert {r["seq"] for r in new} == set(range(2500, 5000))
    assert keys_of(read_logfmt(tmp_path / "flat_line.log.1")) + keys_of(  # type: ignore[arg-type]
        read_logfmt(tmp_path / "flat_line.log")) == expected  # type: ignore[arg-type]


# --- in process: the write itself ------------------------------------------------------------


def test_a_partial_write_never_glues_two_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a write stops half way (disk filling up), the piece is ended in place with a
    marker no parser accepts, the rest is never written, and the next record is a line."""
    from oxlog.handlers import FileHandler

    handler = FileHandler(tmp_path / "x.log")
    real_write, calls = os.write, []

    def flaky(fd: int, data: bytes) -> int:
        calls.append(data)
        if len(calls) == 1:
            return real_write(fd, data[:5])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", flaky)
    handler.write_line(json.dumps({"n": 1}))
    handler.retry_interval = 0.0
    handler._next_check = 0.0
    handler.write_line(json.dumps({"n": 2}))
    monkeypatch.setattr(os, "write", real_write)
    handler.close()
    lines = (tmp_path / "x.log").read_text().split("\n")
    assert lines == ['{"n\x18', '{"n": 2}', ""]


def test_console_on_an_ascii_stream_escapes_instead_of_dropping() -> None:
    """A console that cannot encode a character gets it backslash-escaped, not lost."""
    import io

    from oxlog.formatters import JSONFormatter
    from oxlog.handlers import ConsoleHandler

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    handler = ConsoleHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.handle_event({"message": "naïve ☃"})
    assert raw.getvalue() == b'{"message":"na\\xefve \\u2603"}\n'
