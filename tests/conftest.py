"""Shared fixtures: subprocess projects, log readers, brokers and real workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.logfmt import decode

ROOT = Path(__file__).resolve().parent.parent


def _strict_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def read_json(path: Path) -> list[dict[str, Any]]:
    """Every line of a json.log, decoded strictly (no NaN, one object per line)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line, parse_constant=_strict_constant)
        assert isinstance(record, dict), line
        records.append(record)
    return records


def read_logfmt(path: Path) -> list[dict[str, str]]:
    """Every line of a flat_line.log, decoded with the strict logfmt decoder."""
    return [decode(line) for line in path.read_text(encoding="utf-8").splitlines()]


class Run:
    """The result of a script run in a fresh interpreter."""

    def __init__(self, proc: subprocess.CompletedProcess[str], log_dir: Path) -> None:
        self.proc, self.log_dir = proc, log_dir
        self.stdout, self.stderr = proc.stdout, proc.stderr

    def json(self, name: str = "json.log") -> list[dict[str, Any]]:
        return read_json(self.log_dir / name)

    def logfmt(self, name: str = "flat_line.log") -> list[dict[str, str]]:
        return read_logfmt(self.log_dir / name)


@pytest.fixture
def run_python(tmp_path: Path) -> Callable[..., Run]:
    """Run a Python snippet in a fresh interpreter, with OXLOG_DIR in a temporary dir."""
    return python_runner(tmp_path)


def python_runner(tmp_path: Path) -> Callable[..., Run]:
    """A function running snippets in fresh interpreters, logging under *tmp_path*/logs."""

    def run(code: str, *, settings: str | None = "tests.project.settings",
            env: dict[str, str] | None = None, check: bool = True, timeout: float = 60) -> Run:
        log_dir = tmp_path / "logs"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
        full_env.update({"OXLOG_DIR": str(log_dir), "PYTHONPATH": str(ROOT)})
        if settings:
            full_env["DJANGO_SETTINGS_MODULE"] = settings
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                              env=full_env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"script failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return Run(proc, log_dir)

    return run


# --- brokers and real workers ---------------------------------------------------------

import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
BROKERS = ("embedded", "redis", "rabbitmq")


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Skip on a newcomer's machine without *name*; in CI a missing broker fails."""
    if _reachable(port):
        return
    message = f"{name} is not running on 127.0.0.1:{port}"
    if IN_CI:
        pytest.fail(message + " (CI must have it: .ci/run starts it)")
    pytest.skip(message)


class Broker:
    """Where the test project's Celery app sends its messages and keeps its results."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind, self.queue = kind, f"q-{uuid.uuid4().hex[:10]}"
        broker_dir = tmp / "broker"
        for sub in ("queue", "control", "results"):
            (broker_dir / sub).mkdir(parents=True, exist_ok=True)
        urls = {
            "embedded": ("filesystem://", f"file://{broker_dir}/results"),
            "redis": ("redis://127.0.0.1:6379/13", "redis://127.0.0.1:6379/13"),
            "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", f"file://{broker_dir}/results"),
        }
        url, backend = urls[kind]
        self.env = {"SHOP_BROKER_URL": url, "SHOP_RESULT_BACKEND": backend,
                    "SHOP_BROKER_DIR": str(broker_dir), "SHOP_QUEUE": self.queue}


def make_broker(kind: str, tmp: Path) -> Broker:
    """A broker of *kind*; Redis and RabbitMQ must be running (see require_service)."""
    if kind == "redis":
        require_service("Redis", 6379)
    if kind == "rabbitmq":
        require_service("RabbitMQ", 5672)
    return Broker(kind, tmp)


@pytest.fixture(params=BROKERS)
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Broker:
    """Each of the three brokers: embedded (no server), Redis, RabbitMQ."""
    return make_broker(request.param, tmp_path)


@pytest.fixture
def embedded_broker(tmp_path: Path) -> Broker:
    """The embedded broker only (for tests about the worker rather than the transport)."""
    return Broker("embedded", tmp_path)


class Workers:
    """Start real ``celery worker`` / ``celery beat`` processes of the test project."""

    def __init__(self, tmp: Path, log_dir: Path) -> None:
        self.tmp, self.log_dir = tmp, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def env(self, broker: Broker, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OXLOG_", "SHOP_"))}
        env.update({"OXLOG_DIR": str(self.log_dir), "PYTHONPATH": str(ROOT),
                    "DJANGO_SETTINGS_MODULE": "tests.project.settings", "OXLOG_CONSOLE": "off"})
        env.update(broker.env)
        env.update(extra or {})
        return env

    def start(self, broker: Broker, pool: str = "prefork", concurrency: int = 2,
              env: dict[str, str] | None = None) -> str:
        name = f"w{uuid.uuid4().hex[:8]}@%h"
        cmd = [sys.executable, "-m", "celery", "-A", "tests.project", "worker", "-P", pool,
               "-c", str(concurrency), "-Q", broker.queue, "-n", name, "--without-mingle",
               "--without-gossip", "-l", "INFO"]
        self._spawn(cmd, broker, env)
        self.wait_for(lambda r: r["logger"] == "celery.apps.worker" and "ready" in r["message"]
                      and name.split("@")[0] in r["message"], timeout=40)
        return name

    def beat(self, broker: Broker) -> None:
        cmd = [sys.executable, "-m", "celery", "-A", "tests.project", "beat",
               "-s", str(self.tmp / "celerybeat-schedule"), "-l", "INFO"]
        self._spawn(cmd, broker, None)

    def _spawn(self, cmd: list[str], broker: Broker, env: dict[str, str] | None) -> None:
        log = open(self.tmp / f"proc-{len(self.procs)}.out", "wb")  # noqa: SIM115
        self.procs.append(subprocess.Popen(cmd, cwd=self.tmp, env=self.env(broker, env),
                                           stdout=log, stderr=subprocess.STDOUT))

    def records(self) -> list[dict[str, Any]]:
        path = self.log_dir / "json.log"
        return read_json(path) if path.exists() else []

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], count: int = 1,
                 timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.records() if predicate(r)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                outputs = "\n".join(p.read_text(errors="replace")[-2000:]
                                    for p in sorted(self.tmp.glob("proc-*.out")))
                raise AssertionError(f"timed out waiting: {len(found)}/{count}\n{outputs}")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """Real worker and beat processes, stopped at the end of the test."""
    pool = Workers(tmp_path, tmp_path / "logs")
    yield pool
    pool.stop()


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432 (trust auth), dropped afterwards."""
    require_service("PostgreSQL", 5432)
    import psycopg

    name = f"oxlog_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) driven by Selenium with Debian's chromedriver."""
    import shutil as _shutil

    if not (_shutil.which("chromium") and _shutil.which("chromedriver")):
        message = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message + "; .ci/run installs them")
        pytest.skip(message)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        if IN_CI:
            pytest.fail("selenium is not installed (it is in the test extra)")
        pytest.skip("selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = _shutil.which("chromium") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(_shutil.which("chromedriver") or ""), options=options)
    try:
        yield driver
    finally:
        driver.quit()
