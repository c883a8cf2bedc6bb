"""Uploading, storing, sharing, holding and destroying documents and their versions.

An upload arrives encrypted in the spool (``sharing.uploads``). ``upload_document`` and
``add_version`` check it and record the version as pending in one transaction; after the commit
``tasks.store_version`` scans it (when a scanner is configured) and moves it to storage, then
marks it available. Until then it cannot be downloaded. Crypto-shredding destroys the wrapped
data keys first, in the transaction that records it, so the ciphertext is unreadable from that
moment even if deleting the objects has to be retried.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from audit.models import Outcome
from audit.trail import record
from sharing import access, config, objects
from sharing.crypto import CHUNK_SIZE, IntegrityError, decrypt_chunks
from sharing.dates import add_months
from sharing.keys import WrappedKey
from sharing.models import (
    Document,
    DocumentVersion,
    Grant,
    Space,
    SpaceMember,
    VersionStatus,
)
from sharing.services import record_change
from sharing.sniffing import FileType, Refused, safe_filename, sniff
from sharing.uploads import EncryptingUploadHandler, SpooledUpload, spool_path

logger = logging.getLogger(__name__)

# Long enough for the largest upload to be scanned and sent to S3; a crashed attempt's lease runs out.
STORE_LEASE = timedelta(hours=2)
CLASSIFICATION_MESSAGE = "The protocol for this space allows documents up to {ceiling}. Choose {ceiling} or lower"
EXPIRY_MESSAGE = "The last day of access must be today or later"


@dataclass(frozen=True)
class DocumentFields:
    title: str
    description: str
    classification: str
    access_expires_at: datetime | None


def _check_file(upload: SpooledUpload) -> FileType:
    """Sniff the upload's type from its content; a refusal names what to do."""
    try:
        return sniff(upload.head, upload.open_plaintext, upload.size, max_size=settings.SHARING_MAX_UPLOAD_BYTES)
    except Refused as refused:
        raise ValidationError({"file": refused.message}) from None


def _check_fields(space: Space, fields: DocumentFields) -> None:
    errors = {}
    protocol = space.protocol
    if not protocol.allows(fields.classification):
        errors["classification"] = CLASSIFICATION_MESSAGE.format(ceiling=protocol.get_max_classification_display())
    if fields.access_expires_at is not None and fields.access_expires_at <= timezone.now():
        errors["access_ends_on"] = EXPIRY_MESSAGE
    if errors:
        raise ValidationError(errors)


def _new_version(document: Document, upload: SpooledUpload, file_type: FileType, *, actor: Any) -> DocumentVersion:
    latest = document.versions.aggregate(latest=Max("number"))["latest"] or 0
    version = DocumentVersion.objects.create(
        id=upload.version_id,
        document=document,
        number=latest + 1,
        file_name=safe_filename(upload.raw_name, file_type),
        file_type=file_type.code,
        size=upload.size,
        sha256=upload.sha256,
        object_name=objects.new_object_name(),
        wrapped_key=upload.wrapped_key.to_text(),
        status=VersionStatus.PENDING,
        uploaded_by=actor,
    )
    transaction.on_commit(lambda: _enqueue_store(version.pk), robust=True)
    return version


def _enqueue_store(version_id: uuid.UUID) -> None:
    from sharing.tasks import store_version

    store_version.delay(str(version_id))


def receive_bytes(content: bytes, file_name: str) -> SpooledUpload:
    """``content`` received through the encrypting handler as a browser's upload would be: for demo data."""
    handler = EncryptingUploadHandler(
        HttpRequest(),
        field_name="file",
        max_size=len(content),
        provider=config.key_provider(),
        spool_dir=config.spool_dir(),
    )
    handler.new_file("file", file_name)
    handler.receive_data_chunk(content, 0)
    upload = handler.file_complete(len(content))
    if upload is None:
        raise ValueError(handler.refusal or f"{file_name} was not received")
    return upload


