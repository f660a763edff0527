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
