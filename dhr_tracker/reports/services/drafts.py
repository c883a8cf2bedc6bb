"""Report versions, the starting draft, comment rounds and the family's copy.

A version is an upload to the review's secure space through the sharing services: the first
version of a report creates its document (owned by the uploader's agency), and later ones add
versions to it, unless the uploader cannot (they act for another agency), when a new document is
made. The ``ReportVersion`` names the ``DocumentVersion``, in the same transaction.

Circulating a version opens a comment round and gives each current panel member who is in the
space access to the document, when the person circulating may share it; the round's page says
who still cannot open it, and why.

Audit details carry ids, numbers, dates and statuses, never a comment, a response or a note.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.reports import access, sections, startingdraft
from dhr_tracker.reports.models import (
    Comment,
    CommentRound,
    CommentStatus,
    FamilyCopy,
    Report,
    ReportKind,
    ReportVersion,
)
from dhr_tracker.reviews.models import FamilyMember, Participant, ParticipantKind, Review
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change
from sharing import access as sharing_access
from sharing.models import Classification, Document, DocumentVersion
from sharing.services.documents import DocumentFields, add_version, grant_access, upload_document
from sharing.uploads import SpooledUpload

NO_SPACE = (
    "The review has no secure space yet, so the report cannot be uploaded. "
    "The coordinator opens it on the review's Chair and panel page"
)
NOT_A_MEMBER = (
    "You are not a member of the review's secure space, so you cannot upload the report. "
    "Ask the coordinator to add you to the panel, or ask the independent chair to upload it"
)
NOTE_TOO_LONG = "The note must be 10,000 characters or fewer"


def _allow(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# Versions -------------------------------------------------------------------------------------


def upload_refusal(review: Review, user: Any) -> str | None:
    """Why ``user`` cannot upload a version to the review's secure space, or ``None``."""
    space = review.space
    if space is None:
        return NO_SPACE
    if not sharing_access.can_upload(user, space):
        return NOT_A_MEMBER
    return None


def latest_version(review: Review, kind: str) -> ReportVersion | None:
    return (
        ReportVersion.objects.filter(report__review=review, report__kind=kind)
        .select_related("document_version__document")
        .order_by("-number")
        .first()
    )


def document_to_extend(review: Review, kind: str, user: Any) -> Document | None:
    """The document the next version goes into, if ``user`` may add a version to it; else a new one is made."""
    last = latest_version(review, kind)
    if last is None:
        return None
    document = last.document_version.document
    return document if sharing_access.can_add_version(user, document) else None