def upload_document(
    space: Space, *, actor: Any, fields: DocumentFields, upload: SpooledUpload, request: HttpRequest | None
) -> Document:
    """Create a document owned by the party the uploader acts for, with the upload as version 1."""
    if not access.can_upload(actor, space):
        raise PermissionDenied
    _check_fields(space, fields)
    file_type = _check_file(upload)
    with transaction.atomic():
        member = SpaceMember.objects.current().select_for_update().filter(space=space, user=actor).first()
        if member is None:
            raise PermissionDenied
        document = Document.objects.create(
            space=space,
            title=fields.title,
            description=fields.description,
            owner_party_id=member.party_id,
            classification=fields.classification,
            access_expires_at=fields.access_expires_at,
            retention_ends_on=add_months(timezone.localdate(), space.protocol.retention_months),
            created_by=actor,
        )
        version = _new_version(document, upload, file_type, actor=actor)
        record_change(
            "sharing.document_uploaded",
            actor=actor,
            target=document,
            scope_id=space.protocol.scope_id,
            request=request,
            version=version.number,
            sha256=version.sha256,
            size=version.size,
            type=version.file_type,
            classification=document.classification,
        )
    # The version row now owns the spool file; the task takes it to storage.
    upload.keep()
    return document


def add_version(
    document: Document, *, actor: Any, upload: SpooledUpload, request: HttpRequest | None
) -> DocumentVersion:
    """Add a new version; the earlier ones stay, each with its own receipt."""
    if not access.can_add_version(actor, document):
        raise PermissionDenied
    file_type = _check_file(upload)
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("space__protocol").get(pk=document.pk)
        if not access.can_add_version(actor, document):
            raise PermissionDenied
        version = _new_version(document, upload, file_type, actor=actor)
        record_change(
            "sharing.version_uploaded",
            actor=actor,
            target=document,
            scope_id=document.space.protocol.scope_id,
            request=request,
            version=version.number,
            sha256=version.sha256,
            size=version.size,
            type=version.file_type,
        )
    upload.keep()
    return version


# Storing (the task's work) ------------------------------------------------------------------


def store_version(version_id: uuid.UUID) -> None:
    """Scan a pending version's plaintext (decrypted in memory) and move its ciphertext to storage.

    Idempotent: a version no longer pending is left alone; if an earlier attempt stored the
    object but did not live to mark it, the stored object is kept. One attempt at a time: the
    sweep may start another while a long one is still scanning or uploading, and two attempts
    would each replace the object the other stored, so an attempt first takes a lease on the
    version (``STORE_LEASE``, long enough for the largest upload; a crashed attempt's lease runs
    out). Storage, key-service and scanner outages raise for the task to retry; the spool file
    stays until the object is stored.
    """
    now = timezone.now()
    claimed = (
        DocumentVersion.objects.filter(pk=version_id, status=VersionStatus.PENDING)
        .filter(Q(store_started_at__isnull=True) | Q(store_started_at__lt=now - STORE_LEASE))
        .update(store_started_at=now)
    )
    if not claimed:
        return
    version = DocumentVersion.objects.select_related("document__space__protocol").get(pk=version_id)
    try:
        _store(version)
    except Exception:
        # Let the retry, or the sweep, start again at once rather than wait for the lease.
        DocumentVersion.objects.filter(pk=version_id, store_started_at=now).update(store_started_at=None)
        raise


def _store(version: DocumentVersion) -> None:
    spooled = spool_path(config.spool_dir(), version.id)
    if not spooled.exists():
        if objects.exists(version.object_name):
            _finish(version, VersionStatus.AVAILABLE, "")
            return
        _finish(version, VersionStatus.DAMAGED, "The upload was lost before it was stored. Upload it again")
        return
    data_key = config.key_provider().unwrap(WrappedKey.from_text(version.wrapped_key), str(version.id))
    try:
        # Every chunk is authenticated on the way to the scanner (the no-op scanner reads them too).
        with spooled.open("rb") as ciphertext:
            result = config.scanner().scan(
                decrypt_chunks(data_key, version.id, iter(lambda: ciphertext.read(CHUNK_SIZE), b""))
            )
    except IntegrityError:
        _finish(version, VersionStatus.DAMAGED, "The upload was damaged before it was stored. Upload it again")
        spooled.unlink(missing_ok=True)
        return
    if not result.clean:
        _finish(
            version, VersionStatus.REFUSED, f"A virus was found in the file ({result.signature}). It was not stored"
        )
        spooled.unlink(missing_ok=True)
        return
    objects.put(version.object_name, spooled)
    _finish(version, VersionStatus.AVAILABLE, "")
    spooled.unlink(missing_ok=True)


