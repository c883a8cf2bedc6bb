"""Key-encryption keys: wrap each document version's data key, and unwrap it to read the version.

Threat: the data keys sit beside the documents (in the database), so whoever copies the
database and the document store together must still be unable to read anything. Data keys are
therefore stored only wrapped by a key-encryption key (KEK) that lives elsewhere: a keyring file
readable by the service account alone, or AWS KMS, where the KEK never leaves the service.
Each wrapped key is bound to its document version (the ``context``), so a wrapped key copied
onto another version's row does not unwrap.

Key lifetime: a KEK lives until it is retired by hand. ``rotate`` makes a new KEK current for
new data keys and keeps the old ones so everything wrapped earlier still unwraps; ``rewrap``
moves a wrapped key to the current KEK without touching the document. A data key lives as long
as its document version; deleting its wrapped form crypto-shreds the version.

On failure: ``KeyUnavailable`` when the KEK cannot be reached or is unknown (a keyring missing,
unreadable, corrupt or too widely readable; KMS unreachable, throttled, disabled, or refusing
access), which may be transient or an operator's to fix; ``UnwrapFailed`` when the KEK is there
but the wrapped key does not authenticate under it (wrong key, altered, or another context),
which retrying will not cure. Neither message carries key material.
"""

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from sharing.crypto import DATA_KEY_SIZE, new_data_key

LOCAL = "local"
KMS = "kms"
KMS_CONTEXT_KEY = "sharing:version"
KEK_SIZE = 32
WRAP_NONCE_SIZE = 12
MIN_PASSPHRASE_LENGTH = 12

_KEYRING_FORMAT = "dhr-sharing-keyring"
_KEYRING_VERSION = 1
_PROVIDER_RE = re.compile(r"[a-z][a-z0-9-]*")
# Key ids appear in wrapped keys' text form and in the wrapping AAD, which a newline separates.
_KEY_ID_RE = re.compile(r"[!-~]+")
_LOCAL_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class KeyUnavailable(Exception):
    """The key-encryption key cannot be used: provider down or misconfigured, or the key unknown."""


class InsecureKeyring(KeyUnavailable):
    """The keyring file or its directory is open to other users, so it is not trusted."""


class UnwrapFailed(Exception):
    """A wrapped key does not authenticate: wrong key, altered, or bound to another context."""


class WrappedKeyFormatError(ValueError):
    """Text that is not a wrapped key."""


class BackupError(Exception):
    """A keyring backup cannot be opened: wrong passphrase, altered, or not a backup."""


class WeakPassphrase(ValueError):
    """A backup passphrase is too short."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    """Decode unpadded base64url strictly, so each value has exactly one text form."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    if _b64encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


@dataclass(frozen=True)
class WrappedKey:
    """A data key wrapped by a provider's KEK, with the names needed to unwrap it.

    Text form ``<provider>:<key id>:<base64url blob>``. The key id may itself contain colons
    (KMS ARNs do); the provider never does and the blob never does, so the form is unambiguous.
    """

    provider: str
    key_id: str
    blob: bytes

    def __post_init__(self) -> None:
        if not _PROVIDER_RE.fullmatch(self.provider):
            raise WrappedKeyFormatError(f"invalid provider name {self.provider!r}")
        if not _KEY_ID_RE.fullmatch(self.key_id):
            raise WrappedKeyFormatError("a key id is printable ASCII without spaces")
        if not self.blob:
            raise WrappedKeyFormatError("a wrapped key cannot be empty")

    def to_text(self) -> str:
        return f"{self.provider}:{self.key_id}:{_b64encode(self.blob)}"

    @classmethod
    def from_text(cls, text: str) -> "WrappedKey":
        provider, _, rest = text.partition(":")
        key_id, _, blob = rest.rpartition(":")
        try:
            return cls(provider, key_id, _b64decode(blob))
        except ValueError as exc:
            raise WrappedKeyFormatError(
                f"not a wrapped key ({exc}); expected <provider>:<key id>:<base64url>"
            ) from None