def add_report_version(
    review: Review, *, actor: Any, kind: str, note: str, upload: SpooledUpload, request: HttpRequest | None
) -> ReportVersion:
    """Put the upload in the review's secure space as the report's next version."""
    if kind not in ReportKind.values:
        raise ValueError(f"unknown kind of report: {kind}")
    _allow(access.can_draft(actor, review))
    note = note.strip()
    if len(note) > TEXT_LIMIT:
        raise ValidationError({"note": NOTE_TOO_LONG})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        refusal = upload_refusal(current, actor)
        space = current.space
        if refusal is not None or space is None:
            raise ValidationError({"file": refusal or NO_SPACE})
        report, _ = Report.objects.get_or_create(review=current, kind=kind, defaults={"created_by": actor})
        document = document_to_extend(current, kind, actor)
        if document is not None:
            document_version = add_version(document, actor=actor, upload=upload, request=request)
        else:
            fields = DocumentFields(
                title=f"{current.reference} {ReportKind(kind).label.lower()}",
                description="",
                classification=Classification.OFFICIAL_SENSITIVE,
                access_expires_at=None,
            )
            document = upload_document(space, actor=actor, fields=fields, upload=upload, request=request)
            document_version = DocumentVersion.objects.get(document=document, number=1)
        number = (report.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = ReportVersion.objects.create(
            report=report, number=number, document_version=document_version, note=note, added_by=actor
        )
        record_change(
            "reports.version_added",
            actor=actor,
            review=current,
            target=version,
            request=request,
            kind=kind,
            number=number,
            document=document.pk,
            document_version=document_version.number,
            sha256=document_version.sha256,
            size=document_version.size,
        )
    return version


def export_starting_draft(review: Review, *, actor: Any, kind: str, request: HttpRequest | None) -> startingdraft.Draft:
    """Make the starting draft of the report of ``kind`` and record who took the copy."""
    _allow(access.can_draft(actor, review))
    draft = startingdraft.starting_draft(review, kind, made_for=actor)
    with transaction.atomic():
        record_change(
            "reports.starting_draft_exported",
            actor=actor,
            review=review,
            request=request,
            kind=kind,
            entries=draft.entries,
            capped=draft.capped,
        )
    return draft


# Comment rounds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """A current panel member, and why they cannot open the circulated version ("" when they can)."""

    user: User
    role: str
    problem: str


def panel_members(review: Review) -> list[Participant]:
    return list(
        Participant.objects.current()
        .filter(review=review, kind=ParticipantKind.PANEL_MEMBER, user__is_active=True)
        .select_related("user", "agency")
        .order_by("user__full_name")
    )


def readers(version: ReportVersion) -> list[Reader]:
    """Each current panel member, with what stops them opening the version's document."""
    document = version.document_version.document
    found = []
    for member in panel_members(version.report.review):
        if sharing_access.current_member(member.user, document.space) is None:
            problem = "not a member of the review's secure space"
        elif not sharing_access.can_open(member.user, document):
            problem = "not given access to the document: only members for the agency that owns it can share it"
        else:
            problem = ""
        found.append(Reader(member.user, member.role_title, problem))
    return found


def _grant_to_panel(version: ReportVersion, actor: Any, request: HttpRequest | None) -> list[int]:
    document = version.document_version.document
    if not sharing_access.can_grant(actor, document):
        return []
    granted = []
    for member in panel_members(version.report.review):
        user = member.user
        if sharing_access.current_member(user, document.space) is None or sharing_access.can_open(user, document):
            continue
        grant_access(document, actor=actor, user_id=user.pk, request=request)
        granted.append(user.pk)
    return granted


def circulate_version(
    version: ReportVersion, *, actor: Any, due_on: date | None, message: str, request: HttpRequest | None
) -> CommentRound:
    """Send the version to the panel for comments by ``due_on``, giving the panel access to it."""
    review = version.report.review
    _allow(access.can_draft(actor, review))
    if due_on is None:
        raise ValidationError({"due_on": "Enter the date comments are due"})
    if due_on <= timezone.localdate():
        raise ValidationError({"due_on": "The date comments are due must be in the future"})
    message = message.strip()
    if len(message) > TEXT_LIMIT:
        raise ValidationError({"message": "The message must be 10,000 characters or fewer"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        if CommentRound.objects.filter(version=version, closed_at__isnull=True).exists():
            raise ValidationError(
                "This version is already out for comment. Close that round before you circulate it again"
            )
        comment_round = CommentRound.objects.create(
            version=version, due_on=due_on, message=message, circulated_by=actor
        )
        granted = _grant_to_panel(version, actor, request)
        record_change(
            "reports.version_circulated",
            actor=actor,
            review=current,
            target=comment_round,
            request=request,
            version=version.pk,
            number=version.number,
            due_on=due_on.isoformat(),
            granted_to=granted,
        )
    return comment_round


def _locked_round(comment_round: CommentRound) -> CommentRound:
    return (
        CommentRound.objects.select_for_update(of=("self",))
        .select_related("version__report__review__partnership")
        .get(pk=comment_round.pk)
    )


def add_comment(
    comment_round: CommentRound, *, actor: Any, section: str, text: str, request: HttpRequest | None
) -> Comment:
    """A panel member's comment on one section of the circulated version, while the round is open."""
    _allow(access.can_comment(actor, comment_round))
    kind = comment_round.version.report.kind
    if section not in dict(sections.comment_choices(kind)):
        raise ValidationError({"section": "Choose the section your comment is about"})
    body = text_of(text, "text", "Enter your comment", "Your comment")
    with transaction.atomic():
        current = _locked_round(comment_round)
        _allow(access.can_comment(actor, current))
        comment = Comment.objects.create(round=current, section=section, text=body, author=actor)
        record_change(
            "reports.comment_added",
            actor=actor,
            review=current.version.report.review,
            target=comment,
            request=request,
            round=current.pk,
            section=section,
        )
    return comment


def resolve_comment(
    comment: Comment, *, actor: Any, status: str, response: str, request: HttpRequest | None
) -> Comment:
    """The chair's answer to a comment: resolved, or not taken up with the reason why."""
    _allow(access.can_resolve(actor, comment))
    if status not in (CommentStatus.RESOLVED, CommentStatus.NOT_RESOLVED):
        raise ValidationError({"status": "Choose whether the comment is resolved"})
    answer = response.strip()
    if status == CommentStatus.NOT_RESOLVED and not answer:
        raise ValidationError({"response": "Enter why the comment was not taken up"})
    if len(answer) > TEXT_LIMIT:
        raise ValidationError({"response": "The response must be 10,000 characters or fewer"})
    review = comment.round.version.report.review
    with transaction.atomic():
        locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        current.status, current.response = status, answer
        current.resolved_by, current.resolved_at = actor, timezone.now()
        current.save(update_fields=["status", "response", "resolved_by", "resolved_at"])
        record_change(
            "reports.comment_resolved",
            actor=actor,
            review=review,
            target=current,
            request=request,
            round=current.round_id,
            status=status,
        )
    return current


def close_round(comment_round: CommentRound, *, actor: Any, request: HttpRequest | None) -> int:
    """Close the round to further comments; returns how many comments still await the chair."""
    review = comment_round.version.report.review
    _allow(access.can_draft(actor, review))
    with transaction.atomic():
        locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        current = _locked_round(comment_round)
        if current.closed_at is not None:
            raise ValidationError("This round is already closed")
        current.closed_by, current.closed_at = actor, timezone.now()
        current.save(update_fields=["closed_by", "closed_at"])
        still_open = current.comments.filter(status=CommentStatus.OPEN).count()
        record_change(
            "reports.round_closed",
            actor=actor,
            review=review,
            target=current,
            request=request,
            comments=current.comments.count(),
            open=still_open,
        )
    return still_open


# The family's copy ----------------------------------------------------------------------------


def family_choices(review: Review) -> list[tuple[int, str]]:
    """The review's family members by pseudonym and relationship, never by name."""
    members = FamilyMember.objects.filter(review=review).order_by("pseudonym")
    return [(member.pk, f"{member.pseudonym} ({member.relationship})") for member in members]


def record_family_copy(
    version: ReportVersion,
    *,
    actor: Any,
    member_id: int | None,
    shared_on: date | None,
    request: HttpRequest | None,
) -> FamilyCopy:
    """Record that the version was shared with the family (with one member of it, when given)."""
    review = version.report.review
    _allow(access.can_draft(actor, review))
    if shared_on is None:
        raise ValidationError({"shared_on": "Enter the date the draft was shared"})
    check_not_future(shared_on, "shared_on", "The date shared")
    if member_id is not None and member_id not in dict(family_choices(review)):
        raise ValidationError({"member": "Choose a member of the family recorded for this review"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        copy = FamilyCopy.objects.create(version=version, member_id=member_id, shared_on=shared_on, recorded_by=actor)
        record_change(
            "reports.family_copy_shared",
            actor=actor,
            review=current,
            target=copy,
            request=request,
            version=version.pk,
            member=member_id,
            shared_on=shared_on.isoformat(),
        )
    return copy


def record_family_return(
    copy: FamilyCopy, *, actor: Any, returned_on: date | None, response: str, request: HttpRequest | None
) -> FamilyCopy:
    """Record the family's return of their copy, with their response sealed."""
    review = copy.version.report.review
    _allow(access.can_draft(actor, review))
    if returned_on is None:
        raise ValidationError({"returned_on": "Enter the date the family returned the draft"})
    check_not_future(returned_on, "returned_on", "The date returned")
    check_not_before(
        returned_on, copy.shared_on, "returned_on", "The date returned must be on or after the date shared"
    )
    answer = response.strip()
    if len(answer) > TEXT_LIMIT:
        raise ValidationError({"response": "The family's response must be 10,000 characters or fewer"})
    with transaction.atomic():
        current_review = locked(review, version=None, allowed=lambda r: access.can_draft(actor, r))
        current = FamilyCopy.objects.select_for_update().get(pk=copy.pk)
        if current.returned_on is not None:
            raise ValidationError("The family's return of this copy is already recorded")
        current.returned_on = returned_on
        current.seal_response(answer)
        current.save(update_fields=["returned_on", "response_enc"])
        record_change(
            "reports.family_copy_returned",
            actor=actor,
            review=current_review,
            target=current,
            request=request,
            returned_on=returned_on.isoformat(),
            response=bool(answer),
        )
    return current
