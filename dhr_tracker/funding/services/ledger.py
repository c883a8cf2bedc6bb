"""A review's ledger: its budget by category, commitments and actual costs, and contributions.

The ledger of a review is made the first time anything is recorded in it (``ledger_of``). Every
change locks the ledger's row first (``_locked``) and asks ``access.can_change_ledger`` again of
the review read with it, so two changes to one ledger never interleave: an actual cost cannot
settle a commitment being cancelled at the same moment. The budget form carries the ledger's
``version`` (optimistic locking); the version of a ledger not yet made is 1.

Entries and contributions are never deleted: a mistake is cancelled with a reason. Awarded funds
are contributions made by recording an application's award, and are received and withdrawn
through the application, never here.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import text_of
from dhr_tracker.funding import access
from dhr_tracker.funding.models import (
    BudgetLine,
    Contribution,
    CostCategory,
    CostEntry,
    CostKind,
    Ledger,
    PartnerKind,
)
from dhr_tracker.funding.money import pounds
from dhr_tracker.funding.services import STALE_MESSAGE, record_change
from dhr_tracker.reviews.models import Review

NAME_LIMIT = 200
PCC_NAME = "Police and crime commissioner"
MORE_THAN_NOTHING = "The amount must be more than £0"
NOT_FUTURE = "The date must be today or in the past"
AGAINST_COMMITMENT = "Choose a commitment of this review in the same category"
SETTLED_FIRST = "Cancel the actual costs settled against this commitment first"
AWARDED_ADDED = "Awarded funds are added when the award is recorded on the application"
AWARDED_PAID = "This contribution is paid through its application: record the payment there"
AWARDED_WITHDRAWN = "This contribution is an award: withdraw the application to cancel it"
ENTRY_CANCELLED = "This entry has already been cancelled"
CONTRIBUTION_CANCELLED = "This contribution has already been cancelled"


def ledger_of(review: Review) -> Ledger:
    """The review's ledger, made if it has none yet; call inside the caller's transaction."""
    ledger, _ = Ledger.objects.get_or_create(review=review)
    return ledger


def _allow(actor: Any, review: Review) -> None:
    """Refuse at once someone who does not keep the review's ledger, before any row is made."""
    if not access.can_change_ledger(actor, review):
        raise PermissionDenied


def _locked(review: Review, actor: Any) -> Ledger:
    """The review's ledger, made if need be and locked, if ``actor`` still keeps it; inside a transaction."""
    made = ledger_of(review)
    ledger = Ledger.objects.select_for_update(of=("self",)).select_related("review").get(pk=made.pk)
    if not access.can_change_ledger(actor, ledger.review):
        raise PermissionDenied
    return ledger


def _text(value: str, field: str, label: str, errors: dict[str, str], *, missing: str = "") -> str:
    """``value`` stripped; its error on ``errors`` when empty (if ``missing``) or too long."""
    text = value.strip()
    if missing and not text:
        errors[field] = missing
    elif len(text) > NAME_LIMIT:
        errors[field] = f"{label} must be {NAME_LIMIT} characters or fewer"
    return text


def _not_future(day: date, field: str, errors: dict[str, str]) -> None:
    if day > timezone.localdate():
        errors[field] = NOT_FUTURE


def _amount(pence: int, errors: dict[str, str]) -> None:
    if pence <= 0:
        errors["amount"] = MORE_THAN_NOTHING


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


# The budget -----------------------------------------------------------------------------------


def set_budget(
    review: Review, *, actor: Any, version: int, amounts: dict[str, int], request: HttpRequest | None
) -> Ledger:
    """Set the budget of the categories in ``amounts`` (pence); zero removes a category's line."""
    _allow(actor, review)
    errors: dict[str, str] = {}
    for category, pence in amounts.items():
        if category not in CostCategory.values:
            errors["__all__"] = "Choose categories from the list"
        elif pence < 0:
            errors[category] = f"The budget for {CostCategory(category).label.lower()} cannot be negative"
    _raise(errors)
    with transaction.atomic():
        ledger = _locked(review, actor)
        if ledger.version != version:
            raise ValidationError(STALE_MESSAGE, code="stale")
        lines = {line.category: line for line in BudgetLine.objects.filter(ledger=ledger)}
        for category, pence in amounts.items():
            line = lines.get(category)
            if pence == 0:
                if line is not None:
                    line.delete()
            elif line is None:
                BudgetLine.objects.create(ledger=ledger, category=category, amount_pence=pence)
            elif line.amount_pence != pence:
                line.amount_pence = pence
                line.save(update_fields=["amount_pence"])
        ledger.version += 1
        ledger.save(update_fields=["version"])
        budget = dict(BudgetLine.objects.filter(ledger=ledger).values_list("category", "amount_pence"))
        record_change(
            "funding.budget_set",
            actor=actor,
            target=ledger,
            partnership_id=ledger.review.partnership_id,
            request=request,
            review=ledger.review_id,
            pence=budget,
            total_pence=sum(budget.values()),
        )
    return ledger


