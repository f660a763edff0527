"""The project's Celery app, written the way Celery's Django guide shows: nothing for oxlog."""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.project.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

if os.environ.get("SHOP_OTEL_SPANS"):  # tests/test_tracing_workflow.py: a traced worker
    from celery.signals import worker_process_init

    @worker_process_init.connect(weak=False)
    def _instrument(**_: object) -> None:
        from tests.project.otel import setup

        setup(os.environ["SHOP_OTEL_SPANS"])
