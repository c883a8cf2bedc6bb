"""Chunked AES-256-GCM streams: round trips, the documented layout, every tampering, random access, memory."""

import hashlib
import io
import os
import random
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sharing.crypto import (
    CHUNK_SIZE,
    HEADER_SIZE,
    MAX_CHUNK_SIZE,
    TAG_SIZE,
    Decryptor,
    Encryptor,
    FormatError,
    IntegrityError,
    RandomAccessReader,
    StreamClosedError,
    ciphertext_size,
    decrypt_chunks,
    encrypt_chunks,
    new_data_key,
    plaintext_size,
)

SMALL = 64
KEY = new_data_key()
VERSION = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e")
OTHER_VERSION = uuid.UUID("0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d")


def encrypt(plaintext: bytes, *, key: bytes = KEY, version: uuid.UUID = VERSION, chunk_size: int = SMALL) -> bytes:
    encryptor = Encryptor(key, version, chunk_size)
    return encryptor.update(plaintext) + encryptor.finalize()


def decrypt(ciphertext: bytes, *, key: bytes = KEY, version: uuid.UUID = VERSION, piece: int = 0) -> bytes:
    decryptor = Decryptor(key, version)
    step = piece or max(1, len(ciphertext))
    out = [decryptor.update(ciphertext[i : i + step]) for i in range(0, len(ciphertext), step)]
    return b"".join(out) + decryptor.finalize()


def split(ciphertext: bytes, chunk_size: int = SMALL) -> tuple[bytes, list[bytes]]:
    """Cut a ciphertext into its header and its chunks, by the documented layout."""
    body, step = ciphertext[HEADER_SIZE:], chunk_size + TAG_SIZE
    return ciphertext[:HEADER_SIZE], [body[i : i + step] for i in range(0, len(body), step)]


def flip(data: bytes, position: int) -> bytes:
    altered = bytearray(data)
    altered[position] ^= 0x01
    return bytes(altered)


SIZES = [0, 1, SMALL - 1, SMALL, SMALL + 1, 5 * SMALL, 5 * SMALL + 17]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("piece", [0, 1, 7, SMALL, SMALL + TAG_SIZE, 100])
def test_round_trip_whatever_the_sizes_of_the_pieces(size: int, piece: int) -> None:
    plaintext = os.urandom(size)
    step = piece or max(1, size)
    encryptor = Encryptor(KEY, VERSION, SMALL)
    pieces = [encryptor.update(plaintext[i : i + step]) for i in range(0, size, step)]
    ciphertext = b"".join(pieces) + encryptor.finalize()
    assert decrypt(ciphertext, piece=piece) == plaintext


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("piece", [1, 7, SMALL, 100])
def test_writing_into_a_sink_gives_the_same_stream_without_new_buffers(size: int, piece: int) -> None:
    """The sink sees one reused buffer for every sealed chunk, and what it copies decrypts whole."""
    plaintext = os.urandom(size)
    encryptor = Encryptor(KEY, VERSION, SMALL)
    received: list[bytes] = []
    buffers: set[int] = set()

    def sink(data: bytes | bytearray | memoryview) -> None:
        received.append(bytes(data))
        if isinstance(data, memoryview):
            buffers.add(id(data.obj))

    for start in range(0, size, piece):
        encryptor.update_into(plaintext[start : start + piece], sink)
    encryptor.finalize_into(sink)

    ciphertext = b"".join(received)
    assert len(ciphertext) == ciphertext_size(size, SMALL)
    assert decrypt(ciphertext) == plaintext
    assert len(buffers) == 1
    with pytest.raises(StreamClosedError):
        encryptor.update_into(b"more", sink)


