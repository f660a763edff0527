"""The Celery app of the Celery benchmark, in one of three logging setups.

``BENCH_CELERY_SETUP`` picks the setup (the publisher and the worker import this
module with the same value):

* ``plain`` — Celery with no logging integration (its own worker logging, default level).
* ``plain-info`` — the same with the worker at ``-l INFO`` into a file (a reference row:
  Celery's own two lines per task).
* ``dsl`` — django-structlog's Celery integration as its docs describe it:
  ``DJANGO_STRUCTLOG_CELERY_ENABLED = True``, ``django_structlog`` installed,
  ``DjangoStructLogInitStep`` added to the worker and a ``setup_logging`` receiver
  that applies the documented structlog + ``LOGGING`` setup (``json.log`` via
  ``ProcessorFormatter(JSONRenderer())``, see :func:`bench.baselines.dsl_docs`).
* ``oxlog`` — ``oxlog.celery.setup(app)`` writing ``json.log``, default event levels.
* ``oxlog-quiet`` — the same with every task event at DEBUG: the workflow context alone
  (headers, binding), no line of oxlog's per task.

``BENCH_LOG_DIR`` is where logs go; ``BENCH_REDIS_URL`` the broker and result backend.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery, signals

SETUP = os.environ.get("BENCH_CELERY_SETUP", "plain")
LOG_DIR = os.environ.get("BENCH_LOG_DIR", "/tmp/oxlog-bench-celery")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

#: The events ``oxlog-quiet`` puts at DEBUG: every one a task that succeeds would write.
QUIET_EVENTS = ("task_enqueued", "task_received", "task_started", "task_succeeded")

app = Celery("bench", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_default_queue="bench",
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=SETUP in ("plain", "plain-info"),
    result_expires=600,
)

if SETUP == "dsl":
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["django_structlog"],
            DJANGO_STRUCTLOG_CELERY_ENABLED=True,
            LOGGING_CONFIG=None,  # the setup_logging receiver below applies the logging setup
            USE_TZ=True,
        )
    django.setup()
    from django_structlog.celery.steps import DjangoStructLogInitStep

    app.steps["worker"].add(DjangoStructLogInitStep)

    def _dsl_logging(**_: Any) -> None:
        from bench.baselines import dsl_docs

        dsl_docs(LOG_DIR, bind_context=False)

    _dsl_logging()  # the publisher's logging (the worker reconfigures in setup_logging)
    signals.setup_logging.connect(_dsl_logging, weak=False, dispatch_uid="bench.dsl")
elif SETUP in ("oxlog", "oxlog-quiet"):
    import oxlog.celery

    # BENCH_OXLOG_EVENT_LEVELS="task_received=DEBUG": what a lighter event set costs.
    _levels = dict(item.split("=", 1) for item in os.environ.get("BENCH_OXLOG_EVENT_LEVELS", "").split(",")
                   if "=" in item)
    if SETUP == "oxlog-quiet":
        _levels = {**dict.fromkeys(QUIET_EVENTS, "DEBUG"), **_levels}
    oxlog.celery.setup(app, dir=LOG_DIR, console="off", files=["json"], level="INFO",
                       **({"event_levels": _levels} if _levels else {}))
elif SETUP not in ("plain", "plain-info"):
    raise RuntimeError("BENCH_CELERY_SETUP must be plain, plain-info, dsl, oxlog or oxlog-quiet, "
                       f"not {SETUP!r}")


if SETUP in ("plain", "plain-info") and os.environ.get("BENCH_OXLOG_HEADERS"):
    # Plain Celery carrying the three headers oxlog adds (same sizes), to price them alone:
    # BENCH_OXLOG_HEADERS=1 python -m bench.celery_callgrind (the publish then pays a dispatch).
    import time
    import uuid

    def _headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers is not None:
            cid = uuid.uuid4().hex
            headers.update(oxlog_correlation_id=cid, oxlog_published_at=time.time(),
                           traceparent=f"00-{cid}-{uuid.uuid4().hex[:16]}-01")

    signals.before_task_publish.connect(_headers, weak=False, dispatch_uid="bench.headers")


@app.task(name="bench.noop")
def noop(i: int) -> int:
    """Do nothing: what is measured is Celery plus the logging integration."""
    return i


def bind_request_context() -> None:
    """Bind what a web request would have bound before publishing (the publisher calls it once).

    Tasks are mostly published from requests and from other tasks, which have an ID:
    ``oxlog`` gets a correlation ID (as django-guid's middleware gives it), ``dsl`` a
    ``request_id`` (as django-structlog's middleware binds it); ``plain`` has nothing.
    """
    import uuid

    if SETUP.startswith("oxlog"):
        import oxlog

        oxlog.bind(correlation_id=uuid.uuid4().hex)
    elif SETUP == "dsl":
        import structlog

        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()))


@app.task(name="bench.collect")
def collect() -> None:
    """Run a full garbage collection in the worker (solo: the process that runs the tasks).

    The callgrind bench calls it before counting, so that a full collection that is
    due lands in every setup's window alike (one costs ~25 ms here; in a window of
    a few hundred tasks it would swing the per-task figure by 5 %).
    """
    import gc

    gc.collect()


@signals.worker_ready.connect(weak=False)
def _ready(**_: Any) -> None:
    Path(LOG_DIR, "worker.ready").write_text(str(os.getpid()))
