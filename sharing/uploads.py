"""Receiving a document: encrypted chunk by chunk as it arrives, so plaintext never touches disk.

Threat: a plaintext copy left behind (a temporary upload file, a crashed worker's scratch file,
a storage bucket) outlives every access rule. Django's own handlers keep large uploads in
temporary files; ``EncryptingUploadHandler`` replaces them for document uploads. For the one
file field it accepts it draws a fresh data key from the key provider (wrapped for a new
version id), encrypts each piece as it arrives (``sharing.crypto``) into a spool file
``<version id>.part`` (mode 0600), hashes the plaintext for the integrity receipt (on a thread
of its own, so hashing overlaps encrypting and writing), and keeps only the first 64 KiB in
memory for type sniffing. When the file is complete the spool file is renamed ``<version id>``;
a service then records the version and a task checks and stores it.

The spool file is not synced to disk before the user is answered: a machine that loses power
within the kernel's write-back delay may lose the tail of a recent upload. That cannot pass
unnoticed, because the task decrypts every chunk before storing it and a cut or garbled spool
file fails authentication: the version is marked damaged and the user asked to upload again. Whatever is not taken over by a service is deleted when the request ends
(``SpooledUpload.discard``), and ``tasks.sweep_uploads`` removes what a crash left behind.

The data key lives in memory only for the request: it is needed again to sniff inside zip
containers (DOCX, XLSX, ODT) through ``crypto.RandomAccessReader`` over the spool file.
"""

import hashlib
import html
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser

from sharing.crypto import CHUNK_SIZE, Encryptor, RandomAccessReader
from sharing.keys import KeyProvider, KeyUnavailable, WrappedKey
from sharing.sniffing import HEAD_SIZE, Refused, check_name, describe_size

PART_SUFFIX = ".part"

TOO_LARGE_MESSAGE = "The file must be smaller than {limit}"
ONE_FILE_MESSAGE = "Select one file at a time"
KEYS_DOWN_MESSAGE = (
    "The document could not be encrypted because the key service did not respond. "
    "Nothing was stored. Try again in a few minutes"
)
SPOOL_FAILED_MESSAGE = "The document could not be saved. Nothing was stored. Try again in a few minutes"


def spool_path(spool_dir: Path, version_id: uuid.UUID) -> Path:
    return spool_dir / str(version_id)


@dataclass
class SpooledUpload:
    """A received file, encrypted in the spool, with everything needed to record its version."""

    raw_name: str
    version_id: uuid.UUID
    wrapped_key: WrappedKey
    path: Path
    size: int
    sha256: str
    head: bytes
    data_key: bytes = field(repr=False)
    kept: bool = False

    def open_plaintext(self) -> BinaryIO:
        """A seekable plaintext view of the spooled ciphertext, decrypted on demand."""
        return RandomAccessReader(self.data_key, self.version_id, self.path.open("rb"))  # type: ignore[return-value]

    def keep(self) -> None:
        """A committed version now owns the spool file."""
        self.kept = True

    def discard(self) -> None:
        if not self.kept:
            self.path.unlink(missing_ok=True)


