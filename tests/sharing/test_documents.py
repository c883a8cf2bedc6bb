"""Uploading, sharing, downloading and revoking documents through the pages, as agencies do."""

import hashlib
import io
import os
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dhr_tracker.accounts.rules import SUDO_SESSION_KEY
from sharing import tasks
from sharing.models import Classification, Document, DocumentVersion, Grant, Protocol, VersionStatus
from sharing.services import documents
from tests.conftest import EventLog
from tests.sharing.conftest import World, multipart, post_file, spooled_files, stored_objects, upload
from tests.sharing.samples import EICAR, sample
from tests.sharing.test_scanning import FakeClamd, behaviour, clamd

__all__ = ["behaviour", "clamd"]  # fixtures, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]

MakeClient = Callable[..., Client]


def download(client: Client, version: DocumentVersion, **params: str) -> tuple[int, bytes, dict[str, str]]:
    url = reverse("sharing:version_download", args=[version.document_id, version.pk])
    response: Any = client.get(url, params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, dict(response.headers)


def only_version(title: str = "Police chronology") -> DocumentVersion:
    return DocumentVersion.objects.get(document__title=title)


def test_contributor_uploads_and_downloads_with_a_matching_receipt(
    world: World, verified_client: MakeClient, security_events: EventLog
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    content = sample("pdf")

    response = upload(client, space, content, name="Chronology (police).pdf")

    document = Document.objects.get(title="Police chronology")
    assert response.status_code == 302
    assert response["Location"] == reverse("sharing:document", args=[document.pk])
    version = document.versions.get()
    assert version.status == VersionStatus.AVAILABLE
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.file_type == "pdf"
    assert version.file_name == "Chronology (police).pdf"
    assert document.owner_party == world.agency_a
    # The receipt is on the page the uploader lands on.
    assert version.sha256 in client.get(response["Location"]).content.decode()
    # Only ciphertext is stored, under a name that says nothing, and the spool is empty again.
    (stored,) = stored_objects()
    assert content not in stored.read_bytes()
    assert "Chronology" not in str(stored)
    assert stored.stat().st_mode & 0o077 == 0
    assert spooled_files() == []

    status, body, headers = download(client, version)

    assert status == 200
    assert hashlib.sha256(body).hexdigest() == version.sha256
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "Chronology (police).pdf" in headers["Content-Disposition"]
    assert "no-store" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Type"] == "application/pdf"
    uploaded = security_events.find("sharing.document_uploaded")
    assert uploaded.details["sha256"] == version.sha256
    downloaded = security_events.find("sharing.document_downloaded")
    assert downloaded.actor_id == world.personas.contributor_a.pk


def test_other_agency_sees_nothing_until_granted_and_is_refused_after_revocation(
    world: World, verified_client: MakeClient, security_events: EventLog
) -> None:
    space = world.space()
    owner = verified_client(world.personas.contributor_a)
    other = verified_client(world.personas.contributor_b)
    upload(owner, space, sample("docx"), name="imr.docx", title="IMR")
    version = only_version("IMR")
    document = version.document

    assert other.get(reverse("sharing:document", args=[document.pk])).status_code == 404
    assert download(other, version)[0] == 404
    assert "IMR" not in other.get(reverse("sharing:space", args=[space.pk])).content.decode()

    response = owner.post(
        reverse("sharing:grant_add", args=[document.pk]), {"grantee": f"user:{world.personas.contributor_b.pk}"}
    )
    assert response.status_code == 302
    status, body, _ = download(other, version)
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == version.sha256
    # A member the document is shared with cannot share it onward or add versions.
    assert other.post(reverse("sharing:grant_add", args=[document.pk]), {"grantee": "party:1"}).status_code == 403

    grant = Grant.objects.get(document=document)
    response = owner.post(reverse("sharing:grant_revoke", args=[document.pk, grant.pk]))

    assert response.status_code == 302
    assert download(other, version)[0] == 404
    actions = security_events.actions()
    assert actions.index("sharing.access_granted") < actions.index("sharing.access_revoked")
    assert security_events.find("sharing.document_downloaded").actor_id == world.personas.contributor_b.pk


def test_a_grant_to_an_agency_opens_the_document_to_its_members_until_it_expires(
    world: World, verified_client: MakeClient
) -> None:
    space = world.space()
    owner = verified_client(world.personas.contributor_a)
    upload(owner, space, sample("txt"), name="notes.txt", title="Notes")
    version = only_version("Notes")
    tomorrow = timezone.localdate() + timedelta(days=1)

    owner.post(
        reverse("sharing:grant_add", args=[version.document_id]),
        {"grantee": f"party:{world.agency_b.pk}", "expires_on": tomorrow.isoformat()},
    )

    other = verified_client(world.personas.contributor_b)
    assert download(other, version)[0] == 200
    Grant.objects.filter(document=version.document).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert download(other, version)[0] == 404


def test_a_new_version_keeps_the_old_one(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    upload(client, space, b"first draft\n", name="draft.txt", title="Draft")
    document = Document.objects.get(title="Draft")

    response = post_file(
        client, reverse("sharing:version_upload", args=[document.pk]), b"second draft\n", name="v2.txt"
    )

    assert response.status_code == 302
    first, second = document.versions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert download(client, first)[1] == b"first draft\n"
    assert download(client, second)[1] == b"second draft\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.docm", sample("docm"), "must not contain macros"),
        ("empty.pdf", b"", "The selected file is empty"),
        ("../../etc/passwd.pdf", sample("pdf"), "must not contain &quot;..&quot;"),
        ("report\x07.pdf", sample("pdf"), "control characters"),
        ("program.pdf", sample("exe"), "The file must be a PDF, Word"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_leave_nothing_behind(
    world: World, verified_client: MakeClient, name: str, content: bytes, message: str
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)

    response = upload(client, space, content, name=name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.exists()
    assert stored_objects() == []
    assert spooled_files() == []


def test_classification_above_the_protocols_ceiling_is_refused(world: World, verified_client: MakeClient) -> None:
    Protocol.objects.filter(pk=world.protocol.pk).update(max_classification=Classification.OFFICIAL)
    space = world.space()
    client = verified_client(world.personas.contributor_a)

    response = upload(client, space, sample("pdf"), classification=Classification.OFFICIAL_SENSITIVE)

    assert response.status_code == 400
    assert "allows documents up to OFFICIAL" in response.content.decode()
    assert not Document.objects.exists()
    assert (stored_objects(), spooled_files()) == ([], [])


def test_oversized_file_is_refused(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)

    with override_settings(SHARING_MAX_UPLOAD_BYTES=4096):
        response = upload(client, space, b"x" * 5000, name="big.txt")

    assert response.status_code == 400
    assert "The file must be smaller than 4 KB" in response.content.decode()
    assert (stored_objects(), spooled_files()) == ([], [])


def test_no_upload_or_download_once_the_protocol_has_expired(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    upload(client, space, sample("pdf"))
    version = only_version()
    Protocol.objects.filter(pk=world.protocol.pk).update(valid_to=timezone.localdate() - timedelta(days=1))

    response = upload(client, space, sample("pdf"), title="Second")

    assert response.status_code == 403
    assert "while its protocol is in force" in response.content.decode()
    assert download(client, version)[0] == 404
    assert spooled_files() == []


def test_people_outside_the_space_cannot_upload(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    outsider = verified_client(world.personas.outsider)

    response = upload(outsider, space, sample("pdf"))

    assert response.status_code == 404
    assert (stored_objects(), spooled_files()) == ([], [])


def test_official_sensitive_needs_a_second_factor_within_twelve_hours(
    world: World, verified_client: MakeClient
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a, sudo=True)
    upload(client, space, sample("pdf"), classification=Classification.OFFICIAL_SENSITIVE)
    version = only_version()
    session = client.session
    session[SUDO_SESSION_KEY] = time.time() - 12 * 3600 - 1
    session.save()

    status, _, headers = download(client, version)

    assert status == 302
    assert headers["Location"].startswith(reverse("accounts:sudo"))
    session[SUDO_SESSION_KEY] = time.time() - 11 * 3600
    session.save()
    assert download(client, version)[0] == 200


def test_pdf_downloads_with_a_watermark_naming_the_recipient(
    world: World, verified_client: MakeClient, security_events: EventLog
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    upload(client, space, sample("pdf"))
    version = only_version()

    status, body, headers = download(client, version, watermark="1")

    assert status == 200
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert world.personas.contributor_a.full_name in text
    assert "watermarked" in headers["Content-Disposition"]
    assert security_events.find("sharing.document_downloaded").details["watermarked"] is True


def test_a_virus_found_by_the_scanner_is_refused_and_never_stored(
    world: World, verified_client: MakeClient, clamd: FakeClamd, security_events: EventLog
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)

    with override_settings(SHARING_SCANNER_URL=f"clamd://127.0.0.1:{clamd.port}"):
        clean = upload(client, space, sample("txt"), name="notes.txt", title="Clean")
        infected = upload(client, space, b"Attached below:\n" + EICAR + b"\n", name="virus.txt", title="Infected")

    assert clean.status_code == infected.status_code == 302
    assert only_version("Clean").status == VersionStatus.AVAILABLE
    version = only_version("Infected")
    assert version.status == VersionStatus.REFUSED
    assert "A virus was found in the file (Win.Test.EICAR_HDB-1)" in client.get(infected["Location"]).content.decode()
    assert download(client, version)[0] == 409
    assert len(stored_objects()) == 1
    assert spooled_files() == []
    assert security_events.find("sharing.version_refused").details["version"] == 1


def test_an_upload_without_the_csrf_token_is_refused_and_nothing_is_kept(
    world: World, verified_client: MakeClient
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    client.handler.enforce_csrf_checks = True

    response = upload(client, space, sample("pdf"))

    assert response.status_code == 403
    assert not Document.objects.exists()
    assert (stored_objects(), spooled_files()) == ([], [])


def test_only_the_owning_agency_adds_versions_and_shares(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    owner = verified_client(world.personas.contributor_a)
    upload(owner, space, sample("pdf"))
    document = only_version().document
    other = verified_client(world.personas.contributor_b)
    new_version = reverse("sharing:version_upload", args=[document.pk])

    # Not shared with them: nothing shows the document exists.
    assert post_file(other, new_version, sample("pdf"), name="v2.pdf").status_code == 404
    Grant.objects.create(document=document, user=world.personas.contributor_b, granted_by=world.personas.contributor_a)
    # Shared with them: they may read, but not change it or share it onward.
    assert post_file(other, new_version, sample("pdf"), name="v2.pdf").status_code == 403
    grant = Grant.objects.get()
    assert other.post(reverse("sharing:grant_revoke", args=[document.pk, grant.pk])).status_code == 403
    assert document.versions.count() == 1
    assert spooled_files() == []


@pytest.mark.parametrize(
    ("grantee", "message"),
    [
        ("owner-agency", "Select a valid choice"),
        ("twice", "already have access"),
        ("past", "The last day of access must be today or later"),
    ],
)
def test_grants_that_make_no_sense_are_refused_with_a_message(
    world: World, verified_client: MakeClient, grantee: str, message: str
) -> None:
    space = world.space()
    owner = verified_client(world.personas.contributor_a)
    upload(owner, space, sample("pdf"))
    document = only_version().document
    url = reverse("sharing:grant_add", args=[document.pk])
    data = {"grantee": f"user:{world.personas.contributor_b.pk}"}
    if grantee == "owner-agency":
        data = {"grantee": f"party:{world.agency_a.pk}"}
    elif grantee == "twice":
        owner.post(url, data)
    else:
        data["expires_on"] = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = owner.post(url, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Grant.objects.count() == (1 if grantee == "twice" else 0)


def test_the_document_list_costs_the_same_queries_however_many_documents(
    world: World, verified_client: MakeClient, django_assert_max_num_queries: Any
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    for number in range(3):
        upload(client, space, sample("txt"), name=f"n{number}.txt", title=f"Note {number}")
    url = reverse("sharing:space", args=[space.pk])
    client.get(url)

    with django_assert_max_num_queries(20):
        page = client.get(url)

    assert page.status_code == 200
    for number in range(3):
        upload(client, space, sample("txt"), name=f"m{number}.txt", title=f"More {number}")
    with django_assert_max_num_queries(20):
        assert "More 2" in client.get(url).content.decode()


def test_the_nightly_sweep_restarts_stalled_uploads_and_removes_orphans(
    world: World, verified_client: MakeClient
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    with TestCase.captureOnCommitCallbacks(execute=False):
        body, content_type = multipart(
            {"title": "Stalled", "description": "", "classification": "official"}, name="s.pdf", content=sample("pdf")
        )
        client.post(reverse("sharing:document_upload", args=[space.pk]), body, content_type=content_type)
    stalled = only_version("Stalled")
    DocumentVersion.objects.filter(pk=stalled.pk).update(uploaded_at=timezone.now() - timedelta(hours=1))
    spool = Path(settings.SHARING_SPOOL_DIR)
    orphan, abandoned = spool / str(uuid.uuid4()), spool / f"{uuid.uuid4()}.part"
    for path in (orphan, abandoned):
        path.write_bytes(b"ciphertext of a request that died")
        os.utime(path, (time.time() - 7 * 3600,) * 2)

    removed = tasks.sweep_uploads.delay().get()

    assert removed == 2
    stalled.refresh_from_db()
    assert stalled.status == VersionStatus.AVAILABLE
    assert spooled_files() == []


def test_access_ends_after_the_last_day_of_access(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    yesterday, today = timezone.localdate() - timedelta(days=1), timezone.localdate()

    refused = upload(client, space, sample("pdf"), access_ends_on=yesterday.isoformat())
    accepted = upload(client, space, sample("pdf"), access_ends_on=today.isoformat())

    assert refused.status_code == 400
    assert "The last day of access must be today or later" in refused.content.decode()
    assert accepted.status_code == 302
    version = only_version()
    assert download(client, version)[0] == 200
    Document.objects.filter(pk=version.document_id).update(access_expires_at=timezone.now())
    assert download(client, version)[0] == 404


def test_a_spool_file_damaged_before_storing_is_caught_and_the_user_asked_to_upload_again(
    world: World, verified_client: MakeClient
) -> None:
    """The spool is not synced before the reply: a tail lost in a crash must be noticed, not stored."""
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    with TestCase.captureOnCommitCallbacks(execute=False):
        body, content_type = multipart(
            {"title": "Cut", "description": "", "classification": "official"}, name="c.pdf", content=sample("pdf")
        )
        response = client.post(reverse("sharing:document_upload", args=[space.pk]), body, content_type=content_type)
    version = only_version("Cut")
    (spooled,) = spooled_files()
    spooled.write_bytes(spooled.read_bytes()[:-10])

    tasks.store_version.delay(str(version.pk))

    version.refresh_from_db()
    assert version.status == VersionStatus.DAMAGED
    assert "Upload it again" in client.get(response["Location"]).content.decode()
    assert (stored_objects(), spooled_files()) == ([], [])


def test_an_upload_declared_far_over_the_limit_is_refused_unread(world: World, verified_client: MakeClient) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)

    with override_settings(SHARING_MAX_UPLOAD_BYTES=4096):
        response = upload(client, space, b"x" * (2 * 1024**2), name="big.txt")

    assert response.status_code == 413
    assert "The file must be smaller than 4 KB" in response.content.decode()
    assert (stored_objects(), spooled_files()) == ([], [])


def test_a_second_store_attempt_leaves_while_the_first_holds_the_lease(
    world: World, verified_client: MakeClient
) -> None:
    """The sweep may restart a long store: the second attempt must not replace the first's object."""
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    with TestCase.captureOnCommitCallbacks(execute=False):
        body, content_type = multipart(
            {"title": "Long", "description": "", "classification": "official"}, name="l.pdf", content=sample("pdf")
        )
        client.post(reverse("sharing:document_upload", args=[space.pk]), body, content_type=content_type)
    version = only_version("Long")
    started = timezone.now() - timedelta(minutes=30)
    DocumentVersion.objects.filter(pk=version.pk).update(store_started_at=started)

    tasks.store_version.delay(str(version.pk))

    version.refresh_from_db()
    assert version.status == VersionStatus.PENDING
    assert version.store_started_at == started
    assert len(spooled_files()) == 1
    assert stored_objects() == []

    # An attempt that died long ago gives its lease up when it runs out.
    DocumentVersion.objects.filter(pk=version.pk).update(store_started_at=started - documents.STORE_LEASE)
    tasks.store_version.delay(str(version.pk))

    version.refresh_from_db()
    assert version.status == VersionStatus.AVAILABLE
    assert len(stored_objects()) == 1
