"""Who may see and do what with requests, submissions, IMRs and the combined chronology. Deny by default.

- **Those who run the review** (its partnership's CSP chairs and coordinators, and the independent
  chair): send, change and cancel requests; return or accept what agencies submit (never their
  drafts); give feedback on IMRs; release the combined chronology; note and mark entries.
- **Panel members**: see the requests and their status, accepted chronologies and the combined
  chronology; note and mark entries.
- **Agency contributors** (a current ``Participant`` of kind agency contributor, for an agency, on
  the review): the requests to their own agency on that review, with every version of its
  chronology and its IMR; nothing of another agency's until the combined chronology is released
  to them, and never the panel's notes.
- Everyone else, including auditors, site administrators and other partnerships: nothing, and a
  404 rather than a 403, so that not even the existence of a request is disclosed.

``access_<thing>(user, pk)`` return the object or raise ``Http404``; the ``can_<verb>``
predicates decide single actions, and services ask them again inside their transaction.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dhr_tracker.accounts.models import PartnershipRole
from dhr_tracker.chronologies.models import (
    AWAITING_AGENCY,
    CLOSED_STATUSES,
    IMR,
    AgencyRequest,
    Entry,
    ImportJob,
    IMRStatus,
    Release,
    RequestKind,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.reviews import access as review_access
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def contributor_agencies(user: Any, review: Review) -> frozenset[int]:
    """The agencies the user is a current contributor for on this review (memoised per request)."""
    if not _active(user):
        return frozenset()
    cache: dict[int, frozenset[int]] = review.__dict__.setdefault("_contributor_cache", {})
    if user.pk not in cache:
        held = Participant.objects.current().filter(
            user=user, review=review, kind=ParticipantKind.AGENCY_CONTRIBUTOR, agency__isnull=False
        )
        cache[user.pk] = frozenset(held.values_list("agency_id", flat=True))
    return cache[user.pk]


def reads_review(user: Any, review: Review) -> bool:
    """The partnership, the independent chair and the panel: everyone who sees the review itself."""
    return bool(review_access.roles_in(user, review))


def runs_review(user: Any, review: Review) -> bool:
    """The partnership's chairs and coordinators and the independent chair, while the review is open."""
    return review_access.can_change(user, review)


def acts_for(user: Any, agency_request: AgencyRequest) -> bool:
    """Whether the user is a current contributor for the request's agency on its review."""
    return agency_request.agency_id in contributor_agencies(user, agency_request.review)


# Requests -------------------------------------------------------------------------------------


def visible_requests(user: Any) -> QuerySet[AgencyRequest]:
    """Every request the user may see: all of the reviews they read, and their own agencies' on others."""
    if not _active(user):
        return AgencyRequest.objects.none()
    managed = PartnershipRole.objects.current().filter(user=user, role__in=review_access.CSP_ROLES)
    reading = Participant.objects.current().filter(user=user, kind__in=review_access.REVIEW_READERS)
    contributing = Participant.objects.current().filter(
        user=user, kind=ParticipantKind.AGENCY_CONTRIBUTOR, agency__isnull=False
    )
    own = Q(pk__in=[])
    for review_id, agency_id in contributing.values_list("review_id", "agency_id"):
        own |= Q(review_id=review_id, agency_id=agency_id)
    return AgencyRequest.objects.filter(
        Q(review__partnership_id__in=managed.values("partnership_id"))
        | Q(review_id__in=reading.values("review_id"))
        | own
    )


def access_request(user: Any, request_id: int) -> AgencyRequest:
    """The request, if the user may see it; 404 otherwise."""
    found = (
        visible_requests(user).select_related("review__partnership", "agency", "terms").filter(pk=request_id).first()
    )
    if found is None:
        raise Http404
    return found


def can_send_requests(user: Any, review: Review) -> bool:
    """Requests go out once the review is commissioned, from those who run it."""
    return review_access.is_commissioned(review) and runs_review(user, review)


def can_change_request(user: Any, agency_request: AgencyRequest) -> bool:
    """Change the due date, period, subjects or instructions, or cancel: until the request is closed."""
    if agency_request.status in CLOSED_STATUSES:
        return False
    return runs_review(user, agency_request.review)


def can_answer(user: Any, agency_request: AgencyRequest) -> bool:
    """Answer the request (a nil return, a scoping answer, a chronology or a report): its agency, while owed."""
    if review_access.is_final(agency_request.review) or agency_request.status not in AWAITING_AGENCY:
        return False
    return acts_for(user, agency_request)


def can_answer_scoping(user: Any, agency_request: AgencyRequest) -> bool:
    return agency_request.kind == RequestKind.SCOPING and can_answer(user, agency_request)


# Chronology submissions -----------------------------------------------------------------------


