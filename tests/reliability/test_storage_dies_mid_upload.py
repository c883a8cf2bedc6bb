"""The S3 endpoint dies in the middle of a large document's multipart upload.

``tests/sharing/test_s3_kms.py`` shows storage that is down from the start: the person is told,
nothing is stored, and a retry stores the document. Here the store task has already begun a
multipart upload and sent part of the object when every connection to the endpoint is reset and
new ones are refused (a relay in front of the moto server is cut, so moto keeps what it received
and the test can look). No object, partial or whole, may appear; the version stays pending with
its ciphertext in the spool and the person is told why; once the endpoint is back, the retry
stores exactly one object, which decrypts to the upload.
"""

import contextlib
import hashlib
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sharing import tasks
from sharing.models import DocumentVersion, VersionStatus
from tests.sharing.conftest import World, clean_storage, spooled_files, upload, world
from tests.sharing.kms_server import moto_endpoint
from tests.sharing.samples import sample
from tests.sharing.test_s3_kms import Aws, aws

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage"), pytest.mark.s3]
__all__ = ["aws", "clean_storage", "moto_endpoint", "world"]  # fixtures, used by name

MIB = 2**20
# Three parts of boto3's default 8 MiB, cut in the second.
SIZE = 20 * MIB
CUT_AFTER = 10 * MIB


class CutRelay:
    """A TCP relay to the endpoint that dies once ``limit`` bytes have gone up through it.

    Dying resets every open connection (SO_LINGER 0) and closes the listening socket, so new
    connections are refused: what an S3 endpoint that crashed or dropped off the network looks like.
    """

    def __init__(self, endpoint: str, limit: int) -> None:
        host, port = endpoint.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.limit = limit
        self.sent = 0
        self.dead = threading.Event()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.dead.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:  # the listener closed: the relay died
                return
            server = socket.create_connection(self.upstream)
            with self.lock:
                if self.dead.is_set():
                    client.close()
                    server.close()
                    return
                self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        try:
            while data := source.recv(64 * 1024):
                if upward:
                    with self.lock:
                        self.sent += len(data)
                        over = self.sent > self.limit
                    if over:
                        self.die()
                        return
                target.sendall(data)
        except OSError:
            return

    def die(self) -> None:
        with self.lock:
            if self.dead.is_set():
                return
            self.dead.set()
            # Shut down before closing: on Linux that wakes the blocked accept() and stops the kernel
            # queueing new connections, which are then refused.
            self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            for connection in self.sockets:
                # Linger for no time: the close resets the connection, as a crashed server's kernel does.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # A close alone waits for the pump blocked reading the socket; a shutdown wakes it.
                with contextlib.suppress(OSError):  # the peer may have gone already
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()


@pytest.fixture
def relay(aws: Aws) -> Iterator[CutRelay]:
    relay = CutRelay(aws.endpoint, CUT_AFTER)
    yield relay
    relay.die()


def test_storage_dying_mid_upload_leaves_no_object_tells_the_user_and_a_retry_stores_it_once(
    aws: Aws, world: World, relay: CutRelay, verified_client: Callable[..., Client]
) -> None:
    client = verified_client(world.personas.contributor_a)
    space = world.space()
    content = sample("pdf") + os.urandom(SIZE)

    with aws.settings(s3_endpoint=relay.url):
        response = upload(client, space, content, name="records.pdf", title="Records")
        page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert relay.dead.is_set(), "the relay never saw enough of the upload to die"
    version = DocumentVersion.objects.get(document__title="Records")
    assert version.status == VersionStatus.PENDING
    assert "could not reach its storage" in page
    assert aws.objects() == []
    assert [path.name for path in spooled_files()] == [str(version.pk)]

    with aws.settings():
        tasks.store_version.delay(str(version.pk))
        downloaded: Any = client.get(reverse("sharing:version_download", args=[version.document_id, version.pk]))
        body = b"".join(downloaded.streaming_content)

    version.refresh_from_db()
    assert version.status == VersionStatus.AVAILABLE
    assert hashlib.sha256(body).hexdigest() == version.sha256 == hashlib.sha256(content).hexdigest()
    assert [stored["Key"] for stored in aws.objects()] == [version.object_name]
    assert spooled_files() == []
    assert aws.unfinished_multipart_uploads() == []
