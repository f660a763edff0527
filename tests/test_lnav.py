"""The shipped lnav format: ``lnav -i`` makes json.log browsable, correlation ID as operation."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

FORMAT = Path(__file__).resolve().parent.parent / "oxlog" / "lnav" / "oxlog_json.json"


@pytest.mark.skipif(shutil.which("lnav") is None, reason="lnav is not installed")
def test_lnav_reads_json_log_with_correlation_id_as_operation(run_python: Any,
                                                             tmp_path: Path) -> None:
    """Every line is parsed as oxlog_json; lines group by correlation ID (lnav's log_opid)."""
    run = run_python("""
        import django
        django.setup()
        from django.test import Client
        client = Client(raise_request_exception=False)
        client.get("/ok/", HTTP_CORRELATION_ID="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
        client.get("/boom/", HTTP_CORRELATION_ID="0d2e4f6a8b0c2e4f6a8b0c2e4f6a8b0c")
    """)
    log = run.log_dir / "json.log"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["lnav", "-i", str(FORMAT)], env=env, check=True, capture_output=True)
    query = subprocess.run(
        ["lnav", "-n", "-c", ";SELECT log_opid, log_level, count(*) AS n FROM oxlog_json "
         "GROUP BY log_opid, log_level", "-c", ":write-json-to -", str(log)],
        env=env, check=True, capture_output=True, text=True)
    rows = json.loads(query.stdout)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sum(row["n"] for row in rows) == len(records)
    expected = Counter((r.get("correlation_id"), r["level"]) for r in records)
    # log_opid is the whole correlation ID, so WHERE log_opid = '<id>' finds its lines.
    assert Counter({(row["log_opid"], row["log_level"]): row["n"] for row in rows}) == expected


LOGFMT_FORMAT = FORMAT.parent / "oxlog_logfmt.json"


@pytest.mark.skipif(shutil.which("lnav") is None, reason="lnav is not installed")
def test_lnav_reads_flat_line_log_with_correlation_id_as_operation(run_python: Any,
                                                                  tmp_path: Path) -> None:
    """flat_line.log is recognised (oxlog_logfmt), every line, grouped by the whole ID."""
    run = run_python("""
        import django
        django.setup()
        from django.test import Client
        client = Client(raise_request_exception=False)
        client.get("/ok/", HTTP_CORRELATION_ID="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
        client.get("/boom/", HTTP_CORRELATION_ID="0d2e4f6a8b0c2e4f6a8b0c2e4f6a8b0c")
    """)
    log = run.log_dir / "flat_line.log"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["lnav", "-i", str(LOGFMT_FORMAT)], env=env, check=True, capture_output=True)
    query = subprocess.run(
        ["lnav", "-n", "-c", ";SELECT log_opid, log_level, count(*) AS n FROM oxlog_logfmt "
         "GROUP BY log_opid, log_level", "-c", ":write-json-to -", str(log)],
        env=env, check=True, capture_output=True, text=True)
    rows = json.loads(query.stdout)
    records = [json.loads(line) for line in (run.log_dir / "json.log").read_text().splitlines()]
    expected = Counter((r.get("correlation_id"), r["level"]) for r in records)
    assert Counter({(row["log_opid"], row["log_level"]): row["n"] for row in rows}) == expected
