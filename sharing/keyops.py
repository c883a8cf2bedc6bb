"""Operations on the key-encryption keys as a whole: rotate, rewrap, back up, restore.

Threat: a KEK that has been in use for years, or may have been copied, should stop protecting
anything. Rotating adds a new KEK for new data keys; rewrapping then moves every stored
wrapped data key to it, so the old KEK protects nothing and could be retired. The documents
themselves are never re-encrypted: only the 32-byte data keys are, so a rewrap of the whole
store is quick and never touches object storage.

Key lifetime: see ``sharing/keys.py``. A running process keeps the keyring it read at start
for wrapping new data keys, so after a rotation the web and worker processes go on wrapping
under the old KEK until they restart (reading never suffers: an unknown key id makes them
re-read the file). Rewrapping after the restart catches everything.

On failure: rewrapping goes in primary-key batches, each committed on its own, so a run that
stops (``KeyUnavailable``: provider down, keyring unreadable) is resumed by running it again,
and a run over work already done changes nothing. A version whose wrapped key does not
authenticate (``UnwrapFailed``) cannot be rewrapped by anyone; it is logged, counted, and left
as it is. Backups and restores refuse rather than overwrite, and each change is recorded in the
audit trail inside a transaction opened before the file is touched, so an unreachable database
stops them before anything is written.
"""

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from audit.models import Outcome
from audit.trail import record
from sharing import config
from sharing.keys import (
    LOCAL,
    KeyProvider,
    KeyUnavailable,
    LocalKeyring,
    UnwrapFailed,
    WrappedKey,
    WrappedKeyFormatError,
    backup_keyring,
    restore_keyring,
)
from sharing.models import DocumentVersion

logger = logging.getLogger(__name__)

# Each batch holds its row locks only while it saves, so the size bounds memory and the length
# of one transaction, not how long shredding or uploads wait.
DEFAULT_BATCH_SIZE = 500


class NoKeyring(Exception):
    """The configured key provider keeps its keys in AWS KMS, not in a keyring file."""


@dataclass
class RewrapResult:
    """What a rewrap run did, counted per document version with a wrapped key."""

    rewrapped: int = 0
    already_current: int = 0
    failed: int = 0
    # Shredded or otherwise changed between reading the batch and saving it.
    skipped: int = 0
    failed_versions: list[str] = field(default_factory=list)


def keyring_path() -> Path:
    """Return the local keyring file, or raise ``NoKeyring`` when keys live in KMS."""
    if settings.SHARING_KEY_PROVIDER != LOCAL:
        raise NoKeyring(f"SHARING_KEY_PROVIDER is {settings.SHARING_KEY_PROVIDER!r}, which keeps no keyring file")
    return Path(settings.SHARING_KEYRING_FILE)


# --- Rewrapping ----------------------------------------------------------------------------


def rewrap_all(*, batch_size: int = DEFAULT_BATCH_SIZE) -> RewrapResult:
    """Move every version's wrapped data key to the provider's current KEK, in batches.

    The provider is asked (for KMS, over the network) before any row is locked; each batch then
    locks the rows it would change and saves only those whose wrapped key is still the one that
    was rewrapped, so a version shredded meanwhile stays shredded. Raises ``KeyUnavailable``
    when the provider cannot be used; batches already saved stay saved.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    provider = config.key_provider()
    result = RewrapResult()
    after: Any = None
    while True:
        rows = DocumentVersion.objects.exclude(wrapped_key="").order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.values_list("pk", "wrapped_key")[:batch_size])
        if not batch:
            return result
        after = batch[-1][0]
        changes: dict[Any, tuple[str, str]] = {}
        for pk, text in batch:
            new_text = _rewrapped(provider, str(pk), text, result)
            if new_text is not None:
                changes[pk] = (text, new_text)
        if changes:
            _save_batch(changes, key_id=provider.current_key_id(), result=result)


def _rewrapped(provider: KeyProvider, version_id: str, text: str, result: RewrapResult) -> str | None:
    """Return the rewrapped key's text, or ``None`` if it is already current or cannot be rewrapped."""
    try:
        wrapped = WrappedKey.from_text(text)
        rewrapped = provider.rewrap(wrapped, version_id)
    except (UnwrapFailed, WrappedKeyFormatError) as exc:
        # Retrying cannot cure this and the other versions are unaffected, so carry on.
        logger.error("Document version %s: its data key cannot be rewrapped: %s", version_id, exc)
        result.failed += 1
        result.failed_versions.append(version_id)
        return None
    if rewrapped == wrapped:
        result.already_current += 1
        return None
    return rewrapped.to_text()


