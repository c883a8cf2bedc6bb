"""IMRs and short reports: the record of the report, its submission, and the panel's feedback rounds.

The report itself is a document in the review's secure space, uploaded there by the agency
through the sharing pages and owned by the agency. The tracker records which document it is,
its author, the author's independence statement and the senior sign-off (DHR.md s7, s20), and
moves it: being written -> submitted -> returned with the panel's feedback (the request goes
back to the agency) -> the agency responds and submits again -> ... -> accepted (the request is
complete).

On each submission the review's independent chair is given access to the document (a sharing
grant, made by the submitting contributor in the same transaction) if they are a member of the
space and cannot open it yet, so the panel's chair can read what the agency sent.

Audit details carry ids, dates, statuses and round numbers, never the feedback or the response.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.models import IMR, AgencyRequest, IMRFeedback, IMRStatus, RequestStatus
from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, locked_for, locked_request, set_status, text_of
from dhr_tracker.reviews.models import Participant, ParticipantKind
from dhr_tracker.reviews.services import STALE_MESSAGE, check_not_future, record_change
from sharing import access as sharing_access
from sharing.models import Document, SpaceMember
from sharing.services.documents import grant_access

NO_DOCUMENT = "Choose the report from your agency's documents in the review's secure space"
MISSING = {
    "document": NO_DOCUMENT,
    "author": "Enter the name and role of the author",
    "independence_statement": "Enter the author's statement of independence",
    "signed_off_by": "Enter the name and role of the senior manager who signed the report off",
    "signed_off_on": "Enter the date the report was signed off",
}


@dataclass(frozen=True)
class IMRFields:
    """The record of a report, as the form and the services take it; any may be empty in a draft."""

    document_id: int | None
    author: str
    independence_statement: str
    signed_off_by: str
    signed_off_on: date | None


def document_choices(agency_request: AgencyRequest, user: Any) -> list[tuple[int, str]]:
    """The documents of the review's secure space that the request's agency owns and ``user`` may open."""
    space = agency_request.review.space
    if space is None:
        return []
    documents = sharing_access.visible_documents(user, space).filter(owner_party_id=agency_request.agency_id)
    return list(documents.order_by("-created_at").values_list("pk", "title"))


def _document(agency_request: AgencyRequest, actor: Any, document_id: int | None, *, kept: int | None) -> None:
    """Refuse a document the actor may not choose; the one already chosen may stay."""
    if document_id is None or document_id == kept:
        return
    if document_id not in {pk for pk, _ in document_choices(agency_request, actor)}:
        raise ValidationError({"document": NO_DOCUMENT})


# The longest name and role the record keeps (its columns' width).
NAME_LIMIT = 200


def _check_lengths(fields: IMRFields) -> None:
    errors = {}
    if len(fields.author.strip()) > NAME_LIMIT:
        errors["author"] = "The author's name and role must be 200 characters or fewer"
    if len(fields.signed_off_by.strip()) > NAME_LIMIT:
        errors["signed_off_by"] = "The senior manager's name and role must be 200 characters or fewer"
    if len(fields.independence_statement.strip()) > TEXT_LIMIT:
        errors["independence_statement"] = "The statement of independence must be 10,000 characters or fewer"
    if errors:
        raise ValidationError(errors)


def _locked_imr(agency_request: AgencyRequest, version: int) -> IMR | None:
    """Lock the request's IMR, if it has one, refusing a form opened on an older copy (0: none yet)."""
    imr = IMR.objects.select_for_update().filter(request=agency_request).first()
    if (imr.version if imr else 0) != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if imr is not None:
        imr.request = agency_request
        imr.version += 1
    return imr


def _locked_for(imr: IMR, *, version: int, allowed: Callable[[IMR], bool]) -> tuple[AgencyRequest, IMR]:
    """Lock the report's request and the report for a change ``allowed`` permits, asked before and after."""
    if not allowed(imr):
        raise PermissionDenied
    current = locked_request(imr.request, version=None)
    row = _locked_imr(current, version)
    if row is None or not allowed(row):
        raise PermissionDenied
    return current, row


def save_imr(
    agency_request: AgencyRequest, *, actor: Any, fields: IMRFields, version: int, request: HttpRequest | None
) -> IMR:
    """Record or change the details of the agency's report while it is being written or revised."""
    with transaction.atomic():
        current = locked_for(agency_request, version=None, allowed=lambda r: access.can_write_imr(actor, r))
        check_not_future(fields.signed_off_on, "signed_off_on", "The date signed off")
        _check_lengths(fields)
        imr = _locked_imr(current, version)
        _document(current, actor, fields.document_id, kept=imr.document_id if imr else None)
        created = imr is None
        if imr is None:
            imr = IMR(request=current, created_by=actor)
        imr.document_id = fields.document_id
        imr.author = fields.author.strip()
        imr.independence_statement = fields.independence_statement.strip()
        imr.signed_off_by = fields.signed_off_by.strip()
        imr.signed_off_on = fields.signed_off_on
        imr.save()
        record_change(
            "chronologies.imr_saved",
            actor=actor,
            review=current.review,
            target=imr,
            request=request,
            created=created,
            document=imr.document_id,
            signed_off_on=imr.signed_off_on.isoformat() if imr.signed_off_on else None,
        )
    return imr


