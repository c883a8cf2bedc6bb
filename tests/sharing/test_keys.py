"""Key-encryption keys: the local keyring, its backups, and AWS KMS over HTTP (a local moto server)."""

import stat
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from sharing.keys import (
    BackupError,
    InsecureKeyring,
    KeyUnavailable,
    KmsKeyProvider,
    LocalKeyring,
    ScryptParams,
    UnwrapFailed,
    WeakPassphrase,
    WrappedKey,
    WrappedKeyFormatError,
    backup_keyring,
    keyring_permission_problem,
    restore_keyring,
)
from tests.sharing.kms_server import REGION, moto_endpoint, moto_server, use_fake_aws_environment

__all__ = ["moto_endpoint"]  # a fixture, used by name

CONTEXT = str(uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"))
OTHER_CONTEXT = str(uuid.UUID("0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"))
# Key derivation strength is not what these tests measure.
FAST_SCRYPT = ScryptParams(log2_n=10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def flip(data: bytes, position: int) -> bytes:
    altered = bytearray(data)
    altered[position] ^= 0x01
    return bytes(altered)


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "keys" / "keyring.json"


@pytest.fixture
def keyring(keyring_path: Path) -> LocalKeyring:
    return LocalKeyring(keyring_path, create=True)


# --- wrapped keys as text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrapped",
    [
        WrappedKey("local", "3f2a9c1d0b8e7f6a", b"\x00\xff" * 30),
        WrappedKey("kms", "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", b"blob"),
        WrappedKey("kms", "alias/sharing", b"x"),
    ],
)
def test_wrapped_keys_survive_their_text_form(wrapped: WrappedKey) -> None:
    text = wrapped.to_text()
    assert text.isascii()
    assert text.startswith(f"{wrapped.provider}:{wrapped.key_id}:")
    assert WrappedKey.from_text(text) == wrapped


@pytest.mark.parametrize(
    "text",
    [
        "",
        "local",
        "local:k1",
        "local::AAAA",
        "local:k1:",
        "local:k1:AA!A",
        "local:k1:AA=A",
        "local:k1:AB",
        ":k1:AAAA",
        "Local:k1:AAAA",
        "local:k 1:AAAA",
    ],
)
def test_malformed_wrapped_key_text_is_refused(text: str) -> None:
    with pytest.raises(WrappedKeyFormatError):
        WrappedKey.from_text(text)


# --- local keyring -------------------------------------------------------------------------


def test_a_new_keyring_is_private_to_its_owner(keyring: LocalKeyring, keyring_path: Path) -> None:
    assert mode(keyring_path) == 0o600
    assert mode(keyring_path.parent) == 0o700
    assert keyring.key_ids() == [keyring.current_key_id()]
    assert keyring_permission_problem(keyring_path) is None


def test_opening_again_reads_the_same_keys(keyring: LocalKeyring, keyring_path: Path) -> None:
    data_key, wrapped = keyring.new_data_key(CONTEXT)
    again = LocalKeyring(keyring_path, create=True)
    assert again.key_ids() == keyring.key_ids()
    assert again.unwrap(wrapped, CONTEXT) == data_key


def test_a_missing_keyring_is_unavailable_unless_asked_to_create(keyring_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="no keyring"):
        LocalKeyring(keyring_path)
    assert not keyring_path.exists()


def test_wrap_and_unwrap_a_fresh_data_key(keyring: LocalKeyring) -> None:
    data_key, wrapped = keyring.new_data_key(CONTEXT)
    assert len(data_key) == 32
    assert (wrapped.provider, wrapped.key_id) == ("local", keyring.current_key_id())
    assert data_key not in wrapped.blob
    assert keyring.unwrap(WrappedKey.from_text(wrapped.to_text()), CONTEXT) == data_key
    assert keyring.new_data_key(CONTEXT)[0] != data_key


def test_a_wrapped_key_does_not_unwrap_for_another_version(keyring: LocalKeyring) -> None:
    _, wrapped = keyring.new_data_key(CONTEXT)
    with pytest.raises(UnwrapFailed, match="another document version"):
        keyring.unwrap(wrapped, OTHER_CONTEXT)
    keyring.rotate()
    with pytest.raises(UnwrapFailed):
        keyring.rewrap(wrapped, OTHER_CONTEXT)


@pytest.mark.parametrize("position", [0, 11, 12, 30, -1], ids=["nonce", "nonce-end", "body", "body-mid", "tag"])
def test_a_tampered_wrapped_key_does_not_unwrap(keyring: LocalKeyring, position: int) -> None:
    _, wrapped = keyring.new_data_key(CONTEXT)
    with pytest.raises(UnwrapFailed):
        keyring.unwrap(WrappedKey("local", wrapped.key_id, flip(wrapped.blob, position)), CONTEXT)
    with pytest.raises(UnwrapFailed):
        keyring.unwrap(WrappedKey("local", wrapped.key_id, wrapped.blob[:20]), CONTEXT)


def test_a_wrapped_key_relabelled_with_another_key_id_does_not_unwrap(keyring: LocalKeyring) -> None:
    _, wrapped = keyring.new_data_key(CONTEXT)
    newer = keyring.rotate()
    with pytest.raises(UnwrapFailed):
        keyring.unwrap(WrappedKey("local", newer, wrapped.blob), CONTEXT)


def test_unknown_key_ids_and_other_providers_are_unavailable(keyring: LocalKeyring) -> None:
    _, wrapped = keyring.new_data_key(CONTEXT)
    with pytest.raises(KeyUnavailable, match="not in keyring"):
        keyring.unwrap(WrappedKey("local", "0000000000000000", wrapped.blob), CONTEXT)
    with pytest.raises(KeyUnavailable, match="provider 'kms'"):
        keyring.unwrap(WrappedKey("kms", wrapped.key_id, wrapped.blob), CONTEXT)


def test_rotation_keeps_old_keys_and_rewrap_moves_to_the_new_one(keyring: LocalKeyring, keyring_path: Path) -> None:
    data_key, wrapped = keyring.new_data_key(CONTEXT)
    old_id = keyring.current_key_id()
    new_id = keyring.rotate()
    assert new_id != old_id
    assert keyring.current_key_id() == new_id
    assert keyring.key_ids() == [old_id, new_id]
    assert mode(keyring_path) == 0o600
    assert keyring.unwrap(wrapped, CONTEXT) == data_key
    assert keyring.new_data_key(CONTEXT)[1].key_id == new_id
    moved = keyring.rewrap(wrapped, CONTEXT)
    assert moved.key_id == new_id
    assert keyring.unwrap(moved, CONTEXT) == data_key
    assert keyring.rewrap(moved, CONTEXT) is moved


def test_a_process_sees_keys_rotated_in_by_another(keyring: LocalKeyring, keyring_path: Path) -> None:
    """Web workers each hold the keyring; a key rotated in elsewhere must not look unknown."""
    elsewhere = LocalKeyring(keyring_path)
    elsewhere.rotate()
    data_key, wrapped = elsewhere.new_data_key(CONTEXT)
    assert keyring.unwrap(wrapped, CONTEXT) == data_key


def test_concurrent_rotations_lose_no_key(keyring: LocalKeyring, keyring_path: Path) -> None:
    stale = LocalKeyring(keyring_path)
    first = keyring.rotate()
    second = stale.rotate()
    assert LocalKeyring(keyring_path).key_ids() == [keyring.key_ids()[0], first, second]


@pytest.mark.parametrize("file_mode", [0o640, 0o604, 0o660, 0o644])
def test_a_keyring_open_to_others_is_refused_not_silently_fixed(
    keyring: LocalKeyring, keyring_path: Path, file_mode: int
) -> None:
    keyring_path.chmod(file_mode)
    with pytest.raises(InsecureKeyring, match=f"mode {file_mode:04o}.*chmod 600"):
        LocalKeyring(keyring_path)
    problem = keyring_permission_problem(keyring_path)
    assert problem is not None
    assert "chmod 600" in problem
    assert mode(keyring_path) == file_mode


def test_a_keyring_in_a_directory_others_can_write_is_refused(keyring: LocalKeyring, keyring_path: Path) -> None:
    keyring_path.parent.chmod(0o770)
    with pytest.raises(InsecureKeyring, match="chmod 700"):
        LocalKeyring(keyring_path)


def test_permission_check_of_a_missing_keyring_reports_nothing(keyring_path: Path) -> None:
    assert keyring_permission_problem(keyring_path) is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"format": "dhr-sharing-keyring", "version": 2}',
        b'{"format": "dhr-sharing-keyring", "version": 1, "current": "a", "keys": []}',
        b'{"format": "dhr-sharing-keyring", "version": 1, "current": "b", "keys": [{"id": "a", "created": "2025-01-01T00:00:00+00:00", "key": "AAAA"}]}',
    ],
)
def test_a_corrupt_keyring_is_unavailable(keyring: LocalKeyring, keyring_path: Path, content: bytes) -> None:
    keyring_path.write_bytes(content)
    with pytest.raises(KeyUnavailable, match="corrupt"):
        LocalKeyring(keyring_path)


