"""Virus scanning of uploads, streamed from memory to a scanner. Pure: no Django, no settings.

Threat: a partner agency's infected machine uploads malware that other agencies then open.
Sniffing (``sharing.sniffing``) only admits expected types; a scanner looks inside them for known
exploits and malware. Plaintext exists only in memory: chunks are streamed to the scanner and
never written to disk here, so a scanner that works on files is not supported.

Fail closed: only an explicit clean verdict is clean. A scanner that cannot be reached, times
out, closes the connection, refuses the stream as too large or answers anything unexpected
raises ``ScannerUnavailable``; the caller keeps the upload quarantined and retries, it never
treats the file as clean.

Configuration is passed in (``scanner_from_url``), so callers read it from settings once.
"""

import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

# clamd's default TCP port.
CLAMD_PORT = 3310
DEFAULT_TIMEOUT = 60.0
# Largest chunk sent in one INSTREAM frame. clamd accepts any frame up to StreamMaxLength;
# small frames keep our send buffer small and let clamd refuse an oversized stream early.
SEND_SIZE = 64 * 1024
# Replies are one short line; anything longer is not clamd.
MAX_REPLY = 4096


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    # The name of what was found, e.g. "Win.Test.EICAR_HDB-1"; None when clean.
    signature: str | None
    # Which scanner gave the verdict, for the audit record: "none" or "clamd".
    scanner: str


class ScannerUnavailable(Exception):
    """The scanner gave no verdict. The message says what an operator should look at."""


class ScannerMisconfigured(ValueError):
    """The scanner URL in the configuration cannot be used."""


class Scanner(Protocol):
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        """Scan the plaintext given as ``chunks``; raise ``ScannerUnavailable`` without a verdict."""
        ...

    def ping(self) -> None:
        """Raise ``ScannerUnavailable`` unless the scanner is ready, for health checks."""
        ...


class NoScanner:
    """Used when no scanner is configured: everything is clean, and results say so ("none")."""

    name = "none"

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        """Read the chunks all the same, so decryption and integrity checks run as with a scanner."""
        for _ in chunks:
            pass
        return ScanResult(clean=True, signature=None, scanner=self.name)

    def ping(self) -> None:
        """Nothing to reach."""


