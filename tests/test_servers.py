"""Access lines of real servers — runserver, gunicorn (sync, gthread), uvicorn — in json.log.

Each server is started as a user starts it, on the test project; its access line of a
request carries that request's correlation ID and the request's fields.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, read_json

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
ACCESS = ("django.server", "gunicorn.access", "uvicorn.access")

SERVERS = {
    "runserver": ["-m", "django", "runserver", "--noreload", "127.0.0.1:{port}"],
    "gunicorn-sync": ["-m", "gunicorn", "--access-logfile", "-", "-w", "2", "-b",
                      "127.0.0.1:{port}", "tests.project.wsgi"],
    "gunicorn-gthread": ["-m", "gunicorn", "--access-logfile", "-", "-k", "gthread",
                         "--threads", "4", "-b", "127.0.0.1:{port}", "tests.project.wsgi"],
    "uvicorn": ["-m", "uvicorn", "--port", "{port}", "tests.project.asgi:application"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process of the test project, and what it wrote."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.port, self.log_dir, self.out = _free_port(), tmp / "logs", tmp / "server.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OXLOG_")}
        env.update({"OXLOG_DIR": str(self.log_dir), "PYTHONPATH": str(ROOT),
                    "DJANGO_SETTINGS_MODULE": "tests.project.settings", "OXLOG_CONSOLE": "off"})
        args = [a.format(port=self.port) for a in SERVERS[kind]]
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, *args], cwd=tmp, env=env,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError(self.out.read_text()) from None
                time.sleep(0.1)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers["Correlation-ID"]
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Correlation-ID"]

    def access_lines(self, count: int) -> None:
        """Wait until *count* access lines are written (a server logs after the response)."""
        deadline = time.monotonic() + 10
        path = self.log_dir / "json.log"
        while time.monotonic() < deadline:
            if path.exists() and sum(r["logger"] in ACCESS for r in read_json(path)) >= count:
                return
            time.sleep(0.1)

    def stop(self) -> list[dict[str, Any]]:
        self.proc.send_signal(signal.SIGTERM if self.proc.args[2] != "django" else signal.SIGINT)
        self.proc.wait(timeout=20)
        return read_json(self.log_dir / "json.log")


@pytest.fixture(params=list(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    started = Server(request.param, tmp_path)
    yield started
    if started.proc.poll() is None:
        started.proc.kill()
        started.proc.wait()


def test_the_access_line_of_a_request_carries_its_id_and_fields(server: Server) -> None:
    """One access line per request in json.log: method, path, status, and the request's ID."""
    ok = server.get("/ok/", {"X-Request-ID": CID})
    missing = server.get("/missing/?q=1")
    assert ok == (200, CID) and missing[0] == 404
    server.access_lines(2)
    records = server.stop()
    access = [r for r in records if r["logger"] in ACCESS]
    assert len(access) == 2, access
    first, second = access
    assert (first["method"], first["path"], first["status_code"]) == ("GET", "/ok/", 200)
    assert (second["method"], second["status_code"]) == ("GET", 404)
    assert second["path"].startswith("/missing/")
    assert first["correlation_id"] == CID and second["correlation_id"] == missing[1]
    assert "request" not in first  # runserver's socket is not a field
    assert not any("color_message" in r for r in records)
    if first["logger"] == "gunicorn.access":
        assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
        assert first["size"] == 2
    # The request's own lines and the access line share the ID.
    assert {r["message"] for r in records if r.get("correlation_id") == CID} >= {
        "request_started", "order_viewed", "request_finished", first["message"]}


def test_the_access_line_is_written_once(server: Server) -> None:
    """oxlog takes the server's access logger over: its own console handler writes nothing.

    (oxlog's console is off here, so anything on the server's output is the server's.)
    """
    server.get("/ok/", {"X-Request-ID": CID})
    server.access_lines(1)
    records = server.stop()
    assert "GET /ok/ HTTP/1.1" not in server.out.read_text()
    assert sum(r["message"].count("GET /ok/ HTTP/1.1") for r in records) == 1
