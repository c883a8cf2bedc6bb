"""The clamd client against a fake clamd on real sockets, and the scanner configuration URL.

ClamAV cannot run here (its signature database needs the internet), so ``FakeClamd`` speaks the
same zINSTREAM framing: four-byte big-endian lengths, a zero-length terminator, NUL-terminated
replies, and clamd's answers for a clean stream, the EICAR test file and an oversized stream.
"""

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from sharing.scanning import (
    CLAMD_PORT,
    SEND_SIZE,
    ClamdScanner,
    NoScanner,
    ScannerMisconfigured,
    ScannerUnavailable,
    scanner_from_url,
)
from tests.sharing.samples import EICAR

Behaviour = Literal["clamd", "hang-up-mid-stream", "no-reply", "reset-when-too-long", "garbled"]
EICAR_SIGNATURE = "Win.Test.EICAR_HDB-1"


class _Handler(socketserver.BaseRequestHandler):
    server: "_TCPServer | _UnixServer"

    def handle(self) -> None:
        fake: FakeClamd = self.server.fake
        conn: socket.socket = self.request
        command = _read_until_nul(conn)
        if command == b"zPING":
            conn.sendall(b"PONG\0")
            return
        assert command == b"zINSTREAM"
        stream = bytearray()
        while True:
            (length,) = struct.unpack(">I", _read_exact(conn, 4))
            if length == 0:
                break
            fake.frames.append(length)
            stream += _read_exact(conn, length)
            if fake.behaviour == "hang-up-mid-stream":
                return
            if len(stream) > fake.max_length:
                conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")
                if fake.behaviour == "reset-when-too-long":
                    return  # like clamd: hang up with the client's data unread
                _drain(conn)
                return
        if fake.behaviour == "no-reply":
            fake.release.wait(10)
        elif fake.behaviour == "garbled":
            conn.sendall(b"stream: MAYBE\0")
        elif EICAR in stream:
            conn.sendall(f"stream: {EICAR_SIGNATURE} FOUND\0".encode())
        else:
            conn.sendall(b"stream: OK\0")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    fake: "FakeClamd"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-test is expected; keep tracebacks out of the output."""


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False
    fake: "FakeClamd"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-test is expected; keep tracebacks out of the output."""


class FakeClamd:
    def __init__(self, server: "_TCPServer | _UnixServer", behaviour: Behaviour, max_length: int) -> None:
        self.server = server
        self.behaviour = behaviour
        self.max_length = max_length
        self.frames: list[int] = []
        self.release = threading.Event()
        server.fake = self

    @property
    def port(self) -> int:
        return int(self.server.socket.getsockname()[1])


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = conn.recv(size - len(data))
        if not part:
            raise ConnectionError("client hung up")
        data += part
    return data