# Commitments and actual costs -----------------------------------------------------------------


def commitments(review: Review) -> list[CostEntry]:
    """The live commitments of the review, oldest first, that an actual cost may settle."""
    return list(CostEntry.objects.live().filter(ledger__review=review, kind=CostKind.COMMITMENT).order_by("on", "pk"))


def entry_label(entry: CostEntry) -> str:
    """ "12 May 2025, Legal: Counsel's opinion (£1,200.00)", to choose a commitment by."""
    return (
        f"{entry.on.day} {entry.on:%B %Y}, {entry.get_category_display()}: "
        f"{entry.description} ({pounds(entry.amount_pence)})"
    )


def add_cost(
    review: Review,
    *,
    actor: Any,
    kind: str,
    category: str,
    description: str,
    supplier: str,
    on: date,
    amount_pence: int,
    against_id: int | None,
    request: HttpRequest | None,
) -> CostEntry:
    """Record a commitment or an actual cost; an actual cost may settle a commitment of its category."""
    _allow(actor, review)
    errors: dict[str, str] = {}
    if kind not in CostKind.values:
        errors["kind"] = "Choose whether this is a commitment or an actual cost"
    if category not in CostCategory.values:
        errors["category"] = "Choose the category of the cost"
    description = _text(description, "description", "The description", errors, missing="Enter what the cost is for")
    supplier = _text(supplier, "supplier", "The supplier", errors)
    _not_future(on, "on", errors)
    _amount(amount_pence, errors)
    if against_id is not None and kind != CostKind.ACTUAL:
        errors["against"] = "Only an actual cost settles a commitment: choose none for a commitment"
    _raise(errors)
    with transaction.atomic():
        ledger = _locked(review, actor)
        if against_id is not None:
            settles = CostEntry.objects.live().filter(
                pk=against_id, ledger=ledger, kind=CostKind.COMMITMENT, category=category
            )
            if not settles.exists():
                raise ValidationError({"against": AGAINST_COMMITMENT})
        entry = CostEntry.objects.create(
            ledger=ledger,
            kind=kind,
            category=category,
            description=description,
            supplier=supplier,
            on=on,
            amount_pence=amount_pence,
            against_id=against_id,
            recorded_by=actor,
        )
        record_change(
            "funding.cost_added",
            actor=actor,
            target=entry,
            partnership_id=ledger.review.partnership_id,
            request=request,
            review=ledger.review_id,
            kind=kind,
            category=category,
            on=on.isoformat(),
            amount_pence=amount_pence,
            against=against_id,
        )
    return entry


def cancel_cost(entry: CostEntry, *, actor: Any, reason: str, request: HttpRequest | None) -> CostEntry:
    """Cancel a mistaken entry, keeping it on the record with the reason."""
    _allow(actor, entry.ledger.review)
    reason = text_of(reason, "reason", "Enter why the entry is cancelled", "The reason")
    with transaction.atomic():
        ledger = _locked(entry.ledger.review, actor)
        current = CostEntry.objects.select_for_update().get(pk=entry.pk, ledger=ledger)
        if current.cancelled_at is not None:
            raise ValidationError(ENTRY_CANCELLED)
        if current.kind == CostKind.COMMITMENT and current.settled_by.live().exists():
            raise ValidationError(SETTLED_FIRST)
        current.cancelled_at = timezone.now()
        current.cancelled_by = actor
        current.cancel_reason = reason
        current.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        record_change(
            "funding.cost_cancelled",
            actor=actor,
            target=current,
            partnership_id=ledger.review.partnership_id,
            request=request,
            review=ledger.review_id,
            kind=current.kind,
            category=current.category,
            amount_pence=current.amount_pence,
        )
    return current


# Contributions --------------------------------------------------------------------------------


def _check_received(amount_pence: int, received_pence: int, received_on: date | None, errors: dict[str, str]) -> None:
    """Up to the amount agreed, and a date of receipt exactly when something was received."""
    if received_pence < 0:
        errors["received"] = "The amount received cannot be negative"
    elif received_pence > amount_pence:
        errors["received"] = f"The amount received cannot be more than the {pounds(amount_pence)} agreed"
    if received_on is None:
        if received_pence > 0:
            errors["received_on"] = "Enter the date it was received"
    elif received_pence <= 0:
        errors["received_on"] = "Leave the date received empty when nothing has been received"
    else:
        _not_future(received_on, "received_on", errors)


