"""The backup archive: one file, encrypted under a passphrase, written and read as a stream.

Threat: a backup holds everything at once (the database, every document's ciphertext and the
keyring that unwraps their keys) and is kept where the service's own protections do not reach:
offline media, another site, a storage bucket. Whoever holds it without the passphrase must
learn nothing from it, and must not be able to change it undetected: not a byte, not by cutting
it short, and not by splicing in parts of another archive.

Construction: the key is derived from the passphrase with scrypt (``sharing.keys``: its cost and
its derivation, with a fresh random salt per archive), and the contents are one
``sharing.crypto`` stream (chunked AES-256-GCM, each chunk bound to the archive's random id, its
index and the final flag), so an archive of any size is written and read in constant memory.
The plaintext inside is a sequence of records, each a kind, a name and its data in
length-prefixed frames; the manifest is the last record and lists every other record's size
and SHA-256, so a reader knows the whole archive is authentic and complete when it has read it
all.

Key lifetime: one key per archive, derived when the archive is written or read, never stored.

Format, version 1 (integers big-endian)::

    fields    = "DHRBAK" (6) || version 0x01 (1) || log2 n, r, p (1 each) || salt (16)
                || archive id (16, UUID bytes)
    header    = fields || HMAC-SHA256(check key, fields)[:16]                      = 58 bytes
    keys      = HKDF-SHA256(scrypt(passphrase, salt), info "dhr-backup-v1") = stream key || check key
    contents  = sharing.crypto stream under the stream key, version id = archive id
    plaintext = record* manifest-record
    record    = kind (1) || name length (2) || name (UTF-8) || (length (4) || frame)* || 0 (4)

The header is not encrypted but is authenticated by its check, which also tells a wrong
passphrase apart from a damaged archive (it lets a guesser test a passphrase no faster than
the first chunk would).

On failure: ``WrongPassphrase`` when the header's check fails, ``DamagedArchive`` for anything
else, before any data of the failing chunk is released. Only once ``ArchiveReader.verify`` has
returned is the whole archive known to be authentic, so a restore verifies first and writes
afterwards.
"""

import hashlib
import hmac
import io
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sharing.crypto import CHUNK_SIZE, TAG_SIZE, Bytes, Encryptor, IntegrityError, decrypt_chunks
from sharing.keys import (
    BACKUP_SCRYPT,
    MIN_PASSPHRASE_LENGTH,
    ScryptParams,
    WeakPassphrase,
    passphrase_key,
    scrypt_problem,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAGIC = b"DHRBAK"
FORMAT_VERSION = 1
SALT_SIZE = 16
CHECK_SIZE = 16
FIELDS_SIZE = len(MAGIC) + 4 + SALT_SIZE + 16
HEADER_SIZE = FIELDS_SIZE + CHECK_SIZE
# Frames are cut to this size when written, and a longer one is refused when read, so reading
# never holds more than a frame whatever the archive claims.
FRAME_SIZE = CHUNK_SIZE
MANIFEST = "manifest"
_KINDS = {"database": b"D", "keyring": b"K", "object": b"O", MANIFEST: b"M"}
_KIND_NAMES = {code: kind for kind, code in _KINDS.items()}


class ArchiveError(Exception):
    """The archive cannot be used: not a backup, a wrong passphrase, or damaged."""


class WrongPassphrase(ArchiveError):
    """The header's check fails: the passphrase is wrong (or the header was altered)."""


class DamagedArchive(ArchiveError):
    """Part of the archive is altered, missing or out of place; the passphrase is right."""


@dataclass(frozen=True)
class Entry:
    """One record of an archive as its manifest lists it."""

    kind: str
    name: str
    size: int
    sha256: str


def _keys(passphrase: str, salt: bytes, params: ScryptParams) -> tuple[bytes, bytes]:
    """Return the stream key and the check key: two keys, so neither use weakens the other."""
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"dhr-backup-v1").derive(
        passphrase_key(passphrase, salt, params)
    )
    return derived[:32], derived[32:]


def _check(check_key: bytes, fields: bytes) -> bytes:
    return hmac.new(check_key, fields, hashlib.sha256).digest()[:CHECK_SIZE]


def _frames(data: Bytes) -> Iterator[memoryview]:
    view = memoryview(data).cast("B")
    for start in range(0, len(view), FRAME_SIZE):
        yield view[start : start + FRAME_SIZE]


