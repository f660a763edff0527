"""beat: each dispatch and the task it sends share a fresh correlation ID.

With Celery's default scheduler, and with django-celery-beat's ``DatabaseScheduler`` —
the one most Django projects run, its entries in the database — on the real PostgreSQL
of the machine.
"""

from __future__ import annotations

import sys
from typing import Any

from tests.conftest import Workers

SETTINGS = "tests.project.pg_settings"
SCHEDULE = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="db-tick", task="tests.project.shop.tasks.beat_tick",
                            interval=every, queue="{queue}")
"""


def _assert_each_dispatch_shares_a_fresh_id(records: list[dict[str, Any]],
                                            ticks: list[dict[str, Any]], entry: str) -> None:
    """'Sending due task ENTRY' and the task it sends share one ID, different per dispatch."""
    sending = [r for r in records if r["logger"] == "celery.beat"
               and r["message"].startswith(f"Scheduler: Sending due task {entry}")]
    assert len(sending) >= 2
    cids = [r["correlation_id"] for r in sending]
    assert len(set(cids)) == len(cids)
    enqueued = {r["correlation_id"]: r["child_task_id"] for r in records
                if r["message"] == "task_enqueued"}
    for tick in ticks[:2]:
        assert tick["correlation_id"] in cids
        assert enqueued[tick["correlation_id"]] == tick["task_id"]
        assert tick.get("parent_task_id") is None and tick["root_task_id"] == tick["task_id"]


def test_beat_dispatches_share_a_fresh_correlation_id_with_their_task(
        embedded_broker: Any, workers: Workers) -> None:
    """The default scheduler (entries from ``beat_schedule``)."""
    workers.start(embedded_broker, pool="solo")
    workers.beat(embedded_broker)
    ticks = workers.wait_for(lambda r: r["message"] == "tick_ran", count=2, timeout=30)
    _assert_each_dispatch_shares_a_fresh_id(workers.records(), ticks, "tick")


def test_a_database_scheduled_dispatch_shares_its_id_with_the_task(
        embedded_broker: Any, workers: Workers, run_python: Any, postgres_db: str) -> None:
    """django-celery-beat's ``DatabaseScheduler``, its entry a row in PostgreSQL."""
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "SHOP_PG_DB": postgres_db}
    run_python(SCHEDULE.format(queue=embedded_broker.queue), settings=SETTINGS,
               env={**embedded_broker.env, **env})
    workers.start(embedded_broker, pool="prefork", concurrency=1, env=env)
    workers._spawn([sys.executable, "-m", "celery", "-A", "tests.project", "beat", "-l", "INFO",
                    "-S", "django_celery_beat.schedulers:DatabaseScheduler"], embedded_broker, env)
    ticks = workers.wait_for(lambda r: r["message"] == "tick_ran", count=2, timeout=60)
    _assert_each_dispatch_shares_a_fresh_id(workers.records(), ticks, "db-tick")
