"""The demo project's settings: oxlog's three lines, and an embedded broker (no server)."""
from __future__ import annotations

import os

from oxlog.settings import *  # noqa: F403

SECRET_KEY = "oxlog-demo"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "oxlog.demo.project.urls"
INSTALLED_APPS = [*OXLOG_APPS, "oxlog.demo.project"]  # noqa: F405
MIDDLEWARE = [*OXLOG_MIDDLEWARE]  # noqa: F405
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

# Celery's filesystem transport and file result backend: brokers made of directories,
# so the demo runs anywhere. Production uses Redis or RabbitMQ; oxlog works the same.
_BROKER = os.environ.get("OXLOG_DEMO_BROKER_DIR", "/tmp/oxlog-demo-broker")
CELERY_BROKER_URL = "filesystem://localhost//"
CELERY_BROKER_TRANSPORT = "oxlog.demo.broker:Transport"  # kombu's, writing whole messages only
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": f"{_BROKER}/queue",
    "data_folder_out": f"{_BROKER}/queue",
    "control_folder": f"{_BROKER}/control",
    "polling_interval": 0.05,
}
CELERY_RESULT_BACKEND = f"file://{_BROKER}/results"
CELERY_RESULT_CHORD_RETRY_INTERVAL = 0.2
CELERY_TASK_DEFAULT_QUEUE = "demo"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = True  # Celery's default; oxlog keeps its handlers anyway
