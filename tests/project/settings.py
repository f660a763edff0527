"""A project that does only what oxlog's README asks: one import and two lists."""
from __future__ import annotations

from oxlog.settings import *  # noqa: F403

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.project.urls"
USE_TZ = True
INSTALLED_APPS = [
    *OXLOG_APPS,  # noqa: F405
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "tests.project.shop",
]
MIDDLEWARE = [
    *OXLOG_MIDDLEWARE,  # noqa: F405
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# --- Celery (the workflow tests choose the broker through the environment) ---------
import os  # noqa: E402

_BROKER_DIR = os.environ.get("SHOP_BROKER_DIR", "/tmp/oxlog-shop-broker")
# Celery's filesystem transport and result backend need their folders to exist (a fresh
# machine has none: scripts that run without the Broker fixture use this default).
for _folder in ("queue", "control", "results"):
    os.makedirs(f"{_BROKER_DIR}/{_folder}", exist_ok=True)
CELERY_BROKER_URL = os.environ.get("SHOP_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):  # kombu's, writing whole messages only
    CELERY_BROKER_TRANSPORT = "oxlog.demo.broker:Transport"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"data_folder_in": f"{_BROKER_DIR}/queue", "data_folder_out": f"{_BROKER_DIR}/queue",
     "control_folder": f"{_BROKER_DIR}/control", "polling_interval": 0.05}
    if CELERY_BROKER_URL.startswith("filesystem") else {}
)
CELERY_RESULT_BACKEND = os.environ.get("SHOP_RESULT_BACKEND", f"file://{_BROKER_DIR}/results")
CELERY_TASK_ALWAYS_EAGER = os.environ.get("SHOP_EAGER") == "1"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SHOP_QUEUE", "celery")
CELERY_WORKER_HIJACK_ROOT_LOGGER = True  # Celery's default: oxlog must survive it
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_CHORD_RETRY_INTERVAL = 0.2
CELERY_BEAT_SCHEDULE = {
    "tick": {"task": "tests.project.shop.tasks.beat_tick", "schedule": 1.0},
}