# --- backups -------------------------------------------------------------------------------


def test_backup_and_restore_round_trip(keyring: LocalKeyring, keyring_path: Path, tmp_path: Path) -> None:
    data_key, wrapped = keyring.new_data_key(CONTEXT)
    keyring.rotate()
    backup = backup_keyring(keyring_path, PASSPHRASE, scrypt=FAST_SCRYPT)
    assert keyring_path.read_bytes() not in backup
    assert backup[9:12] == bytes([10, 8, 1]), "the Scrypt cost travels with the backup"
    restored_path = tmp_path / "recovered" / "keyring.json"
    restored = restore_keyring(backup, PASSPHRASE, restored_path)
    assert mode(restored_path) == 0o600
    assert mode(restored_path.parent) == 0o700
    assert restored.key_ids() == keyring.key_ids()
    assert restored.current_key_id() == keyring.current_key_id()
    assert restored.unwrap(wrapped, CONTEXT) == data_key


def test_a_backup_does_not_open_with_the_wrong_passphrase(
    keyring_path: Path, keyring: LocalKeyring, tmp_path: Path
) -> None:
    backup = backup_keyring(keyring_path, PASSPHRASE, scrypt=FAST_SCRYPT)
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_keyring(backup, PASSPHRASE + "!", tmp_path / "restored.json")
    assert not (tmp_path / "restored.json").exists()