@pytest.mark.parametrize("size", SIZES)
def test_every_chunk_but_the_last_is_full_and_sizes_are_predicted(size: int) -> None:
    ciphertext = encrypt(os.urandom(size))
    _, chunks = split(ciphertext)
    assert all(len(chunk) == SMALL + TAG_SIZE for chunk in chunks[:-1])
    assert TAG_SIZE <= len(chunks[-1]) <= SMALL + TAG_SIZE
    assert len(chunks) == max(1, -(-size // SMALL))
    assert len(ciphertext) == ciphertext_size(size, SMALL)
    assert plaintext_size(len(ciphertext), SMALL) == size


@pytest.mark.parametrize("size", SIZES)
def test_format_is_the_documented_layout(size: int) -> None:
    """An independent reading of the module docstring's format decrypts what the encryptor wrote."""
    plaintext = os.urandom(size)
    header, chunks = split(encrypt(plaintext))
    assert header[:4] == b"DHRS"
    assert header[4] == 1
    assert header[5:21] == VERSION.bytes
    assert int.from_bytes(header[21:25], "big") == SMALL
    prefix = header[25:32]
    aead = AESGCM(KEY)
    for index, chunk in enumerate(chunks):
        position = index.to_bytes(4, "big") + (b"\x01" if index == len(chunks) - 1 else b"\x00")
        assert (
            aead.decrypt(prefix + position, chunk, header + position) == plaintext[index * SMALL : (index + 1) * SMALL]
        )


def test_each_stream_draws_a_new_nonce_prefix() -> None:
    first, second = encrypt(b"same"), encrypt(b"same")
    assert first[25:32] != second[25:32]
    assert first != second


def test_an_empty_final_chunk_after_full_chunks_is_refused() -> None:
    """The encryptor never writes one, so only a key holder could; each length has one meaning."""
    header = split(encrypt(b""))[0]
    prefix, aead = header[25:32], AESGCM(KEY)

    def seal(index: int, final: bool, data: bytes) -> bytes:
        position = index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")
        return aead.encrypt(prefix + position, data, header + position)

    crafted = header + seal(0, False, os.urandom(SMALL)) + seal(1, True, b"")
    with pytest.raises(IntegrityError, match="empty final chunk"):
        decrypt(crafted)
    with pytest.raises(IntegrityError):
        plaintext_size(len(crafted), SMALL)


def test_default_chunk_size_round_trip_of_a_few_mebibytes() -> None:
    plaintext = os.urandom(3 * CHUNK_SIZE + 5)
    source = (plaintext[i : i + 100_000] for i in range(0, len(plaintext), 100_000))
    ciphertext = b"".join(encrypt_chunks(KEY, VERSION, source))
    assert len(ciphertext) == ciphertext_size(len(plaintext))
    assert (
        b"".join(decrypt_chunks(KEY, VERSION, [ciphertext[i : i + 65_536] for i in range(0, len(ciphertext), 65_536)]))
        == plaintext
    )


# --- tampering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "error", "message"),
    [
        (0, FormatError, "magic"),
        (4, FormatError, "format version"),
        (5, IntegrityError, "belongs to document version"),
        (21, FormatError, "chunk size"),
        (24, IntegrityError, "chunk 0 failed authentication"),
        (25, IntegrityError, "chunk 0 failed authentication"),
        (31, IntegrityError, "chunk 0 failed authentication"),
    ],
)
def test_an_altered_header_is_refused(position: int, error: type[Exception], message: str) -> None:
    """Each header field is checked or authenticated: magic, version, id, chunk size, nonce prefix."""
    with pytest.raises(error, match=message):
        decrypt(flip(encrypt(os.urandom(3 * SMALL)), position))


def test_an_absurd_chunk_size_is_refused_before_any_allocation() -> None:
    ciphertext = encrypt(b"x")
    oversized = ciphertext[:21] + (MAX_CHUNK_SIZE + 1).to_bytes(4, "big") + ciphertext[25:]
    with pytest.raises(FormatError, match="chunk size"):
        decrypt(oversized)


@pytest.mark.parametrize(
    "offset", [0, SMALL - 1, SMALL, SMALL + TAG_SIZE - 1], ids=["body", "body-end", "tag", "tag-end"]
)
@pytest.mark.parametrize("chunk", [0, 2, 4])
def test_a_flipped_byte_in_any_chunk_is_detected(chunk: int, offset: int) -> None:
    ciphertext = encrypt(os.urandom(4 * SMALL + 10))
    position = HEADER_SIZE + chunk * (SMALL + TAG_SIZE) + offset
    if position >= len(ciphertext):
        position = len(ciphertext) - 1
    with pytest.raises(IntegrityError, match="failed authentication"):
        decrypt(flip(ciphertext, position))


def test_dropping_the_last_chunk_is_detected() -> None:
    header, chunks = split(encrypt(os.urandom(4 * SMALL + 10)))
    with pytest.raises(IntegrityError, match=r"stops after chunk 3, before its final chunk \(truncated\)"):
        decrypt(header + b"".join(chunks[:-1]))


def test_dropping_the_final_chunk_at_a_chunk_boundary_is_detected() -> None:
    """With a plaintext that is a whole number of chunks, what remains still looks well formed."""
    header, chunks = split(encrypt(os.urandom(4 * SMALL)))
    assert len(chunks) == 4
    truncated = header + b"".join(chunks[:-1])
    assert plaintext_size(len(truncated), SMALL) == 3 * SMALL
    with pytest.raises(IntegrityError, match="truncated"):
        decrypt(truncated)


def test_dropping_every_chunk_is_detected() -> None:
    header, _ = split(encrypt(os.urandom(2 * SMALL)))
    with pytest.raises(IntegrityError, match="ends 0 bytes into chunk 0"):
        decrypt(header)


def test_swapping_two_chunks_is_detected() -> None:
    header, chunks = split(encrypt(os.urandom(4 * SMALL + 10)))
    chunks[1], chunks[2] = chunks[2], chunks[1]
    with pytest.raises(IntegrityError, match="chunk 1 failed authentication"):
        decrypt(header + b"".join(chunks))


def test_a_chunk_spliced_from_another_object_under_the_same_key_is_detected() -> None:
    header, chunks = split(encrypt(os.urandom(3 * SMALL)))
    _, foreign = split(encrypt(os.urandom(3 * SMALL)))
    chunks[1] = foreign[1]
    with pytest.raises(IntegrityError, match="chunk 1 failed authentication"):
        decrypt(header + b"".join(chunks))


def test_objects_swapped_between_two_versions_are_refused() -> None:
    key_a, key_b = new_data_key(), new_data_key()
    object_a = encrypt(b"version A", key=key_a, version=VERSION)
    object_b = encrypt(b"version B", key=key_b, version=OTHER_VERSION)
    with pytest.raises(IntegrityError, match=f"belongs to document version {OTHER_VERSION}"):
        decrypt(object_b, key=key_a, version=VERSION)
    with pytest.raises(IntegrityError, match=f"belongs to document version {VERSION}"):
        decrypt(object_a, key=key_b, version=OTHER_VERSION)


def test_a_relabelled_header_does_not_move_an_object_to_another_version() -> None:
    """Even if one data key were reused for two versions, rewriting the id breaks every chunk."""
    ciphertext = encrypt(os.urandom(2 * SMALL))
    relabelled = ciphertext[:5] + OTHER_VERSION.bytes + ciphertext[21:]
    with pytest.raises(IntegrityError, match="chunk 0 failed authentication"):
        decrypt(relabelled, version=OTHER_VERSION)


@pytest.mark.parametrize("size", [10, 3 * SMALL])
def test_appended_data_is_detected(size: int) -> None:
    ciphertext = encrypt(os.urandom(size))
    for junk in (b"x", os.urandom(TAG_SIZE), os.urandom(SMALL + TAG_SIZE), os.urandom(5 * SMALL)):
        with pytest.raises(IntegrityError):
            decrypt(ciphertext + junk)


def test_data_after_a_full_final_chunk_is_reported_as_appended() -> None:
    header, chunks = split(encrypt(os.urandom(3 * SMALL)))
    with pytest.raises(IntegrityError, match=r"data follows the final chunk 2 \(appended\)"):
        decrypt(header + b"".join(chunks) + chunks[-1])


@pytest.mark.parametrize("keep", [0, 1, HEADER_SIZE - 1, HEADER_SIZE + 5, HEADER_SIZE + SMALL + TAG_SIZE + 15, -1])
def test_truncation_anywhere_is_detected(keep: int) -> None:
    ciphertext = encrypt(os.urandom(3 * SMALL + 20))
    with pytest.raises(IntegrityError, match="truncated"):
        decrypt(ciphertext[:keep])


def test_the_wrong_key_is_detected() -> None:
    with pytest.raises(IntegrityError, match="chunk 0 failed authentication") as caught:
        decrypt(encrypt(b"secret"), key=new_data_key())
    assert KEY.hex() not in str(caught.value)


# --- streaming behaviour -------------------------------------------------------------------


def test_the_decryptor_holds_back_a_chunk_until_it_knows_it_is_not_the_last() -> None:
    plaintext = os.urandom(2 * SMALL)
    ciphertext = encrypt(plaintext)
    decryptor = Decryptor(KEY, VERSION)
    first_chunk_end = HEADER_SIZE + SMALL + TAG_SIZE
    assert decryptor.update(ciphertext[:first_chunk_end]) == b""
    assert decryptor.update(ciphertext[first_chunk_end : first_chunk_end + 1]) == plaintext[:SMALL]
    assert decryptor.update(ciphertext[first_chunk_end + 1 :]) == b""
    assert decryptor.finalize() == plaintext[SMALL:]


def test_the_encryptor_holds_back_a_full_chunk_until_more_data_arrives() -> None:
    encryptor = Encryptor(KEY, VERSION, SMALL)
    assert len(encryptor.update(os.urandom(SMALL))) == HEADER_SIZE
    assert len(encryptor.update(b"x")) == SMALL + TAG_SIZE
    assert len(encryptor.finalize()) == 1 + TAG_SIZE


def test_decrypt_chunks_yields_nothing_of_a_bad_chunk() -> None:
    plaintext = os.urandom(5 * SMALL + 10)
    header, chunks = split(encrypt(plaintext))
    chunks[2] = flip(chunks[2], 0)
    stream = decrypt_chunks(KEY, VERSION, [header, *chunks])
    assert next(stream) + next(stream) == plaintext[: 2 * SMALL]
    with pytest.raises(IntegrityError, match="chunk 2"):
        next(stream)


def test_streams_refuse_use_after_finalize_or_failure() -> None:
    encryptor = Encryptor(KEY, VERSION, SMALL)
    ciphertext = encryptor.finalize()
    with pytest.raises(StreamClosedError):
        encryptor.update(b"more")
    with pytest.raises(StreamClosedError):
        encryptor.finalize()
    decryptor = Decryptor(KEY, VERSION)
    decryptor.update(ciphertext)
    decryptor.finalize()
    with pytest.raises(StreamClosedError):
        decryptor.update(b"")
    failed = Decryptor(KEY, VERSION)
    failed.update(flip(ciphertext, HEADER_SIZE))
    with pytest.raises(IntegrityError, match="failed authentication"):
        failed.finalize()
    with pytest.raises(IntegrityError, match="already failed"):
        failed.update(b"")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Encryptor(b"short", VERSION),
        lambda: Decryptor(b"x" * 33, VERSION),
        lambda: Encryptor(KEY, VERSION, chunk_size=8),
        lambda: Encryptor(KEY, VERSION, chunk_size=MAX_CHUNK_SIZE + 1),
    ],
)
def test_bad_keys_and_chunk_sizes_are_programming_errors(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"data key|chunk size"):
        make()


