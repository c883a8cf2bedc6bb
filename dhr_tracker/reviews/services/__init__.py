"""Every change to a review, each with its acting user, by feature.

- ``notifications``: recording a notification, its people, duplicates, revealing real details.
- ``steps``: the lifecycle (decision, Home Office, pauses, extensions, withdrawal, every step).
- ``panel``: the independent chair, scoped agencies and the panel, kept in step with the space.
- ``terms``: terms of reference versions.
- ``family``: family, friends and colleagues and the contact log.
- ``meetings``: panel meetings and their actions.

Each function checks access (``reviews.access``), changes rows inside one transaction and records
its audit event in that transaction. Changes to the review row itself go through ``locked``,
which refuses a save based on a stale copy (optimistic locking: two coordinators editing the same
review never silently overwrite each other). Refusals raise ``PermissionDenied`` or
``ValidationError`` naming the field.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone

from audit.models import Outcome
from audit.trail import record
from dhr_tracker.reviews.models import Review

STALE_MESSAGE = (
    "Someone else changed this review after you opened this page, so your changes have not been saved. "
    "Open the page again to see their changes, then make yours."
)


def record_change(
    action: str, *, actor: Any, review: Review, target: Any = None, request: HttpRequest | None, **details: Any
) -> None:
    """Record an allowed change to ``review`` (or to ``target`` within it), in the caller's transaction."""
    record(
        action,
        outcome=Outcome.ALLOWED,
        actor=actor,
        target=target if target is not None else review,
        request=request,
        partnership_id=review.partnership_id,
        details={"review": review.reference, **details} if target is not None else details,
    )


def locked(review: Review, *, version: int | None, allowed: Callable[[Review], bool] | None = None) -> Review:
    """Lock the review's row for this transaction and bump its version.

    ``version`` is the version the person's form was built from; ``None`` for changes that do
    not overwrite what someone else may have typed (adding a row, a lifecycle step without a
    form). ``allowed`` is checked again on the locked row, so a permission lost meanwhile counts.
    """
    current = Review.objects.select_for_update().get(pk=review.pk)
    if version is not None and current.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if allowed is not None and not allowed(current):
        raise PermissionDenied
    current.version += 1
    current.save(update_fields=["version"])
    review.version = current.version
    return current


def check_not_future(value: date | None, field: str, label: str) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError({field: f"{label} must be today or in the past"})


def check_not_before(value: date | None, earlier: date | None, field: str, message: str) -> None:
    if value is not None and earlier is not None and value < earlier:
        raise ValidationError({field: message})
