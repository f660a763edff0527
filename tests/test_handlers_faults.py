"""FileHandler and ConsoleHandler under faults and races (issue 15, files half).

Every case runs for real: a tmpfs that fills up, a file size limit, several processes
on one file, threads that rotate, reconfigure and open files of their own, FIFOs,
symbolic links, a closed fd 2, a non-blocking pipe. Races run several rounds. Every
test here but the ``KeyboardInterrupt`` guard fails on the handlers before issue 15
(commit 06fe223): glued or lost records, the application's descriptors closed, a
timeout on the FIFO, a followed link, a 0o777 directory, records after shutdown
dropped, a report inside json.log, a 10 s wait, uncounted console drops, interleaved
console lines.

What is checked is the README's Safety paragraph: no raise, no block, no descriptor of
the application touched, no forged or merged line, no record lost without a count and
one report, no report inside a log file.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, read_json, read_logfmt
from tests.disk import small_disk

PRELUDE = """
import json, logging, logging.config, os, sys, threading, time
import oxlog, oxlog._configure, oxlog._report, oxlog.handlers, oxlog.formatters, oxlog.filters, structlog
from oxlog.handlers import FileHandler
log = structlog.get_logger("app")
std = logging.getLogger("app")
"""


def script_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
    env.update({"PYTHONPATH": str(ROOT), "OXLOG_CONSOLE": "off"}, **extra)
    return env


def run(code: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run PRELUDE + *code* in a fresh interpreter (``env`` extras as keyword ``env``)."""
    env = script_env(**kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd="/tmp", **kwargs)


def oxlog_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("oxlog:")]


def split_lines(path: Path) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The records of a file of ``{"p":..,"seq":..}`` lines, and the lines that are not.

    A line that is not a whole record must be a torn piece: one record's start,
    ended with the TORN marker, so that no parser takes it for a record.
    """
    records, pieces = [], []
    for line in path.read_bytes().split(b"\n")[:-1]:
        try:
            records.append(json.loads(line))
        except ValueError:
            pieces.append(line)
    return records, pieces


def assert_pieces_are_marked(pieces: list[bytes], start: bytes = b'{"p":') -> None:
    """Each piece is the start of one record ended by the marker (or, when the short write
    left 1 byte, an empty line): never two records, never a record glued to a piece."""
    for piece in pieces:
        body = piece.rstrip(b"\x18")
        assert piece == b"" or piece.endswith(b"\x18"), piece[-100:]
        assert body.count(b"{") <= 1, piece
        assert start.startswith(body) or body.startswith(start), piece


# --- disk full and file size limit, several processes on one file ---------------------------

FILLING_WORKER = """
import resource
path, n, sync = os.environ["LOGFILE"], int(os.environ["N"]), os.environ["SYNC"]
tear = bool(os.environ.get("TEAR"))
h = FileHandler(path)
h.retry_interval = 0.02
written = []
for seq in range(n):
    if seq == n // 2:
        open(os.path.join(sync, f"half-{os.getpid()}"), "w").close()
        while not os.path.exists(os.path.join(sync, "freed")):
            time.sleep(0.002)
        time.sleep(0.05)
    before = h.dropped
    if tear and seq % 20 == 10 and h._fd >= 0:  # a file size limit 20 bytes further
        limit = os.fstat(h._fd).st_size + 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    h.write_line(json.dumps({"p": os.getpid(), "seq": seq, "pad": "x" * (97 * seq % 700)}))
    if tear:
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    if h.dropped != before + 1:
        written.append(seq)
with open(os.path.join(sync, f"written-{os.getpid()}"), "w") as out:
    json.dump(written, out)
