"""The combined chronology: the filtered, paged list of every accepted entry, its timeline by agency,
each entry with the panel's notes, the release to the agencies' contributors, and the downloads.

The list and the timeline are separate pages: the timeline reads every selected entry, the list
only a page of them, so the list's first page stays fast however long the chronology.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies import access, exports, lanes
from dhr_tracker.chronologies.combined import (
    combined_entries,
    contributing_agencies,
    counts_by_agency,
    lane_entries,
    pauses,
    when,
)
from dhr_tracker.chronologies.forms.combined import CombinedFilterForm, NoteForm, SignificanceForm
from dhr_tracker.chronologies.models import Entry, PanelNote, Release, Submission
from dhr_tracker.chronologies.services import combined as services
from dhr_tracker.chronologies.views import PAGE_SIZE, chronology_page, post_only
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import submit
from dhr_tracker.reviews.exports import FontMissing
from dhr_tracker.reviews.models import Review
from sharing.watermark import WatermarkFailed

SECTION = "chronologies:combined"
# What the list shows of each entry.
_LISTED = (
    "on",
    "at",
    "agency__name",
    "subject",
    "event",
    "action_or_outcome",
    "risks",
    "significant",
)


@dataclass(frozen=True)
class Listed:
    entry: Entry
    when: str
    notes: int


def _filter_form(request: SignedInRequest, review: Review) -> CombinedFilterForm:
    return CombinedFilterForm(request.GET, agencies=contributing_agencies(review))


def _problem(request: SignedInRequest, review: Review, title: str, message: str, *, status: int) -> HttpResponse:
    context = {"title": title, "message": message}
    return chronology_page(request, "chronologies/combined_problem.html", review, SECTION, context, status=status)


def _note_counts(entries: list[Entry]) -> dict[int, int]:
    counted = PanelNote.objects.filter(entry__in=entries).order_by().values("entry_id").annotate(count=Count("pk"))
    return {row["entry_id"]: row["count"] for row in counted}


@verified()
def combined(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Every accepted entry in date order, filtered and a page at a time."""
    review = access.access_combined(request.user, review_id)
    user = request.user
    form = _filter_form(request, review)
    filters = form.filters()
    notes = access.can_see_notes(user, review)
    context: dict[str, Any] = {
        "form": form,
        "release": access.live_release(review),
        "can_release": access.can_release(user, review),
        "notes": notes,
        "formats": exports.FORMATS,
        "documents": exports.DOCUMENTS,
        "document_limit": exports.MAX_DOCUMENT_ENTRIES,
    }
    if filters is not None:
        selected = filters.apply(combined_entries(review))
        by_agency = counts_by_agency(selected)
        paginator = Paginator(selected.select_related("agency").only(*_LISTED), PAGE_SIZE)
        # Counted with the summary already; counting 100,000 entries again would double the page's time.
        paginator.count = sum(row.entries for row in by_agency)
        page = paginator.get_page(request.GET.get("page"))
        entries = list(page)
        counts = _note_counts(entries) if notes and entries else {}
        selection = form.selection()
        context |= {
            "filtered": filters.active,
            "selection": selection,
            "page": page,
            "page_param": f"{selection}&page" if selection else "page",
            "rows": [Listed(entry, when(entry), counts.get(entry.pk, 0)) for entry in entries],
            "by_agency": by_agency,
            "significant": sum(row.significant for row in by_agency),
            "any_entries": paginator.count > 0 or combined_entries(review).exists(),
        }
    return chronology_page(request, "chronologies/combined.html", review, SECTION, context)