def _grant_to_chairs(imr: IMR, document: Document, actor: Any, request: HttpRequest | None) -> list[int]:
    """Let the review's independent chair open the report, if they are in the space and cannot yet."""
    chairs = Participant.objects.current().filter(
        review=imr.request.review, kind=ParticipantKind.INDEPENDENT_CHAIR, user__is_active=True
    )
    members = SpaceMember.objects.current().filter(space=document.space).values("user_id")
    granted = []
    for participant in chairs.filter(user_id__in=members).select_related("user"):
        if not sharing_access.can_open(participant.user, document):
            grant_access(document, actor=actor, user_id=participant.user_id, request=request)
            granted.append(participant.user_id)
    return granted


def submit_imr(agency_request: AgencyRequest, *, actor: Any, version: int, request: HttpRequest | None) -> IMR:
    """Send the report to the panel, once every detail is recorded (each missing one is named)."""
    with transaction.atomic():
        current = locked_for(agency_request, version=None, allowed=lambda r: access.can_write_imr(actor, r))
        imr = _locked_imr(current, version)
        if imr is None:
            raise ValidationError(MISSING)
        missing = {field: message for field, message in MISSING.items() if not _given(imr, field)}
        if missing:
            raise ValidationError(missing)
        document = imr.document
        if document is None or not sharing_access.can_open(actor, document):
            raise ValidationError({"document": f"You can no longer open the report chosen. {NO_DOCUMENT}"})
        last = imr.feedback.order_by("-number").first()
        if last is not None and not last.response:
            raise ValidationError("Respond to the panel's feedback before you submit the report again")
        imr.status = IMRStatus.SUBMITTED
        imr.submitted_at, imr.submitted_by = timezone.now(), actor
        imr.save()
        set_status(current, RequestStatus.SUBMITTED)
        granted = _grant_to_chairs(imr, document, actor, request)
        record_change(
            "chronologies.imr_submitted",
            actor=actor,
            review=current.review,
            target=imr,
            request=request,
            document=document.pk,
            rounds=last.number if last else 0,
            granted_to=granted,
        )
    return imr


def _given(imr: IMR, field: str) -> bool:
    if field == "document":
        return imr.document_id is not None
    return bool(getattr(imr, field))


def give_feedback(imr: IMR, *, actor: Any, feedback: str, version: int, request: HttpRequest | None) -> IMRFeedback:
    """Return the submitted report to the agency with the panel's feedback: a new round."""
    with transaction.atomic():
        current, row = _locked_for(imr, version=version, allowed=lambda r: access.can_review_imr(actor, r))
        text = text_of(feedback, "feedback", "Enter the panel's feedback", "The feedback")
        number = row.feedback.count() + 1
        given = IMRFeedback.objects.create(imr=row, number=number, feedback=text, given_by=actor)
        row.status = IMRStatus.FEEDBACK
        row.save()
        set_status(current, RequestStatus.RETURNED)
        record_change(
            "chronologies.imr_returned", actor=actor, review=current.review, target=row, request=request, round=number
        )
    return given


def can_respond(user: Any, imr: IMR) -> bool:
    """The agency answers the panel's latest round while the report is back with it."""
    return imr.status == IMRStatus.FEEDBACK and access.can_write_imr(user, imr.request)


def respond_to_feedback(
    imr: IMR, *, actor: Any, response: str, version: int, request: HttpRequest | None
) -> IMRFeedback:
    """Record (or change) the agency's response to the panel's latest round, before submitting again."""
    with transaction.atomic():
        current, row = _locked_for(imr, version=version, allowed=lambda r: can_respond(actor, r))
        text = text_of(response, "response", "Enter your agency's response to the feedback", "The response")
        last = row.feedback.select_for_update().order_by("-number").first()
        if last is None:  # a report is back with the agency only after a round of feedback
            raise PermissionDenied
        last.response = text
        last.responded_by, last.responded_at = actor, timezone.now()
        last.save(update_fields=["response", "responded_by", "responded_at"])
        row.save(update_fields=["version"])
        record_change(
            "chronologies.imr_feedback_answered",
            actor=actor,
            review=current.review,
            target=row,
            request=request,
            round=last.number,
        )
    return last


def accept_imr(imr: IMR, *, actor: Any, version: int, request: HttpRequest | None) -> IMR:
    """Accept the submitted report: the request is complete."""
    with transaction.atomic():
        current, row = _locked_for(imr, version=version, allowed=lambda r: access.can_review_imr(actor, r))
        row.status = IMRStatus.ACCEPTED
        row.accepted_at, row.accepted_by = timezone.now(), actor
        row.save()
        set_status(current, RequestStatus.COMPLETE, completed_on=timezone.localdate())
        record_change(
            "chronologies.imr_accepted",
            actor=actor,
            review=current.review,
            target=row,
            request=request,
            rounds=row.feedback.count(),
        )
    return row
