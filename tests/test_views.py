"""The pages that belong to no app: health check and error pages."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_health_check_is_public_and_reports_the_database() -> None:
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_page_gets_the_govuk_not_found_page(personas: Any, verified_client: Any) -> None:
    response = verified_client(personas.csp_chair).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "govuk-template" in response.text


def test_object_pages_ask_an_anonymous_visitor_to_sign_in_before_any_lookup() -> None:
    """Route patterns are public (the code is open); whether a record exists is not."""
    assert Client().get("/no-such-page/").status_code == 404
    for user_id in (1, 999999):
        response = Client().get(f"/manage/users/{user_id}/")
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")