"""


def fill_and_free(disk: Path, sync: Path, workers: int, n: int, leave: int | None,
                  tear: bool = False) -> tuple[dict[int, list[int]], Path]:
    """Start *workers* writers on one file of *disk*, with *leave* bytes free (None: as
    is); free the disk when each is half way; return what each counted written, and the
    file. With *tear*, the first worker sets itself a file size limit 20 bytes past the
    end of the file before every 20th record (a short write, then EFBIG)."""
    filler = disk / "filler"
    if leave is not None:
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"f" * max(free - leave, 0))
    path = disk / "json.log"
    env = script_env(LOGFILE=str(path), N=str(n), SYNC=str(sync))
    procs = []
    for i in range(workers):
        extra = {"TEAR": "1"} if tear and i == 0 else {}
        procs.append(subprocess.Popen([sys.executable, "-c", PRELUDE + FILLING_WORKER],
                                      env={**env, **extra}, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 60
    while len(list(sync.glob("half-*"))) < workers:
        assert time.monotonic() < deadline, "workers did not reach half way"
        time.sleep(0.01)
    filler.unlink(missing_ok=True)
    (sync / "freed").touch()
    written = {}
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert all("oxlog:" in line for line in err.splitlines()), err  # reports only
        written[proc.pid] = json.loads((sync / f"written-{proc.pid}").read_text())
    return written, path


def check_counted(written: dict[int, list[int]], path: Path) -> list[bytes]:
    """Every record counted written is in the file once, whole; nothing else is."""
    records, pieces = split_lines(path)
    assert_pieces_are_marked(pieces)
    assert Counter((r["p"], r["seq"]) for r in records) == Counter(
        (pid, seq) for pid, seqs in written.items() for seq in seqs)
    return pieces


@pytest.mark.parametrize("round_", range(3))
def test_disk_full_with_several_processes_never_glues_or_loses_a_counted_record(
        tmp_path: Path, round_: int) -> None:
    """4 processes fill a real 512 KiB tmpfs through one json.log, then it is freed: a
    short write never glues onto another process's record, and every record a process
    counted written is there, whole, exactly once."""
    sync = tmp_path / "sync"
    sync.mkdir()
    with small_disk(tmp_path / "disk", "512k") as disk:
        written, path = fill_and_free(disk, sync, workers=4, n=200, leave=24_000 + 997 * round_)
        check_counted(written, path)
        assert sum(map(len, written.values())) < 800  # the disk did fill up


def test_file_size_limit_of_one_process_never_glues_its_piece_onto_the_others(
        tmp_path: Path) -> None:
    """One of 3 processes hits its RLIMIT_FSIZE again and again (a short write, then
    EFBIG): each piece is ended in place, and the others' records, written right after
    it, are lines of their own. Rounds are repeated until records were torn in at least
    three (at most 8): when another process appends between the limit being set and the
    write, the write fails whole (EFBIG, nothing torn), which a busy machine can make
    happen for a whole round."""
    torn_rounds = 0
    for round_ in range(8):
        base = tmp_path / f"round-{round_}"
        sync = base / "sync"
        sync.mkdir(parents=True)
        written, path = fill_and_free(base, sync, workers=3, n=300, leave=None, tear=True)
        pieces = check_counted(written, path)
        assert len(pieces) <= 15
        torn_rounds += bool(pieces)
        if torn_rounds >= 3:
            break
    assert torn_rounds >= 1  # the limit did tear records, so the check above checked them


# --- threads: the rotation check, retired descriptors and the application's own files --------

ROTATING_THREADS = """
import errno
d = os.environ["LOGDIR"]
h = FileHandler(os.path.join(d, "json.log"))
h.check_interval = 0.0            # the documented knob: a check before every record
h.retire_delay = 0.5              # retired descriptors are closed while the threads run
stop = threading.Event()
problems = []
counted = []

attempts = []
end = time.monotonic() + float(os.environ["SECONDS"])

def writer(t):
    seq = 0
    while time.monotonic() < end:
        before = h.dropped
        h.write_line(json.dumps({"p": t, "seq": seq}))
        if h.dropped != before + 1:
            counted.append((t, seq))
        seq += 1
    attempts.append(seq)

def rotator():
    i = 0
    while not stop.is_set():
        i += 1
        try:
            os.rename(os.path.join(d, "json.log"), os.path.join(d, f"json.log.{i}"))
        except FileNotFoundError:
            pass
        time.sleep(0.003)

def application(k):
    # opens, writes and closes files of its own, as an application does
    i = 0
    while not stop.is_set():
        i += 1
        name = os.path.join(d, f"app-{k}-{i}")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        mine = os.fstat(fd)
        try:
            for _ in range(5):
                os.write(fd, b"app\\n")
                time.sleep(0.0005)
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
                problems.append(f"fd {fd} of {name} now names another file")
        except OSError as exc:
            problems.append(f"fd {fd} of {name}: {exc}")
        try:
            os.close(fd)
        except OSError as exc:
            problems.append(f"close {fd}: {exc}")
        with open(name, "rb") as f:
            if f.read() != b"app\\n" * 5:
                problems.append(f"{name} holds other lines")
        os.remove(name)

threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
others = [threading.Thread(target=rotator)] + [threading.Thread(target=application, args=(k,))
                                               for k in range(2)]
for t in threads + others:
    t.start()
for t in threads:
    t.join()
stop.set()
for t in others:
    t.join()
h.close()
json.dump({"problems": problems[:20], "counted": counted, "attempts": sum(attempts)},
          open(os.path.join(d, "result"), "w"))
"""


@pytest.mark.parametrize("round_", range(2))
def test_threads_rotating_never_close_or_write_into_the_applications_descriptors(
        tmp_path: Path, round_: int) -> None:
    """For 2 s, 4 threads log with a check before every record while the file is renamed
    every 3 ms (retired descriptors closed after 0.5 s) and 2 threads open, write and
    close files of their own: no descriptor of theirs is closed or written by oxlog, and
    every record is in some json.log*, once."""
    proc = run(ROTATING_THREADS, env={"LOGDIR": str(tmp_path), "SECONDS": "2"})
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result").read_text())
    assert result["problems"] == []
    records = [r for path in tmp_path.glob("json.log*") for r in read_json(path)]
    assert Counter((r["p"], r["seq"]) for r in records) == Counter(map(tuple, result["counted"]))
    assert len(result["counted"]) == result["attempts"] > 1000


RECONFIGURE = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="off", files=["json"])
n = int(os.environ["N"])
stop = threading.Event()
problems = []

def writer(t):
    for seq in range(n):
        if seq % 2:
            log.info("rec", t=t, seq=seq)
        else:
            std.info("rec", extra={"t": t, "seq": seq})

def application():
    i = 0
    while not stop.is_set():
        i += 1
        name = os.path.join(d, f"app-{i}")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, b"app\\n")
            time.sleep(0.001)
            os.write(fd, b"app\\n")
            os.close(fd)
        except OSError as exc:
            problems.append(f"fd {fd}: {exc}")
        with open(name, "rb") as f:
            if f.read() != b"app\\napp\\n":
                problems.append(f"{name} holds other lines")
        os.remove(name)

threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
app = threading.Thread(target=application)
for t in threads + [app]:
    t.start()
configured = 0
while any(t.is_alive() for t in threads):
    oxlog.configure(dir=d, console="off", files=["json"])
    configured += 1
stop.set()
for t in threads + [app]:
    t.join()
print(json.dumps({"problems": problems[:20], "configured": configured}))
"""


@pytest.mark.parametrize("round_", range(2))
def test_configure_again_while_threads_log_loses_nothing(tmp_path: Path, round_: int) -> None:
    """``configure()`` in a loop while 4 threads log 4,000 records each (structlog and
    stdlib): every record is in json.log once, and the application's files are untouched
    (the stdlib's ``dictConfig`` with its own ``FileHandler`` loses none either)."""
    proc = run(RECONFIGURE, env={"LOGDIR": str(tmp_path), "N": "4000"})
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["problems"] == [] and result["configured"] >= 5
    records = read_json(tmp_path / "json.log")
    assert Counter((r["t"], r["seq"]) for r in records) == Counter(
        (t, seq) for t in range(4) for seq in range(4000))
    assert oxlog_lines(proc.stderr) == []


# --- FIFOs, links and modes ---------------------------------------------------------------------

FIFO_AT_START = """
d = os.environ["LOGDIR"]
os.mkfifo(os.path.join(d, "json.log"))
if os.environ.get("READER"):
    reader = os.open(os.path.join(d, "json.log"), os.O_RDONLY | os.O_NONBLOCK)
oxlog.configure(dir=d, console="off", files=["json", "logfmt"])
for i in range(3):
    log.info("rec", i=i)
    std.info("std %s", i)
if os.environ.get("READER"):
    try:
        print("READ", len(os.read(reader, 65536)))
    except BlockingIOError:
        print("READ", 0)
print("APP-CONTINUES")
"""