class KeyProvider(Protocol):
    """Where key-encryption keys live. ``context`` is the document version id, bound into the wrapping."""

    name: str

    def new_data_key(self, context: str) -> tuple[bytes, WrappedKey]:
        """Return a fresh data key and its wrapped form under the current KEK."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: str) -> bytes:
        """Return the data key, or raise ``UnwrapFailed`` or ``KeyUnavailable``."""
        ...

    def rewrap(self, wrapped: WrappedKey, context: str) -> WrappedKey:
        """Return ``wrapped`` re-wrapped under the current KEK, or unchanged if it already is."""
        ...

    def current_key_id(self) -> str:
        """Return the id of the KEK that wraps new data keys."""
        ...


def _check_provider(wrapped: WrappedKey, name: str) -> None:
    if wrapped.provider != name:
        raise KeyUnavailable(f"the wrapped key belongs to provider {wrapped.provider!r}, not {name!r}")


# --- Local keyring -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kek:
    key_id: str
    created: str
    key: bytes


@dataclass(frozen=True)
class _Keyring:
    current: str
    keks: tuple[_Kek, ...]

    def get(self, key_id: str) -> _Kek | None:
        return next((kek for kek in self.keks if kek.key_id == key_id), None)

    def to_json(self) -> bytes:
        document = {
            "format": _KEYRING_FORMAT,
            "version": _KEYRING_VERSION,
            "current": self.current,
            "keys": [{"id": kek.key_id, "created": kek.created, "key": _b64encode(kek.key)} for kek in self.keks],
        }
        return json.dumps(document, indent=2).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> "_Keyring":
        """Parse and check a keyring document, raising ``ValueError`` with the first problem found."""
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as exc:  # undecodable, not JSON, or nested beyond reason
            raise ValueError("not JSON") from exc
        if not isinstance(document, dict) or document.get("format") != _KEYRING_FORMAT:
            raise ValueError("not a sharing keyring")
        if document.get("version") != _KEYRING_VERSION:
            raise ValueError(f"unsupported keyring version {document.get('version')!r}")
        entries = document.get("keys")
        if not isinstance(entries, list) or not entries:
            raise ValueError("no keys")
        keks = tuple(_parse_kek(entry) for entry in entries)
        if len({kek.key_id for kek in keks}) != len(keks):
            raise ValueError("duplicate key ids")
        current = document.get("current")
        if not isinstance(current, str) or current not in {kek.key_id for kek in keks}:
            raise ValueError("the current key is not in the keyring")
        return cls(current=current, keks=keks)


def _parse_kek(entry: Any) -> _Kek:
    if not isinstance(entry, dict):
        raise ValueError("a key entry is not an object")
    key_id, created, key = entry.get("id"), entry.get("created"), entry.get("key")
    if not isinstance(key_id, str) or not _LOCAL_KEY_ID_RE.fullmatch(key_id):
        raise ValueError(f"invalid key id {key_id!r}")
    if not isinstance(created, str):
        raise ValueError(f"key {key_id} has no creation time")
    datetime.fromisoformat(created)
    if not isinstance(key, str) or len(raw := _b64decode(key)) != KEK_SIZE:
        raise ValueError(f"key {key_id} is not {KEK_SIZE} bytes of base64url")
    return _Kek(key_id, created, raw)


def _new_kek() -> _Kek:
    return _Kek(secrets.token_hex(8), datetime.now(UTC).isoformat(timespec="seconds"), os.urandom(KEK_SIZE))


def _permission_problem(path: Path, file_mode: int) -> str | None:
    if not stat.S_ISREG(file_mode):
        return f"keyring {path} is not a regular file"
    if file_mode & 0o077:
        return (
            f"keyring {path} has mode {stat.S_IMODE(file_mode):04o}, open to group or others; "
            f"allow its owner only with: chmod 600 {path}"
        )
    # A directory others can write lets them swap in a keyring of their own, under which new
    # documents would then be wrapped.
    directory = path.parent
    if os.stat(directory).st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"the keyring's directory {directory} is writable by group or others; restrict it with: chmod 700 {directory}"
    return None


def keyring_permission_problem(path: str | os.PathLike[str]) -> str | None:
    """Describe why the keyring at ``path`` is too widely accessible, or return None if it is not.

    For system checks and operators: it reports and changes nothing (a silent chmod would hide
    that the key may already have been copied). A missing file is not a permission problem.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    return _permission_problem(path, mode)


def _read_keyring(path: Path) -> _Keyring:
    try:
        with open(path, "rb") as file:
            # The mode of the file actually opened, not of whatever the path names a moment later.
            problem = _permission_problem(path, os.fstat(file.fileno()).st_mode)
            if problem:
                raise InsecureKeyring(problem)
            data = file.read()
    except FileNotFoundError:
        raise KeyUnavailable(f"there is no keyring at {path}") from None
    except OSError as exc:
        raise KeyUnavailable(f"cannot read keyring {path}: {exc.strerror}") from None
    try:
        return _Keyring.from_json(data)
    except ValueError as exc:
        raise KeyUnavailable(f"keyring {path} is corrupt: {exc}") from None


