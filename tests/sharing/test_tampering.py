"""Stored ciphertext altered behind the application's back is refused, recorded, and never served.

Each test uploads through the pages, then changes the object in the local storage as someone
with access to the storage (but not the keys) could: flip a byte, drop the last chunk, swap two
chunks, or swap the objects of two documents.
"""

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sharing.crypto import CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, IntegrityError
from sharing.models import DocumentVersion, Space, VersionStatus
from tests.conftest import EventLog
from tests.sharing.conftest import World, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]

MakeClient = Callable[..., Client]
# Three full chunks and a short final one, so chunks can be dropped and swapped.
CONTENT = b"".join(f"line {n:08d} of a long chronology\n".encode() for n in range(110_000))[: 3 * CHUNK_SIZE + 5000]
SEALED_CHUNK = CHUNK_SIZE + TAG_SIZE


def object_path(version: DocumentVersion) -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / version.object_name  # type: ignore[index]


def uploaded(space: Space, client: Client, title: str = "Chronology") -> DocumentVersion:
    response = upload(client, space, CONTENT, name="chronology.txt", title=title)
    assert response.status_code == 302
    return DocumentVersion.objects.select_related("document").get(document__title=title)


def fetch(client: Client, version: DocumentVersion) -> tuple[int, bytes]:
    """Download as a browser would; a stream cut off mid-way gives what arrived before the cut."""
    response: Any = client.get(reverse("sharing:version_download", args=[version.document_id, version.pk]))
    if not response.streaming:
        return response.status_code, response.content
    received = bytearray()
    try:
        for piece in response.streaming_content:
            received += piece
    except IntegrityError:
        return -1, bytes(received)
    return response.status_code, bytes(received)


def flip_byte(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def assert_refused(client: Client, version: DocumentVersion, events: EventLog) -> None:
    status, received = fetch(client, version)
    # Either refused before the first byte, or cut off before the last: never the whole file.
    assert status in (500, -1)
    assert len(received) < len(CONTENT)
    assert hashlib.sha256(received).hexdigest() != version.sha256
    version.refresh_from_db()
    assert version.status == VersionStatus.DAMAGED
    failure = events.find("sharing.integrity_failure")
    assert failure.outcome == "failed"
    assert failure.details["version"] == version.number
    # Once found damaged, the version is not offered again.
    assert fetch(client, version)[0] == 409


@pytest.fixture
def space(world: World) -> Space:
    return world.space()


@pytest.fixture
def owner(world: World, verified_client: MakeClient) -> Client:
    return verified_client(world.personas.contributor_a)


def test_untouched_object_downloads_whole(space: Space, owner: Client) -> None:
    version = uploaded(space, owner)

    assert fetch(owner, version) == (200, CONTENT)


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(5, id="header"),
        pytest.param(HEADER_SIZE + 10, id="first-chunk"),
        pytest.param(HEADER_SIZE + 2 * SEALED_CHUNK + 7, id="third-chunk"),
        pytest.param(-1, id="final-tag"),
    ],
)
def test_a_flipped_byte_is_refused(space: Space, owner: Client, security_events: EventLog, position: int) -> None:
    version = uploaded(space, owner)
    path = object_path(version)
    flip_byte(path, position if position >= 0 else path.stat().st_size - 1)

    assert_refused(owner, version, security_events)


def test_a_dropped_last_chunk_is_refused(space: Space, owner: Client, security_events: EventLog) -> None:
    """The remaining chunks all authenticate; only the missing final flag tells truncation apart."""
    version = uploaded(space, owner)
    path = object_path(version)
    with path.open("r+b") as handle:
        handle.truncate(HEADER_SIZE + 3 * SEALED_CHUNK)

    assert_refused(owner, version, security_events)


def test_swapped_chunks_are_refused(space: Space, owner: Client, security_events: EventLog) -> None:
    version = uploaded(space, owner)
    path = object_path(version)
    data = path.read_bytes()
    first = slice(HEADER_SIZE, HEADER_SIZE + SEALED_CHUNK)
    second = slice(HEADER_SIZE + SEALED_CHUNK, HEADER_SIZE + 2 * SEALED_CHUNK)
    path.write_bytes(data[:HEADER_SIZE] + data[second] + data[first] + data[HEADER_SIZE + 2 * SEALED_CHUNK :])

    assert_refused(owner, version, security_events)


def test_appended_data_is_refused(space: Space, owner: Client, security_events: EventLog) -> None:
    version = uploaded(space, owner)
    with object_path(version).open("ab") as handle:
        handle.write(os.urandom(SEALED_CHUNK))

    assert_refused(owner, version, security_events)


def test_objects_swapped_between_documents_are_refused(space: Space, owner: Client, security_events: EventLog) -> None:
    """Each object is bound to its own version id: another document's object does not open."""
    one = uploaded(space, owner, "One")
    other = uploaded(space, owner, "Other")
    first, second = object_path(one), object_path(other)
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)

    assert_refused(owner, one, security_events)


def test_a_wrapped_key_copied_from_another_version_is_refused(
    space: Space, owner: Client, security_events: EventLog
) -> None:
    one = uploaded(space, owner, "One")
    other = uploaded(space, owner, "Other")
    DocumentVersion.objects.filter(pk=one.pk).update(wrapped_key=other.wrapped_key)

    assert_refused(owner, one, security_events)
