"""Trace IDs on every line (oxlog.tracing), in process, with the real opentelemetry-sdk."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

import oxlog
from oxlog import _event, _tracing, context
from oxlog.renderers import ConsoleRenderer
from tests.conftest import read_logfmt
from tests.test_renderers import decode_console

CID = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"
PROVIDER = TracerProvider()
UNSAMPLED = TracerProvider(sampler=ALWAYS_OFF)


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Path]:
    """oxlog configured in this process (both files); logging reset afterwards."""
    oxlog.configure(dir=str(tmp_path), console="off", files=["json", "logfmt"], level="INFO")
    yield tmp_path
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def _json(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "json.log").read_text().splitlines()]


def _ids(span: Any) -> tuple[str, str]:
    ctx = span.get_span_context()
    return trace.format_trace_id(ctx.trace_id), trace.format_span_id(ctx.span_id)


def test_every_kind_of_line_carries_the_current_spans_ids(logs: Path) -> None:
    """structlog and plain logging calls inside a span get its IDs, in both files; outside, none."""
    tracer = PROVIDER.get_tracer("tests")
    log = structlog.get_logger("app")
    with context.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90"), \
            tracer.start_as_current_span("outer") as outer:
        log.info("in_outer", order_id=1)
        with tracer.start_as_current_span("inner") as inner:
            logging.getLogger("app.stdlib").warning("in inner %s", 2)
            log.info("in_inner", exc_info=False)
        logging.getLogger("app.stdlib").info("back in outer")
    log.info("no_span")
    logging.getLogger("app.stdlib").info("no span either")
    lines = _json(logs)
    flat = read_logfmt(logs / "flat_line.log")
    assert [line["message"] for line in lines] == [
        "in_outer", "in inner 2", "in_inner", "back in outer", "no_span", "no span either"]
    expected = [_ids(outer), _ids(inner), _ids(inner), _ids(outer)]
    for line, fl, ids in zip(lines[:4], flat[:4], expected, strict=True):
        assert (line["trace_id"], line["span_id"]) == ids
        assert line["trace_sampled"] is True
        assert (fl["trace_id"], fl["span_id"], fl["trace_sampled"]) == (*ids, "true")
        assert re.fullmatch("[0-9a-f]{32}", line["trace_id"])
        assert re.fullmatch("[0-9a-f]{16}", line["span_id"])
        # the documented order: head, workflow keys, trace keys, then the call's keys
        keys = list(line)
        assert keys[:8] == ["timestamp", "level", "logger", "message", "process",
                            "correlation_id", "trace_id", "span_id"]
        assert keys[8] == "trace_sampled"
    for line, fl in zip(lines[4:], flat[4:], strict=True):
        assert not set(_tracing.TRACE_KEYS) & (set(line) | set(fl))


def test_an_unsampled_span_says_so(logs: Path) -> None:
    with UNSAMPLED.get_tracer("tests").start_as_current_span("dropped") as span:
        structlog.get_logger("app").info("unsampled")
    (line,) = _json(logs)
    assert (line["trace_id"], line["span_id"], line["trace_sampled"]) == (*_ids(span), False)


def test_a_call_key_named_trace_id_never_overwrites_the_spans(logs: Path) -> None:
    log = structlog.get_logger("app")
    with PROVIDER.get_tracer("tests").start_as_current_span("s") as span:
        log.info("clash", trace_id="mine")
    log.info("no_clash", trace_id="mine")
    first, second = _json(logs)
    assert (first["trace_id"], first["_trace_id"]) == (_ids(span)[0], "mine")
    assert second["trace_id"] == "mine" and "_trace_id" not in second


def test_an_invalid_or_broken_span_adds_nothing_and_never_raises(logs: Path) -> None:
    class Broken(trace.NonRecordingSpan):
        def get_span_context(self) -> Any:
            raise RuntimeError("broken tracer")

    log = structlog.get_logger("app")
    with trace.use_span(trace.INVALID_SPAN):
        log.info("invalid")
    with trace.use_span(Broken(trace.INVALID_SPAN_CONTEXT)):
        log.info("broken")
        logging.getLogger("app").info("broken stdlib")
    lines = _json(logs)
    assert [line["message"] for line in lines] == ["invalid", "broken", "broken stdlib"]
    assert all(not set(_tracing.TRACE_KEYS) & set(line) for line in lines)


def test_the_console_shortens_the_ids_and_leaves_out_the_sampled_flag() -> None:
    event = {"timestamp": "2026-12-01T20:01:02.000123Z", "level": "info", "logger": "app",
             "message": "m", "process": 1, "correlation_id": "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90",
             "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
             "trace_sampled": True}
    decoded = decode_console(ConsoleRenderer()(event))
    assert decoded["pairs"] == {"trace_id": "4bf92f35", "span_id": "00f067aa"}


def test_the_chain_has_the_tracing_step_only_with_opentelemetry(run_python: Any) -> None:
    """Without opentelemetry importable, nothing of it is imported and no step is added."""
    run = run_python("""
        import sys
        sys.modules["opentelemetry"] = None   # as if it were not installed
        import oxlog
        from oxlog import _event, _tracing
        oxlog.configure(console="off", files=["json"])
        assert _tracing.trace_processor() is None
        assert not any(getattr(p, "__name__", "") == "add_trace_context" for p in _event._chain)
        assert not any(m.startswith("opentelemetry.") for m in sys.modules)
        # a message still carries the correlation ID's trace, with no tracer at all
        parent = _tracing.traceparent("6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
        assert parent.startswith("00-6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90-") and parent.endswith("-01")
        import structlog
        structlog.get_logger("app").info("plain")
    """, settings=None)
    (line,) = run.json()
    assert "trace_id" not in line
    assert any(getattr(p, "__name__", "") == "add_trace_context" for p in _event.build_chain(
        static_fields={}, redact_keys=None, max_value_length=0, message_key="message"))


# --- the traceparent header of a Celery message ------------------------------------------

TRACEPARENT = re.compile(r"00-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-(?P<flags>0[01])")


def _published(**bound: Any) -> dict[str, Any]:
    from oxlog.celery import signals

    headers: dict[str, Any] = dict(bound.pop("headers", {}))
    with context.bound(**bound):
        signals.before_task_publish(headers=headers)
    return headers


def test_a_message_published_without_a_tracer_carries_the_correlation_ids_trace(logs: Path) -> None:
    """Its trace-id is the correlation ID (a UUID's without dashes), its parent-id fresh, sampled."""
    headers = _published(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
    match = TRACEPARENT.fullmatch(headers["traceparent"])
    assert match and match["trace"] == "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90" and match["flags"] == "01"
    assert match["parent"].strip("0")
    from oxlog.correlation import from_traceparent

    assert from_traceparent(headers["traceparent"]) == headers["oxlog_correlation_id"]
    again = _published(correlation_id="6F1C0A7E-5B3D-4A8E-9C2F-1B0A3D5E7F90")
    assert TRACEPARENT.fullmatch(again["traceparent"])["trace"] == (  # type: ignore[index]
        "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
    fresh = _published()  # no correlation ID: a new one, and its trace
    assert fresh["traceparent"][3:35] == fresh["oxlog_correlation_id"]


def test_a_tracers_traceparent_is_never_overwritten_and_a_current_span_is_used(logs: Path) -> None:
    theirs = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    headers = _published(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90",
                         headers={"traceparent": theirs})
    assert headers["traceparent"] == theirs
    with UNSAMPLED.get_tracer("tests").start_as_current_span("publishing") as span:
        headers = _published(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90")
    assert headers["traceparent"] == "00-{}-{}-00".format(*_ids(span))


def test_no_traceparent_when_the_correlation_id_cannot_be_a_trace_id() -> None:
    assert _tracing.traceparent("0" * 32) is None
    assert _tracing.traceparent(None) is None
    assert _tracing.traceparent("short") is None


def test_a_request_without_an_id_takes_the_tracers_trace_id_as_correlation_id(
        run_python: Any) -> None:
    """OpenTelemetry's Django middleware runs first: its span's trace ID becomes the
    request's correlation ID; an ID the client sent is kept."""
    run = run_python(f"""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        trace.set_tracer_provider(TracerProvider())
        DjangoInstrumentor().instrument()
        import django
        django.setup()
        from django.test import Client
        print(Client().get("/ok/").headers["Correlation-ID"])
        print(Client().get("/ok/", HTTP_CORRELATION_ID="{CID}").headers["Correlation-ID"])
        print(Client().get("/ok/", HTTP_X_REQUEST_ID="{{bad}}").headers["Correlation-ID"])
    """)
    fresh, sent, refused = run.stdout.split()
    lines = run.json()
    viewed = [r for r in lines if r["message"] == "order_viewed"]
    assert len(viewed) == 3
    assert viewed[0]["correlation_id"] == viewed[0]["trace_id"] == fresh
    assert viewed[1]["correlation_id"] == sent == CID != viewed[1]["trace_id"]
    assert viewed[2]["correlation_id"] == viewed[2]["trace_id"] == refused
    assert [r["header"] for r in lines if r["message"] == "correlation_id_rejected"] == ["X-Request-ID"]


def test_a_requests_tasks_name_one_parent_and_each_correlation_id_its_own_trace() -> None:
    """Without a span, every message published for one correlation ID carries the same
    traceparent (the request is their parent); another correlation ID gets its own."""
    a, b = "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", "0b2f7a9e6a544c1e9a533f0f7d7e2a11"
    first = _tracing.traceparent(a)
    assert first is not None and _tracing.traceparent(a) == first
    other = _tracing.traceparent(b)
    assert other is not None and other.split("-")[1] == b and other.split("-")[2] != "0" * 16
    again = _tracing.traceparent(a)
    assert again is not None and again.split("-")[1] == a and again.endswith("-01")
    assert _tracing.traceparent("0" * 32) is None and _tracing.traceparent(a) == again
