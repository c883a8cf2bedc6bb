"""Requests to agencies: sending, changing and cancelling them, the answers that are not a
chronology or a report, and their deadlines in the review's status.

A request names its agency (scoped into the review), its kind, the period, the subjects by
pseudonym, a due date and instructions; chronology, IMR and short-report requests carry the
review's approved terms of reference. An agency answers with a chronology (``submissions``), a
report (``imr``), a scoping answer, or a nil return: no contact in the period.

A request the agency owes (open, or returned to it) is a deadline of its review
(``schedule.register_source``, from ``ChronologiesConfig.ready``): it turns the review amber and
red, and its reminders go to the agency's contributors on the review.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.models import AWAITING_AGENCY, AgencyRequest, RequestKind, RequestStatus
from dhr_tracker.reviews import deadlines, schedule
from dhr_tracker.reviews.models import Person, Review, ScopedAgency, TermsOfReference, TermsStatus
from dhr_tracker.reviews.services import STALE_MESSAGE, locked, record_change

NEEDS_TERMS = (RequestKind.CHRONOLOGY, RequestKind.IMR, RequestKind.SHORT_REPORT)
# What an agency sends back, as deadlines and lists name it: "Chronology from Agency A Police".
ANSWER_NAMES = {
    RequestKind.SCOPING: "Scoping answer",
    RequestKind.CHRONOLOGY: "Chronology",
    RequestKind.IMR: "IMR",
    RequestKind.SHORT_REPORT: "Short report",
}
NO_CONTACT = "Enter what your agency searched and why it found no contact"
CONTACT_SUMMARY = "Enter a summary of your agency's contact with the subjects"
# Reasons, explanations and summaries: long enough for a paragraph or two, not for a report.
TEXT_LIMIT = 10_000


@dataclass(frozen=True)
class RequestFields:
    """What a request asks, as the form and the services take it."""

    period_start: date
    period_end: date
    subjects: tuple[str, ...]
    due_on: date
    instructions: str


def default_due(kind: str, sent_on: date) -> date:
    """The due date the policy gives: working days for scoping, weeks for the rest."""
    rules = schedule.policy()
    if kind == RequestKind.SCOPING:
        return deadlines.scoping_due(sent_on, rules)
    return deadlines.request_due(sent_on, rules)


def subject_choices(review: Review) -> list[tuple[str, str]]:
    """The review's people by pseudonym, victim first."""
    people = Person.objects.filter(review=review).order_by("role", "pseudonym")
    order = {"victim": 0, "perpetrator": 1, "child": 2, "other": 3}
    found = sorted(people, key=lambda person: (order.get(person.role, 9), person.pseudonym))
    return [(person.pseudonym, f"{person.pseudonym} ({person.get_role_display().lower()})") for person in found]


def agency_choices(review: Review) -> list[tuple[int, str]]:
    """The agencies scoped into the review."""
    scoped = ScopedAgency.objects.filter(review=review).select_related("agency").order_by("agency__name")
    return [(scoped_agency.agency_id, scoped_agency.agency.name) for scoped_agency in scoped]


def approved_terms(review: Review) -> TermsOfReference | None:
    return TermsOfReference.objects.filter(review=review, status=TermsStatus.APPROVED).order_by("-version").first()


def _check_fields(review: Review, fields: RequestFields, *, sent_on: date) -> None:
    errors: dict[str, str] = {}
    if fields.period_start > fields.period_end:
        errors["period_end"] = "The end of the period must be on or after its start"
    if fields.due_on < sent_on:
        errors["due_on"] = "The due date must be on or after the day the request was sent"
    known = {pseudonym for pseudonym, _ in subject_choices(review)}
    if not fields.subjects:
        errors["subjects"] = "Choose at least one person the agency should look for"
    elif not set(fields.subjects) <= known:
        errors["subjects"] = "Choose the subjects from the people of the review"
    if len(fields.instructions) > TEXT_LIMIT:
        errors["instructions"] = "The instructions must be 10,000 characters or fewer"
    if errors:
        raise ValidationError(errors)