class _BackgroundHash:
    """SHA-256 on its own thread, one piece in flight, fed in order.

    hashlib releases the GIL for large buffers, so the hash of one piece runs while the next is
    encrypted and written: on two cores that is half again as fast as doing both in turn.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-sha256")
        self._pending: Future[None] | None = None

    def update(self, data: bytes) -> None:
        self._wait()
        self._pending = self._pool.submit(self._hash.update, bytes(data))

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def hexdigest(self) -> str:
        self._wait()
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class EncryptingUploadHandler(FileUploadHandler):
    """Accept one file in ``field_name``, encrypting it into the spool as it arrives.

    A refusal that can be told before the data is stored (a dangerous name, too large, the key
    service down) stops the upload and leaves its message in ``refusal``; nothing is kept.
    """

    chunk_size = CHUNK_SIZE

    def __init__(
        self, request: HttpRequest, *, field_name: str, max_size: int, provider: KeyProvider, spool_dir: Path
    ) -> None:
        super().__init__(request)
        self.field_name = field_name
        self.max_size = max_size
        self.provider = provider
        self.spool_dir = spool_dir
        self.refusal: str | None = None
        self.upload: SpooledUpload | None = None
        self._out: BinaryIO | None = None
        self._part: Path | None = None
        self._encryptor: Encryptor | None = None
        self._hash: _BackgroundHash | None = None
        self._head = bytearray()
        self._size = 0
        self._name = ""
        self._version_id = uuid.uuid4()
        self._data_key = b""
        self._wrapped: WrappedKey | None = None

    def _refuse(self, message: str, *, connection_reset: bool = False) -> NoReturn:
        self.refusal = message
        self._abandon()
        raise StopUpload(connection_reset=connection_reset)

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        if field_name != self.field_name:
            raise SkipFile
        if self._part is not None or self.upload is not None:
            self._refuse(ONE_FILE_MESSAGE)
        try:
            check_name(file_name)
        except Refused as refused:
            self._refuse(refused.message)
        try:
            self._data_key, self._wrapped = self.provider.new_data_key(str(self._version_id))
        except KeyUnavailable:
            self._refuse(KEYS_DOWN_MESSAGE)
        self.spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._part = spool_path(self.spool_dir, self._version_id).with_suffix(PART_SUFFIX)
        try:
            descriptor = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            self._part = None
            self._refuse(SPOOL_FAILED_MESSAGE)
        # Buffered: it writes a whole piece even where the operating system takes part of it at once.
        self._out = os.fdopen(descriptor, "wb")
        self._encryptor = Encryptor(self._data_key, self._version_id)
        self._hash = _BackgroundHash()
        self._name = file_name

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._encryptor is None or self._out is None or self._hash is None:
            return raw_data
        self._size += len(raw_data)
        if self._size > self.max_size:
            # The rest may be gigabytes: do not read it only to throw it away.
            self._refuse(TOO_LARGE_MESSAGE.format(limit=describe_size(self.max_size)), connection_reset=True)
        self._hash.update(raw_data)
        if len(self._head) < HEAD_SIZE:
            self._head += raw_data[: HEAD_SIZE - len(self._head)]
        try:
            self._encryptor.update_into(raw_data, self._out.write)
        except OSError:
            self._refuse(SPOOL_FAILED_MESSAGE)
        return None

    # Django types this as returning an UploadedFile; the parser only puts the object in FILES.
    def file_complete(self, file_size: int) -> SpooledUpload | None:  # type: ignore[override]
        if (
            self._encryptor is None
            or self._out is None
            or self._part is None
            or self._wrapped is None
            or self._hash is None
        ):
            return None
        try:
            self._encryptor.finalize_into(self._out.write)
            self._out.close()
            final = self._part.with_suffix("")
            self._part.rename(final)
        except OSError:
            self._refuse(SPOOL_FAILED_MESSAGE)
        self._out = self._part = self._encryptor = None
        self.upload = SpooledUpload(
            raw_name=self._name,
            version_id=self._version_id,
            wrapped_key=self._wrapped,
            path=final,
            size=self._size,
            sha256=self._hash.hexdigest(),
            head=bytes(self._head),
            data_key=self._data_key,
        )
        return self.upload

    def _abandon(self) -> None:
        """Remove whatever this request spooled; nothing of a refused upload stays."""
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._part is not None:
            self._part.unlink(missing_ok=True)
            self._part = None
        self._encryptor = None
        if self._hash is not None:
            self._hash.close()
            self._hash = None

    def upload_interrupted(self) -> None:
        self._abandon()

    def discard(self) -> None:
        """At the end of the request: delete every spooled byte no service took over."""
        self._abandon()
        if self.upload is not None:
            self.upload.discard()


class _Parser(MultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str | None:
        # Django strips directories and control characters silently; the handler refuses such a
        # name with a message instead (``sniffing.check_name``), so it needs the name as sent.
        return html.unescape(file_name) or None


def parse_upload(request: HttpRequest, handler: EncryptingUploadHandler) -> None:
    """Read the request body through ``handler`` alone, setting ``request.POST`` and ``FILES``."""
    request.upload_handlers = [handler]
    parser = _Parser(request.META, request, request.upload_handlers, request.encoding)
    post, files = parser.parse()
    request._post, request._files = post, files  # type: ignore[attr-defined]
