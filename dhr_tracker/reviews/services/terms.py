"""Terms of reference: drafted and changed while a draft, agreed by the panel, approved by the
CSP chair, and exported. Agreed and approved versions are frozen; a change starts a new version,
a copy of the latest. A review has at most one draft at a time.
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from dhr_tracker.reviews import access, exports
from dhr_tracker.reviews.exports import subject_choices
from dhr_tracker.reviews.models import Review, TermsOfReference, TermsStatus
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change

# The fields of a version, as forms give them; subjects and agencies are given apart.
TERMS_FIELDS = (
    "period_start",
    "period_end",
    "period_start_reason",
    "lines_of_enquiry",
    "equality_and_diversity",
    "family_involvement",
    "perpetrator_involvement",
    "parallel_processes",
    "method",
    "timetable",
)
TEXT_FIELDS = TERMS_FIELDS[2:]
# What to say when a field a version needs is empty; the forms say the same.
REQUIRED = {
    "period_start": "Enter the start of the period under review",
    "period_end": "Enter the end of the period under review",
    "period_start_reason": "Enter why the period under review starts then",
    "lines_of_enquiry": "Enter the key lines of enquiry",
    "equality_and_diversity": "Enter how the review will consider equality and diversity",
    "family_involvement": "Enter how family, friends and colleagues will be involved",
    "method": "Enter the method of the review",
    "timetable": "Enter the timetable of the review",
    "subjects": "Select at least one subject of the review",
}


def agency_choices(review: Review) -> list[tuple[int, str]]:
    """The agencies scoped into the review."""
    return [(scoped.agency_id, scoped.agency.name) for scoped in review.scoped_agencies.select_related("agency")]


def frozen_message(terms: TermsOfReference) -> str:
    return (
        f"Version {terms.version} is {terms.get_status_display().lower()}, so it can no longer be changed. "
        "Start a new version to change the terms of reference"
    )


def _checked(
    review: Review, fields: dict[str, Any], agency_ids: list[int], subjects: list[str]
) -> tuple[dict[str, Any], list[str], list[int]]:
    """Return the fields, the subjects in order and the agency ids, or refuse naming the field."""
    values: dict[str, Any] = {name: fields.get(name) for name in TERMS_FIELDS}
    for name in TEXT_FIELDS:
        values[name] = (values[name] or "").strip()
    for name in TERMS_FIELDS:
        if name in REQUIRED and not values[name]:
            raise ValidationError({name: REQUIRED[name]})
    start, end = values["period_start"], values["period_end"]
    check_not_future(start, "period_start", "The start of the period under review")
    if end <= start:
        raise ValidationError({"period_end": "The end of the period under review must be after its start"})
    if end > review.died_on:
        raise ValidationError(
            {
                "period_end": "The end of the period under review must be on or before the date of death, "
                f"{date_format(review.died_on, 'j F Y')}"
            }
        )
    known = [pseudonym for pseudonym, _ in subject_choices(review)]
    if not subjects:
        raise ValidationError({"subjects": REQUIRED["subjects"]})
    if set(subjects) - set(known):
        raise ValidationError({"subjects": "Choose subjects from the people recorded in this review"})
    scoped = {pk for pk, _ in agency_choices(review)}
    if set(agency_ids) - scoped:
        raise ValidationError({"agencies": "Choose agencies from those scoped into this review"})
    return values, [pseudonym for pseudonym in known if pseudonym in subjects], sorted(set(agency_ids))


def _refuse_second_draft(review: Review) -> None:
    draft = review.terms.filter(status=TermsStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(f"Version {draft.version} is still a draft: change it, or have the panel agree it first")


def _locked_terms(terms: TermsOfReference) -> TermsOfReference:
    """The version's row, locked; call after ``locked`` has locked its review."""
    return TermsOfReference.objects.select_for_update().get(pk=terms.pk)


def draft_terms(
    review: Review,
    *,
    actor: Any,
    fields: dict[str, Any],
    agency_ids: list[int],
    subjects: list[str],
    request: HttpRequest | None,
) -> TermsOfReference:
    """Draft the review's terms of reference: version 1, or the next version if there are earlier ones."""
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_draft_terms(actor, r))
        _refuse_second_draft(current)
        values, ordered_subjects, agencies = _checked(current, fields, agency_ids, subjects)
        latest = current.terms.order_by("-version").values_list("version", flat=True).first() or 0
        terms = TermsOfReference.objects.create(
            review=current, version=latest + 1, subjects=ordered_subjects, created_by=actor, **values
        )
        terms.agencies.set(agencies)
        record_change(
            "reviews.terms_drafted", actor=actor, review=current, target=terms, request=request, version=terms.version
        )
    return terms


