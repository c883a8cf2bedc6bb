"""What the reliability tests share: the test database's URL, queueing for real, session cookies.

The app's processes (``processes.py``) read the test database, so the tests that start them commit
their data (``transaction=True``) and stop every process before the test ends, when pytest-django
empties the tables. Those need PostgreSQL (``needs_postgresql``): SQLite's test database lives in the
test process's memory.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from dhr_tracker.celery import app
from tests.subprocesses import database_url

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the app's processes share the test database, so it must be a server"
)


@pytest.fixture
def test_database(transactional_db: None) -> str:
    """The URL of pytest-django's test database, for the app's processes."""
    return database_url()


@contextmanager
def queueing() -> Iterator[None]:
    """Send tasks to the broker, as production does, instead of running them inline (the tests' default)."""
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def session_of(client: Client) -> dict[str, str]:
    """The cookie of a test client's session, for a browser talking to the app's processes over HTTP."""
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
