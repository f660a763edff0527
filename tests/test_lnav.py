"""The shipped lnav formats: ``lnav -i`` makes json.log and flat_line.log browsable, the
whole correlation ID as lnav's operation ID."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

FORMATS = Path(__file__).resolve().parent.parent / "oxlog" / "lnav"


@pytest.mark.skipif(shutil.which("lnav") is None, reason="lnav is not installed")
@pytest.mark.parametrize(("table", "log_name"), [("oxlog_json", "json.log"),
                                                 ("oxlog_logfmt", "flat_line.log")])
def test_lnav_reads_the_log_with_the_whole_correlation_id_as_operation(
        table: str, log_name: str, run_python: Any, tmp_path: Path) -> None:
    """Every line is parsed by the format; (log_opid, level) counts equal json.log's exactly,
    so ``WHERE log_opid = '<id>'`` finds a request's lines."""
    run = run_python("""
        import django
        django.setup()
        from django.test import Client
        client = Client(raise_request_exception=False)
        client.get("/ok/", HTTP_CORRELATION_ID="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
        client.get("/boom/", HTTP_CORRELATION_ID="0d2e4f6a8b0c2e4f6a8b0c2e4f6a8b0c")
    """)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["lnav", "-i", str(FORMATS / f"{table}.json")], env=env, check=True,
                   capture_output=True)
    query = subprocess.run(
        ["lnav", "-n", "-c", f";SELECT log_opid, log_level, count(*) AS n FROM {table} "
         "GROUP BY log_opid, log_level", "-c", ":write-json-to -", str(run.log_dir / log_name)],
        env=env, check=True, capture_output=True, text=True)
    rows = json.loads(query.stdout)
    records = [json.loads(line) for line in (run.log_dir / "json.log").read_text().splitlines()]
    expected = Counter((r.get("correlation_id"), r["level"]) for r in records)
    assert Counter({(row["log_opid"], row["log_level"]): row["n"] for row in rows}) == expected
