"""Second-factor devices: secrets encrypted at rest, backup codes hashed and single-use."""

import base64
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from dhr_tracker import fieldcrypto
from dhr_tracker.accounts.models import BackupCode, TOTPDevice
from tests.accounts.helpers import enter_code, sign_in
from tests.conftest import enrol_device

pytestmark = pytest.mark.django_db


def enrol_through_pages(client: Client, user: Any) -> list[str]:
    """Sign in for the first time and enrol; return the backup codes shown."""
    sign_in(client, user.email)
    client.get("/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/two-factor/set-up/", {"code": f"{device.totp().token():06d}"})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.text)
    assert len(codes) == 10
    return codes


def test_enrolment_shows_a_qr_code_and_a_typeable_key(personas: Any) -> None:
    client = Client()
    sign_in(client, personas.unverified.email)
    page = client.get("/two-factor/set-up/")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "I cannot scan the QR code" in page.text
    # Reloading keeps the same secret, so a code scanned a moment ago still works.
    assert client.get("/two-factor/set-up/").text.count("<svg") == 1
    assert TOTPDevice.objects.filter(user=personas.unverified).count() == 1


def test_wrong_enrolment_code_is_refused(personas: Any) -> None:
    client = Client()
    sign_in(client, personas.unverified.email)
    client.get("/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=personas.unverified)
    wrong = f"{(device.totp().token() + 1) % 1000000:06d}"
    response = client.post("/two-factor/set-up/", {"code": wrong})
    assert response.status_code == 400
    assert "The code is not correct" in response.text
    assert client.post("/two-factor/set-up/", {"code": "12ab"}).status_code == 400


def test_enrolment_signs_in_and_issues_backup_codes(personas: Any, security_events: Any) -> None:
    client = Client()
    enrol_through_pages(client, personas.unverified)
    assert client.get("/").status_code == 200
    assert "auth.device_added" in security_events.actions()


def test_totp_secret_is_not_stored_in_plain_text(personas: Any) -> None:
    client = Client()
    enrol_through_pages(client, personas.unverified)
    device = TOTPDevice.objects.get(user=personas.unverified)
    secret = device.secret()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TOTPDevice._meta.db_table} WHERE id = %s", [device.pk])  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    for form in (secret.hex(), base64.b32encode(secret).decode().rstrip("="), base64.b64encode(secret).decode()):
        assert form.lower() not in row.lower()
    assert device.encrypted_secret.startswith("f1.")


def test_encrypted_secret_is_bound_to_its_user(personas: Any) -> None:
    """A secret copied into another user's row does not decrypt."""
    client = Client()
    enrol_through_pages(client, personas.unverified)
    stolen = TOTPDevice.objects.get(user=personas.unverified).encrypted_secret
    other = TOTPDevice(user=personas.csp_chair, name="x", encrypted_secret=stolen)
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        other.secret()


def test_backup_codes_are_stored_only_as_digests(personas: Any) -> None:
    codes = enrol_through_pages(Client(), personas.unverified)
    stored = " ".join(BackupCode.objects.values_list("digest", flat=True))
    for code in codes:
        assert code.replace("-", "") not in stored
        assert code not in stored


def test_backup_code_works_once(personas: Any, security_events: Any) -> None:
    codes = enrol_through_pages(Client(), personas.unverified)
    first = Client()
    sign_in(first, personas.unverified.email)
    response = enter_code(first, codes[0].upper())
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/backup-code-used/")
    assert "You have 9 backup codes left" in first.get(response["Location"]).text
    assert security_events.find("auth.backup_code_used").details["remaining"] == 9
    second = Client()
    sign_in(second, personas.unverified.email)
    assert enter_code(second, codes[0]).status_code == 400
    assert enter_code(second, codes[1]).status_code == 302


def test_new_backup_codes_need_sudo_and_replace_the_old(personas: Any, verified_client: Any) -> None:
    codes = enrol_through_pages(Client(), personas.unverified)
    client = verified_client(personas.unverified)
    response = client.get("/account/backup-codes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/confirm-it-is-you/")
    client = verified_client(personas.unverified, sudo=True)
    response = client.post("/account/backup-codes/")
    assert response.status_code == 200
    assert "Save your backup codes" in response.text
    again = Client()
    sign_in(again, personas.unverified.email)
    assert enter_code(again, codes[2]).status_code == 400


def test_site_admin_reset_forces_re_enrolment(personas: Any, verified_client: Any, security_events: Any) -> None:
    user_client = verified_client(personas.csp_chair)
    admin = verified_client(personas.site_admin, sudo=True)
    page = admin.get(f"/manage/users/{personas.csp_chair.pk}/second-factor/reset/")
    assert "Reset authenticator" in page.text
    assert admin.post(f"/manage/users/{personas.csp_chair.pk}/second-factor/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.csp_chair).exists()
    assert security_events.find("auth.device_removed").actor_id == personas.site_admin.pk
    # Their open session has ended; signing in again leads to enrolment.
    assert user_client.get("/").status_code == 302
    again = Client()
    assert sign_in(again, personas.csp_chair.email)["Location"].startswith("/two-factor/set-up/")


def test_resetting_a_device_needs_sudo(personas: Any, verified_client: Any) -> None:
    enrol_device(personas.csp_chair)
    admin = verified_client(personas.site_admin)
    response = admin.post(f"/manage/users/{personas.csp_chair.pk}/second-factor/reset/")
    assert response.status_code == 302
    assert response["Location"].startswith("/confirm-it-is-you/")
    assert TOTPDevice.objects.filter(user=personas.csp_chair).exists()