@pytest.mark.parametrize("position", [0, 8, 9, 10, 11, 12, 30, 40, 50, -1], ids=str)
def test_an_altered_backup_is_refused(keyring_path: Path, keyring: LocalKeyring, tmp_path: Path, position: int) -> None:
    """Magic, format version, Scrypt cost, salt, nonce, ciphertext and tag are all covered."""
    backup = backup_keyring(keyring_path, PASSPHRASE, scrypt=FAST_SCRYPT)
    with pytest.raises(BackupError):
        restore_keyring(flip(backup, position), PASSPHRASE, tmp_path / "restored.json")
    assert not (tmp_path / "restored.json").exists()


def test_a_backup_whose_cost_was_raised_beyond_reason_is_refused_before_deriving(
    keyring_path: Path, keyring: LocalKeyring, tmp_path: Path
) -> None:
    backup = bytearray(backup_keyring(keyring_path, PASSPHRASE, scrypt=FAST_SCRYPT))
    backup[9] = 40
    with pytest.raises(BackupError, match="memory limit"):
        restore_keyring(bytes(backup), PASSPHRASE, tmp_path / "restored.json")


def test_restore_refuses_to_replace_a_keyring_unless_asked(
    keyring_path: Path, keyring: LocalKeyring, tmp_path: Path
) -> None:
    backup = backup_keyring(keyring_path, PASSPHRASE, scrypt=FAST_SCRYPT)
    other_path = tmp_path / "other" / "keyring.json"
    other = LocalKeyring(other_path, create=True)
    before = other_path.read_bytes()
    with pytest.raises(FileExistsError, match="already exists"):
        restore_keyring(backup, PASSPHRASE, other_path)
    assert other_path.read_bytes() == before
    replaced = restore_keyring(backup, PASSPHRASE, other_path, overwrite=True)
    assert replaced.key_ids() == keyring.key_ids()
    assert other.key_ids()[0] not in replaced.key_ids(), "replaced whole, never merged"


def test_a_short_passphrase_is_refused(keyring_path: Path, keyring: LocalKeyring) -> None:
    with pytest.raises(WeakPassphrase, match="at least 12 characters"):
        backup_keyring(keyring_path, "short", scrypt=FAST_SCRYPT)


def test_a_backup_cost_too_high_to_restore_is_refused(keyring_path: Path, keyring: LocalKeyring) -> None:
    with pytest.raises(ValueError, match="memory limit"):
        backup_keyring(keyring_path, PASSPHRASE, scrypt=ScryptParams(log2_n=24, r=8, p=1))


def test_the_passphrase_is_normalised(keyring_path: Path, keyring: LocalKeyring, tmp_path: Path) -> None:
    """An accented passphrase typed on another system may arrive decomposed."""
    composed = "un caf\u00e9 cr\u00e8me, s'il vous pla\u00eet"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    backup = backup_keyring(keyring_path, composed, scrypt=FAST_SCRYPT)
    assert restore_keyring(backup, decomposed, tmp_path / "keyring.json").key_ids() == keyring.key_ids()


# --- AWS KMS over HTTP ---------------------------------------------------------------------


@pytest.fixture
def kms_client(moto_endpoint: str) -> Any:
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name=REGION)


def create_key(client: Any) -> str:
    arn: str = client.create_key(Description="sharing test KEK")["KeyMetadata"]["Arn"]
    return arn


@pytest.fixture
def kms_key(kms_client: Any) -> str:
    return create_key(kms_client)


def kms_provider(key_id: str, endpoint: str) -> KmsKeyProvider:
    return KmsKeyProvider(key_id, endpoint_url=endpoint, region=REGION, max_attempts=1)


