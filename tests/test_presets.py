"""settings_presets: each boots a Django project and logs as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

SCRIPT = """
import logging, django
django.setup()
import structlog
log = structlog.get_logger("preset.check")
log.debug("debug_line")
log.info("info_line")
log.warning("warning_line")
"""


def _settings_module(tmp_path: Path, preset: str) -> dict[str, str]:
    (tmp_path / "preset_settings.py").write_text(
        f"from settings_presets.{preset} import *\n"
        "SECRET_KEY = 'x'\nINSTALLED_APPS = [*OXLOG_APPS]\nMIDDLEWARE = [*OXLOG_MIDDLEWARE]\n"
        "DATABASES = {}\n"
    )
    return {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "preset_settings"}


def _messages(path: Path) -> list[str]:
    return [json.loads(line)["message"] for line in path.read_text().splitlines()]


@pytest.mark.parametrize("preset", ["development", "production", "container", "test"])
def test_preset_boots_and_logs_as_documented(preset: str, run_python: Any, tmp_path: Path) -> None:
    """development: DEBUG, console and files; production: files only; container: JSON on
    stdout only; test: warnings on the console only."""
    run = run_python(SCRIPT, settings=None, env=_settings_module(tmp_path, preset))
    json_log = run.log_dir / "json.log"
    if preset == "development":
        assert _messages(json_log)[-3:] == ["debug_line", "info_line", "warning_line"]
        assert (run.log_dir / "flat_line.log").exists()
        assert "debug_line" in run.stderr and "info_line" in run.stderr
    elif preset == "production":
        assert _messages(json_log)[-2:] == ["info_line", "warning_line"]
        assert (run.log_dir / "flat_line.log").exists()
        assert run.stderr == "" and run.stdout == ""
    elif preset == "container":
        assert not run.log_dir.exists()
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        assert [r["message"] for r in lines][-2:] == ["info_line", "warning_line"]
        assert run.stderr == ""
    else:
        assert not run.log_dir.exists()
        assert "warning_line" in run.stderr and "info_line" not in run.stderr
