"""The pseudonym register: what the check looks for, adding and removing entries, the audited reveal
in sudo mode, the page that shows no values, and who may do what."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dhr_tracker.reports.models import IdentifierKind, KnownIdentifier
from dhr_tracker.reports.services import register
from dhr_tracker.reviews.models import FamilyMember
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reviews.conftest import PERPETRATOR, VICTIM


@pytest.fixture
def world(report_world: ReportWorld) -> ReportWorld:
    return report_world


def add(world: ReportWorld, kind: str, pseudonym: str, value: str) -> KnownIdentifier:
    return register.add_identifier(
        world.refresh(), actor=world.coordinator, kind=kind, pseudonym=pseudonym, value=value, request=None
    )


def test_register_gathers_people_family_and_entries_by_pseudonym(world: ReportWorld) -> None:
    sister = FamilyMember(review=world.review, pseudonym="Sister S", relationship="Sister", added_by=world.coordinator)
    sister.seal("name", "Sally Realsister")
    sister.save()
    add(world, IdentifierKind.NAME, "Adult A", "Janey")
    add(world, IdentifierKind.BIRTH_DATE, "adult a", "17/05/1981")
    add(world, IdentifierKind.PHONE, "Adult B", "07700 900123")
    add(world, IdentifierKind.ADDRESS, "Neighbour N", "3 Other Road")
    removed = add(world, IdentifierKind.NAME, "Adult A", "Old Name")
    register.remove_identifier(removed, actor=world.coordinator, request=None)

    identities = {identity.pseudonym: identity for identity in register.register_for(world.refresh())}

    victim = identities["Adult A"]
    assert victim.names == (VICTIM.name, "Janey")
    assert victim.birth_dates == (VICTIM.birth_date, date(1981, 5, 17))
    assert victim.addresses == (VICTIM.address,)
    assert identities["Adult B"].names == (PERPETRATOR.name,)
    assert identities["Adult B"].others == ("07700 900123",)
    assert identities["Sister S"].names == ("Sally Realsister",)
    assert identities["Neighbour N"].addresses == ("3 Other Road",)
    assert all("Old Name" not in identity.names for identity in identities.values())


def test_added_entry_is_sealed_and_audited_without_its_value(world: ReportWorld, security_events: EventLog) -> None:
    entry = add(world, IdentifierKind.NAME, "Adult A", "Janey Realname")
    assert "Janey" not in entry.value_enc
    assert entry.value() == "Janey Realname"
    event = security_events.find("reports.register_added")
    assert event.details == {"review": world.review.reference, "kind": "name", "pseudonym": "Adult A"}
    assert not AuditEvent.objects.filter(details_json__contains="Janey").exists()


@pytest.mark.parametrize(
    ("kind", "pseudonym", "value", "field", "message"),
    [
        ("name", "Adult A", "  ", "value", "Enter the identifier"),
        ("shoe_size", "Adult A", "9", "kind", "Choose what kind of identifier this is"),
        ("name", " ", "Janey", "pseudonym", "Choose or enter the pseudonym"),
        ("birth_date", "Adult A", "31/02/1980", "value", "Enter the date of birth as a real date"),
        ("birth_date", "Adult A", "May 1980", "value", "Enter the date of birth as a real date"),
    ],
)
def test_bad_entries_are_refused(
    world: ReportWorld, kind: str, pseudonym: str, value: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add(world, kind, pseudonym, value)
    assert message in refused.value.message_dict[field][0]
    assert not KnownIdentifier.objects.exists()


def test_future_birth_date_is_refused(world: ReportWorld) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="must be today or in the past"):
        add(world, IdentifierKind.BIRTH_DATE, "Adult A", tomorrow.strftime("%d/%m/%Y"))


def test_add_page_chooses_a_pseudonym_or_takes_someone_elses(world: ReportWorld) -> None:
    client = world.client(world.independent_chair)
    url = reverse("reports:register_add", args=[world.review.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Adult A" in page.content.decode()

    missing = client.post(url, {"kind": "name", "pseudonym": "__someone_else__", "value": "Bob"})
    assert missing.status_code == 400
    assert "Enter the pseudonym of the person it identifies" in missing.content.decode()

    chosen = client.post(url, {"kind": "birth_date", "pseudonym": "Adult A", "value": "1980-05-18"})
    other = client.post(
        url, {"kind": "name", "pseudonym": "__someone_else__", "other_pseudonym": "Friend F", "value": "Bob Real"}
    )
    assert chosen.status_code == other.status_code == 302
    assert sorted(KnownIdentifier.objects.values_list("pseudonym", "kind")) == [
        ("Adult A", "birth_date"),
        ("Friend F", "name"),
    ]
    assert KnownIdentifier.objects.get(kind="birth_date").value() == "1980-05-18"


def test_register_page_shows_pseudonyms_kinds_and_counts_never_values(world: ReportWorld) -> None:
    add(world, IdentifierKind.NAME, "Adult A", "Janey Secretname")
    page = world.client(world.coordinator).get(reverse("reports:register", args=[world.review.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Adult A" in text
    assert "Name or known variant" in text
    assert "From the review's records: Name, Date of birth, Address" in text
    assert "Secretname" not in text
    assert "Realname" not in text


def test_reveal_needs_sudo_mode_and_is_audited(world: ReportWorld, security_events: EventLog) -> None:
    entry = add(world, IdentifierKind.NAME, "Adult A", "Janey Secretname")
    url = reverse("reports:register_reveal", args=[entry.pk])
    without = world.client(world.coordinator).get(url)
    assert without.status_code == 302
    assert without["Location"].startswith(reverse("accounts:sudo"))
    assert "reports.register_revealed" not in security_events.actions()

    page = world.client(world.coordinator, sudo=True).get(url)
    assert page.status_code == 200
    assert "Janey Secretname" in page.content.decode()
    event = security_events.find("reports.register_revealed")
    assert event.actor_id == world.coordinator.pk
    assert "Secretname" not in event.details_json


def test_remove_keeps_the_entry_marked_removed(world: ReportWorld, security_events: EventLog) -> None:
    entry = add(world, IdentifierKind.NAME, "Adult A", "Janey")
    client = world.client(world.independent_chair)
    url = reverse("reports:register_remove", args=[entry.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at is not None
    assert security_events.find("reports.register_removed").details["kind"] == "name"
    removed_at = entry.removed_at
    # A second click changes nothing, records nothing and is not an error.
    assert client.post(url).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at == removed_at
    assert AuditEvent.objects.filter(action="reports.register_removed").count() == 1


def test_outsiders_get_404_and_change_nothing(world: ReportWorld) -> None:
    entry = add(world, IdentifierKind.NAME, "Adult A", "Janey")
    personas = world.chronologies.reviews.personas
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        client = world.client(user, sudo=True)
        assert client.get(reverse("reports:register", args=[world.review.pk])).status_code == 404
        add_url = reverse("reports:register_add", args=[world.review.pk])
        assert client.post(add_url, {"kind": "name", "pseudonym": "Adult A", "value": "X"}).status_code == 404
        assert client.get(reverse("reports:register_reveal", args=[entry.pk])).status_code == 404
        assert client.post(reverse("reports:register_remove", args=[entry.pk])).status_code == 404
        with pytest.raises(PermissionDenied):
            register.add_identifier(world.review, actor=user, kind="name", pseudonym="Adult A", value="X", request=None)
    assert KnownIdentifier.objects.count() == 1
    entry.refresh_from_db()
    assert entry.removed_at is None


def test_panel_member_may_not_keep_the_register(world: ReportWorld) -> None:
    entry = add(world, IdentifierKind.NAME, "Adult A", "Janey")
    client = world.client(world.panel_member, sudo=True)
    assert client.get(reverse("reports:register", args=[world.review.pk])).status_code == 403
    assert client.get(reverse("reports:register_reveal", args=[entry.pk])).status_code == 403
    assert client.post(reverse("reports:register_remove", args=[entry.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        register.reveal_identifier(entry, actor=world.panel_member, request=None)
    entry.refresh_from_db()
    assert entry.removed_at is None
