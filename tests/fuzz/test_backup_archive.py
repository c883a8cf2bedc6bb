"""Backup archives as a restore may be handed them: changed in several places, cut short, extended,
or not archives at all. Reading one raises ``WrongPassphrase`` or ``DamagedArchive`` (both
``ArchiveError``) and nothing else, and never yields a record from a changed archive.

The key derivation's cost bytes of the header are left alone: a changed cost is refused before
deriving (``tests/backup/test_archive.py`` flips each byte), and raising it here would make each
example as slow as a real restore.
"""

import io
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from dhr_tracker.backup.archive import MAGIC, ArchiveError, ArchiveReader, ArchiveWriter
from sharing.keys import ScryptParams
from tests.fuzz.strategies import fuzz

PASSPHRASE = "correct horse battery staple"
# Key derivation strength is not what these tests measure.
FAST_SCRYPT = ScryptParams(log2_n=10, r=8, p=1)
# The magic and version, then the three cost bytes: everything after them may change.
COST_END = len(MAGIC) + 4


def _archive() -> bytes:
    out = io.BytesIO()
    writer = ArchiveWriter(out, PASSPHRASE, scrypt=FAST_SCRYPT)
    writer.add("database", "database.sql.gz", [b"CREATE TABLE people ();" * 40])
    writer.add("keyring", "sharing-keyring.bak", [b"keyring backup"])
    writer.add("object", "documents/0a1b", [bytes(range(256)) * 20])
    writer.finish({"format": "fuzz"})
    return out.getvalue()


ARCHIVE = _archive()


@st.composite
def altered_archives(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["changed", "cut", "extended", "not an archive"]))
    event(how)
    if how == "cut":
        return ARCHIVE[: draw(st.integers(0, len(ARCHIVE) - 1))]
    if how == "extended":
        return ARCHIVE + draw(st.binary(min_size=1, max_size=64))
    if how == "not an archive":
        return draw(st.binary(max_size=200))
    data = bytearray(ARCHIVE)
    for position in draw(st.sets(st.integers(COST_END, len(data) - 1), min_size=1, max_size=6)):
        data[position] ^= draw(st.integers(1, 255))
    return bytes(data)


def _read(path: Path) -> None:
    reader = ArchiveReader(path, PASSPHRASE)
    reader.verify()
    for record in reader.records():
        b"".join(record.pieces)


def test_the_unchanged_archive_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "backup.bak"
    path.write_bytes(ARCHIVE)
    _read(path)


@fuzz(max_examples=80)
@given(content=altered_archives())
def test_an_altered_archive_is_refused_with_an_archive_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "backup.bak"
    path.write_bytes(content)
    with pytest.raises(ArchiveError) as refused:
        _read(path)
    assert str(refused.value)
