"""Signing in with a password and a second factor."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.accounts.helpers import current_code, enter_code, sign_in
from tests.conftest import enrol_device

pytestmark = pytest.mark.django_db


def test_wrong_password_is_refused_with_a_clear_message_and_an_event(personas: Any, security_events: Any) -> None:
    response = sign_in(Client(), personas.csp_chair.email, "not-the-password")
    assert response.status_code == 400
    assert "Enter a correct e-mail address and password" in response.text
    assert "There is a problem" in response.text
    event = security_events.find("auth.login_failed")
    assert event.outcome == "failed"
    assert event.details["email"] == personas.csp_chair.email
    assert "_auth_user_id" not in Client().session


def test_unknown_email_gets_the_same_message_as_a_wrong_password(db: None) -> None:
    response = sign_in(Client(), "nobody@nowhere.example", "whatever-password")
    assert response.status_code == 400
    assert "Enter a correct e-mail address and password" in response.text


def test_empty_form_names_each_missing_field(db: None) -> None:
    response = Client().post("/sign-in/", {})
    assert response.status_code == 400
    assert "Enter your e-mail address" in response.text
    assert "Enter your password" in response.text
    assert '<a href="#id_email">' in response.text


def test_first_sign_in_forces_enrolment(personas: Any) -> None:
    client = Client()
    response = sign_in(client, personas.unverified.email)
    assert response.status_code == 302
    assert response["Location"].startswith("/two-factor/set-up/")
    assert client.get("/").status_code == 302


def test_password_then_code_reaches_the_dashboard(personas: Any, security_events: Any) -> None:
    enrol_device(personas.csp_chair)
    client = Client()
    response = sign_in(client, personas.csp_chair.email)
    assert response["Location"].startswith("/sign-in/code/")
    response = enter_code(client, current_code(personas.csp_chair))
    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "CSP chair" in dashboard.text
    assert "Exampleshire Community Safety Partnership" in dashboard.text
    assert security_events.find("auth.login").actor_id == personas.csp_chair.pk


def test_session_id_changes_at_sign_in_and_at_the_second_factor(personas: Any) -> None:
    """A session id planted before sign-in (session fixation) is worthless afterwards."""
    enrol_device(personas.csp_chair)
    client = Client()
    client.get("/sign-in/")
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    sign_in(client, personas.csp_chair.email)
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    enter_code(client, current_code(personas.csp_chair))
    after_code = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert len({planted, after_password, after_code}) == 3


def test_a_code_cannot_be_used_twice(personas: Any, security_events: Any) -> None:
    enrol_device(personas.csp_chair)
    first, second = Client(), Client()
    code = current_code(personas.csp_chair)
    sign_in(first, personas.csp_chair.email)
    assert enter_code(first, code).status_code == 302
    sign_in(second, personas.csp_chair.email)
    response = enter_code(second, code)
    assert response.status_code == 400
    assert "has already been used" in response.text
    assert "auth.code_failed" in security_events.actions()


def test_wrong_code_is_refused(personas: Any) -> None:
    enrol_device(personas.csp_chair)
    client = Client()
    sign_in(client, personas.csp_chair.email)
    wrong = f"{(int(current_code(personas.csp_chair)) + 1) % 1000000:06d}"
    response = enter_code(client, wrong)
    assert response.status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_next_never_leaves_the_site(personas: Any, target: str) -> None:
    enrol_device(personas.csp_chair)
    client = Client()
    client.post(
        f"/sign-in/?next={target}", {"email": personas.csp_chair.email, "password": "a-long-test-passphrase-41"}
    )
    response = client.post("/sign-in/code/", {"code": current_code(personas.csp_chair), "next": target})
    assert response["Location"] == "/"


def test_next_within_the_site_is_followed(personas: Any) -> None:
    enrol_device(personas.csp_chair)
    client = Client()
    response = client.post(
        "/sign-in/?next=/account/", {"email": personas.csp_chair.email, "password": "a-long-test-passphrase-41"}
    )
    assert "next=%2Faccount%2F" in response["Location"]
    response = client.post("/sign-in/code/", {"code": current_code(personas.csp_chair), "next": "/account/"})
    assert response["Location"] == "/account/"


def test_deactivated_user_cannot_sign_in(personas: Any) -> None:
    personas.csp_chair.is_active = False
    personas.csp_chair.save()
    response = sign_in(Client(), personas.csp_chair.email)
    assert response.status_code == 400


def test_password_alone_cannot_enrol_a_second_device(personas: Any) -> None:
    """Someone who steals a password must not be able to add their own authenticator."""
    enrol_device(personas.csp_chair)
    client = Client()
    sign_in(client, personas.csp_chair.email)
    response = client.get("/two-factor/set-up/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/code/")


def test_sign_out_ends_the_session(personas: Any, verified_client: Any, security_events: Any) -> None:
    client = verified_client(personas.csp_chair)
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/?signed_out=1"
    assert client.get("/").status_code == 302
    assert "auth.logout" in security_events.actions()


def test_sign_out_needs_post(personas: Any, verified_client: Any) -> None:
    """A link or image cannot sign someone out (no state change on GET)."""
    client = verified_client(personas.csp_chair)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


def test_expired_session_says_why_on_the_sign_in_page(
    personas: Any, verified_client: Any, security_events: Any
) -> None:
    client = verified_client(personas.csp_chair)
    client.session.delete(client.cookies[settings.SESSION_COOKIE_NAME].value)
    response = client.get("/account/")
    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    page = client.get(response["Location"])
    assert "you had not done anything for 30 minutes" in page.text
    assert "auth.session_expired" in security_events.actions()


def test_idle_session_ends_thirty_minutes_after_the_last_request(personas: Any, verified_client: Any) -> None:
    client = verified_client(personas.csp_chair)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/").status_code == 200
    # Each request pushes the end back to a full 30 minutes from now...
    remaining = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    # ...and once it has passed, the next request is sent to sign in again.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert "expired=1" in response["Location"]


def test_csrf_failure_gets_a_kind_page_and_an_event(personas: Any, security_events: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"email": personas.csp_chair.email, "password": "x"})
    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert "security.csrf_failed" in security_events.actions()


def test_null_origin_is_accepted_only_from_the_same_origin(personas: Any) -> None:
    """Referrer-Policy no-referrer makes browsers send Origin: null; Sec-Fetch-Site decides."""
    client = Client(enforce_csrf_checks=True)
    client.get("/sign-in/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    data = {"email": personas.csp_chair.email, "password": "a-long-test-passphrase-41", "csrfmiddlewaretoken": token}
    same = client.post("/sign-in/", data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert same.status_code == 302
    cross = Client(enforce_csrf_checks=True)
    cross.get("/sign-in/")
    data["csrfmiddlewaretoken"] = cross.cookies[settings.CSRF_COOKIE_NAME].value
    refused = cross.post("/sign-in/", data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="cross-site")
    assert refused.status_code == 403
