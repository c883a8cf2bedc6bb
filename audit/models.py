"""The audit trail's tables. All of them are append-only at the database level (see triggers.py)."""

import json
from typing import Any

from django.db import models

from audit.chain import FIELDS, format_time


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class EventFields(models.Model):
    """What an event says: who, what, to which target, with what outcome, from where.

    Actor and target are kept as plain ids with snapshots rather than foreign keys: a row must
    never change, so it cannot follow a user being renamed or removed, and it must outlive them.
    """

    time = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_organisation = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    partnership_id = models.BigIntegerField(null=True, blank=True)
    # The canonical JSON text (audit.chain.canonical_details), so the database can rebuild the
    # canonical form byte for byte when it verifies the chain (audit/reading.py).
    details_json = models.TextField(default="{}")

    class Meta:
        abstract = True

    @property
    def details(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.details_json)
        return loaded

    def chain_fields(self) -> dict[str, Any]:
        """The fields the canonical form covers, as stored."""
        values = {name: getattr(self, name) for name in FIELDS}
        values["time"] = format_time(self.time)
        return values


class PendingEvent(EventFields):
    """An event as recorded, in the transaction of the change it describes, before it is chained.

    Writing here needs no lock, so writers never wait for one another; the chainer
    (audit/chaining.py) appends pending events to the chain in batches moments later. Pending
    rows are append-only too and are never removed: ``verify_audit`` reports any that were never
    chained.
    """

    id = models.BigAutoField(primary_key=True)

    def __str__(self) -> str:
        return f"pending {self.pk} {self.action}"


class AuditEvent(EventFields):
    """An event in the chain: ``seq`` is its place, ``hash`` chains it to the one before.

    ``source_id`` is the pending event it was chained from.
    """

    seq = models.BigIntegerField(primary_key=True)
    source_id = models.BigIntegerField(unique=True)
    prev_hash = models.BinaryField(max_length=32)
    hash = models.BinaryField(max_length=32, unique=True)

    class Meta:
        ordering = ("-seq",)
        # Each filter the auditors' search offers, paired with seq for keyset pagination.
        indexes = (
            models.Index(fields=("actor_id", "seq"), name="audit_actor_seq"),
            models.Index(fields=("partnership_id", "seq"), name="audit_partnership_seq"),
            models.Index(fields=("target_type", "target_id", "seq"), name="audit_target_seq"),
            models.Index(fields=("action", "seq"), name="audit_action_seq"),
            models.Index(fields=("outcome", "seq"), name="audit_outcome_seq"),
            models.Index(fields=("actor_organisation", "seq"), name="audit_organisation_seq"),
            models.Index(fields=("time",), name="audit_time"),
        )

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.outcome}"


class Checkpoint(models.Model):
    """A signed tree head: the Merkle root over the first ``tree_size`` event hashes.

    ``chain_head`` (the hash of event ``tree_size``) and ``frontier`` (the compact range of the
    tree) let verification resume from here without rereading earlier events.
    """

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    chain_head = models.BinaryField(max_length=32)
    frontier = models.JSONField(default=list)
    time = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.BinaryField(max_length=64)

    class Meta:
        ordering = ("-tree_size",)

    def __str__(self) -> str:
        return f"checkpoint at {self.tree_size}"


class VerificationRun(models.Model):
    """The result of one run of ``verify_audit``, shown on the auditors' home page."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    mode = models.CharField(max_length=12)
    ok = models.BooleanField()
    events_checked = models.BigIntegerField()
    verified_tree_size = models.BigIntegerField(default=0)
    first_bad_seq = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"verification {'passed' if self.ok else 'FAILED'} at {self.started_at}"
