"""Security events of accounts: sign-ins, failures, lock-outs, device and role changes.

Each is recorded in the audit trail (``audit.trail.record``) and logged to
``dhr_tracker.security``. Action codes are stable and never reused. Details must hold no
passwords, codes or secrets.
"""

import logging
from typing import Any

from django.http import HttpRequest

from audit.models import Outcome
from audit.trail import record

logger = logging.getLogger("dhr_tracker.security")

ALLOWED = Outcome.ALLOWED
DENIED = Outcome.DENIED
FAILED = Outcome.FAILED


def emit(
    action: str,
    *,
    outcome: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    target: Any = None,
    partnership_id: int | None = None,
    **details: Any,
) -> None:
    """Record a security event in the audit trail and the security log."""
    record(
        action,
        outcome=outcome,
        actor=actor,
        target=target,
        request=request,
        partnership_id=partnership_id,
        details=details,
    )
    logger.info("%s outcome=%s actor=%s", action, outcome, getattr(actor, "pk", None))