def _read_until_nul(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\0"):
        data += _read_exact(conn, 1)
    return data[:-1]


def _drain(conn: socket.socket) -> None:
    """Read until the client stops sending, so the reply is not lost to a reset."""
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(65536):
        pass


def _serve(server: "_TCPServer | _UnixServer", behaviour: Behaviour, max_length: int) -> Iterator[FakeClamd]:
    fake = FakeClamd(server, behaviour, max_length)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def behaviour() -> Behaviour:
    return "clamd"


@pytest.fixture
def clamd(behaviour: Behaviour) -> Iterator[FakeClamd]:
    yield from _serve(_TCPServer(("127.0.0.1", 0), _Handler), behaviour, max_length=1024 * 1024)


def tcp_scanner(fake: FakeClamd, *, timeout: float = 5.0) -> ClamdScanner:
    return ClamdScanner(("127.0.0.1", fake.port), timeout=timeout)


def test_clean_stream_is_clean(clamd: FakeClamd) -> None:
    result = tcp_scanner(clamd).scan([b"Chronology of agency contact", b"\n"])
    assert (result.clean, result.signature, result.scanner) == (True, None, "clamd")


def test_eicar_is_found_across_chunk_boundaries(clamd: FakeClamd) -> None:
    result = tcp_scanner(clamd).scan([b"prefix ", EICAR[:20], EICAR[20:], b" suffix"])
    assert (result.clean, result.signature, result.scanner) == (False, EICAR_SIGNATURE, "clamd")


def test_large_chunks_are_split_and_empty_ones_skipped(clamd: FakeClamd) -> None:
    """An empty frame is the terminator: sending one early would let clamd judge half a file."""
    tcp_scanner(clamd).scan([b"", b"x" * (2 * SEND_SIZE + 10), b"", b"abc"])
    assert clamd.frames == [SEND_SIZE, SEND_SIZE, 10, 3]


def test_empty_stream_is_scanned(clamd: FakeClamd) -> None:
    assert tcp_scanner(clamd).scan([]).clean


def test_ping(clamd: FakeClamd) -> None:
    tcp_scanner(clamd).ping()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_unavailable() -> None:
    scanner = ClamdScanner(("127.0.0.1", _free_port()), timeout=2)
    with pytest.raises(ScannerUnavailable, match=r"Could not connect to clamd at 127.0.0.1:"):
        scanner.scan([b"data"])
    with pytest.raises(ScannerUnavailable, match="Could not connect"):
        scanner.ping()


@pytest.mark.parametrize("behaviour", ["hang-up-mid-stream"])
def test_hang_up_mid_stream_is_unavailable_not_clean(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable, match=r"clamd at 127.0.0.1"):
        tcp_scanner(clamd).scan(b"x" * SEND_SIZE for _ in range(64))


@pytest.mark.parametrize("behaviour", ["hang-up-mid-stream"])
def test_hang_up_after_a_short_stream_is_unavailable(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable, match=r"without a verdict|stopped taking the file"):
        tcp_scanner(clamd).scan([b"short"])


def test_oversized_stream_names_stream_max_length(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable, match="larger than its StreamMaxLength") as caught:
        tcp_scanner(clamd).scan([b"x" * (clamd.max_length + 1)])
    assert "clamd.conf" in str(caught.value)


@pytest.mark.parametrize("behaviour", ["reset-when-too-long"])
def test_oversized_stream_cut_off_while_sending_names_stream_max_length(clamd: FakeClamd) -> None:
    """Real clamd hangs up at once; whether its reason survives the reset depends on timing."""
    with pytest.raises(ScannerUnavailable, match="StreamMaxLength"):
        tcp_scanner(clamd).scan(b"x" * SEND_SIZE for _ in range(256))


@pytest.mark.parametrize("behaviour", ["no-reply"])
def test_silent_scanner_times_out(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable, match=r"did not answer within 0.3 s"):
        tcp_scanner(clamd, timeout=0.3).scan([b"data"])


@pytest.mark.parametrize("behaviour", ["garbled"])
def test_unexpected_reply_is_unavailable_not_clean(clamd: FakeClamd) -> None:
    with pytest.raises(ScannerUnavailable, match="gave no verdict: 'stream: MAYBE'"):
        tcp_scanner(clamd).scan([b"data"])


@pytest.fixture
def unix_clamd(tmp_path: Path) -> Iterator[FakeClamd]:
    yield from _serve(_UnixServer(str(tmp_path / "clamd.sock"), _Handler), "clamd", max_length=1024 * 1024)


def test_unix_socket(unix_clamd: FakeClamd) -> None:
    scanner = scanner_from_url(f"clamd+unix://{unix_clamd.server.server_address}")
    scanner.ping()
    assert scanner.scan([b"clean"]).clean
    assert scanner.scan([EICAR]).signature == EICAR_SIGNATURE


def test_missing_unix_socket_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ScannerUnavailable, match="Could not connect to clamd at /"):
        ClamdScanner(str(tmp_path / "absent.sock")).scan([b"data"])


def test_no_scanner_reads_the_stream_and_calls_it_clean() -> None:
    """The caller's chunks may verify integrity as they decrypt, so they are consumed all the same."""
    read: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for chunk in (b"a", b"b"):
            read.append(chunk)
            yield chunk

    scanner = NoScanner()
    result = scanner.scan(chunks())
    assert (result.clean, result.signature, result.scanner) == (True, None, "none")
    assert read == [b"a", b"b"]
    scanner.ping()


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("clamd://clamav:3310", ("clamav", 3310)),
        ("clamd://clamav", ("clamav", CLAMD_PORT)),
        ("clamd://10.0.0.5:3999/", ("10.0.0.5", 3999)),
        ("clamd://[::1]:3310", ("::1", 3310)),
        ("clamd+unix:///run/clamav/clamd.ctl", "/run/clamav/clamd.ctl"),
    ],
)
def test_scanner_from_url(url: str, address: tuple[str, int] | str) -> None:
    scanner = scanner_from_url(url, timeout=7)
    assert isinstance(scanner, ClamdScanner)
    assert (scanner.address, scanner.timeout) == (address, 7)


def test_empty_url_means_no_scanner() -> None:
    assert isinstance(scanner_from_url(""), NoScanner)


@pytest.mark.parametrize(
    "url",
    [
        "http://clamav:3310",
        "clamd://",
        "clamd://clamav:port",
        "clamd://clamav:3310/scan",
        "clamd://clamav:3310?timeout=5",
        "clamd://user:secret@clamav:3310",
        "clamd+unix://relative/clamd.sock",
        "clamd+unix://",
    ],
)
def test_unusable_url_is_refused_with_the_expected_shape(url: str) -> None:
    with pytest.raises(ScannerMisconfigured, match=r"The scanner URL '.*' (must|has)"):
        scanner_from_url(url)
