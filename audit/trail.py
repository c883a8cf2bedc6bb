"""Recording audit events: the one way anything is written to the trail.

``record`` joins the caller's transaction, so an event exists exactly when the change it
describes committed, and a failure to record makes the change fail too. Writers are serialised
(a transaction-scoped advisory lock on PostgreSQL; IMMEDIATE transactions on SQLite) so that
two events never claim the same predecessor; the unique ``hash`` column is the backstop.

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
from audit.integration import hooks
from audit.models import AuditEvent, Outcome
from audit.requestinfo import client_ip, user_agent

# An arbitrary constant naming the chain's lock among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 0x6468725F61756474
LABEL_MAX = 200


class AuditError(RuntimeError):
    """An event could not be recorded as asked."""


def _in_callers_transaction() -> bool:
    """Whether the caller has an open transaction (test-case wrappers do not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def lock_chain() -> None:
    """Serialise writers of the chain until the current transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


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
) -> AuditEvent:
    """Append one event to the chain and return it.

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
        "details": details,
        **request_facts(request),
    }
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, bytes(last[1])) if last else (1, chain.GENESIS)
        moment = timezone.now()
        content = chain.canonical({**fields, "time": chain.format_time(moment)})
        return AuditEvent.objects.create(
            seq=seq, time=moment, prev_hash=prev_hash, hash=chain.entry_hash(prev_hash, seq, content), **fields
        )


def new_request_id() -> str:
    return uuid.uuid4().hex
