"""Ciphertext objects in the document storage: store a spooled file, stream one back, delete one.

Only ciphertext ever reaches these functions. Object names are random (``new_object_name``) and
say nothing about the document, its owner or its people. The storage is Django's default: a
local folder in the embedded default, S3 through django-storages otherwise (large objects go up
in multipart parts; a failed upload is aborted, so no partial object remains).
"""

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File

from sharing import config
from sharing.crypto import CHUNK_SIZE

# What a storage backend raises when it cannot be reached or refuses; the caller retries.
_STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class StorageUnavailable(Exception):
    """The storage could not store, read or delete an object just now."""


# Every object lives under this prefix (a folder in a local storage, a key prefix in S3).
PREFIX = "documents"


def new_object_name() -> str:
    return f"{PREFIX}/{secrets.token_hex(16)}"


def names() -> list[str]:
    """Return the name of every object in the document storage (for backups and restores)."""
    try:
        _, files = config.storage().listdir(PREFIX)
    except FileNotFoundError:
        # A local storage that has never stored anything has no folder yet.
        return []
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not list the objects: {exc}") from exc
    return [f"{PREFIX}/{name}" for name in files]


class _SpooledFile(File):  # type: ignore[type-arg]
    """A spool file that a local storage may move into place rather than copy."""

    def __init__(self, path: Path) -> None:
        super().__init__(path.open("rb"), name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def put(name: str, path: Path) -> None:
    """Store the file at ``path`` as object ``name``, replacing a copy left by an earlier attempt.

    A local storage moves the file (it is gone afterwards); S3 copies it. The stored size is
    checked before this returns.
    """
    storage = config.storage()
    size = path.stat().st_size
    try:
        _abort_unfinished(storage, name)
        if storage.exists(name):
            storage.delete(name)
        with _SpooledFile(path) as spooled:
            saved = storage.save(name, spooled)
        stored = storage.size(name)
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not store object {name}: {exc}") from exc
    if saved != name or stored != size:
        raise StorageUnavailable(f"object {name} was stored as {saved} with {stored} of {size} bytes")


def _abort_unfinished(storage: Any, name: str) -> None:
    """Abort S3 multipart uploads of ``name`` that an earlier attempt left unfinished.

    boto3 aborts a failed multipart upload itself, but not when the endpoint died: the parts
    already sent would stay in the bucket, billed and beyond shredding. Object names are never
    reused, so every unfinished upload of this name is an earlier attempt at this object.
    """
    bucket: Any = getattr(storage, "bucket", None)
    if bucket is None:
        return
    for upload in bucket.multipart_uploads.filter(Prefix=name):
        if upload.object_key == name:
            upload.abort()


def exists(name: str) -> bool:
    try:
        return bool(config.storage().exists(name))
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not look for object {name}: {exc}") from exc


def read(name: str) -> Iterator[bytes]:
    """Yield the object's bytes in pieces, in constant memory."""
    storage = config.storage()
    bucket: Any = getattr(storage, "bucket", None)
    try:
        if bucket is not None:
            # S3: stream the body; django-storages' own File would first copy it all to a temporary file.
            body = bucket.Object(name).get()["Body"]
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            finally:
                body.close()
            return
        with storage.open(name, "rb") as handle:
            while piece := handle.read(CHUNK_SIZE):
                yield piece
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not read object {name}: {exc}") from exc


def open_seekable(name: str) -> BinaryIO:
    """Open the object for random access (watermarking needs to seek within a PDF)."""
    try:
        return config.storage().open(name, "rb")  # type: ignore[return-value]
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not open object {name}: {exc}") from exc


def delete(name: str) -> None:
    """Delete the object; deleting one that is already gone is not an error."""
    try:
        config.storage().delete(name)
    except _STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"could not delete object {name}: {exc}") from exc
