"""What oxlog's tracing step costs per record: ``python -m bench.tracing``.

The end-to-end rows of ``python -m bench.run --tracing`` (a record to ``json.log`` with
OpenTelemetry installed or not) differ by less than the noise of a busy machine, so
the step itself — `add_trace_context` of :mod:`oxlog._tracing`, as the chain calls it — is
timed here on its own, in a fresh process with the real SDK's tracer provider set:
with no span current (the cost every record pays once OpenTelemetry is installed),
and with a span current (the IDs added). The call overhead of the timing loop is
measured the same way and subtracted. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any


def _per_call(fn: Any, ed: dict[str, Any], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn(None, "", ed)
    return (time.perf_counter() - started) / n * 1e6


def _empty(logger: Any, method_name: str, event_dict: Any) -> Any:
    return event_dict


def measure(n: int, rounds: int) -> dict[str, float]:
    """Median µs per call over *rounds*: no span current, a span current (overhead subtracted)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from oxlog import _tracing as tracing

    trace.set_tracer_provider(TracerProvider())
    step = tracing.trace_processor()
    assert step is not None
    tracer = trace.get_tracer("bench")
    no_span, in_span = [], []
    for _ in range(rounds):
        ed: dict[str, Any] = {"message": "order synced"}
        overhead = _per_call(_empty, ed, n)
        no_span.append(_per_call(step, ed, n) - overhead)
        assert "trace_id" not in ed
        with tracer.start_as_current_span("bench"):
            in_span.append(_per_call(step, ed, n) - overhead)
        assert "trace_id" in ed
    return {"no_span_us": statistics.median(no_span), "span_us": statistics.median(in_span),
            "n": n, "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.n, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
