"""The shop on PostgreSQL with django-celery-beat's ``DatabaseScheduler`` (schedules in the DB)."""
from __future__ import annotations

import os

from tests.project.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_beat"]  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1",
                         "PORT": "5432", "USER": "postgres", "NAME": os.environ["SHOP_PG_DB"]}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, object] = {}  # every entry comes from the database
