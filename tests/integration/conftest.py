"""A real Celery worker on Redis for the integration tests."""

from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from dhr_tracker.celery import app


@pytest.fixture
def celery_worker() -> Iterator[None]:
    """Turn eager mode off and run a worker thread that consumes from Redis for the test."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True
