"""The disaster-recovery decryptor, run as operators run it: ``python -m sharing.decrypt`` in a subprocess."""

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from sharing.crypto import HEADER_SIZE, TAG_SIZE, encrypt_chunks
from sharing.decrypt import EXIT_INTEGRITY, EXIT_UNAVAILABLE, EXIT_USAGE, main
from sharing.keys import KmsKeyProvider, LocalKeyring, WrappedKey
from tests.sharing.kms_server import REGION, moto_endpoint

__all__ = ["moto_endpoint"]  # a fixture, used by name

REPOSITORY = Path(__file__).resolve().parents[2]
SMALL = 64


@dataclass
class Stored:
    """One stored document version, as recovery finds it: a keyring, a row's values, an object file."""

    keyring: Path
    version_id: uuid.UUID
    wrapped: WrappedKey
    object: Path
    plaintext: bytes

    def args(self, *extra: str) -> list[str]:
        return [
            "--keyring",
            str(self.keyring),
            "--wrapped-key",
            self.wrapped.to_text(),
            "--version-id",
            str(self.version_id),
            *extra,
            str(self.object),
        ]


def store(tmp_path: Path, plaintext: bytes, chunk_size: int = SMALL) -> Stored:
    keyring_path = tmp_path / "keys" / "keyring.json"
    version_id = uuid.uuid4()
    data_key, wrapped = LocalKeyring(keyring_path, create=True).new_data_key(str(version_id))
    object_path = tmp_path / "object.bin"
    object_path.write_bytes(b"".join(encrypt_chunks(data_key, version_id, [plaintext], chunk_size)))
    return Stored(keyring_path, version_id, wrapped, object_path, plaintext)


@pytest.fixture
def stored(tmp_path: Path) -> Stored:
    return store(tmp_path, os.urandom(5 * SMALL + 10))


def run(arguments: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sharing.decrypt", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_recovers_a_document_to_a_new_private_file(tmp_path: Path) -> None:
    stored = store(tmp_path, os.urandom(2 * 1024 * 1024 + 123), chunk_size=1 << 20)
    output = tmp_path / "recovered.pdf"
    result = run(stored.args("--output", str(output)))
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == stored.plaintext
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert f"decrypted {len(stored.plaintext)} bytes".encode() in result.stderr


def test_recovers_a_document_to_standard_output(stored: Stored) -> None:
    result = run(stored.args())
    assert result.returncode == 0, result.stderr
    assert result.stdout == stored.plaintext


def test_never_overwrites_an_existing_output(stored: Stored, tmp_path: Path) -> None:
    output = tmp_path / "existing"
    output.write_bytes(b"precious")
    result = run(stored.args("--output", str(output)))
    assert result.returncode == EXIT_USAGE
    assert b"already exists" in result.stderr
    assert output.read_bytes() == b"precious"


def test_a_tampered_object_fails_and_leaves_no_partial_output(stored: Stored, tmp_path: Path) -> None:
    """The first chunks are authentic and written before the bad one is reached."""
    ciphertext = bytearray(stored.object.read_bytes())
    ciphertext[HEADER_SIZE + 4 * (SMALL + TAG_SIZE) + 1] ^= 1
    stored.object.write_bytes(ciphertext)
    output = tmp_path / "recovered"
    result = run(stored.args("--output", str(output)))
    assert result.returncode == EXIT_INTEGRITY
    assert b"integrity failure: chunk 4 failed authentication" in result.stderr
    assert b"partial output was removed" in result.stderr
    assert not output.exists()


def test_an_object_cut_at_a_chunk_boundary_fails(tmp_path: Path) -> None:
    stored = store(tmp_path, os.urandom(4 * SMALL))
    stored.object.write_bytes(stored.object.read_bytes()[: -(SMALL + TAG_SIZE)])
    output = tmp_path / "recovered"
    result = run(stored.args("--output", str(output)))
    assert result.returncode == EXIT_INTEGRITY
    assert b"truncated" in result.stderr
    assert not output.exists()


def test_a_truncated_object_on_standard_output_says_to_discard_it(stored: Stored) -> None:
    stored.object.write_bytes(stored.object.read_bytes()[:-5])
    result = run(stored.args())
    assert result.returncode == EXIT_INTEGRITY
    assert b"discard everything already written" in result.stderr


def test_another_versions_id_does_not_unwrap_its_key(stored: Stored) -> None:
    result = run([*stored.args()[:-3], "--version-id", str(uuid.uuid4()), str(stored.object)])
    assert result.returncode == EXIT_INTEGRITY
    assert b"another document version" in result.stderr
    assert result.stdout == b""


def test_another_versions_object_is_refused(stored: Stored, tmp_path: Path) -> None:
    other = store(tmp_path / "other", os.urandom(100))
    stored.object.write_bytes(other.object.read_bytes())
    result = run(stored.args())
    assert result.returncode == EXIT_INTEGRITY
    assert f"belongs to document version {other.version_id}".encode() in result.stderr


def test_an_insecure_keyring_is_unavailable(stored: Stored) -> None:
    stored.keyring.chmod(0o644)
    result = run(stored.args())
    assert result.returncode == EXIT_UNAVAILABLE
    assert b"chmod 600" in result.stderr


def test_the_decryptor_imports_neither_django_nor_the_application() -> None:
    probe = (
        "import sys, sharing.decrypt; "
        "loaded = sorted({name.split('.')[0] for name in sys.modules} & {'django', 'dhr_tracker', 'audit'}); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda args: args[:2] + args[4:], "--wrapped-key"),
        (lambda args: [*args[:5], "not-a-uuid", *args[6:]], "not a UUID"),
        (lambda args: [*args[:3], "local:k1:!!!", *args[4:]], "not a wrapped key"),
        (lambda args: [*args[:3], "gcp:k1:AAAA", *args[4:]], "unknown key provider"),
        (lambda args: [*args[:-1], "/nonexistent/object"], "no such object file"),
        (lambda args: args[2:], "needs --keyring"),
        (lambda args: [*args[:-1], "--kms-region", REGION, args[-1]], "apply only to a kms"),
    ],
    ids=["no-wrapped-key", "bad-uuid", "bad-wrapped-key", "unknown-provider", "no-object", "no-keyring", "kms-flags"],
)
def test_usage_errors_exit_2(
    stored: Stored, capsys: pytest.CaptureFixture[str], change: Callable[[list[str]], list[str]], message: str
) -> None:
    assert main(change(stored.args())) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_a_kms_wrapped_key_is_unwrapped_through_kms(moto_endpoint: str, tmp_path: Path) -> None:
    key = boto3.client("kms", endpoint_url=moto_endpoint, region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    version_id = uuid.uuid4()
    data_key, wrapped = KmsKeyProvider(key, endpoint_url=moto_endpoint, region=REGION).new_data_key(str(version_id))
    plaintext = os.urandom(3 * SMALL)
    object_path = tmp_path / "object.bin"
    object_path.write_bytes(b"".join(encrypt_chunks(data_key, version_id, [plaintext], SMALL)))
    arguments = ["--wrapped-key", wrapped.to_text(), "--version-id", str(version_id), str(object_path)]
    result = run(["--kms-endpoint", moto_endpoint, *arguments])
    assert result.returncode == 0, result.stderr
    assert result.stdout == plaintext
    unreachable = run(["--kms-endpoint", "http://127.0.0.1:9", *arguments])
    assert unreachable.returncode == EXIT_UNAVAILABLE
    assert b"key unavailable" in unreachable.stderr
