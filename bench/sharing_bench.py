"""Document sharing benchmarks: encryption throughput and memory, in storage and over HTTP. Prints figures; asserts nothing.

Every figure comes from one invocation on one random file (``--size-mib``, 1024 by default), so
they can be compared with each other: the single-pass limit (AES-256-GCM and SHA-256 over the
same 1 MiB chunks, nothing else), the app's own encrypt-to-storage and decrypt-from-storage
paths, the same through HTTP against the app on loopback, and ``age`` on the same file.

Each throughput is the best of ``--runs`` runs (3 by default). On a virtual machine that hands
freed memory back to its hypervisor, as these do, a write into memory the guest has not used
lately costs several times more than one into memory it freed a moment ago, and which run pays
for that is chance. Each run deletes what it wrote, so the next can reuse the memory as a
long-running server would.

Peak memory is the growth of a process's peak resident set (``VmHWM``) over its resident set
when the measured work starts: the peak is reset through ``/proc/<pid>/clear_refs`` first, so
start-up and earlier requests do not count. The storage paths run in a fresh process each time;
each upload and each download gets a fresh server. The largest growth of the runs is reported.
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from bench.reporting import require, say  # noqa: E402
from sharing.crypto import CHUNK_SIZE  # noqa: E402

MIB = 1024**2
# Throughput is in decimal megabytes, as disks and networks are sold: 1 MB = 10**6 bytes.
MB = 1_000_000
MEMORY_TARGET_MIB = 64
HTTP_TARGET_MB_S = 100
LIMIT_SHARE_TARGET = 0.5
# The bench's file is a PDF by its first bytes (the upload view sniffs the type) and random after.
PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
RESULT_PREFIX = "RESULT "
SERVER_START_SECONDS = 60
# Every setting that could point the app away from the embedded default: local storage, SQLite,
# a local keyring, no scanner, Celery eager (so the upload request includes the store step).
_APP_ENV_REMOVED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "SHARING_KEY_PROVIDER",
    "SHARING_KEYRING_FILE",
    "SHARING_KMS_KEY_ID",
    "SHARING_SPOOL_DIR",
    "SHARING_SCANNER_URL",
    "SHARING_MAX_UPLOAD_BYTES",
    "DHR_ENV",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "BEHIND_TLS_PROXY",
)


def mb_s(size: int, seconds: float) -> float:
    return size / seconds / MB


def load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    commit = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    changed = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "status", "--porcelain", "--", "sharing", "dhr_tracker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{commit or 'unknown'}{' with uncommitted changes in sharing/ or dhr_tracker/' if changed else ''}"


@dataclass
class Runs:
    """The throughputs (MB/s) and peak memory growths (MiB) of the runs of one path."""

    rates: list[float] = field(default_factory=list)
    memory: list[float | None] = field(default_factory=list)

    def add(self, rate: float, memory: float | None = None) -> None:
        self.rates.append(rate)
        self.memory.append(memory)

    @property
    def best(self) -> float:
        return max(self.rates)

    @property
    def most_memory(self) -> float | None:
        """The largest growth, or None if any run could not measure it."""
        return None if None in self.memory else max(m for m in self.memory if m is not None)


def run_line(path: str, run: int, size: int, seconds: float, detail: str = "") -> str:
    text = f"{path} run {run}: {size / MIB:,.0f} MiB in {seconds:.2f}s = {mb_s(size, seconds):,.0f} MB/s"
    return f"{text} ({detail})" if detail else text


def memory_note(value: float | None) -> str:
    measured = "not measurable (/proc/<pid>/clear_refs refused)" if value is None else f"{value:.1f} MiB"
    return f"; peak memory growth {measured}"


# Memory -------------------------------------------------------------------------------------------


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """The process's current (VmRSS) and peak (VmHWM) resident set, in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE).group(1)) for key in ("VmRSS", "VmHWM")}  # type: ignore[union-attr]


