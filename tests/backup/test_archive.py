"""The archive format on its own: what goes in comes out, and nothing altered gets through."""

import os
from pathlib import Path

import pytest

from dhr_tracker.backup.archive import (
    HEADER_SIZE,
    ArchiveReader,
    ArchiveWriter,
    DamagedArchive,
    WrongPassphrase,
)
from sharing.crypto import CHUNK_SIZE
from sharing.keys import ScryptParams, WeakPassphrase

PASSPHRASE = "correct horse battery staple"
# Cheap key derivation: these tests are about the format, not the cost of guessing.
FAST = ScryptParams(log2_n=10, r=8, p=1)
# Spans several chunks and frames, so the chunk and frame boundaries are exercised.
BIG = os.urandom(2 * CHUNK_SIZE + 12345)


def write(path: Path, *, passphrase: str = PASSPHRASE) -> None:
    with path.open("wb") as target:
        writer = ArchiveWriter(target, passphrase, scrypt=FAST)
        writer.add("database", "database.sql.gz", [b"CREATE TABLE", b" people ();"])
        writer.add("keyring", "sharing-keyring.bak", [])
        writer.add("object", "documents/0a1b", iter([BIG[:100], BIG[100:]]))
        writer.finish({"format": "test", "tables": {"people": 0}})


def read_all(reader: ArchiveReader) -> list[tuple[str, str, bytes]]:
    return [(record.kind, record.name, b"".join(record.pieces)) for record in reader.records()]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "backup.bak"
    write(path)
    return path


def test_records_and_manifest_come_back_as_written(archive: Path) -> None:
    reader = ArchiveReader(archive, PASSPHRASE)

    manifest = reader.verify()
    records = read_all(reader)

    assert manifest == {"format": "test", "tables": {"people": 0}}
    assert records == [
        ("database", "database.sql.gz", b"CREATE TABLE people ();"),
        ("keyring", "sharing-keyring.bak", b""),
        ("object", "documents/0a1b", BIG),
    ]


def test_nothing_readable_is_in_the_file(archive: Path) -> None:
    data = archive.read_bytes()

    assert b"CREATE TABLE" not in data
    assert b"documents/0a1b" not in data
    assert BIG[:64] not in data


def test_a_wrong_passphrase_is_told_apart_from_damage(archive: Path) -> None:
    with pytest.raises(WrongPassphrase):
        ArchiveReader(archive, "correct horse battery stapler")


@pytest.mark.parametrize(
    "offset",
    [
        pytest.param(7, id="key derivation cost"),
        pytest.param(HEADER_SIZE - 1, id="header check"),
        pytest.param(HEADER_SIZE + 100, id="first chunk"),
        pytest.param(HEADER_SIZE + CHUNK_SIZE + 500, id="middle chunk"),
        pytest.param(-1, id="last byte"),
    ],
)
def test_any_flipped_byte_is_refused_before_the_records_are_read(archive: Path, offset: int) -> None:
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0x01
    archive.write_bytes(data)

    with pytest.raises((WrongPassphrase, DamagedArchive)):
        ArchiveReader(archive, PASSPHRASE).verify()


def test_damage_after_the_header_is_not_blamed_on_the_passphrase(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[HEADER_SIZE + CHUNK_SIZE + 500] ^= 0x01
    archive.write_bytes(data)
    reader = ArchiveReader(archive, PASSPHRASE)

    with pytest.raises(DamagedArchive, match="damaged after 1,048,576 bytes"):
        reader.verify()


def test_a_truncated_archive_is_refused(archive: Path) -> None:
    archive.write_bytes(archive.read_bytes()[:-40])

    with pytest.raises(DamagedArchive):
        ArchiveReader(archive, PASSPHRASE).verify()


def test_an_archive_replaced_after_verification_is_refused_while_reading(archive: Path, tmp_path: Path) -> None:
    reader = ArchiveReader(archive, PASSPHRASE)
    reader.verify()
    # Another archive under the same passphrase: every chunk authentic, but not the one verified.
    write(archive)

    with pytest.raises(DamagedArchive, match="changed while it was being read"):
        read_all(reader)


def test_records_are_read_only_after_verification(archive: Path) -> None:
    with pytest.raises(RuntimeError, match="verify"):
        next(ArchiveReader(archive, PASSPHRASE).records())


def test_a_short_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeakPassphrase):
        write(tmp_path / "backup.bak", passphrase="too short")