@pytest.mark.parametrize("reader", ["", "1"])
def test_a_fifo_at_the_path_at_start_is_refused_without_blocking(tmp_path: Path, reader: str) -> None:
    """json.log is a FIFO when oxlog starts (with or without a reader): configure() and
    the log calls return at once, one report says why, the other file is written."""
    proc = run(FIFO_AT_START, timeout=20, env={"LOGDIR": str(tmp_path), "READER": reader})
    assert proc.returncode == 0 and "APP-CONTINUES" in proc.stdout, proc.stderr
    if reader:
        assert "READ 0" in proc.stdout
    reports = oxlog_lines(proc.stderr)
    assert len(reports) == 1 and "not a regular file (a FIFO)" in reports[0], reports
    assert len(read_logfmt(tmp_path / "flat_line.log")) == 6


FIFO_LATER = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="off", files=["json"])
log.info("before")
path = os.path.join(d, "json.log")
os.rename(path, path + ".1")
os.mkfifo(path)
time.sleep(0.15)                      # FileHandler.check_interval
for i in range(3):
    log.info("while-fifo")
os.remove(path)
time.sleep(1.1)                       # FileHandler.retry_interval
log.info("after")
print("APP-CONTINUES")
"""


def test_a_fifo_replacing_the_file_does_not_block_a_log_call(tmp_path: Path) -> None:
    """json.log is moved and a FIFO put in its place: the records keep going to the moved
    file (as when the path cannot be opened), nothing blocks, one report."""
    proc = run(FIFO_LATER, timeout=20, env={"LOGDIR": str(tmp_path)})
    assert proc.returncode == 0 and "APP-CONTINUES" in proc.stdout, proc.stderr
    moved = [r["message"] for r in read_json(tmp_path / "json.log.1")]
    assert moved == ["before"] + ["while-fifo"] * 3
    assert [r["message"] for r in read_json(tmp_path / "json.log")] == ["after"]
    assert sum("a FIFO" in line for line in oxlog_lines(proc.stderr)) == 1


SYMLINK = """
d = os.environ["LOGDIR"]
os.symlink(os.environ["TARGET"], os.path.join(d, "json.log"))
oxlog.configure(dir=d, console="off", files=["json"])
for i in range(3):
    log.info("planted", i=i)
print("APP-CONTINUES")
"""


def test_a_symlink_planted_at_the_path_is_not_followed(tmp_path: Path) -> None:
    """A link json.log -> a root-owned file: the file is not written, the records are
    counted dropped and reported once."""
    target = tmp_path / "precious"
    target.write_text("precious\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    proc = run(SYMLINK, env={"LOGDIR": str(logs), "TARGET": str(target)})
    assert proc.returncode == 0 and "APP-CONTINUES" in proc.stdout, proc.stderr
    assert target.read_text() == "precious\n"
    reports = oxlog_lines(proc.stderr)
    assert len(reports) == 1 and "a symbolic link" in reports[0], reports


UMASK_0 = """
os.umask(0)
base = os.environ["BASE"]
oxlog.configure(dir=os.path.join(base, "a", "b", "logs"), console="off", files=["json"])
log.info("rec")
"""


def test_under_umask_0_the_log_directory_is_not_world_writable(tmp_path: Path) -> None:
    """``umask 0``: each directory oxlog creates (``Settings.check_dir`` at configure
    time, the handler when the directory is gone later) is 0o755, json.log 0o644."""
    proc = run(UMASK_0, env={"BASE": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    for sub in ("a", "a/b", "a/b/logs"):
        assert stat.S_IMODE((tmp_path / sub).stat().st_mode) == 0o755, sub
    assert stat.S_IMODE((tmp_path / "a/b/logs/json.log").stat().st_mode) == 0o644
    assert [r["message"] for r in read_json(tmp_path / "a/b/logs/json.log")] == ["rec"]


# --- after shutdown, at exit, with fd 2 closed --------------------------------------------------

AFTER_SHUTDOWN = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="off", files=["json", "logfmt"])
log.info("before")
logging.shutdown()
log.info("after-shutdown")
std.info("std-after-shutdown")

class Late:
    def __del__(self):
        log.info("from-del")
        std.info("std-from-del")

late = Late()
"""