def test_kms_wraps_and_unwraps_a_fresh_data_key(moto_endpoint: str, kms_key: str) -> None:
    provider = kms_provider(kms_key, moto_endpoint)
    data_key, wrapped = provider.new_data_key(CONTEXT)
    assert len(data_key) == 32
    assert (wrapped.provider, wrapped.key_id) == ("kms", kms_key)
    assert provider.current_key_id() == kms_key
    assert provider.unwrap(WrappedKey.from_text(wrapped.to_text()), CONTEXT) == data_key


def test_kms_resolves_an_alias_to_its_key(moto_endpoint: str, kms_client: Any, kms_key: str) -> None:
    alias = f"alias/sharing-{uuid.uuid4().hex[:8]}"
    kms_client.create_alias(AliasName=alias, TargetKeyId=kms_key)
    provider = kms_provider(alias, moto_endpoint)
    assert provider.current_key_id() == kms_key
    assert provider.new_data_key(CONTEXT)[1].key_id == kms_key


def test_kms_binds_the_wrapped_key_to_its_version(moto_endpoint: str, kms_key: str) -> None:
    provider = kms_provider(kms_key, moto_endpoint)
    _, wrapped = provider.new_data_key(CONTEXT)
    with pytest.raises(UnwrapFailed, match="InvalidCiphertextException"):
        provider.unwrap(wrapped, OTHER_CONTEXT)


def test_kms_refuses_a_tampered_wrapped_key(moto_endpoint: str, kms_key: str) -> None:
    provider = kms_provider(kms_key, moto_endpoint)
    _, wrapped = provider.new_data_key(CONTEXT)
    with pytest.raises(UnwrapFailed):
        provider.unwrap(WrappedKey("kms", wrapped.key_id, flip(wrapped.blob, -1)), CONTEXT)


def test_kms_refuses_a_blob_that_is_not_a_data_key(moto_endpoint: str, kms_client: Any, kms_key: str) -> None:
    """Anything else encrypted under the KEK with the same context must not pass for a data key."""
    blob = kms_client.encrypt(
        KeyId=kms_key, Plaintext=b"sixteen byte key", EncryptionContext={"sharing:version": CONTEXT}
    )
    with pytest.raises(UnwrapFailed, match="not a 32-byte data key"):
        kms_provider(kms_key, moto_endpoint).unwrap(WrappedKey("kms", kms_key, blob["CiphertextBlob"]), CONTEXT)


def test_kms_rewrap_moves_a_wrapped_key_to_the_current_key(moto_endpoint: str, kms_client: Any, kms_key: str) -> None:
    data_key, wrapped = kms_provider(kms_key, moto_endpoint).new_data_key(CONTEXT)
    newer_key = create_key(kms_client)
    provider = kms_provider(newer_key, moto_endpoint)
    moved = provider.rewrap(wrapped, CONTEXT)
    assert moved.key_id == newer_key
    assert provider.unwrap(moved, CONTEXT) == data_key
    assert provider.rewrap(moved, CONTEXT) is moved
    with pytest.raises(UnwrapFailed):
        provider.rewrap(wrapped, OTHER_CONTEXT)


def test_kms_unknown_key_is_unavailable(moto_endpoint: str, kms_key: str) -> None:
    missing = kms_key.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    with pytest.raises(KeyUnavailable, match="NotFoundException"):
        kms_provider(missing, moto_endpoint).new_data_key(CONTEXT)


def test_kms_refuses_a_local_wrapped_key(moto_endpoint: str, kms_key: str, keyring: LocalKeyring) -> None:
    _, wrapped = keyring.new_data_key(CONTEXT)
    with pytest.raises(KeyUnavailable, match="provider 'local'"):
        kms_provider(kms_key, moto_endpoint).unwrap(wrapped, CONTEXT)


def test_kms_unreachable_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_aws_environment(monkeypatch)
    with moto_server() as endpoint:
        client = boto3.client("kms", endpoint_url=endpoint, region_name=REGION)
        provider = kms_provider(create_key(client), endpoint)
        _, wrapped = provider.new_data_key(CONTEXT)
    with pytest.raises(KeyUnavailable, match="Could not connect"):
        provider.unwrap(wrapped, CONTEXT)


def test_kms_region_comes_from_the_key_arn(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recovery needs no region flag when the wrapped key names its key by ARN."""
    elsewhere = boto3.client("kms", endpoint_url=moto_endpoint, region_name="eu-west-1")
    key = create_key(elsewhere)
    data_key, wrapped = KmsKeyProvider(key, client=elsewhere).new_data_key(CONTEXT)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert KmsKeyProvider(wrapped.key_id, endpoint_url=moto_endpoint).unwrap(wrapped, CONTEXT) == data_key
    with pytest.raises(KeyUnavailable, match="region"):
        KmsKeyProvider("alias/no-region-anywhere", endpoint_url=moto_endpoint)
