"""Password rules, reset by e-mail without account enumeration, and changing a password."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase

from dhr_tracker.accounts.models import User
from tests.accounts.helpers import sign_in

pytestmark = pytest.mark.django_db


def reset_link(email: str) -> str:
    """Ask for a reset for ``email`` and return the path of the link e-mailed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post("/password-reset/", {"email": email})
    match = re.search(r"https?://[^/]+(/password-reset/[^/\s]+/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_reset_for_known_and_unknown_addresses_looks_the_same(personas: Any, security_events: Any) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        known = Client().post("/password-reset/", {"email": personas.csp_chair.email.upper()})
        unknown = Client().post("/password-reset/", {"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(personas.csp_chair.email, "X") == unknown.text.replace("nobody@nowhere.example", "X")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [personas.csp_chair.email]
    requests = [e.details["known"] for e in security_events.rows() if e.action == "auth.password_reset_requested"]
    assert requests == [True, False]


def test_reset_sets_a_new_password_once(personas: Any, security_events: Any) -> None:
    link = reset_link(personas.csp_chair.email)
    client = Client()
    assert "Choose a new password" in client.get(link).text
    response = client.post(
        link, {"new_password": "violet-harbour-lantern-93", "confirm_password": "violet-harbour-lantern-93"}
    )
    assert response["Location"] == "/sign-in/?password_changed=1"
    assert "auth.password_reset" in security_events.actions()
    assert sign_in(Client(), personas.csp_chair.email, "violet-harbour-lantern-93").status_code == 302
    # The link cannot be used again.
    again = Client().get(link)
    assert again.status_code == 400
    assert "This link does not work" in again.text


def test_reset_ends_other_sessions(personas: Any, verified_client: Any) -> None:
    existing = verified_client(personas.csp_chair)
    Client().post(
        reset_link(personas.csp_chair.email),
        {"new_password": "violet-harbour-lantern-93", "confirm_password": "violet-harbour-lantern-93"},
    )
    assert existing.get("/").status_code == 302


def test_forged_reset_link_is_refused(personas: Any, security_events: Any) -> None:
    response = Client().get("/password-reset/MQ/not-a-token/")
    assert response.status_code == 400
    assert "auth.password_reset_failed" in security_events.actions()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-one", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
        ("chair@csp.example", "The password is too similar to the"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule_named(personas: Any, password: str, message: str) -> None:
    response = Client().post(
        reset_link(personas.csp_chair.email), {"new_password": password, "confirm_password": password}
    )
    assert response.status_code == 400
    assert message in response.text
    assert User.objects.get(pk=personas.csp_chair.pk).check_password("a-long-test-passphrase-41")


def test_mismatched_confirmation_is_refused(personas: Any) -> None:
    response = Client().post(
        reset_link(personas.csp_chair.email), {"new_password": "violet-harbour-lantern-93", "confirm_password": "other"}
    )
    assert "The passwords do not match" in response.text


def test_change_password_needs_the_current_one_and_keeps_this_session(
    personas: Any, verified_client: Any, security_events: Any
) -> None:
    client = verified_client(personas.csp_chair)
    other_device = verified_client(personas.csp_chair)
    wrong = client.post(
        "/account/password/",
        {
            "current_password": "nope",
            "new_password": "violet-harbour-lantern-93",
            "confirm_password": "violet-harbour-lantern-93",
        },
    )
    assert "Your current password is not correct" in wrong.text
    right = client.post(
        "/account/password/",
        {
            "current_password": "a-long-test-passphrase-41",
            "new_password": "violet-harbour-lantern-93",
            "confirm_password": "violet-harbour-lantern-93",
        },
    )
    assert "Your password has been changed" in right.text
    assert "auth.password_changed" in security_events.actions()
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302


def test_sign_out_everywhere_ends_every_session(personas: Any, verified_client: Any, security_events: Any) -> None:
    laptop, phone = verified_client(personas.csp_chair), verified_client(personas.csp_chair)
    assert laptop.post("/account/sign-out-everywhere/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert "auth.signed_out_everywhere" in security_events.actions()
