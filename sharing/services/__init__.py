"""Every change to sharing's rows, each with its acting user (protocols and spaces; documents).

Each function checks access, changes rows inside one transaction and records its audit event in
that transaction, so an event exists exactly when the change committed. Refusals raise
``PermissionDenied`` (recorded by the audit middleware) or ``ValidationError`` with a message
for the person.
"""

from typing import Any

from django.http import HttpRequest

from audit.models import Outcome
from audit.trail import record


def record_change(
    action: str, *, actor: Any, target: Any, scope_id: int, request: HttpRequest | None, **details: Any
) -> None:
    """Record an allowed change to a row of scope ``scope_id``, in the caller's transaction."""
    record(
        action,
        outcome=Outcome.ALLOWED,
        actor=actor,
        target=target,
        request=request,
        partnership_id=scope_id,
        details=details,
    )
