"""Candidate publications and the anonymisation check: the upload, the check, its hits and the override.

An upload is checked at once, in the request, against the review's pseudonym register
(``register.register_for``). A file the checker cannot read (a scanned PDF with no text layer, a
password-protected PDF, something that is not a document) is recorded as "cannot be checked",
with the checker's message: it blocks publication, and no override lifts that. Its content is
not kept, since it can never be published. A readable file is held encrypted with one sealed
``Hit`` per finding; the new candidate supersedes the item's live one in the same transaction,
and the replaced file's content is dropped.

The chair resolves each hit (not identifying, with a note; or to be fixed in a new upload); the
CSP chair may override the open hits of a readable file in sudo mode, with a reason. Audit
details carry ids, numbers, statuses, counts and the file's SHA-256: never what was found.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.chronologies.spreadsheets import format_size
from dhr_tracker.reports import access, anonymisation
from dhr_tracker.reports.models import (
    Candidate,
    CandidateStatus,
    Hit,
    HitResolution,
    PublicationItemKind,
)
from dhr_tracker.reports.services.register import register_for
from dhr_tracker.reports.textextract import Unreadable
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import locked, record_change

FILE_TYPES = ("docx", "pdf", "odt", "txt")
NAME_LIMIT = 200
SUPERSEDED = "This file has been replaced by a newer upload; resolve what was found in that one"


def too_large_message() -> str:
    return f"The selected file must be smaller than {format_size(settings.REPORT_MAX_PUBLICATION_BYTES)}"


def _file_name(name: str) -> str:
    """The file's own name, without any folder a browser sent, cut to what the row holds."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "candidate"
    if len(base) <= NAME_LIMIT:
        return base
    suffix = PurePath(base).suffix[:20]
    return base[: NAME_LIMIT - len(suffix)] + suffix


def _claimed_type(file_name: str) -> str:
    """The type the name claims, for a file the checker could not read; "" if none it knows."""
    suffix = PurePath(file_name).suffix.lower().lstrip(".")
    return suffix if suffix in FILE_TYPES else ""


def upload_candidate(
    review: Review, *, actor: Any, item: str, content: bytes, file_name: str, request: HttpRequest | None
) -> Candidate:
    """Check a candidate publication for real identifiers and make it the item's live candidate."""
    if not access.can_check(actor, review):
        raise PermissionDenied
    if item not in PublicationItemKind.values:
        raise ValidationError({"item": "Choose what this file is"})
    if not content:
        raise ValidationError({"file": "The selected file is empty"})
    if len(content) > settings.REPORT_MAX_PUBLICATION_BYTES:
        raise ValidationError({"file": too_large_message()})
    name = _file_name(file_name)
    message = ""
    try:
        file_type, findings = anonymisation.check(content, name, register_for(review))
        status = CandidateStatus.HITS if findings else CandidateStatus.CLEAR
    except Unreadable as unreadable:
        findings, status, message = [], CandidateStatus.UNREADABLE, str(unreadable)
        file_type = "" if unreadable.code == "not_a_document" else _claimed_type(name)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_check(actor, r))
        previous = Candidate.objects.select_for_update().filter(review=current, item=item)
        number = (previous.aggregate(last=Max("number"))["last"] or 0) + 1
        previous.filter(superseded_at__isnull=True).update(superseded_at=timezone.now(), content_enc="")
        candidate = Candidate(
            review=current,
            item=item,
            number=number,
            file_name=name,
            file_type=file_type,
            size=len(content),
            sha256=sha256,
            status=status,
            message=message,
            uploaded_by=actor,
        )
        if status != CandidateStatus.UNREADABLE:
            candidate.hold(content)
        candidate.save()
        hits = []
        for finding in findings:
            hit = Hit(
                candidate=candidate,
                kind=finding.kind[:30],
                location=finding.location[:100],
                pseudonym=finding.pseudonym[:100],
            )
            hit.seal(finding.found, finding.context)
            hits.append(hit)
        Hit.objects.bulk_create(hits)
        record_change(
            "reports.candidate_uploaded",
            actor=actor,
            review=current,
            target=candidate,
            request=request,
            item=item,
            number=number,
            sha256=sha256,
            status=status,
            hits=len(hits),
        )
    return candidate


