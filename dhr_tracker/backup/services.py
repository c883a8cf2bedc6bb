"""Backing up the whole service into one encrypted archive, and restoring it into an empty one.

A backup holds the database (one consistent snapshot), every stored document object exactly as
stored (ciphertext), and the local keyring (itself in ``sharing``'s passphrase-encrypted backup
form; with AWS KMS there is none, and the manifest says so). The other keys (``SECRET_KEY``,
``FIELD_ENCRYPTION_KEYS``, ``BLIND_INDEX_KEY``, ``AUDIT_SIGNING_KEY``) never go into a backup, as
the operations guide requires: the manifest holds only fingerprints of them, so that a restore
can refuse, before writing anything, to run with keys that would leave data unreadable.

A restore writes only into an empty database, an empty document storage and no keyring, and
only after the whole archive has been read and authenticated, so a wrong passphrase or a
damaged archive changes nothing. Then it checks what it restored: every table's row count,
every object, every available document decrypting to the SHA-256 recorded at its upload, and
the audit trail verifying up to and beyond the backup's last event.
"""

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit import keys as audit_keys
from audit.chaining import chain_pending
from audit.models import AuditEvent, Checkpoint, Outcome
from audit.trail import record
from audit.verification import verify
from dhr_tracker.backup import postgres
from dhr_tracker.backup.archive import ArchiveError, ArchiveReader, ArchiveWriter, Record
from sharing import config, keyops, objects
from sharing.crypto import IntegrityError, decrypt_chunks
from sharing.keys import (
    BACKUP_SCRYPT,
    KMS,
    BackupError,
    KeyUnavailable,
    LocalKeyring,
    UnwrapFailed,
    WrappedKey,
    WrappedKeyFormatError,
    backup_keyring,
)
from sharing.models import DocumentVersion, VersionStatus

logger = logging.getLogger(__name__)

FORMAT = "dhr-tracker-backup"
FORMAT_VERSION = 1
# The cost of deriving the archive's key (and the keyring copy's) from the passphrase: that of
# keyring backups, as both sit on media an attacker may hold for years. A restore reads the cost
# from the archive itself.
ARCHIVE_SCRYPT = BACKUP_SCRYPT
# Versions whose object is in storage. A pending version's object is there only if an attempt
# stored it without living to mark it available; refused and damaged ones were never stored.
_STORED = (VersionStatus.AVAILABLE, VersionStatus.PENDING)


# What to do when a restore stops after writing something.
START_AGAIN = (
    "The restore is incomplete: drop the database and create it again empty, empty the document storage, "
    "remove the keyring file, and run restore again."
)


class RestoreRefused(Exception):
    """The restore cannot start; nothing was written. The message says what to do."""


class RestoreFailed(Exception):
    """The restore stopped part-way; the message says what was written and what to do."""


# --- Fingerprints of the keys kept out of backups ---------------------------------------------


def _fingerprint(secret: str) -> str:
    """A short keyed hash that tells keys apart and reveals nothing of them."""
    return hmac.new(secret.encode(), b"dhr-backup key fingerprint", hashlib.sha256).hexdigest()[:16]


def key_fingerprints() -> dict[str, Any]:
    return {
        "secret_key": _fingerprint(settings.SECRET_KEY),
        "field_encryption_keys": {
            entry.partition("=")[0]: _fingerprint(entry) for entry in settings.FIELD_ENCRYPTION_KEYS
        },
        "blind_index_key": _fingerprint(settings.BLIND_INDEX_KEY),
    }