@verified()
def combined_timeline(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The selected entries on a lane per agency, with the review's pauses shaded, and the tables that say the same."""
    review = access.access_combined(request.user, review_id)
    form = _filter_form(request, review)
    filters = form.filters()
    context: dict[str, Any] = {"form": form}
    if filters is not None:
        selected = filters.apply(combined_entries(review))
        context |= {
            "filtered": filters.active,
            "selection": form.selection(),
            "lanes": lanes.build(lane_entries(selected), pauses(review), title=f"{review.title}: timeline by agency"),
        }
    return chronology_page(request, "chronologies/combined_timeline.html", review, SECTION, context)


@verified()
def combined_export(request: SignedInRequest, review_id: int, fmt: str) -> HttpResponse:
    """Download the selected entries; every download is audited."""
    review = access.access_combined(request.user, review_id)
    kind = exports.FORMATS.get(fmt)
    if kind is None:
        raise Http404
    form = _filter_form(request, review)
    filters = form.filters()
    if filters is None:
        message = "Correct the filters on the combined chronology, then download it again"
        return _problem(request, review, "These filters need correcting", message, status=400)
    try:
        made = services.export_combined(review, actor=request.user, filters=filters, fmt=fmt, request=request)
    except exports.TooManyEntries as refused:
        return _problem(request, review, "There are too many entries for a document", str(refused), status=400)
    except FontMissing as missing:
        message = f"The PDF cannot be made on this service at the moment ({missing}). Tell the service administrator"
        return _problem(request, review, "This download is not available", message, status=503)
    except WatermarkFailed as failed:
        message = f"{failed.message}. Filter the chronology to fewer entries, or download it as a spreadsheet"
        return _problem(request, review, "The PDF could not be made", message, status=400)
    return attachment(
        made.content,
        content_type=kind.content_type,
        file_name=f"{review.reference} combined chronology.{kind.extension}",
    )


def _entry_page(request: SignedInRequest, entry: Entry, form: forms.Form | None = None) -> HttpResponse:
    review = entry.review
    user = request.user
    submission = Submission.objects.select_related("request").get(pk=entry.submission_id)
    # The same review object, so that the access predicates' memo of the user's roles is shared.
    submission.request.review = review
    can_see_notes = access.can_see_notes(user, review)
    notes = list(entry.notes.select_related("author")) if can_see_notes else []
    context = {
        "entry": entry,
        "when": when(entry),
        "submission": submission,
        "can_see_submission": access.can_see_submission(user, submission),
        "can_see_notes": can_see_notes,
        "panel_notes": notes,
        "can_annotate": access.can_annotate(user, review),
        "form": form,
        "note_form": form if isinstance(form, NoteForm) else NoteForm(),
    }
    return chronology_page(request, "chronologies/combined_entry.html", review, SECTION, context)


@verified()
def combined_entry(request: SignedInRequest, entry_id: int) -> HttpResponse:
    """One entry of the combined chronology, where it came from, and the panel's notes on it."""
    return _entry_page(request, access.access_entry(request.user, entry_id))


def _for_annotating(request: SignedInRequest, entry_id: int) -> Entry:
    entry = access.access_entry(request.user, entry_id)
    if not access.can_annotate(request.user, entry.review):
        raise PermissionDenied
    return entry


@verified()
def entry_significance(request: SignedInRequest, entry_id: int) -> HttpResponse:
    entry = _for_annotating(request, entry_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = SignificanceForm(request.POST)
    marked = submit(
        form,
        lambda data: services.set_significance(
            entry, actor=request.user, significant=data["significant"], request=request
        ),
    )
    if marked is None:
        return _entry_page(request, entry, form)
    return redirect("chronologies:combined_entry", entry_id=entry.pk)


@verified()
def entry_note(request: SignedInRequest, entry_id: int) -> HttpResponse:
    entry = _for_annotating(request, entry_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = NoteForm(request.POST)
    note = submit(form, lambda data: services.add_note(entry, actor=request.user, text=data["text"], request=request))
    if note is None:
        return _entry_page(request, entry, form)
    return redirect("chronologies:combined_entry", entry_id=entry.pk)


def _change_release(
    request: SignedInRequest, review_id: int, change: Callable[..., Release], refusal: str
) -> HttpResponse:
    """Release or withdraw (``change``) for those who run the review; a refusal says why under ``refusal``."""
    review = access.access_combined(request.user, review_id)
    if not access.can_release(request.user, review):
        raise PermissionDenied
    if (not_a_post := post_only(request)) is not None:
        return not_a_post
    try:
        change(review, actor=request.user, request=request)
    except ValidationError as refused:
        return _problem(request, review, refusal, refused.messages[0], status=400)
    return redirect("chronologies:combined", review_id=review.pk)


@verified()
def release(request: SignedInRequest, review_id: int) -> HttpResponse:
    return _change_release(request, review_id, services.release_combined, "The combined chronology was not released")


@verified()
def release_withdraw(request: SignedInRequest, review_id: int) -> HttpResponse:
    return _change_release(request, review_id, services.withdraw_release, "The release was not withdrawn")


urlpatterns = [
    path("reviews/<int:review_id>/combined/", combined, name="combined"),
    path("reviews/<int:review_id>/combined/timeline/", combined_timeline, name="combined_timeline"),
    path("reviews/<int:review_id>/combined/export/<str:fmt>/", combined_export, name="combined_export"),
    path("reviews/<int:review_id>/combined/release/", release, name="release"),
    path("reviews/<int:review_id>/combined/withdraw/", release_withdraw, name="release_withdraw"),
    path("entries/<int:entry_id>/", combined_entry, name="combined_entry"),
    path("entries/<int:entry_id>/significance/", entry_significance, name="entry_significance"),
    path("entries/<int:entry_id>/notes/", entry_note, name="entry_note"),
]
