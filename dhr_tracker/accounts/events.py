"""Security events: one place that announces sign-ins, failures, lock-outs and role changes.

Each event is logged to ``dhr_tracker.security`` and sent as the ``security_event`` signal. The
audit trail connects to the signal and records every event; nothing here decides what is kept.
Action codes are stable and never reused.
"""

import logging
from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest

from dhr_tracker.accounts.requestinfo import client_ip, user_agent

logger = logging.getLogger("dhr_tracker.security")

# Sent with: action (str), outcome ("allowed" | "denied" | "failed"), actor (User | None),
# target (User | None), ip (str | None), user_agent (str), details (dict).
security_event = Signal()

ALLOWED = "allowed"
DENIED = "denied"
FAILED = "failed"


def emit(
    action: str,
    *,
    outcome: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    target: Any = None,
    **details: Any,
) -> None:
    """Announce a security event. ``details`` must hold no passwords, codes or secrets."""
    ip = client_ip(request) if request is not None else None
    agent = user_agent(request) if request is not None else ""
    logger.info(
        "%s outcome=%s actor=%s target=%s ip=%s details=%s",
        action,
        outcome,
        getattr(actor, "pk", None),
        getattr(target, "pk", None),
        ip,
        details,
    )
    security_event.send(
        sender=emit,
        action=action,
        outcome=outcome,
        actor=actor,
        target=target,
        ip=ip,
        user_agent=agent,
        details=details,
    )