def key_problems(manifest: dict[str, Any]) -> list[str]:
    """Say which keys configured here differ from those of the service that was backed up."""
    recorded, current = manifest["keys"], key_fingerprints()
    problems = []
    if recorded["secret_key"] != current["secret_key"]:
        problems.append(
            "SECRET_KEY is not the one the backed-up service used, so no one's backup codes would work: "
            "set SECRET_KEY as it was."
        )
    for key_id, fingerprint in recorded["field_encryption_keys"].items():
        if current["field_encryption_keys"].get(key_id) != fingerprint:
            problems.append(
                f"FIELD_ENCRYPTION_KEYS lacks the key {key_id!r} of the backed-up service (or holds another under "
                "that id), so the personal data and authenticator secrets sealed under it could not be read: "
                "set FIELD_ENCRYPTION_KEYS as it was."
            )
    if recorded["blind_index_key"] != current["blind_index_key"]:
        problems.append(
            "BLIND_INDEX_KEY is not the one the backed-up service used, so a death notified twice would go "
            "unnoticed: set BLIND_INDEX_KEY as it was."
        )
    known = audit_keys.public_keys()
    problems.extend(
        f"Audit checkpoints were signed with key {key_id}, which neither AUDIT_SIGNING_KEY nor "
        "AUDIT_RETIRED_PUBLIC_KEYS provides: set AUDIT_SIGNING_KEY as it was, or add that key's public key "
        "to AUDIT_RETIRED_PUBLIC_KEYS."
        for key_id in manifest["audit"]["checkpoint_key_ids"]
        if key_id not in known
    )
    return problems


# --- Backing up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    tables: int
    rows: int
    objects: int
    object_bytes: int
    key_ids: list[str]
    audit_seq: int
    size: int


def _keyring_part(passphrase: str) -> tuple[dict[str, Any], bytes | None]:
    """Return the manifest's keyring section and the keyring's passphrase-encrypted backup, if local."""
    if settings.SHARING_KEY_PROVIDER == KMS:
        return {"provider": KMS, "included": False, "key_id": settings.SHARING_KMS_KEY_ID}, None
    path = keyops.keyring_path()
    # Listed before it is copied: a rotation in between adds a key to the copy, never loses one.
    keyring = LocalKeyring(path)
    blob = backup_keyring(path, passphrase, scrypt=ARCHIVE_SCRYPT)
    return {
        "provider": keyring.name,
        "included": True,
        "key_ids": keyring.key_ids(),
        "current": keyring.current_key_id(),
    }, blob


def _stored_versions() -> list[tuple[str, str, str]]:
    """(id, object name, status) of every version whose object may be in storage, in a stable order."""
    rows = (
        DocumentVersion.objects.filter(status__in=_STORED)
        .exclude(object_name="")
        .order_by("pk")
        .values_list("id", "object_name", "status")
    )
    return [(str(version_id), name, status) for version_id, name, status in rows]


def _audit_state() -> dict[str, Any]:
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    checkpoint = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True).first()
    return {
        "last_seq": head[0] if head else 0,
        "last_hash": bytes(head[1]).hex() if head else "",
        "checkpoint_tree_size": checkpoint or 0,
        "checkpoint_key_ids": sorted(set(Checkpoint.objects.values_list("key_id", flat=True))),
    }


