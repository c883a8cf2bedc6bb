"""Every change to funding streams, applications and ledgers, each with its acting user, by feature.

- ``streams``: recording and changing funding streams.
- ``applications``: building, checking, submitting, deciding, paying and withdrawing applications.
- ``ledger``: a review's budget, commitments, actual costs and contributions.
- ``eligibility``: the facts the eligibility rules are checked against, read from the database.

Each function checks access (``funding.access``), changes rows inside one transaction and records
its audit event in that transaction. Refusals raise ``PermissionDenied`` or ``ValidationError``
naming the field; nothing is changed by a refused call.
"""

from typing import Any

from django.http import HttpRequest

from audit.models import Outcome
from audit.trail import record

STALE_MESSAGE = (
    "Someone else changed this after you opened this page, so your changes have not been saved. "
    "Open the page again to see their changes, then make yours."
)


def record_change(
    action: str, *, actor: Any, target: Any, partnership_id: int | None, request: HttpRequest | None, **details: Any
) -> None:
    """Record an allowed change to ``target``, in the caller's transaction. Details carry ids, codes and pence."""
    record(
        action,
        outcome=Outcome.ALLOWED,
        actor=actor,
        target=target,
        request=request,
        partnership_id=partnership_id,
        details=details,
    )
