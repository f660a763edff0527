"""The demo workflow: an order → a chain, a chord, one retry, one failure."""

from __future__ import annotations

import logging

import structlog
from celery import chain, chord, shared_task

log = structlog.get_logger(__name__)


@shared_task
def process_order(order_id: int) -> None:
    log.info("processing_order", order_id=order_id)
    chain(reserve_stock.s(order_id), charge_card.s()).delay()
    chord(notify.s(order_id, channel) for channel in ("email", "sms", "push"))(summarize.s(order_id))
    send_invoice.delay(order_id)


@shared_task
def reserve_stock(order_id: int) -> int:
    log.info("stock_reserved", order_id=order_id, warehouse="east")
    return order_id


@shared_task(bind=True, max_retries=2)
def charge_card(self, order_id: int) -> str:
    if self.request.retries == 0:
        log.warning("payment_gateway_timeout", order_id=order_id)
        raise self.retry(exc=TimeoutError("gateway timed out"), countdown=0.5)
    logging.getLogger("payments").info("charged order %s", order_id)
    return "ch_3Nx"


@shared_task
def notify(order_id: int, channel: str) -> str:
    log.info("customer_notified", order_id=order_id, channel=channel)
    return channel


@shared_task
def summarize(channels: list[str], order_id: int) -> None:
    log.info("notifications_summarized", order_id=order_id, channels=channels)


@shared_task
def send_invoice(order_id: int) -> None:
    log.info("rendering_invoice", order_id=order_id)
    raise ValueError("invoice template missing")


@shared_task
def nightly_report() -> None:
    log.info("report_built", orders=1)
