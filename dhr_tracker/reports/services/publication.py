"""Publication: telling the family, publishing the checked PDFs, and taking them down.

Publishing is one transaction: the ``Publication`` (title, date, removal date), a
``PublishedItem`` per live candidate with its PDF in the clear (it is public by design), the
candidates' encrypted copies dropped, and the lifecycle's ``publish`` step
(``steps.take_registered_step``), whose refusal rolls all of it back. Before any of that,
``problems`` lists everything that stands in the way, each with what to do, and a refusal
names them all; nothing is published while one remains.

A publication comes down on demand (CSP chairs and coordinators, with the reason) or when the
partnership's period ends (``unpublish_due``, run daily by Celery beat, recorded with no actor);
after that it is supplied on request by the partnership.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.reports import access, anonymisation
from dhr_tracker.reports.facts import REQUIRED_ITEMS, candidate_clear, live_candidates
from dhr_tracker.reports.models import (
    Candidate,
    CandidateStatus,
    HitResolution,
    Publication,
    PublicationItemKind,
    PublishedItem,
)
from dhr_tracker.reports.services.register import register_for
from dhr_tracker.reports.textextract import Passage
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import check_not_future, locked, record_change, steps
from sharing.dates import add_months

PERIOD_ENDED = "The partnership's publication period ended"
HOW_LIMIT = 200
TITLE_LIMIT = 200
NOT_APPROVED = (
    "The Home Office has not approved publication yet: record its quality assurance outcome, complete every "
    "area for final development, then prepare the review for publication"
)
FAMILY_NOT_TOLD = "Record when and how the family was told about the publication first"


@dataclass(frozen=True)
class Problem:
    """Something that stands in the way of publishing, and what to do about it."""

    message: str


def publication_of(review: Review) -> Publication | None:
    return Publication.objects.filter(review=review).first()


def _item_label(item: str) -> str:
    return PublicationItemKind(item).label.lower()


def candidate_problem(candidate: Candidate) -> str:
    """Why this live candidate cannot be published yet, or ""."""
    label = _item_label(candidate.item)
    if candidate.status == CandidateStatus.UNREADABLE:
        return f"The {label} cannot be checked: {candidate.message}"
    if candidate.file_type != "pdf":
        return f"The {label} must be published as a PDF: upload the PDF of the {label}"
    if candidate_clear(candidate):
        return ""
    if candidate.hits.filter(resolution=HitResolution.OPEN).exists():
        return f"Resolve every hit found in the {label}, or have the CSP chair override them"
    # Hits marked to be fixed are still in this file: the corrected one must be uploaded.
    return f"Upload the corrected {label}: what the check found is still in this file"


def problems(review: Review, candidates: list[Candidate] | None = None) -> list[Problem]:
    """Everything that stands in the way of publishing the review now, in the order to deal with it."""
    found: list[Problem] = []
    state = State(review.state)
    if state != State.READY_TO_PUBLISH:
        already = state in access.AFTER_PUBLICATION
        found.append(Problem("This review has already been published" if already else NOT_APPROVED))
    publication = publication_of(review)
    if publication is None or publication.family_told_on is None:
        found.append(Problem(FAMILY_NOT_TOLD))
    live = live_candidates(review) if candidates is None else candidates
    present = {candidate.item for candidate in live}
    for item in PublicationItemKind:
        if item in REQUIRED_ITEMS and item not in present:
            found.append(Problem(f"Upload the {_item_label(item)} for the anonymisation check"))
    for candidate in live:
        if message := candidate_problem(candidate):
            found.append(Problem(message))
    return found


def _refuse(found: list[Problem]) -> None:
    if found:
        raise ValidationError([problem.message for problem in found], code="not_ready")


def record_family_told(
    review: Review,
    *,
    actor: Any,
    told_on: date,
    how: str,
    media_note: str,
    request: HttpRequest | None,
) -> Publication:
    """Record that the family was told of the publication (when and how), and the media lines agreed."""
    check_not_future(told_on, "told_on", "The date the family was told")
    method = how.strip()
    if not method:
        raise ValidationError({"how": "Enter how the family was told, for example by their advocate"})
    if len(method) > HOW_LIMIT:
        raise ValidationError({"how": f"How the family was told must be {HOW_LIMIT} characters or fewer"})
    lines = media_note.strip()
    if len(lines) > TEXT_LIMIT:
        raise ValidationError({"media_note": "The media lines must be 10,000 characters or fewer"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_prepare_publication(actor, r))
        publication, _ = Publication.objects.select_for_update().get_or_create(review=current)
        publication.family_told_on, publication.family_told_how = told_on, method
        publication.media_note, publication.family_told_recorded_by = lines, actor
        publication.save(update_fields=["family_told_on", "family_told_how", "media_note", "family_told_recorded_by"])
        record_change(
            "reports.family_told",
            actor=actor,
            review=current,
            target=publication,
            request=request,
            told_on=told_on.isoformat(),
        )
    return publication


def default_title(review: Review) -> str:
    return review.title[:TITLE_LIMIT]


def publish(review: Review, *, actor: Any, title: str, request: HttpRequest | None) -> Publication:
    """Publish the review's checked PDFs on the partnership's public page, all or nothing."""
    if not access.can_ask_to_publish(actor, review):
        raise PermissionDenied
    heading = title.strip()
    if len(heading) > TITLE_LIMIT:
        raise ValidationError({"title": f"The title must be {TITLE_LIMIT} characters or fewer"})
    # The title is published too: it is checked against the register like the files.
    if heading and anonymisation.scan([Passage("Title", heading)], register_for(review)):
        raise ValidationError({"title": "The title contains a real name or another identifier: use the pseudonyms"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_ask_to_publish(actor, r))
        candidates = list(
            Candidate.objects.select_for_update().filter(review=current, superseded_at__isnull=True).order_by("item")
        )
        _refuse(problems(current, candidates))
        publication = Publication.objects.select_for_update().get(review=current)
        today = timezone.localdate()
        publication.published_on, publication.published_by = today, actor
        publication.title = heading or default_title(current)
        publication.remove_on = add_months(today, current.partnership.publication_months)
        publication.save(update_fields=["published_on", "published_by", "title", "remove_on"])
        for candidate in candidates:
            content = candidate.held()
            if hashlib.sha256(content).hexdigest() != candidate.sha256:
                raise ValidationError(
                    f"The held copy of the {_item_label(candidate.item)} does not match the file checked: upload it again"
                )
            PublishedItem.objects.create(
                publication=publication,
                item=candidate.item,
                candidate=candidate,
                file_name=candidate.file_name,
                size=len(content),
                sha256=candidate.sha256,
                content=content,
            )
        Candidate.objects.filter(pk__in=[candidate.pk for candidate in candidates]).update(content_enc="")
        steps.take_registered_step(current, "publish", actor=actor, rationale="", request=request)
        record_change(
            "reports.published",
            actor=actor,
            review=current,
            target=publication,
            request=request,
            items=[{"item": c.item, "candidate": c.pk, "sha256": c.sha256} for c in candidates],
            remove_on=publication.remove_on.isoformat(),
        )
    return publication


def unpublish(publication: Publication, *, actor: Any, reason: str, request: HttpRequest | None) -> Publication:
    """Take a publication off the public pages now, with the reason; it is then supplied on request."""
    text = text_of(reason, "reason", "Enter why the review is taken off the public page", "The reason")
    with transaction.atomic():
        current = Publication.objects.select_for_update().select_related("review").get(pk=publication.pk)
        if not access.can_unpublish(actor, current):
            raise PermissionDenied
        _take_down(current, actor=actor, reason=text, request=request)
    return current


def _take_down(publication: Publication, *, actor: Any, reason: str, request: HttpRequest | None) -> None:
    publication.unpublished_at, publication.unpublished_by = timezone.now(), actor
    publication.unpublish_reason = reason
    publication.save(update_fields=["unpublished_at", "unpublished_by", "unpublish_reason"])
    record_change(
        "reports.unpublished",
        actor=actor,
        review=publication.review,
        target=publication,
        request=request,
        period_ended=actor is None,
    )


def unpublish_due(*, today: date | None = None) -> int:
    """Take down every live publication whose removal date has come (Celery beat, daily); return how many."""
    today = today or timezone.localdate()
    due = access.public_publications().filter(remove_on__lte=today)
    taken_down = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            publication = Publication.objects.select_for_update().select_related("review").get(pk=pk)
            if not publication.is_live or publication.remove_on is None or publication.remove_on > today:
                continue
            _take_down(publication, actor=None, reason=PERIOD_ENDED, request=None)
            taken_down += 1
    return taken_down
