"""The correlation-ID guard that runs before django-guid's middleware.

django-guid reads one header (``Correlation-ID``) and its own check
(``uuid.UUID(value, version=4)``) accepts braces, ``urn:uuid:``, fullwidth digits
and more, keeping the string as sent. This middleware reads the headers of
``OXLOG_REQUEST_HEADERS`` in order (by default ``Correlation-ID``,
``X-Correlation-ID``, ``X-Request-ID`` and W3C ``traceparent``, whose trace-id is
used), takes the first value in a canonical shape (:mod:`oxlog.correlation`) and
hands it to django-guid under its header; a value that is refused is replaced by a
fresh ID: the raw value is never logged, bound or echoed, and no header value can
cause an error. With no ID sent and an OpenTelemetry span current (its Django
instrumentation's middleware runs first), the span's trace ID is the correlation ID.
Each refusal is logged once, with the header's name, the value's length and a fixed
reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from oxlog import _tracing, correlation
from oxlog._event import log_event
from oxlog._options import current_settings
from oxlog.context import bound

logger = structlog.get_logger("oxlog.middleware")


def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class CorrelationIdGuard:
    """Drop a non-canonical incoming correlation ID so that a new one is used."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.meta_key = _meta_key(correlation.guid_header_name())  # django-guid's header
        self.sources = [(name, _meta_key(name), name.lower() == "traceparent")
                        for name in current_settings().request_headers]
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self._async:
            return self.__acall__(request)
        self.check(request)
        return self.get_response(request)

    async def __acall__(self, request: Any) -> Any:
        self.check(request)
        response: Awaitable[Any] = self.get_response(request)
        return await response

    def check(self, request: Any) -> None:
        """Give django-guid the first canonical ID of the configured headers, or none."""
        meta = request.META
        chosen: str | None = None
        refused: list[tuple[str, Any, str]] = []
        for name, key, is_traceparent in self.sources:
            raw = meta.get(key)
            if raw is None:
                continue
            value = correlation.from_traceparent(raw) if is_traceparent else raw
            if value is not None and correlation.is_valid(value):
                chosen = value
                break
            reason = "not a W3C traceparent" if is_traceparent else correlation.rejection_reason(raw)
            refused.append((name, raw, reason))
        if chosen is None and (refused or self.meta_key not in meta):
            # No ID accepted. A tracer's span is current (OpenTelemetry's Django middleware
            # runs first): its trace ID is the request's correlation ID, one ID for both.
            span = _tracing.current_span_fields()
            if span is not None:
                chosen = span[0]
            elif not refused:
                return  # no ID sent: django-guid makes one
            else:
                chosen = correlation.new_correlation_id()
        if chosen is None:
            meta.pop(self.meta_key, None)  # sent under a header that is not configured
        elif meta.get(self.meta_key) != chosen:
            meta[self.meta_key] = chosen
        else:
            return
        request.__dict__.pop("headers", None)  # HttpRequest.headers is cached
        if refused:
            with bound(correlation_id=chosen):
                for name, raw, reason in refused:
                    log_event(logger, "correlation_id_rejected", source="http_header",
                              header=name, length=len(raw), reason=reason)