@dataclass(frozen=True)
class ShownHit:
    """A hit as the candidate's page shows it: the found text marked within its context."""

    hit: Hit
    label: str
    before: str
    found: str
    after: str


def _label(kind: str) -> str:
    return anonymisation.KINDS.get(kind, kind)


def _shown(hit: Hit) -> ShownHit:
    found, context = hit.found(), hit.context()
    label = _label(hit.kind)
    at = context.find(found)
    if at < 0 and len(context.casefold()) == len(context):
        at = context.casefold().find(found.casefold())
    if at < 0:
        return ShownHit(hit, label, "", found, f" in: {context}")
    return ShownHit(hit, label, context[:at], context[at : at + len(found)], context[at + len(found) :])


def reveal_hits(candidate: Candidate, *, actor: Any, request: HttpRequest | None) -> list[ShownHit]:
    """What the check found in the candidate, decrypted for those who run the check; audited."""
    if not access.can_check(actor, candidate.review):
        raise PermissionDenied
    hits = list(candidate.hits.select_related("resolved_by").order_by("pk"))
    if hits:
        with transaction.atomic():
            record_change(
                "reports.hits_viewed",
                actor=actor,
                review=candidate.review,
                target=candidate,
                request=request,
                hits=len(hits),
            )
    return [_shown(hit) for hit in hits]


def hidden_hits(candidate: Candidate) -> list[ShownHit]:
    """The hits without what was found: for those who read the review but do not run the check."""
    return [ShownHit(hit, _label(hit.kind), "", "", "") for hit in candidate.hits.order_by("pk")]


def _locked_live(candidate: Candidate, actor: Any, allowed: Callable[[Any, Review], bool]) -> Candidate:
    locked(candidate.review, version=None, allowed=lambda r: allowed(actor, r))
    current = Candidate.objects.select_for_update().select_related("review").get(pk=candidate.pk)
    if current.superseded_at is not None:
        raise ValidationError(SUPERSEDED)
    return current


def resolve_hit(hit: Hit, *, actor: Any, resolution: str, note: str, request: HttpRequest | None) -> Hit:
    """Mark a hit not identifying (a false positive, with a note why) or to be fixed in a new upload."""
    if resolution not in (HitResolution.FALSE_POSITIVE, HitResolution.FIXED):
        raise ValidationError({"resolution": "Choose whether this is identifying"})
    text = note.strip()
    if resolution == HitResolution.FALSE_POSITIVE and not text:
        raise ValidationError({"note": "Enter why this does not identify anyone"})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"note": "The note must be 10,000 characters or fewer"})
    with transaction.atomic():
        candidate = _locked_live(hit.candidate, actor, access.can_check)
        row = Hit.objects.select_for_update().get(pk=hit.pk)
        row.resolution, row.note = resolution, text
        row.resolved_by, row.resolved_at = actor, timezone.now()
        row.save(update_fields=["resolution", "note", "resolved_by", "resolved_at"])
        record_change(
            "reports.hit_resolved",
            actor=actor,
            review=candidate.review,
            target=row,
            request=request,
            candidate=candidate.pk,
            kind=row.kind,
            resolution=resolution,
        )
    return row


def override_candidate(candidate: Candidate, *, actor: Any, reason: str, request: HttpRequest | None) -> Candidate:
    """Let the candidate be published despite its open hits: the CSP chair's decision, with the reason."""
    text = text_of(reason, "reason", "Enter why this file may be published despite what the check found", "The reason")
    with transaction.atomic():
        current = _locked_live(candidate, actor, access.can_override)
        if current.status == CandidateStatus.UNREADABLE:
            raise ValidationError(
                "This file cannot be checked, so it cannot be published: upload a version the check can read"
            )
        if current.overridden_at is not None:
            raise ValidationError("The check of this file has already been overridden")
        open_hits = current.hits.filter(resolution=HitResolution.OPEN).count()
        current.override_reason, current.overridden_by, current.overridden_at = text, actor, timezone.now()
        current.save(update_fields=["override_reason", "overridden_by", "overridden_at"])
        record_change(
            "reports.candidate_overridden",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            item=current.item,
            number=current.number,
            open_hits=open_hits,
        )
    return current