def _create_private(path: Path) -> IO[bytes]:
    """Create ``path`` for writing, mode 0600, never replacing a file nor following a link there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, "wb")


def back_up(output: Path, *, passphrase: str, actor: AbstractBaseUser | None) -> BackupResult:
    """Write the whole service to a new archive ``output`` (mode 0600), encrypted under ``passphrase``.

    ``backup.created`` is recorded and chained before the snapshot is taken, so the archive holds
    its own event. Raises ``NotPostgreSQL``, ``FileExistsError`` or ``WeakPassphrase`` before
    anything is recorded; ``ToolFailed`` (pg_dump), ``KeyUnavailable`` (the keyring cannot be
    read), ``StorageUnavailable`` or ``OSError`` after, when ``backup.failed`` is recorded.
    Whatever fails, no partial archive is left.
    """
    postgres.require_postgresql()
    target = _create_private(output)
    recorded = False
    try:
        with target:
            writer = ArchiveWriter(target, passphrase, scrypt=ARCHIVE_SCRYPT)
            with transaction.atomic():
                record(
                    "backup.created",
                    outcome=Outcome.ALLOWED,
                    actor=actor,
                    details={
                        "tables": len(postgres.table_names()),
                        "document_objects": len(_stored_versions()),
                        "keyring": settings.SHARING_KEY_PROVIDER,
                    },
                )
            recorded = True
            chain_pending()
            result = _write(writer, passphrase)
            target.flush()
            os.fsync(target.fileno())
    except BaseException as exc:
        output.unlink(missing_ok=True)
        if recorded:
            _record_failure(actor, exc)
        raise
    return BackupResult(**result, size=output.stat().st_size)


def _record_failure(actor: AbstractBaseUser | None, exc: BaseException) -> None:
    """Record that a backup already recorded as created was not made after all."""
    try:
        record("backup.failed", outcome=Outcome.FAILED, actor=actor, details={"error": type(exc).__name__})
    except DatabaseError:
        # The database going away may be why the backup failed; the original error matters more.
        logger.exception("could not record backup.failed")


def _write(writer: ArchiveWriter, passphrase: str) -> dict[str, Any]:
    with postgres.snapshot() as snapshot_id:
        counts = postgres.table_counts()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database": {"name": postgres.database_name(), "dump": "pg_dump plain SQL, gzip"},
            "migrations": postgres.applied_migrations(),
            "tables": counts,
            "audit": _audit_state(),
            "keys": key_fingerprints(),
        }
        versions = _stored_versions()
        writer.add("database", "database.sql.gz", postgres.dump(snapshot_id))
    # Read after the snapshot: keys are only ever added, so every key a wrapped key in the dump
    # names is in the keyring by now.
    keyring, keyring_blob = _keyring_part(passphrase)
    manifest["keyring"] = keyring
    # Objects never change once stored, so they need not be read inside the snapshot; holding
    # it open for hours of copying would only hold back the database's clean-up.
    if keyring_blob is not None:
        writer.add("keyring", "sharing-keyring.bak", [keyring_blob])
    documents, object_bytes = [], 0
    for version_id, name, status in versions:
        if status == VersionStatus.PENDING and not objects.exists(name):
            continue
        object_bytes += writer.add("object", name, objects.read(name)).size
        documents.append({"version_id": version_id, "object": name})
    manifest["documents"] = documents
    writer.finish(manifest)
    return {
        "tables": len(counts),
        "rows": sum(counts.values()),
        "objects": len(documents),
        "object_bytes": object_bytes,
        "key_ids": keyring.get("key_ids", []),
        "audit_seq": manifest["audit"]["last_seq"],
    }


# --- Restoring -----------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    """What a restore wrote and found. ``problems`` make it a failure; ``notes`` do not."""

    manifest: dict[str, Any]
    tables: int = 0
    rows: int = 0
    objects: int = 0
    object_bytes: int = 0
    key_ids: list[str] = field(default_factory=list)
    versions_checked: int = 0
    versions_intact: int = 0
    audit_events: int = 0
    audit_verified_to: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def refusals() -> list[str]:
    """Say why this service cannot be restored into: all the reasons at once, or none."""
    reasons = []
    try:
        postgres.require_postgresql()
    except postgres.NotPostgreSQL as exc:
        reasons.append(f"Restoring needs PostgreSQL: {exc}. Set DATABASE_URL to a new, empty PostgreSQL database.")
    if tables := postgres.table_names():
        reasons.append(
            f"The database {postgres.database_name()} is not empty: it has {len(tables)} tables. Restore only "
            "into a new, empty database: create one as docs/operations.md describes (CREATE DATABASE ... OWNER "
            "dhr_owner), do not run migrate, and point DATABASE_URL at it as its owner."
        )
    try:
        if stored := objects.names():
            reasons.append(
                f"The document storage already holds {len(stored)} objects. Restore only into an empty storage: "
                "point AWS_STORAGE_BUCKET_NAME (or DHR_VAR_DIR, for local storage) at an empty one."
            )
    except objects.StorageUnavailable as exc:
        reasons.append(f"Cannot look into the document storage: {exc}.")
    if settings.SHARING_KEY_PROVIDER != KMS and keyops.keyring_path().exists():
        reasons.append(
            f"A keyring already exists at {keyops.keyring_path()}. Restoring would replace it: move it "
            "somewhere safe (it may hold the only copy of keys), or point SHARING_KEYRING_FILE at a new path."
        )
    return reasons


def open_archive(path: Path, passphrase: str) -> tuple[ArchiveReader, dict[str, Any]]:
    """Authenticate the whole archive and return it with its manifest, writing nothing.

    Raises ``ArchiveError`` for a wrong passphrase or a damaged archive, ``RestoreRefused`` for
    an archive this service cannot take as it is configured.
    """
    reader = ArchiveReader(path, passphrase)
    manifest = reader.verify()
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise RestoreRefused("The archive is not a DHR tracker backup of a version this code can restore.")
    provider = manifest["keyring"]["provider"]
    if provider != settings.SHARING_KEY_PROVIDER:
        raise RestoreRefused(
            f"The backup was made with SHARING_KEY_PROVIDER={provider}, but this service has "
            f"{settings.SHARING_KEY_PROVIDER}: configure it as the backed-up service was (for kms, with the same "
            "SHARING_KMS_KEY_ID) and run restore again."
        )
    if problems := key_problems(manifest):
        raise RestoreRefused("\n".join(problems))
    return reader, manifest


def restore(
    reader: ArchiveReader, manifest: dict[str, Any], *, passphrase: str, actor_email: str | None
) -> RestoreReport:
    """Restore a verified archive (``open_archive``) into this empty service, then check it all.

    Raises ``RestoreRefused`` if the service is not empty, and ``RestoreFailed`` if writing
    stops part-way. Problems found by the checks are in the report, recorded with
    ``backup.restored``.
    """
    if reasons := refusals():
        raise RestoreRefused("\n".join(reasons))
    report = RestoreReport(manifest)
    actor: AbstractBaseUser | None = None
    try:
        for part in reader.records():
            if part.kind == "database":
                _load_database(part, report)
                actor = _find_actor(actor_email, report)
            elif part.kind == "keyring":
                _restore_keyring(part, passphrase=passphrase, actor=actor, report=report)
            else:
                _restore_object(part, report)
    except ArchiveError as exc:
        raise RestoreFailed(f"The archive changed while it was being restored ({exc}). {START_AGAIN}") from exc
    check(report)
    outcome = Outcome.FAILED if report.problems else Outcome.ALLOWED
    record(
        "backup.restored",
        outcome=outcome,
        actor=actor,
        details={
            "backup_created_at": manifest["created_at"],
            "audit_seq_at_backup": manifest["audit"]["last_seq"],
            "tables": report.tables,
            "rows": report.rows,
            "document_objects": report.objects,
            "versions_checked": report.versions_checked,
            "problems": len(report.problems),
        },
    )
    chain_pending()
    return report


def _load_database(part: Record, report: RestoreReport) -> None:
    try:
        postgres.load(part.pieces)
    except postgres.ToolFailed as exc:
        raise RestoreFailed(f"The database could not be restored, and was left empty: {exc}") from exc
    counts = postgres.table_counts()
    expected: dict[str, int] = report.manifest["tables"]
    report.tables, report.rows = len(counts), sum(counts.values())
    for table, rows in sorted(expected.items()):
        if table not in counts:
            report.problems.append(f"Table {table} is missing.")
        elif counts[table] != rows:
            report.problems.append(f"Table {table} has {counts[table]} rows; the backup had {rows}.")
    report.problems.extend(f"Table {table} was not in the backup." for table in sorted(set(counts) - set(expected)))
    unapplied, unknown = postgres.migration_differences()
    if unknown:
        report.problems.append(
            f"The backup has migrations this code does not know ({', '.join(unknown)}): it was made by a newer "
            "version of the service. Restore with that version."
        )
    if unapplied:
        report.notes.append(
            f"This code has {len(unapplied)} migrations the backup lacks: run manage.py migrate before starting "
            "the service."
        )


def _find_actor(email: str | None, report: RestoreReport) -> AbstractBaseUser | None:
    """Find the person restoring among the restored users (there were none before)."""
    if not email:
        return None
    actor: AbstractBaseUser | None = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if actor is None:
        report.notes.append(f"No active user has the e-mail {email!r}; the restore is recorded without an actor.")
    return actor


def _restore_keyring(part: Record, *, passphrase: str, actor: AbstractBaseUser | None, report: RestoreReport) -> None:
    try:
        restored = keyops.restore_keyring_from_backup(
            b"".join(part.pieces), passphrase=passphrase, overwrite=False, actor=actor
        )
    except (BackupError, FileExistsError, OSError) as exc:
        raise RestoreFailed(f"The keyring could not be restored ({exc}). {START_AGAIN}") from exc
    report.key_ids = restored.key_ids
    if missing := [key for key in report.manifest["keyring"]["key_ids"] if key not in restored.key_ids]:
        report.problems.append(f"The restored keyring lacks keys the backup listed: {', '.join(missing)}.")


def _restore_object(part: Record, report: RestoreReport) -> None:
    """Store one object, staged as ciphertext in the spool where uploads wait, through ``sharing.objects``."""
    staged = config.spool_dir() / f".restore-{secrets.token_hex(8)}"
    try:
        with _create_private(staged) as file:
            for piece in part.pieces:
                report.object_bytes += file.write(piece)
        objects.put(part.name, staged)
    except (objects.StorageUnavailable, OSError) as exc:
        raise RestoreFailed(f"Storing {part.name} failed ({exc}). {START_AGAIN}") from exc
    finally:
        staged.unlink(missing_ok=True)
    report.objects += 1


def check(report: RestoreReport) -> None:
    """Check the service against the report's manifest, adding what is wrong to its problems."""
    _check_documents(report)
    _check_audit(report)


