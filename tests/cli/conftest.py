"""Fixtures for the CLI tests: the two-host scenario and a ``python -m oxlog`` runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.logbuilder import REPO, Runner, Scenario, write_scenario


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    """The two-host scenario written under a temporary directory."""
    return write_scenario(tmp_path / "hosts")


@pytest.fixture
def oxlog(tmp_path: Path) -> Runner:
    """Run ``python -m oxlog`` in a subprocess (cwd: a temporary dir unless given)."""

    def run(
        *args: str, cwd: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "oxlog", *args],
            cwd=cwd or tmp_path, input=stdin, capture_output=True, text=True, env=environment, timeout=60,
        )  # fmt: skip

    return run
