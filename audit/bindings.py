"""Bind django-auditlog's field-level history into the hash chain.

django-auditlog writes a LogEntry for each change to a registered model, but a plain history
table can be edited without trace. Each new LogEntry is announced as an audit event in the same
transaction, carrying the entry's id and a digest of its content; ``verify_audit`` recomputes the
digest from the stored entry, so editing or removing an entry breaks verification.
"""

import hashlib
import json
from typing import Any

from auditlog.models import LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.chain import format_time
from audit.models import Outcome
from audit.trail import record

ACTIONS = {0: "created", 1: "changed", 2: "deleted", 3: "accessed"}


def entry_digest(entry: LogEntry) -> str:
    """SHA-256 over the parts of a LogEntry that say what changed, by whom and when."""
    # Each part as the database gives it back (object_pk is a string column, for one), so the
    # digest taken when the entry is written matches the one recomputed from the stored row.
    content = json.dumps(
        [
            int(entry.pk),
            int(entry.content_type_id),
            str(entry.object_pk),
            str(entry.object_repr),
            int(entry.action),
            entry.changes,
            int(entry.actor_id) if entry.actor_id is not None else None,
            format_time(entry.timestamp),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.bind_logentry")
def bind_log_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    model = instance.content_type.model_class()
    record(
        f"model.{ACTIONS.get(instance.action, 'changed')}",
        outcome=Outcome.ALLOWED,
        actor=instance.actor,
        target_ref=(f"{instance.content_type.app_label}.{instance.content_type.model}", str(instance.object_pk)),
        target_label=instance.object_repr,
        details={
            "log_entry": instance.pk,
            "digest": entry_digest(instance),
            "model": model._meta.label_lower if model else "",
            "object_pk": str(instance.object_pk),
            "fields": sorted((instance.changes or {}).keys()) if isinstance(instance.changes, dict) else [],
        },
    )