def _write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, mode 0600: a crash leaves the old file or the new, never half."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the keyring, so two processes rotating at once cannot lose a key."""
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _wrap_aad(key_id: str, context: str) -> bytes:
    return f"dhr-sharing-wrap-v1\n{key_id}\n{context}".encode()


class LocalKeyring(KeyProvider):
    """KEKs in a JSON file readable by the service account only (the embedded default, and recovery).

    The file holds each KEK as base64url with its id and creation time, and which is current.
    Wrapping is AES-256-GCM with a random 96-bit nonce and the key id and context as associated
    data; the blob is nonce || ciphertext || tag. The file is refused if group or others can
    read it or replace it (``keyring_permission_problem`` says why). Rewriting takes a lock and
    re-reads the file first, so concurrent rotations never lose a key.
    """

    name = LOCAL

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        if create and not self.path.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with _locked(self.path):
                if not self.path.exists():
                    kek = _new_kek()
                    _write_private(self.path, _Keyring(kek.key_id, (kek,)).to_json())
        self._keyring = _read_keyring(self.path)

    def current_key_id(self) -> str:
        return self._keyring.current

    def key_ids(self) -> list[str]:
        """Return every KEK id, oldest first."""
        return [kek.key_id for kek in self._keyring.keks]

    def rotate(self) -> str:
        """Add a new KEK, make it current, and return its id; older KEKs stay for unwrapping."""
        with _locked(self.path):
            keyring = _read_keyring(self.path)
            kek = _new_kek()
            keyring = _Keyring(kek.key_id, (*keyring.keks, kek))
            _write_private(self.path, keyring.to_json())
        self._keyring = keyring
        return kek.key_id

    def _kek(self, key_id: str) -> _Kek:
        kek = self._keyring.get(key_id)
        if kek is None:
            # Another process may have rotated since this one read the file.
            self._keyring = _read_keyring(self.path)
            kek = self._keyring.get(key_id)
        if kek is None:
            raise KeyUnavailable(f"key {key_id} is not in keyring {self.path}")
        return kek

    def _wrap(self, data_key: bytes, context: str) -> WrappedKey:
        kek = self._kek(self._keyring.current)
        nonce = os.urandom(WRAP_NONCE_SIZE)
        blob = nonce + AESGCM(kek.key).encrypt(nonce, data_key, _wrap_aad(kek.key_id, context))
        return WrappedKey(LOCAL, kek.key_id, blob)

    def new_data_key(self, context: str) -> tuple[bytes, WrappedKey]:
        data_key = new_data_key()
        return data_key, self._wrap(data_key, context)

    def unwrap(self, wrapped: WrappedKey, context: str) -> bytes:
        _check_provider(wrapped, LOCAL)
        kek = self._kek(wrapped.key_id)
        nonce, sealed = wrapped.blob[:WRAP_NONCE_SIZE], wrapped.blob[WRAP_NONCE_SIZE:]
        try:
            data_key = AESGCM(kek.key).decrypt(nonce, sealed, _wrap_aad(kek.key_id, context))
        except (InvalidTag, ValueError):
            raise UnwrapFailed(
                f"the wrapped key does not authenticate under key {kek.key_id}: altered, or for another document version"
            ) from None
        return data_key

    def rewrap(self, wrapped: WrappedKey, context: str) -> WrappedKey:
        if wrapped.provider == LOCAL and wrapped.key_id == self._keyring.current:
            return wrapped
        return self._wrap(self.unwrap(wrapped, context), context)


# --- Keyring backups -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScryptParams:
    """Scrypt cost: n = 2**log2_n, memory about 128 * n * r bytes."""

    log2_n: int
    r: int
    p: int


# About 128 MiB and a quarter of a second: a backup is made and opened rarely, and sits on
# media an attacker may hold for years.
BACKUP_SCRYPT = ScryptParams(log2_n=17, r=8, p=1)
# Restoring reads the cost from the backup itself, so refuse costs that would exhaust memory.
_MAX_SCRYPT_MEMORY = 1 << 30
_BACKUP_MAGIC = b"DHRKEYBK"
_BACKUP_VERSION = 1
_SALT_SIZE = 16
_BACKUP_HEADER_SIZE = len(_BACKUP_MAGIC) + 4 + _SALT_SIZE + WRAP_NONCE_SIZE