def new_terms_version(terms: TermsOfReference, *, actor: Any, request: HttpRequest | None) -> TermsOfReference:
    """Start a new draft version as a copy of the latest, keeping subjects and agencies still in the review."""
    with transaction.atomic():
        current = locked(terms.review, version=None, allowed=lambda r: access.can_draft_terms(actor, r))
        _refuse_second_draft(current)
        latest = current.terms.order_by("-version").first() or terms
        if latest.pk != terms.pk:
            raise ValidationError(f"Start the new version from the latest one, version {latest.version}")
        known = {pseudonym for pseudonym, _ in subject_choices(current)}
        scoped = {pk for pk, _ in agency_choices(current)}
        copy = TermsOfReference.objects.create(
            review=current,
            version=latest.version + 1,
            subjects=[pseudonym for pseudonym in latest.subjects if pseudonym in known],
            created_by=actor,
            **{name: getattr(latest, name) for name in TERMS_FIELDS},
        )
        copy.agencies.set(latest.agencies.filter(pk__in=scoped))
        record_change(
            "reviews.terms_drafted",
            actor=actor,
            review=current,
            target=copy,
            request=request,
            version=copy.version,
            copied_from=latest.version,
        )
    return copy


def update_terms(
    terms: TermsOfReference,
    *,
    actor: Any,
    fields: dict[str, Any],
    agency_ids: list[int],
    subjects: list[str],
    version: int,
    request: HttpRequest | None,
) -> TermsOfReference:
    """Change a draft; refused once agreed, or if someone else saved since the form was opened."""
    with transaction.atomic():
        current = locked(terms.review, version=version, allowed=lambda r: access.can_draft_terms(actor, r))
        row = _locked_terms(terms)
        if row.status != TermsStatus.DRAFT:
            raise ValidationError(frozen_message(row))
        values, ordered_subjects, agencies = _checked(current, fields, agency_ids, subjects)
        changed = [name for name in TERMS_FIELDS if getattr(row, name) != values[name]]
        if row.subjects != ordered_subjects:
            changed.append("subjects")
        if set(row.agencies.values_list("pk", flat=True)) != set(agencies):
            changed.append("agencies")
        for name, value in values.items():
            setattr(row, name, value)
        row.subjects = ordered_subjects
        row.save()
        row.agencies.set(agencies)
        record_change(
            "reviews.terms_changed",
            actor=actor,
            review=current,
            target=row,
            request=request,
            version=row.version,
            fields=changed,
        )
    return row


def record_agreement(
    terms: TermsOfReference, *, actor: Any, agreed_on: date | None, request: HttpRequest | None
) -> TermsOfReference:
    """Record that the panel agreed a draft, which freezes it; by the independent chair or the partnership."""
    if agreed_on is None:
        raise ValidationError({"agreed_on": "Enter the date the panel agreed the terms of reference"})
    check_not_future(agreed_on, "agreed_on", "The date the panel agreed")
    drafted = timezone.localdate(terms.created_at)
    check_not_before(
        agreed_on,
        drafted,
        "agreed_on",
        f"The date the panel agreed must be on or after {date_format(drafted, 'j F Y')}, "
        f"when version {terms.version} was drafted",
    )
    with transaction.atomic():
        current = locked(terms.review, version=None, allowed=lambda r: access.can_draft_terms(actor, r))
        row = _locked_terms(terms)
        if row.status != TermsStatus.DRAFT:
            raise ValidationError(
                f"Version {row.version} is {row.get_status_display().lower()}: only a draft is agreed"
            )
        row.status, row.agreed_on, row.agreed_recorded_by = TermsStatus.AGREED, agreed_on, actor
        row.save(update_fields=["status", "agreed_on", "agreed_recorded_by"])
        record_change(
            "reviews.terms_agreed",
            actor=actor,
            review=current,
            target=row,
            request=request,
            version=row.version,
            agreed_on=agreed_on.isoformat(),
        )
    return row


def approve_terms(terms: TermsOfReference, *, actor: Any, request: HttpRequest | None) -> TermsOfReference:
    """Approve a version the panel agreed; the CSP chair's decision. Earlier versions are superseded."""
    with transaction.atomic():
        current = locked(terms.review, version=None, allowed=lambda r: access.can_approve_terms(actor, r))
        row = _locked_terms(terms)
        if row.status == TermsStatus.DRAFT:
            raise ValidationError(f"The panel must agree version {row.version} before it can be approved")
        if row.status != TermsStatus.AGREED:
            raise ValidationError(f"Version {row.version} is {row.get_status_display().lower()} already")
        # An earlier version agreed but never approved is as out of date as an earlier approved one.
        earlier = current.terms.filter(version__lt=row.version, status__in=[TermsStatus.AGREED, TermsStatus.APPROVED])
        superseded = sorted(earlier.values_list("version", flat=True))
        earlier.update(status=TermsStatus.SUPERSEDED)
        row.status, row.approved_at, row.approved_by = TermsStatus.APPROVED, timezone.now(), actor
        row.save(update_fields=["status", "approved_at", "approved_by"])
        record_change(
            "reviews.terms_approved",
            actor=actor,
            review=current,
            target=row,
            request=request,
            version=row.version,
            superseded=superseded,
        )
    return row


def export_terms(terms: TermsOfReference, *, actor: Any, fmt: str, request: HttpRequest | None) -> bytes:
    """Make the DOCX or PDF of a version and record who took the copy."""
    if not access.can_export_terms(actor, terms.review):
        raise PermissionDenied
    content = exports.FORMATS[fmt].render(terms)
    with transaction.atomic():
        record_change(
            "reviews.terms_exported",
            actor=actor,
            review=terms.review,
            target=terms,
            request=request,
            version=terms.version,
            format=fmt,
        )
    return content
