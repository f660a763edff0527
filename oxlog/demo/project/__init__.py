"""The demo's Django project (``oxlog demo``): a shop whose order fans out into tasks."""
from __future__ import annotations

from oxlog.demo.project.celery import app as celery_app

__all__ = ["celery_app"]