@pytest.mark.parametrize(
    "size",
    [0, HEADER_SIZE + TAG_SIZE - 1, HEADER_SIZE + SMALL + TAG_SIZE + 5, HEADER_SIZE + SMALL + 2 * TAG_SIZE],
    ids=["empty", "no-room-for-a-tag", "short-tail", "empty-final-after-full"],
)
def test_impossible_ciphertext_sizes_are_refused(size: int) -> None:
    with pytest.raises(IntegrityError):
        plaintext_size(size, SMALL)


# --- random access -------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_random_access_reads_match_the_plaintext_anywhere(size: int) -> None:
    plaintext = os.urandom(size)
    reader = RandomAccessReader(KEY, VERSION, io.BytesIO(encrypt(plaintext)))
    assert reader.size == size
    assert reader.read() == plaintext
    chooser = random.Random(size)
    for _ in range(200):
        start = chooser.randrange(size + 2)
        length = chooser.randrange(3 * SMALL)
        assert reader.seek(start) == start
        assert reader.read(length) == plaintext[start : start + length]
        assert reader.tell() == min(start + length, max(start, size))
    assert reader.seek(-min(size, 1), io.SEEK_END) == size - min(size, 1)
    reader.seek(0)
    reader.seek(3, io.SEEK_CUR)
    assert reader.read(2) == plaintext[3:5]


