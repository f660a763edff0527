"""The workflow of the tests: A publishes B and a chord of C1..C3 whose callback is D."""

from __future__ import annotations

import logging

import structlog
from celery import chord, shared_task
from celery.utils.log import get_task_logger

log = structlog.get_logger(__name__)
task_log = get_task_logger(__name__)


@shared_task(bind=True)
def task_a(self, n: int) -> None:
    log.info("a_running", n=n)
    task_b.delay(n)
    chord([task_c.s(i) for i in (1, 2, 3)], task_d.s()).delay()


@shared_task
def task_b(n: int) -> int:
    logging.getLogger(__name__).info("b stdlib line %s", n)
    task_log.info("b task-logger line")
    return n


@shared_task(bind=True, max_retries=3)
def task_c(self, i: int) -> int:
    log.info("c_running", i=i)
    if i == 2 and self.request.retries == 0:
        raise self.retry(exc=ValueError("flaky on purpose"), countdown=0.3)
    return i


@shared_task
def task_d(results: list[int]) -> int:
    log.info("d_running", results=results)
    return sum(results)


@shared_task
def beat_tick() -> None:
    log.info("tick_ran")


@shared_task
def numbered(i: int) -> int:
    log.info("numbered_ran", i=i)
    logging.getLogger(__name__).info("numbered stdlib %s", i)
    return i


@shared_task
def leaves_a_key(i: int) -> None:
    """Logs, then binds a structlog key it never unbinds (the next task must not see it)."""
    log.info("leaves_a_key_ran", i=i)
    structlog.contextvars.bind_contextvars(left_by=i)


@shared_task
def fails() -> None:
    log.info("about_to_fail")
    raise RuntimeError("task failed on purpose")


@shared_task
def dies() -> None:
    log.info("about_to_die")
    import os

    os._exit(1)


@shared_task(time_limit=1)
def sleeps(seconds: float) -> None:
    log.info("sleeping", seconds=seconds)
    import time

    time.sleep(seconds)


@shared_task
def publishes_then_logs() -> None:
    numbered.delay(99)
    log.info("published_from_task")


@shared_task(bind=True, autoretry_for=(ConnectionError,), max_retries=2, default_retry_delay=0.2,
             retry_backoff=False)
def flaky_autoretry(self) -> str:
    log.info("flaky_running", attempt=self.request.retries)
    if self.request.retries == 0:
        raise ConnectionError("first attempt fails")
    return "ok"


@shared_task
def ignores() -> None:
    """Raise celery's Ignore: no state is stored, and only task_postrun says it ended."""
    from celery.exceptions import Ignore

    raise Ignore()


@shared_task(throws=(KeyError,))
def fails_expectedly() -> None:
    """An exception the task declares (``throws=``): Celery logs it at INFO, without traceback."""
    raise KeyError("expected")