def scrypt_problem(params: ScryptParams) -> str | None:
    """Say why a cost cannot be used; backups refuse to make what restores would refuse to open."""
    if not all(1 <= value <= 255 for value in (params.log2_n, params.r, params.p)):
        return "scrypt parameters must each be between 1 and 255"
    if (128 * params.r * params.p) << params.log2_n > _MAX_SCRYPT_MEMORY:
        return "the scrypt cost exceeds the memory limit for restoring"
    return None


def passphrase_key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    """Derive a 256-bit key from ``passphrase`` with scrypt; check the cost with ``scrypt_problem`` first."""
    # The same passphrase typed on another system may arrive composed differently.
    secret = unicodedata.normalize("NFC", passphrase).encode()
    return Scrypt(salt=salt, length=32, n=1 << params.log2_n, r=params.r, p=params.p).derive(secret)


def backup_keyring(path: str | os.PathLike[str], passphrase: str, *, scrypt: ScryptParams = BACKUP_SCRYPT) -> bytes:
    """Return the keyring at ``path`` encrypted under ``passphrase``, for offline safekeeping.

    Threat: a backup is kept where the keyring's file permissions do not protect it. It is
    AES-256-GCM under a key derived from the passphrase with Scrypt (random 128-bit salt), and
    authenticates its own header, so a lowered cost or altered byte fails to open. Format::

        "DHRKEYBK" || version 0x01 || log2 n (1) || r (1) || p (1) || salt (16) || nonce (12)
        || AES-256-GCM(key, nonce, keyring JSON, aad = everything before the ciphertext)
    """
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(f"the backup passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters")
    if problem := scrypt_problem(scrypt):
        raise ValueError(problem)
    keyring = _read_keyring(Path(path))
    salt, nonce = os.urandom(_SALT_SIZE), os.urandom(WRAP_NONCE_SIZE)
    header = _BACKUP_MAGIC + bytes([_BACKUP_VERSION, scrypt.log2_n, scrypt.r, scrypt.p]) + salt + nonce
    key = passphrase_key(passphrase, salt, scrypt)
    return header + AESGCM(key).encrypt(nonce, keyring.to_json(), header)


def _open_backup(blob: bytes, passphrase: str) -> _Keyring:
    if len(blob) < _BACKUP_HEADER_SIZE or not blob.startswith(_BACKUP_MAGIC):
        raise BackupError("this is not a keyring backup")
    header, sealed = blob[:_BACKUP_HEADER_SIZE], blob[_BACKUP_HEADER_SIZE:]
    version, log2_n, r, p = header[len(_BACKUP_MAGIC) : len(_BACKUP_MAGIC) + 4]
    if version != _BACKUP_VERSION:
        raise BackupError(f"unsupported keyring backup version {version}")
    params = ScryptParams(log2_n, r, p)
    if problem := scrypt_problem(params):
        raise BackupError(f"{problem} (altered backup?)")
    salt = header[len(_BACKUP_MAGIC) + 4 : len(_BACKUP_MAGIC) + 4 + _SALT_SIZE]
    nonce = header[-WRAP_NONCE_SIZE:]
    try:
        data = AESGCM(passphrase_key(passphrase, salt, params)).decrypt(nonce, sealed, header)
    except InvalidTag:
        raise BackupError("wrong passphrase, or the backup was altered") from None
    try:
        return _Keyring.from_json(data)
    except ValueError as exc:
        raise BackupError(f"the backup holds no valid keyring: {exc}") from None


def restore_keyring(
    blob: bytes, passphrase: str, path: str | os.PathLike[str], *, overwrite: bool = False
) -> LocalKeyring:
    """Write the keyring in backup ``blob`` to ``path`` (mode 0600, directory 0700) and return it.

    An existing keyring is refused with ``FileExistsError`` unless ``overwrite``, and even then
    it is replaced whole, never merged: KEKs only in the file being replaced are gone.
    """
    keyring = _open_backup(blob, passphrase)
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(target):
        if target.exists() and not overwrite:
            raise FileExistsError(f"a keyring already exists at {target}; restoring would replace it")
        _write_private(target, keyring.to_json())
    return LocalKeyring(target)


# --- AWS KMS -------------------------------------------------------------------------------


