from __future__ import annotations

from typing import Any

import structlog
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Publish one task (for the tests)."

    def handle(self, *args: Any, **options: Any) -> None:
        from tests.project.shop.tasks import numbered

        structlog.get_logger(__name__).info("publishing_from_command")
        numbered.delay(5)