class ClamdScanner:
    """Speak clamd's INSTREAM protocol over TCP or a Unix socket.

    The plaintext goes to clamd as length-prefixed frames (a four-byte big-endian length, then
    that many bytes) ended by a zero length. clamd answers ``stream: OK``, ``stream: <name>
    FOUND`` or ``<reason> ERROR``. Commands use the "z" form, NUL-terminated, so replies are too.

    clamd refuses a stream longer than its StreamMaxLength (25 MB by default) with "INSTREAM
    size limit exceeded" and closes the connection, often while we are still sending. Both
    cases are reported as ``ScannerUnavailable`` naming StreamMaxLength, which must be at least
    the upload limit.
    """

    name = "clamd"

    def __init__(self, address: tuple[str, int] | str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """``address`` is ``(host, port)`` for TCP or a filesystem path for a Unix socket."""
        self.address = address
        self.timeout = timeout

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        with self._connect() as conn:
            try:
                conn.sendall(b"zINSTREAM\0")
                for frame in _frames(chunks):
                    conn.sendall(frame)
                conn.sendall(struct.pack(">I", 0))
            except OSError as exc:
                raise ScannerUnavailable(self._lost_mid_stream(conn, exc)) from exc
            return self._verdict(self._reply(conn))

    def ping(self) -> None:
        with self._connect() as conn:
            try:
                conn.sendall(b"zPING\0")
            except OSError as exc:
                raise ScannerUnavailable(f"clamd at {self._where} closed the connection: {exc}") from exc
            reply = self._reply(conn)
        if reply != "PONG":
            raise ScannerUnavailable(f"clamd at {self._where} answered PING with {reply!r}")

    @property
    def _where(self) -> str:
        return self.address if isinstance(self.address, str) else f"{self.address[0]}:{self.address[1]}"

    def _connect(self) -> socket.socket:
        try:
            if isinstance(self.address, str):
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.settimeout(self.timeout)
                try:
                    conn.connect(self.address)
                except OSError:
                    conn.close()
                    raise
                return conn
            return socket.create_connection(self.address, timeout=self.timeout)
        except OSError as exc:
            raise ScannerUnavailable(f"Could not connect to clamd at {self._where}: {exc}") from exc

    def _reply(self, conn: socket.socket) -> str:
        """Read one NUL-terminated reply, at most ``MAX_REPLY`` bytes."""
        data = b""
        try:
            while not data.endswith(b"\0"):
                part = conn.recv(MAX_REPLY - len(data))
                if not part:
                    break
                data += part
                if len(data) >= MAX_REPLY:
                    raise ScannerUnavailable(f"clamd at {self._where} sent a reply longer than {MAX_REPLY} bytes")
        except TimeoutError as exc:
            raise ScannerUnavailable(f"clamd at {self._where} did not answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self._where} closed the connection without a verdict: {exc}") from exc
        if not data:
            raise ScannerUnavailable(f"clamd at {self._where} closed the connection without a verdict")
        return data.rstrip(b"\0").decode("utf-8", "replace").strip()

    def _lost_mid_stream(self, conn: socket.socket, exc: OSError) -> str:
        """Explain a failed send. clamd may have refused the stream and hung up, its reason waiting to be read."""
        try:
            conn.settimeout(1.0)
            reason = self._reply(conn)
        except ScannerUnavailable:
            reason = str(exc) or type(exc).__name__
        if "size limit exceeded" in reason:
            return self._size_limit_message()
        return (
            f"clamd at {self._where} stopped taking the file ({reason}); "
            "if the file is large, check StreamMaxLength in clamd.conf"
        )

    def _size_limit_message(self) -> str:
        return (
            f"clamd at {self._where} refused the file as larger than its StreamMaxLength; "
            "set StreamMaxLength in clamd.conf to at least the upload size limit"
        )

    def _verdict(self, reply: str) -> ScanResult:
        """Turn clamd's reply into a result, failing closed on anything unexpected."""
        if reply == "stream: OK":
            return ScanResult(clean=True, signature=None, scanner=self.name)
        if reply.startswith("stream: ") and reply.endswith(" FOUND"):
            signature = reply.removeprefix("stream: ").removesuffix(" FOUND").strip()
            return ScanResult(clean=False, signature=signature or "unknown", scanner=self.name)
        if "size limit exceeded" in reply:
            raise ScannerUnavailable(self._size_limit_message())
        raise ScannerUnavailable(f"clamd at {self._where} gave no verdict: {reply!r}")


def _frames(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield INSTREAM frames of at most ``SEND_SIZE`` bytes each; empty chunks are skipped.

    An empty frame would end the stream early, so that clamd judged only part of the file.
    """
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), SEND_SIZE):
            piece = view[start : start + SEND_SIZE]
            yield struct.pack(">I", len(piece)) + piece


def scanner_from_url(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Scanner:
    """Return the scanner a configuration URL names.

    "" means no scanner; ``clamd://host:port`` (port 3310 if omitted) is clamd over TCP;
    ``clamd+unix:///path/to/clamd.sock`` is clamd over a Unix socket.
    """
    if not url:
        return NoScanner()
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ScannerMisconfigured(f"The scanner URL {url!r} must not have a query, fragment, user or password")
    if parts.scheme == "clamd":
        try:
            port = parts.port or CLAMD_PORT
        except ValueError as exc:
            raise ScannerMisconfigured(f"The scanner URL {url!r} has an invalid port") from exc
        if not parts.hostname or parts.path not in ("", "/"):
            raise ScannerMisconfigured(f"The scanner URL {url!r} must look like clamd://host:3310")
        return ClamdScanner((parts.hostname, port), timeout=timeout)
    if parts.scheme == "clamd+unix":
        if parts.netloc or not parts.path.startswith("/"):
            raise ScannerMisconfigured(f"The scanner URL {url!r} must look like clamd+unix:///run/clamav/clamd.sock")
        return ClamdScanner(parts.path, timeout=timeout)
    raise ScannerMisconfigured(f"The scanner URL {url!r} must start with clamd:// or clamd+unix://, or be empty")