def can_see_submission(user: Any, submission: Submission) -> bool:
    """The agency sees every version; the review's runners what was submitted; the panel what was accepted."""
    agency_request = submission.request
    if acts_for(user, agency_request):
        return True
    if submission.status == SubmissionStatus.DRAFT:
        return False
    review = agency_request.review
    if review_access.is_manager(user, review) or review_access.is_independent_chair(user, review):
        return True
    return submission.status == SubmissionStatus.ACCEPTED and reads_review(user, review)


def access_submission(user: Any, submission_id: int) -> Submission:
    found = (
        Submission.objects.select_related("request__review__partnership", "request__agency")
        .filter(pk=submission_id, request__in=visible_requests(user))
        .first()
    )
    if found is None or not can_see_submission(user, found):
        raise Http404
    return found


def can_start_draft(user: Any, agency_request: AgencyRequest) -> bool:
    """Start the chronology (its version 1): the agency, once, on a chronology request it owes."""
    if agency_request.kind != RequestKind.CHRONOLOGY:
        return False
    if not can_answer(user, agency_request):
        return False
    return not agency_request.submissions.exists()


def can_edit_draft(user: Any, submission: Submission) -> bool:
    """Add, change, delete or import entries, or submit: the agency, on its draft of a request it owes."""
    if submission.status != SubmissionStatus.DRAFT:
        return False
    return can_answer(user, submission.request)


def can_decide_submission(user: Any, submission: Submission) -> bool:
    """Return with comments, or accept: those who run the review, once it is submitted."""
    if submission.status != SubmissionStatus.SUBMITTED:
        return False
    return runs_review(user, submission.request.review)


def access_import(user: Any, job_id: Any) -> ImportJob:
    """An import's progress: for the people of the agency whose draft it fills."""
    job = ImportJob.objects.select_related("submission__request__review", "submission__request__agency").filter(
        pk=job_id
    )
    found = job.first()
    if found is None or not acts_for(user, found.submission.request):
        raise Http404
    return found


# IMRs and short reports -----------------------------------------------------------------------


def can_see_imr(user: Any, imr: IMR) -> bool:
    """The agency, and those who run the review once it has been submitted; the panel once accepted."""
    agency_request = imr.request
    if acts_for(user, agency_request):
        return True
    if imr.status == IMRStatus.DRAFT:
        return False
    review = agency_request.review
    if review_access.is_manager(user, review) or review_access.is_independent_chair(user, review):
        return True
    return imr.status == IMRStatus.ACCEPTED and reads_review(user, review)


def can_write_imr(user: Any, agency_request: AgencyRequest) -> bool:
    """Record or change the IMR's details, or submit it: the agency, while it is being written or revised."""
    if agency_request.kind not in (RequestKind.IMR, RequestKind.SHORT_REPORT):
        return False
    imr = getattr(agency_request, "imr", None)
    if imr is not None and imr.status not in (IMRStatus.DRAFT, IMRStatus.FEEDBACK):
        return False
    return can_answer(user, agency_request)


def can_review_imr(user: Any, imr: IMR) -> bool:
    """Give feedback on, or accept, a submitted IMR: those who run the review."""
    if imr.status != IMRStatus.SUBMITTED:
        return False
    return runs_review(user, imr.request.review)


# The combined chronology ----------------------------------------------------------------------


def live_release(review: Review) -> Release | None:
    return Release.objects.filter(review=review, withdrawn_at__isnull=True).first()


def can_see_combined(user: Any, review: Review) -> bool:
    """The partnership, the chair and the panel; the review's contributors once it is released to them."""
    if reads_review(user, review):
        return True
    return bool(contributor_agencies(user, review)) and live_release(review) is not None


def access_combined(user: Any, review_id: int) -> Review:
    """The review whose combined chronology the user may see; 404 otherwise."""
    review = Review.objects.select_related("partnership").filter(pk=review_id).first()
    if review is None or not can_see_combined(user, review):
        raise Http404
    return review


def can_see_notes(user: Any, review: Review) -> bool:
    """The panel's notes are the panel's: never shown to the agencies' contributors."""
    return reads_review(user, review)


def can_annotate(user: Any, review: Review) -> bool:
    """Mark entries significant and add notes: the partnership, the chair and the panel, while the review is open."""
    return not review_access.is_final(review) and reads_review(user, review)


def access_entry(user: Any, entry_id: int) -> Entry:
    """An entry of a combined chronology the user may see."""
    entry = Entry.objects.select_related("review__partnership", "agency").filter(pk=entry_id, combined=True).first()
    if entry is None or not can_see_combined(user, entry.review):
        raise Http404
    return entry


def can_release(user: Any, review: Review) -> bool:
    return runs_review(user, review)
