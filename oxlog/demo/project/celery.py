"""The demo's Celery app, as Celery's Django guide writes it: nothing oxlog-specific."""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oxlog.demo.project.settings")

app = Celery("demo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["oxlog.demo.project"])
