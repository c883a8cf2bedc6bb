"""A site administrator gives and removes national oversight, in sudo mode, audited."""

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from tests.conftest import EventLog, Personas
from tests.factories import UserFactory


def test_site_admin_gives_and_removes_national_oversight(
    personas: Personas, verified_client: Callable[..., Client], security_events: EventLog
) -> None:
    person = UserFactory.create(email="analyst@commissioner.example")
    url = reverse("accounts:manage_national_oversight", args=[person.pk])
    client = verified_client(personas.site_admin, sudo=True)
    assert "Give national oversight" in client.get(reverse("accounts:manage_user", args=[person.pk])).content.decode()
    assert client.post(url, {"national_oversight": "1"}).status_code == 302
    person.refresh_from_db()
    assert person.national_oversight
    event = security_events.find("national_oversight.granted")
    assert event.target_id == str(person.pk)
    assert verified_client(person).get(reverse("reports:national_learning")).status_code == 200
    assert "Remove national oversight" in client.get(reverse("accounts:manage_user", args=[person.pk])).content.decode()
    # A repeated click changes nothing and records nothing more.
    client.post(url, {"national_oversight": "1"})
    assert security_events.actions().count("national_oversight.granted") == 1
    client.post(url, {"national_oversight": "0"})
    person.refresh_from_db()
    assert not person.national_oversight
    security_events.find("national_oversight.removed")
    assert verified_client(person).get(reverse("reports:national_learning")).status_code == 404


def test_national_oversight_needs_sudo_and_a_site_admin(
    personas: Personas, verified_client: Callable[..., Client], security_events: EventLog
) -> None:
    person = UserFactory.create(email="analyst@commissioner.example")
    url = reverse("accounts:manage_national_oversight", args=[person.pk])
    response = verified_client(personas.site_admin).post(url, {"national_oversight": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sudo"))
    for user in (personas.csp_chair, personas.coordinator, personas.auditor):
        assert verified_client(user, sudo=True).post(url, {"national_oversight": "1"}).status_code == 403
    assert verified_client(personas.site_admin, sudo=True).get(url).status_code == 405
    person.refresh_from_db()
    assert not person.national_oversight
    assert "national_oversight.granted" not in security_events.actions()