def send_request(
    review: Review,
    *,
    actor: Any,
    agency_id: int,
    kind: str,
    fields: RequestFields,
    request: HttpRequest | None,
) -> AgencyRequest:
    """Ask an agency scoped into the review for a scoping answer, a chronology, an IMR or a short report."""
    if kind not in RequestKind.values:
        raise ValidationError({"kind": "Choose what the agency is asked for"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_send_requests(actor, r))
        if not ScopedAgency.objects.filter(review=current, agency_id=agency_id).exists():
            raise ValidationError(
                {"agency": "Choose an agency scoped into the review. Add agencies on the Chair and panel page"}
            )
        today = timezone.localdate()
        _check_fields(current, fields, sent_on=today)
        terms = approved_terms(current)
        if kind in NEEDS_TERMS and terms is None:
            raise ValidationError(
                {"kind": "The terms of reference must be approved before agencies are asked for a chronology or report"}
            )
        live = AgencyRequest.objects.filter(review=current, agency_id=agency_id, kind=kind).exclude(
            status=RequestStatus.CANCELLED
        )
        if live.exists():
            raise ValidationError(
                {"kind": "This agency already has a request of this kind. Change that request, or cancel it first"}
            )
        agency_request = AgencyRequest.objects.create(
            review=current,
            agency_id=agency_id,
            kind=kind,
            period_start=fields.period_start,
            period_end=fields.period_end,
            subjects=list(fields.subjects),
            due_on=fields.due_on,
            instructions=fields.instructions,
            terms=terms,
            sent_on=today,
            created_by=actor,
        )
        record_change(
            "chronologies.request_sent",
            actor=actor,
            review=current,
            target=agency_request,
            request=request,
            agency=agency_id,
            kind=kind,
            due_on=fields.due_on.isoformat(),
            terms_version=terms.version if terms else None,
        )
    return agency_request


def locked_request(agency_request: AgencyRequest, *, version: int | None) -> AgencyRequest:
    """Lock the request's row for this transaction, refusing a form opened on an older copy, and bump its version."""
    current = AgencyRequest.objects.select_for_update().select_related("review", "agency").get(pk=agency_request.pk)
    if version is not None and current.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    current.version += 1
    current.save(update_fields=["version"])
    agency_request.version = current.version
    return current


def locked_for(
    agency_request: AgencyRequest, *, version: int | None, allowed: Callable[[AgencyRequest], bool]
) -> AgencyRequest:
    """Lock the request for a change ``allowed`` permits: asked of the copy given, then of the locked row."""
    if not allowed(agency_request):
        raise PermissionDenied
    current = locked_request(agency_request, version=version)
    if not allowed(current):
        raise PermissionDenied
    return current


def set_status(agency_request: AgencyRequest, status: str, *, completed_on: date | None = None) -> None:
    """Move the (locked) request to ``status``, saving only what changes."""
    agency_request.status = status
    agency_request.status_changed_at = timezone.now()
    agency_request.completed_on = completed_on
    agency_request.save(update_fields=["status", "status_changed_at", "completed_on"])


def answer_name(agency_request: AgencyRequest) -> str:
    """What the agency is asked to send, and by whom: "Chronology from Agency A Police"."""
    return f"{ANSWER_NAMES[RequestKind(agency_request.kind)]} from {agency_request.agency.name}"


def text_of(value: str, field: str, missing: str, label: str) -> str:
    """``value`` stripped; refused when empty or longer than ``TEXT_LIMIT``."""
    text = value.strip()
    if not text:
        raise ValidationError({field: missing})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: f"{label} must be 10,000 characters or fewer"})
    return text


def update_request(
    agency_request: AgencyRequest, *, actor: Any, fields: RequestFields, version: int, request: HttpRequest | None
) -> AgencyRequest:
    """Change what a request asks and when it is due, until it is closed."""
    with transaction.atomic():
        current = locked_for(agency_request, version=version, allowed=lambda r: access.can_change_request(actor, r))
        _check_fields(current.review, fields, sent_on=current.sent_on)
        new = {
            "period_start": fields.period_start,
            "period_end": fields.period_end,
            "subjects": list(fields.subjects),
            "due_on": fields.due_on,
            "instructions": fields.instructions,
        }
        changed = sorted(name for name, value in new.items() if getattr(current, name) != value)
        for name, value in new.items():
            setattr(current, name, value)
        current.save(update_fields=list(new))
        record_change(
            "chronologies.request_changed",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            changed=changed,
            due_on=fields.due_on.isoformat(),
        )
    return current


def cancel_request(
    agency_request: AgencyRequest, *, actor: Any, reason: str, version: int, request: HttpRequest | None
) -> AgencyRequest:
    """Withdraw a request the agency no longer needs to answer; a new one of its kind may then be sent."""
    with transaction.atomic():
        current = locked_for(agency_request, version=version, allowed=lambda r: access.can_change_request(actor, r))
        text = text_of(reason, "reason", "Enter why the request is cancelled", "The reason")
        was = current.status
        current.cancel_reason = text
        current.save(update_fields=["cancel_reason"])
        set_status(current, RequestStatus.CANCELLED)
        record_change(
            "chronologies.request_cancelled",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            agency=current.agency_id,
            kind=current.kind,
            was=was,
        )
    return current


