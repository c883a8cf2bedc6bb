"""The panel's work on the combined chronology: significance, notes, the release to the agencies'
contributors, and exports.

Significance and notes belong to the partnership, the independent chair and the panel while the
review is open (``access.can_annotate``); the release to those who run it (``access.can_release``).
A release shows every agency's contributors the whole combined chronology, never the notes, until
it is withdrawn. Every download of an export is audited with its format, its filters and how many
entries it held, in the transaction that reads them, so the count recorded is the count sent.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies import access, exports
from dhr_tracker.chronologies.combined import Filters, combined_entries, contributing_agencies
from dhr_tracker.chronologies.models import Entry, PanelNote, Release
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import locked, record_change

NOTE_LIMIT = 5_000


def _locked_entry(entry: Entry, actor: Any) -> Entry:
    """Lock the entry's row for this transaction, refusing anyone who may no longer mark or note it."""
    current = Entry.objects.select_for_update().select_related("review").get(pk=entry.pk, combined=True)
    if not access.can_annotate(actor, current.review):
        raise PermissionDenied
    return current


def set_significance(entry: Entry, *, actor: Any, significant: bool, request: HttpRequest | None) -> Entry:
    """Mark the entry significant, or clear the mark; nothing is recorded when it is already so."""
    with transaction.atomic():
        current = _locked_entry(entry, actor)
        if current.significant != significant:
            current.significant = significant
            current.significance_set_by = actor
            current.significance_set_at = timezone.now()
            current.save(update_fields=["significant", "significance_set_by", "significance_set_at"])
            record_change(
                "chronologies.significance_set",
                actor=actor,
                review=current.review,
                target=current,
                request=request,
                agency=current.agency_id,
                significant=significant,
            )
    return current


def add_note(entry: Entry, *, actor: Any, text: str, request: HttpRequest | None) -> PanelNote:
    """Add the panel's note to an entry."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Enter the note"})
    if len(text) > NOTE_LIMIT:
        raise ValidationError({"text": f"The note must be {NOTE_LIMIT:,} characters or fewer"})
    with transaction.atomic():
        current = _locked_entry(entry, actor)
        note = PanelNote.objects.create(entry=current, text=text, author=actor)
        record_change(
            "chronologies.note_added",
            actor=actor,
            review=current.review,
            target=note,
            request=request,
            entry=current.pk,
            agency=current.agency_id,
        )
    return note


def release_combined(review: Review, *, actor: Any, request: HttpRequest | None) -> Release:
    """Show the combined chronology to the review's agency contributors."""
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_release(actor, r))
        if access.live_release(current) is not None:
            raise ValidationError("The combined chronology is already released to the agencies\u2019 contributors")
        entries = combined_entries(current).count()
        if not entries:
            raise ValidationError("There is nothing to release yet. Accept at least one agency\u2019s chronology first")
        release = Release.objects.create(review=current, released_by=actor)
        record_change(
            "chronologies.combined_released",
            actor=actor,
            review=current,
            target=release,
            request=request,
            entries=entries,
        )
    return release


def withdraw_release(review: Review, *, actor: Any, request: HttpRequest | None) -> Release:
    """Hide the combined chronology from the agencies' contributors again."""
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_release(actor, r))
        release = Release.objects.select_for_update().filter(review=current, withdrawn_at__isnull=True).first()
        if release is None:
            raise ValidationError("The combined chronology is not released to the agencies\u2019 contributors")
        release.review = current
        release.withdrawn_by = actor
        release.withdrawn_at = timezone.now()
        release.save(update_fields=["withdrawn_by", "withdrawn_at"])
        record_change(
            "chronologies.release_withdrawn",
            actor=actor,
            review=current,
            target=release,
            request=request,
            released_on=timezone.localtime(release.released_at).date().isoformat(),
        )
    return release


def export_combined(
    review: Review, *, actor: Any, filters: Filters, fmt: str, request: HttpRequest | None
) -> exports.Made:
    """Make the selected entries into a file of format ``fmt`` for ``actor``, and record the download.

    Raises ``exports.TooManyEntries`` for a document over its limit, ``reviews.exports.FontMissing``
    and ``sharing.watermark.WatermarkFailed`` when a PDF cannot be made; nothing is recorded then.
    """
    if not access.can_see_combined(actor, review):
        raise PermissionDenied
    kind = exports.FORMATS[fmt]
    with transaction.atomic():
        job = exports.Job(
            review=review,
            entries=filters.apply(combined_entries(review)),
            notes=access.can_see_notes(actor, review),
            recipient=actor,
            made_at=timezone.now(),
            filters=filters.in_words(dict(contributing_agencies(review))),
        )
        made = kind.render(job)
        record_change(
            "chronologies.combined_exported",
            actor=actor,
            review=review,
            request=request,
            format=fmt,
            count=made.count,
            filters=filters.audited(),
            notes=job.notes,
        )
    return made
