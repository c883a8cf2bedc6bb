"""Appending recorded events to the hash chain, in order, in batches.

``record`` writes a pending event in the caller's transaction and takes no lock, so concurrent
writers never queue behind one another's commits. The chainer then takes the chain's lock and
appends every committed pending event after the chain's head, many per transaction, so one
commit covers many events. Only the chainer holds the lock, which keeps the chain from ever
forking; the unique ``hash`` and ``source_id`` columns are the backstop.

Commits can land out of id order, so each pass looks back ``LOOKBACK`` pending ids behind the
newest one chained, for any that committed late; Celery beat sweeps every pending id now and
then (``sweep=True``) for a transaction that stayed open longer still. ``verify_audit`` reports
any pending event that is never chained.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet

from audit import chain
from audit.models import AuditEvent, EventFields, PendingEvent

logger = logging.getLogger("audit")

# An arbitrary constant naming the chain's lock among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 0x6468725F61756474
LOOKBACK = 2000
BATCH = 2000
COPIED = tuple(field.name for field in EventFields._meta.get_fields())


def lock_chain() -> None:
    """Hold the chain's lock until the current transaction ends (waiting for it if need be)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _try_lock_chain() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


def unchained(after_id: int = 0) -> QuerySet[PendingEvent]:
    """Pending events with an id above ``after_id`` that are not yet in the chain, oldest first."""
    return (
        PendingEvent.objects.filter(id__gt=after_id)
        .filter(~Exists(AuditEvent.objects.filter(source_id=OuterRef("id"))))
        .order_by("id")
    )


def chain_pending(*, wait: bool = True, sweep: bool = False) -> int:
    """Append committed pending events to the chain; return how many were appended.

    With ``wait=False`` it returns 0 at once if another process is chaining (its pass, or the
    next, takes ours). ``sweep`` looks at every pending event rather than the recent ones.
    """
    appended = 0
    with transaction.atomic():
        if wait:
            lock_chain()
        elif not _try_lock_chain():
            return 0
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0], bytes(head[1])) if head else (0, chain.GENESIS)
        newest = AuditEvent.objects.aggregate(newest=Max("source_id"))["newest"] or 0
        horizon = 0 if sweep else max(0, newest - LOOKBACK)
        # Only what is pending now: under steady load a pass must still end, and the next
        # pass (by whichever process) takes what arrived meanwhile.
        ceiling = PendingEvent.objects.aggregate(ceiling=Max("id"))["ceiling"] or 0
        while batch := list(unchained(horizon).filter(id__lte=ceiling)[:BATCH]):
            events = []
            for pending in batch:
                seq += 1
                digest = chain.entry_hash(prev_hash, seq, chain.canonical(pending.chain_fields()))
                events.append(
                    AuditEvent(
                        seq=seq,
                        source_id=pending.pk,
                        prev_hash=prev_hash,
                        hash=digest,
                        **{name: getattr(pending, name) for name in COPIED},
                    )
                )
                prev_hash = digest
            AuditEvent.objects.bulk_create(events)
            appended += len(events)
    return appended


_last_pass = 0.0


def chain_soon() -> bool:
    """Chain after a commit, at most once per ``AUDIT_CHAIN_INTERVAL_SECONDS`` in this process.

    Under load the passes of all processes together then take many events each, instead of one
    pass per event; an event left pending by the limit is taken by the next pass of any process,
    or by Celery beat. A failure never fails the request: the pending event is already safe.
    Returns whether a pass ran.
    """
    global _last_pass  # one timestamp per process is the whole point
    now = time.monotonic()
    if now - _last_pass < settings.AUDIT_CHAIN_INTERVAL_SECONDS:
        return False
    _last_pass = now
    try:
        chain_pending(wait=False)
    except DatabaseError:
        logger.exception("chaining audit events failed; Celery beat will retry")
        return False
    return True