def reset_peak(pid: int | str = "self") -> int | None:
    """Reset the process's peak resident set to its current one; return that (KiB), or None if Linux refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return None
    return memory_kib(pid)["VmRSS"]


def peak_growth_mib(pid: int | str, baseline_kib: int | None) -> float | None:
    if baseline_kib is None:
        return None
    return (memory_kib(pid)["VmHWM"] - baseline_kib) / 1024


# The environment of the app under test ------------------------------------------------------------


def app_env(var_dir: Path, size: int) -> dict[str, str]:
    """The embedded default with everything under ``var_dir``, and an upload limit the file fits."""
    env = {k: v for k, v in os.environ.items() if k not in _APP_ENV_REMOVED}
    env.update(
        DHR_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="dhr_tracker.settings",
        # As in production: no debug bookkeeping (every query kept in memory, debug pages).
        DEBUG="false",
        LOG_LEVEL="WARNING",
        SHARING_MAX_UPLOAD_BYTES=str(max(2 * 1024**3, size + MIB)),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_child(phase: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run one phase of this script in a fresh interpreter and return what it reports."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, __file__, "--child", phase, *args], env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    require(done.returncode == 0 and bool(lines), f"phase {phase} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix(RESULT_PREFIX))
    return result


def report_child(result: dict[str, Any]) -> None:
    say(RESULT_PREFIX + json.dumps(result))


def setup_django() -> None:
    import django

    django.setup()


# The file, the single-pass limit and a plain write -------------------------------------------------


def make_file(path: Path, size: int) -> None:
    """Write ``size`` bytes: a PDF header, then random data, which neither compresses nor dedupes."""
    with path.open("wb") as out:
        out.write(PDF_HEADER)
        left = size - len(PDF_HEADER)
        while left > 0:
            out.write(os.urandom(min(CHUNK_SIZE, left)))
            left -= CHUNK_SIZE
        # On disk before anything is timed, so that its write-back does not compete with timed writes.
        out.flush()
        os.fsync(out.fileno())


@dataclass
class Limit:
    both: Runs = field(default_factory=Runs)
    aes: Runs = field(default_factory=Runs)
    sha: Runs = field(default_factory=Runs)
    sha256: str = ""


def bench_limit(path: Path, size: int, runs: int) -> Limit:
    """Time AES-256-GCM and SHA-256 of each 1 MiB chunk, in one loop; reading the file is not timed."""
    limit = Limit()
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    prefix = os.urandom(8)
    buffer = bytearray(CHUNK_SIZE)
    for run in range(1, runs + 1):
        digest = hashlib.sha256()
        aes_seconds = sha_seconds = 0.0
        with path.open("rb", buffering=0) as source:
            index = 0
            while count := source.readinto(buffer):
                chunk = memoryview(buffer)[:count]
                started = time.perf_counter()
                aead.encrypt(prefix + index.to_bytes(4, "big"), chunk, None)
                encrypted = time.perf_counter()
                digest.update(chunk)
                sha_seconds += time.perf_counter() - encrypted
                aes_seconds += encrypted - started
                index += 1
        limit.sha256 = digest.hexdigest()
        limit.both.add(mb_s(size, aes_seconds + sha_seconds))
        limit.aes.add(mb_s(size, aes_seconds))
        limit.sha.add(mb_s(size, sha_seconds))
        say(
            f"single-pass limit run {run}: AES-256-GCM + SHA-256 {limit.both.rates[-1]:,.0f} MB/s "
            f"(AES-256-GCM alone {limit.aes.rates[-1]:,.0f} MB/s, SHA-256 alone {limit.sha.rates[-1]:,.0f} MB/s)"
        )
    return limit


def bench_write(work: Path, size: int, runs: int) -> Runs:
    """Write ``size`` bytes to a new file in 1 MiB writes and fsync it: what the disk and page cache allow."""
    result = Runs()
    block = memoryview(os.urandom(CHUNK_SIZE))
    path = work / "plain-write"
    for run in range(1, runs + 1):
        started = time.perf_counter()
        with path.open("wb", buffering=0) as out:
            left = size
            while left > 0:
                out.write(block[: min(CHUNK_SIZE, left)])
                left -= CHUNK_SIZE
            written = time.perf_counter()
            os.fsync(out.fileno())
        finished = time.perf_counter()
        path.unlink()
        result.add(mb_s(size, finished - started))
        detail = f"1 MiB writes {written - started:.2f}s, fsync {finished - written:.2f}s"
        say(run_line("plain write to a new file", run, size, finished - started, detail))
    return result


# The storage paths, each in its own process ------------------------------------------------------


def child_encrypt(source: Path, work: Path) -> None:
    """Receive the file as the upload parser would hand it over, then store it, as the app does."""
    setup_django()
    from sharing import objects
    from sharing.keys import LocalKeyring
    from sharing.uploads import EncryptingUploadHandler

    size = source.stat().st_size
    provider = LocalKeyring(work / "keyring.json", create=True)
    # The handler only keeps the request; nothing of it is used outside the multipart parser.
    handler = EncryptingUploadHandler(
        None,  # type: ignore[arg-type]
        field_name="file",
        max_size=size,
        provider=provider,
        spool_dir=work / "spool",
    )
    name = objects.new_object_name()
    baseline = reset_peak()
    started = time.perf_counter()
    handler.new_file("file", "bench.pdf", "application/pdf", size)
    received = 0
    with source.open("rb", buffering=0) as data:
        while piece := data.read(CHUNK_SIZE):
            handler.receive_data_chunk(piece, received)
            received += len(piece)
    streamed = time.perf_counter()
    upload = handler.file_complete(received)
    require(upload is not None, f"the handler refused the file: {handler.refusal}")
    completed = time.perf_counter()
    objects.put(name, upload.path)
    finished = time.perf_counter()
    report_child(
        {
            "seconds": finished - started,
            "stream_seconds": streamed - started,
            "complete_seconds": completed - streamed,
            "put_seconds": finished - completed,
            "memory_mib": peak_growth_mib("self", baseline),
            "object_name": name,
            "wrapped_key": upload.wrapped_key.to_text(),
            "version_id": str(upload.version_id),
            "sha256": upload.sha256,
            "size": upload.size,
        }
    )


def child_decrypt(work: Path, stored: dict[str, Any]) -> None:
    """Stream the stored object back as the download view does: unwrap, decrypt, check the SHA-256."""
    setup_django()
    from sharing import objects
    from sharing.crypto import decrypt_chunks
    from sharing.keys import LocalKeyring, WrappedKey

    provider = LocalKeyring(work / "keyring.json")
    version_id = uuid.UUID(stored["version_id"])
    baseline = reset_peak()
    started = time.perf_counter()
    data_key = provider.unwrap(WrappedKey.from_text(stored["wrapped_key"]), str(version_id))
    digest = hashlib.sha256()
    size = 0
    for piece in decrypt_chunks(data_key, version_id, objects.read(stored["object_name"])):
        digest.update(piece)
        size += len(piece)
    finished = time.perf_counter()
    report_child(
        {
            "seconds": finished - started,
            "memory_mib": peak_growth_mib("self", baseline),
            "verified": digest.hexdigest() == stored["sha256"] and size == stored["size"],
        }
    )


@dataclass
class Storage:
    encrypt: Runs = field(default_factory=Runs)
    decrypt: Runs = field(default_factory=Runs)


def storage_run(storage: Storage, run: int, source: Path, work: Path, size: int, sha256: str) -> None:
    """Encrypt the file into storage and read it back, each in a fresh process; then delete the object."""
    env = app_env(work / "var", size)
    stored = run_child("encrypt", env, "--file", str(source), "--work", str(work))
    require(stored["sha256"] == sha256, "the upload handler's SHA-256 is not the file's")
    storage.encrypt.add(mb_s(size, stored["seconds"]), stored["memory_mib"])
    detail = (
        f"new_file and receive_data_chunk {stored['stream_seconds']:.2f}s, file_complete {stored['complete_seconds']:.2f}s, "
        f"objects.put {stored['put_seconds']:.3f}s"
    )
    say(run_line("storage encrypt", run, size, stored["seconds"], detail) + memory_note(stored["memory_mib"]))
    read = run_child("decrypt", env, "--work", str(work), "--stored", json.dumps(stored))
    require(read["verified"], "the decrypted object does not match the upload's SHA-256")
    storage.decrypt.add(mb_s(size, read["seconds"]), read["memory_mib"])
    say(run_line("storage decrypt", run, size, read["seconds"], "SHA-256 checked") + memory_note(read["memory_mib"]))
    # Measured: nothing needs it, and the next run can reuse its memory.
    (work / "var" / "documents" / stored["object_name"]).unlink()


# age ------------------------------------------------------------------------------------------------


@dataclass
class Age:
    command: str
    key: Path
    recipient: str
    encrypt: Runs = field(default_factory=Runs)
    decrypt: Runs = field(default_factory=Runs)


def find_age(work: Path) -> Age | None:
    """The ``age`` command (Debian package ``age``) with a new X25519 identity, or None if it is not installed."""
    age, keygen = shutil.which("age"), shutil.which("age-keygen")
    if age is None or keygen is None:
        say("age not installed: skipped (install it with `apt-get install -y age`)")
        return None
    key = work / "age-key.txt"
    subprocess.run([keygen, "-o", str(key)], check=True, capture_output=True)  # noqa: S603 - fixed arguments
    match = re.search(r"^# public key: (age1\S+)$", key.read_text(), re.MULTILINE)
    require(match is not None, "age-keygen wrote no public key")
    version = subprocess.run([age, "--version"], check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603 - fixed arguments
    say(f"age {version}: X25519 recipient, ChaCha20-Poly1305, timed by wall clock")
    return Age(age, key, match.group(1))  # type: ignore[union-attr]


def age_run(age: Age, run: int, source: Path, work: Path, size: int, sha256: str) -> None:
    """Encrypt the file with ``age`` and decrypt it again, check the result, and delete both."""
    sealed, opened = work / "file.age", work / "file.out"
    started = time.perf_counter()
    subprocess.run([age.command, "-r", age.recipient, "-o", str(sealed), str(source)], check=True)  # noqa: S603 - fixed arguments
    encrypted = time.perf_counter()
    subprocess.run([age.command, "-d", "-i", str(age.key), "-o", str(opened), str(sealed)], check=True)  # noqa: S603 - fixed arguments
    decrypted = time.perf_counter()
    require(file_sha256(opened) == sha256, "age's decryption does not match the file")
    age.encrypt.add(mb_s(size, encrypted - started))
    age.decrypt.add(mb_s(size, decrypted - encrypted))
    say(run_line("age encrypt", run, size, encrypted - started))
    say(run_line("age decrypt", run, size, decrypted - encrypted))
    sealed.unlink()
    opened.unlink()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    with path.open("rb", buffering=0) as source:
        while count := source.readinto(buffer):
            digest.update(memoryview(buffer)[:count])
    return digest.hexdigest()


# HTTP -----------------------------------------------------------------------------------------------


def child_seed() -> None:
    """Two agencies under a signed protocol, a space, and a verified session for a member of it."""
    setup_django()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY

    from dhr_tracker.accounts.models import (
        Agency,
        AgencyKind,
        AgencyMembership,
        Partnership,
        PartnershipRole,
        PartnershipRoleKind,
        TOTPDevice,
        User,
        new_totp_secret,
    )
    from dhr_tracker.accounts.rules import SUDO_SESSION_KEY
    from sharing.models import Classification, LegalBasis
    from sharing.services import protocols

    partnership = Partnership.objects.create(
        name="Bench Community Safety Partnership", slug="bench", local_authority="Bench Council"
    )
    coordinator = User.objects.create_user("coordinator@bench.example", None, full_name="Bench Coordinator")
    PartnershipRole.objects.create(user=coordinator, partnership=partnership, role=PartnershipRoleKind.CSP_COORDINATOR)
    people = []
    for name, kind in (("Bench Police", AgencyKind.POLICE), ("Bench Health", AgencyKind.HEALTH_TRUST)):
        agency = Agency.objects.create(name=name, kind=kind)
        agency.partnerships.add(partnership)
        person = User.objects.create_user(f"{kind}@bench.example", None, full_name=f"Bench {kind} contributor")
        AgencyMembership.objects.create(user=person, agency=agency)
        people.append((agency, person))
    today = timezone.localdate()
    protocol = protocols.draft_protocol(
        actor=coordinator,
        scope_id=partnership.pk,
        fields={
            "title": "Bench information sharing",
            "purposes": "Benchmarking",
            "legal_bases": [LegalBasis.DVCVA_2004_S9],
            "legal_basis_other": "",
            "max_classification": Classification.OFFICIAL_SENSITIVE,
            "data_categories": "Random bytes",
            "retention_months": 24,
            "valid_from": today - timedelta(days=1),
            "valid_to": today + timedelta(days=365),
            "review_date": today + timedelta(days=180),
        },
        parties=[protocols.PartyLine(agency.pk, person.pk, "Data Protection Officer") for agency, person in people],
        request=None,
    )
    for party in protocol.parties.select_related("protocol"):
        protocols.sign_protocol(party, actor=party.signatory, request=None)
    space = protocols.create_space(protocol, actor=coordinator, name="Bench space", request=None)
    for agency, person in people:
        protocols.add_member(space, actor=coordinator, user_id=person.pk, party_id=agency.pk, request=None)
    uploader = people[0][1]
    device = TOTPDevice(user=uploader, name="Authenticator app", confirmed=True)
    device.set_secret(new_totp_secret())
    device.save()
    client = Client()
    client.force_login(uploader)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SUDO_SESSION_KEY] = time.time()
    session.save()
    report_child({"space_id": space.pk, "cookie": settings.SESSION_COOKIE_NAME, "session": session.session_key})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """The app under ``manage.py runserver`` (one process, one request at a time) on loopback."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "runserver",
                    "--noreload",
                    "--nothreading",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            require(self.process.poll() is None, f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                require(time.monotonic() < deadline, "the server did not start listening")
                time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def pid(self) -> int:
        require(self.process is not None, "the server is not running")
        return self.process.pid  # type: ignore[union-attr]

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.connect()
        return connection


@dataclass
class Browser:
    """Just enough of a browser: cookies, and the headers a same-origin form post carries."""

    cookies: dict[str, str]

    def headers(self, server: Server) -> dict[str, str]:
        return {
            "Host": f"127.0.0.1:{server.port}",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }

    def keep(self, response: http.client.HTTPResponse) -> None:
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def get(self, server: Server, path: str) -> tuple[int, str, str]:
        """Return the status, the Location header and the page."""
        connection = server.connect()
        try:
            connection.request("GET", path, headers=self.headers(server))
            response = connection.getresponse()
            body = response.read().decode()
            self.keep(response)
            return response.status, response.getheader("Location", ""), body
        finally:
            connection.close()


def upload(server: Server, browser: Browser, path: str, token: str, source: Path, size: int) -> tuple[float, str]:
    """Post the file as the upload form does, streamed from disk in 1 MiB writes; return seconds and Location."""
    boundary = f"----dhr-sharing-bench-{secrets.token_hex(8)}"
    fields = {
        "csrfmiddlewaretoken": token,
        "title": "Bench upload",
        "description": "",
        "classification": "official",
    }
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{source.name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    origin = f"http://127.0.0.1:{server.port}"
    headers = {
        **browser.headers(server),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
        "Origin": origin,
        "Sec-Fetch-Site": "same-origin",
    }
    buffer = bytearray(CHUNK_SIZE)
    connection = server.connect()
    try:
        started = time.perf_counter()
        connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(head)
        with source.open("rb", buffering=0) as data:
            while count := data.readinto(buffer):
                connection.send(memoryview(buffer)[:count])
        connection.send(tail)
        response = connection.getresponse()
        page = response.read()
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    require(
        response.status == 302,
        f"the upload answered {response.status}, not a redirect:\n{page.decode(errors='replace')[-3000:]}",
    )
    return elapsed, response.getheader("Location", "")


def download(server: Server, browser: Browser, path: str, size: int) -> tuple[float, str]:
    """Read the download in 1 MiB pieces, hashing them; return seconds and the SHA-256."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    received = 0
    connection = server.connect()
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=browser.headers(server))
        response = connection.getresponse()
        require(response.status == 200, f"the download answered {response.status}")
        require(response.getheader("Content-Length") == str(size), "the download's Content-Length is not the size")
        while count := response.readinto(buffer):
            digest.update(memoryview(buffer)[:count])
            received += count
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    require(received == size, f"the download ended after {received} of {size} bytes")
    return elapsed, digest.hexdigest()


@dataclass
class Http:
    upload: Runs = field(default_factory=Runs)
    download: Runs = field(default_factory=Runs)


def bench_http(source: Path, work: Path, size: int, sha256: str, runs: int) -> Http:
    """Upload the file and download it again through the app on loopback, ``runs`` times."""
    result = Http()
    work.mkdir()
    var = work / "var"
    env = app_env(var, size)
    log = work / "server.log"
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    require(done.returncode == 0, f"migrate failed:\n{done.stdout}\n{done.stderr}")
    seed = run_child("seed", env)
    browser = Browser({seed["cookie"]: seed["session"]})
    form_path = f"/sharing/spaces/{seed['space_id']}/upload/"
    for run in range(1, runs + 1):
        with Server(env, log) as server:
            status, _, page = browser.get(server, form_path)
            require(status == 200, f"the upload page answered {status}")
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            require(match is not None, "the upload page has no CSRF token")
            baseline = reset_peak(server.pid)
            seconds, location = upload(server, browser, form_path, match.group(1), source, size)  # type: ignore[union-attr]
            memory = peak_growth_mib(server.pid, baseline)
        result.upload.add(mb_s(size, seconds), memory)
        detail = "first byte sent to the redirect, storing included; memory is the server's"
        say(run_line("HTTP upload", run, size, seconds, detail) + memory_note(memory))

        with Server(env, log) as server:
            status, _, page = browser.get(server, location)
            require(status == 200, f"the document page answered {status}")
            match = re.search(r'href="(/sharing/documents/\d+/versions/[0-9a-f-]+/download/)"', page)
            require(match is not None, "the document page offers no download: the version was not stored")
            baseline = reset_peak(server.pid)
            seconds, received = download(server, browser, match.group(1), size)  # type: ignore[union-attr]
            memory = peak_growth_mib(server.pid, baseline)
        require(received == sha256, "the downloaded file does not match the original")
        result.download.add(mb_s(size, seconds), memory)
        detail = "request sent to last byte read, SHA-256 checked; memory is the server's"
        say(run_line("HTTP download", run, size, seconds, detail) + memory_note(memory))
        # Measured: the bench's private storage need not keep it, and its memory is reused next run.
        shutil.rmtree(var / "documents")
    shutil.rmtree(work)
    return result


# The summary -----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    value: str
    target: str = ""
    met: bool | None = None


def summary(limit: Limit, plain: Runs, storage: Storage, age: Age | None, web: Http) -> list[Row]:
    top = limit.both.best
    floor = top * LIMIT_SHARE_TARGET

    def share(rate: float) -> str:
        return f"{rate:,.0f} MB/s ({rate / top:.0%} of limit)"

    def memory(name: str, value: float | None) -> Row:
        if value is None:
            return Row(name, "not measurable", f"< {MEMORY_TARGET_MIB} MiB")
        return Row(name, f"{value:.1f} MiB", f"< {MEMORY_TARGET_MIB} MiB", value < MEMORY_TARGET_MIB)

    def versus_age(name: str, ours: float, theirs: Callable[[Age], Runs]) -> Row:
        if age is None:
            return Row(name, "age not installed", "faster than age")
        rate = theirs(age).best
        return Row(name, f"{ours:,.0f} vs {rate:,.0f} MB/s", "faster than age", ours > rate)

    def at_least(name: str, rate: float, target: float, label: str) -> Row:
        return Row(name, share(rate) if label else f"{rate:,.0f} MB/s", f">= {target:,.0f} MB/s{label}", rate >= target)

    return [
        Row("single-pass limit (AES-256-GCM + SHA-256)", f"{top:,.0f} MB/s"),
        Row("  AES-256-GCM alone", f"{limit.aes.best:,.0f} MB/s"),
        Row("  SHA-256 alone", f"{limit.sha.best:,.0f} MB/s"),
        Row("plain write to a new file (+ fsync)", f"{plain.best:,.0f} MB/s"),
        Row("age encrypt", f"{age.encrypt.best:,.0f} MB/s" if age else "not installed"),
        Row("age decrypt", f"{age.decrypt.best:,.0f} MB/s" if age else "not installed"),
        at_least("storage encrypt", storage.encrypt.best, floor, " (50%)"),
        versus_age("storage encrypt vs age", storage.encrypt.best, lambda a: a.encrypt),
        at_least("storage decrypt", storage.decrypt.best, floor, " (50%)"),
        versus_age("storage decrypt vs age", storage.decrypt.best, lambda a: a.decrypt),
        memory("storage encrypt peak memory growth", storage.encrypt.most_memory),
        memory("storage decrypt peak memory growth", storage.decrypt.most_memory),
        at_least("HTTP upload", web.upload.best, HTTP_TARGET_MB_S, ""),
        at_least("HTTP download", web.download.best, HTTP_TARGET_MB_S, ""),
        memory("HTTP upload server peak memory growth", web.upload.most_memory),
        memory("HTTP download server peak memory growth", web.download.most_memory),
    ]


def print_summary(rows: list[Row], runs: int) -> None:
    widths = [max(len(getattr(row, column)) for row in rows) for column in ("name", "value", "target")]
    say("")
    say(f"Summary: each throughput the best of {runs} runs, each memory growth the largest")
    say(f"{'figure':<{widths[0]}}  {'measured':<{widths[1]}}  {'target':<{widths[2]}}  met")
    for row in rows:
        met = "" if not row.target else ("not measured" if row.met is None else ("yes" if row.met else "NO"))
        say(f"{row.name:<{widths[0]}}  {row.value:<{widths[1]}}  {row.target:<{widths[2]}}  {met}".rstrip())
    judged = [row for row in rows if row.met is not None]
    say(f"targets met: {sum(1 for row in judged if row.met)} of {len(judged)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the test file in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each path; the best counts (default 3)")
    parser.add_argument("--child", choices=("encrypt", "decrypt", "seed"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stored", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "encrypt":
        return child_encrypt(args.file, args.work)
    if args.child == "decrypt":
        return child_decrypt(args.work, json.loads(args.stored))
    if args.child == "seed":
        return child_seed()
    require(args.size_mib >= 1, "--size-mib must be at least 1")
    require(args.runs >= 1, "--runs must be at least 1")
    size = args.size_mib * MIB
    say(
        f"Document sharing benchmarks: one {size / MIB:,.0f} MiB file ({size:,} bytes), {args.runs} runs of each path, "
        f"{os.cpu_count()} CPUs, load average {load()}; MB = 10^6 bytes"
    )
    say(f"code measured: {code_version()}")
    with tempfile.TemporaryDirectory(prefix="dhr-sharing-bench-") as tmp:
        work = Path(tmp)
        source = work / "bench.pdf"
        started = time.perf_counter()
        make_file(source, size)
        say(f"(wrote the random test file in {time.perf_counter() - started:.1f}s)")
        limit = bench_limit(source, size, args.runs)
        plain = bench_write(work, size, args.runs)
        storage, age = Storage(), find_age(work)
        (work / "storage").mkdir()
        (work / "age").mkdir()
        # Alternated, so that neither path is always the one to run into memory the other freed.
        for run in range(1, args.runs + 1):
            storage_run(storage, run, source, work / "storage", size, limit.sha256)
            if age is not None:
                age_run(age, run, source, work / "age", size, limit.sha256)
        web = bench_http(source, work / "http", size, limit.sha256, args.runs)
    print_summary(summary(limit, plain, storage, age, web), args.runs)
    say(f"load average at the end {load()} (other work on this machine slows every figure)")


if __name__ == "__main__":
    main()
