"""A real Celery worker, consuming from Redis, does the background work."""

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sharing.models import DocumentVersion, VersionStatus
from tests.sharing.conftest import World, clean_storage, spooled_files, stored_objects, upload, world
from tests.sharing.samples import sample

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_storage")]
__all__ = ["clean_storage", "world"]  # fixtures, used by name


def test_password_reset_email_is_sent_by_the_worker(personas: Any, celery_worker: None) -> None:
    response = Client().post("/password-reset/", {"email": personas.csp_chair.email})
    assert response.status_code == 200
    # No result backend is configured: the e-mail arriving is the proof the task ran.
    deadline = time.monotonic() + 10
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [personas.csp_chair.email]
    assert re.search(r"/password-reset/\w+/[\w-]+/", str(mail.outbox[0].body))


def test_an_upload_is_checked_and_stored_by_the_worker(
    world: World, verified_client: Callable[..., Client], celery_worker: None
) -> None:
    space = world.space()
    client = verified_client(world.personas.contributor_a)
    content = sample("pdf")

    response = upload(client, space, content)

    assert response.status_code == 302
    version = DocumentVersion.objects.get()
    deadline = time.monotonic() + 20
    while version.status == VersionStatus.PENDING and time.monotonic() < deadline:
        time.sleep(0.05)
        version.refresh_from_db()
    assert version.status == VersionStatus.AVAILABLE
    assert spooled_files() == []
    assert len(stored_objects()) == 1
    download: Any = client.get(reverse("sharing:version_download", args=[version.document_id, version.pk]))
    assert b"".join(download.streaming_content) == content
