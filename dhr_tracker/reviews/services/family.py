"""Family, friends and colleagues of the victim: who they are, their consent, the contact log
and the draft report shared with them.

Their real names and contact details, and the summaries in the contact log, are sealed; every
page but the audited reveal shows the agreed pseudonym. Audit details carry the pseudonym and
the names of the fields changed, never their values.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from dhr_tracker import blindindex
from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import Consent, ContactMethod, FamilyContact, FamilyMember, Review
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change

# The fields kept in the clear, as the forms give them.
PLAIN_FIELDS = ("pseudonym", "relationship", "advocate", "consent", "consent_on", "preferred_contact")


@dataclass(frozen=True)
class Revealed:
    """The real details of a family member, for the reveal page only."""

    name: str
    contact_details: str


def _check_details(review: Review, fields: dict[str, Any], *, member: FamilyMember | None) -> None:
    pseudonym = fields["pseudonym"]
    if not pseudonym:
        raise ValidationError({"pseudonym": "Enter the agreed pseudonym"})
    others = review.family.filter(pseudonym__iexact=pseudonym)
    if member is not None:
        others = others.exclude(pk=member.pk)
    if others.exists() or review.people.filter(pseudonym__iexact=pseudonym).exists():
        raise ValidationError({"pseudonym": "Someone else in this review has this pseudonym"})
    if not fields["relationship"]:
        raise ValidationError({"relationship": "Enter their relationship to the person who died"})
    if fields["consent"] not in Consent.values:
        raise ValidationError({"consent": "Select whether they consent to take part"})
    if fields["preferred_contact"] not in ("", *ContactMethod.values):
        raise ValidationError({"preferred_contact": "Select how they prefer to be contacted"})
    if fields["consent"] != Consent.NOT_ASKED and fields["consent_on"] is None:
        raise ValidationError({"consent_on": "Enter the date they gave, declined or withdrew consent"})
    check_not_future(fields["consent_on"], "consent_on", "The date of consent")


def _plain(
    *,
    pseudonym: str,
    relationship: str,
    advocate: str,
    consent: str,
    consent_on: date | None,
    preferred_contact: str,
) -> dict[str, Any]:
    return {
        "pseudonym": pseudonym.strip(),
        "relationship": relationship.strip(),
        "advocate": advocate.strip(),
        "consent": consent,
        "consent_on": consent_on if consent != Consent.NOT_ASKED else None,
        "preferred_contact": preferred_contact,
    }


def _seal_name(member: FamilyMember, name: str) -> None:
    member.seal("name", name)
    member.name_index = blindindex.name_index(name)


def add_family_member(
    review: Review,
    *,
    actor: Any,
    pseudonym: str,
    name: str,
    relationship: str,
    contact_details: str,
    advocate: str,
    consent: str,
    consent_on: date | None,
    preferred_contact: str,
    request: HttpRequest | None,
) -> FamilyMember:
    """Add a family member, friend or colleague; their name and contact details are sealed."""
    fields = _plain(
        pseudonym=pseudonym,
        relationship=relationship,
        advocate=advocate,
        consent=consent,
        consent_on=consent_on,
        preferred_contact=preferred_contact,
    )
    if not name.strip():
        raise ValidationError({"name": "Enter their full name"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_manage_family(actor, r))
        _check_details(current, fields, member=None)
        member = FamilyMember(review=current, added_by=actor, **fields)
        _seal_name(member, name.strip())
        member.seal("contact_details", contact_details.strip())
        member.save()
        record_change(
            "reviews.family_added",
            actor=actor,
            review=current,
            target=member,
            request=request,
            pseudonym=member.pseudonym,
            consent=member.consent,
        )
    return member


def update_family_member(
    member: FamilyMember,
    *,
    actor: Any,
    pseudonym: str,
    name: str | None,
    relationship: str,
    contact_details: str | None,
    advocate: str,
    consent: str,
    consent_on: date | None,
    preferred_contact: str,
    version: int,
    request: HttpRequest | None,
) -> FamilyMember:
    """Change a family member's details; ``None`` for the name or contact details keeps them.

    Refused if someone else changed the review since the form was opened.
    """
    fields = _plain(
        pseudonym=pseudonym,
        relationship=relationship,
        advocate=advocate,
        consent=consent,
        consent_on=consent_on,
        preferred_contact=preferred_contact,
    )
    if name is not None and not name.strip():
        raise ValidationError({"name": "Enter their full name"})
    with transaction.atomic():
        current = locked(member.review, version=version, allowed=lambda r: access.can_manage_family(actor, r))
        row = FamilyMember.objects.select_for_update().get(pk=member.pk, review=current)
        _check_details(current, fields, member=row)
        changed = [field for field, value in fields.items() if getattr(row, field) != value]
        for field, value in fields.items():
            setattr(row, field, value)
        if name is not None and name.strip() != row.unseal("name"):
            changed.append("name")
            _seal_name(row, name.strip())
        if contact_details is not None and contact_details.strip() != row.unseal("contact_details"):
            changed.append("contact_details")
            row.seal("contact_details", contact_details.strip())
        row.save()
        record_change(
            "reviews.family_changed",
            actor=actor,
            review=current,
            target=row,
            request=request,
            pseudonym=row.pseudonym,
            fields=changed,
        )
    return row


def log_contact(
    member: FamilyMember,
    *,
    actor: Any,
    contacted_on: date,
    method: str,
    summary: str,
    request: HttpRequest | None,
) -> FamilyContact:
    """Add an entry to the contact log; its summary is sealed."""
    check_not_future(contacted_on, "contacted_on", "The date of contact")
    if method not in ContactMethod.values:
        raise ValidationError({"method": "Select how they were contacted"})
    if not summary.strip():
        raise ValidationError({"summary": "Enter a summary of the contact"})
    with transaction.atomic():
        current = locked(member.review, version=None, allowed=lambda r: access.can_manage_family(actor, r))
        contact = FamilyContact(member=member, contacted_on=contacted_on, method=method, recorded_by=actor)
        contact.summary = summary.strip()
        contact.save()
        record_change(
            "reviews.family_contacted",
            actor=actor,
            review=current,
            target=member,
            request=request,
            pseudonym=member.pseudonym,
            contacted_on=contacted_on.isoformat(),
            method=method,
        )
    return contact


def record_draft_shared(
    member: FamilyMember, *, actor: Any, shared_on: date, request: HttpRequest | None
) -> FamilyMember:
    """Record the day the draft report was shared with the family member."""
    check_not_future(shared_on, "shared_on", "The date the draft was shared")
    with transaction.atomic():
        current = locked(member.review, version=None, allowed=lambda r: access.can_manage_family(actor, r))
        row = FamilyMember.objects.select_for_update().get(pk=member.pk, review=current)
        if row.draft_returned_on is not None and shared_on > row.draft_returned_on:
            raise ValidationError(
                {"shared_on": "The date the draft was shared must be on or before the date it was returned"}
            )
        row.draft_shared_on = shared_on
        row.save(update_fields=["draft_shared_on"])
        record_change(
            "reviews.family_draft_shared",
            actor=actor,
            review=current,
            target=row,
            request=request,
            pseudonym=row.pseudonym,
            shared_on=shared_on.isoformat(),
        )
    return row


def record_draft_returned(
    member: FamilyMember, *, actor: Any, returned_on: date, request: HttpRequest | None
) -> FamilyMember:
    """Record the day the family member returned the draft report with their comments."""
    check_not_future(returned_on, "returned_on", "The date the draft was returned")
    with transaction.atomic():
        current = locked(member.review, version=None, allowed=lambda r: access.can_manage_family(actor, r))
        row = FamilyMember.objects.select_for_update().get(pk=member.pk, review=current)
        if row.draft_shared_on is None:
            raise ValidationError({"returned_on": "Record the date the draft was shared before the date it came back"})
        check_not_before(
            returned_on,
            row.draft_shared_on,
            "returned_on",
            "The date the draft was returned must be on or after the date it was shared",
        )
        row.draft_returned_on = returned_on
        row.save(update_fields=["draft_returned_on"])
        record_change(
            "reviews.family_draft_returned",
            actor=actor,
            review=current,
            target=row,
            request=request,
            pseudonym=row.pseudonym,
            returned_on=returned_on.isoformat(),
        )
    return row


def reveal_family_member(member: FamilyMember, *, actor: Any, request: HttpRequest | None) -> Revealed:
    """Return a family member's real name and contact details; each reveal is audited.

    The contact log's summaries are shown on the same page, so the event covers them too.
    """
    if not access.can_reveal_identities(actor, member.review):
        raise PermissionDenied
    with transaction.atomic():
        record_change(
            "reviews.family_revealed",
            actor=actor,
            review=member.review,
            target=member,
            request=request,
            pseudonym=member.pseudonym,
        )
    return Revealed(name=member.unseal("name"), contact_details=member.unseal("contact_details"))
