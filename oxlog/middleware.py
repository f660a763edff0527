"""The correlation-ID guard that runs before django-guid's middleware.

django-guid's own check (``uuid.UUID(value, version=4)``) accepts braces,
``urn:uuid:``, fullwidth digits and more, and keeps the string as sent. This
middleware replaces a ``Correlation-ID`` header that is not in a canonical shape
(:mod:`oxlog.correlation`) by a fresh ID before django-guid reads it: the raw value
is never logged, bound or echoed, and no header value can cause an error. The
rejection is logged once per request, with the value's length and a fixed reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from oxlog import correlation
from oxlog.context import bound
from oxlog.events import log_event

logger = structlog.get_logger("oxlog.middleware")


def _header_meta_key() -> str:
    try:
        from django_guid.config import settings as guid_settings

        name = str(guid_settings.guid_header_name)
    except Exception:
        name = "Correlation-ID"
    return "HTTP_" + name.upper().replace("-", "_")


class CorrelationIdGuard:
    """Drop a non-canonical incoming correlation ID so that a new one is used."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.meta_key = _header_meta_key()
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
        """Remove the header from *request* when its value is not canonical."""
        value = request.META.get(self.meta_key)
        if value is None or correlation.is_valid(value):
            return
        fresh = correlation.new_correlation_id()
        request.META[self.meta_key] = fresh
        request.__dict__.pop("headers", None)  # HttpRequest.headers is cached
        with bound(correlation_id=fresh):
            log_event(logger, "correlation_id_rejected", source="http_header",
                      length=len(value), reason=correlation.rejection_reason(value))