def _plaintext_digest(version: DocumentVersion) -> tuple[str, int]:
    """Decrypt the version's stored object as a download would; return the plaintext's SHA-256 and size."""
    data_key = config.key_provider().unwrap(WrappedKey.from_text(version.wrapped_key), str(version.id))
    digest, size = hashlib.sha256(), 0
    for piece in decrypt_chunks(data_key, version.id, objects.read(version.object_name)):
        digest.update(piece)
        size += len(piece)
    return digest.hexdigest(), size


def _check_documents(report: RestoreReport) -> None:
    """Check every object listed is stored, and every available version decrypts to its receipt."""
    listed = {item["version_id"] for item in report.manifest["documents"]}
    report.problems.extend(
        f"Object {item['object']} is missing from the storage."
        for item in report.manifest["documents"]
        if not objects.exists(item["object"])
    )
    for version in DocumentVersion.objects.filter(status__in=_STORED).order_by("pk").iterator():
        label = f"{version.audit_label} ({version.id})"
        if version.status == VersionStatus.PENDING:
            if str(version.id) not in listed:
                report.notes.append(
                    f"{label} was still being stored when the backup was made and its file is not in it: "
                    "ask for it to be uploaded again."
                )
            continue
        report.versions_checked += 1
        try:
            sha256, size = _plaintext_digest(version)
        except (UnwrapFailed, WrappedKeyFormatError, IntegrityError, KeyUnavailable, objects.StorageUnavailable) as exc:
            report.problems.append(f"{label} does not decrypt: {exc}.")
            continue
        if (sha256, size) != (version.sha256, version.size):
            report.problems.append(f"{label} decrypts, but not to the SHA-256 and size recorded at its upload.")
            continue
        report.versions_intact += 1


def _check_audit(report: RestoreReport) -> None:
    """Verify the restored trail as ``verify_audit`` does, and that it holds the backup's last event."""
    chain_pending(sweep=True)
    expected = report.manifest["audit"]
    if expected["last_seq"]:
        stored = AuditEvent.objects.filter(seq=expected["last_seq"]).values_list("hash", flat=True).first()
        if stored is None or bytes(stored).hex() != expected["last_hash"]:
            report.problems.append(
                f"Audit event {expected['last_seq']}, the backup's last, is missing or differs from the backup's."
            )
    result = verify()
    report.audit_events, report.audit_verified_to = result.events_checked, result.verified_tree_size
    if result.problem is not None:
        report.problems.append(f"The audit trail does not verify: {result.problem}.")