def note_delay(version_id: uuid.UUID, problem: Exception) -> None:
    """Tell the uploader, on the document's page, why their version is not available yet."""
    logger.warning("version %s not stored yet: %s", version_id, problem)
    DocumentVersion.objects.filter(pk=version_id, status=VersionStatus.PENDING).update(
        status_detail="The document service could not reach its storage or key service. It will try again"
    )


def _finish(version: DocumentVersion, status: str, detail: str) -> None:
    with transaction.atomic():
        locked = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.PENDING:
            return
        locked.status, locked.status_detail = status, detail
        locked.save(update_fields=["status", "status_detail"])
        if status != VersionStatus.AVAILABLE:
            record_change(
                f"sharing.version_{status}",
                actor=None,
                target=version.document,
                scope_id=version.document.space.protocol.scope_id,
                request=None,
                version=version.number,
            )


# Grants ---------------------------------------------------------------------------------------


def grant_access(
    document: Document,
    *,
    actor: Any,
    user_id: int | None = None,
    party_id: int | None = None,
    expires_at: datetime | None = None,
    request: HttpRequest | None,
) -> Grant:
    """Share the document with another member of its space, or every member acting for a party."""
    if (user_id is None) == (party_id is None):
        raise ValueError("grant to exactly one of a user or a party")
    errors = {}
    space = document.space
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_on"] = EXPIRY_MESSAGE
    if user_id is not None:
        member = SpaceMember.objects.current().filter(space=space, user_id=user_id).first()
        if member is None:
            errors["grantee"] = "Choose a current member of this space"
        elif member.party_id == document.owner_party_id:
            errors["grantee"] = "Members acting for the owning agency can already open the document"
    elif party_id == document.owner_party_id:
        errors["grantee"] = "Members acting for the owning agency can already open the document"
    elif not space.protocol.parties.filter(party_id=party_id).exists():
        errors["grantee"] = "Choose an agency that is a party to this space's protocol"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("space__protocol").get(pk=document.pk)
        if not access.can_grant(actor, document):
            raise PermissionDenied
        grantee = {"user_id": user_id} if user_id is not None else {"party_id": party_id}
        if Grant.objects.live().filter(document=document, **grantee).exists():
            raise ValidationError({"grantee": "They already have access to this document"})
        grant = Grant.objects.create(
            document=document, user_id=user_id, party_id=party_id, granted_by=actor, expires_at=expires_at
        )
        record_change(
            "sharing.access_granted",
            actor=actor,
            target=document,
            scope_id=space.protocol.scope_id,
            request=request,
            grant=grant.pk,
            user=user_id,
            party=party_id,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return grant


def revoke_access(grant: Grant, *, actor: Any, request: HttpRequest | None) -> None:
    """End a grant now: the next request for the document is refused."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("document__space__protocol").get(pk=grant.pk)
        if not access.can_grant(actor, grant.document) or grant.revoked_at is not None:
            raise PermissionDenied
        grant.revoked_at, grant.revoked_by = timezone.now(), actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        record_change(
            "sharing.access_revoked",
            actor=actor,
            target=grant.document,
            scope_id=grant.document.space.protocol.scope_id,
            request=request,
            grant=grant.pk,
            user=grant.user_id,
            party=grant.party_id,
        )


# Reading ----------------------------------------------------------------------------------------


def record_download(version: DocumentVersion, *, actor: Any, watermarked: bool, request: HttpRequest | None) -> None:
    """Record that the user is being sent the version (before the first byte leaves)."""
    with transaction.atomic():
        record_change(
            "sharing.document_downloaded",
            actor=actor,
            target=version.document,
            scope_id=version.document.space.protocol.scope_id,
            request=request,
            version=version.number,
            watermarked=watermarked,
        )


def report_integrity_failure(version: DocumentVersion, *, actor: Any, detail: str, request: HttpRequest | None) -> None:
    """Mark a version whose stored ciphertext failed authentication, and record the failure.

    Runs outside any request transaction: the response is an error, and the record must stay.
    """
    with transaction.atomic():
        locked = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status == VersionStatus.AVAILABLE:
            locked.status, locked.status_detail = VersionStatus.DAMAGED, detail[:200]
            locked.save(update_fields=["status", "status_detail"])
    record(
        "sharing.integrity_failure",
        outcome=Outcome.FAILED,
        actor=actor,
        target=version.document,
        request=request,
        partnership_id=version.document.space.protocol.scope_id,
        details={"version": version.number, "detail": detail[:200]},
    )


# Retention --------------------------------------------------------------------------------------


def set_legal_hold(document: Document, *, actor: Any, reason: str, request: HttpRequest | None) -> Document:
    """Keep the document past its retention end until the hold is lifted."""
    return _change_hold(document, actor=actor, hold=True, reason=reason, request=request)


def lift_legal_hold(document: Document, *, actor: Any, reason: str, request: HttpRequest | None) -> Document:
    return _change_hold(document, actor=actor, hold=False, reason=reason, request=request)


def _change_hold(document: Document, *, actor: Any, hold: bool, reason: str, request: HttpRequest | None) -> Document:
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason"})
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("space__protocol").get(pk=document.pk)
        if not access.can_hold(actor, document) or document.legal_hold == hold:
            raise PermissionDenied
        document.legal_hold, document.legal_hold_reason = hold, reason if hold else ""
        document.save(update_fields=["legal_hold", "legal_hold_reason"])
        record_change(
            "sharing.legal_hold_set" if hold else "sharing.legal_hold_lifted",
            actor=actor,
            target=document,
            scope_id=document.space.protocol.scope_id,
            request=request,
            reason=reason,
        )
    return document


def shred_document(document: Document, *, today: date) -> bool:
    """Destroy the document's wrapped keys now and its objects after the commit; keep a tombstone.

    Returns whether it was shredded (not if it is held, already shredded, or not yet due).
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("space__protocol").get(pk=document.pk)
        if document.legal_hold or document.shredded_at is not None or document.retention_ends_on >= today:
            return False
        document.shredded_at = timezone.now()
        document.save(update_fields=["shredded_at"])
        versions = list(document.versions.select_for_update())
        DocumentVersion.objects.filter(document=document).update(
            wrapped_key="", status=VersionStatus.SHREDDED, status_detail="Destroyed at the end of its retention period"
        )
        record_change(
            "sharing.document_shredded",
            actor=None,
            target=document,
            scope_id=document.space.protocol.scope_id,
            request=None,
            versions=len(versions),
            retention_ended=document.retention_ends_on.isoformat(),
        )
    for version in versions:
        spool_path(config.spool_dir(), version.id).unlink(missing_ok=True)
    return True


def shred_due(*, today: date | None = None) -> int:
    """Shred every document past its retention end and not on hold; return how many."""
    today = today or timezone.localdate()
    due = Document.objects.filter(shredded_at__isnull=True, legal_hold=False, retention_ends_on__lt=today)
    return sum(shred_document(document, today=today) for document in due.only("pk"))


def delete_shredded_objects() -> int:
    """Delete the stored objects of shredded versions (retried until storage answers)."""
    deleted = 0
    for version in DocumentVersion.objects.filter(status=VersionStatus.SHREDDED).exclude(object_name=""):
        objects.delete(version.object_name)
        DocumentVersion.objects.filter(pk=version.pk).update(object_name="")
        deleted += 1
    return deleted
