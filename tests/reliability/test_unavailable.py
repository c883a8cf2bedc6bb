"""The database unavailable, wherever in a request it fails: a 503 page that needs no database,
with ``Retry-After`` and every security header; a fault in a query is still a 500.

These run in-process with the database made to fail; ``test_postgres_restart.py`` restarts a real
server under load.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, OperationalError, connection
from django.test import Client

from dhr_tracker import unavailable
from tests.accounts.test_headers import EXPECTED_CSP, csp_directives
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(personas: Personas, verified_client: Callable[..., Client]) -> Client:
    client = verified_client(personas.csp_chair)
    # Django's test client re-raises what a view raised; a browser gets the response.
    client.raise_request_exception = False
    return client


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every query from now on fails as it does while PostgreSQL restarts."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(connection, "create_cursor", refused)


def assert_unavailable_page(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert '<h1 class="govuk-heading-l">Sorry, the service is unavailable</h1>' in page
    assert "check whether your change was saved" in page
    assert csp_directives(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_signed_in_page_with_the_database_down_says_the_service_is_unavailable(
    chair: Client, database_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The session, the user and Django's own 500 page all need the database; the 503 page does not."""
    response = chair.get("/")

    assert_unavailable_page(response)
    assert "database unavailable: GET" in caplog.text
    # The signed-in menu is not shown: it would need the database.
    assert "Sign out" not in response.content.decode()


def test_losing_the_database_in_a_view_answers_503_without_a_server_error(
    chair: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("dhr_tracker.views.open_deadlines", lost)

    response = chair.get("/")

    assert_unavailable_page(response)
    assert "database unavailable: GET home" in caplog.text
    assert "Internal Server Error" not in caplog.text


def test_losing_the_database_while_saving_the_session_answers_503(
    chair: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view answered, then the session's save failed: Django's 500 page renders, and is replaced."""

    def lost(self: SessionStore, must_create: bool = False) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "save", lost)

    assert_unavailable_page(chair.get("/"))


def test_a_fault_in_a_query_is_still_a_server_error(chair: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an unavailable database is a 503: a bug must not be passed off as an outage."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("dhr_tracker.views.open_deadlines", broken)

    response = chair.get("/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Sorry, there is a problem with the service" in response.content.decode()