class ArchiveWriter:
    """Write an archive to ``target``: ``add`` each record, then ``finish`` with the manifest.

    ``target`` receives only the header and ciphertext. Memory is one chunk plus one frame,
    whatever the size of the records.
    """

    def __init__(self, target: IO[bytes], passphrase: str, *, scrypt: ScryptParams = BACKUP_SCRYPT) -> None:
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise WeakPassphrase(f"the backup passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters")
        if problem := scrypt_problem(scrypt):
            raise ValueError(problem)
        salt, archive_id = os.urandom(SALT_SIZE), uuid.uuid4()
        fields = MAGIC + bytes([FORMAT_VERSION, scrypt.log2_n, scrypt.r, scrypt.p]) + salt + archive_id.bytes
        stream_key, check_key = _keys(passphrase, salt, scrypt)
        target.write(fields + _check(check_key, fields))
        self._target = target
        self._encryptor = Encryptor(stream_key, archive_id)
        self.entries: list[Entry] = []

    def _write(self, data: Bytes) -> None:
        self._encryptor.update_into(data, self._target.write)

    def add(self, kind: str, name: str, pieces: Iterable[Bytes]) -> Entry:
        """Append a record of ``kind`` holding the concatenated ``pieces``; return its entry."""
        encoded = name.encode()
        self._write(_KINDS[kind] + len(encoded).to_bytes(2, "big") + encoded)
        digest, size = hashlib.sha256(), 0
        for piece in pieces:
            for frame in _frames(piece):
                self._write(len(frame).to_bytes(4, "big"))
                self._write(frame)
                digest.update(frame)
                size += len(frame)
        self._write(bytes(4))
        entry = Entry(kind, name, size, digest.hexdigest())
        self.entries.append(entry)
        return entry

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest`` with the list of entries as the last record, and end the stream."""
        document = {**manifest, "entries": [asdict(entry) for entry in self.entries]}
        self.add(MANIFEST, "manifest.json", [json.dumps(document, sort_keys=True).encode()])
        self._encryptor.finalize_into(self._target.write)


class _Plaintext(io.RawIOBase):
    """The decrypted contents as a readable file, failures mapped to ``ArchiveError``."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._rest = memoryview(b"")
        self._released = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "WriteableBuffer", /) -> int:
        while not self._rest:
            try:
                piece = next(self._pieces)
            except StopIteration:
                return 0
            except IntegrityError as exc:
                raise DamagedArchive(
                    f"the archive is damaged after {self._released:,} bytes of its contents: {exc}"
                ) from None
            self._rest = memoryview(piece)
            self._released += len(piece)
        with memoryview(buffer) as raw:
            target = raw.cast("B")
            count = min(len(target), len(self._rest))
            target[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count


@dataclass(frozen=True)
class Record:
    """A record being read: its kind and name, and its data, to be read in full before the next."""

    kind: str
    name: str
    pieces: Iterator[bytes]


class ArchiveReader:
    """Read the archive at ``path``: ``verify`` it whole first, then read its ``records``.

    The key is derived once, in the constructor (about a quarter of a second, by design).
    """

    def __init__(self, path: Path, passphrase: str) -> None:
        self._path = path
        with path.open("rb") as source:
            self._header = source.read(HEADER_SIZE)
        if len(self._header) < HEADER_SIZE or not self._header.startswith(MAGIC):
            raise ArchiveError("this is not a backup made by manage.py backup")
        version, log2_n, r, p = self._header[len(MAGIC) : len(MAGIC) + 4]
        if version != FORMAT_VERSION:
            raise ArchiveError(f"unsupported backup format version {version}")
        params = ScryptParams(log2_n, r, p)
        if problem := scrypt_problem(params):
            raise DamagedArchive(f"{problem} (altered header?)")
        salt = self._header[len(MAGIC) + 4 : len(MAGIC) + 4 + SALT_SIZE]
        self._archive_id = uuid.UUID(bytes=self._header[FIELDS_SIZE - 16 : FIELDS_SIZE])
        self._key, check_key = _keys(passphrase, salt, params)
        if not hmac.compare_digest(_check(check_key, self._header[:FIELDS_SIZE]), self._header[FIELDS_SIZE:]):
            raise WrongPassphrase("the passphrase is wrong (or the archive's first bytes are damaged)")
        self._entries: list[Entry] | None = None

    def _records(self, source: IO[bytes]) -> Iterator[Record]:
        if source.read(HEADER_SIZE) != self._header:
            raise DamagedArchive("the archive's header changed while it was being read")
        chunks = iter(lambda: source.read(CHUNK_SIZE + TAG_SIZE), b"")
        plaintext = io.BufferedReader(_Plaintext(decrypt_chunks(self._key, self._archive_id, chunks)), CHUNK_SIZE)
        while head := plaintext.read(3):
            kind = _KIND_NAMES.get(head[:1])
            if len(head) < 3 or kind is None:
                raise DamagedArchive("a record in the archive is malformed")
            raw_name = _read_exactly(plaintext, int.from_bytes(head[1:], "big"))
            try:
                name = raw_name.decode()
            except UnicodeDecodeError:
                raise DamagedArchive("a record's name is not UTF-8") from None
            pieces = _frames_of(plaintext)
            yield Record(kind, name, pieces)
            # Whatever the consumer left unread belongs to this record, not the next.
            for _ in pieces:
                pass

    def verify(self) -> dict[str, Any]:
        """Read the whole archive, check every record against the manifest, and return the manifest.

        Writes nothing. Raises ``WrongPassphrase`` or ``DamagedArchive``.
        """
        seen: list[Entry] = []
        manifest_data: bytes | None = None
        with self._path.open("rb") as source:
            for record in self._records(source):
                if manifest_data is not None:
                    raise DamagedArchive("records follow the manifest")
                if record.kind == MANIFEST:
                    manifest_data = b"".join(record.pieces)
                else:
                    seen.append(_entry_of(record))
        if manifest_data is None:
            raise DamagedArchive("the archive has no manifest")
        try:
            manifest = json.loads(manifest_data)
        except ValueError:
            raise DamagedArchive("the manifest is not JSON") from None
        if not isinstance(manifest, dict):
            raise DamagedArchive("the manifest is malformed")
        try:
            listed = [Entry(**item) for item in manifest.pop("entries")]
        except (TypeError, KeyError):
            raise DamagedArchive("the manifest's list of entries is malformed") from None
        if listed != seen:
            raise DamagedArchive("the records do not match the manifest")
        self._entries = listed
        return manifest

    def records(self) -> Iterator[Record]:
        """Yield each record but the manifest, each checked against the verified manifest.

        Only after ``verify``. The archive is authenticated again as it is read, and a record's
        data raises ``DamagedArchive`` at its end, before its iteration finishes, unless it is
        exactly what was verified: a consumer that acts only once it has read a record whole
        never acts on a file changed since.
        """
        if self._entries is None:
            raise RuntimeError("verify the archive before reading its records")
        expected = iter(self._entries)
        with self._path.open("rb") as source:
            for record in self._records(source):
                if record.kind == MANIFEST:
                    return
                pieces = _checked(record, next(expected, None))
                yield Record(record.kind, record.name, pieces)
                for _ in pieces:
                    pass


def _entry_of(record: Record) -> Entry:
    digest, size = hashlib.sha256(), 0
    for piece in record.pieces:
        digest.update(piece)
        size += len(piece)
    return Entry(record.kind, record.name, size, digest.hexdigest())


def _checked(record: Record, expected: Entry | None) -> Iterator[bytes]:
    """Pass the record's data through, and raise at its end unless it matches ``expected``."""
    digest, size = hashlib.sha256(), 0
    for piece in record.pieces:
        digest.update(piece)
        size += len(piece)
        yield piece
    if Entry(record.kind, record.name, size, digest.hexdigest()) != expected:
        raise DamagedArchive(f"the {record.kind} {record.name} changed since the archive was verified")


def _read_exactly(plaintext: IO[bytes], size: int) -> bytes:
    data = plaintext.read(size)
    if len(data) != size:
        raise DamagedArchive("the archive ends inside a record")
    return data


def _frames_of(plaintext: IO[bytes]) -> Iterator[bytes]:
    while length := int.from_bytes(_read_exactly(plaintext, 4), "big"):
        if length > FRAME_SIZE:
            raise DamagedArchive(f"a frame of {length} bytes is longer than any this format writes")
        yield _read_exactly(plaintext, length)
