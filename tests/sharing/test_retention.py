"""Retention: legal holds (sudo mode, audited) and nightly crypto-shredding with a tombstone."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sharing import config, tasks
from sharing.dates import add_months
from sharing.keys import LocalKeyring, WrappedKey
from sharing.models import Document, DocumentVersion, Space, VersionStatus
from tests.conftest import EventLog
from tests.sharing.conftest import World, stored_objects, upload
from tests.sharing.samples import sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]

MakeClient = Callable[..., Client]


@pytest.fixture
def space(world: World) -> Space:
    return world.space()


def uploaded(space: Space, client: Client, title: str) -> Document:
    assert upload(client, space, sample("pdf"), title=title).status_code == 302
    return Document.objects.get(title=title)


def test_retention_follows_the_protocol(world: World, space: Space, verified_client: MakeClient) -> None:
    document = uploaded(space, verified_client(world.personas.contributor_a), "Chronology")

    assert document.retention_ends_on == add_months(timezone.localdate(), world.protocol.retention_months)


def test_shredding_destroys_keys_and_objects_but_keeps_a_tombstone(
    world: World, space: Space, verified_client: MakeClient, security_events: EventLog
) -> None:
    client = verified_client(world.personas.contributor_a)
    due = uploaded(space, client, "Due")
    kept = uploaded(space, client, "Not due")
    Document.objects.filter(pk=due.pk).update(retention_ends_on=timezone.localdate() - timedelta(days=1))
    assert len(stored_objects()) == 2

    assert tasks.shred_expired.delay().get() == 1

    due.refresh_from_db()
    assert due.shredded_at is not None
    (version,) = due.versions.all()
    assert (version.wrapped_key, version.status, version.object_name) == ("", VersionStatus.SHREDDED, "")
    # The tombstone keeps what the record needs: title, owner, receipt, size; the other document is untouched.
    assert version.sha256
    assert due.title == "Due"
    assert len(stored_objects()) == 1
    assert kept.versions.get().status == VersionStatus.AVAILABLE
    assert security_events.find("sharing.document_shredded").details["versions"] == 1
    # Gone from the space's list, and the document page no longer opens.
    assert client.get(reverse("sharing:document", args=[due.pk])).status_code == 404
    # A second run finds nothing more to do.
    assert tasks.shred_expired.delay().get() == 0


def test_a_held_document_outlives_its_retention_until_the_hold_is_lifted(
    world: World, space: Space, verified_client: MakeClient, security_events: EventLog
) -> None:
    document = uploaded(space, verified_client(world.personas.contributor_a), "Evidence")
    Document.objects.filter(pk=document.pk).update(retention_ends_on=timezone.localdate() - timedelta(days=1))
    coordinator = verified_client(world.personas.coordinator, sudo=True)
    url = reverse("sharing:legal_hold", args=[space.pk, document.pk])

    response = coordinator.post(url, {"reason": "Criminal trial listed for March"})

    assert response.status_code == 302
    assert tasks.shred_expired.delay().get() == 0
    document.refresh_from_db()
    assert document.legal_hold
    assert document.shredded_at is None
    assert security_events.find("sharing.legal_hold_set").details["reason"] == "Criminal trial listed for March"

    coordinator.post(url, {"reason": "Trial concluded"})

    assert security_events.find("sharing.legal_hold_lifted").details["reason"] == "Trial concluded"
    assert tasks.shred_expired.delay().get() == 1


def test_legal_holds_need_sudo_mode_a_reason_and_the_spaces_manager(
    world: World, space: Space, verified_client: MakeClient
) -> None:
    document = uploaded(space, verified_client(world.personas.contributor_a), "Evidence")
    url = reverse("sharing:legal_hold", args=[space.pk, document.pk])

    without_sudo = verified_client(world.personas.coordinator).post(url, {"reason": "Trial"})
    assert without_sudo.status_code == 302
    assert without_sudo["Location"].startswith(reverse("accounts:sudo"))

    no_reason = verified_client(world.personas.coordinator, sudo=True).post(url, {"reason": " "})
    assert no_reason.status_code == 400
    assert "Enter the reason" in no_reason.content.decode()

    # The owner's own contributor runs no space: a hold is not theirs to place.
    member = verified_client(world.personas.contributor_a, sudo=True).post(url, {"reason": "Trial"})
    assert member.status_code == 403
    document.refresh_from_db()
    assert not document.legal_hold


def test_the_manager_sees_retention_by_number_not_title(
    world: World, space: Space, verified_client: MakeClient
) -> None:
    uploaded(space, verified_client(world.personas.contributor_a), "Victim's GP records")

    page = verified_client(world.personas.coordinator).get(reverse("sharing:space", args=[space.pk])).content.decode()

    assert "Place a hold" in page
    assert "GP records" not in page


def test_rewrapping_keeps_documents_readable(world: World, space: Space, verified_client: MakeClient) -> None:
    client = verified_client(world.personas.contributor_a)
    document = uploaded(space, client, "Chronology")
    provider = config.key_provider()
    assert isinstance(provider, LocalKeyring)
    new_key = provider.rotate()

    assert tasks.rewrap_keys.delay().get() >= 1

    version = DocumentVersion.objects.get(document=document)
    assert WrappedKey.from_text(version.wrapped_key).key_id == new_key
    response = client.get(reverse("sharing:version_download", args=[document.pk, version.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == sample("pdf")  # type: ignore[attr-defined]
