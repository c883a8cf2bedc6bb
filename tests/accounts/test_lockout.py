"""Lock-out after repeated failures, per account and per address, and the way out of it."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import SignInThrottle
from tests.accounts.helpers import current_code, enter_code, sign_in
from tests.conftest import enrol_device

pytestmark = pytest.mark.django_db

LOCKED = "There have been too many failed attempts to sign in"


def fail_passwords(email: str, times: int, address: str = "203.0.113.5") -> Any:
    response = None
    for _ in range(times):
        response = sign_in(Client(), email, "wrong-password-entirely", REMOTE_ADDR=address)
    return response


def test_account_locks_after_five_wrong_passwords(personas: Any, security_events: Any) -> None:
    response = fail_passwords(personas.csp_chair.email, 5)
    assert response.status_code == 429
    assert LOCKED in response.text
    assert "auth.locked_out" in security_events.actions()
    # Even the right password is refused while the lock lasts.
    response = sign_in(Client(), personas.csp_chair.email, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    assert LOCKED in response.text
    assert security_events.find("auth.login_locked").outcome == "denied"


def test_four_wrong_passwords_do_not_lock(personas: Any) -> None:
    fail_passwords(personas.csp_chair.email, 4)
    assert sign_in(Client(), personas.csp_chair.email).status_code == 302


def test_unknown_email_locks_the_same_way(db: None) -> None:
    """The lock-out must not reveal which e-mail addresses have accounts."""
    response = fail_passwords("nobody@nowhere.example", 5)
    assert response.status_code == 429
    assert LOCKED in response.text


def test_address_locks_after_many_failures_across_accounts(personas: Any, settings: Any) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 6
    for n in range(6):
        sign_in(Client(), f"guess{n}@csp.example", "wrong-password-entirely", REMOTE_ADDR="203.0.113.77")
    blocked = sign_in(Client(), personas.coordinator.email, REMOTE_ADDR="203.0.113.77")
    assert blocked.status_code == 429
    elsewhere = sign_in(Client(), personas.coordinator.email, REMOTE_ADDR="198.51.100.1")
    assert elsewhere.status_code == 302


def test_lock_ends_by_itself_after_its_time(personas: Any) -> None:
    fail_passwords(personas.csp_chair.email, 5)
    SignInThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sign_in(Client(), personas.csp_chair.email).status_code == 302


def test_wrong_codes_count_towards_the_lock_and_end_the_session(personas: Any, security_events: Any) -> None:
    enrol_device(personas.csp_chair)
    client = Client()
    sign_in(client, personas.csp_chair.email)
    wrong = f"{(int(current_code(personas.csp_chair)) + 3) % 1000000:06d}"
    for _ in range(4):
        assert enter_code(client, wrong).status_code == 400
    response = enter_code(client, wrong)
    assert response.status_code == 429
    assert LOCKED in response.text
    assert "auth.locked_out" in security_events.actions()
    # The half-signed-in session is gone, and the right password no longer helps.
    assert client.get("/sign-in/code/").status_code == 302
    assert sign_in(Client(), personas.csp_chair.email).status_code == 429


def test_successful_password_does_not_reset_code_failures(personas: Any) -> None:
    """Knowing the password must not buy unlimited guesses at the code."""
    enrol_device(personas.csp_chair)
    wrong = f"{(int(current_code(personas.csp_chair)) + 3) % 1000000:06d}"
    for _ in range(2):
        client = Client()
        sign_in(client, personas.csp_chair.email)
        enter_code(client, wrong)
        enter_code(client, wrong)
    client = Client()
    sign_in(client, personas.csp_chair.email)
    assert enter_code(client, wrong).status_code == 429


def test_site_admin_unlocks_an_account(personas: Any, verified_client: Any, security_events: Any) -> None:
    fail_passwords(personas.csp_chair.email, 5)
    admin = verified_client(personas.site_admin)
    page = admin.get(f"/manage/users/{personas.csp_chair.pk}/")
    assert "Locked until" in page.text
    listing = admin.get("/manage/users/")
    assert "Locked" in listing.text
    response = admin.post(f"/manage/users/{personas.csp_chair.pk}/unlock/")
    assert response.status_code == 302
    assert security_events.find("auth.unlocked").target_id == str(personas.csp_chair.pk)
    assert sign_in(Client(), personas.csp_chair.email).status_code == 302


def test_only_site_admins_can_unlock(personas: Any, verified_client: Any) -> None:
    fail_passwords(personas.csp_chair.email, 5)
    response = verified_client(personas.coordinator).post(f"/manage/users/{personas.csp_chair.pk}/unlock/")
    assert response.status_code == 403
    assert sign_in(Client(), personas.csp_chair.email).status_code == 429