def add_contribution(
    review: Review,
    *,
    actor: Any,
    partner_kind: str,
    partner_name: str,
    amount_pence: int,
    agreed_on: date,
    received_pence: int,
    received_on: date | None,
    note: str,
    request: HttpRequest | None,
) -> Contribution:
    """Record what the partnership, the police and crime commissioner or another partner puts in."""
    _allow(actor, review)
    errors: dict[str, str] = {}
    if partner_kind == PartnerKind.AWARDED_FUND:
        errors["partner_kind"] = AWARDED_ADDED
    elif partner_kind not in PartnerKind.values:
        errors["partner_kind"] = "Choose who the contribution is from"
    missing = "Enter the name of the partner" if partner_kind == PartnerKind.OTHER_PARTNER else ""
    partner_name = _text(partner_name, "partner_name", "The partner's name", errors, missing=missing)
    if not partner_name:
        partner_name = review.partnership.name if partner_kind == PartnerKind.PARTNERSHIP else PCC_NAME
    _amount(amount_pence, errors)
    _not_future(agreed_on, "agreed_on", errors)
    if amount_pence > 0:
        _check_received(amount_pence, received_pence, received_on, errors)
    note = _text(note, "note", "The note", errors)
    _raise(errors)
    with transaction.atomic():
        ledger = _locked(review, actor)
        contribution = Contribution.objects.create(
            ledger=ledger,
            partner_kind=partner_kind,
            partner_name=partner_name,
            amount_pence=amount_pence,
            agreed_on=agreed_on,
            received_pence=received_pence,
            received_on=received_on,
            note=note,
            recorded_by=actor,
        )
        record_change(
            "funding.contribution_added",
            actor=actor,
            target=contribution,
            partnership_id=ledger.review.partnership_id,
            request=request,
            review=ledger.review_id,
            partner_kind=partner_kind,
            amount_pence=amount_pence,
            agreed_on=agreed_on.isoformat(),
            received_pence=received_pence,
            received_on=received_on.isoformat() if received_on else None,
        )
    return contribution


def _locked_contribution(contribution: Contribution, actor: Any) -> Contribution:
    """The contribution, read again under its ledger's lock, if it is still the ledger's to change."""
    ledger = _locked(contribution.ledger.review, actor)
    current = Contribution.objects.select_for_update().get(pk=contribution.pk, ledger=ledger)
    current.ledger = ledger
    return current


def receive_contribution(
    contribution: Contribution,
    *,
    actor: Any,
    received_pence: int,
    received_on: date | None,
    request: HttpRequest | None,
) -> Contribution:
    """Set the total received of a partner's contribution so far, and the date of the last receipt."""
    _allow(actor, contribution.ledger.review)
    with transaction.atomic():
        current = _locked_contribution(contribution, actor)
        if current.partner_kind == PartnerKind.AWARDED_FUND:
            raise ValidationError(AWARDED_PAID)
        if current.cancelled_at is not None:
            raise ValidationError(CONTRIBUTION_CANCELLED)
        errors: dict[str, str] = {}
        _check_received(current.amount_pence, received_pence, received_on, errors)
        _raise(errors)
        before = current.received_pence
        current.received_pence = received_pence
        current.received_on = received_on
        current.save(update_fields=["received_pence", "received_on"])
        record_change(
            "funding.contribution_received",
            actor=actor,
            target=current,
            partnership_id=current.ledger.review.partnership_id,
            request=request,
            review=current.ledger.review_id,
            received_pence=received_pence,
            before_pence=before,
            received_on=received_on.isoformat() if received_on else None,
        )
    return current


def cancel_contribution(
    contribution: Contribution, *, actor: Any, reason: str, request: HttpRequest | None
) -> Contribution:
    """Cancel a mistaken contribution, keeping it on the record with the reason."""
    _allow(actor, contribution.ledger.review)
    reason = text_of(reason, "reason", "Enter why the contribution is cancelled", "The reason")
    with transaction.atomic():
        current = _locked_contribution(contribution, actor)
        if current.partner_kind == PartnerKind.AWARDED_FUND:
            raise ValidationError(AWARDED_WITHDRAWN)
        if current.cancelled_at is not None:
            raise ValidationError(CONTRIBUTION_CANCELLED)
        current.cancelled_at = timezone.now()
        current.cancelled_by = actor
        current.cancel_reason = reason
        current.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        record_change(
            "funding.contribution_cancelled",
            actor=actor,
            target=current,
            partnership_id=current.ledger.review.partnership_id,
            request=request,
            review=current.ledger.review_id,
            partner_kind=current.partner_kind,
            amount_pence=current.amount_pence,
            received_pence=current.received_pence,
        )
    return current
