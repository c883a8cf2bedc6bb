"""Background work of the sharing app: storing uploads, expiry, shredding, and the spool's upkeep.

Every task takes ids, is idempotent (running it twice has the effect of running it once) and
retries a bounded number of times with back-off when storage, the key service or the scanner
is down; the upload's ciphertext stays in the spool until it is safely stored, so nothing is
lost, and ``sweep_uploads`` (beat) starts again whatever a lost message or crash left pending.
"""

import logging
import time
import uuid
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from sharing import config, keyops, objects
from sharing.keys import KeyUnavailable
from sharing.models import DocumentVersion, VersionStatus
from sharing.scanning import ScannerUnavailable
from sharing.services import documents, protocols
from sharing.uploads import PART_SUFFIX

logger = logging.getLogger(__name__)

_OUTAGES = (objects.StorageUnavailable, KeyUnavailable, ScannerUnavailable)
# A pending version untouched this long lost its task (a broker restart, a killed worker).
STALE_PENDING = timedelta(minutes=10)
# A spool file with no version after this long belongs to a request that died before committing.
ORPHAN_SPOOL_SECONDS = 6 * 3600


@shared_task(bind=True, acks_late=True, max_retries=8)
def store_version(self, version_id: str) -> None:  # type: ignore[no-untyped-def]
    """Scan a pending upload and move it to storage."""
    try:
        documents.store_version(uuid.UUID(version_id))
    except _OUTAGES as exc:
        documents.note_delay(uuid.UUID(version_id), exc)
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
    except OperationalError as exc:
        # The database itself stumbled (a restart, a lock): nothing to tell the user, try again soon.
        raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc


@shared_task(acks_late=True, max_retries=3, autoretry_for=(objects.StorageUnavailable,), retry_backoff=True)
def shred_expired() -> int:
    """Crypto-shred documents past their retention end (daily), then delete their objects."""
    shredded = documents.shred_due()
    documents.delete_shredded_objects()
    return shredded


@shared_task(acks_late=True, max_retries=3, autoretry_for=(OSError,), retry_backoff=True)
def expire_protocols() -> int:
    """Mark protocols past their end as expired (daily)."""
    return protocols.expire_protocols()


@shared_task(acks_late=True)
def sweep_uploads() -> int:
    """Restart stalled uploads and remove spool files that no pending version owns; return removals."""
    stale = DocumentVersion.objects.filter(
        status=VersionStatus.PENDING, uploaded_at__lt=timezone.now() - STALE_PENDING
    ).values_list("pk", flat=True)
    for version_id in stale:
        store_version.delay(str(version_id))
    removed = 0
    cutoff = time.time() - ORPHAN_SPOOL_SECONDS
    for path in config.spool_dir().iterdir():
        try:
            version_id = uuid.UUID(path.name.removesuffix(PART_SUFFIX))
        except ValueError:
            continue
        if path.stat().st_mtime >= cutoff:
            continue
        pending = DocumentVersion.objects.filter(pk=version_id, status=VersionStatus.PENDING).exists()
        if path.name.endswith(PART_SUFFIX) or not pending:
            path.unlink(missing_ok=True)
            logger.info("removed abandoned spool file %s", path.name)
            removed += 1
    return removed


@shared_task(acks_late=True, max_retries=5, autoretry_for=(KeyUnavailable,), retry_backoff=True)
def rewrap_keys() -> int:
    """Move every wrapped data key to the current key-encryption key; resumable; return how many."""
    return keyops.rewrap_all().rewrapped
