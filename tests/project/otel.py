"""OpenTelemetry for the test project: the real SDK, with every finished span written to a file.

``SHOP_OTEL_SPANS=/path/spans.jsonl`` turns it on: the worker's pool children
instrument Celery in ``worker_process_init`` (as OpenTelemetry's Celery
instrumentation documents), and a web script calls :func:`setup` with
``django=True`` before ``django.setup()``. Each process appends its spans to the
same file, one JSON object per line, with its pid.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult


class FileSpanExporter(SpanExporter):
    """Append every finished span to *path* (one ``O_APPEND`` write per span)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            assert ctx is not None
            lines.append(json.dumps({
                "name": span.name,
                "kind": span.kind.name,
                "trace_id": trace.format_trace_id(ctx.trace_id),
                "span_id": trace.format_span_id(ctx.span_id),
                "parent_span_id": trace.format_span_id(span.parent.span_id) if span.parent else None,
                "sampled": ctx.trace_flags.sampled,
                "pid": os.getpid(),
                "start_ns": span.start_time,
                "end_ns": span.end_time,
                "attributes": {k: _plain(v) for k, v in (span.attributes or {}).items()},
            }) + "\n")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, "".join(lines).encode())
        finally:
            os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def setup(path: str, *, django: bool = False) -> None:
    """A tracer provider exporting to *path*; Celery (and Django) instrumented."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument()
    if django:
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        DjangoInstrumentor().instrument()