def _save_batch(changes: dict[Any, tuple[str, str]], *, key_id: str, result: RewrapResult) -> None:
    with transaction.atomic():
        # Locked in primary-key order, as every batch is, so two runs at once cannot deadlock.
        versions = list(
            DocumentVersion.objects.select_for_update()
            .filter(pk__in=list(changes))
            .only("id", "wrapped_key")
            .order_by("pk")
        )
        changed = []
        for version in versions:
            old_text, new_text = changes[version.pk]
            if version.wrapped_key != old_text:
                continue
            version.wrapped_key = new_text
            changed.append(version)
        DocumentVersion.objects.bulk_update(changed, ["wrapped_key"])
        if changed:
            record(
                "sharing.keys_rewrapped",
                outcome=Outcome.ALLOWED,
                details={"count": len(changed), "key_id": key_id},
            )
    result.rewrapped += len(changed)
    result.skipped += len(changes) - len(changed)


# --- The local keyring ---------------------------------------------------------------------


def rotate_keyring(*, actor: AbstractBaseUser | None) -> str:
    """Add a new KEK to the local keyring, make it current, and return its id.

    Older KEKs stay, so everything wrapped under them still unwraps until it is rewrapped.
    The keyring is a file, outside the transaction: if recording fails after the rotation, the
    new KEK stays, unrecorded, which is harmless (rotate again to have it recorded).
    """
    path = keyring_path()
    with transaction.atomic():
        key_id = LocalKeyring(path).rotate()
        record("sharing.keyring_rotated", outcome=Outcome.ALLOWED, actor=actor, details={"key_id": key_id})
    # This process's cached provider still wraps under the old KEK; forget it.
    config.key_provider.cache_clear()
    return key_id


def back_up_keyring(output: Path, *, passphrase: str, actor: AbstractBaseUser | None) -> list[str]:
    """Write the local keyring, encrypted under ``passphrase``, to a new file ``output`` (mode 0600).

    Returns the ids of the KEKs backed up. Raises ``NoKeyring``, ``KeyUnavailable`` (no keyring,
    or an unsafe one), ``WeakPassphrase``, or ``FileExistsError`` rather than replace a file.
    The audit event names the KEKs but never the passphrase or where the backup went.
    """
    path = keyring_path()
    if output.exists() or output.is_symlink():
        raise FileExistsError(f"{output} already exists")
    key_ids = LocalKeyring(path).key_ids()
    blob = backup_keyring(path, passphrase)
    created = False
    try:
        with transaction.atomic():
            record(
                "sharing.keyring_backed_up",
                outcome=Outcome.ALLOWED,
                actor=actor,
                details={"key_count": len(key_ids), "key_ids": key_ids},
            )
            _write_new_private(output, blob)
            created = True
    except BaseException:
        # A backup whose event did not commit is not left lying around.
        if created:
            output.unlink(missing_ok=True)
        raise
    return key_ids


def _write_new_private(path: Path, data: bytes) -> None:
    """Create ``path`` (never replace it, nor follow a link there) with ``data``, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with open(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Restored:
    """A restored keyring, and what became of the one it replaced."""

    key_ids: list[str]
    current_key_id: str
    replaced: bool
    # KEKs only in the replaced keyring, now gone; None when that keyring could not be read.
    lost_key_ids: list[str] | None


def restore_keyring_from_backup(
    blob: bytes, *, passphrase: str, overwrite: bool, actor: AbstractBaseUser | None
) -> Restored:
    """Write the keyring in backup ``blob`` to ``SHARING_KEYRING_FILE`` and return what was restored.

    An existing keyring is refused with ``FileExistsError`` unless ``overwrite``; then it is
    replaced whole, and KEKs only in it are lost (``lost_key_ids`` names them when it could be
    read). Raises ``NoKeyring``, or ``BackupError`` for a wrong passphrase or an altered backup,
    in which case nothing is changed.
    """
    path = keyring_path()
    replaced = path.exists()
    previous: list[str] | None = None
    if replaced:
        if not overwrite:
            raise FileExistsError(f"a keyring already exists at {path}")
        try:
            previous = LocalKeyring(path).key_ids()
        except KeyUnavailable:
            # Corrupt, unreadable or unsafe: quite possibly why it is being replaced.
            previous = None
    with transaction.atomic():
        keyring = restore_keyring(blob, passphrase, path, overwrite=overwrite)
        key_ids = keyring.key_ids()
        lost = None if replaced and previous is None else [key for key in previous or [] if key not in key_ids]
        record(
            "sharing.keyring_restored",
            outcome=Outcome.ALLOWED,
            actor=actor,
            details={
                "key_ids": key_ids,
                "current_key_id": keyring.current_key_id(),
                "replaced_existing": replaced,
                "lost_key_ids": lost,
            },
        )
    config.key_provider.cache_clear()
    return Restored(key_ids=key_ids, current_key_id=keyring.current_key_id(), replaced=replaced, lost_key_ids=lost)