def _answered(agency_request: AgencyRequest, actor: Any) -> None:
    agency_request.answered_by = actor
    agency_request.answered_at = timezone.now()


def record_nil_return(
    agency_request: AgencyRequest, *, actor: Any, reason: str, version: int, request: HttpRequest | None
) -> AgencyRequest:
    """The agency answers that it had no contact with the subjects in the period, and says how it knows."""
    with transaction.atomic():
        current = locked_for(agency_request, version=version, allowed=lambda r: access.can_answer(actor, r))
        text = text_of(reason, "reason", NO_CONTACT, "The explanation")
        _nil_return(current, actor, text)
        record_change(
            "chronologies.nil_return_recorded",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            agency=current.agency_id,
            kind=current.kind,
        )
    return current


def _nil_return(agency_request: AgencyRequest, actor: Any, reason: str) -> None:
    """Close the (locked) request as a nil return."""
    agency_request.nil_reason = reason
    if agency_request.kind == RequestKind.SCOPING:
        agency_request.had_contact = False
    _answered(agency_request, actor)
    agency_request.save(update_fields=["nil_reason", "had_contact", "records_secured", "answered_by", "answered_at"])
    set_status(agency_request, RequestStatus.NIL_RETURN, completed_on=timezone.localdate())


def answer_scoping(
    agency_request: AgencyRequest,
    *,
    actor: Any,
    had_contact: bool,
    summary: str,
    records_secured: bool | None,
    version: int,
    request: HttpRequest | None,
) -> AgencyRequest:
    """Answer a scoping request: the contact the agency had and whether its records are secured.

    "No contact" is a nil return, with ``summary`` as its explanation.
    """
    with transaction.atomic():
        current = locked_for(agency_request, version=version, allowed=lambda r: access.can_answer_scoping(actor, r))
        text = text_of(summary, "summary", CONTACT_SUMMARY if had_contact else NO_CONTACT, "The summary")
        if had_contact and records_secured is None:
            raise ValidationError({"records_secured": "Say whether your agency has secured its records"})
        current.records_secured = records_secured
        if had_contact:
            current.had_contact = True
            current.contact_summary = text
            _answered(current, actor)
            current.save(
                update_fields=["had_contact", "contact_summary", "records_secured", "answered_by", "answered_at"]
            )
            set_status(current, RequestStatus.COMPLETE, completed_on=timezone.localdate())
        else:
            _nil_return(current, actor, text)
        record_change(
            "chronologies.scoping_answered",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            agency=current.agency_id,
            had_contact=had_contact,
            records_secured=records_secured,
            status=current.status,
        )
    return current


# Deadlines ------------------------------------------------------------------------------------

# Where ``schedule.with_schedule`` puts the requests a review's agencies owe.
AWAITING_ATTR = "requests_awaiting_agency"


def _owed() -> QuerySet[AgencyRequest]:
    return AgencyRequest.objects.filter(status__in=AWAITING_AGENCY).select_related("agency").order_by("due_on", "pk")


def _awaiting_lookups() -> schedule.Lookups:
    return (Prefetch("agency_requests", queryset=_owed(), to_attr=AWAITING_ATTR),)


def request_deadlines(review: Review, today: date, rules: deadlines.Policy) -> list[schedule.Deadline]:
    """Each request the agency owes, as a deadline of its review owned by the agency.

    Short allowances (a scoping answer in ten working days) turn amber only near their end,
    as the review's own clocks do.
    """
    owed = getattr(review, AWAITING_ATTR, None)
    if owed is None:
        owed = list(_owed().filter(review=review))
    return [
        schedule.Deadline(
            f"request:{agency_request.pk}",
            answer_name(agency_request),
            agency_request.due_on,
            deadlines.rag(
                agency_request.due_on,
                today,
                rules,
                allowance_days=max(0, (agency_request.due_on - agency_request.sent_on).days),
            ),
            None,
            f"agency:{agency_request.agency_id}",
            page=reverse("chronologies:request", args=[agency_request.pk]),
        )
        for agency_request in owed
    ]


DEADLINES = schedule.DeadlineSource(_awaiting_lookups, request_deadlines)
