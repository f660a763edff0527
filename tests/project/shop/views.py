"""Views that log the three ways an application does, and fail."""

from __future__ import annotations

import logging
import warnings

import structlog
from django.http import HttpRequest, HttpResponse

log = structlog.get_logger(__name__)
stdlib_log = logging.getLogger(__name__)


def ok(request: HttpRequest) -> HttpResponse:
    log.info("order_viewed", order_id=42, tags=["a", "b"])
    stdlib_log.info("stdlib line for order %s", 42)
    logging.getLogger("somelib").warning("third-party says %s", "hi")
    warnings.warn("deprecated thing", UserWarning, stacklevel=1)
    return HttpResponse("ok")


def boom(request: HttpRequest) -> HttpResponse:
    log.info("about_to_fail", step=1)
    stdlib_log.warning("stdlib before failing")
    raise RuntimeError("view failed on purpose")


def start(request: HttpRequest) -> HttpResponse:
    from tests.project.shop.tasks import task_a

    log.info("starting_workflow")
    result = task_a.delay(1)
    return HttpResponse(result.id)


def eager(request: HttpRequest) -> HttpResponse:
    from tests.project.shop.tasks import numbered

    numbered.apply(args=(7,))
    log.info("after_eager")
    return HttpResponse("ok")


payments = structlog.get_logger("tests.project.shop.payments")
stdlib_payments = logging.getLogger("tests.project.shop.payments")


def pay(request: HttpRequest) -> HttpResponse:
    payments.info("payment_taken", amount=12)
    stdlib_payments.info("charged card for order %s", 42)
    stdlib_log.info("health check passed")  # the project's own file filters these out
    return HttpResponse("paid")