class KmsClient(Protocol):
    """The part of a boto3 KMS client this module uses."""

    def generate_data_key(self, **kwargs: Any) -> dict[str, Any]: ...

    def decrypt(self, **kwargs: Any) -> dict[str, Any]: ...

    def re_encrypt(self, **kwargs: Any) -> dict[str, Any]: ...

    def describe_key(self, **kwargs: Any) -> dict[str, Any]: ...


# KMS looked at the wrapped key and refused it: retrying cannot help. Every other error
# (throttling, network, disabled or missing key, access denied) is the key being unavailable.
_UNWRAP_FAILED_CODES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


@contextlib.contextmanager
def _kms_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in _UNWRAP_FAILED_CODES:
            raise UnwrapFailed(
                f"KMS {operation} refused the wrapped key ({code}): wrong key, altered, or for another document version"
            ) from exc
        raise KeyUnavailable(f"KMS {operation} failed ({code})") from exc
    except BotoCoreError as exc:
        raise KeyUnavailable(f"KMS {operation} failed: {exc}") from exc


def _arn_region(key_id: str) -> str | None:
    """Return the region an ARN names (``arn:aws:kms:<region>:<account>:key/<id>``), if it is one."""
    parts = key_id.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return None


class KmsKeyProvider(KeyProvider):
    """KEKs in AWS KMS (or a compatible service): data keys come from and return to KMS.

    The encryption context ``{"sharing:version": context}`` binds each wrapped key to its
    version, and KMS records it in CloudTrail with every use. ``key_id`` may be a key id, an ARN
    or an alias; it is resolved to the key's ARN once, on first use, and that key wraps all new
    data keys for this provider's lifetime, so pointing an alias at a new key takes effect when
    the process restarts (then ``rewrap`` moves old wrapped keys across).

    Pass a ready ``client``, or let one be built from ``region`` (default: the ARN's region,
    then boto3's own) and ``endpoint_url``, with bounded retries and timeouts so an unreachable
    KMS fails in seconds rather than hanging a request.
    """

    name = KMS

    def __init__(
        self,
        key_id: str,
        *,
        client: KmsClient | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        max_attempts: int = 3,
    ) -> None:
        self._key_id = key_id
        self._current: str | None = None
        if client is None:
            region = region or _arn_region(key_id)
            config = Config(
                retries={"max_attempts": max_attempts, "mode": "standard"}, connect_timeout=5, read_timeout=10
            )
            with _kms_errors("client setup"):
                client = boto3.client("kms", region_name=region, endpoint_url=endpoint_url, config=config)
        self._client: KmsClient = client

    def current_key_id(self) -> str:
        if self._current is None:
            with _kms_errors("DescribeKey"):
                metadata = self._client.describe_key(KeyId=self._key_id)["KeyMetadata"]
            self._current = str(metadata["Arn"])
        return self._current

    @staticmethod
    def _context(context: str) -> dict[str, str]:
        return {KMS_CONTEXT_KEY: context}

    def new_data_key(self, context: str) -> tuple[bytes, WrappedKey]:
        with _kms_errors("GenerateDataKey"):
            response = self._client.generate_data_key(
                KeyId=self.current_key_id(), KeySpec="AES_256", EncryptionContext=self._context(context)
            )
        return bytes(response["Plaintext"]), WrappedKey(KMS, str(response["KeyId"]), bytes(response["CiphertextBlob"]))

    def unwrap(self, wrapped: WrappedKey, context: str) -> bytes:
        _check_provider(wrapped, KMS)
        with _kms_errors("Decrypt"):
            response = self._client.decrypt(
                CiphertextBlob=wrapped.blob, KeyId=wrapped.key_id, EncryptionContext=self._context(context)
            )
        data_key = bytes(response["Plaintext"])
        if len(data_key) != DATA_KEY_SIZE:
            raise UnwrapFailed(f"KMS returned {len(data_key)} bytes, not a {DATA_KEY_SIZE}-byte data key")
        return data_key

    def rewrap(self, wrapped: WrappedKey, context: str) -> WrappedKey:
        _check_provider(wrapped, KMS)
        current = self.current_key_id()
        if wrapped.key_id == current:
            return wrapped
        with _kms_errors("ReEncrypt"):
            response = self._client.re_encrypt(
                CiphertextBlob=wrapped.blob,
                SourceKeyId=wrapped.key_id,
                SourceEncryptionContext=self._context(context),
                DestinationKeyId=current,
                DestinationEncryptionContext=self._context(context),
            )
        return WrappedKey(KMS, str(response["KeyId"]), bytes(response["CiphertextBlob"]))
