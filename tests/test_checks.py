"""Django system checks: one stable id per wiring mistake, reported by ``manage.py check``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, read_json

BASE = """
from oxlog.settings import *
SECRET_KEY = "x"
INSTALLED_APPS = [*OXLOG_APPS, "django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = [*OXLOG_MIDDLEWARE]
DATABASES = {}
"""

CASES = {
    "clean": ("", None),
    "oxlog.E003": ("INSTALLED_APPS = ['django_guid', 'oxlog']", "'django_structlog' is not in"),
    "oxlog.E004": ("MIDDLEWARE = OXLOG_MIDDLEWARE[1:]", "'oxlog.middleware.CorrelationIdGuard' is not"),
    "oxlog.E005": ("MIDDLEWARE = list(reversed(OXLOG_MIDDLEWARE))", "out of order"),
    "oxlog.W001": ("LOGGING = {'version': 1, 'root': {'handlers': []}}\nOXLOG_MERGE_LOGGING = False",
                   "none of oxlog's handlers"),
    "oxlog.W002": ("LOGGING_CONFIG = 'logging.config.dictConfig'", "LOGGING_CONFIG is not"),
    "oxlog.W003": ("DJANGO_STRUCTLOG_CELERY_ENABLED = True", "task_enqueued twice"),
    "oxlog.W004": ("from django_guid.integrations import CeleryIntegration\n"
                   "DJANGO_GUID = {**DJANGO_GUID, 'INTEGRATIONS': [CeleryIntegration()]}",
                   "CeleryIntegration is on"),
}

CHECK = """
import django
django.setup()
from django.core.management import call_command
call_command("check")
"""


@pytest.mark.parametrize("check_id", list(CASES))
def test_check_reports_its_mistake(check_id: str, run_python: Any, tmp_path: Path) -> None:
    """Each mistake is reported under its id with a message saying what is wrong."""
    extra, text = CASES[check_id]
    (tmp_path / "check_settings.py").write_text(BASE + extra + "\n")
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "check_settings"}
    run = run_python(CHECK, settings=None, env=env, check=False)
    output = run.stdout + run.stderr
    if check_id == "clean":
        assert run.proc.returncode == 0 and not re.search(r"oxlog\.[EW]\d{3}", output)
        return
    assert check_id in output and text in output


def test_unwritable_log_directory_is_e002(run_python: Any, tmp_path: Path) -> None:
    """A log directory that cannot be created is oxlog.E002."""
    (tmp_path / "blocker").write_text("not a directory")
    (tmp_path / "check_settings.py").write_text(BASE + "LOGGING_CONFIG = None\n")
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "check_settings",
           "OXLOG_DIR": str(tmp_path / "blocker" / "logs")}
    run = run_python(CHECK, settings=None, env=env, check=False)
    assert "oxlog.E002" in run.stderr and "is not a writable directory" in run.stderr


def test_bad_oxlog_value_in_settings_stops_startup_with_the_message(run_python: Any,
                                                                   tmp_path: Path) -> None:
    """A bad OXLOG_* value in settings.py stops django.setup() (before checks could run)."""
    (tmp_path / "check_settings.py").write_text(BASE + "OXLOG_JSON_SCHEMA = 'gelf'\n")
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "check_settings"}
    run = run_python(CHECK, settings=None, env=env, check=False)
    assert run.proc.returncode == 1
    assert ("OXLOG_JSON_SCHEMA='gelf' (from the Django settings) is not valid: "
            "use one of 'oxlog', 'ecs', 'gcp', 'datadog'.") in run.stderr


MANAGE_CHECK = """
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "check"])
"""


def test_a_project_without_the_oxlog_app_hears_it_from_manage_py_check(run_python: Any,
                                                                       tmp_path: Path) -> None:
    """The checks are registered by LOGGING_CONFIG, so the missing app itself is reported."""
    (tmp_path / "check_settings.py").write_text(
        BASE + "INSTALLED_APPS = ['django_guid', 'django_structlog', 'django.contrib.contenttypes']\n")
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "check_settings"}
    run = run_python(MANAGE_CHECK, settings=None, env=env, check=False)
    output = run.stdout + run.stderr
    assert run.proc.returncode == 1
    assert output.count("oxlog.E003") == 1 and "'oxlog' is not in INSTALLED_APPS" in output


def test_a_missing_middleware_is_reported_once_and_without_a_traceback(run_python: Any,
                                                                       tmp_path: Path) -> None:
    """``manage.py check`` says E004 once; oxlog's command_failed adds no traceback."""
    (tmp_path / "check_settings.py").write_text(BASE + "MIDDLEWARE = OXLOG_MIDDLEWARE[1:]\n")
    env = {"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "check_settings",
           "OXLOG_DIR": str(tmp_path / "logs")}
    run = run_python(MANAGE_CHECK, settings=None, env=env, check=False)
    output = run.stdout + run.stderr
    assert run.proc.returncode == 1
    assert output.count("oxlog.E004") == 1 and "Traceback" not in output
    failed = [r for r in read_json(tmp_path / "logs" / "json.log") if r["message"] == "command_failed"]
    assert len(failed) == 1 and "exception" not in failed[0]
    assert failed[0]["error"].startswith("SystemCheckError")