def test_zipfile_reads_through_random_access() -> None:
    members = {f"part-{n}.txt": os.urandom(5_000 * n) + b"readable text " * 2_000 for n in range(1, 5)}
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as writer:
        for name, data in members.items():
            writer.writestr(name, data)
    ciphertext = encrypt(archive.getvalue(), chunk_size=1024)
    with zipfile.ZipFile(RandomAccessReader(KEY, VERSION, io.BytesIO(ciphertext))) as reader:
        assert reader.testzip() is None
        assert {name: reader.read(name) for name in reader.namelist()} == members


@pytest.mark.parametrize("size", [4 * SMALL, 4 * SMALL + 10])
def test_random_access_refuses_a_stream_missing_its_final_chunk(size: int) -> None:
    header, chunks = split(encrypt(os.urandom(size)))
    with pytest.raises(IntegrityError, match="truncated"):
        RandomAccessReader(KEY, VERSION, io.BytesIO(header + b"".join(chunks[:-1])))


@pytest.mark.parametrize("keep", [HEADER_SIZE - 1, HEADER_SIZE + 10, HEADER_SIZE + SMALL + TAG_SIZE + 3])
def test_random_access_refuses_a_stream_cut_mid_chunk(keep: int) -> None:
    with pytest.raises(IntegrityError):
        RandomAccessReader(KEY, VERSION, io.BytesIO(encrypt(os.urandom(3 * SMALL + 10))[:keep]))


