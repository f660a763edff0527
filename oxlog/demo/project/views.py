"""One view: placing an order publishes the workflow."""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse

log = structlog.get_logger(__name__)


def place_order(request: HttpRequest) -> HttpResponse:
    from oxlog.demo.project.tasks import process_order

    log.info("order_received", order_id=1042, items=3, card_token="tok_visa_4242")
    result = process_order.delay(1042)
    return HttpResponse(result.id, status=202)
