"""Streaming authenticated encryption of documents: chunked AES-256-GCM (the STREAM construction).

Threat: whoever can read or write the document store (a storage administrator, a stolen backup,
a compromised S3 credential) must learn nothing of a document, and must not be able to change
it undetected: not by altering bytes, truncating it (even by whole chunks), reordering chunks,
splicing in chunks or whole objects from another document or version, or appending data.

Key lifetime: one fresh 256-bit data key per document version (``new_data_key``), held in
memory only while that version is encrypted or read, stored only wrapped by a key-encryption
key (``sharing.keys``). Deleting the wrapped key destroys the document (crypto-shredding). Each
stream also draws a random 56-bit nonce prefix, so even a data key reused by mistake for a few
streams does not repeat a nonce; the contract is still one key per version.

On failure every reader raises ``IntegrityError`` (``FormatError`` for data that is not in this
format at all) before releasing any plaintext of the offending chunk. A streaming reader only
knows the whole stream is authentic once ``finalize`` returns: plaintext released earlier is
authentic chunk by chunk, but must be discarded if the stream later fails.

Format, version 1 (integers big-endian)::

    header = magic "DHRS" (4) || format version 0x01 (1) || version id (16, UUID bytes)
             || chunk size C (4, unsigned, MIN_CHUNK_SIZE..MAX_CHUNK_SIZE)
             || nonce prefix (7, random per stream)                             = 32 bytes
    object = header || chunk_0 || chunk_1 || ... || chunk_n
    chunk_i = AES-256-GCM(data key, nonce_i, plaintext_i, aad_i) = ciphertext || 16-byte tag
    nonce_i = nonce prefix || i (4, unsigned) || flag (1)                        = 12 bytes
    aad_i   = header || i (4, unsigned) || flag (1)
    flag    = 0x01 for the last chunk n, 0x00 for every other

Every plaintext chunk but the last holds exactly C bytes, so every ciphertext chunk but the
last is exactly C + 16 bytes. The last holds 1..C bytes, or 0 only when it is the sole chunk
(an empty document): a plaintext whose length is a multiple of C ends with a full final chunk,
never with an empty one, so each plaintext length has exactly one ciphertext length. The chunk
index is at most 2**32 - 1 (``int.to_bytes`` refuses more, so a nonce can never repeat).
"""

import io
import os
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Bytes = bytes | bytearray | memoryview

MAGIC = b"DHRS"
FORMAT_VERSION = 1
DATA_KEY_SIZE = 32
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
HEADER_SIZE = len(MAGIC) + 1 + 16 + 4 + NONCE_PREFIX_SIZE
CHUNK_SIZE = 1 << 20
# A reader allocates one chunk from the header before it can authenticate anything, so the
# header may not ask for more than this; below the minimum the tag overhead is absurd.
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 1 << 24
# Random access keeps this many decrypted chunks: the one being read and the one before it,
# which covers reads that straddle a boundary and zipfile's back-and-forth around the end.
_CACHED_CHUNKS = 2


class IntegrityError(Exception):
    """The ciphertext is not authentic: altered, truncated, reordered, spliced, extended, or read with the wrong key or version id."""


class FormatError(IntegrityError):
    """The data does not start with a header of this format."""


class StreamClosedError(RuntimeError):
    """An encryptor or decryptor was used after ``finalize``."""


class SeekableSource(Protocol):
    """A seekable binary file, such as an open storage file."""

    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> int: ...


def new_data_key() -> bytes:
    """Return a fresh random 256-bit data key for one document version."""
    return os.urandom(DATA_KEY_SIZE)