def test_records_after_shutdown_and_from_del_at_exit_are_written(tmp_path: Path) -> None:
    """After ``logging.shutdown()`` and from a ``__del__`` at interpreter exit, records are
    written, as the stdlib's FileHandler writes them."""
    proc = run(AFTER_SHUTDOWN, env={"LOGDIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    expected = ["before", "after-shutdown", "std-after-shutdown", "from-del", "std-from-del"]
    assert [r["message"] for r in read_json(tmp_path / "json.log")] == expected
    assert [r["message"] for r in read_logfmt(tmp_path / "flat_line.log")] == expected
    assert oxlog_lines(proc.stderr) == []


STDERR_CLOSED = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="json", files=["json", "logfmt"])
app_log = logging.FileHandler(os.path.join(d, "app.log"))
logging.getLogger("own").addHandler(app_log)
for i in range(3):
    log.info("rec", i=i)
    std.warning("std %s", i)
logging.getLogger("own").warning("own line")
oxlog._report.report("test:late", "a late report")
fd2 = os.readlink("/proc/self/fd/2") if os.path.exists("/proc/self/fd/2") else None
os.write(1, json.dumps({"suppressed": oxlog._report.suppressed_reports(), "fd2": fd2}).encode())
"""


def close_stderr() -> None:
    os.close(2)


@pytest.mark.parametrize("console", ["json", "off"])
def test_with_fd_2_closed_no_report_lands_in_a_log_file(tmp_path: Path, console: str) -> None:
    """Started with fd 2 closed: no log file takes fd 2, the console's failure and any
    later report are counted, not written, and every log file holds only records."""
    code = STDERR_CLOSED.replace('console="json"', f'console="{console}"')
    proc = subprocess.run([sys.executable, "-c", PRELUDE + code], env=script_env(LOGDIR=str(tmp_path)),
                          stdout=subprocess.PIPE, text=True, timeout=60, cwd="/tmp",
                          preexec_fn=close_stderr)
    assert proc.returncode == 0
    result = json.loads(proc.stdout)
    assert result["suppressed"] >= 1 and result["fd2"] == str(tmp_path / "app.log")
    assert len(read_json(tmp_path / "json.log")) == 7  # "own line" propagates to the root
    assert len(read_logfmt(tmp_path / "flat_line.log")) == 7
    assert (tmp_path / "app.log").read_text() == "own line\n"


APP_FILE_AT_FD_2 = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="off", files=["json"])
app_log = logging.FileHandler(os.path.join(d, "app.log"))    # oxlog's files left fd 2 free
assert app_log.stream.fileno() == 2
logging.getLogger("own").addHandler(app_log)
oxlog._report.report("test:x", "a report")
logging.getLogger("own").warning("own line")
"""


def test_a_report_never_lands_in_the_applications_log_file_at_fd_2(tmp_path: Path) -> None:
    """fd 2 closed, oxlog's files leave it free and the application's own stdlib
    FileHandler takes it: a report is counted, not written into that file."""
    proc = subprocess.run([sys.executable, "-c", PRELUDE + APP_FILE_AT_FD_2],
                          env=script_env(LOGDIR=str(tmp_path)), stdout=subprocess.PIPE, text=True,
                          timeout=60, cwd="/tmp", preexec_fn=close_stderr)
    assert proc.returncode == 0
    assert (tmp_path / "app.log").read_text() == "own line\n"


# --- a full disk freed by deleting the full file ------------------------------------------------

FULL_THEN_DELETED = """
d = os.environ["LOGDIR"]
oxlog.configure(dir=d, console="off", files=["json"])
h = next(x for x in logging.getLogger().handlers if isinstance(x, FileHandler))
i = 0
while h.dropped == 0:
    i += 1
    log.info("filling", pad="x" * 2000)
path = os.path.join(d, "json.log")
os.rename(path, path + ".1")
os.remove(path + ".1")
start = time.monotonic()
while time.monotonic() - start < 5:
    log.info("after", at=time.monotonic() - start)
    if os.path.exists(path) and os.path.getsize(path):
        break
    time.sleep(0.02)
print(json.dumps({"took": time.monotonic() - start}))
"""


def test_writing_resumes_soon_after_the_full_file_is_deleted(tmp_path: Path) -> None:
    """The disk is full of json.log; it is moved away and deleted: the space comes back at
    once (oxlog's retired descriptor no longer holds the deleted file) and writing resumes
    within the retry interval, not after the 10 s a retired descriptor stays open."""
    with small_disk(tmp_path / "disk", "128k") as disk:
        proc = run(FULL_THEN_DELETED, env={"LOGDIR": str(disk)})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["took"] < 2.5
        records = read_json(disk / "json.log")
        assert records and {r["message"] for r in records} == {"after"}
        assert any("records were dropped" in line for line in oxlog_lines(proc.stderr))


# --- the console ---------------------------------------------------------------------------------

NONBLOCKING_STDOUT = """
sync = os.environ["SYNC"]
os.set_blocking(1, False)
oxlog.configure(console="json", console_stream="stdout", files=[])
h = next(x for x in logging.getLogger().handlers if isinstance(x, oxlog.handlers.ConsoleHandler))
for seq in range(300):
    log.info("rec", seq=seq, pad="y" * 1000)
with open(os.path.join(sync, "dropped"), "w") as out:
    out.write(str(h.dropped))
while not os.path.exists(os.path.join(sync, "drained")):
    time.sleep(0.005)
for seq in range(300, 310):
    log.info("rec", seq=seq, pad="y" * 1000)
"""


def test_console_lines_dropped_on_a_full_non_blocking_stdout_are_counted_and_reported(
        tmp_path: Path) -> None:
    """stdout is a non-blocking pipe nobody reads for a while: every line on it is whole,
    the lines that did not fit are counted, reported once, and the count is said when the
    console takes lines again."""
    env = script_env(SYNC=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", PRELUDE + NONBLOCKING_STDOUT], env=env, cwd="/tmp",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    out = b""
    deadline = time.monotonic() + 30
    while not (tmp_path / "dropped").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    time.sleep(0.05)
    os.set_blocking(proc.stdout.fileno(), False)
    while True:
        try:
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        out += chunk
    (tmp_path / "drained").touch()
    os.set_blocking(proc.stdout.fileno(), True)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    seqs = [json.loads(line)["seq"] for line in (out + rest).decode().splitlines()]
    dropped = int((tmp_path / "dropped").read_text())
    assert dropped > 0 and len(seqs) + dropped == 310 and len(set(seqs)) == len(seqs)
    assert seqs[-10:] == list(range(300, 310))
    reports = oxlog_lines(err.decode())
    assert len(reports) == 2, reports
    assert "cannot write to the console (BlockingIOError)" in reports[0]
    assert f"{dropped} lines were dropped" in reports[1]


PIPE_WRITER = """
oxlog.configure(console="json", console_stream="stdout", files=[])
for seq in range(int(os.environ["N"])):
    log.info("rec", seq=seq, pad="z" * (seq * 613 % 3900 if seq % 4 else seq * 7919 % 30000))
"""


def test_console_lines_from_several_processes_on_one_pipe_stay_whole(tmp_path: Path) -> None:
    """4 processes share one stdout pipe (the container preset), a quarter of their lines
    longer than PIPE_BUF (up to 30 kB): every line read from the pipe is whole."""
    read_fd, write_fd = os.pipe()
    env = script_env(N="800")
    procs = [subprocess.Popen([sys.executable, "-c", PRELUDE + PIPE_WRITER], env=env, cwd="/tmp",
                              stdout=write_fd, stderr=subprocess.PIPE) for _ in range(4)]
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        data = reader.read()
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    lines = data.decode().splitlines()
    assert len(lines) == 3200
    assert Counter(json.loads(line)["seq"] for line in lines) == Counter(
        seq for _ in range(4) for seq in range(800))


def test_keyboard_interrupt_inside_a_log_call_goes_through(tmp_path: Path) -> None:
    """Ctrl-C while a record is written reaches the application, as with the stdlib."""
    code = """
    d = os.environ["LOGDIR"]
    oxlog.configure(dir=d, console="off", files=["json"])
    h = next(x for x in logging.getLogger().handlers if isinstance(x, FileHandler))
    real = os.write
    def interrupted(fd, data):
        raise KeyboardInterrupt
    os.write = interrupted
    try:
        log.info("rec")
    except KeyboardInterrupt:
        print("INTERRUPTED")
    os.write = real
    log.info("next")
    """
    proc = run(code, env={"LOGDIR": str(tmp_path)})
    assert proc.returncode == 0 and "INTERRUPTED" in proc.stdout, proc.stderr
    assert [r["message"] for r in read_json(tmp_path / "json.log")] == ["next"]