def test_random_access_refuses_the_wrong_key_or_version_on_construction() -> None:
    ciphertext = encrypt(os.urandom(100))
    with pytest.raises(IntegrityError, match="failed authentication"):
        RandomAccessReader(new_data_key(), VERSION, io.BytesIO(ciphertext))
    with pytest.raises(IntegrityError, match="belongs to document version"):
        RandomAccessReader(KEY, OTHER_VERSION, io.BytesIO(ciphertext))


def test_random_access_authenticates_each_chunk_it_reads() -> None:
    plaintext = os.urandom(5 * SMALL)
    ciphertext = flip(encrypt(plaintext), HEADER_SIZE + 2 * (SMALL + TAG_SIZE) + 3)
    reader = RandomAccessReader(KEY, VERSION, io.BytesIO(ciphertext))
    assert reader.read(2 * SMALL) == plaintext[: 2 * SMALL]
    with pytest.raises(IntegrityError, match="chunk 2 failed authentication"):
        reader.read(1)
    reader.seek(3 * SMALL)
    assert reader.read() == plaintext[3 * SMALL :]


def test_a_closed_reader_refuses_reads() -> None:
    reader = RandomAccessReader(KEY, VERSION, io.BytesIO(encrypt(b"abc")))
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


# --- memory --------------------------------------------------------------------------------


def test_streaming_64_mib_stays_in_constant_memory() -> None:
    """Pieces deliberately misaligned with chunks, so the hold-back buffers are exercised."""
    block = os.urandom(CHUNK_SIZE - 1000)
    blocks = 64 * CHUNK_SIZE // len(block)
    expected = hashlib.sha256()
    actual = hashlib.sha256()
    tracemalloc.start()
    try:
        encryptor, decryptor = Encryptor(KEY, VERSION), Decryptor(KEY, VERSION)
        for _ in range(blocks):
            expected.update(block)
            actual.update(decryptor.update(encryptor.update(block)))
        actual.update(decryptor.update(encryptor.finalize()))
        actual.update(decryptor.finalize())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert actual.digest() == expected.digest()
    assert peak < 6 * CHUNK_SIZE


def test_random_access_over_a_file_stays_in_constant_memory(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "object")
    block = os.urandom(CHUNK_SIZE)
    doubled = block + block
    with open(path, "wb") as file:
        for ciphertext in encrypt_chunks(KEY, VERSION, (block for _ in range(16))):
            file.write(ciphertext)
    tracemalloc.start()
    try:
        with open(path, "rb") as file:
            reader = RandomAccessReader(KEY, VERSION, file)
            while piece := reader.read(300_000):
                assert piece in doubled
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * CHUNK_SIZE
