"""Tests only: Django's flush, lifting the audit triggers for the reset between browser tests.

Transactional tests (live server, Celery worker) empty every table after each test. The audit
tables refuse that by design, so for the test database alone the triggers are dropped around
the flush and installed again at once.
"""

from typing import Any

from django.core.management.commands.flush import Command as Flush
from django.db import connections

from audit import triggers


class Command(Flush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
