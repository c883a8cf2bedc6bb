"""Helpers for audit tests: make events, and tamper as a database superuser would."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from audit import triggers
from audit.models import AuditEvent, Outcome
from audit.trail import record


def chained(action: str, **kwargs: Any) -> AuditEvent:
    """Record an event outside any transaction, where it is chained at once, and return it."""
    event = record(action, **kwargs)
    assert event is not None, "outside a transaction an event is chained at once"
    return event


@pytest.fixture(autouse=True)
def chain_at_once(settings: Any) -> None:
    """The audit tests see chaining as production does at its shortest interval: after every event."""
    settings.AUDIT_CHAIN_INTERVAL_SECONDS = 0


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL with the append-only triggers lifted, as someone with superuser rights could."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        triggers.install(connection)


@pytest.fixture
def make_events(db: None) -> Callable[[int], list[AuditEvent]]:
    def make(count: int) -> list[AuditEvent]:
        return [
            chained("test.event", outcome=Outcome.ALLOWED, details={"n": n, "note": f"café {n}"}, partnership_id=1)
            for n in range(count)
        ]

    return make
