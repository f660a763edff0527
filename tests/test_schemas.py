"""The vendor schemas of ``json.log`` (``OXLOG_JSON_SCHEMA``): ``gcp``, ``datadog``, ``ecs``.

Each line oxlog writes in a schema, and the sample line of docs/reference.md, is checked
against the vendor's documented field rules: names, types, the trace resource format.

* Google Cloud Logging, "Structured logging" (special JSON fields): ``severity`` a
  ``LogSeverity`` name, ``message`` a string, ``time`` RFC 3339,
  ``logging.googleapis.com/trace`` ``projects/PROJECT_ID/traces/TRACE_ID``,
  ``logging.googleapis.com/spanId`` 16 hex digits, ``logging.googleapis.com/trace_sampled``
  a boolean, ``logging.googleapis.com/labels`` a map of strings to strings.
* Datadog, "Correlating Python logs and traces" and the reserved attributes: ``status``
  a severity, ``dd.trace_id``/``dd.span_id`` the decimal of the low 64 bits as text,
  ``dd.service``/``dd.env``/``dd.version`` strings, ``error.stack``/``error.kind``/
  ``error.message`` strings.
* ECS logging (ecs-logging-python's output): ``@timestamp``, ``log.level``, ``message``,
  ``ecs.version`` first, ``trace.id`` 32 hex, ``span.id`` and ``transaction.id`` 16 hex.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

import oxlog
from oxlog import context
from oxlog._options import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parent.parent
CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
TASK = "59caa747-1fa7-44da-8cb8-4db82d9d394e"
HEX32, HEX16 = re.compile("[0-9a-f]{32}"), re.compile("[0-9a-f]{16}")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
GCP_SEVERITIES = {"DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT",
                  "EMERGENCY"}
DATADOG_STATUSES = {"debug", "info", "notice", "warning", "warn", "error", "critical", "alert",
                    "emergency"}
TRACER = TracerProvider().get_tracer("tests")


def check_gcp(line: dict[str, Any], project: str = "my-project") -> None:
    assert list(line)[:3] == ["severity", "message", "time"]
    assert line["severity"] in GCP_SEVERITIES and isinstance(line["message"], str)
    assert RFC3339.fullmatch(line["time"])
    trace = line.get("logging.googleapis.com/trace")
    if trace is not None:
        match = re.fullmatch(r"projects/([^/]+)/traces/([0-9a-f]{32})", trace)
        assert match and match[1] == project, trace
    if "logging.googleapis.com/spanId" in line:
        assert HEX16.fullmatch(line["logging.googleapis.com/spanId"]) and trace
    if "logging.googleapis.com/trace_sampled" in line:
        assert isinstance(line["logging.googleapis.com/trace_sampled"], bool)
    labels = line.get("logging.googleapis.com/labels", {})
    assert isinstance(labels, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())


def check_datadog(line: dict[str, Any]) -> None:
    assert list(line)[:3] == ["timestamp", "status", "message"]
    assert line["status"] in DATADOG_STATUSES and RFC3339.fullmatch(line["timestamp"])
    for key in ("dd.trace_id", "dd.span_id"):
        if key in line:
            assert isinstance(line[key], str) and line[key].isdigit() and int(line[key]) < 2**64
    assert ("dd.trace_id" in line) == ("dd.span_id" in line)
    for key in ("dd.service", "dd.env", "dd.version", "error.stack", "error.kind", "error.message",
                "logger.name"):
        assert isinstance(line.get(key, ""), str), key


def check_ecs(line: dict[str, Any]) -> None:
    assert list(line)[:4] == ["@timestamp", "log.level", "message", "ecs.version"]
    assert RFC3339.fullmatch(line["@timestamp"])
    for field, shape in (("trace", HEX32), ("span", HEX16), ("transaction", HEX16)):
        if field in line:
            assert set(line[field]) == {"id"} and shape.fullmatch(line[field]["id"]), line[field]
    assert ("span" not in line) or ("trace" in line)


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Callable[..., list[dict[str, Any]]]]:
    """oxlog configured in this process with a schema; returns the json.log lines."""

    def configure(**settings: Any) -> list[dict[str, Any]]:
        oxlog.configure(dir=str(tmp_path), console="off", files=["json"], level="INFO", **settings)
        log = structlog.get_logger("shop.tasks")
        with context.bound(correlation_id=CID, task_id=TASK, task_name="shop.tasks.reserve",
                           root_task_id=TASK):
            with TRACER.start_as_current_span("run/shop.tasks.reserve") as span:
                log.info("stock_reserved", order_id=1042)
                try:
                    raise ValueError("invoice template missing")
                except ValueError:
                    logging.getLogger("shop.tasks").exception("invoice failed")
            log.info("outside_the_span", severity="mine")
        ctx = span.get_span_context()
        configure.ids = (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")  # type: ignore[attr-defined]
        return [json.loads(x) for x in (tmp_path / "json.log").read_text().splitlines()]

    yield configure
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def test_gcp_lines_follow_cloud_loggings_special_fields(configured: Any) -> None:
    inside, failed, outside = configured(json_schema="gcp", gcp_project="my-project")
    trace_id, span_id = configured.ids
    for line in (inside, failed, outside):
        check_gcp(line)
    assert inside["severity"] == "INFO" and inside["message"] == "stock_reserved"
    assert inside["logging.googleapis.com/trace"] == f"projects/my-project/traces/{trace_id}"
    assert inside["logging.googleapis.com/spanId"] == span_id
    assert inside["logging.googleapis.com/trace_sampled"] is True
    assert inside["logging.googleapis.com/labels"] == {
        "correlation_id": CID, "task_id": TASK, "task_name": "shop.tasks.reserve",
        "root_task_id": TASK}
    assert inside["order_id"] == 1042 and inside["logger"] == "shop.tasks"
    assert failed["severity"] == "ERROR" and failed["exception"].endswith(
        "ValueError: invoice template missing")
    # no span: the correlation ID is the trace (it is trace-shaped), no span ID
    assert outside["logging.googleapis.com/trace"] == f"projects/my-project/traces/{CID}"
    assert "logging.googleapis.com/spanId" not in outside
    assert outside["severity"] == "INFO" and outside["_severity"] == "mine"


def test_the_gcp_project_comes_from_the_setting_or_google_cloud_project(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("OXLOG_JSON_SCHEMA", "gcp")
    with pytest.raises(ConfigurationError, match=re.escape("OXLOG_GCP_PROJECT (or GOOGLE_CLOUD_PROJECT")):
        Settings.load(django=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    assert Settings.load(django=False).gcp_project == "from-env"
    monkeypatch.setenv("OXLOG_GCP_PROJECT", "from-setting")
    assert Settings.load(django=False).gcp_project == "from-setting"
    monkeypatch.setenv("OXLOG_GCP_PROJECT", "a/b")
    with pytest.raises(ConfigurationError, match="OXLOG_GCP_PROJECT='a/b'"):
        Settings.load(django=False)


def test_datadog_lines_carry_the_ids_its_trace_remapper_reads(
        configured: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_VERSION", "1.4.2")
    monkeypatch.setenv("DD_ENV", "prod-from-dd")
    inside, failed, outside = configured(json_schema="datadog", service="shop")
    trace_id, span_id = configured.ids
    for line in (inside, failed, outside):
        check_datadog(line)
        assert (line["dd.service"], line["dd.env"], line["dd.version"]) == (
            "shop", "prod-from-dd", "1.4.2")
    assert inside["dd.trace_id"] == str(int(trace_id, 16) & (2**64 - 1))
    assert inside["dd.span_id"] == str(int(span_id, 16))
    assert inside["status"] == "info" and inside["logger.name"] == "shop.tasks"
    assert inside["correlation_id"] == CID and inside["order_id"] == 1042
    assert failed["status"] == "error" and failed["error.kind"] == "ValueError"
    assert failed["error.message"] == "invoice template missing"
    assert failed["error.stack"].startswith("Traceback")
    assert "dd.trace_id" not in outside and "dd.span_id" not in outside


def test_ecs_lines_carry_trace_span_and_transaction_ids(configured: Any) -> None:
    inside, failed, outside = configured(json_schema="ecs")
    trace_id, span_id = configured.ids
    for line in (inside, failed, outside):
        check_ecs(line)
    assert inside["trace"] == {"id": trace_id} and inside["span"] == {"id": span_id}
    assert "trace_id" not in inside["labels"] and inside["labels"]["correlation_id"] == CID
    assert "trace" not in outside
    from oxlog.renderers import ECSRenderer

    apm = json.loads(ECSRenderer()({
        "timestamp": "2026-12-01T20:26:56.682041Z", "level": "info", "logger": "x",
        "message": "m", "process": 1, "elasticapm_trace_id": "0af7651916cd43dd8448eb211c80319c",
        "elasticapm_span_id": "b7ad6b7169203331", "elasticapm_transaction_id": "00f067aa0ba902b7"}))
    check_ecs(apm)
    assert (apm["trace"], apm["span"], apm["transaction"]) == (
        {"id": "0af7651916cd43dd8448eb211c80319c"}, {"id": "b7ad6b7169203331"},
        {"id": "00f067aa0ba902b7"})
    assert "labels" not in apm


def _doc_sample(schema: str) -> dict[str, Any]:
    text = (ROOT / "docs" / "reference.md").read_text()
    match = re.search(rf"<!-- sample:{schema} -->\s*```json\n(.*?)\n```", text, re.S)
    assert match, f"docs/reference.md has no sample line for {schema}"
    line = match[1]
    assert "\n" not in line
    return json.loads(line)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("schema", "check"), [("gcp", check_gcp), ("datadog", check_datadog),
                                               ("ecs", check_ecs)])
def test_the_sample_line_of_each_schema_in_the_docs_follows_its_rules(schema: str, check: Any) -> None:
    sample = _doc_sample(schema)
    check(sample)
    assert dt.datetime.fromisoformat(
        (sample.get("time") or sample.get("timestamp") or sample["@timestamp"]).replace("Z", "+00:00"))
