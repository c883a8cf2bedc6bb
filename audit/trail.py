"""Recording audit events: the one way anything is written to the trail.

``record`` joins the caller's transaction, so an event exists exactly when the change it
describes committed, and a failure to record makes the change fail too. It writes a pending
event and takes no lock; the chainer (audit/chaining.py) appends it to the hash chain as soon as
the caller commits, or at once when there is no caller's transaction.

Denied and failed attempts must outlive the rollback of the attempt, so they must be recorded
outside any transaction the caller opened: ``record`` refuses them inside one rather than let
them vanish silently.
"""

import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import chain
from audit.chaining import chain_soon
from audit.integration import hooks
from audit.models import AuditEvent, Outcome, PendingEvent
from audit.requestinfo import client_ip, user_agent

LABEL_MAX = 200


class AuditError(RuntimeError):
    """An event could not be recorded as asked."""


def _in_callers_transaction() -> bool:
    """Whether the caller has an open transaction (test-case wrappers do not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def request_facts(request: HttpRequest | None) -> dict[str, str]:
    """The client address, user agent and request id of ``request``, as far as known."""
    if request is None:
        return {"ip": "", "user_agent": "", "request_id": ""}
    return {
        "ip": client_ip(request),
        "user_agent": user_agent(request),
        "request_id": getattr(request, "request_id", ""),
    }


def record(
    action: str,
    *,
    outcome: str,
    actor: Any = None,
    target: Any = None,
    target_ref: tuple[str, str] | None = None,
    target_label: str | None = None,
    request: HttpRequest | None = None,
    partnership_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Record one event; return it as chained, if it could be chained at once.

    ``actor`` and ``target`` are model instances (or ``None``); a target that is not at hand may
    be named by ``target_ref=(type, id)`` instead. Its label comes from ``target_label`` or the
    target's ``audit_label`` attribute and must hold no special-category data.
    """
    if outcome not in Outcome.values:
        raise AuditError(f"unknown outcome {outcome!r}")
    details = dict(details or {})
    chain.check_details(details)
    if outcome != Outcome.ALLOWED and _in_callers_transaction():
        raise AuditError(f"{action}: record {outcome} events outside the transaction that is refused")
    actor_known = actor is not None and getattr(actor, "is_authenticated", False)
    label = target_label if target_label is not None else str(getattr(target, "audit_label", "") or "")
    fields: dict[str, Any] = {
        "actor_id": actor.pk if actor_known else None,
        "actor_email": getattr(actor, "email", "") if actor_known else "",
        "actor_organisation": hooks().actor_organisation(actor) if actor_known else "",
        "action": action,
        "target_type": target._meta.label_lower if target is not None else (target_ref or ("", ""))[0],
        "target_id": str(target.pk) if target is not None else (target_ref or ("", ""))[1],
        "target_label": label[:LABEL_MAX],
        "outcome": str(outcome),
        "partnership_id": partnership_id,
        **request_facts(request),
    }
    fields = {name: chain.plain_text(value) if isinstance(value, str) else value for name, value in fields.items()}
    pending = PendingEvent.objects.create(time=timezone.now(), details_json=chain.canonical_details(details), **fields)
    if _in_callers_transaction():
        transaction.on_commit(chain_soon, robust=True)
        return None
    if not chain_soon():
        return None
    return AuditEvent.objects.filter(source_id=pending.pk).first()


def new_request_id() -> str:
    return uuid.uuid4().hex