def ciphertext_size(plaintext_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Return the length of the ciphertext of ``plaintext_size`` bytes."""
    _check_chunk_size(chunk_size)
    if plaintext_size < 0:
        raise ValueError("plaintext size cannot be negative")
    chunks = max(1, -(-plaintext_size // chunk_size))
    return HEADER_SIZE + plaintext_size + chunks * TAG_SIZE


def plaintext_size(ciphertext_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Return the plaintext length of a ciphertext of ``ciphertext_size`` bytes, or raise if no ciphertext has it."""
    _check_chunk_size(chunk_size)
    body = ciphertext_size - HEADER_SIZE
    if body < TAG_SIZE:
        raise IntegrityError(f"a ciphertext of {ciphertext_size} bytes is too short to hold its header and a chunk")
    full_chunks, last = divmod(body, chunk_size + TAG_SIZE)
    if last == 0:
        return full_chunks * chunk_size
    if last < TAG_SIZE or (last == TAG_SIZE and full_chunks > 0):
        raise IntegrityError(
            f"no ciphertext with {chunk_size}-byte chunks is {ciphertext_size} bytes long (truncated?)"
        )
    return full_chunks * chunk_size + last - TAG_SIZE


@dataclass(frozen=True)
class _Header:
    version_id: uuid.UUID
    chunk_size: int
    nonce_prefix: bytes

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                MAGIC,
                bytes([FORMAT_VERSION]),
                self.version_id.bytes,
                self.chunk_size.to_bytes(4, "big"),
                self.nonce_prefix,
            )
        )

    @classmethod
    def parse(cls, data: bytes, expected_version: uuid.UUID) -> "_Header":
        if len(data) < HEADER_SIZE:
            raise IntegrityError(f"the ciphertext is shorter than its {HEADER_SIZE}-byte header (truncated or empty)")
        if data[: len(MAGIC)] != MAGIC:
            raise FormatError("not a sharing ciphertext: the header does not start with the expected magic bytes")
        if data[len(MAGIC)] != FORMAT_VERSION:
            raise FormatError(f"unsupported ciphertext format version {data[len(MAGIC)]}")
        start = len(MAGIC) + 1
        version_id = uuid.UUID(bytes=bytes(data[start : start + 16]))
        chunk_size = int.from_bytes(data[start + 16 : start + 20], "big")
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise FormatError(f"the header's chunk size {chunk_size} is outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
        if version_id != expected_version:
            raise IntegrityError(f"the ciphertext belongs to document version {version_id}, not {expected_version}")
        return cls(version_id, chunk_size, bytes(data[start + 20 : HEADER_SIZE]))


class _ChunkCipher:
    """Seal and open the chunks of one stream, binding each to the header, its index and its final flag."""

    def __init__(self, aead: AESGCM, header: _Header) -> None:
        self._aead = aead
        self._header = header.to_bytes()
        self._prefix = header.nonce_prefix

    def _nonce_and_aad(self, index: int, final: bool) -> tuple[bytes, bytes]:
        position = index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")
        return self._prefix + position, self._header + position

    def seal_into(self, index: int, final: bool, plaintext: Bytes, buffer: memoryview) -> memoryview:
        """Seal into the start of ``buffer`` and return the sealed chunk, a view of it."""
        nonce, aad = self._nonce_and_aad(index, final)
        sealed = buffer[: len(plaintext) + TAG_SIZE]
        self._aead.encrypt_into(nonce, plaintext, aad, sealed)
        return sealed

    def _try_open(self, index: int, final: bool, ciphertext: Bytes) -> bytes | None:
        nonce, aad = self._nonce_and_aad(index, final)
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            return None

    def open(self, index: int, final: bool, ciphertext: Bytes) -> bytes:
        """Return the plaintext of chunk ``index``, or raise ``IntegrityError`` saying as exactly as possible why not."""
        plaintext = self._try_open(index, final, ciphertext)
        if plaintext is not None:
            return plaintext
        # Only on failure: trying the other flag tells a cut stream or appended data apart from
        # tampering, which is what an operator needs to know.
        if self._try_open(index, not final, ciphertext) is not None:
            if final:
                raise IntegrityError(f"the ciphertext stops after chunk {index}, before its final chunk (truncated)")
            raise IntegrityError(f"data follows the final chunk {index} (appended)")
        raise IntegrityError(
            f"chunk {index} failed authentication: the ciphertext was altered, truncated, reordered "
            "or spliced from another object, or the data key is wrong"
        )


class _HoldBack:
    """Cut a byte stream into pieces of ``size`` bytes, keeping the latest back until more data shows it is not the last.

    Pieces that lie inside the caller's data are handed out as views of it, uncopied; the piece
    held back at the end of a call is copied into one fixed buffer, because the caller may reuse
    its own, and completed there by the next call. A piece is valid only until the generator
    resumes.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        # Written through a memoryview: slice assignment into a bytearray from anything but a
        # bytearray first copies the source into a temporary, an extra megabyte per chunk.
        self._buffer = memoryview(bytearray(size))
        self._fill = 0

    def feed(self, data: Bytes) -> Iterator[memoryview]:
        view = memoryview(data).cast("B")
        size = self._size
        if self._fill:
            room = size - self._fill
            if len(view) <= room:
                self._buffer[self._fill : self._fill + len(view)] = view
                self._fill += len(view)
                return
            self._buffer[self._fill :] = view[:room]
            view = view[room:]
            self._fill = 0
            yield self._buffer
        while len(view) > size:
            yield view[:size]
            view = view[size:]
        self._buffer[: len(view)] = view
        self._fill = len(view)

    def rest(self) -> memoryview:
        return self._buffer[: self._fill]


def _check_data_key(data_key: bytes) -> None:
    if len(data_key) != DATA_KEY_SIZE:
        raise ValueError(f"a data key is {DATA_KEY_SIZE} bytes")


def _check_chunk_size(chunk_size: int) -> None:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes")


class Encryptor:
    """Encrypt one document version as a stream: ``update`` as data arrives, then ``finalize`` once.

    Memory is one chunk whatever the input size: the latest chunk is held back until more data
    shows that it is not the final one.
    """

    def __init__(self, data_key: bytes, version_id: uuid.UUID, chunk_size: int = CHUNK_SIZE) -> None:
        _check_data_key(data_key)
        _check_chunk_size(chunk_size)
        header = _Header(version_id, chunk_size, os.urandom(NONCE_PREFIX_SIZE))
        self._header: bytes | None = header.to_bytes()
        self._cipher = _ChunkCipher(AESGCM(data_key), header)
        self._pending = _HoldBack(chunk_size)
        self._sealed = memoryview(bytearray(chunk_size + TAG_SIZE))
        self._index = 0
        self._finalized = False

    def _start(self) -> list[bytes]:
        if self._finalized:
            raise StreamClosedError("the encryptor has already been finalized")
        header, self._header = self._header, None
        return [header] if header is not None else []

    def update(self, data: Bytes) -> bytes:
        """Take more plaintext; return the ciphertext that is ready (the header first, then whole non-final chunks)."""
        out: list[bytes] = []
        self.update_into(data, lambda piece: out.append(bytes(piece)))
        return b"".join(out)

    def finalize(self) -> bytes:
        """Return the rest of the ciphertext, ending with the final chunk."""
        out: list[bytes] = []
        self.finalize_into(lambda piece: out.append(bytes(piece)))
        return b"".join(out)

    def update_into(self, data: Bytes, write: Callable[[Bytes], object]) -> None:
        """As ``update``, but hand each piece of ciphertext to ``write`` as it is ready.

        Chunks are sealed into one buffer reused for the whole stream, so a long upload takes
        no fresh megabyte of memory per chunk (fresh pages cost more than the encryption): a
        piece is valid only until ``write`` returns.
        """
        for header in self._start():
            write(header)
        for piece in self._pending.feed(data):
            write(self._cipher.seal_into(self._index, False, piece, self._sealed))
            self._index += 1

    def finalize_into(self, write: Callable[[Bytes], object]) -> None:
        """As ``finalize``, handing the rest of the ciphertext to ``write``."""
        for header in self._start():
            write(header)
        self._finalized = True
        write(self._cipher.seal_into(self._index, True, self._pending.rest(), self._sealed))


class Decryptor:
    """Decrypt one document version as a stream, releasing only authenticated plaintext.

    ``update`` returns the plaintext of chunks that are authentic and known not to be the last;
    ``finalize`` authenticates the held-back chunk as the final one. The whole stream is
    authentic only once ``finalize`` returns. After any failure every call raises again.
    """

    def __init__(self, data_key: bytes, version_id: uuid.UUID) -> None:
        _check_data_key(data_key)
        self._aead = AESGCM(data_key)
        self._version_id = version_id
        self._header = bytearray()
        self._cipher: _ChunkCipher | None = None
        self._pending: _HoldBack | None = None
        self._index = 0
        self._finalized = False
        self._failure: IntegrityError | None = None

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise IntegrityError(f"the stream already failed: {self._failure}")
        if self._finalized:
            raise StreamClosedError("the decryptor has already been finalized")

    def update(self, data: Bytes) -> bytes:
        """Take more ciphertext; return the plaintext of the chunks now authenticated and known not to be last."""
        self._check_usable()
        try:
            return self._update(memoryview(data).cast("B"))
        except IntegrityError as exc:
            self._failure = exc
            raise

    def _update(self, view: memoryview) -> bytes:
        if self._cipher is None or self._pending is None:
            needed = HEADER_SIZE - len(self._header)
            self._header += view[:needed]
            view = view[needed:]
            if len(self._header) < HEADER_SIZE:
                return b""
            header = _Header.parse(bytes(self._header), self._version_id)
            self._cipher = _ChunkCipher(self._aead, header)
            self._pending = _HoldBack(header.chunk_size + TAG_SIZE)
        out = []
        for piece in self._pending.feed(view):
            out.append(self._cipher.open(self._index, False, piece))
            self._index += 1
        return b"".join(out)

    def finalize(self) -> bytes:
        """Authenticate and return the final chunk; raise ``IntegrityError`` if the stream is cut short or extended."""
        self._check_usable()
        self._finalized = True
        try:
            return self._finalize()
        except IntegrityError as exc:
            self._failure = exc
            raise

    def _finalize(self) -> bytes:
        if self._cipher is None or self._pending is None:
            raise IntegrityError(f"the ciphertext is shorter than its {HEADER_SIZE}-byte header (truncated or empty)")
        rest = self._pending.rest()
        if len(rest) < TAG_SIZE:
            raise IntegrityError(f"the ciphertext ends {len(rest)} bytes into chunk {self._index} (truncated)")
        plaintext = self._cipher.open(self._index, True, rest)
        if not plaintext and self._index > 0:
            raise IntegrityError("an empty final chunk follows full chunks, which this format never produces")
        return plaintext


def encrypt_chunks(
    data_key: bytes, version_id: uuid.UUID, source: Iterable[Bytes], chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Encrypt the plaintext pieces of ``source``, yielding ciphertext as it becomes ready."""
    encryptor = Encryptor(data_key, version_id, chunk_size)
    for piece in source:
        if ciphertext := encryptor.update(piece):
            yield ciphertext
    yield encryptor.finalize()


def decrypt_chunks(data_key: bytes, version_id: uuid.UUID, source: Iterable[Bytes]) -> Iterator[bytes]:
    """Decrypt the ciphertext pieces of ``source``, yielding authenticated plaintext as it becomes ready.

    Nothing of a chunk that fails is yielded, but truncation is only known at the end: a
    consumer must treat what it received as void if the generator raises.
    """
    decryptor = Decryptor(data_key, version_id)
    for piece in source:
        if plaintext := decryptor.update(piece):
            yield plaintext
    if plaintext := decryptor.finalize():
        yield plaintext


class RandomAccessReader(io.RawIOBase):
    """A read-only, seekable plaintext view of a seekable ciphertext file, in constant memory.

    Each chunk is authenticated when it is read and the last two are cached. On construction the
    last chunk is authenticated as final and the length checked against the header's chunk
    size, so a stream cut at a chunk boundary is refused before any read. A chunk altered in the
    middle is only found when it is read: that read raises ``IntegrityError``. Closing the reader
    leaves ``source`` open; its owner closes it.
    """

    def __init__(self, data_key: bytes, version_id: uuid.UUID, source: SeekableSource) -> None:
        super().__init__()
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        _check_data_key(data_key)
        self._source = source
        source.seek(0)
        header = _Header.parse(_read_up_to(source, HEADER_SIZE), version_id)
        self._cipher = _ChunkCipher(AESGCM(data_key), header)
        self._chunk_size = header.chunk_size
        self._ciphertext_size = source.seek(0, io.SEEK_END)
        self._size = plaintext_size(self._ciphertext_size, header.chunk_size)
        self._last = max(1, -(-self._size // header.chunk_size)) - 1
        self._position = 0
        self._chunk(self._last)

    @property
    def size(self) -> int:
        """The plaintext length in bytes."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if position < 0:
            raise ValueError("cannot seek before the start")
        self._position = position
        return position

    def tell(self) -> int:
        self._check_open()
        return self._position

    def readinto(self, buffer: "WriteableBuffer", /) -> int:
        """Fill ``buffer`` across as many chunks as needed, since zipfile does not retry short reads."""
        self._check_open()
        with memoryview(buffer) as raw:
            target = raw.cast("B")
            written = 0
            while written < len(target) and self._position < self._size:
                index, offset = divmod(self._position, self._chunk_size)
                chunk = memoryview(self._chunk(index))
                count = min(len(chunk) - offset, len(target) - written)
                target[written : written + count] = chunk[offset : offset + count]
                written += count
                self._position += count
            return written

    def close(self) -> None:
        self._cache.clear()
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def _chunk(self, index: int) -> bytes:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        start = HEADER_SIZE + index * (self._chunk_size + TAG_SIZE)
        length = min(self._chunk_size + TAG_SIZE, self._ciphertext_size - start)
        self._source.seek(start)
        ciphertext = _read_up_to(self._source, length)
        if len(ciphertext) < length:
            raise IntegrityError("the ciphertext file ended early (truncated while being read)")
        plaintext = self._cipher.open(index, index == self._last, ciphertext)
        self._cache[index] = plaintext
        if len(self._cache) > _CACHED_CHUNKS:
            self._cache.popitem(last=False)
        return plaintext


def _read_up_to(source: SeekableSource, length: int) -> bytes:
    """Read ``length`` bytes, or fewer only at the end of the file, whatever the source's short reads."""
    pieces = []
    remaining = length
    while remaining:
        piece = source.read(remaining)
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)
